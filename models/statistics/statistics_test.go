package statistics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/models/statistics"
	"github.com/msptp/msphub/models/statistics/statisticstest"
)

type fixture struct {
	s      *models.Services
	db     *core.DB
	clock  *modelstest.Clock
	people modelstest.People
	seed   statisticstest.Seeder

	national, regional core.Actor // analysts of the national unit and of the South West's regional unit
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clock := modelstest.ClockAt(time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC))
	d := modelstest.Deps(t, modelstest.BlobBackend(t), clock)
	s := models.New(d)
	f := &fixture{s: s, db: d.DB, clock: clock, people: modelstest.People{Operator: s.Operator, Clock: clock, Prefix: "stats", Name: "Stats Person"}}
	lead := f.people.Vetted(t, "devon-and-cornwall-police", core.VettingRV, "officer")
	f.seed = statisticstest.Seeder{DB: d.DB, User: lead.UserID}
	f.national = f.people.Vetted(t, "modern-slavery-and-organised-immigration-crime-unit", core.VettingRV, "analyst")
	f.regional = f.people.Vetted(t, "south-west-regional-organised-crime-unit", core.VettingRV, "analyst")
	return f
}

func (f *fixture) org(t *testing.T, slug string) int64 {
	var id int64
	if err := f.db.Gorm().Table("organisations").Select("id").Where("slug = ?", slug).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("no organisation %s", slug)
	}
	return id
}

// cell is the text of a table's cell by row label and column index.
func cell(t *testing.T, d statistics.Dashboard, table, row string, col int) string {
	t.Helper()
	return statisticstest.Row(t, d, table, row)[col].Text()
}

// cellWant is what one cell of a dashboard's table should read, and why.
type cellWant struct {
	table, row string
	col        int
	want, why  string
}

// wantCells fails the test at the first cell that does not read as wanted.
func wantCells(t *testing.T, d statistics.Dashboard, cells []cellWant) {
	t.Helper()
	for _, c := range cells {
		if got := cell(t, d, c.table, c.row, c.col); got != c.want {
			t.Fatalf("%s: %s, %s, column %d = %s, want %s", c.why, c.table, c.row, c.col, got, c.want)
		}
	}
}

func hasRow(d statistics.Dashboard, table, row string) bool {
	tb, _ := d.Table(table)
	for _, r := range tb.Rows {
		if r.Label == row {
			return true
		}
	}
	return false
}

// seedSouthWest: Devon and Cornwall has ten operations started in Q1 2026 with two victims each,
// and five covert live ones with six victims each; Avon and Somerset has two operations and
// Dorset three.
func (f *fixture) seedSouthWest(t *testing.T) {
	devon, avon, dorset := f.org(t, "devon-and-cornwall-police"), f.org(t, "avon-and-somerset-police"), f.org(t, "dorset-police")
	for i := range 10 {
		f.seed.Insert(t, statisticstest.Operation{Org: devon, Ref: fmt.Sprintf("DC-OPEN-%d", i), Name: fmt.Sprintf("Operation Kestrel %d", i), Started: "2026-01-10", Types: []string{"labour"},
			Victims: []statisticstest.Victim{
				{Ref: fmt.Sprintf("DC-V-%d-a", i), Age: "25-34", Sex: "male", Nationality: "AL", Referred: "2026-01-20", RGOn: "2026-02-01", RG: "positive"},
				{Ref: fmt.Sprintf("DC-V-%d-b", i), Age: "18-24", Sex: "female", Nationality: "VN", Referred: "2026-01-25"},
			},
			Suspects: []statisticstest.Suspect{{Ref: fmt.Sprintf("DC-S-%d", i), Arrested: "2026-02-10", Charges: []statisticstest.Charge{{On: "2026-03-01"}}}},
		})
	}
	for i := range 5 {
		var vs []statisticstest.Victim
		for j := range 6 {
			vs = append(vs, statisticstest.Victim{Ref: fmt.Sprintf("COVERT-V-%d-%d", i, j), Age: "35-44", Sex: "female", Nationality: "RO"})
		}
		f.seed.Insert(t, statisticstest.Operation{Org: devon, Ref: fmt.Sprintf("DC-COVERT-%d", i), Name: fmt.Sprintf("Operation Nightjar %d", i), Started: "2026-02-01", Covert: true, Types: []string{"sexual"}, Victims: vs})
	}
	for i := range 2 {
		f.seed.Insert(t, statisticstest.Operation{Org: avon, Ref: fmt.Sprintf("AS-%d", i), Name: fmt.Sprintf("Operation Heron %d", i), Started: "2026-01-15", Types: []string{"labour"}})
	}
	for i := range 3 {
		f.seed.Insert(t, statisticstest.Operation{Org: dorset, Ref: fmt.Sprintf("DP-%d", i), Name: fmt.Sprintf("Operation Plover %d", i), Started: "2026-01-15", Types: []string{"labour"}})
	}
}

func TestScopeAndTheCovertRule(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.seedSouthWest(t)
	force := f.people.Vetted(t, "devon-and-cornwall-police", core.VettingRV, "analyst")
	officer := f.people.Vetted(t, "devon-and-cornwall-police", core.VettingRV, "officer", "supervisor")
	q1 := statistics.Filter{Quarter: "2026-Q1"}

	if _, err := f.s.Statistics.Dashboard(ctx, officer, q1); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Fatalf("an officer: %v, want EFORBIDDEN", err)
	}
	if f.s.Reach(ctx, officer).Statistics || !f.s.Reach(ctx, f.national).Statistics {
		t.Fatal("the navigation offers the national picture to the wrong people")
	}

	d, err := f.s.Statistics.Dashboard(ctx, f.national, q1)
	if err != nil {
		t.Fatal(err)
	}
	if d.Scope.Level != statistics.LevelNational {
		t.Fatalf("scope = %+v", d.Scope)
	}
	wantCells(t, d, []cellWant{
		// Nationally the covert live operations count in the total, not in Devon and Cornwall's row.
		{"operations-by-force", "Devon and Cornwall Police", 0, "10", "live: no covert operation"},
		{"operations-by-force", "Not attributed: covert operations not yet closed", 0, "5", "held back"},
		{"operations-by-force", "Total", 1, "20", "new in Q1 nationally"},
		{"victims-by-force", "Devon and Cornwall Police", 0, "20", "none of the covert operations'"},
		{"victims-by-force", "Total", 0, "50", "national victims"},
		// Avon and Somerset's 2 and Dorset's 3 are suppressed; they protect each other.
		{"operations-by-force", "Avon and Somerset Police", 0, "[c]", "suppressed"},
		{"operations-by-force", "Dorset Police", 0, "[c]", "suppressed"},
		{"operations-by-region", "South West", 0, "15", "region"},
		{"victims-by-sex", "Female", 0, "40", "female victims"},
		{"nrm-decisions", "Reasonable grounds: positive", 0, "10", "positive RG"},
		{"median-days", "NRM referral and reasonable grounds decision", 0, "12", "median days to RG"},
	})

	for _, who := range []core.Actor{f.regional, force} {
		d, err := f.s.Statistics.Dashboard(ctx, who, q1)
		if err != nil {
			t.Fatal(err)
		}
		if hasRow(d, "operations-by-force", "Not attributed: covert operations not yet closed") {
			t.Fatal("a regional or force view has a held-back row")
		}
		wantCells(t, d, []cellWant{
			{"operations-by-force", "Total", 1, map[string]string{statistics.LevelRegion: "15", statistics.LevelOrganisation: "10"}[d.Scope.Level], d.Scope.Level + ": new in Q1"},
			{"victims-by-force", "Total", 0, "20", d.Scope.Level + ": a covert live operation's victims never count below national"},
			{"operations-by-exploitation", "Sexual exploitation", 1, "0", d.Scope.Level + ": sexual exploitation operations"},
		})
	}
	// A national analyst filtering by region sees a region-level figure: no covert operation.
	d, err = f.s.Statistics.Dashboard(ctx, f.national, statistics.Filter{Quarter: "2026-Q1", Region: "South West"})
	if err != nil {
		t.Fatal(err)
	}
	wantCells(t, d, []cellWant{{"operations-by-force", "Total", 1, "15", "South West filter: new"}})
	// A force analyst cannot ask for another force.
	if _, err := f.s.Statistics.Dashboard(ctx, force, statistics.Filter{Force: f.org(t, "avon-and-somerset-police")}); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("another force: %v, want EINVALID", err)
	}

	// Once closed, the covert operations count in the force's figures.
	if err := f.db.Gorm().Exec("UPDATE operations SET status = 'closed', ended_on = ? WHERE covert", time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)).Error; err != nil {
		t.Fatal(err)
	}
	d, err = f.s.Statistics.Dashboard(ctx, force, q1)
	if err != nil {
		t.Fatal(err)
	}
	wantCells(t, d, []cellWant{
		{"operations-by-force", "Total", 1, "15", "after closing: new"},
		{"operations-by-force", "Total", 2, "5", "after closing: closed"},
		{"victims-by-force", "Total", 0, "50", "after closing: victims"},
	})
}

func TestFilterProblemsAllAtOnce(t *testing.T) {
	f := newFixture(t)
	analyst := f.people.Vetted(t, "devon-and-cornwall-police", core.VettingRV, "analyst")
	_, err := f.s.Statistics.Dashboard(context.Background(), analyst, statistics.Filter{From: "yesterday", To: "2026-13-01", Region: "London", Exploitation: "piracy"})
	e, ok := err.(*core.Error)
	if !ok || e.Code != core.EINVALID || len(e.Fields) != 4 {
		t.Fatalf("err = %#v, want four problems", err)
	}
}

// Every output the national picture makes (JSON, CSV, XLSX, PDF) is free of the references and
// names of the operations, victims and suspects behind it.
func TestOutputsCarryNoRecord(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.seedSouthWest(t)
	d, t1, err := f.s.Statistics.Export(ctx, f.national, statistics.Filter{Quarter: "2026-Q1"}, "victims-by-force", "csv")
	if err != nil {
		t.Fatal(err)
	}
	var js, csv, xlsx, pdf bytes.Buffer
	if err := json.NewEncoder(&js).Encode(d); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteCSV(&csv, t1); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteXLSX(&xlsx); err != nil {
		t.Fatal(err)
	}
	if err := d.WritePDF(&pdf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(csv.String(), "OFFICIAL-SENSITIVE") || !strings.Contains(pdf.String(), "OFFICIAL-SENSITIVE") {
		t.Fatal("a file is not marked OFFICIAL-SENSITIVE")
	}
	for name, out := range map[string]string{"json": js.String(), "csv": csv.String(), "xlsx": statisticstest.XLSXText(t, xlsx.Bytes()), "pdf": pdf.String()} {
		statisticstest.NoRecord(t, name, out)
	}
	if !strings.Contains(js.String(), `{"suppressed":true}`) {
		t.Fatal("the JSON has no suppressed cell: the scan proves little")
	}
}

func TestReportsByJobAndOnDemand(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.seedSouthWest(t)
	tarian := f.people.Vetted(t, "tarian-regional-organised-crime-unit", core.VettingRV, "analyst")
	sum, err := f.s.Statistics.MonthlyReports(ctx)
	if err != nil || sum != "20 reports of 2026-03 made" { // national and the nine ROCUs, in both editions
		t.Fatalf("monthly: %q, %v", sum, err)
	}
	if sum, _ := f.s.Statistics.MonthlyReports(ctx); sum != "0 reports of 2026-03 made" {
		t.Fatalf("again: %q, want none made", sum)
	}
	all, err := f.s.Statistics.Reports(ctx, f.national, "")
	if err != nil || len(all.Reports) != 20 || !all.Actions.Create {
		t.Fatalf("national list: %d, %v", len(all.Reports), err)
	}
	mine, err := f.s.Statistics.Reports(ctx, f.regional, statistics.EditionLawEnforcement)
	if err != nil || len(mine.Reports) != 1 || mine.Reports[0].Scope != "South West Regional Organised Crime Unit" || mine.Reports[0].Edition != statistics.EditionLawEnforcement {
		t.Fatalf("regional list: %+v, %v", mine.Reports, err)
	}
	file, err := f.s.Statistics.OpenReport(ctx, f.regional, mine.Reports[0].ID, "")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(file); err != nil {
		t.Fatal(err)
	}
	file.Close()
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF")) || bytes.Count(b.Bytes(), []byte("OFFICIAL-SENSITIVE")) < 2 {
		t.Fatal("the report is not a marked PDF")
	}
	statisticstest.NoRecord(t, "report", b.String())
	if _, err := f.s.Statistics.OpenReport(ctx, tarian, mine.Reports[0].ID, ""); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("another region's report: %v, want ENOTFOUND", err)
	}
	r, err := f.s.Statistics.CreateReport(ctx, f.regional, "2026-02", "")
	if err != nil || r.Origin != statistics.OriginOnDemand || r.Month != "2026-02" || r.Edition != statistics.EditionLawEnforcement {
		t.Fatalf("on demand: %+v, %v", r, err)
	}
	if _, err := f.s.Statistics.CreateReport(ctx, f.regional, "2027-01", ""); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("a future month: %v", err)
	}
	if n := modelstest.AuditCount(t, f.db, "statistics.report_download", ""); n != 1 {
		t.Fatalf("downloads audited: %d", n)
	}
}
