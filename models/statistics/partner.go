package statistics

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// The editions of the national picture (DOMAIN.md §G). Both are OFFICIAL-SENSITIVE: DOMAIN.md
// marks the law-enforcement edition so and says nothing else of the partner edition's marking.
const (
	// EditionLawEnforcement has every breakdown, force-level figures included: for policing.
	EditionLawEnforcement = "law_enforcement"
	// EditionPartner is the law-enforcement edition's figures without any force or
	// organisation's row: for the programme's partner agencies and others outside policing.
	EditionPartner = "partner"
)

// Editions lists the editions, the law-enforcement edition first.
func Editions() []string { return []string{EditionLawEnforcement, EditionPartner} }

// EditionLabel is what files and pages call an edition: their first line after the marking.
func EditionLabel(edition string) string {
	if edition == EditionPartner {
		return "Partner edition: no force-level figures"
	}
	return "Law-enforcement edition: with force-level figures"
}

// editionSlug is an edition as file names carry it.
func editionSlug(edition string) string {
	if edition == EditionPartner {
		return "partner-edition"
	}
	return "law-enforcement-edition"
}

// policing is whether an organisation of kind k is in policing (not a partner agency): its
// analysts read the law-enforcement edition, and its figures are force-level ones.
func policing(k core.OrgKind) bool {
	return k == core.KindPoliceForce || k == core.KindROCU || k == core.KindProgramme
}

// editionObject is what the policy is asked about an edition: the analyst's facts are whether
// their organisation is in policing and whether their area is wider than one organisation.
func editionObject(who core.Actor, sc Scope, edition string) policies.Object {
	o := object(who)
	o.Type = "statistics_" + edition
	if sc.policing {
		o.Rel |= policies.RelPolicing
	}
	if sc.Level != LevelOrganisation {
		o.Rel |= policies.RelWideArea
	}
	return o
}

// editions are the editions who may read in scope sc, as choices.
func (s *Service) editions(ctx context.Context, who core.Actor, sc Scope) []Option {
	var out []Option
	for _, e := range Editions() {
		if s.d.Authz.Can(ctx, who.Subject(), policies.ActRead, editionObject(who, sc, e)) == nil {
			out = append(out, Option{Value: e, Label: EditionLabel(e)})
		}
	}
	return out
}

// EditionChoices are the editions who may read, the default first: the pages offer a choice
// only when there are two. Who: analysts. Errors: EFORBIDDEN, EINTERNAL.
func (s *Service) EditionChoices(ctx context.Context, who core.Actor) ([]Option, error) {
	sc, _, err := s.scope(ctx, who)
	if err != nil {
		return nil, err
	}
	return s.editions(ctx, who, sc), nil
}

// edition resolves the edition asked for ("" for who's default: the law-enforcement edition
// where they may read it, else the partner edition) and lists those who may choose from.
// Errors: EINVALID (no such edition), EFORBIDDEN (an edition who may not read).
func (s *Service) edition(ctx context.Context, who core.Actor, sc Scope, asked string) (string, []Option, error) {
	if asked != "" && !slices.Contains(Editions(), asked) {
		return "", nil, core.Invalid("edition", "Choose an edition: law_enforcement or partner")
	}
	may := s.editions(ctx, who, sc)
	if len(may) == 0 {
		return "", nil, core.Forbidden("You cannot read either edition of the national picture")
	}
	if asked == "" {
		return may[0].Value, may, nil
	}
	if !slices.ContainsFunc(may, func(o Option) bool { return o.Value == asked }) {
		if asked == EditionLawEnforcement {
			return "", nil, core.Forbidden("Your organisation receives the partner edition of the national picture, which has no force-level figures")
		}
		return "", nil, core.Forbidden("The partner edition is made for areas wider than one force: your area's figures are all force-level figures")
	}
	return asked, may, nil
}

// forceLevel records that cells belong to organisation o's row: a force-level figure when o is
// in policing.
func (b *builder) forceLevel(o org, cells ...int) {
	if !policing(o.Kind) {
		return
	}
	if b.force == nil {
		b.force = map[int]bool{}
	}
	for _, c := range cells {
		b.force[c] = true
	}
}

// partner turns the builder's sheet, suppressed for the law-enforcement edition, into the
// partner edition's, which publishes only what the law-enforcement edition publishes and never
// a force-level figure, outright or by difference:
//   - a cell the law-enforcement edition withholds stays withheld;
//   - every organisation's row is left out of the tables (finish); a police force's, a ROCU's or
//     the programme unit's figure that is not zero is sensitive: withheld, and never left to be
//     worked out from the figures published and the lines between them, like a small count. A
//     zero is taken to be known: a reader who knows that the other forces of a region have no
//     figures must not read the one that has in the region's row;
//   - a partner agency's row is taken to be known as the law-enforcement edition publishes it:
//     each agency reads its own figures in its partner edition, so nothing may rest on them;
//   - every other figure the law-enforcement edition publishes may be withheld to protect a
//     force-level one (a region, a kind of organisation or an area's total that is one force's
//     figure, and what would give it away);
//   - a view narrower than the country is built over the national partner edition's sheet, as
//     the law-enforcement view is over the national one's, so that what it publishes is checked
//     against what the national partner edition publishes.
//   - a breakdown whose figures come from one police force, ROCU or programme unit alone (with
//     partner agencies' figures, known to them) is that force's figures throughout: in a view
//     where one force alone has figures of a family (operations, victims, justice, training,
//     guidance), no figure of that family's tables but zeros is published, medians included.
func (b *builder) partner(t int) {
	var national *sheet
	if b.whole != nil {
		w := &builder{sh: *b.whole.sh.clone(), drafts: b.whole.drafts, force: b.whole.force, orgCells: b.whole.orgCells}
		w.partner(t)
		national = &w.sh
	}
	s := &b.sh
	s.sensitive = make([]bool, len(s.values))
	oneForce, agency := b.oneForceCells(), b.agencyCells()
	for i := range s.values {
		switch {
		case national != nil && i < len(national.values):
			s.suppressed[i], s.sensitive[i], s.known[i], s.fixed[i] = national.suppressed[i], national.sensitive[i], national.known[i], true
		case oneForce[i] && s.values[i] != 0:
			s.suppressed[i], s.sensitive[i], s.known[i], s.fixed[i] = true, !s.median[i], false, true
		case agency[i]:
			// Left out of the tables, but each agency knows its own: what is published must hold
			// with them known.
			s.suppressed[i], s.known[i], s.fixed[i] = false, false, true
		case b.force[i] && s.values[i] != 0 && !s.median[i]:
			s.suppressed[i], s.sensitive[i], s.known[i], s.fixed[i] = true, true, false, true
		case b.force[i]:
			s.suppressed[i], s.known[i], s.fixed[i] = false, false, true
		case s.suppressed[i]:
			s.fixed[i] = true
		default:
			s.fixed[i] = s.known[i]
		}
	}
	s.suppress(t)
}

// isForce says whether cell c is of a police force's, a ROCU's or the programme unit's row.
func (b *builder) isForce(c int) bool {
	return b.force[c] || (b.whole != nil && b.whole.force[c])
}

// agencyCells are the cells of the rows of organisations outside policing.
func (b *builder) agencyCells() map[int]bool {
	out := map[int]bool{}
	for _, rows := range b.orgCells {
		for _, cs := range rows {
			for _, c := range cs {
				if !b.isForce(c) {
					out[c] = true
				}
			}
		}
	}
	return out
}

// oneForceCells are the cells, other than organisations' rows, of the tables made of a family
// whose figures in this view come from one police force, ROCU or programme unit alone.
func (b *builder) oneForceCells() map[int]bool {
	one := map[string]bool{}
	for family, rows := range b.orgCells {
		n := 0
		for _, cs := range rows {
			if slices.ContainsFunc(cs, func(c int) bool { return b.isForce(c) && b.sh.values[c] != 0 }) {
				n++
			}
		}
		one[family] = n == 1
	}
	out := map[int]bool{}
	for _, d := range b.drafts {
		families := tableFamilies(d.t.ID)
		if families == nil {
			families = slices.Collect(maps.Keys(one))
		}
		if !slices.ContainsFunc(families, func(f string) bool { return one[f] }) {
			continue
		}
		for r, cs := range d.cells {
			if !d.org[r] {
				for _, c := range cs {
					out[c] = true
				}
			}
		}
	}
	return out
}

// tableFamilies are the families whose figures table id holds (nil: any of them).
func tableFamilies(id string) []string {
	switch {
	case id == "median-days" || id == "justice-by-quarter": // from NRM referral to charge and outcome; referrals beside charges
		return []string{"victims", "justice"}
	case id == "nrm-decisions" || strings.HasPrefix(id, "victims"):
		return []string{"victims"}
	case id == "charge-outcomes" || id == "orders" || strings.HasPrefix(id, "justice"):
		return []string{"justice"}
	case strings.HasPrefix(id, "operations"):
		return []string{"operations"}
	case strings.HasPrefix(id, "training"):
		return []string{"training"}
	case strings.HasPrefix(id, "guidance"):
		return []string{"guidance"}
	}
	return nil
}
