//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// startAttempts bounds retries when a server loses the race for its port:
// freePort's port is free when chosen, but any process (even an outgoing
// connection's ephemeral port) may take it before the server binds it.
const startAttempts = 3

// errAddrInUse marks a start that failed only because the port was taken,
// which is worth retrying with another port.
var errAddrInUse = errors.New("address already in use")

// retryOnTakenPort calls start until it succeeds, fails for another reason than a taken port,
// or has been tried startAttempts times.
func retryOnTakenPort(start func() error) error {
	for attempt := 1; ; attempt++ {
		err := start()
		if err == nil || !errors.Is(err, errAddrInUse) || attempt == startAttempts {
			return err
		}
	}
}

// process is one long-running server started by testenv.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	logFrom int64         // size of the log before this start, to read only its own output
	done    chan struct{} // closed once the process has exited and been reaped
}

// startProcess starts cmd with its output appended to logPath. The server
// gets its own process group, so that neither a Ctrl-C at the terminal nor
// the signals forwarded to CMD reach it (testenv stops servers in its own
// order, after CMD), and so that killing the group reaches its children.
// deathSig is what the kernel sends the server if testenv itself dies
// without cleaning up (say, killed with SIGKILL), so that no server
// outlives it.
func startProcess(name string, cmd *exec.Cmd, logPath string, deathSig syscall.Signal) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: open log: %w", name, err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	fi, err := logFile.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: stat log: %w", name, err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = deathSig
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, logFrom: fi.Size(), done: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the outcome is read from cmd.ProcessState
		close(p.done)
	}()
	return p, nil
}

// startReady starts cmd as startProcess does, with sig as its death signal, and waits up to a
// minute for ready. A server not ready by then is stopped with sig (sent to its whole group if
// toGroup).
func startReady(ctx context.Context, name string, cmd *exec.Cmd, logPath string, sig syscall.Signal, toGroup bool, ready func(context.Context) error) (*process, error) {
	proc, err := startProcess(name, cmd, logPath, sig)
	if err != nil {
		return nil, err
	}
	if err := proc.waitReady(ctx, 60*time.Second, ready); err != nil {
		proc.stop(sig, toGroup, 5*time.Second, io.Discard)
		return nil, err
	}
	return proc, nil
}

// pid is the server's process ID, which is also its process group ID.
func (p *process) pid() int { return p.cmd.Process.Pid }

// waitReady polls ready every 100 ms until it succeeds. It fails early,
// with the end of the server's log, when the server exits or timeout passes.
func (p *process) waitReady(ctx context.Context, timeout time.Duration, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return p.exitedEarly()
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%s: %w", p.name, context.Cause(ctx))
			}
			return fmt.Errorf("%s not ready after %v (last check: %v); end of %s:\n%s",
				p.name, timeout, err, p.logPath, tailFile(p.logPath))
		case <-tick.C:
		}
	}
}

// exitedEarly describes a server that died while starting.
func (p *process) exitedEarly() error {
	err := fmt.Errorf("%s exited while starting (%v); end of %s:\n%s",
		p.name, p.cmd.ProcessState, p.logPath, tailFile(p.logPath))
	if p.ownLogContains("address already in use") {
		return errors.Join(errAddrInUse, err)
	}
	return err
}

// ownLogContains reports whether the log written since this start
// contains s, ignoring case.
func (p *process) ownLogContains(s string) bool {
	data, err := os.ReadFile(p.logPath)
	if err != nil || int64(len(data)) < p.logFrom {
		return false
	}
	return bytes.Contains(bytes.ToLower(data[p.logFrom:]), []byte(strings.ToLower(s)))
}

// stop sends sig (to the leader only, or to the whole group) and waits up
// to grace for the server to exit; past that it kills the whole group. A
// server that had to be killed is reported on stderr but is not an error:
// it is gone either way.
func (p *process) stop(sig syscall.Signal, toGroup bool, grace time.Duration, stderr io.Writer) {
	select {
	case <-p.done:
		return
	default:
	}
	target := p.pid()
	if toGroup {
		target = -target
	}
	_ = syscall.Kill(target, sig)
	select {
	case <-p.done:
		return
	case <-time.After(grace):
	}
	fmt.Fprintf(stderr, "testenv: %s did not stop within %v after %v; killing it\n", p.name, grace, sig)
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		fmt.Fprintf(stderr, "testenv: %s (pid %d) survived SIGKILL for 10s; giving up on it\n", p.name, p.pid())
	}
}

// tailFile returns about the last 20 lines of a log file, for error messages
// (the file itself is deleted with the temporary directory).
func tailFile(path string) string {
	const maxBytes, maxLines = 4096, 20
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxBytes {
		_, _ = f.Seek(fi.Size()-maxBytes, io.SeekStart)
	}
	data, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return "  | " + strings.Join(lines, "\n  | ")
}

// freePort asks the kernel for a currently unused loopback TCP port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// childEnv returns the current environment without variables whose names
// start with any of prefixes, so that settings meant for the developer's own
// servers (PGDATA, MINIO_VOLUMES, ...) cannot leak into the throwaway ones.
func childEnv(prefixes ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		keep := true
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				keep = false
				break
			}
		}
		if keep {
			env = append(env, kv)
		}
	}
	return env
}
