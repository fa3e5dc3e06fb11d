package api_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/training"
	"github.com/msptp/msphub/policies"
)

// openOf lists the users with an open notification of subject.
func openOf(t testing.TB, a *apitest.App, subject string) []int64 {
	t.Helper()
	var ids []int64
	if err := a.DB.Gorm().Table("notifications").Where("subject = ? AND done_at IS NULL", subject).Order("user_id").Pluck("user_id", &ids).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

func userIDs(us ...*apitest.User) []int64 {
	out := make([]int64, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	slices.Sort(out)
	return out
}

// A training request asks the supervisors of the learner's organisation (not the learner, not
// another force's supervisors) to decide it; the request closes for all of them once one
// decides, or the learner withdraws, and the API and the notifications page say who did.
func TestTrainingRequestNoticeClosesOnDecision(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	sup, sup2 := a.As(t, policies.RoleSupervisor), a.As(t, policies.RoleSupervisor)
	elsewhere := a.SignedIn(t, apitest.UserSpec{Org: "cps-south-west", Roles: []string{policies.RoleSupervisor}})
	_ = elsewhere // exists, and must not be asked
	ac := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.ApprovalRequired, in.ApprovalDays = true, 5 })
	s := newTrainingSession(t, a, trainer, ac, trSessionSpec{startsIn: 20 * 24 * time.Hour, capacity: 5})
	ls := newTrainingLearners(t, a, 2, "")

	_, _, e1 := requestPlace(t, a, ls[0], s)
	subject := core.Subject(core.SubjectEnrolment, e1.ID)
	if got := openOf(t, a, subject); !slices.Equal(got, userIDs(sup, sup2)) {
		t.Fatalf("request: asked %v, want the two supervisors %v", got, userIDs(sup, sup2))
	}
	trainingCall(t, a, sup, "POST", "/api/v1/enrolments/"+itoa(e1.ID)+"/approve", "", 200, nil)
	if got := openOf(t, a, subject); len(got) != 0 {
		t.Errorf("approved: still open for %v", got)
	}
	var page struct {
		Notifications []struct {
			Subject  string     `json:"subject"`
			Link     string     `json:"link"`
			DoneAt   *time.Time `json:"done_at"`
			DoneNote string     `json:"done_note"`
		} `json:"notifications"`
	}
	note := func(u *apitest.User) string {
		t.Helper()
		trainingCall(t, a, u, "GET", "/api/v1/notifications", "", 200, &page)
		for _, n := range page.Notifications {
			if n.Subject == subject {
				if n.DoneAt == nil || n.Link != "/approvals" {
					t.Errorf("%+v", n)
				}
				return n.DoneNote
			}
		}
		t.Fatalf("user %d has no notification of the request", u.ID)
		return ""
	}
	if got := note(sup2); got != "Done: decided by someone else" {
		t.Errorf("the other supervisor's request says %q", got)
	}
	if got := note(sup); got != "Done" {
		t.Errorf("the deciding supervisor's request says %q", got)
	}
	if body := sup2.Browser().Get(t, "/notifications").Body.String(); !strings.Contains(body, "Done: decided by someone else") {
		t.Errorf("the notifications page does not show the request as done by someone else")
	}

	_, _, e2 := requestPlace(t, a, ls[1], s)
	trainingBearer(t, a, ls[1], "POST", "/api/v1/enrolments/"+itoa(e2.ID)+"/withdraw", "", 200, nil)
	if got := openOf(t, a, core.Subject(core.SubjectEnrolment, e2.ID)); len(got) != 0 {
		t.Errorf("withdrawn: still open for %v", got)
	}
}

// todoItem is one line of "Things for you to do" as the home page shows it.
type todoItem struct {
	Label string
	Count int
	Link  string
}

var (
	todoLink  = regexp.MustCompile(`<a class="govuk-link govuk-task-list__link" href="([^"]+)" aria-describedby="([^"]+)">([^<]+)</a>`)
	todoCount = regexp.MustCompile(`id="([^"]+)">\s*<strong class="govuk-tag govuk-tag--blue">(\d+)<span`)
)

// homeToDo reads the things to do from u's home page; nil and the empty state's text when
// nothing waits.
func homeToDo(t testing.TB, u *apitest.User) ([]todoItem, bool) {
	t.Helper()
	w := u.Browser().Get(t, "/")
	if w.Code != http.StatusOK {
		t.Fatalf("home page: %d", w.Code)
	}
	body := w.Body.String()
	if !strings.Contains(body, "Things for you to do") {
		t.Fatalf("the home page of a signed-in person has no things to do")
	}
	counts := map[string]int{}
	for _, m := range todoCount.FindAllStringSubmatch(body, -1) {
		counts[m[1]], _ = strconv.Atoi(m[2])
	}
	var out []todoItem
	for _, m := range todoLink.FindAllStringSubmatch(body, -1) {
		c, ok := counts[m[2]]
		if !ok {
			t.Errorf("%q has no count", m[3])
		}
		out = append(out, todoItem{Label: m[3], Count: c, Link: m[1]})
	}
	return out, strings.Contains(body, "Nothing is waiting for you.")
}

// The home page of each role lists exactly the work that waits on them, with counts and links,
// in a fixed order; when nothing waits it says so; someone signed out sees no list.
func TestHomePageThingsToDo(t *testing.T) {
	a := apitest.New(t)
	ctx := context.Background()
	trainer := a.As(t, policies.RoleTrainer)
	sup := a.As(t, policies.RoleSupervisor)
	inv := a.As(t, policies.RoleInvestigator)
	officer := a.As(t, policies.RoleOfficer)
	editor := a.As(t, policies.RoleGuidanceEditor)
	approver := a.As(t, policies.RoleGuidanceApprover)
	want := func(name string, u *apitest.User, w ...todoItem) {
		t.Helper()
		got, empty := homeToDo(t, u)
		if !slices.Equal(got, w) || empty != (len(w) == 0) {
			t.Errorf("%s: %+v (says nothing waits: %v), want %+v", name, got, empty, w)
		}
	}
	for _, u := range []*apitest.User{trainer, sup, inv, officer, editor, approver} {
		want("at the start", u)
	}
	if body := a.Browser().Get(t, "/").Body.String(); strings.Contains(body, "Things for you to do") || strings.Contains(body, "Nothing is waiting") {
		t.Errorf("a signed-out visitor sees things to do")
	}

	// A training request waits on the supervisor.
	ac := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.ApprovalRequired, in.ApprovalDays = true, 5 })
	s := newTrainingSession(t, a, trainer, ac, trSessionSpec{startsIn: 20 * 24 * time.Hour, capacity: 5})
	ls := newTrainingLearners(t, a, 1, "")
	requestPlace(t, a, ls[0], s)
	// A pack waits on the supervisor.
	cv, err := a.Services.CaseFiles.Create(ctx, inv.Actor(t), casefile.CaseInput{URN: "45AB1234523", Operation: "Operation Kestrel",
		Offences: []casefile.Offence{casefile.OffenceS2}, Classification: "OFFICIAL", SupervisorID: sup.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Services.CaseFiles.Submit(ctx, inv.Actor(t), cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice}); err != nil {
		t.Fatal(err)
	}
	// A guidance version waits on the approver; once published, everyone acknowledges it.
	in := guidance.GuidanceInput{Title: "Victim care", Summary: "Care", Body: "Refer every victim.", Category: "investigation",
		Classification: "OFFICIAL", Audience: guidance.GuidanceAudience{Scope: guidance.GuidanceAudienceEveryone}, RequiresAck: true}
	v, err := a.Services.Guidance.Create(ctx, editor.Actor(t), in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Services.Guidance.Submit(ctx, editor.Actor(t), v.ID); err != nil {
		t.Fatal(err)
	}
	want("supervisor", sup, todoItem{"Training requests to decide", 1, "/approvals"}, todoItem{"Case file packs to sign off", 1, "/casefiles/review"})
	want("approver", approver, todoItem{"Guidance to approve", 1, "/guidance/manage"})
	want("investigator who submitted", inv)
	want("editor who wrote it", editor)
	if _, err := a.Services.Guidance.Publish(ctx, approver.Actor(t), v.ID); err != nil {
		t.Fatal(err)
	}
	ack := todoItem{"Guidance to read and acknowledge", 1, "/guidance"}
	want("officer", officer, ack)
	want("approver, after publishing", approver, ack)

	// A session the trainer teaches ends without its register completed.
	newTrainingSession(t, a, trainer, newTrainingCourse(t, a, trainer, nil), trSessionSpec{startsIn: time.Hour, length: time.Hour, closesIn: 30 * time.Minute, cutoffIn: 20 * time.Minute, capacity: 3})
	want("trainer, before the session", trainer, ack)
	a.Clock.Advance(3 * time.Hour)
	trainer.SignIn(t)
	want("trainer", trainer, ack, todoItem{"Registers to mark for sessions that have ended", 1, "/teaching"})
}

// A learner's certificate shows on their home page once it falls within the renewal window,
// and only then.
func TestHomePageCertificatesDueForRenewal(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	learner := a.As(t, policies.RoleOfficer)
	c := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.ValidityMonths = 12 })
	complete(t, a, trainer, c, training.AttendanceAttended, trLearner{ID: learner.ID, Email: learner.Email, Token: learner.Token(t, identity.ScopeReadWrite)})
	learner.SignIn(t)
	if got, empty := homeToDo(t, learner); len(got) != 0 || !empty {
		t.Errorf("a new certificate: %+v", got)
	}
	a.Clock.Advance(time.Duration(365-training.RenewalWindow+2) * 24 * time.Hour)
	learner.SignIn(t)
	if got, _ := homeToDo(t, learner); !slices.Equal(got, []todoItem{{"Your certificates due for renewal", 1, "/my-training"}}) {
		t.Errorf("within the renewal window: %+v", got)
	}
}
