//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// prctl options from <linux/prctl.h>; the syscall package does not name them.
const (
	prSetPdeathsig       = 1
	prSetChildSubreaper  = 36
	orphanPollInterval   = 50 * time.Millisecond
	orphanKillAfterGrace = 5 * time.Second
)

// prepareProcessControl makes testenv responsible for everything CMD
// starts, and makes it clean up when whatever started it goes away.
//
// As a child subreaper, testenv inherits processes orphaned below it. That
// matters because `go test` dies at once on SIGTERM without stopping the
// test binaries it started; they become testenv's children, and
// killOrphans stops them instead of letting them run on until their
// timeout.
//
// With a parent-death signal, testenv gets SIGTERM (and so cleans up) when
// its parent dies: `go run ./cmd/testenv` or make killed by SIGTERM do not
// pass the signal on to testenv themselves.
func prepareProcessControl(stderr io.Writer) {
	if err := prctl(prSetChildSubreaper, 1); err != nil {
		fmt.Fprintf(stderr, "testenv: warning: cannot become a subreaper: %v\n", err)
	}
	parent := os.Getppid()
	if err := prctl(prSetPdeathsig, uintptr(syscall.SIGTERM)); err != nil {
		fmt.Fprintf(stderr, "testenv: warning: cannot follow parent death: %v\n", err)
	}
	if os.Getppid() != parent { // the parent died before prctl took effect
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
}

func prctl(option, arg uintptr) error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, option, arg, 0); errno != 0 {
		return errno
	}
	return nil
}

// killOrphans stops every remaining child of testenv. It runs after CMD and
// the servers have been waited for, so any child left is an orphan
// inherited as subreaper. Each gets SIGTERM, then SIGKILL after a
// grace period; zombies are reaped. Processes they leave behind become our
// children in turn and are handled in the same loop. It gives up after
// limit, reporting what is left.
func killOrphans(limit time.Duration, stderr io.Writer) {
	start := time.Now()
	termed := map[int]bool{}
	for {
		children := childProcesses()
		live := 0
		for _, c := range children {
			var ws syscall.WaitStatus
			if pid, _ := syscall.Wait4(c.pid, &ws, syscall.WNOHANG, nil); pid == c.pid {
				continue // was a zombie, now reaped
			}
			live++
			switch {
			case !termed[c.pid]:
				termed[c.pid] = true
				fmt.Fprintf(stderr, "testenv: stopping leftover process %d (%s)\n", c.pid, c.name)
				_ = syscall.Kill(c.pid, syscall.SIGTERM)
			case time.Since(start) > orphanKillAfterGrace:
				_ = syscall.Kill(c.pid, syscall.SIGKILL)
			}
		}
		if live == 0 {
			return
		}
		if time.Since(start) > limit {
			fmt.Fprintf(stderr, "testenv: %d leftover processes would not die\n", live)
			return
		}
		time.Sleep(orphanPollInterval)
	}
}

// childProcess is one entry of /proc whose parent is testenv.
type childProcess struct {
	pid  int
	name string
}

// childProcesses lists testenv's children by scanning /proc (there is no system call for "my children").
func childProcesses() []childProcess {
	self := os.Getpid()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var children []childProcess
	for _, path := range stats {
		pid, name, ppid, ok := readStat(path)
		if ok && ppid == self {
			children = append(children, childProcess{pid: pid, name: name})
		}
	}
	return children
}

// readStat parses pid, command name and parent pid from /proc/PID/stat.
// The name is in parentheses and may itself contain spaces and ")", so the
// fields after it are found from the last ")".
func readStat(path string) (pid int, name string, ppid int, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, "", 0, false
	}
	open, end := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
	if open < 0 || end < open {
		return 0, "", 0, false
	}
	fields := bytes.Fields(data[end+1:]) // state, ppid, ...
	if len(fields) < 2 {
		return 0, "", 0, false
	}
	pid, err1 := strconv.Atoi(string(bytes.TrimSpace(data[:open])))
	ppid, err2 := strconv.Atoi(string(fields[1]))
	if err1 != nil || err2 != nil {
		return 0, "", 0, false
	}
	return pid, string(data[open+1 : end]), ppid, true
}
