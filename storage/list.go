package storage

import (
	"context"
	"fmt"
	"time"
)

// List calls fn for every stored object whose key starts with prefix, with the size it takes
// in the backend (ciphertext) and when it was last written, in no particular order. It is for
// the orphan sweep, which compares what is stored with the rows that refer to it; nothing is
// opened or decrypted. An error from fn stops the listing and is returned as it is.
func (s *Store) List(ctx context.Context, prefix string, fn func(key string, size int64, modified time.Time) error) error {
	var fnErr error
	err := s.backend.List(ctx, prefix, func(key string, size int64, modified time.Time) error {
		if err := fn(key, size, modified); err != nil {
			fnErr = err
			return err
		}
		return nil
	})
	switch {
	case fnErr != nil:
		return fnErr
	case err != nil:
		return fmt.Errorf("storage: list %q: %w", prefix, err)
	}
	return nil
}
