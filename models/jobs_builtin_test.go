package models_test

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/policies"
)

// lastRun is the newest recorded run of job.
func (f *jobsFixture) lastRun(t testing.TB, job string) models.JobRun {
	t.Helper()
	runs := f.runs(t, job)
	if len(runs) == 0 {
		t.Fatalf("%s has not run", job)
	}
	return runs[len(runs)-1]
}

// auditCount counts the audit events with action (and object ID, unless "").
func auditCount(t testing.TB, db *models.DB, action, objectID string) int64 {
	t.Helper()
	q := db.Gorm().Table("audit_events").Where("action = ?", action)
	if objectID != "" {
		q = q.Where("object_id = ?", objectID)
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// The session clean-up removes sessions past the idle or the absolute time-out and keeps the
// live ones.
func TestJobExpireSessions(t *testing.T) {
	f := newJobsFixture(t)
	ctx := context.Background()
	s := f.replica(t)
	who := jobsPerson(t, s, policies.RoleOfficer)
	now := f.clock.now()
	for _, sess := range []models.Session{
		{ID: "idle", LastSeenAt: now.Add(-31 * time.Minute), CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(11 * time.Hour)},
		{ID: "old", LastSeenAt: now.Add(-time.Minute), CreatedAt: now.Add(-12 * time.Hour), ExpiresAt: now},
		{ID: "live", LastSeenAt: now.Add(-29 * time.Minute), CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour)},
	} {
		sess.UserID, sess.CSRFToken = who.UserID, "csrf-"+sess.ID
		if err := f.db.Gorm().Create(&sess).Error; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Jobs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	var left []string
	if err := f.db.Gorm().Model(&models.Session{}).Order("id").Pluck("id", &left).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(left, []string{"live"}) {
		t.Errorf("sessions left %q, want only the live one", left)
	}
	if r := f.lastRun(t, models.JobExpireSessions); r.Outcome != models.JobSucceeded || r.Summary != "2 expired sessions removed" {
		t.Errorf("run %+v", r)
	}
	if n := auditCount(t, f.db, "auth.sessions_expire", ""); n != 1 {
		t.Errorf("%d audit events of the clean-up, want 1", n)
	}
}

// The orphan sweep removes an object that no blob row refers to once it is older than the
// grace period, and keeps a younger orphan (an upload whose row may be about to commit), an
// object with a row, and anything outside the blob prefix.
func TestJobSweepOrphanedBlobs(t *testing.T) {
	f := newJobsFixture(t)
	ctx := context.Background()
	s := f.replica(t)
	put := func(key string) {
		t.Helper()
		env, err := f.blobs.Put(ctx, key, strings.NewReader("content of "+key), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(key, "referenced") {
			b := models.Blob{ObjectKey: key, KeyID: env.KeyID, WrappedKey: base64.StdEncoding.EncodeToString(env.WrappedKey), Size: env.Size,
				SHA256: env.SHA256, ContentType: "text/plain", CreatedAt: f.clock.now()}
			if err := f.db.Gorm().Create(&b).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	put("blobs/2026/01/old-orphan")
	put("blobs/2026/01/old-referenced")
	put("elsewhere/old-object")
	// S3 records modification times to the second: the young orphan must be a second younger.
	time.Sleep(1100 * time.Millisecond)
	put("blobs/2026/01/young-orphan")
	modified := map[string]time.Time{}
	if err := f.blobs.List(ctx, "", func(key string, _ int64, m time.Time) error { modified[key] = m; return nil }); err != nil {
		t.Fatal(err)
	}
	old, young := modified["blobs/2026/01/old-orphan"], modified["blobs/2026/01/young-orphan"]
	if !young.After(old) {
		t.Fatalf("the young orphan (%v) is not younger than the old one (%v)", young, old)
	}
	// The grace period ends between the two orphans.
	f.clock.set(old.Add(young.Sub(old)/2 + models.OrphanGrace))

	if _, err := s.Jobs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	var left []string
	if err := f.blobs.List(ctx, "", func(key string, _ int64, _ time.Time) error { left = append(left, key); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(left)
	if want := []string{"blobs/2026/01/old-referenced", "blobs/2026/01/young-orphan", "elsewhere/old-object"}; !slices.Equal(left, want) {
		t.Errorf("objects left %q, want %q", left, want)
	}
	if r := f.lastRun(t, models.JobSweepOrphanedBlobs); r.Outcome != models.JobSucceeded || r.Summary != "3 objects stored, 1 orphan removed" {
		t.Errorf("run %+v", r)
	}
	if n := auditCount(t, f.db, "blob.orphan_remove", "blobs/2026/01/old-orphan"); n != 1 {
		t.Errorf("%d audit events of the removal, want 1", n)
	}
	// Once the young orphan is past the grace period too, the next sweep removes it.
	f.clock.set(young.Add(models.OrphanGrace + 6*time.Hour + time.Second))
	if _, err := s.Jobs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if r := f.lastRun(t, models.JobSweepOrphanedBlobs); r.Summary != "2 objects stored, 1 orphan removed" {
		t.Errorf("second sweep %+v", r)
	}
}

// The editors and approvers of the owning organisation are reminded once when a guidance
// review falls due within 30 days and once more when it is overdue; others are not, and the
// title of OFFICIAL-SENSITIVE guidance stays out of the reminder.
func TestJobRemindGuidanceReviews(t *testing.T) {
	f := newGuidanceFixture(t)
	ctx := context.Background()
	editor := f.person(t, home, models.VettingRV, policies.RoleGuidanceEditor)
	approver := f.person(t, home, models.VettingRV, policies.RoleGuidanceApprover)
	uncleared := f.person(t, home, models.VettingNone, policies.RoleGuidanceEditor)
	officer := f.person(t, home, models.VettingRV, policies.RoleOfficer)
	elsewhere := f.person(t, "kent-police", models.VettingRV, policies.RoleGuidanceEditor, policies.RoleGuidanceApprover)
	open := f.publish(t, editor, approver, draft("Reparation orders", "Consider one after every conviction."))
	in := draft("Covert deployment", "Details of the tactic.")
	in.Classification = "OFFICIAL-SENSITIVE"
	sensitive := f.publish(t, editor, approver, in)

	reminders := func(who models.Actor) []string {
		t.Helper()
		var texts []string
		if err := f.db.Gorm().Model(&models.Notification{}).Where("user_id = ? AND kind = ?", who.UserID, models.NoticeReviewDue).
			Order("id").Pluck("text", &texts).Error; err != nil {
			t.Fatal(err)
		}
		return texts
	}
	run := func(at time.Time) models.JobRun {
		t.Helper()
		f.clock.set(at)
		if _, err := f.s.Jobs.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		var r models.JobRun
		if err := f.db.Gorm().Where("job = ?", models.JobRemindGuidanceReviews).Order("id DESC").Take(&r).Error; err != nil {
			t.Fatal(err)
		}
		if r.Outcome != models.JobSucceeded {
			t.Fatalf("run at %v: %+v", at, r)
		}
		return r
	}
	// Both were published on 2 March 2026: their review falls due on 2 March 2027.
	if r := run(time.Date(2027, 1, 30, 9, 0, 0, 0, time.UTC)); !strings.HasPrefix(r.Summary, "0 reminders") {
		t.Errorf("two months early: %q", r.Summary)
	}
	if r := run(time.Date(2027, 2, 2, 9, 0, 0, 0, time.UTC)); r.Summary != "2 reminders of a guidance review sent, to 5 people" {
		t.Errorf("due soon: %q", r.Summary)
	}
	for at := time.Date(2027, 2, 2, 10, 0, 0, 0, time.UTC); at.Before(time.Date(2027, 3, 3, 0, 0, 0, 0, time.UTC)); at = at.Add(24 * time.Hour) {
		if r := run(at); !strings.HasPrefix(r.Summary, "0 reminders") {
			t.Fatalf("again on %v: %q", at, r.Summary)
		}
	}
	run(time.Date(2027, 3, 3, 9, 0, 0, 0, time.UTC))
	run(time.Date(2027, 3, 4, 9, 0, 0, 0, time.UTC))

	soon := `The guidance "Reparation orders" is due for review on 2 March 2027.`
	soonOS := "A guidance document of your organisation is due for review on 2 March 2027."
	over := `The guidance "Reparation orders" was due for review on 2 March 2027 and has not been reviewed.`
	overOS := "A guidance document of your organisation was due for review on 2 March 2027 and has not been reviewed."
	for _, c := range []struct {
		name string
		who  models.Actor
		want []string
	}{
		{"editor", editor, []string{soon, soonOS, over, overOS}},
		{"approver", approver, []string{soon, soonOS, over, overOS}},
		{"editor without the clearance for the sensitive one", uncleared, []string{soon, over}},
		{"officer", officer, nil},
		{"editor and approver of another force", elsewhere, nil},
	} {
		if got := reminders(c.who); !slices.Equal(got, c.want) {
			t.Errorf("%s was told %q, want %q", c.name, got, c.want)
		}
	}
	var links []string
	f.db.Gorm().Model(&models.Notification{}).Where("user_id = ? AND kind = ?", editor.UserID, models.NoticeReviewDue).Order("id").Pluck("link", &links)
	if want := "/guidance/documents/" + idStr(open.DocumentID); len(links) != 4 || links[0] != want {
		t.Errorf("links %q, want the document's page %s first", links, want)
	}
	if n := auditCount(t, f.db, "guidance.review_remind", idStr(sensitive.DocumentID)); n != 2 {
		t.Errorf("%d audit events of reminders about the sensitive document, want 2", n)
	}
	// A review sets a new date: its reminders come in their turn.
	if _, err := f.s.Guidance.Review(ctx, editor, open.DocumentID, nil); err != nil {
		t.Fatal(err)
	}
	if r := run(time.Date(2027, 3, 5, 9, 0, 0, 0, time.UTC)); !strings.HasPrefix(r.Summary, "0 reminders") {
		t.Errorf("after the review: %q", r.Summary)
	}
	if r := run(time.Date(2028, 2, 20, 9, 0, 0, 0, time.UTC)); r.Summary != "1 reminder of a guidance review sent, to 3 people" {
		t.Errorf("the next year: %q", r.Summary)
	}
}

// The runner runs the case files' share expiry: a share that ran out is recorded, and its
// liaison and supervisor told, once, whatever the number of runs.
func TestJobExpireCPSShares(t *testing.T) {
	f := newCaseFixture(t)
	ctx := context.Background()
	_, sh := f.sharedCase(t, 1)
	run := func(at time.Time) models.JobRun {
		t.Helper()
		f.clock.set(at)
		if _, err := f.s.Jobs.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		var r models.JobRun
		if err := f.db.Gorm().Where("job = ?", models.JobExpireCPSShares).Order("id DESC").Take(&r).Error; err != nil {
			t.Fatal(err)
		}
		if r.Outcome != models.JobSucceeded {
			t.Fatalf("run at %v: %+v", at, r)
		}
		return r
	}
	if r := run(sh.ExpiresAt.Add(-time.Minute)); r.Summary != "no CPS shares expired" {
		t.Errorf("before the end of the share: %q", r.Summary)
	}
	if r := run(sh.ExpiresAt.Add(15 * time.Minute)); r.Summary != "1 CPS share expired" {
		t.Errorf("after it: %q", r.Summary)
	}
	if r := run(sh.ExpiresAt.Add(30 * time.Minute)); r.Summary != "no CPS shares expired" {
		t.Errorf("the next run: %q", r.Summary)
	}
	for _, who := range []models.Actor{f.sup, f.liaison} {
		if notes := f.notices(t, who.UserID, models.NoticeCaseShare); len(notes) != 1 {
			t.Errorf("%s was told %d times, want once", who.Name, len(notes))
		}
	}
}
