package frontend

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
)

// oidcChooseView is the page where a person chooses the organisation they sign in through.
type oidcChooseView struct {
	Organisations []core.Organisation
	Query         string // "?next=…" to carry to the organisation's sign-in, or ""
}

// OIDCChoose serves GET /sign-in/oidc: the organisations with single sign-on, each a link to
// its sign-in. Links rather than a form: the Content-Security-Policy's form-action 'self' would
// stop a form's redirect to the provider.
func (p *Pages) OIDCChoose() gin.HandlerFunc {
	return func(c *gin.Context) {
		next := localPath(c.Query("next"))
		if a, ok := api.Actor(c); ok && a.MFAPassed {
			api.Redirect(c, next)
			return
		}
		orgs, err := p.s.OIDC.Organisations(c.Request.Context())
		if err != nil {
			api.WriteError(c, err)
			return
		}
		v := oidcChooseView{Organisations: orgs}
		if next != "/" {
			v.Query = "?next=" + url.QueryEscape(next)
		}
		p.render(c, http.StatusOK, "oidc_choose", page{Title: "Sign in with your organisation", Form: url.Values{"next": {c.Query("next")}}, Data: v})
	}
}

// OIDCStart serves GET /sign-in/oidc/:org: it begins the sign-in and sends the browser to the
// organisation's provider.
func (p *Pages) OIDCStart() gin.HandlerFunc {
	return func(c *gin.Context) {
		next := localPath(c.Query("next"))
		if a, ok := api.Actor(c); ok && a.MFAPassed {
			api.Redirect(c, next)
			return
		}
		start, err := p.s.OIDC.Begin(c.Request.Context(), c.Param("org"), p.app.OIDCBrowser(c), next)
		if err != nil {
			p.oidcFailed(c, err)
			return
		}
		p.app.SetOIDCBrowser(c, start.Browser)
		api.Redirect(c, start.URL)
	}
}

// OIDCCallback serves GET /sign-in/oidc/callback, where the provider sends the browser back.
func (p *Pages) OIDCCallback() gin.HandlerFunc {
	return func(c *gin.Context) {
		res, err := p.s.OIDC.Finish(c.Request.Context(), identity.OIDCCallback{
			State: c.Query("state"), Code: c.Query("code"), Error: c.Query("error"), Browser: p.app.OIDCBrowser(c),
		})
		if err != nil {
			p.oidcFailed(c, err)
			return
		}
		p.app.SetSession(c, res.Token)
		api.Redirect(c, localPath(res.Next))
	}
}

// oidcFailed shows why signing in through a provider did not work, and what to do: start
// again, or sign in with a password. Anything unexpected gets the error page with a reference.
func (p *Pages) oidcFailed(c *gin.Context, err error) {
	var me *core.Error
	if !errors.As(err, &me) {
		api.WriteError(c, err)
		return
	}
	title := "You could not be signed in"
	switch me.Code {
	case core.ENOTFOUND:
		title = "Single sign-on is not available"
	case core.EUNAVAILABLE:
		title = "Your organisation's sign-in service is not answering"
	case core.EUNAUTHENTICATED, core.EFORBIDDEN:
	default:
		api.WriteError(c, err)
		return
	}
	p.render(c, api.StatusOf(me.Code), "oidc_error", page{Title: title, ErrorTitle: title, ErrorAdvice: []string{me.Message}})
}

// oidcSettingsView is the single sign-on settings page of one organisation.
type oidcSettingsView struct {
	Organisation core.Organisation
	Settings     identity.OIDCSettings
}

// Roles are the roles whose claim values the page asks for, each with its field.
func (oidcSettingsView) Roles() []oidcRoleField {
	var out []oidcRoleField
	for _, r := range identity.ProviderRoles() {
		out = append(out, oidcRoleField{Role: r.Name, Field: "role-" + r.Name, Label: r.Label})
	}
	return out
}

type oidcRoleField struct {
	Role, Field, Label string
}

// EnabledItems is the one checkbox that turns single sign-on on.
func (oidcSettingsView) EnabledItems(form url.Values) []item {
	return choiceItems([]string{"yes"}, []string{"Let people of this organisation sign in through its identity provider"}, []string{form.Get("enabled")})
}

// oidcForm fills the form from stored settings.
func oidcForm(s identity.OIDCSettings) url.Values {
	f := url.Values{"issuer_url": {s.IssuerURL}, "client_id": {s.ClientID}, "scopes": {strings.Join(s.Scopes, " ")},
		"email_claim": {s.EmailClaim}, "role_claim": {s.RoleClaim}}
	if s.Enabled {
		f.Set("enabled", "yes")
	}
	for role, values := range s.RoleMappings {
		f.Set("role-"+role, strings.Join(values, "\n"))
	}
	return f
}

// oidcInput reads the posted form.
func oidcInput(c *gin.Context) identity.OIDCInput {
	in := identity.OIDCInput{Enabled: c.PostForm("enabled") == "yes", IssuerURL: c.PostForm("issuer_url"), ClientID: c.PostForm("client_id"),
		ClientSecret: c.PostForm("client_secret"), Scopes: []string{c.PostForm("scopes")}, EmailClaim: c.PostForm("email_claim"),
		RoleClaim: c.PostForm("role_claim"), RoleMappings: map[string][]string{}}
	for _, r := range identity.ProviderRoles() {
		for _, v := range strings.Split(c.PostForm("role-"+r.Name), "\n") {
			if v = strings.TrimSpace(v); v != "" {
				in.RoleMappings[r.Name] = append(in.RoleMappings[r.Name], v)
			}
		}
	}
	return in
}

// oidcTitle is the settings page's title for org.
func oidcTitle(org core.Organisation) string { return "Single sign-on for " + org.Name }

// OIDCSettingsForm serves GET /organisations/:id/single-sign-on.
func (p *Pages) OIDCSettingsForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		v, ok := p.oidcSettings(c, id)
		if !ok {
			return
		}
		p.render(c, http.StatusOK, "oidc_settings", page{Title: oidcTitle(v.Organisation), Form: oidcForm(v.Settings), Data: v})
	}
}

// oidcSettings reads what the single sign-on settings page of organisation id shows: the
// settings, then the organisation. It answers the error itself when ok is false.
func (p *Pages) oidcSettings(c *gin.Context, id int64) (v oidcSettingsView, ok bool) {
	ctx, a := c.Request.Context(), actor(c)
	s, err := p.s.OIDC.Settings(ctx, a, id)
	if err != nil {
		api.WriteError(c, err)
		return v, false
	}
	org, err := p.s.Organisations.Get(ctx, a, id)
	if err != nil {
		api.WriteError(c, err)
		return v, false
	}
	return oidcSettingsView{Organisation: org, Settings: s}, true
}

// OIDCSettings serves POST /organisations/:id/single-sign-on.
func (p *Pages) OIDCSettings() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		_, err := p.s.OIDC.Save(c.Request.Context(), actor(c), id, oidcInput(c))
		if err == nil {
			p.app.SetFlash(c, "oidc-saved")
			api.Redirect(c, c.Request.URL.Path)
			return
		}
		var me *core.Error
		if errors.As(err, &me) && strings.HasPrefix(me.Field, "role_mappings.") {
			me.Field = "role-" + strings.TrimPrefix(me.Field, "role_mappings.")
		}
		v, ok := p.oidcSettings(c, id)
		if !ok {
			return
		}
		_ = c.Request.ParseForm()
		form := url.Values{}
		for k, vs := range c.Request.PostForm {
			if k != "client_secret" && k != "csrf_token" {
				form[k] = vs
			}
		}
		p.formFailed(c, err, "oidc_settings", page{Title: oidcTitle(v.Organisation), Form: form, Data: v}, "issuer_url")
	}
}
