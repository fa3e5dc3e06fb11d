package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// tempMarker starts the name of a file being written. "~" cannot occur in a
// key, so a temporary file is never mistaken for an object, and one left by
// a crash is easy to find.
const tempMarker = ".tmp~"

// diskCopyBuffer is the write size: large enough that the encrypting reader
// seals straight into it and the system-call count stays low, small enough
// to be one of few buffers per transfer.
const diskCopyBuffer = 1 << 20

// Disk is a Backend on the local file system, one file per object under a
// root directory. Writes are atomic (a reader sees the old object or the new
// one, never part of one) and durable once Put returns. Key rules: only
// [a-zA-Z0-9/_.-], no leading "/", no empty, "." or ".." segment; every file
// is opened through os.Root as well, so no key, however built, reaches
// outside the root.
//
// One key cannot be both an object and the directory of others ("a" and
// "a/b"), which S3 would allow; our keys are IDs, so this does not arise.
// A Disk is safe for concurrent use.
type Disk struct {
	root string
}

// NewDisk returns a Disk keeping objects under root, creating it with mode
// 0700 if needed.
func NewDisk(root string) (*Disk, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("storage: disk root %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("storage: creating disk root: %w", err)
	}
	return &Disk{root: abs}, nil
}

// openRoot opens the root for one operation. Opening it each time, rather
// than once, means a root that vanished (an unmounted volume, say) is
// reported as ErrUnreachable instead of writes landing in a deleted
// directory.
func (d *Disk) openRoot() (*os.Root, error) {
	r, err := os.OpenRoot(d.root)
	if err != nil {
		return nil, fmt.Errorf("disk root %s: %v: %w", d.root, err, ErrUnreachable)
	}
	return r, nil
}

// Put writes r to a temporary file beside the object, syncs it, renames it
// into place and syncs the directory, so the object is either entirely there
// or not at all, even across a crash. Object files have mode 0600.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader, size int64) (err error) {
	if err := checkKey(key); err != nil {
		return err
	}
	root, err := d.openRoot()
	if err != nil {
		return err
	}
	defer root.Close()

	dir := path.Dir(key)
	if err := root.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("storage: disk put %s: %w", key, err)
	}
	tmp := path.Join(dir, tempMarker+randomHex())
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("storage: disk put %s: %w", key, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			root.Remove(tmp)
		}
	}()

	n, err := io.CopyBuffer(&writebackWriter{f: f}, contextReader{ctx, r}, make([]byte, diskCopyBuffer))
	if err != nil {
		return fmt.Errorf("storage: disk put %s: %w", key, err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("storage: disk put %s: read %d bytes, expected %d: %w", key, n, size, io.ErrUnexpectedEOF)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("storage: disk put %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("storage: disk put %s: %w", key, err)
	}
	if err := root.Rename(tmp, key); err != nil {
		return fmt.Errorf("storage: disk put %s: %w", key, err)
	}
	// Sync the object's directory and those above it, which MkdirAll may
	// just have created: a new file in a directory that itself is not yet
	// on disk could vanish with it in a crash.
	for d := dir; ; d = path.Dir(d) {
		if err := syncRootDir(root, d); err != nil {
			return fmt.Errorf("storage: disk put %s: %w", key, err)
		}
		if d == "." {
			return nil
		}
	}
}

// Get opens the object file. A missing object is ErrNotFound.
func (d *Disk) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	root, err := d.openRoot()
	if err != nil {
		return nil, err
	}
	defer root.Close() // the opened file stays valid
	f, err := root.Open(key)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, fmt.Errorf("disk object %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: disk get %s: %w", key, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("storage: disk get %s: %w", key, err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("disk object %s is not a file: %w", key, ErrNotFound)
	}
	return f, nil
}

// Delete removes the object file; a missing one is not an error.
func (d *Disk) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	root, err := d.openRoot()
	if err != nil {
		return err
	}
	defer root.Close()
	err = root.Remove(key)
	if err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	return fmt.Errorf("storage: disk delete %s: %w", key, err)
}

// List walks only the directories that can hold keys with the prefix, and
// skips files still being written.
func (d *Disk) List(ctx context.Context, prefix string, fn func(key string, size int64, modified time.Time) error) error {
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	root, err := d.openRoot()
	if err != nil {
		return err
	}
	defer root.Close()

	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = prefix[:i]
	}
	return fs.WalkDir(root.FS(), start, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			if p == start && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
				return fs.SkipAll // nothing under this prefix
			}
			return fmt.Errorf("storage: disk list %q: %w", prefix, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if de.IsDir() {
			if p == start || strings.HasPrefix(p+"/", prefix) || strings.HasPrefix(prefix, p+"/") {
				return nil
			}
			return fs.SkipDir
		}
		if strings.HasPrefix(de.Name(), tempMarker) || !strings.HasPrefix(p, prefix) {
			return nil
		}
		info, err := de.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted while we walked
		}
		if err != nil {
			return fmt.Errorf("storage: disk list %q: %w", prefix, err)
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		return fn(p, info.Size(), info.ModTime())
	})
}

// Ping checks that the root directory is there.
func (d *Disk) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	root, err := d.openRoot()
	if err != nil {
		return err
	}
	return root.Close()
}

// contextReader stops a copy once the context ends, so a cancelled upload
// stops writing within one buffer.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// writebackWriter writes to f and has the kernel start writing each few MiB
// to the disk at once, rather than leave the whole object dirty in the page
// cache for the final fsync: the disk then works while we encrypt, and a
// large upload does not fill memory with dirty pages. Being a plain Writer,
// it also keeps io.CopyBuffer from using (*os.File).ReadFrom, whose fallback
// would copy in 32 KiB steps and ignore our buffer.
type writebackWriter struct {
	f                *os.File
	written, started int64
}

// writebackStep is how much is written between two writeback requests.
const writebackStep = 8 << 20

func (w *writebackWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.written += int64(n)
	if w.written-w.started >= writebackStep {
		startWriteback(w.f, w.started, w.written-w.started)
		w.started = w.written
	}
	return n, err
}

func randomHex() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return hex.EncodeToString(b[:])
}

// syncRootDir makes the entries of dir durable.
func syncRootDir(root *os.Root, dir string) error {
	d, err := root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// SyncDir makes a new directory entry in dir durable (a file renamed or created there).
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
