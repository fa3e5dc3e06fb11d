package casefile_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// BenchmarkCaseList100k lists case files with 100,000 in the database, spread over ten forces
// (a fifth in the home force), each with its lead on the team and about a fifth with a second
// member, and a hundred shared with a CPS liaison. Every list goes through the policy's rule
// compiled to SQL (caseScope), as the pages and the API do. It reports lists/s for: the home
// force's supervisor (20,000 visible) on the first page and forty pages deep, an investigator
// on about 1,400 teams (the lead of about 400, a member of about 1,000), a newcomer on five
// teams, the liaison's queue and the supervisor's queue. Run it with -benchtime 200x.
func BenchmarkCaseList100k(b *testing.B) {
	ctx := context.Background()
	f := newCaseFixture(b)
	newcomer := seedCases100k(b, f)

	deep := ""
	for range 40 {
		page, err := f.cases.List(ctx, f.sup, casefile.CaseFilter{}, deep, 50)
		if err != nil || page.Next == "" {
			b.Fatalf("paging: %v", err)
		}
		deep = page.Next
	}
	list := func(name string, who core.Actor, filter casefile.CaseFilter, after string, want int) {
		b.Run(name, func(b *testing.B) {
			for range b.N {
				page, err := f.cases.List(ctx, who, filter, after, 50)
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Cases) < want {
					b.Fatalf("%d cases listed, want at least %d", len(page.Cases), want)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lists/s")
		})
	}
	list("supervisor-first-page", f.sup, casefile.CaseFilter{}, "", 50)
	list("supervisor-page-41", f.sup, casefile.CaseFilter{}, deep, 50)
	list("investigator-first-page", f.inv, casefile.CaseFilter{}, "", 50)
	list("newcomer-first-page", newcomer, casefile.CaseFilter{}, "", 5)
	list("liaison-queue", f.liaison, casefile.CaseFilter{Queue: "cps"}, "", 50)
	list("supervisor-queue", f.sup, casefile.CaseFilter{Queue: "supervisor"}, "", 1)
}

// seedCases100k fills the database with the case files BenchmarkCaseList100k lists, as rows
// (the operations would take hours), and moves f's clock to now so the shares are live. It
// returns a newcomer: an investigator of the home force on five teams only.
func seedCases100k(b testing.TB, f *caseFixture) core.Actor {
	b.Helper()
	ctx := context.Background()
	const total, batch = 100_000, 500
	var orgs []int64
	for _, slug := range []string{caseHome, "kent-police", "essex-police", "dorset-police", "surrey-police", "sussex-police",
		"merseyside-police", "lancashire-constabulary", "cleveland-police", "gwent-police"} {
		o, err := f.s.Operator.OrganisationBySlug(ctx, slug)
		if err != nil {
			b.Fatal(err)
		}
		orgs = append(orgs, o.ID)
	}
	// Leads: the fixture's investigator and 49 colleagues per force (rows only: their roles do
	// not matter to the lists measured).
	leads := map[int64][]int64{}
	db := f.db.Gorm()
	now := time.Now().UTC()
	for i, org := range orgs {
		for j := range 49 {
			var id int64
			err := db.Raw("INSERT INTO users (organisation_id, email, name, vetting_level, created_at, updated_at) VALUES (?, ?, ?, 'RV', ?, ?) RETURNING id",
				org, fmt.Sprintf("lead-%d-%d@bench.police.uk", i, j), fmt.Sprintf("Lead %d %d", i, j), now, now).Scan(&id).Error
			if err != nil {
				b.Fatal(err)
			}
			leads[org] = append(leads[org], id)
		}
	}
	leads[orgs[0]] = append(leads[orgs[0]], f.inv.UserID)
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	var caseIDs []int64
	for done := 0; done < total; done += batch {
		var sb strings.Builder
		sb.WriteString("INSERT INTO case_files (urn, operation, organisation_id, classification, status, offences, suspect_may_be_victim, orders_sought, lead_investigator_id, supervisor_id, created_by, created_at, updated_at) VALUES ")
		args := make([]any, 0, batch*13)
		for i := range batch {
			org := orgs[0]
			if rng.IntN(5) != 0 {
				org = orgs[1+rng.IntN(len(orgs)-1)]
			}
			lead := leads[org][rng.IntN(len(leads[org]))]
			at := now.Add(-time.Duration(rng.IntN(3*365*24)) * time.Hour)
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			status := casefile.CaseStatuses()[rng.IntN(len(casefile.CaseStatuses()))]
			args = append(args, fmt.Sprintf("%02dAB%05d%02d", 10+rng.IntN(89), done+i, 20+rng.IntN(6)), fmt.Sprintf("Operation %d", done+i), org,
				1+rng.IntN(2), string(status), "msa_s2", false, false, lead, f.sup.UserID, lead, at, at)
		}
		sb.WriteString(" RETURNING id")
		var ids []int64
		if err := db.Raw(sb.String(), args...).Scan(&ids).Error; err != nil {
			b.Fatal(err)
		}
		caseIDs = append(caseIDs, ids...)
	}
	// Memberships: the lead of each case, and a second member for a fifth of them.
	var leadOf []struct{ ID, Lead int64 }
	if err := db.Raw("SELECT id, lead_investigator_id AS lead FROM case_files ORDER BY id").Scan(&leadOf).Error; err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(leadOf); i += batch {
		var sb strings.Builder
		sb.WriteString("INSERT INTO case_members (case_id, user_id, role, granted_at) VALUES ")
		var args []any
		for j, c := range leadOf[i:min(i+batch, len(leadOf))] {
			if j > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, 'lead', ?)")
			args = append(args, c.ID, c.Lead, now)
			switch second := leadOf[rng.IntN(len(leadOf))].Lead; {
			case rng.IntN(100) == 0 && c.Lead != f.inv.UserID:
				second = f.inv.UserID // the measured investigator joins about 1,000 teams
				fallthrough
			case rng.IntN(5) == 0 && second != c.Lead:
				sb.WriteString(", (?, ?, 'member', ?)")
				args = append(args, c.ID, second, now)
			}
		}
		if err := db.Exec(sb.String(), args...).Error; err != nil {
			b.Fatal(err)
		}
	}
	newcomer := f.person(b, caseHome, policies.RoleInvestigator)
	for _, id := range []int64{caseIDs[7], caseIDs[7_000], caseIDs[31_000], caseIDs[64_000], caseIDs[99_000]} {
		if err := db.Exec("INSERT INTO case_members (case_id, user_id, role, granted_at) VALUES (?, ?, 'member', ?)", id, newcomer.UserID, now).Error; err != nil {
			b.Fatal(err)
		}
	}
	// A hundred shared with the liaison (the share rows need a submission to point at).
	for _, id := range caseIDs[:100] {
		var sub int64
		if err := db.Raw("INSERT INTO pack_submissions (case_id, number, purpose, snapshot, manifest_sha256, status, submitted_by, submitted_at) VALUES (?, 1, 'charging', '{}', '', 'approved', ?, ?) RETURNING id",
			id, f.inv.UserID, now).Scan(&sub).Error; err != nil {
			b.Fatal(err)
		}
		if err := db.Exec("INSERT INTO case_shares (case_id, submission_id, liaison_id, liaison_org_id, shared_by, shared_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			id, sub, f.liaison.UserID, f.liaison.OrgID, f.sup.UserID, now, now.AddDate(0, 1, 0)).Error; err != nil {
			b.Fatal(err)
		}
	}
	// Fresh statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE would give.
	if err := db.Exec("ANALYZE").Error; err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d case files in %s", len(caseIDs), time.Since(start).Round(time.Millisecond))
	// The fixture's clock is fixed in 2026; the shares must be live then.
	f.clock.Set(now)
	return newcomer
}
