//go:build browser

// Browser test of the background jobs page: an administrator finds it in the navigation, sees
// every job not yet run, then their outcomes after a run (one of them failed), and the page
// passes axe with and without JavaScript. Someone who is not an administrator is refused.
package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/policies"
)

func TestBrowserJobsPage(t *testing.T) {
	bothModes(t, func(t *testing.T, s *identitySite, js bool) {
		ctx := context.Background()
		s.app.services.Jobs.Register("browser-test-failing", 6*time.Hour, func(context.Context) (string, error) {
			return "1 of 2 done", errors.New("relay refused us")
		})
		adm := s.newPerson(t, "Ada Lovelace", "ada.lovelace@msp.example.gov.uk", identity.ProgrammeUnitSlug, policies.RoleAdmin)
		aud := s.newPerson(t, "Grace Hopper", "grace.hopper@msp.example.gov.uk", identity.ProgrammeUnitSlug, policies.RoleAuditor)

		b := newTab(t, s.base, js)
		b.signInAs(adm)
		b.checkPage("background jobs, none run", b.press("Jobs"), http.StatusOK, "Background jobs")
		b.expectPath("background jobs, none run", "/admin/jobs")
		if got := b.texts("tbody .govuk-tag"); len(got) < 9 || strings.Join(got, "") != strings.Repeat("Not run yet", len(got)) {
			t.Errorf("before any run, the outcomes are %q", got)
		}

		if _, err := s.app.services.Jobs.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		b.checkPage("background jobs, after a run", b.visit("/admin/jobs"), http.StatusOK, "Background jobs")
		rows := b.texts("tbody tr")
		var failed, succeeded int
		for _, r := range rows {
			switch {
			case strings.Contains(r, "browser-test-failing"):
				failed++
				if !strings.Contains(r, "Failed") || !strings.Contains(r, "1 of 2 done") || !strings.Contains(r, "Every 6 hours") || strings.Contains(r, "relay refused") {
					t.Errorf("the failed job's row: %q", r)
				}
			case strings.Contains(r, "Succeeded"):
				succeeded++
			}
		}
		if failed != 1 || succeeded != len(rows)-1 {
			t.Errorf("after a run: %d failed and %d succeeded of %d rows", failed, succeeded, len(rows))
		}
		b.expectText("background jobs, after a run", "tbody", "Remove expired sessions")
		b.done()

		// An auditor is not offered the page, and is refused it.
		b.expectRefused(aud, "background jobs, as an auditor", "/admin/jobs")
	})
}
