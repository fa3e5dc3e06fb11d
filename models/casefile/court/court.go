package court

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// Charges counts the charges of a case's defendants: all of them, those with an outcome, those
// ending in a conviction, and of those the convictions under MSA 2015 s1, s2 or s4 (which alone
// open the way to a reparation order, DOMAIN.md §B4).
type Charges struct{ Total, Decided, Convicted, ConvictedMSA int }

// Outcomes reads the outcomes of a case's charges, which live on the operation's suspect
// records (recorded from the case page, or through the operation): the wiring passes the
// implementation in, so that court imports no other domain.
type Outcomes interface {
	Charges(ctx context.Context, who core.Actor, caseID int64) (Charges, error)
}

// Service holds the operations on cases after charge.
type Service struct {
	d        core.Deps
	audit    *core.Audit
	cases    *casefile.Service
	outcomes Outcomes
}

// New builds the operations after charge over the case files and the outcomes of charges.
func New(d core.Deps, audit *core.Audit, cases *casefile.Service, outcomes Outcomes) *Service {
	return &Service{d: d, audit: audit, cases: cases, outcomes: outcomes}
}

// Notice kind of the hand-overs after charge: a step was recorded, a full file or a custody
// time limit falls due.
const NoticeCourt = "case_court"

// courtCase is where a charged case stands.
type courtCase struct {
	CaseID          int64 `gorm:"primaryKey;autoIncrement:false"`
	Stage           Stage
	AnticipatedPlea Plea
	FirstHearingOn  *time.Time
	FullFileDueOn   *time.Time
	Convicted       bool
	UpdatedAt       time.Time
}

func (courtCase) TableName() string { return "court_cases" }

// courtStep is one recorded step.
type courtStep struct {
	ID           int64
	CaseID       int64
	Step         Stage
	OccurredOn   time.Time
	NextOn       *time.Time
	Plea         Plea
	STPO         bool `gorm:"column:stpo"`
	Reparation   bool
	AmountPounds int64
	Details      string
	RecordedBy   int64
	RecordedAt   time.Time
}

func (courtStep) TableName() string { return "court_steps" }

// View is a case after charge as pages and the API show it.
type View struct {
	CaseID          int64         `json:"case_id"`
	Stage           Stage         `json:"stage"`
	StageLabel      string        `json:"stage_label"`
	AnticipatedPlea Plea          `json:"anticipated_plea,omitempty"`
	PleaLabel       string        `json:"anticipated_plea_label,omitempty"`
	FirstHearingOn  *time.Time    `json:"first_hearing_on,omitempty"`
	FullFileDueOn   *time.Time    `json:"full_file_due_on,omitempty"`
	FullFileOverdue bool          `json:"full_file_overdue,omitempty"`
	Steps           []StepView    `json:"steps"`
	Custody         []CustodyView `json:"custody"` // each defendant's current status
	// Next are the steps that may follow, as forms: only those the actor may record.
	Next    []NextStep `json:"next"`
	Actions Actions    `json:"actions"`
}

// Actions says what the actor may do after charge now.
type Actions struct {
	Record  bool `json:"record,omitempty"`  // a step of Next
	Custody bool `json:"custody,omitempty"` // record a defendant's custody status
}

// StepView is a recorded step.
type StepView struct {
	ID           int64      `json:"id"`
	Step         Stage      `json:"step"`
	Label        string     `json:"label"`
	OccurredOn   time.Time  `json:"occurred_on"`
	NextOn       *time.Time `json:"next_on,omitempty"`
	NextLabel    string     `json:"next_label,omitempty"`
	Plea         Plea       `json:"plea,omitempty"`
	STPO         bool       `json:"stpo,omitempty"`
	Reparation   bool       `json:"reparation,omitempty"`
	AmountPounds int64      `json:"amount_pounds,omitempty"`
	Details      string     `json:"details,omitempty"`
	RecordedBy   string     `json:"recorded_by" gorm:"column:recorded_by_name"`
	RecordedAt   time.Time  `json:"recorded_at"`
}

// NextStep is a step that may follow, with what its form asks.
type NextStep struct {
	Step   Stage  `json:"step"`
	Action string `json:"action"`
	Date   string `json:"date_label"`
	Next   string `json:"next_on_label,omitempty"`
	Fields Fields `json:"fields"`
}

// ForCase returns case caseID after charge, or nil when it is not charged (nor closed after
// court steps): an audited read. Anyone who may read the case may call it. Errors: ENOTFOUND.
func (s *Service) ForCase(ctx context.Context, who core.Actor, caseID int64) (*View, error) {
	var out *View
	err := s.audit.RecordRead(ctx, &who, func(ctx context.Context) (core.Event, error) {
		cf, err := s.cases.LoadFor(ctx, who, caseID, "casefile", policies.ActRead, false)
		if err != nil {
			return core.Event{}, err
		}
		if out, err = s.view(ctx, who, cf); err != nil {
			return core.Event{}, err
		}
		return core.Event{Action: "casefile.read", ObjectType: "casefile", ObjectID: core.IDString(caseID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"part": "court"}}, nil
	})
	return out, err
}

// row reads the case's court record; a charged case without one is at StageCharged.
func (s *Service) row(ctx context.Context, caseID int64, lock bool) (courtCase, error) {
	var cc courtCase
	err := s.d.DB.ConnLocking(ctx, lock).Where("case_id = ?", caseID).Take(&cc).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return courtCase{CaseID: caseID, Stage: StageCharged}, nil
	}
	return cc, core.DBError(err)
}

func (s *Service) view(ctx context.Context, who core.Actor, cf *casefile.CaseFile) (*View, error) {
	cc, err := s.row(ctx, cf.ID, false)
	if err != nil {
		return nil, err
	}
	switch {
	case cf.Status == casefile.StatusClosed && cc.Stage != StageCharged:
		cc.Stage = StageClosed
	case cf.Status != casefile.StatusCharged:
		return nil, nil
	}
	v := &View{CaseID: cf.ID, Stage: cc.Stage, StageLabel: cc.Stage.Label(), AnticipatedPlea: cc.AnticipatedPlea,
		FirstHearingOn: cc.FirstHearingOn, FullFileDueOn: cc.FullFileDueOn, Steps: []StepView{}, Custody: []CustodyView{}, Next: []NextStep{}}
	if v.AnticipatedPlea != "" {
		v.PleaLabel = v.AnticipatedPlea.Label()
	}
	v.FullFileOverdue = cc.Stage == StagePTPH && cc.FullFileDueOn != nil && cc.FullFileDueOn.Before(today(s.d.Now()))
	err = s.d.DB.Conn(ctx).Table("court_steps st").
		Select("st.id, st.step, st.occurred_on, st.next_on, st.plea, st.stpo, st.reparation, st.amount_pounds, st.details, st.recorded_at, COALESCE(u.name, '') AS recorded_by_name").Joins("LEFT JOIN users u ON u.id = st.recorded_by").
		Where("st.case_id = ?", cf.ID).Order("st.id").Scan(&v.Steps).Error
	if err != nil {
		return nil, core.DBError(err)
	}
	for i := range v.Steps {
		st, _ := stepTo(v.Steps[i].Step)
		v.Steps[i].Label = st.label
		if v.Steps[i].NextOn != nil {
			v.Steps[i].NextLabel = st.next
		}
	}
	if v.Custody, err = s.custody(ctx, cf.ID); err != nil {
		return nil, err
	}
	if cc.Stage == StageClosed {
		return v, nil
	}
	may := map[policies.Action]bool{}
	for _, act := range []policies.Action{policies.ActUpdate, policies.ActDecide} {
		_, err := s.cases.LoadFor(ctx, who, cf.ID, "court", act, false)
		may[act] = err == nil
	}
	for _, st := range steps {
		if slices.Contains(st.from, cc.Stage) && may[st.act] {
			v.Next = append(v.Next, NextStep{Step: st.stage, Action: st.action, Date: st.date, Next: st.next, Fields: st.fields})
		}
	}
	v.Actions = Actions{Record: len(v.Next) > 0, Custody: may[policies.ActUpdate]}
	return v, nil
}

// StepInput records a step after charge: the stage it reaches, its date and what its form asks
// (see NextStep.Fields).
type StepInput struct {
	Step         Stage      `json:"step"`
	On           *time.Time `json:"on"`
	NextOn       *time.Time `json:"next_on"`
	Plea         Plea       `json:"plea"`
	STPO         bool       `json:"stpo"`
	Reparation   bool       `json:"reparation"`
	AmountPounds int64      `json:"amount_pounds"`
	Details      string     `json:"details"`
}

// Record records the next step of a charged case (see the stage machine in stage.go) and tells
// the team and the CPS liaisons. The PTPH's full file date makes the case's outstanding
// full-file checklist items due by it. The outcomes step needs every charge of the case's
// defendants to have its outcome (recorded on the suspect records); a sentence needs a
// conviction, and a reparation order one under MSA 2015 s1, s2 or s4. The team records every step; the CPS liaison the case is shared with records the
// results (outcomes, sentence, confiscation). Errors: ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) Record(ctx context.Context, who core.Actor, caseID int64, in StepInput) (*View, error) {
	var out *View
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		st, known := stepTo(in.Step)
		act := st.act
		if !known {
			act = policies.ActUpdate
		}
		cf, err := s.cases.LoadFor(ctx, who, caseID, "court", act, true)
		if !known && core.ErrorCode(err) == core.EFORBIDDEN {
			if cf, err = s.cases.LoadFor(ctx, who, caseID, "court", policies.ActDecide, true); err == nil {
				err = core.Invalid("step", "Select the step to record")
			}
		}
		if err != nil {
			return err
		}
		if err := charged(cf); err != nil {
			return err
		}
		if !known {
			return core.Invalid("step", "Select the step to record")
		}
		cc, err := s.row(ctx, cf.ID, true)
		if err != nil {
			return err
		}
		if !next(cc.Stage, in.Step) {
			return refusal(cc.Stage, in.Step)
		}
		if err := in.validate(st, today(s.d.Now())); err != nil {
			return err
		}
		if err := s.results(ctx, who, cf.ID, &cc, in.Step, in.Reparation); err != nil {
			return err
		}
		now := s.d.Now()
		row := courtStep{CaseID: cf.ID, Step: in.Step, OccurredOn: *in.On, NextOn: in.NextOn, Plea: in.Plea, STPO: in.STPO, Reparation: in.Reparation,
			AmountPounds: in.AmountPounds, Details: in.Details, RecordedBy: who.UserID, RecordedAt: now}
		if err := s.d.DB.Conn(ctx).Create(&row).Error; err != nil {
			return core.DBError(err)
		}
		cc.Stage, cc.UpdatedAt = in.Step, now
		switch in.Step {
		case StageFirstHearing:
			cc.AnticipatedPlea, cc.FirstHearingOn = in.Plea, in.NextOn
		case StagePTPH:
			cc.FullFileDueOn = in.NextOn
			n, err := s.fullFileDue(ctx, cf.ID, *in.NextOn)
			if err != nil {
				return err
			}
			in.Details = joinLines(in.Details, strconv.FormatInt(n, 10)+" full-file checklist items due by "+in.NextOn.Format("2 January 2006"))
		}
		if err := s.d.DB.Conn(ctx).Save(&cc).Error; err != nil {
			return core.DBError(err)
		}
		details := "Date: " + in.On.Format("2 January 2006")
		if in.NextOn != nil {
			details += "\n" + st.next + ": " + in.NextOn.Format("2 January 2006")
		}
		if err := s.cases.Record(ctx, who, cf.ID, "court", "After charge: "+st.label, joinLines(details, in.Details)); err != nil {
			return err
		}
		if err := s.tell(ctx, who, cf, "A case file you work on moved on after charge: "+st.label+"."); err != nil {
			return err
		}
		if out, err = s.view(ctx, who, cf); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.court_step", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"step": string(in.Step), "on": in.On.Format(time.DateOnly)}})
	})
	return out, err
}

// fullFileDue makes the case's full-file checklist items not done yet due by the date the court
// set, at the latest. It changes the items' plan, not the pack's content: no approval is voided.
func (s *Service) fullFileDue(ctx context.Context, caseID int64, due time.Time) (int64, error) {
	res := s.d.DB.Conn(ctx).Model(&casefile.ChecklistItem{}).
		Where("case_id = ? AND template_item_id IN (SELECT id FROM template_items WHERE stage = ?)", caseID, casefile.StageFullFile).
		Where("status NOT IN ? AND (due_on IS NULL OR due_on > ?)", []casefile.ItemStatus{casefile.ItemProvided, casefile.ItemNotApplicable, casefile.ItemAccepted}, due).
		Updates(map[string]any{"due_on": due, "updated_at": s.d.Now()})
	return res.RowsAffected, core.DBError(res.Error)
}

// tell tells the case team and the CPS liaisons holding a live share (but not who, who did it)
// what happened after charge: a hand-over. The text names no case material.
func (s *Service) tell(ctx context.Context, who core.Actor, cf *casefile.CaseFile, text string) error {
	people, err := s.cases.People(ctx, cf, true)
	if err != nil {
		return err
	}
	for _, u := range people {
		if u != who.UserID {
			if err := core.Notify(ctx, s.d, u, NoticeCourt, text, "/casefiles/"+core.IDString(cf.ID)+"#after-charge"); err != nil {
				return err
			}
		}
	}
	return nil
}

// results checks the outcomes of the case's charges for a step of results: every charge
// decided before the outcomes step (which notes whether any is a conviction), a conviction
// before a sentence, a conviction under MSA 2015 s1, s2 or s4 before a reparation order.
func (s *Service) results(ctx context.Context, who core.Actor, caseID int64, cc *courtCase, to Stage, reparation bool) error {
	switch to {
	case StageOutcomes:
		ch, err := s.outcomes.Charges(ctx, who, caseID)
		if err != nil {
			return err
		}
		if ch.Total == 0 {
			return core.Conflict("No charges of this case's defendants are recorded: attach the operation's suspects, with their charges, to the case file first.")
		}
		if ch.Decided < ch.Total {
			return core.Conflict(strconv.Itoa(ch.Total-ch.Decided) + " of the " + strconv.Itoa(ch.Total) + " charges have no outcome yet: record the outcome of every charge under \"Operation, victims and suspects\" first.")
		}
		cc.Convicted = ch.Convicted > 0
	case StageSentenced:
		if !cc.Convicted {
			return core.Conflict("A sentence follows a conviction, and no charge of this case ended in one.")
		}
	case StageConfiscation:
		if !reparation {
			return nil
		}
		ch, err := s.outcomes.Charges(ctx, who, caseID)
		if err != nil {
			return err
		}
		if ch.ConvictedMSA == 0 {
			return core.Invalid("reparation", "A reparation order follows a conviction under MSA 2015 s1, s2 or s4, and no charge of this case ended in one")
		}
	}
	return nil
}

func (in *StepInput) validate(st step, today time.Time) error {
	var p core.Problems
	in.On, in.NextOn = dayPtr(in.On), dayPtr(in.NextOn)
	switch {
	case in.On == nil:
		p.Add("on", "Enter the "+lowerFirst(st.date))
	case in.On.After(today):
		p.Add("on", "The "+lowerFirst(st.date)+" must be today or in the past")
	}
	if !st.fields.NextOn {
		in.NextOn = nil
	} else if in.NextOn == nil {
		p.Add("next_on", "Enter the "+lowerFirst(st.next))
	} else if in.On != nil && in.NextOn.Before(*in.On) {
		p.Add("next_on", "The "+lowerFirst(st.next)+" must be on or after the "+lowerFirst(st.date))
	}
	if !st.fields.Plea {
		in.Plea = ""
	} else if !slices.Contains(Pleas(), in.Plea) {
		p.Add("plea", "Select the anticipated plea")
	}
	in.STPO = in.STPO && st.fields.STPO
	in.Reparation = in.Reparation && st.fields.Reparation
	if !st.fields.Amount {
		in.AmountPounds = 0
	} else if in.AmountPounds <= 0 {
		p.Add("amount_pounds", "Enter the amount of the confiscation order in pounds, more than 0")
	}
	in.Details = strings.TrimSpace(in.Details)
	switch {
	case st.fields.Details && in.Details == "":
		p.Add("details", "Give the sentence of each defendant")
	case utf8.RuneCountInString(in.Details) > 4000:
		p.Add("details", "Details must be 4000 characters or fewer")
	}
	return p.Err()
}

// charged refuses a case that is not charged.
func charged(cf *casefile.CaseFile) error {
	if cf.Status != casefile.StatusCharged {
		return core.Conflict("The case after charge is recorded once the case is charged. This case file is " + cf.Status.Label() + ".")
	}
	return nil
}

// MayClose is the rule casefile applies before closing case caseID (casefile.OnClose): a case
// whose proceedings after charge have started closes once every charge has its outcome, and
// after the sentence when one was a conviction. Errors: ECONFLICT.
func (s *Service) MayClose(ctx context.Context, caseID int64) error {
	cc, err := s.row(ctx, caseID, false)
	if err != nil || cc.Stage == StageCharged {
		return err
	}
	if !slices.Contains(closable, cc.Stage) {
		return core.Conflict("The case is at \"" + cc.Stage.Label() + "\": record the outcome of every charge, and any sentence, before closing the case file.")
	}
	if cc.Stage == StageOutcomes && cc.Convicted {
		return core.Conflict("A charge ended in a conviction: record the sentence before closing the case file.")
	}
	return nil
}

// today is the UK calendar date of now, as a UTC midnight: how dates are held and compared.
func today(now time.Time) time.Time {
	y, m, d := now.In(core.London).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dayPtr is t's calendar date, or nil for none.
func dayPtr(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	y, m, d := t.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &day
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}

func joinLines(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n" + b
}
