package operations

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// CaseAccess is what operations asks of the case files: whether who may act on a case file,
// by the case files' own rules. A case who may not read is ENOTFOUND; one they may read but
// not act on is EFORBIDDEN. casefile.Service implements it.
type CaseAccess interface {
	Allow(ctx context.Context, who core.Actor, caseID int64, act policies.Action) error
}

// Service holds the operations on the national operations database: operations, their team,
// partners and case files, and their potential victims and suspects.
type Service struct {
	d     core.Deps
	audit *core.Audit
	cases CaseAccess
}

// New builds the operations' operations.
func New(d core.Deps, audit *core.Audit, cases CaseAccess) *Service {
	return &Service{d: d, audit: audit, cases: cases}
}

// Kinds of notification of the operations.
const (
	NoticeOperationMember = "operation_member" // a person was named on an operation
	NoticeOperationLead   = "operation_lead"   // a person was made an operation's lead officer
)

// classification is the marking of every operation record: operational material.
const classification = policies.OfficialSensitive

// operationalRoles are the roles whose holders may lead or be named on an operation. Nobody
// holding only administrative or analytical roles is: they see no record.
var operationalRoles = []string{policies.RoleOfficer, policies.RoleInvestigator, policies.RoleSupervisor}

// Operation is an operation's row.
type Operation struct {
	ID                  int64          `json:"id"`
	OrganisationID      int64          `json:"organisation_id"`
	Reference           string         `json:"reference"`
	Name                string         `json:"name"`
	LeadOfficerID       int64          `json:"lead_officer_id"`
	Classification      policies.Level `json:"-"`
	Status              terms.Status   `json:"status"`
	StartedOn           time.Time      `json:"started_on"`
	EndedOn             *time.Time     `json:"ended_on,omitempty"`
	ChildrenInvolved    bool           `json:"children_involved"`
	OrganisedCrimeGroup bool           `json:"organised_crime_group"`
	CrossBorder         bool           `json:"cross_border"`
	Covert              bool           `json:"covert"`
	CreatedBy           int64          `json:"-"`
	CreatedAt           time.Time      `json:"created_at"`
	UpdatedAt           time.Time      `json:"updated_at"`
}

// TableName is the table of operations.
func (Operation) TableName() string { return "operations" }

// Title is how the operation is named to people: "Operation Lantern", never "Operation
// Operation Lantern".
func (o Operation) Title() string { return Title(o.Name) }

// Title names an operation as people read it.
func Title(name string) string {
	if strings.HasPrefix(strings.ToLower(name), "operation ") {
		return name
	}
	return "Operation " + name
}

type opPartner struct {
	OperationID    int64
	OrganisationID int64
}

func (opPartner) TableName() string { return "operation_partners" }

type opMember struct {
	ID          int64
	OperationID int64
	UserID      int64
	AddedBy     *int64
	AddedAt     time.Time
	RemovedBy   *int64
	RemovedAt   *time.Time
}

func (opMember) TableName() string { return "operation_members" }

type opCase struct {
	CaseID      int64 `gorm:"primaryKey;autoIncrement:false"`
	OperationID int64
	LinkedBy    *int64
	LinkedAt    time.Time
}

func (opCase) TableName() string { return "operation_cases" }

// object is the operation as the policy sees it from who's point of view: on the team (an
// active member or the lead officer), the lead officer.
func (s *Service) object(ctx context.Context, who core.Actor, op *Operation) (policies.Object, error) {
	obj := policies.Object{Type: "operation", Org: policies.OrgDomain(op.OrganisationID), Classification: op.Classification}
	var n int64
	if err := s.d.DB.Conn(ctx).Model(&opMember{}).Where("operation_id = ? AND user_id = ? AND removed_at IS NULL", op.ID, who.UserID).Count(&n).Error; err != nil {
		return obj, core.DBError(err)
	}
	if n > 0 || op.LeadOfficerID == who.UserID {
		obj.Rel |= policies.RelTeam
	}
	if op.LeadOfficerID == who.UserID {
		obj.Rel |= policies.RelLead
	}
	return obj, nil
}

var forbidden = map[policies.Action]string{
	policies.ActUpdate:     "Only the people named on this operation and its organisation's supervisors can change it.",
	policies.ActManageTeam: "Only the lead officer or a supervisor of the owning organisation can change who is named on the operation.",
}

// load reads operation id and checks who may act on it: one they may not read is not found,
// whatever the reason; one they may read but not act on is forbidden.
func (s *Service) load(ctx context.Context, who core.Actor, id int64, act policies.Action, lock bool) (*Operation, policies.Object, error) {
	op, err := core.TakeRow[Operation](ctx, s.d.DB, id, lock, "Operation not found")
	if err != nil {
		return nil, policies.Object{}, err
	}
	obj, err := s.object(ctx, who, &op)
	if err != nil {
		return nil, obj, err
	}
	if err := core.CanSee(ctx, s.d.Authz, who, policies.ActRead, obj, "Operation"); err != nil {
		return nil, obj, err
	}
	if act != policies.ActRead {
		msg := forbidden[act]
		if msg == "" {
			msg = "You cannot do that to this operation."
		}
		if err := core.Can(ctx, s.d.Authz, who, act, obj, msg); err != nil {
			return nil, obj, err
		}
	}
	return &op, obj, nil
}

// scope compiles the policy rows that let who do act to an operation into SQL over operations
// (alias op): the same rows, relationships, clearance and vetting rule as Can, so "may read X"
// and "X is listed" never disagree.
func (s *Service) scope(who core.Actor, act policies.Action) (string, []any, error) {
	if !who.Vetted {
		return "1 = 0", nil, nil
	}
	return core.PolicyScope(s.d.Authz, who, "operation", act, "op.classification", func(rel string) (string, []any, bool) {
		switch rel {
		case "org":
			return "op.organisation_id = ?", []any{who.OrgID}, true
		case "team":
			return "(op.lead_officer_id = ? OR op.id IN (SELECT m.operation_id FROM operation_members m WHERE m.user_id = ? AND m.removed_at IS NULL))", []any{who.UserID, who.UserID}, true
		case "lead":
			return "op.lead_officer_id = ?", []any{who.UserID}, true
		}
		return "", nil, false // no other fact holds of an operation
	})
}

// MayCreate says whether who may record operations of their organisation. Errors: EFORBIDDEN.
func (s *Service) MayCreate(ctx context.Context, who core.Actor) error {
	return core.Can(ctx, s.d.Authz, who, policies.ActCreate, policies.Object{Type: "operation", Org: policies.OrgDomain(who.OrgID), Classification: classification},
		"Only officers, investigators and supervisors with current vetting can record operations.")
}

// today is the date in London by the service's clock.
func (s *Service) today() time.Time { return Today(s.d.Now()) }

// operationalUser finds the active user with email in one of orgs holding an operational role.
func (s *Service) operationalUser(ctx context.Context, email string, orgs []int64) (*core.User, error) {
	var u core.User
	err := s.d.DB.Conn(ctx).Table("users u").Select("u.*").Joins("JOIN organisations o ON o.id = u.organisation_id").
		Where("u.email = ? AND u.disabled_at IS NULL AND o.active = ? AND u.organisation_id IN ?", strings.ToLower(strings.TrimSpace(email)), true, orgs).
		Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, core.DBError(err)
	}
	roles := s.d.Authz.RolesIn(policies.UserPrincipal(u.ID), policies.OrgDomain(u.OrganisationID))
	for _, r := range operationalRoles {
		if slices.Contains(roles, r) {
			return &u, nil
		}
	}
	return nil, nil
}

// partnerIDs resolves partner slugs to active organisations other than the owner.
func (s *Service) partnerIDs(ctx context.Context, p *core.Problems, owner int64, slugs []string) ([]int64, error) {
	var ids []int64
	for _, slug := range slugs {
		slug = strings.TrimSpace(slug)
		if slug == "" {
			continue
		}
		var o core.Organisation
		err := s.d.DB.Conn(ctx).Where("slug = ? AND active = ?", slug, true).Take(&o).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			p.Add(FieldPartners, "Select the other organisations involved from the list")
			continue
		}
		if err != nil {
			return nil, core.DBError(err)
		}
		if o.ID == owner {
			p.Add(FieldPartners, "Select only other organisations as partners: the owning organisation leads the operation")
			continue
		}
		if !slices.Contains(ids, o.ID) {
			ids = append(ids, o.ID)
		}
	}
	return ids, nil
}

// checkOperation validates in for an operation of org (id 0 for a new one), with what needs
// the database, reporting every problem at once. It returns the lead officer and partners.
func (s *Service) checkOperation(ctx context.Context, org, id int64, in *OperationInput) (int64, []int64, error) {
	var p core.Problems
	in.Reference, in.Name = strings.TrimSpace(in.Reference), strings.TrimSpace(in.Name)
	if !in.StartedOn.IsZero() {
		in.StartedOn = Day(in.StartedOn)
	}
	if in.EndedOn != nil && !in.EndedOn.IsZero() {
		e := Day(*in.EndedOn)
		in.EndedOn = &e
	} else {
		in.EndedOn = nil
	}
	in.CheckOn(&p, s.today())
	var lead int64
	if strings.TrimSpace(in.LeadOfficer) != "" {
		u, err := s.operationalUser(ctx, in.LeadOfficer, []int64{org})
		if err != nil {
			return 0, nil, err
		}
		if u == nil {
			p.Add(FieldLeadOfficer, "Enter the email address of an officer, investigator or supervisor of the owning organisation with an active MSP Hub account")
		} else {
			lead = u.ID
		}
	}
	partners, err := s.partnerIDs(ctx, &p, org, in.Partners)
	if err != nil {
		return 0, nil, err
	}
	if in.Reference != "" {
		var n int64
		if err := s.d.DB.Conn(ctx).Model(&Operation{}).Where("organisation_id = ? AND reference = ? AND id <> ?", org, in.Reference, id).Count(&n).Error; err != nil {
			return 0, nil, core.DBError(err)
		}
		if n > 0 {
			p.Add(FieldReference, "Your organisation already has an operation with this reference: enter a different reference")
		}
	}
	return lead, partners, p.Err()
}

// writeSets replaces an operation's exploitation types and partners.
func (s *Service) writeSets(ctx context.Context, id int64, types []terms.Exploitation, partners []int64) error {
	if err := s.writeTypes(ctx, "operation_exploitation", "operation_id", id, types); err != nil {
		return err
	}
	rows := make([]opPartner, 0, len(partners))
	for _, o := range partners {
		rows = append(rows, opPartner{OperationID: id, OrganisationID: o})
	}
	return core.ReplaceRows(ctx, s.d.DB, "operation_id", id, rows)
}

// tellLead tells lead that ops (the ids of one or more operations) are theirs to lead (they may
// now name and remove people), with a link to the operation or, for several, to the list,
// unless they made themselves the lead. The text names nothing of an operation: its name and
// reference are OFFICIAL-SENSITIVE.
func tellLead(ctx context.Context, d core.Deps, who core.Actor, lead int64, ops ...int64) error {
	if lead == 0 || lead == who.UserID || len(ops) == 0 {
		return nil
	}
	if len(ops) > 1 {
		return core.Notify(ctx, d, lead, NoticeOperationLead, fmt.Sprintf("You have been made the lead officer of %d operations in MSP Hub.", len(ops)), "/operations")
	}
	return core.Notify(ctx, d, lead, NoticeOperationLead, "You have been made the lead officer of an operation in MSP Hub.", "/operations/"+core.IDString(ops[0]))
}

// Create records an operation of the actor's organisation; the actor is named on it, and a lead
// officer other than the actor is told. Officers, investigators and supervisors may call it.
// Errors: EFORBIDDEN, EINVALID (every problem at once).
func (s *Service) Create(ctx context.Context, who core.Actor, in OperationInput) (OperationView, error) {
	var id int64
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Operations)
		if err := s.MayCreate(ctx, who); err != nil {
			return err
		}
		lead, partners, err := s.checkOperation(ctx, who.OrgID, 0, &in)
		if err != nil {
			return err
		}
		now := s.d.Now()
		op := Operation{OrganisationID: who.OrgID, Reference: in.Reference, Name: in.Name, LeadOfficerID: lead, Classification: classification,
			Status: in.Status, StartedOn: in.StartedOn, EndedOn: in.EndedOn, ChildrenInvolved: in.Children, OrganisedCrimeGroup: in.OrganisedCrime,
			CrossBorder: in.CrossBorder, Covert: in.Covert, CreatedBy: who.UserID, CreatedAt: now, UpdatedAt: now}
		if err := s.d.DB.Conn(ctx).Create(&op).Error; err != nil {
			return core.DBError(err)
		}
		id = op.ID
		if err := s.writeSets(ctx, op.ID, in.Exploitation, partners); err != nil {
			return err
		}
		if err := s.d.DB.Conn(ctx).Create(&opMember{OperationID: op.ID, UserID: who.UserID, AddedBy: &who.UserID, AddedAt: now}).Error; err != nil {
			return core.DBError(err)
		}
		if err := tellLead(ctx, s.d, who, op.LeadOfficerID, op.ID); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "operation.create", ObjectType: "operation", ObjectID: core.IDString(op.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"reference": op.Reference, "status": string(op.Status)}})
	})
	if err != nil {
		return OperationView{}, err
	}
	return s.Get(ctx, who, id)
}

// Update changes an operation's details, exploitation types and partners. A partner taken off
// takes its people off the operation (their grants stay on record). A new lead officer is told,
// unless they made the change. The people named on it and the owning organisation's supervisors
// may call it. Errors: ENOTFOUND, EFORBIDDEN, EINVALID.
func (s *Service) Update(ctx context.Context, who core.Actor, id int64, in OperationInput) (OperationView, error) {
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Operations)
		op, _, err := s.load(ctx, who, id, policies.ActUpdate, true)
		if err != nil {
			return err
		}
		lead, partners, err := s.checkOperation(ctx, op.OrganisationID, op.ID, &in)
		if err != nil {
			return err
		}
		details := map[string]string{}
		if op.Reference != in.Reference {
			details["reference"] = op.Reference + " → " + in.Reference
		}
		if op.Status != in.Status {
			details["status"] = string(op.Status) + " → " + string(in.Status)
		}
		newLead := op.LeadOfficerID != lead
		if newLead {
			details["lead_officer"] = core.IDString(op.LeadOfficerID) + " → " + core.IDString(lead)
		}
		now := s.d.Now()
		op.Reference, op.Name, op.LeadOfficerID, op.Status, op.StartedOn, op.EndedOn = in.Reference, in.Name, lead, in.Status, in.StartedOn, in.EndedOn
		op.ChildrenInvolved, op.OrganisedCrimeGroup, op.CrossBorder, op.Covert, op.UpdatedAt = in.Children, in.OrganisedCrime, in.CrossBorder, in.Covert, now
		if err := s.d.DB.Conn(ctx).Model(op).Select("reference", "name", "lead_officer_id", "status", "started_on", "ended_on", "children_involved",
			"organised_crime_group", "cross_border", "covert", "updated_at").Updates(op).Error; err != nil {
			return core.DBError(err)
		}
		if err := s.writeSets(ctx, op.ID, in.Exploitation, partners); err != nil {
			return err
		}
		orgs := append([]int64{op.OrganisationID}, partners...)
		res := s.d.DB.Conn(ctx).Model(&opMember{}).
			Where("operation_id = ? AND removed_at IS NULL AND user_id IN (SELECT id FROM users WHERE organisation_id NOT IN ?)", op.ID, orgs).
			Updates(map[string]any{"removed_at": now, "removed_by": who.UserID})
		if res.Error != nil {
			return core.DBError(res.Error)
		}
		if res.RowsAffected > 0 {
			details["members_removed"] = core.IDString(res.RowsAffected)
		}
		if newLead {
			if err := tellLead(ctx, s.d, who, op.LeadOfficerID, op.ID); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "operation.update", ObjectType: "operation", ObjectID: core.IDString(op.ID), Outcome: core.OutcomeSuccess, Details: details})
	})
	if err != nil {
		return OperationView{}, err
	}
	return s.Get(ctx, who, id)
}

// touch marks an operation as changed now.
func (s *Service) touch(ctx context.Context, id int64) error {
	return core.DBError(s.d.DB.Conn(ctx).Model(&Operation{}).Where("id = ?", id).Update("updated_at", s.d.Now()).Error)
}

// Get returns an operation with its partners, members, case files, the first page of its
// potential victims and of its suspects (with how many there are), and what the actor may do to
// it; the read is in the audit log. The people named on it and the owning organisation's
// supervisors may call it. Errors: ENOTFOUND.
func (s *Service) Get(ctx context.Context, who core.Actor, id int64) (OperationView, error) {
	return s.GetPaged(ctx, who, id, Paging{})
}

// GetPaged is Get with the pages of potential victims and suspects that p asks for, each paged
// on its own. Who may call it: as Get. Errors: ENOTFOUND, EINVALID (a damaged cursor).
func (s *Service) GetPaged(ctx context.Context, who core.Actor, id int64, p Paging) (OperationView, error) {
	var v OperationView
	err := s.audit.RecordRead(ctx, &who, func(ctx context.Context) (core.Event, error) {
		op, obj, err := s.load(ctx, who, id, policies.ActRead, false)
		if err != nil {
			return core.Event{}, err
		}
		if v, err = s.view(ctx, who, op, obj, p); err != nil {
			return core.Event{}, err
		}
		return core.Event{Action: "operation.read", ObjectType: "operation", ObjectID: core.IDString(op.ID), Outcome: core.OutcomeSuccess}, nil
	})
	return v, err
}

// readPart runs read on operation id once who may read it, then records the read.
func (s *Service) readPart(ctx context.Context, who core.Actor, id int64, part string, read func(ctx context.Context, op *Operation) error) error {
	return s.audit.RecordRead(ctx, &who, func(ctx context.Context) (core.Event, error) {
		op, _, err := s.load(ctx, who, id, policies.ActRead, false)
		if err != nil {
			return core.Event{}, err
		}
		if err := read(ctx, op); err != nil {
			return core.Event{}, err
		}
		return core.Event{Action: "operation.read", ObjectType: "operation", ObjectID: core.IDString(op.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"part": part}}, nil
	})
}

// Filter narrows a list of operations.
type Filter struct {
	Status []terms.Status // any of these; all when empty
	Query  string         // part of the name or reference
}

// Heading is what a list of operations and a case file show of an operation.
type Heading struct {
	Reference    string       `json:"reference"`
	Name         string       `json:"name"`
	Title        string       `json:"title"`
	Organisation string       `json:"organisation"`
	Status       terms.Status `json:"status"`
	StatusLabel  string       `json:"status_label"`
	StartedOn    time.Time    `json:"started_on"`
	EndedOn      *time.Time   `json:"ended_on,omitempty"`
}

// label fills the title and status label from the name and status.
func (h *Heading) label() { h.Title, h.StatusLabel = Title(h.Name), h.Status.Label() }

// Summary is one row of a list of operations.
type Summary struct {
	ID int64 `json:"id"`
	Heading
	UpdatedAt time.Time `json:"updated_at"`
}

// Page is one page of operations, most recently changed first, with the cursor of the next
// ("" = none) and what the actor may do with the list (create).
type Page struct {
	Operations []Summary    `json:"operations"`
	Next       string       `json:"next,omitempty"`
	Actions    core.Actions `json:"actions"`
}

// List returns the operations the actor may read, most recently changed first: those they are
// named on or lead, and all of their organisation's for its supervisors. Anyone signed in may
// call it; administrators and analysts see none. Errors: EINVALID (bad cursor or filter).
func (s *Service) List(ctx context.Context, who core.Actor, f Filter, after string, limit int) (Page, error) {
	limit = core.PageLimit(limit, 200, 50)
	for _, st := range f.Status {
		if !validStatus(st) {
			return Page{}, core.Invalid("status", "Select live, suspended or closed")
		}
	}
	where, args, err := s.scope(who, policies.ActRead)
	if err != nil {
		return Page{}, err
	}
	q := s.d.DB.Conn(ctx).Table("operations op").
		Select("op.id, op.reference, op.name, op.status, op.started_on, op.ended_on, op.updated_at, o.name AS organisation").
		Joins("JOIN organisations o ON o.id = op.organisation_id").
		Where(where, args...)
	if len(f.Status) > 0 {
		q = q.Where("op.status IN ?", f.Status)
	}
	if term := strings.ToUpper(strings.TrimSpace(f.Query)); term != "" {
		like := core.LikeContaining(term)
		q = q.Where(`(UPPER(op.reference) LIKE ? ESCAPE '\' OR UPPER(op.name) LIKE ? ESCAPE '\')`, like, like)
	}
	if after != "" {
		key, id, err := core.DecodeCursor(after)
		if err != nil {
			return Page{}, err
		}
		t, err := time.Parse(time.RFC3339Nano, key)
		if err != nil {
			return Page{}, core.Invalid("after", "The page link is not valid: go back to the first page")
		}
		q = q.Where("(op.updated_at < ? OR (op.updated_at = ? AND op.id < ?))", t.UTC(), t.UTC(), id)
	}
	var rows []Summary
	if err := q.Order("op.updated_at DESC, op.id DESC").Limit(limit + 1).Scan(&rows).Error; err != nil {
		return Page{}, core.DBError(err)
	}
	page := Page{Operations: []Summary{}, Actions: core.Actions{Create: s.MayCreate(ctx, who) == nil}}
	rows, page.Next = core.CutPage(rows, limit, func(r Summary) string {
		return core.EncodeCursor(r.UpdatedAt.UTC().Format(time.RFC3339Nano), r.ID)
	})
	for i := range rows {
		rows[i].label()
	}
	page.Operations = append(page.Operations, rows...)
	return page, nil
}

// Partner is an organisation an operation may name as a partner.
type Partner struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// PartnerChoices lists the active organisations that an operation may name as partners
// (forces, regional units and agencies other than the owner), by name: for a new operation
// (id 0) of the actor's organisation, which anyone who may record operations may ask, or for
// operation id, which anyone who may change it may ask. Errors: EFORBIDDEN, ENOTFOUND.
func (s *Service) PartnerChoices(ctx context.Context, who core.Actor, id int64) ([]Partner, error) {
	owner := who.OrgID
	if id == 0 {
		if err := s.MayCreate(ctx, who); err != nil {
			return nil, err
		}
	} else {
		op, _, err := s.load(ctx, who, id, policies.ActUpdate, false)
		if err != nil {
			return nil, err
		}
		owner = op.OrganisationID
	}
	out := []Partner{}
	err := s.d.DB.Conn(ctx).Table("organisations").Select("id, slug, name").
		Where("active = ? AND id <> ? AND kind IN ?", true, owner, []core.OrgKind{core.KindPoliceForce, core.KindROCU, core.KindAgency}).
		Order("name, id").Scan(&out).Error
	return out, core.DBError(err)
}
