package training

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// calendarFeed is a person's calendar subscription: the hash of the secret in its address.
type calendarFeed struct {
	UserID     int64 `gorm:"primaryKey;autoIncrement:false"`
	TokenHash  string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

func (calendarFeed) TableName() string { return "calendar_feeds" }

// CalendarFeedPath is the path of a calendar feed with the secret token.
func CalendarFeedPath(token string) string { return "/calendar/" + token + ".ics" }

// CalendarStatus says whether the actor has a calendar feed, and since when.
func (t *Service) CalendarStatus(ctx context.Context, who core.Actor) (*time.Time, error) {
	if err := core.Can(ctx, t.d.Authz, who, policies.ActRead, policies.Object{Type: "account", Org: policies.OrgDomain(who.OrgID), Rel: policies.RelSelf}, "You cannot see your account."); err != nil {
		return nil, err
	}
	var f calendarFeed
	err := t.d.DB.Conn(ctx).Take(&f, "user_id = ?", who.UserID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, core.DBError(err)
	}
	return &f.CreatedAt, nil
}

// RotateCalendar gives the actor a new secret calendar address, shown this once, and stops the
// old one working. Anyone signed in may, for themselves.
func (t *Service) RotateCalendar(ctx context.Context, who core.Actor) (string, error) {
	var url string
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		if err := core.Can(ctx, t.d.Authz, who, policies.ActUpdate, policies.Object{Type: "account", Org: policies.OrgDomain(who.OrgID), Rel: policies.RelSelf}, "You cannot change your account."); err != nil {
			return err
		}
		token, hash := core.NewToken()
		f := calendarFeed{UserID: who.UserID, TokenHash: hash, CreatedAt: t.d.Now()}
		if err := t.d.DB.Conn(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "user_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"token_hash", "created_at", "last_used_at"})}).Create(&f).Error; err != nil {
			return core.DBError(err)
		}
		url = strings.TrimRight(t.d.Config.PublicURL, "/") + CalendarFeedPath(token)
		return t.audit.Record(ctx, &who, core.Event{Action: "calendar.rotate", ObjectType: "user", ObjectID: core.IDString(who.UserID), Outcome: core.OutcomeSuccess})
	})
	return url, err
}

// Calendar renders the iCalendar feed (RFC 5545) whose secret token is given (with or without
// ".ics"): one event per day of each session the owner holds a place on, and cancelled ones
// marked so calendars drop them. Joining details are not in it, only a link to the session page:
// the feed is protected by its address alone. Each read is recorded. Errors: ENOTFOUND (no such
// feed, or its owner can no longer sign in).
func (t *Service) Calendar(ctx context.Context, token string) ([]byte, error) {
	token = strings.TrimSuffix(token, ".ics")
	var out []byte
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		var f calendarFeed
		err := t.d.DB.Conn(ctx).Take(&f, "token_hash = ?", core.TokenHash(token)).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return core.NotFound("Calendar not found")
		}
		if err != nil {
			return core.DBError(err)
		}
		var u core.User
		if err := t.d.DB.Conn(ctx).Take(&u, f.UserID).Error; err != nil {
			return core.DBError(err)
		}
		if u.DisabledAt != nil || !core.OrgActive(ctx, t.d, u.OrganisationID) {
			return core.NotFound("Calendar not found")
		}
		now := t.d.Now()
		var rows []struct {
			SessionID   int64
			State       string
			Status      string
			Venue       string
			Code, Title string
			Marking     string
			DayNumber   int
			Days        int
			StartsAt    time.Time
			EndsAt      time.Time
			UpdatedAt   time.Time
		}
		err = t.d.DB.Conn(ctx).Raw(`SELECT e.session_id, e.state, s.status, s.venue, c.code, c.title, c.classification AS marking, d.day_number,
				(SELECT COUNT(*) FROM session_days x WHERE x.session_id = s.id) AS days, d.starts_at, d.ends_at, s.updated_at
			FROM enrolments e
			JOIN course_sessions s ON s.id = e.session_id
			JOIN courses c ON c.id = e.course_id
			JOIN session_days d ON d.session_id = s.id
			WHERE e.user_id = ? AND (e.state IN ? OR (e.state = ? AND s.status = ?)) AND s.ends_at > ?
			ORDER BY d.starts_at`, u.ID, placeHolding(), EnrolmentCancelled, SessionCancelled, now.AddDate(-1, 0, 0)).Scan(&rows).Error
		if err != nil {
			return core.DBError(err)
		}
		var b strings.Builder
		line := func(name, value string) { icalLine(&b, name+":"+value) }
		line("BEGIN", "VCALENDAR")
		line("VERSION", "2.0")
		line("PRODID", "-//MSP Hub//Training//EN")
		line("CALSCALE", "GREGORIAN")
		line("METHOD", "PUBLISH")
		line("X-WR-CALNAME", "MSP Hub training")
		base := strings.TrimRight(t.d.Config.PublicURL, "/")
		for _, r := range rows {
			link := base + sessionLink(r.SessionID)
			// A feed is read by outside calendar services, so it says no more than an email
			// does: a course marked above OFFICIAL is named only as a session, with no venue.
			official := trainingLevel(r.Marking) == policies.Official
			summary := "MSP Hub training session"
			if official {
				summary = r.Code + " " + r.Title
			}
			if r.Days > 1 {
				summary += fmt.Sprintf(" (day %d of %d)", r.DayNumber, r.Days)
			}
			line("BEGIN", "VEVENT")
			line("UID", fmt.Sprintf("session-%d-day-%d@msphub", r.SessionID, r.DayNumber))
			line("DTSTAMP", icalTime(r.UpdatedAt))
			line("LAST-MODIFIED", icalTime(r.UpdatedAt))
			line("DTSTART", icalTime(r.StartsAt))
			line("DTEND", icalTime(r.EndsAt))
			line("SUMMARY", icalText(summary))
			if r.Venue != "" && official {
				line("LOCATION", icalText(r.Venue))
			}
			line("DESCRIPTION", icalText("Details and joining instructions: "+link))
			line("URL", link)
			if r.Status == SessionCancelled {
				line("STATUS", "CANCELLED")
			} else {
				line("STATUS", "CONFIRMED")
			}
			line("END", "VEVENT")
		}
		line("END", "VCALENDAR")
		out = []byte(b.String())
		if f.LastUsedAt == nil || now.Sub(*f.LastUsedAt) >= time.Minute {
			if err := t.d.DB.Conn(ctx).Model(&f).Where("user_id = ?", f.UserID).Update("last_used_at", now).Error; err != nil {
				return core.DBError(err)
			}
		}
		who := core.Actor{UserID: u.ID, OrgID: u.OrganisationID}
		return t.audit.Record(ctx, &who, core.Event{Action: "calendar.read", ObjectType: "user", ObjectID: core.IDString(u.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"events": fmt.Sprint(len(rows))}})
	})
	return out, err
}

func icalTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// icalText escapes a TEXT value (RFC 5545 §3.3.11).
func icalText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// icalLine writes a content line folded at 75 octets (RFC 5545 §3.1), never inside a UTF-8
// sequence, ended by CRLF.
func icalLine(b *strings.Builder, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space of a continuation counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}
