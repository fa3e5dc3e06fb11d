package api_test

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/statistics"
	"github.com/msptp/msphub/models/statistics/statisticstest"
)

// statsResponses collects every statistics response a test sees, to scan them all for records.
type statsResponses struct {
	bodies map[string]string
}

func (r *statsResponses) keep(what string, w *httptest.ResponseRecorder) *httptest.ResponseRecorder {
	if r.bodies == nil {
		r.bodies = map[string]string{}
	}
	body := w.Body.String()
	if strings.Contains(w.Header().Get("Content-Type"), "spreadsheetml") {
		body = "" // scanned as text below
	}
	r.bodies[what] = body
	return w
}

// scan fails when any kept response holds a seeded reference or name.
func (r *statsResponses) scan(t *testing.T) {
	t.Helper()
	if len(r.bodies) < 5 {
		t.Fatalf("only %d responses kept: the scan proves little", len(r.bodies))
	}
	for what, body := range r.bodies {
		statisticstest.NoRecord(t, what, body)
	}
}

// seedPicture puts operations of Devon and Cornwall (ten, two victims each), of Dorset (three)
// and five covert live ones of Devon and Cornwall straight into the tables, in 2026 Q1.
func seedPicture(t *testing.T, a *apitest.App) {
	t.Helper()
	lead := a.NewUser(t, apitest.UserSpec{Roles: []string{"officer"}})
	s := statisticstest.Seeder{DB: a.DB, User: lead.ID}
	devon, dorset := a.Org(t, "devon-and-cornwall-police"), a.Org(t, "dorset-police")
	for i := range 10 {
		s.Insert(t, statisticstest.Operation{Org: devon, Ref: fmt.Sprintf("DC-OPEN-%d", i), Name: fmt.Sprintf("Operation Kestrel %d", i), Started: "2026-01-10", Types: []string{"labour"},
			Victims: []statisticstest.Victim{
				{Ref: fmt.Sprintf("DC-V-%d-a", i), Age: "25-34", Sex: "male", Nationality: "AL", Referred: "2026-01-20", RGOn: "2026-02-01", RG: "positive"},
				{Ref: fmt.Sprintf("DC-V-%d-b", i), Age: "18-24", Sex: "female", Nationality: "VN", Referred: "2026-01-25"},
			},
			Suspects: []statisticstest.Suspect{{Ref: fmt.Sprintf("DC-S-%d", i), Arrested: "2026-02-10", Charges: []statisticstest.Charge{{On: "2026-03-01", Outcome: "convicted_plea", OutcomeOn: "2026-03-20"}}}},
		})
	}
	for i := range 3 {
		s.Insert(t, statisticstest.Operation{Org: dorset, Ref: fmt.Sprintf("DP-%d", i), Name: fmt.Sprintf("Operation Plover %d", i), Started: "2026-01-15", Types: []string{"sexual"}})
	}
	for i := range 5 {
		s.Insert(t, statisticstest.Operation{Org: devon, Ref: fmt.Sprintf("DC-COVERT-%d", i), Name: fmt.Sprintf("Operation Nightjar %d", i), Started: "2026-02-01", Covert: true, Types: []string{"sexual"},
			Victims: []statisticstest.Victim{{Ref: fmt.Sprintf("COVERT-V-%d", i), Age: "35-44", Sex: "female", Nationality: "RO"}}})
	}
}

// A regional analyst sees the region's chart and table, and downloads them; a national analyst
// downloads the monthly PDF. Nothing any of them receives names a record.
func TestNationalPictureJourney(t *testing.T) {
	a := apitest.New(t)
	seedPicture(t, a)
	var kept statsResponses
	regional := a.SignedIn(t, apitest.UserSpec{Org: "south-west-regional-organised-crime-unit", Roles: []string{"analyst"}})
	national := a.SignedIn(t, apitest.UserSpec{Org: "modern-slavery-and-organised-immigration-crime-unit", Roles: []string{"analyst"}})

	// The API: counts of the region, the covert operations nowhere, Dorset's 3 withheld.
	var d statistics.Dashboard
	apitest.Want(t, kept.keep("api regional", a.API(t, regional, "GET", "/api/v1/statistics?quarter=2026-Q1", "")), "GET /api/v1/statistics", 200, &d)
	if d.Scope.Level != statistics.LevelRegion || d.Scope.Name != "South West Regional Organised Crime Unit" {
		t.Fatalf("scope = %+v", d.Scope)
	}
	if c := statisticstest.Row(t, d, "operations-by-force", "Total"); c[1].Value != 13 || c[1].Suppressed {
		t.Fatalf("new operations in the region = %+v, want 13", c[1])
	}
	if c := statisticstest.Row(t, d, "operations-by-force", "Dorset Police"); !c[1].Suppressed {
		t.Fatalf("Dorset = %+v, want suppressed", c[1])
	}
	if !strings.Contains(kept.bodies["api regional"], `{"suppressed":true}`) || strings.Contains(kept.bodies["api regional"], "Not attributed") {
		t.Fatal("the JSON shows suppression wrongly, or a held-back row to a regional analyst")
	}

	// The page: a chart as an accessible SVG and the same figures in a table.
	b := regional.Browser()
	page := kept.keep("page regional", b.Get(t, "/statistics?quarter=2026-Q1")).Body.String()
	for _, want := range []string{`<svg role="img"`, `<title id="chart-operations-by-force-title">`, `<desc id="chart-operations-by-force-desc">`,
		`<th scope="row" class="govuk-table__header app-table__header--plain">Dorset Police</th>`, `<abbr title="suppressed">[c]</abbr>`,
		`href="/statistics/definitions#operations-new"`, `National picture`, "OFFICIAL-SENSITIVE", "not drawn"} {
		if !strings.Contains(page, want) {
			t.Fatalf("the dashboard page lacks %q", want)
		}
	}
	// Downloads: XLSX of every table and CSV of one, marked, suppressed.
	x := b.Get(t, "/statistics/download.xlsx?quarter=2026-Q1")
	if x.Code != 200 {
		t.Fatalf("xlsx: %d", x.Code)
	}
	xlsx := statisticstest.XLSXText(t, x.Body.Bytes())
	kept.bodies["xlsx regional"] = xlsx
	if !strings.Contains(xlsx, "OFFICIAL-SENSITIVE") || !strings.Contains(xlsx, "Dorset Police\t[c]") {
		t.Fatalf("the workbook is not marked or not suppressed:\n%.800s", xlsx)
	}
	csv := kept.keep("csv regional", b.Get(t, "/statistics/tables/operations-by-force/download.csv?quarter=2026-Q1"))
	if csv.Code != 200 || !strings.HasPrefix(csv.Body.String(), "OFFICIAL-SENSITIVE") || !strings.Contains(csv.Body.String(), "Dorset Police,[c],[c],0") {
		t.Fatalf("csv: %d\n%s", csv.Code, csv.Body.String())
	}
	if defs := kept.keep("definitions", b.Get(t, "/statistics/definitions")).Body.String(); !strings.Contains(defs, `id="periods">Periods are whole calendar months`) {
		t.Fatal("the definitions page does not say why periods are whole months")
	}
	// A bad filter is every problem at once, in the error summary.
	bad := kept.keep("page bad filter", b.Get(t, "/statistics?quarter=soon&exploitation=piracy&force=abc"))
	if bad.Code != 422 || !strings.Contains(bad.Body.String(), "govuk-error-summary") || !strings.Contains(bad.Body.String(), "Enter a quarter like 2026-Q3") ||
		!strings.Contains(bad.Body.String(), "Choose a type of exploitation from the list") {
		t.Fatalf("bad filter: %d\n%s", bad.Code, bad.Body.String()[strings.Index(bad.Body.String(), "main-content\""):])
	}
	kept.keep("api bad filter", a.API(t, regional, "GET", "/api/v1/statistics?force=1&region=London", ""))

	// Figures stop at the end of the last month that has ended: a period reaching into this month
	// is cut there, and the page, the API and the files say so; one starting today is refused.
	now := a.Clock.Now().In(core.London)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	ended := month.AddDate(0, 0, -1).Format("January 2006")
	dateQuery := func(name string, d time.Time) string {
		return fmt.Sprintf("%s-day=%d&%s-month=%d&%s-year=%d", name, d.Day(), name, int(d.Month()), name, d.Year())
	}
	cut := kept.keep("page cut", b.Get(t, "/statistics?"+dateQuery("from", month.AddDate(0, -2, 0))+"&"+dateQuery("to", now))).Body.String()
	if note := "Figures to the end of " + ended + ": a month is counted once it has ended."; !strings.Contains(cut, note) || !strings.Contains(cut, `href="/statistics/definitions#periods"`) {
		t.Fatalf("a period reaching into this month: the page does not say %q", note)
	}
	var cutAPI statistics.Dashboard
	apitest.Want(t, kept.keep("api refused", a.API(t, regional, "GET", "/api/v1/statistics?from="+month.Format("2006-01-02")+"&to="+now.AddDate(1, 0, 0).Format("2006-01-02"), "")), "GET a period from this month", 422, nil)
	apitest.Want(t, kept.keep("api cut", a.API(t, regional, "GET", "/api/v1/statistics?from="+month.AddDate(0, -1, 0).Format("2006-01-02")+"&to="+now.Format("2006-01-02"), "")), "GET a period to today", 200, &cutAPI)
	if cutAPI.Period.To != month.AddDate(0, 0, -1).Format("2006-01-02") || cutAPI.Period.Note == "" {
		t.Fatalf("a period to today: %+v, want it to end with %s and say so", cutAPI.Period, ended)
	}
	cutCSV := b.Get(t, "/statistics/tables/operations-by-force/download.csv?from="+month.AddDate(0, -1, 0).Format("2006-01-02")+"&to="+now.Format("2006-01-02")).Body.String()
	if !strings.Contains(cutCSV, "Figures to the end of "+ended) {
		t.Fatalf("the CSV of a period to today does not say where its figures stop:\n%s", cutCSV)
	}
	today := kept.keep("page today", b.Get(t, "/statistics?"+dateQuery("from", now)))
	if msg := "Figures are available to the end of " + ended; today.Code != 422 || !strings.Contains(today.Body.String(), msg) {
		t.Fatalf("a period from today: %d, want 422 saying %q\n%s", today.Code, msg, today.Body.String())
	}

	// The national analyst: the monthly job makes the reports; the PDF downloads, marked.
	if _, err := a.Services.Statistics.MonthlyReports(t.Context()); err != nil {
		t.Fatal(err)
	}
	var list statistics.ReportList
	apitest.Want(t, kept.keep("api reports", a.API(t, national, "GET", "/api/v1/statistics/reports", "")), "GET reports", 200, &list)
	if len(list.Reports) != 20 {
		t.Fatalf("reports = %d, want 20 (national and the nine ROCUs, in both editions)", len(list.Reports))
	}
	nb := national.Browser()
	reports := kept.keep("page reports", nb.Get(t, "/statistics/reports")).Body.String()
	link := fmt.Sprintf("/statistics/reports/%d/download", list.Reports[len(list.Reports)-1].ID)
	if !strings.Contains(reports, link) {
		t.Fatalf("the reports page lacks %s", link)
	}
	pdf := kept.keep("pdf", nb.Get(t, link))
	if pdf.Code != 200 || pdf.Header().Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.Body.String(), "%PDF") {
		t.Fatalf("pdf: %d %s", pdf.Code, pdf.Header().Get("Content-Type"))
	}
	// A report made on demand, through the page.
	made := nb.Submit(t, "/statistics/reports", url.Values{"month": {list.Months[1]}})
	if made.Code != 303 {
		t.Fatalf("make a report: %d\n%s", made.Code, made.Body.String())
	}
	regionalList := kept.keep("api regional reports", a.API(t, regional, "GET", "/api/v1/statistics/reports", "")).Body.String()
	if strings.Count(regionalList, `"id":`) != 2 { // its monthly report, in both editions
		t.Fatalf("a regional analyst sees other areas' reports: %s", regionalList)
	}
	if w := a.API(t, regional, "GET", "/api/v1/statistics/reports/"+fmt.Sprint(list.Reports[0].ID)+"/download", ""); list.Reports[0].Scope != "South West Regional Organised Crime Unit" && w.Code != 404 {
		t.Fatalf("another area's report: %d, want 404", w.Code)
	}
	kept.keep("api national", a.API(t, national, "GET", "/api/v1/statistics?quarter=2026-Q1", ""))
	kept.scan(t)
}

// The partner edition over HTTP: a GLAA analyst gets it by default and is refused the
// law-enforcement edition, on the API and the downloads; a national analyst chooses it, and its
// files say so in their name and first rows and name no force; an unknown edition is 422.
func TestPartnerEditionOverHTTP(t *testing.T) {
	a := apitest.New(t)
	seedPicture(t, a)
	var kept statsResponses
	glaa := a.SignedIn(t, apitest.UserSpec{Org: "gangmasters-and-labour-abuse-authority", Roles: []string{"analyst"}})
	national := a.SignedIn(t, apitest.UserSpec{Org: "modern-slavery-and-organised-immigration-crime-unit", Roles: []string{"analyst"}})
	forces := []string{"Devon and Cornwall Police", "Dorset Police", "Avon and Somerset Police"}
	noForce := func(what, body string) {
		t.Helper()
		for _, f := range forces {
			if strings.Contains(body, f) {
				t.Errorf("%s names %s", what, f)
			}
		}
	}

	var d statistics.Dashboard
	apitest.Want(t, kept.keep("api glaa", a.API(t, glaa, "GET", "/api/v1/statistics?quarter=2026-Q1", "")), "GET as GLAA", 200, &d)
	if d.Edition != statistics.EditionPartner || len(d.Editions) != 1 {
		t.Fatalf("GLAA's edition %q of %v, want the partner edition only", d.Edition, d.Editions)
	}
	noForce("GLAA's dashboard", kept.bodies["api glaa"])
	for _, path := range []string{"/api/v1/statistics?edition=law_enforcement", "/api/v1/statistics/download.xlsx?edition=law_enforcement",
		"/api/v1/statistics/tables/operations-by-force/download.csv?edition=law_enforcement"} {
		if w := a.API(t, glaa, "GET", path, ""); w.Code != 403 || !strings.Contains(w.Body.String(), "partner edition") {
			t.Errorf("GLAA: %s: %d %s, want 403 saying why", path, w.Code, w.Body.String())
		}
	}
	if w := a.API(t, glaa, "POST", "/api/v1/statistics/reports", `{"month": "2026-03", "edition": "law_enforcement"}`); w.Code != 403 {
		t.Errorf("GLAA making a law-enforcement report: %d, want 403", w.Code)
	}
	page := kept.keep("page glaa", glaa.Browser().Get(t, "/statistics?quarter=2026-Q1")).Body.String()
	noForce("GLAA's page", page)
	if strings.Contains(page, `name="edition"`) {
		t.Error("GLAA's page offers a choice of edition, which it does not have")
	}

	b := national.Browser()
	choice := kept.keep("page national", b.Get(t, "/statistics?quarter=2026-Q1")).Body.String()
	if !strings.Contains(choice, `type="radio" value="law_enforcement" checked`) || !strings.Contains(choice, `value="partner"`) || !strings.Contains(choice, "edition=law_enforcement") {
		t.Error("a national analyst's page does not offer the edition, the law-enforcement one chosen, or its downloads are not in it")
	}
	partnerPage := kept.keep("page partner", b.Get(t, "/statistics?quarter=2026-Q1&edition=partner")).Body.String()
	noForce("the partner page", partnerPage)
	if !strings.Contains(partnerPage, `value="partner" checked`) || !strings.Contains(partnerPage, `href="/statistics/download.xlsx?edition=partner&amp;quarter=2026-Q1"`) || !strings.Contains(partnerPage, "Partner edition: no force-level figures") {
		t.Error("the partner page does not say its edition, or its downloads are not in it")
	}
	reports := kept.keep("page reports", b.Get(t, "/statistics/reports")).Body.String()
	if !strings.Contains(reports, `name="edition"`) || strings.Contains(glaa.Browser().Get(t, "/statistics/reports").Body.String(), `name="edition"`) {
		t.Error("the reports page offers the edition to the wrong people")
	}
	csv := kept.keep("csv partner", b.Get(t, "/statistics/tables/operations-by-force/download.csv?quarter=2026-Q1&edition=partner"))
	lines := strings.SplitN(csv.Body.String(), "\n", 3)
	if csv.Code != 200 || len(lines) < 3 || !strings.HasPrefix(lines[0], "OFFICIAL-SENSITIVE") || !strings.HasPrefix(lines[1], "Partner edition: no force-level figures") ||
		!strings.Contains(csv.Header().Get("Content-Disposition"), "partner-edition") {
		t.Fatalf("partner CSV: %d %s\n%s", csv.Code, csv.Header().Get("Content-Disposition"), csv.Body.String())
	}
	noForce("the partner CSV", csv.Body.String())
	x := b.Get(t, "/statistics/download.xlsx?quarter=2026-Q1&edition=partner")
	xlsx := statisticstest.XLSXText(t, x.Body.Bytes())
	kept.bodies["xlsx partner"] = xlsx
	if x.Code != 200 || !strings.Contains(xlsx, "OFFICIAL-SENSITIVE\nPartner edition: no force-level figures") || !strings.Contains(x.Header().Get("Content-Disposition"), "partner-edition") {
		t.Fatalf("partner workbook: %d %s\n%.600s", x.Code, x.Header().Get("Content-Disposition"), xlsx)
	}
	noForce("the partner workbook", xlsx)
	le := kept.keep("csv law enforcement", b.Get(t, "/statistics/tables/operations-by-force/download.csv?quarter=2026-Q1"))
	if !strings.Contains(le.Header().Get("Content-Disposition"), "law-enforcement-edition") || !strings.Contains(le.Body.String(), "Law-enforcement edition") {
		t.Errorf("the default CSV of a national analyst is not the law-enforcement edition: %s", le.Header().Get("Content-Disposition"))
	}
	bad := a.API(t, national, "GET", "/api/v1/statistics/download.xlsx?edition=public", "")
	if bad.Code != 422 || !strings.Contains(bad.Body.String(), "Choose an edition: law_enforcement or partner") {
		t.Errorf("an unknown edition: %d %s", bad.Code, bad.Body.String())
	}
	var n int64
	if err := a.DB.Gorm().Table("audit_events").Where("action = ? AND details LIKE ?", "statistics.export", `%"edition":"partner"%`).Count(&n).Error; err != nil || n != 2 {
		t.Errorf("partner downloads audited: %d, %v, want 2", n, err)
	}
	kept.scan(t)
}
