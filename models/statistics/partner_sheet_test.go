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
