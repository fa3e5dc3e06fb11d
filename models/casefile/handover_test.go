package casefile_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
)

// noCaseMaterial fails when a notification names the case: its URN or operation.
func noCaseMaterial(t testing.TB, ns []modelstest.Notice) {
	t.Helper()
	for _, n := range ns {
		for _, secret := range []string{"45AB1234523", "Kestrel", "Modern Slavery Act"} {
			if strings.Contains(n.Text, secret) {
				t.Errorf("notification %q names case material %q", n.Text, secret)
			}
		}
	}
}

// Every hand-over of a pack tells the people who act next, and only them, with a link to the
// pack and no case material; the notification that asked for the sign-off is marked done once
// anyone decides, and the liaison's share notice once the liaison acts on it.
func TestPackHandOversNotifyTheNextPerson(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	member := f.person(t, caseHome, policies.RoleInvestigator)
	both := f.person(t, caseHome, policies.RoleInvestigator, policies.RoleSupervisor) // on the team, and a supervisor
	elsewhere := f.person(t, "kent-police", policies.RoleSupervisor)
	otherLiaison := f.person(t, "cps-south-west", policies.RoleCPSLiaison)
	_, _ = elsewhere, otherLiaison // exist, and must not be told
	cv := f.newCase(t)
	for _, p := range []core.Actor{member, both} {
		_, err := f.cases.AddMember(ctx, f.inv, cv.ID, casefile.MemberInput{Email: p.Email})
		modelstest.Must(t, err)
	}
	team := modelstest.UserIDs(f.inv, member, both)
	subs := func() []casefile.SubmissionView {
		s, err := f.cases.Submissions(ctx, f.inv, cv.ID)
		modelstest.Must(t, err)
		return s
	}

	// Submitted by the team member who is also a supervisor: the other supervisors who may sign
	// it off are asked, never the submitter, nor a supervisor of another force.
	m := modelstest.NoticeMark(t, f.db)
	_, err := f.cases.Submit(ctx, both, cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)
	pack1 := core.Subject(core.SubjectPack, subs()[0].ID)
	got := modelstest.NoticesSince(t, f.db, m)
	if r := modelstest.Recipients(got, ""); !slices.Equal(r, modelstest.UserIDs(f.sup, f.sup2)) {
		t.Errorf("submitted: notified %v, want the supervisors %v", r, modelstest.UserIDs(f.sup, f.sup2))
	}
	for _, n := range got {
		if n.Subject != pack1 || n.Link != "/casefiles/"+core.IDString(cv.ID)+"/pack" || n.Text != "A case file pack is waiting for your sign-off." {
			t.Errorf("submitted: %+v", n)
		}
	}
	noCaseMaterial(t, got)

	// Returned by the second supervisor: both requests close; the team is told.
	m = modelstest.NoticeMark(t, f.db)
	_, err = f.cases.Return(ctx, f.sup2, cv.ID, "The MG5 is missing")
	modelstest.Must(t, err)
	got = modelstest.NoticesSince(t, f.db, m)
	if r := modelstest.Recipients(got, casefile.NoticeCasePack); !slices.Equal(r, team) || len(got) != 3 || !strings.Contains(got[0].Text, "returned") {
		t.Errorf("returned: notified %v (%+v), want the team %v", r, got, team)
	}
	noCaseMaterial(t, got)
	if n := f.count(t, "SELECT COUNT(*) FROM notifications WHERE subject = ? AND done_at IS NULL", pack1); n != 0 {
		t.Errorf("returned: %d sign-off requests still open", n)
	}
	if note := modelstest.DoneNote(t, f.s.Notifications, f.sup, pack1); note != "Done: decided by someone else" {
		t.Errorf("the other supervisor's request says %q", note)
	}
	if note := modelstest.DoneNote(t, f.s.Notifications, f.sup2, pack1); note != "Done" {
		t.Errorf("the deciding supervisor's request says %q", note)
	}

	// Submitted again by the lead: now the supervisor on the team may sign it off too.
	m = modelstest.NoticeMark(t, f.db)
	_, err = f.cases.Submit(ctx, f.inv, cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)
	pack2 := core.Subject(core.SubjectPack, subs()[0].ID)
	if r := modelstest.Recipients(modelstest.NoticesSince(t, f.db, m), ""); !slices.Equal(r, modelstest.UserIDs(f.sup, f.sup2, both)) {
		t.Errorf("resubmitted: notified %v, want %v", r, modelstest.UserIDs(f.sup, f.sup2, both))
	}
	// Approved: the requests close, the team (not the approver) is told.
	m = modelstest.NoticeMark(t, f.db)
	_, err = f.cases.Approve(ctx, both, cv.ID)
	modelstest.Must(t, err)
	got = modelstest.NoticesSince(t, f.db, m)
	if r := modelstest.Recipients(got, ""); !slices.Equal(r, modelstest.UserIDs(f.inv, member)) || !strings.Contains(got[0].Text, "approved") {
		t.Errorf("approved: notified %v (%+v), want the team but the approver", r, got)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM notifications WHERE subject = ? AND done_at IS NULL", pack2); n != 0 {
		t.Errorf("approved: %d sign-off requests still open", n)
	}

	// Shared: the liaison only.
	m = modelstest.NoticeMark(t, f.db)
	sh := f.share(t, cv.ID)
	got = modelstest.NoticesSince(t, f.db, m)
	shareSubject := core.Subject(core.SubjectShare, sh.ID)
	if r := modelstest.Recipients(got, ""); !slices.Equal(r, modelstest.UserIDs(f.liaison)) || got[0].Subject != shareSubject || got[0].Link != "/casefiles/"+core.IDString(cv.ID) {
		t.Errorf("shared: %+v, want the liaison", got)
	}
	noCaseMaterial(t, got)

	// Early advice: the team; the liaison's share notice is done.
	m = modelstest.NoticeMark(t, f.db)
	_, err = f.cases.RecordAdvice(ctx, f.liaison, cv.ID, "Obtain the bank statements")
	modelstest.Must(t, err)
	if r := modelstest.Recipients(modelstest.NoticesSince(t, f.db, m), casefile.NoticeCaseCPS); !slices.Equal(r, team) {
		t.Errorf("advice: notified %v, want the team %v", r, team)
	}
	if note := modelstest.DoneNote(t, f.s.Notifications, f.liaison, shareSubject); note != "Done" {
		t.Errorf("the liaison's share notice says %q after the advice", note)
	}

	// An action: the team, with a notice that closes when someone answers it.
	m = modelstest.NoticeMark(t, f.db)
	a, err := f.cases.RaiseAction(ctx, f.liaison, cv.ID, casefile.ActionInput{Text: "Interview the landlord"})
	modelstest.Must(t, err)
	got = modelstest.NoticesSince(t, f.db, m)
	actionSubject := core.Subject(core.SubjectCPSAction, a.ID)
	if r := modelstest.Recipients(got, ""); !slices.Equal(r, team) || got[0].Subject != actionSubject {
		t.Errorf("action: %+v, want the team", got)
	}
	noCaseMaterial(t, got)
	m = modelstest.NoticeMark(t, f.db)
	_, err = f.cases.AnswerAction(ctx, f.inv, cv.ID, a.ID, "MG11 of the landlord is exhibit JS/4")
	modelstest.Must(t, err)
	if r := modelstest.Recipients(modelstest.NoticesSince(t, f.db, m), ""); !slices.Equal(r, modelstest.UserIDs(f.liaison)) {
		t.Errorf("answered: notified %v, want the liaison", r)
	}
	if note := modelstest.DoneNote(t, f.s.Notifications, member, actionSubject); note != "Done: decided by someone else" {
		t.Errorf("a team member's action notice says %q after the lead answered", note)
	}

	// A charging decision: the team.
	f.resolvePreCharge(t, cv.ID)
	_, err = f.cases.Submit(ctx, f.inv, cv.ID, fullCode)
	modelstest.Must(t, err)
	_, err = f.cases.Approve(ctx, f.sup, cv.ID)
	modelstest.Must(t, err)
	sh2 := f.share(t, cv.ID)
	if note := modelstest.DoneNote(t, f.s.Notifications, f.liaison, shareSubject); note != "Done" {
		t.Errorf("the renewed share's notice says %q", note)
	}
	m = modelstest.NoticeMark(t, f.db)
	_, err = f.cases.RecordDecision(ctx, f.liaison, cv.ID, casefile.DecisionInput{Decision: casefile.DecisionCharge, Reasons: "The tests are met", Terms: chargeS2})
	modelstest.Must(t, err)
	got = modelstest.NoticesSince(t, f.db, m)
	if r := modelstest.Recipients(got, ""); !slices.Equal(r, team) || !strings.Contains(got[0].Text, "charging decision") {
		t.Errorf("decision: %+v, want the team", got)
	}
	noCaseMaterial(t, got)
	if note := modelstest.DoneNote(t, f.s.Notifications, f.liaison, core.Subject(core.SubjectShare, sh2.ID)); note != "Done" {
		t.Errorf("the share's notice says %q after the decision", note)
	}

	// Revoking a share closes its notice.
	other, sh3 := f.sharedCase(t, 30)
	modelstest.Must(t, f.cases.RevokeShare(ctx, f.sup, other.ID, sh3.ID))
	if note := modelstest.DoneNote(t, f.s.Notifications, f.liaison, core.Subject(core.SubjectShare, sh3.ID)); note != "Done: decided by someone else" {
		t.Errorf("a revoked share's notice says %q", note)
	}
}

// A share ending within a week is reminded once to the supervisor who shared it and to the
// liaison; an action falling due is reminded to the liaison as well as the team.
func TestSharesAndActionsDueSoonRemindBoth(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	cv, _ := f.sharedCase(t, 10)
	run := func(want string) {
		t.Helper()
		got, err := f.cases.RemindExpiringShares(ctx)
		modelstest.Must(t, err)
		if got != want {
			t.Errorf("on %s: %q, want %q", f.clock.Now().Format(time.DateOnly), got, want)
		}
	}
	m := modelstest.NoticeMark(t, f.db)
	run("no CPS shares reminded of its end")
	f.clock.Set(f.clock.Now().AddDate(0, 0, 4))
	run("1 CPS share reminded of its end")
	run("no CPS shares reminded of its end")
	got := modelstest.NoticesSince(t, f.db, m)
	if r := modelstest.Recipients(got, casefile.NoticeCaseShareEnding); !slices.Equal(r, modelstest.UserIDs(f.sup, f.liaison)) || len(got) != 2 {
		t.Errorf("share ending: %+v, want the supervisor who shared it and the liaison", got)
	}
	noCaseMaterial(t, got)
	for _, n := range got {
		if !strings.Contains(n.Text, "12 March 2026") {
			t.Errorf("share ending: %q does not name the last day", n.Text)
		}
	}

	tomorrow := f.clock.Now().AddDate(0, 0, 1)
	a, err := f.cases.RaiseAction(ctx, f.liaison, cv.ID, casefile.ActionInput{Text: "Obtain the CCTV", DueOn: &tomorrow})
	modelstest.Must(t, err)
	m = modelstest.NoticeMark(t, f.db)
	_, err = f.cases.RemindDueActions(ctx)
	modelstest.Must(t, err)
	got = modelstest.NoticesSince(t, f.db, m)
	if r := modelstest.Recipients(got, ""); !slices.Equal(r, modelstest.UserIDs(f.inv, f.liaison)) {
		t.Errorf("action due: notified %v, want the lead and the liaison", r)
	}
	noCaseMaterial(t, got)
	_, err = f.cases.AnswerAction(ctx, f.inv, cv.ID, a.ID, "Exhibit JS/9")
	modelstest.Must(t, err)
	if n := f.count(t, "SELECT COUNT(*) FROM notifications WHERE subject = ? AND done_at IS NULL", core.Subject(core.SubjectCPSAction, a.ID)); n != 0 {
		t.Errorf("answered: %d action notices still open", n)
	}
}

// The home page counts of case work: what waits on each role, exactly.
func TestCaseToDo(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	todo := modelstest.ToDo(f.s.ToDo)
	none := map[string]int64{}
	for _, p := range []core.Actor{f.inv, f.sup, f.liaison} {
		todo.Want(t, p, p.Name+" at the start", none)
	}
	cv := f.newCase(t)
	_, err := f.cases.Submit(ctx, f.inv, cv.ID, casefile.SubmitInput{Purpose: casefile.PurposeEarlyAdvice})
	modelstest.Must(t, err)
	todo.Want(t, f.sup, "supervisor, a pack submitted", map[string]int64{casefile.ToDoPacks: 1})
	todo.Want(t, f.sup2, "other supervisor, a pack submitted", map[string]int64{casefile.ToDoPacks: 1})
	todo.Want(t, f.inv, "investigator, a pack submitted", none)
	todo.Want(t, f.person(t, "kent-police", policies.RoleSupervisor), "supervisor of another force", none)
	_, err = f.cases.Approve(ctx, f.sup, cv.ID)
	modelstest.Must(t, err)
	day := f.clock.Now().AddDate(0, 0, 5)
	_, err = f.cases.Share(ctx, f.sup, cv.ID, casefile.ShareInput{LiaisonID: f.liaison.UserID, ExpiresOn: &day})
	modelstest.Must(t, err)
	todo.Want(t, f.sup, "supervisor, a share ending in 5 days", map[string]int64{casefile.ToDoShares: 1})
	todo.Want(t, f.liaison, "liaison, a share ending in 5 days", map[string]int64{casefile.ToDoShares: 1})
	_, err = f.cases.RecordAdvice(ctx, f.liaison, cv.ID, "Get the bank records")
	modelstest.Must(t, err)
	_, err = f.cases.RaiseAction(ctx, f.liaison, cv.ID, casefile.ActionInput{Text: "Obtain the CCTV"})
	modelstest.Must(t, err)
	todo.Want(t, f.inv, "investigator, an action raised", map[string]int64{casefile.ToDoActions: 1})
	todo.Want(t, f.person(t, caseHome, policies.RoleInvestigator), "investigator not on the team", none)
}

// Work handed to one person tells them: being put on a case team, and being given a checklist
// item. Nobody is told of what they did themselves, and the texts name no case material.
func TestCaseWorkHandOversNotifyThePerson(t *testing.T) {
	ctx := context.Background()
	f := newCaseFixture(t)
	member := f.person(t, caseHome, policies.RoleInvestigator)
	cv := f.newCase(t)

	m := modelstest.NoticeMark(t, f.db)
	_, err := f.cases.AddMember(ctx, f.inv, cv.ID, casefile.MemberInput{Email: member.Email})
	modelstest.Must(t, err)
	got := modelstest.NoticesSince(t, f.db, m)
	if r := modelstest.Recipients(got, casefile.NoticeCaseWork); !slices.Equal(r, modelstest.UserIDs(member)) || got[0].Link != "/casefiles/"+core.IDString(cv.ID) {
		t.Errorf("added to the team: %+v, want the new member told, with a link to the case", got)
	}
	noCaseMaterial(t, got)

	item := f.lastItem(cv.ID)
	m = modelstest.NoticeMark(t, f.db)
	_, err = f.cases.UpdateItem(ctx, f.inv, cv.ID, item, casefile.ItemInput{Status: casefile.ItemInProgress, OwnerID: member.UserID})
	modelstest.Must(t, err)
	got = modelstest.NoticesSince(t, f.db, m)
	if r := modelstest.Recipients(got, casefile.NoticeCaseWork); !slices.Equal(r, modelstest.UserIDs(member)) || !strings.HasSuffix(got[0].Link, "/items/"+core.IDString(item)) {
		t.Errorf("given an item: %+v, want the new owner told, with a link to the item", got)
	}
	noCaseMaterial(t, got)

	// The same owner again, or an item the actor takes themselves: nobody is told.
	m = modelstest.NoticeMark(t, f.db)
	_, err = f.cases.UpdateItem(ctx, f.inv, cv.ID, item, casefile.ItemInput{Status: casefile.ItemProvided, OwnerID: member.UserID})
	modelstest.Must(t, err)
	_, err = f.cases.UpdateItem(ctx, member, cv.ID, item, casefile.ItemInput{Status: casefile.ItemProvided, OwnerID: member.UserID})
	modelstest.Must(t, err)
	_, err = f.cases.UpdateItem(ctx, f.inv, cv.ID, item, casefile.ItemInput{Status: casefile.ItemProvided, OwnerID: f.inv.UserID})
	modelstest.Must(t, err)
	if got := modelstest.NoticesSince(t, f.db, m); len(got) != 0 {
		t.Errorf("no new owner but the actor: notified %+v", got)
	}
}
