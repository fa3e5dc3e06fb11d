package identity

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// Sign-in methods a session records.
const (
	SignInPassword = "password" // email address, password and (if the roles need it) TOTP
	SignInOIDC     = "oidc"     // the organisation's OpenID provider, which owns the second factor
)

// OIDCCallbackPath is where every organisation's provider sends the browser back: the redirect
// URI administrators register with their provider is the public URL followed by this path.
const OIDCCallbackPath = "/sign-in/oidc/callback"

const (
	oidcSecretPurpose   = "oidc_client_secret"
	oidcVerifierPurpose = "oidc_pkce_verifier"
	oidcDefaultScopes   = "openid email profile"
	oidcDefaultEmail    = "email"
	oidcMaxValues       = 50 // claim values per role
	oidcMaxScopes       = 20 // scopes asked for
	oidcHTTPTimeout     = 10 * time.Second
	oidcProviderTTL     = time.Hour
	oidcAttemptTTL      = 10 * time.Minute
)

// oidcConfig is an organisation's single sign-on settings as stored.
type oidcConfig struct {
	OrganisationID int64 `gorm:"primaryKey;autoIncrement:false"`
	Enabled        bool
	IssuerURL      string
	ClientID       string
	ClientSecret   string // sealed: only the token exchange opens it
	Scopes         string // space separated, openid first
	EmailClaim     string
	RoleClaim      string
	UpdatedBy      *int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (oidcConfig) TableName() string { return "oidc_configs" }

// oidcRoleMapping says that a value of the role claim gives a role in the organisation.
type oidcRoleMapping struct {
	ID             int64
	OrganisationID int64
	Role           string
	ClaimValue     string
}

func (oidcRoleMapping) TableName() string { return "oidc_role_mappings" }

// OIDCSettings are an organisation's single sign-on settings as administrators see them. The
// client secret is never shown: only whether one is stored.
type OIDCSettings struct {
	OrganisationID  int64      `json:"organisation_id"`
	Configured      bool       `json:"configured"` // false: nothing saved yet, the rest are defaults
	Enabled         bool       `json:"enabled"`
	IssuerURL       string     `json:"issuer_url"`
	ClientID        string     `json:"client_id"`
	ClientSecretSet bool       `json:"client_secret_set"`
	Scopes          []string   `json:"scopes"`
	EmailClaim      string     `json:"email_claim"`
	RoleClaim       string     `json:"role_claim"`
	UpdatedAt       *time.Time `json:"updated_at,omitempty"`
	// RoleMappings gives, for each role, the values of the role claim that give it.
	RoleMappings map[string][]string `json:"role_mappings"`
	// RedirectURI is the address to register with the provider; SignInURL is the address
	// that starts this organisation's single sign-on (for a bookmark or the provider's portal).
	RedirectURI string `json:"redirect_uri"`
	SignInURL   string `json:"sign_in_url"`
}

// OIDCInput is what an administrator gives to set up an organisation's single sign-on.
type OIDCInput struct {
	Enabled      bool     `json:"enabled"`
	IssuerURL    string   `json:"issuer_url"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"` // empty keeps the stored secret
	Scopes       []string `json:"scopes"`        // openid is added when missing
	EmailClaim   string   `json:"email_claim"`   // "email" when empty
	RoleClaim    string   `json:"role_claim"`    // "" when roles are managed in MSP Hub alone
	// RoleMappings gives, for each role, the values of the role claim that give it:
	// {"investigator": ["msp-investigators"]}. Administrator and auditor cannot come from a
	// provider. Roles named here are managed by the provider at each sign-in; other roles stay
	// as administrators set them in MSP Hub.
	RoleMappings map[string][]string `json:"role_mappings"`
}

// claimName is what a claim's name may be: the registered names and the URIs some providers use
// (https://schemas.example.com/claims/groups).
var claimName = regexp.MustCompile(`^[A-Za-z0-9_:./-]{1,100}$`)

// scopeToken is RFC 6749's scope-token: printable ASCII but space, quote and backslash.
var scopeToken = regexp.MustCompile(`^[\x21\x23-\x5b\x5d-\x7e]{1,100}$`)

// validate checks and tidies the input, reporting every problem at once; hasSecret says whether
// a secret is already stored.
func (in *OIDCInput) validate(hasSecret bool) error {
	in.IssuerURL = strings.TrimSpace(in.IssuerURL)
	in.ClientID = strings.TrimSpace(in.ClientID)
	in.ClientSecret = strings.TrimSpace(in.ClientSecret)
	in.EmailClaim = strings.TrimSpace(in.EmailClaim)
	in.RoleClaim = strings.TrimSpace(in.RoleClaim)
	if in.EmailClaim == "" {
		in.EmailClaim = oidcDefaultEmail
	}
	var p core.Problems
	p.Check(checkIssuer(in.IssuerURL))
	switch {
	case in.ClientID == "":
		p.Add("client_id", "Enter the client ID your identity provider gave MSP Hub")
	case len(in.ClientID) > 255:
		p.Add("client_id", "Client ID must be 255 characters or fewer")
	}
	switch {
	case in.ClientSecret == "" && !hasSecret:
		p.Add("client_secret", "Enter the client secret your identity provider gave MSP Hub")
	case len(in.ClientSecret) > 1000:
		p.Add("client_secret", "Client secret must be 1,000 characters or fewer")
	}
	if !claimName.MatchString(in.EmailClaim) {
		p.Add("email_claim", "Enter the name of the claim that holds the email address, like email")
	}
	if in.RoleClaim != "" && !claimName.MatchString(in.RoleClaim) {
		p.Add("role_claim", "Enter the name of the claim that holds the groups, like groups, using letters, digits and _ : . / - only")
	}
	scopes := []string{"openid"}
	for _, s := range in.Scopes {
		for _, f := range strings.Fields(s) {
			if !scopeToken.MatchString(f) {
				p.Add("scopes", "Scopes are words like openid, email or profile, separated by spaces")
			} else if !slices.Contains(scopes, f) {
				scopes = append(scopes, f)
			}
		}
	}
	if len(scopes) > oidcMaxScopes {
		p.Add("scopes", "Ask for 20 scopes or fewer")
	}
	mappings := map[string][]string{}
	for _, role := range sortedKeys(in.RoleMappings) {
		field := "role_mappings." + role
		switch {
		case !policies.IsRole(role):
			p.Add(field, "Unknown role: "+role)
			continue
		case systemRole(role):
			p.Add(field, "The "+role+" role cannot come from single sign-on: grant it in MSP Hub")
			continue
		}
		var values []string
		for _, v := range in.RoleMappings[role] {
			v = strings.TrimSpace(v)
			switch {
			case v == "" || slices.Contains(values, v):
				continue
			case utf8.RuneCountInString(v) > 200:
				p.Add(field, "Each claim value must be 200 characters or fewer")
			}
			values = append(values, v)
		}
		if len(values) > oidcMaxValues {
			p.Add(field, "Give 50 claim values or fewer for one role")
		}
		if len(values) > 0 {
			mappings[role] = values
		}
	}
	if len(mappings) > 0 && in.RoleClaim == "" {
		p.Add("role_claim", "Enter the claim that carries the values that give roles, like groups")
	}
	if err := p.Err(); err != nil {
		return err
	}
	in.Scopes, in.RoleMappings = scopes, mappings
	return nil
}

// checkIssuer accepts an https URL, or plain http on this machine's loopback address (a provider
// run for development or tests), without query or fragment: OpenID discovery appends to it.
func checkIssuer(raw string) error {
	if raw == "" {
		return core.Invalid("issuer_url", "Enter the issuer URL of your identity provider, like https://login.example.police.uk")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || len(raw) > 500 {
		return core.Invalid("issuer_url", "Enter the issuer URL exactly as your identity provider gives it, like https://login.example.police.uk")
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && loopbackHost(u.Hostname()):
		return nil
	}
	return core.Invalid("issuer_url", "The issuer URL must start with https://")
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// OIDC holds single sign-on: each organisation's settings, and signing in through its OpenID
// provider (authorization code flow with PKCE, state and nonce).
type OIDC struct {
	d     core.Deps
	audit *core.Audit
	http  *http.Client

	mu        sync.Mutex
	providers map[string]cachedProvider // by issuer: discovery and keys, re-read hourly
}

type cachedProvider struct {
	p  *oidc.Provider
	at time.Time
}

func newOIDC(d core.Deps, audit *core.Audit) *OIDC {
	return &OIDC{d: d, audit: audit, http: &http.Client{Timeout: oidcHTTPTimeout}, providers: map[string]cachedProvider{}}
}

// provider returns the discovered provider of issuer, from the cache when it is fresh. The
// discovery document must name exactly this issuer.
func (o *OIDC) provider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	o.mu.Lock()
	c, ok := o.providers[issuer]
	o.mu.Unlock()
	if ok && time.Since(c.at) < oidcProviderTTL {
		return c.p, nil
	}
	ctx, cancel := context.WithTimeout(ctx, oidcHTTPTimeout)
	defer cancel()
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.http), issuer)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	o.providers[issuer] = cachedProvider{p: p, at: time.Now()}
	o.mu.Unlock()
	return p, nil
}

// redirectURI is the callback address registered with every provider.
func (o *OIDC) redirectURI() string {
	return strings.TrimRight(o.d.Config.PublicURL, "/") + OIDCCallbackPath
}

func (o *OIDC) object(orgID int64) policies.Object {
	return policies.Object{Type: "oidc", Org: policies.OrgDomain(orgID)}
}

// config reads an organisation's stored settings; found is false when there are none.
func (o *OIDC) config(ctx context.Context, orgID int64) (cfg oidcConfig, found bool, err error) {
	err = o.d.DB.Conn(ctx).Take(&cfg, "organisation_id = ?", orgID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return oidcConfig{}, false, nil
	}
	return cfg, err == nil, core.DBError(err)
}

func (o *OIDC) mappings(ctx context.Context, orgID int64) ([]oidcRoleMapping, error) {
	var rows []oidcRoleMapping
	err := o.d.DB.Conn(ctx).Where("organisation_id = ?", orgID).Order("role, claim_value").Find(&rows).Error
	return rows, core.DBError(err)
}

// settings shows stored settings (or the defaults) of org.
func (o *OIDC) settings(ctx context.Context, org core.Organisation) (OIDCSettings, error) {
	cfg, found, err := o.config(ctx, org.ID)
	if err != nil {
		return OIDCSettings{}, err
	}
	s := OIDCSettings{OrganisationID: org.ID, Configured: found, RoleMappings: map[string][]string{},
		RedirectURI: o.redirectURI(), SignInURL: strings.TrimRight(o.d.Config.PublicURL, "/") + "/sign-in/oidc/" + org.Slug,
		Scopes: strings.Fields(oidcDefaultScopes), EmailClaim: oidcDefaultEmail}
	if !found {
		return s, nil
	}
	s.Enabled, s.IssuerURL, s.ClientID, s.ClientSecretSet = cfg.Enabled, cfg.IssuerURL, cfg.ClientID, cfg.ClientSecret != ""
	s.Scopes, s.EmailClaim, s.RoleClaim = strings.Fields(cfg.Scopes), cfg.EmailClaim, cfg.RoleClaim
	updated := cfg.UpdatedAt
	s.UpdatedAt = &updated
	rows, err := o.mappings(ctx, org.ID)
	if err != nil {
		return OIDCSettings{}, err
	}
	for _, m := range rows {
		s.RoleMappings[m.Role] = append(s.RoleMappings[m.Role], m.ClaimValue)
	}
	return s, nil
}

// Settings returns an organisation's single sign-on settings, or the defaults when none are
// saved (Configured false). Only administrators may read them. Errors: EFORBIDDEN, ENOTFOUND.
func (o *OIDC) Settings(ctx context.Context, who core.Actor, orgID int64) (OIDCSettings, error) {
	if err := core.Can(ctx, o.d.Authz, who, policies.ActRead, o.object(orgID), "Only administrators can see single sign-on settings."); err != nil {
		return OIDCSettings{}, err
	}
	org, err := (&Organisations{d: o.d}).get(ctx, orgID)
	if err != nil {
		return OIDCSettings{}, err
	}
	return o.settings(ctx, org)
}

// Save sets up or changes an organisation's single sign-on. When it is enabled, the issuer must
// answer OpenID discovery for exactly that issuer (checked before anything is stored). An empty
// client secret keeps the stored one; the secret is sealed with the master key and never shown
// or logged. Turning single sign-on off, or moving it to another issuer, ends the sessions its
// people began through the provider. Audited, without the secret. Only administrators may.
// Errors: EFORBIDDEN, ENOTFOUND, EINVALID.
func (o *OIDC) Save(ctx context.Context, who core.Actor, orgID int64, in OIDCInput) (OIDCSettings, error) {
	if err := core.Can(ctx, o.d.Authz, who, policies.ActUpdate, o.object(orgID), "Only administrators can set up single sign-on."); err != nil {
		return OIDCSettings{}, err
	}
	org, err := (&Organisations{d: o.d}).get(ctx, orgID)
	if err != nil {
		return OIDCSettings{}, err
	}
	prev, found, err := o.config(ctx, orgID)
	if err != nil {
		return OIDCSettings{}, err
	}
	if err := in.validate(found && prev.ClientSecret != ""); err != nil {
		return OIDCSettings{}, err
	}
	if in.Enabled {
		// Outside the transaction: a provider may take seconds to answer.
		if _, err := o.provider(ctx, in.IssuerURL); err != nil {
			o.d.Log.WarnContext(ctx, "OpenID discovery failed", "organisation", org.Slug, "issuer", in.IssuerURL, "error", err.Error())
			return OIDCSettings{}, core.Invalid("issuer_url", "The identity provider at this address did not answer OpenID discovery for exactly this issuer. Check the address (including any trailing slash) and that MSP Hub can reach it")
		}
	}
	err = o.d.DB.InTx(ctx, func(ctx context.Context) error {
		now := o.d.Now()
		cfg := prev
		if !found {
			cfg = oidcConfig{OrganisationID: orgID, CreatedAt: now}
		}
		secret := "kept"
		if in.ClientSecret != "" {
			sealed, err := o.d.Secrets.Seal([]byte(in.ClientSecret), oidcSecretPurpose)
			if err != nil {
				return core.Internal(err)
			}
			cfg.ClientSecret, secret = sealed, "changed"
		}
		cfg.Enabled, cfg.IssuerURL, cfg.ClientID = in.Enabled, in.IssuerURL, in.ClientID
		cfg.Scopes, cfg.EmailClaim, cfg.RoleClaim = strings.Join(in.Scopes, " "), in.EmailClaim, in.RoleClaim
		cfg.UpdatedBy, cfg.UpdatedAt = &who.UserID, now
		write := o.d.DB.Conn(ctx).Save
		if !found {
			write = o.d.DB.Conn(ctx).Create
		}
		if err := write(&cfg).Error; err != nil {
			return core.DBError(err)
		}
		var rows []oidcRoleMapping
		var described []string
		for _, role := range sortedKeys(in.RoleMappings) {
			for _, v := range in.RoleMappings[role] {
				rows = append(rows, oidcRoleMapping{OrganisationID: orgID, Role: role, ClaimValue: v})
				described = append(described, v+" → "+role)
			}
		}
		if err := core.ReplaceRows(ctx, o.d.DB, "organisation_id", orgID, rows); err != nil {
			return err
		}
		if found && prev.Enabled && (!cfg.Enabled || prev.IssuerURL != cfg.IssuerURL) {
			if err := o.d.DB.Conn(ctx).Exec("DELETE FROM sessions WHERE sign_in_method = ? AND user_id IN (SELECT id FROM users WHERE organisation_id = ?)",
				SignInOIDC, orgID).Error; err != nil {
				return core.DBError(err)
			}
		}
		return o.audit.Record(ctx, &who, core.Event{Action: "oidc.update", ObjectType: "organisation", ObjectID: core.IDString(orgID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"organisation": org.Slug, "enabled": boolWord(cfg.Enabled), "issuer": cfg.IssuerURL, "client_id": cfg.ClientID,
				"client_secret": secret, "scopes": cfg.Scopes, "email_claim": cfg.EmailClaim, "role_claim": cfg.RoleClaim,
				"role_mappings": strings.Join(described, ", ")}})
	})
	if err != nil {
		return OIDCSettings{}, err
	}
	return o.settings(ctx, org)
}

func boolWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Organisations lists the active organisations whose people may sign in through their
// provider, by name, for the page where a person chooses theirs. Anyone may call it: which
// organisations use single sign-on is not a secret.
func (o *OIDC) Organisations(ctx context.Context) ([]core.Organisation, error) {
	var out []core.Organisation
	err := o.d.DB.Conn(ctx).Where("active = ? AND id IN (SELECT organisation_id FROM oidc_configs WHERE enabled = ?)", true, true).
		Order("name").Find(&out).Error
	return out, core.DBError(err)
}

// Offered says whether the sign-in page offers single sign-on: whether any active
// organisation has it turned on. Anyone may call it, as Organisations.
func (o *OIDC) Offered(ctx context.Context) (bool, error) {
	var n int64
	err := o.d.DB.Conn(ctx).Model(&core.Organisation{}).Where("active = ? AND id IN (SELECT organisation_id FROM oidc_configs WHERE enabled = ?)", true, true).
		Limit(1).Count(&n).Error
	return n > 0, core.DBError(err)
}

// ProviderRoles are the roles a provider's claims may give: every role but administrator and
// auditor, which are granted in MSP Hub only.
func ProviderRoles() []core.Role {
	return core.RolesNamed(slices.DeleteFunc(policies.Roles(), systemRole))
}
