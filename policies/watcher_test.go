package policies_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
)

// eventually polls cond for up to limit.
func eventually(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

// authorizer is a policy authorizer of its own over db, as each server process has.
func authorizer(t *testing.T, db *core.DB) *policies.Authorizer {
	t.Helper()
	a, err := policies.New(context.Background(), db.Gorm())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Two replicas on one PostgreSQL database: a role granted or revoked through one holds on the
// other within two seconds, also after the watcher's connection was killed; a change made
// behind the replicas' backs is caught by the periodic reload.
func TestPolicyChangesReachOtherReplicas(t *testing.T) {
	url := modelstest.NewPostgresDatabase(t)
	ctx := context.Background()
	open := func() (*core.DB, *policies.Authorizer) {
		db := modelstest.OpenDBAt(t, core.DBConfig{URL: url})
		return db, authorizer(t, db)
	}
	dbA, one := open()
	_, two := open()
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		two.Watch(wctx, url, 500*time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	t.Cleanup(func() { stop(); <-done })

	sub := policies.Subject{Principal: "user:7", Domain: "org:1", Clearance: policies.OfficialSensitive, Vetted: true}
	onTeam := policies.Object{Type: "casefile", Org: "org:1", Classification: policies.Official, Rel: policies.RelTeam}
	allowedOnTwo := func() bool { return two.Can(ctx, sub, policies.ActRead, onTeam) == nil }

	time.Sleep(300 * time.Millisecond) // let the watcher connect
	if err := one.Grant(ctx, sub.Principal, policies.RoleInvestigator, sub.Domain); err != nil {
		t.Fatal(err)
	}
	if !eventually(2*time.Second, allowedOnTwo) {
		t.Fatal("a role granted on one replica does not hold on the other within 2 s")
	}
	if err := one.Revoke(ctx, sub.Principal, policies.RoleInvestigator, sub.Domain); err != nil {
		t.Fatal(err)
	}
	if !eventually(2*time.Second, func() bool { return errors.Is(two.Can(ctx, sub, policies.ActRead, onTeam), policies.ErrDenied) }) {
		t.Fatal("a role revoked on one replica still works on the other after 2 s")
	}

	// Kill the watcher's connection; it reconnects and catches up.
	if err := dbA.Gorm().Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'msphub-policy-watcher' AND datname = current_database()").Error; err != nil {
		t.Fatal(err)
	}
	if err := one.Grant(ctx, sub.Principal, policies.RoleInvestigator, sub.Domain); err != nil {
		t.Fatal(err)
	}
	if !eventually(5*time.Second, allowedOnTwo) {
		t.Fatal("after its connection was killed, the watcher did not recover")
	}

	// A row written behind the replicas' backs (no notification) arrives with the periodic reload.
	if err := dbA.Gorm().Exec("INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES ('g', 'user:8', 'investigator', 'org:1')").Error; err != nil {
		t.Fatal(err)
	}
	other := sub
	other.Principal = "user:8"
	if !eventually(3*time.Second, func() bool { return two.Can(ctx, other, policies.ActRead, onTeam) == nil }) {
		t.Fatal("the periodic reload did not pick up a change made without a notification")
	}
}

// On the embedded default there is no LISTEN/NOTIFY: a server reloads the policy periodically,
// so a role granted by another process on the same database file (an administrator's command)
// reaches it.
func TestPeriodicReloadSeesAnotherProcessesChange(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/msphub.db"
	open := func() *policies.Authorizer {
		return authorizer(t, modelstest.OpenDBAt(t, core.DBConfig{Path: path}))
	}
	server, command := open(), open()
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		server.ReloadEvery(rctx, 50*time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	t.Cleanup(func() { stop(); <-done })

	sub := policies.Subject{Principal: "user:9", Domain: "org:1", Clearance: policies.Official, Vetted: true}
	guidance := policies.Object{Type: "document", Org: "org:1", Classification: policies.Official}
	if err := server.Can(ctx, sub, policies.ActCreate, guidance); !errors.Is(err, policies.ErrDenied) {
		t.Fatalf("before the grant: %v", err)
	}
	if err := command.Grant(ctx, sub.Principal, policies.RoleGuidanceEditor, sub.Domain); err != nil {
		t.Fatal(err)
	}
	if !eventually(5*time.Second, func() bool { return server.Can(ctx, sub, policies.ActCreate, guidance) == nil }) {
		t.Fatal("the server never saw a role granted by another process")
	}
}
