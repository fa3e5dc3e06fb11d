package frontend

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
)

// accountView is the account overview.
type accountView struct {
	Organisation  core.Organisation
	CodesLeft     int64
	MFARequired   bool
	VettingLabel  string
	ClearanceText string
}

// Account serves GET /account.
func (p *Pages) Account() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, a := c.Request.Context(), actor(c)
		org, err := p.s.Organisations.Get(ctx, a, a.OrgID)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		left, err := p.s.Accounts.RecoveryCodesLeft(ctx, a)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "account", page{Title: "Your account", Data: accountView{
			Organisation: org, CodesLeft: left, VettingLabel: a.Vetting.Label(), ClearanceText: a.Clearance.String()}})
	}
}

// actor is the signed-in actor of a page behind requireActor or requireSession.
func actor(c *gin.Context) core.Actor {
	a, _ := api.Actor(c)
	return a
}

// PasswordForm serves GET /account/password.
func (p *Pages) PasswordForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		p.render(c, http.StatusOK, "account_password", page{Title: "Change your password"})
	}
}

// Password serves POST /account/password.
func (p *Pages) Password() gin.HandlerFunc {
	return func(c *gin.Context) {
		token, err := p.s.Accounts.ChangePassword(c.Request.Context(), actor(c), c.PostForm("current_password"), c.PostForm("new_password"))
		if err != nil {
			p.formFailed(c, err, "account_password", page{Title: "Change your password", Form: map[string][]string{}}, "new_password")
			return
		}
		p.app.SetSession(c, token)
		p.app.SetFlash(c, "password-changed")
		api.Redirect(c, "/account")
	}
}

// mfaView is the second-factor set-up page.
type mfaView struct {
	Enrolment identity.MFAEnrolment
	QR        template.URL // the QR code as a data: URL, which html/template would otherwise refuse
	Codes     []string     // recovery codes, shown once after set-up or renewal
}

// MFASetup serves GET /account/mfa: set up the second factor, or see its state.
func (p *Pages) MFASetup() gin.HandlerFunc {
	return func(c *gin.Context) {
		a := actor(c)
		if a.MFAEnrolled {
			if !a.MFAPassed {
				api.Redirect(c, "/sign-in/mfa")
				return
			}
			api.Redirect(c, "/account")
			return
		}
		p.mfaPage(c, http.StatusOK, page{})
	}
}

func (p *Pages) mfaPage(c *gin.Context, status int, data page) {
	enrol, err := p.s.Accounts.BeginMFA(c.Request.Context(), actor(c))
	if err != nil {
		api.WriteError(c, err)
		return
	}
	v := mfaView{Enrolment: enrol}
	// Only our own PNG, made by models, ever lands here; anything else is not shown.
	if strings.HasPrefix(enrol.QR, "data:image/png;base64,") {
		v.QR = template.URL(enrol.QR)
	}
	data.Title, data.Data = "Set up your second factor", v
	p.render(c, status, "account_mfa", data)
}

// MFAConfirm serves POST /account/mfa: confirm the set-up with a code, then show the recovery
// codes once.
func (p *Pages) MFAConfirm() gin.HandlerFunc {
	return func(c *gin.Context) {
		codes, token, err := p.s.Accounts.ConfirmMFA(c.Request.Context(), actor(c), c.PostForm("code"))
		if err != nil {
			refill(c, err, url.Values{}, func(status int, _ url.Values, errs formErrors) { p.mfaPage(c, status, page{Errors: errs}) })
			return
		}
		p.app.SetSession(c, token)
		p.render(c, http.StatusOK, "recovery_codes", page{Title: "Save your recovery codes", Flash: flashes["mfa-set-up"], Data: mfaView{Codes: codes}})
	}
}

// RecoveryCodes serves POST /account/mfa/recovery-codes: ten new codes, shown once.
func (p *Pages) RecoveryCodes() gin.HandlerFunc {
	return func(c *gin.Context) {
		codes, err := p.s.Accounts.NewRecoveryCodes(c.Request.Context(), actor(c))
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "recovery_codes", page{Title: "Save your recovery codes", Flash: flashes["recovery-codes-ok"], Data: mfaView{Codes: codes}})
	}
}

// tokensView is the API tokens page.
type tokensView struct {
	Tokens  []identity.APIToken
	Created string // the secret of a token just created, shown once
}

// Tokens serves GET /account/tokens.
func (p *Pages) Tokens() gin.HandlerFunc {
	return func(c *gin.Context) {
		p.tokensPage(c, http.StatusOK, page{Form: map[string][]string{"scope": {identity.ScopeRead}, "expires_in_days": {"30"}}}, "")
	}
}

func (p *Pages) tokensPage(c *gin.Context, status int, data page, created string) {
	list, err := p.s.Tokens.List(c.Request.Context(), actor(c))
	if err != nil {
		api.WriteError(c, err)
		return
	}
	data.Title, data.Data = "API tokens", tokensView{Tokens: list, Created: created}
	p.render(c, status, "account_tokens", data)
}

// TokenCreate serves POST /account/tokens and shows the new token's secret once.
func (p *Pages) TokenCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		days, _ := strconv.Atoi(c.PostForm("expires_in_days"))
		in := identity.NewToken{Name: c.PostForm("name"), Scope: c.PostForm("scope"), ExpiresIn: days}
		secret, _, err := p.s.Tokens.Create(c.Request.Context(), actor(c), in)
		if err != nil {
			refill(c, err, nil, func(status int, form url.Values, errs formErrors) {
				p.tokensPage(c, status, page{Form: form, Errors: errs}, "")
			})
			return
		}
		p.tokensPage(c, http.StatusCreated, page{Form: map[string][]string{"scope": {identity.ScopeRead}, "expires_in_days": {"30"}}}, secret)
	}
}

// TokenRevoke serves POST /account/tokens/:id/revoke.
func (p *Pages) TokenRevoke() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		p.done(c, p.s.Tokens.Revoke(c.Request.Context(), actor(c), id), "token-revoked", "/account/tokens")
	}
}

// Sessions serves GET /account/sessions.
func (p *Pages) Sessions() gin.HandlerFunc {
	return func(c *gin.Context) {
		list, err := p.s.Sessions.List(c.Request.Context(), actor(c))
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "account_sessions", page{Title: "Where you are signed in", Data: list})
	}
}

// SessionRevoke serves POST /account/sessions/:ref/revoke.
func (p *Pages) SessionRevoke() gin.HandlerFunc {
	return func(c *gin.Context) {
		p.done(c, p.s.Sessions.Revoke(c.Request.Context(), actor(c), c.Param("ref")), "session-revoked", "/account/sessions")
	}
}

// SignOutEverywhere serves POST /account/sessions/sign-out-everywhere.
func (p *Pages) SignOutEverywhere() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := p.s.Sessions.SignOutEverywhere(c.Request.Context(), actor(c)); err != nil {
			api.WriteError(c, err)
			return
		}
		p.app.ClearSession(c)
		p.app.SetFlash(c, "signed-out-all")
		api.Redirect(c, "/sign-in")
	}
}
