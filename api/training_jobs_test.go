package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/models/training"
	"github.com/msptp/msphub/policies"
)

// trNotice is a notification as stored, with how many outbox rows it has.
type trNotice struct {
	ID     int64
	UserID int64
	Kind   string
	Text   string
	Link   string
}

// trainingNotices reads a user's notifications of kind (all kinds when empty), oldest first.
func trainingNotices(t testing.TB, a *apitest.App, userID int64, kind string) []trNotice {
	t.Helper()
	q := a.DB.Gorm().Table("notifications").Select("id, user_id, kind, text, link").Where("user_id = ?", userID)
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	var out []trNotice
	if err := q.Order("id").Scan(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// The background job's expiry: every overdue request, in every organisation, expires once, with
// the learner told and the expiry audited; a request still in its time is left alone. Runs that
// overlap expire each request once. Nothing waits for the job: a learner whose request is
// overdue can ask again at once.
func TestTrainingExpireApprovalsJob(t *testing.T) {
	a := apitest.New(t)
	ctx := context.Background()
	tr := a.Services.Training
	trainer := a.As(t, policies.RoleTrainer)
	sup := a.As(t, policies.RoleSupervisor)
	c := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.ApprovalRequired, in.ApprovalDays = true, 3 })
	s := newTrainingSession(t, a, trainer, c, trSessionSpec{startsIn: 30 * 24 * time.Hour, capacity: 5})
	home := newTrainingLearners(t, a, 3, "")
	kent := newTrainingLearners(t, a, 1, "kent-police")[0]
	a.SignedIn(t, apitest.UserSpec{Org: "kent-police", Roles: []string{policies.RoleSupervisor}}) // who may decide Kent's requests

	var overdue []trEnrolment
	for _, l := range []trLearner{home[0], home[1], kent} {
		_, _, e := requestPlace(t, a, l, s)
		if e.State != training.EnrolmentRequested {
			t.Fatalf("request on an approval course: %+v", e)
		}
		overdue = append(overdue, e)
	}
	if n, err := tr.ExpireApprovals(ctx); err != nil || n != 0 {
		t.Fatalf("expiry before anything is due: %d, %v", n, err)
	}
	a.Clock.Advance(2 * 24 * time.Hour)
	_, _, inTime := requestPlace(t, a, home[2], s) // expires a day after the others
	a.Clock.Advance(24*time.Hour + time.Minute)

	// The learner asks again before any job ran: their overdue request does not stand in the way.
	code, msg, again := requestPlace(t, a, home[0], s)
	if code != http.StatusCreated || again.State != training.EnrolmentRequested {
		t.Fatalf("asking again once the request is overdue: %d %q", code, msg)
	}

	// Two runs at once (two replicas): the two other overdue requests expire, each once.
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i := range counts {
		wg.Go(func() {
			n, err := tr.ExpireApprovals(ctx)
			if err != nil {
				t.Errorf("expire: %v", err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	if counts[0]+counts[1] != 2 {
		t.Errorf("concurrent runs expired %v, want 2 in all", counts)
	}
	if n, err := tr.ExpireApprovals(ctx); err != nil || n != 0 {
		t.Errorf("a run with nothing left due: %d, %v", n, err)
	}
	for _, e := range overdue {
		var got training.Enrolment
		if err := a.DB.Gorm().Take(&got, e.ID).Error; err != nil {
			t.Fatal(err)
		}
		if got.State != training.EnrolmentExpired || got.EndedAt == nil || got.ExpiresAt == nil || !got.EndedAt.Equal(*got.ExpiresAt) {
			t.Errorf("enrolment %d: %s, ended %v, due %v", e.ID, got.State, got.EndedAt, got.ExpiresAt)
		}
		told := 0
		for _, n := range trainingNotices(t, a, got.UserID, core.NoticeEnrolment) {
			if strings.Contains(n.Text, "expired") && n.Link == "/sessions/"+itoa(s.ID) {
				told++
			}
		}
		if told != 1 {
			t.Errorf("learner %d told %d times of the expiry, want once", got.UserID, told)
		}
		if audited := modelstest.AuditCount(t, a.DB, "enrolment.expire", itoa(e.ID)); audited != 1 {
			t.Errorf("enrolment %d: %d expiry audit events, want 1", e.ID, audited)
		}
	}
	var still training.Enrolment
	a.DB.Gorm().Take(&still, inTime.ID)
	if still.State != training.EnrolmentRequested {
		t.Errorf("a request still in its time: %s", still.State)
	}
	// An expired request cannot be decided; one in time can.
	sup.SignIn(t)
	if w := a.API(t, sup, "POST", "/api/v1/enrolments/"+itoa(overdue[1].ID)+"/approve", ""); w.Code != http.StatusConflict {
		t.Errorf("approving an expired request: %d", w.Code)
	}
	trainingCall(t, a, sup, "POST", "/api/v1/enrolments/"+itoa(inTime.ID)+"/approve", "", 200, nil)
}

// Supervisors are reminded once of a request about to expire undecided: two days before, or
// halfway through a shorter time; never of a decided one, never of their own. Overlapping runs
// send each reminder once.
func TestTrainingRemindExpiringApprovals(t *testing.T) {
	a := apitest.New(t)
	ctx := context.Background()
	tr := a.Services.Training
	trainer := a.As(t, policies.RoleTrainer)
	sups := newTrainingLearners(t, a, 2, "", policies.RoleSupervisor)
	long := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.ApprovalRequired, in.ApprovalDays = true, 14 })
	short := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.ApprovalRequired, in.ApprovalDays = true, 1 })
	ls := newTrainingSession(t, a, trainer, long, trSessionSpec{startsIn: 30 * 24 * time.Hour})
	ss := newTrainingSession(t, a, trainer, short, trSessionSpec{startsIn: 30 * 24 * time.Hour})
	learners := newTrainingLearners(t, a, 3, "")
	kent := newTrainingLearners(t, a, 1, "kent-police")[0]
	_, _, onLong := requestPlace(t, a, learners[0], ls)
	_, _, onShort := requestPlace(t, a, learners[1], ss)
	_, _, decided := requestPlace(t, a, learners[2], ls)
	_, _, ownRequest := requestPlace(t, a, sups[0], ls) // a supervisor's own request
	// Kent has no supervisor here: nobody could decide its request, so it is refused.
	if code, _, _ := requestPlace(t, a, kent, ls); code != http.StatusConflict {
		t.Errorf("a request nobody can decide: %d, want 409", code)
	}
	trainingBearer(t, a, sups[1], "POST", "/api/v1/enrolments/"+itoa(decided.ID)+"/approve", "", 200, nil)

	remind := func(want string) {
		t.Helper()
		got, err := tr.RemindExpiringApprovals(ctx)
		if err != nil || got != want {
			t.Errorf("reminders: %q, %v; want %q", got, err, want)
		}
	}
	remind("0 reminders sent")
	// 13 hours on, the one-day request is past halfway: both supervisors are reminded.
	a.Clock.Advance(13 * time.Hour)
	remind("2 reminders sent")
	remind("0 reminders sent")
	for _, sup := range sups {
		got := trainingNotices(t, a, sup.ID, core.NoticeApprovalReminder)
		if len(got) != 1 || got[0].Link != "/approvals" || !strings.Contains(got[0].Text, short.Code) || !strings.Contains(got[0].Text, "Decide by") {
			t.Errorf("supervisor %d reminders: %+v", sup.ID, got)
		}
	}

	// Twelve days on, the 14-day requests have less than two days left: the learner's goes to
	// both supervisors, the supervisor's own to the other only. Two runs at once send them once.
	a.Clock.Advance(12 * 24 * time.Hour)
	var wg sync.WaitGroup
	sums := make([]string, 2)
	for i := range sums {
		wg.Go(func() {
			var err error
			if sums[i], err = tr.RemindExpiringApprovals(ctx); err != nil {
				t.Errorf("remind: %v", err)
			}
		})
	}
	wg.Wait()
	// The runs may share the work (each claims what it sends) but never send one twice.
	sent := 0
	for _, sum := range sums {
		var n int
		if _, err := fmt.Sscanf(sum, "%d reminder", &n); err != nil {
			t.Fatalf("run summary %q: %v", sum, err)
		}
		sent += n
	}
	if sent != 3 {
		t.Errorf("concurrent runs: %q, want 3 reminders in all", sums)
	}
	remind("0 reminders sent")
	var about []string
	for _, n := range trainingNotices(t, a, sups[1].ID, core.NoticeApprovalReminder) {
		about = append(about, n.Text)
	}
	if len(about) != 3 {
		t.Errorf("the second supervisor's reminders: %q, want 3 (the short, the learner's, the first supervisor's)", about)
	}
	if got := trainingNotices(t, a, sups[0].ID, core.NoticeApprovalReminder); len(got) != 2 {
		t.Errorf("the first supervisor was reminded %d times, want 2 (never of their own request)", len(got))
	}
	for _, e := range []trEnrolment{onLong, onShort, ownRequest} {
		var n int64
		a.DB.Gorm().Table("reminders_sent").Where("kind = ? AND object_id = ?", training.ReminderApprovalExpiring, e.ID).Count(&n)
		if n != 1 {
			t.Errorf("enrolment %d: %d reminders recorded, want 1", e.ID, n)
		}
	}
	var decidedReminded int64
	a.DB.Gorm().Table("reminders_sent").Where("object_id = ? AND kind = ?", decided.ID, training.ReminderApprovalExpiring).Count(&decidedReminded)
	if decidedReminded != 0 {
		t.Error("a decided request was reminded of")
	}
	for _, l := range learners {
		if got := trainingNotices(t, a, l.ID, core.NoticeApprovalReminder); len(got) != 0 {
			t.Errorf("learner %d got a supervisor's reminder: %+v", l.ID, got)
		}
	}
}

// Learners are reminded to renew a certificate (the latest of its course) once in each window
// before it expires: 60, 30 and 7 days; not when they have booked the course again, not once
// they can no longer sign in, not after it has expired, and never twice.
func TestTrainingRemindCertificateRenewals(t *testing.T) {
	a := apitest.New(t)
	ctx := context.Background()
	tr := a.Services.Training
	trainer := a.As(t, policies.RoleTrainer)
	c := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.ValidityMonths = 12; in.Title = "SIO modern slavery CPD" })
	forever := newTrainingCourse(t, a, trainer, nil) // certificates that do not expire
	ls := newTrainingLearners(t, a, 3, "")
	holder, rebooked, leaver := ls[0], ls[1], ls[2]
	complete(t, a, trainer, c, training.AttendanceAttended, ls...)
	complete(t, a, trainer, forever, training.AttendanceAttended, holder)
	// One has booked the course again already; one has left.
	next := newTrainingSession(t, a, trainer, c, trSessionSpec{startsIn: 300 * 24 * time.Hour})
	if code, msg, _ := requestPlace(t, a, rebooked, next); code != http.StatusCreated {
		t.Fatalf("booking again: %d %q", code, msg)
	}
	if err := a.DB.Gorm().Table("users").Where("id = ?", leaver.ID).Update("disabled_at", a.Clock.Now()).Error; err != nil {
		t.Fatal(err)
	}
	var cert training.Certificate
	if err := a.DB.Gorm().Where("user_id = ? AND course_id = ?", holder.ID, c.ID).Take(&cert).Error; err != nil || cert.ExpiresOn == nil {
		t.Fatalf("certificate: %+v %v", cert, err)
	}
	remind := func(want string) {
		t.Helper()
		got, err := tr.RemindCertificateRenewals(ctx)
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", a.Clock.Now().Format(time.DateOnly), got, err, want)
		}
	}
	at := func(daysBefore int) {
		// Noon UK time, daysBefore days before the expiry date.
		d := cert.ExpiresOn.In(core.London).AddDate(0, 0, -daysBefore)
		noon := time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, core.London)
		a.Clock.Advance(noon.Sub(a.Clock.Now()))
	}
	remind("0 reminders sent")
	at(61)
	remind("0 reminders sent")
	for _, step := range []struct {
		daysBefore int
		want       string
	}{{59, "1 reminder sent"}, {45, "0 reminders sent"}, {30, "1 reminder sent"}, {20, "0 reminders sent"}, {1, "1 reminder sent"}, {0, "0 reminders sent"}} {
		at(step.daysBefore)
		remind(step.want)
		remind("0 reminders sent") // never twice
	}
	got := trainingNotices(t, a, holder.ID, core.NoticeRenewal)
	if len(got) != 3 {
		t.Fatalf("%d renewal reminders, want 3: %+v", len(got), got)
	}
	for _, n := range got {
		if n.Link != "/courses/"+itoa(c.ID) || !strings.Contains(n.Text, cert.Number) || !strings.Contains(n.Text, "SIO modern slavery CPD") {
			t.Errorf("reminder %+v", n)
		}
	}
	if !strings.Contains(got[0].Text, "in 59 days") || !strings.Contains(got[2].Text, "expires tomorrow") {
		t.Errorf("reminder texts: %q, %q", got[0].Text, got[2].Text)
	}
	for _, l := range []trLearner{rebooked, leaver} {
		if n := trainingNotices(t, a, l.ID, core.NoticeRenewal); len(n) != 0 {
			t.Errorf("learner %d reminded: %+v", l.ID, n)
		}
	}
	// Every reminder went through the outbox.
	var missing int64
	a.DB.Gorm().Table("notifications").Where("kind = ? AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.notification_id = notifications.id)", core.NoticeRenewal).Count(&missing)
	if missing != 0 {
		t.Errorf("%d reminders without an outbox row", missing)
	}
}
