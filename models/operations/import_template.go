package operations

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/terms"
	"github.com/xuri/excelize/v2"
)

// The template is what a force fills in: a workbook with a sheet per kind (a header row naming
// the columns, and a drop-down list on every enumerated column), a "How to fill this in" sheet,
// and a hidden sheet holding the lists; or a CSV file per kind holding the header row.

// Template sheet names that are not kinds.
const (
	howToSheet = "How to fill this in"
	listsSheet = "Lists"
)

// templateRows is how many rows of each sheet carry the drop-down lists.
const templateRows = MaxImportRows + 1

// TemplateXLSX writes the import workbook to w. Who: those who may import.
// Errors: EFORBIDDEN, EINTERNAL.
func (im *Importer) TemplateXLSX(ctx context.Context, who core.Actor, w io.Writer) error {
	if err := im.MayImport(ctx, who); err != nil {
		return err
	}
	orgs, err := im.organisations(ctx)
	if err != nil {
		return err
	}
	f, err := templateWorkbook(orgs)
	if err != nil {
		return core.Internal(err)
	}
	defer f.Close()
	if _, err := f.WriteTo(w); err != nil {
		return core.Internal(err)
	}
	return nil
}

// TemplateCSV writes the CSV template of kind (its header row) to w. Who: those who may import.
// Errors: EFORBIDDEN, ENOTFOUND (no such kind), EINTERNAL.
func (im *Importer) TemplateCSV(ctx context.Context, who core.Actor, kind ImportKind, w io.Writer) error {
	if err := im.MayImport(ctx, who); err != nil {
		return err
	}
	if _, ok := ImportKindOf(string(kind)); !ok {
		return core.NotFound("There is no such template")
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(columnNames(kind)); err != nil {
		return core.Internal(err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return core.Internal(err)
	}
	return nil
}

func columnNames(k ImportKind) []string {
	cols := columnsOf(k)
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}

// templateOrg is an organisation a partners cell may name.
type templateOrg struct {
	Slug string
	Name string
}

func (im *Importer) organisations(ctx context.Context) ([]templateOrg, error) {
	var out []templateOrg
	err := im.d.DB.Conn(ctx).Table("organisations").Select("slug, name").Where("active = ?", true).Order("name").Scan(&out).Error
	return out, core.DBError(err)
}

// templateWorkbook builds the workbook: the How to sheet first, a sheet per kind, the lists last
// (hidden).
func templateWorkbook(orgs []templateOrg) (*excelize.File, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", howToSheet); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE3EA"}}})
	if err != nil {
		return nil, err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": what is typed stays text
	if err != nil {
		return nil, err
	}

	// The lists: one column per enumerated column of any sheet, then nationalities and
	// organisations.
	if _, err := f.NewSheet(listsSheet); err != nil {
		return nil, err
	}
	listRange := map[string]string{}
	col := 1
	addList := func(key string, values []string) error {
		if _, ok := listRange[key]; ok {
			return nil
		}
		name, _ := excelize.ColumnNumberToName(col)
		if err := f.SetCellStr(listsSheet, name+"1", key); err != nil {
			return err
		}
		for i, v := range values {
			if err := f.SetCellStr(listsSheet, fmt.Sprintf("%s%d", name, i+2), v); err != nil {
				return err
			}
		}
		listRange[key] = fmt.Sprintf("'%s'!$%s$2:$%s$%d", listsSheet, name, name, len(values)+1)
		col++
		return nil
	}
	var nations []string
	for _, n := range terms.Nationalities() {
		nations = append(nations, n.Name)
	}
	if err := addList("nationality", nations); err != nil {
		return nil, err
	}
	var slugs []string
	for _, o := range orgs {
		slugs = append(slugs, o.Slug)
	}
	if len(slugs) > 0 {
		if err := addList("partners", slugs); err != nil {
			return nil, err
		}
	}

	for _, k := range ImportKinds() {
		sheet := k.Sheet()
		if _, err := f.NewSheet(sheet); err != nil {
			return nil, err
		}
		cols := columnsOf(k)
		last, _ := excelize.ColumnNumberToName(len(cols))
		names := make([]any, len(cols))
		for i, c := range cols {
			names[i] = c.name
		}
		if err := f.SetSheetRow(sheet, "A1", &names); err != nil {
			return nil, err
		}
		if err := f.SetCellStyle(sheet, "A1", last+"1", header); err != nil {
			return nil, err
		}
		if err := f.SetColWidth(sheet, "A", last, 22); err != nil {
			return nil, err
		}
		if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return nil, err
		}
		for i, c := range cols {
			letter, _ := excelize.ColumnNumberToName(i + 1)
			cellRange := fmt.Sprintf("%s2:%s%d", letter, letter, templateRows)
			if c.date || c.name == FieldReference || c.name == colOperationReference || c.name == colSuspectReference {
				if err := f.SetColStyle(sheet, letter, text); err != nil {
					return nil, err
				}
			}
			var source string
			switch {
			case c.nation:
				source = listRange["nationality"]
			case c.name == FieldPartners:
				source = listRange["partners"]
			case len(c.values) > 0:
				key := c.name
				if err := addList(key, c.values); err != nil {
					return nil, err
				}
				source = listRange[key]
			}
			if source == "" {
				continue
			}
			dv := excelize.NewDataValidation(true)
			dv.SetSqref(cellRange)
			dv.SetSqrefDropList(source)
			if c.multi {
				// Several values go in one cell separated by ";": the list offers one, and a
				// combination is allowed after a reminder.
				dv.SetError(excelize.DataValidationErrorStyleInformation, c.name, "Several values are separated by ; and each must be from the list.")
			} else {
				dv.SetError(excelize.DataValidationErrorStyleStop, c.name, "Choose a value from the list.")
			}
			dv.SetInput(c.name, core.Clip(c.help, 250))
			if err := f.AddDataValidation(sheet, dv); err != nil {
				return nil, err
			}
		}
	}
	if err := writeHowTo(f, orgs, bold); err != nil {
		return nil, err
	}
	if err := f.SetSheetVisible(listsSheet, false); err != nil {
		return nil, err
	}
	idx, err := f.GetSheetIndex(ImportOperations.Sheet())
	if err != nil {
		return nil, err
	}
	f.SetActiveSheet(idx)
	return f, nil
}

// writeHowTo fills the instructions: the rules, then each sheet's columns, then the
// organisations a partners cell may name.
func writeHowTo(f *excelize.File, orgs []templateOrg, bold int) error {
	row := 1
	put := func(style int, values ...any) error {
		cell := fmt.Sprintf("A%d", row)
		if err := f.SetSheetRow(howToSheet, cell, &values); err != nil {
			return err
		}
		if style != 0 {
			last, _ := excelize.ColumnNumberToName(max(1, len(values)))
			if err := f.SetCellStyle(howToSheet, cell, fmt.Sprintf("%s%d", last, row), style); err != nil {
				return err
			}
		}
		row++
		return nil
	}
	lines := []string{
		"How to fill in this workbook",
		"",
		"Put one operation on each row of the Operations sheet, one potential victim on each row of Victims, one suspect on each row of Suspects and one charge on each row of Charges. Leave the names in row 1 as they are.",
		"Use your organisation's own references, never a person's name: victims and suspects are pseudonymous records.",
		"Victims, suspects and charges name their operation by its reference: an operation on the Operations sheet, or one your organisation has already recorded. Charges name their suspect by its reference.",
		"Dates: YYYY-MM-DD or DD/MM/YYYY (for example 2026-03-31 or 31/03/2026). Flags: yes or no (empty is no). Several types of exploitation or partners: separate them with ; (for example labour;sexual).",
		"Importing the same file again updates what it imported before: operations are matched by reference, victims and suspects by their operation and reference. The charges of each suspect in the file are replaced by those on the Charges sheet.",
		fmt.Sprintf("Nothing is saved unless every row is correct: every problem is listed with its sheet, row and column. At most %d rows in all. Use \"Check the file\" to see what would be saved without saving.", MaxImportRows),
		"You can also upload one sheet at a time as a CSV file (UTF-8), with the same names in its first row.",
	}
	for i, l := range lines {
		style := 0
		if i == 0 {
			style = bold
		}
		if err := put(style, l); err != nil {
			return err
		}
	}
	for _, k := range ImportKinds() {
		row++
		if err := put(bold, k.Sheet()+" sheet"); err != nil {
			return err
		}
		if err := put(bold, "Column", "Must be filled in", "What to write", "Values"); err != nil {
			return err
		}
		for _, c := range columnsOf(k) {
			must := "no"
			if c.required {
				must = "yes"
			}
			values := strings.Join(c.values, ", ")
			if c.nation {
				values = "See the drop-down list"
			}
			if err := put(0, c.name, must, c.help, values); err != nil {
				return err
			}
		}
	}
	row++
	if err := put(bold, "Value", "Means"); err != nil {
		return err
	}
	for _, e := range terms.Exploitations() {
		if err := put(0, string(e), e.Label()); err != nil {
			return err
		}
	}
	for _, o := range terms.Offences() {
		if err := put(0, string(o), o.Label()); err != nil {
			return err
		}
	}
	for _, o := range terms.Outcomes() {
		if err := put(0, string(o), o.Label()); err != nil {
			return err
		}
	}
	for _, fr := range terms.FirstResponders() {
		if err := put(0, string(fr), fr.Label()); err != nil {
			return err
		}
	}
	row++
	if err := put(bold, "Organisation short name (for partners)", "Organisation"); err != nil {
		return err
	}
	for _, o := range orgs {
		if err := put(0, o.Slug, o.Name); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(howToSheet, "A", "A", 40); err != nil {
		return err
	}
	if err := f.SetColWidth(howToSheet, "B", "B", 40); err != nil {
		return err
	}
	return f.SetColWidth(howToSheet, "C", "D", 60)
}
