package training

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Attendance marks of the register, one per learner per session day.
const (
	AttendanceAttended = "attended"
	AttendancePartial  = "partial"
	AttendanceAbsent   = "absent"
)

// AttendanceMarks lists the marks in the order the register offers them.
func AttendanceMarks() []string {
	return []string{AttendanceAttended, AttendancePartial, AttendanceAbsent}
}

type attendanceMark struct {
	EnrolmentID int64
	DayID       int64
	Status      string
	RecordedBy  *int64
	RecordedAt  time.Time
}

func (attendanceMark) TableName() string { return "attendance" }

// Register is a session's attendance register: its days, and each learner with a place and
// their mark for each day.
type Register struct {
	Session     CourseSessionView `json:"session"`
	Learners    []RegisterLine    `json:"learners"`
	MayComplete bool              `json:"may_complete"` // the last day has started and every mark is in
	Missing     int               `json:"missing_marks"`
	DaysOpen    []int             `json:"days_open"` // days whose register can be kept now (they have started)
}

// RegisterLine is one learner on the register.
type RegisterLine struct {
	Enrolment   EnrolmentView    `json:"enrolment"`
	Marks       map[int64]string `json:"marks"` // by day id
	Certificate *Certificate     `json:"certificate,omitempty"`
}

// Mark is the learner's mark for a day ("" when not marked yet).
func (l RegisterLine) Mark(dayID int64) string { return l.Marks[dayID] }

// sessionForRegister loads a session whose register the actor keeps.
func (t *Service) sessionForRegister(ctx context.Context, who core.Actor, id int64, lock bool) (CourseSession, Course, policies.Object, error) {
	return t.sessionFor(ctx, who, id, lock, policies.ActRegister, "Only the session's trainers keep its register.")
}

// GetRegister returns the register of a session. Its trainers may. Errors: ENOTFOUND,
// EFORBIDDEN.
func (t *Service) GetRegister(ctx context.Context, who core.Actor, sessionID int64) (Register, error) {
	var r Register
	s, c, obj, err := t.sessionForRegister(ctx, who, sessionID, false)
	if err != nil {
		return r, err
	}
	if r.Session, err = t.sessionView(ctx, who, c, s, obj); err != nil {
		return r, err
	}
	var list []Enrolment
	db := t.d.DB.Conn(ctx)
	if err := db.Where("session_id = ? AND state IN ?", s.ID, []string{EnrolmentEnrolled, EnrolmentCompleted, EnrolmentNotCompleted}).
		Order("enrolled_at, id").Find(&list).Error; err != nil {
		return r, core.DBError(err)
	}
	views, err := t.enrolmentViews(ctx, list)
	if err != nil {
		return r, err
	}
	ids := core.IDsOf(list, func(e Enrolment) int64 { return e.ID })
	var marks []attendanceMark
	var certs []Certificate
	if len(ids) > 0 {
		if err := db.Where("enrolment_id IN ?", ids).Find(&marks).Error; err != nil {
			return r, core.DBError(err)
		}
		if err := db.Where("enrolment_id IN ?", ids).Find(&certs).Error; err != nil {
			return r, core.DBError(err)
		}
	}
	byEnrolment := map[int64]map[int64]string{}
	for _, m := range marks {
		if byEnrolment[m.EnrolmentID] == nil {
			byEnrolment[m.EnrolmentID] = map[int64]string{}
		}
		byEnrolment[m.EnrolmentID][m.DayID] = m.Status
	}
	certOf := map[int64]*Certificate{}
	for i := range certs {
		certOf[certs[i].EnrolmentID] = &certs[i]
	}
	r.Learners = []RegisterLine{}
	for _, v := range views {
		line := RegisterLine{Enrolment: v, Marks: byEnrolment[v.ID], Certificate: certOf[v.ID]}
		if line.Marks == nil {
			line.Marks = map[int64]string{}
		}
		for _, d := range r.Session.Days {
			if line.Marks[d.ID] == "" && v.State == EnrolmentEnrolled {
				r.Missing++
			}
		}
		r.Learners = append(r.Learners, line)
	}
	days := r.Session.Days
	r.DaysOpen = []int{}
	for _, d := range days {
		if s.Status == SessionScheduled && !t.d.Now().Before(d.StartsAt) {
			r.DaysOpen = append(r.DaysOpen, d.DayNumber)
		}
	}
	r.MayComplete = s.Status == SessionScheduled && len(days) > 0 && !t.d.Now().Before(days[len(days)-1].StartsAt) && r.Missing == 0
	return r, nil
}

// MarkAttendance records marks (by enrolment id) for one day of a session: attended, partial or
// absent. A day's register opens when the day starts and closes when the trainer completes the
// session. Its trainers may. Errors: ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (t *Service) MarkAttendance(ctx context.Context, who core.Actor, sessionID int64, day int, marks map[int64]string) (Register, error) {
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		s, _, _, err := t.sessionForRegister(ctx, who, sessionID, true)
		if err != nil {
			return err
		}
		if s.Status != SessionScheduled {
			return core.Conflict("This session is " + s.Status + ": its register is closed.")
		}
		var d SessionDay
		err = t.d.DB.Conn(ctx).Take(&d, "session_id = ? AND day_number = ?", s.ID, day).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return core.Invalid("day", "Select a day of the session")
		}
		if err != nil {
			return core.DBError(err)
		}
		now := t.d.Now()
		if now.Before(d.StartsAt) {
			return core.Conflict(fmt.Sprintf("The register for day %d opens when the day starts, %s.", d.DayNumber, trainingTime(d.StartsAt)))
		}
		if len(marks) == 0 {
			return core.Invalid("marks", "Mark at least one learner")
		}
		var enrolled []int64
		if err := t.d.DB.Conn(ctx).Model(&Enrolment{}).Where("session_id = ? AND state = ?", s.ID, EnrolmentEnrolled).Pluck("id", &enrolled).Error; err != nil {
			return core.DBError(err)
		}
		on := map[int64]bool{}
		for _, id := range enrolled {
			on[id] = true
		}
		// Every mark is checked before any is saved, and the answer does not depend on the
		// order the marks came in.
		var problems core.Problems
		for id := range marks {
			if !on[id] {
				problems.Add("marks", "Mark only learners who have a place on this session")
			}
		}
		for _, status := range marks {
			if status != AttendanceAttended && status != AttendancePartial && status != AttendanceAbsent {
				problems.Add("marks", "Mark each learner attended, partial or absent")
			}
		}
		if err := problems.Err(); err != nil {
			return err
		}
		counts := map[string]int{}
		for id, status := range marks {
			counts[status]++
			m := attendanceMark{EnrolmentID: id, DayID: d.ID, Status: status, RecordedBy: &who.UserID, RecordedAt: now}
			if err := t.d.DB.Conn(ctx).Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "enrolment_id"}, {Name: "day_id"}},
				DoUpdates: clause.AssignmentColumns([]string{"status", "recorded_by", "recorded_at"}),
			}).Create(&m).Error; err != nil {
				return core.DBError(err)
			}
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "attendance.record", ObjectType: "session", ObjectID: core.IDString(s.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"day": fmt.Sprint(d.DayNumber), "attended": fmt.Sprint(counts[AttendanceAttended]),
				"partial": fmt.Sprint(counts[AttendancePartial]), "absent": fmt.Sprint(counts[AttendanceAbsent])}})
	})
	if err != nil {
		return Register{}, err
	}
	return t.GetRegister(ctx, who, sessionID)
}

// Completion is what completing a session did.
type Completion struct {
	Completed    int `json:"completed"`     // certificates issued
	NotCompleted int `json:"not_completed"` // missed all or part of a day
	Released     int `json:"released"`      // requests and waiting-list positions ended
}

// Complete closes a session's register once its last day has started and every learner is
// marked for every day: a learner who attended every day completes and gets a certificate;
// anyone else has not completed. Requests and waiting-list positions still open end. Learners
// are told. The trainers of the course may. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT.
func (t *Service) Complete(ctx context.Context, who core.Actor, sessionID int64) (Completion, error) {
	var out Completion
	if err := t.expireDue(ctx, "session_id = ?", sessionID); err != nil {
		return out, err
	}
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Courses)
		out = Completion{}
		s, c, obj, err := t.sessionForRegister(ctx, who, sessionID, true)
		if err != nil {
			return err
		}
		if err := core.Can(ctx, t.d.Authz, who, policies.ActIssue, policies.Object{Type: "certificate", Org: obj.Org, Rel: obj.Rel}, "Only the course's trainers issue certificates."); err != nil {
			return err
		}
		if s.Status != SessionScheduled {
			return core.Conflict("This session is already " + s.Status + ".")
		}
		days, err := t.sessionDays(ctx, s.ID)
		if err != nil {
			return err
		}
		ds := days[s.ID]
		now := t.d.Now()
		if len(ds) == 0 || now.Before(ds[len(ds)-1].StartsAt) {
			return core.Conflict("A session can be completed once its last day has started.")
		}
		db := t.d.DB.Conn(ctx)
		var list []Enrolment
		if err := db.Where("session_id = ? AND state = ?", s.ID, EnrolmentEnrolled).Order("id").Find(&list).Error; err != nil {
			return core.DBError(err)
		}
		ids := core.IDsOf(list, func(e Enrolment) int64 { return e.ID })
		var marks []attendanceMark
		if len(ids) > 0 {
			if err := db.Where("enrolment_id IN ?", ids).Find(&marks).Error; err != nil {
				return core.DBError(err)
			}
		}
		attended := map[int64]int{}
		marked := map[int64]int{}
		for _, m := range marks {
			marked[m.EnrolmentID]++
			if m.Status == AttendanceAttended {
				attended[m.EnrolmentID]++
			}
		}
		missing := 0
		for _, e := range list {
			missing += len(ds) - marked[e.ID]
		}
		if missing > 0 {
			return core.Conflict(fmt.Sprintf("Mark every learner for every day first: %d marks are missing.", missing))
		}
		completedOn := trainingDayStart(ds[len(ds)-1].StartsAt)
		for _, e := range list {
			var u core.User
			if err := db.Take(&u, e.UserID).Error; err != nil {
				return core.DBError(err)
			}
			if attended[e.ID] < len(ds) {
				out.NotCompleted++
				if err := db.Model(&e).Updates(map[string]any{"state": EnrolmentNotCompleted, "ended_at": now, "updated_at": now}).Error; err != nil {
					return core.DBError(err)
				}
				if err := t.notify(ctx, c, e.UserID, core.NoticeCertificate, fmt.Sprintf("The register of %s %s is closed. You did not attend every day, so no certificate was issued: ask the trainer about the next session.",
					c.Code, c.Title), sessionLink(s.ID)); err != nil {
					return err
				}
				continue
			}
			out.Completed++
			if err := db.Model(&e).Updates(map[string]any{"state": EnrolmentCompleted, "ended_at": now, "updated_at": now}).Error; err != nil {
				return core.DBError(err)
			}
			cert, err := t.issue(ctx, who, e, u, c, s, completedOn)
			if err != nil {
				return err
			}
			if err := t.notify(ctx, c, e.UserID, core.NoticeCertificate, fmt.Sprintf("You completed %s %s: certificate %s is in your learning record.", c.Code, c.Title, cert.Number),
				certificateLink(cert.ID)); err != nil {
				return err
			}
		}
		// Whoever is still waiting or asking did not get a place on a session that has now run.
		var open []Enrolment
		if err := db.Where("session_id = ? AND state IN ?", s.ID, []string{EnrolmentRequested, EnrolmentWaitlisted}).Find(&open).Error; err != nil {
			return core.DBError(err)
		}
		for _, e := range open {
			if err := db.Model(&e).Updates(map[string]any{"state": EnrolmentCancelled, "position": nil, "reason": "The session has taken place.",
				"ended_at": now, "updated_at": now}).Error; err != nil {
				return core.DBError(err)
			}
			if err := core.CloseSubject(ctx, t.d, requestSubject(e.ID), 0); err != nil {
				return err
			}
			out.Released++
			if err := t.notify(ctx, c, e.UserID, core.NoticeCancellation, fmt.Sprintf("The session of %s %s starting %s has taken place without a place for you. Book another session from the course page.",
				c.Code, c.Title, trainingDate(s.StartsAt)), courseLink(c.ID)); err != nil {
				return err
			}
		}
		if err := db.Model(&s).Updates(map[string]any{"status": SessionCompleted, "completed_at": now, "waiting": 0, "updated_at": now}).Error; err != nil {
			return core.DBError(err)
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "session.complete", ObjectType: "session", ObjectID: core.IDString(s.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"completed": fmt.Sprint(out.Completed), "not_completed": fmt.Sprint(out.NotCompleted), "released": fmt.Sprint(out.Released)}})
	})
	return out, err
}

// Certificate is the record of a completed course: a number, the learner, the course, when,
// the CPD hours, when it expires, and the public code that verifies it.
type Certificate struct {
	ID             int64      `json:"id"`
	Number         string     `json:"number"`
	Code           string     `json:"verification_code"`
	EnrolmentID    int64      `json:"enrolment_id"`
	UserID         int64      `json:"user_id"`
	OrganisationID int64      `json:"organisation_id"`
	CourseID       int64      `json:"course_id"`
	SessionID      int64      `json:"session_id"`
	LearnerName    string     `json:"learner_name"`
	CourseCode     string     `json:"course_code"`
	CourseTitle    string     `json:"course_title"`
	CPDHours       float64    `json:"cpd_hours" gorm:"column:cpd_hours"`
	CompletedOn    time.Time  `json:"completed_on"`
	ExpiresOn      *time.Time `json:"expires_on,omitempty"`
	IssuedBy       *int64     `json:"-"`
	IssuedAt       time.Time  `json:"issued_at"`
}

// TableName is the certificate table.
func (Certificate) TableName() string { return "certificates" }

// Certificate states as verification and learning records show them.
const (
	CertificateValid    = "valid"
	CertificateExpired  = "expired"
	CertificateNotFound = "not_found"
)

// StatusOn is valid or expired on the UK date of now.
func (c Certificate) StatusOn(now time.Time) string {
	if c.ExpiresOn != nil && !trainingDayStart(now).Before(*c.ExpiresOn) {
		return CertificateExpired
	}
	return CertificateValid
}

// DueWithin reports whether the certificate expires within days of now (or has expired).
func (c Certificate) DueWithin(now time.Time, days int) bool {
	return c.ExpiresOn != nil && c.ExpiresOn.Before(trainingDayStart(now).AddDate(0, 0, days+1))
}

func certificateLink(id int64) string { return "/certificates/" + core.IDString(id) }

// verificationAlphabet is Crockford's base 32: no I, L, O or U to misread.
const verificationAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newVerificationCode is 80 random bits as XXXX-XXXX-XXXX-XXXX: not guessable, easy to type.
func newVerificationCode() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	var sb strings.Builder
	for i, v := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(verificationAlphabet[v&31])
	}
	return sb.String()
}

// NormaliseVerificationCode reads a code as people type it: any case, spaces or hyphens, O for
// 0 and I or L for 1. It returns "" when it cannot be a code.
func NormaliseVerificationCode(s string) string {
	var sb strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '-':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if !strings.ContainsRune(verificationAlphabet, r) {
			return ""
		}
		sb.WriteRune(r)
	}
	c := sb.String()
	if len(c) != 16 {
		return ""
	}
	return c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16]
}

// issue writes the certificate of a completed enrolment.
func (t *Service) issue(ctx context.Context, who core.Actor, e Enrolment, u core.User, c Course, s CourseSession, completedOn time.Time) (Certificate, error) {
	cert := Certificate{Code: newVerificationCode(), EnrolmentID: e.ID, UserID: e.UserID, OrganisationID: e.OrganisationID, CourseID: c.ID,
		SessionID: s.ID, LearnerName: u.Name, CourseCode: c.Code, CourseTitle: c.Title, CPDHours: c.CPDHours, CompletedOn: completedOn,
		IssuedBy: &who.UserID, IssuedAt: t.d.Now()}
	if c.ValidityMonths > 0 {
		exp := completedOn.In(core.London).AddDate(0, c.ValidityMonths, 0)
		exp = time.Date(exp.Year(), exp.Month(), exp.Day(), 0, 0, 0, 0, core.London).UTC()
		cert.ExpiresOn = &exp
	}
	cert.Number = "PENDING-" + cert.Code // unique until the id is known
	db := t.d.DB.Conn(ctx)
	if err := db.Create(&cert).Error; err != nil {
		return cert, core.DBError(err)
	}
	cert.Number = fmt.Sprintf("MSPC-%d-%06d", completedOn.In(core.London).Year(), cert.ID)
	if err := db.Model(&cert).Update("number", cert.Number).Error; err != nil {
		return cert, core.DBError(err)
	}
	return cert, t.audit.Record(ctx, &who, core.Event{Action: "certificate.issue", ObjectType: "certificate", ObjectID: core.IDString(cert.ID), Outcome: core.OutcomeSuccess,
		Details: map[string]string{"number": cert.Number, "learner": core.IDString(u.ID), "course": c.Code}})
}

// GetCertificate returns a certificate the actor may see: their own, or (supervisors) one of
// their organisation's people. Errors: ENOTFOUND.
func (t *Service) GetCertificate(ctx context.Context, who core.Actor, id int64) (CertificateLine, error) {
	c, err := core.TakeRow[Certificate](ctx, t.d.DB, id, false, "Certificate not found")
	if err != nil {
		return CertificateLine{}, err
	}
	if err := core.CanSee(ctx, t.d.Authz, who, policies.ActRead, core.PersonalObject("certificate", c.OrganisationID, c.UserID, who), "Certificate"); err != nil {
		return CertificateLine{}, err
	}
	var newer int64
	if err := t.d.DB.Conn(ctx).Model(&Certificate{}).Where("user_id = ? AND course_id = ? AND id > ?", c.UserID, c.CourseID, c.ID).Count(&newer).Error; err != nil {
		return CertificateLine{}, core.DBError(err)
	}
	now := t.d.Now()
	line := CertificateLine{Certificate: c, Status: c.StatusOn(now), Latest: newer == 0}
	line.DueSoon = line.Latest && c.DueWithin(now, RenewalWindow)
	return line, nil
}

// CertificatePDF renders a certificate the actor may see as a PDF, recording the download.
// Errors: ENOTFOUND.
func (t *Service) CertificatePDF(ctx context.Context, who core.Actor, id int64) ([]byte, Certificate, error) {
	var out []byte
	var cert Certificate
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		line, err := t.GetCertificate(ctx, who, id)
		if err != nil {
			return err
		}
		cert = line.Certificate
		if out, err = cert.pdf(t.d.Config.PublicURL); err != nil {
			return core.Internal(err)
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "certificate.download", ObjectType: "certificate", ObjectID: core.IDString(cert.ID), Outcome: core.OutcomeSuccess})
	})
	return out, cert, err
}

// VerifyURL is the public page that checks a certificate's code.
func VerifyURL(publicURL, code string) string {
	return strings.TrimRight(publicURL, "/") + "/certificates/verify/" + code
}

// pdf draws the certificate on one A4 landscape page in the PDF core fonts (no font file is
// embedded), uncompressed so that its text can be checked.
func (c Certificate) pdf(publicURL string) ([]byte, error) {
	p := fpdf.New("L", "mm", "A4", "")
	p.SetCompression(false)
	p.SetCatalogSort(true)                      // fonts and images in a fixed order, so the same certificate gives the same bytes
	tr := p.UnicodeTranslatorFromDescriptor("") // UTF-8 to the core fonts' Windows-1252
	p.SetTitle("Certificate "+c.Number, true)
	p.SetAuthor("MSP Hub", true)
	p.SetCreator("MSP Hub", true)
	p.SetCreationDate(c.IssuedAt)
	p.SetModificationDate(c.IssuedAt)
	p.SetMargins(20, 20, 20)
	p.SetAutoPageBreak(false, 0)
	p.AddPage()
	w, _ := p.GetPageSize()
	inner := w - 40
	p.SetLineWidth(1.2)
	p.Rect(10, 10, w-20, 190, "D")
	p.SetFont("Helvetica", "B", 12)
	p.SetY(22)
	p.CellFormat(inner, 8, tr("Modern slavery policing programme"), "", 1, "C", false, 0, "")
	p.SetFont("Helvetica", "B", 30)
	p.Ln(8)
	p.CellFormat(inner, 14, tr("Certificate of completion"), "", 1, "C", false, 0, "")
	p.SetFont("Helvetica", "", 14)
	p.Ln(6)
	p.CellFormat(inner, 8, tr("This certifies that"), "", 1, "C", false, 0, "")
	p.SetFont("Helvetica", "B", 22)
	p.CellFormat(inner, 14, tr(c.LearnerName), "", 1, "C", false, 0, "")
	p.SetFont("Helvetica", "", 14)
	p.CellFormat(inner, 8, tr("completed the course"), "", 1, "C", false, 0, "")
	p.SetFont("Helvetica", "B", 18)
	p.MultiCell(inner, 10, tr(c.CourseCode+" "+c.CourseTitle), "", "C", false)
	p.Ln(6)
	p.SetFont("Helvetica", "", 12)
	expires := "Does not expire"
	if c.ExpiresOn != nil {
		expires = c.ExpiresOn.In(core.London).Format("2 January 2006")
	}
	rows := [][2]string{
		{"Certificate number", c.Number},
		{"Date completed", c.CompletedOn.In(core.London).Format("2 January 2006")},
		{"CPD hours", strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", c.CPDHours), "0"), ".")},
		{"Expires", expires},
		{"Verify at", VerifyURL(publicURL, c.Code)},
	}
	for _, r := range rows {
		p.SetX(60)
		p.SetFont("Helvetica", "B", 12)
		p.CellFormat(50, 8, tr(r[0]), "", 0, "L", false, 0, "")
		p.SetFont("Helvetica", "", 12)
		p.CellFormat(inner-90, 8, tr(r[1]), "", 1, "L", false, 0, "")
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("render certificate %s: %w", c.Number, err)
	}
	return buf.Bytes(), nil
}

// Verification is all the public verification page says about a code: whether it is a valid
// certificate and, for one that exists, whose it is, for which course, when it was issued and
// when it expires, so that someone holding a doctored copy with a real code sees it does not
// match. Nothing else: no certificate number, organisation or hours.
type Verification struct {
	Status    string     `json:"status"` // valid, expired or not_found
	Holder    string     `json:"holder,omitempty"`
	Course    string     `json:"course,omitempty"` // code and title, as the certificate prints them
	IssuedOn  *time.Time `json:"issued_on,omitempty"`
	ExpiresOn *time.Time `json:"expires_on,omitempty"` // absent for a certificate that does not expire
}

// VerifyCertificate checks a certificate's public code, for anyone, signed in or not. Each
// check is recorded. The answer names the holder, the course and the dates, as the certificate
// itself does, and nothing more.
func (t *Service) VerifyCertificate(ctx context.Context, code string) (Verification, error) {
	v := Verification{Status: CertificateNotFound}
	norm := NormaliseVerificationCode(code)
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		outcome, id := core.OutcomeFailure, ""
		if norm != "" {
			var c Certificate
			err := t.d.DB.Conn(ctx).Take(&c, "code = ?", norm).Error
			switch {
			case err == nil:
				issued := c.IssuedAt.In(core.London)
				v = Verification{Status: c.StatusOn(t.d.Now()), Holder: c.LearnerName, Course: strings.TrimSpace(c.CourseCode + " " + c.CourseTitle), IssuedOn: &issued}
				if c.ExpiresOn != nil {
					expires := c.ExpiresOn.In(core.London)
					v.ExpiresOn = &expires
				}
				outcome, id = core.OutcomeSuccess, core.IDString(c.ID)
			case !errors.Is(err, gorm.ErrRecordNotFound):
				return core.DBError(err)
			}
		}
		return t.audit.Record(ctx, nil, core.Event{Action: "certificate.verify", ObjectType: "certificate", ObjectID: id, Outcome: outcome,
			Details: map[string]string{"status": v.Status}})
	})
	return v, err
}
