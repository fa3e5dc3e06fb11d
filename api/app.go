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
	Asset() gin.HandlerFunc
	NotFound() gin.HandlerFunc
	Start() gin.HandlerFunc

	// Signing in and out, set-up and set-password links.
	SignInForm() gin.HandlerFunc
	SignIn() gin.HandlerFunc
	MFAForm() gin.HandlerFunc
	MFA() gin.HandlerFunc
	SignOut() gin.HandlerFunc
	SetupForm() gin.HandlerFunc
	Setup() gin.HandlerFunc
	SetPasswordForm() gin.HandlerFunc
	SetPassword() gin.HandlerFunc

	// The account: password, second factor, API tokens, sessions.
	Account() gin.HandlerFunc
	PasswordForm() gin.HandlerFunc
	Password() gin.HandlerFunc
	MFASetup() gin.HandlerFunc
	MFAConfirm() gin.HandlerFunc
	RecoveryCodes() gin.HandlerFunc
	Tokens() gin.HandlerFunc
	TokenCreate() gin.HandlerFunc
	TokenRevoke() gin.HandlerFunc
	Sessions() gin.HandlerFunc
	SessionRevoke() gin.HandlerFunc
	SignOutEverywhere() gin.HandlerFunc

	// People and organisations.
	Users() gin.HandlerFunc
	UserNewForm() gin.HandlerFunc
	UserCreate() gin.HandlerFunc
	User() gin.HandlerFunc
	UserEditForm() gin.HandlerFunc
	UserUpdate() gin.HandlerFunc
	UserDisable() gin.HandlerFunc
	UserEnable() gin.HandlerFunc
	UserResetMFA() gin.HandlerFunc
	UserPasswordLink() gin.HandlerFunc
	Organisations() gin.HandlerFunc
	OrganisationNewForm() gin.HandlerFunc
	OrganisationCreate() gin.HandlerFunc
	OrganisationEditForm() gin.HandlerFunc
	OrganisationUpdate() gin.HandlerFunc
	OrganisationDeactivate() gin.HandlerFunc
	OrganisationReactivate() gin.HandlerFunc

	// The audit log.
	Audit() gin.HandlerFunc
}

// App is what the routes need: configuration, the log, the models operations and the pages.
type App struct {
	Cfg      Config
	Log      *slog.Logger
	Health   *models.Health
	Services *models.Services
	Pages    Pages
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
