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

// pathID reads a positive integer path parameter; anything else is not found.
func pathID(c *gin.Context, name string) (int64, bool) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		writeError(c, core.NotFound("There is nothing at this address."))
		return 0, false
	}
	return id, true
}

// bindJSON decodes the request body into v, answering 422 when it is not the expected JSON
// and 413 when it is over the route's limit.
func bindJSON(c *gin.Context, v any) bool {
	if err := c.ShouldBindJSON(v); err != nil {
		if IsTooLarge(err) {
			writeError(c, core.TooLarge("The request body is too large."))
		} else {
			writeError(c, core.Invalid("body", "The request body must be JSON of the documented shape"))
		}
		return false
	}
	return true
}

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

func handleOrganisationCreate(orgs *identity.Organisations) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in identity.OrganisationInput
		if !bindJSON(c, &in) {
			return
		}
		org, err := orgs.Create(c.Request.Context(), actorOf(c), in)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusCreated, org)
	}
}

func handleOrganisationUpdate(orgs *identity.Organisations) gin.HandlerFunc {
	type request struct {
		identity.OrganisationInput
		Active *bool `json:"active"`
	}
	return func(c *gin.Context) {
		id, ok := pathID(c, "id")
		if !ok {
			return
		}
		var req request
		if !bindJSON(c, &req) {
			return
		}
		ctx, who := c.Request.Context(), actorOf(c)
		org, err := orgs.Update(ctx, who, id, req.OrganisationInput)
		if err == nil && req.Active != nil {
			org, err = orgs.SetActive(ctx, who, id, *req.Active)
		}
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, org)
	}
}

func handleUserList(users *identity.Users) gin.HandlerFunc {
	return func(c *gin.Context) {
		var f identity.UserFilter
		if v := c.Query("organisation_id"); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				writeError(c, core.Invalid("organisation_id", "organisation_id must be a number"))
				return
			}
			f.OrganisationID = id
		}
		f.Query, f.IncludeDisabled = c.Query("q"), c.Query("include_disabled") == "true"
		limit, _ := strconv.Atoi(c.Query("limit"))
		page, err := users.List(c.Request.Context(), actorOf(c), f, c.Query("after"), limit)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, page)
	}
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
}

func (r userRequest) input() (identity.UserInput, error) {
	in := identity.UserInput{OrganisationID: r.OrganisationID, Email: r.Email, Name: r.Name, Roles: r.Roles, VettingLevel: core.Vetting(r.VettingLevel)}
	if r.VettingExpiresOn != "" {
		d, err := time.Parse(time.DateOnly, r.VettingExpiresOn)
		if err != nil {
			return in, core.Invalid("vetting_expires_on", "vetting_expires_on must be a date as YYYY-MM-DD")
		}
		in.VettingExpiresOn = &d
	}
	return in, nil
}

func handleUserCreate(users *identity.Users) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req userRequest
		if !bindJSON(c, &req) {
			return
		}
		in, err := req.input()
		if err == nil {
			var u identity.UserView
			if u, err = users.Create(c.Request.Context(), actorOf(c), in); err == nil {
				c.JSON(http.StatusCreated, u)
				return
			}
		}
		writeError(c, err)
	}
}

func handleUserUpdate(users *identity.Users) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := pathID(c, "id")
		if !ok {
			return
		}
		var req userRequest
		if !bindJSON(c, &req) {
			return
		}
		in, err := req.input()
		if err == nil {
			var u identity.UserView
			if u, err = users.Update(c.Request.Context(), actorOf(c), id, in); err == nil {
				c.JSON(http.StatusOK, u)
				return
			}
		}
		writeError(c, err)
	}
}

func handleUserRoles(users *identity.Users) gin.HandlerFunc {
	type request struct {
		Roles []string `json:"roles"`
	}
	return func(c *gin.Context) {
		id, ok := pathID(c, "id")
		if !ok {
			return
		}
		var req request
		if !bindJSON(c, &req) {
			return
		}
		u, err := users.SetRoles(c.Request.Context(), actorOf(c), id, req.Roles)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, u)
	}
}

func handleUserSetPasswordLink(users *identity.Users) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := pathID(c, "id")
		if !ok {
			return
		}
		link, err := users.SetPasswordLink(c.Request.Context(), actorOf(c), id)
		if err != nil {
			writeError(c, err)
			return
		}
		if link == "" { // email is on: the link went to the person, never through the API
			c.JSON(http.StatusAccepted, gin.H{"emailed": true, "expires_in_hours": 24})
			return
		}
		c.JSON(http.StatusCreated, gin.H{"url": link, "expires_in_hours": 24})
	}
}

func handleTokenList(tokens *identity.Tokens) gin.HandlerFunc {
	return func(c *gin.Context) {
		list, err := tokens.List(c.Request.Context(), actorOf(c))
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"tokens": list})
	}
}

func handleTokenCreate(tokens *identity.Tokens) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in identity.NewToken
		if !bindJSON(c, &in) {
			return
		}
		secret, tok, err := tokens.Create(c.Request.Context(), actorOf(c), in)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusCreated, gin.H{"token": secret, "details": tok})
	}
}

func handleTokenRevoke(tokens *identity.Tokens) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := pathID(c, "id")
		if !ok {
			return
		}
		if err := tokens.Revoke(c.Request.Context(), actorOf(c), id); err != nil {
			writeError(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}
