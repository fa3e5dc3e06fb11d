package core

import (
	"context"
	"net/mail"
	"strings"
	"time"

	"github.com/msptp/msphub/policies"
)

// User is a person who signs in to MSP Hub. Secrets never leave models: the JSON form omits them.
type User struct {
	ID                int64      `json:"id"`
	OrganisationID    int64      `json:"organisation_id"`
	Email             string     `json:"email"`
	Name              string     `json:"name"`
	PasswordHash      string     `json:"-"`
	PasswordChangedAt *time.Time `json:"-"`
	VettingLevel      Vetting    `json:"vetting_level"`
	VettingExpiresOn  *time.Time `json:"vetting_expires_on,omitempty"`
	CrownProsecutor   bool       `json:"crown_prosecutor"` // a CPS user who may make charging decisions (DOMAIN.md §F2)
	MFASecret         string     `json:"-" gorm:"column:mfa_secret"`
	MFAEnabledAt      *time.Time `json:"mfa_enabled_at,omitempty" gorm:"column:mfa_enabled_at"`
	MFALastStep       int64      `json:"-" gorm:"column:mfa_last_step"`
	DisabledAt        *time.Time `json:"disabled_at,omitempty"`
	LastSignInAt      *time.Time `json:"last_sign_in_at,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

func NormaliseEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", Invalid("email", "Enter an email address")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") || len(s) > 320 {
		return "", Invalid("email", "Enter an email address in the correct format, like name@force.police.uk")
	}
	return s, nil
}

// OrgActive reports whether the organisation is active: people of an inactive one cannot sign in.
func OrgActive(ctx context.Context, d Deps, orgID int64) bool {
	var org Organisation
	return d.DB.Conn(ctx).Select("active").Take(&org, orgID).Error == nil && org.Active
}

// ActorOf builds the Actor of a user as of now: roles from the policy, clearance from vetting.
func ActorOf(d Deps, u User, now time.Time) Actor {
	clearance, vetted := Access(u.VettingLevel, u.VettingExpiresOn, now)
	return Actor{
		UserID: u.ID, OrgID: u.OrganisationID, Name: u.Name, Email: u.Email,
		Roles:   d.Authz.RolesIn(policies.UserPrincipal(u.ID), policies.OrgDomain(u.OrganisationID)),
		Vetting: u.VettingLevel, VettingExpires: u.VettingExpiresOn, Clearance: clearance, Vetted: vetted,
		MFAEnrolled: u.MFAEnabledAt != nil,
	}
}

// ROCU is the id of the regional organised crime unit the organisation works with, 0 for none.
func (o Organisation) ROCU() int64 {
	if o.ROCUID == nil {
		return 0
	}
	return *o.ROCUID
}

// OrgKind says what sort of body an organisation is.
type OrgKind string

// Organisation kinds.
const (
	KindPoliceForce OrgKind = "police_force"
	KindROCU        OrgKind = "rocu"
	KindAgency      OrgKind = "agency"
	KindCPS         OrgKind = "cps"
	KindProgramme   OrgKind = "programme"
)

// OrgKinds lists the kinds in the order pages offer them.
func OrgKinds() []OrgKind {
	return []OrgKind{KindPoliceForce, KindROCU, KindAgency, KindCPS, KindProgramme}
}

// Label is the kind as pages show it.
func (k OrgKind) Label() string {
	switch k {
	case KindPoliceForce:
		return "Police force"
	case KindROCU:
		return "Regional organised crime unit"
	case KindAgency:
		return "Law enforcement agency"
	case KindCPS:
		return "Crown Prosecution Service"
	case KindProgramme:
		return "Programme"
	}
	return string(k)
}

// Organisation is a police force, agency, CPS area or unit: the domain in which its people hold
// their roles.
type Organisation struct {
	ID     int64   `json:"id"`
	Slug   string  `json:"slug"`
	Name   string  `json:"name"`
	Kind   OrgKind `json:"kind"`
	Region string  `json:"region"`
	// ROCUID is, for a police force, the regional organised crime unit it works with.
	ROCUID    *int64    `json:"rocu_id,omitempty" gorm:"column:rocu_id"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}
