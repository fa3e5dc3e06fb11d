package core_test

import (
	"testing"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// A role is read as the policy names it or as pages show it, in any case and spacing.
func TestParseRole(t *testing.T) {
	for in, want := range map[string]string{
		"cps_liaison":                policies.RoleCPSLiaison,
		"CPS liaison":                policies.RoleCPSLiaison,
		"cps liaison":                policies.RoleCPSLiaison,
		"CPS Liaison":                policies.RoleCPSLiaison,
		"  CPS   liaison ":           policies.RoleCPSLiaison,
		"Investigator":               policies.RoleInvestigator,
		"organisation administrator": policies.RoleOrgAdmin,
		"Guidance Approver":          policies.RoleGuidanceApprover,
	} {
		if got, ok := core.ParseRole(in); !ok || got != want {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "chief", "cps", "cps-liaison liaison", "administrators"} {
		if got, ok := core.ParseRole(in); ok {
			t.Errorf("ParseRole(%q) = %q, want no role", in, got)
		}
	}
	// Every role reads back from its own name and its label.
	for _, r := range core.Roles() {
		if got, ok := core.ParseRole(r.Name); !ok || got != r.Name {
			t.Errorf("ParseRole(%q) = %q, %v", r.Name, got, ok)
		}
		if got, ok := core.ParseRole(r.Label); !ok || got != r.Name {
			t.Errorf("ParseRole(%q) = %q, %v", r.Label, got, ok)
		}
	}
}
