//go:build linux

// Command testenv gives the test suites a throwaway PostgreSQL and MinIO.
//
// `testenv exec -- CMD ARGS...` starts both servers on free loopback ports in
// a fresh temporary directory, runs CMD with MSPHUB_TEST_* variables pointing
// at them, then stops both servers and removes the directory, whatever way
// CMD ends: success, failure, or a SIGINT/SIGTERM sent to testenv. It exits
// with CMD's status, so `make test` can wrap `go test` in it transparently.
//
// `testenv up` does the same for a human at a terminal: it prints the
// variables as `export` lines and keeps the servers running until Ctrl-C.
//
// `testenv postgres DIR` runs one PostgreSQL cluster of a test's own, which
// the test may stop and start again on the same data.
//
// testenv installs nothing; .ci/deps.sh does that. It is Linux-only because
// it relies on Linux process controls (parent-death signals, subreapers).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

const usage = `Usage:
  testenv exec [--] CMD [ARGS...]
      Start a throwaway PostgreSQL and MinIO on free loopback ports, run CMD
      with the variables below added to its environment, then stop both and
      remove their files. Exits with CMD's exit status (128+N if CMD died of
      signal N). SIGINT/SIGTERM/SIGHUP are forwarded to CMD; cleanup follows.
  testenv up
      Start both, print "export ..." lines for running tests by hand, and keep
      them running until Ctrl-C (or SIGTERM), then stop and clean up.
  testenv postgres DIR
      Run a PostgreSQL cluster kept in DIR in the foreground, for a test that
      stops and starts its database: print its URL (as MSPHUB_TEST_POSTGRES_URL
      below) once it accepts connections, and shut it down fast on SIGINT or
      SIGTERM. The first start creates DIR (whose parent the postgres user must
      be able to enter when testenv runs as root) and the cluster on a free
      port; a later start reuses the data, port and password. If the server
      dies on its own, testenv kills what is left of it and exits with 1.
  testenv help
      Print this help.

Variables given to CMD (and printed by "up"):
  MSPHUB_TEST_POSTGRES_URL   postgres://msphub:PASSWORD@127.0.0.1:PORT/postgres?sslmode=disable
                             (msphub is a superuser; tests create their own databases)
  MSPHUB_TEST_POSTGRES_BIN   PostgreSQL bin directory (initdb, postgres, pg_ctl, ...)
  MSPHUB_TEST_S3_ENDPOINT    127.0.0.1:PORT of MinIO (plain HTTP)
  MSPHUB_TEST_S3_ACCESS_KEY  MinIO root user
  MSPHUB_TEST_S3_SECRET_KEY  MinIO root password
  MSPHUB_TEST_MINIO_BIN      path of the minio binary
  MSPHUB_TEST_S3B_ENDPOINT   127.0.0.1:PORT of a second S3 server (gofakes3, served by
                             testenv itself, objects in memory, signatures not checked)
  MSPHUB_TEST_S3B_ACCESS_KEY, MSPHUB_TEST_S3B_SECRET_KEY  its credentials
  MSPHUB_TEST_S3B_SERVER     which implementation it is
  MSPHUB_TESTENV             testenv's own absolute path (for "testenv postgres")

Configuration:
  MSPHUB_PG_BIN     PostgreSQL bin directory (default: newest /usr/lib/postgresql/*/bin)
  MSPHUB_MINIO_BIN  minio binary (default: $MSPHUB_CACHE/bin/minio)
  MSPHUB_CACHE      cache directory (default: ${XDG_CACHE_HOME:-$HOME/.cache}/msphub)
  TMPDIR            where the temporary directory is created

Missing PostgreSQL or MinIO? Run .ci/deps.sh.
`

// stopSignals are the signals that mean "stop": they are forwarded to CMD
// and then trigger cleanup instead of killing testenv outright.
func stopSignals() []os.Signal {
	return []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}
}

// errUsage reports a command line that could not be understood; the usage
// text has already been printed.
var errUsage = errors.New("usage error")

// exitError carries a specific exit status out of run, so that testenv
// exits with CMD's own status rather than a generic failure.
type exitError struct {
	code int
	msg  string // printed to stderr when not empty
}

func (e *exitError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return fmt.Sprintf("exit status %d", e.code)
}

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode turns run's result into a process exit status, printing the
// error when there is something to say.
func exitCode(err error, stderr io.Writer) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintf(stderr, "testenv: %s\n", ee.msg)
		}
		return ee.code
	default:
		fmt.Fprintf(stderr, "testenv: %v\n", err)
		return 1
	}
}

// run parses the command line and dispatches to a subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	case "exec":
		argv := args[1:]
		if len(argv) > 0 && argv[0] == "--" {
			argv = argv[1:]
		}
		if len(argv) == 0 {
			fmt.Fprint(stderr, "testenv exec: no command given\n\n"+usage)
			return errUsage
		}
		return execCommand(ctx, argv, stdout, stderr)
	case "up":
		if len(args) > 1 {
			fmt.Fprint(stderr, "testenv up: takes no arguments\n\n"+usage)
			return errUsage
		}
		return up(ctx, stdout, stderr)
	case "postgres":
		if len(args) != 2 {
			fmt.Fprint(stderr, "testenv postgres: takes one directory\n\n"+usage)
			return errUsage
		}
		return ownPostgres(ctx, args[1], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "testenv: unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}

// execCommand implements `testenv exec`: it runs argv inside a fresh
// environment and always tears the environment down afterwards.
func execCommand(ctx context.Context, argv []string, stdout, stderr io.Writer) (err error) {
	env, sigs, release, err := startCatchingSignals(ctx, stderr)
	defer release()
	if err != nil {
		return err
	}
	defer func() { err = finish(env, err, stderr) }()

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env.vars()...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	if err := cmd.Start(); err != nil {
		code := 126
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			code = 127
		}
		return &exitError{code: code, msg: err.Error()}
	}
	state := waitForwardingSignals(ctx, cmd, sigs)
	if code := statusCode(state); code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// up implements `testenv up`: start, print the variables, wait for a stop
// signal, clean up.
func up(ctx context.Context, stdout, stderr io.Writer) (err error) {
	env, sigs, release, err := startCatchingSignals(ctx, stderr)
	defer release()
	if err != nil {
		return err
	}
	defer func() { err = finish(env, err, stderr) }()

	fmt.Fprintln(stdout, "# MSP Hub test services are up. In another shell, run:")
	for _, kv := range env.vars() {
		fmt.Fprintf(stdout, "export %s\n", shellQuoteAssignment(kv))
	}
	fmt.Fprintf(stdout, "# Press Ctrl-C to stop them and remove %s\n", env.dir)
	select {
	case <-sigs:
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "testenv: stopping")
	return nil
}

// startCatchingSignals starts the environment with the stop signals caught
// for the whole run (on sigs), so that from here on a stop signal is never
// fatal to testenv itself: it is forwarded or ends the wait, then we clean
// up. The caller defers release, whatever err, and finishes env.
func startCatchingSignals(ctx context.Context, stderr io.Writer) (env *testEnv, sigs chan os.Signal, release func(), err error) {
	sigs = make(chan os.Signal, 8)
	signal.Notify(sigs, stopSignals()...)
	release = func() { signal.Stop(sigs) }
	prepareProcessControl(stderr)
	env, err = startUnlessInterrupted(ctx, sigs, stderr)
	return env, sigs, release, err
}

// startUnlessInterrupted starts the environment but gives up as soon as a
// stop signal arrives, so Ctrl-C during a slow start does not have to wait
// for the servers' readiness timeouts.
func startUnlessInterrupted(ctx context.Context, sigs <-chan os.Signal, stderr io.Writer) (*testEnv, error) {
	startCtx, cancel := signal.NotifyContext(ctx, stopSignals()...)
	defer cancel()
	env, err := startEnv(startCtx, stderr)
	if err == nil {
		return env, nil
	}
	select {
	case s := <-sigs:
		return nil, &exitError{code: signalCode(s), msg: fmt.Sprintf("interrupted while starting (signal: %v); cleaned up", s)}
	default:
		return nil, err
	}
}

// finish stops the environment and folds cleanup failures into the result:
// a cleanup failure turns success into failure, but never hides CMD's own
// non-zero status.
func finish(env *testEnv, runErr error, stderr io.Writer) error {
	stopErr := env.stop(stderr)
	if stopErr == nil {
		return runErr
	}
	if runErr == nil {
		return fmt.Errorf("cleanup: %w", stopErr)
	}
	fmt.Fprintf(stderr, "testenv: cleanup: %v\n", stopErr)
	return runErr
}

// waitForwardingSignals waits for cmd to exit, passing each stop signal on
// to it. Children such as `go test` decide themselves how to stop; a third
// signal means the user has run out of patience, and CMD is killed.
func waitForwardingSignals(ctx context.Context, cmd *exec.Cmd, sigs <-chan os.Signal) *os.ProcessState {
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the status is read from cmd.ProcessState
		close(done)
	}()
	ctxDone := ctx.Done()
	for received := 0; ; {
		select {
		case <-done:
			return cmd.ProcessState
		case <-ctxDone:
			ctxDone = nil
			_ = cmd.Process.Signal(syscall.SIGTERM)
		case s := <-sigs:
			received++
			if received >= 3 {
				_ = cmd.Process.Kill()
			} else {
				_ = cmd.Process.Signal(s)
			}
		}
	}
}

// statusCode maps a process's end to a shell-style exit status.
func statusCode(state *os.ProcessState) int {
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return state.ExitCode()
}

// signalCode is the shell-style exit status for dying of signal s.
func signalCode(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 1
}
