package api_test

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/training"
	"github.com/msptp/msphub/policies"
)

// BenchmarkEnrolmentContention fires 500 concurrent requests for a place, through the API with
// API tokens, at a 20-seat session, and checks the outcome (20 places, waiting list 1..480).
// It reports the wall time of the whole burst, the requests served per second, and the CPU
// time this process spent on the burst: on a machine busy with other work the wall time
// follows the share of CPU the burst gets, while the CPU time is what the burst costs (all of
// it on SQLite; on PostgreSQL the server's share is not counted). Each iteration uses a new
// session on another day, so the same learners can ask again.
//
//	go test -run '^$' -bench EnrolmentContention -benchtime 3x ./api/
func BenchmarkEnrolmentContention(b *testing.B) {
	a := apitest.New(b)
	trainer := a.As(b, policies.RoleTrainer)
	c := newTrainingCourse(b, a, trainer, nil)
	learners := newTrainingLearners(b, a, 500, "")
	var total, cpu time.Duration
	for i := range b.N {
		b.StopTimer()
		s := newTrainingSession(b, a, trainer, c, trSessionSpec{startsIn: time.Duration(10+2*i) * 24 * time.Hour, capacity: 20})
		b.StartTimer()
		start, startCPU := time.Now(), processCPU(b)
		fireRequests(b, a, learners, s.ID)
		total += time.Since(start)
		cpu += processCPU(b) - startCPU
		b.StopTimer()
		checkWaitlist(b, a, s.ID, 20, 480)
		b.StartTimer()
	}
	per := total.Seconds() / float64(b.N)
	b.ReportMetric(per*1000, "ms/500-requests")
	b.ReportMetric(500/per, "requests/s")
	b.ReportMetric(cpu.Seconds()*1000/float64(b.N), "cpu-ms/500-requests")
}

// processCPU is the CPU time (user and system) this process has used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCatalogue16Readers is the catalogue page (the first page of 20 of 60 published
// courses, each with open sessions) loaded by 16 signed-in people at once; pages/s is what the
// app serves.
//
//	go test -run '^$' -bench Catalogue16Readers -benchtime 2000x ./api/
func BenchmarkCatalogue16Readers(b *testing.B) {
	a := apitest.New(b)
	trainer := a.As(b, policies.RoleTrainer)
	for i := range 60 {
		c := newTrainingCourse(b, a, trainer, func(in *training.CourseInput) {
			in.Title = fmt.Sprintf("Course %02d on modern slavery", i)
			if i%3 == 0 {
				in.EligibleRoles = []string{policies.RoleInvestigator}
			}
		})
		for d := range 2 {
			newTrainingSession(b, a, trainer, c, trSessionSpec{startsIn: time.Duration(10+d*7) * 24 * time.Hour})
		}
	}
	readers := make([]*apitest.Browser, 16)
	for i := range readers {
		readers[i] = a.As(b, policies.RoleOfficer).Browser()
	}
	var next atomic.Int64
	var failed atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for _, r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if w := r.Get(b, "/courses?eligible=yes"); w.Code != http.StatusOK {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d catalogue pages failed", n)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}
