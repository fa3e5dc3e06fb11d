package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msptp/msphub/models/modelstest"
)

// BenchmarkListPageThroughReplicas loads the course catalogue, signed in, from 16 clients at
// once: first all through one replica, then spread over two replicas on the same PostgreSQL
// and MinIO. It reports the pages per second and the p99 latency of each. Two replicas serving
// at the rate of one, with the same p99, show that no request waits on another replica; on this
// two-core machine both replicas share the same cores, so two cannot serve more than one.
//
//	MSPHUB_TEST_BACKEND=postgres go test -run '^$' -bench ListPageThroughReplicas -benchtime 4000x ./cmd/msphub/
func BenchmarkListPageThroughReplicas(b *testing.B) {
	if modelstest.Backend() != "postgres" {
		b.Fatal("replicas share a PostgreSQL database: run with MSPHUB_TEST_BACKEND=postgres")
	}
	base := backendEnv(b)
	base["MSPHUB_LOG_LEVEL"] = "info" // startServer reads the address from the "listening" line
	admin := func(stdin string, args ...string) string {
		var out strings.Builder
		if err := run(context.Background(), append([]string{"admin"}, args...), env(base), strings.NewReader(stdin), &out, io.Discard); err != nil {
			b.Fatalf("admin %v: %v", args, err)
		}
		return strings.TrimSpace(out.String())
	}
	admin("", "create-user", "--email", "tia.trainer@kent.police.uk", "--name", "Tia Trainer", "--org", "kent-police", "--roles", "trainer")
	trainer := admin("", "create-token", "--user", "tia.trainer@kent.police.uk", "--name", "seed", "--scope", "read-write")
	const readers = 16
	for i := range readers {
		admin(strongPasswordLine, "create-user", "--email", fmt.Sprintf("reader%02d@kent.police.uk", i), "--name", fmt.Sprintf("Reader %02d", i),
			"--org", "kent-police", "--roles", "officer", "--password-stdin")
	}

	servers := make([]*testServer, 2)
	for i := range servers {
		vars := maps.Clone(base)
		vars["MSPHUB_DATA_DIR"] = b.TempDir()
		servers[i] = startServer(b, vars)
	}
	for i := range 40 {
		code, body := call(b, "POST", servers[0].URL+"/api/v1/courses", trainer, fmt.Sprintf(
			`{"code":"MS-%02d","title":"Modern slavery course %02d","description":"Two days on identifying and supporting victims.","cpd_hours":7,"validity_months":24,"classification":"OFFICIAL"}`, i, i))
		if code != http.StatusCreated {
			b.Fatalf("create a course: %d %s", code, body)
		}
		var course struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal([]byte(body), &course); err != nil || course.ID == 0 {
			b.Fatalf("the created course: %v %s", err, body)
		}
		if code, body := call(b, "POST", fmt.Sprintf("%s/api/v1/courses/%d/publish", servers[0].URL, course.ID), trainer, ""); code != http.StatusOK {
			b.Fatalf("publish a course: %d %s", code, body)
		}
	}
	// Each reader signs in once; the session works on both replicas, as behind a load balancer.
	clients := make([]*http.Client, readers)
	for i := range clients {
		jar, _ := cookiejar.New(nil)
		clients[i] = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		signIn(b, clients[i], servers[0].URL, fmt.Sprintf("reader%02d@kent.police.uk", i))
	}

	load := func(targets []*testServer) (rate float64, p99 time.Duration) {
		var next, failed atomic.Int64
		latencies := make([][]time.Duration, readers)
		start := time.Now()
		var wg sync.WaitGroup
		for r, c := range clients {
			wg.Go(func() {
				for {
					n := next.Add(1)
					if n > int64(b.N) {
						return
					}
					t0 := time.Now()
					resp, err := c.Get(targets[int(n)%len(targets)].URL + "/courses")
					if err != nil {
						failed.Add(1)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						failed.Add(1)
					}
					latencies[r] = append(latencies[r], time.Since(t0))
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		if n := failed.Load(); n > 0 {
			b.Fatalf("%d catalogue pages failed", n)
		}
		all := slices.Sorted(slices.Values(slices.Concat(latencies...)))
		return float64(b.N) / elapsed.Seconds(), all[len(all)*99/100]
	}
	b.ResetTimer()
	oneRate, oneP99 := load(servers[:1])
	twoRate, twoP99 := load(servers)
	b.StopTimer()
	b.ReportMetric(oneRate, "pages/s-1-replica")
	b.ReportMetric(float64(oneP99.Microseconds())/1000, "p99-ms-1-replica")
	b.ReportMetric(twoRate, "pages/s-2-replicas")
	b.ReportMetric(float64(twoP99.Microseconds())/1000, "p99-ms-2-replicas")
}
