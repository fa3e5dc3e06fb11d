package statisticstest

import (
	"testing"

	"github.com/msptp/msphub/models/statistics"
)

// Row is the cells of the row labelled label in a dashboard's table, failing the test when the
// table or the row is missing.
func Row(t testing.TB, d statistics.Dashboard, table, label string) []statistics.Cell {
	t.Helper()
	tb, ok := d.Table(table)
	if !ok {
		t.Fatalf("no table %s", table)
	}
	for _, r := range tb.Rows {
		if r.Label == label {
			return r.Cells
		}
	}
	t.Fatalf("table %s has no row %q", table, label)
	return nil
}
