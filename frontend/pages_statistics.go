package frontend

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/statistics"
)

// statisticsView is the dashboard as the page shows it: each table with its chart and its
// download link, and the filter's query string for the downloads.
type statisticsView struct {
	Dashboard *statistics.Dashboard
	Options   statistics.Options
	Editions  []statistics.Option // those the analyst may read, the default first
	Tables    []statisticsTable
	Query     string // the filter as a query string, for the downloads
	XLSX      string // the workbook's link: whole, as the template would escape a query's "="
}

// EditionItems are the radios of the edition, when the analyst may choose: the one asked for
// checked, else the one shown, else the default.
func (v statisticsView) EditionItems(form url.Values) []map[string]any {
	return editionItems(v.Editions, form.Get("edition"), v.Dashboard)
}

func editionItems(editions []statistics.Option, asked string, d *statistics.Dashboard) []map[string]any {
	if len(editions) < 2 {
		return nil
	}
	current := asked
	if d != nil {
		current = d.Edition
	}
	if current == "" {
		current = editions[0].Value
	}
	hints := map[string]string{
		statistics.EditionLawEnforcement: "For policing: every breakdown, with each force's and agency's figures",
		statistics.EditionPartner:        "For partner agencies and others outside policing: national, regional and other breakdowns, no force's or agency's figures",
	}
	var out []map[string]any
	for _, e := range editions {
		out = append(out, map[string]any{"value": e.Value, "text": e.Label, "hint": map[string]any{"text": hints[e.Value]}, "checked": e.Value == current})
	}
	return out
}

// item is a choice of a select, as govukSelect takes it.
func selectItem(value, text string, selected bool) map[string]any {
	return map[string]any{"value": value, "text": text, "selected": selected}
}

// Selects are the filter's choices with the current ones selected.
func (v statisticsView) Selects(form url.Values) map[string][]map[string]any {
	out := map[string][]map[string]any{
		"quarter":      {selectItem("", "Any (use the dates below, or the last four quarters)", form.Get("quarter") == "")},
		"region":       {selectItem("", "All regions in your area", form.Get("region") == "")},
		"force":        {selectItem("", "All forces and agencies in your area", form.Get("force") == "")},
		"exploitation": {selectItem("", "All types", form.Get("exploitation") == "")},
	}
	for _, q := range v.Options.Quarters {
		out["quarter"] = append(out["quarter"], selectItem(q, q, form.Get("quarter") == q))
	}
	for _, r := range v.Options.Regions {
		out["region"] = append(out["region"], selectItem(r, r, form.Get("region") == r))
	}
	for _, o := range v.Options.Forces {
		out["force"] = append(out["force"], selectItem(o.Value, o.Label, form.Get("force") == o.Value))
	}
	for _, o := range v.Options.Exploitations {
		out["exploitation"] = append(out["exploitation"], selectItem(o.Value, o.Label, form.Get("exploitation") == o.Value))
	}
	return out
}

type statisticsTable struct {
	statistics.Table
	Chart template.HTML
	CSV   string
}

// Statistics serves GET /statistics: the dashboard of the analyst's scope, with the filter as a
// GET form. Analysts only (the policy decides, in models).
func (p *Pages) Statistics() gin.HandlerFunc {
	return func(c *gin.Context) {
		q := c.Request.URL.Query()
		opts, err := p.s.Statistics.FilterOptions(c.Request.Context(), actor(c))
		if err != nil {
			api.WriteError(c, err)
			return
		}
		editions, err := p.s.Statistics.EditionChoices(c.Request.Context(), actor(c))
		if err != nil {
			api.WriteError(c, err)
			return
		}
		form := url.Values{}
		for k, v := range q {
			form[k] = v
		}
		data := page{Title: "The national picture", Classification: statistics.Marking, Form: form, Data: statisticsView{Options: opts, Editions: editions}}
		// The page's form uses GOV.UK date inputs; the filter takes YYYY-MM-DD.
		for _, f := range [][2]string{{"from", "Start date"}, {"to", "End date"}} {
			d, err := api.DateInput(q.Get, f[0], f[1])
			if err != nil {
				p.formFailed(c, err, "statistics", data, "from")
				return
			}
			if d != nil {
				q.Set(f[0], d.Format("2006-01-02"))
			}
		}
		c.Request.URL.RawQuery = q.Encode()
		f := api.StatisticsFilter(c)
		d, err := p.s.Statistics.Dashboard(c.Request.Context(), actor(c), f)
		if err != nil {
			var me *core.Error
			if errors.As(err, &me) && me.Code == core.EINVALID && len(me.Fields) > 0 {
				// Every problem of the filter at once, each at its field.
				for _, fe := range me.Fields {
					data.Errors = append(data.Errors, formError{Field: fe.Field, Message: fe.Message})
				}
				p.render(c, http.StatusUnprocessableEntity, "statistics", data)
				return
			}
			p.formFailed(c, err, "statistics", data, "quarter")
			return
		}
		query := url.Values{}
		for k, v := range map[string]string{"quarter": f.Quarter, "from": f.From, "to": f.To, "region": f.Region, "exploitation": f.Exploitation, "edition": d.Edition} {
			if v != "" {
				query.Set(k, v)
			}
		}
		if f.Force > 0 {
			query.Set("force", strconv.FormatInt(f.Force, 10))
		}
		v := statisticsView{Dashboard: &d, Options: d.Options, Editions: d.Editions, Query: query.Encode()}
		v.XLSX = "/statistics/download.xlsx?" + v.Query
		for _, t := range d.Tables {
			svg, err := chartSVG(t)
			if err != nil {
				p.renderFailure(c, err)
				return
			}
			v.Tables = append(v.Tables, statisticsTable{Table: t, Chart: svg, CSV: "/statistics/tables/" + url.PathEscape(t.ID) + "/download.csv?" + v.Query})
		}
		data.Data = v
		c.Header("Cache-Control", "private, no-store") // OFFICIAL-SENSITIVE figures: no copy is kept
		p.render(c, http.StatusOK, "statistics", data)
	}
}

// StatisticsDefinitions serves GET /statistics/definitions: how every figure is made and the
// disclosure rule. Analysts only, like the figures.
func (p *Pages) StatisticsDefinitions() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !p.s.Statistics.MayRead(c.Request.Context(), actor(c)) {
			api.WriteError(c, core.Forbidden("Only analysts can see the national picture"))
			return
		}
		p.render(c, http.StatusOK, "statistics_definitions", page{Title: "How these figures are made", Data: p.s.Statistics.Threshold()})
	}
}

// StatisticsReports serves GET /statistics/reports: the monthly and on-demand reports in the
// analyst's scope, and the form to make one.
func (p *Pages) StatisticsReports() gin.HandlerFunc {
	return func(c *gin.Context) {
		p.showReports(c, http.StatusOK, page{})
	}
}

func (p *Pages) showReports(c *gin.Context, status int, data page) {
	list, err := p.s.Statistics.Reports(c.Request.Context(), actor(c), c.Query("edition"))
	if err != nil {
		api.WriteError(c, err)
		return
	}
	data.Title, data.Classification, data.Data = "National picture reports", statistics.Marking, reportsView{list}
	p.render(c, status, "statistics_reports", data)
}

// StatisticsReportCreate serves POST /statistics/reports: makes the report of the chosen month
// now, then shows the list.
func (p *Pages) StatisticsReportCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, err := p.s.Statistics.CreateReport(c.Request.Context(), actor(c), c.PostForm("month"), c.PostForm("edition")); err != nil {
			refill(c, atField(err, "month"), nil, func(status int, form url.Values, errs formErrors) {
				p.showReports(c, status, page{Form: form, Errors: errs})
			})
			return
		}
		p.app.SetFlash(c, "report-made")
		c.Redirect(http.StatusSeeOther, "/statistics/reports")
	}
}

// reportsView is the list of reports with the month and edition choices of the form.
type reportsView struct{ statistics.ReportList }

// EditionItems are the radios of the report's edition, when the analyst may choose.
func (v reportsView) EditionItems(form url.Values) []map[string]any {
	return editionItems(v.Editions, form.Get("edition"), nil)
}

// MonthItems are the months a report can be made for (those that have ended, the last first),
// the chosen one selected.
func (v reportsView) MonthItems(form url.Values) []map[string]any {
	var out []map[string]any
	for i, m := range v.Months {
		out = append(out, selectItem(m, m, form.Get("month") == m || (form.Get("month") == "" && i == 0)))
	}
	return out
}
