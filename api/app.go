// Package api is the HTTP side of MSP Hub: the gin engine, its middleware, every route (in
// routes.go) and the JSON handlers. Pages come from frontend through the Pages interface.
package api

import (
	"log/slog"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models"
)

// Config holds the HTTP settings.
type Config struct {
	HTTPS          bool     // the public URL is https: send HSTS, mark cookies Secure
	TrustedProxies []string // addresses whose X-Forwarded-For is believed; none by default
	MaxFormBytes   int64    // body limit of ordinary forms and JSON requests
}

// Pages are the server-rendered pages, implemented by frontend. The routes that serve them
// are listed with every other route in routes.go.
type Pages interface {
	ErrorPages
	Start() gin.HandlerFunc
	Asset() gin.HandlerFunc
	NotFound() gin.HandlerFunc
}

// App is what the routes need: configuration, the log, the models operations and the pages.
type App struct {
	Cfg    Config
	Log    *slog.Logger
	Health *models.Health
	Pages  Pages
}

// NewEngine builds the gin engine with the middleware every request passes through and all
// routes.
func NewEngine(app *App) (*gin.Engine, error) {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	if err := e.SetTrustedProxies(app.Cfg.TrustedProxies); err != nil {
		return nil, err
	}
	e.Use(
		requestID(),
		accessLog(app.Log),
		app.recovery(),
		app.respond(),
		securityHeaders(app.Cfg.HTTPS),
	)
	addRoutes(e, app)
	return e, nil
}
