package casefile

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// PackExport is a case's pack ready to stream as one ZIP: an index page, manifest.json, the
// schedules as CSV, the approved submission's snapshot, the current evidence files and a
// SHA256SUMS file that `sha256sum -c` verifies once unzipped. Evidence streams from the store
// one file at a time through a fixed buffer, so memory stays flat whatever the pack's size.
type PackExport struct {
	FileName string // CLASSIFICATION_URN_pack.zip
	Files    int    // evidence files in the pack
	Bytes    int64  // their total size

	s          *Service
	ctx        context.Context
	who        core.Actor
	view       CaseView
	items      []ItemView
	evidence   []EvidenceView
	entries    []DisclosureEntry
	submission *SubmissionView
	snapshot   []byte
	blobs      map[int64]core.Blob
	at         time.Time
}

// Export prepares the pack of a case for download. The export is a custody event of every
// current exhibit and is audited. A stored file that fails its integrity check while the pack
// streams stops the export with EINTEGRITY, and the failure is recorded. The team, supervisors
// of the owning organisation and the CPS liaison holding a live share may call it. Errors:
// ENOTFOUND, EFORBIDDEN.
func (s *Service) Export(ctx context.Context, who core.Actor, id int64) (*PackExport, error) {
	p := &PackExport{s: s, ctx: ctx, who: who, blobs: map[int64]core.Blob{}, at: s.d.Now()}
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, obj, err := s.loadObject(ctx, who, id, "casefile", policies.ActExport, false)
		if err != nil {
			return err
		}
		if p.view, err = s.view(ctx, who, cf, obj); err != nil {
			return err
		}
		if p.items, err = s.items(ctx, cf.ID); err != nil {
			return err
		}
		p.view.Readiness = Readiness(p.items)
		if p.evidence, err = s.evidenceViews(ctx, cf.ID, 0); err != nil {
			return err
		}
		if p.entries, err = s.entries(ctx, cf.ID); err != nil {
			return err
		}
		// The pack the supervisor last approved (or, from before issue 13, whose approval a
		// change voided): the manifest says which, and its snapshot shows what was approved. A
		// CPS liaison exports the approved pack shared with them, never the live file.
		sub, err := s.latestSubmission(ctx, cf.ID, SubmissionApproved, SubmissionVoided)
		if rd := p.view.reading; rd != nil {
			p.items, p.evidence, p.entries, sub = rd.items(p.items), rd.evidence(p.evidence), rd.entries(p.entries), &rd.sub
			p.view.Readiness = Readiness(p.items)
		}
		if err != nil {
			return err
		}
		if sub != nil {
			v, err := s.submissionView(ctx, *sub)
			if err != nil {
				return err
			}
			p.submission, p.snapshot = &v, []byte(sub.Snapshot)
		}
		for _, e := range p.evidence {
			if !e.Current() {
				continue
			}
			if e.Kind == EvidenceFile && e.BlobID != nil {
				b, err := core.LoadBlob(ctx, s.d, *e.BlobID)
				if err != nil {
					return err
				}
				p.blobs[e.ID] = b
				p.Files++
				p.Bytes += b.Size
			}
			if err := s.custody(ctx, who, e.ID, cf.ID, "exported", "Exported in the pack of "+cf.URN); err != nil {
				return err
			}
		}
		if err := s.event(ctx, who, cf.ID, "export", "Pack exported", fmt.Sprintf("%d files, %s", p.Files, core.HumanBytes(p.Bytes))); err != nil {
			return err
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.export", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"files": core.IDString(int64(p.Files)), "bytes": core.IDString(p.Bytes)}})
	})
	if err != nil {
		return nil, err
	}
	p.FileName = safeName(p.view.Marking) + "_" + safeName(p.view.URN) + "_pack.zip"
	return p, nil
}

// safeName keeps letters, digits, dots, hyphens and underscores, replacing anything else.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), ".")
	if len(out) > 80 {
		out = out[:80]
	}
	if out == "" {
		out = "file"
	}
	return out
}

// evidencePath is where an exhibit's file lies in the pack: unique by the exhibit's id.
func evidencePath(e EvidenceView) string {
	return "evidence/" + core.IDString(e.ID) + "_" + safeName(e.ExhibitRef) + "_" + safeName(e.FileName)
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
	Entries  int      `json:"entries"`
}

// WriteTo streams the pack as a ZIP to w. Small files are deflated; evidence is stored as it
// is. It returns an EINTEGRITY error if a stored file fails its check part-way: the ZIP is then
// cut short and must not be delivered as if whole.
func (p *PackExport) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	zw := zip.NewWriter(cw)
	var files []packFile // everything SHA256SUMS lists
	small := map[string][]byte{}
	add := func(path string, b []byte) {
		sum := sha256.Sum256(b)
		files = append(files, packFile{Path: path, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])})
		small[path] = b
	}
	for _, sch := range Schedules() {
		b, err := scheduleCSV(p.entries, sch)
		if err != nil {
			return cw.n, core.Internal(err)
		}
		add("schedules/"+string(sch)+".csv", b)
	}
	var subFile string
	if p.submission != nil {
		subFile = "submission-" + core.IDString(int64(p.submission.Number)) + ".json"
		add(subFile, p.snapshot)
	}
	index, err := p.index(subFile)
	if err != nil {
		return cw.n, core.Internal(err)
	}
	add("index.html", index)
	for _, e := range p.evidence {
		if b, ok := p.blobs[e.ID]; ok {
			files = append(files, packFile{Path: evidencePath(e), Size: b.Size, SHA256: b.SHA256})
		}
	}
	// The manifest lists every other file; SHA256SUMS lists the manifest too.
	man, err := json.MarshalIndent(p.manifest(subFile, slicesClone(files)), "", "  ")
	if err != nil {
		return cw.n, core.Internal(err)
	}
	add("manifest.json", man)

	// The small files first (index and manifest leading), so a reader of a pack cut short
	// still sees what it should have held; then the evidence; SHA256SUMS last.
	smallOrder := []string{"index.html", "manifest.json", "schedules/MG6C.csv", "schedules/MG6D.csv"}
	if subFile != "" {
		smallOrder = append(smallOrder, subFile)
	}
	for _, path := range smallOrder {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: path, Method: zip.Deflate, Modified: p.at})
		if err != nil {
			return cw.n, err
		}
		if _, err := fw.Write(small[path]); err != nil {
			return cw.n, err
		}
	}
	ring := newPrefetchRing()
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
		n, err := ring.copy(fw, f)
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

// scheduleCSV writes one schedule as CSV, cells a spreadsheet would run as a formula
// neutralised.
func scheduleCSV(entries []DisclosureEntry, sch Schedule) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	view := "Disclosure officer's view"
	if sch == ScheduleMG6D {
		view = "Reason sensitive and disclosure officer's view"
	}
	if err := w.Write([]string{"Number", "Description", "Location", view}); err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Schedule != sch {
			continue
		}
		if err := w.Write([]string{core.IDString(int64(e.Number)), core.CSVSafe(e.Description), core.CSVSafe(e.Location), core.CSVSafe(e.OfficerView)}); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

func (p *PackExport) manifest(subFile string, files []packFile) manifest {
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
		m.Submission = &manifestSub{Number: sub.Number, Purpose: sub.Purpose, ManifestSHA256: sub.ManifestSHA256, File: subFile,
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
		n := 0
		for _, e := range p.entries {
			if e.Schedule == sch {
				n++
			}
		}
		m.Schedules = append(m.Schedules, manifestSched{Schedule: sch, File: "schedules/" + string(sch) + ".csv", Entries: n})
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
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Case.Marking}} – Case file pack {{.Case.URN}} – {{operation .Case.Operation}}</title>
<style>
body { font-family: arial, sans-serif; margin: 2em; color: #0b0c0c; }
.marking { text-align: center; font-weight: bold; padding: .5em; border: 2px solid #0b0c0c; }
table { border-collapse: collapse; width: 100%; margin-bottom: 2em; }
th, td { border: 1px solid #b1b4b6; padding: .4em; text-align: left; vertical-align: top; }
code { word-break: break-all; }
</style>
</head>
<body>
<p class="marking">{{.Case.Marking}}</p>
<h1>Case file pack {{.Case.URN}}</h1>
<dl>
<dt>Operation</dt><dd>{{.Case.Operation}}</dd>
<dt>Owning organisation</dt><dd>{{.Case.Organisation}}</dd>
<dt>Offences</dt><dd>{{range $i, $o := .Case.OffenceList}}{{if $i}}; {{end}}{{$o.Label}}{{end}}</dd>
<dt>Status</dt><dd>{{.Case.StatusLabel}}</dd>
<dt>Lead investigator</dt><dd>{{.Case.LeadName}}</dd>
<dt>Exported</dt><dd>{{.At.Format "2 January 2006 15:04:05 MST"}} by {{.By}}</dd>
{{with .Submission}}<dt>Approved pack</dt><dd>Pack {{.Number}} ({{.PurposeLabel}}), submitted by {{.SubmittedByName}}, approved by {{.DecidedByName}}. Manifest SHA-256 <code>{{.ManifestSHA256}}</code> is the SHA-256 of {{$.SubFile}}.{{if eq .Status "voided"}} <strong>The approval was voided{{with .VoidedAt}} on {{date .}}{{end}} by a later change ({{.VoidReason}}): the files in this export are the case file as it is now, not the pack as approved.</strong>{{end}}</dd>{{end}}
</dl>
<p>To check this pack, unzip it and run <code>sha256sum -c SHA256SUMS</code> in its folder: every file must say OK.</p>
<h2>Readiness</h2>
<table>
<thead><tr><th scope="col">Stage</th><th scope="col">Required items done</th></tr></thead>
<tbody>{{range .Case.Readiness}}<tr><td>{{.Label}}</td><td>{{.Done}} of {{.Total}} ({{.Percent}}%)</td></tr>{{end}}</tbody>
</table>
<h2>Checklist</h2>
<table>
<thead><tr><th scope="col">Checklist</th><th scope="col">Item</th><th scope="col">Stage</th><th scope="col">Required</th><th scope="col">Status</th><th scope="col">Reasons and notes</th><th scope="col">Exhibits</th></tr></thead>
<tbody>{{range .Items}}<tr><td>{{.Checklist}}</td><td>{{.Text}}</td><td>{{.Stage.Label}}</td><td>{{if .Required}}Yes{{else}}No{{end}}</td><td>{{.StatusLabel}}</td><td>{{with .NAReason}}Not applicable: {{.}} {{end}}{{with .CPSReason}}CPS: {{.}} {{end}}{{.Notes}}</td><td>{{range $i, $e := .Evidence}}{{if $i}}, {{end}}{{$e.ExhibitRef}}{{end}}</td></tr>{{end}}</tbody>
</table>
<h2>Exhibits</h2>
<table>
<thead><tr><th scope="col">Exhibit</th><th scope="col">Description</th><th scope="col">Producer and date</th><th scope="col">File or system</th><th scope="col">Size</th><th scope="col">Hash</th></tr></thead>
<tbody>{{range .Evidence}}<tr><td>{{.ExhibitRef}}{{with .SupersededByRef}} (superseded by {{.}}){{end}}{{with .SupersedesRef}} (supersedes {{.}}){{end}}</td><td>{{.Description}}</td><td>{{.Producer}}{{with .ProducedOn}}, {{date .}}{{end}}</td>
<td>{{if eq .Kind "file"}}{{if .Current}}<a href="{{path .}}">{{path .}}</a>{{else}}{{.FileName}} (not in this pack){{end}}{{else}}{{.ExternalSystem}} {{.ExternalID}}{{end}}</td>
<td>{{if eq .Kind "file"}}{{bytes .Size}} ({{.Size}} bytes){{end}}</td><td>{{if eq .Kind "file"}}SHA-256 <code>{{.SHA256}}</code>{{else}}{{.HashAlgorithm}} <code>{{.ExternalHash}}</code>{{end}}</td></tr>{{end}}</tbody>
</table>
<h2>Unused material</h2>
<ul>
<li><a href="schedules/MG6C.csv">MG6C non-sensitive unused material</a> ({{.MG6C}} entries)</li>
<li><a href="schedules/MG6D.csv">MG6D sensitive unused material</a> ({{.MG6D}} entries): never shown to the defence</li>
</ul>
<p class="marking">{{.Case.Marking}}</p>
</body>
</html>
`))

// index renders index.html: every value escaped by html/template.
func (p *PackExport) index(subFile string) ([]byte, error) {
	var mg6c, mg6d int
	for _, e := range p.entries {
		if e.Schedule == ScheduleMG6C {
			mg6c++
		} else {
			mg6d++
		}
	}
	var b bytes.Buffer
	err := indexPage.Execute(&b, map[string]any{"Case": p.view, "Items": p.items, "Evidence": p.evidence, "Submission": p.submission,
		"SubFile": subFile, "At": p.at.In(core.London), "By": p.who.Name, "MG6C": mg6c, "MG6D": mg6d})
	return b.Bytes(), err
}

// The export reads an exhibit from the store and writes it to the client at the same time:
// a goroutine fills fixed buffers from the store (decrypting and checking as it goes) while
// the caller writes the previous ones out, so neither side waits for the other, and each
// write to the client is a large one. Memory is prefetchBuffers*prefetchSize, whatever the
// size of the pack.
const (
	prefetchSize    = 1 << 20
	prefetchBuffers = 3
)

type prefetchRing struct{ free chan []byte }

func newPrefetchRing() *prefetchRing {
	r := &prefetchRing{free: make(chan []byte, prefetchBuffers)}
	for range prefetchBuffers {
		r.free <- make([]byte, prefetchSize)
	}
	return r
}

// copy writes everything src holds to dst and returns how many bytes it wrote, or the first
// error of either side. The reading goroutine has stopped, and every buffer is back in the
// ring, when it returns.
func (r *prefetchRing) copy(dst io.Writer, src io.Reader) (int64, error) {
	type chunk struct {
		buf []byte
		n   int
		err error
	}
	full := make(chan chunk, prefetchBuffers)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(full)
		for {
			select {
			case <-stop: // the writer failed: read no further
				return
			default:
			}
			var buf []byte
			select {
			case buf = <-r.free:
			case <-stop:
				return
			}
			n, err := io.ReadFull(src, buf)
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			select {
			case full <- chunk{buf, n, err}:
			case <-stop:
				r.free <- buf
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var written int64
	var failed error
	for c := range full {
		if failed == nil && c.n > 0 {
			var n int
			n, failed = dst.Write(c.buf[:c.n])
			written += int64(n)
			if failed == nil && n < c.n {
				failed = io.ErrShortWrite
			}
		}
		r.free <- c.buf
		if failed == nil && c.err != nil && c.err != io.EOF {
			failed = c.err
		}
		if failed != nil {
			break
		}
	}
	close(stop)
	<-done
	for c := range full { // what the reader sent before it saw stop
		r.free <- c.buf
	}
	return written, failed
}
