package frontend

import (
	"bytes"
	"fmt"
	"html/template"
	"regexp"
	"strings"

	"github.com/go-analyze/charts"
	"github.com/msptp/msphub/models/statistics"
)

// chartSVG draws a table as an SVG chart, rendered on the server: horizontal bars for a
// breakdown, lines over quarters for a trend. Total rows are not drawn. A suppressed cell is
// not drawn as a value: it is a gap (no bar, a break in the line), and the text alternative
// says so. The SVG is an image with a title and a description (role="img", aria-labelledby),
// its figures are in the table beside it.
func chartSVG(t statistics.Table) (template.HTML, error) {
	var labels []string
	data := make([][]float64, len(t.Columns))
	gaps := 0
	for _, r := range t.Rows {
		if r.Total {
			continue
		}
		labels = append(labels, r.Label)
		for j, c := range r.Cells {
			v := c.Value
			if c.Suppressed {
				v = charts.GetNullValue()
				gaps++
			}
			data[j] = append(data[j], v)
		}
	}
	if len(labels) == 0 {
		return "", nil
	}
	var names []string
	for _, c := range t.Columns {
		names = append(names, c.Label)
	}
	var svg []byte
	var err error
	if t.Chart == statistics.ChartLine {
		opt := charts.NewLineChartOptionWithData(data)
		opt.XAxis.Labels = labels
		opt.Legend = charts.LegendOption{SeriesNames: names}
		p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: 720, Height: 360})
		if err = p.LineChart(opt); err == nil {
			svg, err = p.Bytes()
		}
	} else {
		opt := charts.NewBarChartOptionWithData(data)
		opt.Horizontal = true
		opt.CategoryAxis.Labels = labels
		opt.Legend = charts.LegendOption{SeriesNames: names}
		height := 80 + len(labels)*(10*len(names)+10)
		p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: 720, Height: max(height, 240)})
		if err = p.BarChart(opt); err == nil {
			svg, err = p.Bytes()
		}
	}
	if err != nil {
		return "", fmt.Errorf("chart %s: %w", t.ID, err)
	}
	desc := "The figures are in the table below the chart."
	if gaps > 0 {
		desc = fmt.Sprintf("%d suppressed %s not drawn (shown as gaps); the figures are in the table below the chart.", gaps, plural(gaps, "figure is", "figures are"))
	}
	return accessibleSVG(svg, "chart-"+t.ID, "Chart: "+t.Caption, desc), nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

var (
	svgOpen  = regexp.MustCompile(`<svg\b[^>]*>`)
	svgStyle = regexp.MustCompile(`style="([^"]*)"`)
	cssProp  = regexp.MustCompile(`^[a-z-]+$`)
)

// presentation turns the library's inline style attributes into SVG presentation attributes
// (stroke="…", fill="…"), which the Content-Security-Policy (style-src 'self') allows.
func presentation(svg string) string {
	return svgStyle.ReplaceAllStringFunc(svg, func(m string) string {
		decls := svgStyle.FindStringSubmatch(m)[1]
		var attrs []string
		for _, d := range strings.Split(decls, ";") {
			k, v, ok := strings.Cut(d, ":")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || !cssProp.MatchString(k) || strings.ContainsAny(v, `"<>&`) {
				continue
			}
			if k == "font-family" {
				v = "arial, sans-serif"
			}
			attrs = append(attrs, k+`="`+v+`"`)
		}
		return strings.Join(attrs, " ")
	})
}

// accessibleSVG gives the library's SVG an accessible name and description, escapes both, and
// drops anything but the drawing (the XML prolog).
func accessibleSVG(svg []byte, id, title, desc string) template.HTML {
	s := presentation(string(svg))
	if i := strings.Index(s, "<svg"); i > 0 {
		s = s[i:]
	}
	loc := svgOpen.FindStringIndex(s)
	if loc == nil {
		return ""
	}
	open := s[loc[0]:loc[1]]
	open = strings.Replace(open, "<svg", fmt.Sprintf(`<svg role="img" focusable="false" aria-labelledby="%s-title %s-desc" class="app-chart"`, id, id), 1)
	var b bytes.Buffer
	b.WriteString(open)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, template.HTMLEscapeString(title), id, template.HTMLEscapeString(desc))
	b.WriteString(s[loc[1]:])
	return template.HTML(b.String()) // #nosec G203: the library's drawing, our escaped title
}
