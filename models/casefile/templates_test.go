package casefile_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
)

// versionsOf maps each template code of a case's checklist to the version its items come from.
func versionsOf(t *testing.T, f *caseFixture, id int64) map[string]int {
	t.Helper()
	items, err := f.cases.Checklist(context.Background(), f.inv, id)
	modelstest.Must(t, err)
	out := map[string]int{}
	for _, it := range items {
		if v, ok := out[it.Code]; ok && v != it.Version {
			t.Errorf("case %d has %s items of versions %d and %d", id, it.Code, v, it.Version)
		}
		out[it.Code] = it.Version
	}
	return out
}

// A case opened before migration 16 keeps the version 1 templates it started with, and none of
// the second review's items appear on it; a case opened after gets version 2, or the version
// after one an administrator saved before the migration (T1 here), or a later one (T0 gains
// the third-party item in migration 22). The old case gaining an
// offence later gets that offence's template at its latest version.
func TestCaseOpenedBeforeTheSecondReviewKeepsVersion1(t *testing.T) {
	ctx := context.Background()
	db, err := core.Open(ctx, modelstest.DBConfig(t))
	modelstest.Must(t, err)
	t.Cleanup(func() { db.Close() })
	modelstest.Must(t, db.MigrateTo(ctx, 15))
	beforeID := caseBeforeTheSecondReview(t, db)
	_, err = db.Migrate(ctx)
	modelstest.Must(t, err)
	f := newCaseFixtureOn(t, db)
	// The old case's team becomes the fixture's, so the test reads it as they would.
	modelstest.Must(t, db.Gorm().Exec("UPDATE case_files SET lead_investigator_id = ?, supervisor_id = ? WHERE id = ?", f.inv.UserID, f.sup.UserID, beforeID).Error)
	modelstest.Must(t, db.Gorm().Exec("INSERT INTO case_members (case_id, user_id, role, granted_at) VALUES (?, ?, 'lead', ?)", beforeID, f.inv.UserID, f.clock.Now()).Error)
	before := casefile.CaseView{CaseFile: casefile.CaseFile{ID: beforeID}}
	in := casefile.CaseInput{URN: "45AB1234523", Operation: "Operation Before", Offences: []casefile.Offence{casefile.OffenceS2},
		SuspectMayBeVictim: true, OrdersSought: true, Classification: "OFFICIAL", SupervisorID: f.sup.UserID}
	in.Operation, in.Offences = "Operation After", []casefile.Offence{casefile.OffenceS1, casefile.OffenceS2}
	after, err := f.cases.Create(ctx, f.inv, in)
	modelstest.Must(t, err)

	if got, want := versionsOf(t, f, before.ID), map[string]int{"T0": 1, "T2": 1, "T4": 1, "T5": 1}; !maps.Equal(got, want) {
		t.Errorf("the case opened before the migration has versions %v, want %v", got, want)
	}
	if got, want := versionsOf(t, f, after.ID), map[string]int{"T0": 3, "T1": 3, "T2": 2, "T4": 2, "T5": 2}; !maps.Equal(got, want) {
		t.Errorf("the case opened after the migration has versions %v, want %v", got, want)
	}
	items, err := f.cases.Checklist(ctx, f.inv, after.ID)
	modelstest.Must(t, err)
	if !slices.ContainsFunc(items, func(it casefile.ItemView) bool { return it.Code == "T1" && strings.Contains(it.Why, "s1(5)") }) {
		t.Error("the T1 version after the administrator's lacks the second review's items")
	}
	items, err = f.cases.Checklist(ctx, f.inv, before.ID)
	modelstest.Must(t, err)
	for _, it := range items {
		if strings.Contains(it.Text, "ABE or video-recorded interview") || strings.Contains(it.Why, "Brecani") {
			t.Errorf("the case opened before the migration shows a version 2 item: %q", it.Text)
		}
	}
	if !slices.ContainsFunc(items, func(it casefile.ItemView) bool {
		return it.Text == "Intended exploitation (labour, sexual, criminal, organs)" && it.Checklist() == "s2 human trafficking, version 1"
	}) {
		t.Error("the case opened before the migration lost its version 1 exploitation item")
	}

	in.Operation, in.Offences = "Operation Before", []casefile.Offence{casefile.OffenceS2, casefile.OffenceS30}
	_, err = f.cases.Update(ctx, f.inv, before.ID, in)
	modelstest.Must(t, err)
	if got, want := versionsOf(t, f, before.ID), map[string]int{"T0": 1, "T2": 1, "T4": 1, "T5": 1, "T6": 1}; !maps.Equal(got, want) {
		t.Errorf("after charging s30 the old case has versions %v, want %v", got, want)
	}
}

// Forms offer every offence by its name. A conspiracy count needs the offence agreed on; an
// unknown code is refused; fraud_money_laundering, no longer offered, stays valid and readable.
func TestOffenceChoices(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	for _, o := range casefile.Offences() {
		if o.Label() == string(o) || o.Retired() {
			t.Errorf("offered offence %q: label %q, retired %v", o, o.Label(), o.Retired())
		}
	}
	if slices.Contains(casefile.Offences(), casefile.OffenceFraudMoneyLaundering) || !casefile.OffenceFraudMoneyLaundering.Retired() {
		t.Error("fraud and money laundering is still offered")
	}
	in := func(os ...casefile.Offence) casefile.CaseInput {
		return casefile.CaseInput{URN: "45AB1234523", Operation: "Operation Choice", Offences: os, Classification: "OFFICIAL", SupervisorID: f.sup.UserID}
	}
	_, err := f.cases.Create(ctx, f.inv, in(casefile.OffenceConspiracy))
	modelstest.WantCode(t, "conspiracy alone", err, core.EINVALID)
	if p := core.ErrorMessage(err); !strings.Contains(p, "the offence the conspiracy was to commit") {
		t.Errorf("conspiracy alone: %q", p)
	}
	_, err = f.cases.Create(ctx, f.inv, in("msa_s99"))
	modelstest.WantCode(t, "an unknown offence", err, core.EINVALID)
	cv, err := f.cases.Create(ctx, f.inv, in(casefile.OffenceFraudMoneyLaundering))
	modelstest.Must(t, err)
	if got := cv.OffenceList; len(got) != 1 || got[0].Label() != "Fraud and money laundering" {
		t.Errorf("a case with the retired offence: %v", got)
	}
}

// caseBeforeTheSecondReview writes, into db migrated to version 15, what the release of that
// version had written: the organisations and the investigator of a case, an administrator's own
// version 2 of T1 (so migration 16 must number its T1 version 3), and an s2 case with the s45 and
// orders checklists, its items copied from the latest template versions then (T0, T2, T4 and T5
// version 1). It is SQL, not today's code, because today's code needs today's schema. It
// returns the case's id.
func caseBeforeTheSecondReview(t *testing.T, db *core.DB) int64 {
	t.Helper()
	g, at := db.Gorm(), time.Date(2026, 2, 2, 9, 0, 0, 0, time.UTC)
	exec := func(sql string, args ...any) {
		t.Helper()
		modelstest.Must(t, g.Exec(sql, args...).Error)
	}
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var n int64
		modelstest.Must(t, g.Raw(sql, args...).Scan(&n).Error)
		return n
	}
	for _, o := range [][3]string{{caseHome, "Devon and Cornwall Police", "police_force"}, {"cps-south-west", "CPS South West", "cps"},
		{identity.ProgrammeUnitSlug, "Modern Slavery and Organised Immigration Crime Unit", "programme"}} {
		exec("INSERT INTO organisations (slug, name, kind, region, active, created_at, updated_at) VALUES (?, ?, ?, 'South West', ?, ?, ?)", o[0], o[1], o[2], true, at, at)
	}
	org := id("SELECT id FROM organisations WHERE slug = ?", caseHome)
	exec("INSERT INTO users (organisation_id, email, name, created_at, updated_at) VALUES (?, 'old.lead@dc.example.police.uk', 'Old Lead', ?, ?)", org, at, at)
	user := id("SELECT id FROM users WHERE email = 'old.lead@dc.example.police.uk'")
	exec("INSERT INTO checklist_templates (code, version, title, applies_to, change_note, created_by, created_at) SELECT 'T1', 2, 's1 slavery (regional)', applies_to, 'Regional review', ?, ? FROM checklist_templates WHERE code = 'T1' AND version = 1", user, at)
	exec("INSERT INTO template_items (template_id, position, text, stage, required) SELECT id, 1, 'Victim account', ?, ? FROM checklist_templates WHERE code = 'T1' AND version = 2", string(casefile.StagePreCharge), true)
	exec(`INSERT INTO case_files (urn, operation, organisation_id, classification, status, offences, suspect_may_be_victim, orders_sought,
		lead_investigator_id, supervisor_id, created_by, created_at, updated_at) VALUES ('45AB1234523', 'Operation Before', ?, ?, 'preparation', 'msa_s2', ?, ?, ?, ?, ?, ?, ?)`,
		org, int(policies.Official), true, true, user, user, user, at, at)
	caseID := id("SELECT id FROM case_files WHERE operation = 'Operation Before'")
	exec("INSERT INTO case_members (case_id, user_id, role, granted_at) VALUES (?, ?, 'lead', ?)", caseID, user, at)
	exec(`INSERT INTO case_templates (case_id, template_id) SELECT ?, t.id FROM checklist_templates t
		WHERE t.code IN ('T0', 'T2', 'T4', 'T5') AND t.version = (SELECT MAX(l.version) FROM checklist_templates l WHERE l.code = t.code)`, caseID)
	exec(`INSERT INTO checklist_items (case_id, template_item_id, status, updated_at) SELECT ?, i.id, ?, ? FROM template_items i
		JOIN case_templates ct ON ct.template_id = i.template_id WHERE ct.case_id = ?`, caseID, string(casefile.ItemOutstanding), at, caseID)
	return caseID
}

// Migration 26 reads the pack an earlier timeline event is about from its words, so that a CPS
// liaison reads no event about a pack they may not read once it applies.
func TestEventsBeforeMigration26NameTheirPack(t *testing.T) {
	ctx := context.Background()
	db, err := core.Open(ctx, modelstest.DBConfig(t))
	modelstest.Must(t, err)
	t.Cleanup(func() { db.Close() })
	modelstest.Must(t, db.MigrateTo(ctx, 25))
	g, at := db.Gorm(), time.Date(2026, 2, 2, 9, 0, 0, 0, time.UTC)
	exec := func(sql string, args ...any) {
		t.Helper()
		modelstest.Must(t, g.Exec(sql, args...).Error)
	}
	exec("INSERT INTO organisations (slug, name, kind, region, active, created_at, updated_at) VALUES (?, 'Devon and Cornwall Police', 'police_force', 'South West', ?, ?, ?)", caseHome, true, at, at)
	exec("INSERT INTO users (organisation_id, email, name, created_at, updated_at) SELECT id, 'old.lead@dc.example.police.uk', 'Old Lead', ?, ? FROM organisations", at, at)
	exec(`INSERT INTO case_files (urn, operation, organisation_id, classification, status, offences, suspect_may_be_victim, orders_sought,
		lead_investigator_id, supervisor_id, created_by, created_at, updated_at) SELECT '45AB1234523', 'Operation Before', o.id, ?, 'preparation', 'msa_s2', ?, ?, u.id, u.id, u.id, ?, ?
		FROM organisations o, users u`, int(policies.Official), true, true, at, at)
	events := []struct {
		kind, summary string
		pack          int // 0: none
	}{
		{"created", "Case file opened", 0},
		{"submit", "Pack 1 submitted for early advice", 1},
		{"approve", "Pack 1 approved by the supervisor", 1},
		{"return", "Pack 12 returned by the supervisor", 12},
		{"share", "Pack 3 shared with Ann Lawyer (CPS South West)", 3},
		{"share", "Share of pack 10 with Ann Lawyer expired", 10},
		{"share", "Share with Ann Lawyer revoked", 0},
		{"export", "Pack exported", 0},
		{"changed", "Packing list of the farm added", 0},
		{"charge", "CPS charging decision: charge", 0},
	}
	want := map[string]int{}
	for _, e := range events {
		exec("INSERT INTO case_events (case_id, occurred_at, kind, summary) SELECT id, ?, ?, ? FROM case_files", at, e.kind, e.summary)
		want[e.summary] = e.pack
	}
	_, err = db.Migrate(ctx)
	modelstest.Must(t, err)
	var got []struct {
		Summary string
		Pack    *int
	}
	modelstest.Must(t, g.Raw("SELECT summary, pack FROM case_events").Scan(&got).Error)
	if len(got) != len(want) {
		t.Fatalf("%d events after the migration, want %d", len(got), len(want))
	}
	for _, e := range got {
		if n := want[e.Summary]; (n == 0) != (e.Pack == nil) || (e.Pack != nil && *e.Pack != n) {
			t.Errorf("%q names pack %v, want %d", e.Summary, e.Pack, n)
		}
	}
}
