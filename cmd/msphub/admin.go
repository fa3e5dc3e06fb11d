package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/policies"
)

const adminUsage = `Usage:
  msphub admin create-user [flags]   add a user with roles and vetting
  msphub admin create-token [flags]  create an API token for a user and print it once
  msphub admin orgs [flags]          list the organisations: the slugs create-user --org takes

For scripted set-ups by whoever runs MSP Hub: they hold the database and the master key already,
so these commands need no sign-in. Every step is recorded in the audit log as done from the
command line.`

// runAdmin runs the administrative commands.
func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprintln(stdout, adminUsage)
		if len(args) == 0 {
			return errors.New("admin needs create-user, create-token or orgs")
		}
		return nil
	}
	switch args[0] {
	case "create-user":
		return runCreateUser(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "create-token":
		return runCreateToken(ctx, args[1:], getenv, stdout, stderr)
	case "orgs":
		return runOrgs(ctx, args[1:], getenv, stdout, stderr)
	}
	return fmt.Errorf("unknown admin command %q: use create-user, create-token or orgs", args[0])
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
	s, _, err := openServices(ctx, cfg, log, db, keys, nil, nil)
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
	var passwordStdin, prosecutor bool
	fs := flag.NewFlagSet("admin create-user", flag.ContinueOnError)
	adminFlags(fs, &cfg)
	fs.StringVar(&email, "email", "", "the user's email address (required)")
	fs.StringVar(&name, "name", "", "the user's full name (required)")
	fs.StringVar(&org, "org", identity.ProgrammeUnitSlug, "slug of the user's organisation, e.g. devon-and-cornwall-police")
	fs.StringVar(&roles, "roles", "", `comma-separated roles, by name or as pages show them, e.g. "investigator,CPS liaison"`)
	fs.StringVar(&vetting, "vetting", "none", "vetting level: none, RV, MV, NPPV1, NPPV2A (abbreviated), NPPV2, NPPV3, BPSS, CTC, SC or DV")
	fs.StringVar(&expires, "vetting-expires", "", "vetting expiry date, YYYY-MM-DD")
	fs.BoolVar(&prosecutor, "crown-prosecutor", false, "a person of a CPS organisation who may make charging decisions")
	fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input; otherwise print a set-password link")
	summary := "Usage: msphub admin create-user --email ADDRESS --name NAME [flags]\n\nAdds a user. Without --password-stdin it prints a single-use set-password link valid for 24 hours."
	if done, err := parseFlagsOrHelp(fs, summary, args, getenv, stdout); done {
		return err
	}
	in := identity.UserInput{Email: email, Name: name, CrownProsecutor: &prosecutor}
	var err error
	if in.VettingLevel, err = parseVetting(vetting); err != nil {
		return err
	}
	if in.Roles, err = parseRoles(roles); err != nil {
		return err
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
	if core.ErrorCode(err) == core.ENOTFOUND {
		return unknownOrg(ctx, s.Operator, org)
	} else if err != nil {
		return fmt.Errorf("--org: %s", core.ErrorMessage(err))
	}
	in.OrganisationID = o.ID
	u, link, err := s.Operator.CreateUser(ctx, in, password)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "created user %d: %s <%s> in %s, roles %s\n", u.ID, u.Name, u.Email, o.Name, strings.Join(u.Roles, ","))
	if u.CrownProsecutor {
		fmt.Fprintln(stdout, "a Crown Prosecutor: may make charging decisions")
	}
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

// parseRoles reads the comma-separated --roles list; each role by its name or its label.
func parseRoles(list string) ([]string, error) {
	var out []string
	for _, r := range strings.Split(list, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		name, ok := core.ParseRole(r)
		if !ok {
			return nil, fmt.Errorf("--roles: no role is called %q; the roles are %s (or as pages show them, e.g. \"CPS liaison\")",
				r, strings.Join(policies.Roles(), ", "))
		}
		out = append(out, name)
	}
	return out, nil
}

// parseVetting reads --vetting, in any case.
func parseVetting(s string) (core.Vetting, error) {
	var levels []string
	for _, v := range core.VettingLevels() {
		if strings.EqualFold(s, string(v)) {
			return v, nil
		}
		levels = append(levels, string(v))
	}
	return "", fmt.Errorf("--vetting: no vetting level is called %q; the levels are %s", s, strings.Join(levels, ", "))
}

// unknownOrg is the error for an --org slug that names no organisation: it points to `admin
// orgs`, and names the slugs that look like the one given, or all of them if there are few.
func unknownOrg(ctx context.Context, op *identity.Operator, slug string) error {
	msg := fmt.Sprintf("--org: no organisation has the slug %q", slug)
	const list = `run "msphub admin orgs" to list them`
	orgs, err := op.Organisations(ctx)
	if err != nil {
		return fmt.Errorf("%s; %s", msg, list)
	}
	var near, all []string
	for _, o := range orgs {
		all = append(all, o.Slug)
		if nearSlug(strings.ToLower(strings.TrimSpace(slug)), o.Slug) {
			near = append(near, o.Slug)
		}
	}
	switch {
	case len(near) > 0 && len(near) <= 5:
		return fmt.Errorf("%s; did you mean %s? (%s)", msg, strings.Join(near, " or "), list)
	case len(all) > 0 && len(all) <= 8:
		return fmt.Errorf("%s; the slugs are %s (%s)", msg, strings.Join(all, ", "), list)
	}
	return fmt.Errorf("%s; %s", msg, list)
}

// nearSlug says whether slug looks like a mistyping or a part of the real slug s: one holds the
// other, or they are a few edits apart.
func nearSlug(slug, s string) bool {
	if slug == "" {
		return false
	}
	if len(slug) >= 3 && (strings.Contains(s, slug) || strings.Contains(slug, s)) {
		return true
	}
	return editDistance(slug, s) <= max(1, len(s)/5)
}

// editDistance is the Levenshtein distance between a and b, in bytes (slugs are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func runOrgs(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("admin orgs", flag.ContinueOnError)
	adminFlags(fs, &cfg)
	summary := "Usage: msphub admin orgs [flags]\n\nLists the organisations, one a line: the slug (what create-user --org takes), the name and the kind."
	if done, err := parseFlagsOrHelp(fs, summary, args, getenv, stdout); done {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("admin orgs takes no arguments, not %q", fs.Arg(0))
	}
	s, db, err := adminServices(ctx, &cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	orgs, err := s.Operator.Organisations(ctx)
	if err != nil {
		return describe(err)
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, o := range orgs {
		kind := o.Kind.Label()
		if !o.Active {
			kind += " (deactivated)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", o.Slug, o.Name, kind)
	}
	return w.Flush()
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
