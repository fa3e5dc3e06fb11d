package casefile_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
)

// The jobs fit the job runner's shape.
var (
	_ func(context.Context) (string, error) = (*casefile.Service)(nil).ExpireShares
	_ func(context.Context) (string, error) = (*casefile.Service)(nil).RemindDueActions
)

// cfNotices lists the texts of user's notifications of kind, oldest first.
func (f *caseFixture) notices(t testing.TB, user int64, kind string) []string {
	t.Helper()
	var out []string
	modelstest.Must(t, f.db.Gorm().Table("notifications").Where("user_id = ? AND kind = ?", user, kind).Order("id").Pluck("text", &out).Error)
	return out
}

func (f *caseFixture) count(t testing.TB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	modelstest.Must(t, f.db.Gorm().Raw(q, args...).Scan(&n).Error)
	return n
}

// sharedCase opens a case, has its pack approved and shares it with f.liaison until the end of
// the day days from now.
func (f *caseFixture) sharedCase(t testing.TB, days int) (casefile.CaseView, casefile.ShareView) {
	t.Helper()
	ctx := context.Background()
	cv := f.newCase(t)
	_, err := f.cases.Submit(ctx, f.inv, cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)
	_, err = f.cases.Approve(ctx, f.sup, cv.ID)
	modelstest.Must(t, err)
	day := f.clock.Now().AddDate(0, 0, days)
	sh, err := f.cases.Share(ctx, f.sup, cv.ID, casefile.ShareInput{LiaisonID: f.liaison.UserID, ExpiresOn: &day})
	modelstest.Must(t, err)
	return cv, sh
}

// The share-expiry job records each share that ran out exactly once, however often and on how
// many replicas it runs: on the timeline, in the audit log, and by a notification to the
// supervisor who shared it and to the liaison, naming no case material. A revoked share is not
// an expiry, and a liaison whose share was renewed is not told it ended.
func TestExpireSharesRecordsEachExpiryOnce(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	soon, soonShare := f.sharedCase(t, 1)
	later, _ := f.sharedCase(t, 10)
	revoked, revokedShare := f.sharedCase(t, 1)
	modelstest.Must(t, f.cases.RevokeShare(ctx, f.sup, revoked.ID, revokedShare.ID))

	got, err := f.cases.ExpireShares(ctx)
	modelstest.Must(t, err)
	if got != "no CPS shares expired" {
		t.Errorf("before any expiry: %q", got)
	}
	// The end of tomorrow, UK time: still live a second before, expired at the stroke.
	f.clock.Set(soonShare.ExpiresAt.Add(-1))
	got, err = f.cases.ExpireShares(ctx)
	modelstest.Must(t, err)
	if got != "no CPS shares expired" {
		t.Errorf("a moment before the end of the last day: %q", got)
	}
	f.clock.Set(soonShare.ExpiresAt)
	got, err = f.cases.ExpireShares(ctx)
	modelstest.Must(t, err)
	if got != "1 CPS share expired" {
		t.Errorf("at the end of the last day: %q", got)
	}
	for range 2 {
		got, err = f.cases.ExpireShares(ctx)
		modelstest.Must(t, err)
		if got != "no CPS shares expired" {
			t.Errorf("run again: %q", got)
		}
	}
	timeline, err := f.cases.Timeline(ctx, f.sup, soon.ID, "", 0)
	modelstest.Must(t, err)
	if !slices.ContainsFunc(timeline.Events, func(e casefile.TimelineEntry) bool {
		return e.Summary == "Share of pack 1 with "+f.liaison.Name+" expired" && e.Actor == "" && strings.Contains(e.Details, "3 March 2026")
	}) {
		t.Errorf("the timeline does not show the expiry: %+v", timeline.Events)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM audit_events WHERE action = 'casefile.share_expire' AND object_id = ? AND actor_id IS NULL", fmt.Sprint(soon.ID)); n != 1 {
		t.Errorf("%d expiries audited, want 1", n)
	}
	for _, who := range []core.Actor{f.sup, f.liaison} {
		notes := f.notices(t, who.UserID, casefile.NoticeCaseShare)
		if len(notes) != 1 {
			t.Fatalf("%s was told %d times, want once: %q", who.Name, len(notes), notes)
		}
		if strings.Contains(notes[0], soon.URN) || strings.Contains(notes[0], "Kestrel") {
			t.Errorf("the notification names case material: %q", notes[0])
		}
	}
	if n := f.count(t, "SELECT COUNT(*) FROM outbox o JOIN notifications n ON n.id = o.notification_id WHERE n.kind = ?", casefile.NoticeCaseShare); n != 2 {
		t.Errorf("%d emails queued, want 2", n)
	}
	// The revoked share and the live one are not expiries.
	for _, id := range []int64{revoked.ID, later.ID} {
		if n := f.count(t, "SELECT COUNT(*) FROM case_events WHERE case_id = ? AND summary LIKE '%expired'", id); n != 0 {
			t.Errorf("case %d: %d expiries recorded", id, n)
		}
	}

	// A share that ran out and was renewed before the job ran: recorded, nobody told.
	renewed, renewedShare := f.sharedCase(t, 1)
	f.clock.Set(renewedShare.ExpiresAt.Add(1))
	day := f.clock.Now().AddDate(0, 0, 7)
	_, err = f.cases.Share(ctx, f.sup, renewed.ID, casefile.ShareInput{LiaisonID: f.liaison.UserID, ExpiresOn: &day})
	modelstest.Must(t, err)
	got, err = f.cases.ExpireShares(ctx)
	modelstest.Must(t, err)
	if got != "1 CPS share expired" {
		t.Errorf("the renewed share's first period: %q", got)
	}
	if notes := f.notices(t, f.liaison.UserID, casefile.NoticeCaseShare); len(notes) != 1 {
		t.Errorf("the liaison whose share was renewed was told it ended: %q", notes)
	}
	if _, err := f.cases.Get(ctx, f.liaison, renewed.ID); err != nil {
		t.Errorf("the renewed share no longer works: %v", err)
	}

	// Many shares ending at once, the job running on four replicas at the same moment: each
	// share recorded once.
	var ends []casefile.ShareView
	for range 6 {
		_, sh := f.sharedCase(t, 2)
		ends = append(ends, sh)
	}
	f.clock.Set(ends[0].ExpiresAt.Add(1))
	before := f.count(t, "SELECT COUNT(*) FROM notifications WHERE kind = ?", casefile.NoticeCaseShare)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total int
	for range 4 {
		wg.Go(func() {
			got, err := f.cases.ExpireShares(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			var n int
			if _, err := fmt.Sscanf(got, "%d CPS share", &n); err != nil && got != "no CPS shares expired" {
				t.Errorf("summary %q", got)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	wg.Wait()
	if total != 6 {
		t.Errorf("four concurrent runs recorded %d expiries, want 6", total)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM notifications WHERE kind = ?", casefile.NoticeCaseShare) - before; n != 12 {
		t.Errorf("%d notifications for six expiries, want 12", n)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM case_shares WHERE expiry_recorded_at IS NOT NULL"); n != 8 {
		t.Errorf("%d shares recorded as expired, want 8", n)
	}
}

// The due-date job reminds the lead investigator, and the owner of the checklist item an action
// concerns, once when an open action-plan item falls due within two days and once when it is
// overdue, never twice, however often and on how many replicas it runs; answered items, items
// without a date and cases the team cannot answer on now are left alone.
func TestRemindDueActionsOncePerStage(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv, _ := f.sharedCase(t, 60)
	owner := f.person(t, caseHome, policies.RoleInvestigator)
	_, err := f.cases.AddMember(ctx, f.inv, cv.ID, casefile.MemberInput{Email: owner.Email})
	modelstest.Must(t, err)
	items, err := f.cases.Checklist(ctx, f.inv, cv.ID)
	modelstest.Must(t, err)
	today := f.clock.Now()
	in := func(days int) *time.Time { d := today.AddDate(0, 0, days); return &d }
	raise := func(text string, due *time.Time) casefile.CPSAction {
		a, err := f.cases.RaiseAction(ctx, f.liaison, cv.ID, casefile.ActionInput{Text: text, DueOn: due})
		modelstest.Must(t, err)
		return a
	}
	later := raise("Obtain the ANPR records", in(5))
	raise("Obtain the bank statements", in(1))
	raise("No date given", nil)
	answered := raise("Interview the landlord", in(1))
	_, err = f.cases.AnswerAction(ctx, f.inv, cv.ID, answered.ID, "Done: MG11 of the landlord is exhibit JS/4")
	modelstest.Must(t, err)
	// An item owned by another team member, rejected by the CPS with a due date.
	_, err = f.cases.UpdateItem(ctx, f.inv, cv.ID, items[0].ID, casefile.ItemInput{Status: casefile.ItemInProgress, OwnerID: owner.UserID})
	modelstest.Must(t, err)
	_, err = f.cases.ReviewItem(ctx, f.liaison, cv.ID, items[0].ID, casefile.ReviewInput{Verdict: "reject", Reason: "The matrix does not map intent", ActionDue: in(2)})
	modelstest.Must(t, err)
	// Another case, back with the supervisor, whose open action is not for now.
	other, _ := f.sharedCase(t, 60)
	_, err = f.cases.RaiseAction(ctx, f.liaison, other.ID, casefile.ActionInput{Text: "Obtain the CCTV", DueOn: in(1)})
	modelstest.Must(t, err)
	_, err = f.cases.Submit(ctx, f.inv, other.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)

	run := func(want string) {
		t.Helper()
		got, err := f.cases.RemindDueActions(ctx)
		modelstest.Must(t, err)
		if got != want {
			t.Errorf("on %s: %q, want %q", f.clock.Now().Format(time.DateOnly), got, want)
		}
	}
	run("2 CPS actions falling due reminded; no CPS actions overdue reminded")
	run("no CPS actions falling due reminded; no CPS actions overdue reminded")
	if got := f.notices(t, f.inv.UserID, casefile.NoticeCaseAction); len(got) != 2 || !strings.Contains(got[0], "due on 3 March 2026") {
		t.Errorf("the lead was told %q, want two reminders", got)
	}
	if got := f.notices(t, owner.UserID, casefile.NoticeCaseAction); len(got) != 1 || !strings.Contains(got[0], "due on 4 March 2026") {
		t.Errorf("the item's owner was told %q, want the reminder of their item", got)
	}

	// Three days on: the item due in five is due in two; the others are overdue.
	f.clock.Set(today.AddDate(0, 0, 3))
	run("1 CPS action falling due reminded; 2 CPS actions overdue reminded")
	run("no CPS actions falling due reminded; no CPS actions overdue reminded")
	// Seven days on: the last one is overdue; an item first seen overdue gets that reminder only.
	f.clock.Set(today.AddDate(0, 0, 7))
	late := raise("Chase the letter of request", in(8))
	f.clock.Set(today.AddDate(0, 0, 9))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := f.cases.RemindDueActions(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	run("no CPS actions falling due reminded; no CPS actions overdue reminded")
	lead := f.notices(t, f.inv.UserID, casefile.NoticeCaseAction)
	if len(lead) != 7 {
		t.Errorf("the lead had %d reminders, want 7 (2 due, 2 overdue, 1 due, 1 overdue, 1 overdue): %q", len(lead), lead)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM notifications WHERE kind = ? AND text LIKE ?", casefile.NoticeCaseAction, "%was due on 10 March 2026%"); n != 1 {
		t.Errorf("the action first seen overdue: %d overdue reminders, want 1", n)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM notifications WHERE kind = ? AND text LIKE ?", casefile.NoticeCaseAction, "%is due on 10 March 2026%"); n != 0 {
		t.Errorf("the action first seen overdue was also reminded as falling due")
	}
	for _, text := range lead {
		if strings.Contains(text, cv.URN) || strings.Contains(text, "ANPR") || strings.Contains(text, "Kestrel") {
			t.Errorf("a reminder names case material: %q", text)
		}
	}
	if n := f.count(t, "SELECT COUNT(*) FROM cps_actions WHERE id IN ? AND overdue_reminded_at IS NOT NULL", []int64{later.ID, late.ID}); n != 2 {
		t.Errorf("%d of the two late actions marked reminded", n)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM cps_actions WHERE case_id = ? AND (due_reminded_at IS NOT NULL OR overdue_reminded_at IS NOT NULL)", other.ID); n != 0 {
		t.Errorf("the action of a case with the supervisor was reminded")
	}
}

// The runner runs the case files' share expiry: a share that ran out is recorded, and its
// liaison and supervisor told, once, whatever the number of runs.
func TestJobExpireCPSShares(t *testing.T) {
	f := newCaseFixture(t)
	_, sh := f.sharedCase(t, 1)
	run := func(at time.Time) core.JobRun {
		t.Helper()
		return modelstest.RunJobAt(t, f.s.Jobs, f.db, f.clock, at, casefile.JobExpireCPSShares)
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
	for _, who := range []core.Actor{f.sup, f.liaison} {
		if notes := f.notices(t, who.UserID, casefile.NoticeCaseShare); len(notes) != 1 {
			t.Errorf("%s was told %d times, want once", who.Name, len(notes))
		}
	}
}
