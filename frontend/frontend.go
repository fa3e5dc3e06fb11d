// Package frontend serves MSP Hub's pages: html/template views in the GOV.UK Design System,
// rendered on the server so that every journey works without JavaScript, and the built
// front-end assets embedded from dist/.
package frontend

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/policies"
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
	maps.Copy(funcs, componentFuncs())
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/components.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if name == "templates/layout.html" || name == "templates/components.html" {
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
	Nav            []navItem
	Actor          *models.Actor // the signed-in user, if any
	CSRF           string        // the token every form of the page carries
	Flash          string        // a success message left by the previous request
	Errors         formErrors    // what was wrong with the form just posted
	Form           url.Values    // what was posted, to fill the form again
	ErrorTitle     string
	ErrorAdvice    []string
	Data           any
}

// Header is the generic header every page carries: the programme MSP Hub belongs to.
func (page) Header() genericHeader {
	return genericHeader{LogoText: "Modern slavery policing programme", URL: "/"}
}

// ServiceNav names the service and lists the page's navigation.
func (p page) ServiceNav() serviceNavigation {
	return serviceNavigation{ServiceName: "MSP Hub", ServiceURL: "/", Navigation: p.Nav}
}

// Value is what the form field name held when posted.
func (p page) Value(name string) string { return p.Form.Get(name) }

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
		anchor := fe.Field
		switch anchor {
		case "vetting_expires_on", "from", "to":
			anchor += "-day"
		}
		out = append(out, map[string]string{"text": fe.Message, "href": "#" + anchor})
	}
	return out
}

// navFor is the service navigation of a signed-in actor: what their roles let them reach.
func navFor(a *models.Actor, current string) []navItem {
	if a == nil || !a.MFAPassed {
		return nil
	}
	var items []navItem
	add := func(text, href string) {
		items = append(items, navItem{Text: text, Href: href, Current: href == current,
			Active: href != "/" && strings.HasPrefix(current, href+"/")})
	}
	add("Home", "/")
	if a.Has(policies.RoleAdmin) || a.Has(policies.RoleOrgAdmin) || a.Has(policies.RoleSupervisor) {
		add("People", "/users")
	}
	if a.Has(policies.RoleAdmin) {
		add("Organisations", "/organisations")
	}
	if a.Has(policies.RoleAuditor) {
		add("Audit log", "/audit")
	}
	add("Your account", "/account")
	return items
}

// flashes are the success messages a redirect can leave: keys, never text from a request.
var flashes = map[string]string{
	"signed-out":        "You have signed out.",
	"signed-out-all":    "You have signed out of every session.",
	"password-set":      "Your password is set. Sign in with it now.",
	"password-changed":  "Your password has been changed. Other sessions have been signed out.",
	"token-revoked":     "The API token has been revoked.",
	"session-revoked":   "The session has been signed out.",
	"user-created":      "The account has been created. Send the person a set-password link.",
	"user-updated":      "The account has been updated.",
	"user-disabled":     "The account has been disabled and its sessions ended.",
	"user-enabled":      "The account has been enabled.",
	"mfa-reset":         "The second factor has been removed. They will set up a new one at their next sign-in.",
	"org-created":       "The organisation has been added.",
	"org-updated":       "The organisation has been updated.",
	"org-deactivated":   "The organisation has been deactivated. Its people can no longer sign in.",
	"org-reactivated":   "The organisation has been reactivated.",
	"mfa-set-up":        "Your second factor is set up.",
	"setup-signed-in":   "Your administrator account is created. Now set up your second factor.",
	"mfa-required":      "Your roles need a second factor. Set one up to continue.",
	"session-ended":     "Your session has ended. Sign in again.",
	"recovery-codes-ok": "New recovery codes are shown below. The old ones no longer work.",
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
	if data.Nav == nil {
		data.Nav = navFor(data.Actor, c.Request.URL.Path)
	}
	data.CSRF = p.app.CSRFToken(c)
	if data.Flash == "" {
		data.Flash = flashes[p.app.TakeFlash(c)]
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

// formFailed shows a form again with what was wrong, when err is about the input (a field, a
// conflict, a throttle); any other error gets its error page. An error that names no field is
// linked from the summary to defaultField.
func (p *Pages) formFailed(c *gin.Context, err error, view string, data page, defaultField string) {
	var me *models.Error
	if !errors.As(err, &me) {
		api.WriteError(c, err)
		return
	}
	switch me.Code {
	case models.EINVALID, models.ECONFLICT, models.ETOOMANY, models.EUNAUTHENTICATED:
	default:
		api.WriteError(c, err)
		return
	}
	field := me.Field
	if field == "" {
		field = defaultField
	}
	data.Errors = append(formErrors{{Field: field, Message: me.Message}}, data.Errors...)
	if data.Form == nil {
		_ = c.Request.ParseForm()
		data.Form = c.Request.PostForm
	}
	data.Form.Del("csrf_token")
	p.render(c, api.StatusOf(me.Code), view, data)
}

// viewFuncs are the template functions of the views (components add their own).
func viewFuncs() template.FuncMap {
	return template.FuncMap{
		"roleLabel":    roleLabel,
		"kindLabel":    func(k models.OrgKind) string { return k.Label() },
		"vettingLabel": func(v models.Vetting) string { return v.Label() },
		"date":         formatDate,
		"dateTime":     formatDateTime,
	}
}
