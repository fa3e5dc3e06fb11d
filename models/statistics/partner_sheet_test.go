package statistics

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// forceCells marks the rows of a randomSheet as forces: each row's cells and its total.
func forceCells(s *sheet) map[int]bool {
	width := len(s.lines[0].parts) + 1
	force := map[int]bool{}
	for k, l := range s.lines {
		if l.total != (k+1)*width-1 || len(l.parts) != width-1 {
			break
		}
		for c := k * width; c < (k+1)*width; c++ {
			force[c] = true
		}
	}
	return force
}

// Over 500 random tables whose rows are forces (grouped, in half of them, into regions), the
// partner edition publishes only figures the law-enforcement edition publishes, never a force's
// row, and leaves no force's figure other than zero to be worked out from what it publishes,
// with the zeros taken as known. In some tables it must withhold more than the law-enforcement
// edition, and does.
func TestPartnerSheetGivesAwayNoForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 2026))
	more := 0
	for n := range 500 {
		s := randomSheet(rng)
		s.suppress(DefaultThreshold)
		le := slices.Clone(s.suppressed)
		b := &builder{sh: *s, force: forceCells(s)}
		b.partner(DefaultThreshold)
		p := &b.sh
		for i, v := range p.values {
			switch {
			case le[i] && !p.suppressed[i]:
				t.Fatalf("table %d: cell %d (%v) is withheld by the law-enforcement edition and published by the partner edition", n, i, v)
			case b.force[i] && v != 0 && !p.suppressed[i]:
				t.Fatalf("table %d: force cell %d (%v) is published", n, i, v)
			case !le[i] && p.suppressed[i] && !b.force[i]:
				more++
			}
		}
		for _, r := range recoverable(p) {
			if b.force[r] {
				t.Fatalf("table %d: force cell %d (%v) can be worked out from the partner edition", n, r, p.values[r])
			}
		}
	}
	if more < 50 {
		t.Fatalf("the partner edition withheld more than the law-enforcement edition only %d times: the test exercises too little", more)
	}
}

// A region of one force: the region's figure is the force's, so the partner edition withholds
// it, and the total with it (or the total is the other region's figure plus it); the region of
// two forces stays published.
func TestPartnerSheetWithholdsARegionOfOneForce(t *testing.T) {
	b := &builder{}
	s := &b.sh
	a, c, d := s.cell(12), s.cell(7), s.cell(6)
	one, two := s.cell(12), s.cell(13)
	tot := s.cell(25)
	s.sum(one, a)
	s.sum(two, c, d)
	s.sum(tot, one, two)
	s.sum(tot, a, c, d)
	b.force = map[int]bool{a: true, c: true, d: true}
	s.suppress(DefaultThreshold)
	if slices.Contains(s.suppressed, true) {
		t.Fatalf("the law-enforcement edition withholds %v: nothing is small", s.suppressed)
	}
	b.partner(DefaultThreshold)
	if !s.suppressed[one] || !s.suppressed[a] || !s.suppressed[c] || !s.suppressed[d] {
		t.Fatalf("suppressed = %v, want the forces and the region of one force withheld", s.suppressed)
	}
	if s.suppressed[two] == s.suppressed[tot] {
		t.Fatalf("suppressed = %v, want one of the other region and the total withheld", s.suppressed)
	}
	if r := recoverable(s); len(r) != 0 {
		t.Fatalf("recoverable = %v", r)
	}
}

// Partner agencies' own figures are known to them: the partner edition must hold with them
// known. Here the "National" region is the British Transport Police and the GLAA, and the kinds
// of organisation part the forces from the regional unit and the agency; with the GLAA's 6
// known, no force's figure may follow from what is published (before, the region's 14 less 6
// gave the BTP's 8, and the kinds and regions the rest).
func TestPartnerSheetTakesAgenciesAsKnown(t *testing.T) {
	b := &builder{}
	s := &b.sh
	dev, kent, sur, btp, rocu, glaa := s.cell(12), s.cell(7), s.cell(6), s.cell(8), s.cell(7), s.cell(6)
	sw, se, nat := s.cell(19), s.cell(13), s.cell(14)
	police, rocuKind, agencyKind := s.cell(33), s.cell(7), s.cell(6)
	tot := s.cell(46)
	s.sum(sw, dev, rocu)
	s.sum(se, kent, sur)
	s.sum(nat, btp, glaa)
	s.sum(police, dev, kent, sur, btp)
	s.sum(rocuKind, rocu)
	s.sum(agencyKind, glaa)
	s.sum(tot, sw, se, nat)
	s.sum(tot, police, rocuKind, agencyKind)
	s.sum(tot, dev, kent, sur, btp, rocu, glaa)
	b.force = map[int]bool{dev: true, kent: true, sur: true, btp: true, rocu: true}
	b.orgCells = map[string]map[int64][]int{"operations": {1: {dev}, 2: {kent}, 3: {sur}, 4: {btp}, 5: {rocu}, 6: {glaa}}}
	s.suppress(DefaultThreshold)
	b.partner(DefaultThreshold)
	known := s.clone()
	known.suppressed[glaa] = false // the GLAA reads its own
	for _, r := range recoverable(known) {
		if b.force[r] {
			t.Fatalf("with the GLAA's own figure, force cell %d (%v) can be worked out; withheld: %v", r, s.values[r], s.suppressed)
		}
	}
	if s.suppressed[glaa] {
		t.Errorf("the GLAA's own figure is counted as withheld: it is known to the GLAA")
	}
}

// A family whose figures in a view come from one force alone has every table of it withheld but
// its zeros, while the tables of a family with figures from two forces stay published.
func TestPartnerSheetWithholdsAFamilyOfOneForce(t *testing.T) {
	b := &builder{}
	s := &b.sh
	opsA, opsB, vicA, vicB := s.cell(12), s.cell(9), s.cell(14), s.cell(0)
	opsTotal, vicTotal := s.cell(21), s.cell(14)
	labour, sexual := s.cell(21), s.cell(0)
	adults, children := s.cell(8), s.cell(6)
	s.sum(opsTotal, opsA, opsB)
	s.sum(vicTotal, vicA, vicB)
	s.sum(opsTotal, labour, sexual)
	s.sum(vicTotal, adults, children)
	b.force = map[int]bool{opsA: true, opsB: true, vicA: true, vicB: true}
	b.orgCells = map[string]map[int64][]int{"operations": {1: {opsA}, 2: {opsB}}, "victims": {1: {vicA}, 2: {vicB}}}
	ops := &draft{t: Table{ID: "operations-by-exploitation"}}
	ops.row("Labour", false, labour)
	ops.row("Sexual", false, sexual)
	ops.row("Total", true, opsTotal)
	vic := &draft{t: Table{ID: "victims-by-age"}}
	vic.row("Adults", false, adults)
	vic.row("Children", false, children)
	vic.row("Total", true, vicTotal)
	b.drafts = []*draft{ops, vic}
	s.suppress(DefaultThreshold)
	b.partner(DefaultThreshold)
	for _, c := range []int{vicTotal, adults, children} {
		if !s.suppressed[c] {
			t.Errorf("victims' cell %d (%v), force A's alone, is published", c, s.values[c])
		}
	}
	for _, c := range []int{opsTotal, labour} {
		if s.suppressed[c] {
			t.Errorf("operations' cell %d (%v), of two forces, is withheld", c, s.values[c])
		}
	}
}
