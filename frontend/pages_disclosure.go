package frontend

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/disclosure"
	"github.com/msptp/msphub/models/casefile/schedule"
	"github.com/msptp/msphub/models/core"
)

// Pages of a case's disclosure (DOMAIN.md §F3): the disclosure tab with the schedules, MG6E,
// certificates, third-party requests and the dated revisions, and each entry's page, where the
// team changes it, the disclosure officer moves it between schedules and the prosecutor fills
// their columns. What each person may do comes from models (disclosure.Actions).

// disclosureTab is the disclosure tab of a case.
type disclosureTab struct {
	caseTab
	disclosure.View
	Entries   []casefile.DisclosureEntry
	Revisions []schedule.Revision
}

// MG6C are the non-sensitive entries.
func (v disclosureTab) MG6C() []casefile.DisclosureEntry {
	return entriesOf(v.Entries, casefile.ScheduleMG6C)
}

// MG6D are the sensitive entries (only ever those the reader may read).
func (v disclosureTab) MG6D() []casefile.DisclosureEntry {
	return entriesOf(v.Entries, casefile.ScheduleMG6D)
}

func entriesOf(all []casefile.DisclosureEntry, s casefile.Schedule) []casefile.DisclosureEntry {
	var out []casefile.DisclosureEntry
	for _, e := range all {
		if e.Schedule == s {
			out = append(out, e)
		}
	}
	return out
}

// Named are the team members named to a disclosure role.
func (v disclosureTab) Named() []casefile.TeamMember {
	var out []casefile.TeamMember
	for _, m := range v.View.Team {
		if m.OIC || m.DisclosureRole != "" {
			out = append(out, m)
		}
	}
	return out
}

// MayEdit says whether the reader may open entries to change them or fill the prosecutor's columns.
func (v disclosureTab) MayEdit() bool { return v.Case.Actions.Update || v.Actions.Mark }

// PersonOptions are the team as the options of a select, with form's choice of field picked.
func (v disclosureTab) PersonOptions(form url.Values, field string) []item {
	values, labels := []string{""}, []string{"Select a team member"}
	for _, m := range v.View.Team {
		values, labels = append(values, core.IDString(m.UserID)), append(labels, m.Name+" ("+m.Organisation+")")
	}
	return optionItems(values, labels, form.Get(field))
}

// DeputyItems are the team as checkboxes, with form's deputies ticked.
func (v disclosureTab) DeputyItems(form url.Values) []item {
	var values, labels []string
	for _, m := range v.View.Team {
		values, labels = append(values, core.IDString(m.UserID)), append(labels, m.Name)
	}
	return choiceItems(values, labels, form["deputy_user_ids"])
}

// rolesForm is the roles form as the team stands.
func (v disclosureTab) rolesForm() url.Values {
	form := url.Values{}
	for _, m := range v.View.Team {
		id := core.IDString(m.UserID)
		if m.OIC {
			form.Set("oic_user_id", id)
		}
		switch m.DisclosureRole {
		case schedule.RoleDisclosureOfficer:
			form.Set("disclosure_officer_user_id", id)
		case schedule.RoleDeputy:
			form.Add("deputy_user_ids", id)
		}
	}
	return form
}

// CaseSchedules serves GET /casefiles/:id/disclosure.
func (p *Pages) CaseSchedules() gin.HandlerFunc {
	return func(c *gin.Context) { p.disclosurePage(c, http.StatusOK, nil, nil) }
}

func (p *Pages) disclosurePage(c *gin.Context, status int, form url.Values, errs formErrors) {
	tab, id, ok := p.caseTab(c, "disclosure")
	if !ok {
		return
	}
	ctx, a := c.Request.Context(), actor(c)
	v := disclosureTab{caseTab: tab}
	var err error
	if v.View, err = p.s.Disclosure.Get(ctx, a, id); err == nil {
		if v.Entries, err = p.s.CaseFiles.ScheduleEntries(ctx, a, id); err == nil {
			v.Revisions, err = p.s.CaseFiles.ScheduleRevisions(ctx, a, id)
		}
	}
	if err != nil {
		api.WriteError(c, err)
		return
	}
	if form == nil {
		form = v.rolesForm()
	}
	p.render(c, status, "case_schedules", page{Title: "Disclosure – " + v.Case.URN, Classification: v.Case.MarkingLine(), Form: form, Errors: errs, Data: v})
}

// disclosureAction serves a form of the disclosure tab: do, then back to the tab with flash, or
// the tab again with the errors (renamed to the form's fields by names).
func (p *Pages) disclosureAction(flash string, names func(c *gin.Context) map[string]string, do func(c *gin.Context, id int64) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		if err := do(c, id); err != nil {
			refill(c, renameFields(err, names(c)), nil, func(status int, form url.Values, errs formErrors) { p.disclosurePage(c, status, form, errs) })
			return
		}
		p.app.SetFlash(c, flash)
		api.Redirect(c, casePath(id, "/disclosure"))
	}
}

func sameNames(*gin.Context) map[string]string { return nil }

// CaseDisclosureRoles serves POST /casefiles/:id/disclosure/roles.
func (p *Pages) CaseDisclosureRoles() gin.HandlerFunc {
	return p.disclosureAction("disclosure-roles", sameNames, func(c *gin.Context, id int64) error {
		in := disclosure.RolesInput{OIC: formID(c.PostForm("oic_user_id")), DisclosureOfficer: formID(c.PostForm("disclosure_officer_user_id"))}
		for _, d := range c.PostFormArray("deputy_user_ids") {
			in.Deputies = append(in.Deputies, formID(d))
		}
		_, err := p.s.Disclosure.NameRoles(c.Request.Context(), actor(c), id, in)
		return err
	})
}

func formID(s string) int64 {
	id, _ := strconv.ParseInt(s, 10, 64)
	return id
}

// CaseDisclosureCertify serves POST /casefiles/:id/disclosure/certify.
func (p *Pages) CaseDisclosureCertify() gin.HandlerFunc {
	return p.disclosureAction("disclosure-certified", sameNames, func(c *gin.Context, id int64) error {
		_, err := p.s.Disclosure.Certify(c.Request.Context(), actor(c), id, disclosure.CertifyInput{Kind: disclosure.Kind(c.PostForm("kind"))})
		return err
	})
}

// CaseThirdPartyRequest serves POST /casefiles/:id/disclosure/requests.
func (p *Pages) CaseThirdPartyRequest() gin.HandlerFunc {
	return p.disclosureAction("request-added", sameNames, func(c *gin.Context, id int64) error {
		_, err := p.s.Disclosure.AddRequest(c.Request.Context(), actor(c), id,
			disclosure.RequestInput{Holder: c.PostForm("holder"), Material: c.PostForm("material"), Reason: c.PostForm("reason")})
		return err
	})
}

// CaseThirdPartyAnswer serves POST /casefiles/:id/disclosure/requests/:request/answer. Each open
// request has its own answer field on the tab, answer-<request id>.
func (p *Pages) CaseThirdPartyAnswer() gin.HandlerFunc {
	field := func(c *gin.Context) string { return "answer-" + c.Param("request") }
	return p.disclosureAction("request-answered", func(c *gin.Context) map[string]string { return map[string]string{"answer": field(c)} },
		func(c *gin.Context, id int64) error {
			rid, ok := api.PathID(c, "request")
			if !ok {
				return core.NotFound("Request not found")
			}
			_, err := p.s.Disclosure.AnswerRequest(c.Request.Context(), actor(c), id, rid, disclosure.AnswerInput{Answer: c.PostForm(field(c))})
			return err
		})
}

// ---------------------------------------------------------------------------------------------
// A schedule entry's page

// entryFormView is the page of a new or existing schedule entry.
type entryFormView struct {
	caseTab
	Entry   *casefile.DisclosureEntry
	Generic bool // the posted description was flagged as too generic
	Actions disclosure.Actions
}

// MayChange says whether the reader may change the entry (or add one).
func (v entryFormView) MayChange() bool {
	return v.Case.Actions.Update && (v.Entry == nil || v.Entry.Schedule == casefile.ScheduleMG6C || v.Actions.ChangeSensitive)
}

// MayMove says whether the reader may move the entry to the other schedule.
func (v entryFormView) MayMove() bool {
	return v.Entry != nil && v.Case.Actions.Update && v.Actions.ChangeSensitive
}

// ScheduleItems are the schedule radios: MG6D only for those who may write it.
func (v entryFormView) ScheduleItems(form url.Values) []item {
	values := []string{string(casefile.ScheduleMG6C)}
	labels := []string{casefile.ScheduleMG6C.Label() + " (served on the defence)"}
	if v.Actions.ChangeSensitive {
		values, labels = append(values, string(casefile.ScheduleMG6D)), append(labels, casefile.ScheduleMG6D.Label()+" (never served on the defence)")
	}
	return choiceItems(values, labels, []string{form.Get("schedule")})
}

// CPSViewItems are the prosecutor's marks on MG6C.
func (v entryFormView) CPSViewItems(form url.Values) []item {
	values := []string{"D", "CND", "I"}
	labels := make([]string, len(values))
	for i, k := range values {
		labels[i] = k + ": " + schedule.CPSViews[k]
	}
	return choiceItems(values, labels, []string{form.Get("cps_view")})
}

func (p *Pages) entryForm(c *gin.Context, entryID int64, status int, form url.Values, errs formErrors) {
	v, id, ok := p.caseTab(c, "disclosure")
	if !ok {
		return
	}
	ctx, a := c.Request.Context(), actor(c)
	d, err := p.s.Disclosure.Get(ctx, a, id)
	if err != nil {
		api.WriteError(c, err)
		return
	}
	fv := entryFormView{caseTab: v, Actions: d.Actions}
	title := "Add unused material"
	if entryID != 0 {
		e, err := p.s.CaseFiles.ScheduleEntry(ctx, a, id, entryID)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		fv.Entry = &e
		title = string(e.Schedule) + " entry " + strconv.Itoa(e.Number)
		if fv.MayChange() {
			title = "Change " + title
		}
		if form == nil {
			form = url.Values{"description": {e.Description}, "location": {e.Location}, "officer_view": {e.OfficerView}, "generic_reason": {e.GenericReason},
				"assessment": {e.Assessment}, "cps_view": {e.CPSView}, "cps_agree_sensitive": {e.CPSSensitive}, "cps_pii_needed": {e.CPSPII}}
			if e.Classification != 0 {
				form.Set("classification", e.Marking)
			}
			if e.Undermines {
				form.Set("undermines", "yes")
			}
		}
	}
	if !fv.MayChange() && (fv.Entry == nil || !d.Actions.Mark) {
		api.WriteError(c, core.Forbidden("Only the case team can change the schedules, and only while the file is not with the supervisor or the CPS."))
		return
	}
	if form == nil {
		form = url.Values{"schedule": {c.DefaultQuery("schedule", string(casefile.ScheduleMG6C))}}
	}
	fv.Generic = errs.For("description") == schedule.GenericPrompt || form.Get("generic_reason") != ""
	p.render(c, status, "case_entry_form", page{Title: title, Classification: v.Case.MarkingLine(), Form: form, Errors: errs, Data: fv})
}

func entryInput(c *gin.Context) casefile.EntryInput {
	return casefile.EntryInput{Schedule: casefile.Schedule(c.PostForm("schedule")), Description: c.PostForm("description"), Location: c.PostForm("location"),
		OfficerView: c.PostForm("officer_view"), Classification: c.PostForm("classification"), GenericReason: c.PostForm("generic_reason"),
		Undermines: c.PostForm("undermines") == "yes", Assessment: c.PostForm("assessment")}
}

func (p *Pages) entryFailed(c *gin.Context, err error, entryID int64) {
	refill(c, err, nil, func(status int, form url.Values, errs formErrors) { p.entryForm(c, entryID, status, form, errs) })
}

// CaseEntryForm serves GET /casefiles/:id/disclosure/new.
func (p *Pages) CaseEntryForm() gin.HandlerFunc {
	return func(c *gin.Context) { p.entryForm(c, 0, http.StatusOK, nil, nil) }
}

// CaseEntryCreate serves POST /casefiles/:id/disclosure/new.
func (p *Pages) CaseEntryCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		if _, err := p.s.CaseFiles.AddScheduleEntry(c.Request.Context(), actor(c), id, entryInput(c)); err != nil {
			p.entryFailed(c, err, 0)
			return
		}
		p.app.SetFlash(c, "schedule-added")
		api.Redirect(c, casePath(id, "/disclosure"))
	}
}

// CaseEntryEditForm serves GET /casefiles/:id/disclosure/:entry.
func (p *Pages) CaseEntryEditForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		entryID, ok := api.PathID(c, "entry")
		if !ok {
			return
		}
		p.entryForm(c, entryID, http.StatusOK, nil, nil)
	}
}

// entryAction serves a form of an entry's page: do, then back to the disclosure tab with
// flash, or the entry's page again with the errors.
func (p *Pages) entryAction(flash string, do func(c *gin.Context, id, entryID int64) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := api.PathIDs(c, "id", "entry")
		if !ok {
			return
		}
		if err := do(c, ids[0], ids[1]); err != nil {
			p.entryFailed(c, err, ids[1])
			return
		}
		p.app.SetFlash(c, flash)
		api.Redirect(c, casePath(ids[0], "/disclosure"))
	}
}

// CaseEntryUpdate serves POST /casefiles/:id/disclosure/:entry.
func (p *Pages) CaseEntryUpdate() gin.HandlerFunc {
	return p.entryAction("schedule-updated", func(c *gin.Context, id, entryID int64) error {
		_, err := p.s.CaseFiles.UpdateScheduleEntry(c.Request.Context(), actor(c), id, entryID, entryInput(c))
		return err
	})
}

// CaseEntryMove serves POST /casefiles/:id/disclosure/:entry/move.
func (p *Pages) CaseEntryMove() gin.HandlerFunc {
	return p.entryAction("schedule-moved", func(c *gin.Context, id, entryID int64) error {
		_, err := p.s.CaseFiles.MoveScheduleEntry(c.Request.Context(), actor(c), id, entryID, c.PostForm("reason"))
		return err
	})
}

// CaseEntryMark serves POST /casefiles/:id/disclosure/:entry/cps.
func (p *Pages) CaseEntryMark() gin.HandlerFunc {
	return p.entryAction("schedule-marked", func(c *gin.Context, id, entryID int64) error {
		_, err := p.s.CaseFiles.MarkScheduleEntry(c.Request.Context(), actor(c), id, entryID,
			schedule.CPSMarkInput{View: c.PostForm("cps_view"), AgreeSensitive: c.PostForm("cps_agree_sensitive"), PIINeeded: c.PostForm("cps_pii_needed")})
		return err
	})
}
