package api_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
)

// operationRows are the routes of the operations database (issue 12). The callers'
// investigator leads an operation of the home force and named the callers' officer on it; the
// callers' supervisor oversees it through the organisation. Everyone else (administrators,
// analysts, the other roles) gets 404 from every route on it. The operation has a potential
// victim and a suspect with a charge, attached to case file C of the investigator (linked to the
// operation); case file D is theirs and not linked. Requests are bad input or refused, so the
// matrix changes nothing.
func operationRows(t *testing.T, a *apitest.App, callers map[who]*apitest.User) []row {
	ctx := context.Background()
	ops, cs := a.Services.Operations, a.Services.CaseFiles
	inv, sup, off := callers[policies.RoleInvestigator].Actor(t), callers[policies.RoleSupervisor].Actor(t), callers[policies.RoleOfficer]
	started := a.Clock.Now().AddDate(0, -2, 0)
	op, err := ops.Create(ctx, inv, operations.OperationInput{Reference: "MX/OP/1", Name: "Matrix", LeadOfficer: inv.Email, Status: terms.StatusLive,
		StartedOn: started, Exploitation: []terms.Exploitation{terms.ExploitLabour}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ops.AddMember(ctx, inv, op.ID, off.Email); err != nil {
		t.Fatal(err)
	}
	victim, err := ops.AddVictim(ctx, inv, op.ID, operations.VictimInput{PersonInput: operations.PersonInput{Reference: "MX-V1", AgeBand: terms.Age25to34, Sex: terms.SexMale}})
	if err != nil {
		t.Fatal(err)
	}
	suspect, err := ops.AddSuspect(ctx, inv, op.ID, operations.SuspectInput{PersonInput: operations.PersonInput{Reference: "MX-S1", AgeBand: terms.Age35to44, Sex: terms.SexMale},
		Charges: []operations.ChargeInput{{Offence: terms.OffenceS2, ChargedOn: started}}})
	if err != nil {
		t.Fatal(err)
	}
	open := func(urn string) int64 {
		cv, err := cs.Create(ctx, inv, casefile.CaseInput{URN: urn, Operation: "Matrix", Offences: []casefile.Offence{casefile.OffenceS2},
			Classification: "OFFICIAL", SupervisorID: sup.UserID})
		if err != nil {
			t.Fatal(err)
		}
		return cv.ID
	}
	caseC, caseD := open("45AB1234588"), open("45AB1234688")
	if err := ops.LinkCase(ctx, inv, op.ID, caseC); err != nil {
		t.Fatal(err)
	}
	if err := ops.AttachToCase(ctx, inv, op.ID, operations.KindSuspect, suspect.ID, caseC); err != nil {
		t.Fatal(err)
	}
	charge := suspect.Charges[0].ID

	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	path := func(p string) func() string { return func() string { return p } }
	O := "/operations/" + id(op.ID)
	V, S := O+"/victims/"+id(victim.ID), O+"/suspects/"+id(suspect.ID)
	C := "/casefiles/" + id(caseC)
	const (
		inv_ = policies.RoleInvestigator
		sup_ = policies.RoleSupervisor
		off_ = policies.RoleOfficer
	)
	recorders := func(status int) map[who]int { return may(status, inv_, sup_, off_) } // who may record operations
	seers := recorders                                                                 // who sees this one
	leads := func(status, officer int) map[who]int { return merge(may(status, inv_, sup_), may(officer, off_)) }
	caseReaders := func(status int) map[who]int { return may(status, inv_, sup_) }
	none := url.Values{}
	outcome := url.Values{"outcome_" + id(charge): {"convicted_plea"}} // no date: refused
	CH := S + "/charges/" + id(charge)
	return []row{
		{method: "GET", route: "/operations", def: 200, anon: 303},
		{method: "GET", route: "/operations/new", want: recorders(200), def: 403, anon: 303},
		{method: "POST", route: "/operations/new", form: none, want: recorders(422), def: 403, anon: 303},
		{method: "GET", route: "/operations/:id", concrete: path(O), want: seers(200), def: 404, anon: 303},
		{method: "GET", route: "/operations/:id/edit", concrete: path(O + "/edit"), want: seers(200), def: 404, anon: 303},
		{method: "POST", route: "/operations/:id/edit", concrete: path(O + "/edit"), form: none, want: seers(422), def: 404, anon: 303},
		{method: "POST", route: "/operations/:id/members", concrete: path(O + "/members"), form: none, want: leads(422, 403), def: 404, anon: 303},
		{method: "POST", route: "/operations/:id/members/:member/remove", concrete: path(O + "/members/999999/remove"), form: none, want: leads(404, 403), def: 404, anon: 303},
		{method: "POST", route: "/operations/:id/cases", concrete: path(O + "/cases"), form: none, want: seers(422), def: 404, anon: 303},
		{method: "POST", route: "/operations/:id/cases/:case/unlink", concrete: path(O + "/cases/" + id(caseD) + "/unlink"), form: none, want: may(403, sup_), def: 404, anon: 303},
		{method: "GET", route: "/operations/:id/victims/new", concrete: path(O + "/victims/new"), want: seers(200), def: 404, anon: 303},
		{method: "POST", route: "/operations/:id/victims/new", concrete: path(O + "/victims/new"), form: none, want: seers(422), def: 404, anon: 303},
		{method: "GET", route: "/operations/:id/victims/:victim", concrete: path(V), want: seers(200), def: 404, anon: 303},
		{method: "POST", route: "/operations/:id/victims/:victim", concrete: path(V), form: none, want: seers(422), def: 404, anon: 303},
		{method: "GET", route: "/operations/:id/suspects/new", concrete: path(O + "/suspects/new"), want: seers(200), def: 404, anon: 303},
		{method: "POST", route: "/operations/:id/suspects/new", concrete: path(O + "/suspects/new"), form: none, want: seers(422), def: 404, anon: 303},
		{method: "GET", route: "/operations/:id/suspects/:suspect", concrete: path(S), want: seers(200), def: 404, anon: 303},
		{method: "POST", route: "/operations/:id/suspects/:suspect", concrete: path(S), form: none, want: seers(422), def: 404, anon: 303},
		{method: "GET", route: "/operations/:id/suspects/:suspect/charges/new", concrete: path(S + "/charges/new"), want: seers(200), def: 404, anon: 303},
		{method: "POST", route: "/operations/:id/suspects/:suspect/charges/new", concrete: path(S + "/charges/new"), form: none, want: seers(422), def: 404, anon: 303},
		{method: "GET", route: "/operations/:id/suspects/:suspect/charges/:charge", concrete: path(CH), want: seers(200), def: 404, anon: 303},
		{method: "POST", route: "/operations/:id/suspects/:suspect/charges/:charge", concrete: path(CH), form: none, want: seers(422), def: 404, anon: 303},
		{method: "POST", route: "/casefiles/:id/charges/:charge/outcome", concrete: path(C + "/charges/" + id(charge) + "/outcome"), form: outcome, want: merge(may(422, inv_), may(403, sup_)), def: 404, anon: 303},

		{method: "GET", route: "/api/v1/operations", def: 200, anon: 401},
		{method: "POST", route: "/api/v1/operations", json: `{}`, want: recorders(422), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/operations/partners", want: recorders(200), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/operations/:id", concrete: path("/api/v1" + O), want: seers(200), def: 404, anon: 401},
		{method: "PUT", route: "/api/v1/operations/:id", concrete: path("/api/v1" + O), json: `{}`, want: seers(422), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/operations/:id/members", concrete: path("/api/v1" + O + "/members"), json: `{}`, want: leads(422, 403), def: 404, anon: 401},
		{method: "DELETE", route: "/api/v1/operations/:id/members/:member", concrete: path("/api/v1" + O + "/members/999999"), want: leads(404, 403), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/operations/:id/cases", concrete: path("/api/v1" + O + "/cases"), json: `{}`, want: seers(422), def: 404, anon: 401},
		{method: "DELETE", route: "/api/v1/operations/:id/cases/:case", concrete: path("/api/v1" + O + "/cases/" + id(caseD)), want: may(403, sup_), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/operations/:id/victims", concrete: path("/api/v1" + O + "/victims"), want: seers(200), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/operations/:id/victims", concrete: path("/api/v1" + O + "/victims"), json: `{}`, want: seers(422), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/operations/:id/victims/:victim", concrete: path("/api/v1" + V), want: seers(200), def: 404, anon: 401},
		{method: "PUT", route: "/api/v1/operations/:id/victims/:victim", concrete: path("/api/v1" + V), json: `{}`, want: seers(422), def: 404, anon: 401},
		{method: "PUT", route: "/api/v1/operations/:id/victims/:victim/case", concrete: path("/api/v1" + V + "/case"), json: `{"case_id":-1}`, want: seers(422), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/operations/:id/suspects", concrete: path("/api/v1" + O + "/suspects"), want: seers(200), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/operations/:id/suspects", concrete: path("/api/v1" + O + "/suspects"), json: `{}`, want: seers(422), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/operations/:id/suspects/:suspect", concrete: path("/api/v1" + S), want: seers(200), def: 404, anon: 401},
		{method: "PUT", route: "/api/v1/operations/:id/suspects/:suspect", concrete: path("/api/v1" + S), json: `{}`, want: seers(422), def: 404, anon: 401},
		{method: "PUT", route: "/api/v1/operations/:id/suspects/:suspect/case", concrete: path("/api/v1" + S + "/case"), json: `{"case_id":-1}`, want: seers(422), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/operations/:id/suspects/:suspect/charges", concrete: path("/api/v1" + S + "/charges"), json: `{}`, want: seers(422), def: 404, anon: 401},
		{method: "PUT", route: "/api/v1/operations/:id/suspects/:suspect/charges/:charge", concrete: path("/api/v1" + S + "/charges/" + id(charge)), json: `{}`, want: seers(422), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/casefiles/:id/operation", concrete: path("/api/v1" + C + "/operation"), want: caseReaders(200), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/casefiles/:id/charges/:charge/outcome", concrete: path("/api/v1" + C + "/charges/" + id(charge) + "/outcome"),
			json: `{"outcome":"convicted_plea"}`, want: merge(may(422, inv_), may(403, sup_)), def: 404, anon: 401},
	}
}
