package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
)

// me asks who the session or token is; it returns the status and the decoded body.
func me(t *testing.T, a *apitest.App, u *apitest.User) (int, map[string]any) {
	t.Helper()
	w := a.API(t, u, "GET", "/api/v1/me", "")
	var body map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	return w.Code, body
}

func auditCount(t *testing.T, a *apitest.App, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := a.DB.Gorm().Table("audit_events").Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// The session ID changes at sign-in and again when the second factor is passed: an ID known
// before (planted by an attacker, or the half-signed-in one) is worthless after.
func TestSessionFixation(t *testing.T) {
	a := apitest.New(t)
	u := a.NewUser(t, apitest.UserSpec{Roles: []string{policies.RoleInvestigator}})

	b := a.Browser()
	b.Cookies["msphub_session"] = "planted-by-an-attacker"
	b.Get(t, "/sign-in")
	w := b.Submit(t, "/sign-in", url.Values{"email": {u.Email}, "password": {u.Password}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/sign-in/mfa" {
		t.Fatalf("sign-in: %d %s", w.Code, w.Header().Get("Location"))
	}
	pending := b.Cookies["msphub_session"]
	if pending == "" || pending == "planted-by-an-attacker" {
		t.Fatalf("session cookie after the password = %q", pending)
	}
	// Half signed in: the API refuses, pages send the browser to the second step.
	if code, _ := me(t, a, &apitest.User{Cookie: pending}); code != http.StatusUnauthorized {
		t.Errorf("API with a session still waiting for its second factor: %d, want 401", code)
	}
	b.Get(t, "/sign-in/mfa")
	a.Clock.Advance(30 * time.Second)
	w = b.Submit(t, "/sign-in/mfa", url.Values{"code": {u.Code(t)}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("second factor: %d %s", w.Code, w.Body.String())
	}
	full := b.Cookies["msphub_session"]
	if full == pending {
		t.Fatal("the session ID did not change when the second factor was passed")
	}
	if code, _ := me(t, a, &apitest.User{Cookie: pending}); code != http.StatusUnauthorized {
		t.Errorf("the half-signed-in session still works after the second factor: %d", code)
	}
	if code, body := me(t, a, &apitest.User{Cookie: full}); code != 200 || body["email"] != u.Email {
		t.Errorf("signed-in session: %d %v", code, body)
	}
}

// Cookie sessions need the CSRF token on every change; bearer tokens need none.
func TestCSRF(t *testing.T) {
	a := apitest.New(t)
	admin := a.As(t, policies.RoleAdmin)
	form := url.Values{"name": {"Changed Name Org"}, "kind": {"agency"}, "region": {"National"}}
	for name, token := range map[string]string{"missing": "", "wrong": "not-the-token"} {
		b := admin.Browser()
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("csrf_token", token)
		if token == "" {
			b.CSRF = ""
		}
		w := b.Submit(t, "/organisations/new", f)
		if w.Code != http.StatusForbidden {
			t.Errorf("form post with a %s CSRF token: %d, want 403", name, w.Code)
		}
	}
	if w := admin.Browser().Submit(t, "/organisations/new", form); w.Code != http.StatusSeeOther {
		t.Errorf("form post with the token: %d %s", w.Code, w.Body.String())
	}
	// The JSON API with the session cookie but no X-CSRF-Token header.
	noHeader := *admin
	noHeader.CSRF = ""
	if w := a.API(t, &noHeader, "POST", "/api/v1/organisations", `{"name":"Org Two","kind":"agency"}`); w.Code != http.StatusForbidden {
		t.Errorf("API change by cookie without X-CSRF-Token: %d, want 403", w.Code)
	}
	if w := a.API(t, admin, "POST", "/api/v1/organisations", `{"name":"Org Three","kind":"agency"}`); w.Code != http.StatusCreated {
		t.Errorf("API change by cookie with X-CSRF-Token: %d %s", w.Code, w.Body.String())
	}
	// A bearer token carries no ambient authority, so it needs no CSRF token.
	secret, _, err := a.Services.Tokens.Create(context.Background(), actorOfUser(t, a, admin), identity.NewToken{Name: "ci", Scope: identity.ScopeReadWrite, ExpiresIn: 7})
	if err != nil {
		t.Fatal(err)
	}
	if w := a.Bearer(t, secret, "POST", "/api/v1/organisations", `{"name":"Org Four","kind":"agency"}`); w.Code != http.StatusCreated {
		t.Errorf("API change by bearer token: %d %s", w.Code, w.Body.String())
	}
	// Signing in itself is protected too (login CSRF).
	anon := a.Browser()
	anon.Get(t, "/sign-in")
	anon.CSRF = ""
	if w := anon.Submit(t, "/sign-in", url.Values{"email": {admin.Email}, "password": {admin.Password}}); w.Code != http.StatusForbidden {
		t.Errorf("sign-in without its CSRF token: %d, want 403", w.Code)
	}
}

// actorOfUser is the Actor the session of u resolves to.
func actorOfUser(t *testing.T, a *apitest.App, u *apitest.User) core.Actor {
	t.Helper()
	actor, _, err := a.Services.Sessions.Authenticate(context.Background(), u.Cookie)
	if err != nil {
		t.Fatal(err)
	}
	return actor
}

func TestSessionTimeouts(t *testing.T) {
	a := apitest.New(t)
	u := a.As(t, policies.RoleOfficer)

	// Idle: a session unused for 30 minutes has ended.
	a.Clock.Advance(29 * time.Minute)
	if code, _ := me(t, a, u); code != 200 {
		t.Fatalf("after 29 idle minutes: %d", code)
	}
	a.Clock.Advance(30 * time.Minute)
	if code, _ := me(t, a, u); code != http.StatusUnauthorized {
		t.Errorf("after 30 idle minutes: %d, want 401", code)
	}
	w := u.Browser().Get(t, "/account")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/sign-in") {
		t.Errorf("page after the idle time-out: %d %s", w.Code, w.Header().Get("Location"))
	}

	// Absolute: however busy, a session ends 12 hours after sign-in.
	u.SignIn(t)
	for elapsed := time.Duration(0); elapsed < 11*time.Hour+40*time.Minute; elapsed += 20 * time.Minute {
		a.Clock.Advance(20 * time.Minute)
		if code, _ := me(t, a, u); code != 200 {
			t.Fatalf("active session ended after %v", elapsed+20*time.Minute)
		}
	}
	a.Clock.Advance(20 * time.Minute)
	if code, _ := me(t, a, u); code != http.StatusUnauthorized {
		t.Errorf("session older than 12 hours: %d, want 401", code)
	}
	if n := auditCount(t, a, "action = ? AND actor_id = ?", "auth.session_end", u.ID); n != 2 {
		t.Errorf("%d session-end events, want 2 (idle and absolute)", n)
	}
}

func TestSignOutAndSignOutEverywhere(t *testing.T) {
	a := apitest.New(t)
	u := a.As(t, policies.RoleOfficer)
	other := *u
	other.SignIn(t) // a second browser
	laptop := u.Browser()
	if w := laptop.Submit(t, "/sign-out", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("sign out: %d", w.Code)
	}
	if code, _ := me(t, a, u); code != http.StatusUnauthorized {
		t.Errorf("signed-out session still works: %d", code)
	}
	if code, _ := me(t, a, &other); code != 200 {
		t.Errorf("signing out one browser ended the other: %d", code)
	}

	u.SignIn(t)
	w := u.Browser().Submit(t, "/account/sessions/sign-out-everywhere", nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: %d", w.Code)
	}
	for _, s := range []*apitest.User{u, &other} {
		if code, _ := me(t, a, s); code != http.StatusUnauthorized {
			t.Errorf("a session survived sign-out everywhere: %d", code)
		}
	}
}

// Failed sign-ins slow down and then lock, per account and without saying whether the account
// exists; every attempt is audited.
func TestSignInThrottling(t *testing.T) {
	a := apitest.New(t)
	u := a.NewUser(t, apitest.UserSpec{Roles: []string{policies.RoleOfficer}})
	attempt := func(email, password string) (int, string) {
		b := a.Browser()
		b.Get(t, "/sign-in")
		w := b.Submit(t, "/sign-in", url.Values{"email": {email}, "password": {password}})
		return w.Code, w.Body.String()
	}
	codeFor, bodyFor := attempt(u.Email, "wrong password entirely")
	codeNo, bodyNo := attempt("nobody@example.police.uk", "wrong password entirely")
	if codeFor != http.StatusUnauthorized || codeNo != http.StatusUnauthorized {
		t.Fatalf("failed sign-ins: %d and %d, want 401", codeFor, codeNo)
	}
	msg := "The email address or password is not right"
	if !strings.Contains(bodyFor, msg) || !strings.Contains(bodyNo, msg) {
		t.Error("the failure message differs between an existing and an unknown account")
	}

	// Two more failures are free; the fourth within the window must wait.
	for i := 0; i < 2; i++ {
		if code, _ := attempt(u.Email, "wrong again"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+2, code)
		}
	}
	a.Clock.Advance(500 * time.Millisecond)
	if code, body := attempt(u.Email, "wrong again"); code != http.StatusUnauthorized || !strings.Contains(body, msg) {
		t.Fatalf("fourth failure: %d", code)
	}
	if code, body := attempt(u.Email, u.Password); code != http.StatusTooManyRequests || !strings.Contains(body, "Too many attempts") {
		t.Errorf("right password straight after the fourth failure: %d, want 429", code)
	}
	// Keep failing (waiting out each delay) until the account locks for 15 minutes.
	for i := 0; i < 6; i++ {
		a.Clock.Advance(time.Minute)
		attempt(u.Email, "still wrong")
	}
	a.Clock.Advance(2 * time.Minute)
	if code, _ := attempt(u.Email, u.Password); code != http.StatusTooManyRequests {
		t.Errorf("right password while locked: %d, want 429", code)
	}
	a.Clock.Advance(16 * time.Minute)
	if code, _ := attempt(u.Email, u.Password); code != http.StatusSeeOther {
		t.Errorf("right password after the lock: %d, want 303", code)
	}
	if n := auditCount(t, a, "action = ?", "auth.sign_in"); n < 14 {
		t.Errorf("only %d sign-in attempts audited", n)
	}
	if n := auditCount(t, a, "action = ? AND outcome = ?", "auth.sign_in", "denied"); n < 2 {
		t.Errorf("throttled attempts not audited as denied: %d", n)
	}
}

// Simultaneous wrong guesses at one account are throttled as if they came one at a time: a
// burst gets the free allowance and one more, never a guess each (on PostgreSQL, where sign-ins
// run side by side, every guess of the burst was checked before any failure was counted).
func TestABurstOfSignInsIsThrottledAsOneAtATime(t *testing.T) {
	a := apitest.New(t)
	u := a.NewUser(t, apitest.UserSpec{Roles: []string{policies.RoleOfficer}})
	const burst = 12
	errs := make(chan error, burst)
	var wg sync.WaitGroup
	for range burst {
		wg.Go(func() {
			_, err := a.Services.Sessions.SignIn(context.Background(), u.Email, "a wrong guess")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	codes := map[core.Code]int{}
	for err := range errs {
		codes[core.ErrorCode(err)]++
	}
	// Three failures are free and the fourth sets the first delay (TestSignInThrottling).
	if codes[core.EUNAUTHENTICATED] != 4 || codes[core.ETOOMANY] != burst-4 {
		t.Errorf("a burst of %d wrong guesses: %v, want 4 checked and the rest throttled", burst, codes)
	}
}

// A disabled user's sessions and tokens stop at once, and they cannot sign in.
func TestDisabledUser(t *testing.T) {
	a := apitest.New(t)
	admin := a.As(t, policies.RoleAdmin)
	u := a.As(t, policies.RoleOfficer)
	secret, _, err := a.Services.Tokens.Create(context.Background(), actorOfUser(t, a, u), identity.NewToken{Name: "t", Scope: identity.ScopeRead, ExpiresIn: 7})
	if err != nil {
		t.Fatal(err)
	}
	if w := a.API(t, admin, "POST", "/api/v1/users/"+itoa(u.ID)+"/disable", ""); w.Code != 200 {
		t.Fatalf("disable: %d %s", w.Code, w.Body.String())
	}
	if code, _ := me(t, a, u); code != http.StatusUnauthorized {
		t.Errorf("disabled user's session: %d, want 401", code)
	}
	if w := a.Bearer(t, secret, "GET", "/api/v1/me", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("disabled user's token: %d, want 401", w.Code)
	}
	b := a.Browser()
	b.Get(t, "/sign-in")
	w := b.Submit(t, "/sign-in", url.Values{"email": {u.Email}, "password": {u.Password}})
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "The email address or password is not right") {
		t.Errorf("disabled user signing in: %d", w.Code)
	}
	if w := a.API(t, admin, "POST", "/api/v1/users/"+itoa(admin.ID)+"/disable", ""); w.Code != http.StatusConflict {
		t.Errorf("disabling oneself: %d, want 409", w.Code)
	}
}

// An API token carries the assurance of the session that made it. An officer's token, made
// without a second factor, ends when its user is given a role that needs one they have not set
// up (else it reached case files with the new role); an investigator's tokens end when their
// second factor is reset. A role change that needs no second factor keeps the token, and a
// token the operator made, which carries the operator's assurance, stays.
func TestATokenEndsWithTheSecondFactorItWasMadeWith(t *testing.T) {
	a := apitest.New(t)
	ctx := context.Background()
	admin := actorOfUser(t, a, a.As(t, policies.RoleAdmin))
	token := func(u *apitest.User) string {
		t.Helper()
		secret, _, err := a.Services.Tokens.Create(ctx, actorOfUser(t, a, u), identity.NewToken{Name: "t", Scope: identity.ScopeReadWrite, ExpiresIn: 7})
		modelstest.Must(t, err)
		return secret
	}
	works := func(secret string) bool { return a.Bearer(t, secret, "GET", "/api/v1/me", "").Code == http.StatusOK }

	officer := a.As(t, policies.RoleOfficer)
	secret := token(officer)
	// The operator's token (msphub create-token) carries the operator's assurance, not a session's.
	operators, _, err := a.Services.Operator.CreateToken(ctx, officer.Email, identity.NewToken{Name: "reports", Scope: identity.ScopeRead, ExpiresIn: 7})
	modelstest.Must(t, err)
	_, err = a.Services.Users.SetRoles(ctx, admin, officer.ID, []string{policies.RoleOfficer, policies.RoleTrainer})
	modelstest.Must(t, err)
	if !works(secret) {
		t.Error("an officer made a trainer too (no second factor needed) lost their token")
	}
	_, err = a.Services.Users.SetRoles(ctx, admin, officer.ID, []string{policies.RoleInvestigator})
	modelstest.Must(t, err)
	if works(secret) {
		t.Error("an officer's token, made without a second factor, still works now its user is an investigator")
	}
	if !works(operators) {
		t.Error("the operator's token for the officer ended with the role change")
	}

	inv := a.As(t, policies.RoleInvestigator)
	secret = token(inv)
	if !works(secret) {
		t.Fatal("an investigator's new token does not work")
	}
	_, err = a.Services.Users.ResetMFA(ctx, admin, inv.ID)
	modelstest.Must(t, err)
	if works(secret) {
		t.Error("an investigator's token still works after their second factor was reset")
	}
	if n := auditCount(t, a, "action = ? AND object_id IN ?", "token.revoke", []string{itoa(officer.ID), itoa(inv.ID)}); n != 2 {
		t.Errorf("%d token.revoke events for the two users, want 2", n)
	}
}

// Nobody changes their own vetting or Crown Prosecutor mark: like roles, someone else gives
// them. Their own name they may change.
func TestNobodyChangesTheirOwnVetting(t *testing.T) {
	a := apitest.New(t)
	ctx := context.Background()
	u := a.As(t, policies.RoleAdmin)
	admin := actorOfUser(t, a, u)
	was, err := a.Services.Users.Get(ctx, admin, u.ID)
	modelstest.Must(t, err)
	later := a.Clock.Now().AddDate(5, 0, 0)
	in := identity.UserInput{Email: was.Email, Name: was.Name, VettingLevel: was.VettingLevel, VettingExpiresOn: &later}
	_, err = a.Services.Users.Update(ctx, admin, u.ID, in)
	modelstest.WantCode(t, "extending one's own vetting", err, core.ECONFLICT)
	in.VettingExpiresOn, in.Name = was.VettingExpiresOn, "Renamed Administrator"
	_, err = a.Services.Users.Update(ctx, admin, u.ID, in)
	modelstest.Must(t, err)
	now, err := a.Services.Users.Get(ctx, admin, u.ID)
	modelstest.Must(t, err)
	if now.Name != "Renamed Administrator" || !sameInstant(now.VettingExpiresOn, was.VettingExpiresOn) {
		t.Errorf("after the refused and the allowed change: name %q, vetting until %v (was %v)", now.Name, now.VettingExpiresOn, was.VettingExpiresOn)
	}
}

func sameInstant(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

// Expired vetting keeps training and guidance, loses case material.
func TestExpiredVetting(t *testing.T) {
	a := apitest.New(t)
	tomorrow := a.Clock.Now().AddDate(0, 0, 1)
	u := a.NewUser(t, apitest.UserSpec{Roles: []string{policies.RoleInvestigator}, Expires: &tomorrow})
	a.Clock.Advance(48 * time.Hour) // the vetting lapses
	u.SignIn(t)
	code, body := me(t, a, u)
	if code != 200 || body["case_material_access"] != false || body["clearance"] != "OFFICIAL" {
		t.Fatalf("me with expired vetting: %d %v", code, body)
	}
	who := actorOfUser(t, a, u)
	subject := policies.Subject{Principal: policies.UserPrincipal(who.UserID), Domain: policies.OrgDomain(who.OrgID), Clearance: who.Clearance, Vetted: who.Vetted}
	ctx := context.Background()
	onTeam := policies.Object{Type: "casefile", Org: policies.OrgDomain(who.OrgID), Classification: policies.Official, Rel: policies.RelTeam}
	if err := a.Authz.Can(ctx, subject, policies.ActRead, onTeam); err == nil {
		t.Error("expired vetting may read a case file on their team")
	}
	guidance := policies.Object{Type: "document", Classification: policies.Official, Rel: policies.RelAudience}
	if err := a.Authz.Can(ctx, subject, policies.ActRead, guidance); err != nil {
		t.Errorf("expired vetting may not read OFFICIAL guidance for them: %v", err)
	}
	course := policies.Object{Type: "course"}
	if err := a.Authz.Can(ctx, subject, policies.ActRead, course); err != nil {
		t.Errorf("expired vetting may not see training: %v", err)
	}
}

func TestAPITokens(t *testing.T) {
	a := apitest.New(t)
	u := a.As(t, policies.RoleOrgAdmin)
	create := func(body string) (int, map[string]any) {
		w := a.API(t, u, "POST", "/api/v1/tokens", body)
		var out map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &out)
		return w.Code, out
	}
	if code, _ := create(`{"name":"too long","scope":"read","expires_in_days":91}`); code != http.StatusUnprocessableEntity {
		t.Errorf("a token for 91 days: %d, want 422", code)
	}
	if code, _ := create(`{"name":"x","scope":"admin","expires_in_days":9}`); code != http.StatusUnprocessableEntity {
		t.Errorf("an unknown scope: %d, want 422", code)
	}
	code, ro := create(`{"name":"reporting","scope":"read","expires_in_days":30}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, ro)
	}
	read := ro["token"].(string)
	_, rw := create(`{"name":"sync","scope":"read-write","expires_in_days":90}`)
	write := rw["token"].(string)

	if w := a.Bearer(t, read, "GET", "/api/v1/users", ""); w.Code != 200 {
		t.Errorf("read token GET: %d", w.Code)
	}
	if w := a.Bearer(t, read, "POST", "/api/v1/users/"+itoa(u.ID)+"/set-password-link", ""); w.Code != http.StatusForbidden {
		t.Errorf("read token POST: %d, want 403", w.Code)
	}
	if w := a.Bearer(t, write, "GET", "/api/v1/me", ""); w.Code != 200 {
		t.Errorf("read-write token: %d", w.Code)
	}
	// Only the hash is stored; the list shows the prefix and when it was last used.
	var stored int64
	a.DB.Gorm().Table("api_tokens").Where("token_hash LIKE ?", "%"+read[len(read)-10:]+"%").Count(&stored)
	if stored != 0 {
		t.Error("the token secret is stored in clear")
	}
	w := a.API(t, u, "GET", "/api/v1/tokens", "")
	if !strings.Contains(w.Body.String(), `"last_used_at"`) || !strings.Contains(w.Body.String(), read[:11]) {
		t.Errorf("token list: %s", w.Body.String())
	}
	// Expiry.
	a.Clock.Advance(31 * 24 * time.Hour)
	if w := a.Bearer(t, read, "GET", "/api/v1/me", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("expired token: %d, want 401", w.Code)
	}
	if w := a.Bearer(t, write, "GET", "/api/v1/me", ""); w.Code != 200 {
		t.Errorf("unexpired token: %d", w.Code)
	}
	// Revocation.
	id := int64(rw["details"].(map[string]any)["id"].(float64))
	if w := a.Bearer(t, write, "DELETE", "/api/v1/tokens/"+itoa(id), ""); w.Code != http.StatusNoContent {
		t.Fatalf("revoke: %d", w.Code)
	}
	if w := a.Bearer(t, write, "GET", "/api/v1/me", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", w.Code)
	}
	if w := a.Bearer(t, "msph_not-a-real-token", "GET", "/api/v1/me", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("made-up token: %d", w.Code)
	}
}

// A revoked role stops working on the very next request: for a token (which survives the change)
// the permission is gone; sessions end outright.
func TestRevokedRoleDeniedOnTheNextRequest(t *testing.T) {
	a := apitest.New(t)
	admin := a.As(t, policies.RoleAdmin)
	oa := a.As(t, policies.RoleOrgAdmin, policies.RoleOfficer)
	secret, _, err := a.Services.Tokens.Create(context.Background(), actorOfUser(t, a, oa), identity.NewToken{Name: "t", Scope: identity.ScopeRead, ExpiresIn: 7})
	if err != nil {
		t.Fatal(err)
	}
	if w := a.Bearer(t, secret, "GET", "/api/v1/users", ""); w.Code != 200 {
		t.Fatalf("org admin lists users: %d", w.Code)
	}
	if w := a.API(t, admin, "PUT", "/api/v1/users/"+itoa(oa.ID)+"/roles", `{"roles":["officer"]}`); w.Code != 200 {
		t.Fatalf("revoke: %d %s", w.Code, w.Body.String())
	}
	if w := a.Bearer(t, secret, "GET", "/api/v1/users", ""); w.Code != http.StatusForbidden {
		t.Errorf("after the role was revoked: %d, want 403", w.Code)
	}
	if code, _ := me(t, a, oa); code != http.StatusUnauthorized {
		t.Errorf("session after a role change: %d, want 401 (sessions end)", code)
	}
	if n := auditCount(t, a, "action = ? AND object_id = ?", "role.revoke", itoa(oa.ID)); n != 1 {
		t.Errorf("%d role.revoke events, want 1", n)
	}
}

// An organisation administrator manages their own organisation only, and never administrators.
func TestOrgAdminStaysInTheirOrganisation(t *testing.T) {
	a := apitest.New(t)
	oa := a.As(t, policies.RoleOrgAdmin)
	colleague := a.NewUser(t, apitest.UserSpec{Roles: []string{policies.RoleOfficer}})
	elsewhere := a.NewUser(t, apitest.UserSpec{Org: "kent-police", Roles: []string{policies.RoleOfficer}})
	admin := a.NewUser(t, apitest.UserSpec{Roles: []string{policies.RoleAdmin}})
	kent := a.Org(t, "kent-police")
	home := a.Org(t, apitest.HomeOrg)

	for _, c := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"see a colleague", "GET", "/api/v1/users/" + itoa(colleague.ID), "", 200},
		{"see someone elsewhere", "GET", "/api/v1/users/" + itoa(elsewhere.ID), "", 404},
		{"change someone elsewhere", "PATCH", "/api/v1/users/" + itoa(elsewhere.ID), `{"name":"X Y","email":"xy@kent.police.uk"}`, 404},
		{"disable someone elsewhere", "POST", "/api/v1/users/" + itoa(elsewhere.ID) + "/disable", "", 404},
		{"add someone elsewhere", "POST", "/api/v1/users", `{"organisation_id":` + itoa(kent) + `,"name":"New Person","email":"new@kent.police.uk","roles":["officer"]}`, 403},
		{"list another organisation", "GET", "/api/v1/users?organisation_id=" + itoa(kent), "", 403},
		{"grant admin", "PUT", "/api/v1/users/" + itoa(colleague.ID) + "/roles", `{"roles":["admin"]}`, 403},
		{"change an administrator", "PUT", "/api/v1/users/" + itoa(admin.ID) + "/roles", `{"roles":["officer"]}`, 403},
		{"add a colleague", "POST", "/api/v1/users", `{"organisation_id":` + itoa(home) + `,"name":"New Colleague","email":"new@dc.police.uk","roles":["investigator"],"vetting_level":"RV","vetting_expires_on":"2030-01-01"}`, 201},
		{"change a colleague's roles", "PUT", "/api/v1/users/" + itoa(colleague.ID) + "/roles", `{"roles":["officer","supervisor"]}`, 200},
		{"change own roles", "PUT", "/api/v1/users/" + itoa(oa.ID) + "/roles", `{"roles":["admin"]}`, 409},
	} {
		if w := a.API(t, oa, c.method, c.path, c.body); w.Code != c.want {
			t.Errorf("org admin may %s? %d, want %d: %s", c.name, w.Code, c.want, w.Body.String())
		}
	}
	// The list holds nobody from elsewhere.
	w := a.API(t, oa, "GET", "/api/v1/users", "")
	if strings.Contains(w.Body.String(), elsewhere.Email) || !strings.Contains(w.Body.String(), colleague.Email) {
		t.Errorf("org admin's user list: %s", w.Body.String())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A token cannot make tokens: only a signed-in browser session that passed its second factor
// can (or the operator CLI). Revoking a token revokes that token alone, and is audited.
func TestTokenCannotCreateTokens(t *testing.T) {
	a := apitest.New(t)
	u := a.As(t, policies.RoleOrgAdmin)
	write, read := u.Token(t, identity.ScopeReadWrite), u.Token(t, identity.ScopeRead)
	other := u.Token(t, identity.ScopeRead)
	for name, token := range map[string]string{"read-write": write, "read": read} {
		w := a.Bearer(t, token, "POST", "/api/v1/tokens", `{"name":"child","scope":"read-write","expires_in_days":90}`)
		if w.Code != http.StatusForbidden {
			t.Errorf("a %s token creates a token: %d, want 403\n%s", name, w.Code, w.Body.String())
		}
	}
	if n := auditCount(t, a, "action = 'token.create' AND details LIKE ?", "%child%"); n != 0 {
		t.Errorf("%d tokens made by tokens", n)
	}
	// The browser session still can.
	apitest.Want(t, a.API(t, u, "POST", "/api/v1/tokens", `{"name":"from the browser","scope":"read","expires_in_days":90}`), "session creates", http.StatusCreated, nil)

	// Revoking the read-write token with itself stops it, and only it, and is audited.
	var list struct {
		Tokens []identity.APIToken `json:"tokens"`
	}
	w := a.API(t, u, "GET", "/api/v1/tokens", "")
	apitest.Want(t, w, "token list", http.StatusOK, &list)
	var writeID int64
	for _, tok := range list.Tokens {
		if strings.HasPrefix(write, tok.Prefix) {
			writeID = tok.ID
		}
	}
	if writeID == 0 {
		t.Fatalf("the read-write token is not listed: %s", w.Body.String())
	}
	apitest.Want(t, a.Bearer(t, write, "DELETE", "/api/v1/tokens/"+itoa(writeID), ""), "revoke", http.StatusNoContent, nil)
	if w := a.Bearer(t, write, "GET", "/api/v1/me", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", w.Code)
	}
	for _, token := range []string{read, other} {
		if w := a.Bearer(t, token, "GET", "/api/v1/me", ""); w.Code != http.StatusOK {
			t.Errorf("another token after the revocation: %d, want 200", w.Code)
		}
	}
	if n := auditCount(t, a, "action = 'token.revoke' AND object_id = ?", strconv.FormatInt(writeID, 10)); n != 1 {
		t.Errorf("revocation audited %d times, want 1", n)
	}
}

// A session that has not passed its second factor cannot create a token.
func TestTokenNeedsSecondFactor(t *testing.T) {
	a := apitest.New(t)
	u := a.As(t, policies.RoleOrgAdmin)
	who := u.Actor(t)
	who.MFAPassed = false
	if _, _, err := a.Services.Tokens.Create(context.Background(), who, identity.NewToken{Name: "x", Scope: identity.ScopeRead, ExpiresIn: 1}); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("a session without its second factor creates a token: %v", err)
	}
}

// A throttled sign-in answers 429 with Retry-After: the whole seconds to wait.
func TestThrottledSignInSaysRetryAfter(t *testing.T) {
	a := apitest.New(t)
	u := a.As(t, policies.RoleOfficer)
	attempt := func(password string) *httptest.ResponseRecorder {
		b := a.Browser()
		b.Get(t, "/sign-in")
		return b.Submit(t, "/sign-in", url.Values{"email": {u.Email}, "password": {password}})
	}
	for i := 0; i < 4; i++ {
		attempt("wrong password entirely")
	}
	w := attempt(u.Password)
	secs, err := strconv.Atoi(w.Header().Get("Retry-After"))
	if w.Code != http.StatusTooManyRequests || err != nil || secs < 1 || secs > 60 {
		t.Errorf("throttled sign-in: %d, Retry-After %q; want 429 and 1 to 60 seconds", w.Code, w.Header().Get("Retry-After"))
	}
	for i := 0; i < 6; i++ {
		a.Clock.Advance(time.Minute)
		attempt("still wrong")
	}
	w = attempt(u.Password)
	secs, err = strconv.Atoi(w.Header().Get("Retry-After"))
	if w.Code != http.StatusTooManyRequests || err != nil || secs < 60 || secs > 15*60+1 {
		t.Errorf("locked sign-in: %d, Retry-After %q; want 429 and up to 15 minutes", w.Code, w.Header().Get("Retry-After"))
	}
}

// The Organisations page shows each organisation's slug beside its name (what `msphub admin
// create-user --org` takes), with the table in a region that scrolls sideways on a narrow screen.
func TestOrganisationsPageShowsSlugs(t *testing.T) {
	a := apitest.New(t)
	admin := a.As(t, policies.RoleAdmin)
	w := admin.Browser().Get(t, "/organisations")
	if w.Code != http.StatusOK {
		t.Fatalf("organisations page: %d", w.Code)
	}
	body := w.Body.String()
	if !strings.Contains(body, `<th scope="col" class="govuk-table__header">Slug</th>`) {
		t.Error("the organisations table has no Slug column")
	}
	for name, slug := range map[string]string{"Kent Police": "kent-police", "Devon and Cornwall Police": "devon-and-cornwall-police"} {
		row := regexp.MustCompile(`<td class="govuk-table__cell">` + regexp.QuoteMeta(name) + `</td>\s*<td class="govuk-table__cell"><code class="app-slug">` + regexp.QuoteMeta(slug) + `</code></td>`)
		if !row.MatchString(body) {
			t.Errorf("the row of %s does not show the slug %s", name, slug)
		}
	}
	if !regexp.MustCompile(`<div class="app-table-scroll" role="region" aria-label="Organisations" tabindex="0">\s*<table class="govuk-table">`).MatchString(body) {
		t.Error("the organisations table is not in a scrolling region")
	}
}

// Someone whose roles need a second factor and who has none is sent to set one up with an
// important notice, not a green "success" banner: nothing has succeeded yet.
func TestSecondFactorNeededIsNotShownAsSuccess(t *testing.T) {
	a := apitest.New(t)
	exp := a.Clock.Now().AddDate(1, 0, 0)
	uv, _, err := a.Services.Operator.CreateUser(context.Background(), identity.UserInput{OrganisationID: a.Org(t, apitest.HomeOrg),
		Email: "needs.mfa@example.police.uk", Name: "Needs Factor", Roles: []string{policies.RoleSupervisor},
		VettingLevel: core.VettingRV, VettingExpiresOn: &exp}, apitest.Password)
	if err != nil || !uv.MFARequired {
		t.Fatalf("create user: %v (second factor required %t)", err, uv.MFARequired)
	}
	b := a.Browser()
	b.Get(t, "/sign-in")
	w := b.Submit(t, "/sign-in", url.Values{"email": {uv.Email}, "password": {apitest.Password}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account/mfa" {
		t.Fatalf("sign in: %d to %q", w.Code, w.Header().Get("Location"))
	}
	page := b.Get(t, "/account/mfa").Body.String()
	i := strings.Index(page, "Your roles need a second factor")
	if i < 0 {
		t.Fatalf("the page does not say a second factor is needed:\n%s", page)
	}
	head := strings.LastIndex(page[:i], `<div class="govuk-notification-banner__header`)
	if head < 0 {
		t.Fatalf("the notice is not in a notification banner:\n%s", page)
	}
	banner := page[strings.LastIndex(page[:head], "<div"):i]
	if strings.Contains(banner, "govuk-notification-banner--success") || strings.Contains(banner, "Success") {
		t.Errorf("a second factor is needed, shown as a success:\n%s", banner)
	}
}
