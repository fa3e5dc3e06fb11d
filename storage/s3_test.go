package storage_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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

// A part corrupted on its way to S3 is refused, not stored: parts go with an unsigned payload
// and their CRC-32C, which the server checks. A proxy in front of MinIO flips one bit in the
// body of part 2; the upload fails and leaves neither an object nor an open multipart upload.
// (Unsigned and unchecked, MinIO would store the flipped bit and the Put would succeed.)
func TestS3RefusesAPartCorruptedOnItsWay(t *testing.T) {
	cfg, ok := testS3Config(t)
	if !ok {
		return
	}
	cfg.Bucket = newBucket(t, cfg)
	var mu sync.Mutex
	var payloads []string // X-Amz-Content-Sha256 of each part sent
	proxied := s3Proxy(t, cfg, func(r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Query().Get("partNumber") == "" {
			return
		}
		mu.Lock()
		payloads = append(payloads, r.Header.Get("X-Amz-Content-Sha256"))
		mu.Unlock()
		if r.URL.Query().Get("partNumber") == "2" {
			r.Body = flipBit(r.Body, 123457)
		}
	}, nil)
	s3, err := storage.NewS3(t.Context(), proxied)
	if err != nil {
		t.Fatal(err)
	}

	for _, size := range []int64{3*testPartSize + mib, -1} {
		err := s3.Put(t.Context(), "corrupt/1", newPattern(9, 3*testPartSize+mib), size)
		if err == nil {
			t.Fatalf("Put (size %d) of an object whose part 2 was corrupted on its way succeeded", size)
		}
		t.Logf("size %d: %v", size, err)
		if _, err := s3.Get(t.Context(), "corrupt/1"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("after the refused Put (size %d): Get err = %v, want ErrNotFound", size, err)
		}
		if left := multipartUploads(t, cfg, cfg.Bucket); len(left) > 0 {
			t.Errorf("after the refused Put (size %d): open multipart uploads %v", size, left)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i, p := range payloads {
		if p != "UNSIGNED-PAYLOAD" {
			t.Errorf("part request %d sent with X-Amz-Content-Sha256 %q, want UNSIGNED-PAYLOAD (its CRC-32C checked instead)", i+1, p)
		}
	}
}

// A server that does not answer with a part's CRC-32C has not checked it: that part goes
// again with its SHA-256 signed, and so does every later part, so a corrupted part is still
// refused. The proxy removes the checksum from MinIO's answers to play such a server.
func TestS3SignsPartsForAServerThatIgnoresTheirChecksum(t *testing.T) {
	cfg, ok := testS3Config(t)
	if !ok {
		return
	}
	cfg.Bucket = newBucket(t, cfg)
	var mu sync.Mutex
	var payloads []string // X-Amz-Content-Sha256 of each part sent
	var corrupt atomic.Bool
	proxied := s3Proxy(t, cfg, func(r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Query().Get("partNumber") == "" {
			return
		}
		mu.Lock()
		payloads = append(payloads, r.URL.Query().Get("partNumber")+" "+r.Header.Get("X-Amz-Content-Sha256"))
		mu.Unlock()
		if corrupt.Load() && r.URL.Query().Get("partNumber") == "2" {
			r.Body = flipBit(r.Body, 123457)
		}
	}, func(resp *http.Response) {
		resp.Header.Del("X-Amz-Checksum-Crc32c")
	})
	s3, err := storage.NewS3(t.Context(), proxied)
	if err != nil {
		t.Fatal(err)
	}

	size := int64(2*testPartSize + mib)
	if err := s3.Put(t.Context(), "ignored/1", newPattern(10, size), size); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got, want := sha256Hex(rawBytes(t, s3, "ignored/1")), patternSum(10, size); got != want {
		t.Errorf("stored object has SHA-256 %s, want %s", got, want)
	}
	const signed = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	want := []string{"1 UNSIGNED-PAYLOAD", "1 " + signed, "2 " + signed, "3 " + signed}
	mu.Lock()
	if fmt.Sprint(payloads) != fmt.Sprint(want) {
		t.Errorf("parts sent as %q, want %q", payloads, want)
	}
	payloads = nil
	mu.Unlock()

	corrupt.Store(true)
	if err := s3.Put(t.Context(), "ignored/2", newPattern(11, size), size); err == nil {
		t.Fatal("Put of an object whose part 2 was corrupted on its way succeeded")
	}
	if _, err := s3.Get(t.Context(), "ignored/2"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("after the refused Put: Get err = %v, want ErrNotFound", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range payloads {
		if !strings.HasSuffix(p, " "+signed) {
			t.Errorf("once the server was seen ignoring checksums, part %s was not signed", p)
		}
	}
}

// s3Proxy serves a reverse proxy to the S3 server of cfg, which lets the test change each
// request before it goes on and each answer before it comes back, and returns cfg pointed at it.
func s3Proxy(t *testing.T, cfg storage.S3Config, request func(*http.Request), response func(*http.Response)) storage.S3Config {
	t.Helper()
	target, err := url.Parse("http://" + cfg.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target) // keeps the Host header, so signatures hold
	if response != nil {
		proxy.ModifyResponse = func(resp *http.Response) error { response(resp); return nil }
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if request != nil {
			request(r)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg.Endpoint = strings.TrimPrefix(srv.URL, "http://")
	return cfg
}

// flipBit returns body with the lowest bit of its byte at offset at flipped, as a faulty link
// or memory might.
func flipBit(body io.ReadCloser, at int64) io.ReadCloser {
	return struct {
		io.Reader
		io.Closer
	}{&bitFlipper{r: body, at: at}, body}
}

type bitFlipper struct {
	r  io.Reader
	at int64 // offset of the byte to flip, from here on
}

func (f *bitFlipper) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if 0 <= f.at && f.at < int64(n) {
		p[f.at] ^= 1
	}
	f.at -= int64(n)
	return n, err
}
