package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/templates"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/policies"
)

// getIfNoneMatch loads path as the user's session (page or API), sending tag as If-None-Match
// unless it is empty.
func getIfNoneMatch(t *testing.T, u *apitest.User, path, tag string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if tag != "" {
		req.Header.Set("If-None-Match", tag)
	}
	return u.Browser().Do(t, req)
}

// bearerIfNoneMatch is getIfNoneMatch with an API token.
func bearerIfNoneMatch(t *testing.T, a *apitest.App, token, path, tag string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if tag != "" {
		req.Header.Set("If-None-Match", tag)
	}
	return a.Browser().Do(t, req)
}

// wantList checks a full answer: 200 with a tag that only the person's own browser may keep,
// and only to ask again. It returns the tag.
func wantList(t *testing.T, w *httptest.ResponseRecorder, what string) string {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("%s: %d, want 200\n%.500s", what, w.Code, w.Body)
	}
	// The national picture's OFFICIAL-SENSITIVE figures are never kept, even by the browser;
	// the other lists may be kept by the person's own browser, to ask again each time.
	want := "private, no-cache"
	if strings.Contains(what, "statistics") {
		want = "private, no-store"
	}
	if cc := w.Header().Get("Cache-Control"); cc != want {
		t.Errorf("%s: Cache-Control %q, want %s", what, cc, want)
	}
	tag := w.Header().Get("ETag")
	if tag == "" {
		t.Fatalf("%s: no ETag", what)
	}
	return tag
}

// wantNotModified checks a 304: no body, the same tag.
func wantNotModified(t *testing.T, w *httptest.ResponseRecorder, what, tag string) {
	t.Helper()
	if w.Code != http.StatusNotModified {
		t.Fatalf("%s: %d, want 304\n%.500s", what, w.Code, w.Body)
	}
	if w.Body.Len() != 0 || w.Header().Get("ETag") != tag {
		t.Errorf("%s: 304 with %d bytes and ETag %q, want none and %q", what, w.Body.Len(), w.Header().Get("ETag"), tag)
	}
}

// Each list that changes rarely, in the API and on its page: a full answer carries an ETag; the
// same request with that tag is answered 304; once its data is written, the old tag gets the
// full answer again under a new tag, which is then answered 304 in its turn.
func TestConditionalListsAnswerNotModified(t *testing.T) {
	a := apitest.New(t)
	ctx := context.Background()
	officer, trainer := a.As(t, policies.RoleOfficer), a.As(t, policies.RoleTrainer)
	editor, approver := a.As(t, policies.RoleGuidanceEditor), a.As(t, policies.RoleGuidanceApprover)
	admin, investigator := a.As(t, policies.RoleAdmin), a.As(t, policies.RoleInvestigator)
	analyst := a.SignedIn(t, apitest.UserSpec{Org: "modern-slavery-and-organised-immigration-crime-unit", Roles: []string{policies.RoleAnalyst}})
	writes := 0
	for _, l := range []struct {
		name   string
		reader *apitest.User
		paths  []string
		write  func(t *testing.T)
	}{
		{"course catalogue", officer, []string{"/api/v1/courses", "/courses"}, func(t *testing.T) { newTrainingCourse(t, a, trainer, nil) }},
		{"guidance library", officer, []string{"/api/v1/guidance/documents", "/guidance"}, func(t *testing.T) {
			publishedGuidance(t, a, editor, approver, guidance.GuidanceInput{Title: fmt.Sprintf("Nail bars %d", writes), Summary: "Spotting exploitation",
				Body: "## Signs\n\nLook for them.", Category: "investigation", Classification: "OFFICIAL",
				Audience: guidance.GuidanceAudience{Scope: guidance.GuidanceAudienceEveryone}})
		}},
		{"organisations", admin, []string{"/api/v1/organisations", "/organisations"}, func(t *testing.T) {
			apitest.Want(t, a.API(t, admin, "POST", "/api/v1/organisations", fmt.Sprintf(`{"name":"Test Agency %d","kind":"agency"}`, writes)), "add an organisation", http.StatusCreated, nil)
		}},
		{"checklist templates", admin, []string{"/api/v1/casefiles/templates", "/casefiles/templates"}, func(t *testing.T) {
			_, err := a.Services.Templates.NewVersion(ctx, admin.Actor(t), "T3", templates.Input{Title: "Child victims", ChangeNote: fmt.Sprintf("Change %d", writes),
				Items: []templates.ItemInput{{Text: "Age assessment", Form: "MG11", Stage: casefile.StagePreCharge, Required: true}}})
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"national picture", analyst, []string{"/api/v1/statistics", "/statistics"}, func(t *testing.T) {
			apitest.Want(t, a.API(t, investigator, "POST", "/api/v1/operations", fmt.Sprintf(`{"reference":"DC/OP/%d","name":"Lantern","lead_officer":%q,"status":"live","started_on":%q,"exploitation":["labour"]}`,
				writes, investigator.Email, lastMonth(a).Format("2006-01-02"))), "record an operation", http.StatusCreated, nil)
		}},
	} {
		t.Run(l.name, func(t *testing.T) {
			for _, path := range l.paths {
				tag := wantList(t, getIfNoneMatch(t, l.reader, path, ""), path)
				wantNotModified(t, getIfNoneMatch(t, l.reader, path, tag), path+" again", tag)
				wantNotModified(t, getIfNoneMatch(t, l.reader, path, `"another", `+tag), path+" with two tags", tag)
				writes++
				l.write(t)
				next := wantList(t, getIfNoneMatch(t, l.reader, path, tag), path+" after a write")
				if next == tag {
					t.Fatalf("%s: the tag %s stayed the same after a write", path, tag)
				}
				wantNotModified(t, getIfNoneMatch(t, l.reader, path, next), path+" after a write, again", next)
				// The tag is the reader's: someone else sending it gets the full answer.
				other := a.As(t, l.reader.Actor(t).Roles...)
				if w := getIfNoneMatch(t, other, path, next); w.Code != http.StatusOK {
					t.Errorf("%s: another reader's tag answered %d, want 200", path, w.Code)
				}
			}
		})
	}
}

// lastMonth is the first day of the month before the clock's, in UK time: the national picture
// counts a month once it has ended.
func lastMonth(a *apitest.App) time.Time {
	now := a.Clock.Now().In(core.London)
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
}

// A right revoked after the tag was handed out is refused, never answered 304: a role removed,
// an account disabled, an organisation deactivated, a token revoked.
func TestConditionalListNeverServesARevokedRight(t *testing.T) {
	a := apitest.New(t)
	admin := a.As(t, policies.RoleAdmin)
	const list = "/api/v1/casefiles/templates"

	for _, c := range []struct {
		name, org string // the administrator's own organisation, so deactivating it leaves the one who does it signed in
		revoke    func(t *testing.T, u *apitest.User, token string)
		want      int
	}{
		{"role removed", "kent-police", func(t *testing.T, u *apitest.User, _ string) {
			apitest.Want(t, a.API(t, admin, "PUT", "/api/v1/users/"+itoa(u.ID)+"/roles", `{"roles":["officer"]}`), "remove the role", http.StatusOK, nil)
		}, http.StatusForbidden},
		{"account disabled", "kent-police", func(t *testing.T, u *apitest.User, _ string) {
			apitest.Want(t, a.API(t, admin, "POST", "/api/v1/users/"+itoa(u.ID)+"/disable", ""), "disable", http.StatusOK, nil)
		}, http.StatusUnauthorized},
		{"organisation deactivated", "essex-police", func(t *testing.T, u *apitest.User, _ string) {
			if _, err := a.Services.Organisations.SetActive(context.Background(), admin.Actor(t), u.Actor(t).OrgID, false); err != nil {
				t.Fatal(err)
			}
		}, http.StatusUnauthorized},
		{"token revoked", "kent-police", func(t *testing.T, u *apitest.User, token string) {
			var toks struct {
				Tokens []identity.APIToken `json:"tokens"`
			}
			apitest.Want(t, a.API(t, u, "GET", "/api/v1/tokens", ""), "tokens", http.StatusOK, &toks)
			apitest.Want(t, a.API(t, u, "DELETE", "/api/v1/tokens/"+itoa(toks.Tokens[0].ID), ""), "revoke", http.StatusNoContent, nil)
		}, http.StatusUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := a.SignedIn(t, apitest.UserSpec{Org: c.org, Roles: []string{policies.RoleAdmin}})
			token := u.Token(t, identity.ScopeRead)
			tag := wantList(t, bearerIfNoneMatch(t, a, token, list, ""), "before")
			wantNotModified(t, bearerIfNoneMatch(t, a, token, list, tag), "before, again", tag)
			c.revoke(t, u, token)
			if w := bearerIfNoneMatch(t, a, token, list, tag); w.Code != c.want {
				t.Fatalf("after the %s: %d, want %d\n%s", c.name, w.Code, c.want, w.Body)
			}
		})
	}
}

// A 304 costs authentication and one read of the change counters: the list's query never runs,
// and nothing is written.
func TestConditionalListSkipsTheListQuery(t *testing.T) {
	a := apitest.New(t)
	officer, trainer := a.As(t, policies.RoleOfficer), a.As(t, policies.RoleTrainer)
	for range 3 {
		newTrainingCourse(t, a, trainer, nil)
	}
	count := countStatements(t, a.DB.Gorm())
	var tag string
	reads, _ := count.during(func() { tag = wantList(t, getIfNoneMatch(t, officer, "/api/v1/courses", ""), "catalogue") })
	if reads <= 2 {
		t.Fatalf("the full answer read %d times: the count sees no list query", reads)
	}
	reads, writes := count.during(func() { wantNotModified(t, getIfNoneMatch(t, officer, "/api/v1/courses", tag), "catalogue again", tag) })
	if reads != 1 || writes != 0 {
		t.Errorf("304: %d reads and %d writes, want 1 (the session, with the counters) and 0", reads, writes)
	}
	// So does an API client's token.
	token := officer.Token(t, identity.ScopeRead)
	w := bearerIfNoneMatch(t, a, token, "/api/v1/courses", "")
	tag = wantList(t, w, "catalogue by token")
	reads, writes = count.during(func() {
		wantNotModified(t, bearerIfNoneMatch(t, a, token, "/api/v1/courses", tag), "catalogue by token again", tag)
	})
	if reads != 1 || writes != 0 {
		t.Errorf("304 by token: %d reads and %d writes, want 1 (the token, with the counters) and 0", reads, writes)
	}
}
