// Package casefiletest takes a case file through the steps a test needs before the part it
// tests: it is for tests only.
package casefiletest

import (
	"context"
	"testing"
	"time"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/charging"
	"github.com/msptp/msphub/models/core"
)

// Charge takes case id from preparation to charged, at now: its required early-advice and
// pre-charge items marked not applicable, a Full Code Test pack (DG6 red) submitted by inv and
// approved by sup, shared with the Crown Prosecutor pros for three months, the decision to
// charge S1 with the s2 offence, and the police charge recorded by inv.
func Charge(t testing.TB, cs *casefile.Service, inv, sup, pros core.Actor, id int64, now time.Time) {
	t.Helper()
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	items, err := cs.Checklist(ctx, inv, id)
	must(nil, err)
	for _, it := range items {
		if it.Required && (it.Stage == casefile.StageEIA || it.Stage == casefile.StagePreCharge) {
			must(cs.UpdateItem(ctx, inv, id, it.ID, casefile.ItemInput{Status: casefile.ItemNotApplicable, NAReason: "Test case"}))
		}
	}
	must(cs.Submit(ctx, inv, id, casefile.SubmitInput{Purpose: casefile.PurposeCharging, Submission: charging.Submission{Category: charging.Red, Test: charging.FullCode}}))
	must(cs.Approve(ctx, sup, id))
	until := now.AddDate(0, 3, 0)
	must(cs.Share(ctx, sup, id, casefile.ShareInput{LiaisonID: pros.UserID, ExpiresOn: &until}))
	must(cs.RecordDecision(ctx, pros, id, casefile.DecisionInput{Decision: casefile.DecisionCharge, Reasons: "Full Code Test met",
		Terms: charging.Terms{Test: charging.FullCode, Charges: []charging.Charge{{Suspect: "S1", Offence: string(casefile.OffenceS2), Statute: "Modern Slavery Act 2015 s2(1)"}}}}))
	must(cs.RecordCharge(ctx, inv, id, casefile.ChargeInput{ChargedOn: &now, ChargedBy: "PS 1234 Example"}))
}
