package models

import (
	"context"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The search index holds the current published version of every published document as plain
// text: publishing replaces a document's row in the transaction that publishes, so drafts and
// superseded versions are never found. PostgreSQL ranks with ts_rank over a weighted tsvector
// (title A, summary and tags B, body C) under a GIN index, and cuts snippets with ts_headline;
// SQLite ranks with FTS5's bm25 under the same weights and cuts snippets with snippet(). Both
// find stemmed English words (all of them), return the same fields, and mark the matches in a
// snippet the same way; their scores are not comparable with each other.
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
func (g *Guidance) index(ctx context.Context, documentID int64, v guidanceVersion, tags []string) error {
	body, err := guidancePlainText(v.Body)
	if err != nil {
		return err
	}
	title, summary, tagText := searchableText(v.Title), searchableText(v.Summary), searchableText(strings.Join(tags, " "))
	db := g.d.DB.conn(ctx)
	if g.d.DB.dialect == DialectPostgres {
		return dbError(db.Exec(`INSERT INTO guidance_search (document_id, title, summary, tags, body) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (document_id) DO UPDATE SET title = EXCLUDED.title, summary = EXCLUDED.summary, tags = EXCLUDED.tags, body = EXCLUDED.body`,
			documentID, title, summary, tagText, body).Error)
	}
	if err := db.Exec("DELETE FROM guidance_search WHERE rowid = ?", documentID).Error; err != nil {
		return dbError(err)
	}
	return dbError(db.Exec("INSERT INTO guidance_search (rowid, document_id, title, summary, tags, body) VALUES (?, ?, ?, ?, ?, ?)",
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

// guidanceSearchTerms splits a query into the words it searches for.
func guidanceSearchTerms(q string) []string {
	var terms []string
	for _, w := range strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) {
		if len(terms) == searchMaxTerms {
			break
		}
		terms = append(terms, strings.ToLower(w))
	}
	return terms
}

// Search finds the published documents who may read that contain every word of query (in their
// title, summary, tags or body, stemmed: "trafficked" finds "trafficking"), best match first,
// narrowed by f, a page at a time (page 1 first, 20 a page). The newest 1,000 matching
// documents are ranked; when more match, Capped says so, and the reader narrows the search.
// Who: anyone signed in. Errors: EINVALID (no words, too long, a bad filter or page).
func (g *Guidance) Search(ctx context.Context, who Actor, query string, f GuidanceFilter, page int) (GuidanceSearchResults, error) {
	query = strings.TrimSpace(query)
	out := GuidanceSearchResults{Query: query, Results: []GuidanceSearchResult{}, Page: max(page, 1)}
	terms := guidanceSearchTerms(query)
	switch {
	case utf8.RuneCountInString(query) > searchQueryLen:
		return out, Invalid("q", "Search for 200 characters or fewer")
	case len(terms) == 0:
		return out, Invalid("q", "Enter words to search for")
	case page < 0 || (out.Page-1)*searchPageSize > searchMaxOffset:
		return out, Invalid("page", "There are no more results: narrow the search instead")
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
	// The candidates are the reader's matches, newest document first, at most
	// guidanceSearchCandidates (+1, to tell that there were more); only they are ranked. A word
	// in nearly every document would otherwise have every one of them scored for one page.
	var q, match string
	if g.d.DB.dialect == DialectPostgres {
		// Scored outside the choice of candidates, so only the candidates are scored (PostgreSQL
		// would otherwise score every match before sorting them by document).
		match = strings.Join(terms, " ")
		q = "SELECT " + guidanceDocColumns + ", ts_rank(s.terms, plainto_tsquery('english', ?)) AS score, COUNT(*) OVER () AS candidates FROM (" +
			"SELECT d.id AS doc_id FROM guidance_search s JOIN guidance_documents d ON d.id = s.document_id " +
			"JOIN guidance_versions v ON v.id = d.current_version_id CROSS JOIN plainto_tsquery('english', ?) AS q(q) " +
			"WHERE s.terms @@ q.q AND " + where.String() + " ORDER BY d.id DESC LIMIT ?) c " +
			"JOIN guidance_search s ON s.document_id = c.doc_id JOIN guidance_documents d ON d.id = c.doc_id " +
			"JOIN guidance_versions v ON v.id = d.current_version_id JOIN organisations o ON o.id = d.organisation_id " +
			"ORDER BY score DESC, d.id DESC LIMIT ? OFFSET ?"
		args = append([]any{match}, args...)
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
		q = "SELECT " + guidanceDocColumns + ", c.score, COUNT(*) OVER () AS candidates FROM (" +
			"SELECT guidance_search.rowid AS doc_id, -bm25(guidance_search, 0.0, 10.0, 4.0, 4.0, 1.0, 0.0) AS score " +
			"FROM guidance_search CROSS JOIN guidance_documents d ON d.id = guidance_search.rowid " +
			"JOIN guidance_versions v ON v.id = d.current_version_id WHERE guidance_search MATCH ? AND " + where.String() +
			" ORDER BY guidance_search.rowid DESC LIMIT ?) c " +
			"JOIN guidance_documents d ON d.id = c.doc_id JOIN guidance_versions v ON v.id = d.current_version_id " +
			"JOIN organisations o ON o.id = d.organisation_id ORDER BY c.score DESC, d.id DESC LIMIT ? OFFSET ?"
	}
	all := append([]any{match}, args...)
	all = append(all, guidanceSearchCandidates+1, searchPageSize+1, offset)
	if g.d.DB.dialect == DialectPostgres {
		// pgx prepares statements, and PostgreSQL then plans them for any words, which is the
		// wrong plan for most: a rare word wants the GIN index, a common one the documents in
		// order. Plan each search for its own words, without JIT (whose compile time is longer
		// than the search) and without parallel workers (whose start-up is a good part of
		// it): settings local to a transaction of its own. (SQLite plans every statement
		// afresh, and its transactions here take the write lock: it runs the query alone.)
		err = g.d.DB.InTx(ctx, func(ctx context.Context) error {
			if err := g.d.DB.conn(ctx).Exec("SELECT set_config('plan_cache_mode', 'force_custom_plan', true), " +
				"set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)").Error; err != nil {
				return dbError(err)
			}
			return dbError(g.d.DB.conn(ctx).Raw(q, all...).Scan(&hits).Error)
		})
	} else {
		err = dbError(g.d.DB.conn(ctx).Raw(q, all...).Scan(&hits).Error)
	}
	if err != nil {
		return out, err
	}
	if len(hits) > 0 {
		out.Capped = hits[0].Candidates > guidanceSearchCandidates
		// Snippets for the page only: text around the matches in the body, or in the summary
		// when only the title or tags matched.
		ids := make([]int64, 0, len(hits))
		for _, h := range hits {
			ids = append(ids, h.Doc.ID)
		}
		var snippets []struct {
			DocumentID int64
			Snippet    string
		}
		var sq string
		var sargs []any
		if g.d.DB.dialect == DialectPostgres {
			opts := `StartSel="` + snippetOpen + `", StopSel="` + snippetClose + `", MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`
			sq = "SELECT document_id, ts_headline('english', summary || ' ' || body, plainto_tsquery('english', ?), ?) AS snippet " +
				"FROM guidance_search WHERE document_id IN ?"
			sargs = []any{match, opts, ids}
		} else {
			sq = "SELECT rowid AS document_id, CASE WHEN instr(snippet(guidance_search, 4, char(1), char(2), ' … ', 24), char(1)) > 0 " +
				"THEN snippet(guidance_search, 4, char(1), char(2), ' … ', 24) ELSE snippet(guidance_search, 2, char(1), char(2), ' … ', 24) END AS snippet " +
				"FROM guidance_search WHERE guidance_search MATCH ? AND rowid IN ?"
			sargs = []any{match, ids}
		}
		if err := g.d.DB.conn(ctx).Raw(sq, sargs...).Scan(&snippets).Error; err != nil {
			return out, dbError(err)
		}
		byID := map[int64]string{}
		for _, s := range snippets {
			byID[s.DocumentID] = s.Snippet
		}
		for i := range hits {
			hits[i].Snippet = byID[hits[i].Doc.ID]
		}
	}
	if len(hits) > searchPageSize {
		hits, out.More = hits[:searchPageSize], true
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
