package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// Session is a signed-in browser. Its ID is the SHA-256 of the cookie value, which only the
// browser holds.
type Session struct {
	ID         string    `json:"-"`
	UserID     int64     `json:"-"`
	CSRFToken  string    `json:"-"`
	MFAPassed  bool      `json:"-" gorm:"column:mfa_passed"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	ClientIP   string    `json:"client_ip"`
	UserAgent  string    `json:"user_agent"`
	// SignInMethod is SignInPassword, or SignInOIDC for a session begun through an
	// organisation's OpenID provider, whose sign-in counts as the second factor.
	SignInMethod string `json:"-" gorm:"default:password"`
}

// Step is what a browser must do next after signing in.
type Step string

// The steps of signing in.
const (
	StepDone      Step = "done"       // fully signed in
	StepMFA       Step = "mfa"        // enter a code from the authenticator app (or a recovery code)
	StepEnrolMFA  Step = "enrol_mfa"  // the roles need a second factor: set one up first
	StepSetupDone Step = "setup_done" // the first administrator was created: set up a second factor
)

// SignedIn is the outcome of a successful step: the cookie value to set and what comes next.
type SignedIn struct {
	Token string
	Next  Step
}

// Sessions holds signing in and out and the lookup of a browser's session.
type Sessions struct {
	d     core.Deps
	audit *core.Audit
}

// startSession stores a new session for the user and returns its cookie value. Every sign-in
// and every change of privilege (second factor passed, password changed) gets a new ID, so a
// session ID known before cannot be used after (session fixation).
func startSession(ctx context.Context, d core.Deps, userID int64, mfaPassed bool) (string, error) {
	token, id := core.NewToken()
	csrf, _ := core.NewToken()
	ri := core.RequestInfoOf(ctx)
	now := d.Now()
	s := Session{ID: id, UserID: userID, CSRFToken: csrf, MFAPassed: mfaPassed, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(d.Config.WithDefaults().SessionAbsoluteTimeout), ClientIP: truncate(ri.ClientIP, 64), UserAgent: truncate(ri.UserAgent, 512)}
	if err := d.DB.Conn(ctx).Create(&s).Error; err != nil {
		return "", core.DBError(err)
	}
	return token, nil
}

// endSessions deletes every session of the user except keep (a session ID, or "").
func endSessions(ctx context.Context, db *core.DB, userID int64, keep string) error {
	return core.DBError(db.Conn(ctx).Where("user_id = ? AND id <> ?", userID, keep).Delete(&Session{}).Error)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// genericFailure is the one answer to a failed sign-in: it never says whether the email address
// has an account, or whether that account is disabled.
const genericFailure = "The email address or password is not right"

// SignIn checks an email address and password. It is throttled per account and per client
// address; every attempt is audited. On success it starts a session that may still need the
// second factor. Errors: EUNAUTHENTICATED (generic, whatever went wrong), ETOOMANY (throttled),
// EINVALID (empty fields).
func (s *Sessions) SignIn(ctx context.Context, email, password string) (SignedIn, error) {
	if email == "" {
		return SignedIn{}, core.Invalid("email", "Enter your email address")
	}
	if password == "" {
		return SignedIn{}, core.Invalid("password", "Enter your password")
	}
	email, _ = core.NormaliseEmail(email) // a malformed address simply matches no account
	keys := []string{throttleKey("account", email), throttleKey("ip", core.RequestInfoOf(ctx).ClientIP)}
	var out SignedIn
	var failure error
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		if wait, err := throttled(ctx, s.d, keys); err != nil {
			return err
		} else if wait > 0 {
			failure = tooMany(wait)
			return s.audit.Record(ctx, nil, core.Event{Action: "auth.sign_in", Outcome: core.OutcomeDenied,
				Details: map[string]string{"email": email, "reason": "throttled"}})
		}
		var user core.User
		err := s.d.DB.Conn(ctx).Where("email = ?", email).Take(&user).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return core.DBError(err)
		}
		// Verify even without an account, against nothing, so the time taken does not tell.
		ok, rehash, err := VerifyPassword(user.PasswordHash, password)
		if err != nil {
			return core.Internal(err)
		}
		active := ok && user.DisabledAt == nil && core.OrgActive(ctx, s.d, user.OrganisationID)
		if !active {
			if err := recordFailure(ctx, s.d, keys); err != nil {
				return err
			}
			failure = core.Unauthenticated(genericFailure)
			details := map[string]string{"email": email}
			var who *core.Actor
			if user.ID != 0 {
				who = &core.Actor{UserID: user.ID, OrgID: user.OrganisationID}
				details["reason"] = map[bool]string{true: "disabled", false: "wrong password"}[ok]
			} else {
				details["reason"] = "no such account"
			}
			return s.audit.Record(ctx, who, core.Event{Action: "auth.sign_in", ObjectType: "user", ObjectID: idStringOrEmpty(user.ID), Outcome: core.OutcomeFailure, Details: details})
		}
		if err := clearThrottle(ctx, s.d, keys[0]); err != nil {
			return err
		}
		updates := map[string]any{"last_sign_in_at": s.d.Now()}
		if rehash {
			if h, err := HashPassword(password); err == nil {
				updates["password_hash"] = h
			}
		}
		if err := s.d.DB.Conn(ctx).Model(&user).Updates(updates).Error; err != nil {
			return core.DBError(err)
		}
		roles := s.d.Authz.RolesIn(policies.UserPrincipal(user.ID), policies.OrgDomain(user.OrganisationID))
		out.Next = StepDone
		switch {
		case user.MFAEnabledAt != nil:
			out.Next = StepMFA
		case mfaRequired(roles):
			out.Next = StepEnrolMFA
		}
		if out.Token, err = startSession(ctx, s.d, user.ID, out.Next == StepDone); err != nil {
			return err
		}
		who := core.Actor{UserID: user.ID, OrgID: user.OrganisationID}
		return s.audit.Record(ctx, &who, core.Event{Action: "auth.sign_in", ObjectType: "user", ObjectID: core.IDString(user.ID),
			Outcome: core.OutcomeSuccess, Details: map[string]string{"next": string(out.Next)}})
	})
	if err != nil {
		return SignedIn{}, err
	}
	return out, failure
}

func idStringOrEmpty(id int64) string {
	if id == 0 {
		return ""
	}
	return core.IDString(id)
}

// Authenticate turns a session cookie into the Actor it signed in, with roles and clearance as
// they are now. A session unused for the idle time-out, or older than the absolute time-out, has
// ended; so has the session of a disabled user or a deactivated organisation. Errors:
// EUNAUTHENTICATED.
func (s *Sessions) Authenticate(ctx context.Context, token string) (core.Actor, Session, error) {
	// One query: the session joined to its user and organisation (principal.go).
	sess, p, found, err := sessionPrincipal(ctx, s.d, core.TokenHash(token))
	if err != nil {
		return core.Actor{}, Session{}, err
	}
	if !found {
		return core.Actor{}, Session{}, core.Unauthenticated("Sign in to continue")
	}
	now := s.d.Now()
	cfg := s.d.Config.WithDefaults()
	ended := ""
	switch {
	case !now.Before(sess.ExpiresAt):
		ended = "absolute time-out"
	case now.Sub(sess.LastSeenAt) >= cfg.SessionIdleTimeout:
		ended = "idle time-out"
	case !p.usable():
		ended = "account disabled"
	}
	user := p.user
	if ended != "" {
		err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
			if err := s.d.DB.Conn(ctx).Delete(&Session{}, "id = ?", sess.ID).Error; err != nil {
				return core.DBError(err)
			}
			who := core.Actor{UserID: sess.UserID}
			return s.audit.Record(ctx, &who, core.Event{Action: "auth.session_end", ObjectType: "user", ObjectID: core.IDString(sess.UserID),
				Outcome: core.OutcomeSuccess, Details: map[string]string{"reason": ended}})
		})
		if err != nil {
			return core.Actor{}, Session{}, err
		}
		return core.Actor{}, Session{}, core.Unauthenticated("Your session has ended. Sign in again.")
	}
	// Touch at most once a minute: enough for a 30-minute idle time-out, far fewer writes.
	if now.Sub(sess.LastSeenAt) >= time.Minute {
		if err := s.d.DB.Conn(ctx).Model(&Session{}).Where("id = ?", sess.ID).Update("last_seen_at", now).Error; err != nil {
			return core.Actor{}, Session{}, core.DBError(err)
		}
	}
	a := core.ActorOf(s.d, user, now)
	// A role granted since sign-in may now require a second factor the user has not set up.
	// A provider's sign-in is the second factor of its sessions: MFA is the provider's job.
	a.SessionID, a.MFAPassed = sess.ID, sess.MFAPassed && (a.MFAEnrolled || !mfaRequired(a.Roles) || sess.SignInMethod == SignInOIDC)
	return a, sess, nil
}

// VerifyMFA completes a sign-in with a code from the authenticator app or an unused recovery
// code, and replaces the session with a new one (new ID) that has passed. Attempts are throttled
// and audited. Errors: EUNAUTHENTICATED (no such pending session), EINVALID (wrong code),
// ETOOMANY.
func (s *Sessions) VerifyMFA(ctx context.Context, token, code string) (SignedIn, error) {
	var out SignedIn
	var failure error
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		who, sess, err := s.Authenticate(ctx, token)
		if err != nil {
			return err
		}
		if sess.MFAPassed {
			out = SignedIn{Token: token, Next: StepDone}
			return nil
		}
		var user core.User
		if err := s.d.DB.Conn(ctx).Take(&user, who.UserID).Error; err != nil {
			return core.DBError(err)
		}
		if user.MFAEnabledAt == nil {
			return core.Conflict("Set up your second factor first")
		}
		keys := []string{throttleKey("mfa", core.IDString(user.ID))}
		if wait, err := throttled(ctx, s.d, keys); err != nil {
			return err
		} else if wait > 0 {
			failure = tooMany(wait)
			return s.audit.Record(ctx, &who, core.Event{Action: "auth.mfa", ObjectType: "user", ObjectID: core.IDString(user.ID), Outcome: core.OutcomeDenied, Details: map[string]string{"reason": "throttled"}})
		}
		method, err := checkSecondFactor(ctx, s.d, &user, code)
		if err != nil {
			return err
		}
		if method == "" {
			if err := recordFailure(ctx, s.d, keys); err != nil {
				return err
			}
			failure = core.Invalid("code", "The code is not right. Enter the current 6-digit code from your authenticator app, or a recovery code")
			return s.audit.Record(ctx, &who, core.Event{Action: "auth.mfa", ObjectType: "user", ObjectID: core.IDString(user.ID), Outcome: core.OutcomeFailure})
		}
		if err := clearThrottle(ctx, s.d, keys[0]); err != nil {
			return err
		}
		if err := s.d.DB.Conn(ctx).Delete(&Session{}, "id = ?", sess.ID).Error; err != nil {
			return core.DBError(err)
		}
		if out.Token, err = startSession(ctx, s.d, user.ID, true); err != nil {
			return err
		}
		out.Next = StepDone
		return s.audit.Record(ctx, &who, core.Event{Action: "auth.mfa", ObjectType: "user", ObjectID: core.IDString(user.ID), Outcome: core.OutcomeSuccess, Details: map[string]string{"method": method}})
	})
	if err != nil {
		return SignedIn{}, err
	}
	return out, failure
}

// checkSecondFactor accepts a current TOTP code (each step once) or an unused recovery code,
// recording its use; it returns "totp", "recovery_code" or "" when neither matches.
func checkSecondFactor(ctx context.Context, d core.Deps, user *core.User, code string) (string, error) {
	secret, err := d.Secrets.Open(user.MFASecret, "totp")
	if err != nil {
		return "", core.Internal(err)
	}
	if step, ok := VerifyTOTP(string(secret), code, d.Now(), user.MFALastStep); ok {
		// A code is good once: of two uses at the same moment, only the one that moves the
		// last step on counts (the other read the step before it moved).
		res := d.DB.Conn(ctx).Model(&core.User{}).Where("id = ? AND mfa_last_step < ?", user.ID, step).Update("mfa_last_step", step)
		if res.Error != nil || res.RowsAffected == 0 {
			return "", core.DBError(res.Error)
		}
		user.MFALastStep = step
		return "totp", nil
	}
	res := d.DB.Conn(ctx).Model(&recoveryCode{}).
		Where("user_id = ? AND code_hash = ? AND used_at IS NULL", user.ID, RecoveryCodeHash(code)).
		Update("used_at", d.Now())
	if res.Error != nil {
		return "", core.DBError(res.Error)
	}
	if res.RowsAffected == 1 {
		return "recovery_code", nil
	}
	return "", nil
}

// SignOut ends the actor's session. It is audited.
func (s *Sessions) SignOut(ctx context.Context, who core.Actor) error {
	return s.d.DB.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.DB.Conn(ctx).Delete(&Session{}, "id = ?", who.SessionID).Error; err != nil {
			return core.DBError(err)
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "auth.sign_out", ObjectType: "user", ObjectID: core.IDString(who.UserID), Outcome: core.OutcomeSuccess})
	})
}

// SignOutEverywhere ends every session of the actor, this one included.
func (s *Sessions) SignOutEverywhere(ctx context.Context, who core.Actor) error {
	return s.d.DB.InTx(ctx, func(ctx context.Context) error {
		if err := endSessions(ctx, s.d.DB, who.UserID, ""); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "auth.sign_out_everywhere", ObjectType: "user", ObjectID: core.IDString(who.UserID), Outcome: core.OutcomeSuccess})
	})
}

// SessionView is one of the actor's sessions as the account page lists it.
type SessionView struct {
	Session
	Ref     string `json:"ref"` // names the session in a revoke request without revealing its ID
	Current bool   `json:"current"`
}

// List returns the actor's own sessions, newest first.
func (s *Sessions) List(ctx context.Context, who core.Actor) ([]SessionView, error) {
	var rows []Session
	if err := s.d.DB.Conn(ctx).Where("user_id = ?", who.UserID).Order("created_at DESC").Find(&rows).Error; err != nil {
		return nil, core.DBError(err)
	}
	out := make([]SessionView, 0, len(rows))
	for _, r := range rows {
		out = append(out, SessionView{Session: r, Ref: sessionRef(r.ID), Current: r.ID == who.SessionID})
	}
	return out, nil
}

// sessionRef is a short public handle for a session, derived from its ID hash.
func sessionRef(id string) string {
	sum := sha256.Sum256([]byte("ref:" + id))
	return hex.EncodeToString(sum[:8])
}

// Revoke ends one of the actor's own sessions, named by its ref. Errors: ENOTFOUND.
func (s *Sessions) Revoke(ctx context.Context, who core.Actor, ref string) error {
	return s.d.DB.InTx(ctx, func(ctx context.Context) error {
		views, err := s.List(ctx, who)
		if err != nil {
			return err
		}
		for _, v := range views {
			if v.Ref != ref {
				continue
			}
			if err := s.d.DB.Conn(ctx).Delete(&Session{}, "id = ?", v.ID).Error; err != nil {
				return core.DBError(err)
			}
			return s.audit.Record(ctx, &who, core.Event{Action: "auth.session_revoke", ObjectType: "user", ObjectID: core.IDString(who.UserID), Outcome: core.OutcomeSuccess})
		}
		return core.NotFound("Session not found")
	})
}

// expireSessions removes the sessions that have ended, by the idle or the absolute time-out:
// Authenticate refuses them already, and they need not wait for their browser to come back to be
// deleted. One audit event records how many went.
func expireSessions(d core.Deps, audit *core.Audit) core.JobFunc {
	return func(ctx context.Context) (string, error) {
		now := d.Now()
		cfg := d.Config.WithDefaults()
		var n int64
		err := d.DB.InTx(ctx, func(ctx context.Context) error {
			res := d.DB.Conn(ctx).Where("expires_at <= ? OR last_seen_at <= ?", now, now.Add(-cfg.SessionIdleTimeout)).Delete(&Session{})
			if res.Error != nil {
				return core.DBError(res.Error)
			}
			if n = res.RowsAffected; n == 0 {
				return nil
			}
			return audit.Record(ctx, nil, core.Event{Action: "auth.sessions_expire", ObjectType: "session", Outcome: core.OutcomeSuccess,
				Details: map[string]string{"count": strconv.FormatInt(n, 10)}})
		})
		if err != nil {
			return "", err
		}
		return core.Plural(n, "expired session", "expired sessions") + " removed", nil
	}
}

// JobExpireSessions removes the sessions that have ended.
const JobExpireSessions = "expire-sessions"

// jobs are the background jobs of signing in.
func (s *Sessions) jobs() []core.Job {
	return []core.Job{{Name: JobExpireSessions, Every: 15 * time.Minute, Run: expireSessions(s.d, s.audit)}}
}
