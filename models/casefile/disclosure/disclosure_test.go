package disclosure_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/casefiletest"
	"github.com/msptp/msphub/models/casefile/disclosure"
	"github.com/msptp/msphub/models/casefile/schedule"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
)

const home = "devon-and-cornwall-police"

// world is an s2 case of the home force: led by inv (the officer in the case), with do named its
// disclosure officer, member a plain team member of the force, partner an investigator of a
// partner agency on the team, sup its supervisor and liaison a CPS liaison.
type world struct {
	s                                      *models.Services
	db                                     *core.DB
	clock                                  *modelstest.Clock
	inv, do, member, partner, sup, liaison core.Actor
	id                                     int64
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	clock := modelstest.ClockAt(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	d := modelstest.DepsOn(t, modelstest.OpenDB(t), modelstest.BlobBackend(t), clock)
	s := models.New(d)
	people := modelstest.People{Operator: s.Operator, Clock: clock, Prefix: "disc", Name: "Disclosure Person"}
	w := &world{s: s, db: d.DB, clock: clock}
	w.inv = people.Vetted(t, home, core.VettingRV, policies.RoleInvestigator)
	w.do = people.Vetted(t, home, core.VettingRV, policies.RoleInvestigator)
	w.member = people.Vetted(t, home, core.VettingRV, policies.RoleInvestigator)
	w.partner = people.Vetted(t, "national-crime-agency", core.VettingSC, policies.RoleInvestigator)
	w.sup = people.Vetted(t, home, core.VettingRV, policies.RoleSupervisor)
	w.liaison = people.Prosecutor(t, "cps-south-west") // a Crown Prosecutor, who may decide to charge
	cv, err := s.CaseFiles.Create(ctx, w.inv, casefile.CaseInput{URN: "45AB1234523", Operation: "Kestrel",
		Offences: []casefile.Offence{casefile.OffenceS2}, Classification: "OFFICIAL", SupervisorID: w.sup.UserID})
	modelstest.Must(t, err)
	w.id = cv.ID
	for _, p := range []core.Actor{w.do, w.member} {
		_, err := s.CaseFiles.AddMember(ctx, w.inv, w.id, casefile.MemberInput{Email: p.Email})
		modelstest.Must(t, err)
	}
	_, err = s.CaseFiles.AddMember(ctx, w.inv, w.id, casefile.MemberInput{Email: w.partner.Email, LegalBasis: casefile.BasisISA, BasisDetail: "Joint operation agreement JO-12"})
	modelstest.Must(t, err)
	mark := modelstest.NoticeMark(t, d.DB)
	team, err := s.Disclosure.NameRoles(ctx, w.inv, w.id, disclosure.RolesInput{OIC: w.inv.UserID, DisclosureOfficer: w.do.UserID})
	modelstest.Must(t, err)
	if got := modelstest.Recipients(modelstest.NoticesSince(t, d.DB, mark), disclosure.NoticeDisclosure); !slices.Equal(got, modelstest.UserIDs(w.do)) {
		t.Errorf("notified of being named: %v, want the disclosure officer", got)
	}
	for _, m := range team {
		if (m.UserID == w.inv.UserID) != m.OIC || (m.UserID == w.do.UserID) != (m.DisclosureRole == casefile.RoleDisclosureOfficer) {
			t.Errorf("team after naming: %+v", m)
		}
	}
	return w
}

// zipFiles reads an export into its files.
func zipFiles(t *testing.T, export func(context.Context, core.Actor, int64) (*casefile.PackExport, error), who core.Actor, id int64) map[string]string {
	t.Helper()
	p, err := export(context.Background(), who, id)
	modelstest.Must(t, err)
	var b bytes.Buffer
	_, err = p.WriteTo(&b)
	modelstest.Must(t, err)
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	modelstest.Must(t, err)
	out := map[string]string{}
	for _, f := range zr.File {
		r, err := f.Open()
		modelstest.Must(t, err)
		body, err := io.ReadAll(r)
		modelstest.Must(t, err)
		out[f.Name] = string(body)
	}
	return out
}

// MG6D reaches the officer in the case, the disclosure officer, supervisors and the prosecutor,
// never a partner agency's team member (nor a team member not named to disclosure): not through
// the model, the revisions or the export. MG6C carries no officer's assessment, and MG6D is
// absent from the MG6C export.
func TestMG6DInvisibleToAPartnerAgencyMember(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	cs := w.s.CaseFiles
	_, err := cs.AddScheduleEntry(ctx, w.partner, w.id, casefile.EntryInput{Schedule: casefile.ScheduleMG6D, Description: "Informant contact log for the farm address",
		Location: "Source unit", OfficerView: "Reveals a source"})
	modelstest.WantCode(t, "the partner adds to MG6D", err, core.EFORBIDDEN)
	sensitive, err := cs.AddScheduleEntry(ctx, w.do, w.id, casefile.EntryInput{Schedule: casefile.ScheduleMG6D, Description: "Informant contact log for the farm address",
		Location: "Source unit", OfficerView: "Reveals a source", Classification: "OFFICIAL-SENSITIVE"})
	modelstest.Must(t, err)
	if sensitive.Marking != "OFFICIAL-SENSITIVE" {
		t.Errorf("the MG6D entry's marking: %q", sensitive.Marking)
	}
	_, err = cs.AddScheduleEntry(ctx, w.inv, w.id, casefile.EntryInput{Schedule: casefile.ScheduleMG6C, Description: "Tenancy agreement for 14 Mill Lane signed by the suspect",
		Location: "Exeter property store", OfficerView: "Does not undermine or assist"})
	modelstest.WantCode(t, "an officer's view on MG6C", err, core.EINVALID)
	plain, err := cs.AddScheduleEntry(ctx, w.inv, w.id, casefile.EntryInput{Schedule: casefile.ScheduleMG6C, Description: "Tenancy agreement for 14 Mill Lane signed by the suspect",
		Location: "Exeter property store", Undermines: true, Assessment: "Names a second tenant who may be the controller"})
	modelstest.Must(t, err)

	for _, who := range []struct {
		name string
		a    core.Actor
		sees bool
	}{{"partner agency member", w.partner, false}, {"team member not named", w.member, false}, {"officer in the case", w.inv, true},
		{"disclosure officer", w.do, true}, {"supervisor", w.sup, true}} {
		t.Run(who.name, func(t *testing.T) {
			entries, err := cs.ScheduleEntries(ctx, who.a, w.id)
			modelstest.Must(t, err)
			if got := len(entries) == 2; got != who.sees {
				t.Errorf("%d entries listed", len(entries))
			}
			_, err = cs.ScheduleEntry(ctx, who.a, w.id, sensitive.ID)
			if who.sees {
				modelstest.Must(t, err)
			} else {
				modelstest.WantCode(t, "the MG6D entry", err, core.ENOTFOUND)
			}
			revs, err := cs.ScheduleRevisions(ctx, who.a, w.id)
			modelstest.Must(t, err)
			for _, r := range revs {
				if r.EntryID == sensitive.ID && !who.sees {
					t.Errorf("a revision of the MG6D entry: %+v", r)
				}
			}
			if len(revs) != map[bool]int{true: 2, false: 1}[who.sees] {
				t.Errorf("%d revisions", len(revs))
			}
			v, err := w.s.Disclosure.Get(ctx, who.a, w.id)
			modelstest.Must(t, err)
			if v.Actions.ReadSensitive != who.sees || len(v.MG6E) != 1 || v.MG6E[0].EntryID != plain.ID {
				t.Errorf("disclosure view: %+v, MG6E %+v", v.Actions, v.MG6E)
			}
			// The pack is defence-facing: MG6D is never in it, whoever exports it.
			files := zipFiles(t, cs.Export, who.a, w.id)
			mg6c, hasD := files["schedules/MG6C.csv"], files["schedules/MG6D.csv"] != ""
			if hasD || strings.Contains(mg6c, "Informant") || strings.Contains(mg6c, "controller") || strings.Contains(mg6c, "view") ||
				!strings.Contains(mg6c, "Tenancy agreement") || strings.Contains(files["index.html"], "MG6D.csv") {
				t.Errorf("export: MG6D.csv %v, MG6C.csv %q", hasD, mg6c)
			}
			// MG6D has its own restricted export.
			if !who.sees {
				_, err := cs.ExportMG6D(ctx, who.a, w.id)
				modelstest.WantCode(t, "the MG6D export", err, core.EFORBIDDEN)
				return
			}
			files = zipFiles(t, cs.ExportMG6D, who.a, w.id)
			if !strings.Contains(files["schedules/MG6D.csv"], "Reveals a source") || files["schedules/MG6C.csv"] != "" {
				t.Errorf("the MG6D export: MG6D.csv %q, MG6C.csv %q", files["schedules/MG6D.csv"], files["schedules/MG6C.csv"])
			}
		})
	}
	// The entry's own marking is checked against the reader's clearance: a supervisor whose
	// clearance covered OFFICIAL only would see the case and its MG6C, not this MG6D entry.
	low := w.sup
	low.Clearance = policies.Official
	_, err = cs.ScheduleEntry(ctx, low, w.id, sensitive.ID)
	modelstest.WantCode(t, "an MG6D entry marked above the reader's clearance", err, core.ENOTFOUND)
	if entries, err := cs.ScheduleEntries(ctx, low, w.id); err != nil || len(entries) != 1 {
		t.Errorf("the reader cleared for OFFICIAL lists %d entries (%v)", len(entries), err)
	}
	// The officer in the case may not certify; the disclosure officer may, but not a nil MG6D
	// return while MG6D lists something.
	_, err = w.s.Disclosure.Certify(ctx, w.inv, w.id, disclosure.CertifyInput{Kind: disclosure.KindMG6E})
	modelstest.WantCode(t, "the officer in the case certifies", err, core.EFORBIDDEN)
	_, err = w.s.Disclosure.Certify(ctx, w.do, w.id, disclosure.CertifyInput{Kind: disclosure.KindNilMG6D})
	modelstest.WantCode(t, "a nil MG6D return with an MG6D entry", err, core.ECONFLICT)
	c, err := w.s.Disclosure.Certify(ctx, w.do, w.id, disclosure.CertifyInput{Kind: disclosure.KindMG6E})
	modelstest.Must(t, err)
	if c.CertifiedBy != w.do.UserID || !c.CertifiedAt.Equal(w.clock.Now()) || c.Statement == "" {
		t.Errorf("certificate: %+v", c)
	}
	// Moving the MG6C entry to MG6D hides it, and its history, from the partner.
	moved, err := cs.MoveScheduleEntry(ctx, w.do, w.id, plain.ID, "Names a source's relative")
	modelstest.Must(t, err)
	if moved.Schedule != casefile.ScheduleMG6D || moved.Number != 2 || moved.OfficerView != "Names a source's relative" {
		t.Errorf("moved: %+v", moved)
	}
	revs, err := cs.ScheduleRevisions(ctx, w.partner, w.id)
	modelstest.Must(t, err)
	entries, err := cs.ScheduleEntries(ctx, w.partner, w.id)
	modelstest.Must(t, err)
	if len(revs) != 0 || len(entries) != 0 {
		t.Errorf("the partner still sees %d revisions, %d entries", len(revs), len(entries))
	}
	// MG6C 1 left for MG6D; the next MG6C entry does not take its number, which a pack or a
	// prosecutor's note may still name.
	next, err := cs.AddScheduleEntry(ctx, w.inv, w.id, casefile.EntryInput{Schedule: casefile.ScheduleMG6C, Description: "Utility bills for 14 Mill Lane", Location: "Exeter property store"})
	modelstest.Must(t, err)
	if next.Number != plain.Number+1 {
		t.Errorf("the next MG6C entry is number %d, want %d: number %d left with the moved entry", next.Number, plain.Number+1, plain.Number)
	}
}

// The schedules stay open after charge: a revision is dated and the prosecutor sees it, and
// records their columns on it.
func TestScheduleRevisionAfterChargeVisibleToProsecutor(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	cs := w.s.CaseFiles
	entry, err := cs.AddScheduleEntry(ctx, w.inv, w.id, casefile.EntryInput{Schedule: casefile.ScheduleMG6C, Description: "Daily till rolls", Location: "Store"})
	modelstest.WantCode(t, "a generic description without a reason", err, core.EINVALID)
	entry, err = cs.AddScheduleEntry(ctx, w.inv, w.id, casefile.EntryInput{Schedule: casefile.ScheduleMG6C, Description: "Daily till rolls", Location: "Store",
		GenericReason: "Till rolls of every day alike; none can meet the test"})
	modelstest.Must(t, err)
	if entry.GenericReason == "" || !entry.Generic {
		t.Errorf("the generic entry: %+v", entry)
	}
	casefiletest.Charge(t, cs, w.inv, w.sup, w.liaison, w.id, w.clock.Now())

	mark := modelstest.NoticeMark(t, w.db)
	_, err = w.s.Disclosure.Certify(ctx, w.do, w.id, disclosure.CertifyInput{Kind: disclosure.KindMG6E})
	modelstest.Must(t, err)
	if got := modelstest.Recipients(modelstest.NoticesSince(t, w.db, mark), disclosure.NoticeDisclosure); !slices.Equal(got, modelstest.UserIDs(w.liaison)) {
		t.Errorf("notified of the certification: %v, want the prosecutor", got)
	}
	w.clock.Set(w.clock.Now().Add(72 * time.Hour))
	changed, err := cs.UpdateScheduleEntry(ctx, w.do, w.id, entry.ID, casefile.EntryInput{Description: "Daily till rolls of the car wash, 1 March to 30 April 2025",
		Location: "Store", Undermines: true, Assessment: "Show the victims worked 14-hour days: assists the defence on wages"})
	modelstest.Must(t, err)
	revs, err := cs.ScheduleRevisions(ctx, w.liaison, w.id)
	modelstest.Must(t, err)
	if len(revs) != 2 || !revs[0].RevisedAt.Equal(w.clock.Now()) || revs[0].RevisedByName != w.do.Name || !strings.Contains(revs[0].Summary, "description") ||
		revs[0].Description != changed.Description {
		t.Fatalf("the prosecutor's revisions: %+v", revs)
	}
	marked, err := cs.MarkScheduleEntry(ctx, w.liaison, w.id, entry.ID, schedule.CPSMarkInput{View: "I"})
	modelstest.Must(t, err)
	if marked.CPSView != "I" || marked.CPSAt == nil {
		t.Errorf("the prosecutor's column: %+v", marked)
	}
	_, err = cs.MarkScheduleEntry(ctx, w.inv, w.id, entry.ID, schedule.CPSMarkInput{View: "D"})
	modelstest.WantCode(t, "the team marks for the prosecutor", err, core.EFORBIDDEN)
	v, err := w.s.Disclosure.Get(ctx, w.liaison, w.id)
	modelstest.Must(t, err)
	if len(v.MG6E) != 1 || !v.Actions.Mark || !v.Actions.ReadSensitive {
		t.Errorf("the prosecutor's disclosure view: %+v", v)
	}
}

// Third-party material is requested in stages, each with its reasons, and answered.
func TestThirdPartyRequestsInStages(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	_, err := w.s.Disclosure.AddRequest(ctx, w.inv, w.id, disclosure.RequestInput{})
	var fe *core.Error
	if !errors.As(err, &fe) || len(fe.Fields) != 3 {
		t.Errorf("an empty request: %v, want three problems at once", err)
	}
	in := disclosure.RequestInput{Holder: "Devon social services", Material: "Care records of V1, 2019–2024", Reason: "V1's account of being moved between addresses"}
	first, err := w.s.Disclosure.AddRequest(ctx, w.inv, w.id, in)
	modelstest.Must(t, err)
	_, err = w.s.Disclosure.AnswerRequest(ctx, w.member, w.id, first.ID, disclosure.AnswerInput{Answer: "Records from 2021 only; earlier ones destroyed"})
	modelstest.Must(t, err)
	in.Holder, in.Material = "devon social services", "The 2019 referral file, if kept elsewhere"
	second, err := w.s.Disclosure.AddRequest(ctx, w.inv, w.id, in)
	modelstest.Must(t, err)
	if first.Stage != 1 || second.Stage != 2 {
		t.Errorf("stages %d, %d", first.Stage, second.Stage)
	}
	_, err = w.s.Disclosure.AnswerRequest(ctx, w.member, w.id, first.ID, disclosure.AnswerInput{Answer: "Again"})
	modelstest.WantCode(t, "answering twice", err, core.ECONFLICT)
	_, err = w.s.Disclosure.AddRequest(ctx, w.sup, w.id, in)
	modelstest.WantCode(t, "the supervisor requests", err, core.EFORBIDDEN)
}
