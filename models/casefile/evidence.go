package casefile

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// EvidenceKind says where an exhibit's media is: uploaded into MSP Hub, or held in a force
// evidence system (DEMS) and referenced by its ID and hash.
type EvidenceKind string

// Evidence kinds.
const (
	EvidenceFile      EvidenceKind = "file"
	EvidenceReference EvidenceKind = "reference"
)

// DefaultMaxEvidenceBytes is the evidence size limit when none is configured.
const DefaultMaxEvidenceBytes int64 = 5 << 30

// EvidenceTypes are the file types evidence may be, judged from the bytes: the document types,
// more images, audio, video, e-mail and archives. Active content (HTML, SVG, scripts,
// programs) is never among them, and refusedAlways refuses it whatever the list says.
func EvidenceTypes() []string {
	return append(core.DocumentTypes(),
		"text/csv", "text/rtf", "application/json", "message/rfc822", "application/vnd.ms-outlook",
		"image/gif", "image/webp", "image/tiff", "image/bmp", "image/heic", "image/heif",
		"audio/mpeg", "audio/wav", "audio/mp4", "audio/x-m4a", "audio/aac", "audio/ogg", "audio/flac", "audio/amr", "audio/3gpp",
		"video/mp4", "video/quicktime", "video/x-msvideo", "video/matroska", "video/webm", "video/mpeg", "video/3gpp", "video/x-m4v",
		"application/zip", "application/x-7z-compressed", "application/vnd.rar", "application/gzip", "application/x-tar")
}

// HashAlgorithms are the hash algorithms a force evidence system may give for a referenced
// exhibit, with the length of their hex digest.
var hashLengths = map[string]int{"SHA-256": 64, "SHA-1": 40, "MD5": 32}

// HashAlgorithms lists them in the order forms offer them.
func HashAlgorithms() []string { return []string{"SHA-256", "SHA-1", "MD5"} }

// EvidenceItem is an exhibit's row. It is never changed once written: a correction is a new
// item that supersedes it.
type EvidenceItem struct {
	ID               int64        `json:"id"`
	CaseID           int64        `json:"case_id"`
	ExhibitRef       string       `json:"exhibit_ref"`
	ExhibitKey       string       `json:"-"`
	Description      string       `json:"description"`
	Producer         string       `json:"producer"`
	ProducedOn       *time.Time   `json:"produced_on,omitempty"`
	Source           string       `json:"source"`
	Kind             EvidenceKind `json:"kind"`
	BlobID           *int64       `json:"-"`
	FileName         string       `json:"file_name,omitempty"`
	ExternalSystem   string       `json:"external_system,omitempty"`
	ExternalID       string       `json:"external_id,omitempty"`
	HashAlgorithm    string       `json:"hash_algorithm,omitempty"`
	ExternalHash     string       `json:"external_hash,omitempty"`
	SupersedesID     *int64       `json:"supersedes_id,omitempty"`
	CorrectionReason string       `json:"correction_reason,omitempty"`
	CreatedBy        int64        `json:"created_by"`
	CreatedAt        time.Time    `json:"created_at"`
}

// TableName is the table of evidence items.
func (EvidenceItem) TableName() string { return "evidence_items" }

// EvidenceView is an exhibit with its file's figures, who added it, what it supersedes or is
// superseded by, and the checklist items it answers.
type EvidenceView struct {
	EvidenceItem
	Size            int64       `json:"size,omitempty"`
	SHA256          string      `json:"sha256,omitempty"`
	ContentType     string      `json:"content_type,omitempty"`
	AddedBy         string      `json:"added_by"`
	SupersedesRef   string      `json:"supersedes_exhibit_ref,omitempty"`
	SupersededByID  *int64      `json:"superseded_by_id,omitempty"`
	SupersededByRef string      `json:"superseded_by_exhibit_ref,omitempty"`
	Items           []ItemBrief `json:"items"`
}

// Current reports whether no correction has superseded the exhibit.
func (v EvidenceView) Current() bool { return v.SupersededByID == nil }

// ItemBrief names a checklist item an exhibit answers.
type ItemBrief struct {
	ID   int64  `json:"id"`
	Text string `json:"text"`
}

// EvidenceInput describes an exhibit being added: its reference (unique in the case),
// description, producer, date and source, the checklist items it answers, and, for a
// correction, the exhibit it supersedes and why.
type EvidenceInput struct {
	ExhibitRef       string     `json:"exhibit_ref"`
	Description      string     `json:"description"`
	Producer         string     `json:"producer"`
	ProducedOn       *time.Time `json:"produced_on"`
	Source           string     `json:"source"`
	ItemIDs          []int64    `json:"item_ids"`
	Supersedes       int64      `json:"supersedes"`
	CorrectionReason string     `json:"correction_reason"`
}

// ReferenceInput describes media held in a force evidence system, referenced without upload.
type ReferenceInput struct {
	EvidenceInput
	System        string `json:"system"`
	ExternalID    string `json:"external_id"`
	HashAlgorithm string `json:"hash_algorithm"`
	Hash          string `json:"hash"`
}

var exhibitPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 /.\-]*$`)

// exhibitKey is how exhibit references are compared: capitals, no spaces.
func exhibitKey(ref string) string {
	return strings.ToUpper(strings.Join(strings.Fields(ref), ""))
}

func (in *EvidenceInput) validate(now time.Time) error {
	var p core.Problems
	in.check(&p, now)
	return p.Err()
}

// check adds to p every problem of the exhibit's details.
func (in *EvidenceInput) check(p *core.Problems, now time.Time) {
	in.ExhibitRef = strings.Join(strings.Fields(in.ExhibitRef), " ")
	switch {
	case in.ExhibitRef == "":
		p.Add("exhibit_ref", "Enter the exhibit reference, like JS/1")
	case textLen(in.ExhibitRef) > 40:
		p.Add("exhibit_ref", "Exhibit reference must be 40 characters or fewer")
	case !exhibitPattern.MatchString(in.ExhibitRef):
		p.Add("exhibit_ref", "Exhibit reference can only contain letters, numbers, spaces, slashes, hyphens and full stops, like JS/1")
	}
	p.Check(core.CheckText("description", &in.Description, 2000, true, "Describe the exhibit: what it is and what it shows", "Description"))
	p.Check(core.CheckText("producer", &in.Producer, 200, true, "Enter who produced the exhibit", "Producer"))
	p.Check(core.CheckText("source", &in.Source, 300, false, "", "Source"))
	if in.ProducedOn != nil {
		d := dateOnly(*in.ProducedOn)
		if d.After(dateOnly(now)) {
			p.Add("produced_on", "The date produced must be today or in the past")
		}
		in.ProducedOn = &d
	}
	if in.Supersedes != 0 {
		p.Check(core.CheckText("correction_reason", &in.CorrectionReason, 1000, true, "Say why the exhibit is being corrected", "The reason"))
	} else {
		in.CorrectionReason = ""
	}
	in.ItemIDs = uniqueIDs(in.ItemIDs)
}

func (in *ReferenceInput) validate(now time.Time) error {
	var p core.Problems
	in.EvidenceInput.check(&p, now)
	p.Check(core.CheckText("system", &in.System, 100, true, "Enter the evidence system that holds the media, like the force DEMS", "System"))
	p.Check(core.CheckText("external_id", &in.ExternalID, 200, true, "Enter the media's ID in that system", "ID"))
	in.Hash = strings.ToLower(strings.TrimSpace(in.Hash))
	if n, ok := hashLengths[in.HashAlgorithm]; !ok {
		p.Add("hash_algorithm", "Select the hash algorithm the evidence system used")
	} else if _, err := hex.DecodeString(in.Hash); err != nil || len(in.Hash) != n {
		p.Add("hash", "Enter the "+in.HashAlgorithm+" hash as "+core.IDString(int64(n))+" hexadecimal characters")
	}
	return p.Err()
}

// checkEvidence checks, in the case cf, that an exhibit may be added: the status allows a
// change, the reference is free, the items and the superseded exhibit belong to the case.
func (s *Service) checkEvidence(ctx context.Context, cf *CaseFile, in EvidenceInput) error {
	if err := s.checkMove(cf, moveEdit); err != nil {
		return err
	}
	db := s.d.DB.Conn(ctx)
	var n int64
	if err := db.Model(&EvidenceItem{}).Where("case_id = ? AND exhibit_key = ?", cf.ID, exhibitKey(in.ExhibitRef)).Count(&n).Error; err != nil {
		return core.DBError(err)
	}
	if n > 0 {
		return &core.Error{Code: core.ECONFLICT, Field: "exhibit_ref", Message: "Exhibit reference " + in.ExhibitRef + " is already used in this case: give this exhibit its own reference"}
	}
	if len(in.ItemIDs) > 0 {
		if err := db.Model(&ChecklistItem{}).Where("case_id = ? AND id IN ?", cf.ID, in.ItemIDs).Count(&n).Error; err != nil {
			return core.DBError(err)
		}
		if int(n) != len(in.ItemIDs) {
			return core.Invalid("item_ids", "Select checklist items of this case")
		}
	}
	if in.Supersedes != 0 {
		if err := db.Model(&EvidenceItem{}).Where("case_id = ? AND id = ?", cf.ID, in.Supersedes).Count(&n).Error; err != nil {
			return core.DBError(err)
		}
		if n == 0 {
			return core.Invalid("supersedes", "Select an exhibit of this case to correct")
		}
		if err := db.Model(&EvidenceItem{}).Where("supersedes_id = ?", in.Supersedes).Count(&n).Error; err != nil {
			return core.DBError(err)
		}
		if n > 0 {
			return core.Conflict("That exhibit has already been corrected: correct the newer exhibit instead.")
		}
	}
	return nil
}

// MayUpload says, before any byte of a file is read, whether the actor may add evidence to the
// case now: so an upload to a case they may not see is not found, and one that cannot be taken is
// refused at once. The team may call it. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT.
func (s *Service) MayUpload(ctx context.Context, who core.Actor, id int64) error {
	cf, _, err := s.loadObject(ctx, who, id, "evidence", policies.ActAdd, false)
	if err != nil {
		return err
	}
	return s.checkMove(cf, moveEdit)
}

// Upload adds an exhibit by uploading its file, streamed into the encrypted store (type judged
// from the bytes against EvidenceTypes, at most limit bytes; 0 means DefaultMaxEvidenceBytes).
// The upload is the exhibit's first custody event. After approval it waits for a new
// submission. The team may call it. Errors: ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT (the
// exhibit reference is taken, or the status allows no change), ETOOLARGE, EUNAVAILABLE.
func (s *Service) Upload(ctx context.Context, who core.Actor, id int64, in EvidenceInput, up core.Upload, limit int64) (EvidenceView, error) {
	if limit <= 0 {
		limit = DefaultMaxEvidenceBytes
	}
	// Refuse before the bytes arrive what can be refused now; the transaction checks again.
	cf, _, err := s.loadObject(ctx, who, id, "evidence", policies.ActAdd, false)
	if err == nil {
		err = in.validate(s.d.Now())
	}
	if err == nil {
		err = s.checkEvidence(ctx, cf, in)
	}
	if err != nil {
		return EvidenceView{}, err
	}
	blob, err := core.PutBlob(ctx, s.d, &who, up, core.FileRules{What: "evidence", Limit: limit, Allowed: EvidenceTypes()})
	if err != nil {
		return EvidenceView{}, err
	}
	var evID int64
	err = s.d.DB.InTx(ctx, func(ctx context.Context) error {
		b, err := blob.Record(ctx)
		if err != nil {
			return err
		}
		ev := EvidenceItem{Kind: EvidenceFile, BlobID: &b.ID, FileName: blob.Name}
		evID, err = s.addEvidence(ctx, who, id, in, &ev, "uploaded", "File "+blob.Name+", "+core.HumanBytes(b.Size)+", SHA-256 "+b.SHA256)
		return err
	})
	if err != nil {
		blob.Discard(ctx)
		return EvidenceView{}, err
	}
	return s.evidenceView(ctx, id, evID)
}

// Reference adds an exhibit whose media is held in a force evidence system, recording the
// system, the media's ID there and its hash, without uploading it. The team may call it.
// Errors: ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) Reference(ctx context.Context, who core.Actor, id int64, in ReferenceInput) (EvidenceView, error) {
	var evID int64
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		if _, _, err := s.loadObject(ctx, who, id, "evidence", policies.ActAdd, false); err != nil {
			return err
		}
		if err := in.validate(s.d.Now()); err != nil {
			return err
		}
		ev := EvidenceItem{Kind: EvidenceReference, ExternalSystem: in.System, ExternalID: in.ExternalID, HashAlgorithm: in.HashAlgorithm, ExternalHash: in.Hash}
		var err error
		evID, err = s.addEvidence(ctx, who, id, in.EvidenceInput, &ev, "referenced", "Held in "+in.System+" as "+in.ExternalID+", "+in.HashAlgorithm+" "+in.Hash)
		return err
	})
	if err != nil {
		return EvidenceView{}, err
	}
	return s.evidenceView(ctx, id, evID)
}

// addEvidence records an exhibit in the transaction in ctx, under the case's lock: the checks
// again, the row (the unique index on the exhibit reference is the last word), its links to
// checklist items, its first custody event, the timeline and the audit log.
func (s *Service) addEvidence(ctx context.Context, who core.Actor, id int64, in EvidenceInput, ev *EvidenceItem, custody, details string) (int64, error) {
	cf, _, err := s.loadObject(ctx, who, id, "evidence", policies.ActAdd, true)
	if err != nil {
		return 0, err
	}
	if err := s.checkEvidence(ctx, cf, in); err != nil {
		return 0, err
	}
	now := s.d.Now()
	ev.CaseID, ev.ExhibitRef, ev.ExhibitKey = cf.ID, in.ExhibitRef, exhibitKey(in.ExhibitRef)
	ev.Description, ev.Producer, ev.ProducedOn, ev.Source = in.Description, in.Producer, in.ProducedOn, in.Source
	ev.CorrectionReason, ev.CreatedBy, ev.CreatedAt = in.CorrectionReason, who.UserID, now
	if in.Supersedes != 0 {
		ev.SupersedesID = &in.Supersedes
	}
	if err := s.d.DB.Conn(ctx).Create(ev).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return 0, &core.Error{Code: core.ECONFLICT, Field: "exhibit_ref", Message: "Exhibit reference " + in.ExhibitRef + " is already used in this case: give this exhibit its own reference"}
		}
		return 0, core.DBError(err)
	}
	for _, item := range in.ItemIDs {
		if err := s.d.DB.Conn(ctx).Exec("INSERT INTO item_evidence (item_id, evidence_id, linked_by, linked_at) VALUES (?, ?, ?, ?)", item, ev.ID, who.UserID, now).Error; err != nil {
			return 0, core.DBError(err)
		}
	}
	if err := s.custody(ctx, who, ev.ID, cf.ID, custody, details); err != nil {
		return 0, err
	}
	summary := "Exhibit " + ev.ExhibitRef + " added"
	auditDetails := map[string]string{"case": core.IDString(cf.ID), "exhibit_ref": ev.ExhibitRef, "kind": string(ev.Kind)}
	if in.Supersedes != 0 {
		var old EvidenceItem
		if err := s.d.DB.Conn(ctx).Take(&old, in.Supersedes).Error; err != nil {
			return 0, core.DBError(err)
		}
		summary = "Exhibit " + ev.ExhibitRef + " supersedes " + old.ExhibitRef
		if err := s.custody(ctx, who, old.ID, cf.ID, "superseded", "Superseded by "+ev.ExhibitRef+": "+in.CorrectionReason); err != nil {
			return 0, err
		}
		auditDetails["supersedes"] = core.IDString(old.ID)
	}
	if err := s.changed(ctx, who, cf, summary); err != nil {
		return 0, err
	}
	return ev.ID, s.audit.Record(ctx, &who, core.Event{Action: "evidence.add", ObjectType: "evidence", ObjectID: core.IDString(ev.ID), Outcome: core.OutcomeSuccess, Details: auditDetails})
}

// CustodyEvent is one entry of an exhibit's continuity record.
type CustodyEvent struct {
	ID           int64     `json:"id"`
	EvidenceID   int64     `json:"evidence_id"`
	CaseID       int64     `json:"-"`
	Action       string    `json:"action"`
	ActorID      *int64    `json:"actor_id,omitempty"`
	ActorOrgID   *int64    `json:"actor_org_id,omitempty"`
	OccurredAt   time.Time `json:"occurred_at"`
	Details      string    `json:"details,omitempty"`
	Actor        string    `json:"actor,omitempty" gorm:"->"`
	Organisation string    `json:"organisation,omitempty" gorm:"->"`
}

// TableName is the table of custody events.
func (CustodyEvent) TableName() string { return "custody_events" }

// custody appends an event to an exhibit's continuity record, in the transaction in ctx.
func (s *Service) custody(ctx context.Context, who core.Actor, evidenceID, caseID int64, action, details string) error {
	e := CustodyEvent{EvidenceID: evidenceID, CaseID: caseID, Action: action, OccurredAt: s.d.Now(), Details: core.Clip(details, 2000)}
	if who.UserID != 0 {
		e.ActorID = &who.UserID
	}
	if who.OrgID != 0 {
		e.ActorOrgID = &who.OrgID
	}
	return core.DBError(s.d.DB.Conn(ctx).Omit("Actor", "Organisation").Create(&e).Error)
}

// evidenceViews reads a case's exhibits with their figures, oldest first: those of ids, or all
// of them when ids is nil.
func (s *Service) evidenceViews(ctx context.Context, caseID int64, ids []int64) ([]EvidenceView, error) {
	var rows []struct {
		EvidenceItem
		Size            int64
		SHA256          string
		ContentType     string
		AddedBy         string
		SupersedesRef   string
		SupersededByID  *int64
		SupersededByRef string
	}
	q := s.d.DB.Conn(ctx).Table("evidence_items e").
		Select("e.*, COALESCE(b.size, 0) AS size, COALESCE(b.sha256, '') AS sha256, COALESCE(b.content_type, '') AS content_type, "+
			"COALESCE(u.name, '') AS added_by, COALESCE(o.exhibit_ref, '') AS supersedes_ref, n.id AS superseded_by_id, COALESCE(n.exhibit_ref, '') AS superseded_by_ref").
		Joins("LEFT JOIN blobs b ON b.id = e.blob_id").
		Joins("LEFT JOIN users u ON u.id = e.created_by").
		Joins("LEFT JOIN evidence_items o ON o.id = e.supersedes_id").
		Joins("LEFT JOIN evidence_items n ON n.supersedes_id = e.id").
		Where("e.case_id = ?", caseID)
	links := s.d.DB.Conn(ctx).Table("item_evidence ie").Select("ie.evidence_id, ie.item_id, ti.text").
		Joins("JOIN checklist_items ci ON ci.id = ie.item_id").
		Joins("JOIN template_items ti ON ti.id = ci.template_item_id").
		Where("ci.case_id = ?", caseID)
	if ids != nil {
		q, links = q.Where("e.id IN ?", ids), links.Where("ie.evidence_id IN ?", ids)
	}
	if err := q.Order("e.id").Scan(&rows).Error; err != nil {
		return nil, core.DBError(err)
	}
	var linked []struct {
		EvidenceID int64
		ItemID     int64
		Text       string
	}
	if err := links.Order("ie.item_id").Scan(&linked).Error; err != nil {
		return nil, core.DBError(err)
	}
	out := make([]EvidenceView, 0, len(rows))
	for _, r := range rows {
		v := EvidenceView{EvidenceItem: r.EvidenceItem, Size: r.Size, SHA256: r.SHA256, ContentType: r.ContentType, AddedBy: r.AddedBy,
			SupersedesRef: r.SupersedesRef, SupersededByID: r.SupersededByID, SupersededByRef: r.SupersededByRef, Items: []ItemBrief{}}
		for _, l := range linked {
			if l.EvidenceID == r.ID {
				v.Items = append(v.Items, ItemBrief{ID: l.ItemID, Text: l.Text})
			}
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Service) evidenceView(ctx context.Context, caseID, evID int64) (EvidenceView, error) {
	vs, err := s.evidenceViews(ctx, caseID, []int64{evID})
	if err != nil {
		return EvidenceView{}, err
	}
	if len(vs) == 0 {
		return EvidenceView{}, core.NotFound("Evidence not found")
	}
	return vs[0], nil
}

// EvidencePage is a page of a case's exhibit register and where it stands in the whole.
type EvidencePage struct {
	Evidence []EvidenceView `json:"evidence"`
	core.Pages
}

// Evidence lists a page of a case's exhibits, oldest first, superseded ones included and
// marked: limit of them (50 unless 1 to 200) after the cursor after ("" for the first page),
// with how many there are in all. A CPS liaison pages through the exhibits of the pack shared
// with them, as it held them. The list shows the exhibit register (references, descriptions,
// hashes), so each page read is recorded in the audit log with how many exhibits it holds and
// which page it is; opening an exhibit (ViewEvidence) or its file (OpenEvidence) is in addition
// a custody event on that exhibit's continuity record. Anyone who may read the case's evidence
// may call it. Errors: ENOTFOUND, EINVALID (a damaged cursor).
func (s *Service) Evidence(ctx context.Context, who core.Actor, id int64, after string, limit int) (EvidencePage, error) {
	out := EvidencePage{Evidence: []EvidenceView{}}
	err := s.readRegister(ctx, who, id, func(ctx context.Context, cf *CaseFile, rd *reading) (map[string]string, error) {
		q := s.d.DB.Conn(ctx).Model(&EvidenceItem{}).Select("id").Where("case_id = ?", cf.ID)
		if rd != nil {
			q = q.Where("id IN ?", slices.Collect(maps.Values(rd.exhibitIDs())))
		}
		ids, pg, err := core.ReadPage(q, "", "id", false, after, core.PageLimit(limit, 200, 50), nil, core.IDCursor)
		if err == nil && len(ids) > 0 {
			out.Evidence, err = s.frozenEvidence(ctx, cf.ID, rd, ids)
		}
		out.Pages = pg
		page := "first"
		if after != "" {
			page = "after " + after
		}
		return map[string]string{"exhibits": core.IDString(int64(len(out.Evidence))), "page": page}, err
	})
	return out, err
}

// Exhibits lists the whole of a case's exhibit register, as Evidence lists it a page at a
// time, for a form that picks exhibits of the case (the evidence of a checklist item). Who may
// call it and errors: as Evidence.
func (s *Service) Exhibits(ctx context.Context, who core.Actor, id int64) ([]EvidenceView, error) {
	var out []EvidenceView
	err := s.readRegister(ctx, who, id, func(ctx context.Context, cf *CaseFile, rd *reading) (map[string]string, error) {
		var err error
		out, err = s.frozenEvidence(ctx, cf.ID, rd, nil)
		return map[string]string{"exhibits": core.IDString(int64(len(out)))}, err
	})
	return out, err
}

// Exhibit returns exhibit evID of a case as the register lists it, for the form that corrects
// it: a read of the register's entry (audited as such), not a custody event as ViewEvidence
// is. Who may call it: as Evidence. Errors: ENOTFOUND.
func (s *Service) Exhibit(ctx context.Context, who core.Actor, id, evID int64) (EvidenceView, error) {
	var out EvidenceView
	err := s.readRegister(ctx, who, id, func(ctx context.Context, cf *CaseFile, rd *reading) (map[string]string, error) {
		vs, err := s.frozenEvidence(ctx, cf.ID, rd, []int64{evID})
		out, err = core.Find(vs, err, func(EvidenceView) bool { return true }, "Evidence not found")
		return map[string]string{"exhibits": "1", "exhibit": core.IDString(evID)}, err
	})
	return out, err
}

// readRegister runs read on case id's exhibit register as who may read it (rd is the pack a
// reader through a CPS share reads, nil for the live file), as one audited read whose details
// read gives.
func (s *Service) readRegister(ctx context.Context, who core.Actor, id int64, read func(ctx context.Context, cf *CaseFile, rd *reading) (map[string]string, error)) error {
	return s.audit.RecordRead(ctx, &who, func(ctx context.Context) (core.Event, error) {
		cf, obj, err := s.loadObject(ctx, who, id, "evidence", policies.ActRead, false)
		if err != nil {
			return core.Event{}, err
		}
		rd, err := s.readingOf(ctx, who, cf, obj)
		if err != nil {
			return core.Event{}, err
		}
		details, err := read(ctx, cf, rd)
		if err != nil {
			return core.Event{}, err
		}
		return core.Event{Action: "evidence.list", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess, Details: details}, nil
	})
}

// ViewEvidence returns an exhibit with its continuity record; the view itself is a custody
// event and is audited. Anyone who may read the case's evidence may call it. Errors:
// ENOTFOUND.
func (s *Service) ViewEvidence(ctx context.Context, who core.Actor, id, evID int64) (EvidenceView, []CustodyEvent, error) {
	var (
		v      EvidenceView
		record []CustodyEvent
	)
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		var cf *CaseFile
		var err error
		if cf, v, err = s.readEvidence(ctx, who, id, evID); err != nil {
			return err
		}
		if err := s.custody(ctx, who, v.ID, cf.ID, "viewed", ""); err != nil {
			return err
		}
		if record, err = s.continuity(ctx, cf.ID, v); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "evidence.view", ObjectType: "evidence", ObjectID: core.IDString(v.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"case": core.IDString(cf.ID)}})
	})
	return v, record, err
}

// continuity reads the continuity record of exhibit v, oldest first. The correction of an
// exhibit is left out when v, as its reader sees it, is current: a pack shared before the
// correction does not hold it.
func (s *Service) continuity(ctx context.Context, caseID int64, v EvidenceView) ([]CustodyEvent, error) {
	var record []CustodyEvent
	err := s.d.DB.Conn(ctx).Table("custody_events c").
		Select("c.*, COALESCE(u.name, '') AS actor, COALESCE(o.name, '') AS organisation").
		Joins("LEFT JOIN users u ON u.id = c.actor_id").
		Joins("LEFT JOIN organisations o ON o.id = c.actor_org_id").
		Where("c.case_id = ? AND c.evidence_id = ?", caseID, v.ID).Order("c.id").Scan(&record).Error
	if err != nil {
		return nil, core.DBError(err)
	}
	if v.Current() {
		record = slices.DeleteFunc(record, func(e CustodyEvent) bool { return e.Action == "superseded" })
	}
	return record, nil
}

// readEvidence loads a case whose evidence the actor may read, and its exhibit evID.
// Errors: ENOTFOUND.
func (s *Service) readEvidence(ctx context.Context, who core.Actor, id, evID int64) (*CaseFile, EvidenceView, error) {
	cf, obj, err := s.loadObject(ctx, who, id, "evidence", policies.ActRead, false)
	if err != nil {
		return nil, EvidenceView{}, err
	}
	rd, err := s.readingOf(ctx, who, cf, obj)
	if err != nil {
		return nil, EvidenceView{}, err
	}
	vs, err := s.frozenEvidence(ctx, cf.ID, rd, []int64{evID})
	v, err := core.Find(vs, err, func(EvidenceView) bool { return true }, "Evidence not found")
	return cf, v, err
}

// frozenEvidence is evidenceViews as the reader of rd reads them: as the pack shared with them
// held them, for a reader through a CPS share (see reading); as they are when rd is nil.
func (s *Service) frozenEvidence(ctx context.Context, caseID int64, rd *reading, ids []int64) ([]EvidenceView, error) {
	out, err := s.evidenceViews(ctx, caseID, ids)
	if rd != nil && err == nil {
		out = rd.evidence(out)
	}
	return out, err
}

// OpenEvidence opens an uploaded exhibit's file for download: a custody event, audited. A file
// whose stored bytes fail their check is EINTEGRITY, at once or as an error of Read, and the
// failure is recorded on the exhibit's continuity record and in the audit log. Anyone who may
// read the case's evidence may call it. Errors: ENOTFOUND, EINTEGRITY, EUNAVAILABLE.
func (s *Service) OpenEvidence(ctx context.Context, who core.Actor, id, evID int64) (core.File, error) {
	var (
		v EvidenceView
		b core.Blob
	)
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		var cf *CaseFile
		var err error
		if cf, v, err = s.readEvidence(ctx, who, id, evID); err != nil {
			return err
		}
		if v.Kind != EvidenceFile || v.BlobID == nil {
			return core.NotFound("This exhibit is held in " + v.ExternalSystem + ": there is no file in MSP Hub to download")
		}
		if b, err = core.LoadBlob(ctx, s.d, *v.BlobID); err != nil {
			return err
		}
		if err := s.custody(ctx, who, v.ID, cf.ID, "downloaded", ""); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "evidence.download", ObjectType: "evidence", ObjectID: core.IDString(v.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"case": core.IDString(cf.ID), "sha256": b.SHA256}})
	})
	if err != nil {
		return core.File{}, err
	}
	return s.openChecked(ctx, who, v, b, "download")
}

// openChecked opens an exhibit's blob; an integrity failure, now or while reading, is recorded
// once on the continuity record and in the audit log.
func (s *Service) openChecked(ctx context.Context, who core.Actor, v EvidenceView, b core.Blob, during string) (core.File, error) {
	f, err := core.OpenBlob(ctx, s.d, b, v.FileName)
	if core.ErrorCode(err) == core.EINTEGRITY {
		s.integrityFailure(ctx, who, v, during, err)
	}
	if err != nil {
		return core.File{}, err
	}
	f.ReadCloser = &checkedReader{ReadCloser: f.ReadCloser, report: func(err error) { s.integrityFailure(ctx, who, v, during, err) }}
	return f, nil
}

// checkedReader reports the first integrity failure of a read.
type checkedReader struct {
	io.ReadCloser
	once   sync.Once
	report func(error)
}

func (r *checkedReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err != nil && core.ErrorCode(err) == core.EINTEGRITY {
		r.once.Do(func() { r.report(err) })
	}
	return n, err
}

// integrityFailure records, in a transaction of its own, that an exhibit's stored bytes failed
// their check during a download or export: on its continuity record, in the audit log and in
// the log for the operators.
func (s *Service) integrityFailure(ctx context.Context, who core.Actor, v EvidenceView, during string, cause error) {
	ctx, cancel := core.Detached(ctx)
	defer cancel()
	s.d.Log.ErrorContext(ctx, "evidence failed its integrity check", "evidence", v.ID, "case", v.CaseID, "during", during, "error", cause.Error())
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		if err := s.custody(ctx, who, v.ID, v.CaseID, "integrity_failure", "The stored file failed its integrity check during "+during+": nothing altered was served"); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "evidence.integrity_failure", ObjectType: "evidence", ObjectID: core.IDString(v.ID), Outcome: core.OutcomeFailure,
			Details: map[string]string{"case": core.IDString(v.CaseID), "during": during, "sha256": v.SHA256}})
	})
	if err != nil {
		s.d.Log.ErrorContext(ctx, "could not record an evidence integrity failure", "evidence", v.ID, "error", err.Error())
	}
}
