//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ownPostgres implements `testenv postgres DIR`: one cluster in the
// foreground for a test that restarts its database (the shared one cannot
// be restarted: other tests use it). Its commits are durable, so that one
// acknowledged before the server is killed is there when it comes back.
func ownPostgres(ctx context.Context, dir string, stdout, stderr io.Writer) error {
	bin, err := findPostgresBin()
	if err != nil {
		return err
	}
	owner, err := postgresOwner()
	if err != nil {
		return err
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, stopSignals()...)
	defer signal.Stop(sigs)
	prepareProcessControl(stderr)
	// Backends orphaned by a killed postmaster are ours as subreaper.
	defer killOrphans(15*time.Second, stderr)

	startCtx, cancel := signal.NotifyContext(ctx, stopSignals()...)
	pg, err := openCluster(startCtx, bin, owner, dir)
	cancel()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, pg.url())
	select {
	case <-sigs:
	case <-ctx.Done():
	case <-pg.proc.done:
		_ = syscall.Kill(-pg.proc.pid(), syscall.SIGKILL) // the backends it left
		return fmt.Errorf("PostgreSQL exited by itself (%v)", pg.proc.cmd.ProcessState)
	}
	pg.stop(stderr)
	return nil
}

// openCluster starts the cluster in dir, creating it on a free port the
// first time and keeping its URL in dir/url, so that a later start reuses
// the port and password and the URL a test holds stays good.
func openCluster(ctx context.Context, bin string, owner *syscall.Credential, dir string) (*postgresServer, error) {
	urlFile := filepath.Join(dir, "url")
	saved, err := os.ReadFile(urlFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if owner != nil && !traversableByOthers(filepath.Dir(dir)) {
			return nil, fmt.Errorf("PostgreSQL runs as the postgres user, which cannot enter %s: make its directories searchable by others", filepath.Dir(dir))
		}
		pg, err := startPostgres(ctx, bin, owner, dir, true)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(urlFile, []byte(pg.url()+"\n"), 0o600); err != nil {
			pg.stop(io.Discard)
			return nil, fmt.Errorf("PostgreSQL: keep its URL: %w", err)
		}
		return pg, nil
	case err != nil:
		return nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	u, err := url.Parse(strings.TrimSpace(string(saved)))
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: %s: %w", urlFile, err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: %s: no port", urlFile)
	}
	password, _ := u.User.Password()
	pg := &postgresServer{bin: bin, password: password, durable: true}
	if err := pg.startServer(ctx, owner, dir, port); err != nil {
		return nil, err
	}
	return pg, nil
}
