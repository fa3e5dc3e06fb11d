package training

import (
	"context"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// Keys of training's things to do.
const (
	ToDoApprovals    = "training_requests_to_decide"
	ToDoRegisters    = "registers_to_mark"
	ToDoCertificates = "certificates_expiring"
)

// ToDo counts the training work waiting on who, for their home page: requests of their staff
// they may decide (live, not their own: the rule of Approvals), sessions they teach that have
// ended and are not completed yet (the register to mark and the session to complete), and their
// own certificates due for renewal (the latest of each course, expiring within RenewalWindow
// days or expired: the learning record's rule). Each is listed only when the policy lets who do
// that work. Anyone signed in may call it.
func (t *Service) ToDo(ctx context.Context, who core.Actor) ([]core.ToDo, error) {
	sub, own := who.Subject(), policies.OrgDomain(who.OrgID)
	may := func(act policies.Action, obj policies.Object) bool { return t.d.Authz.Can(ctx, sub, act, obj) == nil }
	db, now := t.d.DB.Conn(ctx), t.d.Now()
	var out []core.ToDo
	if may(policies.ActDecide, policies.Object{Type: "enrolment", Org: own}) {
		var n int64
		err := db.Model(&Enrolment{}).Where("organisation_id = ? AND user_id <> ? AND state = ? AND (expires_at IS NULL OR expires_at > ?)",
			who.OrgID, who.UserID, EnrolmentRequested, now).Count(&n).Error
		if err != nil {
			return nil, core.DBError(err)
		}
		out = append(out, core.ToDo{Key: ToDoApprovals, Label: "Training requests to decide", Count: n, Link: "/approvals"})
	}
	if may(policies.ActRegister, policies.Object{Type: "session", Rel: policies.RelTrainer}) {
		var n int64
		err := db.Model(&CourseSession{}).
			Where(`(course_id IN (SELECT course_id FROM course_trainers WHERE user_id = ?) OR id IN (SELECT session_id FROM session_trainers WHERE user_id = ?))`, who.UserID, who.UserID).
			Where("status = ? AND ends_at <= ?", SessionScheduled, now).Count(&n).Error
		if err != nil {
			return nil, core.DBError(err)
		}
		out = append(out, core.ToDo{Key: ToDoRegisters, Label: "Registers to mark for sessions that have ended", Count: n, Link: "/teaching"})
	}
	if may(policies.ActRead, policies.Object{Type: "certificate", Org: own, Rel: policies.RelSelf}) {
		var n int64
		err := db.Table("certificates c").
			Where("c.user_id = ? AND c.expires_on IS NOT NULL AND c.expires_on < ?", who.UserID, trainingDayStart(now).AddDate(0, 0, RenewalWindow+1)).
			Where("NOT EXISTS (SELECT 1 FROM certificates c2 WHERE c2.user_id = c.user_id AND c2.course_id = c.course_id AND " +
				"(c2.completed_on > c.completed_on OR (c2.completed_on = c.completed_on AND c2.id > c.id)))").
			Count(&n).Error
		if err != nil {
			return nil, core.DBError(err)
		}
		out = append(out, core.ToDo{Key: ToDoCertificates, Label: "Your certificates due for renewal", Count: n, Link: "/my-training"})
	}
	return out, nil
}
