package api_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/policies"
)

// The log holds what happened, never what would let someone act as a user or read a file:
// passwords, second-factor secrets, session cookies, CSRF tokens, API tokens, the secret
// addresses of set-password links and calendar feeds, and file contents. This drives each through
// the app while the log is captured, then searches the log for every one of them; each request
// line carries its request ID and its route pattern, never its path.
func TestLogsCarryNoSecrets(t *testing.T) {
	a := apitest.New(t)
	type secret struct{ what, value string }
	var secrets []secret
	keep := func(what, s string) {
		t.Helper()
		if len(s) < 6 {
			t.Fatalf("%s %q is too short to search the log for", what, s)
		}
		secrets = append(secrets, secret{what, s})
	}

	// Signing in with a password and a second factor.
	admin := a.As(t, policies.RoleAdmin)
	keep("password", admin.Password)
	keep("TOTP secret", admin.Secret)
	keep("session cookie", admin.Cookie)
	keep("CSRF token", admin.CSRF)
	b := a.Browser()
	b.Get(t, "/sign-in")
	wrong := "not-the-password-" + randomText(t)
	keep("wrong password", wrong)
	if w := b.Submit(t, "/sign-in", url.Values{"email": {admin.Email}, "password": {wrong}}); w.Code != http.StatusUnauthorized {
		t.Fatalf("a wrong password: %d", w.Code)
	}

	// A set-password link, used.
	home := a.Org(t, apitest.HomeOrg)
	w := a.API(t, admin, "POST", "/api/v1/users", `{"organisation_id":`+itoa(home)+`,"name":"Pat Constable","email":"pat.constable@dc.police.uk","roles":["officer"],"vetting_level":"RV","vetting_expires_on":"2031-05-01"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create user: %d %s", w.Code, w.Body.String())
	}
	id := regexp.MustCompile(`"id":(\d+)`).FindStringSubmatch(w.Body.String())[1]
	page := admin.Browser().Submit(t, "/users/"+id+"/set-password-link", nil).Body.String()
	link := regexp.MustCompile(`http://msphub\.test(/set-password/([A-Za-z0-9_-]+))`).FindStringSubmatch(page)
	if link == nil {
		t.Fatalf("no set-password link on the page:\n%s", page)
	}
	keep("set-password token", link[2])
	newPassword := "harbour quartz meadow " + randomText(t)
	keep("new password", newPassword)
	pb := a.Browser()
	pb.Get(t, link[1])
	if w := pb.Submit(t, link[1], url.Values{"password": {newPassword}}); w.Code != http.StatusSeeOther {
		t.Fatalf("set password: %d %s", w.Code, w.Body.String())
	}
	pb = a.Browser()
	pb.Get(t, "/sign-in")
	if w := pb.Submit(t, "/sign-in", url.Values{"email": {"pat.constable@dc.police.uk"}, "password": {newPassword}}); w.Code != http.StatusSeeOther {
		t.Fatalf("sign in with the new password: %d", w.Code)
	}
	keep("session cookie", pb.Cookies["msphub_session"])

	// A calendar feed at its secret address.
	pb.Get(t, "/my-training")
	feed := regexp.MustCompile(`http://msphub\.test(/calendar/([A-Za-z0-9_-]+)\.ics)`).FindStringSubmatch(pb.Submit(t, "/my-training/calendar", nil).Body.String())
	if feed == nil {
		t.Fatal("no calendar address on the page")
	}
	keep("calendar token", feed[2])
	if w := a.Browser().Get(t, feed[1]); w.Code != http.StatusOK {
		t.Fatalf("calendar feed: %d", w.Code)
	}

	// An API token, and one that is wrong; an upload and its download.
	trainer := a.As(t, policies.RoleTrainer)
	tok := trainer.Token(t, identity.ScopeReadWrite)
	keep("API token", tok)
	if w := a.Bearer(t, tok, "GET", "/api/v1/me", ""); w.Code != http.StatusOK {
		t.Fatalf("API token: %d", w.Code)
	}
	bogus := tok[:len(tok)-6] + "AAAAAA"
	keep("a wrong API token", bogus)
	if w := a.Bearer(t, bogus, "GET", "/api/v1/me", ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("wrong API token: %d", w.Code)
	}
	c := newTrainingCourse(t, a, trainer, nil)
	content := "Contents of the handbook, never to be logged: " + randomText(t) + "\n"
	keep("file content", strings.TrimSpace(content[len("Contents of the handbook, never to be logged: "):]))
	w = a.UploadAPI(t, tok, "/api/v1/courses/"+itoa(c.ID)+"/materials", url.Values{"title": {"Handbook"}},
		apitest.File{Field: "file", Name: "handbook.txt", Body: strings.NewReader(content)})
	if w.Code != http.StatusCreated {
		t.Fatalf("upload: %d %s", w.Code, w.Body.String())
	}
	var m struct {
		ID int64 `json:"id"`
	}
	_ = jsonDecode(w.Body.Bytes(), &m)
	if w := a.Bearer(t, tok, "GET", "/api/v1/courses/"+itoa(c.ID)+"/materials/"+itoa(m.ID)+"/download?version=1&token="+tok, ""); w.Code != 200 || w.Body.String() != content {
		t.Fatalf("download: %d", w.Code)
	}

	logs := a.Logs.String()
	for _, s := range secrets {
		if strings.Contains(logs, s.value) {
			t.Errorf("the %s is in the log", s.what)
		}
	}
	routes := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("a log line is not JSON: %v\n%s", err, sc.Text())
		}
		if line["msg"] != "request" {
			continue
		}
		lines++
		route, _ := line["route"].(string)
		routes[route] = true
		if id, _ := line["request_id"].(string); len(id) < 8 {
			t.Errorf("request line without a request ID: %s", sc.Text())
		}
		if _, ok := line["path"]; ok {
			t.Errorf("a request line logs the path: %s", sc.Text())
		}
	}
	if lines < 20 {
		t.Fatalf("only %d request lines logged", lines)
	}
	for _, r := range []string{"/sign-in", "/set-password/:token", "/calendar/:token", "/api/v1/me", "/api/v1/courses/:id/materials", "/api/v1/courses/:id/materials/:material/download"} {
		if !routes[r] {
			t.Errorf("no request line with route %s", r)
		}
	}
}

// A line logged with the context of a request the app serves carries the request's ID, unless
// it names one itself; a line logged outside any request has none.
func TestLogLinesCarryTheRequestID(t *testing.T) {
	var out strings.Builder
	log := slog.New(api.WithRequestIDs(slog.NewJSONHandler(&out, nil))).With("component", "test")
	a := apitest.New(t)
	// A probe route on the app's engine sees the context every handler and operation gets.
	var ctx context.Context
	a.Engine.GET("/test-probe", func(c *gin.Context) { ctx = c.Request.Context() })
	req := httptest.NewRequest("GET", "/test-probe", nil)
	req.Header.Set("X-Request-ID", "req-abcdefghij")
	a.Engine.ServeHTTP(httptest.NewRecorder(), req)
	if ctx == nil {
		t.Fatal("probe route not reached")
	}

	log.InfoContext(ctx, "from an operation")
	log.InfoContext(ctx, "names its own", "request_id", "other-id-123")
	log.Info("outside any request")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, want := range []string{`"request_id":"req-abcdefghij"`, `"request_id":"other-id-123"`, ""} {
		if want != "" && (!strings.Contains(lines[i], want) || strings.Count(lines[i], "request_id") != 1) {
			t.Errorf("line %d: %s, want %s once", i, lines[i], want)
		}
		if want == "" && strings.Contains(lines[i], "request_id") {
			t.Errorf("line %d has a request ID: %s", i, lines[i])
		}
	}
}

func randomText(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
