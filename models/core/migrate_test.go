package core_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
)

// schema lists "table.column" for every table the migrations made.
func schema(t *testing.T, db *core.DB) []string {
	t.Helper()
	q := `SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public'`
	if db.Dialect() == core.DialectSQLite {
		// FTS5 keeps its index in shadow tables named after the virtual table; SQLite creates
		// them with a quoted name, which no migration does.
		q = `SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.sql NOT LIKE 'CREATE TABLE ''%'`
	}
	rows, err := db.SQL().QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, strings.ToLower(c))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(cols)
	return cols
}

// Both dialects' migrations must yield the same tables and columns, so code written against
// one runs on the other.
func TestMigrationsGiveBothDialectsTheSameSchema(t *testing.T) {
	ctx := context.Background()
	lite, err := core.Open(ctx, core.DBConfig{Path: t.TempDir() + "/msphub.db"})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := core.Open(ctx, core.DBConfig{URL: modelstest.NewPostgresDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for _, db := range []*core.DB{lite, pg} {
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatalf("%s: %v", db.Dialect(), err)
		}
	}
	a, b := schema(t, lite), schema(t, pg)
	if len(a) == 0 {
		t.Fatal("no tables after migrating")
	}
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("schemas differ\nsqlite only:   %v\npostgres only: %v", minus(a, b), minus(b, a))
	}
}

func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, s := range b {
		in[s] = true
	}
	var out []string
	for _, s := range a {
		if !in[s] {
			out = append(out, s)
		}
	}
	return out
}

func TestMigrationStatus(t *testing.T) {
	ctx := context.Background()
	db, err := core.Open(ctx, modelstest.DBConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before, err := db.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) == 0 {
		t.Fatal("no migrations listed")
	}
	for _, m := range before {
		if m.Applied {
			t.Errorf("version %d applied on an empty database", m.Version)
		}
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(before) {
		t.Errorf("applied %v, want all %d", applied, len(before))
	}
	again, err := db.Migrate(ctx)
	if err != nil || len(again) != 0 {
		t.Errorf("second Migrate applied %v (err %v), want nothing", again, err)
	}
	after, err := db.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range after {
		if !m.Applied || m.AppliedAt.IsZero() {
			t.Errorf("version %d not recorded as applied: %+v", m.Version, m)
		}
	}
}
