package statistics_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/models/statistics"
)

// forceNames are the organisations a dashboard's force filter offers: the analyst's scope.
func forceNames(d statistics.Dashboard) []string {
	var out []string
	for _, o := range d.Options.Forces {
		out = append(out, o.Label)
	}
	return out
}

// A ROCU's analysts see the forces that work with it, which is not always a police region
// (DOMAIN.md §F5): Tarian covers three Welsh forces, and North Wales Police works with TITAN.
// There is no London ROCU, and the NPCC is one of the reference organisations.
func TestROCUCoverageIsNotARegion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	q := statistics.Filter{Quarter: "2026-Q1"}
	tarian := f.people.Vetted(t, "tarian-regional-organised-crime-unit", core.VettingRV, "analyst")
	titan := f.people.Vetted(t, "north-west-regional-organised-crime-unit-titan", core.VettingRV, "analyst")

	d, err := f.s.Statistics.Dashboard(ctx, tarian, q)
	if err != nil {
		t.Fatal(err)
	}
	got := forceNames(d)
	want := []string{"Dyfed-Powys Police", "Gwent Police", "South Wales Police", "Tarian Regional Organised Crime Unit"}
	if !slices.Equal(got, want) || d.Scope.Name != "Tarian Regional Organised Crime Unit" {
		t.Fatalf("Tarian's scope %q: %v, want %v", d.Scope.Name, got, want)
	}
	if _, err := f.s.Statistics.Dashboard(ctx, tarian, statistics.Filter{Quarter: "2026-Q1", Force: f.org(t, "north-wales-police")}); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("Tarian filtering on North Wales Police: %v, want EINVALID", err)
	}
	if _, err = f.s.Statistics.Dashboard(ctx, tarian, statistics.Filter{Quarter: "2026-Q1", Region: "Wales"}); err != nil {
		t.Fatalf("Tarian filtering on its region: %v", err)
	}
	if _, err = f.s.Statistics.Dashboard(ctx, tarian, statistics.Filter{Quarter: "2026-Q1", Region: "North West"}); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("Tarian filtering on the North West: %v, want EINVALID", err)
	}

	d, err = f.s.Statistics.Dashboard(ctx, titan, q)
	if err != nil {
		t.Fatal(err)
	}
	got = forceNames(d)
	if !slices.Contains(got, "North Wales Police") || !slices.Contains(got, "Cheshire Constabulary") || slices.Contains(got, "South Wales Police") {
		t.Fatalf("TITAN's scope: %v", got)
	}
	// TITAN's analysts may narrow to Wales, where North Wales Police is theirs.
	if _, err = f.s.Statistics.Dashboard(ctx, titan, statistics.Filter{Quarter: "2026-Q1", Region: "Wales"}); err != nil {
		t.Fatalf("TITAN in Wales: %v", err)
	}

	var n int64
	f.db.Gorm().Table("organisations").Where("slug = ?", "london-regional-organised-crime-unit").Count(&n)
	if n != 0 {
		t.Fatal("a London ROCU was seeded")
	}
	f.org(t, "national-police-chiefs-council")
}

// An installation seeded before ROCU coverage is corrected by the migration: the Welsh unit is
// Tarian, North Wales Police works with TITAN, the unused London ROCU is retired (its forces work
// with none), the NPCC is added, and a ROCU's stored reports stay its own.
func TestMigrationCorrectsTheReferenceOrganisations(t *testing.T) {
	ctx := context.Background()
	db, err := core.Open(ctx, modelstest.DBConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.MigrateTo(ctx, 22); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	old := []struct{ slug, name, kind, region string }{
		{"north-wales-police", "North Wales Police", "police_force", "Wales"},
		{"south-wales-police", "South Wales Police", "police_force", "Wales"},
		{"cheshire-constabulary", "Cheshire Constabulary", "police_force", "North West"},
		{"metropolitan-police-service", "Metropolitan Police Service", "police_force", "London"},
		{"wales-regional-organised-crime-unit", "Wales Regional Organised Crime Unit", "rocu", "Wales"},
		{"north-west-regional-organised-crime-unit", "North West Regional Organised Crime Unit", "rocu", "North West"},
		{"london-regional-organised-crime-unit", "London Regional Organised Crime Unit", "rocu", "London"},
	}
	ids := map[string]int64{}
	for _, o := range old {
		if err := db.Gorm().Exec("INSERT INTO organisations (slug, name, kind, region, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			o.slug, o.name, o.kind, o.region, true, at, at).Error; err != nil {
			t.Fatal(err)
		}
		var id int64
		db.Gorm().Raw("SELECT id FROM organisations WHERE slug = ?", o.slug).Scan(&id)
		ids[o.slug] = id
	}
	if err := db.Gorm().Exec("INSERT INTO blobs (object_key, key_id, wrapped_key, size, sha256, content_type, created_at) VALUES ('r1', 'k', 'w', 1, 'h', 'application/pdf', ?)", at).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Gorm().Exec("INSERT INTO statistics_reports (month, scope_key, scope_name, origin, blob_id, created_at) SELECT '2025-12', 'region:Wales', 'Wales', 'monthly', id, ? FROM blobs", at).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	type row struct {
		Slug, Name string
		Active     bool
		ROCUID     *int64 `gorm:"column:rocu_id"`
	}
	var rows []row
	if err := db.Gorm().Raw("SELECT slug, name, active, rocu_id FROM organisations").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	got := map[string]row{}
	for _, r := range rows {
		got[r.Slug] = r
	}
	rocu := func(slug string) int64 {
		if r := got[slug].ROCUID; r != nil {
			return *r
		}
		return 0
	}
	checks := []struct {
		what string
		ok   bool
	}{
		{"Wales ROCU renamed Tarian", got["wales-regional-organised-crime-unit"].Name == "Tarian Regional Organised Crime Unit"},
		{"North West ROCU named TITAN", got["north-west-regional-organised-crime-unit"].Name == "North West Regional Organised Crime Unit (TITAN)"},
		{"South Wales Police with Tarian", rocu("south-wales-police") == ids["wales-regional-organised-crime-unit"]},
		{"North Wales Police with TITAN", rocu("north-wales-police") == ids["north-west-regional-organised-crime-unit"]},
		{"Cheshire with TITAN", rocu("cheshire-constabulary") == ids["north-west-regional-organised-crime-unit"]},
		{"the London ROCU retired", !got["london-regional-organised-crime-unit"].Active},
		{"the Met with no ROCU", rocu("metropolitan-police-service") == 0},
		{"the NPCC added", got["national-police-chiefs-council"].Active},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: %+v", c.what, got)
		}
	}
	var key string
	db.Gorm().Raw("SELECT scope_key FROM statistics_reports").Scan(&key)
	if want := "rocu:" + core.IDString(ids["wales-regional-organised-crime-unit"]); key != want {
		t.Errorf("the Welsh unit's report is keyed %q, want %q", key, want)
	}
}
