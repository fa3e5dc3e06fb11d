package court_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/casefiletest"
	"github.com/msptp/msphub/models/casefile/court"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
)

const home = "devon-and-cornwall-police"

// fixture is the services on a fresh database of the backend under test, with a case team, a
// supervisor, a CPS liaison and an investigator of the same force not on the team.
type fixture struct {
	db                          *core.DB
	s                           *models.Services
	clock                       *modelstest.Clock
	inv, sup, liaison, outsider core.Actor
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clock := modelstest.ClockAt(time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC))
	d := modelstest.Deps(t, modelstest.BlobBackend(t), clock)
	s := models.New(d)
	people := modelstest.People{Operator: s.Operator, Clock: clock, Prefix: "court", Name: "Court Person"}
	f := &fixture{db: d.DB, s: s, clock: clock}
	f.inv = people.Vetted(t, home, core.VettingRV, policies.RoleInvestigator)
	f.sup = people.Vetted(t, home, core.VettingRV, policies.RoleSupervisor)
	f.liaison = people.Prosecutor(t, "cps-south-west")
	f.outsider = people.Vetted(t, home, core.VettingRV, policies.RoleInvestigator)
	return f
}

func day(s string) *time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &d
}

// chargedCase opens an s2 case with one suspect (of an operation) charged with s2 and an
// alternative charge, and drives it to charged through the real operations: the charging decision of a
// pack shared with the liaison. It returns the case and the suspect's charge ids.
func (f *fixture) chargedCase(t *testing.T, urn string) (int64, []int64) {
	t.Helper()
	ctx := context.Background()
	cs, ops := f.s.CaseFiles, f.s.Operations
	cv, err := cs.Create(ctx, f.inv, casefile.CaseInput{URN: urn, Operation: "Lantern", Offences: []casefile.Offence{casefile.OffenceS2},
		Classification: "OFFICIAL", SupervisorID: f.sup.UserID})
	modelstest.Must(t, err)
	op, err := ops.Create(ctx, f.inv, operations.OperationInput{Reference: "OP/" + urn, Name: "Lantern", LeadOfficer: f.inv.Email, Status: terms.StatusLive,
		StartedOn: *day("2026-01-10"), Exploitation: []terms.Exploitation{terms.ExploitLabour}})
	modelstest.Must(t, err)
	modelstest.Must(t, ops.LinkCase(ctx, f.inv, op.ID, cv.ID))
	sv, err := ops.AddSuspect(ctx, f.inv, op.ID, operations.SuspectInput{PersonInput: operations.PersonInput{Reference: "S1", AgeBand: terms.Age35to44, Sex: terms.SexMale},
		Charges: []operations.ChargeInput{{Offence: terms.OffenceS2, ChargedOn: *day("2026-06-01")}, {Offence: terms.OffenceAlternative, ChargedOn: *day("2026-06-01")}}})
	modelstest.Must(t, err)
	modelstest.Must(t, ops.AttachToCase(ctx, f.inv, op.ID, operations.KindSuspect, sv.ID, cv.ID))
	casefiletest.Charge(t, cs, f.inv, f.sup, f.liaison, cv.ID, f.clock.Now())
	return cv.ID, []int64{sv.Charges[0].ID, sv.Charges[1].ID}
}

// input is a valid step to stage on 10 June 2026.
func input(stage court.Stage) court.StepInput {
	in := court.StepInput{Step: stage, On: day("2026-06-10")}
	switch stage {
	case court.StageFirstHearing:
		in.Plea, in.NextOn = court.PleaNotGuilty, day("2026-06-20")
	case court.StagePTPH:
		in.NextOn = day("2026-07-20")
	case court.StageSentenced:
		in.Details, in.STPO = "S1: 8 years' imprisonment", true
	case court.StageConfiscation:
		in.AmountPounds, in.Reparation = 25000, true
	}
	return in
}

var allSteps = []court.Stage{court.StageFirstHearing, court.StagePTPH, court.StageFullFile, court.StageDefenceStatement, court.StageDisclosureReview,
	court.StageFurtherDisclosure, court.StageTrial, court.StageOutcomes, court.StageSentenced, court.StageConfiscation}

// walk records each step of path on case id, first trying every step the stage does not allow
// (refused as a conflict, changing nothing) and, before any outcome, closing the case (refused
// while the proceedings go on: a charged case without a step closes as it always did).
func (f *fixture) walk(t *testing.T, id int64, record map[court.Stage]core.Actor, path ...court.Stage) {
	t.Helper()
	ctx := context.Background()
	for _, to := range path {
		v, err := f.s.Court.ForCase(ctx, f.inv, id)
		modelstest.Must(t, err)
		for _, other := range allSteps {
			if slices.ContainsFunc(v.Next, func(n court.NextStep) bool { return n.Step == other }) {
				continue
			}
			_, err := f.s.Court.Record(ctx, f.inv, id, input(other))
			modelstest.WantCode(t, string(v.Stage)+" → "+string(other), err, core.ECONFLICT)
		}
		if slices.Contains(allSteps[:7], v.Stage) {
			modelstest.WantCode(t, "closing at "+string(v.Stage), f.s.CaseFiles.Close(ctx, f.sup, id), core.ECONFLICT)
		}
		who := f.inv
		if a, ok := record[to]; ok {
			who = a
		}
		got, err := f.s.Court.Record(ctx, who, id, input(to))
		if err != nil {
			t.Fatalf("%s → %s: %v", v.Stage, to, err)
		}
		if got.Stage != to || got.Steps[len(got.Steps)-1].Step != to {
			t.Fatalf("after the step to %s: %+v", to, got)
		}
	}
}

// A not guilty plea goes the whole way: PTPH, full file, defence statement, disclosure review,
// further disclosure, trial, the outcome of every charge (on the suspect record), sentence,
// confiscation; then the supervisor closes the case. Every step the stage does not allow is
// refused on the way, and so is closing until the proceedings are over.
func TestTheCaseGoesOnAfterChargeToClosure(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id, charges := f.chargedCase(t, "45AB1234523")
	v, err := f.s.Court.ForCase(ctx, f.inv, id)
	modelstest.Must(t, err)
	if v == nil || v.Stage != court.StageCharged || !v.Actions.Record || !v.Actions.Custody || len(v.Next) != 1 {
		t.Fatalf("a charged case: %+v", v)
	}
	liaisonView, err := f.s.Court.ForCase(ctx, f.liaison, id)
	modelstest.Must(t, err)
	if liaisonView.Actions.Record || liaisonView.Actions.Custody {
		t.Errorf("the liaison may record the first hearing file or custody: %+v", liaisonView.Actions)
	}
	mark := modelstest.NoticeMark(t, f.db)
	f.walk(t, id, nil, court.StageFirstHearing, court.StagePTPH, court.StageFullFile, court.StageDefenceStatement,
		court.StageDisclosureReview, court.StageFurtherDisclosure, court.StageTrial)
	if got := modelstest.Recipients(modelstest.NoticesSince(t, f.db, mark), court.NoticeCourt); !slices.Equal(got, modelstest.UserIDs(f.liaison)) {
		t.Errorf("the steps were told to %v, want the liaison (the investigator recorded them)", got)
	}

	// The outcomes are the suspect's record: until every charge has one, the step is refused.
	_, err = f.s.Court.Record(ctx, f.liaison, id, input(court.StageOutcomes))
	modelstest.WantCode(t, "outcomes with both charges pending", err, core.ECONFLICT)
	_, err = f.s.Operations.RecordOutcome(ctx, f.liaison, id, charges[0], operations.OutcomeInput{Outcome: terms.OutcomeConvictedTrial, OutcomeOn: day("2026-06-12")})
	modelstest.Must(t, err)
	_, err = f.s.Court.Record(ctx, f.liaison, id, input(court.StageOutcomes))
	modelstest.WantCode(t, "outcomes with one charge pending", err, core.ECONFLICT)
	_, err = f.s.Operations.RecordOutcome(ctx, f.inv, id, charges[1], operations.OutcomeInput{Outcome: terms.OutcomeAcquitted, OutcomeOn: day("2026-06-12")})
	modelstest.Must(t, err)
	co, err := f.s.Operations.ForCase(ctx, f.sup, id)
	modelstest.Must(t, err)
	if got := co.Suspects[0].Charges; got[0].Outcome != terms.OutcomeConvictedTrial || got[1].Outcome != terms.OutcomeAcquitted {
		t.Errorf("the suspect record: %+v", got)
	}
	// The prosecutor records the results.
	f.walk(t, id, map[court.Stage]core.Actor{court.StageOutcomes: f.liaison, court.StageSentenced: f.liaison, court.StageConfiscation: f.liaison},
		court.StageOutcomes, court.StageSentenced, court.StageConfiscation)
	_, err = f.s.Court.Record(ctx, f.liaison, id, input(court.StageConfiscation))
	modelstest.WantCode(t, "a second confiscation", err, core.ECONFLICT)

	v, err = f.s.Court.ForCase(ctx, f.sup, id)
	modelstest.Must(t, err)
	if len(v.Next) != 0 || v.Actions.Record || len(v.Steps) != 10 || !v.Steps[8].STPO || v.Steps[9].AmountPounds != 25000 || !v.Steps[9].Reparation {
		t.Errorf("after confiscation: %+v", v)
	}
	cv, err := f.s.CaseFiles.Get(ctx, f.sup, id)
	modelstest.Must(t, err)
	if !cv.Actions.Close {
		t.Error("the supervisor is not offered to close the case once the proceedings are over")
	}
	modelstest.Must(t, f.s.CaseFiles.Close(ctx, f.sup, id))
	v, err = f.s.Court.ForCase(ctx, f.inv, id)
	modelstest.Must(t, err)
	if v.Stage != court.StageClosed || len(v.Next) != 0 {
		t.Errorf("after closing: %+v", v)
	}
	_, err = f.s.Court.Record(ctx, f.inv, id, input(court.StageFirstHearing))
	modelstest.WantCode(t, "a step on a closed case", err, core.ECONFLICT)
	if modelstest.AuditCount(t, f.db, "casefile.court_step", core.IDString(id)) != 10 {
		t.Error("the steps are not audited")
	}
}

// A guilty plea at the first hearing goes to sentence; an acquittal of every charge closes
// without one, and a conviction does not close before its sentence.
func TestPleasAndAcquittalsTakeTheShortWays(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	plea, charges := f.chargedCase(t, "45AB1234523")
	in := input(court.StageFirstHearing)
	in.Plea = court.PleaGuilty
	_, err := f.s.Court.Record(ctx, f.inv, plea, in)
	modelstest.Must(t, err)
	for _, ch := range charges {
		_, err := f.s.Operations.RecordOutcome(ctx, f.inv, plea, ch, operations.OutcomeInput{Outcome: terms.OutcomeConvictedPlea, OutcomeOn: day("2026-06-10")})
		modelstest.Must(t, err)
	}
	f.walk(t, plea, nil, court.StageOutcomes)
	modelstest.WantCode(t, "closing a conviction before its sentence", f.s.CaseFiles.Close(ctx, f.sup, plea), core.ECONFLICT)
	if cv, err := f.s.CaseFiles.Get(ctx, f.sup, plea); err != nil || cv.Actions.Close {
		t.Errorf("the supervisor is offered to close a conviction before its sentence: %v", err)
	}
	f.walk(t, plea, nil, court.StageSentenced)
	modelstest.Must(t, f.s.CaseFiles.Close(ctx, f.sup, plea))

	acquitted, charges := f.chargedCase(t, "45AB1234524")
	f.walk(t, acquitted, nil, court.StageFirstHearing, court.StagePTPH, court.StageDefenceStatement, court.StageDisclosureReview, court.StageTrial)
	for _, ch := range charges {
		_, err := f.s.Operations.RecordOutcome(ctx, f.liaison, acquitted, ch, operations.OutcomeInput{Outcome: terms.OutcomeAcquitted, OutcomeOn: day("2026-06-10")})
		modelstest.Must(t, err)
	}
	f.walk(t, acquitted, nil, court.StageOutcomes)
	_, err = f.s.Court.Record(ctx, f.inv, acquitted, input(court.StageSentenced))
	modelstest.WantCode(t, "a sentence without a conviction", err, core.ECONFLICT)
	modelstest.Must(t, f.s.CaseFiles.Close(ctx, f.sup, acquitted))
}

// Who records what: the team every step and custody; the liaison the results only; the
// supervisor nothing (they close); someone off the team finds no case. A case not charged has
// nothing after charge, and a step's fields are checked all at once.
func TestWhoRecordsTheCaseAfterCharge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id, charges := f.chargedCase(t, "45AB1234523")
	_, err := f.s.Court.Record(ctx, f.liaison, id, input(court.StageFirstHearing))
	modelstest.WantCode(t, "the liaison records the first hearing file", err, core.EFORBIDDEN)
	_, err = f.s.Court.Record(ctx, f.sup, id, input(court.StageFirstHearing))
	modelstest.WantCode(t, "the supervisor records the first hearing file", err, core.EFORBIDDEN)
	_, err = f.s.Court.Record(ctx, f.sup, id, court.StepInput{})
	modelstest.WantCode(t, "the supervisor records nothing", err, core.EFORBIDDEN)
	_, err = f.s.Court.Record(ctx, f.outsider, id, input(court.StageFirstHearing))
	modelstest.WantCode(t, "someone off the team", err, core.ENOTFOUND)
	_, err = f.s.Court.ForCase(ctx, f.outsider, id)
	modelstest.WantCode(t, "someone off the team reads", err, core.ENOTFOUND)
	_, err = f.s.Court.SetCustody(ctx, f.liaison, id, court.CustodyInput{})
	modelstest.WantCode(t, "the liaison records custody", err, core.EFORBIDDEN)
	_, err = f.s.Court.Record(ctx, f.liaison, id, court.StepInput{})
	modelstest.WantCode(t, "the liaison names no step", err, core.EINVALID)

	_, err = f.s.Court.Record(ctx, f.inv, id, court.StepInput{Step: court.StageFirstHearing, On: day("2026-06-16"), NextOn: day("2026-06-01")})
	if fields := modelstest.Problems(t, err); len(fields) != 3 || fields["on"] == "" || fields["next_on"] == "" || fields["plea"] == "" {
		t.Errorf("every problem at once: %v", fields)
	}

	// Convicted of the alternative charge only: no reparation order (MSA 2015 s8 needs s1, s2 or s4).
	f.walk(t, id, nil, court.StageFirstHearing)
	for ch, o := range map[int64]terms.Outcome{charges[0]: terms.OutcomeAcquitted, charges[1]: terms.OutcomeConvictedPlea} {
		_, err := f.s.Operations.RecordOutcome(ctx, f.inv, id, ch, operations.OutcomeInput{Outcome: o, OutcomeOn: day("2026-06-10")})
		modelstest.Must(t, err)
	}
	f.walk(t, id, map[court.Stage]core.Actor{court.StageOutcomes: f.liaison}, court.StageOutcomes)
	_, err = f.s.Court.Record(ctx, f.liaison, id, court.StepInput{Step: court.StageSentenced, On: day("2026-06-10")})
	if fields := modelstest.Problems(t, err); fields["details"] == "" {
		t.Errorf("a sentence without its details: %v", fields)
	}
	f.walk(t, id, map[court.Stage]core.Actor{court.StageSentenced: f.liaison}, court.StageSentenced)
	_, err = f.s.Court.Record(ctx, f.liaison, id, input(court.StageConfiscation))
	if fields := modelstest.Problems(t, err); fields["reparation"] == "" {
		t.Errorf("a reparation order without an MSA conviction: %v", fields)
	}
	in := input(court.StageConfiscation)
	in.Reparation = false
	_, err = f.s.Court.Record(ctx, f.liaison, id, in)
	modelstest.Must(t, err)

	open, err := f.s.CaseFiles.Create(ctx, f.inv, casefile.CaseInput{URN: "45AB1234599", Operation: "Kite", Offences: []casefile.Offence{casefile.OffenceS1},
		Classification: "OFFICIAL", SupervisorID: f.sup.UserID})
	modelstest.Must(t, err)
	v, err := f.s.Court.ForCase(ctx, f.inv, open.ID)
	if err != nil || v != nil {
		t.Errorf("a case in preparation after charge: %+v, %v", v, err)
	}
	_, err = f.s.Court.Record(ctx, f.inv, open.ID, input(court.StageFirstHearing))
	modelstest.WantCode(t, "a step before charge", err, core.ECONFLICT)
	_, err = f.s.Court.SetCustody(ctx, f.inv, open.ID, court.CustodyInput{Defendant: "S1", Status: court.OnBail, SinceOn: day("2026-06-01")})
	modelstest.WantCode(t, "custody before charge", err, core.ECONFLICT)
}

// remind runs job at 9am on day at and returns whom it told.
func (f *fixture) remind(t *testing.T, at string, job func(context.Context) (string, error)) []int64 {
	t.Helper()
	f.clock.Set(day(at).Add(9 * time.Hour))
	mark := modelstest.NoticeMark(t, f.db)
	_, err := job(context.Background())
	modelstest.Must(t, err)
	return modelstest.Recipients(modelstest.NoticesSince(t, f.db, mark), court.NoticeCourt)
}

// The PTPH's full file date makes the outstanding full-file items due by it, and the team is
// reminded as it comes and once it has passed, each reminder once.
func TestTheFullFileFallsDueByTheCourtsDate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id, _ := f.chargedCase(t, "45AB1234523")
	f.walk(t, id, nil, court.StageFirstHearing, court.StagePTPH)
	items, err := f.s.CaseFiles.Checklist(ctx, f.inv, id)
	modelstest.Must(t, err)
	due := 0
	for _, it := range items {
		if it.Stage == casefile.StageFullFile && it.Status == casefile.ItemOutstanding {
			if it.DueOn == nil || !it.DueOn.Equal(*day("2026-07-20")) {
				t.Errorf("full-file item %q due %v, want 20 July 2026", it.Text, it.DueOn)
			}
			due++
		}
		if it.Stage == casefile.StagePreCharge && it.DueOn != nil {
			t.Errorf("a pre-charge item became due: %+v", it)
		}
	}
	if due == 0 {
		t.Fatal("the case has no full-file items")
	}
	remind := func(at string) []int64 { return f.remind(t, at, f.s.Court.RemindFullFiles) }
	team := modelstest.UserIDs(f.inv)
	for _, c := range []struct {
		at   string
		want []int64
	}{{"2026-07-12", nil}, {"2026-07-13", team}, {"2026-07-14", nil}, {"2026-07-20", nil}, {"2026-07-21", team}, {"2026-07-22", nil}} {
		if got := remind(c.at); !slices.Equal(got, c.want) {
			t.Errorf("on %s reminded %v, want %v", c.at, got, c.want)
		}
	}
	v, err := f.s.Court.ForCase(ctx, f.inv, id)
	modelstest.Must(t, err)
	if !v.FullFileOverdue {
		t.Error("the page does not say the full file is overdue")
	}
}

// A defendant remanded in custody has a custody time limit: the team and the prosecutor are
// reminded as it comes and on its last days, each once; a
// defendant bailed since is not reminded of.
func TestCustodyTimeLimitsAreReminded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id, _ := f.chargedCase(t, "45AB1234523")
	_, err := f.s.Court.SetCustody(ctx, f.inv, id, court.CustodyInput{Status: court.InCustody, SinceOn: day("2026-06-16")})
	if fields := modelstest.Problems(t, err); len(fields) != 3 || fields["defendant"] == "" || fields["since_on"] == "" || fields["ctl_expires_on"] == "" {
		t.Errorf("every problem at once: %v", fields)
	}
	v, err := f.s.Court.SetCustody(ctx, f.inv, id, court.CustodyInput{Defendant: "S1", Status: court.InCustody, SinceOn: day("2026-06-01"), CTLExpiresOn: day("2026-07-01")})
	modelstest.Must(t, err)
	_, err = f.s.Court.SetCustody(ctx, f.inv, id, court.CustodyInput{Defendant: "S2", Status: court.InCustody, SinceOn: day("2026-06-01"), CTLExpiresOn: day("2026-06-30")})
	modelstest.Must(t, err)
	if len(v.Custody) != 1 || v.Custody[0].CTLDueSoon {
		t.Errorf("custody: %+v", v.Custody)
	}
	remind := func(at string) []int64 { return f.remind(t, at, f.s.Court.RemindCustodyLimits) }
	everyone := modelstest.UserIDs(f.inv, f.liaison)
	if got := remind("2026-06-22"); got != nil {
		t.Errorf("9 days before: reminded %v", got)
	}
	if got := remind("2026-06-23"); !slices.Equal(got, everyone) {
		t.Errorf("7 days before S2's limit: reminded %v, want %v", got, everyone)
	}
	// S2 is bailed: only S1's limit is reminded of from now on.
	_, err = f.s.Court.SetCustody(ctx, f.inv, id, court.CustodyInput{Defendant: "S2", Status: court.OnBail, SinceOn: day("2026-06-23")})
	modelstest.Must(t, err)
	if got := remind("2026-06-24"); !slices.Equal(got, everyone) {
		t.Errorf("7 days before S1's limit: reminded %v, want %v", got, everyone)
	}
	for _, at := range []string{"2026-06-25", "2026-06-29"} {
		if got := remind(at); got != nil {
			t.Errorf("on %s: reminded again %v", at, got)
		}
	}
	if got := remind("2026-06-30"); !slices.Equal(got, everyone) {
		t.Errorf("the day before S1's limit: reminded %v, want %v", got, everyone)
	}
	if got := remind("2026-07-01"); got != nil {
		t.Errorf("reminded a third time: %v", got)
	}
	v, err = f.s.Court.ForCase(ctx, f.inv, id)
	modelstest.Must(t, err)
	if len(v.Custody) != 2 || v.Custody[0].Defendant != "S1" || !v.Custody[0].CTLDueSoon || v.Custody[1].Status != court.OnBail {
		t.Errorf("current custody: %+v", v.Custody)
	}
}
