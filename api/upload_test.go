package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/policies"
)

// An exhibit or a training material is exactly one file: a form with two is refused with 422
// and stores nothing, through the API and the pages. Guidance takes several attachments at once.
func TestUploadTakesExactlyOneFile(t *testing.T) {
	w := newCFWorld(t)
	id := w.openCase(t)
	two := func(name string) []apitest.File {
		return []apitest.File{{Field: "file", Name: name + "-1.txt", Body: strings.NewReader("one")}, {Field: "file", Name: name + "-2.txt", Body: strings.NewReader("two")}}
	}
	const says = "one file"
	refused := func(what string, code int, body string) {
		t.Helper()
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, says) {
			t.Errorf("%s with two files: %d, want 422 saying %q\n%.400s", what, code, says, body)
		}
	}
	fields := url.Values{"exhibit_ref": {"AB/1"}, "description": {"Statements"}, "producer": {"DC A"}}
	r := w.a.UploadAPI(t, w.inv.Token(t, identity.ScopeReadWrite), fmt.Sprintf("/api/v1/casefiles/%d/evidence", id), fields, two("api")...)
	refused("API exhibit", r.Code, r.Body.String())
	b := w.inv.Browser()
	b.Get(t, fmt.Sprintf("/casefiles/%d/evidence/new", id))
	r = b.Upload(t, fmt.Sprintf("/casefiles/%d/evidence/new", id), fields, two("page")...)
	refused("exhibit page", r.Code, r.Body.String())
	var ev struct{ Evidence []json.RawMessage }
	apitest.Want(t, w.a.API(t, w.inv, "GET", fmt.Sprintf("/api/v1/casefiles/%d/evidence", id), ""), "evidence list", http.StatusOK, &ev)
	if len(ev.Evidence) != 0 {
		t.Errorf("%d exhibits stored from two-file uploads", len(ev.Evidence))
	}

	a := w.a
	trainer := a.As(t, policies.RoleTrainer)
	c := newTrainingCourse(t, a, trainer, nil)
	pdf := func(name string) apitest.File {
		return apitest.File{Field: "file", Name: name, Body: strings.NewReader(pdfBytes)}
	}
	r = a.UploadAPI(t, trainer.Token(t, identity.ScopeReadWrite), "/api/v1/courses/"+itoa(c.ID)+"/materials", url.Values{"title": {"Handbook"}}, pdf("a.pdf"), pdf("b.pdf"))
	refused("API material", r.Code, r.Body.String())
	tb := trainer.Browser()
	tb.Get(t, "/courses/"+itoa(c.ID)+"/materials")
	r = tb.Upload(t, "/courses/"+itoa(c.ID)+"/materials", url.Values{"title": {"Handbook"}, "classification": {"OFFICIAL"}}, pdf("a.pdf"), pdf("b.pdf"))
	refused("material page", r.Code, r.Body.String())
	var mats struct{ Materials []json.RawMessage }
	apitest.Want(t, a.API(t, trainer, "GET", "/api/v1/courses/"+itoa(c.ID)+"/materials", ""), "materials", http.StatusOK, &mats)
	if len(mats.Materials) != 0 {
		t.Errorf("%d materials stored from two-file uploads", len(mats.Materials))
	}
	// One file still works.
	r = a.UploadAPI(t, trainer.Token(t, identity.ScopeReadWrite), "/api/v1/courses/"+itoa(c.ID)+"/materials", url.Values{"title": {"Handbook"}}, pdf("a.pdf"))
	apitest.Want(t, r, "one material", http.StatusCreated, nil)

	editor := a.As(t, policies.RoleGuidanceEditor)
	body, _ := json.Marshal(guidance.GuidanceInput{Title: "Two attachments", Summary: "s", Body: "b", Category: "investigation", Classification: "OFFICIAL",
		Audience: guidance.GuidanceAudience{Scope: guidance.GuidanceAudienceEveryone}})
	var v guidance.GuidanceVersion
	apitest.Want(t, a.API(t, editor, "POST", "/api/v1/guidance/documents", string(body)), "guidance draft", http.StatusCreated, &v)
	r = a.UploadAPI(t, editor.Token(t, identity.ScopeReadWrite), "/api/v1/guidance/versions/"+itoa(v.ID)+"/attachments", nil,
		apitest.File{Field: "file", Name: "a.pdf", Body: bytes.NewReader(minimalPDF)}, apitest.File{Field: "file", Name: "b.pdf", Body: bytes.NewReader(minimalPDF)})
	var atts struct{ Attachments []json.RawMessage }
	apitest.Want(t, r, "two guidance attachments", http.StatusCreated, &atts)
	if len(atts.Attachments) != 2 {
		t.Errorf("guidance took %d attachments, want 2", len(atts.Attachments))
	}
}
