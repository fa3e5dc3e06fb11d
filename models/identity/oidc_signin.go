package identity

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"golang.org/x/oauth2"
	"gorm.io/gorm"
)

// oidcIdentity links a user to the subject that their organisation's provider knows them by.
type oidcIdentity struct {
	ID             int64
	UserID         int64
	OrganisationID int64
	Issuer         string
	Subject        string
	CreatedAt      time.Time
	LastSignInAt   time.Time
}

func (oidcIdentity) TableName() string { return "oidc_identities" }

// oidcAttempt is a sign-in under way: what the callback checks and needs, bound to the browser
// that began it. It is used once.
type oidcAttempt struct {
	StateHash      string `gorm:"primaryKey"`
	OrganisationID int64
	BrowserHash    string
	Nonce          string
	CodeVerifier   string // sealed
	NextPath       string
	CreatedAt      time.Time
	ExpiresAt      time.Time
	UsedAt         *time.Time
}

func (oidcAttempt) TableName() string { return "oidc_attempts" }

// Messages for a sign-in through a provider that did not work. They say what to do, never what
// exactly failed: the audit log and the service log say that.
const (
	oidcNotSetUp      = "Single sign-on is not set up for this organisation. Sign in with your email address and password instead."
	oidcStale         = "This sign-in has expired or was already used. Start again from the sign-in page."
	oidcFailed        = "Your organisation's sign-in service did not confirm who you are. Start again from the sign-in page. If it happens again, tell your MSP Hub administrator."
	oidcRefusedByIdP  = "Your organisation's sign-in service did not sign you in. Start again from the sign-in page, or ask your organisation's IT service desk for access to MSP Hub."
	oidcNoAccount     = "Your organisation's account cannot be used to sign in to MSP Hub. Ask your MSP Hub administrator."
	oidcMissingEmail  = "Your organisation's sign-in service did not give a verified email address, which MSP Hub needs. Tell your MSP Hub administrator."
	oidcUnavailable   = "Your organisation's sign-in service is not answering. Try again in a few minutes, or sign in with your email address and password."
	oidcMaxNextLength = 2000
)

// OIDCStart is where a browser goes to sign in at its provider, and the value of the cookie that
// binds the attempt to that browser.
type OIDCStart struct {
	URL     string
	Browser string
}

// Begin starts signing in through the provider of the organisation with slug: it stores a
// single-use state, a nonce and a PKCE verifier (S256) for ten minutes, bound to the browser
// (browser is the value of its binding cookie, or "" for a new one), and returns the provider's
// authorization address. next is where to go once signed in (a path on this site). The attempt
// is audited when it ends (see Finish), or here if the provider cannot be reached. Anyone may
// call it. Errors: ENOTFOUND (no such organisation, or single sign-on off), EUNAVAILABLE (the
// provider does not answer).
func (o *OIDC) Begin(ctx context.Context, slug, browser, next string) (OIDCStart, error) {
	var org core.Organisation
	err := o.d.DB.Conn(ctx).Take(&org, "slug = ? AND active = ?", slug, true).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return OIDCStart{}, core.NotFound(oidcNotSetUp)
	}
	if err != nil {
		return OIDCStart{}, core.DBError(err)
	}
	cfg, found, err := o.config(ctx, org.ID)
	if err != nil {
		return OIDCStart{}, err
	}
	if !found || !cfg.Enabled {
		return OIDCStart{}, core.NotFound(oidcNotSetUp)
	}
	p, err := o.provider(ctx, cfg.IssuerURL)
	if err != nil {
		o.d.Log.WarnContext(ctx, "OpenID discovery failed", "organisation", org.Slug, "issuer", cfg.IssuerURL, "error", err.Error())
		return OIDCStart{}, o.refuse(ctx, org, nil, "provider unreachable", core.Unavailable(oidcUnavailable, err))
	}
	if len(browser) < 43 || len(browser) > 64 {
		browser, _ = core.NewToken()
	}
	state, stateHash := core.NewToken()
	nonce, _ := core.NewToken()
	verifier := oauth2.GenerateVerifier()
	sealed, err := o.d.Secrets.Seal([]byte(verifier), oidcVerifierPurpose)
	if err != nil {
		return OIDCStart{}, core.Internal(err)
	}
	now := o.d.Now()
	err = o.d.DB.InTx(ctx, func(ctx context.Context) error {
		// Attempts nobody came back from are kept no longer than they could be used.
		if err := o.d.DB.Conn(ctx).Where("expires_at < ?", now).Delete(&oidcAttempt{}).Error; err != nil {
			return core.DBError(err)
		}
		return core.DBError(o.d.DB.Conn(ctx).Create(&oidcAttempt{StateHash: stateHash, OrganisationID: org.ID, BrowserHash: core.TokenHash(browser),
			Nonce: nonce, CodeVerifier: sealed, NextPath: safeNext(next), CreatedAt: now, ExpiresAt: now.Add(oidcAttemptTTL)}).Error)
	})
	if err != nil {
		return OIDCStart{}, err
	}
	auth := o.oauth2(cfg, p, "").AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
	return OIDCStart{URL: auth, Browser: browser}, nil
}

// oauth2 is the OAuth 2.0 client of an organisation's settings; secret is the opened client
// secret (only the token exchange needs it).
func (o *OIDC) oauth2(cfg oidcConfig, p *oidc.Provider, secret string) *oauth2.Config {
	return &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: secret, Endpoint: p.Endpoint(),
		RedirectURL: o.redirectURI(), Scopes: strings.Fields(cfg.Scopes)}
}

// safeNext keeps a "next" address on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || len(next) > oidcMaxNextLength {
		return "/"
	}
	return next
}

// OIDCCallback is what the provider sent the browser back with, and the browser's binding
// cookie.
type OIDCCallback struct {
	State   string // as sent to the provider
	Code    string // the authorization code, on success
	Error   string // the provider's error code ("access_denied"), on failure
	Browser string // the binding cookie
}

// OIDCSignedIn is a completed sign-in through a provider.
type OIDCSignedIn struct {
	SignedIn
	Next string // the page to go to
}

// oidcPerson is who the provider says signed in, read from the verified ID token.
type oidcPerson struct {
	Subject string
	Email   string
	Name    string
	Values  []string // values of the role claim
	AMR     []string // authentication methods the provider used
}

// Finish completes a sign-in through a provider when the browser comes back. The state must be
// one this browser began, unused and unexpired: it is used up whatever happens next, so a
// replayed callback is refused. The code is exchanged with the PKCE verifier; the ID token must
// carry a valid signature from the provider's published keys, the issuer, this client as
// audience, an unexpired time and the nonce of the attempt. The person is then found by their
// subject at that issuer, or else by email address in the organisation (and linked), or else
// created there (just-in-time; vetting is left for an administrator to record). Roles named in
// the organisation's claim mappings are granted or revoked to match the claim; other roles are
// left alone. The session that starts has passed its second factor: that is the provider's job.
// A disabled account or a deactivated organisation cannot sign in. Every attempt is audited.
// Anyone may call it. Errors: EUNAUTHENTICATED (stale state, provider refused, token invalid),
// EFORBIDDEN (account not usable), ENOTFOUND (single sign-on turned off), EUNAVAILABLE.
func (o *OIDC) Finish(ctx context.Context, cb OIDCCallback) (OIDCSignedIn, error) {
	att, err := o.useAttempt(ctx, cb)
	if err != nil {
		return OIDCSignedIn{}, err
	}
	org, err := (&Organisations{d: o.d}).get(ctx, att.OrganisationID)
	if err != nil {
		return OIDCSignedIn{}, err
	}
	cfg, found, err := o.config(ctx, org.ID)
	if err != nil {
		return OIDCSignedIn{}, err
	}
	if !found || !cfg.Enabled {
		return OIDCSignedIn{}, o.refuse(ctx, org, nil, "single sign-on turned off", core.NotFound(oidcNotSetUp))
	}
	if cb.Error != "" {
		return OIDCSignedIn{}, o.refuse(ctx, org, nil, "provider error: "+providerError(cb.Error), core.Unauthenticated(oidcRefusedByIdP))
	}
	person, err := o.identify(ctx, org, cfg, att, cb.Code)
	if err != nil {
		return OIDCSignedIn{}, err
	}
	var out OIDCSignedIn
	var failure error
	err = o.d.DB.InTx(ctx, func(ctx context.Context) error {
		user, reason, err := o.provision(ctx, org, cfg, person)
		if err != nil {
			return err
		}
		if reason != "" {
			failure = core.Forbidden(oidcNoAccount)
			return o.recordRefusal(ctx, org, user, reason)
		}
		roles, err := o.syncRoles(ctx, org, cfg, user, person.Values)
		if err != nil {
			return err
		}
		now := o.d.Now()
		if err := o.d.DB.Conn(ctx).Model(&core.User{}).Where("id = ?", user.ID).Update("last_sign_in_at", now).Error; err != nil {
			return core.DBError(err)
		}
		if out.Token, err = startSession(ctx, o.d, user.ID, true); err != nil {
			return err
		}
		if err := o.d.DB.Conn(ctx).Model(&Session{}).Where("id = ?", core.TokenHash(out.Token)).Update("sign_in_method", SignInOIDC).Error; err != nil {
			return core.DBError(err)
		}
		out.Next, out.SignedIn.Next = att.NextPath, StepDone
		who := core.Actor{UserID: user.ID, OrgID: org.ID}
		details := map[string]string{"method": SignInOIDC, "organisation": org.Slug, "issuer": cfg.IssuerURL,
			"roles": strings.Join(roles, " ")}
		if len(person.AMR) > 0 {
			details["amr"] = strings.Join(person.AMR, " ")
		}
		return o.audit.Record(ctx, &who, core.Event{Action: "auth.sign_in", ObjectType: "user", ObjectID: core.IDString(user.ID), Outcome: core.OutcomeSuccess, Details: details})
	})
	if err != nil {
		return OIDCSignedIn{}, err
	}
	if failure != nil {
		return OIDCSignedIn{}, failure
	}
	return out, nil
}

// useAttempt uses up the attempt the state names, and checks it belongs to this browser and is
// still live. A conditional update makes the use single even across replicas.
func (o *OIDC) useAttempt(ctx context.Context, cb OIDCCallback) (oidcAttempt, error) {
	var att oidcAttempt
	if cb.State == "" {
		return att, o.refuse(ctx, core.Organisation{}, nil, "no state", core.Unauthenticated(oidcStale))
	}
	hash := core.TokenHash(cb.State)
	err := o.d.DB.Conn(ctx).Take(&att, "state_hash = ?", hash).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return att, o.refuse(ctx, core.Organisation{}, nil, "unknown state", core.Unauthenticated(oidcStale))
	}
	if err != nil {
		return att, core.DBError(err)
	}
	org, _ := (&Organisations{d: o.d}).get(ctx, att.OrganisationID)
	now := o.d.Now()
	res := o.d.DB.Conn(ctx).Model(&oidcAttempt{}).Where("state_hash = ? AND used_at IS NULL", hash).Update("used_at", now)
	if res.Error != nil {
		return att, core.DBError(res.Error)
	}
	switch {
	case res.RowsAffected != 1:
		return att, o.refuse(ctx, org, nil, "state already used", core.Unauthenticated(oidcStale))
	case !now.Before(att.ExpiresAt):
		return att, o.refuse(ctx, org, nil, "state expired", core.Unauthenticated(oidcStale))
	case subtle.ConstantTimeCompare([]byte(core.TokenHash(cb.Browser)), []byte(att.BrowserHash)) != 1:
		return att, o.refuse(ctx, org, nil, "state begun in another browser", core.Unauthenticated(oidcStale))
	}
	return att, nil
}

// identify exchanges the code and verifies the ID token, returning who it names.
func (o *OIDC) identify(ctx context.Context, org core.Organisation, cfg oidcConfig, att oidcAttempt, code string) (oidcPerson, error) {
	fail := func(reason string, cause error) (oidcPerson, error) {
		o.d.Log.WarnContext(ctx, "single sign-on refused", "organisation", org.Slug, "reason", reason, "error", errString(cause))
		return oidcPerson{}, o.refuse(ctx, org, nil, reason, core.Unauthenticated(oidcFailed))
	}
	if code == "" {
		return fail("no code", nil)
	}
	p, err := o.provider(ctx, cfg.IssuerURL)
	if err != nil {
		o.d.Log.WarnContext(ctx, "OpenID discovery failed", "organisation", org.Slug, "issuer", cfg.IssuerURL, "error", err.Error())
		return oidcPerson{}, o.refuse(ctx, org, nil, "provider unreachable", core.Unavailable(oidcUnavailable, err))
	}
	secret, err := o.d.Secrets.Open(cfg.ClientSecret, oidcSecretPurpose)
	if err != nil {
		return oidcPerson{}, core.Internal(fmt.Errorf("open the client secret of %s: %w", org.Slug, err))
	}
	verifier, err := o.d.Secrets.Open(att.CodeVerifier, oidcVerifierPurpose)
	if err != nil {
		return oidcPerson{}, core.Internal(fmt.Errorf("open a PKCE verifier: %w", err))
	}
	xctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, o.http), oidcHTTPTimeout)
	defer cancel()
	tok, err := o.oauth2(cfg, p, string(secret)).Exchange(xctx, code, oauth2.VerifierOption(string(verifier)))
	if err != nil {
		return fail("code exchange failed", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return fail("no ID token", nil)
	}
	// The provider's key set is cached with it, and read again when a token names a new key.
	idt, err := p.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: o.d.Now}).Verify(xctx, raw)
	if err != nil {
		return fail(tokenFault(err), err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(att.Nonce)) != 1 {
		return fail("nonce mismatch", nil)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return fail("unreadable claims", err)
	}
	person := oidcPerson{Subject: idt.Subject, Values: claimStrings(claims, cfg.RoleClaim), AMR: claimStrings(claims, "amr")}
	if person.Subject == "" || len(person.Subject) > 255 {
		return fail("no usable subject", nil)
	}
	email, _ := claims[cfg.EmailClaim].(string)
	if person.Email, err = core.NormaliseEmail(email); err != nil || !emailVerified(claims) {
		o.d.Log.WarnContext(ctx, "single sign-on refused", "organisation", org.Slug, "reason", "no verified email")
		return oidcPerson{}, o.refuse(ctx, org, nil, "no verified email in claim "+cfg.EmailClaim, core.Unauthenticated(oidcMissingEmail))
	}
	person.Name = personName(claims, person.Email)
	return person, nil
}

// tokenFault names why go-oidc refused an ID token, for the audit log.
func tokenFault(err error) string {
	var expired *oidc.TokenExpiredError
	msg := err.Error()
	switch {
	case errors.As(err, &expired):
		return "ID token expired"
	case strings.Contains(msg, "audience"):
		return "ID token for another audience"
	case strings.Contains(msg, "different provider"):
		return "ID token from another issuer"
	case strings.Contains(msg, "signature"):
		return "ID token signature invalid"
	}
	return "ID token invalid"
}

var providerErrorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// providerError keeps a provider's error code for the audit log if it looks like one.
func providerError(code string) string {
	if providerErrorCode.MatchString(code) {
		return code
	}
	return "unrecognised"
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// claimStrings reads a claim that holds a string or a list of strings.
func claimStrings(claims map[string]any, name string) []string {
	if name == "" {
		return nil
	}
	var out []string
	switch v := claims[name].(type) {
	case string:
		out = append(out, v)
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// emailVerified refuses an address the provider says it has not verified; providers that do
// not say (many directory services) vouch for the addresses they hold.
func emailVerified(claims map[string]any) bool {
	switch v := claims["email_verified"].(type) {
	case bool:
		return v
	case string:
		return v != "false"
	}
	return true
}

// personName is the name the provider gives, or else the email address's local part.
func personName(claims map[string]any, email string) string {
	name, _ := claims["name"].(string)
	if strings.TrimSpace(name) == "" {
		given, _ := claims["given_name"].(string)
		family, _ := claims["family_name"].(string)
		name = given + " " + family
	}
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	for utf8.RuneCountInString(name) > 200 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// provision finds or creates the person's user in org. A non-empty reason means they may not
// sign in (the user, if known, is returned for the audit log).
func (o *OIDC) provision(ctx context.Context, org core.Organisation, cfg oidcConfig, p oidcPerson) (core.User, string, error) {
	if !org.Active {
		return core.User{}, "organisation deactivated", nil
	}
	db := o.d.DB.Conn(ctx)
	now := o.d.Now()
	who := func(u core.User) *core.Actor { return &core.Actor{UserID: u.ID, OrgID: u.OrganisationID} }
	var link oidcIdentity
	err := db.Take(&link, "issuer = ? AND subject = ?", cfg.IssuerURL, p.Subject).Error
	var user core.User
	replaced := ""
	switch {
	case err == nil:
		if err := db.Take(&user, link.UserID).Error; err != nil {
			return core.User{}, "", core.DBError(err)
		}
		if link.OrganisationID != org.ID || user.OrganisationID != org.ID {
			return user, "identity belongs to another organisation", nil
		}
		if err := db.Model(&link).Update("last_sign_in_at", now).Error; err != nil {
			return core.User{}, "", core.DBError(err)
		}
	case errors.Is(err, gorm.ErrRecordNotFound):
		err := db.Take(&user, "email = ?", p.Email).Error
		switch {
		case err == nil:
			if user.OrganisationID != org.ID {
				return user, "email address belongs to an account in another organisation", nil
			}
			// A link to another subject at this issuer stands; one to an issuer the organisation
			// has since left (an administrator changed it) gives way to this one.
			var prior oidcIdentity
			err := db.Take(&prior, "user_id = ?", user.ID).Error
			switch {
			case err == nil && prior.Issuer == cfg.IssuerURL:
				return user, "account already linked to another identity", nil
			case err == nil:
				if err := db.Delete(&prior).Error; err != nil {
					return core.User{}, "", core.DBError(err)
				}
				replaced = prior.Issuer
			case !errors.Is(err, gorm.ErrRecordNotFound):
				return core.User{}, "", core.DBError(err)
			}
		case errors.Is(err, gorm.ErrRecordNotFound):
			in := UserInput{OrganisationID: org.ID, Email: p.Email, Name: p.Name, VettingLevel: core.VettingNone}
			if err := in.validate(now, true); err != nil {
				return core.User{}, "", err
			}
			user = core.User{OrganisationID: org.ID, Email: in.Email, Name: in.Name, VettingLevel: core.VettingNone, CreatedAt: now, UpdatedAt: now}
			if err := db.Create(&user).Error; err != nil {
				return core.User{}, "", core.DBError(err)
			}
			core.Changed(ctx, core.People)
			if err := o.audit.Record(ctx, who(user), core.Event{Action: "user.create", ObjectType: "user", ObjectID: core.IDString(user.ID), Outcome: core.OutcomeSuccess,
				Details: map[string]string{"via": "single sign-on", "organisation": org.Slug, "issuer": cfg.IssuerURL, "vetting": string(core.VettingNone)}}); err != nil {
				return core.User{}, "", err
			}
		default:
			return core.User{}, "", core.DBError(err)
		}
		if err := db.Create(&oidcIdentity{UserID: user.ID, OrganisationID: org.ID, Issuer: cfg.IssuerURL, Subject: p.Subject, CreatedAt: now, LastSignInAt: now}).Error; err != nil {
			return core.User{}, "", core.DBError(err)
		}
		details := map[string]string{"issuer": cfg.IssuerURL, "subject": p.Subject}
		if replaced != "" {
			details["replaces"] = replaced
		}
		if err := o.audit.Record(ctx, who(user), core.Event{Action: "oidc.link", ObjectType: "user", ObjectID: core.IDString(user.ID), Outcome: core.OutcomeSuccess,
			Details: details}); err != nil {
			return core.User{}, "", err
		}
	default:
		return core.User{}, "", core.DBError(err)
	}
	if user.DisabledAt != nil {
		return user, "account disabled", nil
	}
	return user, "", o.refreshDetails(ctx, &user, p)
}

// refreshDetails keeps the user's name and email address as the provider has them now; an
// address another account holds is left as it was.
func (o *OIDC) refreshDetails(ctx context.Context, user *core.User, p oidcPerson) error {
	details := map[string]string{"via": "single sign-on"}
	updates := map[string]any{}
	if user.Name != p.Name {
		updates["name"], details["name"] = p.Name, "changed"
	}
	if user.Email != p.Email {
		var taken int64
		if err := o.d.DB.Conn(ctx).Model(&core.User{}).Where("email = ? AND id <> ?", p.Email, user.ID).Count(&taken).Error; err != nil {
			return core.DBError(err)
		}
		if taken == 0 {
			updates["email"], details["email"] = p.Email, user.Email+" → "+p.Email
		}
	}
	if len(updates) == 0 {
		return nil
	}
	updates["updated_at"] = o.d.Now()
	if err := o.d.DB.Conn(ctx).Model(&core.User{}).Where("id = ?", user.ID).Updates(updates).Error; err != nil {
		return core.DBError(err)
	}
	who := core.Actor{UserID: user.ID, OrgID: user.OrganisationID}
	return o.audit.Record(ctx, &who, core.Event{Action: "user.update", ObjectType: "user", ObjectID: core.IDString(user.ID), Outcome: core.OutcomeSuccess, Details: details})
}

// syncRoles grants and revokes the roles the organisation's mappings manage so that they match
// the claim values; roles no mapping names are left as they are. A change ends the user's other
// sessions, as any change of roles does. It returns the roles the user holds once the
// transaction commits.
func (o *OIDC) syncRoles(ctx context.Context, org core.Organisation, cfg oidcConfig, user core.User, values []string) ([]string, error) {
	rows, err := o.mappings(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	managed, want := map[string]bool{}, map[string]bool{}
	for _, m := range rows {
		managed[m.Role] = true
		if slices.Contains(values, m.ClaimValue) {
			want[m.Role] = true
		}
	}
	principal, domain := policies.UserPrincipal(user.ID), policies.OrgDomain(org.ID)
	had := o.d.Authz.RolesIn(principal, domain)
	tx := o.d.DB.Conn(ctx)
	who := core.Actor{UserID: user.ID, OrgID: org.ID}
	changed := false
	var holds []string
	record := func(action, role string) error {
		changed = true
		return o.audit.Record(ctx, &who, core.Event{Action: action, ObjectType: "user", ObjectID: core.IDString(user.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"role": role, "via": "single sign-on", "claim": cfg.RoleClaim}})
	}
	for _, r := range had {
		if !managed[r] || want[r] {
			holds = append(holds, r)
			continue
		}
		if err := o.d.Authz.RevokeIn(tx, principal, r, domain); err != nil {
			return nil, core.Internal(err)
		}
		if err := record("role.revoke", r); err != nil {
			return nil, err
		}
	}
	for _, r := range sortedKeys(want) {
		if slices.Contains(had, r) {
			continue
		}
		holds = append(holds, r)
		if err := o.d.Authz.GrantIn(tx, principal, r, domain); err != nil {
			return nil, core.Internal(err)
		}
		if err := record("role.grant", r); err != nil {
			return nil, err
		}
	}
	slices.Sort(holds)
	if !changed {
		return holds, nil
	}
	if err := endSessions(ctx, o.d.DB, user.ID, ""); err != nil {
		return nil, err
	}
	core.AfterCommit(ctx, func() {
		if err := o.d.Authz.Refresh(context.WithoutCancel(ctx), principal); err != nil {
			o.d.Log.Error("policy refresh after single sign-on failed; the periodic reload will catch up", "user", user.ID, "error", err)
		}
	})
	return holds, nil
}

// refuse records a failed sign-in in its own transaction and returns failure.
func (o *OIDC) refuse(ctx context.Context, org core.Organisation, user *core.User, reason string, failure error) error {
	err := o.d.DB.InTx(ctx, func(ctx context.Context) error {
		var u core.User
		if user != nil {
			u = *user
		}
		return o.recordRefusal(ctx, org, u, reason)
	})
	if err != nil {
		return err
	}
	return failure
}

// recordRefusal audits a refused sign-in through a provider, in the transaction of ctx.
func (o *OIDC) recordRefusal(ctx context.Context, org core.Organisation, user core.User, reason string) error {
	details := map[string]string{"method": SignInOIDC, "reason": reason}
	ev := core.Event{Action: "auth.sign_in", Outcome: core.OutcomeFailure, Details: details}
	if org.ID != 0 {
		details["organisation"] = org.Slug
		ev.ObjectType, ev.ObjectID = "organisation", core.IDString(org.ID)
	}
	var who *core.Actor
	if user.ID != 0 {
		who = &core.Actor{UserID: user.ID, OrgID: user.OrganisationID}
		ev.ObjectType, ev.ObjectID = "user", core.IDString(user.ID)
	}
	return o.audit.Record(ctx, who, ev)
}
