package api

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
)

// A body over the limit is refused with 413 before it is read when it says its size, and as soon
// as the limit is crossed when it does not.
func TestBodyLimit(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	app := &App{Log: discardLog()}
	e.Use(app.respond())
	e.POST("/api/upload", bodyLimit(10), func(c *gin.Context) {
		if _, err := io.ReadAll(c.Request.Body); err != nil {
			if IsTooLarge(err) {
				writeError(c, core.TooLarge("too large"))
				return
			}
			writeError(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	})
	for _, tc := range []struct {
		name   string
		body   io.Reader
		length int64
		want   int
	}{
		{"within the limit", strings.NewReader("0123456789"), 10, 204},
		{"declared too large", strings.NewReader("01234567890"), 11, 413},
		{"streamed too large", io.MultiReader(strings.NewReader("0123456789"), strings.NewReader("x")), -1, 413},
	} {
		req := httptest.NewRequest("POST", "/api/upload", tc.body)
		req.ContentLength = tc.length
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		if w.Code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, w.Code, tc.want)
		}
	}
	if got := core.HumanBytes(100 << 20); got != "100 MB" {
		t.Errorf("HumanBytes = %q", got)
	}
}

// A request that waits on a dependency with nothing moving is ended after the request timeout
// and answered 503, whatever error its handler makes of it, as is one waiting for its turn to
// upload; an upload or a download whose bytes keep flowing runs past the timeout.
func TestRequestDeadline(t *testing.T) {
	const timeout = 200 * time.Millisecond
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	app := &App{Log: discardLog()}
	e.Use(requestDeadline(timeout), app.respond())
	e.GET("/api/stuck", func(c *gin.Context) {
		<-c.Request.Context().Done() // a query that never answers, cancelled with the request
		writeError(c, core.Internal(c.Request.Context().Err()))
	})
	e.POST("/api/upload", func(c *gin.Context) {
		if _, err := io.ReadAll(c.Request.Body); err != nil || c.Request.Context().Err() != nil {
			writeError(c, core.Internal(errors.New("the upload was cut")))
			return
		}
		c.Status(http.StatusNoContent)
	})
	slots := uploadSlots(1)
	e.POST("/api/queued", slots, func(c *gin.Context) { c.Status(http.StatusNoContent) })
	e.GET("/api/download", slots, func(c *gin.Context) {
		for range 12 {
			if c.Request.Context().Err() != nil {
				return // cut short
			}
			_, _ = c.Writer.WriteString("x")
			time.Sleep(timeout / 4)
		}
	})
	for _, tc := range []struct {
		name, method, path string
		body               io.Reader
		want               int
		within             time.Duration
		bytes              int // of the answer, when it matters
	}{
		{"stuck on a dependency", "GET", "/api/stuck", nil, 503, 2 * timeout, 0},
		{"an upload trickling in for three times the timeout", "POST", "/api/upload", &trickle{n: 12, every: timeout / 4}, 204, time.Minute, 0},
		{"a download trickling out for three times the timeout", "GET", "/api/download", nil, 200, time.Minute, 12},
	} {
		start := time.Now()
		req := httptest.NewRequest(tc.method, tc.path, tc.body)
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		if w.Code != tc.want || time.Since(start) > tc.within {
			t.Errorf("%s: %d after %v, want %d within %v", tc.name, w.Code, time.Since(start), tc.want, tc.within)
		}
		if tc.bytes > 0 && w.Body.Len() != tc.bytes {
			t.Errorf("%s: %d bytes, want %d", tc.name, w.Body.Len(), tc.bytes)
		}
		if tc.want == 503 && !strings.Contains(w.Body.String(), "The service is not responding. Try again in a minute.") {
			t.Errorf("%s: %s, want the service's message", tc.name, w.Body.String())
		}
	}

	// A request waiting for its turn behind a long one that keeps flowing is answered too.
	var wg sync.WaitGroup
	wg.Go(func() { e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/download", nil)) })
	time.Sleep(timeout / 4)
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest("POST", "/api/queued", nil))
	if w.Code != 503 || !strings.Contains(w.Body.String(), "Too many files are being uploaded") {
		t.Errorf("an upload waiting its turn past the timeout: %d %s, want 503 saying too many files are being uploaded", w.Code, w.Body.String())
	}
	wg.Wait()
}

// trickle is a body that gives one byte every so often, n times.
type trickle struct {
	n     int
	every time.Duration
}

func (r *trickle) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.every)
	r.n--
	p[0] = 'x'
	return 1, nil
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
