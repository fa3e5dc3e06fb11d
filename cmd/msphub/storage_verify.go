package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/msptp/msphub/models/core"
)

const storageSummary = "Usage: msphub storage verify [flags]\n\n" +
	"verify reads every stored file back through the decrypting reader, as a download would, and\n" +
	"checks it is there with the size and SHA-256 its row records. It names each file that is\n" +
	"missing, altered or sealed under a master key that is not configured, and exits with status\n" +
	"1 if there is any. It reads every byte, so on a large store run it at a quiet hour. Give it\n" +
	"the settings serve has (the same environment file): database, S3 and master keys."

// runStorage runs the blob store's administrative tasks: verify.
func runStorage(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if done, err := commandAction("storage", storageSummary, args, stdout, "verify"); done {
		return err
	}
	var cfg config
	var workers int
	fs := flag.NewFlagSet("storage verify", flag.ContinueOnError)
	databaseFlags(fs, &cfg)
	blobStoreFlags(fs, &cfg)
	fs.IntVar(&workers, "workers", 4, "files read at once")
	log, done, err := commandSetup(fs, &cfg, storageSummary, args[1:], getenv, stdout, stderr)
	if done {
		return err
	}
	if err := cfg.validateBlobStore(); err != nil {
		return err
	}
	if workers < 1 || workers > 64 {
		return errors.New("--workers: give 1 to 64")
	}
	if cfg.MasterKey == "" {
		// Never create a key file here, as serve would on first start: a new key opens nothing.
		path := filepath.Join(cfg.DataDir, "master.key")
		if _, err := os.Stat(path); err != nil {
			return settingError("master-key", fmt.Errorf("no master key: give the one serve uses, or the data directory that holds master.key (%s: %v)", path, err))
		}
	}
	if err := embeddedDatabaseExists(&cfg); err != nil {
		return err
	}
	db, blobs, err := openToVerify(ctx, &cfg, log, masterKeys)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := core.VerifyStorage(ctx, db, blobs, workers, func(p core.StorageProblem) {
		fmt.Fprintln(stdout, p.String())
	})
	if err != nil {
		return fmt.Errorf("storage verify stopped after %d files: %w", rep.Files, err)
	}
	if rep.Problems > 0 {
		fmt.Fprintf(stdout, "storage BROKEN: %d of %d files are missing or altered (listed above)\n", rep.Problems, rep.Files)
		return fmt.Errorf("storage broken: %d of %d files are missing or altered", rep.Problems, rep.Files)
	}
	fmt.Fprintf(stdout, "storage intact: %d files, %s, each present with its recorded size and SHA-256\n", rep.Files, core.HumanBytes(rep.Bytes))
	return nil
}

// embeddedDatabaseExists refuses a data directory without a database, which opening would
// otherwise create, empty.
func embeddedDatabaseExists(cfg *config) error {
	if cfg.DatabaseURL != "" {
		return nil
	}
	path := filepath.Join(cfg.DataDir, "msphub.db")
	if _, err := os.Stat(path); err != nil {
		return settingError("data-dir", fmt.Errorf("no MSP Hub database at %s", path))
	}
	return nil
}
