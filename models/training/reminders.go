package training

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/msptp/msphub/models/core"
)

// Reminders of training, for background jobs to run (each is a JobFunc): supervisors about
// requests close to expiring undecided, learners about certificates due for renewal. Each
// reminder goes once per item and window: it is sent in the transaction that inserts its row
// into reminders_sent, whose key (kind, object, due date) is unique, so runs that overlap (two
// replicas, a rerun after a crash) never send it twice.

// Kinds of reminder (reminders_sent.kind); the notifications they write are of kinds
// NoticeApprovalReminder and NoticeRenewal.
const (
	ReminderApprovalExpiring = "approval-expiring"    // object: enrolment; due: the day the request expires
	reminderRenewalPrefix    = "certificate-renewal-" // + the window in days; object: certificate; due: its expiry date
)

// ApprovalReminderLead is how long before a request expires its supervisors are reminded: two
// days, or half the time they were given when that is shorter, so that a one-day request is
// not reminded of the moment it is made.
const ApprovalReminderLead = 48 * time.Hour

// RenewalReminderDays are the windows, in days before a certificate expires, in which its holder
// is reminded to renew it: once in each, the first at the start of the learning record's
// renewal window. A certificate first seen late gets only the reminder of the window it is in.
func RenewalReminderDays() []int { return []int{RenewalWindow, 30, 7} }

// reminderBatch is how many items one pass of a reminder job reads at a time.
const reminderBatch = 200

// sendOnce records the reminder (kind, object, due) and, only if it was not recorded before,
// runs send in the same transaction: the unique key makes concurrent runs send it once.
func (t *Service) sendOnce(ctx context.Context, kind string, objectID int64, due string, send func(ctx context.Context) (int, error)) (int, error) {
	sent := 0
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		res := t.d.DB.Conn(ctx).Exec("INSERT INTO reminders_sent (kind, object_id, due_on, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
			kind, objectID, due, t.d.Now())
		if res.Error != nil {
			return core.DBError(res.Error)
		}
		if res.RowsAffected == 0 {
			return nil // already sent
		}
		n, err := send(ctx)
		sent = n
		return err
	})
	return sent, err
}

func remindersSent(n int) string {
	if n == 1 {
		return "1 reminder sent"
	}
	return fmt.Sprintf("%d reminders sent", n)
}

// RemindExpiringApprovals reminds the supervisors of each organisation of the requests of their
// staff that will expire undecided within ApprovalReminderLead (or half the time the course
// gives, if shorter): once per request. It returns a summary such as "3 reminders sent" (one
// per supervisor told). It is a background job's operation: no actor, nothing to authorize; the
// supervisors it tells are those who may decide, and the notification links to their queue.
func (t *Service) RemindExpiringApprovals(ctx context.Context) (string, error) {
	now := t.d.Now()
	total := 0
	var after int64
	for {
		if err := ctx.Err(); err != nil {
			return remindersSent(total), err
		}
		var list []Enrolment
		err := t.d.DB.Conn(ctx).Where("state = ? AND expires_at > ? AND expires_at <= ? AND id > ?", EnrolmentRequested, now, now.Add(ApprovalReminderLead), after).
			Where("NOT EXISTS (SELECT 1 FROM reminders_sent r WHERE r.kind = ? AND r.object_id = enrolments.id)", ReminderApprovalExpiring).
			Order("id").Limit(reminderBatch).Find(&list).Error
		if err != nil {
			return remindersSent(total), core.DBError(err)
		}
		for _, e := range list {
			after = e.ID
			lead := min(ApprovalReminderLead, e.ExpiresAt.Sub(e.RequestedAt)/2)
			if now.Before(e.ExpiresAt.Add(-lead)) {
				continue // not yet: a short request is reminded halfway through its time
			}
			n, err := t.sendOnce(ctx, ReminderApprovalExpiring, e.ID, e.ExpiresAt.In(core.London).Format(time.DateOnly), func(ctx context.Context) (int, error) {
				return t.remindSupervisors(ctx, e)
			})
			total += n
			if err != nil {
				return remindersSent(total), err
			}
		}
		if len(list) < reminderBatch {
			return remindersSent(total), nil
		}
	}
}

// remindSupervisors tells the supervisors of e's organisation (never the learner) that e expires
// soon, reading e again so that a request decided meanwhile is not reminded of.
func (t *Service) remindSupervisors(ctx context.Context, e Enrolment) (int, error) {
	db := t.d.DB.Conn(ctx)
	var cur Enrolment
	if err := db.Take(&cur, e.ID).Error; err != nil {
		return 0, core.DBError(err)
	}
	if cur.State != EnrolmentRequested {
		return 0, nil
	}
	var learner core.User
	var c Course
	var s CourseSession
	if err := db.Take(&learner, e.UserID).Error; err != nil {
		return 0, core.DBError(err)
	}
	if err := db.Take(&c, e.CourseID).Error; err != nil {
		return 0, core.DBError(err)
	}
	if err := db.Take(&s, e.SessionID).Error; err != nil {
		return 0, core.DBError(err)
	}
	supervisors, err := t.supervisorsOf(ctx, e.OrganisationID)
	if err != nil {
		return 0, err
	}
	text := fmt.Sprintf("Decide by %s: %s asked for a place on %s %s starting %s. If nobody decides, the request expires.",
		trainingTime(*e.ExpiresAt), learner.Name, c.Code, c.Title, trainingDate(s.StartsAt))
	n := 0
	for _, sup := range supervisors {
		if sup == e.UserID {
			continue // nobody decides their own request
		}
		if err := core.NotifySubject(ctx, t.d, sup, core.NoticeApprovalReminder, text, "/approvals", requestSubject(e.ID)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// renewalWindow is the reminder window a certificate expiring daysLeft days from today is in:
// the smallest of RenewalReminderDays that is at least daysLeft.
func renewalWindow(daysLeft int) int {
	days := RenewalReminderDays()
	slices.Sort(days)
	for _, d := range days {
		if daysLeft <= d {
			return d
		}
	}
	return 0
}

// RemindCertificateRenewals reminds learners whose certificate (the latest of its course) expires
// within RenewalWindow days to renew it, once in each of RenewalReminderDays' windows, unless
// they have already asked for a place on a session of the course, or can no longer sign in. It
// returns a summary such as "3 reminders sent". It is a background job's operation: no actor;
// each learner is told only of their own certificate.
func (t *Service) RemindCertificateRenewals(ctx context.Context) (string, error) {
	now := t.d.Now()
	today := trainingDayStart(now)
	horizon := today.AddDate(0, 0, RenewalWindow+1)
	total := 0
	var after int64
	courses := map[int64]Course{} // code, title and marking of the courses reminded of
	for {
		if err := ctx.Err(); err != nil {
			return remindersSent(total), err
		}
		var list []Certificate
		err := t.d.DB.Conn(ctx).Where("expires_on IS NOT NULL AND expires_on > ? AND expires_on < ? AND id > ?", today, horizon, after).
			Where("NOT EXISTS (SELECT 1 FROM certificates n WHERE n.user_id = certificates.user_id AND n.course_id = certificates.course_id AND n.id > certificates.id)").
			Where("user_id IN (SELECT id FROM users WHERE disabled_at IS NULL)").
			Where("NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.user_id = certificates.user_id AND e.course_id = certificates.course_id AND e.state IN ?)", liveStates()).
			Order("id").Limit(reminderBatch).Find(&list).Error
		if err != nil {
			return remindersSent(total), core.DBError(err)
		}
		// What was sent already, so that a run does not open a transaction per certificate to
		// find out: the unique key still decides, should another run be sending it now.
		sent := map[string]bool{}
		if len(list) > 0 {
			ids := core.IDsOf(list, func(c Certificate) int64 { return c.ID })
			var rows []struct {
				Kind     string
				ObjectID int64
				DueOn    string
			}
			if err := t.d.DB.Conn(ctx).Table("reminders_sent").Select("kind, object_id, due_on").
				Where("object_id IN ? AND kind LIKE ?", ids, reminderRenewalPrefix+"%").Scan(&rows).Error; err != nil {
				return remindersSent(total), core.DBError(err)
			}
			for _, r := range rows {
				sent[fmt.Sprintf("%s/%d/%s", r.Kind, r.ObjectID, r.DueOn)] = true
			}
		}
		for _, cert := range list {
			after = cert.ID
			exp := cert.ExpiresOn.In(core.London)
			daysLeft := int(cert.ExpiresOn.Sub(today).Round(24*time.Hour) / (24 * time.Hour))
			window := renewalWindow(daysLeft)
			kind, due := fmt.Sprintf("%s%d", reminderRenewalPrefix, window), exp.Format(time.DateOnly)
			if window == 0 || sent[fmt.Sprintf("%s/%d/%s", kind, cert.ID, due)] {
				continue
			}
			text := fmt.Sprintf("Your certificate %s for %s %s expires on %s, in %d days. Book a session of the course to renew it.",
				cert.Number, cert.CourseCode, cert.CourseTitle, exp.Format("2 January 2006"), daysLeft)
			if daysLeft == 1 {
				text = fmt.Sprintf("Your certificate %s for %s %s expires tomorrow, %s. Book a session of the course to renew it.",
					cert.Number, cert.CourseCode, cert.CourseTitle, exp.Format("2 January 2006"))
			}
			c, ok := courses[cert.CourseID]
			if !ok {
				if err := t.d.DB.Conn(ctx).Select("id, code, title, classification").Take(&c, cert.CourseID).Error; err != nil {
					return remindersSent(total), core.DBError(err)
				}
				courses[cert.CourseID] = c
			}
			n, err := t.sendOnce(ctx, kind, cert.ID, due, func(ctx context.Context) (int, error) {
				return 1, t.notify(ctx, c, cert.UserID, core.NoticeRenewal, text, courseLink(cert.CourseID))
			})
			total += n
			if err != nil {
				return remindersSent(total), err
			}
		}
		if len(list) < reminderBatch {
			return remindersSent(total), nil
		}
	}
}

// Names of training's background jobs.
const (
	JobExpireTrainingRequests  = "expire-training-requests"
	JobRemindTrainingApprovals = "remind-training-approvals"
	JobRemindCertificates      = "remind-certificate-renewals"
)

// Jobs are training's background jobs.
func (t *Service) Jobs() []core.Job {
	return []core.Job{
		{Name: JobExpireTrainingRequests, Every: 15 * time.Minute, Run: func(ctx context.Context) (string, error) {
			n, err := t.ExpireApprovals(ctx)
			return core.Plural(int64(n), "training request", "training requests") + " expired undecided", err
		}},
		{Name: JobRemindTrainingApprovals, Every: time.Hour, Run: t.RemindExpiringApprovals},
		{Name: JobRemindCertificates, Every: time.Hour, Run: t.RemindCertificateRenewals},
	}
}
