//go:build browser

// Browser test of single sign-on: an administrator sets up an organisation's OpenID provider on
// its settings page, and a person of that organisation signs in through the provider (the
// minimal real provider of api/apitest/oidctest, on a loopback port). It runs with the page's
// JavaScript on and off; every page is checked as the identity journeys check theirs, axe-core
// included.
package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/msptp/msphub/api/apitest/oidctest"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/policies"
)

// newSSOSite serves MSP Hub with its public URL set to where it listens, so the redirect URI it
// gives the provider leads back to it, beside a provider that knows MSP Hub as client "msphub".
func newSSOSite(t *testing.T, secret string) (*identitySite, *oidctest.Provider) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	vars := backendEnv(t)
	vars["MSPHUB_PUBLIC_URL"] = base
	a := buildApp(t, vars)
	srv := httptest.NewUnstartedServer(a.engine)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return &identitySite{base: base, app: a}, oidctest.New(t, "msphub", secret, base+identity.OIDCCallbackPath, time.Now)
}

func TestBrowserOIDCSettingsAndSignIn(t *testing.T) {
	eachMode(t, func(t *testing.T, js bool) {
		const secret = "browser test client secret 5e1f"
		s, op := newSSOSite(t, secret)
		admin := s.newPerson(t, "Ada Admin", "ada.admin@msp.example.gov.uk", identity.ProgrammeUnitSlug, policies.RoleAdmin)
		b := newTab(t, s.base, js)
		b.signInAs(admin)

		// The administrator sets up Kent Police's single sign-on: a mapping without the
		// claim that carries it first.
		b.checkPage("organisations", b.visit("/organisations"), http.StatusOK, "Organisations")
		b.checkPage("single sign-on, not set up", b.press("Single sign-on for Kent Police"), http.StatusOK, "Single sign-on")
		b.expectText("single sign-on, not set up", ".govuk-summary-list", "Not set up")
		b.expectText("single sign-on, not set up", ".govuk-summary-list", s.base+identity.OIDCCallbackPath)
		b.choose("enabled", "yes")
		b.fill("issuer_url", op.URL, "client_id", "msphub", "client_secret", secret, "role-investigator", "msp-investigators")
		f := b.checkPage("single sign-on, no role claim", b.press("Save single sign-on settings"), http.StatusUnprocessableEntity, "Single sign-on")
		f.wantOneErrorAt(t, "single sign-on, no role claim", "role_claim")
		if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("client_secret"))); got != "" {
			t.Error("single sign-on, no role claim: the client secret was sent back into the form")
		}
		b.fill("role_claim", "groups", "client_secret", secret)
		b.checkPage("single sign-on, saved", b.press("Save single sign-on settings"), http.StatusOK, "Single sign-on")
		b.expectText("single sign-on, saved", ".govuk-notification-banner", "The single sign-on settings are saved")
		b.expectText("single sign-on, saved", ".govuk-summary-list", "On")
		html, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(html, secret) {
			t.Error("single sign-on, saved: the client secret is on the page")
		}
		if !strings.Contains(html, "A secret is stored") {
			t.Error("single sign-on, saved: the page does not say a secret is stored")
		}
		b.done()

		// A Kent investigator, in their own browser, asks for their account page and signs
		// in through Kent's provider, which checks their second factor: MSP Hub asks for none.
		op.SignIn(&oidctest.Person{Subject: "kent-7", Email: "jo.bloggs@kent.police.example.uk", Name: "Jo Bloggs",
			Groups: []string{"msp-investigators"}, AMR: []string{"pwd", "mfa"}})
		p := b.freshTab()
		p.checkPage("sign-in, from account", p.visit("/account"), http.StatusOK, "Sign in to MSP Hub")
		p.checkPage("choose your organisation", p.press("Sign in with your organisation"), http.StatusOK, "Sign in with your organisation")
		p.checkPage("account, signed in through Kent", p.press("Kent Police"), http.StatusOK, "Your account")
		p.expectPath("account, signed in through Kent", "/account")
		p.expectText("account, signed in through Kent", ".app-account-bar", "Signed in as Jo Bloggs")
		p.expectText("account, signed in through Kent", ".govuk-summary-list", "Kent Police")

		// A callback MSP Hub did not begin is refused, with what to do next.
		p.checkPage("sign-in refused", p.visit(identity.OIDCCallbackPath+"?state=made-up&code=made-up"), http.StatusUnauthorized, "You could not be signed in")
		p.expectText("sign-in refused", "main", "Start again from the sign-in page")
		p.done()
	})
}
