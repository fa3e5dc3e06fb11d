package operations

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
	"github.com/xuri/excelize/v2"
)

// importColumn is one column of a sheet: its header (also the field its errors are reported
// against), whether the header must be there, and what a person writes in it.
type importColumn struct {
	name     string
	required bool     // the sheet must have this column (its cells may still be optional)
	help     string   // for the "How to fill this in" sheet
	values   []string // the values an enumerated column takes, offered as a drop-down list
	multi    bool     // several values separated by ";"
	date     bool
	nation   bool // nationality: offered by name
}

// Column names that only the import has (the others are the forms' field names).
const (
	colOperationReference = "operation_reference"
	colSuspectReference   = "suspect_reference"
	colChildren           = "children_involved"
	colOrganisedCrime     = "organised_crime_group"
	colCrossBorder        = "cross_border"
	colCovert             = "covert"
	colSafeguarding       = "safeguarding"
	colSupportAccepted    = "support_accepted"
	colS45Raised          = "s45_raised"
)

// columnsOf lists the columns of a kind's sheet in the template's order.
func columnsOf(k ImportKind) []importColumn {
	yesNo := []string{"yes", "no"}
	exploitation := importColumn{name: FieldExploitation, multi: true, values: exploitationCodes(),
		help: "Types of exploitation, separated by ; (for example labour;sexual)."}
	person := []importColumn{
		{name: FieldAgeBand, required: true, values: ageBandCodes(), help: "Age band at the time of exploitation, or not_known."},
		{name: FieldSex, required: true, values: sexCodes(), help: "female, male or not_known."},
		{name: FieldNationality, nation: true, help: "Nationality: a country's name or its ISO 3166 two-letter code (GB). Leave empty when not known."},
	}
	switch k {
	case ImportOperations:
		exploitation.required = true
		exploitation.help = "At least one type of exploitation, separated by ; (for example labour;sexual)."
		return []importColumn{
			{name: FieldReference, required: true, help: "Your organisation's own reference for the operation (letters, numbers, - / _), never a name. Importing the same reference again updates the operation."},
			{name: FieldName, required: true, help: "The operation's name."},
			{name: FieldLeadOfficer, required: true, help: "The lead officer's email address: an active user of your organisation."},
			{name: FieldStatus, required: true, values: statusCodes(), help: "live, suspended or closed."},
			{name: FieldStartedOn, required: true, date: true, help: "Date the operation started: YYYY-MM-DD or DD/MM/YYYY."},
			{name: FieldEndedOn, date: true, help: "Date the operation ended: needed when closed, empty when live."},
			exploitation,
			{name: colChildren, values: yesNo, help: "yes or no: children are involved."},
			{name: colOrganisedCrime, values: yesNo, help: "yes or no: an organised crime group is involved."},
			{name: colCrossBorder, values: yesNo, help: "yes or no: international or cross-border."},
			{name: colCovert, values: yesNo, help: "yes or no: a covert operation, counted only nationally while live."},
			{name: FieldPartners, multi: true, help: "The other organisations involved (a joint operation), by their short name (slug), separated by ; (for example national-crime-agency;dorset-police)."},
		}
	case ImportVictims:
		return append(append([]importColumn{
			{name: colOperationReference, required: true, help: "The reference of the operation: on the Operations sheet or already recorded by your organisation."},
			{name: FieldReference, required: true, help: "Your pseudonymous reference for the potential victim, never a name. Unique within the operation."},
		}, person...), exploitation,
			importColumn{name: FieldNRMReferredOn, date: true, help: "Date of the NRM referral."},
			importColumn{name: FieldFirstResponder, values: firstResponderCodes(), help: "The first responder organisation that made the NRM referral."},
			importColumn{name: FieldRGDecidedOn, date: true, help: "Date of the reasonable grounds decision."},
			importColumn{name: FieldRGOutcome, values: decisionCodes(), help: "positive or negative; empty while no decision."},
			importColumn{name: FieldCGDecidedOn, date: true, help: "Date of the conclusive grounds decision."},
			importColumn{name: FieldCGOutcome, values: decisionCodes(), help: "positive or negative; empty while no decision."},
			importColumn{name: FieldDutyToNotify, values: yesNo, help: "yes or no: a Duty to Notify report (adults who do not consent to the NRM)."},
			importColumn{name: colSafeguarding, values: yesNo, help: "yes or no: safeguarding in place."},
			importColumn{name: colSupportAccepted, values: yesNo, help: "yes or no: support accepted."},
		)
	case ImportSuspects:
		return append(append([]importColumn{
			{name: colOperationReference, required: true, help: "The reference of the operation: on the Operations sheet or already recorded by your organisation."},
			{name: FieldReference, required: true, help: "Your pseudonymous reference for the suspect, never a name. Unique within the operation."},
		}, person...), exploitation,
			importColumn{name: FieldRole, values: roleCodes(), help: "The suspect's role in the group."},
			importColumn{name: FieldArrestedOn, date: true, help: "Date of arrest."},
			importColumn{name: colS45Raised, values: yesNo, help: "yes or no: the section 45 defence was raised."},
			importColumn{name: FieldSentence, help: "Sentence in months, after a conviction."},
			importColumn{name: FieldSTPO, values: yesNo, help: "yes or no: a slavery and trafficking prevention order on conviction."},
			importColumn{name: FieldReparation, values: yesNo, help: "yes or no: a reparation order."},
			importColumn{name: FieldConfiscation, help: "Amount of a confiscation order in whole pounds; 0 or empty when none."},
		)
	case ImportCharges:
		return []importColumn{
			{name: colOperationReference, required: true, help: "The reference of the suspect's operation."},
			{name: colSuspectReference, required: true, help: "The reference of the suspect: on the Suspects sheet or already recorded in the operation. A suspect's charges are replaced by those in the file."},
			{name: FieldOffence, required: true, values: offenceCodes(), help: "The offence charged."},
			{name: FieldChargedOn, required: true, date: true, help: "Date of charge."},
			{name: FieldOutcome, values: outcomeCodes(), help: "The outcome; empty while pending."},
			{name: FieldOutcomeOn, date: true, help: "Date of the outcome: needed with an outcome, not before the date of charge."},
		}
	}
	return nil
}

// ImportColumns names the columns of a kind's sheet (and CSV file) in the template's order.
func ImportColumns(k ImportKind) []string { return columnNames(k) }

// importFile is an uploaded file read into its sheets: one for a CSV file, up to four for a
// workbook.
type importFile struct {
	format string // "xlsx" or "csv"
	sheets map[ImportKind]*importSheet
}

func (f *importFile) rows() int {
	n := 0
	for _, s := range f.sheets {
		n += len(s.rows)
	}
	return n
}

// headerProblems reports whether a sheet's row of column names has a problem.
func (f *importFile) headerProblems() bool {
	for _, s := range f.sheets {
		if len(s.errors) > 0 {
			return true
		}
	}
	return false
}

// importSheet is one sheet's rows, each a map from column name to the cell's text, and the
// problems of its header row.
type importSheet struct {
	kind   ImportKind
	rows   []rawRow
	errors []ImportError
}

type rawRow struct {
	num   int // the row number a spreadsheet program shows (the header is row 1)
	cells map[string]string
}

// readImportFile reads a CSV or XLSX file of at most limit bytes; name is the file's name, which
// tells a CSV file's kind when its header alone does not.
func readImportFile(r io.Reader, limit int64, name string) (*importFile, error) {
	b, err := core.ReadWhole(r, limit, "split it into several files")
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, core.Invalid("file", "The selected file is empty")
	}
	var f *importFile
	if bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		f, err = readWorkbook(b, limit)
	} else {
		f, err = readCSV(b, name)
	}
	if err != nil {
		return nil, err
	}
	if f.rows() > MaxImportRows {
		return nil, core.Invalid("file", fmt.Sprintf("The file has more than %d rows: split it into several files", MaxImportRows))
	}
	return f, nil
}

// readWorkbook reads the sheets named Operations, Victims, Suspects and Charges of an XLSX
// workbook (any other sheet is ignored). Cells are read raw, so that a date typed into a
// spreadsheet arrives as its serial number whatever the cell's display format.
func readWorkbook(b []byte, limit int64) (*importFile, error) {
	unzip := min(max(limit*20, 64<<20), 1<<30)
	wb, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: unzip, UnzipXMLSizeLimit: min(unzip, 256<<20)})
	if err != nil {
		return nil, core.Invalid("file", "The file is not a CSV file or an Excel workbook (.xlsx) that can be read: save it again from your spreadsheet program, or start from the template")
	}
	defer wb.Close()
	f := &importFile{format: "xlsx", sheets: map[ImportKind]*importSheet{}}
	total := 0
	for _, name := range wb.GetSheetList() {
		var kind ImportKind
		for _, k := range ImportKinds() {
			if strings.EqualFold(strings.TrimSpace(name), k.Sheet()) {
				kind = k
			}
		}
		if kind == "" || f.sheets[kind] != nil {
			continue
		}
		rows, err := wb.Rows(name)
		if err != nil {
			return nil, core.Invalid("file", "The sheet "+kind.Sheet()+" cannot be read: save the workbook again from your spreadsheet program")
		}
		// Row 1 (the column names) and every row that is not blank, with its number: a sheet
		// with a stray cell far down holds no million empty rows in memory.
		var (
			records [][]string
			nums    []int
		)
		for n := 1; rows.Next(); n++ {
			rec, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				rows.Close()
				return nil, core.Invalid("file", "The sheet "+kind.Sheet()+" cannot be read: save the workbook again from your spreadsheet program")
			}
			if n > 1 && blank(rec) {
				continue
			}
			records, nums = append(records, rec), append(nums, n)
			if n > 1 {
				if total++; total > MaxImportRows {
					rows.Close()
					return nil, core.Invalid("file", fmt.Sprintf("The file has more than %d rows: split it into several files", MaxImportRows))
				}
			}
		}
		err = rows.Error()
		rows.Close()
		if err != nil {
			return nil, core.Invalid("file", "The sheet "+kind.Sheet()+" cannot be read: save the workbook again from your spreadsheet program")
		}
		f.sheets[kind] = readSheet(kind, records, nums)
	}
	if len(f.sheets) == 0 {
		return nil, core.Invalid("file", "The workbook has no sheet named Operations, Victims, Suspects or Charges: start from the template")
	}
	return f, nil
}

// readCSV reads a UTF-8 CSV file of one kind, told by its header row (or, when the header fits
// two kinds, by the file's name).
func readCSV(b []byte, name string) (*importFile, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return nil, core.Invalid("file", "The file must be a CSV file saved as UTF-8 text, or an Excel workbook (.xlsx)")
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	var (
		records [][]string
		lines   []int
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := len(records) + 1
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, core.Invalid("file", fmt.Sprintf("Line %d of the file is not valid CSV: check its quotes", line))
		}
		line, _ := cr.FieldPos(0)
		records = append(records, rec)
		lines = append(lines, line)
		if len(records) > MaxImportRows+1 {
			return nil, core.Invalid("file", fmt.Sprintf("The file has more than %d rows: split it into several files", MaxImportRows))
		}
	}
	if len(records) == 0 {
		return nil, core.Invalid("file", "The selected file is empty")
	}
	kinds := kindsOfHeader(records[0])
	if len(kinds) > 1 {
		var named []ImportKind
		for _, k := range kinds {
			if strings.Contains(strings.ToLower(name), strings.TrimSuffix(string(k), "s")) {
				named = append(named, k)
			}
		}
		if len(named) == 1 {
			kinds = named
		}
	}
	switch {
	case len(kinds) == 0:
		return nil, core.Invalid("file", "The first row of the file must name its columns, as in one of the CSV templates (operations, victims, suspects or charges)")
	case len(kinds) > 1:
		return nil, core.Invalid("file", fmt.Sprintf("The columns fit both the %s and the %s templates: add the columns of the template you mean, or put %q or %q in the file's name",
			kinds[0], kinds[1], kinds[0], kinds[1]))
	}
	kind := kinds[0]
	return &importFile{format: "csv", sheets: map[ImportKind]*importSheet{kind: readSheet(kind, records, lines)}}, nil
}

// kindsOfHeader tells which kind of CSV file a header row belongs to: the kinds whose columns
// it names most of (several when they tie).
func kindsOfHeader(header []string) []ImportKind {
	var best []ImportKind
	bestN := 0
	for _, k := range ImportKinds() {
		n := 0
		for _, h := range header {
			if columnOf(k, h) != nil {
				n++
			}
		}
		switch {
		case n > bestN:
			best, bestN = []ImportKind{k}, n
		case n == bestN && n > 0:
			best = append(best, k)
		}
	}
	return best
}

// normaliseHeader lets a header be written as "Lead officer", "lead-officer" or "LEAD_OFFICER".
func normaliseHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(h)
}

func columnOf(k ImportKind, header string) *importColumn {
	h := normaliseHeader(header)
	for _, c := range columnsOf(k) {
		if c.name == h {
			return &c
		}
	}
	return nil
}

// readSheet turns a sheet's records into rows by its header row, reporting unknown, repeated and
// missing columns against row 1. lines are the records' row numbers (a CSV file's line numbers).
func readSheet(kind ImportKind, records [][]string, lines []int) *importSheet {
	s := &importSheet{kind: kind}
	if len(records) == 0 || blank(records[0]) {
		if len(records) > 1 {
			s.errors = append(s.errors, ImportError{Sheet: kind.Sheet(), Row: 1, Message: "Put the names of the columns in row 1, as in the template"})
		}
		return s
	}
	names := make([]string, len(records[0]))
	seen := map[string]bool{}
	for i, h := range records[0] {
		if strings.TrimSpace(h) == "" {
			continue
		}
		c := columnOf(kind, h)
		switch {
		case c == nil:
			s.errors = append(s.errors, ImportError{Sheet: kind.Sheet(), Row: 1, Column: core.Clip(strings.TrimSpace(h), 60),
				Message: "This is not a column of the " + kind.Sheet() + " sheet: rename or remove it (the columns are listed in the template)"})
		case seen[c.name]:
			s.errors = append(s.errors, ImportError{Sheet: kind.Sheet(), Row: 1, Column: c.name, Message: "This column appears twice: remove one of them"})
		default:
			names[i], seen[c.name] = c.name, true
		}
	}
	for _, c := range columnsOf(kind) {
		if c.required && !seen[c.name] {
			s.errors = append(s.errors, ImportError{Sheet: kind.Sheet(), Row: 1, Column: c.name, Message: "The sheet has no " + c.name + " column: add it, as in the template"})
		}
	}
	for i, rec := range records[1:] {
		if blank(rec) {
			continue
		}
		row := rawRow{num: lines[i+1], cells: make(map[string]string, len(rec))}
		for j, v := range rec {
			if j < len(names) && names[j] != "" {
				row.cells[names[j]] = strings.TrimSpace(v)
			}
		}
		s.rows = append(s.rows, row)
	}
	return s
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
