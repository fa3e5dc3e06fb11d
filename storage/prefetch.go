package storage

import "io"

// A Prefetcher copies what it reads from the store (an object being decrypted and checked) to
// a client while reading ahead: a goroutine fills fixed buffers from the object while the
// caller writes the previous ones out, so neither side waits for the other, and each write to
// the client is a large one. Memory is prefetchBuffers*prefetchSize, however much is copied;
// one Prefetcher serves one copy at a time, again and again (an export's many files).
const (
	prefetchSize    = 1 << 20
	prefetchBuffers = 3
)

type Prefetcher struct{ free chan []byte }

// NewPrefetcher returns a Prefetcher with its buffers.
func NewPrefetcher() *Prefetcher {
	r := &Prefetcher{free: make(chan []byte, prefetchBuffers)}
	for range prefetchBuffers {
		r.free <- make([]byte, prefetchSize)
	}
	return r
}

// Copy writes everything src holds to dst and returns how many bytes it wrote, or the first
// error of either side. The reading goroutine has stopped, and every buffer is back, when it
// returns.
func (r *Prefetcher) Copy(dst io.Writer, src io.Reader) (int64, error) {
	type chunk struct {
		buf []byte
		n   int
		err error
	}
	full := make(chan chunk, prefetchBuffers)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(full)
		for {
			select {
			case <-stop: // the writer failed: read no further
				return
			default:
			}
			var buf []byte
			select {
			case buf = <-r.free:
			case <-stop:
				return
			}
			n, err := io.ReadFull(src, buf)
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			select {
			case full <- chunk{buf, n, err}:
			case <-stop:
				r.free <- buf
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var written int64
	var failed error
	for c := range full {
		if failed == nil && c.n > 0 {
			var n int
			n, failed = dst.Write(c.buf[:c.n])
			written += int64(n)
			if failed == nil && n < c.n {
				failed = io.ErrShortWrite
			}
		}
		r.free <- c.buf
		if failed == nil && c.err != nil && c.err != io.EOF {
			failed = c.err
		}
		if failed != nil {
			break
		}
	}
	close(stop)
	<-done
	for c := range full { // what the reader sent before it saw stop
		r.free <- c.buf
	}
	return written, failed
}
