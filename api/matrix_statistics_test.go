package api_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/policies"
)

const analyst = policies.RoleAnalyst

// statisticsRows are the routes of the national picture: analysts see counts, nobody else sees
// anything (the policy decides; every other role is refused, whatever it may do elsewhere).
func statisticsRows(t *testing.T, a *apitest.App, callers map[who]*apitest.User) []row {
	// A report covers a month that has ended: the one before this.
	r, err := a.Services.Statistics.CreateReport(context.Background(), callers[analyst].Actor(t), lastMonth(a).Format("2006-01"), "")
	if err != nil {
		t.Fatal(err)
	}
	report := func() string { return "/statistics/reports/" + itoa(r.ID) + "/download" }
	csv := func() string { return "/statistics/tables/operations-by-force/download.csv" }
	rows := []row{
		{method: "GET", route: "/statistics", want: may(200, analyst), def: 403, anon: 303},
		{method: "GET", route: "/statistics/definitions", want: may(200, analyst), def: 403, anon: 303},
		{method: "GET", route: "/statistics/download.xlsx", want: may(200, analyst), def: 403, anon: 303},
		{method: "GET", route: "/statistics/tables/:table/download.csv", concrete: csv, want: may(200, analyst), def: 403, anon: 303},
		{method: "GET", route: "/statistics/reports", want: may(200, analyst), def: 403, anon: 303},
		{method: "POST", route: "/statistics/reports", form: url.Values{"month": {"not a month"}}, want: may(422, analyst), def: 403, anon: 303},
		{method: "GET", route: "/statistics/reports/:id/download", concrete: report, want: may(200, analyst), def: 403, anon: 303},
		{method: "GET", route: "/api/v1/statistics", want: may(200, analyst), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/statistics/download.xlsx", want: may(200, analyst), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/statistics/tables/:table/download.csv", concrete: func() string { return "/api/v1" + csv() }, want: may(200, analyst), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/statistics/reports", want: may(200, analyst), def: 403, anon: 401},
		{method: "POST", route: "/api/v1/statistics/reports", json: `{"month": "not a month"}`, want: may(422, analyst), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/statistics/reports/:id/download", concrete: func() string { return "/api/v1" + report() }, want: may(200, analyst), def: 403, anon: 401},
	}
	// The edition (?edition=, and the report form's field): the matrix's analyst is a force's,
	// who reads the law-enforcement edition only (the partner edition's figures are all
	// force-level in one force's area); an unknown edition is refused to analysts as invalid,
	// and to everyone else as the national picture itself is.
	for _, e := range []struct {
		edition string
		want    int
	}{{"law_enforcement", 200}, {"partner", 403}, {"public", 422}} {
		q := func(path func() string) func() string {
			return func() string { return path() + "?edition=" + e.edition }
		}
		api := func(path func() string) func() string {
			return func() string { return "/api/v1" + path() + "?edition=" + e.edition }
		}
		at := func(p string) func() string { return func() string { return p } }
		made := e.want
		if made == 200 {
			made = 422 // the month is not a month
		}
		rows = append(rows,
			row{method: "GET", route: "/statistics", concrete: q(at("/statistics")), want: may(e.want, analyst), def: 403, anon: 303},
			row{method: "GET", route: "/statistics/download.xlsx", concrete: q(at("/statistics/download.xlsx")), want: may(e.want, analyst), def: 403, anon: 303},
			row{method: "GET", route: "/statistics/tables/:table/download.csv", concrete: q(csv), want: may(e.want, analyst), def: 403, anon: 303},
			row{method: "GET", route: "/statistics/reports", concrete: q(at("/statistics/reports")), want: may(e.want, analyst), def: 403, anon: 303},
			row{method: "POST", route: "/statistics/reports", form: url.Values{"month": {"not a month"}, "edition": {e.edition}}, want: may(made, analyst), def: 403, anon: 303},
			row{method: "GET", route: "/statistics/reports/:id/download", concrete: q(report), want: may(e.want, analyst), def: 403, anon: 303},
			row{method: "GET", route: "/api/v1/statistics", concrete: api(at("/statistics")), want: may(e.want, analyst), def: 403, anon: 401},
			row{method: "GET", route: "/api/v1/statistics/download.xlsx", concrete: api(at("/statistics/download.xlsx")), want: may(e.want, analyst), def: 403, anon: 401},
			row{method: "GET", route: "/api/v1/statistics/tables/:table/download.csv", concrete: api(csv), want: may(e.want, analyst), def: 403, anon: 401},
			row{method: "GET", route: "/api/v1/statistics/reports", concrete: api(at("/statistics/reports")), want: may(e.want, analyst), def: 403, anon: 401},
			row{method: "POST", route: "/api/v1/statistics/reports", json: `{"month": "not a month", "edition": "` + e.edition + `"}`, want: may(made, analyst), def: 403, anon: 401},
			row{method: "GET", route: "/api/v1/statistics/reports/:id/download", concrete: api(report), want: may(e.want, analyst), def: 403, anon: 401},
		)
	}
	return rows
}
