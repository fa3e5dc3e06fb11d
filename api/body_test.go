package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/policies"
)

// A JSON body is one JSON value, sent as application/json, with only the documented fields:
// anything else is refused with 422 saying what to send, and nothing is created.
func TestJSONBodiesStrict(t *testing.T) {
	a := apitest.New(t)
	u := a.As(t, policies.RoleOrgAdmin)
	send := func(ctype, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/v1/tokens", strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.AddCookie(&http.Cookie{Name: "msphub_session", Value: u.Cookie})
		req.Header.Set("X-CSRF-Token", u.CSRF)
		w := httptest.NewRecorder()
		a.Engine.ServeHTTP(w, req)
		return w
	}
	const good = `{"name":"n","scope":"read","expires_in_days":1}`
	for _, c := range []struct{ name, ctype, body, says string }{
		{"trailing text", "application/json", good + ` xyz`, "one JSON value"},
		{"two objects", "application/json", good + good, "one JSON value"},
		{"plain text", "text/plain", good, "Content-Type: application/json"},
		{"a form", "application/x-www-form-urlencoded", good, "Content-Type: application/json"},
		{"no content type", "", good, "Content-Type: application/json"},
		{"an unknown field", "application/json", `{"name":"n","scope":"read","expires_in_days":1,"user_id":1}`, `user_id`},
	} {
		w := send(c.ctype, c.body)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), c.says) {
			t.Errorf("%s: %d, want 422 saying %q\n%s", c.name, w.Code, c.says, w.Body.String())
		}
	}
	if n := auditCount(t, a, "action = 'token.create'"); n != 0 {
		t.Errorf("%d tokens created from refused bodies", n)
	}
	for _, ctype := range []string{"application/json", "application/json; charset=utf-8"} {
		if w := send(ctype, good+"\n"); w.Code != http.StatusCreated {
			t.Errorf("%s with a trailing newline: %d, want 201\n%s", ctype, w.Code, w.Body.String())
		}
	}
}
