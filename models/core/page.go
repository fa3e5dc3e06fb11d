package core

import (
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// Lists are read a page at a time by keyset: a page is read with Limit(limit+1), CutPage keeps
// limit rows and makes the cursor of the next page from the last one kept, and the next call
// narrows its query to the rows after that cursor (AfterKey, DecodeIDCursor). Lists that pages
// show with Previous and Next links read through Keyset and CutPages instead: a cursor that
// starts with "~" asks for the page before the row it names.

// PageLimit is the size of a page asked for with limit: limit itself when it lies in 1..most,
// def otherwise.
func PageLimit(limit, most, def int) int {
	if limit <= 0 || limit > most {
		return def
	}
	return limit
}

// LikeContaining is the LIKE pattern, with ESCAPE '\', of the text that contains term: what a
// list's search matches its columns with.
func LikeContaining(term string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(term) + "%"
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

// back marks a cursor that asks for the page before the row it names.
const back = "~"

// Keyset narrows q to the page that cursor asks for, over a list ordered by key (a column or
// expression; "" for lists ordered by id alone) and then idCol, descending when desc, and orders
// q for reading it: cursor "" is the first page, one made by CutPages the page after or (with
// "~") before a row. parse reads the key part of a cursor into the value compared with key.
// It returns whether the rows come back in reverse order (a page before), for CutPages.
// Errors: EINVALID on "after" for a damaged cursor.
func Keyset(q *gorm.DB, key, idCol string, desc bool, cursor string, parse func(string) (any, error)) (*gorm.DB, bool, error) {
	backward := strings.HasPrefix(cursor, back)
	cursor = strings.TrimPrefix(cursor, back)
	if backward && cursor == "" { // CutPages never makes one: "before" names a row
		return q, false, Invalid("after", "The page link is not valid: go back to the first page")
	}
	cols, dir := idCol, " ASC"
	if key != "" {
		cols = key + ", " + idCol
	}
	if desc != backward {
		dir = " DESC"
	}
	if cursor != "" {
		k, id, err := DecodeCursor(cursor)
		if err != nil {
			return q, false, err
		}
		cmp := ">"
		if desc != backward {
			cmp = "<"
		}
		if key == "" {
			q = q.Where(idCol+" "+cmp+" ?", id)
		} else {
			v, err := parse(k)
			if err != nil {
				return q, false, Invalid("after", "The page link is not valid: go back to the first page")
			}
			// A row comparison, which both databases use as a range of a (key, id) index.
			q = q.Where("("+cols+") "+cmp+" (?, ?)", v, id)
		}
	}
	order := strings.ReplaceAll(cols, ", ", dir+", ") + dir
	return q.Order(order), backward, nil
}

// CutPages is CutPage for a list read through Keyset: it keeps limit of rows (read with
// Limit(limit+1), in reverse when backward), in list order, and returns them with the cursors
// of the next and previous pages ("" when there is none). cursor makes the key and id of a row
// into a cursor (EncodeCursor); came says whether this page was asked for with a cursor.
func CutPages[T any](rows []T, limit int, backward, came bool, cursor func(T) string) (page []T, next, prev string) {
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	if backward {
		slices.Reverse(rows)
	}
	if len(rows) == 0 {
		return rows, "", ""
	}
	first, last := cursor(rows[0]), cursor(rows[len(rows)-1])
	switch {
	case backward:
		next = last
		if more {
			prev = back + first
		}
	default:
		if more {
			next = last
		}
		if came {
			prev = back + first
		}
	}
	return rows, next, prev
}

// Pages is where a page of a list stands in the whole: how many there are in all, and the
// cursors of the pages after and before it (absent when there is none).
type Pages struct {
	Total int64  `json:"total"`
	Next  string `json:"next,omitempty"`
	Prev  string `json:"prev,omitempty"`
}

// ReadPage reads the page of q's rows that cursor asks for (see Keyset: over key, "" for id
// alone, then idCol, descending when desc): limit of them, with where the page stands among
// them all. rowCursor makes a row's cursor (EncodeCursor of its key and id). q is the list's
// table and conditions, with the columns to read (a lone id column reads ids into []int64).
// Errors: EINVALID on "after" for a damaged cursor.
func ReadPage[T any](q *gorm.DB, key, idCol string, desc bool, cursor string, limit int, parse func(string) (any, error), rowCursor func(T) string) ([]T, Pages, error) {
	var pg Pages
	if err := q.Session(&gorm.Session{}).Count(&pg.Total).Error; err != nil {
		return nil, pg, DBError(err)
	}
	q, backward, err := Keyset(q, key, idCol, desc, cursor, parse)
	if err != nil {
		return nil, pg, err
	}
	var rows []T
	if err := q.Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, pg, DBError(err)
	}
	rows, pg.Next, pg.Prev = CutPages(rows, limit, backward, cursor != "", rowCursor)
	return rows, pg, nil
}

// IDCursor is the cursor of a row of a list ordered by id alone (Keyset with key "").
func IDCursor(id int64) string { return EncodeCursor("", id) }
