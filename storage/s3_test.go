package storage_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/msptp/msphub/storage"
)

// testPartSize is S3's smallest part, so that a 12 MiB object is a
// multipart upload both with a known and an unknown size.
const testPartSize = 5 * mib

func TestS3(t *testing.T) {
	cfg, ok := testS3Config(t)
	if !ok {
		return
	}
	testBackendContract(t, backendUnderTest{
		fresh: func(t *testing.T) storage.Backend {
			c := cfg
			c.Bucket = newBucket(t, cfg)
			s3, err := storage.NewS3(t.Context(), c)
			if err != nil {
				t.Fatalf("NewS3: %v", err)
			}
			return testS3{s3, c.Bucket}
		},
		unfinished: func(t *testing.T, b storage.Backend) []string {
			return multipartUploads(t, cfg, b.(testS3).bucket)
		},
	})
}

func TestS3RefusesBadConfiguration(t *testing.T) {
	cfg, ok := testS3Config(t)
	if !ok {
		return
	}
	cfg.Bucket = newBucket(t, cfg)

	t.Run("wrong credentials", func(t *testing.T) {
		for _, c := range []storage.S3Config{withCredentials(cfg, cfg.AccessKey, "wrong-secret"), withCredentials(cfg, "nobody", "wrong-secret")} {
			_, err := storage.NewS3(t.Context(), c)
			if !errors.Is(err, storage.ErrCredentials) {
				t.Errorf("NewS3 with access key %q and a wrong secret: err = %v, want ErrCredentials", c.AccessKey, err)
			}
		}
	})

	t.Run("missing bucket", func(t *testing.T) {
		c := cfg
		c.Bucket = "msphub-test-no-such-bucket"
		_, err := storage.NewS3(t.Context(), c)
		if !errors.Is(err, storage.ErrNoBucket) {
			t.Errorf("NewS3 with a missing bucket: err = %v, want ErrNoBucket", err)
		}
	})

	t.Run("an unreachable endpoint is retried briefly", func(t *testing.T) {
		for _, region := range []string{"", "us-east-1"} { // with and without the region lookup
			c := cfg
			c.Endpoint = closedPort(t)
			c.Region = region
			if _, err := storage.NewS3(t.Context(), c); !errors.Is(err, storage.ErrUnreachable) {
				t.Errorf("NewS3 to a closed port (region %q): err = %v, want ErrUnreachable", region, err)
			}
		}
		// A server that hangs up on every connection: count how often minio-go tries. Its
		// default is ten attempts with back-off (about 8 s), too long for start-up to wait.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		var attempts atomic.Int32
		go func() {
			for {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				attempts.Add(1)
				conn.Close()
			}
		}()
		c := cfg
		c.Endpoint = l.Addr().String()
		if _, err := storage.NewS3(t.Context(), c); !errors.Is(err, storage.ErrUnreachable) {
			t.Errorf("NewS3 to a server that hangs up: err = %v, want ErrUnreachable", err)
		}
		if n := attempts.Load(); n > 4 {
			t.Errorf("minio-go connected %d times; retries must be brief (at most 4 attempts)", n)
		}
	})

	t.Run("endpoint going away", func(t *testing.T) {
		s3, err := storage.NewS3(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s3.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		// Same client, the bucket deleted behind its back.
		admin := adminClient(t, cfg)
		if err := removeBucket(t.Context(), admin, cfg.Bucket); err != nil {
			t.Fatal(err)
		}
		if err := s3.Ping(t.Context()); !errors.Is(err, storage.ErrNoBucket) {
			t.Errorf("Ping after the bucket was removed: err = %v, want ErrNoBucket", err)
		}
	})
}

// testS3Config reads where the test MinIO is. The S3 tests belong to the
// postgres run; there, a missing variable is a failure, never a skip.
func testS3Config(t testing.TB) (storage.S3Config, bool) {
	t.Helper()
	if os.Getenv("MSPHUB_TEST_BACKEND") != "postgres" {
		t.Log("S3 tests run with MSPHUB_TEST_BACKEND=postgres")
		return storage.S3Config{}, false
	}
	cfg := storage.S3Config{
		Endpoint:  os.Getenv("MSPHUB_TEST_S3_ENDPOINT"),
		AccessKey: os.Getenv("MSPHUB_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("MSPHUB_TEST_S3_SECRET_KEY"),
		PartSize:  testPartSize,
	}
	if cfg.Endpoint == "" || cfg.AccessKey == "" || cfg.SecretKey == "" {
		t.Fatal("MSPHUB_TEST_BACKEND=postgres needs MSPHUB_TEST_S3_ENDPOINT, MSPHUB_TEST_S3_ACCESS_KEY and MSPHUB_TEST_S3_SECRET_KEY")
	}
	return cfg, true
}

// testS3 is an S3 backend with its bucket name at hand.
type testS3 struct {
	*storage.S3
	bucket string
}

func adminClient(t testing.TB, cfg storage.S3Config) *minio.Client {
	t.Helper()
	c, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newBucket creates a bucket for this test alone and removes it, with
// everything in it, when the test ends.
func newBucket(t testing.TB, cfg storage.S3Config) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "msphub-test-" + hex.EncodeToString(b[:])
	admin := adminClient(t, cfg)
	if err := admin.MakeBucket(context.Background(), name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("creating bucket %s: %v", name, err)
	}
	t.Cleanup(func() {
		err := removeBucket(context.Background(), admin, name)
		if err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchBucket {
			t.Errorf("removing bucket %s: %v", name, err)
		}
	})
	return name
}

// multipartUploads lists uploads begun in the bucket but neither completed
// nor aborted.
func multipartUploads(t *testing.T, cfg storage.S3Config, bucket string) []string {
	t.Helper()
	result, err := minio.Core{Client: adminClient(t, cfg)}.ListMultipartUploads(t.Context(), bucket, "", "", "", "", 1000)
	if minio.ToErrorResponse(err).Code == "NoSuchUpload" {
		return nil // gofakes3's answer for a bucket that never had a multipart upload
	}
	if err != nil {
		t.Fatalf("listing multipart uploads: %v", err)
	}
	var left []string
	for _, u := range result.Uploads {
		left = append(left, u.Key+" "+u.UploadID)
	}
	return left
}

func withCredentials(cfg storage.S3Config, access, secret string) storage.S3Config {
	cfg.AccessKey, cfg.SecretKey = access, secret
	return cfg
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// removeBucket empties a bucket with plain S3 calls (its unfinished multipart uploads, then
// its objects) and removes it, so that it works on any S3 server: MinIO's force-delete is an
// extension of MinIO's own.
func removeBucket(ctx context.Context, mc *minio.Client, bucket string) error {
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
