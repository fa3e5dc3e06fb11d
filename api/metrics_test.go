package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/policies"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /metrics as a client at remote would, with extra headers.
func scrape(t *testing.T, a *apitest.App, remote string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.RemoteAddr = remote
	for k, vs := range header {
		req.Header[k] = vs
	}
	w := httptest.NewRecorder()
	a.Engine.ServeHTTP(w, req)
	return w
}

// metricFamilies scrapes from loopback and parses the exposition format, as Prometheus would.
func metricFamilies(t *testing.T, a *apitest.App) map[string]*dto.MetricFamily {
	t.Helper()
	w := scrape(t, a, "127.0.0.1:40000", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("scrape from loopback: %d %s", w.Code, w.Body.String())
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(w.Body.String()))
	if err != nil {
		t.Fatalf("parse metrics: %v\n%s", err, w.Body.String())
	}
	return fams
}

// sample finds the series of family name with exactly these label values (others ignored).
func sample(fams map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

func value(m *dto.Metric) float64 {
	switch {
	case m == nil:
		return -1
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return -1
}

// /metrics answers loopback (the default range) and nobody else: not a signed-in user, not an
// API token, not a request a proxy we do not trust forwarded from elsewhere. Refused, it is the
// 404 any unknown address gets. (The token and configured ranges are tested on the real server:
// TestMetricsAccessOnTheServer in cmd/msphub.)
func TestMetricsAccessDefaultsToLoopback(t *testing.T) {
	a := apitest.New(t)
	admin := a.As(t, policies.RoleAdmin)
	tok := admin.Token(t, identity.ScopeRead)
	unknown := a.Browser().Get(t, "/no-such-page")

	for _, tc := range []struct {
		name   string
		remote string
		header http.Header
		want   int
	}{
		{name: "IPv4 loopback", remote: "127.0.0.1:50000", want: 200},
		{name: "IPv6 loopback", remote: "[::1]:50000", want: 200},
		{name: "another address", remote: "192.0.2.10:50000", want: 404},
		{name: "private network", remote: "10.1.2.3:50000", want: 404},
		{name: "an API token from another address", remote: "192.0.2.10:50000", header: http.Header{"Authorization": {"Bearer " + tok}}, want: 404},
		{name: "a made-up bearer token", remote: "192.0.2.10:50000", header: http.Header{"Authorization": {"Bearer not-the-token"}}, want: 404},
		{name: "a session from another address", remote: "192.0.2.10:50000", header: http.Header{"Cookie": {"msphub_session=" + admin.Cookie}}, want: 404},
		{name: "forwarded by a proxy we do not trust", remote: "127.0.0.1:50000", header: http.Header{"X-Forwarded-For": {"203.0.113.7"}}, want: 404},
		{name: "X-Real-IP through an untrusted proxy", remote: "127.0.0.1:50000", header: http.Header{"X-Real-Ip": {"203.0.113.7"}}, want: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := scrape(t, a, tc.remote, tc.header)
			if w.Code != tc.want {
				t.Fatalf("%d, want %d", w.Code, tc.want)
			}
			body := w.Body.String()
			if tc.want == 200 && !strings.Contains(body, "# TYPE msphub_http_request_duration_seconds histogram") {
				t.Errorf("no request histogram in:\n%.500s", body)
			}
			if tc.want == 404 {
				if strings.Contains(body, "msphub_") {
					t.Errorf("a refused scrape got metrics:\n%.500s", body)
				}
				if w.Header().Get("Content-Type") != unknown.Header().Get("Content-Type") || !strings.Contains(body, "Page not found") {
					t.Errorf("a refused scrape is not the page of an unknown address: %s\n%.500s", w.Header().Get("Content-Type"), body)
				}
			}
		})
	}
	if !strings.Contains(unknown.Body.String(), "Page not found") {
		t.Fatalf("the test's idea of the not-found page is wrong:\n%s", unknown.Body.String())
	}
}

// After requests, an upload and a download, the request histogram has a series per route
// pattern (never the raw path), the transfer counters have moved by exactly the file's bytes, and
// the database figures (pool, audit chain, jobs) are read at scrape time.
func TestMetricsCountRequestsTransfersAndJobs(t *testing.T) {
	a := apitest.New(t)
	trainer := a.As(t, policies.RoleTrainer)
	tok := trainer.Token(t, identity.ScopeReadWrite)
	before := metricFamilies(t, a)
	up := func(name string) float64 {
		return value(sample(before, name, map[string]string{"direction": "upload"}))
	}
	down := func(name string) float64 {
		return value(sample(before, name, map[string]string{"direction": "download"}))
	}
	upBytes, downBytes, ups, downs := up("msphub_transfer_bytes_total"), down("msphub_transfer_bytes_total"), up("msphub_transfers_total"), down("msphub_transfers_total")
	if upBytes < 0 || downBytes < 0 || ups < 0 || downs < 0 {
		t.Fatalf("transfer series missing before any transfer: %v %v %v %v", upBytes, downBytes, ups, downs)
	}

	c := newTrainingCourse(t, a, trainer, nil)
	content := strings.Repeat("Delegate handbook: indicators of modern slavery.\n", 3000) // 147 KiB of text
	w := a.UploadAPI(t, tok, "/api/v1/courses/"+itoa(c.ID)+"/materials", url.Values{"title": {"Handbook"}},
		apitest.File{Field: "file", Name: "handbook.txt", Body: strings.NewReader(content)})
	if w.Code != http.StatusCreated {
		t.Fatalf("upload: %d %s", w.Code, w.Body.String())
	}
	var m struct {
		ID int64 `json:"id"`
	}
	if err := jsonDecode(w.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	dl := a.Bearer(t, tok, "GET", "/api/v1/courses/"+itoa(c.ID)+"/materials/"+itoa(m.ID)+"/download?version=1", "")
	if dl.Code != 200 || dl.Body.String() != content {
		t.Fatalf("download: %d, %d bytes", dl.Code, dl.Body.Len())
	}
	for range 3 {
		if w := a.Bearer(t, tok, "GET", "/api/v1/courses/"+itoa(c.ID), ""); w.Code != 200 {
			t.Fatalf("course: %d", w.Code)
		}
	}
	a.Bearer(t, tok, "GET", "/api/v1/courses/999999", "")
	a.Browser().Get(t, "/no-such-page/12345")

	// Two jobs, one that works and one that fails, run once.
	a.Services.Jobs.Register("metrics-test-works", time.Hour, func(context.Context) (string, error) { return "did it", nil })
	a.Services.Jobs.Register("metrics-test-fails", time.Hour, func(context.Context) (string, error) { return "", errors.New("could not") })
	if _, err := a.Services.Jobs.RunDue(context.Background()); err != nil {
		t.Fatalf("run the jobs: %v", err)
	}

	after := metricFamilies(t, a)
	hist := func(method, route, status string) uint64 {
		m := sample(after, "msphub_http_request_duration_seconds", map[string]string{"method": method, "route": route, "status": status})
		if m == nil || m.Histogram == nil {
			return 0
		}
		return m.Histogram.GetSampleCount()
	}
	if n := hist("GET", "/api/v1/courses/:id", "200"); n != 3 {
		t.Errorf("GET /api/v1/courses/:id 200 observed %d times, want 3", n)
	}
	if n := hist("GET", "/api/v1/courses/:id", "404"); n != 1 {
		t.Errorf("GET /api/v1/courses/:id 404 observed %d times, want 1", n)
	}
	if n := hist("POST", "/api/v1/courses/:id/materials", "201"); n != 1 {
		t.Errorf("the upload observed %d times, want 1", n)
	}
	if n := hist("GET", "(no route)", "404"); n == 0 {
		t.Error("an unknown address is not counted under (no route)")
	}
	for _, s := range after["msphub_http_request_duration_seconds"].Metric {
		for _, l := range s.Label {
			v := l.GetValue()
			if l.GetName() == "route" && (strings.Contains(v, "/"+itoa(c.ID)) || strings.Contains(v, "999999") || strings.Contains(v, "12345") || strings.Contains(v, "?")) {
				t.Errorf("a raw path became a route label: %q", v)
			}
		}
	}

	size := float64(len(content))
	for _, tc := range []struct {
		name, dir string
		was, want float64
	}{
		{"msphub_transfer_bytes_total", "upload", upBytes, upBytes + size},
		{"msphub_transfer_bytes_total", "download", downBytes, downBytes + size},
		{"msphub_transfers_total", "upload", ups, ups + 1},
		{"msphub_transfers_total", "download", downs, downs + 1},
		{"msphub_transfers_in_flight", "upload", 0, 0},
		{"msphub_transfers_in_flight", "download", 0, 0},
	} {
		if got := value(sample(after, tc.name, map[string]string{"direction": tc.dir})); got != tc.want {
			t.Errorf("%s{direction=%q} = %v after the transfers, want %v (was %v)", tc.name, tc.dir, got, tc.want, tc.was)
		}
	}

	// Events wait for the sequencer, then are in the log: the metrics say which.
	var events int64
	if err := a.DB.SQL().QueryRow("SELECT COUNT(*) FROM audit_events").Scan(&events); err != nil {
		t.Fatal(err)
	}
	if got := value(sample(after, "msphub_audit_unsequenced_events", nil)); got != float64(events) || events == 0 {
		t.Errorf("unsequenced events %v, the log has %d events, none sequenced", got, events)
	}
	if _, err := a.Services.Audit.Sequence(context.Background()); err != nil {
		t.Fatal(err)
	}
	sequenced := metricFamilies(t, a)
	if got := value(sample(sequenced, "msphub_audit_chain_length", nil)); got != float64(events) {
		t.Errorf("audit chain length %v after sequencing, the log has %d events", got, events)
	}
	if got := value(sample(sequenced, "msphub_audit_unsequenced_events", nil)); got != 0 {
		t.Errorf("unsequenced events %v after sequencing", got)
	}
	a.Clock.Advance(2 * time.Minute)
	if err := a.Services.Audit.Record(context.Background(), nil, core.Event{Action: "session.sign_in", Outcome: core.OutcomeFailure}); err != nil {
		t.Fatal(err)
	}
	a.Clock.Advance(2 * time.Minute)
	stale := metricFamilies(t, a)
	if got := value(sample(stale, "msphub_audit_unsequenced_stale_events", nil)); got != 1 {
		t.Errorf("stale unsequenced events %v, want 1", got)
	}
	if got := value(sample(stale, "msphub_audit_oldest_unsequenced_age_seconds", nil)); got != 120 {
		t.Errorf("oldest unsequenced age %v, want 120", got)
	}
	if got := value(sample(after, "msphub_db_connections_max", nil)); got < 1 {
		t.Errorf("pool size %v", got)
	}
	if got := value(sample(after, "msphub_db_connections_open", nil)); got < 1 {
		t.Errorf("open connections %v after serving requests", got)
	}
	for _, tc := range []struct {
		job            string
		failed, recent float64
		outcome        string
	}{
		{"metrics-test-works", 0, 1, core.JobSucceeded},
		{"metrics-test-fails", 1, 1, core.JobFailed},
	} {
		job := map[string]string{"job": tc.job}
		if got := value(sample(after, "msphub_job_last_run_failed", job)); got != tc.failed {
			t.Errorf("%s: last run failed = %v, want %v", tc.job, got, tc.failed)
		}
		if got := value(sample(after, "msphub_job_recent_runs", map[string]string{"job": tc.job, "outcome": tc.outcome})); got != tc.recent {
			t.Errorf("%s: %s runs = %v, want %v", tc.job, tc.outcome, got, tc.recent)
		}
		started := value(sample(after, "msphub_job_last_run_timestamp_seconds", job))
		if started < float64(time.Now().Add(-time.Hour).Unix()) {
			t.Errorf("%s: last run at %v", tc.job, started)
		}
	}
	if sample(after, "msphub_job_last_success_timestamp_seconds", map[string]string{"job": "metrics-test-fails"}) != nil {
		t.Error("a job that never succeeded has a last success")
	}
}
