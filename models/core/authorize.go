package core

import (
	"context"
	"errors"

	"github.com/msptp/msphub/policies"
)

// authorizer is the part of policies.Authorizer operations use.
type authorizer interface {
	Can(ctx context.Context, sub policies.Subject, act policies.Action, obj policies.Object) error
}

// Can asks the policy whether who may act on obj. A denial is EFORBIDDEN with message; a policy
// that cannot decide is EINTERNAL, never a silent allow or deny.
func Can(ctx context.Context, authz authorizer, who Actor, act policies.Action, obj policies.Object, message string) error {
	err := authz.Can(ctx, who.Subject(), act, obj)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, policies.ErrDenied):
		return Forbidden(message)
	}
	return Internal(err)
}

// PersonalObject is a thing of type typ in organisation orgID that belongs to person userID, as
// the policy sees it from who's point of view: RelSelf when it is who's own.
func PersonalObject(typ string, orgID, userID int64, who Actor) policies.Object {
	obj := policies.Object{Type: typ, Org: policies.OrgDomain(orgID)}
	if userID == who.UserID {
		obj.Rel |= policies.RelSelf
	}
	return obj
}

// CanSee is can for things whose existence must not leak: a denial reads as not found.
func CanSee(ctx context.Context, authz authorizer, who Actor, act policies.Action, obj policies.Object, what string) error {
	err := authz.Can(ctx, who.Subject(), act, obj)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, policies.ErrDenied):
		return NotFound(what + " not found")
	}
	return Internal(err)
}
