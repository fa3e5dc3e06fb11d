package statistics_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/models/statistics"
	"github.com/msptp/msphub/models/statistics/statisticstest"
)

// seedForces gives each force n operations started in January 2026, each with a potential
// victim referred to the NRM (a positive reasonable grounds decision) and a suspect arrested,
// charged and convicted: every force has a figure in every column, or none.
func (f *fixture) seedForces(t *testing.T, n map[string]int) {
	t.Helper()
	for slug, k := range n {
		org := f.org(t, slug)
		for i := range k {
			ref := fmt.Sprintf("PART-%s-%d", slug, i)
			f.seed.Insert(t, statisticstest.Operation{Org: org, Ref: ref, Name: "Operation Partner " + ref, Started: "2026-01-12", Types: []string{"labour"},
				Victims: []statisticstest.Victim{{Ref: ref + "-V", Age: "25-34", Sex: "male", Nationality: "AL", Referred: "2026-01-20", RGOn: "2026-02-02", RG: "positive"}},
				Suspects: []statisticstest.Suspect{{Ref: ref + "-S", Arrested: "2026-02-10",
					Charges: []statisticstest.Charge{{On: "2026-02-20", Outcome: "convicted_plea", OutcomeOn: "2026-03-10"}}}},
			})
		}
	}
}

// orgNames are the names of every organisation.
func (f *fixture) orgNames(t *testing.T) []string {
	var names []string
	if err := f.db.Gorm().Table("organisations").Pluck("name", &names).Error; err != nil || len(names) < 50 {
		t.Fatalf("organisations: %d, %v", len(names), err)
	}
	return names
}

// noForceRows fails when a table of the partner edition d has an organisation's row, or says
// its rows are forces.
func noForceRows(t *testing.T, what string, d statistics.Dashboard, names []string) {
	t.Helper()
	if d.Edition != statistics.EditionPartner {
		t.Fatalf("%s: edition %q, want the partner edition", what, d.Edition)
	}
	for _, tb := range d.Tables {
		if tb.RowHeading == "Force or agency" {
			t.Errorf("%s: table %s is by force or agency", what, tb.ID)
		}
		for _, r := range tb.Rows {
			for _, n := range names {
				if r.Label == n {
					t.Errorf("%s: table %s has a row of %s", what, tb.ID, n)
				}
			}
		}
	}
}

// sameAsLawEnforcement checks the partner edition p against the law-enforcement edition le of
// the same filter: every table and row of p is in le, and each cell either is le's figure, or is
// withheld where le withholds it. extra lists the cells p may withhold beyond le's ("table/row/
// column"); it fails on any other difference, and on an extra one that did not happen.
func sameAsLawEnforcement(t *testing.T, p, le statistics.Dashboard, extra map[string]bool) {
	t.Helper()
	if len(p.Tables) != len(le.Tables) {
		t.Fatalf("the partner edition has %d tables, the law-enforcement edition %d", len(p.Tables), len(le.Tables))
	}
	seen := map[string]bool{}
	for _, pt := range p.Tables {
		for _, r := range pt.Rows {
			lc := statisticstest.Row(t, le, pt.ID, r.Label)
			for c, cell := range r.Cells {
				key := fmt.Sprintf("%s/%s/%d", pt.ID, r.Label, c)
				switch {
				case lc[c].Suppressed && !cell.Suppressed:
					t.Errorf("%s: published in the partner edition (%s) and withheld in the law-enforcement edition", key, cell.Text())
				case !cell.Suppressed && cell.Value != lc[c].Value:
					t.Errorf("%s: %s in the partner edition, %s in the law-enforcement edition", key, cell.Text(), lc[c].Text())
				case cell.Suppressed && !lc[c].Suppressed:
					seen[key] = true
					if !extra[key] {
						t.Errorf("%s: withheld in the partner edition, %s in the law-enforcement edition", key, lc[c].Text())
					}
				}
			}
		}
	}
	for key := range extra {
		if !seen[key] {
			t.Errorf("%s: published in the partner edition, which must withhold it", key)
		}
	}
}

// The partner edition is the law-enforcement edition's suppressed figures without a row of any
// force or organisation: where every region with figures has two forces or more with figures in
// each column, it withholds nothing more, and publishes nothing the law-enforcement edition
// withholds, in the national view, a region's and an area's.
func TestPartnerEditionIsTheLawEnforcementEditionWithoutForces(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.seedForces(t, map[string]int{"devon-and-cornwall-police": 12, "dorset-police": 3, "kent-police": 7, "surrey-police": 2})
	names := f.orgNames(t)
	for _, c := range []struct {
		name   string
		who    core.Actor
		filter statistics.Filter
	}{
		{"national", f.national, statistics.Filter{Quarter: "2026-Q1"}},
		{"national, labour exploitation", f.national, statistics.Filter{Quarter: "2026-Q1", Exploitation: "labour"}},
		{"national, the South East", f.national, statistics.Filter{Quarter: "2026-Q1", Region: "South East"}},
		{"the South West unit", f.regional, statistics.Filter{Quarter: "2026-Q1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			le, err := f.s.Statistics.Dashboard(ctx, c.who, c.filter)
			if err != nil || le.Edition != statistics.EditionLawEnforcement || len(le.Editions) != 2 {
				t.Fatalf("default edition: %q of %v, %v: want the law-enforcement edition of both", le.Edition, le.Editions, err)
			}
			if !le.Tables[0].Suppressed() {
				t.Fatal("no operations figure is withheld: the test proves little")
			}
			pf := c.filter
			pf.Edition = statistics.EditionPartner
			p, err := f.s.Statistics.Dashboard(ctx, c.who, pf)
			if err != nil {
				t.Fatal(err)
			}
			noForceRows(t, c.name, p, names)
			sameAsLawEnforcement(t, p, le, nil)
			if got := statisticstest.Row(t, p, "operations-by-force", "Total"); got[1].Suppressed || got[1].Value == 0 {
				t.Errorf("the area's new operations: %s, want them published", got[1].Text())
			}
		})
	}
}

// A region's figure is a force's when the region has one force with figures: the partner
// edition withholds it, and another figure of each line through it so that it cannot be worked
// out, though the law-enforcement edition publishes both.
func TestPartnerEditionWithholdsARegionOfOneForce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.seedForces(t, map[string]int{"devon-and-cornwall-police": 12, "kent-police": 7, "surrey-police": 6})
	// Every organisation has people with an account in the period, as in service: the training
	// and guidance tables have figures of every force.
	if err := f.db.Gorm().Exec("UPDATE users SET created_at = ?", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)).Error; err != nil {
		t.Fatal(err)
	}
	q1 := statistics.Filter{Quarter: "2026-Q1"}
	le := f.dashboard(t, q1)
	for _, table := range []string{"operations-by-region", "victims-by-region", "justice-by-region"} {
		if sw := statisticstest.Row(t, le, table, "South West"); sw[0].Suppressed && sw[1].Suppressed {
			t.Fatalf("%s: the South West is withheld in the law-enforcement edition: the test proves little", table)
		}
	}
	p := f.dashboard(t, statistics.Filter{Quarter: "2026-Q1", Edition: statistics.EditionPartner})
	noForceRows(t, "national", p, f.orgNames(t))
	for _, table := range []string{"operations-by-region", "victims-by-region", "justice-by-region"} {
		tb, _ := p.Table(table)
		for c := range tb.Columns {
			sw := statisticstest.Row(t, p, table, "South West")[c]
			if le := statisticstest.Row(t, le, table, "South West")[c]; le.Value != 0 && !sw.Suppressed {
				t.Errorf("%s, column %d: the South West (Devon and Cornwall's alone) is published: %s", table, c, sw.Text())
			}
			// The total less the published regions is the sum of those withheld: not the South
			// West's alone.
			var withheld []string
			for _, r := range tb.Rows {
				if !r.Total && r.Cells[c].Suppressed {
					withheld = append(withheld, r.Label)
				}
			}
			if total := statisticstest.Row(t, p, table, "Total")[c]; len(withheld) == 1 && !total.Suppressed {
				t.Errorf("%s, column %d: the total %s, less the regions published, gives away %s", table, c, total.Text(), withheld[0])
			}
		}
	}
	// The South West unit's own partner edition: the area is one force's, so its totals are too.
	d, err := f.s.Statistics.Dashboard(ctx, f.regional, statistics.Filter{Quarter: "2026-Q1", Edition: statistics.EditionPartner})
	if err != nil {
		t.Fatal(err)
	}
	if got := statisticstest.Row(t, d, "operations-by-force", "Total"); !got[1].Suppressed {
		t.Errorf("the South West unit's partner edition publishes Devon and Cornwall's new operations as its total: %s", got[1].Text())
	}
	if got := statisticstest.Row(t, d, "operations-by-quarter", "Whole period"); !got[1].Suppressed {
		t.Errorf("the South West unit's partner edition publishes Devon and Cornwall's new operations in the trend: %s", got[1].Text())
	}
	// Every other breakdown of that area (victims by age, by nationality, NRM decisions,
	// charges...) is Devon and Cornwall's alone too: none of its figures is published.
	ownLE, err := f.s.Statistics.Dashboard(ctx, f.regional, statistics.Filter{Quarter: "2026-Q1", Edition: statistics.EditionLawEnforcement})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, tb := range d.Tables {
		lt, ok := ownLE.Table(tb.ID)
		if !ok {
			t.Fatalf("table %s is in the partner edition only", tb.ID)
		}
		for _, r := range tb.Rows {
			for c, cell := range r.Cells {
				lr := slices.IndexFunc(lt.Rows, func(x statistics.Row) bool { return x.Label == r.Label })
				if lr < 0 || lt.Rows[lr].Cells[c].Value == 0 {
					continue
				}
				checked++
				if !cell.Suppressed {
					t.Errorf("the South West unit's partner edition publishes Devon and Cornwall's figure in %s, %s, column %d: %s", tb.ID, r.Label, c, cell.Text())
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d figures of the South West were not zero: the test proves little", checked)
	}
}

// Who reads which edition: analysts of a partner agency the partner edition only (their area is
// their own agency, as before, and they never saw a force's row); a force's analysts the
// law-enforcement edition only; an unknown edition is refused, and so is a force in the partner
// edition. Every refusal changes nothing and is not audited as an export.
func TestWhoReadsWhichEdition(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.seedForces(t, map[string]int{"devon-and-cornwall-police": 12, "dorset-police": 6})
	glaa := f.people.Vetted(t, "gangmasters-and-labour-abuse-authority", core.VettingRV, "analyst")
	force := f.people.Vetted(t, "devon-and-cornwall-police", core.VettingRV, "analyst")
	for i := range 6 {
		f.seed.Insert(t, statisticstest.Operation{Org: f.org(t, "gangmasters-and-labour-abuse-authority"), Ref: fmt.Sprintf("GLAA-%d", i), Name: "Operation Wren", Started: "2026-01-20", Types: []string{"labour"}})
	}
	q1 := statistics.Filter{Quarter: "2026-Q1"}

	d, err := f.s.Statistics.Dashboard(ctx, glaa, q1)
	if err != nil || d.Edition != statistics.EditionPartner || len(d.Editions) != 1 || d.Scope.Level != statistics.LevelOrganisation {
		t.Fatalf("a GLAA analyst: %q of %v in %+v, %v: want their agency's partner edition only", d.Edition, d.Editions, d.Scope, err)
	}
	noForceRows(t, "GLAA", d, f.orgNames(t))
	if got := statisticstest.Row(t, d, "operations-by-force", "Total"); got[1].Text() != "6" {
		t.Errorf("GLAA's own new operations: %s, want 6", got[1].Text())
	}
	le := q1
	le.Edition = statistics.EditionLawEnforcement
	if _, err := f.s.Statistics.Dashboard(ctx, glaa, le); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("a GLAA analyst asking for the law-enforcement edition: %v, want EFORBIDDEN", err)
	}
	if _, _, err := f.s.Statistics.Export(ctx, glaa, le, "", "xlsx"); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("a GLAA analyst downloading the law-enforcement edition: %v, want EFORBIDDEN", err)
	}
	if _, err := f.s.Statistics.CreateReport(ctx, glaa, "2026-03", statistics.EditionLawEnforcement); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("a GLAA analyst making a law-enforcement report: %v, want EFORBIDDEN", err)
	}

	d, err = f.s.Statistics.Dashboard(ctx, force, q1)
	if err != nil || d.Edition != statistics.EditionLawEnforcement || len(d.Editions) != 1 {
		t.Fatalf("a force analyst: %q of %v, %v: want the law-enforcement edition only", d.Edition, d.Editions, err)
	}
	pf := q1
	pf.Edition = statistics.EditionPartner
	if _, err := f.s.Statistics.Dashboard(ctx, force, pf); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("a force analyst asking for the partner edition: %v, want EFORBIDDEN", err)
	}
	if _, err := f.s.Statistics.Dashboard(ctx, f.national, statistics.Filter{Edition: "public"}); problem(t, err, "edition") != "Choose an edition: law_enforcement or partner" {
		t.Errorf("an unknown edition: %v", err)
	}
	_, err = f.s.Statistics.Dashboard(ctx, f.national, statistics.Filter{Edition: statistics.EditionPartner, Force: f.org(t, "dorset-police")})
	if got := problem(t, err, "force"); !strings.Contains(got, "The partner edition has no force-level figures") {
		t.Errorf("a force in the partner edition: %q", got)
	}
	if n := modelstest.AuditCount(t, f.db, "statistics.export", ""); n != 0 {
		t.Errorf("refused exports audited: %d", n)
	}
}

// Every file of the partner edition says so in its first rows, title and name, keeps the
// OFFICIAL-SENSITIVE marking, and has no force's row; the export is audited with its edition.
func TestPartnerEditionFiles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.seedForces(t, map[string]int{"devon-and-cornwall-police": 12, "dorset-police": 3})
	names := f.orgNames(t)
	for _, edition := range statistics.Editions() {
		d, tb, err := f.s.Statistics.Export(ctx, f.national, statistics.Filter{Quarter: "2026-Q1", Edition: edition}, "operations-by-force", "csv")
		if err != nil {
			t.Fatal(err)
		}
		var csv, xlsx, pdf bytes.Buffer
		if err := d.WriteCSV(&csv, tb); err != nil {
			t.Fatal(err)
		}
		if err := d.WriteXLSX(&xlsx); err != nil {
			t.Fatal(err)
		}
		if err := d.WritePDF(&pdf); err != nil {
			t.Fatal(err)
		}
		label := statistics.EditionLabel(edition)
		if first := strings.SplitN(csv.String(), "\n", 3); len(first) < 3 || !strings.HasPrefix(first[0], "OFFICIAL-SENSITIVE") || !strings.HasPrefix(first[1], label) {
			t.Errorf("%s: the CSV begins %q, want the marking then %q", edition, first[:2], label)
		}
		x := statisticstest.XLSXText(t, xlsx.Bytes())
		if !strings.Contains(x, "OFFICIAL-SENSITIVE\n"+label) || !strings.Contains(pdf.String(), label) || !strings.Contains(pdf.String(), "OFFICIAL-SENSITIVE") {
			t.Errorf("%s: the workbook or the PDF does not say its edition under its marking", edition)
		}
		slug := map[string]string{statistics.EditionPartner: "partner-edition", statistics.EditionLawEnforcement: "law-enforcement-edition"}[edition]
		if name := d.FileName(tb.ID, "csv"); !strings.Contains(name, slug) {
			t.Errorf("%s: file name %s", edition, name)
		}
		has := strings.Contains(csv.String(), "Devon and Cornwall Police") || strings.Contains(x, "Devon and Cornwall Police") || strings.Contains(pdf.String(), "Devon and Cornwall Police")
		if edition == statistics.EditionPartner {
			noForceRows(t, "partner files", d, names)
			for what, out := range map[string]string{"csv": csv.String(), "xlsx": x, "pdf": pdf.String()} {
				for _, n := range names {
					if strings.Contains(out, n) {
						t.Errorf("the partner edition's %s names %s", what, n)
					}
				}
			}
		} else if !has {
			t.Error("the law-enforcement edition's files have no force's row: the test proves little")
		}
		var n int64
		if err := f.db.Gorm().Table("audit_events").Where("action = ? AND details LIKE ?", "statistics.export", `%"edition":"`+edition+`"%`).Count(&n).Error; err != nil || n != 1 {
			t.Errorf("exports of the %s edition audited: %d, %v, want 1", edition, n, err)
		}
	}
}

// The monthly job makes each report in both editions once, however often it runs; a partner
// report has no force's row, and only those who may read its edition list or open it.
func TestMonthlyReportsInBothEditions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.seedForces(t, map[string]int{"devon-and-cornwall-police": 12, "dorset-police": 3})
	for range 2 {
		if _, err := f.s.Statistics.MonthlyReports(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var rows []struct{ ScopeKey, Edition string }
	if err := f.db.Gorm().Raw("SELECT scope_key, edition FROM statistics_reports WHERE origin = 'monthly'").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range rows {
		count[r.ScopeKey+" "+r.Edition]++
	}
	if len(rows) != 20 || count["national law_enforcement"] != 1 || count["national partner"] != 1 {
		t.Fatalf("monthly reports: %v, want each area once in each edition", count)
	}
	partner, err := f.s.Statistics.Reports(ctx, f.national, statistics.EditionPartner)
	if err != nil || len(partner.Reports) != 10 {
		t.Fatalf("partner reports: %d, %v", len(partner.Reports), err)
	}
	var national statistics.Report
	for _, r := range partner.Reports {
		if r.Scope == "England and Wales" {
			national = r
		}
	}
	file, err := f.s.Statistics.OpenReport(ctx, f.national, national.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(file); err != nil {
		t.Fatal(err)
	}
	file.Close()
	if !strings.Contains(file.Name, "partner-edition") || !strings.Contains(b.String(), "Partner edition: no force-level figures") || !strings.Contains(b.String(), "OFFICIAL-SENSITIVE") {
		t.Errorf("the partner report %s does not say its edition and marking", file.Name)
	}
	for _, n := range f.orgNames(t) {
		if strings.Contains(b.String(), n) {
			t.Errorf("the partner report names %s", n)
		}
	}
	if _, err := f.s.Statistics.OpenReport(ctx, f.national, national.ID, statistics.EditionLawEnforcement); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("the partner report asked for as a law-enforcement one: %v, want ENOTFOUND", err)
	}
	if _, err := f.s.Statistics.Reports(ctx, f.national, "public"); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("reports of an unknown edition: %v, want EINVALID", err)
	}
	// A force's analyst lists the law-enforcement editions only.
	force := f.people.Vetted(t, "devon-and-cornwall-police", core.VettingRV, "analyst")
	if _, err := f.s.Statistics.CreateReport(ctx, force, "2026-03", ""); err != nil {
		t.Fatal(err)
	}
	mine, err := f.s.Statistics.Reports(ctx, force, "")
	if err != nil || len(mine.Reports) != 1 || mine.Reports[0].Edition != statistics.EditionLawEnforcement {
		t.Fatalf("a force analyst's reports: %+v, %v", mine.Reports, err)
	}
}

// Reports stored before migration 27 were law-enforcement editions, but those of a partner
// agency's own area hold that agency's figures only, and its analysts now read the partner
// edition only: the migration makes them partner editions, so the agency keeps them; a force's,
// a regional unit's and the national reports stay law-enforcement editions.
func TestReportsBeforeMigration27KeepTheirReaders(t *testing.T) {
	ctx := context.Background()
	db, err := core.Open(ctx, modelstest.DBConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.MigrateTo(ctx, 26); err != nil {
		t.Fatal(err)
	}
	g, at := db.Gorm(), time.Date(2026, 2, 2, 9, 0, 0, 0, time.UTC)
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := g.Exec(sql, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	kinds := map[string]string{"kent-police": "police_force", "tarian": "rocu", "glaa": "agency", "cps-wales": "cps"}
	for slug, kind := range kinds {
		exec("INSERT INTO organisations (slug, name, kind, region, active, created_at, updated_at) VALUES (?, ?, ?, 'Wales', ?, ?, ?)", slug, slug, kind, true, at, at)
	}
	exec("INSERT INTO blobs (object_key, key_id, wrapped_key, size, sha256, content_type, created_at) VALUES ('report', 'k', 'w', 1, 'x', 'application/pdf', ?)", at)
	exec(`INSERT INTO statistics_reports (month, scope_key, scope_name, origin, blob_id, created_at)
		SELECT '2026-01', 'org:' || CAST(o.id AS TEXT), o.name, 'monthly', b.id, ? FROM organisations o, blobs b`, at)
	exec("INSERT INTO statistics_reports (month, scope_key, scope_name, origin, blob_id, created_at) SELECT '2026-01', 'national', 'England and Wales', 'monthly', id, ? FROM blobs", at)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var got []struct{ ScopeName, Edition string }
	if err := g.Raw("SELECT scope_name, edition FROM statistics_reports ORDER BY scope_name").Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"kent-police": statistics.EditionLawEnforcement, "tarian": statistics.EditionLawEnforcement,
		"glaa": statistics.EditionPartner, "cps-wales": statistics.EditionPartner, "England and Wales": statistics.EditionLawEnforcement}
	if len(got) != len(want) {
		t.Fatalf("%d reports after the migration, want %d", len(got), len(want))
	}
	for _, r := range got {
		if want[r.ScopeName] != r.Edition {
			t.Errorf("the report of %s is a %s edition, want %s", r.ScopeName, r.Edition, want[r.ScopeName])
		}
	}
}
