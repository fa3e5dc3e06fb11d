package operations_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
)

const (
	home    = "devon-and-cornwall-police"
	partner = "national-crime-agency"
	other   = "dorset-police"
)

// fixture is the operations on a fresh database of the backend under test, with people of the
// owning force, a partner agency, another force, and the roles that see no record.
type fixture struct {
	d      core.Deps
	db     *core.DB
	s      *models.Services
	ops    *operations.Service
	clock  *modelstest.Clock
	people modelstest.People

	inv, officer, sup, outsider  core.Actor // the owning force: lead investigator, an officer, a supervisor, an officer not named
	nca, nca2                    core.Actor // officers of the partner agency
	dorset, admin, analyst, cps  core.Actor // another force's officer, the owning force's administrator and analyst, a CPS liaison
	orgAdmin, unvetted, national core.Actor // an organisation administrator, an investigator without vetting, a national analyst
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clock := modelstest.ClockAt(time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC))
	d := modelstest.Deps(t, modelstest.BlobBackend(t), clock)
	s := models.New(d)
	f := &fixture{d: d, db: d.DB, s: s, ops: s.Operations, clock: clock, people: modelstest.People{Operator: s.Operator, Clock: clock, Prefix: "op", Name: "Op Person"}}
	p := func(org string, roles ...string) core.Actor { return f.people.Vetted(t, org, core.VettingRV, roles...) }
	f.inv = p(home, policies.RoleInvestigator)
	f.officer = p(home, policies.RoleOfficer)
	f.sup = p(home, policies.RoleSupervisor)
	f.outsider = p(home, policies.RoleOfficer)
	f.nca = p(partner, policies.RoleOfficer)
	f.nca2 = p(partner, policies.RoleInvestigator)
	f.dorset = p(other, policies.RoleSupervisor)
	f.admin = p(home, policies.RoleAdmin)
	f.analyst = p(home, policies.RoleAnalyst)
	f.orgAdmin = p(home, policies.RoleOrgAdmin)
	f.national = p("modern-slavery-and-organised-immigration-crime-unit", policies.RoleAnalyst)
	f.cps = p("cps-south-west", policies.RoleCPSLiaison)
	f.unvetted = f.people.Vetted(t, home, core.VettingNone, policies.RoleInvestigator)
	return f
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	return modelstest.Problems(t, err)
}

func (f *fixture) input(ref string) operations.OperationInput {
	return operations.OperationInput{Reference: ref, Name: "Lantern", LeadOfficer: f.inv.Email, Status: terms.StatusLive,
		StartedOn: *day("2026-01-10"), Exploitation: []terms.Exploitation{terms.ExploitLabour}, Partners: []string{partner}, CrossBorder: true}
}

// newOperation records a joint operation led by f.inv with the NCA, naming f.officer and f.nca.
func (f *fixture) newOperation(t *testing.T) operations.OperationView {
	t.Helper()
	ctx := context.Background()
	v := must[operations.OperationView](t)(f.ops.Create(ctx, f.inv, f.input("OP/2026/1")))
	must[operations.Member](t)(f.ops.AddMember(ctx, f.inv, v.ID, f.officer.Email))
	must[operations.Member](t)(f.ops.AddMember(ctx, f.inv, v.ID, strings.ToUpper(f.nca.Email)))
	return v
}

func TestWhoSeesWhichOperation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	op := f.newOperation(t)
	// Another operation of the same force that only its supervisor oversees.
	other := must[operations.OperationView](t)(f.ops.Create(ctx, f.sup, operations.OperationInput{Reference: "OP-2", Name: "Operation Kite",
		LeadOfficer: f.sup.Email, Status: terms.StatusSuspended, StartedOn: *day("2026-02-01"), Exploitation: []terms.Exploitation{terms.ExploitSexual}}))

	sees := map[string]struct {
		who  core.Actor
		want []int64
	}{
		"lead investigator":            {f.inv, []int64{op.ID}},
		"named officer":                {f.officer, []int64{op.ID}},
		"owning supervisor":            {f.sup, []int64{other.ID, op.ID}},
		"named joint member":           {f.nca, []int64{op.ID}},
		"partner officer not named":    {f.nca2, nil},
		"owning officer not named":     {f.outsider, nil},
		"another force's supervisor":   {f.dorset, nil},
		"administrator":                {f.admin, nil},
		"organisation administrator":   {f.orgAdmin, nil},
		"analyst":                      {f.analyst, nil},
		"national analyst":             {f.national, nil},
		"CPS liaison":                  {f.cps, nil},
		"investigator without vetting": {f.unvetted, nil},
	}
	for name, c := range sees {
		t.Run(name, func(t *testing.T) {
			page := must[operations.Page](t)(f.ops.List(ctx, c.who, operations.Filter{}, "", 0))
			var got []int64
			for _, o := range page.Operations {
				got = append(got, o.ID)
			}
			if len(got) != len(c.want) || (len(got) > 0 && (got[0] != c.want[0] || got[len(got)-1] != c.want[len(c.want)-1])) {
				t.Errorf("lists %v, want %v", got, c.want)
			}
			for _, id := range []int64{op.ID, other.ID} {
				listed := false
				for _, w := range c.want {
					listed = listed || w == id
				}
				_, err := f.ops.Get(ctx, c.who, id)
				if listed && err != nil {
					t.Errorf("get %d: %v", id, err)
				}
				if !listed {
					modelstest.WantCode(t, "get", err, core.ENOTFOUND)
					_, err = f.ops.Victim(ctx, c.who, id, 1)
					modelstest.WantCode(t, "victim", err, core.ENOTFOUND)
					_, err = f.ops.Update(ctx, c.who, id, f.input("X"))
					modelstest.WantCode(t, "update", err, core.ENOTFOUND)
				}
			}
		})
	}
	if n := modelstest.AuditCount(t, f.db, "operation.read", core.IDString(op.ID)); n < 4 {
		t.Errorf("%d reads of the operation audited, want one per successful get", n)
	}
	// Filters: status and a search on the name or reference.
	page := must[operations.Page](t)(f.ops.List(ctx, f.sup, operations.Filter{Status: []terms.Status{terms.StatusSuspended}}, "", 0))
	if len(page.Operations) != 1 || page.Operations[0].ID != other.ID || !page.Actions.Create {
		t.Errorf("suspended: %+v", page)
	}
	for q, want := range map[string]int64{"kite": other.ID, "op/2026": op.ID, "LANTERN": op.ID} {
		page = must[operations.Page](t)(f.ops.List(ctx, f.sup, operations.Filter{Query: q}, "", 0))
		if len(page.Operations) != 1 || page.Operations[0].ID != want {
			t.Errorf("search %q: %+v", q, page.Operations)
		}
	}
	_, err := f.ops.List(ctx, f.sup, operations.Filter{Status: []terms.Status{"paused"}}, "", 0)
	modelstest.WantCode(t, "unknown status", err, core.EINVALID)
	// Pages of one.
	first := must[operations.Page](t)(f.ops.List(ctx, f.sup, operations.Filter{}, "", 1))
	second := must[operations.Page](t)(f.ops.List(ctx, f.sup, operations.Filter{}, first.Next, 1))
	if len(first.Operations) != 1 || first.Next == "" || len(second.Operations) != 1 || second.Next != "" || first.Operations[0].ID == second.Operations[0].ID {
		t.Errorf("pages: %+v then %+v", first, second)
	}
	// Administrators and analysts may not record operations either.
	for _, who := range []core.Actor{f.admin, f.analyst, f.cps, f.unvetted} {
		_, err := f.ops.Create(ctx, who, f.input("OP-9"))
		modelstest.WantCode(t, "create by "+who.Email, err, core.EFORBIDDEN)
	}
}

func TestWhatEachPersonMayDoToAnOperation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	op := f.newOperation(t)
	for _, c := range []struct {
		who                core.Actor
		update, manageTeam bool
	}{{f.inv, true, true}, {f.officer, true, false}, {f.nca, true, false}, {f.sup, true, true}} {
		v := must[operations.OperationView](t)(f.ops.Get(ctx, c.who, op.ID))
		if v.Actions.Update != c.update || v.Actions.ManageTeam != c.manageTeam {
			t.Errorf("%s: actions %+v", c.who.Email, v.Actions)
		}
	}
	_, err := f.ops.AddMember(ctx, f.officer, op.ID, f.outsider.Email)
	modelstest.WantCode(t, "a member names another", err, core.EFORBIDDEN)
	v := must[operations.OperationView](t)(f.ops.Get(ctx, f.nca, op.ID))
	if !v.Joint || len(v.Partners) != 1 || v.Partners[0].Slug != partner || len(v.Members) != 3 || v.LeadOfficerEmail != f.inv.Email || v.Marking != "OFFICIAL-SENSITIVE" {
		t.Errorf("view: %+v", v)
	}
}

func TestMembersAreOfTheOwnerOrAPartnerAndAreTold(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	op := f.newOperation(t)
	for who, want := range map[string]string{f.dorset.Email: "partner organisation", f.admin.Email: "officer, investigator or supervisor",
		"nobody@example.police.uk": "active MSP Hub account", "": "Enter the email address"} {
		_, err := f.ops.AddMember(ctx, f.inv, op.ID, who)
		if got := fields(t, err)["email"]; !strings.Contains(got, want) {
			t.Errorf("add %q: %q, want it to say %q", who, got, want)
		}
	}
	_, err := f.ops.AddMember(ctx, f.sup, op.ID, f.officer.Email)
	modelstest.WantCode(t, "twice", err, core.ECONFLICT)
	m := must[operations.Member](t)(f.ops.AddMember(ctx, f.sup, op.ID, f.nca2.Email))
	if !m.OtherOrg || m.UserID != f.nca2.UserID {
		t.Errorf("member %+v", m)
	}
	notes := must[core.NotificationPage](t)(f.s.Notifications.List(ctx, f.nca2, "", 10))
	if len(notes.Notifications) != 1 || notes.Notifications[0].Link != "/operations/"+core.IDString(op.ID) || notes.Notifications[0].Kind != operations.NoticeOperationMember {
		t.Errorf("notifications of the person added: %+v", notes.Notifications)
	}
	must[operations.OperationView](t)(f.ops.Get(ctx, f.nca2, op.ID))
	modelstest.Must(t, f.ops.RemoveMember(ctx, f.inv, op.ID, m.ID))
	_, err = f.ops.Get(ctx, f.nca2, op.ID)
	modelstest.WantCode(t, "removed member", err, core.ENOTFOUND)
	// Taking the partner off takes its people off.
	in := f.input("OP/2026/1")
	in.Partners = nil
	v := must[operations.OperationView](t)(f.ops.Update(ctx, f.inv, op.ID, in))
	if v.Joint || len(v.Members) != 2 {
		t.Errorf("after the partner left: joint %v, members %+v", v.Joint, v.Members)
	}
	_, err = f.ops.Get(ctx, f.nca, op.ID)
	modelstest.WantCode(t, "member of a former partner", err, core.ENOTFOUND)
	if modelstest.AuditCount(t, f.db, "operation.member_add", core.IDString(op.ID)) != 3 || modelstest.AuditCount(t, f.db, "operation.member_remove", core.IDString(op.ID)) != 1 {
		t.Error("member changes not audited")
	}
}

func TestAnOperationReportsEveryProblemAtOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.newOperation(t)
	in := operations.OperationInput{Reference: "OP/2026/1", Name: "", LeadOfficer: f.dorset.Email, Status: terms.StatusClosed,
		StartedOn: *day("2026-03-01"), EndedOn: day("2026-02-01"), Partners: []string{"no-such-org", home}}
	got := fields(t, func() error { _, err := f.ops.Create(ctx, f.inv, in); return err }())
	for _, field := range []string{"reference", "name", "lead_officer", "ended_on", "exploitation", "partners"} {
		if got[field] == "" {
			t.Errorf("no problem on %s: %v", field, got)
		}
	}
	if !strings.Contains(got["reference"], "already has an operation with this reference") {
		t.Errorf("reference: %q", got["reference"])
	}
	// The same reference in another organisation is another operation.
	in = f.input("OP/2026/1")
	in.LeadOfficer, in.Partners = f.dorset.Email, nil
	must[operations.OperationView](t)(f.ops.Create(ctx, f.dorset, in))
	// No date after today in London by the service's clock.
	in = f.input("OP-3")
	in.StartedOn = *day("2026-06-16")
	if got := fields(t, func() error { _, err := f.ops.Create(ctx, f.inv, in); return err }()); !strings.Contains(got["started_on"], "today or in the past") {
		t.Errorf("future start: %v", got)
	}
	f.clock.Set(time.Date(2026, 6, 15, 23, 30, 0, 0, time.UTC)) // already 16 June in London
	must[operations.OperationView](t)(f.ops.Create(ctx, f.inv, in))
}

func TestVictimsAndSuspectsFollowTheDateRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	op := f.newOperation(t)
	good := operations.VictimInput{PersonInput: operations.PersonInput{Reference: "V1", AgeBand: terms.Age16to17, Sex: terms.SexFemale, Nationality: "vn",
		Exploitation: []terms.Exploitation{terms.ExploitCountyLines}}, NRMReferredOn: day("2026-02-01"), FirstResponder: terms.FRPolice,
		RGDecidedOn: day("2026-02-05"), RGOutcome: terms.DecisionPositive}
	v := must[operations.VictimView](t)(f.ops.AddVictim(ctx, f.nca, op.ID, good))
	if !v.Child || v.Nationality != "VN" || v.NationalityName != "Vietnam" || len(v.Exploitation) != 1 {
		t.Errorf("victim %+v", v)
	}
	bad := good
	bad.CGDecidedOn, bad.CGOutcome, bad.DutyToNotify = day("2026-02-04"), terms.DecisionPositive, true
	got := fields(t, func() error { _, err := f.ops.UpdateVictim(ctx, f.inv, op.ID, v.ID, bad); return err }())
	if !strings.Contains(got["cg_decided_on"], "after the date of the reasonable grounds decision") || got["duty_to_notify"] == "" {
		t.Errorf("CG before RG and Duty to Notify for a child: %v", got)
	}
	bad = good
	bad.RGOutcome = terms.DecisionNegative
	bad.CGDecidedOn, bad.CGOutcome = day("2026-04-01"), terms.DecisionPositive
	got = fields(t, func() error { _, err := f.ops.UpdateVictim(ctx, f.inv, op.ID, v.ID, bad); return err }())
	if got["cg_decided_on"] != "A conclusive grounds decision follows a positive reasonable grounds decision: record that first, or remove the conclusive grounds decision" {
		t.Errorf("CG after a negative RG: %v", got)
	}
	_, err := f.ops.AddVictim(ctx, f.inv, op.ID, good)
	if got := fields(t, err); !strings.Contains(got["reference"], "already has a potential victim") {
		t.Errorf("same reference twice: %v", got)
	}

	months := 24
	s := operations.SuspectInput{PersonInput: operations.PersonInput{Reference: "S1", AgeBand: terms.Age25to34, Sex: terms.SexMale},
		Role: terms.RoleController, ArrestedOn: day("2026-03-01"),
		Charges: []operations.ChargeInput{{Offence: terms.OffenceS2, ChargedOn: *day("2026-03-02")}, {Offence: terms.OffenceS1, ChargedOn: *day("2026-03-02")}}}
	sv := must[operations.SuspectView](t)(f.ops.AddSuspect(ctx, f.inv, op.ID, s))
	if len(sv.Charges) != 2 || sv.Charges[0].Outcome != terms.OutcomePending {
		t.Fatalf("suspect %+v", sv)
	}
	bad2 := s
	bad2.SentenceMonths = &months
	bad2.Charges = []operations.ChargeInput{{Offence: terms.OffenceS2, ChargedOn: *day("2026-03-02"), Outcome: terms.OutcomeConvictedPlea, OutcomeOn: day("2026-03-01")}}
	got = fields(t, func() error { _, err := f.ops.UpdateSuspect(ctx, f.inv, op.ID, sv.ID, bad2); return err }())
	if !strings.Contains(got["charge_1_outcome_on"], "no outcome before charge") || len(got) != 1 {
		t.Errorf("outcome before charge: %v", got)
	}
	// A sentence with no conviction: the sentence and the charge form's fields at once.
	_, err = f.ops.UpdateCharge(ctx, f.inv, op.ID, sv.ID, sv.Charges[1].ID, operations.ChargeInput{Offence: terms.OffenceS1, ChargedOn: *day("2026-03-02"), Outcome: terms.OutcomeAcquitted})
	if got := fields(t, err); !strings.Contains(got["outcome_on"], "Enter the date of the outcome") {
		t.Errorf("outcome without a date, on the charge form: %v", got)
	}
	sv = must[operations.SuspectView](t)(f.ops.AddCharge(ctx, f.inv, op.ID, sv.ID, operations.ChargeInput{Offence: terms.OffenceAlternative, ChargedOn: *day("2026-03-03")}))
	if len(sv.Charges) != 3 {
		t.Errorf("after adding a charge: %+v", sv.Charges)
	}
	// Nil charges keep them; fewer remove the last.
	s.S45Raised = true
	s.Charges = nil
	sv = must[operations.SuspectView](t)(f.ops.UpdateSuspect(ctx, f.inv, op.ID, sv.ID, s))
	if len(sv.Charges) != 3 || !sv.S45Raised {
		t.Errorf("charges kept: %+v", sv)
	}
	s.Charges = []operations.ChargeInput{{Offence: terms.OffenceS2, ChargedOn: *day("2026-03-02")}}
	sv = must[operations.SuspectView](t)(f.ops.UpdateSuspect(ctx, f.inv, op.ID, sv.ID, s))
	if len(sv.Charges) != 1 {
		t.Errorf("charges cut: %+v", sv.Charges)
	}
	_, err = f.ops.AddSuspect(ctx, f.dorset, op.ID, s)
	modelstest.WantCode(t, "another force adds a suspect", err, core.ENOTFOUND)
	if modelstest.AuditCount(t, f.db, "operation.suspect_update", core.IDString(op.ID)) != 3 || modelstest.AuditCount(t, f.db, "operation.victim_add", core.IDString(op.ID)) != 1 {
		t.Error("writes not audited")
	}
}

func (f *fixture) newCase(t *testing.T, urn string) casefile.CaseView {
	t.Helper()
	cv, err := f.s.CaseFiles.Create(context.Background(), f.inv, casefile.CaseInput{URN: urn, Operation: "Lantern",
		Offences: []casefile.Offence{casefile.OffenceS2}, Classification: "OFFICIAL", SupervisorID: f.sup.UserID})
	if err != nil {
		t.Fatal(err)
	}
	return cv
}

func TestCaseFilesOfAnOperation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	op := f.newOperation(t)
	cs := f.newCase(t, "45AB1234523")
	// The NCA officer is on the operation but not on the case team; Dorset sees neither.
	modelstest.WantCode(t, "a member not on the case team", f.ops.LinkCase(ctx, f.nca, op.ID, cs.ID), core.ENOTFOUND)
	modelstest.WantCode(t, "the supervisor, who may read but not change the case", f.ops.LinkCase(ctx, f.sup, op.ID, cs.ID), core.EFORBIDDEN)
	modelstest.WantCode(t, "another force", f.ops.LinkCase(ctx, f.dorset, op.ID, cs.ID), core.ENOTFOUND)
	modelstest.Must(t, f.ops.LinkCase(ctx, f.inv, op.ID, cs.ID))
	modelstest.WantCode(t, "twice", f.ops.LinkCase(ctx, f.inv, op.ID, cs.ID), core.ECONFLICT)
	second := must[operations.OperationView](t)(f.ops.Create(ctx, f.inv, f.input("OP-2")))
	err := f.ops.LinkCase(ctx, f.inv, second.ID, cs.ID)
	modelstest.WantCode(t, "a case of another operation", err, core.ECONFLICT)
	if !strings.Contains(core.ErrorMessage(err), "at most one operation") {
		t.Errorf("message: %v", err)
	}
	// Victims and suspects attach only to a case of the operation.
	v := must[operations.VictimView](t)(f.ops.AddVictim(ctx, f.inv, op.ID, operations.VictimInput{PersonInput: operations.PersonInput{Reference: "V1", AgeBand: terms.Age18to24, Sex: terms.SexFemale}}))
	sv := must[operations.SuspectView](t)(f.ops.AddSuspect(ctx, f.inv, op.ID, operations.SuspectInput{PersonInput: operations.PersonInput{Reference: "S1", AgeBand: terms.Age35to44, Sex: terms.SexMale},
		Charges: []operations.ChargeInput{{Offence: terms.OffenceS2, ChargedOn: *day("2026-04-01")}}}))
	other := f.newCase(t, "45AB1234623")
	modelstest.WantCode(t, "attach to a case of no operation", f.ops.AttachToCase(ctx, f.inv, op.ID, operations.KindVictim, v.ID, other.ID), core.EINVALID)
	modelstest.WantCode(t, "an officer not on the case team attaches", f.ops.AttachToCase(ctx, f.officer, op.ID, operations.KindVictim, v.ID, cs.ID), core.ENOTFOUND)
	modelstest.Must(t, f.ops.AttachToCase(ctx, f.inv, op.ID, operations.KindVictim, v.ID, cs.ID))
	modelstest.Must(t, f.ops.AttachToCase(ctx, f.inv, op.ID, operations.KindSuspect, sv.ID, cs.ID))

	// The case shows its operation, victims and suspects: to its team, and to the supervisor who
	// may read the case; not to someone who may not read the case, even on the operation.
	co := must[*operations.CaseOperation](t)(f.ops.ForCase(ctx, f.inv, cs.ID))
	if co == nil || co.OperationID != op.ID || len(co.Victims) != 1 || len(co.Suspects) != 1 || !co.Actions.RecordOutcome || !co.Actions.OpenOperation {
		t.Fatalf("for the case: %+v", co)
	}
	co = must[*operations.CaseOperation](t)(f.ops.ForCase(ctx, f.sup, cs.ID))
	if co.Actions.RecordOutcome || !co.Actions.OpenOperation {
		t.Errorf("supervisor's actions from the case: %+v", co.Actions)
	}
	_, err = f.ops.ForCase(ctx, f.nca, cs.ID)
	modelstest.WantCode(t, "operation member not on the case", err, core.ENOTFOUND)
	if co := must[*operations.CaseOperation](t)(f.ops.ForCase(ctx, f.inv, other.ID)); co != nil {
		t.Errorf("a case of no operation: %+v", co)
	}

	// The outcome recorded through the case is the suspect's record.
	chargeID := sv.Charges[0].ID
	_, err = f.ops.RecordOutcome(ctx, f.sup, cs.ID, chargeID, operations.OutcomeInput{Outcome: terms.OutcomeConvictedTrial, OutcomeOn: day("2026-06-01")})
	modelstest.WantCode(t, "supervisor records an outcome", err, core.EFORBIDDEN)
	_, err = f.ops.RecordOutcome(ctx, f.inv, other.ID, chargeID, operations.OutcomeInput{Outcome: terms.OutcomeConvictedTrial, OutcomeOn: day("2026-06-01")})
	modelstest.WantCode(t, "through another case", err, core.ENOTFOUND)
	_, err = f.ops.RecordOutcome(ctx, f.inv, cs.ID, chargeID, operations.OutcomeInput{Outcome: terms.OutcomeConvictedTrial, OutcomeOn: day("2026-03-01")})
	if got := fields(t, err); !strings.Contains(got["outcome_on"], "no outcome before charge") {
		t.Errorf("outcome before charge from the case: %v", got)
	}
	must[operations.SuspectView](t)(f.ops.RecordOutcome(ctx, f.inv, cs.ID, chargeID, operations.OutcomeInput{Outcome: terms.OutcomeConvictedTrial, OutcomeOn: day("2026-06-01")}))
	got := must[operations.SuspectView](t)(f.ops.Suspect(ctx, f.nca, op.ID, sv.ID))
	if got.Charges[0].Outcome != terms.OutcomeConvictedTrial || !got.Charges[0].OutcomeOn.Equal(*day("2026-06-01")) {
		t.Errorf("the suspect's record after the outcome from the case: %+v", got.Charges[0])
	}
	if modelstest.AuditCount(t, f.db, "operation.charge_outcome", core.IDString(op.ID)) != 1 {
		t.Error("outcome not audited")
	}

	// Unlinking leaves the records on the operation, detached.
	modelstest.Must(t, f.ops.UnlinkCase(ctx, f.inv, op.ID, cs.ID))
	view := must[operations.OperationView](t)(f.ops.Get(ctx, f.inv, op.ID))
	if len(view.Cases) != 0 || view.Victims[0].CaseID != nil || view.Suspects[0].CaseID != nil {
		t.Errorf("after unlinking: %+v", view)
	}
	modelstest.Must(t, f.ops.LinkCase(ctx, f.inv, second.ID, cs.ID))
}

// The CPS liaison a case file is shared with sees its operation's records through the case and
// records the outcome of a charge (advise), but cannot open the operation itself.
func TestTheCPSRecordsAnOutcomeThroughTheSharedCase(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	op := f.newOperation(t)
	cs := f.newCase(t, "45AB1234523")
	modelstest.Must(t, f.ops.LinkCase(ctx, f.inv, op.ID, cs.ID))
	sv := must[operations.SuspectView](t)(f.ops.AddSuspect(ctx, f.inv, op.ID, operations.SuspectInput{PersonInput: operations.PersonInput{Reference: "S1", AgeBand: terms.Age35to44, Sex: terms.SexMale},
		Charges: []operations.ChargeInput{{Offence: terms.OffenceS1, ChargedOn: *day("2026-04-01")}}}))
	modelstest.Must(t, f.ops.AttachToCase(ctx, f.inv, op.ID, operations.KindSuspect, sv.ID, cs.ID))
	in := operations.OutcomeInput{Outcome: terms.OutcomeConvictedPlea, OutcomeOn: day("2026-06-10")}
	_, err := f.ops.RecordOutcome(ctx, f.cps, cs.ID, sv.Charges[0].ID, in)
	modelstest.WantCode(t, "before the case is shared", err, core.ENOTFOUND)

	must[casefile.SubmissionView](t)(f.s.CaseFiles.Submit(ctx, f.inv, cs.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice}))
	must[casefile.SubmissionView](t)(f.s.CaseFiles.Approve(ctx, f.sup, cs.ID))
	until := f.clock.Now().AddDate(0, 1, 0)
	must[casefile.ShareView](t)(f.s.CaseFiles.Share(ctx, f.sup, cs.ID, casefile.ShareInput{LiaisonID: f.cps.UserID, ExpiresOn: &until}))

	co := must[*operations.CaseOperation](t)(f.ops.ForCase(ctx, f.cps, cs.ID))
	if co == nil || len(co.Suspects) != 1 || !co.Actions.RecordOutcome || co.Actions.OpenOperation {
		t.Fatalf("the liaison's view through the case: %+v", co)
	}
	_, err = f.ops.Get(ctx, f.cps, op.ID)
	modelstest.WantCode(t, "the liaison opens the operation", err, core.ENOTFOUND)
	got := must[operations.SuspectView](t)(f.ops.RecordOutcome(ctx, f.cps, cs.ID, sv.Charges[0].ID, in))
	if got.Charges[0].Outcome != terms.OutcomeConvictedPlea {
		t.Errorf("after the liaison's outcome: %+v", got.Charges[0])
	}
	view := must[operations.OperationView](t)(f.ops.Get(ctx, f.nca, op.ID))
	if view.Suspects[0].Charges[0].Outcome != terms.OutcomeConvictedPlea {
		t.Errorf("the operation's suspect does not show the CPS outcome: %+v", view.Suspects[0].Charges)
	}
}

// Attaching a potential victim or suspect to a case file changes what the case shows (its
// suspects' charges are its outcomes): only those who may change the case file may do it, and
// moving or detaching someone needs the right to change the case file they are on too.
func TestOnlyTheCaseTeamAttachesPeopleToTheCase(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	op := f.newOperation(t)
	cs := f.newCase(t, "45AB1234523")
	modelstest.Must(t, f.ops.LinkCase(ctx, f.inv, op.ID, cs.ID))
	// A second investigator of the force, named on the operation, with a case file of their own.
	inv2 := f.people.Vetted(t, home, core.VettingRV, policies.RoleInvestigator)
	must[operations.Member](t)(f.ops.AddMember(ctx, f.inv, op.ID, inv2.Email))
	theirs, err := f.s.CaseFiles.Create(ctx, inv2, casefile.CaseInput{URN: "45AB1234723", Operation: "Lantern",
		Offences: []casefile.Offence{casefile.OffenceS2}, Classification: "OFFICIAL", SupervisorID: f.sup.UserID})
	if err != nil {
		t.Fatal(err)
	}
	modelstest.Must(t, f.ops.LinkCase(ctx, inv2, op.ID, theirs.ID))
	v := must[operations.VictimView](t)(f.ops.AddVictim(ctx, f.officer, op.ID, operations.VictimInput{PersonInput: operations.PersonInput{Reference: "V1", AgeBand: terms.Age18to24, Sex: terms.SexFemale}}))
	sv := must[operations.SuspectView](t)(f.ops.AddSuspect(ctx, f.nca, op.ID, operations.SuspectInput{PersonInput: operations.PersonInput{Reference: "S1", AgeBand: terms.Age35to44, Sex: terms.SexMale},
		Charges: []operations.ChargeInput{{Offence: terms.OffenceS2, ChargedOn: *day("2026-04-01")}}}))

	// Named on the operation, not on the case team: the case is not theirs to change.
	for name, c := range map[string]struct {
		who  core.Actor
		code core.Code
	}{
		"joint member not on the case":  {f.nca, core.ENOTFOUND},
		"officer not on the case":       {f.officer, core.ENOTFOUND},
		"supervisor who reads the case": {f.sup, core.EFORBIDDEN},
	} {
		err := f.ops.AttachToCase(ctx, c.who, op.ID, operations.KindSuspect, sv.ID, cs.ID)
		modelstest.WantCode(t, name+" attaches a suspect", err, c.code)
		if e := (*core.Error)(nil); !errors.As(err, &e) || e.Field != "case_id" {
			t.Errorf("%s: the refusal is not at case_id: %v", name, err)
		}
		modelstest.WantCode(t, name+" attaches a victim", f.ops.AttachToCase(ctx, c.who, op.ID, operations.KindVictim, v.ID, cs.ID), c.code)
	}
	modelstest.Must(t, f.ops.AttachToCase(ctx, f.inv, op.ID, operations.KindSuspect, sv.ID, cs.ID))
	modelstest.Must(t, f.ops.AttachToCase(ctx, f.inv, op.ID, operations.KindVictim, v.ID, cs.ID))

	// Detaching or moving someone changes the case they are on: its team's to do.
	modelstest.WantCode(t, "joint member detaches", f.ops.AttachToCase(ctx, f.nca, op.ID, operations.KindSuspect, sv.ID, 0), core.ENOTFOUND)
	modelstest.WantCode(t, "supervisor detaches", f.ops.AttachToCase(ctx, f.sup, op.ID, operations.KindVictim, v.ID, 0), core.EFORBIDDEN)
	modelstest.WantCode(t, "moved by the team of the new case only", f.ops.AttachToCase(ctx, inv2, op.ID, operations.KindSuspect, sv.ID, theirs.ID), core.ENOTFOUND)
	modelstest.WantCode(t, "moved by the team of the old case only", f.ops.AttachToCase(ctx, f.inv, op.ID, operations.KindSuspect, sv.ID, theirs.ID), core.ENOTFOUND)
	co := must[*operations.CaseOperation](t)(f.ops.ForCase(ctx, f.inv, cs.ID))
	if len(co.Suspects) != 1 || len(co.Victims) != 1 {
		t.Errorf("the case's people changed after refusals: %+v", co)
	}
	// On both teams, they may move them.
	if _, err := f.s.CaseFiles.AddMember(ctx, inv2, theirs.ID, casefile.MemberInput{Email: f.inv.Email}); err != nil {
		t.Fatal(err)
	}
	modelstest.Must(t, f.ops.AttachToCase(ctx, f.inv, op.ID, operations.KindSuspect, sv.ID, theirs.ID))
	modelstest.Must(t, f.ops.AttachToCase(ctx, f.inv, op.ID, operations.KindVictim, v.ID, 0))
	if n := modelstest.AuditCount(t, f.db, "operation.suspect_case", core.IDString(op.ID)); n != 2 {
		t.Errorf("%d suspect attachments audited, want 2", n)
	}
}

// A new lead officer gains the right to name and remove people: they are told, with a link to
// the operation, whether the operation was recorded with them as its lead or handed to them
// later; nobody is told of their own doing.
func TestANewLeadOfficerIsTold(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	leads := func(who core.Actor) []core.Notification {
		t.Helper()
		var out []core.Notification
		for _, n := range must[core.NotificationPage](t)(f.s.Notifications.List(ctx, who, "", 50)).Notifications {
			if n.Kind == operations.NoticeOperationLead {
				out = append(out, n)
			}
		}
		return out
	}
	in := f.input("OP/2026/7")
	in.LeadOfficer = f.officer.Email
	op := must[operations.OperationView](t)(f.ops.Create(ctx, f.inv, in))
	link := "/operations/" + core.IDString(op.ID)
	if got := leads(f.officer); len(got) != 1 || got[0].Link != link {
		t.Errorf("the lead named when the operation was recorded was told %+v", got)
	}
	must[operations.OperationView](t)(f.ops.Create(ctx, f.inv, f.input("OP/2026/8")))
	if got := leads(f.inv); len(got) != 0 {
		t.Errorf("the recorder who leads their own operation was told %+v", got)
	}

	in.LeadOfficer = f.sup.Email
	must[operations.OperationView](t)(f.ops.Update(ctx, f.inv, op.ID, in))
	if got := leads(f.sup); len(got) != 1 || got[0].Link != link || strings.Contains(got[0].Text, "Lantern") {
		t.Errorf("the new lead was told %+v", got)
	}
	in.Name = "Lantern Two" // the lead stays: nobody is told again
	must[operations.OperationView](t)(f.ops.Update(ctx, f.sup, op.ID, in))
	if got := leads(f.sup); len(got) != 1 {
		t.Errorf("the lead was told again of a change that kept them: %+v", got)
	}
	in.LeadOfficer = f.inv.Email // the recorder, still named on it, takes the lead themselves
	must[operations.OperationView](t)(f.ops.Update(ctx, f.inv, op.ID, in))
	if got := leads(f.inv); len(got) != 0 {
		t.Errorf("the person who made themselves the lead was told %+v", got)
	}
}

// The operation names only the case files the reader may see (by the case files' own rules);
// of the others it gives only how many there are.
func TestAnOperationNamesOnlyTheCaseFilesTheReaderMaySee(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	op := f.newOperation(t)
	first, second := f.newCase(t, "45AB1234523"), f.newCase(t, "45AB1234623")
	modelstest.Must(t, f.ops.LinkCase(ctx, f.inv, op.ID, first.ID))
	modelstest.Must(t, f.ops.LinkCase(ctx, f.inv, op.ID, second.ID))
	for name, c := range map[string]struct {
		who          core.Actor
		named, other int
	}{
		"case team":                {f.inv, 2, 0},
		"supervisor of the force":  {f.sup, 2, 0},
		"officer not on the cases": {f.officer, 0, 2},
		"joint member":             {f.nca, 0, 2},
	} {
		v := must[operations.OperationView](t)(f.ops.Get(ctx, c.who, op.ID))
		if len(v.Cases) != c.named || v.OtherCases != c.other {
			t.Errorf("%s: cases %+v and %d others, want %d named and %d others", name, v.Cases, v.OtherCases, c.named, c.other)
		}
		for _, lc := range v.Cases {
			if lc.URN != first.URN && lc.URN != second.URN {
				t.Errorf("%s: case %+v", name, lc)
			}
		}
	}
}

// countingCases counts the questions operations asks the case files, by case file.
type countingCases struct {
	operations.CaseAccess
	asked map[int64]int
}

func (c *countingCases) Allow(ctx context.Context, who core.Actor, caseID int64, act policies.Action) error {
	c.asked[caseID]++
	return c.CaseAccess.Allow(ctx, who, caseID, act)
}

// The people of an operation on a case file the reader may not read show no id of it, only
// that they are on a case file the reader cannot see: in the operation, one person, the answer
// of a save and of a charge. Saving them keeps them on it, whoever saves. The case team, and
// the force's supervisor who reads its case files, see the id. Each case file is asked about
// once per call, however many people are on it.
func TestOperationPeopleOnACaseFileTheReaderMayNotSeeShowNoIDOfIt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	op := f.newOperation(t)
	cs := f.newCase(t, "45AB1234523")
	modelstest.Must(t, f.ops.LinkCase(ctx, f.inv, op.ID, cs.ID))
	var victims []operations.VictimView
	for _, ref := range []string{"V1", "V2", "V3"} {
		v := must[operations.VictimView](t)(f.ops.AddVictim(ctx, f.inv, op.ID, operations.VictimInput{PersonInput: operations.PersonInput{Reference: ref, AgeBand: terms.Age18to24, Sex: terms.SexFemale}}))
		modelstest.Must(t, f.ops.AttachToCase(ctx, f.inv, op.ID, operations.KindVictim, v.ID, cs.ID))
		victims = append(victims, v)
	}
	sv := must[operations.SuspectView](t)(f.ops.AddSuspect(ctx, f.inv, op.ID, operations.SuspectInput{PersonInput: operations.PersonInput{Reference: "S1", AgeBand: terms.Age35to44, Sex: terms.SexMale},
		Charges: []operations.ChargeInput{{Offence: terms.OffenceS2, ChargedOn: *day("2026-04-01")}}}))
	modelstest.Must(t, f.ops.AttachToCase(ctx, f.inv, op.ID, operations.KindSuspect, sv.ID, cs.ID))
	unattached := must[operations.SuspectView](t)(f.ops.AddSuspect(ctx, f.inv, op.ID, operations.SuspectInput{PersonInput: operations.PersonInput{Reference: "S2", AgeBand: terms.Age35to44, Sex: terms.SexMale}}))
	caseID := `"case_id":` + core.IDString(cs.ID)

	// hidden checks what a reader who may not read the case file is given of a person on it.
	hidden := func(what string, v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), `"case_id"`) || !strings.Contains(string(b), `"case_hidden":true`) {
			t.Errorf("%s: a person on a case file the reader may not see:\n%s", what, b)
		}
	}
	// shown checks what the case team is given.
	shown := func(what string, v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), caseID) || strings.Contains(string(b), `"case_hidden"`) {
			t.Errorf("%s: a person on the reader's case file:\n%s", what, b)
		}
	}

	for name, who := range map[string]core.Actor{"joint member": f.nca, "officer of the force not on the case": f.officer} {
		view := must[operations.OperationView](t)(f.ops.Get(ctx, who, op.ID))
		hidden(name+": the operation's victims", view.Victims)
		hidden(name+": the operation's suspects", view.Suspects[0])
		if b, _ := json.Marshal(view); strings.Contains(string(b), caseID) {
			t.Errorf("%s: the operation gives the case file's id:\n%s", name, b)
		}
		for _, s := range view.Suspects {
			if s.ID == unattached.ID {
				if b, _ := json.Marshal(s); strings.Contains(string(b), `"case_hidden"`) {
					t.Errorf("%s: a suspect on no case file is said to be on one: %s", name, b)
				}
			}
		}
		hidden(name+": one victim", must[operations.VictimView](t)(f.ops.Victim(ctx, who, op.ID, victims[0].ID)))
		hidden(name+": one suspect", must[operations.SuspectView](t)(f.ops.Suspect(ctx, who, op.ID, sv.ID)))
	}

	// The joint member saves the people's other fields: the answers name no case file, and
	// the people stay on it.
	in := victims[0].Input()
	in.Safeguarding = true
	hidden("the saved victim", must[operations.VictimView](t)(f.ops.UpdateVictim(ctx, f.nca, op.ID, victims[0].ID, in)))
	sin := sv.Input()
	sin.S45Raised = true
	hidden("the saved suspect", must[operations.SuspectView](t)(f.ops.UpdateSuspect(ctx, f.nca, op.ID, sv.ID, sin)))
	sin.Charges = nil
	hidden("the saved suspect, charges kept", must[operations.SuspectView](t)(f.ops.UpdateSuspect(ctx, f.nca, op.ID, sv.ID, sin)))
	withCharge := must[operations.SuspectView](t)(f.ops.AddCharge(ctx, f.nca, op.ID, sv.ID, operations.ChargeInput{Offence: terms.OffenceS1, ChargedOn: *day("2026-05-01")}))
	hidden("the suspect with a charge added", withCharge)
	hidden("the suspect with a charge changed", must[operations.SuspectView](t)(f.ops.UpdateCharge(ctx, f.nca, op.ID, sv.ID, withCharge.Charges[1].ID,
		operations.ChargeInput{Offence: terms.OffenceS1, ChargedOn: *day("2026-05-02")})))
	// Taking them off the case file, or moving them, stays the case team's.
	modelstest.WantCode(t, "the joint member detaches the victim", f.ops.AttachToCase(ctx, f.nca, op.ID, operations.KindVictim, victims[0].ID, 0), core.ENOTFOUND)

	for name, who := range map[string]core.Actor{"case team": f.inv, "supervisor who reads the case": f.sup} {
		view := must[operations.OperationView](t)(f.ops.Get(ctx, who, op.ID))
		for _, v := range view.Victims {
			shown(name+": victim "+v.Reference, v)
		}
		for _, s := range view.Suspects {
			if s.ID == sv.ID {
				shown(name+": the suspect", s)
				if !s.S45Raised || len(s.Charges) != 2 {
					t.Errorf("%s: the joint member's changes are not saved: %+v", name, s)
				}
			}
		}
		shown(name+": one victim", must[operations.VictimView](t)(f.ops.Victim(ctx, who, op.ID, victims[0].ID)))
		shown(name+": one suspect", must[operations.SuspectView](t)(f.ops.Suspect(ctx, who, op.ID, sv.ID)))
	}
	co := must[*operations.CaseOperation](t)(f.ops.ForCase(ctx, f.inv, cs.ID))
	shown("the case's victims", co.Victims[0])
	shown("the case's suspects", co.Suspects[0])
	shown("the outcome recorded from the case", must[operations.SuspectView](t)(f.ops.RecordOutcome(ctx, f.inv, cs.ID, sv.Charges[0].ID,
		operations.OutcomeInput{Outcome: terms.OutcomeConvictedTrial, OutcomeOn: day("2026-06-01")})))

	// Reading the operation asks about the case file once, not once per person on it.
	counted := &countingCases{CaseAccess: f.s.CaseFiles, asked: map[int64]int{}}
	ops := operations.New(f.d, f.s.Audit, counted)
	hidden("the operation's victims, counted", must[operations.OperationView](t)(ops.Get(ctx, f.nca, op.ID)).Victims)
	if counted.asked[cs.ID] != 1 {
		t.Errorf("the case file was asked about %d times for one reading of the operation, want 1", counted.asked[cs.ID])
	}
}
