package api_test

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"strconv"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/policies"
)

// guidanceRows are the routes of the guidance library. The fixtures are written by an editor
// and an approver of the home organisation who are not among the callers:
//   - pub: published for everyone in law enforcement, asking for acknowledgement, now at
//     version 2 (so there is a diff), with an attachment, and a version 3 being drafted;
//   - draft: a draft of another document;
//   - sent: a version submitted for approval, with an attachment.
//
// Calls that would change state are made where they fail the same way for every caller of a
// role (a publish of a draft is a conflict for an approver; a bad form is invalid for an
// editor), so the order of the callers does not matter.
func guidanceRows(t *testing.T, a *apitest.App, _ map[who]*apitest.User) []row {
	ctx := context.Background()
	g := a.Services.Guidance
	editor := a.As(t, policies.RoleGuidanceEditor).Actor(t)
	approver := a.As(t, policies.RoleGuidanceApprover).Actor(t)
	in := func(title string) guidance.GuidanceInput {
		return guidance.GuidanceInput{Title: title, Summary: "Matrix fixture", Body: "Matrix fixture text about lanterns.",
			Category: "investigation", Classification: "OFFICIAL", RequiresAck: true,
			Audience: guidance.GuidanceAudience{Scope: guidance.GuidanceAudienceEveryone}}
	}
	must := func(v guidance.GuidanceVersion, err error) guidance.GuidanceVersion {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	attach := func(versionID int64) int64 {
		t.Helper()
		sent := false
		atts, err := g.AddAttachments(ctx, editor, versionID, 0, func() (core.Upload, error) {
			if sent {
				return core.Upload{}, io.EOF
			}
			sent = true
			return core.Upload{Name: "fixture.pdf", Body: bytes.NewReader(minimalPDF)}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return atts[0].ID
	}
	publish := func(v guidance.GuidanceVersion) guidance.GuidanceVersion {
		t.Helper()
		must(g.Submit(ctx, editor, v.ID))
		return must(g.Publish(ctx, approver, v.ID))
	}
	v1 := must(g.Create(ctx, editor, in("Matrix published")))
	attach(v1.ID)
	publish(v1)
	v2 := publish(must(g.StartVersion(ctx, editor, v1.DocumentID)))
	pubAttachment := must(g.Version(ctx, editor, v2.ID)).Attachments[0].ID
	must(g.StartVersion(ctx, editor, v1.DocumentID))
	draft := must(g.Create(ctx, editor, in("Matrix draft")))
	sent := must(g.Create(ctx, editor, in("Matrix submitted")))
	sentAttachment := attach(sent.ID)
	must(g.Submit(ctx, editor, sent.ID))

	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	doc, pub := "/guidance/documents/"+id(v1.DocumentID), "/guidance/versions/"+id(v2.ID)
	dv, sv := "/guidance/versions/"+id(draft.ID), "/guidance/versions/"+id(sent.ID)
	diff := doc + "/diff?from=" + id(v1.ID) + "&to=" + id(v2.ID)
	at := func(p string) func(*fx) string { return func(*fx) string { return p } }

	const (
		editorRole   = policies.RoleGuidanceEditor
		approverRole = policies.RoleGuidanceApprover
	)
	writers := []string{editorRole, approverRole}
	reporters := []string{supervisor, orgAdmin}
	badDraft := url.Values{"title": {""}}
	see, change := 200, 303
	rows := []row{
		{method: "GET", route: "/guidance", def: see, anon: 303},
		{method: "GET", route: "/guidance/search", path: at("/guidance/search?q=lanterns"), def: see, anon: 303},
		{method: "GET", route: "/guidance/new", want: may(see, editorRole), def: 403, anon: 303},
		{method: "POST", route: "/guidance/new", form: badDraft, want: may(422, editorRole), def: 403, anon: 303},
		{method: "GET", route: "/guidance/manage", want: may(see, writers...), def: 403, anon: 303},
		{method: "GET", route: "/guidance/documents/:id", path: at(doc), def: see, anon: 303},
		{method: "GET", route: "/guidance/documents/:id/history", path: at(doc + "/history"), def: see, anon: 303},
		{method: "GET", route: "/guidance/documents/:id/diff", path: at(diff), def: see, anon: 303},
		{method: "POST", route: "/guidance/documents/:id/acknowledge", path: at(doc + "/acknowledge"), def: change, anon: 303},
		// A version is already being drafted: editors are told so; nobody else may start one.
		{method: "POST", route: "/guidance/documents/:id/versions", path: at(doc + "/versions"), want: may(409, editorRole), def: 403, anon: 303},
		{method: "POST", route: "/guidance/documents/:id/review", path: at(doc + "/review"), want: may(change, writers...), def: 403, anon: 303},
		{method: "GET", route: "/guidance/versions/:id", path: at(pub), def: see, anon: 303},
		{method: "GET", route: "/guidance/versions/:id/edit", path: at(dv + "/edit"), want: merge(may(see, editorRole), may(403, approverRole)), def: 404, anon: 303},
		{method: "POST", route: "/guidance/versions/:id/edit", path: at(dv + "/edit"), form: badDraft, want: merge(may(422, editorRole), may(403, approverRole)), def: 404, anon: 303},
		// Posted as a plain form, not multipart: an editor is told to send a file.
		{method: "POST", route: "/guidance/versions/:id/attachments", path: at(dv + "/attachments"), want: merge(may(422, editorRole), may(403, approverRole)), def: 404, anon: 303},
		// Already submitted: an editor is told so.
		{method: "POST", route: "/guidance/versions/:id/submit", path: at(sv + "/submit"), want: merge(may(409, editorRole), may(403, approverRole)), def: 404, anon: 303},
		// A draft, not submitted: an approver is told so.
		{method: "POST", route: "/guidance/versions/:id/publish", path: at(dv + "/publish"), want: merge(may(409, approverRole), may(403, editorRole)), def: 404, anon: 303},
		{method: "POST", route: "/guidance/versions/:id/return", path: at(dv + "/return"), form: url.Values{"comment": {""}}, want: merge(may(422, approverRole), may(403, editorRole)), def: 404, anon: 303},
		{method: "GET", route: "/guidance/attachments/:id", path: at("/guidance/attachments/" + id(pubAttachment)), def: 200, anon: 303},
		{method: "POST", route: "/guidance/attachments/:id/remove", path: at("/guidance/attachments/" + id(sentAttachment) + "/remove"), want: merge(may(409, editorRole), may(403, approverRole)), def: 404, anon: 303},
		{method: "GET", route: "/guidance/acknowledgements", want: may(see, reporters...), def: 403, anon: 303},
		{method: "GET", route: "/guidance/acknowledgements/export.csv", want: may(200, reporters...), def: 403, anon: 303},
		{method: "GET", route: "/guidance/acknowledgements/:id", path: at("/guidance/acknowledgements/" + id(v1.DocumentID)), want: may(see, reporters...), def: 403, anon: 303},

		{method: "GET", route: "/api/v1/guidance/documents", def: 200, anon: 401},
		{method: "POST", route: "/api/v1/guidance/documents", json: `{}`, want: may(422, editorRole), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/guidance/documents/:id", path: at("/api/v1" + doc), def: 200, anon: 401},
		{method: "GET", route: "/api/v1/guidance/documents/:id/versions", path: at("/api/v1" + doc + "/versions"), def: 200, anon: 401},
		{method: "POST", route: "/api/v1/guidance/documents/:id/versions", path: at("/api/v1" + doc + "/versions"), want: may(409, editorRole), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/guidance/documents/:id/diff", path: at("/api/v1" + diff), def: 200, anon: 401},
		{method: "POST", route: "/api/v1/guidance/documents/:id/acknowledge", path: at("/api/v1" + doc + "/acknowledge"), def: 200, anon: 401},
		{method: "POST", route: "/api/v1/guidance/documents/:id/review", path: at("/api/v1" + doc + "/review"), want: may(200, writers...), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/guidance/versions/:id", path: at("/api/v1" + pub), def: 200, anon: 401},
		{method: "PATCH", route: "/api/v1/guidance/versions/:id", path: at("/api/v1" + dv), json: `{}`, want: merge(may(422, editorRole), may(403, approverRole)), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/guidance/versions/:id/submit", path: at("/api/v1" + sv + "/submit"), want: merge(may(409, editorRole), may(403, approverRole)), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/guidance/versions/:id/publish", path: at("/api/v1" + dv + "/publish"), want: merge(may(409, approverRole), may(403, editorRole)), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/guidance/versions/:id/return", path: at("/api/v1" + dv + "/return"), json: `{}`, want: merge(may(422, approverRole), may(403, editorRole)), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/guidance/versions/:id/attachments", path: at("/api/v1" + dv + "/attachments"), want: merge(may(422, editorRole), may(403, approverRole)), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/guidance/attachments/:id", path: at("/api/v1/guidance/attachments/" + id(pubAttachment)), def: 200, anon: 401},
		{method: "DELETE", route: "/api/v1/guidance/attachments/:id", path: at("/api/v1/guidance/attachments/" + id(sentAttachment)), want: merge(may(409, editorRole), may(403, approverRole)), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/guidance/search", path: at("/api/v1/guidance/search?q=lanterns"), def: 200, anon: 401},
		{method: "GET", route: "/api/v1/guidance/categories", def: 200, anon: 401},
		{method: "GET", route: "/api/v1/guidance/outstanding", def: 200, anon: 401},
		{method: "GET", route: "/api/v1/guidance/dashboard", want: may(200, writers...), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/guidance/acknowledgements", want: may(200, reporters...), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/guidance/acknowledgements/export", want: may(200, reporters...), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/guidance/acknowledgements/:id", path: at("/api/v1/guidance/acknowledgements/" + id(v1.DocumentID)), want: may(200, reporters...), def: 403, anon: 401},
	}
	for i := range rows {
		if p := rows[i].path; p != nil {
			rows[i].concrete = func() string { return p(nil) }
		}
	}
	return rows
}
