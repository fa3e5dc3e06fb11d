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
	"github.com/msptp/msphub/storage"
)

// auditedDatabase is a migrated database of the backend under test holding n audit events,
// sequenced and checkpointed with a fresh audit key in the blob store of the backend. It returns
// the flags that point msphub at them (the public key only) and the database, for tampering.
func auditedDatabase(t *testing.T, n int) ([]string, *core.DB) {
	t.Helper()
	ctx := context.Background()
	var (
		flags     []string
		dbCfg     core.DBConfig
		blobs     *storage.Store
		blobFlags []string
	)
	dir := t.TempDir()
	if modelstest.Backend() == "postgres" {
		url := modelstest.NewPostgresDatabase(t)
		s3 := modelstest.S3Config(t)
		backend, err := storage.NewS3(ctx, s3)
		if err != nil {
			t.Fatal(err)
		}
		blobs = storage.New(backend, modelstest.Keyring(t))
		flags, dbCfg = []string{"--database-url", url, "--data-dir", dir}, core.DBConfig{URL: url}
		blobFlags = []string{"--s3-endpoint", s3.Endpoint, "--s3-bucket", s3.Bucket,
			"--s3-access-key", s3.AccessKey, "--s3-secret-key", s3.SecretKey, "--s3-tls=false", "--master-key", modelstest.MasterKey(t)}
	} else {
		disk, err := storage.NewDisk(filepath.Join(dir, "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		blobs = storage.New(disk, modelstest.Keyring(t))
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
	key, _, err := core.GenerateAuditKey()
	if err != nil {
		t.Fatal(err)
	}
	log := core.NewAudit(core.Deps{DB: db, Blobs: blobs, AuditKey: key})
	for i := 1; i <= n; i++ {
		if err := log.Record(ctx, nil, core.Event{Action: "session.sign_in", ObjectType: "session",
			ObjectID: strconv.Itoa(i), Outcome: core.OutcomeFailure}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := log.Sequence(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	return append(append(flags, blobFlags...), "--audit-key", key.Public()), db
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
	if !regexp.MustCompile(`^audit log intact: 3 events, root [0-9a-f]{64}, 1 checkpoints checked \(latest: number 1, 3 events\), 0 events waiting for the sequencer\n$`).MatchString(out.String()) {
		t.Errorf("verify printed %q", out.String())
	}

	tamperWith(t, db, "UPDATE audit_events SET outcome = 'success' WHERE seq = 2")
	out.Reset()
	err := run(context.Background(), verify, env(nil), strings.NewReader(""), &out, &logs)
	if err == nil || !strings.Contains(err.Error(), "audit log broken: edited: event 2 (id 2): its contents do not match its leaf hash") {
		t.Fatalf("verify of a tampered log returned %v, want it to name event 2", err)
	}
	if !strings.Contains(out.String(), "audit log BROKEN: ") || !strings.Contains(out.String(), "  rewritten: events 1 to 3 do not hash to the root signed in checkpoint 1") {
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
	if !strings.Contains(string(stderr), "msphub: audit log broken: edited: event 2") {
		t.Errorf("the binary said %q", stderr)
	}
}

func TestAuditCommandHelpAndMistakes(t *testing.T) {
	for _, tc := range []commandCase{
		{args: []string{"--help"}, wantOut: "msphub audit verify [flags]"},
		{args: []string{"audit", "--help"}, wantOut: "Usage: msphub audit verify [flags]"},
		{args: []string{"audit", "verify", "--help"}, wantOut: "--database-url, MSPHUB_DATABASE_URL"},
		{args: []string{"audit"}, wantErr: "audit needs verify or keygen", wantOut: "Usage: msphub audit verify"},
		{args: []string{"audit", "keygen"}, wantOut: "MSPHUB_AUDIT_KEY=PRIVATE+KEY+msphub-audit-log+"},
		{args: []string{"audit", "verify", "--audit-key", "nonsense"}, wantErr: "MSPHUB_AUDIT_KEY (--audit-key)"},
		{args: []string{"audit", "repair"}, wantErr: `unknown audit action "repair"`},
		{args: []string{"audit", "verify", "--log-level", "loud"}, wantErr: "MSPHUB_LOG_LEVEL"},
		{args: []string{"audit", "verify", "--database-url", "mysql://x"}, wantErr: "MSPHUB_DATABASE_URL"},
	} {
		t.Run(strings.Join(tc.args, " "), tc.run)
	}
}
