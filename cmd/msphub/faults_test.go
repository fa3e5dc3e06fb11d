package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// The fault scenarios (issue 16) run real processes on loopback, each bounded to 60 s, under a
// bounded load of reads, uploads and writes, and then check the invariants: no row points at a
// missing object (storage verify), every accepted write is there and intact, the audit log
// verifies, and the server recovered by itself. They belong to the PostgreSQL + MinIO run.

// onBackend reports whether a fault scenario belongs to the backend under test, saying so when
// it does not.
func onBackend(t *testing.T, backend string) bool {
	if modelstest.Backend() != backend {
		t.Logf("this fault scenario runs with MSPHUB_TEST_BACKEND=%s", backend)
		return false
	}
	return true
}

// bounded bounds a scenario to 60 s: the context it returns ends then, and the test fails if
// it has ended by the time the test does.
func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(func() {
		if ctx.Err() != nil {
			t.Error("the scenario took over 60 s")
		}
		cancel()
	})
	return ctx
}

// faultLoad is what a load of uploads, downloads and writes saw: the uploads MSP Hub accepted,
// and the answers to those it refused.
type faultLoad struct {
	mu       sync.Mutex
	accepted []storedFile
	courses  []int64 // courses created (writes that were accepted)
	cut      int     // downloads cut off after their headers
	refused  []string
	failures []error // answers that break the rules whatever the fault
}

func (l *faultLoad) add(f func(l *faultLoad)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l)
}

// slowBody is an upload's content fed in small pieces over about a second, so that a fault
// lands while it streams. Closing it ends the feeding.
func slowBody(content string) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < len(content); i += 64 << 10 {
			if _, err := io.WriteString(pw, content[i:min(i+64<<10, len(content))]); err != nil {
				return
			}
			time.Sleep(15 * time.Millisecond)
		}
		pw.Close()
	}()
	return pr
}

// streamUpload uploads content as course material through a slow, streamed multipart body and
// returns the status and body of the answer.
func (c *apiClient) streamUpload(ctx context.Context, course int64, content string) (int, string, error) {
	body := slowBody(content)
	defer body.Close() // the server may answer before it has read it all
	return c.streamForm(ctx, fmt.Sprintf("/api/v1/courses/%d/materials", course), body, "title", "Material under load")
}

// streamForm posts a multipart form to path, streamed: the fields (name, value, ...), then a
// file part read from file.
func (c *apiClient) streamForm(ctx context.Context, path string, file io.Reader, fields ...string) (int, string, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		// The server may answer (and stop reading) before the body is written: every write
		// can fail, and the pipe is closed with the failure.
		for i := 0; i+1 < len(fields); i += 2 {
			if err := mw.WriteField(fields[i], fields[i+1]); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		fw, err := mw.CreateFormFile("file", "material.txt")
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		if _, err := io.Copy(fw, file); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(mw.Close())
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+path, pr)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.roundTrip(req)
}

// runLoad runs uploaders, a reader and a writer against the server until ctx ends.
func runLoad(ctx context.Context, c *apiClient, course int64, l *faultLoad) {
	var wg sync.WaitGroup
	var seq sync.Mutex
	n := 0
	next := func() int { seq.Lock(); defer seq.Unlock(); n++; return n }
	for range 3 { // uploads of about 1 MB each, streamed over about a second
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next()
				content := strings.Repeat(fmt.Sprintf("Load file %d: a statement taken under caution.\n", i), 24000)
				code, body, err := c.streamUpload(context.WithoutCancel(ctx), course, content)
				switch {
				case err != nil:
					l.add(func(l *faultLoad) { l.failures = append(l.failures, fmt.Errorf("upload %d: no answer: %w", i, err)) })
				case code == http.StatusCreated:
					var f storedFile
					f.content = content
					id := jsonID(body)
					f.download = fmt.Sprintf("/api/v1/courses/%d/materials/%d/download?version=1", course, id)
					l.add(func(l *faultLoad) { l.accepted = append(l.accepted, f) })
				default:
					l.add(func(l *faultLoad) { l.refused = append(l.refused, fmt.Sprintf("%d %s", code, body)) })
				}
			}
		})
	}
	wg.Go(func() { // reads of what was accepted
		for ctx.Err() == nil {
			l.mu.Lock()
			var f *storedFile
			if len(l.accepted) > 0 {
				f = &l.accepted[len(l.accepted)-1]
			}
			l.mu.Unlock()
			if f != nil {
				code, b, err := c.get(f.download)
				switch {
				case err != nil: // cut off mid-file, as SendFile does when the store fails: never passed off as whole
					l.add(func(l *faultLoad) { l.cut++ })
				case code == http.StatusOK && b != f.content:
					l.add(func(l *faultLoad) {
						l.failures = append(l.failures, fmt.Errorf("%s gave other bytes than were uploaded", f.download))
					})
				case code != http.StatusOK && code != http.StatusServiceUnavailable:
					l.add(func(l *faultLoad) {
						l.failures = append(l.failures, fmt.Errorf("download %s during the fault: %d %s, want 200 or 503", f.download, code, b))
					})
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	wg.Go(func() { // writes that touch only the database
		for ctx.Err() == nil {
			if id, err := c.tryCourse(); err == nil {
				l.add(func(l *faultLoad) { l.courses = append(l.courses, id) })
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	wg.Wait()
}

// startLoad runs runLoad until the stop it returns is called; stop waits for the load to end.
func startLoad(ctx context.Context, c *apiClient, course int64) (l *faultLoad, stop func(t *testing.T)) {
	l = &faultLoad{}
	loadCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { runLoad(loadCtx, c, course, l); close(done) }()
	return l, func(t *testing.T) {
		t.Helper()
		cancel()
		select {
		case <-done:
		case <-ctx.Done():
			t.Fatal("the load did not finish within the scenario's 60 s")
		}
	}
}

// get downloads path whole, or returns the status and page of a refusal. A download cut off
// after its headers (the store failing mid-file) is an error: the bytes were never whole.
func (c *apiClient) get(path string) (int, string, error) {
	req, err := http.NewRequest("GET", c.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	return c.roundTrip(req)
}

// post sends a JSON body and returns the status and body of the answer.
func (c *apiClient) post(path, body string) (int, string, error) {
	req, err := http.NewRequest("POST", c.base+path, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.roundTrip(req)
}

// roundTrip sends req with the client's token and returns the status and the whole body of the
// answer; a body cut off is an error.
func (c *apiClient) roundTrip(req *http.Request) (int, string, error) {
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func jsonID(body string) int64 {
	var id int64
	if i := strings.Index(body, `"id":`); i >= 0 {
		fmt.Sscan(strings.TrimLeft(body[i+5:], " "), &id)
	}
	return id
}

// checkInvariants checks, after a fault: every accepted upload downloads intact and every
// accepted write is there, there are no more blob rows than accepted uploads (a failed upload
// left no row; unanswered ones, those in flight when MSP Hub itself died, may have committed),
// storage verify and audit verify pass, and the server takes a new upload.
func checkInvariants(t *testing.T, vars map[string]string, c *apiClient, course int64, l *faultLoad, unanswered int) {
	t.Helper()
	for _, err := range l.failures {
		t.Error(err)
	}
	for _, f := range l.accepted {
		if b := c.do(t, "GET", f.download, "", nil, http.StatusOK); string(b) != f.content {
			t.Errorf("%s: an accepted upload came back different", f.download)
		}
	}
	for _, id := range l.courses {
		c.do(t, "GET", fmt.Sprintf("/api/v1/courses/%d", id), "", nil, http.StatusOK)
	}
	if ids, _ := blobRows(t, vars); len(ids) < len(l.accepted) || len(ids) > len(l.accepted)+unanswered {
		t.Errorf("%d blob rows for %d accepted uploads (%d unanswered): a refused upload left a row, or an accepted one lost it",
			len(ids), len(l.accepted), unanswered)
	}
	var out, logs bytes.Buffer
	if err := run(context.Background(), []string{"storage", "verify"}, env(vars), strings.NewReader(""), &out, &logs); err != nil {
		t.Errorf("storage verify after the fault: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"audit", "verify"}, env(vars), strings.NewReader(""), &out, &logs); err != nil {
		t.Errorf("audit verify after the fault: %v\n%s", err, out.String())
	}
	c.upload(t, course, fileContent(1))
}

// MinIO SIGKILLed while uploads stream, and started again on the same port and data: the uploads
// in flight are refused with 503 and the store's message, and leave no row; every accepted
// upload, read and write is intact; MSP Hub, never restarted, takes uploads again by itself.
func TestFaultMinIOKilledMidUpload(t *testing.T) {
	if !onBackend(t, "postgres") {
		return
	}
	ctx := bounded(t)
	m, vars := ownMinIOEnv(t)
	c := newTrainerClient(t, vars)
	c.base = startServer(t, vars).URL
	course := c.course(t)

	l, stopLoad := startLoad(ctx, c, course)
	time.Sleep(3 * time.Second)
	m.stop() // SIGKILL to MinIO's process group, uploads streaming
	killed := time.Now()
	time.Sleep(3 * time.Second)
	m.start(t)
	t.Logf("MinIO was down for %v", time.Since(killed).Round(time.Millisecond))
	time.Sleep(4 * time.Second)
	stopLoad(t)
	t.Logf("%d uploads accepted, %d refused, %d courses created, %d downloads cut off", len(l.accepted), len(l.refused), len(l.courses), l.cut)
	if len(l.refused) == 0 {
		t.Error("no upload was refused: the kill did not land during the load")
	}
	refusedByTheStore(t, l)
	checkInvariants(t, vars, c, course, l, 0)
}

// refusedByTheStore checks that every upload refused while MinIO was down was answered 503 with
// the file store's message.
func refusedByTheStore(t *testing.T, l *faultLoad) {
	t.Helper()
	for _, r := range l.refused {
		if !strings.HasPrefix(r, "503 ") || !strings.Contains(r, "The file store is not answering, so the file was not saved") {
			t.Errorf("an upload in flight when MinIO died was answered %s, want 503 with the file store's message", r)
		}
	}
}

// MinIO SIGKILLed while a case's pack streams as a ZIP to a slow reader, under load: the export
// fails loudly (the answer is cut short and what arrived is not a whole ZIP), never a pack cut
// short passed off as complete. MinIO started again, the invariants hold and the pack exports
// whole, every exhibit in it intact.
func TestFaultMinIOKilledMidExport(t *testing.T) {
	if !onBackend(t, "postgres") {
		return
	}
	ctx := bounded(t)
	m, vars := ownMinIOEnv(t)
	const org = "devon-and-cornwall-police"
	supervisor, _ := createUser(t, vars, org, "supervisor")
	c := newClient(t, vars, org, "investigator,trainer")
	c.base = startServer(t, vars).URL
	course := c.course(t)
	caseID := jsonID(string(c.do(t, "POST", "/api/v1/casefiles", "application/json", strings.NewReader(fmt.Sprintf(
		`{"urn":"45AB1234523","operation":"Op Fault","offences":["msa_s2"],"classification":"OFFICIAL","supervisor_id":%d}`, supervisor)), http.StatusCreated)))
	var exhibits []storedFile
	for i := range 4 { // about 32 MB in all, so that the pack streams for seconds to a slow reader
		content := strings.Repeat(fmt.Sprintf("Exhibit %d: a bank statement line, read back and agreed.\n", i), 150000)
		code, body, err := c.streamForm(ctx, fmt.Sprintf("/api/v1/casefiles/%d/evidence", caseID), strings.NewReader(content),
			"exhibit_ref", fmt.Sprintf("FT/%d", i), "description", "Bank statements", "producer", "DC Fault")
		if err != nil || code != http.StatusCreated {
			t.Fatalf("upload exhibit %d: %d %s %v", i, code, body, err)
		}
		exhibits = append(exhibits, storedFile{content: content, download: fmt.Sprintf("/api/v1/casefiles/%d/evidence/%d/content", caseID, jsonID(body))})
	}
	export := fmt.Sprintf("/api/v1/casefiles/%d/export", caseID)

	l, stopLoad := startLoad(ctx, c, course)
	l.add(func(l *faultLoad) { l.accepted = append(l.accepted, exhibits...) })
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+export, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %v %v", resp, err)
	}
	got := make(chan []byte)
	var readErr error
	go func() { // a reader on a slow line: 64 KiB every 10 ms, about 6 MB/s
		defer resp.Body.Close()
		var b bytes.Buffer
		for {
			var n int64
			n, readErr = io.CopyN(&b, resp.Body, 64<<10)
			if n == 0 || readErr != nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		got <- b.Bytes()
	}()
	time.Sleep(1500 * time.Millisecond)
	m.stop() // SIGKILL to MinIO's process group, the pack streaming
	var pack []byte
	select {
	case pack = <-got:
	case <-ctx.Done():
		t.Fatal("the export neither finished nor failed within the scenario's 60 s")
	}
	m.start(t) // only now: minio-go's retries must not carry the export over the outage
	t.Logf("the export ended after %s: %v", core.HumanBytes(int64(len(pack))), readErr)
	if readErr == nil || errors.Is(readErr, io.EOF) {
		t.Errorf("the export ended cleanly after %d bytes, MinIO killed: a client would take the pack as whole", len(pack))
	}
	if _, err := zip.NewReader(bytes.NewReader(pack), int64(len(pack))); err == nil {
		t.Errorf("the %d bytes of the export cut short open as a whole ZIP", len(pack))
	}
	time.Sleep(2 * time.Second)
	stopLoad(t)
	t.Logf("%d uploads accepted, %d refused, %d courses created, %d downloads cut off", len(l.accepted), len(l.refused), len(l.courses), l.cut)
	refusedByTheStore(t, l)
	checkInvariants(t, vars, c, course, l, 0)

	pack = c.do(t, "GET", export, "", nil, http.StatusOK)
	zr, err := zip.NewReader(bytes.NewReader(pack), int64(len(pack)))
	if err != nil {
		t.Fatalf("the export after MinIO came back is not a ZIP: %v", err)
	}
	var intact int
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "evidence/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err == nil && slices.ContainsFunc(exhibits, func(e storedFile) bool { return e.content == string(b) }) {
			intact++
		}
	}
	if intact != len(exhibits) {
		t.Errorf("the pack exported after MinIO came back holds %d of the %d exhibits intact", intact, len(exhibits))
	}
}

// newProxy is toxiproxy, in-process, between MSP Hub and upstream (host:port), on a loopback
// port of its own. Stopping it cuts every connection and refuses new ones, as a restart of the
// server behind it does; starting it again on the same port is that server back. Toxics on it
// slow or black-hole the connections.
func newProxy(t *testing.T, name, upstream string) *toxiproxy.Proxy {
	t.Helper()
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	proxy := toxiproxy.NewProxy(api, name, "127.0.0.1:0", upstream)
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Stop)
	return proxy
}

// pgProxy puts a proxy between MSP Hub and the test PostgreSQL: dbURL reaches the database
// through it.
func pgProxy(t *testing.T, direct string) (dbURL string, proxy *toxiproxy.Proxy) {
	t.Helper()
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	proxy = newProxy(t, "postgres", u.Host)
	u.Host = proxy.Listen
	return u.String(), proxy
}

// logServerErrors logs the server's error lines if the test fails, to see why a request did.
func logServerErrors(t *testing.T, srv *testServer) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, line := range strings.Split(srv.logs.String(), "\n") {
			if strings.Contains(line, `"level":"ERROR"`) {
				t.Log(line)
			}
		}
	})
}

// goroutines counts the goroutines of this process, where the server runs, but for the pools:
// those of the proxies (the test's, about six for each connection through them) and those
// that hold an idle HTTP connection open (MSP Hub's to the store; the client's are closed
// first). A pool may end a fault larger than it began without anything leaking; a request,
// query or timer left waiting still counts.
func goroutines() int {
	http.DefaultClient.CloseIdleConnections()
	buf := make([]byte, 8<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if !strings.Contains(g, "toxiproxy") && !strings.Contains(g, "created by net/http.(*Transport).dialConn") {
			n++
		}
	}
	return n
}

// checkNoLeak waits up to 10 s for the goroutines to settle back to before, within a small
// margin, and fails with every goroutine's stack if they do not.
func checkNoLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for goroutines() > before+5 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if after := goroutines(); after > before+5 {
		buf := make([]byte, 8<<20)
		t.Errorf("%d goroutines after the fault, %d before: a leak\n%s", after, before, buf[:runtime.Stack(buf, true)])
	}
}

// ownPostgres is a PostgreSQL cluster of the test's own, run by `testenv postgres` (the shared
// one cannot be restarted: other tests use it), which the test stops and starts again on the
// same data, port and password.
type ownPostgres struct {
	testenv, dir, url string
	cmd               *exec.Cmd // nil while it is down
	logs              apitest.SyncBuffer
}

// newOwnPostgres creates the cluster and starts it; it stops when the test ends.
func newOwnPostgres(t *testing.T) *ownPostgres {
	t.Helper()
	testenv := os.Getenv("MSPHUB_TESTENV")
	if testenv == "" {
		t.Fatal("MSPHUB_TESTENV is not set: run the fault tests under bin/testenv exec, as make test does")
	}
	// Not t.TempDir(), which is private: as root, the cluster runs as the postgres user.
	parent, err := os.MkdirTemp("", "msphub-fault-postgres-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &ownPostgres{testenv: testenv, dir: filepath.Join(parent, "cluster")}
	p.start(t)
	t.Cleanup(p.stop)
	return p
}

// start starts the cluster and waits until it accepts connections.
func (p *ownPostgres) start(t *testing.T) {
	t.Helper()
	cmd := exec.Command(p.testenv, "postgres", p.dir)
	cmd.Stderr = &p.logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Wait()
		t.Fatalf("testenv postgres did not start: %v\n%s", err, p.logs.String())
	}
	p.cmd = cmd
	if url := strings.TrimSpace(line); p.url == "" {
		p.url = url
	} else if url != p.url {
		t.Fatalf("PostgreSQL came back at %s, not %s", url, p.url)
	}
}

// stop shuts PostgreSQL down fast (testenv gives the postmaster SIGINT: every client is cut off,
// the data checkpointed) and waits until it is down.
func (p *ownPostgres) stop() {
	if p.cmd != nil {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		_ = p.cmd.Wait()
		p.cmd = nil
	}
}

// kill SIGKILLs the postmaster, as a crash would, and waits until testenv has cleared away the
// backends it left.
func (p *ownPostgres) kill(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.dir, "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	p.cmd = nil
}

// A real PostgreSQL of the test's own, restarted twice under a load of reads, writes, uploads
// and downloads: a fast shutdown, then its postmaster SIGKILLed, each time down for 3 s and
// started again on the same data. Requests during the outage get 503 with the database's
// message, never 500; MSP Hub, not restarted, answers again within 5 s of the database coming
// back; every write and upload it accepted is there and intact; storage verify and audit verify
// pass; no goroutine is left behind.
func TestFaultPostgresRestartedUnderLoad(t *testing.T) {
	if !onBackend(t, "postgres") {
		return
	}
	ctx := bounded(t)
	pg := newOwnPostgres(t)
	vars := backendEnv(t)
	vars["MSPHUB_DATABASE_URL"] = pg.url
	c := newTrainerClient(t, vars)
	srv := startServer(t, vars)
	c.base = srv.URL
	logServerErrors(t, srv)
	course := c.course(t)
	before := goroutines()

	l, stopLoad := startLoad(ctx, c, course)
	var mu sync.Mutex
	answers := map[int]int{}
	checkCtx, stopChecks := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range 2 { // reads and writes whose every answer is checked
		wg.Go(func() {
			for checkCtx.Err() == nil {
				code, body, err := c.get("/api/v1/courses?limit=20")
				if err == nil && code == http.StatusOK {
					code, body, err = c.post("/api/v1/courses", fmt.Sprintf(`{"code":"FT-%d","title":"Fault test course","description":"Written under a fault.","cpd_hours":1,"classification":"OFFICIAL"}`, courseSeq.Add(1)))
					if err == nil && code == http.StatusCreated {
						l.add(func(l *faultLoad) { l.courses = append(l.courses, jsonID(body)) })
					}
				}
				mu.Lock()
				answers[code]++
				mu.Unlock()
				if wrong := refusedByTheDatabase(code, body, err); wrong != nil {
					l.add(func(l *faultLoad) { l.failures = append(l.failures, fmt.Errorf("during the outage: %w", wrong)) })
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	for _, outage := range []struct {
		name string
		stop func(t *testing.T)
	}{
		{"fast shutdown", func(*testing.T) { pg.stop() }},
		{"postmaster SIGKILLed", pg.kill},
	} {
		time.Sleep(2 * time.Second)
		outage.stop(t)
		down := time.Now()
		time.Sleep(3 * time.Second)
		pg.start(t)
		t.Logf("%s: PostgreSQL down for %v", outage.name, time.Since(down).Round(time.Millisecond))
		recovered(t, c, "/api/v1/courses?limit=1")
	}
	time.Sleep(2 * time.Second)
	stopChecks()
	wg.Wait()
	stopLoad(t)
	t.Logf("answers to the checked reads and writes: %v", answers)
	t.Logf("%d uploads accepted, %d refused, %d courses created, %d downloads cut off", len(l.accepted), len(l.refused), len(l.courses), l.cut)
	if answers[http.StatusServiceUnavailable] == 0 {
		t.Error("no request met the outage")
	}
	// An upload refused as its commit was cut off may have committed: its outcome is unknown.
	for _, r := range l.refused {
		status, body, _ := strings.Cut(r, " ")
		code, _ := strconv.Atoi(status)
		if wrong := refusedByTheDatabase(code, body, nil); wrong != nil {
			t.Errorf("an upload during the outage: %v", wrong)
		}
	}
	checkInvariants(t, vars, c, course, l, len(l.refused))
	checkNoLeak(t, before)
}

// refusedByTheDatabase says what is wrong with an answer given while PostgreSQL may be down:
// anything but a success or a 503 with the database's message.
func refusedByTheDatabase(code int, body string, err error) error {
	switch {
	case err != nil:
		return fmt.Errorf("no answer: %w", err)
	case code == http.StatusServiceUnavailable && !strings.Contains(body, "The database is not answering. Try again in a moment."):
		return fmt.Errorf("503 without the database's message: %s", body)
	case code != http.StatusOK && code != http.StatusCreated && code != http.StatusServiceUnavailable:
		return fmt.Errorf("%d: %s", code, body)
	}
	return nil
}

// toxics slow a proxy's connections (every answer 3 s late), then black-hole them (the
// connection stays open, every byte is dropped, until the toxic goes).
var toxics = []struct{ name, json string }{
	{"slow", `{"name":"fault","type":"latency","stream":"downstream","attributes":{"latency":3000}}`},
	{"black-holed", `{"name":"fault","type":"timeout","stream":"upstream","attributes":{"timeout":0}}`},
}

// PostgreSQL slow, then black-holed, under load, with a request timeout of 2 s: a request that
// needs it is answered 503 with the service's message within the timeout (and a margin);
// MSP Hub answers again by itself within 5 s of the toxic going; the invariants hold and no
// goroutine is left behind.
func TestFaultPostgresSlowAndBlackHoled(t *testing.T) {
	slowAndBlackHoled(t, "postgres")
}

// MinIO slow, then black-holed, under load: as for PostgreSQL, downloads and uploads waiting on
// the store are answered 503 within the timeout.
func TestFaultMinIOSlowAndBlackHoled(t *testing.T) {
	slowAndBlackHoled(t, "minio")
}

func slowAndBlackHoled(t *testing.T, dependency string) {
	if !onBackend(t, "postgres") {
		return
	}
	ctx := bounded(t)
	const timeout = 2 * time.Second
	vars := backendEnv(t)
	vars["MSPHUB_REQUEST_TIMEOUT"] = timeout.String()
	var proxy *toxiproxy.Proxy
	if dependency == "postgres" {
		vars["MSPHUB_DATABASE_URL"], proxy = pgProxy(t, vars["MSPHUB_DATABASE_URL"])
	} else {
		proxy = newProxy(t, "minio", vars["MSPHUB_S3_ENDPOINT"])
		vars["MSPHUB_S3_ENDPOINT"] = proxy.Listen
	}
	c := newTrainerClient(t, vars)
	srv := startServer(t, vars)
	c.base = srv.URL
	logServerErrors(t, srv)
	course := c.course(t)
	probe := storedFile{download: "/api/v1/courses?limit=5"} // a read of the database
	if dependency == "minio" {
		probe = c.upload(t, course, fileContent(1)) // a read of the store
	}
	before := goroutines()

	l, stopLoad := startLoad(ctx, c, course)
	if dependency == "minio" {
		l.add(func(l *faultLoad) { l.accepted = append(l.accepted, probe) })
	}
	for _, toxic := range toxics {
		time.Sleep(time.Second)
		if _, err := proxy.Toxics.AddToxicJson(strings.NewReader(toxic.json)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		code, body, err := c.get(probe.download)
		took := time.Since(start)
		t.Logf("%s %s: answered %d in %v", dependency, toxic.name, code, took.Round(time.Millisecond))
		if err != nil || code != http.StatusServiceUnavailable || !strings.Contains(body, "The service is not responding. Try again in a minute.") {
			t.Errorf("%s %s: %d %s %v, want 503 saying the service is not responding", dependency, toxic.name, code, body, err)
		}
		if took > timeout+1500*time.Millisecond {
			t.Errorf("%s %s: answered in %v, want within the %v timeout", dependency, toxic.name, took, timeout)
		}
		time.Sleep(2 * time.Second) // the load meets the fault too
		if err := proxy.Toxics.RemoveToxic(ctx, "fault"); err != nil {
			t.Fatal(err)
		}
		recovered(t, c, probe.download)
	}
	stopLoad(t)
	t.Logf("%d uploads accepted, %d refused, %d courses created, %d downloads cut off", len(l.accepted), len(l.refused), len(l.courses), l.cut)
	// An upload that timed out waiting for the database's answer to its commit may have
	// committed: its outcome is unknown, like an unanswered one's.
	unknown := 0
	for _, r := range l.refused {
		switch {
		case !strings.HasPrefix(r, "503 "):
			t.Errorf("an upload during the fault was answered %s, want 503", r)
		case dependency == "postgres":
			unknown++
		}
	}
	checkInvariants(t, vars, c, course, l, unknown)
	checkNoLeak(t, before)
}

// recovered waits up to 5 s for path to answer 200 again, the fault gone.
func recovered(t *testing.T, c *apiClient, path string) {
	t.Helper()
	back := time.Now()
	for {
		if code, _, _ := c.get(path); code == http.StatusOK {
			t.Logf("recovered %v after the fault went", time.Since(back).Round(time.Millisecond))
			return
		}
		if time.Since(back) > 5*time.Second {
			t.Fatalf("MSP Hub did not answer %s within 5 s of the fault going", path)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// hubProcess is `msphub serve` as a real process, so that it can be SIGKILLed.
type hubProcess struct {
	cmd  *exec.Cmd
	logs *apitest.SyncBuffer
}

// startHub runs the msphub binary with vars on addr and waits until it listens.
func startHub(t *testing.T, vars map[string]string, addr string) *hubProcess {
	t.Helper()
	vars = maps.Clone(vars)
	vars["MSPHUB_ADDR"] = addr
	return startProcess(t, exec.Command(binary(t), "serve"), vars)
}

// startProcess starts cmd, msphub serve or a command that execs it, with vars as its
// environment beside PATH, and waits until it listens.
func startProcess(t *testing.T, cmd *exec.Cmd, vars map[string]string) *hubProcess {
	t.Helper()
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	h := &hubProcess{cmd: cmd, logs: &apitest.SyncBuffer{}}
	cmd.Stderr, cmd.Stdout = h.logs, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.kill)
	deadline := time.Now().Add(30 * time.Second)
	for listeningAddr(h.logs.String()) == "" {
		if time.Now().After(deadline) {
			t.Fatalf("msphub not listening within 30 s:\n%s", h.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return h
}

func (h *hubProcess) kill() {
	if h.cmd.ProcessState == nil {
		_ = h.cmd.Process.Signal(syscall.SIGKILL)
		_ = h.cmd.Wait()
	}
}

// MSP Hub SIGKILLed while uploads stream and courses are written, then started again: every
// upload and write it had accepted is there and intact, no blob row lacks its object (storage
// verify), the audit log verifies, and the restarted server takes uploads.
func TestFaultMSPHubKilledMidUpload(t *testing.T) {
	if !onBackend(t, "postgres") {
		return
	}
	ctx := bounded(t)
	vars := backendEnv(t)
	delete(vars, "MSPHUB_ADDR")
	c := newTrainerClient(t, vars)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	h := startHub(t, vars, addr)
	c.base = "http://" + addr
	course := c.course(t)

	l, stopLoad := startLoad(ctx, c, course)
	time.Sleep(3 * time.Second)
	h.kill() // SIGKILL, uploads streaming and writes in flight
	stopLoad(t)
	// Uploads cut by the kill got no answer: they may or may not have committed.
	n := len(l.failures)
	l.failures = slices.DeleteFunc(l.failures, func(err error) bool { return strings.Contains(err.Error(), "no answer") })
	unanswered := n - len(l.failures)
	startHub(t, vars, addr)
	t.Logf("%d uploads accepted, %d refused, %d courses created before the kill", len(l.accepted), len(l.refused), len(l.courses))
	if len(l.accepted) == 0 {
		t.Error("no upload was accepted before the kill")
	}
	checkInvariants(t, vars, c, course, l, unanswered)
}

// startHubOnSmallDisk runs the msphub binary with its blob store on a tmpfs of size bytes that
// exists only for it: the process runs in its own mount namespace (a user namespace too when
// the test is not root), where the tmpfs is mounted over the data directory's blobs folder.
func startHubOnSmallDisk(t *testing.T, vars map[string]string, size int64) *hubProcess {
	t.Helper()
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatal("the disk-full scenario needs unshare (util-linux) to mount its small disk")
	}
	blobs := filepath.Join(vars["MSPHUB_DATA_DIR"], "blobs")
	if err := os.MkdirAll(blobs, 0o700); err != nil {
		t.Fatal(err)
	}
	args := []string{"--mount"}
	if os.Geteuid() != 0 {
		args = append(args, "--user", "--map-root-user")
	}
	args = append(args, "sh", "-c", `mount -t tmpfs -o size="$1" msphub-test "$2" && exec "$3" serve`, "sh", strconv.FormatInt(size, 10), blobs, binary(t))
	return startProcess(t, exec.Command(unshare, args...), vars)
}

// The embedded default's disk full (a 4 MB tmpfs under the blob store): an upload that does not
// fit is refused with a clear message and leaves nothing behind (no row, and its partial file is
// gone: the space is free again for a smaller upload), and what was stored before is intact.
func TestFaultDiskFull(t *testing.T) {
	if !onBackend(t, "sqlite") { // the embedded default's disk
		return
	}
	ctx := bounded(t)
	vars := backendEnv(t)
	c := newTrainerClient(t, vars)
	h := startHubOnSmallDisk(t, vars, 4<<20)
	c.base = "http://" + listeningAddr(h.logs.String())
	course := c.course(t)

	first := c.upload(t, course, strings.Repeat("A statement that fits on the disk.\n", 30000)) // about 1 MB
	code, body, err := c.streamUpload(ctx, course, strings.Repeat(fileContent(2), 40))          // about 6 MB
	if err != nil {
		t.Fatal(err)
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "The file store is full, so the file was not saved") {
		t.Errorf("upload onto a full disk: %d %s, want 503 saying the file store is full", code, body)
	}
	second := c.upload(t, course, strings.Repeat(fileContent(3), 17)) // about 2.5 MB
	for _, f := range []storedFile{first, second} {
		if b := c.do(t, "GET", f.download, "", nil, http.StatusOK); string(b) != f.content {
			t.Errorf("%s came back different", f.download)
		}
	}
	if ids, _ := blobRows(t, vars); len(ids) != 2 {
		t.Errorf("%d blob rows, want 2: the refused upload left a row", len(ids))
	}
}
