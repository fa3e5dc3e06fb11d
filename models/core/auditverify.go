package core

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/msptp/msphub/storage"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Kinds of problem Verify names.
const (
	AuditEdited        = "edited"      // an event's contents no longer match its leaf hash
	AuditDeleted       = "deleted"     // an event is missing from the log
	AuditReordered     = "reordered"   // events were moved out of the order they were sequenced in
	AuditInserted      = "inserted"    // an event was added that the sequencer never placed there
	AuditTruncated     = "truncated"   // the newest events were cut off
	AuditRewritten     = "rewritten"   // the events no longer hash to a signed root
	AuditBadCheckpoint = "checkpoint"  // a checkpoint was replaced, forged, removed or is inconsistent
	AuditTreeHashes    = "tree hashes" // the stored tree, which proofs are built from, was altered
	AuditUnsequenced   = "unsequenced" // events waited for their sequence number longer than AuditStaleAfter
	AuditOldChain      = "old chain"   // the hash chain from before the Merkle log is broken
)

// AuditProblem is one thing Verify found wrong.
type AuditProblem struct {
	Kind    string `json:"kind"`
	Seq     int64  `json:"seq,omitempty"`      // the event's place in the log, when it is about one
	EventID int64  `json:"event_id,omitempty"` // the event's id, when it is about one
	Detail  string `json:"detail"`
}

func (p AuditProblem) String() string { return p.Kind + ": " + p.Detail }

// VerifyResult is what Verify found.
type VerifyResult struct {
	Rows        int64          // events in the log checked (sequenced, up to the tree the sequencer had built)
	Head        string         // root hash (hex) of the tree those events make; empty for an empty log
	BrokenAt    int64          // seq of the first problem about an event, or 0
	Problem     string         // the first problem, for people; empty when intact
	Problems    []AuditProblem // every problem found, events first, then the tree and checkpoints
	Checkpoints int            // signed checkpoints checked
	Latest      *AuditCheckpoint
	Waiting     int64  // events not yet sequenced
	Note        string // what could not be checked (no key or no blob store), for people
}

// Intact reports whether nothing was found wrong.
func (r VerifyResult) Intact() bool { return len(r.Problems) == 0 }

func (r *VerifyResult) add(p AuditProblem) {
	if len(r.Problems) == 0 {
		r.Problem = p.String()
		r.BrokenAt = p.Seq
	}
	r.Problems = append(r.Problems, p)
}

// auditVerifyMaxProblems bounds the report: past it, one more line says so.
const auditVerifyMaxProblems = 50

// Verify checks the whole log, streaming the events in seq order, and names what is wrong:
//   - every event's leaf hash is recomputed from its contents: an edited event is named;
//   - seq runs 1, 2, 3, ... and each prev_hash is the leaf hash of the event before: a deleted
//     event (a gap, or a link to an event no longer there), a reordered one (a link to an event
//     now after it) and an inserted one (the event after it links past it, or it lies beyond
//     the tree the sequencer built) are named;
//   - the tree is rebuilt from the recomputed leaves (tlog) and compared with every signed
//     checkpoint in the blob store: a cut-off tail (a checkpoint covering more events than there
//     are) and a rewritten log (events that no longer hash to a signed root) are named; each
//     checkpoint's signature is checked with the audit key, checkpoints must be numbered without
//     gaps, match what was recorded when they were written, and each must be consistent with the
//     one before it (a consistency proof, tlog.CheckTree): a replaced or removed checkpoint is
//     named;
//   - the stored tree hashes, which inclusion proofs are built from, must match the rebuilt tree;
//   - events waiting for their sequence number longer than AuditStaleAfter are reported.
//
// It holds the rebuilt tree in memory (about 64 bytes an event). It authorizes nothing:
// `msphub audit verify` runs it with database access; users go through VerifyAs. Errors:
// EUNAVAILABLE or EINTERNAL from the database or the blob store.
func (a *Audit) Verify(ctx context.Context) (VerifyResult, error) {
	var res VerifyResult
	tree, err := a.readTree(ctx, false)
	if err != nil {
		return res, err
	}
	mem, err := a.verifyEvents(ctx, tree, &res)
	if err != nil {
		return res, err
	}
	root, err := tlog.TreeHash(res.Rows, mem)
	if err != nil {
		return res, Internal(err)
	}
	res.Head = hexRoot(res.Rows, root)
	if err := a.verifyBeyond(ctx, tree, &res); err != nil {
		return res, err
	}
	if res.Rows == tree.Size && tree.Root != res.Head {
		res.add(AuditProblem{Kind: AuditTreeHashes, Detail: fmt.Sprintf("the tree head the sequencer recorded (%s) is not the root of the events (%s)", tree.Root, res.Head)})
	}
	if err := a.verifyStoredHashes(ctx, mem, &res); err != nil {
		return res, err
	}
	if err := a.verifyCheckpoints(ctx, mem, &res); err != nil {
		return res, err
	}
	if err := a.verifyWaiting(ctx, &res); err != nil {
		return res, err
	}
	if len(res.Problems) > auditVerifyMaxProblems {
		extra := len(res.Problems) - auditVerifyMaxProblems
		res.Problems = append(res.Problems[:auditVerifyMaxProblems], AuditProblem{Kind: "more", Detail: fmt.Sprintf("%d more problems not listed", extra)})
	}
	return res, nil
}

// verifyEvents streams the sequenced events up to the tree's size, checks each and rebuilds the
// tree from their recomputed leaf hashes.
func (a *Audit) verifyEvents(ctx context.Context, tree auditTree, res *VerifyResult) (memHashes, error) {
	// Bounded by the tree read first: events the sequencer adds meanwhile are not looked at.
	rows, err := a.db.Conn(ctx).Raw("SELECT "+auditColumns+" FROM audit_events WHERE seq IS NOT NULL AND seq <= ? ORDER BY seq", tree.Size).Rows()
	if err != nil {
		return nil, DBError(err)
	}
	defer rows.Close()
	mem := make(memHashes, 0, 2*tree.Size+1)
	prevHash := genesisHash
	prevSeq := int64(0)
	for rows.Next() {
		e, err := scanAuditEvent(rows)
		if err != nil {
			return nil, err
		}
		seq := *e.Seq
		leaf := e.LeafHash()
		switch {
		case seq > prevSeq+1 && prevSeq+1 == seq-1:
			res.add(AuditProblem{Kind: AuditDeleted, Seq: prevSeq + 1, Detail: fmt.Sprintf("event %d is missing (seq jumps from %d to %d)", prevSeq+1, prevSeq, seq)})
		case seq > prevSeq+1:
			res.add(AuditProblem{Kind: AuditDeleted, Seq: prevSeq + 1, Detail: fmt.Sprintf("events %d to %d are missing (seq jumps from %d to %d)", prevSeq+1, seq-1, prevSeq, seq)})
		case hashHex(leaf) != e.Hash:
			res.add(AuditProblem{Kind: AuditEdited, Seq: seq, EventID: e.ID, Detail: fmt.Sprintf("event %d (id %d): its contents do not match its leaf hash", seq, e.ID)})
		case e.PrevHash != prevHash:
			p, err := a.misplaced(ctx, &e, prevSeq)
			if err != nil {
				return nil, err
			}
			res.add(p)
		}
		stored, err := tlog.StoredHashesForRecordHash(res.Rows, leaf, mem)
		if err != nil {
			return nil, Internal(err)
		}
		mem = append(mem, stored...)
		res.Rows++
		prevHash, prevSeq = e.Hash, seq
	}
	if err := rows.Err(); err != nil {
		return nil, DBError(err)
	}
	if prevSeq < tree.Size {
		res.add(AuditProblem{Kind: AuditTruncated, Seq: prevSeq + 1, Detail: fmt.Sprintf("the log ends at event %d but the sequencer built a tree of %d events: events %d to %d were cut off",
			prevSeq, tree.Size, prevSeq+1, tree.Size)})
	}
	return mem, nil
}

// misplaced names what is wrong with e, an event whose own hash is right but whose prev_hash is
// not the leaf hash of the event before it (at prevSeq).
func (a *Audit) misplaced(ctx context.Context, e *AuditEvent, prevSeq int64) (AuditProblem, error) {
	seq := *e.Seq
	var linked sql.NullInt64
	err := a.db.Conn(ctx).Raw("SELECT seq FROM audit_events WHERE hash = ? AND seq IS NOT NULL ORDER BY seq LIMIT 1", e.PrevHash).Row().Scan(&linked)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return AuditProblem{}, DBError(err)
	}
	switch {
	case e.PrevHash == genesisHash:
		return AuditProblem{Kind: AuditReordered, Seq: seq, EventID: e.ID, Detail: fmt.Sprintf("event %d (id %d) was the first event of the log, not event %d", seq, e.ID, seq)}, nil
	case !linked.Valid:
		// The event it links to is gone, and a self-consistent one stands in its place: that
		// one was altered and re-hashed (or, if the log is also short, one was deleted and the
		// rest renumbered).
		return AuditProblem{Kind: AuditEdited, Seq: prevSeq, Detail: fmt.Sprintf("event %d is not the event that event %d (id %d) follows: it was altered and re-hashed, or replaced",
			prevSeq, seq, e.ID)}, nil
	case linked.Int64 > seq:
		return AuditProblem{Kind: AuditReordered, Seq: seq, EventID: e.ID, Detail: fmt.Sprintf("event %d (id %d) was sequenced after the event now at %d: the events were reordered", seq, e.ID, linked.Int64)}, nil
	case linked.Int64 == prevSeq-1:
		return AuditProblem{Kind: AuditInserted, Seq: prevSeq, Detail: fmt.Sprintf("event %d was inserted: event %d (id %d) links to event %d, past it", prevSeq, seq, e.ID, linked.Int64)}, nil
	case linked.Int64 < prevSeq-1:
		return AuditProblem{Kind: AuditReordered, Seq: seq, EventID: e.ID, Detail: fmt.Sprintf("event %d (id %d) was sequenced right after event %d: the events were reordered", seq, e.ID, linked.Int64)}, nil
	}
	return AuditProblem{Kind: AuditReordered, Seq: seq, EventID: e.ID, Detail: fmt.Sprintf("event %d (id %d) does not follow event %d", seq, e.ID, prevSeq)}, nil
}

// verifyBeyond names events that carry a place in the log beyond the tree the sequencer built:
// the sequencer never put them there. It re-reads the tree first, so events the sequencer
// added while Verify ran are not mistaken for them.
func (a *Audit) verifyBeyond(ctx context.Context, tree auditTree, res *VerifyResult) error {
	now, err := a.readTree(ctx, false)
	if err != nil {
		return err
	}
	rows, err := a.db.Conn(ctx).Raw("SELECT id, seq FROM audit_events WHERE seq > ? ORDER BY seq LIMIT 10", now.Size).Rows()
	if err != nil {
		return DBError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return DBError(err)
		}
		res.add(AuditProblem{Kind: AuditInserted, Seq: seq, EventID: id, Detail: fmt.Sprintf("event %d (id %d) lies beyond the tree the sequencer built (%d events): it was inserted", seq, id, now.Size)})
	}
	return DBError(rows.Err())
}

// verifyStoredHashes compares the stored tree hashes, from which proofs are served, with the
// tree rebuilt from the events.
func (a *Audit) verifyStoredHashes(ctx context.Context, mem memHashes, res *VerifyResult) error {
	rows, err := a.db.Conn(ctx).Raw("SELECT idx, hash FROM audit_tree_hashes WHERE idx < ? ORDER BY idx", len(mem)).Rows()
	if err != nil {
		return DBError(err)
	}
	defer rows.Close()
	want := int64(0)
	for rows.Next() {
		var (
			idx int64
			b   []byte
		)
		if err := rows.Scan(&idx, &b); err != nil {
			return DBError(err)
		}
		if idx != want || string(b) != string(mem[idx][:]) {
			res.add(AuditProblem{Kind: AuditTreeHashes, Detail: fmt.Sprintf("stored tree hash %d does not match the events: proofs built from it would not verify", min(idx, want))})
			return nil
		}
		want++
	}
	if err := rows.Err(); err != nil {
		return DBError(err)
	}
	if want < int64(len(mem)) {
		res.add(AuditProblem{Kind: AuditTreeHashes, Detail: fmt.Sprintf("stored tree hashes end at %d of %d", want, len(mem))})
	}
	return nil
}

// checkpointRead is one checkpoint as found in the blob store.
type checkpointRead struct {
	number int64
	key    string
	size   int64
	root   tlog.Hash
	ok     bool // signed by the audit key and well formed
}

// verifyCheckpoints checks every checkpoint in the blob store (see Verify).
func (a *Audit) verifyCheckpoints(ctx context.Context, mem memHashes, res *VerifyResult) error {
	if a.blobs == nil {
		res.Note = "no blob store given: the checkpoints, and so a cut-off tail, were not checked"
		return nil
	}
	var keys []string
	if err := a.blobs.List(ctx, AuditCheckpointPrefix, func(key string, _ int64, _ time.Time) error {
		keys = append(keys, key)
		return nil
	}); err != nil {
		return Unavailable("The blob store is not answering.", err)
	}
	slices.Sort(keys)
	var recorded []struct {
		Number, TreeSize int64
		Root             string
	}
	if err := a.db.Conn(ctx).Raw("SELECT number, tree_size, root FROM audit_checkpoints ORDER BY number").Scan(&recorded).Error; err != nil {
		return DBError(err)
	}
	if len(keys) == 0 && len(recorded) == 0 {
		return nil
	}
	if a.key == nil {
		res.Note = fmt.Sprintf("no audit key given: %d checkpoints were not checked, nor the log's tail", len(keys))
		return nil
	}
	verifiers := note.VerifierList(a.key.verifier)
	var cps []checkpointRead
	for _, key := range keys {
		n, err := strconv.ParseInt(strings.TrimPrefix(key, AuditCheckpointPrefix), 10, 64)
		if err != nil || key != checkpointKey(n) {
			res.add(AuditProblem{Kind: AuditBadCheckpoint, Detail: fmt.Sprintf("%s is not a checkpoint's name: something else was put among the checkpoints", key)})
			continue
		}
		cp := checkpointRead{number: n, key: key}
		b, err := a.blobs.GetPublic(ctx, key, auditCheckpointMax)
		if err != nil && !errors.Is(err, storage.ErrTooLarge) {
			return Unavailable("The blob store is not answering.", err)
		}
		if err == nil {
			if opened, err := note.Open(b, verifiers); err != nil {
				res.add(AuditProblem{Kind: AuditBadCheckpoint, Detail: fmt.Sprintf("checkpoint %d is not signed by the audit log's key (%v): it was replaced or forged", n, err)})
			} else if cp.size, cp.root, err = parseCheckpointText(opened.Text); err != nil {
				res.add(AuditProblem{Kind: AuditBadCheckpoint, Detail: fmt.Sprintf("checkpoint %d: %v", n, err)})
			} else {
				cp.ok = true
			}
		} else {
			res.add(AuditProblem{Kind: AuditBadCheckpoint, Detail: fmt.Sprintf("checkpoint %d is too large to be a checkpoint: it was replaced", n)})
		}
		cps = append(cps, cp)
	}
	// Numbering, and agreement with what was recorded when each was written.
	found := map[int64]checkpointRead{}
	for _, cp := range cps {
		found[cp.number] = cp
	}
	last := int64(0)
	if len(cps) > 0 {
		last = cps[len(cps)-1].number
	}
	for _, r := range recorded {
		last = max(last, r.Number)
	}
	for n := int64(1); n <= last; n++ {
		if _, ok := found[n]; !ok {
			res.add(AuditProblem{Kind: AuditBadCheckpoint, Detail: fmt.Sprintf("checkpoint %d is missing from the blob store", n)})
		}
	}
	for _, r := range recorded {
		cp, ok := found[r.Number]
		if ok && cp.ok && (cp.size != r.TreeSize || hexRoot(cp.size, cp.root) != r.Root) {
			res.add(AuditProblem{Kind: AuditBadCheckpoint, Detail: fmt.Sprintf("checkpoint %d in the blob store (%d events) is not the one written (%d events): it was replaced", r.Number, cp.size, r.TreeSize)})
		}
	}
	// Each against the events, and each against the one before.
	var prev *checkpointRead
	for i := range cps {
		cp := &cps[i]
		if !cp.ok {
			continue
		}
		res.Checkpoints++
		res.Latest = &AuditCheckpoint{Number: cp.number, TreeSize: cp.size, RootHash: hexRoot(cp.size, cp.root), Key: cp.key}
		switch {
		case cp.size > res.Rows:
			res.add(AuditProblem{Kind: AuditTruncated, Seq: res.Rows + 1, Detail: fmt.Sprintf("checkpoint %d covers %d events but the log has %d: events %d to %d were cut off",
				cp.number, cp.size, res.Rows, res.Rows+1, cp.size)})
		default:
			root, err := tlog.TreeHash(cp.size, mem)
			if err != nil {
				return Internal(err)
			}
			if root != cp.root {
				res.add(AuditProblem{Kind: AuditRewritten, Detail: fmt.Sprintf("events 1 to %d do not hash to the root signed in checkpoint %d: an event at or before %d was changed, removed, added or moved",
					cp.size, cp.number, cp.size)})
			}
		}
		if prev != nil {
			if cp.size < prev.size {
				res.add(AuditProblem{Kind: AuditBadCheckpoint, Detail: fmt.Sprintf("checkpoint %d (%d events) is smaller than checkpoint %d (%d events): it was replaced", cp.number, cp.size, prev.number, prev.size)})
			} else if cp.size <= res.Rows {
				proof, err := tlog.ProveTree(cp.size, prev.size, mem)
				if err != nil {
					return Internal(err)
				}
				if err := tlog.CheckTree(proof, cp.size, cp.root, prev.size, prev.root); err != nil {
					res.add(AuditProblem{Kind: AuditBadCheckpoint, Detail: fmt.Sprintf("checkpoints %d and %d are not consistent: one of them was replaced, or the log rewritten", prev.number, cp.number)})
				}
			}
		}
		prev = cp
	}
	return nil
}

// verifyWaiting counts the events not yet sequenced and names those waiting too long, and a
// broken old chain that keeps its events from being carried over.
func (a *Audit) verifyWaiting(ctx context.Context, res *VerifyResult) error {
	legacy, err := a.checkLegacyChain(ctx)
	if err != nil {
		return err
	}
	if !legacy.Intact() {
		res.add(AuditProblem{Kind: AuditOldChain, EventID: legacy.BrokenAt, Detail: "the hash chain from before the Merkle log is broken, so its events were not carried over: " + legacy.Problems[0].Detail})
	}
	w, err := a.Waiting(ctx)
	if err != nil {
		return err
	}
	res.Waiting = w.Count
	if w.Stale > 0 {
		res.add(AuditProblem{Kind: AuditUnsequenced, EventID: w.OldestID, Detail: fmt.Sprintf("%d events have waited more than %s for their place in the log (the oldest, id %d, since %s): is the sequencer running?",
			w.Stale, AuditStaleAfter, w.OldestID, w.OldestAt.Format(time.RFC3339))})
	}
	return nil
}

// AuditWaiting sums up the events not yet sequenced.
type AuditWaiting struct {
	Count    int64
	Stale    int64 // waiting longer than AuditStaleAfter
	OldestID int64
	OldestAt time.Time
}

// Waiting reads how many events wait for the sequencer, from the index of waiting events.
// It authorizes nothing (metrics and Verify call it).
func (a *Audit) Waiting(ctx context.Context) (AuditWaiting, error) {
	var w AuditWaiting
	var oldestID sql.NullInt64
	var oldestAt sql.NullTime
	conn := a.db.Conn(ctx)
	if err := conn.Raw("SELECT COUNT(*), MIN(id) FROM audit_events WHERE seq IS NULL").Row().Scan(&w.Count, &oldestID); err != nil {
		return w, DBError(err)
	}
	if w.Count == 0 {
		return w, nil
	}
	w.OldestID = oldestID.Int64
	var at time.Time
	if err := conn.Raw("SELECT occurred_at FROM audit_events WHERE id = ?", w.OldestID).Row().Scan(&at); err != nil {
		return w, DBError(err)
	}
	oldestAt = sql.NullTime{Time: at, Valid: true}
	w.OldestAt = oldestAt.Time.UTC()
	if err := conn.Raw("SELECT COUNT(*) FROM audit_events WHERE seq IS NULL AND occurred_at < ?", a.now().UTC().Add(-AuditStaleAfter)).Row().Scan(&w.Stale); err != nil {
		return w, DBError(err)
	}
	return w, nil
}
