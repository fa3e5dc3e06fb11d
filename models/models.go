// Package models holds MSP Hub's domain: its entities, the operations on them with their
// business rules, and database access. Every operation authorizes through policies, validates,
// writes in one transaction with its audit event, and returns *Error values. It imports no HTTP.
package models

import (
	"log/slog"
	"time"

	"github.com/msptp/msphub/policies"
	"github.com/msptp/msphub/storage"
)

// Config holds the settings the operations need.
type Config struct {
	SessionIdleTimeout     time.Duration // a session unused this long ends; default 30 minutes
	SessionAbsoluteTimeout time.Duration // a session ends this long after sign-in; default 12 hours
	PublicURL              string        // base of links handed out (setup, set-password)
}

func (c Config) withDefaults() Config {
	if c.SessionIdleTimeout == 0 {
		c.SessionIdleTimeout = 30 * time.Minute
	}
	if c.SessionAbsoluteTimeout == 0 {
		c.SessionAbsoluteTimeout = 12 * time.Hour
	}
	return c
}

// Deps are what the operations are built from. Clock defaults to time.Now; tests move it.
type Deps struct {
	DB      *DB
	Authz   *policies.Authorizer
	Blobs   *storage.Store
	Secrets *storage.Keyring // seals small secrets (TOTP keys) at rest
	SMTP    *SMTPConfig      // the mail relay; nil = no email
	Log     *slog.Logger
	Clock   func() time.Time
	Config  Config
}

// Services are the operations of MSP Hub, built once by New.
type Services struct {
	Audit         *Audit
	Organisations *Organisations
	Users         *Users
	Accounts      *Accounts
	Sessions      *Sessions
	Tokens        *Tokens
	Operator      *Operator
	Guidance      *Guidance
	Training      *Training
	Notifications *Notifications
	CaseFiles     *CaseFiles
	Monitor       *Monitor
	Jobs          *Jobs
	Mail          *Mail // nil when no mail relay is configured
	OIDC          *OIDC // single sign-on through organisations' OpenID providers
}

// New builds the operations from their dependencies.
func New(d Deps) *Services {
	d.Config = d.Config.withDefaults()
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	audit := newAudit(d)
	users := &Users{d: d, audit: audit}
	s := &Services{
		Audit:         audit,
		Organisations: &Organisations{d: d, audit: audit},
		Users:         users,
		Accounts:      &Accounts{d: d, audit: audit},
		Sessions:      &Sessions{d: d, audit: audit},
		Tokens:        &Tokens{d: d, audit: audit},
		Operator:      &Operator{d: d, audit: audit, users: users},
		Guidance:      &Guidance{d: d, audit: audit},
		Training:      &Training{d: d, audit: audit},
		Notifications: &Notifications{d: d, audit: audit},
		CaseFiles:     &CaseFiles{d: d, audit: audit},
		Monitor:       &Monitor{d: d},
		Jobs:          newJobs(d, audit),
		Mail:          newMail(d),
		OIDC:          newOIDC(d, audit),
	}
	registerJobs(s, d, audit)
	return s
}

// now is the clock every operation reads, in UTC and at the microsecond precision both
// databases store.
func (d Deps) now() time.Time {
	c := d.Clock
	if c == nil {
		c = time.Now
	}
	return c().UTC().Truncate(time.Microsecond)
}
