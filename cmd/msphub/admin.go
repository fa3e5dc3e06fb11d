package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
)

const adminUsage = `Usage:
  msphub admin create-user [flags]   add a user with roles and vetting
  msphub admin create-token [flags]  create an API token for a user and print it once

For scripted set-ups by whoever runs MSP Hub: they hold the database and the master key already,
so these commands need no sign-in. Every step is recorded in the audit log as done from the
command line.`

// runAdmin runs the administrative commands.
func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprintln(stdout, adminUsage)
		if len(args) == 0 {
			return errors.New("admin needs create-user or create-token")
		}
		return nil
	}
	switch args[0] {
	case "create-user":
		return runCreateUser(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "create-token":
		return runCreateToken(ctx, args[1:], getenv, stdout, stderr)
	}
	return fmt.Errorf("unknown admin command %q: use create-user or create-token", args[0])
}

// adminServices opens what the admin commands work on: the migrated database, the master keys
// (to seal secrets) and the operations. The caller closes the database.
func adminServices(ctx context.Context, cfg *config, stderr io.Writer) (*models.Services, *core.DB, error) {
	log := newLogger(stderr, cfg.LogLevel)
	db, err := openDatabase(ctx, cfg, log, true)
	if err != nil {
		return nil, nil, err
	}
	keys, err := masterKeys(cfg, log)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	s, _, err := openServices(ctx, cfg, log, db, keys, nil)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return s, db, nil
}

func adminFlags(fs *flag.FlagSet, c *config) {
	databaseFlags(fs, c)
	fs.StringVar(&c.MasterKey, "master-key", "", "master key (as for serve); empty = key file in the data directory")
	fs.StringVar(&c.PublicURL, "public-url", "http://localhost:8080", "URL people use to reach MSP Hub, for the set-password link")
	smtpFlags(fs, c)
}

func runCreateUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var cfg config
	var email, name, org, roles, vetting, expires string
	var passwordStdin bool
	fs := flag.NewFlagSet("admin create-user", flag.ContinueOnError)
	adminFlags(fs, &cfg)
	fs.StringVar(&email, "email", "", "the user's email address (required)")
	fs.StringVar(&name, "name", "", "the user's full name (required)")
	fs.StringVar(&org, "org", identity.ProgrammeUnitSlug, "slug of the user's organisation, e.g. devon-and-cornwall-police")
	fs.StringVar(&roles, "roles", "", "comma-separated roles, e.g. investigator,supervisor")
	fs.StringVar(&vetting, "vetting", "none", "vetting level: none, RV, MV, NPPV1, NPPV2 or NPPV3")
	fs.StringVar(&expires, "vetting-expires", "", "vetting expiry date, YYYY-MM-DD")
	fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input; otherwise print a set-password link")
	summary := "Usage: msphub admin create-user --email ADDRESS --name NAME [flags]\n\nAdds a user. Without --password-stdin it prints a single-use set-password link valid for 24 hours."
	if done, err := parseFlagsOrHelp(fs, summary, args, getenv, stdout); done {
		return err
	}
	in := identity.UserInput{Email: email, Name: name, VettingLevel: core.Vetting(vetting)}
	for _, r := range strings.Split(roles, ",") {
		if r = strings.TrimSpace(r); r != "" {
			in.Roles = append(in.Roles, r)
		}
	}
	if expires != "" {
		d, err := time.Parse(time.DateOnly, expires)
		if err != nil {
			return errors.New("--vetting-expires: give the date as YYYY-MM-DD")
		}
		in.VettingExpiresOn = &d
	}
	password := ""
	if passwordStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		if password = strings.TrimRight(line, "\r\n"); password == "" {
			return errors.New("--password-stdin: standard input held no password")
		}
	}
	s, db, err := adminServices(ctx, &cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	o, err := s.Operator.OrganisationBySlug(ctx, org)
	if err != nil {
		return fmt.Errorf("--org: %s", core.ErrorMessage(err))
	}
	in.OrganisationID = o.ID
	u, link, err := s.Operator.CreateUser(ctx, in, password)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "created user %d: %s <%s> in %s, roles %s\n", u.ID, u.Name, u.Email, o.Name, strings.Join(u.Roles, ","))
	if link != "" {
		fmt.Fprintf(stdout, "set-password link (single use, valid for 24 hours):\n%s\n", link)
	} else if password == "" {
		fmt.Fprintf(stdout, "a set-password link will be emailed to %s by the running MSP Hub\n", u.Email)
	}
	return nil
}

func runCreateToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	var email, name, scope string
	var days int
	fs := flag.NewFlagSet("admin create-token", flag.ContinueOnError)
	adminFlags(fs, &cfg)
	fs.StringVar(&email, "user", "", "email address of the user the token acts as (required)")
	fs.StringVar(&name, "name", "", "what the token is for (required)")
	fs.StringVar(&scope, "scope", identity.ScopeRead, "read or read-write")
	fs.IntVar(&days, "expires-in", 30, "days until the token expires, 1 to 90")
	summary := "Usage: msphub admin create-token --user ADDRESS --name NAME [flags]\n\nCreates an API token and prints it once; only its hash is stored."
	if done, err := parseFlagsOrHelp(fs, summary, args, getenv, stdout); done {
		return err
	}
	s, db, err := adminServices(ctx, &cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	secret, tok, err := s.Operator.CreateToken(ctx, email, identity.NewToken{Name: name, Scope: scope, ExpiresIn: days})
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stderr, "created token %q (%s), expires %s; it is shown only this once:\n", tok.Name, tok.Scope, tok.ExpiresAt.Format(time.DateOnly))
	fmt.Fprintln(stdout, secret)
	return nil
}

// describe turns an operation's error into one line for the console.
func describe(err error) error {
	var me *core.Error
	if errors.As(err, &me) && me.Code != core.EINTERNAL {
		if me.Field != "" {
			return fmt.Errorf("%s: %s", me.Field, me.Message)
		}
		return errors.New(me.Message)
	}
	return err
}
