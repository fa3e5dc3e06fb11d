// Package charging holds the vocabulary and the rules of CPS charging decisions (DOMAIN.md §F2,
// §F1): the DG6 category of a pre-charge submission, the test a decision applies, the charges per
// suspect and the basis of a no-further-action decision. It is a leaf: case files import it and
// keep the operations; it stores and authorizes nothing.
package charging

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/terms"
)

// Category is the DG6 category of a pre-charge submission (DOMAIN.md §F1).
type Category string

// DG6 categories.
const (
	Red           Category = "red"
	Green         Category = "green"
	GreenPriority Category = "green_priority"
)

var categories = terms.Vocabulary[Category]{{Value: Red, Label: "Red"}, {Value: Green, Label: "Green"}, {Value: GreenPriority, Label: "Green priority"}}

// Categories lists the categories in the order forms offer them.
func Categories() []Category { return categories.Values() }

// Label is the category as pages show it.
func (c Category) Label() string { return categories.Label(c, string(c)) }

// Test is the test a charging decision applies (DOMAIN.md §F2).
type Test string

// Charging tests.
const (
	FullCode  Test = "full_code"
	Threshold Test = "threshold"
)

var tests = terms.Vocabulary[Test]{{Value: FullCode, Label: "Full Code Test"}, {Value: Threshold, Label: "Threshold Test"}}

// Tests lists the tests in the order forms offer them.
func Tests() []Test { return tests.Values() }

// Label is the test as pages show it.
func (t Test) Label() string { return tests.Label(t, string(t)) }

// Basis is the basis of a no-further-action decision: the Victims' Right to Review scheme
// depends on it.
type Basis string

// Bases of a no-further-action decision.
const (
	Evidential     Basis = "evidential"
	PublicInterest Basis = "public_interest"
)

var bases = terms.Vocabulary[Basis]{{Value: Evidential, Label: "Evidential"}, {Value: PublicInterest, Label: "Public interest"}}

// Bases lists the bases in the order forms offer them.
func Bases() []Basis { return bases.Values() }

// Label is the basis as pages show it.
func (b Basis) Label() string { return bases.Label(b, string(b)) }

// Submission is what the police choose when they send a pack for a charging decision.
type Submission struct {
	Category Category `json:"dg6_category"`
	Test     Test     `json:"test"`
}

// Check reports every problem of a charging submission at once.
func (s Submission) Check() error {
	var p core.Problems
	if !slices.Contains(Categories(), s.Category) {
		p.Add("dg6_category", "Select the DG6 category: red, green or green priority")
	}
	if !slices.Contains(Tests(), s.Test) {
		p.Add("test", "Select the test the CPS is asked to apply: the Full Code Test, or the Threshold Test")
	}
	return p.Err()
}

// Describe is the submission as a case timeline tells it, a line each, with the pre-charge items
// a Threshold Test pack leaves outstanding; "" for a pack that asks for early advice.
func (s Submission) Describe(outstanding []string) string {
	var b strings.Builder
	if s.Category != "" {
		b.WriteString("DG6 category: " + s.Category.Label() + "\nTest asked for: " + s.Test.Label() + "\n")
	}
	if len(outstanding) > 0 {
		b.WriteString("Pre-charge items outstanding: " + strings.Join(outstanding, "; ") + "\n")
	}
	return b.String()
}

// Charge is one charge of one suspect. Suspect is the pseudonymous label the prosecutor gives
// (as on the operation's suspect record, like "S1"); case files read no operations records.
// Statute names the section as charged, like "Modern Slavery Act 2015 s2(1)".
type Charge struct {
	Suspect string `json:"suspect"`
	Offence string `json:"offence"`
	Statute string `json:"statute"`
}

// MaxCharges is how many charges one decision may hold.
const MaxCharges = 50

// Terms are what a charging decision records beyond the decision and its reasons: for a
// charge, the test (with a review date for the Threshold Test) and the charges; for no further
// action, its basis.
type Terms struct {
	Test     Test       `json:"test"`
	ReviewOn *time.Time `json:"review_on"`
	Charges  []Charge   `json:"charges"`
	Basis    Basis      `json:"nfa_basis"`
}

// Describe is the decision's terms as a case timeline tells them, a line each; offence labels
// the offence codes.
func (d Terms) Describe(offence func(code string) string) string {
	var b strings.Builder
	if d.Test != "" {
		b.WriteString(d.Test.Label())
		if d.ReviewOn != nil {
			b.WriteString(", to be reviewed by " + d.ReviewOn.Format("2 January 2006"))
		}
		b.WriteString("\n")
	}
	for _, c := range d.Charges {
		b.WriteString(c.Suspect + ": " + offence(c.Offence) + " (" + c.Statute + ")\n")
	}
	if d.Basis != "" {
		b.WriteString("Basis: " + d.Basis.Label() + "\n")
	}
	return b.String()
}

// CheckCharge reports every problem of a decision to charge at once. offences are the offence
// codes of the case, one of which each charge names; today is the UK date. Rows left wholly
// blank (a form's spare rows) are dropped; what is kept is trimmed.
func (d *Terms) CheckCharge(offences []string, today time.Time) error {
	var p core.Problems
	switch {
	case !slices.Contains(Tests(), d.Test):
		p.Add("test", "Select the test applied: the Full Code Test, or the Threshold Test")
	case d.Test == Threshold && d.ReviewOn == nil:
		p.Add("review_on", "Enter the date by which the Threshold Test decision must be reviewed")
	case d.Test == Threshold && d.ReviewOn.Before(today):
		p.Add("review_on", "The review date must be today or later")
	}
	if d.Test != Threshold {
		d.ReviewOn = nil
	}
	var kept []Charge
	for _, c := range d.Charges {
		c.Suspect, c.Offence, c.Statute = strings.TrimSpace(c.Suspect), strings.TrimSpace(c.Offence), strings.TrimSpace(c.Statute)
		if c != (Charge{}) {
			kept = append(kept, c)
		}
	}
	d.Charges, d.Basis = kept, ""
	switch {
	case len(kept) == 0:
		p.Add("charges", "Enter at least one charge: the suspect, the offence and the statute")
	case len(kept) > MaxCharges:
		p.Add("charges", fmt.Sprintf("A decision can hold at most %d charges", MaxCharges))
	}
	for i, c := range kept {
		n := fmt.Sprintf("Charge %d: ", i+1)
		field := fmt.Sprintf("charges.%d.", i)
		switch {
		case c.Suspect == "":
			p.Add(field+"suspect", n+"enter the suspect's reference, like S1")
		case utf8.RuneCountInString(c.Suspect) > 100:
			p.Add(field+"suspect", n+"the suspect's reference must be 100 characters or fewer")
		}
		if !slices.Contains(offences, c.Offence) {
			p.Add(field+"offence", n+"select one of the case's offences")
		}
		switch {
		case c.Statute == "":
			p.Add(field+"statute", n+"enter the statute and section charged, like Modern Slavery Act 2015 s2(1)")
		case utf8.RuneCountInString(c.Statute) > 200:
			p.Add(field+"statute", n+"the statute must be 200 characters or fewer")
		}
	}
	return p.Err()
}

// CheckNFA reports the problem of a no-further-action decision: it needs its basis. The test,
// review date and charges belong to a decision to charge and are dropped.
func (d *Terms) CheckNFA() error {
	d.Test, d.ReviewOn, d.Charges = "", nil, nil
	if !slices.Contains(Bases(), d.Basis) {
		return core.Invalid("nfa_basis", "Select the basis of the decision: evidential, or public interest")
	}
	return nil
}
