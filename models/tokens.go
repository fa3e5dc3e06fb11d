package models

import (
	"context"
	"errors"
	"strings"
	"time"

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
}

func (APIToken) TableName() string { return "api_tokens" }

// Live says whether the token still works at now.
func (t APIToken) Live(now time.Time) bool { return t.RevokedAt == nil && now.Before(t.ExpiresAt) }

// Tokens holds the operations on personal API tokens.
type Tokens struct {
	d     Deps
	audit *Audit
}

var ownTokens = policies.Object{Type: "token", Rel: policies.RelSelf}

// NewToken is what a user gives to create a token.
type NewToken struct {
	Name      string `json:"name"`
	Scope     string `json:"scope"`
	ExpiresIn int    `json:"expires_in_days"` // 1 to 90
}

// Create makes a token for the actor and returns its secret, shown this once. Errors: EINVALID.
func (t *Tokens) Create(ctx context.Context, who Actor, in NewToken) (string, APIToken, error) {
	var secret string
	var tok APIToken
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		if err := can(ctx, t.d.Authz, who, "create", ownTokens, "You cannot create API tokens."); err != nil {
			return err
		}
		var err error
		secret, tok, err = createToken(ctx, t.d, who.UserID, in)
		if err != nil {
			return err
		}
		return t.audit.Record(ctx, &who, Event{Action: "token.create", ObjectType: "token", ObjectID: idString(tok.ID), Outcome: OutcomeSuccess,
			Details: map[string]string{"name": tok.Name, "scope": tok.Scope, "expires": tok.ExpiresAt.Format(time.DateOnly)}})
	})
	return secret, tok, err
}

func createToken(ctx context.Context, d Deps, userID int64, in NewToken) (string, APIToken, error) {
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		return "", APIToken{}, Invalid("name", "Enter a name that says what the token is for")
	case len(in.Name) > 100:
		return "", APIToken{}, Invalid("name", "Name must be 100 characters or fewer")
	case in.Scope != ScopeRead && in.Scope != ScopeReadWrite:
		return "", APIToken{}, Invalid("scope", "Select read or read-write")
	case in.ExpiresIn < 1 || time.Duration(in.ExpiresIn)*24*time.Hour > MaxTokenLifetime:
		return "", APIToken{}, Invalid("expires_in_days", "A token must expire within 1 to 90 days")
	}
	raw, hash := newToken()
	secret := tokenPrefix + raw
	now := d.now()
	tok := APIToken{UserID: userID, Name: in.Name, Prefix: secret[:len(tokenPrefix)+6], TokenHash: hash, Scope: in.Scope,
		ExpiresAt: now.Add(time.Duration(in.ExpiresIn) * 24 * time.Hour), CreatedAt: now}
	if err := d.DB.conn(ctx).Create(&tok).Error; err != nil {
		return "", APIToken{}, dbError(err)
	}
	return secret, tok, nil
}

// List returns the actor's tokens, newest first, with when each was last used.
func (t *Tokens) List(ctx context.Context, who Actor) ([]APIToken, error) {
	if err := can(ctx, t.d.Authz, who, "read", ownTokens, "You cannot see API tokens."); err != nil {
		return nil, err
	}
	var out []APIToken
	err := t.d.DB.conn(ctx).Where("user_id = ?", who.UserID).Order("created_at DESC, id DESC").Find(&out).Error
	return out, dbError(err)
}

// Revoke stops one of the actor's tokens working at once. Errors: ENOTFOUND.
func (t *Tokens) Revoke(ctx context.Context, who Actor, id int64) error {
	return t.d.DB.InTx(ctx, func(ctx context.Context) error {
		if err := can(ctx, t.d.Authz, who, "revoke", ownTokens, "You cannot revoke API tokens."); err != nil {
			return err
		}
		var tok APIToken
		err := t.d.DB.conn(ctx).Take(&tok, "id = ? AND user_id = ?", id, who.UserID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return NotFound("Token not found")
		}
		if err != nil {
			return dbError(err)
		}
		if tok.RevokedAt != nil {
			return nil
		}
		if err := t.d.DB.conn(ctx).Model(&tok).Update("revoked_at", t.d.now()).Error; err != nil {
			return dbError(err)
		}
		return t.audit.Record(ctx, &who, Event{Action: "token.revoke", ObjectType: "token", ObjectID: idString(tok.ID), Outcome: OutcomeSuccess, Details: map[string]string{"name": tok.Name}})
	})
}

// Authenticate turns a bearer token into its user's Actor. A revoked or expired token, or one of
// a disabled user or deactivated organisation, does not work. Errors: EUNAUTHENTICATED.
func (t *Tokens) Authenticate(ctx context.Context, secret string) (Actor, error) {
	fail := Unauthenticated("The API token is not valid: it may have expired or been revoked")
	if !strings.HasPrefix(secret, tokenPrefix) {
		return Actor{}, fail
	}
	var tok APIToken
	err := t.d.DB.conn(ctx).Take(&tok, "token_hash = ?", tokenHash(strings.TrimPrefix(secret, tokenPrefix))).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Actor{}, fail
	}
	if err != nil {
		return Actor{}, dbError(err)
	}
	now := t.d.now()
	if !tok.Live(now) {
		return Actor{}, fail
	}
	var u User
	if err := t.d.DB.conn(ctx).Take(&u, tok.UserID).Error; err != nil {
		return Actor{}, dbError(err)
	}
	if u.DisabledAt != nil || !orgActive(ctx, t.d, u.OrganisationID) {
		return Actor{}, fail
	}
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) >= time.Minute {
		if err := t.d.DB.conn(ctx).Model(&tok).Update("last_used_at", now).Error; err != nil {
			return Actor{}, dbError(err)
		}
	}
	a := actorOf(t.d, u, now)
	a.TokenID, a.TokenScope, a.MFAPassed = tok.ID, tok.Scope, true
	return a, nil
}
