// Package operations is the national operations database (DOMAIN.md §G, issue 12): every force's
// and agency's modern slavery operations, with the potential victims and suspects recorded
// against them as pseudonymous records. A case file's victims and suspects are these records.
package operations

import (
	"time"

	"github.com/msptp/msphub/models/terms"
)

// OperationInput is what a person (or a spreadsheet row) gives to record or change an operation.
// Reference is the owning organisation's own reference, unique within it: a re-import with the
// same reference updates the operation. LeadOfficer is the lead officer's email address.
type OperationInput struct {
	Reference      string
	Name           string
	LeadOfficer    string
	Status         terms.Status
	StartedOn      time.Time
	EndedOn        *time.Time
	Exploitation   []terms.Exploitation
	Children       bool
	OrganisedCrime bool
	CrossBorder    bool
	Covert         bool
	Partners       []string // slugs of the other organisations involved
}

// PersonInput is what victims and suspects share: a pseudonymous reference (never a name),
// age band, sex, nationality (ISO 3166-1 alpha-2, "" when not known) and exploitation types.
type PersonInput struct {
	Reference    string
	AgeBand      terms.AgeBand
	Sex          terms.Sex
	Nationality  string
	Exploitation []terms.Exploitation
}

// VictimInput records a potential victim.
type VictimInput struct {
	PersonInput
	NRMReferredOn   *time.Time
	FirstResponder  terms.FirstResponder
	RGDecidedOn     *time.Time
	RGOutcome       terms.Decision
	CGDecidedOn     *time.Time
	CGOutcome       terms.Decision
	DutyToNotify    bool
	Safeguarding    bool
	SupportAccepted bool
}

// SuspectInput records a suspect.
type SuspectInput struct {
	PersonInput
	Role               terms.SuspectRole
	ArrestedOn         *time.Time
	S45Raised          bool
	SentenceMonths     *int
	STPO               bool
	ReparationOrder    bool
	ConfiscationPounds int64
	Charges            []ChargeInput
}

// ChargeInput is one charge of a suspect and its outcome.
type ChargeInput struct {
	Offence   terms.Offence
	ChargedOn time.Time
	Outcome   terms.Outcome
	OutcomeOn *time.Time
}
