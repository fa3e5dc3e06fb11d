package api_test

import (
	"context"
	"testing"

	"github.com/msptp/msphub/api/apitest"
)

// auditLogRows are the routes auditors check the log with from outside: proofs and signed
// checkpoints. Only auditors get them; a refusal is recorded like any other.
func auditLogRows(t *testing.T, a *apitest.App, _ map[who]*apitest.User) []row {
	ctx := context.Background()
	if _, err := a.Services.Audit.Sequence(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Services.Audit.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	var first int64
	if err := a.DB.Gorm().Raw("SELECT id FROM audit_events WHERE seq = 1").Scan(&first).Error; err != nil || first == 0 {
		t.Fatalf("no first event: %v", err)
	}
	path := func(p string) func() string { return func() string { return p } }
	return []row{
		{method: "GET", route: "/api/v1/audit/events/:id/proof", concrete: path("/api/v1/audit/events/" + itoa(first) + "/proof"), want: may(200, auditor), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/audit/consistency", concrete: path("/api/v1/audit/consistency?from=1"), want: may(200, auditor), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/audit/checkpoints/:number", concrete: path("/api/v1/audit/checkpoints/latest"), want: may(200, auditor), def: 403, anon: 401},
	}
}
