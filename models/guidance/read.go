package guidance

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// GuidancePerson names a user beside something they did.
type GuidancePerson struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// GuidanceAttachment is a file attached to a version.
type GuidanceAttachment struct {
	ID          int64     `json:"id"`
	VersionID   int64     `json:"version_id"`
	Name        string    `json:"name"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	SHA256      string    `json:"sha256"`
	CreatedAt   time.Time `json:"created_at"`
}

// GuidanceVersion is one version of a document as pages and the API show it.
type GuidanceVersion struct {
	ID             int64                `json:"id"`
	DocumentID     int64                `json:"document_id"`
	Number         int                  `json:"number"`
	Status         string               `json:"status"`
	Title          string               `json:"title"`
	Summary        string               `json:"summary"`
	Body           string               `json:"body"`      // Markdown, as written
	BodyHTML       string               `json:"body_html"` // rendered and sanitised
	Category       string               `json:"category"`
	Tags           []string             `json:"tags"`
	Classification string               `json:"classification"`
	Audience       GuidanceAudience     `json:"audience"`
	RequiresAck    bool                 `json:"requires_acknowledgement"`
	Major          bool                 `json:"major"`
	ChangeNote     string               `json:"change_note"`
	Author         GuidancePerson       `json:"author"`
	CreatedAt      time.Time            `json:"created_at"`
	UpdatedAt      time.Time            `json:"updated_at"`
	SubmittedAt    *time.Time           `json:"submitted_at,omitempty"`
	Approver       *GuidancePerson      `json:"approver,omitempty"`
	PublishedAt    *time.Time           `json:"published_at,omitempty"`
	SupersededAt   *time.Time           `json:"superseded_at,omitempty"`
	ReturnedAt     *time.Time           `json:"returned_at,omitempty"`
	ReturnedBy     *GuidancePerson      `json:"returned_by,omitempty"`
	ReturnComment  string               `json:"return_comment,omitempty"`
	Attachments    []GuidanceAttachment `json:"attachments"`

	// What the actor may do with this version (edit, submit, publish, return): for buttons;
	// the operations decide again.
	Actions core.Actions `json:"actions"`
	// WroteIt is set when the actor is an approver who may not decide on this version only
	// because they wrote part of it (four eyes): the page says so.
	WroteIt bool `json:"-"`
	// Can is Actions and WroteIt as the API returned them before Actions. Deprecated: read
	// actions.
	Can GuidanceVersionActions `json:"can"`
}

// GuidanceVersionActions is the "can" object of a version in the API. Deprecated: kept for API
// clients; GuidanceVersion.Actions says the same.
type GuidanceVersionActions struct {
	Edit    bool `json:"edit"`
	Submit  bool `json:"submit"`
	Publish bool `json:"publish"`
	Return  bool `json:"return"`
	// WroteIt is set when the actor is an approver who may not approve this version because
	// they wrote part of it (four eyes).
	WroteIt bool `json:"wrote_it"`
}

// GuidanceDocument is a document as lists and search results show it: its current published
// version in brief.
type GuidanceDocument struct {
	ID             int64      `json:"id"`
	OrganisationID int64      `json:"organisation_id"`
	Organisation   string     `json:"organisation"`
	VersionID      int64      `json:"version_id"`
	Number         int        `json:"version"`
	Title          string     `json:"title"`
	Summary        string     `json:"summary"`
	Category       string     `json:"category"`
	Tags           []string   `json:"tags"`
	Classification string     `json:"classification"`
	RequiresAck    bool       `json:"requires_acknowledgement"`
	PublishedAt    *time.Time `json:"published_at,omitempty"`
	ReviewDueOn    *time.Time `json:"review_due_on,omitempty"`
}

// GuidanceDocumentView is a document's page: the version the actor reads, the version being
// worked on (for its editors and approvers), and what the actor has to do.
type GuidanceDocumentView struct {
	ID             int64            `json:"id"`
	OrganisationID int64            `json:"organisation_id"`
	Organisation   string           `json:"organisation"`
	Version        GuidanceVersion  `json:"version"`        // the current published version, or for editors the newest
	Open           *GuidanceVersion `json:"open,omitempty"` // the version being worked on, for editors and approvers
	ReviewDueOn    *time.Time       `json:"review_due_on,omitempty"`
	ReviewState    string           `json:"review_state,omitempty"` // GuidanceReviewOverdue, ...DueSoon or ...Current
	ReviewedAt     *time.Time       `json:"reviewed_at,omitempty"`
	// Acknowledged is when the actor acknowledged the current version (or one since the last
	// major version); nil when they have not. MustAcknowledge says they still have to.
	Acknowledged    *time.Time `json:"acknowledged_at,omitempty"`
	MustAcknowledge bool       `json:"must_acknowledge"`
	// What the actor may do with the document (start_version, review, acknowledge).
	Actions core.Actions `json:"actions"`
	// Can is Actions as the API returned them before Actions. Deprecated: read actions.
	Can GuidanceDocumentActions `json:"can"`
}

// GuidanceDocumentActions is the "can" object of a document in the API. Deprecated: kept for
// API clients; GuidanceDocumentView.Actions says the same.
type GuidanceDocumentActions struct {
	StartVersion bool `json:"start_version"`
	Review       bool `json:"review"`
	Acknowledge  bool `json:"acknowledge"`
}

// people names users by id.
func (g *Service) people(ctx context.Context, ids ...*int64) (map[int64]string, error) {
	var want []int64
	for _, id := range ids {
		if id != nil && *id != 0 {
			want = append(want, *id)
		}
	}
	out := map[int64]string{}
	if len(want) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   int64
		Name string
	}
	if err := g.d.DB.Conn(ctx).Table("users").Select("id, name").Where("id IN ?", want).Find(&rows).Error; err != nil {
		return nil, core.DBError(err)
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

func guidancePersonOf(names map[int64]string, id *int64) *GuidancePerson {
	if id == nil || *id == 0 {
		return nil
	}
	return &GuidancePerson{ID: *id, Name: names[*id]}
}

// view builds what pages show of a loaded version that who may read, with the actions open to
// them.
func (g *Service) view(ctx context.Context, who core.Actor, l *loadedVersion, obj policies.Object) (GuidanceVersion, error) {
	v := l.v
	names, err := g.people(ctx, &v.AuthorID, v.ApproverID, v.ReturnedBy)
	if err != nil {
		return GuidanceVersion{}, err
	}
	html, err := RenderGuidanceMarkdown(v.Body)
	if err != nil {
		return GuidanceVersion{}, err
	}
	out := GuidanceVersion{ID: v.ID, DocumentID: v.DocumentID, Number: v.Number, Status: v.Status, Title: v.Title,
		Summary: v.Summary, Body: v.Body, BodyHTML: html, Category: v.Category, Tags: l.tags,
		Classification: v.level().String(), Audience: l.audience, RequiresAck: v.RequiresAck, Major: v.Major,
		ChangeNote: v.ChangeNote, Author: GuidancePerson{ID: v.AuthorID, Name: names[v.AuthorID]}, CreatedAt: v.CreatedAt,
		UpdatedAt: v.UpdatedAt, SubmittedAt: v.SubmittedAt, Approver: guidancePersonOf(names, v.ApproverID),
		PublishedAt: v.PublishedAt, SupersededAt: v.SupersededAt, ReturnedAt: v.ReturnedAt,
		ReturnedBy: guidancePersonOf(names, v.ReturnedBy), ReturnComment: v.ReturnComment}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if out.Attachments, err = g.attachments(ctx, v.ID); err != nil {
		return out, err
	}
	may := func(act policies.Action) bool { return g.d.Authz.Can(ctx, who.Subject(), act, obj) == nil }
	if !may(policies.ActReadDraft) {
		// An approver's comments are about a draft: they stay with its editors and approvers.
		out.ReturnedAt, out.ReturnedBy, out.ReturnComment = nil, nil, ""
	}
	if versionEditable(v.Status) {
		out.Actions.Edit = may(policies.ActEdit)
		out.Actions.Submit = out.Actions.Edit
	}
	if v.Status == GuidanceSubmitted {
		out.Actions.Publish, out.Actions.Return = may(policies.ActPublish), may(policies.ActReturn)
		if !out.Actions.Publish && obj.Has(policies.RelAuthor) {
			noAuthor := obj
			noAuthor.Rel &^= policies.RelAuthor
			out.WroteIt = g.d.Authz.Can(ctx, who.Subject(), policies.ActPublish, noAuthor) == nil
		}
	}
	out.Can = GuidanceVersionActions{Edit: out.Actions.Edit, Submit: out.Actions.Submit, Publish: out.Actions.Publish,
		Return: out.Actions.Return, WroteIt: out.WroteIt}
	return out, nil
}

// attachments lists a version's files.
func (g *Service) attachments(ctx context.Context, versionID int64) ([]GuidanceAttachment, error) {
	out := []GuidanceAttachment{}
	err := g.d.DB.Conn(ctx).Table("guidance_attachments a").
		Select("a.id, a.version_id, a.name, b.size, b.content_type, b.sha256, a.created_at").
		Joins("JOIN blobs b ON b.id = a.blob_id").Where("a.version_id = ?", versionID).Order("a.id").Scan(&out).Error
	return out, core.DBError(err)
}

// Document returns a document's page: its current published version for readers in its
// audience; for the guidance editors and approvers of the owning organisation, the newest
// version when nothing is published, and the version being worked on.
// Who: anyone who may read it. Errors: ENOTFOUND (missing or not visible).
func (g *Service) Document(ctx context.Context, who core.Actor, id int64) (GuidanceDocumentView, error) {
	l, obj, err := g.seeDocument(ctx, who, id)
	if err != nil {
		return GuidanceDocumentView{}, err
	}
	v, err := g.view(ctx, who, l, obj)
	if err != nil {
		return GuidanceDocumentView{}, err
	}
	out := GuidanceDocumentView{ID: l.doc.ID, OrganisationID: l.doc.OrganisationID, Version: v,
		ReviewDueOn: l.doc.ReviewDueOn, ReviewState: GuidanceReviewState(l.doc.ReviewDueOn, g.d.Now()), ReviewedAt: l.doc.ReviewedAt}
	if out.Organisation, err = g.orgName(ctx, l.doc.OrganisationID); err != nil {
		return out, err
	}
	docObj := policies.Object{Type: "document", Org: obj.Org, Classification: obj.Classification}
	may := func(act policies.Action, o policies.Object) bool {
		return g.d.Authz.Can(ctx, who.Subject(), act, o) == nil
	}
	// The version being worked on, when there is one and it is not the one shown.
	var openID int64
	if err := g.d.DB.Conn(ctx).Table("guidance_versions").Select("id").
		Where("document_id = ? AND status IN ?", id, []string{GuidanceDraft, GuidanceSubmitted, GuidanceReturned}).Scan(&openID).Error; err != nil {
		return out, core.DBError(err)
	}
	if openID != 0 && openID != v.ID {
		if ol, oobj, err := g.seeVersion(ctx, who, openID); err == nil {
			ov, err := g.view(ctx, who, ol, oobj)
			if err != nil {
				return out, err
			}
			out.Open = &ov
		} else if core.ErrorCode(err) != core.ENOTFOUND {
			return out, err
		}
	}
	if l.v.Status == GuidancePublished {
		out.Actions.StartVersion = openID == 0 && may(policies.ActEdit, docObj)
		out.Actions.Review = may(policies.ActReview, docObj)
		if l.v.RequiresAck && obj.Has(policies.RelAudience) && may(policies.ActAcknowledge, obj) {
			out.Actions.Acknowledge = true
			at, err := g.acknowledgedAt(ctx, who.UserID, l.doc)
			if err != nil {
				return out, err
			}
			out.Acknowledged = at
			out.MustAcknowledge = at == nil
		}
	}
	out.Can = GuidanceDocumentActions{StartVersion: out.Actions.StartVersion, Review: out.Actions.Review, Acknowledge: out.Actions.Acknowledge}
	return out, nil
}

func (g *Service) orgName(ctx context.Context, id int64) (string, error) {
	var name string
	err := g.d.DB.Conn(ctx).Table("organisations").Select("name").Where("id = ?", id).Scan(&name).Error
	return name, core.DBError(err)
}

// Version returns one version of a document. Readers in the audience see published and
// superseded versions; the guidance editors and approvers of the owning organisation see every
// version. Who: anyone who may read it. Errors: ENOTFOUND.
func (g *Service) Version(ctx context.Context, who core.Actor, id int64) (GuidanceVersion, error) {
	l, obj, err := g.seeVersion(ctx, who, id)
	if err != nil {
		return GuidanceVersion{}, err
	}
	return g.view(ctx, who, l, obj)
}

// VersionForEdit returns a version who may change now, for the edit form.
// Who: guidance editors of the owning organisation. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT
// (submitted or published).
func (g *Service) VersionForEdit(ctx context.Context, who core.Actor, id int64) (GuidanceVersion, error) {
	l, obj, err := g.editableVersion(ctx, who, id)
	if err != nil {
		return GuidanceVersion{}, err
	}
	return g.view(ctx, who, l, obj)
}

// GuidanceVersionSummary is one line of a document's history.
type GuidanceVersionSummary struct {
	ID             int64           `json:"id"`
	Number         int             `json:"number"`
	Status         string          `json:"status"`
	Title          string          `json:"title"`
	Classification string          `json:"classification"`
	Major          bool            `json:"major"`
	ChangeNote     string          `json:"change_note"`
	Author         GuidancePerson  `json:"author"`
	Approver       *GuidancePerson `json:"approver,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	SubmittedAt    *time.Time      `json:"submitted_at,omitempty"`
	PublishedAt    *time.Time      `json:"published_at,omitempty"`
	SupersededAt   *time.Time      `json:"superseded_at,omitempty"`
	ReturnedAt     *time.Time      `json:"returned_at,omitempty"`
	ReturnComment  string          `json:"return_comment,omitempty"`
}

// GuidanceHistory is a document's versions that the actor may read, newest first.
type GuidanceHistory struct {
	DocumentID     int64                    `json:"document_id"`
	Title          string                   `json:"title"`
	Classification string                   `json:"classification"` // the highest of the versions listed
	Versions       []GuidanceVersionSummary `json:"versions"`
}

// History lists the versions of a document that who may read, newest first, with author,
// approver, dates and change note. Who: anyone who may read the document. Errors: ENOTFOUND.
func (g *Service) History(ctx context.Context, who core.Actor, id int64) (GuidanceHistory, error) {
	first, _, err := g.seeDocument(ctx, who, id)
	if err != nil {
		return GuidanceHistory{}, err
	}
	var ids []int64
	if err := g.d.DB.Conn(ctx).Table("guidance_versions").Where("document_id = ?", id).Order("number DESC").Pluck("id", &ids).Error; err != nil {
		return GuidanceHistory{}, core.DBError(err)
	}
	out := GuidanceHistory{DocumentID: id, Title: first.v.Title, Versions: []GuidanceVersionSummary{}}
	level := policies.Unmarked
	for _, vid := range ids {
		l, obj, err := g.seeVersion(ctx, who, vid)
		if core.ErrorCode(err) == core.ENOTFOUND {
			continue
		}
		if err != nil {
			return out, err
		}
		v := l.v
		if g.d.Authz.Can(ctx, who.Subject(), policies.ActReadDraft, obj) != nil {
			// An approver's comments are about a draft: they stay with its editors and approvers.
			v.ReturnedAt, v.ReturnComment = nil, ""
		}
		names, err := g.people(ctx, &v.AuthorID, v.ApproverID)
		if err != nil {
			return out, err
		}
		level = max(level, v.level())
		out.Versions = append(out.Versions, GuidanceVersionSummary{ID: v.ID, Number: v.Number, Status: v.Status, Title: v.Title,
			Classification: v.level().String(), Major: v.Major, ChangeNote: v.ChangeNote,
			Author: GuidancePerson{ID: v.AuthorID, Name: names[v.AuthorID]}, Approver: guidancePersonOf(names, v.ApproverID),
			CreatedAt: v.CreatedAt, SubmittedAt: v.SubmittedAt, PublishedAt: v.PublishedAt, SupersededAt: v.SupersededAt,
			ReturnedAt: v.ReturnedAt, ReturnComment: v.ReturnComment})
	}
	out.Classification = level.String()
	return out, nil
}

// GuidanceDiff is what changed in the body between two versions of a document.
type GuidanceDiff struct {
	DocumentID     int64              `json:"document_id"`
	FromVersion    GuidanceVersionRef `json:"from"`
	ToVersion      GuidanceVersionRef `json:"to"`
	Classification string             `json:"classification"` // the higher of the two
	Lines          []DiffLine         `json:"lines"`
	Added          int                `json:"added"`
	Removed        int                `json:"removed"`
}

// GuidanceVersionRef names a version in a diff.
type GuidanceVersionRef struct {
	ID     int64  `json:"id"`
	Number int    `json:"number"`
	Title  string `json:"title"`
	Status string `json:"status"`
}

// Diff compares the bodies of two versions of one document, line by line. Both must be
// readable by who. Who: anyone who may read both. Errors: ENOTFOUND (either missing or not
// visible), EINVALID (versions of different documents).
func (g *Service) Diff(ctx context.Context, who core.Actor, documentID, fromID, toID int64) (GuidanceDiff, error) {
	from, _, err := g.seeVersion(ctx, who, fromID)
	if err != nil {
		return GuidanceDiff{}, err
	}
	to, _, err := g.seeVersion(ctx, who, toID)
	if err != nil {
		return GuidanceDiff{}, err
	}
	if from.v.DocumentID != documentID || to.v.DocumentID != documentID {
		return GuidanceDiff{}, core.NotFound("Guidance not found")
	}
	lines := DiffLines(from.v.Body, to.v.Body)
	out := GuidanceDiff{DocumentID: documentID, Lines: lines,
		FromVersion:    GuidanceVersionRef{ID: from.v.ID, Number: from.v.Number, Title: from.v.Title, Status: from.v.Status},
		ToVersion:      GuidanceVersionRef{ID: to.v.ID, Number: to.v.Number, Title: to.v.Title, Status: to.v.Status},
		Classification: max(from.v.level(), to.v.level()).String()}
	for _, l := range lines {
		switch l.Op {
		case DiffAdded:
			out.Added++
		case DiffRemoved:
			out.Removed++
		}
	}
	return out, nil
}

// GuidanceFilter narrows a listing or a search. Zero fields match everything.
type GuidanceFilter struct {
	Category       string
	Tag            string
	OrganisationID int64
	UpdatedSince   time.Time // published on or after
}

func (f *GuidanceFilter) validate() error {
	f.Tag = strings.Join(strings.Fields(strings.ToLower(f.Tag)), " ")
	switch {
	case f.Category != "" && !validGuidanceCategory(f.Category):
		return core.Invalid("category", "Select a category from the list")
	case len(f.Tag) > guidanceTagLen*4:
		return core.Invalid("tag", "Tag is too long")
	case f.OrganisationID < 0:
		return core.Invalid("organisation", "Select an organisation from the list")
	}
	return nil
}

// where adds the filter to a query joining d and v.
func (f GuidanceFilter) where(q *strings.Builder, args []any) []any {
	if f.Category != "" {
		q.WriteString(" AND v.category = ?")
		args = append(args, f.Category)
	}
	if f.Tag != "" {
		q.WriteString(" AND EXISTS (SELECT 1 FROM guidance_version_tags t WHERE t.version_id = v.id AND t.tag = ?)")
		args = append(args, f.Tag)
	}
	if f.OrganisationID != 0 {
		q.WriteString(" AND d.organisation_id = ?")
		args = append(args, f.OrganisationID)
	}
	if !f.UpdatedSince.IsZero() {
		q.WriteString(" AND v.published_at >= ?")
		args = append(args, f.UpdatedSince.UTC())
	}
	return args
}

// GuidancePage is one page of documents, newest first.
type GuidancePage struct {
	Documents []GuidanceDocument `json:"documents"`
	Next      string             `json:"next,omitempty"` // pass as after for the next page
}

// guidanceCurrent joins each published version v to its document d, whose current version it
// is, and the owning organisation o. Written from the versions, so a listing can walk the
// published index in date order and stop at a page.
const guidanceCurrent = "guidance_versions v JOIN guidance_documents d ON d.current_version_id = v.id " +
	"JOIN organisations o ON o.id = d.organisation_id"

// guidanceDocColumns are read by scanDocuments, from d, v and the owning organisation o.
const guidanceDocColumns = "d.id, d.organisation_id, o.name AS organisation, v.id AS version_id, v.number, v.title, v.summary, " +
	"v.category, v.classification, v.requires_ack, v.published_at, d.review_due_on"

type guidanceDocRow struct {
	ID             int64
	OrganisationID int64
	Organisation   string
	VersionID      int64
	Number         int
	Title          string
	Summary        string
	Category       string
	Classification int
	RequiresAck    bool
	PublishedAt    *time.Time
	ReviewDueOn    *time.Time
}

func (g *Service) documents(ctx context.Context, rows []guidanceDocRow) ([]GuidanceDocument, error) {
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.VersionID)
	}
	tags, err := g.tagsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]GuidanceDocument, 0, len(rows))
	for _, r := range rows {
		t := tags[r.VersionID]
		if t == nil {
			t = []string{}
		}
		out = append(out, GuidanceDocument{ID: r.ID, OrganisationID: r.OrganisationID, Organisation: r.Organisation,
			VersionID: r.VersionID, Number: r.Number, Title: r.Title, Summary: r.Summary, Category: r.Category, Tags: t,
			Classification: policies.Level(r.Classification).String(), RequiresAck: r.RequiresAck,
			PublishedAt: guidanceUTC(r.PublishedAt), ReviewDueOn: r.ReviewDueOn})
	}
	return out, nil
}

func guidanceUTC(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// List returns the published documents who may read, newest publication first, filtered, a
// page at a time: after is the Next of the previous page. limit defaults to 20, at most 100.
// Who: anyone signed in. Errors: EINVALID (a bad filter or cursor).
func (g *Service) List(ctx context.Context, who core.Actor, f GuidanceFilter, after string, limit int) (GuidancePage, error) {
	if err := f.validate(); err != nil {
		return GuidancePage{}, err
	}
	switch {
	case limit <= 0:
		limit = 20
	case limit > 100:
		limit = 100
	}
	scope, args, err := g.readerScope(ctx, who, false)
	if err != nil {
		return GuidancePage{}, err
	}
	var q strings.Builder
	q.WriteString("SELECT " + guidanceDocColumns + " FROM " + guidanceCurrent + " WHERE " + scope)
	args = f.where(&q, args)
	if after != "" {
		at, id, err := decodeGuidanceCursor(after)
		if err != nil {
			return GuidancePage{}, err
		}
		q.WriteString(" AND (v.published_at < ? OR (v.published_at = ? AND v.id < ?))")
		args = append(args, at, at, id)
	}
	q.WriteString(" ORDER BY v.published_at DESC, v.id DESC LIMIT ?")
	args = append(args, limit+1)
	var rows []guidanceDocRow
	if err := g.d.DB.Conn(ctx).Raw(q.String(), args...).Scan(&rows).Error; err != nil {
		return GuidancePage{}, core.DBError(err)
	}
	page := GuidancePage{}
	rows, page.Next = core.CutPage(rows, limit, func(r guidanceDocRow) string { return encodeGuidanceCursor(*r.PublishedAt, r.VersionID) })
	page.Documents, err = g.documents(ctx, rows)
	return page, err
}

// encodeGuidanceCursor makes an opaque keyset cursor of a time and an id.
func encodeGuidanceCursor(t time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(core.IDString(id) + "|" + t.UTC().Format(time.RFC3339Nano)))
}

func decodeGuidanceCursor(c string) (time.Time, int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if idPart, ts, ok := strings.Cut(string(b), "|"); ok {
			id, err1 := strconv.ParseInt(idPart, 10, 64)
			t, err2 := time.Parse(time.RFC3339Nano, ts)
			if err1 == nil && err2 == nil {
				return t.UTC(), id, nil
			}
		}
	}
	return time.Time{}, 0, core.Invalid("after", "The page link is not valid: go back to the first page")
}

// GuidanceCategoryCount is a category with how many published documents in it who may read.
type GuidanceCategoryCount struct {
	GuidanceCategory
	Documents int64 `json:"documents"`
}

// Categories lists every category with the number of published documents in it that who may
// read. Who: anyone signed in.
func (g *Service) Categories(ctx context.Context, who core.Actor) ([]GuidanceCategoryCount, error) {
	scope, args, err := g.readerScope(ctx, who, false)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Category string
		N        int64
	}
	err = g.d.DB.Conn(ctx).Raw("SELECT v.category, COUNT(*) AS n FROM "+guidanceCurrent+" WHERE "+
		scope+" GROUP BY v.category", args...).Scan(&rows).Error
	if err != nil {
		return nil, core.DBError(err)
	}
	counts := map[string]int64{}
	for _, r := range rows {
		counts[r.Category] = r.N
	}
	out := make([]GuidanceCategoryCount, 0, len(GuidanceCategories()))
	for _, c := range GuidanceCategories() {
		out = append(out, GuidanceCategoryCount{GuidanceCategory: c, Documents: counts[c.Slug]})
	}
	return out, nil
}
