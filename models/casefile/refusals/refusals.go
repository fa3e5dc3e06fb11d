// Package refusals says when a refusal of case material is to be audited: once a minute per
// person and route at most, so that a scan of case numbers cannot flood the audit log.
package refusals

import (
	"sync"
	"time"
)

// Every is how often a refusal of the same person on the same route is audited.
const Every = time.Minute

// Limiter remembers when each person's refusal on each route was last audited, in memory. Its
// zero value is ready to use.
type Limiter struct {
	mu   sync.Mutex
	last map[key]time.Time
}

type key struct {
	user  int64
	route string
}

// Due says whether a refusal of user on route at now is to be audited, and if so notes it.
func (r *Limiter) Due(user int64, route string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[key]time.Time{}
	}
	if len(r.last) > 10000 {
		for k, at := range r.last {
			if now.Sub(at) >= Every {
				delete(r.last, k)
			}
		}
	}
	k := key{user, route}
	if at, ok := r.last[k]; ok && now.Sub(at) < Every {
		return false
	}
	r.last[k] = now
	return true
}
