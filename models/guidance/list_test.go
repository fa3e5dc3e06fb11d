package guidance_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/policies"
)

// The library lists a page at a time, newest publication first, and the pages join up: every
// document once, none twice, whatever the page size, also when several were published in the
// same instant. A page link that is not ours is refused. Filters narrow both the listing and the
// search, and search results come a page at a time too.
func TestGuidanceListPages(t *testing.T) {
	f := newGuidanceFixture(t)
	ctx := context.Background()

	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var newestFirst []int64 // document IDs, newest publication first
	published := map[int64]time.Time{}
	for i := range 25 {
		// Documents 10-14 are published in the same instant: the ID breaks the tie.
		at := start.Add(time.Duration(i) * time.Hour)
		if i >= 10 && i < 15 {
			at = start.Add(10 * time.Hour)
		}
		f.clock.Set(at)
		in := draft(fmt.Sprintf("Paged guidance %02d", i), "Every document holds the word marigold.")
		if i%5 == 0 {
			in.Category, in.Tags = "financial", []string{"poca"}
		}
		v := f.publish(t, in)
		newestFirst = append([]int64{v.DocumentID}, newestFirst...)
		published[v.DocumentID] = at
	}
	// Same instant: higher version IDs first, as the listing orders them.
	slices.SortStableFunc(newestFirst, func(a, b int64) int {
		if c := published[b].Compare(published[a]); c != 0 {
			return c
		}
		return int(b - a)
	})
	f.clock.Set(start.Add(48 * time.Hour))

	walk := func(filter guidance.GuidanceFilter, limit int) []int64 {
		t.Helper()
		var got []int64
		after := ""
		for range 30 {
			page, err := f.s.Guidance.List(ctx, f.officer, filter, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Documents) > limit {
				t.Fatalf("a page of %d documents, limit %d", len(page.Documents), limit)
			}
			for _, d := range page.Documents {
				got = append(got, d.ID)
			}
			if page.Next == "" {
				return got
			}
			if len(page.Documents) != limit {
				t.Fatalf("a page of %d documents with a next page, limit %d", len(page.Documents), limit)
			}
			after = page.Next
		}
		t.Fatal("the pages never end")
		return nil
	}
	for _, limit := range []int{1, 7, 10, 25, 100} {
		if got := walk(guidance.GuidanceFilter{}, limit); !slices.Equal(got, newestFirst) {
			t.Errorf("pages of %d: %v, want %v", limit, got, newestFirst)
		}
	}

	// Filters, on the listing and on the search.
	since := start.Add(20 * time.Hour)
	var recent, financial []int64
	for _, id := range newestFirst {
		if !published[id].Before(since) {
			recent = append(recent, id)
		}
	}
	for _, id := range newestFirst {
		d, err := f.s.Guidance.Document(ctx, f.officer, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Version.Category == "financial" {
			financial = append(financial, id)
		}
	}
	if len(recent) != 5 || len(financial) != 5 {
		t.Fatalf("fixture: %d recent, %d financial documents", len(recent), len(financial))
	}
	search := func(filter guidance.GuidanceFilter) []int64 {
		t.Helper()
		var got []int64
		for page := 1; ; page++ {
			res, err := f.s.Guidance.Search(ctx, f.officer, "marigold", filter, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Results {
				got = append(got, r.ID)
			}
			if !res.More {
				return got
			}
			if len(res.Results) != 20 {
				t.Fatalf("search page %d: %d results and more to come", page, len(res.Results))
			}
		}
	}
	for name, c := range map[string]struct {
		f    guidance.GuidanceFilter
		want []int64
	}{
		"none":                   {guidance.GuidanceFilter{}, newestFirst},
		"updated since":          {guidance.GuidanceFilter{UpdatedSince: since}, recent},
		"category":               {guidance.GuidanceFilter{Category: "financial"}, financial},
		"tag":                    {guidance.GuidanceFilter{Tag: " POCA "}, financial},
		"owning organisation":    {guidance.GuidanceFilter{OrganisationID: f.org(t, home)}, newestFirst},
		"another organisation":   {guidance.GuidanceFilter{OrganisationID: f.org(t, "kent-police")}, nil},
		"category and since":     {guidance.GuidanceFilter{Category: "financial", UpdatedSince: since}, intersect(financial, recent)},
		"since after everything": {guidance.GuidanceFilter{UpdatedSince: start.Add(30 * time.Hour)}, nil},
	} {
		if got := walk(c.f, 4); !slices.Equal(got, c.want) {
			t.Errorf("list, %s: %v, want %v", name, got, c.want)
		}
		got := search(c.f)
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(c.want))) {
			t.Errorf("search, %s: %v, want %v", name, got, c.want)
		}
	}
	// Search results come 20 a page; the second page holds the rest, the third nothing.
	one, err := f.s.Guidance.Search(ctx, f.officer, "marigold", guidance.GuidanceFilter{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	two, err := f.s.Guidance.Search(ctx, f.officer, "marigold", guidance.GuidanceFilter{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	three, err := f.s.Guidance.Search(ctx, f.officer, "marigold", guidance.GuidanceFilter{}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Results) != 20 || !one.More || len(two.Results) != 5 || two.More || len(three.Results) != 0 || three.More || one.Capped {
		t.Errorf("search pages: %d (more %v), %d (more %v), %d; capped %v", len(one.Results), one.More, len(two.Results), two.More, len(three.Results), one.Capped)
	}

	// Page links and filters that are not ours are refused with what to do.
	for _, after := range []string{"nonsense", "MTIz", "!!"} {
		_, err := f.s.Guidance.List(ctx, f.officer, guidance.GuidanceFilter{}, after, 10)
		wantCode(t, "list after "+after, err, core.EINVALID)
	}
	_, err = f.s.Guidance.List(ctx, f.officer, guidance.GuidanceFilter{Category: "cooking"}, "", 10)
	wantCode(t, "an unknown category", err, core.EINVALID)
	_, err = f.s.Guidance.Search(ctx, f.officer, "marigold", guidance.GuidanceFilter{}, 60)
	wantCode(t, "search page 60", err, core.EINVALID)

	// Someone the library has nothing for gets empty lists, not nothing.
	cps := f.person(t, "cps-south-west", core.VettingRV, policies.RoleCPSLiaison)
	page, err := f.s.Guidance.List(ctx, cps, guidance.GuidanceFilter{}, "", 10)
	if err != nil || page.Documents == nil || len(page.Documents) != 0 || page.Next != "" {
		t.Errorf("list for someone outside every audience: %+v, %v", page, err)
	}
	res, err := f.s.Guidance.Search(ctx, cps, "marigold", guidance.GuidanceFilter{}, 1)
	if err != nil || res.Results == nil || len(res.Results) != 0 || res.More {
		t.Errorf("search for someone outside every audience: %+v, %v", res, err)
	}
}

func intersect(a, b []int64) []int64 {
	var out []int64
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
