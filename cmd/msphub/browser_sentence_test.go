//go:build browser

// Browser journey of a CPS file from an s2 case to sentence (issue 13): the team submits a
// Threshold Test pack; the supervisor approves it and shares it with a Crown Prosecutor, who
// authorises a charge with a review date; the team records the police charge, the first hearing
// file (not guilty anticipated), the plea and trial preparation hearing and the full file
// upgrade, then the defence statement; the disclosure officer reviews the unused material
// against it (an MG6C entry goes on the MG6E with reasons, and the MG6E is certified); the
// trial; the prosecutor records the outcome of the charge on the suspect's record and the
// sentence. The exported pack passes `sha256sum -c SHA256SUMS` and its index names every
// document. Every page is checked on the way (h1, error summary, axe-core's WCAG 2.2 A and AA
// rules), with the page's JavaScript on and off.
package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/disclosure"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/terms"
)

// fillDate types a GOV.UK date input's three fields.
func (b *tab) fillDate(name string, d time.Time) {
	b.t.Helper()
	b.fill(name+"-day", strconv.Itoa(d.Day()), name+"-month", strconv.Itoa(int(d.Month())), name+"-year", strconv.Itoa(d.Year()))
}

func TestBrowserCaseFileToSentence(t *testing.T) {
	bothModes(t, func(t *testing.T, s *identitySite, js bool) {
		inv, sup, _ := newCaseTeam(t, s)
		pros := newCrownProsecutor(t, s)
		ctx := context.Background()
		svc := s.app.services
		iv := signedInActor(t, s, inv)
		today := time.Now().In(core.London)
		fail := func(what string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}

		// The case as the investigation left it: an s2 case of an operation whose suspect S1 is
		// charged with the s2 offence; the lead investigator is the disclosure officer too, and
		// the MG6C schedule lists the car wash's till rolls.
		c, err := svc.CaseFiles.Create(ctx, iv, casefile.CaseInput{URN: "45AB1234526", Operation: "Kestrel", Offences: []casefile.Offence{casefile.OffenceS2},
			Classification: "OFFICIAL", SupervisorID: sup.ID})
		fail("open the case", err)
		op, err := svc.Operations.Create(ctx, iv, operations.OperationInput{Reference: "OP/KESTREL", Name: "Kestrel", LeadOfficer: inv.Email, Status: terms.StatusLive,
			StartedOn: today.AddDate(0, -6, 0), Exploitation: []terms.Exploitation{terms.ExploitLabour}})
		fail("record the operation", err)
		fail("link the case", svc.Operations.LinkCase(ctx, iv, op.ID, c.ID))
		suspect, err := svc.Operations.AddSuspect(ctx, iv, op.ID, operations.SuspectInput{PersonInput: operations.PersonInput{Reference: "S1", AgeBand: terms.Age35to44, Sex: terms.SexMale},
			Charges: []operations.ChargeInput{{Offence: terms.OffenceS2, ChargedOn: today}}})
		fail("record the suspect", err)
		fail("attach the suspect", svc.Operations.AttachToCase(ctx, iv, op.ID, operations.KindSuspect, suspect.ID, c.ID))
		_, err = svc.Disclosure.NameRoles(ctx, iv, c.ID, disclosure.RolesInput{OIC: inv.ID, DisclosureOfficer: inv.ID})
		fail("name the disclosure officer", err)
		_, err = svc.CaseFiles.AddScheduleEntry(ctx, iv, c.ID, casefile.EntryInput{Schedule: casefile.ScheduleMG6C,
			Description: "Daily till rolls of the car wash, 1 to 31 May 2025, seized from the office", Location: "Exeter property store"})
		fail("list unused material", err)
		casePath := "/casefiles/" + strconv.FormatInt(c.ID, 10)
		pack := casePath + "/pack"
		ok := http.StatusOK

		// The team asks for a Threshold Test decision, DG6 red, with pre-charge items outstanding.
		b := newTab(t, s.base, js)
		b.startAs(inv, "sign-off", pack, ok, "Sign-off and CPS")
		b.choose("purpose", "charging")
		b.choose("dg6_category", "red")
		b.choose("test", "threshold")
		b.checkPage("charging pack submitted", b.press("Submit to the supervisor"), ok, "Sign-off and CPS")
		b.expectText("charging pack submitted", ".govuk-notification-banner", "frozen and sent to the supervisor")

		// The supervisor approves it and shares it with the Crown Prosecutor.
		sv := newTab(t, s.base, js)
		sv.startAs(sup, "supervisor: sign-off", pack, ok, "Sign-off and CPS")
		sv.checkPage("supervisor: are you sure", sv.press("Approve the pack"), ok, "Are you sure you want to approve the pack?")
		sv.checkPage("supervisor: approved", sv.press("Yes, approve the pack"), ok, "Sign-off and CPS")
		until := today.AddDate(0, 3, 0)
		sv.fill("liaison_id", strconv.FormatInt(pros.ID, 10))
		sv.fillDate("expires_on", until)
		sv.checkPage("supervisor: shared", sv.press("Share the pack"), ok, "Sign-off and CPS")
		sv.expectText("supervisor: shared", "main", "Priya Shah")

		// The Crown Prosecutor authorises a charge under the Threshold Test, to be reviewed.
		p := newTab(t, s.base, js)
		p.startAs(pros, "prosecutor: sign-off", pack, ok, "Sign-off and CPS")
		p.choose("decision", "charge")
		p.choose("test", "threshold")
		review := today.AddDate(0, 0, 28)
		p.fill("reasons", "S1 is in custody; the bank records are expected within four weeks", "charge-1-suspect", "S1",
			"charge-1-offence", string(casefile.OffenceS2), "charge-1-statute", "Modern Slavery Act 2015 s2(1)")
		p.fillDate("review_on", review)
		p.checkPage("prosecutor: decision recorded", p.press("Record the decision"), ok, "Sign-off and CPS")
		p.expectText("prosecutor: decision recorded", "main", "To be reviewed by "+review.Format("2 January 2006"))
		p.checkPage("prosecutor: what changed in pack 1", p.visit(casePath+"/submissions/1/changes"), ok, "What changed in pack 1")

		// The team records the police charge, then the case goes to court.
		b.checkPage("record the charge", b.visit(pack), ok, "Sign-off and CPS")
		b.fillDate("charged_on", today)
		b.fill("charged_by", "PS 1234 Example")
		b.checkPage("charged", b.press("Record the charge"), ok, "Sign-off and CPS")
		b.expectText("charged", ".govuk-notification-banner", "The charge is recorded")

		b.checkPage("after charge", b.visit(casePath), ok, "Checklist")
		f := b.checkPage("first hearing file, empty", b.press("Record the first hearing file"), http.StatusUnprocessableEntity, "Checklist")
		if len(f.Links) < 2 {
			t.Errorf("first hearing file, empty: error summary %+v, want the plea and the dates at once", f.Links)
		}
		b.choose("first_hearing_plea", "not_guilty")
		b.fillDate("first_hearing_on", today)
		b.fillDate("first_hearing_next_on", today.AddDate(0, 0, 1))
		b.checkPage("first hearing file", b.press("Record the first hearing file"), ok, "Checklist")
		b.expectText("first hearing file", "main", "Not guilty anticipated (NGAP)")
		b.fillDate("ptph_on", today)
		b.fillDate("ptph_next_on", today.AddDate(0, 1, 0))
		b.checkPage("PTPH", b.press("Record the plea and trial preparation hearing"), ok, "Checklist")
		b.expectText("PTPH", "main", "Full file due")
		b.fillDate("full_file_on", today)
		b.checkPage("full file upgrade", b.press("Record the full file upgrade"), ok, "Checklist")
		b.fillDate("defence_statement_on", today)
		b.checkPage("defence statement", b.press("Record the defence statement"), ok, "Checklist")
		b.expectText("defence statement", "main", "Defence statement received")

		// The disclosure officer reviews the unused material against the defence statement: the
		// till rolls might assist the accused, so they go on the MG6E with reasons, certified.
		b.checkPage("disclosure", b.visit(casePath+"/disclosure"), ok, "Disclosure")
		b.checkPage("MG6C entry", b.press("1 (change)"), ok, "Change MG6C entry 1")
		b.choose("undermines", "yes")
		b.fill("assessment", "The till rolls show the workers' hours, which the defence statement says were agreed")
		b.checkPage("MG6E review", b.press("Save the entry"), ok, "Disclosure")
		b.choose("kind", "mg6e")
		b.checkPage("MG6E certified", b.press("Sign and date"), ok, "Disclosure")
		b.expectText("MG6E certified", ".govuk-notification-banner", "signed and dated")
		b.checkPage("after charge, review", b.visit(casePath), ok, "Checklist")
		b.fillDate("disclosure_review_on", today)
		b.checkPage("disclosure review", b.press("Record the disclosure review"), ok, "Checklist")
		b.fillDate("trial_on", today)
		b.checkPage("trial", b.press("Record the start of the trial"), ok, "Checklist")
		b.expectText("trial", "main", "At trial")

		// The prosecutor sees the revised schedule (the continuing duty), then records the outcome
		// on the suspect's record and the sentence.
		p.checkPage("prosecutor: disclosure", p.visit(casePath+"/disclosure"), ok, "Disclosure")
		p.expectText("prosecutor: disclosure", "main", "workers' hours")
		p.checkPage("prosecutor: at trial", p.visit(casePath), ok, "Checklist")
		charge := strconv.FormatInt(suspect.Charges[0].ID, 10)
		p.fill("outcome_"+charge, string(terms.OutcomeConvictedTrial))
		p.fillDate("outcome_on_"+charge, today)
		p.checkPage("prosecutor: outcome", p.press("Record the outcome"), ok, "Checklist")
		p.fillDate("outcomes_on", today)
		p.checkPage("prosecutor: outcomes", p.press("Record that every charge has its outcome"), ok, "Checklist")
		p.fillDate("sentenced_on", today)
		p.fill("sentenced_details", "S1: 9 years' imprisonment")
		p.choose("sentenced_stpo", "yes")
		p.checkPage("prosecutor: sentenced", p.press("Record the sentence and orders"), ok, "Checklist")
		p.expectText("prosecutor: sentenced", "main", "S1: 9 years' imprisonment")
		p.expectText("prosecutor: sentenced", "main", "Convicted after trial")
		p.done()
		sv.done()

		// The outcome reached the suspect's record.
		v, err := svc.Operations.Get(ctx, iv, op.ID)
		fail("read the operation", err)
		if len(v.Suspects) != 1 || len(v.Suspects[0].Charges) != 1 || v.Suspects[0].Charges[0].Outcome != terms.OutcomeConvictedTrial {
			t.Errorf("the suspect's record after sentence: %+v", v.Suspects)
		}

		// The team exports the pack: sha256sum -c passes, and the index names every document.
		b.checkPage("checklist, before export", b.visit(casePath), ok, "Checklist")
		_, zipped := b.download("Export the pack")
		dir, files := apitest.Unzip(t, zipped)
		cmd := exec.Command("sha256sum", "-c", "SHA256SUMS")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c SHA256SUMS on the unzipped pack: %v\n%s", err, out)
		} else if got := strings.Count(string(out), ": OK"); got != len(files)-1 {
			t.Errorf("sha256sum -c SHA256SUMS checked %d of the pack's %d files:\n%s", got, len(files), out)
		}
		index, err := os.ReadFile(filepath.Join(dir, "index.html"))
		fail("read index.html", err)
		for _, f := range files {
			if f != "index.html" && f != "SHA256SUMS" && !strings.Contains(string(index), f) {
				t.Errorf("index.html does not name %s", f)
			}
		}
		for _, want := range []string{"schedules/MG6C.pdf", "1 entry"} {
			if !strings.Contains(string(index), want) {
				t.Errorf("index.html does not say %q", want)
			}
		}
		b.done()
	})
}
