package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/policies"
)

// An officer records a joint operation with a victim and a suspect through the API, links their
// case file, and the outcome recorded from the case is the suspect's record; other forces,
// administrators and analysts see nothing. Every request and answer is checked against the
// OpenAPI document.
func TestOperationsThroughTheAPI(t *testing.T) {
	a := apitest.New(t)
	inv := a.As(t, policies.RoleInvestigator)
	sup := a.As(t, policies.RoleSupervisor)
	nca := a.SignedIn(t, apitest.UserSpec{Org: "national-crime-agency", Roles: []string{policies.RoleOfficer}})
	kent := a.SignedIn(t, apitest.UserSpec{Org: "kent-police", Roles: []string{policies.RoleSupervisor}})
	analyst := a.As(t, policies.RoleAnalyst)
	adm := a.As(t, policies.RoleAdmin)
	today := a.Clock.Now().Format("2006-01-02")
	past := a.Clock.Now().AddDate(0, -3, 0).Format("2006-01-02")
	later := a.Clock.Now().AddDate(0, -1, 0).Format("2006-01-02")

	w := a.API(t, inv, "POST", "/api/v1/operations", `{"reference":"John Smith","name":"","status":"closed","started_on":"`+today+`","exploitation":[]}`)
	var p struct{ Field, Detail string }
	apitest.Want(t, w, "create with problems", http.StatusUnprocessableEntity, &p)
	if p.Field != "reference" || !strings.Contains(p.Detail, "never a name") {
		t.Errorf("problem %+v", p)
	}

	var op operations.OperationView
	apitest.Want(t, a.API(t, inv, "POST", "/api/v1/operations", fmt.Sprintf(`{"reference":"DC/OP/7","name":"Lantern","lead_officer":%q,"status":"live",
		"started_on":%q,"exploitation":["labour","criminal_county_lines"],"partners":["national-crime-agency"],"cross_border":true}`, inv.Email, past)), "create", http.StatusCreated, &op)
	if op.Title != "Operation Lantern" || !op.Joint || len(op.Members) != 1 || !op.Actions.ManageTeam {
		t.Errorf("created %+v", op)
	}
	O := fmt.Sprintf("/api/v1/operations/%d", op.ID)
	apitest.Want(t, a.API(t, inv, "POST", O+"/members", fmt.Sprintf(`{"email":%q}`, nca.Email)), "name the NCA officer", http.StatusCreated, nil)
	apitest.Want(t, a.API(t, inv, "POST", O+"/members", fmt.Sprintf(`{"email":%q}`, kent.Email)), "name a Kent officer", http.StatusUnprocessableEntity, nil)

	var v operations.VictimView
	apitest.Want(t, a.API(t, nca, "POST", O+"/victims", fmt.Sprintf(`{"reference":"V-1","age_band":"16-17","sex":"female","nationality":"al",
		"nrm_referred_on":%q,"first_responder":"police","rg_decided_on":%q,"rg_outcome":"positive","exploitation":["sexual"]}`, past, later)), "victim", http.StatusCreated, &v)
	w = a.API(t, nca, "PUT", fmt.Sprintf("%s/victims/%d", O, v.ID), fmt.Sprintf(`{"reference":"V-1","age_band":"16-17","sex":"female",
		"nrm_referred_on":%q,"first_responder":"police","rg_decided_on":%q,"rg_outcome":"negative","cg_decided_on":%q,"cg_outcome":"positive"}`, past, later, today))
	apitest.Want(t, w, "CG after a negative RG", http.StatusUnprocessableEntity, &p)
	if p.Field != "cg_decided_on" {
		t.Errorf("problem %+v", p)
	}

	var s operations.SuspectView
	apitest.Want(t, a.API(t, inv, "POST", O+"/suspects", fmt.Sprintf(`{"reference":"S-1","age_band":"35-44","sex":"male","role":"controller",
		"arrested_on":%q,"charges":[{"offence":"msa_s2","charged_on":%q}]}`, past, past)), "suspect", http.StatusCreated, &s)
	if len(s.Charges) != 1 {
		t.Fatalf("suspect %+v", s)
	}

	cv, err := a.Services.CaseFiles.Create(t.Context(), inv.Actor(t), casefile.CaseInput{URN: "45AB1234577", Operation: "Lantern",
		Offences: []casefile.Offence{casefile.OffenceS2}, Classification: "OFFICIAL", SupervisorID: sup.ID})
	if err != nil {
		t.Fatal(err)
	}
	apitest.Want(t, a.API(t, nca, "POST", O+"/cases", fmt.Sprintf(`{"case_id":%d}`, cv.ID)), "a member not on the case links it", http.StatusNotFound, nil)
	apitest.Want(t, a.API(t, inv, "POST", O+"/cases", fmt.Sprintf(`{"case_id":%d}`, cv.ID)), "link", http.StatusCreated, nil)
	apitest.Want(t, a.API(t, nca, "PUT", fmt.Sprintf("%s/suspects/%d/case", O, s.ID), fmt.Sprintf(`{"case_id":%d}`, cv.ID)), "a member not on the case attaches to it", http.StatusNotFound, nil)
	apitest.Want(t, a.API(t, inv, "PUT", fmt.Sprintf("%s/suspects/%d/case", O, s.ID), fmt.Sprintf(`{"case_id":%d}`, cv.ID)), "attach", http.StatusOK, nil)
	apitest.Want(t, a.API(t, nca, "PUT", fmt.Sprintf("%s/suspects/%d/case", O, s.ID), `{"case_id":0}`), "a member not on the case detaches from it", http.StatusNotFound, nil)
	var seen operations.OperationView
	apitest.Want(t, a.API(t, nca, "GET", O, ""), "the operation as a member not on the case", http.StatusOK, &seen)
	if len(seen.Cases) != 0 || seen.OtherCases != 1 {
		t.Errorf("a member not on the case sees cases %+v and %d others", seen.Cases, seen.OtherCases)
	}
	apitest.Want(t, a.API(t, inv, "GET", O, ""), "the operation as the case team", http.StatusOK, &seen)
	if len(seen.Cases) != 1 || seen.Cases[0].URN != cv.URN || seen.OtherCases != 0 {
		t.Errorf("the case team sees cases %+v and %d others", seen.Cases, seen.OtherCases)
	}

	C := fmt.Sprintf("/api/v1/casefiles/%d", cv.ID)
	var co struct{ Operation *operations.CaseOperation }
	apitest.Want(t, a.API(t, sup, "GET", C+"/operation", ""), "the case's operation", http.StatusOK, &co)
	if co.Operation == nil || co.Operation.OperationID != op.ID || len(co.Operation.Suspects) != 1 || len(co.Operation.Victims) != 0 || co.Operation.Actions.RecordOutcome {
		t.Errorf("case operation %+v", co.Operation)
	}
	outcome := fmt.Sprintf("%s/charges/%d/outcome", C, s.Charges[0].ID)
	apitest.Want(t, a.API(t, sup, "POST", outcome, fmt.Sprintf(`{"outcome":"convicted_plea","outcome_on":%q}`, today)), "supervisor records", http.StatusForbidden, nil)
	apitest.Want(t, a.API(t, inv, "POST", outcome, fmt.Sprintf(`{"outcome":"convicted_plea","outcome_on":%q}`, today)), "team records", http.StatusOK, nil)
	var got operations.SuspectView
	apitest.Want(t, a.API(t, nca, "GET", fmt.Sprintf("%s/suspects/%d", O, s.ID), ""), "the suspect", http.StatusOK, &got)
	if got.Charges[0].Outcome != "convicted_plea" || got.Charges[0].OutcomeOn == nil {
		t.Errorf("the outcome from the case is not the suspect's: %+v", got.Charges[0])
	}

	for _, u := range []*apitest.User{kent, analyst, adm} {
		apitest.Want(t, a.API(t, u, "GET", O, ""), "get as "+u.Email, http.StatusNotFound, nil)
		var page operations.Page
		apitest.Want(t, a.API(t, u, "GET", "/api/v1/operations", ""), "list as "+u.Email, http.StatusOK, &page)
		if len(page.Operations) != 0 {
			t.Errorf("%s lists %+v", u.Email, page.Operations)
		}
	}
	var page operations.Page
	apitest.Want(t, a.API(t, sup, "GET", "/api/v1/operations?status=live&q=lantern", ""), "search", http.StatusOK, &page)
	if len(page.Operations) != 1 || !page.Actions.Create {
		t.Errorf("supervisor's search: %+v", page)
	}
}
