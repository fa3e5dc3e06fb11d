package core

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Purposes of one-time links.
const (
	LinkSetup       = "setup"        // the first administrator's set-up link
	LinkSetPassword = "set_password" // a user sets a new password
)

// oneTimeLink is a single-use link: only the SHA-256 of its secret is stored.
type oneTimeLink struct {
	ID        int64
	Purpose   string
	UserID    *int64
	TokenHash string
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedBy *int64
	CreatedAt time.Time
}

func (oneTimeLink) TableName() string { return "one_time_links" }

// linkPath is where each purpose's link leads.
func linkPath(purpose string) string {
	if purpose == LinkSetup {
		return "/setup/"
	}
	return "/set-password/"
}

// IssueLink stores a new link for purpose and returns its URL; earlier unused links of the same
// purpose for the same user stop working.
func IssueLink(ctx context.Context, d Deps, purpose string, userID, createdBy *int64, ttl time.Duration) (string, error) {
	now := d.Now()
	if err := ExpireLinks(ctx, d, purpose, userID); err != nil {
		return "", err
	}
	token, hash := NewToken()
	l := oneTimeLink{Purpose: purpose, UserID: userID, TokenHash: hash, ExpiresAt: now.Add(ttl), CreatedBy: createdBy, CreatedAt: now}
	if err := d.DB.Conn(ctx).Create(&l).Error; err != nil {
		return "", DBError(err)
	}
	return strings.TrimRight(d.Config.PublicURL, "/") + linkPath(purpose) + token, nil
}

// ExpireLinks ends the unused links of purpose (for the user, when userID is set).
func ExpireLinks(ctx context.Context, d Deps, purpose string, userID *int64) error {
	q := d.DB.Conn(ctx).Model(&oneTimeLink{}).Where("purpose = ? AND used_at IS NULL", purpose)
	if userID != nil {
		q = q.Where("user_id = ?", *userID)
	}
	return DBError(q.Update("expires_at", d.Now()).Error)
}

// CheckLink finds the live link for token (unused, unexpired) without using it.
func CheckLink(ctx context.Context, d Deps, purpose, token string) (oneTimeLink, error) {
	var l oneTimeLink
	err := d.DB.Conn(ctx).Take(&l, "token_hash = ? AND purpose = ?", TokenHash(token), purpose).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && (l.UsedAt != nil || !d.Now().Before(l.ExpiresAt))) {
		return oneTimeLink{}, NotFound("This link has expired or has already been used. Ask your administrator for a new one.")
	}
	return l, DBError(err)
}

// UseLink marks the live link for token used, once: two requests racing with the same link
// cannot both succeed, nor one racing a new link that expires it (the update checks both).
func UseLink(ctx context.Context, d Deps, purpose, token string) (oneTimeLink, error) {
	l, err := CheckLink(ctx, d, purpose, token)
	if err != nil {
		return l, err
	}
	now := d.Now()
	res := d.DB.Conn(ctx).Model(&oneTimeLink{}).Where("id = ? AND used_at IS NULL AND expires_at > ?", l.ID, now).Update("used_at", now)
	if res.Error != nil {
		return l, DBError(res.Error)
	}
	if res.RowsAffected != 1 {
		return l, NotFound("This link has expired or has already been used. Ask your administrator for a new one.")
	}
	l.UsedAt = &now
	return l, nil
}
