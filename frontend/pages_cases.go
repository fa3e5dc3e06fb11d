package frontend

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/frontend/govuk"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/casefile/charging"
	"github.com/msptp/msphub/models/casefile/court"
	"github.com/msptp/msphub/models/casefile/packdiff"
	"github.com/msptp/msphub/models/casefile/templates"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/policies"
)

// Pages of case files and CPS evidence packs. Every page calls one models operation, which
// decides access: a case the actor may not see is "Page not found" on every page.

func casePath(id int64, suffix string) string {
	return "/casefiles/" + strconv.FormatInt(id, 10) + suffix
}

// statusTag is the GOV.UK tag colour of a case status.
func statusTag(s casefile.CaseStatus) string {
	switch s {
	case casefile.StatusPreparation, casefile.StatusReturned:
		return "govuk-tag--yellow"
	case casefile.StatusWithSupervisor:
		return "govuk-tag--blue"
	case casefile.StatusApproved:
		return "govuk-tag--turquoise"
	case casefile.StatusWithCPSEarlyAdvice, casefile.StatusWithCPSCharging:
		return "govuk-tag--purple"
	case casefile.StatusAdviceReturned, casefile.StatusActionPlan:
		return "govuk-tag--orange"
	case casefile.StatusChargeAuthorised, casefile.StatusCharged:
		return "govuk-tag--green"
	}
	return "govuk-tag--grey"
}

// itemTag is the GOV.UK tag colour of a checklist item status.
func itemTag(s casefile.ItemStatus) string {
	switch s {
	case casefile.ItemOutstanding:
		return "govuk-tag--grey"
	case casefile.ItemInProgress:
		return "govuk-tag--blue"
	case casefile.ItemProvided:
		return "govuk-tag--turquoise"
	case casefile.ItemNotApplicable:
		return "govuk-tag--yellow"
	case casefile.ItemAccepted:
		return "govuk-tag--green"
	case casefile.ItemRejected:
		return "govuk-tag--red"
	}
	return ""
}

// renameFields points an error, and each of its problems, at the id its field has on the page
// (a date's first box, a field whose name two forms on one page share).
func renameFields(err error, names map[string]string) error {
	var me *core.Error
	if errors.As(err, &me) {
		cp := *me
		if to, ok := names[me.Field]; ok {
			cp.Field = to
		}
		cp.Fields = make([]core.FieldError, len(me.Fields))
		for i, f := range me.Fields {
			if to, ok := names[f.Field]; ok {
				f.Field = to
			}
			cp.Fields[i] = f
		}
		return &cp
	}
	return err
}

// dateFields fills a GOV.UK date input's three values from a date.
func dateFields(form url.Values, name string, d *time.Time) {
	if d == nil {
		return
	}
	form.Set(name+"-day", strconv.Itoa(d.Day()))
	form.Set(name+"-month", strconv.Itoa(int(d.Month())))
	form.Set(name+"-year", strconv.Itoa(d.Year()))
}

// ---------------------------------------------------------------------------------------------
// Lists

// caseRow is a case in a list, with its tag colour.
type caseRow struct {
	casefile.CaseSummary
	Tag string
}

// caseListView is my cases, the supervisor queue or the CPS queue.
type caseListView struct {
	Heading string
	Intro   string
	Rows    []caseRow
	Pager   pager
	Actions core.Actions // create: open a case file (offered on the actor's own list)
	Queue   string
	Action  string // the list's own address, for the search form
}

func (p *Pages) caseList(c *gin.Context, queue, title, intro string) {
	ctx, a := c.Request.Context(), actor(c)
	f := casefile.CaseFilter{Queue: queue, Query: c.Query("q"), Count: true}
	res, err := p.s.CaseFiles.List(ctx, a, f, c.Query("after"), 50)
	if err != nil {
		api.WriteError(c, err)
		return
	}
	v := caseListView{Heading: title, Intro: intro, Queue: queue, Action: c.Request.URL.Path, Actions: res.Actions}
	for _, r := range res.Cases {
		v.Rows = append(v.Rows, caseRow{CaseSummary: r, Tag: statusTag(r.Status)})
	}
	v.Pager = newPager(c, len(res.Cases), 50, res.Next, res.Prev, res.Total, "case files")
	p.render(c, http.StatusOK, "case_list", page{Title: title, Form: c.Request.URL.Query(), Data: v})
}

// Cases serves GET /casefiles: every case file the actor may see.
func (p *Pages) Cases() gin.HandlerFunc {
	return func(c *gin.Context) {
		p.caseList(c, "", "Case files", "Case files you work on, oversee or have been shared, most recently changed first.")
	}
}

// CaseSupervisorQueue serves GET /casefiles/review: packs waiting for the actor's sign-off.
func (p *Pages) CaseSupervisorQueue() gin.HandlerFunc {
	return func(c *gin.Context) {
		p.caseList(c, "supervisor", "Packs to sign off", "Packs your organisation's investigators have submitted. Approve them, or return them with reasons.")
	}
}

// CaseCPSQueue serves GET /casefiles/cps: packs shared with the CPS liaison.
func (p *Pages) CaseCPSQueue() gin.HandlerFunc {
	return func(c *gin.Context) {
		p.caseList(c, "cps", "Packs shared with you", "Packs police supervisors have shared with you, while the share lasts.")
	}
}

// ---------------------------------------------------------------------------------------------
// Opening and changing a case

// caseFormView is the new-case and change-details form.
type caseFormView struct {
	Case        *casefile.CaseView
	Supervisors []casefile.Person
}

// OffenceItems are the offence checkboxes: those forms offer, and a retired one the case has.
func (v caseFormView) OffenceItems(form url.Values) []item {
	values, labels := withTerms(nil, nil, casefile.Offences())
	for _, o := range form["offences"] {
		if casefile.Offence(o).Retired() && !slices.Contains(values, o) {
			values, labels = append(values, o), append(labels, casefile.Offence(o).Label())
		}
	}
	return choiceItems(values, labels, form["offences"])
}

// MarkingItems are the classification radios.
func (v caseFormView) MarkingItems(form url.Values) []item {
	return choiceItems([]string{"OFFICIAL", "OFFICIAL-SENSITIVE"}, []string{"OFFICIAL", "OFFICIAL-SENSITIVE (tighter need-to-know: ABE material, high-profile cases)"}, []string{form.Get("classification")})
}

// DescriptorItems are the descriptor radios: none, or one that goes with OFFICIAL-SENSITIVE.
func (v caseFormView) DescriptorItems(form url.Values) []item {
	values, labels := []string{""}, []string{"No descriptor"}
	for _, d := range policies.Descriptors() {
		values, labels = append(values, string(d)), append(labels, string(d)+" – "+strings.ToLower(d.Hint()[:1])+d.Hint()[1:])
	}
	return choiceItems(values, labels, []string{form.Get("descriptor")})
}

// SupervisorItems are the supervisor choices.
func (v caseFormView) SupervisorItems(form url.Values) []item {
	values, labels := []string{""}, []string{"Choose a supervisor"}
	for _, s := range v.Supervisors {
		values, labels = append(values, strconv.FormatInt(s.ID, 10)), append(labels, s.Name)
	}
	return optionItems(values, labels, form.Get("supervisor_id"))
}

// FlagItems are the two checkboxes that add checklists.
func (v caseFormView) FlagItems(form url.Values) []item {
	return []item{
		{"value": "yes", "text": "A suspect may be a victim of modern slavery (adds the s45 checklist)", "checked": form.Get("suspect_may_be_victim") == "yes", "name": "suspect_may_be_victim"},
		{"value": "yes", "text": "Prevention or financial orders will be sought (adds the STPO/STRO and financial orders checklist)", "checked": form.Get("orders_sought") == "yes", "name": "orders_sought"},
	}
}

func caseInput(c *gin.Context) casefile.CaseInput {
	in := casefile.CaseInput{URN: c.PostForm("urn"), Operation: c.PostForm("operation"), Classification: c.PostForm("classification"),
		Descriptor: c.PostForm("descriptor"), SuspectMayBeVictim: c.PostForm("suspect_may_be_victim") == "yes", OrdersSought: c.PostForm("orders_sought") == "yes"}
	for _, o := range c.PostFormArray("offences") {
		in.Offences = append(in.Offences, casefile.Offence(o))
	}
	in.SupervisorID, _ = strconv.ParseInt(c.PostForm("supervisor_id"), 10, 64)
	return in
}

// CaseNewForm serves GET /casefiles/new.
func (p *Pages) CaseNewForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		sups, err := p.s.CaseFiles.Supervisors(c.Request.Context(), actor(c))
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "case_form", page{Title: "Open a case file", Form: url.Values{"classification": {"OFFICIAL"}}, Data: caseFormView{Supervisors: sups}})
	}
}

// CaseCreate serves POST /casefiles/new.
func (p *Pages) CaseCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, a := c.Request.Context(), actor(c)
		cv, err := p.s.CaseFiles.Create(ctx, a, caseInput(c))
		if err != nil {
			sups, serr := p.s.CaseFiles.Supervisors(ctx, a)
			if serr != nil {
				api.WriteError(c, serr)
				return
			}
			p.formFailed(c, err, "case_form", page{Title: "Open a case file", Data: caseFormView{Supervisors: sups}}, "urn")
			return
		}
		p.app.SetFlash(c, "case-created")
		api.Redirect(c, casePath(cv.ID, ""))
	}
}

// CaseEditForm serves GET /casefiles/:id/edit.
func (p *Pages) CaseEditForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		ctx, a := c.Request.Context(), actor(c)
		cv, err := p.s.CaseFiles.Get(ctx, a, id)
		if err == nil && !cv.Actions.Update {
			err = core.Forbidden("Only the case team can change this case file, and only while it is not with the supervisor or the CPS.")
		}
		if err != nil {
			api.WriteError(c, err)
			return
		}
		pg, ok := p.caseChangePage(c, cv)
		if !ok {
			return
		}
		pg.Form = url.Values{"urn": {cv.URN}, "operation": {cv.Operation}, "classification": {cv.Marking}, "descriptor": {string(cv.Descriptor)}, "supervisor_id": {strconv.FormatInt(cv.SupervisorID, 10)}}
		for _, o := range cv.OffenceList {
			pg.Form.Add("offences", string(o))
		}
		if cv.SuspectMayBeVictim {
			pg.Form.Set("suspect_may_be_victim", "yes")
		}
		if cv.OrdersSought {
			pg.Form.Set("orders_sought", "yes")
		}
		p.render(c, http.StatusOK, "case_form", pg)
	}
}

// caseChangePage is the change-details page of cv, without its form values: it reads the
// supervisors to choose from, answering the error itself when ok is false.
func (p *Pages) caseChangePage(c *gin.Context, cv casefile.CaseView) (pg page, ok bool) {
	sups, err := p.s.CaseFiles.Supervisors(c.Request.Context(), actor(c))
	if err != nil {
		api.WriteError(c, err)
		return page{}, false
	}
	return page{Title: "Change case details", Classification: cv.MarkingLine(), Data: caseFormView{Case: &cv, Supervisors: sups}}, true
}

// CaseUpdate serves POST /casefiles/:id/edit.
func (p *Pages) CaseUpdate() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		ctx, a := c.Request.Context(), actor(c)
		if _, err := p.s.CaseFiles.Update(ctx, a, id, caseInput(c)); err != nil {
			cv, gerr := p.s.CaseFiles.Get(ctx, a, id)
			if gerr != nil {
				api.WriteError(c, gerr)
				return
			}
			if pg, ok := p.caseChangePage(c, cv); ok {
				p.formFailed(c, err, "case_form", pg, "urn")
			}
			return
		}
		p.app.SetFlash(c, "case-updated")
		api.Redirect(c, casePath(id, ""))
	}
}

// ---------------------------------------------------------------------------------------------
// The case page and its tabs

// caseTab is what every tab of a case shows: the case, its tabs, and the tab's own data.
type caseTab struct {
	Case casefile.CaseView
	Tab  string
	Tag  string

	Stages    []stageItems            // checklist
	Evidence  []casefile.EvidenceView // evidence
	Team      []casefile.TeamMember
	Timeline  govuk.Timeline
	Pager     pager // the other pages of the tab's list (evidence, timeline)
	Pack      *packView
	Templates string                    // the checklists the case has, "Core (all MSA cases), version 1; ..."
	Operation *operations.CaseOperation // the case's operation, victims and suspects (checklist tab)
	Court     *court.View               // the case after charge, nil before (checklist tab)
}

// stageItems are the checklist items of one stage, with the stage's readiness.
type stageItems struct {
	Readiness casefile.StageReadiness
	Items     []itemRow
}

// itemRow is a checklist item with its tag colour.
type itemRow struct {
	casefile.ItemView
	Tag string
}

// SubNav is the case's sub navigation, the current tab marked.
func (v caseTab) SubNav() govuk.SubNavigation {
	tabs := []struct{ key, text, suffix string }{
		{"checklist", "Checklist", ""}, {"evidence", "Evidence", "/evidence"}, {"disclosure", "Disclosure", "/disclosure"},
		{"pack", "Sign-off and CPS", "/pack"}, {"team", "Team", "/team"}, {"timeline", "Timeline", "/timeline"},
	}
	nav := govuk.SubNavigation{Label: "Case file sections"}
	for _, t := range tabs {
		nav.Items = append(nav.Items, govuk.SubNavItem{Text: t.text, Href: casePath(v.Case.ID, t.suffix), Active: t.key == v.Tab})
	}
	return nav
}

// caseTab loads the case for a tab (an audited read).
func (p *Pages) caseTab(c *gin.Context, tab string) (caseTab, int64, bool) {
	cv, id, ok := pathObject(c, p.s.CaseFiles.Get)
	if !ok {
		return caseTab{}, 0, false
	}
	return caseTab{Case: cv, Tab: tab, Tag: statusTag(cv.Status)}, id, true
}

func (p *Pages) renderTab(c *gin.Context, status int, view, title string, v caseTab, form url.Values, errs formErrors) {
	p.render(c, status, view, page{Title: title + " – " + v.Case.URN, Classification: v.Case.MarkingLine(), Form: form, Errors: errs, Data: v})
}

// Case serves GET /casefiles/:id: the checklist by stage, with readiness, and the case's
// operation with its potential victims and suspects.
func (p *Pages) Case() gin.HandlerFunc {
	return func(c *gin.Context) { p.caseChecklist(c, http.StatusOK, nil, nil) }
}

// caseChecklist renders the case page, with a form of it posted and refused when errs (the
// outcome of a charge).
func (p *Pages) caseChecklist(c *gin.Context, status int, form url.Values, errs formErrors) {
	v, id, ok := p.caseTab(c, "checklist")
	if !ok {
		return
	}
	ctx, a := c.Request.Context(), actor(c)
	items, err := p.s.CaseFiles.Checklist(ctx, a, id)
	if err == nil {
		v.Operation, err = p.s.Operations.ForCase(ctx, a, id)
	}
	if err == nil {
		v.Court, err = p.s.Court.ForCase(ctx, a, id)
	}
	if err != nil {
		api.WriteError(c, err)
		return
	}
	var templates []string
	for _, r := range v.Case.Readiness {
		s := stageItems{Readiness: r}
		for _, it := range items {
			if it.Stage == r.Stage {
				s.Items = append(s.Items, itemRow{ItemView: it, Tag: itemTag(it.Status)})
			}
			if !slices.Contains(templates, it.Checklist()) {
				templates = append(templates, it.Checklist())
			}
		}
		if len(s.Items) > 0 {
			v.Stages = append(v.Stages, s)
		}
	}
	v.Templates = strings.Join(templates, "; ")
	p.renderTab(c, status, "case_checklist", "Checklist", v, form, errs)
}

// evidencePage is how many exhibits a page of the evidence tab lists.
const evidencePage = 50

// CaseEvidence serves GET /casefiles/:id/evidence: the exhibit register a page at a time
// (?after=), oldest first, with how many exhibits there are.
func (p *Pages) CaseEvidence() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, id, ok := p.caseTab(c, "evidence")
		if !ok {
			return
		}
		page, err := p.s.CaseFiles.Evidence(c.Request.Context(), actor(c), id, c.Query("after"), evidencePage)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		v.Evidence, v.Pager = page.Evidence, newPager(c, len(page.Evidence), evidencePage, page.Next, page.Prev, page.Total, "exhibits")
		p.renderTab(c, http.StatusOK, "case_evidence", "Evidence", v, nil, nil)
	}
}

// ExhibitCount says how many exhibits the case has: "212 exhibits".
func (v caseTab) ExhibitCount() string { return counted(v.Pager.Total, "exhibit", "exhibits") }

// CaseTeam serves GET /casefiles/:id/team.
func (p *Pages) CaseTeam() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, id, ok := p.caseTab(c, "team")
		if !ok {
			return
		}
		p.teamPage(c, v, id, http.StatusOK, nil, nil)
	}
}

func (p *Pages) teamPage(c *gin.Context, v caseTab, id int64, status int, form url.Values, errs formErrors) {
	team, err := p.s.CaseFiles.Team(c.Request.Context(), actor(c), id)
	if err != nil {
		api.WriteError(c, err)
		return
	}
	v.Team = team
	p.renderTab(c, status, "case_team", "Team", v, form, errs)
}

// BasisItems are the legal basis choices for a member from another organisation.
func (v caseTab) BasisItems(form url.Values) []item {
	values, labels := withTerms([]string{""}, []string{"Only for someone of another organisation"}, casefile.LegalBases())
	return optionItems(values, labels, form.Get("legal_basis"))
}

// timelinePage is how many events a page of the timeline shows.
const timelinePage = 50

// CaseTimeline serves GET /casefiles/:id/timeline, a page of events at a time, newest first.
func (p *Pages) CaseTimeline() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, id, ok := p.caseTab(c, "timeline")
		if !ok {
			return
		}
		page, err := p.s.CaseFiles.Timeline(c.Request.Context(), actor(c), id, c.Query("after"), timelinePage)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		v.Timeline = govuk.Timeline{HeadingLevel: "2"}
		for _, e := range page.Events {
			it := govuk.TimelineItem{Label: govuk.Content{Text: e.Summary}, Text: e.Details,
				Datetime: govuk.TimelineDatetime{Timestamp: e.OccurredAt.UTC().Format(time.RFC3339), Type: "datetime"}}
			if e.Actor != "" {
				it.Byline = &govuk.Content{Text: e.Actor}
			}
			v.Timeline.Items = append(v.Timeline.Items, it)
		}
		v.Pager = newPager(c, len(page.Events), timelinePage, page.Next, page.Prev, 0, "events")
		p.renderTab(c, http.StatusOK, "case_timeline", "Timeline", v, nil, nil)
	}
}

// ---------------------------------------------------------------------------------------------
// Checklist items

// itemView is one checklist item's page.
type itemView struct {
	caseTab
	Item     itemRow
	Team     []casefile.TeamMember
	Exhibits []casefile.EvidenceView
}

// StatusItems are the statuses the team may give.
func (v itemView) StatusItems(form url.Values) []item {
	values, labels := withTerms(nil, nil, casefile.TeamItemStatuses())
	if s := v.Item.Status; s == casefile.ItemAccepted || s == casefile.ItemRejected {
		values, labels = append(values, string(s)), append(labels, s.Label()+" (keep)")
	}
	return choiceItems(values, labels, []string{form.Get("status")})
}

// OwnerItems are the team members who may own the item.
func (v itemView) OwnerItems(form url.Values) []item {
	values, labels := []string{""}, []string{"Nobody yet"}
	for _, m := range v.Team {
		values, labels = append(values, strconv.FormatInt(m.UserID, 10)), append(labels, m.Name)
	}
	return optionItems(values, labels, form.Get("owner_id"))
}

// ExhibitItems are the current exhibits that may answer the item.
func (v itemView) ExhibitItems(form url.Values) []item {
	var values, labels []string
	for _, e := range v.Exhibits {
		if e.Current() {
			values, labels = append(values, strconv.FormatInt(e.ID, 10)), append(labels, e.ExhibitRef+": "+e.Description)
		}
	}
	return choiceItems(values, labels, form["evidence_ids"])
}

func (p *Pages) itemPage(c *gin.Context, status int, form url.Values, errs formErrors) {
	v, id, ok := p.caseTab(c, "checklist")
	if !ok {
		return
	}
	itemID, ok := api.PathID(c, "item")
	if !ok {
		return
	}
	ctx, a := c.Request.Context(), actor(c)
	it, err := p.s.CaseFiles.Item(ctx, a, id, itemID)
	if err != nil {
		api.WriteError(c, err)
		return
	}
	iv := itemView{caseTab: v, Item: itemRow{ItemView: it, Tag: itemTag(it.Status)}}
	if v.Case.Actions.Update {
		if iv.Team, err = p.s.CaseFiles.Team(ctx, a, id); err != nil {
			api.WriteError(c, err)
			return
		}
		if iv.Exhibits, err = p.s.CaseFiles.Exhibits(ctx, a, id); err != nil {
			api.WriteError(c, err)
			return
		}
	}
	if form == nil {
		form = url.Values{"status": {string(it.Status)}, "na_reason": {it.NAReason}, "notes": {it.Notes}}
		if it.OwnerID != nil {
			form.Set("owner_id", strconv.FormatInt(*it.OwnerID, 10))
		}
		dateFields(form, "due_on", it.DueOn)
		for _, e := range it.Evidence {
			form.Add("evidence_ids", strconv.FormatInt(e.ID, 10))
		}
	}
	p.render(c, status, "case_item", page{Title: "Checklist item – " + v.Case.URN, Classification: v.Case.MarkingLine(), Form: form, Errors: errs, Data: iv})
}

// CaseItem serves GET /casefiles/:id/items/:item.
func (p *Pages) CaseItem() gin.HandlerFunc {
	return func(c *gin.Context) { p.itemPage(c, http.StatusOK, nil, nil) }
}

// itemFailed shows the item page again with what was wrong.
func (p *Pages) itemFailed(c *gin.Context, err error) {
	refill(c, err, nil, func(status int, form url.Values, errs formErrors) { p.itemPage(c, status, form, errs) })
}

// CaseItemUpdate serves POST /casefiles/:id/items/:item.
func (p *Pages) CaseItemUpdate() gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := api.PathIDs(c, "id", "item")
		if !ok {
			return
		}
		id, itemID := ids[0], ids[1]
		in := casefile.ItemInput{Status: casefile.ItemStatus(c.PostForm("status")), NAReason: c.PostForm("na_reason"), Notes: c.PostForm("notes")}
		in.OwnerID, _ = strconv.ParseInt(c.PostForm("owner_id"), 10, 64)
		for _, e := range c.PostFormArray("evidence_ids") {
			if n, err := strconv.ParseInt(e, 10, 64); err == nil {
				in.EvidenceIDs = append(in.EvidenceIDs, n)
			}
		}
		due, err := api.DateInput(c.PostForm, "due_on", "Due date")
		if err == nil {
			in.DueOn = due
			_, err = p.s.CaseFiles.UpdateItem(c.Request.Context(), actor(c), id, itemID, in)
		}
		if err != nil {
			p.itemFailed(c, renameFields(err, map[string]string{"due_on": "due_on-day", "evidence_ids": "evidence_ids"}))
			return
		}
		p.app.SetFlash(c, "item-updated")
		api.Redirect(c, casePath(id, "/items/"+strconv.FormatInt(itemID, 10)))
	}
}

// CaseItemReview serves POST /casefiles/:id/items/:item/review: the CPS liaison's verdict.
func (p *Pages) CaseItemReview() gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := api.PathIDs(c, "id", "item")
		if !ok {
			return
		}
		id, itemID := ids[0], ids[1]
		in := casefile.ReviewInput{Verdict: c.PostForm("verdict"), Reason: c.PostForm("review_reason")}
		due, err := api.DateInput(c.PostForm, "action_due_on", "Action due date")
		if err == nil {
			in.ActionDue = due
			_, err = p.s.CaseFiles.ReviewItem(c.Request.Context(), actor(c), id, itemID, in)
		}
		if err != nil {
			p.itemFailed(c, renameFields(err, map[string]string{"reason": "review_reason", "action_due_on": "action_due_on-day"}))
			return
		}
		if in.Verdict == "accept" {
			p.app.SetFlash(c, "item-accepted")
		} else {
			p.app.SetFlash(c, "item-rejected")
		}
		api.Redirect(c, casePath(id, "/items/"+strconv.FormatInt(itemID, 10)))
	}
}

// ---------------------------------------------------------------------------------------------
// Evidence

// evidenceFormView is the upload and the reference form.
type evidenceFormView struct {
	caseTab
	Items      []casefile.ItemView
	Supersedes *casefile.EvidenceView
	MaxSize    string
}

// ItemChoices are the checklist items the exhibit may answer.
func (v evidenceFormView) ItemChoices(form url.Values) []item {
	var values, labels []string
	for _, it := range v.Items {
		values, labels = append(values, strconv.FormatInt(it.ID, 10)), append(labels, it.Stage.Label()+": "+it.Text)
	}
	return choiceItems(values, labels, form["item_ids"])
}

// HashItems are the hash algorithm choices of a reference.
func (v evidenceFormView) HashItems(form url.Values) []item {
	return choiceItems(casefile.HashAlgorithms(), casefile.HashAlgorithms(), []string{form.Get("hash_algorithm")})
}

func (p *Pages) evidenceForm(c *gin.Context, view, title string, status int, form url.Values, errs formErrors) {
	v, id, ok := p.caseTab(c, "evidence")
	if !ok {
		return
	}
	ctx, a := c.Request.Context(), actor(c)
	if !v.Case.Actions.AddEvidence {
		api.WriteError(c, core.Forbidden("Only the case team can add evidence, and only while the file is not with the supervisor or the CPS."))
		return
	}
	items, err := p.s.CaseFiles.Checklist(ctx, a, id)
	if err != nil {
		api.WriteError(c, err)
		return
	}
	limit := p.app.Cfg.MaxEvidenceBytes
	if limit <= 0 {
		limit = casefile.DefaultMaxEvidenceBytes
	}
	fv := evidenceFormView{caseTab: v, Items: items, MaxSize: core.HumanBytes(limit)}
	if form == nil {
		form = c.Request.URL.Query()
		if item := form.Get("item"); item != "" {
			form.Set("item_ids", item)
		}
	}
	if sup, err := strconv.ParseInt(form.Get("supersedes"), 10, 64); err == nil && sup > 0 {
		ev, err := p.s.CaseFiles.Exhibit(ctx, a, id, sup)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		fv.Supersedes = &ev
		title = "Correct exhibit " + fv.Supersedes.ExhibitRef
	}
	p.render(c, status, view, page{Title: title, Classification: v.Case.MarkingLine(), Form: form, Errors: errs, Data: fv})
}

// CaseEvidenceForm serves GET /casefiles/:id/evidence/new (?item= preselects a checklist item,
// ?supersedes= corrects an exhibit).
func (p *Pages) CaseEvidenceForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		p.evidenceForm(c, "case_evidence_form", "Upload evidence", http.StatusOK, nil, nil)
	}
}

// evidenceFailed shows an evidence form again with what was wrong; anything but bad input or a
// conflict gets its error page.
func (p *Pages) evidenceFailed(c *gin.Context, err error, view, title string, form url.Values) {
	err = renameFields(err, map[string]string{"produced_on": "produced_on-day", "item_ids": "item_ids"})
	refill(c, err, form, func(status int, form url.Values, errs formErrors) { p.evidenceForm(c, view, title, status, form, errs) })
}

// CaseEvidenceUpload serves POST /casefiles/:id/evidence/new: the fields, then the file,
// streamed into the encrypted store. The upload script asks for a JSON answer (the next page)
// so it can show progress; without it the browser is redirected.
func (p *Pages) CaseEvidenceUpload() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		if err := p.s.CaseFiles.MayUpload(c.Request.Context(), actor(c), id); err != nil {
			api.WriteError(c, err)
			return
		}
		form, err := api.OpenUpload(c)
		if err != nil {
			p.evidenceFailed(c, err, "case_evidence_form", "Upload evidence", url.Values{})
			return
		}
		in, err := api.EvidenceFields(form.Fields)
		if err == nil {
			var up core.Upload
			up, err = form.OnlyFile()
			if err != nil || up.Name == "" {
				err = core.Invalid("file", "Select the exhibit's file")
			} else {
				_, err = p.s.CaseFiles.Upload(c.Request.Context(), actor(c), id, in, up, p.app.Cfg.MaxEvidenceBytes)
			}
		}
		if err != nil {
			p.evidenceFailed(c, err, "case_evidence_form", "Upload evidence", form.Fields)
			return
		}
		p.app.SetFlash(c, "evidence-added")
		next := casePath(id, "/evidence")
		if len(in.ItemIDs) == 1 {
			next = casePath(id, "/items/"+strconv.FormatInt(in.ItemIDs[0], 10))
		}
		if c.GetHeader("X-Upload-Progress") != "" {
			c.JSON(http.StatusCreated, gin.H{"location": next})
			return
		}
		api.Redirect(c, next)
	}
}

// CaseReferenceForm serves GET /casefiles/:id/evidence/reference.
func (p *Pages) CaseReferenceForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		p.evidenceForm(c, "case_reference_form", "Reference media in a force evidence system", http.StatusOK, nil, nil)
	}
}

// CaseReferenceCreate serves POST /casefiles/:id/evidence/reference.
func (p *Pages) CaseReferenceCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		_ = c.Request.ParseForm()
		form := c.Request.PostForm
		in, err := api.EvidenceFields(form)
		if err == nil {
			_, err = p.s.CaseFiles.Reference(c.Request.Context(), actor(c), id, casefile.ReferenceInput{EvidenceInput: in,
				System: form.Get("system"), ExternalID: form.Get("external_id"), HashAlgorithm: form.Get("hash_algorithm"), Hash: form.Get("hash")})
		}
		if err != nil {
			p.evidenceFailed(c, err, "case_reference_form", "Reference media in a force evidence system", form)
			return
		}
		p.app.SetFlash(c, "evidence-referenced")
		api.Redirect(c, casePath(id, "/evidence"))
	}
}

// exhibitView is an exhibit's page with its continuity record.
type exhibitView struct {
	caseTab
	Exhibit casefile.EvidenceView
	Custody []casefile.CustodyEvent
}

// CaseExhibit serves GET /casefiles/:id/evidence/:ev: a view, so a custody event.
func (p *Pages) CaseExhibit() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, id, ok := p.caseTab(c, "evidence")
		if !ok {
			return
		}
		evID, ok := api.PathID(c, "ev")
		if !ok {
			return
		}
		ev, record, err := p.s.CaseFiles.ViewEvidence(c.Request.Context(), actor(c), id, evID)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "case_exhibit", page{Title: "Exhibit " + ev.ExhibitRef + " – " + v.Case.URN, Classification: v.Case.MarkingLine(),
			Data: exhibitView{caseTab: v, Exhibit: ev, Custody: record}})
	}
}

// changesView is the page of what changed in a pack.
type changesView struct {
	caseTab
	Changes packdiff.Changes
}

// CaseChanges serves GET /casefiles/:id/submissions/:number/changes: what changed in a pack
// since the approved pack before it.
func (p *Pages) CaseChanges() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, id, ok := p.caseTab(c, "pack")
		if !ok {
			return
		}
		number, ok := api.PathID(c, "number")
		if !ok {
			return
		}
		ch, err := p.s.CaseFiles.SubmissionChanges(c.Request.Context(), actor(c), id, int(number))
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "case_changes", page{Title: fmt.Sprintf("What changed in pack %d – %s", number, v.Case.URN), Classification: v.Case.MarkingLine(),
			Data: changesView{caseTab: v, Changes: ch}})
	}
}

// ---------------------------------------------------------------------------------------------
// Sign-off and CPS

// packView is the sign-off and CPS tab.
type packView struct {
	Submissions []casefile.SubmissionView
	Shares      []casefile.ShareView
	Actions     []casefile.ActionView // a page of the CPS's entries, newest first
	ActionPager pager                 // where it stands among their pages
	AnswerQuery string                // that page in the address of an answer form, so a refused answer shows it again
	Liaisons    []casefile.Person
	Items       []casefile.ItemView
	Today       time.Time
}

// PurposeItems are the submission purpose radios.
func (v caseTab) PurposeItems(form url.Values) []item {
	return choiceItems([]string{string(casefile.PurposeEarlyAdvice), string(casefile.PurposeCharging)},
		[]string{"Early advice (the file may still be incomplete)", "A charging decision (for the Full Code Test every required early-advice and pre-charge item must be done)"}, []string{form.Get("purpose")})
}

// CategoryItems are the DG6 category radios of a charging submission.
func (v caseTab) CategoryItems(form url.Values) []item {
	return labelledItems(charging.Categories(), form.Get("dg6_category"))
}

// TestItems are the charging test radios, of a submission or a decision.
func (v caseTab) TestItems(form url.Values) []item {
	return labelledItems(charging.Tests(), form.Get("test"))
}

// NFABasisItems are the radios of a no-further-action decision's basis.
func (v caseTab) NFABasisItems(form url.Values) []item {
	return labelledItems(charging.Bases(), form.Get("nfa_basis"))
}

// labelledItems are radios of values that carry their own labels.
func labelledItems[T interface {
	~string
	Label() string
}](values []T, picked string) []item {
	var vs, ls []string
	for _, v := range values {
		vs, ls = append(vs, string(v)), append(ls, v.Label())
	}
	return choiceItems(vs, ls, []string{picked})
}

// chargeRows is how many charges the decision form offers without JavaScript; the API takes
// up to charging.MaxCharges.
const chargeRows = 6

// ChargeRow is one row of the decision form's charges.
type ChargeRow struct {
	N                          int
	Suspect, Statute           string // field names
	OffenceItems               []item
	SuspectValue, StatuteValue string
}

// ChargeRows are the decision form's charge rows, refilled from form; each offers the case's
// offences.
func (v caseTab) ChargeRows(form url.Values) []ChargeRow {
	out := make([]ChargeRow, chargeRows)
	for i := range out {
		n := i + 1
		f := func(part string) string { return "charge-" + strconv.Itoa(n) + "-" + part }
		values, labels := withTerms([]string{""}, []string{"Choose an offence"}, v.Case.OffenceList)
		out[i] = ChargeRow{N: n, Suspect: f("suspect"), Statute: f("statute"), OffenceItems: optionItems(values, labels, form.Get(f("offence"))),
			SuspectValue: form.Get(f("suspect")), StatuteValue: form.Get(f("statute"))}
	}
	return out
}

// LiaisonItems are the CPS liaisons a pack may be shared with.
func (v caseTab) LiaisonItems(form url.Values) []item {
	values, labels := []string{""}, []string{"Choose a CPS liaison"}
	if v.Pack != nil {
		for _, l := range v.Pack.Liaisons {
			values, labels = append(values, strconv.FormatInt(l.ID, 10)), append(labels, l.Name+" ("+l.Organisation+")")
		}
	}
	return optionItems(values, labels, form.Get("liaison_id"))
}

// DecisionItems are the charging decision radios.
func (v caseTab) DecisionItems(form url.Values) []item {
	values, labels := withTerms(nil, nil, casefile.Decisions())
	return choiceItems(values, labels, []string{form.Get("decision")})
}

// ActionItemChoices are the checklist items an action may concern.
func (v caseTab) ActionItemChoices(form url.Values) []item {
	values, labels := []string{""}, []string{"No particular item"}
	if v.Pack != nil {
		for _, it := range v.Pack.Items {
			values, labels = append(values, strconv.FormatInt(it.ID, 10)), append(labels, it.Text)
		}
	}
	return optionItems(values, labels, form.Get("item_id"))
}

// actionsPage is how many of the CPS's entries a page of the sign-off and CPS tab lists.
const actionsPage = 50

// ActionCount says how many entries the CPS made on the case: "12 entries".
func (v packView) ActionCount() string { return counted(v.ActionPager.Total, "entry", "entries") }

func (p *Pages) packPage(c *gin.Context, status int, form url.Values, errs formErrors) {
	v, id, ok := p.caseTab(c, "pack")
	if !ok {
		return
	}
	ctx, a := c.Request.Context(), actor(c)
	pv := &packView{Today: time.Now()}
	var err error
	if pv.Submissions, err = p.s.CaseFiles.Submissions(ctx, a, id); err == nil {
		if pv.Shares, err = p.s.CaseFiles.Shares(ctx, a, id); err == nil {
			var actions casefile.ActionPage
			if actions, err = p.s.CaseFiles.Actions(ctx, a, id, c.Query("actions_after"), actionsPage); err == nil && v.Case.Actions.Action {
				pv.Items, err = p.s.CaseFiles.Checklist(ctx, a, id)
			}
			pv.Actions, pv.ActionPager = actions.Actions, listPager(c, casePath(id, "/pack"), "actions", len(actions.Actions), actionsPage, actions.Pages, "CPS advice, decisions and actions")
		}
	}
	if err == nil && v.Case.Actions.Share {
		pv.Liaisons, err = p.s.CaseFiles.Liaisons(ctx, a)
	}
	if err != nil {
		api.WriteError(c, err)
		return
	}
	if q := c.Request.URL.Query(); q.Get("actions_after") != "" {
		pv.AnswerQuery = "?" + url.Values{"actions_after": q["actions_after"], "actions_from": q["actions_from"]}.Encode()
	}
	v.Pack = pv
	p.renderTab(c, status, "case_pack", "Sign-off and CPS", v, form, errs)
}

// CasePack serves GET /casefiles/:id/pack.
func (p *Pages) CasePack() gin.HandlerFunc {
	return func(c *gin.Context) { p.packPage(c, http.StatusOK, nil, nil) }
}

// packAction serves one form of the sign-off and CPS tab: on success back to the tab with a
// message; on bad input the tab again with the error at its field (names map a model field to
// the field's id on the page, since several forms share names).
func (p *Pages) packAction(flash, defaultField string, names map[string]string, do func(c *gin.Context, id int64) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		err := do(c, id)
		if err == nil {
			p.app.SetFlash(c, flash)
			api.Redirect(c, casePath(id, "/pack"))
			return
		}
		err = renameFields(err, names)
		var me *core.Error
		if errors.As(err, &me) && me.Field != "" && !slices.Contains(mapValues(names), me.Field) {
			// A field the pack page does not have: the error belongs to the action's own field.
			err = &core.Error{Code: me.Code, Field: defaultField, Message: me.Message}
		}
		refill(c, err, nil, func(status int, form url.Values, errs formErrors) { p.packPage(c, status, form, errs) })
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// CaseSubmit serves POST /casefiles/:id/submit.
func (p *Pages) CaseSubmit() gin.HandlerFunc {
	return p.packAction("pack-submitted", "purpose", map[string]string{"purpose": "purpose", "dg6_category": "dg6_category", "test": "test"}, func(c *gin.Context, id int64) error {
		_, err := p.s.CaseFiles.Submit(c.Request.Context(), actor(c), id, casefile.SubmitInput{Purpose: casefile.Purpose(c.PostForm("purpose")),
			Submission: charging.Submission{Category: charging.Category(c.PostForm("dg6_category")), Test: charging.Test(c.PostForm("test"))}})
		return err
	})
}

// CaseApprove serves POST /casefiles/:id/approve.
func (p *Pages) CaseApprove() gin.HandlerFunc {
	return p.packAction("pack-approved", "return-reason", map[string]string{}, func(c *gin.Context, id int64) error {
		_, err := p.s.CaseFiles.Approve(c.Request.Context(), actor(c), id)
		return err
	})
}

// CaseReturn serves POST /casefiles/:id/return.
func (p *Pages) CaseReturn() gin.HandlerFunc {
	return p.packAction("pack-returned", "return-reason", map[string]string{"reason": "return-reason"}, func(c *gin.Context, id int64) error {
		_, err := p.s.CaseFiles.Return(c.Request.Context(), actor(c), id, c.PostForm("reason"))
		return err
	})
}

// CaseShare serves POST /casefiles/:id/shares.
func (p *Pages) CaseShare() gin.HandlerFunc {
	return p.packAction("pack-shared", "liaison_id", map[string]string{"liaison_id": "liaison_id", "expires_on": "expires_on-day"}, func(c *gin.Context, id int64) error {
		day, err := api.DateInput(c.PostForm, "expires_on", "Last day of the share")
		if err != nil {
			return err
		}
		liaison, _ := strconv.ParseInt(c.PostForm("liaison_id"), 10, 64)
		_, err = p.s.CaseFiles.Share(c.Request.Context(), actor(c), id, casefile.ShareInput{LiaisonID: liaison, ExpiresOn: day})
		return err
	})
}

// CaseShareRevoke serves POST /casefiles/:id/shares/:share/revoke.
func (p *Pages) CaseShareRevoke() gin.HandlerFunc {
	return p.packAction("share-revoked", "liaison_id", map[string]string{}, func(c *gin.Context, id int64) error {
		share, err := api.ParsePathID(c, "share")
		if err != nil {
			return err
		}
		return p.s.CaseFiles.RevokeShare(c.Request.Context(), actor(c), id, share)
	})
}

// CaseAdvice serves POST /casefiles/:id/advice.
func (p *Pages) CaseAdvice() gin.HandlerFunc {
	return p.packAction("advice-recorded", "advice", map[string]string{"text": "advice"}, func(c *gin.Context, id int64) error {
		_, err := p.s.CaseFiles.RecordAdvice(c.Request.Context(), actor(c), id, c.PostForm("advice"))
		return err
	})
}

// CaseDecision serves POST /casefiles/:id/decision: the decision, its test and review date,
// the charges (one row each: blank rows are left out) or the basis of no further action.
func (p *Pages) CaseDecision() gin.HandlerFunc {
	names := map[string]string{"decision": "decision", "reasons": "reasons", "action": "decision-action", "due_on": "decision_due_on-day", "action_due_on": "decision_due_on-day",
		"test": "test", "review_on": "review_on-day", "nfa_basis": "nfa_basis", "charges": "charge-1-suspect"}
	for i := range charging.MaxCharges {
		for _, part := range []string{"suspect", "offence", "statute"} {
			names[fmt.Sprintf("charges.%d.%s", i, part)] = fmt.Sprintf("charge-%d-%s", i+1, part)
		}
	}
	return p.packAction("decision-recorded", "decision", names, func(c *gin.Context, id int64) error {
		due, err := api.DateInput(c.PostForm, "decision_due_on", "Action due date")
		if err != nil {
			return renameFields(err, map[string]string{"decision_due_on": "action_due_on"})
		}
		review, err := api.DateInput(c.PostForm, "review_on", "Review date")
		if err != nil {
			return err
		}
		var charges []charging.Charge
		for n := 1; n <= chargeRows; n++ {
			f := func(part string) string { return c.PostForm("charge-" + strconv.Itoa(n) + "-" + part) }
			charges = append(charges, charging.Charge{Suspect: f("suspect"), Offence: f("offence"), Statute: f("statute")})
		}
		_, err = p.s.CaseFiles.RecordDecision(c.Request.Context(), actor(c), id, casefile.DecisionInput{Decision: casefile.Decision(c.PostForm("decision")),
			Reasons: c.PostForm("reasons"), Action: c.PostForm("decision_action"), ActionDue: due,
			Terms: charging.Terms{Test: charging.Test(c.PostForm("test")), ReviewOn: review, Charges: charges, Basis: charging.Basis(c.PostForm("nfa_basis"))}})
		return err
	})
}

// CaseCharge serves POST /casefiles/:id/charge: the police record the charge the CPS authorised.
func (p *Pages) CaseCharge() gin.HandlerFunc {
	return p.packAction("charge-recorded", "charged_by", map[string]string{"charged_on": "charged_on-day", "charged_by": "charged_by"}, func(c *gin.Context, id int64) error {
		day, err := api.DateInput(c.PostForm, "charged_on", "Date of charge")
		if err != nil {
			return err
		}
		_, err = p.s.CaseFiles.RecordCharge(c.Request.Context(), actor(c), id, casefile.ChargeInput{ChargedOn: day, ChargedBy: c.PostForm("charged_by")})
		return err
	})
}

// CaseAction serves POST /casefiles/:id/actions.
func (p *Pages) CaseAction() gin.HandlerFunc {
	return p.packAction("action-raised", "action-text", map[string]string{"text": "action-text", "due_on": "due_on-day", "item_id": "item_id"}, func(c *gin.Context, id int64) error {
		due, err := api.DateInput(c.PostForm, "due_on", "Due date")
		if err != nil {
			return err
		}
		item, _ := strconv.ParseInt(c.PostForm("item_id"), 10, 64)
		_, err = p.s.CaseFiles.RaiseAction(c.Request.Context(), actor(c), id, casefile.ActionInput{Text: c.PostForm("text"), DueOn: due, ItemID: item})
		return err
	})
}

// CaseActionAnswer serves POST /casefiles/:id/actions/:action/answer.
func (p *Pages) CaseActionAnswer() gin.HandlerFunc {
	return func(c *gin.Context) {
		action := c.Param("action")
		p.packAction("action-answered", "response-"+action, map[string]string{"response": "response-" + action}, func(c *gin.Context, id int64) error {
			actionID, err := api.ParsePathID(c, "action")
			if err != nil {
				return err
			}
			_, err = p.s.CaseFiles.AnswerAction(c.Request.Context(), actor(c), id, actionID, c.PostForm("response"))
			return err
		})(c)
	}
}

// CaseFinalise serves POST /casefiles/:id/finalise.
func (p *Pages) CaseFinalise() gin.HandlerFunc {
	return p.packAction("case-finalised", "finalise-reason", map[string]string{"reason": "finalise-reason"}, func(c *gin.Context, id int64) error {
		return p.s.CaseFiles.Finalise(c.Request.Context(), actor(c), id, c.PostForm("reason"))
	})
}

// CaseClose serves POST /casefiles/:id/close.
func (p *Pages) CaseClose() gin.HandlerFunc {
	return p.packAction("case-closed", "purpose", map[string]string{}, func(c *gin.Context, id int64) error {
		return p.s.CaseFiles.Close(c.Request.Context(), actor(c), id)
	})
}

// ---------------------------------------------------------------------------------------------
// The team

// CaseMemberAdd serves POST /casefiles/:id/team.
func (p *Pages) CaseMemberAdd() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		_, err := p.s.CaseFiles.AddMember(c.Request.Context(), actor(c), id, casefile.MemberInput{Email: c.PostForm("email"),
			LegalBasis: casefile.LegalBasis(c.PostForm("legal_basis")), BasisDetail: c.PostForm("basis_detail")})
		if err != nil {
			refill(c, err, nil, func(status int, form url.Values, errs formErrors) {
				if v, _, ok := p.caseTab(c, "team"); ok {
					p.teamPage(c, v, id, status, form, errs)
				}
			})
			return
		}
		p.app.SetFlash(c, "member-added")
		api.Redirect(c, casePath(id, "/team"))
	}
}

// CaseMemberRemove serves POST /casefiles/:id/team/:member/remove.
func (p *Pages) CaseMemberRemove() gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := api.PathIDs(c, "id", "member")
		if !ok {
			return
		}
		id, member := ids[0], ids[1]
		p.done(c, p.s.CaseFiles.RemoveMember(c.Request.Context(), actor(c), id, member), "member-removed", casePath(id, "/team"))
	}
}

// ---------------------------------------------------------------------------------------------
// Checklist templates

// templatesView is the templates list, or one template's versions.
type templatesView struct {
	Templates []casefile.ChecklistTemplate
	Code      string
	AppliesTo string
}

// CaseTemplates serves GET /casefiles/templates.
func (p *Pages) CaseTemplates() gin.HandlerFunc {
	return func(c *gin.Context) {
		ts, err := p.s.Templates.Latest(c.Request.Context(), actor(c))
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "case_templates", page{Title: "Checklist templates", Data: templatesView{Templates: ts}})
	}
}

// AppliesTo says which cases get a template.
func (templatesView) Applies(code string) string { return casefile.TemplateAppliesTo(code) }

// CaseTemplate serves GET /casefiles/templates/:code: every version, newest first.
func (p *Pages) CaseTemplate() gin.HandlerFunc {
	return func(c *gin.Context) {
		code := c.Param("code")
		ts, err := p.s.Templates.Versions(c.Request.Context(), actor(c), code)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "case_template", page{Title: ts[0].Title, Data: templatesView{Templates: ts, Code: code, AppliesTo: casefile.TemplateAppliesTo(code)}})
	}
}

// templateFormView is the new-version form: the latest version's items, and three empty rows.
type templateFormView struct {
	Latest casefile.ChecklistTemplate
	Rows   []int
}

// StageItems are a row's stage choices.
func (templateFormView) StageItems(form url.Values, row int) []item {
	var values, labels []string
	for _, s := range casefile.Stages() {
		values, labels = append(values, string(s)), append(labels, string(s)+" – "+s.Label())
	}
	return optionItems(values, labels, form.Get("items-"+strconv.Itoa(row)+"-stage"))
}

// Field names a row's field: items-3-text.
func (templateFormView) Field(row int, name string) string {
	return "items-" + strconv.Itoa(row) + "-" + name
}

// Number is a row's number for people.
func (templateFormView) Number(row int) int { return row + 1 }

func (p *Pages) templateForm(c *gin.Context, status int, form url.Values, errs formErrors) {
	code := c.Param("code")
	a := actor(c)
	ts, err := p.s.Templates.Versions(c.Request.Context(), a, code)
	if err == nil {
		err = p.s.Templates.MayEdit(c.Request.Context(), a)
	}
	if err != nil {
		api.WriteError(c, err)
		return
	}
	v := templateFormView{Latest: ts[0]}
	rows := len(ts[0].Items) + 3
	if form == nil {
		form = url.Values{"title": {ts[0].Title}}
		for i, it := range ts[0].Items {
			form.Set(v.Field(i, "text"), it.Text)
			form.Set(v.Field(i, "why"), it.Why)
			form.Set(v.Field(i, "form"), it.Form)
			form.Set(v.Field(i, "stage"), string(it.Stage))
			if it.Required {
				form.Set(v.Field(i, "required"), "yes")
			}
		}
	} else {
		for k := range form {
			if strings.HasPrefix(k, "items-") {
				if n, err := strconv.Atoi(strings.Split(k, "-")[1]); err == nil && n+1 > rows {
					rows = n + 1
				}
			}
		}
	}
	for i := range min(rows, 100) {
		v.Rows = append(v.Rows, i)
	}
	p.render(c, status, "case_template_form", page{Title: "New version of " + ts[0].Title, Form: form, Errors: errs, Data: v})
}

// CaseTemplateForm serves GET /casefiles/templates/:code/new-version.
func (p *Pages) CaseTemplateForm() gin.HandlerFunc {
	return func(c *gin.Context) { p.templateForm(c, http.StatusOK, nil, nil) }
}

// CaseTemplateSave serves POST /casefiles/templates/:code/new-version.
func (p *Pages) CaseTemplateSave() gin.HandlerFunc {
	return func(c *gin.Context) {
		code := c.Param("code")
		_ = c.Request.ParseForm()
		form := c.Request.PostForm
		in := templates.Input{Title: form.Get("title"), ChangeNote: form.Get("change_note")}
		for i := range 100 {
			f := func(name string) string { return form.Get("items-" + strconv.Itoa(i) + "-" + name) }
			if _, ok := form["items-"+strconv.Itoa(i)+"-text"]; !ok {
				continue
			}
			in.Items = append(in.Items, templates.ItemInput{Text: f("text"), Why: f("why"), Form: f("form"), Stage: casefile.Stage(f("stage")), Required: f("required") == "yes"})
		}
		if _, err := p.s.Templates.NewVersion(c.Request.Context(), actor(c), code, in); err != nil {
			refill(c, err, form, func(status int, form url.Values, errs formErrors) { p.templateForm(c, status, form, errs) })
			return
		}
		p.app.SetFlash(c, "template-saved")
		api.Redirect(c, "/casefiles/templates/"+url.PathEscape(code))
	}
}
