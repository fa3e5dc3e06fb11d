// Package modelstest builds real databases and blob stores for tests: SQLite and local disk by
// default, PostgreSQL and MinIO when MSPHUB_TEST_BACKEND=postgres (make test runs both). A test
// whose service is missing fails with a message saying how to provide it; it never skips.
package modelstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for creating test databases
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/policies"
	"github.com/msptp/msphub/storage"
)

// Backend is "sqlite" or "postgres", from MSPHUB_TEST_BACKEND.
func Backend() string {
	if os.Getenv("MSPHUB_TEST_BACKEND") == "postgres" {
		return "postgres"
	}
	return "sqlite"
}

// need returns the environment variable or fails the test, naming what provides it.
func need(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run the tests with `make test`, which starts PostgreSQL and MinIO (or `go run ./cmd/testenv exec -- go test ...`)", name)
	}
	return v
}

// PostgresServerURL is the URL of the test PostgreSQL server's maintenance database.
func PostgresServerURL(t testing.TB) string { return need(t, "MSPHUB_TEST_POSTGRES_URL") }

// NewPostgresDatabase creates an empty database on the test server, dropped when the test ends,
// and returns its URL.
func NewPostgresDatabase(t testing.TB) string {
	t.Helper()
	server := PostgresServerURL(t)
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	name := "msphub_test_" + randomHex(6)
	if _, err := admin.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// DBConfig is a fresh, empty database of the test backend.
func DBConfig(t testing.TB) core.DBConfig {
	t.Helper()
	if Backend() == "postgres" {
		return core.DBConfig{URL: NewPostgresDatabase(t)}
	}
	return core.DBConfig{Path: filepath.Join(t.TempDir(), "msphub.db")}
}

// OpenDB opens a fresh database of the test backend with every migration applied.
func OpenDB(t testing.TB) *core.DB {
	t.Helper()
	return OpenDBAt(t, DBConfig(t))
}

// OpenDBAt opens the database at cfg, closed when the test ends, and applies every migration:
// for a test that opens the same database again, as another replica would.
func OpenDBAt(t testing.TB, cfg core.DBConfig) *core.DB {
	t.Helper()
	db, err := core.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return db
}

// S3Config points at the test MinIO with a fresh bucket, removed with its objects when the
// test ends.
func S3Config(t testing.TB) storage.S3Config {
	t.Helper()
	cfg := storage.S3Config{
		Endpoint:  need(t, "MSPHUB_TEST_S3_ENDPOINT"),
		AccessKey: need(t, "MSPHUB_TEST_S3_ACCESS_KEY"),
		SecretKey: need(t, "MSPHUB_TEST_S3_SECRET_KEY"),
		Bucket:    "msphub-test-" + randomHex(6),
	}
	mc, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	if err := mc.MakeBucket(context.Background(), cfg.Bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("create test bucket: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := RemoveBucket(ctx, mc, cfg.Bucket); err != nil {
			t.Errorf("remove test bucket: %v", err)
		}
	})
	return cfg
}

// MasterKey is a fresh random master key, encoded as MSPHUB_MASTER_KEY takes it.
func MasterKey(t testing.TB) string {
	t.Helper()
	k, err := storage.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// AuditKey is a fresh audit signing key, in the note format MSPHUB_AUDIT_KEY takes.
func AuditKey(t testing.TB) string {
	t.Helper()
	_, skey, err := core.GenerateAuditKey()
	if err != nil {
		t.Fatal(err)
	}
	return skey
}

// Blobs is an encrypted blob store of the test backend: local disk in a temp dir, or a fresh
// MinIO bucket.
func Blobs(t testing.TB) *storage.Store {
	t.Helper()
	return storage.New(BlobBackend(t), Keyring(t))
}

// BlobBackend is the raw, unencrypted backend of the test: local disk in a temp dir, or a fresh
// MinIO bucket. A test holding it can tamper with stored objects as an attacker with storage
// access would.
func BlobBackend(t testing.TB) storage.Backend {
	t.Helper()
	if Backend() == "postgres" {
		s3, err := storage.NewS3(context.Background(), S3Config(t))
		if err != nil {
			t.Fatalf("connect test S3: %v", err)
		}
		return s3
	}
	d, err := storage.NewDisk(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Keyring holds a fresh random master key, for a blob store or a Deps' Secrets.
func Keyring(t testing.TB) *storage.Keyring {
	t.Helper()
	k, err := storage.ParseMasterKey(MasterKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return storage.NewKeyring(k)
}

// Rewrite replaces the stored object at key in the raw backend with change of its bytes, as an
// attacker with storage access would.
func Rewrite(t testing.TB, b storage.Backend, key string, change func([]byte) []byte) {
	t.Helper()
	ctx := context.Background()
	rc, err := b.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	raw = change(raw)
	if err := b.Put(ctx, key, bytes.NewReader(raw), int64(len(raw))); err != nil {
		t.Fatal(err)
	}
}

// SeedOrganisations loads the reference organisations into db.
func SeedOrganisations(t testing.TB, db *core.DB) {
	t.Helper()
	if _, err := identity.SeedOrganisations(context.Background(), db); err != nil {
		t.Fatal(err)
	}
}

// Deps are what the services of a model test are built from: a fresh database of the test
// backend with the reference organisations, the authorizer over its policy, an encrypted blob
// store over backend (from BlobBackend, kept by a test that tampers with stored objects) and the
// clock's time.
func Deps(t testing.TB, backend storage.Backend, clock *Clock) core.Deps {
	t.Helper()
	return DepsOn(t, OpenDB(t), backend, clock)
}

// DepsOn is Deps over db: for a test that builds the database as an earlier release left it.
func DepsOn(t testing.TB, db *core.DB, backend storage.Backend, clock *Clock) core.Deps {
	t.Helper()
	SeedOrganisations(t, db)
	return core.Deps{DB: db, Authz: Authorizer(t, db), Blobs: storage.New(backend, Keyring(t)), Clock: clock.Now}
}

// Authorizer is the authorizer over db's policy.
func Authorizer(t testing.TB, db *core.DB) *policies.Authorizer {
	t.Helper()
	authz, err := policies.New(context.Background(), db.Gorm())
	if err != nil {
		t.Fatal(err)
	}
	return authz
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Clock is a clock the test moves; zero means the real time. Pass Now as a Deps' Clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// ClockAt is a clock standing at t.
func ClockAt(t time.Time) *Clock {
	c := &Clock{}
	c.Set(t)
	return c
}

// Now is the time the test set, or the real time before any.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// AuditCount counts the audit events with action (and object ID, unless "").
func AuditCount(t testing.TB, db *core.DB, action, objectID string) int64 {
	t.Helper()
	q := db.Gorm().Table("audit_events").Where("action = ?", action)
	if objectID != "" {
		q = q.Where("object_id = ?", objectID)
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// People creates users for model tests through the operator, each with a fresh address: with
// Prefix "case" and Name "Case Person" the first is case1@example.police.uk, "Case Person 1".
type People struct {
	Operator *identity.Operator
	Clock    *Clock
	Prefix   string
	Name     string
	n        atomic.Int64
}

// Vetted creates a user in the organisation with slug, holding roles, vetted at vetting until
// two years from the clock's time, and returns them as the actor a signed-in request would carry.
func (p *People) Vetted(t testing.TB, org string, vetting core.Vetting, roles ...string) core.Actor {
	t.Helper()
	return p.create(t, org, vetting, false, roles)
}

// Prosecutor creates a Crown Prosecutor: a CPS liaison of the CPS organisation with slug who may
// make charging decisions, with RV vetting.
func (p *People) Prosecutor(t testing.TB, org string) core.Actor {
	t.Helper()
	return p.create(t, org, core.VettingRV, true, []string{policies.RoleCPSLiaison})
}

func (p *People) create(t testing.TB, org string, vetting core.Vetting, prosecutor bool, roles []string) core.Actor {
	t.Helper()
	ctx := context.Background()
	o, err := p.Operator.OrganisationBySlug(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	var expires *time.Time
	if vetting != core.VettingNone {
		e := p.Clock.Now().AddDate(2, 0, 0)
		expires = &e
	}
	n := p.n.Add(1)
	u, _, err := p.Operator.CreateUser(ctx, identity.UserInput{OrganisationID: o.ID, Email: fmt.Sprintf("%s%d@example.police.uk", p.Prefix, n),
		Name: fmt.Sprintf("%s %d", p.Name, n), Roles: roles, VettingLevel: vetting, VettingExpiresOn: expires, CrownProsecutor: &prosecutor}, "")
	if err != nil {
		t.Fatal(err)
	}
	clearance, vetted := core.Access(vetting, nil, time.Time{})
	return core.Actor{UserID: u.ID, OrgID: o.ID, Name: u.Name, Email: u.Email, Roles: u.Roles, Vetting: vetting,
		Clearance: clearance, Vetted: vetted, MFAPassed: true}
}

// RunJobAt moves the clock to at, runs the jobs that are due and returns the latest run of job,
// failing the test unless it succeeded.
func RunJobAt(t testing.TB, jobs *core.Jobs, db *core.DB, clock *Clock, at time.Time, job string) core.JobRun {
	t.Helper()
	clock.Set(at)
	if _, err := jobs.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	var r core.JobRun
	if err := db.Gorm().Where("job = ?", job).Order("id DESC").Take(&r).Error; err != nil {
		t.Fatal(err)
	}
	if r.Outcome != core.JobSucceeded {
		t.Fatalf("run at %v: %+v", at, r)
	}
	return r
}

// RemoveBucket empties a bucket with plain S3 calls (its unfinished multipart uploads, then
// its objects) and removes it, so that it works on any S3 server: MinIO's force-delete is an
// extension of MinIO's own.
func RemoveBucket(ctx context.Context, mc *minio.Client, bucket string) error {
	for u := range mc.ListIncompleteUploads(ctx, bucket, "", true) {
		if minio.ToErrorResponse(u.Err).Code == "NoSuchUpload" {
			break // gofakes3's answer for a bucket that never had a multipart upload
		}
		if u.Err != nil {
			return u.Err
		}
		if err := mc.RemoveIncompleteUpload(ctx, bucket, u.Key); err != nil {
			return err
		}
	}
	for e := range mc.RemoveObjects(ctx, bucket, mc.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}), minio.RemoveObjectsOptions{}) {
		if e.Err != nil {
			return e.Err
		}
	}
	return mc.RemoveBucket(ctx, bucket)
}
