package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
)

// hiddenCaseOp is a joint operation of the home force with the National Crime Agency: a
// potential victim and a suspect of it are on the force investigator's case file (hidden), which
// the NCA investigator named on the operation may not read; the NCA investigator's own case
// file (theirs) is linked to the operation too.
type hiddenCaseOp struct {
	a              *apitest.App
	inv, nca       *apitest.User
	op             operations.OperationView
	hidden, theirs casefile.CaseView
	victim         operations.VictimView
	suspect        operations.SuspectView
}

func newHiddenCaseOp(t *testing.T) *hiddenCaseOp {
	t.Helper()
	a := apitest.New(t)
	x := &hiddenCaseOp{a: a, inv: a.As(t, policies.RoleInvestigator)}
	sup := a.NewUser(t, apitest.UserSpec{Roles: []string{policies.RoleSupervisor}})
	x.nca = a.SignedIn(t, apitest.UserSpec{Org: "national-crime-agency", Roles: []string{policies.RoleInvestigator}})
	ncaSup := a.NewUser(t, apitest.UserSpec{Org: "national-crime-agency", Roles: []string{policies.RoleSupervisor}})
	ctx, inv, nca := t.Context(), x.inv.Actor(t), x.nca.Actor(t)
	ops := a.Services.Operations
	var err error
	if x.op, err = ops.Create(ctx, inv, operations.OperationInput{Reference: "DC/OP/31", Name: "Kestrel", LeadOfficer: x.inv.Email, Status: terms.StatusLive,
		StartedOn: a.Clock.Now().AddDate(0, -2, 0), Exploitation: []terms.Exploitation{terms.ExploitLabour}, Partners: []string{"national-crime-agency"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.AddMember(ctx, inv, x.op.ID, x.nca.Email); err != nil {
		t.Fatal(err)
	}
	open := func(who *apitest.User, urn string, supervisor int64) casefile.CaseView {
		cv, err := a.Services.CaseFiles.Create(ctx, who.Actor(t), casefile.CaseInput{URN: urn, Operation: "Kestrel",
			Offences: []casefile.Offence{casefile.OffenceS2}, Classification: "OFFICIAL", SupervisorID: supervisor})
		if err != nil {
			t.Fatal(err)
		}
		return cv
	}
	x.hidden, x.theirs = open(x.inv, "45AB1234531", sup.ID), open(x.nca, "45AB1234631", ncaSup.ID)
	for _, link := range []error{ops.LinkCase(ctx, inv, x.op.ID, x.hidden.ID), ops.LinkCase(ctx, nca, x.op.ID, x.theirs.ID)} {
		if link != nil {
			t.Fatal(link)
		}
	}
	if x.victim, err = ops.AddVictim(ctx, inv, x.op.ID, operations.VictimInput{PersonInput: operations.PersonInput{Reference: "KV-1", AgeBand: terms.Age25to34, Sex: terms.SexFemale}}); err != nil {
		t.Fatal(err)
	}
	if x.suspect, err = ops.AddSuspect(ctx, inv, x.op.ID, operations.SuspectInput{PersonInput: operations.PersonInput{Reference: "KS-1", AgeBand: terms.Age35to44, Sex: terms.SexMale},
		Charges: []operations.ChargeInput{{Offence: terms.OffenceS2, ChargedOn: a.Clock.Now().AddDate(0, -1, 0)}}}); err != nil {
		t.Fatal(err)
	}
	for _, attach := range []error{ops.AttachToCase(ctx, inv, x.op.ID, operations.KindVictim, x.victim.ID, x.hidden.ID),
		ops.AttachToCase(ctx, inv, x.op.ID, operations.KindSuspect, x.suspect.ID, x.hidden.ID)} {
		if attach != nil {
			t.Fatal(attach)
		}
	}
	return x
}

// stillOnTheCase fails the test unless the victim and the suspect are still on the hidden case
// file, as its team reads them.
func (x *hiddenCaseOp) stillOnTheCase(t *testing.T, after string) {
	t.Helper()
	v, err := x.a.Services.Operations.Get(t.Context(), x.inv.Actor(t), x.op.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c := v.Victims[0].CaseID; c == nil || *c != x.hidden.ID {
		t.Errorf("%s: the victim is no longer on the case file (%v)", after, c)
	}
	if c := v.Suspects[0].CaseID; c == nil || *c != x.hidden.ID {
		t.Errorf("%s: the suspect is no longer on the case file (%v)", after, c)
	}
}

// A joint operation's investigator who is not on a case file's team reads no id of it through
// the API: not in the operation's victims and suspects, one of them, or the answers of their
// own saves, which keep the people on the case file. The case team reads the id.
func TestTheOperationAPIGivesNoIDOfACaseFileTheReaderMayNotSee(t *testing.T) {
	x := newHiddenCaseOp(t)
	a := x.a
	O := fmt.Sprintf("/api/v1/operations/%d", x.op.ID)
	V, S := fmt.Sprintf("%s/victims/%d", O, x.victim.ID), fmt.Sprintf("%s/suspects/%d", O, x.suspect.ID)
	caseID := fmt.Sprintf(`"case_id":%d`, x.hidden.ID)
	hidden := func(what, body string) {
		t.Helper()
		if strings.Contains(body, `"case_id"`) || !strings.Contains(body, `"case_hidden":true`) {
			t.Errorf("%s: a person on a case file the reader may not see:\n%s", what, body)
		}
	}
	var op struct{ Victims, Suspects []json.RawMessage }
	w := a.API(t, x.nca, "GET", O, "")
	apitest.Want(t, w, "the operation", http.StatusOK, &op)
	if strings.Contains(w.Body.String(), caseID) || !strings.Contains(w.Body.String(), fmt.Sprintf(`"case_id":%d`, x.theirs.ID)) {
		t.Errorf("the operation names the case file the reader may not see, or not their own:\n%s", w.Body.String())
	}
	hidden("the operation's victim", string(op.Victims[0]))
	hidden("the operation's suspect", string(op.Suspects[0]))
	w = a.API(t, x.nca, "GET", V, "")
	apitest.Want(t, w, "the victim", http.StatusOK, nil)
	hidden("the victim", w.Body.String())
	w = a.API(t, x.nca, "GET", S, "")
	apitest.Want(t, w, "the suspect", http.StatusOK, nil)
	hidden("the suspect", w.Body.String())

	// They change the people's other fields: the answers name no case file, the people stay on it.
	w = a.API(t, x.nca, "PUT", V, `{"reference":"KV-1","age_band":"25-34","sex":"female","safeguarding":true}`)
	apitest.Want(t, w, "save the victim", http.StatusOK, nil)
	hidden("the saved victim", w.Body.String())
	w = a.API(t, x.nca, "PUT", S, `{"reference":"KS-1","age_band":"35-44","sex":"male","role":"controller"}`)
	apitest.Want(t, w, "save the suspect", http.StatusOK, nil)
	hidden("the saved suspect", w.Body.String())
	w = a.API(t, x.nca, "POST", S+"/charges", fmt.Sprintf(`{"offence":"msa_s1","charged_on":%q}`, a.Clock.Now().AddDate(0, 0, -7).Format("2006-01-02")))
	apitest.Want(t, w, "add a charge", http.StatusCreated, nil)
	hidden("the suspect with a charge added", w.Body.String())
	apitest.Want(t, a.API(t, x.nca, "PUT", V+"/case", `{"case_id":0}`), "take the victim off the case file", http.StatusNotFound, nil)
	x.stillOnTheCase(t, "after the joint investigator's saves")

	// The case team reads the id, and no flag.
	for what, path := range map[string]string{"the operation": O, "the victim": V, "the suspect": S, "the case's operation": fmt.Sprintf("/api/v1/casefiles/%d/operation", x.hidden.ID)} {
		w = a.API(t, x.inv, "GET", path, "")
		apitest.Want(t, w, what+" as the case team", http.StatusOK, nil)
		if !strings.Contains(w.Body.String(), caseID) || strings.Contains(w.Body.String(), "case_hidden") {
			t.Errorf("%s as the case team:\n%s", what, w.Body.String())
		}
	}
}

// On the pages, the joint operation's investigator reads that the people are on a case file
// they cannot see, with no id of it anywhere (not even as the value of a choice), and the
// person form offers to keep it as it is: saving the other fields keeps the people on it;
// taking them off it or moving them stays the case team's.
func TestTheOperationPagesGiveNoIDOfACaseFileTheReaderMayNotSee(t *testing.T) {
	x := newHiddenCaseOp(t)
	b := x.nca.Browser()
	loc := operationPath(x.op.ID)
	V, S := fmt.Sprintf("%s/victims/%d", loc, x.victim.ID), fmt.Sprintf("%s/suspects/%d", loc, x.suspect.ID)
	id := fmt.Sprint(x.hidden.ID)
	leaks := regexp.MustCompile(`/casefiles/` + id + `\b|value="` + id + `"|case_id=` + id + `\b`)

	got := pageText(t, b, loc, http.StatusOK)
	if leaks.MatchString(got) || strings.Contains(got, x.hidden.URN) || !strings.Contains(got, "A case file you cannot see") || !strings.Contains(got, x.theirs.URN) {
		t.Errorf("the operation page names the case file the reader may not see, or does not say there is one:\n%s", got)
	}
	options := regexp.MustCompile(`<option value="([^"]*)"( selected)?>([^<]*)</option>`)
	for _, path := range []string{V, S} {
		got = pageText(t, b, path, http.StatusOK)
		if leaks.MatchString(got) || strings.Contains(got, x.hidden.URN) {
			t.Errorf("%s names the case file the reader may not see:\n%s", path, got)
		}
		var kept bool
		for _, o := range options.FindAllStringSubmatch(got, -1) {
			if o[1] == "keep" && o[2] != "" && strings.Contains(o[3], "Keep as it is") {
				kept = true
			}
		}
		if !kept {
			t.Errorf("%s does not offer to keep the case file as it is, chosen:\n%s", path, got)
		}
	}

	// As their browser posts the forms: the case file kept as it is.
	victim := url.Values{"reference": {"KV-1"}, "age_band": {"25-34"}, "sex": {"female"}, "safeguarding": {"yes"}, "case_id": {"keep"}}
	suspect := url.Values{"reference": {"KS-1"}, "age_band": {"35-44"}, "sex": {"male"}, "role": {"controller"}, "case_id": {"keep"}}
	submit(t, b, V, victim, http.StatusSeeOther)
	submit(t, b, S, suspect, http.StatusSeeOther)
	x.stillOnTheCase(t, "after the joint investigator saved the forms")
	v, err := x.a.Services.Operations.Victim(t.Context(), x.inv.Actor(t), x.op.ID, x.victim.ID)
	if err != nil || !v.Safeguarding {
		t.Errorf("the victim form's other fields are not saved: %+v %v", v, err)
	}
	// Taking them off the case file they cannot see, or moving them to their own, is refused
	// and changes nothing.
	for _, choice := range []string{"0", fmt.Sprint(x.theirs.ID)} {
		victim.Set("case_id", choice)
		victim.Set("reference", "KV-2")
		got, _ := submit(t, b, V, victim, http.StatusUnprocessableEntity)
		if !strings.Contains(got, "Only the team of a case file") || leaks.MatchString(got) {
			t.Errorf("case file %s: the refusal does not say why, or names the hidden case file:\n%s", choice, got)
		}
	}
	x.stillOnTheCase(t, "after refused changes of the case file")
	if v, _ := x.a.Services.Operations.Victim(t.Context(), x.inv.Actor(t), x.op.ID, x.victim.ID); v.Reference != "KV-1" {
		t.Errorf("a refused form saved the victim: %+v", v)
	}

	// The case team's form names their case file, chosen.
	got = pageText(t, x.inv.Browser(), S, http.StatusOK)
	if !strings.Contains(got, `<option value="`+id+`" selected>`+x.hidden.URN) || strings.Contains(got, "Keep as it is") {
		t.Errorf("the case team's form does not name their case file:\n%s", got)
	}
}

func operationPath(id int64) string { return fmt.Sprintf("/operations/%d", id) }
