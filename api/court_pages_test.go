package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/casefiletest"
	"github.com/msptp/msphub/models/casefile/court"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
)

// chargedCase is an s2 case led by inv, with one suspect of an operation charged with s2 and
// attached to it, charged on the decision of liaison: the start of the case after charge. It
// returns the case and the charge.
func chargedCase(t *testing.T, a *apitest.App, inv, sup, liaison *apitest.User) (int64, int64) {
	t.Helper()
	ctx := t.Context()
	cs, ops := a.Services.CaseFiles, a.Services.Operations
	fail := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cv, err := cs.Create(ctx, inv.Actor(t), casefile.CaseInput{URN: "45AB1234577", Operation: "Heron", Offences: []casefile.Offence{casefile.OffenceS2},
		Classification: "OFFICIAL", SupervisorID: sup.ID})
	fail(err)
	started := a.Clock.Now().AddDate(0, -6, 0)
	op, err := ops.Create(ctx, inv.Actor(t), operations.OperationInput{Reference: "OP/HERON", Name: "Heron", LeadOfficer: inv.Email, Status: terms.StatusLive,
		StartedOn: started, Exploitation: []terms.Exploitation{terms.ExploitLabour}})
	fail(err)
	fail(ops.LinkCase(ctx, inv.Actor(t), op.ID, cv.ID))
	sv, err := ops.AddSuspect(ctx, inv.Actor(t), op.ID, operations.SuspectInput{PersonInput: operations.PersonInput{Reference: "S-1", AgeBand: terms.Age35to44, Sex: terms.SexMale},
		Charges: []operations.ChargeInput{{Offence: terms.OffenceS2, ChargedOn: a.Clock.Now().AddDate(0, -1, 0)}}})
	fail(err)
	fail(ops.AttachToCase(ctx, inv.Actor(t), op.ID, operations.KindSuspect, sv.ID, cv.ID))
	casefiletest.Charge(t, cs, inv.Actor(t), sup.Actor(t), liaison.Actor(t), cv.ID, a.Clock.Now())
	return cv.ID, sv.Charges[0].ID
}

// The case page's "After charge" section takes a charged case to sentence and closure with
// plain forms and redirects (JavaScript off): the team records the first hearing file, the PTPH,
// custody and the disclosure steps; the CPS liaison records the outcome of the charge (on the
// suspect's record), the outcomes and the sentence; the supervisor closes the case. A refused
// form comes back with all its problems; the liaison is offered no team step and refused one.
func TestTheCaseAfterChargeThroughThePages(t *testing.T) {
	a := apitest.New(t)
	inv, sup := a.As(t, policies.RoleInvestigator), a.As(t, policies.RoleSupervisor)
	liaison := a.SignedIn(t, apitest.UserSpec{Org: "cps-south-west", Roles: []string{policies.RoleCPSLiaison}, Prosecutor: true})
	id, chargeID := chargedCase(t, a, inv, sup, liaison)
	b, lb := inv.Browser(), liaison.Browser()
	casePage := fmt.Sprintf("/casefiles/%d", id)
	day := func(months, days int) string { return a.Clock.Now().AddDate(0, months, days).Format("2006-01-02") }

	got := pageText(t, b, casePage, http.StatusOK)
	for _, want := range []string{`id="after-charge"`, "Charged: first hearing file not recorded yet", "Record the first hearing file", "Record a defendant's custody status"} {
		if !strings.Contains(got, want) {
			t.Errorf("the case page does not show %q", want)
		}
	}
	if got := pageText(t, lb, casePage, http.StatusOK); strings.Contains(got, "Record the first hearing file") || strings.Contains(got, "Record a defendant's custody status") {
		t.Error("the liaison is offered the team's forms")
	}

	got, _ = submit(t, b, casePage+"/court", url.Values{"step": {"first_hearing"}}, http.StatusUnprocessableEntity)
	for _, want := range []string{"Select the anticipated plea", "Enter the date the file went to the CPS", "Enter the date of the first hearing"} {
		if !strings.Contains(got, want) {
			t.Errorf("a first hearing file without its fields does not say %q", want)
		}
	}
	form := url.Values{"step": {"first_hearing"}, "first_hearing_plea": {"not_guilty"}}
	dateForm(form, "first_hearing_on", day(0, -20))
	dateForm(form, "first_hearing_next_on", day(0, -18))
	if _, loc := submit(t, b, casePage+"/court", form, http.StatusSeeOther); loc != casePage+"#after-charge" {
		t.Errorf("after the first hearing file: redirected to %q", loc)
	}
	form = url.Values{"step": {"ptph"}}
	dateForm(form, "ptph_on", day(0, -10))
	dateForm(form, "ptph_next_on", day(1, 0))
	got, _ = submit(t, lb, casePage+"/court", form, http.StatusForbidden)
	if !strings.Contains(got, "Only the case team can change this case file") {
		t.Errorf("the liaison's PTPH:\n%s", got)
	}
	submit(t, b, casePage+"/court", form, http.StatusSeeOther)
	got = pageText(t, b, casePage, http.StatusOK)
	for _, want := range []string{"Plea and trial preparation hearing held", "Not guilty anticipated (NGAP)", "Full file due", "Date the court set for the full file", "Record the full file upgrade", "Record the defence statement"} {
		if !strings.Contains(got, want) {
			t.Errorf("after the PTPH the page does not show %q", want)
		}
	}

	got, _ = submit(t, b, casePage+"/court/custody", url.Values{"custody_status": {"in_custody"}}, http.StatusUnprocessableEntity)
	for _, want := range []string{"Enter the defendant's reference", "Enter the date the status began", "Enter the date the custody time limit expires"} {
		if !strings.Contains(got, want) {
			t.Errorf("custody without its fields does not say %q", want)
		}
	}
	form = url.Values{"custody_defendant": {"S-1"}, "custody_status": {"in_custody"}}
	dateForm(form, "custody_since_on", day(0, -20))
	dateForm(form, "custody_ctl_expires_on", day(0, 5))
	submit(t, b, casePage+"/court/custody", form, http.StatusSeeOther)
	got = pageText(t, b, casePage, http.StatusOK)
	if !strings.Contains(got, "Remanded in custody") || !strings.Contains(got, "Soon") {
		t.Errorf("the custody table:\n%s", got)
	}

	for _, st := range []string{"full_file", "defence_statement", "disclosure_review", "further_disclosure", "trial"} {
		form := url.Values{"step": {st}}
		dateForm(form, st+"_on", day(0, -2))
		submit(t, b, casePage+"/court", form, http.StatusSeeOther)
	}
	// The outcome is the suspect's record, recorded on the same page.
	form = url.Values{"step": {"outcomes"}}
	dateForm(form, "outcomes_on", day(0, -1))
	got, _ = submit(t, lb, casePage+"/court", form, http.StatusConflict)
	if !strings.Contains(got, "have no outcome yet") {
		t.Errorf("outcomes with a charge pending:\n%s", got)
	}
	outcome := url.Values{"outcome_" + strconv.FormatInt(chargeID, 10): {"convicted_trial"}}
	dateForm(outcome, "outcome_on_"+strconv.FormatInt(chargeID, 10), day(0, -1))
	submit(t, lb, fmt.Sprintf("%s/charges/%d/outcome", casePage, chargeID), outcome, http.StatusSeeOther)
	submit(t, lb, casePage+"/court", form, http.StatusSeeOther)
	form = url.Values{"step": {"sentenced"}, "sentenced_stpo": {"yes"}}
	dateForm(form, "sentenced_on", day(0, 0))
	if got, _ = submit(t, lb, casePage+"/court", form, http.StatusUnprocessableEntity); !strings.Contains(got, "Give the sentence of each defendant") {
		t.Errorf("a sentence without its details:\n%s", got)
	}
	form.Set("sentenced_details", "S-1: 9 years' imprisonment")
	submit(t, lb, casePage+"/court", form, http.StatusSeeOther)
	got = pageText(t, lb, casePage, http.StatusOK)
	for _, want := range []string{"Sentenced", "STPO made (MSA 2015 s14)", "S-1: 9 years' imprisonment", "Record the confiscation order", "Convicted after trial"} {
		if !strings.Contains(got, want) {
			t.Errorf("after sentence the page does not show %q", want)
		}
	}
	submit(t, sup.Browser(), casePage+"/close", url.Values{}, http.StatusSeeOther)
	if got = pageText(t, b, casePage, http.StatusOK); !strings.Contains(got, "Closed") || strings.Contains(got, "Record the confiscation order") {
		t.Errorf("after closing:\n%s", got)
	}
}

// The JSON API reads the case after charge and records its steps and custody, with the same
// rules as the pages.
func TestTheCaseAfterChargeThroughTheAPI(t *testing.T) {
	a := apitest.New(t)
	inv, sup := a.As(t, policies.RoleInvestigator), a.As(t, policies.RoleSupervisor)
	liaison := a.SignedIn(t, apitest.UserSpec{Org: "cps-south-west", Roles: []string{policies.RoleCPSLiaison}, Prosecutor: true})
	id, _ := chargedCase(t, a, inv, sup, liaison)
	path := fmt.Sprintf("/api/v1/casefiles/%d/court", id)
	on := a.Clock.Now().AddDate(0, 0, -3).Format("2006-01-02")
	next := a.Clock.Now().AddDate(0, 0, 3).Format("2006-01-02")

	var got struct{ Court court.View }
	apitest.Want(t, a.API(t, inv, "GET", path, ""), "GET court", http.StatusOK, &got)
	if got.Court.Stage != court.StageCharged || len(got.Court.Next) != 1 || !got.Court.Actions.Custody {
		t.Errorf("a charged case: %+v", got.Court)
	}
	apitest.Want(t, a.API(t, inv, "POST", path+"/steps", `{"step":"ptph","on":"`+on+`","next_on":"`+next+`"}`), "PTPH first", http.StatusConflict, nil)
	apitest.Want(t, a.API(t, liaison, "POST", path+"/steps", `{"step":"first_hearing","on":"`+on+`","next_on":"`+next+`","plea":"guilty"}`), "the liaison's first hearing file", http.StatusForbidden, nil)
	var v court.View
	apitest.Want(t, a.API(t, inv, "POST", path+"/steps", `{"step":"first_hearing","on":"`+on+`","next_on":"`+next+`","plea":"guilty"}`), "first hearing file", http.StatusOK, &v)
	if v.Stage != court.StageFirstHearing || v.AnticipatedPlea != court.PleaGuilty || len(v.Steps) != 1 {
		t.Errorf("after the first hearing file: %+v", v)
	}
	apitest.Want(t, a.API(t, inv, "POST", path+"/custody", `{"defendant":"S-1","status":"bail","since_on":"`+on+`"}`), "custody", http.StatusOK, &v)
	if len(v.Custody) != 1 || v.Custody[0].Status != court.OnBail {
		t.Errorf("custody: %+v", v.Custody)
	}
	apitest.Want(t, a.API(t, inv, "POST", path+"/custody", `{"status":"in_custody"}`), "custody without its fields", http.StatusUnprocessableEntity, nil)
}
