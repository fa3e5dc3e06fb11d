package core_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
	"github.com/msptp/msphub/storage"
)

// auditFixture is an audit log on a fresh database of the backend under test, with an auditor
// and an officer known to the policy.
type auditFixture struct {
	db      *core.DB
	log     *core.Audit
	blobs   *storage.Store
	backend storage.Backend // the blob store's raw backend, to tamper with checkpoints
	key     *core.AuditKey
	auditor core.Actor
	officer core.Actor
	clock   *modelstest.Clock
}

func newAuditFixture(t testing.TB) *auditFixture {
	t.Helper()
	ctx := context.Background()
	db := modelstest.OpenDB(t)
	authz := modelstest.Authorizer(t, db)
	f := &auditFixture{
		db:      db,
		auditor: core.Actor{UserID: 1, OrgID: 1, Name: "Ada Auditor", Roles: []string{policies.RoleAuditor}},
		officer: core.Actor{UserID: 2, OrgID: 1, Name: "Otto Officer", Roles: []string{policies.RoleOfficer}},
		clock:   &modelstest.Clock{},
	}
	// The policy decides from its own role assignments, not from Actor.Roles.
	for _, a := range []core.Actor{f.auditor, f.officer} {
		if err := authz.Grant(ctx, policies.UserPrincipal(a.UserID), a.Roles[0], policies.OrgDomain(a.OrgID)); err != nil {
			t.Fatal(err)
		}
	}
	f.backend = modelstest.BlobBackend(t)
	f.blobs = storage.New(f.backend, modelstest.Keyring(t))
	var err error
	if f.key, _, err = core.GenerateAuditKey(); err != nil {
		t.Fatal(err)
	}
	f.log = core.NewAudit(core.Deps{DB: db, Authz: authz, Clock: f.clock.Now, Blobs: f.blobs, AuditKey: f.key})
	return f
}

func (f *auditFixture) record(t testing.TB, ctx context.Context, who *core.Actor, ev core.Event) {
	t.Helper()
	if err := f.log.Record(ctx, who, ev); err != nil {
		t.Fatalf("record %s: %v", ev.Action, err)
	}
}

// all lists every event, newest first, through the auditor's pages.
func (f *auditFixture) all(t testing.TB, filter core.AuditFilter) []core.AuditEvent {
	t.Helper()
	var out []core.AuditEvent
	var before int64
	for {
		page, err := f.log.List(context.Background(), f.auditor, filter, before, 200)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		out = append(out, page.Events...)
		if page.Next == 0 {
			return out
		}
		before = page.Next
	}
}

// sequence runs the sequencer until nothing waits.
func (f *auditFixture) sequence(t testing.TB) {
	t.Helper()
	for {
		n, err := f.log.Sequence(context.Background())
		if err != nil {
			t.Fatalf("sequence: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

// checkpoint sequences what waits and signs a checkpoint of the tree.
func (f *auditFixture) checkpoint(t testing.TB) core.AuditCheckpoint {
	t.Helper()
	f.sequence(t)
	cp, _, err := f.log.Checkpoint(context.Background())
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	return cp
}

func (f *auditFixture) verify(t testing.TB) core.VerifyResult {
	t.Helper()
	res, err := f.log.Verify(context.Background())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return res
}

// tamper runs statements as an attacker with database access would: first out of the way with
// the append-only triggers, then the change.
func (f *auditFixture) tamper(t testing.TB, stmt string, args ...any) {
	t.Helper()
	g := f.db.Gorm()
	if f.db.Dialect() == core.DialectPostgres {
		if err := g.Exec("ALTER TABLE audit_events DISABLE TRIGGER USER").Error; err != nil {
			t.Fatal(err)
		}
	} else {
		for _, trig := range []string{"audit_events_no_update", "audit_events_no_delete"} {
			if err := g.Exec("DROP TRIGGER IF EXISTS " + trig).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := g.Exec(stmt, args...).Error; err != nil {
		t.Fatalf("tamper %q: %v", stmt, err)
	}
}

// specHash computes a row's hash from the format documented on models.Audit, independently of
// the implementation: if the two ever disagree, exports can no longer be checked outside MSP Hub.
func specHash(e core.AuditEvent) string {
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	optional := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	for _, s := range []string{e.PrevHash, strconv.FormatInt(e.ID, 10), e.OccurredAt.UTC().Format("2006-01-02T15:04:05.000000Z"),
		optional(e.ActorID), optional(e.ActorOrgID), e.Action, e.ObjectType, e.ObjectID, e.Outcome,
		e.ClientIP, e.UserAgent, e.RequestID, e.Details} {
		field(s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

var genesis = strings.Repeat("0", 64)

// seed records n ordinary events by the officer.
func (f *auditFixture) seed(t testing.TB, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		f.record(t, context.Background(), &f.officer, core.Event{
			Action: "document.read", ObjectType: "document", ObjectID: strconv.Itoa(i), Outcome: core.OutcomeSuccess,
		})
	}
}

func TestAuditIsForAuditorsOnly(t *testing.T) {
	f := newAuditFixture(t)
	f.seed(t, 1)
	ctx := context.Background()
	var csvOut bytes.Buffer
	_, listErr := f.log.List(ctx, f.officer, core.AuditFilter{}, 0, 0)
	exportErr := f.log.Export(ctx, f.officer, core.AuditFilter{}, &csvOut)
	_, verifyErr := f.log.VerifyAs(ctx, f.officer)
	for name, err := range map[string]error{"list": listErr, "export": exportErr, "verify": verifyErr} {
		if core.ErrorCode(err) != core.EFORBIDDEN {
			t.Errorf("officer %s: %v, want EFORBIDDEN", name, err)
		}
	}
	if csvOut.Len() != 0 {
		t.Errorf("a refused export wrote %d bytes", csvOut.Len())
	}
	// Each refusal is itself on the record.
	denied := f.all(t, core.AuditFilter{ActorID: f.officer.UserID, ObjectType: "audit"})
	var actions []string
	for _, e := range denied {
		if e.Outcome != core.OutcomeDenied {
			t.Errorf("refusal recorded with outcome %q", e.Outcome)
		}
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "audit.verify audit.export audit.list" {
		t.Errorf("recorded refusals %q, want audit.verify audit.export audit.list", got)
	}

	// Built without an authorizer (as the command builds it), reads fail closed.
	bare := core.NewAudit(core.Deps{DB: f.db})
	if _, err := bare.List(ctx, f.auditor, core.AuditFilter{}, 0, 0); core.ErrorCode(err) != core.EINTERNAL {
		t.Errorf("list without an authorizer: %v, want EINTERNAL", err)
	}
	if res, err := bare.Verify(ctx); err != nil || !res.Intact() {
		t.Errorf("verify without an authorizer: %+v %v", res, err)
	}
}

func TestAuditListFiltersAndPages(t *testing.T) {
	f := newAuditFixture(t)
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	at := func(hours int) time.Time { return start.Add(time.Duration(hours) * time.Hour) }
	events := []struct {
		who  *core.Actor
		hour int
		ev   core.Event
	}{
		{&f.officer, 0, core.Event{Action: "user.create", ObjectType: "user", ObjectID: "10", Outcome: core.OutcomeSuccess}},
		{&f.auditor, 1, core.Event{Action: "user.update", ObjectType: "user", ObjectID: "10", Outcome: core.OutcomeSuccess}},
		{&f.officer, 2, core.Event{Action: "users.import", ObjectType: "user", Outcome: core.OutcomeSuccess}},
		{&f.officer, 3, core.Event{Action: "casefile.read", ObjectType: "casefile", ObjectID: "10", Outcome: core.OutcomeSuccess}},
		{nil, 4, core.Event{Action: "user.sign_in", ObjectType: "session", Outcome: core.OutcomeFailure}},
		{&f.officer, 5, core.Event{Action: "User.create", ObjectType: "user", ObjectID: "11", Outcome: core.OutcomeSuccess}},
		{&f.officer, 6, core.Event{Action: "user", ObjectType: "user", ObjectID: "12", Outcome: core.OutcomeSuccess}},
	}
	for _, e := range events {
		f.clock.Set(at(e.hour))
		f.record(t, ctx, e.who, e.ev)
	}
	ids := func(evs []core.AuditEvent) string {
		var s []string
		for _, e := range evs {
			s = append(s, strconv.FormatInt(e.ID, 10))
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		name   string
		filter core.AuditFilter
		want   string
	}{
		{"everything, newest first", core.AuditFilter{}, "7,6,5,4,3,2,1"},
		{"by actor", core.AuditFilter{ActorID: f.auditor.UserID}, "2"},
		{"exact action", core.AuditFilter{Action: "user.create"}, "1"},
		{"action prefix is case-sensitive and literal", core.AuditFilter{Action: "user."}, "5,2,1"},
		{"by object", core.AuditFilter{ObjectType: "user", ObjectID: "10"}, "2,1"},
		{"from is inclusive", core.AuditFilter{From: at(5)}, "7,6"},
		{"to is exclusive", core.AuditFilter{To: at(2)}, "2,1"},
		{"a window", core.AuditFilter{From: at(1), To: at(4), ObjectType: "user"}, "3,2"},
		{"bounds in another zone", core.AuditFilter{From: at(3).In(time.FixedZone("EST", -5*60*60))}, "7,6,5,4"},
		{"nothing matches", core.AuditFilter{Action: "casefile.delete"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(f.all(t, tc.filter)); got != tc.want {
				t.Errorf("ids %q, want %q", got, tc.want)
			}
		})
	}

	// Keyset pages of 3: each page starts below the last one, and the last says there is no more.
	var pages []string
	var before int64
	for range 10 {
		page, err := f.log.List(ctx, f.auditor, core.AuditFilter{}, before, 3)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, ids(page.Events))
		if page.Next == 0 {
			break
		}
		before = page.Next
	}
	if got := strings.Join(pages, " | "); got != "7,6,5 | 4,3,2 | 1" {
		t.Errorf("pages %q, want 7,6,5 | 4,3,2 | 1", got)
	}

	if _, err := f.log.List(ctx, f.auditor, core.AuditFilter{From: at(3), To: at(1)}, 0, 0); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("to before from: %v, want EINVALID", err)
	}
	if _, err := f.log.List(ctx, f.auditor, core.AuditFilter{}, -1, 0); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("negative cursor: %v, want EINVALID", err)
	}
}

func TestAuditListPageSizes(t *testing.T) {
	f := newAuditFixture(t)
	// One transaction for all of them: Record joins it, and the test stays quick.
	err := f.db.InTx(context.Background(), func(ctx context.Context) error {
		for i := range 210 {
			if err := f.log.Record(ctx, &f.officer, core.Event{Action: "document.read", ObjectID: strconv.Itoa(i), Outcome: core.OutcomeSuccess}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ limit, want int }{{0, 50}, {-5, 50}, {10, 10}, {1000, 200}} {
		page, err := f.log.List(context.Background(), f.auditor, core.AuditFilter{}, 0, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) != tc.want || page.Next != page.Events[len(page.Events)-1].ID {
			t.Errorf("limit %d: %d events, next %d; want %d events and a cursor", tc.limit, len(page.Events), page.Next, tc.want)
		}
	}
}

func TestAuditExport(t *testing.T) {
	f := newAuditFixture(t)
	hostile := core.WithRequestInfo(context.Background(), core.RequestInfo{UserAgent: "@SUM(A1:A9)", ClientIP: "198.51.100.7"})
	f.record(t, hostile, nil, core.Event{Action: "session.sign_in", ObjectType: "session", ObjectID: `=HYPERLINK("http://evil.example","x")`, Outcome: core.OutcomeFailure})
	f.record(t, hostile, &f.officer, core.Event{Action: "document.read", ObjectType: "document", ObjectID: "-2+3", Outcome: core.OutcomeSuccess})
	f.record(t, context.Background(), &f.officer, core.Event{Action: "document.read", ObjectType: "document", ObjectID: "\tcmd", Outcome: core.OutcomeSuccess,
		Details: map[string]string{"note": "+1 line\nsecond"}})

	var out bytes.Buffer
	if err := f.log.Export(context.Background(), f.auditor, core.AuditFilter{}, &out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v\n%s", err, out.String())
	}
	if got := strings.Join(recs[0], ","); got != "id,occurred_at,actor_id,actor_org_id,action,object_type,object_id,outcome,client_ip,user_agent,request_id,details,prev_hash,hash" {
		t.Errorf("header %q", got)
	}
	if len(recs) != 4 || recs[1][0] != "3" || recs[3][0] != "1" {
		t.Fatalf("export rows %v, want rows 3, 2, 1", recs[1:])
	}
	col := func(name string) int {
		for i, h := range recs[0] {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	oid, ua := col("object_id"), col("user_agent")
	for _, c := range []struct{ got, want string }{
		{recs[3][oid], `'=HYPERLINK("http://evil.example","x")`},
		{recs[3][ua], "'@SUM(A1:A9)"},
		{recs[2][oid], "'-2+3"},
		{recs[1][oid], "'\tcmd"},
		{recs[1][col("details")], `{"note":"+1 line\nsecond"}`}, // a JSON object starts with {: harmless
		{recs[3][col("actor_id")], ""},
	} {
		if c.got != c.want {
			t.Errorf("cell %q, want %q", c.got, c.want)
		}
	}
	if h, row3 := recs[1][col("hash")], f.all(t, core.AuditFilter{ObjectID: "\tcmd"})[0]; h != row3.Hash {
		t.Errorf("exported hash of row 3 is %s, stored %s", h, row3.Hash)
	}

	// The export is on the record, with what was asked and how much left.
	exports := f.all(t, core.AuditFilter{Action: core.ActionAuditExport})
	if len(exports) != 1 || exports[0].ActorID == nil || *exports[0].ActorID != f.auditor.UserID ||
		exports[0].Outcome != core.OutcomeSuccess || exports[0].Details != `{"rows":"3"}` {
		t.Fatalf("export events %+v, want one by the auditor with 3 rows", exports)
	}

	// A filtered export says which filter it used.
	out.Reset()
	if err := f.log.Export(context.Background(), f.auditor, core.AuditFilter{Action: "document."}, &out); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "document.read"); n != 2 {
		t.Errorf("filtered export has %d document.read rows, want 2", n)
	}
	if e := f.all(t, core.AuditFilter{Action: core.ActionAuditExport})[0]; e.Details != `{"action":"document.","rows":"2"}` {
		t.Errorf("filtered export recorded as %s", e.Details)
	}

	// A client that goes away mid-export still leaves a record of the attempt.
	if err := f.log.Export(context.Background(), f.auditor, core.AuditFilter{}, failingWriter{}); core.ErrorCode(err) != core.EINTERNAL {
		t.Errorf("export to a broken writer: %v, want EINTERNAL", err)
	}
	if e := f.all(t, core.AuditFilter{Action: core.ActionAuditExport})[0]; e.Outcome != core.OutcomeFailure {
		t.Errorf("failed export recorded with outcome %q, want failure", e.Outcome)
	}
	if res := f.verify(t); !res.Intact() {
		t.Fatalf("verify = %+v", res)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

func TestAuditVerifyAsRecordsTheRun(t *testing.T) {
	f := newAuditFixture(t)
	f.seed(t, 3)
	f.sequence(t)
	res, err := f.log.VerifyAs(context.Background(), f.auditor)
	if err != nil || !res.Intact() || res.Rows != 3 {
		t.Fatalf("VerifyAs = %+v, %v; want 3 intact rows", res, err)
	}
	runs := f.all(t, core.AuditFilter{Action: core.ActionAuditVerify})
	if want := fmt.Sprintf(`{"head":"%s","rows":"3"}`, res.Head); len(runs) != 1 || runs[0].Outcome != core.OutcomeSuccess || runs[0].Details != want {
		t.Fatalf("verify runs %+v, want one success with %s", runs, want)
	}

	f.tamper(t, "UPDATE audit_events SET outcome = 'failure' WHERE seq = 2")
	res, err = f.log.VerifyAs(context.Background(), f.auditor)
	if err != nil || res.BrokenAt != 2 {
		t.Fatalf("VerifyAs after tampering = %+v, %v; want broken at 2", res, err)
	}
	if run := f.all(t, core.AuditFilter{Action: core.ActionAuditVerify})[0]; run.Outcome != core.OutcomeFailure ||
		!strings.Contains(run.Details, `"broken_at":"2"`) || !strings.Contains(run.Details, "edited") {
		t.Fatalf("failed verification recorded as %+v", run)
	}
}

// BenchmarkAuditRecord measures appends, each in its own transaction as operations make them.
func BenchmarkAuditRecord(b *testing.B) {
	f := newAuditFixture(b)
	ctx := core.WithRequestInfo(context.Background(), core.RequestInfo{ID: "bench", ClientIP: "192.0.2.1", UserAgent: "bench"})
	ev := core.Event{Action: "document.read", ObjectType: "document", ObjectID: "1", Outcome: core.OutcomeSuccess,
		Details: map[string]string{"version": "1"}}
	n := 0
	for b.Loop() {
		if err := f.log.Record(ctx, &f.officer, ev); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
