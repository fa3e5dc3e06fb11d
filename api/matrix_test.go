package api_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/policies"
)

// who names a column of the matrix: anonymous, or a user holding one role.
type who = string

const anonymous who = "anonymous"

// row is one route of the authorization matrix: how to call it and what each caller gets.
type row struct {
	method, route string           // as registered
	path          func(*fx) string // the concrete path of an identity row
	concrete      func() string    // the concrete path (defaults to route)
	form          url.Values       // posted as a form (pages)
	json          string           // sent as JSON (API)
	want          map[who]int      // by caller; others get def
	def           int              // everyone signed in not listed in want
	anon          int              // anonymous
}

// fx holds what the identity rows call routes on.
type fx struct {
	target   *apitest.User // an officer of the home organisation
	otherOrg int64         // an organisation nobody here belongs to
	asset    string
}

// rowSet is one area's rows of the matrix. It may create what its routes act on, related as
// it needs to the callers (one signed-in user per role, all in the home organisation).
type rowSet func(t *testing.T, a *apitest.App, callers map[who]*apitest.User) []row

// rowSets are the areas of MSP Hub; each lists its own routes.
var rowSets = []rowSet{identityRows, guidanceRows, trainingRows, caseRows, operationRows, metricsRows, oidcRows, jobRows, statisticsRows, auditLogRows}

func userPath(suffix string) func(*fx) string {
	return func(f *fx) string { return "/users/" + itoa(f.target.ID) + suffix }
}

// statuses for callers that may, by role.
func may(status int, roles ...string) map[who]int {
	m := map[who]int{}
	for _, r := range roles {
		m[r] = status
	}
	return m
}

func merge(ms ...map[who]int) map[who]int {
	out := map[who]int{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

const (
	admin      = policies.RoleAdmin
	orgAdmin   = policies.RoleOrgAdmin
	supervisor = policies.RoleSupervisor
	auditor    = policies.RoleAuditor
	officer    = policies.RoleOfficer
	trainer    = policies.RoleTrainer
)

var (
	bad       = url.Values{"name": {""}}
	managers  = []string{admin, orgAdmin}
	userRead  = []string{admin, orgAdmin, supervisor}
	noMFA     = []string{officer, trainer} // roles that need no second factor: not enrolled here
	byCode    = func(*fx) string { return "/setup/not-a-real-token" }
	byPwToken = func(*fx) string { return "/set-password/not-a-real-token" }
)

// identityRows are the routes of the walking skeleton and of identity and access.
func identityRows(t *testing.T, a *apitest.App, _ map[who]*apitest.User) []row {
	f := &fx{target: a.NewUser(t, apitest.UserSpec{Roles: []string{officer}}), otherOrg: a.Org(t, "kent-police")}
	start := httptest.NewRecorder()
	a.Engine.ServeHTTP(start, httptest.NewRequest("GET", "/", nil))
	f.asset = regexp.MustCompile(`/assets/[0-9a-f]+/app\.css`).FindString(start.Body.String())
	see, change := 200, 303
	rows := []row{
		{method: "GET", route: "/healthz", def: 200, anon: 200},
		{method: "GET", route: "/readyz", def: 200, anon: 200},
		{method: "GET", route: "/assets/*path", path: func(f *fx) string { return f.asset }, def: 200, anon: 200},
		{method: "GET", route: "/", def: see, anon: see},
		{method: "GET", route: "/sign-in", def: 303, anon: 200},
		{method: "POST", route: "/sign-in", form: url.Values{"email": {"nobody@example.police.uk"}, "password": {"not the password"}}, def: 401, anon: 401},
		{method: "GET", route: "/setup/:token", path: byCode, def: 404, anon: 404},
		{method: "POST", route: "/setup/:token", path: byCode, form: bad, def: 404, anon: 404},
		{method: "GET", route: "/set-password/:token", path: byPwToken, def: 404, anon: 404},
		{method: "POST", route: "/set-password/:token", path: byPwToken, form: url.Values{"password": {"x"}}, def: 404, anon: 404},

		{method: "GET", route: "/sign-in/mfa", def: 303, anon: 303},
		{method: "POST", route: "/sign-in/mfa", form: url.Values{"code": {"000000"}}, def: 303, anon: 303},
		{method: "GET", route: "/account/mfa", want: may(200, noMFA...), def: 303, anon: 303},
		{method: "POST", route: "/account/mfa", form: url.Values{"code": {"000000"}}, want: may(422, noMFA...), def: 409, anon: 303},
		{method: "GET", route: "/account", def: see, anon: 303},
		{method: "GET", route: "/account/password", def: see, anon: 303},
		{method: "POST", route: "/account/password", form: url.Values{"current_password": {"wrong"}, "new_password": {"x"}}, def: 422, anon: 303},
		{method: "POST", route: "/account/mfa/recovery-codes", want: may(409, noMFA...), def: 200, anon: 303},
		{method: "GET", route: "/account/tokens", def: see, anon: 303},
		{method: "POST", route: "/account/tokens", form: bad, def: 422, anon: 303},
		{method: "POST", route: "/account/tokens/:id/revoke", path: func(*fx) string { return "/account/tokens/999999/revoke" }, def: 404, anon: 303},
		{method: "GET", route: "/account/sessions", def: see, anon: 303},
		{method: "POST", route: "/account/sessions/:ref/revoke", path: func(*fx) string { return "/account/sessions/0000000000000000/revoke" }, def: 404, anon: 303},

		{method: "GET", route: "/users", want: may(see, userRead...), def: 403, anon: 303},
		{method: "GET", route: "/users/new", want: may(see, managers...), def: 403, anon: 303},
		{method: "POST", route: "/users/new", form: bad, want: may(422, managers...), def: 403, anon: 303},
		{method: "GET", route: "/users/:id", path: userPath(""), want: may(see, userRead...), def: 404, anon: 303},
		{method: "GET", route: "/users/:id/edit", path: userPath("/edit"), want: merge(may(see, managers...), may(403, supervisor)), def: 404, anon: 303},
		{method: "POST", route: "/users/:id/edit", path: userPath("/edit"), form: bad, want: merge(may(422, managers...), may(403, supervisor)), def: 404, anon: 303},
		{method: "POST", route: "/users/:id/disable", path: userPath("/disable"), want: merge(may(change, managers...), may(403, supervisor)), def: 404, anon: 303},
		{method: "POST", route: "/users/:id/enable", path: userPath("/enable"), want: merge(may(change, managers...), may(403, supervisor)), def: 404, anon: 303},
		{method: "POST", route: "/users/:id/reset-mfa", path: userPath("/reset-mfa"), want: merge(may(change, managers...), may(403, supervisor)), def: 404, anon: 303},
		{method: "POST", route: "/users/:id/set-password-link", path: userPath("/set-password-link"), want: merge(may(see, managers...), may(403, supervisor)), def: 404, anon: 303},

		{method: "GET", route: "/organisations", def: see, anon: 303},
		{method: "GET", route: "/organisations/new", want: may(see, admin), def: 403, anon: 303},
		{method: "POST", route: "/organisations/new", form: bad, want: may(422, admin), def: 403, anon: 303},
		{method: "GET", route: "/organisations/:id/edit", path: orgPath("/edit"), want: may(see, admin), def: 403, anon: 303},
		{method: "POST", route: "/organisations/:id/edit", path: orgPath("/edit"), form: bad, want: may(422, admin), def: 403, anon: 303},
		{method: "POST", route: "/organisations/:id/deactivate", path: orgPath("/deactivate"), want: may(change, admin), def: 403, anon: 303},
		{method: "POST", route: "/organisations/:id/reactivate", path: orgPath("/reactivate"), want: may(change, admin), def: 403, anon: 303},

		{method: "GET", route: "/audit", want: may(see, auditor), def: 403, anon: 303},
		{method: "GET", route: "/audit/export.csv", want: may(200, auditor), def: 403, anon: 303},

		{method: "GET", route: "/api/v1/openapi.json", def: 200, anon: 200},
		{method: "GET", route: "/api/v1/me", def: 200, anon: 401},
		{method: "GET", route: "/api/v1/organisations", def: 200, anon: 401},
		{method: "POST", route: "/api/v1/organisations", json: `{}`, want: may(422, admin), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/organisations/:id", path: apiOrgPath, def: 200, anon: 401},
		{method: "PATCH", route: "/api/v1/organisations/:id", path: apiOrgPath, json: `{}`, want: may(422, admin), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/users", want: may(200, userRead...), def: 403, anon: 401},
		{method: "POST", route: "/api/v1/users", json: `{}`, want: may(422, managers...), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/users/:id", path: apiUser(""), want: may(200, userRead...), def: 404, anon: 401},
		{method: "PATCH", route: "/api/v1/users/:id", path: apiUser(""), json: `{}`, want: merge(may(422, managers...), may(403, supervisor)), def: 404, anon: 401},
		{method: "PUT", route: "/api/v1/users/:id/roles", path: apiUser("/roles"), json: `{"roles":["officer"]}`, want: merge(may(200, managers...), may(403, supervisor)), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/users/:id/disable", path: apiUser("/disable"), want: merge(may(200, managers...), may(403, supervisor)), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/users/:id/enable", path: apiUser("/enable"), want: merge(may(200, managers...), may(403, supervisor)), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/users/:id/reset-mfa", path: apiUser("/reset-mfa"), want: merge(may(200, managers...), may(403, supervisor)), def: 404, anon: 401},
		{method: "POST", route: "/api/v1/users/:id/set-password-link", path: apiUser("/set-password-link"), want: merge(may(201, managers...), may(403, supervisor)), def: 404, anon: 401},
		{method: "GET", route: "/api/v1/tokens", def: 200, anon: 401},
		{method: "POST", route: "/api/v1/tokens", json: `{}`, def: 422, anon: 401},
		{method: "DELETE", route: "/api/v1/tokens/:id", path: func(*fx) string { return "/api/v1/tokens/999999" }, def: 404, anon: 401},
		{method: "GET", route: "/api/v1/audit", want: may(200, auditor), def: 403, anon: 401},
		{method: "GET", route: "/api/v1/audit/export", want: may(200, auditor), def: 403, anon: 401},
		{method: "POST", route: "/api/v1/audit/verify", want: may(200, auditor), def: 403, anon: 401},
	}
	for i := range rows {
		if p := rows[i].path; p != nil {
			rows[i].concrete = func() string { return p(f) }
		}
	}
	return rows
}

// sessionEnders end the caller's session, so they come after every other row.
func sessionEnders() []row {
	return []row{
		{method: "POST", route: "/account/sessions/sign-out-everywhere", def: 303, anon: 303},
		{method: "POST", route: "/sign-out", def: 303, anon: 303},
	}
}

func orgPath(suffix string) func(*fx) string {
	return func(f *fx) string { return "/organisations/" + itoa(f.otherOrg) + suffix }
}

func apiOrgPath(f *fx) string { return "/api/v1/organisations/" + itoa(f.otherOrg) }

func apiUser(suffix string) func(*fx) string {
	return func(f *fx) string { return "/api/v1/users/" + itoa(f.target.ID) + suffix }
}

// TestAuthorizationMatrix calls every registered route as anonymous and as each role, and
// checks the status each gets. A route without a row fails the test.
func TestAuthorizationMatrix(t *testing.T) {
	a := apitest.New(t)
	callers := map[who]*apitest.User{}
	for _, role := range policies.Roles() {
		callers[role] = a.As(t, role)
	}
	var rows []row
	for _, set := range rowSets {
		rows = append(rows, set(t, a, callers)...)
	}
	rows = append(rows, sessionEnders()...)

	have := map[string]bool{}
	for _, r := range rows {
		have[r.method+" "+r.route] = true
	}
	var missing []string
	for _, r := range a.Engine.Routes() {
		if !have[r.Method+" "+r.Path] {
			missing = append(missing, r.Method+" "+r.Path)
		}
		delete(have, r.Method+" "+r.Path)
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("route %s has no row in the authorization matrix", m)
	}
	for r := range have {
		t.Errorf("matrix row %s names no registered route", r)
	}

	for _, caller := range append([]who{anonymous}, policies.Roles()...) {
		u := callers[caller]
		t.Run(caller, func(t *testing.T) {
			for _, r := range rows {
				want := r.def
				if caller == anonymous {
					want = r.anon
				} else if w, ok := r.want[caller]; ok {
					want = w
				}
				path := r.route
				if r.concrete != nil {
					path = r.concrete()
				}
				if got := call(t, a, u, r, path); got != want {
					t.Errorf("%s %s as %s: %d, want %d", r.method, path, caller, got, want)
				}
			}
		})
	}
}

// call sends one matrix request as u (nil: anonymous), the way its kind of client would.
func call(t *testing.T, a *apitest.App, u *apitest.User, r row, path string) int {
	t.Helper()
	if r.route == "/sign-in" && r.method == "POST" {
		// A failed sign-in per caller, each for its own unknown account, so the throttle on
		// one account does not decide the statuses of the others.
		r.form = url.Values{"email": {"nobody-" + strings.ReplaceAll(callerName(u), "_", "-") + "@example.police.uk"}, "password": {"not the password"}}
	}
	if strings.HasPrefix(path, "/api/") {
		return a.API(t, u, r.method, path, r.json).Code
	}
	b := a.Browser()
	if u != nil {
		b = u.Browser()
	} else if r.method != "GET" {
		b.Get(t, "/sign-in") // a browser gets its CSRF cookie from a form first
	}
	if r.method == "GET" {
		return b.Get(t, path).Code
	}
	if r.method != http.MethodPost {
		t.Fatalf("pages only GET and POST: %s %s", r.method, path)
	}
	// An action that asks first (frontend Confirm) is called as confirmed: the matrix is about
	// who may take it.
	form := url.Values{"confirmed": {"yes"}}
	for k, v := range r.form {
		form[k] = v
	}
	return b.Submit(t, path, form).Code
}

func callerName(u *apitest.User) string {
	if u == nil {
		return anonymous
	}
	return strings.Join(u.Roles, "-")
}
