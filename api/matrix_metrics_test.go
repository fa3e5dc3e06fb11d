package api_test

import (
	"testing"

	"github.com/msptp/msphub/api/apitest"
)

// metricsRows: /metrics is for the configured addresses (loopback by default) and the metrics
// token, never for a role. The matrix's requests come from 192.0.2.1, outside loopback, so every
// caller, whatever their role, gets the 404 of an address that does not exist.
func metricsRows(*testing.T, *apitest.App, map[who]*apitest.User) []row {
	return []row{{method: "GET", route: "/metrics", def: 404, anon: 404}}
}
