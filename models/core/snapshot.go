package core

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/libtnb/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// StoredObject is a blob row as a backup needs it: the object's key and the plaintext size the
// row records.
type StoredObject struct {
	Key  string
	Size int64
}

// Snapshot writes a consistent copy of the embedded SQLite database to path while the
// application keeps serving: VACUUM INTO reads the whole database in one read transaction, which
// WAL lets writers go on beside, and writes a compact copy in the ordinary rollback-journal
// format. path must not exist, or be an empty file. It returns the schema version of the copy
// and the objects its blob rows name: exactly those a restore of it needs. PostgreSQL has its
// own tools (pg_dump); this refuses it.
func (db *DB) Snapshot(ctx context.Context, path string) (version int64, objects []StoredObject, err error) {
	if db.dialect != DialectSQLite {
		return 0, nil, errors.New("a snapshot is for the embedded SQLite database; back PostgreSQL up with pg_dump")
	}
	if _, err := db.sql.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return 0, nil, fmt.Errorf("snapshot the database: %w", err)
	}
	snap, err := openReadOnly(path)
	if err != nil {
		return 0, nil, err
	}
	defer snap.Close()
	return snap.snapshotContents(ctx)
}

// InspectSnapshot opens a database file written by Snapshot, read-only, and returns what
// Snapshot returned for it, after SQLite's own integrity check of every page and index.
func InspectSnapshot(ctx context.Context, path string) (version int64, objects []StoredObject, err error) {
	snap, err := openReadOnly(path)
	if err != nil {
		return 0, nil, err
	}
	defer snap.Close()
	var verdict string
	if err := snap.sql.QueryRowContext(ctx, "PRAGMA integrity_check(1)").Scan(&verdict); err != nil {
		return 0, nil, fmt.Errorf("check the database: %w", err)
	}
	if verdict != "ok" {
		return 0, nil, fmt.Errorf("the database fails SQLite's integrity check: %s", verdict)
	}
	return snap.snapshotContents(ctx)
}

// openReadOnly opens a SQLite file that nothing else writes, read-only.
func openReadOnly(path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	dsn := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?mode=ro&_pragma=query_only(1)&" + sqliteTimes
	g, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{Logger: logger.Discard, TranslateError: true})
	if err != nil {
		return nil, fmt.Errorf("open the snapshot: %w", err)
	}
	s, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open the snapshot: %w", err)
	}
	s.SetMaxOpenConns(1)
	return &DB{gorm: g, sql: s, dialect: DialectSQLite}, nil
}

func (db *DB) snapshotContents(ctx context.Context) (int64, []StoredObject, error) {
	var version int64
	err := db.sql.QueryRowContext(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&version)
	if err != nil {
		return 0, nil, fmt.Errorf("read the schema version: %w (is this an MSP Hub database?)", err)
	}
	q := "SELECT object_key, size FROM blobs ORDER BY id"
	if version >= 13 {
		// The audit log's signed checkpoints are objects too (unencrypted, sized as stored):
		// without them a restored log could not be checked against them.
		q = "SELECT object_key, size FROM blobs UNION ALL SELECT object_key, 0 FROM audit_checkpoints"
	}
	rows, err := db.sql.QueryContext(ctx, q)
	if err != nil {
		return 0, nil, fmt.Errorf("read the blob rows: %w", err)
	}
	defer rows.Close()
	var objects []StoredObject
	for rows.Next() {
		var o StoredObject
		if err := rows.Scan(&o.Key, &o.Size); err != nil {
			return 0, nil, err
		}
		objects = append(objects, o)
	}
	return version, objects, rows.Err()
}
