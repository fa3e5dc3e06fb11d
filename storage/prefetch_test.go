package storage

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// countingSource yields size pseudo-random bytes, then fails with err (io.EOF for a whole
// file), and counts what was read from it.
type countingSource struct {
	rng  *rand.ChaCha8
	left int
	read int
	err  error
}

func (s *countingSource) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, s.err
	}
	p = p[:min(len(p), s.left, 64<<10)] // a DARE package at most, as the store reads
	s.rng.Read(p)
	s.left -= len(p)
	s.read += len(p)
	return len(p), nil
}

type failingWriter struct {
	bytes.Buffer
	after int
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.Len()+len(p) > w.after {
		return 0, errors.New("the client went away")
	}
	return w.Buffer.Write(p)
}

// The prefetching copy hands on every byte in order, reports the reader's failure
// (a tampered file) after writing what it read before failing (as io.Copy does), stops reading soon after the writer
// fails (a client gone), and gets every buffer back each time, so one ring serves a whole
// pack.
func TestPrefetchRingCopy(t *testing.T) {
	ring := NewPrefetcher()
	for _, size := range []int{0, 1, prefetchSize - 1, prefetchSize, 3*prefetchSize + 12345} {
		src := &countingSource{rng: rand.NewChaCha8([32]byte{byte(size)}), left: size, err: io.EOF}
		want := make([]byte, size)
		rand.NewChaCha8([32]byte{byte(size)}).Read(want)
		var got bytes.Buffer
		n, err := ring.Copy(&got, src)
		if err != nil || n != int64(size) || !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%d bytes: copied %d, %v, equal %v", size, n, err, bytes.Equal(got.Bytes(), want))
		}
	}
	tampered := errors.New("package 40 failed its authentication")
	src := &countingSource{rng: rand.NewChaCha8([32]byte{9}), left: 5*prefetchSize/2 + 7, err: tampered}
	n, err := ring.Copy(io.Discard, src)
	if !errors.Is(err, tampered) || n != int64(5*prefetchSize/2+7) {
		t.Errorf("a failing read: %d written, %v; want what was read before it, then the failure", n, err)
	}
	src = &countingSource{rng: rand.NewChaCha8([32]byte{7}), left: 200 * prefetchSize, err: io.EOF}
	_, err = ring.Copy(&failingWriter{after: prefetchSize}, src)
	if err == nil || src.read > (prefetchBuffers+2)*prefetchSize {
		t.Errorf("a failing writer: %v after reading %d bytes; want a failure and reading stopped", err, src.read)
	}
	if len(ring.free) != prefetchBuffers {
		t.Errorf("%d buffers back in the ring, want %d", len(ring.free), prefetchBuffers)
	}
}
