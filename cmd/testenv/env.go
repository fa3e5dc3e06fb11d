//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// errOtherServerFailed cancels a server's start because the other failed.
var errOtherServerFailed = errors.New("the other server failed to start")

// testEnv is one running pair of throwaway servers and the temporary
// directory that holds all their files.
type testEnv struct {
	self     string // testenv's own absolute path, for tests that run `testenv postgres`
	dir      string
	postgres *postgresServer
	minio    *minioServer
	s3b      *secondS3 // a second S3 implementation (see seconds3.go)
}

// startEnv creates the temporary directory and starts PostgreSQL and MinIO
// in parallel (each takes a second or two, mostly waiting). If either fails,
// whatever did start is stopped and the directory removed before returning.
func startEnv(ctx context.Context, stderr io.Writer) (*testEnv, error) {
	pgBin, err := findPostgresBin()
	if err != nil {
		return nil, err
	}
	minioBin, err := findMinioBin()
	if err != nil {
		return nil, err
	}
	pgOwner, err := postgresOwner()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find testenv's own path: %w", err)
	}
	dir, err := makeTempDir(pgOwner != nil)
	if err != nil {
		return nil, err
	}
	env := &testEnv{self: self, dir: dir}

	// When one server fails, cancel the other's start: its resulting error
	// is noise next to the real one, so it is dropped.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	var pgErr, minioErr error
	wg.Go(func() {
		env.postgres, pgErr = startPostgres(ctx, pgBin, pgOwner, filepath.Join(dir, "postgres"), false)
		if pgErr != nil {
			cancel(errOtherServerFailed)
		}
	})
	wg.Go(func() {
		env.minio, minioErr = startMinio(ctx, minioBin, filepath.Join(dir, "minio"))
		if minioErr != nil {
			cancel(errOtherServerFailed)
		}
	})
	wg.Wait()

	var errs []error
	for _, err := range []error{pgErr, minioErr} {
		if err != nil && !errors.Is(err, errOtherServerFailed) {
			errs = append(errs, err)
		}
	}
	if pgErr == nil && minioErr == nil {
		var err error
		if env.s3b, err = startSecondS3(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if pgErr != nil || minioErr != nil || env.s3b == nil {
		if err := env.stop(stderr); err != nil {
			errs = append(errs, fmt.Errorf("cleanup: %w", err))
		}
		return nil, errors.Join(errs...)
	}
	return env, nil
}

// vars returns the KEY=value pairs that tell tests where the servers are.
func (e *testEnv) vars() []string {
	return append(append(append(e.postgres.vars(), e.minio.vars()...), e.s3b.vars()...), "MSPHUB_TESTENV="+e.self)
}

// stop stops MinIO, then PostgreSQL, then any process left over that
// testenv inherited as a subreaper, and finally removes the temporary
// directory. It tolerates servers that never started. Servers that had to
// be killed are reported but are not an error: they are gone either way.
func (e *testEnv) stop(stderr io.Writer) error {
	if e.s3b != nil {
		e.s3b.stop(stderr)
	}
	if e.minio != nil {
		e.minio.stop(stderr)
	}
	if e.postgres != nil {
		e.postgres.stop(stderr)
	}
	killOrphans(15*time.Second, stderr)
	if err := os.RemoveAll(e.dir); err != nil {
		return fmt.Errorf("remove temporary directory: %w", err)
	}
	return nil
}

// makeTempDir creates the directory holding everything testenv writes.
// When PostgreSQL must run as the postgres user (we are root), that user
// needs to traverse every ancestor of its data directory; a private TMPDIR
// such as /root/tmp would fail with a confusing initdb error, so such a
// TMPDIR is replaced by /tmp.
func makeTempDir(sharedWithPostgres bool) (string, error) {
	dir, err := os.MkdirTemp("", "msphub-testenv-")
	if err != nil {
		return "", fmt.Errorf("create temporary directory: %w", err)
	}
	if !sharedWithPostgres {
		return dir, nil
	}
	if !traversableByOthers(filepath.Dir(dir)) {
		os.Remove(dir)
		if dir, err = os.MkdirTemp("/tmp", "msphub-testenv-"); err != nil {
			return "", fmt.Errorf("create temporary directory: %w", err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("open temporary directory to the postgres user: %w", err)
	}
	return dir, nil
}

// traversableByOthers reports whether every directory from / down to dir
// has its "others may search" bit set.
func traversableByOthers(dir string) bool {
	for {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}

// shellQuoteAssignment turns KEY=value into KEY='value', safe to paste into
// a POSIX shell whatever the value contains.
func shellQuoteAssignment(kv string) string {
	k, v, _ := strings.Cut(kv, "=")
	return k + "='" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
