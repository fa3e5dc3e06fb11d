package api

import (
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
)

// handleHealth says the process is alive; it checks nothing else, so a slow database never
// gets a healthy process restarted.
func handleHealth() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	}
}

// handleReady says whether this replica can serve: the database and the blob store answer
// within two seconds. The answer names failing checks but never why (that goes to the log).
func handleReady(health *core.Health, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		checks := health.Ready(c.Request.Context(), 2*time.Second)
		sort.Slice(checks, func(i, j int) bool { return checks[i].Name < checks[j].Name })
		status, body := http.StatusOK, gin.H{"status": "ready"}
		result := gin.H{}
		for _, ch := range checks {
			if ch.Err != nil {
				status, body["status"] = http.StatusServiceUnavailable, "unavailable"
				result[ch.Name] = "failing"
				log.WarnContext(c.Request.Context(), "readiness check failed",
					slog.String("check", ch.Name), slog.String("error", ch.Err.Error()))
				continue
			}
			result[ch.Name] = "ok"
		}
		body["checks"] = result
		c.JSON(status, body)
	}
}
