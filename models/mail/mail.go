// Package mail sends the email outbox over SMTP and decides what an email may say: never case
// material, only what a notification's kind and stored topic allow.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"gorm.io/gorm"
)

// Delivery limits. A claim (lease) holds a row while one sender works on it; sending one
// message, connection included, must end well inside it, so the lease never runs out under a
// live sender even with some clock skew between replicas.
const (
	mailBatch       = 100             // messages per run at most; the next run takes the rest
	mailLease       = 5 * time.Minute // how long a claim holds a row
	mailSendTimeout = time.Minute     // connect, authenticate and send one message
	mailMaxAttempts = 8               // then the row is marked failed
	mailFirstRetry  = time.Minute     // back-off after the first failure, doubling each time
	mailMaxRetry    = time.Hour       // longest wait between two attempts
	mailMaxAge      = 72 * time.Hour  // older unsent rows (email switched on late) are not sent
	mailErrorLen    = 500             // outbox.last_error
)

// mailRow is an outbox row as the sender sees it, with its claim.
type mailRow struct {
	core.OutboxEntry
	ClaimedUntil *time.Time
	ClaimToken   string
	FailedAt     *time.Time
}

func (mailRow) TableName() string { return "outbox" }

// Mail delivers the email outbox over SMTP. It exists only when SMTP is configured.
type Service struct {
	d         core.Deps
	composers map[string]core.EmailComposer
	cfg       core.SMTPConfig
	from      *mail.Address
	host      string // MSP Hub's public host name: HELO and Message-IDs
	base      string // public URL without a trailing slash
}

// newMail builds the sender; composers write the emails of the kinds that say more than the
// generic email (set-password links, say).
func New(d core.Deps, composers map[string]core.EmailComposer) *Service {
	if d.SMTP == nil {
		return nil
	}
	m := &Service{d: d, composers: composers, cfg: *d.SMTP, base: strings.TrimRight(d.Config.PublicURL, "/"), host: "localhost"}
	if m.cfg.TLS == "" {
		m.cfg.TLS = core.SMTPStartTLS
	}
	if a, err := mail.ParseAddress(m.cfg.From); err == nil {
		m.from = a
	} else {
		m.from = &mail.Address{Address: m.cfg.From} // validated by the configuration; sending will say
	}
	if u, err := url.Parse(m.base); err == nil && u.Hostname() != "" {
		m.host = u.Hostname()
	}
	return m
}

// deliveryReport counts what one run did.
type deliveryReport struct{ sent, retrying, failed, expired int }

func (r deliveryReport) String() string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{r.sent, "sent"}, {r.retrying, "retrying"}, {r.failed, "failed"}, {r.expired, "too old to send"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if len(parts) == 0 {
		return "nothing to send"
	}
	return strings.Join(parts, ", ")
}

// DeliverOutbox sends the email outbox rows that are due, up to a batch, and returns what it
// did ("3 sent, 1 retrying"). Any number of replicas may run it at once: each row is claimed by
// a conditional UPDATE before it is sent, so one notification is never sent twice. A
// temporary failure schedules a retry with exponential back-off; after mailMaxAttempts, or a
// permanent refusal, the row is marked failed with the last error. A claim that ran out
// without an outcome (its sender stopped mid-delivery) is marked failed rather than sent again:
// the message may have gone. The error is for a run that could not work (database down, relay
// unreachable); the rows it touched are already rescheduled.
func (m *Service) DeliverOutbox(ctx context.Context) (string, error) {
	var r deliveryReport
	var conn *smtpConn
	defer func() {
		if conn != nil {
			conn.quit()
		}
	}()
	expired, err := m.expireOld(ctx)
	if err != nil {
		return r.String(), err
	}
	r.expired = expired
	for r.sent+r.retrying+r.failed < mailBatch {
		if err := ctx.Err(); err != nil {
			return r.String(), err
		}
		row, ok, err := m.claim(ctx, &r)
		if err != nil {
			return r.String(), err
		}
		if !ok {
			break
		}
		msg, to, err := m.compose(ctx, row)
		var perm *permanentError
		switch {
		case errors.As(err, &perm):
			if err := m.fail(ctx, row, perm.Error()); err != nil {
				return r.String(), err
			}
			r.failed++
			continue
		case err != nil:
			retried, rerr := m.retry(ctx, row, err.Error())
			r.count(retried)
			if rerr != nil {
				return r.String(), rerr
			}
			return r.String(), err
		}
		if conn == nil {
			if conn, err = m.dial(ctx); err != nil {
				retried, rerr := m.retry(ctx, row, err.Error())
				r.count(retried)
				if rerr != nil {
					return r.String(), rerr
				}
				return r.String(), fmt.Errorf("mail relay %s: %w", m.cfg.Addr, err)
			}
		}
		serr := conn.send(m.from.Address, to, msg)
		switch outcome(serr) {
		case delivered:
			if err := m.delivered(ctx, row); err != nil {
				return r.String(), err
			}
			r.sent++
			m.d.Log.InfoContext(ctx, "email sent", slog.Int64("outbox_id", row.ID), slog.Int64("notification_id", row.NotificationID))
			continue
		case refused:
			err = m.fail(ctx, row, "The relay refused it: "+serr.Error())
			r.failed++
		case uncertain:
			err = m.fail(ctx, row, "Not sent again: the connection broke after the message was handed on, so it may have gone ("+serr.Error()+")")
			r.failed++
		default:
			var retried bool
			retried, err = m.retry(ctx, row, serr.Error())
			r.count(retried)
		}
		// After any failure the connection is in an unknown state: start afresh.
		conn.close()
		conn = nil
		if err != nil {
			return r.String(), err
		}
	}
	return r.String(), nil
}

func (r *deliveryReport) count(retried bool) {
	if retried {
		r.retrying++
	} else {
		r.failed++
	}
}

// claim takes the next due row for this sender: a conditional UPDATE that succeeds only if no
// other sender holds the row. A row whose earlier claim ran out without an outcome is marked
// failed instead (counted in r). ok is false when nothing is due.
func (m *Service) claim(ctx context.Context, r *deliveryReport) (mailRow, bool, error) {
	db := m.d.DB.Conn(ctx)
	for {
		now := m.d.Now()
		var row mailRow
		err := db.Where("channel = ? AND delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)",
			core.ChannelEmail, now, now).Order("next_attempt_at, id").Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return mailRow{}, false, nil
		}
		if err != nil {
			return mailRow{}, false, core.DBError(err)
		}
		if row.ClaimedUntil != nil {
			why := "Not sent: the sender stopped during delivery, so the message may have gone; it is not sent again."
			res := db.Model(&mailRow{}).Where("id = ? AND claim_token = ? AND delivered_at IS NULL AND failed_at IS NULL", row.ID, row.ClaimToken).
				Where("claimed_until IS NULL OR claimed_until <= ?", now).
				Updates(map[string]any{"failed_at": now, "claimed_until": nil, "claim_token": "", "last_error": why})
			if res.Error != nil {
				return mailRow{}, false, core.DBError(res.Error)
			}
			if res.RowsAffected == 1 {
				r.failed++
				m.d.Log.WarnContext(ctx, "email not sent", slog.Int64("outbox_id", row.ID), slog.String("reason", why))
			}
			continue
		}
		token, _ := core.NewToken()
		until := now.Add(mailLease)
		res := db.Model(&mailRow{}).Where("id = ? AND claimed_until IS NULL AND delivered_at IS NULL AND failed_at IS NULL", row.ID).
			Updates(map[string]any{"claimed_until": until, "claim_token": token, "attempts": gorm.Expr("attempts + 1")})
		if res.Error != nil {
			return mailRow{}, false, core.DBError(res.Error)
		}
		if res.RowsAffected == 1 {
			row.ClaimedUntil, row.ClaimToken, row.Attempts = &until, token, row.Attempts+1
			return row, true, nil
		}
		// Another sender took it between the read and the update: look for the next one.
	}
}

// expireOld marks failed, in one statement, the unsent rows older than mailMaxAge that nobody
// holds: after email was off for a while, people get what is new, not a flood of stale news,
// and new rows do not wait behind a backlog.
func (m *Service) expireOld(ctx context.Context) (int, error) {
	now := m.d.Now()
	res := m.d.DB.Conn(ctx).Model(&mailRow{}).
		Where("channel = ? AND delivered_at IS NULL AND failed_at IS NULL AND claimed_until IS NULL AND created_at < ?", core.ChannelEmail, now.Add(-mailMaxAge)).
		Updates(map[string]any{"failed_at": now, "last_error": "Not sent: it waited more than 72 hours (was email switched off?)."})
	return int(res.RowsAffected), core.DBError(res.Error)
}

// settle records the outcome of a claimed row, only while the claim is still this sender's.
func (m *Service) settle(ctx context.Context, row mailRow, set map[string]any) error {
	set["claimed_until"], set["claim_token"] = nil, ""
	res := m.d.DB.Conn(ctx).Model(&mailRow{}).Where("id = ? AND claim_token = ?", row.ID, row.ClaimToken).Updates(set)
	if res.Error != nil {
		return core.DBError(res.Error)
	}
	if res.RowsAffected != 1 {
		m.d.Log.WarnContext(ctx, "email claim lost before its outcome was recorded", slog.Int64("outbox_id", row.ID))
	}
	return nil
}

func (m *Service) delivered(ctx context.Context, row mailRow) error {
	return m.settle(ctx, row, map[string]any{"delivered_at": m.d.Now(), "last_error": ""})
}

func (m *Service) fail(ctx context.Context, row mailRow, why string) error {
	m.d.Log.WarnContext(ctx, "email failed", slog.Int64("outbox_id", row.ID), slog.Int("attempts", row.Attempts), slog.String("error", why))
	return m.settle(ctx, row, map[string]any{"failed_at": m.d.Now(), "last_error": core.Clip(why, mailErrorLen)})
}

// retry schedules the next attempt after an exponential back-off, or marks the row failed when
// it has had its attempts; it reports which.
func (m *Service) retry(ctx context.Context, row mailRow, why string) (bool, error) {
	if row.Attempts >= mailMaxAttempts {
		return false, m.fail(ctx, row, fmt.Sprintf("Gave up after %d attempts: %s", row.Attempts, why))
	}
	wait := mailBackoff(row.Attempts)
	m.d.Log.InfoContext(ctx, "email will be retried", slog.Int64("outbox_id", row.ID), slog.Int("attempts", row.Attempts),
		slog.Duration("wait", wait), slog.String("error", why))
	return true, m.settle(ctx, row, map[string]any{"next_attempt_at": m.d.Now().Add(wait), "last_error": core.Clip(why, mailErrorLen)})
}

// mailBackoff is the wait after the attempts-th failure: 1, 2, 4 … minutes, at most an hour.
func mailBackoff(attempts int) time.Duration {
	wait := mailFirstRetry
	for i := 1; i < attempts && wait < mailMaxRetry; i++ {
		wait *= 2
	}
	return min(wait, mailMaxRetry)
}

// permanentError is a reason not to try a row again (the account is gone or disabled).
type permanentError struct{ reason string }

func (e *permanentError) Error() string { return e.reason }

// compose builds the email of a claimed row and returns it with the recipient's address.
func (m *Service) compose(ctx context.Context, row mailRow) ([]byte, string, error) {
	db := m.d.DB.Conn(ctx)
	var n core.Notification
	if err := db.Take(&n, row.NotificationID).Error; err != nil {
		return nil, "", core.DBError(err)
	}
	var u core.User
	err := db.Take(&u, n.UserID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, "", &permanentError{"Not sent: the account no longer exists."}
	}
	if err != nil {
		return nil, "", core.DBError(err)
	}
	if u.DisabledAt != nil {
		return nil, "", &permanentError{"Not sent: the account is disabled."}
	}
	var c core.Email
	if compose, ok := m.composers[n.Kind]; ok {
		c, err = compose(ctx, n, u)
	} else {
		c = m.notificationMail(n, u)
	}
	if err != nil {
		return nil, "", err
	}
	msg, err := encodeEmail(c, m.from, &mail.Address{Name: u.Name, Address: u.Email}, m.d.Now(),
		fmt.Sprintf("<outbox.%d.%d@%s>", row.ID, row.CreatedAt.UnixMicro(), m.host))
	return msg, u.Email, err
}

// smtpConn is one authenticated connection to the relay, reused for the messages of a run.
type smtpConn struct {
	raw net.Conn
	c   *smtp.Client
}

// dial connects to the relay with the configured protection and authenticates. STARTTLS is
// required when configured: a relay that does not offer it gets nothing, not even the
// credentials.
func (m *Service) dial(ctx context.Context) (*smtpConn, error) {
	host, _, err := net.SplitHostPort(m.cfg.Addr)
	if err != nil {
		return nil, err
	}
	tlsCfg := &tls.Config{ServerName: host, RootCAs: m.cfg.RootCAs, MinVersion: tls.VersionTLS12}
	dialer := net.Dialer{Timeout: 30 * time.Second}
	raw, err := dialer.DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return nil, err
	}
	raw.SetDeadline(time.Now().Add(mailSendTimeout))
	conn := raw
	if m.cfg.TLS == core.SMTPImplicitTLS {
		tc := tls.Client(raw, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("TLS: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		raw.Close()
		return nil, err
	}
	s := &smtpConn{raw: raw, c: c}
	if err := c.Hello(m.host); err != nil {
		s.close()
		return nil, err
	}
	if m.cfg.TLS == core.SMTPStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			s.close()
			return nil, errors.New("the relay does not offer STARTTLS (set MSPHUB_SMTP_TLS=tls if it expects TLS from the start)")
		}
		if err := c.StartTLS(tlsCfg); err != nil {
			s.close()
			return nil, fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if m.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			s.close()
			return nil, errors.New("the relay does not offer authentication")
		}
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, host)); err != nil {
			s.close()
			return nil, fmt.Errorf("authentication: %w", err)
		}
	}
	return s, nil
}

// sendError is a failed send with the step it failed at, so its error can be judged.
type sendError struct {
	err  error
	step string // "MAIL", "RCPT", "DATA" or "end": the relay's answer to the whole message
}

func (e *sendError) Error() string { return e.step + ": " + e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// send hands one message to the relay within mailSendTimeout.
func (s *smtpConn) send(from, to string, msg []byte) error {
	s.raw.SetDeadline(time.Now().Add(mailSendTimeout))
	if err := s.c.Mail(from); err != nil {
		return &sendError{err, "MAIL"}
	}
	if err := s.c.Rcpt(to); err != nil {
		return &sendError{err, "RCPT"}
	}
	w, err := s.c.Data()
	if err != nil {
		return &sendError{err, "DATA"}
	}
	if _, err := w.Write(msg); err != nil {
		return &sendError{err, "DATA"}
	}
	if err := w.Close(); err != nil {
		return &sendError{err, "end"}
	}
	return nil
}

func (s *smtpConn) quit() {
	s.raw.SetDeadline(time.Now().Add(10 * time.Second))
	if err := s.c.Quit(); err != nil {
		s.c.Close()
	}
}

func (s *smtpConn) close() { s.c.Close() }

// sendOutcome is what a send's error means for its row.
type sendOutcome int

const (
	delivered sendOutcome = iota // the relay took it
	temporary                    // try again later: a 4xx answer, a refused sender (configuration), or a connection that failed before the message was handed on
	refused                      // a 5xx answer to the recipient or to the message: trying again will not help
	uncertain                    // the connection broke after the whole message was handed on: it may have gone
)

func outcome(err error) sendOutcome {
	if err == nil {
		return delivered
	}
	var se *sendError
	if !errors.As(err, &se) {
		return temporary
	}
	var proto *textproto.Error
	switch {
	case errors.As(err, &proto):
		if proto.Code >= 500 && (se.step == "RCPT" || se.step == "end") {
			return refused
		}
		return temporary
	case se.step == "end":
		return uncertain
	}
	return temporary
}

// JobDeliverOutbox sends the email outbox; it exists only when a mail relay is configured.
const JobDeliverOutbox = "deliver-outbox"

// Jobs are email's background jobs.
func (m *Service) Jobs() []core.Job {
	return []core.Job{{Name: JobDeliverOutbox, Every: time.Minute, Run: m.DeliverOutbox}}
}
