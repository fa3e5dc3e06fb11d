package casefile

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // share expiry is the end of a day in UK time wherever the server runs

	"github.com/msptp/msphub/models/casefile/charging"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// SubmissionStatus is where a submitted pack stands in the two-stage sign-off.
type SubmissionStatus string

// Submission statuses.
const (
	SubmissionSubmitted SubmissionStatus = "submitted" // with the supervisor
	SubmissionApproved  SubmissionStatus = "approved"
	SubmissionReturned  SubmissionStatus = "returned"
	SubmissionVoided    SubmissionStatus = "voided" // approved, then the file changed
)

// Label is the status as pages show it.
func (s SubmissionStatus) Label() string {
	switch s {
	case SubmissionSubmitted:
		return "With supervisor"
	case SubmissionApproved:
		return "Approved"
	case SubmissionReturned:
		return "Returned"
	case SubmissionVoided:
		return "Approval voided"
	}
	return string(s)
}

// PackSubmission is a submitted pack: a frozen snapshot of the checklist, the evidence with its
// hashes and the schedules, with the SHA-256 of that snapshot as its manifest hash.
type PackSubmission struct {
	ID             int64            `json:"id"`
	CaseID         int64            `json:"case_id"`
	Number         int              `json:"number"`
	Purpose        Purpose          `json:"purpose"`
	Snapshot       string           `json:"-"`
	ManifestSHA256 string           `json:"manifest_sha256" gorm:"column:manifest_sha256"`
	Status         SubmissionStatus `json:"status"`
	SubmittedBy    int64            `json:"submitted_by"`
	SubmittedAt    time.Time        `json:"submitted_at"`
	DecidedBy      *int64           `json:"decided_by,omitempty"`
	DecidedAt      *time.Time       `json:"decided_at,omitempty"`
	DecisionReason string           `json:"decision_reason,omitempty"`
	VoidedAt       *time.Time       `json:"voided_at,omitempty"`
	VoidReason     string           `json:"void_reason,omitempty"`
	// A pack for a charging decision carries its DG6 category and the test asked for; a
	// Threshold Test pack names the pre-charge items still outstanding, one per line.
	Category    charging.Category `json:"dg6_category,omitempty" gorm:"column:dg6_category"`
	Test        charging.Test     `json:"test,omitempty" gorm:"column:charging_test"`
	Outstanding string            `json:"-"`
}

// TableName is the table of pack submissions.
func (PackSubmission) TableName() string { return "pack_submissions" }

// SubmissionView is a submission with names and labels.
type SubmissionView struct {
	PackSubmission
	SubmittedByName string   `json:"submitted_by_name"`
	DecidedByName   string   `json:"decided_by_name,omitempty"`
	PurposeLabel    string   `json:"purpose_label"`
	StatusLabel     string   `json:"status_label"`
	OutstandingList []string `json:"outstanding,omitempty"` // pre-charge items outstanding at a Threshold Test submission
}

// packSnapshot is what a submission freezes. Its JSON encoding (fields in this order) is what
// the manifest hash is computed over, and is kept byte for byte.
type packSnapshot struct {
	Format      string           `json:"format"`
	Case        snapCase         `json:"case"`
	Number      int              `json:"number"`
	Purpose     Purpose          `json:"purpose"`
	SubmittedBy snapPerson       `json:"submitted_by"`
	SubmittedAt string           `json:"submitted_at"`
	Templates   []string         `json:"templates"`
	Items       []snapItem       `json:"items"`
	Evidence    []snapEvidence   `json:"evidence"`
	Schedules   []snapEntry      `json:"schedules"`
	Readiness   []StageReadiness `json:"readiness"`
}

type snapCase struct {
	ID                 int64    `json:"id"`
	URN                string   `json:"urn"`
	Operation          string   `json:"operation"`
	Organisation       string   `json:"organisation"`
	Classification     string   `json:"classification"`
	Offences           []string `json:"offences"`
	SuspectMayBeVictim bool     `json:"suspect_may_be_victim"`
	OrdersSought       bool     `json:"orders_sought"`
}

type snapPerson struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type snapItem struct {
	ID        int64    `json:"id"`
	Template  string   `json:"template"`
	Position  int      `json:"position"`
	Text      string   `json:"text"`
	Stage     Stage    `json:"stage"`
	Required  bool     `json:"required"`
	Status    string   `json:"status"`
	NAReason  string   `json:"na_reason,omitempty"`
	CPSReason string   `json:"cps_reason,omitempty"`
	Notes     string   `json:"notes,omitempty"` // from issue 13: what the CPS reads with the item
	Exhibits  []string `json:"exhibits"`
}

type snapEvidence struct {
	ID             int64  `json:"id"`
	ExhibitRef     string `json:"exhibit_ref"`
	Description    string `json:"description"`
	Producer       string `json:"producer"`
	ProducedOn     string `json:"produced_on,omitempty"`
	Source         string `json:"source,omitempty"`
	Kind           string `json:"kind"`
	FileName       string `json:"file_name,omitempty"`
	Size           int64  `json:"size,omitempty"`
	SHA256         string `json:"sha256,omitempty"`
	ExternalSystem string `json:"external_system,omitempty"`
	ExternalID     string `json:"external_id,omitempty"`
	HashAlgorithm  string `json:"hash_algorithm,omitempty"`
	ExternalHash   string `json:"external_hash,omitempty"`
	Supersedes     string `json:"supersedes,omitempty"`
	SupersededBy   string `json:"superseded_by,omitempty"`
}

type snapEntry struct {
	Schedule      Schedule `json:"schedule"`
	Number        int      `json:"number"`
	Description   string   `json:"description"`
	Location      string   `json:"location"`
	OfficerView   string   `json:"officer_view,omitempty"` // MG6D: why the item is sensitive
	Marking       string   `json:"classification,omitempty"`
	GenericReason string   `json:"generic_reason,omitempty"`
	Undermines    bool     `json:"mg6e,omitempty"` // MG6E, for the prosecutor: never on MG6C
	Assessment    string   `json:"mg6e_reasons,omitempty"`
	CPSView       string   `json:"cps_view,omitempty"`
	CPSSensitive  string   `json:"cps_agree_sensitive,omitempty"`
	CPSPII        string   `json:"cps_pii_needed,omitempty"`
}

// snapshot freezes the case as it is now, in the transaction in ctx.
func (s *Service) snapshot(ctx context.Context, cf *CaseFile, number int, purpose Purpose, who core.Actor, at time.Time) ([]byte, error) {
	items, err := s.items(ctx, cf.ID)
	if err != nil {
		return nil, err
	}
	evidence, err := s.evidenceViews(ctx, cf.ID, nil)
	if err != nil {
		return nil, err
	}
	entries, err := s.entries(ctx, cf)
	if err != nil {
		return nil, err
	}
	var org string
	if err := s.d.DB.Conn(ctx).Table("organisations").Select("name").Where("id = ?", cf.OrganisationID).Scan(&org).Error; err != nil {
		return nil, core.DBError(err)
	}
	snap := packSnapshot{Format: "msphub-pack-snapshot/1", Number: number, Purpose: purpose,
		SubmittedBy: snapPerson{ID: who.UserID, Name: who.Name}, SubmittedAt: at.UTC().Format(time.RFC3339Nano),
		Case: snapCase{ID: cf.ID, URN: cf.URN, Operation: cf.Operation, Organisation: org, Classification: cf.Marking(),
			SuspectMayBeVictim: cf.SuspectMayBeVictim, OrdersSought: cf.OrdersSought},
		Templates: []string{}, Items: []snapItem{}, Evidence: []snapEvidence{}, Schedules: []snapEntry{}, Readiness: Readiness(items)}
	for _, o := range cf.Offences() {
		snap.Case.Offences = append(snap.Case.Offences, string(o))
	}
	for _, it := range items {
		if !slices.Contains(snap.Templates, it.Template) {
			snap.Templates = append(snap.Templates, it.Template)
		}
		snap.Items = append(snap.Items, snapItemOf(it))
	}
	for _, e := range evidence {
		snap.Evidence = append(snap.Evidence, snapEvidenceOf(e))
	}
	for _, e := range entries {
		snap.Schedules = append(snap.Schedules, snapEntry{Schedule: e.Schedule, Number: e.Number, Description: e.Description, Location: e.Location, OfficerView: e.OfficerView,
			Marking: e.Marking, GenericReason: e.GenericReason, Undermines: e.Undermines, Assessment: e.Assessment, CPSView: e.CPSView, CPSSensitive: e.CPSSensitive, CPSPII: e.CPSPII})
	}
	b, err := json.Marshal(snap)
	if err != nil {
		return nil, core.Internal(err)
	}
	return b, nil
}

func snapItemOf(it ItemView) snapItem {
	si := snapItem{ID: it.ID, Template: it.Template, Position: it.Position, Text: it.Text, Stage: it.Stage, Required: it.Required,
		Status: string(it.Status), NAReason: it.NAReason, CPSReason: it.CPSReason, Notes: it.Notes, Exhibits: []string{}}
	for _, e := range it.Evidence {
		si.Exhibits = append(si.Exhibits, e.ExhibitRef)
	}
	return si
}

func snapEvidenceOf(e EvidenceView) snapEvidence {
	se := snapEvidence{ID: e.ID, ExhibitRef: e.ExhibitRef, Description: e.Description, Producer: e.Producer, Source: e.Source,
		Kind: string(e.Kind), FileName: e.FileName, Size: e.Size, SHA256: e.SHA256, ExternalSystem: e.ExternalSystem,
		ExternalID: e.ExternalID, HashAlgorithm: e.HashAlgorithm, ExternalHash: e.ExternalHash, Supersedes: e.SupersedesRef, SupersededBy: e.SupersededByRef}
	if e.ProducedOn != nil {
		se.ProducedOn = e.ProducedOn.Format(time.DateOnly)
	}
	return se
}

// Submit freezes the pack and sends it to the supervisor: a numbered submission holding a
// snapshot of the checklist, the evidence with its hashes and the schedules, with the SHA-256 of
// the snapshot as its manifest hash. A pack for a charging decision carries its DG6 category and
// the test asked for: for the Full Code Test every required early-advice and pre-charge item
// must be done; for the Threshold Test they may be outstanding, and the submission names each.
// One for early advice needs neither. The team may call it. Errors: ENOTFOUND, EFORBIDDEN,
// EINVALID, ECONFLICT.
func (s *Service) Submit(ctx context.Context, who core.Actor, id int64, in SubmitInput) (SubmissionView, error) {
	purpose := in.Purpose
	var sub PackSubmission
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.load(ctx, who, id, policies.ActSubmit, true)
		if err != nil {
			return err
		}
		if err := s.checkMove(cf, moveSubmit); err != nil {
			return err
		}
		if cf.Status == StatusApproved {
			if changes, err := s.unapproved(ctx, who, cf); err != nil || changes == nil {
				return cmp.Or(err, core.Conflict("Nothing changed since the pack was approved: share it with the CPS."))
			}
		}
		var outstanding []string
		switch purpose {
		case PurposeEarlyAdvice:
			in.Submission = charging.Submission{}
		case PurposeCharging:
			if err := in.Check(); err != nil {
				return err
			}
		default:
			return core.Invalid("purpose", "Select what the pack asks the CPS for: early advice or a charging decision")
		}
		if purpose == PurposeCharging {
			items, err := s.items(ctx, cf.ID)
			if err != nil {
				return err
			}
			var missing []string
			for _, it := range items {
				if it.Required && (it.Stage == StageEIA || it.Stage == StagePreCharge) && !it.Status.done() {
					missing = append(missing, it.Text)
				}
			}
			if in.Test == charging.Threshold {
				outstanding, missing = missing, nil
			}
			if len(missing) > 0 {
				msg := core.IDString(int64(len(missing))) + " required early-advice or pre-charge items are not done, and a charging decision needs them all: " + strings.Join(missing[:min(3, len(missing))], "; ")
				if len(missing) > 3 {
					msg += "; …"
				}
				return &core.Error{Code: core.ECONFLICT, Field: "purpose", Message: msg + ". Ask for early advice or a Threshold Test decision instead, or finish them first."}
			}
		}
		var last int
		if err := s.d.DB.Conn(ctx).Model(&PackSubmission{}).Select("COALESCE(MAX(number), 0)").Where("case_id = ?", cf.ID).Scan(&last).Error; err != nil {
			return core.DBError(err)
		}
		now := s.d.Now()
		snap, err := s.snapshot(ctx, cf, last+1, purpose, who, now)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(snap)
		cf.CPSPurpose = purpose // what the pack in play asks of the CPS
		sub = PackSubmission{CaseID: cf.ID, Number: last + 1, Purpose: purpose, Snapshot: string(snap), ManifestSHA256: hex.EncodeToString(sum[:]),
			Status: SubmissionSubmitted, SubmittedBy: who.UserID, SubmittedAt: now,
			Category: in.Category, Test: in.Test, Outstanding: strings.Join(outstanding, "\n")}
		if err := s.d.DB.Conn(ctx).Create(&sub).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return core.Conflict("Someone submitted this pack at the same moment.")
			}
			return core.DBError(err)
		}
		if err := s.setPackStatus(ctx, who, cf, moveSubmit, sub.Number, "Pack "+core.IDString(int64(sub.Number))+" submitted for "+strings.ToLower(purpose.Label()),
			in.Describe(outstanding)+"Manifest SHA-256 "+sub.ManifestSHA256); err != nil {
			return err
		}
		approvers, err := s.approversOf(ctx, cf)
		if err != nil {
			return err
		}
		if err := s.notifyEach(ctx, approvers, who.UserID, NoticeCasePack, "A case file pack is waiting for your sign-off.", packLink(cf.ID),
			core.Subject(core.SubjectPack, sub.ID)); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.submit", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"submission": core.IDString(int64(sub.Number)), "purpose": string(purpose), "manifest_sha256": sub.ManifestSHA256,
				"dg6_category": string(sub.Category), "test": string(sub.Test), "outstanding": core.IDString(int64(len(outstanding)))}})
	})
	if err != nil {
		return SubmissionView{}, err
	}
	return s.submissionView(ctx, sub)
}

func (s *Service) submissionView(ctx context.Context, sub PackSubmission) (SubmissionView, error) {
	var decided int64
	if sub.DecidedBy != nil {
		decided = *sub.DecidedBy
	}
	names, err := s.userNames(ctx, sub.SubmittedBy, decided)
	if err != nil {
		return SubmissionView{}, err
	}
	v := SubmissionView{PackSubmission: sub, SubmittedByName: names[sub.SubmittedBy], DecidedByName: names[decided],
		PurposeLabel: sub.Purpose.Label(), StatusLabel: sub.Status.Label()}
	if sub.Outstanding != "" {
		v.OutstandingList = strings.Split(sub.Outstanding, "\n")
	}
	return v, nil
}

// latestSubmission is the case's newest submission in one of statuses.
func (s *Service) latestSubmission(ctx context.Context, caseID int64, statuses ...SubmissionStatus) (*PackSubmission, error) {
	var sub PackSubmission
	err := s.d.DB.Conn(ctx).Where("case_id = ? AND status IN ?", caseID, statuses).Order("number DESC").Take(&sub).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, core.DBError(err)
	}
	return &sub, nil
}

// Approve signs off the pack with the supervisor. The supervisor who approves cannot be the
// person who submitted it (the policy's four eyes: "!submitter"). Supervisors of the owning organisation may call it. Errors:
// ENOTFOUND, EFORBIDDEN, ECONFLICT.
func (s *Service) Approve(ctx context.Context, who core.Actor, id int64) (SubmissionView, error) {
	return s.decide(ctx, who, id, moveApprove, "")
}

// Return sends the pack back to the team with the supervisor's reasons. Supervisors of the
// owning organisation may call it. Errors: ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) Return(ctx context.Context, who core.Actor, id int64, reason string) (SubmissionView, error) {
	return s.decide(ctx, who, id, moveReturn, reason)
}

func (s *Service) decide(ctx context.Context, who core.Actor, id int64, m move, reason string) (SubmissionView, error) {
	var sub *PackSubmission
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		act := policies.ActApprove
		if m == moveReturn {
			act = policies.ActReturn
		}
		cf, err := s.load(ctx, who, id, act, true)
		if err != nil {
			return err
		}
		if err := s.checkMove(cf, m); err != nil {
			return err
		}
		if sub, err = s.latestSubmission(ctx, cf.ID, SubmissionSubmitted); err != nil {
			return err
		}
		if sub == nil {
			return core.Conflict("There is no submitted pack to decide on.")
		}
		status, summary := SubmissionApproved, "Pack "+core.IDString(int64(sub.Number))+" approved by the supervisor"
		if m == moveReturn {
			if err := core.CheckText("reason", &reason, 4000, true, "Say why the pack is returned and what the team must do", "The reason"); err != nil {
				return err
			}
			status, summary = SubmissionReturned, "Pack "+core.IDString(int64(sub.Number))+" returned by the supervisor"
		}
		now := s.d.Now()
		sub.Status, sub.DecidedBy, sub.DecidedAt, sub.DecisionReason = status, &who.UserID, &now, reason
		if err := s.d.DB.Conn(ctx).Model(sub).Select("status", "decided_by", "decided_at", "decision_reason").Updates(sub).Error; err != nil {
			return core.DBError(err)
		}
		if err := s.setPackStatus(ctx, who, cf, m, sub.Number, summary, reason); err != nil {
			return err
		}
		// The sign-off asked of every supervisor is done, whoever decided.
		if err := core.CloseSubject(ctx, s.d, core.Subject(core.SubjectPack, sub.ID), who.UserID); err != nil {
			return err
		}
		text := "A case file pack you work on was approved by the supervisor: it can now be shared with the CPS."
		if m == moveReturn {
			text = "A case file pack you work on was returned by the supervisor: read the reasons on the pack page, then submit it again."
		}
		if err := s.tellTeam(ctx, who, cf, NoticeCasePack, text, ""); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile." + string(m), ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"submission": core.IDString(int64(sub.Number)), "manifest_sha256": sub.ManifestSHA256}})
	})
	if err != nil {
		return SubmissionView{}, err
	}
	return s.submissionView(ctx, *sub)
}

// Submissions lists a case's submissions, newest first. Anyone who may read the case may call
// it (an audited read). Errors: ENOTFOUND.
func (s *Service) Submissions(ctx context.Context, who core.Actor, id int64) ([]SubmissionView, error) {
	var subs []PackSubmission
	err := s.readPart(ctx, who, id, "submissions", func(ctx context.Context, cf *CaseFile, obj policies.Object) error {
		rd, err := s.readingOf(ctx, who, cf, obj)
		if err == nil {
			err = core.DBError(s.d.DB.Conn(ctx).Where("case_id = ?", cf.ID).Order("number DESC").Find(&subs).Error)
		}
		subs = slices.DeleteFunc(subs, func(sub PackSubmission) bool { return !rd.readable(sub) })
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]SubmissionView, 0, len(subs))
	for _, sub := range subs {
		v, err := s.submissionView(ctx, sub)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// SubmissionSnapshot returns submission number's frozen snapshot, byte for byte as hashed.
// Anyone who may read the case may call it (an audited read), but only those who may read every
// schedule entry it holds. Errors: ENOTFOUND, EFORBIDDEN.
func (s *Service) SubmissionSnapshot(ctx context.Context, who core.Actor, id int64, number int) (SubmissionView, []byte, error) {
	var sub PackSubmission
	err := s.readPart(ctx, who, id, "submission "+core.IDString(int64(number)), func(ctx context.Context, cf *CaseFile, obj policies.Object) (err error) {
		if sub, err = s.readableSubmission(ctx, who, cf, obj, number); err != nil {
			return err
		}
		if ok, err := s.readsSnapshot(ctx, who, obj, cf, sub); err != nil || !ok {
			return cmp.Or(err, core.Forbidden("This snapshot holds schedule entries restricted to the disclosure officer, the officer in the case, supervisors and the prosecutor."))
		}
		return nil
	})
	if err != nil {
		return SubmissionView{}, nil, err
	}
	v, err := s.submissionView(ctx, sub)
	return v, []byte(sub.Snapshot), err
}

// readsSnapshot says whether who may read every schedule entry sub's snapshot holds: its bytes
// are hashed whole, so a snapshot is read whole or not at all.
func (s *Service) readsSnapshot(ctx context.Context, who core.Actor, obj policies.Object, cf *CaseFile, sub PackSubmission) (bool, error) {
	var snap struct {
		Schedules []snapEntry `json:"schedules"`
	}
	if err := json.Unmarshal([]byte(sub.Snapshot), &snap); err != nil {
		return false, core.Internal(err)
	}
	for _, e := range snap.Schedules {
		level, _ := policies.ParseLevel(e.Marking) // Unmarked in a snapshot taken before entries had markings
		if ok, err := s.mayEntry(ctx, who, obj, cf, DisclosureEntry{Schedule: e.Schedule, Classification: level}, policies.ActRead); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// caseShare is one share of a pack with a CPS liaison.
type caseShare struct {
	ID           int64
	CaseID       int64
	SubmissionID int64
	LiaisonID    int64
	LiaisonOrgID int64
	SharedBy     int64
	SharedAt     time.Time
	ExpiresAt    time.Time
	RevokedBy    *int64
	RevokedAt    *time.Time
	// ExpiryRecordedAt is when ExpireShares recorded that the share ran out.
	ExpiryRecordedAt *time.Time
}

func (caseShare) TableName() string { return "case_shares" }

// ShareView is a share as pages show it.
type ShareView struct {
	ID           int64      `json:"id"`
	Submission   int        `json:"submission"`
	LiaisonID    int64      `json:"liaison_id"`
	Liaison      string     `json:"liaison"`
	Organisation string     `json:"organisation"`
	SharedBy     string     `json:"shared_by"`
	SharedAt     time.Time  `json:"shared_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	RevokedBy    string     `json:"revoked_by,omitempty"`
	Live         bool       `json:"live"`
	// SupersededBy is the number of a later approved pack than the one shared (0 when none):
	// the liaison reads the older one until that is shared with them.
	SupersededBy int `json:"superseded_by,omitempty"`
}

// LastDay is the last day the liaison may see the pack, in UK time: the share ends at the end
// of it (ExpiresAt is the midnight that follows).
func (v ShareView) LastDay() time.Time {
	return v.ExpiresAt.In(core.London).Add(-time.Nanosecond)
}

// ShareInput chooses the CPS liaison and the last day the share lasts.
type ShareInput struct {
	LiaisonID int64      `json:"liaison_id"`
	ExpiresOn *time.Time `json:"expires_on"` // the share ends at the end of this day, UK time
}

// Share shares the approved pack with a CPS liaison of a CPS organisation until the end of the
// chosen day. Sharing the pack that was just approved sends the case to the CPS for its
// purpose; sharing again later adds a liaison or renews a share (the earlier share with the
// same liaison ends). Every current exhibit records the share on its continuity record.
// Supervisors of the owning organisation may call it. Errors: ENOTFOUND, EFORBIDDEN, EINVALID,
// ECONFLICT.
func (s *Service) Share(ctx context.Context, who core.Actor, id int64, in ShareInput) (ShareView, error) {
	var shareID int64
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.load(ctx, who, id, policies.ActShare, true)
		if err != nil {
			return err
		}
		if err := s.checkMove(cf, moveShare); err != nil {
			return err
		}
		sub, err := s.latestSubmission(ctx, cf.ID, SubmissionApproved)
		if err != nil {
			return err
		}
		if sub == nil {
			if voided, err := s.latestSubmission(ctx, cf.ID, SubmissionVoided); err != nil {
				return err
			} else if voided != nil {
				return core.Conflict("The file changed after pack " + core.IDString(int64(voided.Number)) + " was approved, so that approval is void: submit the pack again and have it approved before sharing it.")
			}
			return core.Conflict("There is no approved pack to share.")
		}
		liaisons, err := s.peopleWithRole(ctx, policies.RoleCPSLiaison, core.KindCPS, 0)
		if err != nil {
			return err
		}
		var p core.Problems
		i := slices.IndexFunc(liaisons, func(p Person) bool { return p.ID == in.LiaisonID })
		if i < 0 {
			p.Add("liaison_id", "Select a CPS liaison of a CPS organisation")
		}
		now := s.d.Now()
		uk := now.In(core.London)
		today := time.Date(uk.Year(), uk.Month(), uk.Day(), 0, 0, 0, 0, time.UTC)
		var day time.Time
		if in.ExpiresOn == nil {
			p.Add("expires_on", "Enter the last day the CPS liaison may see the pack")
		} else if day = dateOnly(*in.ExpiresOn); day.Before(today) {
			p.Add("expires_on", "The last day must be today or later")
		} else if day.After(today.AddDate(1, 0, 0)) {
			p.Add("expires_on", "A share can last at most a year: choose an earlier last day, and renew it if needed")
		}
		if err := p.Err(); err != nil {
			return err
		}
		liaison := liaisons[i]
		expires := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, core.London).AddDate(0, 0, 1).UTC()
		var org int64
		if err := s.d.DB.Conn(ctx).Table("users").Select("organisation_id").Where("id = ?", liaison.ID).Scan(&org).Error; err != nil {
			return core.DBError(err)
		}
		err = s.d.DB.Conn(ctx).Model(&caseShare{}).Where("case_id = ? AND liaison_id = ? AND revoked_at IS NULL AND expires_at > ?", cf.ID, liaison.ID, now).
			Updates(map[string]any{"revoked_at": now, "revoked_by": who.UserID}).Error
		if err != nil {
			return core.DBError(err)
		}
		if err := s.closeSharesOf(ctx, cf.ID, liaison.ID, who.UserID); err != nil { // a renewal replaces them
			return err
		}
		sh := caseShare{CaseID: cf.ID, SubmissionID: sub.ID, LiaisonID: liaison.ID, LiaisonOrgID: org, SharedBy: who.UserID, SharedAt: now, ExpiresAt: expires}
		if err := s.d.DB.Conn(ctx).Create(&sh).Error; err != nil {
			return core.DBError(err)
		}
		shareID = sh.ID
		if err := core.NotifySubject(ctx, s.d, liaison.ID, NoticeCaseCPS, "A police case file pack has been shared with you until the end of "+day.Format("2 January 2006")+".",
			"/casefiles/"+core.IDString(cf.ID), core.Subject(core.SubjectShare, sh.ID)); err != nil {
			return err
		}
		summary := "Pack " + core.IDString(int64(sub.Number)) + " shared with " + liaison.Name + " (" + liaison.Organisation + ")"
		if err := s.setPackStatus(ctx, who, cf, moveShare, sub.Number, summary, "Until the end of "+day.Format("2 January 2006")); err != nil {
			return err
		}
		evidence, err := s.evidenceViews(ctx, cf.ID, nil)
		if err != nil {
			return err
		}
		for _, e := range evidence {
			if e.Current() {
				if err := s.custody(ctx, who, e.ID, cf.ID, "shared", "Shared with "+liaison.Name+" ("+liaison.Organisation+") in pack "+core.IDString(int64(sub.Number))); err != nil {
					return err
				}
			}
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.share", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"liaison": core.IDString(liaison.ID), "submission": core.IDString(int64(sub.Number)), "expires_at": expires.Format(time.RFC3339)}})
	})
	if err != nil {
		return ShareView{}, err
	}
	shares, err := s.shares(ctx, id, 0)
	if err != nil {
		return ShareView{}, err
	}
	for _, sh := range shares {
		if sh.ID == shareID {
			return sh, nil
		}
	}
	return ShareView{}, core.Internal(errors.New("share not found after creating it"))
}

// RevokeShare ends a share at once: the CPS liaison no longer sees the case. Supervisors of the
// owning organisation may call it. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT (already revoked).
func (s *Service) RevokeShare(ctx context.Context, who core.Actor, id, shareID int64) error {
	return s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.load(ctx, who, id, policies.ActShare, true)
		if err != nil {
			return err
		}
		var sh caseShare
		err = s.d.DB.Conn(ctx).Where("id = ? AND case_id = ?", shareID, cf.ID).Take(&sh).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return core.NotFound("Share not found")
		}
		if err != nil {
			return core.DBError(err)
		}
		if sh.RevokedAt != nil {
			return core.Conflict("This share has already been revoked.")
		}
		now := s.d.Now()
		if err := s.d.DB.Conn(ctx).Model(&sh).Updates(map[string]any{"revoked_at": now, "revoked_by": who.UserID}).Error; err != nil {
			return core.DBError(err)
		}
		names, err := s.userNames(ctx, sh.LiaisonID)
		if err != nil {
			return err
		}
		var number int
		if err := s.d.DB.Conn(ctx).Table("pack_submissions").Select("number").Where("id = ?", sh.SubmissionID).Scan(&number).Error; err != nil {
			return core.DBError(err)
		}
		if err := s.packEvent(ctx, who, cf.ID, number, "share", "Share with "+names[sh.LiaisonID]+" revoked", ""); err != nil {
			return err
		}
		if err := core.CloseSubject(ctx, s.d, core.Subject(core.SubjectShare, sh.ID), who.UserID); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.share_revoke", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"share": core.IDString(sh.ID), "liaison": core.IDString(sh.LiaisonID)}})
	})
}

// Shares lists a case's shares, newest first: all of them for the team and supervisors, a CPS
// liaison's own for a liaison. Anyone who may read the case may call it (an audited read).
// Errors: ENOTFOUND.
func (s *Service) Shares(ctx context.Context, who core.Actor, id int64) ([]ShareView, error) {
	var out []ShareView
	err := s.readPart(ctx, who, id, "shares", func(ctx context.Context, cf *CaseFile, obj policies.Object) (err error) {
		only := who.UserID
		if s.d.Authz.Can(ctx, who.Subject(), policies.ActShare, obj) == nil || s.d.Authz.Can(ctx, who.Subject(), policies.ActUpdate, obj) == nil {
			only = 0
		}
		out, err = s.shares(ctx, cf.ID, only)
		return err
	})
	return out, err
}

func (s *Service) shares(ctx context.Context, caseID, liaison int64) ([]ShareView, error) {
	var rows []struct {
		ID           int64
		Number       int
		LiaisonID    int64
		Liaison      string
		Organisation string
		SharedBy     string
		SharedAt     time.Time
		ExpiresAt    time.Time
		RevokedAt    *time.Time
		RevokedBy    string
	}
	q := s.d.DB.Conn(ctx).Table("case_shares sh").
		Select("sh.id, p.number, sh.liaison_id, l.name AS liaison, o.name AS organisation, b.name AS shared_by, sh.shared_at, sh.expires_at, sh.revoked_at, COALESCE(r.name, '') AS revoked_by").
		Joins("JOIN pack_submissions p ON p.id = sh.submission_id").
		Joins("JOIN users l ON l.id = sh.liaison_id").
		Joins("JOIN organisations o ON o.id = sh.liaison_org_id").
		Joins("JOIN users b ON b.id = sh.shared_by").
		Joins("LEFT JOIN users r ON r.id = sh.revoked_by").
		Where("sh.case_id = ?", caseID)
	if liaison != 0 {
		q = q.Where("sh.liaison_id = ?", liaison)
	}
	if err := q.Order("sh.id DESC").Scan(&rows).Error; err != nil {
		return nil, core.DBError(err)
	}
	now := s.d.Now()
	out := make([]ShareView, 0, len(rows))
	for _, r := range rows {
		v := ShareView{ID: r.ID, Submission: r.Number, LiaisonID: r.LiaisonID, Liaison: r.Liaison, Organisation: r.Organisation,
			SharedBy: r.SharedBy, SharedAt: r.SharedAt, ExpiresAt: r.ExpiresAt, RevokedAt: r.RevokedAt, RevokedBy: r.RevokedBy,
			Live: r.RevokedAt == nil && r.ExpiresAt.After(now)}
		var err error
		if v.SupersededBy, err = s.supersededBy(ctx, caseID, r.Number); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ActionKind says what a CPS entry is.
type ActionKind string

// CPS entry kinds.
const (
	KindAdvice   ActionKind = "advice"   // early advice
	KindDecision ActionKind = "decision" // a charging decision, or administrative finalisation
	KindAction   ActionKind = "action"   // an action-plan item the team answers
)

// Decision is a charging decision (DOMAIN.md §A1).
type Decision string

// Charging decisions, and administrative finalisation (a closure, not a decision).
const (
	DecisionCharge          Decision = "charge"
	DecisionNFA             Decision = "no_further_action"
	DecisionFurtherEvidence Decision = "further_evidence"
	DecisionFinalised       Decision = "administratively_finalised"
)

// Decisions lists the charging decisions a liaison may record.
func Decisions() []Decision { return []Decision{DecisionCharge, DecisionNFA, DecisionFurtherEvidence} }

// Label is the decision as pages show it.
func (d Decision) Label() string {
	switch d {
	case DecisionCharge:
		return "Charge"
	case DecisionNFA:
		return "No further action"
	case DecisionFurtherEvidence:
		return "Further evidence needed"
	case DecisionFinalised:
		return "Administratively finalised"
	}
	return string(d)
}

// CPSAction is a CPS entry on a case: advice, a decision, or an action-plan item with its due
// date and the team's answer.
type CPSAction struct {
	ID          int64      `json:"id"`
	CaseID      int64      `json:"case_id"`
	Kind        ActionKind `json:"kind"`
	Decision    Decision   `json:"decision,omitempty"`
	Text        string     `json:"text"`
	DueOn       *time.Time `json:"due_on,omitempty"`
	ItemID      *int64     `json:"item_id,omitempty"`
	CreatedBy   int64      `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	Response    string     `json:"response,omitempty"`
	RespondedBy *int64     `json:"responded_by,omitempty"`
	RespondedAt *time.Time `json:"responded_at,omitempty"`
	// When the team was reminded that the item falls due, and that it is overdue
	// (RemindDueActions).
	DueRemindedAt     *time.Time `json:"-"`
	OverdueRemindedAt *time.Time `json:"-"`
	// A charging decision's test (with the date a Threshold Test decision must be reviewed by)
	// and, for no further action, its basis.
	Test     charging.Test  `json:"test,omitempty" gorm:"column:charging_test"`
	ReviewOn *time.Time     `json:"review_on,omitempty"`
	Basis    charging.Basis `json:"nfa_basis,omitempty" gorm:"column:nfa_basis"`
}

// TableName is the table of CPS entries.
func (CPSAction) TableName() string { return "cps_actions" }

// ActionView is a CPS entry with names and labels.
type ActionView struct {
	CPSAction
	CreatedByName   string            `json:"created_by_name"`
	RespondedByName string            `json:"responded_by_name,omitempty"`
	ItemText        string            `json:"item_text,omitempty"`
	DecisionLabel   string            `json:"decision_label,omitempty"`
	Open            bool              `json:"open"`
	Overdue         bool              `json:"overdue"`
	Charges         []charging.Charge `json:"charges,omitempty"` // of a decision to charge
}

// ActionInput is an action-plan item: what the team must do, by when, and the checklist item it
// concerns, if any.
type ActionInput struct {
	Text   string     `json:"text"`
	DueOn  *time.Time `json:"due_on"`
	ItemID int64      `json:"item_id"`
}

// raiseAction adds an action-plan item in the transaction in ctx; the case moves to its action
// plan.
func (s *Service) raiseAction(ctx context.Context, who core.Actor, cf *CaseFile, in ActionInput) (CPSAction, error) {
	if err := s.checkMove(cf, moveAction); err != nil {
		return CPSAction{}, err
	}
	if err := core.CheckText("text", &in.Text, 4000, true, "Say what the team must do", "The action"); err != nil {
		return CPSAction{}, err
	}
	if in.DueOn != nil {
		d := dateOnly(*in.DueOn)
		if d.Before(dateOnly(s.d.Now())) {
			return CPSAction{}, core.Invalid("due_on", "The date the action is due must be today or later")
		}
		in.DueOn = &d
	}
	a := CPSAction{CaseID: cf.ID, Kind: KindAction, Text: in.Text, DueOn: in.DueOn, CreatedBy: who.UserID, CreatedAt: s.d.Now()}
	if in.ItemID != 0 {
		if _, err := s.item(ctx, cf.ID, in.ItemID); err != nil {
			return CPSAction{}, core.Invalid("item_id", "Select a checklist item of this case")
		}
		a.ItemID = &in.ItemID
	}
	if err := s.d.DB.Conn(ctx).Create(&a).Error; err != nil {
		return CPSAction{}, core.DBError(err)
	}
	details := a.Text
	text := "The CPS raised an action on a case file you work on: answer it on the pack page."
	if a.DueOn != nil {
		details += "\nDue " + a.DueOn.Format("2 January 2006")
		text = "The CPS raised an action on a case file you work on, due on " + a.DueOn.Format("2 January 2006") + ": answer it on the pack page."
	}
	if err := s.tellTeam(ctx, who, cf, NoticeCaseCPS, text, core.Subject(core.SubjectCPSAction, a.ID)); err != nil {
		return CPSAction{}, err
	}
	if err := s.closeSharesOf(ctx, cf.ID, who.UserID, who.UserID); err != nil {
		return CPSAction{}, err
	}
	return a, s.setStatus(ctx, who, cf, moveAction, "CPS action raised", details)
}

// RaiseAction adds an action-plan item for the team to answer; the case moves to its action
// plan. The CPS liaison holding a live share may call it. Errors: ENOTFOUND, EFORBIDDEN,
// EINVALID, ECONFLICT.
func (s *Service) RaiseAction(ctx context.Context, who core.Actor, id int64, in ActionInput) (CPSAction, error) {
	var a CPSAction
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.load(ctx, who, id, policies.ActAdvise, true)
		if err != nil {
			return err
		}
		if a, err = s.raiseAction(ctx, who, cf, in); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.action", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"action": core.IDString(a.ID)}})
	})
	return a, err
}

// RecordAdvice records the CPS's early advice; the case moves to advice returned. The CPS
// liaison holding a live share of a pack sent for early advice may call it. Errors: ENOTFOUND,
// EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) RecordAdvice(ctx context.Context, who core.Actor, id int64, text string) (CPSAction, error) {
	var a CPSAction
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.load(ctx, who, id, policies.ActAdvise, true)
		if err != nil {
			return err
		}
		if err := s.checkMove(cf, moveAdvise); err != nil {
			return err
		}
		if err := core.CheckText("text", &text, 10000, true, "Enter the advice: reasons, case strategy, weaknesses and likely defences, and what is needed next", "The advice"); err != nil {
			return err
		}
		a = CPSAction{CaseID: cf.ID, Kind: KindAdvice, Text: text, CreatedBy: who.UserID, CreatedAt: s.d.Now()}
		if err := s.d.DB.Conn(ctx).Create(&a).Error; err != nil {
			return core.DBError(err)
		}
		if err := s.setStatus(ctx, who, cf, moveAdvise, "CPS early advice returned", text); err != nil {
			return err
		}
		if err := s.tellTeam(ctx, who, cf, NoticeCaseCPS, "The CPS recorded early advice on a case file you work on.", ""); err != nil {
			return err
		}
		if err := s.closeSharesOf(ctx, cf.ID, who.UserID, who.UserID); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.advise", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess})
	})
	return a, err
}

// DecisionInput is a charging decision with its reasons: a charge names its test and the charges
// per suspect, no further action its basis; further evidence needed comes with the first action
// the team must take.
type DecisionInput struct {
	Decision  Decision   `json:"decision"`
	Reasons   string     `json:"reasons"`
	Action    string     `json:"action"`
	ActionDue *time.Time `json:"action_due_on"`
	charging.Terms
}

// RecordDecision records the CPS's charging decision: authorise a charge (the police then
// record it, RecordCharge), no further action, or further evidence needed (which raises an
// action). A Crown Prosecutor holding a live share of a pack sent for a charging decision may
// call it; other CPS liaisons are refused with the reason. Errors: ENOTFOUND, EFORBIDDEN,
// EINVALID, ECONFLICT.
func (s *Service) RecordDecision(ctx context.Context, who core.Actor, id int64, in DecisionInput) (CPSAction, error) {
	var a CPSAction
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.load(ctx, who, id, policies.ActDecide, true)
		if err != nil {
			return err
		}
		m := map[Decision]move{DecisionCharge: moveCharge, DecisionNFA: moveNFA, DecisionFurtherEvidence: moveFurther}[in.Decision]
		if m == "" {
			return core.Invalid("decision", "Select the charging decision")
		}
		if err := s.checkMove(cf, m); err != nil {
			return err
		}
		if a, err = s.decision(ctx, who, cf, m, &in); err != nil {
			return err
		}
		if m == moveFurther {
			if err := s.event(ctx, who, cf.ID, "decision", "CPS decision: further evidence needed", in.Reasons); err != nil {
				return err
			}
			if _, err := s.raiseAction(ctx, who, cf, ActionInput{Text: in.Action, DueOn: in.ActionDue}); err != nil {
				return err
			}
		} else if err := s.setStatus(ctx, who, cf, m, "CPS charging decision: "+in.Decision.Label(),
			in.Describe(func(o string) string { return Offence(o).Label() })+in.Reasons); err != nil {
			return err
		}
		text := "The CPS recorded a charging decision on a case file you work on."
		if m == moveCharge {
			text = "The CPS authorised a charge in its charging decision on a case file you work on: record the police charge on the pack page once the suspect is charged."
		}
		if err := s.tellTeam(ctx, who, cf, NoticeCaseCPS, text, ""); err != nil {
			return err
		}
		if err := s.closeSharesOf(ctx, cf.ID, who.UserID, who.UserID); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.decide", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"decision": string(in.Decision), "test": string(in.Test), "nfa_basis": string(in.Basis), "charges": core.IDString(int64(len(in.Charges)))}})
	})
	return a, err
}

// Finalise records that the CPS administratively finalised the case, because the police did not
// resubmit after advice or an action plan: a closure status, not a decision. The CPS liaison
// holding a live share may call it. Errors: ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) Finalise(ctx context.Context, who core.Actor, id int64, reason string) error {
	return s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.load(ctx, who, id, policies.ActAdvise, true)
		if err != nil {
			return err
		}
		if err := s.checkMove(cf, moveFinalise); err != nil {
			return err
		}
		if err := core.CheckText("reason", &reason, 4000, true, "Say why the case is administratively finalised", "The reason"); err != nil {
			return err
		}
		a := CPSAction{CaseID: cf.ID, Kind: KindDecision, Decision: DecisionFinalised, Text: reason, CreatedBy: who.UserID, CreatedAt: s.d.Now()}
		if err := s.d.DB.Conn(ctx).Create(&a).Error; err != nil {
			return core.DBError(err)
		}
		if err := s.setStatus(ctx, who, cf, moveFinalise, "CPS administratively finalised the case", reason); err != nil {
			return err
		}
		if err := s.tellTeam(ctx, who, cf, NoticeCaseCPS, "The CPS administratively finalised a case file you work on.", ""); err != nil {
			return err
		}
		if err := s.closeSharesOf(ctx, cf.ID, who.UserID, who.UserID); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.finalise", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess})
	})
}

// AnswerAction records the team's answer to a CPS action-plan item. The team may call it.
// Errors: ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT (already answered, or the status allows no
// answer).
func (s *Service) AnswerAction(ctx context.Context, who core.Actor, id, actionID int64, response string) (CPSAction, error) {
	var a CPSAction
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.load(ctx, who, id, policies.ActRespond, true)
		if err != nil {
			return err
		}
		if err := s.checkMove(cf, moveAnswer); err != nil {
			return err
		}
		err = s.d.DB.Conn(ctx).Where("id = ? AND case_id = ? AND kind = ?", actionID, cf.ID, KindAction).Take(&a).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return core.NotFound("CPS action not found")
		}
		if err != nil {
			return core.DBError(err)
		}
		if a.RespondedAt != nil {
			return core.Conflict("This action has already been answered.")
		}
		if err := core.CheckText("response", &response, 10000, true, "Say what was done, and which exhibits answer it", "The answer"); err != nil {
			return err
		}
		now := s.d.Now()
		a.Response, a.RespondedBy, a.RespondedAt = response, &who.UserID, &now
		if err := s.d.DB.Conn(ctx).Model(&a).Select("response", "responded_by", "responded_at").Updates(&a).Error; err != nil {
			return core.DBError(err)
		}
		cf.UpdatedAt = now
		if err := s.d.DB.Conn(ctx).Model(cf).Update("updated_at", now).Error; err != nil {
			return core.DBError(err)
		}
		if err := s.event(ctx, who, cf.ID, "answer", "CPS action answered", response); err != nil {
			return err
		}
		if err := core.CloseSubject(ctx, s.d, core.Subject(core.SubjectCPSAction, a.ID), who.UserID); err != nil {
			return err
		}
		liaisons, err := s.liaisonsOf(ctx, cf.ID)
		if err != nil {
			return err
		}
		if err := s.notifyEach(ctx, liaisons, who.UserID, NoticeCaseCPS, "The police team answered a CPS action on a case file shared with you.",
			"/casefiles/"+core.IDString(cf.ID), ""); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.respond", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"action": core.IDString(a.ID)}})
	})
	return a, err
}

// ActionPage is a page of a case's CPS entries and where it stands in the whole.
type ActionPage struct {
	Actions []ActionView `json:"actions"`
	core.Pages
}

// Actions lists a page of a case's CPS entries, newest first: limit of them (50 unless 1 to 200)
// after the cursor after ("" for the newest), with how many there are in all. Anyone who may
// read the case may call it (an audited read). Errors: ENOTFOUND, EINVALID (a damaged cursor).
func (s *Service) Actions(ctx context.Context, who core.Actor, id int64, after string, limit int) (ActionPage, error) {
	return readValue(ctx, s, who, id, "actions", func(ctx context.Context, cf *CaseFile) (ActionPage, error) {
		q := s.d.DB.Conn(ctx).Model(&CPSAction{}).Select("id").Where("case_id = ?", cf.ID)
		ids, pg, err := core.ReadPage(q, "", "id", true, after, core.PageLimit(limit, 200, 50), nil, core.IDCursor)
		out := ActionPage{Actions: []ActionView{}, Pages: pg}
		if err == nil && len(ids) > 0 {
			out.Actions, err = s.actions(ctx, cf.ID, ids)
		}
		return out, err
	})
}

// actions reads a case's CPS entries with names and labels, newest first: those of ids, or all
// of them when ids is nil.
func (s *Service) actions(ctx context.Context, caseID int64, ids []int64) ([]ActionView, error) {
	var rows []struct {
		CPSAction
		CreatedByName   string
		RespondedByName string
		ItemText        string
	}
	q := s.d.DB.Conn(ctx).Table("cps_actions a").
		Select("a.*, COALESCE(c.name, '') AS created_by_name, COALESCE(r.name, '') AS responded_by_name, COALESCE(ti.text, '') AS item_text").
		Joins("LEFT JOIN users c ON c.id = a.created_by").
		Joins("LEFT JOIN users r ON r.id = a.responded_by").
		Joins("LEFT JOIN checklist_items ci ON ci.id = a.item_id").
		Joins("LEFT JOIN template_items ti ON ti.id = ci.template_item_id").
		Where("a.case_id = ?", caseID)
	if ids != nil {
		q = q.Where("a.id IN ?", ids)
	}
	err := q.Order("a.id DESC").Scan(&rows).Error
	if err != nil {
		return nil, core.DBError(err)
	}
	today := dateOnly(s.d.Now())
	out := make([]ActionView, 0, len(rows))
	for _, r := range rows {
		v := ActionView{CPSAction: r.CPSAction, CreatedByName: r.CreatedByName, RespondedByName: r.RespondedByName, ItemText: r.ItemText}
		if v.Decision != "" {
			v.DecisionLabel = v.Decision.Label()
		}
		v.Open = v.Kind == KindAction && v.RespondedAt == nil
		v.Overdue = v.Open && v.DueOn != nil && v.DueOn.Before(today)
		if v.Decision == DecisionCharge {
			if v.Charges, err = s.charges(ctx, v.ID); err != nil {
				return nil, err
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// Close closes a case that is charged (once its proceedings are over: OnClose), not proceeded with or administratively finalised.
// Supervisors of the owning organisation may call it. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT.
func (s *Service) Close(ctx context.Context, who core.Actor, id int64) error {
	return s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.load(ctx, who, id, policies.ActClose, true)
		if err != nil {
			return err
		}
		if err := s.closeCheck(ctx, cf.ID); err != nil {
			return err
		}
		if err := s.setStatus(ctx, who, cf, moveClose, "Case file closed", ""); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.close", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess})
	})
}
