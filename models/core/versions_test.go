package core_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
)

// TestChangeCountersMoveOnCommitOnly: a committed change moves its family's counter and no
// other, a rolled-back one moves none, and the counters the authenticating query reads
// (VersionsColumn) answer Versions for the rest of the request with no query of its own.
func TestChangeCountersMoveOnCommitOnly(t *testing.T) {
	db := modelstest.OpenDB(t)
	ctx := context.Background()
	families := []core.Family{core.Courses, core.Guidance}
	read := func(ctx context.Context) []int64 {
		t.Helper()
		v, err := db.Versions(ctx, families...)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := read(ctx)
	if err := db.InTx(ctx, func(ctx context.Context) error { core.Changed(ctx, core.Courses, core.Courses); return nil }); err != nil {
		t.Fatal(err)
	}
	after := read(ctx)
	if after[0] <= before[0] || after[1] != before[1] {
		t.Fatalf("after a committed change of courses: %v, was %v (want courses up, guidance the same)", after, before)
	}
	undone := errors.New("undone")
	if err := db.InTx(ctx, func(ctx context.Context) error { core.Changed(ctx, core.Courses); return undone }); !errors.Is(err, undone) {
		t.Fatal(err)
	}
	if v := read(ctx); !slices.Equal(v, after) {
		t.Fatalf("after a rolled-back change: %v, want %v", v, after)
	}

	var column string
	if err := db.Conn(ctx).Raw("SELECT " + db.VersionsColumn()).Row().Scan(&column); err != nil {
		t.Fatal(err)
	}
	seen := core.ExpectVersions(ctx)
	core.NoteVersions(seen, column)
	if err := db.InTx(ctx, func(ctx context.Context) error { core.Changed(ctx, core.Guidance); return nil }); err != nil {
		t.Fatal(err)
	}
	if v := read(seen); !slices.Equal(v, after) {
		t.Fatalf("the request's counters: %v, want those read with it, %v", v, after)
	}
	if v := read(ctx); v[1] <= after[1] {
		t.Fatalf("a new request's counters: %v, want guidance past %v", v, after)
	}
}
