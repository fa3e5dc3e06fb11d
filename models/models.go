// Package models holds MSP Hub's domain: its entities, the operations on them with their
// business rules, and database access. Every operation authorizes through policies, validates,
// writes in one transaction with its audit event, and returns *Error values. It imports no HTTP.
package models

import (
	"log/slog"
)

// Services are the operations of MSP Hub, built once by New: identity's, promoted from the
// embedded struct, and each other domain's.
type Services struct {
	*identityServices
	Audit         *Audit
	Guidance      *Guidance
	Training      *Training
	Notifications *Notifications
	CaseFiles     *CaseFiles
	Monitor       *Monitor
	Jobs          *Jobs
	Mail          *Mail // nil when no mail relay is configured
}

// New builds the operations from their dependencies and registers every domain's jobs.
func New(d Deps) *Services {
	d.Config = d.Config.withDefaults()
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	audit := newAudit(d)
	id := newIdentity(d, audit)
	s := &Services{
		identityServices: id,
		Audit:            audit,
		Guidance:         newGuidance(d, audit),
		Training:         newTraining(d, audit),
		Notifications:    newNotifications(d, audit),
		CaseFiles:        newCaseFiles(d, audit),
		Monitor:          newMonitor(d),
		Jobs:             newJobs(d, audit),
		Mail:             newMail(d, id.Users.emailComposers()),
	}
	// Every job is safe to run again and on several replicas at once (each piece of work is
	// claimed in the transaction that does it); the runner only makes each run happen once.
	jobs := [][]Job{id.jobs(), blobJobs(d, audit), s.Guidance.jobs(), s.Training.jobs(), s.CaseFiles.jobs()}
	if s.Mail != nil {
		jobs = append(jobs, s.Mail.jobs())
	}
	for _, js := range jobs {
		for _, j := range js {
			s.Jobs.Register(j.Name, j.Every, j.Run)
		}
	}
	return s
}
