package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
)

// The request edge the API and the pages share: reading IDs from the path and JSON bodies, and
// the handler shapes of an operation on the object the path names.

// ParsePathID reads a positive integer path parameter; anything else is ENOTFOUND. The pages use
// it where the error joins a form's other errors.
func ParsePathID(c *gin.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, core.NotFound("There is nothing at this address.")
	}
	return id, nil
}

// PathID is ParsePathID for a handler: when the parameter is no ID, the error is written and ok
// is false, so the handler returns. The pages use it too.
func PathID(c *gin.Context, name string) (id int64, ok bool) {
	id, err := ParsePathID(c, name)
	if err != nil {
		writeError(c, err)
		return 0, false
	}
	return id, true
}

// PathIDs reads the named path parameters with PathID, in order, stopping at the first that is
// not an ID.
func PathIDs(c *gin.Context, names ...string) ([]int64, bool) {
	ids := make([]int64, len(names))
	for i, name := range names {
		id, ok := PathID(c, name)
		if !ok {
			return nil, false
		}
		ids[i] = id
	}
	return ids, true
}

// listPage serves a page of a list: the filter that filter reads from the request (its error
// is the answer), then list from the cursor ?after=, at most ?limit= rows (the list's own
// default when absent).
func listPage[F, P any](filter func(*gin.Context) (F, error), list func(ctx context.Context, who core.Actor, f F, after string, limit int) (P, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		f, err := filter(c)
		if err != nil {
			writeError(c, err)
			return
		}
		limit, _ := strconv.Atoi(c.Query("limit"))
		page, err := list(c.Request.Context(), actorOf(c), f, c.Query("after"), limit)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, page)
	}
}

// pathIDFilter is the path's :id: the filter of a list of one object's things.
func pathIDFilter(c *gin.Context) (int64, error) { return ParsePathID(c, "id") }

// pathObject reads the path's id and calls op with it: what a handler on one object starts
// with. A bad id or op's error is answered here (ok is false).
func pathObject[T any](c *gin.Context, op func(ctx context.Context, who core.Actor, id int64) (T, error)) (v T, ok bool) {
	id, ok := PathID(c, "id")
	if !ok {
		return v, false
	}
	v, err := op(c.Request.Context(), actorOf(c), id)
	if err != nil {
		writeError(c, err)
		return v, false
	}
	return v, true
}

// bindJSON decodes the request body into v. The body must be sent as application/json and be
// one JSON value with only the fields v has. It answers 413 when the body is over the route's
// limit and 422 when it is not the expected JSON, saying what to send: naming the unknown field
// or the field of the wrong type, or saying how dates are written.
func bindJSON(c *gin.Context, v any) bool {
	if mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err != nil || mt != "application/json" {
		writeError(c, core.Invalid("body", "Send the request body as JSON, with the header Content-Type: application/json"))
		return false
	}
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, err = dec.Token(); errors.Is(err, io.EOF) {
			return true
		}
		if err == nil || !IsTooLarge(err) {
			writeError(c, core.Invalid("body", "The request body must be one JSON value, with nothing after it"))
			return false
		}
	}
	var ute *json.UnmarshalTypeError
	switch {
	case IsTooLarge(err):
		writeError(c, core.TooLarge("The request body is too large."))
	case errors.As(err, &ute) && ute.Field != "":
		writeError(c, core.Invalid(ute.Field, ute.Field+" has the wrong type"))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		writeError(c, core.Invalid(field, "Unknown field \""+field+"\": send only the documented fields"))
	case strings.Contains(err.Error(), "YYYY-MM-DD"):
		writeError(c, core.Invalid("body", "Dates must be written as YYYY-MM-DD"))
	default:
		writeError(c, core.Invalid("body", "The request body must be JSON of the documented shape"))
	}
	return false
}

// noBody is the input of an operation that takes no request body.
type noBody struct{}

// serve is the shape of every handler on the object the path names: read the path's IDs, decode
// the JSON body In (none for noBody), call one operation and answer status with its result
// (nothing for 204), or with the operation's error.
func serve[In, T any](status int, names []string, op func(ctx context.Context, who core.Actor, ids []int64, in In) (T, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := PathIDs(c, names...)
		if !ok {
			return
		}
		var in In
		if _, none := any(in).(noBody); !none && !bindJSON(c, &in) {
			return
		}
		out, err := op(c.Request.Context(), actorOf(c), ids, in)
		if err != nil {
			writeError(c, err)
			return
		}
		if status == http.StatusNoContent {
			c.Status(status)
			return
		}
		c.JSON(status, out)
	}
}

// byID serves an operation on the object the path's :id names.
func byID[T any](status int, op func(ctx context.Context, who core.Actor, id int64) (T, error)) gin.HandlerFunc {
	return serve(status, []string{"id"}, func(ctx context.Context, who core.Actor, ids []int64, _ noBody) (T, error) {
		return op(ctx, who, ids[0])
	})
}

// byIDWith is byID for an operation that also takes a JSON request body.
func byIDWith[In, T any](status int, op func(ctx context.Context, who core.Actor, id int64, in In) (T, error)) gin.HandlerFunc {
	return serve(status, []string{"id"}, func(ctx context.Context, who core.Actor, ids []int64, in In) (T, error) {
		return op(ctx, who, ids[0], in)
	})
}

// byIDs serves an operation on a part of the object :id names, the part the path parameter sub
// names (a case file's checklist item, exhibit or share).
func byIDs[T any](sub string, status int, op func(ctx context.Context, who core.Actor, id, sub int64) (T, error)) gin.HandlerFunc {
	return serve(status, []string{"id", sub}, func(ctx context.Context, who core.Actor, ids []int64, _ noBody) (T, error) {
		return op(ctx, who, ids[0], ids[1])
	})
}

// byIDsWith is byIDs for an operation that also takes a JSON request body.
func byIDsWith[In, T any](sub string, status int, op func(ctx context.Context, who core.Actor, id, sub int64, in In) (T, error)) gin.HandlerFunc {
	return serve(status, []string{"id", sub}, func(ctx context.Context, who core.Actor, ids []int64, in In) (T, error) {
		return op(ctx, who, ids[0], ids[1], in)
	})
}

// withBody serves an operation on no object in the path that takes a JSON request body: the
// creates.
func withBody[In, T any](status int, op func(ctx context.Context, who core.Actor, in In) (T, error)) gin.HandlerFunc {
	return serve(status, nil, func(ctx context.Context, who core.Actor, _ []int64, in In) (T, error) {
		return op(ctx, who, in)
	})
}

// forActor answers with what an operation on the actor alone returns.
func forActor[T any](op func(ctx context.Context, who core.Actor) (T, error)) gin.HandlerFunc {
	return serve(http.StatusOK, nil, func(ctx context.Context, who core.Actor, _ []int64, _ noBody) (T, error) {
		return op(ctx, who)
	})
}

// listOf puts what a list operation on :id returns under key.
func listOf[T any](key string, list func(context.Context, core.Actor, int64) (T, error)) func(context.Context, core.Actor, int64) (gin.H, error) {
	return func(ctx context.Context, who core.Actor, id int64) (gin.H, error) {
		out, err := list(ctx, who, id)
		return gin.H{key: out}, err
	}
}

// nonNil puts a list under a key, never null.
func nonNil[T any](list func(context.Context, core.Actor, int64) ([]T, error)) func(context.Context, core.Actor, int64) ([]T, error) {
	return func(ctx context.Context, who core.Actor, id int64) ([]T, error) {
		out, err := list(ctx, who, id)
		if out == nil {
			out = []T{}
		}
		return out, err
	}
}
