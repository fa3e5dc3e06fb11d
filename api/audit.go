package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
)

// AuditFilter reads an audit filter from query parameters: actor (a user ID), action (exact, or a
// prefix ending in "."), object_type, object_id, and from / to as dates (YYYY-MM-DD, to
// inclusive). The pages use it too.
func AuditFilter(c *gin.Context) (core.AuditFilter, error) {
	f := core.AuditFilter{Action: c.Query("action"), ObjectType: c.Query("object_type"), ObjectID: c.Query("object_id")}
	if v := c.Query("actor"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, core.Invalid("actor", "Actor must be a user ID (a number)")
		}
		f.ActorID = id
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
		add  time.Duration
	}{{"from", &f.From, 0}, {"to", &f.To, 24 * time.Hour}} {
		if v := c.Query(p.name); v != "" {
			d, err := time.Parse(time.DateOnly, v)
			if err != nil {
				return f, core.Invalid(p.name, "Enter the date as YYYY-MM-DD, for example 2026-11-22")
			}
			*p.dst = d.Add(p.add)
		}
	}
	return f, nil
}

func handleAuditList(audit *core.Audit) gin.HandlerFunc {
	return func(c *gin.Context) {
		f, err := AuditFilter(c)
		if err != nil {
			writeError(c, err)
			return
		}
		before, _ := strconv.ParseInt(c.Query("before"), 10, 64)
		limit, _ := strconv.Atoi(c.Query("limit"))
		page, err := audit.List(c.Request.Context(), actorOf(c), f, before, limit)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, page)
	}
}

// handleAuditExport streams the matching events as CSV. The first write commits the 200, so
// the filter and the permission are checked before any byte is sent.
func handleAuditExport(audit *core.Audit) gin.HandlerFunc {
	return func(c *gin.Context) {
		f, err := AuditFilter(c)
		if err != nil {
			writeError(c, err)
			return
		}
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="msphub-audit-`+time.Now().UTC().Format("20060102-150405")+`.csv"`)
		if err := audit.Export(c.Request.Context(), actorOf(c), f, c.Writer); err != nil {
			c.Header("Content-Disposition", "")
			c.Header("Content-Type", "")
			writeError(c, err)
		}
	}
}

func handleAuditVerify(audit *core.Audit) gin.HandlerFunc {
	return func(c *gin.Context) {
		res, err := audit.VerifyAs(c.Request.Context(), actorOf(c))
		if err != nil {
			writeError(c, err)
			return
		}
		problems := res.Problems
		if problems == nil {
			problems = []core.AuditProblem{}
		}
		c.JSON(http.StatusOK, gin.H{"intact": res.Intact(), "rows": res.Rows, "head": res.Head, "broken_at": res.BrokenAt, "problem": res.Problem,
			"problems": problems, "checkpoints": res.Checkpoints, "waiting": res.Waiting})
	}
}

// handleAuditProof serves an inclusion proof of one event: against the latest signed
// checkpoint by default, or the tree of ?tree_size= events.
func handleAuditProof(audit *core.Audit) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := strconv.ParseInt(c.Param("id"), 10, 64)
		if err != nil || id <= 0 {
			writeError(c, core.NotFound("There is no such audit event."))
			return
		}
		var size int64
		if v := c.Query("tree_size"); v != "" {
			if size, err = strconv.ParseInt(v, 10, 64); err != nil || size <= 0 {
				writeError(c, core.Invalid("tree_size", "The tree size must be a whole number of events."))
				return
			}
		}
		p, err := audit.ProveInclusion(c.Request.Context(), actorOf(c), id, size)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, p)
	}
}

// handleAuditConsistency serves a consistency proof between two tree sizes (to defaults to the
// latest checkpoint's).
func handleAuditConsistency(audit *core.Audit) gin.HandlerFunc {
	return func(c *gin.Context) {
		var sizes [2]int64
		for i, name := range []string{"from", "to"} {
			v := c.Query(name)
			if v == "" && name == "to" {
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				writeError(c, core.Invalid(name, "Give a tree size: a whole number of events."))
				return
			}
			sizes[i] = n
		}
		p, err := audit.ProveConsistency(c.Request.Context(), actorOf(c), sizes[0], sizes[1])
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, p)
	}
}

// handleAuditCheckpoint serves a signed checkpoint, by number or "latest", as stored.
func handleAuditCheckpoint(audit *core.Audit) gin.HandlerFunc {
	return func(c *gin.Context) {
		var n int64
		if v := c.Param("number"); v != "latest" {
			var err error
			if n, err = strconv.ParseInt(v, 10, 64); err != nil || n <= 0 {
				writeError(c, core.NotFound("There is no such checkpoint."))
				return
			}
		}
		cp, err := audit.CheckpointAs(c.Request.Context(), actorOf(c), n)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, cp)
	}
}
