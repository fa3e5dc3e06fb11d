package frontend

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/models/casefile/court"
	"github.com/msptp/msphub/models/core"
)

// The "After charge" section of the case page (issue 13): the stage, the steps so far, each
// defendant's custody, and a form for each step that may follow. Each step's form names its
// fields after the step, so that the page can hold several and a refused one comes back alone.

// courtField is the name of field in the form of step.
func courtField(step court.Stage, field string) string { return string(step) + "_" + field }

// CaseCourtStep serves POST /casefiles/:id/court: the next step after charge.
func (p *Pages) CaseCourtStep() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		st := court.Stage(c.PostForm("step"))
		name := func(field string) string { return courtField(st, field) }
		var problems core.Problems
		in := court.StepInput{Step: st, Plea: court.Plea(c.PostForm(name("plea"))), STPO: c.PostForm(name("stpo")) != "",
			Reparation: c.PostForm(name("reparation")) != "", Details: c.PostForm(name("details"))}
		in.On = formDay(c, &problems, name("on"), "The date")
		in.NextOn = formDay(c, &problems, name("next_on"), "The date")
		if s := strings.ReplaceAll(strings.TrimSpace(c.PostForm(name("amount_pounds"))), ",", ""); s != "" {
			n, err := strconv.ParseInt(strings.TrimPrefix(s, "£"), 10, 64)
			if err != nil {
				problems.Add(name("amount_pounds"), "Enter the amount in whole pounds, like 25000")
			}
			in.AmountPounds = n
		}
		err := problems.Err()
		if err == nil {
			_, err = p.s.Court.Record(c.Request.Context(), actor(c), id, in)
			err = inForm(err, string(st)+"_")
		}
		if err != nil {
			refill(c, atField(err, name("on")), nil, func(status int, form url.Values, errs formErrors) { p.caseChecklist(c, status, form, errs) })
			return
		}
		p.done(c, nil, "court-step-recorded", casePath(id, "#after-charge"))
	}
}

// CaseCustody serves POST /casefiles/:id/court/custody: a defendant's custody status.
func (p *Pages) CaseCustody() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		var problems core.Problems
		in := court.CustodyInput{Defendant: c.PostForm("custody_defendant"), Status: court.CustodyStatus(c.PostForm("custody_status"))}
		in.SinceOn = formDay(c, &problems, "custody_since_on", "The date the status began")
		in.CTLExpiresOn = formDay(c, &problems, "custody_ctl_expires_on", "The date the custody time limit expires")
		err := problems.Err()
		if err == nil {
			_, err = p.s.Court.SetCustody(c.Request.Context(), actor(c), id, in)
			err = inForm(err, "custody_")
		}
		if err != nil {
			refill(c, atField(err, "custody_defendant"), nil, func(status int, form url.Values, errs formErrors) { p.caseChecklist(c, status, form, errs) })
			return
		}
		p.done(c, nil, "custody-recorded", casePath(id, "#after-charge"))
	}
}

// inForm names the fields of an operation's problems as the page's form does (prefix first).
func inForm(err error, prefix string) error {
	var me *core.Error
	if !errors.As(err, &me) || me.Code != core.EINVALID {
		return err
	}
	var p core.Problems
	for _, f := range problemFields(err) {
		p.Add(prefix+f.Field, f.Message)
	}
	return p.Err()
}

// courtForm is the form of a step that may follow, with its field names.
type courtForm struct {
	court.NextStep
	On, NextOn, Plea, STPO, Reparation, Amount, Details string
}

// CourtForms are the forms of the steps that may follow on the case page.
func (v caseTab) CourtForms() []courtForm {
	if v.Court == nil {
		return nil
	}
	var out []courtForm
	for _, n := range v.Court.Next {
		f := func(field string) string { return courtField(n.Step, field) }
		out = append(out, courtForm{NextStep: n, On: f("on"), NextOn: f("next_on"), Plea: f("plea"), STPO: f("stpo"), Reparation: f("reparation"),
			Amount: f("amount_pounds"), Details: f("details")})
	}
	return out
}

// PleaItems are the anticipated plea radios of the first hearing form.
func (v caseTab) PleaItems(form url.Values, name string) []item {
	values, labels := withTerms(nil, nil, court.Pleas())
	return choiceItems(values, labels, []string{form.Get(name)})
}

// CustodyItems are the custody status radios.
func (v caseTab) CustodyItems(form url.Values) []item {
	values, labels := withTerms(nil, nil, court.CustodyStatuses())
	return choiceItems(values, labels, []string{form.Get("custody_status")})
}

// OrderItems is the one checkbox of an order made with a step (an STPO with the sentence, a
// reparation order with the confiscation order).
func (v caseTab) OrderItems(form url.Values, name, label string) []item {
	return []item{{"value": "yes", "text": label, "checked": form.Get(name) != ""}}
}
