package operations_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/operations/operationstest"
	"github.com/msptp/msphub/policies"
	"github.com/xuri/excelize/v2"
)

// importFixture is the importer on a fresh database of the backend under test, with the
// reference organisations, a clock standing on 2 March 2026, an investigator (the importer), a
// lead officer and a supervisor of Dorset Police.
type importFixture struct {
	db     *core.DB
	s      *models.Services
	im     *operations.Importer
	people *modelstest.People
	inv    core.Actor
	lead   core.Actor
	sup    core.Actor
}

const importHome = "dorset-police"

func newImportFixture(t testing.TB) *importFixture {
	t.Helper()
	clock := modelstest.ClockAt(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	d := modelstest.Deps(t, modelstest.BlobBackend(t), clock)
	s := models.New(d)
	f := &importFixture{db: d.DB, s: s, im: operations.NewImporter(d, s.Audit),
		people: &modelstest.People{Operator: s.Operator, Clock: clock, Prefix: "imp", Name: "Import Person"}}
	f.inv = f.people.Vetted(t, importHome, core.VettingRV, policies.RoleInvestigator)
	f.lead = f.people.Vetted(t, importHome, core.VettingRV, policies.RoleInvestigator)
	f.sup = f.people.Vetted(t, importHome, core.VettingRV, policies.RoleSupervisor)
	return f
}

// rec is one row of a sheet by column name; missing columns are empty.
type rec map[string]string

// workbook writes sheets (name: rows) into an XLSX file.
func workbook(t testing.TB, sheets map[operations.ImportKind][][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for _, k := range operations.ImportKinds() {
		rows, ok := sheets[k]
		if !ok {
			continue
		}
		if _, err := f.NewSheet(k.Sheet()); err != nil {
			t.Fatal(err)
		}
		operationstest.SetRows(t, f, k.Sheet(), 1, rows)
	}
	if err := f.DeleteSheet("Sheet1"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// csvOf writes rows as a CSV file.
func csvOf(t testing.TB, rows [][]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (f *importFixture) run(t testing.TB, who core.Actor, file []byte, dry bool) operations.ImportResult {
	t.Helper()
	res, err := f.im.Import(context.Background(), who, core.Upload{Name: "ops.xlsx", Body: bytes.NewReader(file)}, operations.ImportOptions{DryRun: dry})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

// count counts the rows of table, those matching where (with args) when given.
func (f *importFixture) count(t testing.TB, table string, where ...any) int64 {
	t.Helper()
	q := f.db.Gorm().Table(table)
	if len(where) > 0 {
		q = q.Where(where[0], where[1:]...)
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// sample is a valid file: two operations, three victims, two suspects, three charges.
func (f *importFixture) sample() map[operations.ImportKind][][]string {
	return map[operations.ImportKind][][]string{
		operations.ImportOperations: operationstest.Sheet(operations.ImportOperations,
			rec{"reference": "DP/OP/1", "name": "Operation Kestrel", "lead_officer": f.lead.Email, "status": "live", "started_on": "2025-06-01",
				"exploitation": "labour;sexual", "children_involved": "yes", "partners": "national-crime-agency"},
			rec{"reference": "DP/OP/2", "name": "Operation Heron", "lead_officer": f.lead.Email, "status": "closed", "started_on": "01/02/2024",
				"ended_on": "31/12/2025", "exploitation": "criminal_county_lines", "covert": "no"},
		),
		operations.ImportVictims: operationstest.Sheet(operations.ImportVictims,
			rec{"operation_reference": "DP/OP/1", "reference": "V1", "age_band": "25-34", "sex": "female", "nationality": "Romania",
				"exploitation": "sexual", "nrm_referred_on": "2025-06-03", "first_responder": "police", "rg_decided_on": "2025-06-10", "rg_outcome": "positive"},
			rec{"operation_reference": "DP/OP/1", "reference": "V2", "age_band": "16-17", "sex": "male", "nationality": "GB", "exploitation": "labour"},
			rec{"operation_reference": "DP/OP/2", "reference": "V1", "age_band": "18-24", "sex": "male", "duty_to_notify": "yes"},
		),
		operations.ImportSuspects: operationstest.Sheet(operations.ImportSuspects,
			rec{"operation_reference": "DP/OP/1", "reference": "S1", "age_band": "35-44", "sex": "male", "nationality": "AL", "role": "organiser",
				"arrested_on": "2025-07-01", "sentence_months": "48", "stpo": "yes"},
			rec{"operation_reference": "DP/OP/2", "reference": "S1", "age_band": "18-24", "sex": "female", "role": "recruiter"},
		),
		operations.ImportCharges: operationstest.Sheet(operations.ImportCharges,
			rec{"operation_reference": "DP/OP/1", "suspect_reference": "S1", "offence": "msa_s2", "charged_on": "2025-07-02",
				"outcome": "convicted_trial", "outcome_on": "2026-01-15"},
			rec{"operation_reference": "DP/OP/1", "suspect_reference": "S1", "offence": "msa_s1", "charged_on": "2025-07-02"},
			rec{"operation_reference": "DP/OP/2", "suspect_reference": "S1", "offence": "alternative", "charged_on": "2025-03-01"},
		),
	}
}

func wantCounts(t testing.TB, res operations.ImportResult, ops, victims, suspects operations.ImportCount, charges operations.ChargeCount) {
	t.Helper()
	if res.Operations != ops || res.Victims != victims || res.Suspects != suspects || res.Charges != charges {
		t.Fatalf("counts: operations %+v victims %+v suspects %+v charges %+v; want %+v %+v %+v %+v",
			res.Operations, res.Victims, res.Suspects, res.Charges, ops, victims, suspects, charges)
	}
}

func TestImportWorkbookSavesEverythingAndReimportUpdates(t *testing.T) {
	f := newImportFixture(t)
	sheets := f.sample()
	res := f.run(t, f.inv, workbook(t, sheets), false)
	if !res.Valid() || !res.Saved || res.Format != "xlsx" || res.Rows != 10 {
		t.Fatalf("first import: %+v", res)
	}
	wantCounts(t, res, operations.ImportCount{Added: 2}, operations.ImportCount{Added: 3}, operations.ImportCount{Added: 2}, operations.ChargeCount{Added: 3})
	tables := []string{"operations", "operation_exploitation", "operation_partners", "operation_members", "victims", "victim_exploitation", "suspects", "suspect_exploitation", "suspect_charges"}
	before := map[string]int64{}
	for _, tb := range tables {
		before[tb] = f.count(t, tb)
	}
	if before["operations"] != 2 || before["operation_exploitation"] != 3 || before["operation_partners"] != 1 || before["victims"] != 3 ||
		before["suspects"] != 2 || before["suspect_charges"] != 3 || before["operation_members"] != 2 {
		t.Fatalf("rows after the first import: %v", before)
	}
	// What was read: the victim's nationality by name, dates in both forms, the child flag from
	// the age band, the importer on the team.
	var v struct {
		Nationality  string
		Child        bool
		RGOutcome    string
		RGDecidedOn  time.Time
		OperationRef string
	}
	if err := f.db.Gorm().Raw(`SELECT v.nationality, v.child, v.rg_outcome, v.rg_decided_on, o.reference AS operation_ref FROM victims v
		JOIN operations o ON o.id = v.operation_id WHERE v.reference = 'V2'`).Scan(&v).Error; err != nil {
		t.Fatal(err)
	}
	if v.Nationality != "GB" || !v.Child || v.OperationRef != "DP/OP/1" {
		t.Fatalf("victim V2: %+v", v)
	}
	var op struct {
		Name          string
		Status        string
		StartedOn     time.Time
		EndedOn       *time.Time
		LeadOfficerID int64
	}
	if err := f.db.Gorm().Table("operations").Where("reference = ?", "DP/OP/2").Take(&op).Error; err != nil {
		t.Fatal(err)
	}
	if op.StartedOn.Format(time.DateOnly) != "2024-02-01" || op.EndedOn == nil || op.EndedOn.Format(time.DateOnly) != "2025-12-31" || op.LeadOfficerID != f.lead.UserID {
		t.Fatalf("operation DP/OP/2: %+v", op)
	}
	if n := modelstest.AuditCount(t, f.db, "operation.import", ""); n != 1 {
		t.Fatalf("audit events: %d", n)
	}
	leadTold := func() int64 {
		t.Helper()
		return f.count(t, "notifications", "user_id = ? AND kind = ?", f.lead.UserID, operations.NoticeOperationLead)
	}
	if n := leadTold(); n != 1 {
		t.Fatalf("the lead officer named by the import on 2 operations was told %d times, want once", n)
	}
	var details string
	if err := f.db.Gorm().Table("audit_events").Where("action = ?", "operation.import").Pluck("details", &details).Error; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(details, `"operations_added":"2"`) || strings.Contains(details, "Kestrel") || strings.Contains(details, "DP/OP") {
		t.Fatalf("audit details hold counts only: %s", details)
	}

	// The operations service reads what was imported as it reads what its forms record.
	var opID int64
	if err := f.db.Gorm().Table("operations").Where("reference = ?", "DP/OP/1").Pluck("id", &opID).Error; err != nil {
		t.Fatal(err)
	}
	view, err := f.s.Operations.Get(context.Background(), f.inv, opID)
	if err != nil {
		t.Fatalf("the importer cannot read what they imported: %v", err)
	}
	if view.Name != "Operation Kestrel" || len(view.Exploitation) != 2 || len(view.Partners) != 1 || len(view.Victims) != 2 ||
		len(view.Suspects) != 1 || len(view.Suspects[0].Charges) != 2 || view.StartedOn.Format(time.DateOnly) != "2025-06-01" || !view.Actions.Update {
		t.Fatalf("imported operation as the service shows it: %+v", view)
	}
	// A member from the partner organisation, taken off when the re-import drops the partner.
	nca := f.people.Vetted(t, "national-crime-agency", core.VettingRV, policies.RoleInvestigator)
	if _, err := f.s.Operations.AddMember(context.Background(), f.lead, opID, nca.Email); err != nil {
		t.Fatal(err)
	}
	before["operation_members"]++

	// The same file again, with changes: everything updated, nothing duplicated.
	ops := sheets[operations.ImportOperations]
	ops[1][slices.Index(ops[0], "partners")] = ""
	ops[1][slices.Index(ops[0], "name")] = "Operation Kestrel II"
	ops[1][slices.Index(ops[0], "exploitation")] = "labour"
	ops[1][slices.Index(ops[0], "lead_officer")] = f.inv.Email
	vs := sheets[operations.ImportVictims]
	vs[2][slices.Index(vs[0], "nationality")] = "vietnam"
	ch := sheets[operations.ImportCharges]
	sheets[operations.ImportCharges] = ch[:3] // S1 of DP/OP/2 loses its charge
	res = f.run(t, f.sup, workbook(t, sheets), false)
	if !res.Valid() || !res.Saved {
		t.Fatalf("re-import: %+v", res.Errors)
	}
	wantCounts(t, res, operations.ImportCount{Updated: 2}, operations.ImportCount{Updated: 3}, operations.ImportCount{Updated: 2}, operations.ChargeCount{Added: 2, Removed: 3})
	for _, tb := range tables {
		want := before[tb]
		switch tb {
		case "operation_exploitation":
			want-- // labour;sexual became labour
		case "operation_partners":
			want-- // the NCA is no longer a partner
		case "suspect_charges":
			want--
		case "operation_members":
			want += 2 // the supervisor joined both operations' teams
		}
		if got := f.count(t, tb); got != want {
			t.Errorf("%s: %d rows after the re-import, want %d", tb, got, want)
		}
	}
	var name, nat string
	f.db.Gorm().Table("operations").Where("reference = ?", "DP/OP/1").Pluck("name", &name)
	f.db.Gorm().Table("victims").Where("reference = ?", "V2").Pluck("nationality", &nat)
	if name != "Operation Kestrel II" || nat != "VN" {
		t.Fatalf("re-import did not update: name %q, nationality %q", name, nat)
	}
	// DP/OP/1 is handed to the first importer, who is told; DP/OP/2 keeps its lead, who is not.
	if n, m := f.count(t, "notifications", "user_id = ? AND kind = ?", f.inv.UserID, operations.NoticeOperationLead), leadTold(); n != 1 || m != 1 {
		t.Errorf("after the re-import the new lead was told %d times (want 1), the kept lead %d (want still 1)", n, m)
	}
	var active int64
	f.db.Gorm().Table("operation_members").Where("user_id = ? AND removed_at IS NULL", nca.UserID).Count(&active)
	if active != 0 {
		t.Fatal("the partner's member stayed on the operation after the partner was dropped")
	}
}

func TestImportWithErrorsSavesNothingAndListsEveryRowsErrors(t *testing.T) {
	f := newImportFixture(t)
	sheets := f.sample()
	ops := sheets[operations.ImportOperations]
	col := func(rows [][]string, name string) int { return slices.Index(rows[0], name) }
	// Operations row 2: unknown lead officer, bad status, end date before start. Row 3 is fine.
	ops[1][col(ops, "lead_officer")] = "nobody@example.police.uk"
	ops[1][col(ops, "status")] = "finished"
	ops[1][col(ops, "ended_on")] = "2025-01-01"
	ops[1][col(ops, "partners")] = "no-such-org"
	// Victims row 3: not a date, not a country, Duty to Notify for a child. Row 4: an unknown operation.
	vs := sheets[operations.ImportVictims]
	vs[2][col(vs, "nrm_referred_on")] = "31/02/2025"
	vs[2][col(vs, "nationality")] = "Atlantis"
	vs[2][col(vs, "duty_to_notify")] = "yes"
	vs[3][col(vs, "operation_reference")] = "DP/OP/9"
	// Suspects row 2: a sentence but its charges are changed to no conviction; row 3 repeats row 2.
	ss := sheets[operations.ImportSuspects]
	ss = append(ss, slices.Clone(ss[1]))
	sheets[operations.ImportSuspects] = ss
	ch := sheets[operations.ImportCharges]
	ch[1][col(ch, "outcome")] = "acquitted"
	ch[1][col(ch, "outcome_on")] = "2025-06-01" // before the charge
	ch[3][col(ch, "suspect_reference")] = "S9"

	res := f.run(t, f.inv, workbook(t, sheets), false)
	if res.Valid() || res.Saved {
		t.Fatalf("a file with errors was accepted: %+v", res)
	}
	got := map[string]string{}
	for _, e := range res.Errors {
		got[fmt.Sprintf("%s %d %s", e.Sheet, e.Row, e.Column)] = e.Message
	}
	for _, want := range []string{
		"Operations 2 lead_officer", "Operations 2 status", "Operations 2 partners",
		"Victims 3 nrm_referred_on", "Victims 3 nationality", "Victims 3 duty_to_notify", "Victims 4 operation_reference",
		"Suspects 2 sentence_months", "Suspects 2 stpo", "Suspects 4 reference",
		"Charges 2 outcome_on", "Charges 4 suspect_reference",
	} {
		if _, ok := got[want]; !ok {
			t.Errorf("no error for %s; got %v", want, got)
		}
	}
	for k := range got {
		if strings.HasPrefix(k, "Operations 3 ") || strings.HasPrefix(k, "Victims 2 ") {
			t.Errorf("an error on a correct row: %s: %s", k, got[k])
		}
	}
	if msg := got["Charges 2 outcome_on"]; !strings.Contains(msg, "no outcome before charge") {
		t.Errorf("charge date message: %q", msg)
	}
	if s := res.Errors[0].String(); !strings.HasPrefix(s, "Operations row 2, ") {
		t.Errorf("errors are in sheet and row order and read as such: %q", s)
	}
	for _, tb := range []string{"operations", "victims", "suspects", "suspect_charges", "operation_members"} {
		if n := f.count(t, tb); n != 0 {
			t.Errorf("%s: %d rows saved from a file with errors", tb, n)
		}
	}
}

func TestImportDryRunSavesNothing(t *testing.T) {
	f := newImportFixture(t)
	res := f.run(t, f.inv, workbook(t, f.sample()), true)
	if !res.Valid() || res.Saved || !res.DryRun {
		t.Fatalf("dry run: %+v", res)
	}
	wantCounts(t, res, operations.ImportCount{Added: 2}, operations.ImportCount{Added: 3}, operations.ImportCount{Added: 2}, operations.ChargeCount{Added: 3})
	if !strings.Contains(res.Summary(), "2 operations to add") {
		t.Errorf("summary: %q", res.Summary())
	}
	for _, tb := range []string{"operations", "operation_members", "victims", "suspects", "suspect_charges"} {
		if n := f.count(t, tb); n != 0 {
			t.Errorf("%s: %d rows saved by a dry run", tb, n)
		}
	}
	// After a real import, a dry run of the same file counts updates.
	f.run(t, f.inv, workbook(t, f.sample()), false)
	res = f.run(t, f.inv, workbook(t, f.sample()), true)
	wantCounts(t, res, operations.ImportCount{Updated: 2}, operations.ImportCount{Updated: 3}, operations.ImportCount{Updated: 2}, operations.ChargeCount{Added: 3, Removed: 3})
}

func TestImportCSVOfEachKind(t *testing.T) {
	f := newImportFixture(t)
	sheets := f.sample()
	suspects := sheets[operations.ImportSuspects]
	// Without its charges in the file, a suspect's sentence is checked against the charges
	// recorded: none yet.
	res := f.run(t, f.inv, csvOf(t, sheets[operations.ImportOperations]), false)
	if !res.Valid() {
		t.Fatal(res.Errors)
	}
	res = f.run(t, f.inv, csvOf(t, suspects), false)
	if res.Valid() || res.Errors[0].Column != "sentence_months" || f.count(t, "suspects") != 0 {
		t.Fatalf("a sentence without a recorded conviction: %+v", res.Errors)
	}
	unsentenced := slices.Clone(suspects)
	unsentenced[1] = slices.Clone(suspects[1])
	unsentenced[1][slices.Index(suspects[0], "sentence_months")] = ""
	unsentenced[1][slices.Index(suspects[0], "stpo")] = "no"
	for _, file := range [][][]string{sheets[operations.ImportVictims], unsentenced, sheets[operations.ImportCharges]} {
		res := f.run(t, f.inv, csvOf(t, file), false)
		if !res.Valid() || res.Format != "csv" {
			t.Fatalf("%s CSV: %+v", file[0], res.Errors)
		}
	}
	if f.count(t, "operations") != 2 || f.count(t, "victims") != 3 || f.count(t, "suspects") != 2 || f.count(t, "suspect_charges") != 3 {
		t.Fatal("CSV files did not save every kind")
	}
	// Now the conviction is recorded, the suspects CSV with the sentence goes in, and keeps the
	// charges.
	res = f.run(t, f.inv, csvOf(t, suspects), false)
	if !res.Valid() {
		t.Fatal(res.Errors)
	}
	wantCounts(t, res, operations.ImportCount{}, operations.ImportCount{}, operations.ImportCount{Updated: 2}, operations.ChargeCount{})
	if f.count(t, "suspect_charges") != 3 {
		t.Fatal("a suspects CSV changed the charges")
	}
	// A charges CSV replaces the charges of the suspects it names, and may not take away the
	// conviction a recorded sentence follows.
	acquitted := slices.Clone(sheets[operations.ImportCharges][:2])
	acquitted[1] = slices.Clone(acquitted[1])
	acquitted[1][slices.Index(acquitted[0], "outcome")] = "acquitted"
	res = f.run(t, f.inv, csvOf(t, acquitted), false)
	if res.Valid() || res.Errors[0].Row != 2 || res.Errors[0].Column != "outcome" || !strings.Contains(res.Errors[0].Message, "recorded sentence") {
		t.Fatalf("charges that take away a conviction: %+v", res.Errors)
	}
	res = f.run(t, f.inv, csvOf(t, sheets[operations.ImportCharges][:2]), false)
	if !res.Valid() {
		t.Fatal(res.Errors)
	}
	wantCounts(t, res, operations.ImportCount{}, operations.ImportCount{}, operations.ImportCount{}, operations.ChargeCount{Added: 1, Removed: 2})
	// Errors in a CSV name the line.
	bad := operationstest.Sheet(operations.ImportVictims, rec{"operation_reference": "DP/OP/1", "reference": "V3", "age_band": "old", "sex": "male"})
	res = f.run(t, f.inv, csvOf(t, bad), false)
	if len(res.Errors) != 1 || res.Errors[0].String() != res.Errors[0].Sheet+" row 2, age_band: "+res.Errors[0].Message || res.Errors[0].Sheet != "Victims" {
		t.Fatalf("CSV errors: %+v", res.Errors)
	}
	// A header with only the columns victims and suspects share: the file's name tells.
	shared := "operation_reference,reference,age_band,sex\nDP/OP/1,V9,25-34,male\n"
	if _, err := f.im.Import(context.Background(), f.inv, core.Upload{Name: "people.csv", Body: strings.NewReader(shared)}, operations.ImportOptions{DryRun: true}); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("ambiguous header: %v", err)
	}
	res, err := f.im.Import(context.Background(), f.inv, core.Upload{Name: "Victims 2026.csv", Body: strings.NewReader(shared)}, operations.ImportOptions{DryRun: true})
	if err != nil || !res.Valid() || res.Victims.Added != 1 {
		t.Fatalf("victims told by the file's name: %v %+v", err, res)
	}
	// A header that names no kind, and an unknown column.
	if _, err := f.im.Import(context.Background(), f.inv, core.Upload{Body: strings.NewReader("colour,size\nred,big\n")}, operations.ImportOptions{}); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("unknown header: %v", err)
	}
	withExtra := operationstest.Sheet(operations.ImportOperations)
	withExtra[0] = append(withExtra[0], "officer_name")
	res = f.run(t, f.inv, csvOf(t, withExtra), false)
	if len(res.Errors) != 1 || res.Errors[0].Row != 1 || res.Errors[0].Column != "officer_name" {
		t.Fatalf("unknown column: %+v", res.Errors)
	}
}

func TestImportRefusals(t *testing.T) {
	f := newImportFixture(t)
	file := workbook(t, f.sample())
	for name, who := range map[string]core.Actor{
		"officer":          f.people.Vetted(t, importHome, core.VettingRV, policies.RoleOfficer),
		"analyst":          f.people.Vetted(t, importHome, core.VettingRV, policies.RoleAnalyst),
		"admin":            f.people.Vetted(t, importHome, core.VettingRV, policies.RoleAdmin),
		"unvetted":         f.people.Vetted(t, importHome, core.VettingNone, policies.RoleInvestigator),
		"national analyst": f.people.Vetted(t, "national-crime-agency", core.VettingRV, policies.RoleAnalyst),
	} {
		_, err := f.im.Import(context.Background(), who, core.Upload{Body: bytes.NewReader(file)}, operations.ImportOptions{})
		if core.ErrorCode(err) != core.EFORBIDDEN {
			t.Errorf("%s: %v", name, err)
		}
		if err := f.im.TemplateXLSX(context.Background(), who, &bytes.Buffer{}); core.ErrorCode(err) != core.EFORBIDDEN {
			t.Errorf("%s template: %v", name, err)
		}
	}
	if f.count(t, "operations") != 0 {
		t.Fatal("a refused import saved")
	}
	// An investigator of the organisation who is not on an existing operation's team may not
	// update it through an import, nor add victims to it.
	f.run(t, f.inv, workbook(t, f.sample()), false)
	other := f.people.Vetted(t, importHome, core.VettingRV, policies.RoleInvestigator)
	res := f.run(t, other, workbook(t, f.sample()), false)
	if res.Valid() || res.Errors[0].Sheet != "Operations" || res.Errors[0].Column != "reference" {
		t.Fatalf("not on the team: %+v", res.Errors)
	}
	victims := map[operations.ImportKind][][]string{operations.ImportVictims: f.sample()[operations.ImportVictims]}
	res = f.run(t, other, workbook(t, victims), false)
	if res.Valid() || res.Errors[0].Column != "operation_reference" {
		t.Fatalf("victims of an operation not theirs: %+v", res.Errors)
	}
	// Another force's officer importing the same references makes their own operations.
	elsewhere := f.people.Vetted(t, "wiltshire-police", core.VettingRV, policies.RoleSupervisor)
	sample := f.sample()
	ops := sample[operations.ImportOperations]
	for i := 1; i < len(ops); i++ {
		ops[i][slices.Index(ops[0], "lead_officer")] = elsewhere.Email
	}
	res = f.run(t, elsewhere, workbook(t, sample), false)
	if !res.Valid() || res.Operations.Added != 2 {
		t.Fatalf("another force: %+v", res)
	}
	if f.count(t, "operations") != 4 {
		t.Fatal("another force's import touched this force's operations")
	}
}

func TestImportTemplateRoundTrips(t *testing.T) {
	f := newImportFixture(t)
	var buf bytes.Buffer
	if err := f.im.TemplateXLSX(context.Background(), f.inv, &buf); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	sheets := wb.GetSheetList()
	for _, want := range []string{"How to fill this in", "Operations", "Victims", "Suspects", "Charges"} {
		if !slices.Contains(sheets, want) {
			t.Fatalf("template sheets %v: no %s", sheets, want)
		}
	}
	// Every enumerated column offers a list.
	for sheet, cols := range map[string][]string{
		"Operations": {"status", "exploitation", "children_involved", "covert", "partners"},
		"Victims":    {"age_band", "sex", "nationality", "first_responder", "rg_outcome", "cg_outcome", "duty_to_notify"},
		"Suspects":   {"age_band", "sex", "nationality", "role", "s45_raised", "stpo"},
		"Charges":    {"offence", "outcome"},
	} {
		dvs, err := wb.GetDataValidations(sheet)
		if err != nil {
			t.Fatal(err)
		}
		header, err := wb.GetRows(sheet)
		if err != nil || len(header) != 1 {
			t.Fatalf("%s: rows %v, %v", sheet, header, err)
		}
		for _, c := range cols {
			letter, _ := excelize.ColumnNumberToName(slices.Index(header[0], c) + 1)
			found := false
			for _, dv := range dvs {
				if strings.HasPrefix(dv.Sqref, letter+"2:") && dv.Type == "list" {
					found = true
				}
			}
			if !found {
				t.Errorf("%s column %s has no drop-down list", sheet, c)
			}
		}
	}
	// Fill the template as a person would (a date typed as a date cell) and import it.
	fill := func(sheet string, row int, values map[string]any) {
		header, _ := wb.GetRows(sheet)
		for c, v := range values {
			letter, _ := excelize.ColumnNumberToName(slices.Index(header[0], c) + 1)
			if err := wb.SetCellValue(sheet, fmt.Sprintf("%s%d", letter, row), v); err != nil {
				t.Fatal(err)
			}
		}
	}
	fill("Operations", 2, map[string]any{"reference": "T-1", "name": "Operation Tern", "lead_officer": f.lead.Email, "status": "live",
		"started_on": time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), "exploitation": "domestic_servitude", "organised_crime_group": "yes"})
	fill("Victims", 2, map[string]any{"operation_reference": "T-1", "reference": "T-V1", "age_band": "45-54", "sex": "female", "nationality": "Philippines"})
	fill("Suspects", 2, map[string]any{"operation_reference": "T-1", "reference": "T-S1", "age_band": "55+", "sex": "male", "arrested_on": "02/10/2025"})
	fill("Charges", 2, map[string]any{"operation_reference": "T-1", "suspect_reference": "T-S1", "offence": "msa_s1", "charged_on": "2025-10-03"})
	var filled bytes.Buffer
	if _, err := wb.WriteTo(&filled); err != nil {
		t.Fatal(err)
	}
	res := f.run(t, f.inv, filled.Bytes(), false)
	if !res.Valid() {
		t.Fatalf("filled template: %v", res.Errors)
	}
	wantCounts(t, res, operations.ImportCount{Added: 1}, operations.ImportCount{Added: 1}, operations.ImportCount{Added: 1}, operations.ChargeCount{Added: 1})
	var started time.Time
	if err := f.db.Gorm().Table("operations").Where("reference = ?", "T-1").Pluck("started_on", &started).Error; err != nil {
		t.Fatal(err)
	}
	if started.Format(time.DateOnly) != "2025-09-01" {
		t.Fatalf("a date cell read as %v", started)
	}
	// The CSV templates are header rows that the import recognises.
	for _, k := range operations.ImportKinds() {
		var b bytes.Buffer
		if err := f.im.TemplateCSV(context.Background(), f.inv, k, &b); err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(b.String()) != strings.Join(operations.ImportColumns(k), ",") {
			t.Fatalf("%s CSV template: %q", k, b.String())
		}
		_, err := f.im.Import(context.Background(), f.inv, core.Upload{Body: bytes.NewReader(b.Bytes())}, operations.ImportOptions{DryRun: true})
		if core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), "no records") {
			t.Fatalf("%s CSV template, empty: %v", k, err)
		}
	}
}

func TestImportLimits(t *testing.T) {
	f := newImportFixture(t)
	ctx := context.Background()
	big := strings.Repeat("x", 2048)
	_, err := f.im.Import(ctx, f.inv, core.Upload{Body: strings.NewReader(big)}, operations.ImportOptions{MaxBytes: 1024})
	if core.ErrorCode(err) != core.ETOOLARGE {
		t.Fatalf("too large: %v", err)
	}
	var b strings.Builder
	b.WriteString(strings.Join(operations.ImportColumns(operations.ImportCharges), ",") + "\n")
	for i := 0; i <= operations.MaxImportRows; i++ {
		b.WriteString("OP,S,msa_s1,2025-01-01,,\n")
	}
	_, err = f.im.Import(ctx, f.inv, core.Upload{Body: strings.NewReader(b.String())}, operations.ImportOptions{})
	if core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), "more than 20000 rows") {
		t.Fatalf("too many rows: %v", err)
	}
	// A stray row far down a sheet is read with its own row number, blank rows skipped.
	wb := excelize.NewFile()
	if err := wb.SetSheetName("Sheet1", "Victims"); err != nil {
		t.Fatal(err)
	}
	header := operationstest.Sheet(operations.ImportVictims)[0]
	stray := operationstest.Sheet(operations.ImportVictims, rec{"operation_reference": "NOPE", "reference": "V1", "age_band": "25-34", "sex": "male"})[1]
	sw, err := wb.NewStreamWriter("Victims")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		row  int
		vals []string
	}{{1, header}, {900001, stray}} {
		cells := make([]any, len(r.vals))
		for i, v := range r.vals {
			cells[i] = v
		}
		if err := sw.SetRow(fmt.Sprintf("A%d", r.row), cells); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var farFile bytes.Buffer
	if _, err := wb.WriteTo(&farFile); err != nil {
		t.Fatal(err)
	}
	res := f.run(t, f.inv, farFile.Bytes(), true)
	if res.Rows != 1 || len(res.Errors) != 1 || res.Errors[0].Row != 900001 || res.Errors[0].Column != "operation_reference" {
		t.Fatalf("a row far down: %+v", res)
	}
	for _, body := range []string{"", "PK\x03\x04not a zip", "\xff\xfe\x00b"} {
		if _, err := f.im.Import(ctx, f.inv, core.Upload{Body: strings.NewReader(body)}, operations.ImportOptions{}); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%q: %v", body, err)
		}
	}
}

// BenchmarkImport5000Rows imports a generated 5,000-row workbook (500 operations, 2,500
// potential victims, 1,500 suspects, 500 charges) into an empty organisation; each iteration
// imports it again (all updates after the first).
func BenchmarkImport5000Rows(b *testing.B) {
	f := newImportFixture(b)
	file := generated(f.lead.Email, 500, 5, 3)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		res, err := f.im.Import(context.Background(), f.inv, core.Upload{Body: bytes.NewReader(file)}, operations.ImportOptions{})
		if err != nil || !res.Valid() || res.Rows != 5000 {
			b.Fatalf("import: %v %v", err, res.Errors[:min(3, len(res.Errors))])
		}
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/import")
}

// generated is a workbook of ops operations, each with victims potential victims, suspects
// suspects and one charge on its first suspect.
func generated(lead string, ops, victims, suspects int) []byte {
	f := excelize.NewFile()
	defer f.Close()
	write := func(kind operations.ImportKind, rows [][]any) {
		sw, err := f.NewStreamWriter(kind.Sheet())
		if err != nil {
			panic(err)
		}
		cols := operations.ImportColumns(kind)
		head := make([]any, len(cols))
		for i, c := range cols {
			head[i] = c
		}
		if err := sw.SetRow("A1", head); err != nil {
			panic(err)
		}
		for i, r := range rows {
			if err := sw.SetRow(fmt.Sprintf("A%d", i+2), r); err != nil {
				panic(err)
			}
		}
		if err := sw.Flush(); err != nil {
			panic(err)
		}
	}
	for _, k := range operations.ImportKinds() {
		if _, err := f.NewSheet(k.Sheet()); err != nil {
			panic(err)
		}
	}
	_ = f.DeleteSheet("Sheet1")
	var opRows, vRows, sRows, cRows [][]any
	bands := []string{"12-15", "18-24", "25-34", "35-44"}
	nations := []string{"GB", "RO", "AL", "VN", "PL"}
	for i := range ops {
		ref := fmt.Sprintf("GEN/%05d", i)
		status, ended := "live", ""
		if i%3 == 0 {
			status, ended = "closed", "2025-12-01"
		}
		opRows = append(opRows, []any{ref, "Operation " + ref, lead, status, "2024-01-15", ended, "labour;sexual", "no", "yes", "no", "no", "national-crime-agency"})
		for j := range victims {
			vRows = append(vRows, []any{ref, fmt.Sprintf("V%d", j), bands[j%4], "female", nations[j%5], "labour", "2024-02-01", "police", "2024-02-10", "positive", "", "", "no", "yes", "yes"})
		}
		for j := range suspects {
			sRows = append(sRows, []any{ref, fmt.Sprintf("S%d", j), "35-44", "male", nations[(i+j)%5], "labour", "organiser", "2024-03-01", "no", "", "no", "no", "0"})
		}
		cRows = append(cRows, []any{ref, "S0", "msa_s1", "2024-03-02", "", ""})
	}
	write(operations.ImportOperations, opRows)
	write(operations.ImportVictims, vRows)
	write(operations.ImportSuspects, sRows)
	write(operations.ImportCharges, cRows)
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
