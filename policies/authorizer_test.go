package policies_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
)

const (
	home  = "org:1" // the actor's organisation
	other = "org:2" // another organisation
)

func newAuthorizer(t *testing.T) *policies.Authorizer {
	t.Helper()
	return authorizer(t, modelstest.OpenDB(t))
}

// Objects the specification talks about, seen from an actor of the home organisation.
var (
	caseOnMyTeam      = policies.Object{Type: "casefile", Org: home, Classification: policies.Official, Rel: policies.RelTeam}
	caseILead         = policies.Object{Type: "casefile", Org: home, Classification: policies.Official, Rel: policies.RelTeam | policies.RelLead}
	caseOfMyForce     = policies.Object{Type: "casefile", Org: home, Classification: policies.Official}
	packISubmitted    = policies.Object{Type: "casefile", Org: home, Classification: policies.Official, Rel: policies.RelTeam | policies.RelSubmitter}
	caseSharedWithMe  = policies.Object{Type: "casefile", Org: other, Classification: policies.Official, Rel: policies.RelShare}
	caseIProsecute    = policies.Object{Type: "casefile", Org: other, Classification: policies.Official, Rel: policies.RelShare | policies.RelProsecutor}
	caseElsewhere     = policies.Object{Type: "casefile", Org: other, Classification: policies.Official}
	newCaseHere       = policies.Object{Type: "casefile", Org: home, Classification: policies.Official}
	newCaseElsewhere  = policies.Object{Type: "casefile", Org: other, Classification: policies.Official}
	evidenceOnMyTeam  = policies.Object{Type: "evidence", Org: home, Classification: policies.Official, Rel: policies.RelTeam}
	evidenceOfMyForce = policies.Object{Type: "evidence", Org: home, Classification: policies.Official}
	evidenceShared    = policies.Object{Type: "evidence", Org: other, Classification: policies.Official, Rel: policies.RelShare}

	guidanceForMe    = policies.Object{Type: "document", Org: other, Classification: policies.Official, Rel: policies.RelAudience}
	guidanceNotForMe = policies.Object{Type: "document", Org: other, Classification: policies.Official}
	draftOfMyOrg     = policies.Object{Type: "document", Org: home, Classification: policies.Official}
	draftIWrote      = policies.Object{Type: "document", Org: home, Classification: policies.Official, Rel: policies.RelAuthor}
	draftElsewhere   = policies.Object{Type: "document", Org: other, Classification: policies.Official}
	acksOfMyOrg      = policies.Object{Type: "acknowledgement", Org: home}
	acksElsewhere    = policies.Object{Type: "acknowledgement", Org: other}
	anyCourse        = policies.Object{Type: "course", Org: other}
	courseITeach     = policies.Object{Type: "course", Org: other, Rel: policies.RelTrainer}
	sessionImOn      = policies.Object{Type: "session", Org: other, Rel: policies.RelEnrolled}
	sessionNotMine   = policies.Object{Type: "session", Org: other}
	myEnrolment      = policies.Object{Type: "enrolment", Org: home, Rel: policies.RelSelf}
	staffEnrolment   = policies.Object{Type: "enrolment", Org: home}
	otherEnrolment   = policies.Object{Type: "enrolment", Org: other}
	materialImOn     = policies.Object{Type: "material", Org: other, Classification: policies.Official, Rel: policies.RelEnrolled}
	materialNotMine  = policies.Object{Type: "material", Org: other, Classification: policies.Official}
	myCertificate    = policies.Object{Type: "certificate", Org: home, Rel: policies.RelSelf}
	staffCertificate = policies.Object{Type: "certificate", Org: home}
	myAccount        = policies.Object{Type: "account", Org: home, Rel: policies.RelSelf}
	someoneElse      = policies.Object{Type: "account", Org: home}
	userHere         = policies.Object{Type: "user", Org: home}
	userElsewhere    = policies.Object{Type: "user", Org: other}
	adminHere        = policies.Object{Type: "user", Org: home, Rel: policies.RelPrivileged}
	anOrganisation   = policies.Object{Type: "organisation", Org: other}
	theAuditLog      = policies.Object{Type: "audit"}
	thePolicy        = policies.Object{Type: "policy"}
	aTemplate        = policies.Object{Type: "template"}
	nationalPicture  = policies.Object{Type: "statistics"}
)

type rule struct {
	act policies.Action
	obj policies.Object
	on  string // how the object relates to the actor, for failure messages
}

func do(act policies.Action, obj policies.Object, on string) rule { return rule{act, obj, on} }

// everyone is what any signed-in user may do, whatever their role.
var everyone = []rule{
	do(policies.ActRead, myAccount, "own account"), do(policies.ActUpdate, myAccount, "own account"),
	do(policies.ActCreate, policies.Object{Type: "token", Rel: policies.RelSelf}, "own token"),
	do(policies.ActRevoke, policies.Object{Type: "token", Rel: policies.RelSelf}, "own token"),
	do(policies.ActRead, anOrganisation, "an organisation"),
	do(policies.ActRead, guidanceForMe, "guidance for their audience"), do(policies.ActAcknowledge, guidanceForMe, "guidance for their audience"),
	do(policies.ActRead, anyCourse, "a course"), do(policies.ActRead, sessionNotMine, "a session"),
	do(policies.ActJoin, sessionImOn, "a session they are on"), do(policies.ActRead, materialImOn, "material of their session"),
	do(policies.ActRequest, myEnrolment, "own enrolment"), do(policies.ActWithdraw, myEnrolment, "own enrolment"),
	do(policies.ActRead, myCertificate, "own certificate"),
}

// nobody is what no role may do by default.
var nobody = []rule{
	do(policies.ActUpdate, someoneElse, "someone else's account"),
	do(policies.ActRead, guidanceNotForMe, "guidance outside their audience"),
	do(policies.ActJoin, sessionNotMine, "a session they are not on"),
	do(policies.ActRead, materialNotMine, "material of a course they are not on"),
	do(policies.ActRead, caseElsewhere, "another force's case not shared with them"),
	do(policies.ActRead, evidenceShared, "evidence... only CPS via a share"),
	do(policies.ActUpdate, userElsewhere, "a user of another organisation"),
	do(policies.ActPublish, draftIWrote, "their own draft (four eyes)"),
	do(policies.ActApprove, packISubmitted, "a pack they submitted (four eyes)"),
	do(policies.ActDecide, otherEnrolment, "another organisation's enrolment"),
	do(policies.ActReport, acksElsewhere, "another organisation's acknowledgements"),
}

// TestRolePermissions is the specification of DESIGN.md §1: for each role, what it may and may
// not do. Every role also may do `everyone` and may not do `nobody` (CPS's shared evidence aside).
func TestRolePermissions(t *testing.T) {
	a := newAuthorizer(t)
	spec := []struct {
		role     string
		may      []rule
		mayNot   []rule
		nobodyOK []string // entries of `nobody` this role may in fact do
	}{
		{role: policies.RoleOfficer,
			mayNot: []rule{do(policies.ActRead, caseOnMyTeam, "a case, even on the team"), do(policies.ActCreate, newCaseHere, "a case"),
				do(policies.ActRead, draftOfMyOrg, "a draft"), do(policies.ActCreate, anyCourse, "a course"), do(policies.ActRead, userHere, "a user record"),
				do(policies.ActRead, theAuditLog, "the audit log")}},
		{role: policies.RoleInvestigator,
			may: []rule{do(policies.ActCreate, newCaseHere, "a case in their force"), do(policies.ActRead, caseOnMyTeam, "a case on their team"),
				do(policies.ActUpdate, caseOnMyTeam, "a case on their team"), do(policies.ActSubmit, caseOnMyTeam, "a case on their team"),
				do(policies.ActRespond, caseOnMyTeam, "a case on their team"), do(policies.ActExport, caseOnMyTeam, "a case on their team"),
				do(policies.ActCharge, caseOnMyTeam, "the police charge of a case on their team"),
				do(policies.ActAdd, evidenceOnMyTeam, "evidence on their team"), do(policies.ActRead, evidenceOnMyTeam, "evidence on their team"),
				do(policies.ActManageTeam, caseILead, "a case they lead")},
			mayNot: []rule{do(policies.ActCreate, newCaseElsewhere, "a case in another force"), do(policies.ActRead, caseOfMyForce, "a case of their force, off the team"),
				do(policies.ActApprove, caseOnMyTeam, "their own pack"), do(policies.ActShare, caseOnMyTeam, "a case with CPS"),
				do(policies.ActManageTeam, caseOnMyTeam, "a case they do not lead"), do(policies.ActRead, evidenceOfMyForce, "evidence off the team")}},
		{role: policies.RoleSupervisor,
			may: []rule{do(policies.ActRead, caseOfMyForce, "a case of their force"), do(policies.ActApprove, caseOfMyForce, "a case of their force"),
				do(policies.ActReturn, caseOfMyForce, "a case of their force"), do(policies.ActShare, caseOfMyForce, "a case of their force"),
				do(policies.ActExport, caseOfMyForce, "a case of their force"), do(policies.ActRead, evidenceOfMyForce, "evidence of their force"),
				do(policies.ActManageTeam, caseOfMyForce, "a case of their force"),
				do(policies.ActDecide, staffEnrolment, "their staff's enrolment"), do(policies.ActBulk, staffEnrolment, "their staff's enrolment"),
				do(policies.ActRead, staffCertificate, "their staff's certificate"), do(policies.ActRead, userHere, "their staff"),
				do(policies.ActReport, acksOfMyOrg, "their organisation's acknowledgements")},
			mayNot: []rule{do(policies.ActCreate, newCaseHere, "a case"), do(policies.ActUpdate, caseOfMyForce, "case contents"),
				do(policies.ActApprove, packISubmitted, "a pack they submitted, even of their force (four eyes)"),
				do(policies.ActRead, userElsewhere, "staff of another organisation")}},
		{role: policies.RoleCPSLiaison,
			may: []rule{do(policies.ActRead, caseSharedWithMe, "a case shared with them"), do(policies.ActAdvise, caseSharedWithMe, "a case shared with them"),
				do(policies.ActExport, caseSharedWithMe, "a case shared with them"), do(policies.ActRead, evidenceShared, "evidence of a shared case"),
				do(policies.ActDecide, caseIProsecute, "a charging decision on a case shared with them, as a Crown Prosecutor")},
			mayNot: []rule{do(policies.ActUpdate, caseSharedWithMe, "a shared case's contents"), do(policies.ActApprove, caseSharedWithMe, "a shared case"),
				do(policies.ActDecide, caseSharedWithMe, "a charging decision, as a caseworker who is no Crown Prosecutor"),
				do(policies.ActCharge, caseIProsecute, "the police charge"),
				do(policies.ActRead, caseOfMyForce, "a case of their own organisation not shared with them")},
			nobodyOK: []string{"evidence... only CPS via a share"}},
		{role: policies.RoleTrainer,
			may: []rule{do(policies.ActCreate, anyCourse, "a course"), do(policies.ActUpdate, courseITeach, "a course they teach"),
				do(policies.ActPublish, courseITeach, "a course they teach"),
				do(policies.ActUpload, policies.Object{Type: "material", Classification: policies.Official, Rel: policies.RelTrainer}, "material of their course"),
				do(policies.ActRegister, policies.Object{Type: "session", Rel: policies.RelTrainer}, "a session they teach"),
				do(policies.ActIssue, policies.Object{Type: "certificate", Rel: policies.RelTrainer}, "certificates of their course")},
			mayNot: []rule{do(policies.ActUpdate, anyCourse, "someone else's course"), do(policies.ActRead, caseOnMyTeam, "a case")}},
		{role: policies.RoleGuidanceEditor,
			may: []rule{do(policies.ActCreate, draftOfMyOrg, "guidance of their organisation"), do(policies.ActEdit, draftOfMyOrg, "a draft of their organisation"),
				do(policies.ActSubmit, draftOfMyOrg, "a draft of their organisation"), do(policies.ActReadDraft, draftOfMyOrg, "a draft of their organisation"),
				do(policies.ActReview, draftOfMyOrg, "guidance of their organisation")},
			mayNot: []rule{do(policies.ActPublish, draftOfMyOrg, "guidance (editors do not approve)"), do(policies.ActEdit, draftElsewhere, "another organisation's draft"),
				do(policies.ActReadDraft, draftElsewhere, "another organisation's draft")}},
		{role: policies.RoleGuidanceApprover,
			may: []rule{do(policies.ActPublish, draftOfMyOrg, "someone else's draft of their organisation"), do(policies.ActReturn, draftOfMyOrg, "someone else's draft"),
				do(policies.ActReadDraft, draftOfMyOrg, "a draft of their organisation")},
			mayNot: []rule{do(policies.ActPublish, draftElsewhere, "another organisation's draft"), do(policies.ActReturn, draftIWrote, "their own draft"),
				do(policies.ActEdit, draftOfMyOrg, "a draft (approvers do not edit)")}},
		{role: policies.RoleAnalyst,
			may:    []rule{do(policies.ActRead, nationalPicture, "the national picture")},
			mayNot: []rule{do(policies.ActRead, caseOfMyForce, "a case"), do(policies.ActRead, userHere, "a user record")}},
		{role: policies.RoleOrgAdmin,
			may: []rule{do(policies.ActRead, userHere, "a user of their organisation"), do(policies.ActCreate, userHere, "a user of their organisation"),
				do(policies.ActRead, adminHere, "an administrator of their organisation"),
				do(policies.ActUpdate, userHere, "a user of their organisation"), do(policies.ActDisable, userHere, "a user of their organisation"),
				do(policies.ActAssignRole, userHere, "a user of their organisation"), do(policies.ActBulk, staffEnrolment, "enrolments of their organisation"),
				do(policies.ActReport, acksOfMyOrg, "their organisation's acknowledgements")},
			mayNot: []rule{do(policies.ActCreate, userElsewhere, "a user of another organisation"), do(policies.ActRead, caseOfMyForce, "a case"),
				do(policies.ActCreate, anOrganisation, "an organisation"), do(policies.ActUpdate, adminHere, "an administrator's account"),
				do(policies.ActDisable, adminHere, "an administrator's account"), do(policies.ActAssignRole, adminHere, "an administrator's roles"),
				do(policies.ActGrantSystemRole, userHere, "the admin or auditor role")}},
		{role: policies.RoleAdmin,
			may: []rule{do(policies.ActCreate, userElsewhere, "a user anywhere"), do(policies.ActAssignRole, userElsewhere, "a user anywhere"),
				do(policies.ActUpdate, adminHere, "another administrator's account"), do(policies.ActGrantSystemRole, userElsewhere, "the admin or auditor role"),
				do(policies.ActCreate, anOrganisation, "an organisation"), do(policies.ActUpdate, anOrganisation, "an organisation"),
				do(policies.ActUpdate, aTemplate, "a checklist template"), do(policies.ActUpdate, thePolicy, "the policy")},
			// Need-to-know is never implied by rank.
			mayNot: []rule{do(policies.ActRead, caseOfMyForce, "a case of their own organisation"), do(policies.ActRead, evidenceOfMyForce, "evidence"),
				do(policies.ActExport, caseOfMyForce, "a case"), do(policies.ActRead, theAuditLog, "the audit log (auditors do)")},
			nobodyOK: []string{"a user of another organisation"}},
		{role: policies.RoleAuditor,
			may:    []rule{do(policies.ActRead, theAuditLog, "the audit log"), do(policies.ActVerify, theAuditLog, "the audit log")},
			mayNot: []rule{do(policies.ActRead, caseOfMyForce, "a case"), do(policies.ActUpdate, userHere, "a user")}},
	}

	covered := map[string]bool{}
	for i, s := range spec {
		covered[s.role] = true
		sub := policies.Subject{Principal: fmt.Sprintf("user:%d", i+1), Domain: home, Clearance: policies.OfficialSensitive, Vetted: true}
		if err := a.Grant(context.Background(), sub.Principal, s.role, home); err != nil {
			t.Fatal(err)
		}
		t.Run(s.role, func(t *testing.T) {
			check := func(r rule, allow bool) {
				t.Helper()
				err := a.Can(context.Background(), sub, r.act, r.obj)
				switch {
				case allow && err != nil:
					t.Errorf("%s may %s %s, got %v", s.role, r.act, r.on, err)
				case !allow && !errors.Is(err, policies.ErrDenied):
					t.Errorf("%s may not %s %s, got %v", s.role, r.act, r.on, err)
				}
			}
			for _, r := range append(append([]rule{}, everyone...), s.may...) {
				check(r, true)
			}
			ok := map[string]bool{}
			for _, on := range s.nobodyOK {
				ok[on] = true
			}
			for _, r := range append(append([]rule{}, nobody...), s.mayNot...) {
				check(r, ok[r.on])
			}
		})
	}
	for _, r := range policies.Roles() {
		if !covered[r] {
			t.Errorf("role %s has no specification", r)
		}
	}
}

// The national picture's editions (DOMAIN.md §G): analysts in policing read the law-enforcement
// edition; those whose area is wider than one organisation read the partner edition too; the
// analysts of partner agencies read the partner edition only; a force's analysts, whose every
// figure is a force-level one, the law-enforcement edition only. Nobody else reads either.
func TestEditionsOfTheNationalPicture(t *testing.T) {
	a := newAuthorizer(t)
	lawEnforcement := func(rel policies.Relation) policies.Object {
		return policies.Object{Type: "statistics_law_enforcement", Org: home, Classification: policies.OfficialSensitive, Rel: rel}
	}
	partner := func(rel policies.Relation) policies.Object {
		return policies.Object{Type: "statistics_partner", Org: home, Classification: policies.OfficialSensitive, Rel: rel}
	}
	analyst := subjectWith(t, a, 1, policies.RoleAnalyst, nil)
	for _, c := range []struct {
		who          string
		rel          policies.Relation
		le, partners bool
	}{
		{"a national or regional analyst in policing", policies.RelPolicing | policies.RelWideArea, true, true},
		{"a force's analyst", policies.RelPolicing, true, false},
		{"a partner agency's analyst", 0, false, true},
		{"a partner agency's analyst, even with a wide area", policies.RelWideArea, false, true},
	} {
		for _, e := range []struct {
			name string
			obj  policies.Object
			want bool
		}{{"the law-enforcement edition", lawEnforcement(c.rel), c.le}, {"the partner edition", partner(c.rel), c.partners}} {
			err := a.Can(context.Background(), analyst, policies.ActRead, e.obj)
			if e.want && err != nil || !e.want && !errors.Is(err, policies.ErrDenied) {
				t.Errorf("%s reading %s: %v, want allowed %v", c.who, e.name, err, e.want)
			}
		}
	}
	officer := subjectWith(t, a, 2, policies.RoleSupervisor, nil)
	for _, obj := range []policies.Object{lawEnforcement(policies.RelPolicing | policies.RelWideArea), partner(policies.RelWideArea)} {
		if err := a.Can(context.Background(), officer, policies.ActRead, obj); !errors.Is(err, policies.ErrDenied) {
			t.Errorf("a supervisor reading %s: %v, want denied", obj.Type, err)
		}
	}
	cleared := subjectWith(t, a, 3, policies.RoleAnalyst, func(s *policies.Subject) { s.Clearance = policies.Official })
	if err := a.Can(context.Background(), cleared, policies.ActRead, partner(0)); !errors.Is(err, policies.ErrDenied) {
		t.Errorf("an analyst cleared to OFFICIAL only reading the OFFICIAL-SENSITIVE partner edition: %v, want denied", err)
	}
}

func subjectWith(t *testing.T, a *policies.Authorizer, id int, role string, mod func(*policies.Subject)) policies.Subject {
	t.Helper()
	s := policies.Subject{Principal: fmt.Sprintf("user:%d", id), Domain: home, Clearance: policies.OfficialSensitive, Vetted: true}
	if mod != nil {
		mod(&s)
	}
	if err := a.Grant(context.Background(), s.Principal, role, home); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestClearanceAndVettingGateCaseMaterial(t *testing.T) {
	a := newAuthorizer(t)
	ctx := context.Background()
	sensitiveCase := caseOnMyTeam
	sensitiveCase.Classification = policies.OfficialSensitive

	cleared := subjectWith(t, a, 1, policies.RoleInvestigator, nil)
	officialOnly := subjectWith(t, a, 2, policies.RoleInvestigator, func(s *policies.Subject) { s.Clearance = policies.Official })
	expired := subjectWith(t, a, 3, policies.RoleInvestigator, func(s *policies.Subject) { s.Vetted = false })

	if err := a.Can(ctx, cleared, policies.ActRead, sensitiveCase); err != nil {
		t.Errorf("cleared team member reading OFFICIAL-SENSITIVE case: %v", err)
	}
	if err := a.Can(ctx, officialOnly, policies.ActRead, sensitiveCase); !errors.Is(err, policies.ErrDenied) {
		t.Errorf("OFFICIAL-cleared team member reading OFFICIAL-SENSITIVE case: %v, want denied", err)
	}
	if err := a.Can(ctx, officialOnly, policies.ActRead, caseOnMyTeam); err != nil {
		t.Errorf("OFFICIAL-cleared team member reading OFFICIAL case: %v", err)
	}
	// Expired vetting keeps training and guidance, loses case material.
	if err := a.Can(ctx, expired, policies.ActRead, caseOnMyTeam); !errors.Is(err, policies.ErrDenied) {
		t.Errorf("expired vetting reading a case: %v, want denied", err)
	}
	for _, r := range []rule{do(policies.ActRead, guidanceForMe, "guidance"), do(policies.ActRead, anyCourse, "a course"), do(policies.ActRead, materialImOn, "material")} {
		if err := a.Can(ctx, expired, r.act, r.obj); err != nil {
			t.Errorf("expired vetting %s %s: %v, want allowed", r.act, r.on, err)
		}
	}
	sensitiveGuidance := guidanceForMe
	sensitiveGuidance.Classification = policies.OfficialSensitive
	if err := a.Can(ctx, officialOnly, policies.ActRead, sensitiveGuidance); !errors.Is(err, policies.ErrDenied) {
		t.Errorf("OFFICIAL-cleared reader of OFFICIAL-SENSITIVE guidance: %v, want denied", err)
	}
}

func TestRolesHoldOnlyInTheirOrganisation(t *testing.T) {
	a := newAuthorizer(t)
	ctx := context.Background()
	sup := subjectWith(t, a, 1, policies.RoleSupervisor, nil)
	if err := a.Can(ctx, sup, policies.ActRead, caseOfMyForce); err != nil {
		t.Fatalf("supervisor at home: %v", err)
	}
	// The same person acting in another organisation holds no role there.
	away := sup
	away.Domain = other
	theirCase := caseElsewhere
	if err := a.Can(ctx, away, policies.ActRead, theirCase); !errors.Is(err, policies.ErrDenied) {
		t.Errorf("role used in an organisation where it was not granted: %v, want denied", err)
	}
	if got := a.RolesIn(sup.Principal, home); strings.Join(got, ",") != policies.RoleSupervisor {
		t.Errorf("RolesIn = %v", got)
	}
}

func TestRevokedRoleDeniesTheNextDecision(t *testing.T) {
	a := newAuthorizer(t)
	ctx := context.Background()
	inv := subjectWith(t, a, 1, policies.RoleInvestigator, nil)
	if err := a.Can(ctx, inv, policies.ActRead, caseOnMyTeam); err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(ctx, inv.Principal, policies.RoleInvestigator, home); err != nil {
		t.Fatal(err)
	}
	if err := a.Can(ctx, inv, policies.ActRead, caseOnMyTeam); !errors.Is(err, policies.ErrDenied) {
		t.Errorf("after revocation: %v, want denied", err)
	}
	if err := a.Grant(ctx, inv.Principal, "chief_constable", home); err == nil {
		t.Error("granting an unknown role succeeded")
	}
}

// Answers are kept between decisions, so a change of the rows must reach the next decision
// through Reload as a change of role assignments does through Refresh.
func TestReloadForgetsEarlierAnswers(t *testing.T) {
	db := modelstest.OpenDB(t)
	ctx := context.Background()
	a := authorizer(t, db)
	off := subjectWith(t, a, 1, policies.RoleOfficer, nil)
	widget := policies.Object{Type: "widget", Org: home}
	if err := db.Gorm().Exec("INSERT INTO casbin_rule (ptype, v0, v1, v2, v3) VALUES ('p', 'officer', 'widget', 'read', 'org')").Error; err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 { // worked out, then answered from what is kept
		if err := a.Can(ctx, off, policies.ActRead, widget); err != nil {
			t.Fatalf("the row allows it: %v", err)
		}
	}
	// The row now names trainers: the type is still known, so only a forgotten answer denies.
	if err := db.Gorm().Exec("UPDATE casbin_rule SET v0 = 'trainer' WHERE v1 = 'widget'").Error; err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Can(ctx, off, policies.ActRead, widget); !errors.Is(err, policies.ErrDenied) {
		t.Errorf("after the row changed: %v, want denied", err)
	}
}

// TestPolicyErrorsAreNotDecisions: a policy that cannot be evaluated is an internal error,
// never a silent deny or allow.
func TestPolicyErrorsAreNotDecisions(t *testing.T) {
	db := modelstest.OpenDB(t)
	ctx := context.Background()
	a := authorizer(t, db)
	off := subjectWith(t, a, 1, policies.RoleOfficer, nil)
	if err := db.Gorm().Exec("INSERT INTO casbin_rule (ptype, v0, v1, v2, v3) VALUES ('p', 'officer', 'widget', 'read', 'bogus')").Error; err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	err := a.Can(ctx, off, policies.ActRead, policies.Object{Type: "widget"})
	if !errors.Is(err, policies.ErrInternal) {
		t.Errorf("unknown relationship in a row: %v, want ErrInternal", err)
	}
	// One object type in two families would make the answer depend on which is scanned.
	if err := db.Gorm().Exec("INSERT INTO casbin_rule (ptype, v0, v1, v2, v3) VALUES ('p2', 'officer', 'casefile', 'read', 'any')").Error; err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(ctx); !errors.Is(err, policies.ErrInternal) {
		t.Errorf("type in two families: Reload = %v, want ErrInternal", err)
	}
}

// TestSyncKeepsTheDefaultPolicyCurrent: an upgrade adds new default rows, retires the rows an
// earlier default had, and leaves what an administrator added.
func TestSyncKeepsTheDefaultPolicyCurrent(t *testing.T) {
	db := modelstest.OpenDB(t)
	ctx := context.Background()
	g := db.Gorm()
	if err := policies.Sync(ctx, g); err != nil {
		t.Fatal(err)
	}
	count := func(where string) int64 {
		var n int64
		if err := g.Table("casbin_rule").Where(where).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	rules, err := policies.DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	if n := count("ptype LIKE 'p%'"); n != int64(len(rules)) {
		t.Fatalf("first sync wrote %d rows, want %d", n, len(rules))
	}
	// Pretend the previous release granted officers user:read, and drop one current default row;
	// an administrator meanwhile added a row of their own.
	var prev string
	if err := g.Table("policy_baseline").Select("rules").Where("id = 1").Scan(&prev).Error; err != nil {
		t.Fatal(err)
	}
	prev = strings.Replace(prev, "p, auditor, audit, verify, any\n", "", 1) + "p, officer, user, read, any\n"
	for _, q := range []string{
		"DELETE FROM casbin_rule WHERE ptype = 'p' AND v0 = 'auditor' AND v2 = 'verify'",
		"INSERT INTO casbin_rule (ptype, v0, v1, v2, v3) VALUES ('p', 'officer', 'user', 'read', 'any')",
		"INSERT INTO casbin_rule (ptype, v0, v1, v2, v3) VALUES ('p', 'analyst', 'audit', 'read', 'any')",
	} {
		if err := g.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Exec("UPDATE policy_baseline SET rules = ? WHERE id = 1", prev).Error; err != nil {
		t.Fatal(err)
	}
	if err := policies.Sync(ctx, g); err != nil {
		t.Fatal(err)
	}
	if count("v0 = 'auditor' AND v2 = 'verify'") != 1 {
		t.Error("a row new in this release was not added")
	}
	if count("v0 = 'officer' AND v1 = 'user'") != 0 {
		t.Error("a row the previous default had and this one dropped was not retired")
	}
	if count("v0 = 'analyst' AND v1 = 'audit'") != 1 {
		t.Error("a row an administrator added was removed")
	}
}
