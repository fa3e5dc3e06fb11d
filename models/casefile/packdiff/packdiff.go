// Package packdiff says what changed between two versions of a case file pack, read from their
// frozen snapshots (format msphub-pack-snapshot/1): the case's details, items' status and
// exhibits, exhibits added, removed or replaced, schedule entries added, removed or changed.
package packdiff

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

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

// snapshot is what packdiff reads of a snapshot.
type snapshot struct {
	Case struct {
		URN                string   `json:"urn"`
		Operation          string   `json:"operation"`
		Classification     string   `json:"classification"`
		Offences           []string `json:"offences"`
		SuspectMayBeVictim bool     `json:"suspect_may_be_victim"`
		OrdersSought       bool     `json:"orders_sought"`
	} `json:"case"`
	Items []struct {
		ID       int64    `json:"id"`
		Text     string   `json:"text"`
		Status   string   `json:"status"`
		Exhibits []string `json:"exhibits"`
	} `json:"items"`
	Evidence []struct {
		ID           int64  `json:"id"`
		ExhibitRef   string `json:"exhibit_ref"`
		Supersedes   string `json:"supersedes"`
		SupersededBy string `json:"superseded_by"`
	} `json:"evidence"`
	Schedules []struct {
		Schedule      string `json:"schedule"`
		Number        int    `json:"number"`
		Description   string `json:"description"`
		Location      string `json:"location"`
		OfficerView   string `json:"officer_view"`
		Marking       string `json:"classification"`
		GenericReason string `json:"generic_reason"`
		Undermines    bool   `json:"mg6e"`
		Assessment    string `json:"mg6e_reasons"`
	} `json:"schedules"`
}

// rows is a snapshot as Diff compares it; label names an item status to people.
func (snap snapshot) rows(label func(status string) string) []Row {
	rows := []Row{{Part: "case", Key: "case", What: snap.Case.URN, State: fmt.Sprint(snap.Case)}}
	for _, it := range snap.Items {
		state := label(it.Status) + ", exhibits " + cmp.Or(strings.Join(it.Exhibits, ", "), "none")
		rows = append(rows, Row{Part: "item", Key: strconv.FormatInt(it.ID, 10), What: it.Text, State: state, Label: state})
	}
	for _, e := range snap.Evidence {
		r := Row{Part: "exhibit", Key: strconv.FormatInt(e.ID, 10), What: e.ExhibitRef, State: e.SupersededBy}
		if e.Supersedes != "" {
			r.Added = "added, replacing " + e.Supersedes
		}
		if e.SupersededBy != "" {
			r.Label = "replaced by " + e.SupersededBy
		}
		rows = append(rows, r)
	}
	for _, e := range snap.Schedules {
		key := e.Schedule + " entry " + strconv.Itoa(e.Number)
		rows = append(rows, Row{Part: "schedule", Key: key, What: key, State: fmt.Sprint(e)})
	}
	return rows
}

// Snapshots is what changed from snapshot a to snapshot b; label names an item status to people.
func Snapshots(a, b []byte, label func(status string) string) ([]Change, error) {
	var from, to snapshot
	if err := errors.Join(json.Unmarshal(a, &from), json.Unmarshal(b, &to)); err != nil {
		return nil, err
	}
	return Diff(from.rows(label), to.rows(label)), nil
}
