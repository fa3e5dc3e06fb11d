package policies

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// facts carries the attributes of a request to the holds function.
type facts struct {
	Subject Subject
	Object  Object
}

// Authorizer answers "may this subject do this to that object?" from the policy held in the
// database. It is safe for concurrent use.
type Authorizer struct {
	db       *gorm.DB
	enforcer *casbin.SyncedEnforcer

	mu          sync.RWMutex
	families    map[string]string // object type -> casbin section suffix ("", "2", "3", "4")
	fingerprint string            // of the permission rows in force (Fingerprint)
	// decided holds the answers Can gave since the policy in memory last changed: a decision is
	// a function of the policy, the subject, the action and the object, so the same question
	// gets the same answer until forget runs (at every change of rows or role assignments).
	// generation tells an answer worked out before a change from one worked out after it.
	decided    map[decision]error
	generation uint64
}

// decision is one question Can answers.
type decision struct {
	sub Subject
	act Action
	obj Object
}

// maxDecided bounds the answers kept; past it they are all forgotten and worked out again.
const maxDecided = 1 << 16

// forget drops every answer kept: the policy in memory has changed.
func (a *Authorizer) forget() {
	a.mu.Lock()
	a.decided = map[decision]error{}
	a.generation++
	a.mu.Unlock()
}

// New loads the policy from db, first bringing the default permission rows up to date (Sync),
// and returns an Authorizer over it.
func New(ctx context.Context, db *gorm.DB) (*Authorizer, error) {
	if err := Sync(ctx, db); err != nil {
		return nil, err
	}
	m, err := model.NewModelFromString(modelConf)
	if err != nil {
		return nil, fmt.Errorf("policy model: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m, ruleStore{db.WithContext(ctx)})
	if err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	// The database is written only through callers' transactions (GrantIn, RevokeIn, Sync); the
	// enforcer's own changes are to memory, made once those transactions commit (Refresh).
	e.EnableAutoSave(false)
	e.AddFunction("holds", func(args ...any) (any, error) {
		if len(args) != 2 {
			return false, fmt.Errorf("holds takes 2 arguments, got %d", len(args))
		}
		f, ok1 := args[0].(*facts)
		rel, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return false, errors.New("holds: arguments must be facts and string")
		}
		return holds(f.Subject, f.Object, rel)
	})
	a := &Authorizer{db: db, enforcer: e}
	if err := a.index(); err != nil {
		return nil, err
	}
	return a, nil
}

// index records which family each object type lives in, so Can evaluates one section only.
// A type in two families would make decisions depend on which one is scanned: refused.
func (a *Authorizer) index() error {
	fam, h := map[string]string{}, sha256.New()
	for _, sec := range families() {
		rows, err := a.enforcer.GetNamedPolicy(sec)
		if err != nil {
			return fmt.Errorf("%w: read %s rows: %v", ErrInternal, sec, err)
		}
		for _, row := range rows {
			if len(row) < 4 {
				return fmt.Errorf("%w: malformed %s row %v", ErrInternal, sec, row)
			}
			suffix := strings.TrimPrefix(sec, "p")
			if prev, ok := fam[row[1]]; ok && prev != suffix {
				return fmt.Errorf("%w: object type %q appears in two families (p%s and %s)", ErrInternal, row[1], prev, sec)
			}
			fam[row[1]] = suffix
			fmt.Fprintf(h, "%s %q\n", sec, row)
		}
	}
	a.mu.Lock()
	a.families, a.fingerprint = fam, hex.EncodeToString(h.Sum(nil))
	a.mu.Unlock()
	a.forget()
	return nil
}

// Fingerprint names the permission rows in force: it changes when a reload brings different
// rows, and is the same on every replica holding the same rows. (Role assignments are the
// subject's, and are not part of it.) Something that depends on what the policy allows, such as
// a list's ETag, includes it.
func (a *Authorizer) Fingerprint() string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.fingerprint
}

// Can returns nil when sub may do act to obj, ErrDenied when the policy does not allow it, and
// an error wrapping ErrInternal when no decision could be made.
func (a *Authorizer) Can(_ context.Context, sub Subject, act Action, obj Object) error {
	key := decision{sub, act, obj}
	a.mu.RLock()
	suffix, ok := a.families[obj.Type]
	answer, known := a.decided[key]
	generation := a.generation
	a.mu.RUnlock()
	if !ok {
		return ErrDenied // no row mentions this type: nobody may touch it
	}
	if known {
		return answer
	}
	allowed, err := a.enforcer.Enforce(casbin.NewEnforceContext(suffix), sub.Principal, sub.Domain, obj.Type, string(act), &facts{Subject: sub, Object: obj})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInternal, err)
	}
	if !allowed {
		answer = ErrDenied
	}
	a.mu.Lock()
	if a.generation == generation { // else the policy changed while this was worked out
		if len(a.decided) >= maxDecided {
			clear(a.decided)
		}
		a.decided[key] = answer
	}
	a.mu.Unlock()
	return answer
}

// GrantIn records in db (the caller's transaction) that principal holds role in domain.
// Granting a role already held is not an error. Call Refresh once the transaction commits.
func (a *Authorizer) GrantIn(db *gorm.DB, principal, role, domain string) error {
	if !IsRole(role) {
		return fmt.Errorf("unknown role %q", role)
	}
	if err := (ruleStore{db}).AddPolicies("g", "g", [][]string{{principal, role, domain}}); err != nil {
		return fmt.Errorf("%w: grant %s to %s: %v", ErrInternal, role, principal, err)
	}
	return notify(db, principal)
}

// RevokeIn records in db (the caller's transaction) that principal no longer holds role in
// domain. Call Refresh once the transaction commits.
func (a *Authorizer) RevokeIn(db *gorm.DB, principal, role, domain string) error {
	if err := (ruleStore{db}).RemovePolicy("g", "g", []string{principal, role, domain}); err != nil {
		return fmt.Errorf("%w: revoke %s from %s: %v", ErrInternal, role, principal, err)
	}
	return notify(db, principal)
}

// Refresh makes the in-memory policy hold exactly the role assignments the database holds for
// principal, so a change takes effect for the very next decision.
func (a *Authorizer) Refresh(ctx context.Context, principal string) error {
	var rows []struct{ V1, V2 string }
	if err := a.db.WithContext(ctx).Table(ruleTable).Select("v1, v2").
		Where("ptype = ? AND v0 = ?", "g", principal).Find(&rows).Error; err != nil {
		return fmt.Errorf("%w: read roles of %s: %v", ErrInternal, principal, err)
	}
	want := map[[2]string]bool{}
	for _, r := range rows {
		want[[2]string{r.V1, r.V2}] = true
	}
	held, err := a.enforcer.GetFilteredGroupingPolicy(0, principal)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInternal, err)
	}
	var add, remove [][]string
	for _, g := range held {
		if !want[[2]string{g[1], g[2]}] {
			remove = append(remove, g)
		}
		delete(want, [2]string{g[1], g[2]})
	}
	for rd := range want {
		add = append(add, []string{principal, rd[0], rd[1]})
	}
	if len(add)+len(remove) > 0 {
		defer a.forget() // whatever happens below, answers given before may no longer hold
	}
	if len(remove) > 0 {
		if _, err := a.enforcer.RemoveGroupingPolicies(remove); err != nil {
			return fmt.Errorf("%w: %v", ErrInternal, err)
		}
	}
	if len(add) > 0 {
		if _, err := a.enforcer.AddGroupingPolicies(add); err != nil {
			return fmt.Errorf("%w: %v", ErrInternal, err)
		}
	}
	return nil
}

// Grant records and applies a role assignment at once, outside any caller's transaction (for
// tests and tools; models uses GrantIn and Refresh).
func (a *Authorizer) Grant(ctx context.Context, principal, role, domain string) error {
	if err := a.GrantIn(a.db.WithContext(ctx), principal, role, domain); err != nil {
		return err
	}
	return a.Refresh(ctx, principal)
}

// Revoke is Grant's opposite.
func (a *Authorizer) Revoke(ctx context.Context, principal, role, domain string) error {
	if err := a.RevokeIn(a.db.WithContext(ctx), principal, role, domain); err != nil {
		return err
	}
	return a.Refresh(ctx, principal)
}

// RolesIn lists the roles principal holds in domain, sorted.
func (a *Authorizer) RolesIn(principal, domain string) []string {
	roles := a.enforcer.GetRolesForUserInDomain(principal, domain)
	sort.Strings(roles)
	return roles
}

// Reload reads the whole policy again from the database: the safety net for changes made by
// another process.
func (a *Authorizer) Reload(ctx context.Context) error {
	if err := a.enforcer.LoadPolicy(); err != nil {
		a.forget()
		return fmt.Errorf("%w: reload policy: %v", ErrInternal, err)
	}
	return a.index()
}

// Rules lists the permission rows currently in force.
func (a *Authorizer) Rules() ([]Rule, error) {
	var out []Rule
	for _, sec := range families() {
		rows, err := a.enforcer.GetNamedPolicy(sec)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInternal, err)
		}
		for _, row := range rows {
			out = append(out, Rule{Family: sec, Role: row[0], Type: row[1], Act: row[2], Rel: row[3]})
		}
	}
	return out, nil
}

// baseline records the default policy last written into the database, so an upgrade can tell
// a default row it removed from a row an administrator added.
type baseline struct {
	ID        int    `gorm:"primaryKey"`
	Rules     string `gorm:"not null"`
	AppliedAt time.Time
}

func (baseline) TableName() string { return "policy_baseline" }

// Sync brings the permission rows in the database in step with the embedded default policy:
// rows new in this release are added, rows the previous default had and this one dropped are
// removed, and rows an administrator added are left alone. Replicas starting together on
// PostgreSQL take turns under an advisory lock.
func Sync(ctx context.Context, db *gorm.DB) error {
	want, err := DefaultRules()
	if err != nil {
		return fmt.Errorf("default policy: %w", err)
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if tx.Dialector.Name() == "postgres" {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtext('msphub.policy.sync'))").Error; err != nil {
				return fmt.Errorf("lock policy sync: %w", err)
			}
		}
		var prev baseline
		found := true
		if err := tx.Take(&prev, 1).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			found = false
		} else if err != nil {
			return fmt.Errorf("read policy baseline: %w", err)
		}
		var had []Rule
		if found {
			if had, err = parseRules(prev.Rules); err != nil {
				return fmt.Errorf("stored policy baseline: %w", err)
			}
		}
		if found && prev.Rules == defaultPolicy {
			return nil
		}
		ad := ruleStore{tx}
		for _, sec := range families() {
			if add := rowsOf(minus(want, had), sec); len(add) > 0 {
				if err := ad.AddPolicies("p", sec, add); err != nil {
					return fmt.Errorf("add default %s rows: %w", sec, err)
				}
			}
			for _, row := range rowsOf(minus(had, want), sec) {
				if err := ad.RemovePolicy("p", sec, row); err != nil {
					return fmt.Errorf("remove retired %s row: %w", sec, err)
				}
			}
		}
		next := baseline{ID: 1, Rules: defaultPolicy, AppliedAt: time.Now().UTC()}
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&next).Error; err != nil {
			return err
		}
		return notify(tx, "*")
	})
}

func minus(a, b []Rule) []Rule {
	in := map[Rule]bool{}
	for _, r := range b {
		in[r] = true
	}
	var out []Rule
	for _, r := range a {
		if !in[r] {
			out = append(out, r)
		}
	}
	return out
}

func rowsOf(rules []Rule, family string) [][]string {
	var out [][]string
	for _, r := range rules {
		if r.Family == family {
			out = append(out, r.values())
		}
	}
	return out
}
