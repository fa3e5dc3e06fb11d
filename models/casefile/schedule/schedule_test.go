package schedule

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// GenericDescription does not depend on surrounding space, flags everything under 20
// characters, and never flags a description again once more words follow it; a schedule entry
// that validates without a reason for a generic description has a description that is not generic, trimmed, within
// its limit.
func FuzzScheduleDescription(f *testing.F) {
	for _, s := range []string{"Documents", "misc papers", "Various bundles of documents", "Bundle of papers, misc items", "Box 3",
		"Tenancy agreement for 14 Mill Lane signed by the suspect", "ANPR hits for van WX21 ABC, 1–7 May 2025", "Daily till rolls",
		"Informant contact log for the farm address", "", "12345678901234567890 123", "é́é́é́é́é́é́é́é́é́é́ aa bb cc", "\xff\xfe\xfd abc def ghi jkl mno",
		"ａｂｃ ｄｅｆ ｇｈｉ ｊｋｌ ｍｎｏ", "x x x x x x x x x x x x"} {
		f.Add(s, "and then some")
	}
	f.Fuzz(func(t *testing.T, desc, more string) {
		generic := GenericDescription(desc)
		if GenericDescription(" \t"+desc+"\n ") != generic {
			t.Fatalf("%q: surrounding space changes the verdict", desc)
		}
		if utf8.RuneCountInString(strings.TrimSpace(desc)) < 20 && !generic {
			t.Fatalf("%q is under 20 characters but not flagged", desc)
		}
		if !generic && GenericDescription(desc+" "+more) {
			t.Fatalf("%q is specific but flagged once %q follows it", desc, more)
		}
		in := EntryInput{Schedule: MG6C, Description: desc, Location: "Exeter property store"}
		_, err := in.Validate(policies.OfficialSensitive)
		if err == nil {
			if GenericDescription(in.Description) || strings.TrimSpace(in.Description) != in.Description || utf8.RuneCountInString(in.Description) > 2000 {
				t.Fatalf("%q accepted as %q", desc, in.Description)
			}
		} else if e, ok := err.(*core.Error); !ok || e.Code != core.EINVALID || e.Field != "description" {
			t.Fatalf("%q: %v, want a field error on description", desc, err)
		}
		kept := EntryInput{Schedule: MG6D, Description: desc, Location: "Source unit", OfficerView: "Reveals a source", GenericReason: "Daily rolls, all alike"}
		if _, err := kept.Validate(policies.OfficialSensitive); err != nil && strings.TrimSpace(desc) != "" && utf8.RuneCountInString(strings.TrimSpace(desc)) <= 2000 {
			t.Fatalf("%q kept on purpose: %v", desc, err)
		}
	})
}
