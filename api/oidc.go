package api

import (
	"github.com/gin-gonic/gin"
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
