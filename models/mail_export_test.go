package models

import "context"

// NotifyForTest writes a notification with its outbox row as an area's operation does, so the
// mail tests can write kinds no area writes yet (case files, guidance) with the text they would
// carry.
func NotifyForTest(ctx context.Context, d Deps, userID int64, kind, text, link string) error {
	return notify(ctx, d, userID, kind, text, link)
}
