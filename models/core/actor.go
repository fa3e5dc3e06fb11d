package core

import (
	"context"
	"slices"
	"time"

	"github.com/msptp/msphub/policies"
)

// Vetting is a user's vetting level: police vetting (DOMAIN.md §C2) or, for staff of the CPS,
// the NCA, the Home Office and HMRC, national security vetting (§F5).
type Vetting string

// Vetting levels MSP Hub records.
const (
	VettingNone   Vetting = "none"
	VettingRV     Vetting = "RV"     // recruitment vetting: all officers, staff and specials
	VettingMV     Vetting = "MV"     // management vetting: designated posts
	VettingNPPV1  Vetting = "NPPV1"  // non-police personnel, premises only
	VettingNPPV2A Vetting = "NPPV2A" // non-police personnel level 2, abbreviated: no police systems
	VettingNPPV2  Vetting = "NPPV2"  // non-police personnel (full), OFFICIAL-SENSITIVE with systems access
	VettingNPPV3  Vetting = "NPPV3"  // non-police personnel, frequent SECRET
	VettingBPSS   Vetting = "BPSS"   // Baseline Personnel Security Standard
	VettingCTC    Vetting = "CTC"    // counter-terrorist check
	VettingSC     Vetting = "SC"     // security check
	VettingDV     Vetting = "DV"     // developed vetting
)

// VettingLevels lists the levels in the order forms offer them: police vetting, then national
// security vetting.
func VettingLevels() []Vetting {
	return []Vetting{VettingNone, VettingRV, VettingMV, VettingNPPV1, VettingNPPV2A, VettingNPPV2, VettingNPPV3,
		VettingBPSS, VettingCTC, VettingSC, VettingDV}
}

// Valid reports whether v is one of VettingLevels.
func (v Vetting) Valid() bool { return slices.Contains(VettingLevels(), v) }

// Label is the level as forms and pages show it.
func (v Vetting) Label() string {
	switch v {
	case VettingRV:
		return "Recruitment vetting (RV)"
	case VettingMV:
		return "Management vetting (MV)"
	case VettingNPPV1:
		return "Non-police personnel vetting level 1 (NPPV1)"
	case VettingNPPV2A:
		return "Non-police personnel vetting level 2, abbreviated (NPPV2A)"
	case VettingNPPV2:
		return "Non-police personnel vetting level 2, full (NPPV2)"
	case VettingNPPV3:
		return "Non-police personnel vetting level 3 (NPPV3)"
	case VettingBPSS:
		return "Baseline Personnel Security Standard (BPSS)"
	case VettingCTC:
		return "Counter-terrorist check (CTC)"
	case VettingSC:
		return "Security check (SC)"
	case VettingDV:
		return "Developed vetting (DV)"
	}
	return "Not vetted"
}

// Access turns vetting into what the policy reads: the highest classification the user may see
// and whether they may see case material at all.
//
//	OFFICIAL-SENSITIVE and case material: current RV, MV, NPPV2 (full), NPPV3, CTC, SC, DV
//	OFFICIAL guidance and training only:   NPPV1 (premises only), NPPV2 abbreviated (no access to
//	                                       police systems, DOMAIN.md §F5), BPSS (a baseline
//	                                       check, not vetting for police systems), no vetting,
//	                                       and any level once it has expired (§C2)
//
// A CPS lawyer or caseworker who needs shared case material therefore needs CTC or above (or
// NPPV2 full) recorded. [verify] the mapping of each level with the customer's vetting officer.
func Access(v Vetting, expires *time.Time, now time.Time) (clearance policies.Level, vetted bool) {
	if expires != nil && !now.Before(*expires) {
		return policies.Official, false
	}
	switch v {
	case VettingRV, VettingMV, VettingNPPV2, VettingNPPV3, VettingCTC, VettingSC, VettingDV:
		return policies.OfficialSensitive, true
	}
	return policies.Official, false
}

// Actor is who is asking: a signed-in user, through a browser session or an API token. Every
// models operation takes one and decides with it through the policy.
type Actor struct {
	UserID         int64
	OrgID          int64
	Name           string
	Email          string
	Roles          []string // in the actor's organisation, read from the policy on every request
	Vetting        Vetting
	VettingExpires *time.Time
	Clearance      policies.Level
	Vetted         bool

	SessionID   string // hash of the session cookie, for a browser session
	TokenID     int64  // for an API token
	TokenScope  string // ScopeRead or ScopeReadWrite, for an API token
	MFAPassed   bool   // the session completed its second factor, or needs none
	MFAEnrolled bool   // the user has set up a second factor
}

// Has reports whether the actor holds role in their organisation.
func (a Actor) Has(role string) bool { return slices.Contains(a.Roles, role) }

// Subject is the actor as the policy sees it.
func (a Actor) Subject() policies.Subject {
	return policies.Subject{
		Principal: policies.UserPrincipal(a.UserID),
		Domain:    policies.OrgDomain(a.OrgID),
		Clearance: a.Clearance,
		Vetted:    a.Vetted,
	}
}

// RequestInfo is what the audit log records about the request an operation serves.
type RequestInfo struct {
	ID        string
	ClientIP  string
	UserAgent string
}

type requestInfoKey struct{}

// WithRequestInfo attaches the request's ID, client address and user agent to ctx, for the
// audit events written while serving it.
func WithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, ri)
}

func RequestInfoOf(ctx context.Context) RequestInfo {
	ri, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return ri
}
