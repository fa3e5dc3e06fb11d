package casefile

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/msptp/msphub/models/casefile/schedule"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// The schedules' types and checks are the leaf package schedule's; casefile keeps its names.
type (
	Schedule       = schedule.Schedule
	DisclosureRole = schedule.Role
	EntryInput     = schedule.EntryInput
)

// Schedules and disclosure roles.
const (
	ScheduleMG6C          = schedule.MG6C
	ScheduleMG6D          = schedule.MG6D
	RoleDisclosureOfficer = schedule.RoleDisclosureOfficer
	RoleDeputy            = schedule.RoleDeputy
)

// Schedules lists the schedules in order.
func Schedules() []Schedule { return schedule.All() }

// AllowSensitive says whether who may act on case id's MG6D schedule, for the sub-packages. It
// changes and records nothing. Errors: ENOTFOUND, EFORBIDDEN.
func (s *Service) AllowSensitive(ctx context.Context, who core.Actor, id int64, act policies.Action) error {
	_, _, err := s.loadObject(ctx, who, id, "mg6d", act, false)
	return err
}

// DisclosureEntry is one numbered item of unused material on a schedule: its description and
// where it is kept (DOMAIN.md §F3). An MG6C entry is served on the defence, so it carries no
// officer's assessment: that is held for MG6E (Undermines, Assessment), which is never served.
// An MG6D entry says why the item is sensitive (OfficerView) and may carry a higher marking
// than the case. The prosecutor's columns are theirs to fill.
type DisclosureEntry struct {
	ID             int64          `json:"id"`
	CaseID         int64          `json:"case_id"`
	Schedule       Schedule       `json:"schedule"`
	Number         int            `json:"number"`
	Description    string         `json:"description"`
	Location       string         `json:"location"`
	OfficerView    string         `json:"officer_view,omitempty"` // MG6D: why the item is sensitive
	Classification policies.Level `json:"-"`                      // the entry's own marking; Unmarked: the case's
	GenericReason  string         `json:"generic_reason,omitempty"`
	Undermines     bool           `json:"-"`                             // MG6E: might reasonably be considered capable of undermining or assisting
	Assessment     string         `json:"-"`                             // MG6E: the disclosure officer's reasons
	CPSView        string         `json:"cps_view,omitempty"`            // MG6C: D, CND or I
	CPSSensitive   string         `json:"cps_agree_sensitive,omitempty"` // MG6D: yes or no
	CPSPII         string         `json:"cps_pii_needed,omitempty" gorm:"column:cps_pii"`
	CPSBy          *int64         `json:"-"`
	CPSAt          *time.Time     `json:"cps_at,omitempty"`
	CreatedBy      int64          `json:"created_by"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedBy      *int64         `json:"-"`
	UpdatedAt      time.Time      `json:"updated_at"`
	// Generic is true when the description looks too generic to judge (see GenericDescription).
	Generic bool `json:"generic" gorm:"-"`
	// Marking is the entry's marking as printed: the higher of its own and the case's.
	Marking string `json:"classification" gorm:"-"`
}

// TableName is the table of schedule entries.
func (DisclosureEntry) TableName() string { return "disclosure_entries" }

// ScheduleEntries lists a case's schedule entries, by schedule and number. Anyone who may read
// the case may call it (an audited read); MG6D entries only reach those the policy lets read
// them at their marking. Errors: ENOTFOUND.
func (s *Service) ScheduleEntries(ctx context.Context, who core.Actor, id int64) ([]DisclosureEntry, error) {
	var out []DisclosureEntry
	err := s.readPart(ctx, who, id, "schedules", func(ctx context.Context, cf *CaseFile, obj policies.Object) (err error) {
		out, err = s.readableEntries(ctx, who, obj, cf)
		return err
	})
	return out, err
}

// readableEntries are the entries who may read; for a CPS liaison, as the approved pack they
// read froze them.
func (s *Service) readableEntries(ctx context.Context, who core.Actor, obj policies.Object, cf *CaseFile) ([]DisclosureEntry, error) {
	out, err := s.visibleEntries(ctx, who, obj, cf)
	if err != nil {
		return nil, err
	}
	rd, err := s.entryReading(ctx, who, cf, obj)
	if rd != nil {
		out = rd.entries(out)
	}
	return out, err
}

// entryReading is the approved pack whose schedules who reads instead of the live ones: a CPS
// liaison's before charge (see readingOf); nil for the live schedules.
func (s *Service) entryReading(ctx context.Context, who core.Actor, cf *CaseFile, obj policies.Object) (*reading, error) {
	if continuingDuty(cf.Status) {
		return nil, nil
	}
	return s.readingOf(ctx, who, cf, obj)
}

// continuingDuty says whether a case's schedules reach the prosecutor as they are now, every
// revision dated, rather than as the approved pack froze them: once charged, the disclosure
// officer's duty continues (CPIA s7A, DOMAIN.md §F3) and revisions are revealed as they are made.
func continuingDuty(st CaseStatus) bool {
	return st == StatusCharged || st == StatusClosed
}

// entries are all of a case's entries, whoever asks: for the pack's snapshot.
func (s *Service) entries(ctx context.Context, cf *CaseFile) ([]DisclosureEntry, error) {
	out := []DisclosureEntry{}
	if err := s.d.DB.Conn(ctx).Where("case_id = ?", cf.ID).Order("schedule, number").Find(&out).Error; err != nil {
		return nil, core.DBError(err)
	}
	for i := range out {
		out[i].label(cf)
	}
	return out, nil
}

func (e *DisclosureEntry) label(cf *CaseFile) {
	e.Generic = schedule.GenericDescription(e.Description)
	e.Marking = max(e.Classification, cf.Classification).String()
}

// visibleEntries are the entries who may read.
func (s *Service) visibleEntries(ctx context.Context, who core.Actor, obj policies.Object, cf *CaseFile) ([]DisclosureEntry, error) {
	all, err := s.entries(ctx, cf)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, e := range all {
		if ok, err := s.mayEntry(ctx, who, obj, cf, e, policies.ActRead); err != nil {
			return nil, err
		} else if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// disclosureObject is the case object obj with who's disclosure roles on cf, read only when a
// decision needs them (MG6D, certifying). The lead investigator is the officer in the case
// until the team names one.
func (s *Service) disclosureObject(ctx context.Context, who core.Actor, cf *CaseFile, obj policies.Object) (policies.Object, error) {
	var team []caseMember
	if err := s.d.DB.Conn(ctx).Select("user_id", "oic", "disclosure_role").Where("case_id = ? AND removed_at IS NULL", cf.ID).Find(&team).Error; err != nil {
		return obj, core.DBError(err)
	}
	named := slices.ContainsFunc(team, func(m caseMember) bool { return m.OIC })
	for _, m := range team {
		if m.UserID == who.UserID {
			obj.Rel |= schedule.Relation(m.OIC || (!named && m.UserID == cf.LeadInvestigatorID), m.DisclosureRole)
		}
	}
	return obj, nil
}

// mayEntry says whether who may act on entry e of the case obj is: MG6C as the case, MG6D by
// the policy's own rows for it, at the higher of the case's and the entry's marking.
func (s *Service) mayEntry(ctx context.Context, who core.Actor, obj policies.Object, cf *CaseFile, e DisclosureEntry, act policies.Action) (bool, error) {
	if e.Schedule != ScheduleMG6D {
		return true, nil
	}
	obj, err := s.disclosureObject(ctx, who, cf, obj)
	if err != nil {
		return false, err
	}
	obj.Type, obj.Classification = "mg6d", max(obj.Classification, e.Classification)
	err = s.d.Authz.Can(ctx, who.Subject(), act, obj)
	if err != nil && !errors.Is(err, policies.ErrDenied) {
		return false, core.Internal(err)
	}
	return err == nil, nil
}

// ScheduleEntry returns one schedule entry. Anyone who may read the case may call it (an audited
// read); an MG6D entry they may not read is not found. Errors: ENOTFOUND.
func (s *Service) ScheduleEntry(ctx context.Context, who core.Actor, id, entryID int64) (DisclosureEntry, error) {
	var e DisclosureEntry
	err := s.readPart(ctx, who, id, "schedule_entry", func(ctx context.Context, cf *CaseFile, obj policies.Object) (err error) {
		if e, err = s.entry(ctx, who, obj, cf, entryID, policies.ActRead); err != nil {
			return err
		}
		// A CPS liaison reads the entry as the approved pack froze it, if it was in the pack.
		rd, err := s.entryReading(ctx, who, cf, obj)
		if err != nil {
			return err
		}
		e, err = rd.entry(e)
		return err
	})
	return e, err
}

// entry reads an entry who may read, and refuses act on it unless the policy allows it.
func (s *Service) entry(ctx context.Context, who core.Actor, obj policies.Object, cf *CaseFile, entryID int64, act policies.Action) (DisclosureEntry, error) {
	var e DisclosureEntry
	err := s.d.DB.Conn(ctx).Where("case_id = ? AND id = ?", cf.ID, entryID).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return e, core.NotFound("Schedule entry not found")
	} else if err != nil {
		return e, core.DBError(err)
	}
	e.label(cf)
	for _, a := range []policies.Action{policies.ActRead, act} {
		if ok, err := s.mayEntry(ctx, who, obj, cf, e, a); err != nil {
			return e, err
		} else if !ok && a == policies.ActRead {
			return e, core.NotFound("Schedule entry not found")
		} else if !ok {
			return e, core.Forbidden(sensitiveOnly)
		}
	}
	return e, nil
}

const sensitiveOnly = "Only the officer in the case, the disclosure officer or a deputy can change the MG6D sensitive schedule."

// scheduleChange is what the timeline and the voided approval say of a change to schedule sch:
// nothing of MG6D, which some of the case's readers may not know of.
func scheduleChange(sch Schedule, what string) string {
	if sch == ScheduleMG6D {
		return "Unused material schedules changed"
	}
	return what
}

// AddScheduleEntry adds an item of unused material to a schedule, numbered next on that
// schedule (under the case's lock), and dates the revision. A description that looks too
// generic needs a reason. The team may call it; MG6D only the officer in the case, the
// disclosure officer and deputies. Errors: ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) AddScheduleEntry(ctx context.Context, who core.Actor, id int64, in EntryInput) (DisclosureEntry, error) {
	var e DisclosureEntry
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, obj, err := s.loadObject(ctx, who, id, "casefile", policies.ActUpdate, true)
		if err != nil {
			return err
		}
		if err := s.checkMove(cf, moveEdit); err != nil {
			return err
		}
		level, err := in.Validate(who.Clearance)
		if err != nil {
			return err
		}
		e = DisclosureEntry{CaseID: cf.ID, Schedule: in.Schedule, Classification: level}
		if ok, err := s.mayEntry(ctx, who, obj, cf, e, policies.ActUpdate); err != nil || !ok {
			return cmp.Or(err, core.Forbidden(sensitiveOnly))
		}
		if e.Number, err = s.nextNumber(ctx, cf.ID, in.Schedule); err != nil {
			return err
		}
		now := s.d.Now()
		e.Description, e.Location, e.OfficerView, e.GenericReason, e.Undermines, e.Assessment = in.Description, in.Location, in.OfficerView, in.GenericReason, in.Undermines, in.Assessment
		e.CreatedBy, e.CreatedAt, e.UpdatedBy, e.UpdatedAt = who.UserID, now, &who.UserID, now
		if err := s.d.DB.Conn(ctx).Create(&e).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return core.Conflict("Someone added an entry to this schedule at the same moment. Try again.")
			}
			return core.DBError(err)
		}
		e.label(cf)
		return s.scheduleChanged(ctx, who, cf, e, "added", "Added")
	})
	return e, err
}

func (s *Service) nextNumber(ctx context.Context, caseID int64, sch Schedule) (int, error) {
	// Past the last number the schedule ever had: an entry moved to the other schedule leaves
	// its number behind in the revisions (and in packs), never to be given to another item.
	var last int
	err := s.d.DB.Conn(ctx).Raw(`SELECT MAX(n) FROM (
		SELECT COALESCE(MAX(number), 0) AS n FROM disclosure_entries WHERE case_id = ? AND schedule = ?
		UNION ALL SELECT COALESCE(MAX(number), 0) FROM disclosure_revisions WHERE case_id = ? AND schedule = ?) AS used`,
		caseID, sch, caseID, sch).Scan(&last).Error
	return last + 1, core.DBError(err)
}

// scheduleChanged dates the revision of e, records the change on the case and audits it.
func (s *Service) scheduleChanged(ctx context.Context, who core.Actor, cf *CaseFile, e DisclosureEntry, verb, summary string) error {
	if err := s.revise(ctx, who, e, summary); err != nil {
		return err
	}
	if err := s.changed(ctx, who, cf, scheduleChange(e.Schedule, string(e.Schedule)+" entry "+core.IDString(int64(e.Number))+" "+verb)); err != nil {
		return err
	}
	return s.audit.Record(ctx, &who, core.Event{Action: "schedule." + verb, ObjectType: "schedule_entry", ObjectID: core.IDString(e.ID), Outcome: core.OutcomeSuccess,
		Details: map[string]string{"case": core.IDString(cf.ID), "schedule": string(e.Schedule), "number": core.IDString(int64(e.Number))}})
}

// UpdateScheduleEntry changes an entry's description, location, marking, reasons and MG6E
// assessment; its schedule and number stay, and the revision is dated. The team may call it;
// MG6D only the officer in the case, the disclosure officer and deputies. Errors: ENOTFOUND,
// EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) UpdateScheduleEntry(ctx context.Context, who core.Actor, id, entryID int64, in EntryInput) (DisclosureEntry, error) {
	return s.onEntry(ctx, who, id, entryID, policies.ActUpdate, func(ctx context.Context, cf *CaseFile, _ policies.Object, e *DisclosureEntry) error {
		if err := s.checkMove(cf, moveEdit); err != nil {
			return err
		}
		in.Schedule = e.Schedule
		level, err := in.Validate(who.Clearance)
		if err != nil {
			return err
		}
		var what []string
		for _, f := range []struct {
			name     string
			old, new any
		}{{"description", e.Description, in.Description}, {"location", e.Location, in.Location}, {"reason sensitive", e.OfficerView, in.OfficerView},
			{"marking", e.Classification, level}, {"reason for a generic description", e.GenericReason, in.GenericReason},
			{"MG6E assessment", e.Assessment, in.Assessment}, {"MG6E", e.Undermines, in.Undermines}} {
			if f.old != f.new {
				what = append(what, f.name)
			}
		}
		if len(what) == 0 {
			return nil
		}
		e.Description, e.Location, e.OfficerView, e.Classification, e.GenericReason = in.Description, in.Location, in.OfficerView, level, in.GenericReason
		e.Undermines, e.Assessment, e.UpdatedBy, e.UpdatedAt = in.Undermines, in.Assessment, &who.UserID, s.d.Now()
		if err := s.d.DB.Conn(ctx).Model(e).Select("description", "location", "officer_view", "classification", "generic_reason", "undermines", "assessment", "updated_by", "updated_at").Updates(e).Error; err != nil {
			return core.DBError(err)
		}
		e.label(cf)
		return s.scheduleChanged(ctx, who, cf, *e, "changed", "Changed: "+strings.Join(what, ", "))
	})
}

// onEntry runs do on entry entryID of case id, in one transaction, once who may act on both
// (the case under its lock).
func (s *Service) onEntry(ctx context.Context, who core.Actor, id, entryID int64, act policies.Action, do func(context.Context, *CaseFile, policies.Object, *DisclosureEntry) error) (DisclosureEntry, error) {
	var e DisclosureEntry
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, obj, err := s.loadObject(ctx, who, id, "casefile", act, true)
		if err != nil {
			return err
		}
		if e, err = s.entry(ctx, who, obj, cf, entryID, act); err != nil {
			return err
		}
		return do(ctx, cf, obj, &e)
	})
	return e, err
}

// MoveScheduleEntry moves an entry between MG6C and MG6D, numbered next on the schedule it
// joins, with the reason (which, moving to MG6D, is why the item is sensitive). The officer in
// the case, the disclosure officer and deputies may call it. Errors: ENOTFOUND, EFORBIDDEN,
// EINVALID, ECONFLICT.
func (s *Service) MoveScheduleEntry(ctx context.Context, who core.Actor, id, entryID int64, reason string) (DisclosureEntry, error) {
	return s.onEntry(ctx, who, id, entryID, policies.ActUpdate, func(ctx context.Context, cf *CaseFile, obj policies.Object, e *DisclosureEntry) error {
		sensitive := *e
		sensitive.Schedule = ScheduleMG6D
		if ok, err := s.mayEntry(ctx, who, obj, cf, sensitive, policies.ActUpdate); err != nil || !ok {
			return cmp.Or(err, core.Forbidden(sensitiveOnly))
		}
		if err := s.checkMove(cf, moveEdit); err != nil {
			return err
		}
		if err := core.CheckText("reason", &reason, 2000, true, "Say why the entry moves to the other schedule", "The reason"); err != nil {
			return err
		}
		from := string(e.Schedule) + " entry " + core.IDString(int64(e.Number))
		if e.Schedule == ScheduleMG6C {
			e.Schedule, e.OfficerView = ScheduleMG6D, reason
		} else {
			e.Schedule, e.OfficerView, e.Classification, e.CPSSensitive, e.CPSPII = ScheduleMG6C, "", policies.Unmarked, "", ""
		}
		var err error
		if e.Number, err = s.nextNumber(ctx, cf.ID, e.Schedule); err != nil {
			return err
		}
		e.UpdatedBy, e.UpdatedAt = &who.UserID, s.d.Now()
		if err := s.d.DB.Conn(ctx).Model(e).Select("schedule", "number", "officer_view", "classification", "cps_sensitive", "cps_pii", "updated_by", "updated_at").Updates(e).Error; err != nil {
			return core.DBError(err)
		}
		e.label(cf)
		// The move is revealed on MG6D's side only: readers of MG6C alone never learn the item was sensitive.
		rev := *e
		rev.Schedule = ScheduleMG6D
		if err := s.revise(ctx, who, rev, "Moved from "+from+" to "+string(e.Schedule)+" entry "+core.IDString(int64(e.Number))+": "+reason); err != nil {
			return err
		}
		if err := s.changed(ctx, who, cf, scheduleChange(ScheduleMG6D, "")); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "schedule.move", ObjectType: "schedule_entry", ObjectID: core.IDString(e.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"case": core.IDString(cf.ID), "schedule": string(e.Schedule), "number": core.IDString(int64(e.Number))}})
	})
}

// MarkScheduleEntry records the prosecutor's columns of an entry and dates the revision, for
// the team to see. Revealing an item to the prosecutor is not disclosing it to the defence. The
// CPS liaison holding a live share may call it (MG6D as the policy allows); before charge, only
// on an entry of the approved pack they read, which it returns as the pack froze it (as
// ScheduleEntry). Errors: ENOTFOUND, EFORBIDDEN, EINVALID.
func (s *Service) MarkScheduleEntry(ctx context.Context, who core.Actor, id, entryID int64, in schedule.CPSMarkInput) (DisclosureEntry, error) {
	return s.onEntry(ctx, who, id, entryID, policies.ActAdvise, func(ctx context.Context, cf *CaseFile, obj policies.Object, e *DisclosureEntry) error {
		// An entry the pack did not hold is none the liaison may know of. One it held is the
		// team's row: the prosecutor's columns are theirs, kept on it for the team to see, and
		// the pack's reader reads them there (reading.entries).
		rd, err := s.entryReading(ctx, who, cf, obj)
		if err != nil {
			return err
		}
		if _, err := rd.entry(*e); err != nil {
			return err
		}
		summary, err := in.Check(e.Schedule)
		if err != nil {
			return err
		}
		e.CPSView, e.CPSSensitive, e.CPSPII = in.View, in.AgreeSensitive, in.PIINeeded
		now := s.d.Now()
		e.CPSBy, e.CPSAt = &who.UserID, &now
		if err := s.d.DB.Conn(ctx).Model(e).Select("cps_view", "cps_sensitive", "cps_pii", "cps_by", "cps_at").Updates(e).Error; err != nil {
			return core.DBError(err)
		}
		if err := s.revise(ctx, who, *e, summary); err != nil {
			return err
		}
		if err := s.event(ctx, who, cf.ID, "cps", scheduleChange(e.Schedule, "Prosecutor marked MG6C entry "+core.IDString(int64(e.Number))), ""); err != nil {
			return err
		}
		if *e, err = rd.entry(*e); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "schedule.cps_mark", ObjectType: "schedule_entry", ObjectID: core.IDString(e.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"case": core.IDString(cf.ID), "schedule": string(e.Schedule)}})
	})
}

func (s *Service) revise(ctx context.Context, who core.Actor, e DisclosureEntry, summary string) error {
	r := schedule.Revision{CaseID: e.CaseID, EntryID: e.ID, Schedule: e.Schedule, Number: e.Number, Classification: e.Classification,
		Summary: core.Clip(summary, 4000), Description: e.Description, RevisedBy: who.UserID, RevisedAt: s.d.Now()}
	return core.DBError(s.d.DB.Conn(ctx).Omit("revised_by_name").Create(&r).Error)
}

// ScheduleRevisions lists every dated revision of a case's schedules, newest first: the
// continuing duty is visible to the prosecutor. Anyone who may read the case may call it (an
// audited read); a revision of MG6D, or of an entry now on it, only reaches those who may read
// it. Before charge a CPS liaison reads the revisions of the approved pack they read: of its
// entries, dated up to its submission. Errors: ENOTFOUND.
func (s *Service) ScheduleRevisions(ctx context.Context, who core.Actor, id int64) ([]schedule.Revision, error) {
	out := []schedule.Revision{}
	err := s.readPart(ctx, who, id, "schedule_revisions", func(ctx context.Context, cf *CaseFile, obj policies.Object) error {
		entries, err := s.visibleEntries(ctx, who, obj, cf)
		if err != nil {
			return err
		}
		rd, err := s.entryReading(ctx, who, cf, obj)
		if err != nil {
			return err
		}
		if rd != nil {
			entries = rd.entries(entries)
		}
		visible := map[int64]bool{}
		for _, e := range entries {
			visible[e.ID] = true
		}
		var all []schedule.Revision
		if err := s.d.DB.Conn(ctx).Table("disclosure_revisions r").Select("r.*, u.name AS revised_by_name").Joins("JOIN users u ON u.id = r.revised_by").
			Where("r.case_id = ?", cf.ID).Order("r.id DESC").Scan(&all).Error; err != nil {
			return core.DBError(err)
		}
		if rd != nil {
			all = rd.revisions(all)
		}
		for _, r := range all {
			ok, err := s.mayEntry(ctx, who, obj, cf, DisclosureEntry{Schedule: r.Schedule, Classification: r.Classification}, policies.ActRead)
			if err != nil {
				return err
			}
			if ok && visible[r.EntryID] {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}
