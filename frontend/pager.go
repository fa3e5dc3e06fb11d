package frontend

import (
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"
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
