// Package disclosure holds the disclosure officer's work on a case file beyond the schedules'
// entries (DOMAIN.md §F3): who the officer in the case, the disclosure officer and deputies are,
// the disclosure officer's certifications (MG6E, the nil MG6D return) and the requests for
// third-party material. It works through package casefile's access (Load, Allow,
// AllowSensitive), so a case reads and refuses here as it does everywhere else.
package disclosure

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/schedule"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// Service holds the operations of disclosure.
type Service struct {
	d     core.Deps
	audit *core.Audit
	cases *casefile.Service
}

// New builds disclosure's operations over the case files'.
func New(d core.Deps, audit *core.Audit, cases *casefile.Service) *Service {
	return &Service{d: d, audit: audit, cases: cases}
}

// NoticeDisclosure is the notification of a person named to a disclosure role, and of the
// prosecutor when the disclosure officer certifies.
const NoticeDisclosure = "case_disclosure"

func link(caseID int64) string { return "/casefiles/" + core.IDString(caseID) + "/disclosure" }

// RolesInput names, by user id among the case team, the officer in the case, the disclosure
// officer (who may be the same person) and any deputies.
type RolesInput struct {
	OIC               int64   `json:"oic_user_id"`
	DisclosureOfficer int64   `json:"disclosure_officer_user_id"`
	Deputies          []int64 `json:"deputy_user_ids"`
}

// member is a current team member as naming sees them.
type member struct {
	UserID         int64
	Name           string
	OIC            bool
	DisclosureRole schedule.Role
}

// NameRoles names the case's officer in the case, disclosure officer and deputies among its
// team; everyone newly named is notified. The lead investigator and supervisors of the owning
// organisation may call it. Errors: ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) NameRoles(ctx context.Context, who core.Actor, id int64, in RolesInput) ([]casefile.TeamMember, error) {
	err := s.onCase(ctx, who, id, policies.ActManageTeam, func(ctx context.Context, cf casefile.CaseFile) error {
		var members []member
		if err := s.d.DB.Conn(ctx).Table("case_members m").Select("m.user_id, u.name, m.oic, m.disclosure_role").Joins("JOIN users u ON u.id = m.user_id").
			Where("m.case_id = ? AND m.removed_at IS NULL", cf.ID).Order("m.id").Scan(&members).Error; err != nil {
			return core.DBError(err)
		}
		onTeam := func(uid int64) bool {
			return slices.ContainsFunc(members, func(m member) bool { return m.UserID == uid })
		}
		var p core.Problems
		if !onTeam(in.OIC) {
			p.Add("oic_user_id", "Select the officer in the case from the team")
		}
		if !onTeam(in.DisclosureOfficer) {
			p.Add("disclosure_officer_user_id", "Select the disclosure officer from the team")
		}
		for _, d := range in.Deputies {
			if !onTeam(d) || d == in.DisclosureOfficer {
				p.Add("deputy_user_ids", "Select deputies from the team, other than the disclosure officer")
			}
		}
		if err := p.Err(); err != nil {
			return err
		}
		var named []string
		for _, m := range members {
			oic, role := m.UserID == in.OIC, schedule.Role("")
			switch {
			case m.UserID == in.DisclosureOfficer:
				role = schedule.RoleDisclosureOfficer
			case slices.Contains(in.Deputies, m.UserID):
				role = schedule.RoleDeputy
			}
			if oic {
				named = append(named, "officer in the case "+m.Name)
			}
			if role != "" {
				named = append(named, strings.ToLower(role.Label())+" "+m.Name)
			}
			if oic == m.OIC && role == m.DisclosureRole {
				continue
			}
			if err := s.d.DB.Conn(ctx).Table("case_members").Where("case_id = ? AND user_id = ? AND removed_at IS NULL", cf.ID, m.UserID).
				Updates(map[string]any{"oic": oic, "disclosure_role": role}).Error; err != nil {
				return core.DBError(err)
			}
			if gained := (oic && !m.OIC) || (role != "" && role != m.DisclosureRole); gained && m.UserID != who.UserID {
				if err := core.Notify(ctx, s.d, m.UserID, NoticeDisclosure, "You have been named to a disclosure role on a case file.", link(cf.ID)); err != nil {
					return err
				}
			}
		}
		if err := s.cases.Note(ctx, who, cf.ID, "team", "Disclosure roles: "+strings.Join(named, "; ")); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.disclosure_roles", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"oic": core.IDString(in.OIC), "disclosure_officer": core.IDString(in.DisclosureOfficer), "deputies": fmt.Sprint(in.Deputies)}})
	})
	if err != nil {
		return nil, err
	}
	return s.cases.Team(ctx, who, id)
}

// onCase runs do in one transaction on case id, once who may act on it and it is not closed.
func (s *Service) onCase(ctx context.Context, who core.Actor, id int64, act policies.Action, do func(context.Context, casefile.CaseFile) error) error {
	return s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.cases.Load(ctx, who, id, act)
		if err != nil {
			return err
		}
		if cf.Status == casefile.StatusClosed {
			return core.Conflict("This case file is closed.")
		}
		return do(ctx, cf)
	})
}

// Kind is what a certificate certifies.
type Kind string

// Certificates.
const (
	KindMG6E    Kind = "mg6e"     // the disclosure officer's report: the duties are met
	KindNilMG6D Kind = "mg6d_nil" // nil MG6D return: there is no sensitive material
)

// statements are the words each certificate signs. [verify] the wording against the current
// MG6E and the Disclosure Manual.
var statements = map[Kind]string{
	KindMG6E: "To the best of my knowledge and belief, all relevant material which has been retained and made available to me has been " +
		"revealed to the prosecutor in accordance with the Criminal Procedure and Investigations Act 1996 and its Code of Practice, " +
		"and the material that might reasonably be considered capable of undermining the prosecution case or assisting the accused is listed on the MG6E with reasons.",
	KindNilMG6D: "To the best of my knowledge and belief, there is no sensitive unused material in this case (nil MG6D return).",
}

// Certificate is one signed and dated certification of the disclosure officer.
type Certificate struct {
	ID              int64     `json:"id"`
	CaseID          int64     `json:"case_id"`
	Kind            Kind      `json:"kind"`
	Statement       string    `json:"statement"`
	CertifiedBy     int64     `json:"certified_by"`
	CertifiedByName string    `json:"certified_by_name" gorm:"->"`
	CertifiedAt     time.Time `json:"certified_at"`
}

// TableName is the table of certificates.
func (Certificate) TableName() string { return "disclosure_certificates" }

// CertifyInput says what to certify.
type CertifyInput struct {
	Kind Kind `json:"kind"`
}

// Certify signs and dates a certification of the disclosure officer (or a deputy), and tells
// every prosecutor holding a live share. A nil MG6D return needs an empty MG6D. Errors:
// ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) Certify(ctx context.Context, who core.Actor, id int64, in CertifyInput) (Certificate, error) {
	var c Certificate
	err := s.onCase(ctx, who, id, policies.ActCertify, func(ctx context.Context, cf casefile.CaseFile) error {
		if statements[in.Kind] == "" {
			return core.Invalid("kind", "Select what you certify: the MG6E report or a nil MG6D return")
		}
		if in.Kind == KindNilMG6D {
			var n int64
			if err := s.d.DB.Conn(ctx).Table("disclosure_entries").Where("case_id = ? AND schedule = ?", cf.ID, casefile.ScheduleMG6D).Count(&n).Error; err != nil {
				return core.DBError(err)
			}
			if n > 0 {
				return core.Conflict("MG6D lists sensitive material, so it cannot be a nil return.")
			}
		}
		c = Certificate{CaseID: cf.ID, Kind: in.Kind, Statement: statements[in.Kind], CertifiedBy: who.UserID, CertifiedByName: who.Name, CertifiedAt: s.d.Now()}
		if err := s.d.DB.Conn(ctx).Omit("certified_by_name").Create(&c).Error; err != nil {
			return core.DBError(err)
		}
		if err := s.cases.Note(ctx, who, cf.ID, "disclosure", "The disclosure officer certified the schedules"); err != nil {
			return err
		}
		var liaisons []int64
		if err := s.d.DB.Conn(ctx).Table("case_shares").Where("case_id = ? AND revoked_at IS NULL AND expires_at > ?", cf.ID, s.d.Now()).Distinct().Pluck("liaison_id", &liaisons).Error; err != nil {
			return core.DBError(err)
		}
		for _, l := range liaisons {
			if err := core.Notify(ctx, s.d, l, NoticeDisclosure, "The disclosure officer certified the schedules of a case file shared with you.", link(cf.ID)); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.disclosure_certify", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"kind": string(in.Kind)}})
	})
	return c, err
}

// Request is one request for third-party material (social services, NGOs, health, the Single
// Competent Authority's NRM file): to whom, what, why, when asked and the answer. Requests to the
// same holder are numbered in stages (AG Guidelines 2022; R v Bater-James [2020] EWCA Crim 790).
type Request struct {
	ID         int64      `json:"id"`
	CaseID     int64      `json:"case_id"`
	Stage      int        `json:"stage"`
	Holder     string     `json:"holder"`
	Material   string     `json:"material"`
	Reason     string     `json:"reason"`
	AskedOn    time.Time  `json:"asked_on"`
	Answer     string     `json:"answer,omitempty"`
	AnsweredOn *time.Time `json:"answered_on,omitempty"`
	CreatedBy  int64      `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
}

// TableName is the table of requests.
func (Request) TableName() string { return "third_party_requests" }

// RequestInput is a request for third-party material, asked today.
type RequestInput struct {
	Holder   string `json:"holder"`
	Material string `json:"material"`
	Reason   string `json:"reason"`
}

// AnswerInput is the holder's answer to a request, received today.
type AnswerInput struct {
	Answer string `json:"answer"`
}

// AddRequest records a request for third-party material, asked today, as the next stage of the
// requests to that holder. The team may call it. Errors: ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) AddRequest(ctx context.Context, who core.Actor, id int64, in RequestInput) (Request, error) {
	var r Request
	err := s.onCase(ctx, who, id, policies.ActUpdate, func(ctx context.Context, cf casefile.CaseFile) error {
		var p core.Problems
		p.Check(core.CheckText("holder", &in.Holder, 300, true, "Say whom the material is asked of", "Whom it is asked of"))
		p.Check(core.CheckText("material", &in.Material, 2000, true, "Say what material is asked for", "What is asked for"))
		p.Check(core.CheckText("reason", &in.Reason, 2000, true, "Say why it is asked for: the reasonable line of inquiry it serves", "The reason"))
		if err := p.Err(); err != nil {
			return err
		}
		var n int64
		if err := s.d.DB.Conn(ctx).Model(&Request{}).Where("case_id = ? AND LOWER(holder) = ?", cf.ID, strings.ToLower(in.Holder)).Count(&n).Error; err != nil {
			return core.DBError(err)
		}
		now := s.d.Now()
		r = Request{CaseID: cf.ID, Stage: int(n) + 1, Holder: in.Holder, Material: in.Material, Reason: in.Reason, AskedOn: now, CreatedBy: who.UserID, CreatedAt: now}
		if err := s.d.DB.Conn(ctx).Create(&r).Error; err != nil {
			return core.DBError(err)
		}
		if err := s.cases.Note(ctx, who, cf.ID, "disclosure", "Third-party material requested of "+r.Holder+" (stage "+core.IDString(int64(r.Stage))+")"); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.third_party_request", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"request": core.IDString(r.ID), "stage": core.IDString(int64(r.Stage))}})
	})
	return r, err
}

// AnswerRequest records the holder's answer to a request, received today. The team may call it.
// Errors: ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) AnswerRequest(ctx context.Context, who core.Actor, id, requestID int64, in AnswerInput) (Request, error) {
	var r Request
	err := s.onCase(ctx, who, id, policies.ActUpdate, func(ctx context.Context, cf casefile.CaseFile) error {
		err := s.d.DB.Conn(ctx).Where("case_id = ? AND id = ?", cf.ID, requestID).Take(&r).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return core.NotFound("Request not found")
		} else if err != nil {
			return core.DBError(err)
		}
		if r.AnsweredOn != nil {
			return core.Conflict("This request has its answer: make a further request for more.")
		}
		if err := core.CheckText("answer", &in.Answer, 2000, true, "Give the holder's answer", "The answer"); err != nil {
			return err
		}
		now := s.d.Now()
		r.Answer, r.AnsweredOn = in.Answer, &now
		if err := s.d.DB.Conn(ctx).Model(&r).Select("answer", "answered_on").Updates(&r).Error; err != nil {
			return core.DBError(err)
		}
		if err := s.cases.Note(ctx, who, cf.ID, "disclosure", "Answer from "+r.Holder+" recorded (stage "+core.IDString(int64(r.Stage))+")"); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.third_party_answer", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"request": core.IDString(r.ID)}})
	})
	return r, err
}

// View is a case's disclosure as pages and the API show it: who is named, the MG6E (entries the
// disclosure officer assessed as capable of undermining the prosecution case or assisting the
// accused, with reasons), the certificates, the third-party requests and what the actor may do.
type View struct {
	Team         []casefile.TeamMember `json:"team"`
	MG6E         []MG6EItem            `json:"mg6e"`
	Certificates []Certificate         `json:"certificates"`
	Requests     []Request             `json:"third_party_requests"`
	Actions      Actions               `json:"actions"`
}

// MG6EItem is one item on the MG6E with the disclosure officer's reasons.
type MG6EItem struct {
	EntryID     int64             `json:"entry_id"`
	Schedule    schedule.Schedule `json:"schedule"`
	Number      int               `json:"number"`
	Description string            `json:"description"`
	Reasons     string            `json:"reasons"`
}

// Actions are what the actor may do to the case's disclosure.
type Actions struct {
	NameRoles       bool `json:"name_roles,omitempty"`
	Certify         bool `json:"certify,omitempty"`
	Request         bool `json:"request,omitempty"`
	ReadSensitive   bool `json:"read_sensitive,omitempty"`   // read MG6D
	ChangeSensitive bool `json:"change_sensitive,omitempty"` // add to MG6D, change it, move entries between MG6C and MG6D
	Mark            bool `json:"mark,omitempty"`             // fill the prosecutor's columns
}

// Get returns a case's disclosure. Anyone who may read the case may call it (audited reads);
// the nil MG6D return, like MG6D itself, reaches only those who may read MG6D. Errors: ENOTFOUND.
func (s *Service) Get(ctx context.Context, who core.Actor, id int64) (View, error) {
	v := View{MG6E: []MG6EItem{}, Certificates: []Certificate{}, Requests: []Request{}}
	team, err := s.cases.Team(ctx, who, id)
	if err != nil {
		return v, err
	}
	// The lead investigator is the officer in the case until the team names one.
	if !slices.ContainsFunc(team, func(m casefile.TeamMember) bool { return m.OIC }) {
		for i := range team {
			team[i].OIC = team[i].Role == "lead"
		}
	}
	v.Team = team
	entries, err := s.cases.ScheduleEntries(ctx, who, id)
	if err != nil {
		return v, err
	}
	for _, e := range entries {
		if e.Undermines {
			v.MG6E = append(v.MG6E, MG6EItem{EntryID: e.ID, Schedule: e.Schedule, Number: e.Number, Description: e.Description, Reasons: e.Assessment})
		}
	}
	v.Actions = Actions{NameRoles: s.cases.Allow(ctx, who, id, policies.ActManageTeam) == nil,
		Certify: s.cases.Allow(ctx, who, id, policies.ActCertify) == nil, Request: s.cases.Allow(ctx, who, id, policies.ActUpdate) == nil,
		ReadSensitive: s.cases.AllowSensitive(ctx, who, id, policies.ActRead) == nil, ChangeSensitive: s.cases.AllowSensitive(ctx, who, id, policies.ActUpdate) == nil,
		Mark: s.cases.Allow(ctx, who, id, policies.ActAdvise) == nil}
	var certs []Certificate
	if err := s.d.DB.Conn(ctx).Table("disclosure_certificates c").Select("c.*, u.name AS certified_by_name").Joins("JOIN users u ON u.id = c.certified_by").
		Where("c.case_id = ?", id).Order("c.id DESC").Scan(&certs).Error; err != nil {
		return v, core.DBError(err)
	}
	for _, c := range certs {
		if c.Kind != KindNilMG6D || v.Actions.ReadSensitive {
			v.Certificates = append(v.Certificates, c)
		}
	}
	if err := s.d.DB.Conn(ctx).Where("case_id = ?", id).Order("id").Find(&v.Requests).Error; err != nil {
		return v, core.DBError(err)
	}
	return v, nil
}
