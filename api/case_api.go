package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/charging"
	"github.com/msptp/msphub/models/casefile/disclosure"
	"github.com/msptp/msphub/models/casefile/packdiff"
	"github.com/msptp/msphub/models/casefile/templates"
	"github.com/msptp/msphub/models/core"
)

// Date is a calendar date in JSON: "YYYY-MM-DD", or null / "" for none.
type Date struct{ T *time.Time }

// UnmarshalJSON reads "YYYY-MM-DD".
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		d.T = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		d.T = nil
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return errors.New("not a date as YYYY-MM-DD")
	}
	d.T = &t
	return nil
}

// caseFilter is the case list's filter: ?queue=, ?q=, ?status= (repeated).
func caseFilter(c *gin.Context) (casefile.CaseFilter, error) {
	f := casefile.CaseFilter{Queue: c.Query("queue"), Query: c.Query("q")}
	for _, st := range c.QueryArray("status") {
		f.Status = append(f.Status, casefile.CaseStatus(st))
	}
	return f, nil
}

// people puts a list of people under "people", never null.
func people(list func(context.Context, core.Actor) ([]casefile.Person, error)) func(context.Context, core.Actor) (gin.H, error) {
	return func(ctx context.Context, who core.Actor) (gin.H, error) {
		out, err := list(ctx, who)
		if out == nil {
			out = []casefile.Person{}
		}
		return gin.H{"people": out}, err
	}
}

func templateList(tpl *templates.Service) func(context.Context, core.Actor) (gin.H, error) {
	return func(ctx context.Context, who core.Actor) (gin.H, error) {
		ts, err := tpl.Latest(ctx, who)
		return gin.H{"templates": ts}, err
	}
}

func handleTemplateVersions(tpl *templates.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		ts, err := tpl.Versions(c.Request.Context(), actorOf(c), c.Param("code"))
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"versions": ts})
	}
}

func handleTemplateVersionCreate(tpl *templates.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in templates.Input
		if !bindJSON(c, &in) {
			return
		}
		t, err := tpl.NewVersion(c.Request.Context(), actorOf(c), c.Param("code"), in)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusCreated, t)
	}
}

// itemRequest is a checklist item update.
type itemRequest struct {
	Status      casefile.ItemStatus `json:"status"`
	NAReason    string              `json:"na_reason"`
	OwnerID     int64               `json:"owner_id"`
	DueOn       Date                `json:"due_on"`
	Notes       string              `json:"notes"`
	EvidenceIDs []int64             `json:"evidence_ids"`
}

type reviewRequest struct {
	Verdict   string `json:"verdict"`
	Reason    string `json:"reason"`
	ActionDue Date   `json:"action_due_on"`
}

type referenceRequest struct {
	ExhibitRef       string  `json:"exhibit_ref"`
	Description      string  `json:"description"`
	Producer         string  `json:"producer"`
	ProducedOn       Date    `json:"produced_on"`
	Source           string  `json:"source"`
	ItemIDs          []int64 `json:"item_ids"`
	Supersedes       int64   `json:"supersedes"`
	CorrectionReason string  `json:"correction_reason"`
	System           string  `json:"system"`
	ExternalID       string  `json:"external_id"`
	HashAlgorithm    string  `json:"hash_algorithm"`
	Hash             string  `json:"hash"`
}

type shareRequest struct {
	LiaisonID int64 `json:"liaison_id"`
	ExpiresOn Date  `json:"expires_on"`
}

type actionRequest struct {
	Text   string `json:"text"`
	DueOn  Date   `json:"due_on"`
	ItemID int64  `json:"item_id"`
}

type decisionRequest struct {
	Decision  casefile.Decision `json:"decision"`
	Reasons   string            `json:"reasons"`
	Action    string            `json:"action"`
	ActionDue Date              `json:"action_due_on"`
	Test      charging.Test     `json:"test"`
	ReviewOn  Date              `json:"review_on"`
	Charges   []charging.Charge `json:"charges"`
	Basis     charging.Basis    `json:"nfa_basis"`
}

type policeChargeRequest struct {
	ChargedOn Date   `json:"charged_on"`
	ChargedBy string `json:"charged_by"`
}

type textRequest struct {
	Text     string `json:"text"`
	Reason   string `json:"reason"`
	Response string `json:"response"`
}

type submitRequest = casefile.SubmitInput

// EvidenceFields reads an exhibit's description from an upload form's fields; the pages use
// it too. Dates come as produced_on (YYYY-MM-DD) or as the GOV.UK date input's three fields.
func EvidenceFields(f map[string][]string) (casefile.EvidenceInput, error) {
	get := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	in := casefile.EvidenceInput{ExhibitRef: get("exhibit_ref"), Description: get("description"), Producer: get("producer"),
		Source: get("source"), CorrectionReason: get("correction_reason")}
	if v := get("supersedes"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return in, core.Invalid("supersedes", "Select an exhibit to correct")
		}
		in.Supersedes = id
	}
	for _, v := range f["item_ids"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return in, core.Invalid("item_ids", "Select checklist items of this case")
		}
		in.ItemIDs = append(in.ItemIDs, id)
	}
	d, err := formDate(get, "produced_on", "Date produced")
	in.ProducedOn = d
	return in, err
}

// formDate reads a date field of an upload form: name as YYYY-MM-DD, or the GOV.UK date input
// name-day, name-month and name-year, which label names in errors. Empty means none.
func formDate(get func(string) string, name, label string) (*time.Time, error) {
	if v := strings.TrimSpace(get(name)); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, core.Invalid(name, "Enter a real date, like 2026-03-31")
		}
		return &t, nil
	}
	return DateInput(get, name, label)
}

// handleEvidenceUpload streams an exhibit's file: the form's fields come first, then the
// file, which goes straight to the encrypted store.
func handleEvidenceUpload(cases *casefile.Service, limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := PathID(c, "id")
		if !ok {
			return
		}
		if err := cases.MayUpload(c.Request.Context(), actorOf(c), id); err != nil {
			writeError(c, err)
			return
		}
		BufferUpload(c)
		form, err := OpenUpload(c)
		if err != nil {
			writeError(c, err)
			return
		}
		in, err := EvidenceFields(form.Fields)
		if err != nil {
			writeError(c, err)
			return
		}
		up, err := form.OnlyFile()
		if errors.Is(err, io.EOF) {
			writeError(c, core.Invalid("file", "Select the exhibit's file, after the other fields"))
			return
		}
		ev, err := cases.Upload(c.Request.Context(), actorOf(c), id, in, up, limit)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusCreated, ev)
	}
}

// uploadBuffer is how much of an upload's body is read from the connection at a time. The
// multipart reader reads in 4 KiB steps; without a larger buffer under it, a 5 GiB exhibit would
// cost over a million read system calls.
const uploadBuffer = 256 << 10

// BufferUpload puts a large read buffer under the request body of an upload whose multipart form
// has not been opened yet (API uploads: page uploads are opened by the CSRF check). The pages use
// it too.
func BufferUpload(c *gin.Context) {
	if _, opened := c.Get(multipartKey); opened {
		return
	}
	c.Request.Body = bufferedBody{Reader: bufio.NewReaderSize(c.Request.Body, uploadBuffer), Closer: c.Request.Body}
}

type bufferedBody struct {
	*bufio.Reader
	io.Closer
}

// handleEvidenceDownload streams an exhibit's file (pages and API): every download is a
// custody event, and a file that fails its integrity check is never served.
func handleEvidenceDownload(cases *casefile.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := PathIDs(c, "id", "ev")
		if !ok {
			return
		}
		f, err := cases.OpenEvidence(c.Request.Context(), actorOf(c), ids[0], ids[1])
		if err != nil {
			writeError(c, err)
			return
		}
		SendFile(c, f, f.Name)
	}
}

// handleCaseExport streams the pack as one ZIP (pages and API), or with export the restricted
// export of the MG6D schedule. The export is checked and recorded before the first byte; a
// stored file failing its integrity check part-way cuts the connection, so a pack with altered
// evidence is never delivered as if whole.
func handleCaseExport(export func(context.Context, core.Actor, int64) (*casefile.PackExport, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, ok := pathObject(c, export)
		if !ok {
			return
		}
		h := c.Writer.Header()
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", ContentDisposition(p.FileName))
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		c.Status(http.StatusOK)
		meter := downloadMeter(c)
		defer meter.done()
		if _, err := p.WriteTo(meter.writer(c.Writer)); err != nil {
			panic(http.ErrAbortHandler)
		}
	}
}

// handleSubmissionSnapshot serves a submission's frozen snapshot byte for byte, so its SHA-256
// can be checked against the manifest hash.
func handleSubmissionSnapshot(cases *casefile.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := PathIDs(c, "id", "number")
		if !ok {
			return
		}
		sub, snap, err := cases.SubmissionSnapshot(c.Request.Context(), actorOf(c), ids[0], int(ids[1]))
		if err != nil {
			writeError(c, err)
			return
		}
		c.Header("X-Manifest-SHA256", sub.ManifestSHA256)
		c.Data(http.StatusOK, "application/json", snap)
	}
}

// handleSubmissionChanges serves what changed in a submission since the approved pack before it.
func handleSubmissionChanges(cases *casefile.Service) gin.HandlerFunc {
	return byIDs("number", http.StatusOK, func(ctx context.Context, who core.Actor, id, number int64) (packdiff.Changes, error) {
		return cases.SubmissionChanges(ctx, who, id, int(number))
	})
}

// The case operations as byID, byIDs and their With forms take them, where the models
// operation does not fit as it is.

func itemUpdate(cases *casefile.Service) func(context.Context, core.Actor, int64, int64, itemRequest) (casefile.ItemView, error) {
	return func(ctx context.Context, who core.Actor, id, item int64, r itemRequest) (casefile.ItemView, error) {
		return cases.UpdateItem(ctx, who, id, item, casefile.ItemInput{Status: r.Status, NAReason: r.NAReason, OwnerID: r.OwnerID, DueOn: r.DueOn.T, Notes: r.Notes, EvidenceIDs: r.EvidenceIDs})
	}
}

func itemReview(cases *casefile.Service) func(context.Context, core.Actor, int64, int64, reviewRequest) (casefile.ItemView, error) {
	return func(ctx context.Context, who core.Actor, id, item int64, r reviewRequest) (casefile.ItemView, error) {
		return cases.ReviewItem(ctx, who, id, item, casefile.ReviewInput{Verdict: r.Verdict, Reason: r.Reason, ActionDue: r.ActionDue.T})
	}
}

func evidenceReference(cases *casefile.Service) func(context.Context, core.Actor, int64, referenceRequest) (casefile.EvidenceView, error) {
	return func(ctx context.Context, who core.Actor, id int64, r referenceRequest) (casefile.EvidenceView, error) {
		return cases.Reference(ctx, who, id, casefile.ReferenceInput{EvidenceInput: casefile.EvidenceInput{ExhibitRef: r.ExhibitRef, Description: r.Description,
			Producer: r.Producer, ProducedOn: r.ProducedOn.T, Source: r.Source, ItemIDs: r.ItemIDs, Supersedes: r.Supersedes, CorrectionReason: r.CorrectionReason},
			System: r.System, ExternalID: r.ExternalID, HashAlgorithm: r.HashAlgorithm, Hash: r.Hash})
	}
}

// exhibitRecord is an exhibit with its continuity record.
type exhibitRecord struct {
	casefile.EvidenceView
	Custody []casefile.CustodyEvent `json:"custody"`
}

func evidenceView(cases *casefile.Service) func(context.Context, core.Actor, int64, int64) (exhibitRecord, error) {
	return func(ctx context.Context, who core.Actor, id, ev int64) (exhibitRecord, error) {
		v, record, err := cases.ViewEvidence(ctx, who, id, ev)
		if record == nil {
			record = []casefile.CustodyEvent{}
		}
		return exhibitRecord{EvidenceView: v, Custody: record}, err
	}
}

func memberRemove(cases *casefile.Service) func(context.Context, core.Actor, int64, int64) (struct{}, error) {
	return func(ctx context.Context, who core.Actor, id, member int64) (struct{}, error) {
		return struct{}{}, cases.RemoveMember(ctx, who, id, member)
	}
}

func packSubmit(cases *casefile.Service) func(context.Context, core.Actor, int64, submitRequest) (casefile.SubmissionView, error) {
	return func(ctx context.Context, who core.Actor, id int64, r submitRequest) (casefile.SubmissionView, error) {
		return cases.Submit(ctx, who, id, r)
	}
}

func packReturn(cases *casefile.Service) func(context.Context, core.Actor, int64, textRequest) (casefile.SubmissionView, error) {
	return func(ctx context.Context, who core.Actor, id int64, r textRequest) (casefile.SubmissionView, error) {
		return cases.Return(ctx, who, id, r.Reason)
	}
}

func entryMove(cases *casefile.Service) func(context.Context, core.Actor, int64, int64, textRequest) (casefile.DisclosureEntry, error) {
	return func(ctx context.Context, who core.Actor, id, entry int64, r textRequest) (casefile.DisclosureEntry, error) {
		return cases.MoveScheduleEntry(ctx, who, id, entry, r.Reason)
	}
}

func disclosureRoles(ds *disclosure.Service) func(context.Context, core.Actor, int64, disclosure.RolesInput) (gin.H, error) {
	return func(ctx context.Context, who core.Actor, id int64, in disclosure.RolesInput) (gin.H, error) {
		team, err := ds.NameRoles(ctx, who, id, in)
		return gin.H{"members": team}, err
	}
}

func packShare(cases *casefile.Service) func(context.Context, core.Actor, int64, shareRequest) (casefile.ShareView, error) {
	return func(ctx context.Context, who core.Actor, id int64, r shareRequest) (casefile.ShareView, error) {
		return cases.Share(ctx, who, id, casefile.ShareInput{LiaisonID: r.LiaisonID, ExpiresOn: r.ExpiresOn.T})
	}
}

func packRevoke(cases *casefile.Service) func(context.Context, core.Actor, int64, int64) (struct{}, error) {
	return func(ctx context.Context, who core.Actor, id, share int64) (struct{}, error) {
		return struct{}{}, cases.RevokeShare(ctx, who, id, share)
	}
}

func cpsAdvice(cases *casefile.Service) func(context.Context, core.Actor, int64, textRequest) (casefile.CPSAction, error) {
	return func(ctx context.Context, who core.Actor, id int64, r textRequest) (casefile.CPSAction, error) {
		return cases.RecordAdvice(ctx, who, id, r.Text)
	}
}

func cpsDecision(cases *casefile.Service) func(context.Context, core.Actor, int64, decisionRequest) (casefile.CPSAction, error) {
	return func(ctx context.Context, who core.Actor, id int64, r decisionRequest) (casefile.CPSAction, error) {
		return cases.RecordDecision(ctx, who, id, casefile.DecisionInput{Decision: r.Decision, Reasons: r.Reasons, Action: r.Action, ActionDue: r.ActionDue.T,
			Terms: charging.Terms{Test: r.Test, ReviewOn: r.ReviewOn.T, Charges: r.Charges, Basis: r.Basis}})
	}
}

func policeCharge(cases *casefile.Service) func(context.Context, core.Actor, int64, policeChargeRequest) (casefile.PoliceCharge, error) {
	return func(ctx context.Context, who core.Actor, id int64, r policeChargeRequest) (casefile.PoliceCharge, error) {
		return cases.RecordCharge(ctx, who, id, casefile.ChargeInput{ChargedOn: r.ChargedOn.T, ChargedBy: r.ChargedBy})
	}
}

func cpsAction(cases *casefile.Service) func(context.Context, core.Actor, int64, actionRequest) (casefile.CPSAction, error) {
	return func(ctx context.Context, who core.Actor, id int64, r actionRequest) (casefile.CPSAction, error) {
		return cases.RaiseAction(ctx, who, id, casefile.ActionInput{Text: r.Text, DueOn: r.DueOn.T, ItemID: r.ItemID})
	}
}

func cpsAnswer(cases *casefile.Service) func(context.Context, core.Actor, int64, int64, textRequest) (casefile.CPSAction, error) {
	return func(ctx context.Context, who core.Actor, id, action int64, r textRequest) (casefile.CPSAction, error) {
		return cases.AnswerAction(ctx, who, id, action, r.Response)
	}
}

func cpsFinalise(cases *casefile.Service) func(context.Context, core.Actor, int64, textRequest) (casefile.CaseView, error) {
	return func(ctx context.Context, who core.Actor, id int64, r textRequest) (casefile.CaseView, error) {
		if err := cases.Finalise(ctx, who, id, r.Reason); err != nil {
			return casefile.CaseView{}, err
		}
		return cases.Get(ctx, who, id)
	}
}

func caseClose(cases *casefile.Service) func(context.Context, core.Actor, int64) (casefile.CaseView, error) {
	return func(ctx context.Context, who core.Actor, id int64) (casefile.CaseView, error) {
		if err := cases.Close(ctx, who, id); err != nil {
			return casefile.CaseView{}, err
		}
		return cases.Get(ctx, who, id)
	}
}

// auditRefusals audits the 404 that a case route gives to someone who may not see the case (or
// the part of it asked for) as a denied attempt; AuditRefusal limits how often.
func auditRefusals(cs *casefile.Service, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if !strings.Contains(c.FullPath(), "/casefiles/:id") || len(c.Errors) == 0 || core.ErrorCode(c.Errors.Last().Err) != core.ENOTFOUND {
			return
		}
		who, ok := Actor(c)
		if !ok {
			return
		}
		if err := cs.AuditRefusal(c.Request.Context(), who, c.Request.Method+" "+c.FullPath(), c.Param("id")); err != nil {
			log.ErrorContext(c.Request.Context(), "audit of a refused case route failed", slog.String("request_id", RequestID(c)), slog.String("error", err.Error()))
		}
	}
}
