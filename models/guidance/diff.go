package guidance

import "strings"

// Diff operations of a line.
const (
	DiffSame    = "same"
	DiffAdded   = "added"
	DiffRemoved = "removed"
)

// DiffLine is one line of a line diff: kept, added or removed, with its line numbers in the old
// and new text (0 where it has none).
type DiffLine struct {
	Op   string `json:"op"`
	Text string `json:"text"`
	Old  int    `json:"old,omitempty"`
	New  int    `json:"new,omitempty"`
}

// maxDiffEdits bounds the work of DiffLines: beyond this many differing lines the texts are
// treated as wholly rewritten (every old line removed, every new line added), which is still a
// correct diff, just not a minimal one.
const maxDiffEdits = 4000

// DiffLines is a shortest line diff from a to b (Myers' O(ND) algorithm, after trimming the
// common head and tail, which is where most revisions leave most lines). Removed lines come
// before the lines added in their place.
func DiffLines(a, b string) []DiffLine {
	x, y := diffSplitLines(a), diffSplitLines(b)
	head := 0
	for head < len(x) && head < len(y) && x[head] == y[head] {
		head++
	}
	tail := 0
	for tail < len(x)-head && tail < len(y)-head && x[len(x)-1-tail] == y[len(y)-1-tail] {
		tail++
	}
	var out []DiffLine
	for i := 0; i < head; i++ {
		out = append(out, DiffLine{Op: DiffSame, Text: x[i], Old: i + 1, New: i + 1})
	}
	for _, e := range myersDiff(x[head:len(x)-tail], y[head:len(y)-tail]) {
		l := DiffLine{Op: e.op}
		switch e.op {
		case DiffSame:
			l.Text, l.Old, l.New = x[head+e.i], head+e.i+1, head+e.j+1
		case DiffRemoved:
			l.Text, l.Old = x[head+e.i], head+e.i+1
		case DiffAdded:
			l.Text, l.New = y[head+e.j], head+e.j+1
		}
		out = append(out, l)
	}
	for k := tail; k > 0; k-- {
		i, j := len(x)-k, len(y)-k
		out = append(out, DiffLine{Op: DiffSame, Text: x[i], Old: i + 1, New: j + 1})
	}
	return out
}

// diffSplitLines splits text into lines; a final newline does not start another line.
func diffSplitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// diffEdit is one step of an edit script: op on x[i] (removed, same) or y[j] (added, same).
type diffEdit struct {
	op   string
	i, j int
}

// myersDiff returns a shortest edit script turning x into y. It keeps the furthest-reaching
// endpoints of every round (O(D²) memory) to walk the path back.
func myersDiff(x, y []string) []diffEdit {
	n, m := len(x), len(y)
	if n == 0 && m == 0 {
		return nil
	}
	maxD := n + m
	if maxD > maxDiffEdits {
		maxD = maxDiffEdits
	}
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int
	found := -1
	for d := 0; d <= maxD && found < 0; d++ {
		snap := make([]int, 2*d+1)
		for k := -d; k <= d; k += 2 {
			var i int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				i = v[off+k+1] // down: an insertion
			} else {
				i = v[off+k-1] + 1 // right: a deletion
			}
			j := i - k
			for i < n && j < m && x[i] == y[j] {
				i, j = i+1, j+1
			}
			v[off+k] = i
			snap[k+d] = i
			if i >= n && j >= m {
				found = d
			}
		}
		trace = append(trace, snap)
	}
	if found < 0 {
		// Too different to be worth the search: everything old out, everything new in.
		out := make([]diffEdit, 0, n+m)
		for i := range n {
			out = append(out, diffEdit{op: DiffRemoved, i: i})
		}
		for j := range m {
			out = append(out, diffEdit{op: DiffAdded, j: j})
		}
		return out
	}
	// Walk back from (n, m): each round ends in a diagonal run (kept lines) after one step
	// down (an added line) or right (a removed line) from where the round before ended.
	var rev []diffEdit
	i, j := n, m
	for d := found; d > 0; d-- {
		k := i - j
		prev := trace[d-1] // endpoints of round d-1, for diagonals -(d-1)..d-1
		at := func(k int) int { return prev[k+d-1] }
		down := k == -d || (k != d && at(k-1) < at(k+1))
		pk := k - 1
		if down {
			pk = k + 1
		}
		pi := at(pk)
		pj := pi - pk
		mi, mj := pi+1, pj // after the step right
		if down {
			mi, mj = pi, pj+1
		}
		for i > mi && j > mj {
			i, j = i-1, j-1
			rev = append(rev, diffEdit{op: DiffSame, i: i, j: j})
		}
		if down {
			rev = append(rev, diffEdit{op: DiffAdded, j: pj})
		} else {
			rev = append(rev, diffEdit{op: DiffRemoved, i: pi})
		}
		i, j = pi, pj
	}
	for i > 0 && j > 0 {
		i, j = i-1, j-1
		rev = append(rev, diffEdit{op: DiffSame, i: i, j: j})
	}
	out := make([]diffEdit, 0, len(rev))
	for k := len(rev) - 1; k >= 0; k-- {
		out = append(out, rev[k])
	}
	return diffRemovalsFirst(out)
}

// diffRemovalsFirst orders each run of changes with its removals before its additions, the way
// people read a replaced paragraph.
func diffRemovalsFirst(es []diffEdit) []diffEdit {
	out := make([]diffEdit, 0, len(es))
	for a := 0; a < len(es); {
		if es[a].op == DiffSame {
			out = append(out, es[a])
			a++
			continue
		}
		b := a
		for b < len(es) && es[b].op != DiffSame {
			b++
		}
		for _, e := range es[a:b] {
			if e.op == DiffRemoved {
				out = append(out, e)
			}
		}
		for _, e := range es[a:b] {
			if e.op == DiffAdded {
				out = append(out, e)
			}
		}
		a = b
	}
	return out
}
