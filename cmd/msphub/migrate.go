package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/msptp/msphub/models/core"
	"io"
	"text/tabwriter"
	"time"
)

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const summary = "Usage: msphub migrate up|status [flags]\n\n" +
		"up applies every pending migration (serve does this too, at start-up);\n" +
		"status lists the migrations and whether each is applied."
	if done, err := commandAction("migrate", summary, args, stdout, "up", "status"); done {
		return err
	}
	action := args[0]
	var cfg config
	fs := flag.NewFlagSet("migrate "+action, flag.ContinueOnError)
	databaseFlags(fs, &cfg)
	log, done, err := commandSetup(fs, &cfg, summary, args[1:], getenv, stdout, stderr)
	if done {
		return err
	}
	db, err := openDatabase(ctx, &cfg, log, action == "up")
	if err != nil {
		return err
	}
	defer db.Close()
	if action == "up" {
		// The first sequencing after migration 13 checks the old hash chain and carries its
		// events into the Merkle log; a broken chain is named here and its events left waiting.
		n, err := core.NewAudit(core.Deps{DB: db, Log: log}).Sequence(ctx)
		if err != nil {
			return fmt.Errorf("audit log: %w", err)
		}
		fmt.Fprintln(stdout, "database is up to date")
		if n > 0 {
			fmt.Fprintf(stdout, "audit log: %d waiting events sequenced\n", n)
		}
		return nil
	}
	st, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tMIGRATION\tAPPLIED")
	for _, m := range st {
		applied := "pending"
		if m.Applied {
			applied = m.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", m.Version, m.Name, applied)
	}
	return tw.Flush()
}
