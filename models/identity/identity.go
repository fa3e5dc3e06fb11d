// Package identity holds who people are and how they get in: organisations, users and their
// roles, passwords and second factors, sessions, API tokens, single sign-on, sign-in throttling
// and the operator's commands.
package identity

import "github.com/msptp/msphub/models/core"

// identityServices are identity's operations: organisations, people, accounts, signing in,
// tokens, the operator's commands and single sign-on.
type Services struct {
	Organisations *Organisations
	Users         *Users
	Accounts      *Accounts
	Sessions      *Sessions
	Tokens        *Tokens
	Operator      *Operator
	OIDC          *OIDC // single sign-on through organisations' OpenID providers
}

// newIdentity builds identity's operations.
func New(d core.Deps, audit *core.Audit) *Services {
	users := &Users{d: d, audit: audit}
	return &Services{
		Organisations: &Organisations{d: d, audit: audit},
		Users:         users,
		Accounts:      &Accounts{d: d, audit: audit},
		Sessions:      &Sessions{d: d, audit: audit},
		Tokens:        &Tokens{d: d, audit: audit},
		Operator:      &Operator{d: d, audit: audit, users: users},
		OIDC:          newOIDC(d, audit),
	}
}

// Jobs are identity's background jobs.
func (s *Services) Jobs() []core.Job { return s.Sessions.jobs() }
