package casefile

import (
	"context"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// What the case after charge (models/casefile/court) uses of a case file: the court package
// imports casefile, never the other way round, so the one rule casefile needs of it (when a case
// may be closed) is handed in by the wiring as a function.

// LoadFor reads case file id for an operation on its part typ ("court"): a case who may not
// read is ENOTFOUND, one they may read but not do act to typ on is EFORBIDDEN (with forbidden as
// the message). lock takes the case's row lock, as every change of a case does.
func (s *Service) LoadFor(ctx context.Context, who core.Actor, id int64, typ string, act policies.Action, lock bool, forbidden string) (*CaseFile, error) {
	cf, obj, err := s.loadObject(ctx, who, id, "casefile", policies.ActRead, lock)
	if err != nil {
		return nil, err
	}
	obj.Type = typ
	if act != policies.ActRead || typ != "casefile" {
		if err := core.Can(ctx, s.d.Authz, who, act, obj, forbidden); err != nil {
			return nil, err
		}
	}
	return cf, nil
}

// May says, without an error, whether who may do act to part typ of cf (what a view offers).
func (s *Service) May(ctx context.Context, who core.Actor, cf *CaseFile, typ string, act policies.Action) bool {
	obj, err := s.caseObject(ctx, who, cf, typ)
	return err == nil && s.d.Authz.Can(ctx, who.Subject(), act, obj) == nil
}

// Record adds an entry to case caseID's timeline in the transaction in ctx.
func (s *Service) Record(ctx context.Context, who core.Actor, caseID int64, kind, summary, details string) error {
	return s.event(ctx, who, caseID, kind, summary, details)
}

// Tell notifies the case team and the CPS liaisons holding a live share (but not who, who did
// it) of kind with text and a link to the case: a hand-over after charge.
func (s *Service) Tell(ctx context.Context, who core.Actor, cf *CaseFile, kind, text string) error {
	people, err := s.teamOf(ctx, cf)
	if err != nil {
		return err
	}
	liaisons, err := s.liaisonsOf(ctx, cf.ID)
	if err != nil {
		return err
	}
	return s.notifyEach(ctx, append(people, liaisons...), who.UserID, kind, text, "/casefiles/"+core.IDString(cf.ID), "")
}

// Recipients are the active people to remind about case caseID: its lead investigator and its
// supervisor, and with cps the CPS liaisons holding a live share.
func (s *Service) Recipients(ctx context.Context, caseID int64, cps bool) ([]int64, error) {
	var cf CaseFile
	if err := s.d.DB.Conn(ctx).Take(&cf, caseID).Error; err != nil {
		return nil, core.DBError(err)
	}
	ids, err := s.active(ctx, []int64{cf.LeadInvestigatorID, cf.SupervisorID})
	if err != nil || !cps {
		return ids, err
	}
	liaisons, err := s.liaisonsOf(ctx, caseID)
	return append(ids, liaisons...), err
}

// DueStage makes the outstanding items of stage on case caseID due by due (those due later or
// without a date): the court sets the date of the full file upgrade. It changes the items'
// plan, not the pack's content, so it voids no approval. Returns how many items it changed.
func (s *Service) DueStage(ctx context.Context, caseID int64, stage Stage, due time.Time) (int64, error) {
	due = dateOnly(due)
	res := s.d.DB.Conn(ctx).Model(&ChecklistItem{}).
		Where("case_id = ? AND template_item_id IN (SELECT id FROM template_items WHERE stage = ?)", caseID, stage).
		Where("status NOT IN ? AND (due_on IS NULL OR due_on > ?)", []ItemStatus{ItemProvided, ItemNotApplicable, ItemAccepted}, due).
		Updates(map[string]any{"due_on": due, "updated_at": s.d.Now()})
	return res.RowsAffected, core.DBError(res.Error)
}

// OnClose hands casefile the rule of the case after charge: check refuses to close a case whose
// proceedings are not over (ECONFLICT). Set once by the wiring, before any request.
func (s *Service) OnClose(check func(ctx context.Context, caseID int64) error) { s.closeCheck = check }

// mayClose applies the rule handed in by OnClose, if any.
func (s *Service) mayClose(ctx context.Context, caseID int64) error {
	if s.closeCheck == nil {
		return nil
	}
	return s.closeCheck(ctx, caseID)
}
