package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/msptp/msphub/models/core"
)

// runAudit runs the audit log's administrative tasks. verify needs database access and nothing
// else: it is what an operator (or a cron job, by its exit status) runs to check the hash chain.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const summary = "Usage: msphub audit verify [flags]\n\n" +
		"verify walks the whole audit log, recomputing every hash, and says whether the chain is\n" +
		"intact or names the first broken row (exit status 1). Compare the printed event count and\n" +
		"head with your last checkpoint: a chain cannot show that its newest rows were cut off."
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprintln(stdout, summary)
		if len(args) == 0 {
			return errors.New("audit needs verify")
		}
		return nil
	}
	if args[0] != "verify" {
		return fmt.Errorf("unknown audit action %q: use verify", args[0])
	}
	var cfg config
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	databaseFlags(fs, &cfg)
	if err := parseCommand(fs, summary, args[1:], getenv, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if _, err := parseLevel(cfg.LogLevel); err != nil {
		return settingError("log-level", err)
	}
	log := newLogger(stderr, cfg.LogLevel)
	// No migration: verifying must not change the database it is checking.
	db, err := openDatabase(ctx, &cfg, log, false)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := core.NewAudit(core.Deps{DB: db}).Verify(ctx)
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	if !res.Intact() {
		fmt.Fprintf(stdout, "audit log BROKEN: %s\n", res.Problem)
		fmt.Fprintf(stdout, "the %d events before it are intact, head %s\n", res.Rows, res.Head)
		return fmt.Errorf("audit log broken: %s", res.Problem)
	}
	fmt.Fprintf(stdout, "audit log intact: %d events, head %s\n", res.Rows, res.Head)
	return nil
}
