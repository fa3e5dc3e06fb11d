// Package guidance holds the guidance library: documents and their versions, four-eyes
// approval, audiences and classification, acknowledgement, search and review dates.
package guidance

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// Guidance is the guidance library: documents owned by an organisation, written and changed as
// versions by its guidance editors, published by a guidance approver who did not write the
// version (four eyes), read by the audience each version names, acknowledged when mandatory, and
// reviewed by a due date.
//
// Visibility has one definition, used twice: as a policy decision on one version (versionObject,
// which sets RelAudience from audience.includes) and as a SQL condition on lists, search and
// counts (readerScope, which writes the same rule). A published version is visible to an actor
// inside its audience whose clearance covers its classification; every version of a document is
// visible to the guidance editors and approvers of the owning organisation whose clearance covers
// it. Anything else is not found.
type Service struct {
	d     core.Deps
	audit *core.Audit
}

// Version statuses.
const (
	GuidanceDraft      = "draft"      // being written
	GuidanceSubmitted  = "submitted"  // waiting for an approver
	GuidanceReturned   = "returned"   // sent back with comments: editable, then submitted again
	GuidancePublished  = "published"  // the current version readers see
	GuidanceSuperseded = "superseded" // an earlier published version, kept in the history
)

// versionEditable reports whether a version with status s may still be changed.
func versionEditable(s string) bool { return s == GuidanceDraft || s == GuidanceReturned }

// Audience scopes.
const (
	GuidanceAudienceEveryone      = "everyone"      // everyone in law enforcement
	GuidanceAudiencePolice        = "police"        // police forces only
	GuidanceAudienceKinds         = "kinds"         // the chosen kinds of organisation
	GuidanceAudienceOrganisations = "organisations" // the chosen organisations
)

// GuidanceAudienceScopes lists the scopes in the order forms offer them.
func GuidanceAudienceScopes() []string {
	return []string{GuidanceAudienceEveryone, GuidanceAudiencePolice, GuidanceAudienceKinds, GuidanceAudienceOrganisations}
}

// GuidanceAudienceLabel names a scope as pages show it.
func GuidanceAudienceLabel(scope string) string {
	switch scope {
	case GuidanceAudienceEveryone:
		return "Everyone in law enforcement"
	case GuidanceAudiencePolice:
		return "Police forces only"
	case GuidanceAudienceKinds:
		return "Chosen kinds of organisation"
	case GuidanceAudienceOrganisations:
		return "Chosen organisations"
	}
	return scope
}

// lawEnforcementKinds are the kinds of organisation "everyone in law enforcement" means: police
// forces, regional organised crime units, the agencies and the programme's own unit. The CPS
// prosecutes rather than enforces; guidance reaches CPS areas when their kind or the areas are
// chosen. [verify] with the programme whether CPS areas belong in "everyone".
func lawEnforcementKinds() []core.OrgKind {
	return []core.OrgKind{core.KindPoliceForce, core.KindROCU, core.KindAgency, core.KindProgramme}
}

// Audience says who a version is for: everyone in its scope or, when Roles is not empty, only
// the holders of one of those roles within it.
type GuidanceAudience struct {
	Scope         string         `json:"scope"`
	Kinds         []core.OrgKind `json:"kinds,omitempty"`
	Organisations []int64        `json:"organisations,omitempty"`
	Roles         []string       `json:"roles,omitempty"`
}

// guidanceReader is what audience membership is decided on: the actor's organisation, its kind and the
// actor's roles there.
type guidanceReader struct {
	OrgID int64
	Kind  core.OrgKind
	Roles []string
}

// includes reports whether r is inside the audience. readerScope writes the same rule in SQL.
func (a GuidanceAudience) includes(r guidanceReader) bool {
	in := false
	switch a.Scope {
	case GuidanceAudienceEveryone:
		in = slices.Contains(lawEnforcementKinds(), r.Kind)
	case GuidanceAudiencePolice:
		in = r.Kind == core.KindPoliceForce
	case GuidanceAudienceKinds:
		in = slices.Contains(a.Kinds, r.Kind)
	case GuidanceAudienceOrganisations:
		in = slices.Contains(a.Organisations, r.OrgID)
	}
	if !in || len(a.Roles) == 0 {
		return in
	}
	return slices.ContainsFunc(a.Roles, func(role string) bool { return slices.Contains(r.Roles, role) })
}

// validate checks and normalises the audience.
func (a *GuidanceAudience) validate(p *core.Problems) {
	switch a.Scope {
	case GuidanceAudienceEveryone, GuidanceAudiencePolice:
		a.Kinds, a.Organisations = nil, nil
	case GuidanceAudienceKinds:
		a.Organisations = nil
		if len(a.Kinds) == 0 {
			p.Add("audience_kinds", "Select at least one kind of organisation")
		}
		for _, k := range a.Kinds {
			if !slices.Contains(core.OrgKinds(), k) {
				p.Add("audience_kinds", "Select kinds of organisation from the list")
			}
		}
	case GuidanceAudienceOrganisations:
		a.Kinds = nil
		if len(a.Organisations) == 0 {
			p.Add("audience_organisations", "Select at least one organisation")
		}
		if len(a.Organisations) > 200 {
			p.Add("audience_organisations", "Select 200 organisations or fewer, or choose kinds of organisation instead")
		}
	default:
		p.Add("audience_scope", "Select who the guidance is for")
	}
	for _, r := range a.Roles {
		if !policies.IsRole(r) {
			p.Add("audience_roles", "Select roles from the list")
		}
	}
	slices.Sort(a.Kinds)
	a.Kinds = slices.Compact(a.Kinds)
	slices.Sort(a.Organisations)
	a.Organisations = slices.Compact(a.Organisations)
	slices.Sort(a.Roles)
	a.Roles = slices.Compact(a.Roles)
}

// GuidanceCategory is one of the fixed categories documents are filed under.
type GuidanceCategory struct {
	Slug  string `json:"slug"`
	Label string `json:"label"`
}

// GuidanceCategories lists the categories, in the order pages show them. They follow the
// programme's areas of practice (DOMAIN.md §A, §B, §D). [verify] the list with the programme.
func GuidanceCategories() []GuidanceCategory {
	return []GuidanceCategory{
		{"identification", "Identifying victims and the NRM"},
		{"investigation", "Investigation"},
		{"victims", "Victim care and safeguarding"},
		{"evidence", "Evidence and case files"},
		{"disclosure", "Disclosure"},
		{"financial", "Financial investigation"},
		{"orders", "Prevention and reparation orders"},
		{"partnership", "Partnership working"},
		{"legal", "Legislation and case law"},
		{"training", "Training and awareness"},
	}
}

// GuidanceCategoryLabel names a category slug as pages show it.
func GuidanceCategoryLabel(slug string) string {
	for _, c := range GuidanceCategories() {
		if c.Slug == slug {
			return c.Label
		}
	}
	return slug
}

func validGuidanceCategory(slug string) bool {
	return slices.ContainsFunc(GuidanceCategories(), func(c GuidanceCategory) bool { return c.Slug == slug })
}

// Field sizes of a version.
const (
	guidanceTitleLen      = 200
	guidanceSummaryLen    = 600
	guidanceBodyLen       = 200_000
	guidanceChangeNoteLen = 1000
	guidanceCommentLen    = 2000
	guidanceTagLen        = 40
	guidanceMaxTags       = 10
)

// guidanceReviewMonths is how long after publication, or after a review, a document is next due for
// review unless the reviewer chooses a date.
const guidanceReviewMonths = 12 // months

// guidanceDueSoon is how close to its review date a document shows as due soon.
const guidanceDueSoon = 30 * 24 * time.Hour

// GuidanceInput is what an editor writes in a version.
type GuidanceInput struct {
	OrganisationID int64            `json:"organisation_id"` // owning organisation, on creation; the editor's own by default
	Title          string           `json:"title"`
	Summary        string           `json:"summary"`
	Body           string           `json:"body"` // Markdown
	Category       string           `json:"category"`
	Tags           []string         `json:"tags"`
	Classification string           `json:"classification"` // OFFICIAL or OFFICIAL-SENSITIVE
	Audience       GuidanceAudience `json:"audience"`
	RequiresAck    bool             `json:"requires_acknowledgement"`
	Major          bool             `json:"major"`
	ChangeNote     string           `json:"change_note"`
}

var guidanceTagChars = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} '&/-]*$`)

// validate checks and normalises a draft, with checks for what needs more than the input (see
// draftChecks), and reports every problem at once. It returns the classification.
func (in *GuidanceInput) validate(checks func(policies.Level) error) (policies.Level, error) {
	in.Title = strings.TrimSpace(in.Title)
	in.Summary = strings.TrimSpace(in.Summary)
	in.ChangeNote = strings.TrimSpace(in.ChangeNote)
	in.Body = strings.ReplaceAll(in.Body, "\r\n", "\n")
	level, lerr := policies.ParseLevel(in.Classification)
	var p core.Problems
	switch {
	case in.Title == "":
		p.Add("title", "Enter a title")
	case utf8.RuneCountInString(in.Title) > guidanceTitleLen:
		p.Add("title", fmt.Sprintf("Title must be %d characters or fewer", guidanceTitleLen))
	}
	switch {
	case in.Summary == "":
		p.Add("summary", "Enter a summary of what the guidance says and who it is for")
	case utf8.RuneCountInString(in.Summary) > guidanceSummaryLen:
		p.Add("summary", fmt.Sprintf("Summary must be %d characters or fewer", guidanceSummaryLen))
	}
	switch {
	case strings.TrimSpace(in.Body) == "":
		p.Add("body", "Enter the guidance")
	case utf8.RuneCountInString(in.Body) > guidanceBodyLen:
		p.Add("body", fmt.Sprintf("The guidance must be %d characters or fewer: split it into several documents, or attach it as a file", guidanceBodyLen))
	}
	if !validGuidanceCategory(in.Category) {
		p.Add("category", "Select a category")
	}
	if lerr != nil {
		p.Add("classification", "Select OFFICIAL or OFFICIAL-SENSITIVE")
	}
	if utf8.RuneCountInString(in.ChangeNote) > guidanceChangeNoteLen {
		p.Add("change_note", fmt.Sprintf("Change note must be %d characters or fewer", guidanceChangeNoteLen))
	}
	tags, err := normaliseGuidanceTags(in.Tags)
	if p.Check(err) {
		in.Tags = tags
	}
	in.Audience.validate(&p)
	if lerr == nil {
		p.Check(checks(level))
	}
	if err := p.Err(); err != nil {
		return 0, err
	}
	for _, s := range []*string{&in.Title, &in.Summary, &in.Body, &in.ChangeNote} {
		*s = core.Clip(*s, guidanceBodyLen) // invalid UTF-8 and NUL bytes cannot be stored
	}
	return level, nil
}

// normaliseGuidanceTags lower-cases, trims and de-duplicates tags, and refuses malformed ones. A single
// entry may hold several tags separated by commas (the form's one text field).
func normaliseGuidanceTags(raw []string) ([]string, error) {
	var tags []string
	for _, r := range raw {
		for _, t := range strings.Split(r, ",") {
			t = strings.Join(strings.Fields(strings.ToLower(t)), " ")
			if t == "" {
				continue
			}
			if utf8.RuneCountInString(t) > guidanceTagLen || !guidanceTagChars.MatchString(t) {
				return nil, core.Invalid("tags", fmt.Sprintf("Each tag must be letters, numbers, spaces or hyphens, %d characters or fewer: %q is not", guidanceTagLen, core.Clip(t, 60)))
			}
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
	}
	if len(tags) > guidanceMaxTags {
		return nil, core.Invalid("tags", fmt.Sprintf("Use %d tags or fewer", guidanceMaxTags))
	}
	slices.Sort(tags)
	return tags, nil
}

// guidanceDocument is a row of guidance_documents.
type guidanceDocument struct {
	ID               int64
	OrganisationID   int64
	CurrentVersionID *int64
	AckFromNumber    int
	ReviewDueOn      *time.Time
	ReviewedAt       *time.Time
	ReviewedBy       *int64
	CreatedBy        int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

func (guidanceDocument) TableName() string { return "guidance_documents" }

// guidanceVersion is a row of guidance_versions.
type guidanceVersion struct {
	ID             int64
	DocumentID     int64
	Number         int
	Status         string
	Title          string
	Summary        string
	Body           string
	Category       string
	Classification int
	AudienceScope  string
	AudienceByRole bool
	RequiresAck    bool
	Major          bool
	ChangeNote     string
	AuthorID       int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	SubmittedAt    *time.Time
	SubmittedBy    *int64
	ApproverID     *int64
	PublishedAt    *time.Time
	SupersededAt   *time.Time
	ReturnedAt     *time.Time
	ReturnedBy     *int64
	ReturnComment  string
}

func (guidanceVersion) TableName() string { return "guidance_versions" }

func (v guidanceVersion) level() policies.Level { return policies.Level(v.Classification) }

// readerOf describes who for audience decisions: their organisation's kind is read from the
// database.
func (g *Service) readerOf(ctx context.Context, who core.Actor) (guidanceReader, error) {
	var kind string
	err := g.d.DB.Conn(ctx).Table("organisations").Select("kind").Where("id = ?", who.OrgID).Scan(&kind).Error
	if err != nil {
		return guidanceReader{}, core.DBError(err)
	}
	return guidanceReader{OrgID: who.OrgID, Kind: core.OrgKind(kind), Roles: who.Roles}, nil
}

// editorial reports whether the policy lets who read every version of their own organisation's
// documents (its guidance editors and approvers), clearance aside.
func (g *Service) editorial(ctx context.Context, who core.Actor) (bool, error) {
	err := g.d.Authz.Can(ctx, who.Subject(), policies.ActReadDraft, policies.Object{Type: "document", Org: policies.OrgDomain(who.OrgID)})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, policies.ErrDenied):
		return false, nil
	}
	return false, core.Internal(err)
}

// loadedVersion is a version with what decisions about it need: its document, audience, tags and
// contributors.
type loadedVersion struct {
	doc          guidanceDocument
	v            guidanceVersion
	audience     GuidanceAudience
	tags         []string
	contributors []int64
}

// loadVersion reads a version with its document, audience, tags and contributors. It decides
// nothing. Errors: ENOTFOUND.
func (g *Service) loadVersion(ctx context.Context, id int64) (*loadedVersion, error) {
	var l loadedVersion
	db := g.d.DB.Conn(ctx)
	err := db.Take(&l.v, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, core.NotFound("Guidance not found")
	}
	if err != nil {
		return nil, core.DBError(err)
	}
	if err := db.Take(&l.doc, l.v.DocumentID).Error; err != nil {
		return nil, core.DBError(err)
	}
	aud, err := g.audiences(ctx, []guidanceVersion{l.v})
	if err != nil {
		return nil, err
	}
	l.audience = aud[l.v.ID]
	tags, err := g.tagsOf(ctx, []int64{l.v.ID})
	if err != nil {
		return nil, err
	}
	l.tags = tags[l.v.ID]
	if err := db.Table("guidance_version_contributors").Where("version_id = ?", id).Pluck("user_id", &l.contributors).Error; err != nil {
		return nil, core.DBError(err)
	}
	return &l, nil
}

// audiences reads the audience of each version.
func (g *Service) audiences(ctx context.Context, vs []guidanceVersion) (map[int64]GuidanceAudience, error) {
	out := map[int64]GuidanceAudience{}
	var ids []int64
	for _, v := range vs {
		out[v.ID] = GuidanceAudience{Scope: v.AudienceScope}
		ids = append(ids, v.ID)
	}
	if len(ids) == 0 {
		return out, nil
	}
	db := g.d.DB.Conn(ctx)
	var kinds []struct {
		VersionID int64
		Kind      string
	}
	if err := db.Table("guidance_audience_kinds").Where("version_id IN ?", ids).Order("kind").Find(&kinds).Error; err != nil {
		return nil, core.DBError(err)
	}
	for _, k := range kinds {
		a := out[k.VersionID]
		a.Kinds = append(a.Kinds, core.OrgKind(k.Kind))
		out[k.VersionID] = a
	}
	var orgs []struct{ VersionID, OrganisationID int64 }
	if err := db.Table("guidance_audience_organisations").Where("version_id IN ?", ids).Order("organisation_id").Find(&orgs).Error; err != nil {
		return nil, core.DBError(err)
	}
	for _, o := range orgs {
		a := out[o.VersionID]
		a.Organisations = append(a.Organisations, o.OrganisationID)
		out[o.VersionID] = a
	}
	var roles []struct {
		VersionID int64
		Role      string
	}
	if err := db.Table("guidance_audience_roles").Where("version_id IN ?", ids).Order("role").Find(&roles).Error; err != nil {
		return nil, core.DBError(err)
	}
	for _, r := range roles {
		a := out[r.VersionID]
		a.Roles = append(a.Roles, r.Role)
		out[r.VersionID] = a
	}
	return out, nil
}

// tagsOf reads the tags of each version.
func (g *Service) tagsOf(ctx context.Context, ids []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		VersionID int64
		Tag       string
	}
	if err := g.d.DB.Conn(ctx).Table("guidance_version_tags").Where("version_id IN ?", ids).Order("tag").Find(&rows).Error; err != nil {
		return nil, core.DBError(err)
	}
	for _, r := range rows {
		out[r.VersionID] = append(out[r.VersionID], r.Tag)
	}
	return out, nil
}

// versionObject is version l as the policy sees it for who. A published or superseded version is
// in who's audience when who is in its own audience and, for an earlier version, also in the
// audience of the document's current version: a reader dropped from the audience loses the
// history too. Its classification is the higher of the two for the same reason.
func (g *Service) versionObject(ctx context.Context, who core.Actor, l *loadedVersion) (policies.Object, error) {
	obj := policies.Object{Type: "document", Org: policies.OrgDomain(l.doc.OrganisationID), Classification: l.v.level()}
	if slices.Contains(l.contributors, who.UserID) {
		obj.Rel |= policies.RelAuthor
	}
	if l.v.Status != GuidancePublished && l.v.Status != GuidanceSuperseded {
		return obj, nil
	}
	r, err := g.readerOf(ctx, who)
	if err != nil {
		return obj, err
	}
	in := l.audience.includes(r)
	if in && l.v.Status == GuidanceSuperseded {
		if l.doc.CurrentVersionID == nil {
			in = false
		} else {
			cur, err := g.loadVersion(ctx, *l.doc.CurrentVersionID)
			if err != nil {
				return obj, err
			}
			in = cur.audience.includes(r)
			obj.Classification = max(obj.Classification, cur.v.level())
		}
	}
	if in {
		obj.Rel |= policies.RelAudience
	}
	return obj, nil
}

// seeVersion loads a version who may read, with its policy object; a version they may not read
// is not found. Readers in the audience read published and superseded versions; the editors and
// approvers of the owning organisation read every version.
func (g *Service) seeVersion(ctx context.Context, who core.Actor, id int64) (*loadedVersion, policies.Object, error) {
	l, err := g.loadVersion(ctx, id)
	if err != nil {
		return nil, policies.Object{}, err
	}
	obj, err := g.versionObject(ctx, who, l)
	if err != nil {
		return nil, obj, err
	}
	if obj.Has(policies.RelAudience) {
		if err := core.CanSee(ctx, g.d.Authz, who, policies.ActRead, obj, "Guidance"); err == nil {
			return l, obj, nil
		} else if core.ErrorCode(err) != core.ENOTFOUND {
			return nil, obj, err
		}
	}
	if err := core.CanSee(ctx, g.d.Authz, who, policies.ActReadDraft, obj, "Guidance"); err != nil {
		return nil, obj, err
	}
	return l, obj, nil
}

// seeDocument loads the version of document id that who reads first: the current published
// version when they may read it, otherwise (for its editors and approvers) the newest version.
// Errors: ENOTFOUND.
func (g *Service) seeDocument(ctx context.Context, who core.Actor, id int64) (*loadedVersion, policies.Object, error) {
	doc, err := core.TakeRow[guidanceDocument](ctx, g.d.DB, id, false, "Guidance not found")
	if err != nil {
		return nil, policies.Object{}, err
	}
	if doc.CurrentVersionID != nil {
		l, obj, err := g.seeVersion(ctx, who, *doc.CurrentVersionID)
		if err == nil || core.ErrorCode(err) != core.ENOTFOUND {
			return l, obj, err
		}
	}
	var newest int64
	if err := g.d.DB.Conn(ctx).Table("guidance_versions").Select("MAX(id)").Where("document_id = ?", id).Scan(&newest).Error; err != nil {
		return nil, policies.Object{}, core.DBError(err)
	}
	if newest == 0 {
		return nil, policies.Object{}, core.NotFound("Guidance not found")
	}
	return g.seeVersion(ctx, who, newest)
}

// readerScope is the SQL condition "the current version v of document d is visible to who": the
// rule of seeVersion for current versions, for lists, search and counts. It expects the query to
// join guidance_documents as d and the current version as v. With audienceOnly, the owning
// organisation's editors and approvers are not let in by their role: "who must acknowledge".
func (g *Service) readerScope(ctx context.Context, who core.Actor, audienceOnly bool) (string, []any, error) {
	r, err := g.readerOf(ctx, who)
	if err != nil {
		return "", nil, err
	}
	ed := false
	if !audienceOnly {
		if ed, err = g.editorial(ctx, who); err != nil {
			return "", nil, err
		}
	}
	var (
		where strings.Builder
		args  []any
	)
	// Only current versions are published; saying so lets the published index order a listing.
	where.WriteString("(v.status = 'published' AND v.classification <= ? AND (")
	args = append(args, int(who.Clearance))
	// In the audience (Audience.includes).
	where.WriteString("((")
	var scopes []string
	if slices.Contains(lawEnforcementKinds(), r.Kind) {
		scopes = append(scopes, "v.audience_scope = 'everyone'")
	}
	if r.Kind == core.KindPoliceForce {
		scopes = append(scopes, "v.audience_scope = 'police'")
	}
	// Uncorrelated subqueries: each database reads the few versions addressed to this kind,
	// organisation or role once per query, not once per row.
	scopes = append(scopes,
		"(v.audience_scope = 'kinds' AND v.id IN (SELECT ak.version_id FROM guidance_audience_kinds ak WHERE ak.kind = ?))",
		"(v.audience_scope = 'organisations' AND v.id IN (SELECT ao.version_id FROM guidance_audience_organisations ao WHERE ao.organisation_id = ?))")
	args = append(args, string(r.Kind), r.OrgID)
	where.WriteString(strings.Join(scopes, " OR "))
	where.WriteString(") AND (v.audience_by_role = ?")
	args = append(args, false)
	if len(r.Roles) > 0 {
		where.WriteString(" OR v.id IN (SELECT ar.version_id FROM guidance_audience_roles ar WHERE ar.role IN ?)")
		args = append(args, r.Roles)
	}
	where.WriteString("))")
	// Or one of the owning organisation's editors and approvers.
	if ed {
		where.WriteString(" OR d.organisation_id = ?")
		args = append(args, who.OrgID)
	}
	where.WriteString("))")
	return where.String(), args, nil
}

// saveVersionDetails replaces the audience and tags of a version with those of in.
func (g *Service) saveVersionDetails(ctx context.Context, versionID int64, in GuidanceInput) error {
	db := g.d.DB.Conn(ctx)
	for _, table := range []string{"guidance_audience_kinds", "guidance_audience_organisations", "guidance_audience_roles", "guidance_version_tags"} {
		if err := db.Exec("DELETE FROM "+table+" WHERE version_id = ?", versionID).Error; err != nil {
			return core.DBError(err)
		}
	}
	for _, k := range in.Audience.Kinds {
		if err := db.Exec("INSERT INTO guidance_audience_kinds (version_id, kind) VALUES (?, ?)", versionID, string(k)).Error; err != nil {
			return core.DBError(err)
		}
	}
	for _, o := range in.Audience.Organisations {
		var n int64
		if err := db.Table("organisations").Where("id = ?", o).Count(&n).Error; err != nil {
			return core.DBError(err)
		}
		if n == 0 {
			return core.Invalid("audience_organisations", "Select organisations from the list")
		}
		if err := db.Exec("INSERT INTO guidance_audience_organisations (version_id, organisation_id) VALUES (?, ?)", versionID, o).Error; err != nil {
			return core.DBError(err)
		}
	}
	for _, r := range in.Audience.Roles {
		if err := db.Exec("INSERT INTO guidance_audience_roles (version_id, role) VALUES (?, ?)", versionID, r).Error; err != nil {
			return core.DBError(err)
		}
	}
	for _, t := range in.Tags {
		if err := db.Exec("INSERT INTO guidance_version_tags (version_id, tag) VALUES (?, ?)", versionID, t).Error; err != nil {
			return core.DBError(err)
		}
	}
	return nil
}

// addContributor records that who wrote part of a version.
func (g *Service) addContributor(ctx context.Context, versionID, userID int64) error {
	db := g.d.DB.Conn(ctx)
	var n int64
	if err := db.Table("guidance_version_contributors").Where("version_id = ? AND user_id = ?", versionID, userID).Count(&n).Error; err != nil {
		return core.DBError(err)
	}
	if n > 0 {
		return nil
	}
	return core.DBError(db.Exec("INSERT INTO guidance_version_contributors (version_id, user_id) VALUES (?, ?)", versionID, userID).Error)
}

// guidanceEvent is the audit event of an action on a version.
func guidanceEvent(action string, v guidanceVersion, details map[string]string) core.Event {
	d := map[string]string{"document": strconv.FormatInt(v.DocumentID, 10), "version": strconv.Itoa(v.Number)}
	for k, val := range details {
		d[k] = val
	}
	return core.Event{Action: action, ObjectType: "guidance_version", ObjectID: core.IDString(v.ID), Outcome: core.OutcomeSuccess, Details: d}
}

// guidanceDay is t's calendar day, at midnight UTC.
func guidanceDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// newGuidance builds guidance's operations.
func New(d core.Deps, audit *core.Audit) *Service { return &Service{d: d, audit: audit} }
