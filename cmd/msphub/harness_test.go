package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/modelstest"
)

// commandCase is a command line and what it should do, run without a server.
type commandCase struct {
	args    []string
	wantErr string // empty: success
	wantOut string
}

func (tc commandCase) run(t *testing.T) {
	var out, logs bytes.Buffer
	err := run(context.Background(), tc.args, env(nil), strings.NewReader(""), &out, &logs)
	switch {
	case tc.wantErr == "" && err != nil:
		t.Errorf("error %v, want success", err)
	case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
		t.Errorf("error %v, want one containing %q", err, tc.wantErr)
	}
	if !strings.Contains(out.String(), tc.wantOut) {
		t.Errorf("printed %q, want %q in it", out.String(), tc.wantOut)
	}
}

// listeningAddr finds the address in the "listening" log line, if it has been written.
func listeningAddr(logs string) string {
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
			return line.Addr
		}
	}
	return ""
}

// testServer is `msphub serve` running in-process through run, as main runs it.
type testServer struct {
	URL    string
	out    *apitest.SyncBuffer // what serve prints for a person (the set-up link)
	logs   *apitest.SyncBuffer
	stop   context.CancelFunc
	result chan error
}

// env is a getenv over a map, so each test states its whole configuration.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// backendEnv is the configuration of the backend under test: SQLite and local disk in a temp
// dir, or a fresh PostgreSQL database and MinIO bucket.
func backendEnv(t testing.TB) map[string]string {
	t.Helper()
	vars := map[string]string{"MSPHUB_DATA_DIR": t.TempDir(), "MSPHUB_ADDR": "127.0.0.1:0", "MSPHUB_LOG_LEVEL": "debug"}
	if modelstest.Backend() == "postgres" {
		s3 := modelstest.S3Config(t)
		vars["MSPHUB_DATABASE_URL"] = modelstest.NewPostgresDatabase(t)
		vars["MSPHUB_S3_ENDPOINT"] = s3.Endpoint
		vars["MSPHUB_S3_BUCKET"] = s3.Bucket
		vars["MSPHUB_S3_ACCESS_KEY"] = s3.AccessKey
		vars["MSPHUB_S3_SECRET_KEY"] = s3.SecretKey
		vars["MSPHUB_S3_TLS"] = "false"
		vars["MSPHUB_MASTER_KEY"] = modelstest.MasterKey(t)
		vars["MSPHUB_AUDIT_KEY"] = modelstest.AuditKey(t)
	}
	return vars
}

// startServer runs serve with vars and waits until it listens; the server stops when the test
// ends and must stop cleanly.
func startServer(t testing.TB, vars map[string]string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{out: &apitest.SyncBuffer{}, logs: &apitest.SyncBuffer{}, stop: cancel, result: make(chan error, 1)}
	go func() {
		s.result <- run(ctx, []string{"serve"}, env(vars), strings.NewReader(""), s.out, s.logs)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if addr := listeningAddr(s.logs.String()); addr != "" {
			s.URL = "http://" + addr
			break
		}
		select {
		case err := <-s.result:
			cancel()
			t.Fatalf("serve stopped before listening: %v\n%s", err, s.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not listen within 60 s\n%s", s.logs.String())
		}
	}
	t.Cleanup(func() {
		if err := s.shutdown(); err != nil {
			t.Errorf("serve did not stop cleanly: %v", err)
		}
	})
	return s
}

// shutdown stops the server as SIGTERM would and returns run's result.
func (s *testServer) shutdown() error {
	s.stop()
	select {
	case err := <-s.result:
		s.result <- err // let a second shutdown see it too
		return err
	case <-time.After(60 * time.Second):
		return context.DeadlineExceeded
	}
}

func (s *testServer) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// binDir holds the msphub binary that TestMain builds lazily and removes at the end.
var (
	binDir    string
	buildOnce sync.Once
	buildErr  error
)

func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "msphub-bin-"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// binary builds msphub once, for the tests that need a real process (exit codes, signals).
func binary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(binDir, "msphub")
	buildOnce.Do(func() {
		out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build msphub: %v", buildErr)
	}
	return path
}

// send sends req and returns the status and body of the answer.
func send(t testing.TB, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// httpRequest sends a request with a bearer token.
func httpRequest(method, url, token string) (*http.Response, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}
