package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/msptp/msphub/models/modelstest"
)

// ownMinIO is a MinIO this test can stop and start again on the same port and data.
type ownMinIO struct {
	bin, dir, addr string
	cmd            *exec.Cmd
}

const minioUser, minioPassword = "readyz-test", "readyz-test-secret"

func newOwnMinIO(t *testing.T) *ownMinIO {
	t.Helper()
	bin := os.Getenv("MSPHUB_TEST_MINIO_BIN")
	if bin == "" {
		t.Fatal("MSPHUB_TEST_MINIO_BIN is not set: run the tests with `make test`")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	m := &ownMinIO{bin: bin, dir: t.TempDir(), addr: addr}
	m.start(t)
	t.Cleanup(m.stop)
	return m
}

func (m *ownMinIO) start(t *testing.T) {
	t.Helper()
	m.cmd = exec.Command(m.bin, "server", "--quiet", "--address", m.addr, "--console-address", "127.0.0.1:0", filepath.Join(m.dir, "data"))
	m.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+minioUser, "MINIO_ROOT_PASSWORD="+minioPassword,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "HOME="+m.dir)
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + m.addr + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("MinIO did not start on %s", m.addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *ownMinIO) stop() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	_ = m.cmd.Wait()
	m.cmd = nil
}

// ownMinIOEnv is the configuration of a server on a fresh PostgreSQL database and a MinIO of its
// own, with its bucket made, which the test may kill and start again.
func ownMinIOEnv(t *testing.T) (*ownMinIO, map[string]string) {
	t.Helper()
	m := newOwnMinIO(t)
	mc, err := minio.New(m.addr, &minio.Options{Creds: credentials.NewStaticV4(minioUser, minioPassword, "")})
	if err != nil {
		t.Fatal(err)
	}
	if err := mc.MakeBucket(context.Background(), "msphub", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	return m, map[string]string{
		"MSPHUB_ADDR": "127.0.0.1:0", "MSPHUB_DATA_DIR": t.TempDir(),
		"MSPHUB_DATABASE_URL": modelstest.NewPostgresDatabase(t),
		"MSPHUB_S3_ENDPOINT":  m.addr, "MSPHUB_S3_BUCKET": "msphub", "MSPHUB_S3_TLS": "false",
		"MSPHUB_S3_ACCESS_KEY": minioUser, "MSPHUB_S3_SECRET_KEY": minioPassword,
		"MSPHUB_MASTER_KEY": modelstest.MasterKey(t), "MSPHUB_AUDIT_KEY": modelstest.AuditKey(t),
	}
}

// With PostgreSQL and S3 configured, /readyz checks both: it answers 503 within 5 s of MinIO
// going away and recovers when MinIO comes back, without restarting MSP Hub.
func TestReadyzFollowsTheS3Store(t *testing.T) {
	m, vars := ownMinIOEnv(t)
	s := startServer(t, vars)
	if code, body := s.get(t, "/readyz"); code != 200 {
		t.Fatalf("readyz with MinIO up = %d %s", code, body)
	}

	m.stop()
	stopped := time.Now()
	code, body := s.get(t, "/readyz")
	if elapsed := time.Since(stopped); code != 503 || elapsed > 5*time.Second {
		t.Fatalf("readyz after MinIO stopped = %d in %v, want 503 within 5 s: %s", code, elapsed, body)
	}
	t.Logf("readyz answered 503 %v after MinIO stopped", time.Since(stopped).Round(time.Millisecond))

	m.start(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _ := s.get(t, "/readyz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz did not recover within 30 s of MinIO restarting: %d", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
