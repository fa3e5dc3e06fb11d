package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models"
)

// addRoutes lists every route of MSP Hub, API and pages, with its limits and gates. Reading this
// function tells a newcomer the whole surface.
func addRoutes(e *gin.Engine, app *App) {
	e.GET("/healthz", handleHealth())
	e.GET("/readyz", handleReady(app.Health, app.Log))

	pages := e.Group("", bodyLimit(app.Cfg.MaxFormBytes))
	pages.GET("/", app.Pages.Start())
	pages.GET("/assets/*path", app.Pages.Asset())

	e.NoRoute(notFound(app.Pages.NotFound()))
	e.NoMethod(func(c *gin.Context) {
		app.renderStatus(c, http.StatusMethodNotAllowed, "method_not_allowed", "This address does not accept that method.", "")
	})
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
