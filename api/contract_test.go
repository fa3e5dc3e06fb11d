package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/policies"
)

// tinyDoc documents one route: GET /api/v1/things/{id} answers a thing (id, name) or a problem.
const tinyDoc = `{
 "openapi": "3.0.3",
 "info": {"title": "t", "version": "1"},
 "servers": [{"url": "/"}],
 "paths": {"/api/v1/things/{id}": {
  "get": {
   "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
   "responses": {
    "200": {"description": "a thing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
    "404": {"description": "none", "content": {"application/problem+json": {"schema": {"type": "object", "properties": {"title": {"type": "string"}}}}}}
   }
  },
  "put": {
   "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
   "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
   "responses": {
    "200": {"description": "a thing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
    "422": {"description": "refused", "content": {"application/problem+json": {"schema": {"type": "object"}}}}
   }
  }
 }},
 "components": {"schemas": {"Thing": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}}}
}`

// The contract check fails what differs from the document: a field it does not know, a
// mistyped one, an undocumented status or content type, an unknown route, and a request the
// document refuses but the API accepts. What matches passes.
func TestContractCatchesDrift(t *testing.T) {
	c, err := apitest.NewContract([]byte(tinyDoc))
	if err != nil {
		t.Fatal(err)
	}
	// fake answers every request with status, content type and body.
	fake := func(status int, ctype, body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.WriteHeader(status)
			w.Write([]byte(body))
		})
	}
	for _, tc := range []struct {
		name, method, path, body string
		h                        http.Handler
		want                     string // in the error; "" for none
	}{
		{"matches", "GET", "/api/v1/things/1", "", fake(200, "application/json", `{"id":1,"name":"a"}`), ""},
		{"documented error", "GET", "/api/v1/things/1", "", fake(404, "application/problem+json", `{"title":"Not Found"}`), ""},
		{"unknown field", "GET", "/api/v1/things/1", "", fake(200, "application/json", `{"id":1,"name":"a","Secret":"x"}`), `at /: property "Secret" is unsupported`},
		{"PascalCase", "GET", "/api/v1/things/1", "", fake(200, "application/json", `{"ID":1,"Name":"a"}`), `property "ID" is unsupported`},
		{"mistyped field", "GET", "/api/v1/things/1", "", fake(200, "application/json", `{"id":"1"}`), `at /id: value must be an integer`},
		{"undocumented status", "GET", "/api/v1/things/1", "", fake(409, "application/problem+json", `{"title":"Conflict"}`), "status is not supported"},
		{"wrong content type", "GET", "/api/v1/things/1", "", fake(200, "text/html", `<p>`), `unexpected value: "text/html"`},
		{"unknown route", "GET", "/api/v1/nothing", "", fake(200, "application/json", `{}`), "not in the OpenAPI document"},
		{"unknown route answered 404", "GET", "/api/v1/nothing", "", fake(404, "application/problem+json", `{}`), ""},
		{"bad request refused", "PUT", "/api/v1/things/1", `{"id":1,"colour":"red"}`, fake(422, "application/problem+json", `{}`), ""},
		{"bad request accepted", "PUT", "/api/v1/things/1", `{"id":1,"colour":"red"}`, fake(200, "application/json", `{"id":1}`), `the API accepted a request the document refuses: request body: doesn't match schema #/components/schemas/Thing: at /: property "colour" is unsupported`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			x := c.Request(req)
			w := httptest.NewRecorder()
			tc.h.ServeHTTP(w, req)
			err := x.Response(w)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("want no error, got %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("want an error with %q, got none", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error does not say %q:\n%v", tc.want, err)
			case err != nil && !strings.Contains(err.Error(), tc.method+" "+tc.path):
				t.Errorf("error does not name the request:\n%v", err)
			}
		})
	}
}

// Against a copy of the served document that has lost a field, the real audit list no longer
// validates, and the error names the route, the status and the field.
func TestContractCatchesDriftInTheRealAPI(t *testing.T) {
	a := apitest.New(t)
	au := a.As(t, policies.RoleAuditor)
	w := a.API(t, nil, "GET", "/api/v1/openapi.json", "")
	var doc map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	event := doc["components"].(map[string]any)["schemas"].(map[string]any)["AuditEvent"].(map[string]any)
	delete(event["properties"].(map[string]any), "hash")
	b, _ := json.Marshal(doc)
	wrong, err := apitest.NewContract(b)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/api/v1/audit", nil)
	req.AddCookie(&http.Cookie{Name: "msphub_session", Value: au.Cookie})
	x := wrong.Request(req)
	w = httptest.NewRecorder()
	a.Engine.ServeHTTP(w, req)
	err = x.Response(w)
	if err == nil {
		t.Fatal("the audit list validates against a document without hash")
	}
	for _, want := range []string{"GET /api/v1/audit", "→ 200", `at /events/0: property "hash" is unsupported`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
}
