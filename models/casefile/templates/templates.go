// Package templates is the administration of checklist templates (DOMAIN.md §B7): the latest
// version of every template, a template's versions, and saving a new version. The templates
// themselves (casefile.ChecklistTemplate, their items and the table of codes) stay in package
// casefile, whose case files take their checklists from them; this package imports it.
package templates

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// Service holds the operations on checklist templates.
type Service struct {
	d     core.Deps
	audit *core.Audit
}

// New builds the operations on checklist templates.
func New(d core.Deps, audit *core.Audit) *Service { return &Service{d: d, audit: audit} }

// Latest lists the latest version of every checklist template. Administrators may call it.
// Errors: EFORBIDDEN.
func (s *Service) Latest(ctx context.Context, who core.Actor) ([]casefile.ChecklistTemplate, error) {
	if err := s.MayRead(ctx, who); err != nil {
		return nil, err
	}
	var out []casefile.ChecklistTemplate
	err := s.d.DB.Conn(ctx).Where("version = (SELECT MAX(version) FROM checklist_templates t2 WHERE t2.code = checklist_templates.code)").
		Find(&out).Error
	if err != nil {
		return nil, core.DBError(err)
	}
	slices.SortFunc(out, func(a, b casefile.ChecklistTemplate) int { return casefile.CompareTemplates(a.Code, b.Code) })
	return out, s.fillItems(ctx, out)
}

func (s *Service) fillItems(ctx context.Context, ts []casefile.ChecklistTemplate) error {
	for i := range ts {
		if err := s.d.DB.Conn(ctx).Where("template_id = ?", ts[i].ID).Order("position").Find(&ts[i].Items).Error; err != nil {
			return core.DBError(err)
		}
	}
	return nil
}

// Versions lists every version of template code, newest first, with their items.
// Administrators may call it. Errors: EFORBIDDEN, ENOTFOUND.
func (s *Service) Versions(ctx context.Context, who core.Actor, code string) ([]casefile.ChecklistTemplate, error) {
	if err := s.MayRead(ctx, who); err != nil {
		return nil, err
	}
	var out []casefile.ChecklistTemplate
	if err := s.d.DB.Conn(ctx).Where("code = ?", code).Order("version DESC").Find(&out).Error; err != nil {
		return nil, core.DBError(err)
	}
	if len(out) == 0 {
		return nil, core.NotFound("Checklist template not found")
	}
	return out, s.fillItems(ctx, out)
}

// MayRead says whether the actor may see the checklist templates, without reading them.
// Errors: EFORBIDDEN.
func (s *Service) MayRead(ctx context.Context, who core.Actor) error {
	return core.Can(ctx, s.d.Authz, who, policies.ActRead, policies.Object{Type: "template"}, "Only administrators manage checklist templates.")
}

// MayEdit says whether the actor may save new template versions (what the pages offer).
// Errors: EFORBIDDEN.
func (s *Service) MayEdit(ctx context.Context, who core.Actor) error {
	return core.Can(ctx, s.d.Authz, who, policies.ActUpdate, policies.Object{Type: "template"}, "Only administrators manage checklist templates.")
}

// Input is a new version of a template.
type Input struct {
	Title      string      `json:"title"`
	ChangeNote string      `json:"change_note"`
	Items      []ItemInput `json:"items"`
}

// ItemInput is one item of a new template version.
type ItemInput struct {
	Text     string         `json:"text"`
	Why      string         `json:"why"`
	Form     string         `json:"form"`
	Stage    casefile.Stage `json:"stage"`
	Required bool           `json:"required"`
}

// NewVersion saves a new version of template code. Cases already open keep the version they
// started with; cases opened (or gaining the template) from now on get this one.
// Administrators may call it. Errors: EFORBIDDEN, ENOTFOUND, EINVALID, ECONFLICT (another
// version was saved at the same moment).
func (s *Service) NewVersion(ctx context.Context, who core.Actor, code string, in Input) (casefile.ChecklistTemplate, error) {
	var t casefile.ChecklistTemplate
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Templates)
		if err := s.MayEdit(ctx, who); err != nil {
			return err
		}
		var latest casefile.ChecklistTemplate
		err := s.d.DB.Conn(ctx).Where("code = ?", code).Order("version DESC").Take(&latest).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return core.NotFound("Checklist template not found")
		}
		if err != nil {
			return core.DBError(err)
		}
		if err := core.CheckText("title", &in.Title, 200, true, "Enter the template's title", "Title"); err != nil {
			return err
		}
		if err := core.CheckText("change_note", &in.ChangeNote, 500, true, "Say what changed in this version and why", "The change note"); err != nil {
			return err
		}
		var items []ItemInput
		for i, it := range in.Items {
			field := "items-" + core.IDString(int64(i)) + "-"
			it.Text, it.Why, it.Form = strings.TrimSpace(it.Text), strings.TrimSpace(it.Why), strings.TrimSpace(it.Form)
			if it.Text == "" && it.Why == "" && it.Form == "" {
				continue // an empty row of the form
			}
			if err := core.CheckText(field+"text", &it.Text, 500, true, "Enter what item "+core.IDString(int64(i+1))+" asks for", "An item"); err != nil {
				return err
			}
			if err := core.CheckText(field+"why", &it.Why, 300, false, "", "Why"); err != nil {
				return err
			}
			if err := core.CheckText(field+"form", &it.Form, 100, false, "", "Form and stage"); err != nil {
				return err
			}
			if !slices.Contains(casefile.Stages(), it.Stage) {
				return core.Invalid(field+"stage", "Select the stage item "+core.IDString(int64(i+1))+" is needed at")
			}
			items = append(items, it)
		}
		if len(items) == 0 {
			return core.Invalid("items-0-text", "A template needs at least one item")
		}
		t = casefile.ChecklistTemplate{Code: latest.Code, Version: latest.Version + 1, Title: in.Title, AppliesTo: latest.AppliesTo,
			ChangeNote: in.ChangeNote, CreatedBy: &who.UserID, CreatedAt: s.d.Now()}
		if err := s.d.DB.Conn(ctx).Create(&t).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return core.Conflict("Someone saved another version of this template at the same moment. Reload it and try again.")
			}
			return core.DBError(err)
		}
		for i, it := range items {
			ti := casefile.TemplateItem{TemplateID: t.ID, ItemText: casefile.ItemText{Position: i + 1, Text: it.Text, Why: it.Why, Form: it.Form,
				Stage: it.Stage, Required: it.Required}}
			if err := s.d.DB.Conn(ctx).Create(&ti).Error; err != nil {
				return core.DBError(err)
			}
			t.Items = append(t.Items, ti)
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "template.version", ObjectType: "template", ObjectID: t.Code, Outcome: core.OutcomeSuccess,
			Details: map[string]string{"version": core.IDString(int64(t.Version)), "items": core.IDString(int64(len(items)))}})
	})
	return t, err
}
