package casefile

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/msptp/msphub/models/core"
	"gorm.io/gorm"
)

// The background jobs of case files. Each is an idempotent operation of the shape the job
// runner takes, func(ctx) (summary, error): it acts as the system (no actor), claims every
// piece of work with a conditional update in the transaction that does it, so a second run,
// a run on another replica at the same moment, or a run after a replica died part-way does
// nothing twice and leaves nothing half done.

// Kinds of notification case files write.
const (
	NoticeCaseShare  = "case_share"  // a CPS share of a pack ran out
	NoticeCaseAction = "case_action" // a CPS action-plan item falls due, or is overdue
)

// ActionDueSoonDays is how many days before an action-plan item's due date the team is
// reminded of it.
const ActionDueSoonDays = 2

// jobBatch is how many rows a job reads at a time.
const jobBatch = 200

// ExpireShares records the CPS shares that ran out since the last run. Access already ends at
// the moment a share expires (every check compares expires_at with the clock); this job makes
// the end visible: on the case timeline, in the audit log, and by notification to the
// supervisor who shared the pack (so they can renew it) and to the liaison, unless the same
// liaison holds a newer live share of the case. Each share is recorded once, whatever the
// number of runs or replicas. Errors: EUNAVAILABLE, EINTERNAL.
func (s *Service) ExpireShares(ctx context.Context) (string, error) {
	var recorded, lastID int64
	for {
		now := s.d.Now()
		var batch []caseShare
		err := s.d.DB.Conn(ctx).Where("id > ? AND revoked_at IS NULL AND expiry_recorded_at IS NULL AND expires_at <= ?", lastID, now).
			Order("id").Limit(jobBatch).Find(&batch).Error
		if err != nil {
			return summarise(recorded, "CPS share", "expired"), core.DBError(err)
		}
		for _, sh := range batch {
			lastID = sh.ID
			done, err := s.expireShare(ctx, sh, now)
			if err != nil {
				return summarise(recorded, "CPS share", "expired"), err
			}
			if done {
				recorded++
			}
		}
		if len(batch) < jobBatch {
			return summarise(recorded, "CPS share", "expired"), nil
		}
	}
}

// expireShare records one expired share, unless another run got there first.
func (s *Service) expireShare(ctx context.Context, sh caseShare, now time.Time) (bool, error) {
	done := false
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		claim := s.d.DB.Conn(ctx).Model(&caseShare{}).Where("id = ? AND revoked_at IS NULL AND expiry_recorded_at IS NULL AND expires_at <= ?", sh.ID, now).
			Update("expiry_recorded_at", now)
		if claim.Error != nil {
			return core.DBError(claim.Error)
		}
		if claim.RowsAffected == 0 {
			return nil // another run recorded it, or it was revoked meanwhile
		}
		done = true
		var number int
		if err := s.d.DB.Conn(ctx).Table("pack_submissions").Select("number").Where("id = ?", sh.SubmissionID).Scan(&number).Error; err != nil {
			return core.DBError(err)
		}
		names, err := s.userNames(ctx, sh.LiaisonID)
		if err != nil {
			return err
		}
		ended := sh.ExpiresAt.In(core.London).Add(-time.Second).Format("2 January 2006")
		if err := s.packEvent(ctx, core.Actor{}, sh.CaseID, number, "share", "Share of pack "+core.IDString(int64(number))+" with "+names[sh.LiaisonID]+" expired",
			"The share lasted until the end of "+ended+". A supervisor can share the pack again if the CPS still needs it."); err != nil {
			return err
		}
		var renewed int64
		if err := s.d.DB.Conn(ctx).Model(&caseShare{}).Where("case_id = ? AND liaison_id = ? AND revoked_at IS NULL AND expires_at > ?", sh.CaseID, sh.LiaisonID, now).
			Count(&renewed).Error; err != nil {
			return core.DBError(err)
		}
		if err := core.CloseSubject(ctx, s.d, core.Subject(core.SubjectShare, sh.ID), 0); err != nil {
			return err
		}
		if renewed == 0 {
			// The texts name no case material: the link leads to the case for those who may see it.
			if err := core.Notify(ctx, s.d, sh.SharedBy, NoticeCaseShare, "A case file pack you shared with the CPS is no longer shared: the share ended on "+ended+". Share it again if the CPS still needs it.",
				"/casefiles/"+core.IDString(sh.CaseID)+"/pack"); err != nil {
				return err
			}
			if err := core.Notify(ctx, s.d, sh.LiaisonID, NoticeCaseShare, "A case file pack shared with you has expired ("+ended+"): ask the police supervisor if you still need it.",
				"/casefiles/cps"); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, nil, core.Event{Action: "casefile.share_expire", ObjectType: "casefile", ObjectID: core.IDString(sh.CaseID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"share": core.IDString(sh.ID), "liaison": core.IDString(sh.LiaisonID), "expires_at": sh.ExpiresAt.UTC().Format(time.RFC3339)}})
	})
	return done, err
}

// RemindDueActions reminds the case team of open CPS action-plan items with a due date: once
// when an item falls due within ActionDueSoonDays, and once more when it is overdue (an item
// first seen overdue gets the overdue reminder only). It reminds the lead investigator and the
// owner of the checklist item the action concerns, while the case is at a stage where the team
// can answer (advice returned, action plan, charged). Each reminder is sent once, whatever the
// number of runs or replicas. Errors: EUNAVAILABLE, EINTERNAL.
func (s *Service) RemindDueActions(ctx context.Context) (string, error) {
	var soon, overdue, lastID int64
	sum := func() string {
		return summarise(soon, "CPS action", "falling due reminded") + "; " + summarise(overdue, "CPS action", "overdue reminded")
	}
	for {
		today := dateOnly(s.d.Now())
		var batch []struct {
			CPSAction
			Lead  int64
			Owner *int64
		}
		err := s.d.DB.Conn(ctx).Table("cps_actions a").
			Select("a.*, cf.lead_investigator_id AS lead, ci.owner_id AS owner").
			Joins("JOIN case_files cf ON cf.id = a.case_id").
			Joins("LEFT JOIN checklist_items ci ON ci.id = a.item_id").
			Where("a.id > ? AND a.kind = ? AND a.responded_at IS NULL AND a.due_on IS NOT NULL AND a.overdue_reminded_at IS NULL", lastID, KindAction).
			Where("cf.status IN ?", []CaseStatus{StatusAdviceReturned, StatusActionPlan, StatusCharged}).
			Order("a.id").Limit(jobBatch).Scan(&batch).Error
		if err != nil {
			return sum(), core.DBError(err)
		}
		for _, a := range batch {
			lastID = a.ID
			due := dateOnly(*a.DueOn)
			var column, text string
			switch {
			case due.Before(today):
				column = "overdue_reminded_at"
				text = "A CPS action-plan item on a case file you work on was due on " + due.Format("2 January 2006") + " and is still unanswered: answer it, or agree a new date with the CPS."
			case !due.After(today.AddDate(0, 0, ActionDueSoonDays)) && a.DueRemindedAt == nil:
				column = "due_reminded_at"
				text = "A CPS action-plan item on a case file you work on is due on " + due.Format("2 January 2006") + "."
			default:
				continue
			}
			people := []int64{a.Lead}
			if a.Owner != nil && !slices.Contains(people, *a.Owner) {
				people = append(people, *a.Owner)
			}
			sent, err := s.remindAction(ctx, a.CPSAction, column, text, "/casefiles/"+core.IDString(a.CaseID)+"/pack", people)
			if err != nil {
				return sum(), err
			}
			if sent && column == "overdue_reminded_at" {
				overdue++
			} else if sent {
				soon++
			}
		}
		if len(batch) < jobBatch {
			return sum(), nil
		}
	}
}

// remindAction claims one reminder of an action (column still empty, the action still open)
// and notifies people who are still active, in one transaction.
func (s *Service) remindAction(ctx context.Context, a CPSAction, column, text, link string, people []int64) (bool, error) {
	actionID := a.ID
	sent := false
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		now := s.d.Now()
		updates := map[string]any{column: now}
		if column == "overdue_reminded_at" {
			updates["due_reminded_at"] = gorm.Expr("COALESCE(due_reminded_at, ?)", now)
		}
		claim := s.d.DB.Conn(ctx).Model(&CPSAction{}).Where("id = ? AND responded_at IS NULL AND "+column+" IS NULL", actionID).Updates(updates)
		if claim.Error != nil {
			return core.DBError(claim.Error)
		}
		if claim.RowsAffected == 0 {
			return nil
		}
		sent = true
		var active []int64
		if err := s.d.DB.Conn(ctx).Table("users").Where("id IN ? AND disabled_at IS NULL", people).Order("id").Pluck("id", &active).Error; err != nil {
			return core.DBError(err)
		}
		// The team's reminder closes when the action is answered (AnswerAction).
		for _, u := range active {
			if err := core.NotifySubject(ctx, s.d, u, NoticeCaseAction, text, link, core.Subject(core.SubjectCPSAction, actionID)); err != nil {
				return err
			}
		}
		// The liaison who waits for the answer is told too.
		liaisons, err := s.liaisonsOf(ctx, a.CaseID)
		if err != nil {
			return err
		}
		due := dateOnly(*a.DueOn).Format("2 January 2006")
		ltext := "An action you raised on a case file shared with you is due on " + due + " and not answered yet."
		if column == "overdue_reminded_at" {
			ltext = "An action you raised on a case file shared with you was due on " + due + " and is still unanswered."
		}
		return s.notifyEach(ctx, liaisons, 0, NoticeCaseCPS, ltext, "/casefiles/"+core.IDString(a.CaseID), "")
	})
	return sent, err
}

// ReminderShareExpiring is the reminders_sent kind of the reminder that a share ends soon
// (object: the share; due: its last day).
const ReminderShareExpiring = "cps-share-expiring"

// RemindExpiringShares reminds, once per share, the supervisor who shared a pack and the
// liaison it is shared with that the share ends within ShareDueSoonDays, so that it is renewed
// before the CPS loses access if the CPS still needs it. A share renewed meanwhile (a newer live
// share of the same case with the same liaison ending later) is not reminded of. Each reminder
// is sent once, whatever the number of runs or replicas. Errors: EUNAVAILABLE, EINTERNAL.
func (s *Service) RemindExpiringShares(ctx context.Context) (string, error) {
	var sent, lastID int64
	for {
		now := s.d.Now()
		var batch []caseShare
		err := s.d.DB.Conn(ctx).Where("id > ? AND revoked_at IS NULL AND expires_at > ? AND expires_at <= ?", lastID, now, now.AddDate(0, 0, ShareDueSoonDays)).
			Where("NOT EXISTS (SELECT 1 FROM reminders_sent r WHERE r.kind = ? AND r.object_id = case_shares.id)", ReminderShareExpiring).
			Order("id").Limit(jobBatch).Find(&batch).Error
		if err != nil {
			return summarise(sent, "CPS share", "reminded of its end"), core.DBError(err)
		}
		for _, sh := range batch {
			lastID = sh.ID
			ok, err := s.remindShare(ctx, sh)
			if err != nil {
				return summarise(sent, "CPS share", "reminded of its end"), err
			}
			if ok {
				sent++
			}
		}
		if len(batch) < jobBatch {
			return summarise(sent, "CPS share", "reminded of its end"), nil
		}
	}
}

// remindShare claims and sends the reminder of one share in one transaction.
func (s *Service) remindShare(ctx context.Context, sh caseShare) (bool, error) {
	sent := false
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		last := shareLastDay(sh.ExpiresAt)
		res := s.d.DB.Conn(ctx).Exec("INSERT INTO reminders_sent (kind, object_id, due_on, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
			ReminderShareExpiring, sh.ID, sh.ExpiresAt.In(core.London).Add(-time.Second).Format(time.DateOnly), s.d.Now())
		if res.Error != nil {
			return core.DBError(res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		var cur caseShare
		if err := s.d.DB.Conn(ctx).Take(&cur, sh.ID).Error; err != nil {
			return core.DBError(err)
		}
		if cur.RevokedAt != nil {
			return nil
		}
		sent = true
		people, err := s.active(ctx, []int64{sh.SharedBy})
		if err != nil {
			return err
		}
		if err := s.notifyEach(ctx, people, 0, NoticeCaseShareEnding, "A case file pack you shared with the CPS stops being shared at the end of "+last+". Renew the share if the CPS still needs it.",
			packLink(sh.CaseID), ""); err != nil {
			return err
		}
		people, err = s.active(ctx, []int64{sh.LiaisonID})
		if err != nil {
			return err
		}
		return s.notifyEach(ctx, people, 0, NoticeCaseShareEnding, "A police case file pack shared with you stops being shared at the end of "+last+": ask the police supervisor to renew it if you still need it.",
			"/casefiles/"+core.IDString(sh.CaseID), "")
	})
	return sent, err
}

// summarise says how many things a job did: "no CPS shares expired", "1 CPS share expired".
func summarise(n int64, thing, did string) string {
	switch n {
	case 0:
		return "no " + thing + "s " + did
	case 1:
		return "1 " + thing + " " + did
	}
	return fmt.Sprintf("%d %ss %s", n, thing, did)
}

// Names of the case files' background jobs.
const (
	JobExpireCPSShares  = "expire-cps-shares"
	JobRemindCPSActions = "remind-cps-actions"
	JobRemindCPSShares  = "remind-cps-shares"
)

// Jobs are the case files' background jobs.
func (s *Service) Jobs() []core.Job {
	return []core.Job{
		{Name: JobExpireCPSShares, Every: 15 * time.Minute, Run: s.ExpireShares},
		{Name: JobRemindCPSActions, Every: time.Hour, Run: s.RemindDueActions},
		{Name: JobRemindCPSShares, Every: time.Hour, Run: s.RemindExpiringShares},
	}
}
