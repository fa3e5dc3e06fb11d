package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
)

// me is the signed-in actor as the API shows it.
type me struct {
	ID             int64      `json:"id"`
	Name           string     `json:"name"`
	Email          string     `json:"email"`
	OrganisationID int64      `json:"organisation_id"`
	Roles          []string   `json:"roles"`
	Vetting        string     `json:"vetting_level"`
	VettingExpires *time.Time `json:"vetting_expires_on,omitempty"`
	Clearance      string     `json:"clearance"`
	CaseAccess     bool       `json:"case_material_access"`
	MFAEnrolled    bool       `json:"mfa_enrolled"`
	TokenScope     string     `json:"token_scope,omitempty"`
}

func handleMe() gin.HandlerFunc {
	return func(c *gin.Context) {
		a := actorOf(c)
		roles := a.Roles
		if roles == nil {
			roles = []string{}
		}
		c.JSON(http.StatusOK, me{ID: a.UserID, Name: a.Name, Email: a.Email, OrganisationID: a.OrgID, Roles: roles,
			Vetting: string(a.Vetting), VettingExpires: a.VettingExpires, Clearance: a.Clearance.String(),
			CaseAccess: a.Vetted, MFAEnrolled: a.MFAEnrolled, TokenScope: a.TokenScope})
	}
}

func handleOrganisationList(orgs *identity.Organisations) gin.HandlerFunc {
	return func(c *gin.Context) {
		list, err := orgs.List(c.Request.Context(), actorOf(c), c.Query("include_inactive") == "true")
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"organisations": list})
	}
}

type organisationRequest struct {
	identity.OrganisationInput
	Active *bool `json:"active"`
}

// organisationUpdate changes an organisation, and its being active when the request says.
func organisationUpdate(orgs *identity.Organisations) func(context.Context, core.Actor, int64, organisationRequest) (core.Organisation, error) {
	return func(ctx context.Context, who core.Actor, id int64, req organisationRequest) (core.Organisation, error) {
		org, err := orgs.Update(ctx, who, id, req.OrganisationInput)
		if err == nil && req.Active != nil {
			org, err = orgs.SetActive(ctx, who, id, *req.Active)
		}
		return org, err
	}
}

// userFilter is the user list's filter: ?organisation_id=, ?q=, ?include_disabled=true.
func userFilter(c *gin.Context) (identity.UserFilter, error) {
	f := identity.UserFilter{Query: c.Query("q"), IncludeDisabled: c.Query("include_disabled") == "true"}
	if v := c.Query("organisation_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return f, core.Invalid("organisation_id", "organisation_id must be a number")
		}
		f.OrganisationID = id
	}
	return f, nil
}

// setDisabled makes SetDisabled an operation on :id.
func setDisabled(users *identity.Users, disabled bool) func(context.Context, core.Actor, int64) (identity.UserView, error) {
	return func(ctx context.Context, who core.Actor, id int64) (identity.UserView, error) {
		return users.SetDisabled(ctx, who, id, disabled)
	}
}

// userRequest is the JSON of a user to create or change; the vetting expiry is a date.
type userRequest struct {
	OrganisationID   int64    `json:"organisation_id"`
	Email            string   `json:"email"`
	Name             string   `json:"name"`
	Roles            []string `json:"roles"`
	VettingLevel     string   `json:"vetting_level"`
	VettingExpiresOn string   `json:"vetting_expires_on"` // YYYY-MM-DD
	CrownProsecutor  *bool    `json:"crown_prosecutor"`   // absent: unchanged
}

func (r userRequest) input() (identity.UserInput, error) {
	in := identity.UserInput{OrganisationID: r.OrganisationID, Email: r.Email, Name: r.Name, Roles: r.Roles, VettingLevel: core.Vetting(r.VettingLevel),
		CrownProsecutor: r.CrownProsecutor}
	if r.VettingExpiresOn != "" {
		d, err := time.Parse(time.DateOnly, r.VettingExpiresOn)
		if err != nil {
			return in, core.Invalid("vetting_expires_on", "vetting_expires_on must be a date as YYYY-MM-DD")
		}
		in.VettingExpiresOn = &d
	}
	return in, nil
}

func userCreate(users *identity.Users) func(context.Context, core.Actor, userRequest) (identity.UserView, error) {
	return func(ctx context.Context, who core.Actor, req userRequest) (identity.UserView, error) {
		in, err := req.input()
		if err != nil {
			return identity.UserView{}, err
		}
		return users.Create(ctx, who, in)
	}
}

func userUpdate(users *identity.Users) func(context.Context, core.Actor, int64, userRequest) (identity.UserView, error) {
	return func(ctx context.Context, who core.Actor, id int64, req userRequest) (identity.UserView, error) {
		in, err := req.input()
		if err != nil {
			return identity.UserView{}, err
		}
		return users.Update(ctx, who, id, in)
	}
}

type rolesRequest struct {
	Roles []string `json:"roles"`
}

func userRoles(users *identity.Users) func(context.Context, core.Actor, int64, rolesRequest) (identity.UserView, error) {
	return func(ctx context.Context, who core.Actor, id int64, req rolesRequest) (identity.UserView, error) {
		return users.SetRoles(ctx, who, id, req.Roles)
	}
}

func handleUserSetPasswordLink(users *identity.Users) gin.HandlerFunc {
	return func(c *gin.Context) {
		link, ok := pathObject(c, users.SetPasswordLink)
		if !ok {
			return
		}
		if link == "" { // email is on: the link went to the person, never through the API
			c.JSON(http.StatusAccepted, gin.H{"emailed": true, "expires_in_hours": 24})
			return
		}
		c.JSON(http.StatusCreated, gin.H{"url": link, "expires_in_hours": 24})
	}
}

func tokenList(tokens *identity.Tokens) func(context.Context, core.Actor) (gin.H, error) {
	return func(ctx context.Context, who core.Actor) (gin.H, error) {
		list, err := tokens.List(ctx, who)
		return gin.H{"tokens": list}, err
	}
}

func tokenCreate(tokens *identity.Tokens) func(context.Context, core.Actor, identity.NewToken) (gin.H, error) {
	return func(ctx context.Context, who core.Actor, in identity.NewToken) (gin.H, error) {
		secret, tok, err := tokens.Create(ctx, who, in)
		return gin.H{"token": secret, "details": tok}, err
	}
}

func tokenRevoke(tokens *identity.Tokens) func(context.Context, core.Actor, int64) (struct{}, error) {
	return func(ctx context.Context, who core.Actor, id int64) (struct{}, error) {
		return struct{}{}, tokens.Revoke(ctx, who, id)
	}
}
