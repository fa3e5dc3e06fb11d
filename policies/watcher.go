package policies

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// notifyChannel carries policy changes between replicas on PostgreSQL: the payload is the
// principal whose roles changed, or "*" when the permission rows changed.
const notifyChannel = "msphub_policy"

// notify tells the other replicas, when db's transaction commits, that principal's roles (or,
// for "*", the permission rows) changed. PostgreSQL delivers a NOTIFY only on commit, so a
// rolled-back change tells nobody. SQLite runs in one process: nobody to tell.
func notify(db *gorm.DB, principal string) error {
	if db.Dialector.Name() != "postgres" {
		return nil
	}
	if err := db.Exec("SELECT pg_notify(?, ?)", notifyChannel, principal).Error; err != nil {
		return fmt.Errorf("%w: notify policy change: %v", ErrInternal, err)
	}
	return nil
}

// Watch keeps this replica's policy in step with the others sharing its PostgreSQL database. It
// LISTENs for the notifications GrantIn, RevokeIn and Sync send and refreshes the principal
// named (or reloads everything); after a dropped connection it reconnects with back-off and
// reloads everything, since notifications may have been missed meanwhile; and it reloads
// everything every interval as a safety net. It returns when ctx ends. dsn is the database URL.
func (a *Authorizer) Watch(ctx context.Context, dsn string, interval time.Duration, log *slog.Logger) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := a.listen(ctx, dsn, interval, log)
		if ctx.Err() != nil {
			return
		}
		log.Warn("policy watcher lost its connection; reconnecting", slog.String("error", err.Error()), slog.Duration("in", backoff))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// listen holds one LISTEN connection until it fails or ctx ends.
func (a *Authorizer) listen(ctx context.Context, dsn string, interval time.Duration, log *slog.Logger) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = "msphub-policy-watcher"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	// Whatever changed while we were not listening is caught up now.
	if err := a.Reload(ctx); err != nil {
		log.Error("policy reload failed", slog.String("error", err.Error()))
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, interval)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// A quiet interval: reload anyway, in case a change was missed.
			if err := a.Reload(ctx); err != nil {
				log.Error("periodic policy reload failed", slog.String("error", err.Error()))
			}
			continue
		case err != nil:
			return err
		}
		if n.Payload == "*" {
			err = a.Reload(ctx)
		} else {
			err = a.Refresh(ctx, n.Payload)
		}
		if err != nil {
			log.Error("applying a policy change from another replica failed", slog.String("principal", n.Payload), slog.String("error", err.Error()))
		}
	}
}

// ReloadEvery reloads the whole policy every interval until ctx ends. It is how a server on the
// embedded default sees a change another process made in its database (an administrator's
// command run while it serves), where there is no LISTEN/NOTIFY.
func (a *Authorizer) ReloadEvery(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Reload(ctx); err != nil && ctx.Err() == nil {
				log.Error("periodic policy reload failed", slog.String("error", err.Error()))
			}
		}
	}
}
