package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/modelstest"
)

// The acceptance test of running MSP Hub as several replicas (issue 7). On PostgreSQL and
// MinIO, two `msphub serve` servers share one database and one bucket: a session made on one
// works on the other; a role revoked on one denies on the other within 2 s, also after every
// PostgreSQL connection was killed (the policy watcher reconnects); and each background job
// runs once across the two. The embedded default runs one process only (SQLite and a local
// disk cannot be shared): there the test proves that the one process runs every job, once per
// interval, and that sessions and revocations hold within it.
func TestReplicas(t *testing.T) {
	base := backendEnv(t)
	replicas := 1
	if modelstest.Backend() == "postgres" {
		replicas = 2
	}
	// People, made as `msphub admin` makes them, before the servers start: on the embedded
	// default, a running server hears of no role granted by another process.
	admin := func(stdin string, args ...string) string {
		t.Helper()
		var out strings.Builder
		if err := run(context.Background(), append([]string{"admin"}, args...), env(base), strings.NewReader(stdin), &out, io.Discard); err != nil {
			t.Fatalf("admin %v: %v", args, err)
		}
		return strings.TrimSpace(out.String())
	}
	admin(strongPasswordLine, "create-user", "--email", "olive.officer@kent.police.uk", "--name", "Olive Officer", "--org", "kent-police",
		"--roles", "officer", "--password-stdin")
	admin("", "create-user", "--email", "sam.supervisor@kent.police.uk", "--name", "Sam Supervisor", "--org", "kent-police",
		"--roles", "officer,supervisor", "--vetting", "RV", "--vetting-expires", "2031-01-31")
	admin("", "create-user", "--email", "ada.admin@msp.police.uk", "--name", "Ada Admin", "--roles", "admin")
	samToken := admin("", "create-token", "--user", "sam.supervisor@kent.police.uk", "--name", "reports", "--scope", identity.ScopeRead)
	adaToken := admin("", "create-token", "--user", "ada.admin@msp.police.uk", "--name", "automation", "--scope", identity.ScopeReadWrite)

	// The servers start together, so their job runners race for the first runs.
	servers := make([]*testServer, replicas)
	var wg sync.WaitGroup
	for i := range servers {
		vars := maps.Clone(base)
		if i > 0 {
			vars["MSPHUB_DATA_DIR"] = t.TempDir() // nothing shared but the database and the bucket
		}
		wg.Go(func() { servers[i] = startServer(t, vars) })
	}
	wg.Wait()
	one, other := servers[0], servers[len(servers)-1]

	db, err := core.Open(context.Background(), dbConfigOf(t, base))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	var me struct {
		ID int64 `json:"id"`
	}
	if code, body := call(t, "GET", one.URL+"/api/v1/me", samToken, ""); code != 200 || json.Unmarshal([]byte(body), &me) != nil {
		t.Fatalf("/api/v1/me: %d %s", code, body)
	}

	t.Run("a session made on one replica works on the other", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		signIn(t, browser, one.URL, "olive.officer@kent.police.uk")
		// The cookie jar keeps cookies by host, not port: the session cookie set by the one
		// replica goes to the other, as behind a load balancer.
		resp, err := browser.Get(other.URL + "/account")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), "Olive Officer") {
			t.Fatalf("the account page on the other replica: %d, signed in as Olive: %v", resp.StatusCode, strings.Contains(string(b), "Olive Officer"))
		}
	})

	users := other.URL + "/api/v1/users"
	setRoles := func(t *testing.T, roles string) {
		t.Helper()
		// The database may just have dropped every connection: a 503 means nothing changed, and
		// a client tries again.
		deadline := time.Now().Add(30 * time.Second)
		for {
			code, body := call(t, "PUT", fmt.Sprintf("%s/api/v1/users/%d/roles", one.URL, me.ID), adaToken, `{"roles":[`+roles+`]}`)
			if code == 200 {
				return
			}
			if code != 503 || time.Now().After(deadline) {
				t.Fatalf("set roles %s on the one replica: %d %s", roles, code, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// within checks that, within 2 s of the change, the other replica answers Sam's token with
	// want: the acceptance, an upper bound.
	within := func(t *testing.T, what string, want int) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for {
			code, _ := call(t, "GET", users, samToken, "")
			if code == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the other replica still answers %d after 2 s, want %d", what, code, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	t.Run("a role revoked on one replica denies on the other within 2 s", func(t *testing.T) {
		if code, body := call(t, "GET", users, samToken, ""); code != 200 {
			t.Fatalf("a supervisor lists the people of their force on the other replica: %d %s", code, body)
		}
		setRoles(t, `"officer"`)
		within(t, "revoked", 403)
	})

	if replicas == 2 {
		t.Run("the policy watcher recovers after PostgreSQL drops every connection", func(t *testing.T) {
			watchers := func() int {
				var n int
				if err := db.SQL().QueryRow("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'msphub-policy-watcher'").Scan(&n); err != nil {
					return -1 // our own connection was among those killed; the pool reconnects
				}
				return n
			}
			waitUntil(t, "a policy watcher per replica", func() bool { return watchers() == 2 })
			var killed int
			if err := db.SQL().QueryRow("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity " +
				"WHERE datname = current_database() AND pid <> pg_backend_pid()) k").Scan(&killed); err != nil {
				t.Fatal(err)
			}
			if killed < 4 {
				t.Fatalf("killed %d connections, want at least the two watchers and the two pools", killed)
			}
			waitUntil(t, "both policy watchers to reconnect", func() bool { return watchers() == 2 })
			setRoles(t, `"officer","supervisor"`)
			within(t, "granted after the reconnect", 200)
			setRoles(t, `"officer"`)
			within(t, "revoked after the reconnect", 403)
			for _, s := range servers {
				if !strings.Contains(s.logs.String(), "policy watcher lost its connection; reconnecting") {
					t.Error("a replica did not log losing its policy watcher's connection")
				}
			}
		})
	}

	t.Run("each background job runs once", func(t *testing.T) {
		jobs := registeredJobs(t, other.URL, adaToken)
		if len(jobs) < 8 {
			t.Fatalf("%d jobs listed: %v", len(jobs), jobs)
		}
		finished := func(t *testing.T, job string) (finished, all int) {
			t.Helper()
			var f, a int64
			if err := db.Gorm().Table("job_runs").Where("job = ? AND outcome = ?", job, core.JobSucceeded).Count(&f).Error; err != nil {
				return -1, -1
			}
			if err := db.Gorm().Table("job_runs").Where("job = ?", job).Count(&a).Error; err != nil {
				return -1, -1
			}
			return int(f), int(a)
		}
		// rounds checks that every job has run exactly n times, once the runners have had the
		// chance to run it more: each looks every jobTick.
		rounds := func(t *testing.T, n int, since time.Time) {
			t.Helper()
			for _, job := range jobs {
				waitUntil(t, fmt.Sprintf("%s to run %d times", job, n), func() bool { f, _ := finished(t, job); return f >= n })
			}
			time.Sleep(time.Until(since.Add(jobTick + 2*time.Second))) // every runner has looked since
			for _, job := range jobs {
				if f, a := finished(t, job); f != n || a != n {
					t.Errorf("%s: %d runs (%d succeeded), want %d", job, a, f, n)
				}
			}
		}
		rounds(t, 1, time.Now())
		// Everything due again at once: the next tick of every replica finds it.
		due := time.Now()
		if err := db.Gorm().Exec("UPDATE jobs SET next_run_at = ?", due.UTC().Add(-time.Minute)).Error; err != nil {
			t.Fatal(err)
		}
		rounds(t, 2, due)
		// Admins see each job's last run on either replica.
		for _, s := range servers {
			code, body := call(t, "GET", s.URL+"/api/v1/admin/jobs", adaToken, "")
			if code != 200 || strings.Count(body, `"outcome":"success"`) != len(jobs) {
				t.Errorf("%s/api/v1/admin/jobs: %d %s", s.URL, code, body)
			}
		}
	})
}

const strongPasswordLine = "umbrella kettle orbit lantern 47\n"

// call sends a request with a bearer token and returns the status and body.
func call(t testing.TB, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return send(t, req)
}

// signIn signs in through the sign-in page as a browser does: the form's CSRF token, then the
// email address and password.
func signIn(t testing.TB, browser *http.Client, base, email string) {
	t.Helper()
	resp, err := browser.Get(base + "/sign-in")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no CSRF token on the sign-in page (%d)", resp.StatusCode)
	}
	resp, err = browser.PostForm(base+"/sign-in", url.Values{"csrf_token": {string(m[1])}, "email": {email},
		"password": {strings.TrimSpace(strongPasswordLine)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("sign in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// registeredJobs lists the names of the background jobs, as an administrator sees them.
func registeredJobs(t *testing.T, base, token string) []string {
	t.Helper()
	code, body := call(t, "GET", base+"/api/v1/admin/jobs", token, "")
	var list struct {
		Jobs []struct {
			Name string `json:"name"`
		} `json:"jobs"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &list) != nil {
		t.Fatalf("/api/v1/admin/jobs: %d %s", code, body)
	}
	var names []string
	for _, j := range list.Jobs {
		names = append(names, j.Name)
	}
	return names
}

// waitUntil polls cond, failing after a minute: a hang, not a measure of speed.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after a minute for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
