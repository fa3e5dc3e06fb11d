package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/charging"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// disclosureCase opens a case through the pages with a disclosure officer and a partner
// agency's investigator on the team, names the officer in the case and the disclosure officer
// on the disclosure tab, and has the disclosure officer add an MG6D entry marked above the case
// and the lead an MG6C entry the MG6E lists. It returns the case, the two people and the MG6D
// entry's id.
func disclosureCase(t *testing.T, w *cfWorld) (id int64, do, partner *apitest.User, sensitive int64) {
	t.Helper()
	id = w.openCase(t)
	do = w.a.As(t, policies.RoleInvestigator)
	partner = w.a.SignedIn(t, apitest.UserSpec{Org: "national-crime-agency", Roles: []string{policies.RoleInvestigator}, Vetting: core.VettingSC})
	c := fmt.Sprintf("/casefiles/%d", id)
	cfSubmit(t, w.inv, c+"/team", url.Values{"email": {do.Email}}, http.StatusSeeOther)
	cfSubmit(t, w.inv, c+"/team", url.Values{"email": {partner.Email}, "legal_basis": {string(casefile.BasisISA)}, "basis_detail": {"Joint operation agreement JO-12"}}, http.StatusSeeOther)
	cfSubmit(t, w.inv, c+"/disclosure/roles", url.Values{"oic_user_id": {strconv.FormatInt(w.inv.ID, 10)}, "disclosure_officer_user_id": {strconv.FormatInt(do.ID, 10)}}, http.StatusSeeOther)
	cfSubmit(t, partner, c+"/disclosure/new", url.Values{"schedule": {"MG6D"}, "description": {"Informant contact log for the farm address"}, "location": {"Source unit"},
		"officer_view": {"Reveals a source"}}, http.StatusForbidden)
	cfSubmit(t, do, c+"/disclosure/new", url.Values{"schedule": {"MG6D"}, "description": {"Informant contact log for the farm address"}, "location": {"Source unit"},
		"officer_view": {"Reveals a source"}, "classification": {"OFFICIAL-SENSITIVE"}}, http.StatusSeeOther)
	cfSubmit(t, w.inv, c+"/disclosure/new", url.Values{"schedule": {"MG6C"}, "description": {"Tenancy agreement for 14 Mill Lane signed by the suspect"}, "location": {"Exeter property store"},
		"undermines": {"yes"}, "assessment": {"Names a second tenant who may be the controller"}}, http.StatusSeeOther)
	entries, err := w.a.Services.CaseFiles.ScheduleEntries(context.Background(), do.Actor(t), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Schedule == casefile.ScheduleMG6D {
			sensitive = e.ID
		}
	}
	return id, do, partner, sensitive
}

// page200 is the body of the page at path as u sees it, failing the test unless it is 200.
func page200(t *testing.T, u *apitest.User, path string) string {
	t.Helper()
	r := u.Browser().Get(t, path)
	if r.Code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, r.Code)
	}
	return r.Body.String()
}

// MG6D never reaches a partner agency's team member: not on the disclosure tab, not through the
// API, not in the export; and MG6C carries no officer's assessment anywhere, nor MG6D's entries.
func TestDisclosureMG6DInvisibleToAPartnerAgencyMember(t *testing.T) {
	w := newCFWorld(t)
	id, do, partner, sensitive := disclosureCase(t, w)
	c := fmt.Sprintf("/casefiles/%d", id)
	for _, who := range []struct {
		name string
		u    *apitest.User
		sees bool
	}{{"partner agency member", partner, false}, {"disclosure officer", do, true}, {"officer in the case", w.inv, true}, {"supervisor", w.sup, true}} {
		t.Run(who.name, func(t *testing.T) {
			page := page200(t, who.u, c+"/disclosure")
			if strings.Contains(page, "Informant contact log") != who.sees || strings.Contains(page, "MG6D sensitive unused material") != who.sees ||
				!strings.Contains(page, "Tenancy agreement") || !strings.Contains(page, "Names a second tenant") {
				t.Errorf("the disclosure tab:\n%s", cfText(page))
			}
			if r := who.u.Browser().Get(t, fmt.Sprintf("%s/disclosure/%d", c, sensitive)); (r.Code == http.StatusNotFound) == who.sees {
				t.Errorf("the MG6D entry's page: %d", r.Code)
			}
			for _, path := range []string{"/schedules", "/schedules/revisions"} {
				r := w.a.API(t, who.u, "GET", "/api/v1"+c+path, "")
				if r.Code != http.StatusOK || strings.Contains(r.Body.String(), "Informant") != who.sees {
					t.Errorf("GET %s: %d %s", path, r.Code, r.Body.String())
				}
			}
			if r := w.a.API(t, who.u, "GET", "/api/v1"+c+"/schedules", ""); strings.Contains(r.Body.String(), "controller") {
				t.Errorf("the API's MG6C entry carries the officer's assessment: %s", r.Body.String())
			}
			// The pack is defence-facing: MG6D is never in it; it has its own restricted export.
			files := apiZip(t, w.a.API(t, who.u, "GET", "/api/v1"+c+"/export", ""))
			mg6c := files["schedules/MG6C.csv"]
			if _, ok := files["schedules/MG6D.csv"]; ok || !strings.Contains(mg6c, "Tenancy agreement") ||
				strings.Contains(mg6c, "Informant") || strings.Contains(mg6c, "controller") {
				t.Errorf("export: MG6D.csv %v, MG6C.csv %q", ok, mg6c)
			}
			r := w.a.API(t, who.u, "GET", "/api/v1"+c+"/export/mg6d", "")
			if !who.sees {
				if r.Code != http.StatusForbidden {
					t.Errorf("the MG6D export: %d, want 403", r.Code)
				}
				return
			}
			if files := apiZip(t, r); !strings.Contains(files["schedules/MG6D.csv"], "Informant") {
				t.Errorf("the MG6D export's MG6D.csv: %q", files["schedules/MG6D.csv"])
			}
		})
	}
}

// After charge the schedules stay open: a revision is dated, and the prosecutor sees it on the
// disclosure tab and through the API, and records their column on the entry's page.
func TestDisclosureRevisionAfterChargeVisibleToProsecutor(t *testing.T) {
	ctx := context.Background()
	w := newCFWorld(t)
	id, do, _, _ := disclosureCase(t, w)
	cs, c := w.a.Services.CaseFiles, fmt.Sprintf("/casefiles/%d", id)
	items, err := cs.Checklist(ctx, w.inv.Actor(t), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Required && (it.Stage == casefile.StageEIA || it.Stage == casefile.StagePreCharge) {
			if _, err := cs.UpdateItem(ctx, w.inv.Actor(t), id, it.ID, casefile.ItemInput{Status: casefile.ItemNotApplicable, NAReason: "Test case"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfSubmit(t, w.inv, c+"/submit", url.Values{"purpose": {"charging"}, "dg6_category": {"red"}, "test": {"full_code"}}, http.StatusSeeOther)
	if _, err := cs.Approve(ctx, w.sup.Actor(t), id); err != nil {
		t.Fatal(err)
	}
	day := w.a.Clock.Now().AddDate(0, 1, 0)
	if _, err := cs.Share(ctx, w.sup.Actor(t), id, casefile.ShareInput{LiaisonID: w.liaison.ID, ExpiresOn: &day}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RecordDecision(ctx, w.liaison.Actor(t), id, casefile.DecisionInput{Decision: casefile.DecisionCharge, Reasons: "Full Code Test met",
		Terms: charging.Terms{Test: charging.FullCode, Charges: []charging.Charge{{Suspect: "S1", Offence: string(casefile.OffenceS2), Statute: "Modern Slavery Act 2015 s2(1)"}}}}); err != nil {
		t.Fatal(err)
	}
	chargedOn := w.a.Clock.Now()
	if _, err := cs.RecordCharge(ctx, w.inv.Actor(t), id, casefile.ChargeInput{ChargedOn: &chargedOn, ChargedBy: "PS 1234 Example"}); err != nil {
		t.Fatal(err)
	}
	w.a.Clock.Advance(10 * time.Minute) // the revision comes later than the charge, within the session
	entries, err := cs.ScheduleEntries(ctx, w.inv.Actor(t), id)
	if err != nil {
		t.Fatal(err)
	}
	var mg6c casefile.DisclosureEntry
	for _, e := range entries {
		if e.Schedule == casefile.ScheduleMG6C {
			mg6c = e
		}
	}
	entryPath := fmt.Sprintf("%s/disclosure/%d", c, mg6c.ID)
	cfSubmit(t, do, entryPath, url.Values{"schedule": {"MG6C"}, "description": {"Tenancy agreement for 14 Mill Lane signed by the suspect and a second tenant"},
		"location": {"Exeter property store"}, "undermines": {"yes"}, "assessment": {"Names a second tenant who may be the controller"}}, http.StatusSeeOther)

	var got struct {
		Revisions []struct {
			Summary   string    `json:"summary"`
			RevisedAt time.Time `json:"revised_at"`
		} `json:"revisions"`
	}
	r := w.a.API(t, w.liaison, "GET", "/api/v1"+c+"/schedules/revisions", "")
	if err := json.Unmarshal(r.Body.Bytes(), &got); err != nil || r.Code != http.StatusOK {
		t.Fatalf("revisions: %d %v", r.Code, err)
	}
	if len(got.Revisions) == 0 || got.Revisions[0].RevisedAt.Sub(w.a.Clock.Now()).Abs() > time.Millisecond || !strings.Contains(got.Revisions[0].Summary, "description") {
		t.Errorf("the prosecutor's revisions: %+v", got.Revisions)
	}
	if page := page200(t, w.liaison, c+"/disclosure"); !strings.Contains(page, "Changed: description") || !strings.Contains(page, "second tenant") {
		t.Errorf("the prosecutor's disclosure tab:\n%s", cfText(page))
	}
	cfSubmit(t, w.liaison, entryPath+"/cps", url.Values{}, http.StatusUnprocessableEntity)
	cfSubmit(t, w.liaison, entryPath+"/cps", url.Values{"cps_view": {"D"}}, http.StatusSeeOther)
	if page := page200(t, w.inv, c+"/disclosure"); !strings.Contains(page, "Prosecutor marked it D") {
		t.Errorf("the team does not see the prosecutor's mark:\n%s", cfText(page))
	}
}

// apiZip reads the files of a 200 answer's ZIP.
func apiZip(t *testing.T, r *httptest.ResponseRecorder) map[string]string {
	t.Helper()
	if r.Code != http.StatusOK {
		t.Fatalf("export: %d", r.Code)
	}
	zr, err := zip.NewReader(bytes.NewReader(r.Body.Bytes()), int64(r.Body.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		var b bytes.Buffer
		_, _ = b.ReadFrom(rc)
		rc.Close()
		files[f.Name] = b.String()
	}
	return files
}
