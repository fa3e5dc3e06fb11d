// Package storage is MSP Hub's blob store: object bytes kept on local disk or
// in S3, encrypted on our side with a per-object data key wrapped by a master
// key, and authenticated on every read.
//
// It imports nothing of ours. It speaks in keys, readers and the sentinel
// errors below, which callers test with errors.Is; the wrapping error carries
// the detail (which key, which master key ID, what the backend said).
package storage

import "errors"

var (
	// ErrNotFound means there is no object under the key.
	ErrNotFound = errors.New("storage: object not found")

	// ErrIntegrity means the stored bytes failed authentication or were cut
	// short, or the envelope (its wrapped key, size or SHA-256) was altered.
	// The reader never hands out bytes that failed authentication; it fails
	// instead.
	ErrIntegrity = errors.New("storage: stored object failed its integrity check")

	// ErrTooLarge means a Put read more plaintext than its limit (or than the
	// size it was promised). Nothing is left in the backend.
	ErrTooLarge = errors.New("storage: object larger than allowed")

	// ErrUnknownKey means an envelope names a master key ID that is not in
	// the keyring; the message says which ID.
	ErrUnknownKey = errors.New("storage: master key not configured")

	// ErrCredentials means S3 refused the access key or secret.
	ErrCredentials = errors.New("storage: S3 refused the credentials")

	// ErrUnreachable means the backend cannot be reached: the S3 endpoint
	// does not answer, or the disk root is missing.
	ErrUnreachable = errors.New("storage: backend unreachable")

	// ErrNoBucket means the configured S3 bucket does not exist.
	ErrNoBucket = errors.New("storage: bucket does not exist")

	// ErrInvalidKey means an object key breaks the key rules (see Disk).
	// Keys are our own IDs, so this is a programming error, never user input.
	ErrInvalidKey = errors.New("storage: invalid object key")
)
