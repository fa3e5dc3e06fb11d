package api_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/training"
)

// fireRequests sends one request for a place per learner, all at once, through the API, and
// returns each learner's answer.
func fireRequests(t testing.TB, a *apitest.App, ls []trLearner, sessionID int64) []trEnrolment {
	t.Helper()
	out := make([]trEnrolment, len(ls))
	codes := make([]int, len(ls))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, l := range ls {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			w := a.Bearer(t, l.Token, "POST", "/api/v1/sessions/"+itoa(sessionID)+"/enrolments", "")
			codes[i] = w.Code
			if w.Code == http.StatusCreated {
				_ = jsonDecode(w.Body.Bytes(), &out[i])
			}
		}()
	}
	start.Done()
	done.Wait()
	for i, c := range codes {
		if c != http.StatusCreated {
			t.Fatalf("request %d of %d: status %d", i, len(ls), c)
		}
	}
	return out
}

// checkWaitlist checks the session's places and waiting list straight from the database:
// exactly seats places, positions 1..waiting with no gap and no repeat, and counters that agree.
func checkWaitlist(t testing.TB, a *apitest.App, sessionID int64, seats, waiting int) (enrolled map[int64]bool, byPosition map[int]int64) {
	t.Helper()
	enrolled, byPosition = map[int64]bool{}, map[int]int64{}
	for _, e := range trainingEnrolments(t, a, sessionID) {
		switch e.State {
		case training.EnrolmentEnrolled:
			enrolled[e.UserID] = true
		case training.EnrolmentWaitlisted:
			if e.Position == nil {
				t.Fatalf("waitlisted enrolment %d has no position", e.ID)
			}
			if _, dup := byPosition[*e.Position]; dup {
				t.Fatalf("position %d held twice", *e.Position)
			}
			byPosition[*e.Position] = e.UserID
		}
	}
	if len(enrolled) != seats {
		t.Errorf("%d enrolled, want exactly %d", len(enrolled), seats)
	}
	if len(byPosition) != waiting {
		t.Errorf("%d waiting, want %d", len(byPosition), waiting)
	}
	for p := 1; p <= waiting; p++ {
		if _, ok := byPosition[p]; !ok {
			t.Errorf("waiting-list position %d is missing: positions have a gap", p)
		}
	}
	var s training.CourseSession
	if err := a.DB.Gorm().Take(&s, sessionID).Error; err != nil {
		t.Fatal(err)
	}
	if s.SeatsTaken != seats || s.Waiting != waiting {
		t.Errorf("session counters: %d taken, %d waiting; want %d and %d", s.SeatsTaken, s.Waiting, seats, waiting)
	}
	return enrolled, byPosition
}

// The acceptance test of fair enrolment: 500 concurrent requests at a 20-seat session give
// exactly 20 places and 480 waiting-list positions 1..480 with no gap; then 5 withdrawals
// (at once) promote exactly the first 5 waiting, and the rest move up in order. One green run
// proves nothing (DESIGN.md §9): run it with -count=3 or more on each backend.
func TestEnrolmentUnderContention(t *testing.T) {
	a := apitest.New(t)
	_, s := newTrainerSession(t, a, 20)
	learners := newTrainingLearners(t, a, 500, "")

	answers := fireRequests(t, a, learners, s.ID)
	states := map[string]int{}
	for _, e := range answers {
		states[e.State]++
	}
	if states[training.EnrolmentEnrolled] != 20 || states[training.EnrolmentWaitlisted] != 480 {
		t.Fatalf("answers: %v, want 20 enrolled and 480 waitlisted", states)
	}
	enrolled, byPosition := checkWaitlist(t, a, s.ID, 20, 480)
	// What each learner was told matches what was stored.
	for i, e := range answers {
		if e.State == training.EnrolmentWaitlisted && byPosition[*e.Position] != learners[i].ID {
			t.Errorf("learner %d was told position %d, which belongs to user %d", learners[i].ID, *e.Position, byPosition[*e.Position])
		}
	}

	// Five people with a place withdraw, all at once: positions 1 to 5 get the places, whatever
	// order the withdrawals are served in.
	first5 := []int64{byPosition[1], byPosition[2], byPosition[3], byPosition[4], byPosition[5]}
	var leaving []int
	for i, e := range answers {
		if len(leaving) < 5 && e.State == training.EnrolmentEnrolled {
			leaving = append(leaving, i)
		}
	}
	outs := make([]trEnrolment, len(leaving))
	codes := make([]int, len(leaving))
	var start, done sync.WaitGroup
	start.Add(1)
	for k, i := range leaving {
		done.Go(func() {
			start.Wait()
			w := a.Bearer(t, learners[i].Token, "POST", "/api/v1/enrolments/"+itoa(answers[i].ID)+"/withdraw", "")
			codes[k] = w.Code
			_ = jsonDecode(w.Body.Bytes(), &outs[k])
		})
	}
	start.Done()
	done.Wait()
	for k := range leaving {
		if codes[k] != http.StatusOK || outs[k].State != training.EnrolmentWithdrawn {
			t.Fatalf("withdrawal %d: status %d, state %q", k, codes[k], outs[k].State)
		}
	}
	enrolledAfter, byPositionAfter := checkWaitlist(t, a, s.ID, 20, 475)
	for _, id := range first5 {
		if !enrolledAfter[id] {
			t.Errorf("user %d was among the first 5 waiting but has no place", id)
		}
	}
	promoted := 0
	for id := range enrolledAfter {
		if !enrolled[id] {
			promoted++
			if !slices.Contains(first5, id) {
				t.Errorf("user %d got a place out of turn", id)
			}
		}
	}
	if promoted != 5 {
		t.Errorf("%d promoted, want 5", promoted)
	}
	// Everyone else moved up five, keeping their order.
	for p := 1; p <= 475; p++ {
		if byPositionAfter[p] != byPosition[p+5] {
			t.Errorf("position %d: user %d, want user %d (was at %d)", p, byPositionAfter[p], byPosition[p+5], p+5)
			break
		}
	}
	// Each promoted learner was told.
	var told int64
	if err := a.DB.Gorm().Table("notifications").Where("user_id IN ? AND kind = ?", first5, core.NoticePromotion).Count(&told).Error; err != nil {
		t.Fatal(err)
	}
	if told != 5 {
		t.Errorf("%d promotion notifications, want 5", told)
	}
}
