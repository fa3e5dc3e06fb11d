package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPI documents every /api/v1 route; TestOpenAPIMatchesRoutes keeps the two in step.
//
//go:embed openapi.json
var openAPI []byte

func handleOpenAPI() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Data(http.StatusOK, "application/json", openAPI)
	}
}
