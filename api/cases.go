package api

import "github.com/gin-gonic/gin"

// CasePages are the pages of case files and CPS evidence packs.
type CasePages interface {
	// Lists: my cases, the supervisor's queue, the CPS liaison's queue.
	Cases() gin.HandlerFunc
	CaseSupervisorQueue() gin.HandlerFunc
	CaseCPSQueue() gin.HandlerFunc

	// Opening a case and changing its details.
	CaseNewForm() gin.HandlerFunc
	CaseCreate() gin.HandlerFunc
	CaseEditForm() gin.HandlerFunc
	CaseUpdate() gin.HandlerFunc

	// The case page's tabs: checklist, evidence, disclosure, sign-off and CPS, team, timeline.
	Case() gin.HandlerFunc
	CaseEvidence() gin.HandlerFunc
	CaseSchedules() gin.HandlerFunc
	CasePack() gin.HandlerFunc
	CaseTeam() gin.HandlerFunc
	CaseTimeline() gin.HandlerFunc

	// Checklist items, with the CPS liaison's review.
	CaseItem() gin.HandlerFunc
	CaseItemUpdate() gin.HandlerFunc
	CaseItemReview() gin.HandlerFunc

	// Evidence: upload, reference to a force evidence system, an exhibit's continuity record.
	CaseEvidenceForm() gin.HandlerFunc
	CaseEvidenceUpload() gin.HandlerFunc
	CaseReferenceForm() gin.HandlerFunc
	CaseReferenceCreate() gin.HandlerFunc
	CaseExhibit() gin.HandlerFunc

	// Disclosure schedules.
	CaseEntryForm() gin.HandlerFunc
	CaseEntryCreate() gin.HandlerFunc
	CaseEntryEditForm() gin.HandlerFunc
	CaseEntryUpdate() gin.HandlerFunc

	// Sign-off, shares and the CPS: the forms on the sign-off and CPS tab post here.
	CaseSubmit() gin.HandlerFunc
	CaseApprove() gin.HandlerFunc
	CaseReturn() gin.HandlerFunc
	CaseShare() gin.HandlerFunc
	CaseShareRevoke() gin.HandlerFunc
	CaseAdvice() gin.HandlerFunc
	CaseDecision() gin.HandlerFunc
	CaseCharge() gin.HandlerFunc
	CaseAction() gin.HandlerFunc
	CaseActionAnswer() gin.HandlerFunc
	CaseFinalise() gin.HandlerFunc
	CaseClose() gin.HandlerFunc
	CaseChanges() gin.HandlerFunc // what changed in a pack since the approved one before it

	// After charge (issue 13): the forms of the case page's "After charge" section.
	CaseCourtStep() gin.HandlerFunc
	CaseCustody() gin.HandlerFunc

	// The team.
	CaseMemberAdd() gin.HandlerFunc
	CaseMemberRemove() gin.HandlerFunc

	// Checklist templates (administrators).
	CaseTemplates() gin.HandlerFunc
	CaseTemplate() gin.HandlerFunc
	CaseTemplateForm() gin.HandlerFunc
	CaseTemplateSave() gin.HandlerFunc
}

// DisclosurePages are the forms of a case's disclosure tab (issue 13): the disclosure roles,
// certification, third-party requests, moving an entry between schedules and the prosecutor's
// columns.
type DisclosurePages interface {
	CaseDisclosureRoles() gin.HandlerFunc
	CaseDisclosureCertify() gin.HandlerFunc
	CaseThirdPartyRequest() gin.HandlerFunc
	CaseThirdPartyAnswer() gin.HandlerFunc
	CaseEntryMove() gin.HandlerFunc
	CaseEntryMark() gin.HandlerFunc
}
