package core

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

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
	// savepoints is, for each savepoint open, how many statements were kept when it was set:
	// rolling back to it forgets those kept since, as the server forgets their work.
	savepoints map[string]int
	done       bool // committed or rolled back: nothing more may be kept
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
	res, err := t.conn.ExecContext(ctx, query, args...)
	if err == nil {
		t.noteSavepoint(query)
	}
	return res, err
}

// noteSavepoint follows the savepoints gorm sets and rolls back to (a gorm Transaction inside
// another, in the dialect's words: "SAVEPOINT sp", "ROLLBACK TO SAVEPOINT sp").
func (t *pgTx) noteSavepoint(query string) {
	if name, ok := strings.CutPrefix(query, "SAVEPOINT "); ok {
		if t.savepoints == nil {
			t.savepoints = map[string]int{}
		}
		t.savepoints[name] = len(t.later)
	} else if name, ok := strings.CutPrefix(query, "ROLLBACK TO SAVEPOINT "); ok {
		if n, ok := t.savepoints[name]; ok && n <= len(t.later) {
			t.later = t.later[:n]
		}
	}
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
	if t.done {
		return sql.ErrTxDone
	}
	t.done = true
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
	if t.done {
		return sql.ErrTxDone
	}
	t.done = true
	t.later = nil
	return t.end("ROLLBACK")
}

// rollbackTimeout bounds a ROLLBACK: one the server does not answer by then (a network that
// drops everything) closes the connection instead, which rolls the transaction back too.
const rollbackTimeout = 5 * time.Second

// end sends stmt (none when empty) and gives the connection back to the pool. A connection that
// might still be inside the transaction is closed instead (discard): so when the statement
// fails, or finds the request ended, or is not answered within the request's time or
// rollbackTimeout. Closing it rolls back, with no wait on a server that may not answer.
func (t *pgTx) end(stmt string) error {
	if stmt != "" {
		ctx, cancel := context.WithTimeout(t.ctx, rollbackTimeout)
		defer cancel()
		if _, err := t.conn.ExecContext(ctx, stmt); err != nil {
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
	if t.done {
		return sql.ErrTxDone // a context that outlived its transaction
	}
	dry := conn.Session(&gorm.Session{DryRun: true}).Exec(query, args...)
	if dry.Error != nil {
		return dry.Error
	}
	vars := make([]any, len(dry.Statement.Vars))
	for i, v := range dry.Statement.Vars {
		if vars[i], dry.Error = keptValue(v); dry.Error != nil {
			return dry.Error
		}
	}
	t.later = append(t.later, pgStmt{sql: dry.Statement.SQL.String(), args: vars})
	return nil
}

// keptValue is v as it is now, for a statement sent later: a pointer is followed and a Valuer
// asked (database/sql's own conversion), and bytes are copied, so that a change the caller
// makes to a variable after keeping the statement does not change what it writes.
func keptValue(v any) (any, error) {
	dv, err := driver.DefaultParameterConverter.ConvertValue(v)
	if err != nil {
		return nil, fmt.Errorf("a statement kept for the commit: argument %T: %w", v, err)
	}
	if b, ok := dv.([]byte); ok {
		return bytes.Clone(b), nil
	}
	return dv, nil
}
