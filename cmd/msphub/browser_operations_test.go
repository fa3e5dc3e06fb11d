//go:build browser

// Browser test of the national picture's records (issue 12): a force investigator records an
// operation (every mistake of an empty form shown at once), links its case file, adds a
// potential victim and a suspect with a charge; the CPS liaison records the charge's outcome on
// the shared case file, and the outcome shows on the suspect's record in the operation. Every
// page is checked on the way (h1, error summary, axe-core's WCAG 2.2 A and AA rules, no sideways
// scrolling at 320 px), with the page's JavaScript on and off.
package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/terms"
)

// sharedCase opens a case file as inv, submits it for early advice, has sup approve it and share
// it with cps: where a case stands when the CPS can record on it.
func sharedCase(t *testing.T, s *identitySite, inv, sup, cps *person, urn string) int64 {
	t.Helper()
	ctx := context.Background()
	cs := s.app.services.CaseFiles
	iv, sv := signedInActor(t, s, inv), signedInActor(t, s, sup)
	c, err := cs.Create(ctx, iv, casefile.CaseInput{URN: urn, Operation: "Kestrel", Offences: []casefile.Offence{"msa_s2"}, Classification: "OFFICIAL", SupervisorID: sup.ID})
	if err != nil {
		t.Fatalf("open the case: %v", err)
	}
	if _, err := cs.Submit(ctx, iv, c.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice}); err != nil {
		t.Fatalf("submit: %v", err)
	}
	if _, err := cs.Approve(ctx, sv, c.ID); err != nil {
		t.Fatalf("approve: %v", err)
	}
	until := time.Now().AddDate(0, 0, 30)
	if _, err := cs.Share(ctx, sv, c.ID, casefile.ShareInput{LiaisonID: cps.ID, ExpiresOn: &until}); err != nil {
		t.Fatalf("share: %v", err)
	}
	return c.ID
}

func TestBrowserOperationsJourney(t *testing.T) {
	bothModes(t, func(t *testing.T, s *identitySite, js bool) {
		inv, sup, cps := newCaseTeam(t, s)
		caseID := sharedCase(t, s, inv, sup, cps, "45AB1234526")
		// A second case waits for the supervisor's sign-off; they will return it.
		ctx := context.Background()
		iv := signedInActor(t, s, inv)
		second, err := s.app.services.CaseFiles.Create(ctx, iv, casefile.CaseInput{URN: "45AB7654326", Operation: "Heron", Offences: []casefile.Offence{"msa_s1"}, Classification: "OFFICIAL", SupervisorID: sup.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.app.services.CaseFiles.Submit(ctx, iv, second.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice}); err != nil {
			t.Fatal(err)
		}
		ok := http.StatusOK
		today := time.Now().In(core.London)
		day, month, year := strconv.Itoa(today.Day()), strconv.Itoa(int(today.Month())), strconv.Itoa(today.Year())

		// The investigator records an operation: an empty form first.
		b := newTab(t, s.base, js)
		b.startAs(inv, "operations", "/operations", ok, "Operations")
		b.checkPage("record an operation", b.press("Record an operation"), ok, "Record an operation")
		f := b.checkPage("record an operation, empty", b.press("Record the operation"), http.StatusUnprocessableEntity, "Record an operation")
		if len(f.Links) < 4 {
			t.Errorf("record an operation, empty: %d errors in the summary, want every one at once (reference, name, start, exploitation)", len(f.Links))
		}
		b.checkPage("record an operation, again", b.visit(b.location()), ok, "Record an operation")
		b.fill("reference", "DC/MS/2026/014", "name", "Kestrel", "lead_officer", inv.Email,
			"started_on-day", day, "started_on-month", month, "started_on-year", year)
		b.choose("exploitation", "labour")
		b.checkPage("operation", b.press("Record the operation"), ok, "Operation Kestrel")
		b.expectText("operation", ".govuk-notification-banner", "The operation is recorded")
		opPath := b.location()

		// Its case file, then a potential victim and a suspect in that case, with a charge.
		b.fill("case_id", strconv.FormatInt(caseID, 10))
		b.checkPage("operation, case linked", b.press("Link the case file"), ok, "Operation Kestrel")
		b.expectText("operation, case linked", "#main-content", "45AB1234526")
		b.checkPage("add a potential victim", b.press("Add a potential victim"), ok, "Add a potential victim")
		b.fill("reference", "V-001", "age_band", "16-17", "nationality", "VN", "case_id", strconv.FormatInt(caseID, 10),
			"nrm_referred_on-day", day, "nrm_referred_on-month", month, "nrm_referred_on-year", year, "first_responder", "police")
		b.choose("sex", "female")
		b.choose("exploitation", "criminal_county_lines")
		b.checkPage("operation, victim added", b.press("Save the potential victim"), ok, "Operation Kestrel")
		b.expectText("operation, victim added", "#main-content", "V-001")
		b.checkPage("add a suspect", b.press("Add a suspect"), ok, "Add a suspect")
		b.fill("reference", "S-001", "age_band", "25-34", "nationality", "GB", "role", "controller", "case_id", strconv.FormatInt(caseID, 10),
			"arrested_on-day", day, "arrested_on-month", month, "arrested_on-year", year)
		b.choose("sex", "male")
		b.choose("exploitation", "criminal_county_lines")
		b.checkPage("suspect added", b.press("Save the suspect"), ok, "Change suspect S-001")
		b.checkPage("add a charge", b.press("Add a charge"), ok, "Add a charge")
		b.choose("offence", "msa_s2")
		b.fill("charged_on-day", day, "charged_on-month", month, "charged_on-year", year)
		f = b.checkPage("charge added", b.press("Save the charge"), ok, "Change suspect S-001")
		if len(f.Links) > 0 {
			t.Fatalf("charge: %v", b.texts(".govuk-error-summary li"))
		}
		b.checkPage("operation, charged", b.visit(opPath), ok, "Operation Kestrel")
		b.expectText("operation, charged", "#suspects + p + .app-table-scroll", "Pending")
		b.done()

		// The CPS liaison records the outcome of the charge on the shared case file.
		c := b.freshTab()
		c.signInAs(cps)
		casePath := fmt.Sprintf("/casefiles/%d", caseID)
		c.checkPage("case file, CPS", c.visit(casePath), ok, "Checklist")
		c.expectText("case file, CPS", "#main-content", "Suspect S-001")
		chargeID := c.attr(`select[name^="outcome_"]`, "name")[len("outcome_"):]
		c.fill("outcome_"+chargeID, "convicted_plea", "outcome_on_"+chargeID+"-day", day, "outcome_on_"+chargeID+"-month", month, "outcome_on_"+chargeID+"-year", year)
		c.checkPage("case file, outcome recorded", c.press("Record the outcome"), ok, "Checklist")
		c.expectText("case file, outcome recorded", ".govuk-notification-banner", "The outcome is recorded on the suspect's record")
		c.done()

		// The supervisor returns the other pack: asked first, with the reasons shown.
		r := b.freshTab()
		r.startAs(sup, "sign-off, second case", fmt.Sprintf("/casefiles/%d/pack", second.ID), ok, "Sign-off and CPS")
		r.fill("return-reason", "The MG6C is missing")
		r.checkPage("return, are you sure", r.press("Return to the team"), ok, "Are you sure you want to return the pack to the team?")
		r.expectText("return, are you sure", "main", "Your reasons: The MG6C is missing")
		r.checkPage("returned", r.press("Yes, return the pack"), ok, "Sign-off and CPS")
		r.expectText("returned", ".govuk-notification-banner", "return")
		r.done()

		// The same record, seen from the operation, in the investigator's browser (still signed
		// in: a second sign-in within 30 seconds would reuse a spent code).
		b.checkPage("operation, outcome", b.visit(opPath), ok, "Operation Kestrel")
		b.expectText("operation, outcome", "#suspects + p + .app-table-scroll", "Convicted on a guilty plea")
		b.done()
	})
}

// An operation with more potential victims than a page lists: the operation page says how many
// there are, and its Previous and Next links of the victims lead through them (plain links,
// with JavaScript on and off) while the suspects stay on their page; every page passes axe-core
// and fits 320 px.
func TestBrowserOperationPeopleAPageAtATime(t *testing.T) {
	bothModes(t, func(t *testing.T, s *identitySite, js bool) {
		inv, _, _ := newCaseTeam(t, s)
		ctx, iv, ops := context.Background(), signedInActor(t, s, inv), s.app.services.Operations
		started := time.Now().AddDate(0, -2, 0)
		op, err := ops.Create(ctx, iv, operations.OperationInput{Reference: "DC/MS/2026/051", Name: "Starling", LeadOfficer: inv.Email, Status: terms.StatusLive,
			StartedOn: started, Exploitation: []terms.Exploitation{terms.ExploitLabour}})
		if err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= 51; n++ {
			if _, err := ops.AddVictim(ctx, iv, op.ID, operations.VictimInput{PersonInput: operations.PersonInput{Reference: fmt.Sprintf("V-%03d", n),
				AgeBand: terms.Age25to34, Sex: terms.SexFemale}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ops.AddSuspect(ctx, iv, op.ID, operations.SuspectInput{PersonInput: operations.PersonInput{Reference: "S-001", AgeBand: terms.Age35to44, Sex: terms.SexMale},
			Charges: []operations.ChargeInput{{Offence: terms.OffenceS2, ChargedOn: started}}}); err != nil {
			t.Fatal(err)
		}
		ok := http.StatusOK
		b := newTab(t, s.base, js)
		b.startAs(inv, "operation, many victims", fmt.Sprintf("/operations/%d", op.ID), ok, "Operation Starling")
		b.expectText("operation, many victims", "#victims + p", "51 potential victims")
		b.expectText("operation, many victims", "#victims ~ .govuk-pagination", "Next")
		b.expectText("operation, many victims", "#suspects + p", "1 suspect")
		b.checkPage("operation, victims page 2", b.press("Next page of potential victims"), ok, "Operation Starling")
		b.expectText("operation, victims page 2", "#victims + p + .app-table-scroll", "V-051")
		b.expectText("operation, victims page 2", "main", "Showing 51 to 51 of 51 results")
		b.expectText("operation, victims page 2", "#suspects + p + .app-table-scroll", "S-001")
		b.checkPage("operation, victims page 1", b.press("Previous page of potential victims"), ok, "Operation Starling")
		b.expectText("operation, victims page 1", "#victims + p + .app-table-scroll", "V-050")
		b.expectText("operation, victims page 1", "main", "Showing 1 to 50 of 51 results")
		b.done()
	})
}

// attr returns the attribute name of the first element matching the CSS selector.
func (b *tab) attr(sel, name string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).getAttribute(%q) || ''`, sel, name)))
	if err != nil || v == "" {
		b.t.Fatalf("attribute %s of %s: %q %v", name, sel, v, err)
	}
	return v
}
