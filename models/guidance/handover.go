package guidance

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// Hand-overs of guidance: a version sent for approval tells the approvers who may decide on it;
// the decision (publish or return) closes those notifications and tells the people who wrote
// it; a version that asks its audience to acknowledge it is announced to them by a background
// job in batches (the audience can be everyone in law enforcement); a review falling due tells
// its owners (jobs.go) and the review closes it.

// Kinds of notification of guidance hand-overs.
const (
	NoticeGuidanceApproval = "guidance_approval" // a version waits for an approver's decision
	NoticeGuidanceDecision = "guidance_decision" // a version the person wrote was published or returned
	NoticeGuidanceAck      = "guidance_ack"      // guidance addressed to them asks them to confirm they have read it
)

// guidanceWhat names a version in a notification: its title, unless it is marked
// OFFICIAL-SENSITIVE (notifications may go by email, and such a title stays in MSP Hub).
func guidanceWhat(title string, level policies.Level, otherwise string) string {
	if level >= policies.OfficialSensitive {
		return otherwise
	}
	return fmt.Sprintf("%q", title)
}

func versionLink(id int64) string { return "/guidance/versions/" + core.IDString(id) }

// approversOf lists the active guidance approvers of the owning organisation whom the policy
// lets publish the version: their clearance covers it and they wrote no part of it.
func (g *Service) approversOf(ctx context.Context, versionID, orgID int64) ([]int64, error) {
	var users []core.User
	err := g.d.DB.Conn(ctx).Where("organisation_id = ? AND disabled_at IS NULL AND EXISTS (SELECT 1 FROM casbin_rule r "+
		"WHERE r.ptype = 'g' AND r.v0 = 'user:' || users.id AND r.v1 = ? AND r.v2 = ?)",
		orgID, policies.RoleGuidanceApprover, policies.OrgDomain(orgID)).Order("id").Find(&users).Error
	if err != nil {
		return nil, core.DBError(err)
	}
	now := g.d.Now()
	var out []int64
	for _, u := range users {
		who := core.ActorOf(g.d, u, now)
		_, obj, err := g.seeVersion(ctx, who, versionID)
		if core.ErrorCode(err) == core.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		if g.d.Authz.Can(ctx, who.Subject(), policies.ActPublish, obj) == nil {
			out = append(out, u.ID)
		}
	}
	return out, nil
}

// askApprovers tells the approvers who may decide on a version just sent for approval. With
// nobody who may, the sending is refused, saying why: the version would wait unseen, and hold
// back any new version of the document.
func (g *Service) askApprovers(ctx context.Context, l *loadedVersion) error {
	people, err := g.approversOf(ctx, l.v.ID, l.doc.OrganisationID)
	if err != nil {
		return err
	}
	if len(people) == 0 {
		return core.Conflict("Nobody can approve this version: every guidance approver of the organisation wrote part of it or is not cleared for " +
			l.v.level().String() + ". Ask an organisation administrator to give the guidance approver role to someone else, then send it again.")
	}
	text := "The guidance " + guidanceWhat(l.v.Title, l.v.level(), "document of your organisation") + " is waiting for your approval."
	for _, id := range people {
		if err := core.NotifySubject(ctx, g.d, id, NoticeGuidanceApproval, text, versionLink(l.v.ID), core.Subject(core.SubjectGuidanceVersion, l.v.ID)); err != nil {
			return err
		}
	}
	return nil
}

// tellAuthors closes the request for a decision on a version and tells the people who wrote it
// (its author and contributors, but not who decided) what became of it.
func (g *Service) tellAuthors(ctx context.Context, who core.Actor, l *loadedVersion, published bool) error {
	if err := core.CloseSubject(ctx, g.d, core.Subject(core.SubjectGuidanceVersion, l.v.ID), who.UserID); err != nil {
		return err
	}
	what := guidanceWhat(l.v.Title, l.v.level(), "version")
	text := fmt.Sprintf("Version %d of the guidance %s you wrote was published.", l.v.Number, what)
	if !published {
		text = fmt.Sprintf("Version %d of the guidance %s you wrote was returned with comments: change it and send it for approval again.", l.v.Number, what)
	}
	writers := append([]int64{l.v.AuthorID}, l.contributors...)
	var active []int64
	if err := g.d.DB.Conn(ctx).Table("users").Where("id IN ? AND disabled_at IS NULL", writers).Order("id").Pluck("id", &active).Error; err != nil {
		return core.DBError(err)
	}
	for _, id := range active {
		if id == who.UserID {
			continue
		}
		if err := core.NotifySubject(ctx, g.d, id, NoticeGuidanceDecision, text, versionLink(l.v.ID), ""); err != nil {
			return err
		}
	}
	return nil
}

// closeAcks marks done the person's notifications asking them to acknowledge any version of the
// document: acknowledging the current version answers them all.
func (g *Service) closeAcks(ctx context.Context, documentID, userID int64) error {
	var ids []int64
	if err := g.d.DB.Conn(ctx).Table("guidance_versions").Where("document_id = ?", documentID).Pluck("id", &ids).Error; err != nil {
		return core.DBError(err)
	}
	for _, id := range ids {
		if err := core.CloseSubjectFor(ctx, g.d, core.Subject(core.SubjectGuidanceAck, id), userID, userID); err != nil {
			return err
		}
	}
	return nil
}

// ReminderGuidanceAckAnnounced is the reminders_sent kind recording that the audience of a
// version was told to acknowledge it (object: the version; due: the day it was published).
const ReminderGuidanceAckAnnounced = "guidance-ack-announced"

// ackBatch is how many people one transaction of the announcement looks at.
const ackBatch = 500

// AnnounceAcknowledgements tells the audience of each newly published version that asks to be
// acknowledged afresh (a new document, a major version, or the first to ask) that it waits for
// them: every enabled person inside its audience whose clearance covers it and who has not
// acknowledged it. The audience can be large, so this runs as a background job, outside the
// publish transaction, a batch of people per transaction; each person is told once (the
// notification itself records it), and the version is marked announced when done, so a run
// cut short resumes where it stopped and a second run or replica tells nobody twice. A
// background job's operation: no actor. Errors: EUNAVAILABLE, EINTERNAL.
func (g *Service) AnnounceAcknowledgements(ctx context.Context) (string, error) {
	var versions []struct {
		ID             int64
		DocumentID     int64
		Title          string
		Classification int
		PublishedAt    time.Time
	}
	err := g.d.DB.Conn(ctx).Table("guidance_versions v").
		Select("v.id, v.document_id, v.title, v.classification, v.published_at").
		Joins("JOIN guidance_documents d ON d.current_version_id = v.id").
		Where("v.status = ? AND v.requires_ack = ? AND d.ack_from_number = v.number", GuidancePublished, true).
		Where("NOT EXISTS (SELECT 1 FROM reminders_sent r WHERE r.kind = ? AND r.object_id = v.id)", ReminderGuidanceAckAnnounced).
		Order("v.id").Scan(&versions).Error
	if err != nil {
		return "", core.DBError(err)
	}
	told := int64(0)
	sum := func() string {
		return fmt.Sprintf("%s announced, to %s", core.Plural(int64(len(versions)), "guidance version", "guidance versions"), core.Plural(told, "person", "people"))
	}
	for _, v := range versions {
		l, err := g.loadVersion(ctx, v.ID)
		if err != nil {
			return sum(), err
		}
		level := policies.Level(v.Classification)
		text := "The guidance " + guidanceWhat(v.Title, level, "addressed to you") + " asks you to confirm you have read it."
		link := "/guidance/documents/" + core.IDString(v.DocumentID)
		subject := core.Subject(core.SubjectGuidanceAck, v.ID)
		var after int64
		for {
			if err := ctx.Err(); err != nil {
				return sum(), err
			}
			var n int
			var batchTold int64
			err := g.d.DB.InTx(ctx, func(ctx context.Context) error {
				batchTold = 0
				var people []struct {
					core.User
					Kind string
				}
				if err := g.d.DB.Conn(ctx).Table("users u").Select("u.*, o.kind").Joins("JOIN organisations o ON o.id = u.organisation_id").
					Where("u.id > ? AND u.disabled_at IS NULL AND o.active = ?", after, true).Order("u.id").Limit(ackBatch).Scan(&people).Error; err != nil {
					return core.DBError(err)
				}
				n = len(people)
				if n == 0 {
					return nil
				}
				after = people[n-1].ID
				ids := make([]int64, n)
				for i, p := range people {
					ids[i] = p.ID
				}
				var done []int64
				if err := g.d.DB.Conn(ctx).Table("guidance_acknowledgements").Where("document_id = ? AND user_id IN ? AND version_number >= ?", v.DocumentID, ids, l.doc.AckFromNumber).
					Pluck("user_id", &done).Error; err != nil {
					return core.DBError(err)
				}
				var notified []int64
				if err := g.d.DB.Conn(ctx).Model(&core.Notification{}).Where("subject = ? AND user_id IN ?", subject, ids).Pluck("user_id", &notified).Error; err != nil {
					return core.DBError(err)
				}
				now := g.d.Now()
				for _, p := range people {
					if slices.Contains(done, p.ID) || slices.Contains(notified, p.ID) {
						continue
					}
					if clearance, _ := core.Access(p.VettingLevel, p.VettingExpiresOn, now); clearance < level {
						continue
					}
					r := guidanceReader{OrgID: p.OrganisationID, Kind: core.OrgKind(p.Kind), Roles: g.d.Authz.RolesIn(policies.UserPrincipal(p.ID), policies.OrgDomain(p.OrganisationID))}
					if !l.audience.includes(r) {
						continue
					}
					if err := core.NotifySubject(ctx, g.d, p.ID, NoticeGuidanceAck, text, link, subject); err != nil {
						return err
					}
					batchTold++
				}
				return nil
			})
			if err != nil {
				return sum(), err
			}
			told += batchTold
			if n < ackBatch {
				break
			}
		}
		if _, err := claimReminder(ctx, g.d, ReminderGuidanceAckAnnounced, v.ID, v.PublishedAt); err != nil {
			return sum(), err
		}
	}
	return sum(), nil
}

// Keys of guidance's things to do.
const (
	ToDoAcknowledge = "guidance_to_acknowledge"
	ToDoApprove     = "guidance_to_approve"
	ToDoReview      = "guidance_to_review"
)

// ToDo counts the guidance work waiting on who, for their home page: guidance addressed to them
// that they have not acknowledged (the rule of Outstanding), versions of their organisation
// they may approve (submitted, within their clearance, none of it written by them: the policy's
// four eyes), and their organisation's documents whose review is overdue or due within 30 days
// (the Dashboard's rule), each only when the policy lets who do that work. Anyone signed in
// may call it.
func (g *Service) ToDo(ctx context.Context, who core.Actor) ([]core.ToDo, error) {
	sub, own := who.Subject(), policies.OrgDomain(who.OrgID)
	may := func(act policies.Action, rel policies.Relation) bool {
		return g.d.Authz.Can(ctx, sub, act, policies.Object{Type: "document", Org: own, Rel: rel}) == nil
	}
	db := g.d.DB.Conn(ctx)
	var out []core.ToDo
	if may(policies.ActAcknowledge, policies.RelAudience) {
		scope, args, err := g.readerScope(ctx, who, true)
		if err != nil {
			return nil, err
		}
		var n int64
		err = db.Raw("SELECT COUNT(*) FROM "+guidanceCurrent+" WHERE v.requires_ack = ? AND "+scope+
			" AND NOT EXISTS (SELECT 1 FROM guidance_acknowledgements a WHERE a.document_id = d.id AND a.user_id = ? AND a.version_number >= d.ack_from_number)",
			append(append([]any{true}, args...), who.UserID)...).Scan(&n).Error
		if err != nil {
			return nil, core.DBError(err)
		}
		out = append(out, core.ToDo{Key: ToDoAcknowledge, Label: "Guidance to read and acknowledge", Count: n, Link: "/guidance"})
	}
	if may(policies.ActPublish, 0) {
		var n int64
		err := db.Table("guidance_versions v").Joins("JOIN guidance_documents d ON d.id = v.document_id").
			Where("d.organisation_id = ? AND v.status = ? AND v.classification <= ? AND v.author_id <> ?", who.OrgID, GuidanceSubmitted, int(who.Clearance), who.UserID).
			Where("NOT EXISTS (SELECT 1 FROM guidance_version_contributors c WHERE c.version_id = v.id AND c.user_id = ?)", who.UserID).
			Count(&n).Error
		if err != nil {
			return nil, core.DBError(err)
		}
		out = append(out, core.ToDo{Key: ToDoApprove, Label: "Guidance to approve", Count: n, Link: "/guidance/manage"})
	}
	if may(policies.ActReview, 0) {
		var n int64
		err := db.Table("guidance_documents d").Joins("JOIN guidance_versions v ON v.id = d.current_version_id").
			Where("d.organisation_id = ? AND v.classification <= ? AND d.review_due_on < ?", who.OrgID, int(who.Clearance), guidanceDay(g.d.Now()).Add(guidanceDueSoon)).
			Count(&n).Error
		if err != nil {
			return nil, core.DBError(err)
		}
		out = append(out, core.ToDo{Key: ToDoReview, Label: "Guidance to review", Count: n, Link: "/guidance/manage"})
	}
	return out, nil
}
