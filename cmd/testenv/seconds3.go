//go:build linux

package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// secondS3Version names the second S3 implementation the tests run against.
const secondS3Version = "gofakes3 v1.2.0"

// secondS3 is a second, independently written S3 server: johannesboyne/gofakes3 (pinned in
// go.mod), served by testenv itself on a loopback port. It exists so that MSP Hub is tested
// against S3 as such, not against MinIO's reading of it. SeaweedFS's S3 gateway was the first
// choice, but `go install github.com/seaweedfs/seaweedfs/weed@...` refuses to build (its go.mod
// has replace directives) and a build from its module source took over 15 minutes on a 2-core
// machine. gofakes3 keeps objects in memory and does not check request signatures (see also
// decodeStreamingPayloads): the
// credentials below are given to tests so they can run unchanged, but refusing wrong ones is
// only tested against MinIO.
type secondS3 struct {
	srv       *http.Server
	addr      string
	accessKey string
	secretKey string
	done      chan error
}

// startSecondS3 serves gofakes3 on a free loopback port and waits until it answers.
func startSecondS3(ctx context.Context) (*secondS3, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("second S3 server: %w", err)
	}
	faker := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()), gofakes3.WithIntegrityCheck(true))
	s := &secondS3{
		srv:       &http.Server{Handler: decodeStreamingPayloads(faker.Server()), ReadHeaderTimeout: 30 * time.Second, ErrorLog: log.New(io.Discard, "", 0)},
		addr:      ln.Addr().String(),
		accessKey: "msphub-" + rand.Text()[:8],
		secretKey: rand.Text(),
		done:      make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.addr+"/", nil)
		if err != nil {
			s.srv.Close()
			return nil, err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			s.srv.Close()
			return nil, fmt.Errorf("second S3 server (%s) did not answer: %w", secondS3Version, errors.Join(err, ctx.Err()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop closes the server; its objects, held in memory, go with it.
func (s *secondS3) stop(stderr io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		fmt.Fprintf(stderr, "testenv: second S3 server: %v\n", err)
		s.srv.Close()
	}
}

// vars describes the server to tests.
func (s *secondS3) vars() []string {
	return []string{
		"MSPHUB_TEST_S3B_ENDPOINT=" + s.addr,
		"MSPHUB_TEST_S3B_ACCESS_KEY=" + s.accessKey,
		"MSPHUB_TEST_S3B_SECRET_KEY=" + s.secretKey,
		"MSPHUB_TEST_S3B_SERVER=" + secondS3Version,
	}
}

// decodeStreamingPayloads is the one adjustment testenv makes to gofakes3: it decodes request
// bodies sent with a streaming (aws-chunked) signature, as minio-go sends them over plain HTTP,
// before gofakes3 sees them. gofakes3 v1.2.0 decodes them on a whole-object PUT but stores the
// chunk framing as data on an UploadPart, which S3 and MinIO do not; signatures are not checked
// either way. Everything else reaches gofakes3 untouched.
func decodeStreamingPayloads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
			n, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
			if err != nil || n < 0 {
				http.Error(w, "streaming upload without a valid X-Amz-Decoded-Content-Length", http.StatusBadRequest)
				return
			}
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.LimitReader(&awsChunkedReader{r: bufio.NewReader(r.Body)}, n), r.Body}
			r.ContentLength = n
			r.Header.Set("Content-Length", strconv.FormatInt(n, 10))
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			r.Header.Del("X-Amz-Decoded-Content-Length")
		}
		next.ServeHTTP(w, r)
	})
}

// awsChunkedReader reads the data out of an aws-chunked body: chunks of
// "<hex size>;chunk-signature=<sig>\r\n<data>\r\n", ending with a chunk of size 0 (and, with a
// trailer, trailing headers, which it does not read).
type awsChunkedReader struct {
	r      *bufio.Reader
	remain int64
	done   bool
}

func (c *awsChunkedReader) Read(p []byte) (int, error) {
	for c.remain == 0 {
		if c.done {
			return 0, io.EOF
		}
		line, err := c.r.ReadString('\n')
		if err != nil {
			return 0, io.ErrUnexpectedEOF
		}
		size, _, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ";")
		n, err := strconv.ParseInt(size, 16, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("aws-chunked body: bad chunk header %q", line)
		}
		if n == 0 {
			c.done = true
			return 0, io.EOF
		}
		c.remain = n
	}
	if int64(len(p)) > c.remain {
		p = p[:c.remain]
	}
	n, err := c.r.Read(p)
	c.remain -= int64(n)
	if c.remain == 0 && err == nil {
		if _, err := c.r.Discard(2); err != nil { // the chunk's closing \r\n
			return n, io.ErrUnexpectedEOF
		}
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
