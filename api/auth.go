package api

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
)

const (
	actorKey   = "msphub.actor"
	sessionKey = "msphub.session"
)

// Cookie names. With an https public URL they carry the __Host- prefix, which browsers accept
// only from a secure origin, for the whole site and without a Domain: no subdomain can plant one.
func (a *App) sessionCookieName() string { return a.cookieName("msphub_session") }
func (a *App) csrfCookieName() string    { return a.cookieName("msphub_csrf") }
func (a *App) flashCookieName() string   { return a.cookieName("msphub_flash") }

func (a *App) cookieName(base string) string {
	if a.Cfg.HTTPS {
		return "__Host-" + base
	}
	return base
}

// setCookie writes an HttpOnly, SameSite=Lax cookie for the whole site, Secure over https. A
// zero maxAge makes a cookie that ends with the browser; a negative one deletes it.
func (a *App) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: a.Cfg.HTTPS, SameSite: http.SameSiteLaxMode,
	})
}

// SetSession gives the browser a session cookie (after sign-in or a change of privilege).
func (a *App) SetSession(c *gin.Context, token string) {
	a.setCookie(c, a.sessionCookieName(), token, 0)
}

// SessionToken is the request's session cookie value, for the steps that replace the session.
func (a *App) SessionToken(c *gin.Context) string {
	v, _ := c.Cookie(a.sessionCookieName())
	return v
}

// ClearSession removes the session cookie.
func (a *App) ClearSession(c *gin.Context) { a.setCookie(c, a.sessionCookieName(), "", -1) }

// Actor returns the signed-in actor of the request, if any.
func Actor(c *gin.Context) (core.Actor, bool) {
	v, ok := c.Get(actorKey)
	if !ok {
		return core.Actor{}, false
	}
	return v.(core.Actor), true
}

// actorOf is the actor of a request that passed requireActor.
func actorOf(c *gin.Context) core.Actor {
	a, _ := Actor(c)
	return a
}

// authenticate resolves a bearer API token or a session cookie into the Actor of the request,
// and attaches the request's ID, address and user agent for the audit log. A request with a bad
// bearer token fails at once; a session that has ended is forgotten and the request continues as
// anonymous, so the page can ask the person to sign in again.
func (a *App) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := core.WithRequestInfo(c.Request.Context(), core.RequestInfo{
			ID: RequestID(c), ClientIP: c.ClientIP(), UserAgent: c.Request.UserAgent(),
		})
		// The query that authenticates also reads the change counters a list's ETag needs.
		ctx = core.ExpectVersions(ctx)
		c.Request = c.Request.WithContext(ctx)
		if h := c.GetHeader("Authorization"); h != "" {
			scheme, token, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") || token == "" {
				writeError(c, core.Unauthenticated("Send an API token as: Authorization: Bearer <token>"))
				return
			}
			actor, err := a.Services.Tokens.Authenticate(ctx, strings.TrimSpace(token))
			if err != nil {
				writeError(c, err)
				return
			}
			c.Set(actorKey, actor)
			c.Next()
			return
		}
		if cookie, err := c.Cookie(a.sessionCookieName()); err == nil && cookie != "" {
			actor, sess, err := a.Services.Sessions.Authenticate(ctx, cookie)
			switch {
			case err == nil:
				c.Set(actorKey, actor)
				c.Set(sessionKey, sess)
			case core.ErrorCode(err) == core.EUNAUTHENTICATED:
				a.ClearSession(c)
			default:
				writeError(c, err)
				return
			}
		}
		c.Next()
	}
}

// CSRFToken is the token forms of this request must carry: the session's, or for a browser not
// signed in, the value of a random cookie it is given now (double submit).
func (a *App) CSRFToken(c *gin.Context) string {
	if v, ok := c.Get(sessionKey); ok {
		return v.(identity.Session).CSRFToken
	}
	if v, err := c.Cookie(a.csrfCookieName()); err == nil && len(v) >= 32 {
		return v
	}
	if v := c.GetString("msphub.csrf_new"); v != "" {
		return v
	}
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	v := base64.RawURLEncoding.EncodeToString(b)
	c.Set("msphub.csrf_new", v)
	http.SetCookie(c.Writer, &http.Cookie{Name: a.csrfCookieName(), Value: v, Path: "/", HttpOnly: true,
		Secure: a.Cfg.HTTPS, SameSite: http.SameSiteStrictMode})
	return v
}

// csrf refuses an unsafe request from a browser unless it carries the CSRF token, in the form
// field csrf_token or the X-CSRF-Token header. Requests authenticated by a bearer token carry no
// cookie a third-party page could ride on, so they need none.
func (a *App) csrf() gin.HandlerFunc {
	return func(c *gin.Context) {
		switch c.Request.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			c.Next()
			return
		}
		if actor, ok := Actor(c); ok && actor.TokenID != 0 {
			c.Next()
			return
		}
		want := ""
		if v, ok := c.Get(sessionKey); ok {
			want = v.(identity.Session).CSRFToken
		} else if !wantsPage(c) || c.Request.URL.Path == "/sign-out" {
			// Signing out without a session has nothing to protect: the page just moves on.
			// An API request with neither session nor token carries no credentials a forged
			// request could ride on: it is simply not signed in (401 follows).
			c.Next()
			return
		} else if v, err := c.Cookie(a.csrfCookieName()); err == nil {
			want = v
		}
		got := c.GetHeader("X-CSRF-Token")
		ok := false
		switch {
		case want == "":
		case got != "":
			ok = sameToken(got, want)
		case strings.HasPrefix(c.ContentType(), "application/x-www-form-urlencoded"):
			ok = sameToken(c.PostForm("csrf_token"), want)
		case strings.HasPrefix(c.ContentType(), "multipart/form-data"):
			ok = a.checkMultipartCSRF(c, want)
		}
		if !ok {
			writeError(c, core.Forbidden("This form has expired. Go back, refresh the page and try again."))
			return
		}
		c.Next()
	}
}

// sameToken compares tokens in constant time.
func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// requireActor lets only fully signed-in requests through: an API caller without a valid token
// gets 401; a browser is sent to sign in, or to finish signing in with its second factor.
func (a *App) requireActor() gin.HandlerFunc {
	return func(c *gin.Context) {
		actor, ok := Actor(c)
		switch {
		case ok && actor.MFAPassed:
			c.Next()
		case !wantsPage(c):
			writeError(c, core.Unauthenticated("Sign in, or send an API token as: Authorization: Bearer <token>"))
		case ok && actor.MFAEnrolled:
			redirect(c, "/sign-in/mfa")
		case ok:
			redirect(c, "/account/mfa")
		default:
			redirect(c, "/sign-in?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		}
	}
}

// requireSession lets through a browser that has signed in with its password, whether or not it
// has passed its second factor yet: the pages that complete signing in.
func (a *App) requireSession() gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, ok := c.Get(sessionKey); ok {
			c.Next()
			return
		}
		redirect(c, "/sign-in")
	}
}

// tokenScope refuses changes made with a read-only API token.
func tokenScope() gin.HandlerFunc {
	return func(c *gin.Context) {
		if actor, ok := Actor(c); ok && actor.TokenScope == identity.ScopeRead {
			switch c.Request.Method {
			case http.MethodGet, http.MethodHead:
			default:
				writeError(c, core.Forbidden("This API token is read-only: create a read-write token to make changes."))
				return
			}
		}
		c.Next()
	}
}

// redirect answers with 303 See Other, the right status after a form post and for a browser
// that must go elsewhere first.
func redirect(c *gin.Context, to string) {
	c.Redirect(http.StatusSeeOther, to)
	c.Abort()
}

// Redirect is redirect for the pages in frontend.
func Redirect(c *gin.Context, to string) { redirect(c, to) }

// SetFlash leaves a one-line success message for the next page the browser loads. The value
// is a key of messages the pages know, never text from the request.
func (a *App) SetFlash(c *gin.Context, key string) { a.setCookie(c, a.flashCookieName(), key, 60) }

// TakeFlash returns and clears the flash key left by the previous request.
func (a *App) TakeFlash(c *gin.Context) string {
	v, err := c.Cookie(a.flashCookieName())
	if err != nil || v == "" {
		return ""
	}
	a.setCookie(c, a.flashCookieName(), "", -1)
	return v
}
