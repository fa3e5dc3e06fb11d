package frontend

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/models/identity"
)

// localPath keeps a "next" address on this site: anything else goes home (no open redirect).
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// afterSignIn sends a browser where its sign-in step leads.
func (p *Pages) afterSignIn(c *gin.Context, s identity.SignedIn, next string) {
	p.app.SetSession(c, s.Token)
	switch s.Next {
	case identity.StepMFA:
		to := "/sign-in/mfa"
		if next = localPath(next); next != "/" {
			to += "?next=" + url.QueryEscape(next)
		}
		api.Redirect(c, to)
	case identity.StepEnrolMFA:
		p.app.SetFlash(c, "mfa-required")
		api.Redirect(c, "/account/mfa")
	default:
		api.Redirect(c, localPath(next))
	}
}

// SignInForm serves GET /sign-in.
func (p *Pages) SignInForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		if a, ok := api.Actor(c); ok && a.MFAPassed {
			api.Redirect(c, localPath(c.Query("next")))
			return
		}
		pg, err := p.signInPage(c, url.Values{"next": {c.Query("next")}})
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "sign_in", pg)
	}
}

// signInView says whether the sign-in page offers single sign-on.
type signInView struct {
	SingleSignOn bool
}

// signInPage is the sign-in page holding form.
func (p *Pages) signInPage(c *gin.Context, form url.Values) (page, error) {
	sso, err := p.s.OIDC.Offered(c.Request.Context())
	return page{Title: "Sign in", Form: form, Data: signInView{SingleSignOn: sso}}, err
}

// SignIn serves POST /sign-in.
func (p *Pages) SignIn() gin.HandlerFunc {
	return func(c *gin.Context) {
		s, err := p.s.Sessions.SignIn(c.Request.Context(), c.PostForm("email"), c.PostForm("password"))
		if err != nil {
			pg, perr := p.signInPage(c, postedWithoutPassword(c))
			if perr != nil {
				api.WriteError(c, perr)
				return
			}
			p.formFailed(c, err, "sign_in", pg, "email")
			return
		}
		p.afterSignIn(c, s, c.PostForm("next"))
	}
}

// MFAForm serves GET /sign-in/mfa: the second step of signing in.
func (p *Pages) MFAForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		a, _ := api.Actor(c)
		switch {
		case a.MFAPassed:
			api.Redirect(c, "/")
		case !a.MFAEnrolled:
			api.Redirect(c, "/account/mfa")
		default:
			p.render(c, http.StatusOK, "sign_in_mfa", page{Title: "Enter your security code", Form: url.Values{"next": {c.Query("next")}}})
		}
	}
}

// MFA serves POST /sign-in/mfa.
func (p *Pages) MFA() gin.HandlerFunc {
	return func(c *gin.Context) {
		s, err := p.s.Sessions.VerifyMFA(c.Request.Context(), p.app.SessionToken(c), c.PostForm("code"))
		if err != nil {
			p.formFailed(c, err, "sign_in_mfa", page{Title: "Enter your security code"}, "code")
			return
		}
		p.afterSignIn(c, s, c.PostForm("next"))
	}
}

// SignOut serves POST /sign-out.
func (p *Pages) SignOut() gin.HandlerFunc {
	return func(c *gin.Context) {
		if a, ok := api.Actor(c); ok {
			if err := p.s.Sessions.SignOut(c.Request.Context(), a); err != nil {
				api.WriteError(c, err)
				return
			}
		}
		p.app.ClearSession(c)
		p.app.SetFlash(c, "signed-out")
		api.Redirect(c, "/sign-in")
	}
}

// SetupForm serves GET /setup/:token, the first administrator's set-up page.
func (p *Pages) SetupForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := p.s.Accounts.CheckSetupLink(c.Request.Context(), c.Param("token")); err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "setup", page{Title: "Set up MSP Hub"})
	}
}

// Setup serves POST /setup/:token.
func (p *Pages) Setup() gin.HandlerFunc {
	return func(c *gin.Context) {
		in := identity.FirstAdmin{Name: c.PostForm("name"), Email: c.PostForm("email"), Password: c.PostForm("password")}
		s, err := p.s.Accounts.CreateFirstAdmin(c.Request.Context(), c.Param("token"), in)
		if err != nil {
			p.formFailed(c, err, "setup", page{Title: "Set up MSP Hub", Form: postedWithoutPassword(c)}, "name")
			return
		}
		p.app.SetSession(c, s.Token)
		p.app.SetFlash(c, "setup-signed-in")
		api.Redirect(c, "/account/mfa")
	}
}

// SetPasswordForm serves GET /set-password/:token.
func (p *Pages) SetPasswordForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		u, err := p.s.Accounts.SetPasswordLinkOwner(c.Request.Context(), c.Param("token"))
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "set_password", page{Title: "Set your password", Data: u})
	}
}

// SetPassword serves POST /set-password/:token.
func (p *Pages) SetPassword() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		err := p.s.Accounts.SetPasswordWithLink(ctx, c.Param("token"), c.PostForm("password"))
		if err != nil {
			u, lookupErr := p.s.Accounts.SetPasswordLinkOwner(ctx, c.Param("token"))
			if lookupErr != nil {
				api.WriteError(c, lookupErr)
				return
			}
			p.formFailed(c, err, "set_password", page{Title: "Set your password", Data: u, Form: map[string][]string{}}, "password")
			return
		}
		p.app.ClearSession(c)
		p.app.SetFlash(c, "password-set")
		api.Redirect(c, "/sign-in")
	}
}

// postedWithoutPassword is the posted form to show again, without the password typed.
func postedWithoutPassword(c *gin.Context) url.Values {
	_ = c.Request.ParseForm()
	form := c.Request.PostForm
	form.Del("password")
	return form
}
