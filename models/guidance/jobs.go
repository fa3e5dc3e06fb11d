package guidance

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// Kinds of reminder: each is sent once for one object and one due date (reminders_sent).
const (
	ReminderGuidanceReviewSoon    = "guidance-review-soon"    // the review falls due within 30 days
	ReminderGuidanceReviewOverdue = "guidance-review-overdue" // the review date has passed
)

// NoticeReviewDue is the kind of notification that a guidance review falls due.
const NoticeReviewDue = "review_due"

// claimReminder records that the reminder of kind for object and due date is being sent, in
// the transaction in ctx. It reports false when it was sent already: the caller then sends
// nothing. Sending in the same transaction makes each reminder go exactly once.
func claimReminder(ctx context.Context, d core.Deps, kind string, objectID int64, due time.Time) (bool, error) {
	res := d.DB.Conn(ctx).Exec("INSERT INTO reminders_sent (kind, object_id, due_on, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
		kind, objectID, due.UTC().Format(time.DateOnly), d.Now())
	if res.Error != nil {
		return false, core.DBError(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// remindReviews tells the guidance editors and approvers of each organisation, once, that a
// published document's review falls due within 30 days, and once more when the date has passed.
// The people told are those the policy lets review the document (their clearance covers it).
// A background job (JobRemindGuidanceReviews).
func (g *Service) remindReviews(ctx context.Context) (string, error) {
	now := g.d.Now()
	today := guidanceDay(now)
	var docs []struct {
		ID             int64
		OrganisationID int64
		ReviewDueOn    time.Time
		Title          string
		Classification int
	}
	err := g.d.DB.Conn(ctx).Table("guidance_documents d").
		Select("d.id, d.organisation_id, d.review_due_on, v.title, v.classification").
		Joins("JOIN guidance_versions v ON v.id = d.current_version_id").
		Where("v.status = ? AND d.review_due_on IS NOT NULL AND d.review_due_on < ?", GuidancePublished, today.Add(guidanceDueSoon)).
		Order("d.id").Scan(&docs).Error
	if err != nil {
		return "", core.DBError(err)
	}
	sent, told := 0, 0
	for _, doc := range docs {
		if err := ctx.Err(); err != nil {
			return fmt.Sprintf("%s sent before it stopped", core.Plural(int64(sent), "reminder", "reminders")), err
		}
		due := guidanceDay(doc.ReviewDueOn)
		kind, when := ReminderGuidanceReviewSoon, "is due for review on "+due.Format("2 January 2006")
		if due.Before(today) {
			kind, when = ReminderGuidanceReviewOverdue, "was due for review on "+due.Format("2 January 2006")+" and has not been reviewed"
		}
		// The title goes into mail: a title of OFFICIAL-SENSITIVE guidance stays in MSP Hub.
		what := fmt.Sprintf("The guidance %q", doc.Title)
		if policies.Level(doc.Classification) >= policies.OfficialSensitive {
			what = "A guidance document of your organisation"
		}
		err := g.d.DB.InTx(ctx, func(ctx context.Context) error {
			first, err := claimReminder(ctx, g.d, kind, doc.ID, due)
			if err != nil || !first {
				return err
			}
			people, err := g.reviewersOf(ctx, doc.ID, doc.OrganisationID, now)
			if err != nil {
				return err
			}
			for _, id := range people {
				if err := core.NotifySubject(ctx, g.d, id, NoticeReviewDue, what+" "+when+".", "/guidance/documents/"+core.IDString(doc.ID),
					core.Subject(core.SubjectGuidanceReview, doc.ID)); err != nil {
					return err
				}
			}
			sent++
			told += len(people)
			return g.audit.Record(ctx, nil, core.Event{Action: "guidance.review_remind", ObjectType: "guidance_document", ObjectID: core.IDString(doc.ID),
				Outcome: core.OutcomeSuccess, Details: map[string]string{"kind": kind, "review_due_on": due.Format(time.DateOnly), "recipients": strconv.Itoa(len(people))}})
		})
		if err != nil {
			return fmt.Sprintf("%s sent before it failed", core.Plural(int64(sent), "reminder", "reminders")), err
		}
	}
	return fmt.Sprintf("%s of a guidance review sent, to %s", core.Plural(int64(sent), "reminder", "reminders"), core.Plural(int64(told), "person", "people")), nil
}

// reviewersOf lists the active editors and approvers of the organisation whom the policy lets
// review the document.
func (g *Service) reviewersOf(ctx context.Context, documentID, orgID int64, now time.Time) ([]int64, error) {
	var users []core.User
	err := g.d.DB.Conn(ctx).Where("organisation_id = ? AND disabled_at IS NULL AND EXISTS (SELECT 1 FROM casbin_rule r "+
		"WHERE r.ptype = 'g' AND r.v0 = 'user:' || users.id AND r.v1 IN ? AND r.v2 = ?)",
		orgID, []string{policies.RoleGuidanceEditor, policies.RoleGuidanceApprover}, policies.OrgDomain(orgID)).
		Order("id").Find(&users).Error
	if err != nil {
		return nil, core.DBError(err)
	}
	var out []int64
	for _, u := range users {
		who := core.ActorOf(g.d, u, now)
		_, obj, err := g.seeDocument(ctx, who, documentID)
		if core.ErrorCode(err) == core.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := g.d.Authz.Can(ctx, who.Subject(), policies.ActReview, obj); err == nil {
			out = append(out, u.ID)
		}
	}
	return out, nil
}

// JobRemindGuidanceReviews tells owners that a document's review is due.
const JobRemindGuidanceReviews = "remind-guidance-reviews"

// JobAnnounceGuidanceAcknowledgements tells the audience of newly published guidance that asks
// to be acknowledged.
const JobAnnounceGuidanceAcknowledgements = "announce-guidance-acknowledgements"

// Jobs are guidance's background jobs.
func (g *Service) Jobs() []core.Job {
	return []core.Job{{Name: JobRemindGuidanceReviews, Every: time.Hour, Run: g.remindReviews},
		{Name: JobAnnounceGuidanceAcknowledgements, Every: 5 * time.Minute, Run: g.AnnounceAcknowledgements}}
}
