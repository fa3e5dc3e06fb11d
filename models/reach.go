package models

import (
	"context"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// Reach says which sections of MSP Hub an actor can reach: what the navigation offers. Each is
// decided by the policy, asking what the section's own operation asks, so a section is offered
// exactly when its pages would let the actor in.
type Reach struct {
	Guidance      bool `json:"guidance,omitempty"`       // read the guidance meant for them
	Training      bool `json:"training,omitempty"`       // read courses (Training.ListCourses)
	Teaching      bool `json:"teaching,omitempty"`       // sessions they teach (Training.TeachingSessions)
	Approvals     bool `json:"approvals,omitempty"`      // decide their staff's requests (Training.Approvals)
	StaffTraining bool `json:"staff_training,omitempty"` // their staff's records (Training.StaffRecords)
	CaseFiles     bool `json:"case_files,omitempty"`     // open, work on, oversee or advise on case files (CaseFiles.List, Create)
	Operations    bool `json:"operations,omitempty"`     // record or read operations (Operations.List, Create)
	People        bool `json:"people,omitempty"`         // see other people's accounts (Users.List)
	Organisations bool `json:"organisations,omitempty"`  // add and change organisations (Organisations.MayManage)
	Jobs          bool `json:"jobs,omitempty"`           // the background jobs (Jobs.List)
	Audit         bool `json:"audit,omitempty"`          // the audit log (Audit.List)
	Statistics    bool `json:"statistics,omitempty"`     // the national picture (Statistics.Dashboard, as Statistics.MayRead asks)
}

// Reach says which sections who can reach. Anyone signed in may call it.
func (s *Services) Reach(ctx context.Context, who core.Actor) Reach {
	sub, own := who.Subject(), policies.OrgDomain(who.OrgID)
	may := func(act policies.Action, obj policies.Object) bool { return s.authz.Can(ctx, sub, act, obj) == nil }
	// A case file of the actor's organisation with every relationship a case can have: the
	// policy allows reading it when any row lets the actor's roles read some case file.
	anyCase := policies.Object{Type: "casefile", Org: own, Rel: policies.RelTeam | policies.RelLead | policies.RelShare}
	// Operations: whoever may record them, or oversee their organisation's. Only people who may
	// record operations can be named on one, so a relationship row ("team") decides nothing
	// here: it would offer the section to anyone vetted, administrators and analysts included.
	anyOperation := policies.Object{Type: "operation", Org: own, Classification: policies.OfficialSensitive}
	return Reach{
		Guidance:      may(policies.ActRead, policies.Object{Type: "document", Org: own, Rel: policies.RelAudience}),
		Training:      may(policies.ActRead, policies.Object{Type: "course"}),
		Teaching:      may(policies.ActRegister, policies.Object{Type: "session", Rel: policies.RelTrainer}),
		Approvals:     may(policies.ActDecide, policies.Object{Type: "enrolment", Org: own}),
		StaffTraining: may(policies.ActRead, policies.Object{Type: "record", Org: own}),
		CaseFiles:     may(policies.ActRead, anyCase) || may(policies.ActCreate, policies.Object{Type: "casefile", Org: own}),
		Operations:    may(policies.ActCreate, anyOperation) || may(policies.ActRead, anyOperation),
		People:        may(policies.ActRead, policies.Object{Type: "user", Org: own}) || may(policies.ActRead, policies.Object{Type: "user"}),
		Organisations: may(policies.ActUpdate, policies.Object{Type: "organisation"}),
		Jobs:          may(policies.ActRead, policies.Object{Type: "job"}),
		Audit:         may(policies.ActRead, policies.Object{Type: "audit"}),
		Statistics:    may(policies.ActRead, policies.Object{Type: "statistics", Org: own, Classification: policies.OfficialSensitive}),
	}
}
