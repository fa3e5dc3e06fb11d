//go:build browser

// Browser test of charging decisions (issue 13 item 2): the team submits a Threshold Test pack
// (DG6 red) with pre-charge items outstanding; a Crown Prosecutor records the decision to charge
// with its review date and a charge per suspect, an incomplete form first; the team records the
// police charge. Every page is checked on the way (h1, error summary, axe-core's WCAG 2.2 A and
// AA rules), with the page's JavaScript on and off.
package main

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
)

func TestBrowserChargingDecision(t *testing.T) {
	bothModes(t, func(t *testing.T, s *identitySite, js bool) {
		inv, sup, _ := newCaseTeam(t, s)
		pros := newCrownProsecutor(t, s)
		ctx := context.Background()
		cs := s.app.services.CaseFiles
		iv, sv := signedInActor(t, s, inv), signedInActor(t, s, sup)
		c, err := cs.Create(ctx, iv, casefile.CaseInput{URN: "45AB1234526", Operation: "Kestrel", Offences: []casefile.Offence{casefile.OffenceS2},
			Classification: "OFFICIAL", SupervisorID: sup.ID})
		if err != nil {
			t.Fatalf("open the case: %v", err)
		}
		pack := "/casefiles/" + strconv.FormatInt(c.ID, 10) + "/pack"
		ok := http.StatusOK

		// The team asks for a Threshold Test decision: the category and test first forgotten.
		b := newTab(t, s.base, js)
		b.startAs(inv, "sign-off", pack, ok, "Sign-off and CPS")
		b.choose("purpose", "charging")
		f := b.checkPage("charging pack, no category or test", b.press("Submit to the supervisor"), http.StatusUnprocessableEntity, "Sign-off and CPS")
		if len(f.Links) != 2 || f.Links[0].Href != "#dg6_category" || f.Links[1].Href != "#test" {
			t.Errorf("charging pack, no category or test: error summary %+v, want the category and the test", f.Links)
		}
		b.choose("dg6_category", "red")
		b.choose("test", "threshold")
		b.checkPage("charging pack submitted", b.press("Submit to the supervisor"), ok, "Sign-off and CPS")
		b.expectText("charging pack submitted", "main table", "Outstanding")

		if _, err := cs.Approve(ctx, sv, c.ID); err != nil {
			t.Fatalf("approve: %v", err)
		}
		until := time.Now().AddDate(0, 0, 30)
		if _, err := cs.Share(ctx, sv, c.ID, casefile.ShareInput{LiaisonID: pros.ID, ExpiresOn: &until}); err != nil {
			t.Fatalf("share: %v", err)
		}

		// The Crown Prosecutor authorises a charge under the Threshold Test.
		p := newTab(t, s.base, js)
		p.startAs(pros, "prosecutor: sign-off", pack, ok, "Sign-off and CPS")
		p.choose("decision", "charge")
		p.fill("reasons", "The suspect is in custody; the bank records are expected within four weeks", "charge-1-suspect", "S1")
		p.choose("test", "threshold")
		f = p.checkPage("prosecutor: decision, incomplete", p.press("Record the decision"), http.StatusUnprocessableEntity, "Sign-off and CPS")
		if len(f.Links) != 3 {
			t.Errorf("prosecutor: decision, incomplete: error summary %+v, want the review date, the offence and the statute at once", f.Links)
		}
		review := time.Now().In(core.London).AddDate(0, 0, 28)
		p.fill("charge-1-offence", string(casefile.OffenceS2), "charge-1-statute", "Modern Slavery Act 2015 s2(1)",
			"review_on-day", strconv.Itoa(review.Day()), "review_on-month", strconv.Itoa(int(review.Month())), "review_on-year", strconv.Itoa(review.Year()))
		p.checkPage("prosecutor: decision recorded", p.press("Record the decision"), ok, "Sign-off and CPS")
		p.expectText("prosecutor: decision recorded", ".govuk-notification-banner", "Your charging decision is recorded")
		p.expectText("prosecutor: decision recorded", "main", "To be reviewed by "+review.Format("2 January 2006"))
		p.done()

		// The team records the police charge.
		b.checkPage("record the charge", b.visit(pack), ok, "Sign-off and CPS")
		b.expectText("record the charge", "main", "Charge authorised by the CPS")
		today := time.Now().In(core.London)
		b.fill("charged_on-day", strconv.Itoa(today.Day()), "charged_on-month", strconv.Itoa(int(today.Month())), "charged_on-year", strconv.Itoa(today.Year()),
			"charged_by", "PS 1234 Example")
		b.checkPage("charged", b.press("Record the charge"), ok, "Sign-off and CPS")
		b.expectText("charged", ".govuk-notification-banner", "The charge is recorded")
		b.done()
	})
}
