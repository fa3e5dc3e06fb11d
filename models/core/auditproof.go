package core

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/msptp/msphub/policies"
	"github.com/msptp/msphub/storage"
	"golang.org/x/mod/sumdb/tlog"
)

// Auditors check the log from outside MSP Hub with two proofs (RFC 6962 §2.1.1 and §2.1.2), in
// the hashing of golang.org/x/mod/sumdb/tlog (and of transparency-dev/merkle): that an event is
// in the tree a signed checkpoint names, and that a later checkpoint's tree extends an earlier
// one's. Proof hashes are lowercase hex.

// InclusionProof shows that one event is in the tree of TreeSize events whose root is RootHash.
// Check it with tlog.CheckRecord(proof, TreeSize, root, Seq-1, leaf).
type InclusionProof struct {
	EventID    int64            `json:"event_id"`
	Seq        int64            `json:"seq"`       // the event's leaf is number Seq-1 of the tree
	LeafHash   string           `json:"leaf_hash"` // SHA-256(0x00 || leaf data), as the event's hash column
	TreeSize   int64            `json:"tree_size"`
	RootHash   string           `json:"root_hash"`
	Proof      []string         `json:"proof"`
	Checkpoint *AuditCheckpoint `json:"checkpoint,omitempty"` // the signed checkpoint of that tree, when there is one
}

// ConsistencyProof shows that the tree of To events extends the tree of From events. Check it
// with tlog.CheckTree(proof, To, toRoot, From, fromRoot).
type ConsistencyProof struct {
	From     int64    `json:"from"`
	To       int64    `json:"to"`
	FromRoot string   `json:"from_root"`
	ToRoot   string   `json:"to_root"`
	Proof    []string `json:"proof"`
}

func hexHashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hashHex(h)
	}
	return out
}

// ProveInclusion returns the proof that event id is in the tree of treeSize events; treeSize 0
// means the latest checkpoint's tree when it holds the event, else the whole tree now.
// Who: auditors. Errors: EFORBIDDEN (recorded), ENOTFOUND (no such event), ECONFLICT (the event
// is not sequenced yet: ask again in a second), EINVALID (a tree size that does not hold it or
// is beyond the log), EUNAVAILABLE, EINTERNAL.
func (a *Audit) ProveInclusion(ctx context.Context, who Actor, id, treeSize int64) (InclusionProof, error) {
	if err := a.authorize(ctx, who, policies.ActVerify, ActionAuditProve); err != nil {
		return InclusionProof{}, err
	}
	var out InclusionProof
	err := a.readSnapshot(ctx, func(ctx context.Context) error {
		var (
			seq  sql.NullInt64
			hash string
		)
		err := a.db.Conn(ctx).Raw("SELECT seq, hash FROM audit_events WHERE id = ?", id).Row().Scan(&seq, &hash)
		if errors.Is(err, sql.ErrNoRows) {
			return NotFound("There is no audit event " + strconv.FormatInt(id, 10) + ".")
		}
		if err != nil {
			return DBError(err)
		}
		if !seq.Valid {
			return Conflict("The event is not in the log yet: it is sequenced within a second. Ask again.")
		}
		tree, err := a.readTree(ctx, false)
		if err != nil {
			return err
		}
		cp, err := a.latestCheckpoint(ctx)
		if err != nil {
			return err
		}
		switch {
		case treeSize == 0 && cp != nil && cp.TreeSize >= seq.Int64:
			treeSize = cp.TreeSize
		case treeSize == 0:
			treeSize, cp = tree.Size, nil
		case treeSize < seq.Int64 || treeSize > tree.Size:
			return Invalid("tree_size", fmt.Sprintf("The tree size must be from %d (the event's place) to %d (the log's size).", seq.Int64, tree.Size))
		}
		if cp != nil && cp.TreeSize != treeSize {
			cp = nil
		}
		hashes := &dbHashes{conn: a.db.Conn(ctx), known: map[int64]tlog.Hash{}}
		proof, err := tlog.ProveRecord(treeSize, seq.Int64-1, hashes)
		if err != nil {
			return Internal(err)
		}
		root, err := tlog.TreeHash(treeSize, hashes)
		if err != nil {
			return Internal(err)
		}
		out = InclusionProof{EventID: id, Seq: seq.Int64, LeafHash: hash, TreeSize: treeSize, RootHash: hashHex(root), Proof: hexHashes(proof), Checkpoint: cp}
		return nil
	})
	return out, err
}

// ProveConsistency returns the proof that the tree of to events extends the tree of from
// events (0 < from <= to <= the log's size; to 0 means the latest checkpoint's size).
// Who: auditors. Errors: EFORBIDDEN (recorded), EINVALID, EUNAVAILABLE, EINTERNAL.
func (a *Audit) ProveConsistency(ctx context.Context, who Actor, from, to int64) (ConsistencyProof, error) {
	if err := a.authorize(ctx, who, policies.ActVerify, ActionAuditProve); err != nil {
		return ConsistencyProof{}, err
	}
	var out ConsistencyProof
	err := a.readSnapshot(ctx, func(ctx context.Context) error {
		tree, err := a.readTree(ctx, false)
		if err != nil {
			return err
		}
		if to == 0 {
			cp, err := a.latestCheckpoint(ctx)
			if err != nil {
				return err
			}
			if cp == nil {
				return Invalid("to", "There is no checkpoint yet: give the tree size to prove up to.")
			}
			to = cp.TreeSize
		}
		if from < 1 || from > to || to > tree.Size {
			return Invalid("from", fmt.Sprintf("Give tree sizes with 1 ≤ from ≤ to ≤ %d (the log's size).", tree.Size))
		}
		hashes := &dbHashes{conn: a.db.Conn(ctx), known: map[int64]tlog.Hash{}}
		proof, err := tlog.ProveTree(to, from, hashes)
		if err != nil {
			return Internal(err)
		}
		fromRoot, err := tlog.TreeHash(from, hashes)
		if err != nil {
			return Internal(err)
		}
		toRoot, err := tlog.TreeHash(to, hashes)
		if err != nil {
			return Internal(err)
		}
		out = ConsistencyProof{From: from, To: to, FromRoot: hashHex(fromRoot), ToRoot: hashHex(toRoot), Proof: hexHashes(proof)}
		return nil
	})
	return out, err
}

// CheckpointAs returns signed checkpoint number n as stored in the blob store (0: the latest).
// Who: auditors. Errors: EFORBIDDEN (recorded), ENOTFOUND, EUNAVAILABLE, EINTERNAL.
func (a *Audit) CheckpointAs(ctx context.Context, who Actor, n int64) (AuditCheckpoint, error) {
	if err := a.authorize(ctx, who, policies.ActVerify, ActionAuditProve); err != nil {
		return AuditCheckpoint{}, err
	}
	var cp *AuditCheckpoint
	var err error
	if n == 0 {
		cp, err = a.latestCheckpoint(ctx)
	} else {
		cp, err = a.checkpointRow(ctx, n)
	}
	if err != nil {
		return AuditCheckpoint{}, err
	}
	if cp == nil {
		return AuditCheckpoint{}, NotFound("There is no such checkpoint yet.")
	}
	if a.blobs == nil {
		return AuditCheckpoint{}, Internal(errors.New("audit log built without a blob store"))
	}
	b, err := a.blobs.GetPublic(ctx, cp.Key, auditCheckpointMax)
	if errors.Is(err, storage.ErrNotFound) {
		return AuditCheckpoint{}, Internal(fmt.Errorf("checkpoint %d is missing from the blob store", cp.Number))
	}
	if err != nil {
		return AuditCheckpoint{}, Unavailable("The file store is not answering. Try again in a moment.", err)
	}
	cp.Note = string(b)
	return *cp, nil
}

// readSnapshot runs fn in one transaction, so that the tree's head and hashes it reads agree.
func (a *Audit) readSnapshot(ctx context.Context, fn func(ctx context.Context) error) error {
	return a.db.InTx(ctx, func(ctx context.Context) error {
		if a.db.dialect == DialectPostgres {
			if err := a.db.Conn(ctx).Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").Error; err != nil {
				return DBError(err)
			}
		}
		return fn(ctx)
	})
}

// latestCheckpoint is the newest checkpoint recorded, or nil.
func (a *Audit) latestCheckpoint(ctx context.Context) (*AuditCheckpoint, error) {
	return a.findCheckpoint(ctx, "SELECT number, tree_size, root, object_key, created_at FROM audit_checkpoints ORDER BY number DESC LIMIT 1")
}

func (a *Audit) checkpointRow(ctx context.Context, n int64) (*AuditCheckpoint, error) {
	return a.findCheckpoint(ctx, "SELECT number, tree_size, root, object_key, created_at FROM audit_checkpoints WHERE number = ?", n)
}

func (a *Audit) findCheckpoint(ctx context.Context, q string, args ...any) (*AuditCheckpoint, error) {
	var cp AuditCheckpoint
	var at time.Time
	err := a.db.Conn(ctx).Raw(q, args...).Row().Scan(&cp.Number, &cp.TreeSize, &cp.RootHash, &cp.Key, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, DBError(err)
	}
	cp.CreatedAt = at.UTC()
	return &cp, nil
}

// ParseHash reads a hash as the proofs show it (hex).
func ParseHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("%q is not a SHA-256 hash in hex", s)
	}
	copy(h[:], b)
	return h, nil
}

// PublicKey is the verifier key auditors check checkpoints with (note format), or "" when the
// log has no key.
func (a *Audit) PublicKey() string {
	if a.key == nil {
		return ""
	}
	return a.key.Public()
}
