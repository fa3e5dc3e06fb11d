package core

import (
	"context"
	"slices"
	"time"

	"github.com/msptp/msphub/policies"
)

// Vetting is a user's police vetting level (DOMAIN.md §C2).
type Vetting string

// Vetting levels MSP Hub records.
const (
	VettingNone  Vetting = "none"
	VettingRV    Vetting = "RV"    // recruitment vetting: all officers, staff and specials
	VettingMV    Vetting = "MV"    // management vetting: designated posts
	VettingNPPV1 Vetting = "NPPV1" // non-police personnel, premises only
	VettingNPPV2 Vetting = "NPPV2" // non-police personnel, OFFICIAL-SENSITIVE with systems access
	VettingNPPV3 Vetting = "NPPV3" // non-police personnel, frequent SECRET
)

// VettingLevels lists the levels in the order forms offer them.
func VettingLevels() []Vetting {
	return []Vetting{VettingNone, VettingRV, VettingMV, VettingNPPV1, VettingNPPV2, VettingNPPV3}
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
	case VettingNPPV2:
		return "Non-police personnel vetting level 2 (NPPV2)"
	case VettingNPPV3:
		return "Non-police personnel vetting level 3 (NPPV3)"
	}
	return "Not vetted"
}

// Access turns vetting into what the policy reads: the highest classification the user may see
// and whether they may see case material at all. Current RV, MV, NPPV2 and NPPV3 give
// OFFICIAL-SENSITIVE and case material; NPPV1 (premises only), no vetting or expired vetting give
// OFFICIAL guidance and training only (DOMAIN.md §C2: block case data for NPPV1 or expired
// users). [verify] the mapping of each level with the customer's vetting officer.
func Access(v Vetting, expires *time.Time, now time.Time) (clearance policies.Level, vetted bool) {
	if expires != nil && !now.Before(*expires) {
		return policies.Official, false
	}
	switch v {
	case VettingRV, VettingMV, VettingNPPV2, VettingNPPV3:
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
