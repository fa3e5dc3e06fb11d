package casefile

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
)

// Stage is when in the life of a case an item is needed (DOMAIN.md §B7).
type Stage string

// Stages.
const (
	StageEIA        Stage = "EIA" // early investigative advice
	StagePreCharge  Stage = "PC"  // pre-charge, National File Standard
	StageFullFile   Stage = "FF"  // full file
	StageDisclosure Stage = "D"   // disclosure, ongoing
)

var stages = terms.Vocabulary[Stage]{{Value: StageEIA, Label: "Early advice"}, {Value: StagePreCharge, Label: "Pre-charge"},
	{Value: StageFullFile, Label: "Full file"}, {Value: StageDisclosure, Label: "Disclosure"}}

// Stages lists the stages in order.
func Stages() []Stage { return stages.Values() }

// Label is the stage as pages show it.
func (s Stage) Label() string { return stages.Label(s, string(s)) }

// ItemStatus is where a checklist item stands.
type ItemStatus string

// Checklist item statuses. Accepted and rejected are the CPS liaison's to give.
const (
	ItemOutstanding   ItemStatus = "outstanding"
	ItemInProgress    ItemStatus = "in_progress"
	ItemProvided      ItemStatus = "provided"
	ItemNotApplicable ItemStatus = "not_applicable"
	ItemAccepted      ItemStatus = "accepted"
	ItemRejected      ItemStatus = "rejected"
)

// TeamItemStatuses are the statuses the case team may give an item.
func TeamItemStatuses() []ItemStatus {
	return []ItemStatus{ItemOutstanding, ItemInProgress, ItemProvided, ItemNotApplicable}
}

var itemStatuses = terms.Vocabulary[ItemStatus]{{Value: ItemOutstanding, Label: "Outstanding"}, {Value: ItemInProgress, Label: "In progress"},
	{Value: ItemProvided, Label: "Provided"}, {Value: ItemNotApplicable, Label: "Not applicable"},
	{Value: ItemAccepted, Label: "Accepted by CPS"}, {Value: ItemRejected, Label: "Rejected by CPS"}}

// Label is the status as pages show it.
func (s ItemStatus) Label() string { return itemStatuses.Label(s, string(s)) }

// done reports whether an item in this status no longer holds the file back.
func (s ItemStatus) done() bool {
	return s == ItemProvided || s == ItemNotApplicable || s == ItemAccepted
}

// ChecklistTemplate is one version of a checklist template. Versions are never changed: an
// administrator edits a template by saving a new version, and a case keeps the version it
// started with.
type ChecklistTemplate struct {
	ID         int64          `json:"id"`
	Code       string         `json:"code"`
	Version    int            `json:"version"`
	Title      string         `json:"title"`
	AppliesTo  string         `json:"applies_to"`
	ChangeNote string         `json:"change_note"`
	CreatedBy  *int64         `json:"created_by,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	Items      []TemplateItem `json:"items" gorm:"-"`
}

// TableName is the table of template versions.
func (ChecklistTemplate) TableName() string { return "checklist_templates" }

// TemplateItem is one item of a template version.
type TemplateItem struct {
	ID         int64 `json:"id"`
	TemplateID int64 `json:"-"`
	ItemText
}

// ItemText is what a template item says: its place in the template, what to provide, why, the
// MG form and stage as DOMAIN.md §B7 writes them, the stage it is first needed at, and whether
// it is required.
type ItemText struct {
	Position int    `json:"position"`
	Text     string `json:"text"`
	Why      string `json:"why"`
	Form     string `json:"form"`
	Stage    Stage  `json:"stage"`
	Required bool   `json:"required"`
}

// TableName is the table of template items.
func (TemplateItem) TableName() string { return "template_items" }

// templates are the checklist templates MSP Hub knows, in the order checklists and the
// templates page show them, with which cases get each. Their codes are internal keys (in URLs
// and the API): pages name a template by its title.
var templates = []struct{ code, appliesTo string }{
	{"T0", "Every Modern Slavery Act case"},
	{"T1", "Cases charging s1 (slavery, servitude, forced or compulsory labour)"},
	{"T2", "Cases charging s2 (human trafficking)"},
	{"T3", "Cases charging s4 (offence with intent to commit s2)"},
	{"T6", "Cases charging breach of an STPO or STRO (MSA 2015 s30)"},
	{"T7", "Cases charging a conspiracy (Criminal Law Act 1977 s1), with the checklist of the offence agreed on"},
	{"T8", "Cases charging facilitation (Immigration Act 1971 s25)"},
	{"T9", "Cases charging prostitution offences (Sexual Offences Act 2003 ss52–53A)"},
	{"T10", "Cases charging money laundering (POCA 2002 ss327–329)"},
	{"T11", "Cases charging gangmaster offences (Gangmasters (Licensing) Act 2004 s12)"},
	{"T12", "Cases charging county lines drug supply (Misuse of Drugs Act 1971 s4(3))"},
	{"T4", "Cases where a suspect may be a victim (s45)"},
	{"T5", "Cases seeking STPO/STRO or financial orders"},
}

// templateRank is where template code comes in templates.
func templateRank(code string) int {
	return slices.IndexFunc(templates, func(t struct{ code, appliesTo string }) bool { return t.code == code })
}

// CompareTemplates orders template codes as the checklists and the templates page list them.
func CompareTemplates(a, b string) int { return templateRank(a) - templateRank(b) }

// TemplateAppliesTo says in words which cases get a template.
func TemplateAppliesTo(code string) string {
	if i := templateRank(code); i >= 0 {
		return templates[i].appliesTo
	}
	return ""
}

// addTemplates gives the case the checklists its facts call for that it does not have yet, at
// their latest version, and returns their names.
func (s *Service) addTemplates(ctx context.Context, cf *CaseFile) ([]string, error) {
	db := s.d.DB.Conn(ctx)
	var have []string
	if err := db.Table("case_templates ct").Select("t.code").Joins("JOIN checklist_templates t ON t.id = ct.template_id").
		Where("ct.case_id = ?", cf.ID).Scan(&have).Error; err != nil {
		return nil, core.DBError(err)
	}
	var added []string
	now := s.d.Now()
	for _, code := range cf.templateCodes() {
		if slices.Contains(have, code) {
			continue
		}
		var t ChecklistTemplate
		if err := db.Where("code = ?", code).Order("version DESC").Take(&t).Error; err != nil {
			return nil, core.Internal(errors.New("checklist template " + code + " is missing: " + err.Error()))
		}
		if err := db.Exec("INSERT INTO case_templates (case_id, template_id) VALUES (?, ?)", cf.ID, t.ID).Error; err != nil {
			return nil, core.DBError(err)
		}
		var items []TemplateItem
		if err := db.Where("template_id = ?", t.ID).Order("position").Find(&items).Error; err != nil {
			return nil, core.DBError(err)
		}
		for _, it := range items {
			ci := ChecklistItem{CaseID: cf.ID, TemplateItemID: it.ID, Status: ItemOutstanding, UpdatedAt: now}
			if err := db.Create(&ci).Error; err != nil {
				return nil, core.DBError(err)
			}
		}
		added = append(added, checklistName(t.Title, t.Version))
	}
	return added, nil
}

// ChecklistItem is one item of a case's checklist.
type ChecklistItem struct {
	ID             int64      `json:"id"`
	CaseID         int64      `json:"case_id"`
	TemplateItemID int64      `json:"template_item_id"`
	Status         ItemStatus `json:"status"`
	NAReason       string     `json:"na_reason,omitempty" gorm:"column:na_reason"`
	OwnerID        *int64     `json:"owner_id,omitempty"`
	DueOn          *time.Time `json:"due_on,omitempty"`
	Notes          string     `json:"notes"`
	CPSReason      string     `json:"cps_reason,omitempty" gorm:"column:cps_reason"`
	CPSDecidedBy   *int64     `json:"-" gorm:"column:cps_decided_by"`
	CPSDecidedAt   *time.Time `json:"cps_decided_at,omitempty" gorm:"column:cps_decided_at"`
	UpdatedBy      *int64     `json:"-"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// TableName is the table of checklist items.
func (ChecklistItem) TableName() string { return "checklist_items" }

// ItemView is a checklist item with its template text and linked evidence.
type ItemView struct {
	ChecklistItem
	Template string `json:"template"` // "T0 v1": the internal key, never shown
	Code     string `json:"code"`
	Title    string `json:"-"` // the template's title: pages name it by this
	Version  int    `json:"-"`
	ItemText
	StatusLabel string        `json:"status_label"`
	OwnerName   string        `json:"owner,omitempty"`
	Evidence    []EvidenceRef `json:"evidence"`
}

// Checklist is the item's template as pages name it: its title and version.
func (v ItemView) Checklist() string { return checklistName(v.Title, v.Version) }

// checklistName names a template version to people: "Core (all MSA cases), version 2".
func checklistName(title string, version int) string {
	return title + ", version " + core.IDString(int64(version))
}

// EvidenceRef names an exhibit linked to an item.
type EvidenceRef struct {
	ID         int64  `json:"id"`
	ExhibitRef string `json:"exhibit_ref"`
}

// Done reports whether the item no longer holds the file back.
func (v ItemView) Done() bool { return v.Status.done() }

// items reads a case's checklist in template and position order.
func (s *Service) items(ctx context.Context, caseID int64) ([]ItemView, error) {
	// Every read of a case runs this query, one row an item and link to evidence (of this case
	// only, as before): its columns are named and scanned directly, at a fraction of the cost of
	// gorm's scan into structs.
	type row struct {
		ChecklistItem
		OwnerName string
		Evidence  []EvidenceRef
	}
	var rows []row
	err := s.d.DB.EachRow(ctx, "SELECT ci.id, ci.template_item_id, ci.status, ci.na_reason, ci.owner_id, ci.due_on, ci.notes, "+
		"ci.cps_reason, ci.cps_decided_by, ci.cps_decided_at, ci.updated_by, ci.updated_at, COALESCE(u.name, ''), e.id, e.exhibit_ref "+
		"FROM checklist_items ci LEFT JOIN users u ON u.id = ci.owner_id LEFT JOIN item_evidence ie ON ie.item_id = ci.id "+
		"LEFT JOIN evidence_items e ON e.id = ie.evidence_id AND e.case_id = ci.case_id WHERE ci.case_id = ? ORDER BY ci.id, e.id", []any{caseID},
		func(scan func(...any) error) error {
			var r row
			var evidence sql.NullInt64
			var exhibit sql.NullString
			if err := scan(&r.ID, &r.TemplateItemID, &r.Status, &r.NAReason, &r.OwnerID, &r.DueOn, &r.Notes, &r.CPSReason,
				&r.CPSDecidedBy, &r.CPSDecidedAt, &r.UpdatedBy, &r.UpdatedAt, &r.OwnerName, &evidence, &exhibit); err != nil {
				return err
			}
			if n := len(rows); n == 0 || rows[n-1].ID != r.ID {
				r.CaseID, r.Evidence = caseID, []EvidenceRef{}
				rows = append(rows, r)
			}
			if evidence.Valid {
				last := &rows[len(rows)-1]
				last.Evidence = append(last.Evidence, EvidenceRef{ID: evidence.Int64, ExhibitRef: exhibit.String})
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	words, err := s.words.of(ctx, s.d.DB, core.IDsOf(rows, func(r row) int64 { return r.TemplateItemID }))
	if err != nil {
		return nil, err
	}
	out := make([]ItemView, 0, len(rows))
	for _, r := range rows {
		w := words[r.TemplateItemID]
		out = append(out, ItemView{ChecklistItem: r.ChecklistItem, Template: w.Code + " v" + core.IDString(int64(w.Version)), Code: w.Code,
			Title: w.Title, Version: w.Version, ItemText: w.ItemText, StatusLabel: r.Status.Label(), OwnerName: r.OwnerName, Evidence: r.Evidence})
	}
	// In the order of the templates, then of their items.
	rank := map[string]int{}
	for _, v := range out {
		rank[v.Code] = templateRank(v.Code)
	}
	slices.SortFunc(out, func(a, b ItemView) int {
		return cmp.Or(cmp.Compare(rank[a.Code], rank[b.Code]), cmp.Compare(a.Position, b.Position), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// wording is what a template item says, with its template version's code, title and number.
type wording struct {
	ID          int64
	Code, Title string
	Version     int
	ItemText
}

// wordings keeps the wording of the template items cases have read, by id. A template version
// never changes once saved, so a case's checklist takes its items' wording from here instead
// of joining the template's rows on every read.
type wordings struct {
	mu   sync.RWMutex
	byID map[int64]wording
}

// of returns the wording of the template items ids, reading those it does not hold. What a
// write transaction reads is not kept: its new items may yet roll back, and SQLite may then
// give their ids to others.
func (w *wordings) of(ctx context.Context, db *core.DB, ids []int64) (map[int64]wording, error) {
	out := make(map[int64]wording, len(ids))
	var missing []int64
	w.mu.RLock()
	for _, id := range ids {
		if x, ok := w.byID[id]; ok {
			out[id] = x
		} else {
			missing = append(missing, id)
		}
	}
	w.mu.RUnlock()
	if len(missing) == 0 {
		return out, nil
	}
	var rows []wording
	if err := db.Conn(ctx).Table("template_items ti").Select("ti.id, t.code, t.title, t.version, ti.position, ti.text, ti.why, ti.form, ti.stage, ti.required").
		Joins("JOIN checklist_templates t ON t.id = ti.template_id").Where("ti.id IN ?", missing).Scan(&rows).Error; err != nil {
		return nil, core.DBError(err)
	}
	keep := !core.InWriteTx(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byID == nil {
		w.byID = map[int64]wording{}
	}
	for _, r := range rows {
		out[r.ID] = r
		if keep {
			w.byID[r.ID] = r
		}
	}
	return out, nil
}

// StageReadiness is how far the required items of one stage are done.
type StageReadiness struct {
	Stage   Stage  `json:"stage"`
	Label   string `json:"label"`
	Done    int    `json:"done"`
	Total   int    `json:"total"`
	Percent int    `json:"percent"` // of required items done: provided, not applicable or accepted
}

// Readiness is, for each stage, the share of its required items that are done. An item counts
// at the stage it is first needed at (its template's stage).
func Readiness(items []ItemView) []StageReadiness {
	out := make([]StageReadiness, 0, 4)
	for _, st := range Stages() {
		r := StageReadiness{Stage: st, Label: st.Label()}
		for _, it := range items {
			if it.Stage == st && it.Required {
				r.Total++
				if it.Status.done() {
					r.Done++
				}
			}
		}
		if r.Total > 0 {
			r.Percent = r.Done * 100 / r.Total
		} else {
			r.Percent = 100
		}
		out = append(out, r)
	}
	return out
}

// Checklist returns a case's checklist items. Anyone who may read the case may call it (an
// audited read). Errors: ENOTFOUND.
func (s *Service) Checklist(ctx context.Context, who core.Actor, id int64) ([]ItemView, error) {
	return readFrozen(ctx, s, who, id, "checklist", s.items, (*reading).items)
}

// Item returns one checklist item of a case. Anyone who may read the case may call it (an
// audited read). Errors: ENOTFOUND.
func (s *Service) Item(ctx context.Context, who core.Actor, id, itemID int64) (ItemView, error) {
	items, err := readFrozen(ctx, s, who, id, "checklist_item", s.items, (*reading).items)
	return core.Find(items, err, func(it ItemView) bool { return it.ID == itemID }, "Checklist item not found")
}

func (s *Service) item(ctx context.Context, caseID, itemID int64) (ItemView, error) {
	items, err := s.items(ctx, caseID)
	return core.Find(items, err, func(it ItemView) bool { return it.ID == itemID }, "Checklist item not found")
}

// itemFor loads, locked, a case the actor may act on and one of its checklist items that they
// read, and checks that the case's status allows move. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT.
func (s *Service) itemFor(ctx context.Context, who core.Actor, id, itemID int64, act policies.Action, m move) (*CaseFile, ItemView, error) {
	cf, obj, err := s.loadObject(ctx, who, id, "casefile", act, true)
	if err != nil {
		return nil, ItemView{}, err
	}
	it, err := s.item(ctx, cf.ID, itemID)
	if err != nil {
		return nil, ItemView{}, err
	}
	if rd, err := s.readingOf(ctx, who, cf, obj); err != nil || (rd != nil && len(rd.items([]ItemView{it})) == 0) {
		return nil, ItemView{}, cmp.Or(err, core.NotFound("Checklist item not found")) // not in the pack shared with them
	}
	return cf, it, s.checkMove(cf, m)
}

// ItemInput is the team's update of a checklist item.
type ItemInput struct {
	Status      ItemStatus `json:"status"`
	NAReason    string     `json:"na_reason"`
	OwnerID     int64      `json:"owner_id"` // 0: nobody
	DueOn       *time.Time `json:"due_on"`
	Notes       string     `json:"notes"`
	EvidenceIDs []int64    `json:"evidence_ids"` // the exhibits that answer the item
}

// UpdateItem changes a checklist item: its status (outstanding, in progress, provided, or not
// applicable with a reason), owner (someone on the team), due date, notes and the exhibits that
// answer it. A change after approval waits for a new submission. The team may call it. Errors:
// ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) UpdateItem(ctx context.Context, who core.Actor, id, itemID int64, in ItemInput) (ItemView, error) {
	var out ItemView
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, before, err := s.itemFor(ctx, who, id, itemID, policies.ActUpdate, moveEdit)
		if err != nil {
			return err
		}
		var p core.Problems
		if !slices.Contains(TeamItemStatuses(), in.Status) && (in.Status != before.Status || (in.Status != ItemAccepted && in.Status != ItemRejected)) {
			// (The CPS's verdict stays while the team changes other fields.)
			p.Add("status", "Select outstanding, in progress, provided or not applicable")
		}
		p.Check(core.CheckText("na_reason", &in.NAReason, 1000, in.Status == ItemNotApplicable, "Say why this item does not apply to the case", "The reason"))
		if in.Status != ItemNotApplicable {
			in.NAReason = ""
		}
		p.Check(core.CheckText("notes", &in.Notes, 4000, false, "", "Notes"))
		var owner *int64
		if in.OwnerID != 0 {
			var n int64
			if err := s.d.DB.Conn(ctx).Model(&caseMember{}).Where("case_id = ? AND user_id = ? AND removed_at IS NULL", cf.ID, in.OwnerID).Count(&n).Error; err != nil {
				return core.DBError(err)
			}
			if n == 0 {
				p.Add("owner_id", "Select someone on the case team as the owner")
			}
			owner = &in.OwnerID
		}
		if in.DueOn != nil {
			d := dateOnly(*in.DueOn)
			in.DueOn = &d
		}
		evidence := uniqueIDs(in.EvidenceIDs)
		if len(evidence) > 0 {
			var n int64
			if err := s.d.DB.Conn(ctx).Table("evidence_items").Where("case_id = ? AND id IN ?", cf.ID, evidence).Count(&n).Error; err != nil {
				return core.DBError(err)
			}
			if int(n) != len(evidence) {
				p.Add("evidence_ids", "Select exhibits of this case")
			}
		}
		if err := p.Err(); err != nil {
			return err
		}
		now := s.d.Now()
		updates := map[string]any{"status": in.Status, "na_reason": in.NAReason, "owner_id": owner, "due_on": in.DueOn,
			"notes": in.Notes, "updated_by": who.UserID, "updated_at": now}
		if in.Status != before.Status {
			updates["cps_reason"], updates["cps_decided_by"], updates["cps_decided_at"] = "", nil, nil
		}
		if err := s.d.DB.Conn(ctx).Model(&ChecklistItem{}).Where("id = ?", itemID).Updates(updates).Error; err != nil {
			return core.DBError(err)
		}
		had := make([]int64, 0, len(before.Evidence))
		for _, e := range before.Evidence {
			had = append(had, e.ID)
		}
		for _, e := range had {
			if !slices.Contains(evidence, e) {
				if err := s.d.DB.Conn(ctx).Exec("DELETE FROM item_evidence WHERE item_id = ? AND evidence_id = ?", itemID, e).Error; err != nil {
					return core.DBError(err)
				}
			}
		}
		for _, e := range evidence {
			if !slices.Contains(had, e) {
				if err := s.d.DB.Conn(ctx).Exec("INSERT INTO item_evidence (item_id, evidence_id, linked_by, linked_at) VALUES (?, ?, ?, ?)", itemID, e, who.UserID, now).Error; err != nil {
					return core.DBError(err)
				}
			}
		}
		summary := "Checklist item updated: " + core.Clip(before.Text, 80)
		if in.Status != before.Status {
			summary += " (" + before.Status.Label() + " → " + in.Status.Label() + ")"
		}
		if err := s.changed(ctx, who, cf, summary); err != nil {
			return err
		}
		if out, err = s.item(ctx, cf.ID, itemID); err != nil {
			return err
		}
		if owner != nil && *owner != who.UserID && (before.OwnerID == nil || *before.OwnerID != *owner) {
			if err := core.Notify(ctx, s.d, *owner, NoticeCaseWork, "A checklist item of a case file has been given to you.",
				"/casefiles/"+core.IDString(cf.ID)+"/items/"+core.IDString(itemID)); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "checklist.update", ObjectType: "checklist_item", ObjectID: core.IDString(itemID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"case": core.IDString(cf.ID), "status": string(in.Status)}})
	})
	return out, err
}

// ReviewInput is the CPS liaison's verdict on a checklist item. A rejection needs a reason and
// raises an action-plan item from it, which the team answers.
type ReviewInput struct {
	Verdict   string     `json:"verdict"` // accept or reject
	Reason    string     `json:"reason"`
	ActionDue *time.Time `json:"action_due_on"`
}

// ReviewItem accepts or rejects a checklist item of a pack shared with the actor. A rejection
// records the reason on the item and raises an action with it (the case moves to its action
// plan). The CPS liaison holding a live share may call it. Errors: ENOTFOUND, EFORBIDDEN,
// EINVALID, ECONFLICT.
func (s *Service) ReviewItem(ctx context.Context, who core.Actor, id, itemID int64, in ReviewInput) (ItemView, error) {
	var out ItemView
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, it, err := s.itemFor(ctx, who, id, itemID, policies.ActAdvise, moveReview)
		if err != nil {
			return err
		}
		if in.Verdict != "accept" && in.Verdict != "reject" {
			return core.Invalid("verdict", "Select whether the item is accepted or rejected")
		}
		accept := in.Verdict == "accept"
		if err := core.CheckText("reason", &in.Reason, 2000, !accept, "Say why the item is rejected and what is needed", "The reason"); err != nil {
			return err
		}
		if in.ActionDue != nil {
			d := dateOnly(*in.ActionDue)
			if d.Before(dateOnly(s.d.Now())) {
				return core.Invalid("action_due_on", "The date the action is due must be today or later")
			}
			in.ActionDue = &d
		}
		status, verdict := ItemAccepted, "accepted"
		if !accept {
			status, verdict = ItemRejected, "rejected"
		}
		now := s.d.Now()
		err = s.d.DB.Conn(ctx).Model(&ChecklistItem{}).Where("id = ?", itemID).Updates(map[string]any{"status": status,
			"cps_reason": in.Reason, "cps_decided_by": who.UserID, "cps_decided_at": now}).Error
		if err != nil {
			return core.DBError(err)
		}
		summary := "CPS " + verdict + " checklist item: " + core.Clip(it.Text, 80)
		if err := s.event(ctx, who, cf.ID, "review", summary, in.Reason); err != nil {
			return err
		}
		if !accept {
			if _, err := s.raiseAction(ctx, who, cf, ActionInput{Text: in.Reason, DueOn: in.ActionDue, ItemID: itemID}); err != nil {
				return err
			}
		} else {
			cf.UpdatedAt = now
			if err := s.d.DB.Conn(ctx).Model(cf).Update("updated_at", now).Error; err != nil {
				return core.DBError(err)
			}
		}
		if out, err = s.item(ctx, cf.ID, itemID); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "checklist.review", ObjectType: "checklist_item", ObjectID: core.IDString(itemID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"case": core.IDString(cf.ID), "verdict": verdict}})
	})
	return out, err
}

// dateOnly is the calendar day of t, at midnight UTC.
func dateOnly(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// uniqueIDs drops zeros and repeats, keeping order.
func uniqueIDs(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if id > 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// textLen is a string's length in characters.
func textLen(s string) int { return utf8.RuneCountInString(s) }
