package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/models/training"
)

// trainingRows are the routes of training. The callers' trainer teaches course c, which has a
// session s (with learner l's place on it), a published material and a session held today that
// l completed (so l has a certificate, a calendar feed and notifications). The callers book
// places for themselves on sessions of another course, so that nothing they do in one row
// changes what they may see in another.
func trainingRows(t *testing.T, a *apitest.App, callers map[who]*apitest.User) []row {
	ctx := context.Background()
	tr := a.Services.Training
	teacher := callers[trainer].Actor(t)
	now := a.Clock.Now()
	newCourse := func(code string) training.CourseView {
		c, err := tr.CreateCourse(ctx, teacher, training.CourseInput{Code: code, Title: "Course " + code, ValidityMonths: 12, CPDHours: 3})
		modelstest.Must(t, err)
		c, err = tr.PublishCourse(ctx, teacher, c.ID)
		modelstest.Must(t, err)
		return c
	}
	later := func(days int, capacity int) training.SessionInput {
		start := now.AddDate(0, 0, days)
		return training.SessionInput{Days: []training.DayInput{{StartsAt: start, EndsAt: start.Add(6 * time.Hour)}}, Venue: "Exeter", Capacity: capacity,
			BookingClosesAt: start.Add(-time.Hour), CancellationCutoffAt: start.Add(-2 * time.Hour)}
	}
	c := newCourse("MX-1")
	s, err := tr.CreateSession(ctx, teacher, c.ID, later(10, 50))
	modelstest.Must(t, err)
	other := newCourse("MX-2")
	pageSession, err := tr.CreateSession(ctx, teacher, other.ID, later(20, 50))
	modelstest.Must(t, err)
	apiSession, err := tr.CreateSession(ctx, teacher, other.ID, later(30, 50))
	modelstest.Must(t, err)

	l := a.SignedIn(t, apitest.UserSpec{Roles: []string{officer}})
	la := l.Actor(t)
	e, err := tr.Request(ctx, la, s.ID)
	modelstest.Must(t, err)
	mv, err := tr.UploadMaterial(ctx, teacher, c.ID, training.MaterialInput{Title: "Handbook"}, core.Upload{Name: "h.pdf", Body: strings.NewReader(pdfBytes)}, 1<<20)
	modelstest.Must(t, err)
	_, err = tr.PublishMaterial(ctx, teacher, c.ID, mv.ID, 1)
	modelstest.Must(t, err)

	// A session held today, started already: l attends and gets a certificate.
	midnight := time.Date(now.In(core.London).Year(), now.In(core.London).Month(), now.In(core.London).Day(), 0, 0, 0, 0, core.London)
	end := midnight.Add(23*time.Hour + 59*time.Minute)
	today, err := tr.CreateSession(ctx, teacher, c.ID, training.SessionInput{Days: []training.DayInput{{StartsAt: midnight, EndsAt: end}}, Venue: "Exeter",
		Capacity: 5, BookingClosesAt: end, CancellationCutoffAt: midnight})
	modelstest.Must(t, err)
	done, err := tr.Request(ctx, la, today.ID)
	modelstest.Must(t, err)
	_, err = tr.MarkAttendance(ctx, teacher, today.ID, 1, map[int64]string{done.ID: training.AttendanceAttended})
	modelstest.Must(t, err)
	_, err = tr.Complete(ctx, teacher, today.ID)
	modelstest.Must(t, err)
	rec, err := tr.GetLearningRecord(ctx, la, la.UserID)
	modelstest.Must(t, err)
	if len(rec.Certificates) != 1 {
		t.Fatalf("fixture certificate: %+v", rec.Certificates)
	}
	cert := rec.Certificates[0]
	feed, err := tr.RotateCalendar(ctx, la)
	modelstest.Must(t, err)
	feedPath := strings.TrimPrefix(feed, "http://msphub.test")
	notes, err := a.Services.Notifications.List(ctx, la, "", 1)
	modelstest.Must(t, err)
	note := notes.Notifications[0].ID

	cp := "/courses/" + itoa(c.ID)
	sp := "/sessions/" + itoa(s.ID)
	ep := "/enrolments/" + itoa(e.ID)
	mp := cp + "/materials/" + itoa(mv.ID)
	certp := "/certificates/" + itoa(cert.ID)
	see, change := 200, 303
	onlyTrainer := func(status int) map[who]int { return may(status, trainer) }
	// Someone else's booking: its trainer and the learner's supervisor see it, others do not.
	ofL := func(trainerGets, supervisorGets int) map[who]int {
		return merge(may(trainerGets, trainer), may(supervisorGets, supervisor))
	}
	empty := url.Values{}
	rows := []row{
		{method: "GET", route: "/certificates/verify", def: see, anon: see},
		{method: "GET", route: "/certificates/verify/:code", concrete: func() string { return "/certificates/verify/" + cert.Code }, def: see, anon: see},
		{method: "GET", route: "/calendar/:token", concrete: func() string { return feedPath }, def: 200, anon: 200},

		{method: "GET", route: "/courses", def: see, anon: 303},
		{method: "GET", route: "/courses/new", want: onlyTrainer(see), def: 403, anon: 303},
		{method: "POST", route: "/courses/new", form: empty, want: onlyTrainer(422), def: 403, anon: 303},
		{method: "GET", route: "/courses/:id", concrete: func() string { return cp }, def: see, anon: 303},
		{method: "GET", route: "/courses/:id/edit", concrete: func() string { return cp + "/edit" }, want: onlyTrainer(see), def: 403, anon: 303},
		{method: "POST", route: "/courses/:id/edit", concrete: func() string { return cp + "/edit" }, form: empty, want: onlyTrainer(422), def: 403, anon: 303},
		{method: "POST", route: "/courses/:id/publish", concrete: func() string { return cp + "/publish" }, want: onlyTrainer(409), def: 403, anon: 303},
		{method: "POST", route: "/courses/:id/trainers", concrete: func() string { return cp + "/trainers" }, form: empty, want: onlyTrainer(422), def: 403, anon: 303},
		{method: "GET", route: "/courses/:id/materials", concrete: func() string { return cp + "/materials" }, want: onlyTrainer(see), def: 403, anon: 303},
		{method: "POST", route: "/courses/:id/materials", concrete: func() string { return cp + "/materials" }, form: empty, want: onlyTrainer(422), def: 403, anon: 303},
		{method: "POST", route: "/courses/:id/materials/:material/versions/:version/publish", concrete: func() string { return mp + "/versions/1/publish" }, want: onlyTrainer(409), def: 404, anon: 303},
		{method: "GET", route: "/courses/:id/materials/:material/download", concrete: func() string { return mp + "/download" }, want: onlyTrainer(200), def: 404, anon: 303},
		{method: "GET", route: "/courses/:id/sessions/new", concrete: func() string { return cp + "/sessions/new" }, want: onlyTrainer(see), def: 403, anon: 303},
		{method: "POST", route: "/courses/:id/sessions/new", concrete: func() string { return cp + "/sessions/new" }, form: empty, want: onlyTrainer(422), def: 403, anon: 303},
		{method: "GET", route: "/teaching", want: onlyTrainer(see), def: 403, anon: 303},

		{method: "GET", route: "/sessions/:id", concrete: func() string { return sp }, def: see, anon: 303},
		{method: "GET", route: "/sessions/:id/edit", concrete: func() string { return sp + "/edit" }, want: onlyTrainer(see), def: 403, anon: 303},
		{method: "POST", route: "/sessions/:id/edit", concrete: func() string { return sp + "/edit" }, form: empty, want: onlyTrainer(422), def: 403, anon: 303},
		{method: "GET", route: "/sessions/:id/cancel", concrete: func() string { return sp + "/cancel" }, want: onlyTrainer(see), def: 403, anon: 303},
		{method: "POST", route: "/sessions/:id/cancel", concrete: func() string { return sp + "/cancel" }, form: empty, want: onlyTrainer(422), def: 403, anon: 303},
		{method: "POST", route: "/sessions/:id/request", concrete: func() string { return "/sessions/" + itoa(pageSession.ID) + "/request" }, def: change, anon: 303},
		{method: "GET", route: "/sessions/:id/learners", concrete: func() string { return sp + "/learners" }, want: onlyTrainer(see), def: 403, anon: 303},
		{method: "GET", route: "/sessions/:id/register", concrete: func() string { return sp + "/register" }, want: onlyTrainer(see), def: 403, anon: 303},
		{method: "POST", route: "/sessions/:id/register", concrete: func() string { return sp + "/register" }, form: empty, want: onlyTrainer(422), def: 403, anon: 303},
		{method: "POST", route: "/sessions/:id/complete", concrete: func() string { return sp + "/complete" }, want: onlyTrainer(409), def: 403, anon: 303},
		{method: "GET", route: "/sessions/:id/bulk", concrete: func() string { return sp + "/bulk" }, want: may(see, supervisor, orgAdmin), def: 403, anon: 303},
		{method: "POST", route: "/sessions/:id/bulk", concrete: func() string { return sp + "/bulk" }, form: empty, want: may(422, supervisor, orgAdmin), def: 403, anon: 303},

		{method: "POST", route: "/enrolments/:id/withdraw", concrete: func() string { return ep + "/withdraw" }, want: ofL(403, 403), def: 404, anon: 303},
		{method: "POST", route: "/enrolments/:id/approve", concrete: func() string { return ep + "/approve" }, want: ofL(403, 409), def: 404, anon: 303},
		{method: "GET", route: "/enrolments/:id/decline", concrete: func() string { return ep + "/decline" }, want: ofL(403, 409), def: 404, anon: 303},
		{method: "POST", route: "/enrolments/:id/decline", concrete: func() string { return ep + "/decline" }, form: empty, want: ofL(403, 409), def: 404, anon: 303},
		{method: "GET", route: "/enrolments/:id/cancel", concrete: func() string { return ep + "/cancel" }, want: ofL(see, 403), def: 404, anon: 303},
		{method: "POST", route: "/enrolments/:id/cancel", concrete: func() string { return ep + "/cancel" }, form: empty, want: ofL(422, 403), def: 404, anon: 303},
		{method: "GET", route: "/approvals", want: may(see, supervisor), def: 403, anon: 303},

		{method: "GET", route: "/my-training", def: see, anon: 303},
		{method: "POST", route: "/my-training/calendar", def: see, anon: 303},
		{method: "GET", route: "/staff-training", want: may(see, supervisor), def: 403, anon: 303},
		{method: "GET", route: "/staff-training/export.csv", want: may(200, supervisor), def: 403, anon: 303},
		{method: "GET", route: "/staff-training/:id", concrete: func() string { return "/staff-training/" + itoa(l.ID) }, want: may(see, supervisor), def: 404, anon: 303},
		{method: "GET", route: "/certificates/:id", concrete: func() string { return certp }, want: may(see, supervisor), def: 404, anon: 303},
		{method: "GET", route: "/certificates/:id/certificate.pdf", concrete: func() string { return certp + "/certificate.pdf" }, want: may(200, supervisor), def: 404, anon: 303},
		{method: "GET", route: "/notifications", def: see, anon: 303},
		{method: "POST", route: "/notifications/read-all", def: change, anon: 303},
		{method: "POST", route: "/notifications/:id/read", concrete: func() string { return "/notifications/" + itoa(note) + "/read" }, def: 404, anon: 303},

		{method: "GET", route: "/api/v1/courses", def: 200, anon: 401},
		{method: "POST", route: "/api/v1/courses", json: `{}`, want: onlyTrainer(422), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/courses/:id", concrete: func() string { return "/api/v1" + cp }, def: 200, anon: 401},
		{method: "PATCH", route: "/api/v1/courses/:id", concrete: func() string { return "/api/v1" + cp }, json: `{}`, want: onlyTrainer(422), def: 403, anon: 401},
		{method: "POST", route: "/api/v1/courses/:id/publish", concrete: func() string { return "/api/v1" + cp + "/publish" }, want: onlyTrainer(409), def: 403, anon: 401},
		{method: "POST", route: "/api/v1/courses/:id/trainers", concrete: func() string { return "/api/v1" + cp + "/trainers" }, json: `{}`, want: onlyTrainer(422), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/courses/:id/sessions", concrete: func() string { return "/api/v1" + cp + "/sessions" }, def: 200, anon: 401},
		{method: "POST", route: "/api/v1/courses/:id/sessions", concrete: func() string { return "/api/v1" + cp + "/sessions" }, json: `{}`, want: onlyTrainer(422), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/courses/:id/materials", concrete: func() string { return "/api/v1" + cp + "/materials" }, def: 200, anon: 401},
		{method: "POST", route: "/api/v1/courses/:id/materials", concrete: func() string { return "/api/v1" + cp + "/materials" }, json: `{}`, want: onlyTrainer(422), def: 403, anon: 401},
		{method: "POST", route: "/api/v1/courses/:id/materials/:material/versions/:version/publish", concrete: func() string { return "/api/v1" + mp + "/versions/1/publish" }, want: onlyTrainer(409), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/courses/:id/materials/:material/download", concrete: func() string { return "/api/v1" + mp + "/download" }, want: onlyTrainer(200), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/sessions/:id", concrete: func() string { return "/api/v1" + sp }, def: 200, anon: 401},
		{method: "PATCH", route: "/api/v1/sessions/:id", concrete: func() string { return "/api/v1" + sp }, json: `{}`, want: onlyTrainer(422), def: 403, anon: 401},
		{method: "POST", route: "/api/v1/sessions/:id/cancel", concrete: func() string { return "/api/v1" + sp + "/cancel" }, json: `{}`, want: onlyTrainer(422), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/sessions/:id/enrolments", concrete: func() string { return "/api/v1" + sp + "/enrolments" }, want: onlyTrainer(200), def: 403, anon: 401},
		{method: "POST", route: "/api/v1/sessions/:id/enrolments", concrete: func() string { return "/api/v1/sessions/" + itoa(apiSession.ID) + "/enrolments" }, def: 201, anon: 401},
		{method: "POST", route: "/api/v1/sessions/:id/enrolments/bulk", concrete: func() string { return "/api/v1" + sp + "/enrolments/bulk" }, json: `{}`, want: may(422, supervisor, orgAdmin), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/sessions/:id/register", concrete: func() string { return "/api/v1" + sp + "/register" }, want: onlyTrainer(200), def: 403, anon: 401},
		{method: "PUT", route: "/api/v1/sessions/:id/register", concrete: func() string { return "/api/v1" + sp + "/register" }, json: `{}`, want: onlyTrainer(422), def: 403, anon: 401},
		{method: "POST", route: "/api/v1/sessions/:id/complete", concrete: func() string { return "/api/v1" + sp + "/complete" }, want: onlyTrainer(409), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/enrolments", def: 200, anon: 401},
		{method: "GET", route: "/api/v1/enrolments/:id", concrete: func() string { return "/api/v1" + ep }, want: ofL(200, 200), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/enrolments/:id/withdraw", concrete: func() string { return "/api/v1" + ep + "/withdraw" }, want: ofL(403, 403), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/enrolments/:id/approve", concrete: func() string { return "/api/v1" + ep + "/approve" }, want: ofL(403, 409), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/enrolments/:id/decline", concrete: func() string { return "/api/v1" + ep + "/decline" }, json: `{}`, want: ofL(403, 409), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/enrolments/:id/cancel", concrete: func() string { return "/api/v1" + ep + "/cancel" }, json: `{}`, want: ofL(422, 403), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/certificates", def: 200, anon: 401},
		{method: "GET", route: "/api/v1/certificates/due", want: may(200, supervisor), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/certificates/:id", concrete: func() string { return "/api/v1" + certp }, want: may(200, supervisor), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/certificates/:id/pdf", concrete: func() string { return "/api/v1" + certp + "/pdf" }, want: may(200, supervisor), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/notifications", def: 200, anon: 401},
		{method: "POST", route: "/api/v1/notifications/:id/read", concrete: func() string { return "/api/v1/notifications/" + itoa(note) + "/read" }, def: 404, anon: 401},
	}
	return rows
}
