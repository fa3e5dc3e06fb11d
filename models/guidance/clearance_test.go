package guidance_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/policies"
)

var guidanceTestPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// attachTo attaches one PDF called name to a draft.
func (f *guidanceFixture) attachTo(t *testing.T, editor core.Actor, versionID int64, name string) int64 {
	t.Helper()
	sent := false
	atts, err := f.s.Guidance.AddAttachments(context.Background(), editor, versionID, 0, func() (core.Upload, error) {
		if sent {
			return core.Upload{}, io.EOF
		}
		sent = true
		return core.Upload{Name: name, Body: bytes.NewReader(guidanceTestPDF)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return atts[0].ID
}

// Clearance is checked on every version, for every role: a reader without clearance for
// OFFICIAL-SENSITIVE does not get an earlier OFFICIAL-SENSITIVE version of guidance that is
// OFFICIAL now (not its page, its attachment, its line in the history or a diff with it); an
// editor or approver without it does not see their own organisation's OFFICIAL-SENSITIVE drafts
// or guidance, nor draft any; a supervisor without it finds no OFFICIAL-SENSITIVE guidance in the
// acknowledgement report or its CSV, and people without it are not counted in its audience.
func TestGuidanceClearanceCoversEveryVersion(t *testing.T) {
	f := newGuidanceFixture(t)
	ctx := context.Background()

	// Downgraded: version 1 OFFICIAL-SENSITIVE with a file, version 2 OFFICIAL.
	in := draft("Port operations lantern", "Version one names the ports.")
	in.Classification = "OFFICIAL-SENSITIVE"
	v1, err := f.s.Guidance.Create(ctx, f.editor, in)
	if err != nil {
		t.Fatal(err)
	}
	secretFile := f.attachTo(t, f.editor, v1.ID, "port list.pdf")
	if _, err := f.s.Guidance.Submit(ctx, f.editor, v1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Guidance.Publish(ctx, f.approver, v1.ID); err != nil {
		t.Fatal(err)
	}
	doc := v1.DocumentID
	v2, err := f.s.Guidance.StartVersion(ctx, f.editor, doc)
	if err != nil {
		t.Fatal(err)
	}
	down := in
	down.Classification, down.Body, down.ChangeNote = "OFFICIAL", "Version two names no ports.", "Ports removed"
	if _, err := f.s.Guidance.UpdateDraft(ctx, f.editor, v2.ID, down); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Guidance.RemoveAttachment(ctx, f.editor, mustVersion(t, f, f.editor, v2.ID).Attachments[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Guidance.Submit(ctx, f.editor, v2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Guidance.Publish(ctx, f.approver, v2.ID); err != nil {
		t.Fatal(err)
	}

	// OFFICIAL-SENSITIVE guidance asking for acknowledgement, and an OFFICIAL-SENSITIVE draft.
	mandatory := draft("Sensitive mandatory heron", "Read this.")
	mandatory.Classification, mandatory.RequiresAck = "OFFICIAL-SENSITIVE", true
	sens := f.publish(t, mandatory)
	plain := draft("Plain mandatory wren", "Read this too.")
	plain.RequiresAck = true
	plainDoc := f.publish(t, plain)
	sensDraftIn := draft("Sensitive draft osprey", "Not yet.")
	sensDraftIn.Classification = "OFFICIAL-SENSITIVE"
	sensDraft, err := f.s.Guidance.Create(ctx, f.editor, sensDraftIn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Guidance.Submit(ctx, f.editor, sensDraft.ID); err != nil {
		t.Fatal(err)
	}

	t.Run("reader of a downgraded document", func(t *testing.T) {
		unvetted := f.person(t, home, core.VettingNone, policies.RoleOfficer)
		cleared := f.cleared(t, policies.RoleOfficer)
		d, err := f.s.Guidance.Document(ctx, unvetted, doc)
		if err != nil || d.Version.ID != v2.ID || d.Version.Classification != "OFFICIAL" {
			t.Fatalf("the OFFICIAL current version: %+v, %v", d.Version.ID, err)
		}
		_, err = f.s.Guidance.Version(ctx, unvetted, v1.ID)
		wantCode(t, "the OFFICIAL-SENSITIVE first version", err, core.ENOTFOUND)
		_, err = f.s.Guidance.OpenAttachment(ctx, unvetted, secretFile)
		wantCode(t, "the first version's file", err, core.ENOTFOUND)
		_, err = f.s.Guidance.Diff(ctx, unvetted, doc, v1.ID, v2.ID)
		wantCode(t, "a diff with the first version", err, core.ENOTFOUND)
		h, err := f.s.Guidance.History(ctx, unvetted, doc)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Versions) != 1 || h.Versions[0].ID != v2.ID || h.Classification != "OFFICIAL" {
			t.Errorf("history without clearance: %+v", h)
		}

		h, err = f.s.Guidance.History(ctx, cleared, doc)
		if err != nil || len(h.Versions) != 2 || h.Classification != "OFFICIAL-SENSITIVE" {
			t.Errorf("history with clearance: %+v, %v", h, err)
		}
		file, err := f.s.Guidance.OpenAttachment(ctx, cleared, secretFile)
		if err != nil {
			t.Fatal(err)
		}
		file.Close()
		if file.Name != "OFFICIAL-SENSITIVE - port list.pdf" {
			t.Errorf("the file of the OFFICIAL-SENSITIVE version is named %q", file.Name)
		}
		diff, err := f.s.Guidance.Diff(ctx, cleared, doc, v1.ID, v2.ID)
		if err != nil || diff.Classification != "OFFICIAL-SENSITIVE" || diff.Added != 1 || diff.Removed != 1 {
			t.Errorf("diff with clearance: %+v, %v", diff, err)
		}
	})

	t.Run("editor and approver without clearance", func(t *testing.T) {
		ed := f.person(t, home, core.VettingNone, policies.RoleGuidanceEditor)
		ap := f.person(t, home, core.VettingNone, policies.RoleGuidanceApprover)
		for name, who := range map[string]core.Actor{"editor": ed, "approver": ap} {
			_, err := f.s.Guidance.Version(ctx, who, sensDraft.ID)
			wantCode(t, name+" opens the OFFICIAL-SENSITIVE draft", err, core.ENOTFOUND)
			_, err = f.s.Guidance.Document(ctx, who, sens.DocumentID)
			wantCode(t, name+" opens the OFFICIAL-SENSITIVE guidance", err, core.ENOTFOUND)
			dash, err := f.s.Guidance.Dashboard(ctx, who)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range dash.Working {
				if w.VersionID == sensDraft.ID {
					t.Errorf("%s's dashboard lists the OFFICIAL-SENSITIVE draft", name)
				}
			}
			if dash.Classification == "OFFICIAL-SENSITIVE" {
				t.Errorf("%s's dashboard is marked %q", name, dash.Classification)
			}
			page, err := f.s.Guidance.List(ctx, who, guidance.GuidanceFilter{}, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range page.Documents {
				if d.Classification != "OFFICIAL" {
					t.Errorf("%s's list holds %q, %s", name, d.Title, d.Classification)
				}
			}
		}
		_, err := f.s.Guidance.Publish(ctx, ap, sensDraft.ID)
		wantCode(t, "approver without clearance publishes it", err, core.ENOTFOUND)
		_, err = f.s.Guidance.Create(ctx, ed, sensDraftIn)
		var me *core.Error
		if !errors.As(err, &me) || me.Code != core.EINVALID || me.Field != "classification" {
			t.Errorf("editor without clearance drafts OFFICIAL-SENSITIVE: %v", err)
		}
		cleared := f.cleared(t, policies.RoleGuidanceEditor)
		if _, err := f.s.Guidance.Version(ctx, cleared, sensDraft.ID); err != nil {
			t.Errorf("a cleared editor opens the OFFICIAL-SENSITIVE draft: %v", err)
		}
		if dash, err := f.s.Guidance.Dashboard(ctx, cleared); err != nil || len(dash.Working) != 1 || dash.Classification != "OFFICIAL-SENSITIVE" {
			t.Errorf("a cleared editor's dashboard: %+v, %v", dash, err)
		}
	})

	t.Run("acknowledgement report", func(t *testing.T) {
		unvettedOfficer := f.person(t, home, core.VettingNone, policies.RoleOfficer)
		for name, c := range map[string]struct {
			who        core.Actor
			sees       bool
			exportMark string
		}{
			"supervisor without clearance": {f.person(t, home, core.VettingNone, policies.RoleSupervisor), false, "OFFICIAL"},
			"org admin without clearance":  {f.person(t, home, core.VettingNone, policies.RoleOrgAdmin), false, "OFFICIAL"},
			"supervisor with clearance":    {f.cleared(t, policies.RoleSupervisor), true, "OFFICIAL-SENSITIVE"},
			"org admin with clearance":     {f.cleared(t, policies.RoleOrgAdmin), true, "OFFICIAL-SENSITIVE"},
		} {
			r, err := f.s.Guidance.AcknowledgementReport(ctx, c.who)
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, d := range r.Documents {
				titles = append(titles, d.Title)
			}
			if slices.Contains(titles, mandatory.Title) != c.sees || !slices.Contains(titles, plain.Title) {
				t.Errorf("%s: report lists %q", name, titles)
			}
			_, _, err = f.s.Guidance.AcknowledgementsOf(ctx, c.who, sens.DocumentID)
			if c.sees && err != nil {
				t.Errorf("%s: acknowledgements of the OFFICIAL-SENSITIVE guidance: %v", name, err)
			}
			if !c.sees {
				wantCode(t, name+": acknowledgements of the OFFICIAL-SENSITIVE guidance", err, core.ENOTFOUND)
			}
			var buf bytes.Buffer
			var mark string
			if err := f.s.Guidance.ExportAcknowledgements(ctx, c.who, func(m string) { mark = m }, &buf); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(buf.String(), mandatory.Title) != c.sees || !strings.Contains(buf.String(), plain.Title) || mark != c.exportMark {
				t.Errorf("%s: export marked %q:\n%s", name, mark, buf.String())
			}
		}
		// Someone without clearance is not in the audience of OFFICIAL-SENSITIVE guidance.
		sup := f.cleared(t, policies.RoleSupervisor)
		d, _, err := f.s.Guidance.AcknowledgementsOf(ctx, sup, sens.DocumentID)
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := f.s.Guidance.AcknowledgementsOf(ctx, sup, plainDoc.DocumentID)
		if err != nil {
			t.Fatal(err)
		}
		in := func(d guidance.GuidanceAckDocument) bool {
			return slices.ContainsFunc(d.People, func(p guidance.GuidanceAckPerson) bool { return p.UserID == unvettedOfficer.UserID })
		}
		if in(d) || !in(p) {
			t.Errorf("the unvetted officer counted for the OFFICIAL-SENSITIVE guidance %v, for the OFFICIAL %v", in(d), in(p))
		}
		if d.Audience != len(d.People) || p.Audience != len(p.People) || d.Audience >= p.Audience {
			t.Errorf("audiences: OFFICIAL-SENSITIVE %d (%d people), OFFICIAL %d (%d people)", d.Audience, len(d.People), p.Audience, len(p.People))
		}
		// The CSV holds one line per person of each document, and a header.
		var buf bytes.Buffer
		if err := f.s.Guidance.ExportAcknowledgements(ctx, sup, func(string) {}, &buf); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1+d.Audience+p.Audience {
			t.Errorf("export: %d lines, want %d", len(recs), 1+d.Audience+p.Audience)
		}
	})
}

func mustVersion(t *testing.T, f *guidanceFixture, who core.Actor, id int64) guidance.GuidanceVersion {
	t.Helper()
	v, err := f.s.Guidance.Version(context.Background(), who, id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
