package api_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/mailtest"
	"github.com/msptp/msphub/policies"
)

// mailApp is the whole app, as apitest builds it, with email going to relay.
func mailApp(t *testing.T, relay *mailtest.Server) *apitest.App {
	t.Helper()
	return apitest.New(t, apitest.SMTP(relay.Config()))
}

var emailedLink = regexp.MustCompile(`http://msphub\.test(/set-password/[A-Za-z0-9_-]{43})`)

// deliverLink sends the outbox and returns the path of the one set-password link emailed to addr.
func deliverLink(t *testing.T, a *apitest.App, relay *mailtest.Server, addr string) string {
	t.Helper()
	if summary, err := a.Services.Mail.DeliverOutbox(context.Background()); err != nil || summary != "1 sent" {
		t.Fatalf("deliver: %q %v", summary, err)
	}
	msgs := relay.Received()
	last := msgs[len(msgs)-1]
	if len(last.To) != 1 || last.To[0] != addr {
		t.Fatalf("the last email went to %v, want %s", last.To, addr)
	}
	p, err := last.Parse()
	if err != nil {
		t.Fatal(err)
	}
	m := emailedLink.FindStringSubmatch(p.Text)
	if m == nil || !strings.Contains(p.HTML, m[0]) {
		t.Fatalf("no set-password link in the email:\n%s", p.Text)
	}
	return m[1]
}

// With email on, the people pages never show a set-password link: adding a person emails them
// an invitation, "Email a set-password link" emails a new one, and the link in the email works
// through the real pages, once.
func TestPeoplePagesEmailSetPasswordLinks(t *testing.T) {
	relay := mailtest.Start(t, mailtest.StartTLS)
	a := mailApp(t, relay)
	admin := a.As(t, policies.RoleAdmin)
	b := admin.Browser()
	b.Get(t, "/users/new")
	w := b.Submit(t, "/users/new", url.Values{"organisation_id": {strconv.FormatInt(a.Org(t, apitest.HomeOrg), 10)}, "name": {"Nia New"},
		"email": {"nia.new@dc.police.uk"}, "roles": {policies.RoleOfficer}, "vetting_level": {string(core.VettingRV)},
		"vetting_expires_on-day": {"1"}, "vetting_expires_on-month": {"5"}, "vetting_expires_on-year": {"2031"}})
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/users/") {
		t.Fatalf("add a person: %d %s", w.Code, w.Body.String())
	}
	person := w.Header().Get("Location")
	page := b.Get(t, person).Body.String()
	if !strings.Contains(page, "on its way to the person&#39;s email address") || !strings.Contains(page, "Email a set-password link") {
		t.Errorf("the person's page after adding them:\n%s", page)
	}
	if strings.Contains(page, "/set-password/") {
		t.Error("the page shows a set-password link with email on")
	}
	path := deliverLink(t, a, relay, "nia.new@dc.police.uk")

	// Asking for a new link: the page says it was emailed, and the first link stops working.
	w = b.Submit(t, person+"/set-password-link", nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != person {
		t.Fatalf("email a set-password link: %d", w.Code)
	}
	if page := b.Get(t, person).Body.String(); !strings.Contains(page, "A set-password link is on its way") || strings.Contains(page, "/set-password/") {
		t.Errorf("the page after emailing a link:\n%s", page)
	}
	if w := a.Browser().Get(t, path); w.Code != http.StatusNotFound {
		t.Errorf("the first link after a new one was asked for: %d", w.Code)
	}
	path = deliverLink(t, a, relay, "nia.new@dc.police.uk")

	// Through the API too: 202, and the link goes only to the person.
	w = a.API(t, admin, "POST", "/api/v1"+person+"/set-password-link", "")
	if w.Code != http.StatusAccepted || strings.Contains(w.Body.String(), "set-password") || !strings.Contains(w.Body.String(), `"emailed":true`) {
		t.Fatalf("the API with email on: %d %s", w.Code, w.Body.String())
	}
	path = deliverLink(t, a, relay, "nia.new@dc.police.uk")

	// The emailed link works through the pages, once; then the person signs in.
	nia := a.Browser()
	if w := nia.Get(t, path); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Nia New") {
		t.Fatalf("the emailed link: %d", w.Code)
	}
	nia = setPasswordOnce(t, a, nia, path)
	if w := nia.Submit(t, "/sign-in", url.Values{"email": {"nia.new@dc.police.uk"}, "password": {apitest.Password}}); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
		t.Fatalf("sign in: %d %s", w.Code, w.Header().Get("Location"))
	}
	// Her notifications say links were emailed, and hold none.
	list := nia.Get(t, "/notifications").Body.String()
	if !strings.Contains(list, "emailed you a link") || strings.Contains(list, "/set-password/") {
		t.Errorf("notifications page:\n%s", list)
	}
}
