package operations

import (
	"context"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
)

// OperationView is an operation as pages and the API show it.
type OperationView struct {
	Operation
	Title            string               `json:"title"`
	Organisation     string               `json:"organisation"`
	LeadOfficer      string               `json:"lead_officer"`
	LeadOfficerEmail string               `json:"lead_officer_email"`
	StatusLabel      string               `json:"status_label"`
	Marking          string               `json:"classification"`
	Exploitation     []terms.Exploitation `json:"exploitation"`
	Joint            bool                 `json:"joint"` // another organisation is involved
	Partners         []Partner            `json:"partners"`
	Members          []Member             `json:"members"`
	Cases            []LinkedCase         `json:"cases"`       // the linked case files the actor may see
	OtherCases       int                  `json:"other_cases"` // how many other case files are linked: never named
	// A page of the potential victims and one of the suspects, by reference: the first of each
	// unless Paging asks for others; their Pages say how many there are in all.
	Victims      []VictimView  `json:"victims"`
	VictimPages  core.Pages    `json:"victim_pages"`
	Suspects     []SuspectView `json:"suspects"`
	SuspectPages core.Pages    `json:"suspect_pages"`
	// What the actor may do: update (the operation, its victims, suspects and case files),
	// manage_team (name and remove people).
	Actions core.Actions `json:"actions"`
}

// Input is the operation as a form to change it starts from.
func (v OperationView) Input() OperationInput {
	in := OperationInput{Reference: v.Reference, Name: v.Name, LeadOfficer: v.LeadOfficerEmail, Status: v.Status, StartedOn: v.StartedOn,
		EndedOn: v.EndedOn, Exploitation: v.Exploitation, Children: v.ChildrenInvolved, OrganisedCrime: v.OrganisedCrimeGroup,
		CrossBorder: v.CrossBorder, Covert: v.Covert}
	for _, p := range v.Partners {
		in.Partners = append(in.Partners, p.Slug)
	}
	return in
}

// Member is a person named on an operation.
type Member struct {
	ID           int64     `json:"id"`
	UserID       int64     `json:"user_id"`
	Name         string    `json:"name"`
	Email        string    `json:"email"`
	Organisation string    `json:"organisation"`
	OtherOrg     bool      `json:"other_organisation"` // of a partner organisation
	AddedBy      string    `json:"added_by"`
	AddedAt      time.Time `json:"added_at"`
}

// LinkedCase is a case file of an operation.
type LinkedCase struct {
	CaseID   int64     `json:"case_id"`
	URN      string    `json:"urn"`
	LinkedAt time.Time `json:"linked_at"`
}

// PersonView is what potential victims and suspects show alike.
type PersonView struct {
	ID              int64                `json:"id"`
	OperationID     int64                `json:"operation_id"`
	Reference       string               `json:"reference"`
	AgeBand         terms.AgeBand        `json:"age_band"`
	AgeBandLabel    string               `json:"age_band_label"`
	Child           bool                 `json:"child"`
	Sex             terms.Sex            `json:"sex"`
	SexLabel        string               `json:"sex_label"`
	Nationality     string               `json:"nationality"`
	NationalityName string               `json:"nationality_name"`
	Exploitation    []terms.Exploitation `json:"exploitation"`
	// The case file of the operation the person is on: its id only when the reader may read
	// it; otherwise CaseHidden says they are on one, never which (see caseSight).
	CaseID     *int64 `json:"case_id,omitempty"`
	CaseHidden bool   `json:"case_hidden,omitempty"`
}

func (v PersonView) input() PersonInput {
	return PersonInput{Reference: v.Reference, AgeBand: v.AgeBand, Sex: v.Sex, Nationality: v.Nationality, Exploitation: v.Exploitation}
}

// VictimView is a potential victim as pages and the API show them.
type VictimView struct {
	PersonView
	NRMReferredOn   *time.Time           `json:"nrm_referred_on,omitempty"`
	FirstResponder  terms.FirstResponder `json:"first_responder"`
	RGDecidedOn     *time.Time           `json:"rg_decided_on,omitempty"`
	RGOutcome       terms.Decision       `json:"rg_outcome"`
	CGDecidedOn     *time.Time           `json:"cg_decided_on,omitempty"`
	CGOutcome       terms.Decision       `json:"cg_outcome"`
	DutyToNotify    bool                 `json:"duty_to_notify"`
	Safeguarding    bool                 `json:"safeguarding"`
	SupportAccepted bool                 `json:"support_accepted"`
	UpdatedAt       time.Time            `json:"updated_at"`
}

// Input is the victim as a form to change them starts from.
func (v VictimView) Input() VictimInput {
	return VictimInput{PersonInput: v.PersonView.input(),
		NRMReferredOn: v.NRMReferredOn, FirstResponder: v.FirstResponder, RGDecidedOn: v.RGDecidedOn, RGOutcome: v.RGOutcome,
		CGDecidedOn: v.CGDecidedOn, CGOutcome: v.CGOutcome, DutyToNotify: v.DutyToNotify, Safeguarding: v.Safeguarding, SupportAccepted: v.SupportAccepted}
}

// RGLabel is the reasonable grounds decision as pages show it.
func (v VictimView) RGLabel() string { return decisionLabel(v.RGOutcome) }

// CGLabel is the conclusive grounds decision as pages show it.
func (v VictimView) CGLabel() string { return decisionLabel(v.CGOutcome) }

func decisionLabel(d terms.Decision) string {
	switch d {
	case terms.DecisionPositive:
		return "Positive"
	case terms.DecisionNegative:
		return "Negative"
	}
	return "No decision"
}

// SuspectView is a suspect as pages and the API show them, with their charges.
type SuspectView struct {
	PersonView
	Role               terms.SuspectRole `json:"role"`
	RoleLabel          string            `json:"role_label"`
	ArrestedOn         *time.Time        `json:"arrested_on,omitempty"`
	S45Raised          bool              `json:"s45_raised"`
	SentenceMonths     *int              `json:"sentence_months,omitempty"`
	STPO               bool              `json:"stpo"`
	ReparationOrder    bool              `json:"reparation_order"`
	ConfiscationPounds int64             `json:"confiscation_pounds"`
	Charges            []ChargeView      `json:"charges"`
	UpdatedAt          time.Time         `json:"updated_at"`
}

// Input is the suspect, with their charges, as a form to change them starts from.
func (v SuspectView) Input() SuspectInput {
	in := SuspectInput{PersonInput: v.PersonView.input(),
		Role: v.Role, ArrestedOn: v.ArrestedOn, S45Raised: v.S45Raised, SentenceMonths: v.SentenceMonths, STPO: v.STPO,
		ReparationOrder: v.ReparationOrder, ConfiscationPounds: v.ConfiscationPounds, Charges: []ChargeInput{}}
	for _, c := range v.Charges {
		in.Charges = append(in.Charges, c.Input())
	}
	return in
}

// ChargeView is one charge of a suspect and its outcome.
type ChargeView struct {
	ID           int64         `json:"id"`
	SuspectID    int64         `json:"suspect_id"`
	Offence      terms.Offence `json:"offence"`
	OffenceLabel string        `json:"offence_label"`
	ChargedOn    time.Time     `json:"charged_on"`
	Outcome      terms.Outcome `json:"outcome"`
	OutcomeLabel string        `json:"outcome_label"`
	OutcomeOn    *time.Time    `json:"outcome_on,omitempty"`
}

// Input is the charge as a form to change it starts from.
func (c ChargeView) Input() ChargeInput {
	return ChargeInput{Offence: c.Offence, ChargedOn: c.ChargedOn, Outcome: c.Outcome, OutcomeOn: c.OutcomeOn}
}

// actions says what who may do to an operation now.
func (s *Service) actions(ctx context.Context, who core.Actor, obj policies.Object) core.Actions {
	may := func(act policies.Action) bool { return s.d.Authz.Can(ctx, who.Subject(), act, obj) == nil }
	return core.Actions{Update: may(policies.ActUpdate), ManageTeam: may(policies.ActManageTeam)}
}

// Paging says which page of an operation's potential victims and which of its suspects to read
// with it: each after its own cursor ("" for the first page), Limit of each (50 unless 1 to 200).
type Paging struct {
	VictimsAfter, SuspectsAfter string
	Limit                       int
}

// view adds names, sets, people and records to a loaded operation: the pages of its people
// that p asks for.
func (s *Service) view(ctx context.Context, who core.Actor, op *Operation, obj policies.Object, p Paging) (OperationView, error) {
	v := OperationView{Operation: *op, Title: op.Title(), StatusLabel: op.Status.Label(), Marking: op.Classification.String(),
		Exploitation: []terms.Exploitation{}, Partners: []Partner{}, Members: []Member{}, Cases: []LinkedCase{},
		Actions: s.actions(ctx, who, obj)}
	db := s.d.DB.Conn(ctx)
	if err := db.Table("organisations").Select("name").Where("id = ?", op.OrganisationID).Scan(&v.Organisation).Error; err != nil {
		return v, core.DBError(err)
	}
	var lead struct{ Name, Email string }
	if err := db.Table("users").Select("name, email").Where("id = ?", op.LeadOfficerID).Scan(&lead).Error; err != nil {
		return v, core.DBError(err)
	}
	v.LeadOfficer, v.LeadOfficerEmail = lead.Name, lead.Email
	types, err := s.types(ctx, "operation_exploitation", "operation_id", []int64{op.ID})
	if err != nil {
		return v, err
	}
	v.Exploitation = orderTypes(types[op.ID])
	if err := db.Table("operation_partners p").Select("o.id, o.slug, o.name").Joins("JOIN organisations o ON o.id = p.organisation_id").
		Where("p.operation_id = ?", op.ID).Order("o.name").Scan(&v.Partners).Error; err != nil {
		return v, core.DBError(err)
	}
	v.Joint = len(v.Partners) > 0
	if v.Members, err = s.members(ctx, op); err != nil {
		return v, err
	}
	sight := s.sight(who)
	if v.Cases, v.OtherCases, err = s.linkedCases(ctx, sight, op); err != nil {
		return v, err
	}
	limit := core.PageLimit(p.Limit, 200, 50)
	if v.Victims, v.VictimPages, err = s.victimPage(ctx, sight, op.ID, p.VictimsAfter, limit); err != nil {
		return v, err
	}
	if v.Suspects, v.SuspectPages, err = s.suspectPage(ctx, sight, op.ID, p.SuspectsAfter, limit); err != nil {
		return v, err
	}
	return v, nil
}

// linkedCases are the case files of op that the reader may read (by the case files' own rules),
// and how many others there are: being on an operation shows that it has case files, never which.
func (s *Service) linkedCases(ctx context.Context, sight *caseSight, op *Operation) ([]LinkedCase, int, error) {
	var all []LinkedCase
	if err := s.d.DB.Conn(ctx).Table("operation_cases c").Select("c.case_id, cf.urn, c.linked_at").Joins("JOIN case_files cf ON cf.id = c.case_id").
		Where("c.operation_id = ?", op.ID).Order("c.linked_at, c.case_id").Scan(&all).Error; err != nil {
		return nil, 0, core.DBError(err)
	}
	seen, others := []LinkedCase{}, 0
	for _, lc := range all {
		may, err := sight.mayRead(ctx, lc.CaseID)
		if err != nil {
			return nil, 0, err
		}
		if may {
			seen = append(seen, lc)
		} else {
			others++
		}
	}
	return seen, others, nil
}

// caseSight is what one reader may read of the case files an answer mentions, each asked of the
// case files once, however many people of the answer are on it.
type caseSight struct {
	cases CaseAccess
	who   core.Actor
	read  map[int64]bool
}

// sight starts who's sight of case files for one answer.
func (s *Service) sight(who core.Actor) *caseSight {
	return &caseSight{cases: s.cases, who: who, read: map[int64]bool{}}
}

// mayRead says whether the reader may read case file id by the case files' own rules.
func (c *caseSight) mayRead(ctx context.Context, id int64) (bool, error) {
	if may, ok := c.read[id]; ok {
		return may, nil
	}
	err := c.cases.Allow(ctx, c.who, id, policies.ActRead)
	if err != nil && core.ErrorCode(err) != core.ENOTFOUND {
		return false, err
	}
	c.read[id] = err == nil
	return err == nil, nil
}

// show leaves the id of p's case file only when the reader may read it: otherwise p says only
// that they are on a case file the reader cannot see. A page or a client given the id would
// learn that the case file exists and which one it is.
func (c *caseSight) show(ctx context.Context, p *PersonView) error {
	if p.CaseID == nil {
		return nil
	}
	may, err := c.mayRead(ctx, *p.CaseID)
	if err != nil {
		return err
	}
	if !may {
		p.CaseID, p.CaseHidden = nil, true
	}
	return nil
}

func (s *Service) members(ctx context.Context, op *Operation) ([]Member, error) {
	var rows []struct {
		Member
		OrgID int64
	}
	err := s.d.DB.Conn(ctx).Table("operation_members m").
		Select("m.id, m.user_id, u.name, u.email, o.name AS organisation, o.id AS org_id, COALESCE(a.name, '') AS added_by, m.added_at").
		Joins("JOIN users u ON u.id = m.user_id").
		Joins("JOIN organisations o ON o.id = u.organisation_id").
		Joins("LEFT JOIN users a ON a.id = m.added_by").
		Where("m.operation_id = ? AND m.removed_at IS NULL", op.ID).Order("u.name, m.id").Scan(&rows).Error
	if err != nil {
		return nil, core.DBError(err)
	}
	out := make([]Member, 0, len(rows))
	for _, r := range rows {
		m := r.Member
		m.OtherOrg = r.OrgID != op.OrganisationID
		out = append(out, m)
	}
	return out, nil
}

// types reads the exploitation types of the rows of table whose column is one of ids.
func (s *Service) types(ctx context.Context, table, column string, ids []int64) (map[int64][]terms.Exploitation, error) {
	out := map[int64][]terms.Exploitation{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   int64
		Type terms.Exploitation
	}
	if err := s.d.DB.Conn(ctx).Table(table).Select(column+" AS id, type").Where(column+" IN ?", ids).Scan(&rows).Error; err != nil {
		return nil, core.DBError(err)
	}
	for _, r := range rows {
		out[r.ID] = append(out[r.ID], r.Type)
	}
	return out, nil
}

// orderTypes puts exploitation types in the order of terms.Exploitations, never nil.
func orderTypes(types []terms.Exploitation) []terms.Exploitation {
	out := []terms.Exploitation{}
	for _, t := range terms.Exploitations() {
		for _, x := range types {
			if x == t {
				out = append(out, t)
				break
			}
		}
	}
	return out
}
