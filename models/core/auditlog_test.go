package core_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// specLeafHash computes an event's leaf hash from the format documented on leafData, with
// crypto/sha256 alone: if the two ever disagree, an auditor's own implementation would too.
func specLeafHash(e core.AuditEvent) [32]byte {
	h := sha256.New()
	h.Write([]byte{0}) // RFC 6962 leaf prefix
	optional := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	for _, s := range []string{strconv.FormatInt(e.ID, 10), e.OccurredAt.UTC().Format("2006-01-02T15:04:05.000000Z"),
		optional(e.ActorID), optional(e.ActorOrgID), e.Action, e.ObjectType, e.ObjectID, e.Outcome,
		e.ClientIP, e.UserAgent, e.RequestID, e.Details} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// specNode is RFC 6962's interior node hash.
func specNode(l, r [32]byte) [32]byte {
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func hasProblem(res core.VerifyResult, kind string) bool {
	return slices.ContainsFunc(res.Problems, func(p core.AuditProblem) bool { return p.Kind == kind })
}

// bySeq returns the sequenced events, oldest first.
func (f *auditFixture) bySeq(t testing.TB) []core.AuditEvent {
	t.Helper()
	all := f.all(t, core.AuditFilter{})
	var out []core.AuditEvent
	for _, e := range all {
		if e.Seq != nil {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b core.AuditEvent) int { return int(*a.Seq - *b.Seq) })
	return out
}

func TestAuditEventsWaitThenTheSequencerPlacesThem(t *testing.T) {
	f := newAuditFixture(t)
	ctx := core.WithRequestInfo(context.Background(), core.RequestInfo{ID: "req-1", ClientIP: "203.0.113.9", UserAgent: "Firefox/140"})
	f.record(t, ctx, nil, core.Event{Action: "session.sign_in", ObjectType: "session", Outcome: core.OutcomeFailure,
		Details: map[string]string{"reason": "bad password"}})
	f.record(t, ctx, &f.officer, core.Event{Action: "session.sign_in", ObjectType: "session", Outcome: core.OutcomeSuccess})
	f.record(t, ctx, &f.officer, core.Event{Action: "document.read", ObjectType: "document", ObjectID: "42",
		Outcome: core.OutcomeSuccess, Details: map[string]string{"version": "3", "audience": "all"}})

	// Recorded and listed at once, waiting for their place.
	waiting := f.all(t, core.AuditFilter{})
	if len(waiting) != 3 {
		t.Fatalf("%d events, want 3", len(waiting))
	}
	for _, e := range waiting {
		if e.Seq != nil || e.Hash != "" || e.PrevHash != "" {
			t.Errorf("event %d before sequencing: seq %v hash %q prev %q, want none", e.ID, e.Seq, e.Hash, e.PrevHash)
		}
	}
	if res := f.verify(t); res.Waiting != 3 || !res.Intact() {
		t.Errorf("verify before sequencing = %+v, want intact with 3 waiting", res)
	}

	f.sequence(t)
	got := f.bySeq(t)
	if len(got) != 3 {
		t.Fatalf("%d sequenced events, want 3", len(got))
	}
	prev := genesis
	var leaves [][32]byte
	for i, e := range got {
		if *e.Seq != int64(i+1) || e.ID != waiting[2-i].ID {
			t.Errorf("event id %d has seq %d, want seq %d in id order", e.ID, *e.Seq, i+1)
		}
		leaf := specLeafHash(e)
		leaves = append(leaves, leaf)
		if e.Hash != hex.EncodeToString(leaf[:]) {
			t.Errorf("seq %d: hash %s, the documented leaf format gives %x", *e.Seq, e.Hash, leaf)
		}
		if e.PrevHash != prev {
			t.Errorf("seq %d: prev_hash %s, want %s", *e.Seq, e.PrevHash, prev)
		}
		if e.ClientIP != "203.0.113.9" || e.UserAgent != "Firefox/140" || e.RequestID != "req-1" {
			t.Errorf("seq %d: request info %q %q %q not recorded", *e.Seq, e.ClientIP, e.UserAgent, e.RequestID)
		}
		prev = e.Hash
	}
	anon, signIn, read := got[0], got[1], got[2]
	if anon.ActorID != nil || anon.ActorOrgID != nil {
		t.Errorf("anonymous event has actor %v org %v, want none", anon.ActorID, anon.ActorOrgID)
	}
	if signIn.ActorID == nil || *signIn.ActorID != 2 || signIn.ActorOrgID == nil || *signIn.ActorOrgID != 1 {
		t.Errorf("sign-in event actor %v org %v, want 2 and 1", signIn.ActorID, signIn.ActorOrgID)
	}
	if read.Details != `{"audience":"all","version":"3"}` || signIn.Details != "" {
		t.Errorf("details = %q and %q, want sorted JSON and empty", read.Details, signIn.Details)
	}
	// RFC 6962 root of three leaves: H(1 || H(1 || l0 || l1) || l2).
	root := specNode(specNode(leaves[0], leaves[1]), leaves[2])
	if res := f.verify(t); !res.Intact() || res.Rows != 3 || res.Head != hex.EncodeToString(root[:]) || res.Waiting != 0 {
		t.Errorf("verify = %+v, want intact, 3 rows, root %x", res, root)
	}
}

func TestAuditRecordRollsBackWithItsTransaction(t *testing.T) {
	f := newAuditFixture(t)
	ctx := context.Background()
	refused := core.Conflict("the change failed")
	err := f.db.InTx(ctx, func(ctx context.Context) error {
		f.record(t, ctx, &f.officer, core.Event{Action: "casefile.update", ObjectType: "casefile", ObjectID: "7", Outcome: core.OutcomeSuccess})
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("InTx = %v, want the refusal", err)
	}
	if got := f.all(t, core.AuditFilter{}); len(got) != 0 {
		t.Fatalf("the rolled-back change left %d audit events", len(got))
	}
	// The log starts at seq 1 with the next committed event: a rolled-back id leaves no gap in it.
	f.seed(t, 1)
	f.sequence(t)
	got := f.bySeq(t)
	if len(got) != 1 || *got[0].Seq != 1 || got[0].PrevHash != genesis {
		t.Fatalf("after the rollback: %+v, want seq 1 on the genesis hash", got)
	}
	if res := f.verify(t); !res.Intact() || res.Rows != 1 {
		t.Fatalf("verify = %+v", res)
	}
}

func TestAuditRecordRefusesMalformedEvents(t *testing.T) {
	f := newAuditFixture(t)
	for _, ev := range []core.Event{
		{ObjectType: "document", Outcome: core.OutcomeSuccess},
		{Action: "document.read", Outcome: "ok"},
		{Action: "document.read"},
	} {
		if err := f.log.Record(context.Background(), &f.officer, ev); core.ErrorCode(err) != core.EINTERNAL {
			t.Errorf("Record(%+v) = %v, want EINTERNAL", ev, err)
		}
	}
}

// What is hashed must be exactly what the database gives back, or every event would fail
// verification: nanoseconds, time zones and hostile text included.
func TestAuditStoresExactlyWhatItHashes(t *testing.T) {
	f := newAuditFixture(t)
	paris := time.FixedZone("CEST", 2*60*60)
	at := time.Date(2026, 6, 30, 23, 59, 59, 123456789, paris)
	f.clock.Set(at)
	hostile := "Mozilla/5.0 \xff\xfe\x00 " + strings.Repeat("é", 600)
	ctx := core.WithRequestInfo(context.Background(), core.RequestInfo{ID: strings.Repeat("r", 100), ClientIP: "2001:db8::1", UserAgent: hostile})
	f.record(t, ctx, &f.officer, core.Event{Action: "document.read", ObjectType: "document",
		ObjectID: strings.Repeat("9", 150), Outcome: core.OutcomeSuccess,
		Details: map[string]string{"query": "<script>\x00", "long": strings.Repeat("x", 5000)}})
	f.sequence(t)

	e := f.all(t, core.AuditFilter{})[0]
	if want := at.UTC().Truncate(time.Microsecond); !e.OccurredAt.Equal(want) || e.OccurredAt.Location() != time.UTC {
		t.Errorf("occurred_at = %v, want %v in UTC", e.OccurredAt, want)
	}
	if !utf8.ValidString(e.UserAgent) || strings.ContainsRune(e.UserAgent, 0) || utf8.RuneCountInString(e.UserAgent) != 512 {
		t.Errorf("user agent stored as %d characters (valid UTF-8 %v): want 512 valid characters without NUL",
			utf8.RuneCountInString(e.UserAgent), utf8.ValidString(e.UserAgent))
	}
	if len(e.RequestID) != 64 || len(e.ObjectID) != 100 {
		t.Errorf("request ID %d and object ID %d characters, want 64 and 100 (the column sizes)", len(e.RequestID), len(e.ObjectID))
	}
	if len(e.Details) > 1200 {
		t.Errorf("details are %d bytes: a detail value should be clipped to 1024 characters", len(e.Details))
	}
	if leaf := specLeafHash(e); e.Hash != hex.EncodeToString(leaf[:]) {
		t.Errorf("stored hash %s, re-read event hashes to %x", e.Hash, leaf)
	}
	if res := f.verify(t); !res.Intact() {
		t.Fatalf("verify = %+v", res)
	}
}

// The database refuses every change to an event but the sequencer's one: placing a waiting
// event, once, without touching what it records.
func TestAuditDatabaseRefusesChanges(t *testing.T) {
	f := newAuditFixture(t)
	f.seed(t, 2)
	f.sequence(t)
	f.seed(t, 1) // waiting
	g := f.db.Gorm()
	for _, stmt := range []string{
		"UPDATE audit_events SET object_id = 'x' WHERE seq = 1",
		"UPDATE audit_events SET seq = 7 WHERE seq = 2",
		"UPDATE audit_events SET hash = 'x' WHERE seq = 2",
		"UPDATE audit_events SET object_id = 'x' WHERE seq IS NULL",
		"UPDATE audit_events SET seq = 3, object_id = 'x' WHERE seq IS NULL",
		"DELETE FROM audit_events WHERE seq = 2",
		"DELETE FROM audit_events",
	} {
		if err := g.Exec(stmt).Error; err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only refusal", stmt, err)
		}
	}
	if f.db.Dialect() == core.DialectPostgres {
		if err := g.Exec("TRUNCATE audit_events").Error; err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("TRUNCATE: err = %v, want the append-only refusal", err)
		}
	}
	f.sequence(t)
	if res := f.verify(t); !res.Intact() || res.Rows != 3 {
		t.Fatalf("after refused changes verify = %+v, want 3 intact events", res)
	}
}

// A hundred writers, each recording fifty events in their own transactions, while the
// sequencer runs: one log, every event in it once, verified against signed checkpoints.
// Run with -count to shake out interleavings.
func TestAuditConcurrentWritersFormOneLog(t *testing.T) {
	f := newAuditFixture(t)
	const writers, each = 100, 50
	ctx, stop := context.WithCancel(context.Background())
	sequencer := make(chan struct{})
	go func() { defer close(sequencer); f.log.RunSequencer(ctx) }()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				err := f.db.InTx(context.Background(), func(ctx context.Context) error {
					return f.log.Record(ctx, &f.officer, core.Event{Action: "document.read", ObjectType: "document",
						ObjectID: fmt.Sprintf("%d-%d", w, i), Outcome: core.OutcomeSuccess})
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent record: %v", err)
	}
	f.checkpoint(t) // the sequencer may still be at work: this waits its turn
	stop()
	<-sequencer
	f.checkpoint(t)
	res := f.verify(t)
	if !res.Intact() || res.Rows != writers*each || res.Waiting != 0 || res.Checkpoints < 1 || res.Latest.TreeSize != writers*each {
		t.Fatalf("verify = %+v (latest %+v), want %d intact events, all checkpointed", res, res.Latest, writers*each)
	}
	seen := map[string]bool{}
	for _, e := range f.bySeq(t) {
		seen[e.ObjectID] = true
	}
	if len(seen) != writers*each {
		t.Fatalf("%d distinct events in the log, want %d", len(seen), writers*each)
	}
}

// Each way of tampering with the log is found and named.
func TestAuditVerifyNamesTampering(t *testing.T) {
	forge := func(t *testing.T, f *auditFixture, seq int64, objectID string) core.AuditEvent {
		t.Helper()
		e := f.bySeq(t)[seq-1]
		e.ObjectID = objectID
		return e
	}
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, f *auditFixture)
		kind   string
		first  string // the start of the first problem named
	}{
		{name: "untouched", tamper: func(*testing.T, *auditFixture) {}},
		{
			name: "an event edited",
			tamper: func(t *testing.T, f *auditFixture) {
				f.tamper(t, "UPDATE audit_events SET object_id = '999' WHERE seq = 3")
			},
			kind: core.AuditEdited, first: "edited: event 3 (id ",
		},
		{
			name: "an actor erased",
			tamper: func(t *testing.T, f *auditFixture) {
				f.tamper(t, "UPDATE audit_events SET actor_id = NULL WHERE seq = 4")
			},
			kind: core.AuditEdited, first: "edited: event 4 (id ",
		},
		{
			// The forger recomputes the leaf hash: the event is self-consistent, but the next
			// one still links to the original.
			name: "an event edited and re-hashed",
			tamper: func(t *testing.T, f *auditFixture) {
				e := forge(t, f, 3, "forged")
				leaf := specLeafHash(e)
				f.tamper(t, "UPDATE audit_events SET object_id = ?, hash = ? WHERE seq = 3", e.ObjectID, hex.EncodeToString(leaf[:]))
			},
			kind: core.AuditEdited, first: "edited: event 3 is not the event that event 4 (id ",
		},
		{
			name:   "an event deleted",
			tamper: func(t *testing.T, f *auditFixture) { f.tamper(t, "DELETE FROM audit_events WHERE seq = 3") },
			kind:   core.AuditDeleted, first: "deleted: event 3 is missing (seq jumps from 2 to 4)",
		},
		{
			name: "two events reordered",
			tamper: func(t *testing.T, f *auditFixture) {
				f.tamper(t, "UPDATE audit_events SET seq = -1 WHERE seq = 3")
				f.tamper(t, "UPDATE audit_events SET seq = 3 WHERE seq = 4")
				f.tamper(t, "UPDATE audit_events SET seq = 4 WHERE seq = -1")
			},
			kind: core.AuditReordered, first: "reordered: event 3 (id ",
		},
		{
			// A forged event slipped in at 3, the rest moved up one, its hashes all made right.
			name: "an event inserted",
			tamper: func(t *testing.T, f *auditFixture) {
				e := forge(t, f, 3, "slipped-in")
				for seq := 6; seq >= 3; seq-- {
					f.tamper(t, "UPDATE audit_events SET seq = ? WHERE seq = ?", seq+1, seq)
				}
				leaf := specLeafHash(core.AuditEvent{ID: 1000, OccurredAt: e.OccurredAt, ActorID: e.ActorID, ActorOrgID: e.ActorOrgID,
					Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, Outcome: e.Outcome})
				f.tamper(t, "INSERT INTO audit_events (id, occurred_at, actor_id, actor_org_id, action, object_type, object_id, outcome, "+
					"client_ip, user_agent, request_id, details, prev_hash, hash, seq) VALUES (1000, ?, ?, ?, ?, ?, ?, ?, '', '', '', '', ?, ?, 3)",
					e.OccurredAt, e.ActorID, e.ActorOrgID, e.Action, e.ObjectType, e.ObjectID, e.Outcome, e.PrevHash, hex.EncodeToString(leaf[:]))
			},
			kind: core.AuditInserted, first: "inserted: event 3 was inserted",
		},
		{
			// Cut off the newest two events, and make the tree's head agree: only the signed
			// checkpoint, outside the database, still knows there were six.
			name: "the tail cut off",
			tamper: func(t *testing.T, f *auditFixture) {
				f.tamper(t, "DELETE FROM audit_events WHERE seq > 4")
				f.tamper(t, "UPDATE audit_tree SET size = 4")
			},
			kind: core.AuditTruncated,
		},
		{
			// A checkpoint rewritten to match a shortened log, signed with another key.
			name: "a checkpoint replaced",
			tamper: func(t *testing.T, f *auditFixture) {
				other, skey, err := core.GenerateAuditKey()
				if err != nil || other == nil {
					t.Fatal(err)
				}
				signer, err := note.NewSigner(skey)
				if err != nil {
					t.Fatal(err)
				}
				signed, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n4\n%s\n", core.AuditKeyName, strings.Repeat("A", 43)+"=")}, signer)
				if err != nil {
					t.Fatal(err)
				}
				modelstest.Rewrite(t, f.backend, core.AuditCheckpointPrefix+"00000000000000000001", func([]byte) []byte { return signed })
			},
			kind: core.AuditBadCheckpoint, first: "checkpoint: checkpoint 1 is not signed by the audit log's key",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newAuditFixture(t)
			f.seed(t, 6)
			if cp := f.checkpoint(t); cp.Number != 1 || cp.TreeSize != 6 {
				t.Fatalf("checkpoint = %+v, want number 1 of 6 events", cp)
			}
			tc.tamper(t, f)
			res := f.verify(t)
			if tc.kind == "" {
				if !res.Intact() || res.Rows != 6 || res.Checkpoints != 1 {
					t.Fatalf("verify of an untouched log = %+v", res)
				}
				return
			}
			if res.Intact() || !hasProblem(res, tc.kind) || !strings.HasPrefix(res.Problem, tc.first) {
				t.Fatalf("verify found %v; want %q named, first %q", res.Problems, tc.kind, tc.first)
			}
		})
	}
}

// An event waiting for the sequencer longer than a minute is reported.
func TestAuditVerifyReportsEventsLeftWaiting(t *testing.T) {
	f := newAuditFixture(t)
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f.clock.Set(start)
	f.seed(t, 2)
	f.clock.Set(start.Add(30 * time.Second))
	if res := f.verify(t); !res.Intact() || res.Waiting != 2 {
		t.Fatalf("after 30 s: %+v, want intact with 2 waiting", res)
	}
	f.clock.Set(start.Add(90 * time.Second))
	res := f.verify(t)
	if !hasProblem(res, core.AuditUnsequenced) || !strings.Contains(res.Problem, "2 events have waited more than 1m0s") {
		t.Fatalf("after 90 s: %v, want the waiting events named", res.Problems)
	}
	w, err := f.log.Waiting(context.Background())
	if err != nil || w.Count != 2 || w.Stale != 2 || !w.OldestAt.Equal(start) {
		t.Fatalf("Waiting = %+v, %v", w, err)
	}
	f.sequence(t)
	if res := f.verify(t); !res.Intact() || res.Waiting != 0 {
		t.Fatalf("after sequencing: %+v", res)
	}
}

// The proofs the log hands auditors verify with the library's own checks against the signed
// checkpoint, and a forged leaf or root does not.
func TestAuditProofsVerifyWithTheLibrary(t *testing.T) {
	f := newAuditFixture(t)
	ctx := context.Background()
	f.seed(t, 5)
	first := f.checkpoint(t)
	f.seed(t, 8)
	second := f.checkpoint(t)
	if first.Number != 1 || second.Number != 2 || first.TreeSize != 5 || second.TreeSize != 13 {
		t.Fatalf("checkpoints %+v %+v", first, second)
	}
	verifier, err := note.NewVerifier(f.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	signedRoot := func(n int64) (int64, tlog.Hash) {
		cp, err := f.log.CheckpointAs(ctx, f.auditor, n)
		if err != nil {
			t.Fatal(err)
		}
		opened, err := note.Open([]byte(cp.Note), note.VerifierList(verifier))
		if err != nil {
			t.Fatalf("checkpoint %d does not open with the public key: %v", n, err)
		}
		lines := strings.Split(opened.Text, "\n")
		size, _ := strconv.ParseInt(lines[1], 10, 64)
		var root tlog.Hash
		if lines[0] != core.AuditKeyName || len(lines) != 4 {
			t.Fatalf("checkpoint text %q", opened.Text)
		}
		b, err := decodeBase64(lines[2])
		if err != nil {
			t.Fatal(err)
		}
		copy(root[:], b)
		return size, root
	}
	size2, root2 := signedRoot(0) // the latest
	size1, root1 := signedRoot(1)
	if size1 != 5 || size2 != 13 {
		t.Fatalf("signed sizes %d and %d", size1, size2)
	}

	for _, e := range f.bySeq(t) {
		p, err := f.log.ProveInclusion(ctx, f.auditor, e.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p.TreeSize != 13 || p.Checkpoint == nil || p.Checkpoint.Number != 2 {
			t.Fatalf("proof of %d is against %d events, checkpoint %+v; want the latest checkpoint", e.ID, p.TreeSize, p.Checkpoint)
		}
		proof := parseProof(t, p.Proof)
		leaf := specLeafHash(e)
		if err := tlog.CheckRecord(proof, size2, root2, *e.Seq-1, leaf); err != nil {
			t.Errorf("inclusion of seq %d does not verify: %v", *e.Seq, err)
		}
		var forged tlog.Hash
		copy(forged[:], leaf[:])
		forged[0] ^= 1
		if err := tlog.CheckRecord(proof, size2, root2, *e.Seq-1, forged); err == nil {
			t.Errorf("inclusion of a forged leaf at seq %d verifies", *e.Seq)
		}
	}
	// Against the earlier tree, by size.
	e := f.bySeq(t)[2]
	p, err := f.log.ProveInclusion(ctx, f.auditor, e.ID, 5)
	if err != nil || tlog.CheckRecord(parseProof(t, p.Proof), size1, root1, 2, specLeafHash(e)) != nil {
		t.Fatalf("inclusion in the first checkpoint's tree: %+v %v", p, err)
	}

	c, err := f.log.ProveConsistency(ctx, f.auditor, size1, size2)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(parseTreeProof(t, c.Proof), size2, root2, size1, root1); err != nil {
		t.Fatalf("consistency 5 → 13 does not verify: %v", err)
	}
	bad := root1
	bad[31] ^= 1
	if err := tlog.CheckTree(parseTreeProof(t, c.Proof), size2, root2, size1, bad); err == nil {
		t.Fatal("consistency with a forged earlier root verifies")
	}

	for name, err := range map[string]error{
		"unknown event": func() error { _, err := f.log.ProveInclusion(ctx, f.auditor, 99999, 0); return err }(),
		"tree too big":  func() error { _, err := f.log.ProveInclusion(ctx, f.auditor, e.ID, 14); return err }(),
		"from after to": func() error { _, err := f.log.ProveConsistency(ctx, f.auditor, 6, 5); return err }(),
		"officer":       func() error { _, err := f.log.ProveConsistency(ctx, f.officer, 1, 5); return err }(),
	} {
		want := map[string]core.Code{"unknown event": core.ENOTFOUND, "tree too big": core.EINVALID, "from after to": core.EINVALID, "officer": core.EFORBIDDEN}[name]
		if core.ErrorCode(err) != want {
			t.Errorf("%s: %v, want %s", name, err, want)
		}
	}
	f.seed(t, 1)
	waiting := f.all(t, core.AuditFilter{})[0]
	if _, err := f.log.ProveInclusion(ctx, f.auditor, waiting.ID, 0); core.ErrorCode(err) != core.ECONFLICT {
		t.Errorf("proof of a waiting event: %v, want ECONFLICT", err)
	}
}

func parseProof(t *testing.T, hexes []string) tlog.RecordProof {
	t.Helper()
	var out tlog.RecordProof
	for _, s := range hexes {
		h, err := core.ParseHash(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
	return out
}

func parseTreeProof(t *testing.T, hexes []string) tlog.TreeProof {
	return tlog.TreeProof(parseProof(t, hexes))
}

// The first sequencing after migration 13 checks the old hash chain and carries its events
// into the Merkle log, in their order, and records that it did; a broken chain is refused,
// named, and its events left waiting.
func TestAuditMigrationCarriesTheOldChainOver(t *testing.T) {
	for _, broken := range []bool{false, true} {
		t.Run(fmt.Sprintf("broken=%v", broken), func(t *testing.T) {
			ctx := context.Background()
			db, err := core.Open(ctx, modelstest.DBConfig(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if err := db.MigrateTo(ctx, 11); err != nil {
				t.Fatal(err)
			}
			// Rows as the hash-chained log of earlier releases wrote them.
			prev := genesis
			at := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
			for i := int64(1); i <= 40; i++ {
				actor := i % 4
				e := core.AuditEvent{ID: i, OccurredAt: at.Add(time.Duration(i) * time.Second), ActorID: &actor, Action: "document.read",
					ObjectType: "document", ObjectID: strconv.FormatInt(i, 10), Outcome: core.OutcomeSuccess, PrevHash: prev}
				e.Hash = specHash(e)
				if broken && i == 17 {
					e.ObjectID = "altered after hashing"
				}
				if err := db.Gorm().Exec("INSERT INTO audit_events (id, occurred_at, actor_id, action, object_type, object_id, outcome, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
					e.ID, e.OccurredAt, e.ActorID, e.Action, e.ObjectType, e.ObjectID, e.Outcome, e.PrevHash, e.Hash).Error; err != nil {
					t.Fatal(err)
				}
				prev = e.Hash
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			log := core.NewAudit(core.Deps{DB: db})
			// A new event recorded before the first sequencing comes after the old chain.
			if err := log.Record(ctx, nil, core.Event{Action: "session.sign_in", Outcome: core.OutcomeFailure}); err != nil {
				t.Fatal(err)
			}
			_, err = log.Sequence(ctx)
			if broken {
				if err == nil || !strings.Contains(err.Error(), "row 17: hash does not match its contents") {
					t.Fatalf("sequencing over a broken old chain: %v, want row 17 named", err)
				}
				res, err := log.Verify(ctx)
				if err != nil || !hasProblem(res, core.AuditOldChain) || !strings.Contains(res.Problem, "row 17") || res.Rows != 0 || res.Waiting != 41 {
					t.Fatalf("verify = %+v, %v; want the old chain's row 17 named and 41 waiting", res, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := log.Sequence(ctx); err != nil { // the carry-over's own record
				t.Fatal(err)
			}
			res, err := log.Verify(ctx)
			if err != nil || !res.Intact() || res.Rows != 42 || res.Waiting != 0 {
				t.Fatalf("verify after carrying over = %+v, %v; want 42 intact events", res, err)
			}
			var order []int64
			if err := db.Gorm().Raw("SELECT id FROM audit_events ORDER BY seq").Scan(&order).Error; err != nil {
				t.Fatal(err)
			}
			if order[0] != 1 || order[39] != 40 || order[40] != 41 {
				t.Errorf("events carried over in order %v, want the old chain first, in id order", order)
			}
			var details string
			if err := db.Gorm().Raw("SELECT details FROM audit_events WHERE action = ?", core.ActionAuditCarryOver).Scan(&details).Error; err != nil ||
				details != fmt.Sprintf(`{"chain_head":"%s","rows":"40"}`, prev) {
				t.Errorf("carry-over recorded as %q, %v; want the old chain's 40 rows and head", details, err)
			}
		})
	}
}

func decodeBase64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
