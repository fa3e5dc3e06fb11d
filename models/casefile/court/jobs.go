package court

import (
	"context"
	"fmt"
	"time"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
)

// The background jobs after charge: reminders of custody time limits and of full files due.
// Each reminder is claimed by its row in reminders_sent (kind, object, due date) in the
// transaction that sends it, so a second run or another replica sends nothing twice, and a new
// date (a limit extended, a full file date moved) is reminded of again.

// Kinds of reminders_sent after charge.
const (
	ReminderCTLSoon         = "court-ctl-soon"          // a custody time limit ends within CTLDueSoonDays
	ReminderCTLLast         = "court-ctl-last"          // ... ends today or tomorrow, or has ended
	ReminderFullFileSoon    = "court-full-file-soon"    // the full file is due within FullFileDueSoonDays
	ReminderFullFileOverdue = "court-full-file-overdue" // ... and is past its date
)

// FullFileDueSoonDays is how many days before the date the court set for the full file the
// team is reminded of it.
const FullFileDueSoonDays = 7

// Names of the jobs after charge.
const (
	JobRemindCustodyLimits = "remind-custody-limits"
	JobRemindFullFiles     = "remind-full-files"
)

// Jobs are the jobs after charge.
func (s *Service) Jobs() []core.Job {
	return []core.Job{
		{Name: JobRemindCustodyLimits, Every: time.Hour, Run: s.RemindCustodyLimits},
		{Name: JobRemindFullFiles, Every: time.Hour, Run: s.RemindFullFiles},
	}
}

// reminder is one reminder a job may send: its reminders_sent key (kind, object, due), the case
// and whom of it to tell (cps: its CPS liaisons too), and the text.
type reminder struct {
	kind           string
	object, caseID int64
	due            time.Time
	cps            bool
	text           string
}

// RemindCustodyLimits reminds the team and the CPS liaisons of a charged case that a
// defendant's custody time limit ends: once within CTLDueSoonDays, once more when it ends today
// or tomorrow (or has ended while the defendant is still recorded in custody). Only a
// defendant's current record counts. Errors: EUNAVAILABLE, EINTERNAL.
func (s *Service) RemindCustodyLimits(ctx context.Context) (string, error) {
	day := today(s.d.Now())
	var rows []custodyRow
	err := s.d.DB.Conn(ctx).Table("court_custody c").Select("c.*").Joins("JOIN case_files cf ON cf.id = c.case_id").
		Where("c.status = ? AND c.ctl_expires_on IS NOT NULL AND c.ctl_expires_on <= ? AND cf.status = ? AND "+currentCustody,
			InCustody, day.AddDate(0, 0, CTLDueSoonDays), casefile.StatusCharged).Order("c.id").Scan(&rows).Error
	if err != nil {
		return "", core.DBError(err)
	}
	var due []reminder
	for _, r := range rows {
		expires := r.CTLExpiresOn.Format("2 January 2006")
		m := reminder{kind: ReminderCTLSoon, object: r.ID, caseID: r.CaseID, due: *r.CTLExpiresOn, cps: true,
			text: "A custody time limit on a case file you work on expires on " + expires + "."}
		if !r.CTLExpiresOn.After(day.AddDate(0, 0, 1)) {
			m.kind = ReminderCTLLast
			m.text = "A custody time limit on a case file you work on expires on " + expires + ": record the defendant's custody status, or the extension of the limit."
		}
		due = append(due, m)
	}
	return s.send(ctx, due, "custody time limit")
}

// RemindFullFiles reminds the team of a case after its PTPH that the full file is due by the
// date the court set: once within FullFileDueSoonDays, once more when the date has passed
// without the upgrade recorded. Errors: EUNAVAILABLE, EINTERNAL.
func (s *Service) RemindFullFiles(ctx context.Context) (string, error) {
	day := today(s.d.Now())
	var rows []courtCase
	err := s.d.DB.Conn(ctx).Table("court_cases cc").Select("cc.*").Joins("JOIN case_files cf ON cf.id = cc.case_id").
		Where("cc.stage = ? AND cc.full_file_due_on IS NOT NULL AND cc.full_file_due_on <= ? AND cf.status = ?",
			StagePTPH, day.AddDate(0, 0, FullFileDueSoonDays), casefile.StatusCharged).Order("cc.case_id").Scan(&rows).Error
	if err != nil {
		return "", core.DBError(err)
	}
	var due []reminder
	for _, r := range rows {
		date := r.FullFileDueOn.Format("2 January 2006")
		m := reminder{kind: ReminderFullFileSoon, object: r.CaseID, caseID: r.CaseID, due: *r.FullFileDueOn,
			text: "The full file of a case file you work on is due on " + date + ", the date the court set."}
		if r.FullFileDueOn.Before(day) {
			m.kind, m.text = ReminderFullFileOverdue, "The full file of a case file you work on was due on "+date+" and its upgrade is not recorded."
		}
		due = append(due, m)
	}
	return s.send(ctx, due, "full file")
}

// send sends each reminder not sent before, and says how many it sent of thing.
func (s *Service) send(ctx context.Context, due []reminder, thing string) (string, error) {
	var sent int
	for _, m := range due {
		ok, err := s.remind(ctx, m)
		if err != nil {
			return count(sent, thing), err
		}
		if ok {
			sent++
		}
	}
	return count(sent, thing), nil
}

// remind claims reminder m and notifies the case's people, in one transaction; false when it
// was sent before.
func (s *Service) remind(ctx context.Context, m reminder) (bool, error) {
	sent := false
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		res := s.d.DB.Conn(ctx).Exec("INSERT INTO reminders_sent (kind, object_id, due_on, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
			m.kind, m.object, m.due.Format(time.DateOnly), s.d.Now())
		if res.Error != nil {
			return core.DBError(res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		sent = true
		var cf casefile.CaseFile
		if err := s.d.DB.Conn(ctx).Take(&cf, m.caseID).Error; err != nil {
			return core.DBError(err)
		}
		people, err := s.cases.People(ctx, &cf, m.cps)
		if err != nil {
			return err
		}
		for _, u := range people {
			if err := core.Notify(ctx, s.d, u, NoticeCourt, m.text, "/casefiles/"+core.IDString(m.caseID)+"#after-charge"); err != nil {
				return err
			}
		}
		return nil
	})
	return sent, err
}

// count says how many reminders a job sent: "no custody time limits reminded", "1 full file reminded".
func count(n int, thing string) string {
	switch n {
	case 0:
		return "no " + thing + "s reminded"
	case 1:
		return "1 " + thing + " reminded"
	}
	return fmt.Sprintf("%d %ss reminded", n, thing)
}
