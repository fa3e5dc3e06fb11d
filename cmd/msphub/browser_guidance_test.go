//go:build browser

// Browser test of the guidance library: an editor drafts guidance with an attachment, an
// approver (after a mistake) publishes it, an officer finds it by a word of its text, reads it,
// downloads the attachment and acknowledges it; then a major second version asks everyone again,
// the officer reads what changed, and a supervisor sees who has acknowledged. Every page the
// library adds is checked as the identity journeys check theirs (h1, error summary, axe-core's
// WCAG 2.2 A and AA rules), with the page's JavaScript on and with it off.
package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/msptp/msphub/policies"
)

// guidancePDF passes the type check as a PDF.
var guidancePDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// upload chooses a file for the file input with id.
func (b *tab) upload(id, path string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.ID(id), []string{path})); err != nil {
		b.t.Fatalf("choose file for %s: %v", id, err)
	}
}

// errorLinks are the hrefs of the error summary of a page.
func errorLinks(f pageFacts) []string {
	var out []string
	for _, l := range f.Links {
		out = append(out, l.Href)
	}
	return out
}

func TestBrowserGuidanceJourney(t *testing.T) {
	bothModes(t, func(t *testing.T, s *identitySite, js bool) {
		const (
			home  = "devon-and-cornwall-police"
			title = "Interviewing suspected victims"
		)
		ed := s.newPerson(t, "Erin Edwards", "erin.edwards@dc.police.example.uk", home, policies.RoleGuidanceEditor)
		ap := s.newPerson(t, "Amir Aziz", "amir.aziz@dc.police.example.uk", home, policies.RoleGuidanceApprover)
		of := s.newPerson(t, "Olu Okoro", "olu.okoro@dc.police.example.uk", home, policies.RoleOfficer)
		su := s.newPerson(t, "Sue Sandhu", "sue.sandhu@dc.police.example.uk", home, policies.RoleSupervisor)
		pdf := filepath.Join(t.TempDir(), "Interview checklist.pdf")
		if err := os.WriteFile(pdf, guidancePDF, 0o600); err != nil {
			t.Fatal(err)
		}

		// The editor drafts, with a mistake first, attaches a file and sends it for approval.
		e := newTab(t, s.base, js)
		e.startAs(ed, "library home, editor", "/guidance", http.StatusOK, "Guidance library")
		e.checkPage("draft form", e.press("Draft new guidance"), http.StatusOK, "Draft new guidance")
		f := e.checkPage("draft form, empty", e.press("Save draft"), http.StatusUnprocessableEntity, "Draft new guidance")
		// Every error of the form at once, in the order of the fields.
		f.wantErrorsAt(t, "draft form, empty", "title", "summary", "body", "category")
		e.fill("title", title,
			"summary", "How to plan and hold an interview with a person who may be a victim of modern slavery.",
			"body", "## Before the interview\n\nBook an interpreter through the force language line.\n\n- Check the person's **first language**\n- Offer a break every hour",
			"category", "victims", "tags", "interviews, interpreters")
		e.choose("options", "requires_ack")
		e.checkPage("draft saved", e.press("Save draft"), http.StatusOK, title)
		e.expectText("draft saved", ".govuk-notification-banner", "Your draft is saved")
		versionPath := e.location()
		f = e.checkPage("attach without a file", e.press("Attach file"), http.StatusUnprocessableEntity, title)
		if links := errorLinks(f); !slices.Equal(links, []string{"#file"}) {
			t.Errorf("attach without a file: error summary %q, want #file", links)
		}
		e.upload("file", pdf)
		e.checkPage("file attached", e.press("Attach file"), http.StatusOK, title)
		e.expectText("file attached", "main", "Interview checklist.pdf")
		e.checkPage("sent for approval", e.press("Send for approval"), http.StatusOK, title)
		e.expectText("sent for approval", ".govuk-notification-banner", "sent for approval")
		e.expectPath("sent for approval", versionPath)
		e.checkPage("dashboard, editor", e.visit("/guidance/manage"), http.StatusOK, "Your organisation's guidance")
		e.expectText("dashboard, editor", "main", "waiting for approval")
		e.done()

		// The approver returns it without a comment (refused), then publishes it.
		a := e.freshTab()
		a.startAs(ap, "dashboard, approver", "/guidance/manage", http.StatusOK, "Your organisation's guidance")
		a.expectText("dashboard, approver", "main", "Waiting for your decision")
		a.checkPage("version to decide", a.press(title+", version 1"), http.StatusOK, title)
		f = a.checkPage("return without a comment", a.press("Return with comments"), http.StatusUnprocessableEntity, title)
		if links := errorLinks(f); !slices.Equal(links, []string{"#comment"}) {
			t.Errorf("return without a comment: error summary %q, want #comment", links)
		}
		a.checkPage("published", a.press("Publish"), http.StatusOK, title)
		a.expectText("published", ".govuk-notification-banner", "The version is published")
		docPath := a.location()
		if !regexp.MustCompile(`^/guidance/documents/\d+$`).MatchString(docPath) {
			t.Fatalf("published: at %s, want the document page", docPath)
		}
		a.done()

		// The officer finds it by a word of its text, reads it, downloads the file, acknowledges.
		o := e.freshTab()
		o.checkPage("start page, officer", o.signInAs(of), http.StatusOK, "MSP Hub")
		o.checkPage("library home, officer", o.visit("/guidance"), http.StatusOK, "Guidance library")
		o.expectText("library home, officer", "#outstanding + p + ul", title)
		o.fill("q", "interpreter")
		o.checkPage("search results", o.press("Search"), http.StatusOK, "Search guidance")
		// Words are stemmed: "interpreter" finds and marks "interpreter" and "interpreters".
		if marks := o.texts("main mark"); len(marks) == 0 || !strings.HasPrefix(strings.ToLower(marks[0]), "interpreter") {
			t.Errorf("search results: highlighted %q, want interpreter", marks)
		}
		o.checkPage("document", o.press(title), http.StatusOK, title)
		o.expectPath("document", docPath)
		if banners := o.texts(".app-classification"); !slices.Equal(banners, []string{"Protective marking: OFFICIAL", "Protective marking: OFFICIAL"}) {
			t.Errorf("document: protective markings %q, want OFFICIAL top and bottom", banners)
		}
		o.expectText("document", "main h3", "Before the interview")
		name, body := o.download("Interview checklist.pdf")
		if name != "OFFICIAL - Interview checklist.pdf" || !bytes.Equal(body, guidancePDF) {
			t.Errorf("download: saved as %q, %d bytes", name, len(body))
		}
		o.checkPage("acknowledged", o.press("I have read this guidance"), http.StatusOK, title)
		o.expectText("acknowledged", ".govuk-notification-banner", "Your acknowledgement is recorded")
		o.expectText("acknowledged", "main", "You confirmed you had read this guidance")
		o.checkPage("browse", o.visit("/guidance/search"), http.StatusOK, "Browse guidance")
		o.done()

		// A major second version: the officer must acknowledge again, and can see what changed.
		e.checkPage("document, editor", e.visit(docPath), http.StatusOK, title)
		e.checkPage("second version form", e.press("Start a new version"), http.StatusOK, "Change version 2 of "+title)
		e.fill("body", "## Before the interview\n\nBook an interpreter through the force language line at least a day ahead.\n\n- Check the person's **first language**\n- Offer a break every hour",
			"change_note", "Interpreters must be booked a day ahead.")
		e.choose("options", "major")
		e.checkPage("second version saved", e.press("Save draft"), http.StatusOK, title)
		e.checkPage("second version sent", e.press("Send for approval"), http.StatusOK, title)
		second := e.location()
		e.done()
		a.checkPage("second version to decide", a.visit(second), http.StatusOK, title)
		a.checkPage("second version published", a.press("Publish"), http.StatusOK, title)
		a.done()

		o.checkPage("library home, major change", o.visit("/guidance"), http.StatusOK, "Guidance library")
		o.expectText("library home, major change", "#outstanding + p + ul", title)
		o.checkPage("history", o.visit(docPath+"/history"), http.StatusOK, title)
		o.expectText("history", ".moj-timeline", "Version 2 published")
		o.checkPage("what changed", o.press("What changed from version 1"), http.StatusOK, "Changes from version 1 to version 2")
		if added := o.texts("main ins"); len(added) != 1 || !strings.Contains(added[0], "added: Book an interpreter") || !strings.Contains(added[0], "a day ahead") {
			t.Errorf("what changed: added lines %q", added)
		}
		if removed := o.texts("main del"); len(removed) != 1 || !strings.HasPrefix(removed[0], "removed: ") {
			t.Errorf("what changed: removed lines %q", removed)
		}
		o.done()

		// The supervisor sees who has acknowledged.
		sp := e.freshTab()
		sp.startAs(su, "acknowledgements", "/guidance/acknowledgements", http.StatusOK, "Who has acknowledged guidance")
		sp.checkPage("acknowledgements of one", sp.press(title), http.StatusOK, title)
		sp.expectText("acknowledgements of one", ".govuk-table__body", "Olu Okoro")
		sp.done()
	})
}
