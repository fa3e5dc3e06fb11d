package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/policies"
)

// An administrator marks a CPS person as a Crown Prosecutor on the user form; the user page
// shows it; nobody outside the CPS can be one; an API change that leaves the field out keeps it.
func TestCrownProsecutorOnTheUserForm(t *testing.T) {
	a := apitest.New(t)
	admin := a.As(t, policies.RoleAdmin)
	b := admin.Browser()
	form := url.Values{"name": {"Priya Prosecutor"}, "email": {"priya.prosecutor@cps.example.gov.uk"}, "organisation_id": {itoa(a.Org(t, apitest.HomeOrg))},
		"roles": {policies.RoleCPSLiaison}, "vetting_level": {"BPSS"}, "vetting_expires_on-day": {"28"}, "vetting_expires_on-month": {"2"}, "vetting_expires_on-year": {"2030"},
		"prosecutor": {"yes"}}
	w := b.Submit(t, "/users/new", form)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `href="#prosecutor"`) {
		t.Fatalf("a police Crown Prosecutor: %d\n%s", w.Code, cfText(w.Body.String()))
	}
	form.Set("organisation_id", itoa(a.Org(t, "cps-south-west")))
	w = b.Submit(t, "/users/new", form)
	page := w.Body.String()
	m := regexp.MustCompile(`href="(/users/(\d+))/edit"`).FindStringSubmatch(page)
	if w.Code != http.StatusOK || m == nil || !strings.Contains(cfText(page), "Charging decisions Crown Prosecutor") {
		t.Fatalf("add a Crown Prosecutor: %d\n%s", w.Code, cfText(page))
	}
	if edit := b.Get(t, m[1]+"/edit").Body.String(); !regexp.MustCompile(`name="prosecutor" type="checkbox" value="yes" checked`).MatchString(edit) {
		t.Errorf("the edit form does not show the mark checked")
	}
	if r := a.API(t, admin, "PATCH", "/api/v1/users/"+m[2], `{"name":"Priya Prosecutor KC","email":"priya.prosecutor@cps.example.gov.uk","vetting_level":"BPSS","vetting_expires_on":"2030-02-28"}`); r.Code != http.StatusOK ||
		!strings.Contains(r.Body.String(), `"crown_prosecutor":true`) {
		t.Errorf("an API change without the field: %d %s", r.Code, r.Body.String())
	}
	form.Del("prosecutor")
	if w := b.Submit(t, m[1]+"/edit", form); w.Code != http.StatusSeeOther {
		t.Fatalf("unmark: %d %s", w.Code, cfText(w.Body.String()))
	}
	if page := cfText(b.Get(t, m[1]).Body.String()); strings.Contains(page, "Crown Prosecutor") {
		t.Errorf("the mark stays after the form cleared it: %s", page)
	}
}

// The charging steps through the pages, without JavaScript: the team submits a Threshold Test
// pack (DG6 red) with pre-charge items outstanding; the supervisor approves and shares it with a
// caseworker and a Crown Prosecutor; the caseworker is told why no decision form is offered; the
// prosecutor's form reports every problem at once, then authorises two charges with a review
// date; the team records the police charge.
func TestChargingThroughThePages(t *testing.T) {
	w := newCFWorld(t)
	caseworker := w.a.SignedIn(t, apitest.UserSpec{Org: "cps-wessex", Roles: []string{policies.RoleCPSLiaison}})
	id := w.openCase(t)
	c := fmt.Sprintf("/casefiles/%d", id)

	page := w.inv.Browser().Get(t, c+"/pack").Body.String()
	for _, want := range []string{`name="dg6_category" type="radio" value="green_priority"`, `name="test" type="radio" value="threshold"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the submit form lacks %s", want)
		}
	}
	r := w.inv.Browser().Submit(t, c+"/submit", url.Values{"purpose": {"charging"}})
	if body := r.Body.String(); r.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#dg6_category"`) || !strings.Contains(body, `href="#test"`) {
		t.Fatalf("a charging pack without category and test: %d\n%s", r.Code, cfText(body))
	}
	cfSubmit(t, w.inv, c+"/submit", url.Values{"purpose": {"charging"}, "dg6_category": {"red"}, "test": {"threshold"}}, http.StatusSeeOther)
	if page := cfText(w.sup.Browser().Get(t, c+"/pack").Body.String()); !strings.Contains(page, "DG6 Red") || !strings.Contains(page, "Threshold Test") || !strings.Contains(page, "Outstanding:") {
		t.Errorf("the submissions table does not say the category, test and outstanding items: %s", page)
	}
	cfSubmit(t, w.sup, c+"/approve", url.Values{"confirmed": {"yes"}}, http.StatusSeeOther)
	until := w.a.Clock.Now().AddDate(0, 0, 20)
	cfSubmit(t, w.sup, c+"/shares", shareForm(w.liaison, until), http.StatusSeeOther)
	cfSubmit(t, w.sup, c+"/shares", shareForm(caseworker, until), http.StatusSeeOther)

	page = caseworker.Browser().Get(t, c+"/pack").Body.String()
	if strings.Contains(page, c+"/decision") || !strings.Contains(page, "Only a Crown Prosecutor records a charging decision") || !strings.Contains(page, c+"/actions") {
		t.Errorf("the caseworker's page: %s", cfText(page))
	}
	if r := caseworker.Browser().Submit(t, c+"/decision", url.Values{"decision": {"charge"}}); r.Code != http.StatusForbidden || !strings.Contains(r.Body.String(), "Only a Crown Prosecutor") {
		t.Errorf("the caseworker's decision: %d", r.Code)
	}

	page = w.liaison.Browser().Get(t, c+"/pack").Body.String()
	for _, want := range []string{c + "/decision", `id="charge-6-statute"`, `name="nfa_basis" type="radio" value="public_interest"`, `id="review_on"`, "Human trafficking (MSA 2015 s2)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the prosecutor's decision form lacks %s", want)
		}
	}
	review := w.a.Clock.Now().AddDate(0, 0, 28)
	form := url.Values{"decision": {"charge"}, "reasons": {"Suspects in custody; bank records expected"}, "test": {"threshold"},
		"charge-1-suspect": {"S1"}, "charge-1-offence": {"msa_s2"}, "charge-2-suspect": {"S2"}}
	r = w.liaison.Browser().Submit(t, c+"/decision", form)
	body := r.Body.String()
	for _, want := range []string{`href="#review_on-day"`, `href="#charge-1-statute"`, `href="#charge-2-offence"`, `href="#charge-2-statute"`} {
		if r.Code != http.StatusUnprocessableEntity || !strings.Contains(body, want) {
			t.Errorf("the incomplete decision: %d, no error at %s", r.Code, want)
		}
	}
	if !strings.Contains(body, `value="S2"`) {
		t.Error("the form lost what was typed")
	}
	form.Set("charge-1-statute", "Modern Slavery Act 2015 s2(1)")
	form.Set("charge-2-offence", "msa_s2")
	form.Set("charge-2-statute", "Modern Slavery Act 2015 s2(1)")
	form.Set("review_on-day", strconv.Itoa(review.Day()))
	form.Set("review_on-month", strconv.Itoa(int(review.Month())))
	form.Set("review_on-year", strconv.Itoa(review.Year()))
	cfSubmit(t, w.liaison, c+"/decision", form, http.StatusSeeOther)
	if got := w.status(t, id); got != casefile.StatusChargeAuthorised {
		t.Fatalf("after the decision: %s", got)
	}

	page = w.inv.Browser().Get(t, c+"/pack").Body.String()
	text := cfText(page)
	for _, want := range []string{"Charge authorised by the CPS", "Threshold Test", "To be reviewed by " + review.Format("2 January 2006"), "S2 Human trafficking (MSA 2015 s2) Modern Slavery Act 2015 s2(1)", "Record the police charge"} {
		if !strings.Contains(text, want) {
			t.Errorf("the team's page lacks %q", want)
		}
	}
	if strings.Contains(w.liaison.Browser().Get(t, c+"/pack").Body.String(), c+"/charge\"") {
		t.Error("the prosecutor is offered the police charge form")
	}
	today := w.a.Clock.Now()
	cfSubmit(t, w.inv, c+"/charge", url.Values{"charged_on-day": {strconv.Itoa(today.Day())}, "charged_on-month": {strconv.Itoa(int(today.Month()))},
		"charged_on-year": {strconv.Itoa(today.Year())}, "charged_by": {"PS 1234 Example"}}, http.StatusSeeOther)
	if got := w.status(t, id); got != casefile.StatusCharged {
		t.Errorf("after the police charge: %s", got)
	}
	tl, err := w.a.Services.CaseFiles.Timeline(context.Background(), w.inv.Actor(t), id, "", 0)
	if err != nil || len(tl.Events) == 0 || !strings.Contains(tl.Events[0].Details, "by PS 1234 Example") {
		t.Errorf("timeline: %v %+v", err, tl.Events)
	}

	// Through the API the decision lists its charges.
	var actions struct{ Actions []casefile.ActionView }
	if r := w.a.API(t, w.inv, "GET", "/api/v1"+c+"/actions", ""); r.Code != http.StatusOK || json.Unmarshal(r.Body.Bytes(), &actions) != nil ||
		len(actions.Actions) == 0 || len(actions.Actions[0].Charges) != 2 {
		t.Errorf("the API's actions: %d %s", r.Code, r.Body.String())
	}
}
