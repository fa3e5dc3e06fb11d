package core_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/storage"
)

// storeFixture is a database and an encrypted blob store of the backend under test, with the
// raw backend under it for changing objects behind the store's back.
type storeFixture struct {
	db      *core.DB
	raw     storage.Backend
	store   *storage.Store
	primary storage.MasterKey
}

func newStoreFixture(t *testing.T) *storeFixture {
	t.Helper()
	f := &storeFixture{db: modelstest.OpenDB(t), raw: modelstest.BlobBackend(t)}
	k, err := storage.ParseMasterKey(modelstest.MasterKey(t))
	if err != nil {
		t.Fatal(err)
	}
	f.primary = k
	f.store = storage.New(f.raw, storage.NewKeyring(k))
	return f
}

// put stores content and records its row, as an upload does; it returns the row's id.
func (f *storeFixture) put(t *testing.T, store *storage.Store, key, content string) int64 {
	t.Helper()
	env, err := store.Put(context.Background(), key, strings.NewReader(content), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	row := map[string]any{"object_key": key, "key_id": env.KeyID, "wrapped_key": base64.StdEncoding.EncodeToString(env.WrappedKey),
		"size": env.Size, "sha256": env.SHA256, "content_type": "text/plain", "created_at": time.Now().UTC()}
	if err := f.db.Gorm().Table("blobs").Create(row).Error; err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := f.db.Gorm().Table("blobs").Select("id").Where("object_key = ?", key).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

// VerifyStorage reads every file back and names each one that is missing, altered (its bytes,
// its length, or its row's figures) or sealed under a key that is not configured, and only
// those; an empty file and a file of many encryption packages pass.
func TestVerifyStorageNamesEachBrokenFile(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	big := strings.Repeat("a long witness statement, read back in full. ", 20000) // ~900 KiB: 14 packages
	other, err := storage.ParseMasterKey(modelstest.MasterKey(t))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for name, content := range map[string]string{
		"good": "a good file", "empty": "", "big": big, "deleted": "soon gone", "flipped": big,
		"cut": big, "row-altered": "its row will lie about its size", "foreign-key": "sealed under another key",
	} {
		store := f.store
		if name == "foreign-key" {
			store = storage.New(f.raw, storage.NewKeyring(other))
		}
		ids[name] = f.put(t, store, "blobs/test/"+name, content)
	}
	if err := f.raw.Delete(ctx, "blobs/test/deleted"); err != nil {
		t.Fatal(err)
	}
	modelstest.Rewrite(t, f.raw, "blobs/test/flipped", func(b []byte) []byte { b[len(b)-100] ^= 0x80; return b })
	modelstest.Rewrite(t, f.raw, "blobs/test/cut", func(b []byte) []byte { return b[:len(b)-(64<<10)-32] }) // one whole package gone
	if err := f.db.Gorm().Exec("UPDATE blobs SET size = size + 1 WHERE id = ?", ids["row-altered"]).Error; err != nil {
		t.Fatal(err)
	}

	var problems []core.StorageProblem
	rep, err := core.VerifyStorage(ctx, f.db, f.store, 3, func(p core.StorageProblem) { problems = append(problems, p) })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 8 || rep.Problems != 5 {
		t.Errorf("report %+v, want 8 files and 5 problems", rep)
	}
	sort.Slice(problems, func(i, j int) bool { return problems[i].BlobID < problems[j].BlobID })
	got := map[int64]string{}
	for _, p := range problems {
		got[p.BlobID] = p.Kind
		if !strings.HasPrefix(p.String(), fmt.Sprintf("blob %d (%s): %s: ", p.BlobID, p.ObjectKey, p.Kind)) {
			t.Errorf("problem reads %q", p.String())
		}
	}
	for name, want := range map[string]string{
		"deleted": core.ProblemMissing, "flipped": core.ProblemAltered, "cut": core.ProblemAltered,
		"row-altered": core.ProblemAltered, "foreign-key": core.ProblemNoKey,
		"good": "", "empty": "", "big": "",
	} {
		if got[ids[name]] != want {
			t.Errorf("%s (blob %d): %q, want %q", name, ids[name], got[ids[name]], want)
		}
	}

	// Given the other key too (as MSPHUB_OLD_MASTER_KEYS), the file sealed under it passes.
	both := storage.New(f.raw, storage.NewKeyring(f.primary, other))
	var again []core.StorageProblem
	if _, err := core.VerifyStorage(ctx, f.db, both, 0, func(p core.StorageProblem) { again = append(again, p) }); err != nil {
		t.Fatal(err)
	}
	if len(again) != 4 {
		t.Errorf("with both keys, %d problems, want 4: %v", len(again), again)
	}
	for _, p := range again {
		if p.BlobID == ids["foreign-key"] {
			t.Errorf("with both keys: %v", p)
		}
	}
}

// A store that stops answering stops the check with an error, rather than reporting every file
// as missing.
func TestVerifyStorageStopsWhenTheStoreIsGone(t *testing.T) {
	root := filepath.Join(t.TempDir(), "blobs")
	d, err := storage.NewDisk(root)
	if err != nil {
		t.Fatal(err)
	}
	k, err := storage.ParseMasterKey(modelstest.MasterKey(t))
	if err != nil {
		t.Fatal(err)
	}
	f := &storeFixture{db: modelstest.OpenDB(t), raw: d, store: storage.New(d, storage.NewKeyring(k))}
	f.put(t, f.store, "blobs/test/one", "one")
	if err := os.RemoveAll(root); err != nil { // an unmounted volume
		t.Fatal(err)
	}
	_, err = core.VerifyStorage(context.Background(), f.db, f.store, 1, func(p core.StorageProblem) {
		t.Errorf("reported %v instead of stopping", p)
	})
	if err == nil || !errors.Is(err, storage.ErrUnreachable) {
		t.Fatalf("with the store gone: %v, want it unreachable", err)
	}
}
