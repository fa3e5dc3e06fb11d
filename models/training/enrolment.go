package training

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm/clause"
)

// Enrolment states. A request becomes a place (enrolled) or a waiting-list position
// (waitlisted) at once, or after a supervisor approves it; a place ends completed or not
// completed when the trainer closes the register.
const (
	EnrolmentRequested    = "requested"     // waiting for a supervisor's decision
	EnrolmentEnrolled     = "enrolled"      // holds a place
	EnrolmentWaitlisted   = "waitlisted"    // waiting for a place, at a position (1 = next)
	EnrolmentDeclined     = "declined"      // a supervisor said no, with a reason
	EnrolmentExpired      = "expired"       // nobody decided in time
	EnrolmentWithdrawn    = "withdrawn"     // the learner withdrew
	EnrolmentCancelled    = "cancelled"     // the trainer removed them, or the session was cancelled
	EnrolmentCompleted    = "completed"     // attended every day: a certificate was issued
	EnrolmentNotCompleted = "not_completed" // missed all or part of the session
)

// liveStates are the states of a request still in play: at most one per learner and session,
// and what overlapping sessions are checked against.
func liveStates() []string {
	return []string{EnrolmentRequested, EnrolmentEnrolled, EnrolmentWaitlisted}
}

// placeHolding are the states of someone who holds (or held) a place: they see the joining
// details and the course material.
func placeHolding() []string { return []string{EnrolmentEnrolled, EnrolmentCompleted} }

// Enrolment is a learner's request for a place on a session, and what became of it.
type Enrolment struct {
	ID             int64      `json:"id"`
	SessionID      int64      `json:"session_id"`
	CourseID       int64      `json:"course_id"`
	UserID         int64      `json:"user_id"`
	OrganisationID int64      `json:"organisation_id"`
	State          string     `json:"state"`
	Position       *int       `json:"waitlist_position,omitempty"`
	RequestedBy    *int64     `json:"-"`
	RequestedAt    time.Time  `json:"requested_at"`
	ExpiresAt      *time.Time `json:"decide_by,omitempty"`
	DecidedBy      *int64     `json:"-"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
	Reason         string     `json:"reason,omitempty"`
	PlacedAt       *time.Time `json:"placed_at,omitempty"`
	EnrolledAt     *time.Time `json:"enrolled_at,omitempty"`
	EndedAt        *time.Time `json:"ended_at,omitempty"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// TableName is the enrolment table.
func (Enrolment) TableName() string { return "enrolments" }

// Live reports whether the request is still in play.
func (e Enrolment) Live() bool {
	return e.State == EnrolmentRequested || e.State == EnrolmentEnrolled || e.State == EnrolmentWaitlisted
}

// EnrolmentView is an enrolment with its learner, course and session, as lists show it.
type EnrolmentView struct {
	Enrolment
	Learner         PersonRef `json:"learner"`
	Course          CourseRef `json:"course"`
	SessionStartsAt time.Time `json:"session_starts_at"`
	SessionEndsAt   time.Time `json:"session_ends_at"`
	SessionStatus   string    `json:"session_status"`
	Venue           string    `json:"venue"`
	// How full the session is, for whoever decides a request: places, places taken and people
	// on its waiting list.
	SessionCapacity    int `json:"session_capacity"`
	SessionPlacesTaken int `json:"session_places_taken"`
	SessionWaiting     int `json:"session_waiting"`
}

// enrolmentObject is the enrolment as the policy sees it: the learner's own, in the learner's
// organisation, on a session the actor teaches.
func (t *Service) enrolmentObject(ctx context.Context, who core.Actor, e Enrolment) (policies.Object, error) {
	obj := core.PersonalObject("enrolment", e.OrganisationID, e.UserID, who)
	teaches, err := t.teachesSession(ctx, who.UserID, e.CourseID, e.SessionID)
	if err != nil {
		return obj, err
	}
	if teaches {
		obj.Rel |= policies.RelTrainer
	}
	return obj, nil
}

// loadEnrolment reads an enrolment the actor may see; anything else is not found.
func (t *Service) loadEnrolment(ctx context.Context, who core.Actor, id int64) (Enrolment, policies.Object, error) {
	e, err := core.TakeRow[Enrolment](ctx, t.d.DB, id, false, "Booking not found")
	if err != nil {
		return e, policies.Object{}, err
	}
	obj, err := t.enrolmentObject(ctx, who, e)
	if err != nil {
		return e, obj, err
	}
	return e, obj, core.CanSee(ctx, t.d.Authz, who, policies.ActRead, obj, "Booking")
}

// lockedEnrolment loads an enrolment the actor may see with its session locked, then reads the
// enrolment again under that lock: what is decided next cannot be raced.
func (t *Service) lockedEnrolment(ctx context.Context, who core.Actor, id int64) (Enrolment, policies.Object, CourseSession, Course, error) {
	e, _, err := t.loadEnrolment(ctx, who, id)
	if err != nil {
		return e, policies.Object{}, CourseSession{}, Course{}, err
	}
	s, c, err := t.lockSessionRow(ctx, e.SessionID)
	if err != nil {
		return e, policies.Object{}, s, c, err
	}
	e, obj, err := t.loadEnrolment(ctx, who, id)
	return e, obj, s, c, err
}

// lockSessionRow locks and reads a session and its course, with no visibility check: for
// callers that have already checked the actor may act on something of the session.
func (t *Service) lockSessionRow(ctx context.Context, id int64) (CourseSession, Course, error) {
	s, err := t.lockSession(ctx, id)
	if err != nil {
		return s, Course{}, err
	}
	var c Course
	return s, c, core.DBError(t.d.DB.Conn(ctx).Take(&c, s.CourseID).Error)
}

// lockSession locks a session's row for the rest of the transaction and reads it: the seats
// and waiting-list counters are read and changed only under this lock, or by the one
// statement that takes it (place; DESIGN.md §9). The lock is FOR NO KEY UPDATE, the one an
// UPDATE takes: it excludes the other lockers and writers of the row as FOR UPDATE does, but
// not the key checks of rows that refer to the session. On SQLite the immediate write
// transaction already runs alone.
func (t *Service) lockSession(ctx context.Context, id int64) (CourseSession, error) {
	var s CourseSession
	q := t.d.DB.Conn(ctx)
	if t.d.DB.Dialect() == core.DialectPostgres {
		q = q.Clauses(clause.Locking{Strength: "NO KEY UPDATE"})
	}
	return s, core.DBError(q.Take(&s, id).Error)
}

// learner is a person as the booking rules see them: their row, the kind of their
// organisation and their roles there (which the caller sets).
type learner struct {
	core.User `gorm:"embedded"`
	OrgKind   core.OrgKind
	roles     []string
}

// lockLearners reads the people matching where (on users u) with their organisation's kind, and
// holds their rows for the transaction (in id order, so two transactions never wait on each
// other in a circle): one learner's requests are decided one at a time, so two overlapping
// sessions cannot both be granted to them by concurrent requests. On SQLite the immediate
// transaction already runs alone.
func (t *Service) lockLearners(ctx context.Context, where string, args ...any) ([]learner, error) {
	q := "SELECT u.*, o.kind AS org_kind FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE " + where + " ORDER BY u.id"
	if t.d.DB.Dialect() == core.DialectPostgres {
		q += " FOR NO KEY UPDATE OF u"
	}
	var out []learner
	return out, core.DBError(t.d.DB.Conn(ctx).Raw(q, args...).Scan(&out).Error)
}

// voice phrases refusals for the learner themselves or, in bulk, for the person named.
type voice struct{ they, their string }

var (
	youVoice  = voice{they: "You", their: "your"}
	themVoice = voice{they: "They", their: "their"}
)

// admit decides a request for learner l on session s of course c, with the learner's row
// locked: every rule of booking, then a place, a waiting-list position, or (when the course
// needs approval and the request is not already approved) a request waiting for a supervisor.
// Refusals are ECONFLICT with a message saying what stands in the way.
//
// The learner's rules (eligibility, bookings in the way, prerequisites) are checked first,
// under the learner's lock; the session's row is locked only by the statement that takes the
// place, so that concurrent requests for one session queue behind each other for as short a
// time as possible.
func (t *Service) admit(ctx context.Context, by core.Actor, l learner, s *CourseSession, c Course, approved bool, v voice) (Enrolment, error) {
	if err := bookable(*s, c, t.d.Now()); err != nil {
		return Enrolment{}, err
	}
	if reason := notEligible(c, l.roles, l.OrgKind); reason != "" {
		return Enrolment{}, core.Conflict(reason)
	}
	clash, err := t.bookingInTheWay(ctx, l.ID, s.ID)
	if err != nil {
		return Enrolment{}, err
	}
	if clash != nil && clash.SessionID == s.ID {
		what := map[string]string{EnrolmentRequested: "already asked for a place", EnrolmentEnrolled: "already have a place",
			EnrolmentWaitlisted: "are already on the waiting list"}[clash.State]
		return Enrolment{}, core.Conflict(v.they + " " + what + " on this session.")
	}
	if err := t.checkPrerequisites(ctx, l.ID, c, s.StartsAt, v); err != nil {
		return Enrolment{}, err
	}
	if clash != nil {
		return Enrolment{}, core.Conflict(fmt.Sprintf("This session overlaps %s booking for %s %s starting %s. A learner cannot hold two overlapping sessions.",
			v.their, clash.Code, clash.Title, trainingDate(clash.StartsAt)))
	}
	now := t.d.Now()
	e := Enrolment{SessionID: s.ID, CourseID: c.ID, UserID: l.ID, OrganisationID: l.OrganisationID,
		RequestedBy: &by.UserID, RequestedAt: now, UpdatedAt: now}
	if c.ApprovalRequired && !approved {
		// A request nobody can decide would only wait to expire: refuse it now, saying why.
		deciders, err := t.supervisorsOf(ctx, l.OrganisationID)
		if err != nil {
			return Enrolment{}, err
		}
		if !slices.ContainsFunc(deciders, func(id int64) bool { return id != l.ID }) {
			return Enrolment{}, core.Conflict("This course needs a supervisor's approval, and nobody in " + v.their +
				" organisation can give it: ask an organisation administrator to give the supervisor role to someone, then ask again.")
		}
		// No place is taken yet, but the session must be open when the request is saved: its
		// lock keeps a cancellation from missing the request.
		locked, err := t.lockSession(ctx, s.ID)
		if err != nil {
			return Enrolment{}, err
		}
		*s = locked
		if err := bookable(*s, c, now); err != nil {
			return Enrolment{}, err // cancelled or closed while the rules were checked
		}
		e.State = EnrolmentRequested
		exp := now.AddDate(0, 0, c.ApprovalDays)
		e.ExpiresAt = &exp
		return e, core.DBError(t.d.DB.Conn(ctx).Create(&e).Error)
	}
	if approved && c.ApprovalRequired {
		e.DecidedBy, e.DecidedAt = &by.UserID, &now
	}
	if err := t.place(ctx, s, c, &e, true); err != nil {
		return e, err
	}
	return e, core.DBError(t.d.DB.Conn(ctx).Create(&e).Error)
}

// bookable refuses a request on a session that is not open for booking at now.
func bookable(s CourseSession, c Course, now time.Time) error {
	switch {
	case !c.Published():
		return core.Conflict("This course is not published yet.")
	case s.Status == SessionCancelled:
		return core.Conflict("This session has been cancelled.")
	case s.Status != SessionScheduled:
		return core.Conflict("This session has finished.")
	case !now.Before(s.BookingClosesAt):
		return core.Conflict("Booking for this session closed on " + trainingTime(s.BookingClosesAt) + ".")
	}
	return nil
}

// place gives e a free place or else the next waiting-list position, with one conditional
// update of the session's counters that returns the session: that statement takes the session's
// row lock, held only until the commit a few statements later, so a place is never given twice
// and positions follow the order in which requests reach the row. A newcomer takes a place only
// while nobody waits (the first waiting always comes first), so the place was taken exactly when
// nobody waits after it. As a booking, the session must still be open for booking; a decision
// on a request needs it scheduled only. It sets e's state and refreshes *s; the caller saves e.
// Errors: ECONFLICT when the session was cancelled or closed meanwhile.
func (t *Service) place(ctx context.Context, s *CourseSession, c Course, e *Enrolment, booking bool) error {
	now := t.d.Now()
	open, args := "id = ? AND status = ?", []any{now, s.ID, SessionScheduled}
	if booking {
		open, args = open+" AND booking_closes_at > ?", append(args, now)
	}
	var got []CourseSession
	err := t.d.DB.Conn(ctx).Raw(`UPDATE course_sessions SET
		seats_taken = seats_taken + CASE WHEN seats_taken < capacity AND waiting = 0 THEN 1 ELSE 0 END,
		waiting = waiting + CASE WHEN seats_taken < capacity AND waiting = 0 THEN 0 ELSE 1 END,
		updated_at = ? WHERE `+open+` RETURNING *`, args...).Scan(&got).Error
	if err != nil {
		return core.DBError(err)
	}
	if len(got) == 0 {
		var fresh CourseSession
		if err := t.d.DB.Conn(ctx).Take(&fresh, s.ID).Error; err != nil {
			return core.DBError(err)
		}
		if err := bookable(fresh, c, now); err != nil {
			return err
		}
		return core.Internal(fmt.Errorf("session %d: neither a place nor a waiting-list position could be taken", s.ID))
	}
	*s = got[0]
	core.Changed(ctx, core.Courses) // the catalogue shows the free places
	e.PlacedAt, e.UpdatedAt, e.ExpiresAt = &now, now, nil
	if s.Waiting == 0 {
		e.State, e.EnrolledAt, e.Position = EnrolmentEnrolled, &now, nil
		return nil
	}
	pos := s.Waiting
	e.State, e.Position = EnrolmentWaitlisted, &pos
	return nil
}

// promoteFirst gives the free place of s to the first on its waiting list, moves everyone
// behind up one, and tells them. The caller holds the session lock and has made sure a place
// is free and someone is waiting.
func (t *Service) promoteFirst(ctx context.Context, s *CourseSession, c Course) (*Enrolment, error) {
	db := t.d.DB.Conn(ctx)
	now := t.d.Now()
	var first Enrolment
	if err := db.Where("session_id = ? AND state = ? AND position = 1", s.ID, EnrolmentWaitlisted).Take(&first).Error; err != nil {
		return nil, core.Internal(fmt.Errorf("session %d has %d waiting but no position 1: %w", s.ID, s.Waiting, err))
	}
	res := db.Exec("UPDATE course_sessions SET seats_taken = seats_taken + 1, waiting = waiting - 1, updated_at = ? WHERE id = ? AND seats_taken < capacity AND waiting > 0", now, s.ID)
	if res.Error != nil {
		return nil, core.DBError(res.Error)
	}
	if res.RowsAffected != 1 {
		return nil, core.Internal(fmt.Errorf("session %d: no free place to promote into", s.ID))
	}
	if err := db.Model(&first).Updates(map[string]any{"state": EnrolmentEnrolled, "position": nil, "enrolled_at": now, "updated_at": now}).Error; err != nil {
		return nil, core.DBError(err)
	}
	first.State, first.Position, first.EnrolledAt = EnrolmentEnrolled, nil, &now
	s.SeatsTaken++
	core.Changed(ctx, core.Courses)
	s.Waiting--
	if err := t.closeGap(ctx, s.ID, 1); err != nil {
		return nil, err
	}
	if err := t.notify(ctx, c, first.UserID, core.NoticePromotion, fmt.Sprintf("A place came free on %s %s starting %s: it is yours.", c.Code, c.Title, trainingDate(s.StartsAt)), sessionLink(s.ID)); err != nil {
		return nil, err
	}
	return &first, t.audit.Record(ctx, nil, core.Event{Action: "enrolment.promote", ObjectType: "enrolment", ObjectID: core.IDString(first.ID), Outcome: core.OutcomeSuccess,
		Details: map[string]string{"session": core.IDString(s.ID)}})
}

// closeGap moves everyone waiting behind position pos up one, so positions stay 1..n with no
// gap. Two steps, since a unique index guards the positions and rows are updated one by one.
func (t *Service) closeGap(ctx context.Context, sessionID int64, pos int) error {
	db := t.d.DB.Conn(ctx)
	if err := db.Exec("UPDATE enrolments SET position = -position WHERE session_id = ? AND state = ? AND position > ?", sessionID, EnrolmentWaitlisted, pos).Error; err != nil {
		return core.DBError(err)
	}
	return core.DBError(db.Exec("UPDATE enrolments SET position = -position - 1 WHERE session_id = ? AND state = ? AND position < 0", sessionID, EnrolmentWaitlisted).Error)
}

// release ends e's hold on its session, in state (withdrawn or cancelled): a place goes at once
// to the first waiting, a waiting-list position closes up. It returns whoever was promoted.
func (t *Service) release(ctx context.Context, s *CourseSession, c Course, e *Enrolment, state, reason string) (*Enrolment, error) {
	db := t.d.DB.Conn(ctx)
	now := t.d.Now()
	was, pos := e.State, e.Position
	if err := db.Model(e).Updates(map[string]any{"state": state, "position": nil, "reason": reason, "ended_at": now, "updated_at": now}).Error; err != nil {
		return nil, core.DBError(err)
	}
	e.State, e.Position, e.Reason, e.EndedAt = state, nil, reason, &now
	if was == EnrolmentRequested {
		// Nothing is left for a supervisor to decide.
		if err := core.CloseSubject(ctx, t.d, requestSubject(e.ID), 0); err != nil {
			return nil, err
		}
	}
	switch was {
	case EnrolmentEnrolled:
		res := db.Exec("UPDATE course_sessions SET seats_taken = seats_taken - 1, updated_at = ? WHERE id = ? AND seats_taken > 0", now, s.ID)
		if res.Error != nil {
			return nil, core.DBError(res.Error)
		}
		if res.RowsAffected != 1 {
			return nil, core.Internal(fmt.Errorf("session %d: releasing a place none of which is taken", s.ID))
		}
		s.SeatsTaken--
		core.Changed(ctx, core.Courses)
		if s.Waiting > 0 && s.Status == SessionScheduled {
			return t.promoteFirst(ctx, s, c)
		}
	case EnrolmentWaitlisted:
		if err := db.Exec("UPDATE course_sessions SET waiting = waiting - 1, updated_at = ? WHERE id = ? AND waiting > 0", now, s.ID).Error; err != nil {
			return nil, core.DBError(err)
		}
		s.Waiting--
		return nil, t.closeGap(ctx, s.ID, *pos)
	}
	return nil, nil
}

// checkPrerequisites refuses a learner without a certificate, valid on the session's first day,
// for each prerequisite of c.
func (t *Service) checkPrerequisites(ctx context.Context, userID int64, c Course, on time.Time, v voice) error {
	var missing []CourseRef
	day := trainingDayStart(on)
	err := t.d.DB.Conn(ctx).Table("courses").Select("courses.id, courses.code, courses.title").
		Joins("JOIN course_prerequisites p ON p.prerequisite_id = courses.id").Where("p.course_id = ?", c.ID).
		Where(`NOT EXISTS (SELECT 1 FROM certificates x WHERE x.course_id = courses.id AND x.user_id = ? AND (x.expires_on IS NULL OR x.expires_on > ?))`, userID, day).
		Order("courses.code").Scan(&missing).Error
	if err != nil {
		return core.DBError(err)
	}
	if len(missing) == 0 {
		return nil
	}
	names := make([]string, len(missing))
	for i, m := range missing {
		names[i] = m.Code + " " + m.Title
	}
	return core.Conflict(fmt.Sprintf("%s need a certificate for %s that is still valid when this session starts.", v.they, strings.Join(names, " and ")))
}

// bookingInTheWay is the learner's live booking (a place, a request or a waiting-list position)
// that stands in the way of one on a session: on that session itself, or else the first on a
// session with a day overlapping one of its days. It is nil when there is none.
func (t *Service) bookingInTheWay(ctx context.Context, userID, sessionID int64) (*bookingClash, error) {
	var clash []bookingClash
	err := t.d.DB.Conn(ctx).Raw(`SELECT e.session_id, e.state, c.code, c.title, s.starts_at
		FROM enrolments e
		JOIN course_sessions s ON s.id = e.session_id
		JOIN courses c ON c.id = e.course_id
		WHERE e.user_id = ? AND e.state IN ?
		  AND (e.session_id = ? OR EXISTS (SELECT 1 FROM session_days a JOIN session_days b ON a.starts_at < b.ends_at AND b.starts_at < a.ends_at
		              WHERE a.session_id = ? AND b.session_id = e.session_id))
		ORDER BY CASE WHEN e.session_id = ? THEN 0 ELSE 1 END, s.starts_at LIMIT 1`, userID, liveStates(), sessionID, sessionID, sessionID).Scan(&clash).Error
	if err != nil || len(clash) == 0 {
		return nil, core.DBError(err)
	}
	return &clash[0], nil
}

// bookingClash is a booking in the way of another.
type bookingClash struct {
	SessionID   int64
	State       string
	Code, Title string
	StartsAt    time.Time
}

func trainingDate(t time.Time) string { return t.In(core.London).Format("2 January 2006") }

func trainingTime(t time.Time) string {
	l := t.In(core.London)
	return l.Format("2 January 2006") + " at " + strings.ToLower(l.Format("3:04PM"))
}

// Request asks for a place on a session for the actor: a place or a waiting-list position at
// once, or a request for their supervisor when the course needs approval. Anyone signed in may
// ask for themselves. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT (booking closed, not eligible,
// prerequisites missing, an overlapping booking, already booked).
func (t *Service) Request(ctx context.Context, who core.Actor, sessionID int64) (EnrolmentView, error) {
	// An overdue request of theirs must not count as "already asked" or as an overlapping booking.
	if err := t.expireDue(ctx, "user_id = ?", who.UserID); err != nil {
		return EnrolmentView{}, err
	}
	var out EnrolmentView
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		me, err := t.lockLearners(ctx, "u.id = ?", who.UserID)
		if err != nil {
			return err
		}
		if len(me) == 0 {
			return core.Internal(fmt.Errorf("user %d is signed in but has no row", who.UserID))
		}
		l := me[0]
		l.roles = who.Roles
		s, c, _, err := t.loadSession(ctx, who, sessionID, false) // admit locks it when it must
		if err != nil {
			return err
		}
		if err := core.Can(ctx, t.d.Authz, who, policies.ActRequest, policies.Object{Type: "enrolment", Org: policies.OrgDomain(who.OrgID), Rel: policies.RelSelf},
			"You cannot book training."); err != nil {
			return err
		}
		e, err := t.admit(ctx, who, l, &s, c, false, youVoice)
		if err != nil {
			return err
		}
		out = EnrolmentView{Enrolment: e, Learner: PersonRef{ID: l.ID, Name: l.Name, Email: l.Email},
			Course: CourseRef{ID: c.ID, Code: c.Code, Title: c.Title}, SessionStartsAt: s.StartsAt, SessionEndsAt: s.EndsAt,
			SessionStatus: s.Status, Venue: s.Venue}
		if err := t.announce(ctx, e, s, c, false); err != nil {
			return err
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "enrolment.request", ObjectType: "enrolment", ObjectID: core.IDString(e.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"session": core.IDString(s.ID), "state": e.State}})
	})
	if err != nil {
		return EnrolmentView{}, err
	}
	return out, nil
}

// announce tells the learner what became of their request and, when it waits for a decision,
// the supervisors of their organisation.
func (t *Service) announce(ctx context.Context, e Enrolment, s CourseSession, c Course, bulk bool) error {
	name := c.Code + " " + c.Title + " starting " + trainingDate(s.StartsAt)
	var text string
	switch e.State {
	case EnrolmentEnrolled:
		text = "You have a place on " + name + "."
	case EnrolmentWaitlisted:
		text = fmt.Sprintf("You are number %d on the waiting list for %s. You will be given a place, and told, as soon as one comes free.", *e.Position, name)
	case EnrolmentRequested:
		text = "Your request for a place on " + name + " is waiting for your supervisor's approval (by " + trainingDate(*e.ExpiresAt) + ")."
	}
	if bulk {
		text = "You were booked by your organisation. " + text
	}
	if err := t.notify(ctx, c, e.UserID, core.NoticeEnrolment, text, sessionLink(s.ID)); err != nil {
		return err
	}
	if e.State != EnrolmentRequested {
		return nil
	}
	supervisors, err := t.supervisorsOf(ctx, e.OrganisationID)
	if err != nil {
		return err
	}
	var learner core.User
	if err := t.d.DB.Conn(ctx).Take(&learner, e.UserID).Error; err != nil {
		return core.DBError(err)
	}
	for _, sup := range supervisors {
		if sup == e.UserID {
			continue // nobody decides their own request
		}
		if err := core.NotifySubject(ctx, t.d, sup, core.NoticeApproval, learner.Name+" asks for a place on "+name+". Decide by "+trainingDate(*e.ExpiresAt)+".", "/approvals",
			requestSubject(e.ID)); err != nil {
			return err
		}
	}
	return nil
}

// requestSubject is the subject of the notifications asking supervisors to decide request id:
// they close when it is decided, by anyone, or ends undecided.
func requestSubject(id int64) string { return core.Subject(core.SubjectEnrolment, id) }

// supervisorsOf lists the active users holding the supervisor role in the organisation. Role
// assignments live in the policy's grouping rows (casbin_rule, ptype g), read here as stored.
func (t *Service) supervisorsOf(ctx context.Context, orgID int64) ([]int64, error) {
	var principals []string
	if err := t.d.DB.Conn(ctx).Table("casbin_rule").Where("ptype = ? AND v1 = ? AND v2 = ?", "g", policies.RoleSupervisor, policies.OrgDomain(orgID)).
		Pluck("v0", &principals).Error; err != nil {
		return nil, core.DBError(err)
	}
	var ids []int64
	for _, p := range principals {
		var id int64
		if _, err := fmt.Sscanf(p, "user:%d", &id); err == nil {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var active []int64
	err := t.d.DB.Conn(ctx).Model(&core.User{}).Where("id IN ? AND disabled_at IS NULL AND organisation_id = ?", ids, orgID).Order("id").Pluck("id", &active).Error
	return active, core.DBError(err)
}

// onEnrolment runs op on enrolment id in one transaction, with the enrolment, its session and
// its course locked, after expiring requests that are due; then it returns the enrolment as the
// actor now sees it.
func (t *Service) onEnrolment(ctx context.Context, who core.Actor, id int64, op func(ctx context.Context, e *Enrolment, obj policies.Object, s *CourseSession, c Course) error) (EnrolmentView, error) {
	if err := t.expireDue(ctx, "id = ?", id); err != nil {
		return EnrolmentView{}, err
	}
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		e, obj, s, c, err := t.lockedEnrolment(ctx, who, id)
		if err != nil {
			return err
		}
		return op(ctx, &e, obj, &s, c)
	})
	if err != nil {
		return EnrolmentView{}, err
	}
	return t.GetEnrolment(ctx, who, id)
}

// ended refuses a booking that has already ended.
func ended(e Enrolment) error {
	if e.Live() {
		return nil
	}
	return core.Conflict("This booking has already ended (" + strings.ReplaceAll(e.State, "_", " ") + ").")
}

// givenReason trims a reason the learner is told and checks there is one, of a sensible size.
func givenReason(reason, missing string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", core.Invalid("reason", missing)
	case len(reason) > 1000:
		return "", core.Invalid("reason", "The reason must be 1,000 characters or fewer")
	}
	return reason, nil
}

// releaseEvent records that e gave up its place or position, and who was promoted into it.
func (t *Service) releaseEvent(ctx context.Context, who core.Actor, action string, e Enrolment, details map[string]string, promoted *Enrolment) error {
	details["session"] = core.IDString(e.SessionID)
	if promoted != nil {
		details["promoted"] = core.IDString(promoted.ID)
	}
	return t.audit.Record(ctx, &who, core.Event{Action: action, ObjectType: "enrolment", ObjectID: core.IDString(e.ID), Outcome: core.OutcomeSuccess, Details: details})
}

// Withdraw gives up the actor's own request, place or waiting-list position. A place goes at
// once to the first person waiting, who is told. A place cannot be given up online after the
// session's cancellation cut-off. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT.
func (t *Service) Withdraw(ctx context.Context, who core.Actor, id int64) (EnrolmentView, error) {
	return t.onEnrolment(ctx, who, id, func(ctx context.Context, e *Enrolment, obj policies.Object, s *CourseSession, c Course) error {
		if err := core.Can(ctx, t.d.Authz, who, policies.ActWithdraw, obj, "Only the learner can withdraw from a booking."); err != nil {
			return err
		}
		if err := ended(*e); err != nil {
			return err
		}
		if e.State == EnrolmentEnrolled && !t.d.Now().Before(s.CancellationCutoffAt) {
			return core.Conflict("The cancellation cut-off for this session passed on " + trainingTime(s.CancellationCutoffAt) + ". Ask the trainer if you cannot attend.")
		}
		was := e.State
		promoted, err := t.release(ctx, s, c, e, EnrolmentWithdrawn, "")
		if err != nil {
			return err
		}
		return t.releaseEvent(ctx, who, "enrolment.withdraw", *e, map[string]string{"was": was}, promoted)
	})
}

// mayCancel checks the actor may cancel e now: a trainer of the session, a booking not ended.
func (t *Service) mayCancel(ctx context.Context, who core.Actor, e Enrolment, obj policies.Object) error {
	if err := core.Can(ctx, t.d.Authz, who, policies.ActCancel, obj, "Only the session's trainers can cancel a learner's booking."); err != nil {
		return err
	}
	return ended(e)
}

// Cancel takes a learner's place, request or waiting-list position away, with a reason they
// are told; a place goes at once to the first person waiting. The session's trainers may.
// Errors: ENOTFOUND, EFORBIDDEN, EINVALID (no reason), ECONFLICT.
func (t *Service) Cancel(ctx context.Context, who core.Actor, id int64, reason string) (EnrolmentView, error) {
	return t.onEnrolment(ctx, who, id, func(ctx context.Context, e *Enrolment, obj policies.Object, s *CourseSession, c Course) error {
		if err := t.mayCancel(ctx, who, *e, obj); err != nil {
			return err
		}
		reason, err := givenReason(reason, "Enter why the booking is cancelled: the learner is told")
		if err != nil {
			return err
		}
		promoted, err := t.release(ctx, s, c, e, EnrolmentCancelled, reason)
		if err != nil {
			return err
		}
		if err := t.notify(ctx, c, e.UserID, core.NoticeCancellation, fmt.Sprintf("Your booking for %s %s starting %s was cancelled by the trainer: %s",
			c.Code, c.Title, trainingDate(s.StartsAt), reason), sessionLink(s.ID)); err != nil {
			return err
		}
		return t.releaseEvent(ctx, who, "enrolment.cancel", *e, map[string]string{}, promoted)
	})
}

// Approve approves a request of someone in the supervisor's organisation (never their own): it
// takes a free place or joins the waiting list in the order of approval, and the learner is
// told. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT (decided, expired, session over).
func (t *Service) Approve(ctx context.Context, who core.Actor, id int64) (EnrolmentView, error) {
	return t.onEnrolment(ctx, who, id, func(ctx context.Context, e *Enrolment, obj policies.Object, s *CourseSession, c Course) error {
		if err := t.decidable(ctx, who, *e, obj, *s); err != nil {
			return err
		}
		now := t.d.Now()
		e.DecidedBy, e.DecidedAt = &who.UserID, &now
		if err := t.place(ctx, s, c, e, false); err != nil {
			return err
		}
		if err := t.d.DB.Conn(ctx).Model(e).Select("state", "position", "decided_by", "decided_at", "placed_at", "enrolled_at", "expires_at", "updated_at").Updates(e).Error; err != nil {
			return core.DBError(err)
		}
		if err := t.announceDecision(ctx, *e, *s, c); err != nil {
			return err
		}
		if err := core.CloseSubject(ctx, t.d, requestSubject(e.ID), who.UserID); err != nil {
			return err
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "enrolment.approve", ObjectType: "enrolment", ObjectID: core.IDString(e.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"session": core.IDString(s.ID), "state": e.State}})
	})
}

func (t *Service) announceDecision(ctx context.Context, e Enrolment, s CourseSession, c Course) error {
	name := c.Code + " " + c.Title + " starting " + trainingDate(s.StartsAt)
	text := "Your supervisor approved your request: you have a place on " + name + "."
	if e.State == EnrolmentWaitlisted {
		text = fmt.Sprintf("Your supervisor approved your request for %s. The session is full: you are number %d on the waiting list.", name, *e.Position)
	}
	return t.notify(ctx, c, e.UserID, core.NoticeEnrolment, text, sessionLink(s.ID))
}

// decidable checks the actor may decide e now.
func (t *Service) decidable(ctx context.Context, who core.Actor, e Enrolment, obj policies.Object, s CourseSession) error {
	msg := "Only a supervisor of the learner's organisation can decide this request."
	if obj.Has(policies.RelSelf) {
		msg = "You cannot decide your own request: another supervisor must."
	}
	if err := core.Can(ctx, t.d.Authz, who, policies.ActDecide, obj, msg); err != nil {
		return err
	}
	switch {
	case e.State == EnrolmentExpired:
		return core.Conflict("This request expired on " + trainingDate(*e.ExpiresAt) + " without a decision. The learner can ask again.")
	case e.State != EnrolmentRequested:
		return core.Conflict("This request has already been decided (" + strings.ReplaceAll(e.State, "_", " ") + ").")
	case e.ExpiresAt != nil && !t.d.Now().Before(*e.ExpiresAt):
		return core.Conflict("This request expired on " + trainingDate(*e.ExpiresAt) + " without a decision. The learner can ask again.")
	case s.Status != SessionScheduled:
		return core.Conflict("This session is " + s.Status + ".")
	case !t.d.Now().Before(s.EndsAt):
		return core.Conflict("This session has ended.")
	}
	return nil
}

// forPage returns enrolment id for the page that confirms a decision on it, once check allows.
func (t *Service) forPage(ctx context.Context, who core.Actor, id int64, check func(e Enrolment, obj policies.Object) error) (EnrolmentView, error) {
	if err := t.expireDue(ctx, "id = ?", id); err != nil {
		return EnrolmentView{}, err
	}
	e, obj, err := t.loadEnrolment(ctx, who, id)
	if err != nil {
		return EnrolmentView{}, err
	}
	if err := check(e, obj); err != nil {
		return EnrolmentView{}, err
	}
	return t.GetEnrolment(ctx, who, id)
}

// ForDecision returns a request the actor may decide now, for the decline page. Errors:
// ENOTFOUND, EFORBIDDEN, ECONFLICT (decided, expired, session over).
func (t *Service) ForDecision(ctx context.Context, who core.Actor, id int64) (EnrolmentView, error) {
	return t.forPage(ctx, who, id, func(e Enrolment, obj policies.Object) error {
		var s CourseSession
		if err := t.d.DB.Conn(ctx).Take(&s, e.SessionID).Error; err != nil {
			return core.DBError(err)
		}
		return t.decidable(ctx, who, e, obj, s)
	})
}

// ForCancel returns a booking the actor may cancel, for the cancel page. Errors: ENOTFOUND,
// EFORBIDDEN, ECONFLICT (already ended).
func (t *Service) ForCancel(ctx context.Context, who core.Actor, id int64) (EnrolmentView, error) {
	return t.forPage(ctx, who, id, func(e Enrolment, obj policies.Object) error { return t.mayCancel(ctx, who, e, obj) })
}

// Decline turns down a request of someone in the supervisor's organisation, with a reason the
// learner is told. Errors: ENOTFOUND, EFORBIDDEN, EINVALID (no reason), ECONFLICT.
func (t *Service) Decline(ctx context.Context, who core.Actor, id int64, reason string) (EnrolmentView, error) {
	return t.onEnrolment(ctx, who, id, func(ctx context.Context, e *Enrolment, obj policies.Object, s *CourseSession, c Course) error {
		if err := t.decidable(ctx, who, *e, obj, *s); err != nil {
			return err
		}
		reason, err := givenReason(reason, "Enter why you are declining: the learner is told")
		if err != nil {
			return err
		}
		now := t.d.Now()
		if err := t.d.DB.Conn(ctx).Model(e).Updates(map[string]any{"state": EnrolmentDeclined, "reason": reason, "decided_by": who.UserID,
			"decided_at": now, "ended_at": now, "updated_at": now}).Error; err != nil {
			return core.DBError(err)
		}
		if err := core.CloseSubject(ctx, t.d, requestSubject(e.ID), who.UserID); err != nil {
			return err
		}
		if err := t.notify(ctx, c, e.UserID, core.NoticeEnrolment, fmt.Sprintf("Your supervisor declined your request for %s %s starting %s: %s",
			c.Code, c.Title, trainingDate(s.StartsAt), reason), sessionLink(s.ID)); err != nil {
			return err
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "enrolment.decline", ObjectType: "enrolment", ObjectID: core.IDString(e.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"session": core.IDString(s.ID)}})
	})
}

// expiryBatch is how many overdue requests one transaction expires: the sessions they are on
// are locked while it runs, so it stays short.
const expiryBatch = 200

// ExpireApprovals ends, as expired, every request (in every organisation) that nobody decided
// within its course's days, telling each learner, and returns how many it expired. It is the
// operation a background job runs; the reads and decisions that depend on a request's state
// apply the same expiry to what they touch first, so nothing waits for the job. Safe to run
// concurrently with itself and with decisions: a request is expired at most once.
func (t *Service) ExpireApprovals(ctx context.Context) (int, error) {
	return t.expireAll(ctx, "state = ?", EnrolmentRequested)
}

// expireAll expires the overdue requests matching where, a batch at a time, until none is left.
func (t *Service) expireAll(ctx context.Context, where string, args ...any) (int, error) {
	total := 0
	for {
		n, more, err := t.expireRequests(ctx, where, args...)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// expireRequests ends, as expired, the overdue requests matching where (on enrolments), at most
// expiryBatch of them, telling each learner; it returns how many it expired and whether more may
// be due. A cheap read first keeps the common case (nothing due) out of a write transaction.
// Call it outside any transaction that holds a session's lock: it locks sessions itself, in id
// order.
func (t *Service) expireRequests(ctx context.Context, where string, args ...any) (int, bool, error) {
	now := t.d.Now()
	var due []int64
	if err := t.d.DB.Conn(ctx).Model(&Enrolment{}).Where(where, args...).Where("state = ? AND expires_at <= ?", EnrolmentRequested, now).
		Order("id").Limit(expiryBatch).Pluck("id", &due).Error; err != nil {
		return 0, false, core.DBError(err)
	}
	if len(due) == 0 {
		return 0, false, nil
	}
	expired := 0
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		expired = 0
		// The sessions first, in id order, as every decision on a request takes its session's
		// lock before the request's row: expiring never waits in a circle with them.
		var sessions []int64
		if err := t.d.DB.Conn(ctx).Model(&Enrolment{}).Where("id IN ?", due).Distinct().Order("session_id").Pluck("session_id", &sessions).Error; err != nil {
			return core.DBError(err)
		}
		for _, sid := range sessions {
			if _, _, err := t.lockSessionRow(ctx, sid); err != nil {
				return err
			}
		}
		var list []Enrolment
		if err := t.d.DB.Conn(ctx).Where("id IN ? AND state = ? AND expires_at <= ?", due, EnrolmentRequested, now).Order("id").Find(&list).Error; err != nil {
			return core.DBError(err)
		}
		courses := map[int64]Course{}
		for _, e := range list {
			res := t.d.DB.Conn(ctx).Model(&Enrolment{}).Where("id = ? AND state = ?", e.ID, EnrolmentRequested).
				Updates(map[string]any{"state": EnrolmentExpired, "ended_at": *e.ExpiresAt, "updated_at": now})
			if res.Error != nil {
				return core.DBError(res.Error)
			}
			if res.RowsAffected == 0 {
				continue // decided meanwhile
			}
			expired++
			if err := core.CloseSubject(ctx, t.d, requestSubject(e.ID), 0); err != nil {
				return err
			}
			c, ok := courses[e.CourseID]
			if !ok {
				if err := t.d.DB.Conn(ctx).Take(&c, e.CourseID).Error; err != nil {
					return core.DBError(err)
				}
				courses[e.CourseID] = c
			}
			if err := t.notify(ctx, c, e.UserID, core.NoticeEnrolment, fmt.Sprintf("Your request for a place on %s %s expired on %s without a decision. You can ask again.",
				c.Code, c.Title, trainingDate(*e.ExpiresAt)), sessionLink(e.SessionID)); err != nil {
				return err
			}
			if err := t.audit.Record(ctx, nil, core.Event{Action: "enrolment.expire", ObjectType: "enrolment", ObjectID: core.IDString(e.ID), Outcome: core.OutcomeSuccess,
				Details: map[string]string{"session": core.IDString(e.SessionID)}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return expired, len(due) == expiryBatch, nil
}

// expireDue applies expiry to the requests matching where before an operation reads or decides
// them, so that nothing depends on when the background job last ran.
func (t *Service) expireDue(ctx context.Context, where string, args ...any) error {
	_, err := t.expireAll(ctx, where, args...)
	return err
}

// GetEnrolment returns an enrolment the actor may see: their own, one of their organisation
// (supervisors), one on a session they teach. Errors: ENOTFOUND.
func (t *Service) GetEnrolment(ctx context.Context, who core.Actor, id int64) (EnrolmentView, error) {
	if err := t.expireDue(ctx, "id = ?", id); err != nil {
		return EnrolmentView{}, err
	}
	e, _, err := t.loadEnrolment(ctx, who, id)
	if err != nil {
		return EnrolmentView{}, err
	}
	views, err := t.enrolmentViews(ctx, []Enrolment{e})
	if err != nil {
		return EnrolmentView{}, err
	}
	return views[0], nil
}

func (t *Service) enrolmentViews(ctx context.Context, list []Enrolment) ([]EnrolmentView, error) {
	out := make([]EnrolmentView, 0, len(list))
	if len(list) == 0 {
		return out, nil
	}
	users, sessions, courses := map[int64]core.User{}, map[int64]CourseSession{}, map[int64]Course{}
	var uids, sids, cids []int64
	for _, e := range list {
		uids, sids, cids = append(uids, e.UserID), append(sids, e.SessionID), append(cids, e.CourseID)
	}
	db := t.d.DB.Conn(ctx)
	var us []core.User
	var ss []CourseSession
	var cs []Course
	if err := db.Select("id, name, email, organisation_id").Where("id IN ?", uids).Find(&us).Error; err != nil {
		return nil, core.DBError(err)
	}
	if err := db.Where("id IN ?", sids).Find(&ss).Error; err != nil {
		return nil, core.DBError(err)
	}
	if err := db.Where("id IN ?", cids).Find(&cs).Error; err != nil {
		return nil, core.DBError(err)
	}
	for _, u := range us {
		users[u.ID] = u
	}
	for _, s := range ss {
		sessions[s.ID] = s
	}
	for _, c := range cs {
		courses[c.ID] = c
	}
	for _, e := range list {
		u, s, c := users[e.UserID], sessions[e.SessionID], courses[e.CourseID]
		out = append(out, EnrolmentView{Enrolment: e, Learner: PersonRef{ID: u.ID, Name: u.Name, Email: u.Email},
			Course: CourseRef{ID: c.ID, Code: c.Code, Title: c.Title}, SessionStartsAt: s.StartsAt, SessionEndsAt: s.EndsAt,
			SessionStatus: s.Status, Venue: s.Venue, SessionCapacity: s.Capacity, SessionPlacesTaken: s.SeatsTaken, SessionWaiting: s.Waiting})
	}
	return out, nil
}

// MyEnrolments lists the actor's own bookings, latest session first.
func (t *Service) MyEnrolments(ctx context.Context, who core.Actor) ([]EnrolmentView, error) {
	if err := core.Can(ctx, t.d.Authz, who, policies.ActRead, policies.Object{Type: "enrolment", Org: policies.OrgDomain(who.OrgID), Rel: policies.RelSelf}, "You cannot see bookings."); err != nil {
		return nil, err
	}
	if err := t.expireDue(ctx, "user_id = ?", who.UserID); err != nil {
		return nil, err
	}
	return t.enrolmentsOf(ctx, who.UserID)
}

func (t *Service) enrolmentsOf(ctx context.Context, userID int64) ([]EnrolmentView, error) {
	var list []Enrolment
	err := t.d.DB.Conn(ctx).Joins("JOIN course_sessions s ON s.id = enrolments.session_id").Where("enrolments.user_id = ?", userID).
		Order("s.starts_at DESC, enrolments.id DESC").Limit(500).Find(&list).Error
	if err != nil {
		return nil, core.DBError(err)
	}
	return t.enrolmentViews(ctx, list)
}

// ApprovalPage is one page of a supervisor's queue, oldest request first, with the cursor of the
// next page ("" = none).
type ApprovalPage struct {
	Enrolments []EnrolmentView `json:"enrolments"`
	Next       string          `json:"next,omitempty"`
}

// Approvals is the supervisor's queue: the requests of their organisation's people (not their
// own) waiting for a decision, in the order they were made, a page at a time; after is the
// cursor of the previous page. Requests past their time are expired first. Errors: EFORBIDDEN,
// EINVALID (bad cursor).
func (t *Service) Approvals(ctx context.Context, who core.Actor, after string, limit int) (ApprovalPage, error) {
	if err := core.Can(ctx, t.d.Authz, who, policies.ActDecide, policies.Object{Type: "enrolment", Org: policies.OrgDomain(who.OrgID)},
		"Only supervisors decide training requests."); err != nil {
		return ApprovalPage{}, err
	}
	limit = core.PageLimit(limit, 100, 50)
	var from int64
	if after != "" {
		var err error
		if from, err = core.DecodeIDCursor(after); err != nil {
			return ApprovalPage{}, err
		}
	}
	if err := t.expireDue(ctx, "organisation_id = ?", who.OrgID); err != nil {
		return ApprovalPage{}, err
	}
	q := t.d.DB.Conn(ctx).Where("organisation_id = ? AND user_id <> ? AND state = ? AND id > ?", who.OrgID, who.UserID, EnrolmentRequested, from)
	// Ids grow with the time of the request: id order is the order they were made in.
	var list []Enrolment
	if err := q.Order("id").Limit(limit + 1).Find(&list).Error; err != nil {
		return ApprovalPage{}, core.DBError(err)
	}
	var page ApprovalPage
	list, page.Next = core.CutPage(list, limit, func(e Enrolment) string { return core.IDString(e.ID) })
	views, err := t.enrolmentViews(ctx, list)
	page.Enrolments = views
	return page, err
}

// SessionLearners is who is on a session, for its trainers.
type SessionLearners struct {
	Session   CourseSessionView `json:"session"`
	Enrolled  []EnrolmentView   `json:"enrolled"`
	Waitlist  []EnrolmentView   `json:"waitlist"`  // by position
	Requested []EnrolmentView   `json:"requested"` // waiting for their supervisors
	Ended     []EnrolmentView   `json:"ended"`     // completed, withdrawn, cancelled, ...
}

// Learners lists the people on a session: places, the waiting list in order, requests waiting
// for approval, and those whose booking ended. Its trainers may. Errors: ENOTFOUND, EFORBIDDEN.
func (t *Service) Learners(ctx context.Context, who core.Actor, sessionID int64) (SessionLearners, error) {
	var out SessionLearners
	if err := t.expireDue(ctx, "session_id = ?", sessionID); err != nil {
		return out, err
	}
	s, c, obj, err := t.loadSession(ctx, who, sessionID, false)
	if err != nil {
		return out, err
	}
	if err := core.Can(ctx, t.d.Authz, who, policies.ActRead, policies.Object{Type: "enrolment", Rel: obj.Rel & policies.RelTrainer},
		"Only the session's trainers can see who is on it."); err != nil {
		return out, err
	}
	if out.Session, err = t.sessionView(ctx, who, c, s, obj); err != nil {
		return out, err
	}
	var list []Enrolment
	if err := t.d.DB.Conn(ctx).Where("session_id = ?", s.ID).Order("position, requested_at, id").Find(&list).Error; err != nil {
		return out, core.DBError(err)
	}
	views, err := t.enrolmentViews(ctx, list)
	if err != nil {
		return out, err
	}
	out.Enrolled, out.Waitlist, out.Requested, out.Ended = []EnrolmentView{}, []EnrolmentView{}, []EnrolmentView{}, []EnrolmentView{}
	for _, v := range views {
		switch v.State {
		case EnrolmentEnrolled:
			out.Enrolled = append(out.Enrolled, v)
		case EnrolmentWaitlisted:
			out.Waitlist = append(out.Waitlist, v)
		case EnrolmentRequested:
			out.Requested = append(out.Requested, v)
		default:
			if v.State == EnrolmentDeclined {
				v.Reason = "" // a line manager's reason, told to the learner, not to the trainer
			}
			out.Ended = append(out.Ended, v)
		}
	}
	return out, nil
}
