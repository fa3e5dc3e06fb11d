package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/storage"
)

// runAudit runs the audit log's administrative tasks. verify is what an operator (or a cron
// job, by its exit status) runs to check the log; keygen makes a checkpoint signing key.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const summary = "Usage: msphub audit verify [flags]\n       msphub audit keygen\n\n" +
		"verify checks every audit event against its leaf hash and its place in the log, rebuilds the\n" +
		"Merkle tree, and checks it against every signed checkpoint in the blob store and each\n" +
		"checkpoint against the one before. It names each problem (edited, deleted, reordered,\n" +
		"inserted, truncated, rewritten, checkpoint, unsequenced) and exits with status 1 if there\n" +
		"is any. It needs the database, the blob store and the audit key (the public key is enough).\n\n" +
		"keygen prints a new audit signing key for MSPHUB_AUDIT_KEY, and its public key for auditors."
	if done, err := commandAction("audit", summary, args, stdout, "verify", "keygen"); done {
		return err
	}
	if args[0] == "keygen" {
		k, skey, err := core.GenerateAuditKey()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "MSPHUB_AUDIT_KEY=%s\npublic key (for auditors): %s\n", skey, k.Public())
		return nil
	}
	var cfg config
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	databaseFlags(fs, &cfg)
	blobStoreFlags(fs, &cfg)
	log, done, err := commandSetup(fs, &cfg, summary, args[1:], getenv, stdout, stderr)
	if done {
		return err
	}
	if err := cfg.validateBlobStore(); err != nil {
		return err
	}
	key, err := auditVerifyingKey(&cfg)
	if err != nil {
		return err
	}
	// Checkpoints are stored unencrypted: a master key is needed only to build the store.
	db, blobs, err := openToVerify(ctx, &cfg, log, masterKeysIfAny)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := core.NewAudit(core.Deps{DB: db, Blobs: blobs, AuditKey: key}).Verify(ctx)
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	note := func() {
		if res.Note != "" {
			fmt.Fprintf(stdout, "note: %s\n", res.Note)
		}
	}
	if !res.Intact() {
		fmt.Fprintf(stdout, "audit log BROKEN: %d problems\n", len(res.Problems))
		for _, p := range res.Problems {
			fmt.Fprintf(stdout, "  %s\n", p)
		}
		note()
		return fmt.Errorf("audit log broken: %s", res.Problem)
	}
	head := res.Head
	if head == "" {
		head = "(empty)"
	}
	fmt.Fprintf(stdout, "audit log intact: %d events, root %s, %d checkpoints checked", res.Rows, head, res.Checkpoints)
	if res.Latest != nil {
		fmt.Fprintf(stdout, " (latest: number %d, %d events)", res.Latest.Number, res.Latest.TreeSize)
	}
	fmt.Fprintf(stdout, ", %d events waiting for the sequencer\n", res.Waiting)
	note()
	return nil
}

// auditVerifyingKey is the key checkpoints are checked with: --audit-key (the public key is
// enough), or the key file serve keeps in the data directory. Never created here: a new key
// verifies nothing. Without either, verification goes on without the checkpoints, and says so.
func auditVerifyingKey(cfg *config) (*core.AuditKey, error) {
	if cfg.AuditKey != "" {
		k, err := core.ParseAuditKey(cfg.AuditKey)
		if err != nil {
			return nil, settingError("audit-key", err)
		}
		return k, nil
	}
	b, err := os.ReadFile(filepath.Join(cfg.DataDir, "audit.key"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, settingError("audit-key", err)
	}
	k, err := core.ParseAuditKey(string(b))
	if err != nil {
		return nil, settingError("audit-key", err)
	}
	return k, nil
}

// openToVerify opens what the verify commands check: the database, not migrated (checking must
// not change what it checks), and the blob store under the master keys that keys gives. The
// caller closes the database.
func openToVerify(ctx context.Context, cfg *config, log *slog.Logger, keys func(*config, *slog.Logger) (*storage.Keyring, error)) (*core.DB, *storage.Store, error) {
	db, err := openDatabase(ctx, cfg, log, false)
	if err != nil {
		return nil, nil, err
	}
	k, err := keys(cfg, log)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	blobs, err := openBlobs(ctx, cfg, k)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, blobs, nil
}

// masterKeysIfAny is the configured master keys, or a throwaway key when there are none (the
// store is then only listed and read unencrypted).
func masterKeysIfAny(cfg *config, log *slog.Logger) (*storage.Keyring, error) {
	if cfg.MasterKey == "" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, "master.key")); err != nil {
			s, err := storage.GenerateMasterKey()
			if err != nil {
				return nil, err
			}
			k, err := storage.ParseMasterKey(s)
			if err != nil {
				return nil, err
			}
			return storage.NewKeyring(k), nil
		}
	}
	return masterKeys(cfg, log)
}
