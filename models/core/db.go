package core

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/libtnb/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialects MSP Hub runs on.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// DB is the database of MSP Hub: the embedded SQLite default or PostgreSQL. Operations reach it
// through conn(ctx), which returns the transaction travelling in ctx when there is one.
type DB struct {
	gorm    *gorm.DB
	sql     *sql.DB
	dialect string
	// writer is SQLite's single write lock as a queue in this process (nil on PostgreSQL): a
	// transaction takes it before BEGIN, so writers start in arrival order the moment the one
	// before commits, instead of sleeping on the busy timeout and polling the file lock.
	writer chan struct{}
	stmts  *stmtPool    // SQLite's prepared statements (nil on PostgreSQL)
	bumps  bumper       // PostgreSQL's change counter bumps after commit
	log    *slog.Logger // for what fails after a commit (SetLog)
}

// SetLog sets where the database reports what fails after a transaction has committed, which
// no caller can be told of without calling a committed change failed.
func (db *DB) SetLog(l *slog.Logger) { db.log = l }

// DBConfig says which database to open: PostgreSQL when URL is set, otherwise SQLite at Path.
type DBConfig struct {
	URL  string // postgres://user:pass@host:port/db?sslmode=...
	Path string // SQLite file, created when missing
}

// Open connects and checks the database answers within a few seconds, so a wrong setting stops
// start-up at once instead of failing the first request.
func Open(ctx context.Context, cfg DBConfig) (*DB, error) {
	var (
		dialector gorm.Dialector
		dialect   string
		stmts     *stmtPool // SQLite's
	)
	if cfg.URL != "" {
		if err := checkPostgresURL(cfg.URL); err != nil {
			return nil, err
		}
		conf, err := pgx.ParseConfig(cfg.URL)
		if err != nil {
			return nil, describeConnectError(err)
		}
		dialector, dialect = postgres.New(postgres.Config{Conn: &pgPool{db: stdlib.OpenDB(*conf)}}), DialectPostgres
	} else {
		if cfg.Path == "" {
			return nil, errors.New("no database: set a PostgreSQL URL or a SQLite path")
		}
		if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
		raw, err := sql.Open(sqlite.DriverName, sqliteDSN(cfg.Path))
		if err != nil {
			return nil, fmt.Errorf("open sqlite database: %w", err)
		}
		stmts = newStmtPool(raw)
		dialector, dialect = sqlite.New(sqlite.Config{Conn: stmts}), DialectSQLite
	}
	g, err := gorm.Open(dialector, &gorm.Config{
		Logger:         logger.Discard,
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	})
	if err != nil {
		if stmts != nil {
			stmts.db.Close()
		}
		return nil, describeConnectError(err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	if dialect == DialectPostgres {
		// More connections than the server has cores to run them only make them take turns:
		// 500 requests into one session took 1.2 s with 40 and 0.85 s with 16 on 2 cores.
		sqlDB.SetMaxOpenConns(16)
		// As many kept open: a connection closed as idle one moment is opened again the next, and
		// each costs PostgreSQL a new backend process.
		sqlDB.SetMaxIdleConns(16)
	} else {
		// SQLite allows one writer at a time; a handful of connections serves the readers that
		// WAL lets run beside it without piling up writers on the busy timeout.
		sqlDB.SetMaxOpenConns(8)
		sqlDB.SetMaxIdleConns(8)
	}
	sqlDB.SetConnMaxLifetime(30 * time.Minute)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{gorm: g, sql: sqlDB, dialect: dialect, stmts: stmts}
	if dialect == DialectSQLite {
		db.writer = make(chan struct{}, 1)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.Ping(pingCtx); err != nil {
		sqlDB.Close()
		return nil, describeConnectError(err)
	}
	return db, nil
}

// sqliteBusyTimeout is how long SQLite waits for another connection's write lock before it
// answers "database is locked".
const sqliteBusyTimeout = 10 * time.Second

// sqliteDSN turns on what the embedded default relies on: foreign keys, WAL so readers do not
// wait for the writer, a busy timeout instead of instant "database is locked", and immediate
// transactions so two writers queue rather than deadlock on a lock upgrade.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	q.Set("_txlock", "immediate")
	return path + "?" + q.Encode() + "&" + sqliteTimes
}

// sqliteTimes keeps the driver writing and reading times as it always has: written as
// "2006-01-02 15:04:05.999999999-07:00"; read back as a time from a column declared DATE,
// DATETIME or TIMESTAMP, while any other text (MIN(starts_at), say) stays text. The dialector
// turns both conversions on unless told.
const sqliteTimes = "_time_format=sqlite&_texttotime=0&_inttotime=0"

// checkPostgresURL refuses a malformed URL before any connection attempt, naming what is wrong
// without echoing the password.
func checkPostgresURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL (want postgres://user:password@host:5432/dbname)")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Errorf("scheme %q is not postgres:// (want postgres://user:password@host:5432/dbname)", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("no host (want postgres://user:password@host:5432/dbname)")
	}
	if _, err := pgconn.ParseConfig(raw); err != nil {
		return errors.New("PostgreSQL cannot parse it (want postgres://user:password@host:5432/dbname)")
	}
	return nil
}

// describeConnectError keeps the reason and drops the connection string (it holds a password).
func describeConnectError(err error) error {
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr):
		return fmt.Errorf("database refused the connection: %s (%s)", pgErr.Message, pgErr.Code)
	case errors.Is(err, context.DeadlineExceeded):
		return errors.New("database did not answer within 5 s")
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return fmt.Errorf("database unreachable: %v", opErr.Err)
	}
	msg := err.Error()
	if i := strings.Index(msg, "password="); i >= 0 {
		msg = msg[:i] + "password=…"
	}
	return fmt.Errorf("database unreachable: %s", msg)
}

// Dialect is DialectSQLite or DialectPostgres.
func (db *DB) Dialect() string { return db.dialect }

// Gorm returns the connection pool for the packages models builds on (policies).
func (db *DB) Gorm() *gorm.DB { return db.gorm }

// SQL returns the underlying pool (migrations, tests).
func (db *DB) SQL() *sql.DB { return db.sql }

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return err
	}
	// PingContext may be satisfied by an idle connection; a query proves the server answers.
	var one int
	return db.sql.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close closes the pool.
func (db *DB) Close() error {
	if db.stmts != nil {
		db.stmts.close()
	}
	return db.sql.Close()
}

type txKey struct{}

// txState is the transaction travelling in a context, with what must run once it commits.
type txState struct {
	tx       *gorm.DB
	readOnly bool     // begun by InReadTx: fn only reads
	changed  []Family // whose change counters to bump at its commit (Changed)
	after    []func()
}

// InTx runs fn in one transaction that travels in the context fn receives. Called inside a
// transaction it joins it, so operations compose without knowing who started it. fn's error
// rolls everything back; at commit the change counters named by Changed are bumped (Changed); on
// commit, the functions registered with afterCommit run in order.
// On SQLite, writers queue for the write lock (see DB.writer), and a BEGIN that still finds the
// database locked (another process writing) is tried again after a jittered pause: nothing of
// fn has run then, so trying again is always safe.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		if st.readOnly {
			return Internal(errors.New("a write inside InReadTx: begin the transaction with InTx"))
		}
		return fn(ctx)
	}
	st, err := db.transact(ctx, fn)
	if err != nil {
		return DBError(err)
	}
	if db.dialect == DialectPostgres {
		db.bumpAfterCommit(ctx, st.changed)
	}
	for _, f := range st.after {
		f()
	}
	return nil
}

// transact runs fn in a new transaction, holding SQLite's write lock in this process until it
// ends (even if fn panics).
func (db *DB) transact(ctx context.Context, fn func(ctx context.Context) error) (*txState, error) {
	release, err := db.takeWriter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	for attempt := 1; ; attempt++ {
		st, began := &txState{}, false
		err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			began, st.tx = true, tx
			if err := fn(context.WithValue(ctx, txKey{}, st)); err != nil {
				return err
			}
			if db.dialect == DialectPostgres {
				return nil // bumpAfterCommit
			}
			return bumpVersions(tx, st.changed, time.Now())
		})
		if began || !isBusy(err) || attempt == beginAttempts {
			return st, err
		}
		if err := sleepCtx(ctx, busyPause(attempt)); err != nil {
			return st, err
		}
	}
}

// InReadTx runs fn, which only reads, without taking the write lock: on SQLite in a deferred
// transaction, which reads one snapshot beside the one writer that WAL allows; on PostgreSQL
// with no transaction, since at READ COMMITTED each statement of a transaction reads a snapshot
// of its own anyway (its BEGIN and COMMIT would be two round trips for nothing). Called inside a
// transaction it joins it. A write inside it is refused (InTx returns an internal error), so an
// operation that reads and then records what it read (an audited read) calls InReadTx for the
// reading and Audit.Record after it, outside.
func (db *DB) InReadTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*txState); ok {
		return fn(ctx)
	}
	st := &txState{readOnly: true}
	var err error
	if db.dialect == DialectPostgres {
		st.tx = db.gorm.WithContext(ctx)
		err = fn(context.WithValue(ctx, txKey{}, st))
	} else {
		err = db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			st.tx = tx
			return fn(context.WithValue(ctx, txKey{}, st))
		}, &sql.TxOptions{ReadOnly: true})
	}
	if err != nil {
		return DBError(err)
	}
	for _, f := range st.after {
		f()
	}
	return nil
}

// WriteOne runs fn, which writes with one statement, on its own: outside a transaction a
// statement commits by itself, so it needs no BEGIN and COMMIT around it (two more round trips
// on PostgreSQL). On SQLite it queues for the write lock as InTx does. Inside a transaction it
// joins it, as InTx does.
func (db *DB) WriteOne(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*txState); ok {
		return db.InTx(ctx, fn)
	}
	release, err := db.takeWriter(ctx)
	if err != nil {
		return DBError(err)
	}
	defer release()
	return fn(ctx)
}

// beginAttempts is how many times InTx tries to begin a transaction that finds SQLite locked.
const beginAttempts = 5

// busyPause is the pause after failed attempt n (1, 2, ...): doubling from 10 ms, with jitter
// so that the writers of several processes do not try again in step.
func busyPause(n int) time.Duration {
	base := 10 * time.Millisecond << (n - 1)
	return base/2 + rand.N(base)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// takeWriter waits for SQLite's write lock in this process and returns what gives it back. A
// writer that waits longer than the busy timeout goes on to the database, whose own busy
// timeout then decides: a transaction begun by mistake inside another (with a context that
// does not carry it) fails as "database is locked" rather than waiting for ever.
func (db *DB) takeWriter(ctx context.Context) (release func(), err error) {
	if db.writer == nil {
		return func() {}, nil
	}
	t := time.NewTimer(sqliteBusyTimeout)
	defer t.Stop()
	select {
	case db.writer <- struct{}{}:
		return func() { <-db.writer }, nil
	case <-t.C:
		return func() {}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// isBusy reports SQLite's "database is locked" (SQLITE_BUSY, SQLITE_LOCKED and their extended
// codes).
func isBusy(err error) bool {
	var coded interface{ Code() int }
	if !errors.As(err, &coded) {
		return false
	}
	code := coded.Code() & 0xff
	return code == 5 || code == 6
}

// AfterCommit runs f once the transaction in ctx has committed (at once when there is none):
// for effects outside the database, such as updating the in-memory policy, that must not happen
// if the transaction rolls back.
func AfterCommit(ctx context.Context, f func()) {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		st.after = append(st.after, f)
		return
	}
	f()
}

// InWriteTx reports whether ctx carries a transaction begun by InTx: what it reads there may
// include its own writes, which can still roll back, so it is no fact to keep.
func InWriteTx(ctx context.Context) bool {
	st, ok := ctx.Value(txKey{}).(*txState)
	return ok && !st.readOnly
}

// Conn returns the transaction in ctx, or the pool bound to ctx.
func (db *DB) Conn(ctx context.Context) *gorm.DB {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		return st.tx
	}
	return db.gorm.WithContext(ctx)
}

// DBError turns a database failure into our error type: a lost or refused connection, or a
// database that did not answer within a deadline, is EUNAVAILABLE (the user may try again), our
// own errors pass through, anything else is internal.
func DBError(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if isConnectionError(err) || errors.Is(err, context.DeadlineExceeded) {
		return Unavailable("The database is not answering. Try again in a moment.", err)
	}
	return Internal(err)
}

func isConnectionError(err error) bool {
	var opErr *net.OpError
	var connErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.As(err, &opErr), errors.As(err, &connErr):
		return true
	case errors.Is(err, io.ErrUnexpectedEOF):
		// The connection was cut mid-query (the database restarting): pgx says only this.
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 57P01-57P03: the server is shutting down or starting.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P0")
	}
	return pgconn.SafeToRetry(err)
}

// ReplaceRows makes rows the rows of T whose column is id: the rows there are go and rows take
// their place. It writes the set-valued parts of a thing: a session's days, a course's
// prerequisites, an operation's partners.
func ReplaceRows[T any](ctx context.Context, db *DB, column string, id int64, rows []T) error {
	var zero T
	if err := db.Conn(ctx).Where(column+" = ?", id).Delete(&zero).Error; err != nil {
		return DBError(err)
	}
	if len(rows) == 0 {
		return nil
	}
	return DBError(db.Conn(ctx).Create(&rows).Error)
}
