package operations_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/terms"
)

var today = time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)

func day(s string) *time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return &t
}

// problems runs check and returns the message per field.
func problems(t *testing.T, check func(p *core.Problems)) map[string]string {
	t.Helper()
	var p core.Problems
	check(&p)
	out := map[string]string{}
	err := p.Err()
	if err == nil {
		return out
	}
	var e *core.Error
	if !errors.As(err, &e) || e.Code != core.EINVALID {
		t.Fatalf("Err() = %v, want an EINVALID *core.Error", err)
	}
	for _, f := range e.Fields {
		out[f.Field] = f.Message
	}
	return out
}

func wantFields(t *testing.T, got map[string]string, want ...string) {
	t.Helper()
	for _, f := range want {
		if got[f] == "" {
			t.Errorf("no problem on %s; got %v", f, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got problems on %d fields %v, want exactly %v", len(got), got, want)
	}
}

func goodOperation() operations.OperationInput {
	return operations.OperationInput{
		Reference: "OP/2026-014_a", Name: "Operation Lantern", LeadOfficer: "lead@force.police.uk",
		Status: terms.StatusLive, StartedOn: *day("2026-01-10"),
		Exploitation: []terms.Exploitation{terms.ExploitLabour, terms.ExploitSexual},
	}
}

func TestAGoodOperationHasNoProblems(t *testing.T) {
	in := goodOperation()
	wantFields(t, problems(t, func(p *core.Problems) { in.CheckOn(p, today) }))
	in.Status, in.EndedOn = terms.StatusClosed, day("2026-06-15")
	wantFields(t, problems(t, func(p *core.Problems) { in.CheckOn(p, today) }))
	in.Status = terms.StatusSuspended
	wantFields(t, problems(t, func(p *core.Problems) { in.CheckOn(p, today) }))
}

func TestAnEmptyOperationReportsEveryRequiredFieldAtOnce(t *testing.T) {
	got := problems(t, func(p *core.Problems) { operations.OperationInput{}.CheckOn(p, today) })
	wantFields(t, got, "reference", "name", "lead_officer", "status", "started_on", "exploitation")
	if got["exploitation"] != "Select at least one type of exploitation" {
		t.Errorf("exploitation: %q", got["exploitation"])
	}
}

func TestOperationReferenceIsAPseudonymousCode(t *testing.T) {
	for ref, ok := range map[string]bool{
		"A": true, "OP/2026/14": true, "op_lantern-2": true, strings.Repeat("x", 40): true,
		strings.Repeat("x", 41): false, "John Smith": false, "OP.14": false, "OP#1": false, "Zoë": false, "  ": false,
	} {
		in := goodOperation()
		in.Reference = ref
		got := problems(t, func(p *core.Problems) { in.CheckOn(p, today) })
		if ok != (got["reference"] == "") {
			t.Errorf("reference %q: problems %v", ref, got)
		}
	}
	in := goodOperation()
	in.Reference = "John Smith"
	got := problems(t, func(p *core.Problems) { in.CheckOn(p, today) })
	if !strings.Contains(got["reference"], "never a name") {
		t.Errorf("the reference message does not warn against names: %q", got["reference"])
	}
}

func TestOperationDatesAndStatus(t *testing.T) {
	cases := []struct {
		name   string
		change func(*operations.OperationInput)
		fields []string
		says   string
	}{
		{"ended before started", func(in *operations.OperationInput) {
			in.Status, in.EndedOn = terms.StatusClosed, day("2026-01-09")
		}, []string{"ended_on"}, "same as or after the date it started"},
		{"closed without an end", func(in *operations.OperationInput) { in.Status = terms.StatusClosed }, []string{"ended_on"}, "a closed operation has an end date"},
		{"live with an end", func(in *operations.OperationInput) { in.EndedOn = day("2026-02-01") }, []string{"ended_on"}, "a live operation has not ended"},
		{"started in the future", func(in *operations.OperationInput) { in.StartedOn = *day("2026-06-16") }, []string{"started_on"}, "today or in the past"},
		{"ended in the future", func(in *operations.OperationInput) {
			in.Status, in.EndedOn = terms.StatusClosed, day("2026-06-16")
		}, []string{"ended_on"}, "today or in the past"},
		{"unknown status", func(in *operations.OperationInput) { in.Status = "paused" }, []string{"status"}, "live, suspended or closed"},
		{"unknown exploitation", func(in *operations.OperationInput) {
			in.Exploitation = []terms.Exploitation{terms.ExploitLabour, "piracy"}
		}, []string{"exploitation"}, "from the list"},
		{"empty partner", func(in *operations.OperationInput) { in.Partners = []string{"nca", ""} }, []string{"partners"}, "from the list"},
		{"bad email", func(in *operations.OperationInput) { in.LeadOfficer = "DC Smith" }, []string{"lead_officer"}, "correct format"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := goodOperation()
			c.change(&in)
			got := problems(t, func(p *core.Problems) { in.CheckOn(p, today) })
			wantFields(t, got, c.fields...)
			if !strings.Contains(got[c.fields[0]], c.says) {
				t.Errorf("%s says %q, want it to say %q", c.fields[0], got[c.fields[0]], c.says)
			}
		})
	}
}

func TestCheckUsesTodayInLondon(t *testing.T) {
	in := goodOperation()
	in.StartedOn = operations.Today(time.Now()).AddDate(0, 0, 1)
	var p core.Problems
	in.Check(&p)
	if p.Len() != 1 {
		t.Errorf("a start tomorrow gave %d problems, want 1", p.Len())
	}
	// 23:30 UTC on 30 June is already 1 July in London (summer time).
	if got := operations.Today(time.Date(2026, 6, 30, 23, 30, 0, 0, time.UTC)); !got.Equal(*day("2026-07-01")) {
		t.Errorf("Today = %v, want 1 July", got)
	}
}

func goodVictim() operations.VictimInput {
	return operations.VictimInput{
		PersonInput: operations.PersonInput{Reference: "V-1", AgeBand: terms.Age25to34, Sex: terms.SexFemale, Nationality: "al",
			Exploitation: []terms.Exploitation{terms.ExploitSexual}},
		NRMReferredOn: day("2026-02-01"), FirstResponder: terms.FRPolice,
		RGDecidedOn: day("2026-02-06"), RGOutcome: terms.DecisionPositive,
		CGDecidedOn: day("2026-05-01"), CGOutcome: terms.DecisionPositive,
		Safeguarding: true, SupportAccepted: true,
	}
}

func TestAGoodVictimHasNoProblems(t *testing.T) {
	in := goodVictim()
	wantFields(t, problems(t, func(p *core.Problems) { in.CheckOn(p, today) }))
	// No referral at all: an adult who did not consent, with Duty to Notify.
	in = operations.VictimInput{PersonInput: operations.PersonInput{Reference: "V2", AgeBand: terms.Age18to24, Sex: terms.SexMale}, DutyToNotify: true}
	wantFields(t, problems(t, func(p *core.Problems) { in.CheckOn(p, today) }))
}

func TestAnEmptyVictimReportsEveryRequiredFieldAtOnce(t *testing.T) {
	got := problems(t, func(p *core.Problems) { operations.VictimInput{}.CheckOn(p, today) })
	wantFields(t, got, "reference", "age_band", "sex")
}

func TestVictimDateRules(t *testing.T) {
	cases := []struct {
		name   string
		change func(*operations.VictimInput)
		fields []string
		says   string
	}{
		{"RG outcome without a date", func(in *operations.VictimInput) { in.RGDecidedOn, in.CGDecidedOn, in.CGOutcome = nil, nil, "" }, []string{"rg_decided_on"}, "Enter the date of the reasonable grounds decision"},
		{"RG date without an outcome", func(in *operations.VictimInput) { in.RGOutcome, in.CGDecidedOn, in.CGOutcome = "", nil, "" }, []string{"rg_outcome"}, "outcome of the reasonable grounds decision"},
		{"RG before the referral", func(in *operations.VictimInput) {
			in.RGDecidedOn, in.CGDecidedOn = day("2026-01-31"), nil
			in.CGOutcome = ""
		}, []string{"rg_decided_on"}, "after the date of the NRM referral"},
		{"RG without a referral", func(in *operations.VictimInput) { in.NRMReferredOn, in.FirstResponder = nil, "" }, []string{"nrm_referred_on"}, "follows a referral"},
		{"CG after a negative RG", func(in *operations.VictimInput) { in.RGOutcome = terms.DecisionNegative }, []string{"cg_decided_on"}, "A conclusive grounds decision follows a positive reasonable grounds decision"},
		{"CG without RG", func(in *operations.VictimInput) { in.RGDecidedOn, in.RGOutcome = nil, "" }, []string{"cg_decided_on"}, "A conclusive grounds decision follows a positive reasonable grounds decision"},
		{"CG before RG", func(in *operations.VictimInput) { in.CGDecidedOn = day("2026-02-05") }, []string{"cg_decided_on"}, "after the date of the reasonable grounds decision"},
		{"CG outcome without a date", func(in *operations.VictimInput) { in.CGDecidedOn = nil }, []string{"cg_decided_on"}, "Enter the date of the conclusive grounds decision"},
		{"CG in the future", func(in *operations.VictimInput) { in.CGDecidedOn = day("2026-06-16") }, []string{"cg_decided_on"}, "today or in the past"},
		{"referral in the future", func(in *operations.VictimInput) {
			in.NRMReferredOn, in.RGDecidedOn, in.RGOutcome, in.CGDecidedOn, in.CGOutcome = day("2026-07-01"), nil, "", nil, ""
		}, []string{"nrm_referred_on"}, "today or in the past"},
		{"referral without a first responder", func(in *operations.VictimInput) { in.FirstResponder = "" }, []string{"first_responder"}, "first responder organisation that made"},
		{"first responder without a referral", func(in *operations.VictimInput) {
			in.NRMReferredOn, in.RGDecidedOn, in.RGOutcome, in.CGDecidedOn, in.CGOutcome = nil, nil, "", nil, ""
		}, []string{"nrm_referred_on"}, "or remove the first responder"},
		{"unknown first responder", func(in *operations.VictimInput) { in.FirstResponder = "neighbour" }, []string{"first_responder"}, "from the list"},
		{"Duty to Notify for a child", func(in *operations.VictimInput) {
			in.AgeBand, in.DutyToNotify = terms.Age16to17, true
			in.NRMReferredOn, in.FirstResponder, in.RGDecidedOn, in.RGOutcome, in.CGDecidedOn, in.CGOutcome = nil, "", nil, "", nil, ""
		}, []string{"duty_to_notify"}, "only for adults"},
		{"Duty to Notify with a referral", func(in *operations.VictimInput) { in.DutyToNotify = true }, []string{"duty_to_notify"}, "do not consent"},
		{"unknown nationality", func(in *operations.VictimInput) { in.Nationality = "UK" }, []string{"nationality"}, "from the list"},
		{"unknown age band and sex", func(in *operations.VictimInput) { in.AgeBand, in.Sex = "30", "x" }, []string{"age_band", "sex"}, "from the list"},
		{"unknown decision", func(in *operations.VictimInput) { in.RGOutcome = "maybe" }, []string{"rg_outcome", "cg_decided_on"}, "positive or negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := goodVictim()
			c.change(&in)
			got := problems(t, func(p *core.Problems) { in.CheckOn(p, today) })
			wantFields(t, got, c.fields...)
			if !strings.Contains(got[c.fields[0]], c.says) {
				t.Errorf("%s says %q, want it to say %q", c.fields[0], got[c.fields[0]], c.says)
			}
		})
	}
}

func goodSuspect() operations.SuspectInput {
	months := 48
	return operations.SuspectInput{
		PersonInput: operations.PersonInput{Reference: "S-1", AgeBand: terms.Age35to44, Sex: terms.SexMale, Nationality: "GB"},
		Role:        terms.RoleOrganiser, ArrestedOn: day("2026-01-20"), S45Raised: true,
		SentenceMonths: &months, STPO: true, ConfiscationPounds: 25000,
		Charges: []operations.ChargeInput{
			{Offence: terms.OffenceS2, ChargedOn: *day("2026-01-22"), Outcome: terms.OutcomeConvictedTrial, OutcomeOn: day("2026-06-01")},
			{Offence: terms.OffenceS1, ChargedOn: *day("2026-01-22")},
		},
	}
}

func TestAGoodSuspectHasNoProblems(t *testing.T) {
	in := goodSuspect()
	wantFields(t, problems(t, func(p *core.Problems) { in.CheckOn(p, today) }))
}

func TestSuspectAndChargeRules(t *testing.T) {
	cases := []struct {
		name   string
		change func(*operations.SuspectInput)
		fields []string
		says   string
	}{
		{"outcome before charge", func(in *operations.SuspectInput) { in.Charges[0].OutcomeOn = day("2026-01-21") }, []string{"charge_1_outcome_on"}, "no outcome before charge"},
		{"outcome without a date", func(in *operations.SuspectInput) { in.Charges[0].OutcomeOn = nil }, []string{"charge_1_outcome_on"}, "Enter the date of the outcome of charge 1"},
		{"outcome date without an outcome", func(in *operations.SuspectInput) { in.Charges[1].OutcomeOn = day("2026-03-01") }, []string{"charge_2_outcome"}, "or remove the date"},
		{"outcome in the future", func(in *operations.SuspectInput) { in.Charges[0].OutcomeOn = day("2026-06-16") }, []string{"charge_1_outcome_on"}, "today or in the past"},
		{"charge without offence or date", func(in *operations.SuspectInput) {
			in.Charges = append(in.Charges, operations.ChargeInput{})
		}, []string{"charge_3_offence", "charge_3_charged_on"}, "Select the offence of charge 3"},
		{"unknown offence and outcome", func(in *operations.SuspectInput) {
			in.Charges[1].Offence, in.Charges[1].Outcome = "theft", "won"
		}, []string{"charge_2_offence", "charge_2_outcome"}, "from the list"},
		{"sentence and orders without a conviction", func(in *operations.SuspectInput) {
			in.Charges[0].Outcome = terms.OutcomeAcquitted
			in.ReparationOrder = true
		}, []string{"sentence_months", "stpo", "reparation_order", "confiscation_pounds"}, "follows a conviction"},
		{"negative sentence and confiscation", func(in *operations.SuspectInput) {
			m := -1
			in.SentenceMonths, in.ConfiscationPounds = &m, -5
		}, []string{"sentence_months", "confiscation_pounds"}, "0 or more"},
		{"arrest in the future", func(in *operations.SuspectInput) { in.ArrestedOn = day("2027-01-01") }, []string{"arrested_on"}, "today or in the past"},
		{"unknown role", func(in *operations.SuspectInput) { in.Role = "boss" }, []string{"role"}, "from the list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := goodSuspect()
			in.Charges = append([]operations.ChargeInput(nil), in.Charges...)
			c.change(&in)
			got := problems(t, func(p *core.Problems) { in.CheckOn(p, today) })
			wantFields(t, got, c.fields...)
			if !strings.Contains(got[c.fields[0]], c.says) {
				t.Errorf("%s says %q, want it to say %q", c.fields[0], got[c.fields[0]], c.says)
			}
		})
	}
}

func TestEveryProblemOfASuspectIsReportedAtOnce(t *testing.T) {
	in := operations.SuspectInput{STPO: true, Charges: []operations.ChargeInput{{Offence: terms.OffenceS2, ChargedOn: *day("2026-03-01"), Outcome: terms.OutcomeDiscontinued, OutcomeOn: day("2026-02-01")}}}
	got := problems(t, func(p *core.Problems) { in.CheckOn(p, today) })
	wantFields(t, got, "reference", "age_band", "sex", "charge_1_outcome_on", "stpo")
}
