package frontend

import (
	"strings"
	"testing"

	"github.com/msptp/msphub/models/statistics"
)

// A chart is an accessible image with no inline style (the CSP forbids it), and a suppressed
// figure is a gap that its description mentions, never a drawn value.
func TestChartIsAnAccessibleImageWithGaps(t *testing.T) {
	tb := statistics.Table{ID: "ops", Caption: "Operations by force", Chart: statistics.ChartBar, Columns: []statistics.Column{{Label: "Live"}},
		Rows: []statistics.Row{{Label: "Devon", Cells: []statistics.Cell{{Value: 12}}}, {Label: "Dorset", Cells: []statistics.Cell{{Suppressed: true}}},
			{Label: "Total", Total: true, Cells: []statistics.Cell{{Suppressed: true}}}}}
	h, err := chartSVG(tb)
	if err != nil {
		t.Fatal(err)
	}
	s := string(h)
	for _, want := range []string{`<svg role="img"`, `aria-labelledby="chart-ops-title chart-ops-desc"`, `<title id="chart-ops-title">Chart: Operations by force</title>`,
		"1 suppressed figure is not drawn (shown as gaps)", `fill="rgb(`} {
		if !strings.Contains(s, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if strings.Contains(s, "style=") || strings.Contains(s, "<style") || strings.Contains(s, "Total") {
		t.Error("chart has inline style, or draws the total row")
	}
	line := tb
	line.Chart = statistics.ChartLine
	if h, err := chartSVG(line); err != nil || !strings.Contains(string(h), `<svg role="img"`) {
		t.Fatalf("line chart: %v", err)
	}
}
