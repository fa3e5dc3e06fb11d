package api_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/charging"
	"github.com/msptp/msphub/models/casefile/disclosure"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// caseRows are the routes of case files and CPS evidence packs. The callers' investigator leads
// two cases of the home force, whose supervisor is the callers' supervisor: case A in
// preparation, with an exhibit and a schedule entry; case B submitted, approved and shared with
// a CPS liaison of a CPS area, who raised an action. The callers' CPS liaison works for the home
// force, not the CPS, so nothing can be shared with them: like everyone else off the team they
// get 404 from every case route, administrators included. Requests are bad input or do not fit
// the case's status, so the matrix changes nothing.
func caseRows(t *testing.T, a *apitest.App, callers map[who]*apitest.User) []row {
	ctx := context.Background()
	cs := a.Services.CaseFiles
	inv, sup := callers[policies.RoleInvestigator].Actor(t), callers[policies.RoleSupervisor].Actor(t)
	liaison := a.SignedIn(t, apitest.UserSpec{Org: "cps-south-west", Roles: []string{policies.RoleCPSLiaison}})
	open := func(op string) casefile.CaseView {
		cv, err := cs.Create(ctx, inv, casefile.CaseInput{URN: "45AB1234599", Operation: op, Offences: []casefile.Offence{casefile.OffenceS2},
			Classification: "OFFICIAL", SupervisorID: sup.UserID})
		if err != nil {
			t.Fatal(err)
		}
		return cv
	}
	caseA, caseB := open("Matrix A"), open("Matrix B")
	items, err := cs.Checklist(ctx, inv, caseA.ID)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := cs.Upload(ctx, inv, caseA.ID, casefile.EvidenceInput{ExhibitRef: "MX/1", Description: "Statement", Producer: "DC M"},
		core.Upload{Name: "s.txt", Body: strings.NewReader("statement")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := cs.AddScheduleEntry(ctx, inv, caseA.ID, casefile.EntryInput{Schedule: casefile.ScheduleMG6C,
		Description: "Tenancy agreement for 14 Mill Lane signed by the suspect", Location: "Store"})
	if err != nil {
		t.Fatal(err)
	}
	request, err := a.Services.Disclosure.AddRequest(ctx, inv, caseA.ID, disclosure.RequestInput{Holder: "Devon social services", Material: "Care records of V1", Reason: "V1's account of the farm"})
	if err != nil {
		t.Fatal(err)
	}
	team, err := cs.Team(ctx, inv, caseA.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Submit(ctx, inv, caseB.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Approve(ctx, sup, caseB.ID); err != nil {
		t.Fatal(err)
	}
	day := a.Clock.Now().AddDate(0, 2, 0)
	share, err := cs.Share(ctx, sup, caseB.ID, casefile.ShareInput{LiaisonID: liaison.ID, ExpiresOn: &day})
	if err != nil {
		t.Fatal(err)
	}
	action, err := cs.RaiseAction(ctx, liaison.Actor(t), caseB.ID, casefile.ActionInput{Text: "Obtain the ANPR data"})
	if err != nil {
		t.Fatal(err)
	}

	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	A, B := "/casefiles/"+id(caseA.ID), "/casefiles/"+id(caseB.ID)
	path := func(p string) func() string { return func() string { return p } }
	const (
		inv_ = policies.RoleInvestigator
		sup_ = policies.RoleSupervisor
	)
	team2 := func(status int) map[who]int { return may(status, inv_, sup_) }
	invOnly := func(invStatus, supStatus int) map[who]int { return merge(may(invStatus, inv_), may(supStatus, sup_)) }
	none := url.Values{}
	rows := []row{
		{method: "GET", route: "/casefiles", def: 200, anon: 303},
		{method: "GET", route: "/casefiles/new", want: may(200, inv_), def: 403, anon: 303},
		{method: "POST", route: "/casefiles/new", form: none, want: may(422, inv_), def: 403, anon: 303},
		{method: "GET", route: "/casefiles/review", def: 200, anon: 303},
		{method: "GET", route: "/casefiles/cps", def: 200, anon: 303},
		{method: "GET", route: "/casefiles/templates", want: may(200, admin), def: 403, anon: 303},
		{method: "GET", route: "/casefiles/templates/:code", concrete: path("/casefiles/templates/T0"), want: may(200, admin), def: 403, anon: 303},
		{method: "GET", route: "/casefiles/templates/:code/new-version", concrete: path("/casefiles/templates/T0/new-version"), want: may(200, admin), def: 403, anon: 303},
		{method: "POST", route: "/casefiles/templates/:code/new-version", concrete: path("/casefiles/templates/T0/new-version"), form: none, want: may(422, admin), def: 403, anon: 303},
		{method: "GET", route: "/casefiles/:id", concrete: path(A), want: team2(200), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/edit", concrete: path(A + "/edit"), want: invOnly(200, 403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/edit", concrete: path(A + "/edit"), form: none, want: invOnly(422, 403), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/items/:item", concrete: path(A + "/items/" + id(items[0].ID)), want: team2(200), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/items/:item", concrete: path(A + "/items/" + id(items[0].ID)), form: none, want: invOnly(422, 403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/items/:item/review", concrete: path(A + "/items/" + id(items[0].ID) + "/review"), form: none, want: team2(403), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/evidence", concrete: path(A + "/evidence"), want: team2(200), def: 404, anon: 303},
		// A damaged page link is the team's bad input, and still no sign of the case to anyone else.
		{method: "GET", route: "/casefiles/:id/evidence", concrete: path(A + "/evidence?after=~"), want: team2(422), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/evidence/new", concrete: path(A + "/evidence/new"), want: invOnly(200, 403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/evidence/new", concrete: path(A + "/evidence/new"), form: none, want: invOnly(422, 403), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/evidence/reference", concrete: path(A + "/evidence/reference"), want: invOnly(200, 403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/evidence/reference", concrete: path(A + "/evidence/reference"), form: none, want: invOnly(422, 403), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/evidence/:ev", concrete: path(A + "/evidence/" + id(ev.ID)), want: team2(200), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/evidence/:ev/download", concrete: path(A + "/evidence/" + id(ev.ID) + "/download"), want: team2(200), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/disclosure", concrete: path(A + "/disclosure"), want: team2(200), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/disclosure/new", concrete: path(A + "/disclosure/new"), want: invOnly(200, 403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/disclosure/new", concrete: path(A + "/disclosure/new"), form: none, want: invOnly(422, 403), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/disclosure/:entry", concrete: path(A + "/disclosure/" + id(entry.ID)), want: invOnly(200, 403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/disclosure/:entry", concrete: path(A + "/disclosure/" + id(entry.ID)), form: none, want: invOnly(422, 403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/disclosure/:entry/move", concrete: path(A + "/disclosure/" + id(entry.ID) + "/move"), form: none, want: invOnly(422, 403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/disclosure/:entry/cps", concrete: path(A + "/disclosure/" + id(entry.ID) + "/cps"), form: none, want: team2(403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/disclosure/roles", concrete: path(A + "/disclosure/roles"), form: none, want: team2(422), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/disclosure/certify", concrete: path(A + "/disclosure/certify"), form: none, want: team2(403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/disclosure/requests", concrete: path(A + "/disclosure/requests"), form: none, want: invOnly(422, 403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/disclosure/requests/:request/answer", concrete: path(A + "/disclosure/requests/" + id(request.ID) + "/answer"), form: none, want: invOnly(422, 403), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/pack", concrete: path(A + "/pack"), want: team2(200), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/pack", concrete: path(B + "/pack?actions_after=~"), want: team2(422), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/submit", concrete: path(A + "/submit"), form: none, want: invOnly(422, 403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/approve", concrete: path(A + "/approve"), form: none, want: invOnly(403, 409), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/return", concrete: path(A + "/return"), form: none, want: invOnly(403, 409), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/shares", concrete: path(A + "/shares"), form: none, want: invOnly(403, 409), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/shares/:share/revoke", concrete: path(A + "/shares/" + id(share.ID) + "/revoke"), form: none, want: invOnly(403, 404), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/advice", concrete: path(A + "/advice"), form: none, want: team2(403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/decision", concrete: path(A + "/decision"), form: none, want: team2(403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/charge", concrete: path(A + "/charge"), form: none, want: invOnly(409, 403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/actions", concrete: path(A + "/actions"), form: none, want: team2(403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/actions/:action/answer", concrete: path(B + "/actions/" + id(action.ID) + "/answer"), form: none, want: invOnly(422, 403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/finalise", concrete: path(A + "/finalise"), form: none, want: team2(403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/close", concrete: path(A + "/close"), form: none, want: invOnly(403, 409), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/team", concrete: path(A + "/team"), want: team2(200), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/team", concrete: path(A + "/team"), form: none, want: team2(422), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/team/:member/remove", concrete: path(A + "/team/" + id(team[0].ID) + "/remove"), form: none, want: team2(409), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/timeline", concrete: path(A + "/timeline"), want: team2(200), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/export.zip", concrete: path(A + "/export.zip"), want: team2(200), def: 404, anon: 303},
		// After charge: case A is not charged, so the team's steps do not fit it; nobody else may record them.
		{method: "POST", route: "/casefiles/:id/court", concrete: path(A + "/court"), form: none, want: invOnly(409, 403), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/court/custody", concrete: path(A + "/court/custody"), form: none, want: invOnly(409, 403), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/mg6d.zip", concrete: path(A + "/mg6d.zip"), want: team2(200), def: 404, anon: 303},
		{method: "GET", route: "/casefiles/:id/submissions/:number/changes", concrete: path(B + "/submissions/1/changes"), want: team2(200), def: 404, anon: 303},

		{method: "GET", route: "/api/v1/casefiles", def: 200, anon: 401},
		{method: "POST", route: "/api/v1/casefiles", json: `{}`, want: may(422, inv_), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/supervisors", want: may(200, inv_), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/liaisons", want: may(200, sup_), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/templates", want: may(200, admin), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/templates/:code", concrete: path("/api/v1/casefiles/templates/T2"), want: may(200, admin), def: 403, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/templates/:code", concrete: path("/api/v1/casefiles/templates/T2"), json: `{}`, want: may(422, admin), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id", concrete: path("/api/v1" + A), want: team2(200), def: 404, anon: 401},
		{method: "PATCH", route: "/api/v1/casefiles/:id", concrete: path("/api/v1" + A), json: `{}`, want: invOnly(422, 403), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/items", concrete: path("/api/v1" + A + "/items"), want: team2(200), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/items/:item", concrete: path("/api/v1" + A + "/items/" + id(items[0].ID)), want: team2(200), def: 404, anon: 401},
		{method: "PATCH", route: "/api/v1/casefiles/:id/items/:item", concrete: path("/api/v1" + A + "/items/" + id(items[0].ID)), json: `{}`, want: invOnly(422, 403), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/items/:item/review", concrete: path("/api/v1" + A + "/items/" + id(items[0].ID) + "/review"), json: `{}`, want: team2(403), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/evidence", concrete: path("/api/v1" + A + "/evidence"), want: team2(200), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/evidence", concrete: path("/api/v1" + A + "/evidence?after=~&limit=20"), want: team2(422), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/evidence", concrete: path("/api/v1" + A + "/evidence"), json: `{}`, want: invOnly(422, 403), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/evidence/references", concrete: path("/api/v1" + A + "/evidence/references"), json: `{}`, want: invOnly(422, 403), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/evidence/:ev", concrete: path("/api/v1" + A + "/evidence/" + id(ev.ID)), want: team2(200), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/evidence/:ev/content", concrete: path("/api/v1" + A + "/evidence/" + id(ev.ID) + "/content"), want: team2(200), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/schedules", concrete: path("/api/v1" + A + "/schedules"), want: team2(200), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/schedules", concrete: path("/api/v1" + A + "/schedules"), json: `{}`, want: invOnly(422, 403), def: 404, anon: 401},
		{method: "PATCH", route: "/api/v1/casefiles/:id/schedules/:entry", concrete: path("/api/v1" + A + "/schedules/" + id(entry.ID)), json: `{}`, want: invOnly(422, 403), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/schedules/revisions", concrete: path("/api/v1" + A + "/schedules/revisions"), want: team2(200), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/schedules/:entry/move", concrete: path("/api/v1" + A + "/schedules/" + id(entry.ID) + "/move"), json: `{}`, want: invOnly(422, 403), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/schedules/:entry/cps", concrete: path("/api/v1" + A + "/schedules/" + id(entry.ID) + "/cps"), json: `{}`, want: team2(403), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/disclosure", concrete: path("/api/v1" + A + "/disclosure"), want: team2(200), def: 404, anon: 401},
		{method: "PUT", route: "/api/v1/casefiles/:id/disclosure/roles", concrete: path("/api/v1" + A + "/disclosure/roles"), json: `{}`, want: team2(422), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/disclosure/certificates", concrete: path("/api/v1" + A + "/disclosure/certificates"), json: `{}`, want: team2(403), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/disclosure/requests", concrete: path("/api/v1" + A + "/disclosure/requests"), json: `{}`, want: invOnly(422, 403), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/disclosure/requests/:request/answer", concrete: path("/api/v1" + A + "/disclosure/requests/" + id(request.ID) + "/answer"), json: `{}`, want: invOnly(422, 403), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/team", concrete: path("/api/v1" + A + "/team"), want: team2(200), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/team", concrete: path("/api/v1" + A + "/team"), json: `{}`, want: team2(422), def: 404, anon: 401},
		{method: "DELETE", route: "/api/v1/casefiles/:id/team/:member", concrete: path("/api/v1" + A + "/team/" + id(team[0].ID)), want: team2(409), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/timeline", concrete: path("/api/v1" + A + "/timeline"), want: team2(200), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/submissions", concrete: path("/api/v1" + A + "/submissions"), want: team2(200), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/submissions", concrete: path("/api/v1" + A + "/submissions"), json: `{}`, want: invOnly(422, 403), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/submissions/:number", concrete: path("/api/v1" + B + "/submissions/1"), want: team2(200), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/approve", concrete: path("/api/v1" + A + "/approve"), want: invOnly(403, 409), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/return", concrete: path("/api/v1" + A + "/return"), json: `{}`, want: invOnly(403, 409), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/shares", concrete: path("/api/v1" + A + "/shares"), want: team2(200), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/shares", concrete: path("/api/v1" + A + "/shares"), json: `{}`, want: invOnly(403, 409), def: 404, anon: 401},
		{method: "DELETE", route: "/api/v1/casefiles/:id/shares/:share", concrete: path("/api/v1" + A + "/shares/" + id(share.ID)), want: invOnly(403, 404), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/actions", concrete: path("/api/v1" + A + "/actions"), want: team2(200), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/actions", concrete: path("/api/v1" + B + "/actions?after=not-a-cursor"), want: team2(422), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/advice", concrete: path("/api/v1" + A + "/advice"), json: `{}`, want: team2(403), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/decision", concrete: path("/api/v1" + A + "/decision"), json: `{}`, want: team2(403), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/charge", concrete: path("/api/v1" + A + "/charge"), json: `{}`, want: invOnly(409, 403), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/actions", concrete: path("/api/v1" + A + "/actions"), json: `{}`, want: team2(403), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/actions/:action/answer", concrete: path("/api/v1" + B + "/actions/" + id(action.ID) + "/answer"), json: `{}`, want: invOnly(422, 403), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/finalise", concrete: path("/api/v1" + A + "/finalise"), json: `{}`, want: team2(403), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/close", concrete: path("/api/v1" + A + "/close"), want: invOnly(403, 409), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/export", concrete: path("/api/v1" + A + "/export"), want: team2(200), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/court", concrete: path("/api/v1" + A + "/court"), want: team2(200), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/court/steps", concrete: path("/api/v1" + A + "/court/steps"), json: `{}`, want: invOnly(409, 403), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/court/custody", concrete: path("/api/v1" + A + "/court/custody"), json: `{}`, want: invOnly(409, 403), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/export/mg6d", concrete: path("/api/v1" + A + "/export/mg6d"), want: team2(200), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/submissions/:number/changes", concrete: path("/api/v1" + B + "/submissions/1/changes"), want: team2(200), def: 404, anon: 401},
	}
	return rows
}

// Only a Crown Prosecutor records a charging decision: on a pack shared for a Threshold Test
// decision with a CPS caseworker and a Crown Prosecutor, every decision route refuses the
// caseworker (403) and the team, and lets the prosecutor through to the form's own checks
// (422). The police charge is the team's: refused to both liaisons, and to the team only by the
// case's status (409) until the CPS authorised a charge.
func TestChargingDecisionOnlyByAProsecutor(t *testing.T) {
	ctx := context.Background()
	a := apitest.New(t)
	cs := a.Services.CaseFiles
	inv, sup := a.As(t, policies.RoleInvestigator), a.As(t, policies.RoleSupervisor)
	caseworker := a.SignedIn(t, apitest.UserSpec{Org: "cps-south-west", Roles: []string{policies.RoleCPSLiaison}})
	prosecutor := a.SignedIn(t, apitest.UserSpec{Org: "cps-south-west", Roles: []string{policies.RoleCPSLiaison}, Prosecutor: true})
	cv, err := cs.Create(ctx, inv.Actor(t), casefile.CaseInput{URN: "45AB1234598", Operation: "Matrix C", Offences: []casefile.Offence{casefile.OffenceS2},
		Classification: "OFFICIAL", SupervisorID: sup.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Submit(ctx, inv.Actor(t), cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeCharging,
		Submission: charging.Submission{Category: charging.Red, Test: charging.Threshold}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Approve(ctx, sup.Actor(t), cv.ID); err != nil {
		t.Fatal(err)
	}
	day := a.Clock.Now().AddDate(0, 1, 0)
	for _, l := range []*apitest.User{caseworker, prosecutor} {
		if _, err := cs.Share(ctx, sup.Actor(t), cv.ID, casefile.ShareInput{LiaisonID: l.ID, ExpiresOn: &day}); err != nil {
			t.Fatal(err)
		}
	}
	C := "/casefiles/" + strconv.FormatInt(cv.ID, 10)
	check := func(r row, path string, want map[*apitest.User]int) {
		t.Helper()
		for u, status := range want {
			if got := call(t, a, u, r, path); got != status {
				t.Errorf("%s %s as %s: %d, want %d", r.method, path, u.Email, got, status)
			}
		}
	}
	decide := map[*apitest.User]int{caseworker: 403, prosecutor: 422, inv: 403, sup: 403}
	check(row{method: "POST", form: url.Values{}}, C+"/decision", decide)
	check(row{method: "POST", json: `{}`}, "/api/v1"+C+"/decision", decide)
	charge := map[*apitest.User]int{caseworker: 403, prosecutor: 403, inv: 409, sup: 403}
	check(row{method: "POST", form: url.Values{}}, C+"/charge", charge)
	check(row{method: "POST", json: `{}`}, "/api/v1"+C+"/charge", charge)

	review := a.Clock.Now().AddDate(0, 0, 28)
	if _, err := cs.RecordDecision(ctx, prosecutor.Actor(t), cv.ID, casefile.DecisionInput{Decision: casefile.DecisionCharge, Reasons: "In custody; bank records expected",
		Terms: charging.Terms{Test: charging.Threshold, ReviewOn: &review, Charges: []charging.Charge{{Suspect: "S1", Offence: "msa_s2", Statute: "Modern Slavery Act 2015 s2(1)"}}}}); err != nil {
		t.Fatal(err)
	}
	charge[inv] = 422
	check(row{method: "POST", form: url.Values{}}, C+"/charge", charge)
	check(row{method: "POST", json: `{}`}, "/api/v1"+C+"/charge", charge)
}
