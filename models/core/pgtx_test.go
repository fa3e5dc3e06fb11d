package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
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
