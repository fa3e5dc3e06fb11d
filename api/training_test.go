package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/models/training"
	"github.com/msptp/msphub/policies"
)

// pdfBytes is a tiny PDF: its type is judged from these bytes.
const pdfBytes = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

// complete runs a one-day session of c starting an hour from now for the learners, marks them
// all attended (or the given mark) and completes it; it returns the session.
func complete(t testing.TB, a *apitest.App, trainer *apitest.User, c trCourse, mark string, ls ...trLearner) trSession {
	t.Helper()
	s := newTrainingSession(t, a, trainer, c, trSessionSpec{startsIn: time.Hour, closesIn: 30 * time.Minute, cutoffIn: 20 * time.Minute, capacity: len(ls) + 1})
	marks := map[string]string{}
	for _, l := range ls {
		var e trEnrolment
		trainingBearer(t, a, l, "POST", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", "", 201, &e)
		marks[itoa(e.ID)] = mark
	}
	a.Clock.Advance(2 * time.Hour)
	trainer.SignIn(t) // the session idled out while the clock moved
	trainingCall(t, a, trainer, "PUT", "/api/v1/sessions/"+itoa(s.ID)+"/register", trainingJSON(t, map[string]any{"day": 1, "marks": marks}), 200, nil)
	trainingCall(t, a, trainer, "POST", "/api/v1/sessions/"+itoa(s.ID)+"/complete", "", 200, nil)
	return s
}

// renewTokens gives the learners new API tokens, after the clock moved past the old ones.
func renewTokens(t testing.TB, a *apitest.App, ls []trLearner) {
	t.Helper()
	for i := range ls {
		tok, _, err := a.Services.Operator.CreateToken(context.Background(), ls[i].Email, identity.NewToken{Name: "renewed", Scope: identity.ScopeReadWrite, ExpiresIn: 30})
		if err != nil {
			t.Fatal(err)
		}
		ls[i].Token = tok
	}
}

func requestPlace(t testing.TB, a *apitest.App, l trLearner, s trSession) (int, string, trEnrolment) {
	t.Helper()
	w := a.Bearer(t, l.Token, "POST", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", "")
	var e trEnrolment
	if w.Code == http.StatusCreated {
		_ = jsonDecode(w.Body.Bytes(), &e)
		return w.Code, "", e
	}
	return w.Code, trainingProblem(t, w), e
}

// A course code is taken once: a second course with the same code (as typed, in any case) is
// refused with 409 at the code field, and nothing of it is saved or audited. The database's
// unique index is the check, so two trainers racing for one code get the same answer.
func TestTrainingCourseCodeTaken(t *testing.T) {
	a := apitest.New(t)
	trainer, other := a.As(t, policies.RoleTrainer), a.As(t, policies.RoleTrainer)
	first := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.Code = "MSI-TAKEN" })
	w := a.API(t, other, "POST", "/api/v1/courses", trainingJSON(t, training.CourseInput{Code: " msi-taken ", Title: "Another course", CPDHours: 1, Classification: "OFFICIAL"}))
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), `"field":"code"`) ||
		!strings.Contains(trainingProblem(t, w), "Another course already uses the code MSI-TAKEN") {
		t.Fatalf("second course with the code: %d %s", w.Code, w.Body.String())
	}
	var n int64
	if err := a.DB.Gorm().Table("courses").Where("code = ?", "MSI-TAKEN").Count(&n).Error; err != nil || n != 1 {
		t.Fatalf("%d courses with the code (%v)", n, err)
	}
	if n := auditCount(t, a, "action = 'course.create'"); n != 1 {
		t.Errorf("%d course.create events, want 1", n)
	}
	// A new course's view, as the create answers it, is the view GET gives.
	var created, read map[string]any
	trainingCall(t, a, other, "POST", "/api/v1/courses", trainingJSON(t, training.CourseInput{Code: "MSI-FREE", Title: "Another course", CPDHours: 1, Classification: "OFFICIAL",
		Prerequisites: []int64{first.ID}, EligibleRoles: []string{policies.RoleInvestigator}, EligibleKinds: []string{string(core.KindPoliceForce)}}), 201, &created)
	trainingCall(t, a, other, "GET", fmt.Sprintf("/api/v1/courses/%v", created["id"]), "", 200, &read)
	if !reflect.DeepEqual(created, read) {
		t.Errorf("created course answered as\n%v\nread back as\n%v", created, read)
	}
	// The first course is untouched.
	var got trCourse
	trainingCall(t, a, trainer, "GET", "/api/v1/courses/"+itoa(first.ID), "", 200, &got)
	if got.Code != "MSI-TAKEN" || got.Status != training.CoursePublished {
		t.Errorf("first course now %+v", got)
	}
}

// Eligibility by role and by kind of organisation, and prerequisites that must be held and
// still valid when the session starts.
func TestTrainingEligibilityAndPrerequisites(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	basic := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.Title = "First responder awareness"; in.ValidityMonths = 2 })
	advanced := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) {
		in.EligibleRoles = []string{policies.RoleInvestigator}
		in.EligibleKinds = []string{string(core.KindPoliceForce)}
		in.Prerequisites = []int64{basic.ID}
	})
	officer := newTrainingLearners(t, a, 1, "", policies.RoleOfficer)[0]
	nca := newTrainingLearners(t, a, 1, "national-crime-agency", policies.RoleInvestigator)[0]
	inv := newTrainingLearners(t, a, 1, "", policies.RoleInvestigator, policies.RoleOfficer)[0]

	s := newTrainingSession(t, a, trainer, advanced, trSessionSpec{startsIn: 20 * 24 * time.Hour})
	for _, tc := range []struct {
		name string
		l    trLearner
		want string
	}{
		{"an officer", officer, "only for people with the role investigator"},
		{"an investigator of an agency", nca, "only for people in a police force"},
		{"an investigator without the prerequisite", inv, "need a certificate for " + basic.Code},
	} {
		if code, msg, _ := requestPlace(t, a, tc.l, s); code != http.StatusConflict || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %q, want 409 saying %q", tc.name, code, msg, tc.want)
		}
	}
	// The course page says why, before anyone tries.
	var cv struct {
		Eligible bool   `json:"eligible"`
		Reason   string `json:"not_eligible_reason"`
	}
	trainingBearer(t, a, officer, "GET", "/api/v1/courses/"+itoa(advanced.ID), "", 200, &cv)
	if cv.Eligible || !strings.Contains(cv.Reason, "investigator") {
		t.Errorf("course page for an officer: eligible %v, %q", cv.Eligible, cv.Reason)
	}

	// With the prerequisite done, the investigator gets a place.
	complete(t, a, trainer, basic, training.AttendanceAttended, inv)
	if code, msg, e := requestPlace(t, a, inv, s); code != http.StatusCreated || e.State != training.EnrolmentEnrolled {
		t.Fatalf("with the prerequisite: %d %q %s", code, msg, e.State)
	}
	// The basic certificate lasts 2 months: a session starting in 3 months is out of reach.
	later := newTrainingSession(t, a, trainer, advanced, trSessionSpec{startsIn: 90 * 24 * time.Hour})
	if code, msg, _ := requestPlace(t, a, inv, later); code != http.StatusConflict || !strings.Contains(msg, "still valid when this session starts") {
		t.Errorf("prerequisite expiring before the session: %d %q", code, msg)
	}
	// Prerequisites cannot loop.
	w := a.API(t, trainer, "PATCH", "/api/v1/courses/"+itoa(basic.ID), trainingJSON(t, training.CourseInput{Code: basic.Code, Title: "First responder awareness",
		Prerequisites: []int64{advanced.ID}}))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(trainingProblem(t, w), "cannot itself require") {
		t.Errorf("a prerequisite loop: %d %s", w.Code, w.Body.String())
	}
}

// A request not decided within the course's days expires: the queue no longer shows it, the
// learner is told, and approving it afterwards is refused. Decisions inside the time work;
// nobody decides their own request or another organisation's.
func TestTrainingApprovalExpiry(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	sup := a.As(t, policies.RoleSupervisor)
	otherSup := a.SignedIn(t, apitest.UserSpec{Org: "kent-police", Roles: []string{policies.RoleSupervisor}})
	c := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.ApprovalRequired, in.ApprovalDays = true, 3 })
	s := newTrainingSession(t, a, trainer, c, trSessionSpec{startsIn: 30 * 24 * time.Hour, capacity: 1})
	ls := newTrainingLearners(t, a, 3, "")

	_, _, late := requestPlace(t, a, ls[0], s)
	if late.State != training.EnrolmentRequested {
		t.Fatalf("a request on an approval course: %s", late.State)
	}
	var queue struct {
		Enrolments []trEnrolment `json:"enrolments"`
	}
	trainingCall(t, a, sup, "GET", "/api/v1/enrolments?awaiting_decision=true", "", 200, &queue)
	if len(queue.Enrolments) != 1 || queue.Enrolments[0].ID != late.ID {
		t.Fatalf("queue: %+v", queue.Enrolments)
	}
	var told int64
	a.DB.Gorm().Table("notifications").Where("user_id = ? AND kind = ?", sup.ID, core.NoticeApproval).Count(&told)
	if told != 1 {
		t.Errorf("the supervisor was told %d times of the request, want 1", told)
	}
	// Another organisation's supervisor cannot see it at all.
	if w := a.API(t, otherSup, "POST", "/api/v1/enrolments/"+itoa(late.ID)+"/approve", ""); w.Code != http.StatusNotFound {
		t.Errorf("another organisation's supervisor approving: %d, want 404", w.Code)
	}

	a.Clock.Advance(3*24*time.Hour + time.Minute)
	sup.SignIn(t)
	trainingCall(t, a, sup, "GET", "/api/v1/enrolments?awaiting_decision=true", "", 200, &queue)
	if len(queue.Enrolments) != 0 {
		t.Errorf("an expired request is still in the queue: %+v", queue.Enrolments)
	}
	w := a.API(t, sup, "POST", "/api/v1/enrolments/"+itoa(late.ID)+"/approve", "")
	if w.Code != http.StatusConflict || !strings.Contains(trainingProblem(t, w), "expired") {
		t.Errorf("approving an expired request: %d %s", w.Code, w.Body.String())
	}
	var e trEnrolment
	trainingBearer(t, a, ls[0], "GET", "/api/v1/enrolments/"+itoa(late.ID), "", 200, &e)
	if e.State != training.EnrolmentExpired {
		t.Errorf("state after expiry: %s", e.State)
	}
	var notes struct {
		Notifications []struct{ Text string } `json:"notifications"`
	}
	trainingBearer(t, a, ls[0], "GET", "/api/v1/notifications", "", 200, &notes)
	if len(notes.Notifications) == 0 || !strings.Contains(notes.Notifications[0].Text, "expired") {
		t.Errorf("the learner was not told of the expiry: %+v", notes.Notifications)
	}

	// In time: approve one (the only place), decline another with a reason, and the expired
	// learner may ask again.
	_, _, first := requestPlace(t, a, ls[1], s)
	_, _, second := requestPlace(t, a, ls[2], s)
	trainingCall(t, a, sup, "POST", "/api/v1/enrolments/"+itoa(first.ID)+"/approve", "", 200, &e)
	if e.State != training.EnrolmentEnrolled {
		t.Errorf("approved: %s", e.State)
	}
	if w := a.API(t, sup, "POST", "/api/v1/enrolments/"+itoa(second.ID)+"/decline", `{"reason":"  "}`); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("decline without a reason: %d", w.Code)
	}
	trainingCall(t, a, sup, "POST", "/api/v1/enrolments/"+itoa(second.ID)+"/decline", `{"reason":"Operational commitments that week"}`, 200, &e)
	if e.State != training.EnrolmentDeclined || e.Reason != "Operational commitments that week" {
		t.Errorf("declined: %+v", e)
	}
	// The reason is the supervisor's to the learner: the trainer sees the request ended, not why.
	var learners training.SessionLearners
	trainer.SignIn(t) // days have passed since the trainer signed in
	trainingCall(t, a, trainer, "GET", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", "", 200, &learners)
	if i := slices.IndexFunc(learners.Ended, func(v training.EnrolmentView) bool { return v.ID == second.ID }); i < 0 || learners.Ended[i].Reason != "" {
		t.Errorf("the trainer's view of the declined request: %+v", learners.Ended)
	}
	trainingBearer(t, a, ls[2], "GET", "/api/v1/enrolments/"+itoa(second.ID), "", 200, &e)
	if e.Reason != "Operational commitments that week" {
		t.Errorf("the learner's view of their declined request: %+v", e)
	}
	if code, _, again := requestPlace(t, a, ls[0], s); code != http.StatusCreated || again.State != training.EnrolmentRequested {
		t.Errorf("asking again after expiry: %d %s", code, again.State)
	}
	// Approved once the session is full: the waiting list, in the order of approval.
	trainingCall(t, a, sup, "GET", "/api/v1/enrolments?awaiting_decision=true", "", 200, &queue)
	trainingCall(t, a, sup, "POST", "/api/v1/enrolments/"+itoa(queue.Enrolments[0].ID)+"/approve", "", 200, &e)
	if e.State != training.EnrolmentWaitlisted || e.Position == nil || *e.Position != 1 {
		t.Errorf("approved into a full session: %+v", e)
	}

	// A supervisor's own request waits for another supervisor; with none, it is refused, saying why.
	essex := a.SignedIn(t, apitest.UserSpec{Org: "essex-police", Roles: []string{policies.RoleOfficer}})
	if w := a.API(t, essex, "POST", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", ""); w.Code != http.StatusConflict ||
		!strings.Contains(trainingProblem(t, w), "nobody in your organisation can give it") {
		t.Errorf("a request nobody in the learner's organisation can decide: %d %s", w.Code, w.Body.String())
	}
	sup.SignIn(t)
	if w := a.API(t, sup, "POST", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", ""); w.Code != http.StatusConflict {
		t.Errorf("a supervisor's request with no other supervisor to decide it: %d, want 409", w.Code)
	}
	a.As(t, policies.RoleSupervisor)
	var own trSession
	trainingCall(t, a, sup, "POST", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", "", 201, &e)
	trainingCall(t, a, sup, "GET", "/api/v1/sessions/"+itoa(s.ID), "", 200, &own)
	if w := a.API(t, sup, "POST", "/api/v1/enrolments/"+itoa(e.ID)+"/approve", ""); w.Code != http.StatusForbidden {
		t.Errorf("approving one's own request: %d, want 403", w.Code)
	}
	if audit := modelstest.AuditCount(t, a.DB, "enrolment.expire", itoa(late.ID)); audit != 1 {
		t.Errorf("%d audit events for the expiry, want 1", audit)
	}
}

// A learner cannot hold two overlapping sessions, including a request or a waiting-list
// position; withdrawing frees them to book the other.
func TestTrainingOverlapRefused(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	ca := newTrainingCourse(t, a, trainer, nil)
	cb := newTrainingCourse(t, a, trainer, nil)
	day := 10 * 24 * time.Hour
	sa := newTrainingSession(t, a, trainer, ca, trSessionSpec{startsIn: day, length: 7 * time.Hour, days: 2})
	sb := newTrainingSession(t, a, trainer, cb, trSessionSpec{startsIn: day + 24*time.Hour + 5*time.Hour, length: 4 * time.Hour}) // afternoon of day 2
	sc := newTrainingSession(t, a, trainer, cb, trSessionSpec{startsIn: day + 2*24*time.Hour})                                    // the day after
	l := newTrainingLearners(t, a, 1, "")[0]

	_, _, ea := requestPlace(t, a, l, sa)
	code, msg, _ := requestPlace(t, a, l, sb)
	if code != http.StatusConflict || !strings.Contains(msg, "overlaps your booking for "+ca.Code) {
		t.Errorf("an overlapping session: %d %q", code, msg)
	}
	if code, msg, _ := requestPlace(t, a, l, sc); code != http.StatusCreated {
		t.Errorf("the next day: %d %q", code, msg)
	}
	if code, msg, _ := requestPlace(t, a, l, sa); code != http.StatusConflict || !strings.Contains(msg, "already have a place") {
		t.Errorf("the same session twice: %d %q", code, msg)
	}
	trainingBearer(t, a, l, "POST", "/api/v1/enrolments/"+itoa(ea.ID)+"/withdraw", "", 200, nil)
	if code, msg, _ := requestPlace(t, a, l, sb); code != http.StatusCreated {
		t.Errorf("after withdrawing from the overlapping one: %d %q", code, msg)
	}

	// Asking for both overlapping sessions at the same moment gives one of them, never both.
	ls := newTrainingLearners(t, a, 10, "")
	codes := make([][2]int, len(ls))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, l := range ls {
		for k, s := range []trSession{sa, sb} {
			done.Go(func() {
				start.Wait()
				codes[i][k] = a.Bearer(t, l.Token, "POST", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", "").Code
			})
		}
	}
	start.Done()
	done.Wait()
	for i, c := range codes {
		if !(c == [2]int{http.StatusCreated, http.StatusConflict} || c == [2]int{http.StatusConflict, http.StatusCreated}) {
			t.Errorf("learner %d asking for two overlapping sessions at once: %v, want one 201 and one 409", i, c)
		}
	}
}

// Booking closes at its time; a place cannot be given up online after the cancellation
// cut-off (a waiting-list position can).
func TestTrainingBookingCloseAndCancellationCutoff(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	c := newTrainingCourse(t, a, trainer, nil)
	s := newTrainingSession(t, a, trainer, c, trSessionSpec{startsIn: 48 * time.Hour, closesIn: 2 * time.Hour, cutoffIn: time.Hour, capacity: 1})
	ls := newTrainingLearners(t, a, 3, "")
	_, _, placed := requestPlace(t, a, ls[0], s)
	_, _, waiting := requestPlace(t, a, ls[1], s)

	a.Clock.Advance(90 * time.Minute) // past the cut-off, booking still open
	w := a.Bearer(t, ls[0].Token, "POST", "/api/v1/enrolments/"+itoa(placed.ID)+"/withdraw", "")
	if w.Code != http.StatusConflict || !strings.Contains(trainingProblem(t, w), "cancellation cut-off") {
		t.Errorf("withdrawing a place after the cut-off: %d %s", w.Code, w.Body.String())
	}
	trainingBearer(t, a, ls[1], "POST", "/api/v1/enrolments/"+itoa(waiting.ID)+"/withdraw", "", 200, nil)
	if code, msg, e := requestPlace(t, a, ls[2], s); code != http.StatusCreated || e.State != training.EnrolmentWaitlisted || *e.Position != 1 {
		t.Errorf("booking before it closes: %d %q %+v", code, msg, e)
	}

	a.Clock.Advance(time.Hour) // booking closed
	trainer.SignIn(t)
	var got trSession
	trainingBearer(t, a, ls[1], "GET", "/api/v1/sessions/"+itoa(s.ID), "", 200, &got)
	code, msg, _ := requestPlace(t, a, ls[1], s)
	if code != http.StatusConflict || !strings.Contains(msg, "Booking for this session closed") {
		t.Errorf("booking after it closed: %d %q", code, msg)
	}
	// The trainer can still take a place away, and it goes to the first waiting.
	trainingCall(t, a, trainer, "POST", "/api/v1/enrolments/"+itoa(placed.ID)+"/cancel", `{"reason":"Not released by their unit"}`, 200, nil)
	var learners struct {
		Enrolled []struct {
			UserID int64 `json:"user_id"`
		} `json:"enrolled"`
	}
	trainingCall(t, a, trainer, "GET", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", "", 200, &learners)
	if len(learners.Enrolled) != 1 || learners.Enrolled[0].UserID != ls[2].ID {
		t.Errorf("after the trainer's cancellation: %+v, want learner %d promoted", learners.Enrolled, ls[2].ID)
	}
}

// A supervisor books a list of their staff from a CSV file and gets a result per row; bad
// files are refused whole.
func TestTrainingBulkEnrolmentPerRowResults(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	sup := a.As(t, policies.RoleSupervisor)
	admin := a.As(t, policies.RoleOrgAdmin)
	c := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.EligibleRoles = []string{policies.RoleOfficer} })
	s := newTrainingSession(t, a, trainer, c, trSessionSpec{capacity: 2})
	staff := newTrainingLearners(t, a, 3, "")
	analyst := newTrainingLearners(t, a, 1, "", policies.RoleAnalyst)[0]
	outsider := newTrainingLearners(t, a, 1, "kent-police")[0]
	file := "name,email\n" +
		"One," + strings.ToUpper(staff[0].Email) + "\n" +
		"Two," + staff[1].Email + "\n" +
		"Three," + staff[2].Email + "\n" +
		"One again," + staff[0].Email + "\n" +
		"Analyst," + analyst.Email + "\n" +
		"Elsewhere," + outsider.Email + "\n" +
		"\n" +
		"Formula,\"=HYPERLINK(\"\"http://evil\"\")\"\n"
	tok := sup.Token(t, identity.ScopeReadWrite)
	path := "/api/v1/sessions/" + itoa(s.ID) + "/enrolments/bulk"
	w := a.UploadAPI(t, tok, path, nil, apitest.File{Field: "file", Name: "staff.csv", Body: strings.NewReader(file)})
	if w.Code != http.StatusOK {
		t.Fatalf("bulk: %d %s", w.Code, w.Body.String())
	}
	var r training.BulkReport
	if err := jsonDecode(w.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line            int
		outcome, reason string
	}{
		{2, training.BulkEnrolled, ""},
		{3, training.BulkEnrolled, ""},
		{4, training.BulkWaitlisted, ""},
		{5, training.BulkNotEligible, "Listed more than once"},
		{6, training.BulkNotEligible, "only for people with the role officer"},
		{7, training.BulkNotEligible, "No one in your organisation"},
		{9, training.BulkNotEligible, "Not an email address"},
	}
	if len(r.Rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(r.Rows), len(want), r.Rows)
	}
	for i, wr := range want {
		got := r.Rows[i]
		if got.Line != wr.line || got.Outcome != wr.outcome || !strings.Contains(got.Reason, wr.reason) {
			t.Errorf("row %d: %+v, want line %d %s %q", i, got, wr.line, wr.outcome, wr.reason)
		}
	}
	if r.Rows[2].Position != 1 || r.Enrolled != 2 || r.Waitlisted != 1 || r.NotEligible != 4 {
		t.Errorf("totals: %+v", r)
	}
	checkWaitlist(t, a, s.ID, 2, 1)
	// Each person booked was told, by their organisation.
	var notes int64
	a.DB.Gorm().Table("notifications").Where("user_id IN ? AND text LIKE ?", []int64{staff[0].ID, staff[1].ID, staff[2].ID}, "You were booked by your organisation%").Count(&notes)
	if notes != 3 {
		t.Errorf("%d learners told of the bulk booking, want 3", notes)
	}

	// An organisation administrator's booking on an approval course still needs a supervisor.
	ac := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.ApprovalRequired = true })
	as := newTrainingSession(t, a, trainer, ac, trSessionSpec{startsIn: 20 * 24 * time.Hour})
	w = a.UploadAPI(t, admin.Token(t, identity.ScopeReadWrite), "/api/v1/sessions/"+itoa(as.ID)+"/enrolments/bulk", nil,
		apitest.File{Field: "file", Name: "one.csv", Body: strings.NewReader(staff[0].Email + "\n")})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"outcome":"awaiting approval"`) {
		t.Errorf("an organisation administrator's bulk booking: %d %s", w.Code, w.Body.String())
	}

	// An officer may not; bad files change nothing.
	officer := a.As(t, policies.RoleOfficer)
	if w := a.UploadAPI(t, officer.Token(t, identity.ScopeReadWrite), path, nil, apitest.File{Field: "file", Name: "x.csv", Body: strings.NewReader(staff[0].Email)}); w.Code != http.StatusForbidden {
		t.Errorf("an officer's bulk booking: %d, want 403", w.Code)
	}
	many := strings.Repeat("someone@example.police.uk\n", training.MaxBulkRows+1)
	for _, bad := range []struct {
		name, body string
		code       int
		says       string
	}{
		{"too many rows", many, http.StatusUnprocessableEntity, "more than 500"},
		{"too large", strings.Repeat("x", training.MaxBulkBytes+10), http.StatusRequestEntityTooLarge, "smaller than"},
		{"broken quotes", "email\n\"unterminated@example.police.uk\n", http.StatusUnprocessableEntity, "not valid CSV"},
		{"not text", "\xff\xfe\x00e\x00m", http.StatusUnprocessableEntity, "UTF-8"},
		{"empty", "   \n", http.StatusUnprocessableEntity, "empty"},
	} {
		w := a.UploadAPI(t, tok, path, nil, apitest.File{Field: "file", Name: "bad.csv", Body: strings.NewReader(bad.body)})
		if w.Code != bad.code || !strings.Contains(trainingProblem(t, w), bad.says) {
			t.Errorf("%s: %d %s", bad.name, w.Code, w.Body.String())
		}
	}
	checkWaitlist(t, a, s.ID, 2, 1)

	// The page shows a row per line too.
	b := sup.Browser()
	b.Get(t, "/sessions/"+itoa(s.ID)+"/bulk")
	w = b.Upload(t, "/sessions/"+itoa(s.ID)+"/bulk", nil, apitest.File{Field: "file", Name: "again.csv", Body: strings.NewReader(staff[1].Email + "\nnobody@example.police.uk\n")})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "already have a place") || !strings.Contains(w.Body.String(), "No one in your organisation") {
		t.Errorf("bulk page: %d %s", w.Code, w.Body.String())
	}
}

// Material is seen only by learners with a place on a session of the course and its trainers,
// within their clearance; learners see the latest published version; downloads are audited.
func TestTrainingMaterialVisibility(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	otherTrainer := a.As(t, policies.RoleTrainer)
	c := newTrainingCourse(t, a, trainer, nil)
	s := newTrainingSession(t, a, trainer, c, trSessionSpec{capacity: 1})
	ls := newTrainingLearners(t, a, 3, "")
	_, _, placed := requestPlace(t, a, ls[0], s)
	requestPlace(t, a, ls[1], s) // waiting list
	tok := trainer.Token(t, identity.ScopeReadWrite)
	base := "/api/v1/courses/" + itoa(c.ID) + "/materials"

	// A web page posing as a PDF is refused.
	w := a.UploadAPI(t, tok, base, url.Values{"title": {"Handbook"}}, apitest.File{Field: "file", Name: "handbook.pdf", Body: strings.NewReader("<html><script>alert(1)</script></html>")})
	if w.Code != http.StatusUnprocessableEntity {
		t.Errorf("HTML upload: %d", w.Code)
	}
	if w := a.UploadAPI(t, otherTrainer.Token(t, identity.ScopeReadWrite), base, url.Values{"title": {"Mine"}}, apitest.File{Field: "file", Name: "x.pdf", Body: strings.NewReader(pdfBytes)}); w.Code != http.StatusForbidden {
		t.Errorf("a trainer of another course uploading: %d, want 403", w.Code)
	}
	w = a.UploadAPI(t, tok, base, url.Values{"title": {"Delegate handbook"}}, apitest.File{Field: "file", Name: "handbook v1.pdf", Body: strings.NewReader(pdfBytes)})
	if w.Code != http.StatusCreated {
		t.Fatalf("upload: %d %s", w.Code, w.Body.String())
	}
	var m struct {
		ID int64 `json:"id"`
	}
	_ = jsonDecode(w.Body.Bytes(), &m)
	download := base + "/" + itoa(m.ID) + "/download"
	var list struct {
		Materials []any `json:"materials"`
	}
	trainingBearer(t, a, ls[0], "GET", base, "", 200, &list)
	if len(list.Materials) != 0 {
		t.Errorf("unpublished material listed for a learner: %v", list.Materials)
	}
	trainingBearer(t, a, ls[0], "GET", download, "", 404, nil)

	trainingCall(t, a, trainer, "POST", base+"/"+itoa(m.ID)+"/versions/1/publish", "", 200, nil)
	got := a.Bearer(t, ls[0].Token, "GET", download, "")
	if got.Code != 200 || got.Body.String() != pdfBytes || got.Header().Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(got.Header().Get("Content-Disposition"), "attachment") || got.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("learner download: %d %q %v", got.Code, got.Body.String(), got.Header())
	}
	for name, l := range map[string]trLearner{"waiting": ls[1], "not booked": ls[2]} {
		trainingBearer(t, a, l, "GET", download, "", 404, nil)
		trainingBearer(t, a, l, "GET", base, "", 200, &list)
		if len(list.Materials) != 0 {
			t.Errorf("%s learner sees material: %v", name, list.Materials)
		}
	}
	if w := a.API(t, otherTrainer, "GET", download, ""); w.Code != http.StatusNotFound {
		t.Errorf("a trainer of another course: %d, want 404", w.Code)
	}

	// Version 2: the learner keeps version 1 until it is published.
	v2 := "%PDF-1.4\n% version two\n%%EOF\n"
	if w := a.UploadAPI(t, tok, base, url.Values{"material_id": {itoa(m.ID)}, "note": {"Updated case law"}}, apitest.File{Field: "file", Name: "handbook v2.pdf", Body: strings.NewReader(v2)}); w.Code != http.StatusCreated {
		t.Fatalf("version 2: %d %s", w.Code, w.Body.String())
	}
	if got := a.Bearer(t, ls[0].Token, "GET", download, ""); got.Body.String() != pdfBytes {
		t.Error("the learner got an unpublished version")
	}
	if got := a.API(t, trainer, "GET", download+"?version=2", ""); got.Code != 200 || got.Body.String() != v2 {
		t.Errorf("the trainer's draft download: %d", got.Code)
	}
	trainingCall(t, a, trainer, "POST", base+"/"+itoa(m.ID)+"/versions/2/publish", "", 200, nil)
	if got := a.Bearer(t, ls[0].Token, "GET", download, ""); got.Body.String() != v2 {
		t.Error("the learner did not get the new version")
	}
	trainingBearer(t, a, ls[0], "GET", download+"?version=1", "", 404, nil)

	// Once their place ends, so does their access.
	trainingBearer(t, a, ls[0], "POST", "/api/v1/enrolments/"+itoa(placed.ID)+"/withdraw", "", 200, nil)
	trainingBearer(t, a, ls[0], "GET", download, "", 404, nil)
	// ...and the learner promoted from the waiting list now has it.
	if got := a.Bearer(t, ls[1].Token, "GET", download, ""); got.Code != 200 {
		t.Errorf("the promoted learner: %d", got.Code)
	}

	// OFFICIAL-SENSITIVE material needs a clearance that covers it: expired vetting does not.
	tomorrow := a.Clock.Now().Add(36 * time.Hour)
	lapsing := a.NewUser(t, apitest.UserSpec{Roles: []string{policies.RoleOfficer}, Expires: &tomorrow})
	lapsing.SignIn(t)
	trainingCall(t, a, lapsing, "POST", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", "", 201, nil)
	w = a.UploadAPI(t, tok, base, url.Values{"title": {"Covert tactics annex"}, "classification": {"OFFICIAL-SENSITIVE"}}, apitest.File{Field: "file", Name: "annex.pdf", Body: strings.NewReader(pdfBytes)})
	_ = jsonDecode(w.Body.Bytes(), &m)
	trainingCall(t, a, trainer, "POST", base+"/"+itoa(m.ID)+"/versions/1/publish", "", 200, nil)
	sensitive := base + "/" + itoa(m.ID) + "/download"
	// The session is full (ls[1] was promoted): lapsing waits until the trainer frees ls[1]'s place.
	var learners struct {
		Enrolled []struct {
			ID     int64 `json:"id"`
			UserID int64 `json:"user_id"`
		} `json:"enrolled"`
	}
	trainingCall(t, a, trainer, "GET", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", "", 200, &learners)
	trainingCall(t, a, trainer, "POST", "/api/v1/enrolments/"+itoa(learners.Enrolled[0].ID)+"/cancel", `{"reason":"Swapped"}`, 200, nil)
	if w := a.API(t, lapsing, "GET", sensitive, ""); w.Code != http.StatusOK {
		t.Errorf("sensitive material with current vetting: %d", w.Code)
	}
	a.Clock.Advance(48 * time.Hour)
	lapsing.SignIn(t)
	if w := a.API(t, lapsing, "GET", sensitive, ""); w.Code != http.StatusNotFound {
		t.Errorf("sensitive material after vetting expired: %d, want 404", w.Code)
	}

	if downloads := modelstest.AuditCount(t, a.DB, "material.download", ""); downloads != 6 {
		t.Errorf("%d downloads audited, want 6", downloads)
	}
}

// Attending every day completes a course with a certificate: a PDF, a public verification page
// that says only valid or expired (or not found), and a learning record that shows renewal due.
func TestTrainingCertificateExpiryAndVerification(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	sup := a.As(t, policies.RoleSupervisor)
	otherSup := a.SignedIn(t, apitest.UserSpec{Org: "kent-police", Roles: []string{policies.RoleSupervisor}})
	c := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.ValidityMonths = 12; in.Title = "Interviewing vulnerable victims" })
	ls := newTrainingLearners(t, a, 2, "")
	// A name a spreadsheet would run as a formula.
	if err := a.DB.Gorm().Table("users").Where("id = ?", ls[0].ID).Update("name", "=HYPERLINK(\"http://evil\")").Error; err != nil {
		t.Fatal(err)
	}
	s := complete(t, a, trainer, c, training.AttendanceAttended, ls[0])
	partial := complete(t, a, trainer, c, training.AttendancePartial, ls[1])
	sup.SignIn(t)
	otherSup.SignIn(t)

	var certs struct {
		Certificates []struct {
			ID        int64      `json:"id"`
			Number    string     `json:"number"`
			Code      string     `json:"verification_code"`
			Status    string     `json:"status"`
			ExpiresOn *time.Time `json:"expires_on"`
			CPDHours  float64    `json:"cpd_hours"`
			SessionID int64      `json:"session_id"`
			IssuedAt  time.Time  `json:"issued_at"`
		} `json:"certificates"`
	}
	trainingBearer(t, a, ls[0], "GET", "/api/v1/certificates", "", 200, &certs)
	if len(certs.Certificates) != 1 || certs.Certificates[0].Status != training.CertificateValid || certs.Certificates[0].SessionID != s.ID ||
		certs.Certificates[0].ExpiresOn == nil || certs.Certificates[0].CPDHours != 7.5 {
		t.Fatalf("certificates: %+v", certs.Certificates)
	}
	cert := certs.Certificates[0]
	if !regexp.MustCompile(`^MSPC-\d{4}-\d{6}$`).MatchString(cert.Number) || training.NormaliseVerificationCode(cert.Code) != cert.Code {
		t.Errorf("number %q, code %q", cert.Number, cert.Code)
	}
	trainingBearer(t, a, ls[1], "GET", "/api/v1/certificates", "", 200, &certs)
	if len(certs.Certificates) != 0 {
		t.Errorf("partial attendance earned a certificate: %+v", certs.Certificates)
	}
	var e struct {
		Enrolments []trEnrolment `json:"enrolments"`
	}
	trainingBearer(t, a, ls[1], "GET", "/api/v1/enrolments", "", 200, &e)
	if len(e.Enrolments) != 1 || e.Enrolments[0].State != training.EnrolmentNotCompleted {
		t.Errorf("partial attendance: %+v (session %d)", e.Enrolments, partial.ID)
	}

	// The PDF, for the learner and their supervisor only.
	pdf := a.Bearer(t, ls[0].Token, "GET", "/api/v1/certificates/"+itoa(cert.ID)+"/pdf", "")
	body := pdf.Body.String()
	if pdf.Code != 200 || pdf.Header().Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF-") ||
		!strings.Contains(body, cert.Number) || !strings.Contains(body, "Interviewing vulnerable victims") || !strings.Contains(body, "7.5") ||
		!strings.Contains(body, "/certificates/verify/"+cert.Code) || !strings.HasSuffix(strings.TrimSpace(body), "%%EOF") {
		t.Errorf("certificate PDF: %d %s", pdf.Code, pdf.Header())
	}
	if w := a.API(t, sup, "GET", "/api/v1/certificates/"+itoa(cert.ID)+"/pdf", ""); w.Code != 200 {
		t.Errorf("supervisor's PDF: %d", w.Code)
	}
	trainingBearer(t, a, ls[1], "GET", "/api/v1/certificates/"+itoa(cert.ID), "", 404, nil)
	if w := a.API(t, otherSup, "GET", "/api/v1/certificates/"+itoa(cert.ID), ""); w.Code != http.StatusNotFound {
		t.Errorf("another force's supervisor: %d, want 404", w.Code)
	}

	// Public verification: no sign-in; it says whether the code is valid and names the holder,
	// the course, the date of issue and the expiry (so a doctored PDF with a real code shows),
	// and nothing else: no certificate number, no CPD hours.
	anon := a.Browser()
	page := anon.Get(t, "/certificates/verify/"+url.PathEscape(strings.ToLower(strings.ReplaceAll(cert.Code, "-", " "))))
	text := html.UnescapeString(mainOf(page.Body.String()))
	if page.Code != 200 || !strings.Contains(text, "Valid certificate") {
		t.Errorf("verification page: %d\n%s", page.Code, text)
	}
	for _, want := range []string{`=HYPERLINK("http://evil")`, "Interviewing vulnerable victims",
		cert.IssuedAt.In(core.London).Format("2 January 2006"), cert.ExpiresOn.In(core.London).Format("2 January 2006")} {
		if !strings.Contains(text, want) {
			t.Errorf("verification page does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, cert.Number) || strings.Contains(text, "7.5") || strings.Contains(page.Body.String(), `=HYPERLINK("`) {
		t.Errorf("verification page says more than it should, or does not escape the name:\n%s", page.Body.String())
	}
	if w := anon.Get(t, "/certificates/verify?code=AAAA-BBBB-CCCC-DDDD"); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "No certificate found") {
		t.Errorf("an unknown code: %d", w.Code)
	}

	// Eleven months on it is due for renewal; after twelve it has expired.
	a.Clock.Advance(11 * 30 * 24 * time.Hour)
	sup.SignIn(t)
	otherSup.SignIn(t)
	renewTokens(t, a, ls)
	var due struct {
		Due []struct {
			Person struct {
				ID int64 `json:"id"`
			} `json:"person"`
		} `json:"due_for_renewal"`
	}
	trainingCall(t, a, sup, "GET", "/api/v1/certificates/due", "", 200, &due)
	if len(due.Due) != 1 || due.Due[0].Person.ID != ls[0].ID {
		t.Errorf("due within 60 days: %+v", due.Due)
	}
	trainingCall(t, a, otherSup, "GET", "/api/v1/certificates/due", "", 200, &due)
	if len(due.Due) != 0 {
		t.Errorf("another force's supervisor sees %+v", due.Due)
	}
	sb := sup.Browser()
	export := sb.Get(t, "/staff-training/export.csv")
	rows, err := csv.NewReader(bytes.NewReader(export.Body.Bytes())).ReadAll()
	if err != nil || export.Code != 200 {
		t.Fatalf("export: %d %v", export.Code, err)
	}
	found := false
	for _, r := range rows {
		if strings.Contains(r[0], "HYPERLINK") {
			found = true
			if !strings.HasPrefix(r[0], "'=") || r[4] != "due for renewal" || r[8] != cert.Number {
				t.Errorf("export row: %q", r)
			}
		}
	}
	if !found {
		t.Errorf("the learner is not in the export: %q", rows)
	}
	// The export is recorded before its first byte leaves: one whose reader went away midway is
	// on record all the same.
	before := modelstest.AuditCount(t, a.DB, "record.export", "")
	if err := a.Services.Training.ExportStaffRecords(context.Background(), actorOfUser(t, a, sup), brokenWriter{}); err == nil {
		t.Error("an export to a reader that went away succeeded")
	}
	if n := modelstest.AuditCount(t, a.DB, "record.export", ""); n != before+1 {
		t.Errorf("an export cut off: %d more record.export events, want 1", n-before)
	}

	a.Clock.Advance(60 * 24 * time.Hour)
	renewTokens(t, a, ls)
	if page := anon.Get(t, "/certificates/verify/"+cert.Code); page.Code != 200 || !strings.Contains(page.Body.String(), "Expired certificate") {
		t.Errorf("expired verification: %d", page.Code)
	}
	trainingBearer(t, a, ls[0], "GET", "/api/v1/certificates", "", 200, &certs)
	if certs.Certificates[0].Status != training.CertificateExpired {
		t.Errorf("status after a year: %s", certs.Certificates[0].Status)
	}
	if checks := modelstest.AuditCount(t, a.DB, "certificate.verify", ""); checks != 3 {
		t.Errorf("%d verifications audited, want 3", checks)
	}
}

// The calendar feed at a secret address is valid iCalendar (parsed by a real library), carries
// the learner's sessions and no joining details, and stops working when replaced.
func TestTrainingCalendarFeed(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	c := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.Title = "Victim care; first, second, third" })
	two := newTrainingSession(t, a, trainer, c, trSessionSpec{days: 2, venue: "Room 4,\nHQ", joining: "https://meet.example/secret-room"})
	one := newTrainingSession(t, a, trainer, c, trSessionSpec{startsIn: 20 * 24 * time.Hour})
	u := a.As(t, policies.RoleOfficer)
	for _, s := range []trSession{two, one} {
		trainingCall(t, a, u, "POST", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", "", 201, nil)
	}

	b := u.Browser()
	b.Get(t, "/my-training")
	page := b.Submit(t, "/my-training/calendar", nil).Body.String()
	m := regexp.MustCompile(`<code class="app-secret">http://msphub\.test(/calendar/[A-Za-z0-9_-]+\.ics)</code>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no calendar address on the page:\n%s", page)
	}
	feed := a.Browser().Get(t, m[1])
	if feed.Code != 200 || !strings.HasPrefix(feed.Header().Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed: %d %s", feed.Code, feed.Header().Get("Content-Type"))
	}
	if strings.Contains(feed.Body.String(), "secret-room") {
		t.Error("the feed carries the joining details")
	}
	cal, err := ics.ParseCalendar(strings.NewReader(feed.Body.String()))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, feed.Body.String())
	}
	events := cal.Events()
	if len(events) != 3 {
		t.Fatalf("%d events, want 3 (2 days + 1 day)", len(events))
	}
	in := sessionInputFor(a, two)
	start, err := events[0].GetStartAt()
	if err != nil || !start.Equal(in.Days[0].StartsAt.Truncate(time.Minute)) {
		t.Errorf("first event starts %v (%v), want %v", start, err, in.Days[0].StartsAt)
	}
	end, _ := events[1].GetEndAt()
	if !end.Equal(in.Days[1].EndsAt.Truncate(time.Minute)) {
		t.Errorf("second event ends %v, want %v", end, in.Days[1].EndsAt)
	}
	if got := events[0].GetProperty(ics.ComponentPropertySummary).Value; got != c.Code+" Victim care; first, second, third (day 1 of 2)" {
		t.Errorf("summary %q", got)
	}
	if got := events[0].GetProperty(ics.ComponentPropertyLocation).Value; got != "Room 4,\nHQ" {
		t.Errorf("location %q", got)
	}
	if got := events[0].GetProperty(ics.ComponentPropertyUrl).Value; got != "http://msphub.test/sessions/"+itoa(two.ID) {
		t.Errorf("url %q", got)
	}

	// A cancelled session stays in the feed, marked cancelled, so calendars drop it.
	trainingCall(t, a, trainer, "POST", "/api/v1/sessions/"+itoa(one.ID)+"/cancel", `{"reason":"Trainer unwell"}`, 200, nil)
	cal, err = ics.ParseCalendar(strings.NewReader(a.Browser().Get(t, m[1]).Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	if ev := cal.Events(); len(ev) != 3 || ev[2].GetProperty(ics.ComponentPropertyStatus).Value != "CANCELLED" {
		t.Errorf("after cancelling: %d events", len(ev))
	}

	// A new address: the old one stops working.
	page = b.Submit(t, "/my-training/calendar", nil).Body.String()
	m2 := regexp.MustCompile(`/calendar/[A-Za-z0-9_-]+\.ics`).FindString(page)
	if w := a.Browser().Get(t, m[1]); w.Code != http.StatusNotFound {
		t.Errorf("the old address: %d, want 404", w.Code)
	}
	if w := a.Browser().Get(t, m2); w.Code != http.StatusOK {
		t.Errorf("the new address: %d", w.Code)
	}
	if w := a.Browser().Get(t, "/calendar/not-a-token.ics"); w.Code != http.StatusNotFound {
		t.Errorf("a made-up address: %d", w.Code)
	}

	// Outside calendar services read the feed: a course marked above OFFICIAL is named only as a
	// session, with no venue, as its emails are.
	sensitive := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) {
		in.Title, in.Classification = "Operation Kestrel debrief", "OFFICIAL-SENSITIVE"
	})
	s := newTrainingSession(t, a, trainer, sensitive, trSessionSpec{startsIn: 30 * 24 * time.Hour, venue: "Safe house briefing room"})
	trainingCall(t, a, u, "POST", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", "", 201, nil)
	body := a.Browser().Get(t, m2).Body.String()
	if strings.Contains(body, "Kestrel") || strings.Contains(body, "Safe house") || strings.Contains(body, sensitive.Code) {
		t.Errorf("the feed names an OFFICIAL-SENSITIVE course or its venue:\n%s", body)
	}
	if cal, err = ics.ParseCalendar(strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	ev := cal.Events()
	if last := ev[len(ev)-1]; len(ev) != 4 || last.GetProperty(ics.ComponentPropertySummary).Value != "MSP Hub training session" ||
		last.GetProperty(ics.ComponentPropertyLocation) != nil || last.GetProperty(ics.ComponentPropertyUrl).Value != "http://msphub.test/sessions/"+itoa(s.ID) {
		t.Errorf("%d events; the OFFICIAL-SENSITIVE session's: %+v", len(ev), last.Properties)
	}
}

// sessionInputFor recomputes what newTrainingSession sent for s (its days), from the database.
func sessionInputFor(a *apitest.App, s trSession) training.SessionInput {
	var days []training.SessionDay
	a.DB.Gorm().Where("session_id = ?", s.ID).Order("day_number").Find(&days)
	var in training.SessionInput
	for _, d := range days {
		in.Days = append(in.Days, training.DayInput{StartsAt: d.StartsAt, EndsAt: d.EndsAt})
	}
	return in
}

// Every notification is written with its email outbox row, in the same transaction as the
// change; the page lists them and opening one marks it read and follows its link.
func TestTrainingNotificationsOutbox(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	c := newTrainingCourse(t, a, trainer, nil)
	s := newTrainingSession(t, a, trainer, c, trSessionSpec{capacity: 1})
	u := a.As(t, policies.RoleOfficer)
	trainingCall(t, a, u, "POST", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", "", 201, nil)
	// A refused request writes nothing.
	if w := a.API(t, u, "POST", "/api/v1/sessions/"+itoa(s.ID)+"/enrolments", ""); w.Code != http.StatusConflict {
		t.Errorf("second request: %d", w.Code)
	}
	var n, o int64
	a.DB.Gorm().Table("notifications").Where("user_id = ?", u.ID).Count(&n)
	a.DB.Gorm().Table("outbox").Joins("JOIN notifications ON notifications.id = outbox.notification_id").
		Where("notifications.user_id = ? AND outbox.channel = ? AND outbox.delivered_at IS NULL AND outbox.attempts = 0", u.ID, core.ChannelEmail).Count(&o)
	if n != 1 || o != 1 {
		t.Fatalf("%d notifications and %d outbox rows, want 1 and 1", n, o)
	}
	b := u.Browser()
	page := b.Get(t, "/notifications").Body.String()
	if !strings.Contains(page, "You have a place on "+c.Code) || !strings.Contains(page, "Notifications (1 unread)") {
		t.Fatalf("notifications page:\n%s", page)
	}
	id := regexp.MustCompile(`/notifications/(\d+)/read`).FindStringSubmatch(page)[1]
	w := b.Submit(t, "/notifications/"+id+"/read", nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/sessions/"+itoa(s.ID) {
		t.Errorf("open: %d %s", w.Code, w.Header().Get("Location"))
	}
	var unread int64
	a.DB.Gorm().Table("notifications").Where("user_id = ? AND read_at IS NULL", u.ID).Count(&unread)
	if unread != 0 {
		t.Errorf("%d unread after opening", unread)
	}
	// Someone else's notification is not found.
	other := a.As(t, policies.RoleOfficer)
	if w := other.Browser().Submit(t, "/notifications/"+id+"/read", nil); w.Code != http.StatusNotFound {
		t.Errorf("another's notification: %d", w.Code)
	}
	// Session changes reach everyone booked.
	in := sessionInputFor(a, s)
	in.Venue, in.Capacity = "New venue", 1
	var cur struct {
		BookingClosesAt      time.Time `json:"booking_closes_at"`
		CancellationCutoffAt time.Time `json:"cancellation_cutoff_at"`
	}
	trainingCall(t, a, trainer, "GET", "/api/v1/sessions/"+itoa(s.ID), "", 200, &cur)
	in.BookingClosesAt, in.CancellationCutoffAt = cur.BookingClosesAt, cur.CancellationCutoffAt
	trainingCall(t, a, trainer, "PATCH", "/api/v1/sessions/"+itoa(s.ID), trainingJSON(t, in), 200, nil)
	a.DB.Gorm().Table("notifications").Where("user_id = ? AND kind = ?", u.ID, core.NoticeSessionChange).Count(&n)
	if n != 1 {
		t.Errorf("%d session-change notifications, want 1", n)
	}
}

// The pages of training, as a browser without JavaScript uses them, each rendering for the
// people it is for and refusing the rest.
func TestTrainingPages(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	sup := a.As(t, policies.RoleSupervisor)
	officer := a.As(t, policies.RoleOfficer)
	tb := trainer.Browser()
	tb.Get(t, "/courses/new")
	form := url.Values{"code": {"msi-4d"}, "title": {"Modern slavery investigators"}, "description": {"Four days.\n\nCollege accredited."},
		"eligible_roles": {"officer"}, "approval_required": {"yes"}, "approval_days": {"14"}, "cpd_hours": {"seven"}, "validity_months": {"36"}, "classification": {"OFFICIAL"}}
	if w := tb.Submit(t, "/courses/new", form); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `href="#cpd_hours"`) {
		t.Fatalf("bad CPD hours: %d", w.Code)
	}
	form.Set("cpd_hours", "28")
	w := tb.Submit(t, "/courses/new", form)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create course: %d %s", w.Code, w.Body.String())
	}
	coursePath := w.Header().Get("Location")
	if w := officer.Browser().Get(t, coursePath); w.Code != http.StatusNotFound {
		t.Errorf("a draft course for an officer: %d, want 404", w.Code)
	}
	tb.Get(t, coursePath)
	if w := tb.Submit(t, coursePath+"/publish", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("publish: %d", w.Code)
	}
	tb.Get(t, coursePath+"/sessions/new")
	day := a.Clock.Now().In(core.London).AddDate(0, 0, 14)
	sf := url.Values{"starts_on-day": {fmt.Sprint(day.Day())}, "starts_on-month": {fmt.Sprint(int(day.Month()))}, "starts_on-year": {"20"},
		"days": {"4"}, "start_time": {"9:30"}, "end_time": {"4:30pm"}, "venue": {"Exeter"}, "capacity": {"12"}, "min_learners": {"6"},
		"booking_closes-day": {fmt.Sprint(day.Day())}, "booking_closes-month": {fmt.Sprint(int(day.Month()))}, "booking_closes-year": {fmt.Sprint(day.Year())}, "booking_closes_time": {"9:00"},
		"cancellation_cutoff-day": {fmt.Sprint(day.Day())}, "cancellation_cutoff-month": {fmt.Sprint(int(day.Month()))}, "cancellation_cutoff-year": {fmt.Sprint(day.Year())}, "cancellation_cutoff_time": {"9:00"}}
	if w := tb.Submit(t, coursePath+"/sessions/new", sf); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `href="#starts_on-day"`) {
		t.Fatalf("year 20: %d", w.Code)
	}
	sf.Set("starts_on-year", fmt.Sprint(day.Year()))
	w = tb.Submit(t, coursePath+"/sessions/new", sf)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create session: %d %s", w.Code, w.Body.String())
	}
	sessionPath := w.Header().Get("Location")
	body := tb.Get(t, sessionPath).Body.String()
	if !strings.Contains(body, "9:30am to 4:30pm") || !strings.Contains(body, "(4 days)") {
		t.Errorf("session page:\n%s", body)
	}

	ob := officer.Browser()
	ob.Get(t, sessionPath)
	if w := ob.Submit(t, sessionPath+"/request", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("request: %d %s", w.Code, w.Body.String())
	}
	if body := ob.Get(t, sessionPath).Body.String(); !strings.Contains(body, "Waiting for approval") || !strings.Contains(body, "sent to your supervisor") {
		t.Errorf("after requesting:\n%s", body)
	}
	if w := ob.Submit(t, sessionPath+"/request", nil); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "already asked for a place") {
		t.Errorf("asking twice: %d", w.Code)
	}
	sb := sup.Browser()
	q := sb.Get(t, "/approvals").Body.String()
	m := regexp.MustCompile(`/enrolments/(\d+)/approve`).FindStringSubmatch(q)
	if m == nil {
		t.Fatalf("approvals page:\n%s", q)
	}
	sb.Get(t, "/enrolments/"+m[1]+"/decline")
	if w := sb.Submit(t, "/enrolments/"+m[1]+"/decline", url.Values{"reason": {""}}); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `href="#reason"`) {
		t.Errorf("decline without a reason: %d", w.Code)
	}
	if w := sb.Submit(t, "/enrolments/"+m[1]+"/approve", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", w.Code, w.Body.String())
	}
	if w := sb.Submit(t, "/enrolments/"+m[1]+"/approve", nil); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "already been decided") {
		t.Errorf("approving twice: %d", w.Code)
	}
	for _, p := range []struct {
		u    *apitest.User
		path string
		want int
		says string
	}{
		{officer, "/courses", 200, "Modern slavery investigators"},
		{officer, "/courses?q=investigators&eligible=yes&available=yes", 200, "Modern slavery investigators"},
		{officer, "/courses?q=nothing-like-it", 200, "No courses match"},
		{officer, coursePath, 200, "Sessions"},
		{officer, "/my-training", 200, "Place booked"},
		{officer, "/notifications", 200, "approved your request"},
		{officer, "/approvals", 403, ""},
		{officer, "/teaching", 403, ""},
		{officer, sessionPath + "/learners", 403, ""},
		{officer, sessionPath + "/bulk", 403, ""},
		{officer, "/staff-training", 403, ""},
		{officer, "/staff-training/" + itoa(sup.ID), 404, ""},
		{sup, "/staff-training", 200, "Nobody is due for renewal"},
		{sup, "/staff-training/" + itoa(officer.ID), 200, "Place booked"},
		{sup, sessionPath + "/bulk", 200, "Book your staff from a list"},
		{trainer, "/teaching", 200, "Sessions to run"},
		{trainer, coursePath + "/materials", 200, "Upload a file"},
		{trainer, coursePath + "/edit", 200, "Change MSI-4D"},
		{trainer, sessionPath + "/edit", 200, "Change the session"},
		{trainer, sessionPath + "/cancel", 200, "Cancel the session"},
		{trainer, sessionPath + "/learners", 200, officer.Name},
		{trainer, sessionPath + "/register", 200, "opens when the day starts"},
		{trainer, "/courses/999999", 404, ""},
	} {
		w := p.u.Browser().Get(t, p.path)
		if w.Code != p.want || !strings.Contains(w.Body.String(), p.says) {
			t.Errorf("%s as %s: %d, want %d with %q", p.path, strings.Join(p.u.Roles, ","), w.Code, p.want, p.says)
		}
	}
	// The trainer's buttons do not show to an officer.
	if strings.Contains(ob.Get(t, coursePath).Body.String(), "Schedule a session") {
		t.Error("an officer is offered to schedule a session")
	}
}

// More places on a full session go at once to the waiting list in order; fewer places than are
// taken is refused; cancelling the session ends every booking and tells each learner.
func TestTrainingCapacityChangeAndCancellation(t *testing.T) {
	a := apitest.New(t)
	trainer, s := newTrainerSession(t, a, 2)
	ls := newTrainingLearners(t, a, 6, "")
	for _, l := range ls {
		requestPlace(t, a, l, s)
	}
	_, byPosition := checkWaitlist(t, a, s.ID, 2, 4)
	in := sessionInputFor(a, s)
	var cur struct {
		BookingClosesAt      time.Time `json:"booking_closes_at"`
		CancellationCutoffAt time.Time `json:"cancellation_cutoff_at"`
		Venue                string    `json:"venue"`
	}
	trainingCall(t, a, trainer, "GET", "/api/v1/sessions/"+itoa(s.ID), "", 200, &cur)
	in.BookingClosesAt, in.CancellationCutoffAt, in.Venue = cur.BookingClosesAt, cur.CancellationCutoffAt, cur.Venue
	in.Capacity = 1
	if w := a.API(t, trainer, "PATCH", "/api/v1/sessions/"+itoa(s.ID), trainingJSON(t, in)); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(trainingProblem(t, w), "2 people already have a place") {
		t.Errorf("fewer places than taken: %d %s", w.Code, w.Body.String())
	}
	in.Capacity = 4
	trainingCall(t, a, trainer, "PATCH", "/api/v1/sessions/"+itoa(s.ID), trainingJSON(t, in), 200, nil)
	enrolled, after := checkWaitlist(t, a, s.ID, 4, 2)
	if !enrolled[byPosition[1]] || !enrolled[byPosition[2]] || after[1] != byPosition[3] || after[2] != byPosition[4] {
		t.Errorf("promotion order: before %v, after %v, enrolled %v", byPosition, after, enrolled)
	}

	trainingCall(t, a, trainer, "POST", "/api/v1/sessions/"+itoa(s.ID)+"/cancel", `{"reason":"Venue unavailable"}`, 200, nil)
	checkWaitlist(t, a, s.ID, 0, 0)
	for _, e := range trainingEnrolments(t, a, s.ID) {
		if e.State != training.EnrolmentCancelled || e.Reason != "Venue unavailable" {
			t.Errorf("enrolment %d after cancellation: %s %q", e.ID, e.State, e.Reason)
		}
	}
	var told int64
	a.DB.Gorm().Table("notifications").Where("kind = ? AND text LIKE ?", core.NoticeCancellation, "%Venue unavailable%").Count(&told)
	if told != 6 {
		t.Errorf("%d learners told of the cancellation, want 6", told)
	}
	if code, msg, _ := requestPlace(t, a, newTrainingLearners(t, a, 1, "")[0], s); code != http.StatusConflict || !strings.Contains(msg, "cancelled") {
		t.Errorf("booking a cancelled session: %d %q", code, msg)
	}
}

// brokenWriter is a reader that went away: every write fails.
type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }
