package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/api/apitest/oidctest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/policies"
)

// Single sign-on is tested against a real OpenID provider on a loopback port (oidctest: real
// HTTP, real RS256 signatures, PKCE checked), with MSP Hub's public URL http://msphub.test.
const (
	ssoClientID = "msphub-kent"
	ssoSecret   = "kent client secret 7f3a9c"
	ssoRedirect = "http://msphub.test" + identity.OIDCCallbackPath
	ssoSlug     = "kent-police"
)

// sso is MSP Hub with Kent Police signing in through its provider: groups msp-investigators,
// msp-supervisors and msp-officers give those roles.
type sso struct {
	a     *apitest.App
	op    *oidctest.Provider
	admin *apitest.User
	org   int64
}

func newSSO(t *testing.T) *sso {
	t.Helper()
	a := apitest.New(t)
	s := &sso{a: a, op: oidctest.New(t, ssoClientID, ssoSecret, ssoRedirect, a.Clock.Now), admin: a.As(t, policies.RoleAdmin), org: a.Org(t, ssoSlug)}
	s.configure(t, true, ssoSecret)
	return s
}

// configure saves Kent's settings through the API as the administrator.
func (s *sso) configure(t *testing.T, enabled bool, secret string) map[string]any {
	t.Helper()
	body := fmt.Sprintf(`{"enabled":%t,"issuer_url":%q,"client_id":%q,"client_secret":%q,"scopes":["email","profile","groups"],
		"role_claim":"groups","role_mappings":{"investigator":["msp-investigators"],"supervisor":["msp-supervisors"],"officer":["msp-officers"]}}`,
		enabled, s.op.URL, ssoClientID, secret)
	w := s.a.API(t, s.admin, "PUT", "/api/v1/organisations/"+itoa(s.org)+"/oidc", body)
	if w.Code != http.StatusOK {
		t.Fatalf("configure single sign-on: %d %s", w.Code, w.Body.String())
	}
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// authorize takes a browser from its organisation's sign-in address to the provider, which signs the
// person in; it returns the callback address the provider sends the browser back to, without
// following it.
func (s *sso) authorize(t *testing.T, b *apitest.Browser, next string) string {
	t.Helper()
	start := "/sign-in/oidc/" + ssoSlug
	if next != "" {
		start += "?next=" + url.QueryEscape(next)
	}
	w := b.Get(t, start)
	for range 3 {
		if w.Code != http.StatusSeeOther {
			t.Fatalf("on the way to the provider: %d\n%s", w.Code, w.Body.String())
		}
		loc := w.Header().Get("Location")
		if strings.HasPrefix(loc, s.op.URL+"/") {
			return s.provider(t, loc)
		}
		w = b.Get(t, loc)
	}
	t.Fatal("never reached the provider")
	return ""
}

// provider loads an address of the provider as the browser would, and returns the MSP Hub
// address it redirects to (the callback).
func (s *sso) provider(t *testing.T, addr string) string {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(addr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, ssoRedirect+"?") {
		t.Fatalf("the provider answered %d, Location %q", resp.StatusCode, loc)
	}
	u, _ := url.Parse(loc)
	return u.RequestURI()
}

// follow loads path in b and follows MSP Hub's redirects; it returns the last response and
// the path it came from.
func follow(t *testing.T, b *apitest.Browser, path string) (*httptest.ResponseRecorder, string) {
	t.Helper()
	w := b.Get(t, path)
	for i := 0; w.Code == http.StatusSeeOther && i < 5; i++ {
		path = w.Header().Get("Location")
		w = b.Get(t, path)
	}
	return w, path
}

// signIn is the whole journey in a browser without JavaScript: choose Kent, sign in at the
// provider, come back. It returns the last page, where it is, and the callback address used.
func (s *sso) signIn(t *testing.T, b *apitest.Browser, next string) (*httptest.ResponseRecorder, string, string) {
	t.Helper()
	cb := s.authorize(t, b, next)
	w, at := follow(t, b, cb)
	return w, at, cb
}

// me is what /api/v1/me says of the browser's session (401 when it has none).
func (s *sso) me(t *testing.T, b *apitest.Browser) (int, map[string]any) {
	t.Helper()
	w := b.Get(t, "/api/v1/me")
	var body map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	return w.Code, body
}

func roleList(body map[string]any) []string {
	var out []string
	for _, r := range body["roles"].([]any) {
		out = append(out, r.(string))
	}
	return out
}

// lastSignIn is the details of the newest sign-in audit event.
func lastSignIn(t *testing.T, a *apitest.App) (outcome string, details map[string]string) {
	t.Helper()
	var row struct{ Outcome, Details string }
	if err := a.DB.Gorm().Table("audit_events").Select("outcome, details").Where("action = ?", "auth.sign_in").Order("id DESC").Limit(1).Scan(&row).Error; err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal([]byte(row.Details), &details)
	return row.Outcome, details
}

func userIDByEmail(t *testing.T, a *apitest.App, email string) int64 {
	t.Helper()
	var id int64
	if err := a.DB.Gorm().Table("users").Select("id").Where("email = ?", email).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

var jo = oidctest.Person{Subject: "kent-0042", Email: "Jo.Bloggs@kent.police.uk", Name: "Jo Bloggs",
	Groups: []string{"msp-investigators", "canteen-rota"}, AMR: []string{"pwd", "mfa"}}

// A person of Kent signs in through the provider: the sign-in page offers it, the flow uses
// PKCE (S256), a state and a nonce, and they arrive where they were going, with an account
// created in Kent holding the role their group gives and a session that needs no second factor
// from MSP Hub, though an investigator's role demands one of password users.
func TestOIDCSignInCreatesTheUserWithMappedRoles(t *testing.T) {
	s := newSSO(t)
	s.op.SignIn(&jo)
	b := s.a.Browser()
	if body := b.Get(t, "/sign-in?next=/account").Body.String(); !strings.Contains(body, `href="/sign-in/oidc?next=%2faccount"`) {
		t.Fatalf("the sign-in page does not offer single sign-on:\n%s", body)
	}
	w := b.Get(t, "/sign-in/oidc?next=/account")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `<a class="govuk-link" href="/sign-in/oidc/kent-police?next=%2Faccount">Kent Police</a>`) {
		t.Fatalf("the organisation chooser: %d\n%s", w.Code, w.Body.String())
	}
	if strings.Contains(w.Body.String(), "Essex Police") {
		t.Error("the chooser offers an organisation without single sign-on")
	}

	w, at, _ := s.signIn(t, b, "/account")
	if w.Code != http.StatusOK || at != "/account" {
		t.Fatalf("after signing in: %d at %s\n%s", w.Code, at, w.Body.String())
	}
	auth := s.op.LastAuthorization()
	if auth.Get("code_challenge_method") != "S256" || len(auth.Get("code_challenge")) != 43 || auth.Get("nonce") == "" || auth.Get("state") == "" {
		t.Errorf("authorization request: %v", auth)
	}
	if got := strings.Fields(auth.Get("scope")); !slices.Equal(got, []string{"openid", "email", "profile", "groups"}) {
		t.Errorf("scopes asked for: %v", got)
	}
	code, me := s.me(t, b)
	if code != http.StatusOK {
		t.Fatalf("/api/v1/me: %d", code)
	}
	if me["email"] != "jo.bloggs@kent.police.uk" || me["name"] != "Jo Bloggs" || int64(me["organisation_id"].(float64)) != s.org ||
		!slices.Equal(roleList(me), []string{policies.RoleInvestigator}) || me["mfa_enrolled"] != false {
		t.Errorf("the new user: %v", me)
	}
	if me["vetting_level"] != string(core.VettingNone) || me["case_material_access"] != false {
		t.Errorf("a new user's vetting is for an administrator to record: %v", me)
	}
	id := userIDByEmail(t, s.a, "jo.bloggs@kent.police.uk")
	if n := auditCount(t, s.a, "action = ? AND object_id = ? AND details LIKE ?", "user.create", itoa(id), "%single sign-on%"); n != 1 {
		t.Errorf("user.create audited %d times", n)
	}
	if n := auditCount(t, s.a, "action = ? AND object_id = ? AND details LIKE ?", "role.grant", itoa(id), "%investigator%"); n != 1 {
		t.Errorf("role.grant audited %d times", n)
	}
	if n := auditCount(t, s.a, "action = ? AND object_id = ?", "oidc.link", itoa(id)); n != 1 {
		t.Errorf("oidc.link audited %d times", n)
	}
	outcome, details := lastSignIn(t, s.a)
	if outcome != core.OutcomeSuccess || details["method"] != "oidc" || details["amr"] != "pwd mfa" || details["roles"] != "investigator" {
		t.Errorf("sign-in audited as %s %v", outcome, details)
	}
	var method string
	s.a.DB.Gorm().Table("sessions").Select("sign_in_method").Where("user_id = ?", id).Scan(&method)
	if method != identity.SignInOIDC {
		t.Errorf("session sign_in_method %q", method)
	}
	// Signing in again finds the same account.
	again := s.a.Browser()
	if w, at, _ := s.signIn(t, again, ""); w.Code != http.StatusOK || at != "/" {
		t.Fatalf("second sign-in: %d at %s", w.Code, at)
	}
	if _, me := s.me(t, again); int64(me["id"].(float64)) != id {
		t.Errorf("second sign-in is user %v, want %d", me["id"], id)
	}
}

// A token that is forged, addressed to another client, expired, made for another sign-in or
// issued by another provider is refused: the person sees what to do, no session starts, no
// account is made, and the attempt is audited with the reason.
func TestOIDCRefusesBadIDTokens(t *testing.T) {
	s := newSSO(t)
	s.op.SignIn(&jo)
	for _, c := range []struct {
		name   string
		fault  oidctest.Fault
		reason string
	}{
		{"bad signature", oidctest.BadSignature, "ID token signature invalid"},
		{"wrong audience", oidctest.WrongAudience, "ID token for another audience"},
		{"expired", oidctest.Expired, "ID token expired"},
		{"wrong nonce", oidctest.WrongNonce, "nonce mismatch"},
		{"wrong issuer", oidctest.WrongIssuer, "ID token from another issuer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s.op.Misbehave(c.fault)
			b := s.a.Browser()
			w, _, _ := s.signIn(t, b, "")
			if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "did not confirm who you are") {
				t.Fatalf("%d\n%s", w.Code, w.Body.String())
			}
			if b.Cookies["msphub_session"] != "" {
				t.Error("a session cookie was set")
			}
			if code, _ := s.me(t, b); code != http.StatusUnauthorized {
				t.Errorf("/api/v1/me: %d", code)
			}
			if id := userIDByEmail(t, s.a, "jo.bloggs@kent.police.uk"); id != 0 {
				t.Errorf("user %d was created", id)
			}
			if outcome, details := lastSignIn(t, s.a); outcome != core.OutcomeFailure || details["reason"] != c.reason || details["method"] != "oidc" {
				t.Errorf("audited as %s %v, want reason %q", outcome, details, c.reason)
			}
		})
	}
	s.op.Misbehave(oidctest.NoFault)
	t.Run("the provider refuses", func(t *testing.T) {
		s.op.SignIn(nil)
		b := s.a.Browser()
		w, _, _ := s.signIn(t, b, "")
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "did not sign you in") || b.Cookies["msphub_session"] != "" {
			t.Fatalf("%d\n%s", w.Code, w.Body.String())
		}
		if _, details := lastSignIn(t, s.a); details["reason"] != "provider error: access_denied" {
			t.Errorf("audited reason %q", details["reason"])
		}
	})
	t.Run("email not verified", func(t *testing.T) {
		unverified, no := jo, false
		unverified.EmailVerified = &no
		s.op.SignIn(&unverified)
		b := s.a.Browser()
		w, _, _ := s.signIn(t, b, "")
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "verified email address") || b.Cookies["msphub_session"] != "" {
			t.Fatalf("%d\n%s", w.Code, w.Body.String())
		}
	})
}

// The state of a sign-in works once, in the browser that began it, for ten minutes: a replayed
// callback, one delivered to another browser, and one that comes too late are each refused
// without a session, and a replay never reaches the provider.
func TestOIDCStateIsSingleUseAndBoundToTheBrowser(t *testing.T) {
	s := newSSO(t)
	s.op.SignIn(&jo)
	b := s.a.Browser()
	w, _, cb := s.signIn(t, b, "")
	if w.Code != http.StatusOK {
		t.Fatalf("sign in: %d", w.Code)
	}
	stale := func(t *testing.T, b *apitest.Browser, cb, reason string) {
		t.Helper()
		before := b.Cookies["msphub_session"]
		w := b.Get(t, cb)
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "expired or was already used") {
			t.Fatalf("%d\n%s", w.Code, w.Body.String())
		}
		if b.Cookies["msphub_session"] != before {
			t.Error("the session cookie changed")
		}
		if _, details := lastSignIn(t, s.a); details["reason"] != reason {
			t.Errorf("audited reason %q, want %q", details["reason"], reason)
		}
	}
	t.Run("replayed in the same browser", func(t *testing.T) {
		stale(t, b, cb, "state already used")
	})
	t.Run("replayed in another browser with the binding cookie", func(t *testing.T) {
		thief := s.a.Browser()
		thief.Cookies["msphub_oidc"] = b.Cookies["msphub_oidc"]
		stale(t, thief, cb, "state already used")
		if thief.Cookies["msphub_session"] != "" {
			t.Error("the replay started a session")
		}
	})
	if n := s.op.TokensIssued(); n != 1 {
		t.Errorf("the provider issued tokens %d times, want once", n)
	}
	if q, _ := url.ParseQuery(strings.SplitN(cb, "?", 2)[1]); strings.Contains(s.a.Logs.String(), q.Get("code")) || strings.Contains(s.a.Logs.String(), q.Get("state")) {
		t.Error("the code or the state is in the log")
	}
	t.Run("delivered to another browser", func(t *testing.T) {
		cb := s.authorize(t, s.a.Browser(), "")
		other := s.a.Browser()
		stale(t, other, cb, "state begun in another browser")
	})
	t.Run("too late", func(t *testing.T) {
		b := s.a.Browser()
		cb := s.authorize(t, b, "")
		s.a.Clock.Advance(11 * time.Minute)
		stale(t, b, cb, "state expired")
	})
	t.Run("made up", func(t *testing.T) {
		stale(t, s.a.Browser(), identity.OIDCCallbackPath+"?state=forged&code=forged", "unknown state")
	})
}

// A disabled account cannot sign in through the provider, nor can anyone of a deactivated
// organisation or of one whose single sign-on is turned off; turning it off also ends the
// sessions begun through it.
func TestOIDCRefusesDisabledAccountsAndOrganisations(t *testing.T) {
	s := newSSO(t)
	s.op.SignIn(&jo)
	b := s.a.Browser()
	if w, _, _ := s.signIn(t, b, ""); w.Code != http.StatusOK {
		t.Fatalf("first sign-in: %d", w.Code)
	}
	id := userIDByEmail(t, s.a, "jo.bloggs@kent.police.uk")
	refused := func(t *testing.T, b *apitest.Browser, cb string, status int, says, reason string) {
		t.Helper()
		w, _ := follow(t, b, cb)
		if w.Code != status || !strings.Contains(w.Body.String(), says) || b.Cookies["msphub_session"] != "" {
			t.Fatalf("%d (session %v)\n%s", w.Code, b.Cookies["msphub_session"] != "", w.Body.String())
		}
		if _, details := lastSignIn(t, s.a); details["reason"] != reason {
			t.Errorf("audited reason %q, want %q", details["reason"], reason)
		}
	}

	t.Run("disabled account", func(t *testing.T) {
		if w := s.a.API(t, s.admin, "POST", "/api/v1/users/"+itoa(id)+"/disable", ""); w.Code != http.StatusOK {
			t.Fatalf("disable: %d", w.Code)
		}
		if code, _ := s.me(t, b); code != http.StatusUnauthorized {
			t.Errorf("the disabled user's session still works: %d", code)
		}
		b := s.a.Browser()
		refused(t, b, s.authorize(t, b, ""), http.StatusForbidden, "cannot be used to sign in", "account disabled")
		if w := s.a.API(t, s.admin, "POST", "/api/v1/users/"+itoa(id)+"/enable", ""); w.Code != http.StatusOK {
			t.Fatalf("enable: %d", w.Code)
		}
	})

	t.Run("organisation deactivated", func(t *testing.T) {
		b := s.a.Browser()
		cb := s.authorize(t, b, "")
		if _, err := s.a.Services.Organisations.SetActive(context.Background(), s.admin.Actor(t), s.org, false); err != nil {
			t.Fatal(err)
		}
		refused(t, b, cb, http.StatusForbidden, "cannot be used to sign in", "organisation deactivated")
		if w := b.Get(t, "/sign-in/oidc/"+ssoSlug); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "Single sign-on is not available") {
			t.Errorf("beginning at a deactivated organisation: %d", w.Code)
		}
		if _, err := s.a.Services.Organisations.SetActive(context.Background(), s.admin.Actor(t), s.org, true); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("single sign-on turned off", func(t *testing.T) {
		b := s.a.Browser()
		if w, _, _ := s.signIn(t, b, ""); w.Code != http.StatusOK {
			t.Fatalf("sign in: %d", w.Code)
		}
		late := s.a.Browser()
		cb := s.authorize(t, late, "")
		s.configure(t, false, "")
		if code, _ := s.me(t, b); code != http.StatusUnauthorized {
			t.Errorf("a session begun through the provider outlived turning it off: %d", code)
		}
		refused(t, late, cb, http.StatusNotFound, "Single sign-on is not set up", "single sign-on turned off")
		if w := late.Get(t, "/sign-in/oidc/"+ssoSlug); w.Code != http.StatusNotFound {
			t.Errorf("beginning with single sign-on off: %d", w.Code)
		}
		if strings.Contains(late.Get(t, "/sign-in/oidc").Body.String(), "Kent Police") {
			t.Error("the chooser still offers Kent")
		}
	})
}

// At every sign-in the roles the mappings name follow the groups claim; a role granted in MSP
// Hub that no mapping names stays.
func TestOIDCSyncsRolesAtEachSignIn(t *testing.T) {
	s := newSSO(t)
	s.op.SignIn(&jo)
	signIn := func(groups ...string) []string {
		t.Helper()
		p := jo
		p.Groups = groups
		s.op.SignIn(&p)
		b := s.a.Browser()
		if w, _, _ := s.signIn(t, b, ""); w.Code != http.StatusOK {
			t.Fatalf("sign in with %v: %d", groups, w.Code)
		}
		_, me := s.me(t, b)
		return roleList(me)
	}
	if got := signIn("msp-investigators"); !slices.Equal(got, []string{"investigator"}) {
		t.Fatalf("first sign-in roles %v", got)
	}
	id := userIDByEmail(t, s.a, "jo.bloggs@kent.police.uk")
	if w := s.a.API(t, s.admin, "PUT", "/api/v1/users/"+itoa(id)+"/roles", `{"roles":["investigator","trainer"]}`); w.Code != http.StatusOK {
		t.Fatalf("grant trainer: %d %s", w.Code, w.Body.String())
	}
	if got := signIn("msp-supervisors", "msp-officers"); !slices.Equal(got, []string{"officer", "supervisor", "trainer"}) {
		t.Errorf("after the groups changed: %v", got)
	}
	if n := auditCount(t, s.a, "action = ? AND object_id = ? AND details LIKE ? AND details LIKE ?", "role.revoke", itoa(id), "%investigator%", "%single sign-on%"); n != 1 {
		t.Errorf("revoking investigator audited %d times", n)
	}
	if got := signIn("canteen-rota"); !slices.Equal(got, []string{"trainer"}) {
		t.Errorf("with no mapped group: %v", got)
	}
}

// Someone who already has an account in the organisation is linked to it by email address the
// first time, and found by their subject after that even when their address changes. When the
// organisation moves to another provider, the new identity replaces the old link; a second
// identity at the same provider cannot take an account over, and an address that belongs to
// another organisation's account is refused.
func TestOIDCLinksExistingAccounts(t *testing.T) {
	s := newSSO(t)
	local := s.a.NewUser(t, apitest.UserSpec{Org: ssoSlug, Roles: []string{policies.RoleTrainer}})
	p := oidctest.Person{Subject: "kent-0099", Email: local.Email, Name: local.Name, Groups: []string{"msp-officers"}}
	s.op.SignIn(&p)
	b := s.a.Browser()
	if w, _, _ := s.signIn(t, b, ""); w.Code != http.StatusOK {
		t.Fatalf("sign in: %d", w.Code)
	}
	_, me := s.me(t, b)
	if int64(me["id"].(float64)) != local.ID || !slices.Equal(roleList(me), []string{"officer", "trainer"}) {
		t.Errorf("linked as %v", me)
	}
	p.Email, p.Name = "new.address@kent.police.uk", "Renamed Person"
	s.op.SignIn(&p)
	b = s.a.Browser()
	if w, _, _ := s.signIn(t, b, ""); w.Code != http.StatusOK {
		t.Fatalf("sign in after the address changed: %d", w.Code)
	}
	if _, me := s.me(t, b); int64(me["id"].(float64)) != local.ID || me["email"] != "new.address@kent.police.uk" || me["name"] != "Renamed Person" {
		t.Errorf("after the address changed: %v", me)
	}

	// Kent moves to a new provider: the account is linked to its identity there by address.
	s.op = oidctest.New(t, ssoClientID, ssoSecret, ssoRedirect, s.a.Clock.Now)
	s.configure(t, true, "")
	s.op.SignIn(&oidctest.Person{Subject: "new-idp-0001", Email: p.Email, Name: p.Name, Groups: []string{"msp-officers"}})
	b = s.a.Browser()
	if w, _, _ := s.signIn(t, b, ""); w.Code != http.StatusOK {
		t.Fatalf("sign in at the new provider: %d", w.Code)
	}
	if _, me := s.me(t, b); int64(me["id"].(float64)) != local.ID {
		t.Errorf("at the new provider: %v", me)
	}
	if n := auditCount(t, s.a, "action = ? AND object_id = ? AND details LIKE ?", "oidc.link", itoa(local.ID), "%replaces%"); n != 1 {
		t.Errorf("the replaced link was audited %d times", n)
	}
	// Another subject at the same provider cannot take the account over.
	s.op.SignIn(&oidctest.Person{Subject: "new-idp-0002", Email: p.Email, Name: p.Name})
	b = s.a.Browser()
	if w, _, _ := s.signIn(t, b, ""); w.Code != http.StatusForbidden || b.Cookies["msphub_session"] != "" {
		t.Fatalf("a second identity for one account: %d", w.Code)
	}
	if _, details := lastSignIn(t, s.a); details["reason"] != "account already linked to another identity" {
		t.Errorf("audited reason %q", details["reason"])
	}

	devon := s.a.NewUser(t, apitest.UserSpec{Roles: []string{policies.RoleOfficer}})
	s.op.SignIn(&oidctest.Person{Subject: "kent-0100", Email: devon.Email, Name: "Someone Else"})
	b = s.a.Browser()
	w, _, _ := s.signIn(t, b, "")
	if w.Code != http.StatusForbidden || b.Cookies["msphub_session"] != "" {
		t.Fatalf("another organisation's address: %d", w.Code)
	}
	if _, details := lastSignIn(t, s.a); details["reason"] != "email address belongs to an account in another organisation" {
		t.Errorf("audited reason %q", details["reason"])
	}
}

// The settings, by API and page: only what is valid is saved, the secret is sealed and never
// shown or logged, an empty secret keeps the stored one, and every change is audited.
func TestOIDCSettings(t *testing.T) {
	s := newSSO(t)
	essex := s.a.Org(t, "essex-police")
	path := "/api/v1/organisations/" + itoa(essex) + "/oidc"
	w := s.a.API(t, s.admin, "GET", path, "")
	var got identity.OIDCSettings
	_ = json.Unmarshal(w.Body.Bytes(), &got)
	if w.Code != http.StatusOK || got.Configured || got.RedirectURI != ssoRedirect || got.SignInURL != "http://msphub.test/sign-in/oidc/essex-police" {
		t.Fatalf("before set-up: %d %+v", w.Code, got)
	}
	const essexSecret = "essex secret d41d8cd98f"
	valid := map[string]any{"enabled": true, "issuer_url": s.op.URL, "client_id": "msphub-essex", "client_secret": essexSecret}
	with := func(k string, v any) string {
		m := map[string]any{}
		for k, v := range valid {
			m[k] = v
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	for _, c := range []struct{ name, body, field string }{
		{"issuer not https", with("issuer_url", "http://login.essex.example.police.uk"), "issuer_url"},
		{"issuer with a query", with("issuer_url", "https://login.example.police.uk/?x=1"), "issuer_url"},
		{"issuer not answering", with("issuer_url", "http://127.0.0.1:1"), "issuer_url"},
		{"no client ID", with("client_id", nil), "client_id"},
		{"no secret", with("client_secret", nil), "client_secret"},
		{"bad scope", with("scopes", []string{`"quoted"`}), "scopes"},
		{"administrator from a claim", with("role_mappings", map[string][]string{"admin": {"msp-admins"}}), "role_mappings.admin"},
		{"unknown role", with("role_mappings", map[string][]string{"chief": {"x"}}), "role_mappings.chief"},
		{"mappings without a role claim", with("role_mappings", map[string][]string{"officer": {"x"}}), "role_claim"},
		{"bad claim name", with("email_claim", "e mail"), "email_claim"},
	} {
		w := s.a.API(t, s.admin, "PUT", path, c.body)
		var p struct{ Field string }
		_ = json.Unmarshal(w.Body.Bytes(), &p)
		if w.Code != http.StatusUnprocessableEntity || p.Field != c.field {
			t.Errorf("%s: %d field %q, want 422 %q: %s", c.name, w.Code, p.Field, c.field, w.Body.String())
		}
	}
	// Every problem at once.
	w = s.a.API(t, s.admin, "PUT", path, `{"enabled":true,"scopes":["\"quoted\""],"email_claim":"e mail"}`)
	var all struct{ Errors []struct{ Field string } }
	_ = json.Unmarshal(w.Body.Bytes(), &all)
	var fields []string
	for _, e := range all.Errors {
		fields = append(fields, e.Field)
	}
	if w.Code != http.StatusUnprocessableEntity || strings.Join(fields, ",") != "issuer_url,client_id,client_secret,email_claim,scopes" {
		t.Errorf("settings with five problems: %d, errors at %v", w.Code, fields)
	}
	if n := auditCount(t, s.a, "action = ? AND object_id = ?", "oidc.update", itoa(essex)); n != 0 {
		t.Errorf("refused changes were audited as made: %d", n)
	}

	w = s.a.API(t, s.admin, "PUT", path, with("role_claim", "groups"))
	_ = json.Unmarshal(w.Body.Bytes(), &got)
	if w.Code != http.StatusOK || !got.Configured || !got.ClientSecretSet || !slices.Equal(got.Scopes, []string{"openid"}) || got.EmailClaim != "email" {
		t.Fatalf("save: %d %s", w.Code, w.Body.String())
	}
	w = s.a.API(t, s.admin, "PUT", path, with("client_secret", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("save without the secret: %d %s", w.Code, w.Body.String())
	}
	var sealed string
	s.a.DB.Gorm().Table("oidc_configs").Select("client_secret").Where("organisation_id = ?", essex).Scan(&sealed)
	if sealed == "" || strings.Contains(sealed, essexSecret) {
		t.Errorf("stored secret %q is not sealed", sealed)
	}
	if n := auditCount(t, s.a, "action = ? AND object_id = ? AND details LIKE ?", "oidc.update", itoa(essex), `%"client_secret":"changed"%`); n != 1 {
		t.Errorf("secret change audited %d times", n)
	}
	if n := auditCount(t, s.a, "action = ? AND object_id = ? AND details LIKE ?", "oidc.update", itoa(essex), `%"client_secret":"kept"%`); n != 1 {
		t.Errorf("secret kept audited %d times", n)
	}

	// The settings page, as a browser without JavaScript.
	b := s.admin.Browser()
	page := "/organisations/" + itoa(essex) + "/single-sign-on"
	body := b.Get(t, page).Body.String()
	if !strings.Contains(body, ssoRedirect) || !strings.Contains(body, "A secret is stored") || !strings.Contains(body, `value="msphub-essex"`) {
		t.Errorf("settings page:\n%s", body)
	}
	if list := b.Get(t, "/organisations").Body.String(); !strings.Contains(list, `href="`+page+`"`) {
		t.Error("the organisations page does not link to the settings")
	}
	form := url.Values{"enabled": {"yes"}, "issuer_url": {s.op.URL}, "client_id": {"msphub-essex"}, "scopes": {"openid email"},
		"email_claim": {"email"}, "role_claim": {""}, "role-investigator": {"essex-investigators"}}
	if w := b.Submit(t, page, form); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `href="#role_claim"`) {
		t.Errorf("mappings without a claim: %d", w.Code)
	}
	form.Set("role_claim", "groups")
	form.Set("role-investigator", "essex-investigators\nCN=MSP Investigators,OU=Groups,DC=essex\n")
	if w := b.Submit(t, page, form); w.Code != http.StatusSeeOther || w.Header().Get("Location") != page {
		t.Fatalf("save from the page: %d %s", w.Code, w.Body.String())
	}
	if body := b.Get(t, page).Body.String(); !strings.Contains(body, "The single sign-on settings are saved.") || !strings.Contains(body, "CN=MSP Investigators,OU=Groups,DC=essex") {
		t.Errorf("after saving:\n%s", body)
	}
	w = s.a.API(t, s.admin, "GET", path, "")
	_ = json.Unmarshal(w.Body.Bytes(), &got)
	if !slices.Equal(got.RoleMappings["investigator"], []string{"CN=MSP Investigators,OU=Groups,DC=essex", "essex-investigators"}) || !got.ClientSecretSet {
		t.Errorf("saved from the page: %+v", got)
	}

	for _, where := range []string{s.a.Logs.String(), w.Body.String(), body} {
		if strings.Contains(where, essexSecret) || strings.Contains(where, ssoSecret) {
			t.Error("a client secret was shown or logged")
		}
	}
	var details []string
	s.a.DB.Gorm().Table("audit_events").Where("action = ?", "oidc.update").Pluck("details", &details)
	if strings.Contains(strings.Join(details, " "), essexSecret) {
		t.Error("a client secret is in the audit log")
	}
}

// The sign-in page offers "Sign in with your organisation" only while some organisation has
// single sign-on turned on, both on the form and when the form comes back with an error.
func TestSignInOffersSingleSignOnOnlyWhenSomeOrganisationHasIt(t *testing.T) {
	s := newSSO(t)
	link := `href="/sign-in/oidc`
	offered := func() (bool, bool) {
		b := s.a.Browser()
		form := b.Get(t, "/sign-in").Body.String()
		failed := b.Submit(t, "/sign-in", url.Values{"email": {"nobody@example.police.uk"}, "password": {"wrong password 123"}}).Body.String()
		return strings.Contains(form, link), strings.Contains(failed, link)
	}
	if form, failed := offered(); !form || !failed {
		t.Errorf("with Kent's single sign-on on: offered on the form %t, after an error %t", form, failed)
	}
	s.configure(t, false, ssoSecret)
	if form, failed := offered(); form || failed {
		t.Errorf("with no single sign-on: offered on the form %t, after an error %t", form, failed)
	}
}
