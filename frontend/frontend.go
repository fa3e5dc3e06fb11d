// Package frontend serves MSP Hub's pages: html/template views in the GOV.UK Design System,
// rendered on the server so that every journey works without JavaScript, and the built
// front-end assets embedded from dist/.
package frontend

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/frontend/govuk"
	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Pages renders the pages. Build it with New.
type Pages struct {
	log    *slog.Logger
	app    *api.App
	s      *models.Services
	assets *assets
	views  map[string]*template.Template
}

var _ api.Pages = (*Pages)(nil)

// New parses the templates and indexes the embedded assets. It fails when the assets were not
// built (run `make run` or `make assets`), rather than serving unstyled pages. app gives the
// pages the operations and the cookie and error helpers; set app.Pages to the result.
func New(log *slog.Logger, app *api.App) (*Pages, error) {
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	p := &Pages{log: log, app: app, s: app.Services, assets: a, views: map[string]*template.Template{}}
	funcs := template.FuncMap{"asset": a.url}
	maps.Copy(funcs, viewFuncs())
	maps.Copy(funcs, govuk.Funcs())
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/partials.html")
	if err == nil {
		_, err = layout.ParseFS(govuk.Templates(), "components.html")
	}
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if name == "templates/layout.html" || name == "templates/partials.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFiles, name)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		p.views[strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")] = t
	}
	return p, nil
}

// page is what the layout needs; Data carries the view's own fields.
type page struct {
	Title          string
	Classification string // protective marking shown top and bottom; empty for none
	Nav            []govuk.NavItem
	Actor          *core.Actor // the signed-in user, if any
	CSRF           string      // the token every form of the page carries
	Flash          string      // a success message left by the previous request
	Notice         string      // something the person must do, left by the previous request
	Errors         formErrors  // what was wrong with the form just posted
	Form           url.Values  // what was posted, to fill the form again
	ErrorTitle     string
	ErrorAdvice    []string
	Data           any
}

// Header is the generic header every page carries: the programme MSP Hub belongs to.
func (page) Header() govuk.GenericHeader {
	return govuk.GenericHeader{LogoText: "Modern slavery policing programme", URL: "/"}
}

// ServiceNav names the service and lists the page's navigation.
func (p page) ServiceNav() govuk.ServiceNavigation {
	return govuk.ServiceNavigation{ServiceName: "MSP Hub", ServiceURL: "/", Navigation: p.Nav}
}

// Value is what the form field name held when posted.
func (p page) Value(name string) string { return p.Form.Get(name) }

// InNav reports whether the navigation offers href, so a page links only where the actor may go.
func (p page) InNav(href string) bool {
	for _, item := range p.Nav {
		if item.Href == href {
			return true
		}
	}
	return false
}

// formError is one problem with a posted form, for the error summary and the field.
type formError struct {
	Field, Message string
}

// formErrors are the problems of a posted form, in the order of the fields.
type formErrors []formError

// For returns the message for field, or "".
func (e formErrors) For(field string) string {
	for _, fe := range e {
		if fe.Field == field {
			return fe.Message
		}
	}
	return ""
}

// Summary is the error summary's list: each message linking to its field (a date's first box).
func (e formErrors) Summary() []map[string]string {
	var out []map[string]string
	for _, fe := range e {
		// A date's message links to its day box. Date fields are named *_on (an outcome's on a
		// case page, outcome_on_<charge>), or from and to.
		anchor := fe.Field
		if strings.HasSuffix(anchor, "_on") || strings.HasPrefix(anchor, "outcome_on_") || anchor == "from" || anchor == "to" {
			anchor += "-day"
		}
		if anchor == "" {
			out = append(out, map[string]string{"text": fe.Message})
			continue
		}
		out = append(out, map[string]string{"text": fe.Message, "href": "#" + anchor})
	}
	return out
}

// navFor is the service navigation of a signed-in actor: the sections models says they reach.
func navFor(a *core.Actor, reach models.Reach, current string) []govuk.NavItem {
	if a == nil || !a.MFAPassed {
		return nil
	}
	var items []govuk.NavItem
	// add lists a section; it is active on its own pages and on those under also.
	add := func(text, href string, also ...string) {
		active := href != "/" && strings.HasPrefix(current, href+"/")
		for _, prefix := range also {
			active = active || current == prefix || strings.HasPrefix(current, prefix+"/")
		}
		items = append(items, govuk.NavItem{Text: text, Href: href, Current: href == current, Active: active})
	}
	add("Home", "/")
	if reach.Guidance {
		add("Guidance", "/guidance")
	}
	if reach.Training {
		add("Training", "/courses", "/sessions", "/teaching", "/approvals", "/my-training", "/staff-training", "/certificates")
	}
	if reach.CaseFiles {
		add("Case files", "/casefiles")
	}
	if reach.Operations {
		add("Operations", "/operations")
	}
	add("Notifications", "/notifications")
	if reach.People {
		add("People", "/users")
	}
	if reach.Organisations {
		add("Organisations", "/organisations")
	}
	if reach.Statistics {
		add("National picture", "/statistics")
	}
	if reach.Jobs {
		add("Jobs", "/admin/jobs")
	}
	if reach.Audit {
		add("Audit log", "/audit")
	}
	add("Your account", "/account")
	return items
}

// flashes are the success messages a redirect can leave: keys, never text from a request.
var flashes = map[string]string{
	"report-made":       "The report has been made. It is at the top of the list.",
	"signed-out":        "You have signed out.",
	"signed-out-all":    "You have signed out of every session.",
	"password-set":      "Your password is set. Sign in with it now.",
	"password-changed":  "Your password has been changed. Other sessions have been signed out.",
	"token-revoked":     "The API token has been revoked.",
	"session-revoked":   "The session has been signed out.",
	"user-created":      "The account has been created. Send the person their set-password link.",
	"user-updated":      "The account has been updated.",
	"user-disabled":     "The account has been disabled and its sessions ended.",
	"user-enabled":      "The account has been enabled.",
	"mfa-reset":         "The second factor has been removed. They will set up a new one at their next sign-in.",
	"org-created":       "The organisation has been added.",
	"org-updated":       "The organisation has been updated.",
	"org-deactivated":   "The organisation has been deactivated. Its people can no longer sign in.",
	"org-reactivated":   "The organisation has been reactivated.",
	"oidc-saved":        "The single sign-on settings are saved.",
	"mfa-set-up":        "Your second factor is set up.",
	"setup-signed-in":   "Your administrator account is created. Now set up your second factor.",
	"session-ended":     "Your session has ended. Sign in again.",
	"recovery-codes-ok": "New recovery codes are shown below. The old ones no longer work.",
	// training
	"course-created":                "The course has been created as a draft. Schedule sessions, then publish it.",
	"course-updated":                "The course has been updated.",
	"course-published":              "The course is published: everyone signed in can now see and book it.",
	"trainer-added":                 "The trainer has been added and told.",
	"material-uploaded":             "The file has been uploaded. Publish it when learners should see it.",
	"material-published":            "The version is published: learners with a place now see it.",
	"session-created":               "The session has been scheduled.",
	"session-updated":               "The session has been updated. Its learners have been told of any change of dates or place.",
	"session-cancelled":             "The session has been cancelled and its learners told.",
	"place-enrolled":                "You have a place on this session.",
	"place-waitlisted":              "The session is full: you are on the waiting list, and will get a place as soon as one comes free.",
	"place-requested":               "Your request has been sent to your supervisor for approval.",
	"place-withdrawn":               "You have withdrawn. Anyone waiting has been given the place.",
	"enrolment-approved":            "The request is approved: they have a place and have been told.",
	"enrolment-approved-waitlisted": "The request is approved. The session is full, so they are on the waiting list and have been told.",
	"enrolment-declined":            "The request has been declined and the learner told why.",
	"enrolment-cancelled":           "The booking has been cancelled and the learner told. Anyone waiting has been given the place.",
	"attendance-saved":              "The register has been saved.",
	"session-completed":             "The session is complete: certificates have been issued to those who attended every day.",
	"notifications-read":            "All your notifications are marked as read.",
	// guidance
	"guidance-created":            "Your draft is saved. Attach any files, then send it for approval.",
	"guidance-updated":            "Your changes are saved.",
	"guidance-attached":           "The file is attached.",
	"guidance-attachment-removed": "The file has been removed from this version.",
	"guidance-submitted":          "The version has been sent for approval.",
	"guidance-published":          "The version is published. Readers now see it.",
	"guidance-returned":           "The version has been returned to its editors with your comments.",
	"guidance-version-started":    "A new version has been started from the published one. Make your changes.",
	"guidance-reviewed":           "Your review is recorded, with the next review date below.",
	"guidance-acknowledged":       "Thank you. Your acknowledgement is recorded.",

	// Case files and CPS evidence packs.
	"case-created":         "The case file is open, with its checklists. Work through the items, then submit the pack.",
	"case-updated":         "The case details have been changed.",
	"item-updated":         "The checklist item has been updated.",
	"item-accepted":        "The item is accepted.",
	"item-rejected":        "The item is rejected, and an action has been raised for the team.",
	"evidence-added":       "The exhibit has been uploaded and its continuity record started.",
	"evidence-referenced":  "The exhibit has been recorded as held in the force evidence system.",
	"schedule-added":       "The entry has been added to the schedule.",
	"schedule-updated":     "The schedule entry has been changed.",
	"schedule-moved":       "The entry has moved to the other schedule, numbered next there.",
	"schedule-marked":      "Your columns of the schedule entry have been recorded.",
	"disclosure-roles":     "The disclosure roles have been named.",
	"disclosure-certified": "The certification has been signed and dated.",
	"request-added":        "The request for third-party material has been recorded.",
	"request-answered":     "The answer has been recorded.",
	"pack-submitted":       "The pack has been frozen and sent to the supervisor.",
	"pack-approved":        "The pack is approved. Share it with a CPS liaison.",
	"pack-returned":        "The pack has been returned to the team with your reasons.",
	"pack-shared":          "The pack is shared with the CPS liaison until the day you chose.",
	"share-revoked":        "The share is revoked: the CPS liaison no longer sees this case.",
	"advice-recorded":      "Your advice is recorded and the team can see it.",
	"decision-recorded":    "Your charging decision is recorded.",
	"charge-recorded":      "The charge is recorded and the CPS is told.",
	"action-raised":        "The action has been raised for the team.",
	"action-answered":      "Your answer has been recorded for the CPS.",
	"case-finalised":       "The case is recorded as administratively finalised.",
	"case-closed":          "The case file is closed.",
	"member-added":         "The investigator has been added to the team.",
	"member-removed":       "The person has been removed from the team. Their grant stays on record.",
	"template-saved":       "The new version is saved. Cases opened from now on get it; open cases keep theirs.",
	"court-step-recorded":  "The step is recorded, and the team and the CPS have been told.",
	"custody-recorded":     "The custody status is recorded.",

	// Operations.
	"operation-created":        "The operation is recorded. Add its potential victims and suspects, and link its case files.",
	"operation-updated":        "The operation has been changed.",
	"operation-member-added":   "The person has been named on the operation and told.",
	"operation-member-removed": "The person has been taken off the operation. Their grant stays on record.",
	"operation-case-linked":    "The case file is linked to the operation.",
	"operation-case-unlinked":  "The case file is no longer linked to the operation. Its victims and suspects stay on the operation.",
	"victim-saved":             "The potential victim has been saved.",
	"suspect-saved":            "The suspect has been saved.",
	"charge-saved":             "The charge has been saved.",
	"outcome-recorded":         "The outcome is recorded on the suspect's record.",

	// Email.
	"user-invited":          "The account has been created, and a link to set a password is on its way to the person's email address.",
	"password-link-emailed": "A set-password link is on its way to their email address. It works once, within 24 hours, and earlier links no longer work.",
}

// notices are what a redirect can leave that is not a success but something the person must
// do: shown in an "Important" banner, not a green one. Keys, never text from a request.
var notices = map[string]string{
	"mfa-required": "Your roles need a second factor. Set one up to continue.",
}

// render fills in what every page shows (navigation, CSRF token, flash) and executes view into a
// buffer first, so a template failure becomes a clean error page rather than half a page.
func (p *Pages) render(c *gin.Context, status int, view string, data page) {
	t, ok := p.views[view]
	if !ok {
		p.renderFailure(c, fmt.Errorf("no view %q", view))
		return
	}
	if a, ok := api.Actor(c); ok {
		data.Actor = &a
	}
	if data.Nav == nil && data.Actor != nil && data.Actor.MFAPassed {
		data.Nav = navFor(data.Actor, p.s.Reach(c.Request.Context(), *data.Actor), c.Request.URL.Path)
	}
	data.CSRF = p.app.CSRFToken(c)
	if data.Flash == "" && data.Notice == "" {
		key := p.app.TakeFlash(c)
		data.Flash, data.Notice = flashes[key], notices[key]
	}
	if data.Form == nil {
		data.Form = url.Values{}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		p.renderFailure(c, fmt.Errorf("render %s: %w", view, err))
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// renderFailure is the last resort when a page cannot be rendered: log, then a plain 500.
func (p *Pages) renderFailure(c *gin.Context, err error) {
	p.log.ErrorContext(c.Request.Context(), "page failed", slog.String("request_id", api.RequestID(c)), slog.String("error", err.Error()))
	c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8",
		[]byte("Sorry, there is a problem with the service (reference "+api.RequestID(c)+")."))
}

// refill shows a form again with what was wrong, when err is about the input: invalid, a
// conflict, a throttle, a refused sign-in or too large. It calls show with the error's status,
// the form as posted (form, or else the request's posted form; without its CSRF token) and the
// errors: an error that names a field (invalid input, or a conflict such as a reference already
// used) is an inline error on that field and a summary link to it; any other is in the summary
// only (formFailed gives such errors a field). Any other error gets its error page.
func refill(c *gin.Context, err error, form url.Values, show func(status int, form url.Values, errs formErrors)) {
	var me *core.Error
	if !errors.As(err, &me) {
		api.WriteError(c, err)
		return
	}
	switch me.Code {
	case core.EINVALID, core.ECONFLICT, core.ETOOMANY, core.EUNAUTHENTICATED, core.ETOOLARGE:
	default:
		api.WriteError(c, err)
		return
	}
	errs := formErrors{{Message: me.Message, Field: me.Field}} // inline at its field, when it names one
	if len(me.Fields) > 0 {
		// Every problem of the input at once (core.Problems), each at its own field.
		errs = nil
		for _, f := range me.Fields {
			errs = append(errs, formError{Field: f.Field, Message: f.Message})
		}
	}
	if form == nil {
		_ = c.Request.ParseForm()
		form = c.Request.PostForm
	}
	form.Del("csrf_token")
	api.SetRetryAfter(c, err)
	show(api.StatusOf(me.Code), form, errs)
}

// atField is err shown at field when it names no field of its own.
func atField(err error, field string) error {
	var me *core.Error
	if field == "" || !errors.As(err, &me) || me.Field != "" {
		return err
	}
	at := *me
	at.Field = field
	return &at
}

// formFailed is refill for a form page rendered from view and data; an error that names no field
// is shown at field, the one the person most likely needs to change (GOV.UK: every message in
// the summary links to a field).
func (p *Pages) formFailed(c *gin.Context, err error, view string, data page, field string) {
	refill(c, atField(err, field), data.Form, func(status int, form url.Values, errs formErrors) {
		data.Form, data.Errors = form, append(errs, data.Errors...)
		p.render(c, status, view, data)
	})
}

// pathObject reads the path's :id and calls op with it (a read, a may-check, or an action that
// answers the object): what a handler on one object starts with, as api's pathObject. It answers
// a bad id or op's error itself (ok false).
func pathObject[T any](c *gin.Context, op func(context.Context, core.Actor, int64) (T, error)) (obj T, id int64, ok bool) {
	return pathView(c, func(c *gin.Context, id int64) (T, error) { return op(c.Request.Context(), actor(c), id) })
}

// pathView is pathObject for a page's own reader of what it shows of the object (view), which
// may call several operations. It answers a bad id or view's error itself (ok false).
func pathView[T any](c *gin.Context, view func(*gin.Context, int64) (T, error)) (v T, id int64, ok bool) {
	if id, ok = api.PathID(c, "id"); !ok {
		return v, 0, false
	}
	v, err := view(c, id)
	if err != nil {
		api.WriteError(c, err)
		return v, id, false
	}
	return v, id, true
}

// newForm checks with may that the actor may create an object, then reads the choices of its
// form with form: what a new-object page shows. It answers either error itself (ok false).
func newForm[T, F any](c *gin.Context, may func(context.Context, core.Actor) error, form func(*gin.Context, *T) (F, error)) (f F, ok bool) {
	if err := may(c.Request.Context(), actor(c)); err != nil {
		api.WriteError(c, err)
		return f, false
	}
	f, err := form(c, nil)
	if err != nil {
		api.WriteError(c, err)
		return f, false
	}
	return f, true
}

// editForm reads object id with load, then the choices of its form with form: what an edit page
// shows, and shows again when a change is refused. It answers either error itself (ok false).
func editForm[T, F any](c *gin.Context, id int64, load func(context.Context, core.Actor, int64) (T, error), form func(*gin.Context, *T) (F, error)) (obj T, f F, ok bool) {
	obj, err := load(c.Request.Context(), actor(c), id)
	if err != nil {
		api.WriteError(c, err)
		return obj, f, false
	}
	if f, err = form(c, &obj); err != nil {
		api.WriteError(c, err)
		return obj, f, false
	}
	return obj, f, true
}

// done answers a form's action: the page of its error, or the flash and a redirect to next.
func (p *Pages) done(c *gin.Context, err error, flash, next string) {
	if err != nil {
		api.WriteError(c, err)
		return
	}
	p.app.SetFlash(c, flash)
	api.Redirect(c, next)
}

// viewFuncs are the template functions of the views (components add their own).
func viewFuncs() template.FuncMap {
	return template.FuncMap{
		"roleLabel":    roleLabel,
		"kindLabel":    func(k core.OrgKind) string { return k.Label() },
		"vettingLabel": func(v core.Vetting) string { return v.Label() },
		"date":         formatDate,
		"dateTime":     formatDateTime,
		"operation":    casefile.OperationTitle,
		"offenceLabel": func(code string) string { return casefile.Offence(code).Label() },
		"humanBytes":   core.HumanBytes,
	}
}

// inFormOrder puts the problems of an EINVALID err in the order of fields, the order in which
// the form shows its fields, so that the error summary reads down the page (GOV.UK). Fields not
// named keep their place after the named ones.
func inFormOrder(err error, fields ...string) error {
	var me *core.Error
	if !errors.As(err, &me) || len(me.Fields) < 2 {
		return err
	}
	rank := func(f string) int {
		for i, name := range fields {
			if f == name || strings.HasPrefix(f, name+"-") {
				return i
			}
		}
		return len(fields)
	}
	out := *me
	out.Fields = slices.Clone(me.Fields)
	slices.SortStableFunc(out.Fields, func(a, b core.FieldError) int { return rank(a.Field) - rank(b.Field) })
	out.Field, out.Message = out.Fields[0].Field, out.Fields[0].Message
	return &out
}
