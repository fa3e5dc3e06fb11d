package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/training"
	"github.com/msptp/msphub/policies"
)

// A session's online joining details reach only those holding a place on it and its trainers:
// not a learner waiting, asking or not booked, not a trainer of another course, not after
// withdrawing, and never through a list, on the API or the pages.
func TestTrainingJoiningDetailsOnlyForPlaces(t *testing.T) {
	a := apitest.New(t)
	const secret = "https://meet.example/room-42?pwd=Kx81"
	trainer := a.As(t, policies.RoleTrainer)
	otherTrainer := a.As(t, policies.RoleTrainer)
	c := newTrainingCourse(t, a, trainer, nil)
	s := newTrainingSession(t, a, trainer, c, trSessionSpec{capacity: 1, joining: secret})
	ac := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.ApprovalRequired = true })
	as := newTrainingSession(t, a, trainer, ac, trSessionSpec{startsIn: 20 * 24 * time.Hour, joining: secret})
	placed, waiting, asking, outsider := a.As(t, policies.RoleOfficer), a.As(t, policies.RoleOfficer), a.As(t, policies.RoleOfficer), a.As(t, policies.RoleOfficer)
	a.As(t, policies.RoleSupervisor) // who may decide the request
	var e trEnrolment
	trainingCall(t, a, placed, "POST", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", "", 201, &e)
	trainingCall(t, a, waiting, "POST", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", "", 201, nil)
	trainingCall(t, a, asking, "POST", "/api/v1/sessions/"+itoa(as.ID)+"/enrolments", "", 201, nil)

	sees := func(name string, u *apitest.User, session trSession, want bool) {
		t.Helper()
		var got struct {
			Joining string `json:"joining_details"`
			MayJoin bool   `json:"may_see_joining_details"`
		}
		trainingCall(t, a, u, "GET", "/api/v1/sessions/"+itoa(session.ID), "", 200, &got)
		if (got.Joining == secret) != want || got.MayJoin != want || (!want && got.Joining != "") {
			t.Errorf("%s, API: joining details %q (may see %v), want shown %v", name, got.Joining, got.MayJoin, want)
		}
		page := u.Browser().Get(t, "/sessions/"+itoa(session.ID))
		if shown := strings.Contains(page.Body.String(), "room-42"); page.Code != http.StatusOK || shown != want {
			t.Errorf("%s, page: %d, joining details shown %v, want %v", name, page.Code, shown, want)
		}
	}
	sees("a learner with a place", placed, s, true)
	sees("the trainer", trainer, s, true)
	sees("a learner on the waiting list", waiting, s, false)
	sees("a learner waiting for approval", asking, as, false)
	sees("a learner not booked", outsider, s, false)
	sees("a trainer of another course", otherTrainer, s, false)

	// Lists never carry them, even to those who may see them.
	for _, path := range []string{"/api/v1/courses/" + itoa(c.ID) + "/sessions", "/api/v1/enrolments", "/api/v1/courses?limit=100", "/courses/" + itoa(c.ID), "/my-training"} {
		var body string
		if strings.HasPrefix(path, "/api/") {
			body = trainingCall(t, a, placed, "GET", path, "", 200, nil).Body.String()
		} else {
			body = placed.Browser().Get(t, path).Body.String()
		}
		if strings.Contains(body, "room-42") {
			t.Errorf("%s carries the joining details", path)
		}
	}

	// Withdrawing ends it; the learner promoted into the place now sees them.
	trainingCall(t, a, placed, "POST", "/api/v1/enrolments/"+itoa(e.ID)+"/withdraw", "", 200, nil)
	sees("a learner who withdrew", placed, s, false)
	sees("the learner promoted", waiting, s, true)
}

// Every event of training tells the people it concerns, with a link to what changed, and each
// notification has its email outbox row: request outcomes, approvals waiting, decisions,
// expiry, promotion, session changes, cancellations (of a booking and of a session), and
// certificates.
func TestTrainingNotificationsForEachEvent(t *testing.T) {
	a := apitest.New(t)
	ctx := context.Background()
	trainer := a.As(t, policies.RoleTrainer)
	sup := a.As(t, policies.RoleSupervisor)
	ac := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.ApprovalRequired, in.ApprovalDays = true, 3 })
	s := newTrainingSession(t, a, trainer, ac, trSessionSpec{capacity: 1})
	sessionLink := "/sessions/" + itoa(s.ID)
	ls := newTrainingLearners(t, a, 5, "")
	first, second, declined, lapsing, booked := ls[0], ls[1], ls[2], ls[3], ls[4]

	// last is the newest notification of u, which must be of kind, link to link and say says.
	last := func(event string, u trLearner, kind, link, says string) {
		t.Helper()
		got := trainingNotices(t, a, u.ID, "")
		if len(got) == 0 {
			t.Errorf("%s: %s was not told", event, u.Email)
			return
		}
		n := got[len(got)-1]
		if n.Kind != kind || n.Link != link || !strings.Contains(n.Text, says) {
			t.Errorf("%s: %s told %+v; want kind %s, link %s, saying %q", event, u.Email, n, kind, link, says)
		}
	}
	supLast := func(event, kind, says string) {
		t.Helper()
		got := trainingNotices(t, a, sup.ID, "")
		if len(got) == 0 || got[len(got)-1].Kind != kind || got[len(got)-1].Link != "/approvals" || !strings.Contains(got[len(got)-1].Text, says) {
			t.Errorf("%s: the supervisor was told %+v", event, got)
		}
	}

	_, _, e1 := requestPlace(t, a, first, s)
	last("request needing approval", first, core.NoticeEnrolment, sessionLink, "waiting for your supervisor")
	supLast("request needing approval", core.NoticeApproval, "asks for a place on "+ac.Code)
	trainingCall(t, a, sup, "POST", "/api/v1/enrolments/"+itoa(e1.ID)+"/approve", "", 200, nil)
	last("approval into a place", first, core.NoticeEnrolment, sessionLink, "approved your request: you have a place")

	_, _, e2 := requestPlace(t, a, second, s)
	trainingCall(t, a, sup, "POST", "/api/v1/enrolments/"+itoa(e2.ID)+"/approve", "", 200, nil)
	last("approval into the waiting list", second, core.NoticeEnrolment, sessionLink, "number 1 on the waiting list")

	_, _, e3 := requestPlace(t, a, declined, s)
	trainingCall(t, a, sup, "POST", "/api/v1/enrolments/"+itoa(e3.ID)+"/decline", `{"reason":"Court commitments"}`, 200, nil)
	last("decline", declined, core.NoticeEnrolment, sessionLink, "declined your request")
	last("decline", declined, core.NoticeEnrolment, sessionLink, "Court commitments")

	trainingBearer(t, a, first, "POST", "/api/v1/enrolments/"+itoa(e1.ID)+"/withdraw", "", 200, nil)
	last("promotion", second, core.NoticePromotion, sessionLink, "it is yours")

	in := sessionInputFor(a, s)
	var cur struct {
		BookingClosesAt      time.Time `json:"booking_closes_at"`
		CancellationCutoffAt time.Time `json:"cancellation_cutoff_at"`
	}
	trainingCall(t, a, trainer, "GET", "/api/v1/sessions/"+itoa(s.ID), "", 200, &cur)
	in.BookingClosesAt, in.CancellationCutoffAt, in.Venue, in.Capacity = cur.BookingClosesAt, cur.CancellationCutoffAt, "Room 2, Middlemoor", 1
	trainingCall(t, a, trainer, "PATCH", "/api/v1/sessions/"+itoa(s.ID), trainingJSON(t, in), 200, nil)
	last("session change", second, core.NoticeSessionChange, sessionLink, "venue")

	trainingCall(t, a, trainer, "POST", "/api/v1/enrolments/"+itoa(e2.ID)+"/cancel", `{"reason":"Wrong course for their role"}`, 200, nil)
	last("booking cancelled by the trainer", second, core.NoticeCancellation, sessionLink, "Wrong course for their role")

	requestPlace(t, a, lapsing, s)
	a.Clock.Advance(3*24*time.Hour + time.Minute)
	if n, err := a.Services.Training.ExpireApprovals(ctx); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	last("expiry", lapsing, core.NoticeEnrolment, sessionLink, "expired")

	renewTokens(t, a, ls)
	trainer.SignIn(t)
	open := newTrainingCourse(t, a, trainer, nil)
	cancelled := newTrainingSession(t, a, trainer, open, trSessionSpec{})
	requestPlace(t, a, booked, cancelled)
	last("a place at once", booked, core.NoticeEnrolment, "/sessions/"+itoa(cancelled.ID), "You have a place on "+open.Code)
	trainingCall(t, a, trainer, "POST", "/api/v1/sessions/"+itoa(cancelled.ID)+"/cancel", `{"reason":"Trainer unavailable"}`, 200, nil)
	last("session cancelled", booked, core.NoticeCancellation, "/sessions/"+itoa(cancelled.ID), "has been cancelled: Trainer unavailable")

	complete(t, a, trainer, open, training.AttendanceAttended, booked)
	var certID int64
	a.DB.Gorm().Table("certificates").Select("id").Where("user_id = ?", booked.ID).Scan(&certID)
	last("certificate", booked, core.NoticeCertificate, "/certificates/"+itoa(certID), "certificate MSPC-")

	// Each notification has exactly one email outbox row, waiting for the sender, and a link
	// inside MSP Hub.
	var rows []struct {
		ID      int64
		Link    string
		Outbox  int
		Pending int
	}
	if err := a.DB.Gorm().Raw(`SELECT n.id, n.link, COUNT(o.id) AS outbox, SUM(CASE WHEN o.channel = ? AND o.delivered_at IS NULL THEN 1 ELSE 0 END) AS pending
		FROM notifications n LEFT JOIN outbox o ON o.notification_id = n.id GROUP BY n.id, n.link`, core.ChannelEmail).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) < 15 {
		t.Errorf("only %d notifications", len(rows))
	}
	for _, r := range rows {
		if r.Outbox != 1 || r.Pending != 1 || !core.LocalLink(r.Link) {
			t.Errorf("notification %d: %d outbox rows (%d pending email), link %q", r.ID, r.Outbox, r.Pending, r.Link)
		}
	}
}
