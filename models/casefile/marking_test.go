package casefile_test

import (
	"context"
	"testing"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
)

// A case marked OFFICIAL-SENSITIVE may carry a descriptor of the 2023 classification policy
// (DOMAIN.md §F5); it is printed with the marking, refused on OFFICIAL, and every wrong field is
// reported at once with nothing saved.
func TestCaseDescriptorGoesWithOfficialSensitive(t *testing.T) {
	f := newCaseFixture(t)
	ctx := context.Background()
	in := casefile.CaseInput{URN: "45AB1234523", Operation: "Operation Kestrel", Offences: []casefile.Offence{casefile.OffenceS2},
		Classification: "OFFICIAL", Descriptor: "personal", SupervisorID: f.sup.UserID}
	_, err := f.cases.Create(ctx, f.inv, in)
	if core.ErrorCode(err) != core.EINVALID || !hasField(err, "descriptor") {
		t.Fatalf("OFFICIAL with a descriptor: %v, want the descriptor refused", err)
	}
	bad := in
	bad.Descriptor, bad.Operation = "SECRETISH", ""
	if _, err := f.cases.Create(ctx, f.inv, bad); !hasField(err, "descriptor") || !hasField(err, "operation") {
		t.Fatalf("two wrong fields: %v, want both reported", err)
	}
	var n int64
	if err := f.db.Gorm().Table("case_files").Count(&n).Error; err != nil || n != 0 {
		t.Fatalf("%d cases saved by refused input (%v)", n, err)
	}

	in.Classification = "OFFICIAL-SENSITIVE"
	cv, err := f.cases.Create(ctx, f.inv, in)
	if err != nil {
		t.Fatal(err)
	}
	if cv.Descriptor != "PERSONAL" || cv.MarkingLine() != "OFFICIAL-SENSITIVE PERSONAL" || cv.Marking != "OFFICIAL-SENSITIVE" {
		t.Fatalf("saved %q, printed %q, classification %q", cv.Descriptor, cv.MarkingLine(), cv.Marking)
	}
	in.Descriptor = ""
	if cv, err = f.cases.Update(ctx, f.inv, cv.ID, in); err != nil || cv.MarkingLine() != "OFFICIAL-SENSITIVE" {
		t.Fatalf("descriptor removed: %q, %v", cv.MarkingLine(), err)
	}
	if n := modelstest.AuditCount(t, f.db, "casefile.update", core.IDString(cv.ID)); n != 1 {
		t.Fatalf("the change of marking audited %d times", n)
	}
}

// hasField reports whether err is EINVALID naming field.
func hasField(err error, field string) bool {
	e, ok := err.(*core.Error)
	if !ok || e.Code != core.EINVALID {
		return false
	}
	if e.Field == field {
		return true
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}
