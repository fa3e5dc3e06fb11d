package govuk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// parseComponents parses components.html with the constructor funcs.
func parseComponents(t *testing.T) *template.Template {
	t.Helper()
	tmpl, err := template.New("components").Funcs(Funcs()).ParseFS(templates, "components.html")
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// parsePage parses a page using the components.
func parsePage(t *testing.T, src string) *template.Template {
	t.Helper()
	page, err := parseComponents(t).New("page").Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	return page
}

func renderComponent(t *testing.T, tmpl *template.Template, name string, params any) string {
	t.Helper()
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name, params); err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	return buf.String()
}

var (
	spaces        = regexp.MustCompile(`\s+`)
	aroundTags    = regexp.MustCompile(`\s*(<|>)\s*`)
	insideAttrs   = regexp.MustCompile(`="\s*([^"]*?)\s*"`)
	entityAliases = strings.NewReplacer("&#34;", "&quot;", "&#43;", "+", "&#x27;", "&#39;")
)

// normaliseHTML removes the differences between Nunjucks and html/template output that do not
// change the document: runs of whitespace (collapsed to one space, dropped next to tags and at
// the ends of attribute values) and equivalent character references (&#34; and &quot;, &#43;
// and +). Nothing is sorted or unescaped: attribute order and escaping must match.
func normaliseHTML(html string) string {
	s := spaces.ReplaceAllString(html, " ")
	s = aroundTags.ReplaceAllString(s, "$1")
	s = insideAttrs.ReplaceAllString(s, `="$1"`)
	s = entityAliases.Replace(s)
	return strings.TrimSpace(s)
}

type designFixture struct {
	Name    string          `json:"name"`
	Options json.RawMessage `json:"options"`
	HTML    string          `json:"html"`
}

func loadDesignFixtures(t *testing.T, component string) []designFixture {
	t.Helper()
	b, err := os.ReadFile("../node_modules/govuk-frontend/dist/govuk/components/" + component + "/fixtures.json")
	if err != nil {
		t.Fatalf("govuk-frontend fixtures missing (run make assets): %v", err)
	}
	var f struct{ Fixtures []designFixture }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Fixtures
}

// decodeStrict unmarshals options into a new T, refusing unknown options.
func decodeStrict[T any](raw []byte) (any, error) {
	var p T
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(&p)
	return p, err
}

type componentCase struct {
	component string // folder in govuk-frontend or @ministryofjustice/frontend
	template  string
	decode    func([]byte) (any, error)
	// skip names the fixtures not tested, with why. Every other fixture is tested.
	skip map[string]string
	moj  bool
}

func govukCase[T any](component, template string, skip map[string]string) componentCase {
	return componentCase{component, template, decodeStrict[T], skip, false}
}

func mojCase[T any](component, template string) componentCase {
	return componentCase{component, template, decodeStrict[T], nil, true}
}

func (c componentCase) fixtures(t *testing.T) []designFixture {
	if c.moj {
		return mojFixtures[c.component]
	}
	return loadDesignFixtures(t, c.component)
}

const (
	skipFalsy      = "false or \"\" as a list item: leave an item out with nil instead"
	skipConditonal = "conditional.html false: leave conditional out instead"
	skipNav        = "the service navigation is ported for the layout only: service name and link, text links"
)

// componentCases are the ported components and the fixtures left out.
var componentCases = []componentCase{
	govukCase[GenericHeader]("generic-header", "govukGenericHeader", map[string]string{
		"with image logo":          "logoHtml not supported: the header is text only",
		"with text and image logo": "logoHtml not supported: the header is text only",
		"full width":               "containerClasses not supported",
		"attributes":               "attributes not supported",
		"classes":                  "classes not supported",
	}),
	govukCase[ServiceNavigation]("service-navigation", "govukServiceNavigation", map[string]string{
		"with large navigation":                        skipNav,
		"with HTML navigation items":                   skipNav,
		"with non-link navigation items":               skipNav,
		"with long service name":                       skipNav,
		"with service name and navigation":             skipNav,
		"inverse":                                      skipNav,
		"with collapseNavigationOnMobile set to false": skipNav,
		"with a single navigation item and collapseNavigationOnMobile set to true": skipNav,
		"attributes":                                              skipNav,
		"classes":                                                 skipNav,
		"with custom aria-label":                                  skipNav,
		"with custom navigation toggle text":                      skipNav,
		"with custom navigation toggle label":                     skipNav,
		"with identical navigation toggle text and label":         skipNav,
		"with custom navigation label":                            skipNav,
		"with custom navigation toggle text and navigation label": skipNav,
		"with custom navigation classes":                          skipNav,
		"with custom navigation ID":                               skipNav,
		"with navigation having empty values":                     skipNav,
		"with navigation having only empty values":                skipNav,
		"with navigation being an empty array":                    skipNav,
		"with language navigation":                                skipNav,
		"with right-aligned language navigation":                  skipNav,
		"inverse with language navigation":                        skipNav,
		"with slotted content":                                    skipNav,
		"with `inline` end slot":                                  skipNav,
	}),
	govukCase[label]("label", "govukLabel", nil),
	govukCase[hint]("hint", "govukHint", nil),
	govukCase[errorMessage]("error-message", "govukErrorMessage", nil),
	govukCase[fieldset]("fieldset", "govukFieldset", nil),
	govukCase[button]("button", "govukButton", nil),
	govukCase[input]("input", "govukInput", nil),
	govukCase[textarea]("textarea", "govukTextarea", nil),
	govukCase[characterCount]("character-count", "govukCharacterCount", nil),
	govukCase[passwordInput]("password-input", "govukPasswordInput", nil),
	govukCase[fileUpload]("file-upload", "govukFileUpload", map[string]string{
		"with value": "value is not an option of the file upload (its template ignores it)",
	}),
	govukCase[selectParams]("select", "govukSelect", map[string]string{
		"with falsy items": skipFalsy,
	}),
	govukCase[radios]("radios", "govukRadios", map[string]string{
		"with falsy items":       skipFalsy,
		"with empty conditional": skipConditonal,
	}),
	govukCase[checkboxes]("checkboxes", "govukCheckboxes", map[string]string{
		"with falsy values": skipFalsy,
		"empty conditional": skipConditonal,
	}),
	govukCase[dateInput]("date-input", "govukDateInput", nil),
	govukCase[errorSummary]("error-summary", "govukErrorSummary", nil),
	govukCase[summaryList]("summary-list", "govukSummaryList", map[string]string{
		"with falsy values": skipFalsy,
	}),
	govukCase[table]("table", "govukTable", map[string]string{
		"with falsy items": skipFalsy,
	}),
	govukCase[tag]("tag", "govukTag", nil),
	govukCase[notificationBanner]("notification-banner", "govukNotificationBanner", nil),
	govukCase[panel]("panel", "govukPanel", nil),
	govukCase[insetText]("inset-text", "govukInsetText", nil),
	govukCase[warningText]("warning-text", "govukWarningText", nil),
	govukCase[pagination]("pagination", "govukPagination", nil),
	govukCase[backLink]("back-link", "govukBackLink", nil),
	govukCase[details]("details", "govukDetails", nil),
	govukCase[breadcrumbs]("breadcrumbs", "govukBreadcrumbs", nil),
	mojCase[SubNavigation]("sub-navigation", "mojSubNavigation"),
	mojCase[Timeline]("timeline", "mojTimeline"),
	mojCase[badge]("badge", "mojBadge"),
	mojCase[alert]("alert", "mojAlert"),
}

// mojFixtures are what MOJ Frontend 11.1.0's own templates render for these options (the
// package ships no fixtures.json): rendered with Nunjucks 3 and the MOJ filters, in
// TZ=Europe/London, then whitespace-normalised.
var mojFixtures = map[string][]designFixture{
	"sub-navigation": {
		{Name: "default",
			Options: json.RawMessage(`{"label":"Sub navigation","items":[{"text":"Nav item 1","href":"#1","active":true},{"text":"Nav item 2","href":"#2"},{"text":"Nav item 3","href":"#3"}]}`),
			HTML:    `<nav class="moj-sub-navigation" aria-label="Sub navigation"><ul class="moj-sub-navigation__list"><li class="moj-sub-navigation__item"><a class="moj-sub-navigation__link" aria-current="page" href="#1">Nav item 1</a></li><li class="moj-sub-navigation__item"><a class="moj-sub-navigation__link" href="#2">Nav item 2</a></li><li class="moj-sub-navigation__item"><a class="moj-sub-navigation__link" href="#3">Nav item 3</a></li></ul></nav>`},
		{Name: "without label",
			Options: json.RawMessage(`{"items":[{"text":"Cases","href":"/cases"},{"text":"Audit","href":"/audit","active":true}]}`),
			HTML:    `<nav class="moj-sub-navigation" aria-label="Secondary navigation region"><ul class="moj-sub-navigation__list"><li class="moj-sub-navigation__item"><a class="moj-sub-navigation__link" href="/cases">Cases</a></li><li class="moj-sub-navigation__item"><a class="moj-sub-navigation__link" aria-current="page" href="/audit">Audit</a></li></ul></nav>`},
		{Name: "classes, attributes and html",
			Options: json.RawMessage(`{"classes":"app-sub-nav","attributes":{"id":"subnav","data-test":"a&b"},"items":[{"html":"<strong>Cases</strong>","href":"/cases?x=1&y=2","classes":"app-item","attributes":{"data-item":"1","aria-label":"All cases"}}]}`),
			HTML:    `<nav class="moj-sub-navigation app-sub-nav" aria-label="Secondary navigation region" id="subnav" data-test="a&amp;b"><ul class="moj-sub-navigation__list"><li class="moj-sub-navigation__item app-item"><a class="moj-sub-navigation__link" href="/cases?x=1&amp;y=2" data-item="1" aria-label="All cases"><strong>Cases</strong></a></li></ul></nav>`},
	},
	"timeline": {
		{Name: "default",
			Options: json.RawMessage(`{"items":[{"label":{"text":"Application requires confirmation"},"html":"<p class=\"govuk-body\">Please confirm</p>","datetime":{"timestamp":"2019-06-14T14:01:00.000Z","type":"datetime"},"byline":{"text":"Joe Bloggs"}},{"label":{"text":"Application review in progress"},"text":"Your application is being reviewed.","datetime":{"timestamp":"2019-06-07T12:00:00Z","type":"shortdatetime"},"byline":{"html":"<a href=\"#\">Caseworker 1</a>"}},{"label":{"html":"<em>Received</em>"},"text":"Reference MOJ-1234 <b>x</b>","datetime":{"timestamp":"2019-01-06T09:12:00Z","type":"date"}}]}`),
			HTML:    `<div class="moj-timeline"><div class="moj-timeline__item"><div class="moj-timeline__header"><h2 class="moj-timeline__title">Application requires confirmation</h2><p class="moj-timeline__byline">by Joe Bloggs</p></div><p class="moj-timeline__date"><time datetime="2019-06-14T14:01:00.000Z">14 June 2019 at 3:01pm</time></p><div class="moj-timeline__description"><p class="govuk-body">Please confirm</p></div></div><div class="moj-timeline__item"><div class="moj-timeline__header"><h2 class="moj-timeline__title">Application review in progress</h2><p class="moj-timeline__byline">by<a href="#">Caseworker 1</a></p></div><p class="moj-timeline__date"><time datetime="2019-06-07T12:00:00Z">7 Jun 2019 at 1pm</time></p><div class="moj-timeline__description">Your application is being reviewed.</div></div><div class="moj-timeline__item"><div class="moj-timeline__header"><h2 class="moj-timeline__title"><em>Received</em></h2></div><p class="moj-timeline__date"><time datetime="2019-01-06T09:12:00Z">6 January 2019</time></p><div class="moj-timeline__description">Reference MOJ-1234 &lt;b&gt;x&lt;/b&gt;</div></div></div>`},
		{Name: "date types and heading level",
			Options: json.RawMessage(`{"headingLevel":3,"classes":"app-timeline","attributes":{"data-a":"1"},"items":[{"label":{"text":"Short date"},"text":"a","datetime":{"timestamp":"2024-12-25T23:30:00Z","type":"shortdate"},"classes":"app-item","attributes":{"data-b":"2"}},{"label":{"text":"Time"},"text":"b","datetime":{"timestamp":"2024-07-01T11:00:00+01:00","type":"time"}},{"label":{"text":"No type"},"text":"c","datetime":{"timestamp":"2024-03-31T00:59:59Z"}}]}`),
			HTML:    `<div class="moj-timeline app-timeline" data-a="1"><div class="moj-timeline__item app-item" data-b="2"><div class="moj-timeline__header"><h3 class="moj-timeline__title">Short date</h3></div><p class="moj-timeline__date"><time datetime="2024-12-25T23:30:00Z">25 Dec 2024</time></p><div class="moj-timeline__description">a</div></div><div class="moj-timeline__item"><div class="moj-timeline__header"><h3 class="moj-timeline__title">Time</h3></div><p class="moj-timeline__date"><time datetime="2024-07-01T11:00:00+01:00">11am</time></p><div class="moj-timeline__description">b</div></div><div class="moj-timeline__item"><div class="moj-timeline__header"><h3 class="moj-timeline__title">No type</h3></div><p class="moj-timeline__date"><time datetime="2024-03-31T00:59:59Z">2024-03-31T00:59:59+00:00</time></p><div class="moj-timeline__description">c</div></div></div>`},
	},
	"badge": {
		{Name: "default",
			Options: json.RawMessage(`{"text":"Urgent"}`),
			HTML:    `<span class="moj-badge">Urgent</span>`},
		{Name: "classes, attributes and html",
			Options: json.RawMessage(`{"html":"<b>3</b> new","classes":"moj-badge--red","attributes":{"data-count":"3"}}`),
			HTML:    `<span class="moj-badge moj-badge--red" data-count="3"><b>3</b>new</span>`},
	},
	"alert": {
		{Name: "information",
			Options: json.RawMessage(`{"title":"Information","text":"Something to know"}`),
			HTML:    `<div role="region" class="moj-alert moj-alert--information" aria-label="information: Information" data-module="moj-alert"><div><svg class="moj-alert__icon" role="presentation" focusable="false" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 30 30" height="30" width="30"><path fill-rule="evenodd" clip-rule="evenodd" d="M10.2165 3.45151C11.733 2.82332 13.3585 2.5 15 2.5C16.6415 2.5 18.267 2.82332 19.7835 3.45151C21.3001 4.07969 22.6781 5.00043 23.8388 6.16117C24.9996 7.3219 25.9203 8.69989 26.5485 10.2165C27.1767 11.733 27.5 13.3585 27.5 15C27.5 18.3152 26.183 21.4946 23.8388 23.8388C21.4946 26.183 18.3152 27.5 15 27.5C13.3585 27.5 11.733 27.1767 10.2165 26.5485C8.69989 25.9203 7.3219 24.9996 6.16117 23.8388C3.81696 21.4946 2.5 18.3152 2.5 15C2.5 11.6848 3.81696 8.50537 6.16117 6.16117C7.3219 5.00043 8.69989 4.07969 10.2165 3.45151ZM16.3574 22.4121H13.6621V12.95H16.3574V22.4121ZM13.3789 9.20898C13.3789 8.98763 13.4212 8.7793 13.5059 8.58398C13.5905 8.38216 13.7044 8.20964 13.8477 8.06641C13.9974 7.91667 14.1699 7.79948 14.3652 7.71484C14.5605 7.63021 14.7721 7.58789 15 7.58789C15.2214 7.58789 15.4297 7.63021 15.625 7.71484C15.8268 7.79948 15.9993 7.91667 16.1426 8.06641C16.2923 8.20964 16.4095 8.38216 16.4941 8.58398C16.5788 8.7793 16.6211 8.98763 16.6211 9.20898C16.6211 9.43685 16.5788 9.64844 16.4941 9.84375C16.4095 10.0391 16.2923 10.2116 16.1426 10.3613C15.9993 10.5046 15.8268 10.6185 15.625 10.7031C15.4297 10.7878 15.2214 10.8301 15 10.8301C14.7721 10.8301 14.5605 10.7878 14.3652 10.7031C14.1699 10.6185 13.9974 10.5046 13.8477 10.3613C13.7044 10.2116 13.5905 10.0391 13.5059 9.84375C13.4212 9.64844 13.3789 9.43685 13.3789 9.20898Z" fill="currentColor"/></svg></div><div class="moj-alert__content">Something to know</div><div class="moj-alert__action"><button class="moj-alert__dismiss" hidden>Dismiss</button></div></div>`},
		{Name: "success with heading",
			Options: json.RawMessage(`{"variant":"success","title":"Saved","showTitleAsHeading":true,"headingTag":"h3","html":"<p>The case was <b>saved</b></p>"}`),
			HTML:    `<div role="region" class="moj-alert moj-alert--success moj-alert--with-heading" aria-label="success: Saved" data-module="moj-alert"><div><svg class="moj-alert__icon" role="presentation" focusable="false" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 30 30" height="30" width="30"><path d="M11.2869 24.6726L2.00415 15.3899L4.62189 12.7722L11.2869 19.4186L25.3781 5.32739L27.9958 7.96369L11.2869 24.6726Z" fill="currentColor"/></svg></div><div class="moj-alert__content"><h3 class="moj-alert__heading">Saved</h3><p>The case was<b>saved</b></p></div><div class="moj-alert__action"><button class="moj-alert__dismiss" hidden>Dismiss</button></div></div>`},
		{Name: "warning dismissible",
			Options: json.RawMessage(`{"variant":"warning","title":"Check this","text":"Careful","dismissible":true,"dismissText":"Hide"}`),
			HTML:    `<div role="region" class="moj-alert moj-alert--warning" aria-label="warning: Check this" data-module="moj-alert" data-dismissible="true"><div><svg class="moj-alert__icon" role="presentation" focusable="false" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 30 30" height="30" width="30"><path fill-rule="evenodd" clip-rule="evenodd" d="M15 2.44922L28.75 26.1992H1.25L15 2.44922ZM13.5107 9.49579H16.4697L16.2431 17.7678H13.7461L13.5107 9.49579ZM13.1299 21.82C13.1299 21.5661 13.1787 21.3285 13.2764 21.1071C13.374 20.8793 13.5075 20.6807 13.6768 20.5114C13.8525 20.3421 14.0544 20.2087 14.2822 20.111C14.5101 20.0134 14.7542 19.9645 15.0146 19.9645C15.2686 19.9645 15.5062 20.0134 15.7275 20.111C15.9554 20.2087 16.154 20.3421 16.3232 20.5114C16.4925 20.6807 16.626 20.8793 16.7236 21.1071C16.8213 21.3285 16.8701 21.5661 16.8701 21.82C16.8701 22.0804 16.8213 22.3246 16.7236 22.5524C16.626 22.7803 16.4925 22.9789 16.3232 23.1481C16.154 23.3174 15.9554 23.4509 15.7275 23.5485C15.5062 23.6462 15.2686 23.695 15.0146 23.695C14.7542 23.695 14.5101 23.6462 14.2822 23.5485C14.0544 23.4509 13.8525 23.3174 13.6768 23.1481C13.5075 22.9789 13.374 22.7803 13.2764 22.5524C13.1787 22.3246 13.1299 22.0804 13.1299 21.82Z" fill="currentColor"/></svg></div><div class="moj-alert__content">Careful</div><div class="moj-alert__action"><button class="moj-alert__dismiss" hidden>Hide</button></div></div>`},
		{Name: "error with everything",
			Options: json.RawMessage(`{"variant":"error","title":"Failed","text":"It failed","role":"alert","classes":"app-alert","attributes":{"data-x":"y"},"disableAutoFocus":true,"focusOnDismissSelector":"#main","dismissible":true}`),
			HTML:    `<div role="alert" class="moj-alert moj-alert--error app-alert" aria-label="error: Failed" data-module="moj-alert" data-dismissible="true" data-disable-auto-focus="true" data-focus-on-dismiss-selector="#main" data-x="y"><div><svg class="moj-alert__icon" role="presentation" focusable="false" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 30 30" height="30" width="30"><path fill-rule="evenodd" clip-rule="evenodd" d="M20.1777 2.5H9.82233L2.5 9.82233V20.1777L9.82233 27.5H20.1777L27.5 20.1777V9.82233L20.1777 2.5ZM10.9155 8.87769L15.0001 12.9623L19.0847 8.87771L21.1224 10.9154L17.0378 15L21.1224 19.0846L19.0847 21.1222L15.0001 17.0376L10.9155 21.1223L8.87782 19.0846L12.9624 15L8.87783 10.9153L10.9155 8.87769Z" fill="currentColor"/></svg></div><div class="moj-alert__content">It failed</div><div class="moj-alert__action"><button class="moj-alert__dismiss" hidden>Dismiss</button></div></div>`},
		{Name: "title only",
			Options: json.RawMessage(`{"variant":"success","title":"Done","showTitleAsHeading":true}`),
			HTML:    `<div role="region" class="moj-alert moj-alert--success" aria-label="success: Done" data-module="moj-alert"><div><svg class="moj-alert__icon" role="presentation" focusable="false" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 30 30" height="30" width="30"><path d="M11.2869 24.6726L2.00415 15.3899L4.62189 12.7722L11.2869 19.4186L25.3781 5.32739L27.9958 7.96369L11.2869 24.6726Z" fill="currentColor"/></svg></div><div class="moj-alert__content">Done</div><div class="moj-alert__action"><button class="moj-alert__dismiss" hidden>Dismiss</button></div></div>`},
		{Name: "unknown variant and heading tag",
			Options: json.RawMessage(`{"variant":"other","headingTag":"h1","title":"T","showTitleAsHeading":true,"text":"x"}`),
			HTML:    `<div role="region" class="moj-alert moj-alert--information moj-alert--with-heading" aria-label="information: T" data-module="moj-alert"><div><svg class="moj-alert__icon" role="presentation" focusable="false" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 30 30" height="30" width="30"><path fill-rule="evenodd" clip-rule="evenodd" d="M10.2165 3.45151C11.733 2.82332 13.3585 2.5 15 2.5C16.6415 2.5 18.267 2.82332 19.7835 3.45151C21.3001 4.07969 22.6781 5.00043 23.8388 6.16117C24.9996 7.3219 25.9203 8.69989 26.5485 10.2165C27.1767 11.733 27.5 13.3585 27.5 15C27.5 18.3152 26.183 21.4946 23.8388 23.8388C21.4946 26.183 18.3152 27.5 15 27.5C13.3585 27.5 11.733 27.1767 10.2165 26.5485C8.69989 25.9203 7.3219 24.9996 6.16117 23.8388C3.81696 21.4946 2.5 18.3152 2.5 15C2.5 11.6848 3.81696 8.50537 6.16117 6.16117C7.3219 5.00043 8.69989 4.07969 10.2165 3.45151ZM16.3574 22.4121H13.6621V12.95H16.3574V22.4121ZM13.3789 9.20898C13.3789 8.98763 13.4212 8.7793 13.5059 8.58398C13.5905 8.38216 13.7044 8.20964 13.8477 8.06641C13.9974 7.91667 14.1699 7.79948 14.3652 7.71484C14.5605 7.63021 14.7721 7.58789 15 7.58789C15.2214 7.58789 15.4297 7.63021 15.625 7.71484C15.8268 7.79948 15.9993 7.91667 16.1426 8.06641C16.2923 8.20964 16.4095 8.38216 16.4941 8.58398C16.5788 8.7793 16.6211 8.98763 16.6211 9.20898C16.6211 9.43685 16.5788 9.64844 16.4941 9.84375C16.4095 10.0391 16.2923 10.2116 16.1426 10.3613C15.9993 10.5046 15.8268 10.6185 15.625 10.7031C15.4297 10.7878 15.2214 10.8301 15 10.8301C14.7721 10.8301 14.5605 10.7878 14.3652 10.7031C14.1699 10.6185 13.9974 10.5046 13.8477 10.3613C13.7044 10.2116 13.5905 10.0391 13.5059 9.84375C13.4212 9.64844 13.3789 9.43685 13.3789 9.20898Z" fill="currentColor"/></svg></div><div class="moj-alert__content"><h2 class="moj-alert__heading">T</h2>x</div><div class="moj-alert__action"><button class="moj-alert__dismiss" hidden>Dismiss</button></div></div>`},
	},
}

// Our ports of the Design System and MOJ components produce the markup of the packages' own
// fixtures, with the params decoded from the fixture's options.
func TestComponentsMatchDesignSystemFixtures(t *testing.T) {
	tmpl := parseComponents(t)
	for _, c := range componentCases {
		t.Run(c.component, func(t *testing.T) {
			fixtures := c.fixtures(t)
			checkSkips(t, fixtures, c.skip)
			tested := 0
			for _, fx := range fixtures {
				if _, ok := c.skip[fx.Name]; ok {
					continue
				}
				tested++
				params, err := c.decode(fx.Options)
				if err != nil {
					t.Errorf("%q: options: %v", fx.Name, err)
					continue
				}
				var buf bytes.Buffer
				if err := tmpl.ExecuteTemplate(&buf, c.template, params); err != nil {
					t.Errorf("%q: %v", fx.Name, err)
					continue
				}
				if got, want := normaliseHTML(buf.String()), normaliseHTML(fx.HTML); got != want {
					t.Errorf("%q:\n got: %s\nwant: %s", fx.Name, got, want)
				}
			}
			t.Logf("%d of %d fixtures tested", tested, len(fixtures))
		})
	}
}

func checkSkips(t *testing.T, fixtures []designFixture, skip map[string]string) {
	t.Helper()
	names := map[string]bool{}
	for _, fx := range fixtures {
		names[fx.Name] = true
	}
	for name := range skip {
		if !names[name] {
			t.Errorf("skipped fixture %q does not exist", name)
		}
	}
}

// Building params with the constructor funcs, with dotted keys, gives the same markup as
// decoding the options: run over every fixture, this checks that every option the fixtures use
// works through the constructors. (TestConstructorFuncs calls them from a template.)
func TestConstructorsMatchFixtures(t *testing.T) {
	tmpl := parseComponents(t)
	for _, c := range componentCases {
		t.Run(c.component, func(t *testing.T) {
			build := reflect.ValueOf(Funcs()[c.template])
			for _, fx := range c.fixtures(t) {
				if _, ok := c.skip[fx.Name]; ok {
					continue
				}
				args, err := flatten(fx.Options)
				if err != nil {
					t.Fatalf("%q: %v", fx.Name, err)
				}
				in := make([]reflect.Value, len(args))
				for i, a := range args {
					in[i] = reflect.ValueOf(&a).Elem()
				}
				out := build.Call(in)
				if err, _ := out[1].Interface().(error); err != nil {
					t.Errorf("%q: %v", fx.Name, err)
					continue
				}
				var buf bytes.Buffer
				if err := tmpl.ExecuteTemplate(&buf, c.template, out[0].Interface()); err != nil {
					t.Errorf("%q: %v", fx.Name, err)
					continue
				}
				if got, want := normaliseHTML(buf.String()), normaliseHTML(fx.HTML); got != want {
					t.Errorf("%q:\n got: %s\nwant: %s", fx.Name, got, want)
				}
			}
		})
	}
}

// flatten turns fixture options into constructor arguments: objects become dotted keys, html
// options become template.HTML (as our code would pass them), and lists, attributes and plural
// translations are passed whole, as raw JSON so their order is kept.
func flatten(raw json.RawMessage) ([]any, error) {
	var out []any
	var walk func(prefix string, raw json.RawMessage) error
	walk = func(prefix string, raw json.RawMessage) error {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return err
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := obj[k]
			key := prefix + k
			switch {
			case strings.Contains(k, "."):
				return fmt.Errorf("option %q has a dot", key)
			case k == "attributes" || strings.HasSuffix(k, "Text") && v[0] == '{' || v[0] == '[':
				out = append(out, key, v)
			case v[0] == '{' && string(v) != "{}":
				if err := walk(key+".", v); err != nil {
					return err
				}
			case k == "html" || strings.HasSuffix(k, "Html"):
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					return err
				}
				out = append(out, key, template.HTML(s))
			default:
				var x any
				if err := json.Unmarshal(v, &x); err != nil {
					return err
				}
				out = append(out, key, x)
			}
		}
		return nil
	}
	return out, walk("", raw)
}

// The constructors build the same params as Go code does, including from nested dotted keys
// and inline lists and dicts.
func TestConstructorFuncs(t *testing.T) {
	tmpl := parseComponents(t)
	page := parsePage(t,
		`{{template "govukInput" (govukInput "id" "email" "name" "email" "type" "email" "autocomplete" "email" "spellcheck" false
			"label.text" "Email address" "label.classes" "govuk-label--m" "hint.text" .Hint
			"errorMessage.text" (index .Errors "email") "value" .Email "attributes.data-test" "x")}}`)
	spellcheck := false
	want := input{control: control{field: field{ID: "email", Name: "email",
		Label: &label{Content: Content{Text: "Email address"}, Classes: "govuk-label--m"}, Attributes: attributes{{Name: "data-test", Value: "x"}}}},
		Type: "email", Autocomplete: "email", Spellcheck: &spellcheck, Value: "a@example.com"}

	// An empty hint or error message text leaves it out.
	got := renderComponent(t, page, "page", map[string]any{"Hint": "", "Errors": map[string]string{}, "Email": "a@example.com"})
	if exp := renderComponent(t, tmpl, "govukInput", want); got != exp {
		t.Errorf("constructor:\n got: %s\nwant: %s", got, exp)
	}
	if strings.Contains(got, "govuk-error-message") || strings.Contains(got, "govuk-hint") || strings.Contains(got, "aria-describedby") {
		t.Errorf("empty error message or hint rendered: %s", got)
	}

	// Non-empty, they are rendered and described.
	got = renderComponent(t, page, "page", map[string]any{"Hint": "We reply here", "Errors": map[string]string{"email": "Enter an email address"}, "Email": "a@example.com"})
	want.Hint = &hint{Content: Content{Text: "We reply here"}}
	want.ErrorMessage = &errorMessage{Content: Content{Text: "Enter an email address"}}
	if exp := renderComponent(t, tmpl, "govukInput", want); got != exp {
		t.Errorf("constructor with error:\n got: %s\nwant: %s", got, exp)
	}
	if !strings.Contains(got, `aria-describedby="email-hint email-error"`) {
		t.Errorf("error and hint not described: %s", got)
	}

	// Items built inline with list and dict, with dotted keys inside dict.
	radiosPage := parsePage(t,
		`{{template "govukRadios" (govukRadios "name" "access" "fieldset.legend.text" "Access" "value" "read-write"
			"items" (list (dict "value" "read" "text" "Read only") (dict "value" "read-write" "text" "Read and write" "hint.text" "Can change" "conditional.html" .More)))}}`)
	gotRadios := renderComponent(t, radiosPage, "page", map[string]any{"More": template.HTML("<p>more</p>")})
	wantRadios := renderComponent(t, tmpl, "govukRadios", radios{choiceFields: choiceFields{fields: fields{Fieldset: &fieldset{Legend: &legend{Content: Content{Text: "Access"}}}}, Name: "access",
		Items: []*choiceItem{{Value: "read", Content: Content{Text: "Read only"}}, {Value: "read-write", Content: Content{Text: "Read and write"}, Hint: &hint{Content: Content{Text: "Can change"}}, Conditional: &Content{HTML: "<p>more</p>"}}}}, Value: "read-write"})
	if gotRadios != wantRadios {
		t.Errorf("radios:\n got: %s\nwant: %s", gotRadios, wantRadios)
	}
	if !strings.Contains(gotRadios, `value="read-write" checked`) {
		t.Errorf("value does not check its radio: %s", gotRadios)
	}

	// Params built in Go go through a constructor unchanged, attributes in order.
	passPage := parsePage(t, `{{template "govukButton" (govukButton "text" "Go" "attributes" .)}}`)
	attrs := attributes{{Name: "data-z", Value: "1"}, {Name: "data-a", Value: "2"}, {Name: "hidden", Bare: true}}
	if got := renderComponent(t, passPage, "page", attrs); !strings.Contains(got, `data-z="1" data-a="2" hidden>`) {
		t.Errorf("attributes through a constructor: %s", got)
	}
}

// A mistake in the params fails the render, so the page becomes an error, rather than
// rendering a component without the option.
func TestConstructorErrors(t *testing.T) {
	for _, tc := range []struct{ name, call string }{
		{"unknown key", `govukInput "name" "x" "lable.text" "Email"`},
		{"unknown nested key", `govukInput "name" "x" "label.txt" "Email"`},
		{"odd arguments", `govukInput "name"`},
		{"key not a string", `govukInput 1 "x"`},
		{"wrong type", `govukInput "name" "x" "spellcheck" "yes"`},
		{"key twice", `govukInput "name" "x" "name" "y"`},
		{"object and value", `govukInput "label" "x" "label.text" "y"`},
		{"empty segment", `govukInput "label..text" "x"`},
		{"html as string", `govukInput "name" "x" "hint.html" "<b>hi</b>"`},
		{"html in dict as string", `govukRadios "name" "x" "items" (list (dict "value" "a" "html" "<b>a</b>"))`},
		{"bad item key", `govukRadios "name" "x" "items" (list (dict "value" "a" "txt" "A"))`},
		{"event handler attribute", `govukButton "text" "x" "attributes" (dict "onclick" "alert(1)")`},
		{"url attribute", `govukButton "text" "x" "attributes" (dict "formaction" "javascript:alert(1)")`},
		{"style attribute", `govukButton "text" "x" "attributes" (dict "style" "x")`},
		{"bad attribute name", `govukButton "text" "x" "attributes" (dict "a b" "x")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.Fields(tc.call)[0]
			page := parsePage(t, `{{template "`+name+`" (`+tc.call+`)}}`)
			var buf bytes.Buffer
			if err := page.Execute(&buf, nil); err == nil {
				t.Errorf("rendered: %s", buf.String())
			}
		})
	}

	// And a nil value leaves the option out.
	page := parsePage(t, `{{template "govukInput" (govukInput "name" "x" "label.text" .Missing)}}`)
	if got := renderComponent(t, page, "page", map[string]any{}); strings.Contains(got, "<label") {
		t.Errorf("nil label text rendered a label: %s", got)
	}
}

// Every component has a constructor of its name, and the templates need no funcs of their own
// (so they parse with the page FuncMap whatever it holds).
func TestEveryComponentHasAConstructor(t *testing.T) {
	tmpl, err := template.ParseFS(templates, "components.html")
	if err != nil {
		t.Fatalf("components.html needs funcs: %v", err)
	}
	funcs := Funcs()
	for _, tt := range tmpl.Templates() {
		name := tt.Name()
		if strings.HasPrefix(name, "govuk") || strings.HasPrefix(name, "moj") {
			if funcs[name] == nil {
				t.Errorf("no constructor for %s", name)
			}
		}
	}
	for name := range funcs {
		if name != "list" && name != "dict" && tmpl.Lookup(name) == nil {
			t.Errorf("constructor %s has no template", name)
		}
	}
}

const payload = `<script>alert("x")</script>`

// fill sets every text option of v to the payload (and every boolean to on), recursing into
// nested options and giving each list one item. HTML options are left empty: they are ours.
// Attribute values get the payload too; attribute names are ours.
func fill(v reflect.Value, on bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.Type() == reflect.TypeFor[*bool]() {
			v.Set(reflect.ValueOf(&on))
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), on)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			// With booleans off, also take the other branch of items that are either a
			// divider or a choice, a link or plain text. Embedded option structs (field,
			// control, fields...) are filled too.
			if (f.IsExported() || f.Anonymous) && (on || f.Name != "Divider" && f.Name != "Href") {
				fill(v.Field(i), on)
			}
		}
	case reflect.Slice:
		switch v.Type() {
		case reflect.TypeFor[attributes]():
			v.Set(reflect.ValueOf(attributes{{Name: "data-x", Value: payload}}))
			return
		case reflect.TypeFor[plurals]():
			v.Set(reflect.ValueOf(plurals{{Name: "other", Value: payload}}))
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), on)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for _, k := range []string{"other", "day", "month", "year"} {
			v.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), reflect.ValueOf(payload).Convert(v.Type().Elem()))
		}
	case reflect.String:
		if v.Type() != reflect.TypeFor[template.HTML]() {
			v.SetString(payload)
		}
	case reflect.Bool:
		v.SetBool(on)
	}
}

// Text from users is escaped wherever it lands in any component.
func TestComponentsEscapeText(t *testing.T) {
	tmpl := parseComponents(t)
	for _, c := range componentCases {
		for _, on := range []bool{true, false} {
			params, err := c.decode([]byte("{}"))
			if err != nil {
				t.Fatal(err)
			}
			p := reflect.New(reflect.TypeOf(params)).Elem()
			fill(p, on)
			out := renderComponent(t, tmpl, c.template, p.Interface())
			if strings.Contains(strings.ToLower(out), "<script") {
				t.Errorf("%s (booleans %v) has unescaped text: %s", c.template, on, out)
			}
			if !strings.Contains(out, "&lt;script&gt;") {
				t.Errorf("%s (booleans %v) shows no text at all: %s", c.template, on, out)
			}
		}
	}
}
