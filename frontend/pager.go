package frontend

import (
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
)

// pager is a list's place among its pages, for the pagination partial: the Previous and Next
// links and, when the list was counted, "Showing 51 to 100 of 1,234 results" (GOV.UK
// pagination). Links keep the page's query (its search and filters) and carry the position of
// their first row in "from".
type pager struct {
	PrevURL, NextURL string
	From, To         int
	Total            int64
	Of               string // what the pages are of, for screen readers ("courses")
}

// newPager places a page of n rows, read with limit from the list at the address of c, whose
// next and previous cursors are next and prev and which holds total rows (0: not counted).
func newPager(c *gin.Context, n, limit int, next, prev string, total int64, of string) pager {
	from, err := strconv.Atoi(c.Query("from"))
	if err != nil || from < 1 {
		from = 1
	}
	if prev == "" {
		from = 1 // the first page, whatever the link said
	}
	pg := pager{Total: total, Of: of}
	if n > 0 {
		pg.From, pg.To = from, from+n-1
	}
	link := func(cursor string, at int) string {
		q := c.Request.URL.Query()
		q.Set("after", cursor)
		q.Set("from", strconv.Itoa(max(at, 1)))
		return c.Request.URL.Path + "?" + q.Encode()
	}
	if next != "" {
		pg.NextURL = link(next, from+n)
	}
	if prev != "" {
		pg.PrevURL = link(prev, from-limit)
	}
	return pg
}

// listPager places a page of n rows of one of the lists of the page at path (list names it:
// "victims", "exhibits"), read with limit and standing among the list's pages as pg says. The
// list pages on its own: its links carry its cursor and position (list_after, list_from), keep
// the rest of the page's query (the other lists where they are) and come back to the list.
func listPager(c *gin.Context, path, list string, n, limit int, pg core.Pages, of string) pager {
	from, err := strconv.Atoi(c.Query(list + "_from"))
	if err != nil || from < 1 || pg.Prev == "" {
		from = 1 // the first page, whatever the link said
	}
	out := pager{Total: pg.Total, Of: of}
	if n > 0 {
		out.From, out.To = from, from+n-1
	}
	link := func(cursor string, at int) string {
		q := c.Request.URL.Query()
		q.Set(list+"_after", cursor)
		q.Set(list+"_from", strconv.Itoa(max(at, 1)))
		return path + "?" + q.Encode() + "#" + list
	}
	if pg.Next != "" {
		out.NextURL = link(pg.Next, from+n)
	}
	if pg.Prev != "" {
		out.PrevURL = link(pg.Prev, from-limit)
	}
	return out
}

// linkTo is a pager of a list that has only Next links (with no count): the next page at next.
func linkTo(path string, q url.Values, next string) pager {
	if next == "" {
		return pager{}
	}
	q.Set("after", next)
	return pager{NextURL: path + "?" + q.Encode()}
}

// Showing says which rows of how many the page shows: "Showing 51 to 100 of 1,234 results".
func (p pager) Showing() string {
	if p.Total == 0 || p.From == 0 {
		return ""
	}
	return "Showing " + thousands(int64(p.From)) + " to " + thousands(int64(p.To)) + " of " + thousands(p.Total) + " results"
}

// thousands writes n with commas between thousands, as GOV.UK writes numbers: 1,234.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
