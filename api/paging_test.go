package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
)

// apiPage is a page of a paged list route as a test reads it: the names of its rows in list
// order, how many there are in all, and the cursors of the pages after and before it.
type apiPage struct {
	Names      []string
	Total      int64
	Next, Prev string
}

// checkPagedRoute checks the paged list route at path/list, as u, against want, the names (the
// field name of each row) of all its rows in list order: the first page without a cursor (50 rows, no page before),
// forward and back 20 a page with every page counting them all, all of them with limit=200, the
// 50 of a page when more than 200 are asked, and a damaged cursor refused (422).
func checkPagedRoute(t *testing.T, a *apitest.App, u *apitest.User, path, list, name string, want []string) {
	t.Helper()
	get := func(query string, status int) apiPage {
		t.Helper()
		var body map[string]json.RawMessage
		apitest.Want(t, a.API(t, u, "GET", path+"/"+list+"?"+query, ""), list+"?"+query, status, &body)
		var p apiPage
		var rows []map[string]any
		for _, part := range []struct {
			key string
			to  any
		}{{list, &rows}, {"total", &p.Total}, {"next", &p.Next}, {"prev", &p.Prev}} {
			if raw, ok := body[part.key]; ok && status == http.StatusOK {
				if err := json.Unmarshal(raw, part.to); err != nil {
					t.Fatalf("%s?%s: %s: %v", list, query, part.key, err)
				}
			}
		}
		for _, r := range rows {
			p.Names = append(p.Names, fmt.Sprint(r[name]))
		}
		return p
	}
	first := get("", http.StatusOK)
	if !slices.Equal(first.Names, want[:50]) || first.Total != int64(len(want)) || first.Next == "" || first.Prev != "" {
		t.Errorf("%s, the first page: %v, total %d, next %q, prev %q", list, first.Names, first.Total, first.Next, first.Prev)
	}
	pages := (len(want) + 19) / 20
	// Forward, 20 a page.
	var forward [][]string
	var last apiPage
	for cursor := ""; ; {
		if len(forward) > pages {
			t.Fatalf("%s: no end of the pages", list)
		}
		p := get(url.Values{"limit": {"20"}, "after": {cursor}}.Encode(), http.StatusOK)
		if p.Total != int64(len(want)) || (cursor == "") != (p.Prev == "") {
			t.Errorf("%s page %d: total %d, prev %q", list, len(forward)+1, p.Total, p.Prev)
		}
		forward, last = append(forward, p.Names), p
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if !slices.Equal(slices.Concat(forward...), want) || len(forward) != pages {
		t.Errorf("%s forward, 20 a page: %v", list, forward)
	}
	// And back from the last page.
	back := [][]string{last.Names}
	for cursor := last.Prev; cursor != ""; {
		if len(back) > pages {
			t.Fatalf("%s: no start of the pages", list)
		}
		p := get(url.Values{"limit": {"20"}, "after": {cursor}}.Encode(), http.StatusOK)
		back, cursor = append(back, p.Names), p.Prev
	}
	slices.Reverse(back)
	if !slices.Equal(slices.Concat(back...), want) || len(back) != pages || len(back[0]) != 20 {
		t.Errorf("%s back, 20 a page: %v", list, back)
	}
	if got := get("limit=200", http.StatusOK).Names; !slices.Equal(got, want) {
		t.Errorf("%s, 200 a page: %v", list, got)
	}
	if got := get("limit=201", http.StatusOK).Names; len(got) != 50 {
		t.Errorf("%s, more than 200 asked: %d, want the 50 of a page", list, len(got))
	}
	for _, damaged := range []string{"~", "not-a-cursor", "~not-a-cursor"} {
		get("after="+url.QueryEscape(damaged), http.StatusUnprocessableEntity)
	}
}

// checkEmptyPages checks that each of lists, under base, answers u an empty page: the list
// empty (not null) and a total of 0.
func checkEmptyPages(t *testing.T, a *apitest.App, u *apitest.User, base string, lists ...string) {
	t.Helper()
	for _, list := range lists {
		w := a.API(t, u, "GET", base+"/"+list, "")
		apitest.Want(t, w, "no "+list, http.StatusOK, nil)
		if !strings.Contains(w.Body.String(), `"`+list+`":[]`) || !strings.Contains(w.Body.String(), `"total":0`) {
			t.Errorf("no %s: %s", list, w.Body.String())
		}
	}
}

// pageLink is the address of page's pagination link rel ("next" or "prev") that comes back to
// list (the fragment it ends with; "" for a link with or without one), as a browser asks for
// it: without the fragment. "" when there is none.
func pageLink(page, list, rel string) string {
	fragment := "(#[a-z]+)?"
	if list != "" {
		fragment = "#" + list
	}
	m := regexp.MustCompile(`href="([^"#]*)` + fragment + `" rel="` + rel + `"`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}
