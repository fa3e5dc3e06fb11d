package core

import (
	"context"
	"sync"
	"time"
)

// Pinger is a dependency that can say whether it answers (the blob store).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Health checks what MSP Hub needs to serve requests.
type Health struct {
	checks map[string]func(context.Context) error
}

// NewHealth checks db and blobs.
func NewHealth(db *DB, blobs Pinger) *Health {
	return &Health{checks: map[string]func(context.Context) error{
		"database": db.Ping,
		"blobs":    blobs.Ping,
	}}
}

// Check is the outcome of one readiness check. Err is for the log, never for the caller.
type Check struct {
	Name string
	Err  error
}

// Ready runs every check at once, each bounded by timeout, so a hung dependency makes the answer
// "not ready" within the timeout instead of hanging the load balancer's probe.
func (h *Health) Ready(ctx context.Context, timeout time.Duration) []Check {
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		out []Check
	)
	for name, check := range h.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			err := check(ctx)
			if err == nil && ctx.Err() != nil {
				err = ctx.Err()
			}
			mu.Lock()
			out = append(out, Check{Name: name, Err: err})
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}
