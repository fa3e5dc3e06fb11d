package training

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
)

// A bulk enrolment file is read safely: a header row or none, a byte-order mark, blank lines,
// per-line problems kept for the report, and whole-file refusals for what cannot be a list.
func TestReadBulkFile(t *testing.T) {
	lines, err := readBulkFile(strings.NewReader("\xef\xbb\xbfName,Email Address\r\nAda,ADA@Example.Police.UK\r\n\r\nBob,not an address\r\nCy\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []bulkLine{{line: 2, email: "ada@example.police.uk"}, {line: 4, email: "not an address", err: "Not an email address."}, {line: 5, err: "This row has no email address."}}
	if len(lines) != len(want) {
		t.Fatalf("lines %+v", lines)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, lines[i], want[i])
		}
	}
	// No header: the first column of every line.
	lines, err = readBulkFile(strings.NewReader("one@example.police.uk\ntwo@example.police.uk,extra\n"))
	if err != nil || len(lines) != 2 || lines[1].email != "two@example.police.uk" || lines[0].line != 1 {
		t.Errorf("no header: %+v %v", lines, err)
	}
	// A formula is just text that is not an address; nothing evaluates it.
	lines, _ = readBulkFile(strings.NewReader("=cmd|'/c calc'!A1\n"))
	if len(lines) != 1 || lines[0].err == "" {
		t.Errorf("formula: %+v", lines)
	}
	for _, bad := range []struct {
		name, body string
		code       core.Code
	}{
		{"empty", "", core.EINVALID},
		{"only a header", "email\n", core.EINVALID},
		{"too many rows", strings.Repeat("a@example.police.uk\n", MaxBulkRows+1), core.EINVALID},
		{"too large", strings.Repeat("a", MaxBulkBytes+1), core.ETOOLARGE},
		{"not UTF-8", "caf\xe9@example.police.uk\n", core.EINVALID},
		{"bad quotes", "\"a@example.police.uk\n", core.EINVALID},
	} {
		if _, err := readBulkFile(strings.NewReader(bad.body)); core.ErrorCode(err) != bad.code {
			t.Errorf("%s: %v, want %s", bad.name, err, bad.code)
		}
	}
	// A reader that fails is a clear error, not a panic or a partial list.
	if _, err := readBulkFile(failingReader{}); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("failing reader: %v", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// Content lines are folded at 75 octets without splitting a character, and unfold to what was
// written; text values are escaped.
func TestICalLines(t *testing.T) {
	var b strings.Builder
	long := "SUMMARY:" + strings.Repeat("Ça va — modern slavery; victims, ", 8)
	icalLine(&b, long)
	out := b.String()
	if !strings.HasSuffix(out, "\r\n") {
		t.Fatal("no CRLF at the end")
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("a character was split: %q", l)
		}
	}
	if unfolded := strings.ReplaceAll(strings.TrimSuffix(out, "\r\n"), "\r\n ", ""); unfolded != long {
		t.Errorf("unfolded:\n%q\nwant\n%q", unfolded, long)
	}
	if got := icalText("a;b,c\\d\r\ne"); got != `a\;b\,c\\d\ne` {
		t.Errorf("escaped %q", got)
	}
}

// Verification codes are 16 characters of Crockford's base 32, read back however people type
// them.
func TestVerificationCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c := newVerificationCode()
		if len(c) != 19 || NormaliseVerificationCode(c) != c || seen[c] {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
	}
	for in, want := range map[string]string{
		"7kq2 m9xd 4rta 0b8c":   "7KQ2-M9XD-4RTA-0B8C",
		"7KQ2M9XD4RTAOB8C":      "7KQ2-M9XD-4RTA-0B8C", // O read as 0
		"IKQ2-M9XD-4RTA-0B8L":   "1KQ2-M9XD-4RTA-0B81",
		"7KQ2-M9XD-4RTA":        "",
		"7KQ2-M9XD-4RTA-0B8U":   "", // U is not in the alphabet
		"<script>alert(1)</sc>": "",
	} {
		if got := NormaliseVerificationCode(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// Certificate dates are UK dates: expiry is the same day validity months later, and a
// certificate is expired from that day.
func TestCertificateDates(t *testing.T) {
	completed := time.Date(2026, 1, 31, 0, 0, 0, 0, core.London).UTC()
	exp := time.Date(2027, 1, 31, 0, 0, 0, 0, core.London).UTC()
	c := Certificate{CompletedOn: completed, ExpiresOn: &exp}
	eve := time.Date(2027, 1, 30, 23, 30, 0, 0, core.London)
	if c.StatusOn(eve) != CertificateValid || c.StatusOn(eve.Add(time.Hour)) != CertificateExpired {
		t.Errorf("status around expiry: %s, %s", c.StatusOn(eve), c.StatusOn(eve.Add(time.Hour)))
	}
	if !c.DueWithin(exp.AddDate(0, 0, -60), 60) || c.DueWithin(exp.AddDate(0, 0, -62), 60) {
		t.Error("due for renewal within 60 days")
	}
	if (Certificate{}).DueWithin(eve, 60) {
		t.Error("a certificate that does not expire is never due")
	}
	// British Summer Time: midnight in London is 23:00 UTC the day before.
	summer := trainingDayStart(time.Date(2026, 7, 1, 0, 30, 0, 0, time.UTC))
	if summer != time.Date(2026, 6, 30, 23, 0, 0, 0, time.UTC) {
		t.Errorf("day start in summer: %v", summer)
	}
}

// Session input is checked as a trainer would expect.
func TestSessionInputRules(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	day := func(d int, h, m int, hours time.Duration) DayInput {
		s := time.Date(2026, 3, d, h, m, 0, 0, time.UTC)
		return DayInput{StartsAt: s, EndsAt: s.Add(hours)}
	}
	good := func() SessionInput {
		return SessionInput{Days: []DayInput{day(10, 9, 0, 7*time.Hour), day(9, 9, 0, 7*time.Hour)}, Venue: "Exeter", Capacity: 10,
			BookingClosesAt: now.AddDate(0, 0, 5), CancellationCutoffAt: now.AddDate(0, 0, 4)}
	}
	in := good()
	if err := in.validate(now, true); err != nil {
		t.Fatal(err)
	}
	if !in.Days[0].StartsAt.Before(in.Days[1].StartsAt) {
		t.Error("days are not sorted")
	}
	for _, tc := range []struct {
		field  string
		change func(*SessionInput)
	}{
		{"days", func(in *SessionInput) { in.Days = nil }},
		{"end_time", func(in *SessionInput) { in.Days[0].EndsAt = in.Days[0].StartsAt }},
		{"end_time", func(in *SessionInput) { in.Days[0].EndsAt = in.Days[0].StartsAt.Add(25 * time.Hour) }},
		{"days", func(in *SessionInput) { in.Days[1] = day(10, 12, 0, 2*time.Hour) }},
		{"starts_on", func(in *SessionInput) { in.Days[0] = day(1, 9, 0, time.Hour) }},
		{"venue", func(in *SessionInput) { in.Venue = " " }},
		{"capacity", func(in *SessionInput) { in.Capacity = 0 }},
		{"min_learners", func(in *SessionInput) { in.MinLearners = 11 }},
		{"booking_closes", func(in *SessionInput) { in.BookingClosesAt = time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC) }},
		{"cancellation_cutoff", func(in *SessionInput) { in.CancellationCutoffAt = time.Time{} }},
	} {
		in := good()
		tc.change(&in)
		var e *core.Error
		if err := in.validate(now, true); !errors.As(err, &e) || e.Field != tc.field {
			t.Errorf("want an error at %s, got %v", tc.field, err)
		}
	}
}

// The certificate renders in the PDF core fonts whatever the learner's name: characters
// outside them become question marks rather than failing the download.
func TestCertificatePDF(t *testing.T) {
	exp := time.Date(2029, 5, 1, 0, 0, 0, 0, time.UTC)
	c := Certificate{Number: "MSPC-2026-000007", Code: "7KQ2-M9XD-4RTA-0B8C", LearnerName: "Zoë O’Brien 王 🙂", CourseCode: "MSI-4D",
		CourseTitle: "Modern slavery investigators (accredited)", CPDHours: 28, CompletedOn: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), ExpiresOn: &exp,
		IssuedAt: time.Date(2026, 5, 1, 17, 0, 0, 0, time.UTC)}
	b, err := c.pdf("https://msphub.example")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"%PDF-1.", "MSPC-2026-000007", "Modern slavery investigators (accredited)", "1 May 2029", "28", "https://msphub.example/certificates/verify/7KQ2-M9XD-4RTA-0B8C"} {
		if !strings.Contains(strings.ReplaceAll(strings.ReplaceAll(s, `\(`, "("), `\)`, ")"), want) {
			t.Errorf("the PDF does not contain %q", want)
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(s), "%%EOF") {
		t.Error("the PDF is not complete")
	}
	again, _ := c.pdf("https://msphub.example")
	if string(again) != s {
		t.Error("the same certificate renders differently each time")
	}
}

// A certificate is in the reminder window of the fewest days that still covers the days it has
// left; beyond the first window there is none.
func TestRenewalWindow(t *testing.T) {
	for left, want := range map[int]int{1: 7, 7: 7, 8: 30, 30: 30, 31: 60, 60: 60, 61: 0, 365: 0} {
		if got := renewalWindow(left); got != want {
			t.Errorf("%d days left: window %d, want %d", left, got, want)
		}
	}
}
