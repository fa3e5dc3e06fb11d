package api_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/identity"
)

// oidcRows are the routes of single sign-on. Kent Police has settings saved (switched off, so
// no provider is needed): only administrators see or change them, and nobody can begin a
// sign-in through it. The callback without a state it issued refuses everyone alike.
func oidcRows(t *testing.T, a *apitest.App, callers map[who]*apitest.User) []row {
	kent := a.Org(t, "kent-police")
	_, err := a.Services.OIDC.Save(context.Background(), callers[admin].Actor(t), kent, identity.OIDCInput{
		IssuerURL: "https://login.kent.example.police.uk", ClientID: "msphub", ClientSecret: "matrix secret"})
	if err != nil {
		t.Fatal(err)
	}
	page := func(suffix string) func() string {
		return func() string { return "/organisations/" + itoa(kent) + suffix }
	}
	apiPath := func() string { return "/api/v1/organisations/" + itoa(kent) + "/oidc" }
	return []row{
		{method: "GET", route: "/sign-in/oidc", def: 303, anon: 200},
		{method: "GET", route: "/sign-in/oidc/:org", concrete: func() string { return "/sign-in/oidc/kent-police" }, def: 303, anon: 404},
		{method: "GET", route: "/sign-in/oidc/callback", def: 401, anon: 401},
		{method: "GET", route: "/organisations/:id/single-sign-on", concrete: page("/single-sign-on"), want: may(200, admin), def: 403, anon: 303},
		{method: "POST", route: "/organisations/:id/single-sign-on", concrete: page("/single-sign-on"), form: url.Values{"issuer_url": {"ftp://x"}},
			want: may(422, admin), def: 403, anon: 303},
		{method: "GET", route: "/api/v1/organisations/:id/oidc", concrete: apiPath, want: may(200, admin), def: 403, anon: 401},
		{method: "PUT", route: "/api/v1/organisations/:id/oidc", concrete: apiPath, json: `{}`, want: may(422, admin), def: 403, anon: 401},
	}
}
