package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// embeddedEnv is the embedded default in a temp dir, whatever backend the suite tests: backup
// and restore are for the embedded default.
func embeddedEnv(t *testing.T) map[string]string {
	return map[string]string{"MSPHUB_DATA_DIR": t.TempDir(), "MSPHUB_ADDR": "127.0.0.1:0", "MSPHUB_LOG_LEVEL": "debug"}
}

func runCommand(t *testing.T, vars map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, logs bytes.Buffer
	err := run(context.Background(), args, env(vars), strings.NewReader(""), &out, &logs)
	if err != nil {
		t.Logf("msphub %s: %v\n%s", strings.Join(args, " "), err, logs.String())
	}
	return out.String(), err
}

// A backup taken while the server serves and writes (uploads, audited changes) restores on a
// fresh machine into an empty directory: the audit chain verifies, every stored file is there
// and intact, and a server started on it serves the files byte for byte.
func TestBackupWhileServingAndRestore(t *testing.T) {
	vars := embeddedEnv(t)
	c := newTrainerClient(t, vars)
	s := startServer(t, vars)
	c.base = s.URL
	course := c.course(t)
	var before []storedFile
	for i := range 3 {
		before = append(before, c.upload(t, course, fileContent(i)))
	}

	// Writers keep creating courses (each audited) and uploading files while the backup runs.
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		writes   atomic.Int64
		writeErr = make(chan error, 2)
		started  = make(chan struct{})
		once     sync.Once
	)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				course, err := c.tryCourse()
				if err == nil {
					_, err = c.tryUpload(course, fileContent(100*(w+1)+n))
				}
				if err != nil {
					writeErr <- err
					return
				}
				if writes.Add(1) >= 2 {
					once.Do(func() { close(started) })
				}
			}
		}()
	}
	select {
	case <-started:
	case err := <-writeErr:
		stop.Store(true)
		wg.Wait()
		t.Fatalf("writing beside the server: %v", err)
	}
	archive := filepath.Join(t.TempDir(), "msphub.tar.gz")
	out, err := runCommand(t, vars, "backup", "--archive", archive)
	stop.Store(true)
	wg.Wait()
	close(writeErr)
	for err := range writeErr {
		t.Errorf("a write beside the backup failed: %v", err)
	}
	if err != nil {
		t.Fatalf("backup while serving: %v", err)
	}
	t.Logf("%d writes beside the backup", writes.Load())
	if !regexp.MustCompile(`^backup written to .*msphub\.tar\.gz \(.+\): the database \(schema version \d+, .+\) and \d+ stored files \(.+\)\n`).MatchString(out) ||
		!strings.Contains(out, "The archive holds the master key file") {
		t.Errorf("backup printed:\n%s", out)
	}
	if info, err := os.Stat(archive); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("archive: %v, mode %v, want 0600", err, info.Mode())
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(archive), ".msphub-*"))
	if len(leftovers) > 0 {
		t.Errorf("backup left temporary files: %v", leftovers)
	}
	if _, err := runCommand(t, vars, "backup", "--archive", archive); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("a second backup over the archive: %v", err)
	}

	// A fresh machine: a data directory that does not exist yet.
	fresh := map[string]string{"MSPHUB_DATA_DIR": filepath.Join(t.TempDir(), "data"), "MSPHUB_ADDR": "127.0.0.1:0", "MSPHUB_LOG_LEVEL": "debug"}
	out, err = runCommand(t, fresh, "restore", "--archive", archive)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !strings.Contains(out, "restored the backup of") || !strings.Contains(out, "The master key file is restored too.") {
		t.Errorf("restore printed:\n%s", out)
	}
	if info, err := os.Stat(filepath.Join(fresh["MSPHUB_DATA_DIR"], "master.key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("restored key file: %v", err)
	}
	if out, err := runCommand(t, fresh, "audit", "verify"); err != nil || !strings.HasPrefix(out, "audit log intact:") {
		t.Errorf("audit verify after restore: %v\n%s", err, out)
	}
	out, err = runCommand(t, fresh, "storage", "verify")
	if err != nil || !strings.HasPrefix(out, "storage intact:") {
		t.Errorf("storage verify after restore: %v\n%s", err, out)
	}

	// Restoring over it is refused unless told; told, it replaces the database (and its WAL).
	if _, err := runCommand(t, fresh, "restore", "--archive", archive); err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("restore into a directory in use: %v", err)
	}
	if _, err := runCommand(t, fresh, "restore", "--archive", archive, "--force"); err != nil {
		t.Errorf("restore --force: %v", err)
	}
	if out, err := runCommand(t, fresh, "audit", "verify"); err != nil || !strings.HasPrefix(out, "audit log intact:") {
		t.Errorf("audit verify after restore --force: %v\n%s", err, out)
	}

	restored := startServer(t, fresh)
	rc := &apiClient{base: restored.URL, token: c.token}
	for i, f := range before {
		if got := string(rc.do(t, "GET", f.download, "", nil, http.StatusOK)); got != f.content {
			t.Errorf("file %d after restore: %d bytes, not the %d uploaded", i, len(got), len(f.content))
		}
	}
}

// A damaged or cut-short archive restores nothing: the target is left as it was.
func TestRestoreRefusesDamagedArchives(t *testing.T) {
	vars := embeddedEnv(t)
	c := newTrainerClient(t, vars)
	s := startServer(t, vars)
	c.base = s.URL
	c.upload(t, c.course(t), fileContent(1))
	archive := filepath.Join(t.TempDir(), "backup.tar.gz")
	if _, err := runCommand(t, vars, "backup", "--archive", archive); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)*2/3] ^= 0x40
	for name, content := range map[string][]byte{
		"cut short":   raw[:len(raw)*3/4],
		"altered":     flipped,
		"not gzip":    []byte("this is not an archive at all"),
		"empty":       {},
		"not ours":    mustGzipTar(t, "notes.txt", "hello"),
		"only header": raw[:200],
	} {
		t.Run(name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad.tar.gz")
			if err := os.WriteFile(bad, content, 0o600); err != nil {
				t.Fatal(err)
			}
			target := filepath.Join(t.TempDir(), "data")
			_, err := runCommand(t, map[string]string{"MSPHUB_DATA_DIR": target}, "restore", "--archive", bad)
			if err == nil {
				t.Fatal("restore of a bad archive succeeded")
			}
			if _, statErr := os.Stat(target); !os.IsNotExist(statErr) {
				entries, _ := os.ReadDir(target)
				t.Errorf("a failed restore left %s behind (%d entries): %v", target, len(entries), err)
			}
		})
	}
}

// With PostgreSQL or S3, backup refuses and says what to do instead.
func TestBackupRefusesPostgresAndS3(t *testing.T) {
	for name, vars := range map[string]map[string]string{
		"PostgreSQL": {"MSPHUB_DATABASE_URL": "postgres://msphub@db.example:5432/msphub"},
		"S3": {"MSPHUB_DATA_DIR": t.TempDir(), "MSPHUB_S3_ENDPOINT": "s3.example:443", "MSPHUB_S3_ACCESS_KEY": "k",
			"MSPHUB_S3_SECRET_KEY": "s", "MSPHUB_MASTER_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := runCommand(t, vars, "backup", "--archive", filepath.Join(t.TempDir(), "x.tar.gz"))
			if err == nil || !strings.Contains(err.Error(), "pg_dump") || !strings.Contains(err.Error(), "README") {
				t.Errorf("backup with %s: %v, want a pointer to pg_dump and the README", name, err)
			}
		})
	}
	if _, err := runCommand(t, map[string]string{"MSPHUB_DATABASE_URL": "postgres://msphub@db.example:5432/msphub"}, "restore", "--archive", "x.tar.gz"); err == nil || !strings.Contains(err.Error(), "pg_restore") {
		t.Errorf("restore into PostgreSQL: %v", err)
	}
	if _, err := runCommand(t, embeddedEnv(t), "backup"); err == nil || !strings.Contains(err.Error(), "no MSP Hub database") {
		t.Errorf("backup of an empty data directory: %v", err)
	}
}
