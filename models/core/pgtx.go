package core

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// pgPool is the connection pool gorm uses on PostgreSQL. Outside a transaction it is the
// database/sql pool. A transaction runs on one connection of it, begun and ended by statements
// of its own rather than by database/sql, so that what the transaction writes and never reads
// back (ExecAtCommit: its audit event, its notifications) reaches the server together with the
// COMMIT, in one round trip, instead of a round trip each. On the paths that hold a row lock
// until the commit (a session's places, a counter), that is the time the lock is held.
type pgPool struct{ db *sql.DB }

var (
	_ gorm.ConnPool         = (*pgPool)(nil)
	_ gorm.ConnPoolBeginner = (*pgPool)(nil)
	_ gorm.GetDBConnector   = (*pgPool)(nil)
	_ gorm.ConnPool         = (*pgTx)(nil)
	_ gorm.TxCommitter      = (*pgTx)(nil)
)

func (p *pgPool) GetDBConn() (*sql.DB, error) { return p.db, nil }

func (p *pgPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.db.PrepareContext(ctx, query)
}

func (p *pgPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.db.ExecContext(ctx, query, args...)
}

func (p *pgPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.db.QueryContext(ctx, query, args...)
}

func (p *pgPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.db.QueryRowContext(ctx, query, args...)
}

// BeginTx begins a transaction on a connection of its own. One with options (read only, another
// isolation level) is database/sql's own, which keeps nothing for the commit.
func (p *pgPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	if opts != nil && (opts.ReadOnly || opts.Isolation != sql.LevelDefault) {
		return p.db.BeginTx(ctx, opts)
	}
	conn, err := p.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		discard(conn)
		return nil, err
	}
	return &pgTx{conn: conn, ctx: ctx}, nil
}

// pgTx is a transaction of a pgPool: the statements run on its connection as they come, but
// those kept for the commit (later) go with the COMMIT. When Commit or Rollback returns, the
// connection is back in the pool, idle, or closed.
type pgTx struct {
	conn  *sql.Conn
	ctx   context.Context
	later []pgStmt
}

// pgStmt is a statement kept for the commit, with its arguments.
type pgStmt struct {
	sql  string
	args []any
}

func (t *pgTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.conn.PrepareContext(ctx, query)
}

func (t *pgTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.conn.ExecContext(ctx, query, args...)
}

func (t *pgTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.conn.QueryContext(ctx, query, args...)
}

func (t *pgTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.conn.QueryRowContext(ctx, query, args...)
}

// errCommitRolledBack is a COMMIT the server answered with ROLLBACK: a statement of the
// transaction had failed, and nothing of it was kept.
var errCommitRolledBack = errors.New("the transaction was rolled back at its commit: a statement in it had failed")

// Commit sends the statements kept for the commit and the COMMIT in one batch (a single round
// trip). If any of them fails, nothing of the transaction is kept: the rest of the batch is
// skipped and the transaction is rolled back.
func (t *pgTx) Commit() error {
	err := t.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("a PostgreSQL transaction on a %T connection", dc)
		}
		b := &pgx.Batch{}
		for _, s := range t.later {
			b.Queue(s.sql, s.args...)
		}
		commit := b.Queue("COMMIT")
		var tag string
		commit.Exec(func(ct pgconn.CommandTag) error { tag = ct.String(); return nil })
		if err := c.Conn().SendBatch(t.ctx, b).Close(); err != nil {
			return err
		}
		if tag != "COMMIT" {
			return errCommitRolledBack
		}
		return nil
	})
	t.later = nil
	if err != nil {
		t.end("ROLLBACK")
		return err
	}
	t.end("")
	return nil
}

// Rollback rolls the transaction back and forgets what was kept for the commit.
func (t *pgTx) Rollback() error {
	t.later = nil
	return t.end("ROLLBACK")
}

// end sends stmt (none when empty) and gives the connection back to the pool; a connection that
// might still be inside the transaction is closed instead (discard).
func (t *pgTx) end(stmt string) error {
	if stmt != "" {
		// Even when the request's context has ended: the connection must leave the transaction.
		if _, err := t.conn.ExecContext(context.WithoutCancel(t.ctx), stmt); err != nil {
			discard(t.conn)
			return err
		}
	}
	return t.conn.Close()
}

// discard closes conn's connection to the server rather than giving it back to the pool.
func discard(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}

// ExecAtCommit runs a statement that writes what the transaction in ctx never reads back and
// whose result it does not need (no id, no count): on PostgreSQL inside InTx it is kept and sent
// with the COMMIT (pgTx.Commit), so it costs no round trip of its own; its failure then fails the
// commit, and nothing of the transaction is kept. Elsewhere it runs at once.
func (db *DB) ExecAtCommit(ctx context.Context, query string, args ...any) error {
	conn := db.Conn(ctx)
	t, ok := conn.Statement.ConnPool.(*pgTx)
	if !ok {
		return conn.Exec(query, args...).Error
	}
	dry := conn.Session(&gorm.Session{DryRun: true}).Exec(query, args...)
	if dry.Error != nil {
		return dry.Error
	}
	t.later = append(t.later, pgStmt{sql: dry.Statement.SQL.String(), args: dry.Statement.Vars})
	return nil
}
