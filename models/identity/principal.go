package identity

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/msptp/msphub/models/core"
)

// principalColumns are the user's and organisation's columns an Actor is built from, read in
// the same statement as the session or token that names them (see sessionPrincipal and
// tokenPrincipal): authenticating a request is one indexed query, a primary-key lookup of the
// credential joined to two primary keys. Roles come from the in-memory policy, as before. The
// statement also reads the data's change counters, for the request's lists (core.NoteVersions).
func principalColumns(d core.Deps) string {
	return "u.id, u.organisation_id, u.email, u.name, u.vetting_level, u.vetting_expires_on, u.mfa_enabled_at, u.disabled_at, o.active, " +
		d.DB.VersionsColumn()
}

// principal is a user as authentication needs it, with whether their organisation is active.
type principal struct {
	user      core.User
	orgActive bool
	versions  string // core.DB.VersionsColumn
}

// usable says whether the user may act now: not disabled, and in an active organisation.
func (p principal) usable() bool { return p.user.DisabledAt == nil && p.orgActive }

// scanTargets are where principalColumns land.
func (p *principal) scanTargets(vettingExpires, mfaEnabled, disabled *sql.NullTime) []any {
	return []any{&p.user.ID, &p.user.OrganisationID, &p.user.Email, &p.user.Name, &p.user.VettingLevel,
		vettingExpires, mfaEnabled, disabled, &p.orgActive, &p.versions}
}

func (p *principal) setTimes(vettingExpires, mfaEnabled, disabled sql.NullTime) {
	opt := func(t sql.NullTime) *time.Time {
		if !t.Valid {
			return nil
		}
		v := t.Time.UTC()
		return &v
	}
	p.user.VettingExpiresOn, p.user.MFAEnabledAt, p.user.DisabledAt = opt(vettingExpires), opt(mfaEnabled), opt(disabled)
}

// sessionPrincipal reads the session with ID id, its user and the user's organisation in one
// query. found is false when there is no such session.
func sessionPrincipal(ctx context.Context, d core.Deps, id string) (sess Session, p principal, found bool, err error) {
	var vetting, mfa, disabled sql.NullTime
	targets := append([]any{&sess.ID, &sess.UserID, &sess.CSRFToken, &sess.MFAPassed, &sess.CreatedAt, &sess.LastSeenAt,
		&sess.ExpiresAt, &sess.ClientIP, &sess.UserAgent, &sess.SignInMethod}, p.scanTargets(&vetting, &mfa, &disabled)...)
	err = d.DB.Conn(ctx).Raw("SELECT s.id, s.user_id, s.csrf_token, s.mfa_passed, s.created_at, s.last_seen_at, s.expires_at, "+
		"s.client_ip, s.user_agent, s.sign_in_method, "+principalColumns(d)+
		" FROM sessions s JOIN users u ON u.id = s.user_id JOIN organisations o ON o.id = u.organisation_id WHERE s.id = ?", id).
		Row().Scan(targets...)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, principal{}, false, nil
	}
	if err != nil {
		return Session{}, principal{}, false, core.DBError(err)
	}
	p.setTimes(vetting, mfa, disabled)
	core.NoteVersions(ctx, p.versions)
	sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = sess.CreatedAt.UTC(), sess.LastSeenAt.UTC(), sess.ExpiresAt.UTC()
	return sess, p, true, nil
}

// tokenPrincipal reads the API token whose hash is hash, its user and the user's organisation in
// one query. found is false when there is no such token. Of the token it reads only what
// authenticating needs (id, user, scope, expiry, last use, revocation): the token's name, prefix
// and hash stay unset. Every request runs this query, and on SQLite each column read costs
// parsing the statement and converting the value (a time from text).
func tokenPrincipal(ctx context.Context, d core.Deps, hash string) (tok APIToken, p principal, found bool, err error) {
	var vetting, mfa, disabled, lastUsed, revoked sql.NullTime
	targets := append([]any{&tok.ID, &tok.UserID, &tok.Scope, &tok.ExpiresAt, &lastUsed, &revoked},
		p.scanTargets(&vetting, &mfa, &disabled)...)
	err = d.DB.Conn(ctx).Raw("SELECT t.id, t.user_id, t.scope, t.expires_at, t.last_used_at, t.revoked_at, "+principalColumns(d)+
		" FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN organisations o ON o.id = u.organisation_id WHERE t.token_hash = ?", hash).
		Row().Scan(targets...)
	if errors.Is(err, sql.ErrNoRows) {
		return APIToken{}, principal{}, false, nil
	}
	if err != nil {
		return APIToken{}, principal{}, false, core.DBError(err)
	}
	p.setTimes(vetting, mfa, disabled)
	core.NoteVersions(ctx, p.versions)
	if lastUsed.Valid {
		t := lastUsed.Time.UTC()
		tok.LastUsedAt = &t
	}
	if revoked.Valid {
		t := revoked.Time.UTC()
		tok.RevokedAt = &t
	}
	tok.ExpiresAt = tok.ExpiresAt.UTC()
	return tok, p, true, nil
}
