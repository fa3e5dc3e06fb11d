package main

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
)

// On a database with no user, serve prints a one-time link to create the first administrator,
// to the console and not to the log.
func TestServePrintsTheSetupLink(t *testing.T) {
	s := startServer(t, backendEnv(t))
	link := regexp.MustCompile(`http://localhost:8080/setup/[A-Za-z0-9_-]{43}`).FindString(s.out.String())
	if link == "" {
		t.Fatalf("no set-up link printed:\n%s", s.out.String())
	}
	if strings.Contains(s.logs.String(), strings.TrimPrefix(link, "http://localhost:8080")) {
		t.Error("the set-up link is in the log")
	}
	code, body := s.get(t, strings.TrimPrefix(link, "http://localhost:8080"))
	if code != 200 || !strings.Contains(body, "Set up MSP Hub") {
		t.Errorf("set-up page: %d", code)
	}
}

func TestAdminCommands(t *testing.T) {
	vars := backendEnv(t)
	vars["MSPHUB_PUBLIC_URL"] = "https://msphub.example.police.uk"
	admin := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"admin"}, args...), env(vars), strings.NewReader(stdin), &out, io.Discard)
		return out.String(), err
	}
	out, err := admin("", "create-user", "--email", "Jo.Bloggs@Kent.Police.UK", "--name", "Jo Bloggs", "--org", "kent-police",
		"--roles", "investigator,officer", "--vetting", "RV", "--vetting-expires", "2031-01-31")
	if err != nil {
		t.Fatalf("create-user: %v", err)
	}
	if !strings.Contains(out, "jo.bloggs@kent.police.uk") || !strings.Contains(out, "Kent Police") || !strings.Contains(out, "investigator,officer") ||
		!regexp.MustCompile(`https://msphub\.example\.police\.uk/set-password/\S+`).MatchString(out) {
		t.Errorf("create-user output:\n%s", out)
	}
	out, err = admin("umbrella kettle orbit lantern 47\n", "create-user", "--email", "ann.auditor@msp.police.uk", "--name", "Ann Auditor",
		"--roles", "auditor", "--password-stdin")
	if err != nil || strings.Contains(out, "set-password") {
		t.Fatalf("create-user with a password: %v\n%s", err, out)
	}
	out, err = admin("", "create-user", "--email", "cara.crown@cps.example.gov.uk", "--name", "Cara Crown", "--org", "cps-south-west",
		"--roles", "cps_liaison", "--vetting", "BPSS", "--vetting-expires", "2031-01-31", "--crown-prosecutor")
	if err != nil || !strings.Contains(out, "a Crown Prosecutor") {
		t.Errorf("create-user --crown-prosecutor: %v\n%s", err, out)
	}
	for _, bad := range [][]string{
		{"create-user", "--email", "x@y.police.uk", "--name", "X Y", "--org", "atlantis-police"},
		{"create-user", "--email", "pc@kent.police.uk", "--name", "P C", "--org", "kent-police", "--crown-prosecutor"},
		{"create-user", "--email", "not an email", "--name", "X Y"},
		{"create-user", "--email", "jo.bloggs@kent.police.uk", "--name", "Jo Again"},
		{"create-user", "--email", "z@y.police.uk", "--name", "Z", "--roles", "chief"},
		{"create-token", "--user", "nobody@y.police.uk", "--name", "ci"},
		{"create-token", "--user", "jo.bloggs@kent.police.uk", "--name", "ci", "--expires-in", "365"},
	} {
		if _, err := admin("", bad...); err == nil {
			t.Errorf("admin %v succeeded", bad)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("admin %v: error is not one line: %q", bad, err)
		}
	}
	if _, err := admin("", "create-user", "--email", "p@y.police.uk", "--name", "P", "--password-stdin"); err == nil {
		t.Error("--password-stdin with nothing on standard input succeeded")
	}
	out, err = admin("", "create-token", "--user", "jo.bloggs@kent.police.uk", "--name", "nightly export", "--scope", "read", "--expires-in", "7")
	if err != nil {
		t.Fatalf("create-token: %v", err)
	}
	token := strings.TrimSpace(out)
	if !regexp.MustCompile(`^msph_[A-Za-z0-9_-]{43}$`).MatchString(token) {
		t.Fatalf("create-token printed %q", out)
	}
	// The token works against a server on the same database, and everything was audited.
	s := startServer(t, vars)
	req, _ := httpRequest("GET", s.URL+"/api/v1/me", token)
	if req.StatusCode != 200 {
		t.Errorf("the token does not work: %d", req.StatusCode)
	}
	db, err := core.Open(context.Background(), dbConfigOf(t, vars))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var created, grants int64
	db.Gorm().Table("audit_events").Where("action IN ? AND details LIKE ?", []string{"user.create", "token.create"}, "%command line%").Count(&created)
	db.Gorm().Table("audit_events").Where("action = ? AND actor_id IS NULL", "role.grant").Count(&grants)
	if created != 4 || grants != 4 {
		t.Errorf("audited %d users and tokens created and %d roles granted from the command line, want 4 and 4", created, grants)
	}
}

// admin orgs lists the slugs create-user's --org takes, one aligned line each; create-user takes
// roles as pages show them, and its errors name the values it would take.
func TestAdminOrgsAndHelpfulErrors(t *testing.T) {
	vars := backendEnv(t)
	admin := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"admin"}, args...), env(vars), strings.NewReader(""), &out, io.Discard)
		return out.String(), err
	}
	out, err := admin("orgs")
	if err != nil {
		t.Fatalf("orgs: %v", err)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 2 || !regexp.MustCompile(`(?m)^kent-police +Kent Police +Police force$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^modern-slavery-and-organised-immigration-crime-unit +\S`).MatchString(out) {
		t.Errorf("orgs output:\n%s", out)
	}
	nameAt := -1
	for _, l := range lines {
		slug, rest, _ := strings.Cut(l, " ")
		at := len(l) - len(strings.TrimLeft(rest, " "))
		if slug == "" || (nameAt != -1 && at != nameAt) {
			t.Errorf("orgs: the names are not aligned:\n%s", out)
			break
		}
		nameAt = at
	}

	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--roles", "investigator,chief"}, []string{`"chief"`, "officer", "cps_liaison", "org_admin", "CPS liaison"}},
		{[]string{"--org", "atlantis-police"}, []string{`"atlantis-police"`, `msphub admin orgs`}},
		{[]string{"--org", "kent-polise"}, []string{`"kent-polise"`, `msphub admin orgs`, "did you mean kent-police?"}},
		{[]string{"--org", "kent"}, []string{"did you mean kent-police?", `msphub admin orgs`}},
		{[]string{"--vetting", "NPPV4"}, []string{`"NPPV4"`, "none, RV, MV, NPPV1, NPPV2A, NPPV2, NPPV3, BPSS, CTC, SC, DV"}},
	} {
		args := append([]string{"create-user", "--email", "x@y.police.uk", "--name", "X Y"}, c.args...)
		_, err := admin(args...)
		if err == nil {
			t.Errorf("admin %v succeeded", args)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("admin %v: error is not one line: %q", args, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("admin %v: error %q does not say %q", args, err, w)
			}
		}
	}

	out, err = admin("create-user", "--email", "cleo@kent.police.uk", "--name", "Cleo Liaison", "--org", "kent-police",
		"--roles", "CPS Liaison, investigator", "--vetting", "rv", "--vetting-expires", "2031-01-31")
	if err != nil {
		t.Fatalf("create-user with roles as pages show them: %v", err)
	}
	if !strings.Contains(out, "cps_liaison") || !strings.Contains(out, "investigator") {
		t.Errorf("create-user output:\n%s", out)
	}
}

func dbConfigOf(t *testing.T, vars map[string]string) core.DBConfig {
	if modelstest.Backend() == "postgres" {
		return core.DBConfig{URL: vars["MSPHUB_DATABASE_URL"]}
	}
	return core.DBConfig{Path: vars["MSPHUB_DATA_DIR"] + "/msphub.db"}
}
