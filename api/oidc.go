package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models"
)

// OIDCPages are the pages of single sign-on: signing in through an organisation's OpenID
// provider, and the settings administrators give it. frontend implements them.
type OIDCPages interface {
	OIDCChoose() gin.HandlerFunc       // GET /sign-in/oidc: choose your organisation
	OIDCStart() gin.HandlerFunc        // GET /sign-in/oidc/:org: off to the provider
	OIDCCallback() gin.HandlerFunc     // GET /sign-in/oidc/callback: back from the provider
	OIDCSettingsForm() gin.HandlerFunc // GET /organisations/:id/single-sign-on
	OIDCSettings() gin.HandlerFunc     // POST /organisations/:id/single-sign-on
}

// oidcBrowserCookieName names the cookie that binds a sign-in through a provider to the browser
// that began it. It is SameSite=Lax, so it comes back on the provider's redirect (a top-level
// GET), and lives as long as an attempt.
func (a *App) oidcBrowserCookieName() string { return a.cookieName("msphub_oidc") }

// OIDCBrowser is the request's binding cookie, or "".
func (a *App) OIDCBrowser(c *gin.Context) string {
	v, _ := c.Cookie(a.oidcBrowserCookieName())
	return v
}

// SetOIDCBrowser gives the browser its binding cookie for the next ten minutes.
func (a *App) SetOIDCBrowser(c *gin.Context, value string) {
	a.setCookie(c, a.oidcBrowserCookieName(), value, 600)
}

// handleOIDCGet serves GET /api/v1/organisations/:id/oidc: the settings, never the secret.
func handleOIDCGet(o *models.OIDC) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := pathID(c, "id")
		if !ok {
			return
		}
		s, err := o.Settings(c.Request.Context(), actorOf(c), id)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, s)
	}
}

// handleOIDCPut serves PUT /api/v1/organisations/:id/oidc.
func handleOIDCPut(o *models.OIDC) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := pathID(c, "id")
		if !ok {
			return
		}
		var in models.OIDCInput
		if !bindJSON(c, &in) {
			return
		}
		s, err := o.Save(c.Request.Context(), actorOf(c), id, in)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, s)
	}
}
