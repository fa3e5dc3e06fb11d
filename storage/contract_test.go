package storage_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/minio/sio"
	"github.com/msptp/msphub/storage"
)

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30

	// DARE 2.0 seals 64 KiB of plaintext per package, with a 16-byte header
	// and a 16-byte tag.
	payloadSize = 64 * kib
	packageSize = payloadSize + 32
)

// backendUnderTest is one Backend implementation the contract runs against.
type backendUnderTest struct {
	// fresh returns an empty backend of the test's own; whatever it
	// creates is removed in t.Cleanup.
	fresh func(t *testing.T) storage.Backend
	// unfinished lists uploads begun but neither completed nor cleaned up
	// (temporary files on disk, multipart uploads on S3). A failed Put must
	// leave none behind.
	unfinished func(t *testing.T, b storage.Backend) []string
}

// testBackendContract is what the app relies on from the Store, whatever the
// backend. It runs unchanged against Disk and S3.
func testBackendContract(t *testing.T, target backendUnderTest) {
	t.Run("round trip", func(t *testing.T) {
		raw := target.fresh(t)
		keyA := newMasterKey(t)
		store := storage.New(raw, storage.NewKeyring(keyA))
		for _, size := range []int64{0, 1, 1000, 3*payloadSize + 17, 12 * mib} {
			plain := patternBytes(t, uint64(size), size)
			for _, sized := range []bool{false, true} {
				key := fmt.Sprintf("round-trip/%d-sized-%v", size, sized)
				env := put(t, store, key, bytes.NewReader(plain), size, sized)

				if env.Size != size || env.SHA256 != sha256Hex(plain) || env.KeyID != keyA.ID() {
					t.Fatalf("size %d (sized %v): envelope %+v, want size %d, SHA-256 %s, key %s", size, sized, env, size, sha256Hex(plain), keyA.ID())
				}
				got, err := readObject(store, key, env)
				if err != nil {
					t.Fatalf("size %d (sized %v): reading back: %v", size, sized, err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("size %d (sized %v): read back %d bytes that differ from the %d written", size, sized, len(got), len(plain))
				}
				stored := rawBytes(t, raw, key)
				if want := encryptedSize(t, size); int64(len(stored)) != want {
					t.Errorf("size %d (sized %v): backend holds %d bytes, want DARE size %d", size, sized, len(stored), want)
				}
				if size >= 16 && bytes.Contains(stored, plain[:16]) {
					t.Errorf("size %d (sized %v): backend holds plaintext", size, sized)
				}
			}
		}
	})

	t.Run("1 GiB streamed", func(t *testing.T) {
		raw := target.fresh(t)
		store := storage.New(raw, storage.NewKeyring(newMasterKey(t)))
		const size = 1 * gib
		want := patternSum(42, size)

		env, err := store.Put(t.Context(), "big/1", newPattern(42, size), size)
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		if env.Size != size || env.SHA256 != want {
			t.Fatalf("envelope size %d SHA-256 %s, want %d %s", env.Size, env.SHA256, int64(size), want)
		}
		rc, err := store.Open(t.Context(), "big/1", env)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer rc.Close()
		h := sha256.New()
		n, err := io.Copy(h, rc)
		if err != nil {
			t.Fatalf("reading: %v", err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); n != size || got != want {
			t.Fatalf("read %d bytes with SHA-256 %s, want %d bytes with %s", n, got, int64(size), want)
		}
	})

	t.Run("tampering is detected and altered bytes are never returned", func(t *testing.T) {
		raw := target.fresh(t)
		store := storage.New(raw, storage.NewKeyring(newMasterKey(t)))
		plain := patternBytes(t, 7, 5*payloadSize+100) // six packages
		env := put(t, store, "tamper/1", bytes.NewReader(plain), int64(len(plain)), true)
		original := rawBytes(t, raw, "tamper/1")

		for _, tc := range []struct {
			name   string
			alter  func(c []byte) []byte
			before int // no byte at or after this plaintext offset may be returned
		}{
			{"flip a byte in the third package", func(c []byte) []byte { c[2*packageSize+100] ^= 0x01; return c }, 2 * payloadSize},
			{"flip a byte of the first header", func(c []byte) []byte { c[3] ^= 0x80; return c }, 0},
			{"flip the last tag byte", func(c []byte) []byte { c[len(c)-1] ^= 0x01; return c }, 5 * payloadSize},
			{"cut at a package boundary", func(c []byte) []byte { return c[:3*packageSize] }, 3 * payloadSize},
			{"cut inside a package", func(c []byte) []byte { return c[:3*packageSize+500] }, 3 * payloadSize},
			{"cut to nothing", func(c []byte) []byte { return c[:0] }, 0},
			{"append bytes", func(c []byte) []byte { return append(c, 1, 2, 3) }, len(plain)},
			{"swap two packages", func(c []byte) []byte {
				p1 := bytes.Clone(c[packageSize : 2*packageSize])
				copy(c[packageSize:], c[2*packageSize:3*packageSize])
				copy(c[2*packageSize:], p1)
				return c
			}, payloadSize},
		} {
			t.Run(tc.name, func(t *testing.T) {
				putRaw(t, raw, "tamper/1", tc.alter(bytes.Clone(original)))
				got, err := readObject(store, "tamper/1", env)
				if !errors.Is(err, storage.ErrIntegrity) {
					t.Fatalf("reading tampered object: err = %v, want ErrIntegrity", err)
				}
				if len(got) > tc.before || !bytes.Equal(got, plain[:len(got)]) {
					t.Fatalf("returned %d bytes (at most %d allowed), matching the original: %v", len(got), tc.before, bytes.Equal(got, plain[:min(len(got), len(plain))]))
				}
			})
		}

		t.Run("object replaced by another one", func(t *testing.T) {
			other := put(t, store, "tamper/2", bytes.NewReader(plain), int64(len(plain)), true)
			putRaw(t, raw, "tamper/1", rawBytes(t, raw, "tamper/2"))
			if _, err := readObject(store, "tamper/1", env); !errors.Is(err, storage.ErrIntegrity) {
				t.Fatalf("err = %v, want ErrIntegrity (same plaintext, other data key)", err)
			}
			if _, err := readObject(store, "tamper/2", other); err != nil {
				t.Fatalf("untouched object: %v", err)
			}
		})

		t.Run("empty object given content", func(t *testing.T) {
			empty := put(t, store, "tamper/empty", bytes.NewReader(nil), 0, false)
			putRaw(t, raw, "tamper/empty", []byte("x"))
			got, err := readObject(store, "tamper/empty", empty)
			if !errors.Is(err, storage.ErrIntegrity) || len(got) != 0 {
				t.Fatalf("got %d bytes, err = %v, want none and ErrIntegrity", len(got), err)
			}
		})

		t.Run("envelope disagrees with the object", func(t *testing.T) {
			putRaw(t, raw, "tamper/1", original)
			for name, e := range map[string]storage.Envelope{
				"other SHA-256": withSHA(env, sha256Hex([]byte("something else"))),
				"shorter size":  withSize(env, env.Size-1),
				"longer size":   withSize(env, env.Size+1),
			} {
				got, err := readObject(store, "tamper/1", e)
				if !errors.Is(err, storage.ErrIntegrity) {
					t.Errorf("%s: err = %v, want ErrIntegrity", name, err)
				}
				if int64(len(got)) > e.Size {
					t.Errorf("%s: returned %d bytes, more than the envelope's %d", name, len(got), e.Size)
				}
			}
			if _, err := readObject(store, "tamper/1", env); err != nil {
				t.Fatalf("restored object with its own envelope: %v", err)
			}
		})
	})

	t.Run("master key problems", func(t *testing.T) {
		raw := target.fresh(t)
		keyA, keyB := newMasterKey(t), newMasterKey(t)
		storeA := storage.New(raw, storage.NewKeyring(keyA))
		env := put(t, storeA, "keys/1", strings.NewReader("statement"), 9, true)

		_, err := storage.New(raw, storage.NewKeyring(keyB)).Open(t.Context(), "keys/1", env)
		if !errors.Is(err, storage.ErrUnknownKey) || !strings.Contains(err.Error(), keyA.ID()) {
			t.Errorf("Open with another master key: err = %v, want ErrUnknownKey naming %s", err, keyA.ID())
		}

		corrupt := env
		corrupt.WrappedKey = bytes.Clone(env.WrappedKey)
		corrupt.WrappedKey[20] ^= 0x01
		if _, err := storeA.Open(t.Context(), "keys/1", corrupt); !errors.Is(err, storage.ErrIntegrity) {
			t.Errorf("corrupted wrapped key: err = %v, want ErrIntegrity", err)
		}
		corrupt.WrappedKey = env.WrappedKey[:len(env.WrappedKey)-1]
		if _, err := storeA.Open(t.Context(), "keys/1", corrupt); !errors.Is(err, storage.ErrIntegrity) {
			t.Errorf("truncated wrapped key: err = %v, want ErrIntegrity", err)
		}
		// The key ID is bound to the wrapped key: relabelling it as wrapped
		// by another configured key does not unwrap.
		relabelled := env
		relabelled.KeyID = keyB.ID()
		storeBoth := storage.New(raw, storage.NewKeyring(keyA, keyB))
		if _, err := storeBoth.Open(t.Context(), "keys/1", relabelled); !errors.Is(err, storage.ErrIntegrity) {
			t.Errorf("relabelled key ID: err = %v, want ErrIntegrity", err)
		}
		if _, err := storeBoth.Rewrap(relabelled); !errors.Is(err, storage.ErrIntegrity) {
			t.Errorf("Rewrap of relabelled envelope: err = %v, want ErrIntegrity", err)
		}
	})

	t.Run("missing object", func(t *testing.T) {
		raw := target.fresh(t)
		store := storage.New(raw, storage.NewKeyring(newMasterKey(t)))
		env := put(t, store, "missing/1", strings.NewReader("x"), 1, true)
		if err := store.Delete(t.Context(), "missing/1"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := store.Open(t.Context(), "missing/1", env); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Open after Delete: err = %v, want ErrNotFound", err)
		}
		if _, err := raw.Get(t.Context(), "never/was"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Get of a key never written: err = %v, want ErrNotFound", err)
		}
		if err := store.Delete(t.Context(), "missing/1"); err != nil {
			t.Errorf("deleting a missing object: %v, want no error", err)
		}
		assertEmpty(t, target, raw)
	})

	t.Run("too large leaves nothing behind", func(t *testing.T) {
		raw := target.fresh(t)
		store := storage.New(raw, storage.NewKeyring(newMasterKey(t)))
		const limit = 7 * mib // more than one S3 test part, so an upload has begun
		src := &countingReader{r: newPattern(1, 12*mib)}
		_, err := store.Put(t.Context(), "big/too", src, limit)
		if !errors.Is(err, storage.ErrTooLarge) {
			t.Fatalf("Put of 12 MiB with limit 7 MiB: err = %v, want ErrTooLarge", err)
		}
		if src.n > limit+1 {
			t.Errorf("Put read %d bytes; it should stop at %d, the limit plus one", src.n, limit+1)
		}
		_, err = store.PutSized(t.Context(), "big/longer", newPattern(1, 12*mib), 7*mib)
		if !errors.Is(err, storage.ErrTooLarge) {
			t.Errorf("PutSized of 12 MiB announced as 7 MiB: err = %v, want ErrTooLarge", err)
		}
		_, err = store.PutSized(t.Context(), "big/shorter", newPattern(1, 7*mib), 12*mib)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("PutSized of 7 MiB announced as 12 MiB: err = %v, want io.ErrUnexpectedEOF", err)
		}
		_, err = store.PutSized(t.Context(), "small/longer", strings.NewReader("xy"), 1)
		if !errors.Is(err, storage.ErrTooLarge) {
			t.Errorf("PutSized of 2 bytes announced as 1: err = %v, want ErrTooLarge", err)
		}
		_, err = store.PutSized(t.Context(), "small/empty", strings.NewReader("x"), 0)
		if !errors.Is(err, storage.ErrTooLarge) {
			t.Errorf("PutSized of 1 byte announced as 0: err = %v, want ErrTooLarge", err)
		}
		assertEmpty(t, target, raw)

		// Exactly at the limit is fine.
		if _, err := store.Put(t.Context(), "big/limit", newPattern(1, limit), limit); err != nil {
			t.Errorf("Put of exactly the limit: %v", err)
		}
	})

	t.Run("cancelled put leaves nothing behind", func(t *testing.T) {
		raw := target.fresh(t)
		store := storage.New(raw, storage.NewKeyring(newMasterKey(t)))
		for _, sized := range []bool{false, true} {
			ctx, cancel := context.WithCancel(t.Context())
			src := &cancellingReader{r: newPattern(3, 12*mib), after: 8 * mib, cancel: cancel}
			var err error
			if sized {
				_, err = store.PutSized(ctx, "cancelled/1", src, 12*mib)
			} else {
				_, err = store.Put(ctx, "cancelled/1", src, 12*mib)
			}
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Errorf("sized %v: err = %v, want context.Canceled", sized, err)
			}
		}
		assertEmpty(t, target, raw)
	})

	t.Run("rotation by rewrapping", func(t *testing.T) {
		raw := target.fresh(t)
		keyA, keyB := newMasterKey(t), newMasterKey(t)
		storeA := storage.New(raw, storage.NewKeyring(keyA))
		objects := map[string][]byte{}
		envs := map[string]storage.Envelope{}
		for i, size := range []int64{0, 10, 200 * kib} {
			key := "rotate/" + string(rune('a'+i))
			objects[key] = patternBytes(t, uint64(100+i), size)
			envs[key] = put(t, storeA, key, bytes.NewReader(objects[key]), size, false)
		}

		rotating := storage.New(raw, storage.NewKeyring(keyB, keyA))
		for key, env := range envs {
			stored := rawBytes(t, raw, key)
			rewrapped, err := rotating.Rewrap(env)
			if err != nil {
				t.Fatalf("Rewrap %s: %v", key, err)
			}
			if rewrapped.KeyID != keyB.ID() || bytes.Equal(rewrapped.WrappedKey, env.WrappedKey) ||
				rewrapped.Size != env.Size || rewrapped.SHA256 != env.SHA256 {
				t.Fatalf("Rewrap %s: %+v from %+v, want key %s, new wrapped key, same size and hash", key, rewrapped, env, keyB.ID())
			}
			if again, err := rotating.Rewrap(rewrapped); err != nil || !bytes.Equal(again.WrappedKey, rewrapped.WrappedKey) {
				t.Errorf("Rewrap of an envelope already under the primary key changed it (err %v)", err)
			}
			if !bytes.Equal(rawBytes(t, raw, key), stored) {
				t.Errorf("Rewrap %s changed the stored bytes", key)
			}
			envs[key] = rewrapped
		}

		onlyB := storage.New(raw, storage.NewKeyring(keyB))
		for key, env := range envs {
			got, err := readObject(onlyB, key, env)
			if err != nil || !bytes.Equal(got, objects[key]) {
				t.Errorf("%s under key B only: %d bytes, err = %v; want the original %d bytes", key, len(got), err, len(objects[key]))
			}
		}
	})

	t.Run("list, delete and ping", func(t *testing.T) {
		raw := target.fresh(t)
		store := storage.New(raw, storage.NewKeyring(newMasterKey(t)))
		if err := store.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		for _, key := range []string{"cases/1/a", "cases/1/b", "cases/12/a", "guidance/a"} {
			put(t, store, key, strings.NewReader(key), int64(len(key)), true)
		}
		for prefix, want := range map[string]string{
			"":         "cases/1/a cases/1/b cases/12/a guidance/a",
			"cases/1/": "cases/1/a cases/1/b",
			"cases/1":  "cases/1/a cases/1/b cases/12/a",
			"guid":     "guidance/a",
			"nothing/": "",
		} {
			if got := strings.Join(listKeys(t, raw, prefix), " "); got != want {
				t.Errorf("List(%q) = %q, want %q", prefix, got, want)
			}
		}
		var sizes []int64
		err := raw.List(t.Context(), "cases/1/a", func(key string, size int64, modified time.Time) error {
			if time.Since(modified) > time.Hour || time.Until(modified) > time.Hour {
				t.Errorf("%s modified %v, not about now", key, modified)
			}
			sizes = append(sizes, size)
			return nil
		})
		if err != nil || len(sizes) != 1 || sizes[0] != encryptedSize(t, int64(len("cases/1/a"))) {
			t.Errorf("List sizes %v (err %v), want the one ciphertext size %d", sizes, err, encryptedSize(t, 9))
		}
		stop := errors.New("stop")
		if err := raw.List(t.Context(), "", func(string, int64, time.Time) error { return stop }); !errors.Is(err, stop) {
			t.Errorf("List did not pass on fn's error: %v", err)
		}
		// The Store lists what its backend holds, for the orphan sweep, and passes on fn's error
		// as it is.
		var listed []string
		if err := store.List(t.Context(), "cases/1/", func(key string, size int64, modified time.Time) error {
			if size != encryptedSize(t, int64(len(key))) || time.Since(modified) > time.Hour {
				t.Errorf("Store.List: %s of %d bytes modified %v, want %d bytes about now", key, size, modified, encryptedSize(t, int64(len(key))))
			}
			listed = append(listed, key)
			return nil
		}); err != nil || strings.Join(listed, " ") != "cases/1/a cases/1/b" {
			t.Errorf("Store.List(cases/1/) = %q, %v; want cases/1/a cases/1/b", listed, err)
		}
		if err := store.List(t.Context(), "", func(string, int64, time.Time) error { return stop }); err != stop {
			t.Errorf("Store.List did not pass on fn's error as it is: %v", err)
		}
		if err := store.List(t.Context(), "../", func(string, int64, time.Time) error { return nil }); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Store.List(../): err = %v, want ErrInvalidKey", err)
		}
		if err := store.Delete(t.Context(), "cases/1/b"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if got := strings.Join(listKeys(t, raw, "cases/"), " "); got != "cases/1/a cases/12/a" {
			t.Errorf("after Delete, List = %q", got)
		}
	})

	t.Run("closing early", func(t *testing.T) {
		raw := target.fresh(t)
		store := storage.New(raw, storage.NewKeyring(newMasterKey(t)))
		env := put(t, store, "early/1", newPattern(5, 12*mib), 12*mib, false)
		rc, err := store.Open(t.Context(), "early/1", env)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		buf := make([]byte, 100)
		if _, err := io.ReadFull(rc, buf); err != nil {
			t.Fatalf("Read: %v", err)
		}
		done := make(chan error, 1)
		go func() { done <- rc.Close() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Close: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Close after a partial read did not return")
		}
		if _, err := rc.Read(buf); err == nil {
			t.Error("Read after Close succeeded")
		}
	})
}

func put(t *testing.T, s *storage.Store, key string, r io.Reader, size int64, sized bool) storage.Envelope {
	t.Helper()
	var env storage.Envelope
	var err error
	if sized {
		env, err = s.PutSized(t.Context(), key, r, size)
	} else {
		env, err = s.Put(t.Context(), key, r, size)
	}
	if err != nil {
		t.Fatalf("Put %s (%d bytes, sized %v): %v", key, size, sized, err)
	}
	return env
}

// readObject reads what Open returns up to the first error, and that error.
func readObject(s *storage.Store, key string, env storage.Envelope) ([]byte, error) {
	rc, err := s.Open(context.Background(), key, env)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func rawBytes(t *testing.T, b storage.Backend, key string) []byte {
	t.Helper()
	rc, err := b.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("raw Get %s: %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("raw Get %s: %v", key, err)
	}
	return data
}

func putRaw(t *testing.T, b storage.Backend, key string, data []byte) {
	t.Helper()
	if err := b.Put(t.Context(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("raw Put %s: %v", key, err)
	}
}

func listKeys(t *testing.T, b storage.Backend, prefix string) []string {
	t.Helper()
	keys := []string{}
	err := b.List(t.Context(), prefix, func(key string, _ int64, _ time.Time) error {
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys
}

// assertEmpty checks that failed Puts left neither objects nor unfinished
// uploads.
func assertEmpty(t *testing.T, target backendUnderTest, b storage.Backend) {
	t.Helper()
	if keys := listKeys(t, b, ""); len(keys) > 0 {
		t.Errorf("objects left behind: %v", keys)
	}
	if left := target.unfinished(t, b); len(left) > 0 {
		t.Errorf("unfinished uploads left behind: %v", left)
	}
}

func newMasterKey(t testing.TB) storage.MasterKey {
	t.Helper()
	encoded, err := storage.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := storage.ParseMasterKey(encoded)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func encryptedSize(t *testing.T, size int64) int64 {
	t.Helper()
	n, err := sio.EncryptedSize(uint64(size))
	if err != nil {
		t.Fatal(err)
	}
	return int64(n)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func withSHA(env storage.Envelope, sum string) storage.Envelope { env.SHA256 = sum; return env }
func withSize(env storage.Envelope, n int64) storage.Envelope   { env.Size = n; return env }

// pattern is a deterministic stream of size bytes that costs no more than a
// memory copy to produce, so a 1 GiB transfer is neither held in memory nor
// slowed by its source: a random 1 MiB block, repeated, each repetition
// numbered in its first 8 bytes so that no two MiB are alike. It implements
// only io.Reader, like a request body.
type pattern struct {
	block     []byte
	size, off int64
}

func newPattern(seed uint64, size int64) *pattern {
	block := make([]byte, mib)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24)}).Read(block)
	return &pattern{block: block, size: size}
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.size {
		return 0, io.EOF
	}
	if rest := p.size - p.off; int64(len(b)) > rest {
		b = b[:rest]
	}
	n := 0
	for n < len(b) {
		index, pos := p.off/mib, p.off%mib
		m := copy(b[n:], p.block[pos:])
		if pos < 8 {
			var number [8]byte
			binary.LittleEndian.PutUint64(number[:], uint64(index))
			copy(b[n:n+m], number[pos:])
		}
		n += m
		p.off += int64(m)
	}
	return n, nil
}

func patternBytes(t *testing.T, seed uint64, size int64) []byte {
	t.Helper()
	b, err := io.ReadAll(newPattern(seed, size))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func patternSum(seed uint64, size int64) string {
	h := sha256.New()
	io.Copy(h, newPattern(seed, size))
	return hex.EncodeToString(h.Sum(nil))
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// cancellingReader cancels its upload's context once it has given `after`
// bytes, and goes on giving bytes, as a client might while its request is
// abandoned.
type cancellingReader struct {
	r      io.Reader
	after  int64
	n      int64
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.after {
		c.cancel()
	}
	return n, err
}
