package guidance_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
)

// guidanceFixture is the guidance library on a fresh database and blob store of the backend
// under test, with the reference organisations, a clock the test moves, and a guidance editor,
// a guidance approver and an officer of the home force.
type guidanceFixture struct {
	db     *core.DB
	s      *models.Services
	authz  *policies.Authorizer
	clock  *modelstest.Clock
	people modelstest.People

	editor, approver, officer core.Actor // RV vetted, so cleared for OFFICIAL-SENSITIVE guidance
}

func newGuidanceFixture(t testing.TB) *guidanceFixture {
	t.Helper()
	clock := modelstest.ClockAt(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	d := modelstest.Deps(t, modelstest.BlobBackend(t), clock)
	s := models.New(d)
	f := &guidanceFixture{db: d.DB, s: s, authz: d.Authz, clock: clock,
		people: modelstest.People{Operator: s.Operator, Clock: clock, Prefix: "person", Name: "Person"}}
	f.editor = f.cleared(t, policies.RoleGuidanceEditor)
	f.approver = f.cleared(t, policies.RoleGuidanceApprover)
	f.officer = f.cleared(t, policies.RoleOfficer)
	return f
}

// person creates a user in the organisation with slug, holding roles, and returns them as the
// actor a signed-in request would carry.
func (f *guidanceFixture) person(t testing.TB, org string, vetting core.Vetting, roles ...string) core.Actor {
	t.Helper()
	return f.people.Vetted(t, org, vetting, roles...)
}

// cleared creates an RV-vetted person of the home force holding roles.
func (f *guidanceFixture) cleared(t testing.TB, roles ...string) core.Actor {
	t.Helper()
	return f.person(t, home, core.VettingRV, roles...)
}

const home = "devon-and-cornwall-police"

func draft(title, body string) guidance.GuidanceInput {
	return guidance.GuidanceInput{Title: title, Summary: "Summary of " + title, Body: body, Category: "investigation",
		Tags: []string{"county lines"}, Classification: "OFFICIAL", Audience: guidance.GuidanceAudience{Scope: guidance.GuidanceAudienceEveryone}}
}

// publish takes in through the whole workflow: drafted by f.editor, published by f.approver.
func (f *guidanceFixture) publish(t testing.TB, in guidance.GuidanceInput) guidance.GuidanceVersion {
	t.Helper()
	ctx := context.Background()
	v, err := f.s.Guidance.Create(ctx, f.editor, in)
	if err != nil {
		t.Fatalf("create %q: %v", in.Title, err)
	}
	if _, err := f.s.Guidance.Submit(ctx, f.editor, v.ID); err != nil {
		t.Fatalf("submit: %v", err)
	}
	v, err = f.s.Guidance.Publish(ctx, f.approver, v.ID)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return v
}

func wantCode(t *testing.T, what string, err error, code core.Code) {
	t.Helper()
	if core.ErrorCode(err) != code {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

// The approver of a version is never one of its authors: not the editor who drafted it, nor an
// editor who changed or submitted it, even when they hold the approver role too.
func TestGuidanceFourEyes(t *testing.T) {
	f := newGuidanceFixture(t)
	ctx := context.Background()
	both := f.cleared(t, policies.RoleGuidanceEditor, policies.RoleGuidanceApprover)
	otherApprover := f.person(t, "kent-police", core.VettingRV, policies.RoleGuidanceApprover)

	v, err := f.s.Guidance.Create(ctx, both, draft("Interviewing suspected victims", "Use an interpreter."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Guidance.Submit(ctx, both, v.ID); err != nil {
		t.Fatal(err)
	}
	own, err := f.s.Guidance.Version(ctx, both, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if own.Can.Publish || own.Can.Return || !own.Can.WroteIt {
		t.Errorf("the author who is also an approver is offered %+v", own.Can)
	}
	_, err = f.s.Guidance.Publish(ctx, both, v.ID)
	wantCode(t, "the author publishes", err, core.EFORBIDDEN)
	if err != nil && !strings.Contains(core.ErrorMessage(err), "four eyes") {
		t.Errorf("refusal says %q, want it to explain four eyes", core.ErrorMessage(err))
	}
	_, err = f.s.Guidance.Return(ctx, both, v.ID, "Looks wrong")
	wantCode(t, "the author returns", err, core.EFORBIDDEN)
	_, err = f.s.Guidance.Publish(ctx, otherApprover, v.ID)
	wantCode(t, "an approver of another organisation publishes", err, core.ENOTFOUND)
	_, err = f.s.Guidance.Publish(ctx, f.editor, v.ID)
	wantCode(t, "an editor publishes", err, core.EFORBIDDEN)

	// Returned with comments, changed by a second editor: now neither may approve it.
	_, err = f.s.Guidance.Return(ctx, f.approver, v.ID, "  ")
	wantCode(t, "return without a comment", err, core.EINVALID)
	if _, err := f.s.Guidance.Return(ctx, f.approver, v.ID, "Add the interpreter booking line."); err != nil {
		t.Fatal(err)
	}
	in := draft("Interviewing suspected victims", "Use an interpreter.\nBook one through the force line.")
	if _, err := f.s.Guidance.UpdateDraft(ctx, f.editor, v.ID, in); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Guidance.Submit(ctx, f.editor, v.ID); err != nil {
		t.Fatal(err)
	}
	// The approver who returned it wrote none of it and may decide; the editor may not, even
	// given the approver role.
	if err := f.authz.Grant(ctx, policies.UserPrincipal(f.editor.UserID), policies.RoleGuidanceApprover, policies.OrgDomain(f.editor.OrgID)); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.Guidance.Publish(ctx, f.editor, v.ID)
	wantCode(t, "the second editor, now an approver, publishes", err, core.EFORBIDDEN)
	_, err = f.s.Guidance.Publish(ctx, both, v.ID)
	wantCode(t, "the first author publishes the changed version", err, core.EFORBIDDEN)
	pub, err := f.s.Guidance.Publish(ctx, f.approver, v.ID)
	if err != nil {
		t.Fatalf("the approver who wrote none of it: %v", err)
	}
	if pub.Status != guidance.GuidancePublished || pub.Approver == nil || pub.Approver.ID != f.approver.UserID {
		t.Errorf("published version: status %s, approver %+v", pub.Status, pub.Approver)
	}
	_, err = f.s.Guidance.Publish(ctx, f.approver, v.ID)
	wantCode(t, "publishing twice", err, core.ECONFLICT)
	_, err = f.s.Guidance.UpdateDraft(ctx, f.editor, v.ID, in)
	wantCode(t, "changing a published version", err, core.ECONFLICT)

	var events int64
	if err := f.db.Gorm().Table("audit_events").Where("action IN ? AND object_id = ?", []string{"guidance.publish", "guidance.return"}, fmt.Sprint(v.ID)).Count(&events).Error; err != nil {
		t.Fatal(err)
	}
	if events != 2 {
		t.Errorf("%d publish and return events, want 2", events)
	}
}

// Every way of finding or opening guidance gives the same answer: a reader outside the
// audience, or without clearance for OFFICIAL-SENSITIVE, gets nothing from the list, search,
// counts, document, version, history or diff; drafts reach only the owning organisation's
// editors and approvers.
func TestGuidanceVisibility(t *testing.T) {
	f := newGuidanceFixture(t)
	ctx := context.Background()

	type doc struct {
		name string
		in   guidance.GuidanceInput
		id   int64
		vid  int64
	}
	mk := func(name string, change func(*guidance.GuidanceInput)) *doc {
		in := draft(name, "Gangmasters quarantine word "+strings.ReplaceAll(name, " ", "")+".")
		change(&in)
		return &doc{name: name, in: in}
	}
	docs := []*doc{
		mk("everyone", func(*guidance.GuidanceInput) {}),
		mk("police", func(in *guidance.GuidanceInput) { in.Audience.Scope = guidance.GuidanceAudiencePolice }),
		mk("cps", func(in *guidance.GuidanceInput) {
			in.Audience = guidance.GuidanceAudience{Scope: guidance.GuidanceAudienceKinds, Kinds: []core.OrgKind{core.KindCPS}}
		}),
		mk("kent", func(in *guidance.GuidanceInput) {
			in.Audience = guidance.GuidanceAudience{Scope: guidance.GuidanceAudienceOrganisations, Organisations: []int64{f.org(t, "kent-police")}}
		}),
		mk("investigators", func(in *guidance.GuidanceInput) { in.Audience.Roles = []string{policies.RoleInvestigator} }),
		mk("sensitive", func(in *guidance.GuidanceInput) { in.Classification = "OFFICIAL-SENSITIVE" }),
	}
	for _, d := range docs {
		v := f.publish(t, d.in)
		d.id, d.vid = v.DocumentID, v.ID
	}
	// A second version of "everyone" narrowed to police: its first version goes too for the
	// readers who are no longer in the audience.
	everyone := docs[0]
	nv, err := f.s.Guidance.StartVersion(ctx, f.editor, everyone.id)
	if err != nil {
		t.Fatal(err)
	}
	narrowed := everyone.in
	narrowed.Audience.Scope = guidance.GuidanceAudiencePolice
	narrowed.Body += "\nPolice only from now on."
	if _, err := f.s.Guidance.UpdateDraft(ctx, f.editor, nv.ID, narrowed); err != nil {
		t.Fatal(err)
	}
	f.s.Guidance.Submit(ctx, f.editor, nv.ID)
	if _, err := f.s.Guidance.Publish(ctx, f.approver, nv.ID); err != nil {
		t.Fatal(err)
	}
	// A draft nobody outside the editors sees.
	dv, err := f.s.Guidance.Create(ctx, f.editor, draft("draft only", "Gangmasters quarantine word draftonly."))
	if err != nil {
		t.Fatal(err)
	}

	readers := map[string]struct {
		who  core.Actor
		sees []string // published documents
	}{
		"home officer":            {f.cleared(t, policies.RoleOfficer), []string{"everyone", "police", "sensitive"}},
		"home investigator":       {f.cleared(t, policies.RoleInvestigator), []string{"everyone", "police", "investigators", "sensitive"}},
		"officer without vetting": {f.person(t, home, core.VettingNone, policies.RoleOfficer), []string{"everyone", "police"}},
		"Kent officer":            {f.person(t, "kent-police", core.VettingRV, policies.RoleOfficer), []string{"everyone", "police", "kent", "sensitive"}},
		"CPS lawyer":              {f.person(t, "cps-south-west", core.VettingRV, policies.RoleCPSLiaison), []string{"cps"}},
		"NCA officer":             {f.person(t, "national-crime-agency", core.VettingRV, policies.RoleOfficer), []string{"sensitive"}},
		"home editor":             {f.cleared(t, policies.RoleGuidanceEditor), []string{"everyone", "police", "cps", "kent", "investigators", "sensitive"}},
		"Kent editor":             {f.person(t, "kent-police", core.VettingRV, policies.RoleGuidanceEditor), []string{"everyone", "police", "kent", "sensitive"}},
	}
	for name, r := range readers {
		t.Run(name, func(t *testing.T) {
			page, err := f.s.Guidance.List(ctx, r.who, guidance.GuidanceFilter{}, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			var listed []string
			for _, d := range page.Documents {
				listed = append(listed, d.Title)
			}
			found, err := f.s.Guidance.Search(ctx, r.who, "gangmasters quarantine", guidance.GuidanceFilter{}, 1)
			if err != nil {
				t.Fatal(err)
			}
			var searched []string
			for _, d := range found.Results {
				searched = append(searched, d.Title)
			}
			cats, err := f.s.Guidance.Categories(ctx, r.who)
			if err != nil {
				t.Fatal(err)
			}
			var counted int64
			for _, c := range cats {
				counted += c.Documents
			}
			slices.Sort(listed)
			slices.Sort(searched)
			want := slices.Sorted(slices.Values(r.sees))
			if !slices.Equal(listed, want) {
				t.Errorf("listed %q, want %q", listed, want)
			}
			if !slices.Equal(searched, want) {
				t.Errorf("search found %q, want %q", searched, want)
			}
			if counted != int64(len(want)) {
				t.Errorf("categories count %d documents, want %d", counted, len(want))
			}
			for _, d := range docs {
				_, derr := f.s.Guidance.Document(ctx, r.who, d.id)
				_, verr := f.s.Guidance.Version(ctx, r.who, d.vid)
				_, herr := f.s.Guidance.History(ctx, r.who, d.id)
				sees := slices.Contains(r.sees, d.name)
				for what, err := range map[string]error{"document": derr, "history": herr} {
					if sees && err != nil {
						t.Errorf("%s of %q: %v", what, d.name, err)
					}
					if !sees && core.ErrorCode(err) != core.ENOTFOUND {
						t.Errorf("%s of %q: %v, want not found", what, d.name, err)
					}
				}
				// The first version of "everyone" follows the current version's audience too.
				if sees && verr != nil {
					t.Errorf("version of %q: %v", d.name, verr)
				}
				if !sees && core.ErrorCode(verr) != core.ENOTFOUND {
					t.Errorf("version of %q: %v, want not found", d.name, verr)
				}
			}
			_, err = f.s.Guidance.Diff(ctx, r.who, everyone.id, everyone.vid, nv.ID)
			if slices.Contains(r.sees, "everyone") && err != nil {
				t.Errorf("diff of everyone: %v", err)
			}
			if !slices.Contains(r.sees, "everyone") && core.ErrorCode(err) != core.ENOTFOUND {
				t.Errorf("diff of everyone: %v, want not found", err)
			}
			_, err = f.s.Guidance.Version(ctx, r.who, dv.ID)
			if name == "home editor" && err != nil {
				t.Errorf("the owning organisation's editor reads the draft: %v", err)
			}
			if name != "home editor" && core.ErrorCode(err) != core.ENOTFOUND {
				t.Errorf("the draft: %v, want not found", err)
			}
		})
	}
}

func (f *guidanceFixture) org(t testing.TB, slug string) int64 {
	t.Helper()
	o, err := f.s.Operator.OrganisationBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return o.ID
}
