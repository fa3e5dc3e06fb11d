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
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// crowdedCase is a case file with more exhibits and CPS entries than a page holds (50): 53
// exhibits JS/1 to JS/53, added in that order, and 52 actions raised by the CPS liaison the
// approved pack is shared with, "Action 1" to "Action 52" in that order.
func crowdedCase(t *testing.T) (*apitest.App, *apitest.User, casefile.CaseView) {
	t.Helper()
	a := apitest.New(t)
	inv, sup := a.As(t, policies.RoleInvestigator), a.As(t, policies.RoleSupervisor)
	liaison := a.SignedIn(t, apitest.UserSpec{Org: "cps-south-west", Roles: []string{policies.RoleCPSLiaison}})
	ctx, cs := t.Context(), a.Services.CaseFiles
	cv, err := cs.Create(ctx, inv.Actor(t), casefile.CaseInput{URN: "45AB1234588", Operation: "Operation Starling", Offences: []casefile.Offence{casefile.OffenceS2},
		Classification: "OFFICIAL", SupervisorID: sup.ID})
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 53; n++ {
		if _, err := cs.Reference(ctx, inv.Actor(t), cv.ID, casefile.ReferenceInput{EvidenceInput: casefile.EvidenceInput{ExhibitRef: fmt.Sprintf("JS/%d", n),
			Description: "Body-worn video " + fmt.Sprint(n), Producer: "PC Lee"}, System: "DEMS", ExternalID: fmt.Sprintf("BWV-%04d", n), HashAlgorithm: "SHA-256",
			Hash: strings.Repeat("9f", 32)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.Submit(ctx, inv.Actor(t), cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Approve(ctx, sup.Actor(t), cv.ID); err != nil {
		t.Fatal(err)
	}
	day := a.Clock.Now().AddDate(0, 1, 0)
	if _, err := cs.Share(ctx, sup.Actor(t), cv.ID, casefile.ShareInput{LiaisonID: liaison.ID, ExpiresOn: &day}); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 52; n++ {
		if _, err := cs.RaiseAction(ctx, liaison.Actor(t), cv.ID, casefile.ActionInput{Text: fmt.Sprintf("Action %d", n)}); err != nil {
			t.Fatal(err)
		}
	}
	return a, inv, cv
}

// numbered are prefix 1 to n, from from to to (counting down when from > to).
func numbered(prefix string, from, to int) []string {
	var out []string
	for n := from; ; {
		out = append(out, fmt.Sprintf("%s%d", prefix, n))
		if n == to {
			return out
		}
		if from < to {
			n++
		} else {
			n--
		}
	}
}

// Through the API a case's exhibits (oldest first) and CPS entries (newest first) come a page
// at a time with how many there are in all: the first page without a cursor, the rest through
// ?after= and ?limit= (up to 200), forward and back; a damaged cursor is refused.
func TestCaseEvidenceAndActionsThroughTheAPIComeAPageAtATime(t *testing.T) {
	a, inv, cv := crowdedCase(t)
	C := fmt.Sprintf("/api/v1/casefiles/%d", cv.ID)
	for list, want := range map[string][]string{"evidence": numbered("JS/", 1, 53), "actions": numbered("Action ", 52, 1)} {
		checkPagedRoute(t, a, inv, C, list, map[string]string{"evidence": "exhibit_ref", "actions": "text"}[list], want)
	}

	// A case with no exhibits and nothing from the CPS: empty pages, not null.
	empty, err := a.Services.CaseFiles.Create(t.Context(), inv.Actor(t), casefile.CaseInput{URN: "45AB1234589", Operation: "Operation Wagtail",
		Offences: []casefile.Offence{casefile.OffenceS2}, Classification: "OFFICIAL", SupervisorID: cv.SupervisorID})
	if err != nil {
		t.Fatal(err)
	}
	checkEmptyPages(t, a, inv, fmt.Sprintf("/api/v1/casefiles/%d", empty.ID), "evidence", "actions")
}

// The evidence tab lists the exhibits 50 at a time, oldest first, and the sign-off and CPS tab
// the CPS's entries 50 at a time, newest first, each saying how many there are, with Previous
// and Next links (plain links: no JavaScript needed) in a landmark named after the list; a
// damaged page link is refused, and a page past the last says so and leads back to the first.
func TestTheCaseTabsPageTheirExhibitsAndActions(t *testing.T) {
	_, inv, cv := crowdedCase(t)
	b := inv.Browser()
	link := func(page, rel string) string { return pageLink(page, "", rel) }
	exhibits := regexp.MustCompile(`>(JS/\d+)</a>`)
	actions := regexp.MustCompile(`<p class="govuk-body">(Action \d+)</p>`)
	listed := func(re *regexp.Regexp, page string) []string {
		var out []string
		for _, m := range re.FindAllStringSubmatch(page, -1) {
			out = append(out, m[1])
		}
		return out
	}
	E := fmt.Sprintf("/casefiles/%d/evidence", cv.ID)
	P := fmt.Sprintf("/casefiles/%d/pack", cv.ID)
	for _, tab := range []struct {
		path, count, landmark string
		re                    *regexp.Regexp
		want                  []string
		past                  url.Values
	}{
		{E, "53 exhibits", "Pages of exhibits", exhibits, numbered("JS/", 1, 53), url.Values{"after": {core.EncodeCursor("", 1<<40)}}},
		{P, "52 entries", "Pages of CPS advice, decisions and actions", actions, numbered("Action ", 52, 1), url.Values{"actions_after": {core.EncodeCursor("", 1)}}},
	} {
		first := pageText(t, b, tab.path, http.StatusOK)
		if got := listed(tab.re, first); !slices.Equal(got, tab.want[:50]) {
			t.Errorf("%s lists %v, want %v", tab.path, got, tab.want[:50])
		}
		for _, want := range []string{tab.count, "Showing 1 to 50 of " + tab.count[:2] + " results", `aria-label="` + tab.landmark + `"`} {
			if !strings.Contains(first, want) {
				t.Errorf("%s does not say %q", tab.path, want)
			}
		}
		if link(first, "prev") != "" || link(first, "next") == "" {
			t.Fatalf("%s: the first page's links: previous %q, next %q", tab.path, link(first, "prev"), link(first, "next"))
		}
		second := pageText(t, b, link(first, "next"), http.StatusOK)
		if got := listed(tab.re, second); !slices.Equal(got, tab.want[50:]) || link(second, "next") != "" {
			t.Errorf("%s, the second page lists %v (next %q), want %v and no next page", tab.path, got, link(second, "next"), tab.want[50:])
		}
		if want := "Showing 51 to " + tab.count[:2] + " of " + tab.count[:2] + " results"; !strings.Contains(second, want) {
			t.Errorf("%s, the second page does not say %q", tab.path, want)
		}
		if tab.path == P && !regexp.MustCompile(`action="/casefiles/\d+/actions/\d+/answer\?actions_after=[^"]+"`).MatchString(second) {
			t.Errorf("the answer forms of the second page of actions do not come back to it:\n%s", second)
		}
		back := pageText(t, b, link(second, "prev"), http.StatusOK)
		if got := listed(tab.re, back); !slices.Equal(got, tab.want[:50]) || link(back, "prev") != "" {
			t.Errorf("%s, back on the first page: %v", tab.path, got)
		}
		for _, damaged := range []string{"~", "~not-a-cursor"} {
			q := url.Values{}
			for k := range tab.past {
				q.Set(k, damaged)
			}
			pageText(t, b, tab.path+"?"+q.Encode(), http.StatusUnprocessableEntity)
		}
		past := pageText(t, b, tab.path+"?"+tab.past.Encode(), http.StatusOK)
		if !strings.Contains(past, tab.count+", none of them on this page") {
			t.Errorf("%s, a page past the last:\n%s", tab.path, past)
		}
	}
}
