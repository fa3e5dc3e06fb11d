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

// open lists the people whose notification of subject is still open, by user ID.
func (f *guidanceFixture) open(t testing.TB, subject string) []int64 {
	t.Helper()
	var ids []int64
	if err := f.db.Gorm().Table("notifications").Where("subject = ? AND done_at IS NULL", subject).Order("user_id").Pluck("user_id", &ids).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

// A version sent for approval asks the approvers of the owning organisation who may decide on
// it (clearance covering it, none of it written by them), and only them; the decision closes
// every request, whoever made it, and tells the people who wrote the version.
func TestGuidanceApprovalHandOvers(t *testing.T) {
	f := newGuidanceFixture(t)
	ctx := context.Background()
	editor2 := f.cleared(t, policies.RoleGuidanceEditor)
	approver2 := f.cleared(t, policies.RoleGuidanceApprover)
	both := f.cleared(t, policies.RoleGuidanceEditor, policies.RoleGuidanceApprover)
	uncleared := f.person(t, home, core.VettingNone, policies.RoleGuidanceApprover)
	elsewhere := f.person(t, "kent-police", core.VettingRV, policies.RoleGuidanceApprover)
	_ = elsewhere // exists, and must not be asked

	v, err := f.s.Guidance.Create(ctx, f.editor, draft("Reparation orders", "Consider one after every conviction."))
	if err != nil {
		t.Fatal(err)
	}
	subject := core.Subject(core.SubjectGuidanceVersion, v.ID)
	m := modelstest.NoticeMark(t, f.db)
	if _, err := f.s.Guidance.Submit(ctx, f.editor, v.ID); err != nil {
		t.Fatal(err)
	}
	got := modelstest.NoticesSince(t, f.db, m)
	if w := modelstest.UserIDs(f.approver, approver2, both, uncleared); !slices.Equal(modelstest.Recipients(got, ""), w) {
		t.Errorf("submitted: asked %v, want %v", modelstest.Recipients(got, ""), w)
	}
	for _, n := range got {
		if n.Subject != subject || n.Link != "/guidance/versions/"+core.IDString(v.ID) || n.Text != `The guidance "Reparation orders" is waiting for your approval.` {
			t.Errorf("submitted: %+v", n)
		}
	}

	// Returned: the requests close; the author is told.
	m = modelstest.NoticeMark(t, f.db)
	if _, err := f.s.Guidance.Return(ctx, f.approver, v.ID, "Add the legal basis"); err != nil {
		t.Fatal(err)
	}
	got = modelstest.NoticesSince(t, f.db, m)
	if !slices.Equal(modelstest.Recipients(got, ""), modelstest.UserIDs(f.editor)) || !strings.Contains(got[0].Text, "returned") {
		t.Errorf("returned: %+v, want the author told", got)
	}
	if open := f.open(t, subject); len(open) != 0 {
		t.Errorf("returned: requests still open for %v", open)
	}
	if note := modelstest.DoneNote(t, f.s.Notifications, approver2, subject); note != "Done: decided by someone else" {
		t.Errorf("another approver's request says %q", note)
	}

	// Changed by a second editor and sent again; published by the second approver: both writers
	// are told.
	in := draft("Reparation orders", "Consider one after every conviction, and say why.")
	if _, err := f.s.Guidance.UpdateDraft(ctx, editor2, v.ID, in); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Guidance.Submit(ctx, f.editor, v.ID); err != nil {
		t.Fatal(err)
	}
	m = modelstest.NoticeMark(t, f.db)
	if _, err := f.s.Guidance.Publish(ctx, approver2, v.ID); err != nil {
		t.Fatal(err)
	}
	got = modelstest.NoticesSince(t, f.db, m)
	if !slices.Equal(modelstest.Recipients(got, ""), modelstest.UserIDs(f.editor, editor2)) || !strings.Contains(got[0].Text, "was published") {
		t.Errorf("published: %+v, want both writers told", got)
	}
	if open := f.open(t, subject); len(open) != 0 {
		t.Errorf("published: requests still open for %v", open)
	}

	// OFFICIAL-SENSITIVE: only approvers whose clearance covers it are asked, and the title
	// stays out of the notification.
	os := draft("Covert deployment", "Details of the tactic.")
	os.Classification = "OFFICIAL-SENSITIVE"
	v2, err := f.s.Guidance.Create(ctx, f.editor, os)
	if err != nil {
		t.Fatal(err)
	}
	m = modelstest.NoticeMark(t, f.db)
	if _, err := f.s.Guidance.Submit(ctx, f.editor, v2.ID); err != nil {
		t.Fatal(err)
	}
	got = modelstest.NoticesSince(t, f.db, m)
	if w := modelstest.UserIDs(f.approver, approver2, both); !slices.Equal(modelstest.Recipients(got, ""), w) {
		t.Errorf("sensitive submitted: asked %v, want %v", modelstest.Recipients(got, ""), w)
	}
	for _, n := range got {
		if strings.Contains(n.Text, "Covert") {
			t.Errorf("the title of sensitive guidance is in %q", n.Text)
		}
	}
}

// Guidance that asks to be acknowledged is announced to its audience by a background job, not
// in the publish transaction: everyone inside the audience is told once, nobody outside it; a
// person's notice closes when they acknowledge; a minor version announces nothing, a major one
// announces again.
func TestGuidanceAcknowledgementAnnounced(t *testing.T) {
	f := newGuidanceFixture(t)
	ctx := context.Background()
	kent := f.person(t, "kent-police", core.VettingRV, policies.RoleOfficer)
	cps := f.person(t, "cps-south-west", core.VettingRV, policies.RoleCPSLiaison)
	_ = cps // outside a police-only audience
	in := draft("Victim care", "Refer every victim to the NRM first responder.")
	in.Audience = guidance.GuidanceAudience{Scope: guidance.GuidanceAudiencePolice}
	in.RequiresAck = true
	m := modelstest.NoticeMark(t, f.db)
	v := f.publish(t, in)
	subject := core.Subject(core.SubjectGuidanceAck, v.ID)
	if n := len(f.open(t, subject)); n != 0 {
		t.Errorf("%d told in the publish transaction, want none before the job", n)
	}
	sum, err := f.s.Guidance.AnnounceAcknowledgements(ctx)
	if err != nil {
		t.Fatal(err)
	}
	audience := modelstest.UserIDs(f.editor, f.approver, f.officer, kent)
	if sum != "1 guidance version announced, to 4 people" {
		t.Errorf("summary %q", sum)
	}
	var acks []modelstest.Notice
	for _, n := range modelstest.NoticesSince(t, f.db, m) {
		if n.Kind == guidance.NoticeGuidanceAck {
			acks = append(acks, n)
		}
	}
	if !slices.Equal(modelstest.Recipients(acks, ""), audience) || len(acks) != 4 {
		t.Errorf("announced to %v (%d notices), want %v once each", modelstest.Recipients(acks, ""), len(acks), audience)
	}
	if acks[0].Link != "/guidance/documents/"+core.IDString(v.DocumentID) || acks[0].Subject != subject {
		t.Errorf("announcement: %+v", acks[0])
	}
	if sum, err := f.s.Guidance.AnnounceAcknowledgements(ctx); err != nil || sum != "0 guidance versions announced, to 0 people" {
		t.Errorf("second run: %q, %v", sum, err)
	}

	if _, err := f.s.Guidance.Acknowledge(ctx, f.officer, v.DocumentID); err != nil {
		t.Fatal(err)
	}
	if note := modelstest.DoneNote(t, f.s.Notifications, f.officer, subject); note != "Done" {
		t.Errorf("the acknowledged notice says %q", note)
	}
	if open := f.open(t, subject); !slices.Equal(open, modelstest.UserIDs(f.editor, f.approver, kent)) {
		t.Errorf("open after one acknowledgement: %v", open)
	}

	next := func(major bool) guidance.GuidanceVersion {
		t.Helper()
		nv, err := f.s.Guidance.StartVersion(ctx, f.editor, v.DocumentID)
		if err != nil {
			t.Fatal(err)
		}
		in.Major, in.ChangeNote = major, "Updated"
		if _, err := f.s.Guidance.UpdateDraft(ctx, f.editor, nv.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Guidance.Submit(ctx, f.editor, nv.ID); err != nil {
			t.Fatal(err)
		}
		nv, err = f.s.Guidance.Publish(ctx, f.approver, nv.ID)
		if err != nil {
			t.Fatal(err)
		}
		return nv
	}
	next(false)
	if sum, _ := f.s.Guidance.AnnounceAcknowledgements(ctx); sum != "0 guidance versions announced, to 0 people" {
		t.Errorf("a minor version: %q, want nothing announced", sum)
	}
	major := next(true)
	if sum, _ := f.s.Guidance.AnnounceAcknowledgements(ctx); sum != "1 guidance version announced, to 4 people" {
		t.Errorf("a major version: %q, want everyone again", sum)
	}
	if open := f.open(t, core.Subject(core.SubjectGuidanceAck, major.ID)); !slices.Equal(open, audience) {
		t.Errorf("a major version announced to %v", open)
	}
}

// A review reminder closes when the document is reviewed, by anyone who may review it.
func TestGuidanceReviewReminderClosesOnReview(t *testing.T) {
	f := newGuidanceFixture(t)
	ctx := context.Background()
	v := f.publish(t, draft("Reparation orders", "Consider one after every conviction."))
	f.clock.Set(time.Date(2027, 2, 2, 9, 0, 0, 0, time.UTC))
	if _, err := f.s.Jobs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	subject := core.Subject(core.SubjectGuidanceReview, v.DocumentID)
	if open := f.open(t, subject); !slices.Equal(open, modelstest.UserIDs(f.editor, f.approver)) {
		t.Fatalf("reminded %v, want the editor and the approver", open)
	}
	if _, err := f.s.Guidance.Review(ctx, f.approver, v.DocumentID, nil); err != nil {
		t.Fatal(err)
	}
	if open := f.open(t, subject); len(open) != 0 {
		t.Errorf("still open after the review: %v", open)
	}
	if note := modelstest.DoneNote(t, f.s.Notifications, f.editor, subject); note != "Done: decided by someone else" {
		t.Errorf("the editor's reminder says %q", note)
	}
}

// The home page counts of guidance work: what waits on each role, exactly.
func TestGuidanceToDo(t *testing.T) {
	f := newGuidanceFixture(t)
	ctx := context.Background()
	both := f.cleared(t, policies.RoleGuidanceEditor, policies.RoleGuidanceApprover)
	todo := modelstest.ToDo(f.s.ToDo)
	for _, p := range []core.Actor{f.editor, f.approver, both, f.officer} {
		todo.Want(t, p, p.Name+" at the start", map[string]int64{})
	}
	in := draft("Victim care", "Refer every victim to the NRM first responder.")
	in.RequiresAck = true
	v, err := f.s.Guidance.Create(ctx, both, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Guidance.Submit(ctx, both, v.ID); err != nil {
		t.Fatal(err)
	}
	todo.Want(t, f.approver, "approver, a version submitted", map[string]int64{guidance.ToDoApprove: 1})
	todo.Want(t, both, "the approver who wrote it", map[string]int64{})
	todo.Want(t, f.editor, "an editor", map[string]int64{})
	if _, err := f.s.Guidance.Publish(ctx, f.approver, v.ID); err != nil {
		t.Fatal(err)
	}
	ack := map[string]int64{guidance.ToDoAcknowledge: 1}
	todo.Want(t, f.officer, "officer, mandatory guidance published", ack)
	todo.Want(t, f.approver, "approver, mandatory guidance published", ack)
	if _, err := f.s.Guidance.Acknowledge(ctx, f.officer, v.DocumentID); err != nil {
		t.Fatal(err)
	}
	todo.Want(t, f.officer, "officer, acknowledged", map[string]int64{})
	f.clock.Set(time.Date(2027, 2, 10, 9, 0, 0, 0, time.UTC))
	todo.Want(t, f.editor, "editor, review due soon", map[string]int64{guidance.ToDoAcknowledge: 1, guidance.ToDoReview: 1})
	todo.Want(t, f.officer, "officer, review due soon", map[string]int64{})
}
