// Package schedule holds what the disclosure schedules of unused material are and how their
// entries are checked (DOMAIN.md §A3, §A4, §F3): the schedules, the disclosure roles of a case
// team, an entry's input with its validation, the generic-description rule and the prosecutor's
// columns. It keeps nothing and asks no one: package casefile stores and authorizes.
package schedule

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// Schedule is a disclosure schedule of unused material (DOMAIN.md §A3, §A4).
type Schedule string

// Schedules.
const (
	MG6C Schedule = "MG6C" // non-sensitive unused material: shown to the defence
	MG6D Schedule = "MG6D" // sensitive unused material: never shown to the defence
)

// All lists the schedules in order.
func All() []Schedule { return []Schedule{MG6C, MG6D} }

// Label is the schedule as pages show it.
func (s Schedule) Label() string {
	switch s {
	case MG6C:
		return "MG6C non-sensitive unused material"
	case MG6D:
		return "MG6D sensitive unused material"
	}
	return string(s)
}

// Role is a team member's part in the disclosure officer's work (DOMAIN.md §F3): the
// disclosure officer or one of their deputies. The officer in the case is named apart, and may
// be the disclosure officer too.
type Role string

// Disclosure roles.
const (
	RoleDisclosureOfficer Role = "disclosure_officer"
	RoleDeputy            Role = "deputy"
)

// Label is the role as pages show it.
func (r Role) Label() string {
	switch r {
	case RoleDisclosureOfficer:
		return "Disclosure officer"
	case RoleDeputy:
		return "Deputy disclosure officer"
	}
	return ""
}

// Relation is the policy's fact for a member who is the officer in the case (oic) and in role r.
func Relation(oic bool, r Role) policies.Relation {
	var rel policies.Relation
	if oic {
		rel |= policies.RelDisclosure
	}
	if r == RoleDisclosureOfficer || r == RoleDeputy {
		rel |= policies.RelDisclosure | policies.RelDisclosureOfficer
	}
	return rel
}

// EntryInput is a schedule entry to add or change. A description that GenericDescription flags
// (a set of repetitive items, which may be listed generically) needs GenericReason.
// Classification marks an MG6D entry above the case ("" keeps the case's marking).
type EntryInput struct {
	Schedule       Schedule `json:"schedule"`
	Description    string   `json:"description"`
	Location       string   `json:"location"`
	OfficerView    string   `json:"officer_view"`
	Classification string   `json:"classification"`
	GenericReason  string   `json:"generic_reason"`
	Undermines     bool     `json:"undermines"`
	Assessment     string   `json:"assessment"`
}

// genericWords say what kind of thing an item is without saying which one.
var genericWords = []string{"document", "documents", "docs", "misc", "miscellaneous", "various", "paper", "papers",
	"paperwork", "bundle", "bundles", "item", "items", "material", "materials", "note", "notes", "file", "files",
	"folder", "folders", "stuff", "correspondence", "email", "emails", "message", "messages", "record", "records",
	"bag", "bags", "box", "boxes", "sundry", "assorted", "general", "other", "etc", "unused", "exhibits", "copies", "copy"}

// fillerWords carry no meaning of their own in a description.
var fillerWords = []string{"a", "an", "the", "of", "and", "or", "in", "on", "for", "to", "with", "from", "re", "x", "by", "at"}

// GenericDescription reports whether a schedule description is probably too generic for a
// prosecutor to judge. The rule is deliberately simple, and the pages state it: fewer than 20
// characters, or fewer than 3 words once generic words (documents, misc, various, papers,
// bundle, …), filler words (of, and, the, …) and numbers are set aside.
func GenericDescription(desc string) bool {
	desc = strings.TrimSpace(desc)
	if utf8.RuneCountInString(desc) < 20 {
		return true
	}
	words := strings.FieldsFunc(strings.ToLower(desc), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	specific := 0
	for _, w := range words {
		if slices.Contains(genericWords, w) || slices.Contains(fillerWords, w) || strings.IndexFunc(w, unicode.IsLetter) < 0 {
			continue
		}
		specific++
	}
	return specific < 3
}

// GenericPrompt is what the pages and the API say about a generic description.
const GenericPrompt = "This description may be too generic for the prosecutor to judge the item. Say what it is, who made it, when, and what it shows. " +
	"(MSP Hub asks whenever a description is under 20 characters or has fewer than 3 specific words besides words like documents, misc, various, papers or bundle.) " +
	"If it lists repetitive items that really are alike and plainly do not meet the disclosure test, keep the description and record why."

// Validate checks and tidies an entry, reporting every problem at once, and returns the marking
// it asks for (Unmarked: the case's). clearance is the writer's: a marking must be one they may see.
func (in *EntryInput) Validate(clearance policies.Level) (policies.Level, error) {
	var p core.Problems
	if !slices.Contains(All(), in.Schedule) {
		p.Add("schedule", "Select the schedule: MG6C non-sensitive or MG6D sensitive")
	}
	if p.Check(core.CheckText("description", &in.Description, 2000, true, "Describe the item clearly enough for the prosecutor to judge it", "Description")) &&
		p.Check(core.CheckText("generic_reason", &in.GenericReason, 1000, false, "", "The reason")) {
		if !GenericDescription(in.Description) {
			in.GenericReason = ""
		} else if in.GenericReason == "" {
			p.Add("description", GenericPrompt)
		}
	}
	p.Check(core.CheckText("location", &in.Location, 300, true, "Say where the item is kept", "Location"))
	p.Check(core.CheckText("assessment", &in.Assessment, 2000, in.Undermines, "Say why the item might undermine the prosecution case or assist the accused", "The reasons"))
	var level policies.Level
	if in.Schedule == MG6D {
		p.Check(core.CheckText("officer_view", &in.OfficerView, 2000, true, "Say why the item is sensitive", "The reason"))
		var err error
		if level, err = policies.ParseLevel(in.Classification); strings.TrimSpace(in.Classification) == "" {
			level = policies.Unmarked
		} else if err != nil {
			p.Add("classification", "Select OFFICIAL or OFFICIAL-SENSITIVE")
		} else if level > clearance {
			p.Add("classification", "Your clearance does not cover "+level.String()+": choose a marking you may see")
		}
	} else if strings.TrimSpace(in.OfficerView) != "" {
		p.Add("officer_view", "MG6C is served on the defence, so it carries no officer's view: give your assessment for MG6E instead")
	}
	return level, p.Err()
}

// CPSMarkInput is the prosecutor's columns of an entry: View on MG6C (D disclose, CND clearly
// not disclosable, I inspect); on MG6D whether they agree the item is sensitive and whether a
// public interest immunity application is needed ("yes" or "no").
type CPSMarkInput struct {
	View           string `json:"cps_view"`
	AgreeSensitive string `json:"cps_agree_sensitive"`
	PIINeeded      string `json:"cps_pii_needed"`
}

// CPSViews are the prosecutor's marks on MG6C, with their meaning.
var CPSViews = map[string]string{"D": "Disclose", "CND": "Clearly not disclosable", "I": "Inspect"}

// Check validates the prosecutor's columns for an entry on sch, reporting every problem at once,
// clears the columns of the other schedule, and says what they record.
func (in *CPSMarkInput) Check(sch Schedule) (string, error) {
	var p core.Problems
	yesNo := func(field, v, msg string) {
		if v != "yes" && v != "no" {
			p.Add(field, msg)
		}
	}
	if sch == MG6C {
		in.AgreeSensitive, in.PIINeeded = "", ""
		if CPSViews[in.View] == "" {
			p.Add("cps_view", "Select D (disclose), CND (clearly not disclosable) or I (inspect)")
		}
		return "Prosecutor marked it " + in.View, p.Err()
	}
	in.View = ""
	yesNo("cps_agree_sensitive", in.AgreeSensitive, "Say whether you agree the item is sensitive")
	yesNo("cps_pii_needed", in.PIINeeded, "Say whether a public interest immunity application is needed")
	return "Prosecutor: agrees sensitive " + in.AgreeSensitive + ", PII application needed " + in.PIINeeded, p.Err()
}

// Revision is one dated change of a schedule entry, with the description as it then was.
type Revision struct {
	ID             int64          `json:"id"`
	CaseID         int64          `json:"-"`
	EntryID        int64          `json:"entry_id"`
	Schedule       Schedule       `json:"schedule"`
	Number         int            `json:"number"`
	Classification policies.Level `json:"-"`
	Summary        string         `json:"summary"`
	Description    string         `json:"description"`
	RevisedBy      int64          `json:"revised_by"`
	RevisedByName  string         `json:"revised_by_name" gorm:"->"`
	RevisedAt      time.Time      `json:"revised_at"`
}

// TableName is the table of revisions.
func (Revision) TableName() string { return "disclosure_revisions" }
