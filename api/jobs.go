package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
)

// JobsPages are the administrators' page of the background jobs.
type JobsPages interface {
	AdminJobs() gin.HandlerFunc
}

// addJobRoutes lists the routes of the background jobs: the admin page in in, the API in v1.
func addJobRoutes(in, v1 *gin.RouterGroup, app *App) {
	in.GET("/admin/jobs", app.Pages.AdminJobs())
	v1.GET("/admin/jobs", handleJobList(app.Services.Jobs))
}

func handleJobList(jobs *core.Jobs) gin.HandlerFunc {
	return func(c *gin.Context) {
		list, err := jobs.List(c.Request.Context(), actorOf(c))
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"jobs": list})
	}
}
