package casefile

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
)

// The fuzz targets of the case file's parsers of outside input: the URN and the exhibit
// reference (the schedules' description checks are package schedule's). `make test` runs their seeds (below and in
// testdata/fuzz) as ordinary tests; `make fuzz` fuzzes each for FUZZTIME.

// A URN that NormaliseURN accepts is in the one stored form (capitals, no separators, the
// police pattern), normalises to itself, and keeps its meaning with separators put back.
func FuzzNormaliseURN(f *testing.F) {
	for _, s := range []string{"45AB1234523", "45 AB 12345 23", "45/ab/12345/23", " 45-AB-12345-23 ", "45.ab.12345.23",
		"0101000017", "45AB123452", "45AB12345234", "4XAB1234523", "45A!1234523", "", " ", "\t45AB1234523\t",
		"٤٥AB1234523", "45ab1234523\n", "45AB1234523\x00", "45ÅB1234523"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := NormaliseURN(s)
		if err != nil {
			if u != "" || core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("%q: %q, %v; want \"\" and a field error", s, u, err)
			}
			if e, ok := err.(*core.Error); !ok || e.Field != "urn" || e.Message == "" {
				t.Fatalf("%q: error %#v does not name the urn field with a message", s, err)
			}
			return
		}
		if !urnPattern.MatchString(u) || len(u) != 11 {
			t.Fatalf("%q accepted as %q, which is not a stored URN", s, u)
		}
		again, err := NormaliseURN(u)
		if err != nil || again != u {
			t.Fatalf("%q: %q normalises to %q, %v", s, u, again, err)
		}
		spaced := strings.ToLower(u[:2] + "/" + u[2:4] + "-" + u[4:9] + "." + u[9:])
		if got, err := NormaliseURN(" " + spaced + " "); err != nil || got != u {
			t.Fatalf("%q with separators gives %q, %v; want %q", spaced, got, err, u)
		}
	})
}

// An exhibit reference that validates is at most 40 characters of the allowed set, with single
// spaces and none at either end; it validates to itself, and its key (how references are
// compared) is the input's key: capitals, no spaces.
func FuzzExhibitReference(f *testing.F) {
	for _, s := range []string{"JS/1", "js/1", " JS / 1 ", "AB-12.3", "JS/1\u00a0A", "/JS1", "-1", "", "  ", "JS\t\t/1",
		strings.Repeat("A", 40), strings.Repeat("A", 41), "JS/1<script>", "ÉS/1", "JS\u20281", "J\x85S/1", "\xff"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, ref string) {
		in := EvidenceInput{ExhibitRef: ref, Description: "Witness statement of J Smith", Producer: "PC 123 Smith"}
		err := in.validate(now)
		if err != nil {
			if core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("%q: %v, want a field error", ref, err)
			}
			if e := err.(*core.Error); e.Field != "exhibit_ref" {
				t.Fatalf("%q: error on %q, not on exhibit_ref (the rest of the input is valid)", ref, e.Field)
			}
			return
		}
		got := in.ExhibitRef
		switch {
		case got == "" || utf8.RuneCountInString(got) > 40 || !exhibitPattern.MatchString(got):
			t.Fatalf("%q accepted as %q", ref, got)
		case strings.Contains(got, "  ") || strings.TrimSpace(got) != got:
			t.Fatalf("%q accepted as %q, with stray spaces", ref, got)
		}
		if exhibitKey(got) != exhibitKey(ref) {
			t.Fatalf("%q: key %q of the stored reference %q differs from the input's %q", ref, exhibitKey(got), got, exhibitKey(ref))
		}
		key := exhibitKey(got)
		if key == "" || strings.ContainsAny(key, " \t") || strings.ToUpper(key) != key {
			t.Fatalf("%q: key %q is not capitals without spaces", ref, key)
		}
		again := EvidenceInput{ExhibitRef: got, Description: in.Description, Producer: in.Producer}
		if err := again.validate(now); err != nil || again.ExhibitRef != got {
			t.Fatalf("%q: the stored %q validates to %q, %v", ref, got, again.ExhibitRef, err)
		}
	})
}
