// Package casefile holds CPS case files: offence-specific checklists and their templates,
// evidence and its custody, disclosure schedules, packs with supervisor sign-off, CPS shares,
// advice and actions.
package casefile

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/msptp/msphub/models/casefile/offence"
	"github.com/msptp/msphub/models/casefile/packdiff"
	"github.com/msptp/msphub/models/casefile/refusals"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// CaseStatus is where a case file stands in its journey to a charging decision (issue 6,
// DOMAIN.md §A1): preparation → with supervisor → returned or approved → with CPS (early advice
// or charging decision) → advice returned / action plan → charge authorised by the CPS, then
// charged by the police (two events, DOMAIN.md §F2), no further action or administratively
// finalised → closed. Every move is checked by next.
type CaseStatus string

// Case file statuses.
const (
	StatusPreparation        CaseStatus = "preparation"
	StatusWithSupervisor     CaseStatus = "with_supervisor"
	StatusReturned           CaseStatus = "returned"
	StatusApproved           CaseStatus = "approved"
	StatusWithCPSEarlyAdvice CaseStatus = "with_cps_early_advice"
	StatusWithCPSCharging    CaseStatus = "with_cps_charging"
	StatusAdviceReturned     CaseStatus = "advice_returned"
	StatusActionPlan         CaseStatus = "action_plan"
	StatusChargeAuthorised   CaseStatus = "charge_authorised"
	StatusCharged            CaseStatus = "charged"
	StatusNoFurtherAction    CaseStatus = "no_further_action"
	StatusFinalised          CaseStatus = "administratively_finalised"
	StatusClosed             CaseStatus = "closed"
)

// CaseStatuses lists the statuses in journey order.
func CaseStatuses() []CaseStatus {
	return []CaseStatus{StatusPreparation, StatusWithSupervisor, StatusReturned, StatusApproved,
		StatusWithCPSEarlyAdvice, StatusWithCPSCharging, StatusAdviceReturned, StatusActionPlan,
		StatusChargeAuthorised, StatusCharged, StatusNoFurtherAction, StatusFinalised, StatusClosed}
}

// Label is the status as pages show it.
func (s CaseStatus) Label() string {
	switch s {
	case StatusPreparation:
		return "In preparation"
	case StatusWithSupervisor:
		return "With supervisor"
	case StatusReturned:
		return "Returned by supervisor"
	case StatusApproved:
		return "Approved by supervisor"
	case StatusWithCPSEarlyAdvice:
		return "With CPS for early advice"
	case StatusWithCPSCharging:
		return "With CPS for a charging decision"
	case StatusAdviceReturned:
		return "Advice returned"
	case StatusActionPlan:
		return "CPS action plan"
	case StatusChargeAuthorised:
		return "Charge authorised by the CPS"
	case StatusCharged:
		return "Charged"
	case StatusNoFurtherAction:
		return "No further action"
	case StatusFinalised:
		return "Administratively finalised"
	case StatusClosed:
		return "Closed"
	}
	return string(s)
}

// Purpose is what a pack asks of the CPS.
type Purpose string

// Pack purposes (DOMAIN.md §A1, §A5).
const (
	PurposeEarlyAdvice Purpose = "early_advice"
	PurposeCharging    Purpose = "charging"
)

// Label is the purpose as pages show it.
func (p Purpose) Label() string {
	switch p {
	case PurposeEarlyAdvice:
		return "Early advice"
	case PurposeCharging:
		return "Charging decision"
	}
	return string(p)
}

// move is one step a case can take; next says where it leads from each status.
type move string

const (
	moveSubmit   move = "submit"           // the team sends a pack to the supervisor
	moveApprove  move = "approve"          // the supervisor signs the pack off
	moveReturn   move = "return"           // the supervisor sends it back with reasons
	moveEdit     move = "edit"             // the team changes the file (an approved pack stays approved)
	moveShare    move = "share"            // the supervisor shares the approved pack with a CPS liaison
	moveAdvise   move = "advise"           // the CPS returns early advice
	moveAction   move = "action"           // the CPS raises an action-plan item
	moveReview   move = "review"           // the CPS accepts or rejects a checklist item
	moveCharge   move = "charge"           // charging decision: the CPS authorises a charge
	moveCharged  move = "charged"          // the police record the charge (MG4) the CPS authorised
	moveNFA      move = "nfa"              // charging decision: no further action
	moveFurther  move = "further_evidence" // charging decision: further evidence needed
	moveFinalise move = "finalise"         // the CPS administratively finalises the case
	moveClose    move = "close"            // the supervisor closes a decided case
	moveAnswer   move = "answer"           // the team answers a CPS action
)

// next is the status machine: the status a case in from reaches by m (purpose is the purpose
// of the pack with the CPS), and whether m is allowed at all.
func next(from CaseStatus, purpose Purpose, m move) (CaseStatus, bool) {
	withCPS := from == StatusWithCPSEarlyAdvice || from == StatusWithCPSCharging
	cpsStage := withCPS || from == StatusAdviceReturned || from == StatusActionPlan
	switch m {
	case moveSubmit:
		switch from {
		case StatusPreparation, StatusReturned, StatusApproved, StatusAdviceReturned, StatusActionPlan:
			return StatusWithSupervisor, true
		}
	case moveApprove:
		if from == StatusWithSupervisor {
			return StatusApproved, true
		}
	case moveReturn:
		if from == StatusWithSupervisor {
			return StatusReturned, true
		}
	case moveEdit:
		switch from {
		case StatusPreparation, StatusReturned, StatusApproved, StatusAdviceReturned, StatusActionPlan, StatusChargeAuthorised, StatusCharged:
			return from, true // after approval the changes wait for a new submission
		}
	case moveShare:
		switch {
		case from == StatusApproved && purpose == PurposeEarlyAdvice:
			return StatusWithCPSEarlyAdvice, true
		case from == StatusApproved && purpose == PurposeCharging:
			return StatusWithCPSCharging, true
		case cpsStage:
			return from, true // another liaison, or a renewed share
		}
	case moveAdvise:
		if from == StatusWithCPSEarlyAdvice || (from == StatusActionPlan && purpose == PurposeEarlyAdvice) {
			return StatusAdviceReturned, true
		}
	case moveAction:
		if cpsStage {
			return StatusActionPlan, true
		}
	case moveReview:
		if cpsStage {
			return from, true
		}
	case moveCharge, moveNFA, moveFurther:
		if from == StatusWithCPSCharging || (from == StatusActionPlan && purpose == PurposeCharging) {
			switch m {
			case moveCharge:
				return StatusChargeAuthorised, true
			case moveNFA:
				return StatusNoFurtherAction, true
			}
			return StatusActionPlan, true
		}
	case moveCharged:
		if from == StatusChargeAuthorised {
			return StatusCharged, true
		}
	case moveFinalise:
		if from == StatusAdviceReturned || from == StatusActionPlan {
			return StatusFinalised, true
		}
	case moveClose:
		switch from {
		case StatusCharged, StatusNoFurtherAction, StatusFinalised:
			return StatusClosed, true
		}
	case moveAnswer:
		switch from {
		case StatusAdviceReturned, StatusActionPlan, StatusChargeAuthorised, StatusCharged:
			return from, true
		}
	}
	return from, false
}

// refusal explains why m does not fit a case in status from.
func refusal(from CaseStatus, m move) error {
	var msg string
	switch m {
	case moveSubmit:
		msg = "This pack cannot be submitted now: it is " + strings.ToLower(from.Label()) + "."
	case moveApprove, moveReturn:
		msg = "Only a pack that is with the supervisor can be approved or returned. This case file is " + strings.ToLower(from.Label()) + "."
	case moveEdit, moveAnswer:
		switch from {
		case StatusWithSupervisor:
			msg = "The pack is with the supervisor, so it cannot be changed. Ask them to return it."
		case StatusWithCPSEarlyAdvice, StatusWithCPSCharging:
			msg = "The pack is with the CPS, so it cannot be changed until they return advice or an action plan."
		default:
			msg = "This case file is " + strings.ToLower(from.Label()) + ", so it cannot be changed."
		}
	case moveShare:
		msg = "Only an approved pack can be shared with the CPS. This case file is " + strings.ToLower(from.Label()) + "."
	case moveClose:
		msg = "A case file can be closed only once it is charged, not proceeded with or administratively finalised."
	case moveFinalise:
		msg = "Only a case with advice returned or an action plan can be administratively finalised."
	case moveCharged:
		msg = "The police record a charge only once the CPS has authorised it. This case file is " + strings.ToLower(from.Label()) + "."
	default:
		msg = "That does not fit a case file that is " + strings.ToLower(from.Label()) + "."
	}
	return core.Conflict(msg)
}

// Offence is an offence a case file is about (package offence holds the vocabulary).
type Offence = offence.Offence

// Offences, as package offence names them.
const (
	OffenceS1                   = offence.S1
	OffenceS2                   = offence.S2
	OffenceS4                   = offence.S4
	OffenceS30                  = offence.S30
	OffenceConspiracy           = offence.Conspiracy
	OffenceImmigration          = offence.Immigration
	OffenceControllingProstitut = offence.ControllingProstitut
	OffenceMoneyLaundering      = offence.MoneyLaundering
	OffenceGangmaster           = offence.Gangmaster
	OffenceCountyLines          = offence.CountyLines
	OffenceChildNeglect         = offence.ChildNeglect
	OffenceSexual               = offence.Sexual
	OffenceAssault              = offence.Assault
	OffenceFalseImprisonment    = offence.FalseImprisonment
	OffenceKidnap               = offence.Kidnap
	OffenceFraud                = offence.Fraud
	OffenceFalseDocuments       = offence.FalseDocuments
	OffenceFraudMoneyLaundering = offence.FraudMoneyLaundering
)

// Offences lists the offences forms offer, in their order.
func Offences() []Offence { return offence.List() }

// urnPattern is a police URN once separators are removed: force code (2 digits), unit (2
// letters or digits), serial (5 digits), year (2 digits). [verify] the exact format with the
// customer.
var urnPattern = regexp.MustCompile(`^[0-9]{2}[A-Z0-9]{2}[0-9]{5}[0-9]{2}$`)

// NormaliseURN accepts a URN with or without spaces, slashes, hyphens or dots between its parts
// and returns it in capitals without separators, like 45AB1234523.
func NormaliseURN(s string) (string, error) {
	u := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '/', '-', '.', '\t':
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
	if s == "" || strings.TrimSpace(s) == "" {
		return "", core.Invalid("urn", "Enter the unique reference number (URN)")
	}
	if !urnPattern.MatchString(u) {
		return "", core.Invalid("urn", "Enter the URN as a 2-digit force code, 2-character unit, 5-digit serial number and 2-digit year, like 45AB1234523")
	}
	return u, nil
}

// CaseFile is a case file's row.
type CaseFile struct {
	ID                 int64          `json:"id"`
	URN                string         `json:"urn"`
	Operation          string         `json:"operation"`
	OrganisationID     int64          `json:"organisation_id"`
	Classification     policies.Level `json:"-"`
	Status             CaseStatus     `json:"status"`
	CPSPurpose         Purpose        `json:"cps_purpose,omitempty" gorm:"column:cps_purpose"`
	OffenceCodes       string         `json:"-" gorm:"column:offences"`
	SuspectMayBeVictim bool           `json:"suspect_may_be_victim"`
	OrdersSought       bool           `json:"orders_sought"`
	LeadInvestigatorID int64          `json:"lead_investigator_id"`
	SupervisorID       int64          `json:"supervisor_id"`
	CreatedBy          int64          `json:"created_by"`
	CreatedAt          time.Time      `json:"created_at"`
	UpdatedAt          time.Time      `json:"updated_at"`

	// Descriptor is the optional descriptor of an OFFICIAL-SENSITIVE case (PERSONAL, ...).
	Descriptor policies.Descriptor `json:"descriptor,omitempty"`
}

// TableName is the table of case files.
func (CaseFile) TableName() string { return "case_files" }

// Offences are the case's offences.
func (cf CaseFile) Offences() []Offence {
	var out []Offence
	for _, o := range strings.Split(cf.OffenceCodes, ",") {
		if o != "" {
			out = append(out, Offence(o))
		}
	}
	return out
}

// Marking is the case's protective marking as printed, with its descriptor.
func (cf CaseFile) Marking() string { return policies.MarkingLine(cf.Classification, cf.Descriptor) }

// templateCodes are the checklist templates the case's facts call for: T0 always, the
// templates of its offences, T4 when a suspect may be a victim, T5 when orders are sought.
func (cf CaseFile) templateCodes() []string {
	codes := []string{"T0"}
	for _, o := range cf.Offences() {
		if t := o.Template(); t != "" && !slices.Contains(codes, t) {
			codes = append(codes, t)
		}
	}
	if cf.SuspectMayBeVictim {
		codes = append(codes, "T4")
	}
	if cf.OrdersSought {
		codes = append(codes, "T5")
	}
	slices.SortFunc(codes, CompareTemplates)
	return codes
}

// CaseInput is what an investigator gives to open a case file or change its details.
type CaseInput struct {
	URN                string    `json:"urn"`
	Operation          string    `json:"operation"`
	Offences           []Offence `json:"offences"`
	SuspectMayBeVictim bool      `json:"suspect_may_be_victim"`
	OrdersSought       bool      `json:"orders_sought"`
	Classification     string    `json:"classification"` // OFFICIAL or OFFICIAL-SENSITIVE
	SupervisorID       int64     `json:"supervisor_id"`

	// Descriptor is PERSONAL, COMMERCIAL or LOCSEN with OFFICIAL-SENSITIVE; empty for none.
	Descriptor string `json:"descriptor"`
}

// OperationTitle is how an operation is named to people: "Operation Lantern". A name stored
// with the word already in it ("Operation Lantern", "operation lantern") is shown as it is,
// so the word is never doubled.
func OperationTitle(name string) string {
	if strings.HasPrefix(strings.ToLower(name), "operation ") {
		return name
	}
	return "Operation " + name
}

func (in *CaseInput) validate(who core.Actor) (policies.Level, error) {
	var p core.Problems
	if urn, err := NormaliseURN(in.URN); p.Check(err) {
		in.URN = urn
	}
	in.Operation = strings.TrimSpace(in.Operation)
	switch {
	case in.Operation == "":
		p.Add("operation", "Enter the operation name")
	case utf8.RuneCountInString(in.Operation) > 100:
		p.Add("operation", "Operation name must be 100 characters or fewer")
	}
	if len(in.Offences) == 0 {
		p.Add("offences", "Select at least one offence")
	}
	seen := map[Offence]bool{}
	var chosen []Offence
	for _, o := range in.Offences {
		if !o.Known() {
			p.Add("offences", "Select offences from the list")
			continue
		}
		if !seen[o] {
			seen[o] = true
			chosen = append(chosen, o)
		}
	}
	in.Offences = chosen
	// A conspiracy is to commit another offence, whose checklist the case needs too.
	if slices.Equal(chosen, []Offence{OffenceConspiracy}) {
		p.Add("offences", "Select the offence the conspiracy was to commit as well as conspiracy")
	}
	level, err := policies.ParseLevel(in.Classification)
	switch {
	case strings.TrimSpace(in.Classification) == "":
		p.Add("classification", "Select the protective marking")
	case err != nil:
		p.Add("classification", "Select OFFICIAL or OFFICIAL-SENSITIVE")
	case level > who.Clearance:
		p.Add("classification", "Your clearance does not cover "+level.String()+": choose a marking you may see")
	}
	in.Descriptor = strings.ToUpper(strings.TrimSpace(in.Descriptor))
	switch {
	case in.Descriptor == "":
	case !slices.Contains(policies.Descriptors(), policies.Descriptor(in.Descriptor)):
		p.Add("descriptor", "Select PERSONAL, COMMERCIAL, LOCSEN or no descriptor")
	case err == nil && level != policies.OfficialSensitive:
		p.Add("descriptor", "A descriptor goes only with OFFICIAL-SENSITIVE: choose OFFICIAL-SENSITIVE or no descriptor")
	}
	if in.SupervisorID == 0 {
		p.Add("supervisor_id", "Select the supervisor who will sign off the pack")
	}
	return level, p.Err()
}

func offenceCodes(os []Offence) string {
	parts := make([]string, len(os))
	for i, o := range os {
		parts[i] = string(o)
	}
	return strings.Join(parts, ",")
}

// CaseFiles holds the operations on case files and CPS evidence packs: the case, its team,
// checklist, evidence, disclosure schedules, sign-off, CPS review and export.
type Service struct {
	d       core.Deps
	audit   *core.Audit
	refused refusals.Limiter // when refusals were last audited, per person and route
	words   wordings         // what template items say

	closeCheck func(ctx context.Context, caseID int64) error // the rule after charge (OnClose)
}

// caseRels are the facts about an actor and a case file that the case policy's rows ask:
// read in the statement that loads the case file (loadObject), or on their own (caseObject).
type caseRels struct {
	Team, Share, Submitted, Prosecutor bool
}

// relsSQL selects caseRels for the case file cf, with the arguments relsArgs gives.
const relsSQL = "EXISTS (SELECT 1 FROM case_members m WHERE m.case_id = cf.id AND m.user_id = ? AND m.removed_at IS NULL) AS team, " +
	"EXISTS (SELECT 1 FROM case_shares sh WHERE sh.case_id = cf.id AND sh.liaison_id = ? AND sh.revoked_at IS NULL AND sh.expires_at > ?) AS share, " +
	"EXISTS (SELECT 1 FROM pack_submissions ps WHERE ps.case_id = cf.id AND ps.status = ? AND ps.submitted_by = ?) AS submitted, " +
	"COALESCE((SELECT u.crown_prosecutor FROM users u WHERE u.id = ?), false) AS prosecutor"

func (s *Service) relsArgs(who core.Actor) []any {
	return []any{who.UserID, who.UserID, s.d.Now(), SubmissionSubmitted, who.UserID, who.UserID}
}

// loadCase reads case file id and describes it for who (objectOf). Read to change (lock), the
// row is locked first and who the actor is to it read after, in a statement of its own: one
// statement that waited for the lock would read those facts as they stood before the wait (a
// team member removed meanwhile, the pack just submitted by the approver). Read only, one
// statement reads both. Errors: ENOTFOUND.
func (s *Service) loadCase(ctx context.Context, who core.Actor, id int64, lock bool) (CaseFile, policies.Object, error) {
	if lock {
		cf, err := core.TakeRow[CaseFile](ctx, s.d.DB, id, true, "Case file not found")
		if err != nil {
			return cf, policies.Object{}, err
		}
		obj, err := s.caseObject(ctx, who, &cf, "casefile")
		return cf, obj, err
	}
	var row struct {
		CaseFile
		Rels caseRels `gorm:"embedded"`
	}
	err := s.d.DB.Conn(ctx).Table("case_files cf").Select("cf.*, "+relsSQL, s.relsArgs(who)...).Where("cf.id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row.CaseFile, policies.Object{}, core.NotFound("Case file not found")
	} else if err != nil {
		return row.CaseFile, policies.Object{}, core.DBError(err)
	}
	return row.CaseFile, objectOf(who, &row.CaseFile, row.Rels, "casefile"), nil
}

// caseObject describes case file cf as the policy sees it for who (see objectOf).
func (s *Service) caseObject(ctx context.Context, who core.Actor, cf *CaseFile, typ string) (policies.Object, error) {
	var r caseRels
	if err := s.d.DB.Conn(ctx).Table("case_files cf").Select(relsSQL, s.relsArgs(who)...).Where("cf.id = ?", cf.ID).Take(&r).Error; err != nil {
		return policies.Object{}, core.DBError(err)
	}
	return objectOf(who, cf, r, typ), nil
}

// objectOf describes case file cf as the policy sees it for who: its organisation and marking,
// and who is to it (team, lead, a liaison it is shared with and whether a Crown Prosecutor, the
// submitter of the pack waiting for approval).
func objectOf(who core.Actor, cf *CaseFile, r caseRels, typ string) policies.Object {
	obj := policies.Object{Type: typ, Org: policies.OrgDomain(cf.OrganisationID), Classification: cf.Classification}
	if r.Team {
		obj.Rel |= policies.RelTeam
	}
	if cf.LeadInvestigatorID == who.UserID {
		obj.Rel |= policies.RelLead
	}
	if r.Share {
		obj.Rel |= policies.RelShare
		if r.Prosecutor {
			obj.Rel |= policies.RelProsecutor
		}
	}
	// Four eyes: the policy refuses the approval to whoever submitted the pack.
	if r.Submitted && cf.Status == StatusWithSupervisor {
		obj.Rel |= policies.RelSubmitter
	}
	return obj
}

// forbidden are the messages of refused case actions, for someone who can see the case.
var forbidden = map[policies.Action]string{
	policies.ActUpdate:     "Only the case team can change this case file.",
	policies.ActSubmit:     "Only the case team can submit the pack.",
	policies.ActRespond:    "Only the case team can answer CPS actions.",
	policies.ActExport:     "You cannot export this pack.",
	policies.ActManageTeam: "Only the lead investigator or a supervisor can change the team.",
	policies.ActApprove:    "Only a supervisor of the owning organisation can approve the pack.",
	policies.ActReturn:     "Only a supervisor of the owning organisation can return the pack.",
	policies.ActShare:      "Only a supervisor of the owning organisation can share the pack with the CPS.",
	policies.ActAdvise:     "Only the CPS liaison the pack is shared with can do this.",
	policies.ActDecide:     notProsecutor,
	policies.ActCharge:     "Only the case team can record the police charge.",
	policies.ActClose:      "Only a supervisor of the owning organisation can close the case file.",
	policies.ActAdd:        "Only the case team can add evidence.",
	policies.ActCertify:    "Only the case's disclosure officer or a deputy can certify the schedules.",
}

// notCourt explains the refusal to record the results of court (the "decide" action on the
// case's "court" part; on the case itself "decide" is the charging decision).
const notCourt = "Only the case team or the CPS liaison the case is shared with can record the results of court."

// notProsecutor explains the refusal of a charging decision to a CPS liaison who may advise.
const notProsecutor = "Only a Crown Prosecutor can record a charging decision. CPS caseworkers and paralegals record advice and action plans: ask a Crown Prosecutor to make the decision."

// load reads case file id and checks who may act on it: a case they may not read is not found,
// whatever the reason; one they may read but not act on is forbidden. lock takes the case's row
// lock (PostgreSQL; SQLite's write transaction serializes already), so numbers, exhibit
// references and status moves of one case are decided one at a time.
func (s *Service) load(ctx context.Context, who core.Actor, id int64, act policies.Action, lock bool) (*CaseFile, error) {
	cf, _, err := s.loadObject(ctx, who, id, "casefile", act, lock)
	return cf, err
}

func (s *Service) loadObject(ctx context.Context, who core.Actor, id int64, typ string, act policies.Action, lock bool) (*CaseFile, policies.Object, error) {
	cf, obj, err := s.loadCase(ctx, who, id, lock)
	if err != nil {
		return nil, obj, err
	}
	if err := core.CanSee(ctx, s.d.Authz, who, policies.ActRead, obj, "Case file"); err != nil {
		return nil, obj, err
	}
	obj.Type = typ
	if typ == "mg6d" || act == policies.ActCertify {
		if obj, err = s.disclosureObject(ctx, who, &cf, obj); err != nil {
			return nil, obj, err
		}
	}
	if act != policies.ActRead || typ != "casefile" {
		msg := forbidden[act]
		if typ == "court" && act == policies.ActDecide {
			msg = notCourt
		}
		if msg == "" {
			msg = "You cannot do that to this case file."
		}
		if s.submittedIt(ctx, who, act, obj) {
			msg = "You submitted this pack: another supervisor must approve it."
		}
		if err := core.Can(ctx, s.d.Authz, who, act, obj, msg); err != nil {
			if typ == "evidence" && act == policies.ActRead {
				return nil, obj, core.NotFound("Evidence not found")
			}
			return nil, obj, err
		}
	}
	return &cf, obj, nil
}

// submittedIt reports whether the policy refuses who act on obj only because they submitted the
// pack (four eyes): what explains the refusal to them.
func (s *Service) submittedIt(ctx context.Context, who core.Actor, act policies.Action, obj policies.Object) bool {
	if !obj.Has(policies.RelSubmitter) || s.d.Authz.Can(ctx, who.Subject(), act, obj) == nil {
		return false
	}
	obj.Rel &^= policies.RelSubmitter
	return s.d.Authz.Can(ctx, who.Subject(), act, obj) == nil
}

// caseScope compiles the policy rows that let who do act to a case file into SQL over
// case_files (alias cf): the same rows, relationships, clearance and vetting rule as Can, so
// "may read X" and "X is listed" never disagree, even after the policy changes.
func (s *Service) caseScope(who core.Actor, act policies.Action) (string, []any, error) {
	if !who.Vetted {
		return "1 = 0", nil, nil
	}
	now := s.d.Now()
	return core.PolicyScope(s.d.Authz, who, "casefile", act, "cf.classification", func(rel string) (string, []any, bool) {
		switch rel {
		case "org":
			return "cf.organisation_id = ?", []any{who.OrgID}, true
		case "team":
			return "cf.id IN (SELECT m.case_id FROM case_members m WHERE m.user_id = ? AND m.removed_at IS NULL)", []any{who.UserID}, true
		case "lead":
			return "cf.lead_investigator_id = ?", []any{who.UserID}, true
		case "share":
			return "cf.id IN (SELECT sh.case_id FROM case_shares sh WHERE sh.liaison_id = ? AND sh.revoked_at IS NULL AND sh.expires_at > ?)", []any{who.UserID, now}, true
		case "submitter":
			return "cf.status = ? AND cf.id IN (SELECT ps.case_id FROM pack_submissions ps WHERE ps.status = ? AND ps.submitted_by = ?)",
				[]any{StatusWithSupervisor, SubmissionSubmitted, who.UserID}, true
		case "prosecutor":
			return "EXISTS (SELECT 1 FROM users pu WHERE pu.id = ? AND pu.crown_prosecutor = ?)", []any{who.UserID, true}, true
		}
		return "", nil, false // self, audience, enrolled, trainer, author, privileged: never facts of a case
	})
}

// CaseAccess is the "access" object of the API's case view: the same decisions as its
// Actions, every field present. Deprecated: kept for API clients; read Actions.
type CaseAccess struct {
	Update      bool `json:"update"`
	Submit      bool `json:"submit"`
	Approve     bool `json:"approve"`
	Return      bool `json:"return"`
	Share       bool `json:"share"`
	Revoke      bool `json:"revoke"`
	Advise      bool `json:"advise"`
	Decide      bool `json:"decide"`
	Action      bool `json:"action"`
	Review      bool `json:"review"`
	Finalise    bool `json:"finalise"`
	Respond     bool `json:"respond"`
	Export      bool `json:"export"`
	ManageTeam  bool `json:"manage_team"`
	Close       bool `json:"close"`
	AddEvidence bool `json:"add_evidence"`
}

func caseAccess(a core.Actions) CaseAccess {
	return CaseAccess{Update: a.Update, Submit: a.Submit, Approve: a.Approve, Return: a.Return, Share: a.Share,
		Revoke: a.Revoke, Advise: a.Advise, Decide: a.Decide, Action: a.Action, Review: a.Review, Finalise: a.Finalise,
		Respond: a.Respond, Export: a.Export, ManageTeam: a.ManageTeam, Close: a.Close, AddEvidence: a.AddEvidence}
}

// caseActions says what the actor may do to a case file now: the policy and the status machine
// together. Pages use it to offer buttons; every operation decides again.
func (s *Service) caseActions(ctx context.Context, who core.Actor, cf *CaseFile, obj policies.Object) core.Actions {
	may := func(typ string, act policies.Action, m move) bool {
		o := obj
		o.Type = typ
		if s.d.Authz.Can(ctx, who.Subject(), act, o) != nil {
			return false
		}
		if m == "" {
			return true
		}
		_, ok := next(cf.Status, cf.CPSPurpose, m)
		return ok
	}
	return core.Actions{
		Update:      may("casefile", policies.ActUpdate, moveEdit),
		Submit:      may("casefile", policies.ActSubmit, moveSubmit),
		Approve:     may("casefile", policies.ActApprove, moveApprove),
		Return:      may("casefile", policies.ActReturn, moveReturn),
		Share:       may("casefile", policies.ActShare, moveShare),
		Revoke:      may("casefile", policies.ActShare, ""),
		Advise:      may("casefile", policies.ActAdvise, moveAdvise),
		Decide:      may("casefile", policies.ActDecide, moveCharge),
		Charge:      may("casefile", policies.ActCharge, moveCharged),
		Action:      may("casefile", policies.ActAdvise, moveAction),
		Review:      may("casefile", policies.ActAdvise, moveReview),
		Finalise:    may("casefile", policies.ActAdvise, moveFinalise),
		Respond:     may("casefile", policies.ActRespond, moveAnswer),
		Export:      may("casefile", policies.ActExport, ""),
		ExportMG6D:  may("mg6d", policies.ActExport, ""),
		ManageTeam:  may("casefile", policies.ActManageTeam, "") && cf.Status != StatusClosed,
		Close:       may("casefile", policies.ActClose, moveClose),
		AddEvidence: may("evidence", policies.ActAdd, moveEdit),
	}
}

// CaseView is a case file as pages and the API show it.
type CaseView struct {
	CaseFile
	Marking        string           `json:"classification"` // the level; MarkingLine adds the descriptor
	OffenceList    []Offence        `json:"offences"`
	StatusLabel    string           `json:"status_label"`
	Organisation   string           `json:"organisation"`
	LeadName       string           `json:"lead_investigator"`
	SupervisorName string           `json:"supervisor"`
	Readiness      []StageReadiness `json:"readiness,omitempty"`
	Actions        core.Actions     `json:"actions"` // what the actor may do to the case now
	// SubmittedIt is set when the actor may not approve the pack only because they submitted it
	// (four eyes): the page says so.
	SubmittedIt bool `json:"-"`
	// NotProsecutor is set for a CPS liaison who could record a charging decision now but is no
	// Crown Prosecutor: the page says why the decision form is not offered.
	NotProsecutor bool       `json:"-"`
	Access        CaseAccess `json:"access"` // Deprecated: Actions, every field present, for API clients
	// Reading is, for a CPS liaison, the approved pack they read instead of the live file;
	// Unapproved, for everyone else, what changed since the newest approved pack.
	Reading    *PackReading      `json:"reading,omitempty"`
	Unapproved *packdiff.Changes `json:"changed_since_approval,omitempty"`
	reading    *reading
}

// MarkingLine is the case's marking as pages print it, with its descriptor.
func (v CaseView) MarkingLine() string { return v.CaseFile.Marking() }

// Supervisor is a person who may be chosen to sign off packs, or a CPS liaison to share with.
type Person struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Organisation string `json:"organisation"`
}

// peopleWithRole lists the active users holding role, in organisations of kind (any kind when
// ""), in organisation org (any when 0), by name.
func (s *Service) peopleWithRole(ctx context.Context, role string, kind core.OrgKind, org int64) ([]Person, error) {
	q := s.d.DB.Conn(ctx).Table("users u").
		Select("u.id, u.name, o.name AS organisation").
		Joins("JOIN organisations o ON o.id = u.organisation_id").
		Joins("JOIN casbin_rule r ON r.ptype = 'g' AND r.v0 = 'user:' || u.id AND r.v1 = ? AND r.v2 = 'org:' || u.organisation_id", role).
		Where("u.disabled_at IS NULL AND o.active = ?", true)
	if kind != "" {
		q = q.Where("o.kind = ?", kind)
	}
	if org != 0 {
		q = q.Where("u.organisation_id = ?", org)
	}
	var out []Person
	if err := q.Order("o.name, u.name, u.id").Scan(&out).Error; err != nil {
		return nil, core.DBError(err)
	}
	return out, nil
}

// Supervisors lists the supervisors of the actor's organisation, one of whom signs off each
// pack: what the case form offers. Investigators may call it. Errors: EFORBIDDEN.
func (s *Service) Supervisors(ctx context.Context, who core.Actor) ([]Person, error) {
	if err := core.Can(ctx, s.d.Authz, who, policies.ActCreate, policies.Object{Type: "casefile", Org: policies.OrgDomain(who.OrgID)}, "Only investigators can open case files."); err != nil {
		return nil, err
	}
	return s.peopleWithRole(ctx, policies.RoleSupervisor, "", who.OrgID)
}

// Liaisons lists the CPS liaisons of the CPS organisations: whom a pack may be shared with.
// Supervisors may call it. Errors: EFORBIDDEN.
func (s *Service) Liaisons(ctx context.Context, who core.Actor) ([]Person, error) {
	if err := core.Can(ctx, s.d.Authz, who, policies.ActShare, policies.Object{Type: "casefile", Org: policies.OrgDomain(who.OrgID), Classification: policies.Official}, "Only supervisors can share packs with the CPS."); err != nil {
		return nil, err
	}
	return s.peopleWithRole(ctx, policies.RoleCPSLiaison, core.KindCPS, 0)
}

// MayCreate says whether the actor may open case files (what the new-case page offers).
// Errors: EFORBIDDEN.
func (s *Service) MayCreate(ctx context.Context, who core.Actor) error {
	return core.Can(ctx, s.d.Authz, who, policies.ActCreate, policies.Object{Type: "casefile", Org: policies.OrgDomain(who.OrgID)}, "Only investigators with current vetting can open case files.")
}

// Create opens a case file in the actor's organisation, with the actor as lead investigator and
// first team member, and a checklist from the latest version of each template the case calls
// for. Investigators may call it. Errors: EFORBIDDEN, EINVALID.
func (s *Service) Create(ctx context.Context, who core.Actor, in CaseInput) (CaseView, error) {
	var id int64
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		if err := s.MayCreate(ctx, who); err != nil {
			return err
		}
		level, err := in.validate(who)
		if err != nil {
			return err
		}
		if err := s.checkSupervisor(ctx, who.OrgID, in.SupervisorID); err != nil {
			return err
		}
		now := s.d.Now()
		cf := CaseFile{URN: in.URN, Operation: in.Operation, OrganisationID: who.OrgID, Classification: level,
			Descriptor: policies.Descriptor(in.Descriptor), Status: StatusPreparation, OffenceCodes: offenceCodes(in.Offences), SuspectMayBeVictim: in.SuspectMayBeVictim,
			OrdersSought: in.OrdersSought, LeadInvestigatorID: who.UserID, SupervisorID: in.SupervisorID,
			CreatedBy: who.UserID, CreatedAt: now, UpdatedAt: now}
		if err := s.d.DB.Conn(ctx).Create(&cf).Error; err != nil {
			return core.DBError(err)
		}
		id = cf.ID
		member := caseMember{CaseID: cf.ID, UserID: who.UserID, Role: "lead", GrantedBy: &who.UserID, GrantedAt: now}
		if err := s.d.DB.Conn(ctx).Create(&member).Error; err != nil {
			return core.DBError(err)
		}
		added, err := s.addTemplates(ctx, &cf)
		if err != nil {
			return err
		}
		if err := s.event(ctx, who, cf.ID, "created", "Case file opened", "Checklists: "+strings.Join(added, ", ")); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.create", ObjectType: "casefile", ObjectID: core.IDString(cf.ID),
			Outcome: core.OutcomeSuccess, Details: map[string]string{"urn": cf.URN, "classification": cf.Marking(), "offences": cf.OffenceCodes}})
	})
	if err != nil {
		return CaseView{}, err
	}
	return s.Get(ctx, who, id)
}

// checkSupervisor refuses a supervisor who is not an active supervisor of org.
func (s *Service) checkSupervisor(ctx context.Context, org, id int64) error {
	people, err := s.peopleWithRole(ctx, policies.RoleSupervisor, "", org)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(people, func(p Person) bool { return p.ID == id }) {
		return core.Invalid("supervisor_id", "Select a supervisor of your organisation")
	}
	return nil
}

// Get returns a case file with its readiness and what the actor may do to it; the view is
// recorded in the audit log. The team, supervisors of the owning organisation and CPS liaisons
// with a live share may call it. Errors: ENOTFOUND.
func (s *Service) Get(ctx context.Context, who core.Actor, id int64) (CaseView, error) {
	var v CaseView
	err := s.audit.RecordRead(ctx, &who, func(ctx context.Context) (core.Event, error) {
		cf, obj, err := s.loadObject(ctx, who, id, "casefile", policies.ActRead, false)
		if err != nil {
			return core.Event{}, err
		}
		if v, err = s.view(ctx, who, cf, obj); err != nil {
			return core.Event{}, err
		}
		items, err := s.items(ctx, cf.ID)
		if err != nil {
			return core.Event{}, err
		}
		if v.reading != nil {
			items = v.reading.items(items)
		}
		v.Readiness = Readiness(items)
		return core.Event{Action: "casefile.read", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess}, nil
	})
	if err != nil {
		return CaseView{}, err
	}
	return v, nil
}

// view adds names, labels and access to a loaded case.
func (s *Service) view(ctx context.Context, who core.Actor, cf *CaseFile, obj policies.Object) (CaseView, error) {
	v := CaseView{CaseFile: *cf, Marking: cf.Classification.String(), OffenceList: cf.Offences(), StatusLabel: cf.Status.Label(), Actions: s.caseActions(ctx, who, cf, obj)}
	var err error
	if v.reading, err = s.readingOf(ctx, who, cf, obj); err != nil {
		return v, err
	}
	if rd := v.reading; rd != nil {
		v.Reading = &PackReading{}
		if v.Reading.SubmissionView, err = s.submissionView(ctx, rd.sub); err != nil {
			return v, err
		}
		if v.Reading.SupersededBy, err = s.supersededBy(ctx, cf.ID, rd.sub.Number); err != nil {
			return v, err
		}
	} else if v.Unapproved, err = s.unapproved(ctx, who, cf); err != nil {
		return v, err
	}
	// An approved pack is offered for a new approval once something changed.
	v.Actions.Submit = v.Actions.Submit && (cf.Status != StatusApproved || v.Unapproved != nil)
	if v.Actions.Share {
		// Only an approved pack can be shared: not one whose approval a change voided.
		approved, err := s.latestSubmission(ctx, cf.ID, SubmissionApproved)
		if err != nil {
			return v, err
		}
		v.Actions.Share = approved != nil
	}
	if v.Actions.Close && s.closeCheck(ctx, cf.ID) != nil {
		v.Actions.Close = false // the proceedings after charge go on
	}
	v.Access = caseAccess(v.Actions)
	if _, ok := next(cf.Status, cf.CPSPurpose, moveApprove); ok && !v.Actions.Approve {
		o := obj
		o.Type = "casefile"
		v.SubmittedIt = s.submittedIt(ctx, who, policies.ActApprove, o)
	}
	if _, ok := next(cf.Status, cf.CPSPurpose, moveCharge); ok && v.Actions.Action && !v.Actions.Decide {
		v.NotProsecutor = true
	}
	err = s.d.DB.Conn(ctx).Raw("SELECT COALESCE((SELECT name FROM users WHERE id = ?), ''), COALESCE((SELECT name FROM users WHERE id = ?), ''), "+
		"COALESCE((SELECT name FROM organisations WHERE id = ?), '')",
		cf.LeadInvestigatorID, cf.SupervisorID, cf.OrganisationID).Row().Scan(&v.LeadName, &v.SupervisorName, &v.Organisation)
	return v, core.DBError(err)
}

// userNames maps user ids to names.
func (s *Service) userNames(ctx context.Context, ids ...int64) (map[int64]string, error) {
	out := map[int64]string{}
	var want []int64
	for _, id := range ids {
		if id != 0 {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   int64
		Name string
	}
	if err := s.d.DB.Conn(ctx).Table("users").Select("id, name").Where("id IN ?", want).Scan(&rows).Error; err != nil {
		return nil, core.DBError(err)
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// Update changes a case file's details. New offences, a suspect who may be a victim or orders
// now sought add the checklists they call for (the latest version of each); checklists already
// on the case stay, since their items may hold work (mark any that no longer apply as not
// applicable). A change after approval waits for a new submission. The team may call it. Errors:
// ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) Update(ctx context.Context, who core.Actor, id int64, in CaseInput) (CaseView, error) {
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.load(ctx, who, id, policies.ActUpdate, true)
		if err != nil {
			return err
		}
		if err := s.checkMove(cf, moveEdit); err != nil {
			return err
		}
		level, err := in.validate(who)
		if err != nil {
			return err
		}
		if err := s.checkSupervisor(ctx, cf.OrganisationID, in.SupervisorID); err != nil {
			return err
		}
		details := map[string]string{}
		if cf.URN != in.URN {
			details["urn"] = cf.URN + " → " + in.URN
		}
		if cf.Operation != in.Operation {
			details["operation"] = "changed"
		}
		if codes := offenceCodes(in.Offences); cf.OffenceCodes != codes {
			details["offences"] = cf.OffenceCodes + " → " + codes
		}
		if descriptor := policies.Descriptor(in.Descriptor); cf.Classification != level || cf.Descriptor != descriptor {
			details["classification"] = cf.Marking() + " → " + policies.MarkingLine(level, descriptor)
		}
		if cf.SuspectMayBeVictim != in.SuspectMayBeVictim {
			details["suspect_may_be_victim"] = strconv.FormatBool(in.SuspectMayBeVictim)
		}
		if cf.OrdersSought != in.OrdersSought {
			details["orders_sought"] = strconv.FormatBool(in.OrdersSought)
		}
		if cf.SupervisorID != in.SupervisorID {
			details["supervisor"] = core.IDString(cf.SupervisorID) + " → " + core.IDString(in.SupervisorID)
		}
		if len(details) == 0 {
			return nil
		}
		cf.URN, cf.Operation, cf.OffenceCodes, cf.Classification = in.URN, in.Operation, offenceCodes(in.Offences), level
		cf.Descriptor = policies.Descriptor(in.Descriptor)
		cf.SuspectMayBeVictim, cf.OrdersSought, cf.SupervisorID = in.SuspectMayBeVictim, in.OrdersSought, in.SupervisorID
		if err := s.d.DB.Conn(ctx).Model(cf).Select("urn", "operation", "offences", "classification", "descriptor", "suspect_may_be_victim", "orders_sought", "supervisor_id").Updates(cf).Error; err != nil {
			return core.DBError(err)
		}
		added, err := s.addTemplates(ctx, cf)
		if err != nil {
			return err
		}
		summary := "Case details changed"
		if len(added) > 0 {
			summary += "; checklists added: " + strings.Join(added, ", ")
		}
		if err := s.changed(ctx, who, cf, summary); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.update", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess, Details: details})
	})
	if err != nil {
		return CaseView{}, err
	}
	return s.Get(ctx, who, id)
}

// checkMove refuses m when the case's status does not allow it.
func (s *Service) checkMove(cf *CaseFile, m move) error {
	if _, ok := next(cf.Status, cf.CPSPurpose, m); !ok {
		return refusal(cf.Status, m)
	}
	return nil
}

// setStatus moves the case by m, recording the move on the timeline.
func (s *Service) setStatus(ctx context.Context, who core.Actor, cf *CaseFile, m move, summary, details string) error {
	return s.setPackStatus(ctx, who, cf, m, 0, summary, details)
}

// setPackStatus is setStatus for a move about pack number pack (see packEvent).
func (s *Service) setPackStatus(ctx context.Context, who core.Actor, cf *CaseFile, m move, pack int, summary, details string) error {
	to, ok := next(cf.Status, cf.CPSPurpose, m)
	if !ok {
		return refusal(cf.Status, m)
	}
	from := cf.Status
	cf.Status, cf.UpdatedAt = to, s.d.Now()
	if err := s.d.DB.Conn(ctx).Model(cf).Select("status", "cps_purpose", "updated_at").Updates(cf).Error; err != nil {
		return core.DBError(err)
	}
	if from != to {
		if details != "" {
			details += "\n"
		}
		details += "Status: " + from.Label() + " → " + to.Label()
	}
	return s.packEvent(ctx, who, cf.ID, pack, string(m), summary, details)
}

// changed records a change to the file's content (checklist, evidence, schedules, details): it
// must fit the status. An approved pack stays what it was: the change waits, shown to the team
// as changed since approval, until a new submission is approved (what the CPS reads is only
// ever an approved pack, see reading).
func (s *Service) changed(ctx context.Context, who core.Actor, cf *CaseFile, summary string) error {
	if err := s.checkMove(cf, moveEdit); err != nil {
		return err
	}
	if err := s.event(ctx, who, cf.ID, "changed", summary, ""); err != nil {
		return err
	}
	cf.UpdatedAt = s.d.Now()
	return core.DBError(s.d.DB.Conn(ctx).Model(cf).Update("updated_at", cf.UpdatedAt).Error)
}

// CaseFilter narrows a case list.
type CaseFilter struct {
	Queue  string       // "": every case the actor may read; "supervisor": packs awaiting their sign-off; "cps": packs shared with them
	Status []CaseStatus // any of these; all when empty
	Query  string       // part of the URN or operation name
	Count  bool         // count every case the filter matches (Total), as pages show it
	// Changeable keeps only the case files the actor may change (update), by the same rule as
	// the policy: those they may attach things to, such as an operation. Only with Queue "".
	Changeable bool
}

// CaseSummary is one row of a case list.
type CaseSummary struct {
	ID             int64          `json:"id"`
	URN            string         `json:"urn"`
	Operation      string         `json:"operation"`
	Status         CaseStatus     `json:"status"`
	StatusLabel    string         `json:"status_label"`
	Marking        string         `json:"classification"`
	Organisation   string         `json:"organisation"`
	SupervisorID   int64          `json:"supervisor_id"`
	AssignedToYou  bool           `json:"assigned_to_you"`
	UpdatedAt      time.Time      `json:"updated_at"`
	Classification policies.Level `json:"-"`
}

// CasePage is one page of a case list, most recently changed first, with the cursor of the
// next page ("" = none).
type CasePage struct {
	Cases []CaseSummary `json:"cases"`
	Next  string        `json:"next,omitempty"`
	Prev  string        `json:"-"`
	Total int64         `json:"-"` // with CaseFilter.Count
	// What the actor may do with the list: create (open a case file).
	Actions core.Actions `json:"actions"`
}

// List returns the case files the actor may read (with Changeable, change), most recently
// changed first, through the same rule as the policy (caseScope). The supervisor queue holds the packs the actor may
// approve that wait for sign-off; the CPS queue those shared with the actor. Anyone signed in
// may call it; most see nothing. Errors: EINVALID (bad cursor or filter).
func (s *Service) List(ctx context.Context, who core.Actor, f CaseFilter, after string, limit int) (CasePage, error) {
	limit = core.PageLimit(limit, 200, 50)
	act := policies.ActRead
	switch f.Queue {
	case "":
	case "supervisor":
		act = policies.ActApprove
		f.Status = []CaseStatus{StatusWithSupervisor}
	case "cps":
		act = policies.ActAdvise
	default:
		return CasePage{}, core.Invalid("queue", "Queue must be supervisor or cps")
	}
	if f.Changeable {
		if f.Queue != "" {
			return CasePage{}, core.Invalid("queue", "A queue holds case files to act on in its own way: list the ones you may change without one")
		}
		act = policies.ActUpdate
	}
	for _, st := range f.Status {
		if !slices.Contains(CaseStatuses(), st) {
			return CasePage{}, core.Invalid("status", "Unknown status: "+string(st))
		}
	}
	where, args, err := s.caseScope(who, act)
	if err != nil {
		return CasePage{}, err
	}
	q := s.d.DB.Conn(ctx).Table("case_files cf").
		Select("cf.id, cf.urn, cf.operation, cf.status, cf.classification, cf.supervisor_id, cf.updated_at, o.name AS organisation").
		Joins("JOIN organisations o ON o.id = cf.organisation_id").
		Where(where, args...)
	if len(f.Status) > 0 {
		q = q.Where("cf.status IN ?", f.Status)
	}
	if term := strings.ToUpper(strings.TrimSpace(f.Query)); term != "" {
		like := core.LikeContaining(term)
		q = q.Where(`(cf.urn LIKE ? ESCAPE '\' OR UPPER(cf.operation) LIKE ? ESCAPE '\')`, like, like)
	}
	page := CasePage{Cases: []CaseSummary{}, Actions: core.Actions{Create: s.MayCreate(ctx, who) == nil}}
	if f.Count {
		if err := q.Session(&gorm.Session{}).Count(&page.Total).Error; err != nil {
			return CasePage{}, core.DBError(err)
		}
	}
	q, backward, err := core.Keyset(q, "cf.updated_at", "cf.id", true, after, func(k string) (any, error) {
		t, err := time.Parse(time.RFC3339Nano, k)
		return t.UTC(), err
	})
	if err != nil {
		return CasePage{}, err
	}
	var rows []CaseSummary
	if err := q.Limit(limit + 1).Scan(&rows).Error; err != nil {
		return CasePage{}, core.DBError(err)
	}
	rows, page.Next, page.Prev = core.CutPages(rows, limit, backward, after != "", func(r CaseSummary) string {
		return core.EncodeCursor(r.UpdatedAt.UTC().Format(time.RFC3339Nano), r.ID)
	})
	for i := range rows {
		rows[i].StatusLabel = rows[i].Status.Label()
		rows[i].Marking = rows[i].Classification.String()
		rows[i].AssignedToYou = rows[i].SupervisorID == who.UserID
	}
	page.Cases = append(page.Cases, rows...)
	return page, nil
}

// caseMember is one grant of team membership.
type caseMember struct {
	ID          int64
	CaseID      int64
	UserID      int64
	Role        string // lead or member
	LegalBasis  string
	BasisDetail string
	GrantedBy   *int64
	GrantedAt   time.Time
	RemovedBy   *int64
	RemovedAt   *time.Time

	OIC            bool           `gorm:"->"` // the officer in the case (DOMAIN.md §F3); named by package disclosure
	DisclosureRole DisclosureRole `gorm:"->"` // disclosure officer or deputy, if either
}

func (caseMember) TableName() string { return "case_members" }

// LegalBasis is the lawful basis on which a person of another organisation joins a case team
// (DOMAIN.md §D3). [verify] the list with the customer's information governance lead.
type LegalBasis string

// Legal bases for sharing a case with another organisation.
const (
	BasisDPA2018Part3 LegalBasis = "dpa2018_part3"
	BasisCDA1998s115  LegalBasis = "cda1998_s115"
	BasisISA          LegalBasis = "information_sharing_agreement"
)

// LegalBases lists the bases in the order forms offer them.
func LegalBases() []LegalBasis { return []LegalBasis{BasisDPA2018Part3, BasisCDA1998s115, BasisISA} }

// Label is the basis as pages show it.
func (b LegalBasis) Label() string {
	switch b {
	case BasisDPA2018Part3:
		return "Data Protection Act 2018 Part 3 (law-enforcement processing)"
	case BasisCDA1998s115:
		return "Crime and Disorder Act 1998 s115"
	case BasisISA:
		return "Information sharing agreement"
	}
	return string(b)
}

// TeamMember is one person on a case team, as pages show it.
type TeamMember struct {
	ID           int64      `json:"id"`
	UserID       int64      `json:"user_id"`
	Name         string     `json:"name"`
	Email        string     `json:"email"`
	Organisation string     `json:"organisation"`
	OtherOrg     bool       `json:"other_organisation"`
	Role         string     `json:"role"`
	LegalBasis   LegalBasis `json:"legal_basis,omitempty"`
	BasisLabel   string     `json:"legal_basis_label,omitempty"`
	BasisDetail  string     `json:"basis_detail,omitempty"`
	GrantedBy    string     `json:"granted_by"`
	GrantedAt    time.Time  `json:"granted_at"`

	OIC            bool           `json:"oic"`                       // the officer in the case
	DisclosureRole DisclosureRole `json:"disclosure_role,omitempty"` // disclosure officer or deputy, if either
}

// Team lists a case's current team, lead first. Anyone who may read the case may call it (an
// audited read). Errors: ENOTFOUND.
func (s *Service) Team(ctx context.Context, who core.Actor, id int64) ([]TeamMember, error) {
	return readValue(ctx, s, who, id, "team", s.team)
}

// readPart runs read on case file id once who may read it, then records the read: every read
// of case material is in the audit log (DESIGN.md §6), whether a page (which also reads the
// case itself, see Get) or an API client asks for it.
func (s *Service) readPart(ctx context.Context, who core.Actor, id int64, part string, read func(ctx context.Context, cf *CaseFile, obj policies.Object) error) error {
	return s.audit.RecordRead(ctx, &who, func(ctx context.Context) (core.Event, error) {
		cf, obj, err := s.loadObject(ctx, who, id, "casefile", policies.ActRead, false)
		if err != nil {
			return core.Event{}, err
		}
		if err := read(ctx, cf, obj); err != nil {
			return core.Event{}, err
		}
		return core.Event{Action: "casefile.read", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"part": part}}, nil
	})
}

// readValue is readPart for a part that one function of the case file reads.
func readValue[T any](ctx context.Context, s *Service, who core.Actor, id int64, part string, read func(ctx context.Context, cf *CaseFile) (T, error)) (T, error) {
	var out T
	err := s.readPart(ctx, who, id, part, func(ctx context.Context, cf *CaseFile, _ policies.Object) (err error) {
		out, err = read(ctx, cf)
		return err
	})
	return out, err
}

func (s *Service) team(ctx context.Context, cf *CaseFile) ([]TeamMember, error) {
	var rows []struct {
		ID           int64
		UserID       int64
		Name         string
		Email        string
		Organisation string
		OrgID        int64
		Role         string
		LegalBasis   string
		BasisDetail  string
		GrantedBy    string
		GrantedAt    time.Time

		OIC            bool
		DisclosureRole DisclosureRole
	}
	err := s.d.DB.Conn(ctx).Table("case_members m").
		Select("m.id, m.user_id, u.name, u.email, o.name AS organisation, o.id AS org_id, m.role, m.oic, m.disclosure_role, m.legal_basis, m.basis_detail, COALESCE(g.name, '') AS granted_by, m.granted_at").
		Joins("JOIN users u ON u.id = m.user_id").
		Joins("JOIN organisations o ON o.id = u.organisation_id").
		Joins("LEFT JOIN users g ON g.id = m.granted_by").
		Where("m.case_id = ? AND m.removed_at IS NULL", cf.ID).
		Order("CASE WHEN m.role = 'lead' THEN 0 ELSE 1 END, u.name, m.id").Scan(&rows).Error
	if err != nil {
		return nil, core.DBError(err)
	}
	out := make([]TeamMember, 0, len(rows))
	for _, r := range rows {
		m := TeamMember{ID: r.ID, UserID: r.UserID, Name: r.Name, Email: r.Email, Organisation: r.Organisation, OtherOrg: r.OrgID != cf.OrganisationID,
			Role: r.Role, LegalBasis: LegalBasis(r.LegalBasis), BasisDetail: r.BasisDetail, GrantedBy: r.GrantedBy, GrantedAt: r.GrantedAt, OIC: r.OIC, DisclosureRole: r.DisclosureRole}
		if m.LegalBasis != "" {
			m.BasisLabel = m.LegalBasis.Label()
		}
		out = append(out, m)
	}
	return out, nil
}

// MemberInput names a person to add to a case team, and for a person of another organisation
// the legal basis of the grant.
type MemberInput struct {
	Email       string     `json:"email"`
	LegalBasis  LegalBasis `json:"legal_basis"`
	BasisDetail string     `json:"basis_detail"`
}

// AddMember puts an investigator on the case team by their email address. A person of another
// organisation (a joint operation) needs the legal basis recorded. The lead investigator and
// supervisors of the owning organisation may call it. Errors: ENOTFOUND, EFORBIDDEN, EINVALID,
// ECONFLICT.
func (s *Service) AddMember(ctx context.Context, who core.Actor, id int64, in MemberInput) (TeamMember, error) {
	var added TeamMember
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.load(ctx, who, id, policies.ActManageTeam, true)
		if err != nil {
			return err
		}
		if cf.Status == StatusClosed {
			return core.Conflict("This case file is closed: its team no longer changes.")
		}
		email := strings.ToLower(strings.TrimSpace(in.Email))
		if email == "" {
			return core.Invalid("email", "Enter the email address of the investigator to add")
		}
		var u core.User
		err = s.d.DB.Conn(ctx).Where("email = ? AND disabled_at IS NULL", email).Take(&u).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return core.Invalid("email", "No active MSP Hub account has this email address. Check it, or ask their organisation administrator to create one")
		}
		if err != nil {
			return core.DBError(err)
		}
		if !slices.Contains(s.d.Authz.RolesIn(policies.UserPrincipal(u.ID), policies.OrgDomain(u.OrganisationID)), policies.RoleInvestigator) {
			return core.Invalid("email", u.Name+" is not an investigator in MSP Hub: only investigators work on a case team")
		}
		in.BasisDetail = strings.TrimSpace(in.BasisDetail)
		basis, detail := LegalBasis(""), ""
		if u.OrganisationID != cf.OrganisationID {
			var p core.Problems
			if !slices.Contains(LegalBases(), in.LegalBasis) {
				p.Add("legal_basis", "Select the legal basis for sharing this case with someone from another organisation")
			}
			if in.BasisDetail == "" {
				p.Add("basis_detail", "Say what the basis rests on: the agreement, request or decision, with its reference")
			} else if utf8.RuneCountInString(in.BasisDetail) > 500 {
				p.Add("basis_detail", "The basis must be 500 characters or fewer")
			}
			if err := p.Err(); err != nil {
				return err
			}
			basis, detail = in.LegalBasis, in.BasisDetail
		}
		var n int64
		if err := s.d.DB.Conn(ctx).Model(&caseMember{}).Where("case_id = ? AND user_id = ? AND removed_at IS NULL", cf.ID, u.ID).Count(&n).Error; err != nil {
			return core.DBError(err)
		}
		if n > 0 {
			return &core.Error{Code: core.ECONFLICT, Field: "email", Message: u.Name + " is already on the team"}
		}
		m := caseMember{CaseID: cf.ID, UserID: u.ID, Role: "member", LegalBasis: string(basis), BasisDetail: detail, GrantedBy: &who.UserID, GrantedAt: s.d.Now()}
		if err := s.d.DB.Conn(ctx).Create(&m).Error; err != nil {
			return core.DBError(err)
		}
		summary := u.Name + " added to the team"
		details := ""
		if basis != "" {
			details = "Legal basis: " + basis.Label() + " (" + detail + ")"
		}
		if err := s.event(ctx, who, cf.ID, "team", summary, details); err != nil {
			return err
		}
		if u.ID != who.UserID {
			if err := core.Notify(ctx, s.d, u.ID, NoticeCaseWork, "You have been added to the team of a case file.", "/casefiles/"+core.IDString(cf.ID)); err != nil {
				return err
			}
		}
		team, err := s.team(ctx, cf)
		if err != nil {
			return err
		}
		for _, t := range team {
			if t.ID == m.ID {
				added = t
			}
		}
		d := map[string]string{"user": core.IDString(u.ID)}
		if basis != "" {
			d["legal_basis"], d["basis_detail"] = string(basis), detail
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.member_add", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess, Details: d})
	})
	return added, err
}

// RemoveMember takes a person off the case team; their grant stays on record. The lead
// investigator cannot be removed. The lead investigator and supervisors of the owning
// organisation may call it. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT.
func (s *Service) RemoveMember(ctx context.Context, who core.Actor, id, memberID int64) error {
	return s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.load(ctx, who, id, policies.ActManageTeam, true)
		if err != nil {
			return err
		}
		var m caseMember
		err = s.d.DB.Conn(ctx).Where("id = ? AND case_id = ? AND removed_at IS NULL", memberID, cf.ID).Take(&m).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return core.NotFound("Team member not found")
		}
		if err != nil {
			return core.DBError(err)
		}
		if m.Role == "lead" || m.UserID == cf.LeadInvestigatorID {
			return core.Conflict("The lead investigator stays on the team.")
		}
		now := s.d.Now()
		if err := s.d.DB.Conn(ctx).Model(&m).Updates(map[string]any{"removed_at": now, "removed_by": who.UserID}).Error; err != nil {
			return core.DBError(err)
		}
		names, err := s.userNames(ctx, m.UserID)
		if err != nil {
			return err
		}
		if err := s.event(ctx, who, cf.ID, "team", names[m.UserID]+" removed from the team", ""); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.member_remove", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess, Details: map[string]string{"user": core.IDString(m.UserID)}})
	})
}

// caseEvent is one entry of a case's timeline.
type caseEvent struct {
	ID         int64
	CaseID     int64
	OccurredAt time.Time
	ActorID    *int64
	Kind       string
	Summary    string
	Details    string
	Pack       *int // the number of the pack the event is about, if it is about one
}

func (caseEvent) TableName() string { return "case_events" }

// event adds an entry to the case's timeline, in the transaction in ctx.
func (s *Service) event(ctx context.Context, who core.Actor, caseID int64, kind, summary, details string) error {
	return s.packEvent(ctx, who, caseID, 0, kind, summary, details)
}

// packEvent is event about pack number pack (0: none), which only those who may read the pack
// read on the timeline.
func (s *Service) packEvent(ctx context.Context, who core.Actor, caseID int64, pack int, kind, summary, details string) error {
	e := caseEvent{CaseID: caseID, OccurredAt: s.d.Now(), Kind: kind, Summary: core.Clip(summary, 300), Details: core.Clip(details, 4000)}
	if who.UserID != 0 {
		e.ActorID = &who.UserID
	}
	if pack != 0 {
		e.Pack = &pack
	}
	return core.DBError(s.d.DB.Conn(ctx).Create(&e).Error)
}

// TimelineEntry is one event of a case's timeline as pages show it.
type TimelineEntry struct {
	ID         int64     `json:"id"`
	OccurredAt time.Time `json:"occurred_at"`
	Kind       string    `json:"kind"`
	Summary    string    `json:"summary"`
	Details    string    `json:"details,omitempty"`
	Actor      string    `json:"actor,omitempty"`
}

// TimelinePage is a page of a case's timeline, newest first.
type TimelinePage struct {
	Events []TimelineEntry `json:"events"`
	Next   string          `json:"next,omitempty"` // the cursor of the page of older events
	Prev   string          `json:"prev,omitempty"` // the cursor of the page of newer events
}

// Timeline lists a page of a case's events, newest first: limit of them (50 unless 1 to 200),
// after the cursor after ("" for the newest). Anyone who may read the case may call it (an
// audited read); a CPS liaison reads no event about a pack they may not read (see
// reading.readable). Errors: ENOTFOUND, EINVALID (a damaged cursor).
func (s *Service) Timeline(ctx context.Context, who core.Actor, id int64, after string, limit int) (TimelinePage, error) {
	limit = core.PageLimit(limit, 200, 50)
	page := TimelinePage{Events: []TimelineEntry{}}
	err := s.readPart(ctx, who, id, "timeline", func(ctx context.Context, cf *CaseFile, obj policies.Object) error {
		rd, err := s.readingOf(ctx, who, cf, obj)
		if err != nil {
			return err
		}
		q := s.d.DB.Conn(ctx).Table("case_events e").
			Select("e.id, e.occurred_at, e.kind, e.summary, e.details, COALESCE(u.name, '') AS actor").
			Joins("LEFT JOIN users u ON u.id = e.actor_id").
			Where("e.case_id = ?", cf.ID)
		if rd != nil { // the team's edits are the team's: the reader reads their outcome in the pack
			packs, err := s.readablePacks(ctx, cf.ID, rd)
			if err != nil {
				return err
			}
			// A share's or an export's event from before events named their pack (migration
			// 26 could not tell which) is about a pack they may not read, for all anyone knows.
			q = q.Where("e.kind <> 'changed' AND (e.pack IN ? OR (e.pack IS NULL AND e.kind NOT IN ('share', 'export')))", packs)
		}
		q, backward, err := core.Keyset(q, "", "e.id", true, after, nil)
		if err != nil {
			return err
		}
		var rows []TimelineEntry
		if err := q.Limit(limit + 1).Scan(&rows).Error; err != nil {
			return core.DBError(err)
		}
		page.Events, page.Next, page.Prev = core.CutPages(rows, limit, backward, after != "", func(e TimelineEntry) string { return core.EncodeCursor("", e.ID) })
		if page.Events == nil {
			page.Events = []TimelineEntry{}
		}
		return nil
	})
	if err != nil {
		return TimelinePage{}, err
	}
	return page, nil
}

// newCaseFiles builds the case files' operations.
func New(d core.Deps, audit *core.Audit) *Service {
	return &Service{d: d, audit: audit, closeCheck: func(context.Context, int64) error { return nil }}
}

// Allow says whether who may act on case file id by the case files' own rules, for the other
// domains that attach things to a case (operations): a case they may not read is ENOTFOUND,
// one they may read but not act on EFORBIDDEN. It changes and records nothing.
func (s *Service) Allow(ctx context.Context, who core.Actor, id int64, act policies.Action) error {
	_, _, err := s.loadObject(ctx, who, id, "casefile", act, false)
	return err
}

// Load is Allow that also returns the case file (under its lock), for the sub-packages that
// keep more of a case. Errors: ENOTFOUND, EFORBIDDEN.
func (s *Service) Load(ctx context.Context, who core.Actor, id int64, act policies.Action) (CaseFile, error) {
	cf, _, err := s.loadObject(ctx, who, id, "casefile", act, true)
	if err != nil {
		return CaseFile{}, err
	}
	return *cf, nil
}

// Note adds an entry to a case's timeline in the transaction in ctx, for the sub-packages.
func (s *Service) Note(ctx context.Context, who core.Actor, caseID int64, kind, summary string) error {
	return s.event(ctx, who, caseID, kind, summary, "")
}
