package guidance

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// Acknowledgement: a published version can ask its audience to confirm they have read it. An
// acknowledgement records the user, the version and the time. It stands for later versions
// until one is published as major (or is the first to ask again after versions that did not):
// the document's ack_from_number then moves to that version and everyone acknowledges afresh.

// acknowledgedAt is when userID last acknowledged a version of doc that still counts, or nil.
func (g *Service) acknowledgedAt(ctx context.Context, userID int64, doc guidanceDocument) (*time.Time, error) {
	var at []time.Time
	err := g.d.DB.Conn(ctx).Table("guidance_acknowledgements").Where("document_id = ? AND user_id = ? AND version_number >= ?",
		doc.ID, userID, doc.AckFromNumber).Order("version_number DESC").Limit(1).Pluck("acknowledged_at", &at).Error
	if err != nil || len(at) == 0 {
		return nil, core.DBError(err)
	}
	t := at[0].UTC()
	return &t, nil
}

// Acknowledge records that who has read the current version of a document that asks for it.
// Acknowledging again is harmless.
// Who: the document's audience. Errors: ENOTFOUND, EFORBIDDEN (reads it as an editor, not as
// its audience), ECONFLICT (it asks for no acknowledgement).
func (g *Service) Acknowledge(ctx context.Context, who core.Actor, documentID int64) (GuidanceDocumentView, error) {
	err := g.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Guidance)
		l, obj, err := g.seeDocument(ctx, who, documentID)
		if err != nil {
			return err
		}
		if l.v.Status != GuidancePublished {
			return core.Conflict("This guidance is not published yet, so there is nothing to acknowledge.")
		}
		if !l.v.RequiresAck {
			return core.Conflict("This guidance does not ask for acknowledgement.")
		}
		if err := core.Can(ctx, g.d.Authz, who, policies.ActAcknowledge, obj, "This guidance is not addressed to you, so you do not acknowledge it."); err != nil {
			return err
		}
		var n int64
		if err := g.d.DB.Conn(ctx).Table("guidance_acknowledgements").Where("version_id = ? AND user_id = ?", l.v.ID, who.UserID).Count(&n).Error; err != nil {
			return core.DBError(err)
		}
		if err := g.closeAcks(ctx, documentID, who.UserID); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		row := map[string]any{"document_id": documentID, "version_id": l.v.ID, "version_number": l.v.Number, "user_id": who.UserID, "acknowledged_at": g.d.Now()}
		if err := g.d.DB.Conn(ctx).Table("guidance_acknowledgements").Create(row).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return nil // a double click: the first one counted
			}
			return core.DBError(err)
		}
		return g.audit.Record(ctx, &who, guidanceEvent("guidance.acknowledge", l.v, nil))
	})
	if err != nil {
		return GuidanceDocumentView{}, err
	}
	return g.Document(ctx, who, documentID)
}

// Outstanding lists the published documents who is in the audience of that ask for an
// acknowledgement they have not given, oldest publication first.
// Who: anyone signed in.
func (g *Service) Outstanding(ctx context.Context, who core.Actor) ([]GuidanceDocument, error) {
	scope, args, err := g.readerScope(ctx, who, true)
	if err != nil {
		return nil, err
	}
	args = append(args, who.UserID)
	var rows []guidanceDocRow
	err = g.d.DB.Conn(ctx).Raw("SELECT "+guidanceDocColumns+" FROM "+guidanceCurrent+" WHERE v.requires_ack = ? AND "+scope+
		" AND NOT EXISTS (SELECT 1 FROM guidance_acknowledgements a WHERE a.document_id = d.id AND a.user_id = ? AND a.version_number >= d.ack_from_number)"+
		" ORDER BY v.published_at, d.id", append([]any{true}, args...)...).Scan(&rows).Error
	if err != nil {
		return nil, core.DBError(err)
	}
	return g.documents(ctx, rows)
}

// GuidanceAckPerson is one member of an organisation in a document's audience, and whether they have
// acknowledged it.
type GuidanceAckPerson struct {
	UserID       int64      `json:"user_id"`
	Name         string     `json:"name"`
	Email        string     `json:"email"`
	Acknowledged *time.Time `json:"acknowledged_at,omitempty"`
}

// GuidanceAckDocument is one mandatory document in an organisation's acknowledgement report.
type GuidanceAckDocument struct {
	GuidanceDocument
	Audience     int                 `json:"audience"` // people of the organisation it is addressed to
	Acknowledged int                 `json:"acknowledged"`
	Outstanding  int                 `json:"outstanding"`
	People       []GuidanceAckPerson `json:"people,omitempty"` // filled for one document
}

// GuidanceAckReport is, for the actor's organisation, who has and has not acknowledged each mandatory
// document they may read.
type GuidanceAckReport struct {
	OrganisationID int64                 `json:"organisation_id"`
	Organisation   string                `json:"organisation"`
	Classification string                `json:"classification"` // the highest of the documents listed
	Documents      []GuidanceAckDocument `json:"documents"`
}

// ackMember is a person of the reporting organisation as the report decides on them.
type ackMember struct {
	ID        int64
	Name      string
	Email     string
	reader    guidanceReader
	clearance policies.Level
}

// ackReport builds the report for who's organisation, of every mandatory document who may read
// (only), or of one of them. The people counted are the organisation's enabled users inside
// each document's audience whose clearance covers it: the same rule as seeVersion.
func (g *Service) ackReport(ctx context.Context, who core.Actor, documentID int64, people bool) (GuidanceAckReport, error) {
	out := GuidanceAckReport{OrganisationID: who.OrgID, Documents: []GuidanceAckDocument{}}
	if err := core.Can(ctx, g.d.Authz, who, policies.ActReport, policies.Object{Type: "acknowledgement", Org: policies.OrgDomain(who.OrgID)},
		"Only supervisors and organisation administrators can see who has acknowledged guidance."); err != nil {
		return out, err
	}
	var err error
	if out.Organisation, err = g.orgName(ctx, who.OrgID); err != nil {
		return out, err
	}
	scope, args, err := g.readerScope(ctx, who, false)
	if err != nil {
		return out, err
	}
	q := "SELECT " + guidanceDocColumns + ", d.ack_from_number FROM " + guidanceCurrent + " WHERE v.requires_ack = ? AND " + scope
	args = append([]any{true}, args...)
	if documentID != 0 {
		q += " AND d.id = ?"
		args = append(args, documentID)
	}
	var rows []struct {
		Doc           guidanceDocRow `gorm:"embedded"`
		AckFromNumber int
	}
	if err := g.d.DB.Conn(ctx).Raw(q+" ORDER BY v.published_at DESC, d.id DESC", args...).Scan(&rows).Error; err != nil {
		return out, core.DBError(err)
	}
	if documentID != 0 && len(rows) == 0 {
		return out, core.NotFound("Guidance not found")
	}
	plain := make([]guidanceDocRow, len(rows))
	ids := []int64{0}
	for i, r := range rows {
		plain[i] = r.Doc
		ids = append(ids, r.Doc.VersionID)
	}
	docs, err := g.documents(ctx, plain)
	if err != nil {
		return out, err
	}
	var versions []guidanceVersion
	if err := g.d.DB.Conn(ctx).Where("id IN ?", ids).Find(&versions).Error; err != nil {
		return out, core.DBError(err)
	}
	audiences, err := g.audiences(ctx, versions)
	if err != nil {
		return out, err
	}
	members, err := g.members(ctx, who.OrgID)
	if err != nil {
		return out, err
	}
	acks, err := g.orgAcks(ctx, who.OrgID, rows)
	if err != nil {
		return out, err
	}
	level := policies.Unmarked
	for i, r := range rows {
		doc := GuidanceAckDocument{GuidanceDocument: docs[i]}
		level = max(level, policies.Level(r.Doc.Classification))
		for _, m := range members {
			if m.clearance < policies.Level(r.Doc.Classification) || !audiences[r.Doc.VersionID].includes(m.reader) {
				continue
			}
			doc.Audience++
			at, ok := acks[[2]int64{r.Doc.ID, m.ID}]
			if ok {
				doc.Acknowledged++
			} else {
				doc.Outstanding++
			}
			if people {
				p := GuidanceAckPerson{UserID: m.ID, Name: m.Name, Email: m.Email}
				if ok {
					t := at.UTC()
					p.Acknowledged = &t
				}
				doc.People = append(doc.People, p)
			}
		}
		out.Documents = append(out.Documents, doc)
	}
	out.Classification = level.String()
	return out, nil
}

// members lists the enabled users of an organisation with what audience decisions need, by name.
func (g *Service) members(ctx context.Context, orgID int64) ([]ackMember, error) {
	var kind string
	if err := g.d.DB.Conn(ctx).Table("organisations").Select("kind").Where("id = ?", orgID).Scan(&kind).Error; err != nil {
		return nil, core.DBError(err)
	}
	var users []core.User
	if err := g.d.DB.Conn(ctx).Where("organisation_id = ? AND disabled_at IS NULL", orgID).Order("name, id").Find(&users).Error; err != nil {
		return nil, core.DBError(err)
	}
	now := g.d.Now()
	out := make([]ackMember, 0, len(users))
	for _, u := range users {
		clearance, _ := core.Access(u.VettingLevel, u.VettingExpiresOn, now)
		roles := g.d.Authz.RolesIn(policies.UserPrincipal(u.ID), policies.OrgDomain(orgID))
		out = append(out, ackMember{ID: u.ID, Name: u.Name, Email: u.Email, clearance: clearance,
			reader: guidanceReader{OrgID: orgID, Kind: core.OrgKind(kind), Roles: roles}})
	}
	return out, nil
}

// orgAcks are the acknowledgements that count, by (document, user), of the organisation's users.
func (g *Service) orgAcks(ctx context.Context, orgID int64, docs []struct {
	Doc           guidanceDocRow `gorm:"embedded"`
	AckFromNumber int
}) (map[[2]int64]time.Time, error) {
	out := map[[2]int64]time.Time{}
	if len(docs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(docs))
	for i, d := range docs {
		ids[i] = d.Doc.ID
	}
	var rows []struct {
		DocumentID     int64
		UserID         int64
		AcknowledgedAt time.Time
	}
	err := g.d.DB.Conn(ctx).Raw("SELECT a.document_id, a.user_id, a.acknowledged_at FROM guidance_acknowledgements a "+
		"JOIN guidance_documents d ON d.id = a.document_id JOIN users u ON u.id = a.user_id "+
		"WHERE a.document_id IN ? AND u.organisation_id = ? AND a.version_number >= d.ack_from_number",
		ids, orgID).Scan(&rows).Error
	if err != nil {
		return nil, core.DBError(err)
	}
	for _, r := range rows {
		k := [2]int64{r.DocumentID, r.UserID}
		if r.AcknowledgedAt.After(out[k]) {
			out[k] = r.AcknowledgedAt
		}
	}
	return out, nil
}

// AcknowledgementReport counts, for who's organisation, how many of the people each mandatory
// document is addressed to have and have not acknowledged it. Only documents who may read are
// listed. Who: supervisors and organisation administrators. Errors: EFORBIDDEN.
func (g *Service) AcknowledgementReport(ctx context.Context, who core.Actor) (GuidanceAckReport, error) {
	return g.ackReport(ctx, who, 0, false)
}

// AcknowledgementsOf lists, for who's organisation, each person a mandatory document is
// addressed to and when they acknowledged it. Who: supervisors and organisation administrators.
// Errors: EFORBIDDEN, ENOTFOUND (not a mandatory document who may read).
func (g *Service) AcknowledgementsOf(ctx context.Context, who core.Actor, documentID int64) (GuidanceAckDocument, GuidanceAckReport, error) {
	r, err := g.ackReport(ctx, who, documentID, true)
	if err != nil {
		return GuidanceAckDocument{}, r, err
	}
	sortAckPeople(r.Documents[0].People)
	return r.Documents[0], r, nil
}

// ExportAcknowledgements writes the report as CSV, one row per document and person, and records
// the export before writing it. header is called with the highest classification in the export before anything is
// written, so the download can be named with it. Cells a spreadsheet would run as a formula get
// a leading single quote. Who: supervisors and organisation administrators. Errors: EFORBIDDEN,
// EINTERNAL (including a failure to write to w).
func (g *Service) ExportAcknowledgements(ctx context.Context, who core.Actor, header func(classification string), w io.Writer) error {
	r, err := g.ackReport(ctx, who, 0, true)
	if err != nil {
		return err
	}
	// Recorded before the first byte leaves: an export cut off midway, or one whose record
	// could not be written, must not have sent people's details unrecorded.
	var rows int
	for _, d := range r.Documents {
		rows += len(d.People)
	}
	if err := g.d.DB.InTx(ctx, func(ctx context.Context) error {
		return g.audit.Record(ctx, &who, core.Event{Action: "guidance.acknowledgements_export", ObjectType: "organisation",
			ObjectID: core.IDString(who.OrgID), Outcome: core.OutcomeSuccess, Details: map[string]string{"rows": strconv.Itoa(rows)}})
	}); err != nil {
		return err
	}
	header(strings.TrimSpace(r.Classification))
	cw := csv.NewWriter(w)
	write := func(rec []string) error {
		for i, s := range rec {
			rec[i] = core.CSVSafe(s)
		}
		return cw.Write(rec)
	}
	werr := write([]string{"document_id", "title", "version", "classification", "organisation", "name", "email", "status", "acknowledged_at"})
	for _, d := range r.Documents {
		for _, p := range d.People {
			if werr != nil {
				break
			}
			status, at := "outstanding", ""
			if p.Acknowledged != nil {
				status, at = "acknowledged", p.Acknowledged.Format(time.RFC3339)
			}
			werr = write([]string{core.IDString(d.ID), d.Title, strconv.Itoa(d.Number), d.Classification, r.Organisation, p.Name, p.Email, status, at})
		}
	}
	if werr == nil {
		cw.Flush()
		werr = cw.Error()
	}
	if werr != nil {
		return core.Internal(fmt.Errorf("write acknowledgements export: %w", werr))
	}
	return nil
}

// sortAckPeople orders people still to acknowledge first, then by name.
func sortAckPeople(ps []GuidanceAckPerson) {
	slices.SortStableFunc(ps, func(a, b GuidanceAckPerson) int {
		if (a.Acknowledged == nil) != (b.Acknowledged == nil) {
			if a.Acknowledged == nil {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
}
