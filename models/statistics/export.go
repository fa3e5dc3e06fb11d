package statistics

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/xuri/excelize/v2"
)

// Marking is the protective marking of every file the national picture produces.
const Marking = "OFFICIAL-SENSITIVE"

// disclosureNote says, in every file, how to read [c].
func disclosureNote(threshold int) string {
	return fmt.Sprintf("[c] = suppressed: fewer than %d, or withheld so that another suppressed figure cannot be worked out. 0 = none.", threshold)
}

// heading lines of every file: marking, edition, title, scope, period, filter.
func (d Dashboard) heading(title string) []string {
	lines := []string{Marking, EditionLabel(d.Edition), title, "Area: " + d.Scope.Name, "Period: " + d.Period.Label}
	if d.Period.Note != "" {
		lines = append(lines, d.Period.Note)
	}
	if d.Filter.Exploitation != "" {
		lines = append(lines, "Type of exploitation: "+exploitationLabel(d.Filter.Exploitation))
	}
	if d.Filter.Region != "" {
		lines = append(lines, "Region: "+d.Filter.Region)
	}
	if d.Filter.Force != 0 {
		for _, o := range d.Options.Forces {
			if o.Value == fmt.Sprint(d.Filter.Force) {
				lines = append(lines, "Force or agency: "+o.Label)
			}
		}
	}
	return append(lines, disclosureNote(d.Threshold))
}

// Export is one table or the whole dashboard as a file, with its marking, in the filter's
// edition. Who: analysts, as Dashboard (the policy decides which edition). The export is
// audited (which edition, table and filter: never a figure). Errors: EFORBIDDEN, EINVALID,
// ENOTFOUND (no such table), EINTERNAL.
func (s *Service) Export(ctx context.Context, who core.Actor, f Filter, table, format string) (Dashboard, Table, error) {
	d, err := s.Dashboard(ctx, who, f)
	if err != nil {
		return Dashboard{}, Table{}, err
	}
	var t Table
	if table != "" {
		var ok bool
		if t, ok = d.Table(table); !ok {
			return Dashboard{}, Table{}, core.NotFound("Table not found")
		}
	}
	err = s.d.DB.InTx(ctx, func(ctx context.Context) error {
		return s.audit.Record(ctx, &who, core.Event{Action: "statistics.export", ObjectType: "statistics", ObjectID: d.Scope.Level, Outcome: core.OutcomeSuccess,
			Details: map[string]string{"table": table, "format": format, "from": d.Period.From, "to": d.Period.To, "region": f.Region, "force": fmt.Sprint(f.Force), "exploitation": f.Exploitation, "edition": d.Edition}})
	})
	return d, t, err
}

// WriteCSV writes table t of d as CSV: the marking and notes first, then the table.
func (d Dashboard) WriteCSV(w io.Writer, t Table) error {
	cw := csv.NewWriter(w)
	width := 1 + len(t.Columns)
	line := func(s string) []string { // every record as wide as the table, for strict readers
		rec := make([]string, width)
		rec[0] = core.CSVSafe(s)
		return rec
	}
	for _, l := range d.heading(t.Caption) {
		if err := cw.Write(line(l)); err != nil {
			return err
		}
	}
	head := []string{core.CSVSafe(t.RowHeading)}
	for _, c := range t.Columns {
		head = append(head, core.CSVSafe(c.Label))
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range t.Rows {
		rec := []string{core.CSVSafe(r.Label)}
		for _, c := range r.Cells {
			rec = append(rec, c.Text())
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	if err := cw.Write(line(Marking)); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes every table of d as a workbook, a sheet per table, each marked, with a first
// sheet that says what the workbook is. Figures are numbers; suppressed ones the text [c].
func (d Dashboard) WriteXLSX(w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	const about = "About"
	if err := x.SetSheetName("Sheet1", about); err != nil {
		return err
	}
	for i, l := range d.heading(d.Title()) {
		if err := x.SetCellStr(about, fmt.Sprintf("A%d", i+1), l); err != nil {
			return err
		}
	}
	if err := x.SetHeaderFooter(about, &excelize.HeaderFooterOptions{OddHeader: "&C" + Marking, OddFooter: "&C" + Marking}); err != nil {
		return err
	}
	for i, t := range d.Tables {
		name := fmt.Sprintf("%02d %s", i+1, t.ID)
		if len(name) > 31 {
			name = name[:31]
		}
		if _, err := x.NewSheet(name); err != nil {
			return err
		}
		if err := x.SetHeaderFooter(name, &excelize.HeaderFooterOptions{OddHeader: "&C" + Marking, OddFooter: "&C" + Marking}); err != nil {
			return err
		}
		row := 1
		put := func(vals ...any) error {
			cell, _ := excelize.CoordinatesToCellName(1, row)
			row++
			return x.SetSheetRow(name, cell, &vals)
		}
		for _, l := range d.heading(t.Caption) {
			if err := put(l); err != nil {
				return err
			}
		}
		head := []any{t.RowHeading}
		for _, c := range t.Columns {
			head = append(head, c.Label)
		}
		if err := put(head...); err != nil {
			return err
		}
		for _, r := range t.Rows {
			vals := []any{r.Label}
			for _, c := range r.Cells {
				if c.Suppressed {
					vals = append(vals, "[c]")
				} else {
					vals = append(vals, c.Value)
				}
			}
			if err := put(vals...); err != nil {
				return err
			}
		}
		if err := put(Marking); err != nil {
			return err
		}
	}
	_, err := x.WriteTo(w)
	return err
}

func exploitationLabel(v string) string {
	for _, o := range (Options{}).exploitations() {
		if o.Value == v {
			return o.Label
		}
	}
	return v
}

func (Options) exploitations() []Option {
	return options(Scope{}, nil, time.Time{}).Exploitations
}

// Title is the title of the files and the report: the national picture, and its edition.
func (d Dashboard) Title() string {
	if d.Edition == EditionPartner {
		return "The national picture: modern slavery policing (partner edition)"
	}
	return "The national picture: modern slavery policing (law-enforcement edition)"
}

// FileName is a download's name: msphub-national-picture-<edition>-<what>-<from>-<to>.<ext>.
func (d Dashboard) FileName(what, ext string) string {
	return strings.Join([]string{"msphub-national-picture", editionSlug(d.Edition), what, d.Period.From, d.Period.To}, "-") + "." + ext
}
