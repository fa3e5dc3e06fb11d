package templates_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/templates"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
)

// fixture is the template operations over a fresh database, and a way to add people to it.
type fixture struct {
	*templates.Service
	people modelstest.People
}

func newServices(t *testing.T) fixture {
	t.Helper()
	clock := modelstest.ClockAt(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	s := models.New(modelstest.DepsOn(t, modelstest.OpenDB(t), modelstest.BlobBackend(t), clock))
	return fixture{Service: s.Templates, people: modelstest.People{Operator: s.Operator, Clock: clock, Prefix: "tpl", Name: "Template Person"}}
}

// The templates carry DOMAIN.md §F4: the victim items, the applications, restraint and account
// freezing orders (T0); consent irrelevant by s1(5) (T1); the s3 purposes without "criminal
// exploitation" (T2, whose version 1 is kept as it was); the Brecani note (T4); the GLAA as an
// STPO/STRO applicant (T5); and a template for each offence §F4 adds, in the order pages list them.
func TestSecondReviewTemplates(t *testing.T) {
	ctx := context.Background()
	s := newServices(t)
	admin := s.people.Vetted(t, identity.ProgrammeUnitSlug, core.VettingRV, policies.RoleAdmin)
	latest, err := s.Latest(ctx, admin)
	modelstest.Must(t, err)
	var codes []string
	text := map[string]string{} // every item's text and why, per code
	for _, tpl := range latest {
		codes = append(codes, tpl.Code)
		for _, it := range tpl.Items {
			text[tpl.Code] += it.Text + " | " + it.Why + "\n"
		}
		if strings.Contains(tpl.Title, tpl.Code) || casefile.TemplateAppliesTo(tpl.Code) == "" || len(tpl.Items) < 3 {
			t.Errorf("%s: title %q, applies to %q, %d items", tpl.Code, tpl.Title, casefile.TemplateAppliesTo(tpl.Code), len(tpl.Items))
		}
	}
	if want := []string{"T0", "T1", "T2", "T3", "T6", "T7", "T8", "T9", "T10", "T11", "T12", "T4", "T5"}; !slices.Equal(codes, want) {
		t.Errorf("templates %v, want %v", codes, want)
	}
	for code, wants := range map[string][]string{
		"T0": {"ABE or video-recorded interview of each victim, with the interpreter's details", "Intermediary", "MSA s46 makes trafficking victims eligible via YJCEA s17(4)",
			"s28 pre-recorded cross-examination", "Victim personal statement", "Independent child trafficking guardian",
			"Police, Crime, Sentencing and Courts Act 2022 s37", "CJA 2003 s116", "CJA 2003 ss100–101", "PACE Code D", "restraint orders and account freezing orders (POCA)"},
		"T1":  {"consent is irrelevant (s1(5))"},
		"T2":  {"securing services by force, threats or deception (s3(5))", "from children or vulnerable persons (s3(6))"},
		"T4":  {"not admissible as expert evidence (R v Brecani [2021] EWCA Crim 731)", "reasons for departing from it"},
		"T5":  {"GLAA labour abuse prevention officer"},
		"T6":  {"STPO or STRO"},
		"T7":  {"The agreement", "its own checklist applies too"},
		"T10": {"criminal property"},
		"T11": {"GLAA licence"},
		"T12": {"Line-phone data"},
	} {
		for _, w := range wants {
			if !strings.Contains(text[code], w) {
				t.Errorf("%s lacks %q:\n%s", code, w, text[code])
			}
		}
	}
	versions, err := s.Versions(ctx, admin, "T2")
	modelstest.Must(t, err)
	if len(versions) != 2 || versions[0].Version != 2 || versions[1].Version != 1 {
		t.Fatalf("T2 versions %+v", versions)
	}
	purpose := func(tpl casefile.ChecklistTemplate) string {
		for _, it := range tpl.Items {
			if strings.HasPrefix(it.Text, "Intended exploitation") {
				return it.Text
			}
		}
		return ""
	}
	if p := purpose(versions[0]); !strings.Contains(p, "s3(5)") || !strings.Contains(p, "s3(6)") || strings.Contains(strings.ToLower(p), "criminal") {
		t.Errorf("T2 version 2's exploitation item: %q", p)
	}
	if p := purpose(versions[1]); p != "Intended exploitation (labour, sexual, criminal, organs)" {
		t.Errorf("T2 version 1's exploitation item changed: %q", p)
	}
}
