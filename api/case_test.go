package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
	"github.com/msptp/msphub/storage"
)

// cfWorld is MSP Hub with the people of a case: an investigator who leads it, a second
// investigator of the same force who is not on the team, two supervisors of the force, an
// administrator, and CPS liaisons of CPS areas (the first a Crown Prosecutor).
type cfWorld struct {
	a                               *apitest.App
	inv, outsider, sup, sup2, admin *apitest.User
	liaison, liaison2               *apitest.User
}

func newCFWorld(t *testing.T, opts ...apitest.Option) *cfWorld {
	t.Helper()
	a := apitest.New(t, opts...)
	return &cfWorld{a: a,
		inv:      a.As(t, policies.RoleInvestigator),
		outsider: a.As(t, policies.RoleInvestigator),
		sup:      a.As(t, policies.RoleSupervisor),
		sup2:     a.As(t, policies.RoleSupervisor),
		admin:    a.SignedIn(t, apitest.UserSpec{Org: identity.ProgrammeUnitSlug, Roles: []string{policies.RoleAdmin}}),
		liaison:  a.SignedIn(t, apitest.UserSpec{Org: "cps-south-west", Roles: []string{policies.RoleCPSLiaison}, Prosecutor: true}),
		liaison2: a.SignedIn(t, apitest.UserSpec{Org: "cps-wessex", Roles: []string{policies.RoleCPSLiaison}}),
	}
}

var cfLocationID = regexp.MustCompile(`^/casefiles/(\d+)`)

// openCase opens an s2 case through the new-case page as w.inv and returns its id.
func (w *cfWorld) openCase(t *testing.T) int64 {
	t.Helper()
	b := w.inv.Browser()
	if r := b.Get(t, "/casefiles/new"); r.Code != http.StatusOK {
		t.Fatalf("new case form: %d", r.Code)
	}
	r := b.Submit(t, "/casefiles/new", url.Values{"urn": {"45 AB 12345 23"}, "operation": {"Operation Kestrel"}, "offences": {"msa_s2"},
		"classification": {"OFFICIAL"}, "supervisor_id": {strconv.FormatInt(w.sup.ID, 10)}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("open a case: %d\n%s", r.Code, r.Body.String())
	}
	m := cfLocationID.FindStringSubmatch(r.Header().Get("Location"))
	if m == nil {
		t.Fatalf("open a case: redirected to %q", r.Header().Get("Location"))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// item finds a checklist item of the case by the start of its text.
func (w *cfWorld) item(t *testing.T, id int64, text string) casefile.ItemView {
	t.Helper()
	items, err := w.a.Services.CaseFiles.Checklist(context.Background(), w.inv.Actor(t), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if strings.HasPrefix(it.Text, text) {
			return it
		}
	}
	t.Fatalf("no checklist item %q", text)
	return casefile.ItemView{}
}

// upload posts an exhibit through the upload page as u.
func (w *cfWorld) upload(t *testing.T, u *apitest.User, id int64, fields url.Values, name, content string) *httptest.ResponseRecorder {
	t.Helper()
	b := u.Browser()
	b.Get(t, fmt.Sprintf("/casefiles/%d/evidence/new", id))
	return b.Upload(t, fmt.Sprintf("/casefiles/%d/evidence/new", id), fields, apitest.File{Field: "file", Name: name, Body: strings.NewReader(content)})
}

func cfSubmit(t *testing.T, u *apitest.User, path string, form url.Values, want int) *httptest.ResponseRecorder {
	t.Helper()
	b := u.Browser()
	r := b.Submit(t, path, form)
	if r.Code != want {
		t.Fatalf("POST %s as %v: %d, want %d\n%s", path, u.Roles, r.Code, want, cfText(r.Body.String()))
	}
	return r
}

// cfText is a page's main text, for failure messages.
func cfText(page string) string {
	if i := strings.Index(page, `<main`); i >= 0 {
		page = page[i:]
	}
	return regexp.MustCompile(`\s+`).ReplaceAllString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(page, " "), " ")
}

func (w *cfWorld) status(t *testing.T, id int64) casefile.CaseStatus {
	t.Helper()
	cv, err := w.a.Services.CaseFiles.Get(context.Background(), w.sup.Actor(t), id)
	if err != nil {
		t.Fatal(err)
	}
	return cv.Status
}

// shareForm shares the approved pack with liaison until days from now.
func shareForm(liaison *apitest.User, until time.Time) url.Values {
	return url.Values{"liaison_id": {strconv.FormatInt(liaison.ID, 10)}, "expires_on-day": {strconv.Itoa(until.Day())},
		"expires_on-month": {strconv.Itoa(int(until.Month()))}, "expires_on-year": {strconv.Itoa(until.Year())}}
}

// The whole journey through the pages, as a browser without JavaScript: an investigator opens an
// s2 case and uploads evidence against checklist items, submits; a supervisor approves and
// shares; the CPS liaison rejects an item with an action; the investigator answers with new
// evidence, which reaches the liaison in pack 2, approved and shared; the liaison accepts; the
// pack is exported and `sha256sum -c SHA256SUMS` passes on the unzipped pack.
func TestCaseJourneyThroughThePages(t *testing.T) {
	w := newCFWorld(t)
	id := w.openCase(t)
	page := w.inv.Browser().Get(t, fmt.Sprintf("/casefiles/%d", id)).Body.String()
	for _, want := range []string{"Travel proof: tickets, passenger and border records, ANPR, vehicles", "Points-to-prove matrix mapped to evidence", "45AB1234523", "Core (all MSA cases), version 3; Human trafficking (MSA 2015 s2), version 2"} {
		if !strings.Contains(page, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	travel, act := w.item(t, id, "Travel proof"), w.item(t, id, "Suspect's act")

	// An exhibit whose description and file name carry markup and a formula.
	r := w.upload(t, w.inv, id, url.Values{"exhibit_ref": {"JS/1"}, "description": {"Ferry manifest <script>alert(1)</script>"}, "producer": {"DC Jo Smith"},
		"produced_on-day": {"3"}, "produced_on-month": {"5"}, "produced_on-year": {"2025"}, "item_ids": {strconv.FormatInt(travel.ID, 10), strconv.FormatInt(act.ID, 10)}},
		"manifest <b>.txt", "Passenger list for the 06:00 crossing, names redacted.\n")
	if r.Code != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%s", r.Code, cfText(r.Body.String()))
	}
	// The same exhibit reference again is refused at its field, and nothing is stored.
	r = w.upload(t, w.inv, id, url.Values{"exhibit_ref": {"js/1"}, "description": {"Another"}, "producer": {"DC Jo Smith"}}, "other.txt", "other")
	if r.Code != http.StatusConflict || !strings.Contains(r.Body.String(), `href="#exhibit_ref"`) || !strings.Contains(cfText(r.Body.String()), "is already used in this case") {
		t.Errorf("duplicate exhibit reference: %d", r.Code)
	}
	cfSubmit(t, w.inv, fmt.Sprintf("/casefiles/%d/items/%d", id, travel.ID), url.Values{"status": {"provided"}, "evidence_ids": {strconv.FormatInt(w.evidence(t, id, "JS/1").ID, 10)}}, http.StatusSeeOther)
	cfSubmit(t, w.inv, fmt.Sprintf("/casefiles/%d/disclosure/new", id), url.Values{"schedule": {"MG6C"}, "description": {"Misc papers"}, "location": {"Store"}}, http.StatusUnprocessableEntity)
	cfSubmit(t, w.inv, fmt.Sprintf("/casefiles/%d/disclosure/new", id), url.Values{"schedule": {"MG6C"}, "description": {"=HYPERLINK(\"http://evil.example\") bank statements of the suspect, HSBC account ending 1234"},
		"location": {"Exeter property store"}, "assessment": {"Does not undermine or assist"}}, http.StatusSeeOther)

	// Submit for early advice; the supervisor approves and shares with the liaison.
	cfSubmit(t, w.inv, fmt.Sprintf("/casefiles/%d/submit", id), url.Values{"purpose": {"early_advice"}}, http.StatusSeeOther)
	if got := w.status(t, id); got != casefile.StatusWithSupervisor {
		t.Fatalf("after submit: %s", got)
	}
	if q := w.sup.Browser().Get(t, "/casefiles/review").Body.String(); !strings.Contains(q, "45AB1234523") || !strings.Contains(q, "Assigned to you") {
		t.Error("the supervisor's queue does not show the pack assigned to them")
	}
	confirm := cfSubmit(t, w.sup, fmt.Sprintf("/casefiles/%d/approve", id), nil, http.StatusOK).Body.String()
	if !strings.Contains(confirm, "Are you sure you want to approve the pack?") || !strings.Contains(confirm, `name="confirmed" value="yes"`) {
		t.Fatalf("approving does not ask first:\n%s", cfText(confirm))
	}
	cfSubmit(t, w.sup, fmt.Sprintf("/casefiles/%d/approve", id), url.Values{"confirmed": {"yes"}}, http.StatusSeeOther)
	if q := w.liaison.Browser().Get(t, "/casefiles/cps").Body.String(); strings.Contains(q, "45AB1234523") {
		t.Error("the liaison's queue shows a pack not yet shared")
	}
	cfSubmit(t, w.sup, fmt.Sprintf("/casefiles/%d/shares", id), shareForm(w.liaison, w.a.Clock.Now().AddDate(0, 0, 30)), http.StatusSeeOther)
	if got := w.status(t, id); got != casefile.StatusWithCPSEarlyAdvice {
		t.Fatalf("after share: %s", got)
	}
	if q := w.liaison.Browser().Get(t, "/casefiles/cps").Body.String(); !strings.Contains(q, "45AB1234523") {
		t.Error("the liaison's queue does not show the shared pack")
	}

	// The liaison rejects one item with an action.
	cfSubmit(t, w.liaison, fmt.Sprintf("/casefiles/%d/items/%d/review", id, act.ID), url.Values{"verdict": {"reject"}}, http.StatusUnprocessableEntity)
	cfSubmit(t, w.liaison, fmt.Sprintf("/casefiles/%d/items/%d/review", id, act.ID), url.Values{"verdict": {"reject"},
		"review_reason": {"Provide the suspect's messages arranging the travel"}}, http.StatusSeeOther)
	if got := w.status(t, id); got != casefile.StatusActionPlan {
		t.Fatalf("after the rejection: %s", got)
	}
	ap, err := w.a.Services.CaseFiles.Actions(context.Background(), w.inv.Actor(t), id, "", 0)
	actions := ap.Actions
	if err != nil || len(actions) != 1 || !actions[0].Open || actions[0].ItemID == nil || *actions[0].ItemID != act.ID {
		t.Fatalf("actions after the rejection: %+v %v", actions, err)
	}

	// The investigator answers with new evidence.
	r = w.upload(t, w.inv, id, url.Values{"exhibit_ref": {"JS/2"}, "description": {"WhatsApp messages from the suspect's phone arranging the crossing"},
		"producer": {"DC Jo Smith"}, "item_ids": {strconv.FormatInt(act.ID, 10)}}, "messages.txt", "12/05 22:14 suspect: the van leaves at 5, bring them to the port\n")
	if r.Code != http.StatusSeeOther {
		t.Fatalf("second upload: %d\n%s", r.Code, cfText(r.Body.String()))
	}
	cfSubmit(t, w.inv, fmt.Sprintf("/casefiles/%d/items/%d", id, act.ID), url.Values{"status": {"provided"},
		"evidence_ids": {strconv.FormatInt(w.evidence(t, id, "JS/2").ID, 10)}}, http.StatusSeeOther)
	cfSubmit(t, w.inv, fmt.Sprintf("/casefiles/%d/actions/%d/answer", id, actions[0].ID), url.Values{"response": {"Exhibit JS/2 holds the messages"}}, http.StatusSeeOther)

	// The new exhibit reaches the liaison only in a new approved pack: the team submits pack 2,
	// the supervisor approves it and shares it with the liaison.
	if dl := w.liaison.Browser().Get(t, fmt.Sprintf("/casefiles/%d/evidence/%d", id, w.evidence(t, id, "JS/2").ID)); dl.Code != http.StatusNotFound {
		t.Errorf("the liaison opens JS/2 before it is in an approved pack: %d", dl.Code)
	}
	cfSubmit(t, w.inv, fmt.Sprintf("/casefiles/%d/submit", id), url.Values{"purpose": {"early_advice"}}, http.StatusSeeOther)
	cfSubmit(t, w.sup, fmt.Sprintf("/casefiles/%d/approve", id), url.Values{"confirmed": {"yes"}}, http.StatusSeeOther)
	cfSubmit(t, w.sup, fmt.Sprintf("/casefiles/%d/shares", id), shareForm(w.liaison, w.a.Clock.Now().AddDate(0, 0, 30)), http.StatusSeeOther)

	// The liaison accepts it and downloads the new exhibit.
	cfSubmit(t, w.liaison, fmt.Sprintf("/casefiles/%d/items/%d/review", id, act.ID), url.Values{"verdict": {"accept"}}, http.StatusSeeOther)
	if it := w.item(t, id, "Suspect's act"); it.Status != casefile.ItemAccepted {
		t.Errorf("after acceptance the item is %s", it.Status)
	}
	js2 := w.evidence(t, id, "JS/2")
	dl := w.liaison.Browser().Get(t, fmt.Sprintf("/casefiles/%d/evidence/%d/download", id, js2.ID))
	if dl.Code != http.StatusOK || !strings.Contains(dl.Body.String(), "the van leaves at 5") || !strings.HasPrefix(dl.Header().Get("Content-Disposition"), "attachment") || dl.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("download: %d %q %q", dl.Code, dl.Header().Get("Content-Disposition"), dl.Header().Get("X-Content-Type-Options"))
	}

	// The pack, exported by the liaison, verifies with sha256sum -c once unzipped.
	ex := w.liaison.Browser().Get(t, fmt.Sprintf("/casefiles/%d/export.zip", id))
	if ex.Code != http.StatusOK || ex.Header().Get("Content-Type") != "application/zip" || !strings.Contains(ex.Header().Get("Content-Disposition"), "OFFICIAL_45AB1234523_pack.zip") {
		t.Fatalf("export: %d %s %s", ex.Code, ex.Header().Get("Content-Type"), ex.Header().Get("Content-Disposition"))
	}
	dir, _ := apitest.Unzip(t, ex.Body.Bytes())
	cfSHA256SumsCheck(t, dir)
	index, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	for _, want := range []string{"Ferry manifest &lt;script&gt;alert(1)&lt;/script&gt;", "Accepted by CPS", "JS/2", js2.SHA256, "OFFICIAL"} {
		if !strings.Contains(string(index), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if strings.Contains(string(index), "<script>") {
		t.Error("index.html carries unescaped markup from an exhibit description")
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "schedules", "MG6C.csv"))
	if !strings.Contains(string(csv), `"'=HYPERLINK`) {
		t.Errorf("MG6C.csv does not neutralise a formula:\n%s", csv)
	}
	var man struct {
		Submission struct {
			ManifestSHA256 string `json:"manifest_sha256"`
			File           string `json:"file"`
		} `json:"submission"`
		Evidence []struct {
			ExhibitRef string `json:"exhibit_ref"`
			SHA256     string `json:"sha256"`
			Path       string `json:"path"`
		} `json:"evidence"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	snap, _ := os.ReadFile(filepath.Join(dir, man.Submission.File))
	if man.Submission.ManifestSHA256 == "" || cfSum(snap) != man.Submission.ManifestSHA256 {
		t.Errorf("the approved submission's snapshot does not hash to its manifest hash %q", man.Submission.ManifestSHA256)
	}
	if len(man.Evidence) != 2 || man.Evidence[1].SHA256 != js2.SHA256 {
		t.Errorf("manifest evidence %+v", man.Evidence)
	}

	// Everything is on the timeline and on the exhibit's continuity record.
	tl := w.inv.Browser().Get(t, fmt.Sprintf("/casefiles/%d/timeline", id)).Body.String()
	for _, want := range []string{"Case file opened", "Pack 1 submitted for early advice", "Pack 1 approved by the supervisor", "Pack 1 shared with", "CPS rejected checklist item", "CPS action answered", "CPS accepted checklist item", "Pack exported"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
	// Through the API it comes a page at a time, each page's next leading to the one after.
	var first, second struct {
		Events []casefile.TimelineEntry
		Next   string
	}
	apitest.Want(t, w.a.API(t, w.inv, "GET", fmt.Sprintf("/api/v1/casefiles/%d/timeline?limit=2", id), ""), "timeline page 1", http.StatusOK, &first)
	apitest.Want(t, w.a.API(t, w.inv, "GET", fmt.Sprintf("/api/v1/casefiles/%d/timeline?limit=2&after=%s", id, first.Next), ""), "timeline page 2", http.StatusOK, &second)
	if len(first.Events) != 2 || first.Next == "" || len(second.Events) != 2 || second.Events[0].ID >= first.Events[1].ID {
		t.Errorf("timeline pages: %+v then %+v", first, second)
	}
	_, record, err := w.a.Services.CaseFiles.ViewEvidence(context.Background(), w.inv.Actor(t), id, js2.ID)
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range record {
		acts = append(acts, e.Action)
	}
	if strings.Join(acts, ",") != "uploaded,shared,downloaded,exported,viewed" {
		t.Errorf("continuity record of JS/2: %v", acts)
	}
}

func (w *cfWorld) evidence(t *testing.T, id int64, ref string) casefile.EvidenceView {
	t.Helper()
	list, err := w.a.Services.CaseFiles.Exhibits(context.Background(), w.inv.Actor(t), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.ExhibitRef == ref {
			return e
		}
	}
	t.Fatalf("no exhibit %s", ref)
	return casefile.EvidenceView{}
}

func cfSum(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%x", sum)
}

// cfSHA256SumsCheck runs coreutils' `sha256sum -c SHA256SUMS` in dir, as a recipient would.
func cfSHA256SumsCheck(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command("sha256sum", "-c", "--strict", "SHA256SUMS")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sha256sum -c SHA256SUMS: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 5 {
		t.Errorf("sha256sum checked only %d files:\n%s", len(lines), out)
	}
	for _, l := range lines {
		if !strings.HasSuffix(l, ": OK") {
			t.Errorf("sha256sum: %s", l)
		}
	}
}

// fullCase opens a case with something behind every one of its routes: an item, an exhibit, an
// MG6C entry, approved for early advice and shared for five days with liaison, who raised an
// action on it. It returns the case, its exhibit and every page and API route of it.
func (w *cfWorld) fullCase(t *testing.T, liaison *apitest.User) (int64, casefile.EvidenceView, []struct{ method, path string }) {
	t.Helper()
	ctx := context.Background()
	cs := w.a.Services.CaseFiles
	id := w.openCase(t)
	it := w.item(t, id, "Travel proof")
	if r := w.upload(t, w.inv, id, url.Values{"exhibit_ref": {"JS/1"}, "description": {"Ferry manifest"}, "producer": {"DC Smith"}}, "m.txt", "manifest"); r.Code != http.StatusSeeOther {
		t.Fatalf("upload: %d", r.Code)
	}
	ev := w.evidence(t, id, "JS/1")
	entry, err := cs.AddScheduleEntry(ctx, w.inv.Actor(t), id, casefile.EntryInput{Schedule: casefile.ScheduleMG6C, Description: "Tenancy agreement for 14 Mill Lane signed by the suspect", Location: "Store"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Submit(ctx, w.inv.Actor(t), id, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Approve(ctx, w.sup.Actor(t), id); err != nil {
		t.Fatal(err)
	}
	day := w.a.Clock.Now().AddDate(0, 0, 5)
	sh, err := cs.Share(ctx, w.sup.Actor(t), id, casefile.ShareInput{LiaisonID: liaison.ID, ExpiresOn: &day})
	if err != nil {
		t.Fatal(err)
	}
	act, err := cs.RaiseAction(ctx, liaison.Actor(t), id, casefile.ActionInput{Text: "Get the ANPR data"})
	if err != nil {
		t.Fatal(err)
	}
	team, err := cs.Team(ctx, w.inv.Actor(t), id)
	if err != nil {
		t.Fatal(err)
	}
	return id, ev, cfCaseRoutes(t, w.a, id, it.ID, ev.ID, entry.ID, sh.ID, act.ID, team[0].ID)
}

// cfCaseRoutes are every registered route that acts on one case, with a concrete path for the
// case and its parts.
func cfCaseRoutes(t *testing.T, a *apitest.App, id, item, ev, entry, share, action, member int64) []struct{ method, path string } {
	t.Helper()
	sub := map[string]int64{":id": id, ":item": item, ":ev": ev, ":entry": entry, ":share": share, ":action": action, ":member": member, ":number": 1}
	var out []struct{ method, path string }
	for _, r := range a.Engine.Routes() {
		if !strings.Contains(r.Path, "/casefiles/:id") {
			continue
		}
		p := r.Path
		for k, v := range sub {
			p = strings.ReplaceAll(p, k, strconv.FormatInt(v, 10))
		}
		out = append(out, struct{ method, path string }{r.Method, p})
	}
	if len(out) < 60 {
		t.Fatalf("only %d case routes found", len(out))
	}
	return out
}

// cfCall calls a case route as u the way its client would, with a harmless body, and returns
// the status. Uploads send a small text file.
func cfCall(t *testing.T, a *apitest.App, u *apitest.User, method, path string) int {
	t.Helper()
	upload := strings.HasSuffix(path, "/evidence/new") && method == "POST" || strings.HasSuffix(path, "/evidence") && method == "POST"
	if strings.HasPrefix(path, "/api/") {
		if upload {
			return a.UploadAPI(t, u.Token(t, identity.ScopeReadWrite), path, url.Values{"exhibit_ref": {"X/1"}, "description": {"d"}, "producer": {"p"}},
				apitest.File{Field: "file", Name: "x.txt", Body: strings.NewReader("x")}).Code
		}
		body := ""
		if method != "GET" && method != "DELETE" {
			body = "{}"
		}
		return a.API(t, u, method, path, body).Code
	}
	b := u.Browser()
	switch {
	case method == "GET":
		return b.Get(t, path).Code
	case upload:
		return b.Upload(t, path, url.Values{"exhibit_ref": {"X/1"}, "description": {"d"}, "producer": {"p"}}, apitest.File{Field: "file", Name: "x.txt", Body: strings.NewReader("x")}).Code
	}
	return b.Submit(t, path, url.Values{"reason": {"r"}}).Code
}

// A case, its parts, files and export are "not found" on every page and API route for an
// administrator and for an investigator of the same force who is not on the team; and for a
// CPS liaison before the pack is shared with them, after the share is revoked and after it
// expires. The case is in none of their lists, and the attempts change nothing.
func TestCaseIsNotFoundForOutsidersEverywhere(t *testing.T) {
	w := newCFWorld(t)
	ctx := context.Background()
	cs := w.a.Services.CaseFiles
	// A share with another liaison gives the routes a share and an action to name.
	id, _, routes := w.fullCase(t, w.liaison2)
	day := w.a.Clock.Now().AddDate(0, 0, 5)
	before := w.status(t, id)

	hidden := func(when string, who ...*apitest.User) {
		t.Helper()
		for _, u := range who {
			for _, r := range routes {
				if got := cfCall(t, w.a, u, r.method, r.path); got != http.StatusNotFound {
					t.Errorf("%s: %s %s as %v: %d, want 404", when, r.method, r.path, u.Roles, got)
				}
			}
			for _, list := range []string{"/casefiles", "/casefiles/review", "/casefiles/cps", "/api/v1/casefiles", "/api/v1/casefiles?queue=cps"} {
				var body string
				if strings.HasPrefix(list, "/api/") {
					body = w.a.API(t, u, "GET", list, "").Body.String()
				} else {
					body = u.Browser().Get(t, list).Body.String()
				}
				if strings.Contains(body, "45AB1234523") {
					t.Errorf("%s: %s lists the case for %v", when, list, u.Roles)
				}
			}
		}
	}
	hidden("before sharing with them", w.admin, w.outsider, w.liaison)

	mine, err := cs.Share(ctx, w.sup.Actor(t), id, casefile.ShareInput{LiaisonID: w.liaison.ID, ExpiresOn: &day})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfCall(t, w.a, w.liaison, "GET", fmt.Sprintf("/casefiles/%d", id)); got != http.StatusOK {
		t.Fatalf("the liaison with a live share: %d", got)
	}
	// The supervisor revokes it with the button on the sign-off page.
	if page := w.sup.Browser().Get(t, fmt.Sprintf("/casefiles/%d/pack", id)).Body.String(); !strings.Contains(page, fmt.Sprintf(`action="/casefiles/%d/shares/%d/revoke"`, id, mine.ID)) {
		t.Error("the sign-off page offers no revoke button for the live share")
	}
	// It asks first, and until the supervisor says yes the liaison keeps the pack.
	if page := cfSubmit(t, w.sup, fmt.Sprintf("/casefiles/%d/shares/%d/revoke", id, mine.ID), nil, http.StatusOK).Body.String(); !strings.Contains(page, "Are you sure you want to stop sharing the pack with the CPS?") {
		t.Errorf("revoking does not ask first:\n%s", cfText(page))
	}
	if got := cfCall(t, w.a, w.liaison, "GET", fmt.Sprintf("/casefiles/%d", id)); got != http.StatusOK {
		t.Fatalf("the share ended before the supervisor confirmed: %d", got)
	}
	cfSubmit(t, w.sup, fmt.Sprintf("/casefiles/%d/shares/%d/revoke", id, mine.ID), url.Values{"confirmed": {"yes"}}, http.StatusSeeOther)
	hidden("after revoke", w.liaison)

	if _, err := cs.Share(ctx, w.sup.Actor(t), id, casefile.ShareInput{LiaisonID: w.liaison.ID, ExpiresOn: &day}); err != nil {
		t.Fatal(err)
	}
	w.a.Clock.Advance(7 * 24 * time.Hour)
	// Sessions end when idle; sign the liaison in again at the new time.
	w.liaison.SignIn(t)
	w.admin.SignIn(t)
	w.sup.SignIn(t)
	hidden("after expiry", w.liaison, w.admin)

	if got := w.status(t, id); got != before {
		t.Errorf("the outsiders' attempts moved the case from %s to %s", before, got)
	}
}

// A stored exhibit altered in the store fails its download (500, nothing of it served) and cuts
// the export off mid-stream, on a real HTTP connection; both failures are audited and on the
// exhibit's continuity record.
func TestTamperedEvidenceFailsDownloadAndExport(t *testing.T) {
	backend, store := cfStore(t)
	w := newCFWorld(t, apitest.Blobs(store))
	id := w.openCase(t)
	content := strings.Repeat("The van left the farm at five with four workers inside. ", 4000)
	if r := w.upload(t, w.inv, id, url.Values{"exhibit_ref": {"JS/1"}, "description": {"Witness statement"}, "producer": {"DC Smith"}}, "statement.txt", content); r.Code != http.StatusSeeOther {
		t.Fatalf("upload: %d", r.Code)
	}
	ev := w.evidence(t, id, "JS/1")
	var key string
	if err := w.a.DB.Gorm().Table("blobs").Select("object_key").Where("sha256 = ?", ev.SHA256).Scan(&key).Error; err != nil || key == "" {
		t.Fatalf("object key: %v", err)
	}
	// Late in the object: the failure comes after the first bytes.
	modelstest.Rewrite(t, backend, key, func(obj []byte) []byte { obj[len(obj)-100] ^= 0xff; return obj })

	srv := httptest.NewServer(w.a.Engine)
	defer srv.Close()
	get := func(path string) (*http.Response, []byte, error) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: "msphub_session", Value: w.inv.Cookie})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	resp, body, err := get(fmt.Sprintf("/casefiles/%d/evidence/%d/download", id, ev.ID))
	switch {
	case err == nil && resp.StatusCode == http.StatusOK:
		t.Fatalf("a tampered exhibit downloaded whole (%d bytes)", len(body))
	case err == nil && resp.StatusCode != http.StatusInternalServerError:
		t.Errorf("tampered download: %d, want 500 or a cut connection", resp.StatusCode)
	}
	if err == nil && strings.Contains(string(body), "The van left the farm") {
		t.Error("the error page carries bytes of the tampered exhibit")
	}
	resp, body, err = get(fmt.Sprintf("/casefiles/%d/export.zip", id))
	if err == nil {
		if _, zerr := zip.NewReader(bytes.NewReader(body), int64(len(body))); zerr == nil {
			t.Fatalf("the export of a pack with a tampered exhibit completed: %d, %d bytes", resp.StatusCode, len(body))
		}
		t.Logf("export status %d, %d bytes, then cut", resp.StatusCode, len(body))
	}
	var custody, audited int64
	w.a.DB.Gorm().Table("custody_events").Where("evidence_id = ? AND action = 'integrity_failure'", ev.ID).Count(&custody)
	w.a.DB.Gorm().Table("audit_events").Where("action = 'evidence.integrity_failure' AND object_id = ?", strconv.FormatInt(ev.ID, 10)).Count(&audited)
	if custody != 2 || audited != 2 {
		t.Errorf("integrity failures recorded: %d on the continuity record, %d in the audit log; want 2 and 2", custody, audited)
	}
	if !strings.Contains(w.a.Logs.String(), "evidence failed its integrity check") {
		t.Error("the failure is not in the log")
	}
}

// cfStore is a blob store of the backend under test with its raw backend, for tampering.
func cfStore(t *testing.T) (storage.Backend, *storage.Store) {
	t.Helper()
	backend := modelstest.BlobBackend(t)
	return backend, storage.New(backend, modelstest.Keyring(t))
}

// The API covers the same journey for a client with a token: JSON in and out, the upload as a
// streamed multipart form, the frozen snapshot hashing to its manifest hash.
func TestCaseJourneyThroughTheAPI(t *testing.T) {
	w := newCFWorld(t)
	inv, sup, liaison := w.inv.Token(t, identity.ScopeReadWrite), w.sup.Token(t, identity.ScopeReadWrite), w.liaison.Token(t, identity.ScopeReadWrite)
	call := func(token, method, path, body string, want int, out any) {
		t.Helper()
		apitest.Want(t, w.a.Bearer(t, token, method, path, body), method+" "+path, want, out)
	}
	// A URN that is not a police URN is refused at its field, and nothing is opened.
	for _, bad := range []string{"45AB123", "4XAB1234523", "45AB12345234", "45A!1234523", ""} {
		r := w.a.Bearer(t, inv, "POST", "/api/v1/casefiles", `{"urn":"`+bad+`","operation":"Op Heron","offences":["msa_s2"],"classification":"OFFICIAL","supervisor_id":`+strconv.FormatInt(w.sup.ID, 10)+`}`)
		var problem struct{ Field, Detail string }
		_ = json.Unmarshal(r.Body.Bytes(), &problem)
		if r.Code != http.StatusUnprocessableEntity || problem.Field != "urn" {
			t.Errorf("URN %q: %d %s", bad, r.Code, r.Body.String())
		}
	}
	if page, err := w.a.Services.CaseFiles.List(context.Background(), w.inv.Actor(t), casefile.CaseFilter{}, "", 10); err != nil || len(page.Cases) != 0 {
		t.Errorf("refused URNs opened cases: %+v %v", page.Cases, err)
	}
	var cv casefile.CaseView
	call(inv, "POST", "/api/v1/casefiles", `{"urn":"45AB1234523","operation":"Op Heron","offences":["msa_s1","msa_s2"],"suspect_may_be_victim":true,"classification":"OFFICIAL-SENSITIVE","supervisor_id":`+strconv.FormatInt(w.sup.ID, 10)+`}`, http.StatusCreated, &cv)
	if cv.Marking != "OFFICIAL-SENSITIVE" || len(cv.Readiness) != 4 || !cv.Access.Submit || cv.Access.Approve {
		t.Errorf("created case %+v", cv)
	}
	var items struct{ Items []casefile.ItemView }
	call(inv, "GET", fmt.Sprintf("/api/v1/casefiles/%d/items", cv.ID), "", http.StatusOK, &items)
	codes := map[string]bool{}
	for _, it := range items.Items {
		codes[it.Code] = true
	}
	if !codes["T0"] || !codes["T1"] || !codes["T2"] || !codes["T4"] || codes["T3"] || codes["T5"] {
		t.Errorf("checklists %v, want T0, T1, T2 and T4", codes)
	}
	r := w.a.UploadAPI(t, inv, fmt.Sprintf("/api/v1/casefiles/%d/evidence", cv.ID), url.Values{"exhibit_ref": {"AB/1"}, "description": {"Bank statements"}, "producer": {"DC A"},
		"item_ids": {strconv.FormatInt(items.Items[0].ID, 10)}}, apitest.File{Field: "file", Name: "statements.csv", Body: strings.NewReader("date,amount\n2025-01-02,100\n")})
	if r.Code != http.StatusCreated {
		t.Fatalf("API upload: %d %s", r.Code, r.Body.String())
	}
	call(inv, "POST", fmt.Sprintf("/api/v1/casefiles/%d/evidence/references", cv.ID), `{"exhibit_ref":"AB/2","description":"Body-worn video of the search","producer":"PC B","system":"DEMS","external_id":"BWV-0042","hash_algorithm":"SHA-256","hash":"`+strings.Repeat("0f", 32)+`"}`, http.StatusCreated, nil)
	call(inv, "PATCH", fmt.Sprintf("/api/v1/casefiles/%d/items/%d", cv.ID, items.Items[1].ID), `{"status":"not_applicable"}`, http.StatusUnprocessableEntity, nil)
	call(inv, "PATCH", fmt.Sprintf("/api/v1/casefiles/%d/items/%d", cv.ID, items.Items[1].ID), `{"status":"in_progress","due_on":"2026-13-40"}`, http.StatusUnprocessableEntity, nil)
	call(inv, "PATCH", fmt.Sprintf("/api/v1/casefiles/%d/items/%d", cv.ID, items.Items[1].ID), `{"status":"in_progress","due_on":"2030-01-31","owner_id":`+strconv.FormatInt(w.inv.ID, 10)+`}`, http.StatusOK, nil)
	var after struct{ Items []casefile.ItemView }
	call(inv, "GET", fmt.Sprintf("/api/v1/casefiles/%d/items", cv.ID), "", http.StatusOK, &after)
	if it := after.Items[1]; it.ID != items.Items[1].ID || it.DueOn == nil || it.DueOn.Format(time.DateOnly) != "2030-01-31" || it.OwnerID == nil || *it.OwnerID != w.inv.ID || it.OwnerName == "" || len(after.Items[0].Evidence) != 1 {
		t.Errorf("the checklist read back: item %+v, first item's evidence %+v", it.ChecklistItem, after.Items[0].Evidence)
	}
	call(inv, "POST", fmt.Sprintf("/api/v1/casefiles/%d/submissions", cv.ID), `{"purpose":"charging"}`, http.StatusUnprocessableEntity, nil)
	call(inv, "POST", fmt.Sprintf("/api/v1/casefiles/%d/submissions", cv.ID), `{"purpose":"charging","dg6_category":"red","test":"full_code"}`, http.StatusConflict, nil)
	var sub casefile.SubmissionView
	call(inv, "POST", fmt.Sprintf("/api/v1/casefiles/%d/submissions", cv.ID), `{"purpose":"early_advice"}`, http.StatusCreated, &sub)
	snap := w.a.Bearer(t, sup, "GET", fmt.Sprintf("/api/v1/casefiles/%d/submissions/1", cv.ID), "")
	if snap.Code != http.StatusOK || cfSum(snap.Body.Bytes()) != sub.ManifestSHA256 || snap.Header().Get("X-Manifest-SHA256") != sub.ManifestSHA256 {
		t.Errorf("snapshot: %d, hashes to %s, manifest %s", snap.Code, cfSum(snap.Body.Bytes()), sub.ManifestSHA256)
	}
	call(inv, "POST", fmt.Sprintf("/api/v1/casefiles/%d/approve", cv.ID), "", http.StatusForbidden, nil)
	call(sup, "POST", fmt.Sprintf("/api/v1/casefiles/%d/approve", cv.ID), "", http.StatusOK, nil)
	call(sup, "POST", fmt.Sprintf("/api/v1/casefiles/%d/shares", cv.ID), fmt.Sprintf(`{"liaison_id":%d,"expires_on":"%s"}`, w.liaison.ID, w.a.Clock.Now().AddDate(0, 0, 14).Format(time.DateOnly)), http.StatusCreated, nil)
	var shares struct{ Shares []casefile.ShareView }
	call(liaison, "GET", fmt.Sprintf("/api/v1/casefiles/%d/shares", cv.ID), "", http.StatusOK, &shares)
	if len(shares.Shares) != 1 || !shares.Shares[0].Live {
		t.Errorf("the liaison's shares: %+v", shares.Shares)
	}
	call(liaison, "POST", fmt.Sprintf("/api/v1/casefiles/%d/decision", cv.ID), `{"decision":"charge","reasons":"x"}`, http.StatusConflict, nil)
	call(liaison, "POST", fmt.Sprintf("/api/v1/casefiles/%d/advice", cv.ID), `{"text":"Pursue the financial strategy first"}`, http.StatusCreated, nil)
	var got casefile.CaseView
	call(liaison, "GET", fmt.Sprintf("/api/v1/casefiles/%d", cv.ID), "", http.StatusOK, &got)
	if got.Status != casefile.StatusAdviceReturned || !got.Access.Finalise || got.Access.Update {
		t.Errorf("after advice: %s, access %+v", got.Status, got.Access)
	}
	export := w.a.Bearer(t, liaison, "GET", fmt.Sprintf("/api/v1/casefiles/%d/export", cv.ID), "")
	if export.Code != http.StatusOK {
		t.Fatalf("export: %d", export.Code)
	}
	dir, _ := apitest.Unzip(t, export.Body.Bytes())
	cfSHA256SumsCheck(t, dir)
	index, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	if !strings.Contains(string(index), "BWV-0042") || !strings.Contains(string(index), "OFFICIAL-SENSITIVE") {
		t.Error("the index does not list the referenced exhibit or the marking")
	}
	// A read-only token may not change anything.
	ro := w.inv.Token(t, identity.ScopeRead)
	call(ro, "POST", fmt.Sprintf("/api/v1/casefiles/%d/actions/1/answer", cv.ID), `{"response":"x"}`, http.StatusForbidden, nil)
}

// Every way anyone sees an exhibit, through the pages and the API, is one custody event on its
// continuity record, naming the person and their organisation, and one event in the audit
// log: its page, its file, the pack export, a share with the CPS. Lists of the evidence show the
// register, not the exhibit, and are recorded in the audit log.
func TestEveryEvidenceViewIsACustodyEvent(t *testing.T) {
	w := newCFWorld(t)
	ctx := context.Background()
	cs := w.a.Services.CaseFiles
	id := w.openCase(t)
	if r := w.upload(t, w.inv, id, url.Values{"exhibit_ref": {"JS/1"}, "description": {"Ferry manifest"}, "producer": {"DC Smith"}}, "m.txt", "manifest"); r.Code != http.StatusSeeOther {
		t.Fatalf("upload: %d", r.Code)
	}
	ev := w.evidence(t, id, "JS/1")
	type entry struct {
		Action     string
		ActorID    int64
		ActorOrgID int64
	}
	record := func() []entry {
		var out []entry
		if err := w.a.DB.Gorm().Table("custody_events").Select("action, actor_id, actor_org_id").Where("evidence_id = ?", ev.ID).Order("id").Scan(&out).Error; err != nil {
			t.Fatal(err)
		}
		return out
	}
	audited := func(action string) int64 { return modelstest.AuditCount(t, w.a.DB, action, "") }
	if got := record(); len(got) != 1 || got[0] != (entry{"uploaded", w.inv.ID, w.inv.OrganisationID}) {
		t.Fatalf("after the upload: %+v", got)
	}
	step := func(name string, who *apitest.User, custody, audit string, do func() int) {
		t.Helper()
		before, auditBefore := record(), audited(audit)
		if code := do(); code != http.StatusOK && code != http.StatusCreated && code != http.StatusSeeOther {
			t.Fatalf("%s: %d", name, code)
		}
		after := record()
		switch {
		case custody == "" && len(after) != len(before):
			t.Errorf("%s added custody events: %+v", name, after[len(before):])
		case custody != "" && (len(after) != len(before)+1 || after[len(after)-1] != (entry{custody, who.ID, who.OrganisationID})):
			t.Errorf("%s: continuity record %+v, want one more %q by user %d of organisation %d", name, after[len(before):], custody, who.ID, who.OrganisationID)
		}
		if n := audited(audit) - auditBefore; n != 1 {
			t.Errorf("%s: %d %s audit events, want 1", name, n, audit)
		}
	}
	page := func(u *apitest.User, path string) func() int {
		return func() int { return u.Browser().Get(t, path).Code }
	}
	api := func(u *apitest.User, path string) func() int {
		return func() int { return w.a.API(t, u, "GET", path, "").Code }
	}
	c := fmt.Sprintf("/casefiles/%d", id)
	e := fmt.Sprintf("%s/evidence/%d", c, ev.ID)

	step("the exhibit's page", w.inv, "viewed", "evidence.view", page(w.inv, e))
	step("the exhibit through the API", w.sup, "viewed", "evidence.view", api(w.sup, "/api/v1"+e))
	step("the download page", w.sup, "downloaded", "evidence.download", page(w.sup, e+"/download"))
	step("the file through the API", w.inv, "downloaded", "evidence.download", api(w.inv, "/api/v1"+e+"/content"))
	step("the export page", w.inv, "exported", "casefile.export", page(w.inv, c+"/export.zip"))
	step("the export through the API", w.sup, "exported", "casefile.export", api(w.sup, "/api/v1"+c+"/export"))
	step("the evidence tab", w.inv, "", "evidence.list", page(w.inv, c+"/evidence"))
	step("the evidence list through the API", w.sup, "", "evidence.list", api(w.sup, "/api/v1"+c+"/evidence"))

	if _, err := cs.Submit(ctx, w.inv.Actor(t), id, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Approve(ctx, w.sup.Actor(t), id); err != nil {
		t.Fatal(err)
	}
	step("the share with the CPS", w.sup, "shared", "casefile.share", func() int {
		return w.sup.Browser().Submit(t, c+"/shares", shareForm(w.liaison, w.a.Clock.Now().AddDate(0, 0, 10))).Code
	})
	// The CPS liaison's views name the CPS.
	step("the liaison's view of the exhibit", w.liaison, "viewed", "evidence.view", page(w.liaison, e))
	step("the liaison's download", w.liaison, "downloaded", "evidence.download", api(w.liaison, "/api/v1"+e+"/content"))
	step("the liaison's export", w.liaison, "exported", "casefile.export", page(w.liaison, c+"/export.zip"))
	if got := record(); got[len(got)-1].ActorOrgID != w.liaison.OrganisationID || w.liaison.OrganisationID == w.inv.OrganisationID {
		t.Errorf("the liaison's export is recorded for organisation %d", got[len(got)-1].ActorOrgID)
	}
	// Nobody else adds to the record: an outsider's attempts are not found and leave nothing.
	before := len(record())
	for _, path := range []string{e, e + "/download", c + "/export.zip"} {
		if code := w.outsider.Browser().Get(t, path).Code; code != http.StatusNotFound {
			t.Errorf("outsider GET %s: %d", path, code)
		}
	}
	if got := record(); len(got) != before {
		t.Errorf("an outsider's attempts are on the continuity record: %+v", got[before:])
	}
}

// Every page and API route that shows a case's material records the read in the audit log,
// under the person who read it: nothing of a case is seen unaudited.
func TestEveryCaseReadIsAudited(t *testing.T) {
	w := newCFWorld(t)
	id, ev, routes := w.fullCase(t, w.liaison)
	audited := func(u *apitest.User) int64 {
		var n int64
		w.a.DB.Gorm().Table("audit_events").Where("actor_id = ? AND outcome = 'success' AND (object_type = 'casefile' AND object_id = ? OR object_type = 'evidence' AND object_id = ?)",
			u.ID, strconv.FormatInt(id, 10), strconv.FormatInt(ev.ID, 10)).Count(&n)
		return n
	}
	reads := 0
	for _, r := range routes {
		if r.method != "GET" {
			continue
		}
		for _, u := range []*apitest.User{w.inv, w.liaison} {
			before := audited(u)
			code := cfCall(t, w.a, u, r.method, r.path)
			if code == http.StatusForbidden && u == w.liaison {
				continue // a form only the team may use
			}
			if code != http.StatusOK {
				t.Errorf("GET %s as %v: %d", r.path, u.Roles, code)
				continue
			}
			reads++
			if audited(u) == before {
				t.Errorf("GET %s as %v is not in the audit log", r.path, u.Roles)
			}
		}
	}
	if reads < 40 {
		t.Errorf("only %d reads tried", reads)
	}
}

// Someone refused a case (the 404 an outsider gets) is audited as a denied attempt, at most
// once a minute per person and route, so a scan cannot flood the log.
func TestCaseRefusalsAudited(t *testing.T) {
	w := newCFWorld(t)
	id := w.openCase(t)
	denied := func(u *apitest.User) int64 {
		return auditCount(t, w.a, "action = 'casefile.access_denied' AND outcome = 'denied' AND actor_id = ? AND object_id = ?", u.ID, strconv.FormatInt(id, 10))
	}
	api := fmt.Sprintf("/api/v1/casefiles/%d", id)
	for i := 0; i < 5; i++ {
		if r := w.a.API(t, w.outsider, "GET", api, ""); r.Code != http.StatusNotFound {
			t.Fatalf("outsider: %d, want 404", r.Code)
		}
	}
	if n := denied(w.outsider); n != 1 {
		t.Errorf("five refusals in a minute: %d denied events, want 1", n)
	}
	if r := w.outsider.Browser().Get(t, fmt.Sprintf("/casefiles/%d/evidence", id)); r.Code != http.StatusNotFound {
		t.Fatalf("outsider page: %d, want 404", r.Code)
	}
	if n := denied(w.outsider); n != 2 {
		t.Errorf("another route: %d denied events, want 2", n)
	}
	w.a.Clock.Advance(61 * time.Second)
	w.a.API(t, w.outsider, "GET", api, "")
	if n := denied(w.outsider); n != 3 {
		t.Errorf("a minute later: %d denied events, want 3", n)
	}
	apitest.Want(t, w.a.API(t, w.inv, "GET", api, ""), "team member", http.StatusOK, nil)
	if n := denied(w.inv); n != 0 {
		t.Errorf("the team member's read is audited as denied %d times", n)
	}
}

// An operation named "Operation Kestrel" is shown as "Operation Kestrel", not "Operation
// Operation Kestrel"; one named "Lantern" is shown as "Operation Lantern".
func TestOperationNameShownOnce(t *testing.T) {
	w := newCFWorld(t)
	id := w.openCase(t) // named "Operation Kestrel"
	page := cfText(w.inv.Browser().Get(t, fmt.Sprintf("/casefiles/%d", id)).Body.String())
	if !strings.Contains(page, "Operation Kestrel") || strings.Contains(page, "Operation Operation") {
		t.Errorf("case page names the operation wrongly:\n%s", page)
	}
	if page := cfText(w.inv.Browser().Get(t, fmt.Sprintf("/casefiles/%d/edit", id)).Body.String()); strings.Contains(page, "Operation Operation") {
		t.Errorf("change page names the operation twice:\n%s", page)
	}
	if got, want := casefile.OperationTitle("Lantern"), "Operation Lantern"; got != want {
		t.Errorf("OperationTitle(Lantern) = %q, want %q", got, want)
	}
	if got, want := casefile.OperationTitle("operation lantern"), "operation lantern"; got != want {
		t.Errorf("OperationTitle(operation lantern) = %q, want %q", got, want)
	}
}

// Pages name checklists by their titles, never by their internal codes (T0, T2, ...): the
// templates pages, the new-case and change forms, the case page, an item, the timeline and the
// export's index. A conspiracy case also has the checklist of the offence agreed on.
func TestPagesNameChecklistsNotCodes(t *testing.T) {
	w := newCFWorld(t)
	r := cfSubmit(t, w.inv, "/casefiles/new", url.Values{"urn": {"45AB1234523"}, "operation": {"Operation Wren"}, "offences": {"conspiracy", "msa_s2"},
		"suspect_may_be_victim": {"yes"}, "orders_sought": {"yes"}, "classification": {"OFFICIAL"}, "supervisor_id": {strconv.FormatInt(w.sup.ID, 10)}}, http.StatusSeeOther)
	m := cfLocationID.FindStringSubmatch(r.Header().Get("Location"))
	if m == nil {
		t.Fatalf("open a case: redirected to %q", r.Header().Get("Location"))
	}
	c := "/casefiles/" + m[1]
	id, _ := strconv.ParseInt(m[1], 10, 64)
	code := regexp.MustCompile(`\bT[0-9]{1,2}\b`)
	check := func(u *apitest.User, path string, wants ...string) {
		t.Helper()
		resp := u.Browser().Get(t, path)
		text := cfText(resp.Body.String())
		if resp.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.Code)
		}
		if got := code.FindAllString(text, -1); got != nil {
			t.Errorf("%s shows template codes %v:\n%s", path, got, text)
		}
		for _, want := range wants {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q:\n%s", path, want, text)
			}
		}
	}
	check(w.inv, "/casefiles/new", "Conspiracy to commit an offence selected here (Criminal Law Act 1977 s1)", "Money laundering (POCA 2002 ss327–329)",
		"adds the s45 checklist")
	check(w.inv, c, "Core (all MSA cases), version 3; Human trafficking (MSA 2015 s2), version 2; Conspiracy (Criminal Law Act 1977 s1), version 1; "+
		"Suspect may be a victim (s45 defence), version 2; STPO/STRO and financial orders, version 2")
	check(w.inv, c+"/edit")
	check(w.inv, fmt.Sprintf("%s/items/%d", c, w.item(t, id, "The agreement").ID), "Conspiracy (Criminal Law Act 1977 s1), version 1")
	check(w.inv, c+"/timeline", "Checklists: Core (all MSA cases), version 3")
	check(w.admin, "/casefiles/templates", "Every case gets the core checklist", "County lines drug supply (Misuse of Drugs Act 1971 s4(3))")
	for _, tpl := range []string{"T0", "T2", "T7", "T12"} {
		check(w.admin, "/casefiles/templates/"+tpl, "Version 1")
		check(w.admin, "/casefiles/templates/"+tpl+"/new-version", "New version of")
	}
	ex := w.inv.Browser().Get(t, c+"/export.zip")
	if ex.Code != http.StatusOK {
		t.Fatalf("export: %d", ex.Code)
	}
	dir, _ := apitest.Unzip(t, ex.Body.Bytes())
	index, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	text := cfText(string(index))
	if got := code.FindAllString(text, -1); got != nil || !strings.Contains(text, "Conspiracy (Criminal Law Act 1977 s1), version 1") {
		t.Errorf("the export's index shows template codes %v or lacks the checklist names:\n%s", got, text)
	}
}

// The API takes every offence the forms offer, and the retired one, as the OpenAPI document
// lists them; the case gets the template of each offence that has one.
func TestEveryOffenceThroughTheAPI(t *testing.T) {
	w := newCFWorld(t)
	inv := w.inv.Token(t, identity.ScopeReadWrite)
	codes := []string{string(casefile.OffenceFraudMoneyLaundering)}
	for _, o := range casefile.Offences() {
		codes = append(codes, string(o))
	}
	list, _ := json.Marshal(codes)
	var cv casefile.CaseView
	apitest.Want(t, w.a.Bearer(t, inv, "POST", "/api/v1/casefiles", `{"urn":"45AB1234523","operation":"Op Heron","offences":`+string(list)+
		`,"classification":"OFFICIAL","supervisor_id":`+strconv.FormatInt(w.sup.ID, 10)+`}`), "POST /api/v1/casefiles", http.StatusCreated, &cv)
	var items struct{ Items []casefile.ItemView }
	apitest.Want(t, w.a.Bearer(t, inv, "GET", fmt.Sprintf("/api/v1/casefiles/%d/items", cv.ID), ""), "GET items", http.StatusOK, &items)
	var got []string
	for _, it := range items.Items {
		if !slices.Contains(got, it.Code) {
			got = append(got, it.Code)
		}
	}
	if want := []string{"T0", "T1", "T2", "T3", "T6", "T7", "T8", "T9", "T10", "T11", "T12"}; !slices.Equal(got, want) || len(cv.OffenceList) != len(codes) {
		t.Errorf("checklists %v, want %v; offences %v", got, want, cv.OffenceList)
	}
}

// A case opened with "fraud and money laundering", which forms no longer offer, keeps it: the
// change form shows it ticked, and saving the form keeps it.
func TestRetiredOffenceStaysOnTheForm(t *testing.T) {
	w := newCFWorld(t)
	cv, err := w.a.Services.CaseFiles.Create(context.Background(), w.inv.Actor(t), casefile.CaseInput{URN: "45AB1234523", Operation: "Operation Teal",
		Offences: []casefile.Offence{casefile.OffenceS1, casefile.OffenceFraudMoneyLaundering}, Classification: "OFFICIAL", SupervisorID: w.sup.ID})
	if err != nil {
		t.Fatal(err)
	}
	c := fmt.Sprintf("/casefiles/%d", cv.ID)
	if page := w.inv.Browser().Get(t, "/casefiles/new").Body.String(); strings.Contains(page, "fraud_money_laundering") {
		t.Error("the new-case form offers fraud and money laundering")
	}
	page := w.inv.Browser().Get(t, c+"/edit").Body.String()
	if !regexp.MustCompile(`value="fraud_money_laundering" checked`).MatchString(page) || !strings.Contains(page, "Fraud and money laundering") {
		t.Errorf("the change form lacks the case's retired offence, ticked:\n%s", cfText(page))
	}
	cfSubmit(t, w.inv, c+"/edit", url.Values{"urn": {"45AB1234523"}, "operation": {"Operation Teal"}, "offences": {"msa_s1", "fraud_money_laundering"},
		"classification": {"OFFICIAL"}, "supervisor_id": {strconv.FormatInt(w.sup.ID, 10)}}, http.StatusSeeOther)
	got, err := w.a.Services.CaseFiles.Get(context.Background(), w.inv.Actor(t), cv.ID)
	if err != nil || !slices.Equal(got.OffenceList, []casefile.Offence{casefile.OffenceS1, casefile.OffenceFraudMoneyLaundering}) {
		t.Errorf("after saving the form: %v %v", got.OffenceList, err)
	}
}

// A share's last day is shown as that day ("until the end of 1 March 2027"), not as midnight
// at the start of the next one.
func TestShareShowsItsLastDay(t *testing.T) {
	w := newCFWorld(t)
	id, _, _ := w.fullCase(t, w.liaison) // shared for five days
	last := w.a.Clock.Now().AddDate(0, 0, 5).In(core.London).Format("2 January 2006")
	after := w.a.Clock.Now().AddDate(0, 0, 6).In(core.London).Format("2 January 2006")
	page := cfText(w.sup.Browser().Get(t, fmt.Sprintf("/casefiles/%d/pack", id)).Body.String())
	if !strings.Contains(page, "until the end of "+last) || strings.Contains(page, after) || strings.Contains(page, "12:00am") {
		t.Errorf("the share should last until the end of %s:\n%s", last, page)
	}
}
