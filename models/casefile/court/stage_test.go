package court

import (
	"slices"
	"testing"
)

// The stage machine after charge, written out: every step each stage allows. Every other pair is
// refused, and refusal names the stages a step follows.
func TestStageMachineAllowsExactlyTheseSteps(t *testing.T) {
	allowed := map[Stage][]Stage{
		StageCharged:           {StageFirstHearing},
		StageFirstHearing:      {StagePTPH, StageOutcomes},
		StagePTPH:              {StageFullFile, StageDefenceStatement, StageOutcomes},
		StageFullFile:          {StageDefenceStatement, StageTrial, StageOutcomes},
		StageDefenceStatement:  {StageDisclosureReview, StageOutcomes},
		StageDisclosureReview:  {StageFurtherDisclosure, StageTrial, StageOutcomes},
		StageFurtherDisclosure: {StageTrial, StageOutcomes},
		StageTrial:             {StageOutcomes},
		StageOutcomes:          {StageSentenced},
		StageSentenced:         {StageConfiscation},
		StageConfiscation:      {},
		StageClosed:            {},
	}
	for from, tos := range allowed {
		for _, st := range steps {
			want := slices.Contains(tos, st.stage)
			if got := next(from, st.stage); got != want {
				t.Errorf("%s → %s: allowed %v, want %v", from, st.stage, got, want)
			}
			if !want && refusal(from, st.stage) == nil {
				t.Errorf("%s → %s: no refusal", from, st.stage)
			}
		}
	}
	if len(allowed) != len(steps)+2 {
		t.Errorf("the table names %d stages, the machine has %d", len(allowed), len(steps)+2)
	}
}
