package core_test

import (
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// Each vetting level's clearance, as Access writes it down: police and national security vetting
// that covers police systems gives case material; premises-only, abbreviated and baseline
// checks give guidance and training only; so does any level once it has expired.
func TestVettingLevelsGiveTheirClearance(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	caseMaterial := map[core.Vetting]bool{core.VettingRV: true, core.VettingMV: true, core.VettingNPPV2: true, core.VettingNPPV3: true,
		core.VettingCTC: true, core.VettingSC: true, core.VettingDV: true}
	for _, v := range core.VettingLevels() {
		clearance, vetted := core.Access(v, nil, now)
		if vetted != caseMaterial[v] || (clearance == policies.OfficialSensitive) != caseMaterial[v] {
			t.Errorf("%s: clearance %v, case material %v; want case material %v", v, clearance, vetted, caseMaterial[v])
		}
		if v.Label() == "Not vetted" && v != core.VettingNone {
			t.Errorf("%s has no label", v)
		}
		lapsed := now.Add(-time.Hour)
		if clearance, vetted := core.Access(v, &lapsed, now); vetted || clearance != policies.Official {
			t.Errorf("%s expired: clearance %v, case material %v", v, clearance, vetted)
		}
	}
	for _, v := range []core.Vetting{core.VettingNPPV2A, core.VettingBPSS, core.VettingNPPV1, core.VettingNone} {
		if _, vetted := core.Access(v, nil, now); vetted {
			t.Errorf("%s gives case material", v)
		}
	}
	if core.Vetting("NPPV4").Valid() {
		t.Error("an unknown level is valid")
	}
}
