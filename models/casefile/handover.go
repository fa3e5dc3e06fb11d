package casefile

import (
	"context"
	"slices"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// Hand-overs: every step of a pack that hands the work to someone else tells them, in the
// transaction of the step, with a link to where they act. The texts name no case material (no
// URN, operation, offence or person of the case): the link leads to the case for those who may
// see it, and mail sends case notifications as the generic email (mail's allow-list).

// Kinds of notification of the hand-overs of a pack.
const (
	NoticeCasePack = "case_pack" // a pack waits for sign-off, or was approved or returned
	NoticeCaseCPS  = "case_cps"  // a pack was shared with the CPS, or the CPS recorded advice, a decision or an action, or the team answered one (or its answer is due)
	// NoticeCaseShareEnding: a share ends within ShareDueSoonDays (RemindExpiringShares).
	NoticeCaseShareEnding = "case_share_ending"
	NoticeCaseWork        = "case_work" // they were put on a case team, or given a checklist item
)

// ShareDueSoonDays is how many days before a share ends the supervisor who shared it and the
// liaison are reminded, and how far ahead the home page counts shares expiring.
const ShareDueSoonDays = 7

func packLink(caseID int64) string { return "/casefiles/" + core.IDString(caseID) + "/pack" }

// notifyEach notifies every person of ids (but except) once.
func (s *Service) notifyEach(ctx context.Context, ids []int64, except int64, kind, text, link, subject string) error {
	seen := map[int64]bool{except: true}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if err := core.NotifySubject(ctx, s.d, id, kind, text, link, subject); err != nil {
			return err
		}
	}
	return nil
}

// active keeps the ids of users who are not disabled, in id order.
func (s *Service) active(ctx context.Context, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []int64
	err := s.d.DB.Conn(ctx).Table("users").Where("id IN ? AND disabled_at IS NULL", ids).Order("id").Pluck("id", &out).Error
	return out, core.DBError(err)
}

// approversOf lists the people who may sign off the pack of cf now: the supervisors of the
// owning organisation whom the policy lets approve it (their clearance covers it; never the
// person who submitted it, the policy's four eyes).
func (s *Service) approversOf(ctx context.Context, cf *CaseFile) ([]int64, error) {
	people, err := s.peopleWithRole(ctx, policies.RoleSupervisor, "", cf.OrganisationID)
	if err != nil {
		return nil, err
	}
	now := s.d.Now()
	var out []int64
	for _, p := range people {
		var u core.User
		if err := s.d.DB.Conn(ctx).Take(&u, p.ID).Error; err != nil {
			return nil, core.DBError(err)
		}
		who := core.ActorOf(s.d, u, now)
		obj, err := s.caseObject(ctx, who, cf, "casefile")
		if err != nil {
			return nil, err
		}
		if s.d.Authz.Can(ctx, who.Subject(), policies.ActApprove, obj) == nil {
			out = append(out, u.ID)
		}
	}
	return out, nil
}

// teamOf lists the active people of the case team: the lead investigator and the members.
func (s *Service) teamOf(ctx context.Context, cf *CaseFile) ([]int64, error) {
	ids := []int64{cf.LeadInvestigatorID}
	var members []int64
	if err := s.d.DB.Conn(ctx).Table("case_members").Where("case_id = ? AND removed_at IS NULL", cf.ID).Order("user_id").Pluck("user_id", &members).Error; err != nil {
		return nil, core.DBError(err)
	}
	for _, m := range members {
		if !slices.Contains(ids, m) {
			ids = append(ids, m)
		}
	}
	return s.active(ctx, ids)
}

// liaisonsOf lists the active CPS liaisons holding a live share of the case.
func (s *Service) liaisonsOf(ctx context.Context, caseID int64) ([]int64, error) {
	var ids []int64
	if err := s.d.DB.Conn(ctx).Model(&caseShare{}).Where("case_id = ? AND revoked_at IS NULL AND expires_at > ?", caseID, s.d.Now()).
		Distinct().Pluck("liaison_id", &ids).Error; err != nil {
		return nil, core.DBError(err)
	}
	return s.active(ctx, ids)
}

// tellTeam tells the case team (but not who, who did it) what the supervisor or the CPS did.
func (s *Service) tellTeam(ctx context.Context, who core.Actor, cf *CaseFile, kind, text, subject string) error {
	team, err := s.teamOf(ctx, cf)
	if err != nil {
		return err
	}
	return s.notifyEach(ctx, team, who.UserID, kind, text, packLink(cf.ID), subject)
}

// closeSharesOf marks done the notifications of the shares of the case held by liaison (every
// liaison when 0): the liaison acted on them, or they ended.
func (s *Service) closeSharesOf(ctx context.Context, caseID, liaison, by int64) error {
	q := s.d.DB.Conn(ctx).Model(&caseShare{}).Where("case_id = ?", caseID)
	if liaison != 0 {
		q = q.Where("liaison_id = ?", liaison)
	}
	var ids []int64
	if err := q.Pluck("id", &ids).Error; err != nil {
		return core.DBError(err)
	}
	for _, id := range ids {
		if err := core.CloseSubject(ctx, s.d, core.Subject(core.SubjectShare, id), by); err != nil {
			return err
		}
	}
	return nil
}

// shareLastDay is the last day of a share, UK time, as people read it.
func shareLastDay(expires time.Time) string {
	return expires.In(core.London).Add(-time.Second).Format("2 January 2006")
}

// Keys of the case files' things to do.
const (
	ToDoPacks   = "packs_to_sign_off"
	ToDoActions = "cps_actions_due"
	ToDoShares  = "shares_expiring"
)

// answerable are the statuses at which the team answers CPS actions (as RemindDueActions).
var answerable = []CaseStatus{StatusAdviceReturned, StatusActionPlan, StatusCharged}

// ToDo counts the case work waiting on who, for their home page: packs they may sign off,
// open CPS actions on cases they may answer for, and CPS shares ending within ShareDueSoonDays
// that they shared (supervisors) or hold (liaisons). Each is listed only when the policy lets
// who do that work at all; the counts use the same scope as the lists. Anyone signed in may
// call it.
func (s *Service) ToDo(ctx context.Context, who core.Actor) ([]core.ToDo, error) {
	sub, own := who.Subject(), policies.OrgDomain(who.OrgID)
	may := func(act policies.Action, rel policies.Relation) bool {
		return s.d.Authz.Can(ctx, sub, act, policies.Object{Type: "casefile", Org: own, Classification: policies.Official, Rel: rel}) == nil
	}
	count := func(act policies.Action, build func(q *gorm.DB) *gorm.DB) (int64, error) {
		where, args, err := s.caseScope(who, act)
		if err != nil {
			return 0, err
		}
		var n int64
		err = build(s.d.DB.Conn(ctx).Table("case_files cf").Where(where, args...)).Count(&n).Error
		return n, core.DBError(err)
	}
	now := s.d.Now()
	soon := now.AddDate(0, 0, ShareDueSoonDays)
	var out []core.ToDo
	if may(policies.ActApprove, 0) {
		n, err := count(policies.ActApprove, func(q *gorm.DB) *gorm.DB { return q.Where("cf.status = ?", StatusWithSupervisor) })
		if err != nil {
			return nil, err
		}
		out = append(out, core.ToDo{Key: ToDoPacks, Label: "Case file packs to sign off", Count: n, Link: "/casefiles/review"})
	}
	if may(policies.ActRespond, policies.RelTeam|policies.RelLead) {
		n, err := count(policies.ActRespond, func(q *gorm.DB) *gorm.DB {
			return q.Joins("JOIN cps_actions a ON a.case_id = cf.id").Where("a.kind = ? AND a.responded_at IS NULL AND cf.status IN ?", KindAction, answerable)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, core.ToDo{Key: ToDoActions, Label: "CPS actions to answer", Count: n, Link: "/casefiles"})
	}
	switch {
	case may(policies.ActShare, 0):
		n, err := count(policies.ActShare, func(q *gorm.DB) *gorm.DB {
			return q.Joins("JOIN case_shares sh ON sh.case_id = cf.id").Where("sh.revoked_at IS NULL AND sh.expires_at > ? AND sh.expires_at <= ?", now, soon)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, core.ToDo{Key: ToDoShares, Label: "CPS shares ending within 7 days", Count: n, Link: "/casefiles"})
	case may(policies.ActAdvise, policies.RelShare):
		n, err := count(policies.ActAdvise, func(q *gorm.DB) *gorm.DB {
			return q.Joins("JOIN case_shares sh ON sh.case_id = cf.id").Where("sh.liaison_id = ? AND sh.revoked_at IS NULL AND sh.expires_at > ? AND sh.expires_at <= ?", who.UserID, now, soon)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, core.ToDo{Key: ToDoShares, Label: "Case file packs shared with you ending within 7 days", Count: n, Link: "/casefiles/cps"})
	}
	return out, nil
}
