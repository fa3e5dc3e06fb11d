package api

import "github.com/gin-gonic/gin"

// TrainingPages are the pages of training: courses, sessions, enrolments, material and certificates.
type TrainingPages interface {
	// The catalogue, a course, and the trainer's pages of a course.
	Courses() gin.HandlerFunc
	CourseNewForm() gin.HandlerFunc
	CourseCreate() gin.HandlerFunc
	Course() gin.HandlerFunc
	CourseEditForm() gin.HandlerFunc
	CourseUpdate() gin.HandlerFunc
	CoursePublish() gin.HandlerFunc
	CourseTrainerAdd() gin.HandlerFunc
	CourseMaterials() gin.HandlerFunc
	MaterialUpload() gin.HandlerFunc
	MaterialPublish() gin.HandlerFunc
	MaterialDownload() gin.HandlerFunc
	Teaching() gin.HandlerFunc

	// Sessions: booking, the trainer's pages (learners and waiting list, register), bulk
	// enrolment by supervisors and organisation administrators.
	SessionNewForm() gin.HandlerFunc
	SessionCreate() gin.HandlerFunc
	Session() gin.HandlerFunc
	SessionEditForm() gin.HandlerFunc
	SessionUpdate() gin.HandlerFunc
	SessionCancelForm() gin.HandlerFunc
	SessionCancel() gin.HandlerFunc
	SessionRequest() gin.HandlerFunc
	SessionLearners() gin.HandlerFunc
	Register() gin.HandlerFunc
	RegisterMark() gin.HandlerFunc
	SessionComplete() gin.HandlerFunc
	BulkForm() gin.HandlerFunc
	BulkUpload() gin.HandlerFunc

	// Enrolments: withdrawing, supervisors' decisions, trainers' cancellations.
	EnrolmentWithdraw() gin.HandlerFunc
	EnrolmentApprove() gin.HandlerFunc
	EnrolmentDeclineForm() gin.HandlerFunc
	EnrolmentDecline() gin.HandlerFunc
	EnrolmentCancelForm() gin.HandlerFunc
	EnrolmentCancel() gin.HandlerFunc
	Approvals() gin.HandlerFunc

	// Learning records, certificates, the calendar feed and notifications.
	MyTraining() gin.HandlerFunc
	CalendarRotate() gin.HandlerFunc
	StaffTraining() gin.HandlerFunc
	StaffRecord() gin.HandlerFunc
	Certificate() gin.HandlerFunc
	VerifyForm() gin.HandlerFunc
	Verify() gin.HandlerFunc
	Notifications() gin.HandlerFunc
	NotificationOpen() gin.HandlerFunc
	NotificationsReadAll() gin.HandlerFunc
}
