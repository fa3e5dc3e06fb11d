package api_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
)

// The OpenAPI document served at /api/v1/openapi.json describes exactly the API routes the
// engine registers: no route undocumented, no documented route missing.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	a := apitest.New(t)
	w := a.API(t, nil, "GET", "/api/v1/openapi.json", "")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	param := regexp.MustCompile(`:(\w+)`)
	registered := map[string]bool{}
	for _, r := range a.Engine.Routes() {
		if strings.HasPrefix(r.Path, "/api/") {
			registered[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
		}
	}
	diff := func(a, b map[string]bool) []string {
		var out []string
		for k := range a {
			if !b[k] {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	for _, r := range diff(registered, documented) {
		t.Errorf("route %s is not in the OpenAPI document", r)
	}
	for _, r := range diff(documented, registered) {
		t.Errorf("the OpenAPI document describes %s, which is not a route", r)
	}
}
