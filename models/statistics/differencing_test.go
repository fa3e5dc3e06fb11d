package statistics_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/msptp/msphub/models/statistics"
	"github.com/msptp/msphub/models/statistics/statisticstest"
)

// ops inserts n live operations of org started on day, without people.
func (f *fixture) ops(t *testing.T, slug string, n int, day string) {
	t.Helper()
	org := f.org(t, slug)
	for i := range n {
		f.seed.Insert(t, statisticstest.Operation{Org: org, Ref: fmt.Sprintf("DIFF-%s-%s-%d", slug, day, i), Name: "Operation Differencing", Started: day, Types: []string{"labour"}})
	}
}

func (f *fixture) dashboard(t *testing.T, filter statistics.Filter) statistics.Dashboard {
	t.Helper()
	d, err := f.s.Statistics.Dashboard(context.Background(), f.national, filter)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// stockAndFlow fails when the operations live at the end of a span can be worked out from those
// live at its start, the new and the closed in it: live at end = live at start + new - closed,
// which a reader knows from the definitions, so a line of four figures holding one withheld
// figure gives it away. start is nil where the live count at the start is not published.
func stockAndFlow(t *testing.T, what string, start *statistics.Cell, end, opened, closed statistics.Cell) {
	t.Helper()
	n := 0
	for _, c := range []statistics.Cell{end, opened, closed} {
		if c.Suppressed {
			n++
		}
	}
	if start == nil || start.Suppressed {
		return // the start is not known: the line has an unknown of its own
	}
	if n == 1 {
		t.Errorf("%s: live at start %s, live at end %s, new %s, closed %s: the withheld figure is live at end - live at start - new + closed",
			what, start.Text(), end.Text(), opened.Text(), closed.Text())
	}
}

// In the trend by quarter, a quarter's live operations are the previous quarter's plus the new
// and less the closed: a new figure withheld must not be given away by the live figures around it.
func TestQuarterTrendKeepsLiveNewAndClosedTogether(t *testing.T) {
	f := newFixture(t)
	f.ops(t, "devon-and-cornwall-police", 10, "2025-08-10")
	f.ops(t, "devon-and-cornwall-police", 3, "2025-11-10")
	d := f.dashboard(t, statistics.Filter{From: "2025-07-01", To: "2026-03-31"})
	tb, _ := d.Table("operations-by-quarter")
	if !statisticstest.Row(t, d, "operations-by-quarter", "2025-Q4")[1].Suppressed {
		t.Fatal("three new operations in 2025-Q4 are published: the test proves little")
	}
	var prev []statistics.Cell
	for _, r := range tb.Rows {
		if r.Total {
			continue
		}
		if prev != nil {
			stockAndFlow(t, r.Label, &prev[0], r.Cells[0], r.Cells[1], r.Cells[2])
		}
		prev = r.Cells
	}
	whole := statisticstest.Row(t, d, "operations-by-quarter", "Whole period")
	last := tb.Rows[len(tb.Rows)-2].Cells
	total := statisticstest.Row(t, d, "operations-by-force", "Total")
	if whole[0].Suppressed != last[0].Suppressed || whole[0].Suppressed != total[0].Suppressed {
		t.Errorf("live at the period's end is %s in the last quarter, %s for the whole period and %s in the total by force: one gives away the other",
			last[0].Text(), whole[0].Text(), total[0].Text())
	}
}

// The operations live at a period's start are those live at the end of the period before, which
// another dashboard publishes: a force's new operations withheld in one period must not be
// given away by its live figures at either end.
func TestLiveAtEachEndDoesNotGiveAwayNewOperations(t *testing.T) {
	f := newFixture(t)
	f.ops(t, "devon-and-cornwall-police", 10, "2025-08-10")
	f.ops(t, "devon-and-cornwall-police", 3, "2025-11-10")
	f.ops(t, "dorset-police", 6, "2025-11-15")
	before := f.dashboard(t, statistics.Filter{From: "2025-07-01", To: "2025-09-30"})
	d := f.dashboard(t, statistics.Filter{From: "2025-10-01", To: "2026-03-31"})
	if !statisticstest.Row(t, d, "operations-by-force", "Devon and Cornwall Police")[1].Suppressed {
		t.Fatal("Devon and Cornwall's three new operations are published: the test proves little")
	}
	for _, table := range []string{"operations-by-force", "operations-by-region", "operations-by-kind"} {
		tb, _ := d.Table(table)
		for _, r := range tb.Rows {
			if r.Label == "Not attributed: covert operations not yet closed" {
				continue
			}
			start := statisticstest.Row(t, before, table, r.Label)[0]
			stockAndFlow(t, table+", "+r.Label, &start, r.Cells[0], r.Cells[1], r.Cells[2])
		}
	}
	tb, _ := d.Table("operations-by-quarter")
	start := statisticstest.Row(t, before, "operations-by-force", "Total")[0]
	first := tb.Rows[0].Cells
	stockAndFlow(t, "operations-by-quarter, "+tb.Rows[0].Label, &start, first[0], first[1], first[2])
}

// A force's or a region's own figures are rows of the dashboard of the whole country: a figure
// withheld there to protect a smaller one must stay withheld when the analyst filters on that
// force or region, or in the dashboard of a regional unit, or the view gives the smaller one away
// (Avon and Somerset's two new operations are the national total less Dorset's six in its own
// view, less the published forces).
func TestFilteringOnAnAreaKeepsWhatTheWholeWithholds(t *testing.T) {
	f := newFixture(t)
	f.ops(t, "devon-and-cornwall-police", 10, "2026-01-10")
	f.ops(t, "avon-and-somerset-police", 2, "2026-01-10")
	f.ops(t, "dorset-police", 6, "2026-01-10")
	f.ops(t, "kent-police", 5, "2026-01-10")
	q1 := statistics.Filter{Quarter: "2026-Q1"}
	whole := f.dashboard(t, q1)
	dorset := statisticstest.Row(t, whole, "operations-by-force", "Dorset Police")
	if !statisticstest.Row(t, whole, "operations-by-force", "Avon and Somerset Police")[1].Suppressed || !dorset[1].Suppressed {
		t.Fatal("Avon and Somerset's two and Dorset's six new operations are not both withheld: the test proves little")
	}
	views := map[string]statistics.Dashboard{
		"filter on Dorset Police":  f.dashboard(t, statistics.Filter{Quarter: "2026-Q1", Force: f.org(t, "dorset-police")}),
		"filter on the South West": f.dashboard(t, statistics.Filter{Quarter: "2026-Q1", Region: "South West"}),
	}
	d, err := f.s.Statistics.Dashboard(context.Background(), f.regional, q1)
	if err != nil {
		t.Fatal(err)
	}
	views["the South West unit's dashboard"] = d
	for name, v := range views {
		for _, table := range []string{"operations-by-force", "victims-by-force", "justice-by-force", "guidance-by-force"} {
			wt, _ := whole.Table(table)
			vt, _ := v.Table(table)
			total := statisticstest.Row(t, v, table, "Total")
			for c := range wt.Columns {
				// The view's total less the forces the nation publishes is the sum of those it
				// withholds: it must not be a single one of them.
				var withheld []string
				for _, vr := range vt.Rows {
					if vr.Total {
						continue
					}
					w := statisticstest.Row(t, whole, table, vr.Label)[c]
					if w.Suppressed && !vr.Cells[c].Suppressed {
						t.Errorf("%s: %s, %s, column %d is published (%s) but withheld in the national dashboard", name, table, vr.Label, c, vr.Cells[c].Text())
					}
					if w.Suppressed && vr.Cells[c].Suppressed {
						withheld = append(withheld, vr.Label)
					}
				}
				if len(withheld) == 1 && !total[c].Suppressed {
					t.Errorf("%s: %s total, column %d is published (%s): less the published forces, it is %s's figure, withheld nationally", name, table, c, total[c].Text(), withheld[0])
				}
			}
		}
	}
}
