package casefile

import (
	"context"
	"errors"
	"time"

	"github.com/msptp/msphub/models/casefile/charging"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// SubmitInput is what the team chooses when it submits the pack: what it asks of the CPS and,
// for a charging decision, the DG6 category and the test asked for.
type SubmitInput struct {
	Purpose Purpose `json:"purpose"`
	charging.Submission
}

// cpsCharge is one charge of a decision to charge.
type cpsCharge struct {
	ID       int64
	ActionID int64
	CaseID   int64
	Position int
	charging.Charge
}

func (cpsCharge) TableName() string { return "cps_charges" }

// decision checks a charging decision against move m and stores it with its charges, in the
// transaction in ctx; every problem of the form is reported at once.
func (s *Service) decision(ctx context.Context, who core.Actor, cf *CaseFile, m move, in *DecisionInput) (CPSAction, error) {
	var p core.Problems
	p.Check(core.CheckText("reasons", &in.Reasons, 10000, true, "Give the reasons for the decision", "The reasons"))
	today := dateOnly(s.d.Now())
	switch m {
	case moveCharge:
		if in.ReviewOn != nil {
			d := dateOnly(*in.ReviewOn)
			in.ReviewOn = &d
		}
		var offences []string
		for _, o := range cf.Offences() {
			offences = append(offences, string(o))
		}
		p.Check(in.CheckCharge(offences, today))
	case moveNFA:
		p.Check(in.CheckNFA())
	default:
		in.Terms = charging.Terms{}
		// The action's own checks (raiseAction's), under this form's names.
		p.Check(core.CheckText("action", &in.Action, 4000, true, "Say what further evidence is needed: it becomes the first action of the plan", "The action"))
		if in.ActionDue != nil && dateOnly(*in.ActionDue).Before(today) {
			p.Add("action_due_on", "The date the action is due must be today or later")
		}
	}
	if err := p.Err(); err != nil {
		return CPSAction{}, err
	}
	a := CPSAction{CaseID: cf.ID, Kind: KindDecision, Decision: in.Decision, Text: in.Reasons, CreatedBy: who.UserID, CreatedAt: s.d.Now(),
		Test: in.Test, ReviewOn: in.ReviewOn, Basis: in.Basis}
	if err := s.d.DB.Conn(ctx).Create(&a).Error; err != nil {
		return CPSAction{}, core.DBError(err)
	}
	for i, c := range in.Charges {
		if err := s.d.DB.Conn(ctx).Create(&cpsCharge{ActionID: a.ID, CaseID: cf.ID, Position: i + 1, Charge: c}).Error; err != nil {
			return CPSAction{}, core.DBError(err)
		}
	}
	return a, nil
}

// charges are the charges of decision actionID, in order.
func (s *Service) charges(ctx context.Context, actionID int64) ([]charging.Charge, error) {
	var rows []cpsCharge
	if err := s.d.DB.Conn(ctx).Where("action_id = ?", actionID).Order("position").Find(&rows).Error; err != nil {
		return nil, core.DBError(err)
	}
	out := make([]charging.Charge, len(rows))
	for i, r := range rows {
		out[i] = r.Charge
	}
	return out, nil
}

// PoliceCharge is the police charge (MG4) recorded after the CPS authorised it.
type PoliceCharge struct {
	ID         int64     `json:"id"`
	CaseID     int64     `json:"case_id"`
	ChargedOn  time.Time `json:"charged_on"`
	ChargedBy  string    `json:"charged_by"` // the officer who charged
	RecordedBy int64     `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
}

// TableName is the table of police charges.
func (PoliceCharge) TableName() string { return "police_charges" }

// ChargeInput is the police charge: the day the suspects were charged and the officer who
// charged them.
type ChargeInput struct {
	ChargedOn *time.Time `json:"charged_on"`
	ChargedBy string     `json:"charged_by"`
}

// RecordCharge records that the police charged as the CPS authorised (MG4): the case moves from
// charge authorised to charged. The case team may call it. Errors: ENOTFOUND, EFORBIDDEN,
// EINVALID, ECONFLICT.
func (s *Service) RecordCharge(ctx context.Context, who core.Actor, id int64, in ChargeInput) (PoliceCharge, error) {
	var pc PoliceCharge
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.load(ctx, who, id, policies.ActCharge, true)
		if err != nil {
			return err
		}
		if err := s.checkMove(cf, moveCharged); err != nil {
			return err
		}
		var p core.Problems
		now := s.d.Now()
		switch {
		case in.ChargedOn == nil:
			p.Add("charged_on", "Enter the date the suspects were charged")
		case dateOnly(*in.ChargedOn).After(dateOnly(now)):
			p.Add("charged_on", "The date of charge must be today or in the past")
		}
		p.Check(core.CheckText("charged_by", &in.ChargedBy, 200, true, "Enter the name and rank of the officer who charged", "The officer"))
		if err := p.Err(); err != nil {
			return err
		}
		var authorised CPSAction
		err = s.d.DB.Conn(ctx).Where("case_id = ? AND kind = ? AND decision = ?", cf.ID, KindDecision, DecisionCharge).Order("id DESC").Take(&authorised).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return core.DBError(err)
		}
		if err == nil && dateOnly(*in.ChargedOn).Before(dateOnly(authorised.CreatedAt)) {
			return core.Invalid("charged_on", "The date of charge cannot be before the CPS authorised it ("+authorised.CreatedAt.In(core.London).Format("2 January 2006")+")")
		}
		pc = PoliceCharge{CaseID: cf.ID, ChargedOn: dateOnly(*in.ChargedOn), ChargedBy: in.ChargedBy, RecordedBy: who.UserID, RecordedAt: now}
		if err := s.d.DB.Conn(ctx).Create(&pc).Error; err != nil {
			return core.DBError(err)
		}
		if err := s.setStatus(ctx, who, cf, moveCharged, "Charged by the police", "Charged on "+pc.ChargedOn.Format("2 January 2006")+" by "+pc.ChargedBy); err != nil {
			return err
		}
		liaisons, err := s.liaisonsOf(ctx, cf.ID)
		if err != nil {
			return err
		}
		if err := s.notifyEach(ctx, liaisons, who.UserID, NoticeCaseCPS, "The police recorded the charge the CPS authorised on a case file shared with you.",
			"/casefiles/"+core.IDString(cf.ID), ""); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.charge", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"charged_on": pc.ChargedOn.Format(time.DateOnly)}})
	})
	return pc, err
}
