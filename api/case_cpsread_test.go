package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/disclosure"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
)

// cpsReadCase is a case whose pack 1 (JS/1, an MG6C and an MG6D entry) was approved; after the
// approval the team added JS/2, linked to an item, and the supervisor then shared pack 1 with
// the liaison.
func cpsReadCase(t *testing.T, w *cfWorld) (id int64, js2 casefile.EvidenceView, item casefile.ItemView) {
	t.Helper()
	ctx, cs := context.Background(), w.a.Services.CaseFiles
	inv, sup := w.inv.Actor(t), w.sup.Actor(t)
	id = w.openCase(t)
	item = w.item(t, id, "Travel proof")
	_, err := cs.Upload(ctx, inv, id, casefile.EvidenceInput{ExhibitRef: "JS/1", Description: "Ferry manifest for the 06:00 crossing", Producer: "DC Jo Smith"},
		core.Upload{Name: "manifest.txt", Body: strings.NewReader("Passenger list")}, 0)
	modelstest.Must(t, err)
	for _, e := range []casefile.EntryInput{
		{Schedule: casefile.ScheduleMG6C, Description: "Tenancy agreement for 14 Mill Lane signed by the suspect", Location: "Exeter property store"},
		{Schedule: casefile.ScheduleMG6D, Description: "Informant contact log kept by the covert unit", Location: "Covert unit safe", OfficerView: "Sensitive: reveals a source"},
	} {
		_, err = cs.AddScheduleEntry(ctx, inv, id, e)
		modelstest.Must(t, err)
	}
	_, err = cs.Submit(ctx, inv, id, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)
	_, err = cs.Approve(ctx, sup, id)
	modelstest.Must(t, err)
	js2, err = cs.Upload(ctx, inv, id, casefile.EvidenceInput{ExhibitRef: "JS/2", Description: "Barclays statements of the suspect's second account", Producer: "DC Jo Smith",
		ItemIDs: []int64{item.ID}}, core.Upload{Name: "bank.txt", Body: strings.NewReader("Statements")}, 0)
	modelstest.Must(t, err)
	cfSubmit(t, w.sup, fmt.Sprintf("/casefiles/%d/shares", id), shareForm(w.liaison, w.a.Clock.Now().AddDate(0, 0, 30)), http.StatusSeeOther)
	return id, js2, item
}

// cfSumsMatch checks, as `sha256sum -c SHA256SUMS` would, that every file of an unzipped
// export is listed in SHA256SUMS with its hash, and nothing else is.
func cfSumsMatch(t *testing.T, dir string, names []string) {
	t.Helper()
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	modelstest.Must(t, err)
	listed := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q", line)
		}
		listed[name] = sum
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		modelstest.Must(t, err)
		if n != "SHA256SUMS" && listed[n] != cfSum(b) {
			t.Errorf("%s: SHA256SUMS says %q, the file hashes to %s", n, listed[n], cfSum(b))
		}
		delete(listed, n)
	}
	if len(listed) > 0 {
		t.Errorf("SHA256SUMS lists files the export lacks: %v", listed)
	}
}

// The acceptance of issue 13 item 1: after approval a new exhibit is not visible to the CPS
// liaison, on any page, API route or export, until a new approved pack is shared with them. The
// team sees it as changed since approval; the liaison sees which pack they read, that pack 2
// supersedes it once approved, and what changed in pack 2.
func TestLiaisonReadsTheApprovedPack(t *testing.T) {
	w := newCFWorld(t)
	id, js2, item := cpsReadCase(t, w)
	c, e := fmt.Sprintf("/casefiles/%d", id), fmt.Sprintf("/casefiles/%d/evidence/%d", id, js2.ID)
	pages := []string{c, c + "/evidence", c + "/disclosure", c + "/pack", c + "/team", c + "/timeline", fmt.Sprintf("%s/items/%d", c, item.ID),
		c + "/submissions/1/changes", c + "/export.zip", c + "/mg6d.zip"}
	apis := []string{c, c + "/items", fmt.Sprintf("%s/items/%d", c, item.ID), c + "/evidence", c + "/schedules", c + "/schedules/revisions", c + "/timeline",
		c + "/submissions", c + "/submissions/1", c + "/submissions/1/changes", c + "/shares", c + "/actions", c + "/team", c + "/export", c + "/export/mg6d"}
	// seesJS2 says whether any of the liaison's pages, API routes and exports shows JS/2.
	seesJS2 := func(when string) bool {
		t.Helper()
		seen := false
		check := func(path string, r *httptest.ResponseRecorder) {
			if r.Code != http.StatusOK {
				t.Errorf("%s: %s: %d", when, path, r.Code)
			}
			body := r.Body.Bytes()
			if strings.HasSuffix(path, ".zip") || strings.Contains(path, "/export") {
				dir, names := apitest.Unzip(t, body)
				cfSumsMatch(t, dir, names)
				body = nil
				for _, n := range names {
					b, _ := os.ReadFile(filepath.Join(dir, n))
					body = append(body, b...)
				}
			}
			if bytes.Contains(body, []byte("JS/2")) || bytes.Contains(body, []byte("JS_2")) || bytes.Contains(body, []byte("Barclays statements")) {
				seen = true
			}
		}
		for _, p := range pages {
			check(p, w.liaison.Browser().Get(t, p))
		}
		for _, p := range apis {
			check("/api/v1"+p, w.a.API(t, w.liaison, "GET", "/api/v1"+p, ""))
		}
		for _, p := range []string{e, e + "/download", "/api/v1" + e, "/api/v1" + e + "/content"} {
			var r *httptest.ResponseRecorder
			if strings.HasPrefix(p, "/api/") {
				r = w.a.API(t, w.liaison, "GET", p, "")
			} else {
				r = w.liaison.Browser().Get(t, p)
			}
			if r.Code == http.StatusOK {
				seen = true
			} else if r.Code != http.StatusNotFound {
				t.Errorf("%s: %s: %d, want 200 or 404", when, p, r.Code)
			}
		}
		return seen
	}
	if seesJS2("pack 1 shared after JS/2 was added") {
		t.Error("pack 1 shared after JS/2 was added: the liaison sees JS/2")
	}
	page := cfText(w.liaison.Browser().Get(t, c+"/evidence").Body.String())
	if !strings.Contains(page, "You are reading pack 1") || !strings.Contains(page, "JS/1") {
		t.Errorf("the liaison's evidence page does not say which pack they read, or lacks JS/1:\n%s", page)
	}
	team := cfText(w.inv.Browser().Get(t, c+"/pack").Body.String())
	for _, want := range []string{"Changed since pack 1 was approved, not yet approved", "Exhibit JS/2 added"} {
		if !strings.Contains(team, want) {
			t.Errorf("the team's pack page lacks %q:\n%s", want, team)
		}
	}

	// Pack 2, approved but not yet shared with the liaison: pack 1 is superseded, JS/2 still hidden.
	cfSubmit(t, w.inv, c+"/submit", url.Values{"purpose": {"early_advice"}}, http.StatusConflict)
	ctx, cs := context.Background(), w.a.Services.CaseFiles
	_, err := cs.RaiseAction(ctx, w.liaison.Actor(t), id, casefile.ActionInput{Text: "Obtain the suspect's bank records"})
	modelstest.Must(t, err)
	cfSubmit(t, w.inv, c+"/submit", url.Values{"purpose": {"early_advice"}}, http.StatusSeeOther)
	cfSubmit(t, w.sup2, c+"/approve", url.Values{"confirmed": {"yes"}}, http.StatusSeeOther)
	if seesJS2("pack 2 approved, not shared") {
		t.Error("pack 2 approved but not shared: the liaison sees JS/2")
	}
	if page := cfText(w.liaison.Browser().Get(t, c).Body.String()); !strings.Contains(page, "Pack 2 has since been approved and supersedes it") {
		t.Errorf("the liaison is not told pack 2 supersedes theirs:\n%s", page)
	}
	if page := cfText(w.sup.Browser().Get(t, c+"/pack").Body.String()); !strings.Contains(page, "Superseded by pack 2") {
		t.Errorf("the share does not say pack 2 supersedes it:\n%s", page)
	}

	// Shared, pack 2 reaches the liaison, with what changed.
	cfSubmit(t, w.sup, c+"/shares", shareForm(w.liaison, w.a.Clock.Now().AddDate(0, 0, 30)), http.StatusSeeOther)
	if !seesJS2("pack 2 shared") {
		t.Error("pack 2 shared: the liaison does not see JS/2")
	}
	changes := cfText(w.liaison.Browser().Get(t, c+"/submissions/2/changes").Body.String())
	for _, want := range []string{"What changed in pack 2", "Since pack 1", "Exhibit JS/2 added", "Travel proof"} {
		if !strings.Contains(changes, want) {
			t.Errorf("what changed in pack 2 lacks %q:\n%s", want, changes)
		}
	}
}

// cpsLater is what the team did to a cpsReadCase after sharing pack 1, and the liaison reads
// nothing of before charge: MG6C 1 reworded, MG6C 2 and MG6D 2 added, pack 2 submitted and
// returned.
type cpsLater struct {
	tenancy, notebook, deployment casefile.DisclosureEntry
	pack2                         casefile.SubmissionView
	words                         []string // the later words, and pack 2's, that the liaison must not read
}

// cpsLaterWork does cpsLater's work on case id, a minute after pack 1 was shared, once the
// liaison has raised an action (which lets the team change the file).
func cpsLaterWork(t *testing.T, w *cfWorld, id int64) cpsLater {
	t.Helper()
	ctx, cs, inv := context.Background(), w.a.Services.CaseFiles, w.inv.Actor(t)
	w.a.Clock.Advance(time.Minute)
	_, err := cs.RaiseAction(ctx, w.liaison.Actor(t), id, casefile.ActionInput{Text: "Obtain the suspect's bank records"})
	modelstest.Must(t, err)
	var l cpsLater
	l.tenancy = cpsEntry(t, w, id, casefile.ScheduleMG6C, 1)
	_, err = cs.UpdateScheduleEntry(ctx, inv, id, l.tenancy.ID, casefile.EntryInput{Description: "Tenancy agreement for 14 Mill Lane naming Adam Kowalski as second tenant",
		Location: "Exeter property store"})
	modelstest.Must(t, err)
	for _, e := range []casefile.EntryInput{
		{Schedule: casefile.ScheduleMG6C, Description: "Pocket notebook of PC 1234 Smith, 3 to 9 May 2025", Location: "Exeter property store"},
		{Schedule: casefile.ScheduleMG6D, Description: "Deployment log of the test purchase officer", Location: "Covert unit safe", OfficerView: "Reveals a covert deployment"},
	} {
		_, err = cs.AddScheduleEntry(ctx, inv, id, e)
		modelstest.Must(t, err)
	}
	l.notebook, l.deployment = cpsEntry(t, w, id, casefile.ScheduleMG6C, 2), cpsEntry(t, w, id, casefile.ScheduleMG6D, 2)
	l.pack2, err = cs.Submit(ctx, inv, id, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)
	_, err = cs.Return(ctx, w.sup.Actor(t), id, "Returned: the statement of the second tenant is missing")
	modelstest.Must(t, err)
	l.words = []string{"Adam Kowalski", "Pocket notebook", "Deployment log", "covert deployment", "second tenant", "Pack 2", l.pack2.ManifestSHA256}
	return l
}

// cpsEntry is case id's entry number on sch as the team reads it.
func cpsEntry(t *testing.T, w *cfWorld, id int64, sch casefile.Schedule, number int) casefile.DisclosureEntry {
	t.Helper()
	entries, err := w.a.Services.CaseFiles.ScheduleEntries(context.Background(), w.inv.Actor(t), id)
	modelstest.Must(t, err)
	for _, e := range entries {
		if e.Schedule == sch && e.Number == number {
			return e
		}
	}
	t.Fatalf("no %s entry %d", sch, number)
	return casefile.DisclosureEntry{}
}

// Before charge the liaison marks only the entries of the pack shared with them: an entry added
// since is not found, as a missing id, and marking it writes nothing. Marking an entry the pack
// held fills the prosecutor's columns of the team's row and answers with the pack's words.
func TestLiaisonMarksOnlyThePacksEntries(t *testing.T) {
	w := newCFWorld(t)
	id, _, _ := cpsReadCase(t, w)
	l := cpsLaterWork(t, w, id)
	ctx, cs, c := context.Background(), w.a.Services.CaseFiles, fmt.Sprintf("/casefiles/%d", id)
	for _, e := range []casefile.DisclosureEntry{l.notebook, l.deployment} {
		body := `{"cps_view": "D"}`
		if e.Schedule == casefile.ScheduleMG6D {
			body = `{"cps_agree_sensitive": "yes", "cps_pii_needed": "no"}`
		}
		for _, entryID := range []int64{e.ID, e.ID + 1000} {
			p := fmt.Sprintf("/api/v1%s/schedules/%d/cps", c, entryID)
			if r := w.a.API(t, w.liaison, "POST", p, body); r.Code != http.StatusNotFound {
				t.Errorf("POST %s (%s %d, not in the pack): %d, want 404\n%s", p, e.Schedule, e.Number, r.Code, r.Body.String())
			}
		}
		p := fmt.Sprintf("%s/disclosure/%d/cps", c, e.ID)
		if r := w.liaison.Browser().Submit(t, p, url.Values{"cps_view": {"D"}, "cps_agree_sensitive": {"yes"}, "cps_pii_needed": {"no"}}); r.Code != http.StatusNotFound {
			t.Errorf("POST %s (%s %d, not in the pack): %d, want 404", p, e.Schedule, e.Number, r.Code)
		}
		if got := cpsEntry(t, w, id, e.Schedule, e.Number); got.CPSAt != nil {
			t.Errorf("%s %d, not in the pack, carries the prosecutor's columns: %+v", e.Schedule, e.Number, got)
		}
	}
	revs, err := cs.ScheduleRevisions(ctx, w.inv.Actor(t), id)
	modelstest.Must(t, err)
	for _, r := range revs {
		if strings.HasPrefix(r.Summary, "Prosecutor") {
			t.Errorf("marking an entry not in the pack dated a revision: %+v", r)
		}
	}
	events, err := cs.Timeline(ctx, w.inv.Actor(t), id, "", 200)
	modelstest.Must(t, err)
	for _, e := range events.Events {
		if strings.HasPrefix(e.Summary, "Prosecutor marked") {
			t.Errorf("marking an entry not in the pack is on the timeline: %+v", e)
		}
	}

	r := w.a.API(t, w.liaison, "POST", fmt.Sprintf("/api/v1%s/schedules/%d/cps", c, l.tenancy.ID), `{"cps_view": "D"}`)
	if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), "Tenancy agreement for 14 Mill Lane signed by the suspect") ||
		!strings.Contains(r.Body.String(), `"cps_view":"D"`) || strings.Contains(r.Body.String(), "Adam Kowalski") {
		t.Errorf("marking MG6C 1, in the pack: %d %s", r.Code, r.Body.String())
	}
	if got := cpsEntry(t, w, id, casefile.ScheduleMG6C, 1); got.CPSView != "D" || !strings.Contains(got.Description, "Adam Kowalski") {
		t.Errorf("the team's MG6C 1 after the prosecutor marked it: %+v", got)
	}
	if page := cfText(page200(t, w.inv, c+"/disclosure")); !strings.Contains(page, "Prosecutor marked it D") {
		t.Errorf("the team does not see the prosecutor's mark:\n%s", page)
	}
}

// cpsShows fails the test where what the liaison reads at the pages and API routes of case id
// (paths under the case) holds any of words.
func cpsShows(t *testing.T, w *cfWorld, id int64, words []string, pages, apis []string) {
	t.Helper()
	c := fmt.Sprintf("/casefiles/%d", id)
	for _, p := range pages {
		page := cfText(page200(t, w.liaison, c+p))
		for _, s := range words {
			if strings.Contains(page, s) {
				t.Errorf("the liaison's page %s shows %q:\n%s", c+p, s, page)
			}
		}
	}
	for _, p := range apis {
		r := w.a.API(t, w.liaison, "GET", "/api/v1"+c+p, "")
		for _, s := range words {
			if r.Code != http.StatusOK || strings.Contains(r.Body.String(), s) {
				t.Errorf("GET %s as the liaison: %d, shows %q: %s", c+p, r.Code, s, r.Body.String())
			}
		}
	}
}

// Before charge the liaison's revisions are the pack's: those of its entries dated up to its
// submission, not the team's later words, entries added since, nor the liaison's own marks since
// (dated with the team's words of the moment); the disclosure tab shows them so.
func TestLiaisonReadsThePacksRevisions(t *testing.T) {
	w := newCFWorld(t)
	id, _, _ := cpsReadCase(t, w)
	l := cpsLaterWork(t, w, id)
	c := fmt.Sprintf("/casefiles/%d", id)
	if r := w.a.API(t, w.liaison, "POST", fmt.Sprintf("/api/v1%s/schedules/%d/cps", c, l.tenancy.ID), `{"cps_view": "D"}`); r.Code != http.StatusOK {
		t.Fatalf("marking MG6C 1: %d %s", r.Code, r.Body.String())
	}
	cpsShows(t, w, id, l.words[:5], []string{"/disclosure"}, []string{"/schedules/revisions"})
	var got struct {
		Revisions []struct {
			Summary, Description string
		} `json:"revisions"`
	}
	r := w.a.API(t, w.liaison, "GET", "/api/v1"+c+"/schedules/revisions", "")
	if err := json.Unmarshal(r.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Revisions) != 2 || got.Revisions[0].Description != "Informant contact log kept by the covert unit" ||
		got.Revisions[1].Description != "Tenancy agreement for 14 Mill Lane signed by the suspect" {
		t.Errorf("the liaison's revisions, want the pack's two entries added: %+v", got.Revisions)
	}
	if page := cfText(page200(t, w.inv, c+"/disclosure")); !strings.Contains(page, "Adam Kowalski") || !strings.Contains(page, "Pocket notebook") {
		t.Errorf("the team's disclosure tab lacks the later revisions:\n%s", page)
	}
}

// Before charge the liaison's timeline holds no event about a pack they may not read, as their
// list of packs holds none: not pack 2's submission (its manifest hash) nor its return (the
// supervisor's reasons), nor a later pack shared with another liaison. Pack 1's events stay.
func TestLiaisonTimelineHoldsOnlyTheirPacks(t *testing.T) {
	w := newCFWorld(t)
	id, _, _ := cpsReadCase(t, w)
	l := cpsLaterWork(t, w, id)
	ctx, cs, c := context.Background(), w.a.Services.CaseFiles, fmt.Sprintf("/casefiles/%d", id)
	cpsShows(t, w, id, l.words[4:], []string{"/timeline", ""}, []string{"/timeline", "/submissions"})
	for _, want := range []string{"Pack 1 submitted", "Pack 1 approved", "Pack 1 shared with " + w.liaison.Name} {
		if page := cfText(page200(t, w.liaison, c+"/timeline")); !strings.Contains(page, want) {
			t.Errorf("the liaison's timeline lacks %q:\n%s", want, page)
		}
	}

	// Pack 3, approved and shared with another liaison, then that share revoked: nothing of it
	// reaches the first liaison, who reads pack 1 still.
	_, err := cs.Submit(ctx, w.inv.Actor(t), id, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)
	pack3, err := cs.Approve(ctx, w.sup2.Actor(t), id)
	modelstest.Must(t, err)
	day := w.a.Clock.Now().AddDate(0, 0, 30)
	share, err := cs.Share(ctx, w.sup.Actor(t), id, casefile.ShareInput{LiaisonID: w.liaison2.ID, ExpiresOn: &day})
	modelstest.Must(t, err)
	modelstest.Must(t, cs.RevokeShare(ctx, w.sup.Actor(t), id, share.ID))
	// (The page says pack 3 supersedes pack 1, as it should: nothing more.)
	cpsShows(t, w, id, []string{"Pack 3 submitted", "Pack 3 approved", "Pack 3 shared", pack3.ManifestSHA256, w.liaison2.Name}, []string{"/timeline"}, []string{"/timeline"})
	if page := cfText(page200(t, w.inv, c+"/timeline")); !strings.Contains(page, "Pack 2 returned") || !strings.Contains(page, "Pack 3 shared with "+w.liaison2.Name) ||
		!strings.Contains(page, "Share with "+w.liaison2.Name+" revoked") {
		t.Errorf("the team's timeline lacks pack 2's return or pack 3's share:\n%s", page)
	}
	// A revocation and an export recorded before events named their pack: which pack they were
	// about is unknown, so the liaison does not read them; the team does.
	for _, summary := range []string{"Share with Old Liaison revoked", "Pack exported before migration 26"} {
		kind := map[bool]string{true: "share", false: "export"}[strings.HasPrefix(summary, "Share")]
		modelstest.Must(t, w.a.DB.Gorm().Exec("INSERT INTO case_events (case_id, occurred_at, kind, summary, details) VALUES (?, ?, ?, ?, '')", id, w.a.Clock.Now(), kind, summary).Error)
	}
	cpsShows(t, w, id, []string{"Old Liaison", "before migration 26"}, []string{"/timeline"}, []string{"/timeline"})
	if page := cfText(page200(t, w.inv, c+"/timeline")); !strings.Contains(page, "Old Liaison") || !strings.Contains(page, "before migration 26") {
		t.Errorf("the team's timeline lacks the old share and export events:\n%s", page)
	}
}

// The export a CPS lawyer can use without a covering email (issue 13 item 7): the MG6C schedule
// as CSV and as a PDF headed with the case and signed and dated, the CPS's advice and actions
// with the answers, each exhibit's continuity record, an index naming every document with its
// counts in words that agree, `sha256sum -c` passing; the MG6D schedule only in its own
// restricted export, for the officer in the case, supervisors and the prosecutor, never for the
// rest of the team, and nowhere in the pack itself.
func TestPackExportForTheCPSLawyer(t *testing.T) {
	w := newCFWorld(t)
	id, _, _ := cpsReadCase(t, w)
	ctx, cs := context.Background(), w.a.Services.CaseFiles
	action, err := cs.RaiseAction(ctx, w.liaison.Actor(t), id, casefile.ActionInput{Text: "Obtain the suspect's bank records"})
	modelstest.Must(t, err)
	_, err = cs.AnswerAction(ctx, w.inv.Actor(t), id, action.ID, "Exhibit JS/3 holds them")
	modelstest.Must(t, err)
	member := w.a.As(t, "investigator")
	_, err = cs.AddMember(ctx, w.inv.Actor(t), id, casefile.MemberInput{Email: member.Email})
	modelstest.Must(t, err)
	c := fmt.Sprintf("/casefiles/%d", id)
	const mg6d = "Informant contact log"

	unzip := func(u *apitest.User, path string) (string, []string) {
		t.Helper()
		r := u.Browser().Get(t, path)
		if r.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, r.Code)
		}
		dir, names := apitest.Unzip(t, r.Body.Bytes())
		cfSumsMatch(t, dir, names)
		if strings.HasSuffix(path, "export.zip") {
			cfSHA256SumsCheck(t, dir) // as the recipient checks it
		}
		index, _ := os.ReadFile(filepath.Join(dir, "index.html"))
		for _, n := range names {
			if n != "index.html" && n != "SHA256SUMS" && !strings.HasPrefix(n, "evidence/") && !bytes.Contains(index, []byte(`href="`+n+`"`)) {
				t.Errorf("%s: the index does not name %s", path, n)
			}
		}
		return dir, names
	}
	read := func(dir, name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		modelstest.Must(t, err)
		return string(b)
	}
	for _, u := range []*apitest.User{w.liaison, w.inv, member} {
		dir, names := unzip(u, c+"/export.zip")
		for _, want := range []string{"schedules/MG6C.csv", "schedules/MG6C.pdf", "cps/advice-decisions-and-actions.pdf"} {
			if !slices.Contains(names, want) {
				t.Errorf("the pack lacks %s: %v", want, names)
			}
		}
		if !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "continuity/") && strings.HasSuffix(n, "_JS_1.pdf") }) {
			t.Errorf("the pack lacks JS/1's continuity record: %v", names)
		}
		if slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, "MG6D") }) {
			t.Errorf("the pack carries an MG6D file: %v", names)
		}
		sched := read(dir, "schedules/MG6C.pdf")
		for _, want := range []string{"%PDF", "45AB1234523", "Operation Kestrel", "Officer in the case: " + w.inv.Name, "Disclosure officer: not recorded",
			"Signed by the disclosure officer: not recorded", "Dated: ", "Schedule of 1 entry.", "Tenancy agreement"} {
			if !strings.Contains(sched, want) {
				t.Errorf("MG6C.pdf lacks %q", want)
			}
		}
		cps := read(dir, "cps/advice-decisions-and-actions.pdf")
		for _, want := range []string{"Obtain the suspect's bank records", "Exhibit JS/3 holds them", "1 entry, newest first"} {
			if !strings.Contains(cps, want) {
				t.Errorf("the CPS document lacks %q", want)
			}
		}
		if index := read(dir, "index.html"); !strings.Contains(index, "holds 1 entry.") {
			t.Errorf("the index does not count the MG6C entries in words that agree")
		}
		// The pack itself never holds the MG6D schedule for someone who may not export it.
		for _, n := range names {
			if u == member && strings.Contains(read(dir, n), mg6d) {
				t.Errorf("%s in a team member's pack holds the MG6D entry", n)
			}
		}
	}

	// Once the team names its disclosure officer and they certify, the schedule says who signed
	// it, and when.
	_, err = w.a.Services.Disclosure.NameRoles(ctx, w.inv.Actor(t), id, disclosure.RolesInput{OIC: w.inv.ID, DisclosureOfficer: w.inv.ID})
	modelstest.Must(t, err)
	_, err = w.a.Services.Disclosure.Certify(ctx, w.inv.Actor(t), id, disclosure.CertifyInput{Kind: disclosure.KindMG6E})
	modelstest.Must(t, err)
	dir, _ := unzip(w.inv, c+"/export.zip")
	for _, want := range []string{"Disclosure officer: " + w.inv.Name, "Signed by the disclosure officer: " + w.inv.Name,
		"Dated: " + w.a.Clock.Now().In(core.London).Format("2 January 2006")} {
		if sched := read(dir, "schedules/MG6C.pdf"); !strings.Contains(sched, want) {
			t.Errorf("MG6C.pdf, certified, lacks %q", want)
		}
	}

	// The restricted export: the officer in the case, supervisors and the prosecutor; 403 for
	// the rest of the team.
	for _, u := range []*apitest.User{w.inv, w.sup, w.liaison} {
		dir, names := unzip(u, c+"/mg6d.zip")
		if !slices.Contains(names, "schedules/MG6D.csv") || !slices.Contains(names, "schedules/MG6D.pdf") || slices.Contains(names, "schedules/MG6C.csv") {
			t.Errorf("the MG6D export holds %v", names)
		}
		if !strings.Contains(read(dir, "schedules/MG6D.csv"), mg6d) || !strings.Contains(read(dir, "schedules/MG6D.pdf"), mg6d) {
			t.Error("the MG6D export lacks the entry")
		}
	}
	if r := member.Browser().Get(t, c+"/mg6d.zip"); r.Code != http.StatusForbidden {
		t.Errorf("a team member who is not the officer in the case exports the MG6D schedule: %d", r.Code)
	}
	if r := w.a.API(t, member, "GET", "/api/v1"+c+"/export/mg6d", ""); r.Code != http.StatusForbidden {
		t.Errorf("a team member who is not the officer in the case exports the MG6D schedule through the API: %d", r.Code)
	}

	// A second MG6C entry: "2 entries".
	_, err = cs.AddScheduleEntry(ctx, w.inv.Actor(t), id, casefile.EntryInput{Schedule: casefile.ScheduleMG6C, Description: "Pocket notebook of PC 1234 Smith, 3 to 9 May 2025",
		Location: "Exeter property store"})
	modelstest.Must(t, err)
	dir, _ = unzip(w.inv, c+"/export.zip")
	if !strings.Contains(read(dir, "index.html"), "holds 2 entries.") || !strings.Contains(read(dir, "schedules/MG6C.pdf"), "Schedule of 2 entries.") {
		t.Error("two MG6C entries are not counted as 2 entries")
	}
}
