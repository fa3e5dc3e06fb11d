package casefile

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// What the CPS reads (issue 13 item 1): a CPS liaison never reads the live file, only the
// approved submission their share points to, on every page, API route and export. The team's
// changes after an approval wait, shown as changed since approval, until a new submission is
// approved and shared.

// reading is the approved submission an actor reads instead of the live file.
type reading struct {
	sub  PackSubmission
	snap packSnapshot
}

// readingOf is what who reads of cf: nil for the live file; for someone who may read the case
// only through a CPS share (the policy's "share" relation and nothing else), the submission
// their live share points to.
func (s *Service) readingOf(ctx context.Context, who core.Actor, cf *CaseFile, obj policies.Object) (*reading, error) {
	if !obj.Has(policies.RelShare) {
		return nil, nil
	}
	o := obj
	o.Type, o.Rel = "casefile", obj.Rel&^policies.RelShare
	if s.d.Authz.Can(ctx, who.Subject(), policies.ActRead, o) == nil {
		return nil, nil // on the team or overseeing it as well
	}
	var subID int64
	err := s.d.DB.Conn(ctx).Table("case_shares").Select("submission_id").Order("id DESC").Limit(1).
		Where("case_id = ? AND liaison_id = ? AND revoked_at IS NULL AND expires_at > ?", cf.ID, who.UserID, s.d.Now()).Scan(&subID).Error
	if err != nil {
		return nil, core.DBError(err)
	}
	r := &reading{}
	if err := s.d.DB.Conn(ctx).Take(&r.sub, subID).Error; err != nil {
		return nil, core.DBError(err)
	}
	if err := json.Unmarshal([]byte(r.sub.Snapshot), &r.snap); err != nil {
		return nil, core.Internal(err)
	}
	return r, nil
}

// readFrozen is readValue for a part of the file that a reader through a share sees as the
// approved pack held it: live reads the file, frozen keeps what the pack held of it.
func readFrozen[T any](ctx context.Context, s *Service, who core.Actor, id int64, part string, live func(ctx context.Context, cf *CaseFile) (T, error), frozen func(*reading, T) T) (T, error) {
	var out T
	err := s.readPart(ctx, who, id, part, func(ctx context.Context, cf *CaseFile, obj policies.Object) (err error) {
		if out, err = live(ctx, cf); err != nil {
			return err
		}
		rd, err := s.readingOf(ctx, who, cf, obj)
		if rd != nil {
			out = frozen(rd, out)
		}
		return err
	})
	return out, err
}

// exhibitIDs maps the pack's exhibit references to their ids.
func (r *reading) exhibitIDs() map[string]int64 {
	ids := map[string]int64{}
	for _, e := range r.snap.Evidence {
		ids[e.ExhibitRef] = e.ID
	}
	return ids
}

// items keeps the pack's items as they were: status, reasons, notes and exhibits. A verdict the
// CPS gave after the submission is the CPS's own, and shows.
func (r *reading) items(live []ItemView) []ItemView {
	ids := r.exhibitIDs()
	out := []ItemView{}
	for _, it := range live {
		i := slices.IndexFunc(r.snap.Items, func(si snapItem) bool { return si.ID == it.ID })
		if i < 0 {
			continue // added after the submission
		}
		si := r.snap.Items[i]
		verdict := (it.Status == ItemAccepted || it.Status == ItemRejected) && it.CPSDecidedAt != nil && it.CPSDecidedAt.After(r.sub.SubmittedAt)
		if !verdict {
			it.Status, it.CPSReason = ItemStatus(si.Status), si.CPSReason
		}
		it.NAReason, it.Notes, it.StatusLabel, it.Evidence = si.NAReason, si.Notes, it.Status.Label(), []EvidenceRef{}
		for _, ref := range si.Exhibits {
			it.Evidence = append(it.Evidence, EvidenceRef{ID: ids[ref], ExhibitRef: ref})
		}
		out = append(out, it)
	}
	return out
}

// evidence keeps the pack's exhibits, with their corrections and items as they were.
func (r *reading) evidence(live []EvidenceView) []EvidenceView {
	ids := r.exhibitIDs()
	out := []EvidenceView{}
	for _, se := range r.snap.Evidence {
		i := slices.IndexFunc(live, func(e EvidenceView) bool { return e.ID == se.ID })
		if i < 0 {
			continue
		}
		e := live[i]
		e.SupersedesRef, e.SupersededByRef, e.SupersededByID, e.Items = se.Supersedes, se.SupersededBy, nil, []ItemBrief{}
		if se.SupersededBy != "" {
			by := ids[se.SupersededBy]
			e.SupersededByID = &by
		}
		for _, si := range r.snap.Items {
			if slices.Contains(si.Exhibits, se.ExhibitRef) {
				e.Items = append(e.Items, ItemBrief{ID: si.ID, Text: si.Text})
			}
		}
		out = append(out, e)
	}
	return out
}

// entries keeps the pack's schedule entries as they were. Entries keep their schedule and
// number, which find their rows.
func (r *reading) entries(live []DisclosureEntry) []DisclosureEntry {
	out := []DisclosureEntry{}
	for _, se := range r.snap.Schedules {
		i := slices.IndexFunc(live, func(e DisclosureEntry) bool { return e.Schedule == se.Schedule && e.Number == se.Number })
		if i < 0 {
			continue
		}
		e := live[i]
		e.Description, e.Location, e.OfficerView, e.Generic = se.Description, se.Location, se.OfficerView, GenericDescription(se.Description)
		if e.UpdatedAt.After(r.sub.SubmittedAt) {
			e.UpdatedAt = r.sub.SubmittedAt
		}
		out = append(out, e)
	}
	return out
}

// readable says whether a reader through a share may read sub: an approved pack no newer than
// the one shared with them.
func (r *reading) readable(sub PackSubmission) bool {
	return r == nil || (sub.Number <= r.sub.Number && (sub.Status == SubmissionApproved || sub.Status == SubmissionVoided))
}

// PackReading is the approved pack a CPS liaison reads, and the number of a later approved pack
// not yet shared with them (0 when none).
type PackReading struct {
	SubmissionView
	SupersededBy int `json:"superseded_by,omitempty"`
}

// lastApproved is the number of the case's newest approved submission, 0 when none.
func (s *Service) lastApproved(ctx context.Context, caseID int64) (int, error) {
	var n int
	err := s.d.DB.Conn(ctx).Model(&PackSubmission{}).Select("COALESCE(MAX(number), 0)").Where("case_id = ? AND status = ?", caseID, SubmissionApproved).Scan(&n).Error
	return n, core.DBError(err)
}

// PackChange is one difference between two packs.
type PackChange struct {
	Part   string `json:"part"`   // case, item, exhibit or schedule
	What   string `json:"what"`   // the item's text, the exhibit reference, "MG6C entry 3"
	Change string `json:"change"` // added, removed, "Outstanding → Provided", …
}

// PartLabel is the part as pages show it.
func (c PackChange) PartLabel() string {
	return map[string]string{"case": "Case details", "item": "Checklist item", "exhibit": "Exhibit", "schedule": "Schedule entry"}[c.Part]
}

// PackChanges is what changed from approved pack From to pack To, or to the file as it is now
// when To is 0. From is 0 when there is no earlier approved pack.
type PackChanges struct {
	From    int          `json:"from"`
	To      int          `json:"to,omitempty"`
	Changes []PackChange `json:"changes"`
}

// diffPacks lists what changed from pack a to pack b: the case's details, items' status and
// exhibits, exhibits added, removed or replaced, schedule entries added, removed or changed.
func diffPacks(a, b packSnapshot) []PackChange {
	out := []PackChange{}
	add := func(part, what, change string) { out = append(out, PackChange{Part: part, What: what, Change: change}) }
	ac, bc := a.Case, b.Case
	if ac.URN != bc.URN || ac.Operation != bc.Operation || ac.Classification != bc.Classification || !slices.Equal(ac.Offences, bc.Offences) ||
		ac.SuspectMayBeVictim != bc.SuspectMayBeVictim || ac.OrdersSought != bc.OrdersSought {
		add("case", bc.URN, "changed")
	}
	for _, it := range b.Items {
		i := slices.IndexFunc(a.Items, func(o snapItem) bool { return o.ID == it.ID })
		switch {
		case i < 0:
			add("item", it.Text, "added")
		case a.Items[i].Status != it.Status:
			add("item", it.Text, ItemStatus(a.Items[i].Status).Label()+" → "+ItemStatus(it.Status).Label())
		case !slices.Equal(a.Items[i].Exhibits, it.Exhibits):
			add("item", it.Text, "exhibits "+exhibitList(a.Items[i].Exhibits)+" → "+exhibitList(it.Exhibits))
		}
	}
	for _, it := range a.Items {
		if !slices.ContainsFunc(b.Items, func(n snapItem) bool { return n.ID == it.ID }) {
			add("item", it.Text, "removed")
		}
	}
	for _, e := range b.Evidence {
		switch {
		case slices.ContainsFunc(a.Evidence, func(o snapEvidence) bool { return o.ID == e.ID }):
		case e.Supersedes != "":
			add("exhibit", e.ExhibitRef, "added, replacing "+e.Supersedes)
		default:
			add("exhibit", e.ExhibitRef, "added")
		}
	}
	for _, e := range a.Evidence {
		if !slices.ContainsFunc(b.Evidence, func(n snapEvidence) bool { return n.ID == e.ID }) {
			add("exhibit", e.ExhibitRef, "removed")
		}
	}
	key := func(e snapEntry) string { return string(e.Schedule) + " entry " + core.IDString(int64(e.Number)) }
	for _, e := range b.Schedules {
		i := slices.IndexFunc(a.Schedules, func(o snapEntry) bool { return key(o) == key(e) })
		switch {
		case i < 0:
			add("schedule", key(e), "added")
		case a.Schedules[i] != e:
			add("schedule", key(e), "changed")
		}
	}
	for _, e := range a.Schedules {
		if !slices.ContainsFunc(b.Schedules, func(n snapEntry) bool { return key(n) == key(e) }) {
			add("schedule", key(e), "removed")
		}
	}
	return out
}

func exhibitList(refs []string) string {
	if len(refs) == 0 {
		return "none"
	}
	return strings.Join(refs, ", ")
}

// unapproved is what changed in the file since its newest approved pack, nil when nothing did
// (or nothing was approved): the changes that wait for a new submission.
func (s *Service) unapproved(ctx context.Context, who core.Actor, cf *CaseFile) (*PackChanges, error) {
	sub, err := s.latestSubmission(ctx, cf.ID, SubmissionApproved)
	if sub == nil || err != nil {
		return nil, err
	}
	var approved, now packSnapshot
	live, err := s.snapshot(ctx, cf, 0, "", who, s.d.Now())
	if err != nil {
		return nil, err
	}
	if err := errors.Join(json.Unmarshal([]byte(sub.Snapshot), &approved), json.Unmarshal(live, &now)); err != nil {
		return nil, core.Internal(err)
	}
	if changes := diffPacks(approved, now); len(changes) > 0 {
		return &PackChanges{From: sub.Number, Changes: changes}, nil
	}
	return nil, nil
}

// SubmissionChanges is what changed in submission number since the approved pack before it. A
// CPS liaison may ask only of approved packs up to the one shared with them. Anyone who may read
// the case may call it (an audited read). Errors: ENOTFOUND.
func (s *Service) SubmissionChanges(ctx context.Context, who core.Actor, id int64, number int) (PackChanges, error) {
	out := PackChanges{To: number, Changes: []PackChange{}}
	err := s.readPart(ctx, who, id, "changes "+core.IDString(int64(number)), func(ctx context.Context, cf *CaseFile, obj policies.Object) error {
		rd, err := s.readingOf(ctx, who, cf, obj)
		if err != nil {
			return err
		}
		var sub, prev PackSubmission
		err = s.d.DB.Conn(ctx).Where("case_id = ? AND number = ?", cf.ID, number).Take(&sub).Error
		if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && !rd.readable(sub)) {
			return core.NotFound("Submission not found")
		}
		if err != nil {
			return core.DBError(err)
		}
		err = s.d.DB.Conn(ctx).Where("case_id = ? AND number < ? AND status IN ?", cf.ID, number, []SubmissionStatus{SubmissionApproved, SubmissionVoided}).
			Order("number DESC").Take(&prev).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil // the first approved pack: nothing to compare with
		}
		if err != nil {
			return core.DBError(err)
		}
		var a, b packSnapshot
		if err := errors.Join(json.Unmarshal([]byte(prev.Snapshot), &a), json.Unmarshal([]byte(sub.Snapshot), &b)); err != nil {
			return core.Internal(err)
		}
		out.From, out.Changes = prev.Number, diffPacks(a, b)
		return nil
	})
	return out, err
}
