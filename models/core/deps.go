// Package core is what MSP Hub's domains share: the Actor and its clearance, the one error type,
// the database with the transaction travelling in the context, Can and CanSee over the
// authorizer, the audit log, stored files, notifications and their outbox, one-time links, the
// job runner, ids, cursors and pages, and UK time. It imports no domain.
package core

import (
	"context"
	"crypto/x509"
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
	StatsThreshold         int           // disclosure threshold of the national picture: counts under it show as [c]; default 5
}

func (c Config) WithDefaults() Config {
	if c.SessionIdleTimeout == 0 {
		c.SessionIdleTimeout = 30 * time.Minute
	}
	if c.SessionAbsoluteTimeout == 0 {
		c.SessionAbsoluteTimeout = 12 * time.Hour
	}
	if c.StatsThreshold == 0 {
		c.StatsThreshold = 5
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
	// AuditKey signs the audit log's checkpoints (and verifies them); nil = the sequencer
	// writes no checkpoints, and verification cannot check the log's tail.
	AuditKey *AuditKey
	Log      *slog.Logger
	Clock    func() time.Time
	Config   Config
}

// detachedTimeout bounds the work Detached carries on after a request ends.
const detachedTimeout = 5 * time.Second

// Detached is ctx without its cancellation, for what must still happen when the request that
// started it has ended (recording what was done, removing what was left behind), under a
// deadline of its own: a database or store that does not answer must not hold it until the
// fault clears.
func Detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), detachedTimeout)
}

// Now is the clock every operation reads, in UTC and at the microsecond precision both
// databases store.
func (d Deps) Now() time.Time {
	c := d.Clock
	if c == nil {
		c = time.Now
	}
	return c().UTC().Truncate(time.Microsecond)
}

// SMTPConfig says how MSP Hub reaches its mail relay (MSPHUB_SMTP_*). With none, there is no
// email: notifications stay in the app and set-password links are shown to the administrator.
type SMTPConfig struct {
	Addr     string         // host:port of the relay
	From     string         // From of every email, e.g. "MSP Hub <msphub@force.police.uk>"
	Username string         // AUTH PLAIN user; empty = no authentication
	Password string         // AUTH PLAIN password
	TLS      string         // SMTPStartTLS, SMTPImplicitTLS or SMTPNoTLS (a relay on loopback only)
	RootCAs  *x509.CertPool // CAs trusted for the relay's certificate; nil = the system's
}

// How the connection to the relay is protected.
const (
	SMTPStartTLS    = "starttls" // plain connection upgraded with STARTTLS before anything is sent; refused if not offered
	SMTPImplicitTLS = "tls"      // TLS from the first byte (usually port 465)
	SMTPNoTLS       = "none"     // no TLS: only for a relay on the same machine
)
