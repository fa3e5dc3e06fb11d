package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
