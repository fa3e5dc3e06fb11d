package storage_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msptp/msphub/storage"
)

func TestDisk(t *testing.T) {
	testBackendContract(t, backendUnderTest{
		fresh: func(t *testing.T) storage.Backend { return newDisk(t) },
		unfinished: func(t *testing.T, b storage.Backend) []string {
			return tempFiles(t, b.(testDisk))
		},
	})
}

// TestDiskKeysStayInsideRoot tries keys built to reach outside the root.
func TestDiskKeysStayInsideRoot(t *testing.T) {
	parent := t.TempDir()
	disk, err := storage.NewDisk(filepath.Join(parent, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	store := storage.New(disk, storage.NewKeyring(newMasterKey(t)))
	valid := putString(t, store, "cases/1", "evidence")

	for _, key := range []string{
		"../x", "/etc/passwd", "a/../../b", "", "a\x00b", "..", ".", "a/./b", "a//b", "a/", "/",
		"a\\..\\b", "a b", "%2e%2e/x", "ünïcode", strings.Repeat("a", 1025),
	} {
		if err := disk.Put(t.Context(), key, strings.NewReader("x"), 1); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Disk.Put(%q): err = %v, want ErrInvalidKey", key, err)
		}
		if _, err := disk.Get(t.Context(), key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Disk.Get(%q): err = %v, want ErrInvalidKey", key, err)
		}
		if err := disk.Delete(t.Context(), key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Disk.Delete(%q): err = %v, want ErrInvalidKey", key, err)
		}
		if _, err := store.Put(t.Context(), key, strings.NewReader("x"), 10); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Store.Put(%q): err = %v, want ErrInvalidKey", key, err)
		}
		if _, err := store.Open(t.Context(), key, valid); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Store.Open(%q): err = %v, want ErrInvalidKey", key, err)
		}
	}
	for _, prefix := range []string{"../", "/", "a/../..", "a//"} {
		if err := disk.List(t.Context(), prefix, nil); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Disk.List(%q): err = %v, want ErrInvalidKey", prefix, err)
		}
	}

	// A symbolic link planted inside the root does not lead out of it.
	outside := filepath.Join(parent, "outside")
	if err := os.Mkdir(outside, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(parent, "blobs", "link")); err != nil {
		t.Fatal(err)
	}
	if err := disk.Put(t.Context(), "link/x", strings.NewReader("x"), 1); err == nil {
		t.Error("Put through a symbolic link to outside the root succeeded")
	}

	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("files appeared beside the root: %v", entries)
	}
	if inside, _ := os.ReadDir(outside); len(inside) != 0 {
		t.Errorf("files appeared outside the root: %v", inside)
	}
}

func TestDiskFileModes(t *testing.T) {
	root := filepath.Join(t.TempDir(), "new", "blobs")
	disk, err := storage.NewDisk(root)
	if err != nil {
		t.Fatal(err)
	}
	store := storage.New(disk, storage.NewKeyring(newMasterKey(t)))
	putString(t, store, "cases/1/exhibit", "statement")

	for path, want := range map[string]fs.FileMode{
		root:                              fs.ModeDir | 0o700,
		filepath.Join(root, "cases", "1"): fs.ModeDir | 0o700,
		filepath.Join(root, "cases", "1", "exhibit"): 0o600,
	} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != want {
			t.Errorf("%s has mode %v, want %v", path, info.Mode(), want)
		}
	}
}

func TestDiskRootMissing(t *testing.T) {
	root := filepath.Join(t.TempDir(), "blobs")
	disk, err := storage.NewDisk(root)
	if err != nil {
		t.Fatal(err)
	}
	store := storage.New(disk, storage.NewKeyring(newMasterKey(t)))
	env := putString(t, store, "a", "x")
	if err := store.Ping(t.Context()); err != nil {
		t.Fatalf("Ping with root present: %v", err)
	}
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	if err := store.Ping(t.Context()); !errors.Is(err, storage.ErrUnreachable) {
		t.Errorf("Ping with root gone: err = %v, want ErrUnreachable", err)
	}
	if _, err := store.Put(t.Context(), "b", strings.NewReader("x"), 1); !errors.Is(err, storage.ErrUnreachable) {
		t.Errorf("Put with root gone: err = %v, want ErrUnreachable", err)
	}
	if _, err := store.Open(t.Context(), "a", env); !errors.Is(err, storage.ErrUnreachable) {
		t.Errorf("Open with root gone: err = %v, want ErrUnreachable", err)
	}
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Put recreated the missing root (stat err %v)", err)
	}
}

func TestDiskListSkipsUnfinishedWrites(t *testing.T) {
	disk := newDisk(t)
	store := storage.New(disk, storage.NewKeyring(newMasterKey(t)))
	putString(t, store, "cases/1", "x")
	// What a crash in the middle of a Put leaves.
	if err := os.WriteFile(filepath.Join(disk.root, "cases", ".tmp~0123456789abcdef"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(listKeys(t, disk, ""), " "); got != "cases/1" {
		t.Errorf("List = %q, want only the finished object", got)
	}
}

func TestKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "config")
	path := filepath.Join(dir, "master.key")

	created, isNew, err := storage.LoadOrCreateKeyFile(path)
	if err != nil || !isNew {
		t.Fatalf("first LoadOrCreateKeyFile: created %v, err %v; want a new key", isNew, err)
	}
	for p, want := range map[string]fs.FileMode{dir: fs.ModeDir | 0o700, path: 0o600} {
		if info, err := os.Stat(p); err != nil || info.Mode() != want {
			t.Errorf("%s: mode %v (err %v), want %v", p, info.Mode(), err, want)
		}
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if parsed, err := storage.ParseMasterKey(string(text)); err != nil || parsed.ID() != created.ID() {
		t.Errorf("key file does not hold the key returned: %v", err)
	}

	loaded, isNew, err := storage.LoadOrCreateKeyFile(path)
	if err != nil || isNew || loaded.ID() != created.ID() {
		t.Errorf("second LoadOrCreateKeyFile: key %s, created %v, err %v; want the same key %s reused", loaded.ID(), isNew, err, created.ID())
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, text) {
		t.Error("second LoadOrCreateKeyFile rewrote the file")
	}

	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	_, _, err = storage.LoadOrCreateKeyFile(path)
	if err == nil || !strings.Contains(err.Error(), "0640") || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("key file readable by group: err = %v, want a refusal naming the mode and the fix", err)
	}

	if err := os.WriteFile(path, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := storage.LoadOrCreateKeyFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("key file with garbage: err = %v, want an error naming the file", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want only the key file: %v", len(entries), entries)
	}
}

func TestParseMasterKey(t *testing.T) {
	for input, want := range map[string]string{
		"":                            "got 0",
		"c2hvcnQ=":                    "got 5",
		strings.Repeat("A", 44):       "got 33",
		"!!not base64!!":              "not standard base64",
		strings.Repeat("-", 43) + "=": "not standard base64", // URL-safe alphabet
	} {
		_, err := storage.ParseMasterKey(input)
		if err == nil || !strings.Contains(err.Error(), "must be 32 bytes of standard base64") || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseMasterKey(%q): err = %v, want it to say %q", input, err, want)
		}
	}

	encoded, err := storage.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := storage.ParseMasterKey(" " + encoded + "\n")
	if err != nil {
		t.Fatalf("ParseMasterKey of a generated key: %v", err)
	}
	if len(k.ID()) != 16 || strings.Trim(k.ID(), "0123456789abcdef") != "" {
		t.Errorf("ID %q is not 16 lowercase hex digits", k.ID())
	}
	if same, _ := storage.ParseMasterKey(encoded); same.ID() != k.ID() {
		t.Error("the same key gave two IDs")
	}
	if other := newMasterKey(t); other.ID() == k.ID() {
		t.Error("two different keys share an ID")
	}
	// Keys reach log lines inside errors and structs: only the ID may show.
	printed := fmt.Sprintf("%v %+v %#v %s", k, k, k, storage.NewKeyring(k))
	want := fmt.Sprintf("MasterKey(%[1]s) MasterKey(%[1]s) MasterKey(%[1]s) Keyring(primary %[1]s, keys [%[1]s])", k.ID())
	if printed != want {
		t.Errorf("printed key = %q, want %q", printed, want)
	}
}

// testDisk is a Disk with its root at hand, for looking behind its back.
type testDisk struct {
	*storage.Disk
	root string
}

func newDisk(t *testing.T) testDisk {
	t.Helper()
	root := filepath.Join(t.TempDir(), "blobs")
	disk, err := storage.NewDisk(root)
	if err != nil {
		t.Fatal(err)
	}
	return testDisk{disk, root}
}

// tempFiles lists files still named as being written.
func tempFiles(t *testing.T, d testDisk) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(d.root, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(de.Name(), ".tmp~") {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func putString(t *testing.T, s *storage.Store, key, content string) storage.Envelope {
	t.Helper()
	return put(t, s, key, strings.NewReader(content), int64(len(content)), true)
}
