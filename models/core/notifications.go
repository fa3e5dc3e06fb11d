package core

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// Notification is one entry of a person's in-app list: what changed, with a link to it. It is
// written in the same transaction as the change, so it exists exactly when the change does.
type Notification struct {
	ID        int64      `json:"id"`
	UserID    int64      `json:"-"`
	Kind      string     `json:"kind"`
	Text      string     `json:"text"`
	Link      string     `json:"link"`
	MailTopic string     `json:"-"` // what its email may name; see NotifyAbout
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
	// Subject names the thing a hand-over is about ("pack:12"): NotifySubject writes it and
	// CloseSubject marks every open notification of it done once the work is decided.
	Subject string     `json:"subject,omitempty"`
	DoneAt  *time.Time `json:"done_at,omitempty"`
	DoneBy  *int64     `json:"-"`
	// DoneNote says, on a done notification, who finished the work: "Done: decided by someone
	// else", or "Done" when it was the person themselves or a background job.
	DoneNote string `json:"done_note,omitempty" gorm:"-"`
}

// OutboxEntry is one delivery of a notification still to make on a channel other than the
// in-app list. A sender (email, issue 7) takes pending rows in next_attempt_at order, delivers,
// and sets delivered_at, or counts the attempt, records the error and pushes next_attempt_at on.
// A message carries the text and the link only: never case material. The mail sender reads
// it with its claim (mail.mailRow).
type OutboxEntry struct {
	ID             int64
	NotificationID int64
	Channel        string
	Attempts       int
	NextAttemptAt  time.Time
	LastError      string
	DeliveredAt    *time.Time
	CreatedAt      time.Time
}

func (OutboxEntry) TableName() string { return "outbox" }

// ChannelEmail is the outbox channel of email delivery.
const ChannelEmail = "email"

// Kinds of notification training writes; guidance and case files add their own.
const (
	NoticeEnrolment     = "enrolment"      // an outcome of a request: a place, the waiting list, a decision
	NoticePromotion     = "promotion"      // a place came free and is now theirs
	NoticeApproval      = "approval"       // a request of their staff waits for their decision
	NoticeSessionChange = "session_change" // dates, venue or joining details changed
	NoticeCancellation  = "cancellation"   // a session, or their place on it, was cancelled
	NoticeCertificate   = "certificate"    // a certificate was issued
	NoticeTrainer       = "trainer"        // they were made a trainer of a course
	// Reminders that background jobs send (training_reminders.go).
	NoticeApprovalReminder = "approval_reminder" // a request of their staff expires soon undecided
	NoticeRenewal          = "renewal"           // their certificate is due for renewal
)

// notificationTextLen and notificationLinkLen are the column sizes: longer text is clipped.
const (
	notificationTextLen = 500
	notificationLinkLen = 500
)

// Notify writes a notification for user, with its email outbox row, in the transaction in ctx.
// link is a path inside MSP Hub ("/sessions/12"). Any operation may call it for a change it has
// authorized; the text must say what changed without case material.
func Notify(ctx context.Context, d Deps, userID int64, kind, text, link string) error {
	return NotifyAbout(ctx, d, userID, kind, text, link, "")
}

// NotifyAbout is Notify for a notification whose email may say what it is about: topic (a
// course's code and title, say) is stored with it, and mail names it and quotes the text only
// for the kinds on its allow-list. The caller passes a topic only for something marked OFFICIAL;
// with "" the email is the generic one.
func NotifyAbout(ctx context.Context, d Deps, userID int64, kind, text, link, topic string) error {
	return notify(ctx, d, userID, kind, text, link, topic, "")
}

// NotifySubject is Notify for a hand-over: subject (see Subject) names the thing the person is
// asked to act on, so that CloseSubject can mark the notification done once it is decided.
// The text must name no case material; the email is the generic one unless mail's allow-list
// says otherwise for kind.
func NotifySubject(ctx context.Context, d Deps, userID int64, kind, text, link, subject string) error {
	return notify(ctx, d, userID, kind, text, link, "", subject)
}

// Subject is the subject key of a thing of a type: Subject("pack", 12) is "pack:12".
func Subject(typ string, id int64) string { return typ + ":" + IDString(id) }

// Subject types of the hand-overs.
const (
	SubjectPack            = "pack"             // a submitted case file pack (pack_submissions.id)
	SubjectShare           = "share"            // a share of a pack with a CPS liaison (case_shares.id)
	SubjectCPSAction       = "cps_action"       // a CPS action-plan item (cps_actions.id)
	SubjectGuidanceVersion = "guidance_version" // a guidance version sent for approval
	SubjectGuidanceAck     = "guidance_ack"     // a guidance version its audience must acknowledge
	SubjectGuidanceReview  = "guidance_review"  // a guidance document due for review
	SubjectEnrolment       = "enrolment"        // a training request waiting for a decision
)

// notificationSubjectLen is the column size of subject.
const notificationSubjectLen = 100

// CloseSubject marks every open notification of subject done, as decided by by (0: by the
// system), in the transaction in ctx: call it in the transaction of the decision, whoever makes
// it, so that the notifications close exactly when the work is done.
func CloseSubject(ctx context.Context, d Deps, subject string, by int64) error {
	return closeSubject(ctx, d, subject, 0, by)
}

// CloseSubjectFor is CloseSubject for one person's notifications only: work each person does
// for themselves, such as acknowledging guidance.
func CloseSubjectFor(ctx context.Context, d Deps, subject string, userID, by int64) error {
	return closeSubject(ctx, d, subject, userID, by)
}

func closeSubject(ctx context.Context, d Deps, subject string, userID, by int64) error {
	if subject == "" {
		return nil
	}
	var doneBy *int64
	if by != 0 {
		doneBy = &by
	}
	q, args := "UPDATE notifications SET done_at = ?, done_by = ? WHERE subject = ? AND done_at IS NULL", []any{d.Now(), doneBy, subject}
	if userID != 0 {
		q, args = q+" AND user_id = ?", append(args, userID)
	}
	// After the notifications its transaction made (notify), as they are, on PostgreSQL at the
	// commit.
	return DBError(d.DB.ExecAtCommit(ctx, q, args...))
}

// Notified reports whether userID already has a notification of subject: what a job that fans
// out in batches checks to notify each person once.
func Notified(ctx context.Context, d Deps, userID int64, subject string) (bool, error) {
	var n int64
	err := d.DB.Conn(ctx).Model(&Notification{}).Where("subject = ? AND user_id = ?", subject, userID).Count(&n).Error
	return n > 0, DBError(err)
}

func notify(ctx context.Context, d Deps, userID int64, kind, text, link, topic, subject string) error {
	return d.DB.InTx(ctx, func(ctx context.Context) error {
		now := d.Now()
		n := Notification{UserID: userID, Kind: kind, Text: Clip(text, notificationTextLen), Link: Clip(link, notificationLinkLen),
			MailTopic: Clip(topic, notificationTextLen), Subject: Clip(subject, notificationSubjectLen), CreatedAt: now}
		if d.DB.Dialect() == DialectPostgres {
			// The notification and its delivery in one statement, which nothing in the
			// transaction reads back: it goes with the COMMIT.
			return DBError(d.DB.ExecAtCommit(ctx, `WITH n AS (INSERT INTO notifications (user_id, kind, text, link, mail_topic, subject, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id)
				INSERT INTO outbox (notification_id, channel, next_attempt_at, created_at) SELECT id, ?, ?, ? FROM n`,
				n.UserID, n.Kind, n.Text, n.Link, n.MailTopic, n.Subject, n.CreatedAt, ChannelEmail, now, now))
		}
		if err := d.DB.Conn(ctx).Create(&n).Error; err != nil {
			return DBError(err)
		}
		o := OutboxEntry{NotificationID: n.ID, Channel: ChannelEmail, NextAttemptAt: now, CreatedAt: now}
		return DBError(d.DB.Conn(ctx).Create(&o).Error)
	})
}

// Notifications holds the operations on a person's own notifications.
type Notifications struct {
	d     Deps
	audit *Audit
}

var ownNotifications = policies.Object{Type: "notification", Rel: policies.RelSelf}

// NotificationPage is one page of notifications, newest first, with the cursor of the next
// ("" = none) and how many are unread in all.
type NotificationPage struct {
	Notifications []Notification `json:"notifications"`
	Unread        int64          `json:"unread"`
	Next          string         `json:"next,omitempty"`
}

// List returns the actor's notifications, newest first. after is the cursor of the previous
// page. Anyone signed in may list their own. Errors: EINVALID (bad cursor).
func (n *Notifications) List(ctx context.Context, who Actor, after string, limit int) (NotificationPage, error) {
	if err := Can(ctx, n.d.Authz, who, policies.ActRead, ownNotifications, "You cannot see notifications."); err != nil {
		return NotificationPage{}, err
	}
	limit = PageLimit(limit, 100, 25)
	q := n.d.DB.Conn(ctx).Where("user_id = ?", who.UserID)
	if after != "" {
		id, err := DecodeIDCursor(after)
		if err != nil {
			return NotificationPage{}, err
		}
		q = q.Where("id < ?", id)
	}
	var list []Notification
	if err := q.Order("id DESC").Limit(limit + 1).Find(&list).Error; err != nil {
		return NotificationPage{}, DBError(err)
	}
	var page NotificationPage
	page.Notifications, page.Next = CutPage(list, limit, func(n Notification) string { return IDString(n.ID) })
	if page.Notifications == nil {
		page.Notifications = []Notification{}
	}
	for i := range page.Notifications {
		page.Notifications[i].DoneNote = doneNote(page.Notifications[i])
	}
	unread, err := n.Unread(ctx, who)
	page.Unread = unread
	return page, err
}

// doneNote says who finished the work a done notification asked for.
func doneNote(n Notification) string {
	switch {
	case n.DoneAt == nil:
		return ""
	case n.DoneBy != nil && *n.DoneBy != n.UserID:
		return "Done: decided by someone else"
	}
	return "Done"
}

// Unread counts the actor's unread notifications.
func (n *Notifications) Unread(ctx context.Context, who Actor) (int64, error) {
	if err := Can(ctx, n.d.Authz, who, policies.ActRead, ownNotifications, "You cannot see notifications."); err != nil {
		return 0, err
	}
	var c int64
	err := n.d.DB.Conn(ctx).Model(&Notification{}).Where("user_id = ? AND read_at IS NULL", who.UserID).Count(&c).Error
	return c, DBError(err)
}

// MarkRead marks one of the actor's notifications read and returns it (its link is where the
// page goes next). Someone else's notification is not found. Errors: ENOTFOUND.
func (n *Notifications) MarkRead(ctx context.Context, who Actor, id int64) (Notification, error) {
	var out Notification
	err := n.d.DB.InTx(ctx, func(ctx context.Context) error {
		if err := Can(ctx, n.d.Authz, who, policies.ActRead, ownNotifications, "You cannot see notifications."); err != nil {
			return err
		}
		err := n.d.DB.Conn(ctx).Take(&out, "id = ? AND user_id = ?", id, who.UserID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return NotFound("Notification not found")
		}
		if err != nil {
			return DBError(err)
		}
		if out.ReadAt != nil {
			return nil
		}
		now := n.d.Now()
		out.ReadAt = &now
		return DBError(n.d.DB.Conn(ctx).Model(&out).Update("read_at", now).Error)
	})
	return out, err
}

// MarkAllRead marks every notification of the actor read.
func (n *Notifications) MarkAllRead(ctx context.Context, who Actor) error {
	if err := Can(ctx, n.d.Authz, who, policies.ActRead, ownNotifications, "You cannot see notifications."); err != nil {
		return err
	}
	err := n.d.DB.Conn(ctx).Model(&Notification{}).Where("user_id = ? AND read_at IS NULL", who.UserID).Update("read_at", n.d.Now()).Error
	return DBError(err)
}

// LocalLink reports whether link is a path inside MSP Hub, safe to redirect to.
func LocalLink(link string) bool {
	return strings.HasPrefix(link, "/") && !strings.HasPrefix(link, "//") && !strings.ContainsAny(link, "\\\r\n") && utf8.ValidString(link)
}

// Email is a message before it is encoded: what it says and the one link it carries.
type Email struct {
	Subject    string
	Greeting   string
	Paragraphs []string
	LinkText   string
	URL        string // absolute
}

// EmailComposer writes the email of a kind of notification that says more than the generic
// email (mail's allow-list): the domain that owns the kind provides it, the wiring hands it to
// mail. It runs outside any transaction of the change that notified.
type EmailComposer func(ctx context.Context, n Notification, to User) (Email, error)

// NewNotifications builds the operations on a person's own notifications.
func NewNotifications(d Deps, audit *Audit) *Notifications { return &Notifications{d: d, audit: audit} }
