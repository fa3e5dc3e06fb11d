package models

import (
	"context"
	"testing"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
)

// Each role reaches the sections it works in, as the policy decides: what the navigation offers.
func TestReachFollowsThePolicy(t *testing.T) {
	ctx := context.Background()
	authz := modelstest.Authorizer(t, modelstest.OpenDB(t))
	s := &Services{authz: authz}
	everyone := Reach{Guidance: true, Training: true}
	with := func(f func(r *Reach)) Reach { r := everyone; f(&r); return r }
	want := map[string]Reach{
		policies.RoleOfficer:      with(func(r *Reach) { r.Operations = true }),
		policies.RoleInvestigator: with(func(r *Reach) { r.CaseFiles, r.Operations = true, true }),
		policies.RoleCPSLiaison:   with(func(r *Reach) { r.CaseFiles = true }),
		policies.RoleSupervisor: with(func(r *Reach) {
			r.CaseFiles, r.People, r.Approvals, r.StaffTraining, r.Operations = true, true, true, true, true
		}),
		policies.RoleTrainer:          with(func(r *Reach) { r.Teaching = true }),
		policies.RoleGuidanceEditor:   everyone,
		policies.RoleGuidanceApprover: everyone,
		policies.RoleAnalyst:          with(func(r *Reach) { r.Statistics = true }),
		policies.RoleOrgAdmin:         with(func(r *Reach) { r.People = true }),
		policies.RoleAdmin:            with(func(r *Reach) { r.People, r.Organisations, r.Jobs = true, true, true }),
		policies.RoleAuditor:          with(func(r *Reach) { r.Audit = true }),
	}
	for i, role := range policies.Roles() {
		who := core.Actor{UserID: int64(i + 1), OrgID: 1, Roles: []string{role}, Vetted: true, Clearance: policies.OfficialSensitive, MFAPassed: true}
		if err := authz.Grant(ctx, policies.UserPrincipal(who.UserID), role, policies.OrgDomain(who.OrgID)); err != nil {
			t.Fatal(err)
		}
		w, ok := want[role]
		if !ok {
			t.Errorf("role %s has no expected reach", role)
		}
		if got := s.Reach(ctx, who); got != w {
			t.Errorf("%s reaches %+v, want %+v", role, got, w)
		}
	}
}
