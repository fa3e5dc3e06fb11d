package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

// PutPublic stores b under key as it is, without encryption: for small documents that carry
// their own integrity and are meant to be read outside MSP Hub, such as the audit log's signed
// checkpoints, which an auditor fetches from the bucket and checks with the public key alone.
func (s *Store) PutPublic(ctx context.Context, key string, b []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := s.backend.Put(ctx, key, bytes.NewReader(b), int64(len(b))); err != nil {
		return fmt.Errorf("storage: put %s: %w", key, err)
	}
	return nil
}

// GetPublic reads back what PutPublic stored under key, up to limit bytes (ErrTooLarge
// beyond). A missing object is ErrNotFound.
func (s *Store) GetPublic(ctx context.Context, key string, limit int64) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	body, err := s.backend.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("storage: get %s: %w", key, err)
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("storage: get %s: %w", key, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("storage: get %s: %w", key, ErrTooLarge)
	}
	return b, nil
}
