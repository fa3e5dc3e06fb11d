package frontend

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/policies"
)

// The guidance library's pages. Every page that shows guidance carries the highest protective
// marking of what it shows, top and bottom (page.Classification); access is decided by the
// models operations, and the buttons offered follow what they report.

// highest is the highest of the markings, as the banner shows it ("" for none).
func highest(markings ...string) string {
	level := policies.Unmarked
	for _, m := range markings {
		if l, err := policies.ParseLevel(m); err == nil {
			level = max(level, l)
		}
	}
	return level.String()
}

// guidanceField points an error at the field of the page's form the error summary links to: a
// date's first box; the search box for a page link that is no good (the page number or cursor
// of the address, which the reader changes by searching again).
func guidanceField(err error) error {
	var me *core.Error
	if errors.As(err, &me) && me.Code == core.EINVALID {
		switch me.Field {
		case "next_review", "since":
			return core.Invalid(me.Field+"-day", me.Message)
		case "page", "after":
			return core.Invalid("q", me.Message)
		}
	}
	return err
}

// ---------------------------------------------------------------------------------------------
// Library home and search

// guidanceHomeView is the library home.
type guidanceHomeView struct {
	guidanceText
	Categories  []guidance.GuidanceCategoryCount
	New         []guidance.GuidanceDocument
	Outstanding []guidance.GuidanceDocument
	Actions     core.Actions // create, review (manage), report
}

// GuidanceHome serves GET /guidance: search, categories, what's new and what the reader still
// has to acknowledge.
func (p *Pages) GuidanceHome() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, a := c.Request.Context(), actor(c)
		g := p.s.Guidance
		cats, err := g.Categories(ctx, a)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		latest, err := g.List(ctx, a, guidance.GuidanceFilter{}, "", 10)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		outstanding, err := g.Outstanding(ctx, a)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		v := guidanceHomeView{Categories: cats, New: latest.Documents, Outstanding: outstanding,
			Actions: g.LibraryActions(ctx, a)}
		var marks []string
		for _, d := range append(slices.Clone(v.New), v.Outstanding...) {
			marks = append(marks, d.Classification)
		}
		p.render(c, http.StatusOK, "guidance_home", page{Title: "Guidance library", Classification: highest(marks...), Data: v})
	}
}

// guidanceSearchView is the search and browse page.
type guidanceSearchView struct {
	guidanceText
	Query         string
	Searched      bool
	Capped        bool // more matched than are ranked
	Results       []guidance.GuidanceSearchResult
	Documents     []guidance.GuidanceDocument
	Organisations []core.Organisation
	Pager         pager
}

// CategoryItems are the category filter's choices.
func (guidanceSearchView) CategoryItems(form url.Values) []item {
	values, labels := []string{""}, []string{"All categories"}
	for _, c := range guidance.GuidanceCategories() {
		values, labels = append(values, c.Slug), append(labels, c.Label)
	}
	return optionItems(values, labels, form.Get("category"))
}

// OrgItems are the organisation filter's choices.
func (v guidanceSearchView) OrgItems(form url.Values) []item {
	return orgOptions(v.Organisations, "All organisations", form.Get("organisation"))
}

// Snippet is a result's snippet: escaped by models, with only its <mark> elements as markup.
func (guidanceSearchView) Snippet(r guidance.GuidanceSearchResult) template.HTML {
	return template.HTML(r.SnippetHTML) //nolint:gosec // built by models.highlightSnippet: escaped text and <mark> only
}

// GuidanceSearch serves GET /guidance/search: a full-text search when q is given, otherwise the
// published documents newest first; either narrowed by category, tag, organisation and date.
func (p *Pages) GuidanceSearch() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, a := c.Request.Context(), actor(c)
		q := c.Request.URL.Query()
		v := guidanceSearchView{Query: strings.TrimSpace(q.Get("q"))}
		orgs, err := p.s.Organisations.List(ctx, a, false)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		v.Organisations = orgs
		data := page{Title: "Search guidance", Form: q, Data: &v}
		// The page's form uses a GOV.UK date input; the filter takes YYYY-MM-DD.
		if d, err := api.DateInput(q.Get, "since", "Updated since date"); err != nil {
			p.formFailed(c, guidanceField(err), "guidance_search", data, "q")
			return
		} else if d != nil {
			q.Set("since", d.Format(time.DateOnly))
		}
		c.Request.URL.RawQuery = q.Encode()
		f, err := api.GuidanceFilter(c)
		if err != nil {
			p.formFailed(c, guidanceField(err), "guidance_search", data, "q")
			return
		}
		var marks []string
		if v.Query != "" {
			n, _ := strconv.Atoi(q.Get("page"))
			res, err := p.s.Guidance.Search(ctx, a, v.Query, f, max(n, 1))
			if err != nil {
				p.formFailed(c, guidanceField(err), "guidance_search", data, "q")
				return
			}
			v.Searched, v.Results, v.Capped = true, res.Results, res.Capped
			for _, r := range res.Results {
				marks = append(marks, r.Classification)
			}
			if res.More {
				q.Set("page", strconv.Itoa(res.Page+1))
				v.Pager.NextURL = "/guidance/search?" + q.Encode()
			}
			if res.Page > 1 {
				q.Set("page", strconv.Itoa(res.Page-1))
				v.Pager.PrevURL = "/guidance/search?" + q.Encode()
			}
		} else {
			list, err := p.s.Guidance.List(ctx, a, f, q.Get("after"), 20)
			if err != nil {
				p.formFailed(c, guidanceField(err), "guidance_search", data, "q")
				return
			}
			v.Documents = list.Documents
			for _, d := range list.Documents {
				marks = append(marks, d.Classification)
			}
			v.Pager = linkTo("/guidance/search", q, list.Next)
			data.Title = "Browse guidance"
		}
		data.Classification = highest(marks...)
		p.render(c, http.StatusOK, "guidance_search", data)
	}
}

// ---------------------------------------------------------------------------------------------
// Reading a document

// guidanceDocView is a document's page.
type guidanceDocView struct {
	guidanceText
	Doc          guidance.GuidanceDocumentView
	Organisation string
	Audience     string
}

// Body is the version's rendered Markdown, sanitised by models.
func (v guidanceDocView) Body() template.HTML {
	return template.HTML(v.Doc.Version.BodyHTML) //nolint:gosec // rendered by goldmark without raw HTML, then sanitised by bluemonday
}

// audienceText describes an audience for people.
func (p *Pages) audienceText(c *gin.Context, a guidance.GuidanceAudience) string {
	text := guidance.GuidanceAudienceLabel(a.Scope)
	switch a.Scope {
	case guidance.GuidanceAudienceKinds:
		var kinds []string
		for _, k := range a.Kinds {
			kinds = append(kinds, k.Label())
		}
		text += ": " + strings.Join(kinds, ", ")
	case guidance.GuidanceAudienceOrganisations:
		orgs, err := p.s.Organisations.List(c.Request.Context(), actor(c), true)
		if err == nil {
			var names []string
			for _, o := range orgs {
				if slices.Contains(a.Organisations, o.ID) {
					names = append(names, o.Name)
				}
			}
			text += ": " + strings.Join(names, ", ")
		}
	}
	if len(a.Roles) > 0 {
		var roles []string
		for _, r := range a.Roles {
			roles = append(roles, roleLabel(r))
		}
		text += "; only " + strings.Join(roles, ", ")
	}
	return text
}

// GuidanceDocument serves GET /guidance/documents/:id.
func (p *Pages) GuidanceDocument() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		p.documentPage(c, id, http.StatusOK, nil)
	}
}

// documentPage renders a document's page, with the errors of a form on it (review) if any.
func (p *Pages) documentPage(c *gin.Context, id int64, status int, errs formErrors) {
	d, err := p.s.Guidance.Document(c.Request.Context(), actor(c), id)
	if err != nil {
		api.WriteError(c, err)
		return
	}
	v := guidanceDocView{Doc: d, Audience: p.audienceText(c, d.Version.Audience)}
	form := url.Values{}
	if errs != nil {
		_ = c.Request.ParseForm()
		form = c.Request.PostForm
		form.Del("csrf_token")
	}
	p.render(c, status, "guidance_document", page{Title: d.Version.Title, Classification: d.Version.Classification,
		Errors: errs, Form: form, Data: v})
}

// guidanceVersionView is one version's page, with the editors' and approvers' actions.
type guidanceVersionView struct {
	guidanceText
	Version  guidance.GuidanceVersion
	Audience string
}

// Body is the version's rendered Markdown, sanitised by models.
func (v guidanceVersionView) Body() template.HTML {
	return template.HTML(v.Version.BodyHTML) //nolint:gosec // rendered by goldmark without raw HTML, then sanitised by bluemonday
}

// Working reports whether the version is still being worked on.
func (v guidanceVersionView) Working() bool {
	switch v.Version.Status {
	case guidance.GuidanceDraft, guidance.GuidanceSubmitted, guidance.GuidanceReturned:
		return true
	}
	return false
}

// GuidanceVersion serves GET /guidance/versions/:id.
func (p *Pages) GuidanceVersion() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		p.versionPage(c, id, http.StatusOK, nil)
	}
}

// versionPage renders a version's page, with the errors of a form on it (attach, return).
func (p *Pages) versionPage(c *gin.Context, id int64, status int, errs formErrors) {
	v, err := p.s.Guidance.Version(c.Request.Context(), actor(c), id)
	if err != nil {
		api.WriteError(c, err)
		return
	}
	form := url.Values{}
	if errs != nil && c.ContentType() == "application/x-www-form-urlencoded" {
		_ = c.Request.ParseForm()
		form = c.Request.PostForm
		form.Del("csrf_token")
	}
	title := v.Title + " (version " + strconv.Itoa(v.Number) + ")"
	p.render(c, status, "guidance_version", page{Title: title, Classification: v.Classification, Errors: errs, Form: form,
		Data: guidanceVersionView{Version: v, Audience: p.audienceText(c, v.Audience)}})
}

// GuidanceHistory serves GET /guidance/documents/:id/history: every version the reader may see.
func (p *Pages) GuidanceHistory() gin.HandlerFunc {
	return func(c *gin.Context) {
		h, _, ok := pathObject(c, p.s.Guidance.History)
		if !ok {
			return
		}
		p.render(c, http.StatusOK, "guidance_history", page{Title: "History of " + h.Title, Classification: h.Classification,
			Form: c.Request.URL.Query(), Data: guidanceHistoryView{History: h}})
	}
}

// guidanceHistoryView is a document's history.
type guidanceHistoryView struct {
	guidanceText
	History guidance.GuidanceHistory
}

// Timeline is the history as MOJ timeline items, newest first.
func (v guidanceHistoryView) Timeline() []item {
	var out []item
	for i, s := range v.History.Versions {
		label, when := "Version "+strconv.Itoa(s.Number)+" drafted", s.CreatedAt
		switch {
		case s.PublishedAt != nil:
			label, when = "Version "+strconv.Itoa(s.Number)+" published", *s.PublishedAt
		case s.SubmittedAt != nil && s.Status == guidance.GuidanceSubmitted:
			label, when = "Version "+strconv.Itoa(s.Number)+" submitted for approval", *s.SubmittedAt
		case s.ReturnedAt != nil && s.Status == guidance.GuidanceReturned:
			label, when = "Version "+strconv.Itoa(s.Number)+" returned with comments", *s.ReturnedAt
		}
		var b strings.Builder
		b.WriteString(`<p class="govuk-body">`)
		if s.ChangeNote != "" {
			b.WriteString(template.HTMLEscapeString(s.ChangeNote))
		} else {
			b.WriteString("No change note.")
		}
		b.WriteString("</p>")
		if s.Major {
			b.WriteString(`<p class="govuk-body"><strong class="govuk-tag govuk-tag--orange">Major change</strong></p>`)
		}
		if s.Approver != nil {
			b.WriteString(`<p class="govuk-body">Approved by ` + template.HTMLEscapeString(s.Approver.Name) + `.</p>`)
		}
		if s.Status == guidance.GuidanceReturned && s.ReturnComment != "" {
			b.WriteString(`<p class="govuk-body">Returned: ` + template.HTMLEscapeString(s.ReturnComment) + `</p>`)
		}
		b.WriteString(`<ul class="govuk-list"><li><a class="govuk-link" href="/guidance/versions/` + strconv.FormatInt(s.ID, 10) + `">Read version ` + strconv.Itoa(s.Number) + `</a></li>`)
		if i+1 < len(v.History.Versions) {
			prev := v.History.Versions[i+1]
			b.WriteString(`<li><a class="govuk-link" href="/guidance/documents/` + strconv.FormatInt(v.History.DocumentID, 10) + `/diff?from=` +
				strconv.FormatInt(prev.ID, 10) + `&amp;to=` + strconv.FormatInt(s.ID, 10) + `">What changed from version ` + strconv.Itoa(prev.Number) + `</a></li>`)
		}
		b.WriteString("</ul>")
		out = append(out, item{
			"label":    map[string]any{"text": label},
			"byline":   map[string]any{"text": s.Author.Name},
			"datetime": map[string]any{"timestamp": when.UTC().Format(time.RFC3339), "type": "datetime"},
			"html":     template.HTML(b.String()), //nolint:gosec // every value above is escaped
		})
	}
	return out
}

// VersionItems are the versions as select items, with the posted one selected.
func (v guidanceHistoryView) VersionItems(picked string) []item {
	var values, labels []string
	for _, s := range v.History.Versions {
		values = append(values, strconv.FormatInt(s.ID, 10))
		labels = append(labels, "Version "+strconv.Itoa(s.Number)+" ("+statusLabel(s.Status)+")")
	}
	return optionItems(values, labels, picked)
}

// statusLabel names a version status for people.
func statusLabel(s string) string {
	switch s {
	case guidance.GuidanceDraft:
		return "draft"
	case guidance.GuidanceSubmitted:
		return "waiting for approval"
	case guidance.GuidanceReturned:
		return "returned with comments"
	case guidance.GuidancePublished:
		return "published"
	case guidance.GuidanceSuperseded:
		return "superseded"
	}
	return s
}

// GuidanceDiff serves GET /guidance/documents/:id/diff?from=&to=: what changed in the body.
func (p *Pages) GuidanceDiff() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		from, _ := strconv.ParseInt(c.Query("from"), 10, 64)
		to, _ := strconv.ParseInt(c.Query("to"), 10, 64)
		if from <= 0 || to <= 0 {
			api.WriteError(c, core.NotFound("Guidance not found"))
			return
		}
		d, err := p.s.Guidance.Diff(c.Request.Context(), actor(c), id, from, to)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		title := "Changes from version " + strconv.Itoa(d.FromVersion.Number) + " to version " + strconv.Itoa(d.ToVersion.Number)
		p.render(c, http.StatusOK, "guidance_diff", page{Title: title, Classification: d.Classification, Data: guidanceDiffView{Diff: d}})
	}
}

// GuidanceAcknowledge serves POST /guidance/documents/:id/acknowledge.
func (p *Pages) GuidanceAcknowledge() gin.HandlerFunc {
	return p.guidanceAction(func(c *gin.Context, id int64) (string, error) {
		_, err := p.s.Guidance.Acknowledge(c.Request.Context(), actor(c), id)
		return "/guidance/documents/" + strconv.FormatInt(id, 10), err
	}, "guidance-acknowledged")
}

// guidanceAction serves a button: one operation on :id, then the page it leads to with a
// message.
func (p *Pages) guidanceAction(do func(c *gin.Context, id int64) (string, error), flash string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		to, err := do(c, id)
		p.done(c, err, flash, to)
	}
}

// ---------------------------------------------------------------------------------------------
// Writing

// guidanceFormView is the draft form: new guidance or a change to a version.
type guidanceFormView struct {
	guidanceText
	Version       *guidance.GuidanceVersion // nil for new guidance
	Organisations []core.Organisation
}

// CategoryItems are the category choices.
func (guidanceFormView) CategoryItems(form url.Values) []item {
	values, labels := []string{""}, []string{"Select a category"}
	for _, c := range guidance.GuidanceCategories() {
		values, labels = append(values, c.Slug), append(labels, c.Label)
	}
	return optionItems(values, labels, form.Get("category"))
}

// ClassificationItems are the protective marking radios.
func (guidanceFormView) ClassificationItems(form url.Values) []item {
	items := choiceItems([]string{"OFFICIAL", "OFFICIAL-SENSITIVE"}, []string{"OFFICIAL", "OFFICIAL-SENSITIVE"}, []string{form.Get("classification")})
	items[1]["hint"] = map[string]any{"text": "Only readers whose vetting covers OFFICIAL-SENSITIVE will see it."}
	return items
}

// ScopeItems are the audience radios.
func (guidanceFormView) ScopeItems(form url.Values) []item {
	scopes := guidance.GuidanceAudienceScopes()
	labels := make([]string, len(scopes))
	for i, s := range scopes {
		labels[i] = guidance.GuidanceAudienceLabel(s)
	}
	items := choiceItems(scopes, labels, []string{form.Get("audience_scope")})
	items[0]["hint"] = map[string]any{"text": "Police forces, regional organised crime units, the agencies and the programme. Not CPS areas."}
	return items
}

// KindItems are the kinds of organisation to choose.
func (guidanceFormView) KindItems(form url.Values) []item {
	return orgKindItems(form["audience_kinds"])
}

// OrgItems are the organisations to choose.
func (v guidanceFormView) OrgItems(form url.Values) []item {
	var values, labels []string
	for _, o := range v.Organisations {
		values, labels = append(values, strconv.FormatInt(o.ID, 10)), append(labels, o.Name)
	}
	return choiceItems(values, labels, form["audience_organisations"])
}

// RoleItems are the roles to narrow the audience to.
func (guidanceFormView) RoleItems(form url.Values) []item {
	return roleItems(core.Roles(), form["audience_roles"])
}

// OptionItems are the acknowledgement and major-change checkboxes.
func (v guidanceFormView) OptionItems(form url.Values) []item {
	items := []item{{"value": "requires_ack", "text": "Readers must acknowledge they have read it",
		"hint": map[string]any{"text": "It will appear in their list of guidance to acknowledge."}, "checked": slices.Contains(form["options"], "requires_ack")}}
	if v.Version != nil && v.Version.Number > 1 {
		items = append(items, item{"value": "major", "text": "This is a major change: everyone must acknowledge it again",
			"checked": slices.Contains(form["options"], "major")})
	}
	return items
}

// guidanceInput reads the posted draft form.
func guidanceInput(c *gin.Context) guidance.GuidanceInput {
	in := guidance.GuidanceInput{Title: c.PostForm("title"), Summary: c.PostForm("summary"), Body: c.PostForm("body"),
		Category: c.PostForm("category"), Tags: []string{c.PostForm("tags")}, Classification: c.PostForm("classification"),
		ChangeNote: c.PostForm("change_note")}
	in.Audience.Scope = c.PostForm("audience_scope")
	for _, k := range c.PostFormArray("audience_kinds") {
		in.Audience.Kinds = append(in.Audience.Kinds, core.OrgKind(k))
	}
	for _, o := range c.PostFormArray("audience_organisations") {
		if id, err := strconv.ParseInt(o, 10, 64); err == nil {
			in.Audience.Organisations = append(in.Audience.Organisations, id)
		}
	}
	in.Audience.Roles = c.PostFormArray("audience_roles")
	opts := c.PostFormArray("options")
	in.RequiresAck, in.Major = slices.Contains(opts, "requires_ack"), slices.Contains(opts, "major")
	return in
}

// versionForm is the form of a version as it stands.
func versionForm(v guidance.GuidanceVersion) url.Values {
	form := url.Values{"title": {v.Title}, "summary": {v.Summary}, "body": {v.Body}, "category": {v.Category},
		"tags": {strings.Join(v.Tags, ", ")}, "classification": {v.Classification}, "audience_scope": {v.Audience.Scope},
		"audience_roles": v.Audience.Roles, "change_note": {v.ChangeNote}}
	for _, k := range v.Audience.Kinds {
		form.Add("audience_kinds", string(k))
	}
	for _, o := range v.Audience.Organisations {
		form.Add("audience_organisations", strconv.FormatInt(o, 10))
	}
	if v.RequiresAck {
		form.Add("options", "requires_ack")
	}
	if v.Major {
		form.Add("options", "major")
	}
	return form
}

func (p *Pages) guidanceForm(c *gin.Context, v *guidance.GuidanceVersion) (guidanceFormView, error) {
	orgs, err := p.s.Organisations.List(c.Request.Context(), actor(c), false)
	return guidanceFormView{Version: v, Organisations: orgs}, err
}

// GuidanceNewForm serves GET /guidance/new.
func (p *Pages) GuidanceNewForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		f, ok := newForm(c, p.s.Guidance.MayDraft, p.guidanceForm)
		if !ok {
			return
		}
		form := url.Values{"classification": {"OFFICIAL"}, "audience_scope": {guidance.GuidanceAudienceEveryone}}
		p.render(c, http.StatusOK, "guidance_form", page{Title: "Draft new guidance", Form: form, Data: f})
	}
}

// GuidanceCreate serves POST /guidance/new.
func (p *Pages) GuidanceCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, err := p.s.Guidance.Create(c.Request.Context(), actor(c), guidanceInput(c))
		if err != nil {
			f, ferr := p.guidanceForm(c, nil)
			if ferr != nil {
				api.WriteError(c, ferr)
				return
			}
			// What was typed is shown again: marked as its author chose to mark it.
			p.formFailed(c, err, "guidance_form", page{Title: "Draft new guidance", Classification: highest(c.PostForm("classification")), Data: f}, "title")
			return
		}
		p.app.SetFlash(c, "guidance-created")
		api.Redirect(c, "/guidance/versions/"+strconv.FormatInt(v.ID, 10))
	}
}

// GuidanceEditForm serves GET /guidance/versions/:id/edit.
func (p *Pages) GuidanceEditForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		v, f, ok := editForm(c, id, p.s.Guidance.VersionForEdit, p.guidanceForm)
		if !ok {
			return
		}
		p.render(c, http.StatusOK, "guidance_form", page{Title: "Change version " + strconv.Itoa(v.Number) + " of " + v.Title,
			Classification: v.Classification, Form: versionForm(v), Data: f})
	}
}

// GuidanceUpdate serves POST /guidance/versions/:id/edit.
func (p *Pages) GuidanceUpdate() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		if _, err := p.s.Guidance.UpdateDraft(c.Request.Context(), actor(c), id, guidanceInput(c)); err != nil {
			if v, f, ok := editForm(c, id, p.s.Guidance.Version, p.guidanceForm); ok {
				p.formFailed(c, err, "guidance_form", page{Title: "Change version " + strconv.Itoa(v.Number) + " of " + v.Title,
					Classification: highest(v.Classification, c.PostForm("classification")), Data: f}, "title")
			}
			return
		}
		p.app.SetFlash(c, "guidance-updated")
		api.Redirect(c, "/guidance/versions/"+strconv.FormatInt(id, 10))
	}
}

// GuidanceAttach serves POST /guidance/versions/:id/attachments: files streamed from the
// upload form to the blob store.
func (p *Pages) GuidanceAttach() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		_, err := p.s.Guidance.AddAttachments(c.Request.Context(), actor(c), id, p.app.Cfg.MaxAttachmentBytes, api.NewGuidanceUploads(c).Next)
		if err != nil {
			// A refused file is shown at the file input, whichever check refused it.
			if code := core.ErrorCode(err); code == core.ETOOLARGE || code == core.EINVALID {
				p.versionPage(c, id, api.StatusOf(code), formErrors{{Field: "file", Message: core.ErrorMessage(err)}})
				return
			}
			api.WriteError(c, err)
			return
		}
		p.app.SetFlash(c, "guidance-attached")
		api.Redirect(c, "/guidance/versions/"+strconv.FormatInt(id, 10))
	}
}

// GuidanceRemoveAttachment serves POST /guidance/attachments/:id/remove.
func (p *Pages) GuidanceRemoveAttachment() gin.HandlerFunc {
	return p.guidanceAction(func(c *gin.Context, id int64) (string, error) {
		v, err := p.s.Guidance.RemoveAttachment(c.Request.Context(), actor(c), id)
		return "/guidance/versions/" + strconv.FormatInt(v.ID, 10), err
	}, "guidance-attachment-removed")
}

// GuidanceSubmit serves POST /guidance/versions/:id/submit.
func (p *Pages) GuidanceSubmit() gin.HandlerFunc {
	return p.guidanceAction(func(c *gin.Context, id int64) (string, error) {
		_, err := p.s.Guidance.Submit(c.Request.Context(), actor(c), id)
		return "/guidance/versions/" + strconv.FormatInt(id, 10), err
	}, "guidance-submitted")
}

// GuidancePublish serves POST /guidance/versions/:id/publish.
func (p *Pages) GuidancePublish() gin.HandlerFunc {
	return p.guidanceAction(func(c *gin.Context, id int64) (string, error) {
		// The version as the approver read it: a page from before it was sent again publishes
		// nothing (a missing or damaged value is such a page).
		seen, _ := time.Parse(time.RFC3339Nano, c.PostForm("submitted_at"))
		v, err := p.s.Guidance.PublishAsSeen(c.Request.Context(), actor(c), id, seen)
		if err != nil {
			return "/guidance/versions/" + strconv.FormatInt(id, 10), err
		}
		return "/guidance/documents/" + strconv.FormatInt(v.DocumentID, 10), nil
	}, "guidance-published")
}

// GuidanceReturn serves POST /guidance/versions/:id/return: a comment is required.
func (p *Pages) GuidanceReturn() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		if _, err := p.s.Guidance.Return(c.Request.Context(), actor(c), id, c.PostForm("comment")); err != nil {
			refill(c, err, nil, func(status int, _ url.Values, errs formErrors) { p.versionPage(c, id, status, errs) })
			return
		}
		p.app.SetFlash(c, "guidance-returned")
		api.Redirect(c, "/guidance/versions/"+strconv.FormatInt(id, 10))
	}
}

// GuidanceStartVersion serves POST /guidance/documents/:id/versions.
func (p *Pages) GuidanceStartVersion() gin.HandlerFunc {
	return p.guidanceAction(func(c *gin.Context, id int64) (string, error) {
		v, err := p.s.Guidance.StartVersion(c.Request.Context(), actor(c), id)
		return "/guidance/versions/" + strconv.FormatInt(v.ID, 10) + "/edit", err
	}, "guidance-version-started")
}

// GuidanceReview serves POST /guidance/documents/:id/review: reviewed, no change, with the next
// review date (twelve months from today when left empty).
func (p *Pages) GuidanceReview() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		next, err := api.DateInput(c.PostForm, "next_review", "Next review date")
		if err == nil {
			_, err = p.s.Guidance.Review(c.Request.Context(), actor(c), id, next)
		}
		if err != nil {
			refill(c, guidanceField(err), nil, func(status int, _ url.Values, errs formErrors) { p.documentPage(c, id, status, errs) })
			return
		}
		p.app.SetFlash(c, "guidance-reviewed")
		api.Redirect(c, "/guidance/documents/"+strconv.FormatInt(id, 10))
	}
}

// ---------------------------------------------------------------------------------------------
// Owners and managers

// guidanceDashboardView is the owners' dashboard.
type guidanceDashboardView struct {
	guidanceText
	Dashboard guidance.GuidanceDashboard
	Actions   core.Actions // create: draft new guidance
}

// Decide are the submitted versions the actor may decide on.
func (v guidanceDashboardView) Decide() []guidance.GuidanceWorkItem {
	var out []guidance.GuidanceWorkItem
	for _, w := range v.Dashboard.Working {
		if w.YoursToDecide {
			out = append(out, w)
		}
	}
	return out
}

// GuidanceDashboard serves GET /guidance/manage.
func (p *Pages) GuidanceDashboard() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, a := c.Request.Context(), actor(c)
		d, err := p.s.Guidance.Dashboard(ctx, a)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "guidance_dashboard", page{Title: "Your organisation's guidance", Classification: d.Classification,
			Data: guidanceDashboardView{Dashboard: d, Actions: p.s.Guidance.LibraryActions(ctx, a)}})
	}
}

// GuidanceAcknowledgements serves GET /guidance/acknowledgements.
func (p *Pages) GuidanceAcknowledgements() gin.HandlerFunc {
	return func(c *gin.Context) {
		r, err := p.s.Guidance.AcknowledgementReport(c.Request.Context(), actor(c))
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "guidance_acknowledgements", page{Title: "Acknowledgements in " + r.Organisation,
			Classification: r.Classification, Data: guidanceReportView{Report: r}})
	}
}

// GuidanceAcknowledgementsOf serves GET /guidance/acknowledgements/:id.
func (p *Pages) GuidanceAcknowledgementsOf() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, _, ok := pathView(c, p.acknowledgementsOf)
		if !ok {
			return
		}
		p.render(c, http.StatusOK, "guidance_acknowledgements_document", page{Title: v.Doc.Title,
			Classification: v.Doc.Classification, Data: v})
	}
}

// acknowledgementsOf is who has acknowledged document id in the actor's organisation.
func (p *Pages) acknowledgementsOf(c *gin.Context, id int64) (guidanceAckView, error) {
	d, r, err := p.s.Guidance.AcknowledgementsOf(c.Request.Context(), actor(c), id)
	return guidanceAckView{Doc: d, Organisation: r.Organisation}, err
}

// guidanceAckView is one document's acknowledgements.
type guidanceAckView struct {
	guidanceText
	Doc          guidance.GuidanceAckDocument
	Organisation string
}

// guidanceText names things of the library for people; the views embed it so templates can
// call its methods.
type guidanceText struct{}

// CategoryLabel names a category.
func (guidanceText) CategoryLabel(slug string) string { return guidance.GuidanceCategoryLabel(slug) }

// StatusLabel names a version status.
func (guidanceText) StatusLabel(s string) string { return statusLabel(s) }

// StatusTag is the tag colour of a version status.
func (guidanceText) StatusTag(s string) string {
	switch s {
	case guidance.GuidanceDraft:
		return "govuk-tag--grey"
	case guidance.GuidanceSubmitted:
		return "govuk-tag--blue"
	case guidance.GuidanceReturned:
		return "govuk-tag--orange"
	case guidance.GuidancePublished:
		return "govuk-tag--green"
	}
	return "govuk-tag--grey"
}

// Size prints a file size the way people read it.
func (guidanceText) Size(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt((n+512)>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// Sensitive reports whether a marking is OFFICIAL-SENSITIVE, which lists flag.
func (guidanceText) Sensitive(marking string) bool {
	return marking == policies.OfficialSensitive.String()
}

// guidanceDiffView is what changed between two versions.
type guidanceDiffView struct {
	guidanceText
	Diff guidance.GuidanceDiff
}

// guidanceReportView is an organisation's acknowledgement report.
type guidanceReportView struct {
	guidanceText
	Report guidance.GuidanceAckReport
}
