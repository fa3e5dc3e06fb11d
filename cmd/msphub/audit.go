package main

import (
	"context"
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
	if done, err := commandAction("audit", summary, args, stdout, "verify"); done {
		return err
	}
	var cfg config
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	databaseFlags(fs, &cfg)
	if done, err := parseFlagsOrHelp(fs, summary, args[1:], getenv, stdout); done {
		return err
	}
	log, err := commandLogger(&cfg, stderr)
	if err != nil {
		return err
	}
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
