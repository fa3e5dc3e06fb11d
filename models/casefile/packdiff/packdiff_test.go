package packdiff_test

import (
	"slices"
	"testing"

	"github.com/msptp/msphub/models/casefile/packdiff"
)

// Two snapshots as MSP Hub freezes them: an item's status and exhibits change, an exhibit is
// corrected by a new one, a schedule entry changes, another is added, and the case's details
// stay. Each difference is said once, in the later pack's order, what was removed last.
func TestSnapshots(t *testing.T) {
	before := `{"format":"msphub-pack-snapshot/1","case":{"urn":"45AB1234523","operation":"Kestrel","offences":["msa_s2"]},
		"items":[{"id":1,"text":"Travel proof","status":"outstanding","exhibits":[]},{"id":2,"text":"Victim account","status":"provided","exhibits":["JS/1"]}],
		"evidence":[{"id":10,"exhibit_ref":"JS/1"},{"id":11,"exhibit_ref":"JS/9"}],
		"schedules":[{"schedule":"MG6C","number":1,"description":"Tenancy agreement","location":"Store","officer_view":"CND"}]}`
	after := `{"format":"msphub-pack-snapshot/1","case":{"urn":"45AB1234523","operation":"Kestrel","offences":["msa_s2"]},
		"items":[{"id":1,"text":"Travel proof","status":"provided","exhibits":["JS/2"]},{"id":2,"text":"Victim account","status":"provided","exhibits":["JS/1"]}],
		"evidence":[{"id":10,"exhibit_ref":"JS/1","superseded_by":"JS/1A"},{"id":12,"exhibit_ref":"JS/1A","supersedes":"JS/1"},{"id":13,"exhibit_ref":"JS/2"}],
		"schedules":[{"schedule":"MG6C","number":1,"description":"Tenancy agreement, 14 Mill Lane","location":"Store","officer_view":"CND"},
		{"schedule":"MG6D","number":1,"description":"Contact log","location":"Safe","officer_view":"Sensitive"}]}`
	label := func(s string) string {
		return map[string]string{"outstanding": "Outstanding", "provided": "Provided"}[s]
	}
	got, err := packdiff.Snapshots([]byte(before), []byte(after), label)
	if err != nil {
		t.Fatal(err)
	}
	want := []packdiff.Change{
		{Part: "item", What: "Travel proof", Change: "Outstanding, exhibits none → Provided, exhibits JS/2"},
		{Part: "exhibit", What: "JS/1", Change: "replaced by JS/1A"},
		{Part: "exhibit", What: "JS/1A", Change: "added, replacing JS/1"},
		{Part: "exhibit", What: "JS/2", Change: "added"},
		{Part: "schedule", What: "MG6C entry 1", Change: "changed"},
		{Part: "schedule", What: "MG6D entry 1", Change: "added"},
		{Part: "exhibit", What: "JS/9", Change: "removed"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes:\n got %+v\nwant %+v", got, want)
	}
	if same, err := packdiff.Snapshots([]byte(after), []byte(after), label); err != nil || len(same) != 0 {
		t.Errorf("a pack against itself: %+v, %v; want no change", same, err)
	}
	if c := (packdiff.Changes{Changes: got[:1]}); c.Count() != "1 change" || (packdiff.Changes{Changes: got}).Count() != "7 changes" {
		t.Errorf("counts: %q, %q", c.Count(), packdiff.Changes{Changes: got}.Count())
	}
	if _, err := packdiff.Snapshots([]byte("{"), []byte(after), label); err == nil {
		t.Error("a snapshot that is not JSON compares")
	}
}
