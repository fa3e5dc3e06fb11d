package identity

// Credentials: passwords, TOTP second factors and recovery codes, as pure functions. The
// operations that sign people in (and throttle them, and audit it) store what these return.
//
// The yardstick is OWASP ASVS level 2 (DESIGN.md §6): argon2id, length over complexity, no
// composition rules, a deny-list of guessable passwords, RFC 6238 TOTP with one use per code,
// and single-use recovery codes kept only as hashes.

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	zxcvbn "github.com/ccojocar/zxcvbn-go"
	"github.com/ccojocar/zxcvbn-go/adjacency"
	"github.com/ccojocar/zxcvbn-go/match"
	"github.com/ccojocar/zxcvbn-go/matching"
	"github.com/msptp/msphub/models/core"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/argon2"
)

// ---------------------------------------------------------------------------------------------
// Passwords

// Limits on what a user may choose. The minimum follows ASVS 2.1.1 (at least 12 characters);
// the maximum bounds what one request can make us check and hash while leaving ample room for
// passphrases (ASVS 2.1.2 asks that at least 64 characters be allowed).
const (
	passwordMinRunes = 12
	passwordMaxBytes = 256
	passwordMinScore = 3 // zxcvbn: 3 is "safely unguessable", about 10^8 guesses to crack online

	// zxcvbn's work grows with the cube of the length and with the number of ways the password's
	// symbols can be read as leet (4 for a, | for i or l, ...): 256 symbol-laden bytes took four
	// seconds. Judging only the first 64 characters (zxcvbn's own advice is to cut long input)
	// and skipping the leet matcher past 256 readings keep one check under about 50 ms. A
	// password with that many distinct leet symbols is not a dictionary word in disguise.
	passwordJudgedRunes     = 64
	passwordMaxLeetReadings = 256
)

// passwordParams is the cost of one argon2id hash. Every hash carries its own parameters in its
// PHC string, so these can be raised later: VerifyPassword reports needsRehash for hashes made
// with other parameters, and sign-in re-hashes them with today's.
type passwordParams struct {
	memoryKiB uint32 // m: memory in KiB
	time      uint32 // t: passes over the memory
	threads   uint8  // p: lanes
	saltLen   int    // bytes of random salt
	keyLen    int    // bytes of derived key
}

// currentPasswordParams is today's cost: the one place to change it. 64 MiB and two passes on
// one thread measured 88–92 ms per hash on one core of the build machine when quiet, 95–140 ms
// with builds running alongside (go test -bench 'Password(Hash|Verify)' ./models): inside the
// 50–250 ms budget for one sign-in, and above OWASP's floor of 19 MiB. One thread, so that
// concurrent sign-ins do not compete for cores; the memory (64 MiB per sign-in in progress) is
// what login throttling and a cap on concurrent sign-ins must keep bounded.
func currentPasswordParams() passwordParams {
	return passwordParams{memoryKiB: 64 * 1024, time: 2, threads: 1, saltLen: 16, keyLen: 32}
}

// Bounds on the parameters a stored hash may claim. A corrupt or hostile row must not make
// verification allocate gigabytes or spin for minutes; anything outside is malformed.
const (
	passwordMaxMemoryKiB = 1024 * 1024 // 1 GiB
	passwordMaxTime      = 64
	passwordMinSaltLen   = 8
	passwordMinKeyLen    = 16
	passwordMaxKeyLen    = 128
)

// passwordDummySalt salts the hash spent on users who have no password, so that "no such
// password" costs the same as "wrong password".
const passwordDummySalt = "msphub-no-password"

// HashPassword returns an argon2id PHC string for password,
// $argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash> (unpadded standard base64), with today's
// parameters and a fresh random salt. Callers check the password with CheckPassword first; this
// only refuses an empty password or one over the length limit (EINVALID), as a last guard.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", core.Invalid("password", "Enter a password")
	}
	if len(password) > passwordMaxBytes {
		return "", core.Invalid("password", passwordTooLong)
	}
	return hashPasswordWith(currentPasswordParams(), password), nil
}

// hashPasswordWith hashes password with p: tests use it to make hashes with older parameters.
func hashPasswordWith(p passwordParams, password string) string {
	salt := make([]byte, p.saltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (it crashes the program instead)
	key := argon2.IDKey([]byte(password), salt, p.time, p.memoryKiB, p.threads, uint32(p.keyLen))
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memoryKiB, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword checks password against encoded, a hash from HashPassword, in constant time.
// needsRehash is true when the hash was made with parameters other than today's, so that a
// successful sign-in can store a fresh hash and raise the cost of old ones as we raise ours.
//
// An empty encoded (a user who never set a password) verifies as false without error, after
// spending as long as a real verification: timing must not tell an attacker which accounts
// have passwords. A malformed encoding is EINTERNAL, returned at once: the stored row is
// corrupt, not the user's input, and the caller should log it and refuse the sign-in.
func VerifyPassword(encoded, password string) (ok, needsRehash bool, err error) {
	if encoded == "" || len(password) > passwordMaxBytes {
		// No password set, or one longer than any we would have stored: it cannot match, but
		// pay for a hash anyway. The dummy comparison keeps the work from being optimised away.
		p := currentPasswordParams()
		password = password[:min(len(password), passwordMaxBytes)]
		key := argon2.IDKey([]byte(password), []byte(passwordDummySalt), p.time, p.memoryKiB, p.threads, uint32(p.keyLen))
		_ = subtle.ConstantTimeCompare(key, make([]byte, p.keyLen))
		return false, false, nil
	}
	p, salt, want, err := parsePasswordHash(encoded)
	if err != nil {
		return false, false, core.Internal(fmt.Errorf("password hash: %w", err))
	}
	got := argon2.IDKey([]byte(password), salt, p.time, p.memoryKiB, p.threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	cur := currentPasswordParams()
	needsRehash = p.memoryKiB != cur.memoryKiB || p.time != cur.time || p.threads != cur.threads ||
		len(salt) < cur.saltLen || len(want) != cur.keyLen
	return true, needsRehash, nil
}

// parsePasswordHash reads a PHC argon2id string strictly: anything unexpected is an error, and
// parameters outside sane bounds are refused before they can cost memory or time.
func parsePasswordHash(encoded string) (p passwordParams, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return p, nil, nil, errors.New("not a PHC string of six $-separated fields")
	}
	if parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("algorithm %q is not argon2id", parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("version %q is not v=%d", parts[2], argon2.Version)
	}
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return p, nil, nil, errors.New("parameters are not m=,t=,p=")
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(fields[i], name+"=")
		if !ok {
			return p, nil, nil, fmt.Errorf("parameter %d is not %s=", i+1, name)
		}
		if vals[i], err = strconv.ParseUint(v, 10, 32); err != nil {
			return p, nil, nil, fmt.Errorf("parameter %s: %w", name, err)
		}
	}
	p.memoryKiB, p.time = uint32(vals[0]), uint32(vals[1])
	switch {
	case vals[2] < 1 || vals[2] > 255:
		return p, nil, nil, fmt.Errorf("p=%d is outside 1–255", vals[2])
	case p.time < 1 || p.time > passwordMaxTime:
		return p, nil, nil, fmt.Errorf("t=%d is outside 1–%d", p.time, passwordMaxTime)
	case p.memoryKiB < 8*uint32(vals[2]) || p.memoryKiB > passwordMaxMemoryKiB:
		return p, nil, nil, fmt.Errorf("m=%d is outside 8p–%d", p.memoryKiB, passwordMaxMemoryKiB)
	}
	p.threads = uint8(vals[2])
	b64 := base64.RawStdEncoding.Strict()
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, fmt.Errorf("salt: %w", err)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return p, nil, nil, fmt.Errorf("hash: %w", err)
	}
	if len(salt) < passwordMinSaltLen {
		return p, nil, nil, fmt.Errorf("salt of %d bytes is under %d", len(salt), passwordMinSaltLen)
	}
	if len(key) < passwordMinKeyLen || len(key) > passwordMaxKeyLen {
		return p, nil, nil, fmt.Errorf("hash of %d bytes is outside %d–%d", len(key), passwordMinKeyLen, passwordMaxKeyLen)
	}
	p.saltLen, p.keyLen = len(salt), len(key)
	return p, salt, key, nil
}

// Messages for refused passwords: specific enough to act on, in the GOV.UK style.
const (
	passwordTooShort  = "Password must be at least 12 characters"
	passwordTooLong   = "Password must be 256 characters or fewer"
	passwordPersonal  = "Do not include your name or email address"
	passwordCommon    = "This password is too common. Try a longer phrase of unrelated words"
	passwordKeyboard  = "Avoid keyboard patterns like qwerty. Try a longer phrase of unrelated words"
	passwordSequence  = "Avoid repeated characters and sequences like aaa or 1234. Try a longer phrase of unrelated words"
	passwordDate      = "Avoid dates and years. Try a longer phrase of unrelated words"
	passwordFewWords  = "This password is too easy to guess. Add another word or two: uncommon words are better"
	passwordGuessable = "This password is too easy to guess. Try a longer phrase of unrelated words"
)

// CheckPassword refuses a password a user may not choose, as EINVALID on field "password" with
// a message saying what to do instead. Following ASVS (length over complexity) it has no
// composition rules: it refuses a password that is too short (under 12 characters, counted as
// runes so accents and non-Latin scripts count fairly), too long (over 256 bytes, which bounds
// the cost of checking and hashing), or guessable. Guessability is zxcvbn's estimate (of the
// first 64 characters), which knows common passwords, words, names, keyboard patterns,
// sequences and dates; userInputs (the user's email and name) are added to its dictionaries,
// split into their parts, because an attacker who targets an account knows them too. A score
// of at least 3 is required. A strong phrase that merely includes a first name passes: the name
// counts for almost nothing, and the rest must carry the strength.
func CheckPassword(password string, userInputs ...string) error {
	switch {
	case password == "":
		return core.Invalid("password", "Enter a password")
	case len(password) > passwordMaxBytes:
		return core.Invalid("password", passwordTooLong)
	case utf8.RuneCountInString(password) < passwordMinRunes:
		return core.Invalid("password", passwordTooShort)
	}
	judged := password
	if r := []rune(password); len(r) > passwordJudgedRunes {
		judged = string(r[:passwordJudgedRunes])
	}
	var filters []func(match.Matcher) bool
	if passwordLeetReadings(judged) > passwordMaxLeetReadings {
		filters = append(filters, matching.FilterL33tMatcher)
	}
	result := zxcvbn.PasswordStrength(judged, passwordUserWords(userInputs), filters...)
	if result.Score >= passwordMinScore {
		return nil
	}
	return core.Invalid("password", passwordWeakness(judged, result.MatchSequence))
}

// passwordLeetReadings bounds from above how many leet readings zxcvbn would try for password:
// the product, over letters, of how many of their stand-ins appear, times the number of letters
// each ambiguous stand-in could be.
func passwordLeetReadings(password string) int {
	n := 1
	owners := make(map[string]int)
	for _, standIns := range adjacency.GraphMap["l33t"].Graph {
		present := 0
		for _, s := range standIns {
			if strings.Contains(password, s) {
				present++
				owners[s]++
			}
		}
		n *= max(present, 1)
	}
	for _, k := range owners {
		n *= k
	}
	return n
}

// passwordUserWords turns the user's details into dictionary words: each whole (lowercased), an
// email's local part, the words within (jane.smith@met.police.uk gives jane, smith, met,
// police) and those words run together (janesmith). Fragments under three letters are dropped:
// they match by chance and would make the advice misleading.
func passwordUserWords(inputs []string) []string {
	var words []string
	add := func(w string) {
		w = strings.ToLower(strings.TrimSpace(w))
		if utf8.RuneCountInString(w) < 3 {
			return
		}
		for _, have := range words {
			if have == w {
				return
			}
		}
		words = append(words, w)
	}
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	}
	for _, in := range inputs {
		add(in)
		name, domain, isEmail := strings.Cut(in, "@")
		if isEmail {
			add(name)
			for _, part := range split(domain) {
				add(part)
			}
		}
		parts := split(name)
		for _, part := range parts {
			add(part)
		}
		add(strings.Join(parts, ""))
	}
	return words
}

// passwordWeakness picks the advice for a weak password from the patterns zxcvbn found in it,
// most specific first. "Too common" is kept for passwords that are mostly well-known passwords:
// a phrase of words that merely includes one (horse, lantern) needs more words, not a new idea.
func passwordWeakness(password string, seq []match.Match) string {
	has := func(ok func(m match.Match) bool) bool {
		for _, m := range seq {
			if ok(m) {
				return true
			}
		}
		return false
	}
	dictionary := func(prefix string) func(match.Match) bool {
		return func(m match.Match) bool {
			return m.Pattern == "dictionary" && strings.HasPrefix(m.DictionaryName, prefix)
		}
	}
	pattern := func(names ...string) func(match.Match) bool {
		return func(m match.Match) bool {
			for _, n := range names {
				if m.Pattern == n {
					return true
				}
			}
			return false
		}
	}
	common := 0
	for _, m := range seq {
		if dictionary("Passwords")(m) {
			common += utf8.RuneCountInString(m.Token)
		}
	}
	switch {
	case has(dictionary("user_inputs")):
		return passwordPersonal
	case 2*common >= utf8.RuneCountInString(password):
		return passwordCommon
	case has(pattern("spatial")):
		return passwordKeyboard
	case has(pattern("repeat", "sequence")):
		return passwordSequence
	case has(pattern("date")):
		return passwordDate
	case has(pattern("dictionary")):
		return passwordFewWords
	default:
		return passwordGuessable
	}
}

// ---------------------------------------------------------------------------------------------
// TOTP (RFC 6238)

// TOTP settings: what authenticator apps assume when an otpauth URL says nothing else. SHA-1 is
// sound here (HMAC-SHA-1 has no known weakness) and the only algorithm every app supports.
const (
	totpIssuer      = "MSP Hub"
	totpPeriod      = 30 // seconds per step
	totpDigits      = otp.DigitsSix
	totpSkew        = 1  // steps of clock drift accepted either side
	totpSecretBytes = 20 // 160 bits, as RFC 4226 recommends
	totpMinSecret   = 16 // 128 bits, RFC 4226's minimum: shorter stored secrets are refused
	totpQRSize      = 200
)

// NewTOTP makes a fresh TOTP secret for account (the user's email) under issuer "MSP Hub".
// It returns the base32 secret to store (the caller seals it: it is a credential), the
// otpauth:// URL an authenticator app enrols from, and a QR code of that URL as a
// data:image/png;base64 URL of about 200×200 pixels for the enrolment page (an img src needs no
// script, so it fits our Content-Security-Policy). An empty account is a caller's bug:
// EINTERNAL.
func NewTOTP(account string) (secret, url, qrDataURL string, err error) {
	if strings.TrimSpace(account) == "" {
		return "", "", "", core.Internal(errors.New("totp: no account name"))
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      totpIssuer,
		AccountName: account,
		Period:      totpPeriod,
		SecretSize:  totpSecretBytes,
		Digits:      totpDigits,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", "", "", core.Internal(fmt.Errorf("totp: %w", err))
	}
	img, err := key.Image(totpQRSize, totpQRSize)
	if err != nil {
		return "", "", "", core.Internal(fmt.Errorf("totp qr: %w", err))
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", "", "", core.Internal(fmt.Errorf("totp qr: %w", err))
	}
	qrDataURL = "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
	return key.Secret(), key.URL(), qrDataURL, nil
}

// TOTPFor gives the otpauth:// URL and QR code of an existing secret, so the set-up page shows
// the same secret when it is loaded again.
func TOTPFor(account, secret string) (url, qrDataURL string, err error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		return "", "", core.Internal(fmt.Errorf("totp: stored secret is not base32: %w", err))
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: account, Period: totpPeriod,
		Secret: raw, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", core.Internal(fmt.Errorf("totp: %w", err))
	}
	img, err := key.Image(totpQRSize, totpQRSize)
	if err != nil {
		return "", "", core.Internal(fmt.Errorf("totp qr: %w", err))
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", "", core.Internal(fmt.Errorf("totp qr: %w", err))
	}
	return key.URL(), "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// VerifyTOTP checks code (as typed: spaces and hyphens are ignored) against secret at time now.
// It accepts the current step and one step either side, for clock drift and slow typing, but
// never a step at or before lastStep: each code works once, so one seen over a shoulder or
// phished cannot be replayed. On success it returns the step the code matched, which the caller
// stores as the new lastStep in the same transaction that signs the user in. Codes are compared
// in constant time and every candidate step is computed, so timing says nothing about which
// step (if any) matched. A malformed or too-short secret never verifies.
func VerifyTOTP(secret, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	code = strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, code)
	if len(code) != totpDigits.Length() || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	if !totpSecretUsable(secret) {
		return 0, false
	}
	unix := now.Unix()
	current := unix / totpPeriod
	if unix < 0 && unix%totpPeriod != 0 {
		current-- // floor, not truncation, before 1970 (only in tests)
	}
	matched := false
	for s := max(current-totpSkew, 0); s <= current+totpSkew; s++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), hotp.ValidateOpts{
			Digits:    totpDigits,
			Algorithm: otp.AlgorithmSHA1,
		})
		if err != nil {
			continue
		}
		// The latest matching step wins: it burns the most steps if codes ever collide.
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && s > lastStep {
			step, matched = s, true
		}
	}
	return step, matched
}

// totpSecretUsable reports whether secret decodes as base32 (case and padding forgiven, as
// pquerna does) to at least 128 bits. Without this an empty secret would "verify" codes made
// with an empty HMAC key.
func totpSecretUsable(secret string) bool {
	s := strings.ToUpper(strings.TrimRight(strings.TrimSpace(secret), "="))
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	return err == nil && len(key) >= totpMinSecret
}

// ---------------------------------------------------------------------------------------------
// Recovery codes

// Recovery codes are ten symbols from Crockford's base32 alphabet, lowercase: digits and letters
// without i, l, o and u, so nothing on the page can be misread (RecoveryCodeHash reads i and l
// as 1 and o as 0, as Crockford does, to forgive it anyway). Ten symbols of five bits make 50
// bits per code: far beyond guessing under login throttling, which is why a plain SHA-256 is
// enough to store them.
const (
	recoveryAlphabet   = "0123456789abcdefghjkmnpqrstvwxyz"
	recoveryCodeCount  = 10
	recoveryCodeLength = 10 // symbols, shown as two groups of five
)

// NewRecoveryCodes returns ten fresh single-use recovery codes, formatted "xxxxx-xxxxx", to
// show the user once, and their RecoveryCodeHash values to store in place of them. A user who
// loses their authenticator signs in with one of these; each is marked used when it is.
func NewRecoveryCodes() (codes, hashes []string) {
	seen := make(map[string]bool, recoveryCodeCount)
	for len(codes) < recoveryCodeCount {
		raw := make([]byte, recoveryCodeLength)
		_, _ = rand.Read(raw) // crypto/rand.Read never fails (it crashes the program instead)
		for i, b := range raw {
			raw[i] = recoveryAlphabet[b&31] // 256 is a multiple of 32: no bias
		}
		code := string(raw[:5]) + "-" + string(raw[5:])
		if seen[code] {
			continue // a repeat is vanishingly unlikely, but ten must mean ten
		}
		seen[code] = true
		codes = append(codes, code)
		hashes = append(hashes, RecoveryCodeHash(code))
	}
	return codes, hashes
}

// RecoveryCodeHash returns the SHA-256 (hex, 64 characters) of code as the user typed it,
// normalised so that case, spaces, hyphens and the look-alikes i, l (for 1) and o (for 0) do
// not matter: the caller looks the hash up among the user's unused codes. A fast hash is enough
// because the codes carry 50 random bits, unlike passwords.
func RecoveryCodeHash(code string) string {
	norm := strings.Map(func(r rune) rune {
		switch r = unicode.ToLower(r); {
		case r == '-' || unicode.IsSpace(r):
			return -1
		case r == 'i' || r == 'l':
			return '1'
		case r == 'o':
			return '0'
		}
		return r
	}, code)
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:])
}
