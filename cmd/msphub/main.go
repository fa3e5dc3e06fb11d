// Command msphub is MSP Hub: one binary that serves the application, migrates its database and
// runs the administrative tasks. main only runs; run does the work, so tests can call it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "msphub:", err)
		os.Exit(1)
	}
}

const usage = `MSP Hub: guidance, CPS evidence packs and training for modern slavery policing.

Usage:
  msphub serve [flags]           start the web application
  msphub migrate up [flags]      apply pending database migrations
  msphub migrate status [flags]  list migrations and whether each is applied
  msphub audit verify [flags]    check the audit log against its Merkle tree and signed checkpoints
  msphub audit keygen            print a new audit checkpoint signing key
  msphub storage verify [flags]  check every stored file is there and intact
  msphub backup [flags]          write a backup of the embedded default while it serves
  msphub restore [flags]         restore a backup into an empty data directory
  msphub admin create-user       add a user (scripted set-ups)
  msphub admin create-token      create an API token for a user
  msphub version                 print the version

Every flag can also be set by its environment variable: --database-url is
MSPHUB_DATABASE_URL. Run "msphub COMMAND --help" for a command's flags.
`

// run parses the subcommand and runs it until ctx ends. Help goes to stdout; logs to stderr;
// stdin is read only by admin create-user --password-stdin.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "admin":
		return runAdmin(ctx, rest, getenv, stdin, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, getenv, stdout, stderr)
	case "storage":
		return runStorage(ctx, rest, getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, rest, getenv, stdout, stderr)
	case "restore":
		return runRestore(ctx, rest, getenv, stdout, stderr)
	case "version":
		if len(rest) > 0 && isHelp(rest[0]) {
			fmt.Fprintln(stdout, "Usage: msphub version\n\nPrints the version of this binary.")
			return nil
		}
		fmt.Fprintln(stdout, "msphub", version)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q (run msphub --help)", cmd)
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// commandAction checks that a command's first argument names one of its actions. With no
// argument, or one asking for help, it prints the summary. done is true when the command should
// return err now: no action or an unknown one was named, or help was asked for (err nil).
func commandAction(command, summary string, args []string, stdout io.Writer, actions ...string) (done bool, err error) {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprintln(stdout, summary)
		if len(args) == 0 {
			return true, fmt.Errorf("%s needs %s", command, strings.Join(actions, " or "))
		}
		return true, nil
	}
	if !slices.Contains(actions, args[0]) {
		return true, fmt.Errorf("unknown %s action %q: use %s", command, args[0], strings.Join(actions, " or "))
	}
	return false, nil
}

// parseFlagsOrHelp parses a command's flags with parseCommand. done is true when the command
// should return err now: the flags were wrong, or help was asked for (err nil).
func parseFlagsOrHelp(fs *flag.FlagSet, summary string, args []string, getenv func(string) string, stdout io.Writer) (done bool, err error) {
	err = parseCommand(fs, summary, args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return true, nil
	}
	return err != nil, err
}

// commandSetup parses the flags of a command that logs with parseFlagsOrHelp, checks the
// log-level setting and makes the command's logger. done is true when the command should return
// err now: the flags or the log level were wrong, or help was asked for (err nil).
func commandSetup(fs *flag.FlagSet, cfg *config, summary string, args []string, getenv func(string) string, stdout, stderr io.Writer) (log *slog.Logger, done bool, err error) {
	if done, err := parseFlagsOrHelp(fs, summary, args, getenv, stdout); done {
		return nil, true, err
	}
	if _, err := parseLevel(cfg.LogLevel); err != nil {
		return nil, true, settingError("log-level", err)
	}
	return newLogger(stderr, cfg.LogLevel), false, nil
}

// parseCommand parses a command's flags; on --help it prints the usage and the flags with their
// environment variables and returns flag.ErrHelp, which the caller treats as success.
func parseCommand(fs *flag.FlagSet, summary string, args []string, getenv func(string) string, stdout io.Writer) error {
	err := parseFlags(fs, args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "%s\n\nFlags (each also read from its environment variable):\n", summary)
		fs.VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" {
				def = " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(stdout, "  --%s, %s\n      %s%s\n", f.Name, envName(f.Name), f.Usage, def)
		})
	}
	return err
}
