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
	r, err := a.Services.Statistics.CreateReport(context.Background(), callers[analyst].Actor(t), lastMonth(a).Format("2006-01"))
	if err != nil {
		t.Fatal(err)
	}
	report := func() string { return "/statistics/reports/" + itoa(r.ID) + "/download" }
	csv := func() string { return "/statistics/tables/operations-by-force/download.csv" }
	return []row{
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
}
