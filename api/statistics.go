package api

import (
	"bytes"
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/statistics"
)

// StatisticsPages are the analysts' pages of the national picture.
type StatisticsPages interface {
	Statistics() gin.HandlerFunc
	StatisticsDefinitions() gin.HandlerFunc
	StatisticsReports() gin.HandlerFunc
	StatisticsReportCreate() gin.HandlerFunc
}

// StatisticsFilter reads the national picture's filter, and its edition, from the query string.
// A force that is not a number is a force nobody has: the operation reports it with the other
// problems. The edition is checked by the operation (an unknown one is EINVALID).
func StatisticsFilter(c *gin.Context) statistics.Filter {
	f := statistics.Filter{Quarter: c.Query("quarter"), From: c.Query("from"), To: c.Query("to"), Region: c.Query("region"), Exploitation: c.Query("exploitation"),
		Edition: c.Query("edition")}
	if v := c.Query("force"); v != "" {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			f.Force = id
		} else {
			f.Force = -1
		}
	}
	return f
}

// handleStatistics answers with the dashboard's figures, suppressed.
func handleStatistics(st *statistics.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		d, err := st.Dashboard(c.Request.Context(), actorOf(c), StatisticsFilter(c))
		if err != nil {
			writeError(c, err)
			return
		}
		// OFFICIAL-SENSITIVE figures: no copy is kept, not even the browser's own (the ETag
		// still answers a client that keeps one itself).
		c.Header("Cache-Control", "private, no-store")
		c.JSON(http.StatusOK, d)
	}
}

// sendMarked sends a file of the national picture, built in memory (a few kilobytes of counts),
// so that a failure is an error page rather than half a file.
func sendMarked(c *gin.Context, contentType, name string, write func(*bytes.Buffer) error) {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		writeError(c, core.Internal(err))
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Disposition", ContentDisposition(name))
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, contentType, buf.Bytes())
}

// HandleStatisticsCSV serves one table as CSV (pages and API).
func HandleStatisticsCSV(st *statistics.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.Param("table")
		d, t, err := st.Export(c.Request.Context(), actorOf(c), StatisticsFilter(c), id, "csv")
		if err != nil {
			writeError(c, err)
			return
		}
		sendMarked(c, "text/csv; charset=utf-8", d.FileName(id, "csv"), func(b *bytes.Buffer) error { return d.WriteCSV(b, t) })
	}
}

// HandleStatisticsXLSX serves every table as one workbook (pages and API).
func HandleStatisticsXLSX(st *statistics.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		d, _, err := st.Export(c.Request.Context(), actorOf(c), StatisticsFilter(c), "", "xlsx")
		if err != nil {
			writeError(c, err)
			return
		}
		sendMarked(c, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", d.FileName("all-tables", "xlsx"), func(b *bytes.Buffer) error { return d.WriteXLSX(b) })
	}
}

// HandleStatisticsReport serves a stored report's PDF (pages and API); ?edition= names the
// edition expected.
func HandleStatisticsReport(st *statistics.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := PathID(c, "id")
		if !ok {
			return
		}
		f, err := st.OpenReport(c.Request.Context(), actorOf(c), id, c.Query("edition"))
		if err != nil {
			writeError(c, err)
			return
		}
		SendFile(c, f, f.Name)
	}
}

// handleStatisticsReports lists the reports of ?edition=, or of every edition the caller may read.
func handleStatisticsReports(st *statistics.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		list, err := st.Reports(c.Request.Context(), actorOf(c), c.Query("edition"))
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, list)
	}
}

type reportRequest struct {
	Month   string `json:"month"`
	Edition string `json:"edition"`
}

// handleStatisticsReportCreate makes a report of the month in the body, in the edition the body
// or ?edition= names (the body's first; neither: the caller's default).
func handleStatisticsReportCreate(st *statistics.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		query := c.Query("edition")
		withBody(http.StatusCreated, func(ctx context.Context, who core.Actor, r reportRequest) (statistics.Report, error) {
			if r.Edition == "" {
				r.Edition = query
			}
			return st.CreateReport(ctx, who, r.Month, r.Edition)
		})(c)
	}
}
