package api_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/policies"
	"github.com/pquerna/otp/totp"
)

var (
	secretOnPage = regexp.MustCompile(`<code class="app-secret">([A-Z2-7]+)</code>`)
	recoveryCode = regexp.MustCompile(`<li>([0-9a-z]{5}-[0-9a-z]{5})</li>`)
	linkOnPage   = regexp.MustCompile(`http://msphub\.test/set-password/[A-Za-z0-9_-]+`)
)

// The first administrator uses the one-time set-up link, must set up a second factor before
// anything else, gets recovery codes, and the link is then spent.
func TestFirstAdministratorSetUp(t *testing.T) {
	a := apitest.New(t)
	ctx := context.Background()
	link, err := a.Services.Accounts.SetupLink(ctx)
	if err != nil || !strings.HasPrefix(link, "http://msphub.test/setup/") {
		t.Fatalf("set-up link %q, %v", link, err)
	}
	path := strings.TrimPrefix(link, "http://msphub.test")
	b := a.Browser()
	if w := b.Get(t, path); w.Code != 200 || !strings.Contains(w.Body.String(), "Set up MSP Hub") {
		t.Fatalf("set-up page: %d", w.Code)
	}
	w := b.Submit(t, path, url.Values{"name": {"Alex Admin"}, "email": {"alex.admin@msp.police.uk"}, "password": {"short"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "at least 12 characters") {
		t.Fatalf("weak password: %d", w.Code)
	}
	w = b.Submit(t, path, url.Values{"name": {"Alex Admin"}, "email": {"alex.admin@msp.police.uk"}, "password": {apitest.Password}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account/mfa" {
		t.Fatalf("create administrator: %d %s", w.Code, w.Header().Get("Location"))
	}
	// Until the second factor is set up, every other page sends them back to set it up.
	if w := b.Get(t, "/users"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account/mfa" {
		t.Errorf("before the second factor, /users: %d %s", w.Code, w.Header().Get("Location"))
	}
	page := b.Get(t, "/account/mfa").Body.String()
	m := secretOnPage.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `src="data:image/png;base64,`) {
		t.Fatal("the set-up page shows no key or QR code")
	}
	if w := b.Submit(t, "/account/mfa", url.Values{"code": {"123456"}}); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("wrong code: %d", w.Code)
	}
	code, _ := totp.GenerateCode(m[1], a.Clock.Now())
	w = b.Submit(t, "/account/mfa", url.Values{"code": {code}})
	if w.Code != 200 {
		t.Fatalf("confirm: %d %s", w.Code, w.Body.String())
	}
	if n := len(recoveryCode.FindAllString(w.Body.String(), -1)); n != 10 {
		t.Errorf("%d recovery codes shown, want 10", n)
	}
	if w := b.Get(t, "/users"); w.Code != 200 {
		t.Errorf("after the second factor, /users: %d", w.Code)
	}
	// The link is spent, and no second set-up link is issued now that a user exists.
	if w := a.Browser().Get(t, path); w.Code != http.StatusNotFound {
		t.Errorf("set-up link used twice: %d", w.Code)
	}
	if again, err := a.Services.Accounts.SetupLink(ctx); err != nil || again != "" {
		t.Errorf("set-up link after set-up: %q, %v", again, err)
	}
}

// setPasswordOnce sets the password apitest.Password through the set-password link at path in
// b, checks the link then no longer opens, and returns a new browser at the sign-in page.
func setPasswordOnce(t *testing.T, a *apitest.App, b *apitest.Browser, path string) *apitest.Browser {
	t.Helper()
	if w := b.Submit(t, path, url.Values{"password": {apitest.Password}}); w.Code != http.StatusSeeOther {
		t.Fatalf("set the password: %d %s", w.Code, w.Body.String())
	}
	if w := a.Browser().Get(t, path); w.Code != http.StatusNotFound {
		t.Errorf("the set-password link used twice: %d", w.Code)
	}
	fresh := a.Browser()
	fresh.Get(t, "/sign-in")
	return fresh
}

// A set-password link sets the password once; then the person signs in, and a recovery code
// works exactly once in place of the authenticator.
func TestSetPasswordLinkAndRecoveryCodes(t *testing.T) {
	a := apitest.New(t)
	admin := a.As(t, policies.RoleAdmin)
	home := a.Org(t, apitest.HomeOrg)
	w := a.API(t, admin, "POST", "/api/v1/users", `{"organisation_id":`+itoa(home)+`,"name":"Sam Sergeant","email":"sam.sergeant@dc.police.uk","roles":["supervisor"],"vetting_level":"MV","vetting_expires_on":"2031-05-01"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body.String())
	}
	id := regexp.MustCompile(`"id":(\d+)`).FindStringSubmatch(w.Body.String())[1]
	page := admin.Browser().Submit(t, "/users/"+id+"/set-password-link", nil).Body.String()
	link := linkOnPage.FindString(page)
	if link == "" {
		t.Fatalf("no link on the page:\n%s", page)
	}
	path := strings.TrimPrefix(link, "http://msphub.test")
	b := a.Browser()
	if w := b.Get(t, path); w.Code != 200 || !strings.Contains(w.Body.String(), "Sam Sergeant") {
		t.Fatalf("set-password page: %d", w.Code)
	}
	if w := b.Submit(t, path, url.Values{"password": {"password1234"}}); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("a common password: %d, want 422", w.Code)
	}
	b = setPasswordOnce(t, a, b, path)

	// Sign in: supervisors need a second factor, so they set one up first.
	w = b.Submit(t, "/sign-in", url.Values{"email": {"sam.sergeant@dc.police.uk"}, "password": {apitest.Password}})
	if w.Header().Get("Location") != "/account/mfa" {
		t.Fatalf("sign-in without a second factor goes to %q", w.Header().Get("Location"))
	}
	secret := secretOnPage.FindStringSubmatch(b.Get(t, "/account/mfa").Body.String())[1]
	code, _ := totp.GenerateCode(secret, a.Clock.Now())
	codes := recoveryCode.FindAllStringSubmatch(b.Submit(t, "/account/mfa", url.Values{"code": {code}}).Body.String(), -1)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes", len(codes))
	}
	signIn := func(code string) *http.Response {
		b := a.Browser()
		b.Get(t, "/sign-in")
		b.Submit(t, "/sign-in", url.Values{"email": {"sam.sergeant@dc.police.uk"}, "password": {apitest.Password}})
		b.Get(t, "/sign-in/mfa")
		return b.Submit(t, "/sign-in/mfa", url.Values{"code": {code}}).Result()
	}
	if r := signIn(strings.ToUpper(codes[0][1])); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Errorf("recovery code: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if r := signIn(codes[0][1]); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("the same recovery code again: %d, want 422", r.StatusCode)
	}
	// A TOTP code works once per step: the code used at enrolment cannot sign in again.
	if r := signIn(code); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a TOTP code replayed: %d, want 422", r.StatusCode)
	}
	a.Clock.Advance(30 * time.Second)
	next, _ := totp.GenerateCode(secret, a.Clock.Now())
	if r := signIn(next); r.StatusCode != http.StatusSeeOther {
		t.Errorf("a fresh TOTP code: %d", r.StatusCode)
	}
}

// Changing the password ends every other session and keeps this browser signed in under a
// new session ID.
func TestPasswordChange(t *testing.T) {
	a := apitest.New(t)
	u := a.As(t, policies.RoleOfficer)
	other := *u
	other.SignIn(t)
	b := u.Browser()
	w := b.Submit(t, "/account/password", url.Values{"current_password": {"not it"}, "new_password": {"tangerine biscuit harbour 92"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "Your current password is not right") {
		t.Fatalf("wrong current password: %d", w.Code)
	}
	w = b.Submit(t, "/account/password", url.Values{"current_password": {u.Password}, "new_password": {"tangerine biscuit harbour 92"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("change: %d %s", w.Code, w.Body.String())
	}
	if b.Cookies["msphub_session"] == u.Cookie {
		t.Error("the session ID did not change with the password")
	}
	for _, s := range []*apitest.User{u, &other} {
		if code, _ := me(t, a, s); code != http.StatusUnauthorized {
			t.Errorf("an old session survived the password change: %d", code)
		}
	}
	if w := b.Get(t, "/account"); w.Code != 200 {
		t.Errorf("this browser after the change: %d", w.Code)
	}
	u.Password = "tangerine biscuit harbour 92"
	u.SignIn(t)
}

// People and organisations pages: add, change, disable, and the forms' errors.
func TestPeopleAndOrganisationPages(t *testing.T) {
	a := apitest.New(t)
	admin := a.As(t, policies.RoleAdmin)
	b := admin.Browser()
	home := itoa(a.Org(t, apitest.HomeOrg))
	form := url.Values{"name": {"Pat Investigator"}, "email": {"not-an-email"}, "organisation_id": {home}, "roles": {"investigator", "officer"},
		"vetting_level": {"RV"}, "vetting_expires_on-day": {"30"}, "vetting_expires_on-month": {"2"}, "vetting_expires_on-year": {"2030"}}
	w := b.Submit(t, "/users/new", form)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "real date") {
		t.Fatalf("30 February: %d", w.Code)
	}
	form.Set("vetting_expires_on-day", "28")
	w = b.Submit(t, "/users/new", form)
	body := w.Body.String()
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "govuk-error-summary") || !strings.Contains(body, `href="#email"`) ||
		!strings.Contains(body, "Pat Investigator") || !strings.Contains(body, "<title>Error: ") {
		t.Fatalf("bad email: %d\n%s", w.Code, body)
	}
	form.Set("email", "pat.investigator@dc.police.uk")
	w = b.Submit(t, "/users/new", form)
	// With email off, the page after adding the person shows their set-password link at once.
	page := w.Body.String()
	link := regexp.MustCompile(`<code class="app-secret">[^<]*(/set-password/[^<]+)</code>`).FindStringSubmatch(page)
	if w.Code != http.StatusOK || link == nil {
		t.Fatalf("add: %d, no set-password link shown:\n%s", w.Code, page)
	}
	if r := a.Browser().Get(t, link[1]); r.Code != http.StatusOK {
		t.Errorf("the set-password link shown after adding: %d", r.Code)
	}
	m := regexp.MustCompile(`href="(/users/\d+)/edit"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no link to change the person:\n%s", page)
	}
	userPage := m[1]
	for _, want := range []string{"Pat Investigator", "Investigator, Officer", "Recruitment vetting (RV), expires 28 February 2030", "The account has been created"} {
		if !strings.Contains(page, want) {
			t.Errorf("user page lacks %q", want)
		}
	}
	if page := b.Get(t, userPage).Body.String(); strings.Contains(page, "/set-password/") {
		t.Error("the set-password link is shown again")
	}
	form.Set("name", "Pat Investigator-Smith")
	form.Del("roles")
	form["roles"] = []string{"supervisor"}
	if w := b.Submit(t, userPage+"/edit", form); w.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", w.Code, w.Body.String())
	}
	page = b.Get(t, userPage).Body.String()
	if !strings.Contains(page, "Pat Investigator-Smith") || !strings.Contains(page, "Supervisor") || strings.Contains(page, "Investigator, Officer") {
		t.Error("the edit did not change the name and roles")
	}
	// Disabling asks first; until the person says yes nothing changes.
	if w := b.Submit(t, userPage+"/disable", nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Are you sure you want to disable this account?") {
		t.Fatalf("disable without confirming: %d", w.Code)
	}
	if strings.Contains(b.Get(t, userPage).Body.String(), "Disabled") {
		t.Fatal("the account was disabled before the person confirmed")
	}
	if w := b.Submit(t, userPage+"/disable", url.Values{"confirmed": {"yes"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("disable: %d", w.Code)
	}
	if !strings.Contains(b.Get(t, userPage).Body.String(), "Disabled") {
		t.Error("the user page does not show the account disabled")
	}
	list := b.Get(t, "/users?q=pat").Body.String()
	if strings.Contains(list, "Pat Investigator") {
		t.Error("a disabled account is listed without asking for disabled accounts")
	}
	if list := b.Get(t, "/users?q=pat&include_disabled=yes").Body.String(); !strings.Contains(list, "Pat Investigator-Smith") {
		t.Error("the search does not find the disabled account when asked")
	}

	// Organisations: add one, a duplicate name is refused, rename, deactivate.
	if w := b.Submit(t, "/organisations/new", url.Values{"name": {"Joint Exploitation Taskforce"}, "kind": {"programme"}, "region": {"National"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("add organisation: %d %s", w.Code, w.Body.String())
	}
	if w := b.Submit(t, "/organisations/new", url.Values{"name": {"Kent Police"}, "kind": {"police_force"}}); w.Code != http.StatusConflict {
		t.Errorf("a duplicate organisation: %d, want 409", w.Code)
	}
	var org core.Organisation
	a.DB.Gorm().Where("slug = ?", "joint-exploitation-taskforce").Take(&org)
	if w := b.Submit(t, "/organisations/"+itoa(org.ID)+"/edit", url.Values{"name": {"Joint Exploitation Taskforce South"}, "kind": {"programme"}, "region": {"South"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("rename: %d", w.Code)
	}
	if w := b.Submit(t, "/organisations/"+itoa(org.ID)+"/deactivate", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", w.Code)
	}
	orgs := b.Get(t, "/organisations").Body.String()
	if !strings.Contains(orgs, "Joint Exploitation Taskforce South") || !strings.Contains(orgs, "Deactivated") {
		t.Error("organisations page does not show the renamed, deactivated organisation")
	}
	if n := auditCount(t, a, "action LIKE ?", "organisation.%"); n != 3 {
		t.Errorf("%d organisation events audited, want 3", n)
	}
}

// The reference organisations are loaded once: the 43 territorial forces, BTP, the nine ROCUs
// (London has none: DOMAIN.md §F5), the national agencies and the NPCC, the 14 CPS areas and the
// programme's unit.
func TestReferenceOrganisations(t *testing.T) {
	a := apitest.New(t)
	count := func(kind string) int64 {
		var n int64
		a.DB.Gorm().Table("organisations").Where("kind = ?", kind).Count(&n)
		return n
	}
	for kind, want := range map[string]int64{"police_force": 44, "rocu": 9, "agency": 7, "cps": 14, "programme": 1} {
		if got := count(kind); got != want {
			t.Errorf("%s: %d organisations, want %d", kind, got, want)
		}
	}
	if n, err := identity.SeedOrganisations(context.Background(), a.DB); err != nil || n != 0 {
		t.Errorf("seeding again added %d (%v)", n, err)
	}
}

// Auditors browse, filter and export the log; the export neutralises formulas and is itself
// audited.
func TestAuditPages(t *testing.T) {
	a := apitest.New(t)
	au := a.As(t, policies.RoleAuditor)
	b := au.Browser()
	page := b.Get(t, "/audit?action=auth.")
	if page.Code != 200 || !strings.Contains(page.Body.String(), "auth.sign_in") {
		t.Fatalf("audit page: %d", page.Code)
	}
	if w := b.Get(t, "/audit?from-day=31&from-month=2&from-year=2026"); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("a date that does not exist: %d", w.Code)
	}
	w := b.Get(t, "/audit/export.csv?action=auth.sign_in")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || !strings.Contains(w.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %v", w.Code, w.Header())
	}
	if !strings.HasPrefix(w.Body.String(), "id,occurred_at") || !strings.Contains(w.Body.String(), "auth.sign_in") {
		t.Errorf("export body:\n%s", w.Body.String())
	}
	if n := auditCount(t, a, "action = ?", "audit.export"); n != 1 {
		t.Errorf("%d exports audited, want 1", n)
	}
	if w := a.API(t, au, "POST", "/api/v1/audit/verify", ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"intact":true`) {
		t.Errorf("verify: %d %s", w.Code, w.Body.String())
	}
}

// Signing in from a page that asked for it comes back to that page, through the second factor
// too; a "next" pointing off the site is ignored.
func TestSignInReturnsToThePageAsked(t *testing.T) {
	a := apitest.New(t)
	u := a.NewUser(t, apitest.UserSpec{Roles: []string{policies.RoleSupervisor}})
	for next, want := range map[string]string{"/account/tokens": "/account/tokens", "//evil.example/": "/", "https://evil.example/": "/"} {
		b := a.Browser()
		b.Get(t, "/sign-in?next="+url.QueryEscape(next))
		w := b.Submit(t, "/sign-in", url.Values{"email": {u.Email}, "password": {u.Password}, "next": {next}})
		mfa := w.Header().Get("Location")
		if !strings.HasPrefix(mfa, "/sign-in/mfa") {
			t.Fatalf("after the password: %s", mfa)
		}
		if page := b.Get(t, mfa).Body.String(); want != "/" && !strings.Contains(page, `name="next" value="`+want+`"`) {
			t.Errorf("the second-factor form does not carry next %q", want)
		}
		a.Clock.Advance(30 * time.Second)
		// The page's form carries next as a hidden field; post what it holds.
		w = b.Submit(t, "/sign-in/mfa", url.Values{"code": {u.Code(t)}, "next": {nextOf(mfa)}})
		if got := w.Header().Get("Location"); got != want {
			t.Errorf("next %q: ended at %q, want %q", next, got, want)
		}
	}
}

// nextOf is the next parameter of an address.
func nextOf(path string) string {
	u, _ := url.Parse(path)
	return u.Query().Get("next")
}

// Once anyone has an account, set-up is done: a set-up link that is still live no longer shows
// the first administrator's page, nor takes its form.
func TestSetUpPageGoneOnceSetUp(t *testing.T) {
	a := apitest.New(t)
	link, err := a.Services.Accounts.SetupLink(context.Background())
	if err != nil || link == "" {
		t.Fatalf("set-up link %q, %v", link, err)
	}
	path := strings.TrimPrefix(link, "http://msphub.test")
	a.As(t, policies.RoleAdmin) // set up another way (the operator CLI)
	b := a.Browser()
	if w := b.Get(t, path); w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), `name="password"`) {
		t.Errorf("set-up page after set-up: %d, want 404 without the form", w.Code)
	}
	b.Get(t, "/sign-in") // for a CSRF token
	w := b.Submit(t, path, url.Values{"name": {"Mallory"}, "email": {"mallory@msp.police.uk"}, "password": {apitest.Password}})
	if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), `name="password"`) {
		t.Errorf("set-up form after set-up: %d, want 404 without the form", w.Code)
	}
}

// The audit list answers in the document's shape: snake_case fields, [] for an empty page, no
// actor on an anonymous event.
func TestAuditListJSON(t *testing.T) {
	a := apitest.New(t)
	au := a.As(t, policies.RoleAuditor)
	b := a.Browser() // an anonymous, failed sign-in: an event without an actor
	b.Get(t, "/sign-in")
	b.Submit(t, "/sign-in", url.Values{"email": {"nobody@example.police.uk"}, "password": {"wrong password entirely"}})

	var page map[string]any
	apitest.Want(t, a.API(t, au, "GET", "/api/v1/audit?limit=200", ""), "GET /api/v1/audit", 200, &page)
	events, ok := page["events"].([]any)
	if !ok || len(events) == 0 {
		t.Fatalf("events = %#v, want a list of events", page["events"])
	}
	if _, ok := page["next"]; !ok {
		t.Errorf("no next in %v", page)
	}
	anonymous := false
	for _, e := range events {
		ev := e.(map[string]any)
		for _, k := range []string{"id", "occurred_at", "action", "object_type", "object_id", "outcome", "client_ip", "user_agent", "request_id", "details", "prev_hash", "hash"} {
			if _, ok := ev[k]; !ok {
				t.Errorf("event %v has no %s", ev["id"], k)
			}
		}
		for k := range ev {
			if strings.ToLower(k) != k {
				t.Errorf("event field %q is not snake_case", k)
			}
		}
		if _, ok := ev["actor_id"]; !ok {
			anonymous = true
		}
	}
	if !anonymous {
		t.Error("the failed anonymous sign-in shows an actor")
	}

	w := a.API(t, au, "GET", "/api/v1/audit?action=no.such.action", "")
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"events":[],"next":0}` {
		t.Errorf("an empty page: %d %s, want {\"events\":[],\"next\":0}", w.Code, w.Body.String())
	}
}
