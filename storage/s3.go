package storage

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

const (
	// defaultPartSize bounds the memory of an upload: two part buffers, one
	// being sent while the next is read, 16 MiB in all. It also caps an
	// object of unknown size at maxParts parts, 78 GiB.
	defaultPartSize = 8 << 20
	// minPartSize is S3's smallest part (except the last).
	minPartSize = 5 << 20
	// maxParts is S3's limit on parts per upload.
	maxParts = 10000

	// s3Attempts bounds minio-go's retries of one request. Its back-off
	// sleeps at most 0.2+0.4+0.8 s over three attempts, so an outage fails
	// in well under 5 s instead of the default ten attempts.
	s3Attempts = 3
	// s3DialTimeout keeps an unanswered connection attempt (a dropped SYN)
	// from eating the whole budget of a request.
	s3DialTimeout = 2 * time.Second
	// s3CheckTimeout bounds the bucket check done by NewS3 at start-up.
	s3CheckTimeout = 5 * time.Second
	// s3AbortTimeout bounds the abort of a failed multipart upload, sent
	// whatever became of the upload's own context.
	s3AbortTimeout = time.Minute

	// s3ContentType is what every object is: ciphertext, or a document
	// stored as it is.
	s3ContentType = "application/octet-stream"

	// The S3 additional checksum a multipart upload declares and each of its parts carries.
	amzChecksumAlgorithm = "x-amz-checksum-algorithm"
	amzChecksumCRC32C    = "x-amz-checksum-crc32c"
)

// castagnoli is CRC-32C's table; hash/crc32 computes it with the CPU's own instruction.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// S3Config says where the S3 bucket is and how to reach it.
type S3Config struct {
	Endpoint  string // host:port, no scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string // empty: ask the server
	UseTLS    bool
	// PartSize is the multipart part size; an upload holds two part
	// buffers. Default 8 MiB, at least 5 MiB.
	PartSize int64
}

// S3 is a Backend on an S3 bucket (MinIO, AWS S3 or alike), through
// minio-go. Uploads stream through two part buffers, and a failed multipart
// upload is aborted, so neither memory nor orphaned parts grow with object
// size or failures. An S3 is safe for concurrent use.
type S3 struct {
	client   *minio.Client
	bucket   string
	partSize int64
	parts    sync.Pool // *[]byte of partSize, free between uploads
	// signParts is set once the server has shown that it ignores a part's CRC-32C (see
	// putParts): from then on every part goes with minio-go's default payload signing
	// (SHA-256 over plain HTTP).
	signParts atomic.Bool
}

// NewS3 connects to the bucket and checks at once (within a few seconds)
// that the endpoint answers, the credentials are accepted and the bucket
// exists, so a misconfiguration stops the app at start-up with
// ErrUnreachable, ErrCredentials or ErrNoBucket and a clear message.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("storage: S3 endpoint and bucket are required")
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = defaultPartSize
	}
	if cfg.PartSize < minPartSize {
		return nil, fmt.Errorf("storage: S3 part size %d is below the S3 minimum of 5 MiB", cfg.PartSize)
	}
	transport, err := minio.DefaultTransport(cfg.UseTLS)
	if err != nil {
		return nil, fmt.Errorf("storage: S3 transport: %w", err)
	}
	transport.DialContext = (&net.Dialer{Timeout: s3DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:     cfg.UseTLS,
		Region:     cfg.Region,
		Transport:  transport,
		MaxRetries: s3Attempts,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: S3 endpoint %q: %w", cfg.Endpoint, err)
	}
	s := &S3{client: client, bucket: cfg.Bucket, partSize: cfg.PartSize}

	ctx, cancel := context.WithTimeout(ctx, s3CheckTimeout)
	defer cancel()
	if err := s.Ping(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("S3 endpoint %s did not answer within %s: %w", cfg.Endpoint, s3CheckTimeout, ErrUnreachable)
		}
		return nil, err
	}
	return s, nil
}

// Put uploads r. What fits in one part (a known size up to PartSize, or an unknown one that
// ends within the first part: every small upload from a form) goes as one PUT of known length,
// which costs a third of the requests of a multipart upload of one part, and keeps an empty
// object a plain empty PUT, which every S3 server takes (gofakes3 refuses an empty part). A
// larger object goes as a multipart upload (see putParts). Either way the object holds exactly
// what r yields, or nothing: a failed multipart upload is aborted, cancellation included.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if size >= 0 && size <= s.partSize {
		return s.putOne(ctx, key, r, size)
	}
	partSize := s.partSize
	if size > partSize*maxParts {
		partSize = (size + maxParts - 1) / maxParts // too big for our parts: larger ones
	}
	first, release := s.buffer(partSize)
	defer release()
	n, err := io.ReadFull(r, first)
	switch {
	case (err == io.EOF || err == io.ErrUnexpectedEOF) && size < 0:
		return s.putOne(ctx, key, bytes.NewReader(first[:n]), int64(n))
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return fmt.Errorf("storage: S3 put %s: read %d bytes, expected %d: %w", key, n, size, io.ErrUnexpectedEOF)
	case err != nil:
		return s.fail("put", key, err)
	}
	return s.putParts(ctx, key, first, r, size)
}

// putOne uploads r, of the given size, in one PUT.
func (s *S3) putOne(ctx context.Context, key string, r io.Reader, size int64) error {
	info, err := s.client.PutObject(ctx, s.bucket, key, r, size, minio.PutObjectOptions{ContentType: s3ContentType})
	if err != nil {
		return s.fail("put", key, err)
	}
	if info.Size != size {
		// Should not happen: minio-go checks the count itself. Do not keep
		// an object we cannot vouch for.
		s.client.RemoveObject(context.WithoutCancel(ctx), s.bucket, key, minio.RemoveObjectOptions{})
		return fmt.Errorf("storage: S3 put %s: stored %d bytes, expected %d", key, info.Size, size)
	}
	return nil
}

// putParts uploads first and then the rest of r as a multipart upload through two part
// buffers: while one part is sent, the next is read into the other (which, through the Store,
// is where it gets hashed and encrypted), so the upload runs at the pace of the slower of the
// two rather than of their sum, holding two part buffers whatever the object's size. With
// size >= 0, r must yield exactly size bytes.
//
// Every part carries its CRC-32C (an S3 additional checksum, declared when the upload starts),
// which the server checks before it keeps the part, and which CompleteMultipartUpload lists
// again, so a part corrupted on its way is refused, never stored. The payload itself goes
// unsigned: minio-go's default over plain HTTP signs it with SHA-256, a second pass over every
// byte on each side that costs more CPU than the encryption, for the same refusal (over TLS,
// minio-go signs no payload and leaves it to TLS; the CRC-32C is then checked on top). A server
// that ignores the checksum (it does not send it back, as S3 and MinIO do) gets that part again
// with minio-go's default signing, and so does every later part this S3 sends, as before.
func (s *S3) putParts(ctx context.Context, key string, first []byte, r io.Reader, size int64) (err error) {
	c := minio.Core{Client: s.client}
	id, err := c.NewMultipartUpload(ctx, s.bucket, key, minio.PutObjectOptions{ContentType: s3ContentType,
		UserMetadata: map[string]string{amzChecksumAlgorithm: "CRC32C"}})
	if err != nil {
		return s.fail("put", key, err)
	}
	defer func() {
		if err != nil {
			// Under a context of its own, so that a cancelled upload is aborted too.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s3AbortTimeout)
			defer cancel()
			c.AbortMultipartUpload(ctx, s.bucket, key, id)
		}
	}()
	// A failed read stops the part being sent rather than waiting for it.
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	spare, release := s.buffer(int64(len(first)))
	defer release()

	var parts []minio.CompletePart
	var total int64
	part, ended := first, false
	for len(part) > 0 {
		if len(parts) == maxParts {
			return fmt.Errorf("storage: S3 put %s: more than %d parts of %d bytes", key, maxParts, len(first))
		}
		num := len(parts) + 1
		result := make(chan sentPart, 1)
		go func(part []byte) { result <- s.putPart(sendCtx, c, key, id, num, part, s.signParts.Load()) }(part)
		var n int
		var readErr error
		if !ended {
			n, readErr = io.ReadFull(r, spare)
			if readErr == io.EOF || readErr == io.ErrUnexpectedEOF {
				ended, readErr = true, nil
			} else if readErr != nil {
				stopSending()
			}
		}
		res := <-result
		if readErr != nil {
			return s.fail("put", key, readErr)
		}
		if res.err == nil && !res.signed && res.answer != res.crc {
			if res.answer != "" {
				return fmt.Errorf("storage: S3 put %s: the server took part %d with CRC-32C %s, sent with %s", key, num, res.answer, res.crc)
			}
			// The server did not check the CRC-32C: the part may be what was sent or not.
			// Send it again, signed (part still holds it: the next is read into spare).
			s.signParts.Store(true)
			res = s.putPart(sendCtx, c, key, id, num, part, true)
		}
		if res.err != nil {
			return s.fail("put", key, res.err)
		}
		parts = append(parts, minio.CompletePart{PartNumber: num, ETag: res.etag, ChecksumCRC32C: res.crc})
		total += int64(len(part))
		part, spare = spare[:n], part[:cap(part)]
	}
	if size >= 0 && total != size {
		wrong := io.ErrUnexpectedEOF
		if total > size {
			wrong = ErrTooLarge
		}
		return fmt.Errorf("storage: S3 put %s: read %d bytes, expected %d: %w", key, total, size, wrong)
	}
	if _, err := c.CompleteMultipartUpload(ctx, s.bucket, key, id, parts, minio.PutObjectOptions{ContentType: s3ContentType}); err != nil {
		return s.fail("put", key, err)
	}
	return nil
}

// sentPart is the outcome of one UploadPart.
type sentPart struct {
	etag   string
	crc    string // the part's CRC-32C as sent, base64 as S3 writes it
	answer string // the CRC-32C the server answered with, if any
	signed bool   // the payload went with minio-go's default signing
	err    error
}

// putPart sends one part with its CRC-32C; with sign, its payload is signed as minio-go does by
// default (with SHA-256 over plain HTTP), without, it goes unsigned.
func (s *S3) putPart(ctx context.Context, c minio.Core, key, id string, num int, part []byte, sign bool) sentPart {
	crc := base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.Checksum(part, castagnoli)))
	p, err := c.PutObjectPart(ctx, s.bucket, key, id, num, bytes.NewReader(part), int64(len(part)), minio.PutObjectPartOptions{
		CustomHeader:         http.Header{http.CanonicalHeaderKey(amzChecksumCRC32C): {crc}},
		DisableContentSha256: !sign,
	})
	return sentPart{etag: p.ETag, crc: crc, answer: p.ChecksumCRC32C, signed: sign, err: err}
}

// buffer returns a part buffer of size bytes and the function that gives it back. Buffers of
// the configured part size are kept between uploads.
func (s *S3) buffer(size int64) ([]byte, func()) {
	if size != s.partSize {
		return make([]byte, size), func() {}
	}
	b, _ := s.parts.Get().(*[]byte)
	if b == nil {
		b = new([]byte)
		*b = make([]byte, size)
	}
	return *b, func() { s.parts.Put(b) }
}

// Get starts one GET of the object; the body streams as the caller reads.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	// Core.GetObject sends the request now, so a missing object is reported
	// here rather than at the first Read.
	body, _, _, err := minio.Core{Client: s.client}.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.fail("get", key, err)
	}
	return body, nil
}

// Delete removes the object; S3 reports success for a missing one too.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		if err = s.fail("delete", key, err); !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// List pages through the bucket listing.
func (s *S3) List(ctx context.Context, prefix string, fn func(key string, size int64, modified time.Time) error) error {
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	// Cancelling stops minio-go's listing if fn ends it early.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for obj := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return s.fail("list", prefix, obj.Err)
		}
		if err := fn(obj.Key, obj.Size, obj.LastModified); err != nil {
			return err
		}
	}
	return nil
}

// Ping checks that the endpoint answers, accepts our credentials and has
// the bucket.
func (s *S3) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		err = s.fail("ping", "", err)
		// A ping that got no S3 answer at all (the connection was dropped, the reply was not
		// S3's) means the store cannot serve: unreachable, whatever the transport said.
		if !errors.Is(err, ErrCredentials) && !errors.Is(err, ErrNoBucket) && !errors.Is(err, ErrUnreachable) && ctx.Err() == nil {
			err = fmt.Errorf("%w: %w", err, ErrUnreachable)
		}
		return err
	}
	if !ok {
		return fmt.Errorf("S3 bucket %q: %w", s.bucket, ErrNoBucket)
	}
	return nil
}

// fail turns a minio-go error into one of our sentinels where one fits,
// keeping the server's message for the log.
func (s *S3) fail(op, key string, err error) error {
	where := s.bucket
	if key != "" {
		where += "/" + key
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && resp.StatusCode != 0 {
		var kind error
		switch {
		case resp.Code == minio.NoSuchKey:
			kind = ErrNotFound
		case resp.Code == minio.NoSuchBucket:
			kind = ErrNoBucket
		case resp.Code == "InvalidAccessKeyId" || resp.Code == "SignatureDoesNotMatch" ||
			resp.Code == "InvalidToken" || resp.Code == "ExpiredToken" ||
			resp.Code == minio.AccessDenied || resp.StatusCode == http.StatusForbidden:
			kind = ErrCredentials
		case resp.StatusCode >= 500:
			kind = ErrUnreachable
		}
		if kind != nil {
			return fmt.Errorf("S3 %s %s: %s (%s): %w", op, where, resp.Message, resp.Code, kind)
		}
		return fmt.Errorf("storage: S3 %s %s: %w", op, where, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("storage: S3 %s %s: %w", op, where, err)
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	var netErr net.Error
	if errors.As(err, &opErr) || errors.As(err, &dnsErr) || errors.As(err, &netErr) && netErr.Timeout() {
		return fmt.Errorf("S3 %s %s: %v: %w", op, where, err, ErrUnreachable)
	}
	// Anything else, such as the error of the reader being uploaded, passes
	// through for the caller to recognise.
	return fmt.Errorf("storage: S3 %s %s: %w", op, where, err)
}
