//go:build linux

package storage_test

import (
	"os"
	"syscall"
	"testing"
)

// evict drops a file's pages from the page cache (posix_fadvise
// POSIX_FADV_DONTNEED after fsync), so the next read comes from the disk.
func evict(b *testing.B, path string) {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	const dontNeed = 4 // POSIX_FADV_DONTNEED
	if _, _, errno := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, dontNeed, 0, 0); errno != 0 {
		b.Fatal(errno)
	}
}
