package casefile

import (
	"context"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// LoadFor is load for part typ of case file id ("court"), for the packages over casefile.
func (s *Service) LoadFor(ctx context.Context, who core.Actor, id int64, typ string, act policies.Action, lock bool) (*CaseFile, error) {
	cf, _, err := s.loadObject(ctx, who, id, typ, act, lock)
	return cf, err
}

// Record adds an entry to case caseID's timeline, in the transaction in ctx.
func (s *Service) Record(ctx context.Context, who core.Actor, caseID int64, kind, summary, details string) error {
	return s.event(ctx, who, caseID, kind, summary, details)
}

// People are the active team of cf and, with cps, the CPS liaisons holding a live share.
func (s *Service) People(ctx context.Context, cf *CaseFile, cps bool) ([]int64, error) {
	team, err := s.teamOf(ctx, cf)
	if err != nil || !cps {
		return team, err
	}
	liaisons, err := s.liaisonsOf(ctx, cf.ID)
	return append(team, liaisons...), err
}

// OnClose hands in the rule after charge: check refuses (ECONFLICT) a case whose proceedings go on.
func (s *Service) OnClose(check func(ctx context.Context, caseID int64) error) { s.closeCheck = check }
