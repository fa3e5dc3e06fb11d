package policies_test

import (
	"context"
	"testing"

	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
)

// BenchmarkCan measures one decision with 100,000 users holding roles across 60 organisations,
// over a realistic mix of allowed and denied requests in every family. Target: under 20 µs.
func BenchmarkCan(b *testing.B) {
	const users, orgs = 100_000, 60
	db := modelstest.OpenDB(b)
	ctx := context.Background()
	if err := policies.Sync(ctx, db.Gorm()); err != nil {
		b.Fatal(err)
	}
	roles := policies.Roles()
	type row struct {
		Ptype, V0, V1, V2 string
	}
	rows := make([]row, 0, users+users/3)
	for u := 0; u < users; u++ {
		org := policies.OrgDomain(int64(u%orgs + 1))
		rows = append(rows, row{"g", policies.UserPrincipal(int64(u)), roles[u%len(roles)], org})
		if u%3 == 0 && roles[u%len(roles)] != policies.RoleOfficer {
			rows = append(rows, row{"g", policies.UserPrincipal(int64(u)), policies.RoleOfficer, org})
		}
	}
	if err := db.Gorm().Table("casbin_rule").CreateInBatches(rows, 1000).Error; err != nil {
		b.Fatal(err)
	}
	a, err := policies.New(ctx, db.Gorm())
	if err != nil {
		b.Fatal(err)
	}
	type request struct {
		sub policies.Subject
		act policies.Action
		obj policies.Object
	}
	objects := []struct {
		act policies.Action
		obj policies.Object
	}{
		{policies.ActRead, caseOnMyTeam}, {policies.ActApprove, caseOfMyForce}, {policies.ActRead, caseSharedWithMe}, {policies.ActRead, caseElsewhere},
		{policies.ActRead, guidanceForMe}, {policies.ActPublish, draftOfMyOrg}, {policies.ActRead, anyCourse}, {policies.ActDecide, staffEnrolment},
		{policies.ActRead, materialImOn}, {policies.ActUpdate, userHere}, {policies.ActRead, theAuditLog}, {policies.ActRead, myAccount},
	}
	var reqs []request
	for i := 0; i < 4096; i++ {
		u := (i * 7919) % users
		o := objects[i%len(objects)]
		org := policies.OrgDomain(int64(u%orgs + 1))
		obj := o.obj
		if obj.Org == home {
			obj.Org = org
		}
		reqs = append(reqs, request{
			sub: policies.Subject{Principal: policies.UserPrincipal(int64(u)), Domain: org, Clearance: policies.OfficialSensitive, Vetted: true},
			act: o.act, obj: obj,
		})
	}
	allowed := 0
	for _, r := range reqs {
		if a.Can(ctx, r.sub, r.act, r.obj) == nil {
			allowed++
		}
	}
	b.Logf("%d users in %d organisations; %d of %d sample requests allowed", users, orgs, allowed, len(reqs))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := reqs[i%len(reqs)]
		_ = a.Can(ctx, r.sub, r.act, r.obj)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/decision")
}
