package training

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// RenewalWindow is how far ahead learning records look for certificates due for renewal.
const RenewalWindow = 60 // days

// LearningRecord is one person's training: what they have booked, what they have done, their
// certificates and which are due for renewal.
type LearningRecord struct {
	Person       PersonRef         `json:"person"`
	Organisation string            `json:"organisation"`
	Bookings     []EnrolmentView   `json:"bookings"` // live: requested, enrolled, waitlisted
	History      []EnrolmentView   `json:"history"`  // ended
	Certificates []CertificateLine `json:"certificates"`
	Due          []CertificateLine `json:"due_for_renewal"` // the latest of a course, expiring within RenewalWindow days or expired
}

// CertificateLine is a certificate with its state on the day.
type CertificateLine struct {
	Certificate
	Status  string `json:"status"`   // valid or expired
	Latest  bool   `json:"latest"`   // the newest certificate of its course
	DueSoon bool   `json:"due"`      // the latest, expiring within RenewalWindow days or expired
	Booked  bool   `json:"rebooked"` // a new session of the course is booked or asked for
}

// GetLearningRecord returns a person's learning record: one's own, or (supervisors) that of
// someone in their organisation, which is recorded. Errors: ENOTFOUND.
func (t *Service) GetLearningRecord(ctx context.Context, who core.Actor, userID int64) (LearningRecord, error) {
	var rec LearningRecord
	u, err := core.TakeRow[core.User](ctx, t.d.DB, userID, false, "Learning record not found")
	if err != nil {
		return rec, err
	}
	if err := core.CanSee(ctx, t.d.Authz, who, policies.ActRead, core.PersonalObject("record", u.OrganisationID, u.ID, who), "Learning record"); err != nil {
		return rec, err
	}
	if err := t.expireDue(ctx, "user_id = ?", u.ID); err != nil {
		return rec, err
	}
	rec.Person = PersonRef{ID: u.ID, Name: u.Name, Email: u.Email}
	var org core.Organisation
	if err := t.d.DB.Conn(ctx).Take(&org, u.OrganisationID).Error; err != nil {
		return rec, core.DBError(err)
	}
	rec.Organisation = org.Name
	all, err := t.enrolmentsOf(ctx, u.ID)
	if err != nil {
		return rec, err
	}
	rec.Bookings, rec.History = []EnrolmentView{}, []EnrolmentView{}
	liveCourses := map[int64]bool{}
	for _, e := range all {
		if e.Live() {
			rec.Bookings = append(rec.Bookings, e)
			liveCourses[e.CourseID] = true
		} else {
			rec.History = append(rec.History, e)
		}
	}
	var certs []Certificate
	if err := t.d.DB.Conn(ctx).Where("user_id = ?", u.ID).Order("completed_on DESC, id DESC").Find(&certs).Error; err != nil {
		return rec, core.DBError(err)
	}
	now := t.d.Now()
	rec.Certificates, rec.Due = []CertificateLine{}, []CertificateLine{}
	seen := map[int64]bool{}
	for _, c := range certs {
		line := CertificateLine{Certificate: c, Status: c.StatusOn(now), Latest: !seen[c.CourseID], Booked: liveCourses[c.CourseID]}
		seen[c.CourseID] = true
		line.DueSoon = line.Latest && c.DueWithin(now, RenewalWindow)
		rec.Certificates = append(rec.Certificates, line)
		if line.DueSoon {
			rec.Due = append(rec.Due, line)
		}
	}
	if u.ID != who.UserID {
		err := t.audit.Record(ctx, &who, core.Event{Action: "record.read", ObjectType: "user", ObjectID: core.IDString(u.ID), Outcome: core.OutcomeSuccess})
		if err != nil {
			return rec, err
		}
	}
	return rec, nil
}

// StaffLine is one person of a supervisor's organisation with their certificates at a glance.
type StaffLine struct {
	PersonRef
	Certificates int        `json:"certificates"`
	Bookings     int        `json:"bookings"`
	NextExpiry   *time.Time `json:"next_expiry,omitempty"`
}

// DueLine is a staff member's certificate due for renewal.
type DueLine struct {
	Person      PersonRef       `json:"person"`
	Certificate CertificateLine `json:"certificate"`
}

// StaffTraining is a supervisor's view of their organisation's training: who is due for
// renewal within RenewalWindow days (or overdue), and their people a page at a time.
type StaffTraining struct {
	Due    []DueLine   `json:"due_for_renewal"`
	People []StaffLine `json:"people"`
	Next   string      `json:"next,omitempty"`
}

// StaffRecords lists the training of the people of the supervisor's organisation, filtered by
// name or email address, in name order. Supervisors may. Errors: EFORBIDDEN, EINVALID.
func (t *Service) StaffRecords(ctx context.Context, who core.Actor, query, after string, limit int) (StaffTraining, error) {
	var out StaffTraining
	if err := core.Can(ctx, t.d.Authz, who, policies.ActRead, policies.Object{Type: "record", Org: policies.OrgDomain(who.OrgID)},
		"Only supervisors see their staff's training."); err != nil {
		return out, err
	}
	if err := t.expireDue(ctx, "organisation_id = ?", who.OrgID); err != nil {
		return out, err
	}
	limit = core.PageLimit(limit, 200, 50)
	db := t.d.DB.Conn(ctx)
	now := t.d.Now()
	horizon := trainingDayStart(now).AddDate(0, 0, RenewalWindow+1)
	var due []Certificate
	if err := db.Where(`organisation_id = ? AND expires_on IS NOT NULL AND expires_on < ?
		AND NOT EXISTS (SELECT 1 FROM certificates n WHERE n.user_id = certificates.user_id AND n.course_id = certificates.course_id AND n.id > certificates.id)
		AND user_id IN (SELECT id FROM users WHERE organisation_id = ? AND disabled_at IS NULL)`, who.OrgID, horizon, who.OrgID).
		Order("expires_on, id").Limit(500).Find(&due).Error; err != nil {
		return out, core.DBError(err)
	}
	booked := map[[2]int64]bool{}
	var live []Enrolment
	if err := db.Select("user_id, course_id").Where("organisation_id = ? AND state IN ?", who.OrgID, liveStates()).Find(&live).Error; err != nil {
		return out, core.DBError(err)
	}
	for _, e := range live {
		booked[[2]int64{e.UserID, e.CourseID}] = true
	}
	names := map[int64]core.User{}
	var ids []int64
	for _, c := range due {
		ids = append(ids, c.UserID)
	}
	if len(ids) > 0 {
		var us []core.User
		if err := db.Select("id, name, email").Where("id IN ?", ids).Find(&us).Error; err != nil {
			return out, core.DBError(err)
		}
		for _, u := range us {
			names[u.ID] = u
		}
	}
	out.Due = []DueLine{}
	for _, c := range due {
		u := names[c.UserID]
		out.Due = append(out.Due, DueLine{Person: PersonRef{ID: u.ID, Name: u.Name, Email: u.Email},
			Certificate: CertificateLine{Certificate: c, Status: c.StatusOn(now), Latest: true, DueSoon: true, Booked: booked[[2]int64{c.UserID, c.CourseID}]}})
	}
	q := db.Model(&core.User{}).Select("id, name, email").Where("organisation_id = ? AND disabled_at IS NULL", who.OrgID)
	if s := strings.ToLower(strings.TrimSpace(query)); s != "" {
		if len(s) > 200 {
			return out, core.Invalid("q", "Search terms must be 200 characters or fewer")
		}
		like := core.LikeContaining(s)
		q = q.Where(`(LOWER(name) LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\')`, like, like)
	}
	if after != "" {
		var err error
		if q, err = core.AfterKey(q, "name", after); err != nil {
			return out, err
		}
	}
	var people []core.User
	if err := q.Order("name, id").Limit(limit + 1).Find(&people).Error; err != nil {
		return out, core.DBError(err)
	}
	people, out.Next = core.CutPage(people, limit, func(u core.User) string { return core.EncodeCursor(u.Name, u.ID) })
	out.People = []StaffLine{}
	if len(people) == 0 {
		return out, nil
	}
	pids := core.IDsOf(people, func(p core.User) int64 { return p.ID })
	var certs []Certificate
	if err := db.Select("user_id, course_id, expires_on, id").Where("user_id IN ?", pids).Order("id").Find(&certs).Error; err != nil {
		return out, core.DBError(err)
	}
	counts, next := map[int64]int{}, map[int64]*time.Time{}
	for _, c := range certs {
		counts[c.UserID]++
		if c.ExpiresOn != nil && !c.ExpiresOn.Before(trainingDayStart(now)) && (next[c.UserID] == nil || c.ExpiresOn.Before(*next[c.UserID])) {
			exp := *c.ExpiresOn
			next[c.UserID] = &exp
		}
	}
	bookings := map[int64]int{}
	for _, e := range live {
		bookings[e.UserID]++
	}
	for _, p := range people {
		out.People = append(out.People, StaffLine{PersonRef: PersonRef{ID: p.ID, Name: p.Name, Email: p.Email}, Certificates: counts[p.ID],
			Bookings: bookings[p.ID], NextExpiry: next[p.ID]})
	}
	return out, nil
}

// ExportStaffRecords writes the training of the supervisor's organisation as CSV for the force's
// HR or learning system: one row per certificate and per live booking. Cells that a spreadsheet
// would run as a formula are neutralised. The export is recorded, with its row count, before it
// is written.
// Supervisors may. Errors: EFORBIDDEN.
func (t *Service) ExportStaffRecords(ctx context.Context, who core.Actor, w io.Writer) error {
	if err := core.Can(ctx, t.d.Authz, who, policies.ActExport, policies.Object{Type: "record", Org: policies.OrgDomain(who.OrgID)},
		"Only supervisors export their staff's training."); err != nil {
		return err
	}
	if err := t.expireDue(ctx, "organisation_id = ?", who.OrgID); err != nil {
		return err
	}
	db := t.d.DB.Conn(ctx)
	now := t.d.Now()
	var people []core.User
	if err := db.Select("id, name, email").Where("organisation_id = ?", who.OrgID).Order("name, id").Find(&people).Error; err != nil {
		return core.DBError(err)
	}
	byID := map[int64]core.User{}
	for _, p := range people {
		byID[p.ID] = p
	}
	var certs []Certificate
	if err := db.Where("organisation_id = ?", who.OrgID).Order("user_id, completed_on, id").Find(&certs).Error; err != nil {
		return core.DBError(err)
	}
	var live []Enrolment
	if err := db.Where("organisation_id = ? AND state IN ?", who.OrgID, liveStates()).Order("user_id, id").Find(&live).Error; err != nil {
		return core.DBError(err)
	}
	views, err := t.enrolmentViews(ctx, live)
	if err != nil {
		return err
	}
	latest := map[[2]int64]int64{}
	for _, c := range certs {
		latest[[2]int64{c.UserID, c.CourseID}] = c.ID
	}
	// Recorded before the first byte leaves: an export cut off midway, or one whose record
	// could not be written, must not have sent people's details unrecorded.
	if err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		return t.audit.Record(ctx, &who, core.Event{Action: "record.export", ObjectType: "organisation", ObjectID: core.IDString(who.OrgID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"rows": strconv.Itoa(len(certs) + len(views))}})
	}); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	write := func(rec ...string) error {
		for i := range rec {
			rec[i] = core.CSVSafe(rec[i])
		}
		return cw.Write(rec)
	}
	if err := write("name", "email", "course_code", "course_title", "status", "session_starts", "completed_on", "expires_on", "certificate_number", "cpd_hours"); err != nil {
		return core.Internal(err)
	}
	for _, c := range certs {
		u := byID[c.UserID]
		status := c.StatusOn(now)
		if status == CertificateValid && latest[[2]int64{c.UserID, c.CourseID}] == c.ID && c.DueWithin(now, RenewalWindow) {
			status = "due for renewal"
		}
		exp := ""
		if c.ExpiresOn != nil {
			exp = c.ExpiresOn.In(core.London).Format(time.DateOnly)
		}
		if err := write(u.Name, u.Email, c.CourseCode, c.CourseTitle, status, "", c.CompletedOn.In(core.London).Format(time.DateOnly), exp, c.Number,
			strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", c.CPDHours), "0"), ".")); err != nil {
			return core.Internal(err)
		}
	}
	for _, e := range views {
		u := byID[e.UserID]
		status := map[string]string{EnrolmentRequested: "awaiting approval", EnrolmentEnrolled: "booked", EnrolmentWaitlisted: "waiting list"}[e.State]
		if err := write(u.Name, u.Email, e.Course.Code, e.Course.Title, status, e.SessionStartsAt.In(core.London).Format("2006-01-02 15:04"), "", "", "", ""); err != nil {
			return core.Internal(err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return core.Internal(err)
	}
	return nil
}

// MayExportStaffRecords says whether the actor may export their staff's training (checked
// before an export starts writing). Errors: EFORBIDDEN.
func (t *Service) MayExportStaffRecords(ctx context.Context, who core.Actor) error {
	return core.Can(ctx, t.d.Authz, who, policies.ActExport, policies.Object{Type: "record", Org: policies.OrgDomain(who.OrgID)},
		"Only supervisors export their staff's training.")
}
