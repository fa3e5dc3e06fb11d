package training

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// MaterialLimit is the default size limit of one material file: 500 MiB.
const MaterialLimit = 500 << 20

// CourseMaterial is a document of a course (slides, a handbook), kept in versions. Learners see
// its latest published version.
type CourseMaterial struct {
	ID             int64     `json:"id"`
	CourseID       int64     `json:"course_id"`
	Title          string    `json:"title"`
	Classification string    `json:"classification"`
	CreatedBy      *int64    `json:"-"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// TableName is the material table.
func (CourseMaterial) TableName() string { return "course_materials" }

// MaterialVersion is one uploaded file of a material.
type MaterialVersion struct {
	ID          int64      `json:"-"`
	MaterialID  int64      `json:"-"`
	Version     int        `json:"version"`
	BlobID      int64      `json:"-"`
	FileName    string     `json:"file_name"`
	Note        string     `json:"note,omitempty"`
	UploadedBy  *int64     `json:"-"`
	UploadedAt  time.Time  `json:"uploaded_at"`
	PublishedBy *int64     `json:"-"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	Size        int64      `json:"size" gorm:"-"`
	ContentType string     `json:"content_type" gorm:"-"`
}

// TableName is the version table.
func (MaterialVersion) TableName() string { return "material_versions" }

// MaterialView is a material as the actor may see it: its trainers every version, a learner
// the latest published one only.
type MaterialView struct {
	CourseMaterial
	Current  *MaterialVersion  `json:"current,omitempty"` // the latest published version
	Versions []MaterialVersion `json:"versions"`          // newest first
}

// MaterialInput describes an upload: a new material (MaterialID 0, with a title and
// classification) or a new version of one.
type MaterialInput struct {
	MaterialID     int64  `json:"material_id"`
	Title          string `json:"title"`
	Classification string `json:"classification"`
	Note           string `json:"note"`
}

// materialObject is the material as the policy sees it: its classification, taught by the
// actor, or on a course where the actor holds a place.
func materialObject(c Course, courseObj policies.Object, m CourseMaterial) policies.Object {
	return policies.Object{Type: "material", Org: courseObj.Org, Classification: trainingLevel(m.Classification),
		Rel: courseObj.Rel & (policies.RelTrainer | policies.RelEnrolled)}
}

// Materials lists the material of a course the actor may see: for its trainers every
// material and version their clearance covers; for a learner with a place, the latest
// published version of each material their clearance covers; for anyone else nothing.
// Errors: ENOTFOUND (the course).
func (t *Service) Materials(ctx context.Context, who core.Actor, courseID int64) ([]MaterialView, error) {
	c, cobj, err := t.loadCourse(ctx, who, courseID)
	if err != nil {
		return nil, err
	}
	var ms []CourseMaterial
	db := t.d.DB.Conn(ctx)
	if err := db.Where("course_id = ?", c.ID).Order("title, id").Find(&ms).Error; err != nil {
		return nil, core.DBError(err)
	}
	out := []MaterialView{}
	if len(ms) == 0 {
		return out, nil
	}
	ids := core.IDsOf(ms, func(m CourseMaterial) int64 { return m.ID })
	var vs []MaterialVersion
	if err := db.Where("material_id IN ?", ids).Order("material_id, version DESC").Find(&vs).Error; err != nil {
		return nil, core.DBError(err)
	}
	if err := t.sizeVersions(ctx, vs); err != nil {
		return nil, err
	}
	for _, m := range ms {
		obj := materialObject(c, cobj, m)
		drafts := t.d.Authz.Can(ctx, who.Subject(), policies.ActReadDraft, obj) == nil
		if !drafts && t.d.Authz.Can(ctx, who.Subject(), policies.ActRead, obj) != nil {
			continue
		}
		v := MaterialView{CourseMaterial: m, Versions: []MaterialVersion{}}
		for _, mv := range vs {
			if mv.MaterialID != m.ID {
				continue
			}
			if mv.PublishedAt != nil && v.Current == nil {
				cur := mv
				v.Current = &cur
			}
			if drafts {
				v.Versions = append(v.Versions, mv)
			}
		}
		if !drafts {
			if v.Current == nil {
				continue // nothing published yet
			}
			v.Versions = []MaterialVersion{*v.Current}
		}
		out = append(out, v)
	}
	return out, nil
}

func (t *Service) sizeVersions(ctx context.Context, vs []MaterialVersion) error {
	if len(vs) == 0 {
		return nil
	}
	ids := core.IDsOf(vs, func(v MaterialVersion) int64 { return v.BlobID })
	var blobs []core.Blob
	if err := t.d.DB.Conn(ctx).Select("id, size, content_type").Where("id IN ?", ids).Find(&blobs).Error; err != nil {
		return core.DBError(err)
	}
	for i := range vs {
		for _, b := range blobs {
			if b.ID == vs[i].BlobID {
				vs[i].Size, vs[i].ContentType = b.Size, b.ContentType
			}
		}
	}
	return nil
}

// materialForUpload checks the actor may upload in to the course, returning the material a new
// version is for (ID 0 for a new material).
func (t *Service) materialForUpload(ctx context.Context, who core.Actor, courseID int64, in *MaterialInput) (Course, CourseMaterial, error) {
	c, cobj, err := t.loadCourse(ctx, who, courseID)
	if err != nil {
		return c, CourseMaterial{}, err
	}
	in.Title, in.Note = strings.TrimSpace(in.Title), strings.TrimSpace(in.Note)
	in.Classification = strings.ToUpper(strings.TrimSpace(in.Classification))
	m := CourseMaterial{CourseID: c.ID, Title: in.Title, Classification: in.Classification}
	if in.MaterialID != 0 {
		err := t.d.DB.Conn(ctx).Take(&m, "id = ? AND course_id = ?", in.MaterialID, c.ID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return c, m, core.NotFound("Material not found")
		}
		if err != nil {
			return c, m, core.DBError(err)
		}
	} else if m.Classification == "" {
		m.Classification = c.Classification
	}
	// Every problem at once.
	var problems core.Problems
	if in.MaterialID == 0 {
		switch {
		case m.Title == "":
			problems.Add("title", "Enter a title for the material")
		case len(m.Title) > 200:
			problems.Add("title", "Title must be 200 characters or fewer")
		}
		switch {
		case !slices.Contains(CourseClassifications(), m.Classification):
			problems.Add("classification", "Select the classification of the material")
		case trainingLevel(m.Classification) < c.level():
			problems.Add("classification", "Material cannot be marked lower than its course: "+c.Classification)
		}
	}
	if len(in.Note) > 500 {
		problems.Add("note", "The note must be 500 characters or fewer")
	}
	if err := problems.Err(); err != nil {
		return c, m, err
	}
	obj := materialObject(c, cobj, m)
	msg := "Only the trainers of this course can upload its material."
	if obj.Has(policies.RelTrainer) {
		msg = "Your clearance does not cover material marked " + m.Classification + "."
	}
	return c, m, core.Can(ctx, t.d.Authz, who, policies.ActUpload, obj, msg)
}

// MayUploadMaterial says whether the actor may upload material to the course (what the page
// offers). Errors: ENOTFOUND, EFORBIDDEN.
func (t *Service) MayUploadMaterial(ctx context.Context, who core.Actor, courseID int64) (CourseView, error) {
	c, cobj, err := t.loadCourse(ctx, who, courseID)
	if err != nil {
		return CourseView{}, err
	}
	if err := core.Can(ctx, t.d.Authz, who, policies.ActUpload, materialObject(c, cobj, CourseMaterial{Classification: c.Classification}),
		"Only the trainers of this course can upload its material."); err != nil {
		return CourseView{}, err
	}
	return t.courseView(ctx, who, c, cobj)
}

// UploadMaterial stores a file as a new material of the course, or as the next version of one
// of its materials, unpublished. The file streams to the blob store before anything is
// recorded (no transaction is held during the upload), and is removed again if recording
// fails. Its trainers may. Errors: ENOTFOUND, EFORBIDDEN, EINVALID, ETOOLARGE, EUNAVAILABLE.
func (t *Service) UploadMaterial(ctx context.Context, who core.Actor, courseID int64, in MaterialInput, up core.Upload, limit int64) (MaterialView, error) {
	if _, _, err := t.materialForUpload(ctx, who, courseID, &in); err != nil {
		return MaterialView{}, err
	}
	if limit <= 0 {
		limit = MaterialLimit
	}
	pending, err := core.PutBlob(ctx, t.d, &who, up, core.FileRules{What: "course material", Limit: limit, Allowed: core.DocumentTypes()})
	if err != nil {
		return MaterialView{}, err
	}
	var materialID int64
	err = t.d.DB.InTx(ctx, func(ctx context.Context) error {
		_, m, err := t.materialForUpload(ctx, who, courseID, &in) // again, inside the transaction
		if err != nil {
			return err
		}
		now := t.d.Now()
		db := t.d.DB.Conn(ctx)
		if m.ID == 0 {
			m.CreatedBy, m.CreatedAt, m.UpdatedAt = &who.UserID, now, now
			if err := db.Create(&m).Error; err != nil {
				return core.DBError(err)
			}
		} else if err := db.Model(&m).Update("updated_at", now).Error; err != nil {
			return core.DBError(err)
		}
		materialID = m.ID
		blob, err := pending.Record(ctx)
		if err != nil {
			return err
		}
		var last int
		if err := db.Model(&MaterialVersion{}).Where("material_id = ?", m.ID).Select("COALESCE(MAX(version), 0)").Scan(&last).Error; err != nil {
			return core.DBError(err)
		}
		v := MaterialVersion{MaterialID: m.ID, Version: last + 1, BlobID: blob.ID, FileName: pending.Name, Note: in.Note, UploadedBy: &who.UserID, UploadedAt: now}
		if err := db.Create(&v).Error; err != nil {
			return core.DBError(err)
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "material.upload", ObjectType: "material", ObjectID: core.IDString(m.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"course": core.IDString(courseID), "version": fmt.Sprint(v.Version), "sha256": blob.SHA256, "size": fmt.Sprint(blob.Size),
				"classification": m.Classification}})
	})
	if err != nil {
		pending.Discard(ctx)
		return MaterialView{}, err
	}
	return t.material(ctx, who, courseID, materialID)
}

func (t *Service) material(ctx context.Context, who core.Actor, courseID, materialID int64) (MaterialView, error) {
	list, err := t.Materials(ctx, who, courseID)
	return core.Find(list, err, func(m MaterialView) bool { return m.ID == materialID }, "Material not found")
}

// loadMaterial reads a material of a course the actor may see, with its policy object.
func (t *Service) loadMaterial(ctx context.Context, who core.Actor, courseID, materialID int64) (Course, CourseMaterial, policies.Object, error) {
	c, cobj, err := t.loadCourse(ctx, who, courseID)
	if err != nil {
		return c, CourseMaterial{}, policies.Object{}, err
	}
	var m CourseMaterial
	err = t.d.DB.Conn(ctx).Take(&m, "id = ? AND course_id = ?", materialID, c.ID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, m, policies.Object{}, core.NotFound("Material not found")
	}
	if err != nil {
		return c, m, policies.Object{}, core.DBError(err)
	}
	obj := materialObject(c, cobj, m)
	return c, m, obj, core.CanSee(ctx, t.d.Authz, who, policies.ActRead, obj, "Material")
}

// PublishMaterial publishes a version of a material: learners with a place see it from now on,
// instead of any earlier one. Its trainers may. Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT.
func (t *Service) PublishMaterial(ctx context.Context, who core.Actor, courseID, materialID int64, version int) (MaterialView, error) {
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		_, m, obj, err := t.loadMaterial(ctx, who, courseID, materialID)
		if err != nil {
			return err
		}
		if err := core.Can(ctx, t.d.Authz, who, policies.ActPublish, obj, "Only the trainers of this course can publish its material."); err != nil {
			return err
		}
		var v MaterialVersion
		err = t.d.DB.Conn(ctx).Take(&v, "material_id = ? AND version = ?", m.ID, version).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return core.NotFound("Version not found")
		}
		if err != nil {
			return core.DBError(err)
		}
		if v.PublishedAt != nil {
			return core.Conflict(fmt.Sprintf("Version %d is already published.", version))
		}
		var newer int64
		if err := t.d.DB.Conn(ctx).Model(&MaterialVersion{}).Where("material_id = ? AND version > ? AND published_at IS NOT NULL", m.ID, version).Count(&newer).Error; err != nil {
			return core.DBError(err)
		}
		if newer > 0 {
			return core.Conflict("A later version is already published: publish a new upload instead.")
		}
		now := t.d.Now()
		if err := t.d.DB.Conn(ctx).Model(&v).Updates(map[string]any{"published_at": now, "published_by": who.UserID}).Error; err != nil {
			return core.DBError(err)
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "material.publish", ObjectType: "material", ObjectID: core.IDString(m.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"version": fmt.Sprint(version)}})
	})
	if err != nil {
		return MaterialView{}, err
	}
	return t.material(ctx, who, courseID, materialID)
}

// OpenMaterial opens a material's file for download, recording who took it: the latest
// published version (version 0), or, for its trainers, any version. Learners without a place,
// and anyone whose clearance does not cover the material, get not found. Errors: ENOTFOUND,
// EINTEGRITY, EUNAVAILABLE.
func (t *Service) OpenMaterial(ctx context.Context, who core.Actor, courseID, materialID int64, version int) (core.File, error) {
	var f core.File
	err := t.d.DB.InTx(ctx, func(ctx context.Context) error {
		_, m, obj, err := t.loadMaterial(ctx, who, courseID, materialID)
		if err != nil {
			return err
		}
		drafts := t.d.Authz.Can(ctx, who.Subject(), policies.ActReadDraft, obj) == nil
		var v MaterialVersion
		q := t.d.DB.Conn(ctx).Where("material_id = ?", m.ID)
		switch {
		case version == 0:
			q = q.Where("published_at IS NOT NULL").Order("version DESC")
		case drafts:
			q = q.Where("version = ?", version)
		default:
			// Learners get the current published version only.
			q = q.Where("version = ? AND published_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM material_versions n WHERE n.material_id = ? AND n.version > ? AND n.published_at IS NOT NULL)",
				version, m.ID, version)
		}
		err = q.Take(&v).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return core.NotFound("Material not found")
		}
		if err != nil {
			return core.DBError(err)
		}
		b, err := core.LoadBlob(ctx, t.d, v.BlobID)
		if err != nil {
			return err
		}
		if f, err = core.OpenBlob(ctx, t.d, b, v.FileName); err != nil {
			return err
		}
		if err := t.audit.Record(ctx, &who, core.Event{Action: "material.download", ObjectType: "material", ObjectID: core.IDString(m.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"course": core.IDString(courseID), "version": fmt.Sprint(v.Version), "classification": m.Classification}}); err != nil {
			f.Close()
			return err
		}
		return nil
	})
	return f, err
}
