// Package operationstest builds the sheets of import files for the importer's tests, through the
// models and through the API alike.
package operationstest

import (
	"fmt"
	"testing"

	"github.com/msptp/msphub/models/operations"
	"github.com/xuri/excelize/v2"
)

// Sheet is the rows of kind's sheet: the header, then each record by column name (a missing
// column is empty).
func Sheet(kind operations.ImportKind, recs ...map[string]string) [][]string {
	cols := operations.ImportColumns(kind)
	out := [][]string{cols}
	for _, r := range recs {
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = r[c]
		}
		out = append(out, row)
	}
	return out
}

// SetRows writes rows into sheet of f, the first of them at row first (counted from 1).
func SetRows(t testing.TB, f *excelize.File, sheet string, first int, rows [][]string) {
	t.Helper()
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", first+i), &vals); err != nil {
			t.Fatal(err)
		}
	}
}
