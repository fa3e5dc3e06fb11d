package identity

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	_ "image/png" // image.Decode must recognise the QR code
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/pquerna/otp/totp"
)

// cheapPasswordParams makes hashes in a millisecond, for tests about encodings rather than cost.
func cheapPasswordParams() passwordParams {
	return passwordParams{memoryKiB: 8 * 1024, time: 1, threads: 1, saltLen: 16, keyLen: 32}
}

func TestPasswordHashRoundTrip(t *testing.T) {
	const password = "marmalade otter telescope"
	encoded, err := HashPassword(password)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !phc.MatchString(encoded) {
		t.Fatalf("HashPassword = %q, not a PHC argon2id string with today's parameters", encoded)
	}
	if strings.Contains(encoded, password) {
		t.Fatalf("the hash contains the password")
	}

	for _, tc := range []struct {
		name     string
		password string
		want     bool
	}{
		{"right password", password, true},
		{"wrong password", "marmalade otter telescopes", false},
		{"different case", "Marmalade otter telescope", false},
		{"empty password", "", false},
		{"prefix", password[:len(password)-1], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, rehash, err := VerifyPassword(encoded, tc.password)
			if err != nil || ok != tc.want || rehash {
				t.Errorf("VerifyPassword(%q) = %v, %v, %v; want %v, false, nil", tc.password, ok, rehash, err, tc.want)
			}
		})
	}

	t.Run("salts are unique", func(t *testing.T) {
		again, err := HashPassword(password)
		if err != nil {
			t.Fatal(err)
		}
		saltOf := func(s string) string { return strings.Split(s, "$")[4] }
		if again == encoded || saltOf(again) == saltOf(encoded) {
			t.Errorf("two hashes of one password share a salt: %q and %q", encoded, again)
		}
		seen := map[string]bool{}
		for range 20 {
			s := saltOf(hashPasswordWith(cheapPasswordParams(), password))
			if seen[s] {
				t.Fatalf("salt %q repeated", s)
			}
			seen[s] = true
		}
	})
}

func TestHashPasswordRefuses(t *testing.T) {
	for _, tc := range []struct{ name, password string }{
		{"empty", ""},
		{"over 256 bytes", strings.Repeat("a", 257)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := HashPassword(tc.password); core.ErrorCode(err) != core.EINVALID {
				t.Errorf("HashPassword(%s) error = %v, want EINVALID", tc.name, err)
			}
		})
	}
}

func TestVerifyPasswordNeedsRehash(t *testing.T) {
	const password = "marmalade otter telescope"
	cur := currentPasswordParams()
	for _, tc := range []struct {
		name   string
		params func(p *passwordParams)
		want   bool
	}{
		{"today's parameters", func(p *passwordParams) {}, false},
		{"less memory", func(p *passwordParams) { p.memoryKiB = 19 * 1024 }, true},
		{"fewer passes", func(p *passwordParams) { p.time = 1 }, true},
		{"more threads", func(p *passwordParams) { p.threads = 2 }, true},
		{"shorter salt", func(p *passwordParams) { p.saltLen = 8 }, true},
		{"shorter key", func(p *passwordParams) { p.keyLen = 16 }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := cur
			tc.params(&p)
			encoded := hashPasswordWith(p, password)
			ok, rehash, err := VerifyPassword(encoded, password)
			if err != nil || !ok || rehash != tc.want {
				t.Errorf("VerifyPassword(%q) = %v, %v, %v; want true, %v, nil", encoded, ok, rehash, err, tc.want)
			}
			// A wrong password never asks for a rehash: only a verified one may be re-hashed.
			if ok, rehash, _ := VerifyPassword(encoded, "wrong "+password); ok || rehash {
				t.Errorf("wrong password: ok=%v rehash=%v, want false, false", ok, rehash)
			}
		})
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	good := hashPasswordWith(cheapPasswordParams(), "marmalade otter telescope")
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=..,t=..,p=.., salt, hash
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	b64 := base64.RawStdEncoding.EncodeToString
	for _, tc := range []struct{ name, encoded string }{
		{"not PHC", "marmalade otter telescope"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"too few fields", strings.Join(parts[:5], "$")},
		{"too many fields", good + "$extra"},
		{"text before", "x" + good},
		{"argon2i", with(1, "argon2i")},
		{"argon2d", with(1, "argon2d")},
		{"old version", with(2, "v=16")},
		{"no version", with(2, "")},
		{"params reordered", with(3, "t=1,m=8192,p=1")},
		{"params missing p", with(3, "m=8192,t=1")},
		{"params extra", with(3, "m=8192,t=1,p=1,k=2")},
		{"params not numbers", with(3, "m=lots,t=1,p=1")},
		{"params negative", with(3, "m=8192,t=-1,p=1")},
		{"params with spaces", with(3, "m=8192, t=1, p=1")},
		{"zero threads", with(3, "m=8192,t=1,p=0")},
		{"256 threads", with(3, "m=8192,t=1,p=256")},
		{"zero passes", with(3, "m=8192,t=0,p=1")},
		{"a million passes", with(3, "m=8192,t=1000000,p=1")},
		{"memory under 8p", with(3, "m=7,t=1,p=1")},
		{"four TiB of memory", with(3, "m=4294967295,t=1,p=1")},
		{"memory overflows uint32", with(3, "m=4294967296,t=1,p=1")},
		{"salt not base64", with(4, "not*base64!")},
		{"salt padded", with(4, base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 16)))},
		{"salt too short", with(4, b64([]byte("1234567")))},
		{"salt empty", with(4, "")},
		{"hash not base64", with(5, "@@@@")},
		{"hash too short", with(5, b64(make([]byte, 15)))},
		{"hash too long", with(5, b64(make([]byte, 129)))},
		{"hash empty", with(5, "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, rehash, err := VerifyPassword(tc.encoded, "marmalade otter telescope")
			if err == nil || ok || rehash {
				t.Fatalf("VerifyPassword(%q) = %v, %v, %v; want false, false, an error", tc.encoded, ok, rehash, err)
			}
			if core.ErrorCode(err) != core.EINTERNAL || core.ErrorMessage(err) != "Something went wrong" {
				t.Errorf("error %v is %s %q: a corrupt stored hash is internal, and says nothing to the user",
					err, core.ErrorCode(err), core.ErrorMessage(err))
			}
		})
	}
	// The unchanged hash still verifies, so the cases above fail for the change they make.
	if ok, _, err := VerifyPassword(good, "marmalade otter telescope"); !ok || err != nil {
		t.Fatalf("control hash %q does not verify: %v, %v", good, ok, err)
	}
}

// Whatever is in the password_hash column, parsing neither panics nor lets through parameters
// that would make verification allocate or spin without bound.
func FuzzParsePasswordHash(f *testing.F) {
	f.Add(hashPasswordWith(cheapPasswordParams(), "marmalade otter telescope"))
	f.Add("$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Add("$argon2id$v=19$m=4294967295,t=4294967295,p=255$$")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, encoded string) {
		p, salt, key, err := parsePasswordHash(encoded)
		if err != nil {
			return
		}
		if p.threads < 1 || p.time < 1 || p.time > passwordMaxTime || p.memoryKiB < 8*uint32(p.threads) ||
			p.memoryKiB > passwordMaxMemoryKiB || len(salt) < passwordMinSaltLen ||
			len(key) < passwordMinKeyLen || len(key) > passwordMaxKeyLen {
			t.Errorf("parsePasswordHash(%q) accepted %+v, salt %d bytes, key %d bytes", encoded, p, len(salt), len(key))
		}
	})
}

// A user with no password set (or a password longer than any we store) verifies as false without
// error, and only after doing the work of a real verification: a quick "no" would tell an
// attacker which accounts have no password.
func TestVerifyPasswordWithoutHashSpendsTheTime(t *testing.T) {
	for _, tc := range []struct{ name, encoded, password string }{
		{"no password set", "", "marmalade otter telescope"},
		{"no password set, none given", "", ""},
		{"password over the limit", hashPasswordWith(cheapPasswordParams(), "x"), strings.Repeat("x", 257)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			ok, rehash, err := VerifyPassword(tc.encoded, tc.password)
			runtime.ReadMemStats(&after)
			if ok || rehash || err != nil {
				t.Errorf("VerifyPassword = %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
			// argon2id with today's parameters fills 64 MiB; a short cut allocates next to nothing.
			if grew := after.TotalAlloc - before.TotalAlloc; grew < 32<<20 {
				t.Errorf("allocated %d bytes: the answer came without hashing", grew)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	user := []string{"jane.smith@met.police.uk", "Jane Smith"}
	for _, tc := range []struct {
		name     string
		password string
		want     string // the message; "" means accepted
	}{
		{"empty", "", "Enter a password"},
		{"11 characters", "k3v9w7rtxq2", "Password must be at least 12 characters"},
		{"11 characters with accents (runes, not bytes)", "ñçéüöàèìòùå", "Password must be at least 12 characters"},
		{"257 bytes", strings.Repeat("marmalade otter ", 16) + "t", "Password must be 256 characters or fewer"},
		{"common password", "password1234", passwordCommon},
		{"common password, capitalised", "Password1234!", passwordCommon},
		{"common password, repeated", "passwordpassword", passwordCommon},
		{"keyboard walk", "1qaz2wsx3edc", passwordCommon},
		{"repeated character", "aaaaaaaaaaaaaaa", passwordSequence},
		{"alphabet", "abcdefghijklmnop", passwordSequence},
		{"name and year", "JaneSmith2024!", passwordPersonal},
		{"email address", "jane.smith@met.police.uk", passwordPersonal},
		{"email local part and digits", "jane.smith12345", passwordPersonal},
		{"force name repeated", "policepolice12", passwordPersonal},
		{"two words", "penguin lighthouse", passwordFewWords},
		{"passphrase", "Correct Horse Battery Staple 42", ""},
		{"all lowercase passphrase: no composition rules", "marmalade otter telescope", ""},
		{"12 random characters", "q7Vx#2mLp9Rz", ""},
		{"12 random lowercase letters", "vkqzwtrbxhjm", ""},
		{"non-Latin passphrase", "Звёздное небо над рекой", ""},
		{"exactly 256 bytes", strings.Repeat("marmalade otter ", 16), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPassword(tc.password, user...)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckPassword(%q) = %v, want accepted", tc.password, err)
				}
				return
			}
			var e *core.Error
			if !errors.As(err, &e) || e.Code != core.EINVALID || e.Field != "password" || e.Message != tc.want {
				t.Fatalf("CheckPassword(%q) = %#v, want EINVALID on password: %q", tc.password, err, tc.want)
			}
		})
	}

	t.Run("without the user's details their name is just a name", func(t *testing.T) {
		// The same password is refused above only because it is this user's email address.
		if err := CheckPassword("jane.smith@met.police.uk"); core.ErrorMessage(err) == passwordPersonal {
			t.Errorf("CheckPassword without user inputs = %v, want no mention of the user's details", err)
		}
	})
}

func TestTOTP(t *testing.T) {
	secret, rawURL, qr, err := NewTOTP("jane.smith@met.police.uk")
	if err != nil {
		t.Fatalf("NewTOTP: %v", err)
	}

	t.Run("secret and otpauth URL", func(t *testing.T) {
		if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(secret) {
			t.Errorf("secret %q is not 160 bits of unpadded base32", secret)
		}
		u, err := url.Parse(rawURL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/MSP Hub:jane.smith@met.police.uk" ||
			q.Get("secret") != secret || q.Get("issuer") != "MSP Hub" || q.Get("algorithm") != "SHA1" ||
			q.Get("digits") != "6" || q.Get("period") != "30" {
			t.Errorf("otpauth URL %q is not what authenticator apps expect", rawURL)
		}
		other, _, _, err := NewTOTP("jane.smith@met.police.uk")
		if err != nil || other == secret {
			t.Errorf("two enrolments share a secret (%v)", err)
		}
	})

	t.Run("QR code is a PNG data URL", func(t *testing.T) {
		data, ok := strings.CutPrefix(qr, "data:image/png;base64,")
		if !ok {
			t.Fatalf("QR %.40q... is not a PNG data URL", qr)
		}
		raw, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			t.Fatal(err)
		}
		img, format, err := image.Decode(bytes.NewReader(raw))
		if err != nil || format != "png" {
			t.Fatalf("image.Decode = %v, %q", err, format)
		}
		if b := img.Bounds(); b.Dx() < 150 || b.Dx() > 300 || b.Dx() != b.Dy() {
			t.Errorf("QR is %dx%d, want square and about 200x200", b.Dx(), b.Dy())
		}
	})

	t.Run("no account", func(t *testing.T) {
		if _, _, _, err := NewTOTP(" "); err == nil {
			t.Error("NewTOTP(\" \") succeeded")
		}
	})

	// Mid-step, so that ±30 s lands squarely on the neighbouring steps.
	now := time.Unix(1_750_000_005, 0)
	step := now.Unix() / 30
	code := func(at time.Time) string {
		c, err := totp.GenerateCode(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		name     string
		code     string
		lastStep int64
		wantOK   bool
		wantStep int64
	}{
		{"code for now", code(now), 0, true, step},
		{"code from 30 s ago (clock drift)", code(now.Add(-30 * time.Second)), 0, true, step - 1},
		{"code from 30 s ahead (clock drift)", code(now.Add(30 * time.Second)), 0, true, step + 1},
		{"code from 90 s ago", code(now.Add(-90 * time.Second)), 0, false, 0},
		{"code from 90 s ahead", code(now.Add(90 * time.Second)), 0, false, 0},
		{"typed with a space", code(now)[:3] + " " + code(now)[3:], 0, true, step},
		{"typed with a hyphen and padding", " " + code(now)[:3] + "-" + code(now)[3:] + " ", 0, true, step},
		{"replayed: step already used", code(now), step, false, 0},
		{"replayed: a later step was used", code(now), step + 1, false, 0},
		{"previous step's code after this step was used", code(now.Add(-30 * time.Second)), step - 1, false, 0},
		{"next step's code after this step was used", code(now.Add(30 * time.Second)), step, true, step + 1},
		{"wrong code", wrongCode(code(now), code(now.Add(-30*time.Second)), code(now.Add(30*time.Second))), 0, false, 0},
		{"too short", code(now)[:5], 0, false, 0},
		{"too long", code(now) + "0", 0, false, 0},
		{"letters", "abcdef", 0, false, 0},
		{"empty", "", 0, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := VerifyTOTP(secret, tc.code, now, tc.lastStep)
			if ok != tc.wantOK || got != tc.wantStep {
				t.Errorf("VerifyTOTP(%q, lastStep %d) = %d, %v; want %d, %v", tc.code, tc.lastStep, got, ok, tc.wantStep, tc.wantOK)
			}
		})
	}

	t.Run("lowercase secret still works", func(t *testing.T) {
		if _, ok := VerifyTOTP(strings.ToLower(secret), code(now), now, 0); !ok {
			t.Error("a lowercased secret does not verify")
		}
	})
	for _, bad := range []string{"", "not base32!", "JBSWY3DPEHPK3PXP" /* 80 bits */} {
		t.Run("unusable secret "+bad, func(t *testing.T) {
			// With an empty HMAC key, codes would be predictable: these must never verify.
			c, err := totp.GenerateCode(bad, now)
			if err != nil {
				c = code(now)
			}
			if _, ok := VerifyTOTP(bad, c, now, 0); ok {
				t.Errorf("VerifyTOTP accepted a code for secret %q", bad)
			}
		})
	}
}

// wrongCode returns a six-digit code that is none of the valid ones.
func wrongCode(valid ...string) string {
	for _, c := range []string{"000000", "111111", "123456", "654321"} {
		clash := false
		for _, v := range valid {
			clash = clash || c == v
		}
		if !clash {
			return c
		}
	}
	panic("unreachable")
}

func TestRecoveryCodes(t *testing.T) {
	codes, hashes := NewRecoveryCodes()
	if len(codes) != 10 || len(hashes) != 10 {
		t.Fatalf("got %d codes and %d hashes, want 10 of each", len(codes), len(hashes))
	}
	// Ten symbols from a 32-symbol alphabet: 50 bits. No i, l, o or u to misread.
	format := regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$`)
	seenCodes, seenHashes := map[string]bool{}, map[string]bool{}
	for i, c := range codes {
		if !format.MatchString(c) {
			t.Errorf("code %q is not xxxxx-xxxxx in lowercase Crockford base32", c)
		}
		if hashes[i] != RecoveryCodeHash(c) || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(hashes[i]) {
			t.Errorf("hash %q of code %q is not its SHA-256 hex", hashes[i], c)
		}
		if seenCodes[c] || seenHashes[hashes[i]] {
			t.Errorf("code %q repeated", c)
		}
		seenCodes[c], seenHashes[hashes[i]] = true, true
	}

	t.Run("symbols are used evenly", func(t *testing.T) {
		// 1,000 codes give 10,000 symbols: about 312 of each of 32. A stuck or biased generator
		// (say, only 16 symbols, or 40 bits) would leave some far below.
		counts := map[rune]int{}
		for range 100 {
			cs, _ := NewRecoveryCodes()
			for _, c := range cs {
				for _, r := range strings.ReplaceAll(c, "-", "") {
					counts[r]++
				}
			}
		}
		if len(counts) != 32 {
			t.Fatalf("%d distinct symbols, want 32", len(counts))
		}
		for r, n := range counts {
			if n < 200 || n > 430 {
				t.Errorf("symbol %q appears %d times in 10,000, want about 312", r, n)
			}
		}
	})

	t.Run("hash forgives how the code is typed", func(t *testing.T) {
		for _, tc := range []struct {
			a, b string
			same bool
		}{
			{"ABCDE-FGHIJ", "abcdefghij", true},
			{"abcde-fghij", " abcde fghij ", true},
			{"abcde-fghjk", "ABCDEFGHJK", true},
			{"10abc-defgh", "loabc-defgh", true}, // l for 1, o for 0
			{"10abc-defgh", "IOabc-defgh", true}, // I for 1, O for 0
			{"abcde-fghjk", "abcde-fghjm", false},
			{"abcde-fghjk", "abcde-fghj", false},
		} {
			if got := RecoveryCodeHash(tc.a) == RecoveryCodeHash(tc.b); got != tc.same {
				t.Errorf("RecoveryCodeHash(%q) == RecoveryCodeHash(%q) is %v, want %v", tc.a, tc.b, got, tc.same)
			}
		}
	})
}
