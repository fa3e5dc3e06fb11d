//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run testenv as a real process (this test binary, re-executed
// in "main" mode) so that they exercise what `make test` relies on: exit
// statuses, signals, subreaping and cleanup, none of which can be observed
// by calling run inside the test process.

const (
	roleEnv    = "TESTENV_TEST_MAIN" // "1": act as the testenv command
	probeArg   = "testenv-test-probe"
	reportEnv  = "TESTENV_TEST_REPORT" // where the probe writes what it saw
	holdEnv    = "TESTENV_TEST_HOLD"   // probe waits until this file exists
	exitEnv    = "TESTENV_TEST_EXIT"   // probe's exit status
	runTimeout = 2 * time.Minute
)

func TestMain(m *testing.M) {
	switch {
	case len(os.Args) > 1 && os.Args[1] == probeArg:
		os.Exit(probe())
	case os.Getenv(roleEnv) == "1":
		main()
	}
	os.Exit(m.Run())
}

// probe is the CMD the tests give testenv: it checks that both servers
// accept real requests, reports what it saw, optionally waits to be
// released, and exits with the status it was asked for.
func probe() int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "probe: "+format+"\n", args...)
		return 99
	}
	for _, name := range []string{
		"MSPHUB_TEST_POSTGRES_URL", "MSPHUB_TEST_POSTGRES_BIN", "MSPHUB_TEST_S3_ENDPOINT",
		"MSPHUB_TEST_S3_ACCESS_KEY", "MSPHUB_TEST_S3_SECRET_KEY", "MSPHUB_TEST_MINIO_BIN",
		"MSPHUB_TEST_S3B_ENDPOINT", "MSPHUB_TEST_S3B_ACCESS_KEY", "MSPHUB_TEST_S3B_SECRET_KEY", "MSPHUB_TEST_S3B_SERVER", "MSPHUB_TESTENV",
	} {
		if os.Getenv(name) == "" {
			return fail("%s is not set", name)
		}
	}
	psql := filepath.Join(os.Getenv("MSPHUB_TEST_POSTGRES_BIN"), "psql")
	out, err := exec.Command(psql, os.Getenv("MSPHUB_TEST_POSTGRES_URL"), "-XAtc",
		"select current_setting('data_directory')").Output()
	if err != nil {
		return fail("psql: %v", err)
	}
	resp, err := http.Get("http://" + os.Getenv("MSPHUB_TEST_S3_ENDPOINT") + "/minio/health/live")
	if err != nil {
		return fail("minio: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail("minio: %s", resp.Status)
	}
	// The second S3 server answers a ListBuckets with its XML result.
	resp, err = http.Get("http://" + os.Getenv("MSPHUB_TEST_S3B_ENDPOINT") + "/")
	if err != nil {
		return fail("second S3 server: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("ListAllMyBucketsResult")) {
		return fail("second S3 server: %s %q", resp.Status, body)
	}
	if err := writeAtomically(os.Getenv(reportEnv), bytes.TrimSpace(out)); err != nil {
		return fail("report: %v", err)
	}
	if hold := os.Getenv(holdEnv); hold != "" {
		for deadline := time.Now().Add(runTimeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(hold); err == nil {
				break
			}
		}
	}
	code, _ := strconv.Atoi(os.Getenv(exitEnv))
	return code
}

// writeAtomically writes data so that a reader polling for path never sees
// it half written.
func writeAtomically(path string, data []byte) error {
	if err := os.WriteFile(path+".tmp", data, 0o644); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// testenvRun is one testenv process started by a test.
type testenvRun struct {
	cmd    *exec.Cmd
	tmp    string // TMPDIR given to testenv: must be empty again at the end
	report string
	stderr bytes.Buffer  // read only after done is closed
	done   chan struct{} // closed when testenv has exited
	cancel context.CancelFunc
}

// startTestenv starts testenv with args and the given extra environment,
// with its own watched TMPDIR.
func startTestenv(t *testing.T, extraEnv []string, args ...string) *testenvRun {
	t.Helper()
	r := &testenvRun{tmp: t.TempDir(), report: filepath.Join(t.TempDir(), "report"), done: make(chan struct{})}
	// As root, PostgreSQL runs as the postgres user, which must be able to
	// reach its data directory; otherwise testenv would fall back to /tmp
	// and the test could not see what it left there.
	for _, dir := range []string{r.tmp, filepath.Dir(r.tmp)} {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	t.Cleanup(cancel)
	r.cancel = cancel
	r.cmd = exec.CommandContext(ctx, os.Args[0], args...)
	r.cmd.Env = append(os.Environ(), roleEnv+"=1", "TMPDIR="+r.tmp, reportEnv+"="+r.report)
	r.cmd.Env = append(r.cmd.Env, extraEnv...)
	r.cmd.Stdout = os.Stdout
	r.cmd.Stderr = &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = r.cmd.Wait() // the outcome is read from r.cmd.ProcessState
		close(r.done)
	}()
	return r
}

// wait waits for testenv to exit and returns its exit status.
func (r *testenvRun) wait(t *testing.T) int {
	t.Helper()
	<-r.done
	t.Logf("testenv stderr:\n%s", r.stderr.String())
	return r.cmd.ProcessState.ExitCode()
}

// waitForReport waits until the probe (or the shell script standing in for
// it) has written its report, and returns it.
func (r *testenvRun) waitForReport(t *testing.T) string {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if data, err := os.ReadFile(r.report); err == nil {
			return string(data)
		}
		select {
		case <-r.done:
			t.Fatalf("testenv exited (%v) before CMD reported; stderr:\n%s", r.cmd.ProcessState, r.stderr.String())
		case <-tick.C:
		}
	}
}

// assertCleanedUp checks that testenv's TMPDIR is empty again.
func (r *testenvRun) assertCleanedUp(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir(r.tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}

// requireServers fails (never skips: see DESIGN.md §8) when the binaries
// testenv needs are missing.
func requireServers(t *testing.T) {
	t.Helper()
	if _, err := findPostgresBin(); err != nil {
		t.Fatalf("PostgreSQL is required for this test: %v", err)
	}
	if _, err := findMinioBin(); err != nil {
		t.Fatalf("MinIO is required for this test: %v", err)
	}
}

func TestExecRunsCommandAgainstLiveServersAndCleansUp(t *testing.T) {
	t.Parallel()
	requireServers(t)
	hold := filepath.Join(t.TempDir(), "release")
	r := startTestenv(t, []string{holdEnv + "=" + hold}, "exec", "--", os.Args[0], probeArg)

	dataDir := r.waitForReport(t)
	if !strings.HasPrefix(dataDir, r.tmp+string(filepath.Separator)) {
		t.Errorf("PostgreSQL data directory %s is not inside TMPDIR %s", dataDir, r.tmp)
	}
	procs := descendants(t, r.cmd.Process.Pid)
	for _, want := range []string{"postgres", "minio"} {
		if !hasProcessNamed(procs, want) {
			t.Errorf("no %s process among testenv's descendants %v", want, procs)
		}
	}
	if err := os.WriteFile(hold, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	if code := r.wait(t); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
	assertGone(t, procs)
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data directory still exists: %v", err)
	}
	r.assertCleanedUp(t)
}

func TestExecPropagatesExitStatus(t *testing.T) {
	t.Parallel()
	requireServers(t)
	r := startTestenv(t, []string{exitEnv + "=7"}, "exec", "--", os.Args[0], probeArg)
	if code := r.wait(t); code != 7 {
		t.Fatalf("exit status %d, want 7", code)
	}
	r.assertCleanedUp(t)
}

// A SIGTERM to testenv must reach CMD, and whatever CMD leaves running
// (here a background sleep, standing in for test binaries orphaned when
// `go test` dies) must be stopped too.
func TestExecSIGTERMStopsEverything(t *testing.T) {
	t.Parallel()
	requireServers(t)
	script := `sleep 300 & echo started > "$` + reportEnv + `"; wait`
	r := startTestenv(t, nil, "exec", "--", "sh", "-c", script)
	r.waitForReport(t)
	// The report is written as soon as the shell has forked the background job, which may not
	// have become sleep yet (it is still named sh until it execs): give it a moment.
	procs := descendants(t, r.cmd.Process.Pid)
	for deadline := time.Now().Add(10 * time.Second); !hasProcessNamed(procs, "sleep") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		procs = descendants(t, r.cmd.Process.Pid)
	}
	if !hasProcessNamed(procs, "sleep") {
		t.Fatalf("no sleep among testenv's descendants %v", procs)
	}

	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := r.wait(t); code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit status %d, want %d (CMD killed by SIGTERM)", code, 128+int(syscall.SIGTERM))
	}
	assertGone(t, procs)
	r.assertCleanedUp(t)
}

// When one server cannot start, the other must be stopped (whether it is
// still starting or already up) and everything removed before testenv
// reports the failure in the failing server's own words.
func TestExecStartupFailureCleansUp(t *testing.T) {
	t.Parallel()
	requireServers(t)
	for _, c := range []struct{ name, delay string }{
		{"at once", "0"},
		{"late", "4"}, // by then PostgreSQL is up: initdb and start take ~1.5 s
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fakeMinio := filepath.Join(t.TempDir(), "minio")
			script := "#!/bin/sh\nsleep " + c.delay + "\necho 'boom: cannot start' >&2\nexit 1\n"
			if err := os.WriteFile(fakeMinio, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			r := startTestenv(t, []string{"MSPHUB_MINIO_BIN=" + fakeMinio}, "exec", "--", "true")
			if code := r.wait(t); code != 1 {
				t.Errorf("exit status %d, want 1", code)
			}
			for _, want := range []string{"MinIO exited while starting", "boom: cannot start"} {
				if !strings.Contains(r.stderr.String(), want) {
					t.Errorf("stderr lacks %q", want)
				}
			}
			if strings.Contains(r.stderr.String(), "PostgreSQL") {
				t.Errorf("stderr blames PostgreSQL for MinIO's failure")
			}
			assertNoProcessMentions(t, r.tmp)
			r.assertCleanedUp(t)
		})
	}
}

func TestExecMissingMinioPointsToDeps(t *testing.T) {
	t.Parallel()
	r := startTestenv(t, []string{"MSPHUB_MINIO_BIN=", "MSPHUB_CACHE=" + t.TempDir()}, "exec", "--", "true")
	if code := r.wait(t); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if !strings.Contains(r.stderr.String(), ".ci/deps.sh") {
		t.Errorf("stderr does not tell to run .ci/deps.sh: %s", r.stderr.String())
	}
	r.assertCleanedUp(t)
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "MSPHUB_TEST_POSTGRES_URL") {
		t.Errorf("usage does not list the variables:\n%s", out.String())
	}
	for _, args := range [][]string{nil, {"exec"}, {"exec", "--"}, {"up", "x"}, {"postgres"}, {"postgres", "a", "b"}, {"bogus"}} {
		if err := run(context.Background(), args, &out, &errOut); !errors.Is(err, errUsage) {
			t.Errorf("run(%q) = %v, want usage error", args, err)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		sign int
	}{{"15", "9.6", 1}, {"9.6", "10", -1}, {"16", "16", 0}, {"16.1", "16", 1}} {
		if got := compareVersions(c.a, c.b); sign(got) != c.sign {
			t.Errorf("compareVersions(%q, %q) = %d, want sign %d", c.a, c.b, got, c.sign)
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func TestShellQuoteAssignment(t *testing.T) {
	if got, want := shellQuoteAssignment("K=a'b=c"), `K='a'\''b=c'`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestReadStatHandlesOddNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stat")
	if err := os.WriteFile(path, []byte("42 (a) b (c) S 7 42 42 0 -1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pid, name, ppid, ok := readStat(path)
	if !ok || pid != 42 || name != "a) b (c" || ppid != 7 {
		t.Errorf("readStat = %d %q %d %v", pid, name, ppid, ok)
	}
}

// procInfo identifies a process across time: a PID plus its start time,
// so that a reused PID is not mistaken for a survivor.
type procInfo struct {
	pid   int
	name  string
	start string
}

func (p procInfo) String() string { return fmt.Sprintf("%d(%s)", p.pid, p.name) }

// readProc reads a process's name, parent, state and start time.
func readProc(pid int) (info procInfo, ppid int, state string, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procInfo{}, 0, "", false
	}
	open, end := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
	fields := strings.Fields(string(data[end+1:])) // fields[0] is stat field 3
	if open < 0 || end < open || len(fields) < 20 {
		return procInfo{}, 0, "", false
	}
	ppid, _ = strconv.Atoi(fields[1])
	return procInfo{pid: pid, name: string(data[open+1 : end]), start: fields[19]}, ppid, fields[0], true
}

// descendants lists every process below root.
func descendants(t *testing.T, root int) []procInfo {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		t.Fatal(err)
	}
	children := map[int][]procInfo{}
	for _, dir := range stats {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		if info, ppid, _, ok := readProc(pid); ok {
			children[ppid] = append(children[ppid], info)
		}
	}
	var out []procInfo
	queue := []int{root}
	for len(queue) > 0 {
		for _, c := range children[queue[0]] {
			out = append(out, c)
			queue = append(queue, c.pid)
		}
		queue = queue[1:]
	}
	return out
}

func hasProcessNamed(procs []procInfo, name string) bool {
	for _, p := range procs {
		if p.name == name {
			return true
		}
	}
	return false
}

// assertGone fails for each process in procs still running (zombies count
// as gone: they no longer run, and their reaping is init's job once testenv
// has exited). The grace covers init's reaping delay only; testenv has
// already exited and claims to have stopped everything.
func assertGone(t *testing.T, procs []procInfo) {
	t.Helper()
	var alive []procInfo
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		alive = alive[:0]
		for _, p := range procs {
			info, _, state, ok := readProc(p.pid)
			if ok && info.start == p.start && state != "Z" {
				alive = append(alive, p)
			}
		}
		if len(alive) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(alive) > 0 {
		t.Errorf("processes still running after testenv exited: %v", alive)
	}
}

// assertNoProcessMentions fails if any process's command line mentions s,
// for cases where the processes to look for were never observed.
func assertNoProcessMentions(t *testing.T, s string) {
	t.Helper()
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, path := range cmdlines {
		data, err := os.ReadFile(path)
		if err == nil && bytes.Contains(data, []byte(s)) {
			t.Errorf("process %s still running: %s", filepath.Base(filepath.Dir(path)),
				bytes.ReplaceAll(data, []byte{0}, []byte{' '}))
		}
	}
}

// `testenv postgres DIR` keeps its cluster's data, port and password across a fast shutdown
// (SIGTERM to testenv) and across its postmaster being SIGKILLed, a commit acknowledged before
// the kill is there afterwards, and no process is left behind either way.
func TestOwnPostgresRestartsOnItsData(t *testing.T) {
	t.Parallel()
	requireServers(t)
	parent := t.TempDir()
	for _, d := range []string{parent, filepath.Dir(parent)} { // as root, the postgres user must enter it
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(parent, "cluster")
	bin, _ := findPostgresBin()
	psql := func(url, sql string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, "psql"), url, "-XAtc", sql)
		cmd.Env = childEnv("PG")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("psql %q: %v\n%s", sql, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	start := func() (*exec.Cmd, string) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "postgres", dir)
		cmd.Env = append(os.Environ(), roleEnv+"=1")
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			t.Fatalf("testenv postgres printed no URL: %v", err)
		}
		return cmd, strings.TrimSpace(line)
	}
	stopped := func(cmd *exec.Cmd, want int) {
		t.Helper()
		procs := descendants(t, cmd.Process.Pid)
		if !hasProcessNamed(procs, "postgres") {
			t.Errorf("no postgres process among testenv's descendants %v", procs)
		}
		_ = cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != want {
			t.Errorf("testenv postgres exited with %d, want %d", code, want)
		}
		assertGone(t, procs)
	}

	cmd, url := start()
	psql(url, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	stopped(cmd, 0)

	cmd, again := start()
	if again != url {
		t.Errorf("started again at %s, first at %s", again, url)
	}
	psql(url, "INSERT INTO kept VALUES (2)")
	pidFile, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	postmaster, err := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(postmaster, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	stopped(cmd, 1)

	cmd, _ = start()
	if got := psql(url, "SELECT string_agg(n::text, ',' ORDER BY n) FROM kept"); got != "1,2" {
		t.Errorf("rows after the restarts: %q, want 1,2", got)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	stopped(cmd, 0)
}
