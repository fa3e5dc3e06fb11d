// Package packdiff says what changed between two versions of a case file pack: what was added,
// removed or changed. It knows nothing of case files: the caller gives each version as rows.
package packdiff

import "strconv"

// Row is one thing of a pack: its part (case, item, exhibit or schedule), a key that names it in
// every version, what people call it, its state (compared between versions), how that state
// reads ("" when it says nothing to people), and what to say when it is new ("" for "added").
type Row struct {
	Part, Key, What, State, Label, Added string
}

// Change is one difference between two versions of a pack.
type Change struct {
	Part   string `json:"part"`   // case, item, exhibit or schedule
	What   string `json:"what"`   // the item's text, the exhibit reference, "MG6C entry 3"
	Change string `json:"change"` // added, removed, "Outstanding, exhibits none → Provided, exhibits JS/1", …
}

// PartLabel is the part as pages show it.
func (c Change) PartLabel() string {
	return map[string]string{"case": "Case details", "item": "Checklist item", "exhibit": "Exhibit", "schedule": "Schedule entry"}[c.Part]
}

// Changes is what changed from approved pack From to pack To, or to the file as it is now when
// To is 0. From is 0 when there is no earlier approved pack to compare with.
type Changes struct {
	From    int      `json:"from"`
	To      int      `json:"to,omitempty"`
	Changes []Change `json:"changes"`
}

// Count says how many changes there are: "1 change", "2 changes".
func (c Changes) Count() string {
	if len(c.Changes) == 1 {
		return "1 change"
	}
	return strconv.Itoa(len(c.Changes)) + " changes"
}

// Diff lists what changed from version a to version b, in b's order, then what was removed.
func Diff(a, b []Row) []Change {
	out := []Change{}
	find := func(rows []Row, r Row) int {
		for i, o := range rows {
			if o.Part == r.Part && o.Key == r.Key {
				return i
			}
		}
		return -1
	}
	for _, r := range b {
		change := ""
		switch i := find(a, r); {
		case i < 0 && r.Added != "":
			change = r.Added
		case i < 0:
			change = "added"
		case a[i].State == r.State:
			continue
		case r.Label == "":
			change = "changed"
		case a[i].Label == "":
			change = r.Label
		default:
			change = a[i].Label + " → " + r.Label
		}
		out = append(out, Change{Part: r.Part, What: r.What, Change: change})
	}
	for _, r := range a {
		if find(b, r) < 0 {
			out = append(out, Change{Part: r.Part, What: r.What, Change: "removed"})
		}
	}
	return out
}
