package frontend

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
)

// usersView is the people list.
type usersView struct {
	Page          identity.UserPage
	Organisations []core.Organisation // the organisation filter, for administrators
	Pager         pager
}

// OrgItems are the organisation filter's choices.
func (v usersView) OrgItems(form url.Values) []item {
	return orgOptions(v.Organisations, "All organisations", form.Get("organisation"))
}

// Users serves GET /users: people the actor may see, filtered, a page at a time.
func (p *Pages) Users() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, a := c.Request.Context(), actor(c)
		f := identity.UserFilter{Query: c.Query("q"), IncludeDisabled: c.Query("include_disabled") == "yes", Count: true}
		f.OrganisationID, _ = strconv.ParseInt(c.Query("organisation"), 10, 64)
		page1, err := p.s.Users.List(ctx, a, f, c.Query("after"), 50)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		v := usersView{Page: page1}
		if page1.Everywhere {
			if v.Organisations, err = p.s.Organisations.List(ctx, a, true); err != nil {
				api.WriteError(c, err)
				return
			}
		}
		v.Pager = newPager(c, len(page1.Users), 50, page1.Next, page1.Prev, page1.Total, "people")
		p.render(c, http.StatusOK, "users", page{Title: "People", Form: c.Request.URL.Query(), Data: v})
	}
}

// userForm is the add and edit form.
type userForm struct {
	User          *identity.UserView
	Organisations []core.Organisation
	Roles         []core.Role
	Vetting       []core.Vetting
	Self          bool // editing oneself: roles are not offered
}

// OrgItems are the organisation choices, with the posted one selected.
func (f userForm) OrgItems(form url.Values) []item {
	return orgOptions(f.Organisations, "", form.Get("organisation_id"))
}

// RoleItems are the role checkboxes, with the posted ones ticked.
func (f userForm) RoleItems(form url.Values) []item {
	return roleItems(f.Roles, form["roles"])
}

// VettingItems are the vetting radios, with the posted one checked.
func (f userForm) VettingItems(form url.Values) []item {
	values, labels := make([]string, len(f.Vetting)), make([]string, len(f.Vetting))
	for i, v := range f.Vetting {
		values[i], labels[i] = string(v), v.Label()
	}
	return choiceItems(values, labels, []string{form.Get("vetting_level")})
}

func (p *Pages) userForm(c *gin.Context, u *identity.UserView) (userForm, error) {
	a := actor(c)
	ctx := c.Request.Context()
	f := userForm{User: u, Roles: p.s.Users.AssignableRoles(ctx, a), Vetting: core.VettingLevels(), Self: u != nil && u.ID == a.UserID}
	orgs, err := p.s.Organisations.List(ctx, a, false)
	if err != nil {
		return f, err
	}
	orgs = slices.DeleteFunc(orgs, func(o core.Organisation) bool { return p.s.Users.MayCreateIn(ctx, a, o.ID) != nil })
	f.Organisations = orgs
	return f, nil
}

// userFields are the user form's names of fields the operations name otherwise: the Crown
// Prosecutor mark is "prosecutor", since no template says "crown" (the GOV.UK logo's name).
var userFields = map[string]string{"crown_prosecutor": "prosecutor"}

// userInput reads the posted add or edit form. A date that is not a date is a field error.
func userInput(c *gin.Context) (identity.UserInput, error) {
	org, _ := strconv.ParseInt(c.PostForm("organisation_id"), 10, 64)
	in := identity.UserInput{OrganisationID: org, Name: c.PostForm("name"), Email: c.PostForm("email"),
		Roles: c.PostFormArray("roles"), VettingLevel: core.Vetting(c.PostForm("vetting_level"))}
	prosecutor := c.PostForm("prosecutor") == "yes"
	in.CrownProsecutor = &prosecutor
	exp, err := api.DateInput(c.PostForm, "vetting_expires_on", "Vetting expiry")
	in.VettingExpiresOn = exp
	return in, err
}

// UserNewForm serves GET /users/new.
func (p *Pages) UserNewForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		f, ok := newForm(c, p.s.Users.MayCreate, p.userForm)
		if !ok {
			return
		}
		form := url.Values{"organisation_id": {strconv.FormatInt(actor(c).OrgID, 10)}, "vetting_level": {string(core.VettingRV)}, "roles": {identity.DefaultRole}}
		p.render(c, http.StatusOK, "user_form", page{Title: "Add a person", Form: form, Data: f})
	}
}

// UserCreate serves POST /users/new.
func (p *Pages) UserCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		in, err := userInput(c)
		var u identity.UserView
		if err == nil {
			u, err = p.s.Users.Create(c.Request.Context(), actor(c), in)
		}
		if err != nil {
			f, ferr := p.userForm(c, nil)
			if ferr != nil {
				api.WriteError(c, ferr)
				return
			}
			p.formFailed(c, renameFields(err, userFields), "user_form", page{Title: "Add a person", Data: f}, "name")
			return
		}
		if p.s.Mail != nil {
			p.app.SetFlash(c, "user-invited") // Create emailed them a set-password link
			api.Redirect(c, "/users/"+strconv.FormatInt(u.ID, 10))
			return
		}
		// Email is off: issue their set-password link now and show it once, as UserPasswordLink
		// does, rather than leave the administrator to find the button for it.
		link, err := p.s.Users.SetPasswordLink(c.Request.Context(), actor(c), u.ID)
		if err != nil { // the person is added: they get a link from the button on their page
			p.log.ErrorContext(c.Request.Context(), "set-password link after adding a person", slog.String("request_id", api.RequestID(c)), slog.String("error", err.Error()))
			p.app.SetFlash(c, "user-created")
			api.Redirect(c, "/users/"+strconv.FormatInt(u.ID, 10))
			return
		}
		p.render(c, http.StatusOK, "user", page{Title: u.Name, Flash: flashes["user-created"],
			Data: userView{User: u, Self: u.ID == actor(c).UserID, Link: link}})
	}
}

// userView is one person's page.
type userView struct {
	User    identity.UserView
	Self    bool
	Link    string // a set-password link just issued, shown once
	EmailOn bool   // set-password links go by email, never to the administrator
}

// User serves GET /users/:id.
func (p *Pages) User() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		p.userPage(c, id, "")
	}
}

func (p *Pages) userPage(c *gin.Context, id int64, link string) {
	a := actor(c)
	u, err := p.s.Users.Get(c.Request.Context(), a, id)
	if err != nil {
		api.WriteError(c, err)
		return
	}
	p.render(c, http.StatusOK, "user", page{Title: u.Name, Data: userView{User: u, Self: u.ID == a.UserID, Link: link, EmailOn: p.s.Mail != nil}})
}

// UserEditForm serves GET /users/:id/edit.
func (p *Pages) UserEditForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		u, f, ok := editForm(c, id, p.s.Users.GetForEdit, p.userForm)
		if !ok {
			return
		}
		form := url.Values{"name": {u.Name}, "email": {u.Email}, "organisation_id": {strconv.FormatInt(u.OrganisationID, 10)},
			"vetting_level": {string(u.VettingLevel)}, "roles": u.Roles}
		if u.CrownProsecutor {
			form.Set("prosecutor", "yes")
		}
		if d := u.VettingExpiresOn; d != nil {
			form.Set("vetting_expires_on-day", strconv.Itoa(d.Day()))
			form.Set("vetting_expires_on-month", strconv.Itoa(int(d.Month())))
			form.Set("vetting_expires_on-year", strconv.Itoa(d.Year()))
		}
		p.render(c, http.StatusOK, "user_form", page{Title: "Change " + u.Name, Form: form, Data: f})
	}
}

// UserUpdate serves POST /users/:id/edit.
func (p *Pages) UserUpdate() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		ctx, a := c.Request.Context(), actor(c)
		in, err := userInput(c)
		if err == nil {
			_, err = p.s.Users.Edit(ctx, a, id, in)
		}
		if err != nil {
			if u, f, ok := editForm(c, id, p.s.Users.GetForEdit, p.userForm); ok {
				p.formFailed(c, renameFields(err, userFields), "user_form", page{Title: "Change " + u.Name, Data: f}, "name")
			}
			return
		}
		p.app.SetFlash(c, "user-updated")
		api.Redirect(c, "/users/"+strconv.FormatInt(id, 10))
	}
}

// userAction serves the buttons of a person's page: each calls one operation, then shows the
// page again with a message.
func (p *Pages) userAction(do func(c *gin.Context, id int64) error, flash string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		p.done(c, do(c, id), flash, "/users/"+strconv.FormatInt(id, 10))
	}
}

// UserDisable serves POST /users/:id/disable.
func (p *Pages) UserDisable() gin.HandlerFunc {
	return p.userAction(func(c *gin.Context, id int64) error {
		_, err := p.s.Users.SetDisabled(c.Request.Context(), actor(c), id, true)
		return err
	}, "user-disabled")
}

// UserEnable serves POST /users/:id/enable.
func (p *Pages) UserEnable() gin.HandlerFunc {
	return p.userAction(func(c *gin.Context, id int64) error {
		_, err := p.s.Users.SetDisabled(c.Request.Context(), actor(c), id, false)
		return err
	}, "user-enabled")
}

// UserResetMFA serves POST /users/:id/reset-mfa.
func (p *Pages) UserResetMFA() gin.HandlerFunc {
	return p.userAction(func(c *gin.Context, id int64) error {
		_, err := p.s.Users.ResetMFA(c.Request.Context(), actor(c), id)
		return err
	}, "mfa-reset")
}

// UserPasswordLink serves POST /users/:id/set-password-link and shows the link once, or, with
// email on, says it was emailed.
func (p *Pages) UserPasswordLink() gin.HandlerFunc {
	return func(c *gin.Context) {
		link, id, ok := pathObject(c, p.s.Users.SetPasswordLink)
		if !ok {
			return
		}
		if link == "" {
			p.app.SetFlash(c, "password-link-emailed")
			api.Redirect(c, "/users/"+strconv.FormatInt(id, 10))
			return
		}
		p.userPage(c, id, link)
	}
}

// organisationsView is the organisations list.
type organisationsView struct {
	Organisations []core.Organisation
	Actions       core.Actions // create: add an organisation; update: change one
}

// Organisations serves GET /organisations.
func (p *Pages) Organisations() gin.HandlerFunc {
	return func(c *gin.Context) {
		a := actor(c)
		list, err := p.s.Organisations.List(c.Request.Context(), a, true)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "organisations", page{Title: "Organisations", Data: organisationsView{Organisations: list, Actions: p.s.Organisations.Actions(c.Request.Context(), a)}})
	}
}

// orgForm is the add and edit form of an organisation.
type orgForm struct {
	Organisation *core.Organisation
	Kinds        []core.OrgKind
	ROCUs        []core.Organisation // the active regional organised crime units a force may work with
}

// newOrgForm is the form for org (nil: a new one), with the ROCUs to choose from.
func (p *Pages) newOrgForm(c *gin.Context, org *core.Organisation) (orgForm, error) {
	all, err := p.s.Organisations.List(c.Request.Context(), actor(c), false)
	f := orgForm{Organisation: org, Kinds: core.OrgKinds()}
	for _, o := range all {
		if o.Kind == core.KindROCU && (org == nil || o.ID != org.ID) {
			f.ROCUs = append(f.ROCUs, o)
		}
	}
	return f, err
}

// ROCUItems are the choices of the ROCU a police force works with, "None" first.
func (f orgForm) ROCUItems(form url.Values) []item {
	values, labels := []string{""}, []string{"None"}
	for _, o := range f.ROCUs {
		values, labels = append(values, core.IDString(o.ID)), append(labels, o.Name)
	}
	return optionItems(values, labels, form.Get("rocu_id"))
}

// KindItems are the kind radios, with the posted one checked.
func (f orgForm) KindItems(form url.Values) []item {
	values, labels := make([]string, len(f.Kinds)), make([]string, len(f.Kinds))
	for i, k := range f.Kinds {
		values[i], labels[i] = string(k), k.Label()
	}
	return choiceItems(values, labels, []string{form.Get("kind")})
}

func orgInput(c *gin.Context) identity.OrganisationInput {
	rocu, _ := strconv.ParseInt(c.PostForm("rocu_id"), 10, 64)
	return identity.OrganisationInput{Name: c.PostForm("name"), Kind: core.OrgKind(c.PostForm("kind")), Region: c.PostForm("region"), ROCUID: rocu}
}

// OrganisationNewForm serves GET /organisations/new.
func (p *Pages) OrganisationNewForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := p.s.Organisations.MayManage(c.Request.Context(), actor(c)); err != nil {
			api.WriteError(c, err)
			return
		}
		f, err := p.newOrgForm(c, nil)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "organisation_form", page{Title: "Add an organisation", Data: f})
	}
}

// OrganisationCreate serves POST /organisations/new.
func (p *Pages) OrganisationCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, err := p.s.Organisations.Create(c.Request.Context(), actor(c), orgInput(c)); err != nil {
			f, ferr := p.newOrgForm(c, nil)
			if ferr != nil {
				api.WriteError(c, ferr)
				return
			}
			p.formFailed(c, err, "organisation_form", page{Title: "Add an organisation", Data: f}, "name")
			return
		}
		p.app.SetFlash(c, "org-created")
		api.Redirect(c, "/organisations")
	}
}

// OrganisationEditForm serves GET /organisations/:id/edit.
func (p *Pages) OrganisationEditForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		a := actor(c)
		if err := p.s.Organisations.MayManage(c.Request.Context(), a); err != nil {
			api.WriteError(c, err)
			return
		}
		org, err := p.s.Organisations.Get(c.Request.Context(), a, id)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		f, err := p.newOrgForm(c, &org)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		form := url.Values{"name": {org.Name}, "kind": {string(org.Kind)}, "region": {org.Region}}
		if org.ROCU() != 0 {
			form.Set("rocu_id", core.IDString(org.ROCU()))
		}
		p.render(c, http.StatusOK, "organisation_form", page{Title: "Change " + org.Name, Form: form, Data: f})
	}
}

// OrganisationUpdate serves POST /organisations/:id/edit.
func (p *Pages) OrganisationUpdate() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		ctx, a := c.Request.Context(), actor(c)
		if _, err := p.s.Organisations.Update(ctx, a, id, orgInput(c)); err != nil {
			org, gerr := p.s.Organisations.Get(ctx, a, id)
			if gerr != nil {
				api.WriteError(c, gerr)
				return
			}
			f, ferr := p.newOrgForm(c, &org)
			if ferr != nil {
				api.WriteError(c, ferr)
				return
			}
			p.formFailed(c, err, "organisation_form", page{Title: "Change " + org.Name, Data: f}, "name")
			return
		}
		p.app.SetFlash(c, "org-updated")
		api.Redirect(c, "/organisations")
	}
}

func (p *Pages) orgActive(active bool, flash string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		_, err := p.s.Organisations.SetActive(c.Request.Context(), actor(c), id, active)
		p.done(c, err, flash, "/organisations")
	}
}

// OrganisationDeactivate serves POST /organisations/:id/deactivate.
func (p *Pages) OrganisationDeactivate() gin.HandlerFunc {
	return p.orgActive(false, "org-deactivated")
}

// OrganisationReactivate serves POST /organisations/:id/reactivate.
func (p *Pages) OrganisationReactivate() gin.HandlerFunc { return p.orgActive(true, "org-reactivated") }

// auditView is the audit log page.
type auditView struct {
	Page      core.AuditPage
	Pager     pager
	ExportURL string
}

// Audit serves GET /audit: events newest first, filtered, a page at a time.
func (p *Pages) Audit() gin.HandlerFunc {
	return func(c *gin.Context) {
		q := c.Request.URL.Query()
		// The page's form uses GOV.UK date inputs; the filter takes YYYY-MM-DD.
		for _, f := range [][2]string{{"from", "From date"}, {"to", "To date"}} {
			name := f[0]
			d, err := api.DateInput(q.Get, name, f[1])
			if err != nil {
				p.formFailed(c, err, "audit", page{Title: "Audit log", Form: q, Data: auditView{}}, "action")
				return
			}
			if d != nil {
				q.Set(name, d.Format("2006-01-02"))
			}
		}
		c.Request.URL.RawQuery = q.Encode()
		f, err := api.AuditFilter(c)
		if err != nil {
			p.formFailed(c, err, "audit", page{Title: "Audit log", Form: q, Data: auditView{}}, "action")
			return
		}
		before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
		res, err := p.s.Audit.List(c.Request.Context(), actor(c), f, before, 50)
		if err != nil {
			p.formFailed(c, err, "audit", page{Title: "Audit log", Form: q, Data: auditView{}}, "action")
			return
		}
		v := auditView{Page: res}
		export := url.Values{}
		for _, k := range []string{"actor", "action", "object_type", "object_id", "from", "to"} {
			if val := q.Get(k); val != "" {
				export.Set(k, val)
			}
		}
		v.ExportURL = "/audit/export.csv?" + export.Encode()
		if res.Next != 0 {
			q.Set("before", strconv.FormatInt(res.Next, 10))
			v.Pager.NextURL = "/audit?" + q.Encode()
		}
		p.render(c, http.StatusOK, "audit", page{Title: "Audit log", Form: q, Data: v})
	}
}
