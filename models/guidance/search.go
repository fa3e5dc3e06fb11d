package guidance

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
)

// The search index holds the current published version of every published document as plain
// text: publishing replaces a document's row in the transaction that publishes, so drafts and
// superseded versions are never found. PostgreSQL ranks with ts_rank over a weighted tsvector
// (title A, summary and tags B, body C) under a GIN index, and cuts snippets with ts_headline;
// SQLite ranks with FTS5's bm25 under the same weights and cuts snippets with snippet(). Both
// find stemmed English words (every word of the query but the commonest, which both leave out
// alike), return the same fields, and mark the matches in a snippet the same way; their scores
// are not comparable with each other.
//
// Ranking reads every candidate's terms, so a word found in nearly every document would cost a
// read of the whole library per page. The candidates are therefore the reader's matches, newest
// document first, at most 1,000 (which is also as far as the pages go): rare words are ranked
// among all their matches, very common ones among the newest, and the reader is told so.

// Snippet highlight marks: control characters, which searchableText keeps out of the index, so any
// in a snippet were put there by the database around a match.
const (
	snippetOpen  = "\x01"
	snippetClose = "\x02"
)

// guidanceNeedsDocument tells a condition that reads the document d.
var guidanceNeedsDocument = regexp.MustCompile(`\bd\.`)

// Search limits.
const (
	searchQueryLen  = 200
	searchMaxTerms  = 12
	searchPageSize  = 20
	searchMaxOffset = 1000

	// guidanceSearchCandidates bounds how many matches are ranked: the newest this many
	// documents among the reader's matches. It is also as far as the pages go.
	guidanceSearchCandidates = 1000
)

// index puts a version in the search index as its document's current version.
func (g *Service) index(ctx context.Context, documentID int64, v guidanceVersion, tags []string) error {
	body, err := guidancePlainText(v.Body)
	if err != nil {
		return err
	}
	title, summary, tagText := searchableText(v.Title), searchableText(v.Summary), searchableText(strings.Join(tags, " "))
	db := g.d.DB.Conn(ctx)
	if g.d.DB.Dialect() == core.DialectPostgres {
		return core.DBError(db.Exec(`INSERT INTO guidance_search (document_id, title, summary, tags, body) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (document_id) DO UPDATE SET title = EXCLUDED.title, summary = EXCLUDED.summary, tags = EXCLUDED.tags, body = EXCLUDED.body`,
			documentID, title, summary, tagText, body).Error)
	}
	if err := db.Exec("DELETE FROM guidance_search WHERE rowid = ?", documentID).Error; err != nil {
		return core.DBError(err)
	}
	return core.DBError(db.Exec("INSERT INTO guidance_search (rowid, document_id, title, summary, tags, body) VALUES (?, ?, ?, ?, ?, ?)",
		documentID, documentID, title, summary, tagText, body).Error)
}

// GuidanceSearchResult is a document found by a search, with a snippet of where it matched.
type GuidanceSearchResult struct {
	GuidanceDocument
	// SnippetHTML is text around the matches, HTML-escaped, with each match in <mark>.
	SnippetHTML string  `json:"snippet_html"`
	Score       float64 `json:"score"` // higher is better; compare only within one search
}

// GuidanceSearchResults is one page of results, best first.
type GuidanceSearchResults struct {
	Query   string                 `json:"query"`
	Results []GuidanceSearchResult `json:"results"`
	Page    int                    `json:"page"`
	More    bool                   `json:"more"` // there is a next page
	// Capped: more documents matched than are ranked (the newest 1,000): narrow the search.
	Capped bool `json:"capped"`
}

// guidanceSearchTerms splits a query into the words it searches for, leaving out the words too
// common to search for; stop says whether there were any.
func guidanceSearchTerms(q string) (terms []string, stop bool) {
	for _, w := range strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) {
		if len(terms) == searchMaxTerms {
			break
		}
		w = strings.ToLower(w)
		if _, common := guidanceStopWords[w]; common {
			stop = true
			continue
		}
		terms = append(terms, w)
	}
	return terms, stop
}

// guidanceStopWords are the words PostgreSQL's English configuration does not index (its
// english.stop list). FTS5 indexes every word, so both leave them out of a query alike: a
// search means the same on both.
var guidanceStopWords = func() map[string]struct{} {
	words := strings.Fields(`i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
		she her hers herself it its itself they them their theirs themselves what which who whom this that these those am
		is are was were be been being have has had having do does did doing a an the and but if or because as until while
		of at by for with about against between into through during before after above below to from up down in out on off
		over under again further then once here there when where why how all any both each few more most other some such no
		nor not only own same so than too very s t can will just don should now`)
	m := make(map[string]struct{}, len(words))
	for _, w := range words {
		m[w] = struct{}{}
	}
	return m
}()

// Search finds the published documents who may read that contain every word of query but the
// commonest (in their title, summary, tags or body, stemmed: "trafficked" finds "trafficking"),
// best match first,
// narrowed by f, a page at a time (page 1 first, 20 a page). The newest 1,000 matching
// documents are ranked; when more match, Capped says so, and the reader narrows the search.
// Who: anyone signed in. Errors: EINVALID (no words, only common ones, too long, a bad filter
// or page).
func (g *Service) Search(ctx context.Context, who core.Actor, query string, f GuidanceFilter, page int) (GuidanceSearchResults, error) {
	query = strings.TrimSpace(query)
	out := GuidanceSearchResults{Query: query, Results: []GuidanceSearchResult{}, Page: max(page, 1)}
	terms, stop := guidanceSearchTerms(query)
	switch {
	case utf8.RuneCountInString(query) > searchQueryLen:
		return out, core.Invalid("q", "Search terms must be 200 characters or fewer")
	case len(terms) == 0 && stop:
		return out, core.Invalid("q", "Search for words that say what the guidance is about: common words like “the”, “of” and “for” are not searched")
	case len(terms) == 0:
		return out, core.Invalid("q", "Enter words to search for")
	case page < 0 || (out.Page-1)*searchPageSize > searchMaxOffset:
		return out, core.Invalid("page", "There are no more results: narrow the search instead")
	}
	if err := f.validate(); err != nil {
		return out, err
	}
	scope, args, err := g.readerScope(ctx, who, false)
	if err != nil {
		return out, err
	}
	var where strings.Builder
	where.WriteString(scope)
	args = f.where(&where, args)
	offset := (out.Page - 1) * searchPageSize
	type hit struct {
		Doc        guidanceDocRow `gorm:"embedded"`
		Score      float64
		Candidates int
		Snippet    string
	}
	var hits []hit
	// The candidates (c) are the reader's matches, newest document first, at most
	// guidanceSearchCandidates (+1, to tell that there were more); only they are ranked (r), and
	// only the page of them is read in full. A word in nearly every document would otherwise
	// have every one of them scored for one page.
	var q, match string
	var all []any
	if g.d.DB.Dialect() == core.DialectPostgres {
		// The matches (m) come from the GIN index alone, never from testing each document's
		// terms in turn: a tsvector is stored out of line, and reading thousands of them to
		// test a common word costs more than the whole search may, yet the planner, which does
		// not count that cost, prefers it for common words; enable_seqscan is off for this
		// query below so that it does not. A document's current version is its one published
		// version, so the candidates (c) need the documents themselves only when the reader's
		// scope or the filter asks about them (an editor's own organisation, a chosen one);
		// without them, a common word's candidates come from a walk down the versions by
		// document that stops at the thousandth.
		match = strings.Join(terms, " ")
		from := "m JOIN guidance_versions v ON v.document_id = m.document_id AND v.status = 'published'"
		if guidanceNeedsDocument.MatchString(where.String()) {
			from += " JOIN guidance_documents d ON d.id = v.document_id"
		}
		q = "WITH m AS MATERIALIZED (SELECT document_id FROM guidance_search WHERE terms @@ plainto_tsquery('english', ?)), " +
			"c AS (SELECT v.document_id AS doc_id FROM " + from + " WHERE " + where.String() + " ORDER BY v.document_id DESC LIMIT ?), " +
			"r AS (SELECT c.doc_id, ts_rank(s.terms, plainto_tsquery('english', ?)) AS score, COUNT(*) OVER () AS candidates " +
			"FROM c JOIN guidance_search s ON s.document_id = c.doc_id ORDER BY score DESC, c.doc_id DESC LIMIT ? OFFSET ?) " +
			"SELECT " + guidanceDocColumns + ", r.score, r.candidates FROM r JOIN guidance_documents d ON d.id = r.doc_id " +
			"JOIN guidance_versions v ON v.id = d.current_version_id JOIN organisations o ON o.id = d.organisation_id " +
			"ORDER BY r.score DESC, d.id DESC"
		all = append(append([]any{match}, args...), guidanceSearchCandidates+1, match, searchPageSize+1, offset)
	} else {
		// FTS5: every term quoted (so nothing in it is query syntax), all required. bm25 is
		// lower for better matches; its weights follow the columns (document_id, title,
		// summary, tags, body, terms). CROSS JOIN keeps the index as the outer loop, read in
		// rowid (document) order.
		quoted := make([]string, len(terms))
		for i, t := range terms {
			quoted[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
		}
		match = strings.Join(quoted, " ")
		q = "SELECT " + guidanceDocColumns + ", r.score, r.candidates FROM (" +
			"SELECT c.doc_id, c.score, COUNT(*) OVER () AS candidates FROM (" +
			"SELECT guidance_search.rowid AS doc_id, -bm25(guidance_search, 0.0, 10.0, 4.0, 4.0, 1.0, 0.0) AS score " +
			"FROM guidance_search CROSS JOIN guidance_documents d ON d.id = guidance_search.rowid " +
			"JOIN guidance_versions v ON v.id = d.current_version_id WHERE guidance_search MATCH ? AND " + where.String() +
			" ORDER BY guidance_search.rowid DESC LIMIT ?) c ORDER BY c.score DESC, c.doc_id DESC LIMIT ? OFFSET ?) r " +
			"JOIN guidance_documents d ON d.id = r.doc_id JOIN guidance_versions v ON v.id = d.current_version_id " +
			"JOIN organisations o ON o.id = d.organisation_id ORDER BY r.score DESC, d.id DESC"
		all = append(append([]any{match}, args...), guidanceSearchCandidates+1, searchPageSize+1, offset)
	}
	if g.d.DB.Dialect() == core.DialectPostgres {
		// pgx prepares statements, and PostgreSQL then plans them for any words, which is the
		// wrong plan for most: a rare word and a common one want different joins. Plan each
		// search for its own words, without JIT (whose compile time is longer than the search),
		// without parallel workers (whose start-up is a good part of it) and without
		// sequential scans (see m above): settings local to a transaction of its own. (SQLite
		// plans every statement afresh, and its transactions here take the write lock: it runs
		// the query alone.)
		err = g.d.DB.InTx(ctx, func(ctx context.Context) error {
			if err := g.d.DB.Conn(ctx).Exec("SELECT set_config('plan_cache_mode', 'force_custom_plan', true), " +
				"set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true), " +
				"set_config('enable_seqscan', 'off', true)").Error; err != nil {
				return core.DBError(err)
			}
			return core.DBError(g.d.DB.Conn(ctx).Raw(q, all...).Scan(&hits).Error)
		})
	} else {
		err = core.DBError(g.d.DB.Conn(ctx).Raw(q, all...).Scan(&hits).Error)
	}
	if err != nil {
		return out, err
	}
	if len(hits) > 0 {
		out.Capped = hits[0].Candidates > guidanceSearchCandidates
	}
	if len(hits) > searchPageSize {
		hits, out.More = hits[:searchPageSize], true
	}
	ids := core.IDsOf(hits, func(h hit) int64 { return h.Doc.ID })
	snippets, err := g.snippets(ctx, match, ids)
	if err != nil {
		return out, err
	}
	for i := range hits {
		hits[i].Snippet = snippets[hits[i].Doc.ID]
	}
	rows := make([]guidanceDocRow, len(hits))
	for i, h := range hits {
		rows[i] = h.Doc
	}
	docs, err := g.documents(ctx, rows)
	if err != nil {
		return out, err
	}
	for i, d := range docs {
		out.Results = append(out.Results, GuidanceSearchResult{GuidanceDocument: d, Score: hits[i].Score, SnippetHTML: highlightSnippet(hits[i].Snippet)})
	}
	return out, nil
}

// snippets cuts, for each document in ids, text around the matches of match (the query as
// Search gave it to the database): from the body or, when only the title or tags matched,
// from the summary.
func (g *Service) snippets(ctx context.Context, match string, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		DocumentID int64
		Snippet    string
	}
	if g.d.DB.Dialect() == core.DialectPostgres {
		opts := `StartSel="` + snippetOpen + `", StopSel="` + snippetClose + `", MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`
		err := g.d.DB.Conn(ctx).Raw("SELECT document_id, ts_headline('english', summary || ' ' || body, plainto_tsquery('english', ?), ?) AS snippet "+
			"FROM guidance_search WHERE document_id IN ?", match, opts, ids).Scan(&rows).Error
		if err != nil {
			return nil, core.DBError(err)
		}
		for _, r := range rows {
			out[r.DocumentID] = r.Snippet
		}
		return out, nil
	}
	// FTS5 cuts one column at a time: the body first, and the summary only for the documents
	// whose body did not match.
	q := "SELECT rowid AS document_id, snippet(guidance_search, %d, char(1), char(2), ' … ', 24) AS snippet " +
		"FROM guidance_search WHERE guidance_search MATCH ? AND rowid IN ?"
	if err := g.d.DB.Conn(ctx).Raw(fmt.Sprintf(q, 4), match, ids).Scan(&rows).Error; err != nil {
		return nil, core.DBError(err)
	}
	var rest []int64
	for _, r := range rows {
		if strings.Contains(r.Snippet, snippetOpen) {
			out[r.DocumentID] = r.Snippet
		} else {
			rest = append(rest, r.DocumentID)
		}
	}
	if len(rest) == 0 {
		return out, nil
	}
	rows = nil
	if err := g.d.DB.Conn(ctx).Raw(fmt.Sprintf(q, 2), match, rest).Scan(&rows).Error; err != nil {
		return nil, core.DBError(err)
	}
	for _, r := range rows {
		out[r.DocumentID] = r.Snippet
	}
	return out, nil
}

// highlightSnippet escapes a snippet for HTML and turns the database's marks into <mark> elements. A
// snippet whose marks do not pair up is shown without highlighting rather than with broken
// markup.
func highlightSnippet(s string) string {
	e := html.EscapeString(s)
	depth := 0
	for _, r := range e {
		switch string(r) {
		case snippetOpen:
			depth++
		case snippetClose:
			depth--
		}
		if depth < 0 || depth > 1 {
			return strings.NewReplacer(snippetOpen, "", snippetClose, "").Replace(e)
		}
	}
	if depth != 0 {
		return strings.NewReplacer(snippetOpen, "", snippetClose, "").Replace(e)
	}
	return strings.NewReplacer(snippetOpen, "<mark>", snippetClose, "</mark>").Replace(e)
}
