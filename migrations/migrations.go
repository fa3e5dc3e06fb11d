// Package migrations holds the versioned SQL schema of MSP Hub, embedded into the binary and
// applied by goose (see core.DB.Migrate). Each version is one file, 000NN_name.sql, written once
// for both databases: FS renders it into the PostgreSQL or the SQLite goose file.
//
// A version is written in PostgreSQL, with each word that SQLite spells otherwise in braces
// (Go text/template; the words are the table below):
//
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
	}
	for w, s := range words {
		s := s
		funcs[w] = func() string {
			if postgres {
				return s.postgres
			}
			return s.sqlite
		}
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
