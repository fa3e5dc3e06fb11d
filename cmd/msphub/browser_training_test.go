//go:build browser

// Browser test of the training journey: a trainer creates a course, a session and a material;
// an officer asks for a place; their supervisor approves; the officer downloads the material;
// the trainer keeps the register and completes the session; the officer downloads the
// certificate. On the way every page training adds is checked, axe-core included, with the
// page's JavaScript on and off.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/training"
	"github.com/msptp/msphub/policies"
)

// saveDownload clicks the link whose text is label, lets the browser save what it downloads into a
// temporary directory, and returns the file's bytes and its name as the browser chose it.
func (b *tab) saveDownload(label string) ([]byte, string) {
	b.t.Helper()
	dir := b.t.TempDir()
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	names := make(chan string, 1)
	done := make(chan string, 1)
	if err := chromedp.ListenBrowser(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *cdpbrowser.EventDownloadWillBegin:
			select {
			case names <- ev.SuggestedFilename:
			default:
			}
		case *cdpbrowser.EventDownloadProgress:
			if ev.State == cdpbrowser.DownloadProgressStateCompleted {
				select {
				case done <- ev.GUID:
				default:
				}
			}
		}
	}); err != nil {
		b.t.Fatal(err)
	}
	on := true
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, BrowserContextID: chromedp.FromContext(b.ctx).BrowserContextID,
		DownloadPath: dir, EventsEnabled: &on}); err != nil {
		b.t.Fatal(err)
	}
	sel := fmt.Sprintf(`//a[normalize-space()=%q]`, label)
	if _, err := chromedp.Run(b.ctx, chromedp.Click(sel)); err != nil {
		b.t.Fatalf("download %q: %v", label, err)
	}
	var name string
	select {
	case name = <-names:
	case <-time.After(30 * time.Second):
		b.t.Fatalf("download %q: it did not begin", label)
	}
	select {
	case guid := <-done:
		body, err := os.ReadFile(filepath.Join(dir, guid))
		if err != nil {
			b.t.Fatal(err)
		}
		return body, name
	case <-time.After(30 * time.Second):
		b.t.Fatalf("download %q: it did not complete", label)
	}
	return nil, ""
}

// chooseFile chooses a file for the file input with id.
func (b *tab) chooseFile(id, path string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.SetUploadFiles(chromedp.ID(id), []string{path})); err != nil {
		b.t.Fatalf("choose file for %s: %v", id, err)
	}
}

var trainingIDInPath = regexp.MustCompile(`/(\d+)`)

// trainingPathID is the first number in a path: the id of what the page shows.
func trainingPathID(t *testing.T, path string) string {
	m := trainingIDInPath.FindStringSubmatch(path)
	if m == nil {
		t.Fatalf("no id in %s", path)
	}
	return m[1]
}

func TestBrowserTrainingJourney(t *testing.T) {
	bothModes(t, func(t *testing.T, s *identitySite, js bool) {
		trainer := s.newPerson(t, "Tara Trainer", "tara.trainer@msptu.example.gov.uk", identity.ProgrammeUnitSlug, policies.RoleTrainer)
		officer := s.newPerson(t, "Owen Officer", "owen.officer@dc.police.example.uk", "devon-and-cornwall-police", policies.RoleOfficer)
		sup := s.newPerson(t, "Sita Supervisor", "sita.supervisor@dc.police.example.uk", "devon-and-cornwall-police", policies.RoleSupervisor)
		material := filepath.Join(t.TempDir(), "Delegate handbook.pdf")
		handbook := "%PDF-1.4\n% MSP Hub delegate handbook\n%%EOF\n"
		if err := os.WriteFile(material, []byte(handbook), 0o600); err != nil {
			t.Fatal(err)
		}
		today := time.Now().In(core.London)
		day, month, year := fmt.Sprint(today.Day()), fmt.Sprint(int(today.Month())), fmt.Sprint(today.Year())

		// The trainer creates a course: a mistake first.
		tb := newTab(t, s.base, js)
		tb.checkPage("trainer signed in", tb.signInAs(trainer), http.StatusOK, "MSP Hub")
		tb.checkPage("catalogue", tb.visit("/courses"), http.StatusOK, "Training courses")
		tb.checkPage("create a course", tb.press("Create a course"), http.StatusOK, "Create a course")
		// An empty form shows all its errors at once; going to its address again after the
		// failed post shows the form, not "Method Not Allowed".
		f := tb.checkPage("create a course, empty", tb.press("Save"), http.StatusUnprocessableEntity, "Create a course")
		f.wantErrorsAt(t, "create a course, empty", "code", "title")
		tb.checkPage("create a course, again", tb.visit(tb.location()), http.StatusOK, "Create a course")
		tb.fill("title", "Modern slavery investigators")
		f = tb.checkPage("create a course, no code", tb.press("Save"), http.StatusUnprocessableEntity, "Create a course")
		f.wantOneErrorAt(t, "create a course, no code", "code")
		tb.fill("code", "msi-4d", "description", "The four-day College-accredited course.\n\nFor PIP2 investigators.", "cpd_hours", "28", "validity_months", "36")
		tb.choose("eligible_roles", policies.RoleOfficer)
		tb.choose("approval_required", "yes")
		tb.checkPage("course, created", tb.press("Save"), http.StatusOK, "Modern slavery investigators")
		tb.expectText("course, created", ".govuk-notification-banner", "The course has been created as a draft")
		coursePath := tb.location()

		// Material: upload, then publish.
		tb.checkPage("course material", tb.press("Course material"), http.StatusOK, "Course material")
		tb.fill("title", "Delegate handbook")
		tb.chooseFile("file", material)
		tb.checkPage("course material, uploaded", tb.press("Upload"), http.StatusOK, "Course material")
		tb.expectText("course material, uploaded", ".govuk-notification-banner", "The file has been uploaded")
		tb.checkPage("course material, published", tb.press("Publish version 1 of Delegate handbook"), http.StatusOK, "Course material")
		tb.expectText("course material, published", ".govuk-table__body", "Published")

		// Publish the course and schedule a session held today.
		tb.checkPage("course", tb.visit(coursePath), http.StatusOK, "Modern slavery investigators")
		tb.checkPage("course, published", tb.press("Publish the course"), http.StatusOK, "Modern slavery investigators")
		tb.checkPage("schedule a session", tb.press("Schedule a session"), http.StatusOK, "Schedule a session")
		f = tb.checkPage("schedule a session, empty", tb.press("Save session"), http.StatusUnprocessableEntity, "Schedule a session")
		if len(f.Links) < 5 {
			t.Errorf("schedule a session, empty: %d errors in the summary, want every one at once", len(f.Links))
		}
		tb.fill("starts_on-day", day, "starts_on-month", month, "starts_on-year", "26",
			"start_time", "00:00", "end_time", "23:59", "venue", "Middlemoor, Exeter", "capacity", "12", "min_learners", "4",
			"booking_closes-day", day, "booking_closes-month", month, "booking_closes-year", year, "booking_closes_time", "23:59",
			"cancellation_cutoff-day", day, "cancellation_cutoff-month", month, "cancellation_cutoff-year", year, "cancellation_cutoff_time", "00:00")
		f = tb.checkPage("schedule a session, bad year", tb.press("Save session"), http.StatusUnprocessableEntity, "Schedule a session")
		f.wantOneErrorAt(t, "schedule a session, bad year", "starts_on-day")
		tb.fill("starts_on-year", year)
		h1 := "Session: " + today.Format("Monday 2 January 2006") + ", 12:00am to 11:59pm"
		tb.checkPage("session, created", tb.press("Save session"), http.StatusOK, h1)
		sessionPath := tb.location()
		sessionID := trainingPathID(t, sessionPath)
		tb.checkPage("change the session", tb.press("Change the session"), http.StatusOK, "Change the session")
		tb.checkPage("session, unchanged", tb.press("Save session"), http.StatusOK, h1)
		tb.checkPage("cancel the session?", tb.press("Cancel the session"), http.StatusOK, "Cancel the session of MSI-4D")
		tb.checkPage("session, not cancelled", tb.press("Go back"), http.StatusOK, h1)
		tb.checkPage("teaching", tb.visit("/teaching"), http.StatusOK, "Your teaching")
		tb.done()

		// The officer asks for a place.
		ob := tb.freshTab()
		ob.checkPage("officer signed in", ob.signInAs(officer), http.StatusOK, "MSP Hub")
		ob.checkPage("catalogue, officer", ob.visit("/courses?q=investigators&eligible=yes"), http.StatusOK, "Training courses")
		ob.checkPage("course, officer", ob.press("MSI-4D Modern slavery investigators"), http.StatusOK, "Modern slavery investigators")
		if ob.has(`a[href$="/download"]`) {
			t.Error("the material shows before the officer has a place")
		}
		ob.checkPage("session, officer", ob.visit(sessionPath), http.StatusOK, h1)
		ob.checkPage("session, requested", ob.press("Request a place"), http.StatusOK, h1)
		ob.expectText("session, requested", ".govuk-notification-banner", "sent to your supervisor")
		ob.expectText("session, requested", "main", "Waiting for approval")
		ob.done()

		// The supervisor approves, and looks at their staff's training.
		sb := tb.freshTab()
		sb.startAs(sup, "approvals", "/approvals", http.StatusOK, "Training requests to decide")
		sb.checkPage("approvals, approved", sb.press("Approve Owen Officer’s request for MSI-4D"), http.StatusOK, "Training requests to decide")
		sb.expectText("approvals, approved", ".govuk-notification-banner", "they have a place")
		sb.checkPage("staff training", sb.visit("/staff-training"), http.StatusOK, "Staff training")
		sb.checkPage("staff record", sb.press("Owen Officer"), http.StatusOK, "Learning record of Owen Officer")
		sb.expectText("staff record", ".govuk-table__body", "Place booked")
		sb.checkPage("session, supervisor", sb.visit(sessionPath), http.StatusOK, h1)
		sb.checkPage("book staff", sb.press("Book your staff from a list"), http.StatusOK, "Book your staff from a list")
		list := filepath.Join(t.TempDir(), "staff.csv")
		if err := os.WriteFile(list, []byte("name,email\nOwen,"+officer.Email+"\nNobody,nobody@dc.police.example.uk\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		sb.chooseFile("file", list)
		sb.checkPage("book staff, results", sb.press("Book these people"), http.StatusOK, "Book your staff from a list")
		if rows := sb.texts(".govuk-table__body .govuk-table__row"); len(rows) != 2 || !strings.Contains(rows[0], "already have a place") || !strings.Contains(rows[1], "No one in your organisation") {
			t.Errorf("book staff, results: %q", rows)
		}
		sb.done()

		// The officer, told, downloads the material.
		ob.checkPage("notifications", ob.visit("/notifications"), http.StatusOK, "Notifications")
		ob.expectText("notifications", ".govuk-table__body", "approved your request")
		ob.checkPage("session from a notification", ob.press("Open: Your supervisor approved your request: you have a place on MSI-4D Modern slavery investigators starting "+today.Format("2 January 2006")+"."), http.StatusOK, h1)
		ob.expectText("session from a notification", "main", "Place booked")
		ob.checkPage("course, with a place", ob.visit(coursePath), http.StatusOK, "Modern slavery investigators")
		body, name := ob.saveDownload("Delegate handbook (download)")
		if string(body) != handbook || name != "Delegate handbook.pdf" {
			t.Errorf("material download: %q named %q", body, name)
		}

		// The trainer keeps the register and completes the session.
		tb.checkPage("learners", tb.visit(sessionPath+"/learners"), http.StatusOK, "Learners")
		tb.expectText("learners", ".govuk-table__body", "Owen Officer")
		tb.checkPage("cancel a booking?", tb.press("Cancel the booking of Owen Officer"), http.StatusOK, "Cancel Owen Officer’s booking")
		tb.checkPage("register", tb.visit(sessionPath+"/register"), http.StatusOK, "Attendance register")
		tb.checkPage("register, nothing marked", tb.press("Save the register"), http.StatusUnprocessableEntity, "Attendance register")
		tb.choose(fmt.Sprintf("mark-%s", trainingEnrolmentOf(t, s, officer.ID, sessionID)), training.AttendanceAttended)
		tb.checkPage("register, saved", tb.press("Save the register"), http.StatusOK, "Attendance register")
		tb.expectText("register, saved", ".govuk-notification-banner", "The register has been saved")
		tb.checkPage("register, are you sure", tb.press("Complete and issue certificates"), http.StatusOK, "Are you sure you want to complete the session and issue certificates?")
		tb.checkPage("register, completed", tb.press("Yes, complete and issue certificates"), http.StatusOK, "Attendance register")
		tb.expectText("register, completed", ".govuk-table__body", "Certificate MSPC-")
		tb.done()

		// The officer downloads their certificate and checks it publicly.
		ob.checkPage("my training", ob.visit("/my-training"), http.StatusOK, "My training")
		number := ob.text(".govuk-table__body a[href^='/certificates/']")
		ob.checkPage("certificate", ob.press(number), http.StatusOK, "Certificate "+number)
		pdf, pdfName := ob.saveDownload("Download the certificate (PDF)")
		if !strings.HasPrefix(string(pdf), "%PDF-") || !strings.Contains(string(pdf), number) || !strings.Contains(string(pdf), "Owen Officer") ||
			pdfName != "certificate-"+number+".pdf" {
			t.Errorf("certificate PDF %q: %d bytes", pdfName, len(pdf))
		}
		ob.checkPage("my training, calendar", ob.visit("/my-training"), http.StatusOK, "My training")
		ob.checkPage("my training, calendar address", ob.press("Get a calendar address"), http.StatusOK, "My training")
		if feed := ob.text("code.app-secret"); !strings.Contains(feed, "/calendar/") {
			t.Errorf("calendar address %q", feed)
		}
		ob.done()

		// Anyone, signed in or not, checks the certificate's code.
		var code string
		if err := s.app.db.Gorm().Table("certificates").Select("code").Where("number = ?", number).Scan(&code).Error; err != nil || code == "" {
			t.Fatalf("certificate code: %v", err)
		}
		pb := tb.freshTab()
		pb.checkPage("verify", pb.visit("/certificates/verify"), http.StatusOK, "Check a training certificate")
		pb.fill("code", strings.ToLower(code))
		pb.checkPage("verify, valid", pb.press("Check"), http.StatusOK, "Check a training certificate")
		pb.expectText("verify, valid", ".govuk-panel", "Valid certificate")
		if pb.has(".app-account-bar") {
			t.Error("the public verification page shows an account bar")
		}
		// It names the holder and the course, to match against the certificate shown, and not
		// the certificate number.
		if main := pb.text("main"); !strings.Contains(main, "Owen Officer") || !strings.Contains(main, "MSI-4D") || strings.Contains(main, number) {
			t.Errorf("the public verification page says %q", main)
		}
		pb.fill("code", "AAAA-BBBB-CCCC-DDDD")
		pb.checkPage("verify, not found", pb.press("Check"), http.StatusNotFound, "Check a training certificate")
		pb.expectText("verify, not found", "main", "No certificate found")
		pb.done()
	})
}

// trainingEnrolmentOf is the id of the user's enrolment on the session, read from the database.
func trainingEnrolmentOf(t *testing.T, s *identitySite, userID int64, sessionID string) string {
	t.Helper()
	var id int64
	if err := s.app.db.Gorm().Table("enrolments").Select("id").Where("user_id = ? AND session_id = ?", userID, sessionID).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("enrolment of %d: %v", userID, err)
	}
	return fmt.Sprint(id)
}

// signedInActor signs p in through the operations and returns them as an actor, for setting up
// what a journey starts from without spending the browser's time on it.
func signedInActor(t *testing.T, s *identitySite, p *person) core.Actor {
	t.Helper()
	ctx := context.Background()
	in, err := s.app.services.Sessions.SignIn(ctx, p.Email, p.Password)
	if err != nil {
		t.Fatalf("sign in %s: %v", p.Email, err)
	}
	who, _, err := s.app.services.Sessions.Authenticate(ctx, in.Token)
	if err != nil {
		t.Fatalf("authenticate %s: %v", p.Email, err)
	}
	return who
}

// The pages of training the main journey does not pass through, checked the same way (axe,
// with and without JavaScript): a trainer changes a course; a supervisor declines a request,
// first without a reason; the learner sees why on the session page, and the queue is empty.
func TestBrowserTrainingChangeAndDecline(t *testing.T) {
	bothModes(t, func(t *testing.T, s *identitySite, js bool) {
		ctx := context.Background()
		trainer := s.newPerson(t, "Tom Trainer", "tom.trainer@msptu.example.gov.uk", identity.ProgrammeUnitSlug, policies.RoleTrainer)
		officer := s.newPerson(t, "Olive Officer", "olive.officer@dc.police.example.uk", "devon-and-cornwall-police", policies.RoleOfficer)
		sup := s.newPerson(t, "Sam Supervisor", "sam.supervisor@dc.police.example.uk", "devon-and-cornwall-police", policies.RoleSupervisor)
		tr := s.app.services.Training
		teacher := signedInActor(t, s, trainer)
		c, err := tr.CreateCourse(ctx, teacher, training.CourseInput{Code: "VIC-2D", Title: "Interviewing victims", CPDHours: 14, ApprovalRequired: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.PublishCourse(ctx, teacher, c.ID); err != nil {
			t.Fatal(err)
		}
		start := time.Now().Add(10 * 24 * time.Hour).Truncate(time.Hour)
		session, err := tr.CreateSession(ctx, teacher, c.ID, training.SessionInput{Days: []training.DayInput{{StartsAt: start, EndsAt: start.Add(7 * time.Hour)}},
			Venue: "Hendon", Capacity: 10, BookingClosesAt: start.Add(-24 * time.Hour), CancellationCutoffAt: start.Add(-48 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Request(ctx, signedInActor(t, s, officer), session.ID); err != nil {
			t.Fatal(err)
		}
		// Another force's officer asks too, and withdraws at the end.
		other := s.newPerson(t, "Wes Walker", "wes.walker@kent.police.example.uk", "kent-police", policies.RoleOfficer)
		s.newPerson(t, "Kit Keeler", "kit.keeler@kent.police.example.uk", "kent-police", policies.RoleSupervisor) // who may decide Wes's request
		if _, err := tr.Request(ctx, signedInActor(t, s, other), session.ID); err != nil {
			t.Fatal(err)
		}
		coursePath, sessionPath := fmt.Sprintf("/courses/%d", c.ID), fmt.Sprintf("/sessions/%d", session.ID)

		tb := newTab(t, s.base, js)
		tb.checkPage("trainer signed in", tb.signInAs(trainer), http.StatusOK, "MSP Hub")
		tb.checkPage("course", tb.visit(coursePath), http.StatusOK, "Interviewing victims")
		tb.checkPage("change the course", tb.press("Change the course"), http.StatusOK, "Change VIC-2D")
		tb.fill("cpd_hours", "fourteen")
		f := tb.checkPage("change the course, bad hours", tb.press("Save"), http.StatusUnprocessableEntity, "Change VIC-2D")
		f.wantOneErrorAt(t, "change the course, bad hours", "cpd_hours")
		tb.fill("title", "Interviewing victims of modern slavery", "cpd_hours", "14.5")
		tb.checkPage("course, changed", tb.press("Save"), http.StatusOK, "Interviewing victims of modern slavery")
		tb.expectText("course, changed", "main", "14.5")
		tb.done()

		sb := tb.freshTab()
		sb.startAs(sup, "approvals", "/approvals", http.StatusOK, "Training requests to decide")
		sb.checkPage("decline?", sb.press("Decline Olive Officer’s request for VIC-2D"), http.StatusOK, "Decline Olive Officer’s request")
		f = sb.checkPage("decline, no reason", sb.press("Decline the request"), http.StatusUnprocessableEntity, "Decline Olive Officer’s request")
		f.wantOneErrorAt(t, "decline, no reason", "reason")
		declined := sb.location()
		sb.checkPage("decline, again", sb.visit(declined), http.StatusOK, "Decline Olive Officer’s request")
		sb.fill("reason", "Operation Kestrel needs you that week")
		sb.checkPage("approvals, declined", sb.press("Decline the request"), http.StatusOK, "Training requests to decide")
		sb.expectText("approvals, declined", "main", "No requests are waiting for your decision.")
		sb.done()

		ob := tb.freshTab()
		ob.checkPage("officer signed in", ob.signInAs(officer), http.StatusOK, "MSP Hub")
		ob.checkPage("session, declined", ob.visit(sessionPath), http.StatusOK, ob.text("h1"))
		ob.expectText("session, declined", "main", "Operation Kestrel needs you that week")
		ob.done()

		wb := tb.freshTab()
		wb.checkPage("other officer signed in", wb.signInAs(other), http.StatusOK, "MSP Hub")
		h1 := wb.text("h1")
		wb.checkPage("session, requested", wb.visit(sessionPath), http.StatusOK, wb.text("h1"))
		wb.checkPage("withdraw, are you sure", wb.press("Withdraw from this session"), http.StatusOK, "Are you sure you want to withdraw from this session?")
		wb.checkPage("session, withdrawn", wb.press("Yes, withdraw"), http.StatusOK, wb.text("h1"))
		if got := wb.text("h1"); got == h1 || !strings.HasPrefix(got, "Session: ") {
			t.Errorf("after withdrawing: h1 %q, want the session page", got)
		}
		wb.done()
	})
}
