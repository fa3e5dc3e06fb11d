package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/msptp/msphub/storage"
)

// StorageProblem is one stored file that is not as its row says.
type StorageProblem struct {
	BlobID    int64
	ObjectKey string
	Kind      string // ProblemMissing, ProblemAltered or ProblemNoKey
	Detail    string // for the operator's console: what was found
}

// Kinds of StorageProblem.
const (
	ProblemMissing = "missing" // the store has no object under the row's key
	ProblemAltered = "altered" // the object does not decrypt to the size and SHA-256 of its row
	ProblemNoKey   = "no key"  // the master key that wrapped its data key is not configured
)

func (p StorageProblem) String() string {
	return fmt.Sprintf("blob %d (%s): %s: %s", p.BlobID, p.ObjectKey, p.Kind, p.Detail)
}

// StorageReport sums up a storage check.
type StorageReport struct {
	Files    int64 // blob rows checked
	Bytes    int64 // plaintext bytes read back
	Problems int64 // files with a problem
}

// VerifyStorage reads every stored file back, as a download would: each blob row's object is
// streamed through the decrypting reader, which authenticates every package, and its plaintext
// is counted and hashed against the size and SHA-256 of the row. Each file that is missing,
// altered or sealed under a master key that is not configured is passed to report (from one
// goroutine at a time) and counted; the check goes on to the next. It returns an error only when
// it cannot finish: the database or the store stops answering, or ctx ends. workers files are
// read at once (4 when 0 or less). Memory stays a few buffers per worker whatever the file sizes.
// It is an operator's command, run with the database and master keys in hand, not an operation
// of the application: it authorizes nothing and writes nothing.
func VerifyStorage(ctx context.Context, db *DB, blobs *storage.Store, workers int, report func(StorageProblem)) (StorageReport, error) {
	if workers <= 0 {
		workers = 4
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var (
		mu  sync.Mutex
		out StorageReport
		wg  sync.WaitGroup
	)
	todo := make(chan Blob)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			for b := range todo {
				n, problem, err := verifyBlob(ctx, blobs, b, buf)
				if err != nil {
					cancel(err)
					continue // drain, so the producer never blocks
				}
				mu.Lock()
				out.Files++
				out.Bytes += n
				if problem != nil {
					out.Problems++
					report(*problem)
				}
				mu.Unlock()
			}
		}()
	}

	// Rows in id order, a page at a time: the check never holds a transaction or the whole
	// table, and new uploads while it runs are simply checked too if they land in a later page.
	var after int64
	var listErr error
	for listErr == nil && ctx.Err() == nil {
		var page []Blob
		listErr = db.gorm.WithContext(ctx).Where("id > ?", after).Order("id").Limit(500).Find(&page).Error
		if listErr != nil || len(page) == 0 {
			break
		}
		for _, b := range page {
			select {
			case todo <- b:
			case <-ctx.Done():
			}
		}
		after = page[len(page)-1].ID
	}
	close(todo)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return out, err
	}
	if listErr != nil {
		return out, fmt.Errorf("read the blob rows: %w", DBError(listErr))
	}
	return out, nil
}

// verifyBlob reads one file back. A problem with the file is returned as a StorageProblem; an
// error means the check itself could not go on (the store is not answering).
func verifyBlob(ctx context.Context, blobs *storage.Store, b Blob, buf []byte) (int64, *StorageProblem, error) {
	problem := func(kind, detail string) *StorageProblem {
		return &StorageProblem{BlobID: b.ID, ObjectKey: b.ObjectKey, Kind: kind, Detail: detail}
	}
	env, err := b.envelope()
	if err != nil {
		return 0, problem(ProblemAltered, "its row's wrapped key is not base64"), nil
	}
	rc, err := blobs.Open(ctx, b.ObjectKey, env)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return 0, problem(ProblemMissing, "the store has no object under this key"), nil
	case errors.Is(err, storage.ErrUnknownKey):
		return 0, problem(ProblemNoKey, fmt.Sprintf("its data key is wrapped by master key %s, which is not configured (add it to MSPHUB_OLD_MASTER_KEYS)", b.KeyID)), nil
	case errors.Is(err, storage.ErrIntegrity):
		return 0, problem(ProblemAltered, "its row's envelope does not open: the row or its wrapped key was altered"), nil
	case err != nil:
		return 0, nil, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, rc, buf)
	switch {
	case errors.Is(err, storage.ErrIntegrity):
		return n, problem(ProblemAltered, fmt.Sprintf("the object fails authentication after %d of %d bytes: it was altered, cut short or replaced", n, b.Size)), nil
	case err != nil:
		return n, nil, err
	case n != b.Size:
		return n, problem(ProblemAltered, fmt.Sprintf("it decrypts to %d bytes, its row says %d", n, b.Size)), nil
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != b.SHA256 {
		return n, problem(ProblemAltered, fmt.Sprintf("its SHA-256 is %s, its row says %s", sum, b.SHA256)), nil
	}
	return n, nil, nil
}
