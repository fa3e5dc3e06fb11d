package core_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
)

// BenchmarkAuditRecordParallel measures appends from 32 writers at once, each in its own
// transaction: with no lock shared between writers they no longer queue behind one another
// (compare events/s with BenchmarkAuditRecord's single writer).
func BenchmarkAuditRecordParallel(b *testing.B) {
	f := newAuditFixture(b)
	ctx := core.WithRequestInfo(context.Background(), core.RequestInfo{ID: "bench", ClientIP: "192.0.2.1", UserAgent: "bench"})
	ev := core.Event{Action: "document.read", ObjectType: "document", ObjectID: "1", Outcome: core.OutcomeSuccess,
		Details: map[string]string{"version": "1"}}
	var n atomic.Int64
	b.SetParallelism(16) // 16 writers per CPU
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := f.log.Record(ctx, &f.officer, ev); err != nil {
				b.Error(err)
				return
			}
			n.Add(1)
		}
	})
	b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAuditSequencer runs 32 writers recording as fast as they can for about two seconds
// per iteration while the sequencer runs, and reports how many events a second the sequencer
// placed and the lag from each event's commit to its place in the log (sampled every 5 ms).
func BenchmarkAuditSequencer(b *testing.B) {
	const writers = 32
	for b.Loop() {
		b.StopTimer()
		f := newAuditFixture(b)
		var (
			mu        sync.Mutex
			committed = map[string]time.Time{}
			lags      []time.Duration
		)
		ctx, stop := context.WithCancel(context.Background())
		seqDone := make(chan struct{})
		go func() { defer close(seqDone); f.log.RunSequencer(ctx) }()
		sampled := make(chan struct{})
		go func() { // sees each event once, soon after it is sequenced
			defer close(sampled)
			last := int64(0)
			for {
				var rows []struct {
					Seq      int64
					ObjectID string
				}
				if err := f.db.Gorm().Raw("SELECT seq, object_id FROM audit_events WHERE seq > ? ORDER BY seq", last).Scan(&rows).Error; err != nil {
					b.Error(err)
					return
				}
				now := time.Now()
				mu.Lock()
				for _, r := range rows {
					if at, ok := committed[r.ObjectID]; ok {
						lags = append(lags, now.Sub(at))
					}
					last = r.Seq
				}
				mu.Unlock()
				select {
				case <-ctx.Done():
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}()
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		var seq atomic.Int64
		for range writers {
			wg.Go(func() {
				for time.Since(start) < 2*time.Second {
					id := fmt.Sprint(seq.Add(1))
					if err := f.log.Record(context.Background(), &f.officer, core.Event{Action: "document.read", ObjectType: "document",
						ObjectID: id, Outcome: core.OutcomeSuccess}); err != nil {
						b.Error(err)
						return
					}
					mu.Lock()
					committed[id] = time.Now()
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		// Let the sequencer catch up, then stop.
		for {
			w, err := f.log.Waiting(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if w.Count == 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		elapsed := time.Since(start)
		time.Sleep(20 * time.Millisecond) // the sampler's last look
		stop()
		<-seqDone
		<-sampled
		b.StopTimer()
		mu.Lock()
		slices.Sort(lags)
		n := len(lags)
		if n == 0 {
			b.Fatal("nothing sequenced")
		}
		b.ReportMetric(float64(seq.Load())/elapsed.Seconds(), "sequenced/s")
		b.ReportMetric(float64(lags[n/2].Milliseconds()), "lag-p50-ms")
		b.ReportMetric(float64(lags[n*99/100].Milliseconds()), "lag-p99-ms")
		b.ReportMetric(float64(lags[n-1].Milliseconds()), "lag-max-ms")
		mu.Unlock()
		res := f.verify(b)
		if !res.Intact() || res.Rows != seq.Load() {
			b.Fatalf("after the run: %+v, want %d intact events", res, seq.Load())
		}
		b.StartTimer()
	}
}

// BenchmarkAuditSequenceBacklog measures the sequencer alone: 20,000 committed events wait
// (a backlog, as after a sequencer outage), and it places them all.
func BenchmarkAuditSequenceBacklog(b *testing.B) {
	const backlog = 20000
	for b.Loop() {
		b.StopTimer()
		f := newAuditFixture(b)
		err := f.db.InTx(context.Background(), func(ctx context.Context) error {
			for i := range backlog {
				if err := f.log.Record(ctx, &f.officer, core.Event{Action: "document.read", ObjectType: "document",
					ObjectID: fmt.Sprint(i), Outcome: core.OutcomeSuccess}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		f.sequence(b)
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(backlog/elapsed.Seconds(), "sequenced/s")
		if res := f.verify(b); !res.Intact() || res.Rows != backlog {
			b.Fatalf("%+v", res)
		}
		b.StartTimer()
	}
}
