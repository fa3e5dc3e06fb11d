package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the Prometheus metrics of one MSP Hub process, registered on the registry the App
// was given (never the global default one), so two engines in one test process never share a
// counter.
type metrics struct {
	registry *prometheus.Registry

	requests *prometheus.HistogramVec // by method, route pattern and status
	inFlight prometheus.Gauge

	transfers         *prometheus.CounterVec // by direction: upload, download
	transfersInFlight *prometheus.GaugeVec
	transferBytes     *prometheus.CounterVec
}

const (
	metricsKey     = "msphub.metrics"
	uploadMeterKey = "msphub.upload_meter"
)

// newMetrics registers the request and transfer metrics, the Go runtime's and the process's, and
// the figures read from the database at each scrape (connection pool, audit chain, jobs), on reg.
func newMetrics(reg *prometheus.Registry, mon *core.Monitor) (*metrics, error) {
	m := &metrics{
		registry: reg,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "msphub_http_request_duration_seconds",
			Help: "Time from the first middleware to the last byte handed to the connection, by method, route pattern (never the raw path) and status.",
			// Pages and API calls take milliseconds; uploads and downloads of evidence, minutes.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 120, 600},
		}, []string{"method", "route", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "msphub_http_requests_in_flight",
			Help: "Requests being served now.",
		}),
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "msphub_transfers_total",
			Help: "File uploads and downloads started, by direction.",
		}, []string{"direction"}),
		transfersInFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "msphub_transfers_in_flight",
			Help: "File uploads and downloads streaming now, by direction.",
		}, []string{"direction"}),
		transferBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "msphub_transfer_bytes_total",
			Help: "File bytes received in uploads and sent in downloads, by direction.",
		}, []string{"direction"}),
	}
	for _, d := range []string{"upload", "download"} {
		// Present from the start, so a rate() over a fresh process has a zero to start from.
		m.transfers.WithLabelValues(d)
		m.transfersInFlight.WithLabelValues(d)
		m.transferBytes.WithLabelValues(d)
	}
	for _, c := range []prometheus.Collector{
		m.requests, m.inFlight, m.transfers, m.transfersInFlight, m.transferBytes,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newStateCollector(mon),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

// knownMethods bound the method label: a client may send any token as a method.
var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

// observe times every request and counts the requests in flight. The route label is gin's
// pattern (/casefiles/:id), never the path, which would carry IDs and secret tokens and grow
// without bound; a path no route matches is "(no route)".
func (m *metrics) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		m.inFlight.Inc()
		c.Set(metricsKey, m)
		// Deferred, so a request that ends in a panic (an aborted download) is counted too.
		defer func() {
			m.inFlight.Dec()
			if v, ok := c.Get(uploadMeterKey); ok {
				v.(*transferMeter).done()
			}
			route := c.FullPath()
			if route == "" {
				route = "(no route)"
			}
			method := c.Request.Method
			if !knownMethods[method] {
				method = "other"
			}
			m.requests.WithLabelValues(method, route, strconv.Itoa(c.Writer.Status())).Observe(time.Since(start).Seconds())
		}()
		c.Next()
	}
}

// transferMeter counts the bytes of one upload or download while it is in flight. A nil meter
// (an engine built without metrics) counts nothing.
type transferMeter struct {
	bytes    prometheus.Counter
	inFlight prometheus.Gauge
	once     sync.Once
}

func (m *metrics) startTransfer(direction string) *transferMeter {
	m.transfers.WithLabelValues(direction).Inc()
	t := &transferMeter{bytes: m.transferBytes.WithLabelValues(direction), inFlight: m.transfersInFlight.WithLabelValues(direction)}
	t.inFlight.Inc()
	return t
}

func (t *transferMeter) add(n int) {
	if t != nil && n > 0 {
		t.bytes.Add(float64(n))
	}
}

// done ends the transfer; only the first call counts.
func (t *transferMeter) done() {
	if t != nil {
		t.once.Do(t.inFlight.Dec)
	}
}

// writer counts what is written through w.
func (t *transferMeter) writer(w io.Writer) io.Writer {
	if t == nil {
		return w
	}
	return meteredWriter{w: w, t: t}
}

type meteredWriter struct {
	w io.Writer
	t *transferMeter
}

func (w meteredWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.t.add(n)
	return n, err
}

func metricsOf(c *gin.Context) *metrics {
	if v, ok := c.Get(metricsKey); ok {
		return v.(*metrics)
	}
	return nil
}

// uploadMeter is the meter of the request's upload, started on first use; the request's end
// (observe) ends it, since an upload form is read by the handler and never closed.
func uploadMeter(c *gin.Context) *transferMeter {
	if v, ok := c.Get(uploadMeterKey); ok {
		return v.(*transferMeter)
	}
	m := metricsOf(c)
	if m == nil {
		return nil
	}
	t := m.startTransfer("upload")
	c.Set(uploadMeterKey, t)
	return t
}

// downloadMeter starts the meter of a download; the caller ends it.
func downloadMeter(c *gin.Context) *transferMeter {
	m := metricsOf(c)
	if m == nil {
		return nil
	}
	return m.startTransfer("download")
}

// MetricsAccess says who may read /metrics: a client at an address in Allow, or one sending
// Token as a bearer token. Nil Allow means loopback only; an empty, non-nil one, no address (the
// token only). An empty Token is never accepted.
type MetricsAccess struct {
	Allow []netip.Prefix
	Token string
}

// loopback is where /metrics may be read from unless configured otherwise.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// handleMetrics serves the metrics to a scraper at an allowed address or holding the metrics
// token. Any other request passes on to the handlers after it in the route, which answer as for
// an address that does not exist.
func handleMetrics(m *metrics, access MetricsAccess, log *slog.Logger) gin.HandlerFunc {
	serve := promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError, // one failed database figure must not hide the rest
		ErrorLog:            promLogger{log},
		MaxRequestsInFlight: 2,
		Timeout:             30 * time.Second,
	})
	allow := access.Allow
	if allow == nil {
		allow = loopback
	}
	var want [sha256.Size]byte
	if access.Token != "" {
		want = sha256.Sum256([]byte(access.Token))
	}
	return func(c *gin.Context) {
		if hasMetricsToken(c, access.Token != "", want) || fromAllowedAddress(c, allow) {
			serve.ServeHTTP(c.Writer, c.Request)
			c.Abort()
			return
		}
		// Whatever the refused request carried is not an API token to check either: the 404
		// that follows must be the one any unknown address gets.
		c.Request.Header.Del("Authorization")
		c.Next()
	}
}

// hasMetricsToken compares the bearer token with the metrics token in constant time (of their
// hashes, so not even the length shows).
func hasMetricsToken(c *gin.Context, configured bool, want [sha256.Size]byte) bool {
	scheme, token, _ := strings.Cut(c.GetHeader("Authorization"), " ")
	if !configured || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// fromAllowedAddress checks the client's address against the allowed ranges. Behind a reverse
// proxy the client's address is the one the proxy reports, when the proxy is trusted
// (MSPHUB_TRUSTED_PROXIES). A request that came through a proxy we do not trust carries no
// address we can believe: the proxy's own (often loopback) would let the whole internet in, so
// such a request is refused unless it has the token.
func fromAllowedAddress(c *gin.Context, allow []netip.Prefix) bool {
	client := c.ClientIP()
	if client == c.RemoteIP() {
		h := c.Request.Header
		if h.Get("X-Forwarded-For") != "" || h.Get("X-Real-IP") != "" || h.Get("Forwarded") != "" {
			return false
		}
	}
	ip, err := netip.ParseAddr(client)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// promLogger sends the metrics handler's errors (a database figure that could not be read) to
// our log.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) {
	l.log.Warn("metrics", slog.String("error", strings.TrimSuffix(fmt.Sprintln(v...), "\n")))
}

// stateCollector reads, at each scrape, what lives in the database rather than in this process:
// the connection pool's statistics, the audit chain's length and the background jobs' runs. Every
// replica reports the same database figures; aggregate them with max, not sum.
type stateCollector struct {
	mon *core.Monitor

	poolMax, poolOpen, poolInUse, poolIdle, poolWaits, poolWaited, poolClosed *prometheus.Desc
	auditLength, auditWaiting, auditStale, auditOldest                        *prometheus.Desc
	jobNext, jobStarted, jobSucceeded, jobFailed, jobRunning, jobRecent       *prometheus.Desc
}

func newStateCollector(mon *core.Monitor) *stateCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &stateCollector{
		mon:          mon,
		poolMax:      d("msphub_db_connections_max", "Most connections this process opens to the database."),
		poolOpen:     d("msphub_db_connections_open", "Connections open to the database, in use or idle."),
		poolInUse:    d("msphub_db_connections_in_use", "Connections serving a query or transaction now."),
		poolIdle:     d("msphub_db_connections_idle", "Connections open and idle."),
		poolWaits:    d("msphub_db_connection_waits_total", "Times a request waited for a free connection: the pool was exhausted."),
		poolWaited:   d("msphub_db_connection_wait_seconds_total", "Time requests spent waiting for a free connection."),
		poolClosed:   d("msphub_db_connections_closed_total", "Connections closed by the pool, by reason.", "reason"),
		auditLength:  d("msphub_audit_chain_length", "Events sequenced into the audit log's Merkle tree (its size); it only grows (compare with the signed checkpoints)."),
		auditWaiting: d("msphub_audit_unsequenced_events", "Audit events committed and waiting for the sequencer to give them their place in the log."),
		auditStale:   d("msphub_audit_unsequenced_stale_events", "Audit events waiting for the sequencer longer than a minute: above 0, the sequencer is not running or failing."),
		auditOldest:  d("msphub_audit_oldest_unsequenced_age_seconds", "How long the oldest waiting audit event has waited for the sequencer (0 when none waits)."),

		jobNext:      d("msphub_job_next_run_timestamp_seconds", "When the background job is due next (Unix time); far in the past means no replica runs jobs.", "job"),
		jobStarted:   d("msphub_job_last_run_timestamp_seconds", "When the job's latest run started (Unix time).", "job"),
		jobSucceeded: d("msphub_job_last_success_timestamp_seconds", "When the job's latest successful run ended (Unix time).", "job"),
		jobFailed:    d("msphub_job_last_run_failed", "1 when the job's latest finished run failed or was abandoned by a replica that stopped, else 0.", "job"),
		jobRunning:   d("msphub_job_running", "Runs of the job a replica holds now (0 or 1).", "job"),
		jobRecent:    d("msphub_job_recent_runs", "The job's runs kept in its history (the latest few dozen), by outcome.", "job", "outcome"),
	}
}

func (s *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{s.poolMax, s.poolOpen, s.poolInUse, s.poolIdle, s.poolWaits, s.poolWaited, s.poolClosed, s.auditLength,
		s.auditWaiting, s.auditStale, s.auditOldest,
		s.jobNext, s.jobStarted, s.jobSucceeded, s.jobFailed, s.jobRunning, s.jobRecent} {
		ch <- d
	}
}

func (s *stateCollector) Collect(ch chan<- prometheus.Metric) {
	st := s.mon.Pool()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(s.poolMax, float64(st.MaxOpenConnections))
	gauge(s.poolOpen, float64(st.OpenConnections))
	gauge(s.poolInUse, float64(st.InUse))
	gauge(s.poolIdle, float64(st.Idle))
	counter(s.poolWaits, float64(st.WaitCount))
	counter(s.poolWaited, st.WaitDuration.Seconds())
	counter(s.poolClosed, float64(st.MaxIdleClosed), "max_idle")
	counter(s.poolClosed, float64(st.MaxIdleTimeClosed), "max_idle_time")
	counter(s.poolClosed, float64(st.MaxLifetimeClosed), "max_lifetime")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if n, err := s.mon.AuditChainLength(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(s.auditLength, fmt.Errorf("audit chain length: %w", err))
	} else {
		gauge(s.auditLength, float64(n))
	}
	if w, err := s.mon.AuditWaiting(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(s.auditWaiting, fmt.Errorf("audit waiting: %w", err))
	} else {
		gauge(s.auditWaiting, float64(w.Count))
		gauge(s.auditStale, float64(w.Stale))
		age := 0.0
		if w.Count > 0 {
			age = max(0, s.mon.Now().Sub(w.OldestAt).Seconds())
		}
		gauge(s.auditOldest, age)
	}
	jobs, err := s.mon.Jobs(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(s.jobRecent, fmt.Errorf("job runs: %w", err))
		return
	}
	unix := func(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
	for _, j := range jobs {
		gauge(s.jobNext, unix(j.NextRunAt), j.Job)
		if j.LastStarted != nil {
			gauge(s.jobStarted, unix(*j.LastStarted), j.Job)
		}
		if j.LastSucceeded != nil {
			gauge(s.jobSucceeded, unix(*j.LastSucceeded), j.Job)
		}
		failed := 0.0
		if j.LastFailed {
			failed = 1
		}
		gauge(s.jobFailed, failed, j.Job)
		gauge(s.jobRunning, float64(j.Running), j.Job)
		for _, outcome := range []string{core.JobSucceeded, core.JobFailed, core.JobAbandoned} {
			gauge(s.jobRecent, float64(j.Recent[outcome]), j.Job, outcome)
		}
	}
}
