package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/msptp/msphub/models/core"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// signInThrottle counts failed attempts under one key: an account (by email address, whether
// or not it exists), a client address, or a user's second factor.
type signInThrottle struct {
	Key             string `gorm:"primaryKey"`
	Failures        int
	WindowStartedAt time.Time
	NextAttemptAt   time.Time
	LockedUntil     *time.Time
}

func (signInThrottle) TableName() string { return "sign_in_throttles" }

// throttleRule says how fast failures under a kind of key slow attempts down.
type throttleRule struct {
	free   int           // failures allowed before any delay
	lockAt int           // failures that lock the key
	lock   time.Duration // how long a lock lasts
}

// Failures count within a 15-minute window. An account slows after 3 failures (1 s, 2 s, 4 s, …
// up to a minute between attempts) and locks for 15 minutes at 10; an address, shared by many
// honest people behind a proxy, slows after 20 and locks at 100; a second factor slows after 3
// and locks at 10.
const throttleWindow = 15 * time.Minute

func ruleFor(kind string) throttleRule {
	switch kind {
	case "ip":
		return throttleRule{free: 20, lockAt: 100, lock: 15 * time.Minute}
	default:
		return throttleRule{free: 3, lockAt: 10, lock: 15 * time.Minute}
	}
}

// throttleKey names a key without storing the email address or address in clear.
func throttleKey(kind, value string) string {
	sum := sha256.Sum256([]byte(value))
	return kind + ":" + hex.EncodeToString(sum[:16])
}

func kindOf(key string) string {
	for i := range key {
		if key[i] == ':' {
			return key[:i]
		}
	}
	return key
}

// throttled returns how long the caller must wait before another attempt under any of keys.
// It runs in the transaction of the attempt, and the attempts under the first key (the account's
// or the user's) queue on its row until that transaction ends: each then sees the failures of
// those before it, so a burst of simultaneous guesses is throttled as if they came one at a
// time. The row is made first if there is none, so that even the first burst queues.
func throttled(ctx context.Context, d core.Deps, keys []string) (time.Duration, error) {
	now := d.Now()
	first := signInThrottle{Key: keys[0], WindowStartedAt: now, NextAttemptAt: now}
	if err := d.DB.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&first).Error; err != nil {
		return 0, core.DBError(err)
	}
	var rows []signInThrottle
	if err := d.DB.ConnLocking(ctx, true).Where("key = ?", keys[0]).Find(&rows).Error; err != nil {
		return 0, core.DBError(err)
	}
	if len(keys) > 1 {
		var others []signInThrottle
		if err := d.DB.Conn(ctx).Where("key IN ?", keys[1:]).Find(&others).Error; err != nil {
			return 0, core.DBError(err)
		}
		rows = append(rows, others...)
	}
	var wait time.Duration
	for _, r := range rows {
		if r.LockedUntil != nil && now.Before(*r.LockedUntil) {
			wait = max(wait, r.LockedUntil.Sub(now))
		}
		if now.Sub(r.WindowStartedAt) < throttleWindow && now.Before(r.NextAttemptAt) {
			wait = max(wait, r.NextAttemptAt.Sub(now))
		}
	}
	return wait, nil
}

// recordFailure counts a failed attempt under every key, delaying the next one exponentially
// past the free allowance and locking at the limit.
func recordFailure(ctx context.Context, d core.Deps, keys []string) error {
	now := d.Now()
	for _, key := range keys {
		var r signInThrottle
		err := d.DB.Conn(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).Take(&r, "key = ?", key).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return core.DBError(err)
		}
		if r.Key == "" || now.Sub(r.WindowStartedAt) >= throttleWindow {
			r = signInThrottle{Key: key, WindowStartedAt: now, LockedUntil: r.LockedUntil}
		}
		r.Failures++
		rule := ruleFor(kindOf(key))
		r.NextAttemptAt = now
		if over := r.Failures - rule.free; over > 0 {
			delay := time.Duration(math.Min(math.Pow(2, float64(over-1)), 60)) * time.Second
			r.NextAttemptAt = now.Add(delay)
		}
		if r.Failures >= rule.lockAt {
			until := now.Add(rule.lock)
			r.LockedUntil = &until
			r.Failures, r.WindowStartedAt = 0, now
		}
		if err := d.DB.Conn(ctx).Save(&r).Error; err != nil {
			return core.DBError(err)
		}
	}
	return nil
}

// clearThrottle forgets the failures under key after a success.
func clearThrottle(ctx context.Context, d core.Deps, key string) error {
	return core.DBError(d.DB.Conn(ctx).Delete(&signInThrottle{}, "key = ?", key).Error)
}

// tooMany is the answer to a throttled attempt, saying how long to wait in whole minutes or
// seconds.
func tooMany(wait time.Duration) error {
	msg := "Too many attempts. Wait " + strconv.Itoa(int(math.Ceil(wait.Seconds()))) + " seconds and try again"
	if wait > 90*time.Second {
		msg = "Too many attempts. Wait " + strconv.Itoa(int(math.Ceil(wait.Minutes()))) + " minutes and try again"
	}
	return &core.Error{Code: core.ETOOMANY, Message: msg, RetryAfter: wait}
}
