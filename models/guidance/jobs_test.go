package guidance_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
)

// The editors and approvers of the owning organisation are reminded once when a guidance
// review falls due within 30 days and once more when it is overdue; others are not, and the
// title of OFFICIAL-SENSITIVE guidance stays out of the reminder.
func TestJobRemindGuidanceReviews(t *testing.T) {
	f := newGuidanceFixture(t)
	ctx := context.Background()
	uncleared := f.person(t, home, core.VettingNone, policies.RoleGuidanceEditor)
	elsewhere := f.person(t, "kent-police", core.VettingRV, policies.RoleGuidanceEditor, policies.RoleGuidanceApprover)
	open := f.publish(t, draft("Reparation orders", "Consider one after every conviction."))
	in := draft("Covert deployment", "Details of the tactic.")
	in.Classification = "OFFICIAL-SENSITIVE"
	sensitive := f.publish(t, in)

	reminders := func(who core.Actor) []string {
		t.Helper()
		var texts []string
		if err := f.db.Gorm().Model(&core.Notification{}).Where("user_id = ? AND kind = ?", who.UserID, guidance.NoticeReviewDue).
			Order("id").Pluck("text", &texts).Error; err != nil {
			t.Fatal(err)
		}
		return texts
	}
	run := func(at time.Time) core.JobRun {
		t.Helper()
		return modelstest.RunJobAt(t, f.s.Jobs, f.db, f.clock, at, guidance.JobRemindGuidanceReviews)
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
		who  core.Actor
		want []string
	}{
		{"editor", f.editor, []string{soon, soonOS, over, overOS}},
		{"approver", f.approver, []string{soon, soonOS, over, overOS}},
		{"editor without the clearance for the sensitive one", uncleared, []string{soon, over}},
		{"officer", f.officer, nil},
		{"editor and approver of another force", elsewhere, nil},
	} {
		if got := reminders(c.who); !slices.Equal(got, c.want) {
			t.Errorf("%s was told %q, want %q", c.name, got, c.want)
		}
	}
	var links []string
	f.db.Gorm().Model(&core.Notification{}).Where("user_id = ? AND kind = ?", f.editor.UserID, guidance.NoticeReviewDue).Order("id").Pluck("link", &links)
	if want := "/guidance/documents/" + idStr(open.DocumentID); len(links) != 4 || links[0] != want {
		t.Errorf("links %q, want the document's page %s first", links, want)
	}
	if n := modelstest.AuditCount(t, f.db, "guidance.review_remind", idStr(sensitive.DocumentID)); n != 2 {
		t.Errorf("%d audit events of reminders about the sensitive document, want 2", n)
	}
	// A review sets a new date: its reminders come in their turn.
	if _, err := f.s.Guidance.Review(ctx, f.editor, open.DocumentID, nil); err != nil {
		t.Fatal(err)
	}
	if r := run(time.Date(2027, 3, 5, 9, 0, 0, 0, time.UTC)); !strings.HasPrefix(r.Summary, "0 reminders") {
		t.Errorf("after the review: %q", r.Summary)
	}
	if r := run(time.Date(2028, 2, 20, 9, 0, 0, 0, time.UTC)); r.Summary != "1 reminder of a guidance review sent, to 3 people" {
		t.Errorf("the next year: %q", r.Summary)
	}
}
