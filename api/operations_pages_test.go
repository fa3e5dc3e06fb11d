package api_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
)

func pageText(t *testing.T, b *apitest.Browser, path string, want int) string {
	t.Helper()
	w := b.Get(t, path)
	if w.Code != want {
		t.Fatalf("GET %s: %d, want %d\n%s", path, w.Code, want, w.Body.String())
	}
	return html.UnescapeString(w.Body.String()) // entities decoded, to look for messages
}

func submit(t *testing.T, b *apitest.Browser, path string, form url.Values, want int) (string, string) {
	t.Helper()
	w := b.Submit(t, path, form)
	if w.Code != want {
		t.Fatalf("POST %s: %d, want %d\n%s", path, w.Code, want, w.Body.String())
	}
	return html.UnescapeString(w.Body.String()), w.Header().Get("Location")
}

func dateForm(form url.Values, name, ymd string) {
	var y, m, d int
	fmt.Sscanf(ymd, "%d-%d-%d", &y, &m, &d)
	form.Set(name+"-day", strconv.Itoa(d))
	form.Set(name+"-month", strconv.Itoa(m))
	form.Set(name+"-year", strconv.Itoa(y))
}

// An investigator records an operation, a victim and a suspect with a charge through the pages,
// links their case file and attaches the suspect to it; the case page shows the operation, and
// the outcome recorded there is on the suspect's record. Every refused form lists all of its
// problems at once. Without JavaScript: plain forms and redirects.
func TestOperationPages(t *testing.T) {
	a := apitest.New(t)
	inv := a.As(t, policies.RoleInvestigator)
	sup := a.As(t, policies.RoleSupervisor)
	b := inv.Browser()
	now := a.Clock.Now()
	past, later, today := now.AddDate(0, -3, 0).Format("2006-01-02"), now.AddDate(0, -2, 0).Format("2006-01-02"), now.Format("2006-01-02")

	if got := pageText(t, b, "/operations", http.StatusOK); !strings.Contains(got, "There are no operations here for you") || !strings.Contains(got, `href="/operations"`) {
		t.Errorf("the empty list, or the navigation, is missing:\n%s", got)
	}
	pageText(t, b, "/operations/new", http.StatusOK)
	bad := url.Values{"reference": {"Jane Doe"}, "status": {"closed"}, "lead_officer": {"someone@else.example"}}
	dateForm(bad, "started_on", past)
	bad.Set("ended_on-day", "31")
	bad.Set("ended_on-month", "2")
	bad.Set("ended_on-year", "2026")
	got, _ := submit(t, b, "/operations/new", bad, http.StatusUnprocessableEntity)
	for _, msg := range []string{"never a name", "Enter the operation's name", "The date the operation ended must be a real date", "Select at least one type of exploitation", `href="#ended_on-day"`} {
		if !strings.Contains(got, msg) {
			t.Errorf("the refused form does not say %q", msg)
		}
	}
	bad.Del("ended_on-day")
	bad.Del("ended_on-month")
	bad.Del("ended_on-year")
	got, _ = submit(t, b, "/operations/new", bad, http.StatusUnprocessableEntity)
	for _, msg := range []string{"never a name", "Enter the operation's name", "a closed operation has an end date", "Select at least one type of exploitation", "officer, investigator or supervisor of the owning organisation"} {
		if !strings.Contains(got, msg) {
			t.Errorf("the service's refusal does not say %q", msg)
		}
	}

	good := url.Values{"reference": {"DC/OP/9"}, "name": {"Heron"}, "lead_officer": {inv.Email}, "status": {"live"},
		"exploitation": {"labour", "domestic_servitude"}, "partners": {"national-crime-agency"}, "organised_crime_group": {"yes"}}
	dateForm(good, "started_on", past)
	_, loc := submit(t, b, "/operations/new", good, http.StatusSeeOther)
	if !regexp.MustCompile(`^/operations/\d+$`).MatchString(loc) {
		t.Fatalf("redirect to %q", loc)
	}
	got = pageText(t, b, loc, http.StatusOK)
	for _, want := range []string{"Operation Heron", "National Crime Agency", "Domestic servitude", "No potential victims have been recorded", "No suspects have been recorded", "The operation is recorded"} {
		if !strings.Contains(got, want) {
			t.Errorf("the operation page does not show %q", want)
		}
	}
	opID, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/operations/"), 10, 64)

	victim := url.Values{"reference": {"V-7"}, "age_band": {"16-17"}, "sex": {"female"}, "nationality": {"AL"}, "exploitation": {"sexual"},
		"first_responder": {"police"}, "rg_outcome": {"negative"}, "cg_outcome": {"positive"}, "duty_to_notify": {"yes"}}
	dateForm(victim, "nrm_referred_on", past)
	dateForm(victim, "rg_decided_on", later)
	dateForm(victim, "cg_decided_on", today)
	got, _ = submit(t, b, loc+"/victims/new", victim, http.StatusUnprocessableEntity)
	for _, msg := range []string{"A conclusive grounds decision follows a positive reasonable grounds decision", "Duty to Notify is only for adults", `<option value="AL" selected>Albania</option>`} {
		if !strings.Contains(got, msg) {
			t.Errorf("the victim form does not say %q", msg)
		}
	}
	victim.Set("rg_outcome", "positive")
	victim.Del("duty_to_notify")
	submit(t, b, loc+"/victims/new", victim, http.StatusSeeOther)

	suspect := url.Values{"reference": {"S-7"}, "age_band": {"25-34"}, "sex": {"male"}, "role": {"recruiter"}, "stpo": {"yes"}, "sentence_months": {"twelve"}}
	got, _ = submit(t, b, loc+"/suspects/new", suspect, http.StatusUnprocessableEntity)
	for _, msg := range []string{"whole number of months", "follows a conviction"} {
		if !strings.Contains(got, msg) {
			t.Errorf("the suspect form does not say %q", msg)
		}
	}
	suspect.Del("stpo")
	suspect.Del("sentence_months")
	dateForm(suspect, "arrested_on", past)
	_, sloc := submit(t, b, loc+"/suspects/new", suspect, http.StatusSeeOther)
	charge := url.Values{"offence": {"msa_s2"}, "outcome": {"acquitted"}}
	dateForm(charge, "charged_on", later)
	dateForm(charge, "outcome_on", past)
	got, _ = submit(t, b, sloc+"/charges/new", charge, http.StatusUnprocessableEntity)
	if !strings.Contains(got, "no outcome before charge") {
		t.Errorf("the charge form does not refuse an outcome before the charge:\n%s", got)
	}
	charge = url.Values{"offence": {"msa_s2"}}
	dateForm(charge, "charged_on", later)
	submit(t, b, sloc+"/charges/new", charge, http.StatusSeeOther)

	cv, err := a.Services.CaseFiles.Create(t.Context(), inv.Actor(t), casefile.CaseInput{URN: "45AB1234566", Operation: "Heron",
		Offences: []casefile.Offence{casefile.OffenceS2}, Classification: "OFFICIAL", SupervisorID: sup.ID})
	if err != nil {
		t.Fatal(err)
	}
	got = pageText(t, b, loc, http.StatusOK)
	if !strings.Contains(got, "45AB1234566") {
		t.Errorf("the case file is not offered for linking")
	}
	if got, _ = submit(t, b, loc+"/cases", url.Values{"case_id": {""}}, http.StatusUnprocessableEntity); !strings.Contains(got, "Select the case file to link") {
		t.Errorf("no case chosen: %s", got)
	}
	// The supervisor may change the operation and read the case file, but only its team links it.
	sb := sup.Browser()
	pageText(t, sb, loc, http.StatusOK)
	if got, _ = submit(t, sb, loc+"/cases", url.Values{"case_id": {strconv.FormatInt(cv.ID, 10)}}, http.StatusUnprocessableEntity); !strings.Contains(got, "only its team can link it") {
		t.Errorf("the supervisor links the case:\n%s", got)
	}
	submit(t, b, loc+"/cases", url.Values{"case_id": {strconv.FormatInt(cv.ID, 10)}}, http.StatusSeeOther)
	suspect.Set("case_id", strconv.FormatInt(cv.ID, 10))
	submit(t, b, sloc, suspect, http.StatusSeeOther)
	// The supervisor, who may not change the case file, records a victim on it: refused at the
	// case file choice, and nothing of the form is saved (so sending it again makes no second).
	onCase := url.Values{"reference": {"V-8"}, "age_band": {"25-34"}, "sex": {"male"}, "case_id": {strconv.FormatInt(cv.ID, 10)}}
	for range 2 {
		if got, _ = submit(t, sb, loc+"/victims/new", onCase, http.StatusUnprocessableEntity); !strings.Contains(got, "Only the team of a case file") {
			t.Errorf("the supervisor puts a new victim on the case file:\n%s", got)
		}
	}
	if v, err := a.Services.Operations.Get(t.Context(), inv.Actor(t), opID); err != nil || slices.ContainsFunc(v.Victims, func(vv operations.VictimView) bool { return vv.Reference == "V-8" }) {
		t.Errorf("a victim refused its case file was saved: %v", err)
	}

	// An NCA officer named on the operation, not on the case team, is told a case file is linked
	// but not which; they may still change the suspect, who stays on the case file.
	nca := a.SignedIn(t, apitest.UserSpec{Org: "national-crime-agency", Roles: []string{policies.RoleOfficer}})
	if _, err := a.Services.Operations.AddMember(t.Context(), inv.Actor(t), opID, nca.Email); err != nil {
		t.Fatal(err)
	}
	nb := nca.Browser()
	got = pageText(t, nb, loc, http.StatusOK)
	if strings.Contains(got, "45AB1234566") || !strings.Contains(got, "1 other case file you cannot see is linked to this operation") || !strings.Contains(got, "A case file you cannot see") {
		t.Errorf("the operation page shows a member the case file they may not see, or nothing of it:\n%s", got)
	}
	if got = pageText(t, nb, sloc, http.StatusOK); strings.Contains(got, "45AB1234566") || strings.Contains(got, `name="case_id"`) {
		t.Errorf("the suspect form shows the case file, or offers a case file to a member who can see none:\n%s", got)
	}
	unchosen := url.Values{}
	for k, v := range suspect {
		unchosen[k] = v
	}
	unchosen.Del("case_id") // as their browser posts the form
	submit(t, nb, sloc, unchosen, http.StatusSeeOther)
	if got = pageText(t, b, loc, http.StatusOK); !strings.Contains(got, "45AB1234566") || strings.Contains(got, "you cannot see") {
		t.Errorf("the case team's operation page does not name their case file:\n%s", got)
	}
	if v, err := a.Services.Operations.Get(t.Context(), inv.Actor(t), opID); err != nil || v.Suspects[0].CaseID == nil || *v.Suspects[0].CaseID != cv.ID {
		t.Errorf("the suspect left the case file when a member who cannot see it saved them: %v", err)
	}

	casePage := fmt.Sprintf("/casefiles/%d", cv.ID)
	got = pageText(t, b, casePage, http.StatusOK)
	for _, want := range []string{"Operation, victims and suspects", "Operation Heron", "Suspect S-7", "Record the outcome", "No potential victims of the operation are attached"} {
		if !strings.Contains(got, want) {
			t.Errorf("the case page does not show %q", want)
		}
	}
	view, err := a.Services.Operations.Get(t.Context(), inv.Actor(t), opID)
	if err != nil {
		t.Fatal(err)
	}
	chargeID := view.Suspects[0].Charges[0].ID
	field := "outcome_" + strconv.FormatInt(chargeID, 10)
	got, _ = submit(t, b, fmt.Sprintf("%s/charges/%d/outcome", casePage, chargeID), url.Values{field: {"convicted_trial"}}, http.StatusUnprocessableEntity)
	if !strings.Contains(got, "Enter the date of the outcome") || !strings.Contains(got, `href="#outcome_on_`+strconv.FormatInt(chargeID, 10)+`-day"`) {
		t.Errorf("an outcome without a date:\n%s", got)
	}
	form := url.Values{field: {"convicted_trial"}}
	dateForm(form, "outcome_on_"+strconv.FormatInt(chargeID, 10), today)
	submit(t, b, fmt.Sprintf("%s/charges/%d/outcome", casePage, chargeID), form, http.StatusSeeOther)
	if got = pageText(t, sup.Browser(), loc, http.StatusOK); !strings.Contains(got, "Convicted after trial") {
		t.Errorf("the outcome recorded on the case is not on the operation's suspect")
	}
	// The supervisor sees the operation but may not record outcomes from the case.
	if got = pageText(t, sup.Browser(), casePage, http.StatusOK); strings.Contains(got, "Record the outcome") || !strings.Contains(got, "Operation Heron") {
		t.Errorf("the supervisor's case page offers to record an outcome, or hides the operation")
	}
	// Analysts and other forces: not in the navigation, nothing listed, 404.
	analyst := a.As(t, policies.RoleAnalyst)
	if got = pageText(t, analyst.Browser(), "/operations", http.StatusOK); strings.Contains(got, "Heron") || strings.Contains(got, `href="/operations"`) {
		t.Errorf("the analyst sees operations")
	}
	pageText(t, analyst.Browser(), loc, http.StatusNotFound)
}

// The operation page offers to link only the case files the person may change (only a case's
// team links it), a page at a time, each page reachable without JavaScript; a refused choice
// comes back on the page it was made from.
func TestTheOperationPageOffersTheCaseFilesTheUserMayLink(t *testing.T) {
	a := apitest.New(t)
	inv := a.As(t, policies.RoleInvestigator)
	sup := a.As(t, policies.RoleSupervisor)
	op, err := a.Services.Operations.Create(t.Context(), inv.Actor(t), operations.OperationInput{Reference: "DC/OP/11", Name: "Wren", LeadOfficer: inv.Email,
		Status: terms.StatusLive, StartedOn: a.Clock.Now().AddDate(0, -1, 0), Exploitation: []terms.Exploitation{terms.ExploitLabour}})
	if err != nil {
		t.Fatal(err)
	}
	const cases = 52
	for n := range cases {
		if _, err := a.Services.CaseFiles.Create(t.Context(), inv.Actor(t), casefile.CaseInput{URN: fmt.Sprintf("45AB%05d26", n), Operation: "Wren",
			Offences: []casefile.Offence{casefile.OffenceS2}, Classification: "OFFICIAL", SupervisorID: sup.ID}); err != nil {
			t.Fatal(err)
		}
	}
	loc := fmt.Sprintf("/operations/%d", op.ID)
	// The supervisor reads every case file of the force and may change the operation, but is on
	// no case team: nothing to offer.
	if got := pageText(t, sup.Browser(), loc, http.StatusOK); strings.Contains(got, "45AB") || !strings.Contains(got, "There are no other case files of yours to link") {
		t.Errorf("the supervisor is offered case files they may not link:\n%s", got)
	}
	offered := regexp.MustCompile(`<option value="(\d+)"[^>]*>45AB\d{7}`)
	next := regexp.MustCompile(`href="(/operations/\d+\?after=[^"#]+)#link-case" rel="next"`)
	b := inv.Browser()
	got := pageText(t, b, loc, http.StatusOK)
	first := offered.FindAllStringSubmatch(got, -1)
	m := next.FindStringSubmatch(got)
	if len(first) != 50 || m == nil {
		t.Fatalf("the first page offers %d case files, next page %v", len(first), m)
	}
	got = pageText(t, b, m[1], http.StatusOK)
	second := offered.FindAllStringSubmatch(got, -1)
	if len(second) != cases-50 || !strings.Contains(got, `rel="prev"`) || next.MatchString(got) {
		t.Fatalf("the second page offers %d case files:\n%s", len(second), got)
	}
	after, _ := url.ParseQuery(strings.TrimPrefix(m[1], loc+"?"))
	got, _ = submit(t, b, loc+"/cases", url.Values{"case_id": {""}, "after": after["after"]}, http.StatusUnprocessableEntity)
	if !strings.Contains(got, "Select the case file to link") || len(offered.FindAllStringSubmatch(got, -1)) != cases-50 {
		t.Errorf("the refused choice does not come back on its page:\n%s", got)
	}
	submit(t, b, loc+"/cases", url.Values{"case_id": {second[0][1]}, "after": after["after"]}, http.StatusSeeOther)
	if v, err := a.Services.Operations.Get(t.Context(), inv.Actor(t), op.ID); err != nil || len(v.Cases) != 1 || strconv.FormatInt(v.Cases[0].CaseID, 10) != second[0][1] {
		t.Errorf("the case file from the second page is not linked: %+v, %v", v.Cases, err)
	}
}
