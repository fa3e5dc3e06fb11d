package core

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// AuditKeyName names the audit log's key in its signed notes, and its checkpoints' origin.
const AuditKeyName = "msphub-audit-log"

// AuditKey is the Ed25519 key that signs the audit log's checkpoints, in the note format of
// golang.org/x/mod/sumdb/note ("PRIVATE+KEY+msphub-audit-log+<hash>+<key>"), with its public
// half ("msphub-audit-log+<hash>+<key>"), which is all an auditor needs to check a checkpoint.
// A key built from the public half alone verifies and cannot sign.
type AuditKey struct {
	signer   note.Signer // nil for a verifying-only key
	verifier note.Verifier
	public   string
}

// ParseAuditKey reads a private key (MSPHUB_AUDIT_KEY, or the key file) or, for verifying only,
// a public key.
func ParseAuditKey(s string) (*AuditKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "PRIVATE+KEY+") {
		signer, err := note.NewSigner(s)
		if err != nil {
			return nil, errors.New("not an audit signing key (want PRIVATE+KEY+msphub-audit-log+..., as `msphub audit keygen` prints)")
		}
		// The verifier key is derived as NewSigner does: name+hash+base64(alg||public key).
		pub, err := publicOf(s)
		if err != nil {
			return nil, err
		}
		v, err := note.NewVerifier(pub)
		if err != nil {
			return nil, fmt.Errorf("audit signing key: %w", err)
		}
		return &AuditKey{signer: signer, verifier: v, public: pub}, nil
	}
	v, err := note.NewVerifier(s)
	if err != nil {
		return nil, errors.New("not an audit key (want msphub-audit-log+<hash>+<key>, or a private key)")
	}
	return &AuditKey{verifier: v, public: s}, nil
}

// GenerateAuditKey makes a new signing key and returns it with the text to keep (the private
// key in note format).
func GenerateAuditKey() (*AuditKey, string, error) {
	skey, _, err := note.GenerateKey(rand.Reader, AuditKeyName)
	if err != nil {
		return nil, "", err
	}
	k, err := ParseAuditKey(skey)
	return k, skey, err
}

// LoadOrCreateAuditKeyFile reads the signing key at path, creating it (mode 0600) when there is
// none, as the embedded default does for the master key. created says it was made now.
func LoadOrCreateAuditKeyFile(path string) (k *AuditKey, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := ParseAuditKey(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		if !k.CanSign() {
			return nil, false, fmt.Errorf("%s: holds a public key; the signing key is needed", path)
		}
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	k, skey, err := GenerateAuditKey()
	if err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, err
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Close(); err != nil {
		return nil, false, err
	}
	return k, true, nil
}

// CanSign says whether the key holds its private half.
func (k *AuditKey) CanSign() bool { return k != nil && k.signer != nil }

// Public is the verifier key to hand to auditors.
func (k *AuditKey) Public() string { return k.public }

// publicOf derives the verifier key text from a private key text in note format:
// PRIVATE+KEY+<name>+<hash>+<base64(alg || private key)>; Ed25519 keys only.
func publicOf(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", errors.New("audit signing key: malformed")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 { // 1: note's Ed25519 algorithm
		return "", errors.New("audit signing key: not an Ed25519 key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}
