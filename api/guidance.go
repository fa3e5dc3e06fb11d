package api

import "github.com/gin-gonic/gin"

// GuidancePages are the pages of the guidance library.
type GuidancePages interface {
	// Reading: the library home, search and browsing, a document, its history and what changed.
	GuidanceHome() gin.HandlerFunc
	GuidanceSearch() gin.HandlerFunc
	GuidanceDocument() gin.HandlerFunc
	GuidanceHistory() gin.HandlerFunc
	GuidanceDiff() gin.HandlerFunc
	GuidanceVersion() gin.HandlerFunc
	GuidanceAcknowledge() gin.HandlerFunc

	// Writing and approving.
	GuidanceNewForm() gin.HandlerFunc
	GuidanceCreate() gin.HandlerFunc
	GuidanceEditForm() gin.HandlerFunc
	GuidanceUpdate() gin.HandlerFunc
	GuidanceAttach() gin.HandlerFunc
	GuidanceRemoveAttachment() gin.HandlerFunc
	GuidanceSubmit() gin.HandlerFunc
	GuidancePublish() gin.HandlerFunc
	GuidanceReturn() gin.HandlerFunc
	GuidanceStartVersion() gin.HandlerFunc
	GuidanceReview() gin.HandlerFunc

	// Owners and managers: the dashboard and who has acknowledged what.
	GuidanceDashboard() gin.HandlerFunc
	GuidanceAcknowledgements() gin.HandlerFunc
	GuidanceAcknowledgementsOf() gin.HandlerFunc
}
