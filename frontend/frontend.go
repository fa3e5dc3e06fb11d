// Package frontend serves MSP Hub's pages: html/template views in the GOV.UK Design System,
// rendered on the server so that every journey works without JavaScript, and the built
// front-end assets embedded from dist/.
package frontend

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Pages renders the pages. Build it with New.
type Pages struct {
	log    *slog.Logger
	assets *assets
	views  map[string]*template.Template
}

var _ api.Pages = (*Pages)(nil)

// New parses the templates and indexes the embedded assets. It fails when the assets were not
// built (run `make run` or `make assets`), rather than serving unstyled pages.
func New(log *slog.Logger) (*Pages, error) {
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	p := &Pages{log: log, assets: a, views: map[string]*template.Template{}}
	funcs := template.FuncMap{"asset": a.url}
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
		p.views[name[len("templates/"):len(name)-len(".html")]] = t
	}
	return p, nil
}

// page is what the layout needs; Data carries the view's own fields.
type page struct {
	Title          string
	Classification string // protective marking shown top and bottom; empty for none
	Nav            []navItem
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

// render executes view into a buffer first, so a template failure becomes a clean error page
// rather than half a page.
func (p *Pages) render(c *gin.Context, status int, view string, data page) {
	t, ok := p.views[view]
	if !ok {
		p.renderFailure(c, fmt.Errorf("no view %q", view))
		return
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
