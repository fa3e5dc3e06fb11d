package guidance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// guidanceMaxAttachments bounds the files of one version.
const guidanceMaxAttachments = 20

// clearFor refuses a classification that who's clearance does not cover: nobody writes what
// they could not read.
func (g *Service) clearFor(ctx context.Context, who core.Actor, act policies.Action, obj policies.Object, level policies.Level) error {
	obj.Classification = level
	if err := g.d.Authz.Can(ctx, who.Subject(), act, obj); err != nil {
		if errors.Is(err, policies.ErrDenied) {
			return core.Invalid("classification", "Your vetting does not cover "+level.String()+" material: choose OFFICIAL, or ask a colleague whose vetting covers it")
		}
		return core.Internal(err)
	}
	return nil
}

// draftChecks are the checks of a draft that read more than the input, for validate: the
// writer is cleared for its marking, and the organisations of its audience exist.
func (g *Service) draftChecks(ctx context.Context, who core.Actor, act policies.Action, obj policies.Object, in *GuidanceInput) func(policies.Level) error {
	return func(level policies.Level) error {
		var p core.Problems
		p.Check(g.clearFor(ctx, who, act, obj, level))
		if orgs := in.Audience.Organisations; len(orgs) > 0 { // sorted and without repeats by now
			var n int64
			if err := g.d.DB.Conn(ctx).Table("organisations").Where("id IN ?", orgs).Count(&n).Error; err != nil {
				return core.DBError(err)
			}
			if n != int64(len(orgs)) {
				p.Add("audience_organisations", "Select organisations from the list")
			}
		}
		return p.Err()
	}
}

// Create starts a document with its first version, a draft, owned by in.OrganisationID (the
// editor's own organisation when zero).
// Who: guidance editors, for their own organisation. Errors: EFORBIDDEN, EINVALID.
func (g *Service) Create(ctx context.Context, who core.Actor, in GuidanceInput) (GuidanceVersion, error) {
	var id int64
	err := g.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Guidance)
		if in.OrganisationID == 0 {
			in.OrganisationID = who.OrgID
		}
		obj := policies.Object{Type: "document", Org: policies.OrgDomain(in.OrganisationID)}
		if err := core.Can(ctx, g.d.Authz, who, policies.ActCreate, obj, "Only guidance editors can draft guidance, and only for their own organisation."); err != nil {
			return err
		}
		level, err := in.validate(g.draftChecks(ctx, who, policies.ActCreate, obj, &in))
		if err != nil {
			return err
		}
		now := g.d.Now()
		doc := guidanceDocument{OrganisationID: in.OrganisationID, CreatedBy: who.UserID, CreatedAt: now, UpdatedAt: now}
		if err := g.d.DB.Conn(ctx).Create(&doc).Error; err != nil {
			return core.DBError(err)
		}
		v := guidanceVersion{DocumentID: doc.ID, Number: 1, Status: GuidanceDraft, AuthorID: who.UserID, CreatedAt: now, UpdatedAt: now}
		v.apply(in, level)
		if err := g.d.DB.Conn(ctx).Create(&v).Error; err != nil {
			return core.DBError(err)
		}
		id = v.ID
		if err := g.saveVersionDetails(ctx, v.ID, in); err != nil {
			return err
		}
		if err := g.addContributor(ctx, v.ID, who.UserID); err != nil {
			return err
		}
		return g.audit.Record(ctx, &who, guidanceEvent("guidance.create", v, map[string]string{
			"title": v.Title, "classification": v.level().String()}))
	})
	if err != nil {
		return GuidanceVersion{}, err
	}
	return g.Version(ctx, who, id)
}

// apply copies a validated draft into the version.
func (v *guidanceVersion) apply(in GuidanceInput, level policies.Level) {
	v.Title, v.Summary, v.Body, v.Category = in.Title, in.Summary, in.Body, in.Category
	v.Classification = int(level)
	v.AudienceScope, v.AudienceByRole = in.Audience.Scope, len(in.Audience.Roles) > 0
	v.RequiresAck, v.Major, v.ChangeNote = in.RequiresAck, in.Major, in.ChangeNote
}

// guidanceDraftOf is a loaded version as the input that would make it.
func guidanceDraftOf(l *loadedVersion) GuidanceInput {
	v := l.v
	return GuidanceInput{OrganisationID: l.doc.OrganisationID, Title: v.Title, Summary: v.Summary, Body: v.Body, Category: v.Category,
		Tags: l.tags, Classification: v.level().String(), Audience: l.audience, RequiresAck: v.RequiresAck, Major: v.Major,
		ChangeNote: v.ChangeNote}
}

// StartVersion starts the next version of a published document: a draft copying the current
// version, its audience, tags and attachments, for the editor to change.
// Who: guidance editors of the owning organisation. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT
// (nothing published yet, or a version is already being worked on).
func (g *Service) StartVersion(ctx context.Context, who core.Actor, documentID int64) (GuidanceVersion, error) {
	var id int64
	err := g.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Guidance)
		cur, obj, err := g.seeDocument(ctx, who, documentID)
		if err != nil {
			return err
		}
		if err := core.Can(ctx, g.d.Authz, who, policies.ActEdit, obj, "Only guidance editors of the owning organisation can change this guidance."); err != nil {
			return err
		}
		if cur.v.Status != GuidancePublished {
			return core.Conflict("This guidance has no published version yet: change its draft instead.")
		}
		var open int64
		if err := g.d.DB.Conn(ctx).Table("guidance_versions").Where("document_id = ? AND status IN ?", documentID,
			[]string{GuidanceDraft, GuidanceSubmitted, GuidanceReturned}).Count(&open).Error; err != nil {
			return core.DBError(err)
		}
		if open > 0 {
			return core.Conflict("A new version of this guidance is already being worked on: change that one instead.")
		}
		now := g.d.Now()
		in := guidanceDraftOf(cur)
		in.Major, in.ChangeNote = false, ""
		v := guidanceVersion{DocumentID: documentID, Number: cur.v.Number + 1, Status: GuidanceDraft, AuthorID: who.UserID, CreatedAt: now, UpdatedAt: now}
		v.apply(in, cur.v.level())
		var last int
		if err := g.d.DB.Conn(ctx).Table("guidance_versions").Select("MAX(number)").Where("document_id = ?", documentID).Scan(&last).Error; err != nil {
			return core.DBError(err)
		}
		v.Number = last + 1
		if err := g.d.DB.Conn(ctx).Create(&v).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return core.Conflict("A new version of this guidance is already being worked on: change that one instead.")
			}
			return core.DBError(err)
		}
		id = v.ID
		if err := g.saveVersionDetails(ctx, v.ID, in); err != nil {
			return err
		}
		if err := g.d.DB.Conn(ctx).Exec("INSERT INTO guidance_attachments (version_id, blob_id, name, created_by, created_at) "+
			"SELECT ?, blob_id, name, created_by, created_at FROM guidance_attachments WHERE version_id = ? ORDER BY id", v.ID, cur.v.ID).Error; err != nil {
			return core.DBError(err)
		}
		if err := g.addContributor(ctx, v.ID, who.UserID); err != nil {
			return err
		}
		return g.audit.Record(ctx, &who, guidanceEvent("guidance.version_start", v, map[string]string{"from_version": strconv.Itoa(cur.v.Number)}))
	})
	if err != nil {
		return GuidanceVersion{}, err
	}
	return g.Version(ctx, who, id)
}

// versionConflict explains why a version in status s cannot be changed.
func versionConflict(n int, s string) error {
	switch s {
	case GuidanceSubmitted:
		return core.Conflict(fmt.Sprintf("Version %d is waiting for approval, so it cannot be changed. An approver can return it to you.", n))
	case GuidancePublished, GuidanceSuperseded:
		return core.Conflict(fmt.Sprintf("Version %d has been published, so it cannot be changed. Start a new version instead.", n))
	}
	return core.Conflict(fmt.Sprintf("Version %d cannot be changed now: reload it to see where it stands.", n))
}

// editableVersion loads a version who may change: ENOTFOUND when they may not see it,
// EFORBIDDEN when they may not edit it, ECONFLICT when it is no longer a draft.
func (g *Service) editableVersion(ctx context.Context, who core.Actor, id int64) (*loadedVersion, policies.Object, error) {
	if err := g.lockVersion(ctx, id); err != nil {
		return nil, policies.Object{}, err
	}
	l, obj, err := g.seeVersion(ctx, who, id)
	if err != nil {
		return nil, obj, err
	}
	if err := core.Can(ctx, g.d.Authz, who, policies.ActEdit, obj, "Only guidance editors of the owning organisation can change this guidance."); err != nil {
		return nil, obj, err
	}
	if !versionEditable(l.v.Status) {
		return nil, obj, versionConflict(l.v.Number, l.v.Status)
	}
	return l, obj, nil
}

// UpdateDraft changes a draft (or a version returned with comments). The owning organisation
// cannot change. Who: guidance editors of the owning organisation. Errors: ENOTFOUND,
// EFORBIDDEN, EINVALID, ECONFLICT (submitted or published).
func (g *Service) UpdateDraft(ctx context.Context, who core.Actor, id int64, in GuidanceInput) (GuidanceVersion, error) {
	err := g.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Guidance)
		l, obj, err := g.editableVersion(ctx, who, id)
		if err != nil {
			return err
		}
		level, err := in.validate(g.draftChecks(ctx, who, policies.ActEdit, obj, &in))
		if err != nil {
			return err
		}
		changed := changedGuidanceFields(guidanceDraftOf(l), in)
		v := l.v
		v.apply(in, level)
		v.UpdatedAt = g.d.Now()
		res := g.d.DB.Conn(ctx).Model(&guidanceVersion{}).Where("id = ? AND status IN ?", id, []string{GuidanceDraft, GuidanceReturned}).
			Updates(map[string]any{"title": v.Title, "summary": v.Summary, "body": v.Body, "category": v.Category,
				"classification": v.Classification, "audience_scope": v.AudienceScope, "audience_by_role": v.AudienceByRole,
				"requires_ack": v.RequiresAck, "major": v.Major, "change_note": v.ChangeNote, "updated_at": v.UpdatedAt})
		if res.Error != nil {
			return core.DBError(res.Error)
		}
		if res.RowsAffected == 0 {
			return core.Conflict("This version changed while you were editing it: reload it and make your changes again.")
		}
		if err := g.saveVersionDetails(ctx, id, in); err != nil {
			return err
		}
		if err := g.addContributor(ctx, id, who.UserID); err != nil {
			return err
		}
		details := map[string]string{"changed": strings.Join(changed, " ")}
		if l.v.Classification != v.Classification { // a marking lowered is told from one raised
			details["classification"] = l.v.level().String() + " → " + v.level().String()
		}
		return g.audit.Record(ctx, &who, guidanceEvent("guidance.version_update", v, details))
	})
	if err != nil {
		return GuidanceVersion{}, err
	}
	return g.Version(ctx, who, id)
}

// changedGuidanceFields names the fields that differ between two drafts, for the audit log.
func changedGuidanceFields(a, b GuidanceInput) []string {
	var out []string
	check := func(name string, same bool) {
		if !same {
			out = append(out, name)
		}
	}
	check("title", a.Title == b.Title)
	check("summary", a.Summary == b.Summary)
	check("body", a.Body == b.Body)
	check("category", a.Category == b.Category)
	check("tags", strings.Join(a.Tags, ",") == strings.Join(b.Tags, ","))
	check("classification", a.Classification == b.Classification)
	check("audience", fmt.Sprint(a.Audience) == fmt.Sprint(b.Audience))
	check("requires_acknowledgement", a.RequiresAck == b.RequiresAck)
	check("major", a.Major == b.Major)
	check("change_note", a.ChangeNote == b.ChangeNote)
	return out
}

// Submit sends a draft to the approvers of the owning organisation. Submitting counts as
// writing: whoever submits may not also approve.
// Who: guidance editors of the owning organisation. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT.
func (g *Service) Submit(ctx context.Context, who core.Actor, id int64) (GuidanceVersion, error) {
	err := g.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Guidance)
		if err := g.lockVersion(ctx, id); err != nil {
			return err
		}
		l, obj, err := g.seeVersion(ctx, who, id)
		if err != nil {
			return err
		}
		if err := core.Can(ctx, g.d.Authz, who, policies.ActSubmit, obj, "Only guidance editors of the owning organisation can submit guidance for approval."); err != nil {
			return err
		}
		if !versionEditable(l.v.Status) {
			return versionConflict(l.v.Number, l.v.Status)
		}
		now := g.d.Now()
		res := g.d.DB.Conn(ctx).Model(&guidanceVersion{}).Where("id = ? AND status IN ?", id, []string{GuidanceDraft, GuidanceReturned}).
			Updates(map[string]any{"status": GuidanceSubmitted, "submitted_at": now, "submitted_by": who.UserID, "updated_at": now})
		if res.Error != nil {
			return core.DBError(res.Error)
		}
		if res.RowsAffected == 0 {
			return versionConflict(l.v.Number, GuidanceSubmitted)
		}
		if err := g.addContributor(ctx, id, who.UserID); err != nil {
			return err
		}
		if err := g.askApprovers(ctx, l); err != nil {
			return err
		}
		return g.audit.Record(ctx, &who, guidanceEvent("guidance.submit", l.v, nil))
	})
	if err != nil {
		return GuidanceVersion{}, err
	}
	return g.Version(ctx, who, id)
}

// decisionConflict explains why a version in status s cannot be published or returned (what),
// and what happens next.
func decisionConflict(what string, n int, s string) error {
	switch s {
	case GuidanceDraft, GuidanceReturned:
		return core.Conflict(fmt.Sprintf("Version %d cannot be %s: it has not been sent for approval. Its editors send it when it is ready.", n, what))
	case GuidancePublished:
		return core.Conflict(fmt.Sprintf("Version %d cannot be %s: it is already published. To change it, start a new version.", n, what))
	case GuidanceSuperseded:
		return core.Conflict(fmt.Sprintf("Version %d cannot be %s: a later version has replaced it.", n, what))
	}
	return core.Conflict(fmt.Sprintf("Version %d cannot be %s now: reload it to see where it stands.", n, what))
}

// lockVersion takes version id's row lock for the rest of a write transaction, before its
// status and writers are read (PostgreSQL; SQLite's write transactions run one at a time): what
// the transaction decides from them (still a draft, who wrote part of it) then stands until it
// commits, and no other step of the version's workflow runs meanwhile.
func (g *Service) lockVersion(ctx context.Context, id int64) error {
	if !core.InWriteTx(ctx) || g.d.DB.Dialect() != core.DialectPostgres {
		return nil
	}
	return core.DBError(g.d.DB.Conn(ctx).Exec("SELECT id FROM guidance_versions WHERE id = ? FOR UPDATE", id).Error)
}

// decide checks that who may take an approver's decision (publish or return) on a version: the
// policy refuses anyone who wrote part of it.
func (g *Service) decide(ctx context.Context, who core.Actor, act policies.Action, id int64) (*loadedVersion, error) {
	if err := g.lockVersion(ctx, id); err != nil {
		return nil, err
	}
	l, obj, err := g.seeVersion(ctx, who, id)
	if err != nil {
		return nil, err
	}
	msg := "Only guidance approvers of the owning organisation can publish or return guidance."
	if obj.Has(policies.RelAuthor) {
		msg = "You wrote part of this version, so another approver must decide on it (four eyes)."
	}
	if err := core.Can(ctx, g.d.Authz, who, act, obj, msg); err != nil {
		return nil, err
	}
	return l, nil
}

// Publish makes a submitted version the one readers see. The version it replaces is kept as
// superseded; the review falls due twelve months from today; a major version (or the first to
// ask for acknowledgement) makes everyone acknowledge again; the search index follows.
// Who: guidance approvers of the owning organisation who wrote no part of the version.
// Errors: ENOTFOUND, EFORBIDDEN (not an approver, or an author of it), ECONFLICT (not submitted).
func (g *Service) Publish(ctx context.Context, who core.Actor, id int64) (GuidanceVersion, error) {
	return g.publish(ctx, who, id, nil)
}

// PublishAsSeen is Publish of the version as the approver read it: sent for approval at
// submitted, its SubmittedAt when the page showed it. A version returned, changed and sent
// again since then is refused (ECONFLICT): nobody publishes words they have not read. The
// version page's Publish button sends it.
func (g *Service) PublishAsSeen(ctx context.Context, who core.Actor, id int64, submitted time.Time) (GuidanceVersion, error) {
	return g.publish(ctx, who, id, &submitted)
}

func (g *Service) publish(ctx context.Context, who core.Actor, id int64, seen *time.Time) (GuidanceVersion, error) {
	err := g.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Guidance)
		l, err := g.decide(ctx, who, policies.ActPublish, id)
		if err != nil {
			return err
		}
		if l.v.Status != GuidanceSubmitted {
			return decisionConflict("published", l.v.Number, l.v.Status)
		}
		changedSince := core.Conflict(fmt.Sprintf("Version %d was changed and sent for approval again after you opened it: read it again before you publish it.", l.v.Number))
		if seen != nil && (l.v.SubmittedAt == nil || !l.v.SubmittedAt.Equal(*seen)) {
			return changedSince
		}
		db, now := g.d.DB.Conn(ctx), g.d.Now()
		if g.d.DB.Dialect() == core.DialectPostgres {
			// Publishing moves the document's current version: one at a time per document.
			if err := db.Exec("SELECT id FROM guidance_documents WHERE id = ? FOR UPDATE", l.doc.ID).Error; err != nil {
				return core.DBError(err)
			}
		}
		q := db.Model(&guidanceVersion{}).Where("id = ? AND status = ?", id, GuidanceSubmitted)
		if seen != nil && g.d.DB.Dialect() == core.DialectPostgres {
			// As read above, checked again by the statement that publishes: on SQLite nothing
			// can change it meanwhile, this transaction holding the one write lock.
			q = q.Where("submitted_at = ?", *l.v.SubmittedAt)
		}
		res := q.Updates(map[string]any{"status": GuidancePublished, "approver_id": who.UserID, "published_at": now, "updated_at": now})
		if res.Error != nil {
			return core.DBError(res.Error)
		}
		if res.RowsAffected == 0 {
			if seen != nil {
				return changedSince
			}
			return core.Conflict("This version was decided on by someone else a moment ago: reload it.")
		}
		details := map[string]string{"major": strconv.FormatBool(l.v.Major), "requires_acknowledgement": strconv.FormatBool(l.v.RequiresAck)}
		ackFrom := l.doc.AckFromNumber
		prevAck := false
		if prev := l.doc.CurrentVersionID; prev != nil {
			var p guidanceVersion
			if err := db.Take(&p, *prev).Error; err != nil {
				return core.DBError(err)
			}
			prevAck = p.RequiresAck
			if err := db.Model(&guidanceVersion{}).Where("id = ?", p.ID).
				Updates(map[string]any{"status": GuidanceSuperseded, "superseded_at": now, "updated_at": now}).Error; err != nil {
				return core.DBError(err)
			}
			details["supersedes"] = strconv.Itoa(p.Number)
		}
		if l.v.Major || !prevAck {
			ackFrom = l.v.Number
		}
		due := guidanceDay(now).AddDate(0, guidanceReviewMonths, 0)
		if err := db.Model(&guidanceDocument{}).Where("id = ?", l.doc.ID).Updates(map[string]any{
			"current_version_id": id, "ack_from_number": ackFrom, "review_due_on": due, "updated_at": now}).Error; err != nil {
			return core.DBError(err)
		}
		details["review_due_on"] = due.Format("2006-01-02")
		if err := g.index(ctx, l.doc.ID, l.v, l.tags); err != nil {
			return err
		}
		if err := g.tellAuthors(ctx, who, l, true); err != nil {
			return err
		}
		// A new version restarts the review clock: a review reminder is answered.
		if err := core.CloseSubject(ctx, g.d, core.Subject(core.SubjectGuidanceReview, l.doc.ID), who.UserID); err != nil {
			return err
		}
		return g.audit.Record(ctx, &who, guidanceEvent("guidance.publish", l.v, details))
	})
	if err != nil {
		return GuidanceVersion{}, err
	}
	return g.Version(ctx, who, id)
}

// Return sends a submitted version back to its editors with comments on what must change.
// Who: guidance approvers of the owning organisation who wrote no part of the version.
// Errors: ENOTFOUND, EFORBIDDEN, EINVALID (no comment), ECONFLICT (not submitted).
func (g *Service) Return(ctx context.Context, who core.Actor, id int64, comment string) (GuidanceVersion, error) {
	err := g.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Guidance)
		l, err := g.decide(ctx, who, policies.ActReturn, id)
		if err != nil {
			return err
		}
		comment = core.Clip(strings.TrimSpace(comment), guidanceCommentLen+1)
		switch {
		case comment == "":
			return core.Invalid("comment", "Say what needs to change before it can be published")
		case utf8.RuneCountInString(comment) > guidanceCommentLen:
			return core.Invalid("comment", fmt.Sprintf("Comments must be %d characters or fewer", guidanceCommentLen))
		}
		if l.v.Status != GuidanceSubmitted {
			return decisionConflict("returned", l.v.Number, l.v.Status)
		}
		now := g.d.Now()
		res := g.d.DB.Conn(ctx).Model(&guidanceVersion{}).Where("id = ? AND status = ?", id, GuidanceSubmitted).
			Updates(map[string]any{"status": GuidanceReturned, "returned_at": now, "returned_by": who.UserID, "return_comment": comment, "updated_at": now})
		if res.Error != nil {
			return core.DBError(res.Error)
		}
		if res.RowsAffected == 0 {
			return core.Conflict("This version was decided on by someone else a moment ago: reload it.")
		}
		if err := g.tellAuthors(ctx, who, l, false); err != nil {
			return err
		}
		return g.audit.Record(ctx, &who, guidanceEvent("guidance.return", l.v, map[string]string{"comment": comment}))
	})
	if err != nil {
		return GuidanceVersion{}, err
	}
	return g.Version(ctx, who, id)
}

// GuidanceAttachmentLimit is the default size limit of one attachment: 100 MiB.
const GuidanceAttachmentLimit = 100 << 20

// AddAttachments attaches files to a draft. next hands over the files one at a time (io.EOF
// after the last) and is only called once who is known to be allowed, so nothing is read from
// anyone else. Each file is streamed to the blob store outside any transaction, its type judged
// from its bytes (PDF, Word, Excel, PowerPoint, OpenDocument, plain text, PNG, JPEG), and then
// recorded with its audit event; a file refused or failing leaves nothing behind. limit is the
// largest size of one file (AttachmentLimit when zero).
// Who: guidance editors of the owning organisation. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT
// (not a draft, or too many files), EINVALID (no file, a refused type), ETOOLARGE, EUNAVAILABLE.
func (g *Service) AddAttachments(ctx context.Context, who core.Actor, versionID, limit int64, next func() (core.Upload, error)) ([]GuidanceAttachment, error) {
	if limit <= 0 {
		limit = GuidanceAttachmentLimit
	}
	if _, _, err := g.editableVersion(ctx, who, versionID); err != nil {
		return nil, err
	}
	rules := core.FileRules{What: "attachment", Limit: limit, Allowed: core.DocumentTypes()}
	var added []GuidanceAttachment
	for {
		up, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return added, err
		}
		p, err := core.PutBlob(ctx, g.d, &who, up, rules)
		if err != nil {
			return added, err
		}
		var a GuidanceAttachment
		err = g.d.DB.InTx(ctx, func(ctx context.Context) error {
			core.Changed(ctx, core.Guidance)
			l, _, err := g.editableVersion(ctx, who, versionID)
			if err != nil {
				return err
			}
			var n int64
			if err := g.d.DB.Conn(ctx).Table("guidance_attachments").Where("version_id = ?", versionID).Count(&n).Error; err != nil {
				return core.DBError(err)
			}
			if n >= guidanceMaxAttachments {
				return core.Conflict(fmt.Sprintf("A version can have at most %d attachments: remove one first.", guidanceMaxAttachments))
			}
			b, err := p.Record(ctx)
			if err != nil {
				return err
			}
			row := guidanceAttachment{VersionID: versionID, BlobID: b.ID, Name: p.Name, CreatedBy: who.UserID, CreatedAt: g.d.Now()}
			if err := g.d.DB.Conn(ctx).Create(&row).Error; err != nil {
				return core.DBError(err)
			}
			a = GuidanceAttachment{ID: row.ID, VersionID: versionID, Name: p.Name, Size: b.Size, ContentType: b.ContentType, SHA256: b.SHA256, CreatedAt: row.CreatedAt}
			if err := g.addContributor(ctx, versionID, who.UserID); err != nil {
				return err
			}
			return g.audit.Record(ctx, &who, guidanceEvent("guidance.attachment_add", l.v, map[string]string{
				"attachment": core.IDString(a.ID), "name": a.Name, "sha256": b.SHA256, "size": strconv.FormatInt(b.Size, 10), "type": b.ContentType}))
		})
		if err != nil {
			p.Discard(ctx)
			return added, err
		}
		added = append(added, a)
	}
	if len(added) == 0 {
		return nil, core.Invalid("file", "Select a file to attach")
	}
	return added, nil
}

// guidanceAttachment is a row of guidance_attachments.
type guidanceAttachment struct {
	ID        int64
	VersionID int64
	BlobID    int64
	Name      string
	CreatedBy int64
	CreatedAt time.Time
}

func (guidanceAttachment) TableName() string { return "guidance_attachments" }

func (g *Service) attachment(ctx context.Context, id int64) (guidanceAttachment, error) {
	return core.TakeRow[guidanceAttachment](ctx, g.d.DB, id, false, "Attachment not found")
}

// RemoveAttachment takes a file off a draft. The stored file stays while any version refers to
// it. Who: guidance editors of the owning organisation. Errors: ENOTFOUND, EFORBIDDEN,
// ECONFLICT (not a draft).
func (g *Service) RemoveAttachment(ctx context.Context, who core.Actor, id int64) (GuidanceVersion, error) {
	var versionID int64
	err := g.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Guidance)
		a, err := g.attachment(ctx, id)
		if err != nil {
			return err
		}
		versionID = a.VersionID
		l, _, err := g.editableVersion(ctx, who, a.VersionID)
		if core.ErrorCode(err) == core.ENOTFOUND {
			return core.NotFound("Attachment not found")
		}
		if err != nil {
			return err
		}
		if err := g.d.DB.Conn(ctx).Exec("DELETE FROM guidance_attachments WHERE id = ?", id).Error; err != nil {
			return core.DBError(err)
		}
		if err := g.addContributor(ctx, a.VersionID, who.UserID); err != nil {
			return err
		}
		return g.audit.Record(ctx, &who, guidanceEvent("guidance.attachment_remove", l.v, map[string]string{"attachment": core.IDString(id), "name": a.Name}))
	})
	if err != nil {
		return GuidanceVersion{}, err
	}
	return g.Version(ctx, who, versionID)
}

// OpenAttachment opens an attachment for download, named with its version's protective marking
// first ("OFFICIAL-SENSITIVE - name.pdf"), and records the download.
// Who: anyone who may read the version. Errors: ENOTFOUND, EINTEGRITY (the stored file fails its
// check), EUNAVAILABLE.
func (g *Service) OpenAttachment(ctx context.Context, who core.Actor, id int64) (core.File, error) {
	a, err := g.attachment(ctx, id)
	if err != nil {
		return core.File{}, err
	}
	l, _, err := g.seeVersion(ctx, who, a.VersionID)
	if err != nil {
		return core.File{}, core.NotFound("Attachment not found")
	}
	b, err := core.LoadBlob(ctx, g.d, a.BlobID)
	if err != nil {
		return core.File{}, err
	}
	f, err := core.OpenBlob(ctx, g.d, b, l.v.level().String()+" - "+a.Name)
	if err != nil {
		return core.File{}, err
	}
	if err := g.audit.Record(ctx, &who, core.Event{Action: "guidance.attachment_download", ObjectType: "guidance_attachment",
		ObjectID: core.IDString(id), Outcome: core.OutcomeSuccess, Details: map[string]string{
			"document": core.IDString(l.v.DocumentID), "version": strconv.Itoa(l.v.Number), "name": a.Name, "sha256": b.SHA256}}); err != nil {
		f.Close()
		return core.File{}, err
	}
	return f, nil
}
