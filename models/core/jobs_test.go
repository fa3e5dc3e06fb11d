package core_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
	"github.com/msptp/msphub/storage"
)

// jobsFixture is one database and blob store of the backend under test shared by several
// replicas, each with its own connection pool, policy and services, as separate processes
// would have; and one clock the test moves for all of them.
type jobsFixture struct {
	cfg   core.DBConfig
	db    *core.DB // the first replica's database, for looking at rows
	blobs *storage.Store
	raw   storage.Backend
	clock *modelstest.Clock
}

func newJobsFixture(t testing.TB) *jobsFixture {
	t.Helper()
	cfg := modelstest.DBConfig(t)
	db := modelstest.OpenDBAt(t, cfg)
	modelstest.SeedOrganisations(t, db)
	raw := modelstest.BlobBackend(t)
	clock := modelstest.ClockAt(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	return &jobsFixture{cfg: cfg, db: db, blobs: storage.New(raw, modelstest.Keyring(t)), raw: raw, clock: clock}
}

// replica opens another connection pool on the fixture's database and builds the services on
// it, as another `msphub serve` process on the same database would.
func (f *jobsFixture) replica(t testing.TB) *models.Services {
	t.Helper()
	ctx := context.Background()
	db, err := core.Open(ctx, f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return models.New(core.Deps{DB: db, Authz: modelstest.Authorizer(t, db), Blobs: f.blobs, Clock: f.clock.Now})
}

func (f *jobsFixture) advance(d time.Duration) { f.clock.Set(f.clock.Now().Add(d)) }

// runs are the recorded runs of job, oldest first.
func (f *jobsFixture) runs(t testing.TB, job string) []core.JobRun {
	t.Helper()
	var out []core.JobRun
	if err := f.db.Gorm().Where("job = ?", job).Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// leased reports whether a replica holds job's lease now.
func (f *jobsFixture) leased(t testing.TB, job string) bool {
	t.Helper()
	var n int64
	if err := f.db.Gorm().Table("jobs").Where("name = ? AND run_id IS NOT NULL", job).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// waitFor polls cond until it holds, failing the test after a minute: a hang, not a speed
// measure.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after a minute for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Several runners on one database compete for every run of a job; each run happens once.
// On PostgreSQL the runners are separate connection pools racing on the row; on SQLite,
// separate connections to the same file.
func TestJobsRunOnceAcrossCompetingRunners(t *testing.T) {
	f := newJobsFixture(t)
	ctx := context.Background()
	var calls atomic.Int64
	var inFlight, overlap atomic.Int64
	count := func(ctx context.Context) (string, error) {
		if inFlight.Add(1) > 1 {
			overlap.Add(1)
		}
		defer inFlight.Add(-1)
		calls.Add(1)
		time.Sleep(10 * time.Millisecond) // widen the window in which a second runner could wrongly start
		return "counted", nil
	}
	var replicas []*models.Services
	for range 3 {
		s := f.replica(t)
		s.Jobs.Register("count", time.Hour, count)
		replicas = append(replicas, s)
	}

	// RunDue, started at once on every replica, five rounds an hour apart.
	const rounds = 5
	for round := 1; round <= rounds; round++ {
		var start, done sync.WaitGroup
		start.Add(1)
		ran := make([]int, len(replicas))
		errs := make([]error, len(replicas))
		for i, s := range replicas {
			done.Go(func() {
				start.Wait()
				ran[i], errs[i] = s.Jobs.RunDue(ctx)
			})
		}
		start.Done()
		done.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if got := calls.Load(); got != int64(round) {
			t.Fatalf("round %d: the job ran %d times in all, want %d", round, got, round)
		}
		// A second pass in the same hour finds nothing due.
		if n, err := replicas[round%3].Jobs.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("round %d: a second pass ran %d jobs (%v), want 0", round, n, err)
		}
		f.advance(time.Hour)
	}

	// Run, the loop serve starts, on every replica at once, ticking fast.
	rctx, stop := context.WithCancel(ctx)
	var loops sync.WaitGroup
	for _, s := range replicas {
		loops.Go(func() { s.Jobs.Run(rctx, 2*time.Millisecond) })
	}
	for round := rounds + 1; round <= 2*rounds; round++ {
		waitFor(t, fmt.Sprintf("run %d", round), func() bool { return calls.Load() >= int64(round) && !f.leased(t, "count") })
		// Let every loop tick a few more times with the job not due: nothing more may run.
		time.Sleep(30 * time.Millisecond)
		if got := calls.Load(); got != int64(round) {
			t.Fatalf("Run loops: the job ran %d times in all, want %d", got, round)
		}
		f.advance(time.Hour)
	}
	stop()
	loops.Wait()

	if overlap.Load() != 0 {
		t.Errorf("two runs of the job overlapped %d times", overlap.Load())
	}
	runs := f.runs(t, "count")
	if len(runs) != 2*rounds {
		t.Fatalf("%d runs recorded, want %d", len(runs), 2*rounds)
	}
	for i, r := range runs {
		if r.Outcome != core.JobSucceeded || r.Summary != "counted" || r.FinishedAt == nil || r.RunID == "" {
			t.Errorf("run %d: %+v", i+1, r)
		}
		if i > 0 && !r.StartedAt.After(runs[i-1].StartedAt) {
			t.Errorf("run %d started %v, not after run %d (%v): two runs in one hour", i+1, r.StartedAt, i, runs[i-1].StartedAt)
		}
	}
}

// A replica killed mid-run (its context cancelled before the job finished) holds the job until
// its lease runs out; then another replica runs it, and the first run shows as abandoned.
func TestJobsKilledRunnerLetsAnotherRunAfterTheLease(t *testing.T) {
	f := newJobsFixture(t)
	ctx := context.Background()
	a, b := f.replica(t), f.replica(t)
	started := make(chan struct{})
	a.Jobs.Register("long", time.Hour, func(ctx context.Context) (string, error) {
		close(started)
		<-ctx.Done() // killed before finishing
		return "", ctx.Err()
	})
	var bRuns atomic.Int64
	b.Jobs.Register("long", time.Hour, func(context.Context) (string, error) {
		bRuns.Add(1)
		return "finished", nil
	})

	actx, kill := context.WithCancel(ctx)
	aDone := make(chan struct{})
	go func() {
		defer close(aDone)
		a.Jobs.Run(actx, time.Hour)
	}()
	select {
	case <-started:
	case <-time.After(time.Minute):
		t.Fatal("the first replica did not start the job within a minute")
	}
	kill()
	<-aDone
	if runs := f.runs(t, "long"); len(runs) != 1 || runs[0].Outcome != core.JobRunning || runs[0].FinishedAt != nil {
		t.Fatalf("after the kill: runs %+v, want one still marked running", runs)
	}

	// Within the lease, nobody else may take it.
	f.advance(core.JobLease - time.Second)
	if _, err := b.Jobs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if bRuns.Load() != 0 {
		t.Fatal("another replica ran the job while the killed replica's lease held")
	}
	// Once the lease has run out, another replica runs it.
	f.advance(2 * time.Second)
	if _, err := b.Jobs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if bRuns.Load() != 1 {
		t.Fatalf("after the lease, the other replica ran the job %d times, want 1", bRuns.Load())
	}
	runs := f.runs(t, "long")
	if len(runs) != 2 || runs[0].Outcome != core.JobAbandoned || runs[0].FinishedAt == nil || runs[0].Error == "" ||
		runs[1].Outcome != core.JobSucceeded || runs[1].Summary != "finished" {
		t.Fatalf("runs %+v, want the killed run abandoned and the second succeeded", runs)
	}
	if f.leased(t, "long") {
		t.Error("the lease is still held after the run finished")
	}
}

// A job that fails or panics is recorded as failed, with a message safe to show and the cause
// left to the log; it is tried again after JobRetry, and the runner carries on. The history of
// each job is bounded.
func TestJobsRecordFailures(t *testing.T) {
	f := newJobsFixture(t)
	ctx := context.Background()
	s := f.replica(t)
	fail := true
	s.Jobs.Register("flaky", 24*time.Hour, func(context.Context) (string, error) {
		if fail {
			return "2 of 5 done", errors.New("dial tcp 10.0.0.9:25: connection refused")
		}
		return "5 of 5 done", nil
	})
	s.Jobs.Register("broken", 24*time.Hour, func(context.Context) (string, error) {
		var m map[string]int
		m["x"]++ // panics
		return "", nil
	})
	s.Jobs.Register("refused", 24*time.Hour, func(context.Context) (string, error) {
		return "", core.Unavailable("The mail server is not answering.", errors.New("535 authentication failed for user relay"))
	})
	if n, err := s.Jobs.RunDue(ctx); err != nil || n < 3 {
		t.Fatalf("RunDue: %d, %v", n, err)
	}
	for _, c := range []struct{ job, summary, message string }{
		{"flaky", "2 of 5 done", "Something went wrong"},
		{"broken", "", "Something went wrong"},
		{"refused", "", "The mail server is not answering."},
	} {
		runs := f.runs(t, c.job)
		if len(runs) != 1 {
			t.Fatalf("%s: %d runs", c.job, len(runs))
		}
		r := runs[0]
		if r.Outcome != core.JobFailed || r.Summary != c.summary || !strings.HasPrefix(r.Error, c.message) || !strings.Contains(r.Error, r.RunID) {
			t.Errorf("%s: run %+v, want failed with summary %q and message %q naming the run", c.job, r, c.summary, c.message)
		}
		// The run ID is random hex and may hold "535" by chance: look at the rest.
		shown := strings.ReplaceAll(r.Error, r.RunID, "")
		for _, secret := range []string{"10.0.0.9", "panic", "535", "relay"} {
			if strings.Contains(shown, secret) {
				t.Errorf("%s: the recorded error %q shows the cause (%s)", c.job, r.Error, secret)
			}
		}
	}
	// Tried again after JobRetry, not after the day.
	f.advance(core.JobRetry - time.Second)
	if n, _ := s.Jobs.RunDue(ctx); n != 0 {
		t.Errorf("%d jobs ran again before JobRetry", n)
	}
	fail = false
	f.advance(2 * time.Second)
	if _, err := s.Jobs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if runs := f.runs(t, "flaky"); len(runs) != 2 || runs[1].Outcome != core.JobSucceeded || runs[1].Error != "" {
		t.Errorf("after the retry: %+v", runs)
	}

	// The history keeps the latest 50 runs of each job.
	for range 55 {
		f.advance(24 * time.Hour)
		if _, err := s.Jobs.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	runs := f.runs(t, "flaky")
	if len(runs) != 50 || !runs[49].StartedAt.Equal(f.clock.Now()) {
		t.Errorf("%d runs kept (the last started %v), want the latest 50", len(runs), runs[len(runs)-1].StartedAt)
	}
}

// Register refuses what would be a mistake in the code.
func TestJobsRegisterRefusesMistakes(t *testing.T) {
	s := newJobsFixture(t).replica(t)
	ok := func(context.Context) (string, error) { return "", nil }
	for _, c := range []struct {
		name  string
		every time.Duration
		fn    core.JobFunc
	}{
		{"Bad Name", time.Hour, ok},
		{"", time.Hour, ok},
		{"no-interval", 0, ok},
		{"no-function", time.Hour, nil},
		{identity.JobExpireSessions, time.Hour, ok}, // registered already
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q, %v) did not panic", c.name, c.every)
				}
			}()
			s.Jobs.Register(c.name, c.every, c.fn)
		}()
	}
}

// Administrators see every job with its interval, last run and next run; nobody else does.
func TestJobsListIsForAdministrators(t *testing.T) {
	f := newJobsFixture(t)
	ctx := context.Background()
	s := f.replica(t)
	s.Jobs.Register("count", 2*time.Hour, func(context.Context) (string, error) { return "counted 3", nil })
	admin := jobsPerson(t, s, policies.RoleAdmin)
	officer := jobsPerson(t, s, policies.RoleOfficer, policies.RoleSupervisor, policies.RoleOrgAdmin, policies.RoleAuditor)

	if _, err := s.Jobs.List(ctx, officer); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Fatalf("List by a non-administrator: %v, want EFORBIDDEN", err)
	}
	list, err := s.Jobs.List(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 || list[len(list)-1].Name != "count" || list[len(list)-1].LastRun != nil || list[len(list)-1].NextRunAt != nil {
		t.Fatalf("before any run: %+v", list)
	}
	for _, want := range []string{identity.JobExpireSessions, core.JobSweepOrphanedBlobs, guidance.JobRemindGuidanceReviews} {
		found := false
		for _, j := range list {
			found = found || j.Name == want
		}
		if !found {
			t.Errorf("%s is not listed", want)
		}
	}
	if _, err := s.Jobs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	list, err = s.Jobs.List(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range list {
		if j.LastRun == nil || j.LastRun.Outcome != core.JobSucceeded || j.NextRunAt == nil || j.Running {
			t.Errorf("after a run, %s: %+v (last run %+v)", j.Name, j, j.LastRun)
		}
	}
	c := list[len(list)-1]
	if c.Interval() != 2*time.Hour || c.LastRun.Summary != "counted 3" || !c.NextRunAt.Equal(f.clock.Now().Add(2*time.Hour)) {
		t.Errorf("count: interval %v, summary %q, next run %v", c.Interval(), c.LastRun.Summary, c.NextRunAt)
	}
}

// jobsPerson creates a user holding roles in the home organisation and returns them as the actor
// a signed-in request would carry.
func jobsPerson(t testing.TB, s *models.Services, roles ...string) core.Actor {
	t.Helper()
	ctx := context.Background()
	o, err := s.Operator.OrganisationBySlug(ctx, jobsHome)
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := s.Operator.CreateUser(ctx, identity.UserInput{OrganisationID: o.ID, Email: fmt.Sprintf("jobs-%s@example.police.uk", strings.Join(roles, "-")),
		Name: "Jobs " + strings.Join(roles, " "), Roles: roles}, "")
	if err != nil {
		t.Fatal(err)
	}
	return core.Actor{UserID: u.ID, OrgID: o.ID, Name: u.Name, Roles: u.Roles, Clearance: policies.Official, MFAPassed: true}
}

// jobsHome is the organisation of jobsPerson's people.
const jobsHome = "devon-and-cornwall-police"
