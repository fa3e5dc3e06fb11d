package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
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
