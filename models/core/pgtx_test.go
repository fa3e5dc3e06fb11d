package core_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"gorm.io/gorm"
)

// TestExecAtCommitIsAllOrNothing: what a transaction keeps for its commit (ExecAtCommit) is
// written with it, in order, and never without it: not when the transaction fails, not when the
// kept statement itself fails (then nothing of the transaction is kept, the error says so, and
// the connection serves the next transaction), and on PostgreSQL not when a statement failed
// earlier and the caller went on regardless (the server's ROLLBACK answer to the COMMIT is an
// error).
func TestExecAtCommitIsAllOrNothing(t *testing.T) {
	db := modelstest.OpenDB(t)
	ctx := context.Background()
	now := time.Now()
	insert := func(ctx context.Context, id int) error {
		return db.Conn(ctx).Exec("INSERT INTO policy_baseline (id, rules, applied_at) VALUES (?, 'x', ?)", id, now).Error
	}
	later := func(ctx context.Context, id int, rules string) error {
		return db.ExecAtCommit(ctx, "INSERT INTO policy_baseline (id, rules, applied_at) VALUES (?, ?, ?)", id, rules, now)
	}
	rows := func() map[int]string {
		t.Helper()
		var got []struct {
			ID    int
			Rules string
		}
		if err := db.Conn(ctx).Raw("SELECT id, rules FROM policy_baseline WHERE id >= 100").Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		m := map[int]string{}
		for _, r := range got {
			m[r.ID] = r.Rules
		}
		return m
	}

	// Kept statements run after the transaction's own, in the order kept: the update finds the
	// row inserted just before it.
	err := db.InTx(ctx, func(ctx context.Context) error {
		if err := insert(ctx, 100); err != nil {
			return err
		}
		if err := later(ctx, 101, "kept"); err != nil {
			return err
		}
		return db.ExecAtCommit(ctx, "UPDATE policy_baseline SET rules = ? WHERE id = ?", "kept, then changed", 101)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := rows(); len(got) != 2 || got[100] != "x" || got[101] != "kept, then changed" {
		t.Fatalf("after the commit: %v, want rows 100 and 101 (changed)", got)
	}

	// A transaction that fails writes nothing it kept.
	refused := core.Conflict("refused")
	if err := db.InTx(ctx, func(ctx context.Context) error {
		if err := later(ctx, 102, "never"); err != nil {
			return err
		}
		return refused
	}); !errors.Is(err, refused) {
		t.Fatalf("a refused transaction: %v", err)
	}

	// A kept statement that fails (a duplicate id) fails the commit, and the transaction's
	// other write goes with it.
	err = db.InTx(ctx, func(ctx context.Context) error {
		if err := insert(ctx, 103); err != nil {
			return err
		}
		return later(ctx, 100, "duplicate")
	})
	if err == nil {
		t.Fatal("a transaction whose kept statement fails committed")
	}
	if got := rows(); len(got) != 2 {
		t.Fatalf("after a failed commit: %v, want only rows 100 and 101", got)
	}

	// On PostgreSQL a failed statement fails its transaction: with its error ignored, the commit
	// fails and keeps nothing. (SQLite undoes only the failed statement.)
	if db.Dialect() == core.DialectPostgres {
		err = db.InTx(ctx, func(ctx context.Context) error {
			if err := insert(ctx, 104); err != nil {
				return err
			}
			_ = insert(ctx, 100) // a duplicate; the caller does not look
			return nil
		})
		if err == nil {
			t.Fatal("a transaction with a failed statement committed")
		}
		if got := rows(); len(got) != 2 {
			t.Fatalf("after a commit of a failed transaction: %v, want only rows 100 and 101", got)
		}
	}

	// Every connection is out of its transaction: transactions after these commit, many at once.
	errs := make(chan error, 32)
	for i := range 32 {
		go func() {
			errs <- db.InTx(ctx, func(ctx context.Context) error { return later(ctx, 200+i, "after") })
		}()
	}
	for range 32 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := rows(); len(got) != 34 {
		t.Fatalf("after 32 more transactions: %d rows, want 34", len(got))
	}
}

// TestKeptStatementsFollowTheTransaction: a statement kept inside a savepoint that is rolled
// back (a gorm Transaction inside InTx that fails) is forgotten with the savepoint's work; a
// variable changed after keeping a statement does not change what it writes; and a context
// that outlived its transaction keeps nothing, with an error, instead of losing it quietly.
func TestKeptStatementsFollowTheTransaction(t *testing.T) {
	db := modelstest.OpenDB(t)
	ctx := context.Background()
	now := time.Now()
	later := func(ctx context.Context, id int, rules *string) error {
		return db.ExecAtCommit(ctx, "INSERT INTO policy_baseline (id, rules, applied_at) VALUES (?, ?, ?)", id, rules, now)
	}
	var left context.Context
	err := db.InTx(ctx, func(ctx context.Context) error {
		left = ctx
		rules := "as kept"
		if err := later(ctx, 300, &rules); err != nil {
			return err
		}
		rules = "changed after"
		undone := errors.New("undone")
		err := db.Conn(ctx).Transaction(func(*gorm.DB) error {
			inner := "inside the savepoint"
			if err := later(ctx, 301, &inner); err != nil {
				return err
			}
			return undone
		})
		if !errors.Is(err, undone) {
			return fmt.Errorf("the inner transaction: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		ID    int
		Rules string
	}
	if err := db.Conn(ctx).Raw("SELECT id, rules FROM policy_baseline WHERE id >= 300 ORDER BY id").Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != 300 || got[0].Rules != "as kept" {
		t.Fatalf("rows %+v, want only 300 %q", got, "as kept")
	}
	rules := "too late"
	if err := later(left, 302, &rules); err == nil {
		t.Fatal("a statement kept with the context of a finished transaction was accepted")
	}
}

// TestARollbackOverADeadNetworkEnds: when the network to PostgreSQL starts dropping every byte
// in the middle of a transaction that then fails, InTx returns once the request's time is up,
// closing the connection (which rolls back), instead of waiting for ever on a ROLLBACK nobody
// answers. SQLite has no network to lose.
func TestARollbackOverADeadNetworkEnds(t *testing.T) {
	if modelstest.Backend() != "postgres" {
		return
	}
	cfg := modelstest.DBConfig(t)
	direct := modelstest.OpenDBAt(t, cfg)
	target, err := url.Parse(cfg.URL)
	if err != nil {
		t.Fatal(err)
	}
	hole := newHoleProxy(t, target.Host)
	target.Host = hole.addr
	db, err := core.Open(context.Background(), core.DBConfig{URL: target.String()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- db.InTx(ctx, func(ctx context.Context) error {
			if err := db.Conn(ctx).Exec("INSERT INTO policy_baseline (id, rules, applied_at) VALUES (400, 'x', ?)", time.Now()).Error; err != nil {
				return err
			}
			hole.drop.Store(true)
			return core.Conflict("refused")
		})
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a refused transaction committed")
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("InTx still waits on a ROLLBACK over a dead network 15 s after a 1 s request began; connections in use: %d", db.SQL().Stats().InUse)
	}
	if n := db.SQL().Stats().InUse; n != 0 {
		t.Errorf("%d connections still in use", n)
	}
	var n int64
	if err := direct.Conn(context.Background()).Raw("SELECT COUNT(*) FROM policy_baseline WHERE id = 400").Scan(&n).Error; err != nil || n != 0 {
		t.Fatalf("rows of the refused transaction: %d (%v), want none", n, err)
	}
}

// holeProxy forwards TCP to a server until drop is set; from then on it drops every byte either
// way, as a network that has gone away without closing anything does.
type holeProxy struct {
	addr string
	drop atomic.Bool
}

func newHoleProxy(t *testing.T, upstream string) *holeProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &holeProxy{addr: ln.Addr().String()}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	pipe := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 && !p.drop.Load() {
				dst.Write(buf[:n])
			}
			if err != nil {
				dst.Close()
				return
			}
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, s)
			mu.Unlock()
			go pipe(s, c)
			go pipe(c, s)
		}
	}()
	return p
}
