package identity

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// API token scopes.
const (
	ScopeRead      = "read"       // GET requests only
	ScopeReadWrite = "read-write" // everything the user may do
)

// MaxTokenLifetime is the longest an API token may live.
const MaxTokenLifetime = 90 * 24 * time.Hour

// tokenPrefix marks MSP Hub tokens, so secret scanners and people recognise one.
const tokenPrefix = "msph_"

// APIToken is a personal token for the API. Only the hash of its secret is stored; the secret is
// shown once, when it is created.
type APIToken struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"-"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	TokenHash  string     `json:"-"`
	Scope      string     `json:"scope"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	// ByOperator: made by the operator's command, not in a signed-in session (see
	// Users.revokeTokens).
	ByOperator bool `json:"-"`
}

func (APIToken) TableName() string { return "api_tokens" }

// Live says whether the token still works at now.
func (t APIToken) Live(now time.Time) bool { return t.RevokedAt == nil && now.Before(t.ExpiresAt) }

// Tokens holds the operations on personal API tokens.
type Tokens struct {
	d     core.Deps
	audit *core.Audit
}

var ownTokens = policies.Object{Type: "token", Rel: policies.RelSelf}

// NewToken is what a user gives to create a token.
type NewToken struct {
	Name      string `json:"name"`
	Scope     string `json:"scope"`
	ExpiresIn int    `json:"expires_in_days"` // 1 to 90
}

// Create makes a token for the actor and returns its secret, shown this once. Only a browser
// session that passed its second factor may: a token made by a token would outlive the
// revocation of its maker (the operator CLI makes tokens through Operator instead).
// Errors: EFORBIDDEN (an API token, or a session without its second factor), EINVALID.
func (t *Tokens) Create(ctx context.Context, who core.Actor, in NewToken) (string, APIToken, error) {
	var secret string
	var tok APIToken
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		if who.TokenID != 0 || who.SessionID == "" || !who.MFAPassed {
			return core.Forbidden("API tokens can be created only from a signed-in browser session, not with an API token.")
		}
		if err := core.Can(ctx, t.d.Authz, who, policies.ActCreate, ownTokens, "You cannot create API tokens."); err != nil {
			return err
		}
		var err error
		secret, tok, err = createToken(ctx, t.d, who.UserID, in, false)
		if err != nil {
			return err
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "token.create", ObjectType: "token", ObjectID: core.IDString(tok.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"name": tok.Name, "scope": tok.Scope, "expires": tok.ExpiresAt.Format(time.DateOnly)}})
	})
	return secret, tok, err
}

// createToken makes a token for user userID; byOperator says it is the operator's command that
// makes it, not a signed-in session.
func createToken(ctx context.Context, d core.Deps, userID int64, in NewToken, byOperator bool) (string, APIToken, error) {
	in.Name = strings.TrimSpace(in.Name)
	var problems core.Problems // every problem at once
	switch {
	case in.Name == "":
		problems.Add("name", "Enter a name that says what the token is for")
	case len(in.Name) > 100:
		problems.Add("name", "Name must be 100 characters or fewer")
	}
	if in.Scope != ScopeRead && in.Scope != ScopeReadWrite {
		problems.Add("scope", "Select read or read-write")
	}
	if in.ExpiresIn < 1 || time.Duration(in.ExpiresIn)*24*time.Hour > MaxTokenLifetime {
		problems.Add("expires_in_days", "A token must expire within 1 to 90 days")
	}
	if err := problems.Err(); err != nil {
		return "", APIToken{}, err
	}
	raw, hash := core.NewToken()
	secret := tokenPrefix + raw
	now := d.Now()
	tok := APIToken{UserID: userID, Name: in.Name, Prefix: secret[:len(tokenPrefix)+6], TokenHash: hash, Scope: in.Scope,
		ExpiresAt: now.Add(time.Duration(in.ExpiresIn) * 24 * time.Hour), CreatedAt: now, ByOperator: byOperator}
	if err := d.DB.Conn(ctx).Create(&tok).Error; err != nil {
		return "", APIToken{}, core.DBError(err)
	}
	return secret, tok, nil
}

// List returns the actor's tokens, newest first, with when each was last used.
func (t *Tokens) List(ctx context.Context, who core.Actor) ([]APIToken, error) {
	if err := core.Can(ctx, t.d.Authz, who, policies.ActRead, ownTokens, "You cannot see API tokens."); err != nil {
		return nil, err
	}
	var out []APIToken
	err := t.d.DB.Conn(ctx).Where("user_id = ?", who.UserID).Order("created_at DESC, id DESC").Find(&out).Error
	return out, core.DBError(err)
}

// Revoke stops one of the actor's tokens working at once. Errors: ENOTFOUND.
func (t *Tokens) Revoke(ctx context.Context, who core.Actor, id int64) error {
	return t.d.DB.InTx(ctx, func(ctx context.Context) error {
		if err := core.Can(ctx, t.d.Authz, who, policies.ActRevoke, ownTokens, "You cannot revoke API tokens."); err != nil {
			return err
		}
		var tok APIToken
		err := t.d.DB.Conn(ctx).Take(&tok, "id = ? AND user_id = ?", id, who.UserID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return core.NotFound("Token not found")
		}
		if err != nil {
			return core.DBError(err)
		}
		if tok.RevokedAt != nil {
			return nil
		}
		if err := t.d.DB.Conn(ctx).Model(&tok).Update("revoked_at", t.d.Now()).Error; err != nil {
			return core.DBError(err)
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "token.revoke", ObjectType: "token", ObjectID: core.IDString(tok.ID), Outcome: core.OutcomeSuccess, Details: map[string]string{"name": tok.Name}})
	})
}

// Authenticate turns a bearer token into its user's Actor. A revoked or expired token, or one of
// a disabled user or deactivated organisation, does not work. Errors: EUNAUTHENTICATED.
func (t *Tokens) Authenticate(ctx context.Context, secret string) (core.Actor, error) {
	fail := core.Unauthenticated("The API token is not valid: it may have expired or been revoked")
	if !strings.HasPrefix(secret, tokenPrefix) {
		return core.Actor{}, fail
	}
	// One query: the token joined to its user and organisation (principal.go).
	tok, p, found, err := tokenPrincipal(ctx, t.d, core.TokenHash(strings.TrimPrefix(secret, tokenPrefix)))
	if err != nil {
		return core.Actor{}, err
	}
	if !found {
		return core.Actor{}, fail
	}
	now := t.d.Now()
	if !tok.Live(now) || !p.usable() {
		return core.Actor{}, fail
	}
	u := p.user
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) >= time.Minute {
		if err := t.d.DB.Conn(ctx).Model(&APIToken{}).Where("id = ?", tok.ID).Update("last_used_at", now).Error; err != nil {
			return core.Actor{}, core.DBError(err)
		}
	}
	a := core.ActorOf(t.d, u, now)
	a.TokenID, a.TokenScope, a.MFAPassed = tok.ID, tok.Scope, true
	return a, nil
}
