package migrations

import (
	"io/fs"
	"strings"
	"testing"
)

func TestRenderSpellsEachWordInItsDialect(t *testing.T) {
	src := `CREATE TABLE t (
    id {{SERIAL}},
    n {{BIGINT}} NOT NULL, s {{SMALLINT}}, v {{VARCHAR 64}}, h {{NUMERIC 5 1}},
    at {{TIMESTAMPTZ}} DEFAULT {{NOW}}, b {{BYTEA}}, y BOOLEAN DEFAULT {{TRUE}}, z BOOLEAN DEFAULT {{FALSE}}
);
{{if postgres}}CREATE SEQUENCE s;{{else}}DROP TRIGGER x;{{end}}{{if sqlite}} -- only SQLite{{end}}`
	assertRenders(t, src, map[string]string{
		"postgres": `CREATE TABLE t (
    id BIGSERIAL PRIMARY KEY,
    n BIGINT NOT NULL, s SMALLINT, v VARCHAR(64), h NUMERIC(5,1),
    at TIMESTAMPTZ DEFAULT now(), b BYTEA, y BOOLEAN DEFAULT TRUE, z BOOLEAN DEFAULT FALSE
);
CREATE SEQUENCE s;`,
		"sqlite": `CREATE TABLE t (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    n INTEGER NOT NULL, s INTEGER, v TEXT, h REAL,
    at DATETIME DEFAULT CURRENT_TIMESTAMP, b BLOB, y BOOLEAN DEFAULT 1, z BOOLEAN DEFAULT 0
);
DROP TRIGGER x; -- only SQLite`,
	})
}

func TestRenderAppendOnly(t *testing.T) {
	src := `{{APPEND_ONLY "notes" "notes_frozen" "notes can't change"}}`
	assertRenders(t, src, map[string]string{
		"postgres": `CREATE TRIGGER notes_no_change BEFORE UPDATE OR DELETE ON notes
    FOR EACH ROW EXECUTE FUNCTION notes_frozen();
CREATE TRIGGER notes_no_truncate BEFORE TRUNCATE ON notes
    FOR EACH STATEMENT EXECUTE FUNCTION notes_frozen();`,
		"sqlite": `-- +goose StatementBegin
CREATE TRIGGER notes_no_update BEFORE UPDATE ON notes
BEGIN
    SELECT RAISE(ABORT, 'notes can''t change');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER notes_no_delete BEFORE DELETE ON notes
BEGIN
    SELECT RAISE(ABORT, 'notes can''t change');
END;
-- +goose StatementEnd`,
	})
}

// assertRenders checks what src renders to in each dialect.
func assertRenders(t *testing.T, src string, want map[string]string) {
	t.Helper()
	for dialect, w := range want {
		got, err := render("00099_t.sql", src, dialect)
		if err != nil {
			t.Fatalf("%s: %v", dialect, err)
		}
		if string(got) != w {
			t.Errorf("%s renders\n%s\nwant\n%s", dialect, got, w)
		}
	}
}

func TestRenderNamesAnUnknownWord(t *testing.T) {
	for _, src := range []string{"id {{BIGSERIAL}}", "x {{.Text}}"} {
		_, err := render("00099_t.sql", src, "sqlite")
		if err == nil {
			t.Fatalf("%q rendered without error", src)
		}
		word := strings.Trim(src[strings.Index(src, "{{"):], "{}.")
		if !strings.Contains(err.Error(), word) || !strings.Contains(err.Error(), "00099_t.sql") {
			t.Errorf("%q: error %q does not name %s in 00099_t.sql", src, err, word)
		}
	}
}

func TestFSRefusesAnUnknownDialect(t *testing.T) {
	_, err := FS("mysql")
	if err == nil || !strings.Contains(err.Error(), `"mysql"`) {
		t.Errorf("FS(mysql) error %v, want one that names mysql", err)
	}
}

// Every version renders in both dialects to goose SQL with no notation left in it.
func TestFSRendersEveryVersionInBothDialects(t *testing.T) {
	versions, err := fs.Glob(sources, "*.sql")
	if err != nil || len(versions) == 0 {
		t.Fatalf("no versions embedded (%v)", err)
	}
	for _, dialect := range []string{"postgres", "sqlite"} {
		fsys, err := FS(dialect)
		if err != nil {
			t.Fatalf("%s: %v", dialect, err)
		}
		rendered, err := fs.Glob(fsys, "*.sql")
		if err != nil || strings.Join(rendered, " ") != strings.Join(versions, " ") {
			t.Fatalf("%s holds %v (%v), want %v", dialect, rendered, err, versions)
		}
		for _, name := range rendered {
			sql, err := fs.ReadFile(fsys, name)
			if err != nil {
				t.Fatal(err)
			}
			s := string(sql)
			if !strings.Contains(s, "-- +goose Up") || !strings.Contains(s, "-- +goose Down") {
				t.Errorf("%s %s has no goose Up and Down", dialect, name)
			}
			if strings.Contains(s, "{{") || strings.Contains(s, "}}") {
				t.Errorf("%s %s keeps template notation", dialect, name)
			}
			other := map[string]string{"postgres": "AUTOINCREMENT", "sqlite": "TIMESTAMPTZ"}[dialect]
			if strings.Contains(s, other) {
				t.Errorf("%s %s holds the other dialect's %s", dialect, name, other)
			}
		}
	}
}
