package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
)

// GuidanceFilter reads a listing or search filter from query parameters: category (a slug), tag,
// organisation (an ID) and since (YYYY-MM-DD, published on or after). The pages use it too.
func GuidanceFilter(c *gin.Context) (guidance.GuidanceFilter, error) {
	f := guidance.GuidanceFilter{Category: c.Query("category"), Tag: c.Query("tag")}
	if v := c.Query("organisation"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, core.Invalid("organisation", "Select an organisation from the list")
		}
		f.OrganisationID = id
	}
	if v := c.Query("since"); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return f, core.Invalid("since", "Enter the date as YYYY-MM-DD, for example 2026-11-22")
		}
		f.UpdatedSince = d
	}
	return f, nil
}

func handleGuidanceSearch(g *guidance.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		f, err := GuidanceFilter(c)
		if err != nil {
			writeError(c, err)
			return
		}
		page := 1
		if v := c.Query("page"); v != "" {
			if page, err = strconv.Atoi(v); err != nil || page < 1 {
				writeError(c, core.Invalid("page", "page must be a whole number from 1"))
				return
			}
		}
		res, err := g.Search(c.Request.Context(), actorOf(c), c.Query("q"), f, page)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, res)
	}
}

func guidanceCategories(g *guidance.Service) func(context.Context, core.Actor) (gin.H, error) {
	return func(ctx context.Context, who core.Actor) (gin.H, error) {
		cats, err := g.Categories(ctx, who)
		return gin.H{"categories": cats}, err
	}
}

func guidanceOutstanding(g *guidance.Service) func(context.Context, core.Actor) (gin.H, error) {
	return func(ctx context.Context, who core.Actor) (gin.H, error) {
		docs, err := g.Outstanding(ctx, who)
		if docs == nil {
			docs = []guidance.GuidanceDocument{}
		}
		return gin.H{"documents": docs}, err
	}
}

func handleGuidanceDiff(g *guidance.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := PathID(c, "id")
		if !ok {
			return
		}
		from, err1 := strconv.ParseInt(c.Query("from"), 10, 64)
		to, err2 := strconv.ParseInt(c.Query("to"), 10, 64)
		if err1 != nil || err2 != nil || from <= 0 || to <= 0 {
			writeError(c, core.Invalid("from", "Give the versions to compare as from and to (version IDs)"))
			return
		}
		d, err := g.Diff(c.Request.Context(), actorOf(c), id, from, to)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, d)
	}
}

type commentRequest struct {
	Comment string `json:"comment"`
}

func guidanceReturn(g *guidance.Service) func(context.Context, core.Actor, int64, commentRequest) (guidance.GuidanceVersion, error) {
	return func(ctx context.Context, who core.Actor, id int64, req commentRequest) (guidance.GuidanceVersion, error) {
		return g.Return(ctx, who, id, req.Comment)
	}
}

func handleGuidanceReview(g *guidance.Service) gin.HandlerFunc {
	type request struct {
		NextReview string `json:"next_review"` // YYYY-MM-DD; twelve months from today when empty
	}
	return func(c *gin.Context) {
		id, ok := PathID(c, "id")
		if !ok {
			return
		}
		var req request
		if c.Request.ContentLength != 0 && !bindJSON(c, &req) {
			return
		}
		var next *time.Time
		if req.NextReview != "" {
			d, err := time.Parse(time.DateOnly, req.NextReview)
			if err != nil {
				writeError(c, core.Invalid("next_review", "next_review must be a date as YYYY-MM-DD"))
				return
			}
			next = &d
		}
		d, err := g.Review(c.Request.Context(), actorOf(c), id, next)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, d)
	}
}

// GuidanceUploads hands the files of an upload form to AddAttachments one at a time. The form
// is opened only when the operation first asks for a file, after it has authorized the actor.
// Fields are what the form held besides its files, once they have been read.
type GuidanceUploads struct {
	c    *gin.Context
	form *UploadForm
}

// NewGuidanceUploads reads the files of the request's upload form.
func NewGuidanceUploads(c *gin.Context) *GuidanceUploads { return &GuidanceUploads{c: c} }

// Next returns the next file, or io.EOF after the last.
func (u *GuidanceUploads) Next() (core.Upload, error) {
	if u.form == nil {
		f, err := OpenUpload(u.c)
		if err != nil {
			return core.Upload{}, err
		}
		u.form = f
	}
	up, _, err := u.form.NextFile()
	return up, err
}

func handleGuidanceAttach(g *guidance.Service, limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := PathID(c, "id")
		if !ok {
			return
		}
		added, err := g.AddAttachments(c.Request.Context(), actorOf(c), id, limit, NewGuidanceUploads(c).Next)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusCreated, gin.H{"attachments": added})
	}
}

// handleGuidanceAttachment streams an attachment as a download named with its protective
// marking. Pages and the API share it.
func handleGuidanceAttachment(g *guidance.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		f, ok := pathObject(c, g.OpenAttachment)
		if !ok {
			return
		}
		SendFile(c, f, f.Name)
	}
}

// handleGuidanceAcknowledgementsExport streams who has acknowledged what in the actor's
// organisation as CSV, named with the highest protective marking in it. Pages and the API share
// it.
func handleGuidanceAcknowledgementsExport(g *guidance.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		header := func(classification string) {
			name := "acknowledgements " + time.Now().UTC().Format("2006-01-02") + ".csv"
			if classification != "" {
				name = classification + " - " + name
			}
			c.Header("Content-Type", "text/csv; charset=utf-8")
			c.Header("Content-Disposition", ContentDisposition(name))
		}
		if err := g.ExportAcknowledgements(c.Request.Context(), actorOf(c), header, c.Writer); err != nil {
			if !c.Writer.Written() {
				c.Header("Content-Disposition", "")
				c.Header("Content-Type", "")
			}
			writeError(c, err)
		}
	}
}

// acknowledgementsOf is AcknowledgementsOf as an operation on :id for byID.
func acknowledgementsOf(g *guidance.Service) func(context.Context, core.Actor, int64) (guidance.GuidanceAckDocument, error) {
	return func(ctx context.Context, who core.Actor, id int64) (guidance.GuidanceAckDocument, error) {
		d, _, err := g.AcknowledgementsOf(ctx, who, id)
		return d, err
	}
}
