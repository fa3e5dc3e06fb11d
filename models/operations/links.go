package operations

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// AddMember names a person on an operation by their email address: an officer, investigator or
// supervisor of the owning organisation, or, on a joint operation, of one of its partner
// organisations. They are told, with a link to the operation. The lead officer and the owning
// organisation's supervisors may call it. Errors: ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) AddMember(ctx context.Context, who core.Actor, opID int64, email string) (Member, error) {
	var added Member
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		op, _, err := s.load(ctx, who, opID, policies.ActManageTeam, true)
		if err != nil {
			return err
		}
		if strings.TrimSpace(email) == "" {
			return core.Invalid("email", "Enter the email address of the person to name on the operation")
		}
		orgs := []int64{op.OrganisationID}
		if err := s.d.DB.Conn(ctx).Model(&opPartner{}).Where("operation_id = ?", op.ID).Pluck("organisation_id", &orgs).Error; err != nil {
			return core.DBError(err)
		}
		orgs = append(orgs, op.OrganisationID)
		u, err := s.operationalUser(ctx, email, orgs)
		if err != nil {
			return err
		}
		if u == nil {
			return core.Invalid("email", "Enter the email address of an officer, investigator or supervisor of the owning organisation or of a partner organisation, with an active MSP Hub account")
		}
		var n int64
		if err := s.d.DB.Conn(ctx).Model(&opMember{}).Where("operation_id = ? AND user_id = ? AND removed_at IS NULL", op.ID, u.ID).Count(&n).Error; err != nil {
			return core.DBError(err)
		}
		if n > 0 {
			return &core.Error{Code: core.ECONFLICT, Field: "email", Message: u.Name + " is already named on this operation"}
		}
		m := opMember{OperationID: op.ID, UserID: u.ID, AddedBy: &who.UserID, AddedAt: s.d.Now()}
		if err := s.d.DB.Conn(ctx).Create(&m).Error; err != nil {
			return core.DBError(err)
		}
		if err := core.Notify(ctx, s.d, u.ID, NoticeOperationMember, "You have been named on an operation in MSP Hub.", "/operations/"+core.IDString(op.ID)); err != nil {
			return err
		}
		ms, err := s.members(ctx, op)
		if err != nil {
			return err
		}
		for _, x := range ms {
			if x.ID == m.ID {
				added = x
			}
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "operation.member_add", ObjectType: "operation", ObjectID: core.IDString(op.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"user": core.IDString(u.ID)}})
	})
	return added, err
}

// RemoveMember takes a person off an operation; their grant stays on record. The lead officer
// is on it by being its lead: change the lead to take them off. Who may call it: as AddMember.
// Errors: ENOTFOUND, EFORBIDDEN.
func (s *Service) RemoveMember(ctx context.Context, who core.Actor, opID, memberID int64) error {
	return s.d.DB.InTx(ctx, func(ctx context.Context) error {
		op, _, err := s.load(ctx, who, opID, policies.ActManageTeam, true)
		if err != nil {
			return err
		}
		var m opMember
		err = s.d.DB.Conn(ctx).Where("id = ? AND operation_id = ? AND removed_at IS NULL", memberID, op.ID).Take(&m).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return core.NotFound("Member not found")
		}
		if err != nil {
			return core.DBError(err)
		}
		if err := s.d.DB.Conn(ctx).Model(&m).Updates(map[string]any{"removed_at": s.d.Now(), "removed_by": who.UserID}).Error; err != nil {
			return core.DBError(err)
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "operation.member_remove", ObjectType: "operation", ObjectID: core.IDString(op.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"user": core.IDString(m.UserID)}})
	})
}

// LinkCase makes case file caseID a case file of an operation. A case file belongs to at most
// one operation. The actor must be able to change both the operation and the case file (by the
// case files' own rules). Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT.
func (s *Service) LinkCase(ctx context.Context, who core.Actor, opID, caseID int64) error {
	return s.d.DB.InTx(ctx, func(ctx context.Context) error {
		op, _, err := s.load(ctx, who, opID, policies.ActUpdate, true)
		if err != nil {
			return err
		}
		if caseID <= 0 {
			return core.Invalid("case_id", "Select the case file to link")
		}
		if err := s.cases.Allow(ctx, who, caseID, policies.ActUpdate); err != nil {
			return asField(err, "case_id")
		}
		var link opCase
		err = s.d.DB.Conn(ctx).Where("case_id = ?", caseID).Take(&link).Error
		switch {
		case err == nil && link.OperationID == op.ID:
			return &core.Error{Code: core.ECONFLICT, Field: "case_id", Message: "This case file is already a case file of this operation"}
		case err == nil:
			return &core.Error{Code: core.ECONFLICT, Field: "case_id", Message: "This case file belongs to another operation: a case file belongs to at most one operation"}
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return core.DBError(err)
		}
		if err := s.d.DB.Conn(ctx).Create(&opCase{CaseID: caseID, OperationID: op.ID, LinkedBy: &who.UserID, LinkedAt: s.d.Now()}).Error; err != nil {
			return core.DBError(err)
		}
		if err := s.touch(ctx, op.ID); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "operation.case_link", ObjectType: "operation", ObjectID: core.IDString(op.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"case": core.IDString(caseID)}})
	})
}

// asField names the field of a case file that is not found or not the actor's to change.
func asField(err error, field string) error {
	var e *core.Error
	if errors.As(err, &e) && (e.Code == core.ENOTFOUND || e.Code == core.EFORBIDDEN) {
		return &core.Error{Code: e.Code, Field: field, Message: e.Message}
	}
	return err
}

// UnlinkCase takes a case file off an operation; its victims and suspects stay on the operation,
// no longer attached to the case. Who may call it: as LinkCase. Errors: ENOTFOUND, EFORBIDDEN.
func (s *Service) UnlinkCase(ctx context.Context, who core.Actor, opID, caseID int64) error {
	return s.d.DB.InTx(ctx, func(ctx context.Context) error {
		op, _, err := s.load(ctx, who, opID, policies.ActUpdate, true)
		if err != nil {
			return err
		}
		if err := s.cases.Allow(ctx, who, caseID, policies.ActUpdate); err != nil {
			return err
		}
		res := s.d.DB.Conn(ctx).Where("case_id = ? AND operation_id = ?", caseID, op.ID).Delete(&opCase{})
		if res.Error != nil {
			return core.DBError(res.Error)
		}
		if res.RowsAffected == 0 {
			return core.NotFound("This case file is not a case file of this operation")
		}
		for _, table := range []string{"victims", "suspects"} {
			if err := s.d.DB.Conn(ctx).Table(table).Where("operation_id = ? AND case_id = ?", op.ID, caseID).Update("case_id", nil).Error; err != nil {
				return core.DBError(err)
			}
		}
		if err := s.touch(ctx, op.ID); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "operation.case_unlink", ObjectType: "operation", ObjectID: core.IDString(op.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"case": core.IDString(caseID)}})
	})
}

// Person kinds, for AttachToCase.
const (
	KindVictim  = "victim"
	KindSuspect = "suspect"
)

// AttachToCase makes a potential victim or suspect (kind KindVictim or KindSuspect) of an
// operation one of case file caseID's, which must be a case file of the operation; caseID 0
// detaches them. It changes what the case file shows (its suspects' charges are its outcomes),
// so, as for LinkCase, the actor must be able to change the operation and, by the case files'
// own rules, the case file they go on and the one they leave, if any. A refusal on a case file
// is named by the field case_id. Errors: ENOTFOUND, EFORBIDDEN, EINVALID.
func (s *Service) AttachToCase(ctx context.Context, who core.Actor, opID int64, kind string, personID, caseID int64) error {
	t, err := attachTable(kind)
	if err != nil {
		return err
	}
	return s.d.DB.InTx(ctx, func(ctx context.Context) error {
		op, _, err := s.load(ctx, who, opID, policies.ActUpdate, true)
		if err != nil {
			return err
		}
		if err := s.mayAttach(ctx, who, op.ID, t, personID, caseID); err != nil {
			return err
		}
		var value any
		if caseID != 0 {
			value = caseID
		}
		if err := s.d.DB.Conn(ctx).Table(t.table).Where("id = ?", personID).Updates(map[string]any{"case_id": value, "updated_at": s.d.Now()}).Error; err != nil {
			return core.DBError(err)
		}
		if err := s.touch(ctx, op.ID); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "operation." + kind + "_case", ObjectType: "operation", ObjectID: core.IDString(op.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{kind: core.IDString(personID), "case": core.IDString(caseID)}})
	})
}

// CheckAttach says, changing nothing, whether AttachToCase would accept it; personID 0 is a
// person not recorded yet. A form that records a person and their case file together asks it
// first, so that it saves both or neither. Errors: as AttachToCase's.
func (s *Service) CheckAttach(ctx context.Context, who core.Actor, opID int64, kind string, personID, caseID int64) error {
	t, err := attachTable(kind)
	if err != nil {
		return err
	}
	op, _, err := s.load(ctx, who, opID, policies.ActUpdate, false)
	if err != nil {
		return err
	}
	return s.mayAttach(ctx, who, op.ID, t, personID, caseID)
}

func attachTable(kind string) (recordTable, error) {
	t, ok := map[string]recordTable{KindVictim: victimKind.recordTable, KindSuspect: suspectKind.recordTable}[kind]
	if !ok {
		return t, core.Invalid("kind", "Say whether it is a potential victim or a suspect")
	}
	return t, nil
}

// mayAttach checks that the person personID of operation opID (0: one not recorded yet) may be
// put on case file caseID (0: none): a case file of the operation that who may change, and who
// may change the one they leave.
func (s *Service) mayAttach(ctx context.Context, who core.Actor, opID int64, t recordTable, personID, caseID int64) error {
	if caseID < 0 {
		return core.Invalid("case_id", "Select a case file of this operation")
	}
	var current struct{ CaseID *int64 }
	if personID != 0 {
		if err := s.d.DB.Conn(ctx).Table(t.table).Select("case_id").Where("id = ? AND operation_id = ?", personID, opID).Take(&current).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return core.NotFound(t.notFound)
			}
			return core.DBError(err)
		}
	}
	if caseID != 0 {
		var n int64
		if err := s.d.DB.Conn(ctx).Model(&opCase{}).Where("case_id = ? AND operation_id = ?", caseID, opID).Count(&n).Error; err != nil {
			return core.DBError(err)
		}
		if n == 0 {
			return core.Invalid("case_id", "Select a case file of this operation: link the case file to the operation first")
		}
		if err := s.cases.Allow(ctx, who, caseID, policies.ActUpdate); err != nil {
			return asField(err, "case_id")
		}
	}
	if current.CaseID != nil && *current.CaseID != caseID {
		if err := s.cases.Allow(ctx, who, *current.CaseID, policies.ActUpdate); err != nil {
			return asField(err, "case_id")
		}
	}
	return nil
}

// CaseOperation is what a case file shows of its operation: a summary of the operation and the
// case's own potential victims and suspects (the same records, no second copy).
type CaseOperation struct {
	OperationID int64 `json:"operation_id"`
	Heading
	Victims  []VictimView  `json:"victims"`
	Suspects []SuspectView `json:"suspects"`
	// What the actor may do: update (record a charge outcome, from the case); read (open the
	// operation's own page, which needs a right to the operation).
	Actions CaseOperationActions `json:"actions"`
}

// CaseOperationActions says what the actor may do from the case.
type CaseOperationActions struct {
	RecordOutcome bool `json:"record_outcome,omitempty"`
	OpenOperation bool `json:"open_operation,omitempty"`
}

// ForCase returns the operation of case file caseID with the case's victims and suspects, or
// nil when the case belongs to no operation (an audited read). Anyone who may read the case
// file (by the case files' rules: its team, supervisors, a CPS liaison it is shared with) may
// call it. Errors: ENOTFOUND.
func (s *Service) ForCase(ctx context.Context, who core.Actor, caseID int64) (*CaseOperation, error) {
	var out *CaseOperation
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		if err := s.cases.Allow(ctx, who, caseID, policies.ActRead); err != nil {
			return err
		}
		// The read is of the case file's material: recorded under the case, as every read of
		// a case is, whether or not it belongs to an operation (at the end: see Audit.Record).
		caseRead := func() error {
			return s.audit.Record(ctx, &who, core.Event{Action: "casefile.read", ObjectType: "casefile", ObjectID: core.IDString(caseID), Outcome: core.OutcomeSuccess,
				Details: map[string]string{"part": "operation"}})
		}
		var link opCase
		err := s.d.DB.Conn(ctx).Where("case_id = ?", caseID).Take(&link).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return caseRead()
		}
		if err != nil {
			return core.DBError(err)
		}
		var op Operation
		if err := s.d.DB.Conn(ctx).Take(&op, link.OperationID).Error; err != nil {
			return core.DBError(err)
		}
		co := CaseOperation{OperationID: op.ID, Heading: Heading{Reference: op.Reference, Name: op.Name, Status: op.Status, StartedOn: op.StartedOn, EndedOn: op.EndedOn}}
		co.label()
		if err := s.d.DB.Conn(ctx).Table("organisations").Select("name").Where("id = ?", op.OrganisationID).Scan(&co.Organisation).Error; err != nil {
			return core.DBError(err)
		}
		sight := s.sight(who)
		sight.read[caseID] = true // asked above
		if co.Victims, err = s.victims(ctx, sight, "operation_id = ? AND case_id = ?", op.ID, caseID); err != nil {
			return err
		}
		if co.Suspects, err = s.suspects(ctx, sight, "operation_id = ? AND case_id = ?", op.ID, caseID); err != nil {
			return err
		}
		co.Actions.RecordOutcome = s.mayRecordOutcome(ctx, who, caseID) == nil
		obj, err := s.object(ctx, who, &op)
		if err != nil {
			return err
		}
		co.Actions.OpenOperation = s.d.Authz.Can(ctx, who.Subject(), policies.ActRead, obj) == nil
		out = &co
		if err := caseRead(); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "operation.read", ObjectType: "operation", ObjectID: core.IDString(op.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"part": "case", "case": core.IDString(caseID)}})
	})
	return out, err
}

// mayRecordOutcome: the CPS liaison advising on the case, or the case team.
func (s *Service) mayRecordOutcome(ctx context.Context, who core.Actor, caseID int64) error {
	err := s.cases.Allow(ctx, who, caseID, policies.ActAdvise)
	if err == nil {
		return nil
	}
	if core.ErrorCode(err) != core.EFORBIDDEN {
		return err
	}
	if err := s.cases.Allow(ctx, who, caseID, policies.ActUpdate); err != nil {
		if core.ErrorCode(err) == core.EFORBIDDEN {
			return core.Forbidden("Only the case team or the CPS liaison the case is shared with can record the outcome of a charge.")
		}
		return err
	}
	return nil
}

// OutcomeInput is the outcome of a charge as recorded from a case file.
type OutcomeInput struct {
	Outcome   terms.Outcome `json:"outcome"`
	OutcomeOn *time.Time    `json:"outcome_on"`
}

// RecordOutcome records the outcome of a charge of a suspect of case file caseID: it writes the
// charge itself, so the suspect's record shows it at once. The CPS liaison the case is shared
// with (advise) and the case team (update) may call it. The suspect's rules are checked
// (no outcome before charge; a sentence or order only with a conviction), named by the fields
// outcome and outcome_on. Errors: ENOTFOUND, EFORBIDDEN, EINVALID.
func (s *Service) RecordOutcome(ctx context.Context, who core.Actor, caseID, chargeID int64, in OutcomeInput) (SuspectView, error) {
	var out SuspectView
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Operations)
		if err := s.cases.Allow(ctx, who, caseID, policies.ActRead); err != nil {
			return err
		}
		var c charge
		err := s.d.DB.Conn(ctx).Table("suspect_charges c").Select("c.*").Joins("JOIN suspects s ON s.id = c.suspect_id").
			Where("c.id = ? AND s.case_id = ?", chargeID, caseID).Take(&c).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return core.NotFound("Charge not found on this case file")
		}
		if err != nil {
			return core.DBError(err)
		}
		if err := s.mayRecordOutcome(ctx, who, caseID); err != nil {
			return err
		}
		sight := s.sight(who)
		sight.read[caseID] = true // asked above
		ss, err := s.suspects(ctx, sight, "id = ?", c.SuspectID)
		if err != nil {
			return err
		}
		full := ss[0].Input()
		i := -1
		for j, x := range ss[0].Charges {
			if x.ID == chargeID {
				i = j
			}
		}
		full.Charges[i].Outcome, full.Charges[i].OutcomeOn = in.Outcome, in.OutcomeOn
		full.normalise()
		var p core.Problems
		full.CheckOn(&p, s.today())
		if err := oneCharge(p.Err(), i); err != nil {
			return err
		}
		now := s.d.Now()
		err = s.d.DB.Conn(ctx).Model(&charge{}).Where("id = ?", c.ID).Updates(map[string]any{"outcome": full.Charges[i].Outcome,
			"outcome_on": full.Charges[i].OutcomeOn, "recorded_by": who.UserID, "updated_at": now}).Error
		if err != nil {
			return core.DBError(err)
		}
		if err := s.d.DB.Conn(ctx).Model(&suspect{}).Where("id = ?", c.SuspectID).Update("updated_at", now).Error; err != nil {
			return core.DBError(err)
		}
		if err := s.touch(ctx, ss[0].OperationID); err != nil {
			return err
		}
		if ss, err = s.suspects(ctx, sight, "id = ?", c.SuspectID); err != nil {
			return err
		}
		out = ss[0]
		return s.audit.Record(ctx, &who, core.Event{Action: "operation.charge_outcome", ObjectType: "operation", ObjectID: core.IDString(ss[0].OperationID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"case": core.IDString(caseID), "charge": core.IDString(chargeID), "outcome": string(in.Outcome)}})
	})
	return out, err
}
