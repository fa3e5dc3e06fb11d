package core

import (
	"context"
	"database/sql"
	"sync"

	"gorm.io/gorm"
)

// stmtPool is the connection pool gorm uses on SQLite: each statement's SQL is prepared once per
// connection and kept, in and out of transactions. SQLite parses a statement's SQL each time it
// is prepared, and preparing was half the cost of the query that authenticates a request.
// (gorm's own PrepareStmt prepares a statement first met in a transaction on that transaction
// alone, so every later transaction prepares it again.) PostgreSQL's driver keeps its own
// prepared statements, per connection, already.
type stmtPool struct {
	db      *sql.DB
	mu      sync.RWMutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool // being prepared for a transaction that met them (stmtTx.stmt)
	closed  bool
	// The background preparations: close cancels them and waits for them, so that none holds a
	// connection once the pool is closed.
	bg     sync.WaitGroup
	bgCtx  context.Context
	bgStop context.CancelFunc
}

// maxStmts is how many distinct SQL texts stmtPool keeps prepared, and maxStmtSQL the longest
// it keeps: the queries of every page and job, with room for the variants that short IN lists
// make, while a bulk insert or a long IN list, seldom repeated, is not kept. Beyond these a
// statement is prepared for its one use, as without the pool, which bounds the memory the kept
// statements take on each connection.
const (
	maxStmts   = 1000
	maxStmtSQL = 4096
)

var (
	_ gorm.ConnPool         = (*stmtPool)(nil)
	_ gorm.ConnPoolBeginner = (*stmtPool)(nil)
	_ gorm.GetDBConnector   = (*stmtPool)(nil)
	_ gorm.ConnPool         = (*stmtTx)(nil)
	_ gorm.TxCommitter      = (*stmtTx)(nil)
)

func newStmtPool(db *sql.DB) *stmtPool {
	p := &stmtPool{db: db, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
	p.bgCtx, p.bgStop = context.WithCancel(context.Background())
	return p
}

// room says whether the pool would keep query, which it does not have: it is open, not full,
// and query is not too long. Called with p.mu held.
func (p *stmtPool) room(query string) bool {
	return !p.closed && len(p.stmts) < maxStmts && len(query) <= maxStmtSQL
}

// kept is query's prepared statement if the pool has it.
func (p *stmtPool) kept(query string) *sql.Stmt {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.stmts[query]
}

// stmt is query prepared on the pool (on each connection as it is first used there), or nil
// when the pool does not keep it (see room). No lock is held while it prepares, which may wait
// for a free connection.
func (p *stmtPool) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	p.mu.RLock()
	s, room := p.stmts[query], p.room(query)
	p.mu.RUnlock()
	if s != nil || !room {
		return s, nil
	}
	s, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if kept, ok := p.stmts[query]; ok || p.closed {
		s.Close() // prepared twice at once, or too late
		return kept, nil
	}
	p.stmts[query] = s
	return s, nil
}

// close closes the kept statements, so that the connections can close: SQLite keeps a connection
// open while a statement prepared on it is.
func (p *stmtPool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.bgStop()
	p.bg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for q, s := range p.stmts {
		s.Close()
		delete(p.stmts, q)
	}
}

func (p *stmtPool) GetDBConn() (*sql.DB, error) { return p.db, nil }

func (p *stmtPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.db.PrepareContext(ctx, query)
}

func (p *stmtPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := p.stmt(ctx, query)
	if err != nil || s == nil {
		return p.db.ExecContext(ctx, query, args...)
	}
	return s.ExecContext(ctx, args...)
}

func (p *stmtPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := p.stmt(ctx, query)
	if err != nil || s == nil {
		return p.db.QueryContext(ctx, query, args...)
	}
	return s.QueryContext(ctx, args...)
}

func (p *stmtPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := p.stmt(ctx, query)
	if err != nil || s == nil {
		return p.db.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

func (p *stmtPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	tx, err := p.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &stmtTx{tx: tx, pool: p}, nil
}

// stmtTx is a transaction of a stmtPool: it runs the pool's statements on its own connection,
// where they are prepared once (database/sql's Tx.StmtContext reuses them there).
type stmtTx struct {
	tx   *sql.Tx
	pool *stmtPool
}

// stmt is query's pool statement bound to the transaction, or nil when the pool does not have it
// yet. Then it is prepared on the pool in the background, for the next time: preparing it here
// would take a second connection while the transaction holds one, and transactions holding every
// connection would wait on each other for ever.
func (t *stmtTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if s := t.pool.kept(query); s != nil {
		return t.tx.StmtContext(ctx, s)
	}
	p := t.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.pending[query] && p.room(query) {
		p.pending[query] = true
		p.bg.Go(func() {
			p.stmt(p.bgCtx, query) // an error leaves it unprepared, as it is now
			p.mu.Lock()
			delete(p.pending, query)
			p.mu.Unlock()
		})
	}
	return nil
}

func (t *stmtTx) Commit() error   { return t.tx.Commit() }
func (t *stmtTx) Rollback() error { return t.tx.Rollback() }

func (t *stmtTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, query)
}

func (t *stmtTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *stmtTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *stmtTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}
