package main

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"

	"github.com/msptp/msphub/models/core"
)

// smtpFlags are the settings of the mail relay, which serve and the admin commands share.
func smtpFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.SMTPAddr, "smtp-addr", "", "mail relay (host:port) for email notifications and set-password links; empty = no email")
	fs.StringVar(&c.SMTPFrom, "smtp-from", "", "From address of MSP Hub's email, e.g. MSP Hub <msphub@force.police.uk>")
	fs.StringVar(&c.SMTPUsername, "smtp-username", "", "user name for SMTP AUTH PLAIN; empty = no authentication")
	fs.StringVar(&c.SMTPPassword, "smtp-password", "", "password for SMTP AUTH PLAIN")
	fs.StringVar(&c.SMTPTLS, "smtp-tls", core.SMTPStartTLS, "starttls (upgrade, required), tls (TLS from the start, usually port 465) or none (only for a relay on loopback)")
	fs.StringVar(&c.SMTPCAFile, "smtp-ca-file", "", "PEM file of CA certificates to trust for the relay, besides the system's")
}

// smtp builds the mail relay's configuration, or nil when no relay is set. Errors name the
// setting at fault.
func (c *config) smtp() (*core.SMTPConfig, error) {
	if c.SMTPAddr == "" {
		for name, v := range map[string]string{"smtp-from": c.SMTPFrom, "smtp-username": c.SMTPUsername, "smtp-password": c.SMTPPassword, "smtp-ca-file": c.SMTPCAFile} {
			if v != "" {
				return nil, settingError("smtp-addr", fmt.Errorf("is empty, so email is off, but %s is set: give the relay's host:port", envName(name)))
			}
		}
		return nil, nil
	}
	if strings.Contains(c.SMTPAddr, "://") {
		return nil, settingError("smtp-addr", errors.New("give host:port without a scheme, for example smtp.force.police.uk:587"))
	}
	host, port, err := net.SplitHostPort(c.SMTPAddr)
	if p, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
		return nil, settingError("smtp-addr", errors.New("must be host:port, for example smtp.force.police.uk:587"))
	}
	out := &core.SMTPConfig{Addr: c.SMTPAddr, From: c.SMTPFrom, Username: c.SMTPUsername, Password: c.SMTPPassword, TLS: c.SMTPTLS}
	switch c.SMTPTLS {
	case core.SMTPStartTLS, core.SMTPImplicitTLS:
	case core.SMTPNoTLS:
		if !loopback(host) {
			return nil, settingError("smtp-tls", fmt.Errorf("none is only for a relay on this machine (localhost, 127.0.0.1 or ::1), not %s: use starttls or tls", host))
		}
	default:
		return nil, settingError("smtp-tls", errors.New("must be starttls, tls or none"))
	}
	if c.SMTPFrom == "" {
		return nil, settingError("smtp-from", errors.New("is required when MSPHUB_SMTP_ADDR is set, e.g. MSP Hub <msphub@force.police.uk>"))
	}
	if a, err := mail.ParseAddress(c.SMTPFrom); err != nil || !strings.Contains(a.Address, "@") {
		return nil, settingError("smtp-from", errors.New("must be an email address, optionally with a name: MSP Hub <msphub@force.police.uk>"))
	}
	if (c.SMTPUsername == "") != (c.SMTPPassword == "") {
		if c.SMTPUsername == "" {
			return nil, settingError("smtp-username", errors.New("is required when MSPHUB_SMTP_PASSWORD is set"))
		}
		return nil, settingError("smtp-password", errors.New("is required when MSPHUB_SMTP_USERNAME is set"))
	}
	if c.SMTPCAFile != "" {
		pem, err := os.ReadFile(c.SMTPCAFile)
		if err != nil {
			return nil, settingError("smtp-ca-file", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, settingError("smtp-ca-file", fmt.Errorf("%s holds no PEM certificate", c.SMTPCAFile))
		}
		out.RootCAs = pool
	}
	return out, nil
}

// loopback reports whether host is this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
