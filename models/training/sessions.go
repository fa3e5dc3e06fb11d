package training

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// Session states.
const (
	SessionScheduled = "scheduled"
	SessionCancelled = "cancelled"
	SessionCompleted = "completed" // certificates issued; the register is closed
)

// CourseSession is one running of a course: one or more days, a venue or online joining
// details, and a number of places.
type CourseSession struct {
	ID                   int64      `json:"id"`
	CourseID             int64      `json:"course_id"`
	Status               string     `json:"status"`
	Venue                string     `json:"venue"`
	JoiningDetails       string     `json:"joining_details,omitempty"` // only for those with a place, and trainers
	Capacity             int        `json:"capacity"`
	MinLearners          int        `json:"min_learners"`
	SeatsTaken           int        `json:"places_taken"`
	Waiting              int        `json:"waiting"`
	StartsAt             time.Time  `json:"starts_at"`
	EndsAt               time.Time  `json:"ends_at"`
	BookingClosesAt      time.Time  `json:"booking_closes_at"`
	CancellationCutoffAt time.Time  `json:"cancellation_cutoff_at"`
	CancelReason         string     `json:"cancel_reason,omitempty"`
	CancelledAt          *time.Time `json:"cancelled_at,omitempty"`
	CompletedAt          *time.Time `json:"completed_at,omitempty"`
	CreatedBy            *int64     `json:"-"`
	CreatedAt            time.Time  `json:"created_at"`
	UpdatedAt            time.Time  `json:"updated_at"`
}

// TableName is the session table (sessions holds sign-in sessions).
func (CourseSession) TableName() string { return "course_sessions" }

// FreePlaces is how many places are left.
func (s CourseSession) FreePlaces() int { return max(s.Capacity-s.SeatsTaken, 0) }

// SessionDay is one day of a session, from its start to its end time.
type SessionDay struct {
	ID        int64     `json:"id"`
	SessionID int64     `json:"-"`
	DayNumber int       `json:"day"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
}

// TableName is the day table.
func (SessionDay) TableName() string { return "session_days" }

type sessionTrainer struct {
	SessionID int64
	UserID    int64
}

func (sessionTrainer) TableName() string { return "session_trainers" }

// CourseSessionView is a session with its course and days, as the actor may see it.
type CourseSessionView struct {
	CourseSession
	Course      CourseRef    `json:"course"`
	CourseState string       `json:"course_status"`
	Days        []SessionDay `json:"days"`
	Trainers    []PersonRef  `json:"trainers"`
	// For the actor: do they teach it, may they see the joining details, their own booking.
	Teaches     bool       `json:"teaches"`
	MayJoin     bool       `json:"may_see_joining_details"`
	Mine        *Enrolment `json:"my_enrolment,omitempty"`
	BookingOpen bool       `json:"booking_open"`
	MayWithdraw bool       `json:"may_withdraw"`
	// What the actor may do with the session: join, request, withdraw, register, update,
	// cancel, bulk.
	Actions core.Actions `json:"actions"`
}

// DayInput is one day of a session: when it starts and ends.
type DayInput struct {
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
}

// SessionInput is what a trainer gives to schedule or change a session.
type SessionInput struct {
	Days                 []DayInput `json:"days"`
	Venue                string     `json:"venue"`
	JoiningDetails       string     `json:"joining_details"`
	Capacity             int        `json:"capacity"`
	MinLearners          int        `json:"min_learners"`
	BookingClosesAt      time.Time  `json:"booking_closes_at"`
	CancellationCutoffAt time.Time  `json:"cancellation_cutoff_at"`
	Trainers             []int64    `json:"trainers"` // of the course's trainers; empty: all of them
}

// maxSessionDays bounds a session: the longest accredited course is days, not weeks.
const maxSessionDays = 20

func (in *SessionInput) validate(now time.Time, creating bool) error {
	in.Venue = strings.TrimSpace(in.Venue)
	in.JoiningDetails = strings.TrimSpace(in.JoiningDetails)
	in.BookingClosesAt = in.BookingClosesAt.UTC().Truncate(time.Minute)
	in.CancellationCutoffAt = in.CancellationCutoffAt.UTC().Truncate(time.Minute)
	var p core.Problems
	in.checkDays(&p, now, creating)
	if in.Venue == "" && in.JoiningDetails == "" {
		p.Add("venue", "Enter the venue, or the online joining details, or both")
	}
	if len(in.Venue) > 500 {
		p.Add("venue", "Venue must be 500 characters or fewer")
	}
	if len(in.JoiningDetails) > 2000 {
		p.Add("joining_details", "Joining details must be 2,000 characters or fewer")
	}
	if in.Capacity < 1 || in.Capacity > 1000 {
		p.Add("capacity", "Places must be a number from 1 to 1,000")
	}
	if in.MinLearners < 0 || in.MinLearners > max(in.Capacity, 0) {
		p.Add("min_learners", "Minimum numbers must be from 0 to the number of places")
	}
	var last time.Time
	if len(in.Days) > 0 {
		last = in.Days[len(in.Days)-1].EndsAt
	}
	if in.BookingClosesAt.IsZero() {
		p.Add("booking_closes", "Enter when booking closes")
	}
	if !last.IsZero() && in.BookingClosesAt.After(last) {
		p.Add("booking_closes", "Booking must close before the session ends")
	}
	if in.CancellationCutoffAt.IsZero() {
		p.Add("cancellation_cutoff", "Enter the cancellation cut-off")
	}
	if !last.IsZero() && in.CancellationCutoffAt.After(last) {
		p.Add("cancellation_cutoff", "The cancellation cut-off must be before the session ends")
	}
	if err := p.Err(); err != nil {
		return err
	}
	slices.Sort(in.Trainers)
	in.Trainers = slices.Compact(in.Trainers)
	return nil
}

// Check reports every problem of the input, as creating (creating) or changing a session would,
// without saving anything: the pages use it to list what else is wrong alongside what could
// not be read.
func (in SessionInput) Check(now time.Time, creating bool) error {
	in.Days = slices.Clone(in.Days)
	return in.validate(now, creating)
}

// checkDays sorts the days of a session and adds to p what is wrong with them.
func (in *SessionInput) checkDays(p *core.Problems, now time.Time, creating bool) {
	switch {
	case len(in.Days) == 0:
		p.Add("days", "Enter the date and times of the session")
		return
	case len(in.Days) > maxSessionDays:
		p.Add("days", fmt.Sprintf("A session can have at most %d days", maxSessionDays))
		return
	}
	slices.SortFunc(in.Days, func(a, b DayInput) int { return a.StartsAt.Compare(b.StartsAt) })
	today := trainingDayStart(now)
	for i := range in.Days {
		d := &in.Days[i]
		d.StartsAt, d.EndsAt = d.StartsAt.UTC().Truncate(time.Minute), d.EndsAt.UTC().Truncate(time.Minute)
		switch {
		case d.StartsAt.IsZero() || d.EndsAt.IsZero():
			p.Add("days", "Enter the start and end time of every day")
		case !d.EndsAt.After(d.StartsAt):
			p.Add("end_time", "The end time must be after the start time")
		case d.EndsAt.Sub(d.StartsAt) > 24*time.Hour:
			p.Add("end_time", "A day of a session must be 24 hours or shorter")
		case creating && d.StartsAt.Before(today):
			p.Add("starts_on", "The session must start today or later")
		case i > 0 && d.StartsAt.Before(in.Days[i-1].EndsAt):
			p.Add("days", "The days of a session must not overlap")
		}
	}
}

// trainingDayStart is midnight UK time of the day t falls on, in UTC.
func trainingDayStart(t time.Time) time.Time {
	l := t.In(core.London)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, core.London).UTC()
}

// sessionObjectOf is a session of course c as the policy sees it, given the actor's relations
// (trainingRelations): taught by the actor (a trainer of its course, or named on the session),
// held by the actor (a place, enrolled or completed).
func sessionObjectOf(c Course, r trainingRelations) policies.Object {
	obj := policies.Object{Type: "session", Org: policies.OrgDomain(c.OrganisationID)}
	if r.teachesCourse || r.teachesSession {
		obj.Rel |= policies.RelTrainer
	}
	if r.placeOnSession {
		obj.Rel |= policies.RelEnrolled
	}
	return obj
}

func (t *Service) teachesSession(ctx context.Context, userID, courseID, sessionID int64) (bool, error) {
	r, err := t.relations(ctx, userID, courseID, sessionID)
	return r.teachesCourse || r.teachesSession, err
}

// loadSession reads a session the actor may see (its course must be visible to them), locking
// its row for the rest of the transaction when lock is set: seats and waiting-list positions are
// claimed under that lock (DESIGN.md §9). SQLite's immediate transactions already serialize.
func (t *Service) loadSession(ctx context.Context, who core.Actor, id int64, lock bool) (CourseSession, Course, policies.Object, error) {
	s, err := core.TakeRow[CourseSession](ctx, t.d.DB, id, lock, "Session not found")
	if err != nil {
		return s, Course{}, policies.Object{}, err
	}
	// The actor's relations to the course and to the session are one query: the course's
	// visibility and the session's object both come from it.
	c, err := core.TakeRow[Course](ctx, t.d.DB, s.CourseID, false, "Session not found")
	if err != nil {
		return s, c, policies.Object{}, err
	}
	r, err := t.relations(ctx, who.UserID, c.ID, s.ID)
	if err != nil {
		return s, c, policies.Object{}, err
	}
	if err := t.seeCourse(ctx, who, c, courseObjectOf(c, r)); err != nil {
		return s, c, policies.Object{}, core.NotFound("Session not found")
	}
	obj := sessionObjectOf(c, r)
	if err := core.CanSee(ctx, t.d.Authz, who, policies.ActRead, obj, "Session"); err != nil {
		return s, c, obj, err
	}
	return s, c, obj, nil
}

// sessionFor loads a session on which the policy lets the actor act, refusing with deny
// (EFORBIDDEN) when it does not.
func (t *Service) sessionFor(ctx context.Context, who core.Actor, id int64, lock bool, act policies.Action, deny string) (CourseSession, Course, policies.Object, error) {
	s, c, obj, err := t.loadSession(ctx, who, id, lock)
	if err != nil {
		return s, c, obj, err
	}
	return s, c, obj, core.Can(ctx, t.d.Authz, who, act, obj, deny)
}

// sessionForEdit loads a session the actor may change: one of its trainers, while it is still
// scheduled. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT.
func (t *Service) sessionForEdit(ctx context.Context, who core.Actor, id int64, lock bool) (CourseSession, Course, policies.Object, error) {
	s, c, obj, err := t.sessionFor(ctx, who, id, lock, policies.ActUpdate, "Only the trainers of this course can change its sessions.")
	if err != nil {
		return s, c, obj, err
	}
	if s.Status != SessionScheduled {
		return s, c, obj, core.Conflict("This session is " + s.Status + ": it can no longer be changed.")
	}
	return s, c, obj, nil
}

func (t *Service) sessionDays(ctx context.Context, ids ...int64) (map[int64][]SessionDay, error) {
	var days []SessionDay
	if err := t.d.DB.Conn(ctx).Where("session_id IN ?", ids).Order("session_id, day_number").Find(&days).Error; err != nil {
		return nil, core.DBError(err)
	}
	out := map[int64][]SessionDay{}
	for _, d := range days {
		out[d.SessionID] = append(out[d.SessionID], d)
	}
	return out, nil
}

// GetSession returns a session with its days, trainers and the actor's own booking. The joining
// details are shown only to those with a place and to its trainers. Errors: ENOTFOUND.
func (t *Service) GetSession(ctx context.Context, who core.Actor, id int64) (CourseSessionView, error) {
	if err := t.expireDue(ctx, "session_id = ?", id); err != nil {
		return CourseSessionView{}, err
	}
	s, c, obj, err := t.loadSession(ctx, who, id, false)
	if err != nil {
		return CourseSessionView{}, err
	}
	return t.sessionView(ctx, who, c, s, obj)
}

func (t *Service) sessionView(ctx context.Context, who core.Actor, c Course, s CourseSession, obj policies.Object) (CourseSessionView, error) {
	v := CourseSessionView{CourseSession: s, Course: CourseRef{ID: c.ID, Code: c.Code, Title: c.Title}, CourseState: c.Status,
		Teaches: obj.Has(policies.RelTrainer), Trainers: []PersonRef{}}
	v.MayJoin = t.d.Authz.Can(ctx, who.Subject(), policies.ActJoin, obj) == nil
	if !v.MayJoin {
		v.JoiningDetails = ""
	}
	days, err := t.sessionDays(ctx, s.ID)
	if err != nil {
		return v, err
	}
	v.Days = days[s.ID]
	if err := t.d.DB.Conn(ctx).Table("users").Select("users.id, users.name").
		Where("users.id IN (SELECT user_id FROM session_trainers WHERE session_id = ?)", s.ID).
		Order("users.name, users.id").Scan(&v.Trainers).Error; err != nil {
		return v, core.DBError(err)
	}
	var mine Enrolment
	err = t.d.DB.Conn(ctx).Where("session_id = ? AND user_id = ?", s.ID, who.UserID).Order("id DESC").Take(&mine).Error
	switch {
	case err == nil:
		v.Mine = &mine
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return v, core.DBError(err)
	}
	now := t.d.Now()
	v.BookingOpen = s.Status == SessionScheduled && now.Before(s.BookingClosesAt) && c.Published()
	if v.Mine != nil {
		switch v.Mine.State {
		case EnrolmentRequested, EnrolmentWaitlisted:
			v.MayWithdraw = true
		case EnrolmentEnrolled:
			v.MayWithdraw = now.Before(s.CancellationCutoffAt)
		}
	}
	may := func(act policies.Action, obj policies.Object) bool {
		return t.d.Authz.Can(ctx, who.Subject(), act, obj) == nil
	}
	own := policies.Object{Type: "enrolment", Org: policies.OrgDomain(who.OrgID), Rel: policies.RelSelf}
	scheduled := s.Status == SessionScheduled
	v.Actions = core.Actions{
		Join:     v.MayJoin,
		Request:  v.BookingOpen && (v.Mine == nil || !v.Mine.Live()) && may(policies.ActRequest, own),
		Withdraw: v.MayWithdraw && may(policies.ActWithdraw, own),
		Register: may(policies.ActRegister, obj),
		Update:   scheduled && may(policies.ActUpdate, obj),
		Cancel:   scheduled && may(policies.ActCancel, obj),
		Bulk:     may(policies.ActBulk, policies.Object{Type: "enrolment", Org: policies.OrgDomain(who.OrgID)}),
	}
	return v, nil
}

// CourseSessionSummary is a session as lists show it.
type CourseSessionSummary struct {
	CourseSession
	Course CourseRef    `json:"course"`
	Days   []SessionDay `json:"days"`
}

// ListSessions returns the sessions of a course the actor may see, earliest first: upcoming
// ones, and past ones too for its trainers. Errors: ENOTFOUND.
func (t *Service) ListSessions(ctx context.Context, who core.Actor, courseID int64) ([]CourseSessionSummary, error) {
	c, obj, err := t.loadCourse(ctx, who, courseID)
	if err != nil {
		return nil, err
	}
	q := t.d.DB.Conn(ctx).Where("course_id = ?", c.ID)
	if !obj.Has(policies.RelTrainer) {
		q = q.Where("ends_at > ?", t.d.Now())
	}
	var list []CourseSession
	if err := q.Order("starts_at, id").Limit(200).Find(&list).Error; err != nil {
		return nil, core.DBError(err)
	}
	return t.summaries(ctx, list, map[int64]Course{c.ID: c})
}

func (t *Service) summaries(ctx context.Context, list []CourseSession, courses map[int64]Course) ([]CourseSessionSummary, error) {
	out := []CourseSessionSummary{}
	if len(list) == 0 {
		return out, nil
	}
	ids := make([]int64, len(list))
	var missing []int64
	for i, s := range list {
		ids[i] = s.ID
		if _, ok := courses[s.CourseID]; !ok {
			missing = append(missing, s.CourseID)
		}
	}
	if len(missing) > 0 {
		var cs []Course
		if err := t.d.DB.Conn(ctx).Where("id IN ?", missing).Find(&cs).Error; err != nil {
			return nil, core.DBError(err)
		}
		for _, c := range cs {
			courses[c.ID] = c
		}
	}
	days, err := t.sessionDays(ctx, ids...)
	if err != nil {
		return nil, err
	}
	for _, s := range list {
		c := courses[s.CourseID]
		s.JoiningDetails = "" // lists never carry them: the session page decides
		out = append(out, CourseSessionSummary{CourseSession: s, Course: CourseRef{ID: c.ID, Code: c.Code, Title: c.Title}, Days: days[s.ID]})
	}
	return out, nil
}

// TeachingSessions lists the sessions the actor teaches that have not ended, and those that
// ended without being completed (the register is still open), earliest first.
func (t *Service) TeachingSessions(ctx context.Context, who core.Actor) ([]CourseSessionSummary, error) {
	if err := core.Can(ctx, t.d.Authz, who, policies.ActRegister, policies.Object{Type: "session", Rel: policies.RelTrainer}, "Only trainers have sessions to teach."); err != nil {
		return nil, err
	}
	var list []CourseSession
	err := t.d.DB.Conn(ctx).
		Where(`(course_id IN (SELECT course_id FROM course_trainers WHERE user_id = ?) OR id IN (SELECT session_id FROM session_trainers WHERE user_id = ?))`, who.UserID, who.UserID).
		Where("status = ?", SessionScheduled).Order("starts_at, id").Limit(200).Find(&list).Error
	if err != nil {
		return nil, core.DBError(err)
	}
	return t.summaries(ctx, list, map[int64]Course{})
}

// MayCreateSession says whether the actor may schedule sessions of the course (what the page
// offers). Errors: ENOTFOUND, EFORBIDDEN.
func (t *Service) MayCreateSession(ctx context.Context, who core.Actor, courseID int64) (CourseView, error) {
	c, obj, err := t.loadCourse(ctx, who, courseID)
	if err != nil {
		return CourseView{}, err
	}
	if err := core.Can(ctx, t.d.Authz, who, policies.ActCreate, policies.Object{Type: "session", Org: obj.Org, Rel: obj.Rel}, "Only the trainers of this course can schedule sessions."); err != nil {
		return CourseView{}, err
	}
	return t.courseView(ctx, who, c, obj)
}

// CreateSession schedules a session of a course. The course's trainers may. Errors: ENOTFOUND,
// EFORBIDDEN, EINVALID.
func (t *Service) CreateSession(ctx context.Context, who core.Actor, courseID int64, in SessionInput) (CourseSessionView, error) {
	var id int64
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Courses)
		c, obj, err := t.loadCourse(ctx, who, courseID)
		if err != nil {
			return err
		}
		if err := core.Can(ctx, t.d.Authz, who, policies.ActCreate, policies.Object{Type: "session", Org: obj.Org, Rel: obj.Rel}, "Only the trainers of this course can schedule sessions."); err != nil {
			return err
		}
		now := t.d.Now()
		if err := in.validate(now, true); err != nil {
			return err
		}
		if err := t.checkSessionTrainers(ctx, c.ID, in.Trainers); err != nil {
			return err
		}
		s := CourseSession{CourseID: c.ID, Status: SessionScheduled, Venue: in.Venue, JoiningDetails: in.JoiningDetails,
			Capacity: in.Capacity, MinLearners: in.MinLearners, StartsAt: in.Days[0].StartsAt, EndsAt: in.Days[len(in.Days)-1].EndsAt,
			BookingClosesAt: in.BookingClosesAt, CancellationCutoffAt: in.CancellationCutoffAt, CreatedBy: &who.UserID, CreatedAt: now, UpdatedAt: now}
		if err := t.d.DB.Conn(ctx).Create(&s).Error; err != nil {
			return core.DBError(err)
		}
		id = s.ID
		if err := t.writeDays(ctx, s.ID, in.Days); err != nil {
			return err
		}
		if err := t.writeSessionTrainers(ctx, s.ID, in.Trainers); err != nil {
			return err
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "session.create", ObjectType: "session", ObjectID: core.IDString(s.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"course": core.IDString(c.ID), "starts": s.StartsAt.Format(time.RFC3339), "capacity": fmt.Sprint(s.Capacity)}})
	})
	if err != nil {
		return CourseSessionView{}, err
	}
	return t.GetSession(ctx, who, id)
}

func (t *Service) checkSessionTrainers(ctx context.Context, courseID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var n int64
	if err := t.d.DB.Conn(ctx).Model(&courseTrainer{}).Where("course_id = ? AND user_id IN ?", courseID, ids).Count(&n).Error; err != nil {
		return core.DBError(err)
	}
	if int(n) != len(ids) {
		return core.Invalid("trainers", "Select the session's trainers from the trainers of the course")
	}
	return nil
}

func (t *Service) writeDays(ctx context.Context, sessionID int64, days []DayInput) error {
	rows := make([]SessionDay, 0, len(days))
	for i, d := range days {
		rows = append(rows, SessionDay{SessionID: sessionID, DayNumber: i + 1, StartsAt: d.StartsAt, EndsAt: d.EndsAt})
	}
	return core.ReplaceRows(ctx, t.d.DB, "session_id", sessionID, rows)
}

func (t *Service) writeSessionTrainers(ctx context.Context, sessionID int64, ids []int64) error {
	rows := make([]sessionTrainer, 0, len(ids))
	for _, u := range ids {
		rows = append(rows, sessionTrainer{SessionID: sessionID, UserID: u})
	}
	return core.ReplaceRows(ctx, t.d.DB, "session_id", sessionID, rows)
}

// UpdateSession changes a scheduled session. More places promote people from the waiting list
// at once; fewer than are taken is refused. Learners with a place, a request or a waiting-list
// position are told when the days, venue or joining details change. Its trainers may. Errors:
// ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT (cancelled or completed).
func (t *Service) UpdateSession(ctx context.Context, who core.Actor, id int64, in SessionInput) (CourseSessionView, error) {
	if err := t.expireDue(ctx, "session_id = ?", id); err != nil {
		return CourseSessionView{}, err
	}
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Courses)
		s, c, _, err := t.sessionForEdit(ctx, who, id, true)
		if err != nil {
			return err
		}
		now := t.d.Now()
		if err := in.validate(now, false); err != nil {
			return err
		}
		if in.Capacity < s.SeatsTaken {
			return core.Invalid("capacity", fmt.Sprintf("%d people already have a place: places cannot be fewer than that", s.SeatsTaken))
		}
		if err := t.checkSessionTrainers(ctx, c.ID, in.Trainers); err != nil {
			return err
		}
		days, err := t.sessionDays(ctx, s.ID)
		if err != nil {
			return err
		}
		old := days[s.ID]
		daysChanged := len(old) != len(in.Days)
		for i := 0; !daysChanged && i < len(old); i++ {
			daysChanged = !old[i].StartsAt.Equal(in.Days[i].StartsAt) || !old[i].EndsAt.Equal(in.Days[i].EndsAt)
		}
		placeChanged := s.Venue != in.Venue || s.JoiningDetails != in.JoiningDetails
		details := map[string]string{}
		if daysChanged {
			details["days"] = "changed"
		}
		if placeChanged {
			details["venue"] = "changed"
		}
		if s.Capacity != in.Capacity {
			details["capacity"] = fmt.Sprintf("%d → %d", s.Capacity, in.Capacity)
		}
		if !s.BookingClosesAt.Equal(in.BookingClosesAt) || !s.CancellationCutoffAt.Equal(in.CancellationCutoffAt) {
			details["deadlines"] = "changed"
		}
		s.Venue, s.JoiningDetails, s.Capacity, s.MinLearners = in.Venue, in.JoiningDetails, in.Capacity, in.MinLearners
		s.StartsAt, s.EndsAt = in.Days[0].StartsAt, in.Days[len(in.Days)-1].EndsAt
		s.BookingClosesAt, s.CancellationCutoffAt, s.UpdatedAt = in.BookingClosesAt, in.CancellationCutoffAt, now
		if err := t.d.DB.Conn(ctx).Model(&s).Select("venue", "joining_details", "capacity", "min_learners", "starts_at", "ends_at",
			"booking_closes_at", "cancellation_cutoff_at", "updated_at").Updates(&s).Error; err != nil {
			return core.DBError(err)
		}
		if daysChanged {
			if err := t.writeDays(ctx, s.ID, in.Days); err != nil {
				return err
			}
		}
		if err := t.writeSessionTrainers(ctx, s.ID, in.Trainers); err != nil {
			return err
		}
		// New places go to the waiting list in order, at once.
		for s.SeatsTaken < s.Capacity && s.Waiting > 0 {
			if _, err := t.promoteFirst(ctx, &s, c); err != nil {
				return err
			}
		}
		if daysChanged || placeChanged {
			var learners []int64
			if err := t.d.DB.Conn(ctx).Model(&Enrolment{}).Where("session_id = ? AND state IN ?", s.ID, liveStates()).Pluck("user_id", &learners).Error; err != nil {
				return core.DBError(err)
			}
			what := "The dates or times"
			switch {
			case daysChanged && placeChanged:
				what = "The dates, times and venue"
			case placeChanged:
				what = "The venue or joining details"
			}
			for _, u := range learners {
				if err := t.notify(ctx, c, u, core.NoticeSessionChange, fmt.Sprintf("%s of your session of %s %s changed.", what, c.Code, c.Title), sessionLink(s.ID)); err != nil {
					return err
				}
			}
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "session.update", ObjectType: "session", ObjectID: core.IDString(s.ID), Outcome: core.OutcomeSuccess, Details: details})
	})
	if err != nil {
		return CourseSessionView{}, err
	}
	return t.GetSession(ctx, who, id)
}

// SessionForEdit returns a session the actor may change, with the course's trainers to choose
// from, for the edit page. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT.
func (t *Service) SessionForEdit(ctx context.Context, who core.Actor, id int64) (CourseSessionView, []PersonRef, error) {
	var v CourseSessionView
	var trainers []PersonRef
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		s, c, obj, err := t.sessionForEdit(ctx, who, id, false)
		if err != nil {
			return err
		}
		if v, err = t.sessionView(ctx, who, c, s, obj); err != nil {
			return err
		}
		cobj, err := t.courseObject(ctx, who, c)
		if err != nil {
			return err
		}
		cv, err := t.courseView(ctx, who, c, cobj)
		trainers = cv.Trainers
		return err
	})
	return v, trainers, err
}

// CancelSession cancels a scheduled session: every place, request and waiting-list position on
// it ends, and each learner is told why. Its trainers may. Errors: ENOTFOUND, EFORBIDDEN,
// EINVALID (no reason), ECONFLICT (not scheduled).
func (t *Service) CancelSession(ctx context.Context, who core.Actor, id int64, reason string) (CourseSessionView, error) {
	if err := t.expireDue(ctx, "session_id = ?", id); err != nil {
		return CourseSessionView{}, err
	}
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Courses)
		s, c, _, err := t.sessionFor(ctx, who, id, true, policies.ActCancel, "Only the trainers of this course can cancel its sessions.")
		if err != nil {
			return err
		}
		reason = strings.TrimSpace(reason)
		switch {
		case s.Status != SessionScheduled:
			return core.Conflict("This session is already " + s.Status + ".")
		case reason == "":
			return core.Invalid("reason", "Enter why the session is cancelled: the learners are told")
		case len(reason) > 1000:
			return core.Invalid("reason", "The reason must be 1,000 characters or fewer")
		}
		now := t.d.Now()
		var learners []Enrolment
		if err := t.d.DB.Conn(ctx).Where("session_id = ? AND state IN ?", s.ID, liveStates()).Find(&learners).Error; err != nil {
			return core.DBError(err)
		}
		if err := t.d.DB.Conn(ctx).Model(&Enrolment{}).Where("session_id = ? AND state IN ?", s.ID, liveStates()).
			Updates(map[string]any{"state": EnrolmentCancelled, "position": nil, "reason": reason, "ended_at": now, "updated_at": now}).Error; err != nil {
			return core.DBError(err)
		}
		if err := t.d.DB.Conn(ctx).Model(&s).Updates(map[string]any{"status": SessionCancelled, "cancel_reason": reason, "cancelled_at": now,
			"seats_taken": 0, "waiting": 0, "updated_at": now}).Error; err != nil {
			return core.DBError(err)
		}
		for _, e := range learners {
			if e.State == EnrolmentRequested {
				if err := core.CloseSubject(ctx, t.d, requestSubject(e.ID), 0); err != nil {
					return err
				}
			}
			if err := t.notify(ctx, c, e.UserID, core.NoticeCancellation, fmt.Sprintf("The session of %s %s starting %s has been cancelled: %s",
				c.Code, c.Title, s.StartsAt.In(core.London).Format("2 January 2006"), reason), sessionLink(s.ID)); err != nil {
				return err
			}
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "session.cancel", ObjectType: "session", ObjectID: core.IDString(s.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"learners": fmt.Sprint(len(learners))}})
	})
	if err != nil {
		return CourseSessionView{}, err
	}
	return t.GetSession(ctx, who, id)
}
