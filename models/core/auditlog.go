package core

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"gorm.io/gorm"
)

// The audit log is a transparency log (RFC 6962, as Certificate Transparency and Trillian):
//
//   - Record inserts an event in the caller's transaction and takes no lock: the event is
//     durable when the operation commits. It waits (seq IS NULL) for the sequencer.
//   - The sequencer (Sequence, run every second and woken after commits by RunSequencer; one at
//     a time across replicas) gives waiting events, in id order, their sequence number seq (1, 2,
//     3, ... without gaps), their leaf hash (hash: RFC 6962's SHA-256(0x00 || leaf data), see
//     leafData) and the leaf hash of the event before (prev_hash; 64 zeros for the first), and
//     adds them to the Merkle tree, whose hashes it keeps in audit_tree_hashes in the layout of
//     golang.org/x/mod/sumdb/tlog.
//   - Every minute, when the tree has grown, it signs a checkpoint (the tree's size and root
//     hash, in the C2SP checkpoint text signed as a golang.org/x/mod/sumdb/note with the
//     Ed25519 audit key) and writes it to the blob store, outside the database, unencrypted,
//     under audit/checkpoints/<number, 20 digits>.
//   - Verify recomputes every leaf and the whole tree from the events, and checks them against
//     every checkpoint and each checkpoint against the one before (a consistency proof).

// auditSequencerLock is the PostgreSQL advisory lock key the sequencer holds for its
// transaction ("mspseqnc" in ASCII): sequencers of several replicas take turns. Writers never
// take it.
const auditSequencerLock int64 = 0x6d73707365716e63

// Sequencing and checkpoint settings.
const (
	auditBatch = 5000 // events sequenced per transaction at most
	// AuditCheckpointEvery is how often the sequencer signs a checkpoint of a grown tree.
	AuditCheckpointEvery = time.Minute
	// AuditStaleAfter is how long an event may wait for its sequence number before
	// verification and the metrics report it.
	AuditStaleAfter = time.Minute
	// AuditCheckpointPrefix is where checkpoints are kept in the blob store.
	AuditCheckpointPrefix = "audit/checkpoints/"
	auditCheckpointMax    = 64 << 10 // a checkpoint note is a few hundred bytes
	auditGather           = 20 * time.Millisecond
	auditBusy             = 100 // a batch this large means events are arriving fast
)

// leafData is what an event's leaf hash covers: enc(id) || enc(occurred_at) || enc(actor_id)
// || enc(actor_org_id) || enc(action) || enc(object_type) || enc(object_id) || enc(outcome) ||
// enc(client_ip) || enc(user_agent) || enc(request_id) || enc(details), where enc(s) is the
// byte length of s as an 8-byte big-endian integer followed by the bytes of s; ids are decimal,
// a NULL actor is the empty string, occurred_at is auditTimeFormat. The leaf hash is
// SHA-256(0x00 || leafData) (RFC 6962 §2.1); the event's place is its seq, which the tree fixes.
func (e *AuditEvent) leafData() []byte {
	var b []byte
	for _, f := range e.fields() {
		b = appendField(b, f)
	}
	return b
}

// fields are the event's contents in the order the hashes and the export take them: id,
// occurred_at, actor_id, actor_org_id, action, object_type, object_id, outcome, client_ip,
// user_agent, request_id, details.
func (e *AuditEvent) fields() []string {
	optional := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	return []string{strconv.FormatInt(e.ID, 10), e.OccurredAt.UTC().Format(auditTimeFormat), optional(e.ActorID), optional(e.ActorOrgID),
		e.Action, e.ObjectType, e.ObjectID, e.Outcome, e.ClientIP, e.UserAgent, e.RequestID, e.Details}
}

// appendField appends enc(s) to b: the byte length of s as an 8-byte big-endian integer, then s.
func appendField(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// LeafHash is the event's RFC 6962 leaf hash, recomputed from its contents.
func (e *AuditEvent) LeafHash() tlog.Hash { return tlog.RecordHash(e.leafData()) }

// auditTree is the head of the tree as the sequencer left it (the audit_tree row).
type auditTree struct {
	Size     int64
	Root     string // hex; empty for the empty tree
	LastHash string // leaf hash of event seq = Size; 64 zeros when empty
}

// readTree reads the tree's head; lock takes its row for the transaction on PostgreSQL.
func (a *Audit) readTree(ctx context.Context, lock bool) (auditTree, error) {
	q := "SELECT size, root, last_hash FROM audit_tree WHERE id = 1"
	if lock && a.db.dialect == DialectPostgres {
		q += " FOR UPDATE"
	}
	var t auditTree
	if err := a.db.Conn(ctx).Raw(q).Row().Scan(&t.Size, &t.Root, &t.LastHash); err != nil {
		return auditTree{}, DBError(err)
	}
	return t, nil
}

// dbHashes reads the tree's stored hashes from audit_tree_hashes, keeping what it read and
// what the sequencer adds: tlog asks for the same few right-edge hashes again and again.
type dbHashes struct {
	conn  *gorm.DB
	known map[int64]tlog.Hash
}

func (r *dbHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	var missing []int64
	for _, i := range indexes {
		if _, ok := r.known[i]; !ok {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		rows, err := r.conn.Raw("SELECT idx, hash FROM audit_tree_hashes WHERE idx IN ?", missing).Rows()
		if err != nil {
			return nil, DBError(err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				idx int64
				b   []byte
			)
			if err := rows.Scan(&idx, &b); err != nil {
				return nil, DBError(err)
			}
			var h tlog.Hash
			if len(b) != len(h) {
				return nil, Internal(fmt.Errorf("audit tree: stored hash %d has %d bytes", idx, len(b)))
			}
			copy(h[:], b)
			r.known[idx] = h
		}
		if err := rows.Err(); err != nil {
			return nil, DBError(err)
		}
	}
	out := make([]tlog.Hash, len(indexes))
	for k, i := range indexes {
		h, ok := r.known[i]
		if !ok {
			return nil, Internal(fmt.Errorf("audit tree: stored hash %d is missing", i))
		}
		out[k] = h
	}
	return out, nil
}

// memHashes is a tree's stored hashes held in memory, index = tlog stored-hash index.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for k, i := range indexes {
		if i < 0 || i >= int64(len(m)) {
			return nil, fmt.Errorf("audit tree: hash %d not computed", i)
		}
		out[k] = m[i]
	}
	return out, nil
}

// hexRoot is how roots are kept and shown: lowercase hex, empty for the empty tree.
func hexRoot(size int64, h tlog.Hash) string {
	if size == 0 {
		return ""
	}
	return hex.EncodeToString(h[:])
}

// Sequence gives up to one batch of waiting events their place in the log, in id order, and
// returns how many it sequenced. It runs in its own transaction, after any other replica's
// sequencer has finished its own. The first run after the migration carries
// the events of the old hash chain over, after checking that chain (carryOver). It authorizes
// nothing: the sequencer and tests call it. Errors: EUNAVAILABLE, EINTERNAL (including a broken
// old chain, which is then left unsequenced and reported by Verify).
func (a *Audit) Sequence(ctx context.Context) (int, error) {
	// The common case, nothing waiting, is one read from the index of waiting events: no write
	// transaction (on SQLite, no write lock) every second for nothing.
	var one int
	switch err := a.db.Conn(ctx).Raw("SELECT 1 FROM audit_events WHERE seq IS NULL LIMIT 1").Row().Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, DBError(err)
	}
	n := 0
	err := a.db.InTx(ctx, func(ctx context.Context) error {
		tx := a.db.Conn(ctx)
		if err := a.lockSequencer(ctx); err != nil {
			return err
		}
		tree, err := a.readTree(ctx, true)
		if err != nil {
			return err
		}
		start := tree.Size
		hashes := &dbHashes{conn: tx, known: map[int64]tlog.Hash{}}
		if tree.Size == 0 {
			carried, err := a.carryOver(ctx, &tree, hashes)
			if err != nil {
				return err
			}
			n += carried
		}
		events, err := a.waiting(ctx, auditBatch)
		if err != nil {
			return err
		}
		if err := a.appendLeaves(ctx, &tree, hashes, events); err != nil {
			return err
		}
		n += len(events)
		if tree.Size == start {
			return nil
		}
		return a.saveTree(ctx, start, tree, hashes)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// lockSequencer makes the transaction in ctx the only sequencer until it ends. On SQLite the
// write transaction is already alone.
func (a *Audit) lockSequencer(ctx context.Context) error {
	if a.db.dialect != DialectPostgres {
		return nil
	}
	return DBError(a.db.Conn(ctx).Exec("SELECT pg_advisory_xact_lock(?)", auditSequencerLock).Error)
}

// waiting reads up to limit events that have no sequence number yet, in id order.
func (a *Audit) waiting(ctx context.Context, limit int) ([]AuditEvent, error) {
	rows, err := a.db.Conn(ctx).Raw("SELECT "+auditColumns+" FROM audit_events WHERE seq IS NULL ORDER BY id LIMIT ?", limit).Rows()
	if err != nil {
		return nil, DBError(err)
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		e, err := scanAuditEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, DBError(rows.Err())
}

// appendLeaves adds events to the tree in tree, in order, and writes their seq, hash and
// prev_hash.
func (a *Audit) appendLeaves(ctx context.Context, tree *auditTree, hashes *dbHashes, events []AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	type placed struct {
		id, seq    int64
		hash, prev string
	}
	out := make([]placed, 0, len(events))
	for i := range events {
		lh := events[i].LeafHash()
		stored, err := tlog.StoredHashesForRecordHash(tree.Size, lh, hashes)
		if err != nil {
			return Internal(fmt.Errorf("audit tree: %w", err))
		}
		base := tlog.StoredHashIndex(0, tree.Size)
		for k, h := range stored {
			hashes.known[base+int64(k)] = h
		}
		h := hex.EncodeToString(lh[:])
		out = append(out, placed{id: events[i].ID, seq: tree.Size + 1, hash: h, prev: tree.LastHash})
		tree.Size++
		tree.LastHash = h
	}
	// One statement per chunk, joining the events to a list of their places.
	const chunk = 1000
	for lo := 0; lo < len(out); lo += chunk {
		part := out[lo:min(lo+chunk, len(out))]
		var res *gorm.DB
		if a.db.dialect == DialectPostgres {
			// Four arrays, whatever the chunk's size: one short statement to parse and plan.
			ids, seqs, hashes, prevs := make([]string, len(part)), make([]string, len(part)), make([]string, len(part)), make([]string, len(part))
			for i, p := range part {
				ids[i], seqs[i], hashes[i], prevs[i] = strconv.FormatInt(p.id, 10), strconv.FormatInt(p.seq, 10), p.hash, p.prev
			}
			list := func(xs []string) string { return "{" + strings.Join(xs, ",") + "}" } // digits and hex only: no quoting needed
			res = a.db.Conn(ctx).Exec("UPDATE audit_events AS e SET seq = v.seq, hash = v.hash, prev_hash = v.prev "+
				"FROM unnest(CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS text[])) AS v(id, seq, hash, prev) "+
				"WHERE e.id = v.id AND e.seq IS NULL", list(ids), list(seqs), list(hashes), list(prevs))
		} else {
			// SQLite plans a join with a VALUES list as a scan of the table: one update by
			// primary key per event is far quicker, and all run in this one write transaction.
			var n int64
			for _, p := range part {
				r := a.db.Conn(ctx).Exec("UPDATE audit_events SET seq = ?, hash = ?, prev_hash = ? WHERE id = ? AND seq IS NULL", p.seq, p.hash, p.prev, p.id)
				if r.Error != nil {
					return DBError(r.Error)
				}
				n += r.RowsAffected
			}
			res = &gorm.DB{RowsAffected: n}
		}
		if res.Error != nil {
			return DBError(res.Error)
		}
		if res.RowsAffected != int64(len(part)) {
			return Internal(fmt.Errorf("audit sequencer: %d of %d events updated (sequenced by another?)", res.RowsAffected, len(part)))
		}
	}
	return nil
}

// saveTree writes the hashes added since start and the new head. The head's update is
// conditional on the size the batch started from, so two sequencers can never both extend
// the same tree, whatever the database.
func (a *Audit) saveTree(ctx context.Context, start int64, tree auditTree, hashes *dbHashes) error {
	tx := a.db.Conn(ctx)
	from, to := tlog.StoredHashIndex(0, start), tlog.StoredHashCount(tree.Size)
	const chunk = 500
	for lo := from; lo < to; lo += chunk {
		hi := min(lo+chunk, to)
		var sb strings.Builder
		args := make([]any, 0, 2*(hi-lo))
		for i := lo; i < hi; i++ {
			if i > lo {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?)")
			h, ok := hashes.known[i]
			if !ok {
				return Internal(fmt.Errorf("audit tree: hash %d not computed", i))
			}
			args = append(args, i, h[:])
		}
		if err := tx.Exec("INSERT INTO audit_tree_hashes (idx, hash) VALUES "+sb.String(), args...).Error; err != nil {
			return DBError(err)
		}
	}
	root, err := tlog.TreeHash(tree.Size, hashes)
	if err != nil {
		return Internal(fmt.Errorf("audit tree: %w", err))
	}
	res := tx.Exec("UPDATE audit_tree SET size = ?, root = ?, last_hash = ?, updated_at = ? WHERE id = 1 AND size = ?",
		tree.Size, hexRoot(tree.Size, root), tree.LastHash, a.now().UTC(), start)
	if res.Error != nil {
		return DBError(res.Error)
	}
	if res.RowsAffected != 1 {
		return Conflict("another sequencer extended the audit log first")
	}
	return nil
}

// carryOver brings the events of the hash chain that came before the Merkle log (waiting rows
// whose prev_hash is set) into the tree, in id order, after checking that chain link by link
// as the old `audit verify` did; a broken chain is refused, named, and left waiting. It then
// records what it carried (the old chain's length and head), so the old head is itself in the
// tree.
func (a *Audit) carryOver(ctx context.Context, tree *auditTree, hashes *dbHashes) (int, error) {
	res, err := a.checkLegacyChain(ctx)
	if err != nil || res.Rows == 0 && res.Intact() {
		return 0, err
	}
	if !res.Intact() {
		return 0, Internal(fmt.Errorf("the audit chain from before the Merkle log is broken (%s): its events are left unsequenced", res.Problems[0].Detail))
	}
	n := 0
	for {
		rows, err := a.db.Conn(ctx).Raw("SELECT "+auditColumns+" FROM audit_events WHERE seq IS NULL AND prev_hash <> '' ORDER BY id LIMIT ?", auditBatch).Rows()
		if err != nil {
			return n, DBError(err)
		}
		var events []AuditEvent
		for rows.Next() {
			e, err := scanAuditEvent(rows)
			if err != nil {
				rows.Close()
				return n, err
			}
			events = append(events, e)
		}
		rows.Close()
		if len(events) == 0 {
			break
		}
		if err := a.appendLeaves(ctx, tree, hashes, events); err != nil {
			return n, err
		}
		n += len(events)
	}
	who := (*Actor)(nil)
	return n, a.insert(ctx, who, Event{Action: ActionAuditCarryOver, ObjectType: "audit", Outcome: OutcomeSuccess,
		Details: map[string]string{"rows": strconv.FormatInt(res.Rows, 10), "chain_head": res.Head}})
}

// checkLegacyChain walks the waiting events of the old hash chain, in id order, recomputing
// every hash (the old format, AuditEvent.sum).
func (a *Audit) checkLegacyChain(ctx context.Context) (VerifyResult, error) {
	rows, err := a.db.Conn(ctx).Raw("SELECT " + auditColumns + " FROM audit_events WHERE seq IS NULL AND prev_hash <> '' ORDER BY id").Rows()
	if err != nil {
		return VerifyResult{}, DBError(err)
	}
	defer rows.Close()
	res := VerifyResult{Head: genesisHash}
	for rows.Next() {
		e, err := scanAuditEvent(rows)
		if err != nil {
			return VerifyResult{}, err
		}
		if at, problem := check(&e, res.Rows+1, res.Head); at != 0 {
			res.add(AuditProblem{Kind: AuditOldChain, Seq: at, EventID: at, Detail: problem})
			return res, nil
		}
		res.Rows++
		res.Head = e.Hash
	}
	return res, DBError(rows.Err())
}

// RunSequencer sequences waiting events every second, and soon after this process commits
// one, until ctx ends; every AuditCheckpointEvery it signs a checkpoint of the grown tree.
// Every replica runs it; one at a time does the work. Failures are logged and tried again.
func (a *Audit) RunSequencer(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var lastCheckpoint time.Time
	for {
		for {
			n, err := a.Sequence(ctx)
			if err != nil {
				if ctx.Err() == nil {
					a.log.Error("audit sequencer: cannot sequence events; trying again", slog.String("error", err.Error()))
				}
				break
			}
			// A full batch, or a busy moment: go again at once rather than let a backlog grow.
			if n < auditBusy {
				break
			}
		}
		if a.key.CanSign() && a.blobs != nil && time.Since(lastCheckpoint) >= AuditCheckpointEvery {
			if _, _, err := a.Checkpoint(ctx); err != nil {
				if ctx.Err() == nil {
					a.log.Error("audit sequencer: cannot write a checkpoint; trying again", slog.String("error", err.Error()))
				}
			} else {
				lastCheckpoint = time.Now()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.wake:
			// Let the writers of the same moment commit too: one batch instead of many.
			select {
			case <-ctx.Done():
				return
			case <-time.After(auditGather):
			}
		}
	}
}

// wakeSequencer tells this process's sequencer an event has committed.
func (a *Audit) wakeSequencer() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// AuditCheckpoint is a signed checkpoint of the log.
type AuditCheckpoint struct {
	Number    int64     `json:"number"`
	TreeSize  int64     `json:"tree_size"`
	RootHash  string    `json:"root_hash"` // hex
	CreatedAt time.Time `json:"created_at"`
	Key       string    `json:"key"`  // where it is in the blob store
	Note      string    `json:"note"` // the signed note, as stored
}

// checkpointKey is the blob key of checkpoint number n: 20 digits, so keys sort as numbers.
func checkpointKey(n int64) string { return fmt.Sprintf("%s%020d", AuditCheckpointPrefix, n) }

// checkpointText is the body of a checkpoint note (C2SP tlog-checkpoint): origin, tree size,
// base64 root hash, each on its own line.
func checkpointText(size int64, root tlog.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", AuditKeyName, size, base64.StdEncoding.EncodeToString(root[:]))
}

// parseCheckpointText reads what checkpointText wrote.
func parseCheckpointText(text string) (int64, tlog.Hash, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[0] != AuditKeyName || lines[len(lines)-1] != "" {
		return 0, tlog.Hash{}, errors.New("not a checkpoint of this log")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return 0, tlog.Hash{}, errors.New("malformed tree size")
	}
	b, err := base64.StdEncoding.DecodeString(lines[2])
	var h tlog.Hash
	if err != nil || len(b) != len(h) {
		return 0, tlog.Hash{}, errors.New("malformed root hash")
	}
	copy(h[:], b)
	return size, h, nil
}

// Checkpoint signs the tree as it stands and writes it to the blob store, unless the latest
// checkpoint already covers it; it reports whether it wrote one. Like Sequence, one replica at
// a time. It authorizes nothing. Errors: EINTERNAL (no signing key or blob store, or a store
// failure), EUNAVAILABLE.
func (a *Audit) Checkpoint(ctx context.Context) (AuditCheckpoint, bool, error) {
	if !a.key.CanSign() || a.blobs == nil {
		return AuditCheckpoint{}, false, Internal(errors.New("audit checkpoints need the audit signing key and the blob store"))
	}
	var (
		cp    AuditCheckpoint
		wrote bool
	)
	err := a.db.InTx(ctx, func(ctx context.Context) error {
		tx := a.db.Conn(ctx)
		if err := a.lockSequencer(ctx); err != nil {
			return err
		}
		tree, err := a.readTree(ctx, true)
		if err != nil || tree.Size == 0 {
			return err
		}
		var last struct {
			Number, TreeSize int64
		}
		err = tx.Raw("SELECT number, tree_size FROM audit_checkpoints ORDER BY number DESC LIMIT 1").Row().Scan(&last.Number, &last.TreeSize)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return DBError(err)
		}
		if last.Number > 0 && last.TreeSize == tree.Size {
			return nil
		}
		b, err := hex.DecodeString(tree.Root)
		var root tlog.Hash
		if err != nil || len(b) != len(root) {
			return Internal(fmt.Errorf("audit tree: malformed root %q", tree.Root))
		}
		copy(root[:], b)
		signed, err := note.Sign(&note.Note{Text: checkpointText(tree.Size, root)}, a.key.signer)
		if err != nil {
			return Internal(fmt.Errorf("sign audit checkpoint: %w", err))
		}
		cp = AuditCheckpoint{Number: last.Number + 1, TreeSize: tree.Size, RootHash: tree.Root, CreatedAt: a.now().UTC().Truncate(time.Microsecond),
			Key: checkpointKey(last.Number + 1), Note: string(signed)}
		if err := a.blobs.PutPublic(ctx, cp.Key, signed); err != nil {
			return Internal(fmt.Errorf("write audit checkpoint: %w", err))
		}
		wrote = true
		return DBError(tx.Exec("INSERT INTO audit_checkpoints (number, tree_size, root, object_key, created_at) VALUES (?, ?, ?, ?, ?)",
			cp.Number, cp.TreeSize, cp.RootHash, cp.Key, cp.CreatedAt).Error)
	})
	if err != nil {
		return AuditCheckpoint{}, false, err
	}
	return cp, wrote, nil
}

// hashHex is a hash as the API shows it.
func hashHex(h tlog.Hash) string { return hex.EncodeToString(h[:]) }
