package operations

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/terms"
)

// The checks below are pure: no database, no clock but the one they are given. They report every
// problem of an input at once into a core.Problems, against the names of the form fields (and of
// the columns of an import), so that a form or an import row lists all of its mistakes together.
// What needs the database (the lead officer is an active user of the organisation, the partners
// exist, a reference is not taken) is checked by the Service.

// Field names, shared by the forms, the API and the import.
const (
	FieldReference      = "reference"
	FieldName           = "name"
	FieldLeadOfficer    = "lead_officer"
	FieldStatus         = "status"
	FieldStartedOn      = "started_on"
	FieldEndedOn        = "ended_on"
	FieldExploitation   = "exploitation"
	FieldPartners       = "partners"
	FieldAgeBand        = "age_band"
	FieldSex            = "sex"
	FieldNationality    = "nationality"
	FieldNRMReferredOn  = "nrm_referred_on"
	FieldFirstResponder = "first_responder"
	FieldRGDecidedOn    = "rg_decided_on"
	FieldRGOutcome      = "rg_outcome"
	FieldCGDecidedOn    = "cg_decided_on"
	FieldCGOutcome      = "cg_outcome"
	FieldDutyToNotify   = "duty_to_notify"
	FieldRole           = "role"
	FieldArrestedOn     = "arrested_on"
	FieldSentence       = "sentence_months"
	FieldSTPO           = "stpo"
	FieldReparation     = "reparation_order"
	FieldConfiscation   = "confiscation_pounds"
	FieldOffence        = "offence"
	FieldChargedOn      = "charged_on"
	FieldOutcome        = "outcome"
	FieldOutcomeOn      = "outcome_on"
)

// ChargeField is the field name of field of the i-th charge of a suspect (0-based i; the name
// counts from 1, as people do): ChargeField(0, "outcome_on") is "charge_1_outcome_on".
func ChargeField(i int, field string) string { return fmt.Sprintf("charge_%d_%s", i+1, field) }

// MaxReference and MaxName bound the lengths of references and operation names.
const (
	MaxReference = 40
	MaxName      = 120
)

// Today is the date in London now: no date recorded may be after it.
func Today(now time.Time) time.Time {
	y, m, d := now.In(core.London).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Day is t's calendar date as a UTC midnight: how dates are held and compared.
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func before(a, b time.Time) bool { return Day(a).Before(Day(b)) }

func checkReference(p *core.Problems, field, ref, what string) {
	switch {
	case strings.TrimSpace(ref) == "":
		p.Add(field, "Enter "+what)
	case utf8.RuneCountInString(ref) > MaxReference:
		p.Add(field, fmt.Sprintf("The reference must be %d characters or fewer", MaxReference))
	case !referenceChars(ref):
		p.Add(field, "The reference must only include letters, numbers, hyphens (-), slashes (/) and underscores (_): use your force's reference, never a name")
	}
}

func referenceChars(s string) bool {
	for _, r := range s {
		ok := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '-' || r == '/' || r == '_'
		if !ok {
			return false
		}
	}
	return true
}

// checkDate adds a problem when t (a recorded date) is after today.
func checkNotFuture(p *core.Problems, field string, t *time.Time, what string, today time.Time) {
	if t != nil && !t.IsZero() && Day(*t).After(today) {
		p.Add(field, what+" must be today or in the past")
	}
}

func checkExploitation(p *core.Problems, types []terms.Exploitation) {
	seen := map[terms.Exploitation]bool{}
	for _, e := range types {
		if !validExploitation(e) {
			p.Add(FieldExploitation, "Select types of exploitation from the list")
			return
		}
		if seen[e] {
			p.Add(FieldExploitation, "Select each type of exploitation once")
			return
		}
		seen[e] = true
	}
}

func validExploitation(e terms.Exploitation) bool {
	for _, x := range terms.Exploitations() {
		if x == e {
			return true
		}
	}
	return false
}

func validStatus(s terms.Status) bool {
	for _, x := range terms.Statuses() {
		if x == s {
			return true
		}
	}
	return false
}

func validAgeBand(a terms.AgeBand) bool {
	for _, x := range terms.AgeBands() {
		if x == a {
			return true
		}
	}
	return false
}

func validSex(s terms.Sex) bool {
	for _, x := range terms.Sexes() {
		if x == s {
			return true
		}
	}
	return false
}

func validFirstResponder(f terms.FirstResponder) bool {
	for _, x := range terms.FirstResponders() {
		if x == f {
			return true
		}
	}
	return false
}

func validRole(r terms.SuspectRole) bool {
	for _, x := range terms.SuspectRoles() {
		if x == r {
			return true
		}
	}
	return false
}

func validOffence(o terms.Offence) bool {
	for _, x := range terms.Offences() {
		if x == o {
			return true
		}
	}
	return false
}

func validOutcome(o terms.Outcome) bool {
	if o == terms.OutcomePending {
		return true
	}
	for _, x := range terms.Outcomes() {
		if x == o {
			return true
		}
	}
	return false
}

func validDecision(d terms.Decision) bool {
	return d == terms.DecisionNone || d == terms.DecisionPositive || d == terms.DecisionNegative
}

// Check reports every problem of an operation, as of today in London.
func (in OperationInput) Check(p *core.Problems) { in.CheckOn(p, Today(time.Now())) }

// CheckOn reports every problem of an operation, with today the date no date may be after.
func (in OperationInput) CheckOn(p *core.Problems, today time.Time) {
	checkReference(p, FieldReference, in.Reference, "your force's reference for the operation")
	switch name := strings.TrimSpace(in.Name); {
	case name == "":
		p.Add(FieldName, "Enter the operation's name")
	case utf8.RuneCountInString(name) > MaxName:
		p.Add(FieldName, fmt.Sprintf("The operation's name must be %d characters or fewer", MaxName))
	}
	switch lead := strings.TrimSpace(in.LeadOfficer); {
	case lead == "":
		p.Add(FieldLeadOfficer, "Enter the lead officer's email address")
	case !strings.Contains(lead, "@") || strings.ContainsAny(lead, " \t"):
		p.Add(FieldLeadOfficer, "Enter the lead officer's email address in the correct format, like name@force.police.uk")
	}
	if in.Status == "" {
		p.Add(FieldStatus, "Select the operation's status")
	} else if !validStatus(in.Status) {
		p.Add(FieldStatus, "Select live, suspended or closed")
	}
	if in.StartedOn.IsZero() {
		p.Add(FieldStartedOn, "Enter the date the operation started")
	} else {
		checkNotFuture(p, FieldStartedOn, &in.StartedOn, "The date the operation started", today)
	}
	ended := in.EndedOn != nil && !in.EndedOn.IsZero()
	switch {
	case in.Status == terms.StatusClosed && !ended:
		p.Add(FieldEndedOn, "Enter the date the operation ended: a closed operation has an end date")
	case in.Status == terms.StatusLive && ended:
		p.Add(FieldEndedOn, "Remove the end date, or change the status: a live operation has not ended")
	case ended && !in.StartedOn.IsZero() && before(*in.EndedOn, in.StartedOn):
		p.Add(FieldEndedOn, "The date the operation ended must be the same as or after the date it started")
	case ended:
		checkNotFuture(p, FieldEndedOn, in.EndedOn, "The date the operation ended", today)
	}
	if len(in.Exploitation) == 0 {
		p.Add(FieldExploitation, "Select at least one type of exploitation")
	} else {
		checkExploitation(p, in.Exploitation)
	}
	for _, s := range in.Partners {
		if strings.TrimSpace(s) == "" {
			p.Add(FieldPartners, "Select the other organisations involved from the list")
			break
		}
	}
}

func (in PersonInput) check(p *core.Problems, what string) {
	checkReference(p, FieldReference, in.Reference, "your force's reference for the "+what)
	if in.AgeBand == "" {
		p.Add(FieldAgeBand, "Select the "+what+"'s age band, or not known")
	} else if !validAgeBand(in.AgeBand) {
		p.Add(FieldAgeBand, "Select an age band from the list")
	}
	if in.Sex == "" {
		p.Add(FieldSex, "Select the "+what+"'s sex, or not known")
	} else if !validSex(in.Sex) {
		p.Add(FieldSex, "Select female, male or not known")
	}
	if in.Nationality != "" {
		if _, ok := terms.Nationality(in.Nationality); !ok {
			p.Add(FieldNationality, "Select a nationality from the list, or leave it empty if it is not known")
		}
	}
	checkExploitation(p, in.Exploitation)
}

// Check reports every problem of a potential victim, as of today in London.
func (in VictimInput) Check(p *core.Problems) { in.CheckOn(p, Today(time.Now())) }

// CheckOn reports every problem of a potential victim, with today the date no date may be after.
func (in VictimInput) CheckOn(p *core.Problems, today time.Time) {
	in.check(p, "potential victim")
	referred := in.NRMReferredOn != nil && !in.NRMReferredOn.IsZero()
	rg := in.RGDecidedOn != nil && !in.RGDecidedOn.IsZero()
	cg := in.CGDecidedOn != nil && !in.CGDecidedOn.IsZero()

	checkNotFuture(p, FieldNRMReferredOn, in.NRMReferredOn, "The date of the NRM referral", today)
	if in.FirstResponder != "" && !validFirstResponder(in.FirstResponder) {
		p.Add(FieldFirstResponder, "Select the first responder organisation from the list")
	}
	if referred && in.FirstResponder == "" {
		p.Add(FieldFirstResponder, "Select the first responder organisation that made the NRM referral")
	}
	if !referred && in.FirstResponder != "" {
		p.Add(FieldNRMReferredOn, "Enter the date of the NRM referral, or remove the first responder")
	}

	if !validDecision(in.RGOutcome) {
		p.Add(FieldRGOutcome, "Select positive or negative for the reasonable grounds decision")
	}
	switch {
	case rg && in.RGOutcome == terms.DecisionNone:
		p.Add(FieldRGOutcome, "Select the outcome of the reasonable grounds decision, or remove its date")
	case !rg && in.RGOutcome != terms.DecisionNone:
		p.Add(FieldRGDecidedOn, "Enter the date of the reasonable grounds decision")
	case rg && !referred:
		p.Add(FieldNRMReferredOn, "Enter the date of the NRM referral: a reasonable grounds decision follows a referral")
	case rg && before(*in.RGDecidedOn, *in.NRMReferredOn):
		p.Add(FieldRGDecidedOn, "The date of the reasonable grounds decision must be the same as or after the date of the NRM referral")
	case rg:
		checkNotFuture(p, FieldRGDecidedOn, in.RGDecidedOn, "The date of the reasonable grounds decision", today)
	}

	if !validDecision(in.CGOutcome) {
		p.Add(FieldCGOutcome, "Select positive or negative for the conclusive grounds decision")
	}
	switch {
	case cg && in.CGOutcome == terms.DecisionNone:
		p.Add(FieldCGOutcome, "Select the outcome of the conclusive grounds decision, or remove its date")
	case !cg && in.CGOutcome != terms.DecisionNone:
		p.Add(FieldCGDecidedOn, "Enter the date of the conclusive grounds decision")
	case cg && (!rg || in.RGOutcome != terms.DecisionPositive):
		p.Add(FieldCGDecidedOn, "A conclusive grounds decision follows a positive reasonable grounds decision: record that first, or remove the conclusive grounds decision")
	case cg && before(*in.CGDecidedOn, *in.RGDecidedOn):
		p.Add(FieldCGDecidedOn, "The date of the conclusive grounds decision must be the same as or after the date of the reasonable grounds decision")
	case cg:
		checkNotFuture(p, FieldCGDecidedOn, in.CGDecidedOn, "The date of the conclusive grounds decision", today)
	}

	if in.DutyToNotify {
		switch {
		case in.AgeBand.Child():
			p.Add(FieldDutyToNotify, "Duty to Notify is only for adults: a child is referred to the NRM without consent")
		case referred:
			p.Add(FieldDutyToNotify, "Duty to Notify is for adults who do not consent to an NRM referral: remove it, or remove the NRM referral")
		}
	}
}

// Check reports every problem of a suspect and their charges, as of today in London.
func (in SuspectInput) Check(p *core.Problems) { in.CheckOn(p, Today(time.Now())) }

// CheckOn reports every problem of a suspect and their charges, with today the date no date may
// be after.
func (in SuspectInput) CheckOn(p *core.Problems, today time.Time) {
	in.check(p, "suspect")
	if in.Role != "" && !validRole(in.Role) {
		p.Add(FieldRole, "Select the suspect's role from the list")
	}
	checkNotFuture(p, FieldArrestedOn, in.ArrestedOn, "The date of arrest", today)
	convicted := false
	for i, c := range in.Charges {
		c.check(p, i, today)
		if c.Outcome.Convicted() {
			convicted = true
		}
	}
	if in.SentenceMonths != nil && *in.SentenceMonths < 0 {
		p.Add(FieldSentence, "The sentence must be a number of months, 0 or more")
	} else if in.SentenceMonths != nil && !convicted {
		p.Add(FieldSentence, "A sentence follows a conviction: record the conviction on a charge first, or remove the sentence")
	}
	if in.STPO && !convicted {
		p.Add(FieldSTPO, "A slavery and trafficking prevention order on conviction follows a conviction: record the conviction first, or remove the order")
	}
	if in.ReparationOrder && !convicted {
		p.Add(FieldReparation, "A reparation order follows a conviction: record the conviction first, or remove the order")
	}
	if in.ConfiscationPounds < 0 {
		p.Add(FieldConfiscation, "The confiscation order must be an amount in pounds, 0 or more")
	} else if in.ConfiscationPounds > 0 && !convicted {
		p.Add(FieldConfiscation, "A confiscation order follows a conviction: record the conviction first, or remove the order")
	}
}

// CheckCharge reports every problem of one charge, named as the i-th charge (0-based).
func (in ChargeInput) CheckCharge(p *core.Problems, i int, today time.Time) { in.check(p, i, today) }

func (in ChargeInput) check(p *core.Problems, i int, today time.Time) {
	if in.Offence == "" {
		p.Add(ChargeField(i, FieldOffence), fmt.Sprintf("Select the offence of charge %d", i+1))
	} else if !validOffence(in.Offence) {
		p.Add(ChargeField(i, FieldOffence), fmt.Sprintf("Select the offence of charge %d from the list", i+1))
	}
	if in.ChargedOn.IsZero() {
		p.Add(ChargeField(i, FieldChargedOn), fmt.Sprintf("Enter the date of charge %d", i+1))
	} else {
		checkNotFuture(p, ChargeField(i, FieldChargedOn), &in.ChargedOn, fmt.Sprintf("The date of charge %d", i+1), today)
	}
	decided := in.OutcomeOn != nil && !in.OutcomeOn.IsZero()
	switch {
	case !validOutcome(in.Outcome):
		p.Add(ChargeField(i, FieldOutcome), fmt.Sprintf("Select the outcome of charge %d from the list", i+1))
	case in.Outcome != terms.OutcomePending && !decided:
		p.Add(ChargeField(i, FieldOutcomeOn), fmt.Sprintf("Enter the date of the outcome of charge %d", i+1))
	case in.Outcome == terms.OutcomePending && decided:
		p.Add(ChargeField(i, FieldOutcome), fmt.Sprintf("Select the outcome of charge %d, or remove the date of its outcome", i+1))
	case decided && !in.ChargedOn.IsZero() && before(*in.OutcomeOn, in.ChargedOn):
		p.Add(ChargeField(i, FieldOutcomeOn), fmt.Sprintf("The date of the outcome of charge %d must be the same as or after the date of charge: no outcome before charge", i+1))
	case decided:
		checkNotFuture(p, ChargeField(i, FieldOutcomeOn), in.OutcomeOn, fmt.Sprintf("The date of the outcome of charge %d", i+1), today)
	}
}
