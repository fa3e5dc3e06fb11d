package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
)

const requestIDKey = "msphub.request_id"

// RequestID returns the ID of the request being served (also sent as X-Request-ID).
func RequestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// requestID takes a well-formed X-Request-ID from a trusted proxy's request or makes one, so a
// line in our log can be matched with the proxy's and with what the user reads on an error page.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if !validRequestID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(requestIDKey, id)
		c.Request = c.Request.WithContext(withRequestID(c.Request.Context(), id))
		c.Header("X-Request-ID", id)
		c.Next()
	}
}

func validRequestID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// accessLog writes one JSON line per request. It logs the route pattern, never the raw path or
// query, which can carry one-time tokens.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "(no route)"
		}
		level := slog.LevelInfo
		if c.Writer.Status() >= 500 {
			level = slog.LevelError
		}
		log.LogAttrs(c.Request.Context(), level, "request",
			slog.String("request_id", RequestID(c)),
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.Int("status", c.Writer.Status()),
			slog.Int("bytes", c.Writer.Size()),
			slog.Duration("duration", time.Since(start)),
			slog.String("client", c.ClientIP()),
		)
	}
}

// recovery turns a panic into a 500 with a reference, logging the stack on our side only.
func (a *App) recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				panic(rec)
			}
			a.Log.ErrorContext(c.Request.Context(), "panic",
				slog.String("request_id", RequestID(c)),
				slog.String("panic", fmt.Sprint(rec)),
				slog.String("stack", string(debug.Stack())))
			if c.Writer.Written() {
				c.Abort()
				return
			}
			c.Abort()
			a.renderError(c, core.Internal(fmt.Errorf("panic: %v", rec)))
		}()
		c.Next()
	}
}

// errStalled ends the context of a request that made no progress for the request timeout;
// renderError answers such a request 503, whatever error its handler returned.
var errStalled = errors.New("the request made no progress within the request timeout")

// stalled reports whether this request's context was ended by requestDeadline.
func stalled(c *gin.Context) bool {
	return errors.Is(context.Cause(c.Request.Context()), errStalled)
}

// requestDeadline ends the context of a request that makes no progress for timeout: no byte of
// its body read and no byte of its answer written, as when it waits on a database or a file
// store that has stopped answering. The database and store calls take the request's context,
// so they return at once and the request is answered 503 (renderError). The deadline is on
// progress rather than on the whole request so that a 2 GiB evidence upload, or a pack export,
// runs for as long as its bytes flow. Zero turns it off.
func requestDeadline(timeout time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		if timeout <= 0 {
			c.Next()
			return
		}
		ctx, cancel := context.WithCancelCause(c.Request.Context())
		defer cancel(nil)
		p := &progress{timeout: timeout, stall: func() { cancel(errStalled) }}
		p.start()
		defer p.stop()
		c.Request = c.Request.WithContext(ctx)
		if c.Request.Body != nil && c.Request.Body != http.NoBody {
			c.Request.Body = progressBody{c.Request.Body, p}
		}
		c.Writer = progressWriter{c.Writer, p}
		c.Next()
	}
}

// progress calls stall once no byte has moved for timeout. Bytes only record the time; the
// timer, when it fires, sets itself again for the rest of the timeout if bytes moved since.
type progress struct {
	timeout time.Duration
	stall   func()
	last    atomic.Int64 // UnixNano of the last byte moved
	mu      sync.Mutex   // guards timer and stopped against the timer's own function
	timer   *time.Timer
	stopped bool
}

func (p *progress) moved() { p.last.Store(time.Now().UnixNano()) }

func (p *progress) start() {
	p.moved()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timer = time.AfterFunc(p.timeout, p.check)
}

func (p *progress) check() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	if idle := time.Since(time.Unix(0, p.last.Load())); idle < p.timeout {
		p.timer.Reset(p.timeout - idle)
		return
	}
	p.stall()
}

func (p *progress) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	p.timer.Stop()
}

// progressBody records progress as the request's body is read.
type progressBody struct {
	io.ReadCloser
	p *progress
}

func (b progressBody) Read(buf []byte) (int, error) {
	n, err := b.ReadCloser.Read(buf)
	if n > 0 {
		b.p.moved()
	}
	return n, err
}

// progressWriter records progress as the answer is written.
type progressWriter struct {
	gin.ResponseWriter
	p *progress
}

func (w progressWriter) Write(buf []byte) (int, error) {
	n, err := w.ResponseWriter.Write(buf)
	if n > 0 {
		w.p.moved()
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer, as gin's own does.
func (w progressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w progressWriter) WriteString(s string) (int, error) {
	n, err := w.ResponseWriter.WriteString(s)
	if n > 0 {
		w.p.moved()
	}
	return n, err
}

// securityHeaders sets the headers every response carries. The Content-Security-Policy allows
// scripts, styles and images from our own origin only: no inline script anywhere.
func securityHeaders(https bool) gin.HandlerFunc {
	const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
		"form-action 'self'; frame-ancestors 'none'"
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
		// Pages carry case material: no shared or browser cache unless a handler says otherwise.
		h.Set("Cache-Control", "no-store")
		if https {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		c.Next()
	}
}

// bodyLimit refuses a body over limit bytes: at once when Content-Length says so, otherwise
// while the handler reads (it then sees an *http.MaxBytesError, which errorFromBody maps to 413).
func bodyLimit(limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > limit {
			writeError(c, core.TooLarge("The request is larger than the "+core.HumanBytes(limit)+" allowed here."))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		c.Next()
	}
}

// bodyLimitByType applies the form limit to every request but uploads (multipart), which get
// the largest upload limit; upload routes then set their own, smaller one.
func bodyLimitByType(form, upload int64) gin.HandlerFunc {
	forms, uploads := bodyLimit(form), bodyLimit(upload)
	return func(c *gin.Context) {
		if strings.HasPrefix(c.ContentType(), "multipart/") {
			uploads(c)
			return
		}
		forms(c)
	}
}

// IsTooLarge reports whether err came from reading past a body limit.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// MaxQueryValue is the longest value a query parameter may have: search terms and filters are
// free text, and a database refuses a LIKE pattern much longer than this.
const MaxQueryValue = 200

// longQueryValues are the parameters that are not free text and may be longer: a page cursor
// (it holds a title), the page to return to after signing in, and what an OpenID provider sends
// back.
var longQueryValues = map[string]int{"after": 1024, "next": 2048, "code": 2048, "state": 2048, "error_description": 2048}

// checkedInForm are the pages that check a parameter's length themselves, to show the error at
// the form's field rather than on an error page: route → parameter.
var checkedInForm = map[string]string{"/guidance/search": "q"}

// queryLimit refuses a request with a query parameter longer than MaxQueryValue (or its own
// limit in longQueryValues) with 422, before any handler reads it.
func queryLimit() gin.HandlerFunc {
	return func(c *gin.Context) {
		for name, values := range c.Request.URL.Query() {
			if checkedInForm[c.FullPath()] == name {
				continue
			}
			limit, message := MaxQueryValue, "Search terms must be "+strconv.Itoa(MaxQueryValue)+" characters or fewer"
			if n, ok := longQueryValues[name]; ok {
				limit, message = n, "The address is too long"
			}
			for _, v := range values {
				if utf8.RuneCountInString(v) > limit {
					writeError(c, core.Invalid(name, message))
					return
				}
			}
		}
		c.Next()
	}
}
