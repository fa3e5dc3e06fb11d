package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/training"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// BenchmarkCatalogueNotModified is issue 15's conditional GET measured as a ratio in one run:
// 16 API clients, each with its own token (of one officer), ask for the first page of 20 of 20,000 published
// courses sending the ETag they hold, and are answered 304 (authentication, the right, one read
// of the change counters); beside them, the same 16 clients ask a bare gin handler, with no
// authentication, that runs the catalogue's two statements (the page of courses, the open
// sessions of those courses) and sends the full page. It reports both rates and the first's as
// a percentage of the second's.
//
//	go test -run '^$' -bench '^BenchmarkCatalogueNotModified$' -benchtime 2000x ./api/
func BenchmarkCatalogueNotModified(b *testing.B) {
	a := apitest.New(b)
	db := a.DB.Gorm()
	seedCatalogue(b, db, a.Org(b, apitest.HomeOrg), 20000)
	const clients, list = 16, "/api/v1/courses"

	// Each client holds the tag of its first full answer.
	officer := a.As(b, policies.RoleOfficer)
	tokens, tags := make([]string, clients), make([]string, clients)
	for i := range clients {
		tokens[i] = officer.Token(b, identity.ScopeRead)
		w := serveBench(a.Engine, list, tokens[i], "")
		if w.Code != http.StatusOK || w.Header().Get("ETag") == "" {
			b.Fatalf("first answer: %d, ETag %q", w.Code, w.Header().Get("ETag"))
		}
		tags[i] = w.Header().Get("ETag")
	}
	bare := bareCatalogue(db)
	if w := serveBench(bare, list, "", ""); w.Code != http.StatusOK {
		b.Fatalf("bare handler: %d %s", w.Code, w.Body)
	}

	b.ResetTimer()
	bareRate := benchClients(b, clients, func(int) bool { return serveBench(bare, list, "", "").Code == http.StatusOK })
	tagRate := benchClients(b, clients, func(i int) bool {
		return serveBench(a.Engine, list, tokens[i], tags[i]).Code == http.StatusNotModified
	})
	b.StopTimer()
	b.ReportMetric(tagRate, "304-req/s")
	b.ReportMetric(bareRate, "bare-req/s")
	b.ReportMetric(100*tagRate/bareRate, "ratio-%")
}

// seedCatalogue inserts n published courses straight into the table: the catalogue to read,
// made in a second rather than through n API calls.
func seedCatalogue(b *testing.B, db *gorm.DB, org int64, n int) {
	b.Helper()
	now := time.Now().UTC()
	courses := make([]training.Course, n)
	for i := range courses {
		courses[i] = training.Course{Code: fmt.Sprintf("BC-%05d", i), Title: fmt.Sprintf("Course %05d on modern slavery", i), Description: "Four days.",
			OrganisationID: org, Status: training.CoursePublished, CPDHours: 7.5, Classification: "OFFICIAL", CreatedAt: now, UpdatedAt: now, PublishedAt: &now}
	}
	if err := db.CreateInBatches(courses, 500).Error; err != nil {
		b.Fatal(err)
	}
}

// bareCatalogue is a gin engine answering GET /api/v1/courses with no authentication, no
// policy and no middleware: the catalogue's two statements and the JSON of the page.
func bareCatalogue(db *gorm.DB) *gin.Engine {
	e := gin.New()
	e.GET("/api/v1/courses", func(c *gin.Context) {
		var courses []training.Course
		if err := db.WithContext(c.Request.Context()).Where("status = ?", training.CoursePublished).Order("title, id").Limit(21).Find(&courses).Error; err != nil {
			c.AbortWithStatus(http.StatusInternalServerError)
			return
		}
		ids := make([]int64, 0, len(courses))
		for _, co := range courses {
			ids = append(ids, co.ID)
		}
		var open []struct {
			CourseID int64
			N, Free  int
			First    string
		}
		if err := db.WithContext(c.Request.Context()).Table("course_sessions").Select("course_id, COUNT(*) AS n, SUM(capacity - seats_taken) AS free, MIN(starts_at) AS first").
			Where("course_id IN ? AND status = ? AND booking_closes_at > ?", ids, training.SessionScheduled, time.Now()).Group("course_id").Scan(&open).Error; err != nil {
			c.AbortWithStatus(http.StatusInternalServerError)
			return
		}
		c.JSON(http.StatusOK, gin.H{"courses": courses[:min(len(courses), 20)], "open": open})
	})
	return e
}

// serveBench sends GET path to h, with a bearer token and If-None-Match when given.
func serveBench(h http.Handler, path, token, tag string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if tag != "" {
		req.Header.Set("If-None-Match", tag)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// benchClients runs b.N requests from n clients at once (client i sends its own with do(i),
// which reports whether the answer was the one expected) and returns the requests per second.
func benchClients(b *testing.B, n int, do func(i int) bool) float64 {
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if !do(i) {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d requests had the wrong answer", f, b.N)
	}
	return float64(b.N) / elapsed.Seconds()
}
