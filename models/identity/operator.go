package identity

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/msptp/msphub/models/core"
	"gorm.io/gorm"
)

// Operator holds what `msphub admin` does from the command line for scripted set-ups. Whoever
// runs it already holds the database and the master key, so there is no actor to authorize;
// every step is audited as done from the command line.
type Operator struct {
	d     core.Deps
	audit *core.Audit
	users *Users
}

// CreateUser adds a user with roles and vetting. With a password it is set (after the usual
// checks); without one, a set-password link valid for 24 hours is emailed to them when email is
// on (and "" returned), or else returned to pass on. Errors: EINVALID, ECONFLICT.
func (o *Operator) CreateUser(ctx context.Context, in UserInput, password string) (UserView, string, error) {
	var user core.User
	var link string
	err := o.d.DB.InTx(ctx, func(ctx context.Context) error {
		var err error
		if user, err = o.users.create(ctx, nil, in, map[string]string{"via": "command line"}); err != nil {
			return err
		}
		if password != "" {
			return (&Accounts{d: o.d, audit: o.audit}).setPassword(ctx, &user, password, "password")
		}
		if emailed, err := emailSetPasswordLink(ctx, o.d, user.ID, NoticeInvitation); err != nil || emailed {
			return err
		}
		link, err = core.IssueLink(ctx, o.d, core.LinkSetPassword, &user.ID, nil, 24*time.Hour)
		return err
	})
	view, err := o.users.view(ctx, user, err)
	return view, link, err
}

// CreateToken makes an API token for the user with email and returns its secret, shown once.
// Errors: ENOTFOUND, EINVALID.
func (o *Operator) CreateToken(ctx context.Context, email string, in NewToken) (string, APIToken, error) {
	var secret string
	var tok APIToken
	err := o.d.DB.InTx(ctx, func(ctx context.Context) error {
		addr, err := core.NormaliseEmail(email)
		if err != nil {
			return err
		}
		var u core.User
		if err := o.d.DB.Conn(ctx).Take(&u, "email = ?", addr).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return core.NotFound("No user has the email address " + addr)
		} else if err != nil {
			return core.DBError(err)
		}
		if secret, tok, err = createToken(ctx, o.d, u.ID, in, true); err != nil {
			return err
		}
		return o.audit.Record(ctx, nil, core.Event{Action: "token.create", ObjectType: "token", ObjectID: core.IDString(tok.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"via": "command line", "user": core.IDString(u.ID), "name": tok.Name, "scope": tok.Scope}})
	})
	return secret, tok, err
}

// OrganisationBySlug finds an organisation by its slug, for the command line. Errors: ENOTFOUND.
func (o *Operator) OrganisationBySlug(ctx context.Context, slug string) (core.Organisation, error) {
	var org core.Organisation
	err := o.d.DB.Conn(ctx).Take(&org, "slug = ?", slug).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return core.Organisation{}, core.NotFound("No organisation has the slug " + slug)
	}
	return org, core.DBError(err)
}

// Organisations lists every organisation, deactivated ones too, ordered by kind and name: what
// the command line offers for --org.
func (o *Operator) Organisations(ctx context.Context) ([]core.Organisation, error) {
	var out []core.Organisation
	if err := o.d.DB.Conn(ctx).Order("kind, name").Find(&out).Error; err != nil {
		return nil, core.DBError(err)
	}
	kindOrder := func(k core.OrgKind) int { return slices.Index(core.OrgKinds(), k) }
	slices.SortStableFunc(out, func(a, b core.Organisation) int { return kindOrder(a.Kind) - kindOrder(b.Kind) })
	return out, nil
}
