package core

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// Bumps asked for while one runs wait for it and then go together, in one UPDATE covering every
// family they asked for; each returns only once an UPDATE begun after it asked has run, with that
// UPDATE's error.
func TestBumpsAfterCommitGoTogether(t *testing.T) {
	var b bumper
	var mu sync.Mutex
	var calls [][]Family
	started, release := make(chan struct{}), make(chan struct{})
	bump := func(f []Family) error {
		mu.Lock()
		calls = append(calls, slices.Clone(f))
		n := len(calls)
		mu.Unlock()
		if n == 1 {
			close(started)
			<-release
			return nil
		}
		return errors.New("the database went away")
	}
	first := make(chan error, 1)
	go func() { first <- b.after([]Family{Courses}, bump) }()
	<-started

	const waiting = 50
	errs := make(chan error, waiting)
	var wg sync.WaitGroup
	for i := range waiting {
		family := []Family{Courses, People}[i%2]
		wg.Go(func() { errs <- b.after([]Family{family}, bump) })
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		b.mu.Lock()
		n := len(b.waiters)
		b.mu.Unlock()
		if n == waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d bumps are waiting", n, waiting)
		}
	}
	close(release)
	wg.Wait()
	close(errs)

	if err := <-first; err != nil {
		t.Fatalf("the first bump: %v", err)
	}
	for err := range errs {
		if err == nil || err.Error() != "the database went away" {
			t.Fatalf("a waiting bump answered %v, want its UPDATE's error", err)
		}
	}
	if len(calls) != 2 {
		t.Fatalf("%d UPDATEs for 1 running and %d waiting bumps, want 2: %v", len(calls), waiting, calls)
	}
	got := calls[1]
	slices.Sort(got)
	if !slices.Equal(got, []Family{Courses, People}) {
		t.Fatalf("the second UPDATE bumped %v, want courses and people once each", got)
	}
	// With nothing left to bump, the goroutine ends.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		b.mu.Lock()
		running, pending, waiters := b.running, len(b.pending), len(b.waiters)
		b.mu.Unlock()
		if !running && pending == 0 && waiters == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("left running %v with %d pending and %d waiting", running, pending, waiters)
		}
	}
}
