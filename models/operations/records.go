package operations

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// person is what the rows of potential victims and suspects share.
type person struct {
	ID          int64
	OperationID int64
	Reference   string
	AgeBand     terms.AgeBand
	Child       bool
	Sex         terms.Sex
	Nationality string
	CaseID      *int64
	CreatedBy   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// view is the shared part of the record as pages show it, with its exploitation types.
func (r person) view(types []terms.Exploitation) PersonView {
	return PersonView{ID: r.ID, OperationID: r.OperationID, Reference: r.Reference, AgeBand: r.AgeBand, AgeBandLabel: r.AgeBand.Label(),
		Child: r.Child, Sex: r.Sex, SexLabel: r.Sex.Label(), Nationality: r.Nationality, NationalityName: nationalityName(r.Nationality),
		Exploitation: orderTypes(types), CaseID: r.CaseID}
}

// victim is a potential victim's row.
type victim struct {
	Person          person     `gorm:"embedded"` // exported: gorm maps no unexported field
	NRMReferredOn   *time.Time `gorm:"column:nrm_referred_on"`
	FirstResponder  terms.FirstResponder
	RGDecidedOn     *time.Time     `gorm:"column:rg_decided_on"`
	RGOutcome       terms.Decision `gorm:"column:rg_outcome"`
	CGDecidedOn     *time.Time     `gorm:"column:cg_decided_on"`
	CGOutcome       terms.Decision `gorm:"column:cg_outcome"`
	DutyToNotify    bool
	Safeguarding    bool
	SupportAccepted bool
}

func (victim) TableName() string { return "victims" }

func (r *victim) base() *person { return &r.Person }

// suspect is a suspect's row.
type suspect struct {
	Person             person `gorm:"embedded"`
	Role               terms.SuspectRole
	ArrestedOn         *time.Time
	S45Raised          bool `gorm:"column:s45_raised"`
	SentenceMonths     *int
	STPO               bool `gorm:"column:stpo"`
	ReparationOrder    bool
	ConfiscationPounds int64
}

func (suspect) TableName() string { return "suspects" }

func (r *suspect) base() *person { return &r.Person }

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

func (in *PersonInput) personInput() *PersonInput { return in }

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

// writeTypes replaces the exploitation types of an operation, a victim or a suspect.
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

// recordTable is what tells the tables of potential victims and suspects apart.
type recordTable struct {
	name     string // KindVictim or KindSuspect: in audit events; types are in <name>_exploitation by <name>_id
	table    string
	label    string // how messages name one: "potential victim"
	notFound string
}

// recordKind is a recordTable with the reader of its views.
type recordKind[V any] struct {
	recordTable
	read func(s *Service, ctx context.Context, sight *caseSight, where string, args ...any) ([]V, error)
}

var (
	victimKind = recordKind[VictimView]{recordTable{name: KindVictim, table: "victims", label: "potential victim", notFound: "Potential victim not found"},
		(*Service).victims}
	suspectKind = recordKind[SuspectView]{recordTable{name: KindSuspect, table: "suspects", label: "suspect", notFound: "Suspect not found"},
		(*Service).suspects}
)

// one reads record id of operation opID as who may see it. Errors: ENOTFOUND.
func (k recordKind[V]) one(ctx context.Context, s *Service, who core.Actor, opID, id int64) (V, error) {
	var zero V
	vs, err := k.read(s, ctx, s.sight(who), "id = ? AND operation_id = ?", id, opID)
	if err != nil {
		return zero, err
	}
	if len(vs) == 0 {
		return zero, core.NotFound(k.notFound)
	}
	return vs[0], nil
}

// recordRow is a victim's or suspect's row.
type recordRow interface{ base() *person }

// recordInput is a VictimInput or SuspectInput.
type recordInput interface {
	personInput() *PersonInput
	normalise()
	CheckOn(p *core.Problems, today time.Time)
}

// recordSave is what saving a victim and a suspect do differently, around saveRecord.
type recordSave struct {
	loaded  func(ctx context.Context) error                                            // after an existing row is read; may be nil
	fill    func()                                                                     // copies the kind's own fields of the input into the row
	written func(ctx context.Context, id int64) (details map[string]string, err error) // may be nil
}

// saveRecord adds (id 0) or changes a potential victim or suspect of operation opID in one
// transaction: it loads the operation for update and any existing row into row, checks in,
// writes the row and its exploitation types, touches the operation and audits the change.
func saveRecord[V any](ctx context.Context, s *Service, who core.Actor, opID, id int64, k recordKind[V], in recordInput, row recordRow, do recordSave) (V, error) {
	var out V
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Operations)
		op, _, err := s.load(ctx, who, opID, policies.ActUpdate, true)
		if err != nil {
			return err
		}
		now := s.d.Now()
		r := row.base()
		*r = person{OperationID: op.ID, CreatedBy: who.UserID, CreatedAt: now}
		if id != 0 {
			if err := s.d.DB.Conn(ctx).Where("id = ? AND operation_id = ?", id, op.ID).Take(row).Error; errors.Is(err, gorm.ErrRecordNotFound) {
				return core.NotFound(k.notFound)
			} else if err != nil {
				return core.DBError(err)
			}
			if do.loaded != nil {
				if err := do.loaded(ctx); err != nil {
					return err
				}
			}
		}
		in.normalise()
		pin := in.personInput()
		var p core.Problems
		in.CheckOn(&p, s.today())
		if err := s.referenceTaken(ctx, &p, k.table, op.ID, id, pin.Reference, k.label); err != nil {
			return err
		}
		if err := p.Err(); err != nil {
			return err
		}
		r.Reference, r.AgeBand, r.Child, r.Sex, r.Nationality, r.UpdatedAt = pin.Reference, pin.AgeBand, pin.AgeBand.Child(), pin.Sex, pin.Nationality, now
		do.fill()
		action := "operation." + k.name + "_add"
		if id == 0 {
			err = s.d.DB.Conn(ctx).Create(row).Error
		} else {
			action = "operation." + k.name + "_update"
			err = s.d.DB.Conn(ctx).Select("*").Omit("id", "operation_id", "case_id", "created_by", "created_at").Updates(row).Error
		}
		if err != nil {
			return core.DBError(err)
		}
		if err := s.writeTypes(ctx, k.name+"_exploitation", k.name+"_id", r.ID, pin.Exploitation); err != nil {
			return err
		}
		details := map[string]string{k.name: core.IDString(r.ID)}
		if do.written != nil {
			more, err := do.written(ctx, r.ID)
			if err != nil {
				return err
			}
			maps.Copy(details, more)
		}
		if err := s.touch(ctx, op.ID); err != nil {
			return err
		}
		if out, err = k.one(ctx, s, who, op.ID, r.ID); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: action, ObjectType: "operation", ObjectID: core.IDString(op.ID), Outcome: core.OutcomeSuccess,
			Details: details})
	})
	return out, err
}

// AddVictim records a potential victim of an operation. The people named on it and the owning
// organisation's supervisors may call it. Errors: ENOTFOUND, EFORBIDDEN, EINVALID (every problem
// at once).
func (s *Service) AddVictim(ctx context.Context, who core.Actor, opID int64, in VictimInput) (VictimView, error) {
	return s.UpdateVictim(ctx, who, opID, 0, in)
}

// UpdateVictim changes a potential victim (victimID 0 records a new one). Who may call it and
// errors: as AddVictim.
func (s *Service) UpdateVictim(ctx context.Context, who core.Actor, opID, victimID int64, in VictimInput) (VictimView, error) {
	var row victim
	return saveRecord(ctx, s, who, opID, victimID, victimKind, &in, &row, recordSave{fill: func() {
		row.NRMReferredOn, row.FirstResponder, row.RGDecidedOn, row.RGOutcome = in.NRMReferredOn, in.FirstResponder, in.RGDecidedOn, in.RGOutcome
		row.CGDecidedOn, row.CGOutcome, row.DutyToNotify, row.Safeguarding, row.SupportAccepted = in.CGDecidedOn, in.CGOutcome, in.DutyToNotify, in.Safeguarding, in.SupportAccepted
	}})
}

// AddSuspect records a suspect of an operation with their charges. The people named on it and
// the owning organisation's supervisors may call it. Errors: ENOTFOUND, EFORBIDDEN, EINVALID
// (every problem at once).
func (s *Service) AddSuspect(ctx context.Context, who core.Actor, opID int64, in SuspectInput) (SuspectView, error) {
	return s.UpdateSuspect(ctx, who, opID, 0, in)
}

// UpdateSuspect changes a suspect (id 0 records a new one). in.Charges, when not nil, are the
// suspect's charges in the order they were recorded: the first len(existing) change the
// existing charges in place, more are added, fewer remove the last. Nil keeps the charges as
// they are. Who may call it and errors: as AddSuspect.
func (s *Service) UpdateSuspect(ctx context.Context, who core.Actor, opID, id int64, in SuspectInput) (SuspectView, error) {
	var row suspect
	var existing []charge
	return saveRecord(ctx, s, who, opID, id, suspectKind, &in, &row, recordSave{
		loaded: func(ctx context.Context) error {
			if err := s.d.DB.Conn(ctx).Where("suspect_id = ?", id).Order("id").Find(&existing).Error; err != nil {
				return core.DBError(err)
			}
			if in.Charges == nil {
				for _, c := range existing {
					in.Charges = append(in.Charges, ChargeInput{Offence: c.Offence, ChargedOn: c.ChargedOn, Outcome: c.Outcome, OutcomeOn: c.OutcomeOn})
				}
			}
			return nil
		},
		fill: func() {
			row.Role, row.ArrestedOn, row.S45Raised, row.SentenceMonths = in.Role, in.ArrestedOn, in.S45Raised, in.SentenceMonths
			row.STPO, row.ReparationOrder, row.ConfiscationPounds = in.STPO, in.ReparationOrder, in.ConfiscationPounds
		},
		written: func(ctx context.Context, id int64) (map[string]string, error) {
			return map[string]string{"charges": strconv.Itoa(len(in.Charges))}, s.syncCharges(ctx, who, id, existing, in.Charges)
		},
	})
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
		core.Changed(ctx, core.Operations)
		if _, _, err := s.load(ctx, who, opID, policies.ActUpdate, true); err != nil {
			return err
		}
		sv, err := suspectKind.one(ctx, s, who, opID, suspectID)
		if err != nil {
			return err
		}
		full := sv.Input()
		i := len(full.Charges)
		if chargeID != 0 {
			i = -1
			for j, c := range sv.Charges {
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
		v, err := s.UpdateSuspect(ctx, who, opID, suspectID, full)
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
	return readRecord(ctx, s, who, opID, victimID, victimKind)
}

// Suspect returns one suspect of an operation with their charges (an audited read). Who may
// call it and errors: as Victim.
func (s *Service) Suspect(ctx context.Context, who core.Actor, opID, suspectID int64) (SuspectView, error) {
	return readRecord(ctx, s, who, opID, suspectID, suspectKind)
}

// VictimPage is a page of an operation's potential victims, by reference.
type VictimPage struct {
	Victims []VictimView `json:"victims"`
	core.Pages
}

// Victims lists a page of an operation's potential victims, by reference: limit of them (50
// unless 1 to 200) after the cursor after ("" for the first page), with how many there are in
// all (an audited read). Who may call it: as Victim. Errors: ENOTFOUND, EINVALID (a damaged
// cursor).
func (s *Service) Victims(ctx context.Context, who core.Actor, opID int64, after string, limit int) (VictimPage, error) {
	var out VictimPage
	err := s.readPart(ctx, who, opID, "victims", func(ctx context.Context, op *Operation) (err error) {
		out.Victims, out.Pages, err = s.victimPage(ctx, s.sight(who), op.ID, after, core.PageLimit(limit, 200, 50))
		return err
	})
	return out, err
}

// SuspectPage is a page of an operation's suspects with their charges, by reference.
type SuspectPage struct {
	Suspects []SuspectView `json:"suspects"`
	core.Pages
}

// Suspects lists a page of an operation's suspects with their charges, as Victims lists its
// potential victims. Who may call it and errors: as Victims.
func (s *Service) Suspects(ctx context.Context, who core.Actor, opID int64, after string, limit int) (SuspectPage, error) {
	var out SuspectPage
	err := s.readPart(ctx, who, opID, "suspects", func(ctx context.Context, op *Operation) (err error) {
		out.Suspects, out.Pages, err = s.suspectPage(ctx, s.sight(who), op.ID, after, core.PageLimit(limit, 200, 50))
		return err
	})
	return out, err
}

func readRecord[V any](ctx context.Context, s *Service, who core.Actor, opID, id int64, k recordKind[V]) (V, error) {
	var out V
	err := s.readPart(ctx, who, opID, k.name+" "+core.IDString(id), func(ctx context.Context, op *Operation) (err error) {
		out, err = k.one(ctx, s, who, op.ID, id)
		return err
	})
	return out, err
}

func nationalityName(code string) string {
	if c, ok := terms.Nationality(code); ok {
		return c.Name
	}
	return "Not known"
}

// rowsWhere reads the rows of R (victims or suspects) matching where, by reference.
func rowsWhere[R any](ctx context.Context, s *Service, where string, args ...any) ([]R, error) {
	var rows []R
	if err := s.d.DB.Conn(ctx).Where(where, args...).Order("reference, id").Find(&rows).Error; err != nil {
		return nil, core.DBError(err)
	}
	return rows, nil
}

// pageRows reads the page of operation opID's rows of R (victims or suspects) that after asks
// for ("" the first), by reference as the lists show them: limit of them, and where the page
// stands. Errors: EINVALID (a damaged cursor).
func pageRows[R any, P interface {
	*R
	recordRow
}](ctx context.Context, s *Service, opID int64, after string, limit int) ([]R, core.Pages, error) {
	q := s.d.DB.Conn(ctx).Model(new(R)).Where("operation_id = ?", opID)
	return core.ReadPage(q, "reference", "id", false, after, limit, func(k string) (any, error) { return k, nil }, func(r R) string {
		b := P(&r).base()
		return core.EncodeCursor(b.Reference, b.ID)
	})
}

// typesOf reads the exploitation types of rows of kind (KindVictim or KindSuspect), by id.
func typesOf[R any, P interface {
	*R
	recordRow
}](ctx context.Context, s *Service, kind string, rows []R) (map[int64][]terms.Exploitation, error) {
	return s.types(ctx, kind+"_exploitation", kind+"_id", core.IDsOf(rows, func(r R) int64 { return P(&r).base().ID }))
}

// victims reads the potential victims matching where, by reference, as sight lets the reader
// see their case files.
func (s *Service) victims(ctx context.Context, sight *caseSight, where string, args ...any) ([]VictimView, error) {
	rows, err := rowsWhere[victim](ctx, s, where, args...)
	if err != nil {
		return nil, err
	}
	return s.victimViews(ctx, sight, rows)
}

// victimPage reads a page of operation opID's potential victims (see pageRows).
func (s *Service) victimPage(ctx context.Context, sight *caseSight, opID int64, after string, limit int) ([]VictimView, core.Pages, error) {
	rows, pg, err := pageRows[victim](ctx, s, opID, after, limit)
	if err != nil {
		return nil, pg, err
	}
	vs, err := s.victimViews(ctx, sight, rows)
	return vs, pg, err
}

func (s *Service) victimViews(ctx context.Context, sight *caseSight, rows []victim) ([]VictimView, error) {
	types, err := typesOf(ctx, s, KindVictim, rows)
	if err != nil {
		return nil, err
	}
	out := make([]VictimView, 0, len(rows))
	for _, r := range rows {
		v := VictimView{PersonView: r.Person.view(types[r.Person.ID]), NRMReferredOn: r.NRMReferredOn, FirstResponder: r.FirstResponder, RGDecidedOn: r.RGDecidedOn,
			RGOutcome: r.RGOutcome, CGDecidedOn: r.CGDecidedOn, CGOutcome: r.CGOutcome, DutyToNotify: r.DutyToNotify, Safeguarding: r.Safeguarding,
			SupportAccepted: r.SupportAccepted, UpdatedAt: r.Person.UpdatedAt}
		if err := sight.show(ctx, &v.PersonView); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// suspects reads the suspects matching where, by reference, with their charges, as sight lets
// the reader see their case files.
func (s *Service) suspects(ctx context.Context, sight *caseSight, where string, args ...any) ([]SuspectView, error) {
	rows, err := rowsWhere[suspect](ctx, s, where, args...)
	if err != nil {
		return nil, err
	}
	return s.suspectViews(ctx, sight, rows)
}

// suspectPage reads a page of operation opID's suspects with their charges (see pageRows).
func (s *Service) suspectPage(ctx context.Context, sight *caseSight, opID int64, after string, limit int) ([]SuspectView, core.Pages, error) {
	rows, pg, err := pageRows[suspect](ctx, s, opID, after, limit)
	if err != nil {
		return nil, pg, err
	}
	ss, err := s.suspectViews(ctx, sight, rows)
	return ss, pg, err
}

func (s *Service) suspectViews(ctx context.Context, sight *caseSight, rows []suspect) ([]SuspectView, error) {
	types, err := typesOf(ctx, s, KindSuspect, rows)
	if err != nil {
		return nil, err
	}
	ids := core.IDsOf(rows, func(r suspect) int64 { return r.Person.ID })
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
		cs := charges[r.Person.ID]
		if cs == nil {
			cs = []ChargeView{}
		}
		v := SuspectView{PersonView: r.Person.view(types[r.Person.ID]), Role: r.Role, RoleLabel: r.Role.Label(), ArrestedOn: r.ArrestedOn, S45Raised: r.S45Raised,
			SentenceMonths: r.SentenceMonths, STPO: r.STPO, ReparationOrder: r.ReparationOrder, ConfiscationPounds: r.ConfiscationPounds,
			Charges: cs, UpdatedAt: r.Person.UpdatedAt}
		if err := sight.show(ctx, &v.PersonView); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
