package casefile

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// Schedule is a disclosure schedule of unused material (DOMAIN.md §A3, §A4).
type Schedule string

// Schedules.
const (
	ScheduleMG6C Schedule = "MG6C" // non-sensitive unused material: shown to the defence
	ScheduleMG6D Schedule = "MG6D" // sensitive unused material: never shown to the defence
)

// Schedules lists the schedules in order.
func Schedules() []Schedule { return []Schedule{ScheduleMG6C, ScheduleMG6D} }

// Label is the schedule as pages show it.
func (s Schedule) Label() string {
	switch s {
	case ScheduleMG6C:
		return "MG6C non-sensitive unused material"
	case ScheduleMG6D:
		return "MG6D sensitive unused material"
	}
	return string(s)
}

// DisclosureEntry is one numbered item of unused material on a schedule: its description,
// where it is kept, and the disclosure officer's view (for MG6D, why it is sensitive too).
type DisclosureEntry struct {
	ID          int64     `json:"id"`
	CaseID      int64     `json:"case_id"`
	Schedule    Schedule  `json:"schedule"`
	Number      int       `json:"number"`
	Description string    `json:"description"`
	Location    string    `json:"location"`
	OfficerView string    `json:"officer_view"`
	CreatedBy   int64     `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedBy   *int64    `json:"-"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Generic is true when the description looks too generic to judge (see GenericDescription).
	Generic bool `json:"generic" gorm:"-"`
}

// TableName is the table of schedule entries.
func (DisclosureEntry) TableName() string { return "disclosure_entries" }

// EntryInput is a schedule entry to add or change. AcceptGeneric keeps a description that
// GenericDescription flags (a set of repetitive items, which may be listed generically).
type EntryInput struct {
	Schedule      Schedule `json:"schedule"`
	Description   string   `json:"description"`
	Location      string   `json:"location"`
	OfficerView   string   `json:"officer_view"`
	AcceptGeneric bool     `json:"accept_generic"`
}

// genericWords say what kind of thing an item is without saying which one.
var genericWords = []string{"document", "documents", "docs", "misc", "miscellaneous", "various", "paper", "papers",
	"paperwork", "bundle", "bundles", "item", "items", "material", "materials", "note", "notes", "file", "files",
	"folder", "folders", "stuff", "correspondence", "email", "emails", "message", "messages", "record", "records",
	"bag", "bags", "box", "boxes", "sundry", "assorted", "general", "other", "etc", "unused", "exhibits", "copies", "copy"}

// fillerWords carry no meaning of their own in a description.
var fillerWords = []string{"a", "an", "the", "of", "and", "or", "in", "on", "for", "to", "with", "from", "re", "x", "by", "at"}

// GenericDescription reports whether a schedule description is probably too generic for a
// prosecutor to judge. The rule is deliberately simple, and the pages state it: fewer than 20
// characters, or fewer than 3 words once generic words (documents, misc, various, papers,
// bundle, …), filler words (of, and, the, …) and numbers are set aside.
func GenericDescription(desc string) bool {
	desc = strings.TrimSpace(desc)
	if textLen(desc) < 20 {
		return true
	}
	words := strings.FieldsFunc(strings.ToLower(desc), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	specific := 0
	for _, w := range words {
		if slices.Contains(genericWords, w) || slices.Contains(fillerWords, w) || strings.IndexFunc(w, unicode.IsLetter) < 0 {
			continue
		}
		specific++
	}
	return specific < 3
}

// GenericPrompt is what the pages and the API say about a generic description.
const GenericPrompt = "This description may be too generic for the prosecutor to judge the item. Say what it is, who made it, when, and what it shows. " +
	"(MSP Hub asks whenever a description is under 20 characters or has fewer than 3 specific words besides words like documents, misc, various, papers or bundle.) " +
	"If it lists repetitive items that really are alike, keep the description."

func (in *EntryInput) validate() error {
	if !slices.Contains(Schedules(), in.Schedule) {
		return core.Invalid("schedule", "Select the schedule: MG6C non-sensitive or MG6D sensitive")
	}
	if err := caseText("description", &in.Description, 2000, true, "Describe the item clearly enough for the prosecutor to judge it", "Description"); err != nil {
		return err
	}
	if GenericDescription(in.Description) && !in.AcceptGeneric {
		return core.Invalid("description", GenericPrompt)
	}
	if err := caseText("location", &in.Location, 300, true, "Say where the item is kept", "Location"); err != nil {
		return err
	}
	enter := "Give the disclosure officer's view of the item"
	if in.Schedule == ScheduleMG6D {
		enter = "Say why the item is sensitive and give the disclosure officer's view"
	}
	return caseText("officer_view", &in.OfficerView, 2000, true, enter, "The view")
}

// ScheduleEntries lists a case's schedule entries, by schedule and number. Anyone who may read
// the case may call it (an audited read). Errors: ENOTFOUND.
func (s *Service) ScheduleEntries(ctx context.Context, who core.Actor, id int64) ([]DisclosureEntry, error) {
	return readFrozen(ctx, s, who, id, "schedules", s.entries, (*reading).entries)
}

func (s *Service) caseEntries(ctx context.Context, cf *CaseFile) ([]DisclosureEntry, error) {
	return s.entries(ctx, cf.ID)
}

func (s *Service) entries(ctx context.Context, caseID int64) ([]DisclosureEntry, error) {
	out := []DisclosureEntry{}
	if err := s.d.DB.Conn(ctx).Where("case_id = ?", caseID).Order("schedule, number").Find(&out).Error; err != nil {
		return nil, core.DBError(err)
	}
	for i := range out {
		out[i].Generic = GenericDescription(out[i].Description)
	}
	return out, nil
}

// ScheduleEntry returns one schedule entry. Anyone who may read the case may call it (an audited
// read). Errors: ENOTFOUND.
func (s *Service) ScheduleEntry(ctx context.Context, who core.Actor, id, entryID int64) (DisclosureEntry, error) {
	entries, err := readFrozen(ctx, s, who, id, "schedule_entry", s.entries, (*reading).entries)
	return core.Find(entries, err, func(e DisclosureEntry) bool { return e.ID == entryID }, "Schedule entry not found")
}

func (s *Service) entry(ctx context.Context, caseID, entryID int64) (DisclosureEntry, error) {
	var e DisclosureEntry
	err := s.d.DB.Conn(ctx).Where("case_id = ? AND id = ?", caseID, entryID).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return e, core.NotFound("Schedule entry not found")
	}
	e.Generic = GenericDescription(e.Description)
	return e, core.DBError(err)
}

// AddScheduleEntry adds an item of unused material to a schedule, numbered next on that
// schedule (under the case's lock). A description that looks too generic is refused with a
// prompt unless AcceptGeneric. The team may call it. Errors: ENOTFOUND, EFORBIDDEN, EINVALID,
// ECONFLICT.
func (s *Service) AddScheduleEntry(ctx context.Context, who core.Actor, id int64, in EntryInput) (DisclosureEntry, error) {
	var e DisclosureEntry
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.load(ctx, who, id, policies.ActUpdate, true)
		if err != nil {
			return err
		}
		if err := s.checkMove(cf, moveEdit); err != nil {
			return err
		}
		if err := in.validate(); err != nil {
			return err
		}
		var last int
		if err := s.d.DB.Conn(ctx).Model(&DisclosureEntry{}).Select("COALESCE(MAX(number), 0)").Where("case_id = ? AND schedule = ?", cf.ID, in.Schedule).Scan(&last).Error; err != nil {
			return core.DBError(err)
		}
		now := s.d.Now()
		e = DisclosureEntry{CaseID: cf.ID, Schedule: in.Schedule, Number: last + 1, Description: in.Description, Location: in.Location,
			OfficerView: in.OfficerView, CreatedBy: who.UserID, CreatedAt: now, UpdatedBy: &who.UserID, UpdatedAt: now}
		if err := s.d.DB.Conn(ctx).Create(&e).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return core.Conflict("Someone added an entry to this schedule at the same moment. Try again.")
			}
			return core.DBError(err)
		}
		e.Generic = GenericDescription(e.Description)
		if err := s.changed(ctx, who, cf, string(in.Schedule)+" entry "+core.IDString(int64(e.Number))+" added"); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "schedule.add", ObjectType: "schedule_entry", ObjectID: core.IDString(e.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"case": core.IDString(cf.ID), "schedule": string(in.Schedule), "number": core.IDString(int64(e.Number))}})
	})
	return e, err
}

// UpdateScheduleEntry changes an entry's description, location and view; its schedule and
// number stay. The team may call it. Errors: ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) UpdateScheduleEntry(ctx context.Context, who core.Actor, id, entryID int64, in EntryInput) (DisclosureEntry, error) {
	var e DisclosureEntry
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.load(ctx, who, id, policies.ActUpdate, true)
		if err != nil {
			return err
		}
		if e, err = s.entry(ctx, cf.ID, entryID); err != nil {
			return err
		}
		if err := s.checkMove(cf, moveEdit); err != nil {
			return err
		}
		in.Schedule = e.Schedule
		if err := in.validate(); err != nil {
			return err
		}
		e.Description, e.Location, e.OfficerView, e.UpdatedBy, e.UpdatedAt = in.Description, in.Location, in.OfficerView, &who.UserID, s.d.Now()
		if err := s.d.DB.Conn(ctx).Model(&e).Select("description", "location", "officer_view", "updated_by", "updated_at").Updates(&e).Error; err != nil {
			return core.DBError(err)
		}
		e.Generic = GenericDescription(e.Description)
		if err := s.changed(ctx, who, cf, string(e.Schedule)+" entry "+core.IDString(int64(e.Number))+" changed"); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "schedule.update", ObjectType: "schedule_entry", ObjectID: core.IDString(e.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"case": core.IDString(cf.ID)}})
	})
	return e, err
}
