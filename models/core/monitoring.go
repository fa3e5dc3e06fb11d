package core

import (
	"context"
	"database/sql"
	"time"
)

// Monitor reads the figures the metrics endpoint reports, at the moment it is scraped: the
// connection pool, the audit chain's length and the background jobs' runs. It reads no case
// material and no personal data, and it authorizes nothing itself: only /metrics, which has its
// own gate (an address range or a token), calls it.
type Monitor struct{ d Deps }

// Pool is the database connection pool's statistics.
func (m *Monitor) Pool() sql.DBStats { return m.d.DB.sql.Stats() }

// Dialect names the database: sqlite or postgres.
func (m *Monitor) Dialect() string { return m.d.DB.dialect }

// AuditChainLength is the number of events sequenced into the audit log: the size of its
// Merkle tree, read from the tree's one head row.
func (m *Monitor) AuditChainLength(ctx context.Context) (int64, error) {
	var n int64
	err := m.d.DB.sql.QueryRowContext(ctx, "SELECT size FROM audit_tree WHERE id = 1").Scan(&n)
	return n, err
}

// AuditWaiting sums up the audit events waiting for the sequencer (see Audit.Waiting).
func (m *Monitor) AuditWaiting(ctx context.Context) (AuditWaiting, error) {
	return NewAudit(Deps{DB: m.d.DB, Clock: m.d.Clock}).Waiting(ctx)
}

// Now is the clock the figures are read against.
func (m *Monitor) Now() time.Time { return m.d.Now() }

// JobFigures sum up one background job for the metrics, from its schedule and the runs job_runs
// keeps (the latest few dozen of each job: counts over them are recent, not totals).
type JobFigures struct {
	Job           string
	NextRunAt     time.Time
	LastStarted   *time.Time     // the latest run's start
	LastSucceeded *time.Time     // the latest successful run's end
	LastFailed    bool           // the latest finished run failed or was abandoned
	Running       int            // runs a replica holds now
	Recent        map[string]int // kept runs by outcome
}

// Jobs reads every job's figures: one small read of the jobs table and of the kept runs.
func (m *Monitor) Jobs(ctx context.Context) ([]JobFigures, error) {
	var schedule []struct {
		Name      string
		NextRunAt time.Time
	}
	if err := m.d.DB.gorm.WithContext(ctx).Table("jobs").Select("name, next_run_at").Order("name").Scan(&schedule).Error; err != nil {
		return nil, err
	}
	var runs []JobRun
	if err := m.d.DB.gorm.WithContext(ctx).Select("job, outcome, started_at, finished_at").Order("id").Find(&runs).Error; err != nil {
		return nil, err
	}
	out := make([]JobFigures, len(schedule))
	at := map[string]*JobFigures{}
	for i, s := range schedule {
		out[i] = JobFigures{Job: s.Name, NextRunAt: s.NextRunAt, Recent: map[string]int{}}
		at[s.Name] = &out[i]
	}
	for _, r := range runs { // oldest first: the last one seen is the latest
		f := at[r.Job]
		if f == nil {
			continue
		}
		f.Recent[r.Outcome]++
		f.LastStarted = &r.StartedAt
		switch r.Outcome {
		case JobRunning:
			f.Running++
		case JobSucceeded:
			f.LastSucceeded, f.LastFailed = r.FinishedAt, false
		case JobFailed, JobAbandoned:
			f.LastFailed = true
		}
	}
	return out, nil
}

// NewMonitor builds the figures' reader.
func NewMonitor(d Deps) *Monitor { return &Monitor{d: d} }
