package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
	"golang.org/x/net/html"
)

// minimalPDF is a PDF as far as the type check is concerned: it starts with %PDF-.
var minimalPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// guidanceDraftForm is the draft form of the pages, filled in.
func guidanceDraftForm(title, body string) url.Values {
	return url.Values{"title": {title}, "summary": {"What to do about " + title}, "body": {body}, "category": {"investigation"},
		"tags": {"nail bars, county lines"}, "classification": {"OFFICIAL"}, "audience_scope": {guidance.GuidanceAudienceEveryone},
		"options": {"requires_ack"}}
}

// newGuidanceApp builds the app with guidance's four eyes and a reader: an editor who drafts, an
// approver who publishes and an officer who reads.
func newGuidanceApp(t *testing.T) (a *apitest.App, editor, approver, officer *apitest.User) {
	t.Helper()
	a = apitest.New(t)
	return a, a.As(t, policies.RoleGuidanceEditor), a.As(t, policies.RoleGuidanceApprover), a.As(t, policies.RoleOfficer)
}

// idFrom reads the id at the end of a redirect to /guidance/versions/:id or /guidance/documents/:id.
func idFrom(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	m := regexp.MustCompile(`^/guidance/(?:versions|documents)/(\d+)`).FindStringSubmatch(w.Header().Get("Location"))
	if w.Code != http.StatusSeeOther || m == nil {
		t.Fatalf("want a redirect to guidance, got %d %q\n%s", w.Code, w.Header().Get("Location"), w.Body.String())
	}
	return m[1]
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", w.Body.String(), err)
	}
	return v
}

// The library journey through the pages, as a browser without JavaScript: an editor drafts with
// an attachment and sends it for approval, an approver publishes it, an officer finds it by a
// word of its text, reads it, downloads the attachment and acknowledges it; every step is
// audited.
func TestGuidanceJourneyThroughPages(t *testing.T) {
	a, editor, approver, officer := newGuidanceApp(t)

	eb := editor.Browser()
	if w := eb.Get(t, "/guidance/new"); w.Code != 200 || !strings.Contains(w.Body.String(), "Draft new guidance") {
		t.Fatalf("new guidance form: %d", w.Code)
	}
	bad := guidanceDraftForm("", "text")
	if w := eb.Submit(t, "/guidance/new", bad); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `href="#title"`) {
		t.Errorf("draft without a title: %d", w.Code)
	}
	vid := idFrom(t, eb.Submit(t, "/guidance/new", guidanceDraftForm("Nail bar inspections", "Check the **rota** for the word quagmire.")))
	eb.Get(t, "/guidance/versions/"+vid)
	w := eb.Upload(t, "/guidance/versions/"+vid+"/attachments", nil, apitest.File{Field: "file", Name: "checklist.pdf", Body: bytes.NewReader(minimalPDF)})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("attach: %d %s", w.Code, w.Body.String())
	}
	page := eb.Get(t, "/guidance/versions/"+vid).Body.String()
	att := regexp.MustCompile(`href="/guidance/attachments/(\d+)"`).FindStringSubmatch(page)
	if att == nil || !strings.Contains(page, "checklist.pdf") {
		t.Fatalf("the version page lists no attachment:\n%s", page)
	}
	if w := eb.Submit(t, "/guidance/versions/"+vid+"/submit", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", w.Code, w.Body.String())
	}
	// The officer cannot see it yet, anywhere.
	ob := officer.Browser()
	if w := ob.Get(t, "/guidance/versions/"+vid); w.Code != http.StatusNotFound {
		t.Errorf("officer opens the submitted version: %d", w.Code)
	}
	if w := ob.Get(t, "/guidance/search?q=quagmire"); w.Code != 200 || strings.Contains(w.Body.String(), "Nail bar inspections") {
		t.Errorf("officer finds the submitted version: %d", w.Code)
	}
	if w := ob.Get(t, "/guidance/attachments/"+att[1]); w.Code != http.StatusNotFound {
		t.Errorf("officer downloads the draft's attachment: %d", w.Code)
	}

	ab := approver.Browser()
	vpage := ab.Get(t, "/guidance/versions/"+vid)
	if vpage.Code != 200 || !strings.Contains(vpage.Body.String(), `action="/guidance/versions/`+vid+`/publish"`) {
		t.Fatalf("approver's version page: %d", vpage.Code)
	}
	seen := seenSubmission(t, vpage.Body.String())
	if w := ab.Submit(t, "/guidance/versions/"+vid+"/return", url.Values{"comment": {""}}); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `href="#comment"`) {
		t.Errorf("return without a comment: %d", w.Code)
	}
	doc := idFrom(t, ab.Submit(t, "/guidance/versions/"+vid+"/publish", seen))

	// The officer searches a word of the body, reads, downloads and acknowledges.
	res := ob.Get(t, "/guidance/search?q=quagmire").Body.String()
	if !strings.Contains(res, `href="/guidance/documents/`+doc+`"`) || !strings.Contains(res, "<mark>quagmire</mark>") {
		t.Fatalf("search results:\n%s", res)
	}
	home := ob.Get(t, "/guidance").Body.String()
	if !strings.Contains(home, "Guidance you need to acknowledge") || !strings.Contains(home, "Nail bar inspections") {
		t.Errorf("the library home does not ask for the acknowledgement:\n%s", home)
	}
	w = ob.Get(t, "/guidance/documents/"+doc)
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "<strong>rota</strong>") || strings.Count(body, "Protective marking: </span>OFFICIAL") != 2 {
		t.Fatalf("document page: %d\n%s", w.Code, body)
	}
	dl := ob.Get(t, "/guidance/attachments/"+att[1])
	if dl.Code != 200 || !bytes.Equal(dl.Body.Bytes(), minimalPDF) {
		t.Fatalf("download: %d, %d bytes", dl.Code, dl.Body.Len())
	}
	for h, want := range map[string]string{"Content-Type": "application/pdf", "X-Content-Type-Options": "nosniff",
		"Content-Disposition": `attachment; filename="OFFICIAL - checklist.pdf"; filename*=UTF-8''OFFICIAL%20-%20checklist.pdf`} {
		if got := dl.Header().Get(h); got != want {
			t.Errorf("download %s: %q, want %q", h, got, want)
		}
	}
	if w := ob.Submit(t, "/guidance/documents/"+doc+"/acknowledge", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d", w.Code)
	}
	if body := ob.Get(t, "/guidance/documents/"+doc).Body.String(); !strings.Contains(body, "You confirmed you had read this guidance") {
		t.Error("the document page does not show the acknowledgement")
	}
	for action, who := range map[string]int64{"guidance.create": editor.ID, "guidance.attachment_add": editor.ID, "guidance.submit": editor.ID,
		"guidance.publish": approver.ID, "guidance.attachment_download": officer.ID, "guidance.acknowledge": officer.ID} {
		if n := auditCount(t, a, "action = ? AND actor_id = ?", action, who); n != 1 {
			t.Errorf("%d %s events by user %d, want 1", n, action, who)
		}
	}
	// The history shows both people and the dates; the supervisor sees the acknowledgement.
	hist := ob.Get(t, "/guidance/documents/"+doc+"/history").Body.String()
	if !strings.Contains(hist, "Version 1 published") || !strings.Contains(hist, approver.Name) || !strings.Contains(hist, editor.Name) {
		t.Errorf("history:\n%s", hist)
	}
	sup := a.As(t, policies.RoleSupervisor)
	rep := sup.Browser().Get(t, "/guidance/acknowledgements/"+doc).Body.String()
	if !strings.Contains(rep, officer.Name) || !strings.Contains(rep, "Not yet") {
		t.Errorf("acknowledgement report:\n%s", rep)
	}
}

// publishedGuidance drafts, submits and publishes guidance through the API, with an attachment,
// and returns the document and version IDs and the attachment's ID.
func publishedGuidance(t *testing.T, a *apitest.App, editor, approver *apitest.User, in guidance.GuidanceInput) (doc, version, attachment string) {
	t.Helper()
	b, _ := json.Marshal(in)
	w := a.API(t, editor, "POST", "/api/v1/guidance/documents", string(b))
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body.String())
	}
	v := decode[guidance.GuidanceVersion](t, w)
	version, doc = strconv.FormatInt(v.ID, 10), strconv.FormatInt(v.DocumentID, 10)
	up := a.UploadAPI(t, editor.Token(t, identity.ScopeReadWrite), "/api/v1/guidance/versions/"+version+"/attachments", nil,
		apitest.File{Field: "file", Name: in.Title + ".pdf", Body: bytes.NewReader(minimalPDF)})
	if up.Code != http.StatusCreated {
		t.Fatalf("attach: %d %s", up.Code, up.Body.String())
	}
	atts := decode[struct {
		Attachments []guidance.GuidanceAttachment `json:"attachments"`
	}](t, up)
	attachment = strconv.FormatInt(atts.Attachments[0].ID, 10)
	if w := a.API(t, editor, "POST", "/api/v1/guidance/versions/"+version+"/submit", ""); w.Code != 200 {
		t.Fatalf("submit: %d %s", w.Code, w.Body.String())
	}
	if w := a.API(t, approver, "POST", "/api/v1/guidance/versions/"+version+"/publish", ""); w.Code != 200 {
		t.Fatalf("publish: %d %s", w.Code, w.Body.String())
	}
	return doc, version, attachment
}

// A reader outside the audience, or without clearance for OFFICIAL-SENSITIVE, gets nothing:
// not from the list, search, categories, outstanding list, document, version, history, diff or
// attachment, through the pages or the API, and the answer never names the document.
func TestGuidanceNothingLeaks(t *testing.T) {
	a := apitest.New(t)
	editor := a.As(t, policies.RoleGuidanceEditor)
	approver := a.As(t, policies.RoleGuidanceApprover)

	sensitive := guidance.GuidanceInput{Title: "Covert tactics zebra", Summary: "Only for the cleared", Body: "The word is xylophone.",
		Category: "investigation", Classification: "OFFICIAL-SENSITIVE", RequiresAck: true,
		Audience: guidance.GuidanceAudience{Scope: guidance.GuidanceAudienceEveryone}}
	kentOnly := guidance.GuidanceInput{Title: "Kent ports walrus", Summary: "For Kent", Body: "The word is xylophone.",
		Category: "investigation", Classification: "OFFICIAL", RequiresAck: true,
		Audience: guidance.GuidanceAudience{Scope: guidance.GuidanceAudienceOrganisations, Organisations: []int64{a.Org(t, "kent-police")}}}
	type secret struct {
		name                 string
		doc, version, attach string
		nextVersion          string
	}
	var secrets []*secret
	for _, in := range []guidance.GuidanceInput{sensitive, kentOnly} {
		s := &secret{name: in.Title}
		s.doc, s.version, s.attach = publishedGuidance(t, a, editor, approver, in)
		// A second version, so there is a diff to ask for.
		w := a.API(t, editor, "POST", "/api/v1/guidance/documents/"+s.doc+"/versions", "")
		if w.Code != http.StatusCreated {
			t.Fatalf("start version: %d %s", w.Code, w.Body.String())
		}
		nv := decode[guidance.GuidanceVersion](t, w)
		s.nextVersion = strconv.FormatInt(nv.ID, 10)
		a.API(t, editor, "POST", "/api/v1/guidance/versions/"+s.nextVersion+"/submit", "")
		if w := a.API(t, approver, "POST", "/api/v1/guidance/versions/"+s.nextVersion+"/publish", ""); w.Code != 200 {
			t.Fatalf("publish version 2: %d %s", w.Code, w.Body.String())
		}
		secrets = append(secrets, s)
	}
	unvetted := a.SignedIn(t, apitest.UserSpec{Roles: []string{policies.RoleOfficer}, Vetting: core.VettingNone})
	home := a.As(t, policies.RoleOfficer) // in the audience of neither Kent's document nor... but cleared
	kent := a.SignedIn(t, apitest.UserSpec{Org: "kent-police", Roles: []string{policies.RoleOfficer}})

	cases := []struct {
		who     *apitest.User
		name    string
		hidden  []*secret
		visible []*secret
	}{
		{unvetted, "officer without clearance", []*secret{secrets[0], secrets[1]}, nil},
		{home, "officer outside Kent", []*secret{secrets[1]}, []*secret{secrets[0]}},
		{kent, "Kent officer", nil, []*secret{secrets[0], secrets[1]}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.who.Browser()
			lists := map[string]string{
				"library home":     b.Get(t, "/guidance").Body.String(),
				"browse page":      b.Get(t, "/guidance/search").Body.String(),
				"search page":      b.Get(t, "/guidance/search?q=xylophone").Body.String(),
				"API list":         a.API(t, c.who, "GET", "/api/v1/guidance/documents", "").Body.String(),
				"API search":       a.API(t, c.who, "GET", "/api/v1/guidance/search?q=xylophone", "").Body.String(),
				"API outstanding":  a.API(t, c.who, "GET", "/api/v1/guidance/outstanding", "").Body.String(),
				"API categories":   a.API(t, c.who, "GET", "/api/v1/guidance/categories", "").Body.String(),
				"category browser": b.Get(t, "/guidance/search?category=investigation").Body.String(),
			}
			for what, body := range lists {
				for _, s := range c.hidden {
					if strings.Contains(body, s.name) || strings.Contains(body, "/guidance/documents/"+s.doc+`"`) {
						t.Errorf("%s shows %q", what, s.name)
					}
				}
				for _, s := range c.visible {
					if what != "API categories" && what != "library home" && !strings.Contains(body, s.name) {
						t.Errorf("%s does not show %q", what, s.name)
					}
				}
			}
			var cats struct {
				Categories []guidance.GuidanceCategoryCount `json:"categories"`
			}
			json.Unmarshal([]byte(lists["API categories"]), &cats)
			for _, cat := range cats.Categories {
				if cat.Slug == "investigation" && cat.Documents != int64(len(c.visible)) {
					t.Errorf("the investigation category counts %d documents, want %d", cat.Documents, len(c.visible))
				}
			}
			for _, s := range c.hidden {
				diff := "/diff?from=" + s.version + "&to=" + s.nextVersion
				for _, path := range []string{"/guidance/documents/" + s.doc, "/guidance/documents/" + s.doc + "/history",
					"/guidance/documents/" + s.doc + diff, "/guidance/versions/" + s.version, "/guidance/versions/" + s.nextVersion,
					"/guidance/attachments/" + s.attach, "/guidance/acknowledgements/" + s.doc} {
					w := b.Get(t, path)
					if w.Code != http.StatusNotFound && !(strings.HasPrefix(path, "/guidance/acknowledgements/") && w.Code == http.StatusForbidden) {
						t.Errorf("page %s: %d, want 404", path, w.Code)
					}
					if strings.Contains(w.Body.String(), s.name) {
						t.Errorf("page %s names the document", path)
					}
				}
				for _, path := range []string{"/api/v1/guidance/documents/" + s.doc, "/api/v1/guidance/documents/" + s.doc + "/versions",
					"/api/v1/guidance/documents/" + s.doc + diff, "/api/v1/guidance/versions/" + s.version,
					"/api/v1/guidance/attachments/" + s.attach} {
					w := a.API(t, c.who, "GET", path, "")
					if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), s.name) {
						t.Errorf("API %s: %d %s, want 404 naming nothing", path, w.Code, w.Body.String())
					}
				}
				if w := a.API(t, c.who, "POST", "/api/v1/guidance/documents/"+s.doc+"/acknowledge", ""); w.Code != http.StatusNotFound {
					t.Errorf("acknowledge a hidden document: %d", w.Code)
				}
			}
			for _, s := range c.visible {
				for _, path := range []string{"/guidance/documents/" + s.doc, "/guidance/documents/" + s.doc + "/diff?from=" + s.version + "&to=" + s.nextVersion,
					"/guidance/attachments/" + s.attach} {
					if w := b.Get(t, path); w.Code != 200 {
						t.Errorf("page %s: %d, want 200", path, w.Code)
					}
				}
			}
		})
	}
	// What readers see is marked: the OFFICIAL-SENSITIVE page top and bottom, its file by name.
	page := kent.Browser().Get(t, "/guidance/documents/"+secrets[0].doc).Body.String()
	if strings.Count(page, `app-classification--sensitive`) != 2 {
		t.Error("the OFFICIAL-SENSITIVE document is not marked top and bottom")
	}
	dl := kent.Browser().Get(t, "/guidance/attachments/"+secrets[0].attach)
	if cd := dl.Header().Get("Content-Disposition"); !strings.Contains(cd, `filename="OFFICIAL-SENSITIVE - Covert tactics zebra.pdf"`) {
		t.Errorf("download of OFFICIAL-SENSITIVE attachment named %q", cd)
	}
	if search := kent.Browser().Get(t, "/guidance/search?q=xylophone").Body.String(); strings.Count(search, "app-classification--sensitive") != 2 {
		t.Error("search results including OFFICIAL-SENSITIVE guidance are not marked OFFICIAL-SENSITIVE")
	}
	s := secrets[0]
	for _, path := range []string{"/guidance", "/guidance/search", "/guidance/documents/" + s.doc + "/history", "/guidance/versions/" + s.version,
		"/guidance/versions/" + s.nextVersion, "/guidance/documents/" + s.doc + "/diff?from=" + s.version + "&to=" + s.nextVersion} {
		if page := kent.Browser().Get(t, path).Body.String(); strings.Count(page, "app-classification--sensitive") != 2 {
			t.Errorf("%s shows OFFICIAL-SENSITIVE guidance but is not marked so top and bottom", path)
		}
	}
	// The editor's pages too, and the form that brings back what they typed.
	eb := editor.Browser()
	for _, path := range []string{"/guidance/documents/" + s.doc, "/guidance/documents/" + s.doc + "/history"} {
		if page := eb.Get(t, path).Body.String(); strings.Count(page, "app-classification--sensitive") != 2 {
			t.Errorf("editor's %s is not marked OFFICIAL-SENSITIVE top and bottom", path)
		}
	}
	eb.Get(t, "/guidance/new")
	form := guidanceDraftForm("", "Sensitive words")
	form.Set("classification", "OFFICIAL-SENSITIVE")
	if w := eb.Submit(t, "/guidance/new", form); w.Code != http.StatusUnprocessableEntity || strings.Count(w.Body.String(), "app-classification--sensitive") != 2 {
		t.Errorf("the draft form sent back with OFFICIAL-SENSITIVE text is not marked so: %d", w.Code)
	}
}

// Markdown arrives on the page formatted, with every script, handler and javascript: link
// gone.
func TestGuidanceMarkdownNeutralisedOnThePage(t *testing.T) {
	a := apitest.New(t)
	editor := a.As(t, policies.RoleGuidanceEditor)
	approver := a.As(t, policies.RoleGuidanceApprover)
	in := guidance.GuidanceInput{Title: "Hostile", Summary: "Testing", Category: "legal", Classification: "OFFICIAL",
		Audience: guidance.GuidanceAudience{Scope: guidance.GuidanceAudienceEveryone},
		Body: "## Steps\n\n<script>alert('body')</script>\n\n[Report](javascript:alert('link'))\n\n<img src=x onerror=alert('img')>\n\n" +
			"<a href=\"javascript:alert('raw')\" onclick=\"alert('raw')\">raw</a>\n\nSafe [GOV.UK](https://www.gov.uk/) link."}
	doc, _, _ := publishedGuidance(t, a, editor, approver, in)
	page := a.As(t, policies.RoleOfficer).Browser().Get(t, "/guidance/documents/"+doc).Body.String()
	main := page[strings.Index(page, `<main`):strings.Index(page, `</main>`)]
	z := html.NewTokenizer(strings.NewReader(main))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "img", "iframe", "style", "object", "embed":
			t.Errorf("the page holds a %s element:\n%s", tok.Data, main)
		}
		for _, at := range tok.Attr {
			if strings.HasPrefix(at.Key, "on") || strings.Contains(strings.ToLower(at.Val), "javascript:") {
				t.Errorf("the page holds %s=%q on a %s", at.Key, at.Val, tok.Data)
			}
		}
	}
	for _, good := range []string{`<h3 class="govuk-heading-m">Steps</h3>`, `href="https://www.gov.uk/"`} {
		if !strings.Contains(main, good) {
			t.Errorf("the page lacks %s", good)
		}
	}
}

// Attachments are judged by their bytes: a program renamed to .pdf is refused and leaves
// nothing behind; an oversized file is refused with 413.
func TestGuidanceAttachmentTypeFromContent(t *testing.T) {
	a := apitest.New(t)
	editor := a.As(t, policies.RoleGuidanceEditor)
	w := a.API(t, editor, "POST", "/api/v1/guidance/documents", `{"title":"Files","summary":"s","body":"b","category":"legal","classification":"OFFICIAL","audience":{"scope":"everyone"}}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body.String())
	}
	vid := strconv.FormatInt(decode[guidance.GuidanceVersion](t, w).ID, 10)

	// The first bytes of the running test binary: a real ELF header.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	elf := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, elf)
	f.Close()
	elf = elf[:n]
	pe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0}, 44)...)
	pe = append(pe, 0x80, 0, 0, 0) // e_lfanew: the PE header at 0x80
	pe = append(pe, bytes.Repeat([]byte{0}, 0x80-len(pe))...)
	pe = append(pe, []byte("PE\x00\x00\x4c\x01\x03\x00")...)
	pe = append(pe, bytes.Repeat([]byte{0}, 512)...)

	blobs := func() int64 {
		var n int64
		a.DB.Gorm().Table("blobs").Count(&n)
		return n
	}
	before := blobs()
	token := editor.Token(t, identity.ScopeReadWrite)
	for name, body := range map[string][]byte{"ELF": elf, "PE": pe, "HTML": []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")} {
		w := a.UploadAPI(t, token, "/api/v1/guidance/versions/"+vid+"/attachments", nil, apitest.File{Field: "file", Name: "guidance.pdf", Body: bytes.NewReader(body)})
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "whatever its name says") {
			t.Errorf("%s named guidance.pdf: %d %s", name, w.Code, w.Body.String())
		}
	}
	// Through the page, the refusal shows at the file input.
	b := editor.Browser()
	b.Get(t, "/guidance/versions/"+vid)
	w = b.Upload(t, "/guidance/versions/"+vid+"/attachments", nil, apitest.File{Field: "file", Name: "guidance.pdf", Body: bytes.NewReader(elf)})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `href="#file"`) || !strings.Contains(w.Body.String(), "a program") {
		t.Errorf("renamed program through the page: %d", w.Code)
	}
	big := io.MultiReader(bytes.NewReader(minimalPDF), io.LimitReader(zeros{}, 11<<20))
	w = a.UploadAPI(t, token, "/api/v1/guidance/versions/"+vid+"/attachments", nil, apitest.File{Field: "file", Name: "big.pdf", Body: big})
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("an 11 MiB file with a 10 MiB limit: %d %s", w.Code, w.Body.String())
	}
	if after := blobs(); after != before {
		t.Errorf("refused uploads left %d blob rows", after-before)
	}
	var atts int64
	a.DB.Gorm().Table("guidance_attachments").Count(&atts)
	if atts != 0 {
		t.Errorf("refused uploads left %d attachments", atts)
	}
	w = a.UploadAPI(t, token, "/api/v1/guidance/versions/"+vid+"/attachments", nil, apitest.File{Field: "file", Name: "real.pdf", Body: bytes.NewReader(minimalPDF)})
	if w.Code != http.StatusCreated {
		t.Errorf("a real PDF: %d %s", w.Code, w.Body.String())
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// The four-eyes rule through the API: the author's publish is refused with 403; a second
// approver's is accepted.
func TestGuidanceFourEyesThroughTheAPI(t *testing.T) {
	a := apitest.New(t)
	both := a.As(t, policies.RoleGuidanceEditor, policies.RoleGuidanceApprover)
	approver := a.As(t, policies.RoleGuidanceApprover)
	w := a.API(t, both, "POST", "/api/v1/guidance/documents", `{"title":"Four eyes","summary":"s","body":"b","category":"legal","classification":"OFFICIAL","audience":{"scope":"police"}}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body.String())
	}
	vid := strconv.FormatInt(decode[guidance.GuidanceVersion](t, w).ID, 10)
	if w := a.API(t, both, "POST", "/api/v1/guidance/versions/"+vid+"/submit", ""); w.Code != 200 {
		t.Fatalf("submit: %d", w.Code)
	}
	if w := a.API(t, both, "POST", "/api/v1/guidance/versions/"+vid+"/publish", ""); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "four eyes") {
		t.Errorf("the author publishes: %d %s", w.Code, w.Body.String())
	}
	if w := a.API(t, both, "POST", "/api/v1/guidance/versions/"+vid+"/return", `{"comment":"mine"}`); w.Code != http.StatusForbidden {
		t.Errorf("the author returns: %d", w.Code)
	}
	w = a.API(t, approver, "POST", "/api/v1/guidance/versions/"+vid+"/publish", "")
	if w.Code != 200 || decode[guidance.GuidanceVersion](t, w).Status != guidance.GuidancePublished {
		t.Errorf("another approver publishes: %d %s", w.Code, w.Body.String())
	}
}

// seenSubmission is what a version page's Publish form sends: the version as the page showed it.
func seenSubmission(t *testing.T, page string) url.Values {
	t.Helper()
	m := regexp.MustCompile(`name="submitted_at" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no submitted_at on the Publish form:\n%s", page)
	}
	return url.Values{"submitted_at": {html.UnescapeString(m[1])}}
}

// An approver publishes the words they read: a version returned, changed and sent again after
// the approver opened it is not published from that page (409, saying to read it again), and
// is published once they have.
func TestGuidanceIsPublishedAsTheApproverReadIt(t *testing.T) {
	a := apitest.New(t)
	ctx := context.Background()
	editor := a.As(t, policies.RoleGuidanceEditor)
	first, second := a.As(t, policies.RoleGuidanceApprover), a.As(t, policies.RoleGuidanceApprover)
	g := a.Services.Guidance
	v, err := g.Create(ctx, editor.Actor(t), guidanceIn("Reading rota", "The first words."))
	modelstest.Must(t, err)
	_, err = g.Submit(ctx, editor.Actor(t), v.ID)
	modelstest.Must(t, err)
	vid := itoa(v.ID)

	fb := first.Browser()
	opened := seenSubmission(t, fb.Get(t, "/guidance/versions/"+vid).Body.String())
	// Meanwhile another approver returns it, and the editor rewrites it and sends it again.
	a.Clock.Advance(time.Minute)
	_, err = g.Return(ctx, second.Actor(t), v.ID, "Say who keeps the rota.")
	modelstest.Must(t, err)
	in := guidanceIn("Reading rota", "Other words, which the first approver never read.")
	_, err = g.UpdateDraft(ctx, editor.Actor(t), v.ID, in)
	modelstest.Must(t, err)
	_, err = g.Submit(ctx, editor.Actor(t), v.ID)
	modelstest.Must(t, err)

	if w := fb.Submit(t, "/guidance/versions/"+vid+"/publish", opened); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "read it again") {
		t.Errorf("publishing from the page opened before the change: %d", w.Code)
	}
	if w := fb.Submit(t, "/guidance/versions/"+vid+"/publish", nil); w.Code != http.StatusConflict {
		t.Errorf("publishing without saying which submission: %d, want 409", w.Code)
	}
	if now, err := g.Version(ctx, first.Actor(t), v.ID); err != nil || now.Status != guidance.GuidanceSubmitted {
		t.Fatalf("after the refusals: %+v %v", now.Status, err)
	}
	reread := seenSubmission(t, fb.Get(t, "/guidance/versions/"+vid).Body.String())
	if w := fb.Submit(t, "/guidance/versions/"+vid+"/publish", reread); w.Code != http.StatusSeeOther {
		t.Errorf("publishing once read again: %d, want 303", w.Code)
	}
}

// A draft's marking changed is recorded from what to what: a marking lowered is told from one
// raised.
func TestAGuidanceMarkingChangeIsAuditedWithItsValues(t *testing.T) {
	a := apitest.New(t)
	ctx := context.Background()
	editor := a.As(t, policies.RoleGuidanceEditor)
	in := guidanceIn("Debrief notes", "Words.")
	in.Classification = "OFFICIAL-SENSITIVE"
	v, err := a.Services.Guidance.Create(ctx, editor.Actor(t), in)
	modelstest.Must(t, err)
	in.Classification = "OFFICIAL"
	_, err = a.Services.Guidance.UpdateDraft(ctx, editor.Actor(t), v.ID, in)
	modelstest.Must(t, err)
	if n := auditCount(t, a, "action = ? AND object_id = ? AND details LIKE ?", "guidance.version_update", itoa(v.ID), "%OFFICIAL-SENSITIVE → OFFICIAL%"); n != 1 {
		t.Errorf("%d version updates recorded with the marking lowered, want 1", n)
	}
}

// A version nobody may approve is not sent: its only approver wrote it, so it would wait unseen
// and hold back any new version of the document. The refusal says why, and it stays a draft
// until someone else may approve it.
func TestGuidanceNobodyCouldApproveIsNotSent(t *testing.T) {
	a := apitest.New(t)
	ctx := context.Background()
	both := a.SignedIn(t, apitest.UserSpec{Org: "essex-police", Roles: []string{policies.RoleGuidanceEditor, policies.RoleGuidanceApprover}})
	v, err := a.Services.Guidance.Create(ctx, both.Actor(t), guidanceIn("Lone approver", "Words."))
	modelstest.Must(t, err)
	_, err = a.Services.Guidance.Submit(ctx, both.Actor(t), v.ID)
	modelstest.WantCode(t, "sending a version only its writer could approve", err, core.ECONFLICT)
	if err == nil || !strings.Contains(err.Error(), "Nobody can approve this version") {
		t.Errorf("the refusal: %v", err)
	}
	if now, err := a.Services.Guidance.Version(ctx, both.Actor(t), v.ID); err != nil || now.Status != guidance.GuidanceDraft {
		t.Errorf("after the refusal: %v %v, want a draft", now.Status, err)
	}
	a.SignedIn(t, apitest.UserSpec{Org: "essex-police", Roles: []string{policies.RoleGuidanceApprover}})
	_, err = a.Services.Guidance.Submit(ctx, both.Actor(t), v.ID)
	modelstest.Must(t, err)
}

// A step of a version's workflow decides on the version as it stands once the step before it
// has committed: a file attached while the version was being sent for approval is refused, not
// added to a version the approvers are already reading. (On PostgreSQL the attachment read the
// version as a draft before the sending committed, and was added.)
func TestGuidanceAttachingWhileItIsSentWaitsAndIsRefused(t *testing.T) {
	a := apitest.New(t)
	ctx := context.Background()
	editor := a.As(t, policies.RoleGuidanceEditor)
	v, err := a.Services.Guidance.Create(ctx, editor.Actor(t), guidanceIn("Raced attachment", "Words."))
	modelstest.Must(t, err)

	done := false
	err = meanwhile(t, a, func() error {
		_, err := a.Services.Guidance.AddAttachments(ctx, editor.Actor(t), v.ID, 0, func() (core.Upload, error) {
			if done {
				return core.Upload{}, io.EOF
			}
			done = true
			return core.Upload{Name: "late.txt", Body: strings.NewReader("Added late")}, nil
		})
		return err
	}, "UPDATE guidance_versions SET status = ? WHERE id = ?", guidance.GuidanceSubmitted, v.ID)
	modelstest.WantCode(t, "attaching a file while the version was sent", err, core.ECONFLICT)
	var n int64
	modelstest.Must(t, a.DB.Gorm().Table("guidance_attachments").Where("version_id = ?", v.ID).Count(&n).Error)
	if n != 0 {
		t.Errorf("%d files attached to the version sent for approval, want 0", n)
	}
}

// A draft's problems come all at once, the checks that read more than the form with the rest:
// a marking the writer's vetting does not cover, organisations that do not exist, a missing
// summary and bad roles are all reported by one save.
func TestGuidanceDraftReportsEveryProblemAtOnce(t *testing.T) {
	a := apitest.New(t)
	editor := a.SignedIn(t, apitest.UserSpec{Roles: []string{policies.RoleGuidanceEditor}, Vetting: core.VettingNone})
	in := guidanceIn("Every problem", "Words.")
	in.Summary, in.Classification = "", "OFFICIAL-SENSITIVE"
	in.Audience = guidance.GuidanceAudience{Scope: guidance.GuidanceAudienceOrganisations, Organisations: []int64{999999}, Roles: []string{"chief"}}
	_, err := a.Services.Guidance.Create(context.Background(), editor.Actor(t), in)
	var e *core.Error
	if !errors.As(err, &e) {
		t.Fatalf("a draft with four problems: %v", err)
	}
	var fields []string
	for _, f := range e.Fields {
		fields = append(fields, f.Field)
	}
	slices.Sort(fields)
	if want := "audience_organisations,audience_roles,classification,summary"; strings.Join(fields, ",") != want {
		t.Errorf("problems at %v, want %s", fields, want)
	}
}
