//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pgSuperuser is the role initdb creates; tests log in as it and create and
// drop their own databases.
const pgSuperuser = "msphub"

// postgresServer is a running throwaway PostgreSQL cluster.
type postgresServer struct {
	proc     *process
	bin      string
	port     int
	password string
	// durable keeps every commit written out before it is acknowledged, so that one survives
	// the server being killed (not the machine crashing: fsync stays off).
	durable bool
}

// findPostgresBin returns MSPHUB_PG_BIN, or else the bin directory of the
// newest PostgreSQL major version installed by Debian's packages.
func findPostgresBin() (string, error) {
	if dir := os.Getenv("MSPHUB_PG_BIN"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err != nil {
			return "", fmt.Errorf("MSPHUB_PG_BIN: %w", err)
		}
		return dir, nil
	}
	servers, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(servers) == 0 {
		return "", errors.New("no PostgreSQL server in /usr/lib/postgresql/*/bin: run .ci/deps.sh (or set MSPHUB_PG_BIN)")
	}
	slices.SortFunc(servers, func(a, b string) int {
		return compareVersions(pgVersionOf(a), pgVersionOf(b))
	})
	return filepath.Dir(servers[len(servers)-1]), nil
}

// pgVersionOf extracts "15" from /usr/lib/postgresql/15/bin/postgres.
func pgVersionOf(server string) string {
	return filepath.Base(filepath.Dir(filepath.Dir(server)))
}

// compareVersions orders dotted numeric versions numerically, so that 10
// sorts after 9.6 (a plain string sort gets that wrong).
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// postgresOwner returns the identity initdb and postgres must run as, or
// nil to run them as ourselves. Both refuse to run as root, so as root they
// run as the postgres user that Debian's package creates.
func postgresOwner() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL must run as the postgres user: %w (run .ci/deps.sh)", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres user: bad uid %q", u.Uid)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres user: bad gid %q", u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// startPostgres creates a cluster in dir and starts it on a free port.
//
// As root, initdb and postgres run as the postgres user through
// SysProcAttr.Credential rather than runuser: runuser would sit between
// testenv and the server and turn our SIGINT (fast shutdown) into SIGTERM
// (smart shutdown, which waits for clients) followed by SIGKILL after 2 s.
func startPostgres(ctx context.Context, bin string, owner *syscall.Credential, dir string, durable bool) (*postgresServer, error) {
	pg := &postgresServer{bin: bin, password: rand.Text(), durable: durable}
	if err := pg.initCluster(ctx, owner, dir); err != nil {
		return nil, err
	}
	err := retryOnTakenPort(func() error {
		port, err := freePort()
		if err != nil {
			return fmt.Errorf("PostgreSQL: %w", err)
		}
		return pg.startServer(ctx, owner, dir, port)
	})
	if err != nil {
		return nil, err
	}
	return pg, nil
}

// initCluster runs initdb with the superuser's password in a file that only
// the cluster's owner can read, removed right after.
func (pg *postgresServer) initCluster(ctx context.Context, owner *syscall.Credential, dir string) error {
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	if err := os.WriteFile(pwfile, []byte(pg.password+"\n"), 0o600); err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	defer os.Remove(pwfile)
	if err := chownAll(owner, dir, pwfile); err != nil {
		return fmt.Errorf("PostgreSQL: give files to the postgres user: %w", err)
	}

	cmd := exec.CommandContext(ctx, filepath.Join(pg.bin, "initdb"),
		"-D", filepath.Join(dir, "data"),
		"-U", pgSuperuser, "--pwfile", pwfile,
		"--auth=scram-sha-256",
		"-E", "UTF8", "--no-locale",
		"--no-sync", // throwaway data: skip the fsync of every file
		"--no-instructions")
	pg.configure(cmd, owner, dir)
	// initdb runs postgres in bootstrap mode as a child; on cancel, kill both.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return fmt.Errorf("PostgreSQL: initdb: %w", context.Cause(ctx))
	}
	if err != nil {
		return fmt.Errorf("PostgreSQL: initdb: %v\n%s", err, out)
	}
	return nil
}

// startServer starts postgres on port and waits until it accepts
// connections. Settings trade durability for speed, the data being thrown
// away anyway, but for a durable server's commits. It listens on TCP only: a Unix socket path is limited
// to 107 bytes, which a socket inside a deep TMPDIR (such as a Go test's
// t.TempDir()) exceeds, and the default socket directory is shared with
// the machine's own PostgreSQL; everything uses the TCP URL anyway.
func (pg *postgresServer) startServer(ctx context.Context, owner *syscall.Credential, dir string, port int) error {
	commit := "off"
	if pg.durable {
		commit = "on"
	}
	cmd := exec.Command(filepath.Join(pg.bin, "postgres"),
		"-D", filepath.Join(dir, "data"),
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=",
		"-c", "fsync=off",
		"-c", "synchronous_commit="+commit,
		"-c", "full_page_writes=off",
		"-c", "max_connections=300")
	pg.configure(cmd, owner, dir)
	// If testenv dies without cleaning up, SIGQUIT (immediate shutdown) makes
	// the postmaster take all its backends down with it.
	proc, err := startReady(ctx, "PostgreSQL", cmd, filepath.Join(dir, "postgres.log"), syscall.SIGQUIT, false, pg.readyCheck(port))
	if err != nil {
		return err
	}
	pg.proc, pg.port = proc, port
	return nil
}

// configure sets what initdb and postgres have in common: who they run as,
// a working directory the postgres user can enter (they complain about an
// unreadable one such as /root), and an environment without PG* variables.
func (pg *postgresServer) configure(cmd *exec.Cmd, owner *syscall.Credential, dir string) {
	cmd.Dir = dir
	cmd.Env = childEnv("PG")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: owner}
}

// readyCheck returns a probe that succeeds once the server accepts
// connections. pg_isready tells "starting up" from "ready", which merely
// connecting to the port cannot.
func (pg *postgresServer) readyCheck(port int) func(context.Context) error {
	return func(ctx context.Context) error {
		cmd := exec.CommandContext(ctx, filepath.Join(pg.bin, "pg_isready"), "-q",
			"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", pgSuperuser, "-d", "postgres", "-t", "2")
		cmd.Env = childEnv("PG")
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("pg_isready: %w", err)
		}
		return nil
	}
}

// stop asks for a fast shutdown (SIGINT: disconnect clients, checkpoint,
// exit), which takes well under a second with fsync off.
func (pg *postgresServer) stop(stderr io.Writer) {
	pg.proc.stop(syscall.SIGINT, false, 20*time.Second, stderr)
}

// url is where tests reach the server, as its superuser.
func (pg *postgresServer) url() string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(pgSuperuser, pg.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(pg.port)),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// vars describes the server to tests.
func (pg *postgresServer) vars() []string {
	return []string{
		"MSPHUB_TEST_POSTGRES_URL=" + pg.url(),
		"MSPHUB_TEST_POSTGRES_BIN=" + pg.bin,
	}
}

// chownAll gives paths to owner; nil owner means "leave them as they are".
func chownAll(owner *syscall.Credential, paths ...string) error {
	if owner == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(owner.Uid), int(owner.Gid)); err != nil {
			return err
		}
	}
	return nil
}
