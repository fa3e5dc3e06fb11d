package frontend

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/terms"
)

// Pages of the operations database (issue 12). Every page calls one models operation, which
// decides access: an operation the actor may not see is "Page not found" on every page.

func operationPath(id int64, suffix string) string {
	return "/operations/" + strconv.FormatInt(id, 10) + suffix
}

// operationTag is the GOV.UK tag colour of an operation's status.
func operationTag(s terms.Status) string {
	switch s {
	case terms.StatusLive:
		return "govuk-tag--green"
	case terms.StatusSuspended:
		return "govuk-tag--yellow"
	}
	return "govuk-tag--grey"
}

// formDay reads the GOV.UK date input name, adding a problem when it is no real date.
func formDay(c *gin.Context, p *core.Problems, name, label string) *time.Time {
	d, err := api.DateInput(c.PostForm, name, label)
	if err != nil {
		p.Check(err)
		return nil
	}
	return d
}

// today is today in London, for the checks a page runs itself when a date could not be read.
func today() time.Time { return operations.Today(time.Now()) }

func exploitationItems(form url.Values) []item {
	values, labels := withTerms(nil, nil, terms.Exploitations())
	return choiceItems(values, labels, form["exploitation"])
}

func exploitations(c *gin.Context) []terms.Exploitation {
	var out []terms.Exploitation
	for _, e := range c.PostFormArray("exploitation") {
		out = append(out, terms.Exploitation(e))
	}
	return out
}

func yes(c *gin.Context, name string) bool { return c.PostForm(name) == "yes" }

func setYes(form url.Values, name string, on bool) {
	if on {
		form.Set(name, "yes")
	}
}

func flagItem(form url.Values, name, text string) item {
	return item{"value": "yes", "text": text, "checked": form.Get(name) == "yes", "name": name, "id": name}
}

// ---------------------------------------------------------------------------------------------
// The list

type operationRow struct {
	operations.Summary
	Tag string
}

type operationListView struct {
	Rows      []operationRow
	Pager     pager
	Actions   core.Actions
	MayImport bool // may import operations from a spreadsheet
	Status    string
}

// StatusItems are the status filter's options.
func (v operationListView) StatusItems() []item {
	values, labels := withTerms([]string{""}, []string{"Any status"}, terms.Statuses())
	return optionItems(values, labels, v.Status)
}

// Operations serves GET /operations: the operations the actor may see, most recently changed first.
func (p *Pages) Operations() gin.HandlerFunc {
	return func(c *gin.Context) {
		f := operations.Filter{Query: c.Query("q")}
		if st := c.Query("status"); st != "" {
			f.Status = []terms.Status{terms.Status(st)}
		}
		res, err := p.s.Operations.List(c.Request.Context(), actor(c), f, c.Query("after"), 50)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		v := operationListView{Actions: res.Actions, Status: c.Query("status"), MayImport: p.s.OperationsImport.MayImport(c.Request.Context(), actor(c)) == nil}
		for _, r := range res.Operations {
			v.Rows = append(v.Rows, operationRow{Summary: r, Tag: operationTag(r.Status)})
		}
		v.Pager = linkTo("/operations", c.Request.URL.Query(), res.Next)
		p.render(c, http.StatusOK, "operations", page{Title: "Operations", Form: c.Request.URL.Query(), Data: v})
	}
}

// ---------------------------------------------------------------------------------------------
// Recording and changing an operation

type operationFormView struct {
	Operation *operations.OperationView
	Partners  []operations.Partner
}

// StatusItems are the status radios.
func (v operationFormView) StatusItems(form url.Values) []item {
	values, labels := withTerms(nil, nil, terms.Statuses())
	return choiceItems(values, labels, []string{form.Get("status")})
}

// ExploitationItems are the exploitation checkboxes.
func (v operationFormView) ExploitationItems(form url.Values) []item { return exploitationItems(form) }

// FlagItems are the operation's flags.
func (v operationFormView) FlagItems(form url.Values) []item {
	return []item{
		flagItem(form, "children_involved", "Children are involved"),
		flagItem(form, "organised_crime_group", "An organised crime group is involved"),
		flagItem(form, "cross_border", "International or cross-border"),
		flagItem(form, "covert", "Covert (counted only nationally, never in force figures, until it is closed)"),
	}
}

// PartnerItems are the partner organisations' checkboxes.
func (v operationFormView) PartnerItems(form url.Values) []item {
	var values, labels []string
	for _, o := range v.Partners {
		values, labels = append(values, o.Slug), append(labels, o.Name)
	}
	return choiceItems(values, labels, form["partners"])
}

// operationForm reads the operation form, with the problems of dates that are not real dates.
func operationForm(c *gin.Context) (operations.OperationInput, core.Problems) {
	var p core.Problems
	in := operations.OperationInput{Reference: c.PostForm("reference"), Name: c.PostForm("name"), LeadOfficer: c.PostForm("lead_officer"),
		Status: terms.Status(c.PostForm("status")), Exploitation: exploitations(c), Children: yes(c, "children_involved"),
		OrganisedCrime: yes(c, "organised_crime_group"), CrossBorder: yes(c, "cross_border"), Covert: yes(c, "covert"), Partners: c.PostFormArray("partners")}
	if d := formDay(c, &p, operations.FieldStartedOn, "The date the operation started"); d != nil {
		in.StartedOn = *d
	}
	in.EndedOn = formDay(c, &p, operations.FieldEndedOn, "The date the operation ended")
	return in, p
}

func operationFormValues(in operations.OperationInput) url.Values {
	form := url.Values{"reference": {in.Reference}, "name": {in.Name}, "lead_officer": {in.LeadOfficer}, "status": {string(in.Status)}, "partners": in.Partners}
	for _, e := range in.Exploitation {
		form.Add("exploitation", string(e))
	}
	if !in.StartedOn.IsZero() {
		dateFields(form, operations.FieldStartedOn, &in.StartedOn)
	}
	dateFields(form, operations.FieldEndedOn, in.EndedOn)
	setYes(form, "children_involved", in.Children)
	setYes(form, "organised_crime_group", in.OrganisedCrime)
	setYes(form, "cross_border", in.CrossBorder)
	setYes(form, "covert", in.Covert)
	return form
}

// OperationNewForm serves GET /operations/new.
func (p *Pages) OperationNewForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		partners, err := p.s.Operations.PartnerChoices(c.Request.Context(), actor(c), 0)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		a := actor(c)
		p.render(c, http.StatusOK, "operation_form", page{Title: "Record an operation", Form: url.Values{"lead_officer": {a.Email}, "status": {string(terms.StatusLive)}},
			Data: operationFormView{Partners: partners}})
	}
}

// OperationCreate serves POST /operations/new.
func (p *Pages) OperationCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, a := c.Request.Context(), actor(c)
		in, problems := operationForm(c)
		var err error
		var v operations.OperationView
		if problems.Len() > 0 {
			in.CheckOn(&problems, today())
			err = problems.Err()
		} else {
			v, err = p.s.Operations.Create(ctx, a, in)
		}
		if err != nil {
			partners, perr := p.s.Operations.PartnerChoices(ctx, a, 0)
			if perr != nil {
				api.WriteError(c, perr)
				return
			}
			p.formFailed(c, err, "operation_form", page{Title: "Record an operation", Data: operationFormView{Partners: partners}}, "reference")
			return
		}
		p.done(c, nil, "operation-created", operationPath(v.ID, ""))
	}
}

// OperationEditForm serves GET /operations/:id/edit.
func (p *Pages) OperationEditForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		v, pg, ok := p.operationEditPage(c, id)
		if !ok {
			return
		}
		pg.Form = operationFormValues(v.Input())
		p.render(c, http.StatusOK, "operation_form", pg)
	}
}

// operationEditPage is the change page of operation id without its values; it answers errors
// itself (ok false).
func (p *Pages) operationEditPage(c *gin.Context, id int64) (operations.OperationView, page, bool) {
	ctx, a := c.Request.Context(), actor(c)
	v, err := p.s.Operations.Get(ctx, a, id)
	if err == nil && !v.Actions.Update {
		err = core.Forbidden("Only the people named on this operation and its organisation's supervisors can change it.")
	}
	var partners []operations.Partner
	if err == nil {
		partners, err = p.s.Operations.PartnerChoices(ctx, a, id)
	}
	if err != nil {
		api.WriteError(c, err)
		return v, page{}, false
	}
	return v, page{Title: "Change the operation", Classification: v.Marking, Data: operationFormView{Operation: &v, Partners: partners}}, true
}

// OperationUpdate serves POST /operations/:id/edit.
func (p *Pages) OperationUpdate() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		in, problems := operationForm(c)
		var err error
		if problems.Len() > 0 {
			in.CheckOn(&problems, today())
			err = problems.Err()
		} else {
			_, err = p.s.Operations.Update(c.Request.Context(), actor(c), id, in)
		}
		if err != nil {
			if _, pg, ok := p.operationEditPage(c, id); ok {
				p.formFailed(c, err, "operation_form", pg, "reference")
			}
			return
		}
		p.done(c, nil, "operation-updated", operationPath(id, ""))
	}
}

// ---------------------------------------------------------------------------------------------
// The operation page

type operationPageView struct {
	Op           operations.OperationView
	Tag          string
	VictimPager  pager                  // where the page of potential victims stands among theirs
	SuspectPager pager                  // and the page of suspects among theirs
	CaseChoices  []casefile.CaseSummary // case files the actor may link: a page of those they may change
	CaseAfter    string                 // where that page starts ("": the first)
	CasePager    pager                  // the other pages of them
}

// caseChoicesPage is how many case files the link form offers at once.
const caseChoicesPage = 50

// peoplePage is how many potential victims, and how many suspects, the operation page lists at once.
const peoplePage = 50

// VictimCount says how many potential victims the operation has: "412 potential victims".
func (v operationPageView) VictimCount() string {
	return counted(v.Op.VictimPages.Total, "potential victim", "potential victims")
}

// SuspectCount says how many suspects the operation has.
func (v operationPageView) SuspectCount() string {
	return counted(v.Op.SuspectPages.Total, "suspect", "suspects")
}

func counted(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

// MoreCases says whether the case files the actor may link run to other pages.
func (v operationPageView) MoreCases() bool {
	return v.CasePager.NextURL != "" || v.CasePager.PrevURL != ""
}

// CaseHint is the hint of the choice of a case file to link.
func (v operationPageView) CaseHint() string {
	hint := "A case file belongs to at most one operation. You must be on its team."
	if v.MoreCases() {
		hint += " Your case files are listed a page at a time, most recently changed first: the links under the button show the others."
	}
	return hint
}

// CaseItems are the case files the actor may link, as select options.
func (v operationPageView) CaseItems(form url.Values) []item {
	values, labels := []string{""}, []string{"Choose a case file"}
	for _, cs := range v.CaseChoices {
		values, labels = append(values, strconv.FormatInt(cs.ID, 10)), append(labels, cs.URN+" ("+casefile.OperationTitle(cs.Operation)+")")
	}
	return optionItems(values, labels, form.Get("case_id"))
}

// CaseOf is the URN of the case file a person is on, or says it is one the reader may not see.
func (v operationPageView) CaseOf(p operations.PersonView) string {
	if p.CaseHidden {
		return hiddenCase
	}
	return caseURN(v.Op, p.CaseID)
}

func caseURN(op operations.OperationView, id *int64) string {
	if id == nil {
		return ""
	}
	for _, cs := range op.Cases {
		if cs.CaseID == *id {
			return cs.URN
		}
	}
	return hiddenCase
}

// hiddenCase names a linked case file the reader may not see.
const hiddenCase = "A case file you cannot see"

// OtherCases says how many linked case files the reader may not see ("" when none).
func (v operationPageView) OtherCases() string {
	switch n := v.Op.OtherCases; {
	case n == 0:
		return ""
	case n == 1:
		return "1 other case file you cannot see is linked to this operation."
	default:
		return strconv.Itoa(n) + " other case files you cannot see are linked to this operation."
	}
}

// Operation serves GET /operations/:id.
func (p *Pages) Operation() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		p.operationPage(c, id, http.StatusOK, nil, nil)
	}
}

// operationPage renders the operation page, with a form of it posted and refused when errs.
func (p *Pages) operationPage(c *gin.Context, id int64, status int, form url.Values, errs formErrors) {
	ctx, a := c.Request.Context(), actor(c)
	// The people's pages, each from its own link (none on a form that comes back refused).
	v, err := p.s.Operations.GetPaged(ctx, a, id, operations.Paging{VictimsAfter: c.Query("victims_after"), SuspectsAfter: c.Query("suspects_after"), Limit: peoplePage})
	if err != nil {
		api.WriteError(c, err)
		return
	}
	pv := operationPageView{Op: v, Tag: operationTag(v.Status),
		VictimPager:  listPager(c, operationPath(id, ""), "victims", len(v.Victims), peoplePage, v.VictimPages, "potential victims"),
		SuspectPager: listPager(c, operationPath(id, ""), "suspects", len(v.Suspects), peoplePage, v.SuspectPages, "suspects")}
	if v.Actions.Update {
		// The case files they may change (only their team links a case file), a page at a
		// time: the page's "after", or the form's when a link form comes back refused.
		pv.CaseAfter = c.Query("after")
		if pv.CaseAfter == "" {
			pv.CaseAfter = c.PostForm("after")
		}
		cases, err := p.s.CaseFiles.List(ctx, a, casefile.CaseFilter{Changeable: true}, pv.CaseAfter, caseChoicesPage)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		link := func(cursor string) string {
			if cursor == "" {
				return ""
			}
			q := c.Request.URL.Query() // the lists of people stay where they are
			q.Set("after", cursor)
			return operationPath(id, "?"+q.Encode()+"#link-case")
		}
		pv.CasePager = pager{NextURL: link(cases.Next), PrevURL: link(cases.Prev), Of: "case files to link"}
		linked := map[int64]bool{}
		for _, lc := range v.Cases {
			linked[lc.CaseID] = true
		}
		for _, cs := range cases.Cases {
			if !linked[cs.ID] {
				pv.CaseChoices = append(pv.CaseChoices, cs)
			}
		}
	}
	p.render(c, status, "operation", page{Title: v.Title, Classification: v.Marking, Form: form, Errors: errs, Data: pv})
}

// operationAction answers a form posted on the operation page: the page again with the error at
// field, or the flash and the operation page.
func (p *Pages) operationAction(c *gin.Context, id int64, err error, field, flash string) {
	if err != nil {
		refill(c, atField(err, field), nil, func(status int, form url.Values, errs formErrors) {
			p.operationPage(c, id, status, form, errs)
		})
		return
	}
	p.done(c, nil, flash, operationPath(id, ""))
}

// OperationMemberAdd serves POST /operations/:id/members.
func (p *Pages) OperationMemberAdd() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		_, err := p.s.Operations.AddMember(c.Request.Context(), actor(c), id, c.PostForm("email"))
		p.operationAction(c, id, err, "email", "operation-member-added")
	}
}

// OperationMemberRemove serves POST /operations/:id/members/:member/remove.
func (p *Pages) OperationMemberRemove() gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := api.PathIDs(c, "id", "member")
		if !ok {
			return
		}
		p.done(c, p.s.Operations.RemoveMember(c.Request.Context(), actor(c), ids[0], ids[1]), "operation-member-removed", operationPath(ids[0], ""))
	}
}

// OperationCaseLink serves POST /operations/:id/cases.
func (p *Pages) OperationCaseLink() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		caseID, _ := strconv.ParseInt(c.PostForm("case_id"), 10, 64)
		err := p.s.Operations.LinkCase(c.Request.Context(), actor(c), id, caseID)
		err = caseChoice(err, "Select a case file you work on: only its team can link it to an operation")
		p.operationAction(c, id, err, "case_id", "operation-case-linked")
	}
}

// caseChoice is err, a refusal of the case file chosen at case_id (one the actor may not see
// or not change), as a choice to make again with message: the operation is theirs, so it is not
// a missing page.
func caseChoice(err error, message string) error {
	if me, ok := err.(*core.Error); ok && (me.Code == core.ENOTFOUND || me.Code == core.EFORBIDDEN) && me.Field == "case_id" {
		return core.Invalid("case_id", message)
	}
	return err
}

// OperationCaseUnlink serves POST /operations/:id/cases/:case/unlink.
func (p *Pages) OperationCaseUnlink() gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := api.PathIDs(c, "id", "case")
		if !ok {
			return
		}
		p.done(c, p.s.Operations.UnlinkCase(c.Request.Context(), actor(c), ids[0], ids[1]), "operation-case-unlinked", operationPath(ids[0], ""))
	}
}

// ---------------------------------------------------------------------------------------------
// Potential victims and suspects

// personFormView is the form of a potential victim or a suspect of an operation.
type personFormView struct {
	Kind    string // operations.KindVictim or KindSuspect
	Op      operations.OperationView
	Victim  *operations.VictimView
	Suspect *operations.SuspectView
	Action  string
}

// Who is what the form calls the person.
func (v personFormView) Who() string {
	if v.Kind == operations.KindVictim {
		return "potential victim"
	}
	return "suspect"
}

// AgeLabel asks for the person's age when it matters: at the time of the exploitation or of the offences.
func (v personFormView) AgeLabel() string {
	if v.Kind == operations.KindVictim {
		return "Age at the time of exploitation"
	}
	return "Age at the time of the offences"
}

func (v personFormView) AgeBandItems(form url.Values) []item {
	values, labels := withTerms([]string{""}, []string{"Choose an age band"}, terms.AgeBands())
	return optionItems(values, labels, form.Get("age_band"))
}

func (v personFormView) SexItems(form url.Values) []item {
	values, labels := withTerms(nil, nil, terms.Sexes())
	return choiceItems(values, labels, []string{form.Get("sex")})
}

func (v personFormView) NationalityItems(form url.Values) []item {
	values, labels := []string{""}, []string{"Not known"}
	for _, n := range terms.Nationalities() {
		values, labels = append(values, n.Code), append(labels, n.Name)
	}
	return optionItems(values, labels, strings.ToUpper(form.Get("nationality")))
}

func (v personFormView) ExploitationItems(form url.Values) []item { return exploitationItems(form) }

func (v personFormView) FirstResponderItems(form url.Values) []item {
	values, labels := withTerms([]string{""}, []string{"No NRM referral"}, terms.FirstResponders())
	return optionItems(values, labels, form.Get("first_responder"))
}

// DecisionItems are the radios of an NRM decision (rg_outcome or cg_outcome).
func (v personFormView) DecisionItems(form url.Values, name string) []item {
	return choiceItems([]string{"", string(terms.DecisionPositive), string(terms.DecisionNegative)}, []string{"No decision yet", "Positive", "Negative"}, []string{form.Get(name)})
}

func (v personFormView) VictimFlagItems(form url.Values) []item {
	return []item{
		flagItem(form, "duty_to_notify", "Duty to Notify: an adult who did not consent to an NRM referral was notified to the Home Office (MS1)"),
		flagItem(form, "safeguarding", "Safeguarding in place"),
		flagItem(form, "support_accepted", "Support accepted"),
	}
}

func (v personFormView) RoleItems(form url.Values) []item {
	values, labels := withTerms([]string{""}, []string{"Choose a role"}, terms.SuspectRoles())
	return optionItems(values, labels, form.Get("role"))
}

func (v personFormView) SuspectFlagItems(form url.Values) []item {
	return []item{
		flagItem(form, "s45_raised", "The s45 defence has been raised"),
		flagItem(form, "stpo", "Slavery and trafficking prevention order made on conviction"),
		flagItem(form, "reparation_order", "Reparation order made on conviction"),
	}
}

// CaseHidden says the person is on a case file the reader may not see.
func (v personFormView) CaseHidden() bool {
	return (v.Victim != nil && v.Victim.CaseHidden) || (v.Suspect != nil && v.Suspect.CaseHidden)
}

// keepCase is the choice of case file that leaves the person on the one they are on: the choice
// a person on a case file the reader may not see is offered, since its id is never given.
const keepCase = "keep"

// CaseItems are the operation's case files the reader may see, for attaching the person to
// one, and, first, keeping them as they are when they are on one the reader may not see (so
// that saving the form leaves it, without naming it).
func (v personFormView) CaseItems(form url.Values) []item {
	values, labels := []string{"0"}, []string{"None"}
	if v.CaseHidden() {
		values, labels = []string{keepCase, "0"}, []string{"Keep as it is: " + strings.ToLower(hiddenCase[:1]) + hiddenCase[1:], "None"}
	}
	for _, cs := range v.Op.Cases {
		values, labels = append(values, strconv.FormatInt(cs.CaseID, 10)), append(labels, cs.URN)
	}
	return optionItems(values, labels, form.Get("case_id"))
}

func personForm(c *gin.Context) operations.PersonInput {
	return operations.PersonInput{Reference: c.PostForm("reference"), AgeBand: terms.AgeBand(c.PostForm("age_band")), Sex: terms.Sex(c.PostForm("sex")),
		Nationality: c.PostForm("nationality"), Exploitation: exploitations(c)}
}

func personValues(in operations.PersonInput, p operations.PersonView) url.Values {
	form := url.Values{"reference": {in.Reference}, "age_band": {string(in.AgeBand)}, "sex": {string(in.Sex)}, "nationality": {in.Nationality}, "case_id": {"0"}}
	for _, e := range in.Exploitation {
		form.Add("exploitation", string(e))
	}
	switch {
	case p.CaseHidden:
		form.Set("case_id", keepCase)
	case p.CaseID != nil:
		form.Set("case_id", strconv.FormatInt(*p.CaseID, 10))
	}
	return form
}

func victimForm(c *gin.Context) (operations.VictimInput, core.Problems) {
	var p core.Problems
	in := operations.VictimInput{PersonInput: personForm(c), FirstResponder: terms.FirstResponder(c.PostForm("first_responder")),
		RGOutcome: terms.Decision(c.PostForm("rg_outcome")), CGOutcome: terms.Decision(c.PostForm("cg_outcome")),
		DutyToNotify: yes(c, "duty_to_notify"), Safeguarding: yes(c, "safeguarding"), SupportAccepted: yes(c, "support_accepted")}
	in.NRMReferredOn = formDay(c, &p, operations.FieldNRMReferredOn, "The date of the NRM referral")
	in.RGDecidedOn = formDay(c, &p, operations.FieldRGDecidedOn, "The date of the reasonable grounds decision")
	in.CGDecidedOn = formDay(c, &p, operations.FieldCGDecidedOn, "The date of the conclusive grounds decision")
	return in, p
}

func victimValues(v operations.VictimView) url.Values {
	in := v.Input()
	form := personValues(in.PersonInput, v.PersonView)
	form.Set("first_responder", string(in.FirstResponder))
	form.Set("rg_outcome", string(in.RGOutcome))
	form.Set("cg_outcome", string(in.CGOutcome))
	dateFields(form, operations.FieldNRMReferredOn, in.NRMReferredOn)
	dateFields(form, operations.FieldRGDecidedOn, in.RGDecidedOn)
	dateFields(form, operations.FieldCGDecidedOn, in.CGDecidedOn)
	setYes(form, "duty_to_notify", in.DutyToNotify)
	setYes(form, "safeguarding", in.Safeguarding)
	setYes(form, "support_accepted", in.SupportAccepted)
	return form
}

func suspectForm(c *gin.Context) (operations.SuspectInput, core.Problems) {
	var p core.Problems
	in := operations.SuspectInput{PersonInput: personForm(c), Role: terms.SuspectRole(c.PostForm("role")), S45Raised: yes(c, "s45_raised"),
		STPO: yes(c, "stpo"), ReparationOrder: yes(c, "reparation_order")}
	in.ArrestedOn = formDay(c, &p, operations.FieldArrestedOn, "The date of arrest")
	if s := strings.TrimSpace(c.PostForm("sentence_months")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			p.Add(operations.FieldSentence, "Enter the sentence as a whole number of months, like 18")
		} else {
			in.SentenceMonths = &n
		}
	}
	if s := strings.TrimSpace(strings.TrimPrefix(strings.ReplaceAll(c.PostForm("confiscation_pounds"), ",", ""), "£")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			p.Add(operations.FieldConfiscation, "Enter the confiscation order as a whole number of pounds, like 25000")
		} else {
			in.ConfiscationPounds = n
		}
	}
	return in, p
}

func suspectValues(v operations.SuspectView) url.Values {
	in := v.Input()
	form := personValues(in.PersonInput, v.PersonView)
	form.Set("role", string(in.Role))
	dateFields(form, operations.FieldArrestedOn, in.ArrestedOn)
	if in.SentenceMonths != nil {
		form.Set("sentence_months", strconv.Itoa(*in.SentenceMonths))
	}
	if in.ConfiscationPounds != 0 {
		form.Set("confiscation_pounds", strconv.FormatInt(in.ConfiscationPounds, 10))
	}
	setYes(form, "s45_raised", in.S45Raised)
	setYes(form, "stpo", in.STPO)
	setYes(form, "reparation_order", in.ReparationOrder)
	return form
}

// operationForUpdate reads operation id for a form that changes it: refused unless the actor
// may change it. It answers errors itself (ok false).
func (p *Pages) operationForUpdate(c *gin.Context, id int64) (operations.OperationView, bool) {
	v, err := p.s.Operations.Get(c.Request.Context(), actor(c), id)
	if err == nil && !v.Actions.Update {
		err = core.Forbidden("Only the people named on this operation and its organisation's supervisors can change it.")
	}
	if err != nil {
		api.WriteError(c, err)
		return v, false
	}
	return v, true
}

// personPage renders a victim or suspect form of operation id.
func (p *Pages) personPage(c *gin.Context, id int64, title string, v personFormView, status int, form url.Values, errs formErrors) {
	op, ok := p.operationForUpdate(c, id)
	if !ok {
		return
	}
	v.Op = op
	p.render(c, status, "operation_person_form", page{Title: title, Classification: op.Marking, Form: form, Errors: errs, Data: v})
}

// personCase is the case file the person form chose and whether it changes the person's (was,
// or one the reader may not see when hidden): a form with no choice of case file, or that keeps
// it as it is, changes nothing. Any other choice for a person on a hidden case file is a change,
// which only that case file's team may make (AttachToCase refuses it).
func personCase(c *gin.Context, was *int64, hidden bool) (int64, bool) {
	posted, ok := c.GetPostForm("case_id")
	if !ok || posted == keepCase {
		return 0, false
	}
	caseID, _ := strconv.ParseInt(posted, 10, 64)
	if hidden {
		return caseID, true
	}
	return caseID, !((was == nil && caseID == 0) || (was != nil && *was == caseID))
}

// caseRefusal is a refusal of the person form's case file as a choice to make again.
func caseRefusal(err error) error {
	return caseChoice(err, "Only the team of a case file can put people on it or take them off it: choose a case file you work on, or leave it as it was")
}

// personInput is the form's input of a victim or a suspect, which checks itself.
type personInput interface {
	CheckOn(*core.Problems, time.Time)
}

// personKind is what the pages of potential victims and of suspects differ in; the handlers
// below serve both. V is the person as models show them, In their form's input.
type personKind[V any, In personInput] struct {
	kind      string // operations.KindVictim or KindSuspect; also the route's parameter of one
	path      string // where the operation's people of the kind are: "victims"
	showAdded bool   // after adding one, go to its own page rather than back to the operation
	get       func(ctx context.Context, who core.Actor, op, id int64) (V, error)
	add       func(ctx context.Context, who core.Actor, op int64, in In) (V, error)
	update    func(ctx context.Context, who core.Actor, op, id int64, in In) (V, error)
	// read reads the posted form; old is the person it changes, nil for a new one.
	read func(c *gin.Context, old *V) (In, core.Problems)
	// shown is the person as their form shows them (without the form's action).
	shown func(v V) person
}

// person is a saved victim or suspect as their form shows them.
type person struct {
	id        int64
	reference string
	caseID    *int64
	hidden    bool // on a case file the reader may not see
	form      url.Values
	view      personFormView
}

// action is where the form of person id (0: a new one) of operation op posts to.
func (k personKind[V, In]) action(op, id int64) string {
	if id == 0 {
		return operationPath(op, "/"+k.path+"/new")
	}
	return operationPath(op, "/"+k.path+"/"+strconv.FormatInt(id, 10))
}

// load reads person id of operation op, and them as their form shows them.
func (k personKind[V, In]) load(c *gin.Context, op, id int64) (V, person, error) {
	v, err := k.get(c.Request.Context(), actor(c), op, id)
	if err != nil {
		return v, person{}, err
	}
	shown := k.shown(v)
	shown.view.Action = k.action(op, id)
	return v, shown, nil
}

func (pr person) changeTitle() string { return "Change " + pr.view.Who() + " " + pr.reference }

func (p *Pages) victims() personKind[operations.VictimView, operations.VictimInput] {
	return personKind[operations.VictimView, operations.VictimInput]{kind: operations.KindVictim, path: "victims",
		get: p.s.Operations.Victim, add: p.s.Operations.AddVictim, update: p.s.Operations.UpdateVictim,
		read: func(c *gin.Context, _ *operations.VictimView) (operations.VictimInput, core.Problems) {
			return victimForm(c)
		},
		shown: func(v operations.VictimView) person {
			return person{id: v.ID, reference: v.Reference, caseID: v.CaseID, hidden: v.CaseHidden, form: victimValues(v), view: personFormView{Kind: operations.KindVictim, Victim: &v}}
		},
	}
}

func (p *Pages) suspects() personKind[operations.SuspectView, operations.SuspectInput] {
	return personKind[operations.SuspectView, operations.SuspectInput]{kind: operations.KindSuspect, path: "suspects",
		showAdded: true, // to add the charges, which the suspect's own page does
		get:       p.s.Operations.Suspect, add: p.s.Operations.AddSuspect,
		update: p.s.Operations.UpdateSuspect, // nil charges: kept
		read: func(c *gin.Context, old *operations.SuspectView) (operations.SuspectInput, core.Problems) {
			in, problems := suspectForm(c)
			if problems.Len() > 0 && old != nil {
				in.Charges = old.Input().Charges // for the checks that look at them
			}
			return in, problems
		},
		shown: func(s operations.SuspectView) person {
			return person{id: s.ID, reference: s.Reference, caseID: s.CaseID, hidden: s.CaseHidden, form: suspectValues(s), view: personFormView{Kind: operations.KindSuspect, Suspect: &s}}
		},
	}
}

// VictimNewForm serves GET /operations/:id/victims/new.
func (p *Pages) VictimNewForm() gin.HandlerFunc { return personNewForm(p, p.victims()) }

// VictimCreate serves POST /operations/:id/victims/new.
func (p *Pages) VictimCreate() gin.HandlerFunc { return personSave(p, p.victims(), false) }

// VictimEditForm serves GET /operations/:id/victims/:victim.
func (p *Pages) VictimEditForm() gin.HandlerFunc { return personEditForm(p, p.victims()) }

// VictimUpdate serves POST /operations/:id/victims/:victim.
func (p *Pages) VictimUpdate() gin.HandlerFunc { return personSave(p, p.victims(), true) }

// SuspectNewForm serves GET /operations/:id/suspects/new.
func (p *Pages) SuspectNewForm() gin.HandlerFunc { return personNewForm(p, p.suspects()) }

// SuspectCreate serves POST /operations/:id/suspects/new.
func (p *Pages) SuspectCreate() gin.HandlerFunc { return personSave(p, p.suspects(), false) }

// SuspectEditForm serves GET /operations/:id/suspects/:suspect.
func (p *Pages) SuspectEditForm() gin.HandlerFunc { return personEditForm(p, p.suspects()) }

// SuspectUpdate serves POST /operations/:id/suspects/:suspect.
func (p *Pages) SuspectUpdate() gin.HandlerFunc { return personSave(p, p.suspects(), true) }

func personNewForm[V any, In personInput](p *Pages, k personKind[V, In]) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		v := personFormView{Kind: k.kind, Action: k.action(id, 0)}
		p.personPage(c, id, "Add a "+v.Who(), v, http.StatusOK, url.Values{"case_id": {"0"}}, nil)
	}
}

func personEditForm[V any, In personInput](p *Pages, k personKind[V, In]) gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := api.PathIDs(c, "id", k.kind)
		if !ok {
			return
		}
		_, old, err := k.load(c, ids[0], ids[1])
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.personPage(c, ids[0], old.changeTitle(), old.view, http.StatusOK, old.form, nil)
	}
}

// personSave adds a person, or with update changes the one the path names, and puts them on the
// case file the form chose.
func personSave[V any, In personInput](p *Pages, k personKind[V, In], update bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		var personID int64
		if update {
			var ok bool
			if personID, ok = api.PathID(c, k.kind); !ok {
				return
			}
		}
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		ctx, a := c.Request.Context(), actor(c)
		view := personFormView{Kind: k.kind, Action: k.action(id, 0)}
		title := "Add a " + view.Who()
		var was *int64
		var hidden bool
		var old *V
		if update {
			v, shown, err := k.load(c, id, personID)
			if err != nil {
				api.WriteError(c, err)
				return
			}
			old, was, hidden, title, view = &v, shown.caseID, shown.hidden, shown.changeTitle(), shown.view
		}
		in, problems := k.read(c, old)
		var saved V
		caseID, attach := personCase(c, was, hidden)
		var err error
		if attach {
			// Asked first, so that a refused case file saves nothing of the form.
			if err := caseRefusal(p.s.Operations.CheckAttach(ctx, a, id, k.kind, personID, caseID)); err != nil {
				if me, ok := err.(*core.Error); !ok || me.Code != core.EINVALID {
					api.WriteError(c, err)
					return
				}
				problems.Check(err)
			}
		}
		switch {
		case problems.Len() > 0:
			in.CheckOn(&problems, today())
			err = problems.Err()
		case update:
			saved, err = k.update(ctx, a, id, personID, in)
		default:
			saved, err = k.add(ctx, a, id, in)
		}
		savedID := k.shown(saved).id
		if err == nil && attach {
			err = caseRefusal(p.s.Operations.AttachToCase(ctx, a, id, k.kind, savedID, caseID))
		}
		if err != nil {
			refill(c, atField(err, "reference"), nil, func(status int, form url.Values, errs formErrors) {
				p.personPage(c, id, title, view, status, form, errs)
			})
			return
		}
		next := operationPath(id, "#"+k.path)
		if !update && k.showAdded {
			next = k.action(id, savedID)
		}
		p.done(c, nil, k.kind+"-saved", next)
	}
}

// ---------------------------------------------------------------------------------------------
// Charges

type chargeFormView struct {
	Op      operations.OperationView
	Suspect operations.SuspectView
	Charge  *operations.ChargeView
	Action  string
}

func (v chargeFormView) OffenceItems(form url.Values) []item {
	values, labels := withTerms(nil, nil, terms.Offences())
	return choiceItems(values, labels, []string{form.Get("offence")})
}

func (v chargeFormView) OutcomeItems(form url.Values) []item {
	return outcomeItems(form.Get("outcome"))
}

func outcomeItems(picked string) []item {
	values, labels := withTerms([]string{""}, []string{terms.OutcomePending.Label()}, terms.Outcomes())
	return optionItems(values, labels, picked)
}

// chargeFields keeps a charge form's errors on its own fields; a problem of the suspect's other
// fields (a sentence without a conviction) is in the summary only.
func chargeFields(err error) error {
	me, ok := err.(*core.Error)
	if !ok || me.Code != core.EINVALID {
		return err
	}
	var p core.Problems
	for _, f := range append([]core.FieldError{{Field: me.Field, Message: me.Message}}, me.Fields...) {
		switch f.Field {
		case operations.FieldOffence, operations.FieldChargedOn, operations.FieldOutcome, operations.FieldOutcomeOn:
			p.Add(f.Field, f.Message)
		default:
			p.Add("", f.Message)
		}
	}
	return p.Err()
}

func (p *Pages) chargePage(c *gin.Context, ids []int64, title string, status int, form url.Values, errs formErrors) {
	op, ok := p.operationForUpdate(c, ids[0])
	if !ok {
		return
	}
	s, err := p.s.Operations.Suspect(c.Request.Context(), actor(c), ids[0], ids[1])
	if err != nil {
		api.WriteError(c, err)
		return
	}
	v := chargeFormView{Op: op, Suspect: s, Action: operationPath(ids[0], "/suspects/"+strconv.FormatInt(s.ID, 10)+"/charges/new")}
	if len(ids) > 2 {
		for _, ch := range s.Charges {
			if ch.ID == ids[2] {
				v.Charge = &ch
			}
		}
		if v.Charge == nil {
			api.WriteError(c, core.NotFound("Charge not found"))
			return
		}
		v.Action = operationPath(ids[0], "/suspects/"+strconv.FormatInt(s.ID, 10)+"/charges/"+strconv.FormatInt(ids[2], 10))
		if form == nil {
			form = url.Values{"offence": {string(v.Charge.Offence)}, "outcome": {string(v.Charge.Outcome)}}
			dateFields(form, operations.FieldChargedOn, &v.Charge.ChargedOn)
			dateFields(form, operations.FieldOutcomeOn, v.Charge.OutcomeOn)
		}
	}
	p.render(c, status, "operation_charge_form", page{Title: title, Classification: op.Marking, Form: form, Errors: errs, Data: v})
}

// ChargeNewForm serves GET /operations/:id/suspects/:suspect/charges/new.
func (p *Pages) ChargeNewForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := api.PathIDs(c, "id", "suspect")
		if !ok {
			return
		}
		p.chargePage(c, ids, "Add a charge", http.StatusOK, nil, nil)
	}
}

// ChargeEditForm serves GET /operations/:id/suspects/:suspect/charges/:charge.
func (p *Pages) ChargeEditForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := api.PathIDs(c, "id", "suspect", "charge")
		if !ok {
			return
		}
		p.chargePage(c, ids, "Change a charge", http.StatusOK, nil, nil)
	}
}

// ChargeCreate serves POST /operations/:id/suspects/:suspect/charges/new.
func (p *Pages) ChargeCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := api.PathIDs(c, "id", "suspect")
		if !ok {
			return
		}
		p.chargeSave(c, ids, "Add a charge")
	}
}

// ChargeUpdate serves POST /operations/:id/suspects/:suspect/charges/:charge.
func (p *Pages) ChargeUpdate() gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := api.PathIDs(c, "id", "suspect", "charge")
		if !ok {
			return
		}
		p.chargeSave(c, ids, "Change a charge")
	}
}

func (p *Pages) chargeSave(c *gin.Context, ids []int64, title string) {
	var problems core.Problems
	in := operations.ChargeInput{Offence: terms.Offence(c.PostForm("offence")), Outcome: terms.Outcome(c.PostForm("outcome"))}
	if d := formDay(c, &problems, operations.FieldChargedOn, "The date of charge"); d != nil {
		in.ChargedOn = *d
	}
	in.OutcomeOn = formDay(c, &problems, operations.FieldOutcomeOn, "The date of the outcome")
	var err error
	if problems.Len() > 0 {
		var checks core.Problems
		in.CheckCharge(&checks, 0, today())
		err = renameCharge(problems.Err(), checks.Err())
	} else if len(ids) > 2 {
		_, err = p.s.Operations.UpdateCharge(c.Request.Context(), actor(c), ids[0], ids[1], ids[2], in)
	} else {
		_, err = p.s.Operations.AddCharge(c.Request.Context(), actor(c), ids[0], ids[1], in)
	}
	if err != nil {
		refill(c, atField(chargeFields(err), operations.FieldOffence), nil, func(status int, form url.Values, errs formErrors) {
			p.chargePage(c, ids, title, status, form, errs)
		})
		return
	}
	p.done(c, nil, "charge-saved", operationPath(ids[0], "/suspects/"+strconv.FormatInt(ids[1], 10)))
}

// problemFields are the fields of an EINVALID error.
func problemFields(err error) []core.FieldError {
	me, ok := err.(*core.Error)
	if !ok {
		return nil
	}
	if len(me.Fields) > 0 {
		return me.Fields
	}
	return []core.FieldError{{Field: me.Field, Message: me.Message}}
}

// renameCharge joins the date problems of a charge form (first) with the checks of the charge
// named as the first of a suspect's, under the charge form's own field names.
func renameCharge(dates, checks error) error {
	var p core.Problems
	for _, f := range problemFields(dates) {
		p.Add(f.Field, f.Message)
	}
	for _, f := range problemFields(checks) {
		p.Add(strings.TrimPrefix(f.Field, operations.ChargeField(0, "")), f.Message)
	}
	return p.Err()
}

// ---------------------------------------------------------------------------------------------
// On the case page

// caseOutcomeField is the name of a field of the outcome form of a charge on the case page: each
// charge has its own.
func caseOutcomeField(chargeID int64, field string) string {
	return field + "_" + strconv.FormatInt(chargeID, 10)
}

// CaseChargeOutcome serves POST /casefiles/:id/charges/:charge/outcome: the case team or the
// CPS liaison records the outcome of a charge, which is the suspect's record.
func (p *Pages) CaseChargeOutcome() gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := api.PathIDs(c, "id", "charge")
		if !ok {
			return
		}
		outcomeName, dateName := caseOutcomeField(ids[1], "outcome"), caseOutcomeField(ids[1], "outcome_on")
		var problems core.Problems
		in := operations.OutcomeInput{Outcome: terms.Outcome(c.PostForm(outcomeName))}
		in.OutcomeOn = formDay(c, &problems, dateName, "The date of the outcome")
		err := problems.Err()
		if err == nil {
			_, err = p.s.Operations.RecordOutcome(c.Request.Context(), actor(c), ids[0], ids[1], in)
		}
		if err != nil {
			var renamed core.Problems
			for _, f := range problemFields(err) {
				switch f.Field {
				case operations.FieldOutcome:
					f.Field = outcomeName
				case operations.FieldOutcomeOn:
					f.Field = dateName
				case outcomeName, dateName:
				default:
					f.Field = ""
				}
				renamed.Add(f.Field, f.Message)
			}
			if core.ErrorCode(err) == core.EINVALID {
				err = renamed.Err()
			}
			refill(c, atField(err, outcomeName), nil, func(status int, form url.Values, errs formErrors) {
				p.caseChecklist(c, status, form, errs)
			})
			return
		}
		p.done(c, nil, "outcome-recorded", casePath(ids[0], "#operation"))
	}
}

// caseOutcomeView is one charge's outcome form on the case page.
type caseOutcomeView struct {
	Charge  operations.ChargeView
	Outcome string // field names
	Date    string
}

// OutcomeForms are the charges of a suspect of the case with the names of their outcome forms.
func (v caseTab) OutcomeForms(s operations.SuspectView) []caseOutcomeView {
	var out []caseOutcomeView
	for _, ch := range s.Charges {
		out = append(out, caseOutcomeView{Charge: ch, Outcome: caseOutcomeField(ch.ID, "outcome"), Date: caseOutcomeField(ch.ID, "outcome_on")})
	}
	return out
}

// OutcomeItems are the outcome options of a charge's form on the case page.
func (v caseTab) OutcomeItems(form url.Values, name string, current terms.Outcome) []item {
	picked := form.Get(name)
	if _, posted := form[name]; !posted {
		picked = string(current)
	}
	return outcomeItems(picked)
}
