package storage

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// Backend keeps object bytes under keys. The Store gives it ciphertext only;
// it never sees plaintext or keys. Disk and S3 implement it, and both pass
// the same contract tests, so the app behaves alike on either.
type Backend interface {
	// Put stores exactly what r yields under key, replacing any object
	// there. size is the exact byte count, or -1 when unknown. On error
	// nothing new is left under key (no partial file, no open multipart
	// upload).
	Put(ctx context.Context, key string, r io.Reader, size int64) error

	// Get opens the object under key for reading; the caller closes it.
	// A missing object is ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, error)

	// Delete removes the object under key. Deleting a missing object is not
	// an error, so a retried delete or a sweep racing a delete is harmless.
	Delete(ctx context.Context, key string) error

	// List calls fn for every object whose key starts with prefix, for the
	// orphan sweep. An error from fn stops the listing and is returned.
	List(ctx context.Context, prefix string, fn func(key string, size int64, modified time.Time) error) error

	// Ping reports whether the backend can serve requests now: the endpoint
	// answers and the bucket exists, or the disk root exists. /readyz uses it.
	Ping(ctx context.Context) error
}

// maxKeyLen keeps keys within S3's 1024-byte limit and well within a file
// system path.
const maxKeyLen = 1024

// checkKey enforces the key rules shared by every backend, so a key that
// works on disk works on S3 and the reverse: only [a-zA-Z0-9/_.-], no leading
// "/", no empty, "." or ".." segment. On disk this alone keeps a key inside
// the root; opening through os.Root makes sure of it.
func checkKey(key string) error {
	if key == "" {
		return fmt.Errorf("empty key: %w", ErrInvalidKey)
	}
	if len(key) > maxKeyLen {
		return fmt.Errorf("key of %d bytes, at most %d allowed: %w", len(key), maxKeyLen, ErrInvalidKey)
	}
	for i := 0; i < len(key); i++ {
		if !keyByte(key[i]) {
			return fmt.Errorf("key %q: byte %#x not allowed: %w", key, key[i], ErrInvalidKey)
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("key %q: empty, \".\" or \"..\" segment: %w", key, ErrInvalidKey)
		}
	}
	return nil
}

// checkPrefix allows what a key allows, plus the empty prefix and a trailing
// slash, and a partial last segment ("evidence/12" lists "evidence/123").
func checkPrefix(prefix string) error {
	trimmed := strings.TrimSuffix(prefix, "/")
	if trimmed == "" {
		if prefix == "" {
			return nil
		}
		return fmt.Errorf("prefix %q: %w", prefix, ErrInvalidKey)
	}
	return checkKey(trimmed)
}

func keyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '/' || c == '_' || c == '.' || c == '-'
}
