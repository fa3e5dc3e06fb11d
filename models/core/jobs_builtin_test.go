package core_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
)

// lastRun is the newest recorded run of job.
func (f *jobsFixture) lastRun(t testing.TB, job string) core.JobRun {
	t.Helper()
	runs := f.runs(t, job)
	if len(runs) == 0 {
		t.Fatalf("%s has not run", job)
	}
	return runs[len(runs)-1]
}

// The session clean-up removes sessions past the idle or the absolute time-out and keeps the
// live ones.
func TestJobExpireSessions(t *testing.T) {
	f := newJobsFixture(t)
	ctx := context.Background()
	s := f.replica(t)
	who := jobsPerson(t, s, policies.RoleOfficer)
	now := f.clock.Now()
	for _, sess := range []identity.Session{
		{ID: "idle", LastSeenAt: now.Add(-31 * time.Minute), CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(11 * time.Hour)},
		{ID: "old", LastSeenAt: now.Add(-time.Minute), CreatedAt: now.Add(-12 * time.Hour), ExpiresAt: now},
		{ID: "live", LastSeenAt: now.Add(-29 * time.Minute), CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour)},
	} {
		sess.UserID, sess.CSRFToken = who.UserID, "csrf-"+sess.ID
		if err := f.db.Gorm().Create(&sess).Error; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Jobs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	var left []string
	if err := f.db.Gorm().Model(&identity.Session{}).Order("id").Pluck("id", &left).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(left, []string{"live"}) {
		t.Errorf("sessions left %q, want only the live one", left)
	}
	if r := f.lastRun(t, identity.JobExpireSessions); r.Outcome != core.JobSucceeded || r.Summary != "2 expired sessions removed" {
		t.Errorf("run %+v", r)
	}
	if n := modelstest.AuditCount(t, f.db, "auth.sessions_expire", ""); n != 1 {
		t.Errorf("%d audit events of the clean-up, want 1", n)
	}
}

// The orphan sweep removes an object that no blob row refers to once it is older than the
// grace period, and keeps a younger orphan (an upload whose row may be about to commit), an
// object with a row, and anything outside the blob prefix.
func TestJobSweepOrphanedBlobs(t *testing.T) {
	f := newJobsFixture(t)
	ctx := context.Background()
	s := f.replica(t)
	put := func(key string) {
		t.Helper()
		env, err := f.blobs.Put(ctx, key, strings.NewReader("content of "+key), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(key, "referenced") {
			b := core.Blob{ObjectKey: key, KeyID: env.KeyID, WrappedKey: base64.StdEncoding.EncodeToString(env.WrappedKey), Size: env.Size,
				SHA256: env.SHA256, ContentType: "text/plain", CreatedAt: f.clock.Now()}
			if err := f.db.Gorm().Create(&b).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	put("blobs/2026/01/old-orphan")
	put("blobs/2026/01/old-referenced")
	put("elsewhere/old-object")
	// S3 records modification times to the second: the young orphan must be a second younger.
	time.Sleep(1100 * time.Millisecond)
	put("blobs/2026/01/young-orphan")
	modified := map[string]time.Time{}
	if err := f.blobs.List(ctx, "", func(key string, _ int64, m time.Time) error { modified[key] = m; return nil }); err != nil {
		t.Fatal(err)
	}
	old, young := modified["blobs/2026/01/old-orphan"], modified["blobs/2026/01/young-orphan"]
	if !young.After(old) {
		t.Fatalf("the young orphan (%v) is not younger than the old one (%v)", young, old)
	}
	// The grace period ends between the two orphans.
	f.clock.Set(old.Add(young.Sub(old)/2 + core.OrphanGrace))

	if _, err := s.Jobs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	var left []string
	if err := f.blobs.List(ctx, "", func(key string, _ int64, _ time.Time) error { left = append(left, key); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(left)
	if want := []string{"blobs/2026/01/old-referenced", "blobs/2026/01/young-orphan", "elsewhere/old-object"}; !slices.Equal(left, want) {
		t.Errorf("objects left %q, want %q", left, want)
	}
	if r := f.lastRun(t, core.JobSweepOrphanedBlobs); r.Outcome != core.JobSucceeded || r.Summary != "3 objects stored, 1 orphan removed" {
		t.Errorf("run %+v", r)
	}
	if n := modelstest.AuditCount(t, f.db, "blob.orphan_remove", "blobs/2026/01/old-orphan"); n != 1 {
		t.Errorf("%d audit events of the removal, want 1", n)
	}
	// Once the young orphan is past the grace period too, the next sweep removes it.
	f.clock.Set(young.Add(core.OrphanGrace + 6*time.Hour + time.Second))
	if _, err := s.Jobs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if r := f.lastRun(t, core.JobSweepOrphanedBlobs); r.Summary != "2 objects stored, 1 orphan removed" {
		t.Errorf("second sweep %+v", r)
	}
}

// Discarding an upload whose transaction failed removes its bytes only once the database says
// its row is not there: a COMMIT whose answer was lost (a deadline on a slow database) may have
// kept the row, and removing the bytes then lost a saved file (storage verify: "missing").
func TestADiscardedUploadKeepsItsBytesWhenItsRowCommitted(t *testing.T) {
	f := newJobsFixture(t)
	ctx := context.Background()
	d := core.Deps{DB: f.db, Blobs: f.blobs, Clock: f.clock.Now, Log: slog.New(slog.DiscardHandler)}
	upload := func(text string) *core.PendingBlob {
		t.Helper()
		p, err := core.PutBlob(ctx, d, nil, core.Upload{Name: "note.txt", Body: strings.NewReader(text)},
			core.FileRules{What: "attachment", Limit: 1 << 20, Allowed: []string{"text/plain"}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	stored := func(key string) bool {
		t.Helper()
		found := false
		if err := f.blobs.List(ctx, key, func(k string, _ int64, _ time.Time) error { found = found || k == key; return nil }); err != nil {
			t.Fatal(err)
		}
		return found
	}
	kept, lost := upload("A row that committed, its answer lost."), upload("A row that never committed.")
	if err := f.db.InTx(ctx, func(ctx context.Context) error { _, err := kept.Record(ctx); return err }); err != nil {
		t.Fatal(err)
	}
	kept.Discard(ctx) // the caller saw the commit fail
	lost.Discard(ctx)
	for deadline := time.Now().Add(5 * time.Second); stored(lost.ObjectKey); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the bytes of an upload whose row never committed are still stored after 5 s")
		}
	}
	time.Sleep(200 * time.Millisecond) // the other discard has had as long
	if !stored(kept.ObjectKey) {
		t.Error("the bytes of an upload whose row committed were removed")
	}
}
