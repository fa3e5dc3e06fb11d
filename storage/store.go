package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/minio/sio"
)

// Envelope is what the caller keeps in its database row for each object: the
// data key, wrapped by a master key, and the plaintext's size and SHA-256.
// The wrapping authenticates the size and SHA-256 too, so an envelope whose
// figures were altered cannot be opened. Without its envelope an object cannot
// be read.
type Envelope struct {
	KeyID      string // ID of the master key that wrapped DataKey
	WrappedKey []byte // the object's random 32-byte data key, AES-256-GCM-wrapped under KeyID
	Size       int64  // plaintext size in bytes
	SHA256     string // plaintext SHA-256, lowercase hex
}

// Store keeps objects encrypted in a Backend: each object gets its own random
// data key and is sealed as an authenticated stream (DARE 2.0, AES-256-GCM in
// 64 KiB packages), whatever the backend, so neither a disk image nor the S3
// operator can read or silently alter evidence. Everything streams: memory per
// transfer is a few MiB whatever the object size. A Store is safe for
// concurrent use.
type Store struct {
	backend Backend
	keys    *Keyring
}

// New returns a Store that keeps objects in b, sealing data keys with the
// keyring's primary key.
func New(b Backend, keys *Keyring) *Store {
	return &Store{backend: b, keys: keys}
}

// Put encrypts what r yields and stores it under key, computing the
// plaintext's size and SHA-256 on the way, and returns the Envelope the caller
// must keep. If r holds more than limit bytes, Put fails with ErrTooLarge
// after reading limit+1 bytes, not the rest. On any error, cancellation
// included, nothing is left in the backend.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, limit int64) (Envelope, error) {
	if limit < 0 {
		return Envelope{}, fmt.Errorf("storage: put %s: negative limit %d", key, limit)
	}
	return s.put(ctx, key, r, limit, false)
}

// PutSized is Put for a plaintext whose size is known in advance (a file, a
// request with a Content-Length): the backend is told the exact ciphertext
// size, which lets S3 take small objects in one PUT. r must yield exactly size
// bytes: more is ErrTooLarge, fewer is io.ErrUnexpectedEOF, and either way
// nothing is kept.
func (s *Store) PutSized(ctx context.Context, key string, r io.Reader, size int64) (Envelope, error) {
	if size < 0 {
		return Envelope{}, fmt.Errorf("storage: put %s: negative size %d", key, size)
	}
	return s.put(ctx, key, r, size, true)
}

func (s *Store) put(ctx context.Context, key string, r io.Reader, limit int64, exact bool) (Envelope, error) {
	if err := checkKey(key); err != nil {
		return Envelope{}, err
	}
	encSize := int64(-1)
	if exact {
		n, err := sio.EncryptedSize(uint64(limit))
		if err != nil || n > math.MaxInt64 {
			return Envelope{}, fmt.Errorf("storage: put %s: %d bytes is beyond DARE's limit: %w", key, limit, ErrTooLarge)
		}
		encSize = int64(n)
	}
	if s.keys.primary.id == "" {
		return Envelope{}, errors.New("storage: keyring has no primary master key")
	}
	dataKey := make([]byte, dataKeySize)
	rand.Read(dataKey) // never fails (crypto/rand since Go 1.24)
	defer clear(dataKey)

	pipeCtx, stop := context.WithCancel(ctx)
	defer stop()
	plain := readAhead(pipeCtx, r, limit, exact, sha256.New())
	sealed, err := sio.EncryptReader(plain, sio.Config{MinVersion: sio.Version20, Key: dataKey})
	if err != nil {
		stop()
		plain.wait()
		return Envelope{}, fmt.Errorf("storage: put %s: %w", key, err)
	}
	putErr := s.backend.Put(pipeCtx, key, sealed, encSize)
	leftover := false
	if putErr == nil {
		// The backend has what it asked for, so the input should be at its end: one more read
		// says so (or yields the input's own failure), where cancelling at once would race the
		// read-ahead, which an empty object's backend never waited for.
		var probe [1]byte
		n, _ := sealed.Read(probe[:])
		leftover = n > 0
	}
	stop()
	size, sum, readErr := plain.wait()
	// Our own stop, rather than the caller's, ended the reading.
	stopped := errors.Is(readErr, context.Canceled) && ctx.Err() == nil
	if leftover && (readErr == nil || stopped) {
		readErr, stopped = errBackendEarly, true
	}

	switch {
	case putErr != nil && (readErr == nil || stopped):
		return Envelope{}, fmt.Errorf("storage: put %s: %w", key, putErr)
	case putErr != nil:
		// The input's failure (too large, short, cancelled) caused the
		// backend's; report the cause.
		return Envelope{}, fmt.Errorf("storage: put %s: %w", key, readErr)
	case readErr != nil:
		// The backend took its fill of ciphertext before the input was done,
		// so what it stored is not what r holds (r was longer than promised).
		if stopped {
			readErr = errBackendEarly
		}
		if err := s.backend.Delete(context.WithoutCancel(ctx), key); err != nil {
			return Envelope{}, fmt.Errorf("storage: put %s: %w (and removing what was stored failed: %v)", key, readErr, err)
		}
		return Envelope{}, fmt.Errorf("storage: put %s: %w", key, readErr)
	}
	// The key is wrapped last, once the plaintext's size and SHA-256 are known
	// and can be bound to it.
	keyID, wrapped, err := s.keys.wrap(dataKey, binding(size, sum))
	if err != nil {
		_ = s.backend.Delete(context.WithoutCancel(ctx), key)
		return Envelope{}, fmt.Errorf("storage: put %s: %w", key, err)
	}
	return Envelope{KeyID: keyID, WrappedKey: wrapped, Size: size, SHA256: hex.EncodeToString(sum)}, nil
}

var errBackendEarly = errors.New("the backend finished before the input did")

// binding is what a wrapped data key authenticates besides itself: the
// plaintext's size and SHA-256. Reads then need not hash again: the data key
// authenticates every ciphertext package (and the end of the stream), the key
// unwraps only with the size and SHA-256 recorded at upload, and the upload
// hashed exactly the plaintext it encrypted.
func binding(size int64, sum []byte) []byte {
	b := binary.BigEndian.AppendUint64([]byte("msphub-envelope-v1\x00"), uint64(size))
	return append(b, sum...)
}

// envelopeBinding checks an envelope's figures and returns its binding.
func envelopeBinding(env Envelope) ([]byte, error) {
	sum, err := hex.DecodeString(env.SHA256)
	if env.Size < 0 || err != nil || len(sum) != sha256.Size {
		return nil, fmt.Errorf("malformed envelope (size %d, SHA-256 %q): %w", env.Size, env.SHA256, ErrIntegrity)
	}
	return binding(env.Size, sum), nil
}

// Open returns the plaintext of the object under key, decrypting as it
// streams. An envelope whose master key is not configured is ErrUnknownKey; an
// envelope whose wrapped key, size or SHA-256 was altered is ErrIntegrity; a
// missing object is ErrNotFound. Once reading, any altered, reordered, added
// or cut-off byte ends the stream with an error wrapping ErrIntegrity, and the
// bytes of a package that fails authentication are never returned. The caller
// must Close the reader.
func (s *Store) Open(ctx context.Context, key string, env Envelope) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	bound, err := envelopeBinding(env)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", key, err)
	}
	dataKey, err := s.keys.unwrap(env.KeyID, env.WrappedKey, bound)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", key, err)
	}
	defer clear(dataKey) // sio keeps its own expanded key
	ctx, stop := context.WithCancel(ctx)
	body, err := s.backend.Get(ctx, key)
	if err != nil {
		stop()
		return nil, fmt.Errorf("storage: open %s: %w", key, err)
	}
	if env.Size == 0 {
		// DARE encodes an empty plaintext as no bytes at all, which its
		// reader rejects as truncated; only non-empty objects go through it.
		return &plaintext{key: key, body: body, stop: stop, r: emptyObject{body}}, nil
	}
	// The body is read ahead while the caller decrypts, so the two run at once.
	ahead := readAhead(ctx, transport{body}, math.MaxInt64, false, nil)
	p := &plaintext{key: key, body: body, stop: stop, ahead: ahead, left: env.Size}
	if p.r, err = sio.DecryptReader(ahead, sio.Config{MinVersion: sio.Version20, Key: dataKey}); err != nil {
		p.Close()
		return nil, fmt.Errorf("storage: open %s: %w", key, err)
	}
	return p, nil
}

// plaintext is the reader Open returns: authenticated plaintext, exactly as
// many bytes as the envelope says.
type plaintext struct {
	key    string
	body   io.ReadCloser
	stop   context.CancelFunc // ends the read-ahead and the backend's request
	ahead  *aheadReader       // reads body ahead; nil for an empty object
	r      io.Reader
	left   int64 // bytes still to come
	closed bool
}

func (p *plaintext) Read(b []byte) (int, error) {
	if p.closed {
		return 0, errors.New("storage: read after close")
	}
	if p.left == 0 {
		// Everything promised has been read: the stream must end here.
		var extra [1]byte
		n, err := p.r.Read(extra[:])
		switch {
		case n > 0:
			return 0, fmt.Errorf("storage: object %s decrypts to more than its envelope's size: %w", p.key, ErrIntegrity)
		case err == nil:
			return 0, nil
		case err == io.EOF:
			return 0, io.EOF
		}
		return 0, p.fail(err)
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n, err := p.r.Read(b)
	p.left -= int64(n)
	switch {
	case err == io.EOF && p.left > 0:
		return n, fmt.Errorf("storage: object %s ends %d bytes short of its envelope's size: %w", p.key, p.left, ErrIntegrity)
	case err == io.EOF:
		return n, nil // confirm the end on the next Read
	case err != nil:
		return n, p.fail(err)
	}
	return n, nil
}

// fail classifies a read error: a package failing authentication is tampering;
// anything else (a dropped connection) is a transport error.
func (p *plaintext) fail(err error) error {
	if errors.As(err, new(sio.Error)) {
		return fmt.Errorf("storage: object %s: %v: %w", p.key, err, ErrIntegrity)
	}
	return fmt.Errorf("storage: object %s: %w", p.key, err)
}

func (p *plaintext) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	p.stop()
	err := p.body.Close() // also wakes a read-ahead blocked in the body
	if p.ahead != nil {
		p.ahead.wait()
	}
	return err
}

// Delete removes the object under key; a missing object is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.backend.Delete(ctx, key); err != nil {
		return fmt.Errorf("storage: delete %s: %w", key, err)
	}
	return nil
}

// Ping reports whether the backend can serve requests, for /readyz.
func (s *Store) Ping(ctx context.Context) error {
	return s.backend.Ping(ctx)
}

// Rewrap returns env with its data key wrapped under the primary master key,
// for master key rotation; the object's bytes are untouched, so rotation costs
// one database update per object. An envelope already under the primary key
// comes back unchanged.
func (s *Store) Rewrap(env Envelope) (Envelope, error) {
	if env.KeyID == s.keys.primary.id {
		return env, nil
	}
	bound, err := envelopeBinding(env)
	if err != nil {
		return Envelope{}, fmt.Errorf("storage: rewrap: %w", err)
	}
	dataKey, err := s.keys.unwrap(env.KeyID, env.WrappedKey, bound)
	if err != nil {
		return Envelope{}, fmt.Errorf("storage: rewrap: %w", err)
	}
	defer clear(dataKey)
	keyID, wrapped, err := s.keys.wrap(dataKey, bound)
	if err != nil {
		return Envelope{}, err
	}
	env.KeyID, env.WrappedKey = keyID, wrapped
	return env, nil
}

// emptyObject reads the ciphertext of an empty plaintext, which must be empty
// too: any byte there was put there by someone else.
type emptyObject struct{ r io.Reader }

func (e emptyObject) Read([]byte) (int, error) {
	var b [1]byte
	n, err := io.ReadFull(e.r, b[:])
	if n > 0 {
		return 0, fmt.Errorf("ciphertext of an empty object is not empty: %w", ErrIntegrity)
	}
	if err == io.EOF {
		return 0, io.EOF
	}
	return 0, err
}

// transport marks a body that ended before its announced length (a dropped
// S3 connection) as a transport failure. Unmarked, io.ErrUnexpectedEOF would
// reach sio as a short final package and be reported as tampering.
type transport struct{ r io.Reader }

func (t transport) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err == io.ErrUnexpectedEOF {
		err = errors.New("backend stream ended before its announced length")
	}
	return n, err
}
