package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
)

func TestServeOnTheBackendUnderTest(t *testing.T) {
	vars := backendEnv(t)
	s := startServer(t, vars)
	if code, body := s.get(t, "/readyz"); code != 200 || !strings.Contains(body, `"status":"ready"`) {
		t.Fatalf("readyz = %d %s", code, body)
	}
	if code, body := s.get(t, "/"); code != 200 || !strings.Contains(body, "MSP Hub") {
		t.Fatalf("start page = %d", code)
	}
	if modelstest.Backend() == "sqlite" {
		// The embedded default made its master key file private to the service account.
		st, err := os.Stat(filepath.Join(vars["MSPHUB_DATA_DIR"], "master.key"))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("master.key mode = %v, want 0600", st.Mode().Perm())
		}
		if !strings.Contains(s.logs.String(), "created a new master key file") {
			t.Error("creating the key file was not logged")
		}
	}
	if err := s.shutdown(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.logs.String(), `"msg":"stopped"`) {
		t.Error("no orderly stop in the log")
	}
}

// Bad configuration stops start-up with one line naming the setting.
func TestBadConfigurationNamesTheSetting(t *testing.T) {
	base := func(extra map[string]string) map[string]string {
		vars := map[string]string{"MSPHUB_DATA_DIR": t.TempDir(), "MSPHUB_ADDR": "127.0.0.1:0"}
		for k, v := range extra {
			vars[k] = v
		}
		return vars
	}
	cases := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"malformed database URL", base(map[string]string{"MSPHUB_DATABASE_URL": "mysql://root@db/msphub"}), "MSPHUB_DATABASE_URL (--database-url): scheme \"mysql\""},
		{"unreachable database", base(map[string]string{"MSPHUB_DATABASE_URL": "postgres://msphub:pw@127.0.0.1:1/msphub?sslmode=disable"}), "MSPHUB_DATABASE_URL (--database-url): database unreachable"},
		{"malformed master key", base(map[string]string{"MSPHUB_MASTER_KEY": "not-a-key"}), "MSPHUB_MASTER_KEY (--master-key):"},
		{"short master key", base(map[string]string{"MSPHUB_MASTER_KEY": "c2hvcnQ="}), "MSPHUB_MASTER_KEY (--master-key):"},
		{"S3 endpoint with a scheme", base(map[string]string{"MSPHUB_S3_ENDPOINT": "https://s3.example:443"}), "MSPHUB_S3_ENDPOINT (--s3-endpoint): give host:port without a scheme"},
		{"S3 without a master key", base(map[string]string{"MSPHUB_S3_ENDPOINT": "127.0.0.1:9000", "MSPHUB_S3_ACCESS_KEY": "a", "MSPHUB_S3_SECRET_KEY": "b"}), "MSPHUB_MASTER_KEY (--master-key): is required with S3"},
		{"unreachable S3", base(map[string]string{"MSPHUB_S3_ENDPOINT": "127.0.0.1:1", "MSPHUB_S3_ACCESS_KEY": "a", "MSPHUB_S3_SECRET_KEY": "b", "MSPHUB_S3_TLS": "false", "MSPHUB_MASTER_KEY": modelstest.MasterKey(t), "MSPHUB_AUDIT_KEY": modelstest.AuditKey(t)}), "MSPHUB_S3_ENDPOINT (--s3-endpoint):"},
		{"S3 without an audit key", base(map[string]string{"MSPHUB_S3_ENDPOINT": "127.0.0.1:9000", "MSPHUB_S3_ACCESS_KEY": "a", "MSPHUB_S3_SECRET_KEY": "b", "MSPHUB_MASTER_KEY": modelstest.MasterKey(t)}), "MSPHUB_AUDIT_KEY (--audit-key): is required with S3"},
		{"malformed audit key", base(map[string]string{"MSPHUB_AUDIT_KEY": "not-a-key"}), "MSPHUB_AUDIT_KEY (--audit-key):"},
		{"size without a number", base(map[string]string{"MSPHUB_MAX_EVIDENCE_BYTES": "lots"}), "MSPHUB_MAX_EVIDENCE_BYTES (--max-evidence-bytes): \"lots\" is not a size"},
		{"unknown log level", base(map[string]string{"MSPHUB_LOG_LEVEL": "chatty"}), "MSPHUB_LOG_LEVEL (--log-level): must be debug, info, warn or error"},
		{"public URL without a scheme", base(map[string]string{"MSPHUB_PUBLIC_URL": "msphub.police.uk"}), "MSPHUB_PUBLIC_URL (--public-url)"},
		{"trusted proxy that is not an address", base(map[string]string{"MSPHUB_TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}), "MSPHUB_TRUSTED_PROXIES (--trusted-proxies): \"proxy.local\""},
		{"request timeout under a second", base(map[string]string{"MSPHUB_REQUEST_TIMEOUT": "100ms"}), "MSPHUB_REQUEST_TIMEOUT (--request-timeout): must be at least 1s"},
		{"boolean that is not one", base(map[string]string{"MSPHUB_S3_TLS": "sometimes"}), "MSPHUB_S3_TLS (--s3-tls)"},
	}
	if modelstest.Backend() == "postgres" {
		// Wrong credentials need a real S3 to refuse them.
		s3 := modelstest.S3Config(t)
		cases = append(cases, struct {
			name string
			vars map[string]string
			want string
		}{"wrong S3 credentials", base(map[string]string{"MSPHUB_S3_ENDPOINT": s3.Endpoint, "MSPHUB_S3_BUCKET": s3.Bucket,
			"MSPHUB_S3_ACCESS_KEY": s3.AccessKey, "MSPHUB_S3_SECRET_KEY": "wrong-secret", "MSPHUB_S3_TLS": "false",
			"MSPHUB_MASTER_KEY": modelstest.MasterKey(t), "MSPHUB_AUDIT_KEY": modelstest.AuditKey(t)}), "MSPHUB_S3_ACCESS_KEY (--s3-access-key): the S3 store refused"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := run(ctx, []string{"serve"}, env(tc.vars), strings.NewReader(""), io.Discard, io.Discard)
			if err == nil {
				t.Fatal("serve started with bad configuration")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, "goroutine") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, secret := range []string{"pw@", "wrong-secret"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error leaks a secret: %q", msg)
				}
			}
		})
	}
}

// The real binary exits non-zero with one line on stderr and no stack trace.
func TestBadConfigurationExitCode(t *testing.T) {
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = append(os.Environ(), "MSPHUB_DATA_DIR="+t.TempDir(), "MSPHUB_MASTER_KEY=tooshort")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1", err)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "msphub: MSPHUB_MASTER_KEY (--master-key): ") || strings.Contains(stderr.String(), "goroutine") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

// Two servers starting together on one empty PostgreSQL database apply each migration once:
// the advisory lock makes the second wait for the first.
func TestTwoServersMigrateOnceOnPostgreSQL(t *testing.T) {
	url := modelstest.NewPostgresDatabase(t)
	var wg sync.WaitGroup
	servers := make([]*testServer, 2)
	for i := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vars := map[string]string{"MSPHUB_DATA_DIR": t.TempDir(), "MSPHUB_ADDR": "127.0.0.1:0", "MSPHUB_DATABASE_URL": url}
			servers[i] = startServer(t, vars)
		}()
	}
	wg.Wait()
	for _, s := range servers {
		if code, _ := s.get(t, "/readyz"); code != 200 {
			t.Errorf("a server is not ready: %d", code)
		}
	}
	db, err := core.Open(context.Background(), core.DBConfig{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var dup, applied int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM (SELECT version_id FROM goose_db_version WHERE version_id > 0
		GROUP BY version_id HAVING count(*) > 1) d`).Scan(&dup); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().QueryRow(`SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	st, err := db.MigrationStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if dup != 0 || applied != len(st) {
		t.Errorf("%d versions applied more than once; %d rows for %d migrations", dup, applied, len(st))
	}
	migratedBy := 0
	for _, s := range servers {
		if strings.Contains(s.logs.String(), `"msg":"database migrated"`) {
			migratedBy++
		}
	}
	if migratedBy != 1 {
		t.Errorf("%d servers report migrating, want exactly 1", migratedBy)
	}
}

// serveUntilDone lets a request in flight finish when shutdown begins, and stops accepting new
// connections.
func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "finished")
	})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, srv, ln, 10*time.Second, newLogger(io.Discard, "info")) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String())
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-entered
	cancel() // SIGTERM arrives while the request is in flight
	time.Sleep(100 * time.Millisecond)
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("still accepting connections after shutdown began")
	}
	close(release)
	if r := <-got; r.err != nil || r.body != "finished" {
		t.Errorf("request in flight: %q, %v", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Errorf("serveUntilDone = %v", err)
	}
}

func TestSIGTERMStopsTheProcessCleanly(t *testing.T) {
	cmd := exec.Command(binary(t), "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	logs := &apitest.SyncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for listeningAddr(logs.String()) == "" {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("not listening:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("no orderly stop:\n%s", logs.String())
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"msphub serve", "msphub migrate up", "MSPHUB_DATABASE_URL"}},
		{[]string{"serve", "--help"}, []string{"--database-url, MSPHUB_DATABASE_URL", "--s3-endpoint, MSPHUB_S3_ENDPOINT", "--master-key, MSPHUB_MASTER_KEY", "--max-evidence-bytes, MSPHUB_MAX_EVIDENCE_BYTES"}},
		{[]string{"migrate", "--help"}, []string{"msphub migrate up|status"}},
		{[]string{"migrate", "status", "--help"}, []string{"--database-url, MSPHUB_DATABASE_URL"}},
		{[]string{"version"}, []string{"msphub dev"}},
		{[]string{"version", "--help"}, []string{"Usage: msphub version"}},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), tc.args, env(nil), strings.NewReader(""), &out, io.Discard); err != nil {
			t.Errorf("%v: %v", tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v: output lacks %q:\n%s", tc.args, w, out.String())
			}
		}
	}
	for _, args := range [][]string{nil, {"launch"}, {"migrate", "sideways"}, {"serve", "extra"}} {
		if err := run(context.Background(), args, env(nil), strings.NewReader(""), io.Discard, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestMigrateCommands(t *testing.T) {
	vars := backendEnv(t)
	status := func() string {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"migrate", "status"}, env(vars), strings.NewReader(""), &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if s := status(); !strings.Contains(s, "00001_policies.sql") || !strings.Contains(s, "pending") {
		t.Fatalf("status on an empty database:\n%s", s)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate", "up"}, env(vars), strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if s := status(); strings.Contains(s, "pending") {
		t.Errorf("status after up:\n%s", s)
	}
}

// README's configuration table lists every setting serve reads, so it stays true.
func TestReadmeListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var c config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	serveFlags(fs, &c)
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(string(readme), "`"+envName(f.Name)+"`") {
			t.Errorf("README.md does not document %s", envName(f.Name))
		}
	})
}
