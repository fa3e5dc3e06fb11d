// Package migrations holds the versioned SQL schema of MSP Hub, embedded into the binary and
// applied by goose (see core.DB.Migrate). Each version is one file, 000NN_name.sql, written once
// for both databases: FS renders it into the PostgreSQL or the SQLite goose file.
//
// A version is written in PostgreSQL, with each word that SQLite spells otherwise in braces
// (Go text/template):
//
//	word             PostgreSQL               SQLite
//	{{SERIAL}}       BIGSERIAL PRIMARY KEY    INTEGER PRIMARY KEY AUTOINCREMENT
//	{{BIGINT}}       BIGINT                   INTEGER
//	{{SMALLINT}}     SMALLINT                 INTEGER
//	{{VARCHAR 100}}  VARCHAR(100)             TEXT
//	{{NUMERIC 5 1}}  NUMERIC(5,1)             REAL
//	{{TIMESTAMPTZ}}  TIMESTAMPTZ              DATETIME
//	{{BYTEA}}        BYTEA                    BLOB
//	{{TRUE}}         TRUE                     1
//	{{FALSE}}        FALSE                    0
//	{{NOW}}          now()                    CURRENT_TIMESTAMP
//
// and one word for a pattern three tables share: {{APPEND_ONLY "table" "function" "message"}}
// writes the triggers that refuse to change or delete the table's rows, calling the function
// (defined in the version) on PostgreSQL, which also refuses TRUNCATE, and raising the message
// on SQLite.
//
// Where the databases really differ (triggers, full-text search, a sequence), a block says so:
// {{if postgres}} ... {{else}} ... {{end}}, or {{if sqlite}} ... {{end}}. A word FS does not
// know, or an unknown dialect, is an error that names it.
//
// Both renderings of a version must create the same tables and columns; a test compares them.
// Write each change as a new version: the SQL a version renders to, in either dialect, never
// changes once it may have been applied, so neither does its file nor a word it uses.
package migrations

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"testing/fstest"
	"text/template"
)

//go:embed *.sql
var sources embed.FS

// spelling is how PostgreSQL and SQLite each write one word.
type spelling struct{ postgres, sqlite string }

var words = map[string]spelling{
	"SERIAL":      {"BIGSERIAL PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT"},
	"BIGINT":      {"BIGINT", "INTEGER"},
	"SMALLINT":    {"SMALLINT", "INTEGER"},
	"TIMESTAMPTZ": {"TIMESTAMPTZ", "DATETIME"},
	"BYTEA":       {"BYTEA", "BLOB"},
	"TRUE":        {"TRUE", "1"},
	"FALSE":       {"FALSE", "0"},
	"NOW":         {"now()", "CURRENT_TIMESTAMP"},
}

// appendOnly is APPEND_ONLY's SQL: %[1]s is the table, %[2]s the PostgreSQL trigger function,
// %[3]s the message SQLite raises.
var appendOnly = spelling{
	postgres: `CREATE TRIGGER %[1]s_no_change BEFORE UPDATE OR DELETE ON %[1]s
    FOR EACH ROW EXECUTE FUNCTION %[2]s();
CREATE TRIGGER %[1]s_no_truncate BEFORE TRUNCATE ON %[1]s
    FOR EACH STATEMENT EXECUTE FUNCTION %[2]s();`,
	sqlite: `-- +goose StatementBegin
CREATE TRIGGER %[1]s_no_update BEFORE UPDATE ON %[1]s
BEGIN
    SELECT RAISE(ABORT, '%[3]s');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER %[1]s_no_delete BEFORE DELETE ON %[1]s
BEGIN
    SELECT RAISE(ABORT, '%[3]s');
END;
-- +goose StatementEnd`,
}

// FS returns the migrations of one dialect, "postgres" or "sqlite", as goose SQL files.
func FS(dialect string) (fs.FS, error) {
	if dialect != "postgres" && dialect != "sqlite" {
		return nil, fmt.Errorf("no migrations for dialect %q", dialect)
	}
	names, err := fs.Glob(sources, "*.sql")
	if err != nil {
		return nil, err
	}
	out := fstest.MapFS{}
	for _, name := range names {
		src, err := sources.ReadFile(name)
		if err != nil {
			return nil, err
		}
		sql, err := render(name, string(src), dialect)
		if err != nil {
			return nil, err
		}
		out[name] = &fstest.MapFile{Data: sql}
	}
	return out, nil
}

// render writes one version's source in the SQL of dialect.
func render(name, src, dialect string) ([]byte, error) {
	postgres := dialect == "postgres"
	in := func(s spelling) string {
		if postgres {
			return s.postgres
		}
		return s.sqlite
	}
	funcs := template.FuncMap{
		"postgres": func() bool { return postgres },
		"sqlite":   func() bool { return !postgres },
		"VARCHAR": func(n int) string {
			if postgres {
				return "VARCHAR(" + strconv.Itoa(n) + ")"
			}
			return "TEXT"
		},
		"NUMERIC": func(precision, scale int) string {
			if postgres {
				return fmt.Sprintf("NUMERIC(%d,%d)", precision, scale)
			}
			return "REAL"
		},
		"APPEND_ONLY": func(table, function, message string) string {
			return fmt.Sprintf(in(appendOnly), table, function, strings.ReplaceAll(message, "'", "''"))
		},
	}
	for w, s := range words {
		funcs[w] = func() string { return in(s) }
	}
	t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s migrations: %w", dialect, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, nil); err != nil {
		return nil, fmt.Errorf("%s migrations: %w", dialect, err)
	}
	return buf.Bytes(), nil
}
