package storage

import (
	"context"
	"fmt"
	"hash"
	"io"
	"math"
)

// Both directions of a transfer run as a pipeline of goroutines handing fixed buffers along,
// so that no step waits for another: on Put, one goroutine reads and hashes the plaintext
// while the caller's encrypts it and the backend sends the previous part; on Open, one reads
// the backend's body while the caller's decrypts. SHA-256 is the slowest step of an upload
// (about 1.5 GB/s with SHA-NI, against 4 GB/s for AES-GCM), hence its place on the reading
// goroutine, beside the encryption. Memory per read-ahead is bounded by chunkCount*chunkSize
// (2 MiB). Reads need no hashing (see binding).
const (
	chunkSize  = 256 << 10
	chunkCount = 8
)

// aheadReader reads ahead of its consumer: a goroutine reads from the source (counting,
// optionally hashing, and enforcing a size limit), while Read hands the chunks on.
type aheadReader struct {
	ctx  context.Context
	full chan []byte // chunks read (and hashed), in order; closed at the end
	free chan []byte // chunks the consumer is done with
	cur  []byte      // unread part of the chunk in hand
	held []byte      // the chunk in hand
	done chan struct{}

	// Set by the goroutine before it closes full.
	n   int64
	sum []byte
	err error
}

// readAhead starts reading r, hashing what it reads with h unless h is nil. More than limit
// bytes is ErrTooLarge; with exact, fewer than limit is io.ErrUnexpectedEOF. Cancelling ctx
// stops the goroutine.
func readAhead(ctx context.Context, r io.Reader, limit int64, exact bool, h hash.Hash) *aheadReader {
	p := &aheadReader{
		ctx:  ctx,
		full: make(chan []byte, chunkCount),
		free: make(chan []byte, chunkCount),
		done: make(chan struct{}),
	}
	go p.run(r, limit, exact, h)
	return p
}

func (p *aheadReader) run(r io.Reader, limit int64, exact bool, h hash.Hash) {
	defer close(p.done)
	defer close(p.full)
	if limit < math.MaxInt64 {
		// One byte past the limit is enough to know it is exceeded.
		r = io.LimitReader(r, limit+1)
	}
	var ring bufferRing
	for {
		buf, err := ring.next(p.ctx, p.free)
		if err == nil {
			err = p.ctx.Err() // stop reading a cancelled upload at once
		}
		if err != nil {
			p.err = err
			return
		}
		n, err := io.ReadFull(r, buf)
		p.n += int64(n)
		if p.n > limit {
			p.err = fmt.Errorf("more than %d bytes: %w", limit, ErrTooLarge)
			return
		}
		if h != nil {
			h.Write(buf[:n])
		}
		if n > 0 {
			select {
			case p.full <- buf[:n]:
			case <-p.ctx.Done():
				p.err = p.ctx.Err()
				return
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			p.err = err
			return
		}
	}
	if exact && p.n != limit {
		p.err = fmt.Errorf("read %d bytes, expected %d: %w", p.n, limit, io.ErrUnexpectedEOF)
		return
	}
	if h != nil {
		p.sum = h.Sum(nil)
	}
}

func (p *aheadReader) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.held != nil {
			p.free <- p.held[:cap(p.held)] // never blocks: free holds every buffer
			p.held = nil
		}
		select {
		case c, ok := <-p.full:
			if !ok {
				if p.err != nil {
					return 0, p.err
				}
				return 0, io.EOF
			}
			p.held, p.cur = c, c
		case <-p.ctx.Done():
			return 0, p.ctx.Err()
		}
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// wait returns, once the goroutine has stopped, the size read and its hash, or why the input
// failed. The caller cancels the context first if it stopped reading early.
func (p *aheadReader) wait() (n int64, sum []byte, err error) {
	<-p.done
	return p.n, p.sum, p.err
}

// bufferRing hands out up to chunkCount buffers, allocating them only as the
// pipeline fills, so a small object costs one buffer, and reusing those the
// consumer has freed.
type bufferRing struct{ made int }

func (r *bufferRing) next(ctx context.Context, free <-chan []byte) ([]byte, error) {
	select {
	case buf := <-free:
		return buf, nil
	default:
	}
	if r.made < chunkCount {
		r.made++
		return make([]byte, chunkSize), nil
	}
	select {
	case buf := <-free:
		return buf, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
