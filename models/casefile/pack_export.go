package casefile

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/msptp/msphub/models/casefile/casedoc"
	"github.com/msptp/msphub/models/casefile/schedule"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// PackExport is a case's pack ready to stream as one ZIP: an index naming every document,
// manifest.json, the MG6C schedule as CSV and case-headed PDF, the CPS's advice and actions with
// the answers, each exhibit's continuity record, the approved snapshot, the current evidence and
// SHA256SUMS for `sha256sum -c`; never the MG6D schedule (ExportMG6D). Evidence streams from the
// store through a fixed buffer, so memory stays flat whatever the pack's size.
type PackExport struct {
	FileName string // CLASSIFICATION_URN_pack.zip, or CLASSIFICATION_URN_MG6D.zip
	Files    int    // evidence files in the pack
	Bytes    int64  // their total size

	s          *Service
	ctx        context.Context
	who        core.Actor
	view       CaseView
	schedule   Schedule // MG6C, or MG6D alone in the restricted export
	items      []ItemView
	evidence   []EvidenceView
	entries    []DisclosureEntry // of the one schedule the export carries
	actions    []ActionView
	continuity map[int64][]CustodyEvent
	oic, discl string    // the officer in the case and the disclosure officer, as the team names them
	signer     string    // who last certified the schedules (MG6E or a nil MG6D return), "" if nobody
	signedAt   time.Time // when; the export's time when nobody has
	submission *SubmissionView
	snapshot   []byte // nil when the exporter may not see the MG6D entries it holds
	blobs      map[int64]core.Blob
	at         time.Time
}

// Export prepares the pack of a case for download. The export is a custody event of every
// current exhibit and is audited. A stored file that fails its integrity check while the pack
// streams stops the export with EINTEGRITY, and the failure is recorded. A CPS liaison exports
// the approved pack shared with them, never the live file. The team, supervisors of the owning
// organisation and the CPS liaison holding a live share may call it. Errors: ENOTFOUND,
// EFORBIDDEN.
func (s *Service) Export(ctx context.Context, who core.Actor, id int64) (*PackExport, error) {
	return s.export(ctx, who, id, false)
}

// ExportMG6D prepares the restricted export of the MG6D schedule of sensitive unused material,
// which is never served on the defence: the schedule as CSV and as a case-headed PDF. It is
// audited. The officer in the case, supervisors of the owning organisation and the prosecutor
// holding a live share may call it. Errors: ENOTFOUND, EFORBIDDEN.
func (s *Service) ExportMG6D(ctx context.Context, who core.Actor, id int64) (*PackExport, error) {
	return s.export(ctx, who, id, true)
}

func (s *Service) export(ctx context.Context, who core.Actor, id int64, mg6d bool) (*PackExport, error) {
	p := &PackExport{s: s, ctx: ctx, who: who, schedule: ScheduleMG6C, blobs: map[int64]core.Blob{}, continuity: map[int64][]CustodyEvent{}, at: s.d.Now()}
	typ, what := "casefile", "Pack"
	if mg6d {
		typ, what, p.schedule = "mg6d", "MG6D schedule", ScheduleMG6D
	}
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, obj, err := s.loadObject(ctx, who, id, typ, policies.ActExport, false)
		if err != nil {
			return err
		}
		if p.view, err = s.view(ctx, who, cf, obj); err != nil {
			return err
		}
		if p.items, err = s.items(ctx, cf.ID); err != nil {
			return err
		}
		if p.evidence, err = s.evidenceViews(ctx, cf.ID, nil); err != nil {
			return err
		}
		if p.entries, err = s.visibleEntries(ctx, who, obj, cf); err != nil {
			return err
		}
		if p.oic, p.discl, err = s.disclosureNames(ctx, cf); err != nil {
			return err
		}
		if p.signer, p.signedAt, err = s.lastCertificate(ctx, cf.ID); err != nil {
			return err
		}
		// The pack the supervisor last approved (or, from before issue 13, whose approval a
		// change voided): the manifest says which, and its snapshot shows what was approved.
		sub, err := s.latestSubmission(ctx, cf.ID, SubmissionApproved, SubmissionVoided)
		if rd := p.view.reading; rd != nil {
			p.items, p.evidence, sub = rd.items(p.items), rd.evidence(p.evidence), &rd.sub
			if !continuingDuty(cf.Status) {
				p.entries = rd.entries(p.entries)
			}
		}
		if err != nil {
			return err
		}
		p.view.Readiness = Readiness(p.items)
		p.entries = slices.DeleteFunc(p.entries, func(e DisclosureEntry) bool { return e.Schedule != p.schedule })
		if sub != nil && !mg6d {
			v, err := s.submissionView(ctx, *sub)
			if err != nil {
				return err
			}
			// The snapshot holds the MG6D entries too: only for those who may export them.
			o := obj
			o.Type, p.submission = "mg6d", &v
			if s.d.Authz.Can(ctx, who.Subject(), policies.ActExport, o) == nil {
				p.snapshot = []byte(sub.Snapshot)
			}
		}
		if !mg6d {
			if err := p.gather(ctx, cf); err != nil {
				return err
			}
		}
		number := 0 // the pack whose manifest the export carries
		if p.submission != nil {
			number = p.submission.Number
		}
		if err := s.packEvent(ctx, who, cf.ID, number, "export", what+" exported", fmt.Sprintf("%d files, %s", p.Files, core.HumanBytes(p.Bytes))); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.export", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"files": core.IDString(int64(p.Files)), "bytes": core.IDString(p.Bytes), "schedule": string(p.schedule)}})
	})
	if err != nil {
		return nil, err
	}
	p.FileName = casedoc.SafeName(p.view.Marking) + "_" + casedoc.SafeName(p.view.URN) + map[bool]string{false: "_pack.zip", true: "_MG6D.zip"}[mg6d]
	return p, nil
}

// gather reads, in the transaction in ctx, what the pack adds to the file: the CPS's entries,
// the evidence files, and each exhibit's continuity record with this export on it.
func (p *PackExport) gather(ctx context.Context, cf *CaseFile) (err error) {
	if p.actions, err = p.s.actions(ctx, cf.ID, nil); err != nil {
		return err
	}
	for _, e := range p.evidence {
		if e.Current() {
			if e.Kind == EvidenceFile && e.BlobID != nil {
				b, err := core.LoadBlob(ctx, p.s.d, *e.BlobID)
				if err != nil {
					return err
				}
				p.blobs[e.ID] = b
				p.Files++
				p.Bytes += b.Size
			}
			if err := p.s.custody(ctx, p.who, e.ID, cf.ID, "exported", "Exported in the pack of "+cf.URN); err != nil {
				return err
			}
		}
		if p.continuity[e.ID], err = p.s.continuity(ctx, cf.ID, e); err != nil {
			return err
		}
	}
	return nil
}

// evidencePath is where an exhibit's file lies in the pack: unique by the exhibit's id.
func evidencePath(e EvidenceView) string {
	return "evidence/" + core.IDString(e.ID) + "_" + casedoc.SafeName(e.ExhibitRef) + "_" + casedoc.SafeName(e.FileName)
}

// packFile is one file of the pack with its figures.
type packFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// manifest is manifest.json.
type manifest struct {
	Format         string           `json:"format"`
	Classification string           `json:"classification"`
	ExportedAt     string           `json:"exported_at"`
	ExportedBy     snapPerson       `json:"exported_by"`
	Case           snapCase         `json:"case"`
	Status         CaseStatus       `json:"status"`
	Submission     *manifestSub     `json:"submission"`
	Readiness      []StageReadiness `json:"readiness"`
	Items          []snapItem       `json:"items"`
	Evidence       []manifestEv     `json:"evidence"`
	Schedules      []manifestSched  `json:"schedules"`
	Files          []packFile       `json:"files"`
	Verify         string           `json:"verify"`
}

type manifestSub struct {
	Number         int     `json:"number"`
	Purpose        Purpose `json:"purpose"`
	ManifestSHA256 string  `json:"manifest_sha256"`
	File           string  `json:"file"`
	SubmittedBy    string  `json:"submitted_by"`
	SubmittedAt    string  `json:"submitted_at"`
	ApprovedBy     string  `json:"approved_by"`
	ApprovedAt     string  `json:"approved_at"`
	// Status is "approved", or "voided" when the file changed after the approval: the files
	// of the export are then the case file as it is now, not the pack as approved.
	Status     SubmissionStatus `json:"status"`
	VoidedAt   string           `json:"voided_at,omitempty"`
	VoidReason string           `json:"void_reason,omitempty"`
}

type manifestEv struct {
	snapEvidence
	Path    string `json:"path,omitempty"`
	Current bool   `json:"current"`
}

type manifestSched struct {
	Schedule Schedule `json:"schedule"`
	File     string   `json:"file"`
	PDF      string   `json:"pdf"`
	Entries  int      `json:"entries"`
}

// WriteTo streams the pack as a ZIP to w. Small files are deflated; evidence is stored as it
// is. It returns an EINTEGRITY error if a stored file fails its check part-way: the ZIP is then
// cut short and must not be delivered as if whole.
func (p *PackExport) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	zw := zip.NewWriter(cw)
	docs, err := p.documents()
	if err != nil {
		return cw.n, core.Internal(err)
	}
	index, err := p.index(docs)
	if err != nil {
		return cw.n, core.Internal(err)
	}
	docs = append([]packDoc{{Path: "index.html", Body: index}}, docs...)
	var files []packFile // everything SHA256SUMS lists
	for _, d := range docs {
		sum := sha256.Sum256(d.Body)
		files = append(files, packFile{Path: d.Path, Size: int64(len(d.Body)), SHA256: hex.EncodeToString(sum[:])})
	}
	for _, e := range p.evidence {
		if b, ok := p.blobs[e.ID]; ok {
			files = append(files, packFile{Path: evidencePath(e), Size: b.Size, SHA256: b.SHA256})
		}
	}
	// The manifest lists every other file; SHA256SUMS lists the manifest too.
	man, err := json.MarshalIndent(p.manifest(slicesClone(files)), "", "  ")
	if err != nil {
		return cw.n, core.Internal(err)
	}
	sum := sha256.Sum256(man)
	files = append(files, packFile{Path: "manifest.json", Size: int64(len(man)), SHA256: hex.EncodeToString(sum[:])})
	docs = slices.Insert(docs, 1, packDoc{Path: "manifest.json", Body: man})

	// The small files first (index and manifest leading), so a reader of a pack cut short
	// still sees what it should have held; then the evidence; SHA256SUMS last.
	for _, d := range docs {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: d.Path, Method: zip.Deflate, Modified: p.at})
		if err != nil {
			return cw.n, err
		}
		if _, err := fw.Write(d.Body); err != nil {
			return cw.n, err
		}
	}
	ring := core.NewPrefetcher()
	for _, e := range p.evidence {
		b, ok := p.blobs[e.ID]
		if !ok {
			continue
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: evidencePath(e), Method: zip.Store, Modified: e.CreatedAt})
		if err != nil {
			return cw.n, err
		}
		f, err := p.s.openChecked(p.ctx, p.who, e, b, "export")
		if err != nil {
			return cw.n, err
		}
		n, err := ring.Copy(fw, f)
		f.Close()
		if err != nil {
			return cw.n, err
		}
		if n != b.Size {
			return cw.n, core.Integrity(fmt.Errorf("exhibit %d: %d bytes read, %d recorded", e.ID, n, b.Size))
		}
	}
	var sums bytes.Buffer
	for _, f := range files {
		fmt.Fprintf(&sums, "%s  %s\n", f.SHA256, f.Path)
	}
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: "SHA256SUMS", Method: zip.Deflate, Modified: p.at})
	if err != nil {
		return cw.n, err
	}
	if _, err := fw.Write(sums.Bytes()); err != nil {
		return cw.n, err
	}
	if err := zw.Close(); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

func slicesClone(fs []packFile) []packFile { return append([]packFile(nil), fs...) }

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// scheduleTable is one schedule's entries as the CSV and the PDF show them: the one place that
// says which columns a schedule carries.
func scheduleTable(entries []DisclosureEntry, sch Schedule) (columns []string, rows [][]string) {
	// MG6C is served on the defence: it carries no officer's assessment (that is MG6E's).
	columns = []string{"Number", "Description", "Location", "Reason for a generic description", "Prosecutor: D / CND / I"}
	if sch == ScheduleMG6D {
		columns = []string{"Number", "Description", "Location", "Reason for a generic description", "Marking", "Reason sensitive", "Prosecutor agrees sensitive", "PII application needed"}
	}
	for _, e := range entries {
		if e.Schedule != sch {
			continue
		}
		row := []string{core.IDString(int64(e.Number)), e.Description, e.Location, e.GenericReason, e.CPSView}
		if sch == ScheduleMG6D {
			row = append(row[:4], e.Marking, e.OfficerView, e.CPSSensitive, e.CPSPII)
		}
		rows = append(rows, row)
	}
	return columns, rows
}

// packDoc is one document of the pack besides the evidence: its path, what the index calls it,
// and its bytes.
type packDoc struct {
	Path, Title string
	Body        []byte
}

// subFile is where the approved submission's snapshot lies in the pack, "" when it is not in it.
func (p *PackExport) subFile() string {
	if p.snapshot == nil {
		return ""
	}
	return "submission-" + core.IDString(int64(p.submission.Number)) + ".json"
}

// documents renders the pack's documents: the schedule it carries as CSV and PDF and, in the
// pack itself, the CPS's entries, each exhibit's continuity record and the snapshot.
func (p *PackExport) documents() ([]packDoc, error) {
	head := casedoc.Head{Marking: p.view.MarkingLine(), URN: p.view.URN, Operation: OperationTitle(p.view.Operation), OIC: p.oic, DisclosureOfficer: p.discl}
	sch := p.schedule
	columns, rows := scheduleTable(p.entries, sch)
	pdfs := []casedoc.Doc{{Head: head, Title: sch.Label(), Intro: "Schedule of " + casedoc.Count(len(rows), "entry", "entries") + ".",
		Columns: columns, Widths: []float64{1, 6, 3, 5}, Rows: rows, Signer: "disclosure officer", SignedBy: p.signer, Dated: cmp.Or(p.signedAt, p.at)}}
	paths := []string{"schedules/" + string(sch) + ".pdf"}
	if sch == ScheduleMG6C {
		cps := casedoc.Doc{Head: head, Title: "CPS advice, decisions and action plan", Intro: casedoc.Count(len(p.actions), "entry", "entries") + ", newest first, with the team's answers.",
			Columns: []string{"Recorded", "Entry", "By", "Text", "Due", "Team's answer"}, Widths: []float64{2, 2, 2, 6, 2, 5}, Dated: p.at}
		for _, a := range p.actions {
			entry, due, answer := map[ActionKind]string{KindAdvice: "Early advice", KindAction: "Action"}[a.Kind], "", ""
			if a.Kind == KindDecision {
				entry = "Decision: " + a.DecisionLabel
			}
			if a.DueOn != nil {
				due = a.DueOn.Format("2 January 2006")
			}
			if a.RespondedAt != nil {
				answer = a.Response + " (" + a.RespondedByName + ", " + a.RespondedAt.In(core.London).Format("2 January 2006") + ")"
			}
			cps.Rows = append(cps.Rows, []string{a.CreatedAt.In(core.London).Format("2 January 2006 15:04"), entry, a.CreatedByName, a.Text, due, answer})
		}
		pdfs, paths = append(pdfs, cps), append(paths, "cps/advice-decisions-and-actions.pdf")
		for _, e := range p.evidence {
			d := casedoc.Doc{Head: head, Title: "Continuity record of exhibit " + e.ExhibitRef, Dated: p.at,
				Intro:   e.Description + ". " + casedoc.Count(len(p.continuity[e.ID]), "event", "events") + ", oldest first.",
				Columns: []string{"When", "Event", "By", "Details"}, Widths: []float64{2, 2, 4, 8}}
			for _, c := range p.continuity[e.ID] {
				d.Rows = append(d.Rows, []string{c.OccurredAt.In(core.London).Format("2 January 2006 15:04:05"), c.Action, strings.Trim(c.Actor+" ("+c.Organisation+")", " ()"), c.Details})
			}
			pdfs, paths = append(pdfs, d), append(paths, "continuity/"+core.IDString(e.ID)+"_"+casedoc.SafeName(e.ExhibitRef)+".pdf")
		}
	}
	csvBytes, err := casedoc.CSV(columns, rows)
	docs := []packDoc{{Path: "schedules/" + string(sch) + ".csv", Title: sch.Label() + " (CSV)", Body: csvBytes}}
	for i, d := range pdfs {
		b, perr := casedoc.PDF(d)
		docs, err = append(docs, packDoc{Path: paths[i], Title: d.Title + " (PDF)", Body: b}), errors.Join(err, perr)
	}
	if f := p.subFile(); f != "" {
		docs = append(docs, packDoc{Path: f, Title: "The approved pack's frozen snapshot, whose SHA-256 is its manifest hash", Body: p.snapshot})
	}
	return docs, err
}

func (p *PackExport) manifest(files []packFile) manifest {
	m := manifest{Format: "msphub-pack/1", Classification: p.view.Marking, ExportedAt: p.at.Format(time.RFC3339Nano),
		ExportedBy: snapPerson{ID: p.who.UserID, Name: p.who.Name}, Status: p.view.Status, Readiness: p.view.Readiness,
		Case: snapCase{ID: p.view.ID, URN: p.view.URN, Operation: p.view.Operation, Organisation: p.view.Organisation, Classification: p.view.Marking,
			SuspectMayBeVictim: p.view.SuspectMayBeVictim, OrdersSought: p.view.OrdersSought},
		Items: []snapItem{}, Evidence: []manifestEv{}, Files: files,
		Verify: "Unzip the pack and run `sha256sum -c SHA256SUMS` in its folder: every file must say OK. submission-N.json hashes to the manifest_sha256 MSP Hub recorded when the pack was submitted."}
	for _, o := range p.view.Offences() {
		m.Case.Offences = append(m.Case.Offences, string(o))
	}
	if p.submission != nil {
		sub := p.submission
		m.Submission = &manifestSub{Number: sub.Number, Purpose: sub.Purpose, ManifestSHA256: sub.ManifestSHA256, File: p.subFile(),
			SubmittedBy: sub.SubmittedByName, SubmittedAt: sub.SubmittedAt.Format(time.RFC3339Nano), ApprovedBy: sub.DecidedByName}
		if sub.DecidedAt != nil {
			m.Submission.ApprovedAt = sub.DecidedAt.Format(time.RFC3339Nano)
		}
		m.Submission.Status = sub.Status
		if sub.VoidedAt != nil {
			m.Submission.VoidedAt, m.Submission.VoidReason = sub.VoidedAt.Format(time.RFC3339Nano), sub.VoidReason
		}
	}
	for _, it := range p.items {
		m.Items = append(m.Items, snapItemOf(it))
	}
	for _, e := range p.evidence {
		me := manifestEv{snapEvidence: snapEvidenceOf(e), Current: e.Current()}
		if _, ok := p.blobs[e.ID]; ok {
			me.Path = evidencePath(e)
		}
		m.Evidence = append(m.Evidence, me)
	}
	for _, sch := range Schedules() {
		if n := len(p.entries); sch == p.schedule {
			m.Schedules = append(m.Schedules, manifestSched{Schedule: sch, File: "schedules/" + string(sch) + ".csv", PDF: "schedules/" + string(sch) + ".pdf", Entries: n})
		}
	}
	return m
}

var indexPage = template.Must(template.New("index").Funcs(template.FuncMap{
	"date": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format("2 January 2006")
	},
	"bytes":     core.HumanBytes,
	"path":      evidencePath,
	"operation": OperationTitle,
}).Parse(casedoc.IndexTemplate))

// index renders index.html, naming every document: every value escaped by html/template.
func (p *PackExport) index(docs []packDoc) ([]byte, error) {
	var b bytes.Buffer
	err := indexPage.Execute(&b, map[string]any{"Case": p.view, "Items": p.items, "Evidence": p.evidence, "Submission": p.submission,
		"SubFile": p.subFile(), "At": p.at.In(core.London), "By": p.who.Name, "MG6DOnly": p.schedule == ScheduleMG6D, "Docs": docs,
		"Entries": casedoc.Count(len(p.entries), "entry", "entries")})
	return b.Bytes(), err
}

// disclosureNames are the names of the case's officer in the case (the lead investigator until
// the team names one) and its disclosure officer ("" until named), for the documents' heads.
func (s *Service) disclosureNames(ctx context.Context, cf *CaseFile) (oic, discl string, err error) {
	team, err := s.team(ctx, cf)
	for _, m := range team {
		switch {
		case m.OIC:
			oic = m.Name
		case oic == "" && m.Role == "lead":
			oic = m.Name
		}
		if m.DisclosureRole == schedule.RoleDisclosureOfficer {
			discl = m.Name
		}
	}
	return oic, discl, err
}

// lastCertificate is who last certified the case's schedules as disclosure officer, and when:
// the signature and date a schedule carries. "" when nobody has yet.
func (s *Service) lastCertificate(ctx context.Context, caseID int64) (string, time.Time, error) {
	var row struct {
		Name        string
		CertifiedAt time.Time
	}
	err := s.d.DB.Conn(ctx).Table("disclosure_certificates c").Select("u.name, c.certified_at").Joins("JOIN users u ON u.id = c.certified_by").
		Where("c.case_id = ?", caseID).Order("c.id DESC").Limit(1).Scan(&row).Error
	return row.Name, row.CertifiedAt, core.DBError(err)
}
