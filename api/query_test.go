package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/policies"
)

// Free-text query parameters are limited to 200 characters on every list and search, for the
// API and the pages alike: a longer one is refused with 422 and a message that says so, not a
// 500 from the database.
func TestLongSearchTermsRefused(t *testing.T) {
	a := apitest.New(t)
	admin := a.As(t, policies.RoleAdmin)
	inv := a.As(t, policies.RoleInvestigator)
	auditor := a.As(t, policies.RoleAuditor)
	long, limit := strings.Repeat("x", 60000), strings.Repeat("y", 200)
	const message = "Search terms must be 200 characters or fewer"
	for _, c := range []struct {
		who  *apitest.User
		path string
	}{
		{inv, "/api/v1/casefiles?q="},
		{inv, "/casefiles?q="},
		{admin, "/api/v1/users?q="},
		{admin, "/users?q="},
		{inv, "/api/v1/courses?q="},
		{inv, "/courses?q="},
		{inv, "/api/v1/guidance/search?q="},
		{inv, "/guidance/search?q="},
		{inv, "/api/v1/guidance/documents?tag="},
		{auditor, "/api/v1/audit?action="},
		{auditor, "/audit?object_id="},
	} {
		var w *httptest.ResponseRecorder
		if strings.HasPrefix(c.path, "/api/") {
			w = a.API(t, c.who, "GET", c.path+long, "")
		} else {
			w = c.who.Browser().Get(t, c.path+long)
		}
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), message) {
			t.Errorf("GET %s<60000 characters>: %d, want 422 saying %q\n%.300s", c.path, w.Code, message, w.Body.String())
		}
	}
	// 200 characters are fine, on both backends.
	apitest.Want(t, a.API(t, inv, "GET", "/api/v1/casefiles?q="+limit, ""), "case list, 200 characters", http.StatusOK, nil)
	apitest.Want(t, a.API(t, admin, "GET", "/api/v1/users?q="+limit, ""), "user list, 200 characters", http.StatusOK, nil)
	if w := inv.Browser().Get(t, "/casefiles?q="+limit); w.Code != http.StatusOK {
		t.Errorf("case list page, 200 characters: %d", w.Code)
	}
}
