package core

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/msptp/msphub/policies"
	"github.com/msptp/msphub/storage"
	"gorm.io/gorm"
)

// Outcomes an audit event records.
const (
	OutcomeSuccess = "success" // the operation did what was asked
	OutcomeFailure = "failure" // it was allowed but did not happen (bad input, wrong password, conflict)
	OutcomeDenied  = "denied"  // the policy refused it
)

// Actions the audit log records about itself.
const (
	ActionAuditList   = "audit.list"   // recorded only when refused: browsing is not logged
	ActionAuditExport = "audit.export" // every export, with how many rows left the system
	ActionAuditVerify = "audit.verify" // every verification run by a user (not by the command)
	// ActionAuditCarryOver records that the sequencer brought the old hash chain into the
	// Merkle log, with the chain's length and head.
	ActionAuditCarryOver = "audit.carry_over"
	// ActionAuditProve is recorded only when refused, like browsing: proofs and checkpoints
	// show hashes, not events.
	ActionAuditProve = "audit.prove"
)

// genesisHash is the prev_hash of the first event: there is nothing before it.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Column sizes of audit_events (migrations/00002_identity.sql), in characters as
// PostgreSQL's VARCHAR(n) counts them. Values are clipped to these before hashing, so what is
// hashed is exactly what is stored, on both databases.
const (
	auditActionLen     = 100
	auditObjectTypeLen = 50
	auditObjectIDLen   = 100
	auditOutcomeLen    = 20
	auditClientIPLen   = 64
	auditUserAgentLen  = 512
	auditRequestIDLen  = 64
	auditDetailKeyLen  = 64
	// details is TEXT, unbounded in the schema; a cap per value keeps one careless caller (or a
	// hostile input echoed into details) from bloating every export and verification.
	auditDetailValueLen = 1024
)

// List page sizes.
const (
	auditDefaultLimit = 50
	auditMaxLimit     = 200
)

// auditTimeFormat is how occurred_at enters the hash: UTC with exactly six fractional digits,
// the precision both databases store.
const auditTimeFormat = "2006-01-02T15:04:05.000000Z"

// auditColumns are read in this order by scanAuditEvent.
const auditColumns = "id, occurred_at, actor_id, actor_org_id, action, object_type, object_id, outcome, " +
	"client_ip, user_agent, request_id, details, prev_hash, hash, seq"

// Audit is the append-only audit log, kept as a transparency log (RFC 6962): see auditlog.go
// for how events are sequenced into a Merkle tree and checkpointed, and auditverify.go for how
// the whole is checked.
//
// Events recorded before the Merkle log (migration 13) were hash-chained: each row's hash was
// hex(SHA-256(enc(prev_hash) || enc(id) || enc(occurred_at) || ... || enc(details))) (see sum);
// the sequencer checks that chain before it carries those events into the tree.
type Audit struct {
	db    *DB
	authz authorizer // nil when built by NewAudit without one: reads then fail closed
	now   func() time.Time
	blobs *storage.Store // where checkpoints go; nil: none are written or checked
	key   *AuditKey      // signs and verifies checkpoints; nil: none
	log   *slog.Logger
	wake  chan struct{} // a commit in this process wakes the sequencer
}

// NewAudit builds the audit log from d. `msphub audit verify` passes DB, and Blobs and AuditKey
// to check the checkpoints: Record, Sequence and Verify need nothing else; List, Export and
// VerifyAs also need Authz and fail with EINTERNAL without it.
func NewAudit(d Deps) *Audit {
	a := &Audit{db: d.DB, now: d.Now, blobs: d.Blobs, key: d.AuditKey, log: d.Log, wake: make(chan struct{}, 1)}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	// A nil *policies.Authorizer in an interface is not a nil interface: keep it truly nil so
	// authorize can refuse instead of panicking.
	if d.Authz != nil {
		a.authz = d.Authz
	}
	return a
}

// AuditEvent is one row of the audit log, as pages, the API and CSV exports show it.
type AuditEvent struct {
	ID         int64     `json:"id"` // in the order events were recorded; not gapless (a rolled-back operation takes its number with it)
	OccurredAt time.Time `json:"occurred_at"`
	ActorID    *int64    `json:"actor_id,omitempty"` // nil for an anonymous request (a failed sign-in)
	ActorOrgID *int64    `json:"actor_org_id,omitempty"`
	Action     string    `json:"action"` // "user.create", "casefile.read", ...
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	Outcome    string    `json:"outcome"` // OutcomeSuccess, OutcomeFailure or OutcomeDenied
	ClientIP   string    `json:"client_ip"`
	UserAgent  string    `json:"user_agent"`
	RequestID  string    `json:"request_id"`
	Details    string    `json:"details"`       // a JSON object with sorted keys, or empty
	PrevHash   string    `json:"prev_hash"`     // leaf hash of the event before it in the log; empty until sequenced
	Hash       string    `json:"hash"`          // its RFC 6962 leaf hash; empty until sequenced
	Seq        *int64    `json:"seq,omitempty"` // its place in the log: 1, 2, 3, ... without gaps; nil until sequenced (within a second)
}

// Event is what an operation records about itself.
type Event struct {
	Action     string // "<object type>.<verb>": "user.create", "casefile.read"
	ObjectType string
	ObjectID   string
	Outcome    string // OutcomeSuccess, OutcomeFailure or OutcomeDenied
	// Details are facts worth keeping (old and new role, rows exported). They are kept for
	// years and shown to auditors: never put a password, token, TOTP secret or code, session
	// ID, recovery code or case material here. Values over 1024 characters are clipped.
	Details map[string]string
}

// Record adds ev, done by who (nil for an anonymous request such as a failed sign-in), to the
// audit log, in the transaction travelling in ctx: the event commits or rolls back with the
// change it records. Outside a transaction it commits on its own; an audited read calls it
// after InReadTx, so that the read takes no write lock and the event is durable before the
// reader gets what was read. The client address, user agent and request ID come from
// WithRequestInfo.
//
// It inserts one row and takes no lock that other writers wait on: the sequencer gives the event
// its place in the log within a second of the commit. Any operation may call it; it authorizes
// nothing. Errors: EINTERNAL (an event without an action or with an unknown outcome: a bug in
// the caller), EUNAVAILABLE or EINTERNAL from the database.
func (a *Audit) Record(ctx context.Context, who *Actor, ev Event) error {
	if err := a.db.WriteOne(ctx, func(ctx context.Context) error { return a.insert(ctx, who, ev) }); err != nil {
		return err
	}
	AfterCommit(ctx, a.wakeSequencer)
	return nil
}

// RecordRead runs read, which only reads, in a read view (DB.InReadTx), then records the event
// read returns: an audited read takes no write lock, and its reader gets what was read only
// once the read is on record. Inside a transaction both join it.
func (a *Audit) RecordRead(ctx context.Context, who *Actor, read func(ctx context.Context) (Event, error)) error {
	var ev Event
	err := a.db.InReadTx(ctx, func(ctx context.Context) (err error) {
		ev, err = read(ctx)
		return err
	})
	if err != nil {
		return err
	}
	return a.Record(ctx, who, ev)
}

// insert writes ev as a waiting event in the transaction in ctx.
func (a *Audit) insert(ctx context.Context, who *Actor, ev Event) error {
	if ev.Action == "" {
		return Internal(errors.New("audit event without an action"))
	}
	switch ev.Outcome {
	case OutcomeSuccess, OutcomeFailure, OutcomeDenied:
	default:
		return Internal(fmt.Errorf("audit event %q has unknown outcome %q", ev.Action, ev.Outcome))
	}
	ri := RequestInfoOf(ctx)
	e := AuditEvent{
		OccurredAt: a.now().UTC().Truncate(time.Microsecond),
		Action:     Clip(ev.Action, auditActionLen),
		ObjectType: Clip(ev.ObjectType, auditObjectTypeLen),
		ObjectID:   Clip(ev.ObjectID, auditObjectIDLen),
		Outcome:    Clip(ev.Outcome, auditOutcomeLen),
		ClientIP:   Clip(ri.ClientIP, auditClientIPLen),
		UserAgent:  Clip(ri.UserAgent, auditUserAgentLen),
		RequestID:  Clip(ri.ID, auditRequestIDLen),
	}
	if who != nil {
		id := who.UserID
		e.ActorID = &id
		if who.OrgID != 0 {
			org := who.OrgID
			e.ActorOrgID = &org
		}
	}
	if len(ev.Details) > 0 {
		d := make(map[string]string, len(ev.Details))
		for k, v := range ev.Details {
			d[Clip(k, auditDetailKeyLen)] = Clip(v, auditDetailValueLen)
		}
		// encoding/json writes map keys sorted: the same details always give the same bytes.
		b, err := json.Marshal(d)
		if err != nil {
			return Internal(fmt.Errorf("encode audit details: %w", err))
		}
		e.Details = string(b)
	}
	// The id comes from the table (a sequence on PostgreSQL, the rowid on SQLite): writers do
	// not read each other's rows, so none waits for another. Nothing reads the event back in
	// its transaction: on PostgreSQL it goes with the COMMIT.
	err := a.db.ExecAtCommit(ctx, "INSERT INTO audit_events (occurred_at, actor_id, actor_org_id, action, object_type, object_id, outcome, "+
		"client_ip, user_agent, request_id, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '')",
		e.OccurredAt, e.ActorID, e.ActorOrgID, e.Action, e.ObjectType, e.ObjectID, e.Outcome,
		e.ClientIP, e.UserAgent, e.RequestID, e.Details)
	return DBError(err)
}

// sum is the hash e carried in the old hash chain, from its prev_hash and other fields (see
// Audit): the sequencer checks it before carrying those events over.
func (e *AuditEvent) sum() string {
	h := sha256.New()
	h.Write(appendField(nil, e.PrevHash))
	h.Write(e.leafData())
	return hex.EncodeToString(h.Sum(nil))
}

// Clip makes s storable and bounded: invalid UTF-8 and NUL bytes (which PostgreSQL refuses in
// text, and which would turn a hostile user agent into a failed operation) become U+FFFD, and
// the result is cut to at most n characters.
func Clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// AuditFilter narrows a listing or an export. Zero fields match everything.
type AuditFilter struct {
	ActorID    int64
	Action     string // exact, or a prefix when it ends in a dot: "user." matches "user.create"
	ObjectType string
	ObjectID   string
	From       time.Time // occurred at or after
	To         time.Time // occurred before
}

// validate refuses a filter that can only be a mistake.
func (f AuditFilter) validate() error {
	switch {
	case f.ActorID < 0:
		return Invalid("actor", "Actor must be a user ID.")
	case utf8.RuneCountInString(f.Action) > auditActionLen:
		return Invalid("action", fmt.Sprintf("Action must be %d characters or fewer.", auditActionLen))
	case utf8.RuneCountInString(f.ObjectType) > auditObjectTypeLen:
		return Invalid("object_type", fmt.Sprintf("Object type must be %d characters or fewer.", auditObjectTypeLen))
	case utf8.RuneCountInString(f.ObjectID) > auditObjectIDLen:
		return Invalid("object_id", fmt.Sprintf("Object ID must be %d characters or fewer.", auditObjectIDLen))
	case !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From):
		return Invalid("to", "The end date must be the same as or after the start date.")
	}
	return nil
}

// details describes the filter for the audit event of an export.
func (f AuditFilter) details() map[string]string {
	d := map[string]string{}
	if f.ActorID != 0 {
		d["actor_id"] = strconv.FormatInt(f.ActorID, 10)
	}
	for k, v := range map[string]string{"action": f.Action, "object_type": f.ObjectType, "object_id": f.ObjectID} {
		if v != "" {
			d[k] = v
		}
	}
	if !f.From.IsZero() {
		d["from"] = f.From.UTC().Format(auditTimeFormat)
	}
	if !f.To.IsZero() {
		d["to"] = f.To.UTC().Format(auditTimeFormat)
	}
	return d
}

// query selects the events matching f, newest first.
func (a *Audit) query(ctx context.Context, f AuditFilter) *gorm.DB {
	q := a.db.Conn(ctx).Table("audit_events").Select(auditColumns)
	if f.ActorID != 0 {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			// substr rather than LIKE: LIKE ignores case on SQLite and treats _ and % as
			// wildcards, so the two databases would disagree on what a prefix matches.
			q = q.Where("substr(action, 1, ?) = ?", utf8.RuneCountInString(f.Action), f.Action)
		} else {
			q = q.Where("action = ?", f.Action)
		}
	}
	if f.ObjectType != "" {
		q = q.Where("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		q = q.Where("object_id = ?", f.ObjectID)
	}
	// Bounds are bound in UTC: SQLite compares the stored text, which is written in UTC.
	if !f.From.IsZero() {
		q = q.Where("occurred_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("occurred_at < ?", f.To.UTC())
	}
	return q.Order("id DESC")
}

// AuditPage is one page of a listing, newest first.
type AuditPage struct {
	Events []AuditEvent `json:"events"` // never nil: an empty page is []
	Next   int64        `json:"next"`   // pass as before for the next page; 0 when there is no more
}

// List returns up to limit events matching f with an ID below before (0: from the newest),
// newest first. limit defaults to 50 and is capped at 200.
// Who: auditors. Errors: EFORBIDDEN (not an auditor; the refusal is itself recorded), EINVALID
// (a malformed filter or cursor), EUNAVAILABLE, EINTERNAL.
func (a *Audit) List(ctx context.Context, who Actor, f AuditFilter, before int64, limit int) (AuditPage, error) {
	if err := a.authorize(ctx, who, policies.ActRead, ActionAuditList); err != nil {
		return AuditPage{}, err
	}
	if err := f.validate(); err != nil {
		return AuditPage{}, err
	}
	if before < 0 {
		return AuditPage{}, Invalid("before", "The page cursor is not valid.")
	}
	if limit <= 0 {
		limit = auditDefaultLimit
	}
	limit = min(limit, auditMaxLimit)
	q := a.query(ctx, f)
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	// One row more than asked says whether there is a next page without counting.
	rows, err := q.Limit(limit + 1).Rows()
	if err != nil {
		return AuditPage{}, DBError(err)
	}
	defer rows.Close()
	page := AuditPage{Events: []AuditEvent{}}
	for rows.Next() {
		e, err := scanAuditEvent(rows)
		if err != nil {
			return AuditPage{}, err
		}
		page.Events = append(page.Events, e)
	}
	if err := rows.Err(); err != nil {
		return AuditPage{}, DBError(err)
	}
	if len(page.Events) > limit {
		page.Events = page.Events[:limit]
		page.Next = page.Events[limit-1].ID
	}
	return page, nil
}

// auditCSVHeader names the columns of an export. The hashes are included so an export can be
// checked against the chain later.
var auditCSVHeader = []string{"id", "occurred_at", "actor_id", "actor_org_id", "action", "object_type",
	"object_id", "outcome", "client_ip", "user_agent", "request_id", "details", "prev_hash", "hash"}

// Export writes every event matching f to w as CSV with a header row, newest first, streaming
// row by row, and records the export (action "audit.export", with the filter and the number of
// rows written) even when writing fails part-way. Cells a spreadsheet would run as a formula get
// a leading single quote, so an export may differ from the stored row in those cells.
// Who: auditors. Errors: EFORBIDDEN (not an auditor; recorded), EINVALID (a malformed filter),
// EUNAVAILABLE, EINTERNAL (including a failure to write to w).
func (a *Audit) Export(ctx context.Context, who Actor, f AuditFilter, w io.Writer) error {
	if err := a.authorize(ctx, who, policies.ActRead, ActionAuditExport); err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	written, exportErr := a.writeCSV(ctx, f, w)
	details := f.details()
	details["rows"] = strconv.FormatInt(written, 10)
	outcome := OutcomeSuccess
	if exportErr != nil {
		outcome = OutcomeFailure
	}
	// A client that hangs up cancels ctx; the export still happened, in part, and is recorded.
	rctx, cancel := Detached(ctx)
	defer cancel()
	recordErr := a.Record(rctx, &who, Event{
		Action: ActionAuditExport, ObjectType: "audit", Outcome: outcome, Details: details,
	})
	if exportErr != nil {
		return exportErr
	}
	return recordErr
}

// writeCSV streams the events matching f to w and returns how many rows it wrote.
func (a *Audit) writeCSV(ctx context.Context, f AuditFilter, w io.Writer) (int64, error) {
	rows, err := a.query(ctx, f).Rows()
	if err != nil {
		return 0, DBError(err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w) // buffers a few KiB, then writes through: memory stays bounded
	if err := cw.Write(auditCSVHeader); err != nil {
		return 0, Internal(fmt.Errorf("write audit export: %w", err))
	}
	var n int64
	for rows.Next() {
		e, err := scanAuditEvent(rows)
		if err != nil {
			return n, err
		}
		if err := cw.Write(e.csvRecord()); err != nil {
			return n, Internal(fmt.Errorf("write audit export: %w", err))
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, DBError(err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, Internal(fmt.Errorf("write audit export: %w", err))
	}
	return n, nil
}

func (e *AuditEvent) csvRecord() []string {
	rec := append(e.fields(), e.PrevHash, e.Hash)
	for i, s := range rec {
		rec[i] = CSVSafe(s)
	}
	return rec
}

// CSVSafe stops a spreadsheet from running a cell as a formula (OWASP CSV injection): user
// agents, object IDs and details are attacker-controlled.
func CSVSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// check compares e, an event of the old hash chain found where row want should be, with the chain before it (whose last hash
// is prev). It returns the first broken row and what is wrong with it, or 0 when e is in place.
func check(e *AuditEvent, want int64, prev string) (int64, string) {
	switch {
	case e.ID > want && want == 1:
		return 1, fmt.Sprintf("row 1 is missing (the log starts at row %d)", e.ID)
	case e.ID > want:
		return want, fmt.Sprintf("row %d is missing (ids jump from %d to %d)", want, want-1, e.ID)
	case e.ID < want:
		// A duplicate or an id below 1: only possible once the primary key has been dropped.
		return want, fmt.Sprintf("row %d: found id %d in its place", want, e.ID)
	case e.PrevHash != prev && want == 1:
		return 1, "row 1: prev_hash is not the genesis value"
	case e.PrevHash != prev:
		return e.ID, fmt.Sprintf("row %d: prev_hash does not match row %d", e.ID, e.ID-1)
	case e.sum() != e.Hash:
		return e.ID, fmt.Sprintf("row %d: hash does not match its contents", e.ID)
	}
	return 0, ""
}

// VerifyAs is Verify for a user (the API and pages), and records that they ran it (action
// "audit.verify", outcome success when intact and failure when broken, with the result).
// Who: auditors. Errors: EFORBIDDEN (not an auditor; recorded), EUNAVAILABLE, EINTERNAL.
func (a *Audit) VerifyAs(ctx context.Context, who Actor) (VerifyResult, error) {
	if err := a.authorize(ctx, who, policies.ActVerify, ActionAuditVerify); err != nil {
		return VerifyResult{}, err
	}
	res, err := a.Verify(ctx)
	if err != nil {
		return VerifyResult{}, err
	}
	ev := Event{Action: ActionAuditVerify, ObjectType: "audit", Outcome: OutcomeSuccess, Details: map[string]string{
		"rows": strconv.FormatInt(res.Rows, 10), "head": res.Head,
	}}
	if !res.Intact() {
		ev.Outcome = OutcomeFailure
		ev.Details["broken_at"] = strconv.FormatInt(res.BrokenAt, 10)
		ev.Details["problem"] = res.Problem
	}
	if err := a.Record(ctx, &who, ev); err != nil {
		return VerifyResult{}, err
	}
	return res, nil
}

// authorize asks the policy whether who may act on the audit log. A refusal is recorded as
// action with outcome denied (ASVS V7: failed access decisions are logged) before EFORBIDDEN is
// returned.
func (a *Audit) authorize(ctx context.Context, who Actor, act policies.Action, action string) error {
	if a.authz == nil {
		return Internal(errors.New("audit log built without an authorizer"))
	}
	message := "Only auditors can read the audit log."
	if act == policies.ActVerify {
		message = "Only auditors can verify the audit log."
	}
	err := Can(ctx, a.authz, who, act, policies.Object{Type: "audit"}, message)
	if ErrorCode(err) != EFORBIDDEN {
		return err
	}
	if rerr := a.Record(ctx, &who, Event{Action: action, ObjectType: "audit", Outcome: OutcomeDenied}); rerr != nil {
		return rerr
	}
	return err
}

// scanAuditEvent reads one row selected with auditColumns.
func scanAuditEvent(rows *sql.Rows) (AuditEvent, error) {
	var (
		e               AuditEvent
		actor, org, seq sql.NullInt64
	)
	err := rows.Scan(&e.ID, &e.OccurredAt, &actor, &org, &e.Action, &e.ObjectType, &e.ObjectID, &e.Outcome,
		&e.ClientIP, &e.UserAgent, &e.RequestID, &e.Details, &e.PrevHash, &e.Hash, &seq)
	if err != nil {
		return AuditEvent{}, DBError(err)
	}
	e.OccurredAt = e.OccurredAt.UTC()
	if actor.Valid {
		e.ActorID = &actor.Int64
	}
	if org.Valid {
		e.ActorOrgID = &org.Int64
	}
	if seq.Valid {
		e.Seq = &seq.Int64
	}
	return e, nil
}
