// Package models wires MSP Hub's domains together: it builds every domain's operations over the
// core (New), holds them as Services, says which sections an actor reaches, and registers every
// domain's background jobs. The domains live in the packages below it: each operation
// authorizes through policies, validates, writes in one transaction with its audit event, and
// returns *core.Error values. Nothing here imports HTTP.
package models

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/court"
	"github.com/msptp/msphub/models/casefile/disclosure"
	"github.com/msptp/msphub/models/casefile/reviews"
	"github.com/msptp/msphub/models/casefile/templates"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/mail"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/statistics"
	"github.com/msptp/msphub/models/training"
	"github.com/msptp/msphub/policies"
)

// Services are the operations of MSP Hub, built once by New: identity's, promoted from the
// embedded struct, and each other domain's.
type Services struct {
	*identity.Services
	Audit         *core.Audit
	Guidance      *guidance.Service
	Training      *training.Service
	Notifications *core.Notifications
	CaseFiles     *casefile.Service
	Court         *court.Service      // a case file after charge (issue 13)
	Disclosure    *disclosure.Service // the disclosure officer's work on a case (issue 13)
	Reviews       *reviews.Service    // reminders of the reviews charging decisions are owed
	Templates     *templates.Service  // administration of the checklist templates
	Operations    *operations.Service
	Statistics    *statistics.Service
	Monitor       *core.Monitor
	Jobs          *core.Jobs
	Mail          *mail.Service // nil when no mail relay is configured
	// OperationsImport imports operations, victims and suspects from spreadsheets (issue 12).
	OperationsImport *operations.Importer

	authz *policies.Authorizer // for Reach and Freshness
	d     core.Deps            // for Freshness
}

// New builds the operations from their dependencies and registers every domain's jobs.
func New(d core.Deps) *Services {
	d.Config = d.Config.WithDefaults()
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	d.DB.SetLog(d.Log)
	audit := core.NewAudit(d)
	id := identity.New(d, audit)
	cases := casefile.New(d, audit)
	ops := operations.New(d, audit, cases)
	after := court.New(d, audit, cases, caseCharges{ops})
	cases.OnClose(after.MayClose)
	s := &Services{
		Services:         id,
		Audit:            audit,
		Guidance:         guidance.New(d, audit),
		Training:         training.New(d, audit),
		Notifications:    core.NewNotifications(d, audit),
		CaseFiles:        cases,
		Court:            after,
		Disclosure:       disclosure.New(d, audit, cases),
		Reviews:          reviews.New(d),
		Templates:        templates.New(d, audit),
		Operations:       ops,
		Monitor:          core.NewMonitor(d),
		Jobs:             core.NewJobs(d, audit),
		Mail:             mail.New(d, id.Users.EmailComposers()),
		OperationsImport: operations.NewImporter(d, audit),
		Statistics:       statistics.New(d, audit, d.Config.StatsThreshold),
		authz:            d.Authz,
		d:                d,
	}
	// Every job is safe to run again and on several replicas at once (each piece of work is
	// claimed in the transaction that does it); the runner only makes each run happen once.
	jobs := [][]core.Job{id.Jobs(), core.BlobJobs(d, audit), s.Guidance.Jobs(), s.Training.Jobs(), s.CaseFiles.Jobs(), s.Court.Jobs(), s.Reviews.Jobs(), s.Statistics.Jobs()}
	if s.Mail != nil {
		jobs = append(jobs, s.Mail.Jobs())
	}
	for _, js := range jobs {
		for _, j := range js {
			s.Jobs.Register(j.Name, j.Every, j.Run)
		}
	}
	return s
}

// Freshness is what a list's ETag holds beside the actor and the request: the change counters of
// the families the list shows (one query), the fingerprint of the policy in force, and the
// minute, for the lists whose content moves with the clock (a booking that closes, a quarter
// that ends): a copy is never more than a minute behind it. Read it before the list, so a write
// that commits in between gives a newer tag, never an older body under a newer tag.
func (s *Services) Freshness(ctx context.Context, families ...core.Family) (string, error) {
	v, err := s.d.DB.Versions(ctx, families...)
	if err != nil {
		return "", err
	}
	return fmt.Sprint(families, v, s.authz.Fingerprint(), s.d.Now().UTC().Truncate(time.Minute).Unix()), nil
}
