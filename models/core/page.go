package core

import (
	"strconv"

	"gorm.io/gorm"
)

// Lists are read a page at a time by keyset: a page is read with Limit(limit+1), CutPage keeps
// limit rows and makes the cursor of the next page from the last one kept, and the next call
// narrows its query to the rows after that cursor (AfterKey, DecodeIDCursor).

// PageLimit is the size of a page asked for with limit: limit itself when it lies in 1..most,
// def otherwise.
func PageLimit(limit, most, def int) int {
	if limit <= 0 || limit > most {
		return def
	}
	return limit
}

// AfterKey narrows q, ordered by "key, id", to the rows after the cursor after, which
// EncodeCursor made of the key and id of the last row of the page before. Errors: EINVALID.
func AfterKey(q *gorm.DB, key, after string) (*gorm.DB, error) {
	k, id, err := DecodeCursor(after)
	if err != nil {
		return q, err
	}
	return q.Where("("+key+" > ? OR ("+key+" = ? AND id > ?))", k, k, id), nil
}

// DecodeIDCursor reads a cursor that is the id of the last row of the page before.
// Errors: EINVALID.
func DecodeIDCursor(after string) (int64, error) {
	id, err := strconv.ParseInt(after, 10, 64)
	if err != nil || id <= 0 {
		return 0, Invalid("after", "The page link is not valid: go back to the first page")
	}
	return id, nil
}

// CutPage cuts rows, read with Limit(limit+1), to one page of limit rows, and returns them with
// the cursor of the next page, which cursor makes of the last row kept ("" when there is no next
// page).
func CutPage[T any](rows []T, limit int, cursor func(T) string) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, cursor(rows[limit-1])
}
