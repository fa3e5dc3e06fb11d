package statistics

import (
	"math"
	"slices"
	"sort"
)

// DefaultThreshold is the smallest count published as it is: counts from 1 to DefaultThreshold-1
// are suppressed ([c]). Official statistics commonly use 5 or 10.
const DefaultThreshold = 5

// A sheet holds every figure of one set of published tables (one dashboard: one filter) and the
// linear relations between them that a reader knows: each line says that a published total is
// the sum of its parts (a row or column total, a region as the sum of its forces, the national
// total as the sum of any breakdown). Disclosure control runs over the whole sheet, so a cell
// suppressed in one table cannot be worked out from another table of the same filter.
//
// A fixed cell is never withheld to protect another: a cell of another sheet this one is built
// over (freeze), which keeps the state that sheet gave it unless this one gives it away anyway;
// a figure another output publishes (known: withheld under the same primary rule, never shown
// here); or a withheld figure the published ones give away anyway, which is then published.
//
// A sensitive cell is withheld whatever its value and, like a small count, never left to be
// worked out from the others: a force's figure in the partner edition (see partner.go).
type sheet struct {
	values     []float64
	median     []bool // a median: not additive, suppressed when its count is under the threshold
	counts     []int64
	fixed      []bool
	known      []bool
	sensitive  []bool
	lines      []line
	suppressed []bool
}

// clone is a copy of s that shares nothing with it but its lines, which neither changes.
func (s *sheet) clone() *sheet {
	return &sheet{values: slices.Clone(s.values), median: slices.Clone(s.median), counts: slices.Clone(s.counts), fixed: slices.Clone(s.fixed),
		known: slices.Clone(s.known), sensitive: slices.Clone(s.sensitive), lines: slices.Clip(s.lines), suppressed: slices.Clone(s.suppressed)}
}

// line is total = sum(parts) - sum(minus).
type line struct {
	total int
	parts []int
	minus []int
}

// cell adds a count and returns its index.
func (s *sheet) cell(v int64) int {
	return s.add(float64(v), false, 0)
}

// medianCell adds a median of n items.
func (s *sheet) medianCell(v float64, n int64) int {
	return s.add(v, true, n)
}

// knownCell adds a count another output publishes (another period's figure): withheld only when
// that output withholds it under the primary rule, and never shown here.
func (s *sheet) knownCell(v int64) int {
	c := s.cell(v)
	s.fixed[c], s.known[c] = true, true
	return c
}

func (s *sheet) add(v float64, median bool, n int64) int {
	s.values = append(s.values, v)
	s.median = append(s.median, median)
	s.counts = append(s.counts, n)
	s.fixed = append(s.fixed, false)
	s.known = append(s.known, false)
	s.sensitive = append(s.sensitive, false)
	s.suppressed = append(s.suppressed, false)
	return len(s.values) - 1
}

// freeze fixes every cell so far, as suppress left it: the sheet of a narrower view is built over
// the suppressed sheet of the whole, so that what it publishes is checked against what the whole
// publishes.
func (s *sheet) freeze() {
	for i := range s.fixed {
		s.fixed[i] = true
	}
}

// hold reports whether cells hold the counts vs.
func (s *sheet) hold(cells []int, vs []int64) bool {
	if len(cells) != len(vs) {
		return false
	}
	for i, c := range cells {
		if s.values[c] != float64(vs[i]) {
			return false
		}
	}
	return true
}

// sum records that total is the sum of parts.
func (s *sheet) sum(total int, parts ...int) {
	s.lines = append(s.lines, line{total: total, parts: append([]int(nil), parts...)})
}

// flow records that the stock end is the stock start plus in less out (operations live at the
// end of a span: those live at its start, plus the new, less the closed).
func (s *sheet) flow(end, start, in, out int) {
	s.lines = append(s.lines, line{total: end, parts: []int{start, in}, minus: []int{out}})
}

// suppress applies the disclosure rule with threshold t:
//   - primary: a count from 1 to t-1 is suppressed; zero is published as zero; a median of fewer
//     than t items is suppressed; a sensitive cell is suppressed;
//   - secondary: every line with a suppressed cell gets further non-zero cells suppressed,
//     smallest first, until it holds at least two, repeated to a fixed point;
//   - then a check by linear algebra: while any suppressed cell is still determined by the
//     published figures and the lines (its unit vector lies in the row space of the system over
//     the unknowns), one more non-zero cell of a line through it is suppressed; a cell withheld
//     only to protect another that is determined anyway protects nothing, and is published.
//
// Fixed cells are never withheld to protect another.
func (s *sheet) suppress(t int) {
	prev := s.suppressed
	s.suppressed = make([]bool, len(s.values))
	for i, v := range s.values {
		if s.sensitive[i] {
			s.suppressed[i] = true
			continue
		}
		if s.fixed[i] && !s.known[i] {
			s.suppressed[i] = i < len(prev) && prev[i]
			continue
		}
		if s.median[i] {
			s.suppressed[i] = s.counts[i] < int64(t)
			continue
		}
		if v >= 1 && v < float64(t) {
			s.suppressed[i] = true
		}
	}
	for {
		for s.lineRule() {
		}
		det := s.determined()
		if len(det) == 0 {
			return
		}
		protect := slices.IndexFunc(det, func(d int) bool { return s.sensitive[d] || s.values[d] < float64(t) })
		if protect < 0 {
			// Every determined cell was withheld only to protect others, which stay protected
			// without it (publishing a determined figure tells nothing new), here or in the
			// frozen sheet.
			for _, d := range det {
				s.suppressed[d], s.fixed[d] = false, true
			}
			continue
		}
		if !s.suppressOneMore(det[protect]) {
			return // nothing left to suppress: cannot happen (see suppressOneMore)
		}
	}
}

func (s *sheet) members(l line) []int {
	return append(append(append([]int(nil), l.parts...), l.minus...), l.total)
}

// suppressedIn counts the suppressed cells of line l.
func (s *sheet) suppressedIn(l line) int {
	n := 0
	for _, m := range s.members(l) {
		if s.suppressed[m] {
			n++
		}
	}
	return n
}

// lineRule suppresses one more cell in every line that holds exactly one; it reports whether it
// changed anything.
func (s *sheet) lineRule() bool {
	changed := false
	for _, l := range s.lines {
		if s.suppressedIn(l) == 1 {
			if c := s.smallestOpen(s.members(l)); c >= 0 {
				s.suppressed[c] = true
				changed = true
			}
		}
	}
	return changed
}

// smallestOpen is the smallest non-zero published cell among cells that is not fixed, or -1.
func (s *sheet) smallestOpen(cells []int) int {
	best := -1
	for _, c := range cells {
		if s.suppressed[c] || s.values[c] == 0 || s.fixed[c] {
			continue
		}
		if best < 0 || s.values[c] < s.values[best] || (s.values[c] == s.values[best] && c < best) {
			best = c
		}
	}
	return best
}

// suppressOneMore suppresses the smallest non-zero published cell that is not fixed of a line
// through cell d, or failing that of any line holding a suppressed cell. Without fixed cells,
// once every non-zero cell of every such line is suppressed, no suppressed cell is determined
// (the system's known side is then all zeros, so a determined cell would have to be zero, and
// zeros are never suppressed); fixed cells are either safe on their own (a frozen sheet) or
// published elsewhere, so a line they leave one cell short is closed by the cells of this one.
func (s *sheet) suppressOneMore(d int) bool {
	var near, far []int
	for _, l := range s.lines {
		ms := s.members(l)
		has, any := false, false
		for _, m := range ms {
			has = has || m == d
			any = any || s.suppressed[m]
		}
		if has {
			near = append(near, ms...)
		} else if any {
			far = append(far, ms...)
		}
	}
	for _, cells := range [][]int{near, far} {
		if c := s.smallestOpen(cells); c >= 0 {
			s.suppressed[c] = true
			return true
		}
	}
	return false
}

// determined lists the suppressed cells whose value follows from the published cells and the
// lines: Gaussian elimination over the unknowns (the suppressed counts), with a tolerance.
func (s *sheet) determined() []int {
	col := map[int]int{}
	var unknowns []int
	for i, sup := range s.suppressed {
		if sup && !s.median[i] {
			col[i] = len(unknowns)
			unknowns = append(unknowns, i)
		}
	}
	if len(unknowns) == 0 {
		return nil
	}
	var rows [][]float64
	for _, l := range s.lines {
		r := make([]float64, len(unknowns))
		nz := false
		for _, p := range l.parts {
			if j, ok := col[p]; ok {
				r[j]++
				nz = true
			}
		}
		for _, p := range l.minus {
			if j, ok := col[p]; ok {
				r[j]--
				nz = true
			}
		}
		if j, ok := col[l.total]; ok {
			r[j]--
			nz = true
		}
		if nz {
			rows = append(rows, r)
		}
	}
	pivotOf := rref(rows, len(unknowns))
	var out []int
	for j, u := range unknowns {
		r, ok := pivotOf[j]
		if !ok {
			continue
		}
		alone := true
		for k := range unknowns {
			if k != j && math.Abs(rows[r][k]) > 1e-9 {
				alone = false
				break
			}
		}
		if alone {
			out = append(out, u)
		}
	}
	sort.Ints(out)
	return out
}

// rref brings m to reduced row echelon form in place and returns, for each pivot column, its row.
func rref(m [][]float64, cols int) map[int]int {
	pivots := map[int]int{}
	r := 0
	for c := 0; c < cols && r < len(m); c++ {
		best := r
		for i := r + 1; i < len(m); i++ {
			if math.Abs(m[i][c]) > math.Abs(m[best][c]) {
				best = i
			}
		}
		if math.Abs(m[best][c]) < 1e-9 {
			continue
		}
		m[r], m[best] = m[best], m[r]
		p := m[r][c]
		for k := range m[r] {
			m[r][k] /= p
		}
		for i := range m {
			if i == r || math.Abs(m[i][c]) < 1e-12 {
				continue
			}
			f := m[i][c]
			for k := range m[i] {
				m[i][k] -= f * m[r][k]
			}
		}
		pivots[c] = r
		r++
	}
	return pivots
}

// Cell is one published figure: a value, or suppressed ([c]). In JSON a published figure is
// {"value": 12} and a suppressed one {"suppressed": true}, with no value.
type Cell struct {
	Value      float64 `json:"value"`
	Suppressed bool    `json:"suppressed"`
}

// MarshalJSON writes a suppressed cell without its value.
func (c Cell) MarshalJSON() ([]byte, error) {
	if c.Suppressed {
		return []byte(`{"suppressed":true}`), nil
	}
	return []byte(`{"value":` + formatNumber(c.Value) + `}`), nil
}

// Text is the cell as tables and files show it: [c] when suppressed.
func (c Cell) Text() string {
	if c.Suppressed {
		return "[c]"
	}
	return formatNumber(c.Value)
}

func formatNumber(v float64) string {
	if v == math.Trunc(v) {
		return fmtInt(int64(v))
	}
	return fmtFloat(v)
}

func (s *sheet) published(i int) Cell {
	if s.suppressed[i] {
		return Cell{Suppressed: true}
	}
	return Cell{Value: s.values[i]}
}
