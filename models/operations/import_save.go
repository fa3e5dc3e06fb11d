package operations

import (
	"context"
	"strings"

	"github.com/msptp/msphub/models/core"
	"gorm.io/gorm"
)

// save writes a valid batch in the transaction of ctx, in bulk: multi-row upserts keyed by the
// references, so that a re-import updates and never duplicates, then the rows that hang off
// each record (exploitation types, partners, charges) deleted and written again. A few dozen
// statements for thousands of rows, never one per row.
func (im *Importer) save(ctx context.Context, who core.Actor, b *importBatch, res *ImportResult) error {
	db := im.d.DB.Conn(ctx)
	now := im.d.Now()

	// Operations, upserted on (organisation, reference). created_by and created_at stay those
	// of the first import.
	opCols := []string{"organisation_id", "reference", "name", "lead_officer_id", "classification", "status", "started_on", "ended_on",
		"children_involved", "organised_crime_group", "cross_border", "covert", "created_by", "created_at", "updated_at"}
	opRows := make([][]any, 0, len(b.ops))
	for _, o := range b.ops {
		in := o.in
		opRows = append(opRows, []any{who.OrgID, in.Reference, strings.TrimSpace(in.Name), o.leadID, int(classification), string(in.Status),
			Day(in.StartedOn), dayPtr(in.EndedOn), in.Children, in.OrganisedCrime, in.CrossBorder, in.Covert, who.UserID, now, now})
	}
	if err := upsert(db, "operations", opCols, []string{"organisation_id", "reference"}, opRows,
		[]string{"name", "lead_officer_id", "status", "started_on", "ended_on", "children_involved", "organised_crime_group", "cross_border", "covert", "updated_at"}); err != nil {
		return err
	}
	fileRefs := make([]string, 0, len(b.ops))
	for _, o := range b.ops {
		fileRefs = append(fileRefs, o.in.Reference)
	}
	opIDs := map[string]int64{}
	if err := chunks(fileRefs, func(part []string) error {
		var got []struct {
			ID        int64
			Reference string
		}
		err := db.Table("operations").Select("id, reference").Where("organisation_id = ? AND reference IN ?", who.OrgID, part).Scan(&got).Error
		for _, r := range got {
			opIDs[r.Reference] = r.ID
		}
		return err
	}); err != nil {
		return core.DBError(err)
	}
	for ref, t := range b.targets {
		switch {
		case t.row != nil:
			t.id = opIDs[ref]
		case t.existing != nil:
			t.id = t.existing.ID
		}
	}
	ids := make([]int64, 0, len(b.ops))
	var exploit, partners, members [][]any
	leads, leadOrder := map[int64][]int64{}, []int64(nil) // lead officer: the operations the import gives them
	for _, o := range b.ops {
		t := b.targets[o.in.Reference]
		ids = append(ids, t.id)
		for _, e := range o.in.Exploitation {
			exploit = append(exploit, []any{t.id, string(e)})
		}
		for _, p := range o.partnerIDs {
			partners = append(partners, []any{t.id, p})
		}
		// The importer joins the team of what they import, as the one who records an operation does.
		if t.existing == nil || !t.existing.Member {
			members = append(members, []any{t.id, who.UserID, who.UserID, now})
		}
		// A lead officer the import names or changes is told, as by Create and Update: once,
		// however many operations it gives them.
		if t.existing == nil || t.existing.LeadOfficerID != o.leadID {
			if leads[o.leadID] == nil {
				leadOrder = append(leadOrder, o.leadID)
			}
			leads[o.leadID] = append(leads[o.leadID], t.id)
		}
	}
	for _, lead := range leadOrder {
		if err := tellLead(ctx, im.d, who, lead, leads[lead]...); err != nil {
			return err
		}
	}
	if err := replaceRows(db, "operation_exploitation", "operation_id", ids, []string{"operation_id", "type"}, exploit); err != nil {
		return err
	}
	if err := replaceRows(db, "operation_partners", "operation_id", ids, []string{"operation_id", "organisation_id"}, partners); err != nil {
		return err
	}
	if err := insertRows(db, "operation_members", []string{"operation_id", "user_id", "added_by", "added_at"}, members); err != nil {
		return err
	}
	// A partner taken off an updated operation takes its people off it (their grants stay on
	// record), as an update through the form does.
	var updated []int64
	for _, o := range b.ops {
		if t := b.targets[o.in.Reference]; t.existing != nil {
			updated = append(updated, t.id)
		}
	}
	if err := chunks(updated, func(part []int64) error {
		r := db.Exec(`UPDATE operation_members SET removed_at = ?, removed_by = ?
			WHERE removed_at IS NULL AND operation_id IN ?
			AND user_id IN (SELECT u.id FROM users u WHERE u.organisation_id <> ?)
			AND NOT EXISTS (SELECT 1 FROM operation_partners p JOIN users u ON u.organisation_id = p.organisation_id
				WHERE p.operation_id = operation_members.operation_id AND u.id = operation_members.user_id)`, now, who.UserID, part, who.OrgID)
		res.membersRemoved += r.RowsAffected
		return r.Error
	}); err != nil {
		return core.DBError(err)
	}

	// Potential victims, upserted on (operation, reference); a victim's case stays as it was.
	victimCols := []string{"operation_id", "reference", "age_band", "child", "sex", "nationality", "nrm_referred_on", "first_responder",
		"rg_decided_on", "rg_outcome", "cg_decided_on", "cg_outcome", "duty_to_notify", "safeguarding", "support_accepted",
		"created_by", "created_at", "updated_at"}
	victimRows := make([][]any, 0, len(b.victims))
	victimOps := map[int64]bool{}
	for _, v := range b.victims {
		in := v.in
		victimOps[v.op.id] = true
		victimRows = append(victimRows, []any{v.op.id, in.Reference, string(in.AgeBand), in.AgeBand.Child(), string(in.Sex), strings.ToUpper(in.Nationality),
			dayPtr(in.NRMReferredOn), string(in.FirstResponder), dayPtr(in.RGDecidedOn), string(in.RGOutcome), dayPtr(in.CGDecidedOn), string(in.CGOutcome),
			in.DutyToNotify, in.Safeguarding, in.SupportAccepted, who.UserID, now, now})
	}
	if err := upsert(db, "victims", victimCols, []string{"operation_id", "reference"}, victimRows, updatable(victimCols)); err != nil {
		return err
	}
	victimIDs, err := im.recordedPeople(ctx, "victims", setOf(victimOps))
	if err != nil {
		return err
	}
	var vIDs []int64
	var vExploit [][]any
	for _, v := range b.victims {
		id := victimIDs[personKey{v.op.id, v.in.Reference}]
		vIDs = append(vIDs, id)
		for _, e := range v.in.Exploitation {
			vExploit = append(vExploit, []any{id, string(e)})
		}
	}
	if err := replaceRows(db, "victim_exploitation", "victim_id", vIDs, []string{"victim_id", "type"}, vExploit); err != nil {
		return err
	}

	// Suspects, upserted on (operation, reference); then their charges replaced by the file's.
	suspectCols := []string{"operation_id", "reference", "age_band", "child", "sex", "nationality", "role", "arrested_on", "s45_raised",
		"sentence_months", "stpo", "reparation_order", "confiscation_pounds", "created_by", "created_at", "updated_at"}
	suspectRows := make([][]any, 0, len(b.suspects))
	suspectOps := map[int64]bool{}
	for _, s := range b.suspects {
		in := s.in
		suspectOps[s.op.id] = true
		suspectRows = append(suspectRows, []any{s.op.id, in.Reference, string(in.AgeBand), in.AgeBand.Child(), string(in.Sex), strings.ToUpper(in.Nationality),
			string(in.Role), dayPtr(in.ArrestedOn), in.S45Raised, in.SentenceMonths, in.STPO, in.ReparationOrder, in.ConfiscationPounds,
			who.UserID, now, now})
	}
	if err := upsert(db, "suspects", suspectCols, []string{"operation_id", "reference"}, suspectRows, updatable(suspectCols)); err != nil {
		return err
	}
	suspectIDs, err := im.recordedPeople(ctx, "suspects", setOf(suspectOps))
	if err != nil {
		return err
	}
	var sIDs, chargedIDs []int64
	var sExploit, charges [][]any
	addCharges := func(id int64, list []*chargeRow) {
		chargedIDs = append(chargedIDs, id)
		for _, c := range list {
			charges = append(charges, []any{id, string(c.in.Offence), Day(c.in.ChargedOn), string(c.in.Outcome), dayPtr(c.in.OutcomeOn), who.UserID, now})
		}
	}
	for _, s := range b.suspects {
		id := suspectIDs[personKey{s.op.id, s.in.Reference}]
		sIDs = append(sIDs, id)
		for _, e := range s.in.Exploitation {
			sExploit = append(sExploit, []any{id, string(e)})
		}
		if b.chargesFromFile {
			addCharges(id, s.charges)
		}
	}
	for _, o := range b.outsideSuspects {
		addCharges(o.id, o.charges)
	}
	if err := replaceRows(db, "suspect_exploitation", "suspect_id", sIDs, []string{"suspect_id", "type"}, sExploit); err != nil {
		return err
	}
	return replaceRows(db, "suspect_charges", "suspect_id", chargedIDs,
		[]string{"suspect_id", "offence", "charged_on", "outcome", "outcome_on", "recorded_by", "updated_at"}, charges)
}

// updatable is every column of a person but the key and who created it when.
func updatable(cols []string) []string {
	var out []string
	for _, c := range cols {
		switch c {
		case "operation_id", "reference", "created_by", "created_at":
		default:
			out = append(out, c)
		}
	}
	return out
}

func setOf(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	return out
}

// maxParams bounds the parameters of one statement: SQLite allows 32,766, PostgreSQL 65,535.
const maxParams = 30000

// upsert inserts rows (values in the order of cols) in multi-row statements; a row whose key
// columns match a recorded one updates its update columns instead. Both databases read
// INSERT ... ON CONFLICT (key) DO UPDATE SET col = excluded.col the same way.
func upsert(db *gorm.DB, table string, cols, key []string, rows [][]any, update []string) error {
	if len(rows) == 0 {
		return nil
	}
	set := make([]string, len(update))
	for i, c := range update {
		set[i] = c + " = excluded." + c
	}
	suffix := " ON CONFLICT (" + strings.Join(key, ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
	return execRows(db, table, cols, rows, suffix)
}

// insertRows inserts rows in multi-row statements.
func insertRows(db *gorm.DB, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	return execRows(db, table, cols, rows, "")
}

// replaceRows deletes the rows of table whose owner column is one of ids, then inserts rows.
func replaceRows(db *gorm.DB, table, owner string, ids []int64, cols []string, rows [][]any) error {
	if err := chunks(ids, func(part []int64) error {
		return db.Exec("DELETE FROM "+table+" WHERE "+owner+" IN ?", part).Error
	}); err != nil {
		return core.DBError(err)
	}
	return insertRows(db, table, cols, rows)
}

func execRows(db *gorm.DB, table string, cols []string, rows [][]any, suffix string) error {
	per := max(1, maxParams/len(cols))
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for len(rows) > 0 {
		n := min(len(rows), per)
		var sql strings.Builder
		sql.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, n*len(cols))
		for i, r := range rows[:n] {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString(one)
			args = append(args, r...)
		}
		sql.WriteString(suffix)
		if err := db.Exec(sql.String(), args...).Error; err != nil {
			return core.DBError(err)
		}
		rows = rows[n:]
	}
	return nil
}
