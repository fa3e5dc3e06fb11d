package api_test

import (
	"net/url"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/policies"
)

func init() { rowSets = append(rowSets, operationsImportRows) }

// operationsImportRows are the routes of the bulk import of operations (issue 12): investigators
// and supervisors of an organisation import its operations; everyone else, administrators and
// analysts included, is refused. The requests are not uploads, so the matrix imports nothing.
func operationsImportRows(t *testing.T, a *apitest.App, callers map[who]*apitest.User) []row {
	importers := func(status int) map[who]int { return may(status, policies.RoleInvestigator, policies.RoleSupervisor) }
	path := func(p string) func() string { return func() string { return p } }
	return []row{
		{method: "GET", route: "/operations/import", want: importers(200), def: 403, anon: 303},
		{method: "POST", route: "/operations/import", form: url.Values{}, want: importers(422), def: 403, anon: 303},
		{method: "GET", route: "/operations/import/:file", concrete: path("/operations/import/template.xlsx"), want: importers(200), def: 403, anon: 303},

		{method: "POST", route: "/api/v1/operations/import", json: `{}`, want: importers(422), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/operations/import/template.xlsx", want: importers(200), def: 403, anon: 401},
	}
}
