package casefile

import (
	"context"
	"strconv"

	"github.com/msptp/msphub/models/core"
)

// AuditRefusal records that who was refused case material on route (a method and route
// pattern) for the case the path named: the 404 that never says whether the case exists. At
// most one event per person and route a minute is written. Anyone may call it; it authorizes
// nothing. Errors: those of the audit log.
func (s *Service) AuditRefusal(ctx context.Context, who core.Actor, route, caseID string) error {
	if who.UserID == 0 || !s.refused.Due(who.UserID, route, s.d.Now()) {
		return nil
	}
	ev := core.Event{Action: "casefile.access_denied", ObjectType: "casefile", Outcome: core.OutcomeDenied, Details: map[string]string{"route": route}}
	if _, err := strconv.ParseInt(caseID, 10, 64); err == nil {
		ev.ObjectID = caseID
	}
	return s.audit.Record(ctx, &who, ev)
}
