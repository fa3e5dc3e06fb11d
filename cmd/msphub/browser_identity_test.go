//go:build browser

// Browser tests of the identity journeys: setting up MSP Hub, signing in with a second factor or
// a recovery code, the account pages, managing people and organisations, set-password links and
// the audit log. Each runs twice, with the page's JavaScript on and with it off, and every page
// seen is checked: its h1, "Error: " in the title exactly when the error summary shows, summary
// links that lead to their fields, and axe-core's WCAG 2.2 A and AA rules.
package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"

	"github.com/chromedp/chromedp"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/policies"
	"github.com/pquerna/otp/totp"
)

// strongPassword passes the strength check; weakPassword is on every deny-list.
const (
	strongPassword = "umbrella kettle orbit lantern 47"
	newPassword    = "harbour violet tundra magnet 83"
	weakPassword   = "password1234"
)

// identitySite is MSP Hub served as testSite serves it, with the operations of the app at hand
// to create people directly, as `msphub admin` would.
type identitySite struct {
	base string
	app  *app
}

func newIdentitySite(t *testing.T) *identitySite {
	t.Helper()
	a := buildApp(t, backendEnv(t))
	srv := httptest.NewServer(a.engine)
	t.Cleanup(srv.Close)
	return &identitySite{base: srv.URL, app: a}
}

// person is someone created through the operations, with their second factor set up.
type person struct {
	identity.UserView
	Password string
	Secret   string
	Recovery []string
}

// newPerson creates a user with roles in the organisation with slug, sets their password and,
// when their roles need one, sets up their second factor with the code of the previous TOTP
// step, so that the current step's code is still unused when they sign in.
func (s *identitySite) newPerson(t *testing.T, name, email, org string, roles ...string) *person {
	t.Helper()
	ctx := context.Background()
	var orgID int64
	if err := s.app.db.Gorm().Table("organisations").Select("id").Where("slug = ?", org).Scan(&orgID).Error; err != nil || orgID == 0 {
		t.Fatalf("no organisation %s: %v", org, err)
	}
	expires := time.Now().AddDate(1, 0, 0)
	uv, _, err := s.app.services.Operator.CreateUser(ctx, identity.UserInput{OrganisationID: orgID, Email: email, Name: name,
		Roles: roles, VettingLevel: core.VettingRV, VettingExpiresOn: &expires}, strongPassword)
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	p := &person{UserView: uv, Password: strongPassword}
	if !uv.MFARequired {
		return p
	}
	who := core.Actor{UserID: uv.ID, OrgID: uv.OrganisationID}
	e, err := s.app.services.Accounts.BeginMFA(ctx, who)
	if err != nil {
		t.Fatalf("begin MFA of %s: %v", email, err)
	}
	p.Secret = e.Secret
	// The previous step's code is accepted (clock drift) unless a step boundary passes between
	// making it and checking it; then the new previous step's code is.
	for try := 0; ; try++ {
		p.Recovery, _, err = s.app.services.Accounts.ConfirmMFA(ctx, who, totpCode(t, p.Secret, time.Now().Add(-30*time.Second)))
		if err == nil {
			return p
		}
		if core.ErrorCode(err) != core.EINVALID || try == 2 {
			t.Fatalf("confirm MFA of %s: %v", email, err)
		}
	}
}

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// bothModes runs journey in a browser with the page's JavaScript on and in one with it off, on
// a fresh site each, side by side.
func bothModes(t *testing.T, journey func(t *testing.T, s *identitySite, js bool)) {
	eachMode(t, func(t *testing.T, js bool) { journey(t, newIdentitySite(t), js) })
}

// eachMode runs test with the page's JavaScript on and with it off, side by side.
func eachMode(t *testing.T, test func(t *testing.T, js bool)) {
	for _, js := range []bool{true, false} {
		// Short names: Chromium's socket path, under the test's temporary directory, must fit
		// in 107 bytes.
		name := "js"
		if !js {
			name = "nojs"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, js)
		})
	}
}

// tab is a browser on a journey: it knows which page loads were meant to fail (a form sent back
// with its errors), since Chromium logs each as an error.
type tab struct {
	*browser
	failed  map[int]int     // status: how many pages were expected with it
	checked map[string]bool // page states axe has checked in this tab
}

func newTab(t *testing.T, base string, js bool) *tab {
	return &tab{browser: newBrowser(t, base, js), failed: map[int]int{}, checked: map[string]bool{}}
}

// download clicks the link whose text is label and waits for the browser to save the file; it
// returns the saved file's name and contents.
func (b *tab) download(label string) (string, []byte) {
	b.t.Helper()
	dir := b.t.TempDir()
	allow := true
	_, err := chromedp.Call(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir, EventsEnabled: &allow,
		BrowserContextID: chromedp.FromContext(b.ctx).BrowserContextID,
	})
	if err != nil {
		b.t.Fatalf("allow downloads: %v", err)
	}
	progress := chromedp.Events(b.ctx, cdpbrowser.DownloadProgress)
	sel := fmt.Sprintf(`//a[normalize-space()=%q]`, label)
	if err := chromedp.Do(b.ctx, chromedp.Click(sel)); err != nil {
		b.t.Fatalf("click %q: %v", label, err)
	}
	for ev, err := range progress {
		if err != nil {
			b.t.Fatalf("download %q: %v", label, err)
		}
		switch ev.State {
		case cdpbrowser.DownloadProgressStateCanceled:
			b.t.Fatalf("download %q was cancelled", label)
		case cdpbrowser.DownloadProgressStateCompleted:
			entries, err := os.ReadDir(dir)
			if err != nil || len(entries) != 1 {
				b.t.Fatalf("download %q: %d files saved (%v)", label, len(entries), err)
			}
			body, err := os.ReadFile(filepath.Join(dir, entries[0].Name()))
			if err != nil {
				b.t.Fatal(err)
			}
			return entries[0].Name(), body
		}
	}
	b.t.Fatalf("download %q: no completion", label)
	return "", nil
}

// freshTab opens a tab in a new browser context of the same Chromium, sharing no cookie with
// b: another person's browser. It watches for problems as newBrowser does.
func (b *tab) freshTab() *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	nb := &browser{t: b.t, ctx: ctx, base: b.base, axe: b.axe, js: b.js}
	if err := nb.watch(); err != nil {
		b.t.Fatalf("open a tab: %v", err)
	}
	nb.scripts(b.js)
	return &tab{browser: nb, failed: map[int]int{}, checked: map[string]bool{}}
}

// done fails on any console error, CSP violation or uncaught exception, apart from Chromium's
// log line for each page that was meant to come with an error status.
func (b *tab) done() {
	b.t.Helper()
	b.mu.Lock()
	kept := b.problems[:0]
	for _, p := range b.problems {
		excused := false
		for status, n := range b.failed {
			if n > 0 && strings.HasPrefix(p, fmt.Sprintf("browser log: Failed to load resource: the server responded with a status of %d ", status)) {
				b.failed[status], excused = n-1, true
				break
			}
		}
		if !excused {
			kept = append(kept, p)
		}
	}
	b.problems = kept
	b.mu.Unlock()
	b.noProblems()
}

// pageFacts is what checkPage reads from the page shown.
type pageFacts struct {
	Path    string   `json:"path"`
	State   string   `json:"state"` // the route and what it shows besides its own content
	Title   string   `json:"title"`
	H1      []string `json:"h1"`
	Summary bool     `json:"summary"`
	Fields  int      `json:"fields"` // field error messages
	Links   []struct {
		Href   string `json:"href"`
		Text   string `json:"text"`
		Target string `json:"target"` // tag name of the element the link leads to, "" for none
	} `json:"links"`
}

const pageFactsJS = `(() => {
	const links = Array.from(document.querySelectorAll('.govuk-error-summary__list a')).map(a => {
		const href = a.getAttribute('href') || '';
		const el = href.startsWith('#') ? document.getElementById(href.slice(1)) : null;
		return {href, text: a.textContent.trim(), target: el ? el.tagName.toLowerCase() : ''};
	});
	return {
		path: location.pathname,
		state: location.pathname.replace(/\/[A-Za-z0-9_-]{20,}$/, '/:token').replace(/\/\d+(?=\/|$)/g, '/:id') +
			['.govuk-notification-banner', '.govuk-error-summary', '.govuk-panel', 'table'].filter(s => document.querySelector(s)).join(' '),
		title: document.title,
		h1: Array.from(document.querySelectorAll('h1')).map(h => h.textContent.trim()),
		summary: document.querySelector('.govuk-error-summary') !== null,
		fields: document.querySelectorAll('.govuk-form-group .govuk-error-message').length,
		links,
	};
})()`

// wantOneErrorAt fails the test unless the page's error summary holds exactly one error, and
// it links to the field with id.
func (f pageFacts) wantOneErrorAt(t *testing.T, page, id string) {
	t.Helper()
	if len(f.Links) != 1 || f.Links[0].Href != "#"+id {
		t.Errorf("%s: error summary %+v, want one error at #%s", page, f.Links, id)
	}
}

// wantErrorsAt fails the test unless the page's error summary holds exactly one error for each
// of the fields with ids, in that order: every error of the form at once.
func (f pageFacts) wantErrorsAt(t *testing.T, page string, ids ...string) {
	t.Helper()
	var got []string
	for _, l := range f.Links {
		got = append(got, strings.TrimPrefix(l.Href, "#"))
	}
	if !slices.Equal(got, ids) {
		t.Errorf("%s: error summary at %q, want %q", page, got, ids)
	}
}

// checkPage checks the page now shown: its status, its h1, a title that starts "Error: " exactly
// when the error summary shows, and summary links that each lead to a field. axe checks it too,
// unless it has already checked the same route in the same state (the same banners, summary,
// panel or table) in this tab: axe takes seconds on a long page, and the suite must stay short.
func (b *tab) checkPage(name string, status, wantStatus int, h1 string) pageFacts {
	b.t.Helper()
	if status != wantStatus {
		b.t.Errorf("%s: status %d, want %d", name, status, wantStatus)
	}
	if status >= 400 && status != http.StatusNotFound && status != http.StatusInternalServerError {
		b.failed[status]++ // newBrowser already lets these two pass
	}
	f, err := chromedp.Run(b.ctx, chromedp.Evaluate[pageFacts](pageFactsJS))
	if err != nil {
		b.t.Fatalf("%s: read the page: %v", name, err)
	}
	if len(f.H1) == 0 || f.H1[0] != h1 {
		b.t.Errorf("%s (%s): h1 %q, want %q first", name, f.Path, f.H1, h1)
	}
	switch {
	case f.Summary && !strings.HasPrefix(f.Title, "Error: "):
		b.t.Errorf("%s: the error summary shows but the title %q does not start with \"Error: \"", name, f.Title)
	case !f.Summary && status < 400 && strings.HasPrefix(f.Title, "Error: "):
		b.t.Errorf("%s: title %q starts with \"Error: \" with no error shown", name, f.Title)
	}
	if f.Summary && len(f.Links) == 0 {
		b.t.Errorf("%s: the error summary lists no error", name)
	}
	for _, l := range f.Links {
		switch l.Target {
		case "input", "select", "textarea":
		case "":
			b.t.Errorf("%s: error summary link %q (%s) leads to no element", name, l.Text, l.Href)
		default:
			b.t.Errorf("%s: error summary link %q (%s) leads to a %s, not a field", name, l.Text, l.Href, l.Target)
		}
	}
	if f.Summary && f.Fields != len(f.Links) {
		b.t.Errorf("%s: %d errors in the summary but %d at the fields", name, len(f.Links), f.Fields)
	}
	if !b.checked[f.State] {
		b.checked[f.State] = true
		b.checkAccessibility(name)
	}
	return f
}

// press clicks the button or link whose text is label (hidden text included), as a person
// would, and waits for the page it leads to; it returns that page's HTTP status.
func (b *tab) press(label string) int {
	b.t.Helper()
	sel := fmt.Sprintf(`//*[self::button or self::a][normalize-space()=%q]`, label)
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(sel))
	if err != nil {
		b.t.Fatalf("press %q: %v", label, err)
	}
	return int(resp.Status)
}

// fill types values into fields by id: pairs of id and value.
func (b *tab) fill(pairs ...string) {
	b.t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if _, err := chromedp.Run(b.ctx, chromedp.SetValue(chromedp.ID(pairs[i]), pairs[i+1])); err != nil {
			b.t.Fatalf("fill %s: %v", pairs[i], err)
		}
	}
}

// choose clicks a radio button or checkbox, by its name and value.
func (b *tab) choose(name, value string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=%q][value=%q]`, name, value)))); err != nil {
		b.t.Fatalf("choose %s %s: %v", name, value, err)
	}
}

// texts returns the text of every element matching the CSS selector.
func (b *tab) texts(sel string) []string {
	b.t.Helper()
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
		fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(e => e.textContent.trim())`, sel)))
	if err != nil {
		b.t.Fatalf("texts of %s: %v", sel, err)
	}
	return out
}

// has reports whether an element matches the CSS selector.
func (b *tab) has(sel string) bool {
	b.t.Helper()
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, sel)))
	if err != nil {
		b.t.Fatalf("look for %s: %v", sel, err)
	}
	return ok
}

// location is the path (and query) of the page shown.
func (b *tab) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatal(err)
	}
	return u.RequestURI()
}

func (b *tab) expectPath(page, want string) {
	b.t.Helper()
	if got := b.location(); got != want {
		b.t.Fatalf("%s: at %s, want %s", page, got, want)
	}
}

func (b *tab) expectText(page, sel, want string) {
	b.t.Helper()
	if got := b.text(sel); !strings.Contains(got, want) {
		b.t.Errorf("%s: %s says %q, want it to contain %q", page, sel, got, want)
	}
}

// signInAs signs p in with their password and, when they have a second factor, its current code.
func (b *tab) signInAs(p *person) int {
	b.t.Helper()
	if p.Secret == "" {
		return b.signIn(p.Email, p.Password, nil)
	}
	// The code is made when the second-factor page is up, not before: on a busy machine the
	// password step can take longer than a code lives.
	return b.signIn(p.Email, p.Password, func() string { return totpCode(b.t, p.Secret, time.Now()) })
}

// startAs signs p in and checks the page at path (called page), where p's part of a journey
// starts.
func (b *tab) startAs(p *person, page, path string, wantStatus int, h1 string) pageFacts {
	b.t.Helper()
	b.signInAs(p)
	return b.checkPage(page, b.visit(path), wantStatus, h1)
}

// expectRefused signs p in on another browser, where the navigation must not offer path and a
// visit to it (called page) must be refused.
func (b *tab) expectRefused(p *person, page, path string) {
	b.t.Helper()
	c := b.freshTab()
	c.signInAs(p)
	if c.has(`.govuk-service-navigation a[href="` + path + `"]`) {
		c.t.Errorf("%s: the navigation offers %s", page, path)
	}
	c.checkPage(page, c.visit(path), http.StatusForbidden, "Forbidden")
	c.done()
}

// signIn signs in on the sign-in page with a password, then gives the second factor (a TOTP
// code or a recovery code, made by code when that page is up) on its page, checking both pages.
// Without code (nil) it stops after the password and returns the status of the page that follows.
func (b *tab) signIn(email, password string, code func() string) int {
	b.t.Helper()
	b.checkPage("sign-in", b.visit("/sign-in"), http.StatusOK, "Sign in to MSP Hub")
	b.fill("email", email, "password", password)
	status := b.press("Sign in")
	if code == nil {
		return status
	}
	b.checkPage("second factor", status, http.StatusOK, "Enter your security code")
	b.expectPath("second factor", "/sign-in/mfa")
	b.fill("code", code())
	b.checkPage("start page, signed in", b.press("Continue"), http.StatusOK, "MSP Hub")
	b.expectPath("start page, signed in", "/")
	return http.StatusOK
}

// linkPath is the path of a link MSP Hub printed for its public URL, to open on the test site.
func linkPath(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil || u.Path == "" {
		t.Fatalf("not a link: %q", link)
	}
	return u.Path
}

// Journeys 1, 3 and the set-password page: the first administrator sets up MSP Hub and their
// second factor, adds an organisation and a person, and gives them a set-password link; the
// person sets a password, signs in and sets up their own second factor.
func TestBrowserIdentityAdministration(t *testing.T) {
	bothModes(t, func(t *testing.T, s *identitySite, js bool) {
		ctx := context.Background()
		link, err := s.app.services.Accounts.SetupLink(ctx)
		if err != nil || link == "" {
			t.Fatalf("set-up link: %q, %v", link, err)
		}
		b := newTab(t, s.base, js)

		// Set up MSP Hub: a weak password first.
		b.checkPage("set-up", b.visit(linkPath(t, link)), http.StatusOK, "Set up MSP Hub")
		b.fill("name", "Ada Lovelace", "email", "ada.lovelace@msp.example.gov.uk", "password", weakPassword)
		f := b.checkPage("set-up, weak password", b.press("Create administrator account"), http.StatusUnprocessableEntity, "Set up MSP Hub")
		f.wantOneErrorAt(t, "set-up, weak password", "password")
		if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("email"))); got != "ada.lovelace@msp.example.gov.uk" {
			t.Errorf("set-up, weak password: the email address was not kept: %q", got)
		}
		b.fill("password", strongPassword)

		// Second factor: the QR code and the key, a malformed code, then the right one.
		b.checkPage("second factor set-up", b.press("Create administrator account"), http.StatusOK, "Set up your second factor")
		b.expectPath("second factor set-up", "/account/mfa")
		b.expectText("second factor set-up", ".govuk-notification-banner", "Your administrator account is created")
		qr, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](
			`Array.from(document.querySelectorAll('main img[alt]')).some(i => i.src.startsWith('data:image/png;base64,') && i.complete && i.naturalWidth > 0)`))
		if err != nil || !qr {
			t.Errorf("second factor set-up: no QR code image shows (%v)", err)
		}
		secret := b.text("code.app-secret")
		if len(secret) < 26 {
			t.Fatalf("second factor set-up: key %q", secret)
		}
		b.fill("code", "12345")
		f = b.checkPage("second factor set-up, bad code", b.press("Confirm"), http.StatusUnprocessableEntity, "Set up your second factor")
		f.wantOneErrorAt(t, "second factor set-up, bad code", "code")
		if again := b.text("code.app-secret"); again != secret {
			t.Errorf("second factor set-up: the key changed after a wrong code: %q, then %q", secret, again)
		}
		b.fill("code", totpCode(t, secret, time.Now()))
		b.checkPage("recovery codes", b.press("Confirm"), http.StatusOK, "Save your recovery codes")
		b.expectText("recovery codes", ".govuk-notification-banner", "Your second factor is set up")
		if codes := b.texts(".app-recovery-codes li"); len(codes) != 10 {
			t.Errorf("recovery codes: %d shown, want 10: %q", len(codes), codes)
		}
		b.checkPage("start page", b.press("Continue"), http.StatusOK, "MSP Hub")
		b.expectText("start page", ".app-account-bar", "Signed in as Ada Lovelace")
		if nav := b.texts(".govuk-service-navigation__item"); !slices.Contains(nav, "People") || !slices.Contains(nav, "Organisations") {
			t.Errorf("start page: an administrator's navigation is %q", nav)
		}

		// Organisations: add one, then change it.
		b.checkPage("organisations", b.visit("/organisations"), http.StatusOK, "Organisations")
		b.checkPage("add an organisation", b.press("Add an organisation"), http.StatusOK, "Add an organisation")
		b.fill("region", "South West")
		// Every mistake is reported at once: no name and no kind.
		f = b.checkPage("add an organisation, no name", b.press("Save"), http.StatusUnprocessableEntity, "Add an organisation")
		if len(f.Links) != 2 || f.Links[0].Href != "#name" || f.Links[1].Href != "#kind" {
			t.Errorf("add an organisation, no name or kind: error summary %+v, want #name and #kind", f.Links)
		}
		b.fill("name", "Test Regional Organised Crime Unit")
		b.choose("kind", string(core.KindROCU))
		b.checkPage("organisations, added", b.press("Save"), http.StatusOK, "Organisations")
		b.expectText("organisations, added", ".govuk-notification-banner", "The organisation has been added")
		b.checkPage("change an organisation", b.press("Change Test Regional Organised Crime Unit"), http.StatusOK, "Change Test Regional Organised Crime Unit")
		if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("region"))); got != "South West" {
			t.Errorf("change an organisation: region %q", got)
		}
		b.fill("region", "National")
		b.checkPage("organisations, changed", b.press("Save"), http.StatusOK, "Organisations")
		b.expectText("organisations, changed", ".govuk-notification-banner", "The organisation has been updated")

		// People: add an investigator, a bad date first.
		b.checkPage("people", b.visit("/users"), http.StatusOK, "People")
		if rows := b.texts(".govuk-table__body .govuk-table__row"); len(rows) != 1 || !strings.Contains(rows[0], "Ada Lovelace") {
			t.Errorf("people: rows %q, want only Ada Lovelace", rows)
		}
		b.checkPage("add a person", b.press("Add a person"), http.StatusOK, "Add a person")
		b.fill("name", "Priya Shah", "email", "priya.shah@msp.example.gov.uk",
			"vetting_expires_on-day", "31", "vetting_expires_on-month", "2", "vetting_expires_on-year", fmt.Sprint(time.Now().Year()+1))
		b.choose("roles", policies.RoleInvestigator)
		b.choose("vetting_level", string(core.VettingMV))
		f = b.checkPage("add a person, bad date", b.press("Save"), http.StatusUnprocessableEntity, "Add a person")
		f.wantOneErrorAt(t, "add a person, bad date", "vetting_expires_on-day")
		checked, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll('input[name=roles]:checked, input[name=vetting_level]:checked')).map(e => e.value)`))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{policies.RoleOfficer, policies.RoleInvestigator, string(core.VettingMV)}; !slices.Equal(checked, want) {
			t.Errorf("add a person, bad date: checked %q, want %q kept", checked, want)
		}
		b.fill("vetting_expires_on-day", "28")
		b.checkPage("person", b.press("Save"), http.StatusOK, "Priya Shah")
		b.expectText("person", ".govuk-notification-banner", "The account has been created")
		// Email is off here, so the page shows her set-password link at once.
		if first := linkPath(t, b.text("code.app-secret")); !strings.HasPrefix(first, "/set-password/") {
			t.Fatalf("set-password link after adding a person %q", first)
		}
		if roles := b.text(".govuk-summary-list"); !strings.Contains(roles, "Officer") || !strings.Contains(roles, "Investigator") || !strings.Contains(roles, "Not set up (required by their roles)") {
			t.Errorf("person: summary %q", roles)
		}

		// Change their name, then make a set-password link.
		b.checkPage("change a person", b.press("Change details and roles"), http.StatusOK, "Change Priya Shah")
		userPath := strings.TrimSuffix(b.location(), "/edit")
		b.fill("name", "Priya K Shah")
		b.checkPage("person, changed", b.press("Save"), http.StatusOK, "Priya K Shah")
		b.expectPath("person, changed", userPath)
		b.expectText("person, changed", ".govuk-notification-banner", "The account has been updated")
		b.checkPage("person, set-password link", b.press("Create a set-password link"), http.StatusOK, "Priya K Shah")
		setPassword := linkPath(t, b.text("code.app-secret"))
		if !strings.HasPrefix(setPassword, "/set-password/") {
			t.Fatalf("set-password link %q", setPassword)
		}
		b.checkPage("people, with Priya", b.visit("/users?q=priya"), http.StatusOK, "People")
		if rows := b.texts(".govuk-table__body .govuk-table__row"); len(rows) != 1 || !strings.Contains(rows[0], "No second factor") {
			t.Errorf("people, searched: rows %q", rows)
		}
		b.done()

		// Priya, in her own browser, sets her password (a weak one first) and signs in.
		p := b.freshTab()
		p.checkPage("set password", p.visit(setPassword), http.StatusOK, "Set your password")
		p.expectText("set password", "main", "priya.shah@msp.example.gov.uk")
		p.fill("password", weakPassword)
		f = p.checkPage("set password, weak", p.press("Set password"), http.StatusUnprocessableEntity, "Set your password")
		f.wantOneErrorAt(t, "set password, weak", "password")
		p.fill("password", strongPassword)
		p.checkPage("sign in, password set", p.press("Set password"), http.StatusOK, "Sign in to MSP Hub")
		p.expectText("sign in, password set", ".govuk-notification-banner", "Your password is set")
		if status := p.visit(setPassword); status != http.StatusNotFound {
			t.Errorf("a used set-password link: status %d, want 404", status)
		}
		p.checkPage("used set-password link", http.StatusNotFound, http.StatusNotFound, "Page not found")

		p.checkPage("second factor required", p.signIn("priya.shah@msp.example.gov.uk", strongPassword, nil), http.StatusOK, "Set up your second factor")
		p.expectPath("second factor required", "/account/mfa")
		p.expectText("second factor required", ".govuk-notification-banner", "Your roles need a second factor")
		p.fill("code", totpCode(t, p.text("code.app-secret"), time.Now()))
		p.checkPage("Priya's recovery codes", p.press("Confirm"), http.StatusOK, "Save your recovery codes")
		p.checkPage("start page, Priya", p.press("Continue"), http.StatusOK, "MSP Hub")
		p.expectText("start page, Priya", ".app-account-bar", "Signed in as Priya K Shah")
		if nav := p.texts(".govuk-service-navigation__item"); slices.Contains(nav, "People") {
			t.Errorf("an investigator's navigation offers People: %q", nav)
		}
		p.done()

		// The administrator disables her account: asked first, then done.
		b.checkPage("people, Priya again", b.visit("/users?q=priya"), http.StatusOK, "People")
		b.checkPage("person, to disable", b.press("Priya K Shah"), http.StatusOK, "Priya K Shah")
		b.checkPage("disable, are you sure", b.press("Disable account"), http.StatusOK, "Are you sure you want to disable this account?")
		b.checkPage("person, not yet disabled", b.press("No, go back"), http.StatusOK, "Priya K Shah")
		b.checkPage("disable, asked again", b.press("Disable account"), http.StatusOK, "Are you sure you want to disable this account?")
		b.checkPage("person, disabled", b.press("Yes, disable the account"), http.StatusOK, "Priya K Shah")
		b.expectText("person, disabled", ".govuk-summary-list", "Disabled")
		b.done()
	})
}

// Journeys 2, 4, 5 and the sign-in pages: an investigator signs in with their password and a
// TOTP code (after a mistake on each page), uses the account pages, signs out, and signs in again
// with a recovery code; then an auditor signs in and searches the audit log.
func TestBrowserIdentitySignIn(t *testing.T) {
	bothModes(t, func(t *testing.T, s *identitySite, js bool) {
		inv := s.newPerson(t, "Sam Okafor", "sam.okafor@dc.police.example.uk", "devon-and-cornwall-police", policies.RoleInvestigator)
		aud := s.newPerson(t, "Grace Hopper", "grace.hopper@msp.example.gov.uk", identity.ProgrammeUnitSlug, policies.RoleAuditor)
		b := newTab(t, s.base, js)

		// Anonymous: an account page sends the browser to sign in.
		b.checkPage("sign-in, from account", b.visit("/account"), http.StatusOK, "Sign in to MSP Hub")
		b.expectPath("sign-in, from account", "/sign-in?next=%2Faccount")

		// The empty form, then a wrong password.
		f := b.checkPage("sign-in, empty", b.press("Sign in"), http.StatusUnprocessableEntity, "Sign in to MSP Hub")
		if len(f.Links) != 1 || f.Links[0].Href != "#email" || f.Links[0].Text != "Enter your email address" {
			t.Errorf("sign-in, empty: error summary %+v", f.Links)
		}
		b.fill("email", inv.Email, "password", "not my password at all")
		f = b.checkPage("sign-in, wrong password", b.press("Sign in"), http.StatusUnauthorized, "Sign in to MSP Hub")
		f.wantOneErrorAt(t, "sign-in, wrong password", "email")
		if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("password"))); got != "" {
			t.Error("sign-in, wrong password: the password was sent back into the form")
		}

		// The password, a wrong code, then the current TOTP code.
		b.fill("email", inv.Email, "password", inv.Password)
		b.checkPage("second factor", b.press("Sign in"), http.StatusOK, "Enter your security code")
		// The page asked for at the start (/account) is remembered through the second factor.
		b.expectPath("second factor", "/sign-in/mfa?next=%2Faccount")
		b.fill("code", "12345")
		f = b.checkPage("second factor, wrong code", b.press("Continue"), http.StatusUnprocessableEntity, "Enter your security code")
		f.wantOneErrorAt(t, "second factor, wrong code", "code")
		b.fill("code", totpCode(t, inv.Secret, time.Now()))
		b.checkPage("account after sign-in", b.press("Continue"), http.StatusOK, "Your account")
		b.expectPath("account after sign-in", "/account")
		b.checkPage("start page", b.visit("/"), http.StatusOK, "MSP Hub")
		b.expectText("start page", ".app-account-bar", "Signed in as Sam Okafor")

		// The account pages.
		b.checkPage("account", b.visit("/account"), http.StatusOK, "Your account")
		b.expectText("account", ".govuk-summary-list", "Devon and Cornwall Police")
		b.expectText("account", ".govuk-summary-list", "10 recovery codes left")

		b.checkPage("change password", b.press("Change your password"), http.StatusOK, "Change your password")
		b.fill("current_password", "not my password at all", "new_password", newPassword)
		f = b.checkPage("change password, wrong current", b.press("Change password"), http.StatusUnprocessableEntity, "Change your password")
		f.wantOneErrorAt(t, "change password, wrong current", "current_password")
		b.fill("current_password", inv.Password, "new_password", newPassword)
		b.checkPage("account, password changed", b.press("Change password"), http.StatusOK, "Your account")
		b.expectText("account, password changed", ".govuk-notification-banner", "Your password has been changed")

		b.checkPage("API tokens", b.press("API tokens"), http.StatusOK, "API tokens")
		b.expectText("API tokens", "main", "You have no API tokens")
		b.choose("scope", identity.ScopeReadWrite)
		f = b.checkPage("API tokens, no name", b.press("Create token"), http.StatusUnprocessableEntity, "API tokens")
		f.wantOneErrorAt(t, "API tokens, no name", "name")
		b.fill("name", "Nightly training export", "expires_in_days", "7")
		b.checkPage("API tokens, created", b.press("Create token"), http.StatusCreated, "API tokens")
		secret := b.text("code.app-secret")
		if !strings.HasPrefix(secret, "msph_") {
			t.Errorf("API tokens, created: secret %q", secret)
		}
		rows := b.texts(".govuk-table__body .govuk-table__row")
		if len(rows) != 1 || !strings.Contains(rows[0], "Nightly training export") || !strings.Contains(rows[0], "read-write") || strings.Contains(rows[0], secret) {
			t.Errorf("API tokens, created: rows %q", rows)
		}
		b.checkPage("API tokens, again", b.visit("/account/tokens"), http.StatusOK, "API tokens")
		if b.has("code.app-secret") {
			t.Error("API tokens: the secret is shown a second time")
		}
		b.checkPage("API tokens, revoked", b.press("Revoke Nightly training export"), http.StatusOK, "API tokens")
		b.expectText("API tokens, revoked", ".govuk-notification-banner", "The API token has been revoked")
		b.expectText("API tokens, revoked", ".govuk-table__body", "Revoked")

		b.checkPage("sessions", b.visit("/account/sessions"), http.StatusOK, "Where you are signed in")
		b.expectText("sessions", ".govuk-table__body", "This browser")

		b.checkPage("signed out", b.press("Sign out"), http.StatusOK, "Sign in to MSP Hub")
		b.expectPath("signed out", "/sign-in")
		b.expectText("signed out", ".govuk-notification-banner", "You have signed out")
		if b.has(".app-account-bar") {
			t.Error("signed out: the account bar still shows")
		}

		// Signing in again with the new password and a recovery code.
		b.signIn(inv.Email, newPassword, func() string { return inv.Recovery[0] })
		b.expectText("start page, recovery code", ".app-account-bar", "Signed in as Sam Okafor")
		b.checkPage("account, recovery code used", b.visit("/account"), http.StatusOK, "Your account")
		b.expectText("account, recovery code used", ".govuk-summary-list", "9 recovery codes left")
		if nav := b.texts(".govuk-service-navigation__item"); slices.Contains(nav, "Audit log") {
			t.Errorf("an investigator's navigation offers the audit log: %q", nav)
		}
		b.checkPage("signed out again", b.press("Sign out"), http.StatusOK, "Sign in to MSP Hub")

		// Journey 4: an auditor, in the same browser, filters the audit log, then gives a date
		// that does not exist.
		b.signInAs(aud)
		b.checkPage("audit log", b.press("Audit log"), http.StatusOK, "Audit log")
		if rows := b.texts(".govuk-table__body .govuk-table__row"); len(rows) == 0 {
			t.Error("audit log: no events")
		}
		b.fill("action", "auth.sign_in", "actor", fmt.Sprint(inv.ID))
		b.checkPage("audit log, filtered", b.press("Filter"), http.StatusOK, "Audit log")
		if got := b.location(); !strings.Contains(got, "action=auth.sign_in") {
			t.Errorf("audit log, filtered: at %s", got)
		}
		// Sam's sign-ins: the wrong password, then two with the right one.
		cells := b.texts(".govuk-table__body .govuk-table__row td:nth-child(4), .govuk-table__body .govuk-table__row td:nth-child(6)")
		if want := []string{"auth.sign_in", "success", "auth.sign_in", "success", "auth.sign_in", "failure"}; !slices.Equal(cells, want) {
			t.Errorf("audit log, Sam's sign-ins: actions and outcomes %q, want %q", cells, want)
		}
		if !b.has(`a[href^="/audit/export.csv?"][href*="action=auth.sign_in"]`) {
			t.Error("audit log, filtered: no CSV link with the filter")
		}
		b.fill("from-day", "31", "from-month", "2", "from-year", "2026")
		f = b.checkPage("audit log, bad date", b.press("Filter"), http.StatusUnprocessableEntity, "Audit log")
		f.wantOneErrorAt(t, "audit log, bad date", "from-day")
		if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("from-day"))); got != "31" {
			t.Errorf("audit log, bad date: day %q not kept", got)
		}
		b.done()
	})
}
