package api

import (
	"context"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
)

// byID serves an operation on the object the path's :id names: it answers status with the
// operation's result as JSON, or the operation's error.
func byID[T any](status int, op func(ctx context.Context, who core.Actor, id int64) (T, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := pathID(c, "id")
		if !ok {
			return
		}
		out, err := op(c.Request.Context(), actorOf(c), id)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(status, out)
	}
}

// byIDWith is byID for an operation that also takes a JSON request body.
func byIDWith[In, T any](status int, op func(ctx context.Context, who core.Actor, id int64, in In) (T, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := pathID(c, "id")
		if !ok {
			return
		}
		var in In
		if !bindJSON(c, &in) {
			return
		}
		out, err := op(c.Request.Context(), actorOf(c), id, in)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(status, out)
	}
}
