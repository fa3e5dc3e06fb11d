package frontend

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/frontend/govuk"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/training"
	"github.com/msptp/msphub/policies"
)

// The pages of training. Every page calls one models operation (plus what it needs to draw the
// page); buttons shown or hidden by role are conveniences only: models decides.

// trainingChrome is what every training page carries: the training sub navigation, and an
// alert when an action was refused (a booking rule, a decision too late).
type trainingChrome struct {
	Sub   govuk.SubNavigation
	Alert string
}

// trainingSub is the training area's sub navigation for the actor, current marking the page.
func (p *Pages) trainingSub(c *gin.Context, current string) govuk.SubNavigation {
	a := actor(c)
	reach := p.s.Reach(c.Request.Context(), a)
	items := []govuk.SubNavItem{{Text: "Courses", Href: "/courses"}, {Text: "My training", Href: "/my-training"}}
	if reach.Teaching {
		items = append(items, govuk.SubNavItem{Text: "Teaching", Href: "/teaching"})
	}
	if reach.Approvals {
		items = append(items, govuk.SubNavItem{Text: "Approvals", Href: "/approvals"})
	}
	if reach.StaffTraining {
		items = append(items, govuk.SubNavItem{Text: "Staff training", Href: "/staff-training"})
	}
	notes := "Notifications"
	if n, err := p.s.Notifications.Unread(c.Request.Context(), a); err == nil && n > 0 {
		notes = fmt.Sprintf("Notifications (%d unread)", n)
	}
	items = append(items, govuk.SubNavItem{Text: notes, Href: "/notifications"})
	for i := range items {
		items[i].Active = items[i].Href == current
	}
	return govuk.SubNavigation{Label: "Training", Items: items}
}

// refused shows err on a page as an alert when it is a refusal of the action (ECONFLICT: a
// booking rule, a decision that came too late), by calling show with the message; any other
// error gets its error page.
func refused(c *gin.Context, err error, show func(message string)) {
	if core.ErrorCode(err) == core.ECONFLICT {
		show(core.ErrorMessage(err))
		return
	}
	api.WriteError(c, err)
}

// dateFieldErrors points an error about a date at the first box of its date input, so the
// error summary leads to a field.
func dateFieldErrors(err error) error {
	var me *core.Error
	if !errors.As(err, &me) {
		return err
	}
	day := func(field string) string {
		switch field {
		case "starts_on", "booking_closes", "cancellation_cutoff":
			return field + "-day"
		}
		return field
	}
	out := *me
	out.Field = day(me.Field)
	out.Fields = nil
	for _, f := range me.Fields {
		out.Fields = append(out.Fields, core.FieldError{Field: day(f.Field), Message: f.Message})
	}
	return &out
}

// ----------------------------------------------------------------------------------- dates

func clock(t time.Time) string { return strings.ToLower(t.In(core.London).Format("3:04PM")) }

// dayLine describes one day: "Monday 2 March 2026, 9:30am to 4:30pm".
func dayLine(d training.SessionDay) string {
	return d.StartsAt.In(core.London).Format("Monday 2 January 2006") + ", " + clock(d.StartsAt) + " to " + clock(d.EndsAt)
}

// sessionWhen describes a session's days in a line: its first day and how many days.
func sessionWhen(days []training.SessionDay) string {
	switch len(days) {
	case 0:
		return ""
	case 1:
		return dayLine(days[0])
	}
	first, last := days[0].StartsAt.In(core.London), days[len(days)-1].StartsAt.In(core.London)
	return fmt.Sprintf("%s to %s (%d days)", first.Format("2 January 2006"), last.Format("2 January 2006"), len(days))
}

// sessionLine is a session as tables list it.
type sessionLine struct{ training.CourseSessionSummary }

// When is the session's days in a line.
func (s sessionLine) When() string { return sessionWhen(s.Days) }

func sessionLines(list []training.CourseSessionSummary) []sessionLine {
	out := make([]sessionLine, len(list))
	for i, s := range list {
		out[i] = sessionLine{s}
	}
	return out
}

// enrolmentLine is an enrolment as tables list it.
type enrolmentLine struct{ training.EnrolmentView }

// Label says where the booking stands.
func (e enrolmentLine) Label() string { return stateLabel(e.State, e.Position) }

// TagClass colours the state.
func (e enrolmentLine) TagClass() string { return stateTag(e.State) }

// When is the session's first day.
func (e enrolmentLine) When() string { return formatDateTime(e.SessionStartsAt) }

func enrolmentLines(list []training.EnrolmentView) []enrolmentLine {
	out := make([]enrolmentLine, len(list))
	for i, e := range list {
		out[i] = enrolmentLine{e}
	}
	return out
}

func stateLabel(state string, pos *int) string {
	switch state {
	case training.EnrolmentRequested:
		return "Waiting for approval"
	case training.EnrolmentEnrolled:
		return "Place booked"
	case training.EnrolmentWaitlisted:
		if pos != nil {
			return fmt.Sprintf("Waiting list: number %d", *pos)
		}
		return "Waiting list"
	case training.EnrolmentDeclined:
		return "Declined"
	case training.EnrolmentExpired:
		return "Request expired"
	case training.EnrolmentWithdrawn:
		return "Withdrawn"
	case training.EnrolmentCancelled:
		return "Cancelled"
	case training.EnrolmentCompleted:
		return "Completed"
	case training.EnrolmentNotCompleted:
		return "Not completed"
	}
	return state
}

func stateTag(state string) string {
	switch state {
	case training.EnrolmentEnrolled, training.EnrolmentCompleted:
		return "govuk-tag--green"
	case training.EnrolmentRequested, training.EnrolmentWaitlisted:
		return "govuk-tag--yellow"
	case training.EnrolmentDeclined, training.EnrolmentExpired, training.EnrolmentNotCompleted:
		return "govuk-tag--red"
	}
	return "govuk-tag--grey"
}

func hours(h float64) string {
	return strings.TrimSuffix(strings.TrimRight(strconv.FormatFloat(h, 'f', 1, 64), "0"), ".")
}

// ------------------------------------------------------------------------------- catalogue

type coursesView struct {
	trainingChrome
	Page     training.CoursePage
	Pager    pager
	Teaching bool
}

// Hours prints CPD hours.
func (coursesView) Hours(h float64) string { return hours(h) }

// Courses serves GET /courses: the catalogue, filtered, a page at a time.
func (p *Pages) Courses() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, a := c.Request.Context(), actor(c)
		q := c.Request.URL.Query()
		f := training.CourseFilter{Query: q.Get("q"), ForMe: q.Get("eligible") == "yes", Available: q.Get("available") == "yes", Count: true}
		page1, err := p.s.Training.ListCourses(ctx, a, f, q.Get("after"), 20)
		if err != nil {
			p.formFailed(c, err, "training_courses", page{Title: "Training courses", Form: q, Data: coursesView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/courses")}}}, "q")
			return
		}
		v := coursesView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/courses")}, Page: page1}
		v.Pager = newPager(c, len(page1.Courses), 20, page1.Next, page1.Prev, page1.Total, "courses")
		p.render(c, http.StatusOK, "training_courses", page{Title: "Training courses", Form: q, Data: v})
	}
}

// Teaching serves GET /teaching: the courses a trainer teaches (drafts too) and their sessions.
func (p *Pages) Teaching() gin.HandlerFunc {
	type view struct {
		trainingChrome
		Courses  training.CoursePage
		Sessions []sessionLine
	}
	return func(c *gin.Context) {
		ctx, a := c.Request.Context(), actor(c)
		sessions, err := p.s.Training.TeachingSessions(ctx, a)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		courses, err := p.s.Training.ListCourses(ctx, a, training.CourseFilter{Teaching: true}, "", 100)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "training_teaching", page{Title: "Your teaching", Data: view{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/teaching")},
			Courses: courses, Sessions: sessionLines(sessions)}})
	}
}

// ---------------------------------------------------------------------------------- course

type courseView struct {
	trainingChrome
	Course    training.CourseView
	Sessions  []sessionLine
	Materials []training.MaterialView
}

// Hours prints CPD hours.
func (courseView) Hours(h float64) string { return hours(h) }

// RoleNames lists the roles who may book, as people read them.
func (v courseView) RoleNames() string {
	if len(v.Course.EligibleRoleList) == 0 {
		return "Anyone"
	}
	names := make([]string, len(v.Course.EligibleRoleList))
	for i, r := range v.Course.EligibleRoleList {
		names[i] = roleLabel(r)
	}
	return strings.Join(names, ", ")
}

// KindNames lists the organisation kinds whose people may book.
func (v courseView) KindNames() string {
	if len(v.Course.EligibleKindList) == 0 {
		return "Any organisation"
	}
	names := make([]string, len(v.Course.EligibleKindList))
	for i, k := range v.Course.EligibleKindList {
		names[i] = core.OrgKind(k).Label()
	}
	return strings.Join(names, ", ")
}

// Paragraphs splits the description into paragraphs.
func (v courseView) Paragraphs() []string { return paragraphs(v.Course.Description) }

func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Size prints a file size.
func (courseView) Size(n int64) string { return fileSize(n) }

func fileSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Course serves GET /courses/:id.
func (p *Pages) Course() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, _, ok := pathView(c, p.courseData)
		if !ok {
			return
		}
		p.render(c, http.StatusOK, "training_course", page{Title: v.Course.Code + " " + v.Course.Title, Data: v})
	}
}

func (p *Pages) courseData(c *gin.Context, id int64) (courseView, error) {
	ctx, a := c.Request.Context(), actor(c)
	cv, err := p.s.Training.GetCourse(ctx, a, id)
	if err != nil {
		return courseView{}, err
	}
	sessions, err := p.s.Training.ListSessions(ctx, a, id)
	if err != nil {
		return courseView{}, err
	}
	materials, err := p.s.Training.Materials(ctx, a, id)
	if err != nil {
		return courseView{}, err
	}
	return courseView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/courses")}, Course: cv, Sessions: sessionLines(sessions), Materials: materials}, nil
}

// courseForm is the create and edit form of a course.
type courseForm struct {
	trainingChrome
	Course  *training.CourseView
	Choices []training.CourseRef // possible prerequisites
}

// RoleItems are the eligible role checkboxes.
func (f courseForm) RoleItems(form url.Values) []item {
	return roleItems(core.Roles(), form["eligible_roles"])
}

// KindItems are the eligible organisation kind checkboxes.
func (f courseForm) KindItems(form url.Values) []item {
	return orgKindItems(form["eligible_organisation_kinds"])
}

// PrerequisiteItems are the prerequisite checkboxes: published courses other than this one.
func (f courseForm) PrerequisiteItems(form url.Values) []item {
	var values, labels []string
	for _, r := range f.Choices {
		if f.Course != nil && r.ID == f.Course.ID {
			continue
		}
		values, labels = append(values, strconv.FormatInt(r.ID, 10)), append(labels, r.Code+" "+r.Title)
	}
	return choiceItems(values, labels, form["prerequisites"])
}

// ClassificationItems are the classification radios.
func (f courseForm) ClassificationItems(form url.Values) []item {
	cs := training.CourseClassifications()
	return choiceItems(cs, cs, []string{form.Get("classification")})
}

// ApprovalItems are the yes and no of "must a supervisor approve".
func (f courseForm) ApprovalItems(form url.Values) []item {
	return choiceItems([]string{"yes", "no"}, []string{"Yes", "No"}, []string{form.Get("approval_required")})
}

func (p *Pages) courseForm(c *gin.Context, cv *training.CourseView) (courseForm, error) {
	choices, err := p.s.Training.CourseChoices(c.Request.Context(), actor(c))
	return courseForm{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/teaching")}, Course: cv, Choices: choices}, err
}

// courseInput reads the posted course form. A number that is not one is a field error.
func courseInput(c *gin.Context) (training.CourseInput, error) {
	in := training.CourseInput{Code: c.PostForm("code"), Title: c.PostForm("title"), Description: c.PostForm("description"),
		EligibleRoles: c.PostFormArray("eligible_roles"), EligibleKinds: c.PostFormArray("eligible_organisation_kinds"),
		ApprovalRequired: c.PostForm("approval_required") == "yes", Classification: c.PostForm("classification")}
	var p core.Problems
	if c.PostForm("approval_required") == "" {
		p.Add("approval_required", "Select whether a supervisor must approve each request")
	}
	for _, s := range c.PostFormArray("prerequisites") {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			p.Add("prerequisites", "Select prerequisites from the listed courses")
			continue
		}
		in.Prerequisites = append(in.Prerequisites, id)
	}
	var err error
	if in.ApprovalDays, err = intField(c.PostForm("approval_days"), 0); err != nil {
		p.Add("approval_days", "Days to decide a request must be a whole number, like 14")
	}
	if v := strings.TrimSpace(c.PostForm("cpd_hours")); v != "" {
		if in.CPDHours, err = strconv.ParseFloat(v, 64); err != nil {
			p.Add("cpd_hours", "CPD hours must be a number, like 7.5")
		}
	}
	if in.ValidityMonths, err = intField(c.PostForm("validity_months"), 0); err != nil {
		p.Add("validity_months", "Certificate validity must be a whole number of months, like 36")
	}
	if p.Len() > 0 {
		p.Check(in.Check()) // and what else is wrong with what could be read
	}
	return in, inFormOrder(p.Err(), "code", "title", "description", "eligible_roles", "eligible_organisation_kinds",
		"prerequisites", "approval_required", "approval_days", "cpd_hours", "validity_months", "classification")
}

func intField(s string, def int) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	return strconv.Atoi(s)
}

// CourseNewForm serves GET /courses/new.
func (p *Pages) CourseNewForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		f, ok := newForm(c, p.s.Training.MayCreateCourse, p.courseForm)
		if !ok {
			return
		}
		form := url.Values{"classification": {policies.Official.String()}, "approval_required": {"yes"}, "approval_days": {"14"}, "validity_months": {"0"}, "cpd_hours": {"0"}}
		p.render(c, http.StatusOK, "training_course_form", page{Title: "Create a course", Form: form, Data: f})
	}
}

// CourseCreate serves POST /courses/new.
func (p *Pages) CourseCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := p.s.Training.MayCreateCourse(c.Request.Context(), actor(c)); err != nil {
			api.WriteError(c, err)
			return
		}
		in, err := courseInput(c)
		var cv training.CourseView
		if err == nil {
			cv, err = p.s.Training.CreateCourse(c.Request.Context(), actor(c), in)
		}
		if err != nil {
			f, ferr := p.courseForm(c, nil)
			if ferr != nil {
				api.WriteError(c, ferr)
				return
			}
			p.formFailed(c, err, "training_course_form", page{Title: "Create a course", Data: f}, "code")
			return
		}
		p.app.SetFlash(c, "course-created")
		api.Redirect(c, fmt.Sprintf("/courses/%d", cv.ID))
	}
}

// CourseEditForm serves GET /courses/:id/edit.
func (p *Pages) CourseEditForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		cv, f, ok := editForm(c, id, p.s.Training.MayUpdateCourse, p.courseForm)
		if !ok {
			return
		}
		form := url.Values{"code": {cv.Code}, "title": {cv.Title}, "description": {cv.Description}, "eligible_roles": cv.EligibleRoleList,
			"eligible_organisation_kinds": cv.EligibleKindList, "approval_required": {map[bool]string{true: "yes", false: "no"}[cv.ApprovalRequired]},
			"approval_days": {strconv.Itoa(cv.ApprovalDays)}, "cpd_hours": {hours(cv.CPDHours)}, "validity_months": {strconv.Itoa(cv.ValidityMonths)},
			"classification": {cv.Classification}}
		for _, pr := range cv.Prerequisites {
			form.Add("prerequisites", strconv.FormatInt(pr.ID, 10))
		}
		p.render(c, http.StatusOK, "training_course_form", page{Title: "Change " + cv.Code, Form: form, Data: f})
	}
}

// CourseUpdate serves POST /courses/:id/edit.
func (p *Pages) CourseUpdate() gin.HandlerFunc {
	return func(c *gin.Context) {
		_, id, ok := pathObject(c, p.s.Training.MayUpdateCourse)
		if !ok {
			return
		}
		ctx, a := c.Request.Context(), actor(c)
		in, err := courseInput(c)
		if err == nil {
			_, err = p.s.Training.UpdateCourse(ctx, a, id, in)
		}
		if err != nil {
			if cv, f, ok := editForm(c, id, p.s.Training.MayUpdateCourse, p.courseForm); ok {
				p.formFailed(c, err, "training_course_form", page{Title: "Change " + cv.Code, Data: f}, "code")
			}
			return
		}
		p.app.SetFlash(c, "course-updated")
		api.Redirect(c, fmt.Sprintf("/courses/%d", id))
	}
}

// CoursePublish serves POST /courses/:id/publish.
func (p *Pages) CoursePublish() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		if _, err := p.s.Training.PublishCourse(c.Request.Context(), actor(c), id); err != nil {
			refused(c, err, func(msg string) { p.courseAlert(c, id, msg) })
			return
		}
		p.app.SetFlash(c, "course-published")
		api.Redirect(c, fmt.Sprintf("/courses/%d", id))
	}
}

func (p *Pages) courseAlert(c *gin.Context, id int64, msg string) {
	v, err := p.courseData(c, id)
	if err != nil {
		api.WriteError(c, err)
		return
	}
	v.Alert = msg
	p.render(c, http.StatusConflict, "training_course", page{Title: v.Course.Code + " " + v.Course.Title, Data: v})
}

// CourseTrainerAdd serves POST /courses/:id/trainers.
func (p *Pages) CourseTrainerAdd() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		if _, err := p.s.Training.AddTrainer(c.Request.Context(), actor(c), id, c.PostForm("email")); err != nil {
			v, gerr := p.courseData(c, id)
			if gerr != nil {
				api.WriteError(c, gerr)
				return
			}
			p.formFailed(c, err, "training_course", page{Title: v.Course.Code + " " + v.Course.Title, Data: v}, "email")
			return
		}
		p.app.SetFlash(c, "trainer-added")
		api.Redirect(c, fmt.Sprintf("/courses/%d", id))
	}
}

// ------------------------------------------------------------------------------- materials

type materialsView struct {
	trainingChrome
	Course    training.CourseView
	Materials []training.MaterialView
	Limit     string
}

// Size prints a file size.
func (materialsView) Size(n int64) string { return fileSize(n) }

// MaterialItems choose what an upload is: a new material, or a new version of one.
func (v materialsView) MaterialItems(form url.Values) []item {
	values, labels := []string{""}, []string{"A new material"}
	for _, m := range v.Materials {
		values, labels = append(values, strconv.FormatInt(m.ID, 10)), append(labels, "A new version of "+m.Title)
	}
	return optionItems(values, labels, form.Get("material_id"))
}

// ClassificationItems are the classification radios of a new material.
func (v materialsView) ClassificationItems(form url.Values) []item {
	cs := training.CourseClassifications()
	return choiceItems(cs, cs, []string{form.Get("classification")})
}

func (p *Pages) materialsData(c *gin.Context, id int64) (materialsView, error) {
	ctx, a := c.Request.Context(), actor(c)
	cv, err := p.s.Training.MayUploadMaterial(ctx, a, id)
	if err != nil {
		return materialsView{}, err
	}
	ms, err := p.s.Training.Materials(ctx, a, id)
	return materialsView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/teaching")}, Course: cv, Materials: ms,
		Limit: fileSize(p.app.Cfg.MaxMaterialBytes)}, err
}

// CourseMaterials serves GET /courses/:id/materials: the trainer's material page.
func (p *Pages) CourseMaterials() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, _, ok := pathView(c, p.materialsData)
		if !ok {
			return
		}
		form := url.Values{"classification": {v.Course.Classification}}
		p.render(c, http.StatusOK, "training_materials", page{Title: "Material of " + v.Course.Code, Form: form, Data: v})
	}
}

// MaterialUpload serves POST /courses/:id/materials: a multipart form streamed to storage.
func (p *Pages) MaterialUpload() gin.HandlerFunc {
	return func(c *gin.Context) {
		_, id, ok := pathObject(c, p.s.Training.MayUploadMaterial)
		if !ok {
			return
		}
		_, in, err := api.ReadMaterialUpload(c, p.s.Training, id, p.app.Cfg.MaxMaterialBytes)
		if err != nil {
			v, gerr := p.materialsData(c, id)
			if gerr != nil {
				api.WriteError(c, gerr)
				return
			}
			form := url.Values{"title": {in.Title}, "classification": {in.Classification}, "note": {in.Note}}
			if in.MaterialID != 0 {
				form.Set("material_id", strconv.FormatInt(in.MaterialID, 10))
			}
			if core.ErrorCode(err) == core.ETOOLARGE {
				err = &core.Error{Code: core.EINVALID, Field: "file", Message: core.ErrorMessage(err)}
			}
			p.formFailed(c, err, "training_materials", page{Title: "Material of " + v.Course.Code, Form: form, Data: v}, "file")
			return
		}
		p.app.SetFlash(c, "material-uploaded")
		api.Redirect(c, fmt.Sprintf("/courses/%d/materials", id))
	}
}

// MaterialPublish serves POST /courses/:id/materials/:material/versions/:version/publish.
func (p *Pages) MaterialPublish() gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := api.PathIDs(c, "id", "material", "version")
		if !ok {
			return
		}
		id, mid, version := ids[0], ids[1], ids[2]
		if _, err := p.s.Training.PublishMaterial(c.Request.Context(), actor(c), id, mid, int(version)); err != nil {
			refused(c, err, func(msg string) {
				v, gerr := p.materialsData(c, id)
				if gerr != nil {
					api.WriteError(c, gerr)
					return
				}
				v.Alert = msg
				p.render(c, http.StatusConflict, "training_materials", page{Title: "Material of " + v.Course.Code, Data: v})
			})
			return
		}
		p.app.SetFlash(c, "material-published")
		api.Redirect(c, fmt.Sprintf("/courses/%d/materials", id))
	}
}

// MaterialDownload serves GET /courses/:id/materials/:material/download.
func (p *Pages) MaterialDownload() gin.HandlerFunc { return api.HandleMaterialDownload(p.s.Training) }

// --------------------------------------------------------------------------------- sessions

type sessionFormView struct {
	trainingChrome
	Course   training.CourseRef
	Session  *training.CourseSessionView
	Trainers []training.PersonRef
}

// Irregular reports whether the session's days are not consecutive days at the same times (set
// through the API): this form would make them so.
func (v sessionFormView) Irregular() bool {
	if v.Session == nil || len(v.Session.Days) < 2 {
		return false
	}
	first := v.Session.Days[0]
	for i, d := range v.Session.Days[1:] {
		if !d.StartsAt.In(core.London).Equal(first.StartsAt.In(core.London).AddDate(0, 0, i+1)) || d.EndsAt.Sub(d.StartsAt) != first.EndsAt.Sub(first.StartsAt) {
			return true
		}
	}
	return false
}

// TrainerItems are the course's trainers, to name the session's.
func (v sessionFormView) TrainerItems(form url.Values) []item {
	var values, labels []string
	for _, t := range v.Trainers {
		values, labels = append(values, strconv.FormatInt(t.ID, 10)), append(labels, t.Name)
	}
	return choiceItems(values, labels, form["trainers"])
}

// Action is where the form posts.
func (v sessionFormView) Action() string {
	if v.Session != nil {
		return fmt.Sprintf("/sessions/%d/edit", v.Session.ID)
	}
	return fmt.Sprintf("/courses/%d/sessions/new", v.Course.ID)
}

// parseClock reads a time of day: 9:30, 09:30, 14:00, 9.30am, 2pm.
func parseClock(s string) (int, int, bool) {
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	pm, am := strings.HasSuffix(s, "pm"), strings.HasSuffix(s, "am")
	s = strings.TrimSuffix(strings.TrimSuffix(s, "pm"), "am")
	s = strings.ReplaceAll(s, ".", ":")
	hs, ms, found := strings.Cut(s, ":")
	if !found {
		ms = "0"
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || m < 0 || m > 59 || h < 0 || h > 23 || ((am || pm) && (h < 1 || h > 12)) {
		return 0, 0, false
	}
	switch {
	case pm && h != 12:
		h += 12
	case am && h == 12:
		h = 0
	}
	return h, m, true
}

// at is the moment of a UK date and a time of day, in UTC.
func at(d time.Time, h, m int) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, core.London).UTC()
}

// sessionInput reads the posted session form: a first day, how many days in a row, the daily
// times, and the deadlines. What is not a date or a time is a field error.
func sessionInput(c *gin.Context) (training.SessionInput, error) {
	in := training.SessionInput{Venue: c.PostForm("venue"), JoiningDetails: c.PostForm("joining_details")}
	var p core.Problems
	for _, s := range c.PostFormArray("trainers") {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			p.Add("trainers", "Select the session's trainers from the list")
			continue
		}
		in.Trainers = append(in.Trainers, id)
	}
	var err error
	if in.Capacity, err = intField(c.PostForm("capacity"), 0); err != nil {
		p.Add("capacity", "Places must be a whole number, like 20")
	}
	if in.MinLearners, err = intField(c.PostForm("min_learners"), 0); err != nil {
		p.Add("min_learners", "Minimum numbers must be a whole number, like 8")
	}
	date := func(name, what string) *time.Time {
		d, err := api.DateInput(c.PostForm, name, what)
		if err == nil && d == nil {
			err = core.Invalid(name, "Enter "+strings.ToLower(what[:1])+what[1:])
		}
		p.Check(err)
		return d
	}
	clockAt := func(d *time.Time, name, message string) time.Time {
		h, m, ok := parseClock(c.PostForm(name))
		if !ok {
			p.Add(name, message)
		}
		if d == nil || !ok {
			return time.Time{}
		}
		return at(*d, h, m)
	}
	first := date("starts_on", "The first day")
	days, err := intField(c.PostForm("days"), 1)
	if err != nil || days < 1 || days > 20 {
		p.Add("days", "Number of days must be a whole number from 1 to 20")
		days = 0
	}
	sh, sm, okStart := parseClock(c.PostForm("start_time"))
	if !okStart {
		p.Add("start_time", "Enter the start time, like 9:30 or 14:00")
	}
	eh, em, okEnd := parseClock(c.PostForm("end_time"))
	if !okEnd {
		p.Add("end_time", "Enter the end time, like 16:30")
	}
	if first != nil && okStart && okEnd {
		for i := range days {
			d := first.AddDate(0, 0, i)
			in.Days = append(in.Days, training.DayInput{StartsAt: at(d, sh, sm), EndsAt: at(d, eh, em)})
		}
	}
	in.BookingClosesAt = clockAt(date("booking_closes", "The date booking closes"), "booking_closes_time", "Enter the time booking closes, like 17:00")
	in.CancellationCutoffAt = clockAt(date("cancellation_cutoff", "The cancellation cut-off date"), "cancellation_cutoff_time", "Enter the time of the cancellation cut-off, like 17:00")
	if p.Len() == 0 {
		return in, nil
	}
	// Say at once what else is wrong with what could be read; days that could not be read are
	// already reported at their own fields.
	var me *core.Error
	if errors.As(in.Check(time.Now(), false), &me) {
		for _, f := range me.Fields {
			if f.Field != "days" || in.Days != nil {
				p.Add(f.Field, f.Message)
			}
		}
	}
	return in, inFormOrder(p.Err(), "starts_on", "days", "start_time", "end_time", "venue", "joining_details", "capacity",
		"min_learners", "booking_closes", "booking_closes_time", "cancellation_cutoff", "cancellation_cutoff_time", "trainers")
}

// sessionForm fills the session form from a session.
func sessionForm(s training.CourseSessionView) url.Values {
	form := url.Values{"venue": {s.Venue}, "joining_details": {s.JoiningDetails}, "capacity": {strconv.Itoa(s.Capacity)},
		"min_learners": {strconv.Itoa(s.MinLearners)}, "days": {strconv.Itoa(len(s.Days))}}
	setDate := func(name string, t time.Time) {
		l := t.In(core.London)
		form.Set(name+"-day", strconv.Itoa(l.Day()))
		form.Set(name+"-month", strconv.Itoa(int(l.Month())))
		form.Set(name+"-year", strconv.Itoa(l.Year()))
	}
	if len(s.Days) > 0 {
		setDate("starts_on", s.Days[0].StartsAt)
		form.Set("start_time", s.Days[0].StartsAt.In(core.London).Format("15:04"))
		form.Set("end_time", s.Days[0].EndsAt.In(core.London).Format("15:04"))
	}
	setDate("booking_closes", s.BookingClosesAt)
	form.Set("booking_closes_time", s.BookingClosesAt.In(core.London).Format("15:04"))
	setDate("cancellation_cutoff", s.CancellationCutoffAt)
	form.Set("cancellation_cutoff_time", s.CancellationCutoffAt.In(core.London).Format("15:04"))
	for _, t := range s.Trainers {
		form.Add("trainers", strconv.FormatInt(t.ID, 10))
	}
	return form
}

// SessionNewForm serves GET /courses/:id/sessions/new.
func (p *Pages) SessionNewForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		cv, _, ok := pathObject(c, p.s.Training.MayCreateSession)
		if !ok {
			return
		}
		form := url.Values{"days": {"1"}, "start_time": {"09:30"}, "end_time": {"16:30"}, "booking_closes_time": {"17:00"},
			"cancellation_cutoff_time": {"17:00"}, "min_learners": {"0"}}
		p.render(c, http.StatusOK, "training_session_form", page{Title: "Schedule a session of " + cv.Code, Form: form,
			Data: sessionFormView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/teaching")}, Course: training.CourseRef{ID: cv.ID, Code: cv.Code, Title: cv.Title}, Trainers: cv.Trainers}})
	}
}

// SessionCreate serves POST /courses/:id/sessions/new.
func (p *Pages) SessionCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		_, id, ok := pathObject(c, p.s.Training.MayCreateSession)
		if !ok {
			return
		}
		ctx, a := c.Request.Context(), actor(c)
		in, err := sessionInput(c)
		var sv training.CourseSessionView
		if err == nil {
			sv, err = p.s.Training.CreateSession(ctx, a, id, in)
		}
		if err != nil {
			cv, gerr := p.s.Training.MayCreateSession(ctx, a, id)
			if gerr != nil {
				api.WriteError(c, gerr)
				return
			}
			p.formFailed(c, dateFieldErrors(err), "training_session_form", page{Title: "Schedule a session of " + cv.Code,
				Data: sessionFormView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/teaching")}, Course: training.CourseRef{ID: cv.ID, Code: cv.Code, Title: cv.Title}, Trainers: cv.Trainers}}, "starts_on-day")
			return
		}
		p.app.SetFlash(c, "session-created")
		api.Redirect(c, fmt.Sprintf("/sessions/%d", sv.ID))
	}
}

// SessionEditForm serves GET /sessions/:id/edit.
func (p *Pages) SessionEditForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, _, ok := pathView(c, p.sessionEditView)
		if !ok {
			return
		}
		p.render(c, http.StatusOK, "training_session_form", page{Title: "Change the session of " + v.Course.Code, Form: sessionForm(*v.Session), Data: v})
	}
}

// sessionEditView is the form that changes session id.
func (p *Pages) sessionEditView(c *gin.Context, id int64) (sessionFormView, error) {
	sv, trainers, err := p.s.Training.SessionForEdit(c.Request.Context(), actor(c), id)
	if err != nil {
		return sessionFormView{}, err
	}
	return sessionFormView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/teaching")}, Course: sv.Course, Session: &sv, Trainers: trainers}, nil
}

// SessionUpdate serves POST /sessions/:id/edit.
func (p *Pages) SessionUpdate() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		ctx, a := c.Request.Context(), actor(c)
		if _, _, err := p.s.Training.SessionForEdit(ctx, a, id); err != nil {
			api.WriteError(c, err)
			return
		}
		in, err := sessionInput(c)
		if err == nil {
			_, err = p.s.Training.UpdateSession(ctx, a, id, in)
		}
		if err != nil {
			v, gerr := p.sessionEditView(c, id)
			if gerr != nil {
				api.WriteError(c, gerr)
				return
			}
			p.formFailed(c, dateFieldErrors(err), "training_session_form", page{Title: "Change the session of " + v.Course.Code, Data: v}, "starts_on-day")
			return
		}
		p.app.SetFlash(c, "session-updated")
		api.Redirect(c, fmt.Sprintf("/sessions/%d", id))
	}
}

// sessionPage is a session's page.
type sessionPage struct {
	trainingChrome
	Session training.CourseSessionView
}

// DayLines are the session's days, one line each.
func (v sessionPage) DayLines() []string {
	out := make([]string, len(v.Session.Days))
	for i, d := range v.Session.Days {
		out[i] = dayLine(d)
	}
	return out
}

// When is the session's days in a line.
func (v sessionPage) When() string { return sessionWhen(v.Session.Days) }

// Mine says where the actor's booking stands ("" for none).
func (v sessionPage) Mine() string {
	if v.Session.Mine == nil {
		return ""
	}
	return stateLabel(v.Session.Mine.State, v.Session.Mine.Position)
}

// MineTag colours the actor's booking.
func (v sessionPage) MineTag() string {
	if v.Session.Mine == nil {
		return ""
	}
	return stateTag(v.Session.Mine.State)
}

// JoiningLines splits the joining details into lines.
func (v sessionPage) JoiningLines() []string { return strings.Split(v.Session.JoiningDetails, "\n") }

func (p *Pages) sessionPage(c *gin.Context, id int64, status int, alert string) {
	a := actor(c)
	sv, err := p.s.Training.GetSession(c.Request.Context(), a, id)
	if err != nil {
		api.WriteError(c, err)
		return
	}
	v := sessionPage{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/courses"), Alert: alert}, Session: sv}
	p.render(c, status, "training_session", page{Title: "Session of " + sv.Course.Code + " " + sv.Course.Title, Data: v})
}

// Session serves GET /sessions/:id.
func (p *Pages) Session() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		p.sessionPage(c, id, http.StatusOK, "")
	}
}

// SessionRequest serves POST /sessions/:id/request: the actor asks for a place.
func (p *Pages) SessionRequest() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		e, err := p.s.Training.Request(c.Request.Context(), actor(c), id)
		if err != nil {
			refused(c, err, func(msg string) { p.sessionPage(c, id, http.StatusConflict, msg) })
			return
		}
		p.app.SetFlash(c, map[string]string{training.EnrolmentEnrolled: "place-enrolled", training.EnrolmentWaitlisted: "place-waitlisted",
			training.EnrolmentRequested: "place-requested"}[e.State])
		api.Redirect(c, fmt.Sprintf("/sessions/%d", id))
	}
}

// reasonView is a form that asks why: declining a request, cancelling a booking or a session.
type reasonView struct {
	trainingChrome
	Heading string
	Lead    string
	Action  string
	Hint    string
	Button  string
	Back    string
}

func (p *Pages) reasonPage(c *gin.Context, status int, v reasonView, form url.Values, errs formErrors) {
	p.render(c, status, "training_reason", page{Title: v.Heading, Form: form, Errors: errs, Data: v})
}

// SessionCancelForm serves GET /sessions/:id/cancel.
func (p *Pages) SessionCancelForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, _, ok := pathView(c, p.sessionCancelView)
		if !ok {
			return
		}
		p.reasonPage(c, http.StatusOK, v, nil, nil)
	}
}

func (p *Pages) sessionCancelView(c *gin.Context, id int64) (reasonView, error) {
	sv, _, err := p.s.Training.SessionForEdit(c.Request.Context(), actor(c), id)
	if err != nil {
		return reasonView{}, err
	}
	return reasonView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/teaching")}, Heading: "Cancel the session of " + sv.Course.Code,
		Lead:   fmt.Sprintf("%s %s, %s. %d people have a place and %d are waiting: every booking ends and each person is told why.", sv.Course.Code, sv.Course.Title, sessionWhen(sv.Days), sv.SeatsTaken, sv.Waiting),
		Action: fmt.Sprintf("/sessions/%d/cancel", id), Hint: "The learners are told this reason.", Button: "Cancel the session", Back: fmt.Sprintf("/sessions/%d", id)}, nil
}

// SessionCancel serves POST /sessions/:id/cancel.
func (p *Pages) SessionCancel() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		if _, err := p.s.Training.CancelSession(c.Request.Context(), actor(c), id, c.PostForm("reason")); err != nil {
			v, verr := p.sessionCancelView(c, id)
			if verr != nil {
				api.WriteError(c, verr)
				return
			}
			p.formFailed(c, err, "training_reason", page{Title: v.Heading, Data: v}, "reason")
			return
		}
		p.app.SetFlash(c, "session-cancelled")
		api.Redirect(c, fmt.Sprintf("/sessions/%d", id))
	}
}

// SessionLearners serves GET /sessions/:id/learners: places, the waiting list, requests.
func (p *Pages) SessionLearners() gin.HandlerFunc {
	type view struct {
		trainingChrome
		Learners  training.SessionLearners
		Enrolled  []enrolmentLine
		Waitlist  []enrolmentLine
		Requested []enrolmentLine
		Ended     []enrolmentLine
		When      string
	}
	return func(c *gin.Context) {
		l, _, ok := pathObject(c, p.s.Training.Learners)
		if !ok {
			return
		}
		p.render(c, http.StatusOK, "training_learners", page{Title: "Learners of " + l.Session.Course.Code, Data: view{
			trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/teaching")}, Learners: l, Enrolled: enrolmentLines(l.Enrolled),
			Waitlist: enrolmentLines(l.Waitlist), Requested: enrolmentLines(l.Requested), Ended: enrolmentLines(l.Ended), When: sessionWhen(l.Session.Days)}})
	}
}

// --------------------------------------------------------------------------------- register

type registerView struct {
	trainingChrome
	Register training.Register
	Day      training.SessionDay
	DayNav   govuk.SubNavigation
}

// DayLine describes the day shown.
func (v registerView) DayLine() string { return dayLine(v.Day) }

// Open says whether the day's register can be kept: it has started, the session is not closed.
func (v registerView) Open() bool { return slices.Contains(v.Register.DaysOpen, v.Day.DayNumber) }

// MarkItems are a learner's radios for the day shown.
func (v registerView) MarkItems(l training.RegisterLine, form url.Values) []item {
	name := fmt.Sprintf("mark-%d", l.Enrolment.ID)
	picked := form.Get(name)
	if picked == "" {
		picked = l.Mark(v.Day.ID)
	}
	return choiceItems(training.AttendanceMarks(), []string{"Attended", "Partial", "Absent"}, []string{picked})
}

// MarkName is the field name of a learner's mark.
func (v registerView) MarkName(l training.RegisterLine) string {
	return fmt.Sprintf("mark-%d", l.Enrolment.ID)
}

// MarkLabel is how a learner's mark for the day shown reads.
func (v registerView) MarkLabel(l training.RegisterLine) string {
	switch l.Mark(v.Day.ID) {
	case training.AttendanceAttended:
		return "Attended"
	case training.AttendancePartial:
		return "Partial"
	case training.AttendanceAbsent:
		return "Absent"
	}
	return "Not marked"
}

// Editable lists the learners who can still be marked (those holding a place).
func (v registerView) Editable() []training.RegisterLine {
	var out []training.RegisterLine
	for _, l := range v.Register.Learners {
		if l.Enrolment.State == training.EnrolmentEnrolled {
			out = append(out, l)
		}
	}
	return out
}

// State labels a learner's booking.
func (registerView) State(l training.RegisterLine) string { return stateLabel(l.Enrolment.State, nil) }

func (p *Pages) registerPage(c *gin.Context, id int64, day int, status int, form url.Values, errs formErrors, alert string) {
	r, err := p.s.Training.GetRegister(c.Request.Context(), actor(c), id)
	if err != nil {
		api.WriteError(c, err)
		return
	}
	if len(r.Session.Days) == 0 {
		api.WriteError(c, core.NotFound("Session not found"))
		return
	}
	if day < 1 || day > len(r.Session.Days) {
		day = 1
		if n := len(r.DaysOpen); n > 0 {
			day = r.DaysOpen[n-1] // the latest day that has started
		}
	}
	v := registerView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/teaching"), Alert: alert}, Register: r, Day: r.Session.Days[day-1]}
	if len(r.Session.Days) > 1 {
		for _, d := range r.Session.Days {
			v.DayNav.Items = append(v.DayNav.Items, govuk.SubNavItem{Text: fmt.Sprintf("Day %d", d.DayNumber), Href: fmt.Sprintf("/sessions/%d/register?day=%d", id, d.DayNumber), Active: d.DayNumber == day})
		}
		v.DayNav.Label = "Days of the session"
	}
	p.render(c, status, "training_register", page{Title: "Register of " + r.Session.Course.Code, Form: form, Errors: errs, Data: v})
}

// Register serves GET /sessions/:id/register?day=N.
func (p *Pages) Register() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		day, _ := strconv.Atoi(c.Query("day"))
		p.registerPage(c, id, day, http.StatusOK, nil, nil, "")
	}
}

// RegisterMark serves POST /sessions/:id/register: the marks of one day.
func (p *Pages) RegisterMark() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		day, _ := strconv.Atoi(c.PostForm("day"))
		_ = c.Request.ParseForm()
		marks := map[int64]string{}
		first := ""
		for k, vs := range c.Request.PostForm {
			rest, ok := strings.CutPrefix(k, "mark-")
			if !ok || len(vs) == 0 {
				continue
			}
			eid, err := strconv.ParseInt(rest, 10, 64)
			if err != nil {
				continue
			}
			marks[eid] = vs[0]
			if first == "" || k < first {
				first = k
			}
		}
		if _, err := p.s.Training.MarkAttendance(c.Request.Context(), actor(c), id, day, marks); err != nil {
			var me *core.Error
			if !errors.As(err, &me) {
				api.WriteError(c, err)
				return
			}
			switch me.Code {
			case core.ECONFLICT:
				p.registerPage(c, id, day, http.StatusConflict, nil, nil, me.Message)
			case core.EINVALID:
				// Point the summary at the first learner's first radio.
				r, gerr := p.s.Training.GetRegister(c.Request.Context(), actor(c), id)
				if gerr != nil {
					api.WriteError(c, gerr)
					return
				}
				field := "day"
				for _, l := range r.Learners {
					if l.Enrolment.State == training.EnrolmentEnrolled {
						field = fmt.Sprintf("mark-%d", l.Enrolment.ID)
						break
					}
				}
				form := c.Request.PostForm
				form.Del("csrf_token")
				p.registerPage(c, id, day, http.StatusUnprocessableEntity, form, formErrors{{Field: field, Message: me.Message}}, "")
			default:
				api.WriteError(c, err)
			}
			return
		}
		p.app.SetFlash(c, "attendance-saved")
		api.Redirect(c, fmt.Sprintf("/sessions/%d/register?day=%d", id, day))
	}
}

// SessionComplete serves POST /sessions/:id/complete: certificates for those who attended.
func (p *Pages) SessionComplete() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		if _, err := p.s.Training.Complete(c.Request.Context(), actor(c), id); err != nil {
			refused(c, err, func(msg string) { p.registerPage(c, id, 0, http.StatusConflict, nil, nil, msg) })
			return
		}
		p.app.SetFlash(c, "session-completed")
		api.Redirect(c, fmt.Sprintf("/sessions/%d/register", id))
	}
}

// ------------------------------------------------------------------------------------- bulk

type bulkView struct {
	trainingChrome
	Session training.CourseSessionView
	Report  *training.BulkReport
	Limit   string
	Rows    int
}

// When is the session's days in a line.
func (v bulkView) When() string { return sessionWhen(v.Session.Days) }

// OutcomeTag colours a row's outcome.
func (bulkView) OutcomeTag(outcome string) string {
	switch outcome {
	case training.BulkEnrolled:
		return "govuk-tag--green"
	case training.BulkWaitlisted, training.BulkAwaiting:
		return "govuk-tag--yellow"
	}
	return "govuk-tag--red"
}

func (p *Pages) bulkData(c *gin.Context, id int64) (bulkView, error) {
	sv, err := p.s.Training.MayBulkEnrol(c.Request.Context(), actor(c), id)
	return bulkView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/courses")}, Session: sv, Limit: fileSize(training.MaxBulkBytes), Rows: training.MaxBulkRows}, err
}

// BulkForm serves GET /sessions/:id/bulk.
func (p *Pages) BulkForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, _, ok := pathView(c, p.bulkData)
		if !ok {
			return
		}
		p.render(c, http.StatusOK, "training_bulk", page{Title: "Book your staff on " + v.Session.Course.Code, Data: v})
	}
}

// BulkUpload serves POST /sessions/:id/bulk and shows the outcome of each row.
func (p *Pages) BulkUpload() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, id, ok := pathView(c, p.bulkData)
		if !ok {
			return
		}
		report, err := api.ReadBulkUpload(c, p.s.Training, id)
		if err != nil {
			if core.ErrorCode(err) == core.ETOOLARGE {
				err = &core.Error{Code: core.EINVALID, Field: "file", Message: core.ErrorMessage(err)}
			}
			p.formFailed(c, err, "training_bulk", page{Title: "Book your staff on " + v.Session.Course.Code, Form: url.Values{}, Data: v}, "file")
			return
		}
		v.Report = &report
		p.render(c, http.StatusOK, "training_bulk", page{Title: "Book your staff on " + v.Session.Course.Code, Data: v})
	}
}

// ------------------------------------------------------------------------------- enrolments

// EnrolmentWithdraw serves POST /enrolments/:id/withdraw: back to the session's page.
func (p *Pages) EnrolmentWithdraw() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		ctx, a := c.Request.Context(), actor(c)
		e, err := p.s.Training.Withdraw(ctx, a, id)
		if err != nil {
			refused(c, err, func(msg string) {
				ev, gerr := p.s.Training.GetEnrolment(ctx, a, id)
				if gerr != nil {
					api.WriteError(c, gerr)
					return
				}
				p.sessionPage(c, ev.SessionID, http.StatusConflict, msg)
			})
			return
		}
		p.app.SetFlash(c, "place-withdrawn")
		api.Redirect(c, fmt.Sprintf("/sessions/%d", e.SessionID))
	}
}

type approvalsView struct {
	trainingChrome
	Requests []enrolmentLine
	Pager    pager
}

// approvalsPage shows the supervisor's queue a page at a time (?after= is the cursor), with an
// alert when a decision could not be made.
func (p *Pages) approvalsPage(c *gin.Context, status int, alert string) {
	res, err := p.s.Training.Approvals(c.Request.Context(), actor(c), c.Query("after"), 50)
	if err != nil {
		api.WriteError(c, err)
		return
	}
	v := approvalsView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/approvals"), Alert: alert}, Requests: enrolmentLines(res.Enrolments)}
	v.Pager = linkTo("/approvals", url.Values{}, res.Next)
	p.render(c, status, "training_approvals", page{Title: "Training requests to decide", Data: v})
}

// Approvals serves GET /approvals: the supervisor's queue.
func (p *Pages) Approvals() gin.HandlerFunc {
	return func(c *gin.Context) { p.approvalsPage(c, http.StatusOK, "") }
}

// EnrolmentApprove serves POST /enrolments/:id/approve.
func (p *Pages) EnrolmentApprove() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		e, err := p.s.Training.Approve(c.Request.Context(), actor(c), id)
		if err != nil {
			refused(c, err, func(msg string) { p.approvalsPage(c, http.StatusConflict, msg) })
			return
		}
		flash := "enrolment-approved"
		if e.State == training.EnrolmentWaitlisted {
			flash = "enrolment-approved-waitlisted"
		}
		p.app.SetFlash(c, flash)
		api.Redirect(c, "/approvals")
	}
}

func (p *Pages) declineView(c *gin.Context, id int64) (reasonView, error) {
	e, err := p.s.Training.ForDecision(c.Request.Context(), actor(c), id)
	if err != nil {
		return reasonView{}, err
	}
	return reasonView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/approvals")}, Heading: "Decline " + e.Learner.Name + "’s request",
		Lead:   fmt.Sprintf("%s asks for a place on %s %s starting %s.", e.Learner.Name, e.Course.Code, e.Course.Title, formatDateTime(e.SessionStartsAt)),
		Action: fmt.Sprintf("/enrolments/%d/decline", id), Hint: "They are told this reason.", Button: "Decline the request", Back: "/approvals"}, nil
}

// EnrolmentDeclineForm serves GET /enrolments/:id/decline.
func (p *Pages) EnrolmentDeclineForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		v, err := p.declineView(c, id)
		if err != nil {
			refused(c, err, func(msg string) { p.approvalsPage(c, http.StatusConflict, msg) })
			return
		}
		p.reasonPage(c, http.StatusOK, v, nil, nil)
	}
}

// EnrolmentDecline serves POST /enrolments/:id/decline.
func (p *Pages) EnrolmentDecline() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		if _, err := p.s.Training.Decline(c.Request.Context(), actor(c), id, c.PostForm("reason")); err != nil {
			if core.ErrorCode(err) != core.EINVALID {
				refused(c, err, func(msg string) { p.approvalsPage(c, http.StatusConflict, msg) })
				return
			}
			v, verr := p.declineView(c, id)
			if verr != nil {
				api.WriteError(c, verr)
				return
			}
			p.formFailed(c, err, "training_reason", page{Title: v.Heading, Data: v}, "reason")
			return
		}
		p.app.SetFlash(c, "enrolment-declined")
		api.Redirect(c, "/approvals")
	}
}

func (p *Pages) cancelView(c *gin.Context, id int64) (reasonView, error) {
	e, err := p.s.Training.ForCancel(c.Request.Context(), actor(c), id)
	if err != nil {
		return reasonView{}, err
	}
	return reasonView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/teaching")}, Heading: "Cancel " + e.Learner.Name + "’s booking",
		Lead:   fmt.Sprintf("%s: %s on %s %s starting %s. A place goes at once to the first person waiting.", e.Learner.Name, stateLabel(e.State, e.Position), e.Course.Code, e.Course.Title, formatDateTime(e.SessionStartsAt)),
		Action: fmt.Sprintf("/enrolments/%d/cancel", id), Hint: "The learner is told this reason.", Button: "Cancel the booking", Back: fmt.Sprintf("/sessions/%d/learners", e.SessionID)}, nil
}

// EnrolmentCancelForm serves GET /enrolments/:id/cancel.
func (p *Pages) EnrolmentCancelForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		v, err := p.cancelView(c, id)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.reasonPage(c, http.StatusOK, v, nil, nil)
	}
}

// EnrolmentCancel serves POST /enrolments/:id/cancel.
func (p *Pages) EnrolmentCancel() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		e, err := p.s.Training.Cancel(c.Request.Context(), actor(c), id, c.PostForm("reason"))
		if err != nil {
			if core.ErrorCode(err) != core.EINVALID {
				api.WriteError(c, err)
				return
			}
			v, verr := p.cancelView(c, id)
			if verr != nil {
				api.WriteError(c, verr)
				return
			}
			p.formFailed(c, err, "training_reason", page{Title: v.Heading, Data: v}, "reason")
			return
		}
		p.app.SetFlash(c, "enrolment-cancelled")
		api.Redirect(c, fmt.Sprintf("/sessions/%d/learners", e.SessionID))
	}
}

// -------------------------------------------------------------------------- learning records

type recordView struct {
	trainingChrome
	Record        training.LearningRecord
	Own           bool
	Bookings      []enrolmentLine
	History       []enrolmentLine
	CalendarSince *time.Time
	CalendarURL   string // a new calendar address, shown once
}

// Hours prints CPD hours.
func (recordView) Hours(h float64) string { return hours(h) }

func (p *Pages) recordPage(c *gin.Context, userID int64, own bool, calendarURL string) {
	ctx, a := c.Request.Context(), actor(c)
	rec, err := p.s.Training.GetLearningRecord(ctx, a, userID)
	if err != nil {
		api.WriteError(c, err)
		return
	}
	v := recordView{Record: rec, Own: own, Bookings: enrolmentLines(rec.Bookings), History: enrolmentLines(rec.History), CalendarURL: calendarURL}
	title := "Learning record of " + rec.Person.Name
	if own {
		v.Sub = p.trainingSub(c, "/my-training")
		if v.CalendarSince, err = p.s.Training.CalendarStatus(ctx, a); err != nil {
			api.WriteError(c, err)
			return
		}
		title = "My training"
	} else {
		v.Sub = p.trainingSub(c, "/staff-training")
	}
	p.render(c, http.StatusOK, "training_record", page{Title: title, Data: v})
}

// MyTraining serves GET /my-training: the actor's bookings, certificates and calendar.
func (p *Pages) MyTraining() gin.HandlerFunc {
	return func(c *gin.Context) { p.recordPage(c, actor(c).UserID, true, "") }
}

// CalendarRotate serves POST /my-training/calendar: a new secret calendar address, shown once.
func (p *Pages) CalendarRotate() gin.HandlerFunc {
	return func(c *gin.Context) {
		u, err := p.s.Training.RotateCalendar(c.Request.Context(), actor(c))
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.recordPage(c, actor(c).UserID, true, u)
	}
}

// StaffRecord serves GET /staff-training/:id: a staff member's learning record.
func (p *Pages) StaffRecord() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		p.recordPage(c, id, id == actor(c).UserID, "")
	}
}

type staffView struct {
	trainingChrome
	Staff  training.StaffTraining
	Pager  pager
	Window int
}

// Status labels a due certificate.
func (staffView) Status(l training.CertificateLine) string {
	if l.Status == training.CertificateExpired {
		return "Expired"
	}
	return "Due for renewal"
}

// StaffTraining serves GET /staff-training: who is due for renewal, and the staff list.
func (p *Pages) StaffTraining() gin.HandlerFunc {
	return func(c *gin.Context) {
		q := c.Request.URL.Query()
		st, err := p.s.Training.StaffRecords(c.Request.Context(), actor(c), q.Get("q"), q.Get("after"), 50)
		if err != nil {
			p.formFailed(c, err, "training_staff", page{Title: "Staff training", Form: q, Data: staffView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/staff-training")}, Window: training.RenewalWindow}}, "q")
			return
		}
		v := staffView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/staff-training")}, Staff: st, Window: training.RenewalWindow}
		v.Pager = linkTo("/staff-training", c.Request.URL.Query(), st.Next)
		p.render(c, http.StatusOK, "training_staff", page{Title: "Staff training", Form: q, Data: v})
	}
}

// ------------------------------------------------------------------------------ certificates

type certificateView struct {
	trainingChrome
	Certificate training.CertificateLine
	VerifyURL   string
}

// Hours prints CPD hours.
func (certificateView) Hours(h float64) string { return hours(h) }

// Certificate serves GET /certificates/:id.
func (p *Pages) Certificate() gin.HandlerFunc {
	return func(c *gin.Context) {
		cert, _, ok := pathObject(c, p.s.Training.GetCertificate)
		if !ok {
			return
		}
		p.render(c, http.StatusOK, "training_certificate", page{Title: "Certificate " + cert.Number, Data: certificateView{
			trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/my-training")}, Certificate: cert, VerifyURL: "/certificates/verify/" + cert.Code}})
	}
}

type verifyView struct {
	Checked bool
	Result  training.Verification
}

// VerifyForm serves GET /certificates/verify (with ?code= once a code is entered): open to
// anyone.
func (p *Pages) VerifyForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		code, ok := c.GetQuery("code")
		if !ok {
			p.render(c, http.StatusOK, "training_verify", page{Title: "Check a training certificate", Data: verifyView{}})
			return
		}
		if strings.TrimSpace(code) == "" {
			p.render(c, http.StatusUnprocessableEntity, "training_verify", page{Title: "Check a training certificate", Form: url.Values{"code": {code}},
				Errors: formErrors{{Field: "code", Message: "Enter the code printed on the certificate"}}, Data: verifyView{}})
			return
		}
		p.verify(c, code)
	}
}

// Verify serves GET /certificates/verify/:code: the link printed on a certificate.
func (p *Pages) Verify() gin.HandlerFunc {
	return func(c *gin.Context) { p.verify(c, c.Param("code")) }
}

func (p *Pages) verify(c *gin.Context, code string) {
	res, err := p.s.Training.VerifyCertificate(c.Request.Context(), code)
	if err != nil {
		api.WriteError(c, err)
		return
	}
	status := http.StatusOK
	if res.Status == training.CertificateNotFound {
		status = http.StatusNotFound
	}
	p.render(c, status, "training_verify", page{Title: "Check a training certificate", Form: url.Values{"code": {code}}, Data: verifyView{Checked: true, Result: res}})
}

// ----------------------------------------------------------------------------- notifications

type notificationsView struct {
	trainingChrome
	Page  core.NotificationPage
	Pager pager
}

// Notifications serves GET /notifications.
func (p *Pages) Notifications() gin.HandlerFunc {
	return func(c *gin.Context) {
		res, err := p.s.Notifications.List(c.Request.Context(), actor(c), c.Query("after"), 25)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		v := notificationsView{trainingChrome: trainingChrome{Sub: p.trainingSub(c, "/notifications")}, Page: res}
		v.Pager = linkTo("/notifications", url.Values{}, res.Next)
		p.render(c, http.StatusOK, "training_notifications", page{Title: "Notifications", Data: v})
	}
}

// NotificationOpen serves POST /notifications/:id/read: marks it read and follows its link.
func (p *Pages) NotificationOpen() gin.HandlerFunc {
	return func(c *gin.Context) {
		n, _, ok := pathObject(c, p.s.Notifications.MarkRead)
		if !ok {
			return
		}
		to := "/notifications"
		if core.LocalLink(n.Link) {
			to = n.Link
		}
		api.Redirect(c, to)
	}
}

// NotificationsReadAll serves POST /notifications/read-all.
func (p *Pages) NotificationsReadAll() gin.HandlerFunc {
	return func(c *gin.Context) {
		p.done(c, p.s.Notifications.MarkAllRead(c.Request.Context(), actor(c)), "notifications-read", "/notifications")
	}
}
