package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
)

// conditional makes a list that changes rarely answer a repeat GET with 304 Not Modified, for
// the JSON API and the pages alike: it goes in front of the list's handler, after
// authentication. First may (nil: anyone signed in) decides whether the actor may see the list
// at all, so a right revoked since the copy was made gets the refusal, never a 304. Then the
// ETag is made from the change counters of the families the list shows and the policy's
// fingerprint (Services.Freshness), everything of the actor that decides what they see (user,
// organisation, name, roles, vetting and clearance, the session or token and its scope), the
// path and query, and the message a page has waiting to show. When the request's
// If-None-Match holds that tag the answer is 304 and the list's query never runs; otherwise the
// handler answers, and a 200 carries the tag. Cache-Control: private, no-cache lets only the
// person's own browser keep the copy, and only to ask again each time.
func (a *App) conditional(may func(context.Context, core.Actor) error, families ...core.Family) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, who := c.Request.Context(), actorOf(c)
		if may != nil {
			if err := may(ctx, who); err != nil {
				writeError(c, err)
				return
			}
		}
		fresh, err := a.Services.Freshness(ctx, families...)
		if err != nil {
			writeError(c, err)
			return
		}
		flash, _ := c.Cookie(a.flashCookieName())
		actor, err := json.Marshal(who)
		if err != nil {
			writeError(c, core.Internal(err))
			return
		}
		sum := sha256.Sum256([]byte(strings.Join([]string{fresh, string(actor), c.Request.URL.Path, c.Request.URL.RawQuery, flash}, "\x00")))
		tag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
		h := c.Writer.Header()
		h.Set("ETag", tag)
		h.Set("Cache-Control", "private, no-cache")
		if tagMatches(c.GetHeader("If-None-Match"), tag) {
			c.AbortWithStatus(http.StatusNotModified)
			return
		}
		c.Writer = taggedWriter{c.Writer}
		c.Next()
	}
}

// taggedWriter takes the tag and the cache permission off any answer but a 200: an error or a
// redirect is neither the list nor worth keeping.
type taggedWriter struct{ gin.ResponseWriter }

func (w taggedWriter) WriteHeader(code int) {
	if code != http.StatusOK {
		w.Header().Del("ETag")
		w.Header().Set("Cache-Control", "no-store")
	}
	w.ResponseWriter.WriteHeader(code)
}

// tagMatches reports whether an If-None-Match header names tag, comparing weakly as RFC 9110
// says If-None-Match does.
func tagMatches(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(tag, "W/") {
			return true
		}
	}
	return false
}
