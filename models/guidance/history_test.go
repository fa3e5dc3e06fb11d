package guidance_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
)

// Publishing a new version supersedes the one before, which stays readable in the history with
// its author, approver, dates and change note; what changed between two versions is a line diff
// of the body. An approver's comments on a returned draft stay with the editors and approvers.
func TestGuidanceVersionHistory(t *testing.T) {
	f := newGuidanceFixture(t)
	ctx := context.Background()
	second := f.cleared(t, policies.RoleGuidanceEditor)
	otherApprover := f.cleared(t, policies.RoleGuidanceApprover)

	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	f.clock.Set(t0)
	in := draft("Victim navigators", "Offer a navigator.\nRecord the offer.\nReview weekly.")
	v1, err := f.s.Guidance.Create(ctx, f.editor, in)
	if err != nil {
		t.Fatal(err)
	}
	f.s.Guidance.Submit(ctx, f.editor, v1.ID)
	if _, err := f.s.Guidance.Return(ctx, f.approver, v1.ID, "Name the navigator service in the source informant note."); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Guidance.Submit(ctx, f.editor, v1.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0.Add(time.Hour))
	if _, err := f.s.Guidance.Publish(ctx, f.approver, v1.ID); err != nil {
		t.Fatal(err)
	}
	doc := v1.DocumentID

	f.clock.Set(t0.Add(24 * time.Hour))
	v2, err := f.s.Guidance.StartVersion(ctx, second, doc)
	if err != nil {
		t.Fatal(err)
	}
	if v2.Number != 2 || v2.Status != guidance.GuidanceDraft || v2.Body != in.Body || v2.Title != in.Title {
		t.Errorf("the new version does not start as a copy of the current one: %+v", v2)
	}
	changed := in
	changed.Body, changed.ChangeNote = "Offer a navigator.\nReview daily.\nClose after consent.", "Daily reviews"
	if _, err := f.s.Guidance.UpdateDraft(ctx, second, v2.ID, changed); err != nil {
		t.Fatal(err)
	}
	f.s.Guidance.Submit(ctx, second, v2.ID)
	f.clock.Set(t0.Add(25 * time.Hour))
	if _, err := f.s.Guidance.Publish(ctx, otherApprover, v2.ID); err != nil {
		t.Fatal(err)
	}

	// The document shows version 2; version 1 is superseded, still readable, with its people.
	d, err := f.s.Guidance.Document(ctx, f.officer, doc)
	if err != nil || d.Version.ID != v2.ID {
		t.Fatalf("document: version %d, %v", d.Version.ID, err)
	}
	old, err := f.s.Guidance.Version(ctx, f.officer, v1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if old.Status != guidance.GuidanceSuperseded || old.SupersededAt == nil || !old.SupersededAt.Equal(t0.Add(25*time.Hour)) ||
		old.Approver == nil || old.Approver.ID != f.approver.UserID || old.Author.ID != f.editor.UserID || old.Body != in.Body {
		t.Errorf("version 1 after version 2: %+v", old)
	}
	if old.ReturnComment != "" || old.ReturnedBy != nil {
		t.Errorf("a reader sees the approver's comments on the draft: %q", old.ReturnComment)
	}
	if byEditor, err := f.s.Guidance.Version(ctx, f.editor, v1.ID); err != nil || byEditor.ReturnComment == "" {
		t.Errorf("the editor does not see the approver's comments: %q, %v", byEditor.ReturnComment, err)
	}

	for name, who := range map[string]core.Actor{"officer": f.officer, "editor": f.editor} {
		h, err := f.s.Guidance.History(ctx, who, doc)
		if err != nil {
			t.Fatal(err)
		}
		var numbers []int
		for _, s := range h.Versions {
			numbers = append(numbers, s.Number)
		}
		if !slices.Equal(numbers, []int{2, 1}) || h.Classification != "OFFICIAL" {
			t.Fatalf("%s: history %v, marked %q", name, numbers, h.Classification)
		}
		n2, n1 := h.Versions[0], h.Versions[1]
		if n2.Author.ID != second.UserID || n2.Author.Name == "" || n2.Approver == nil || n2.Approver.ID != otherApprover.UserID ||
			n2.ChangeNote != "Daily reviews" || n2.PublishedAt == nil || !n2.PublishedAt.Equal(t0.Add(25*time.Hour)) || n2.Status != guidance.GuidancePublished {
			t.Errorf("%s: version 2 in the history: %+v", name, n2)
		}
		if n1.Author.ID != f.editor.UserID || n1.Approver == nil || n1.Approver.ID != f.approver.UserID || n1.Status != guidance.GuidanceSuperseded ||
			n1.PublishedAt == nil || !n1.PublishedAt.Equal(t0.Add(time.Hour)) || n1.SupersededAt == nil || !n1.CreatedAt.Equal(t0) {
			t.Errorf("%s: version 1 in the history: %+v", name, n1)
		}
		if (n1.ReturnComment != "") != (name == "editor") {
			t.Errorf("%s: version 1's return comment in the history: %q", name, n1.ReturnComment)
		}
	}

	diff, err := f.s.Guidance.Diff(ctx, f.officer, doc, v1.ID, v2.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, l := range diff.Lines {
		ops = append(ops, l.Op[:1]+" "+l.Text)
	}
	want := []string{"s Offer a navigator.", "r Record the offer.", "r Review weekly.", "a Review daily.", "a Close after consent."}
	if !slices.Equal(ops, want) || diff.Added != 2 || diff.Removed != 2 || diff.FromVersion.Number != 1 || diff.ToVersion.Number != 2 {
		t.Errorf("diff: %q (+%d -%d)", ops, diff.Added, diff.Removed)
	}
	// Versions of another document, or a document that does not hold them, are not found.
	other := f.publish(t, draft("Another document", "Other text."))
	_, err = f.s.Guidance.Diff(ctx, f.officer, doc, v1.ID, other.ID)
	wantCode(t, "diff with another document's version", err, core.ENOTFOUND)
	_, err = f.s.Guidance.Diff(ctx, f.officer, other.DocumentID, v1.ID, v2.ID)
	wantCode(t, "diff under another document", err, core.ENOTFOUND)

	// The audit log holds each step, with the version it concerned.
	for action, n := range map[string]int64{"guidance.create": 2, "guidance.version_start": 1, "guidance.submit": 4, "guidance.return": 1, "guidance.publish": 3} {
		if got := modelstest.AuditCount(t, f.db, action, ""); got != n {
			t.Errorf("%d %s events, want %d", got, action, n)
		}
	}
}
