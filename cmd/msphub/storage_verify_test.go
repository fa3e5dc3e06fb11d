package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/storage"
)

// rawBackend is the blob store's backend of a server's configuration, to change objects behind
// the application's back as someone with access to the disk or the bucket could.
func rawBackend(t *testing.T, vars map[string]string) storage.Backend {
	t.Helper()
	if vars["MSPHUB_S3_ENDPOINT"] == "" {
		d, err := storage.NewDisk(filepath.Join(vars["MSPHUB_DATA_DIR"], "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	s3, err := storage.NewS3(context.Background(), storage.S3Config{Endpoint: vars["MSPHUB_S3_ENDPOINT"], Bucket: vars["MSPHUB_S3_BUCKET"],
		AccessKey: vars["MSPHUB_S3_ACCESS_KEY"], SecretKey: vars["MSPHUB_S3_SECRET_KEY"]})
	if err != nil {
		t.Fatal(err)
	}
	return s3
}

// blobRows reads the blob rows of a server's database: id and object key, in id order.
func blobRows(t *testing.T, vars map[string]string) (ids []int64, keys []string) {
	t.Helper()
	cfg := core.DBConfig{URL: vars["MSPHUB_DATABASE_URL"], Path: filepath.Join(vars["MSPHUB_DATA_DIR"], "msphub.db")}
	db, err := core.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.SQL().Query("SELECT id, object_key FROM blobs ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			t.Fatal(err)
		}
		ids, keys = append(ids, id), append(keys, key)
	}
	return ids, keys
}

// tamper flips one byte in the middle of the stored object.
func tamper(t *testing.T, b storage.Backend, key string) {
	t.Helper()
	modelstest.Rewrite(t, b, key, func(raw []byte) []byte { raw[len(raw)/2] ^= 0x01; return raw })
}

// msphub storage verify passes on a good store, and on one where an object was deleted and
// another altered it names both blobs, passes over the good one, and exits with status 1. Run on
// both backends: SQLite and local disk, PostgreSQL and MinIO.
func TestStorageVerifyCommand(t *testing.T) {
	vars := backendEnv(t)
	c := newTrainerClient(t, vars)
	c.base = startServer(t, vars).URL
	course := c.course(t)
	for i := range 3 {
		c.upload(t, course, fileContent(i))
	}
	verify := func() (string, error) {
		var out, logs bytes.Buffer
		err := run(context.Background(), []string{"storage", "verify"}, env(vars), strings.NewReader(""), &out, &logs)
		return out.String(), err
	}
	out, err := verify()
	if err != nil {
		t.Fatalf("verify of a good store: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`^storage intact: 3 files, \d+(\.\d)? KB, each present with its recorded size and SHA-256\n$`).MatchString(out) {
		t.Errorf("verify printed %q", out)
	}

	ids, keys := blobRows(t, vars)
	if len(ids) != 3 {
		t.Fatalf("%d blob rows, want 3", len(ids))
	}
	backend := rawBackend(t, vars)
	if err := backend.Delete(context.Background(), keys[0]); err != nil {
		t.Fatal(err)
	}
	tamper(t, backend, keys[2])
	out, err = verify()
	if err == nil || !strings.Contains(err.Error(), "storage broken: 2 of 3 files are missing or altered") {
		t.Fatalf("verify of a damaged store returned %v\n%s", err, out)
	}
	for _, want := range []string{
		fmt.Sprintf("blob %d (%s): missing: the store has no object under this key\n", ids[0], keys[0]),
		fmt.Sprintf("blob %d (%s): altered: the object fails authentication", ids[2], keys[2]),
		"storage BROKEN: 2 of 3 files are missing or altered",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("verify did not say %q; it printed:\n%s", want, out)
		}
	}
	if strings.Contains(out, keys[1]) {
		t.Errorf("verify named the intact blob %s:\n%s", keys[1], out)
	}

	// A cron job or a monitoring check reads the exit status of the real binary.
	cmd := exec.Command(binary(t), "storage", "verify")
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	combined, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("msphub storage verify on a damaged store: %v, want exit status 1\n%s", err, combined)
	}
	if !strings.Contains(string(combined), "msphub: storage broken: 2 of 3 files") || !strings.Contains(string(combined), keys[0]) {
		t.Errorf("the binary said %q", combined)
	}
}

func TestStorageCommandHelpAndMistakes(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []commandCase{
		{args: []string{"--help"}, wantOut: "msphub storage verify [flags]"},
		{args: []string{"storage", "--help"}, wantOut: "Usage: msphub storage verify [flags]"},
		{args: []string{"storage", "verify", "--help"}, wantOut: "--s3-endpoint, MSPHUB_S3_ENDPOINT"},
		{args: []string{"storage"}, wantErr: "storage needs verify"},
		{args: []string{"storage", "repair"}, wantErr: `unknown storage action "repair"`},
		{args: []string{"storage", "verify", "--data-dir", dir}, wantErr: "MSPHUB_MASTER_KEY"},
		{args: []string{"storage", "verify", "--data-dir", dir, "--master-key", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}, wantErr: "no MSP Hub database at"},
		{args: []string{"storage", "verify", "--s3-endpoint", "localhost:9000"}, wantErr: "is required when MSPHUB_S3_ENDPOINT is set"},
		{args: []string{"storage", "verify", "--workers", "0"}, wantErr: "--workers"},
	} {
		t.Run(strings.Join(tc.args, " "), tc.run)
	}
}
