package models_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The domains share only the core: no domain package imports another, directly or through
// some other package (DESIGN.md §2); models/terms, the shared vocabulary that imports nothing,
// is not a domain. Where two domains must meet, the one that needs the other
// defines a small interface and the wiring in this package passes the implementation in.
func TestDomainsImportNoOtherDomain(t *testing.T) {
	const models = "github.com/msptp/msphub/models/"
	domains := []string{"identity", "guidance", "training", "casefile", "mail", "operations", "statistics"}
	for _, d := range domains {
		out, err := exec.Command("go", "list", "-deps", models+d).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", d, err, out)
		}
		deps := strings.Fields(string(out))
		for _, other := range domains {
			if other == d {
				continue
			}
			for _, dep := range deps {
				if dep == models+other {
					t.Errorf("models/%s depends on models/%s: domains share only models/core", d, other)
				}
			}
		}
		for _, dep := range deps {
			if dep == "github.com/msptp/msphub/models" || strings.HasPrefix(dep, "github.com/msptp/msphub/api") || strings.HasPrefix(dep, "github.com/msptp/msphub/frontend") {
				t.Errorf("models/%s depends on %s: arrows point from the wiring and the HTTP edge to the domains, never back", d, dep)
			}
		}
	}
}

// The core imports no domain: it is what the domains share.
func TestCoreImportsNoDomain(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/msptp/msphub/models/core").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/msptp/msphub/") && dep != "github.com/msptp/msphub/models/core" &&
			dep != "github.com/msptp/msphub/policies" && dep != "github.com/msptp/msphub/storage" && dep != "github.com/msptp/msphub/migrations" {
			t.Errorf("models/core depends on %s: the core imports only policies, storage and migrations", dep)
		}
	}
}
