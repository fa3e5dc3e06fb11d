package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/training"
	"github.com/msptp/msphub/policies"
)

// A form reports every one of its errors at once, each linked from the error summary to its
// field (GOV.UK), rather than one per submit: an empty guidance form, course form and session
// form each answer with all of theirs in one response. The API lists them too.
func TestEveryFormErrorAtOnce(t *testing.T) {
	a := apitest.New(t)
	editor := a.As(t, policies.RoleGuidanceEditor)
	trainer := a.As(t, policies.RoleTrainer)

	eb := editor.Browser()
	eb.Get(t, "/guidance/new")
	wantAll(t, "empty guidance form", eb.Submit(t, "/guidance/new", url.Values{}),
		"title", "summary", "body", "category", "classification", "audience_scope")

	tb := trainer.Browser()
	tb.Get(t, "/courses/new")
	wantAll(t, "empty course form", tb.Submit(t, "/courses/new", url.Values{}), "code", "title", "approval_required")
	wantAll(t, "course form with words for numbers", tb.Submit(t, "/courses/new", url.Values{"approval_days": {"two"}, "cpd_hours": {"seven"}}),
		"code", "title", "approval_required", "approval_days", "cpd_hours")

	c := newTrainingCourse(t, a, trainer, nil)
	sessions := fmt.Sprintf("/courses/%d/sessions/new", c.ID)
	tb.Get(t, sessions)
	wantAll(t, "empty session form", tb.Submit(t, sessions, url.Values{}),
		"starts_on-day", "start_time", "end_time", "venue", "capacity", "booking_closes-day", "cancellation_cutoff-day")

	ob := a.As(t, policies.RoleOfficer).Browser()
	ob.Get(t, "/account/tokens")
	wantAll(t, "empty token form", ob.Submit(t, "/account/tokens", url.Values{}), "name", "scope", "expires_in_days")

	w := a.API(t, trainer, "POST", "/api/v1/courses", `{}`)
	var p struct {
		Field  string `json:"field"`
		Errors []struct{ Field, Message string }
	}
	if w.Code != http.StatusUnprocessableEntity || json.Unmarshal(w.Body.Bytes(), &p) != nil {
		t.Fatalf("API course without anything: %d %s", w.Code, w.Body.String())
	}
	var fields []string
	for _, e := range p.Errors {
		if e.Message == "" {
			t.Errorf("error at %s has no message", e.Field)
		}
		fields = append(fields, e.Field)
	}
	if p.Field != "code" || strings.Join(fields, ",") != "code,title" {
		t.Errorf("API problem: field %q, errors %v; want code first, then code and title", p.Field, fields)
	}
}

// wantAll checks that w is the form again (422) with an error summary linking to each field.
func wantAll(t *testing.T, what string, w *httptest.ResponseRecorder, fields ...string) {
	t.Helper()
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("%s: %d, want 422", what, w.Code)
	}
	for _, f := range fields {
		if !strings.Contains(w.Body.String(), `href="#`+f+`"`) {
			t.Errorf("%s: the error summary has no error for %s", what, f)
		}
	}
}

// Reloading or going back to the address of an action (a form's POST) never shows "Method Not
// Allowed": a GET there leads to the page the action belongs to. The API still answers 405.
func TestGetOnAnActionLeadsToItsPage(t *testing.T) {
	a := apitest.New(t)
	officer := a.As(t, policies.RoleOfficer)
	b := officer.Browser()
	for path, want := range map[string]string{
		"/account/tokens/5/revoke":    "/account/tokens",
		"/account/mfa/recovery-codes": "/account/mfa",
		"/sign-out":                   "/",
		"/guidance/versions/9/submit": "/guidance/versions/9",
	} {
		w := b.Get(t, path)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != want {
			t.Errorf("GET %s: %d to %q, want 303 to %s", path, w.Code, w.Header().Get("Location"), want)
		}
	}
	if w := a.API(t, officer, "GET", "/api/v1/audit/verify", ""); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET on an API action: %d, want 405", w.Code)
	}
}

// Returning a pack and withdrawing from a session ask first; nothing changes until the person
// says yes, and the reasons given travel with the question. (Approving, revoking a share,
// disabling an account and completing a session are asked in their own journeys.)
func TestIrreversibleActionsAskFirst(t *testing.T) {
	w := newCFWorld(t)
	id := w.openCase(t)
	cfSubmit(t, w.inv, fmt.Sprintf("/casefiles/%d/submit", id), url.Values{"purpose": {"early_advice"}}, http.StatusSeeOther)
	ret := fmt.Sprintf("/casefiles/%d/return", id)
	page := cfSubmit(t, w.sup, ret, url.Values{"reason": {"The MG6C is missing"}}, http.StatusOK).Body.String()
	for _, want := range []string{"Are you sure you want to return the pack to the team?", "Your reasons: The MG6C is missing", `name="reason" value="The MG6C is missing"`, `name="confirmed" value="yes"`} {
		if !strings.Contains(page, want) {
			t.Errorf("returning a pack asks without %q", want)
		}
	}
	if got := w.status(t, id); got != casefile.StatusWithSupervisor {
		t.Fatalf("the pack changed before the supervisor confirmed: %s", got)
	}
	cfSubmit(t, w.sup, ret, url.Values{"reason": {"The MG6C is missing"}, "confirmed": {"yes"}}, http.StatusSeeOther)
	if got := w.status(t, id); got == casefile.StatusWithSupervisor {
		t.Errorf("the confirmed return left the pack with the supervisor")
	}

	a := w.a
	trainer := a.As(t, policies.RoleTrainer)
	course := newTrainingCourse(t, a, trainer, nil)
	s := newTrainingSession(t, a, trainer, course, trSessionSpec{capacity: 10})
	officer := a.As(t, policies.RoleOfficer)
	var e trEnrolment
	trainingCall(t, a, officer, "POST", fmt.Sprintf("/api/v1/sessions/%d/enrolments", s.ID), "", http.StatusCreated, &e)
	b := officer.Browser()
	b.Get(t, fmt.Sprintf("/sessions/%d", s.ID))
	withdraw := fmt.Sprintf("/enrolments/%d/withdraw", e.ID)
	if w := b.Submit(t, withdraw, nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Are you sure you want to withdraw from this session?") {
		t.Fatalf("withdrawing does not ask first: %d", w.Code)
	}
	if got := trainingEnrolments(t, a, s.ID); len(got) != 1 || got[0].State != training.EnrolmentEnrolled {
		t.Fatalf("the place changed before the learner confirmed: %+v", got)
	}
	if w := b.Submit(t, withdraw, url.Values{"confirmed": {"yes"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("withdraw, confirmed: %d", w.Code)
	}
	if got := trainingEnrolments(t, a, s.ID); len(got) != 1 || got[0].State == training.EnrolmentEnrolled {
		t.Errorf("the confirmed withdrawal kept the place: %+v", got)
	}
}
