//go:build !linux

package storage_test

import "testing"

// evict cannot drop a file from the page cache here; "cold" reads are warm.
func evict(b *testing.B, path string) {
	b.Logf("cannot evict %s from the page cache on this system", path)
}
