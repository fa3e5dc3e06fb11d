// Package migrations holds the versioned SQL schema of MSP Hub: one PostgreSQL and one SQLite
// file per version, embedded into the binary and applied by goose (see models.Migrate).
//
// Both variants of a version must create the same tables and columns; a test compares them.
// Write each change as a new version: an applied file is never edited.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// FS returns the migrations of one dialect: "postgres" or "sqlite".
func FS(dialect string) (fs.FS, error) {
	switch dialect {
	case "postgres", "sqlite":
		return fs.Sub(files, dialect)
	}
	return nil, fmt.Errorf("no migrations for dialect %q", dialect)
}
