package storage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/msptp/msphub/storage"
)

// A connection that drops mid-download is a failure to report, not an
// integrity alarm: ErrIntegrity must mean the stored bytes are wrong.
func TestDroppedConnectionIsNotTampering(t *testing.T) {
	disk := newDisk(t)
	keys := storage.NewKeyring(newMasterKey(t))
	plain := patternBytes(t, 9, 3*mib)
	env := put(t, storage.New(disk, keys), "dropped/1", bytes.NewReader(plain), int64(len(plain)), true)

	dropping := storage.New(fakeDroppedConnection{disk, 2*mib + 1000}, keys)
	got, err := readObject(dropping, "dropped/1", env)
	if err == nil || errors.Is(err, storage.ErrIntegrity) {
		t.Fatalf("err = %v, want a read error that is not ErrIntegrity", err)
	}
	if !bytes.Equal(got, plain[:len(got)]) {
		t.Fatal("bytes returned before the drop differ from the object")
	}
}

// fakeDroppedConnection stands in for an S3 connection that drops: its Get
// body ends after `after` bytes with io.ErrUnexpectedEOF, as a net/http body
// does when the server goes away before its Content-Length. A real one cannot
// be made to drop at a chosen byte here.
type fakeDroppedConnection struct {
	storage.Backend
	after int64
}

func (f fakeDroppedConnection) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := f.Backend.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return droppingBody{io.LimitReader(rc, f.after), rc}, nil
}

type droppingBody struct {
	io.Reader
	io.Closer
}

func (d droppingBody) Read(p []byte) (int, error) {
	n, err := d.Reader.Read(p)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func TestSealSmallSecrets(t *testing.T) {
	a, b := newMasterKey(t), newMasterKey(t)
	ring := storage.NewKeyring(a)
	sealed, err := ring.Seal([]byte("JBSWY3DPEHPK3PXP"), "totp")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "JBSWY3DP") {
		t.Fatal("sealed value shows the secret")
	}
	if got, err := ring.Open(sealed, "totp"); err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := ring.Open(sealed, "other"); !errors.Is(err, storage.ErrIntegrity) {
		t.Errorf("opened for another purpose: %v", err)
	}
	if _, err := storage.NewKeyring(b).Open(sealed, "totp"); !errors.Is(err, storage.ErrUnknownKey) {
		t.Errorf("opened without its master key: %v", err)
	}
	if got, err := storage.NewKeyring(b, a).Open(sealed, "totp"); err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Errorf("older key after rotation: %q, %v", got, err)
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := ring.Open(tampered, "totp"); !errors.Is(err, storage.ErrIntegrity) {
		t.Errorf("tampered value: %v", err)
	}
}

// S3 takes an empty object in a PUT that reads nothing of the body. Put must not
// take the backend's quick return for a cut-off input.
func TestEmptyObjectBackendReadsNothing(t *testing.T) {
	store := storage.New(emptyPutReadsNothing{newDisk(t)}, storage.NewKeyring(newMasterKey(t)))
	for i := range 1000 {
		if _, err := store.PutSized(context.Background(), "empty/1", strings.NewReader(""), 0); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
}

// emptyPutReadsNothing is a Disk that, like minio-go, stores an object of a
// stated size of 0 without reading its body.
type emptyPutReadsNothing struct{ storage.Backend }

func (e emptyPutReadsNothing) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if size == 0 {
		r = strings.NewReader("")
	}
	return e.Backend.Put(ctx, key, r, size)
}
