// Package reviews reminds people of the reviews charging decisions are owed: a Threshold Test
// decision must be reviewed by the date the Crown Prosecutor set, and the Full Code Test applied
// once the evidence arrives (DOMAIN.md §F2). It reads the case files' CPS entries, which it
// imports, and changes none of them.
package reviews

import (
	"context"
	"fmt"
	"time"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/charging"
	"github.com/msptp/msphub/models/core"
)

// Service holds the reminders of charging decision reviews.
type Service struct{ d core.Deps }

// New builds the reminders.
func New(d core.Deps) *Service { return &Service{d: d} }

// JobRemindThreshold is the name of the job that reminds Threshold Test reviews.
const JobRemindThreshold = "remind-threshold-reviews"

// Jobs are the background jobs of decision reviews.
func (s *Service) Jobs() []core.Job {
	return []core.Job{{Name: JobRemindThreshold, Every: time.Hour, Run: s.RemindThreshold}}
}

// SoonDays is how many days before a Threshold Test decision's review date the prosecutor and
// the lead investigator are reminded of it.
const SoonDays = 7

// Reminders of a Threshold Test review (reminders_sent kinds; object: the decision).
const (
	ReminderSoon    = "cps-threshold-review-soon"
	ReminderOverdue = "cps-threshold-review-overdue"
)

// batch is how many decisions a run reads at a time.
const batch = 200

// RemindThreshold reminds the Crown Prosecutor who made a Threshold Test decision and the lead
// investigator that it must be reviewed: once when the review date is within SoonDays, once more
// when it has passed, while the case is open (a decision first seen past its date gets the
// second only). Each reminder is sent once, whatever the number of runs or replicas. Errors:
// EUNAVAILABLE, EINTERNAL.
func (s *Service) RemindThreshold(ctx context.Context) (string, error) {
	var sent, lastID int64
	summary := func() string {
		switch sent {
		case 0:
			return "no Threshold Test reviews reminded"
		case 1:
			return "1 Threshold Test review reminded"
		}
		return fmt.Sprintf("%d Threshold Test reviews reminded", sent)
	}
	for {
		now := s.d.Now().UTC()
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		var rows []struct {
			ID        int64
			CaseID    int64
			CreatedBy int64
			ReviewOn  time.Time
			Lead      int64
		}
		err := s.d.DB.Conn(ctx).Table("cps_actions a").Select("a.id, a.case_id, a.created_by, a.review_on, cf.lead_investigator_id AS lead").
			Joins("JOIN case_files cf ON cf.id = a.case_id").
			Where("a.id > ? AND a.kind = ? AND a.charging_test = ? AND a.review_on <= ? AND cf.status <> ?", lastID, casefile.KindDecision, charging.Threshold,
				today.AddDate(0, 0, SoonDays), casefile.StatusClosed).
			Where("NOT EXISTS (SELECT 1 FROM reminders_sent r WHERE r.kind = ? AND r.object_id = a.id)", ReminderOverdue).
			Order("a.id").Limit(batch).Scan(&rows).Error
		if err != nil {
			return summary(), core.DBError(err)
		}
		for _, r := range rows {
			lastID = r.ID
			review := r.ReviewOn.UTC().Format("2 January 2006")
			kind, text := ReminderSoon, "A Threshold Test charging decision must be reviewed by "+review+": the Full Code Test is applied once the evidence arrives."
			if r.ReviewOn.Before(today) {
				kind, text = ReminderOverdue, "The review of a Threshold Test charging decision was due on "+review+" and is overdue."
			}
			ok, err := s.remind(ctx, kind, r.ID, r.ReviewOn, []int64{r.CreatedBy, r.Lead}, text, "/casefiles/"+core.IDString(r.CaseID))
			if err != nil {
				return summary(), err
			}
			if ok {
				sent++
			}
		}
		if len(rows) < batch {
			return summary(), nil
		}
	}
}

// remind claims reminder kind of decision (reminders_sent) and notifies the active people among
// ids, in one transaction; false when it was sent before. The text names no case material.
func (s *Service) remind(ctx context.Context, kind string, decision int64, due time.Time, ids []int64, text, link string) (bool, error) {
	sent := false
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		res := s.d.DB.Conn(ctx).Exec("INSERT INTO reminders_sent (kind, object_id, due_on, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
			kind, decision, due.UTC().Format(time.DateOnly), s.d.Now())
		if res.Error != nil || res.RowsAffected == 0 {
			return core.DBError(res.Error)
		}
		sent = true
		var active []int64
		if err := s.d.DB.Conn(ctx).Table("users").Where("id IN ? AND disabled_at IS NULL", ids).Order("id").Pluck("id", &active).Error; err != nil {
			return core.DBError(err)
		}
		for _, u := range active {
			if err := core.Notify(ctx, s.d, u, casefile.NoticeCaseCPS, text, link); err != nil {
				return err
			}
		}
		return nil
	})
	return sent, err
}
