package frontend

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/reviews"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/mail"
	"github.com/msptp/msphub/models/statistics"
	"github.com/msptp/msphub/models/training"
)

// AdminJobs serves GET /admin/jobs: every background job with its interval, latest run, outcome
// and next run. Administrators only (the policy decides).
func (p *Pages) AdminJobs() gin.HandlerFunc {
	return func(c *gin.Context) {
		list, err := p.s.Jobs.List(c.Request.Context(), actor(c))
		if err != nil {
			api.WriteError(c, err)
			return
		}
		rows := make([]jobView, len(list))
		for i, j := range list {
			rows[i] = jobView{j}
		}
		p.render(c, http.StatusOK, "admin_jobs", page{Title: "Background jobs", Data: jobsView{Jobs: rows}})
	}
}

type jobsView struct {
	Jobs []jobView
}

// LeaseText is how long a run holds its job, in words.
func (jobsView) LeaseText() string {
	return strconv.FormatInt(int64(core.JobLease/time.Minute), 10) + " minutes"
}

// jobView is one job as the table shows it.
type jobView struct {
	core.JobStatus
}

// jobLabels say what each job of MSP Hub does; a job missing here shows its name only.
var jobLabels = map[string]string{
	identity.JobExpireSessions:                   "Remove expired sessions",
	core.JobSweepOrphanedBlobs:                   "Remove stored files that nothing refers to",
	guidance.JobRemindGuidanceReviews:            "Remind owners of guidance reviews due",
	guidance.JobAnnounceGuidanceAcknowledgements: "Ask the audience of new guidance to acknowledge it",
	training.JobExpireTrainingRequests:           "Expire training requests nobody decided",
	training.JobRemindTrainingApprovals:          "Remind supervisors of training requests about to expire",
	training.JobRemindCertificates:               "Remind learners of certificates due for renewal",
	casefile.JobExpireCPSShares:                  "Record CPS shares that have ended",
	casefile.JobRemindCPSActions:                 "Remind case teams of CPS actions due",
	casefile.JobRemindCPSShares:                  "Remind supervisors and CPS liaisons of shares about to end",
	reviews.JobRemindThreshold:                   "Remind prosecutors and case teams of Threshold Test reviews due",
	mail.JobDeliverOutbox:                        "Send notifications by email",
	statistics.JobMonthlyReports:                 "Make the monthly national picture reports",
}

// Label says what the job does.
func (j jobView) Label() string { return jobLabels[j.Name] }

// IntervalText is how often the job runs, in words.
func (j jobView) IntervalText() string {
	d := j.Interval()
	switch {
	case d%(24*time.Hour) == 0:
		return every(int64(d/(24*time.Hour)), "day", "days")
	case d%time.Hour == 0:
		return every(int64(d/time.Hour), "hour", "hours")
	case d%time.Minute == 0:
		return every(int64(d/time.Minute), "minute", "minutes")
	}
	return every(int64(d/time.Second), "second", "seconds")
}

func every(n int64, one, many string) string {
	if n == 1 {
		return "Every " + one
	}
	return "Every " + strconv.FormatInt(n, 10) + " " + many
}

// outcome is the latest run's outcome in words, with the class of its tag.
func (j jobView) outcome() (text, class string) {
	if j.LastRun == nil {
		return "Not run yet", "govuk-tag--grey"
	}
	switch j.LastRun.Outcome {
	case core.JobSucceeded:
		return "Succeeded", "govuk-tag--green"
	case core.JobFailed:
		return "Failed", "govuk-tag--red"
	case core.JobAbandoned:
		return "Abandoned", "govuk-tag--orange"
	}
	return "Running", "govuk-tag--blue"
}

// OutcomeText is the latest run's outcome in words; OutcomeClass is its tag's class.
func (j jobView) OutcomeText() string  { t, _ := j.outcome(); return t }
func (j jobView) OutcomeClass() string { _, c := j.outcome(); return c }
