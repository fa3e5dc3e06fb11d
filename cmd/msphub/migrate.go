package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const summary = "Usage: msphub migrate up|status [flags]\n\n" +
		"up applies every pending migration (serve does this too, at start-up);\n" +
		"status lists the migrations and whether each is applied."
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprintln(stdout, summary)
		if len(args) == 0 {
			return errors.New("migrate needs up or status")
		}
		return nil
	}
	action := args[0]
	if action != "up" && action != "status" {
		return fmt.Errorf("unknown migrate action %q: use up or status", action)
	}
	var cfg config
	fs := flag.NewFlagSet("migrate "+action, flag.ContinueOnError)
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
	db, err := openDatabase(ctx, &cfg, log, action == "up")
	if err != nil {
		return err
	}
	defer db.Close()
	if action == "up" {
		fmt.Fprintln(stdout, "database is up to date")
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
