package casefile_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/charging"
	"github.com/msptp/msphub/models/casefile/packdiff"
	"github.com/msptp/msphub/models/casefile/schedule"
	"github.com/msptp/msphub/models/casefile/templates"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
	"github.com/msptp/msphub/storage"
)

// caseFixture is case files on a fresh database and blob store of the backend under test, with
// the reference organisations, a clock the test moves, and the raw backend under the store so a
// test can tamper with stored objects as an attacker with storage access would.
type caseFixture struct {
	db      *core.DB
	s       *models.Services
	cases   *casefile.Service
	authz   *policies.Authorizer
	clock   *modelstest.Clock
	backend storage.Backend
	people  modelstest.People

	inv, sup, sup2, liaison core.Actor // the lead investigator, two supervisors and a CPS liaison (a Crown Prosecutor)
}

// chargeS2 are the terms of a decision to charge the suspect S1 with the s2 offence of newCase.
var chargeS2 = charging.Terms{Test: charging.FullCode, Charges: []charging.Charge{{Suspect: "S1", Offence: string(casefile.OffenceS2), Statute: "Modern Slavery Act 2015 s2(1)"}}}

// fullCode submits a pack for a Full Code Test charging decision, DG6 red.
var fullCode = casefile.SubmitInput{Purpose: casefile.PurposeCharging, Submission: charging.Submission{Category: charging.Red, Test: charging.FullCode}}

const caseHome = "devon-and-cornwall-police"

func newCaseFixture(t testing.TB) *caseFixture {
	t.Helper()
	f := newCaseFixtureOn(t, modelstest.OpenDB(t))
	f.liaison = f.people.Prosecutor(t, "cps-south-west")
	return f
}

// newCaseFixtureOn is newCaseFixture over db, which may be migrated only part of the way, so
// without its CPS liaison: a Crown Prosecutor is a fact of migration 20.
func newCaseFixtureOn(t testing.TB, db *core.DB) *caseFixture {
	t.Helper()
	backend := modelstest.BlobBackend(t)
	clock := modelstest.ClockAt(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	d := modelstest.DepsOn(t, db, backend, clock)
	s := models.New(d)
	f := &caseFixture{db: d.DB, s: s, cases: s.CaseFiles, authz: d.Authz, clock: clock, backend: backend,
		people: modelstest.People{Operator: s.Operator, Clock: clock, Prefix: "case", Name: "Case Person"}}
	f.inv = f.person(t, caseHome, policies.RoleInvestigator)
	f.sup = f.person(t, caseHome, policies.RoleSupervisor)
	f.sup2 = f.person(t, caseHome, policies.RoleSupervisor)
	return f
}

// person creates a user with current RV vetting in the organisation with slug, holding roles,
// and returns them as the actor a signed-in request would carry.
func (f *caseFixture) person(t testing.TB, org string, roles ...string) core.Actor {
	t.Helper()
	return f.vetted(t, org, core.VettingRV, roles...)
}

func (f *caseFixture) vetted(t testing.TB, org string, vetting core.Vetting, roles ...string) core.Actor {
	t.Helper()
	return f.people.Vetted(t, org, vetting, roles...)
}

// recordCharge records the police charge of case id, today, as f.inv.
func (f *caseFixture) recordCharge(id int64) error {
	today := f.clock.Now()
	_, err := f.cases.RecordCharge(context.Background(), f.inv, id, casefile.ChargeInput{ChargedOn: &today, ChargedBy: "PS 1234 Example"})
	return err
}

// newCase opens an s2 case led by f.inv, signed off by f.sup.
func (f *caseFixture) newCase(t testing.TB) casefile.CaseView {
	t.Helper()
	cv, err := f.cases.Create(context.Background(), f.inv, casefile.CaseInput{URN: "45AB1234523", Operation: "Operation Kestrel",
		Offences: []casefile.Offence{casefile.OffenceS2}, Classification: "OFFICIAL", SupervisorID: f.sup.UserID})
	if err != nil {
		t.Fatalf("create case: %v", err)
	}
	return cv
}

// upload adds a small text exhibit.
func (f *caseFixture) upload(t testing.TB, who core.Actor, id int64, ref, content string, items ...int64) (casefile.EvidenceView, error) {
	t.Helper()
	return f.cases.Upload(context.Background(), who, id, casefile.EvidenceInput{ExhibitRef: ref, Description: "Statement of witness " + ref,
		Producer: "DC Example", Source: "Seized at the scene", ItemIDs: items}, core.Upload{Name: ref + ".txt", Body: strings.NewReader(content)}, 0)
}

// exhibit uploads a small text exhibit as the lead investigator, failing the test if it is
// refused.
func (f *caseFixture) exhibit(t testing.TB, id int64, ref, content string, items ...int64) casefile.EvidenceView {
	t.Helper()
	ev, err := f.upload(t, f.inv, id, ref, content, items...)
	modelstest.Must(t, err)
	return ev
}

// resolvePreCharge marks every required early-advice and pre-charge item not applicable, so a
// pack may go for a charging decision.
func (f *caseFixture) resolvePreCharge(t testing.TB, id int64) {
	t.Helper()
	ctx := context.Background()
	items, err := f.cases.Checklist(ctx, f.inv, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Required && (it.Stage == casefile.StageEIA || it.Stage == casefile.StagePreCharge) {
			if _, err := f.cases.UpdateItem(ctx, f.inv, id, it.ID, casefile.ItemInput{Status: casefile.ItemNotApplicable, NAReason: "Test case"}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// lastItem is the id of the last item of the case's checklist.
func (f *caseFixture) lastItem(id int64) int64 {
	items, err := f.cases.Checklist(context.Background(), f.inv, id)
	if err != nil || len(items) == 0 {
		panic(fmt.Sprintf("checklist: %v", err))
	}
	return items[len(items)-1].ID
}

func (f *caseFixture) status(t testing.TB, id int64) casefile.CaseStatus {
	t.Helper()
	var st string
	if err := f.db.Gorm().Table("case_files").Select("status").Where("id = ?", id).Scan(&st).Error; err != nil {
		t.Fatal(err)
	}
	return casefile.CaseStatus(st)
}

func (f *caseFixture) share(t testing.TB, id int64) casefile.ShareView {
	t.Helper()
	day := f.clock.Now().AddDate(0, 0, 30)
	sh, err := f.cases.Share(context.Background(), f.sup, id, casefile.ShareInput{LiaisonID: f.liaison.UserID, ExpiresOn: &day})
	if err != nil {
		t.Fatalf("share: %v", err)
	}
	return sh
}

// path drives a new case to a status through the real operations.
type casePath struct {
	name    string
	want    casefile.CaseStatus
	purpose casefile.Purpose
	steps   func(t testing.TB, f *caseFixture, id int64)
}

func casePaths() []casePath {
	ctx := context.Background()
	submit := func(p casefile.Purpose) func(testing.TB, *caseFixture, int64) {
		return func(t testing.TB, f *caseFixture, id int64) {
			if p == casefile.PurposeCharging {
				f.resolvePreCharge(t, id)
			}
			in := casefile.SubmitInput{Purpose: p}
			if p == casefile.PurposeCharging {
				in = fullCode
			}
			_, err := f.cases.Submit(ctx, f.inv, id, in)
			modelstest.Must(t, err)
		}
	}
	seq := func(steps ...func(testing.TB, *caseFixture, int64)) func(testing.TB, *caseFixture, int64) {
		return func(t testing.TB, f *caseFixture, id int64) {
			for _, s := range steps {
				s(t, f, id)
			}
		}
	}
	approve := func(t testing.TB, f *caseFixture, id int64) {
		_, err := f.cases.Approve(ctx, f.sup, id)
		modelstest.Must(t, err)
	}
	ret := func(t testing.TB, f *caseFixture, id int64) {
		_, err := f.cases.Return(ctx, f.sup, id, "Needs the MG5")
		modelstest.Must(t, err)
	}
	share := func(t testing.TB, f *caseFixture, id int64) { f.share(t, id) }
	advise := func(t testing.TB, f *caseFixture, id int64) {
		_, err := f.cases.RecordAdvice(ctx, f.liaison, id, "Pursue the financial strategy")
		modelstest.Must(t, err)
	}
	action := func(t testing.TB, f *caseFixture, id int64) {
		_, err := f.cases.RaiseAction(ctx, f.liaison, id, casefile.ActionInput{Text: "Obtain the ANPR records"})
		modelstest.Must(t, err)
	}
	decide := func(d casefile.Decision) func(testing.TB, *caseFixture, int64) {
		return func(t testing.TB, f *caseFixture, id int64) {
			in := casefile.DecisionInput{Decision: d, Reasons: "Full Code Test met", Action: "More"}
			switch d {
			case casefile.DecisionCharge:
				in.Terms = chargeS2
			case casefile.DecisionNFA:
				in.Basis = charging.Evidential
			}
			_, err := f.cases.RecordDecision(ctx, f.liaison, id, in)
			modelstest.Must(t, err)
		}
	}
	charged := func(t testing.TB, f *caseFixture, id int64) { modelstest.Must(t, f.recordCharge(id)) }
	finalise := func(t testing.TB, f *caseFixture, id int64) {
		modelstest.Must(t, f.cases.Finalise(ctx, f.liaison, id, "No resubmission after advice"))
	}
	closeCase := func(t testing.TB, f *caseFixture, id int64) { modelstest.Must(t, f.cases.Close(ctx, f.sup, id)) }
	early, forCharge := casefile.PurposeEarlyAdvice, casefile.PurposeCharging
	return []casePath{
		{"preparation", casefile.StatusPreparation, "", func(testing.TB, *caseFixture, int64) {}},
		{"with supervisor", casefile.StatusWithSupervisor, "", submit(early)},
		{"returned", casefile.StatusReturned, "", seq(submit(early), ret)},
		{"approved", casefile.StatusApproved, "", seq(submit(early), approve)},
		{"with CPS for early advice", casefile.StatusWithCPSEarlyAdvice, early, seq(submit(early), approve, share)},
		{"with CPS for charging", casefile.StatusWithCPSCharging, forCharge, seq(submit(forCharge), approve, share)},
		// Past the CPS's first look every path raises an action, so the team has one to answer.
		{"advice returned", casefile.StatusAdviceReturned, early, seq(submit(early), approve, share, action, advise)},
		{"action plan, early advice", casefile.StatusActionPlan, early, seq(submit(early), approve, share, action)},
		{"action plan, charging", casefile.StatusActionPlan, forCharge, seq(submit(forCharge), approve, share, action)},
		{"charge authorised", casefile.StatusChargeAuthorised, forCharge, seq(submit(forCharge), approve, share, action, decide(casefile.DecisionCharge))},
		{"charged", casefile.StatusCharged, forCharge, seq(submit(forCharge), approve, share, action, decide(casefile.DecisionCharge), charged)},
		{"no further action", casefile.StatusNoFurtherAction, forCharge, seq(submit(forCharge), approve, share, action, decide(casefile.DecisionNFA))},
		{"administratively finalised", casefile.StatusFinalised, early, seq(submit(early), approve, share, action, advise, finalise)},
		{"closed", casefile.StatusClosed, forCharge, seq(submit(forCharge), approve, share, action, decide(casefile.DecisionCharge), charged, closeCase)},
	}
}

// op is one operation tried on a case in each status.
type caseOp struct {
	name string
	cps  bool // done by the CPS liaison
	do   func(f *caseFixture, id int64) error
}

func caseOps() []caseOp {
	ctx := context.Background()
	return []caseOp{
		{"submit", false, func(f *caseFixture, id int64) error {
			_, err := f.cases.Submit(ctx, f.inv, id, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
			return err
		}},
		{"approve", false, func(f *caseFixture, id int64) error { _, err := f.cases.Approve(ctx, f.sup, id); return err }},
		{"return", false, func(f *caseFixture, id int64) error { _, err := f.cases.Return(ctx, f.sup, id, "Not yet"); return err }},
		{"edit", false, func(f *caseFixture, id int64) error {
			_, err := f.cases.UpdateItem(ctx, f.inv, id, f.lastItem(id), casefile.ItemInput{Status: casefile.ItemInProgress, Notes: "Working on it"})
			return err
		}},
		{"share", false, func(f *caseFixture, id int64) error {
			day := f.clock.Now().AddDate(0, 0, 10)
			_, err := f.cases.Share(ctx, f.sup, id, casefile.ShareInput{LiaisonID: f.liaison.UserID, ExpiresOn: &day})
			return err
		}},
		{"advise", true, func(f *caseFixture, id int64) error {
			_, err := f.cases.RecordAdvice(ctx, f.liaison, id, "Advice")
			return err
		}},
		{"action", true, func(f *caseFixture, id int64) error {
			_, err := f.cases.RaiseAction(ctx, f.liaison, id, casefile.ActionInput{Text: "Do more"})
			return err
		}},
		{"accept item", true, func(f *caseFixture, id int64) error {
			_, err := f.cases.ReviewItem(ctx, f.liaison, id, f.lastItem(id), casefile.ReviewInput{Verdict: "accept"})
			return err
		}},
		{"reject item", true, func(f *caseFixture, id int64) error {
			_, err := f.cases.ReviewItem(ctx, f.liaison, id, f.lastItem(id), casefile.ReviewInput{Verdict: "reject", Reason: "Map the evidence to each point to prove"})
			return err
		}},
		{"charge", true, func(f *caseFixture, id int64) error {
			_, err := f.cases.RecordDecision(ctx, f.liaison, id, casefile.DecisionInput{Decision: casefile.DecisionCharge, Reasons: "Met", Terms: chargeS2})
			return err
		}},
		{"record charge", false, func(f *caseFixture, id int64) error { return f.recordCharge(id) }},
		{"no further action", true, func(f *caseFixture, id int64) error {
			_, err := f.cases.RecordDecision(ctx, f.liaison, id, casefile.DecisionInput{Decision: casefile.DecisionNFA, Reasons: "Not met", Terms: charging.Terms{Basis: charging.PublicInterest}})
			return err
		}},
		{"further evidence", true, func(f *caseFixture, id int64) error {
			_, err := f.cases.RecordDecision(ctx, f.liaison, id, casefile.DecisionInput{Decision: casefile.DecisionFurtherEvidence, Reasons: "Gaps", Action: "Get the bank records"})
			return err
		}},
		{"finalise", true, func(f *caseFixture, id int64) error { return f.cases.Finalise(ctx, f.liaison, id, "No resubmission") }},
		{"close", false, func(f *caseFixture, id int64) error { return f.cases.Close(ctx, f.sup, id) }},
		// The other ways the team changes the file: each is an edit, as the checklist item is.
		{"upload", false, func(f *caseFixture, id int64) error {
			_, err := f.cases.Upload(ctx, f.inv, id, casefile.EvidenceInput{ExhibitRef: "OP/1", Description: "Statement taken for the transition test", Producer: "DC Example"},
				core.Upload{Name: "op.txt", Body: strings.NewReader("a statement")}, 0)
			return err
		}},
		{"reference", false, func(f *caseFixture, id int64) error {
			_, err := f.cases.Reference(ctx, f.inv, id, casefile.ReferenceInput{EvidenceInput: casefile.EvidenceInput{ExhibitRef: "OP/2", Description: "Body-worn video of the arrest", Producer: "PC Example"},
				System: "DEMS", ExternalID: "BWV-1", HashAlgorithm: "SHA-256", Hash: strings.Repeat("ab", 32)})
			return err
		}},
		{"schedule entry", false, func(f *caseFixture, id int64) error {
			_, err := f.cases.AddScheduleEntry(ctx, f.inv, id, casefile.EntryInput{Schedule: casefile.ScheduleMG6C,
				Description: "Pocket notebook of PC 1234 Smith, 3 to 9 May 2025", Location: "Exeter property store"})
			return err
		}},
		{"details", false, func(f *caseFixture, id int64) error {
			_, err := f.cases.Update(ctx, f.inv, id, casefile.CaseInput{URN: "45AB1234523", Operation: "Operation Kestrel (renamed)",
				Offences: []casefile.Offence{casefile.OffenceS2}, Classification: "OFFICIAL", SupervisorID: f.sup.UserID})
			return err
		}},
		{"answer", false, func(f *caseFixture, id int64) error {
			actions, err := f.cases.Actions(ctx, f.inv, id, "", 0)
			if err != nil {
				return err
			}
			var open int64 // 0 when there is none: the status decides first
			for _, a := range actions.Actions {
				if a.Open {
					open = a.ID
				}
			}
			_, err = f.cases.AnswerAction(ctx, f.inv, id, open, "Done: see exhibit JS/1")
			return err
		}},
	}
}

// caseEdits are the operations that change the file's content: wherever one is allowed, all
// are, with the same outcome.
var caseEdits = []string{"edit", "upload", "reference", "schedule entry", "details"}

// The status machine, written here independently of the code as the issue states it: every
// (status, operation) pair not listed is refused with ECONFLICT and changes nothing. "edit"
// stands for every operation in caseEdits.
var caseAllowedMoves = map[string]map[string]casefile.CaseStatus{
	"preparation":                {"submit": casefile.StatusWithSupervisor, "edit": casefile.StatusPreparation},
	"with supervisor":            {"approve": casefile.StatusApproved, "return": casefile.StatusReturned},
	"returned":                   {"submit": casefile.StatusWithSupervisor, "edit": casefile.StatusReturned},
	"approved":                   {"edit": casefile.StatusApproved, "share": casefile.StatusWithCPSEarlyAdvice}, // submit only once changed (TestApprovalVoidedByLaterChange)
	"with CPS for early advice":  {"reject item": casefile.StatusActionPlan, "share": casefile.StatusWithCPSEarlyAdvice, "advise": casefile.StatusAdviceReturned, "action": casefile.StatusActionPlan, "accept item": casefile.StatusWithCPSEarlyAdvice},
	"with CPS for charging":      {"reject item": casefile.StatusActionPlan, "share": casefile.StatusWithCPSCharging, "action": casefile.StatusActionPlan, "accept item": casefile.StatusWithCPSCharging, "charge": casefile.StatusChargeAuthorised, "no further action": casefile.StatusNoFurtherAction, "further evidence": casefile.StatusActionPlan},
	"advice returned":            {"reject item": casefile.StatusActionPlan, "submit": casefile.StatusWithSupervisor, "edit": casefile.StatusAdviceReturned, "answer": casefile.StatusAdviceReturned, "share": casefile.StatusAdviceReturned, "action": casefile.StatusActionPlan, "accept item": casefile.StatusAdviceReturned, "finalise": casefile.StatusFinalised},
	"action plan, early advice":  {"reject item": casefile.StatusActionPlan, "submit": casefile.StatusWithSupervisor, "edit": casefile.StatusActionPlan, "answer": casefile.StatusActionPlan, "share": casefile.StatusActionPlan, "advise": casefile.StatusAdviceReturned, "action": casefile.StatusActionPlan, "accept item": casefile.StatusActionPlan, "finalise": casefile.StatusFinalised},
	"action plan, charging":      {"reject item": casefile.StatusActionPlan, "submit": casefile.StatusWithSupervisor, "edit": casefile.StatusActionPlan, "answer": casefile.StatusActionPlan, "share": casefile.StatusActionPlan, "action": casefile.StatusActionPlan, "accept item": casefile.StatusActionPlan, "charge": casefile.StatusChargeAuthorised, "no further action": casefile.StatusNoFurtherAction, "further evidence": casefile.StatusActionPlan, "finalise": casefile.StatusFinalised},
	"charge authorised":          {"edit": casefile.StatusChargeAuthorised, "answer": casefile.StatusChargeAuthorised, "record charge": casefile.StatusCharged},
	"charged":                    {"edit": casefile.StatusCharged, "answer": casefile.StatusCharged, "close": casefile.StatusClosed},
	"no further action":          {"close": casefile.StatusClosed},
	"administratively finalised": {"close": casefile.StatusClosed},
	"closed":                     {},
}

// caseAllowed is caseAllowedMoves for one path with "edit" spread over every edit.
func caseAllowed(path string) map[string]casefile.CaseStatus {
	out := map[string]casefile.CaseStatus{}
	for op, to := range caseAllowedMoves[path] {
		if op == "edit" {
			for _, e := range caseEdits {
				out[e] = to
			}
			continue
		}
		out[op] = to
	}
	return out
}

// fingerprint is everything a case's operations write, so a refused one can be shown to have
// changed nothing: the case row, and the rows of its timeline, checklist, evidence, schedules,
// submissions, shares and CPS entries.
func (f *caseFixture) fingerprint(t testing.TB, id int64) string {
	t.Helper()
	var row struct {
		Status    string
		Operation string
		UpdatedAt time.Time
	}
	modelstest.Must(t, f.db.Gorm().Table("case_files").Select("status, operation, updated_at").Where("id = ?", id).Scan(&row).Error)
	out := fmt.Sprintf("%s|%s|%s", row.Status, row.Operation, row.UpdatedAt.UTC().Format(time.RFC3339Nano))
	for _, q := range []string{
		"SELECT COUNT(*) FROM case_events WHERE case_id = ?",
		"SELECT COUNT(*) FROM evidence_items WHERE case_id = ?",
		"SELECT COUNT(*) FROM custody_events WHERE case_id = ?",
		"SELECT COUNT(*) FROM disclosure_entries WHERE case_id = ?",
		"SELECT COUNT(*) FROM pack_submissions WHERE case_id = ?",
		"SELECT COUNT(*) FROM pack_submissions WHERE case_id = ? AND status = 'approved'",
		"SELECT COUNT(*) FROM case_shares WHERE case_id = ?",
		"SELECT COUNT(*) FROM case_shares WHERE case_id = ? AND revoked_at IS NULL",
		"SELECT COUNT(*) FROM cps_actions WHERE case_id = ?",
		"SELECT COUNT(*) FROM cps_actions WHERE case_id = ? AND responded_at IS NULL",
		"SELECT COUNT(*) FROM checklist_items WHERE case_id = ? AND status <> 'outstanding'",
		"SELECT COUNT(*) FROM checklist_items WHERE case_id = ? AND notes <> ''",
		"SELECT COUNT(*) FROM cps_charges WHERE case_id = ?",
		"SELECT COUNT(*) FROM police_charges WHERE case_id = ?",
	} {
		var n int64
		modelstest.Must(t, f.db.Gorm().Raw(q, id).Scan(&n).Error)
		out += fmt.Sprintf("|%d", n)
	}
	return out
}

// Every status transition, allowed and refused: each operation is tried on a case driven to
// each status through the real operations.
func TestCaseStatusTransitions(t *testing.T) {
	f := newCaseFixture(t)
	for _, p := range casePaths() {
		t.Run(p.name, func(t *testing.T) {
			allowed := caseAllowed(p.name)
			build := func() int64 {
				cv := f.newCase(t)
				if _, err := f.upload(t, f.inv, cv.ID, "JS/1", "statement"); err != nil {
					t.Fatal(err)
				}
				p.steps(t, f, cv.ID)
				if got := f.status(t, cv.ID); got != p.want {
					t.Fatalf("path to %s ends at %s", p.want, got)
				}
				return cv.ID
			}
			// Refused moves change nothing, so one case takes them all.
			refusedOn := build()
			for _, o := range caseOps() {
				if _, ok := allowed[o.name]; ok {
					continue
				}
				before := f.fingerprint(t, refusedOn)
				err := o.do(f, refusedOn)
				want := core.ECONFLICT
				if o.cps && p.purpose == "" {
					want = core.ENOTFOUND // nothing is shared with the liaison yet
				}
				if core.ErrorCode(err) != want {
					t.Errorf("%s from %s: %v, want %s", o.name, p.name, err, want)
				}
				if got := f.status(t, refusedOn); got != p.want {
					t.Errorf("refused %s moved the case from %s to %s", o.name, p.want, got)
				}
				if after := f.fingerprint(t, refusedOn); after != before {
					t.Errorf("refused %s from %s changed the case:\n before %s\n after  %s", o.name, p.name, before, after)
				}
			}
			for name, want := range allowed {
				i := slices.IndexFunc(caseOps(), func(o caseOp) bool { return o.name == name })
				if i < 0 {
					t.Fatalf("the table names an operation %q that caseOps lacks", name)
				}
				id := build()
				before := f.fingerprint(t, id)
				if err := caseOps()[i].do(f, id); err != nil {
					t.Errorf("%s from %s: %v, want it allowed", name, p.name, err)
					continue
				}
				if got := f.status(t, id); got != want {
					t.Errorf("%s from %s: status %s, want %s", name, p.name, got, want)
				}
				if f.fingerprint(t, id) == before {
					t.Errorf("%s from %s was allowed but recorded nothing", name, p.name)
				}
			}
		})
	}
}

// A pack submitted by someone can only be approved by another supervisor, and a supervisor
// who submitted (on the team) cannot approve their own pack.
func TestApprovalNeedsAnotherPerson(t *testing.T) {
	f := newCaseFixture(t)
	ctx := context.Background()
	both := f.person(t, caseHome, policies.RoleInvestigator, policies.RoleSupervisor)
	cv, err := f.cases.Create(ctx, both, casefile.CaseInput{URN: "45 AB 12345 24", Operation: "Op Wren", Offences: []casefile.Offence{casefile.OffenceS1},
		Classification: "OFFICIAL", SupervisorID: f.sup.UserID})
	modelstest.Must(t, err)
	if cv.URN != "45AB1234524" {
		t.Errorf("URN %q was not normalised", cv.URN)
	}
	_, err = f.cases.Submit(ctx, both, cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)
	_, err = f.cases.Approve(ctx, both, cv.ID)
	modelstest.WantCode(t, "approving one's own pack", err, core.EFORBIDDEN)
	if err == nil || !strings.Contains(err.Error(), "another supervisor must approve it") {
		t.Errorf("approving one's own pack: %v, want the four-eyes explanation", err)
	}
	if view, err := f.cases.Get(ctx, both, cv.ID); err != nil || view.Actions.Approve || !view.Actions.Return || !view.SubmittedIt {
		t.Errorf("the submitter may return but not approve their own pack, and is told why: %+v, submitted it %v, %v", view.Actions, view.SubmittedIt, err)
	}
	if queue, err := f.cases.List(ctx, both, casefile.CaseFilter{Queue: "supervisor"}, "", 0); err != nil || len(queue.Cases) != 0 {
		t.Errorf("the submitter's approval queue holds their own pack: %+v, %v", queue.Cases, err)
	}
	if queue, err := f.cases.List(ctx, f.sup, casefile.CaseFilter{Queue: "supervisor"}, "", 0); err != nil || len(queue.Cases) != 1 {
		t.Errorf("another supervisor's approval queue: %+v, %v; want the pack", queue.Cases, err)
	}
	_, err = f.cases.Approve(ctx, f.sup, cv.ID)
	modelstest.Must(t, err)
}

// approvalChanges are the ways the team changes a file, each of which voids an approval.
func approvalChanges(t *testing.T) map[string]func(f *caseFixture, id int64) error {
	ctx := context.Background()
	return map[string]func(f *caseFixture, id int64) error{
		"a checklist item": func(f *caseFixture, id int64) error {
			items, _ := f.cases.Checklist(ctx, f.inv, id)
			_, err := f.cases.UpdateItem(ctx, f.inv, id, items[0].ID, casefile.ItemInput{Status: casefile.ItemProvided})
			return err
		},
		"an exhibit linked to an item": func(f *caseFixture, id int64) error {
			items, _ := f.cases.Checklist(ctx, f.inv, id)
			ev, _ := f.cases.Exhibits(ctx, f.inv, id)
			_, err := f.cases.UpdateItem(ctx, f.inv, id, items[1].ID, casefile.ItemInput{Status: items[1].Status, EvidenceIDs: []int64{ev[0].ID}})
			return err
		},
		"new evidence": func(f *caseFixture, id int64) error {
			_, err := f.upload(t, f.inv, id, "JS/2", "a second statement")
			return err
		},
		"a referenced exhibit": func(f *caseFixture, id int64) error {
			_, err := f.cases.Reference(ctx, f.inv, id, casefile.ReferenceInput{EvidenceInput: casefile.EvidenceInput{ExhibitRef: "BWV/1", Description: "Body-worn video of the search", Producer: "PC Lee"},
				System: "DEMS", ExternalID: "BWV-0042", HashAlgorithm: "SHA-256", Hash: strings.Repeat("9f", 32)})
			return err
		},
		"a correction of an exhibit": func(f *caseFixture, id int64) error {
			ev, _ := f.cases.Exhibits(ctx, f.inv, id)
			_, err := f.cases.Upload(ctx, f.inv, id, casefile.EvidenceInput{ExhibitRef: "JS/1A", Description: "Statement, all pages", Producer: "DC Example",
				Supersedes: ev[0].ID, CorrectionReason: "Page 2 was missing"}, core.Upload{Name: "fixed.txt", Body: strings.NewReader("the whole statement")}, 0)
			return err
		},
		"a new schedule entry": func(f *caseFixture, id int64) error {
			_, err := f.cases.AddScheduleEntry(ctx, f.inv, id, casefile.EntryInput{Schedule: casefile.ScheduleMG6C,
				Description: "Pocket notebook of PC 1234 Smith, 3 to 9 May 2025", Location: "Exeter property store"})
			return err
		},
		"a changed schedule entry": func(f *caseFixture, id int64) error {
			entries, _ := f.cases.ScheduleEntries(ctx, f.inv, id)
			_, err := f.cases.UpdateScheduleEntry(ctx, f.inv, id, entries[0].ID, casefile.EntryInput{Description: "Tenancy agreement for 14 Mill Lane signed by the suspect and his brother",
				Location: "Exeter property store"})
			return err
		},
		"the case details": func(f *caseFixture, id int64) error {
			_, err := f.cases.Update(ctx, f.inv, id, casefile.CaseInput{URN: "45AB1234523", Operation: "Operation Kestrel II",
				Offences: []casefile.Offence{casefile.OffenceS2}, Classification: "OFFICIAL", SupervisorID: f.sup.UserID})
			return err
		},
	}
}

// approvalCase is a case with an exhibit and a schedule entry whose pack was submitted and
// approved.
func approvalCase(t *testing.T, f *caseFixture) casefile.CaseView {
	ctx := context.Background()
	cv := f.newCase(t)
	f.exhibit(t, cv.ID, "JS/1", "statement")
	_, err := f.cases.AddScheduleEntry(ctx, f.inv, cv.ID, casefile.EntryInput{Schedule: casefile.ScheduleMG6C,
		Description: "Tenancy agreement for 14 Mill Lane signed by the suspect", Location: "Exeter property store"})
	modelstest.Must(t, err)
	_, err = f.cases.Submit(ctx, f.inv, cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)
	_, err = f.cases.Approve(ctx, f.sup, cv.ID)
	modelstest.Must(t, err)
	return cv
}

// A change after approval no longer voids it (issue 13): the approved pack stays approved, the
// case stays approved and shareable, the change shows to the team as changed since approval and
// is offered for a new approval; approved in its turn, the new pack has a new number and
// manifest and says what changed since pack 1.
func TestApprovalVoidedByLaterChange(t *testing.T) {
	ctx := context.Background()
	for name, change := range approvalChanges(t) {
		t.Run(name, func(t *testing.T) {
			f := newCaseFixture(t)
			cv := approvalCase(t, f)
			view, err := f.cases.Get(ctx, f.inv, cv.ID)
			modelstest.Must(t, err)
			if view.Unapproved != nil || view.Actions.Submit {
				t.Errorf("before any change: changed since approval %+v, submit offered %v", view.Unapproved, view.Actions.Submit)
			}
			_, err = f.cases.Submit(ctx, f.inv, cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
			modelstest.WantCode(t, "submitting an approved pack that did not change", err, core.ECONFLICT)
			modelstest.Must(t, change(f, cv.ID))
			if got := f.status(t, cv.ID); got != casefile.StatusApproved {
				t.Fatalf("after a change to %s: status %s, want approved still", name, got)
			}
			subs, err := f.cases.Submissions(ctx, f.sup, cv.ID)
			modelstest.Must(t, err)
			if len(subs) != 1 || subs[0].Status != casefile.SubmissionApproved || subs[0].VoidedAt != nil {
				t.Errorf("submission after the change: %+v, want pack 1 approved still", subs)
			}
			view, err = f.cases.Get(ctx, f.inv, cv.ID)
			modelstest.Must(t, err)
			if view.Unapproved == nil || view.Unapproved.From != 1 || len(view.Unapproved.Changes) == 0 || !view.Actions.Submit {
				t.Fatalf("after the change: changed since approval %+v, submit offered %v; want the change, offered for approval", view.Unapproved, view.Actions.Submit)
			}
			if sv, err := f.cases.Get(ctx, f.sup, cv.ID); err != nil || !sv.Actions.Share {
				t.Errorf("the approved pack can no longer be shared: %v", err)
			}
			sub, err := f.cases.Submit(ctx, f.inv, cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
			modelstest.Must(t, err)
			if sub.Number != 2 || sub.ManifestSHA256 == subs[0].ManifestSHA256 {
				t.Errorf("resubmission: number %d, manifest %s (first %s)", sub.Number, sub.ManifestSHA256, subs[0].ManifestSHA256)
			}
			_, err = f.cases.Approve(ctx, f.sup2, cv.ID)
			modelstest.Must(t, err)
			if view, err := f.cases.Get(ctx, f.inv, cv.ID); err != nil || view.Unapproved != nil {
				t.Errorf("once pack 2 is approved: changed since approval %+v, %v; want nothing", view.Unapproved, err)
			}
			changes, err := f.cases.SubmissionChanges(ctx, f.inv, cv.ID, 2)
			modelstest.Must(t, err)
			if changes.From != 1 || changes.To != 2 || len(changes.Changes) != len(view.Unapproved.Changes) {
				t.Errorf("pack 2's changes %+v, want those waiting before (%+v)", changes, view.Unapproved.Changes)
			}
			f.share(t, cv.ID)
		})
	}
}

// The acceptance of issue 13 item 1, in models: after approval a new exhibit (and a changed
// item and schedule entry) is not visible to the CPS liaison, through any read or the export,
// until a new approved pack is shared with them. Meanwhile the liaison's share says it is
// superseded, the approved pack may still go to another liaison, and pack 2 says what changed.
func TestApprovalVoidedWhileWithTheCPS(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv := approvalCase(t, f)
	f.share(t, cv.ID)
	_, err := f.cases.RaiseAction(ctx, f.liaison, cv.ID, casefile.ActionInput{Text: "Obtain the ANPR records"})
	modelstest.Must(t, err)

	items, err := f.cases.Checklist(ctx, f.inv, cv.ID)
	modelstest.Must(t, err)
	jsTwo := f.exhibit(t, cv.ID, "JS/2", "ANPR hits for the van", items[0].ID)
	entries, err := f.cases.ScheduleEntries(ctx, f.inv, cv.ID)
	modelstest.Must(t, err)
	_, err = f.cases.UpdateScheduleEntry(ctx, f.inv, cv.ID, entries[0].ID, casefile.EntryInput{Description: "Tenancy agreement for 14 Mill Lane, with the ANPR note",
		Location: "Exeter property store"})
	modelstest.Must(t, err)
	if got := f.status(t, cv.ID); got != casefile.StatusActionPlan {
		t.Errorf("after a change during the action plan: %s, want the action plan still", got)
	}
	// The team sees its live file; the liaison pack 1.
	if ev, err := f.cases.Evidence(ctx, f.inv, cv.ID, "", 0); err != nil || len(ev.Evidence) != 2 || ev.Total != 2 {
		t.Fatalf("the team's evidence: %+v, %v", ev, err)
	}
	liaisonReadsPack := func(when string, number int, seesJS2 bool) {
		t.Helper()
		view, err := f.cases.Get(ctx, f.liaison, cv.ID)
		modelstest.Must(t, err)
		if view.Reading == nil || view.Reading.Number != number || view.Unapproved != nil {
			t.Errorf("%s: the liaison reads %+v (changes %+v), want pack %d", when, view.Reading, view.Unapproved, number)
		}
		ev, err := f.cases.Evidence(ctx, f.liaison, cv.ID, "", 0)
		modelstest.Must(t, err)
		seen := slices.ContainsFunc(ev.Evidence, func(e casefile.EvidenceView) bool { return e.ExhibitRef == "JS/2" })
		items, err := f.cases.Checklist(ctx, f.liaison, cv.ID)
		modelstest.Must(t, err)
		linked := slices.ContainsFunc(items[0].Evidence, func(e casefile.EvidenceRef) bool { return e.ExhibitRef == "JS/2" })
		entries, err := f.cases.ScheduleEntries(ctx, f.liaison, cv.ID)
		modelstest.Must(t, err)
		changedEntry := strings.Contains(entries[0].Description, "ANPR")
		_, _, viewErr := f.cases.ViewEvidence(ctx, f.liaison, cv.ID, jsTwo.ID)
		file, openErr := f.cases.OpenEvidence(ctx, f.liaison, cv.ID, jsTwo.ID)
		if openErr == nil {
			file.Close()
		}
		page, err := f.cases.Timeline(ctx, f.liaison, cv.ID, "", 200)
		modelstest.Must(t, err)
		told := slices.ContainsFunc(page.Events, func(e casefile.TimelineEntry) bool { return strings.Contains(e.Summary, "JS/2") })
		if told { // the team's edits stay off the liaison's timeline, whatever pack they read
			t.Errorf("%s: the team's edit adding JS/2 is on the liaison's timeline", when)
		}
		p, err := f.cases.Export(ctx, f.liaison, cv.ID)
		modelstest.Must(t, err)
		var zipped bytes.Buffer
		_, err = p.WriteTo(&zipped)
		modelstest.Must(t, err)
		man := cfManifest(t, zipped.Bytes())
		exported := slices.ContainsFunc(man.Files, func(f struct {
			Path   string `json:"path"`
			SHA256 string `json:"sha256"`
		}) bool {
			return strings.Contains(f.Path, "JS_2")
		})
		for what, got := range map[string]bool{"listed": seen, "linked to the item": linked, "changed entry": changedEntry, "viewed": viewErr == nil,
			"opened": openErr == nil, "exported": exported, "pack number in the export": man.Submission.Number != number} {
			if what == "pack number in the export" {
				if got {
					t.Errorf("%s: the export carries pack %d, want %d", when, man.Submission.Number, number)
				}
				continue
			}
			if got != seesJS2 {
				t.Errorf("%s: JS/2 and the changed entry %s for the liaison: %v, want %v", when, what, got, seesJS2)
			}
		}
	}
	liaisonReadsPack("after the change", 1, false)

	// Pack 1 may still go to another liaison: it is what was approved.
	other := f.person(t, "cps-south-west", policies.RoleCPSLiaison)
	day := f.clock.Now().AddDate(0, 0, 5)
	_, err = f.cases.Share(ctx, f.sup, cv.ID, casefile.ShareInput{LiaisonID: other.UserID, ExpiresOn: &day})
	modelstest.Must(t, err)

	// Resubmitted from the action plan and approved, pack 2 supersedes the shares of pack 1,
	// which the liaison still reads until pack 2 is shared with them.
	_, err = f.cases.Submit(ctx, f.inv, cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)
	_, err = f.cases.Approve(ctx, f.sup2, cv.ID)
	modelstest.Must(t, err)
	liaisonReadsPack("pack 2 approved, not shared", 1, false)
	if view, err := f.cases.Get(ctx, f.liaison, cv.ID); err != nil || view.Reading.SupersededBy != 2 {
		t.Errorf("the liaison is not told pack 2 supersedes theirs: %+v, %v", view.Reading, err)
	}
	if subs, err := f.cases.Submissions(ctx, f.liaison, cv.ID); err != nil || len(subs) != 1 || subs[0].Number != 1 {
		t.Errorf("the liaison's submissions: %+v, %v; want pack 1 only", subs, err)
	}
	_, _, err = f.cases.SubmissionSnapshot(ctx, f.liaison, cv.ID, 2)
	modelstest.WantCode(t, "the liaison reading pack 2 before it is shared", err, core.ENOTFOUND)
	shares, err := f.cases.Shares(ctx, f.sup, cv.ID)
	modelstest.Must(t, err)
	for _, sh := range shares {
		if sh.Live && sh.SupersededBy != 2 {
			t.Errorf("share %+v of pack %d does not say pack 2 supersedes it", sh, sh.Submission)
		}
	}
	f.share(t, cv.ID)
	if got := f.status(t, cv.ID); got != casefile.StatusWithCPSEarlyAdvice {
		t.Errorf("after sharing pack 2: %s", got)
	}
	liaisonReadsPack("pack 2 shared", 2, true)
	changes, err := f.cases.SubmissionChanges(ctx, f.liaison, cv.ID, 2)
	modelstest.Must(t, err)
	want := []packdiff.Change{
		{Part: "item", What: items[0].Text, Change: "Outstanding, exhibits none → Outstanding, exhibits JS/2"},
		{Part: "exhibit", What: "JS/2", Change: "added"},
		{Part: "schedule", What: "MG6C entry 1", Change: "changed"},
	}
	if !slices.Equal(changes.Changes, want) {
		t.Errorf("what changed from pack 1 to pack 2: %+v, want %+v", changes.Changes, want)
	}
}

// cfManifest reads manifest.json out of an exported pack.
func cfManifest(t testing.TB, zipped []byte) cfPackManifest {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	modelstest.Must(t, err)
	rc, err := zr.Open("manifest.json")
	modelstest.Must(t, err)
	defer rc.Close()
	var m cfPackManifest
	modelstest.Must(t, json.NewDecoder(rc).Decode(&m))
	return m
}

type cfPackManifest struct {
	Submission *struct {
		Number         int    `json:"number"`
		ManifestSHA256 string `json:"manifest_sha256"`
		Status         string `json:"status"`
		VoidReason     string `json:"void_reason"`
	} `json:"submission"`
	Files []struct {
		Path   string `json:"path"`
		SHA256 string `json:"sha256"`
	} `json:"files"`
}

// The frozen snapshot's SHA-256 is the manifest hash, and the snapshot holds the exhibits with
// their hashes and the item states as they were at submission.
func TestSubmissionFreezesASnapshot(t *testing.T) {
	f := newCaseFixture(t)
	ctx := context.Background()
	cv := f.newCase(t)
	items, err := f.cases.Checklist(ctx, f.inv, cv.ID)
	modelstest.Must(t, err)
	ev := f.exhibit(t, cv.ID, "JS/1", "the witness statement", items[0].ID)
	sub, err := f.cases.Submit(ctx, f.inv, cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)
	_, snap, err := f.cases.SubmissionSnapshot(ctx, f.sup, cv.ID, sub.Number)
	modelstest.Must(t, err)
	if got := cfSHA256(snap); got != sub.ManifestSHA256 {
		t.Errorf("snapshot hashes to %s, manifest says %s", got, sub.ManifestSHA256)
	}
	for _, want := range []string{ev.SHA256, `"exhibit_ref":"JS/1"`, `"exhibits":["JS/1"]`, `"status":"outstanding"`} {
		if !bytes.Contains(snap, []byte(want)) {
			t.Errorf("snapshot lacks %s", want)
		}
	}
}

// The CPS liaison sees nothing of a case before the pack is shared with them, everything while
// the share is live, and nothing again after it is revoked or expires.
func TestCPSLiaisonSeesOnlyALiveShare(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv := f.newCase(t)
	ev := f.exhibit(t, cv.ID, "JS/1", "statement")
	sees := func(who core.Actor) (bool, []error) {
		var errs []error
		_, err := f.cases.Get(ctx, who, cv.ID)
		errs = append(errs, err)
		_, err = f.cases.Evidence(ctx, who, cv.ID, "", 0)
		errs = append(errs, err)
		_, err = f.cases.Exhibits(ctx, who, cv.ID)
		errs = append(errs, err)
		_, err = f.cases.Exhibit(ctx, who, cv.ID, ev.ID)
		errs = append(errs, err)
		_, _, err = f.cases.ViewEvidence(ctx, who, cv.ID, ev.ID)
		errs = append(errs, err)
		_, err = f.cases.OpenEvidence(ctx, who, cv.ID, ev.ID)
		errs = append(errs, err)
		_, err = f.cases.Export(ctx, who, cv.ID)
		errs = append(errs, err)
		_, err = f.cases.Timeline(ctx, who, cv.ID, "", 0)
		errs = append(errs, err)
		page, err := f.cases.List(ctx, who, casefile.CaseFilter{}, "", 50)
		modelstest.Must(t, err)
		queue, err := f.cases.List(ctx, who, casefile.CaseFilter{Queue: "cps"}, "", 50)
		modelstest.Must(t, err)
		listed := len(page.Cases) == 1 && len(queue.Cases) == 1
		if !listed && (len(page.Cases) != 0 || len(queue.Cases) != 0) {
			t.Errorf("list %d, queue %d", len(page.Cases), len(queue.Cases))
		}
		return listed, errs
	}
	hidden := func(when string) {
		t.Helper()
		listed, errs := sees(f.liaison)
		if listed {
			t.Errorf("%s: the case is listed for the liaison", when)
		}
		for i, err := range errs {
			modelstest.WantCode(t, fmt.Sprintf("%s: call %d", when, i), err, core.ENOTFOUND)
		}
	}
	hidden("before submission")
	_, err := f.cases.Submit(ctx, f.inv, cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)
	_, err = f.cases.Approve(ctx, f.sup, cv.ID)
	modelstest.Must(t, err)
	hidden("approved, not yet shared")

	sh := f.share(t, cv.ID)
	listed, errs := sees(f.liaison)
	if !listed {
		t.Error("shared: the case is not listed for the liaison")
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("shared: call %d: %v", i, err)
		}
	}
	// Another liaison of the CPS sees nothing: the share names one person.
	other := f.person(t, "cps-south-west", policies.RoleCPSLiaison)
	if listed, _ := sees(other); listed {
		t.Error("another liaison sees a pack shared with a colleague")
	}

	modelstest.Must(t, f.cases.RevokeShare(ctx, f.sup, cv.ID, sh.ID))
	hidden("after revoke")
	modelstest.WantCode(t, "revoking twice", f.cases.RevokeShare(ctx, f.sup, cv.ID, sh.ID), core.ECONFLICT)

	// Shared again until the end of a day: seen that day, gone once it has passed.
	day := f.clock.Now().AddDate(0, 0, 3)
	_, err = f.cases.Share(ctx, f.sup, cv.ID, casefile.ShareInput{LiaisonID: f.liaison.UserID, ExpiresOn: &day})
	modelstest.Must(t, err)
	f.clock.Set(f.clock.Now().AddDate(0, 0, 3))
	if listed, _ := sees(f.liaison); !listed {
		t.Error("on the last day of the share the liaison no longer sees the case")
	}
	f.clock.Set(f.clock.Now().AddDate(0, 0, 1))
	hidden("after expiry")

	// Only a liaison of a CPS organisation can be chosen.
	police := f.person(t, caseHome, policies.RoleCPSLiaison)
	_, err = f.cases.Share(ctx, f.sup, cv.ID, casefile.ShareInput{LiaisonID: police.UserID, ExpiresOn: &day})
	modelstest.WantCode(t, "sharing with a liaison outside the CPS", err, core.EINVALID)
}

// Administrators, investigators of the same force who are not on the team, supervisors of
// another force and people whose vetting lapsed see nothing; team members added from another
// organisation see the case once added, with the legal basis on record.
func TestCaseVisibility(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv := f.newCase(t)
	ev := f.exhibit(t, cv.ID, "JS/1", "statement")
	admin := f.person(t, identity.ProgrammeUnitSlug, policies.RoleAdmin)
	offTeam := f.person(t, caseHome, policies.RoleInvestigator)
	otherSup := f.person(t, "kent-police", policies.RoleSupervisor)
	lapsed := f.vetted(t, caseHome, core.VettingNPPV1, policies.RoleSupervisor)
	abbreviated := f.vetted(t, caseHome, core.VettingNPPV2A, policies.RoleSupervisor)
	baseline := f.vetted(t, caseHome, core.VettingBPSS, policies.RoleSupervisor)
	nca := f.person(t, "national-crime-agency", policies.RoleInvestigator)
	for name, who := range map[string]core.Actor{"admin": admin, "investigator off the team": offTeam, "supervisor of another force": otherSup,
		"supervisor without current vetting": lapsed, "supervisor with abbreviated NPPV2": abbreviated, "supervisor with BPSS only": baseline,
		"NCA investigator before being added": nca} {
		_, err := f.cases.Get(ctx, who, cv.ID)
		modelstest.WantCode(t, name+": get", err, core.ENOTFOUND)
		_, err = f.cases.OpenEvidence(ctx, who, cv.ID, ev.ID)
		modelstest.WantCode(t, name+": download", err, core.ENOTFOUND)
		_, err = f.cases.Export(ctx, who, cv.ID)
		modelstest.WantCode(t, name+": export", err, core.ENOTFOUND)
		_, err = f.cases.UpdateItem(ctx, who, cv.ID, 1, casefile.ItemInput{Status: casefile.ItemProvided})
		modelstest.WantCode(t, name+": update", err, core.ENOTFOUND)
		page, err := f.cases.List(ctx, who, casefile.CaseFilter{}, "", 50)
		modelstest.Must(t, err)
		if len(page.Cases) != 0 {
			t.Errorf("%s: %d cases listed", name, len(page.Cases))
		}
	}
	// The supervisor of the owning force sees it without being on the team.
	if _, err := f.cases.Get(ctx, f.sup2, cv.ID); err != nil {
		t.Errorf("supervisor of the owning force: %v", err)
	}
	// An NCA investigator joins with the legal basis recorded; an investigator of the same
	// force needs none.
	_, err := f.cases.AddMember(ctx, f.inv, cv.ID, casefile.MemberInput{Email: nca.Email})
	modelstest.WantCode(t, "adding someone of another organisation without a legal basis", err, core.EINVALID)
	m, err := f.cases.AddMember(ctx, f.inv, cv.ID, casefile.MemberInput{Email: nca.Email, LegalBasis: casefile.BasisDPA2018Part3, BasisDetail: "Joint operation agreement JOA/2026/14"})
	modelstest.Must(t, err)
	if !m.OtherOrg || m.GrantedBy != f.inv.Name || m.BasisDetail == "" {
		t.Errorf("member %+v", m)
	}
	if _, err := f.cases.Get(ctx, nca, cv.ID); err != nil {
		t.Errorf("NCA investigator on the team: %v", err)
	}
	_, err = f.cases.AddMember(ctx, nca, cv.ID, casefile.MemberInput{Email: offTeam.Email})
	modelstest.WantCode(t, "a member who is not the lead adds someone", err, core.EFORBIDDEN)
	modelstest.Must(t, f.cases.RemoveMember(ctx, f.sup, cv.ID, m.ID))
	_, err = f.cases.Get(ctx, nca, cv.ID)
	modelstest.WantCode(t, "NCA investigator removed", err, core.ENOTFOUND)
}

// The case list is the policy's rule as SQL: for every person and case, "listed" and "may
// read" agree.
func TestCaseListMatchesThePolicy(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	other := f.person(t, caseHome, policies.RoleInvestigator)
	kentInv := f.person(t, "kent-police", policies.RoleInvestigator)
	kentSup := f.person(t, "kent-police", policies.RoleSupervisor)
	people := []core.Actor{f.inv, f.sup, f.sup2, f.liaison, other, kentInv, kentSup,
		f.person(t, identity.ProgrammeUnitSlug, policies.RoleAdmin), f.person(t, caseHome, policies.RoleOfficer),
		f.vetted(t, caseHome, core.VettingNone, policies.RoleInvestigator, policies.RoleSupervisor)}
	var ids []int64
	mk := func(lead, sup core.Actor, marking string) int64 {
		cv, err := f.cases.Create(ctx, lead, casefile.CaseInput{URN: "12XY0000126", Operation: "Op", Offences: []casefile.Offence{casefile.OffenceS1}, Classification: marking, SupervisorID: sup.UserID})
		modelstest.Must(t, err)
		ids = append(ids, cv.ID)
		return cv.ID
	}
	mk(f.inv, f.sup, "OFFICIAL")
	mk(other, f.sup2, "OFFICIAL-SENSITIVE")
	shared := mk(f.inv, f.sup, "OFFICIAL")
	joint := mk(kentInv, kentSup, "OFFICIAL")
	_, err := f.cases.AddMember(ctx, kentInv, joint, casefile.MemberInput{Email: f.inv.Email, LegalBasis: casefile.BasisCDA1998s115, BasisDetail: "s115 request 77"})
	modelstest.Must(t, err)
	_, err = f.cases.Submit(ctx, f.inv, shared, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)
	_, err = f.cases.Approve(ctx, f.sup, shared)
	modelstest.Must(t, err)
	f.share(t, shared)
	for _, who := range people {
		page, err := f.cases.List(ctx, who, casefile.CaseFilter{}, "", 200)
		modelstest.Must(t, err)
		var listed []int64
		for _, c := range page.Cases {
			listed = append(listed, c.ID)
		}
		var readable []int64
		for _, id := range ids {
			if _, err := f.cases.Get(ctx, who, id); err == nil {
				readable = append(readable, id)
			} else if core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatal(err)
			}
		}
		slices.Sort(listed)
		if !slices.Equal(listed, readable) {
			t.Errorf("%s (%v): listed %v, may read %v", who.Name, who.Roles, listed, readable)
		}
	}
	// Keyset pages cover the list once each.
	var seen []int64
	after := ""
	for {
		page, err := f.cases.List(ctx, f.sup, casefile.CaseFilter{}, after, 1)
		modelstest.Must(t, err)
		for _, c := range page.Cases {
			seen = append(seen, c.ID)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if len(seen) != 3 {
		t.Errorf("paging the supervisor's list saw %v", seen)
	}
}

// Exhibit references are unique in a case, compared without case or spacing, even when many
// uploads claim the same reference at once; the losers leave no row and no stored object.
func TestExhibitReferencesUnique(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv := f.newCase(t)
	f.exhibit(t, cv.ID, "JS/1", "first")
	for _, dup := range []string{"JS/1", "js/1", " JS /1 "} {
		_, err := f.upload(t, f.inv, cv.ID, dup, "again")
		modelstest.WantCode(t, "duplicate "+dup, err, core.ECONFLICT)
	}
	_, err := f.cases.Reference(ctx, f.inv, cv.ID, casefile.ReferenceInput{EvidenceInput: casefile.EvidenceInput{ExhibitRef: "js/1", Description: "BWV", Producer: "PC A"},
		System: "DEMS", ExternalID: "X1", HashAlgorithm: "SHA-256", Hash: strings.Repeat("ab", 32)})
	modelstest.WantCode(t, "a reference reusing the exhibit reference", err, core.ECONFLICT)
	// Another case may use the same reference.
	other := f.newCase(t)
	f.exhibit(t, other.ID, "JS/1", "other case")

	for round := range 5 {
		ref := fmt.Sprintf("RACE/%d", round)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = f.upload(t, f.inv, cv.ID, ref, fmt.Sprintf("upload %d of round %d", i, round))
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch core.ErrorCode(err) {
			case "":
				won++
			case core.ECONFLICT:
			default:
				t.Errorf("round %d: %v", round, err)
			}
		}
		if won != 1 {
			t.Errorf("round %d: %d uploads claimed %s, want exactly 1", round, won, ref)
		}
	}
	var rows, blobs int64
	modelstest.Must(t, f.db.Gorm().Table("evidence_items").Where("case_id = ?", cv.ID).Count(&rows).Error)
	modelstest.Must(t, f.db.Gorm().Table("blobs").Count(&blobs).Error)
	if rows != 6 || blobs != 7 {
		t.Errorf("%d exhibits and %d blobs, want 6 and 7 (the losers' objects discarded)", rows, blobs)
	}
}

// Evidence is immutable: the database refuses changes to an exhibit or its continuity record,
// and a correction supersedes the old exhibit, which stays listed and marked.
func TestEvidenceIsImmutable(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv := f.newCase(t)
	ev := f.exhibit(t, cv.ID, "JS/1", "first version")
	for _, stmt := range []string{"UPDATE evidence_items SET description = 'changed'", "DELETE FROM evidence_items",
		"UPDATE custody_events SET action = 'nothing'", "DELETE FROM custody_events"} {
		if err := f.db.Gorm().Exec(stmt).Error; err == nil {
			t.Errorf("%s was allowed", stmt)
		}
	}
	_, err := f.cases.Upload(ctx, f.inv, cv.ID, casefile.EvidenceInput{ExhibitRef: "JS/1A", Description: "Corrected", Producer: "DC Example", Supersedes: ev.ID},
		core.Upload{Name: "fixed.txt", Body: strings.NewReader("second version")}, 0)
	modelstest.WantCode(t, "a correction without a reason", err, core.EINVALID)
	fixed, err := f.cases.Upload(ctx, f.inv, cv.ID, casefile.EvidenceInput{ExhibitRef: "JS/1A", Description: "Corrected", Producer: "DC Example", Supersedes: ev.ID, CorrectionReason: "Wrong page scanned"},
		core.Upload{Name: "fixed.txt", Body: strings.NewReader("second version")}, 0)
	modelstest.Must(t, err)
	_, err = f.cases.Upload(ctx, f.inv, cv.ID, casefile.EvidenceInput{ExhibitRef: "JS/1B", Description: "Again", Producer: "DC Example", Supersedes: ev.ID, CorrectionReason: "Again"},
		core.Upload{Name: "again.txt", Body: strings.NewReader("third")}, 0)
	modelstest.WantCode(t, "correcting an exhibit twice", err, core.ECONFLICT)
	list, err := f.cases.Exhibits(ctx, f.inv, cv.ID)
	modelstest.Must(t, err)
	if len(list) != 2 || list[0].Current() || list[0].SupersededByRef != "JS/1A" || !list[1].Current() || list[1].SupersedesRef != "JS/1" || fixed.SupersedesRef != "JS/1" {
		t.Errorf("after the correction: %+v", list)
	}
	_, record, err := f.cases.ViewEvidence(ctx, f.inv, cv.ID, ev.ID)
	modelstest.Must(t, err)
	var actions []string
	for _, e := range record {
		actions = append(actions, e.Action)
	}
	if !slices.Equal(actions, []string{"uploaded", "superseded", "viewed"}) {
		t.Errorf("continuity record %v", actions)
	}
	// Active content is refused whatever the name says.
	_, err = f.cases.Upload(ctx, f.inv, cv.ID, casefile.EvidenceInput{ExhibitRef: "JS/9", Description: "Page", Producer: "X"},
		core.Upload{Name: "notes.txt", Body: strings.NewReader("<html><script>alert(1)</script></html>")}, 0)
	modelstest.WantCode(t, "an HTML upload", err, core.EINVALID)
}

// A stored evidence object altered in the store fails the download and the export loudly, and
// the failure is on the exhibit's continuity record and in the audit log.
func TestTamperedEvidenceFailsLoudly(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv := f.newCase(t)
	content := strings.Repeat("The witness saw the van at the farm gate. ", 5000) // several DARE packages
	ev := f.exhibit(t, cv.ID, "JS/1", content)
	cfTamper(t, f, ev)

	file, err := f.cases.OpenEvidence(ctx, f.inv, cv.ID, ev.ID)
	if err == nil {
		_, err = io.Copy(io.Discard, file)
		file.Close()
	}
	modelstest.WantCode(t, "downloading a tampered exhibit", err, core.EINTEGRITY)

	p, err := f.cases.Export(ctx, f.inv, cv.ID)
	modelstest.Must(t, err)
	_, err = p.WriteTo(io.Discard)
	modelstest.WantCode(t, "exporting a pack with a tampered exhibit", err, core.EINTEGRITY)

	var failures int64
	modelstest.Must(t, f.db.Gorm().Table("custody_events").Where("evidence_id = ? AND action = 'integrity_failure'", ev.ID).Count(&failures).Error)
	if failures != 2 {
		t.Errorf("%d integrity failures on the continuity record, want 2 (download and export)", failures)
	}
	modelstest.Must(t, f.db.Gorm().Table("audit_events").Where("action = 'evidence.integrity_failure' AND object_id = ? AND outcome = 'failure'", fmt.Sprint(ev.ID)).Count(&failures).Error)
	if failures != 2 {
		t.Errorf("%d integrity failures in the audit log, want 2", failures)
	}
}

// cfTamper flips one byte in the middle of an exhibit's stored object, in the backend
// itself.
func cfTamper(t testing.TB, f *caseFixture, ev casefile.EvidenceView) {
	t.Helper()
	var key string
	modelstest.Must(t, f.db.Gorm().Table("blobs").Select("object_key").Where("id = ?", *ev.BlobID).Scan(&key).Error)
	modelstest.Rewrite(t, f.backend, key, func(b []byte) []byte { b[len(b)/2] ^= 0x01; return b })
}

// The disclosure schedules number entries per schedule, and prompt when a description is too
// generic to judge unless the officer keeps it on purpose.
func TestDisclosureSchedules(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv := f.newCase(t)
	for _, generic := range []string{"Documents", "misc papers", "Various bundles of documents", "Bundle of papers, misc items", "Box 3"} {
		if !schedule.GenericDescription(generic) {
			t.Errorf("%q is not flagged as generic", generic)
		}
		_, err := f.cases.AddScheduleEntry(ctx, f.inv, cv.ID, casefile.EntryInput{Schedule: casefile.ScheduleMG6C, Description: generic, Location: "Store"})
		if core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), "too generic") {
			t.Errorf("%q: %v, want the generic prompt", generic, err)
		}
	}
	for _, specific := range []string{"Tenancy agreement for 14 Mill Lane signed by the suspect", "ANPR hits for van WX21 ABC, 1–7 May 2025"} {
		if schedule.GenericDescription(specific) {
			t.Errorf("%q is flagged as generic", specific)
		}
	}
	e1, err := f.cases.AddScheduleEntry(ctx, f.inv, cv.ID, casefile.EntryInput{Schedule: casefile.ScheduleMG6C, Description: "Tenancy agreement for 14 Mill Lane signed by the suspect", Location: "Exeter property store"})
	modelstest.Must(t, err)
	e2, err := f.cases.AddScheduleEntry(ctx, f.inv, cv.ID, casefile.EntryInput{Schedule: casefile.ScheduleMG6C, Description: "Daily till rolls", Location: "Store", GenericReason: "Daily rolls alike, none can meet the test"})
	modelstest.Must(t, err)
	d1, err := f.cases.AddScheduleEntry(ctx, f.inv, cv.ID, casefile.EntryInput{Schedule: casefile.ScheduleMG6D, Description: "Informant contact log for the farm address", Location: "Source unit", OfficerView: "Reveals a source"})
	modelstest.Must(t, err)
	if e1.Number != 1 || e2.Number != 2 || d1.Number != 1 || !e2.Generic {
		t.Errorf("numbers %d %d %d, generic %v", e1.Number, e2.Number, d1.Number, e2.Generic)
	}
	// Changing an entry prompts the same way, and a refused change changes nothing.
	_, err = f.cases.UpdateScheduleEntry(ctx, f.inv, cv.ID, e1.ID, casefile.EntryInput{Description: "Various documents", Location: "Store"})
	var fe *core.Error
	if !errors.As(err, &fe) || fe.Code != core.EINVALID || fe.Field != "description" || !strings.Contains(fe.Message, "too generic") {
		t.Errorf("changing an entry to a generic description: %v, want the prompt", err)
	}
	if got, _ := f.cases.ScheduleEntry(ctx, f.inv, cv.ID, e1.ID); got.Description != e1.Description {
		t.Errorf("the refused change was kept: %q", got.Description)
	}
	kept, err := f.cases.UpdateScheduleEntry(ctx, f.inv, cv.ID, e2.ID, casefile.EntryInput{Description: "Till rolls", Location: "Store", GenericReason: "Daily rolls alike, none can meet the test"})
	modelstest.Must(t, err)
	if kept.Number != 2 || kept.Schedule != casefile.ScheduleMG6C || !kept.Generic {
		t.Errorf("the kept generic entry: %+v", kept)
	}
	// An entry of another case is not found through this one.
	other := f.newCase(t)
	_, err = f.cases.UpdateScheduleEntry(ctx, f.inv, other.ID, e1.ID, casefile.EntryInput{Description: "Tenancy agreement for 14 Mill Lane signed by the suspect", Location: "Store"})
	modelstest.WantCode(t, "an entry through another case", err, core.ENOTFOUND)
}

func cfSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Administrators change a template by saving a new version; a case keeps the version it started
// with, and cases opened afterwards (or gaining the template later) get the new one. The
// migrations seed T2 up to version 2 (DOMAIN.md §F4) and T0 up to version 3 (§F3), so the
// administrator's T2 is version 3.
func TestTemplateVersionsKeepOpenCases(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	admin := f.person(t, identity.ProgrammeUnitSlug, policies.RoleAdmin)
	before := f.newCase(t)
	_, err := f.s.Templates.NewVersion(ctx, f.inv, "T2", templates.Input{Title: "x", ChangeNote: "y", Items: []templates.ItemInput{{Text: "z", Stage: casefile.StagePreCharge}}})
	modelstest.WantCode(t, "an investigator saving a template", err, core.EFORBIDDEN)
	_, err = f.s.Templates.NewVersion(ctx, admin, "T2", templates.Input{Title: "s2 human trafficking", ChangeNote: "Adds payroll records",
		Items: []templates.ItemInput{{Text: "Travel proof", Stage: "XX"}}})
	modelstest.WantCode(t, "an item without a real stage", err, core.EINVALID)
	v3, err := f.s.Templates.NewVersion(ctx, admin, "T2", templates.Input{Title: "s2 human trafficking", ChangeNote: "Adds payroll records",
		Items: []templates.ItemInput{{Text: "Travel proof", Why: "Travel element", Form: "MG11/12 PC", Stage: casefile.StagePreCharge, Required: true},
			{}, {Text: "Payroll and agency records", Form: "MG11 PC", Stage: casefile.StagePreCharge}}})
	modelstest.Must(t, err)
	if v3.Version != 3 || len(v3.Items) != 2 {
		t.Fatalf("version %d with %d items", v3.Version, len(v3.Items))
	}
	after := f.newCase(t)
	count := func(id int64) map[string]int {
		items, err := f.cases.Checklist(ctx, f.inv, id)
		modelstest.Must(t, err)
		out := map[string]int{}
		for _, it := range items {
			out[it.Template]++
		}
		return out
	}
	if got := count(before.ID); got["T2 v2"] != 8 || got["T2 v3"] != 0 || got["T0 v3"] != 24 {
		t.Errorf("the case opened before keeps %v, want T0 v3 and T2 v2", got)
	}
	if got := count(after.ID); got["T2 v3"] != 2 || got["T2 v2"] != 0 {
		t.Errorf("the case opened after has %v, want T2 v3", got)
	}
	// A case gaining s45 later gets T4 at its latest version, and keeps its T2 v2.
	_, err = f.cases.Update(ctx, f.inv, before.ID, casefile.CaseInput{URN: before.URN, Operation: before.Operation, Offences: []casefile.Offence{casefile.OffenceS2},
		SuspectMayBeVictim: true, Classification: "OFFICIAL", SupervisorID: f.sup.UserID})
	modelstest.Must(t, err)
	if got := count(before.ID); got["T4 v2"] != 6 || got["T2 v2"] != 8 {
		t.Errorf("after flagging s45: %v", got)
	}
	versions, err := f.s.Templates.Versions(ctx, admin, "T2")
	modelstest.Must(t, err)
	if len(versions) != 3 || versions[0].Version != 3 || versions[1].ChangeNote == "" || versions[2].Version != 1 {
		t.Errorf("versions %+v", versions)
	}
}

// URNs are accepted with or without separators and kept in one form. [verify] the format with
// the customer: force code (2 digits), unit (2 characters), serial (5 digits), year (2 digits).
func TestNormaliseURN(t *testing.T) {
	for in, want := range map[string]string{"45AB1234523": "45AB1234523", "45 AB 12345 23": "45AB1234523", "45/ab/12345/23": "45AB1234523",
		" 45-AB-12345-23 ": "45AB1234523", "0101000017": "", "45AB123452": "", "45AB12345234": "", "4XAB1234523": "", "45A!1234523": "", "": ""} {
		got, err := casefile.NormaliseURN(in)
		if want == "" {
			if err == nil || core.ErrorCode(err) != core.EINVALID {
				t.Errorf("%q: %q, %v; want a field error", in, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
}

// Readiness counts, per stage, the required items that are provided, not applicable or
// accepted; optional items and other stages do not count.
func TestReadiness(t *testing.T) {
	item := func(st casefile.Stage, req bool, s casefile.ItemStatus) casefile.ItemView {
		return casefile.ItemView{ChecklistItem: casefile.ChecklistItem{Status: s}, ItemText: casefile.ItemText{Stage: st, Required: req}}
	}
	r := casefile.Readiness([]casefile.ItemView{
		item(casefile.StagePreCharge, true, casefile.ItemProvided), item(casefile.StagePreCharge, true, casefile.ItemRejected),
		item(casefile.StagePreCharge, true, casefile.ItemAccepted), item(casefile.StagePreCharge, true, casefile.ItemInProgress),
		item(casefile.StagePreCharge, false, casefile.ItemOutstanding), item(casefile.StageEIA, true, casefile.ItemNotApplicable),
		item(casefile.StageFullFile, true, casefile.ItemOutstanding),
	})
	got := map[casefile.Stage]string{}
	for _, s := range r {
		got[s.Stage] = fmt.Sprintf("%d/%d %d%%", s.Done, s.Total, s.Percent)
	}
	want := map[casefile.Stage]string{casefile.StageEIA: "1/1 100%", casefile.StagePreCharge: "2/4 50%", casefile.StageFullFile: "0/1 0%", casefile.StageDisclosure: "0/0 100%"}
	for st, w := range want {
		if got[st] != w {
			t.Errorf("%s: %s, want %s", st, got[st], w)
		}
	}
}

// A case gets T0, the template of each of its offences (T1 s1, T2 s2, T3 s4, and DOMAIN.md
// §F4's: T6 s30, T7 conspiracy, T8–T12 the alternative charges; other alternative charges bring
// none), T4 when a suspect may be a victim (s45) and T5 when orders are sought; T4 holds the
// five s45 items of DOMAIN.md §B7 and §F4's Brecani note, all required, at the stages §B7 gives.
func TestChecklistsFollowTheCaseFacts(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	for _, c := range []struct {
		offences []casefile.Offence
		s45      bool
		orders   bool
		want     []string
	}{
		{[]casefile.Offence{casefile.OffenceS1}, false, false, []string{"T0", "T1"}},
		{[]casefile.Offence{casefile.OffenceS2}, true, false, []string{"T0", "T2", "T4"}},
		{[]casefile.Offence{casefile.OffenceS4, casefile.OffenceKidnap}, false, true, []string{"T0", "T3", "T5"}},
		{[]casefile.Offence{casefile.OffenceS1, casefile.OffenceS2, casefile.OffenceS4}, true, true, []string{"T0", "T1", "T2", "T3", "T4", "T5"}},
		{[]casefile.Offence{casefile.OffenceFalseImprisonment}, true, false, []string{"T0", "T4"}},
		{[]casefile.Offence{casefile.OffenceFraudMoneyLaundering}, false, false, []string{"T0"}},
		{[]casefile.Offence{casefile.OffenceFraud}, false, false, []string{"T0"}},
		{[]casefile.Offence{casefile.OffenceS30}, false, false, []string{"T0", "T6"}},
		{[]casefile.Offence{casefile.OffenceConspiracy, casefile.OffenceS2}, false, false, []string{"T0", "T2", "T7"}},
		{[]casefile.Offence{casefile.OffenceImmigration}, false, true, []string{"T0", "T8", "T5"}},
		{[]casefile.Offence{casefile.OffenceControllingProstitut}, false, false, []string{"T0", "T9"}},
		{[]casefile.Offence{casefile.OffenceMoneyLaundering, casefile.OffenceConspiracy}, false, false, []string{"T0", "T7", "T10"}},
		{[]casefile.Offence{casefile.OffenceGangmaster, casefile.OffenceS1}, false, false, []string{"T0", "T1", "T11"}},
		{[]casefile.Offence{casefile.OffenceCountyLines}, true, false, []string{"T0", "T12", "T4"}},
	} {
		cv, err := f.cases.Create(ctx, f.inv, casefile.CaseInput{URN: "45AB1234523", Operation: "Operation Facts", Offences: c.offences,
			SuspectMayBeVictim: c.s45, OrdersSought: c.orders, Classification: "OFFICIAL", SupervisorID: f.sup.UserID})
		modelstest.Must(t, err)
		items, err := f.cases.Checklist(ctx, f.inv, cv.ID)
		modelstest.Must(t, err)
		var codes []string
		var s45 []casefile.ItemView
		for _, it := range items {
			if !slices.Contains(codes, it.Code) {
				codes = append(codes, it.Code)
			}
			if it.Code == "T4" {
				s45 = append(s45, it)
			}
		}
		if !slices.Equal(codes, c.want) {
			t.Errorf("%v, s45 %v, orders %v: checklists %v, want %v", c.offences, c.s45, c.orders, codes, c.want)
		}
		if !c.s45 {
			continue
		}
		want := []struct {
			text  string
			stage casefile.Stage
		}{
			{"Exploitation indicators and how they were investigated", casefile.StagePreCharge},
			{"NRM referral or reason for none; RG/CG outcome", casefile.StagePreCharge},
			{"A positive conclusive grounds decision: the prosecutor's reasons for departing from it", casefile.StagePreCharge},
			{"Check against Schedule 4 exclusions", casefile.StagePreCharge},
			{"Compulsion evidence for and against", casefile.StagePreCharge},
			{"Social-care, NGO and medical material scheduled", casefile.StageDisclosure},
		}
		if len(s45) != len(want) {
			t.Fatalf("T4 has %d items, want %d", len(s45), len(want))
		}
		for i, w := range want {
			if it := s45[i]; it.Text != w.text || it.Stage != w.stage || !it.Required || it.Status != casefile.ItemOutstanding || it.Template != "T4 v2" {
				t.Errorf("T4 item %d: %q at %s, required %v, %s, %s; want %q at %s, required", i+1, it.Text, it.Stage, it.Required, it.Status, it.Template, w.text, w.stage)
			}
		}
		// The s45 items count towards pre-charge readiness: a charging decision waits for them.
		_, err = f.cases.Submit(ctx, f.inv, cv.ID, fullCode)
		if core.ErrorCode(err) != core.ECONFLICT || !strings.Contains(core.ErrorMessage(err), "required early-advice or pre-charge items are not done") {
			t.Errorf("a charging pack with the s45 items outstanding: %v", err)
		}
	}
	// Taking the s45 flag off keeps the T4 items (they may hold work): they are marked not
	// applicable with a reason instead.
	cv, err := f.cases.Create(ctx, f.inv, casefile.CaseInput{URN: "45AB1234523", Operation: "Operation Flag", Offences: []casefile.Offence{casefile.OffenceS2},
		SuspectMayBeVictim: true, Classification: "OFFICIAL", SupervisorID: f.sup.UserID})
	modelstest.Must(t, err)
	_, err = f.cases.Update(ctx, f.inv, cv.ID, casefile.CaseInput{URN: cv.URN, Operation: cv.Operation, Offences: []casefile.Offence{casefile.OffenceS2},
		Classification: "OFFICIAL", SupervisorID: f.sup.UserID})
	modelstest.Must(t, err)
	items, err := f.cases.Checklist(ctx, f.inv, cv.ID)
	modelstest.Must(t, err)
	if n := len(slices.DeleteFunc(items, func(it casefile.ItemView) bool { return it.Code != "T4" })); n != 6 {
		t.Errorf("after the s45 flag was taken off: %d T4 items, want the 6 kept", n)
	}
}

// The evidence size limit is enforced while the file streams: one byte over is refused with
// ETOOLARGE, leaving no exhibit, no blob row and nothing on the case; a file of exactly the
// limit is taken. The limit is the caller's (configuration), 5 GiB by default.
func TestEvidenceSizeLimit(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv := f.newCase(t)
	const limit = 64 << 10
	body := strings.Repeat("The van left the farm at five. ", limit/31+1)
	in := casefile.EvidenceInput{ExhibitRef: "BIG/1", Description: "A statement too long for the limit", Producer: "DC Example"}
	before := f.fingerprint(t, cv.ID)
	_, err := f.cases.Upload(ctx, f.inv, cv.ID, in, core.Upload{Name: "big.txt", Body: strings.NewReader(body[:limit+1])}, limit)
	modelstest.WantCode(t, "one byte over the limit", err, core.ETOOLARGE)
	var blobs int64
	modelstest.Must(t, f.db.Gorm().Table("blobs").Count(&blobs).Error)
	if after := f.fingerprint(t, cv.ID); after != before || blobs != 0 {
		t.Errorf("a refused upload left %d blobs and changed the case: %s → %s", blobs, before, after)
	}
	var objects []string
	modelstest.Must(t, f.backend.List(ctx, "", func(key string, _ int64, _ time.Time) error { objects = append(objects, key); return nil }))
	if len(objects) != 0 {
		t.Errorf("a refused upload left objects in the store: %v", objects)
	}
	ev, err := f.cases.Upload(ctx, f.inv, cv.ID, in, core.Upload{Name: "big.txt", Body: strings.NewReader(body[:limit])}, limit)
	modelstest.Must(t, err)
	if ev.Size != limit {
		t.Errorf("size %d, want %d", ev.Size, limit)
	}
	if casefile.DefaultMaxEvidenceBytes != 5<<30 {
		t.Errorf("the default limit is %d bytes, want 5 GiB", casefile.DefaultMaxEvidenceBytes)
	}
}

// The case forms report every problem at once, and change nothing.
func TestCaseFormsReportEveryProblem(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv := f.newCase(t)
	nca := f.person(t, "national-crime-agency", policies.RoleInvestigator)

	_, err := f.cases.Reference(ctx, f.inv, cv.ID, casefile.ReferenceInput{EvidenceInput: casefile.EvidenceInput{ExhibitRef: "JS/1"},
		HashAlgorithm: "SHA-256", Hash: "abc"})
	if got, want := problemFields(err), []string{"description", "producer", "system", "external_id", "hash"}; !slices.Equal(got, want) {
		t.Errorf("reference with five problems: fields %v (%v), want %v", got, err, want)
	}
	_, err = f.cases.AddMember(ctx, f.inv, cv.ID, casefile.MemberInput{Email: nca.Email})
	if got, want := problemFields(err), []string{"legal_basis", "basis_detail"}; !slices.Equal(got, want) {
		t.Errorf("member of another organisation with no basis: fields %v (%v), want %v", got, err, want)
	}
	item := f.lastItem(cv.ID)
	_, err = f.cases.UpdateItem(ctx, f.inv, cv.ID, item, casefile.ItemInput{Status: casefile.ItemNotApplicable, OwnerID: nca.UserID, EvidenceIDs: []int64{1 << 40}})
	if got, want := problemFields(err), []string{"na_reason", "owner_id", "evidence_ids"}; !slices.Equal(got, want) {
		t.Errorf("item update with three problems: fields %v (%v), want %v", got, err, want)
	}
	_, err = f.cases.Submit(ctx, f.inv, cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)
	_, err = f.cases.Approve(ctx, f.sup, cv.ID)
	modelstest.Must(t, err)
	past := f.clock.Now().AddDate(0, 0, -1)
	_, err = f.cases.Share(ctx, f.sup, cv.ID, casefile.ShareInput{LiaisonID: f.inv.UserID, ExpiresOn: &past})
	if got, want := problemFields(err), []string{"liaison_id", "expires_on"}; !slices.Equal(got, want) {
		t.Errorf("share to a non-liaison ending yesterday: fields %v (%v), want %v", got, err, want)
	}
	ev, err := f.cases.Exhibits(ctx, f.inv, cv.ID)
	modelstest.Must(t, err)
	team, err := f.cases.Team(ctx, f.inv, cv.ID)
	modelstest.Must(t, err)
	if len(ev) != 0 || len(team) != 1 {
		t.Errorf("after refused input: %d exhibits and %d on the team, want none added", len(ev), len(team))
	}
	if shares, err := f.cases.Shares(ctx, f.sup, cv.ID); err != nil || len(shares) != 0 {
		t.Errorf("after a refused share: %+v, %v; want none", shares, err)
	}
}

// The timeline is read a page at a time, newest first: following Next then Previous walks every
// event once, and a damaged page link is refused.
func TestTimelinePages(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv := f.newCase(t)
	item := f.lastItem(cv.ID)
	for i := range 6 {
		_, err := f.cases.UpdateItem(ctx, f.inv, cv.ID, item, casefile.ItemInput{Status: casefile.ItemInProgress, Notes: fmt.Sprintf("Note %d", i)})
		modelstest.Must(t, err)
	}
	all, err := f.cases.Timeline(ctx, f.inv, cv.ID, "", 200)
	modelstest.Must(t, err)
	if len(all.Events) < 7 || all.Next != "" || all.Prev != "" {
		t.Fatalf("whole timeline: %d events, next %q, prev %q", len(all.Events), all.Next, all.Prev)
	}
	var walked []int64
	var pages []casefile.TimelinePage
	for after := ""; ; {
		page, err := f.cases.Timeline(ctx, f.inv, cv.ID, after, 3)
		modelstest.Must(t, err)
		if len(page.Events) == 0 || len(page.Events) > 3 || (after == "") != (page.Prev == "") {
			t.Fatalf("page after %q: %d events, prev %q", after, len(page.Events), page.Prev)
		}
		for _, e := range page.Events {
			walked = append(walked, e.ID)
		}
		pages = append(pages, page)
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	var want []int64
	for _, e := range all.Events {
		want = append(want, e.ID)
	}
	if !slices.Equal(walked, want) {
		t.Errorf("pages walked %v, want the whole timeline %v", walked, want)
	}
	back, err := f.cases.Timeline(ctx, f.inv, cv.ID, pages[len(pages)-1].Prev, 3)
	modelstest.Must(t, err)
	if !slices.Equal(back.Events, pages[len(pages)-2].Events) {
		t.Errorf("Previous from the last page gives %+v, want %+v", back.Events, pages[len(pages)-2].Events)
	}
	for _, damaged := range []string{"not-a-cursor", "~"} {
		_, err = f.cases.Timeline(ctx, f.inv, cv.ID, damaged, 3)
		modelstest.WantCode(t, "the damaged page link "+damaged, err, core.EINVALID)
	}
}

// A change that waited for the case file's lock is decided on who the person is to the case
// once the lock is theirs: a team member removed while their change waited is refused. (Read
// in the statement that took the lock, the team would have been as it stood before the wait.)
func TestAChangeThatWaitedIsDecidedOnTheTeamAfterTheWait(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv := f.newCase(t)
	member := f.person(t, caseHome, policies.RoleInvestigator)
	m, err := f.cases.AddMember(ctx, f.inv, cv.ID, casefile.MemberInput{Email: member.Email})
	modelstest.Must(t, err)
	item := f.lastItem(cv.ID)

	locked, release := make(chan struct{}), make(chan struct{})
	removal := make(chan error, 1)
	go func() {
		removal <- f.db.InTx(ctx, func(ctx context.Context) error {
			if _, err := core.TakeRow[casefile.CaseFile](ctx, f.db, cv.ID, true, "Case file not found"); err != nil {
				return err
			}
			if err := f.db.Conn(ctx).Exec("UPDATE case_members SET removed_at = ? WHERE id = ?", f.clock.Now(), m.ID).Error; err != nil {
				return err
			}
			close(locked)
			<-release // the member's change begins meanwhile, and waits for the lock
			return nil
		})
	}()
	<-locked
	change := make(chan error, 1)
	go func() {
		_, err := f.cases.UpdateItem(ctx, member, cv.ID, item, casefile.ItemInput{Status: casefile.ItemInProgress, Notes: "Started"})
		change <- err
	}()
	time.Sleep(300 * time.Millisecond) // long enough for the change to be waiting
	close(release)
	modelstest.Must(t, <-removal)
	modelstest.WantCode(t, "a change by a member removed while it waited", <-change, core.ENOTFOUND)
}
