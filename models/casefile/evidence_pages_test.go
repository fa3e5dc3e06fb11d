package casefile_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
)

// registerPages walks a case's exhibit register as who reads it, limit a page, forward from the
// first page: the references of each page, checking on the way that every page counts the
// whole register (want exhibits) and that only the first has no page before it.
func registerPages(t *testing.T, f *caseFixture, who core.Actor, id int64, limit int, want int64) [][]string {
	t.Helper()
	var pages [][]string
	for after := ""; ; {
		if len(pages) > 100 {
			t.Fatalf("the register has no end: %v", pages)
		}
		pg, err := f.cases.Evidence(context.Background(), who, id, after, limit)
		modelstest.Must(t, err)
		if pg.Total != want || (after == "") != (pg.Prev == "") {
			t.Errorf("page %d: %d exhibits in all, previous page %q; want %d, and a previous page for all but the first", len(pages)+1, pg.Total, pg.Prev, want)
		}
		var refs []string
		for _, e := range pg.Evidence {
			refs = append(refs, e.ExhibitRef)
		}
		pages = append(pages, refs)
		if after = pg.Next; after == "" {
			return pages
		}
	}
}

// lastRegisterRead is the details of the last audited read of case id's exhibit register.
func lastRegisterRead(t *testing.T, f *caseFixture, id int64) map[string]string {
	t.Helper()
	var details string
	modelstest.Must(t, f.db.Gorm().Table("audit_events").Select("details").Where("action = 'evidence.list' AND object_id = ?", fmt.Sprint(id)).
		Order("id DESC").Limit(1).Scan(&details).Error)
	var out map[string]string
	modelstest.Must(t, json.Unmarshal([]byte(details), &out))
	return out
}

// A case's exhibit register is read a page at a time, oldest first: walked forward (and back)
// its pages hold every exhibit exactly once, in the order they were added, each page saying
// how many there are in all; each page read is audited with how many exhibits it holds and
// which page it is; a damaged cursor is refused.
func TestTheExhibitRegisterComesAPageAtATime(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv := f.newCase(t)
	var want []string
	for n := range 53 {
		ref := fmt.Sprintf("JS/%d", 53-n) // added in an order that is not their references'
		f.exhibit(t, cv.ID, ref, "statement "+ref)
		want = append(want, ref)
	}

	pages := registerPages(t, f, f.inv, cv.ID, 20, 53)
	if len(pages) != 3 || len(pages[0]) != 20 || len(pages[2]) != 13 || !slices.Equal(slices.Concat(pages...), want) {
		t.Errorf("the register 20 a page: %v, want %v", pages, want)
	}
	if got := lastRegisterRead(t, f, cv.ID); got["exhibits"] != "13" || got["page"] == "first" || got["page"] == "" {
		t.Errorf("the last page's read is audited as %v, want its 13 exhibits and which page", got)
	}

	// Back from the last page.
	last, err := f.cases.Evidence(ctx, f.inv, cv.ID, "", 0)
	modelstest.Must(t, err)
	if len(last.Evidence) != 50 || last.Total != 53 || last.Next == "" {
		t.Fatalf("the first page by default: %d of %d, next %q; want 50 of 53 and a next page", len(last.Evidence), last.Total, last.Next)
	}
	if got := lastRegisterRead(t, f, cv.ID); got["exhibits"] != "50" || got["page"] != "first" {
		t.Errorf("the first page's read is audited as %v", got)
	}
	last, err = f.cases.Evidence(ctx, f.inv, cv.ID, last.Next, 0)
	modelstest.Must(t, err)
	var back []string
	for prev := last.Prev; prev != ""; {
		pg, err := f.cases.Evidence(ctx, f.inv, cv.ID, prev, 10)
		modelstest.Must(t, err)
		var refs []string
		for _, e := range pg.Evidence {
			refs = append(refs, e.ExhibitRef)
		}
		back, prev = append(refs, back...), pg.Prev
	}
	if !slices.Equal(back, want[:50]) {
		t.Errorf("back from the last page, 10 a page: %v, want %v", back, want[:50])
	}
	if pg, err := f.cases.Evidence(ctx, f.inv, cv.ID, "", 201); err != nil || len(pg.Evidence) != 50 {
		t.Errorf("more than 200 asked: %d exhibits (%v), want the 50 of a page", len(pg.Evidence), err)
	}
	if pg, err := f.cases.Evidence(ctx, f.inv, cv.ID, "", 200); err != nil || len(pg.Evidence) != 53 || pg.Next != "" {
		t.Errorf("200 a page: %d exhibits, next %q (%v), want all 53 and no next page", len(pg.Evidence), pg.Next, err)
	}
	for _, damaged := range []string{"~", "not-a-cursor", "~not-a-cursor"} {
		_, err := f.cases.Evidence(ctx, f.inv, cv.ID, damaged, 20)
		modelstest.WantCode(t, "the cursor "+damaged, err, core.EINVALID)
	}

	// A case without evidence: an empty page, not nil.
	empty := f.newCase(t)
	if pg, err := f.cases.Evidence(ctx, f.inv, empty.ID, "", 0); err != nil || pg.Evidence == nil || len(pg.Evidence) != 0 || pg.Total != 0 || pg.Next != "" {
		t.Errorf("no evidence: %+v, %v", pg, err)
	}
}

// A CPS liaison pages through the exhibits of the approved pack shared with them, with the same
// cursors as the team: however the pages fall, never an exhibit added after the pack, and the
// count is the pack's. The team pages through them all.
func TestTheLiaisonPagesThroughThePacksExhibitsOnly(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv := f.newCase(t)
	for _, ref := range []string{"JS/1", "JS/2", "JS/3"} {
		f.exhibit(t, cv.ID, ref, "statement "+ref)
	}
	_, err := f.cases.Submit(ctx, f.inv, cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)
	_, err = f.cases.Approve(ctx, f.sup, cv.ID)
	modelstest.Must(t, err)
	f.share(t, cv.ID)
	_, err = f.cases.RaiseAction(ctx, f.liaison, cv.ID, casefile.ActionInput{Text: "Obtain the ANPR records"})
	modelstest.Must(t, err)
	// After the pack: exhibits added among and after the pack's, and a correction of one of them.
	f.exhibit(t, cv.ID, "ANPR/1", "ANPR hits")
	js1, err := f.cases.Exhibits(ctx, f.inv, cv.ID)
	modelstest.Must(t, err)
	_, err = f.cases.Upload(ctx, f.inv, cv.ID, casefile.EvidenceInput{ExhibitRef: "JS/1A", Description: "Statement, all pages", Producer: "DC Example",
		Supersedes: js1[0].ID, CorrectionReason: "Page 2 was missing"}, core.Upload{Name: "fixed.txt", Body: strings.NewReader("the whole statement")}, 0)
	modelstest.Must(t, err)
	f.exhibit(t, cv.ID, "ANPR/2", "more ANPR hits")

	pack := []string{"JS/1", "JS/2", "JS/3"}
	for _, limit := range []int{1, 2, 3, 50} {
		got := slices.Concat(registerPages(t, f, f.liaison, cv.ID, limit, 3)...)
		if !slices.Equal(got, pack) {
			t.Errorf("the liaison, %d a page: %v, want the pack's %v", limit, got, pack)
		}
	}
	first, err := f.cases.Evidence(ctx, f.liaison, cv.ID, "", 0)
	modelstest.Must(t, err)
	if len(first.Evidence) != 3 || !first.Evidence[0].Current() {
		t.Errorf("the liaison reads JS/1 as %+v, want it current as the pack held it", first.Evidence)
	}
	// A cursor the team's pages gave, from among the later exhibits, still shows the liaison none.
	team := registerPages(t, f, f.inv, cv.ID, 4, 6)
	if got := slices.Concat(team...); !slices.Equal(got, []string{"JS/1", "JS/2", "JS/3", "ANPR/1", "JS/1A", "ANPR/2"}) {
		t.Errorf("the team's register: %v", got)
	}
	teamFirst, err := f.cases.Evidence(ctx, f.inv, cv.ID, "", 4)
	modelstest.Must(t, err)
	after, err := f.cases.Evidence(ctx, f.liaison, cv.ID, teamFirst.Next, 4)
	modelstest.Must(t, err)
	if len(after.Evidence) != 0 || after.Total != 3 {
		t.Errorf("the liaison past the team's fourth exhibit: %+v, want nothing of the 3", after.Evidence)
	}
	if _, err := f.cases.Exhibit(ctx, f.liaison, cv.ID, js1[len(js1)-1].ID); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("the liaison reading an exhibit added after the pack: %v, want not found", err)
	}
}
