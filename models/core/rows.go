package core

import (
	"context"
	"errors"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ConnLocking is Conn, taking the row lock of every row it reads for the rest of the
// transaction when lock is set: what is decided from the row (numbers, places, status moves) is
// then decided one at a time. Only PostgreSQL needs it; SQLite's write transactions serialize
// already.
func (db *DB) ConnLocking(ctx context.Context, lock bool) *gorm.DB {
	q := db.Conn(ctx)
	if lock && db.Dialect() == DialectPostgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return q
}

// EachRow runs a query and hands each row's scanner to fn, on the caller's goroutine: for the
// reads on a hot path, where scanning named columns into variables costs a fraction of gorm's
// scan into structs.
func (db *DB) EachRow(ctx context.Context, sql string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := db.Conn(ctx).Raw(sql, args...).Rows()
	if err != nil {
		return DBError(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return DBError(err)
		}
	}
	return DBError(rows.Err())
}

// TakeRow reads row id of T's table through ConnLocking. A missing row is ENOTFOUND with the
// message notFound.
func TakeRow[T any](ctx context.Context, db *DB, id int64, lock bool, notFound string) (T, error) {
	var row T
	err := db.ConnLocking(ctx, lock).Take(&row, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, NotFound(notFound)
	}
	return row, DBError(err)
}
