package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Every request the tests send to /api/v1, and every answer, is checked against the OpenAPI
// document the app serves at /api/v1/openapi.json (loaded once per test binary). The check is
// strict where the document is loose: an object schema that lists its properties admits no
// others (see Strict), so a field the document does not know fails the test, as does a missing
// or mistyped one, an undocumented status, or the wrong content type.
//
// A request the document calls invalid may be sent on purpose (tests of the 422s): that is
// fine when the API refuses it (4xx); it fails the test when the API accepts it. Multipart
// bodies (uploads, streamed) are not read: their parameters and the answer still are.

// APIPrefix is where the validated API lives; pages are not validated.
const APIPrefix = "/api/v1/"

// Contract is a validator built from an OpenAPI document.
type Contract struct {
	router routers.Router
}

var (
	contractOnce sync.Once
	contract     *Contract
	contractErr  error
)

// contractOf loads the contract from the app's served document, once per test binary: the
// document is embedded in the binary, so every app serves the same one.
func contractOf(e http.Handler) (*Contract, error) {
	contractOnce.Do(func() {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, APIPrefix+"openapi.json", nil))
		if w.Code != http.StatusOK {
			contractErr = fmt.Errorf("GET %sopenapi.json: %d", APIPrefix, w.Code)
			return
		}
		contract, contractErr = NewContract(w.Body.Bytes())
	})
	return contract, contractErr
}

// NewContract builds a validator from an OpenAPI 3 document, made strict (see Strict).
func NewContract(doc []byte) (*Contract, error) {
	strict, err := Strict(doc)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	d, err := loader.LoadFromData(strict)
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI document: %w", err)
	}
	if err := d.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is not valid: %w", err)
	}
	r, err := gorillamux.NewRouter(d)
	if err != nil {
		return nil, fmt.Errorf("route the OpenAPI document: %w", err)
	}
	return &Contract{router: r}, nil
}

// Strict returns the document with "additionalProperties": false on every object schema that
// lists properties and says nothing of others, its allOf compositions flattened into one
// object first (a strict part would refuse the other parts' properties).
func Strict(doc []byte) ([]byte, error) {
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is not JSON: %w", err)
	}
	schemas, _ := dig(d, "components", "schemas").(map[string]any)
	var walk func(v any) error
	walk = func(v any) error {
		switch v := v.(type) {
		case map[string]any:
			if parts, ok := v["allOf"].([]any); ok && len(parts) > 1 {
				props := map[string]any{}
				for _, p := range parts {
					pm, _ := p.(map[string]any)
					if ref, ok := pm["$ref"].(string); ok {
						name, found := strings.CutPrefix(ref, "#/components/schemas/")
						if pm, found = schemas[name].(map[string]any); !found {
							return fmt.Errorf("allOf: cannot flatten %s", ref)
						}
					}
					if t, ok := pm["type"]; (ok && t != "object") || pm["allOf"] != nil || pm["oneOf"] != nil || pm["anyOf"] != nil {
						return fmt.Errorf("allOf: cannot flatten a part that is not a plain object: %v", pm)
					}
					pp, _ := pm["properties"].(map[string]any)
					for k, s := range pp {
						props[k] = s
					}
				}
				delete(v, "allOf")
				v["type"] = "object"
				v["properties"] = props
			}
			if _, ok := v["properties"].(map[string]any); ok && v["additionalProperties"] == nil {
				v["additionalProperties"] = false
			}
			for _, c := range v {
				if err := walk(c); err != nil {
					return err
				}
			}
		case []any:
			for _, c := range v {
				if err := walk(c); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(d); err != nil {
		return nil, err
	}
	return json.Marshal(d)
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// Exchange is one request with its body, ready to be checked.
type Exchange struct {
	in *openapi3filter.RequestValidationInput
	// RequestErr is what is wrong with the request according to the document, if anything.
	RequestErr error
	what       string
}

// Request checks req against the document before it is sent. It reads a JSON body and puts it
// back. A route the document does not know gives an Exchange whose Response accepts only 404
// and 405.
func (c *Contract) Request(req *http.Request) *Exchange {
	x := &Exchange{what: req.Method + " " + req.URL.RequestURI()}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		x.RequestErr = err
		return x
	}
	x.what += " (" + route.Method + " " + route.Path + ")"
	opts := &openapi3filter.Options{
		AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc, // the tests check who may do what
		SkipSettingDefaults: true,
		MultiError:          true,
	}
	opts.WithCustomSchemaErrorFunc(schemaError)
	check := req.Clone(context.Background())
	mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	switch {
	case req.Body == nil || req.Body == http.NoBody:
	case mt == "multipart/form-data":
		opts.ExcludeRequestBody = true
		check.Body = http.NoBody // the engine reads the stream
	default:
		b, err := io.ReadAll(req.Body)
		if err != nil {
			x.RequestErr = err
			return x
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		check.Body = io.NopCloser(bytes.NewReader(b))
	}
	x.in = &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route, Options: opts}
	x.RequestErr = openapi3filter.ValidateRequest(context.Background(), x.in)
	return x
}

// Response checks the answer to the exchange's request and returns what differs from the
// document, or nil.
func (x *Exchange) Response(w *httptest.ResponseRecorder) error {
	if x.in == nil { // no such route in the document
		if w.Code == http.StatusNotFound || w.Code == http.StatusMethodNotAllowed {
			return nil
		}
		return fmt.Errorf("%s → %d: the route is not in the OpenAPI document (%v)", x.what, w.Code, x.RequestErr)
	}
	var errs []error
	if x.RequestErr != nil && w.Code < 400 {
		errs = append(errs, fmt.Errorf("the API accepted a request the document refuses: %s", flatten(x.RequestErr)))
	}
	opts := *x.in.Options
	opts.IncludeResponseStatus = true
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: x.in, Status: w.Code, Header: w.Header(), Options: &opts}
	out.SetBodyBytes(w.Body.Bytes())
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		errs = append(errs, fmt.Errorf("response: %s", flatten(err)))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s → %d %s does not match the OpenAPI document:\n\t%s",
		x.what, w.Code, w.Header().Get("Content-Type"), strings.ReplaceAll(errors.Join(errs...).Error(), "\n", "\n\t"))
}

// schemaError names where a value differs and how, without the schema and value dumps.
func schemaError(err *openapi3.SchemaError) string {
	at := "/" + strings.Join(err.JSONPointer(), "/")
	return fmt.Sprintf("at %s: %s", at, err.Reason)
}

// flatten lists the errors kin-openapi nests (MultiError, RequestError, ResponseError) one a
// line.
func flatten(err error) string {
	var lines []string
	var walk func(error, string)
	// cause goes on into the error beneath the reason, or ends the line at the reason.
	cause := func(p, reason string, err error) {
		if err == nil {
			lines = append(lines, p+reason)
			return
		}
		if reason != "" {
			p += reason + ": "
		}
		walk(err, p)
	}
	walk = func(err error, prefix string) {
		if me, ok := err.(openapi3.MultiError); ok {
			for _, e := range me {
				walk(e, prefix)
			}
			return
		}
		switch e := err.(type) {
		case *openapi3filter.RequestError:
			p := prefix
			if e.Parameter != nil {
				p += e.Parameter.In + " parameter " + e.Parameter.Name + ": "
			} else if e.RequestBody != nil {
				p += "request body: "
			}
			cause(p, e.Reason, e.Err)
			return
		case *openapi3filter.ResponseError:
			cause(prefix, e.Reason, e.Err)
			return
		}
		lines = append(lines, prefix+err.Error())
	}
	walk(err, "")
	return strings.Join(lines, "\n")
}

// checked sends req through h, checking it and its answer against the app's OpenAPI document
// when it is for the API. Benchmarks are not checked: they measure the API, not the checker, and
// the tests already hold every answer to the document.
func checked(t testing.TB, h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	if _, bench := t.(*testing.B); bench || !strings.HasPrefix(req.URL.Path, APIPrefix) {
		h.ServeHTTP(w, req)
		return w
	}
	c, err := contractOf(h)
	if err != nil {
		t.Fatalf("OpenAPI contract: %v", err)
	}
	x := c.Request(req)
	h.ServeHTTP(w, req)
	if err := x.Response(w); err != nil {
		t.Errorf("%v", err)
	}
	return w
}
