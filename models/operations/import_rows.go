package operations

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/terms"
	"github.com/xuri/excelize/v2"
)

// The rows of an import once their cells are read, each with its own problems. A row's problems
// are reported against the sheet's column names, which are the forms' field names, so the
// checks shared with the forms (Check) speak of the right column.

type opRow struct {
	num int
	in  OperationInput
	p   core.Problems

	leadID     int64   // resolved lead officer
	partnerIDs []int64 // resolved partners
}

// personRow is what the rows of victims and suspects share.
type personRow struct {
	num   int
	opRef string
	p     core.Problems

	op       *importTarget
	existing int64 // id of the person already recorded, 0 when new
}

type victimRow struct {
	personRow
	in VictimInput
}

type suspectRow struct {
	personRow
	in      SuspectInput
	charges []*chargeRow // the file's charges of this suspect
	removed int          // recorded charges the file's replace
}

type chargeRow struct {
	num        int
	opRef      string
	suspectRef string
	in         ChargeInput
	p          core.Problems
}

// importBatch is a file read into rows, and what resolving them against the database found.
type importBatch struct {
	file     *importFile
	today    time.Time
	ops      []*opRow
	victims  []*victimRow
	suspects []*suspectRow
	charges  []*chargeRow

	// chargesFromFile is true when the file carries charges (a Charges sheet or a charges CSV):
	// then the charges of every suspect in it are replaced by the file's. Otherwise a suspect's
	// recorded charges are kept, and checked with the suspect.
	chargesFromFile bool

	targets map[string]*importTarget // operations by reference: the file's and the recorded ones
	// outsideSuspects are recorded suspects that only the Charges sheet names: their charges are
	// replaced too.
	outsideSuspects map[suspectKey]*outsideSuspect
}

// importTarget is an operation rows may name: one of the file (row set) or one already recorded
// by the organisation (existing set), or both when the file updates it.
type importTarget struct {
	ref      string
	row      *opRow
	existing *existingOp
	id       int64 // once saved
}

type existingOp struct {
	ID            int64
	Reference     string
	LeadOfficerID int64
	Member        bool
	MayUpdate     bool
}

type suspectKey struct{ op, ref string }

type outsideSuspect struct {
	id      int64
	charges []*chargeRow
	removed int
}

func newBatch(f *importFile, today time.Time) *importBatch {
	_, hasCharges := f.sheets[ImportCharges]
	return &importBatch{file: f, today: today, chargesFromFile: hasCharges,
		targets: map[string]*importTarget{}, outsideSuspects: map[suspectKey]*outsideSuspect{}}
}

// parse reads every cell of every row into the inputs, noting each cell that cannot be read.
func (b *importBatch) parse() {
	for kind, s := range b.file.sheets {
		for _, r := range s.rows {
			c := cells{row: r, format: b.file.format}
			switch kind {
			case ImportOperations:
				o := &opRow{num: r.num}
				c.p = &o.p
				o.in = OperationInput{
					Reference: c.text(FieldReference), Name: c.text(FieldName), LeadOfficer: c.text(FieldLeadOfficer),
					Status: terms.Status(c.enum(FieldStatus, statusCodes(), statusLabel)), StartedOn: deref(c.date(FieldStartedOn)),
					EndedOn: c.date(FieldEndedOn), Exploitation: c.exploitation(),
					Children: c.flag(colChildren), OrganisedCrime: c.flag(colOrganisedCrime), CrossBorder: c.flag(colCrossBorder), Covert: c.flag(colCovert),
					Partners: c.list(FieldPartners),
				}
				b.ops = append(b.ops, o)
			case ImportVictims:
				v := &victimRow{}
				c.start(r.num, &v.personRow)
				v.in = VictimInput{PersonInput: c.person(),
					NRMReferredOn: c.date(FieldNRMReferredOn), FirstResponder: terms.FirstResponder(c.enum(FieldFirstResponder, firstResponderCodes(), firstResponderLabel)),
					RGDecidedOn: c.date(FieldRGDecidedOn), RGOutcome: terms.Decision(c.enum(FieldRGOutcome, decisionCodes(), nil)),
					CGDecidedOn: c.date(FieldCGDecidedOn), CGOutcome: terms.Decision(c.enum(FieldCGOutcome, decisionCodes(), nil)),
					DutyToNotify: c.flag(FieldDutyToNotify), Safeguarding: c.flag(colSafeguarding), SupportAccepted: c.flag(colSupportAccepted),
				}
				b.victims = append(b.victims, v)
			case ImportSuspects:
				sr := &suspectRow{}
				c.start(r.num, &sr.personRow)
				sr.in = SuspectInput{PersonInput: c.person(),
					Role: terms.SuspectRole(c.enum(FieldRole, roleCodes(), roleLabel)), ArrestedOn: c.date(FieldArrestedOn), S45Raised: c.flag(colS45Raised),
					SentenceMonths: c.number(FieldSentence), STPO: c.flag(FieldSTPO), ReparationOrder: c.flag(FieldReparation),
					ConfiscationPounds: int64(deref(c.number(FieldConfiscation))),
				}
				b.suspects = append(b.suspects, sr)
			case ImportCharges:
				ch := &chargeRow{num: r.num}
				c.p = &ch.p
				ch.opRef, ch.suspectRef = c.text(colOperationReference), c.text(colSuspectReference)
				ch.in = ChargeInput{Offence: terms.Offence(c.enum(FieldOffence, offenceCodes(), offenceLabel)), ChargedOn: deref(c.date(FieldChargedOn)),
					Outcome: terms.Outcome(c.enum(FieldOutcome, outcomeCodes(), outcomeLabel)), OutcomeOn: c.date(FieldOutcomeOn)}
				b.charges = append(b.charges, ch)
			}
		}
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// cells reads the cells of one row, adding a problem for each that cannot be read.
type cells struct {
	row    rawRow
	format string
	p      *core.Problems
}

func (c cells) text(col string) string { return c.row.cells[col] }

var isoDate = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)
var ukDate = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})$`)

// date reads YYYY-MM-DD or DD/MM/YYYY (a workbook's date cells arrive as serial numbers, which
// are read too). Empty is nil.
func (c cells) date(col string) *time.Time {
	v := c.text(col)
	if v == "" {
		return nil
	}
	var y, m, d int
	if g := isoDate.FindStringSubmatch(v); g != nil {
		y, m, d = atoi(g[1]), atoi(g[2]), atoi(g[3])
	} else if g := ukDate.FindStringSubmatch(v); g != nil {
		d, m, y = atoi(g[1]), atoi(g[2]), atoi(g[3])
	} else if serial, err := strconv.ParseFloat(v, 64); err == nil && c.format == "xlsx" && serial >= 1 && serial < 2958466 {
		t, err := excelize.ExcelDateToTime(math.Floor(serial), false)
		if err == nil {
			t = Day(t)
			return &t
		}
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if y == 0 || t.Year() != y || int(t.Month()) != m || t.Day() != d {
		c.p.Add(col, "Enter a real date as YYYY-MM-DD or DD/MM/YYYY, like 2026-03-31 or 31/03/2026")
		return nil
	}
	return &t
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// flag reads yes or no (also y, n, true, false, 1, 0); empty is no.
func (c cells) flag(col string) bool {
	switch strings.ToLower(c.text(col)) {
	case "", "no", "n", "false", "0":
		return false
	case "yes", "y", "true", "1":
		return true
	}
	c.p.Add(col, "Enter yes or no")
	return false
}

// number reads a whole number ("1,200" and "£1200" too); empty is nil.
func (c cells) number(col string) *int {
	v := strings.NewReplacer(",", "", "£", "", " ", "").Replace(c.text(col))
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
			c.p.Add(col, "Enter a whole number, like 12")
			return nil
		}
		n = int(f)
	}
	return &n
}

// enum reads one of codes, or its label (case does not matter). Empty is "". A value that is
// neither is kept as it is, for the shared checks to refuse with their own message.
func (c cells) enum(col string, codes []string, label func(string) string) string {
	v := c.text(col)
	if v == "" {
		return ""
	}
	for _, code := range codes {
		if strings.EqualFold(v, code) || (label != nil && strings.EqualFold(v, label(code))) {
			return code
		}
	}
	c.p.Add(col, fmt.Sprintf("%q is not one of the values of this column: use one of %s", core.Clip(v, 40), strings.Join(codes, ", ")))
	return v
}

// list reads values separated by ";" (empty parts are dropped).
func (c cells) list(col string) []string {
	var out []string
	for _, v := range strings.Split(c.text(col), ";") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (c cells) exploitation() []terms.Exploitation {
	var out []terms.Exploitation
	for _, v := range c.list(FieldExploitation) {
		found := terms.Exploitation("")
		for _, e := range terms.Exploitations() {
			if strings.EqualFold(v, string(e)) || strings.EqualFold(v, e.Label()) {
				found = e
			}
		}
		if found == "" {
			c.p.Add(FieldExploitation, fmt.Sprintf("%q is not a type of exploitation: use %s, separated by ;", core.Clip(v, 40), strings.Join(exploitationCodes(), ", ")))
			return out
		}
		out = append(out, found)
	}
	return out
}

// start makes row number num of a victim or suspect the row that c reads, and the row's problems
// those c notes.
func (c *cells) start(num int, row *personRow) {
	c.p, row.num, row.opRef = &row.p, num, c.text(colOperationReference)
}

func (c cells) person() PersonInput {
	return PersonInput{Reference: c.text(FieldReference),
		AgeBand: terms.AgeBand(c.enum(FieldAgeBand, ageBandCodes(), ageBandLabel)), Sex: terms.Sex(c.enum(FieldSex, sexCodes(), sexLabel)),
		Nationality: c.nationality(), Exploitation: c.exploitation()}
}

// nationality reads a country's ISO code or its name; empty when not known.
func (c cells) nationality() string {
	v := c.text(FieldNationality)
	if v == "" {
		return ""
	}
	if n, ok := terms.Nationality(v); ok {
		return n.Code
	}
	for _, n := range terms.Nationalities() {
		if strings.EqualFold(v, n.Name) {
			return n.Code
		}
	}
	c.p.Add(FieldNationality, fmt.Sprintf("%q is not a country: use its name as in the list, or its two-letter ISO code (GB), or leave it empty if not known", core.Clip(v, 40)))
	return v
}

// The values of each enumerated column, as the template lists them, and their labels.

func codes[T ~string](list []T) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}

func statusCodes() []string         { return codes(terms.Statuses()) }
func exploitationCodes() []string   { return codes(terms.Exploitations()) }
func ageBandCodes() []string        { return codes(terms.AgeBands()) }
func sexCodes() []string            { return codes(terms.Sexes()) }
func firstResponderCodes() []string { return codes(terms.FirstResponders()) }
func decisionCodes() []string {
	return []string{string(terms.DecisionPositive), string(terms.DecisionNegative)}
}
func roleCodes() []string    { return codes(terms.SuspectRoles()) }
func offenceCodes() []string { return codes(terms.Offences()) }
func outcomeCodes() []string { return codes(terms.Outcomes()) }

func statusLabel(s string) string         { return terms.Status(s).Label() }
func ageBandLabel(s string) string        { return terms.AgeBand(s).Label() }
func sexLabel(s string) string            { return terms.Sex(s).Label() }
func firstResponderLabel(s string) string { return terms.FirstResponder(s).Label() }
func roleLabel(s string) string           { return terms.SuspectRole(s).Label() }
func offenceLabel(s string) string        { return terms.Offence(s).Label() }
func outcomeLabel(s string) string        { return terms.Outcome(s).Label() }

// problemsOf turns a row's problems into import errors on its sheet. rename, when given, maps
// a field the shared checks name differently (a charge's "charge_1_outcome") to its column; a
// field it maps to "" is left out.
func problemsOf(p *core.Problems, sheet string, num int, rename func(string) string) []ImportError {
	err := p.Err()
	if err == nil {
		return nil
	}
	e, ok := err.(*core.Error)
	if !ok || e.Code != core.EINVALID {
		return []ImportError{{Sheet: sheet, Row: num, Message: core.ErrorMessage(err)}}
	}
	var out []ImportError
	seen := map[string]bool{}
	for _, f := range e.Fields {
		col := f.Field
		if rename != nil {
			if col = rename(col); col == "" {
				continue
			}
		}
		if seen[col] {
			continue // the cell's own problem was found first
		}
		seen[col] = true
		out = append(out, ImportError{Sheet: sheet, Row: num, Column: col, Message: f.Message})
	}
	return out
}
