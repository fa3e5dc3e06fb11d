// Package api is the HTTP side of MSP Hub: the gin engine, its middleware, every route (in
// routes.go) and the JSON handlers. Pages come from frontend through the Pages interface.
package api

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/core"
	"github.com/prometheus/client_golang/prometheus"
)

// Config holds the HTTP settings.
type Config struct {
	HTTPS          bool     // the public URL is https: send HSTS, mark cookies Secure
	TrustedProxies []string // addresses whose X-Forwarded-For is believed; none by default
	MaxFormBytes   int64    // body limit of ordinary forms and JSON requests
	MaxUploads     int      // uploads streamed at once; more wait their turn

	MaxAttachmentBytes int64 // largest guidance attachment
	MaxMaterialBytes   int64 // largest training material file
	MaxEvidenceBytes   int64 // largest evidence file

	Metrics MetricsAccess // who may read /metrics: loopback only unless configured

	// RequestTimeout ends a request that makes no progress this long (see requestDeadline);
	// zero: no limit.
	RequestTimeout time.Duration
}

// maxUploadBytes is the largest body any upload route accepts; each route sets its own below it.
func (c Config) maxUploadBytes() int64 {
	return max(c.MaxAttachmentBytes, c.MaxMaterialBytes, c.MaxEvidenceBytes, c.MaxFormBytes) + uploadSlack
}

// uploadSlack allows for the form around a file: boundaries, headers and the other fields.
const uploadSlack = 2 << 20

// Pages are the server-rendered pages, implemented by frontend, one interface per area. The
// routes that serve them are listed with every other route in routes.go.
type Pages interface {
	ErrorPages
	IdentityPages
	GuidancePages
	TrainingPages
	CasePages
	DisclosurePages
	OperationPages
	JobsPages
	OIDCPages
	OperationsImportPages
	StatisticsPages
}

// OperationPages are the pages of the operations database (issue 12), and the outcome of a
// charge recorded from the case page.
type OperationPages interface {
	Operations() gin.HandlerFunc
	OperationNewForm() gin.HandlerFunc
	OperationCreate() gin.HandlerFunc
	Operation() gin.HandlerFunc
	OperationEditForm() gin.HandlerFunc
	OperationUpdate() gin.HandlerFunc
	OperationMemberAdd() gin.HandlerFunc
	OperationMemberRemove() gin.HandlerFunc
	OperationCaseLink() gin.HandlerFunc
	OperationCaseUnlink() gin.HandlerFunc
	VictimNewForm() gin.HandlerFunc
	VictimCreate() gin.HandlerFunc
	VictimEditForm() gin.HandlerFunc
	VictimUpdate() gin.HandlerFunc
	SuspectNewForm() gin.HandlerFunc
	SuspectCreate() gin.HandlerFunc
	SuspectEditForm() gin.HandlerFunc
	SuspectUpdate() gin.HandlerFunc
	ChargeNewForm() gin.HandlerFunc
	ChargeCreate() gin.HandlerFunc
	ChargeEditForm() gin.HandlerFunc
	ChargeUpdate() gin.HandlerFunc
	CaseChargeOutcome() gin.HandlerFunc
}

// IdentityPages are the pages of the start, signing in, the account, people, organisations and
// the audit log.
type IdentityPages interface {
	Asset() gin.HandlerFunc
	NotFound() gin.HandlerFunc
	Start() gin.HandlerFunc
	// Confirm asks before an action that cannot be undone (kind names it), and passes the
	// request on once the person has said yes.
	Confirm(kind string) gin.HandlerFunc

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
	Health   *core.Health
	Services *models.Services
	Pages    Pages
	Registry *prometheus.Registry // where the metrics are registered; a new one when nil

	uploads gin.HandlerFunc // the one queue every upload route shares
	openAPI []byte          // the merged OpenAPI document
	metrics *metrics        // request and transfer metrics, served at /metrics
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
	if app.Registry == nil {
		app.Registry = prometheus.NewRegistry()
	}
	m, err := newMetrics(app.Registry, app.Services.Monitor)
	if err != nil {
		return nil, err
	}
	app.metrics = m
	e.Use(
		requestID(),
		m.observe(),
		accessLog(app.Log),
		app.recovery(),
		requestDeadline(app.Cfg.RequestTimeout), // outside respond: errors render before the context ends
		app.respond(),
		securityHeaders(app.Cfg.HTTPS),
	)
	app.uploads = uploadSlots(app.Cfg.MaxUploads)
	doc, err := openAPIDocument()
	if err != nil {
		return nil, fmt.Errorf("OpenAPI document: %w", err)
	}
	app.openAPI = doc
	addRoutes(e, app)
	return e, nil
}
