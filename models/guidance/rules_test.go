package guidance_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/policies"
)

// DiffLines gives a correct edit script (applying it to the old text gives the new one) that is
// as short as the longest common subsequence allows.
func TestDiffLines(t *testing.T) {
	got := guidance.DiffLines("a\nb\nc\nd\n", "a\nc\nd\ne\n")
	var ops []string
	for _, l := range got {
		ops = append(ops, l.Op[:1]+l.Text)
	}
	if want := []string{"sa", "rb", "sc", "sd", "ae"}; !slices.Equal(ops, want) {
		t.Errorf("diff %q, want %q", ops, want)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"alpha", "beta", "gamma", "delta", ""}
	text := func() []string {
		n := rng.IntN(12)
		out := make([]string, n)
		for i := range out {
			out[i] = words[rng.IntN(len(words))]
		}
		return out
	}
	// Lines as DiffLines reads them: a final newline ends the last line rather than starting one.
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	}
	for range 2000 {
		sa, sb := strings.Join(text(), "\n"), strings.Join(text(), "\n")
		a, b := split(sa), split(sb)
		lines := guidance.DiffLines(sa, sb)
		var old, new []string
		edits := 0
		for _, l := range lines {
			switch l.Op {
			case guidance.DiffSame:
				old, new = append(old, l.Text), append(new, l.Text)
				if a[l.Old-1] != l.Text || b[l.New-1] != l.Text {
					t.Fatalf("%q → %q: kept line %+v has wrong numbers", a, b, l)
				}
			case guidance.DiffRemoved:
				old = append(old, l.Text)
				edits++
			case guidance.DiffAdded:
				new = append(new, l.Text)
				edits++
			}
		}
		if !slices.Equal(old, a) || !slices.Equal(new, b) {
			t.Fatalf("%q → %q: the diff does not rebuild both texts: %+v", a, b, lines)
		}
		if want := len(a) + len(b) - 2*lcs(a, b); edits != want {
			t.Fatalf("%q → %q: %d edits, want the minimum %d", a, b, edits, want)
		}
	}
}

func lcs(a, b []string) int {
	m := make([][]int, len(a)+1)
	for i := range m {
		m[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				m[i][j] = m[i+1][j+1] + 1
			} else {
				m[i][j] = max(m[i+1][j], m[i][j+1])
			}
		}
	}
	return m[0][0]
}

// The embedded SQLite build (modernc, through libtnb/sqlite) has FTS5 with the Porter stemmer, bm25 and
// snippet(), which the guidance search needs. This runs whatever the backend under test.
func TestSQLiteHasFTS5(t *testing.T) {
	ctx := context.Background()
	db, err := core.Open(ctx, core.DBConfig{Path: filepath.Join(t.TempDir(), "fts.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL().ExecContext(ctx, "CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'porter unicode61')"); err != nil {
		t.Fatalf("no FTS5: %v", err)
	}
	if _, err := db.SQL().ExecContext(ctx, "INSERT INTO t (body) VALUES ('victims of trafficking')"); err != nil {
		t.Fatal(err)
	}
	var snippet string
	var rank float64
	err = db.SQL().QueryRowContext(ctx, `SELECT snippet(t, 0, '[', ']', '…', 8), bm25(t) FROM t WHERE t MATCH '"trafficked"'`).Scan(&snippet, &rank)
	if err != nil || snippet != "victims of [trafficking]" {
		t.Errorf("stemmed match: %q, %v", snippet, err)
	}
}

// A major version makes everyone acknowledge again; a minor one does not. The report counts the
// organisation's people in the audience and exports them as CSV, formulas neutralised.
func TestGuidanceAcknowledgementResetOnMajorVersion(t *testing.T) {
	f := newGuidanceFixture(t)
	ctx := context.Background()
	colleague := f.cleared(t, policies.RoleOfficer)
	supervisor := f.cleared(t, policies.RoleSupervisor)
	kent := f.person(t, "kent-police", core.VettingRV, policies.RoleOfficer)

	in := draft("=HYPERLINK(\"https://evil.example\") Safeguarding duty", "Notify the Home Office.")
	in.RequiresAck = true
	v1 := f.publish(t, in)
	doc := v1.DocumentID

	outstanding := func(who core.Actor) []int64 {
		t.Helper()
		docs, err := f.s.Guidance.Outstanding(ctx, who)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, d := range docs {
			ids = append(ids, d.ID)
		}
		return ids
	}
	if got := outstanding(f.officer); !slices.Equal(got, []int64{doc}) {
		t.Fatalf("outstanding before acknowledging: %v", got)
	}
	view, err := f.s.Guidance.Acknowledge(ctx, f.officer, doc)
	if err != nil {
		t.Fatal(err)
	}
	if view.Acknowledged == nil || view.MustAcknowledge {
		t.Errorf("after acknowledging: %+v", view)
	}
	if _, err := f.s.Guidance.Acknowledge(ctx, f.officer, doc); err != nil {
		t.Errorf("acknowledging twice: %v", err)
	}
	if got := outstanding(f.officer); len(got) != 0 {
		t.Errorf("outstanding after acknowledging: %v", got)
	}
	_, err = f.s.Guidance.Acknowledge(ctx, f.editor, doc)
	if err != nil {
		t.Errorf("the editor is in the audience too: %v", err)
	}

	report := func() guidance.GuidanceAckDocument {
		t.Helper()
		d, _, err := f.s.Guidance.AcknowledgementsOf(ctx, supervisor, doc)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	r := report()
	// Home organisation: editor, approver, officer, colleague, supervisor; Kent is not theirs.
	if r.Audience != 5 || r.Acknowledged != 2 || r.Outstanding != 3 {
		t.Errorf("report: audience %d, acknowledged %d, outstanding %d; want 5, 2, 3", r.Audience, r.Acknowledged, r.Outstanding)
	}
	for _, p := range r.People {
		if p.UserID == kent.UserID {
			t.Error("the report lists someone of another organisation")
		}
	}
	_, err = f.s.Guidance.AcknowledgementReport(ctx, f.officer)
	wantCode(t, "an officer asks for the report", err, core.EFORBIDDEN)

	// A minor version: acknowledgements stand.
	next := func(major bool, body string) {
		t.Helper()
		nv, err := f.s.Guidance.StartVersion(ctx, f.editor, doc)
		if err != nil {
			t.Fatal(err)
		}
		in.Body, in.Major = body, major
		if _, err := f.s.Guidance.UpdateDraft(ctx, f.editor, nv.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Guidance.Submit(ctx, f.editor, nv.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Guidance.Publish(ctx, f.approver, nv.ID); err != nil {
			t.Fatal(err)
		}
	}
	next(false, "Notify the Home Office within a day.")
	if got := outstanding(f.officer); len(got) != 0 {
		t.Errorf("a minor version asks again: %v", got)
	}
	if got := outstanding(colleague); !slices.Equal(got, []int64{doc}) {
		t.Errorf("the colleague who never acknowledged: %v", got)
	}
	// A major version: everyone again.
	next(true, "Notify the Home Office at once, on form MS1 if the adult declines.")
	for _, who := range []core.Actor{f.officer, colleague} {
		if got := outstanding(who); !slices.Equal(got, []int64{doc}) {
			t.Errorf("after a major version, outstanding %v for user %d", got, who.UserID)
		}
	}
	if r := report(); r.Acknowledged != 0 || r.Outstanding != 5 {
		t.Errorf("report after a major version: acknowledged %d, outstanding %d; want 0, 5", r.Acknowledged, r.Outstanding)
	}
	if _, err := f.s.Guidance.Acknowledge(ctx, f.officer, doc); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var named string
	if err := f.s.Guidance.ExportAcknowledgements(ctx, supervisor, func(c string) { named = c }, &buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if named != "OFFICIAL" || len(recs) != 6 {
		t.Fatalf("export: classification %q, %d rows:\n%q", named, len(recs), recs)
	}
	acked := 0
	for _, rec := range recs[1:] {
		if !strings.HasPrefix(rec[1], "'=HYPERLINK") {
			t.Errorf("title cell %q is not neutralised", rec[1])
		}
		if rec[7] == "acknowledged" {
			acked++
		}
	}
	if acked != 1 {
		t.Errorf("%d acknowledged rows, want 1", acked)
	}
}

// A published document falls due for review twelve months after publication: due soon in its
// last 30 days, overdue after; "reviewed, no change" sets the next date and is audited.
func TestGuidanceReviewDue(t *testing.T) {
	f := newGuidanceFixture(t)
	ctx := context.Background()
	v := f.publish(t, draft("Reparation orders", "Consider one after every conviction."))

	state := func() (string, []int64, []int64) {
		t.Helper()
		d, err := f.s.Guidance.Document(ctx, f.editor, v.DocumentID)
		if err != nil {
			t.Fatal(err)
		}
		dash, err := f.s.Guidance.Dashboard(ctx, f.editor)
		if err != nil {
			t.Fatal(err)
		}
		var over, soon []int64
		for _, x := range dash.Overdue {
			over = append(over, x.ID)
		}
		for _, x := range dash.DueSoon {
			soon = append(soon, x.ID)
		}
		return guidance.GuidanceReviewState(d.ReviewDueOn, f.clock.Now()), over, soon
	}
	d, _ := f.s.Guidance.Document(ctx, f.editor, v.DocumentID)
	if want := time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC); d.ReviewDueOn == nil || !d.ReviewDueOn.Equal(want) {
		t.Fatalf("review due %v, want %v", d.ReviewDueOn, want)
	}
	steps := []struct {
		at         time.Time
		want       string
		over, soon bool
	}{
		{time.Date(2027, 1, 30, 9, 0, 0, 0, time.UTC), guidance.GuidanceReviewCurrent, false, false},
		{time.Date(2027, 2, 1, 9, 0, 0, 0, time.UTC), guidance.GuidanceReviewDueSoon, false, true},
		{time.Date(2027, 3, 2, 23, 0, 0, 0, time.UTC), guidance.GuidanceReviewDueSoon, false, true},
		{time.Date(2027, 3, 3, 0, 30, 0, 0, time.UTC), guidance.GuidanceReviewOverdue, true, false},
	}
	for _, s := range steps {
		f.clock.Set(s.at)
		st, over, soon := state()
		if st != s.want || (len(over) == 1) != s.over || (len(soon) == 1) != s.soon {
			t.Errorf("%s: state %s, overdue %v, due soon %v; want %s", s.at.Format(time.DateOnly), st, over, soon, s.want)
		}
	}
	_, err := f.s.Guidance.Review(ctx, f.officer, v.DocumentID, nil)
	wantCode(t, "an officer reviews", err, core.EFORBIDDEN)
	bad := f.clock.Now().AddDate(-1, 0, 0)
	_, err = f.s.Guidance.Review(ctx, f.editor, v.DocumentID, &bad)
	wantCode(t, "a review date in the past", err, core.EINVALID)
	d, err = f.s.Guidance.Review(ctx, f.approver, v.DocumentID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2028, 3, 3, 0, 0, 0, 0, time.UTC); d.ReviewDueOn == nil || !d.ReviewDueOn.Equal(want) {
		t.Errorf("after review, due %v, want %v", d.ReviewDueOn, want)
	}
	if st, over, soon := state(); st != guidance.GuidanceReviewCurrent || len(over)+len(soon) != 0 {
		t.Errorf("after review: %s, overdue %v, due soon %v", st, over, soon)
	}
	var n int64
	f.db.Gorm().Table("audit_events").Where("action = ? AND object_id = ? AND actor_id = ?", "guidance.review", idStr(v.DocumentID), f.approver.UserID).Count(&n)
	if n != 1 {
		t.Errorf("%d review events, want 1", n)
	}
	// Or a new version: publishing it sets a new date too.
	nv, err := f.s.Guidance.StartVersion(ctx, f.editor, v.DocumentID)
	if err != nil {
		t.Fatal(err)
	}
	f.s.Guidance.Submit(ctx, f.editor, nv.ID)
	f.clock.Set(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	if _, err := f.s.Guidance.Publish(ctx, f.approver, nv.ID); err != nil {
		t.Fatal(err)
	}
	d, _ = f.s.Guidance.Document(ctx, f.editor, v.DocumentID)
	if want := time.Date(2028, 6, 1, 0, 0, 0, 0, time.UTC); d.ReviewDueOn == nil || !d.ReviewDueOn.Equal(want) {
		t.Errorf("after a new version, due %v, want %v", d.ReviewDueOn, want)
	}
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// Search finds stemmed words in the current published version only, ranks a title match above
// a body match, escapes everything in a snippet but its highlight marks, and filters.
func TestGuidanceSearch(t *testing.T) {
	f := newGuidanceFixture(t)
	ctx := context.Background()

	body := f.publish(t, draft("Labour exploitation", "Workers in car washes are often trafficked. <script>alert('x')</script> & more."))
	title := f.publish(t, draft("Trafficking indicators", "Look for signs."))
	other := draft("Financial strategy", "Seize the proceeds of trafficking early.")
	other.Category, other.Tags = "financial", []string{"poca"}
	fin := f.publish(t, other)

	res, err := f.s.Guidance.Search(ctx, f.officer, "trafficking", guidance.GuidanceFilter{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range res.Results {
		ids = append(ids, r.ID)
	}
	if len(ids) != 3 || ids[0] != title.DocumentID {
		t.Fatalf("results %v, want 3 with the title match (%d) first", ids, title.DocumentID)
	}
	for _, r := range res.Results {
		if !strings.Contains(r.SnippetHTML, "<mark>") {
			t.Errorf("snippet of %q has no highlight: %q", r.Title, r.SnippetHTML)
		}
		if r.ID == body.DocumentID && (strings.Contains(r.SnippetHTML, "<script") || !strings.Contains(r.SnippetHTML, "<mark>trafficked</mark>")) {
			t.Errorf("snippet %q: want the match marked and everything else escaped", r.SnippetHTML)
		}
	}
	for name, c := range map[string]struct {
		f    guidance.GuidanceFilter
		want []int64
	}{
		"category":      {guidance.GuidanceFilter{Category: "financial"}, []int64{fin.DocumentID}},
		"tag":           {guidance.GuidanceFilter{Tag: "POCA"}, []int64{fin.DocumentID}},
		"organisation":  {guidance.GuidanceFilter{OrganisationID: f.org(t, "kent-police")}, nil},
		"updated since": {guidance.GuidanceFilter{UpdatedSince: f.clock.Now().Add(time.Hour)}, nil},
	} {
		res, err := f.s.Guidance.Search(ctx, f.officer, "trafficking", c.f, 1)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range res.Results {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s filter: %v, want %v", name, got, c.want)
		}
	}
	// A new version's draft is not searchable until it is published; then the old text goes.
	nv, err := f.s.Guidance.StartVersion(ctx, f.editor, fin.DocumentID)
	if err != nil {
		t.Fatal(err)
	}
	other.Body = "Restrain assets with a freezing order."
	f.s.Guidance.UpdateDraft(ctx, f.editor, nv.ID, other)
	count := func(q string) int {
		res, err := f.s.Guidance.Search(ctx, f.officer, q, guidance.GuidanceFilter{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Results)
	}
	if count("freezing") != 0 || count("proceeds") != 1 {
		t.Error("a draft reached the search index")
	}
	f.s.Guidance.Submit(ctx, f.editor, nv.ID)
	f.s.Guidance.Publish(ctx, f.approver, nv.ID)
	if count("freezing") != 1 || count("proceeds") != 0 {
		t.Error("the index does not follow the published version")
	}
	for _, q := range []string{"", "  ", "!!!"} {
		_, err := f.s.Guidance.Search(ctx, f.officer, q, guidance.GuidanceFilter{}, 1)
		wantCode(t, "search for "+q, err, core.EINVALID)
	}
	if n := count(`"trafficking" OR body:x NEAR(a b) *`); n != 0 {
		t.Errorf("query syntax was not treated as words: %d results", n)
	}
	// Words too common to search for are left out alike on both databases: alone, they are
	// refused with what to do instead.
	if n := count("the freezing of an order"); n != 1 {
		t.Errorf("common words among others: %d results, want 1", n)
	}
	_, err = f.s.Guidance.Search(ctx, f.officer, "the of AND for", guidance.GuidanceFilter{}, 1)
	wantCode(t, "search for common words only", err, core.EINVALID)
	if !strings.Contains(core.ErrorMessage(err), "common words") {
		t.Errorf("refusal of common words says %q", core.ErrorMessage(err))
	}
}
