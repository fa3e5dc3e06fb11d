package identity

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// userObject is the user as the policy sees it, from the point of view of who; roles are the
// user's roles.
func userObject(u core.User, who core.Actor, roles []string) policies.Object {
	obj := core.PersonalObject("user", u.OrganisationID, u.ID, who)
	if slices.ContainsFunc(roles, systemRole) {
		obj.Rel |= policies.RelPrivileged
	}
	return obj
}

// UserView is a user with what pages and the API show beside them.
type UserView struct {
	core.User
	Organisation string   `json:"organisation"`
	Roles        []string `json:"roles"`
	MFARequired  bool     `json:"mfa_required"`
	// What the actor may do to the account (update, disable, assign_role): set on one user's
	// view (Get), not in lists.
	Actions core.Actions `json:"actions,omitzero"`
}

// mfaRequired says whether holding roles obliges a user to use a second factor: every role
// except officer and trainer touches case files or administration (DESIGN.md §6).
func mfaRequired(roles []string) bool {
	for _, r := range roles {
		if r != policies.RoleOfficer && r != policies.RoleTrainer {
			return true
		}
	}
	return false
}

// UserInput is what an administrator gives to create a user or change their details.
type UserInput struct {
	OrganisationID   int64        `json:"organisation_id"`
	Email            string       `json:"email"`
	Name             string       `json:"name"`
	Roles            []string     `json:"roles"`
	VettingLevel     core.Vetting `json:"vetting_level"`
	VettingExpiresOn *time.Time   `json:"vetting_expires_on"`
	// CrownProsecutor marks a person of a CPS organisation as a Crown Prosecutor, who may make
	// charging decisions; nil leaves it as it is (false for a new user).
	CrownProsecutor *bool `json:"crown_prosecutor"`
}

// checkProsecutor refuses the Crown Prosecutor mark for a person outside the CPS.
func (in UserInput) checkProsecutor(org core.Organisation) error {
	if in.CrownProsecutor != nil && *in.CrownProsecutor && org.Kind != core.KindCPS {
		return core.Invalid("crown_prosecutor", "Only a person of a CPS organisation can be a Crown Prosecutor")
	}
	return nil
}

func (in *UserInput) validate(now time.Time, creating bool) error {
	in.Name = strings.TrimSpace(in.Name)
	var p core.Problems
	switch {
	case in.Name == "":
		p.Add("name", "Enter the person's full name")
	case len(in.Name) > 200:
		p.Add("name", "Name must be 200 characters or fewer")
	}
	if email, err := core.NormaliseEmail(in.Email); p.Check(err) {
		in.Email = email
	}
	if in.VettingLevel == "" {
		in.VettingLevel = core.VettingNone
	}
	switch {
	case !in.VettingLevel.Valid():
		p.Add("vetting_level", "Select a vetting level")
	case in.VettingLevel != core.VettingNone && in.VettingExpiresOn == nil:
		p.Add("vetting_expires_on", "Enter the date the vetting expires")
	case creating && in.VettingExpiresOn != nil && in.VettingExpiresOn.Before(now.Truncate(24*time.Hour)):
		p.Add("vetting_expires_on", "Vetting expiry must be today or in the future")
	}
	p.Check(checkRoles(in.Roles))
	if err := p.Err(); err != nil {
		return err
	}
	if in.VettingLevel == core.VettingNone {
		in.VettingExpiresOn = nil
	}
	if in.VettingExpiresOn != nil {
		d := time.Date(in.VettingExpiresOn.Year(), in.VettingExpiresOn.Month(), in.VettingExpiresOn.Day(), 0, 0, 0, 0, time.UTC)
		in.VettingExpiresOn = &d
	}
	return nil
}

func checkRoles(roles []string) error {
	for _, r := range roles {
		if !policies.IsRole(r) {
			return core.Invalid("roles", "Unknown role: "+r)
		}
	}
	return nil
}

// systemRoles may only be granted, revoked or held by someone an administrator manages.
func systemRole(role string) bool { return role == policies.RoleAdmin || role == policies.RoleAuditor }

// Users holds the operations administrators and organisation administrators use on people.
type Users struct {
	d     core.Deps
	audit *core.Audit
}

// UserFilter narrows a user listing.
type UserFilter struct {
	OrganisationID  int64  // 0: every organisation the actor may see
	Query           string // part of a name or email address
	IncludeDisabled bool
	Count           bool // count every user the filter matches (Total), as pages show it
}

// UserPage is one page of users in name order, with the cursors of the next and previous
// pages ("" = none).
type UserPage struct {
	Users []UserView `json:"users"`
	Next  string     `json:"next,omitempty"`
	Prev  string     `json:"-"`
	Total int64      `json:"-"` // with UserFilter.Count
	// Everywhere says the actor sees people of every organisation, so a page may filter by one.
	Everywhere bool `json:"all_organisations,omitempty"`
	// What the actor may do with the list: create (add a person to their organisation).
	Actions core.Actions `json:"actions"`
}

// List returns the users the actor may see, in name order: administrators see everyone,
// organisation administrators and supervisors their own organisation. after is the cursor of the
// previous page. Errors: EFORBIDDEN (may see nobody), EINVALID (bad cursor).
func (u *Users) List(ctx context.Context, who core.Actor, f UserFilter, after string, limit int) (UserPage, error) {
	// May the actor read users whatever their organisation? (Administrators may.)
	everywhere := u.d.Authz.Can(ctx, who.Subject(), policies.ActRead, policies.Object{Type: "user"}) == nil
	if !everywhere {
		if f.OrganisationID != 0 && f.OrganisationID != who.OrgID {
			return UserPage{}, core.Forbidden("You can only see people in your own organisation.")
		}
		if err := core.Can(ctx, u.d.Authz, who, policies.ActRead, policies.Object{Type: "user", Org: policies.OrgDomain(who.OrgID)}, "You cannot see other people's accounts."); err != nil {
			return UserPage{}, err
		}
		f.OrganisationID = who.OrgID
	}
	limit = core.PageLimit(limit, 200, 50)
	q := u.d.DB.Conn(ctx).Model(&core.User{})
	if f.OrganisationID != 0 {
		q = q.Where("organisation_id = ?", f.OrganisationID)
	}
	if s := strings.ToLower(strings.TrimSpace(f.Query)); s != "" {
		like := core.LikeContaining(s)
		q = q.Where(`(LOWER(name) LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\')`, like, like)
	}
	if !f.IncludeDisabled {
		q = q.Where("disabled_at IS NULL")
	}
	page := UserPage{Everywhere: everywhere, Actions: core.Actions{Create: u.MayCreate(ctx, who) == nil}}
	if f.Count {
		if err := q.Session(&gorm.Session{}).Count(&page.Total).Error; err != nil {
			return UserPage{}, core.DBError(err)
		}
	}
	q, backward, err := core.Keyset(q, "name", "id", false, after, func(k string) (any, error) { return k, nil })
	if err != nil {
		return UserPage{}, err
	}
	var users []core.User
	if err := q.Limit(limit + 1).Find(&users).Error; err != nil {
		return UserPage{}, core.DBError(err)
	}
	users, page.Next, page.Prev = core.CutPages(users, limit, backward, after != "", func(u core.User) string { return core.EncodeCursor(u.Name, u.ID) })
	views, err := u.views(ctx, users)
	page.Users = views
	return page, err
}

// Get returns one user, if the actor may see them. Errors: ENOTFOUND.
func (u *Users) Get(ctx context.Context, who core.Actor, id int64) (UserView, error) {
	user, err := u.load(ctx, who, id, policies.ActRead)
	v, err := u.view(ctx, user, err)
	if err != nil {
		return v, err
	}
	obj := userObject(user, who, v.Roles)
	may := func(act policies.Action) bool { return u.d.Authz.Can(ctx, who.Subject(), act, obj) == nil }
	v.Actions = core.Actions{Update: may(policies.ActUpdate), Disable: may(policies.ActDisable), AssignRole: may(policies.ActAssignRole)}
	return v, nil
}

// GetForEdit returns a user the actor may change, for the edit page. Errors: ENOTFOUND,
// EFORBIDDEN.
func (u *Users) GetForEdit(ctx context.Context, who core.Actor, id int64) (UserView, error) {
	user, err := u.load(ctx, who, id, policies.ActUpdate)
	return u.view(ctx, user, err)
}

// view shows one loaded user with their organisation and roles, or passes err on.
func (u *Users) view(ctx context.Context, user core.User, err error) (UserView, error) {
	if err != nil {
		return UserView{}, err
	}
	views, err := u.views(ctx, []core.User{user})
	if err != nil {
		return UserView{}, err
	}
	return views[0], nil
}

// load reads a user and checks the actor may act on them; someone they may not see is not found.
// Read to change (any act but read, in a write transaction), the row is locked for the rest of
// the transaction: a change saved from it then never writes back what another transaction
// changed meanwhile (an account disabled while its name was being edited stays disabled).
func (u *Users) load(ctx context.Context, who core.Actor, id int64, act policies.Action) (core.User, error) {
	user, err := core.TakeRow[core.User](ctx, u.d.DB, id, act != policies.ActRead && core.InWriteTx(ctx), "User not found")
	if err != nil {
		return core.User{}, err
	}
	obj := userObject(user, who, u.roles(user))
	if err := core.CanSee(ctx, u.d.Authz, who, policies.ActRead, obj, "User"); err != nil {
		return core.User{}, err
	}
	if act != policies.ActRead {
		msg := "You cannot change this person's account."
		if obj.Has(policies.RelPrivileged) {
			msg = "Only an administrator can change the account of an administrator or auditor."
		}
		if err := core.Can(ctx, u.d.Authz, who, act, obj, msg); err != nil {
			return core.User{}, err
		}
	}
	return user, nil
}

func (u *Users) roles(user core.User) []string {
	return u.d.Authz.RolesIn(policies.UserPrincipal(user.ID), policies.OrgDomain(user.OrganisationID))
}

func (u *Users) views(ctx context.Context, users []core.User) ([]UserView, error) {
	names := map[int64]string{}
	var ids []int64
	for _, us := range users {
		ids = append(ids, us.OrganisationID)
	}
	if len(ids) > 0 {
		var orgs []core.Organisation
		if err := u.d.DB.Conn(ctx).Where("id IN ?", ids).Find(&orgs).Error; err != nil {
			return nil, core.DBError(err)
		}
		for _, o := range orgs {
			names[o.ID] = o.Name
		}
	}
	out := make([]UserView, 0, len(users))
	for _, us := range users {
		roles := u.roles(us)
		out = append(out, UserView{User: us, Organisation: names[us.OrganisationID], Roles: roles, MFARequired: mfaRequired(roles)})
	}
	return out, nil
}

// Create adds a user to an organisation with roles and vetting. Administrators may add anyone;
// organisation administrators only to their own organisation, and never administrators or
// auditors. The user has no password until they follow a set-password link; with email on,
// one is emailed to them (an invitation). Errors: EFORBIDDEN, EINVALID, ECONFLICT (the email
// address is taken).
func (u *Users) Create(ctx context.Context, who core.Actor, in UserInput) (UserView, error) {
	var user core.User
	err := u.d.DB.InTx(ctx, func(ctx context.Context) error {
		if in.OrganisationID == 0 {
			in.OrganisationID = who.OrgID
		}
		target := core.User{OrganisationID: in.OrganisationID}
		if err := core.Can(ctx, u.d.Authz, who, policies.ActCreate, userObject(target, who, nil), "You can only add people to your own organisation."); err != nil {
			return err
		}
		if err := u.checkGrants(ctx, who, target, nil, in.Roles); err != nil {
			return err
		}
		var err error
		if user, err = u.create(ctx, &who, in, nil); err != nil {
			return err
		}
		_, err = emailSetPasswordLink(ctx, u.d, user.ID, NoticeInvitation)
		return err
	})
	if err != nil {
		return UserView{}, err
	}
	return u.Get(ctx, who, user.ID)
}

// create validates and stores a new user with their roles, recording it for who (nil: the
// command line) with extra audit details.
func (u *Users) create(ctx context.Context, who *core.Actor, in UserInput, details map[string]string) (core.User, error) {
	if err := in.validate(u.d.Now(), true); err != nil {
		return core.User{}, err
	}
	org, err := (&Organisations{d: u.d}).get(ctx, in.OrganisationID)
	if err != nil {
		return core.User{}, core.Invalid("organisation_id", "Select an organisation")
	}
	if !org.Active {
		return core.User{}, core.Invalid("organisation_id", "This organisation is deactivated")
	}
	if err := in.checkProsecutor(org); err != nil {
		return core.User{}, err
	}
	if err := u.emailFree(ctx, in.Email, 0); err != nil {
		return core.User{}, err
	}
	now := u.d.Now()
	user := core.User{OrganisationID: org.ID, Email: in.Email, Name: in.Name, VettingLevel: in.VettingLevel,
		VettingExpiresOn: in.VettingExpiresOn, CrownProsecutor: in.CrownProsecutor != nil && *in.CrownProsecutor, CreatedAt: now, UpdatedAt: now}
	q := u.d.DB.Conn(ctx)
	if !user.CrownProsecutor {
		q = q.Omit("crown_prosecutor") // the column's default; tests run this on schemas older than migration 20
	}
	if err := q.Create(&user).Error; err != nil {
		return core.User{}, core.DBError(err)
	}
	core.Changed(ctx, core.People)
	d := map[string]string{"organisation": org.Slug, "vetting": string(user.VettingLevel)}
	if user.CrownProsecutor {
		d["crown_prosecutor"] = "true"
	}
	for k, v := range details {
		d[k] = v
	}
	if err := u.audit.Record(ctx, who, core.Event{Action: "user.create", ObjectType: "user", ObjectID: core.IDString(user.ID), Outcome: core.OutcomeSuccess, Details: d}); err != nil {
		return core.User{}, err
	}
	return user, u.setRoles(ctx, who, user, in.Roles)
}

// MayCreate says whether the actor may add people to their own organisation (what the add page
// offers). Errors: EFORBIDDEN.
func (u *Users) MayCreate(ctx context.Context, who core.Actor) error {
	return u.MayCreateIn(ctx, who, who.OrgID)
}

// MayCreateIn says whether the actor may add people to organisation org (the organisations the
// add and edit forms offer). Errors: EFORBIDDEN.
func (u *Users) MayCreateIn(ctx context.Context, who core.Actor, org int64) error {
	target := core.User{OrganisationID: org}
	return core.Can(ctx, u.d.Authz, who, policies.ActCreate, userObject(target, who, nil), "Only administrators and organisation administrators can add people.")
}

// DefaultRole is the role a new account starts with on the add form.
const DefaultRole = policies.RoleOfficer

// AssignableRoles are the roles the actor may give people: the administrator and auditor roles
// only to those the policy lets grant them.
func (u *Users) AssignableRoles(ctx context.Context, who core.Actor) []core.Role {
	grants := u.d.Authz.Can(ctx, who.Subject(), policies.ActGrantSystemRole, policies.Object{Type: "user", Org: policies.OrgDomain(who.OrgID)}) == nil
	roles := slices.DeleteFunc(policies.Roles(), func(r string) bool { return systemRole(r) && !grants })
	return core.RolesNamed(roles)
}

// Update changes a user's name, email address and vetting. Errors: EFORBIDDEN, ENOTFOUND,
// EINVALID, ECONFLICT.
func (u *Users) Update(ctx context.Context, who core.Actor, id int64, in UserInput) (UserView, error) {
	err := u.d.DB.InTx(ctx, func(ctx context.Context) error {
		user, err := u.load(ctx, who, id, policies.ActUpdate)
		if err != nil {
			return err
		}
		in.Roles = nil
		if err := in.validate(u.d.Now(), false); err != nil {
			return err
		}
		if err := u.emailFree(ctx, in.Email, user.ID); err != nil {
			return err
		}
		details := map[string]string{}
		if user.Name != in.Name {
			details["name"] = "changed"
		}
		if user.Email != in.Email {
			details["email"] = user.Email + " → " + in.Email
		}
		vetting := user.VettingLevel != in.VettingLevel || !sameDay(user.VettingExpiresOn, in.VettingExpiresOn)
		prosecutor := in.CrownProsecutor != nil && *in.CrownProsecutor != user.CrownProsecutor
		if user.ID == who.UserID && (vetting || prosecutor) {
			// Vetting is clearance, and the mark is the right to decide charges: like roles, they
			// are given by someone else.
			return core.Conflict("You cannot change your own vetting or Crown Prosecutor mark. Ask another administrator.")
		}
		if vetting {
			details["vetting"] = string(user.VettingLevel) + " " + dayString(user.VettingExpiresOn) + " → " + string(in.VettingLevel) + " " + dayString(in.VettingExpiresOn)
		}
		if prosecutor {
			org, err := (&Organisations{d: u.d}).get(ctx, user.OrganisationID)
			if err != nil {
				return err
			}
			if err := in.checkProsecutor(org); err != nil {
				return err
			}
			details["crown_prosecutor"] = strconv.FormatBool(user.CrownProsecutor) + " → " + strconv.FormatBool(*in.CrownProsecutor)
			user.CrownProsecutor = *in.CrownProsecutor
		}
		if len(details) == 0 {
			return nil
		}
		user.Name, user.Email, user.VettingLevel, user.VettingExpiresOn, user.UpdatedAt = in.Name, in.Email, in.VettingLevel, in.VettingExpiresOn, u.d.Now()
		if err := u.d.DB.Conn(ctx).Save(&user).Error; err != nil {
			return core.DBError(err)
		}
		return u.audit.Record(ctx, &who, core.Event{Action: "user.update", ObjectType: "user", ObjectID: core.IDString(user.ID), Outcome: core.OutcomeSuccess, Details: details})
	})
	if err != nil {
		return UserView{}, err
	}
	return u.Get(ctx, who, id)
}

// SetRoles makes roles the user's roles in their organisation. Any change ends all of the
// user's sessions at once; the change holds for the very next request. Nobody changes their own
// roles; only administrators grant, revoke or touch the administrator and auditor roles.
// Errors: EFORBIDDEN, ENOTFOUND, EINVALID, ECONFLICT.
func (u *Users) SetRoles(ctx context.Context, who core.Actor, id int64, roles []string) (UserView, error) {
	err := u.d.DB.InTx(ctx, func(ctx context.Context) error {
		user, err := u.load(ctx, who, id, policies.ActAssignRole)
		if err != nil {
			return err
		}
		if user.ID == who.UserID {
			return core.Conflict("You cannot change your own roles. Ask another administrator.")
		}
		if err := checkRoles(roles); err != nil {
			return err
		}
		if err := u.checkGrants(ctx, who, user, u.roles(user), roles); err != nil {
			return err
		}
		return u.setRoles(ctx, &who, user, roles)
	})
	if err != nil {
		return UserView{}, err
	}
	return u.Get(ctx, who, id)
}

// Edit changes a user's details and roles together, in one transaction: what the edit page
// posts. Errors: as Update and SetRoles.
func (u *Users) Edit(ctx context.Context, who core.Actor, id int64, in UserInput) (UserView, error) {
	roles := in.Roles
	err := u.d.DB.InTx(ctx, func(ctx context.Context) error {
		if _, err := u.Update(ctx, who, id, in); err != nil {
			return err
		}
		if id == who.UserID {
			return nil // nobody changes their own roles; the page does not offer it
		}
		_, err := u.SetRoles(ctx, who, id, roles)
		return err
	})
	if err != nil {
		return UserView{}, err
	}
	return u.Get(ctx, who, id)
}

// checkGrants asks the policy about a change that grants or removes a system role (admin,
// auditor): only administrators make those.
func (u *Users) checkGrants(ctx context.Context, who core.Actor, user core.User, had, want []string) error {
	for _, r := range append(slices.Clone(had), want...) {
		if systemRole(r) && slices.Contains(had, r) != slices.Contains(want, r) {
			return core.Can(ctx, u.d.Authz, who, policies.ActGrantSystemRole, userObject(user, who, had), "Only an administrator can grant or remove the "+r+" role.")
		}
	}
	return nil
}

// setRoles records the difference between the user's roles and want, ends their sessions if
// anything changed (a privilege change: they sign in again, under a new session ID, and meet any
// second-factor requirement the new roles bring), and applies the change to the policy once the
// transaction commits.
func (u *Users) setRoles(ctx context.Context, who *core.Actor, user core.User, want []string) error {
	principal, domain := policies.UserPrincipal(user.ID), policies.OrgDomain(user.OrganisationID)
	had := u.roles(user)
	tx := u.d.DB.Conn(ctx)
	changed := false
	for _, r := range had {
		if slices.Contains(want, r) {
			continue
		}
		if err := u.d.Authz.RevokeIn(tx, principal, r, domain); err != nil {
			return core.Internal(err)
		}
		changed = true
		if err := u.audit.Record(ctx, who, core.Event{Action: "role.revoke", ObjectType: "user", ObjectID: core.IDString(user.ID), Outcome: core.OutcomeSuccess, Details: map[string]string{"role": r}}); err != nil {
			return err
		}
	}
	for _, r := range want {
		if slices.Contains(had, r) {
			continue
		}
		if err := u.d.Authz.GrantIn(tx, principal, r, domain); err != nil {
			return core.Internal(err)
		}
		changed = true
		if err := u.audit.Record(ctx, who, core.Event{Action: "role.grant", ObjectType: "user", ObjectID: core.IDString(user.ID), Outcome: core.OutcomeSuccess, Details: map[string]string{"role": r}}); err != nil {
			return err
		}
	}
	if changed {
		if err := endSessions(ctx, u.d.DB, user.ID, ""); err != nil {
			return err
		}
	}
	// A token carries the assurance of the session that made it: one made without a second
	// factor, by an officer or a trainer, must not reach case files when its user is given a
	// role that needs one they have not set up (the operator's tokens stay: revokeTokens).
	if mfaRequired(want) && !mfaRequired(had) && user.MFAEnabledAt == nil {
		if err := u.revokeTokens(ctx, who, user.ID, "a role that needs a second factor, not set up"); err != nil {
			return err
		}
	}
	core.AfterCommit(ctx, func() {
		if err := u.d.Authz.Refresh(context.WithoutCancel(ctx), principal); err != nil {
			u.d.Log.Error("policy refresh after a role change failed; the periodic reload will catch up", "user", user.ID, "error", err)
		}
	})
	return nil
}

// revokeTokens stops every live API token of user userID made in a signed-in session working,
// for reason, and records it. A token the operator made carries the operator's assurance, not a
// session's, and stays.
func (u *Users) revokeTokens(ctx context.Context, who *core.Actor, userID int64, reason string) error {
	res := u.d.DB.Conn(ctx).Model(&APIToken{}).Where("user_id = ? AND NOT by_operator AND revoked_at IS NULL AND expires_at > ?", userID, u.d.Now()).
		Update("revoked_at", u.d.Now())
	if res.Error != nil || res.RowsAffected == 0 {
		return core.DBError(res.Error)
	}
	return u.audit.Record(ctx, who, core.Event{Action: "token.revoke", ObjectType: "user", ObjectID: core.IDString(userID), Outcome: core.OutcomeSuccess,
		Details: map[string]string{"tokens": strconv.FormatInt(res.RowsAffected, 10), "reason": reason}})
}

// SetDisabled disables or re-enables a user. A disabled user cannot sign in, and their sessions
// and API tokens stop working at once; nothing of theirs is deleted. Nobody disables themselves.
// Errors: EFORBIDDEN, ENOTFOUND, ECONFLICT.
func (u *Users) SetDisabled(ctx context.Context, who core.Actor, id int64, disabled bool) (UserView, error) {
	err := u.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.People)
		user, err := u.load(ctx, who, id, policies.ActDisable)
		if err != nil {
			return err
		}
		if user.ID == who.UserID {
			return core.Conflict("You cannot disable your own account.")
		}
		if (user.DisabledAt != nil) == disabled {
			return nil
		}
		now := u.d.Now()
		action := "user.enable"
		user.DisabledAt = nil
		if disabled {
			action, user.DisabledAt = "user.disable", &now
			if err := endSessions(ctx, u.d.DB, user.ID, ""); err != nil {
				return err
			}
		}
		user.UpdatedAt = now
		if err := u.d.DB.Conn(ctx).Save(&user).Error; err != nil {
			return core.DBError(err)
		}
		return u.audit.Record(ctx, &who, core.Event{Action: action, ObjectType: "user", ObjectID: core.IDString(user.ID), Outcome: core.OutcomeSuccess})
	})
	if err != nil {
		return UserView{}, err
	}
	return u.Get(ctx, who, id)
}

// ResetMFA removes a user's second factor and recovery codes (a lost phone): they enrol again at
// their next sign-in, and their sessions end. Errors: EFORBIDDEN, ENOTFOUND, ECONFLICT.
func (u *Users) ResetMFA(ctx context.Context, who core.Actor, id int64) (UserView, error) {
	err := u.d.DB.InTx(ctx, func(ctx context.Context) error {
		user, err := u.load(ctx, who, id, policies.ActUpdate)
		if err != nil {
			return err
		}
		if user.ID == who.UserID {
			return core.Conflict("Reset your own second factor from your account page.")
		}
		if err := u.d.DB.Conn(ctx).Model(&user).Updates(map[string]any{"mfa_secret": "", "mfa_enabled_at": nil, "mfa_last_step": 0, "updated_at": u.d.Now()}).Error; err != nil {
			return core.DBError(err)
		}
		if err := u.d.DB.Conn(ctx).Where("user_id = ?", user.ID).Delete(&recoveryCode{}).Error; err != nil {
			return core.DBError(err)
		}
		if err := endSessions(ctx, u.d.DB, user.ID, ""); err != nil {
			return err
		}
		if mfaRequired(u.roles(user)) { // their tokens were made with the factor now gone
			if err := u.revokeTokens(ctx, &who, user.ID, "second factor reset"); err != nil {
				return err
			}
		}
		return u.audit.Record(ctx, &who, core.Event{Action: "mfa.reset", ObjectType: "user", ObjectID: core.IDString(user.ID), Outcome: core.OutcomeSuccess})
	})
	if err != nil {
		return UserView{}, err
	}
	return u.Get(ctx, who, id)
}

// SetPasswordLink issues a single-use link, valid for 24 hours, with which the user sets a new
// password; earlier unused links of theirs stop working. With email on, the link is emailed to
// the user and "" is returned; without, the link is returned for the administrator to pass on.
// Errors: EFORBIDDEN, ENOTFOUND, ECONFLICT (disabled).
func (u *Users) SetPasswordLink(ctx context.Context, who core.Actor, id int64) (string, error) {
	var link string
	err := u.d.DB.InTx(ctx, func(ctx context.Context) error {
		user, err := u.load(ctx, who, id, policies.ActUpdate)
		if err != nil {
			return err
		}
		if user.DisabledAt != nil {
			return core.Conflict("Enable the account before sending a set-password link.")
		}
		emailed, err := emailSetPasswordLink(ctx, u.d, user.ID, NoticePasswordLink)
		if err != nil {
			return err
		}
		delivery := "email"
		if !emailed {
			delivery = "shown"
			if link, err = core.IssueLink(ctx, u.d, core.LinkSetPassword, &user.ID, &who.UserID, 24*time.Hour); err != nil {
				return err
			}
		}
		return u.audit.Record(ctx, &who, core.Event{Action: "user.set_password_link", ObjectType: "user", ObjectID: core.IDString(user.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"delivery": delivery}})
	})
	return link, err
}

func (u *Users) emailFree(ctx context.Context, email string, except int64) error {
	var n int64
	if err := u.d.DB.Conn(ctx).Model(&core.User{}).Where("email = ? AND id <> ?", email, except).Count(&n).Error; err != nil {
		return core.DBError(err)
	}
	if n > 0 {
		return &core.Error{Code: core.ECONFLICT, Field: "email", Message: "Another account already uses this email address"}
	}
	return nil
}

func sameDay(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Format(time.DateOnly) == b.Format(time.DateOnly)
}

func dayString(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.DateOnly)
}

// Kinds of notification that carry a set-password link in their email (and only there).
const (
	NoticeInvitation   = "invitation"    // an account was made for them
	NoticePasswordLink = "password_link" // an administrator sent them a new set-password link
)

// emailSetPasswordLink queues an email with a set-password link for the user when email is on,
// in the transaction in ctx, and reports whether it did. The link is made only when the email
// is sent, so the secret is never stored (only its hash, as for every link) and its 24 hours
// start when it leaves; earlier unused links stop working now. The in-app notification says a
// link was emailed, never the link.
func emailSetPasswordLink(ctx context.Context, d core.Deps, userID int64, kind string) (bool, error) {
	if d.SMTP == nil {
		return false, nil
	}
	if err := core.ExpireLinks(ctx, d, core.LinkSetPassword, &userID); err != nil {
		return false, err
	}
	text := "We emailed you a link to set a new password for MSP Hub."
	if kind == NoticeInvitation {
		text = "Your MSP Hub account was created, and we emailed you a link to set its password."
	}
	return true, core.Notify(ctx, d, userID, kind, text, "/account")
}

// passwordMail is the email of an invitation or a new set-password link.
func passwordMail(kind, name, link string) core.Email {
	c := core.Email{Greeting: "Dear " + name + ",", LinkText: link, URL: link}
	if kind == NoticeInvitation {
		c.Subject = "Your MSP Hub account"
		c.Paragraphs = []string{"An account on MSP Hub, the modern slavery policing programme's workspace, has been created for you.",
			"Set your password with this link. It works once, within 24 hours:"}
	} else {
		c.Subject = "Set a new password for MSP Hub"
		c.Paragraphs = []string{"Your administrator sent you a link to set a new password for MSP Hub.",
			"It works once, within 24 hours, and replaces any earlier link:"}
	}
	c.Paragraphs = append(c.Paragraphs, "If you did not expect this email, do not use the link: tell your organisation's MSP Hub administrator.")
	return c
}

// emailedLinkTTL is how long an emailed set-password link works, from sending.
const emailedLinkTTL = 24 * time.Hour

// passwordEmail writes the email of an invitation or a set-password notification: the link is
// made now, as it is sent, so its secret is never stored and its 24 hours start when it leaves.
func (u *Users) passwordEmail(ctx context.Context, n core.Notification, to core.User) (core.Email, error) {
	var link string
	err := u.d.DB.InTx(ctx, func(ctx context.Context) error {
		var err error
		link, err = core.IssueLink(ctx, u.d, core.LinkSetPassword, &to.ID, nil, emailedLinkTTL)
		return err
	})
	return passwordMail(n.Kind, to.Name, link), err
}

// EmailComposers are identity's emails that carry more than the generic text.
func (u *Users) EmailComposers() map[string]core.EmailComposer {
	return map[string]core.EmailComposer{NoticeInvitation: u.passwordEmail, NoticePasswordLink: u.passwordEmail}
}
