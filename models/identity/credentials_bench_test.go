package identity

import (
	"strconv"
	"strings"
	"testing"
)

// The cost of one sign-in is one argon2id hash on one core. It must stay within 50–250 ms: less
// and stolen hashes are cheap to crack, more and sign-in is slow and easy to overload. Run
//
//	go test -run '^$' -bench 'Password(Hash|Verify)' ./models
//
// on the production hardware after changing currentPasswordParams; the ms/op metric is the cost.

func BenchmarkPasswordHash(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("marmalade otter telescope"); err != nil {
			b.Fatal(err)
		}
	}
	reportMillisecondsPerOp(b)
}

func BenchmarkPasswordVerify(b *testing.B) {
	encoded, err := HashPassword("marmalade otter telescope")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, err := VerifyPassword(encoded, "marmalade otter telescope"); !ok || err != nil {
			b.Fatalf("VerifyPassword = %v, %v", ok, err)
		}
	}
	reportMillisecondsPerOp(b)
}

// reportMillisecondsPerOp adds ms/op, the unit the sign-in budget is stated in, to ns/op.
func reportMillisecondsPerOp(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/op")
}

// BenchmarkCheckPasswordHostile is the strength check on hostile input: long, and full of
// look-alike symbols that zxcvbn would read in thousands of ways. Cutting the password and
// capping the look-alike readings keep it to milliseconds (it took 4 s before).
func BenchmarkCheckPasswordHostile(b *testing.B) {
	for _, password := range []string{
		strings.Repeat("4@8({[<369!|1705$+%2", 13)[:256],
		strings.Repeat("0123456789", 26)[:256],
		strings.Repeat("a", 256),
	} {
		b.Run(strconv.Itoa(len(password))+"-"+password[:3], func(b *testing.B) {
			for range b.N {
				_ = CheckPassword(password, "jane.smith@met.police.uk", "Jane Smith")
			}
		})
	}
}
