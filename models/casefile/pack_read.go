package casefile

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/msptp/msphub/models/casefile/packdiff"
	"github.com/msptp/msphub/models/casefile/schedule"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// reading is the approved submission an actor reads instead of the live file (issue 13): a CPS
// liaison reads only the pack their share points to, on every page, API route and export.
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
func readFrozen[T any](ctx context.Context, s *Service, who core.Actor, id int64, part string, live func(ctx context.Context, caseID int64) (T, error), frozen func(*reading, T) T) (T, error) {
	var out T
	err := s.readPart(ctx, who, id, part, func(ctx context.Context, cf *CaseFile, obj policies.Object) (err error) {
		if out, err = live(ctx, cf.ID); err != nil {
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

// items keeps the pack's items as they were: status, reasons, notes and exhibits. A CPS verdict
// (accepted or rejected, which only the CPS gives) is the CPS's own, and shows.
func (r *reading) items(live []ItemView) []ItemView {
	ids := r.exhibitIDs()
	out := []ItemView{}
	for _, it := range live {
		i := slices.IndexFunc(r.snap.Items, func(si snapItem) bool { return si.ID == it.ID })
		if i < 0 {
			continue // added after the submission
		}
		si := r.snap.Items[i]
		if it.Status != ItemAccepted && it.Status != ItemRejected {
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
		// The team's words are the pack's; the prosecutor's own columns show as they are now.
		e.Description, e.Location, e.OfficerView, e.Generic = se.Description, se.Location, se.OfficerView, schedule.GenericDescription(se.Description)
		e.GenericReason, e.Undermines, e.Assessment = se.GenericReason, se.Undermines, se.Assessment
		if se.Marking != "" {
			e.Marking = se.Marking
		}
		if e.UpdatedAt.After(r.sub.SubmittedAt) {
			e.UpdatedAt = r.sub.SubmittedAt
		}
		out = append(out, e)
	}
	return out
}

// entry is live entry e as the pack froze it (see entries); ENOTFOUND if the pack did not hold
// it. A nil reading reads e as it is.
func (r *reading) entry(e DisclosureEntry) (DisclosureEntry, error) {
	if r == nil {
		return e, nil
	}
	frozen := r.entries([]DisclosureEntry{e})
	if len(frozen) == 0 {
		return e, core.NotFound("Schedule entry not found")
	}
	return frozen[0], nil
}

// revisions keeps the revisions dated up to the pack's submission: a later one carries the
// team's words, or the prosecutor's mark on them, as they stood after the pack.
func (r *reading) revisions(live []schedule.Revision) []schedule.Revision {
	return slices.DeleteFunc(live, func(rev schedule.Revision) bool { return rev.RevisedAt.After(r.sub.SubmittedAt) })
}

// readable says whether a reader through a share may read sub: an approved pack no newer than
// the one shared with them.
func (r *reading) readable(sub PackSubmission) bool {
	return r == nil || (sub.Number <= r.sub.Number && (sub.Status == SubmissionApproved || sub.Status == SubmissionVoided))
}

// readablePacks are the numbers of case caseID's packs that r's reader may read.
func (s *Service) readablePacks(ctx context.Context, caseID int64, r *reading) ([]int, error) {
	var subs []PackSubmission
	if err := s.d.DB.Conn(ctx).Select("number", "status").Where("case_id = ?", caseID).Find(&subs).Error; err != nil {
		return nil, core.DBError(err)
	}
	out := []int{}
	for _, sub := range subs {
		if r.readable(sub) {
			out = append(out, sub.Number)
		}
	}
	return out, nil
}

// readableSubmission is submission number of cf, if who may read it. Errors: ENOTFOUND.
func (s *Service) readableSubmission(ctx context.Context, who core.Actor, cf *CaseFile, obj policies.Object, number int) (PackSubmission, error) {
	var sub PackSubmission
	rd, err := s.readingOf(ctx, who, cf, obj)
	if err == nil {
		err = s.d.DB.Conn(ctx).Where("case_id = ? AND number = ?", cf.ID, number).Take(&sub).Error
	}
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && !rd.readable(sub)) {
		return sub, core.NotFound("Submission not found")
	}
	return sub, core.DBError(err)
}

// PackReading is the approved pack a CPS liaison reads, and the number of a later approved pack
// not yet shared with them (0 when none).
type PackReading struct {
	SubmissionView
	SupersededBy int `json:"superseded_by,omitempty"`
}

// supersededBy is the number of the case's newest approved pack if it is later than pack
// number, 0 when none is.
func (s *Service) supersededBy(ctx context.Context, caseID int64, number int) (int, error) {
	var n int
	err := s.d.DB.Conn(ctx).Model(&PackSubmission{}).Select("COALESCE(MAX(number), 0)").Where("case_id = ? AND status = ? AND number > ?", caseID, SubmissionApproved, number).Scan(&n).Error
	return n, core.DBError(err)
}

// diffPacks is what changed from the snapshot a to the snapshot b, as who may know it: changes
// to MG6D entries only for those who may read MG6D.
func (s *Service) diffPacks(ctx context.Context, who core.Actor, obj policies.Object, cf *CaseFile, a, b []byte) ([]packdiff.Change, error) {
	changes, err := packdiff.Snapshots(a, b, func(status string) string { return ItemStatus(status).Label() })
	if err != nil {
		return nil, core.Internal(err)
	}
	if ok, err := s.mayEntry(ctx, who, obj, cf, DisclosureEntry{Schedule: ScheduleMG6D}, policies.ActRead); err != nil || !ok {
		changes = slices.DeleteFunc(changes, func(c packdiff.Change) bool {
			return c.Part == "schedule" && strings.HasPrefix(c.What, string(ScheduleMG6D)+" ")
		})
		return changes, err
	}
	return changes, nil
}

// unapproved is what changed in the file since its newest approved pack, nil when nothing did
// (or nothing was approved): the changes that wait for a new submission.
func (s *Service) unapproved(ctx context.Context, who core.Actor, cf *CaseFile) (*packdiff.Changes, error) {
	sub, err := s.latestSubmission(ctx, cf.ID, SubmissionApproved)
	if sub == nil || err != nil {
		return nil, err
	}
	live, err := s.snapshot(ctx, cf, 0, "", who, s.d.Now())
	if err != nil {
		return nil, err
	}
	obj, err := s.caseObject(ctx, who, cf, "casefile")
	if err != nil {
		return nil, err
	}
	changes, err := s.diffPacks(ctx, who, obj, cf, []byte(sub.Snapshot), live)
	if len(changes) == 0 || err != nil {
		return nil, err
	}
	return &packdiff.Changes{From: sub.Number, Changes: changes}, nil
}

// SubmissionChanges is what changed in submission number since the approved pack before it. A
// CPS liaison may ask only of approved packs up to the one shared with them. Anyone who may read
// the case may call it (an audited read). Errors: ENOTFOUND.
func (s *Service) SubmissionChanges(ctx context.Context, who core.Actor, id int64, number int) (packdiff.Changes, error) {
	out := packdiff.Changes{To: number, Changes: []packdiff.Change{}}
	err := s.readPart(ctx, who, id, "changes "+core.IDString(int64(number)), func(ctx context.Context, cf *CaseFile, obj policies.Object) error {
		sub, err := s.readableSubmission(ctx, who, cf, obj, number)
		if err != nil {
			return err
		}
		var prev PackSubmission
		err = s.d.DB.Conn(ctx).Where("case_id = ? AND number < ? AND status IN ?", cf.ID, number, []SubmissionStatus{SubmissionApproved, SubmissionVoided}).
			Order("number DESC").Take(&prev).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil // the first approved pack: nothing to compare with
		}
		if err != nil {
			return core.DBError(err)
		}
		out.From = prev.Number
		out.Changes, err = s.diffPacks(ctx, who, obj, cf, []byte(prev.Snapshot), []byte(sub.Snapshot))
		return err
	})
	return out, err
}
