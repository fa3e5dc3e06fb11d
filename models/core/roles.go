package core

import (
	"strings"

	"github.com/msptp/msphub/policies"
)

// Role is a role as pages offer it: its name in the policy and how people read it.
type Role struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

// roleLabels name the roles as people read them.
var roleLabels = map[string]string{
	policies.RoleOfficer:          "Officer",
	policies.RoleInvestigator:     "Investigator",
	policies.RoleSupervisor:       "Supervisor",
	policies.RoleCPSLiaison:       "CPS liaison",
	policies.RoleTrainer:          "Trainer",
	policies.RoleGuidanceEditor:   "Guidance editor",
	policies.RoleGuidanceApprover: "Guidance approver",
	policies.RoleAnalyst:          "Analyst",
	policies.RoleOrgAdmin:         "Organisation administrator",
	policies.RoleAdmin:            "Administrator",
	policies.RoleAuditor:          "Auditor",
}

// RoleLabel is how people read a role's name; an unknown name is shown as it is.
func RoleLabel(name string) string {
	if l, ok := roleLabels[name]; ok {
		return l
	}
	return name
}

// ParseRole reads a role as people write it: its name in the policy ("cps_liaison") or its label
// as pages show it ("CPS liaison"), in any case and with any spacing. It returns the policy name,
// or false if s names no role.
func ParseRole(s string) (string, bool) {
	key := strings.ToLower(strings.Join(strings.Fields(s), " "))
	for _, name := range policies.Roles() {
		if key == name || key == strings.ToLower(RoleLabel(name)) {
			return name, true
		}
	}
	return "", false
}

// Roles lists every role, in the order of DESIGN.md §1: what a list of all roles offers (a
// guidance audience, who a course is for).
func Roles() []Role { return RolesNamed(policies.Roles()) }

// RolesNamed lists the named roles with their labels, in the order given.
func RolesNamed(names []string) []Role {
	out := make([]Role, len(names))
	for i, n := range names {
		out[i] = Role{Name: n, Label: RoleLabel(n)}
	}
	return out
}
