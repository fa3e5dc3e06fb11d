package casefile

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/msptp/msphub/models/core"
)

// refusalEvery is how often a refusal of the same person on the same route is audited: a scan
// of case numbers must not flood the log.
const refusalEvery = time.Minute

// refusals remembers when each person's refusal on each route was last audited, in memory.
type refusals struct {
	mu   sync.Mutex
	last map[refusalKey]time.Time
}

type refusalKey struct {
	user  int64
	route string
}

// due says whether a refusal of user on route at now is to be audited, and if so notes it.
func (r *refusals) due(user int64, route string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[refusalKey]time.Time{}
	}
	if len(r.last) > 10000 {
		for k, at := range r.last {
			if now.Sub(at) >= refusalEvery {
				delete(r.last, k)
			}
		}
	}
	k := refusalKey{user, route}
	if at, ok := r.last[k]; ok && now.Sub(at) < refusalEvery {
		return false
	}
	r.last[k] = now
	return true
}

// AuditRefusal records that who was refused case material on route (a method and route
// pattern) for the case the path named: the 404 that never says whether the case exists. At
// most one event per person and route a minute is written. Anyone may call it; it authorizes
// nothing. Errors: those of the audit log.
func (s *Service) AuditRefusal(ctx context.Context, who core.Actor, route, caseID string) error {
	if who.UserID == 0 || !s.refused.due(who.UserID, route, s.d.Now()) {
		return nil
	}
	ev := core.Event{Action: "casefile.access_denied", ObjectType: "casefile", Outcome: core.OutcomeDenied, Details: map[string]string{"route": route}}
	if _, err := strconv.ParseInt(caseID, 10, 64); err == nil {
		ev.ObjectID = caseID
	}
	return s.audit.Record(ctx, &who, ev)
}
