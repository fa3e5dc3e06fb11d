package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models"
)

// addRoutes lists every route of MSP Hub, API and pages, with its limits and gates. Reading this
// function tells a newcomer the whole surface.
func addRoutes(e *gin.Engine, app *App) {
	p, s := app.Pages, app.Services

	// Machine endpoints and static assets: no session lookup.
	e.GET("/healthz", handleHealth())
	e.GET("/readyz", handleReady(app.Health, app.Log))
	e.GET("/assets/*path", p.Asset())

	// Everything else knows who is asking and refuses forged form posts. Bodies are limited to
	// the form size, or for uploads to the largest upload; upload routes set their own limit.
	r := e.Group("", bodyLimitByType(app.Cfg.MaxFormBytes, app.Cfg.maxUploadBytes()), app.authenticate(), app.csrf())

	// Pages anyone may open.
	r.GET("/", p.Start())
	r.GET("/sign-in", p.SignInForm())
	r.POST("/sign-in", p.SignIn())
	r.GET("/setup/:token", p.SetupForm())
	r.POST("/setup/:token", p.Setup())
	r.GET("/set-password/:token", p.SetPasswordForm())
	r.POST("/set-password/:token", p.SetPassword())

	// Pages that finish signing in: a password was given, the second factor may be pending.
	half := r.Group("", app.requireSession())
	half.GET("/sign-in/mfa", p.MFAForm())
	half.POST("/sign-in/mfa", p.MFA())
	half.GET("/account/mfa", p.MFASetup())
	half.POST("/account/mfa", p.MFAConfirm())
	half.POST("/sign-out", p.SignOut())

	// Pages for the fully signed in.
	in := r.Group("", app.requireActor())
	in.GET("/account", p.Account())
	in.GET("/account/password", p.PasswordForm())
	in.POST("/account/password", p.Password())
	in.POST("/account/mfa/recovery-codes", p.RecoveryCodes())
	in.GET("/account/tokens", p.Tokens())
	in.POST("/account/tokens", p.TokenCreate())
	in.POST("/account/tokens/:id/revoke", p.TokenRevoke())
	in.GET("/account/sessions", p.Sessions())
	in.POST("/account/sessions/:ref/revoke", p.SessionRevoke())
	in.POST("/account/sessions/sign-out-everywhere", p.SignOutEverywhere())

	in.GET("/users", p.Users())
	in.GET("/users/new", p.UserNewForm())
	in.POST("/users/new", p.UserCreate())
	in.GET("/users/:id", p.User())
	in.GET("/users/:id/edit", p.UserEditForm())
	in.POST("/users/:id/edit", p.UserUpdate())
	in.POST("/users/:id/disable", p.UserDisable())
	in.POST("/users/:id/enable", p.UserEnable())
	in.POST("/users/:id/reset-mfa", p.UserResetMFA())
	in.POST("/users/:id/set-password-link", p.UserPasswordLink())

	in.GET("/organisations", p.Organisations())
	in.GET("/organisations/new", p.OrganisationNewForm())
	in.POST("/organisations/new", p.OrganisationCreate())
	in.GET("/organisations/:id/edit", p.OrganisationEditForm())
	in.POST("/organisations/:id/edit", p.OrganisationUpdate())
	in.POST("/organisations/:id/deactivate", p.OrganisationDeactivate())
	in.POST("/organisations/:id/reactivate", p.OrganisationReactivate())

	in.GET("/audit", p.Audit())
	in.GET("/audit/export.csv", handleAuditExport(s.Audit))

	// The JSON API: a bearer token or a browser session (with X-CSRF-Token on changes).
	r.GET("/api/v1/openapi.json", handleOpenAPI(app.openAPI))
	v1 := r.Group("/api/v1", app.requireActor(), tokenScope())
	v1.GET("/me", handleMe())
	v1.GET("/organisations", handleOrganisationList(s.Organisations))
	v1.POST("/organisations", handleOrganisationCreate(s.Organisations))
	v1.GET("/organisations/:id", handleOrganisationGet(s.Organisations))
	v1.PATCH("/organisations/:id", handleOrganisationUpdate(s.Organisations))
	v1.GET("/users", handleUserList(s.Users))
	v1.POST("/users", handleUserCreate(s.Users))
	v1.GET("/users/:id", handleUser(s.Users.Get))
	v1.PATCH("/users/:id", handleUserUpdate(s.Users))
	v1.PUT("/users/:id/roles", handleUserRoles(s.Users))
	v1.POST("/users/:id/disable", handleUser(setDisabled(s.Users, true)))
	v1.POST("/users/:id/enable", handleUser(setDisabled(s.Users, false)))
	v1.POST("/users/:id/reset-mfa", handleUser(s.Users.ResetMFA))
	v1.POST("/users/:id/set-password-link", handleUserSetPasswordLink(s.Users))
	v1.GET("/tokens", handleTokenList(s.Tokens))
	v1.POST("/tokens", handleTokenCreate(s.Tokens))
	v1.DELETE("/tokens/:id", handleTokenRevoke(s.Tokens))
	v1.GET("/audit", handleAuditList(s.Audit))
	v1.GET("/audit/export", handleAuditExport(s.Audit))
	v1.POST("/audit/verify", handleAuditVerify(s.Audit))

	addGuidanceRoutes(r, in, v1, app)
	addTrainingRoutes(r, in, v1, app)
	addCaseRoutes(r, in, v1, app)

	e.NoRoute(app.authenticate(), notFound(p.NotFound()))
	e.NoMethod(func(c *gin.Context) {
		app.renderStatus(c, http.StatusMethodNotAllowed, "method_not_allowed", "This address does not accept that method.", "")
	})
}

// addGuidanceRoutes lists the routes of the guidance library: pages in in, API in v1.
func addGuidanceRoutes(r, in, v1 *gin.RouterGroup, app *App) {
}

// addTrainingRoutes lists the routes of training: pages in in, API in v1.
func addTrainingRoutes(r, in, v1 *gin.RouterGroup, app *App) {
}

// addCaseRoutes lists the routes of case files and CPS evidence packs: pages in in, API in v1.
func addCaseRoutes(r, in, v1 *gin.RouterGroup, app *App) {
}

// notFound answers unknown API paths with problem+json and everything else with the page.
func notFound(page gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if wantsPage(c) {
			page(c)
			return
		}
		writeError(c, models.NotFound("There is nothing at this address."))
	}
}
