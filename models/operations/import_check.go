package operations

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
)

// inChunk is how many values one IN (...) list holds: well under both databases' limits on
// bound parameters.
const inChunk = 900

// chunks calls fn with successive slices of at most inChunk values.
func chunks[T any](list []T, fn func([]T) error) error {
	for len(list) > 0 {
		n := min(len(list), inChunk)
		if err := fn(list[:n]); err != nil {
			return err
		}
		list = list[n:]
	}
	return nil
}

// resolve makes the checks that need the database, in bulk (a handful of queries whatever the
// number of rows), then the shared checks of every row: references unique within the file,
// operations named by victims, suspects and charges are in the file or already recorded by the
// organisation, existing operations are ones the actor may update, lead officers are active
// users of the organisation, partners exist.
func (im *Importer) resolve(ctx context.Context, who core.Actor, b *importBatch) error {
	db := im.d.DB.Conn(ctx)
	late := map[*core.Problems][]core.FieldError{} // database problems, added after the shared checks
	flag := func(p *core.Problems, field, msg string) {
		late[p] = append(late[p], core.FieldError{Field: field, Message: msg})
	}

	// The file's operations, each reference once.
	for _, o := range b.ops {
		ref := o.in.Reference
		if ref == "" {
			continue
		}
		if t, dup := b.targets[ref]; dup {
			flag(&o.p, FieldReference, fmt.Sprintf("This reference is also on row %d: put each operation on one row", t.row.num))
			continue
		}
		b.targets[ref] = &importTarget{ref: ref, row: o}
	}
	// Every operation reference the file names, recorded ones included.
	named := map[string]bool{}
	for ref := range b.targets {
		named[ref] = true
	}
	for _, v := range b.victims {
		named[v.opRef] = true
	}
	for _, s := range b.suspects {
		named[s.opRef] = true
	}
	for _, c := range b.charges {
		named[c.opRef] = true
	}
	delete(named, "")
	refs := make([]string, 0, len(named))
	for r := range named {
		refs = append(refs, r)
	}

	// Recorded operations of the organisation with these references, and whether the actor may
	// update each (on its team, its lead, or a supervisor of the organisation).
	type opRecord struct {
		ID             int64
		Reference      string
		LeadOfficerID  int64
		Classification int
	}
	var recorded []opRecord
	if err := chunks(refs, func(part []string) error {
		var got []opRecord
		err := db.Table("operations").Select("id, reference, lead_officer_id, classification").
			Where("organisation_id = ? AND reference IN ?", who.OrgID, part).Scan(&got).Error
		recorded = append(recorded, got...)
		return err
	}); err != nil {
		return core.DBError(err)
	}
	ids := make([]int64, len(recorded))
	for i, r := range recorded {
		ids[i] = r.ID
	}
	member := map[int64]bool{}
	if err := chunks(ids, func(part []int64) error {
		var got []int64
		err := db.Table("operation_members").Where("user_id = ? AND removed_at IS NULL AND operation_id IN ?", who.UserID, part).Pluck("operation_id", &got).Error
		for _, id := range got {
			member[id] = true
		}
		return err
	}); err != nil {
		return core.DBError(err)
	}
	for _, r := range recorded {
		e := &existingOp{ID: r.ID, Reference: r.Reference, LeadOfficerID: r.LeadOfficerID, Member: member[r.ID]}
		var rel policies.Relation
		if e.Member || r.LeadOfficerID == who.UserID {
			rel |= policies.RelTeam
		}
		if r.LeadOfficerID == who.UserID {
			rel |= policies.RelLead
		}
		obj := policies.Object{Type: "operation", Org: policies.OrgDomain(who.OrgID), Classification: policies.Level(r.Classification), Rel: rel}
		switch err := core.Can(ctx, im.d.Authz, who, policies.ActUpdate, obj, ""); core.ErrorCode(err) {
		case "":
			e.MayUpdate = true
		case core.EFORBIDDEN:
		default:
			return err
		}
		t := b.targets[r.Reference]
		if t == nil {
			t = &importTarget{ref: r.Reference}
			b.targets[r.Reference] = t
		}
		t.existing = e
	}
	const notOnTeam = "Your organisation's operation with this reference is not one you may update: ask its lead officer or a supervisor to add you to its team"
	for _, t := range b.targets {
		if t.row != nil && t.existing != nil && !t.existing.MayUpdate {
			flag(&t.row.p, FieldReference, notOnTeam)
		}
	}
	// target finds the operation a victim, suspect or charge row names, or says what is wrong.
	target := func(p *core.Problems, ref string) *importTarget {
		if ref == "" {
			flag(p, colOperationReference, "Enter the reference of the operation")
			return nil
		}
		t := b.targets[ref]
		switch {
		case t == nil:
			flag(p, colOperationReference, "No operation has this reference, on the Operations sheet or among your organisation's operations: add the operation first")
			return nil
		case t.row == nil && !t.existing.MayUpdate:
			flag(p, colOperationReference, notOnTeam)
			return nil
		}
		return t
	}

	// Lead officers: active users of the organisation, by email address.
	emails := map[string]bool{}
	for _, o := range b.ops {
		if e, err := core.NormaliseEmail(o.in.LeadOfficer); err == nil {
			emails[e] = true
		}
	}
	leads := map[string]int64{}
	if err := chunks(keys(emails), func(part []string) error {
		var got []struct {
			ID    int64
			Email string
		}
		err := db.Table("users").Select("id, email").Where("organisation_id = ? AND disabled_at IS NULL AND email IN ?", who.OrgID, part).Scan(&got).Error
		for _, u := range got {
			// Only an officer, investigator or supervisor leads an operation.
			roles := im.d.Authz.RolesIn(policies.UserPrincipal(u.ID), policies.OrgDomain(who.OrgID))
			if slices.ContainsFunc(operationalRoles, func(r string) bool { return slices.Contains(roles, r) }) {
				leads[u.Email] = u.ID
			}
		}
		return err
	}); err != nil {
		return core.DBError(err)
	}
	// Partners: organisations by slug.
	slugs := map[string]bool{}
	for _, o := range b.ops {
		for _, s := range o.in.Partners {
			slugs[strings.ToLower(s)] = true
		}
	}
	partners := map[string]int64{}
	if err := chunks(keys(slugs), func(part []string) error {
		var got []struct {
			ID   int64
			Slug string
		}
		err := db.Table("organisations").Select("id, slug").Where("active = ? AND slug IN ?", true, part).Scan(&got).Error
		for _, o := range got {
			partners[o.Slug] = o.ID
		}
		return err
	}); err != nil {
		return core.DBError(err)
	}
	for _, o := range b.ops {
		if o.in.LeadOfficer != "" {
			if e, err := core.NormaliseEmail(o.in.LeadOfficer); err != nil {
				flag(&o.p, FieldLeadOfficer, "Enter the lead officer's email address in the correct format, like name@force.police.uk")
			} else if id, ok := leads[e]; !ok {
				flag(&o.p, FieldLeadOfficer, "Enter the email address of an officer, investigator or supervisor of your organisation with an active MSP Hub account")
			} else {
				o.leadID = id
			}
		}
		seen := map[int64]bool{}
		for _, s := range o.in.Partners {
			id, ok := partners[strings.ToLower(s)]
			switch {
			case !ok:
				flag(&o.p, FieldPartners, fmt.Sprintf("No organisation has the short name %q: use the short names listed on the How to fill this in sheet", core.Clip(s, 60)))
			case id == who.OrgID:
				flag(&o.p, FieldPartners, "List only the other organisations involved: your own organisation owns the operation")
			case !seen[id]:
				seen[id] = true
				o.partnerIDs = append(o.partnerIDs, id)
			}
		}
	}

	// Victims and suspects: their operation, each reference once within it, and the record they
	// update if any.
	var recordedOps []int64
	for _, t := range b.targets {
		if t.existing != nil && t.existing.MayUpdate {
			recordedOps = append(recordedOps, t.existing.ID)
		}
	}
	recordedVictims, err := im.recordedPeople(ctx, "victims", recordedOps)
	if err != nil {
		return err
	}
	recordedSuspects, err := im.recordedPeople(ctx, "suspects", recordedOps)
	if err != nil {
		return err
	}
	seenVictim := map[suspectKey]int{}
	for _, v := range b.victims {
		if v.op = target(&v.p, v.opRef); v.op == nil || v.in.Reference == "" {
			continue
		}
		k := suspectKey{v.opRef, v.in.Reference}
		if n, dup := seenVictim[k]; dup {
			flag(&v.p, FieldReference, fmt.Sprintf("This potential victim is also on row %d: put each person on one row", n))
			continue
		}
		seenVictim[k] = v.num
		if v.op.existing != nil {
			v.existing = recordedVictims[personKey{v.op.existing.ID, v.in.Reference}]
		}
	}
	fileSuspects := map[suspectKey]*suspectRow{}
	for _, s := range b.suspects {
		if s.op = target(&s.p, s.opRef); s.op == nil || s.in.Reference == "" {
			continue
		}
		k := suspectKey{s.opRef, s.in.Reference}
		if other, dup := fileSuspects[k]; dup {
			flag(&s.p, FieldReference, fmt.Sprintf("This suspect is also on row %d: put each person on one row", other.num))
			continue
		}
		fileSuspects[k] = s
		if s.op.existing != nil {
			s.existing = recordedSuspects[personKey{s.op.existing.ID, s.in.Reference}]
		}
	}
	// Charges: each names a suspect of the file, or one already recorded in the operation.
	for _, c := range b.charges {
		t := target(&c.p, c.opRef)
		if t == nil {
			continue
		}
		if c.suspectRef == "" {
			flag(&c.p, colSuspectReference, "Enter the reference of the suspect charged")
			continue
		}
		k := suspectKey{c.opRef, c.suspectRef}
		if s := fileSuspects[k]; s != nil {
			s.charges = append(s.charges, c)
			continue
		}
		var id int64
		if t.existing != nil {
			id = recordedSuspects[personKey{t.existing.ID, c.suspectRef}]
		}
		if id == 0 {
			flag(&c.p, colSuspectReference, "No suspect has this reference in the operation, on the Suspects sheet or already recorded: add the suspect first")
			continue
		}
		o := b.outsideSuspects[k]
		if o == nil {
			o = &outsideSuspect{id: id}
			b.outsideSuspects[k] = o
		}
		o.charges = append(o.charges, c)
	}
	// A suspect's recorded charges: replaced when the file carries charges, kept (and checked
	// with the suspect) when it does not.
	var recordedIDs []int64
	for _, s := range b.suspects {
		if s.existing != 0 {
			recordedIDs = append(recordedIDs, s.existing)
		}
	}
	for _, o := range b.outsideSuspects {
		recordedIDs = append(recordedIDs, o.id)
	}
	kept, err := im.recordedCharges(ctx, recordedIDs)
	if err != nil {
		return err
	}
	for _, o := range b.outsideSuspects {
		o.removed = len(kept[o.id])
	}
	if b.chargesFromFile {
		for _, s := range b.suspects {
			s.removed = len(kept[s.existing])
		}
	}

	// The shared checks of every row, then the database's problems.
	for _, o := range b.ops {
		o.in.CheckOn(&o.p, b.today)
	}
	for _, v := range b.victims {
		v.in.CheckOn(&v.p, b.today)
	}
	for _, c := range b.charges {
		c.in.CheckCharge(&c.p, 0, b.today)
	}
	for _, s := range b.suspects {
		in := s.in
		if b.chargesFromFile {
			for _, c := range s.charges {
				in.Charges = append(in.Charges, c.in)
			}
		} else {
			in.Charges = kept[s.existing]
		}
		s.in.Charges = in.Charges
		in.CheckOn(&s.p, b.today)
	}
	// A recorded suspect whose charges only the file gives: their recorded sentence and orders
	// must still follow a conviction among the new charges.
	if err := im.checkOutsideSuspects(ctx, b); err != nil {
		return err
	}
	for p, list := range late {
		for _, f := range list {
			p.Add(f.Field, f.Message)
		}
	}
	return nil
}

// checkOutsideSuspects checks the recorded sentence and orders of the suspects that only the
// Charges sheet names against the charges that will replace theirs, reporting a problem on the
// suspect's first charge row.
func (im *Importer) checkOutsideSuspects(ctx context.Context, b *importBatch) error {
	ids := make([]int64, 0, len(b.outsideSuspects))
	for _, o := range b.outsideSuspects {
		ids = append(ids, o.id)
	}
	type recorded struct {
		ID                 int64
		AgeBand            string
		Sex                string
		SentenceMonths     *int
		STPO               bool `gorm:"column:stpo"`
		ReparationOrder    bool
		ConfiscationPounds int64
	}
	byID := map[int64]recorded{}
	if err := chunks(ids, func(part []int64) error {
		var got []recorded
		err := im.d.DB.Conn(ctx).Table("suspects").Select("id, age_band, sex, sentence_months, stpo, reparation_order, confiscation_pounds").
			Where("id IN ?", part).Scan(&got).Error
		for _, r := range got {
			byID[r.ID] = r
		}
		return err
	}); err != nil {
		return core.DBError(err)
	}
	for k, o := range b.outsideSuspects {
		r := byID[o.id]
		in := SuspectInput{PersonInput: PersonInput{Reference: k.ref, AgeBand: terms.AgeBand(r.AgeBand), Sex: terms.Sex(r.Sex)},
			SentenceMonths: r.SentenceMonths, STPO: r.STPO, ReparationOrder: r.ReparationOrder, ConfiscationPounds: r.ConfiscationPounds}
		for _, c := range o.charges {
			in.Charges = append(in.Charges, c.in)
		}
		var p core.Problems
		in.CheckOn(&p, b.today)
		var e *core.Error
		if !errors.As(p.Err(), &e) {
			continue
		}
		for _, f := range e.Fields {
			switch f.Field {
			case FieldSentence, FieldSTPO, FieldReparation, FieldConfiscation:
				o.charges[0].p.Add(FieldOutcome, "The suspect's recorded sentence or orders need a conviction among their charges: "+f.Message)
			}
		}
	}
	return nil
}

// personKey is a victim or suspect by operation id and reference.
type personKey struct {
	op  int64
	ref string
}

// recordedPeople maps the victims or suspects (table) of the operations to their ids.
func (im *Importer) recordedPeople(ctx context.Context, table string, opIDs []int64) (map[personKey]int64, error) {
	out := map[personKey]int64{}
	err := chunks(opIDs, func(part []int64) error {
		var got []struct {
			ID          int64
			OperationID int64
			Reference   string
		}
		err := im.d.DB.Conn(ctx).Table(table).Select("id, operation_id, reference").Where("operation_id IN ?", part).Scan(&got).Error
		for _, r := range got {
			out[personKey{r.OperationID, r.Reference}] = r.ID
		}
		return err
	})
	return out, core.DBError(err)
}

// recordedCharges returns the charges recorded for each suspect.
func (im *Importer) recordedCharges(ctx context.Context, suspectIDs []int64) (map[int64][]ChargeInput, error) {
	out := map[int64][]ChargeInput{}
	err := chunks(suspectIDs, func(part []int64) error {
		var got []struct {
			SuspectID int64
			Offence   string
			ChargedOn time.Time
			Outcome   string
			OutcomeOn *time.Time
		}
		err := im.d.DB.Conn(ctx).Table("suspect_charges").Select("suspect_id, offence, charged_on, outcome, outcome_on").
			Where("suspect_id IN ?", part).Order("id").Scan(&got).Error
		for _, c := range got {
			out[c.SuspectID] = append(out[c.SuspectID], ChargeInput{Offence: terms.Offence(c.Offence), ChargedOn: c.ChargedOn,
				Outcome: terms.Outcome(c.Outcome), OutcomeOn: c.OutcomeOn})
		}
		return err
	})
	return out, core.DBError(err)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// count says what saving the batch adds and updates.
func (b *importBatch) count(r *ImportResult) {
	for _, o := range b.ops {
		if t := b.targets[o.in.Reference]; t != nil && t.row == o && t.existing != nil {
			r.Operations.Updated++
		} else {
			r.Operations.Added++
		}
	}
	for _, v := range b.victims {
		if v.existing != 0 {
			r.Victims.Updated++
		} else {
			r.Victims.Added++
		}
	}
	for _, s := range b.suspects {
		if s.existing != 0 {
			r.Suspects.Updated++
		} else {
			r.Suspects.Added++
		}
	}
	if b.chargesFromFile {
		r.Charges.Added = len(b.charges)
		for _, s := range b.suspects {
			r.Charges.Removed += s.removed
		}
		for _, o := range b.outsideSuspects {
			r.Charges.Removed += o.removed
		}
	}
}

// errors lists every problem of the file, in the order of sheets, rows and columns.
func (b *importBatch) errors() []ImportError {
	var out []ImportError
	for _, k := range ImportKinds() {
		if s := b.file.sheets[k]; s != nil {
			out = append(out, s.errors...)
		}
	}
	for _, o := range b.ops {
		out = append(out, problemsOf(&o.p, ImportOperations.Sheet(), o.num, nil)...)
	}
	for _, v := range b.victims {
		out = append(out, problemsOf(&v.p, ImportVictims.Sheet(), v.num, nil)...)
	}
	for _, s := range b.suspects {
		// A charge's problems are reported on its own row of the Charges sheet.
		out = append(out, problemsOf(&s.p, ImportSuspects.Sheet(), s.num, func(f string) string {
			if strings.HasPrefix(f, "charge_") {
				return ""
			}
			return f
		})...)
	}
	for _, c := range b.charges {
		list := problemsOf(&c.p, ImportCharges.Sheet(), c.num, func(f string) string {
			return strings.TrimPrefix(f, "charge_1_")
		})
		for i := range list {
			// The shared checks count a suspect's charges; here each row is one charge.
			list[i].Message = strings.NewReplacer("of charge 1", "of the charge", "charge 1", "the charge").Replace(list[i].Message)
		}
		out = append(out, list...)
	}
	sortErrors(out)
	return out
}
