package identity

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// recoveryCode is one single-use recovery code, stored hashed.
type recoveryCode struct {
	ID        int64
	UserID    int64
	CodeHash  string
	UsedAt    *time.Time
	CreatedAt time.Time
}

func (recoveryCode) TableName() string { return "recovery_codes" }

// Accounts holds what people do to their own account: passwords, the second factor, and the
// first administrator's set-up.
type Accounts struct {
	d     core.Deps
	audit *core.Audit
}

func (a *Accounts) user(ctx context.Context, id int64) (core.User, error) {
	return core.TakeRow[core.User](ctx, a.d.DB, id, false, "User not found")
}

// passwordInputs are the words a password must not be built from: the user's name and email.
func passwordInputs(u core.User) []string {
	in := []string{u.Email, strings.Split(u.Email, "@")[0]}
	return append(in, strings.Fields(u.Name)...)
}

// ChangePassword replaces the actor's password after checking the current one. Every session of
// theirs ends and this browser gets a new one, whose cookie value is returned. Errors:
// EINVALID (wrong current password, weak new one), ETOOMANY.
func (a *Accounts) ChangePassword(ctx context.Context, who core.Actor, current, next string) (string, error) {
	var token string
	var failure error
	err := a.d.DB.InTx(ctx, func(ctx context.Context) error {
		if err := core.Can(ctx, a.d.Authz, who, policies.ActUpdate, policies.Object{Type: "account", Rel: policies.RelSelf}, "You cannot change this password."); err != nil {
			return err
		}
		u, err := a.user(ctx, who.UserID)
		if err != nil {
			return err
		}
		keys := []string{throttleKey("account", u.Email)}
		if wait, err := throttled(ctx, a.d, keys); err != nil {
			return err
		} else if wait > 0 {
			failure = tooMany(wait)
			return nil
		}
		if ok, _, err := VerifyPassword(u.PasswordHash, current); err != nil {
			return core.Internal(err)
		} else if !ok {
			if err := recordFailure(ctx, a.d, keys); err != nil {
				return err
			}
			failure = core.Invalid("current_password", "Your current password is not right")
			return a.audit.Record(ctx, &who, core.Event{Action: "auth.password_change", ObjectType: "user", ObjectID: core.IDString(u.ID), Outcome: core.OutcomeFailure})
		}
		if err := a.setPassword(ctx, &u, next, "new_password"); err != nil {
			return err
		}
		if err := endSessions(ctx, a.d.DB, u.ID, ""); err != nil {
			return err
		}
		if token, err = startSession(ctx, a.d, u.ID, true); err != nil {
			return err
		}
		return a.audit.Record(ctx, &who, core.Event{Action: "auth.password_change", ObjectType: "user", ObjectID: core.IDString(u.ID), Outcome: core.OutcomeSuccess})
	})
	if err != nil {
		return "", err
	}
	return token, failure
}

// setPassword checks and stores a new password.
func (a *Accounts) setPassword(ctx context.Context, u *core.User, password, field string) error {
	if err := CheckPassword(password, passwordInputs(*u)...); err != nil {
		var e *core.Error
		if errors.As(err, &e) {
			e.Field = field
		}
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return core.Internal(err)
	}
	now := a.d.Now()
	u.PasswordHash, u.PasswordChangedAt, u.UpdatedAt = hash, &now, now
	return core.DBError(a.d.DB.Conn(ctx).Model(u).Updates(map[string]any{"password_hash": hash, "password_changed_at": now, "updated_at": now}).Error)
}

// SetPasswordLinkOwner says whose live set-password link token is, for the page that asks for
// the new password. Errors: ENOTFOUND (expired, used or unknown).
func (a *Accounts) SetPasswordLinkOwner(ctx context.Context, token string) (core.User, error) {
	l, err := core.CheckLink(ctx, a.d, core.LinkSetPassword, token)
	if err != nil {
		return core.User{}, err
	}
	return a.user(ctx, *l.UserID)
}

// SetPasswordWithLink sets a password through a set-password link, which it uses up. Every
// session of the user ends; they then sign in. Errors: ENOTFOUND (expired, used or unknown link),
// EINVALID (weak password), ECONFLICT (account disabled).
func (a *Accounts) SetPasswordWithLink(ctx context.Context, token, password string) error {
	return a.d.DB.InTx(ctx, func(ctx context.Context) error {
		l, err := core.CheckLink(ctx, a.d, core.LinkSetPassword, token)
		if err != nil {
			return err
		}
		u, err := a.user(ctx, *l.UserID)
		if err != nil {
			return err
		}
		if u.DisabledAt != nil {
			return core.Conflict("This account is disabled. Ask your administrator.")
		}
		if err := a.setPassword(ctx, &u, password, "password"); err != nil {
			return err
		}
		if _, err := core.UseLink(ctx, a.d, core.LinkSetPassword, token); err != nil {
			return err
		}
		if err := endSessions(ctx, a.d.DB, u.ID, ""); err != nil {
			return err
		}
		who := core.Actor{UserID: u.ID, OrgID: u.OrganisationID}
		return a.audit.Record(ctx, &who, core.Event{Action: "auth.password_set", ObjectType: "user", ObjectID: core.IDString(u.ID), Outcome: core.OutcomeSuccess, Details: map[string]string{"via": "link"}})
	})
}

// MFAEnrolment is what the set-up page shows: the secret as text and as a QR code.
type MFAEnrolment struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
	QR     string `json:"qr_data_url"`
}

// BeginMFA starts setting up the actor's second factor: a new secret, kept (sealed) until a code
// from it confirms the set-up. Calling it again shows the same secret. Errors: ECONFLICT
// (already set up).
func (a *Accounts) BeginMFA(ctx context.Context, who core.Actor) (MFAEnrolment, error) {
	var out MFAEnrolment
	err := a.d.DB.InTx(ctx, func(ctx context.Context) error {
		u, err := a.user(ctx, who.UserID)
		if err != nil {
			return err
		}
		if u.MFAEnabledAt != nil {
			return core.Conflict("Your second factor is already set up")
		}
		if u.MFASecret != "" {
			if secret, err := a.d.Secrets.Open(u.MFASecret, "totp"); err == nil {
				out.Secret = string(secret)
				out.URL, out.QR, err = TOTPFor(u.Email, out.Secret)
				return err
			}
		}
		if out.Secret, out.URL, out.QR, err = NewTOTP(u.Email); err != nil {
			return core.Internal(err)
		}
		sealed, err := a.d.Secrets.Seal([]byte(out.Secret), "totp")
		if err != nil {
			return core.Internal(err)
		}
		return core.DBError(a.d.DB.Conn(ctx).Model(&u).Updates(map[string]any{"mfa_secret": sealed, "mfa_last_step": 0}).Error)
	})
	return out, err
}

// ConfirmMFA finishes setting up the second factor with a code from the new secret. It returns
// ten recovery codes, shown once, and replaces the session with a new one that has passed the
// second factor. Errors: EINVALID (wrong code), ECONFLICT (not started or already done).
func (a *Accounts) ConfirmMFA(ctx context.Context, who core.Actor, code string) (codes []string, token string, err error) {
	var failure error
	err = a.d.DB.InTx(ctx, func(ctx context.Context) error {
		u, err := a.user(ctx, who.UserID)
		if err != nil {
			return err
		}
		if u.MFAEnabledAt != nil {
			return core.Conflict("Your second factor is already set up")
		}
		if u.MFASecret == "" {
			return core.Conflict("Start setting up your second factor first")
		}
		secret, err := a.d.Secrets.Open(u.MFASecret, "totp")
		if err != nil {
			return core.Internal(err)
		}
		step, ok := VerifyTOTP(string(secret), code, a.d.Now(), u.MFALastStep)
		if !ok {
			failure = core.Invalid("code", "The code is not right. Enter the 6-digit code your authenticator app shows now")
			return a.audit.Record(ctx, &who, core.Event{Action: "mfa.enrol", ObjectType: "user", ObjectID: core.IDString(u.ID), Outcome: core.OutcomeFailure})
		}
		now := a.d.Now()
		if err := a.d.DB.Conn(ctx).Model(&u).Updates(map[string]any{"mfa_enabled_at": now, "mfa_last_step": step, "updated_at": now}).Error; err != nil {
			return core.DBError(err)
		}
		if codes, err = a.replaceRecoveryCodes(ctx, u.ID); err != nil {
			return err
		}
		if err := endSessions(ctx, a.d.DB, u.ID, ""); err != nil {
			return err
		}
		if token, err = startSession(ctx, a.d, u.ID, true); err != nil {
			return err
		}
		return a.audit.Record(ctx, &who, core.Event{Action: "mfa.enrol", ObjectType: "user", ObjectID: core.IDString(u.ID), Outcome: core.OutcomeSuccess})
	})
	if err != nil {
		return nil, "", err
	}
	if failure != nil {
		return nil, "", failure
	}
	return codes, token, nil
}

// NewRecoveryCodes replaces the actor's recovery codes with ten new ones, shown once. Errors:
// ECONFLICT (no second factor).
func (a *Accounts) NewRecoveryCodes(ctx context.Context, who core.Actor) ([]string, error) {
	var codes []string
	err := a.d.DB.InTx(ctx, func(ctx context.Context) error {
		u, err := a.user(ctx, who.UserID)
		if err != nil {
			return err
		}
		if u.MFAEnabledAt == nil {
			return core.Conflict("Set up your second factor first")
		}
		if codes, err = a.replaceRecoveryCodes(ctx, u.ID); err != nil {
			return err
		}
		return a.audit.Record(ctx, &who, core.Event{Action: "mfa.recovery_codes", ObjectType: "user", ObjectID: core.IDString(u.ID), Outcome: core.OutcomeSuccess})
	})
	return codes, err
}

// RecoveryCodesLeft counts the actor's unused recovery codes.
func (a *Accounts) RecoveryCodesLeft(ctx context.Context, who core.Actor) (int64, error) {
	var n int64
	err := a.d.DB.Conn(ctx).Model(&recoveryCode{}).Where("user_id = ? AND used_at IS NULL", who.UserID).Count(&n).Error
	return n, core.DBError(err)
}

func (a *Accounts) replaceRecoveryCodes(ctx context.Context, userID int64) ([]string, error) {
	if err := a.d.DB.Conn(ctx).Where("user_id = ?", userID).Delete(&recoveryCode{}).Error; err != nil {
		return nil, core.DBError(err)
	}
	codes, hashes := NewRecoveryCodes()
	now := a.d.Now()
	rows := make([]recoveryCode, 0, len(hashes))
	for _, h := range hashes {
		rows = append(rows, recoveryCode{UserID: userID, CodeHash: h, CreatedAt: now})
	}
	return codes, core.DBError(a.d.DB.Conn(ctx).Create(&rows).Error)
}

// SetupLink returns a fresh single-use link, valid for an hour, with which the first
// administrator creates their account, or "" once any user exists. Each call retires the previous
// link.
func (a *Accounts) SetupLink(ctx context.Context) (string, error) {
	var link string
	err := a.d.DB.InTx(ctx, func(ctx context.Context) error {
		var n int64
		if err := a.d.DB.Conn(ctx).Model(&core.User{}).Count(&n).Error; err != nil {
			return core.DBError(err)
		}
		if n > 0 {
			return nil
		}
		var err error
		link, err = core.IssueLink(ctx, a.d, core.LinkSetup, nil, nil, time.Hour)
		return err
	})
	return link, err
}

// CheckSetupLink says whether token is a live set-up link while MSP Hub is not yet set up (no
// user exists): once it is, no set-up link works. Errors: ENOTFOUND.
func (a *Accounts) CheckSetupLink(ctx context.Context, token string) error {
	if _, err := core.CheckLink(ctx, a.d, core.LinkSetup, token); err != nil {
		return err
	}
	return a.notSetUp(ctx)
}

// notSetUp is ENOTFOUND once any user exists.
func (a *Accounts) notSetUp(ctx context.Context) error {
	var n int64
	if err := a.d.DB.Conn(ctx).Model(&core.User{}).Count(&n).Error; err != nil {
		return core.DBError(err)
	}
	if n > 0 {
		return core.NotFound("MSP Hub is already set up. Sign in instead.")
	}
	return nil
}

// FirstAdmin is what the first administrator gives on the set-up page.
type FirstAdmin struct {
	Name, Email, Password string
}

// CreateFirstAdmin uses the set-up link to create the first administrator in the programme's
// own unit and signs them in; they must then set up their second factor. It works once, while
// no user exists. Errors: ENOTFOUND (bad link, or set-up already done), EINVALID.
func (a *Accounts) CreateFirstAdmin(ctx context.Context, token string, in FirstAdmin) (SignedIn, error) {
	var out SignedIn
	err := a.d.DB.InTx(ctx, func(ctx context.Context) error {
		if a.d.DB.Dialect() == core.DialectPostgres {
			if err := a.d.DB.Conn(ctx).Exec("SELECT pg_advisory_xact_lock(hashtext('msphub.setup'))").Error; err != nil {
				return core.DBError(err)
			}
		}
		if err := a.CheckSetupLink(ctx, token); err != nil {
			return err
		}
		var org core.Organisation
		if err := a.d.DB.Conn(ctx).Take(&org, "slug = ?", ProgrammeUnitSlug).Error; err != nil {
			return core.DBError(err)
		}
		input := UserInput{OrganisationID: org.ID, Email: in.Email, Name: in.Name, Roles: []string{policies.RoleAdmin}}
		if err := input.validate(a.d.Now(), true); err != nil {
			return err
		}
		now := a.d.Now()
		u := core.User{OrganisationID: org.ID, Email: input.Email, Name: input.Name, VettingLevel: core.VettingNone, CreatedAt: now, UpdatedAt: now}
		if err := CheckPassword(in.Password, passwordInputs(u)...); err != nil {
			return err
		}
		if _, err := core.UseLink(ctx, a.d, core.LinkSetup, token); err != nil {
			return err
		}
		if err := a.d.DB.Conn(ctx).Create(&u).Error; err != nil {
			return core.DBError(err)
		}
		core.Changed(ctx, core.People)
		if err := a.setPassword(ctx, &u, in.Password, "password"); err != nil {
			return err
		}
		principal := policies.UserPrincipal(u.ID)
		if err := a.d.Authz.GrantIn(a.d.DB.Conn(ctx), principal, policies.RoleAdmin, policies.OrgDomain(org.ID)); err != nil {
			return core.Internal(err)
		}
		core.AfterCommit(ctx, func() {
			if err := a.d.Authz.Refresh(context.WithoutCancel(ctx), principal); err != nil {
				a.d.Log.Error("policy refresh after set-up failed", "error", err)
			}
		})
		who := core.Actor{UserID: u.ID, OrgID: org.ID}
		for _, ev := range []core.Event{
			{Action: "user.create", ObjectType: "user", ObjectID: core.IDString(u.ID), Outcome: core.OutcomeSuccess, Details: map[string]string{"via": "set-up link", "organisation": org.Slug}},
			{Action: "role.grant", ObjectType: "user", ObjectID: core.IDString(u.ID), Outcome: core.OutcomeSuccess, Details: map[string]string{"role": policies.RoleAdmin}},
		} {
			if err := a.audit.Record(ctx, &who, ev); err != nil {
				return err
			}
		}
		var err error
		out.Next = StepEnrolMFA
		out.Token, err = startSession(ctx, a.d, u.ID, false)
		return err
	})
	return out, err
}
