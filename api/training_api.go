package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/training"
)

// The JSON API of training: courses, sessions, enrolments, material, certificates and
// notifications. Each handler decodes its input and calls one operation of models.Training.

// courseFilter is the course list's filter: ?q=, ?eligible=, ?available=, ?teaching= (true).
func courseFilter(c *gin.Context) (training.CourseFilter, error) {
	return training.CourseFilter{Query: c.Query("q"), ForMe: c.Query("eligible") == "true", Available: c.Query("available") == "true",
		Teaching: c.Query("teaching") == "true"}, nil
}

type trainerRequest struct {
	Email string `json:"email"`
}

func courseTrainerAdd(t *training.Service) func(context.Context, core.Actor, int64, trainerRequest) (training.CourseView, error) {
	return func(ctx context.Context, who core.Actor, id int64, req trainerRequest) (training.CourseView, error) {
		return t.AddTrainer(ctx, who, id, req.Email)
	}
}

// MaterialInput reads the text fields of a material upload form.
func MaterialInput(fields map[string][]string) training.MaterialInput {
	get := func(k string) string {
		if v := fields[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	mid, _ := strconv.ParseInt(get("material_id"), 10, 64)
	return training.MaterialInput{MaterialID: mid, Title: get("title"), Classification: get("classification"), Note: get("note")}
}

// ReadMaterialUpload streams a material upload form (text fields first, then the one file) into
// UploadMaterial. The pages use it too.
func ReadMaterialUpload(c *gin.Context, t *training.Service, courseID, limit int64) (training.MaterialView, training.MaterialInput, error) {
	form, err := OpenUpload(c)
	if err != nil {
		return training.MaterialView{}, training.MaterialInput{}, err
	}
	up, err := form.OnlyFile()
	in := MaterialInput(form.Fields)
	if errors.Is(err, io.EOF) {
		return training.MaterialView{}, in, core.Invalid("file", "Select a file to upload")
	}
	if err != nil {
		return training.MaterialView{}, in, err
	}
	v, err := t.UploadMaterial(c.Request.Context(), actorOf(c), courseID, in, up, limit)
	return v, in, err
}

func handleMaterialUpload(t *training.Service, limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := PathID(c, "id")
		if !ok {
			return
		}
		if _, err := t.MayUploadMaterial(c.Request.Context(), actorOf(c), id); err != nil {
			writeError(c, err)
			return
		}
		v, _, err := ReadMaterialUpload(c, t, id, limit)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusCreated, v)
	}
}

// materialPublish publishes a version of a course's material: the path names all three.
func materialPublish(t *training.Service) gin.HandlerFunc {
	return serve(http.StatusOK, []string{"id", "material", "version"}, func(ctx context.Context, who core.Actor, ids []int64, _ noBody) (training.MaterialView, error) {
		return t.PublishMaterial(ctx, who, ids[0], ids[1], int(ids[2]))
	})
}

// HandleMaterialDownload streams a material file: the current published version, or for its
// trainers the version in ?version=. The pages use it too.
func HandleMaterialDownload(t *training.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := PathID(c, "id")
		if !ok {
			return
		}
		mid, ok := PathID(c, "material")
		if !ok {
			return
		}
		version := 0
		if v := c.Query("version"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				writeError(c, core.NotFound("Material not found"))
				return
			}
			version = n
		}
		f, err := t.OpenMaterial(c.Request.Context(), actorOf(c), id, mid, version)
		if err != nil {
			writeError(c, err)
			return
		}
		SendFile(c, f, f.Name)
	}
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

// withReason takes an operation's reason from a JSON body {"reason": "…"}.
func withReason[T any](op func(ctx context.Context, who core.Actor, id int64, reason string) (T, error)) func(context.Context, core.Actor, int64, reasonRequest) (T, error) {
	return func(ctx context.Context, who core.Actor, id int64, in reasonRequest) (T, error) {
		return op(ctx, who, id, in.Reason)
	}
}

// ReadBulkUpload streams the CSV file of a bulk enrolment form into BulkEnrol. The pages use it
// too.
func ReadBulkUpload(c *gin.Context, t *training.Service, sessionID int64) (training.BulkReport, error) {
	form, err := OpenUpload(c)
	if err != nil {
		return training.BulkReport{}, err
	}
	up, err := form.OnlyFile()
	if errors.Is(err, io.EOF) {
		return training.BulkReport{}, core.Invalid("file", "Select a CSV file of email addresses")
	}
	if err != nil {
		return training.BulkReport{}, err
	}
	return t.BulkEnrol(c.Request.Context(), actorOf(c), sessionID, up.Body)
}

func handleBulkEnrol(t *training.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := PathID(c, "id")
		if !ok {
			return
		}
		if _, err := t.MayBulkEnrol(c.Request.Context(), actorOf(c), id); err != nil {
			writeError(c, err)
			return
		}
		r, err := ReadBulkUpload(c, t, id)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, r)
	}
}

type registerRequest struct {
	Day   int               `json:"day"`
	Marks map[string]string `json:"marks"` // enrolment id: attended, partial or absent
}

func registerMark(t *training.Service) func(context.Context, core.Actor, int64, registerRequest) (training.Register, error) {
	return func(ctx context.Context, who core.Actor, id int64, req registerRequest) (training.Register, error) {
		marks := map[int64]string{}
		for k, v := range req.Marks {
			eid, err := strconv.ParseInt(k, 10, 64)
			if err != nil {
				return training.Register{}, core.Invalid("marks", "marks must map enrolment ids to attended, partial or absent")
			}
			marks[eid] = v
		}
		return t.MarkAttendance(ctx, who, id, req.Day, marks)
	}
}

func handleEnrolmentList(t *training.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, who := c.Request.Context(), actorOf(c)
		var list []training.EnrolmentView
		var err error
		switch {
		case c.Query("awaiting_decision") == "true":
			limit, _ := strconv.Atoi(c.Query("limit"))
			page, err := t.Approvals(ctx, who, c.Query("after"), limit)
			if err != nil {
				writeError(c, err)
				return
			}
			c.JSON(http.StatusOK, page)
			return
		case c.Query("user_id") != "":
			uid, perr := strconv.ParseInt(c.Query("user_id"), 10, 64)
			if perr != nil || uid <= 0 {
				writeError(c, core.Invalid("user_id", "user_id must be a user's id"))
				return
			}
			var rec training.LearningRecord
			if rec, err = t.GetLearningRecord(ctx, who, uid); err == nil {
				list = append(rec.Bookings, rec.History...)
			}
		default:
			list, err = t.MyEnrolments(ctx, who)
		}
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"enrolments": list})
	}
}

func handleCertificateList(t *training.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, who := c.Request.Context(), actorOf(c)
		uid := who.UserID
		if v := c.Query("user_id"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				writeError(c, core.Invalid("user_id", "user_id must be a user's id"))
				return
			}
			uid = n
		}
		rec, err := t.GetLearningRecord(ctx, who, uid)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"certificates": rec.Certificates, "due_for_renewal": rec.Due})
	}
}

func certificatesDue(t *training.Service) func(context.Context, core.Actor) (gin.H, error) {
	return func(ctx context.Context, who core.Actor) (gin.H, error) {
		st, err := t.StaffRecords(ctx, who, "", "", 1)
		return gin.H{"due_for_renewal": st.Due, "window_days": training.RenewalWindow}, err
	}
}

// HandleCertificatePDF sends a certificate as a PDF download. The pages use it too.
func HandleCertificatePDF(t *training.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := PathID(c, "id")
		if !ok {
			return
		}
		pdf, cert, err := t.CertificatePDF(c.Request.Context(), actorOf(c), id)
		if err != nil {
			writeError(c, err)
			return
		}
		c.Header("Content-Disposition", ContentDisposition("certificate-"+cert.Number+".pdf"))
		c.Header("Content-Security-Policy", "sandbox; default-src 'none'")
		c.Header("X-Content-Type-Options", "nosniff")
		c.Header("Cache-Control", "no-store")
		c.Data(http.StatusOK, "application/pdf", pdf)
	}
}

// HandleStaffExport streams the training of the supervisor's organisation as CSV. The
// permission is checked before the first byte, which commits the 200.
func HandleStaffExport(t *training.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, who := c.Request.Context(), actorOf(c)
		if err := t.MayExportStaffRecords(ctx, who); err != nil {
			writeError(c, err)
			return
		}
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="msphub-training-`+time.Now().UTC().Format("20060102")+`.csv"`)
		c.Header("Cache-Control", "no-store")
		if err := t.ExportStaffRecords(ctx, who, c.Writer); err != nil {
			writeError(c, err)
		}
	}
}

// handleCalendar serves a calendar feed by its secret address, to calendar programs that sign
// in with nothing but that address.
func handleCalendar(t *training.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		ics, err := t.Calendar(c.Request.Context(), c.Param("token"))
		if err != nil {
			writeError(c, err)
			return
		}
		c.Header("Cache-Control", "private, no-store")
		c.Header("Content-Disposition", `inline; filename="msphub-training.ics"`)
		c.Data(http.StatusOK, "text/calendar; charset=utf-8", ics)
	}
}

func handleNotificationList(n *core.Notifications) gin.HandlerFunc {
	return func(c *gin.Context) {
		limit, _ := strconv.Atoi(c.Query("limit"))
		page, err := n.List(c.Request.Context(), actorOf(c), c.Query("after"), limit)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, page)
	}
}
