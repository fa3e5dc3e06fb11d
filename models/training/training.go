// Package training holds courses, sessions, enrolment with approvals and fair waiting lists,
// material, attendance, certificates, recertification reminders and learning records.
package training

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // UK time on machines without a zoneinfo database

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// Training holds the operations of training: courses, sessions, enrolment with approvals and
// waiting lists, material, the register, certificates, learning records and calendar feeds
// (DOMAIN.md §D). Its files are training*.go and enrolment*.go.
type Service struct {
	d     core.Deps
	audit *core.Audit
}

// Course states: a draft is seen only by its trainers until it is published.
const (
	CourseDraft     = "draft"
	CoursePublished = "published"
)

// CourseClassifications are what course material can carry (DOMAIN.md §C1: OFFICIAL and OFFICIAL-SENSITIVE).
func CourseClassifications() []string {
	return []string{policies.Official.String(), policies.OfficialSensitive.String()}
}

// Course is a course trainers run sessions of.
type Course struct {
	ID               int64      `json:"id"`
	Code             string     `json:"code"`
	Title            string     `json:"title"`
	Description      string     `json:"description"`
	OrganisationID   int64      `json:"organisation_id"`
	Status           string     `json:"status"`
	EligibleRoles    string     `json:"-" gorm:"column:eligible_roles"`
	EligibleKinds    string     `json:"-" gorm:"column:eligible_kinds"`
	ApprovalRequired bool       `json:"approval_required"`
	ApprovalDays     int        `json:"approval_days"`
	CPDHours         float64    `json:"cpd_hours" gorm:"column:cpd_hours"`
	ValidityMonths   int        `json:"validity_months"`
	Classification   string     `json:"classification"`
	CreatedBy        *int64     `json:"-"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	PublishedAt      *time.Time `json:"published_at,omitempty"`
}

// TableName is the course table.
func (Course) TableName() string { return "courses" }

// Roles are the roles a learner must hold one of; none means everyone.
func (c Course) Roles() []string { return trainingList(c.EligibleRoles) }

// Kinds are the organisation kinds a learner's organisation must be one of; none means any.
func (c Course) Kinds() []string { return trainingList(c.EligibleKinds) }

// Published reports whether the course is open to everyone.
func (c Course) Published() bool { return c.Status == CoursePublished }

// level is the classification of the course's material as the policy reads it.
func (c Course) level() policies.Level { return trainingLevel(c.Classification) }

func trainingLevel(s string) policies.Level {
	l, err := policies.ParseLevel(s)
	if err != nil {
		return policies.OfficialSensitive // an unknown marking is treated as the stricter one
	}
	return l
}

func trainingList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

type courseTrainer struct {
	CourseID int64
	UserID   int64
	AddedBy  *int64
	AddedAt  time.Time
}

func (courseTrainer) TableName() string { return "course_trainers" }

type coursePrerequisite struct {
	CourseID       int64
	PrerequisiteID int64
}

func (coursePrerequisite) TableName() string { return "course_prerequisites" }

// CourseRef names a course briefly: prerequisites, certificates.
type CourseRef struct {
	ID    int64  `json:"id"`
	Code  string `json:"code"`
	Title string `json:"title"`
}

// PersonRef names a person briefly: trainers, learners.
type PersonRef struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

// CourseView is a course with what its page shows beside it, as the actor may see it.
type CourseView struct {
	Course
	EligibleRoleList []string    `json:"eligible_roles"`
	EligibleKindList []string    `json:"eligible_organisation_kinds"`
	Prerequisites    []CourseRef `json:"prerequisites"`
	Trainers         []PersonRef `json:"trainers"`
	// For the actor: do they teach it, and may they book it (and if not, why not).
	Teaches     bool   `json:"teaches"`
	Eligible    bool   `json:"eligible"`
	NotEligible string `json:"not_eligible_reason,omitempty"`
}

// CourseInput is what a trainer gives to create or change a course.
type CourseInput struct {
	Code             string   `json:"code"`
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	EligibleRoles    []string `json:"eligible_roles"`
	EligibleKinds    []string `json:"eligible_organisation_kinds"`
	Prerequisites    []int64  `json:"prerequisites"`
	ApprovalRequired bool     `json:"approval_required"`
	ApprovalDays     int      `json:"approval_days"`
	CPDHours         float64  `json:"cpd_hours"`
	ValidityMonths   int      `json:"validity_months"`
	Classification   string   `json:"classification"`
}

var courseCodePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,19}$`)

// defaultApprovalDays is how long a supervisor has to decide a request unless the course says.
const defaultApprovalDays = 14

// Check reports every problem of the input without saving anything: the pages use it to list
// what else is wrong alongside what could not be read.
func (in CourseInput) Check() error {
	in.EligibleRoles, in.EligibleKinds = slices.Clone(in.EligibleRoles), slices.Clone(in.EligibleKinds)
	return in.validate()
}

func (in *CourseInput) validate() error {
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Title = strings.TrimSpace(in.Title)
	in.Description = strings.TrimSpace(in.Description)
	if in.Classification == "" {
		in.Classification = policies.Official.String()
	}
	in.Classification = strings.ToUpper(strings.TrimSpace(in.Classification))
	if in.ApprovalDays == 0 {
		in.ApprovalDays = defaultApprovalDays
	}
	var p core.Problems
	if in.Code == "" {
		p.Add("code", "Enter a course code, like MSI-4D")
	}
	if !courseCodePattern.MatchString(in.Code) {
		p.Add("code", "Course code must be 2 to 20 letters, digits or hyphens, like MSI-4D")
	}
	if in.Title == "" {
		p.Add("title", "Enter the course title")
	}
	if len(in.Title) > 200 {
		p.Add("title", "Title must be 200 characters or fewer")
	}
	if len(in.Description) > 10000 {
		p.Add("description", "Description must be 10,000 characters or fewer")
	}
	if in.ApprovalDays < 1 || in.ApprovalDays > 90 {
		p.Add("approval_days", "Days to decide a request must be between 1 and 90")
	}
	if math.IsNaN(in.CPDHours) || in.CPDHours < 0 || in.CPDHours > 999 {
		p.Add("cpd_hours", "CPD hours must be a number from 0 to 999")
	}
	if math.Abs(in.CPDHours*10-math.Round(in.CPDHours*10)) > 1e-9 {
		p.Add("cpd_hours", "CPD hours can have at most one decimal place, like 7.5")
	}
	if in.ValidityMonths < 0 || in.ValidityMonths > 120 {
		p.Add("validity_months", "Certificate validity must be from 0 (does not expire) to 120 months")
	}
	if !slices.Contains(CourseClassifications(), in.Classification) {
		p.Add("classification", "Select the classification of the course material")
	}
	if len(in.Prerequisites) > 20 {
		p.Add("prerequisites", "A course can have at most 20 prerequisites")
	}
	for _, r := range in.EligibleRoles {
		if !policies.IsRole(r) {
			p.Add("eligible_roles", "Unknown role: "+r)
		}
	}
	for _, k := range in.EligibleKinds {
		if !slices.Contains(core.OrgKinds(), core.OrgKind(k)) {
			p.Add("eligible_organisation_kinds", "Unknown kind of organisation: "+k)
		}
	}
	if err := p.Err(); err != nil {
		return err
	}
	in.EligibleRoles = trainingOrdered(in.EligibleRoles, policies.Roles())
	kinds := make([]string, 0, len(core.OrgKinds()))
	for _, k := range core.OrgKinds() {
		kinds = append(kinds, string(k))
	}
	in.EligibleKinds = trainingOrdered(in.EligibleKinds, kinds)
	in.CPDHours = math.Round(in.CPDHours*10) / 10
	slices.Sort(in.Prerequisites)
	in.Prerequisites = slices.Compact(in.Prerequisites)
	return nil
}

// trainingOrdered keeps the members of picked that are in all, once each, in the order of all.
func trainingOrdered(picked, all []string) []string {
	out := []string{}
	for _, v := range all {
		if slices.Contains(picked, v) {
			out = append(out, v)
		}
	}
	return out
}

// courseObject is the course as the policy sees it from the actor's point of view: do they
// teach it, do they hold a place on one of its sessions.
func (t *Service) courseObject(ctx context.Context, who core.Actor, c Course) (policies.Object, error) {
	r, err := t.relations(ctx, who.UserID, c.ID, 0)
	return courseObjectOf(c, r), err
}

// courseObjectOf is the course as the policy sees it, given the actor's relations to it.
func courseObjectOf(c Course, r trainingRelations) policies.Object {
	obj := policies.Object{Type: "course", Org: policies.OrgDomain(c.OrganisationID)}
	if r.teachesCourse {
		obj.Rel |= policies.RelTrainer
	}
	if r.placeOnCourse {
		obj.Rel |= policies.RelEnrolled
	}
	return obj
}

// trainingRelations are the relationship facts between a person and a course (and one of its
// sessions), read in one query.
type trainingRelations struct {
	teachesCourse  bool // a trainer of the course
	teachesSession bool // named as a trainer of the session
	placeOnCourse  bool // holds (or held) a place on a session of the course
	placeOnSession bool // holds (or held) a place on the session
}

func (t *Service) relations(ctx context.Context, userID, courseID, sessionID int64) (trainingRelations, error) {
	var row struct{ A, B, C, D bool }
	places := placeHolding()
	err := t.d.DB.Conn(ctx).Raw(`SELECT
		EXISTS (SELECT 1 FROM course_trainers WHERE course_id = ? AND user_id = ?) AS a,
		EXISTS (SELECT 1 FROM session_trainers WHERE session_id = ? AND user_id = ?) AS b,
		EXISTS (SELECT 1 FROM enrolments WHERE course_id = ? AND user_id = ? AND state IN ?) AS c,
		EXISTS (SELECT 1 FROM enrolments WHERE session_id = ? AND user_id = ? AND state IN ?) AS d`,
		courseID, userID, sessionID, userID, courseID, userID, places, sessionID, userID, places).Scan(&row).Error
	return trainingRelations{teachesCourse: row.A, teachesSession: row.B, placeOnCourse: row.C, placeOnSession: row.D}, core.DBError(err)
}

func (t *Service) teaches(ctx context.Context, userID, courseID int64) (bool, error) {
	var n int64
	err := t.d.DB.Conn(ctx).Model(&courseTrainer{}).Where("course_id = ? AND user_id = ?", courseID, userID).Count(&n).Error
	return n > 0, core.DBError(err)
}

// loadCourse reads a course the actor may see: a draft only by its trainers. Anything else is
// not found.
func (t *Service) loadCourse(ctx context.Context, who core.Actor, id int64) (Course, policies.Object, error) {
	var c Course
	err := t.d.DB.Conn(ctx).Take(&c, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Course{}, policies.Object{}, core.NotFound("Course not found")
	}
	if err != nil {
		return Course{}, policies.Object{}, core.DBError(err)
	}
	obj, err := t.courseObject(ctx, who, c)
	if err != nil {
		return Course{}, obj, err
	}
	if err := t.seeCourse(ctx, who, c, obj); err != nil {
		return Course{}, obj, err
	}
	return c, obj, nil
}

// seeCourse refuses, as not found, a course the actor may not see: a draft is seen only by its
// trainers.
func (t *Service) seeCourse(ctx context.Context, who core.Actor, c Course, obj policies.Object) error {
	act := policies.ActRead
	if !c.Published() {
		act = policies.ActReadDraft
	}
	return core.CanSee(ctx, t.d.Authz, who, act, obj, "Course")
}

// GetCourse returns a course with its prerequisites, trainers and whether the actor may book
// it. Anyone signed in sees a published course; a draft only its trainers. Errors: ENOTFOUND.
func (t *Service) GetCourse(ctx context.Context, who core.Actor, id int64) (CourseView, error) {
	c, obj, err := t.loadCourse(ctx, who, id)
	if err != nil {
		return CourseView{}, err
	}
	return t.courseView(ctx, who, c, obj)
}

func (t *Service) courseView(ctx context.Context, who core.Actor, c Course, obj policies.Object) (CourseView, error) {
	return t.viewOf(ctx, who, c, obj, nil)
}

// viewOf builds the course's view. created is the input of a course the actor has just created
// (nil for any other): its one trainer is the actor, and it has prerequisites only if the input
// named some, so neither needs reading back.
func (t *Service) viewOf(ctx context.Context, who core.Actor, c Course, obj policies.Object, created *CourseInput) (CourseView, error) {
	v := CourseView{Course: c, EligibleRoleList: c.Roles(), EligibleKindList: c.Kinds(), Teaches: obj.Has(policies.RelTrainer),
		Prerequisites: []CourseRef{}, Trainers: []PersonRef{}}
	if v.EligibleRoleList == nil {
		v.EligibleRoleList = []string{}
	}
	if v.EligibleKindList == nil {
		v.EligibleKindList = []string{}
	}
	db := t.d.DB.Conn(ctx)
	if created == nil || len(created.Prerequisites) > 0 {
		if err := db.Table("courses").Select("courses.id, courses.code, courses.title").
			Joins("JOIN course_prerequisites p ON p.prerequisite_id = courses.id").Where("p.course_id = ?", c.ID).
			Order("courses.code").Scan(&v.Prerequisites).Error; err != nil {
			return v, core.DBError(err)
		}
	}
	if created == nil {
		if err := db.Table("users").Select("users.id, users.name").Joins("JOIN course_trainers ct ON ct.user_id = users.id").
			Where("ct.course_id = ?", c.ID).Order("users.name, users.id").Scan(&v.Trainers).Error; err != nil {
			return v, core.DBError(err)
		}
	} else {
		v.Trainers = append(v.Trainers, PersonRef{ID: who.UserID, Name: who.Name})
	}
	// The actor's kind of organisation matters only to a course open to some kinds.
	var org core.Organisation
	if len(c.Kinds()) > 0 {
		if err := db.Take(&org, who.OrgID).Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return v, core.DBError(err)
		}
	}
	if reason := notEligible(c, who.Roles, org.Kind); reason != "" {
		v.NotEligible = reason
	} else {
		v.Eligible = true
	}
	return v, nil
}

// notEligible says why a person with roles, in an organisation of kind, may not take the course;
// "" when they may. Prerequisites are checked against a session's date, elsewhere.
func notEligible(c Course, roles []string, kind core.OrgKind) string {
	if want := c.Roles(); len(want) > 0 && !slices.ContainsFunc(roles, func(r string) bool { return slices.Contains(want, r) }) {
		labels := make([]string, len(want))
		for i, r := range want {
			labels[i] = strings.ReplaceAll(r, "_", " ")
		}
		return "This course is only for people with the role " + trainingOrList(labels) + "."
	}
	if want := c.Kinds(); len(want) > 0 && !slices.Contains(want, string(kind)) {
		labels := make([]string, len(want))
		for i, k := range want {
			labels[i] = strings.ToLower(core.OrgKind(k).Label())
		}
		return "This course is only for people in a " + trainingOrList(labels) + "."
	}
	return ""
}

func trainingOrList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// MayCreateCourse says whether the actor may create courses (what the pages offer).
// Errors: EFORBIDDEN.
func (t *Service) MayCreateCourse(ctx context.Context, who core.Actor) error {
	return core.Can(ctx, t.d.Authz, who, policies.ActCreate, policies.Object{Type: "course", Org: policies.OrgDomain(who.OrgID)}, "Only trainers can create courses.")
}

// CreateCourse creates a draft course taught by the actor. Trainers may. Errors: EFORBIDDEN,
// EINVALID, ECONFLICT (the code is taken).
func (t *Service) CreateCourse(ctx context.Context, who core.Actor, in CourseInput) (CourseView, error) {
	// Neither the decision nor the checks read the database: they come before the transaction,
	// which on SQLite holds the one write lock every other writer waits for.
	if err := t.MayCreateCourse(ctx, who); err != nil {
		return CourseView{}, err
	}
	if err := in.validate(); err != nil {
		return CourseView{}, err
	}
	var c Course
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Courses)
		now := t.d.Now()
		c = Course{Code: in.Code, Title: in.Title, Description: in.Description, OrganisationID: who.OrgID, Status: CourseDraft,
			EligibleRoles: strings.Join(in.EligibleRoles, ","), EligibleKinds: strings.Join(in.EligibleKinds, ","),
			ApprovalRequired: in.ApprovalRequired, ApprovalDays: in.ApprovalDays, CPDHours: in.CPDHours, ValidityMonths: in.ValidityMonths,
			Classification: in.Classification, CreatedBy: &who.UserID, CreatedAt: now, UpdatedAt: now}
		// The unique index on code is the check: no query before the insert, which on SQLite
		// would hold the one write lock longer.
		if err := t.d.DB.Conn(ctx).Create(&c).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return codeTaken(in.Code)
			}
			return core.DBError(err)
		}
		// Nothing below reads the course's trainers back: on PostgreSQL the row goes with the COMMIT.
		if err := t.d.DB.ExecAtCommit(ctx, "INSERT INTO course_trainers (course_id, user_id, added_by, added_at) VALUES (?, ?, ?, ?)",
			c.ID, who.UserID, who.UserID, now); err != nil {
			return core.DBError(err)
		}
		if len(in.Prerequisites) > 0 { // a new course has none to replace
			if err := t.setPrerequisites(ctx, who, c.ID, in.Prerequisites); err != nil {
				return err
			}
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "course.create", ObjectType: "course", ObjectID: core.IDString(c.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"code": c.Code, "title": c.Title}})
	})
	if err != nil {
		return CourseView{}, err
	}
	// The actor has just made the course and is its one trainer: what GetCourse would read
	// back (the row, who teaches it, the draft check) is known.
	return t.viewOf(ctx, who, c, policies.Object{Type: "course", Org: policies.OrgDomain(c.OrganisationID), Rel: policies.RelTrainer}, &in)
}

func (t *Service) codeFree(ctx context.Context, code string, except int64) error {
	var n int64
	if err := t.d.DB.Conn(ctx).Model(&Course{}).Where("code = ? AND id <> ?", code, except).Count(&n).Error; err != nil {
		return core.DBError(err)
	}
	if n > 0 {
		return codeTaken(code)
	}
	return nil
}

func codeTaken(code string) error {
	return &core.Error{Code: core.ECONFLICT, Field: "code", Message: "Another course already uses the code " + code}
}

// setPrerequisites makes ids the prerequisites of course id: each a course the actor can see,
// never the course itself nor one that needs it (directly or through others).
func (t *Service) setPrerequisites(ctx context.Context, who core.Actor, id int64, ids []int64) error {
	for _, p := range ids {
		if p == id {
			return core.Invalid("prerequisites", "A course cannot be its own prerequisite")
		}
		if _, _, err := t.loadCourse(ctx, who, p); err != nil {
			if core.ErrorCode(err) == core.ENOTFOUND {
				return core.Invalid("prerequisites", "Select prerequisites from the listed courses")
			}
			return err
		}
		// A cycle: the prerequisite needs this course, directly or through others.
		needs, err := t.needs(ctx, p, id)
		if err != nil {
			return err
		}
		if needs {
			return core.Invalid("prerequisites", "A prerequisite cannot itself require this course")
		}
	}
	rows := make([]coursePrerequisite, 0, len(ids))
	for _, p := range ids {
		rows = append(rows, coursePrerequisite{CourseID: id, PrerequisiteID: p})
	}
	return core.ReplaceRows(ctx, t.d.DB, "course_id", id, rows)
}

// needs reports whether course from requires course target, directly or transitively.
func (t *Service) needs(ctx context.Context, from, target int64) (bool, error) {
	seen := map[int64]bool{from: true}
	queue := []int64{from}
	for len(queue) > 0 {
		var next []int64
		if err := t.d.DB.Conn(ctx).Model(&coursePrerequisite{}).Where("course_id IN ?", queue).Pluck("prerequisite_id", &next).Error; err != nil {
			return false, core.DBError(err)
		}
		queue = nil
		for _, n := range next {
			if n == target {
				return true, nil
			}
			if !seen[n] {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	return false, nil
}

// UpdateCourse changes a course. Its trainers may. Errors: ENOTFOUND, EFORBIDDEN, EINVALID,
// ECONFLICT.
func (t *Service) UpdateCourse(ctx context.Context, who core.Actor, id int64, in CourseInput) (CourseView, error) {
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Courses)
		c, obj, err := t.loadCourse(ctx, who, id)
		if err != nil {
			return err
		}
		if err := core.Can(ctx, t.d.Authz, who, policies.ActUpdate, obj, "Only the trainers of this course can change it."); err != nil {
			return err
		}
		if err := in.validate(); err != nil {
			return err
		}
		if err := t.codeFree(ctx, in.Code, c.ID); err != nil {
			return err
		}
		changed := map[string]string{}
		note := func(field string, differs bool) {
			if differs {
				changed[field] = "changed"
			}
		}
		note("code", c.Code != in.Code)
		note("title", c.Title != in.Title)
		note("description", c.Description != in.Description)
		note("eligibility", c.EligibleRoles != strings.Join(in.EligibleRoles, ",") || c.EligibleKinds != strings.Join(in.EligibleKinds, ","))
		note("approval", c.ApprovalRequired != in.ApprovalRequired || c.ApprovalDays != in.ApprovalDays)
		note("cpd_hours", c.CPDHours != in.CPDHours)
		note("validity_months", c.ValidityMonths != in.ValidityMonths)
		if c.Classification != in.Classification {
			changed["classification"] = c.Classification + " → " + in.Classification
		}
		c.Code, c.Title, c.Description = in.Code, in.Title, in.Description
		c.EligibleRoles, c.EligibleKinds = strings.Join(in.EligibleRoles, ","), strings.Join(in.EligibleKinds, ",")
		c.ApprovalRequired, c.ApprovalDays, c.CPDHours, c.ValidityMonths, c.Classification = in.ApprovalRequired, in.ApprovalDays, in.CPDHours, in.ValidityMonths, in.Classification
		c.UpdatedAt = t.d.Now()
		// Only the columns the form changes: the course was read without a lock, and a status
		// that another transaction changed meanwhile (published, withdrawn) must not be
		// written back as it was.
		if err := t.d.DB.Conn(ctx).Model(&c).Select("Code", "Title", "Description", "EligibleRoles", "EligibleKinds", "ApprovalRequired",
			"ApprovalDays", "CPDHours", "ValidityMonths", "Classification", "UpdatedAt").Updates(&c).Error; err != nil {
			return core.DBError(err)
		}
		var had []int64
		if err := t.d.DB.Conn(ctx).Model(&coursePrerequisite{}).Where("course_id = ?", c.ID).Order("prerequisite_id").Pluck("prerequisite_id", &had).Error; err != nil {
			return core.DBError(err)
		}
		if !slices.Equal(had, in.Prerequisites) {
			changed["prerequisites"] = "changed"
			if err := t.setPrerequisites(ctx, who, c.ID, in.Prerequisites); err != nil {
				return err
			}
		}
		if len(changed) == 0 {
			return nil
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "course.update", ObjectType: "course", ObjectID: core.IDString(c.ID), Outcome: core.OutcomeSuccess, Details: changed})
	})
	if err != nil {
		return CourseView{}, err
	}
	return t.GetCourse(ctx, who, id)
}

// MayUpdateCourse says whether the actor may change the course (what the edit page offers).
// Errors: ENOTFOUND, EFORBIDDEN.
func (t *Service) MayUpdateCourse(ctx context.Context, who core.Actor, id int64) (CourseView, error) {
	c, obj, err := t.loadCourse(ctx, who, id)
	if err != nil {
		return CourseView{}, err
	}
	if err := core.Can(ctx, t.d.Authz, who, policies.ActUpdate, obj, "Only the trainers of this course can change it."); err != nil {
		return CourseView{}, err
	}
	return t.courseView(ctx, who, c, obj)
}

// PublishCourse opens a draft course to everyone signed in. Its trainers may. Errors:
// ENOTFOUND, EFORBIDDEN, ECONFLICT (already published).
func (t *Service) PublishCourse(ctx context.Context, who core.Actor, id int64) (CourseView, error) {
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Courses)
		c, obj, err := t.loadCourse(ctx, who, id)
		if err != nil {
			return err
		}
		if err := core.Can(ctx, t.d.Authz, who, policies.ActPublish, obj, "Only the trainers of this course can publish it."); err != nil {
			return err
		}
		if c.Published() {
			return core.Conflict("This course is already published.")
		}
		now := t.d.Now()
		if err := t.d.DB.Conn(ctx).Model(&c).Updates(map[string]any{"status": CoursePublished, "published_at": now, "updated_at": now}).Error; err != nil {
			return core.DBError(err)
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "course.publish", ObjectType: "course", ObjectID: core.IDString(c.ID), Outcome: core.OutcomeSuccess})
	})
	if err != nil {
		return CourseView{}, err
	}
	return t.GetCourse(ctx, who, id)
}

// AddTrainer makes the person with email, who must hold the trainer role, a trainer of the
// course, and tells them. The course's trainers may. Errors: ENOTFOUND, EFORBIDDEN, EINVALID
// (no trainer has that address), ECONFLICT (already a trainer).
func (t *Service) AddTrainer(ctx context.Context, who core.Actor, courseID int64, email string) (CourseView, error) {
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Courses)
		c, obj, err := t.loadCourse(ctx, who, courseID)
		if err != nil {
			return err
		}
		if err := core.Can(ctx, t.d.Authz, who, policies.ActUpdate, obj, "Only the trainers of this course can add trainers."); err != nil {
			return err
		}
		addr, err := core.NormaliseEmail(email)
		if err != nil {
			return err
		}
		var u core.User
		err = t.d.DB.Conn(ctx).Take(&u, "email = ? AND disabled_at IS NULL", addr).Error
		if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && !slices.Contains(t.rolesOf(u), policies.RoleTrainer)) {
			// The same answer whether or not the address exists: only trainers are named.
			return core.Invalid("email", "No trainer has that email address. Ask their organisation administrator to give them the trainer role.")
		}
		if err != nil {
			return core.DBError(err)
		}
		already, err := t.teaches(ctx, u.ID, c.ID)
		if err != nil {
			return err
		}
		if already {
			return &core.Error{Code: core.ECONFLICT, Field: "email", Message: u.Name + " is already a trainer of this course"}
		}
		if err := t.d.DB.Conn(ctx).Create(&courseTrainer{CourseID: c.ID, UserID: u.ID, AddedBy: &who.UserID, AddedAt: t.d.Now()}).Error; err != nil {
			return core.DBError(err)
		}
		if err := t.notify(ctx, c, u.ID, core.NoticeTrainer, fmt.Sprintf("You are now a trainer of %s %s.", c.Code, c.Title), courseLink(c.ID)); err != nil {
			return err
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "course.add_trainer", ObjectType: "course", ObjectID: core.IDString(c.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"trainer": core.IDString(u.ID)}})
	})
	if err != nil {
		return CourseView{}, err
	}
	return t.GetCourse(ctx, who, courseID)
}

// rolesOf are the roles a user holds in their organisation.
func (t *Service) rolesOf(u core.User) []string {
	return t.d.Authz.RolesIn(policies.UserPrincipal(u.ID), policies.OrgDomain(u.OrganisationID))
}

func courseLink(id int64) string  { return "/courses/" + core.IDString(id) }
func sessionLink(id int64) string { return "/sessions/" + core.IDString(id) }

// CourseFilter narrows the catalogue.
type CourseFilter struct {
	Query     string // part of the code, title or description
	ForMe     bool   // only courses the actor is eligible for
	Available bool   // only courses with a session open for booking that has a free place
	Teaching  bool   // only courses the actor teaches (drafts included)
	Count     bool   // count every course the filter matches (Total), as pages show it
}

// CourseSummary is one course of the catalogue, with its next bookable session.
type CourseSummary struct {
	Course
	Sessions    int        `json:"open_sessions"` // sessions still open for booking
	FreePlaces  int        `json:"free_places"`   // free places on those sessions
	NextStartAt *time.Time `json:"next_session_starts_at,omitempty"`
}

// CoursePage is one page of the catalogue in title order, with the cursor of the next page.
type CoursePage struct {
	Courses []CourseSummary `json:"courses"`
	Next    string          `json:"next,omitempty"`
	Prev    string          `json:"-"`
	Total   int64           `json:"-"` // with CourseFilter.Count
	// What the actor may do with the catalogue: create (a course).
	Actions core.Actions `json:"actions"`
}

// ListCourses returns the catalogue the actor may see, in title order: published courses, and
// the drafts of courses they teach; the same rule as loadCourse. Errors: EINVALID (bad cursor).
func (t *Service) ListCourses(ctx context.Context, who core.Actor, f CourseFilter, after string, limit int) (CoursePage, error) {
	if err := t.MayReadCatalogue(ctx, who); err != nil {
		return CoursePage{}, err
	}
	limit = core.PageLimit(limit, 100, 20)
	db := t.d.DB.Conn(ctx)
	q := db.Model(&Course{})
	// Drafts are read_draft: the trainers of the course. Ask the policy whether the actor's roles
	// allow that at all, then limit to the courses they teach.
	draftsOK := t.d.Authz.Can(ctx, who.Subject(), policies.ActReadDraft, policies.Object{Type: "course", Rel: policies.RelTrainer}) == nil
	teaching := "EXISTS (SELECT 1 FROM course_trainers ct WHERE ct.course_id = courses.id AND ct.user_id = ?)"
	switch {
	case f.Teaching && draftsOK:
		q = q.Where(teaching, who.UserID)
	case f.Teaching:
		q = q.Where("status = ?", CoursePublished).Where(teaching, who.UserID)
	case draftsOK:
		q = q.Where("(status = ? OR "+teaching+")", CoursePublished, who.UserID)
	default:
		q = q.Where("status = ?", CoursePublished)
	}
	if s := strings.ToLower(strings.TrimSpace(f.Query)); s != "" {
		if len(s) > 200 {
			return CoursePage{}, core.Invalid("q", "Search terms must be 200 characters or fewer")
		}
		like := core.LikeContaining(s)
		q = q.Where(`(LOWER(code) LIKE ? ESCAPE '\' OR LOWER(title) LIKE ? ESCAPE '\' OR LOWER(description) LIKE ? ESCAPE '\')`, like, like, like)
	}
	if f.ForMe {
		var org core.Organisation
		if err := db.Take(&org, who.OrgID).Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return CoursePage{}, core.DBError(err)
		}
		roleClause, args := "eligible_roles = ''", []any{}
		for _, r := range who.Roles {
			roleClause += " OR (',' || eligible_roles || ',') LIKE ?"
			args = append(args, "%,"+r+",%")
		}
		q = q.Where("("+roleClause+")", args...).Where("(eligible_kinds = '' OR (',' || eligible_kinds || ',') LIKE ?)", "%,"+string(org.Kind)+",%")
	}
	now := t.d.Now()
	if f.Available {
		q = q.Where(`EXISTS (SELECT 1 FROM course_sessions s WHERE s.course_id = courses.id AND s.status = ? AND s.booking_closes_at > ? AND s.seats_taken < s.capacity)`,
			SessionScheduled, now)
	}
	page := CoursePage{Courses: []CourseSummary{}, Actions: core.Actions{Create: t.MayCreateCourse(ctx, who) == nil}}
	if f.Count {
		if err := q.Session(&gorm.Session{}).Count(&page.Total).Error; err != nil {
			return CoursePage{}, core.DBError(err)
		}
	}
	q, backward, err := core.Keyset(q, "title", "id", false, after, func(k string) (any, error) { return k, nil })
	if err != nil {
		return CoursePage{}, err
	}
	var courses []Course
	if err := q.Limit(limit + 1).Find(&courses).Error; err != nil {
		return CoursePage{}, core.DBError(err)
	}
	courses, page.Next, page.Prev = core.CutPages(courses, limit, backward, after != "", func(c Course) string { return core.EncodeCursor(c.Title, c.ID) })
	if len(courses) == 0 {
		return page, nil
	}
	ids := core.IDsOf(courses, func(c Course) int64 { return c.ID })
	var open []struct {
		CourseID int64
		N        int
		Free     int
		First    string // MIN of a timestamp: read as text, since SQLite returns it as one
	}
	if err := db.Table("course_sessions").Select("course_id, COUNT(*) AS n, SUM(capacity - seats_taken) AS free, MIN(starts_at) AS first").
		Where("course_id IN ? AND status = ? AND booking_closes_at > ?", ids, SessionScheduled, now).
		Group("course_id").Scan(&open).Error; err != nil {
		return CoursePage{}, core.DBError(err)
	}
	byCourse := map[int64]int{}
	for i, o := range open {
		byCourse[o.CourseID] = i
	}
	for _, c := range courses {
		s := CourseSummary{Course: c}
		if i, ok := byCourse[c.ID]; ok {
			s.Sessions, s.FreePlaces = open[i].N, open[i].Free
			if ts, ok := trainingDBTime(open[i].First); ok {
				s.NextStartAt = &ts
			}
		}
		page.Courses = append(page.Courses, s)
	}
	return page, nil
}

// trainingDBTime reads a timestamp an aggregate returned as text: SQLite's stored form or
// PostgreSQL's text output.
func trainingDBTime(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999-07", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// MayReadCatalogue says whether the actor may see the course catalogue at all, without reading
// it. Errors: EFORBIDDEN.
func (t *Service) MayReadCatalogue(ctx context.Context, who core.Actor) error {
	return core.Can(ctx, t.d.Authz, who, policies.ActRead, policies.Object{Type: "course"}, "You cannot see the course catalogue.")
}

// CourseChoices lists the published courses (code and title) the actor may pick as
// prerequisites, in code order.
func (t *Service) CourseChoices(ctx context.Context, who core.Actor) ([]CourseRef, error) {
	if err := t.MayReadCatalogue(ctx, who); err != nil {
		return nil, err
	}
	var out []CourseRef
	err := t.d.DB.Conn(ctx).Model(&Course{}).Select("id, code, title").Where("status = ?", CoursePublished).Order("code").Scan(&out).Error
	return out, core.DBError(err)
}

// newTraining builds training's operations.
func New(d core.Deps, audit *core.Audit) *Service { return &Service{d: d, audit: audit} }

// notify tells userID of a change about course c. Its email may name the course and quote the
// text only when the course is marked OFFICIAL: the topic is stored with the notification now.
func (t *Service) notify(ctx context.Context, c Course, userID int64, kind, text, link string) error {
	topic := ""
	if c.Classification == policies.Official.String() {
		topic = c.Code + " " + c.Title
	}
	return core.NotifyAbout(ctx, t.d, userID, kind, text, link, topic)
}
