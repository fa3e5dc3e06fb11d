//go:build linux

package storage

import (
	"os"
	"syscall"
)

// startWriteback asks the kernel to begin writing a range of f to the disk,
// without waiting for it (sync_file_range with SYNC_FILE_RANGE_WRITE). It is
// only a hint: the fsync at the end of Put is what makes the data durable,
// so an error here changes nothing and is ignored.
func startWriteback(f *os.File, off, n int64) {
	const syncFileRangeWrite = 2
	conn, err := f.SyscallConn()
	if err != nil {
		return
	}
	conn.Control(func(fd uintptr) {
		syscall.SyncFileRange(int(fd), off, n, syncFileRangeWrite)
	})
}
