package statistics

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

// recoverable lists the suppressed cells of s whose value follows from the published cells and
// the lines, solved exactly over the rationals: a suppressed cell is recoverable iff its unit
// vector lies in the row space of the constraint system over the unknowns. It is written apart
// from the sheet's own check (floating point) so that the one checks the other.
func recoverable(s *sheet) []int {
	col := map[int]int{}
	var unknowns []int
	for i, sup := range s.suppressed {
		if sup && !s.median[i] {
			col[i] = len(unknowns)
			unknowns = append(unknowns, i)
		}
	}
	n := len(unknowns)
	var m [][]*big.Rat
	for _, l := range s.lines {
		row := make([]*big.Rat, n)
		for j := range row {
			row[j] = new(big.Rat)
		}
		for _, p := range l.parts {
			if j, ok := col[p]; ok {
				row[j].Add(row[j], big.NewRat(1, 1))
			}
		}
		for _, p := range l.minus {
			if j, ok := col[p]; ok {
				row[j].Sub(row[j], big.NewRat(1, 1))
			}
		}
		if j, ok := col[l.total]; ok {
			row[j].Sub(row[j], big.NewRat(1, 1))
		}
		m = append(m, row)
	}
	// Reduced row echelon form.
	pivotRow := map[int]int{}
	r := 0
	for c := 0; c < n && r < len(m); c++ {
		p := -1
		for i := r; i < len(m); i++ {
			if m[i][c].Sign() != 0 {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		m[r], m[p] = m[p], m[r]
		inv := new(big.Rat).Inv(m[r][c])
		for k := range m[r] {
			m[r][k].Mul(m[r][k], inv)
		}
		for i := range m {
			if i == r || m[i][c].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(m[i][c])
			for k := range m[i] {
				m[i][k].Sub(m[i][k], new(big.Rat).Mul(f, m[r][k]))
			}
		}
		pivotRow[c] = r
		r++
	}
	var out []int
	for j, u := range unknowns {
		pr, ok := pivotRow[j]
		if !ok {
			continue
		}
		alone := true
		for k := 0; k < n; k++ {
			if k != j && m[pr][k].Sign() != 0 {
				alone = false
			}
		}
		if alone {
			out = append(out, u)
		}
	}
	return out
}

// randomSheet is a table of random shape and small counts with row, column and grand totals;
// half of them also group their rows (as forces into regions) into a second table with the
// same column totals.
func randomSheet(rng *rand.Rand) *sheet {
	s := &sheet{}
	rows, cols := 1+rng.IntN(8), 1+rng.IntN(6)
	val := func() int64 {
		switch rng.IntN(10) {
		case 0, 1, 2:
			return 0
		case 3, 4, 5, 6:
			return 1 + rng.Int64N(6)
		}
		return 1 + rng.Int64N(30)
	}
	grid := make([][]int64, rows)
	cells := make([][]int, rows)
	colSum := make([]int64, cols)
	var grand int64
	rowTotals := make([]int, rows)
	for i := range grid {
		grid[i] = make([]int64, cols)
		cells[i] = make([]int, cols)
		var rs int64
		for j := range grid[i] {
			grid[i][j] = val()
			cells[i][j] = s.cell(grid[i][j])
			rs += grid[i][j]
			colSum[j] += grid[i][j]
		}
		grand += rs
		rowTotals[i] = s.cell(rs)
		s.sum(rowTotals[i], cells[i]...)
	}
	colTotals := make([]int, cols)
	for j := range colTotals {
		colTotals[j] = s.cell(colSum[j])
		var parts []int
		for i := range cells {
			parts = append(parts, cells[i][j])
		}
		s.sum(colTotals[j], parts...)
	}
	g := s.cell(grand)
	s.sum(g, rowTotals...)
	s.sum(g, colTotals...)
	if rng.IntN(2) == 0 && rows > 1 {
		groups := 1 + rng.IntN(rows)
		member := make([][]int, groups)
		for i := range rows {
			k := rng.IntN(groups)
			member[k] = append(member[k], i)
		}
		for j := range cols {
			var gparts []int
			for _, ms := range member {
				if len(ms) == 0 {
					continue
				}
				var sum int64
				var parts []int
				for _, i := range ms {
					sum += grid[i][j]
					parts = append(parts, cells[i][j])
				}
				c := s.cell(sum)
				s.sum(c, parts...)
				gparts = append(gparts, c)
			}
			s.sum(colTotals[j], gparts...)
		}
	}
	return s
}

// Over 500 random tables, no suppressed cell can be worked out from the published figures, every
// count under the threshold is suppressed, no zero is, and every line holds none or at least two
// suppressed cells.
func TestNoSuppressedCellIsRecoverable(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 2026))
	suppressedSomewhere := 0
	for n := range 500 {
		s := randomSheet(rng)
		s.suppress(DefaultThreshold)
		for i, v := range s.values {
			if v >= 1 && v < DefaultThreshold && !s.suppressed[i] {
				t.Fatalf("table %d: cell %d = %v is under the threshold but published", n, i, v)
			}
			if v == 0 && s.suppressed[i] {
				t.Fatalf("table %d: cell %d is zero but suppressed", n, i)
			}
		}
		for _, l := range s.lines {
			if s.suppressedIn(l) == 1 {
				t.Fatalf("table %d: a line holds a single suppressed cell", n)
			}
		}
		if r := recoverable(s); len(r) > 0 {
			t.Fatalf("table %d: suppressed cells %v can be worked out from the published figures", n, r)
		}
		for _, sup := range s.suppressed {
			if sup {
				suppressedSomewhere++
				break
			}
		}
	}
	if suppressedSomewhere < 250 {
		t.Fatalf("only %d of 500 tables had a suppressed cell: the test exercises too little", suppressedSomewhere)
	}
}

// The exact solver finds what primary suppression alone leaves open, so the test above can fail;
// and the rule closes it.
func TestRecoverableFindsACellLeftAlone(t *testing.T) {
	s := &sheet{}
	a, b := s.cell(3), s.cell(20)
	tot := s.cell(23)
	s.sum(tot, a, b)
	s.suppressed = []bool{true, false, false}
	if r := recoverable(s); len(r) != 1 || r[0] != a {
		t.Fatalf("recoverable = %v, want [%d]", r, a)
	}
	s.suppress(DefaultThreshold)
	if !s.suppressed[a] || !s.suppressed[b] || s.suppressed[tot] {
		t.Fatalf("suppressed = %v, want the 3 and the 20 (the smallest other non-zero cell)", s.suppressed)
	}
	if r := recoverable(s); len(r) != 0 {
		t.Fatalf("recoverable after suppression = %v", r)
	}
}

// Two cycles of suppressed cells joined by one cell: each line holds two suppressed cells, yet
// the joining cell is determined. The line rule alone misses it; the algebraic check does not.
func TestBridgeBetweenTwoCyclesIsClosed(t *testing.T) {
	s := &sheet{}
	// A 4x4 table: cycles on (0,0),(0,1),(1,0),(1,1) and (2,2),(2,3),(3,2),(3,3), bridge (0,2).
	vals := [4][4]int64{{2, 3, 4, 40}, {3, 2, 50, 60}, {70, 80, 2, 3}, {90, 99, 3, 2}}
	var cells [4][4]int
	var rowT, colT [4]int
	var colSum [4]int64
	for i := range 4 {
		var rs int64
		for j := range 4 {
			cells[i][j] = s.cell(vals[i][j])
			rs += vals[i][j]
			colSum[j] += vals[i][j]
		}
		rowT[i] = s.cell(rs)
		s.sum(rowT[i], cells[i][:]...)
	}
	for j := range 4 {
		colT[j] = s.cell(colSum[j])
		s.sum(colT[j], cells[0][j], cells[1][j], cells[2][j], cells[3][j])
	}
	s.suppress(DefaultThreshold)
	if r := recoverable(s); len(r) != 0 {
		t.Fatalf("recoverable = %v", r)
	}
}

func TestMedianOfFewItemsIsSuppressed(t *testing.T) {
	s := &sheet{}
	few, many := s.medianCell(12, 4), s.medianCell(30, 5)
	s.suppress(DefaultThreshold)
	if !s.suppressed[few] || s.suppressed[many] {
		t.Fatalf("suppressed = %v", s.suppressed)
	}
	h := histogram{3: 2, 10: 1, 40: 1}
	if m, n := h.median(); m != 6.5 || n != 4 {
		t.Fatalf("median = %v of %d, want 6.5 of 4", m, n)
	}
}

// Operations live at the end of a span are those live at its start, which another output
// publishes, plus the new less the closed: a withheld new figure needs another of the line
// withheld, and a start another output withholds is protected here too.
func TestStockAndFlowWithAKnownStart(t *testing.T) {
	s := &sheet{}
	start, end, in, out := s.knownCell(10), s.cell(13), s.cell(3), s.cell(0)
	s.flow(end, start, in, out)
	s.suppress(DefaultThreshold)
	if !s.suppressed[in] || !s.suppressed[end] || s.suppressed[start] || s.suppressed[out] {
		t.Fatalf("suppressed = %v, want the 3 new and the 13 live at the end", s.suppressed)
	}
	if r := recoverable(s); len(r) != 0 {
		t.Fatalf("recoverable = %v", r)
	}

	s = &sheet{}
	start, end, in, out = s.knownCell(3), s.cell(13), s.cell(10), s.cell(0)
	s.flow(end, start, in, out)
	s.suppress(DefaultThreshold)
	if !s.suppressed[start] || !s.suppressed[in] || s.suppressed[end] {
		t.Fatalf("suppressed = %v, want the 3 at the start (withheld where published) and the 10 new", s.suppressed)
	}
	if r := recoverable(s); len(r) != 0 {
		t.Fatalf("recoverable = %v", r)
	}
}

// A sheet built over a frozen one keeps its cells as they are and closes what its own figures
// would give away with cells of its own.
func TestFrozenCellsKeepTheirState(t *testing.T) {
	s := &sheet{}
	a, b, c := s.cell(10), s.cell(2), s.cell(6)
	tot := s.cell(18)
	s.sum(tot, a, b, c)
	s.suppress(DefaultThreshold)
	if !s.suppressed[b] || !s.suppressed[c] {
		t.Fatalf("suppressed = %v, want the 2 and the 6", s.suppressed)
	}
	s.freeze()
	view := s.cell(6) // a view of c alone
	s.sum(view, c)
	s.suppress(DefaultThreshold)
	if !s.suppressed[view] || !s.suppressed[b] || !s.suppressed[c] || s.suppressed[a] || s.suppressed[tot] {
		t.Fatalf("suppressed = %v, want the view withheld and the rest as it was", s.suppressed)
	}
	if r := recoverable(s); len(r) != 0 {
		t.Fatalf("recoverable = %v", r)
	}
}
