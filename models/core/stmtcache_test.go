package core

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// On SQLite a statement is prepared once and kept, whether first met outside a transaction or in
// one, unless its SQL is too long to be worth keeping; and transactions holding every connection, each meeting a statement for the first time,
// do not wait on one another for a connection to prepare it on (the pool prepares it after).
func TestSQLiteKeepsPreparedStatements(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()

	outside := "SELECT COUNT(*) FROM organisations WHERE id > ?"
	var n int64
	if err := db.Gorm().WithContext(ctx).Raw(outside, 0).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if db.stmts.kept(outside) == nil {
		t.Fatalf("%q was not kept prepared after it ran outside a transaction", outside)
	}

	long := outside + strings.Repeat(" AND 1 = 1", maxStmtSQL/10)
	if err := db.Gorm().WithContext(ctx).Raw(long, 0).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if db.stmts.kept(long) != nil {
		t.Fatalf("a statement of %d characters was kept prepared: at most %d are", len(long), maxStmtSQL)
	}

	// As many read transactions at once as there are connections, each running a statement no
	// one has run before, and holding its connection until all have run theirs.
	conns := db.SQL().Stats().MaxOpenConnections
	var ran, wg sync.WaitGroup
	ran.Add(conns)
	errs := make(chan error, conns)
	queries := make([]string, conns)
	for i := range conns {
		queries[i] = fmt.Sprintf("SELECT %d + COUNT(*) FROM users WHERE id > ?", i)
		wg.Go(func() {
			errs <- db.InReadTx(ctx, func(ctx context.Context) error {
				var v int64
				err := db.Conn(ctx).Raw(queries[i], 0).Scan(&v).Error
				ran.Done()
				ran.Wait()
				if err == nil && v != int64(i) {
					err = fmt.Errorf("query %d answered %d", i, v)
				}
				return err
			})
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("transactions holding every connection waited on each other")
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Prepared in the background once a connection was free: kept for the next transaction.
	deadline := time.Now().Add(10 * time.Second)
	for _, q := range queries {
		for db.stmts.kept(q) == nil {
			if time.Now().After(deadline) {
				t.Fatalf("%q, first met in a transaction, was never kept prepared", q)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if err := db.InReadTx(ctx, func(ctx context.Context) error {
		var v int64
		return db.Conn(ctx).Raw(queries[1], 0).Scan(&v).Error
	}); err != nil {
		t.Fatal(err)
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db.stmts.kept(outside) != nil {
		t.Fatal("Close left prepared statements open")
	}
}
