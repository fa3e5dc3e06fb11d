// Package modelstest builds real databases and blob stores for tests: SQLite and local disk by
// default, PostgreSQL and MinIO when MSPHUB_TEST_BACKEND=postgres (make test runs both). A test
// whose service is missing fails with a message saying how to provide it; it never skips.
package modelstest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for creating test databases
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/msptp/msphub/models/core"
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
	db, err := core.Open(context.Background(), DBConfig(t))
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
		if err := mc.RemoveBucketWithOptions(ctx, cfg.Bucket, minio.RemoveBucketOptions{ForceDelete: true}); err != nil {
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

// Blobs is an encrypted blob store of the test backend: local disk in a temp dir, or a fresh
// MinIO bucket.
func Blobs(t testing.TB) *storage.Store {
	t.Helper()
	k, err := storage.ParseMasterKey(MasterKey(t))
	if err != nil {
		t.Fatal(err)
	}
	var b storage.Backend
	if Backend() == "postgres" {
		s3, err := storage.NewS3(context.Background(), S3Config(t))
		if err != nil {
			t.Fatalf("connect test S3: %v", err)
		}
		b = s3
	} else {
		d, err := storage.NewDisk(filepath.Join(t.TempDir(), "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		b = d
	}
	return storage.New(b, storage.NewKeyring(k))
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
