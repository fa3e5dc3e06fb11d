package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
)

// auditedDatabase is a migrated database of the backend under test holding n audit events. It
// returns the flags that point msphub at it and the database itself, for tampering.
func auditedDatabase(t *testing.T, n int) ([]string, *core.DB) {
	t.Helper()
	ctx := context.Background()
	var (
		flags []string
		dbCfg core.DBConfig
	)
	if modelstest.Backend() == "postgres" {
		url := modelstest.NewPostgresDatabase(t)
		flags, dbCfg = []string{"--database-url", url}, core.DBConfig{URL: url}
	} else {
		dir := t.TempDir()
		flags, dbCfg = []string{"--data-dir", dir}, core.DBConfig{Path: filepath.Join(dir, "msphub.db")}
	}
	var out, logs bytes.Buffer
	if err := run(ctx, append([]string{"migrate", "up"}, flags...), env(nil), strings.NewReader(""), &out, &logs); err != nil {
		t.Fatalf("migrate: %v\n%s", err, logs.String())
	}
	db, err := core.Open(ctx, dbCfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := core.NewAudit(core.Deps{DB: db})
	for i := 1; i <= n; i++ {
		if err := log.Record(ctx, nil, core.Event{Action: "session.sign_in", ObjectType: "session",
			ObjectID: strconv.Itoa(i), Outcome: core.OutcomeFailure}); err != nil {
			t.Fatal(err)
		}
	}
	return flags, db
}

// tamperWith changes audit_events behind the application's back, as someone with database access
// could: past the append-only triggers.
func tamperWith(t *testing.T, db *core.DB, stmt string) {
	t.Helper()
	disable := []string{"DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"}
	if db.Dialect() == core.DialectPostgres {
		disable = []string{"ALTER TABLE audit_events DISABLE TRIGGER USER"}
	}
	for _, s := range append(disable, stmt) {
		if err := db.Gorm().Exec(s).Error; err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestAuditVerifyCommand(t *testing.T) {
	flags, db := auditedDatabase(t, 3)
	verify := append([]string{"audit", "verify"}, flags...)
	var out, logs bytes.Buffer
	if err := run(context.Background(), verify, env(nil), strings.NewReader(""), &out, &logs); err != nil {
		t.Fatalf("verify of an untouched log: %v\n%s", err, logs.String())
	}
	if !regexp.MustCompile(`^audit log intact: 3 events, head [0-9a-f]{64}\n$`).MatchString(out.String()) {
		t.Errorf("verify printed %q", out.String())
	}

	tamperWith(t, db, "UPDATE audit_events SET outcome = 'success' WHERE id = 2")
	out.Reset()
	err := run(context.Background(), verify, env(nil), strings.NewReader(""), &out, &logs)
	if err == nil || !strings.Contains(err.Error(), "audit log broken: row 2: hash does not match its contents") {
		t.Fatalf("verify of a tampered log returned %v, want it to name row 2", err)
	}
	if !strings.Contains(out.String(), "audit log BROKEN: row 2") || !strings.Contains(out.String(), "the 1 events before it are intact") {
		t.Errorf("verify printed %q", out.String())
	}

	// A cron job or a monitoring check reads the exit status of the real binary.
	cmd := exec.Command(binary(t), verify...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	stderr, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("msphub audit verify on a broken log: %v, want exit status 1\n%s", err, stderr)
	}
	if !strings.Contains(string(stderr), "msphub: audit log broken: row 2") {
		t.Errorf("the binary said %q", stderr)
	}
}

func TestAuditCommandHelpAndMistakes(t *testing.T) {
	for _, tc := range []commandCase{
		{args: []string{"--help"}, wantOut: "msphub audit verify [flags]"},
		{args: []string{"audit", "--help"}, wantOut: "Usage: msphub audit verify [flags]"},
		{args: []string{"audit", "verify", "--help"}, wantOut: "--database-url, MSPHUB_DATABASE_URL"},
		{args: []string{"audit"}, wantErr: "audit needs verify", wantOut: "Usage: msphub audit verify"},
		{args: []string{"audit", "repair"}, wantErr: `unknown audit action "repair"`},
		{args: []string{"audit", "verify", "--log-level", "loud"}, wantErr: "MSPHUB_LOG_LEVEL"},
		{args: []string{"audit", "verify", "--database-url", "mysql://x"}, wantErr: "MSPHUB_DATABASE_URL"},
	} {
		t.Run(strings.Join(tc.args, " "), tc.run)
	}
}
