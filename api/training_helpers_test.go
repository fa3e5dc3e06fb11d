package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/training"
	"github.com/msptp/msphub/policies"
)

// call sends a JSON API request as u and fails the test unless the status is want; the body is
// decoded into out when out is not nil.
func trainingCall(t testing.TB, a *apitest.App, u *apitest.User, method, path, body string, want int, out any) *httptest.ResponseRecorder {
	t.Helper()
	w := a.API(t, u, method, path, body)
	apitest.Want(t, w, method+" "+path, want, out)
	return w
}

// trainingPages GETs a list page by page as u, following its next cursors from path (which ends
// in "after="): each gets the page decoded into P and returns its next cursor. It returns how
// many pages there were.
func trainingPages[P any](t testing.TB, a *apitest.App, u *apitest.User, path string, each func(P) (next string)) int {
	t.Helper()
	next := ""
	for pages := 1; ; pages++ {
		var p P
		trainingCall(t, a, u, "GET", path+next, "", 200, &p)
		if next = each(p); next == "" {
			return pages
		}
	}
}

// trainingJSON encodes v for a request body.
func trainingJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// course is what tests need of a course made through the API.
type trCourse struct {
	ID             int64  `json:"id"`
	Code           string `json:"code"`
	Status         string `json:"status"`
	Classification string `json:"classification"`
}

type trSession struct {
	ID         int64  `json:"id"`
	Capacity   int    `json:"capacity"`
	SeatsTaken int    `json:"places_taken"`
	Waiting    int    `json:"waiting"`
	Status     string `json:"status"`
	Joining    string `json:"joining_details"`
	Mine       *struct {
		ID       int64  `json:"id"`
		State    string `json:"state"`
		Position *int   `json:"waitlist_position"`
	} `json:"my_enrolment"`
}

type trEnrolment struct {
	ID       int64  `json:"id"`
	UserID   int64  `json:"user_id"`
	State    string `json:"state"`
	Position *int   `json:"waitlist_position"`
	Reason   string `json:"reason"`
}

var trCourseSeq atomic.Int64

// newTrainingCourse creates and publishes a course taught by trainer, with changes applied to the
// defaults (no approval, open to everyone, OFFICIAL material, no expiry).
func newTrainingCourse(t testing.TB, a *apitest.App, trainer *apitest.User, change func(*training.CourseInput)) trCourse {
	t.Helper()
	in := training.CourseInput{Code: fmt.Sprintf("TC-%d", trCourseSeq.Add(1)), Title: "Modern slavery investigation", Description: "Four days.",
		CPDHours: 7.5, Classification: "OFFICIAL"}
	if change != nil {
		change(&in)
	}
	var c trCourse
	trainingCall(t, a, trainer, "POST", "/api/v1/courses", trainingJSON(t, in), 201, &c)
	trainingCall(t, a, trainer, "POST", "/api/v1/courses/"+itoa(c.ID)+"/publish", "", 200, &c)
	return c
}

// trSessionSpec is a session starting at a day offset from the app's clock.
type trSessionSpec struct {
	startsIn time.Duration // from now to the first day's start
	days     int
	length   time.Duration // of each day
	capacity int
	closesIn time.Duration // booking closes, from now
	cutoffIn time.Duration // cancellation cut-off, from now
	venue    string
	joining  string
	trainers []int64
}

func (s trSessionSpec) input(now time.Time) training.SessionInput {
	if s.days == 0 {
		s.days = 1
	}
	if s.length == 0 {
		s.length = 7 * time.Hour
	}
	if s.capacity == 0 {
		s.capacity = 20
	}
	if s.startsIn == 0 {
		s.startsIn = 10 * 24 * time.Hour
	}
	if s.closesIn == 0 {
		s.closesIn = s.startsIn - 24*time.Hour
	}
	if s.cutoffIn == 0 {
		s.cutoffIn = s.startsIn - 48*time.Hour
	}
	if s.venue == "" && s.joining == "" {
		s.venue = "Exeter training centre"
	}
	in := training.SessionInput{Venue: s.venue, JoiningDetails: s.joining, Capacity: s.capacity,
		BookingClosesAt: now.Add(s.closesIn), CancellationCutoffAt: now.Add(s.cutoffIn), Trainers: s.trainers}
	for i := range s.days {
		start := now.Add(s.startsIn + time.Duration(i)*24*time.Hour)
		in.Days = append(in.Days, training.DayInput{StartsAt: start, EndsAt: start.Add(s.length)})
	}
	return in
}

func newTrainingSession(t testing.TB, a *apitest.App, trainer *apitest.User, c trCourse, spec trSessionSpec) trSession {
	t.Helper()
	var s trSession
	trainingCall(t, a, trainer, "POST", "/api/v1/courses/"+itoa(c.ID)+"/sessions", trainingJSON(t, spec.input(a.Clock.Now())), 201, &s)
	return s
}

// trLearner is a person with an API token: cheap to make in hundreds (no password to hash).
type trLearner struct {
	ID    int64
	Email string
	Token string
}

var trLearnerSeq atomic.Int64

// newTrainerSession schedules a session of capacity places on a new course by a new trainer,
// and returns the trainer and the session.
func newTrainerSession(t testing.TB, a *apitest.App, capacity int) (*apitest.User, trSession) {
	t.Helper()
	trainer := a.As(t, policies.RoleTrainer)
	c := newTrainingCourse(t, a, trainer, nil)
	return trainer, newTrainingSession(t, a, trainer, c, trSessionSpec{capacity: capacity})
}

// newTrainingLearners creates n users with roles in the organisation with slug, each with a read-write
// API token, through the command-line operations.
func newTrainingLearners(t testing.TB, a *apitest.App, n int, org string, roles ...string) []trLearner {
	t.Helper()
	ctx := context.Background()
	if org == "" {
		org = apitest.HomeOrg
	}
	if len(roles) == 0 {
		roles = []string{policies.RoleOfficer}
	}
	orgID := a.Org(t, org)
	exp := a.Clock.Now().AddDate(1, 0, 0)
	out := make([]trLearner, n)
	for i := range out {
		email := fmt.Sprintf("trLearner%d@%s.example.police.uk", trLearnerSeq.Add(1), strings.ReplaceAll(org, "-", ""))
		uv, _, err := a.Services.Operator.CreateUser(ctx, identity.UserInput{OrganisationID: orgID, Email: email, Name: fmt.Sprintf("Learner %04d", i),
			Roles: roles, VettingLevel: core.VettingRV, VettingExpiresOn: &exp}, "")
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := a.Services.Operator.CreateToken(ctx, email, identity.NewToken{Name: "test", Scope: identity.ScopeReadWrite, ExpiresIn: 30})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = trLearner{ID: uv.ID, Email: email, Token: tok}
	}
	return out
}

// bearer sends a JSON request with a trLearner's token, failing unless the status is want.
func trainingBearer(t testing.TB, a *apitest.App, l trLearner, method, path, body string, want int, out any) {
	t.Helper()
	apitest.Want(t, a.Bearer(t, l.Token, method, path, body), method+" "+path+" as "+l.Email, want, out)
}

// trainingProblem reads the detail of a problem+json answer.
func trainingProblem(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	var p struct {
		Detail string `json:"detail"`
		Field  string `json:"field"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("not a problem: %s", w.Body.String())
	}
	return p.Detail
}

// trainingEnrolments reads the session's enrolments straight from the database, in id order.
func trainingEnrolments(t testing.TB, a *apitest.App, sessionID int64) []training.Enrolment {
	t.Helper()
	var list []training.Enrolment
	if err := a.DB.Gorm().Where("session_id = ?", sessionID).Order("id").Find(&list).Error; err != nil {
		t.Fatal(err)
	}
	return list
}

func jsonDecode(b []byte, v any) error { return json.Unmarshal(b, v) }
