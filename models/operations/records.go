package operations

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// victim is a potential victim's row.
type victim struct {
	ID              int64
	OperationID     int64
	Reference       string
	AgeBand         terms.AgeBand
	Child           bool
	Sex             terms.Sex
	Nationality     string
	NRMReferredOn   *time.Time `gorm:"column:nrm_referred_on"`
	FirstResponder  terms.FirstResponder
	RGDecidedOn     *time.Time     `gorm:"column:rg_decided_on"`
	RGOutcome       terms.Decision `gorm:"column:rg_outcome"`
	CGDecidedOn     *time.Time     `gorm:"column:cg_decided_on"`
	CGOutcome       terms.Decision `gorm:"column:cg_outcome"`
	DutyToNotify    bool
	Safeguarding    bool
	SupportAccepted bool
	CaseID          *int64
	CreatedBy       int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func (victim) TableName() string { return "victims" }

type victimType struct {
	VictimID int64
	Type     terms.Exploitation
}

func (victimType) TableName() string { return "victim_exploitation" }

// suspect is a suspect's row.
type suspect struct {
	ID                 int64
	OperationID        int64
	Reference          string
	AgeBand            terms.AgeBand
	Child              bool
	Sex                terms.Sex
	Nationality        string
	Role               terms.SuspectRole
	ArrestedOn         *time.Time
	S45Raised          bool `gorm:"column:s45_raised"`
	SentenceMonths     *int
	STPO               bool `gorm:"column:stpo"`
	ReparationOrder    bool
	ConfiscationPounds int64
	CaseID             *int64
	CreatedBy          int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func (suspect) TableName() string { return "suspects" }

type suspectType struct {
	SuspectID int64
	Type      terms.Exploitation
}

func (suspectType) TableName() string { return "suspect_exploitation" }

// charge is one charge's row.
type charge struct {
	ID         int64
	SuspectID  int64
	Offence    terms.Offence
	ChargedOn  time.Time
	Outcome    terms.Outcome
	OutcomeOn  *time.Time
	RecordedBy *int64
	UpdatedAt  time.Time
}

func (charge) TableName() string { return "suspect_charges" }

func dayPtr(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	d := Day(*t)
	return &d
}

func (in *PersonInput) normalise() {
	in.Reference = strings.TrimSpace(in.Reference)
	in.Nationality = strings.ToUpper(strings.TrimSpace(in.Nationality))
}

func (in *VictimInput) normalise() {
	in.PersonInput.normalise()
	in.NRMReferredOn, in.RGDecidedOn, in.CGDecidedOn = dayPtr(in.NRMReferredOn), dayPtr(in.RGDecidedOn), dayPtr(in.CGDecidedOn)
}

func (in *SuspectInput) normalise() {
	in.PersonInput.normalise()
	in.ArrestedOn = dayPtr(in.ArrestedOn)
	for i := range in.Charges {
		in.Charges[i].normalise()
	}
}

func (in *ChargeInput) normalise() {
	if !in.ChargedOn.IsZero() {
		in.ChargedOn = Day(in.ChargedOn)
	}
	in.OutcomeOn = dayPtr(in.OutcomeOn)
}

// referenceTaken adds a problem when another record of table in the operation has ref.
func (s *Service) referenceTaken(ctx context.Context, p *core.Problems, table string, opID, id int64, ref, what string) error {
	if ref == "" {
		return nil
	}
	var n int64
	if err := s.d.DB.Conn(ctx).Table(table).Where("operation_id = ? AND reference = ? AND id <> ?", opID, ref, id).Count(&n).Error; err != nil {
		return core.DBError(err)
	}
	if n > 0 {
		p.Add(FieldReference, "This operation already has a "+what+" with this reference: enter a different reference")
	}
	return nil
}

// writeTypes replaces the exploitation types of a victim or suspect.
func (s *Service) writeTypes(ctx context.Context, table, column string, id int64, types []terms.Exploitation) error {
	db := s.d.DB.Conn(ctx)
	if err := db.Table(table).Where(column+" = ?", id).Delete(nil).Error; err != nil {
		return core.DBError(err)
	}
	seen := map[terms.Exploitation]bool{}
	for _, t := range types {
		if seen[t] {
			continue
		}
		seen[t] = true
		if err := db.Table(table).Create(map[string]any{column: id, "type": string(t)}).Error; err != nil {
			return core.DBError(err)
		}
	}
	return nil
}

// AddVictim records a potential victim of an operation. The people named on it and the owning
// organisation's supervisors may call it. Errors: ENOTFOUND, EFORBIDDEN, EINVALID (every problem
// at once).
func (s *Service) AddVictim(ctx context.Context, who core.Actor, opID int64, in VictimInput) (VictimView, error) {
	return s.saveVictim(ctx, who, opID, 0, in)
}

// UpdateVictim changes a potential victim. Who may call it and errors: as AddVictim.
func (s *Service) UpdateVictim(ctx context.Context, who core.Actor, opID, victimID int64, in VictimInput) (VictimView, error) {
	return s.saveVictim(ctx, who, opID, victimID, in)
}

func (s *Service) saveVictim(ctx context.Context, who core.Actor, opID, id int64, in VictimInput) (VictimView, error) {
	var out VictimView
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		op, _, err := s.load(ctx, who, opID, policies.ActUpdate, true)
		if err != nil {
			return err
		}
		now := s.d.Now()
		row := victim{OperationID: op.ID, CreatedBy: who.UserID, CreatedAt: now}
		if id != 0 {
			if err := s.d.DB.Conn(ctx).Where("id = ? AND operation_id = ?", id, op.ID).Take(&row).Error; errors.Is(err, gorm.ErrRecordNotFound) {
				return core.NotFound("Potential victim not found")
			} else if err != nil {
				return core.DBError(err)
			}
		}
		in.normalise()
		var p core.Problems
		in.CheckOn(&p, s.today())
		if err := s.referenceTaken(ctx, &p, "victims", op.ID, id, in.Reference, "potential victim"); err != nil {
			return err
		}
		if err := p.Err(); err != nil {
			return err
		}
		row.Reference, row.AgeBand, row.Child, row.Sex, row.Nationality = in.Reference, in.AgeBand, in.AgeBand.Child(), in.Sex, in.Nationality
		row.NRMReferredOn, row.FirstResponder, row.RGDecidedOn, row.RGOutcome = in.NRMReferredOn, in.FirstResponder, in.RGDecidedOn, in.RGOutcome
		row.CGDecidedOn, row.CGOutcome, row.DutyToNotify, row.Safeguarding, row.SupportAccepted = in.CGDecidedOn, in.CGOutcome, in.DutyToNotify, in.Safeguarding, in.SupportAccepted
		row.UpdatedAt = now
		action := "operation.victim_add"
		if id == 0 {
			err = s.d.DB.Conn(ctx).Create(&row).Error
		} else {
			action = "operation.victim_update"
			err = s.d.DB.Conn(ctx).Select("*").Omit("id", "operation_id", "case_id", "created_by", "created_at").Updates(&row).Error
		}
		if err != nil {
			return core.DBError(err)
		}
		if err := s.writeTypes(ctx, "victim_exploitation", "victim_id", row.ID, in.Exploitation); err != nil {
			return err
		}
		if err := s.touch(ctx, op.ID); err != nil {
			return err
		}
		vs, err := s.victims(ctx, "id = ?", row.ID)
		if err != nil {
			return err
		}
		out = vs[0]
		return s.audit.Record(ctx, &who, core.Event{Action: action, ObjectType: "operation", ObjectID: core.IDString(op.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"victim": core.IDString(row.ID)}})
	})
	return out, err
}

// AddSuspect records a suspect of an operation with their charges. The people named on it and
// the owning organisation's supervisors may call it. Errors: ENOTFOUND, EFORBIDDEN, EINVALID
// (every problem at once).
func (s *Service) AddSuspect(ctx context.Context, who core.Actor, opID int64, in SuspectInput) (SuspectView, error) {
	return s.saveSuspect(ctx, who, opID, 0, in)
}

// UpdateSuspect changes a suspect. in.Charges, when not nil, are the suspect's charges in the
// order they were recorded: the first len(existing) change the existing charges in place, more
// are added, fewer remove the last. Nil keeps the charges as they are. Who may call it and
// errors: as AddSuspect.
func (s *Service) UpdateSuspect(ctx context.Context, who core.Actor, opID, suspectID int64, in SuspectInput) (SuspectView, error) {
	return s.saveSuspect(ctx, who, opID, suspectID, in)
}

func (s *Service) saveSuspect(ctx context.Context, who core.Actor, opID, id int64, in SuspectInput) (SuspectView, error) {
	var out SuspectView
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		op, _, err := s.load(ctx, who, opID, policies.ActUpdate, true)
		if err != nil {
			return err
		}
		now := s.d.Now()
		row := suspect{OperationID: op.ID, CreatedBy: who.UserID, CreatedAt: now}
		var existing []charge
		if id != 0 {
			if err := s.d.DB.Conn(ctx).Where("id = ? AND operation_id = ?", id, op.ID).Take(&row).Error; errors.Is(err, gorm.ErrRecordNotFound) {
				return core.NotFound("Suspect not found")
			} else if err != nil {
				return core.DBError(err)
			}
			if err := s.d.DB.Conn(ctx).Where("suspect_id = ?", id).Order("id").Find(&existing).Error; err != nil {
				return core.DBError(err)
			}
			if in.Charges == nil {
				for _, c := range existing {
					in.Charges = append(in.Charges, ChargeInput{Offence: c.Offence, ChargedOn: c.ChargedOn, Outcome: c.Outcome, OutcomeOn: c.OutcomeOn})
				}
			}
		}
		in.normalise()
		var p core.Problems
		in.CheckOn(&p, s.today())
		if err := s.referenceTaken(ctx, &p, "suspects", op.ID, id, in.Reference, "suspect"); err != nil {
			return err
		}
		if err := p.Err(); err != nil {
			return err
		}
		row.Reference, row.AgeBand, row.Child, row.Sex, row.Nationality = in.Reference, in.AgeBand, in.AgeBand.Child(), in.Sex, in.Nationality
		row.Role, row.ArrestedOn, row.S45Raised, row.SentenceMonths = in.Role, in.ArrestedOn, in.S45Raised, in.SentenceMonths
		row.STPO, row.ReparationOrder, row.ConfiscationPounds, row.UpdatedAt = in.STPO, in.ReparationOrder, in.ConfiscationPounds, now
		action := "operation.suspect_add"
		if id == 0 {
			err = s.d.DB.Conn(ctx).Create(&row).Error
		} else {
			action = "operation.suspect_update"
			err = s.d.DB.Conn(ctx).Select("*").Omit("id", "operation_id", "case_id", "created_by", "created_at").Updates(&row).Error
		}
		if err != nil {
			return core.DBError(err)
		}
		if err := s.writeTypes(ctx, "suspect_exploitation", "suspect_id", row.ID, in.Exploitation); err != nil {
			return err
		}
		if err := s.syncCharges(ctx, who, row.ID, existing, in.Charges); err != nil {
			return err
		}
		if err := s.touch(ctx, op.ID); err != nil {
			return err
		}
		ss, err := s.suspects(ctx, "id = ?", row.ID)
		if err != nil {
			return err
		}
		out = ss[0]
		return s.audit.Record(ctx, &who, core.Event{Action: action, ObjectType: "operation", ObjectID: core.IDString(op.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"suspect": core.IDString(row.ID), "charges": strconv.Itoa(len(in.Charges))}})
	})
	return out, err
}

// syncCharges makes a suspect's charges want, by position.
func (s *Service) syncCharges(ctx context.Context, who core.Actor, suspectID int64, existing []charge, want []ChargeInput) error {
	db := s.d.DB.Conn(ctx)
	now := s.d.Now()
	for i, c := range want {
		if i < len(existing) {
			e := existing[i]
			if e.Offence == c.Offence && e.ChargedOn.Equal(c.ChargedOn) && e.Outcome == c.Outcome && sameDay(e.OutcomeOn, c.OutcomeOn) {
				continue
			}
			err := db.Model(&charge{}).Where("id = ?", e.ID).Updates(map[string]any{"offence": c.Offence, "charged_on": c.ChargedOn, "outcome": c.Outcome,
				"outcome_on": c.OutcomeOn, "recorded_by": who.UserID, "updated_at": now}).Error
			if err != nil {
				return core.DBError(err)
			}
			continue
		}
		row := charge{SuspectID: suspectID, Offence: c.Offence, ChargedOn: c.ChargedOn, Outcome: c.Outcome, OutcomeOn: c.OutcomeOn, RecordedBy: &who.UserID, UpdatedAt: now}
		if err := db.Create(&row).Error; err != nil {
			return core.DBError(err)
		}
	}
	for _, e := range existing[min(len(want), len(existing)):] {
		if err := db.Delete(&charge{}, e.ID).Error; err != nil {
			return core.DBError(err)
		}
	}
	return nil
}

func sameDay(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return Day(*a).Equal(Day(*b))
}

// AddCharge adds a charge to a suspect: the suspect's rules are checked with it, and its
// problems are named by the fields of one charge (offence, charged_on, outcome, outcome_on).
// The people named on the operation and its organisation's supervisors may call it. Errors:
// ENOTFOUND, EFORBIDDEN, EINVALID.
func (s *Service) AddCharge(ctx context.Context, who core.Actor, opID, suspectID int64, in ChargeInput) (SuspectView, error) {
	return s.changeCharge(ctx, who, opID, suspectID, 0, in)
}

// UpdateCharge changes a charge of a suspect and its outcome. Who may call it and errors: as
// AddCharge.
func (s *Service) UpdateCharge(ctx context.Context, who core.Actor, opID, suspectID, chargeID int64, in ChargeInput) (SuspectView, error) {
	return s.changeCharge(ctx, who, opID, suspectID, chargeID, in)
}

func (s *Service) changeCharge(ctx context.Context, who core.Actor, opID, suspectID, chargeID int64, in ChargeInput) (SuspectView, error) {
	var out SuspectView
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		if _, _, err := s.load(ctx, who, opID, policies.ActUpdate, true); err != nil {
			return err
		}
		ss, err := s.suspects(ctx, "id = ? AND operation_id = ?", suspectID, opID)
		if err != nil {
			return err
		}
		if len(ss) == 0 {
			return core.NotFound("Suspect not found")
		}
		full := ss[0].Input()
		i := len(full.Charges)
		if chargeID != 0 {
			i = -1
			for j, c := range ss[0].Charges {
				if c.ID == chargeID {
					i = j
				}
			}
			if i < 0 {
				return core.NotFound("Charge not found")
			}
			full.Charges[i] = in
		} else {
			full.Charges = append(full.Charges, in)
		}
		v, err := s.saveSuspect(ctx, who, opID, suspectID, full)
		out = v
		return oneCharge(err, i)
	})
	return out, err
}

// oneCharge renames the problems of charge i to the fields of a form about that charge alone.
func oneCharge(err error, i int) error {
	var e *core.Error
	if !errors.As(err, &e) || e.Code != core.EINVALID {
		return err
	}
	prefix := ChargeField(i, "")
	var p core.Problems
	for _, f := range e.Fields {
		p.Add(strings.TrimPrefix(f.Field, prefix), f.Message)
	}
	if len(e.Fields) == 0 {
		p.Add(strings.TrimPrefix(e.Field, prefix), e.Message)
	}
	return p.Err()
}

// Victim returns one potential victim of an operation (an audited read). The people named on
// it and the owning organisation's supervisors may call it. Errors: ENOTFOUND.
func (s *Service) Victim(ctx context.Context, who core.Actor, opID, victimID int64) (VictimView, error) {
	var out VictimView
	err := s.readPart(ctx, who, opID, "victim "+core.IDString(victimID), func(ctx context.Context, op *Operation) error {
		vs, err := s.victims(ctx, "id = ? AND operation_id = ?", victimID, op.ID)
		if err != nil {
			return err
		}
		if len(vs) == 0 {
			return core.NotFound("Potential victim not found")
		}
		out = vs[0]
		return nil
	})
	return out, err
}

// Suspect returns one suspect of an operation with their charges (an audited read). Who may
// call it and errors: as Victim.
func (s *Service) Suspect(ctx context.Context, who core.Actor, opID, suspectID int64) (SuspectView, error) {
	var out SuspectView
	err := s.readPart(ctx, who, opID, "suspect "+core.IDString(suspectID), func(ctx context.Context, op *Operation) error {
		ss, err := s.suspects(ctx, "id = ? AND operation_id = ?", suspectID, op.ID)
		if err != nil {
			return err
		}
		if len(ss) == 0 {
			return core.NotFound("Suspect not found")
		}
		out = ss[0]
		return nil
	})
	return out, err
}

func nationalityName(code string) string {
	if c, ok := terms.Nationality(code); ok {
		return c.Name
	}
	return "Not known"
}

// victims reads the potential victims matching where, by reference.
func (s *Service) victims(ctx context.Context, where string, args ...any) ([]VictimView, error) {
	var rows []victim
	if err := s.d.DB.Conn(ctx).Where(where, args...).Order("reference, id").Find(&rows).Error; err != nil {
		return nil, core.DBError(err)
	}
	types, err := s.types(ctx, "victim_exploitation", "victim_id", core.IDsOf(rows, func(r victim) int64 { return r.ID }))
	if err != nil {
		return nil, err
	}
	out := make([]VictimView, 0, len(rows))
	for _, r := range rows {
		out = append(out, VictimView{ID: r.ID, OperationID: r.OperationID, Reference: r.Reference, AgeBand: r.AgeBand, AgeBandLabel: r.AgeBand.Label(),
			Child: r.Child, Sex: r.Sex, SexLabel: r.Sex.Label(), Nationality: r.Nationality, NationalityName: nationalityName(r.Nationality),
			Exploitation: orderTypes(types[r.ID]), NRMReferredOn: r.NRMReferredOn, FirstResponder: r.FirstResponder, RGDecidedOn: r.RGDecidedOn,
			RGOutcome: r.RGOutcome, CGDecidedOn: r.CGDecidedOn, CGOutcome: r.CGOutcome, DutyToNotify: r.DutyToNotify, Safeguarding: r.Safeguarding,
			SupportAccepted: r.SupportAccepted, CaseID: r.CaseID, UpdatedAt: r.UpdatedAt})
	}
	return out, nil
}

// suspects reads the suspects matching where, by reference, with their charges.
func (s *Service) suspects(ctx context.Context, where string, args ...any) ([]SuspectView, error) {
	var rows []suspect
	if err := s.d.DB.Conn(ctx).Where(where, args...).Order("reference, id").Find(&rows).Error; err != nil {
		return nil, core.DBError(err)
	}
	ids := core.IDsOf(rows, func(r suspect) int64 { return r.ID })
	types, err := s.types(ctx, "suspect_exploitation", "suspect_id", ids)
	if err != nil {
		return nil, err
	}
	charges := map[int64][]ChargeView{}
	if len(ids) > 0 {
		var cs []charge
		if err := s.d.DB.Conn(ctx).Where("suspect_id IN ?", ids).Order("id").Find(&cs).Error; err != nil {
			return nil, core.DBError(err)
		}
		for _, c := range cs {
			charges[c.SuspectID] = append(charges[c.SuspectID], ChargeView{ID: c.ID, SuspectID: c.SuspectID, Offence: c.Offence, OffenceLabel: c.Offence.Label(),
				ChargedOn: c.ChargedOn, Outcome: c.Outcome, OutcomeLabel: c.Outcome.Label(), OutcomeOn: c.OutcomeOn})
		}
	}
	out := make([]SuspectView, 0, len(rows))
	for _, r := range rows {
		cs := charges[r.ID]
		if cs == nil {
			cs = []ChargeView{}
		}
		out = append(out, SuspectView{ID: r.ID, OperationID: r.OperationID, Reference: r.Reference, AgeBand: r.AgeBand, AgeBandLabel: r.AgeBand.Label(),
			Child: r.Child, Sex: r.Sex, SexLabel: r.Sex.Label(), Nationality: r.Nationality, NationalityName: nationalityName(r.Nationality),
			Exploitation: orderTypes(types[r.ID]), Role: r.Role, RoleLabel: r.Role.Label(), ArrestedOn: r.ArrestedOn, S45Raised: r.S45Raised,
			SentenceMonths: r.SentenceMonths, STPO: r.STPO, ReparationOrder: r.ReparationOrder, ConfiscationPounds: r.ConfiscationPounds,
			CaseID: r.CaseID, Charges: cs, UpdatedAt: r.UpdatedAt})
	}
	return out, nil
}
