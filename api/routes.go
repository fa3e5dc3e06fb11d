package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/training"
)

// addRoutes lists every route of MSP Hub, API and pages, with its limits and gates. Reading this
// function tells a newcomer the whole surface.
func addRoutes(e *gin.Engine, app *App) {
	p, s := app.Pages, app.Services

	// Machine endpoints and static assets: no session lookup.
	e.GET("/healthz", handleHealth())
	e.GET("/readyz", handleReady(app.Health, app.Log))
	e.GET("/assets/*path", p.Asset())
	// Prometheus metrics for the configured addresses or the metrics token; to anyone else, the
	// 404 of an address that does not exist.
	e.GET("/metrics", handleMetrics(app.metrics, app.Cfg.Metrics, app.Log), app.authenticate(), notFound(p.NotFound()))

	// Everything else knows who is asking and refuses forged form posts. Bodies are limited to
	// the form size, or for uploads to the largest upload; upload routes set their own limit.
	// Query parameters (search terms, filters) are limited to MaxQueryValue characters.
	r := e.Group("", bodyLimitByType(app.Cfg.MaxFormBytes, app.Cfg.maxUploadBytes()), app.authenticate(), app.csrf(), queryLimit())

	// Pages anyone may open.
	r.GET("/", p.Start())
	r.GET("/sign-in", p.SignInForm())
	r.POST("/sign-in", p.SignIn())
	r.GET("/setup/:token", p.SetupForm())
	r.POST("/setup/:token", p.Setup())
	r.GET("/set-password/:token", p.SetPasswordForm())
	r.POST("/set-password/:token", p.SetPassword())

	// Pages that finish signing in: a password was given, the second factor may be pending.
	half := r.Group("", app.requireSession())
	half.GET("/sign-in/mfa", p.MFAForm())
	half.POST("/sign-in/mfa", p.MFA())
	half.GET("/account/mfa", p.MFASetup())
	half.POST("/account/mfa", p.MFAConfirm())
	half.POST("/sign-out", p.SignOut())

	// Pages for the fully signed in.
	in := r.Group("", app.requireActor())
	in.GET("/account", p.Account())
	in.GET("/account/password", p.PasswordForm())
	in.POST("/account/password", p.Password())
	in.POST("/account/mfa/recovery-codes", p.RecoveryCodes())
	in.GET("/account/tokens", p.Tokens())
	in.POST("/account/tokens", p.TokenCreate())
	in.POST("/account/tokens/:id/revoke", p.TokenRevoke())
	in.GET("/account/sessions", p.Sessions())
	in.POST("/account/sessions/:ref/revoke", p.SessionRevoke())
	in.POST("/account/sessions/sign-out-everywhere", p.SignOutEverywhere())

	in.GET("/users", p.Users())
	in.GET("/users/new", p.UserNewForm())
	in.POST("/users/new", p.UserCreate())
	in.GET("/users/:id", p.User())
	in.GET("/users/:id/edit", p.UserEditForm())
	in.POST("/users/:id/edit", p.UserUpdate())
	in.POST("/users/:id/disable", p.Confirm("disable-user"), p.UserDisable())
	in.POST("/users/:id/enable", p.UserEnable())
	in.POST("/users/:id/reset-mfa", p.UserResetMFA())
	in.POST("/users/:id/set-password-link", p.UserPasswordLink())

	// Lists that change rarely answer a repeat request with 304 (conditional.go): each names
	// who may see it and the families of data it shows.
	organisations := app.conditional(s.Organisations.MayRead, core.Organisations)
	in.GET("/organisations", organisations, p.Organisations())
	in.GET("/organisations/new", p.OrganisationNewForm())
	in.POST("/organisations/new", p.OrganisationCreate())
	in.GET("/organisations/:id/edit", p.OrganisationEditForm())
	in.POST("/organisations/:id/edit", p.OrganisationUpdate())
	in.POST("/organisations/:id/deactivate", p.OrganisationDeactivate())
	in.POST("/organisations/:id/reactivate", p.OrganisationReactivate())

	in.GET("/audit", p.Audit())
	in.GET("/audit/export.csv", handleAuditExport(s.Audit))

	// The JSON API: a bearer token or a browser session (with X-CSRF-Token on changes).
	r.GET("/api/v1/openapi.json", handleOpenAPI(app.openAPI))
	v1 := r.Group("/api/v1", app.requireActor(), tokenScope())
	v1.GET("/me", handleMe())
	v1.GET("/organisations", organisations, handleOrganisationList(s.Organisations))
	v1.POST("/organisations", withBody(http.StatusCreated, s.Organisations.Create))
	v1.GET("/organisations/:id", byID(http.StatusOK, s.Organisations.Get))
	v1.PATCH("/organisations/:id", byIDWith(http.StatusOK, organisationUpdate(s.Organisations)))
	v1.GET("/users", listPage(userFilter, s.Users.List))
	v1.POST("/users", withBody(http.StatusCreated, userCreate(s.Users)))
	v1.GET("/users/:id", byID(http.StatusOK, s.Users.Get))
	v1.PATCH("/users/:id", byIDWith(http.StatusOK, userUpdate(s.Users)))
	v1.PUT("/users/:id/roles", byIDWith(http.StatusOK, userRoles(s.Users)))
	v1.POST("/users/:id/disable", byID(http.StatusOK, setDisabled(s.Users, true)))
	v1.POST("/users/:id/enable", byID(http.StatusOK, setDisabled(s.Users, false)))
	v1.POST("/users/:id/reset-mfa", byID(http.StatusOK, s.Users.ResetMFA))
	v1.POST("/users/:id/set-password-link", handleUserSetPasswordLink(s.Users))
	v1.GET("/tokens", forActor(tokenList(s.Tokens)))
	v1.POST("/tokens", withBody(http.StatusCreated, tokenCreate(s.Tokens)))
	v1.DELETE("/tokens/:id", byID(http.StatusNoContent, tokenRevoke(s.Tokens)))
	v1.GET("/audit", handleAuditList(s.Audit))
	v1.GET("/audit/export", handleAuditExport(s.Audit))
	v1.POST("/audit/verify", handleAuditVerify(s.Audit))
	v1.GET("/audit/events/:id/proof", handleAuditProof(s.Audit))
	v1.GET("/audit/consistency", handleAuditConsistency(s.Audit))
	v1.GET("/audit/checkpoints/:number", handleAuditCheckpoint(s.Audit))

	addGuidanceRoutes(r, in, v1, app)
	addTrainingRoutes(r, in, v1, app)
	addCaseRoutes(r, in, v1, app)
	addDisclosureRoutes(in, v1, app)

	// Operations (issue 12): the national operations database. Every route on one operation
	// answers 404 to anyone who may not see it (administrators and analysts included).
	ops := s.Operations
	in.GET("/operations", p.Operations())
	in.GET("/operations/new", p.OperationNewForm())
	in.POST("/operations/new", p.OperationCreate())
	in.GET("/operations/:id", p.Operation())
	in.GET("/operations/:id/edit", p.OperationEditForm())
	in.POST("/operations/:id/edit", p.OperationUpdate())
	in.POST("/operations/:id/members", p.OperationMemberAdd())
	in.POST("/operations/:id/members/:member/remove", p.OperationMemberRemove())
	in.POST("/operations/:id/cases", p.OperationCaseLink())
	in.POST("/operations/:id/cases/:case/unlink", p.OperationCaseUnlink())
	in.GET("/operations/:id/victims/new", p.VictimNewForm())
	in.POST("/operations/:id/victims/new", p.VictimCreate())
	in.GET("/operations/:id/victims/:victim", p.VictimEditForm())
	in.POST("/operations/:id/victims/:victim", p.VictimUpdate())
	in.GET("/operations/:id/suspects/new", p.SuspectNewForm())
	in.POST("/operations/:id/suspects/new", p.SuspectCreate())
	in.GET("/operations/:id/suspects/:suspect", p.SuspectEditForm())
	in.POST("/operations/:id/suspects/:suspect", p.SuspectUpdate())
	in.GET("/operations/:id/suspects/:suspect/charges/new", p.ChargeNewForm())
	in.POST("/operations/:id/suspects/:suspect/charges/new", p.ChargeCreate())
	in.GET("/operations/:id/suspects/:suspect/charges/:charge", p.ChargeEditForm())
	in.POST("/operations/:id/suspects/:suspect/charges/:charge", p.ChargeUpdate())
	// A case file's operation and charge outcomes: case routes, whose refusals are audited as
	// every case route's are.
	caseIn, caseV1 := in.Group("", auditRefusals(s.CaseFiles, app.Log)), v1.Group("", auditRefusals(s.CaseFiles, app.Log))
	caseIn.POST("/casefiles/:id/charges/:charge/outcome", p.CaseChargeOutcome())
	v1.GET("/operations", listPage(operationFilter, ops.List))
	v1.POST("/operations", withBody(http.StatusCreated, fromBody[operationRequest](ops.Create)))
	v1.GET("/operations/partners", forActor(partnerChoices(ops)))
	v1.GET("/operations/:id", byID(http.StatusOK, ops.Get))
	v1.PUT("/operations/:id", byIDWith(http.StatusOK, fromBodyOnID[operationRequest](ops.Update)))
	v1.POST("/operations/:id/members", byIDWith(http.StatusCreated, operationMemberAdd(ops)))
	v1.DELETE("/operations/:id/members/:member", byIDs("member", http.StatusNoContent, operationMemberRemove(ops)))
	v1.POST("/operations/:id/cases", byIDWith(http.StatusCreated, caseLink(ops)))
	v1.DELETE("/operations/:id/cases/:case", byIDs("case", http.StatusNoContent, caseUnlink(ops)))
	v1.GET("/operations/:id/victims", listPage(pathIDFilter, ops.Victims))
	v1.POST("/operations/:id/victims", byIDWith(http.StatusCreated, fromBodyOnID[victimRequest](ops.AddVictim)))
	v1.GET("/operations/:id/victims/:victim", byIDs("victim", http.StatusOK, ops.Victim))
	v1.PUT("/operations/:id/victims/:victim", byIDsWith("victim", http.StatusOK, fromBodyOnPart[victimRequest](ops.UpdateVictim)))
	v1.PUT("/operations/:id/victims/:victim/case", byIDsWith("victim", http.StatusOK, personCase(ops, operations.KindVictim)))
	v1.GET("/operations/:id/suspects", listPage(pathIDFilter, ops.Suspects))
	v1.POST("/operations/:id/suspects", byIDWith(http.StatusCreated, fromBodyOnID[suspectRequest](ops.AddSuspect)))
	v1.GET("/operations/:id/suspects/:suspect", byIDs("suspect", http.StatusOK, ops.Suspect))
	v1.PUT("/operations/:id/suspects/:suspect", byIDsWith("suspect", http.StatusOK, fromBodyOnPart[suspectRequest](ops.UpdateSuspect)))
	v1.PUT("/operations/:id/suspects/:suspect/case", byIDsWith("suspect", http.StatusOK, personCase(ops, operations.KindSuspect)))
	v1.POST("/operations/:id/suspects/:suspect/charges", byIDsWith("suspect", http.StatusCreated, fromBodyOnPart[chargeRequest](ops.AddCharge)))
	v1.PUT("/operations/:id/suspects/:suspect/charges/:charge", handleChargeUpdate(ops))
	caseV1.GET("/casefiles/:id/operation", byID(http.StatusOK, caseOperation(ops)))
	caseV1.POST("/casefiles/:id/charges/:charge/outcome", byIDsWith("charge", http.StatusOK, outcomeRecord(ops)))

	addJobRoutes(in, v1, app)
	addOIDCRoutes(r, in, v1, app)

	// Operations import (issue 12): a spreadsheet of operations, victims, suspects and charges,
	// checked (a dry run) or imported whole; its templates. Files within the document upload limit.
	importUpload := []gin.HandlerFunc{app.uploads, bodyLimit(app.Cfg.MaxAttachmentBytes + uploadSlack)}
	in.GET("/operations/import", p.OperationsImportForm())
	in.POST("/operations/import", append(importUpload, p.OperationsImport())...)
	in.GET("/operations/import/:file", HandleOperationsImportFile(s.OperationsImport))
	v1.POST("/operations/import", append(importUpload, handleOperationsImport(s.OperationsImport, app.Cfg.MaxAttachmentBytes))...)
	v1.GET("/operations/import/template.xlsx", HandleOperationsImportTemplate(s.OperationsImport))

	// National picture (issue 12): analysts' counts with disclosure control, its downloads and
	// the monthly reports. Pages and API share the download handlers.
	st := s.Statistics
	figures := app.conditional(st.MaySee, core.Operations, core.Courses, core.Guidance, core.Organisations, core.People)
	in.GET("/statistics", figures, p.Statistics())
	in.GET("/statistics/definitions", p.StatisticsDefinitions())
	in.GET("/statistics/download.xlsx", HandleStatisticsXLSX(st))
	in.GET("/statistics/tables/:table/download.csv", HandleStatisticsCSV(st))
	in.GET("/statistics/reports", p.StatisticsReports())
	in.POST("/statistics/reports", p.StatisticsReportCreate())
	in.GET("/statistics/reports/:id/download", HandleStatisticsReport(st))
	v1.GET("/statistics", figures, handleStatistics(st))
	v1.GET("/statistics/download.xlsx", HandleStatisticsXLSX(st))
	v1.GET("/statistics/tables/:table/download.csv", HandleStatisticsCSV(st))
	v1.GET("/statistics/reports", handleStatisticsReports(st))
	v1.POST("/statistics/reports", handleStatisticsReportCreate(st))
	v1.GET("/statistics/reports/:id/download", HandleStatisticsReport(st))

	e.NoRoute(app.authenticate(), notFound(p.NotFound()))
	e.NoMethod(func(c *gin.Context) {
		// A page reloaded or gone back to after a failed form post asks for the action's
		// address with GET: lead the person to the page the action belongs to instead.
		if m := c.Request.Method; (m == http.MethodGet || m == http.MethodHead) && !strings.HasPrefix(c.Request.URL.Path, "/api/") {
			if to := pageOf(e.Routes(), c.Request.URL.Path); to != "" {
				c.Redirect(http.StatusSeeOther, to)
				return
			}
		}
		app.renderStatus(c, http.StatusMethodNotAllowed, "method_not_allowed", "This address does not accept that method.")
	})
}

// pageOf is the nearest address above path (path without its last segments) that a page
// answers with GET: where an action's form lives. "" when there is none.
func pageOf(routes gin.RoutesInfo, path string) string {
	for p := strings.TrimRight(path, "/"); strings.Contains(p, "/"); {
		p = p[:strings.LastIndex(p, "/")]
		at := p
		if at == "" {
			at = "/"
		}
		for _, r := range routes {
			if r.Method == http.MethodGet && routeMatches(r.Path, at) {
				return at
			}
		}
	}
	return ""
}

// routeMatches reports whether a gin route pattern (with :param segments) matches path.
func routeMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) || strings.Contains(pattern, "*") {
		return false
	}
	for i := range ps {
		if ps[i] != xs[i] && !(strings.HasPrefix(ps[i], ":") && xs[i] != "") {
			return false
		}
	}
	return true
}

// addOIDCRoutes lists the routes of single sign-on: signing in through an organisation's
// OpenID provider (pages anyone may open, in r), its settings page for administrators (in) and
// the same settings in the API (v1).
func addOIDCRoutes(r, in, v1 *gin.RouterGroup, app *App) {
	p, o := app.Pages, app.Services.OIDC

	r.GET("/sign-in/oidc", p.OIDCChoose())
	r.GET("/sign-in/oidc/callback", p.OIDCCallback())
	r.GET("/sign-in/oidc/:org", p.OIDCStart())

	in.GET("/organisations/:id/single-sign-on", p.OIDCSettingsForm())
	in.POST("/organisations/:id/single-sign-on", p.OIDCSettings())

	v1.GET("/organisations/:id/oidc", byID(http.StatusOK, o.Settings))
	v1.PUT("/organisations/:id/oidc", byIDWith(http.StatusOK, o.Save))
}

// addGuidanceRoutes lists the routes of the guidance library: pages in in, API in v1.
func addGuidanceRoutes(r, in, v1 *gin.RouterGroup, app *App) {
	p, g := app.Pages, app.Services.Guidance
	upload := []gin.HandlerFunc{app.uploads, bodyLimit(app.Cfg.MaxAttachmentBytes + uploadSlack)}

	// Anyone signed in reads the library; what they see follows from who they are.
	library := app.conditional(nil, core.Guidance, core.Organisations)
	in.GET("/guidance", library, p.GuidanceHome())
	in.GET("/guidance/search", p.GuidanceSearch())
	in.GET("/guidance/new", p.GuidanceNewForm())
	in.POST("/guidance/new", p.GuidanceCreate())
	in.GET("/guidance/manage", p.GuidanceDashboard())
	in.GET("/guidance/documents/:id", p.GuidanceDocument())
	in.GET("/guidance/documents/:id/history", p.GuidanceHistory())
	in.GET("/guidance/documents/:id/diff", p.GuidanceDiff())
	in.POST("/guidance/documents/:id/acknowledge", p.GuidanceAcknowledge())
	in.POST("/guidance/documents/:id/versions", p.GuidanceStartVersion())
	in.POST("/guidance/documents/:id/review", p.GuidanceReview())
	in.GET("/guidance/versions/:id", p.GuidanceVersion())
	in.GET("/guidance/versions/:id/edit", p.GuidanceEditForm())
	in.POST("/guidance/versions/:id/edit", p.GuidanceUpdate())
	in.POST("/guidance/versions/:id/attachments", append(upload, p.GuidanceAttach())...)
	in.POST("/guidance/versions/:id/submit", p.GuidanceSubmit())
	in.POST("/guidance/versions/:id/publish", p.GuidancePublish())
	in.POST("/guidance/versions/:id/return", p.GuidanceReturn())
	in.GET("/guidance/attachments/:id", handleGuidanceAttachment(g))
	in.POST("/guidance/attachments/:id/remove", p.GuidanceRemoveAttachment())
	in.GET("/guidance/acknowledgements", p.GuidanceAcknowledgements())
	in.GET("/guidance/acknowledgements/export.csv", handleGuidanceAcknowledgementsExport(g))
	in.GET("/guidance/acknowledgements/:id", p.GuidanceAcknowledgementsOf())

	v1.GET("/guidance/documents", library, listPage(GuidanceFilter, g.List))
	v1.POST("/guidance/documents", withBody(http.StatusCreated, g.Create))
	v1.GET("/guidance/documents/:id", byID(http.StatusOK, g.Document))
	v1.GET("/guidance/documents/:id/versions", byID(http.StatusOK, g.History))
	v1.POST("/guidance/documents/:id/versions", byID(http.StatusCreated, g.StartVersion))
	v1.GET("/guidance/documents/:id/diff", handleGuidanceDiff(g))
	v1.POST("/guidance/documents/:id/acknowledge", byID(http.StatusOK, g.Acknowledge))
	v1.POST("/guidance/documents/:id/review", handleGuidanceReview(g))
	v1.GET("/guidance/versions/:id", byID(http.StatusOK, g.Version))
	v1.PATCH("/guidance/versions/:id", byIDWith(http.StatusOK, g.UpdateDraft))
	v1.POST("/guidance/versions/:id/submit", byID(http.StatusOK, g.Submit))
	v1.POST("/guidance/versions/:id/publish", byID(http.StatusOK, g.Publish))
	v1.POST("/guidance/versions/:id/return", byIDWith(http.StatusOK, guidanceReturn(g)))
	v1.POST("/guidance/versions/:id/attachments", append(upload, handleGuidanceAttach(g, app.Cfg.MaxAttachmentBytes))...)
	v1.GET("/guidance/attachments/:id", handleGuidanceAttachment(g))
	v1.DELETE("/guidance/attachments/:id", byID(http.StatusNoContent, g.RemoveAttachment))
	v1.GET("/guidance/search", handleGuidanceSearch(g))
	v1.GET("/guidance/categories", forActor(guidanceCategories(g)))
	v1.GET("/guidance/outstanding", forActor(guidanceOutstanding(g)))
	v1.GET("/guidance/dashboard", forActor(g.Dashboard))
	v1.GET("/guidance/acknowledgements", forActor(g.AcknowledgementReport))
	v1.GET("/guidance/acknowledgements/export", handleGuidanceAcknowledgementsExport(g))
	v1.GET("/guidance/acknowledgements/:id", byID(http.StatusOK, acknowledgementsOf(g)))
}

// addTrainingRoutes lists the routes of training: pages in in, API in v1.
func addTrainingRoutes(r, in, v1 *gin.RouterGroup, app *App) {
	p, t, n := app.Pages, app.Services.Training, app.Services.Notifications
	upload := []gin.HandlerFunc{app.uploads, bodyLimit(app.Cfg.MaxMaterialBytes + uploadSlack)}
	bulk := []gin.HandlerFunc{app.uploads, bodyLimit(training.MaxBulkBytes + uploadSlack)}

	// Anyone may check a certificate's code, and a calendar program reads a feed by its secret
	// address alone.
	r.GET("/certificates/verify", p.VerifyForm())
	r.GET("/certificates/verify/:code", p.Verify())
	r.GET("/calendar/:token", handleCalendar(t))

	catalogue := app.conditional(t.MayReadCatalogue, core.Courses, core.Organisations)
	in.GET("/courses", catalogue, p.Courses())
	in.GET("/courses/new", p.CourseNewForm())
	in.POST("/courses/new", p.CourseCreate())
	in.GET("/courses/:id", p.Course())
	in.GET("/courses/:id/edit", p.CourseEditForm())
	in.POST("/courses/:id/edit", p.CourseUpdate())
	in.POST("/courses/:id/publish", p.CoursePublish())
	in.POST("/courses/:id/trainers", p.CourseTrainerAdd())
	in.GET("/courses/:id/materials", p.CourseMaterials())
	in.POST("/courses/:id/materials", append(upload, p.MaterialUpload())...)
	in.POST("/courses/:id/materials/:material/versions/:version/publish", p.MaterialPublish())
	in.GET("/courses/:id/materials/:material/download", p.MaterialDownload())
	in.GET("/courses/:id/sessions/new", p.SessionNewForm())
	in.POST("/courses/:id/sessions/new", p.SessionCreate())
	in.GET("/teaching", p.Teaching())

	in.GET("/sessions/:id", p.Session())
	in.GET("/sessions/:id/edit", p.SessionEditForm())
	in.POST("/sessions/:id/edit", p.SessionUpdate())
	in.GET("/sessions/:id/cancel", p.SessionCancelForm())
	in.POST("/sessions/:id/cancel", p.SessionCancel())
	in.POST("/sessions/:id/request", p.SessionRequest())
	in.GET("/sessions/:id/learners", p.SessionLearners())
	in.GET("/sessions/:id/register", p.Register())
	in.POST("/sessions/:id/register", p.RegisterMark())
	in.POST("/sessions/:id/complete", p.Confirm("complete"), p.SessionComplete())
	in.GET("/sessions/:id/bulk", p.BulkForm())
	in.POST("/sessions/:id/bulk", append(bulk, p.BulkUpload())...)

	in.POST("/enrolments/:id/withdraw", p.Confirm("withdraw"), p.EnrolmentWithdraw())
	in.POST("/enrolments/:id/approve", p.EnrolmentApprove())
	in.GET("/enrolments/:id/decline", p.EnrolmentDeclineForm())
	in.POST("/enrolments/:id/decline", p.EnrolmentDecline())
	in.GET("/enrolments/:id/cancel", p.EnrolmentCancelForm())
	in.POST("/enrolments/:id/cancel", p.EnrolmentCancel())
	in.GET("/approvals", p.Approvals())

	in.GET("/my-training", p.MyTraining())
	in.POST("/my-training/calendar", p.CalendarRotate())
	in.GET("/staff-training", p.StaffTraining())
	in.GET("/staff-training/export.csv", HandleStaffExport(t))
	in.GET("/staff-training/:id", p.StaffRecord())
	in.GET("/certificates/:id", p.Certificate())
	in.GET("/certificates/:id/certificate.pdf", HandleCertificatePDF(t))
	in.GET("/notifications", p.Notifications())
	in.POST("/notifications/read-all", p.NotificationsReadAll())
	in.POST("/notifications/:id/read", p.NotificationOpen())

	v1.GET("/courses", catalogue, listPage(courseFilter, t.ListCourses))
	v1.POST("/courses", withBody(http.StatusCreated, t.CreateCourse))
	v1.GET("/courses/:id", byID(http.StatusOK, t.GetCourse))
	v1.PATCH("/courses/:id", byIDWith(http.StatusOK, t.UpdateCourse))
	v1.POST("/courses/:id/publish", byID(http.StatusOK, t.PublishCourse))
	v1.POST("/courses/:id/trainers", byIDWith(http.StatusOK, courseTrainerAdd(t)))
	v1.GET("/courses/:id/sessions", byID(http.StatusOK, listOf("sessions", t.ListSessions)))
	v1.POST("/courses/:id/sessions", byIDWith(http.StatusCreated, t.CreateSession))
	v1.GET("/courses/:id/materials", byID(http.StatusOK, listOf("materials", t.Materials)))
	v1.POST("/courses/:id/materials", append(upload, handleMaterialUpload(t, app.Cfg.MaxMaterialBytes))...)
	v1.POST("/courses/:id/materials/:material/versions/:version/publish", materialPublish(t))
	v1.GET("/courses/:id/materials/:material/download", HandleMaterialDownload(t))
	v1.GET("/sessions/:id", byID(http.StatusOK, t.GetSession))
	v1.PATCH("/sessions/:id", byIDWith(http.StatusOK, t.UpdateSession))
	v1.POST("/sessions/:id/cancel", byIDWith(http.StatusOK, withReason(t.CancelSession)))
	v1.GET("/sessions/:id/enrolments", byID(http.StatusOK, t.Learners))
	v1.POST("/sessions/:id/enrolments", byID(http.StatusCreated, t.Request))
	v1.POST("/sessions/:id/enrolments/bulk", append(bulk, handleBulkEnrol(t))...)
	v1.GET("/sessions/:id/register", byID(http.StatusOK, t.GetRegister))
	v1.PUT("/sessions/:id/register", byIDWith(http.StatusOK, registerMark(t)))
	v1.POST("/sessions/:id/complete", byID(http.StatusOK, t.Complete))
	v1.GET("/enrolments", handleEnrolmentList(t))
	v1.GET("/enrolments/:id", byID(http.StatusOK, t.GetEnrolment))
	v1.POST("/enrolments/:id/withdraw", byID(http.StatusOK, t.Withdraw))
	v1.POST("/enrolments/:id/approve", byID(http.StatusOK, t.Approve))
	v1.POST("/enrolments/:id/decline", byIDWith(http.StatusOK, withReason(t.Decline)))
	v1.POST("/enrolments/:id/cancel", byIDWith(http.StatusOK, withReason(t.Cancel)))
	v1.GET("/certificates", handleCertificateList(t))
	v1.GET("/certificates/due", forActor(certificatesDue(t)))
	v1.GET("/certificates/:id", byID(http.StatusOK, t.GetCertificate))
	v1.GET("/certificates/:id/pdf", HandleCertificatePDF(t))
	v1.GET("/notifications", handleNotificationList(n))
	v1.POST("/notifications/:id/read", byID(http.StatusOK, n.MarkRead))
}

// addCaseRoutes lists the routes of case files and CPS evidence packs: pages in in, API in v1.
// Every case route answers 404 to anyone who may not see the case, whatever they ask.
func addCaseRoutes(r, in, v1 *gin.RouterGroup, app *App) {
	p, cs := app.Pages, app.Services.CaseFiles
	in, v1 = in.Group("", auditRefusals(cs, app.Log)), v1.Group("", auditRefusals(cs, app.Log))
	upload := []gin.HandlerFunc{app.uploads, bodyLimit(app.Cfg.MaxEvidenceBytes + uploadSlack)}

	in.GET("/casefiles", p.Cases())
	in.GET("/casefiles/new", p.CaseNewForm())
	in.POST("/casefiles/new", p.CaseCreate())
	in.GET("/casefiles/review", p.CaseSupervisorQueue())
	in.GET("/casefiles/cps", p.CaseCPSQueue())
	tpl := app.Services.Templates
	templates := app.conditional(tpl.MayRead, core.Templates)
	in.GET("/casefiles/templates", templates, p.CaseTemplates())
	in.GET("/casefiles/templates/:code", p.CaseTemplate())
	in.GET("/casefiles/templates/:code/new-version", p.CaseTemplateForm())
	in.POST("/casefiles/templates/:code/new-version", p.CaseTemplateSave())
	in.GET("/casefiles/:id", p.Case())
	in.GET("/casefiles/:id/edit", p.CaseEditForm())
	in.POST("/casefiles/:id/edit", p.CaseUpdate())
	in.GET("/casefiles/:id/items/:item", p.CaseItem())
	in.POST("/casefiles/:id/items/:item", p.CaseItemUpdate())
	in.POST("/casefiles/:id/items/:item/review", p.CaseItemReview())
	in.GET("/casefiles/:id/evidence", p.CaseEvidence())
	in.GET("/casefiles/:id/evidence/new", p.CaseEvidenceForm())
	in.POST("/casefiles/:id/evidence/new", append(upload, p.CaseEvidenceUpload())...)
	in.GET("/casefiles/:id/evidence/reference", p.CaseReferenceForm())
	in.POST("/casefiles/:id/evidence/reference", p.CaseReferenceCreate())
	in.GET("/casefiles/:id/evidence/:ev", p.CaseExhibit())
	in.GET("/casefiles/:id/evidence/:ev/download", handleEvidenceDownload(cs))
	in.GET("/casefiles/:id/disclosure", p.CaseSchedules())
	in.GET("/casefiles/:id/disclosure/new", p.CaseEntryForm())
	in.POST("/casefiles/:id/disclosure/new", p.CaseEntryCreate())
	in.GET("/casefiles/:id/disclosure/:entry", p.CaseEntryEditForm())
	in.POST("/casefiles/:id/disclosure/:entry", p.CaseEntryUpdate())
	in.GET("/casefiles/:id/pack", p.CasePack())
	in.GET("/casefiles/:id/submissions/:number/changes", p.CaseChanges())
	in.POST("/casefiles/:id/submit", p.CaseSubmit())
	in.POST("/casefiles/:id/approve", p.Confirm("approve-pack"), p.CaseApprove())
	in.POST("/casefiles/:id/return", p.Confirm("return-pack"), p.CaseReturn())
	in.POST("/casefiles/:id/shares", p.CaseShare())
	in.POST("/casefiles/:id/shares/:share/revoke", p.Confirm("revoke-share"), p.CaseShareRevoke())
	in.POST("/casefiles/:id/advice", p.CaseAdvice())
	in.POST("/casefiles/:id/decision", p.CaseDecision())
	in.POST("/casefiles/:id/charge", p.CaseCharge())
	in.POST("/casefiles/:id/actions", p.CaseAction())
	in.POST("/casefiles/:id/actions/:action/answer", p.CaseActionAnswer())
	in.POST("/casefiles/:id/finalise", p.CaseFinalise())
	in.POST("/casefiles/:id/close", p.CaseClose())
	in.GET("/casefiles/:id/team", p.CaseTeam())
	in.POST("/casefiles/:id/team", p.CaseMemberAdd())
	in.POST("/casefiles/:id/team/:member/remove", p.CaseMemberRemove())
	in.GET("/casefiles/:id/timeline", p.CaseTimeline())
	in.GET("/casefiles/:id/export.zip", handleCaseExport(cs.Export))
	in.GET("/casefiles/:id/mg6d.zip", handleCaseExport(cs.ExportMG6D))

	v1.GET("/casefiles", listPage(caseFilter, cs.List))
	v1.POST("/casefiles", withBody(http.StatusCreated, cs.Create))
	v1.GET("/casefiles/supervisors", forActor(people(cs.Supervisors)))
	v1.GET("/casefiles/liaisons", forActor(people(cs.Liaisons)))
	v1.GET("/casefiles/templates", templates, forActor(templateList(tpl)))
	v1.GET("/casefiles/templates/:code", handleTemplateVersions(tpl))
	v1.POST("/casefiles/templates/:code", handleTemplateVersionCreate(tpl))
	v1.GET("/casefiles/:id", byID(http.StatusOK, cs.Get))
	v1.PATCH("/casefiles/:id", byIDWith(http.StatusOK, cs.Update))
	v1.GET("/casefiles/:id/items", byID(http.StatusOK, listOf("items", nonNil(cs.Checklist))))
	v1.GET("/casefiles/:id/items/:item", byIDs("item", http.StatusOK, cs.Item))
	v1.PATCH("/casefiles/:id/items/:item", byIDsWith("item", http.StatusOK, itemUpdate(cs)))
	v1.POST("/casefiles/:id/items/:item/review", byIDsWith("item", http.StatusOK, itemReview(cs)))
	v1.GET("/casefiles/:id/evidence", listPage(pathIDFilter, cs.Evidence))
	v1.POST("/casefiles/:id/evidence", append(upload, handleEvidenceUpload(cs, app.Cfg.MaxEvidenceBytes))...)
	v1.POST("/casefiles/:id/evidence/references", byIDWith(http.StatusCreated, evidenceReference(cs)))
	v1.GET("/casefiles/:id/evidence/:ev", byIDs("ev", http.StatusOK, evidenceView(cs)))
	v1.GET("/casefiles/:id/evidence/:ev/content", handleEvidenceDownload(cs))
	v1.GET("/casefiles/:id/schedules", byID(http.StatusOK, listOf("entries", nonNil(cs.ScheduleEntries))))
	v1.POST("/casefiles/:id/schedules", byIDWith(http.StatusCreated, cs.AddScheduleEntry))
	v1.PATCH("/casefiles/:id/schedules/:entry", byIDsWith("entry", http.StatusOK, cs.UpdateScheduleEntry))
	v1.GET("/casefiles/:id/team", byID(http.StatusOK, listOf("members", nonNil(cs.Team))))
	v1.POST("/casefiles/:id/team", byIDWith(http.StatusCreated, cs.AddMember))
	v1.DELETE("/casefiles/:id/team/:member", byIDs("member", http.StatusNoContent, memberRemove(cs)))
	v1.GET("/casefiles/:id/timeline", listPage(pathIDFilter, cs.Timeline))
	v1.GET("/casefiles/:id/submissions", byID(http.StatusOK, listOf("submissions", nonNil(cs.Submissions))))
	v1.POST("/casefiles/:id/submissions", byIDWith(http.StatusCreated, packSubmit(cs)))
	v1.GET("/casefiles/:id/submissions/:number", handleSubmissionSnapshot(cs))
	v1.GET("/casefiles/:id/submissions/:number/changes", handleSubmissionChanges(cs))
	v1.POST("/casefiles/:id/approve", byID(http.StatusOK, cs.Approve))
	v1.POST("/casefiles/:id/return", byIDWith(http.StatusOK, packReturn(cs)))
	v1.GET("/casefiles/:id/shares", byID(http.StatusOK, listOf("shares", nonNil(cs.Shares))))
	v1.POST("/casefiles/:id/shares", byIDWith(http.StatusCreated, packShare(cs)))
	v1.DELETE("/casefiles/:id/shares/:share", byIDs("share", http.StatusNoContent, packRevoke(cs)))
	v1.GET("/casefiles/:id/actions", listPage(pathIDFilter, cs.Actions))
	v1.POST("/casefiles/:id/advice", byIDWith(http.StatusCreated, cpsAdvice(cs)))
	v1.POST("/casefiles/:id/decision", byIDWith(http.StatusCreated, cpsDecision(cs)))
	v1.POST("/casefiles/:id/charge", byIDWith(http.StatusCreated, policeCharge(cs)))
	v1.POST("/casefiles/:id/actions", byIDWith(http.StatusCreated, cpsAction(cs)))
	v1.POST("/casefiles/:id/actions/:action/answer", byIDsWith("action", http.StatusOK, cpsAnswer(cs)))
	v1.POST("/casefiles/:id/finalise", byIDWith(http.StatusOK, cpsFinalise(cs)))
	v1.POST("/casefiles/:id/close", byID(http.StatusOK, caseClose(cs)))
	v1.GET("/casefiles/:id/export", handleCaseExport(cs.Export))
	v1.GET("/casefiles/:id/export/mg6d", handleCaseExport(cs.ExportMG6D))

	// After charge (issue 13): the stage, its steps and custody.
	after := app.Services.Court
	in.POST("/casefiles/:id/court", p.CaseCourtStep())
	in.POST("/casefiles/:id/court/custody", p.CaseCustody())
	v1.GET("/casefiles/:id/court", byID(http.StatusOK, courtView(after)))
	v1.POST("/casefiles/:id/court/steps", byIDWith(http.StatusOK, courtStep(after)))
	v1.POST("/casefiles/:id/court/custody", byIDWith(http.StatusOK, courtCustody(after)))
}

// addDisclosureRoutes lists the routes of a case's disclosure (issue 13): moving schedule
// entries, the prosecutor's columns, the revisions, the disclosure roles, certificates and
// third-party requests. Every one answers 404 to anyone who may not see the case.
func addDisclosureRoutes(in, v1 *gin.RouterGroup, app *App) {
	p, cs, ds := app.Pages, app.Services.CaseFiles, app.Services.Disclosure
	in, v1 = in.Group("", auditRefusals(cs, app.Log)), v1.Group("", auditRefusals(cs, app.Log))

	in.POST("/casefiles/:id/disclosure/roles", p.CaseDisclosureRoles())
	in.POST("/casefiles/:id/disclosure/certify", p.CaseDisclosureCertify())
	in.POST("/casefiles/:id/disclosure/requests", p.CaseThirdPartyRequest())
	in.POST("/casefiles/:id/disclosure/requests/:request/answer", p.CaseThirdPartyAnswer())
	in.POST("/casefiles/:id/disclosure/:entry/move", p.CaseEntryMove())
	in.POST("/casefiles/:id/disclosure/:entry/cps", p.CaseEntryMark())

	v1.GET("/casefiles/:id/schedules/revisions", byID(http.StatusOK, listOf("revisions", nonNil(cs.ScheduleRevisions))))
	v1.POST("/casefiles/:id/schedules/:entry/move", byIDsWith("entry", http.StatusOK, entryMove(cs)))
	v1.POST("/casefiles/:id/schedules/:entry/cps", byIDsWith("entry", http.StatusOK, cs.MarkScheduleEntry))
	v1.GET("/casefiles/:id/disclosure", byID(http.StatusOK, ds.Get))
	v1.PUT("/casefiles/:id/disclosure/roles", byIDWith(http.StatusOK, disclosureRoles(ds)))
	v1.POST("/casefiles/:id/disclosure/certificates", byIDWith(http.StatusCreated, ds.Certify))
	v1.POST("/casefiles/:id/disclosure/requests", byIDWith(http.StatusCreated, ds.AddRequest))
	v1.POST("/casefiles/:id/disclosure/requests/:request/answer", byIDsWith("request", http.StatusOK, ds.AnswerRequest))
}

// notFound answers unknown API paths with problem+json and everything else with the page.
func notFound(page gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if wantsPage(c) {
			page(c)
			return
		}
		writeError(c, core.NotFound("There is nothing at this address."))
	}
}
