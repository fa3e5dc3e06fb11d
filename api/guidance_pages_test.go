package api_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/policies"
)

// publishVia drafts, submits and publishes guidance through the operations, for tests about
// what readers see afterwards.
func publishVia(t *testing.T, a *apitest.App, editor, approver *apitest.User, in guidance.GuidanceInput) guidance.GuidanceVersion {
	t.Helper()
	ctx, g := context.Background(), a.Services.Guidance
	v, err := g.Create(ctx, editor.Actor(t), in)
	if err != nil {
		t.Fatalf("create %q: %v", in.Title, err)
	}
	if _, err := g.Submit(ctx, editor.Actor(t), v.ID); err != nil {
		t.Fatal(err)
	}
	if v, err = g.Publish(ctx, approver.Actor(t), v.ID); err != nil {
		t.Fatal(err)
	}
	return v
}

func guidanceIn(title, body string) guidance.GuidanceInput {
	return guidance.GuidanceInput{Title: title, Summary: "About " + title, Body: body, Category: "investigation",
		Classification: "OFFICIAL", Audience: guidance.GuidanceAudience{Scope: guidance.GuidanceAudienceEveryone}}
}

var (
	documentLink = regexp.MustCompile(`href="/guidance/documents/(\d+)"`)
	nextLink     = regexp.MustCompile(`href="([^"]+)" rel="next"`)
	prevLink     = regexp.MustCompile(`href="([^"]+)" rel="prev"`)
)

// mainOf is the main element of a page.
func mainOf(page string) string {
	i, j := strings.Index(page, "<main"), strings.Index(page, "</main>")
	if i < 0 || j < i {
		return page
	}
	return page[i:j]
}

// documentIDs lists the documents a page links to, in order, once each.
func documentIDs(page string) []string {
	var out []string
	for _, m := range documentLink.FindAllStringSubmatch(mainOf(page), -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// Every list says so when it is empty; the browse page and the search results go a page at a
// time with links to the next (and previous) page; a page link or date that is no good is an
// error at the search form saying what to do.
func TestGuidanceListPagesEmptyAndPaged(t *testing.T) {
	a, editor, approver, officer := newGuidanceApp(t)
	supervisor := a.As(t, policies.RoleSupervisor)
	ob := officer.Browser()

	// Nothing published yet.
	empty := map[string]struct {
		b    *apitest.Browser
		path string
		says []string
	}{
		"library home": {ob, "/guidance", []string{"No guidance has been published for you yet."}},
		"browse":       {ob, "/guidance/search", []string{"No guidance you can read matches these filters."}},
		"search":       {ob, "/guidance/search?q=marigold", []string{"No guidance you can read matches. Check the spelling, use fewer words, or clear the filters."}},
		"dashboard":    {editor.Browser(), "/guidance/manage", []string{"Nothing is being worked on.", "None."}},
		"report":       {supervisor.Browser(), "/guidance/acknowledgements", []string{"No guidance you can read asks for acknowledgement."}},
	}
	for name, c := range empty {
		w := c.b.Get(t, c.path)
		body := html.UnescapeString(mainOf(w.Body.String()))
		if w.Code != http.StatusOK {
			t.Errorf("%s: %d", name, w.Code)
		}
		for _, s := range c.says {
			if !strings.Contains(body, s) {
				t.Errorf("%s does not say %q:\n%s", name, s, body)
			}
		}
		if strings.Contains(body, `class="govuk-pagination`) || strings.Contains(body, "Guidance you need to acknowledge") || strings.Contains(w.Body.String(), "app-classification") {
			t.Errorf("%s: pagination, acknowledgements or a marking on an empty page:\n%s", name, body)
		}
	}
	if home := ob.Get(t, "/guidance").Body.String(); strings.Contains(home, `href="/guidance/search?category=`) {
		t.Error("the library home links to empty categories")
	}
	// The dashboard says "None." under both review headings.
	if dash := mainOf(editor.Browser().Get(t, "/guidance/manage").Body.String()); strings.Count(dash, "None.") != 2 {
		t.Errorf("dashboard: %d empty review sections, want 2", strings.Count(dash, "None."))
	}

	// 25 documents, a minute apart.
	var want []string // newest first
	for i := range 25 {
		v := publishVia(t, a, editor, approver, guidanceIn(fmt.Sprintf("Paged guidance %02d", i), "The word is marigold."))
		want = append([]string{strconv.FormatInt(v.DocumentID, 10)}, want...)
		a.Clock.Advance(time.Minute)
	}

	// Browse: 20, then the 5 older, and no further link.
	first := ob.Get(t, "/guidance/search").Body.String()
	next := nextLink.FindStringSubmatch(first)
	if got := documentIDs(first); !slices.Equal(got, want[:20]) || next == nil || prevLink.MatchString(first) {
		t.Fatalf("browse, first page: %v (next %v), want %v", got, next, want[:20])
	}
	second := ob.Get(t, html.UnescapeString(next[1])).Body.String()
	if got := documentIDs(second); !slices.Equal(got, want[20:]) || nextLink.MatchString(second) {
		t.Errorf("browse, second page: %v, want %v and no next page", got, want[20:])
	}
	// The filters travel with the page links.
	filtered := ob.Get(t, "/guidance/search?category=investigation&tag=").Body.String()
	if next := nextLink.FindStringSubmatch(filtered); next == nil || !strings.Contains(html.UnescapeString(next[1]), "category=investigation") {
		t.Errorf("browse with a filter: next page link %v", next)
	}

	// Search: 20 results, then the other 5, with a link back.
	res := ob.Get(t, "/guidance/search?q=marigold").Body.String()
	next = nextLink.FindStringSubmatch(res)
	got := documentIDs(res)
	if len(got) != 20 || next == nil || prevLink.MatchString(res) {
		t.Fatalf("search, first page: %d results (next %v)", len(got), next)
	}
	res2 := ob.Get(t, html.UnescapeString(next[1])).Body.String()
	got2 := documentIDs(res2)
	if len(got2) != 5 || nextLink.MatchString(res2) || !prevLink.MatchString(res2) {
		t.Errorf("search, second page: %d results, next %v, previous %v", len(got2), nextLink.MatchString(res2), prevLink.MatchString(res2))
	}
	all := slices.Sorted(slices.Values(append(got, got2...)))
	if !slices.Equal(slices.Compact(all), slices.Sorted(slices.Values(want))) {
		t.Errorf("search pages together: %v, want every document once", all)
	}

	// The library home shows the newest ten.
	if got := documentIDs(ob.Get(t, "/guidance").Body.String()); !slices.Equal(got, want[:10]) {
		t.Errorf("what's new: %v, want %v", got, want[:10])
	}

	// The API pages the same way.
	var apiIDs []string
	for after := ""; len(apiIDs) <= 30; {
		w := a.API(t, officer, "GET", "/api/v1/guidance/documents?limit=10&after="+url.QueryEscape(after), "")
		page := decode[guidance.GuidancePage](t, w)
		for _, d := range page.Documents {
			apiIDs = append(apiIDs, strconv.FormatInt(d.ID, 10))
		}
		if after = page.Next; after == "" {
			break
		}
	}
	if !slices.Equal(apiIDs, want) {
		t.Errorf("API pages: %v, want %v", apiIDs, want)
	}

	// Links and dates that are no good are errors at the search form, saying what to do.
	for path, says := range map[string]string{
		"/guidance/search?after=garbage":                                   "go back to the first page",
		"/guidance/search?q=marigold&page=99":                              "narrow the search",
		"/guidance/search?since-day=31&since-month=2&since-year=2026":      "must be a real date",
		"/guidance/search?q=" + url.QueryEscape(strings.Repeat("x ", 150)): "200 characters or fewer",
	} {
		w := ob.Get(t, path)
		body := html.UnescapeString(w.Body.String())
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, says) {
			t.Errorf("%s: %d, want 422 saying %q", path, w.Code, says)
		}
		links := regexp.MustCompile(`govuk-error-summary__list">\s*<li>\s*<a href="#([a-z_-]+)"`).FindStringSubmatch(w.Body.String())
		if links == nil || !strings.Contains(w.Body.String(), `id="`+links[1]+`"`) {
			t.Errorf("%s: the error summary links to %v, which is not a field of the form", path, links)
		}
	}
	w := a.API(t, officer, "GET", "/api/v1/guidance/documents?after=garbage", "")
	if w.Code != http.StatusUnprocessableEntity && w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "first page") {
		t.Errorf("API list after a bad cursor: %d %s", w.Code, w.Body.String())
	}
}

// The acknowledgement report's CSV is named with the highest protective marking in it, holds
// one line per person and document, neutralises every cell a spreadsheet would run as a
// formula, leaves out what the person exporting may not read, and is audited.
func TestGuidanceAcknowledgementExport(t *testing.T) {
	a, editor, approver, officer := newGuidanceApp(t)
	hostile := []string{`=HYPERLINK("evil.example","Click")`, "+SUM(1,2)", "-2+3 cmd", "@SUM(A1:A2)"}
	var first guidance.GuidanceVersion
	for i, title := range hostile {
		in := guidanceIn(title, "Read it.")
		in.RequiresAck = true
		v := publishVia(t, a, editor, approver, in)
		if i == 0 {
			first = v
		}
	}
	sensitive := guidanceIn("Sensitive kestrel", "Read it carefully.")
	sensitive.Classification, sensitive.RequiresAck = "OFFICIAL-SENSITIVE", true
	publishVia(t, a, editor, approver, sensitive)
	if w := a.API(t, officer, "POST", fmt.Sprintf("/api/v1/guidance/documents/%d/acknowledge", first.DocumentID), ""); w.Code != 200 {
		t.Fatalf("acknowledge: %d %s", w.Code, w.Body.String())
	}

	supervisor := a.As(t, policies.RoleSupervisor)
	unvetted := a.SignedIn(t, apitest.UserSpec{Roles: []string{policies.RoleSupervisor}, Vetting: core.VettingNone})
	for _, c := range []struct {
		name      string
		get       func() (int, http.Header, string)
		marking   string
		sensitive bool
	}{
		{"cleared supervisor, page link", func() (int, http.Header, string) {
			w := supervisor.Browser().Get(t, "/guidance/acknowledgements/export.csv")
			return w.Code, w.Header(), w.Body.String()
		}, "OFFICIAL-SENSITIVE", true},
		{"supervisor without clearance, API", func() (int, http.Header, string) {
			w := a.API(t, unvetted, "GET", "/api/v1/guidance/acknowledgements/export", "")
			return w.Code, w.Header(), w.Body.String()
		}, "OFFICIAL", false},
	} {
		code, h, body := c.get()
		if code != http.StatusOK || h.Get("Content-Type") != "text/csv; charset=utf-8" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: %d %q\n%s", c.name, code, h.Get("Content-Type"), body)
		}
		cd := h.Get("Content-Disposition")
		if !regexp.MustCompile(`^attachment; filename="` + c.marking + ` - acknowledgements \d{4}-\d{2}-\d{2}\.csv"`).MatchString(cd) {
			t.Errorf("%s: named %q, want it to start with %s", c.name, cd, c.marking)
		}
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			for _, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s: cell %q would run as a formula", c.name, cell)
				}
			}
		}
		var titles []string
		acked := 0
		for _, rec := range recs[1:] {
			if !slices.Contains(titles, rec[1]) {
				titles = append(titles, rec[1])
			}
			if rec[5] == officer.Name && rec[7] == "acknowledged" {
				acked++
				if rec[1] != "'"+hostile[0] {
					t.Errorf("%s: the officer acknowledged %q", c.name, rec[1])
				}
			}
		}
		for _, title := range hostile {
			if !slices.Contains(titles, "'"+title) {
				t.Errorf("%s: %q is missing or not neutralised: %q", c.name, title, titles)
			}
		}
		if slices.Contains(titles, sensitive.Title) != c.sensitive || acked != 1 {
			t.Errorf("%s: titles %q, %d acknowledged lines", c.name, titles, acked)
		}
	}
	// The report's pages are marked with what they show.
	page := supervisor.Browser().Get(t, "/guidance/acknowledgements").Body.String()
	if strings.Count(page, "app-classification--sensitive") != 2 {
		t.Error("the report listing OFFICIAL-SENSITIVE guidance is not marked OFFICIAL-SENSITIVE top and bottom")
	}
	if page := unvetted.Browser().Get(t, "/guidance/acknowledgements").Body.String(); strings.Contains(page, sensitive.Title) || strings.Contains(page, "app-classification--sensitive") {
		t.Error("the report of a supervisor without clearance shows or is marked for OFFICIAL-SENSITIVE guidance")
	}
	// Anyone else gets a refusal, not a file.
	w := officer.Browser().Get(t, "/guidance/acknowledgements/export.csv")
	if w.Code != http.StatusForbidden || w.Header().Get("Content-Disposition") != "" || strings.Contains(w.Body.String(), hostile[1]) {
		t.Errorf("officer exports: %d %q", w.Code, w.Header().Get("Content-Disposition"))
	}
	if n := auditCount(t, a, "action = ?", "guidance.acknowledgements_export"); n != 2 {
		t.Errorf("%d export events, want 2", n)
	}
	// The export is recorded before its first byte leaves: the record is there when the reader
	// gets the first byte, so one that goes away midway is on record all the same.
	var atFirstByte int64 = -1
	cutOff := writerFunc(func(p []byte) (int, error) {
		if atFirstByte < 0 {
			atFirstByte = auditCount(t, a, "action = ?", "guidance.acknowledgements_export")
		}
		return 0, io.ErrClosedPipe
	})
	if err := a.Services.Guidance.ExportAcknowledgements(context.Background(), supervisor.Actor(t), func(string) {}, cutOff); err == nil {
		t.Error("an export to a reader that went away succeeded")
	}
	if atFirstByte != 3 {
		t.Errorf("at the export's first byte, %d export events in all, want 3 (this one recorded)", atFirstByte)
	}
}

// writerFunc is a writer made of a function.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Owners see on their dashboard the guidance due for review soon and overdue; a review through
// the document page records "reviewed, no change" with the next date (twelve months on when
// left empty), refuses a date that is no good at the field, and is audited.
func TestGuidanceReviewThroughPages(t *testing.T) {
	a := apitest.New(t)
	later := a.Clock.Now().AddDate(5, 0, 0)
	editor := a.SignedIn(t, apitest.UserSpec{Roles: []string{policies.RoleGuidanceEditor}, Expires: &later})
	approver := a.SignedIn(t, apitest.UserSpec{Roles: []string{policies.RoleGuidanceApprover}, Expires: &later})
	officer := a.As(t, policies.RoleOfficer)
	v := publishVia(t, a, editor, approver, guidanceIn("Review me heron", "Text."))
	doc := "/guidance/documents/" + strconv.FormatInt(v.DocumentID, 10)

	// section is the part of the dashboard under a heading.
	section := func(page, heading string) string {
		page = mainOf(page)
		i := strings.Index(page, heading)
		if i < 0 {
			t.Fatalf("the dashboard has no %q", heading)
		}
		rest := page[i+len(heading):]
		if j := strings.Index(rest, "<h2"); j >= 0 {
			rest = rest[:j]
		}
		return rest
	}
	review := func(b *apitest.Browser, day, month, year string) *http.Response {
		b.Get(t, doc)
		w := b.Submit(t, doc+"/review", url.Values{"next_review-day": {day}, "next_review-month": {month}, "next_review-year": {year}})
		return w.Result()
	}
	eb := editor.Browser()
	if d := mainOf(eb.Get(t, "/guidance/manage").Body.String()); strings.Contains(d, "Review me heron") {
		t.Error("guidance published today is already on the dashboard")
	}
	// Next review in ten days: due soon.
	soon := a.Clock.Now().AddDate(0, 0, 10)
	if r := review(eb, strconv.Itoa(soon.Day()), strconv.Itoa(int(soon.Month())), strconv.Itoa(soon.Year())); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("review with a date: %d", r.StatusCode)
	}
	dash := eb.Get(t, "/guidance/manage").Body.String()
	if !strings.Contains(section(dash, "Review due in the next 30 days"), "Review me heron") || strings.Contains(section(dash, "Review overdue"), "Review me heron") {
		t.Errorf("ten days before the review, the dashboard:\n%s", mainOf(dash))
	}
	if page := eb.Get(t, doc).Body.String(); !strings.Contains(page, "Due soon") || !strings.Contains(page, soon.Format("2 January 2006")) {
		t.Error("the document page does not say the review is due soon, and when")
	}
	// Eleven days on: overdue.
	a.Clock.Advance(11 * 24 * time.Hour)
	editor.SignIn(t)
	approver.SignIn(t)
	eb = editor.Browser()
	dash = eb.Get(t, "/guidance/manage").Body.String()
	if !strings.Contains(section(dash, "Review overdue"), "Review me heron") || strings.Contains(section(dash, "Review due in the next 30 days"), "Review me heron") {
		t.Errorf("a day after the review date, the dashboard:\n%s", mainOf(dash))
	}
	if page := eb.Get(t, doc).Body.String(); !strings.Contains(page, "Overdue") {
		t.Error("the document page does not say the review is overdue")
	}
	// Dates that are no good are refused at the field and change nothing.
	past := a.Clock.Now().AddDate(0, 0, -1)
	for name, date := range map[string][3]string{
		"not a date":       {"32", "13", "2027"},
		"in the past":      {strconv.Itoa(past.Day()), strconv.Itoa(int(past.Month())), strconv.Itoa(past.Year())},
		"too far ahead":    {"1", "1", strconv.Itoa(a.Clock.Now().Year() + 4)},
		"part of the date": {"", "5", ""},
	} {
		eb.Get(t, doc)
		w := eb.Submit(t, doc+"/review", url.Values{"next_review-day": {date[0]}, "next_review-month": {date[1]}, "next_review-year": {date[2]}})
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `href="#next_review-day"`) || !strings.Contains(w.Body.String(), `id="next_review-day"`) {
			t.Errorf("review %s: %d", name, w.Code)
		}
	}
	if n := auditCount(t, a, "action = ? AND object_id = ?", "guidance.review", strconv.FormatInt(v.DocumentID, 10)); n != 1 {
		t.Errorf("%d review events after the refusals, want 1", n)
	}
	// Someone who does not look after it may not review it.
	ob := officer.Browser()
	ob.Get(t, doc)
	if w := ob.Submit(t, doc+"/review", url.Values{}); w.Code != http.StatusForbidden {
		t.Errorf("an officer reviews: %d", w.Code)
	}
	// The approver reviews it with no date: due in twelve months, off the dashboard.
	if r := review(approver.Browser(), "", "", ""); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("review without a date: %d", r.StatusCode)
	}
	next := a.Clock.Now().AddDate(1, 0, 0)
	page := eb.Get(t, doc).Body.String()
	if strings.Contains(page, "Overdue") || !strings.Contains(page, next.Format("2 January 2006")) {
		t.Errorf("after the review, the document page does not show the next review on %s", next.Format("2 January 2006"))
	}
	if d := mainOf(eb.Get(t, "/guidance/manage").Body.String()); strings.Contains(d, "Review me heron") {
		t.Error("the reviewed guidance is still on the dashboard")
	}
	if n := auditCount(t, a, "action = ? AND object_id = ? AND actor_id = ?", "guidance.review", strconv.FormatInt(v.DocumentID, 10), approver.ID); n != 1 {
		t.Errorf("%d review events by the approver, want 1", n)
	}
}

// A reader asked to acknowledge guidance meets the button after the guidance, not before it.
func TestGuidanceAcknowledgeButtonComesAfterTheText(t *testing.T) {
	a, editor, approver, officer := newGuidanceApp(t)
	in := guidanceIn("Handling seized phones", "Bag every phone in a Faraday pouch.")
	in.RequiresAck = true
	v := publishVia(t, a, editor, approver, in)

	page := mainOf(officer.Browser().Get(t, fmt.Sprintf("/guidance/documents/%d", v.DocumentID)).Body.String())
	text, button := strings.Index(page, "Faraday pouch"), strings.Index(page, "I have read this guidance")
	if text < 0 || button < 0 {
		t.Fatalf("text at %d, button at %d:\n%s", text, button, page)
	}
	if button < text {
		t.Errorf("the button comes before the guidance it confirms:\n%s", page)
	}
}
