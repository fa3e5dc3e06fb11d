package storage

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const (
	masterKeySize = 32
	dataKeySize   = 32
	// keyIDContext separates key IDs from any other SHA-256 of the key, so an
	// ID never doubles as a hash someone else might publish.
	keyIDContext = "msphub-master-key-id"
)

// MasterKey is a 256-bit key that wraps the per-object data keys. Its ID is
// derived from the key bytes, so two different keys can never share an ID and
// an envelope always names exactly the key that wrapped it.
type MasterKey struct {
	id  string
	key [masterKeySize]byte
}

// ParseMasterKey decodes a master key written as 32 bytes of standard base64
// (surrounding white space, such as a key file's newline, is ignored).
func ParseMasterKey(s string) (MasterKey, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		// The decoder's message would quote an offset into the secret; say
		// only what is wrong.
		return MasterKey{}, errors.New("storage: master key must be 32 bytes of standard base64, got text that is not standard base64")
	}
	if len(raw) != masterKeySize {
		return MasterKey{}, fmt.Errorf("storage: master key must be 32 bytes of standard base64, got %d", len(raw))
	}
	var k MasterKey
	copy(k.key[:], raw)
	clear(raw)
	sum := sha256.Sum256(append([]byte(keyIDContext), k.key[:]...))
	k.id = hex.EncodeToString(sum[:8])
	return k, nil
}

// GenerateMasterKey returns a new random master key, encoded as ParseMasterKey
// expects it.
func GenerateMasterKey() (string, error) {
	var raw [masterKeySize]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("storage: generating master key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(raw[:]), nil
}

// ID identifies the key in envelopes: the first 8 bytes of
// SHA-256("msphub-master-key-id" || key), in hex. It reveals nothing usable
// about the key.
func (k MasterKey) ID() string { return k.id }

// String names the key by its ID only, so a key that reaches a log line or an
// error message never carries its secret with it.
func (k MasterKey) String() string { return "MasterKey(" + k.id + ")" }

// GoString keeps %#v as discreet as String.
func (k MasterKey) GoString() string { return k.String() }

// LoadOrCreateKeyFile reads the master key in path, or, when there is no such
// file, creates one (and its directory, mode 0700) holding a new random key
// with mode 0600 and reports created=true so the caller can say so. It refuses
// an existing key file that group or others may access, because anyone who
// can read it can decrypt every object, and anyone who can write it can swap
// in a key of their own.
func LoadOrCreateKeyFile(path string) (k MasterKey, created bool, err error) {
	k, err = readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, false, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return MasterKey{}, false, fmt.Errorf("storage: creating key directory: %w", err)
	}
	encoded, err := GenerateMasterKey()
	if err != nil {
		return MasterKey{}, false, err
	}
	// Write the key in full to a temporary file, then link it into place: the
	// link fails if the file appeared meanwhile, so two processes starting at
	// once agree on one key and nobody ever reads a half-written file.
	tmp, err := os.CreateTemp(dir, ".masterkey-*") // mode 0600
	if err != nil {
		return MasterKey{}, false, fmt.Errorf("storage: creating key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(encoded + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return MasterKey{}, false, fmt.Errorf("storage: writing key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			k, err = readKeyFile(path)
			return k, false, err
		}
		return MasterKey{}, false, fmt.Errorf("storage: creating key file: %w", err)
	}
	if err := SyncDir(dir); err != nil {
		return MasterKey{}, false, fmt.Errorf("storage: creating key file: %w", err)
	}
	k, err = ParseMasterKey(encoded)
	return k, true, err
}

// readKeyFile reads and checks an existing key file; a missing file is an
// error wrapping fs.ErrNotExist.
func readKeyFile(path string) (MasterKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return MasterKey{}, fmt.Errorf("storage: opening key file: %w", err)
	}
	defer f.Close()
	// Check the file we opened, not the path, so a swap between the check
	// and the read cannot slip past.
	info, err := f.Stat()
	if err != nil {
		return MasterKey{}, fmt.Errorf("storage: key file %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return MasterKey{}, fmt.Errorf("storage: key file %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return MasterKey{}, fmt.Errorf("storage: key file %s has mode %#o, so group or others can access it; refusing to use it: run chmod 600 %s", path, perm, path)
	}
	text, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return MasterKey{}, fmt.Errorf("storage: reading key file %s: %w", path, err)
	}
	k, err := ParseMasterKey(string(text))
	if err != nil {
		return MasterKey{}, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// Keyring holds the master keys the store may use. The primary key wraps
// every new data key; the older keys only unwrap, which is what lets the
// master key be rotated: add the new key as primary, keep the old one as
// older, Rewrap every envelope, then drop the old key.
type Keyring struct {
	primary MasterKey
	byID    map[string]MasterKey
}

// NewKeyring returns a keyring whose primary key wraps new data keys and
// whose older keys can still unwrap existing ones.
func NewKeyring(primary MasterKey, older ...MasterKey) *Keyring {
	kr := &Keyring{primary: primary, byID: make(map[string]MasterKey, 1+len(older))}
	for _, k := range append([]MasterKey{primary}, older...) {
		if k.id != "" {
			kr.byID[k.id] = k
		}
	}
	return kr
}

// String lists the key IDs only, never key bytes.
func (kr *Keyring) String() string {
	ids := make([]string, 0, len(kr.byID))
	for id := range kr.byID {
		ids = append(ids, id)
	}
	return fmt.Sprintf("Keyring(primary %s, keys %v)", kr.primary.id, ids)
}

// wrap seals a data key under the primary master key: AES-256-GCM with a
// random nonce and, as additional data, the key ID and bound (the object's
// plaintext size and SHA-256), so the wrapped key authenticates the envelope
// it travels in. The result is nonce || ciphertext || tag.
func (kr *Keyring) wrap(dataKey, bound []byte) (keyID string, wrapped []byte, err error) {
	if kr.primary.id == "" {
		return "", nil, errors.New("storage: keyring has no primary master key")
	}
	aead, err := newKeyWrapper(kr.primary)
	if err != nil {
		return "", nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(dataKey)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, fmt.Errorf("storage: generating nonce: %w", err)
	}
	return kr.primary.id, aead.Seal(nonce, nonce, dataKey, additionalData(kr.primary.id, bound)), nil
}

func additionalData(keyID string, bound []byte) []byte {
	return append([]byte(keyID+"\x00"), bound...)
}

// unwrap recovers the data key of an envelope. It fails with ErrIntegrity when
// the wrapped key, or what was bound to it, has been altered.
func (kr *Keyring) unwrap(keyID string, wrapped, bound []byte) ([]byte, error) {
	mk, ok := kr.byID[keyID]
	if !ok {
		return nil, fmt.Errorf("envelope names master key %q, which is not configured: %w", keyID, ErrUnknownKey)
	}
	aead, err := newKeyWrapper(mk)
	if err != nil {
		return nil, err
	}
	if len(wrapped) != aead.NonceSize()+dataKeySize+aead.Overhead() {
		return nil, fmt.Errorf("wrapped data key has %d bytes under master key %q: %w", len(wrapped), keyID, ErrIntegrity)
	}
	nonce, sealed := wrapped[:aead.NonceSize()], wrapped[aead.NonceSize():]
	dataKey, err := aead.Open(nil, nonce, sealed, additionalData(keyID, bound))
	if err != nil {
		return nil, fmt.Errorf("envelope fails authentication under master key %q (its data key, size or SHA-256 was altered): %w", keyID, ErrIntegrity)
	}
	return dataKey, nil
}

func newKeyWrapper(mk MasterKey) (cipher.AEAD, error) {
	block, err := aes.NewCipher(mk.key[:])
	if err != nil {
		return nil, fmt.Errorf("storage: master key %q: %w", mk.id, err)
	}
	return cipher.NewGCM(block)
}

// Seal encrypts a small secret (a TOTP key) under the primary master key, for keeping in a
// database column. purpose is bound to the result, so a value sealed for one use cannot be
// opened as another. The result is "keyID:" followed by base64 of nonce || ciphertext || tag.
func (kr *Keyring) Seal(secret []byte, purpose string) (string, error) {
	if kr.primary.id == "" {
		return "", errors.New("storage: keyring has no primary master key")
	}
	aead, err := newKeyWrapper(kr.primary)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce) // never fails (crypto/rand since Go 1.24)
	sealed := aead.Seal(nonce, nonce, secret, additionalData(kr.primary.id, []byte("seal:"+purpose)))
	return kr.primary.id + ":" + base64.StdEncoding.EncodeToString(sealed), nil
}

// Open reverses Seal. A value sealed under a master key that is not configured is
// ErrUnknownKey; an altered value, or one sealed for another purpose, is ErrIntegrity.
func (kr *Keyring) Open(sealed, purpose string) ([]byte, error) {
	keyID, b64, ok := strings.Cut(sealed, ":")
	if !ok {
		return nil, fmt.Errorf("sealed value has no key ID: %w", ErrIntegrity)
	}
	mk, known := kr.byID[keyID]
	if !known {
		return nil, fmt.Errorf("sealed value names master key %q, which is not configured: %w", keyID, ErrUnknownKey)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("sealed value is not base64: %w", ErrIntegrity)
	}
	aead, err := newKeyWrapper(mk)
	if err != nil {
		return nil, err
	}
	if len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("sealed value too short: %w", ErrIntegrity)
	}
	secret, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], additionalData(keyID, []byte("seal:"+purpose)))
	if err != nil {
		return nil, fmt.Errorf("sealed value fails authentication: %w", ErrIntegrity)
	}
	return secret, nil
}
