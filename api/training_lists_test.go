package api_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/training"
	"github.com/msptp/msphub/policies"
)

var (
	trNextLink = regexp.MustCompile(`href="([^"]+)" rel="next"`)
	trPrevLink = regexp.MustCompile(`href="([^"]+)" rel="prev"`)
	tableRows  = regexp.MustCompile(`(?s)<tbody.*</tbody>`)
)

// trPrev is the page's Previous link ("" when there is none), unescaped.
func trPrev(page string) string {
	m := trPrevLink.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// mainRows is the body of the page's table.
func mainRows(page string) string { return tableRows.FindString(page) }

// trNext is the page's link to its next page ("" when it has none).
func trNext(body string) string {
	m := trNextLink.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// The long lists come a page at a time, on the API (a cursor) and on the pages (a next link),
// each item once and in order, whatever the ties: the catalogue, the approvals queue, staff
// training and notifications. A cursor that is not ours is refused.
func TestTrainingPagination(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	sup := a.As(t, policies.RoleSupervisor)

	// The catalogue: 25 courses, most with the same title (the id breaks the tie).
	var made []int64
	for i := range 25 {
		c := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) {
			in.Title = "Victim care"
			if i%5 == 0 {
				in.Title = fmt.Sprintf("Awareness %02d", i)
			}
			in.ApprovalRequired = i == 0
		})
		made = append(made, c.ID)
	}
	var seen []int64
	var titles []string
	type coursePage struct {
		Courses []struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
		} `json:"courses"`
		Next string `json:"next"`
	}
	pages := trainingPages(t, a, sup, "/api/v1/courses?limit=7&after=", func(p coursePage) string {
		for _, c := range p.Courses {
			seen = append(seen, c.ID)
			titles = append(titles, fmt.Sprintf("%s|%09d", c.Title, c.ID))
		}
		return p.Next
	})
	if pages != 4 {
		t.Errorf("the catalogue came in %d pages of 7, want 4", pages)
	}
	if len(seen) != 25 || !slices.IsSorted(titles) {
		t.Errorf("catalogue pages: %d courses, in order %v", len(seen), slices.IsSorted(titles))
	}
	slices.Sort(seen)
	if !slices.Equal(seen, made) {
		t.Errorf("catalogue pages: %v, want %v", seen, made)
	}
	b := sup.Browser()
	first := b.Get(t, "/courses").Body.String()
	link := trNext(first)
	if strings.Count(first, `<tr class="govuk-table__row">`) != 21 || !strings.HasPrefix(link, "/courses?after=") {
		t.Fatalf("catalogue page 1: next %q", link)
	}
	if !strings.Contains(first, "Showing 1 to 20 of 25 results") || trPrev(first) != "" {
		t.Errorf("catalogue page 1: no count, or a Previous link %q", trPrev(first))
	}
	second := b.Get(t, link).Body.String()
	if strings.Count(second, `<tr class="govuk-table__row">`) != 6 || trNext(second) != "" {
		t.Errorf("catalogue page 2 has %d rows", strings.Count(second, `<tr class="govuk-table__row">`)-1)
	}
	if !strings.Contains(second, "Showing 21 to 25 of 25 results") || trPrev(second) == "" {
		t.Errorf("catalogue page 2: no count, or no Previous link")
	}
	// Previous leads back to the first page, as it was.
	if back := b.Get(t, trPrev(second)).Body.String(); mainRows(back) != mainRows(first) || !strings.Contains(back, "Showing 1 to 20 of 25 results") {
		t.Errorf("Previous from page 2 is not page 1")
	}

	// The approvals queue: 53 requests, oldest first, 50 a page on the page.
	ac := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.ApprovalRequired = true })
	s := newTrainingSession(t, a, trainer, ac, trSessionSpec{capacity: 100})
	learners := newTrainingLearners(t, a, 53, "")
	var asked []int64
	for _, l := range learners {
		_, _, e := requestPlace(t, a, l, s)
		asked = append(asked, e.ID)
	}
	var queued []int64
	type enrolmentPage struct {
		Enrolments []trEnrolment `json:"enrolments"`
		Next       string        `json:"next"`
	}
	trainingPages(t, a, sup, "/api/v1/enrolments?awaiting_decision=true&limit=20&after=", func(p enrolmentPage) string {
		if len(p.Enrolments) > 20 {
			t.Fatalf("a page of %d", len(p.Enrolments))
		}
		for _, e := range p.Enrolments {
			queued = append(queued, e.ID)
		}
		return p.Next
	})
	if !slices.Equal(queued, asked) {
		t.Errorf("approvals queue pages: %v, want %v", queued, asked)
	}
	first = b.Get(t, "/approvals").Body.String()
	link = trNext(first)
	if strings.Count(first, "/approve\"") != 50 || link == "" {
		t.Fatalf("approvals page 1: %d requests, next %q", strings.Count(first, "/approve\""), link)
	}
	second = b.Get(t, link).Body.String()
	if strings.Count(second, "/approve\"") != 3 || trNext(second) != "" || !strings.Contains(second, "/enrolments/"+itoa(asked[52])+"/approve") {
		t.Errorf("approvals page 2: %d requests", strings.Count(second, "/approve\""))
	}

	// Staff training: the organisation's 55 people, 50 a page, in name order.
	first = b.Get(t, "/staff-training").Body.String()
	link = trNext(first)
	if link == "" {
		t.Fatal("staff training: no next page")
	}
	second = b.Get(t, link).Body.String()
	staffLink := regexp.MustCompile(`href="/staff-training/(\d+)"`)
	names := len(staffLink.FindAllString(first, -1)) + len(staffLink.FindAllString(second, -1))
	var people int64
	a.DB.Gorm().Table("users").Where("organisation_id = ? AND disabled_at IS NULL", a.Org(t, apitest.HomeOrg)).Count(&people)
	if names != int(people) || trNext(second) != "" {
		t.Errorf("staff training pages list %d people, want %d", names, people)
	}

	// Notifications: the supervisor was told of each of the 53 requests.
	var told []int64
	type notificationPage struct {
		Notifications []struct {
			ID int64 `json:"id"`
		} `json:"notifications"`
		Next string `json:"next"`
	}
	trainingPages(t, a, sup, "/api/v1/notifications?limit=20&after=", func(p notificationPage) string {
		for _, n := range p.Notifications {
			told = append(told, n.ID)
		}
		return p.Next
	})
	if len(told) != 53 || !slices.IsSortedFunc(told, func(x, y int64) int { return int(y - x) }) {
		t.Errorf("notification pages: %d, newest first %v", len(told), told)
	}
	first = b.Get(t, "/notifications").Body.String()
	link = trNext(first)
	older := b.Get(t, link).Body.String()
	if link == "" || strings.Count(first, "/read\"") != 25 || strings.Count(older, "/read\"") != 25 || trNext(b.Get(t, trNext(older)).Body.String()) != "" {
		t.Errorf("notification pages: %d then %d", strings.Count(first, "/read\""), strings.Count(older, "/read\""))
	}

	// A cursor that is not one of ours changes nothing and says so.
	for _, path := range []string{"/api/v1/courses?after=not-a-cursor", "/api/v1/enrolments?awaiting_decision=true&after=x1", "/api/v1/notifications?after=-4"} {
		if w := a.API(t, sup, "GET", path, ""); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", path, w.Code)
		}
	}
	if w := b.Get(t, "/staff-training?after=bad"); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("staff training with a bad cursor: %d", w.Code)
	}
}

// Each page says plainly when it has nothing to show, and what to do.
func TestTrainingEmptyStates(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	sup := a.As(t, policies.RoleSupervisor)
	officer := a.As(t, policies.RoleOfficer)
	check := func(u *apitest.User, path string, says ...string) {
		t.Helper()
		w := u.Browser().Get(t, path)
		for _, s := range says {
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), s) {
				t.Errorf("%s: %d, want it to say %q", path, w.Code, s)
			}
		}
	}
	check(officer, "/courses", "No courses are published yet.")
	check(officer, "/courses?q=anything", "No courses match. Clear the search or the filters")
	check(officer, "/my-training", "No current bookings.", "Find a course", "No certificates yet.")
	check(officer, "/notifications", "You have no notifications.")
	check(sup, "/approvals", "No requests are waiting for your decision.")
	check(sup, "/staff-training", "Nobody is due for renewal.")
	check(sup, "/staff-training?q=nobody-by-this-name", "Nobody matches.")
	check(trainer, "/teaching", "You have no sessions to run.", "You teach no courses yet.")

	c := newTrainingCourse(t, a, trainer, nil)
	check(officer, "/courses/"+itoa(c.ID), "No sessions are scheduled.")
	check(trainer, "/courses/"+itoa(c.ID)+"/materials", "No material yet.")
	s := newTrainingSession(t, a, trainer, c, trSessionSpec{})
	check(trainer, "/sessions/"+itoa(s.ID)+"/learners", "Nobody has a place yet.", "Nobody is waiting.")
	check(trainer, "/sessions/"+itoa(s.ID)+"/register", "Nobody has a place on this session.")
	check(officer, "/sessions/"+itoa(s.ID), "You have not booked this session.")
}

// A supervisor deciding a request sees how full the session is: places taken of the capacity
// and how many are waiting, so they know whether approving gives a place or a waiting-list spot.
func TestApprovalsShowHowFullTheSessionIs(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	sup := a.As(t, policies.RoleSupervisor)
	c := newTrainingCourse(t, a, trainer, func(in *training.CourseInput) { in.ApprovalRequired = true })
	s := newTrainingSession(t, a, trainer, c, trSessionSpec{capacity: 2})
	ls := newTrainingLearners(t, a, 4, "")
	for i, l := range ls {
		code, msg, e := requestPlace(t, a, l, s)
		if code != http.StatusCreated {
			t.Fatalf("request %d: %d %s", i, code, msg)
		}
		if i < 3 { // two places and one on the waiting list
			trainingCall(t, a, sup, "POST", "/api/v1/enrolments/"+itoa(e.ID)+"/approve", "", 200, nil)
		}
	}
	page := cfText(sup.Browser().Get(t, "/approvals").Body.String())
	if !strings.Contains(page, "2 of 2 places taken") || !strings.Contains(page, "1 on the waiting list") {
		t.Errorf("the approvals page does not say how full the session is:\n%s", page)
	}
}
