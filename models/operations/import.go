package operations

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// Bulk import (issue 12, item 3): forces hold their operations in spreadsheets, so an
// investigator or supervisor uploads them, with the potential victims, suspects and charges, as
// one XLSX workbook (the template's four sheets) or as a CSV file of one kind, told by its
// header row. Every cell is read, every row checked (the same checks as the forms), then the
// checks that need the database are made in bulk; every problem is reported with its sheet, row
// and column, and nothing is saved unless the whole file is valid, in one transaction. Re-importing
// a file updates what it imported before: operations are matched by the organisation's own
// reference, victims and suspects by their operation and reference, and a suspect's charges are
// replaced by the file's.

// MaxImportRows is the most data rows one file may hold, over all its sheets.
const MaxImportRows = 20000

// ImportKind is what one sheet (or one CSV file) of an import holds.
type ImportKind string

// The kinds of rows an import holds, in the order they are read and reported.
const (
	ImportOperations ImportKind = "operations"
	ImportVictims    ImportKind = "victims"
	ImportSuspects   ImportKind = "suspects"
	ImportCharges    ImportKind = "charges"
)

// ImportKinds lists the kinds in the order of the template's sheets.
func ImportKinds() []ImportKind {
	return []ImportKind{ImportOperations, ImportVictims, ImportSuspects, ImportCharges}
}

// ImportKindOf returns the kind named s ("victims"), and whether there is one.
func ImportKindOf(s string) (ImportKind, bool) {
	k := ImportKind(s)
	return k, slices.Contains(ImportKinds(), k)
}

// Sheet is the name of the kind's sheet in the workbook, and how errors name it.
func (k ImportKind) Sheet() string {
	switch k {
	case ImportOperations:
		return "Operations"
	case ImportVictims:
		return "Victims"
	case ImportSuspects:
		return "Suspects"
	case ImportCharges:
		return "Charges"
	}
	return string(k)
}

// ImportError is one problem of an imported file: a cell (sheet, row, column), a whole row
// (column empty) or a sheet's header (row 1).
type ImportError struct {
	Sheet   string `json:"sheet"`
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

// String is the error as a person reads it: "Victims row 14, nationality: Select ...".
func (e ImportError) String() string {
	s := e.Sheet + " row " + strconv.Itoa(e.Row)
	if e.Column != "" {
		s += ", " + e.Column
	}
	return s + ": " + e.Message
}

// ImportCount is how many records of one kind an import adds and updates.
type ImportCount struct {
	Added   int `json:"added"`
	Updated int `json:"updated"`
}

// ChargeCount is how many charges an import writes, and how many it removes (a suspect's charges
// are replaced by the file's).
type ChargeCount struct {
	Added   int `json:"added"`
	Removed int `json:"removed"`
}

// ImportResult says what an import did or, for a dry run or an invalid file, what it would do.
// Saved is true only when the whole file was valid and was written.
type ImportResult struct {
	Format     string        `json:"format"` // "xlsx" or "csv"
	DryRun     bool          `json:"dry_run"`
	Saved      bool          `json:"saved"`
	Rows       int           `json:"rows"` // data rows read, over every sheet
	Operations ImportCount   `json:"operations"`
	Victims    ImportCount   `json:"victims"`
	Suspects   ImportCount   `json:"suspects"`
	Charges    ChargeCount   `json:"charges"`
	Errors     []ImportError `json:"errors"`

	membersRemoved int64 // partners' people taken off operations whose partners changed
}

// Valid reports whether the file had no problem.
func (r ImportResult) Valid() bool { return len(r.Errors) == 0 }

// ImportOptions are how one import runs.
type ImportOptions struct {
	DryRun   bool  // check and count, save nothing
	MaxBytes int64 // largest file accepted; 0 means DefaultImportBytes
}

// DefaultImportBytes is the largest file accepted when the caller gives no limit.
const DefaultImportBytes = 32 << 20

// Importer imports operations, victims, suspects and charges from spreadsheets. It writes the
// same tables as the operations Service, in bulk.
type Importer struct {
	d     core.Deps
	audit *core.Audit
}

// NewImporter builds the importer over the core's shared pieces.
func NewImporter(d core.Deps, audit *core.Audit) *Importer { return &Importer{d: d, audit: audit} }

// importObject is what the policy judges an import by: operations of the actor's organisation.
func importObject(who core.Actor) policies.Object {
	return policies.Object{Type: "operation", Org: policies.OrgDomain(who.OrgID), Classification: classification}
}

// MayImport says whether the actor may import operations (what the pages offer).
// Errors: EFORBIDDEN.
func (im *Importer) MayImport(ctx context.Context, who core.Actor) error {
	return core.Can(ctx, im.d.Authz, who, policies.ActImport, importObject(who),
		"Only investigators and supervisors with current vetting can import operations.")
}

// Import reads the uploaded file (the XLSX template, or a CSV file of one kind) and, unless
// opts.DryRun, saves every operation, victim, suspect and charge in it for the actor's
// organisation, in one transaction with one audit event holding the counts. A file with any
// problem saves nothing: the result lists every problem (Valid is false) and the error is nil.
// Who: investigators and supervisors of the organisation, with current vetting; updating an
// existing operation (or adding to it) also needs the right to update that operation.
// Errors: EFORBIDDEN, ETOOLARGE (over the size limit), EINVALID (not a CSV or XLSX file, empty,
// more than MaxImportRows rows), EUNAVAILABLE, EINTERNAL.
func (im *Importer) Import(ctx context.Context, who core.Actor, up core.Upload, opts ImportOptions) (ImportResult, error) {
	if err := im.MayImport(ctx, who); err != nil {
		return ImportResult{}, err
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultImportBytes
	}
	file, err := readImportFile(up.Body, opts.MaxBytes, up.Name)
	if err != nil {
		return ImportResult{}, err
	}
	if file.rows() == 0 && !file.headerProblems() {
		return ImportResult{}, core.Invalid("file", "The file has no records: put one on each row under the row of column names")
	}
	b := newBatch(file, Today(im.d.Now()))
	b.parse()
	res := ImportResult{Format: file.format, DryRun: opts.DryRun, Rows: file.rows()}
	err = im.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Operations)
		if err := im.resolve(ctx, who, b); err != nil {
			return err
		}
		b.count(&res)
		if res.Errors = b.errors(); len(res.Errors) == 0 && !opts.DryRun {
			if err := im.save(ctx, who, b, &res); err != nil {
				return err
			}
			res.Saved = true
		}
		// A dry run or a refused file changes nothing, but is recorded all the same.
		return im.audit.Record(ctx, &who, importEvent(res))
	})
	if err != nil {
		return ImportResult{}, err
	}
	if res.Errors == nil {
		res.Errors = []ImportError{}
	}
	return res, nil
}

// importEvent is the one audit event of an import: counts only, never a row's content.
func importEvent(r ImportResult) core.Event {
	outcome := core.OutcomeSuccess
	if !r.Valid() {
		outcome = core.OutcomeFailure
	}
	n := strconv.Itoa
	return core.Event{Action: "operation.import", ObjectType: "operation", Outcome: outcome, Details: map[string]string{
		"format": r.Format, "dry_run": strconv.FormatBool(r.DryRun), "rows": n(r.Rows), "errors": n(len(r.Errors)),
		"operations_added": n(r.Operations.Added), "operations_updated": n(r.Operations.Updated),
		"victims_added": n(r.Victims.Added), "victims_updated": n(r.Victims.Updated),
		"suspects_added": n(r.Suspects.Added), "suspects_updated": n(r.Suspects.Updated),
		"charges_added": n(r.Charges.Added), "charges_removed": n(r.Charges.Removed),
		"members_removed": strconv.FormatInt(r.membersRemoved, 10),
	}}
}

// sortErrors puts errors in the order of the sheets, then rows, then the sheet's columns.
func sortErrors(list []ImportError) {
	sheetOrder := map[string]int{}
	colOrder := map[string]map[string]int{}
	for i, k := range ImportKinds() {
		sheetOrder[k.Sheet()] = i
		colOrder[k.Sheet()] = map[string]int{}
		for j, c := range columnsOf(k) {
			colOrder[k.Sheet()][c.name] = j + 1
		}
	}
	slices.SortStableFunc(list, func(a, b ImportError) int {
		return cmp.Or(cmp.Compare(sheetOrder[a.Sheet], sheetOrder[b.Sheet]), cmp.Compare(a.Row, b.Row),
			cmp.Compare(colOrder[a.Sheet][a.Column], colOrder[b.Sheet][b.Column]))
	})
}

// Summary says in words what the import did, or would do: "2 operations added, 1 updated; ...".
func (r ImportResult) Summary() string {
	verb := func(added, updated int, one, many string) string {
		if r.Saved {
			return fmt.Sprintf("%s added, %d updated", plural(added, one, many), updated)
		}
		return fmt.Sprintf("%s to add, %d to update", plural(added, one, many), updated)
	}
	charges := fmt.Sprintf("%s written, %d replaced", plural(r.Charges.Added, "charge", "charges"), r.Charges.Removed)
	if !r.Saved {
		charges = fmt.Sprintf("%s to write, %d to replace", plural(r.Charges.Added, "charge", "charges"), r.Charges.Removed)
	}
	return verb(r.Operations.Added, r.Operations.Updated, "operation", "operations") + "; " +
		verb(r.Victims.Added, r.Victims.Updated, "potential victim", "potential victims") + "; " +
		verb(r.Suspects.Added, r.Suspects.Updated, "suspect", "suspects") + "; " + charges
}

// RowsText is the number of rows read, in words: "1 row", "12 rows".
func (r ImportResult) RowsText() string { return plural(r.Rows, "row", "rows") }

// ChargesSentence says what happens to charges: "3 charges written, replacing 2 recorded ones."
func (r ImportResult) ChargesSentence() string {
	verb := "written"
	if !r.Saved {
		verb = "to write"
	}
	s := plural(r.Charges.Added, "charge", "charges") + " " + verb
	if r.Charges.Removed > 0 {
		s += ", replacing " + plural(r.Charges.Removed, "recorded charge", "recorded charges")
	}
	return s + "."
}

// plural is "1 operation" or "3 operations".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
