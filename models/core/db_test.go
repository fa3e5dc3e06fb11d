package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libtnb/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

func openSQLite(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), DBConfig{Path: filepath.Join(t.TempDir(), "msphub.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func baselineCount(t *testing.T, ctx context.Context, db *DB) int64 {
	t.Helper()
	var n int64
	if err := db.Conn(ctx).Table("policy_baseline").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInTxCommitsRollsBackAndJoins(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	insert := func(ctx context.Context, id int) error {
		return db.Conn(ctx).Exec("INSERT INTO policy_baseline (id, rules, applied_at) VALUES (?, 'x', ?)", id, time.Now()).Error
	}

	if err := db.InTx(ctx, func(ctx context.Context) error { return insert(ctx, 1) }); err != nil {
		t.Fatal(err)
	}
	if n := baselineCount(t, ctx, db); n != 1 {
		t.Fatalf("after a committed transaction: %d rows, want 1", n)
	}

	refused := Conflict("refused")
	err := db.InTx(ctx, func(ctx context.Context) error {
		if err := insert(ctx, 2); err != nil {
			return err
		}
		// A nested InTx joins the outer transaction: its write is undone with the outer one.
		if err := db.InTx(ctx, func(ctx context.Context) error { return insert(ctx, 3) }); err != nil {
			return err
		}
		return refused
	})
	if !errors.Is(err, refused) || ErrorCode(err) != ECONFLICT {
		t.Fatalf("InTx returned %v, want the error fn returned", err)
	}
	if n := baselineCount(t, ctx, db); n != 1 {
		t.Fatalf("after a rolled-back transaction: %d rows, want 1 (nothing of it kept)", n)
	}
}

func TestOpenNamesWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		url, want string
	}{
		{"mysql://u:p@localhost/db", `scheme "mysql" is not postgres://`},
		{"postgres://", "no host"},
		{"postgres://u:secret@127.0.0.1:1/db?sslmode=disable", "database unreachable"},
		{"postgres://u:secret@127.0.0.1:5432/db?sslmode=bogus", "cannot parse"},
	} {
		_, err := Open(context.Background(), DBConfig{URL: tc.url})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v, want an error containing %q", tc.url, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) error %q leaks the password", tc.url, err)
		}
	}
}

func TestDatabaseOutageIsUnavailable(t *testing.T) {
	db := openSQLite(t)
	db.Close()
	err := db.InTx(context.Background(), func(ctx context.Context) error {
		return db.Conn(ctx).Exec("SELECT 1").Error
	})
	// A closed pool is not a network outage; but a refused connection is.
	if ErrorCode(err) != EINTERNAL {
		t.Errorf("closed pool: code %q, want internal", ErrorCode(err))
	}
	if _, err := Open(context.Background(), DBConfig{URL: "postgres://u:p@127.0.0.1:1/db?sslmode=disable&connect_timeout=1"}); err == nil {
		t.Fatal("want an error for a refused connection")
	}
	// A connection cut mid-query, as pgx reports it when PostgreSQL restarts (found by
	// cmd/msphub TestFaultPostgresRestartedUnderLoad, which answered 500).
	if got := ErrorCode(DBError(fmt.Errorf("failed to receive message: %w", io.ErrUnexpectedEOF))); got != EUNAVAILABLE {
		t.Errorf("a connection cut mid-query: code %q, want unavailable", got)
	}
	if got := ErrorCode(DBError(errors.Join(errors.New("x"), &Error{Code: ENOTFOUND}))); got != ENOTFOUND {
		t.Errorf("our own errors pass through dbError: got %q", got)
	}
}

func TestErrorsAreSafeToShow(t *testing.T) {
	cause := errors.New("pq: password authentication failed for user secret")
	for _, tc := range []struct {
		err         error
		code        Code
		message     string
		mustNotShow string
	}{
		{Invalid("urn", "Enter a URN"), EINVALID, "Enter a URN", ""},
		{NotFound("Case not found"), ENOTFOUND, "Case not found", ""},
		{Internal(cause), EINTERNAL, "Something went wrong", "secret"},
		{cause, EINTERNAL, "Something went wrong", "secret"},
		{Unavailable("The database is not answering.", cause), EUNAVAILABLE, "The database is not answering.", "secret"},
	} {
		if got := ErrorCode(tc.err); got != tc.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.code)
		}
		msg := ErrorMessage(tc.err)
		if msg != tc.message {
			t.Errorf("ErrorMessage(%v) = %q, want %q", tc.err, msg, tc.message)
		}
		if tc.mustNotShow != "" && strings.Contains(msg, tc.mustNotShow) {
			t.Errorf("ErrorMessage shows the cause: %q", msg)
		}
	}
}

// Two writers on the embedded default queue rather than fail: transactions begin IMMEDIATE, so
// a read-then-write transaction holds the write lock from its start and the second waits its
// turn (busy timeout) instead of getting "database is locked" when it upgrades.
func TestSQLiteWritersQueue(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	started := make(chan struct{})
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.InTx(ctx, func(ctx context.Context) error {
			if err := db.Conn(ctx).Exec("INSERT INTO policy_baseline (id, rules, applied_at) VALUES (1, 'a', ?)", time.Now()).Error; err != nil {
				return err
			}
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	second := make(chan error, 1)
	go func() {
		second <- db.InTx(ctx, func(ctx context.Context) error {
			var n int64
			if err := db.Conn(ctx).Table("policy_baseline").Count(&n).Error; err != nil {
				return err
			}
			return db.Conn(ctx).Exec("INSERT INTO policy_baseline (id, rules, applied_at) VALUES (?, 'b', ?)", n+1, time.Now()).Error
		})
	}()
	select {
	case err := <-second:
		t.Fatalf("second writer finished while the first held the lock: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatalf("second writer, after waiting: %v", err)
	}
	if n := baselineCount(t, ctx, db); n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
}

// Writers on the embedded default begin in the order they arrive: the waiting list of a full
// session is in arrival order only if its writers are.
func TestSQLiteWritersBeginInArrivalOrder(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	release := make(chan struct{})
	held := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.InTx(ctx, func(ctx context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	const writers = 5
	done := make(chan error, writers)
	for i := range writers {
		go func() {
			done <- db.InTx(ctx, func(ctx context.Context) error {
				return db.Conn(ctx).Exec("INSERT INTO policy_baseline (id, rules, applied_at) VALUES ((SELECT COUNT(*) + 1 FROM policy_baseline), ?, ?)",
					fmt.Sprint(i), time.Now()).Error
			})
		}()
		time.Sleep(20 * time.Millisecond) // the next arrives once this one waits
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for range writers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	var order []string
	if err := db.Conn(ctx).Table("policy_baseline").Order("id").Pluck("rules", &order).Error; err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ","); got != "0,1,2,3,4" {
		t.Errorf("writers began in the order %s, want 0,1,2,3,4", got)
	}
}

// A transaction whose BEGIN finds the database locked by another process (here a second pool
// on the same file) begins once the lock is free, even with no busy timeout of SQLite's own.
func TestSQLiteBusyBeginIsTriedAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "msphub.db")
	other, err := Open(context.Background(), DBConfig{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	ctx := context.Background()
	if _, err := other.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	g, err := gorm.Open(sqlite.Open(path+"?_pragma=busy_timeout(0)&_txlock=immediate"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	s, err := g.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	impatient := &DB{gorm: g, sql: s, dialect: DialectSQLite, writer: make(chan struct{}, 1)}

	held, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- other.InTx(ctx, func(ctx context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	if err := g.Transaction(func(*gorm.DB) error { return nil }); !isBusy(err) {
		t.Fatalf("a BEGIN while the other process writes: %v, want database is locked", err)
	}
	time.AfterFunc(40*time.Millisecond, func() { close(release) })
	if err := impatient.InTx(ctx, func(ctx context.Context) error {
		return impatient.Conn(ctx).Exec("INSERT INTO policy_baseline (id, rules, applied_at) VALUES (1, 'x', ?)", time.Now()).Error
	}); err != nil {
		t.Fatalf("InTx while the other process wrote for 40 ms: %v", err)
	}
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
}

func TestInReadTxTakesNoWriteLockAndRefusesWrites(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	insert := func(ctx context.Context, id int) error {
		return db.Conn(ctx).Exec("INSERT INTO policy_baseline (id, rules, applied_at) VALUES (?, 'x', ?)", id, time.Now()).Error
	}
	err := db.InReadTx(ctx, func(ctx context.Context) error {
		before := baselineCount(t, ctx, db)
		// A writer commits while the read view is open: it does not wait for the reader...
		done := make(chan error, 1)
		go func() {
			done <- db.InTx(context.Background(), func(ctx context.Context) error { return insert(ctx, 1) })
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("a write beside a read view: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a write waited for a read view to end")
		}
		// ...and the reader goes on reading the one view it began with.
		if n := baselineCount(t, ctx, db); n != before {
			t.Errorf("the read view saw %d rows, then %d", before, n)
		}
		// A write inside the read view is refused, as InTx or as WriteOne.
		if err := db.InTx(ctx, func(ctx context.Context) error { return insert(ctx, 2) }); ErrorCode(err) != EINTERNAL {
			t.Errorf("InTx inside InReadTx returned %v, want an internal error", err)
		}
		if err := db.WriteOne(ctx, func(ctx context.Context) error { return insert(ctx, 3) }); ErrorCode(err) != EINTERNAL {
			t.Errorf("WriteOne inside InReadTx returned %v, want an internal error", err)
		}
		if InWriteTx(ctx) {
			t.Error("InWriteTx inside InReadTx")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := baselineCount(t, ctx, db); n != 1 {
		t.Fatalf("%d rows after the read view, want the 1 written beside it", n)
	}
	// WriteOne outside a transaction commits its one statement by itself.
	if err := db.WriteOne(ctx, func(ctx context.Context) error { return insert(ctx, 4) }); err != nil {
		t.Fatal(err)
	}
	if n := baselineCount(t, ctx, db); n != 2 {
		t.Fatalf("%d rows after WriteOne, want 2", n)
	}
	err = db.InTx(ctx, func(ctx context.Context) error {
		if !InWriteTx(ctx) {
			t.Error("InWriteTx is false inside InTx")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
