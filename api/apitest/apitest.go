// Package apitest builds the whole of MSP Hub for tests: the real engine with its pages, real
// database and blob store of the test backend (see modelstest), a clock tests can move, and
// signed-in users of any role. Requests go through the engine as a browser or an API client
// would send them.
package apitest

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/frontend"
	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
	"github.com/msptp/msphub/storage"
	"github.com/pquerna/otp/totp"
)

// Clock is a clock tests move forward.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// App is MSP Hub assembled for a test.
type App struct {
	Engine   *gin.Engine
	Services *models.Services
	DB       *core.DB
	Authz    *policies.Authorizer
	Clock    *Clock
	Logs     *SyncBuffer
	users    atomic.Int64
}

// options are what Option changes.
type options struct {
	cfg   api.Config
	blobs *storage.Store
	smtp  *core.SMTPConfig
}

// Option changes the app before it is built.
type Option func(*options)

// HTTPS builds the app as if its public URL were https.
func HTTPS(o *options) { o.cfg.HTTPS = true }

// Blobs builds the app over this blob store instead of a fresh one of the test backend.
func Blobs(s *storage.Store) Option { return func(o *options) { o.blobs = s } }

// SMTP builds the app sending email through this relay.
func SMTP(c *core.SMTPConfig) Option { return func(o *options) { o.smtp = c } }

// New builds the app on a fresh database of the test backend, with the reference organisations
// loaded.
func New(t testing.TB, opts ...Option) *App {
	t.Helper()
	db := modelstest.OpenDB(t)
	modelstest.SeedOrganisations(t, db)
	authz := modelstest.Authorizer(t, db)
	clock := &Clock{now: time.Now().UTC()}
	logs := &SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	o := options{cfg: api.Config{MaxFormBytes: 1 << 20, MaxUploads: 4,
		MaxAttachmentBytes: 10 << 20, MaxMaterialBytes: 10 << 20, MaxEvidenceBytes: 64 << 20}}
	for _, opt := range opts {
		opt(&o)
	}
	blobs := o.blobs
	if blobs == nil {
		blobs = modelstest.Blobs(t)
	}
	auditKey, err := core.ParseAuditKey(modelstest.AuditKey(t))
	if err != nil {
		t.Fatal(err)
	}
	s := models.New(core.Deps{DB: db, Authz: authz, Blobs: blobs, Secrets: modelstest.Keyring(t), SMTP: o.smtp, Log: log, Clock: clock.Now,
		AuditKey: auditKey, Config: core.Config{PublicURL: "http://msphub.test"}})
	if o.smtp != nil && s.Mail == nil {
		t.Fatal("no Mail service with SMTP configured")
	}
	a := &api.App{Cfg: o.cfg, Log: log, Health: core.NewHealth(db, blobs), Services: s}
	if a.Pages, err = frontend.New(log, a); err != nil {
		t.Fatal(err)
	}
	e, err := api.NewEngine(a)
	if err != nil {
		t.Fatal(err)
	}
	return &App{Engine: e, Services: s, DB: db, Authz: authz, Clock: clock, Logs: logs}
}

// SyncBuffer collects a server's log lines while a test reads them, from any goroutine.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Org returns the id of the reference organisation with slug.
func (a *App) Org(t testing.TB, slug string) int64 {
	t.Helper()
	var id int64
	if err := a.DB.Gorm().Table("organisations").Select("id").Where("slug = ?", slug).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("no organisation %s: %v", slug, err)
	}
	return id
}

// HomeOrg is the organisation test users belong to unless they say otherwise.
const HomeOrg = "devon-and-cornwall-police"

// UserSpec describes a user to create.
type UserSpec struct {
	Org     string   // slug; HomeOrg when empty
	Roles   []string // may be empty
	Vetting core.Vetting
	Expires *time.Time // vetting expiry; a year ahead when empty
	// Prosecutor makes a person of a CPS organisation a Crown Prosecutor, who may make charging
	// decisions.
	Prosecutor bool
}

// User is a person created for a test, signed in through the real pages unless told otherwise.
type User struct {
	identity.UserView
	Password string
	Secret   string // TOTP secret, when they set up a second factor
	Cookie   string // session cookie value
	CSRF     string // CSRF token of the session
	app      *App
}

// Password every test user gets: long enough and uncommon enough for the strength check.
const Password = "umbrella kettle orbit lantern 47"

// NewUser creates a user with the roles, sets their password, and, when their roles require it,
// sets up a second factor. It does not sign them in.
func (a *App) NewUser(t testing.TB, spec UserSpec) *User {
	t.Helper()
	ctx := context.Background()
	if spec.Org == "" {
		spec.Org = HomeOrg
	}
	if spec.Vetting == "" {
		spec.Vetting = core.VettingRV
	}
	if spec.Expires == nil && spec.Vetting != core.VettingNone {
		d := a.Clock.Now().AddDate(1, 0, 0)
		spec.Expires = &d
	}
	n := a.users.Add(1)
	in := identity.UserInput{OrganisationID: a.Org(t, spec.Org), Email: fmt.Sprintf("user%d-%s@example.police.uk", n, strings.Join(spec.Roles, "-")),
		Name: fmt.Sprintf("Test User %d", n), Roles: spec.Roles, VettingLevel: spec.Vetting, VettingExpiresOn: spec.Expires,
		CrownProsecutor: &spec.Prosecutor}
	uv, _, err := a.Services.Operator.CreateUser(ctx, in, Password)
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	u := &User{UserView: uv, Password: Password, app: a}
	if uv.MFARequired {
		u.EnrolMFA(t)
	}
	return u
}

// SignedIn creates a user (as NewUser) and signs them in through the pages, second factor and
// all.
func (a *App) SignedIn(t testing.TB, spec UserSpec) *User {
	t.Helper()
	u := a.NewUser(t, spec)
	u.SignIn(t)
	return u
}

// As is SignedIn with just roles, in the home organisation.
func (a *App) As(t testing.TB, roles ...string) *User {
	t.Helper()
	return a.SignedIn(t, UserSpec{Roles: roles})
}

// EnrolMFA sets up the user's second factor directly through the operations.
func (u *User) EnrolMFA(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	who := core.Actor{UserID: u.ID, OrgID: u.OrganisationID}
	e, err := u.app.Services.Accounts.BeginMFA(ctx, who)
	if err != nil {
		t.Fatalf("begin MFA: %v", err)
	}
	u.Secret = e.Secret
	if _, _, err := u.app.Services.Accounts.ConfirmMFA(ctx, who, u.Code(t)); err != nil {
		t.Fatalf("confirm MFA: %v", err)
	}
	// The next code must come from a later step: each step is accepted once.
	u.app.Clock.Advance(30 * time.Second)
}

// Code is the user's current TOTP code.
func (u *User) Code(t testing.TB) string {
	t.Helper()
	code, err := totp.GenerateCode(u.Secret, u.app.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// SignIn signs the user in through the sign-in pages (and the second-factor page), keeping the
// session cookie and its CSRF token.
func (u *User) SignIn(t testing.TB) {
	t.Helper()
	b := u.app.Browser()
	b.Get(t, "/sign-in")
	w := b.Submit(t, "/sign-in", url.Values{"email": {u.Email}, "password": {u.Password}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d\n%s", u.Email, w.Code, w.Body.String())
	}
	if loc := w.Header().Get("Location"); loc == "/sign-in/mfa" {
		b.Get(t, loc) // its form carries the new session's CSRF token
		u.app.Clock.Advance(30 * time.Second)
		w = b.Submit(t, "/sign-in/mfa", url.Values{"code": {u.Code(t)}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("second factor of %s: %d\n%s", u.Email, w.Code, w.Body.String())
		}
	}
	u.Cookie = b.Cookies["msphub_session"]
	body := b.Get(t, "/account").Body.String()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on the account page of %s:\n%s", u.Email, body)
	}
	u.CSRF = m[1]
}

// Browser is a cookie jar over the engine, as a browser without JavaScript would behave.
type Browser struct {
	app     *App
	Cookies map[string]string
	CSRF    string
}

// Browser starts a browser with no cookies.
func (a *App) Browser() *Browser { return &Browser{app: a, Cookies: map[string]string{}} }

// Browser is a browser holding the user's session.
func (u *User) Browser() *Browser {
	return &Browser{app: u.app, Cookies: map[string]string{"msphub_session": u.Cookie}, CSRF: u.CSRF}
}

// Do sends a request and keeps the cookies it sets.
func (b *Browser) Do(t testing.TB, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	for k, v := range b.Cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := checked(t, b.app.Engine, req)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.Cookies, c.Name)
		} else {
			b.Cookies[c.Name] = c.Value
		}
	}
	if m := csrfField.FindStringSubmatch(w.Body.String()); m != nil {
		b.CSRF = m[1]
	}
	return w
}

// Get loads a page.
func (b *Browser) Get(t testing.TB, path string) *httptest.ResponseRecorder {
	t.Helper()
	return b.Do(t, httptest.NewRequest(http.MethodGet, path, nil))
}

// Submit posts a form with the CSRF token of the last page loaded.
func (b *Browser) Submit(t testing.TB, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	form = cloneValues(form)
	if form.Get("csrf_token") == "" && b.CSRF != "" {
		form.Set("csrf_token", b.CSRF)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(t, req)
}

// API sends a JSON API request as the user's session (with its CSRF token), or anonymously for
// a nil user.
func (a *App) API(t testing.TB, u *User, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := jsonRequest(method, path, body)
	if u != nil {
		req.AddCookie(&http.Cookie{Name: "msphub_session", Value: u.Cookie})
		req.Header.Set("X-CSRF-Token", u.CSRF)
	}
	return a.serve(t, req)
}

// Bearer sends a JSON API request with an API token.
func (a *App) Bearer(t testing.TB, token, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := jsonRequest(method, path, body)
	req.Header.Set("Authorization", "Bearer "+token)
	return a.serve(t, req)
}

// Want fails the test unless the answer to the request what (say "GET /api/v1/courses") has the
// status want, then decodes its JSON body into out unless out is nil.
func Want(t testing.TB, w *httptest.ResponseRecorder, what string, want int, out any) {
	t.Helper()
	if w.Code != want {
		t.Fatalf("%s: %d, want %d\n%s", what, w.Code, want, w.Body.String())
	}
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			t.Fatalf("%s: %v\n%s", what, err, w.Body.String())
		}
	}
}

// jsonRequest is a request with body as JSON, or with no body when it is empty.
func jsonRequest(method, path, body string) *http.Request {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// serve sends req through the engine, with no cookie jar, checking an API request and its
// answer against the OpenAPI document.
func (a *App) serve(t testing.TB, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	return checked(t, a.Engine, req)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// File is one file of a multipart upload.
type File struct {
	Field, Name string
	Body        io.Reader
}

// multipartBody encodes a form as the browser sends it: the CSRF token first, then the fields,
// then the files (streamed through a pipe, so large test files are never held in memory).
func multipartBody(csrf string, fields url.Values, files []File) (io.Reader, string) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			if csrf != "" {
				if err := mw.WriteField("csrf_token", csrf); err != nil {
					return err
				}
			}
			for k, vs := range fields {
				for _, v := range vs {
					if err := mw.WriteField(k, v); err != nil {
						return err
					}
				}
			}
			for _, f := range files {
				w, err := mw.CreateFormFile(f.Field, f.Name)
				if err != nil {
					return err
				}
				if _, err := io.Copy(w, f.Body); err != nil {
					return err
				}
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	return pr, mw.FormDataContentType()
}

// Upload posts a multipart form with files, as a browser without JavaScript does.
func (b *Browser) Upload(t testing.TB, path string, fields url.Values, files ...File) *httptest.ResponseRecorder {
	t.Helper()
	body, ctype := multipartBody(b.CSRF, fields, files)
	req := httptest.NewRequest(http.MethodPost, path, body)
	req.Header.Set("Content-Type", ctype)
	return b.Do(t, req)
}

// UploadAPI posts a multipart form to the API with a bearer token.
func (a *App) UploadAPI(t testing.TB, token, path string, fields url.Values, files ...File) *httptest.ResponseRecorder {
	t.Helper()
	body, ctype := multipartBody("", fields, files)
	req := httptest.NewRequest(http.MethodPost, path, body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+token)
	return a.serve(t, req)
}

// Token creates an API token of scope for u and returns its secret.
func (u *User) Token(t testing.TB, scope string) string {
	t.Helper()
	who, _, err := u.app.Services.Sessions.Authenticate(context.Background(), u.Cookie)
	if err != nil {
		t.Fatalf("token for %s: not signed in: %v", u.Email, err)
	}
	secret, _, err := u.app.Services.Tokens.Create(context.Background(), who, identity.NewToken{Name: "test", Scope: scope, ExpiresIn: 30})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// Actor is the models Actor of the user's session, for calling operations directly.
func (u *User) Actor(t testing.TB) core.Actor {
	t.Helper()
	who, _, err := u.app.Services.Sessions.Authenticate(context.Background(), u.Cookie)
	if err != nil {
		t.Fatalf("%s is not signed in: %v", u.Email, err)
	}
	return who
}

// Unzip extracts a ZIP (an exported pack) into a temporary directory, refusing paths that leave
// it, and returns the directory with the names of the files it holds.
func Unzip(t testing.TB, b []byte) (string, []string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("the export is not a ZIP: %v", err)
	}
	dir := t.TempDir()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		path := filepath.Join(dir, f.Name)
		if !strings.HasPrefix(path, dir+string(os.PathSeparator)) {
			t.Fatalf("ZIP entry %q leaves the folder", f.Name)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(out, rc)
		rc.Close()
		out.Close()
		if err != nil {
			t.Fatalf("extract %s: %v", f.Name, err)
		}
	}
	return dir, names
}
