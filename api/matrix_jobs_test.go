package api_test

import (
	"testing"

	"github.com/msptp/msphub/api/apitest"
)

// jobRows are the routes of the background jobs: administrators see them, nobody else does
// (not even auditors or organisation administrators).
func jobRows(*testing.T, *apitest.App, map[who]*apitest.User) []row {
	return []row{
		{method: "GET", route: "/admin/jobs", want: may(200, admin), def: 403, anon: 303},
		{method: "GET", route: "/api/v1/admin/jobs", want: may(200, admin), def: 403, anon: 401},
	}
}
