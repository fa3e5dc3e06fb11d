//go:build browser

// Browser test of case files and CPS evidence packs: an investigator opens an s2 case, uploads
// evidence against checklist items and submits the pack; a supervisor approves it and shares it
// with a CPS liaison; the liaison rejects one item with an action; the investigator answers with
// new evidence; the liaison accepts; the pack is exported from the browser and
// `sha256sum -c SHA256SUMS` passes on the unzipped pack. Every page the issue adds is checked on
// the way (h1, error summary, axe-core's WCAG 2.2 A and AA rules), with the page's JavaScript on
// (the upload goes through the progress script) and with it off.
package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/policies"
)

// caseChooseFile sets the file of the file input with id.
func (b *tab) caseChooseFile(id, path string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.ID(id), []string{path})); err != nil {
		b.t.Fatalf("choose a file for %s: %v", id, err)
	}
}

// caseClick clicks the first element matching a CSS selector and waits for the page it leads to.
func (b *tab) caseClick(sel string) int {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
	return int(resp.Status)
}

// caseFillCSS types a value into the first field matching a CSS selector.
func (b *tab) caseFillCSS(sel, value string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.SetValue(chromedp.CSS(sel), value)); err != nil {
		b.t.Fatalf("fill %s: %v", sel, err)
	}
}

func caseFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// newCaseTeam makes the people of a case file's journeys: an investigator and their supervisor
// in Devon and Cornwall, and the CPS liaison of the south west.
func newCaseTeam(t *testing.T, s *identitySite) (inv, sup, cps *person) {
	t.Helper()
	const home = "devon-and-cornwall-police"
	inv = s.newPerson(t, "Sam Okafor", "sam.okafor@dc.police.example.uk", home, policies.RoleInvestigator)
	sup = s.newPerson(t, "Ruth Mensah", "ruth.mensah@dc.police.example.uk", home, policies.RoleSupervisor)
	cps = s.newPerson(t, "Amir Khan", "amir.khan@cps.example.gov.uk", "cps-south-west", policies.RoleCPSLiaison)
	return inv, sup, cps
}

// newCrownProsecutor is a CPS liaison who is also a Crown Prosecutor, and so may decide to charge.
func newCrownProsecutor(t *testing.T, s *identitySite) *person {
	t.Helper()
	pros := s.newPerson(t, "Priya Shah", "priya.shah@cps.example.gov.uk", "cps-south-west", policies.RoleCPSLiaison)
	if err := s.app.db.Gorm().Table("users").Where("id = ?", pros.ID).Update("crown_prosecutor", true).Error; err != nil {
		t.Fatal(err)
	}
	return pros
}

func TestBrowserCaseFileJourney(t *testing.T) {
	bothModes(t, func(t *testing.T, s *identitySite, js bool) {
		inv, sup, cps := newCaseTeam(t, s)
		adm := s.newPerson(t, "Ada Lovelace", "ada.lovelace@msp.example.gov.uk", identity.ProgrammeUnitSlug, policies.RoleAdmin)
		ok := http.StatusOK

		// The investigator opens an s2 case, a mistake first.
		b := newTab(t, s.base, js)
		b.startAs(inv, "case files", "/casefiles", ok, "Case files")
		b.checkPage("open a case file", b.press("Open a case file"), ok, "Open a case file")
		// An empty form shows all its errors at once.
		if f := b.checkPage("open a case file, empty", b.press("Open the case file"), http.StatusUnprocessableEntity, "Open a case file"); len(f.Links) < 3 {
			t.Errorf("open a case file, empty: %d errors in the summary, want the URN, operation and offences at once", len(f.Links))
		}
		b.fill("urn", "45AB123", "operation", "Operation Kestrel", "supervisor_id", strconv.FormatInt(sup.ID, 10))
		b.choose("offences", "msa_s2")
		f := b.checkPage("open a case file, bad URN", b.press("Open the case file"), http.StatusUnprocessableEntity, "Open a case file")
		f.wantOneErrorAt(t, "bad URN", "urn")
		b.fill("urn", "45 AB 12345 26")
		b.checkPage("checklist", b.press("Open the case file"), ok, "Checklist")
		b.expectText("checklist", ".govuk-notification-banner", "The case file is open")
		b.expectText("checklist", ".app-classification", "OFFICIAL")
		casePath := b.location()
		if rows := b.texts("main table tbody tr"); len(rows) < 20 {
			t.Errorf("checklist: %d rows, want T0 and T2 items", len(rows))
		}

		// Evidence against the travel item: the upload form, the file, back on the item.
		b.checkPage("travel item", b.press("Travel proof: tickets, passenger and border records, ANPR, vehicles"), ok, "Travel proof: tickets, passenger and border records, ANPR, vehicles")
		b.checkPage("upload evidence", b.press("Upload evidence for this item"), ok, "Upload evidence")
		b.fill("exhibit_ref", "JS/1", "description", "Ferry passenger manifest for the 06:00 Roscoff crossing", "producer", "DC Jo Smith",
			"produced_on-day", "3", "produced_on-month", "5", "produced_on-year", "2025")
		b.caseChooseFile("file", caseFile(t, "manifest.txt", "Passenger list for the 06:00 crossing, names redacted.\n"))
		if enhanced := b.has("form[data-upload-enhanced]"); enhanced != js {
			t.Errorf("upload form enhanced by the progress script: %v, with JavaScript %v", enhanced, js)
		}
		b.checkPage("travel item, evidence added", b.press("Upload"), ok, "Travel proof: tickets, passenger and border records, ANPR, vehicles")
		b.expectText("travel item, evidence added", ".govuk-notification-banner", "The exhibit has been uploaded")
		b.expectText("travel item, evidence added", ".govuk-summary-list", "JS/1")
		b.choose("status", "provided")
		b.checkPage("travel item, provided", b.press("Save the item"), ok, "Travel proof: tickets, passenger and border records, ANPR, vehicles")
		b.expectText("travel item, provided", ".govuk-tag", "Provided")

		// The other tabs: evidence, an exhibit, a reference, disclosure with the generic prompt,
		// the team, the timeline, the case details.
		b.checkPage("evidence", b.visit(casePath+"/evidence"), ok, "Evidence")
		b.checkPage("exhibit", b.press("JS/1"), ok, "Exhibit JS/1")
		b.expectText("exhibit", "main table", "uploaded")
		b.checkPage("reference form", b.visit(casePath+"/evidence/reference"), ok, "Reference media in a force evidence system")
		b.fill("exhibit_ref", "JS/3", "description", "Body-worn video of the search of 14 Mill Lane", "producer", "PC Lee", "system", "DEMS", "external_id", "BWV-0042", "hash", "xyz")
		b.choose("hash_algorithm", "SHA-256")
		f = b.checkPage("reference form, bad hash", b.press("Record the reference"), http.StatusUnprocessableEntity, "Reference media in a force evidence system")
		f.wantOneErrorAt(t, "bad hash", "hash")
		b.fill("hash", strings.Repeat("9f", 32))
		b.checkPage("evidence, referenced", b.press("Record the reference"), ok, "Evidence")
		b.checkPage("disclosure", b.visit(casePath+"/disclosure"), ok, "Disclosure")
		b.checkPage("add unused material", b.press("Add unused material"), ok, "Add unused material")
		b.fill("description", "Misc papers", "location", "Exeter property store", "assessment", "Does not undermine or assist")
		f = b.checkPage("add unused material, generic", b.press("Save the entry"), http.StatusUnprocessableEntity, "Add unused material")
		f.wantOneErrorAt(t, "generic description", "description")
		b.expectText("add unused material, generic", ".govuk-error-summary", "too generic")
		b.fill("generic_reason", "Loose papers of one daily kind; none can meet the test")
		b.checkPage("disclosure, added", b.press("Save the entry"), ok, "Disclosure")
		b.expectText("disclosure, added", "main table", "May be too generic")
		// Changing the entry: the reason for keeping the generic description is shown; take it
		// away, and a description still too generic is prompted for again.
		b.checkPage("change an entry", b.press("1 (change)"), ok, "Change MG6C entry 1")
		if !b.has("textarea[name=generic_reason]") {
			t.Error("change an entry: the reason for the generic description is not shown")
		}
		b.fill("generic_reason", " ") // blank: no reason
		b.fill("description", "Various documents")
		f = b.checkPage("change an entry, generic", b.press("Save the entry"), http.StatusUnprocessableEntity, "Change MG6C entry 1")
		f.wantOneErrorAt(t, "generic description on change", "description")
		b.fill("description", "Daily till rolls of the car wash, 1 to 31 May 2025, seized from the office")
		b.checkPage("disclosure, changed", b.press("Save the entry"), ok, "Disclosure")
		b.expectText("disclosure, changed", "main table", "Daily till rolls of the car wash")
		b.checkPage("team", b.visit(casePath+"/team"), ok, "Team")
		b.fill("email", "nobody@example.police.uk")
		f = b.checkPage("team, unknown person", b.press("Add to the team"), http.StatusUnprocessableEntity, "Team")
		f.wantOneErrorAt(t, "unknown person", "email")
		b.checkPage("change case details", b.visit(casePath+"/edit"), ok, "Change case details")

		// Submit for early advice.
		b.checkPage("sign-off", b.visit(casePath+"/pack"), ok, "Sign-off and CPS")
		f = b.checkPage("sign-off, no purpose", b.press("Submit to the supervisor"), http.StatusUnprocessableEntity, "Sign-off and CPS")
		f.wantOneErrorAt(t, "no purpose", "purpose")
		b.choose("purpose", "early_advice")
		b.checkPage("sign-off, submitted", b.press("Submit to the supervisor"), ok, "Sign-off and CPS")
		b.expectText("sign-off, submitted", ".govuk-notification-banner", "frozen and sent to the supervisor")
		b.done()

		// The supervisor approves it from the queue and shares it with the CPS liaison.
		sv := newTab(t, s.base, js)
		sv.startAs(sup, "packs to sign off", "/casefiles/review", ok, "Packs to sign off")
		sv.expectText("packs to sign off", "main table", "Assigned to you")
		sv.checkPage("supervisor: checklist", sv.press("45AB1234526"), ok, "Checklist")
		sv.checkPage("supervisor: sign-off", sv.press("Sign-off and CPS"), ok, "Sign-off and CPS")
		sv.checkPage("supervisor: are you sure", sv.press("Approve the pack"), ok, "Are you sure you want to approve the pack?")
		sv.checkPage("supervisor: approved", sv.press("Yes, approve the pack"), ok, "Sign-off and CPS")
		sv.expectText("supervisor: approved", ".govuk-notification-banner", "The pack is approved")
		until := time.Now().AddDate(0, 0, 30)
		sv.fill("liaison_id", strconv.FormatInt(cps.ID, 10), "expires_on-day", "31", "expires_on-month", "2", "expires_on-year", strconv.Itoa(until.Year()))
		f = sv.checkPage("supervisor: bad expiry", sv.press("Share the pack"), http.StatusUnprocessableEntity, "Sign-off and CPS")
		f.wantOneErrorAt(t, "bad expiry", "expires_on-day")
		sv.fill("liaison_id", strconv.FormatInt(cps.ID, 10), "expires_on-day", strconv.Itoa(until.Day()), "expires_on-month", strconv.Itoa(int(until.Month())), "expires_on-year", strconv.Itoa(until.Year()))
		sv.checkPage("supervisor: shared", sv.press("Share the pack"), ok, "Sign-off and CPS")
		sv.expectText("supervisor: shared", "main", "Amir Khan")
		sv.done()

		// The CPS liaison rejects the suspect's-act item with an action.
		cp := newTab(t, s.base, js)
		cp.startAs(cps, "packs shared with you", "/casefiles/cps", ok, "Packs shared with you")
		cp.checkPage("liaison: checklist", cp.press("45AB1234526"), ok, "Checklist")
		const act = "Suspect's act: recruit, transport, harbour, receive, transfer control"
		cp.checkPage("liaison: item", cp.press(act), ok, act)
		itemPath := cp.location()
		cp.choose("verdict", "reject")
		f = cp.checkPage("liaison: reject without a reason", cp.press("Record the review"), http.StatusUnprocessableEntity, act)
		f.wantOneErrorAt(t, "reject without reason", "review_reason")
		cp.choose("verdict", "reject")
		cp.fill("review_reason", "Provide the suspect's messages arranging the travel")
		cp.checkPage("liaison: rejected", cp.press("Record the review"), ok, act)
		cp.expectText("liaison: rejected", ".govuk-notification-banner", "an action has been raised")

		// The investigator answers with new evidence.
		b.checkPage("item to answer", b.visit(itemPath), ok, act)
		b.expectText("item to answer", ".govuk-tag", "Rejected by CPS")
		b.checkPage("upload the answer", b.press("Upload evidence for this item"), ok, "Upload evidence")
		b.fill("exhibit_ref", "JS/2", "description", "WhatsApp messages from the suspect's phone arranging the crossing", "producer", "DC Jo Smith")
		b.caseChooseFile("file", caseFile(t, "messages.txt", "12/05 22:14 suspect: the van leaves at 5, bring them to the port\n"))
		b.checkPage("item, answered with evidence", b.press("Upload"), ok, act)
		b.choose("status", "provided")
		b.checkPage("item, provided again", b.press("Save the item"), ok, act)
		b.checkPage("sign-off, action open", b.visit(casePath+"/pack"), ok, "Sign-off and CPS")
		b.caseFillCSS(`textarea[name=response]`, "Exhibit JS/2 holds the messages arranging the travel")
		b.checkPage("sign-off, action answered", b.press("Send the answer"), ok, "Sign-off and CPS")
		b.expectText("sign-off, action answered", ".govuk-notification-banner", "Your answer has been recorded")

		// The liaison accepts it.
		cp.checkPage("liaison: item again", cp.visit(itemPath), ok, act)
		cp.choose("verdict", "accept")
		cp.checkPage("liaison: accepted", cp.press("Record the review"), ok, act)
		cp.expectText("liaison: accepted", ".govuk-tag", "Accepted by CPS")
		cp.checkPage("liaison: timeline", cp.visit(casePath+"/timeline"), ok, "Timeline")
		cp.expectText("liaison: timeline", ".moj-timeline", "CPS accepted checklist item")
		cp.done()

		// The investigator exports the pack; sha256sum -c passes on the unzipped pack.
		b.checkPage("checklist, before export", b.visit(casePath), ok, "Checklist")
		_, pack := b.download("Export the pack")
		dir, files := apitest.Unzip(t, pack)
		// The recipient's check, exactly as index.html and manifest.json tell them to run it:
		// every file of the pack but SHA256SUMS itself must be listed and say OK.
		cmd := exec.Command("sha256sum", "-c", "SHA256SUMS")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("sha256sum -c SHA256SUMS on the unzipped pack: %v\n%s", err, out)
		}
		checked := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			name, ok := strings.CutSuffix(line, ": OK")
			if !ok {
				t.Errorf("sha256sum -c SHA256SUMS: %q", line)
			}
			checked[name] = true
		}
		for _, f := range files {
			if f != "SHA256SUMS" && !checked[f] {
				t.Errorf("sha256sum -c SHA256SUMS did not check %s:\n%s", f, out)
			}
		}
		if len(checked) != len(files)-1 || !checked["manifest.json"] || !checked["index.html"] {
			t.Errorf("sha256sum -c SHA256SUMS checked %d of the pack's %d files:\n%s", len(checked), len(files), out)
		}
		var exhibits int
		for f := range checked {
			if strings.HasPrefix(f, "evidence/") {
				exhibits++
			}
		}
		if exhibits != 2 || !strings.Contains(string(out), "messages.txt: OK") {
			t.Errorf("sha256sum checked %d exhibits, want JS/1 and JS/2:\n%s", exhibits, out)
		}
		if index, err := os.ReadFile(filepath.Join(dir, "index.html")); err != nil || !strings.Contains(string(index), "Accepted by CPS") {
			t.Errorf("index.html of the pack: %v", err)
		}
		b.done()

		// The supervisor stops sharing: asked first, then done. (In the tab still signed in: a
		// second sign-in within 30 seconds would reuse a spent code.)
		sv.checkPage("supervisor: sign-off again", sv.visit(casePath+"/pack"), ok, "Sign-off and CPS")
		sv.checkPage("revoke, are you sure", sv.press("Revoke the share with Amir Khan"), ok, "Are you sure you want to stop sharing the pack with the CPS?")
		sv.checkPage("supervisor: revoked", sv.press("Yes, stop sharing"), ok, "Sign-off and CPS")
		sv.expectText("supervisor: revoked", "main table", "Revoked")
		sv.done()

		// The administrator manages templates but sees no case.
		ad := newTab(t, s.base, js)
		ad.startAs(adm, "admin: the case", casePath, http.StatusNotFound, "Page not found")
		ad.checkPage("checklist templates", ad.visit("/casefiles/templates"), ok, "Checklist templates")
		ad.checkPage("template T2", ad.press("Human trafficking (MSA 2015 s2)"), ok, "Human trafficking (MSA 2015 s2)")
		ad.checkPage("new template version", ad.press("Save a new version"), ok, "New version of Human trafficking (MSA 2015 s2)")
		f = ad.checkPage("new template version, no note", ad.press("Save the new version"), http.StatusUnprocessableEntity, "New version of Human trafficking (MSA 2015 s2)")
		f.wantOneErrorAt(t, "no change note", "change_note")
		ad.fill("change_note", "Adds the labour-exploitation variant from the regional review", "items-8-text", "Labour-exploitation variant: payroll and agency records",
			"items-8-why", "Purpose", "items-8-form", "MG11 PC", "items-8-stage", "PC")
		ad.checkPage("template T2, version 3", ad.press("Save the new version"), ok, "Human trafficking (MSA 2015 s2)")
		ad.expectText("template T2, version 3", "main", "Version 3")
		ad.done()
	})
}
