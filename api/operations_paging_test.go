package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
)

// crowdedOp is an operation with more potential victims and suspects than a page holds (50):
// 53 victims V-001 to V-053 and 52 suspects S-001 to S-052, each suspect charged, recorded out
// of order.
func crowdedOp(t *testing.T) (*apitest.App, *apitest.User, operations.OperationView) {
	t.Helper()
	a := apitest.New(t)
	inv := a.As(t, policies.RoleInvestigator)
	ctx, who, ops := t.Context(), inv.Actor(t), a.Services.Operations
	started := a.Clock.Now().AddDate(0, -3, 0)
	op, err := ops.Create(ctx, who, operations.OperationInput{Reference: "DC/OP/53", Name: "Starling", LeadOfficer: inv.Email, Status: terms.StatusLive,
		StartedOn: started, Exploitation: []terms.Exploitation{terms.ExploitLabour}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range shuffled(53) {
		if _, err := ops.AddVictim(ctx, who, op.ID, operations.VictimInput{PersonInput: operations.PersonInput{Reference: fmt.Sprintf("V-%03d", n),
			AgeBand: terms.Age25to34, Sex: terms.SexFemale}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range shuffled(52) {
		if _, err := ops.AddSuspect(ctx, who, op.ID, operations.SuspectInput{PersonInput: operations.PersonInput{Reference: fmt.Sprintf("S-%03d", n),
			AgeBand: terms.Age35to44, Sex: terms.SexMale}, Charges: []operations.ChargeInput{{Offence: terms.OffenceS2, ChargedOn: started}}}); err != nil {
			t.Fatal(err)
		}
	}
	return a, inv, op
}

// shuffled is 1 to n in an order that is not theirs.
func shuffled(n int) []int {
	var out []int
	for i := range n {
		out = append(out, (i*17)%n+1) // 17 is prime to 52 and 53
	}
	return out
}

// refs are the references of n people of kind ("V" or "S"), in list order.
func refs(kind string, from, to int) []string {
	var out []string
	for n := from; n <= to; n++ {
		out = append(out, fmt.Sprintf("%s-%03d", kind, n))
	}
	return out
}

// Through the API an operation gives the first page of its potential victims and of its
// suspects with how many there are in all; their own routes page through the rest (?after=,
// ?limit= up to 200) forward and back, and refuse a damaged cursor.
func TestOperationVictimsAndSuspectsThroughTheAPIComeAPageAtATime(t *testing.T) {
	a, inv, op := crowdedOp(t)
	O := fmt.Sprintf("/api/v1/operations/%d", op.ID)

	var v operations.OperationView
	apitest.Want(t, a.API(t, inv, "GET", O, ""), "the operation", http.StatusOK, &v)
	if len(v.Victims) != 50 || v.VictimPages.Total != 53 || v.VictimPages.Next == "" || v.VictimPages.Prev != "" || v.Victims[0].Reference != "V-001" {
		t.Errorf("the operation's victims: %d of %+v, first %q", len(v.Victims), v.VictimPages, v.Victims[0].Reference)
	}
	if len(v.Suspects) != 50 || v.SuspectPages.Total != 52 || v.SuspectPages.Next == "" || len(v.Suspects[0].Charges) != 1 {
		t.Errorf("the operation's suspects: %d of %+v", len(v.Suspects), v.SuspectPages)
	}

	for kind, want := range map[string][]string{"victims": refs("V", 1, 53), "suspects": refs("S", 1, 52)} {
		checkPagedRoute(t, a, inv, O, kind, "reference", want)
	}

	// An operation with nobody recorded: empty pages, not null.
	empty, err := a.Services.Operations.Create(t.Context(), inv.Actor(t), operations.OperationInput{Reference: "DC/OP/54", Name: "Wagtail", LeadOfficer: inv.Email,
		Status: terms.StatusLive, StartedOn: a.Clock.Now().AddDate(0, -1, 0), Exploitation: []terms.Exploitation{terms.ExploitLabour}})
	if err != nil {
		t.Fatal(err)
	}
	checkEmptyPages(t, a, inv, fmt.Sprintf("/api/v1/operations/%d", empty.ID), "victims", "suspects")
}

// The operation page lists its potential victims and its suspects 50 at a time, each with
// Previous and Next links of its own that keep the other list where it is (plain links: no
// JavaScript needed), and says how many there are in all; a damaged page link is refused.
func TestTheOperationPagePagesItsVictimsAndSuspectsOnTheirOwn(t *testing.T) {
	_, inv, op := crowdedOp(t)
	b := inv.Browser()
	people := regexp.MustCompile(`>([VS]-\d{3})</a>`)
	// at fetches path and checks the victims and suspects it lists.
	at := func(path string, victims, suspects []string) string {
		t.Helper()
		got := pageText(t, b, path, http.StatusOK)
		var v, s []string
		for _, m := range people.FindAllStringSubmatch(got, -1) {
			if strings.HasPrefix(m[1], "V") {
				v = append(v, m[1])
			} else {
				s = append(s, m[1])
			}
		}
		if !slices.Equal(v, victims) || !slices.Equal(s, suspects) {
			t.Errorf("%s lists victims %v and suspects %v, want %v and %v", path, v, s, victims, suspects)
		}
		for _, want := range []string{"53 potential victims", "52 suspects"} {
			if !strings.Contains(got, want) {
				t.Errorf("%s does not say %q", path, want)
			}
		}
		return got
	}
	first := at(operationPath(op.ID), refs("V", 1, 50), refs("S", 1, 50))
	for _, want := range []string{"Showing 1 to 50 of 53 results", "Showing 1 to 50 of 52 results"} {
		if !strings.Contains(first, want) {
			t.Errorf("the first page does not say %q", want)
		}
	}
	if pageLink(first, "victims", "prev") != "" || pageLink(first, "suspects", "prev") != "" {
		t.Errorf("the first page links to a page before it")
	}
	// The victims' next page; the suspects stay on their first.
	page := at(pageLink(first, "victims", "next"), refs("V", 51, 53), refs("S", 1, 50))
	if !strings.Contains(page, "Showing 51 to 53 of 53 results") || pageLink(page, "victims", "next") != "" {
		t.Errorf("the victims' last page:\n%s", page)
	}
	// Then the suspects' next page; the victims stay on their second.
	page = at(pageLink(page, "suspects", "next"), refs("V", 51, 53), refs("S", 51, 52))
	if !strings.Contains(page, "Showing 51 to 52 of 52 results") || pageLink(page, "suspects", "next") != "" {
		t.Errorf("the suspects' last page:\n%s", page)
	}
	// Back: the victims first, then the suspects.
	page = at(pageLink(page, "victims", "prev"), refs("V", 1, 50), refs("S", 51, 52))
	page = at(pageLink(page, "suspects", "prev"), refs("V", 1, 50), refs("S", 1, 50))
	if !strings.Contains(page, "Showing 1 to 50 of 53 results") || pageLink(page, "victims", "prev") != "" || pageLink(page, "suspects", "prev") != "" {
		t.Errorf("back on the first pages:\n%s", page)
	}

	for _, damaged := range []string{"victims_after=not-a-cursor", "suspects_after=~not-a-cursor"} {
		pageText(t, b, operationPath(op.ID)+"?"+damaged, http.StatusUnprocessableEntity)
	}
	// A link past the last of them: none here, and the way back to the first page.
	past := pageText(t, b, operationPath(op.ID)+"?"+url.Values{"victims_after": {core.EncodeCursor("V-999", 1)}}.Encode(), http.StatusOK)
	if !strings.Contains(past, "53 potential victims, none of them on this page") || !strings.Contains(past, `href="`+operationPath(op.ID)+`#victims"`) {
		t.Errorf("a page past the last victim:\n%s", past)
	}
}
