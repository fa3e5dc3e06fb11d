package core

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Family names a family of data that lists show and that changes rarely. Each has a change
// counter (the data_versions table) that every transaction writing its data bumps through
// Changed, so a list can tell a client "nothing changed since your copy" (an ETag) from the
// counters alone, without running its query.
type Family string

// The families. A list reads the counters of every family it shows.
const (
	Courses       Family = "courses"       // courses, their trainers and sessions, the places taken, certificates
	Guidance      Family = "guidance"      // documents, versions, audiences, acknowledgements
	Organisations Family = "organisations" // organisations: names, kinds, regions, active
	People        Family = "people"        // users: who exists, in which organisation, enabled
	Templates     Family = "templates"     // checklist templates and their items
	Operations    Family = "operations"    // operations, victims, suspects, charges and outcomes
)

// Changed records that the transaction in ctx writes data of the families: their counters are
// bumped once each however often it says so, and not at all if it rolls back (on SQLite as the
// transaction's last statement, on PostgreSQL just after its commit: bumpAfterCommit). Call it
// inside InTx; outside a transaction there is nothing to attach the change to, which is a bug
// in the caller.
func Changed(ctx context.Context, families ...Family) {
	st, ok := ctx.Value(txKey{}).(*txState)
	if !ok || st.readOnly {
		panic("core.Changed called outside a transaction begun by InTx")
	}
	for _, f := range families {
		if !slices.Contains(st.changed, f) {
			st.changed = append(st.changed, f)
		}
	}
}

// bumpVersions bumps the counters of the families changed, with conn, in name order so that
// two bumps never wait on each other's rows in opposite orders. A counter moves to at least the
// current time in microseconds: after a database is restored from a backup, its counters still
// move past every value handed out before, so an old tag never matches new data.
func bumpVersions(conn *gorm.DB, changed []Family, now time.Time) error {
	if len(changed) == 0 {
		return nil
	}
	slices.Sort(changed)
	floor := now.UnixMicro()
	return conn.Exec("UPDATE data_versions SET version = CASE WHEN version + 1 > ? THEN version + 1 ELSE ? END WHERE name IN ?",
		floor, floor, changed).Error
}

// bumpAfterCommit bumps, on PostgreSQL, the counters of what a transaction changed just after it
// committed, on their own. Bumped inside it, a counter's row stays locked through the COMMIT and
// every writer of the family queues on it: 16 clients creating courses ran at 2,300 a second
// so, and at 4,000 with no bump. A reader between the commit and the bump gets the new data
// under the old tag, which only costs it one more full answer; a bump that fails (the change
// itself has committed and is not undone) or never happens (the process stopped) leaves a copy
// stale for at most the minute every tag also holds (Freshness). SQLite, one writer at a time,
// bumps them in the transaction as its last statement.
//
// Transactions that commit at about the same time share one bump (bumper): it returns once an
// UPDATE begun after its commit has bumped its families.
func (db *DB) bumpAfterCommit(ctx context.Context, changed []Family) {
	if len(changed) == 0 {
		return
	}
	if err := db.bumps.after(changed, db.bumpNow); err != nil && db.log != nil {
		db.log.ErrorContext(ctx, "change counters not bumped: lists may answer 304 for up to a minute", "families", changed, "error", err)
	}
}

// bumpNow bumps the families' counters, on its own.
func (db *DB) bumpNow(families []Family) error {
	return bumpVersions(db.gorm.WithContext(context.Background()), families, time.Now())
}

// bumper gathers the counter bumps that transactions ask for after their commits and makes them
// one UPDATE at a time: while one runs, the next ones wait and then go together. Without it each
// commit of a busy family queued on the counter's row in an UPDATE of its own (500 enrolments at
// once: 500 UPDATEs of one row, one after the other).
type bumper struct {
	mu      sync.Mutex
	pending []Family     // the families of the waiting requests, each once
	waiters []chan error // the requests that wait for the next UPDATE
	running bool         // a goroutine is running UPDATEs
}

// after bumps families with bump, together with whatever other requests wait, and returns once
// an UPDATE begun after the call has covered them.
func (b *bumper) after(families []Family, bump func([]Family) error) error {
	done := make(chan error, 1)
	b.mu.Lock()
	for _, f := range families {
		if !slices.Contains(b.pending, f) {
			b.pending = append(b.pending, f)
		}
	}
	b.waiters = append(b.waiters, done)
	if !b.running {
		b.running = true
		go b.run(bump)
	}
	b.mu.Unlock()
	return <-done
}

// run bumps what is pending, again and again, until nothing is.
func (b *bumper) run(bump func([]Family) error) {
	for {
		b.mu.Lock()
		families, waiters := b.pending, b.waiters
		b.pending, b.waiters = nil, nil
		if len(waiters) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		err := bump(families)
		for _, w := range waiters {
			w <- err
		}
	}
}

// Versions reads the counters of the families, in the order given: from those the request's
// authentication read (NoteVersions), or else with one query.
func (db *DB) Versions(ctx context.Context, families ...Family) ([]int64, error) {
	out := make([]int64, len(families))
	if seen, ok := ctx.Value(seenKey{}).(*seenVersions); ok && seen.all != nil {
		for i, f := range families {
			out[i] = seen.all[f]
		}
		return out, nil
	}
	var rows []struct {
		Name    Family
		Version int64
	}
	if err := db.Conn(ctx).Table("data_versions").Select("name, version").Where("name IN ?", families).Scan(&rows).Error; err != nil {
		return nil, DBError(err)
	}
	for _, r := range rows {
		out[slices.Index(families, r.Name)] = r.Version
	}
	return out, nil
}

// VersionsColumn is an SQL expression for every family's counter in one text value, for the
// query that authenticates a request to read beside the actor, so that a list's ETag needs no
// query of its own: the counters are then read before the list, as Freshness requires.
func (db *DB) VersionsColumn() string {
	agg := "group_concat"
	if db.dialect == DialectPostgres {
		agg = "string_agg"
	}
	return "COALESCE((SELECT " + agg + "(name || ':' || version, ',') FROM data_versions), '')"
}

type seenKey struct{}

// seenVersions are the counters read by VersionsColumn for one request.
type seenVersions struct{ all map[Family]int64 }

// ExpectVersions returns ctx ready to keep the counters the request's authentication reads
// (NoteVersions) for Versions to answer from.
func ExpectVersions(ctx context.Context) context.Context {
	return context.WithValue(ctx, seenKey{}, &seenVersions{})
}

// NoteVersions keeps the value of VersionsColumn read for the request in ctx, if ctx expects it
// (ExpectVersions). A value it cannot read is not kept: Versions then asks the database.
func NoteVersions(ctx context.Context, column string) {
	seen, ok := ctx.Value(seenKey{}).(*seenVersions)
	if !ok {
		return
	}
	all := map[Family]int64{}
	for pair := range strings.SplitSeq(column, ",") {
		name, v, _ := strings.Cut(pair, ":")
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return
		}
		all[Family(name)] = n
	}
	seen.all = all
}
