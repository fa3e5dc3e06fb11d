package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// The fault scenarios (issue 16) run real processes on loopback, each bounded to 60 s, under a
// bounded load of reads, uploads and writes, and then check the invariants: no row points at a
// missing object (storage verify), every accepted write is there and intact, the audit log
// verifies, and the server recovered by itself. They belong to the PostgreSQL + MinIO run.

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
// lands while it streams.
func slowBody(content string) io.Reader {
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
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		// The server may answer (and stop reading) before the body is written: every write
		// can fail, and the pipe is closed with the failure.
		if err := mw.WriteField("title", "Material under load"); err != nil {
			pw.CloseWithError(err)
			return
		}
		fw, err := mw.CreateFormFile("file", "material.txt")
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		if _, err := io.Copy(fw, slowBody(content)); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(mw.Close())
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/api/v1/courses/%d/materials", c.base, course), pr)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
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

// get downloads path whole, or returns the status and page of a refusal. A download cut off
// after its headers (the store failing mid-file) is an error: the bytes were never whole.
func (c *apiClient) get(path string) (int, string, error) {
	req, err := http.NewRequest("GET", c.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// post sends a JSON body and returns the status and body of the answer.
func (c *apiClient) post(path, body string) (int, string, error) {
	req, err := http.NewRequest("POST", c.base+path, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
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
	if modelstest.Backend() != "postgres" {
		t.Log("fault scenarios run with MSPHUB_TEST_BACKEND=postgres")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m := newOwnMinIO(t)
	mc, err := minio.New(m.addr, &minio.Options{Creds: credentials.NewStaticV4(minioUser, minioPassword, "")})
	if err != nil {
		t.Fatal(err)
	}
	if err := mc.MakeBucket(ctx, "msphub", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"MSPHUB_ADDR": "127.0.0.1:0", "MSPHUB_DATA_DIR": t.TempDir(),
		"MSPHUB_DATABASE_URL": modelstest.NewPostgresDatabase(t),
		"MSPHUB_S3_ENDPOINT":  m.addr, "MSPHUB_S3_BUCKET": "msphub", "MSPHUB_S3_TLS": "false",
		"MSPHUB_S3_ACCESS_KEY": minioUser, "MSPHUB_S3_SECRET_KEY": minioPassword,
		"MSPHUB_MASTER_KEY": modelstest.MasterKey(t), "MSPHUB_AUDIT_KEY": modelstest.AuditKey(t),
	}
	c := newTrainerClient(t, vars)
	c.base = startServer(t, vars).URL
	course := c.course(t)

	var l faultLoad
	loadCtx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan struct{})
	go func() { runLoad(loadCtx, c, course, &l); close(loadDone) }()

	time.Sleep(3 * time.Second)
	m.stop() // SIGKILL to MinIO's process group, uploads streaming
	killed := time.Now()
	time.Sleep(3 * time.Second)
	m.start(t)
	t.Logf("MinIO was down for %v", time.Since(killed).Round(time.Millisecond))
	time.Sleep(4 * time.Second)
	stopLoad()
	select {
	case <-loadDone:
	case <-ctx.Done():
		t.Fatal("the load did not finish within 60 s")
	}
	t.Logf("%d uploads accepted, %d refused, %d courses created, %d downloads cut off", len(l.accepted), len(l.refused), len(l.courses), l.cut)
	if len(l.refused) == 0 {
		t.Error("no upload was refused: the kill did not land during the load")
	}
	for _, r := range l.refused {
		if !strings.HasPrefix(r, "503 ") || !strings.Contains(r, "The file store is not answering, so the file was not saved") {
			t.Errorf("an upload in flight when MinIO died was answered %s, want 503 with the file store's message", r)
		}
	}
	checkInvariants(t, vars, c, course, &l, 0)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Error("the scenario took over 60 s")
	}
}

// pgProxy is toxiproxy, in-process, between MSP Hub and the test PostgreSQL: stopping it cuts
// every connection and refuses new ones, as a database restart does; starting it again on the
// same port is the database back.
func pgProxy(t *testing.T, direct string) (dbURL string, proxy *toxiproxy.Proxy) {
	t.Helper()
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	proxy = toxiproxy.NewProxy(api, "postgres", "127.0.0.1:0", u.Host)
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Stop)
	u.Host = proxy.Listen
	return u.String(), proxy
}

// PostgreSQL gone for 3 s under a load of reads and writes (toxiproxy cuts every connection and
// refuses new ones): requests during the outage get 503 with a message, never 500; MSP Hub,
// not restarted, answers again within 5 s of the database coming back; every write it accepted
// is there; the audit log verifies; no goroutine is left behind.
func TestFaultPostgresRestartedUnderLoad(t *testing.T) {
	if modelstest.Backend() != "postgres" {
		t.Log("fault scenarios run with MSPHUB_TEST_BACKEND=postgres")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	vars := backendEnv(t)
	var proxy *toxiproxy.Proxy
	vars["MSPHUB_DATABASE_URL"], proxy = pgProxy(t, vars["MSPHUB_DATABASE_URL"])
	c := newTrainerClient(t, vars)
	srv := startServer(t, vars)
	c.base = srv.URL
	defer func() { // the server's errors, to see why a request failed
		if t.Failed() {
			for _, line := range strings.Split(srv.logs.String(), "\n") {
				if strings.Contains(line, `"level":"ERROR"`) {
					t.Log(line)
				}
			}
		}
	}()
	c.course(t)
	http.DefaultClient.CloseIdleConnections()
	before := runtime.NumGoroutine()

	var mu sync.Mutex
	var created []int64
	answers := map[int]int{}
	var wrong []string
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for loadCtx.Err() == nil {
				code, body, err := c.get("/api/v1/courses?limit=20")
				if err == nil && code == http.StatusOK {
					code, body, err = c.post("/api/v1/courses", fmt.Sprintf(`{"code":"FT-%d","title":"Fault test course","description":"Written under a fault.","cpd_hours":1,"classification":"OFFICIAL"}`, courseSeq.Add(1)))
					if err == nil && code == http.StatusCreated {
						mu.Lock()
						created = append(created, jsonID(body))
						mu.Unlock()
					}
				}
				mu.Lock()
				answers[code]++
				switch {
				case err != nil:
					wrong = append(wrong, "no answer: "+err.Error())
				case code == http.StatusServiceUnavailable && !strings.Contains(body, "The database is not answering. Try again in a moment."):
					wrong = append(wrong, "503 without the database's message: "+body)
				case code != http.StatusOK && code != http.StatusCreated && code != http.StatusServiceUnavailable:
					wrong = append(wrong, fmt.Sprintf("%d: %s", code, body))
				}
				mu.Unlock()
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	time.Sleep(2 * time.Second)
	proxy.Stop()
	time.Sleep(3 * time.Second)
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	for {
		if code, _, _ := c.get("/api/v1/courses?limit=1"); code == http.StatusOK {
			break
		}
		if time.Since(back) > 5*time.Second {
			t.Fatalf("MSP Hub did not answer within 5 s of the database coming back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("recovered %v after the database came back", time.Since(back).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	stopLoad()
	wg.Wait()
	t.Logf("answers during the scenario: %v", answers)
	for _, w := range wrong {
		t.Errorf("during the outage: %s", w)
	}
	if answers[http.StatusServiceUnavailable] == 0 {
		t.Error("no request met the outage")
	}
	for _, id := range created {
		if code, body, err := c.get(fmt.Sprintf("/api/v1/courses/%d", id)); err != nil || code != http.StatusOK {
			t.Errorf("course %d, created with 201, is gone: %d %s %v", id, code, body, err)
		}
	}
	var out, logs bytes.Buffer
	if err := run(context.Background(), []string{"audit", "verify"}, env(vars), strings.NewReader(""), &out, &logs); err != nil {
		t.Errorf("audit verify after the outage: %v\n%s", err, out.String())
	}
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before+10 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before+10 {
		t.Errorf("%d goroutines after the outage, %d before: a leak", after, before)
	}
	if ctx.Err() != nil {
		t.Error("the scenario took over 60 s")
	}
}

// hubProcess is `msphub serve` as a real process, so that it can be SIGKILLed.
type hubProcess struct {
	cmd  *exec.Cmd
	logs *syncBuffer
}

// startHub runs the msphub binary with vars on addr and waits until it listens.
func startHub(t *testing.T, vars map[string]string, addr string) *hubProcess {
	t.Helper()
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "MSPHUB_ADDR="+addr)
	h := &hubProcess{cmd: cmd, logs: &syncBuffer{}}
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
	if modelstest.Backend() != "postgres" {
		t.Log("fault scenarios run with MSPHUB_TEST_BACKEND=postgres")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
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

	var l faultLoad
	loadCtx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan struct{})
	go func() { runLoad(loadCtx, c, course, &l); close(loadDone) }()
	time.Sleep(3 * time.Second)
	h.kill() // SIGKILL, uploads streaming and writes in flight
	stopLoad()
	<-loadDone
	// Uploads cut by the kill got no answer: they may or may not have committed.
	n := len(l.failures)
	l.failures = slices.DeleteFunc(l.failures, func(err error) bool { return strings.Contains(err.Error(), "no answer") })
	unanswered := n - len(l.failures)
	startHub(t, vars, addr)
	t.Logf("%d uploads accepted, %d refused, %d courses created before the kill", len(l.accepted), len(l.refused), len(l.courses))
	if len(l.accepted) == 0 {
		t.Error("no upload was accepted before the kill")
	}
	checkInvariants(t, vars, c, course, &l, unanswered)
	if ctx.Err() != nil {
		t.Error("the scenario took over 60 s")
	}
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
	cmd := exec.Command(unshare, args...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	h := &hubProcess{cmd: cmd, logs: &syncBuffer{}}
	cmd.Stderr, cmd.Stdout = h.logs, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.kill)
	deadline := time.Now().Add(30 * time.Second)
	for listeningAddr(h.logs.String()) == "" {
		if time.Now().After(deadline) {
			t.Fatalf("msphub on a small disk not listening within 30 s:\n%s", h.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return h
}

// The embedded default's disk full (a 4 MB tmpfs under the blob store): an upload that does not
// fit is refused with a clear message and leaves nothing behind (no row, and its partial file is
// gone: the space is free again for a smaller upload), and what was stored before is intact.
func TestFaultDiskFull(t *testing.T) {
	if modelstest.Backend() != "sqlite" {
		t.Log("the disk-full scenario is the embedded default's: it runs with MSPHUB_TEST_BACKEND=sqlite")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
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
	if ctx.Err() != nil {
		t.Error("the scenario took over 60 s")
	}
}
