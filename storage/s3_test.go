package storage_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/msptp/msphub/models/modelstest"
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
		if err := modelstest.RemoveBucket(t.Context(), admin, cfg.Bucket); err != nil {
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
		err := modelstest.RemoveBucket(context.Background(), admin, name)
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

// An upload reads its next part while the current one is sent, and holds no more than two
// parts: a proxy in front of S3 holds part 1 back until the reader is asked for part 2's bytes,
// and the reader is never asked for part 3's before part 1 is answered.
func TestS3SendsAPartWhileReadingTheNext(t *testing.T) {
	cfg, ok := testS3Config(t)
	if !ok {
		return
	}
	cfg.Bucket = newBucket(t, cfg)
	src := &watchedReader{r: newPattern(8, 3*testPartSize+mib), readingPart2: make(chan struct{})}
	target, err := url.Parse("http://" + cfg.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target) // keeps the Host header, so signatures hold
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.URL.Query().Get("partNumber") == "1" {
			src.part1Answered.Store(true)
		}
		return nil
	}
	var overlapped atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Query().Get("partNumber") == "1" {
			select {
			case <-src.readingPart2:
				overlapped.Store(true)
			case <-time.After(10 * time.Second): // a sequential upload never reads on: let it finish
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	cfg.Endpoint = strings.TrimPrefix(srv.URL, "http://")
	s3, err := storage.NewS3(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}

	if err := s3.Put(t.Context(), "parts/1", src, -1); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if !overlapped.Load() {
		t.Error("part 2 was not read while part 1 was being sent")
	}
	if src.tooFarAhead.Load() {
		t.Error("part 3 was read before part 1 was answered: more than two parts held")
	}
	if got, want := sha256Hex(rawBytes(t, s3, "parts/1")), patternSum(8, 3*testPartSize+mib); got != want {
		t.Errorf("stored object has SHA-256 %s, want %s", got, want)
	}
}

// watchedReader tells when its reader reaches part 2, and notes whether it was asked for part
// 3 before part 1 was answered.
type watchedReader struct {
	r             io.Reader
	n             int64
	readingPart2  chan struct{} // closed at the first read past part 1
	reachedPart2  sync.Once
	part1Answered atomic.Bool
	tooFarAhead   atomic.Bool
}

func (w *watchedReader) Read(p []byte) (int, error) {
	if w.n >= testPartSize {
		w.reachedPart2.Do(func() { close(w.readingPart2) })
	}
	if w.n >= 2*testPartSize && !w.part1Answered.Load() {
		w.tooFarAhead.Store(true)
	}
	n, err := w.r.Read(p)
	w.n += int64(n)
	return n, err
}
