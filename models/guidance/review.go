package guidance

import (
	"context"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// Review states of a published document.
const (
	GuidanceReviewOverdue = "overdue"  // the review date has passed
	GuidanceReviewDueSoon = "due_soon" // the review falls due within 30 days
	GuidanceReviewCurrent = "current"
)

// GuidanceReviewState says where a review date stands on day now.
func GuidanceReviewState(due *time.Time, now time.Time) string {
	if due == nil {
		return ""
	}
	today := guidanceDay(now)
	switch d := guidanceDay(*due); {
	case d.Before(today):
		return GuidanceReviewOverdue
	case d.Before(today.Add(guidanceDueSoon)):
		return GuidanceReviewDueSoon
	}
	return GuidanceReviewCurrent
}

// GuidanceWorkItem is a version being worked on, on the owners' dashboard.
type GuidanceWorkItem struct {
	DocumentID     int64          `json:"document_id"`
	VersionID      int64          `json:"version_id"`
	Number         int            `json:"number"`
	Status         string         `json:"status"`
	Title          string         `json:"title"`
	Classification string         `json:"classification"`
	Author         GuidancePerson `json:"author"`
	UpdatedAt      time.Time      `json:"updated_at"`
	SubmittedAt    *time.Time     `json:"submitted_at,omitempty"`
	// YoursToDecide: submitted, and who may publish or return it (an approver who wrote none
	// of it).
	YoursToDecide bool `json:"yours_to_decide"`
}

// GuidanceDashboard is what the guidance editors and approvers of an organisation look after.
type GuidanceDashboard struct {
	Working        []GuidanceWorkItem `json:"working"` // drafts, submitted and returned versions
	Overdue        []GuidanceDocument `json:"overdue"`
	DueSoon        []GuidanceDocument `json:"due_soon"`
	Classification string             `json:"classification"` // the highest of everything listed
}

// Dashboard lists, for who's organisation, the versions being worked on and the published
// documents whose review is overdue or due within 30 days, among those who's clearance covers.
// Who: guidance editors and approvers. Errors: EFORBIDDEN.
func (g *Service) Dashboard(ctx context.Context, who core.Actor) (GuidanceDashboard, error) {
	out := GuidanceDashboard{Working: []GuidanceWorkItem{}, Overdue: []GuidanceDocument{}, DueSoon: []GuidanceDocument{}}
	orgObj := policies.Object{Type: "document", Org: policies.OrgDomain(who.OrgID)}
	if err := core.Can(ctx, g.d.Authz, who, policies.ActReview, orgObj, "Only guidance editors and approvers look after their organisation's guidance."); err != nil {
		return out, err
	}
	db := g.d.DB.Conn(ctx)
	var working []guidanceVersion
	err := db.Table("guidance_versions v").Select("v.*").Joins("JOIN guidance_documents d ON d.id = v.document_id").
		Where("d.organisation_id = ? AND v.status IN ? AND v.classification <= ?", who.OrgID,
			[]string{GuidanceDraft, GuidanceSubmitted, GuidanceReturned}, int(who.Clearance)).
		Order("v.updated_at DESC, v.id DESC").Find(&working).Error
	if err != nil {
		return out, core.DBError(err)
	}
	level := policies.Unmarked
	var authors []*int64
	for i := range working {
		authors = append(authors, &working[i].AuthorID)
	}
	names, err := g.people(ctx, authors...)
	if err != nil {
		return out, err
	}
	for _, v := range working {
		l, obj, err := g.seeVersion(ctx, who, v.ID)
		if core.ErrorCode(err) == core.ENOTFOUND {
			continue
		}
		if err != nil {
			return out, err
		}
		item := GuidanceWorkItem{DocumentID: v.DocumentID, VersionID: v.ID, Number: v.Number, Status: v.Status, Title: v.Title,
			Classification: v.level().String(), Author: GuidancePerson{ID: v.AuthorID, Name: names[v.AuthorID]},
			UpdatedAt: v.UpdatedAt, SubmittedAt: v.SubmittedAt}
		if l.v.Status == GuidanceSubmitted {
			item.YoursToDecide = g.d.Authz.Can(ctx, who.Subject(), policies.ActPublish, obj) == nil
		}
		level = max(level, v.level())
		out.Working = append(out.Working, item)
	}
	// Published documents of the organisation by review date, within the actor's clearance.
	soon := guidanceDay(g.d.Now()).Add(guidanceDueSoon)
	var rows []guidanceDocRow
	err = db.Raw("SELECT "+guidanceDocColumns+" FROM guidance_documents d JOIN guidance_versions v ON v.id = d.current_version_id "+
		"JOIN organisations o ON o.id = d.organisation_id WHERE d.organisation_id = ? AND v.classification <= ? AND d.review_due_on < ? "+
		"ORDER BY d.review_due_on, d.id", who.OrgID, int(who.Clearance), soon).Scan(&rows).Error
	if err != nil {
		return out, core.DBError(err)
	}
	docs, err := g.documents(ctx, rows)
	if err != nil {
		return out, err
	}
	for i, d := range docs {
		level = max(level, policies.Level(rows[i].Classification))
		if GuidanceReviewState(d.ReviewDueOn, g.d.Now()) == GuidanceReviewOverdue {
			out.Overdue = append(out.Overdue, d)
		} else {
			out.DueSoon = append(out.DueSoon, d)
		}
	}
	out.Classification = strings.TrimSpace(level.String())
	return out, nil
}

// guidanceMaxReviewYears is the furthest a reviewer may set the next review.
const guidanceMaxReviewYears = 3 // years

// Review records that a published document was reviewed and needs no change: its next review
// falls due on next (twelve months from today when nil). To change it, start a new version.
// Who: guidance editors and approvers of the owning organisation. Errors: ENOTFOUND,
// EFORBIDDEN, EINVALID (a date not in the next three years), ECONFLICT (nothing published).
func (g *Service) Review(ctx context.Context, who core.Actor, documentID int64, next *time.Time) (GuidanceDocumentView, error) {
	err := g.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Guidance)
		l, obj, err := g.seeDocument(ctx, who, documentID)
		if err != nil {
			return err
		}
		if err := core.Can(ctx, g.d.Authz, who, policies.ActReview, obj, "Only guidance editors and approvers of the owning organisation can review this guidance."); err != nil {
			return err
		}
		if l.v.Status != GuidancePublished {
			return core.Conflict("This guidance has no published version to review yet: it falls due for review twelve months after it is published.")
		}
		now := g.d.Now()
		today := guidanceDay(now)
		due := today.AddDate(0, guidanceReviewMonths, 0)
		if next != nil {
			due = guidanceDay(*next)
			if !due.After(today) || due.After(today.AddDate(guidanceMaxReviewYears, 0, 0)) {
				return core.Invalid("next_review", "The next review must be after today and within three years")
			}
		}
		previous := "none"
		if l.doc.ReviewDueOn != nil {
			previous = l.doc.ReviewDueOn.Format(time.DateOnly)
		}
		if err := g.d.DB.Conn(ctx).Model(&guidanceDocument{}).Where("id = ?", documentID).Updates(map[string]any{
			"review_due_on": due, "reviewed_at": now, "reviewed_by": who.UserID, "updated_at": now}).Error; err != nil {
			return core.DBError(err)
		}
		if err := core.CloseSubject(ctx, g.d, core.Subject(core.SubjectGuidanceReview, documentID), who.UserID); err != nil {
			return err
		}
		return g.audit.Record(ctx, &who, core.Event{Action: "guidance.review", ObjectType: "guidance_document", ObjectID: core.IDString(documentID),
			Outcome: core.OutcomeSuccess, Details: map[string]string{"outcome": "no change", "version": core.IDString(int64(l.v.Number)),
				"previous_due": previous, "next_due": due.Format(time.DateOnly)}})
	})
	if err != nil {
		return GuidanceDocumentView{}, err
	}
	return g.Document(ctx, who, documentID)
}

// LibraryActions says what who may do with their organisation's guidance: create (draft new
// guidance, MayDraft), review (look after it, MayManage), report (see who has acknowledged it,
// MayReport). Pages offer links from it. Who: anyone signed in.
func (g *Service) LibraryActions(ctx context.Context, who core.Actor) core.Actions {
	return core.Actions{Create: g.MayDraft(ctx, who) == nil, Review: g.MayManage(ctx, who) == nil, Report: g.MayReport(ctx, who) == nil}
}

// MayDraft says whether who may draft guidance for their own organisation (what the library
// offers). Who: anyone signed in. Errors: EFORBIDDEN.
func (g *Service) MayDraft(ctx context.Context, who core.Actor) error {
	return core.Can(ctx, g.d.Authz, who, policies.ActCreate, policies.Object{Type: "document", Org: policies.OrgDomain(who.OrgID)},
		"Only guidance editors can draft guidance.")
}

// MayManage says whether who looks after their organisation's guidance: its dashboard of drafts
// and reviews. Who: anyone signed in. Errors: EFORBIDDEN.
func (g *Service) MayManage(ctx context.Context, who core.Actor) error {
	return core.Can(ctx, g.d.Authz, who, policies.ActReview, policies.Object{Type: "document", Org: policies.OrgDomain(who.OrgID)},
		"Only guidance editors and approvers look after their organisation's guidance.")
}

// MayReport says whether who may see who in their organisation has acknowledged guidance.
// Who: anyone signed in. Errors: EFORBIDDEN.
func (g *Service) MayReport(ctx context.Context, who core.Actor) error {
	return core.Can(ctx, g.d.Authz, who, policies.ActReport, policies.Object{Type: "acknowledgement", Org: policies.OrgDomain(who.OrgID)},
		"Only supervisors and organisation administrators can see who has acknowledged guidance.")
}
