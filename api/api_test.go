package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/storage"
)

type testApp struct {
	*apitest.App
	engine *gin.Engine
}

func newTestApp(t *testing.T, opts ...apitest.Option) *testApp {
	t.Helper()
	a := apitest.New(t, opts...)
	return &testApp{App: a, engine: a.Engine}
}

func (a *testApp) do(t *testing.T, method, path string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	a.engine.ServeHTTP(w, req)
	return w
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	app := newTestApp(t)
	for _, path := range []string{"/", "/healthz", "/no-such-page", "/api/v1/no-such-thing"} {
		w := app.do(t, "GET", path, nil)
		h := w.Header()
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline or eval: %q", path, csp)
		}
		for header, want := range map[string]string{
			"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY", "Cache-Control": "no-store",
		} {
			if got := h.Get(header); got != want {
				t.Errorf("%s: %s = %q, want %q", path, header, got, want)
			}
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS sent for an http public URL", path)
		}
	}
	https := newTestApp(t, apitest.HTTPS)
	if hsts := https.do(t, "GET", "/", nil).Header().Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
		t.Errorf("HSTS = %q with an https public URL", hsts)
	}
}

func TestRequestIDs(t *testing.T) {
	app := newTestApp(t)
	id := app.do(t, "GET", "/healthz", nil).Header().Get("X-Request-ID")
	if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(id) {
		t.Errorf("generated request ID %q", id)
	}
	if got := app.do(t, "GET", "/healthz", http.Header{"X-Request-Id": {"proxy-abc-123"}}).Header().Get("X-Request-ID"); got != "proxy-abc-123" {
		t.Errorf("a well-formed incoming ID is kept: got %q", got)
	}
	if got := app.do(t, "GET", "/healthz", http.Header{"X-Request-Id": {"<script>alert(1)</script>"}}).Header().Get("X-Request-ID"); strings.Contains(got, "<") {
		t.Errorf("a hostile incoming ID is replaced: got %q", got)
	}
	if !strings.Contains(app.Logs.String(), `"request_id":"proxy-abc-123"`) {
		t.Error("access log lacks the request ID")
	}
}

func TestErrorsSpeakTheCallersLanguage(t *testing.T) {
	app := newTestApp(t)

	w := app.do(t, "GET", "/api/v1/no-such-thing", nil)
	if w.Code != 404 || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("API 404: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var p struct {
		Status    int    `json:"status"`
		Title     string `json:"title"`
		Detail    string `json:"detail"`
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != 404 || p.Title != "Not Found" || p.RequestID != w.Header().Get("X-Request-ID") {
		t.Errorf("problem = %+v", p)
	}

	w = app.do(t, "GET", "/no-such-page", nil)
	if w.Code != 404 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(w.Body.String(), "Page not found") {
		t.Errorf("page 404: %d %s", w.Code, w.Header().Get("Content-Type"))
	}

	if w = app.do(t, "POST", "/healthz", nil); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d, want 405", w.Code)
	}
	if w = app.do(t, "DELETE", "/", nil); w.Code != http.StatusMethodNotAllowed || !strings.Contains(w.Body.String(), "govuk-heading-l") {
		t.Errorf("DELETE / = %d, want the 405 page", w.Code)
	}
}

// A panic anywhere becomes a 500 with a reference the user can quote, and nothing of the panic
// reaches the client.
func TestPanicIsA500WithAReference(t *testing.T) {
	app := newTestApp(t)
	app.engine.GET("/api/v1/test-panic", func(*gin.Context) { panic("secret internal detail") })
	app.engine.GET("/test-panic", func(*gin.Context) { panic("secret internal detail") })
	for _, path := range []string{"/api/v1/test-panic", "/test-panic"} {
		w := app.do(t, "GET", path, nil)
		id := w.Header().Get("X-Request-ID")
		body := w.Body.String()
		if w.Code != 500 || !strings.Contains(body, id) || strings.Contains(body, "secret") {
			t.Errorf("%s: %d, body %q", path, w.Code, body)
		}
	}
	if !strings.Contains(app.Logs.String(), "secret internal detail") {
		t.Error("the panic is not in the log")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	root := filepath.Join(t.TempDir(), "blobs")
	disk, err := storage.NewDisk(root)
	if err != nil {
		t.Fatal(err)
	}
	key, err := storage.ParseMasterKey(modelstest.MasterKey(t))
	if err != nil {
		t.Fatal(err)
	}
	app := newTestApp(t, apitest.Blobs(storage.New(disk, storage.NewKeyring(key))))
	if w := app.do(t, "GET", "/healthz", nil); w.Code != 200 {
		t.Errorf("healthz = %d", w.Code)
	}
	readyz := func() (int, string) {
		w := app.do(t, "GET", "/readyz", nil)
		return w.Code, w.Body.String()
	}
	if code, body := readyz(); code != 200 || !strings.Contains(body, `"blobs":"ok"`) || !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("readyz = %d %s", code, body)
	}
	// The blob store's root disappears (a lost mount): not ready, and the reason stays in the log.
	if err := os.Rename(root, root+".away"); err != nil {
		t.Fatal(err)
	}
	if code, body := readyz(); code != 503 || !strings.Contains(body, `"blobs":"failing"`) || strings.Contains(body, root) {
		t.Errorf("readyz with the blob root gone = %d %s", code, body)
	}
	if err := os.Rename(root+".away", root); err != nil {
		t.Fatal(err)
	}
	if code, body := readyz(); code != 200 {
		t.Errorf("readyz after the root came back = %d %s", code, body)
	}
}

func TestAssetsAreVersionedAndCachedForAYear(t *testing.T) {
	app := newTestApp(t)
	page := app.do(t, "GET", "/", nil).Body.String()
	css := regexp.MustCompile(`href="(/assets/[0-9a-f]+/app\.css)"`).FindStringSubmatch(page)
	if css == nil {
		t.Fatalf("start page links no versioned stylesheet:\n%s", page)
	}
	w := app.do(t, "GET", css[1], nil)
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Fatalf("stylesheet: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control = %q", cc)
	}
	stale := strings.Replace(css[1], "/assets/", "/assets/0", 1)
	for _, path := range []string{stale, strings.Replace(css[1], "app.css", "../../go.mod", 1), strings.Replace(css[1], "app.css", ".gitkeep", 1)} {
		if code := app.do(t, "GET", path, nil).Code; code != 404 {
			t.Errorf("%s = %d, want 404", path, code)
		}
	}
	body, _ := io.ReadAll(w.Body)
	if len(body) < 10000 {
		t.Errorf("stylesheet is only %d bytes", len(body))
	}
}
