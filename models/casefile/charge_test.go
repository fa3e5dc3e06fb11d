package casefile_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/charging"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
)

// chargingCase opens a case, submits it for a Full Code Test charging decision with every
// pre-charge item resolved, has it approved and shares it with f.liaison (a Crown Prosecutor)
// and with caseworker, a CPS liaison who is no Crown Prosecutor.
func (f *caseFixture) chargingCase(t *testing.T, caseworker core.Actor) casefile.CaseView {
	t.Helper()
	ctx := context.Background()
	cv := f.newCase(t)
	f.resolvePreCharge(t, cv.ID)
	_, err := f.cases.Submit(ctx, f.inv, cv.ID, fullCode)
	modelstest.Must(t, err)
	_, err = f.cases.Approve(ctx, f.sup, cv.ID)
	modelstest.Must(t, err)
	f.share(t, cv.ID)
	day := f.clock.Now().AddDate(0, 0, 30)
	_, err = f.cases.Share(ctx, f.sup, cv.ID, casefile.ShareInput{LiaisonID: caseworker.UserID, ExpiresOn: &day})
	modelstest.Must(t, err)
	return cv
}

// problemFields are the fields an EINVALID error names, every problem at once.
func problemFields(err error) []string {
	var out []string
	if e, ok := err.(*core.Error); ok {
		for _, p := range e.Fields {
			out = append(out, p.Field)
		}
		if len(out) == 0 && e.Field != "" {
			out = append(out, e.Field)
		}
	}
	return out
}

// Only a Crown Prosecutor records a charging decision; a CPS caseworker holding the same share
// still raises actions, is told why the decision is not theirs, and changes nothing by trying.
func TestOnlyAProsecutorRecordsAChargingDecision(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	caseworker := f.person(t, "cps-south-west", policies.RoleCPSLiaison)
	cv := f.chargingCase(t, caseworker)

	v, err := f.cases.Get(ctx, caseworker, cv.ID)
	modelstest.Must(t, err)
	if v.Actions.Decide || !v.Actions.Action || !v.NotProsecutor {
		t.Errorf("caseworker: decide %v, action %v, told why %v; want no decision, actions, and the reason", v.Actions.Decide, v.Actions.Action, v.NotProsecutor)
	}
	v, err = f.cases.Get(ctx, f.liaison, cv.ID)
	modelstest.Must(t, err)
	if !v.Actions.Decide || v.NotProsecutor {
		t.Errorf("prosecutor: decide %v, told otherwise %v", v.Actions.Decide, v.NotProsecutor)
	}

	before := f.fingerprint(t, cv.ID)
	for _, d := range []casefile.DecisionInput{
		{Decision: casefile.DecisionCharge, Reasons: "Met", Terms: chargeS2},
		{Decision: casefile.DecisionNFA, Reasons: "Not met", Terms: charging.Terms{Basis: charging.Evidential}},
		{Decision: casefile.DecisionFurtherEvidence, Reasons: "Gaps", Action: "Get the bank records"},
	} {
		_, err := f.cases.RecordDecision(ctx, caseworker, cv.ID, d)
		modelstest.WantCode(t, "a caseworker's "+string(d.Decision), err, core.EFORBIDDEN)
		if err == nil || !strings.Contains(err.Error(), "Only a Crown Prosecutor") {
			t.Errorf("the refusal says %q, want the reason", err)
		}
	}
	if after := f.fingerprint(t, cv.ID); after != before {
		t.Errorf("a refused decision changed the case: %s → %s", before, after)
	}
	_, err = f.cases.RaiseAction(ctx, caseworker, cv.ID, casefile.ActionInput{Text: "Obtain the ANPR records"})
	modelstest.Must(t, err)
	_, err = f.cases.RecordDecision(ctx, f.liaison, cv.ID, casefile.DecisionInput{Decision: casefile.DecisionCharge, Reasons: "Full Code Test met", Terms: chargeS2})
	modelstest.Must(t, err)
	if got := f.status(t, cv.ID); got != casefile.StatusChargeAuthorised {
		t.Errorf("after the prosecutor's decision the case is %q", got)
	}
}

// A Threshold Test pack goes with pre-charge items outstanding and names each; a Full Code Test
// pack is refused while any is outstanding; a charging pack needs its DG6 category and test,
// both reported at once.
func TestThresholdSubmissionNamesOutstandingItems(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv := f.newCase(t)

	_, err := f.cases.Submit(ctx, f.inv, cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeCharging})
	modelstest.WantCode(t, "a charging pack without category or test", err, core.EINVALID)
	if got := problemFields(err); !slices.Equal(got, []string{"dg6_category", "test"}) {
		t.Errorf("problems at %v, want the category and the test", got)
	}
	_, err = f.cases.Submit(ctx, f.inv, cv.ID, fullCode)
	modelstest.WantCode(t, "a Full Code Test pack with pre-charge items outstanding", err, core.ECONFLICT)

	items, err := f.cases.Checklist(ctx, f.inv, cv.ID)
	modelstest.Must(t, err)
	var outstanding []string
	for _, it := range items {
		if it.Required && (it.Stage == casefile.StageEIA || it.Stage == casefile.StagePreCharge) {
			outstanding = append(outstanding, it.Text)
		}
	}
	if len(outstanding) == 0 {
		t.Fatal("the s2 case has no required pre-charge items")
	}
	sub, err := f.cases.Submit(ctx, f.inv, cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeCharging,
		Submission: charging.Submission{Category: charging.Red, Test: charging.Threshold}})
	modelstest.Must(t, err)
	if sub.Category != charging.Red || sub.Test != charging.Threshold || !slices.Equal(sub.OutstandingList, outstanding) {
		t.Errorf("submission %s %s, outstanding %q; want red, threshold and %q", sub.Category, sub.Test, sub.OutstandingList, outstanding)
	}
	subs, err := f.cases.Submissions(ctx, f.inv, cv.ID)
	modelstest.Must(t, err)
	if len(subs) != 1 || !slices.Equal(subs[0].OutstandingList, outstanding) {
		t.Errorf("the stored submission names %v", subs)
	}
	page, err := f.cases.Timeline(ctx, f.inv, cv.ID, "", 0)
	timeline := page.Events
	modelstest.Must(t, err)
	if !strings.Contains(timeline[0].Details, "DG6 category: Red") || !strings.Contains(timeline[0].Details, outstanding[0]) {
		t.Errorf("the timeline says %q", timeline[0].Details)
	}
}

// A decision names its test (Threshold with a review date), the charges per suspect from the
// case's offences, or for no further action its basis; then the police record the charge, a
// second event by the team.
func TestChargingDecisionTermsAndThePoliceCharge(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	caseworker := f.person(t, "cps-south-west", policies.RoleCPSLiaison)
	cv := f.chargingCase(t, caseworker)
	decide := func(in casefile.DecisionInput) error {
		_, err := f.cases.RecordDecision(ctx, f.liaison, cv.ID, in)
		return err
	}
	today := f.clock.Now()
	yesterday, inAMonth := today.AddDate(0, 0, -1), today.AddDate(0, 1, 0)

	for _, c := range []struct {
		name string
		in   casefile.DecisionInput
		want []string
	}{
		{"charge with nothing", casefile.DecisionInput{Decision: casefile.DecisionCharge}, []string{"reasons", "test", "charges"}},
		{"threshold without a review date", casefile.DecisionInput{Decision: casefile.DecisionCharge, Reasons: "r", Terms: charging.Terms{Test: charging.Threshold, Charges: chargeS2.Charges}}, []string{"review_on"}},
		{"threshold reviewed in the past", casefile.DecisionInput{Decision: casefile.DecisionCharge, Reasons: "r", Terms: charging.Terms{Test: charging.Threshold, ReviewOn: &yesterday, Charges: chargeS2.Charges}}, []string{"review_on"}},
		{"a charge the case does not hold", casefile.DecisionInput{Decision: casefile.DecisionCharge, Reasons: "r", Terms: charging.Terms{Test: charging.FullCode,
			Charges: []charging.Charge{{Suspect: "S1", Offence: string(casefile.OffenceS1), Statute: "MSA 2015 s1"}, {Offence: string(casefile.OffenceS2)}}}}, []string{"charges.0.offence", "charges.1.suspect", "charges.1.statute"}},
		{"no further action without its basis", casefile.DecisionInput{Decision: casefile.DecisionNFA, Reasons: "r"}, []string{"nfa_basis"}},
		{"further evidence with no action, due in the past", casefile.DecisionInput{Decision: casefile.DecisionFurtherEvidence, ActionDue: &yesterday}, []string{"reasons", "action", "action_due_on"}},
	} {
		err := decide(c.in)
		modelstest.WantCode(t, c.name, err, core.EINVALID)
		if got := problemFields(err); !slices.Equal(got, c.want) {
			t.Errorf("%s: problems at %v, want %v", c.name, got, c.want)
		}
	}

	// The police cannot charge before the CPS authorised it; the CPS does not record the charge.
	chargedOn := today
	_, err := f.cases.RecordCharge(ctx, f.inv, cv.ID, casefile.ChargeInput{ChargedOn: &chargedOn, ChargedBy: "PS 1234 Example"})
	modelstest.WantCode(t, "a police charge before authorisation", err, core.ECONFLICT)

	modelstest.Must(t, decide(casefile.DecisionInput{Decision: casefile.DecisionCharge, Reasons: "Suspect in custody; financial evidence expected",
		Terms: charging.Terms{Test: charging.Threshold, ReviewOn: &inAMonth, Charges: []charging.Charge{
			{Suspect: " S1 ", Offence: string(casefile.OffenceS2), Statute: "Modern Slavery Act 2015 s2(1)"}, {}, {Suspect: "S2", Offence: string(casefile.OffenceS2), Statute: "Modern Slavery Act 2015 s2(1)"}}}}))
	actions, err := f.cases.Actions(ctx, f.inv, cv.ID, "", 0)
	modelstest.Must(t, err)
	d := actions.Actions[0]
	if d.Decision != casefile.DecisionCharge || d.Test != charging.Threshold || d.ReviewOn == nil || !d.ReviewOn.Equal(time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC)) ||
		len(d.Charges) != 2 || d.Charges[0].Suspect != "S1" || d.Charges[1].Suspect != "S2" {
		t.Errorf("the decision reads %+v", d)
	}
	v, err := f.cases.Get(ctx, f.inv, cv.ID)
	modelstest.Must(t, err)
	if v.Status != casefile.StatusChargeAuthorised || !v.Actions.Charge {
		t.Errorf("after authorisation: %s, record charge offered %v", v.Status, v.Actions.Charge)
	}
	_, err = f.cases.RecordCharge(ctx, f.liaison, cv.ID, casefile.ChargeInput{ChargedOn: &chargedOn, ChargedBy: "PS 1234 Example"})
	modelstest.WantCode(t, "the prosecutor recording the police charge", err, core.EFORBIDDEN)
	tomorrow := today.AddDate(0, 0, 1)
	_, err = f.cases.RecordCharge(ctx, f.inv, cv.ID, casefile.ChargeInput{ChargedOn: &tomorrow})
	modelstest.WantCode(t, "a charge tomorrow by nobody", err, core.EINVALID)
	if got := problemFields(err); !slices.Equal(got, []string{"charged_on", "charged_by"}) {
		t.Errorf("problems at %v", got)
	}
	mark := modelstest.NoticeMark(t, f.db)
	pc, err := f.cases.RecordCharge(ctx, f.inv, cv.ID, casefile.ChargeInput{ChargedOn: &chargedOn, ChargedBy: "PS 1234 Example"})
	modelstest.Must(t, err)
	if pc.ChargedBy != "PS 1234 Example" || pc.RecordedBy != f.inv.UserID || f.status(t, cv.ID) != casefile.StatusCharged {
		t.Errorf("police charge %+v, case %s", pc, f.status(t, cv.ID))
	}
	if got := modelstest.Recipients(modelstest.NoticesSince(t, f.db, mark), casefile.NoticeCaseCPS); !slices.Contains(got, f.liaison.UserID) {
		t.Errorf("the charge was notified to %v, want the prosecutor among them", got)
	}

	// No further action records its basis.
	other := f.chargingCase(t, caseworker)
	_, err = f.cases.RecordDecision(ctx, f.liaison, other.ID, casefile.DecisionInput{Decision: casefile.DecisionNFA, Reasons: "Victim cannot be traced",
		Terms: charging.Terms{Basis: charging.Evidential, Test: charging.FullCode, Charges: chargeS2.Charges}})
	modelstest.Must(t, err)
	actions, err = f.cases.Actions(ctx, f.inv, other.ID, "", 0)
	modelstest.Must(t, err)
	if a := actions.Actions[0]; a.Basis != charging.Evidential || a.Test != "" || len(a.Charges) != 0 || f.status(t, other.ID) != casefile.StatusNoFurtherAction {
		t.Errorf("no further action reads %+v", a)
	}
}

// The review of a Threshold Test decision is reminded once when it is near and once when it is
// past, to the prosecutor who made it and the lead investigator.
func TestRemindThresholdReviewsOnceEach(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	caseworker := f.person(t, "cps-south-west", policies.RoleCPSLiaison)
	cv := f.chargingCase(t, caseworker)
	review := f.clock.Now().AddDate(0, 0, 20)
	_, err := f.cases.RecordDecision(ctx, f.liaison, cv.ID, casefile.DecisionInput{Decision: casefile.DecisionCharge, Reasons: "In custody",
		Terms: charging.Terms{Test: charging.Threshold, ReviewOn: &review, Charges: chargeS2.Charges}})
	modelstest.Must(t, err)
	// A Full Code Test decision on another case is never reminded.
	full := f.chargingCase(t, caseworker)
	_, err = f.cases.RecordDecision(ctx, f.liaison, full.ID, casefile.DecisionInput{Decision: casefile.DecisionCharge, Reasons: "Met", Terms: chargeS2})
	modelstest.Must(t, err)

	run := func(at time.Time, want string) {
		t.Helper()
		f.clock.Set(at)
		got, err := f.s.Reviews.RemindThreshold(ctx)
		modelstest.Must(t, err)
		if got != want {
			t.Errorf("on %s: %q, want %q", at.Format(time.DateOnly), got, want)
		}
	}
	start := f.clock.Now()
	run(start, "no Threshold Test reviews reminded")
	run(start.AddDate(0, 0, 14), "1 Threshold Test review reminded")
	run(start.AddDate(0, 0, 15), "no Threshold Test reviews reminded")
	run(start.AddDate(0, 0, 21), "1 Threshold Test review reminded")
	run(start.AddDate(0, 0, 30), "no Threshold Test reviews reminded")
	for _, who := range []core.Actor{f.liaison, f.inv} {
		got := f.notices(t, who.UserID, casefile.NoticeCaseCPS)
		var reminders []string
		for _, n := range got {
			if strings.Contains(n, "Threshold Test") {
				reminders = append(reminders, n)
			}
		}
		if len(reminders) != 2 || !strings.Contains(reminders[0], "by 22 March 2026") || !strings.Contains(reminders[1], "overdue") {
			t.Errorf("user %d was reminded %q", who.UserID, reminders)
		}
	}
}
