package modelstest

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
)

// Notice is one notification as the hand-over tests look at it.
type Notice struct {
	UserID  int64
	Kind    string
	Text    string
	Link    string
	Subject string
	DoneAt  *time.Time
}

// NoticeMark is the id of the newest notification in db: what NoticesSince counts from.
func NoticeMark(t testing.TB, db *core.DB) int64 {
	t.Helper()
	var id int64
	if err := db.Gorm().Table("notifications").Select("COALESCE(MAX(id), 0)").Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

// NoticesSince lists the notifications written after id mark, in order.
func NoticesSince(t testing.TB, db *core.DB, mark int64) []Notice {
	t.Helper()
	var out []Notice
	if err := db.Gorm().Table("notifications").Select("user_id, kind, text, link, subject, done_at").Where("id > ?", mark).Order("id").Scan(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// Recipients are the people notified in ns (of kind, when not ""), sorted, each once.
func Recipients(ns []Notice, kind string) []int64 {
	var out []int64
	for _, n := range ns {
		if (kind == "" || n.Kind == kind) && !slices.Contains(out, n.UserID) {
			out = append(out, n.UserID)
		}
	}
	slices.Sort(out)
	return out
}

// UserIDs are the user IDs of as, sorted: what Recipients returns when exactly they are told.
func UserIDs(as ...core.Actor) []int64 {
	out := make([]int64, len(as))
	for i, a := range as {
		out[i] = a.UserID
	}
	slices.Sort(out)
	return out
}

// DoneNote is what who's notification list says of their notification of subject.
func DoneNote(t testing.TB, n *core.Notifications, who core.Actor, subject string) string {
	t.Helper()
	page, err := n.List(context.Background(), who, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range page.Notifications {
		if n.Subject == subject {
			return n.DoneNote
		}
	}
	t.Fatalf("%s has no notification of %s", who.Name, subject)
	return ""
}

// ToDo is the home page's list of work waiting for an actor (models.Services.ToDo).
type ToDo func(ctx context.Context, who core.Actor) ([]core.ToDo, error)

// Want fails the test unless the counts of work waiting for who, by key, are exactly want;
// name says whose counts they are.
func (todo ToDo) Want(t testing.TB, who core.Actor, name string, want map[string]int64) {
	t.Helper()
	list, err := todo(context.Background(), who)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, d := range list {
		got[d.Key] = d.Count
	}
	if !maps.Equal(got, want) {
		t.Errorf("%s: %v, want %v", name, got, want)
	}
}
