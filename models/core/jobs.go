package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msptp/msphub/policies"
)

// JobFunc is one run of a background job: it does the work due now and returns a short summary
// of what it did ("3 expired sessions removed") for the admin page. It must stop soon after ctx
// ends, and be safe to run again after an interrupted run: a run cut off by a replica that died
// is run again, from the start, by another.
type JobFunc func(ctx context.Context) (string, error)

// Job is a background job as a domain declares it: the wiring registers every domain's Jobs.
type Job struct {
	Name  string        // lower-case words joined by hyphens, stable across releases
	Every time.Duration // how often it runs
	Run   JobFunc
}

// Outcomes of a job run.
const (
	JobRunning   = "running"
	JobSucceeded = "success"
	JobFailed    = "failure"
	// JobAbandoned is a run whose replica stopped (was killed, or shut down) before it finished:
	// its lease ran out and another replica took the job.
	JobAbandoned = "abandoned"
)

// JobLease is how long a claimed run belongs to its replica without renewal. The replica renews
// it every JobLease/4 while the job runs; a replica killed mid-run stops renewing, and once the
// lease has run out another replica takes the job.
const JobLease = 2 * time.Minute

// JobRetry is how soon a failed job is tried again (sooner if its interval is shorter).
const JobRetry = 5 * time.Minute

// jobHistory is how many runs of each job job_runs keeps.
const jobHistory = 50

// Column sizes of job_runs.
const (
	jobSummaryLen = 500
	jobErrorLen   = 500
	jobReplicaLen = 200
)

// JobRun is one run of a job, as the admin page shows it.
type JobRun struct {
	ID         int64      `json:"-"`
	Job        string     `json:"job"`
	RunID      string     `json:"run_id"` // names the run in the log and in the audit events it wrote (their request ID)
	Replica    string     `json:"replica"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Outcome    string     `json:"outcome"` // JobRunning, JobSucceeded, JobFailed or JobAbandoned
	Summary    string     `json:"summary"`
	Error      string     `json:"error,omitempty"` // what went wrong, safe to show; the cause is in the log under run_id
}

func (JobRun) TableName() string { return "job_runs" }

// jobRow is a job's schedule and, while a replica runs it, that replica's lease.
type jobRow struct {
	Name         string `gorm:"primaryKey"`
	EverySeconds int64
	NextRunAt    time.Time
	LeaseUntil   *time.Time
	RunID        *string
	UpdatedAt    time.Time
}

func (jobRow) TableName() string { return "jobs" }

// JobStatus is a registered job with its schedule and its latest run.
type JobStatus struct {
	Name            string     `json:"name"`
	IntervalSeconds int64      `json:"interval_seconds"`
	NextRunAt       *time.Time `json:"next_run_at,omitempty"` // absent until a runner has seen the job
	Running         bool       `json:"running"`               // a replica holds its lease now
	LastRun         *JobRun    `json:"last_run,omitempty"`    // absent until it has run
}

// Interval is how often the job runs.
func (s JobStatus) Interval() time.Duration { return time.Duration(s.IntervalSeconds) * time.Second }

// Jobs runs MSP Hub's background jobs: reminders, expiries, outbox delivery, clean-ups. Each job
// is registered once, by name, with its interval. Every replica runs a runner (Run); a run
// happens on one replica only, whichever claims it first: the claim is a conditional UPDATE of
// the job's row that takes a lease, so no leader process is needed, and a replica that dies
// mid-run lets another take the job once its lease has run out. Each run is recorded in
// job_runs (start, finish, outcome, summary), which admins see.
type Jobs struct {
	d       Deps
	audit   *Audit
	replica string

	mu   sync.Mutex
	jobs []*jobEntry
}

// job is a registered job, with what this process knows of it.
type jobEntry struct {
	name    string
	every   time.Duration
	fn      JobFunc
	busy    atomic.Bool // running in this process now
	ensured atomic.Bool // its row exists, with this interval
}

func NewJobs(d Deps, audit *Audit) *Jobs {
	host, _ := os.Hostname()
	return &Jobs{d: d, audit: audit, replica: Clip(fmt.Sprintf("%s pid %d", host, os.Getpid()), jobReplicaLen)}
}

var jobNamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,99}$`)

// Register adds a job that runs every interval, first as soon as a runner sees it. name is
// lower-case words joined by hyphens ("deliver-outbox"), unique, and stable across releases: it
// keys the job's schedule and history in the database. Register before starting Run; it panics
// on a bad or duplicate name or a non-positive interval, which are mistakes in the code.
func (j *Jobs) Register(name string, every time.Duration, fn JobFunc) {
	if !jobNamePattern.MatchString(name) || every <= 0 || fn == nil {
		panic(fmt.Sprintf("models: job %q registered with interval %v and function %v", name, every, fn != nil))
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if slices.ContainsFunc(j.jobs, func(jb *jobEntry) bool { return jb.name == name }) {
		panic(fmt.Sprintf("models: job %q registered twice", name))
	}
	j.jobs = append(j.jobs, &jobEntry{name: name, every: every, fn: fn})
}

func (j *Jobs) registered() []*jobEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.jobs)
}

// Run looks for due jobs every tick and runs each it claims, in its own goroutine, until ctx
// ends; then it waits for the runs in progress to stop, and returns. A run cut off this way is
// left as a dying replica would leave it: another replica takes the job when the lease runs out.
// A database that does not answer is logged and tried again at the next tick.
func (j *Jobs) Run(ctx context.Context, tick time.Duration) {
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		due, err := j.due(ctx)
		if err != nil && ctx.Err() == nil {
			j.d.Log.Warn("background jobs: cannot read the schedule; trying again at the next tick", slog.String("error", err.Error()))
		}
		for _, jb := range due {
			if !jb.busy.CompareAndSwap(false, true) {
				continue
			}
			wg.Go(func() {
				defer jb.busy.Store(false)
				if _, err := j.runOne(ctx, jb); err != nil && ctx.Err() == nil {
					j.d.Log.Warn("background jobs: cannot claim or record a run", slog.String("job", jb.name), slog.String("error", err.Error()))
				}
			})
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue runs, one after another, every job that is due now and that this call claims, and
// returns how many it ran. A job already running in this process is skipped. A job's failure is
// recorded in its run, not returned; the error is about claiming or recording.
func (j *Jobs) RunDue(ctx context.Context) (int, error) {
	due, err := j.due(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, jb := range due {
		if !jb.busy.CompareAndSwap(false, true) {
			continue
		}
		ran, err := j.runOne(ctx, jb)
		jb.busy.Store(false)
		if err != nil {
			return n, err
		}
		if ran {
			n++
		}
	}
	return n, nil
}

// due makes sure every registered job has its row, then returns those due now and not leased.
// The read keeps the common case (nothing due) out of a write transaction.
func (j *Jobs) due(ctx context.Context) ([]*jobEntry, error) {
	jobs := j.registered()
	for _, jb := range jobs {
		if err := j.ensure(ctx, jb); err != nil {
			return nil, err
		}
	}
	now := j.d.Now()
	var names []string
	err := j.d.DB.Conn(ctx).Model(&jobRow{}).Where("next_run_at <= ? AND (lease_until IS NULL OR lease_until < ?)", now, now).Pluck("name", &names).Error
	if err != nil {
		return nil, DBError(err)
	}
	return slices.DeleteFunc(jobs, func(jb *jobEntry) bool { return !slices.Contains(names, jb.name) }), nil
}

// ensure creates the job's row, due now, or brings its interval in step with the code: a shorter
// interval brings the next run forward.
func (j *Jobs) ensure(ctx context.Context, jb *jobEntry) error {
	if jb.ensured.Load() {
		return nil
	}
	now := j.d.Now()
	secs := int64(jb.every / time.Second)
	db := j.d.DB.Conn(ctx)
	if err := db.Exec("INSERT INTO jobs (name, every_seconds, next_run_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
		jb.name, secs, now, now).Error; err != nil {
		return DBError(err)
	}
	soonest := now.Add(jb.every)
	if err := db.Exec("UPDATE jobs SET every_seconds = ?, next_run_at = CASE WHEN next_run_at > ? THEN ? ELSE next_run_at END, updated_at = ? "+
		"WHERE name = ? AND every_seconds <> ?", secs, soonest, soonest, now, jb.name, secs).Error; err != nil {
		return DBError(err)
	}
	jb.ensured.Store(true)
	return nil
}

// runOne claims jb and, if the claim holds, runs it and records the outcome. It reports whether
// it ran the job.
func (j *Jobs) runOne(ctx context.Context, jb *jobEntry) (bool, error) {
	runID := newRunID()
	started := j.d.Now()
	claimed := false
	err := j.d.DB.InTx(ctx, func(ctx context.Context) error {
		res := j.d.DB.Conn(ctx).Exec("UPDATE jobs SET lease_until = ?, run_id = ?, updated_at = ? "+
			"WHERE name = ? AND next_run_at <= ? AND (lease_until IS NULL OR lease_until < ?)",
			started.Add(JobLease), runID, started, jb.name, started, started)
		if res.Error != nil || res.RowsAffected != 1 {
			return DBError(res.Error)
		}
		claimed = true
		// A run still marked running lost its replica: this claim is only possible once its
		// lease ran out.
		if err := j.d.DB.Conn(ctx).Model(&JobRun{}).Where("job = ? AND outcome = ?", jb.name, JobRunning).
			Updates(map[string]any{"outcome": JobAbandoned, "finished_at": started,
				"error": "Its replica stopped before the run finished, so the job ran again on another."}).Error; err != nil {
			return DBError(err)
		}
		return DBError(j.d.DB.Conn(ctx).Create(&JobRun{Job: jb.name, RunID: runID, Replica: j.replica, StartedAt: started, Outcome: JobRunning}).Error)
	})
	if err != nil || !claimed {
		return false, err
	}

	log := j.d.Log.With(slog.String("job", jb.name), slog.String("run_id", runID))
	rctx, cancel := context.WithCancel(WithRequestInfo(ctx, RequestInfo{ID: runID, UserAgent: "msphub job " + jb.name}))
	defer cancel()
	var lost atomic.Bool
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		j.renew(rctx, jb.name, runID, log, func() { lost.Store(true); cancel() })
	}()
	summary, runErr := j.call(rctx, jb)
	cancel()
	<-renewed

	if runErr != nil && ctx.Err() != nil {
		// Shut down (or killed) mid-run: write nothing more, as a dying replica could not. The
		// lease runs out and another replica runs the job.
		log.Info("background job interrupted by shutdown; another replica will run it when its lease ends", slog.String("error", runErr.Error()))
		return true, nil
	}
	finished := j.d.Now()
	outcome, message := JobSucceeded, ""
	next := started.Add(jb.every)
	if !next.After(finished) {
		next = finished.Add(jb.every)
	}
	if lost.Load() && runErr == nil {
		runErr = errors.New("lost its lease: another replica took the job")
	}
	if runErr != nil {
		outcome = JobFailed
		message = Clip(ErrorMessage(runErr)+" (the log has the cause, under run ID "+runID+")", jobErrorLen)
		next = finished.Add(min(jb.every, JobRetry))
		log.Error("background job failed", slog.String("summary", summary), slog.String("error", runErr.Error()))
	} else {
		log.Info("background job done", slog.String("summary", summary))
	}
	// Record even if ctx has just ended: the work is done, and saying so spares a rerun.
	wctx, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer stop()
	err = j.d.DB.InTx(wctx, func(ctx context.Context) error {
		db := j.d.DB.Conn(ctx)
		if err := db.Model(&JobRun{}).Where("run_id = ? AND outcome = ?", runID, JobRunning).Updates(map[string]any{
			"finished_at": finished, "outcome": outcome, "summary": Clip(summary, jobSummaryLen), "error": message}).Error; err != nil {
			return DBError(err)
		}
		if err := db.Exec("UPDATE jobs SET lease_until = NULL, run_id = NULL, next_run_at = ?, updated_at = ? WHERE name = ? AND run_id = ?",
			next, finished, jb.name, runID).Error; err != nil {
			return DBError(err)
		}
		// Keep the latest runs only.
		return DBError(db.Exec("DELETE FROM job_runs WHERE job = ? AND id <= (SELECT id FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
			jb.name, jb.name, jobHistory).Error)
	})
	return true, err
}

// call runs the job's function, turning a panic into an error so that one broken job neither
// stops the runner nor goes unrecorded.
func (j *Jobs) call(ctx context.Context, jb *jobEntry) (summary string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return jb.fn(ctx)
}

// renew extends the lease of a run every JobLease/4 until ctx ends. If the lease is found taken
// (renewals failed for longer than the lease, and another replica claimed the job), it calls
// lost, which stops the run: two replicas must not run one job at once.
func (j *Jobs) renew(ctx context.Context, name, runID string, log *slog.Logger, lost func()) {
	t := time.NewTicker(JobLease / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := j.d.Now()
		res := j.d.DB.Conn(ctx).Exec("UPDATE jobs SET lease_until = ?, updated_at = ? WHERE name = ? AND run_id = ?", now.Add(JobLease), now, name, runID)
		switch {
		case ctx.Err() != nil:
			return
		case res.Error != nil:
			log.Warn("background job: cannot renew its lease; trying again", slog.String("error", res.Error.Error()))
		case res.RowsAffected == 0:
			log.Error("background job lost its lease to another replica; stopping it")
			lost()
			return
		}
	}
}

func newRunID() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return hex.EncodeToString(b)
}

// List returns every registered job with its schedule and latest run, in the order they were
// registered. Who: administrators. Errors: EFORBIDDEN.
func (j *Jobs) List(ctx context.Context, who Actor) ([]JobStatus, error) {
	if err := Can(ctx, j.d.Authz, who, policies.ActRead, policies.Object{Type: "job"}, "Only administrators can see the background jobs."); err != nil {
		return nil, err
	}
	db := j.d.DB.Conn(ctx)
	var rows []jobRow
	if err := db.Find(&rows).Error; err != nil {
		return nil, DBError(err)
	}
	var runs []JobRun
	if err := db.Where("id IN (SELECT MAX(id) FROM job_runs GROUP BY job)").Find(&runs).Error; err != nil {
		return nil, DBError(err)
	}
	now := j.d.Now()
	out := []JobStatus{}
	for _, jb := range j.registered() {
		s := JobStatus{Name: jb.name, IntervalSeconds: int64(jb.every / time.Second)}
		if i := slices.IndexFunc(rows, func(r jobRow) bool { return r.Name == jb.name }); i >= 0 {
			r := rows[i]
			s.IntervalSeconds = r.EverySeconds
			next := r.NextRunAt.UTC()
			s.NextRunAt = &next
			s.Running = r.RunID != nil && r.LeaseUntil != nil && r.LeaseUntil.After(now)
		}
		if i := slices.IndexFunc(runs, func(r JobRun) bool { return r.Job == jb.name }); i >= 0 {
			r := runs[i]
			s.LastRun = &r
		}
		out = append(out, s)
	}
	return out, nil
}
