package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
)

// statuses maps each error code to its HTTP status. EINTEGRITY and EINTERNAL are not in it:
// the fault is ours.
var statuses = map[core.Code]int{
	core.EINVALID:         http.StatusUnprocessableEntity,
	core.EUNAUTHENTICATED: http.StatusUnauthorized,
	core.EFORBIDDEN:       http.StatusForbidden,
	core.ENOTFOUND:        http.StatusNotFound,
	core.ECONFLICT:        http.StatusConflict,
	core.ETOOLARGE:        http.StatusRequestEntityTooLarge,
	core.ETOOMANY:         http.StatusTooManyRequests,
	core.EUNAVAILABLE:     http.StatusServiceUnavailable,
}

// StatusOf maps an error code to its HTTP status. This is the one place the mapping lives; the
// pages use it too.
func StatusOf(code core.Code) int {
	if status, ok := statuses[code]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// problem is an RFC 9457 problem detail, with the request ID for support calls.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"`
	// Errors lists every problem of the input when there were several (Field and Detail are
	// the first of them).
	Errors    []core.FieldError `json:"errors,omitempty"`
	RequestID string            `json:"request_id"`
}

// ErrorPages renders errors as HTML pages; frontend provides it. API routes answer with
// problem+json instead.
type ErrorPages interface {
	RenderError(c *gin.Context, status int, message string)
}

// writeError records err as the answer to this request and stops the handler chain; the
// respond middleware turns it into the response. Handlers (API and pages) call it and return.
func writeError(c *gin.Context, err error) {
	_ = c.Error(err)
	c.Abort()
}

// WriteError is writeError for the pages in frontend.
func WriteError(c *gin.Context, err error) { writeError(c, err) }

// respond renders the error a handler recorded, unless the handler already wrote a response.
func (a *App) respond() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 || c.Writer.Written() {
			return
		}
		a.renderError(c, c.Errors.Last().Err)
	}
}

// renderError answers with err: problem+json under /api and for machine endpoints, an HTML
// error page elsewhere. Internal errors are logged with the request ID and never described.
func (a *App) renderError(c *gin.Context, err error) {
	if IsTooLarge(err) && core.ErrorCode(err) != core.ETOOLARGE {
		err = core.TooLarge("The request is larger than this form accepts.")
	}
	if stalled(c) && core.ErrorCode(err) != core.EUNAVAILABLE {
		// Whatever the handler made of its cancelled calls (an interrupted upload, a failed
		// query), the cause is a dependency that stopped answering.
		err = core.Unavailable(notResponding, err)
	}
	code := core.ErrorCode(err)
	status := StatusOf(code)
	if code == core.EINTERNAL || code == core.EUNAVAILABLE || code == core.EINTEGRITY {
		a.Log.ErrorContext(c.Request.Context(), "request failed",
			slog.String("request_id", RequestID(c)), slog.String("error", err.Error()))
	}
	message := core.ErrorMessage(err)
	if code == core.EINTERNAL {
		message = "Something went wrong (reference " + RequestID(c) + ")"
	}
	p := problem{Type: "urn:msphub:problem:" + string(code), Detail: message}
	var me *core.Error
	if errors.As(err, &me) {
		p.Field, p.Errors = me.Field, me.Fields
	}
	SetRetryAfter(c, err)
	a.renderProblem(c, status, p)
}

// notResponding answers a request that timed out waiting on the database or the file store.
const notResponding = "The service is not responding. Try again in a minute."

// SetRetryAfter tells a throttled client, in whole seconds rounded up, how long to wait before
// trying again, when err says so. The pages use it too, for the forms they show again.
func SetRetryAfter(c *gin.Context, err error) {
	var me *core.Error
	if errors.As(err, &me) && me.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(int(me.RetryAfter.Seconds())+1))
	}
}

// renderStatus writes an error response with a status that is not one of our codes' (405).
func (a *App) renderStatus(c *gin.Context, status int, kind, message string) {
	a.renderProblem(c, status, problem{Type: "urn:msphub:problem:" + kind, Detail: message})
}

// renderProblem answers with p as problem+json, or as an HTML error page to a browser.
func (a *App) renderProblem(c *gin.Context, status int, p problem) {
	if a.Pages != nil && wantsPage(c) {
		a.Pages.RenderError(c, status, p.Detail)
		return
	}
	p.Title, p.Status, p.RequestID = http.StatusText(status), status, RequestID(c)
	c.Header("Content-Type", "application/problem+json")
	c.Status(status)
	body, _ := json.Marshal(p)
	_, _ = c.Writer.Write(body)
}

// wantsPage tells a person's browser from an API client: everything outside the API and the
// machine endpoints is a page.
func wantsPage(c *gin.Context) bool {
	path := c.Request.URL.Path
	return !strings.HasPrefix(path, "/api/") && path != "/healthz" && path != "/readyz"
}
