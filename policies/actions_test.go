package policies_test

import (
	"slices"
	"testing"

	"github.com/msptp/msphub/policies"
)

// Every action the policy file names has a constant, and every constant is named by a row: an
// action models asks for that no row grants would be refused for everyone.
func TestEveryPolicyActionHasAConstantAndViceVersa(t *testing.T) {
	rules, err := policies.DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	used := map[policies.Action]bool{}
	for _, r := range rules {
		act := policies.Action(r.Act)
		used[act] = true
		if !slices.Contains(policies.Actions(), act) {
			t.Errorf("policy row %q names action %q, which has no constant in actions.go", r, r.Act)
		}
	}
	for _, act := range policies.Actions() {
		if !used[act] {
			t.Errorf("action constant %q is named by no row of policy.csv", act)
		}
	}
}
