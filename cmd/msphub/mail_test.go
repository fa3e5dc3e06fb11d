package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/mailtest"
)

// Each mistake in the mail settings stops start-up with one line naming the setting, and never
// echoes the relay's password.
func TestSMTPSettingsNameTheSetting(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := map[string]string{"MSPHUB_SMTP_ADDR": "smtp.force.police.uk:587", "MSPHUB_SMTP_FROM": "MSP Hub <msphub@force.police.uk>",
		"MSPHUB_SMTP_USERNAME": "msphub", "MSPHUB_SMTP_PASSWORD": "relay-password-1"}
	with := func(change map[string]string) map[string]string {
		vars := map[string]string{"MSPHUB_DATA_DIR": t.TempDir(), "MSPHUB_ADDR": "127.0.0.1:0"}
		for k, v := range good {
			vars[k] = v
		}
		for k, v := range change {
			if v == "-" {
				delete(vars, k)
			} else {
				vars[k] = v
			}
		}
		return vars
	}
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"address with a scheme", with(map[string]string{"MSPHUB_SMTP_ADDR": "smtp://smtp.force.police.uk:587"}), "MSPHUB_SMTP_ADDR (--smtp-addr): give host:port without a scheme"},
		{"address without a port", with(map[string]string{"MSPHUB_SMTP_ADDR": "smtp.force.police.uk"}), "MSPHUB_SMTP_ADDR (--smtp-addr): must be host:port"},
		{"from without the address", with(map[string]string{"MSPHUB_SMTP_ADDR": "-"}), "MSPHUB_SMTP_ADDR (--smtp-addr): is empty, so email is off"},
		{"no from", with(map[string]string{"MSPHUB_SMTP_FROM": "-"}), "MSPHUB_SMTP_FROM (--smtp-from): is required"},
		{"from that is not an address", with(map[string]string{"MSPHUB_SMTP_FROM": "MSP Hub"}), "MSPHUB_SMTP_FROM (--smtp-from): must be an email address"},
		{"unknown TLS mode", with(map[string]string{"MSPHUB_SMTP_TLS": "ssl"}), "MSPHUB_SMTP_TLS (--smtp-tls): must be starttls, tls or none"},
		{"no TLS to another machine", with(map[string]string{"MSPHUB_SMTP_TLS": "none"}), "MSPHUB_SMTP_TLS (--smtp-tls): none is only for a relay on this machine"},
		{"password without a user", with(map[string]string{"MSPHUB_SMTP_USERNAME": "-"}), "MSPHUB_SMTP_USERNAME (--smtp-username): is required when MSPHUB_SMTP_PASSWORD is set"},
		{"user without a password", with(map[string]string{"MSPHUB_SMTP_PASSWORD": "-"}), "MSPHUB_SMTP_PASSWORD (--smtp-password): is required when MSPHUB_SMTP_USERNAME is set"},
		{"missing CA file", with(map[string]string{"MSPHUB_SMTP_CA_FILE": filepath.Join(dir, "missing.pem")}), "MSPHUB_SMTP_CA_FILE (--smtp-ca-file):"},
		{"CA file without a certificate", with(map[string]string{"MSPHUB_SMTP_CA_FILE": notPEM}), "MSPHUB_SMTP_CA_FILE (--smtp-ca-file): " + notPEM + " holds no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := run(ctx, []string{"serve"}, env(tc.vars), strings.NewReader(""), io.Discard, io.Discard)
			if err == nil {
				t.Fatal("serve started with bad mail settings")
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") || strings.Contains(msg, "relay-password-1") {
				t.Errorf("error %q, want one line containing %q and no password", msg, tc.want)
			}
		})
	}
	// none is fine for a relay on loopback.
	c := config{SMTPAddr: "127.0.0.1:25", SMTPFrom: "msphub@force.police.uk", SMTPTLS: "none"}
	if s, err := c.smtp(); err != nil || s == nil {
		t.Errorf("plain SMTP on loopback: %v", err)
	}
}

// With the mail settings in its environment, `msphub admin create-user` emails the new person
// their set-password link instead of printing it; the relay is trusted through
// MSPHUB_SMTP_CA_FILE over implicit TLS, and the link works against a running server.
func TestAdminCreateUserEmailsTheLink(t *testing.T) {
	relay := mailtest.Start(t, mailtest.ImplicitTLS)
	ca := filepath.Join(t.TempDir(), "relay-ca.pem")
	if err := os.WriteFile(ca, relay.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	vars := backendEnv(t)
	vars["MSPHUB_PUBLIC_URL"] = "https://msphub.example.police.uk"
	vars["MSPHUB_SMTP_ADDR"] = relay.Addr
	vars["MSPHUB_SMTP_FROM"] = mailtest.From
	vars["MSPHUB_SMTP_USERNAME"] = mailtest.Username
	vars["MSPHUB_SMTP_PASSWORD"] = mailtest.Password
	vars["MSPHUB_SMTP_TLS"] = "tls"
	vars["MSPHUB_SMTP_CA_FILE"] = ca
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"admin", "create-user", "--email", "jo.bloggs@kent.police.uk", "--name", "Jo Bloggs", "--org", "kent-police",
		"--roles", "officer", "--vetting", "RV", "--vetting-expires", "2031-01-31"}, env(vars), strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatalf("create-user: %v", err)
	}
	if strings.Contains(out.String(), "/set-password/") || !strings.Contains(out.String(), "will be emailed to jo.bloggs@kent.police.uk") {
		t.Errorf("create-user output:\n%s", out.String())
	}

	// What the jobs runner does: deliver the outbox, with the services built from the same settings.
	var cfg config
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	adminFlags(fs, &cfg)
	if err := parseFlags(fs, nil, env(vars)); err != nil {
		t.Fatal(err)
	}
	s, db, err := adminServices(ctx, &cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if s.Mail == nil {
		t.Fatal("no Mail service with the SMTP settings")
	}
	if summary, err := s.Mail.DeliverOutbox(ctx); err != nil || summary != "1 sent" {
		t.Fatalf("deliver: %q %v", summary, err)
	}
	msgs := relay.Received()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].To[0] != "jo.bloggs@kent.police.uk" {
		t.Fatalf("received %+v", msgs)
	}
	p, err := msgs[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`https://msphub\.example\.police\.uk(/set-password/[A-Za-z0-9_-]{43})`).FindStringSubmatch(p.Text)
	if m == nil {
		t.Fatalf("no link in the email:\n%s", p.Text)
	}
	srv := startServer(t, vars)
	if code, body := srv.get(t, m[1]); code != 200 || !strings.Contains(body, "Jo Bloggs") {
		t.Errorf("the emailed link on the server: %d", code)
	}
	if strings.Contains(srv.logs.String(), mailtest.Password) {
		t.Error("the relay password is in the log")
	}
}
