// Package govuk is the GOV.UK Design System and MOJ components MSP Hub's pages use, ported
// from the Nunjucks templates of govuk-frontend and @ministryofjustice/frontend to html/template.
//
// Each component is a `{{define "govukX"}}` (or "mojX") template in components.html that takes
// one params struct. Pages parse the templates from Templates into their own set, with Funcs in
// their FuncMap. The json tags of the params structs are the Nunjucks macro options
// (macro-options.json), so a fixture's "options" unmarshal straight into them: the golden tests
// in components_test.go do just that.
//
// # Building params in Go
//
// Fill the struct: SubNavigation{Label: "Training", Items: []SubNavItem{{Text: "Courses", Href: "/courses"}}}.
// Text fields are escaped when rendered; fields of type template.HTML are not, so they must only
// ever hold markup our own code produced, never user input.
//
// # Building params in a template
//
// Funcs (to be merged into the page FuncMap) has one constructor per component, named after its
// template, taking alternating keys and values. A key is an option path, with dots for nesting:
//
//	{{template "govukInput" (govukInput "id" "email" "name" "email" "type" "email"
//	    "autocomplete" "email" "spellcheck" false
//	    "label.text" "Email address" "label.classes" "govuk-label--m"
//	    "errorMessage.text" .Errors.email "value" .Form.Email)}}
//
// Lists are built with `list` and objects with `dict` (which takes the same dotted keys):
//
//	"items" (list (dict "value" "read" "text" "Read only")
//	              (dict "value" "read-write" "text" "Read and write" "hint.text" "Can edit"))
//
// The rules:
//   - the pairs build a nested map that is converted to the params struct through JSON, so a
//     value may be anything that marshals to what the option expects (strings, numbers, bools,
//     slices, maps, or params structs themselves);
//   - an unknown key, a wrong type, an odd number of arguments or a key that is not a string
//     makes the constructor return an error, which fails the render (the page becomes a 500):
//     never a panic, never a silently ignored option;
//   - a nil value leaves the option out;
//   - a "hint" or "errorMessage" (at any depth) whose text and html are both empty is left out,
//     so that pages can pass `"errorMessage.text" .Errors.field` unconditionally;
//   - an option called "html", or ending in "Html" (titleHtml, conditional.html...), takes only a
//     template.HTML value (or nil, or ""): a plain string, which may come from a user, is
//     refused rather than rendered unescaped.
//
// # Attributes
//
// The "attributes" options keep their order (as the Nunjucks output does). A name must be a
// plain attribute name and may not be an event handler, style, or a URL attribute (href, src,
// action...), since the value is only HTML-escaped: such a name fails the render. Values may
// be strings, numbers, booleans or {"value": ..., "optional": true} as in govukAttributes.
package govuk

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the timeline shows times in Europe/London wherever the server runs

	"github.com/msptp/msphub/models/core"
)

//go:embed components.html
var templates embed.FS

// Templates holds components.html, the components' templates, for pages to parse into their own
// set. They use no funcs of their own, but the components are built with Funcs.
func Templates() fs.FS { return templates }

// Funcs are the template funcs that build component params: one constructor per component, plus
// list and dict.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"list": list,
		"dict": dict,

		"govukGenericHeader":      construct[GenericHeader]("govukGenericHeader"),
		"govukServiceNavigation":  construct[ServiceNavigation]("govukServiceNavigation"),
		"govukLabel":              construct[label]("govukLabel"),
		"govukHint":               construct[hint]("govukHint"),
		"govukErrorMessage":       construct[errorMessage]("govukErrorMessage"),
		"govukFieldset":           construct[fieldset]("govukFieldset"),
		"govukButton":             construct[button]("govukButton"),
		"govukInput":              construct[input]("govukInput"),
		"govukTextarea":           construct[textarea]("govukTextarea"),
		"govukCharacterCount":     construct[characterCount]("govukCharacterCount"),
		"govukPasswordInput":      construct[passwordInput]("govukPasswordInput"),
		"govukFileUpload":         construct[fileUpload]("govukFileUpload"),
		"govukSelect":             construct[selectParams]("govukSelect"),
		"govukRadios":             construct[radios]("govukRadios"),
		"govukCheckboxes":         construct[checkboxes]("govukCheckboxes"),
		"govukDateInput":          construct[dateInput]("govukDateInput"),
		"govukErrorSummary":       construct[errorSummary]("govukErrorSummary"),
		"govukSummaryList":        construct[summaryList]("govukSummaryList"),
		"govukTable":              construct[table]("govukTable"),
		"govukTag":                construct[tag]("govukTag"),
		"govukNotificationBanner": construct[notificationBanner]("govukNotificationBanner"),
		"govukPanel":              construct[panel]("govukPanel"),
		"govukInsetText":          construct[insetText]("govukInsetText"),
		"govukWarningText":        construct[warningText]("govukWarningText"),
		"govukPagination":         construct[pagination]("govukPagination"),
		"govukBackLink":           construct[backLink]("govukBackLink"),
		"govukDetails":            construct[details]("govukDetails"),
		"govukBreadcrumbs":        construct[breadcrumbs]("govukBreadcrumbs"),
		"mojSubNavigation":        construct[SubNavigation]("mojSubNavigation"),
		"mojTimeline":             construct[Timeline]("mojTimeline"),
		"mojBadge":                construct[badge]("mojBadge"),
		"mojAlert":                construct[alert]("mojAlert"),
	}
}

// ---------------------------------------------------------------------------------------------
// Constructors

// construct returns the template func that builds a T from key/value pairs.
func construct[T any](name string) func(kv ...any) (T, error) {
	return func(kv ...any) (T, error) {
		var params T
		tree, err := pairs(kv)
		if err != nil {
			return params, fmt.Errorf("%s: %w", name, err)
		}
		pruneAbsent(tree)
		b, err := json.Marshal(tree)
		if err != nil {
			return params, fmt.Errorf("%s: %w", name, err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&params); err != nil {
			return params, fmt.Errorf("%s: %w", name, err)
		}
		return params, nil
	}
}

// list returns its arguments as a list.
func list(items ...any) []any { return items }

// dict returns an object from key/value pairs, keys being dotted option paths.
func dict(kv ...any) (map[string]any, error) {
	m, err := pairs(kv)
	if err != nil {
		return nil, fmt.Errorf("dict: %w", err)
	}
	return m, nil
}

// pairs builds the nested map of alternating dotted keys and values.
func pairs(kv []any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("odd number of arguments (%d): keys and values must alternate", len(kv))
	}
	tree := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		key, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("argument %d is a %T, not a key", i+1, kv[i])
		}
		value := kv[i+1]
		if value == nil {
			continue
		}
		path := strings.Split(key, ".")
		for _, seg := range path {
			if seg == "" {
				return nil, fmt.Errorf("bad key %q", key)
			}
		}
		last := path[len(path)-1]
		if last == "html" || strings.HasSuffix(last, "Html") {
			switch v := value.(type) {
			case template.HTML:
			case string:
				if v != "" {
					return nil, fmt.Errorf("%s takes template.HTML, not a string: markup must come from our own code", key)
				}
			default:
				return nil, fmt.Errorf("%s takes template.HTML, not %T", key, value)
			}
		}
		node := tree
		for _, seg := range path[:len(path)-1] {
			switch next := node[seg].(type) {
			case nil:
				m := map[string]any{}
				node[seg] = m
				node = m
			case map[string]any:
				node = next
			default:
				return nil, fmt.Errorf("key %q: %s is already set to a %T", key, seg, next)
			}
		}
		if _, dup := node[last]; dup {
			return nil, fmt.Errorf("key %q given twice", key)
		}
		node[last] = value
	}
	return tree, nil
}

// pruneAbsent removes, at any depth, the "hint" and "errorMessage" objects that have neither
// text nor html.
func pruneAbsent(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if m, ok := child.(map[string]any); ok && (k == "hint" || k == "errorMessage") && blank(m["text"]) && blank(m["html"]) {
				delete(v, k)
				continue
			}
			pruneAbsent(child)
		}
	case []any:
		for _, child := range v {
			pruneAbsent(child)
		}
	case []map[string]any:
		for _, child := range v {
			pruneAbsent(child)
		}
	}
}

func blank(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.String && rv.Len() == 0
}

// ---------------------------------------------------------------------------------------------
// Option types shared by components

// flexString is a string option that the Nunjucks macros also accept as a number or boolean
// (values, rows, page numbers, heading levels...).
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*s = flexString(str)
	case string(b) == "true" || string(b) == "false":
		*s = flexString(b)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a string or a number, got %s", b)
		}
		*s = flexString(n.String())
	}
	return nil
}

// attribute is one extra HTML attribute of a component. Bare renders the name alone (a boolean
// attribute such as hidden).
type attribute struct {
	Name, Value string
	Bare        bool
}

// attributes are a component's extra HTML attributes, in order.
type attributes []attribute

var attrName = regexp.MustCompile(`^[a-zA-Z_:][-a-zA-Z0-9_:.]*$`)

// urlAttrs take URLs: html/template would filter their values, Render only escapes them.
var urlAttrs = map[string]bool{
	"action": true, "archive": true, "background": true, "cite": true, "classid": true,
	"codebase": true, "data": true, "dynsrc": true, "formaction": true, "href": true, "icon": true,
	"longdesc": true, "lowsrc": true, "manifest": true, "ping": true, "poster": true, "profile": true,
	"src": true, "srcdoc": true, "srcset": true, "usemap": true, "xlink:href": true, "xmlns": true,
}

// Render writes the attributes as ` name="value"`, values HTML-escaped. A name that is not a
// plain attribute name, or that takes script, style or a URL, is an error.
func (a attributes) Render() (template.HTMLAttr, error) {
	var b strings.Builder
	for _, at := range a {
		lower := strings.ToLower(at.Name)
		if !attrName.MatchString(at.Name) || strings.HasPrefix(lower, "on") || lower == "style" || urlAttrs[lower] {
			return "", fmt.Errorf("attribute %q is not allowed in component attributes", at.Name)
		}
		b.WriteByte(' ')
		b.WriteString(at.Name)
		if !at.Bare {
			b.WriteString(`="`)
			b.WriteString(template.HTMLEscapeString(at.Value))
			b.WriteByte('"')
		}
	}
	return template.HTMLAttr(b.String()), nil
}

// with returns a copy of a with more attributes appended.
func (a attributes) with(more ...attribute) attributes {
	return append(append(attributes(nil), a...), more...)
}

// optional returns a with name="value" appended, unless value is empty.
func (a attributes) optional(name, value string) attributes {
	if value == "" {
		return a
	}
	return append(a, attribute{Name: name, Value: value})
}

// UnmarshalJSON reads an object, keeping its order. Values follow govukAttributes: a string,
// number or boolean is the value (null is ""); {"value": v, "optional": true} leaves the
// attribute out when v is null or false and renders the name alone when v is true.
func (a *attributes) UnmarshalJSON(b []byte) error {
	*a = nil
	if string(b) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("attributes: want an object, got %s", b)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		name := t.(string)
		var raw any
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		optional := false
		if obj, ok := raw.(map[string]any); ok {
			for k := range obj {
				if k != "value" && k != "optional" {
					return fmt.Errorf("attribute %q: unknown field %q", name, k)
				}
			}
			raw = obj["value"]
			optional, _ = obj["optional"].(bool)
		}
		switch v := raw.(type) {
		case nil:
			if !optional {
				*a = append(*a, attribute{Name: name})
			}
		case bool:
			switch {
			case optional && v:
				*a = append(*a, attribute{Name: name, Bare: true})
			case optional:
			default:
				*a = append(*a, attribute{Name: name, Value: strconv.FormatBool(v)})
			}
		case string:
			*a = append(*a, attribute{Name: name, Value: v})
		case json.Number:
			*a = append(*a, attribute{Name: name, Value: v.String()})
		default:
			return fmt.Errorf("attribute %q: want a string, number or boolean, got %T", name, raw)
		}
	}
	_, err := dec.Token()
	return err
}

// MarshalJSON writes the attributes as an ordered object, so that params built in Go can be
// passed through a constructor.
func (a attributes) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, at := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(at.Name)
		b.Write(name)
		b.WriteByte(':')
		if at.Bare {
			b.WriteString(`{"value":true,"optional":true}`)
			continue
		}
		value, _ := json.Marshal(at.Value)
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Content is text or HTML (HTML wins): what most components show (they embed it, so their
// "text" and "html" options are its fields), and beforeInput, afterInput, conditional...
type Content struct {
	Text string        `json:"text"`
	HTML template.HTML `json:"html"`
}

func (c *Content) present() bool { return c != nil && (c.Text != "" || c.HTML != "") }

// joinIDs joins the non-empty ids with spaces, for aria-describedby.
func joinIDs(ids ...string) string {
	var out []string
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	return strings.Join(out, " ")
}

// joinClasses joins the non-empty class names with spaces.
func joinClasses(classes ...string) string { return joinIDs(classes...) }

// classIf is class when on, otherwise nothing: a modifier class for joinClasses.
func classIf(on bool, class string) string {
	if on {
		return class
	}
	return ""
}

// orDefault is *v, or def when the option was not given (nil): for options where an empty
// value means something (no prefix, no label).
func orDefault[T any](v *T, def T) T {
	if v == nil {
		return def
	}
	return *v
}

// headingLevel returns level if it is 1 to 6, otherwise def.
func headingLevel(level flexString, def string) string {
	if len(level) == 1 && level[0] >= '1' && level[0] <= '6' {
		return string(level)
	}
	return def
}

// ---------------------------------------------------------------------------------------------
// GOV.UK header and navigation (kept to what the layout needs)

// GenericHeader is govukGenericHeader: the header for services not on GOV.UK.
type GenericHeader struct {
	LogoText string `json:"logoText"`
	URL      string `json:"url"`
}

// ServiceNavigation is govukServiceNavigation.
type ServiceNavigation struct {
	ServiceName string    `json:"serviceName"`
	ServiceURL  string    `json:"serviceUrl"`
	Navigation  []NavItem `json:"navigation"`
}

// NavItem is one link of the service navigation. Current marks the page being shown; Active
// marks the section it belongs to.
type NavItem struct {
	Href    string `json:"href"`
	Text    string `json:"text"`
	Current bool   `json:"current"`
	Active  bool   `json:"active"`
}

// ---------------------------------------------------------------------------------------------
// Form parts: label, hint, error message, fieldset

// label is govukLabel.
type label struct {
	Content
	For           string     `json:"for"`
	IsPageHeading bool       `json:"isPageHeading"`
	Classes       string     `json:"classes"`
	Attributes    attributes `json:"attributes"`
}

// hint is govukHint.
type hint struct {
	Content
	ID         string     `json:"id"`
	Classes    string     `json:"classes"`
	Attributes attributes `json:"attributes"`
}

// setID gives the hint its id, for withID.
func (h *hint) setID(id string) { h.ID = id }

// withID is a copy of a field's hint or error message with its id, or nil.
func withID[T any, P interface {
	*T
	setID(string)
}](part P, id string) P {
	if part == nil {
		return nil
	}
	out := *part
	P(&out).setID(id)
	return &out
}

// errorMessage is govukErrorMessage.
type errorMessage struct {
	Content
	ID                 string      `json:"id"`
	Classes            string      `json:"classes"`
	Attributes         attributes  `json:"attributes"`
	VisuallyHiddenText *hiddenText `json:"visuallyHiddenText"`
}

// hiddenText is visuallyHiddenText: false turns the prefix off.
type hiddenText string

func (h *hiddenText) UnmarshalJSON(b []byte) error {
	if string(b) == "false" {
		*h = ""
		return nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	*h = hiddenText(s)
	return err
}

// Prefix is the visually hidden prefix: "Error" unless set.
func (e errorMessage) Prefix() string {
	return string(orDefault(e.VisuallyHiddenText, "Error"))
}

// setID gives the error message its id, for withID.
func (e *errorMessage) setID(id string) { e.ID = id }

// fieldset is govukFieldset. HTML is its content.
type fieldset struct {
	DescribedBy string        `json:"describedBy"`
	Legend      *legend       `json:"legend"`
	Classes     string        `json:"classes"`
	Role        string        `json:"role"`
	Attributes  attributes    `json:"attributes"`
	HTML        template.HTML `json:"html"`
}

// legend is a fieldset's legend.
type legend struct {
	Content
	Classes       string `json:"classes"`
	IsPageHeading bool   `json:"isPageHeading"`
}

// formGroup is the form group around a single field.
type formGroup struct {
	Classes     string     `json:"classes"`
	Attributes  attributes `json:"attributes"`
	BeforeInput *Content   `json:"beforeInput"`
	AfterInput  *Content   `json:"afterInput"`
}

// groupFormGroup is the form group around a group of fields (radios, checkboxes, date).
type groupFormGroup struct {
	Classes      string     `json:"classes"`
	Attributes   attributes `json:"attributes"`
	BeforeInputs *Content   `json:"beforeInputs"`
	AfterInputs  *Content   `json:"afterInputs"`
}

// group is what the templates need to lay out a group of fields (radios, checkboxes, date
// input): the form group, the optional fieldset around the content, the hint and error.
type group struct {
	FormGroup groupFormGroup
	Fieldset  *fieldset // nil: no fieldset
	Hint      *hint
	Error     *errorMessage
}

// ---------------------------------------------------------------------------------------------
// Button

// button is govukButton.
type button struct {
	Content
	Type               string     `json:"type"`
	Name               string     `json:"name"`
	Value              string     `json:"value"`
	Disabled           bool       `json:"disabled"`
	Href               string     `json:"href"`
	Classes            string     `json:"classes"`
	Attributes         attributes `json:"attributes"`
	PreventDoubleClick *bool      `json:"preventDoubleClick"`
	IsStartButton      bool       `json:"isStartButton"`
	ID                 string     `json:"id"`
}

// ClassNames is the class attribute.
func (b button) ClassNames() string {
	return joinClasses("govuk-button", b.Classes, classIf(b.IsStartButton, "govuk-button--start"))
}

// ButtonType is the type of a <button>: submit unless set.
func (b button) ButtonType() string {
	if b.Type == "" {
		return "submit"
	}
	return b.Type
}

// ---------------------------------------------------------------------------------------------
// Input, textarea, character count, password input, file upload, select

// field is what the single-field components share: the field's id and name, its label, hint and
// error message, the form group around it, and its own classes and attributes. The components
// embed it (through control, but for the character count), so its options and its methods for
// the templates are theirs.
type field struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Label        *label        `json:"label"`
	Hint         *hint         `json:"hint"`
	ErrorMessage *errorMessage `json:"errorMessage"`
	FormGroup    formGroup     `json:"formGroup"`
	Classes      string        `json:"classes"`
	Attributes   attributes    `json:"attributes"`
}

// FieldID is the field's id: its name unless set.
func (f field) FieldID() string { return or(f.ID, f.Name) }

// LabelParams is the field's label, for the field.
func (f field) LabelParams() label {
	var out label
	if f.Label != nil {
		out = *f.Label
	}
	out.For = f.FieldID()
	return out
}

// HintParams is the field's hint, or nil.
func (f field) HintParams() *hint { return withID(f.Hint, f.FieldID()+"-hint") }

// ErrorParams is the field's error message, or nil.
func (f field) ErrorParams() *errorMessage { return withID(f.ErrorMessage, f.FieldID()+"-error") }

// within is the field as a component built on it (character count, password input) passes it
// on: its id settled, class before its classes, and groupClass and groupAttrs before its form
// group's.
func (f field) within(groupClass string, groupAttrs attributes, class string) field {
	out := f
	out.ID = f.FieldID()
	out.FormGroup.Classes = joinClasses(groupClass, f.FormGroup.Classes)
	out.FormGroup.Attributes = groupAttrs.with(f.FormGroup.Attributes...)
	out.Classes = joinClasses(class, f.Classes)
	return out
}

// control is a field that may be disabled and described by other elements: every single field
// but the character count, which has neither option.
type control struct {
	field
	Disabled    bool   `json:"disabled"`
	DescribedBy string `json:"describedBy"`
}

// DescribedByIDs is the field's aria-describedby.
func (c control) DescribedByIDs() string {
	return describedBy(c.DescribedBy, c.Hint != nil, c.ErrorMessage != nil, c.FieldID())
}

// describedBy is a field's aria-describedby: the given ids, then its hint's, then its error's.
func describedBy(given string, hasHint, hasError bool, id string) string {
	var hintID, errorID string
	if hasHint {
		hintID = id + "-hint"
	}
	if hasError {
		errorID = id + "-error"
	}
	return joinIDs(given, hintID, errorID)
}

func or(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// input is govukInput.
type input struct {
	control
	Type           string     `json:"type"`
	Inputmode      string     `json:"inputmode"`
	Value          flexString `json:"value"`
	Prefix         *affix     `json:"prefix"`
	Suffix         *affix     `json:"suffix"`
	Autocomplete   string     `json:"autocomplete"`
	Pattern        string     `json:"pattern"`
	Spellcheck     *bool      `json:"spellcheck"`
	Autocapitalize string     `json:"autocapitalize"`
	InputWrapper   wrapper    `json:"inputWrapper"`

	// AfterButton is a button after the input, inside the wrapper: the password input's
	// show/hide toggle.
	AfterButton *button `json:"-"`
}

// affix is an input's prefix or suffix.
type affix struct {
	Content
	Classes    string     `json:"classes"`
	Attributes attributes `json:"attributes"`

	Type string `json:"-"` // prefix or suffix, set by the input
}

// PrefixAffix is the prefix to render, or nil.
func (p input) PrefixAffix() *affix { return p.Prefix.as("prefix") }

// SuffixAffix is the suffix to render, or nil.
func (p input) SuffixAffix() *affix { return p.Suffix.as("suffix") }

func (a *affix) as(typ string) *affix {
	if a == nil || !a.present() {
		return nil
	}
	out := *a
	out.Type = typ
	return &out
}

// wrapper is the input wrapper's classes and attributes.
type wrapper struct {
	Classes    string     `json:"classes"`
	Attributes attributes `json:"attributes"`
}

// Attrs is the input element's attributes after class and id, in the Design System's order.
func (p input) Attrs() attributes {
	var a attributes
	a = append(a, attribute{Name: "name", Value: p.Name}, attribute{Name: "type", Value: or(p.Type, "text")})
	if p.Spellcheck != nil {
		a = append(a, attribute{Name: "spellcheck", Value: strconv.FormatBool(*p.Spellcheck)})
	}
	if p.Value != "" {
		a = append(a, attribute{Name: "value", Value: string(p.Value)})
	}
	if p.Disabled {
		a = append(a, attribute{Name: "disabled", Bare: true})
	}
	a = a.optional("aria-describedby", p.DescribedByIDs())
	a = a.optional("autocomplete", p.Autocomplete)
	a = a.optional("autocapitalize", p.Autocapitalize)
	a = a.optional("pattern", p.Pattern)
	a = a.optional("inputmode", p.Inputmode)
	return a.with(p.Attributes...)
}

// ClassNames is the input element's class attribute.
func (p input) ClassNames() string {
	return joinClasses("govuk-input", p.Classes, classIf(p.ErrorMessage != nil, "govuk-input--error"))
}

// HasWrapper tells whether the input needs the wrapper (for a prefix, suffix or button).
func (p input) HasWrapper() bool {
	return p.PrefixAffix() != nil || p.SuffixAffix() != nil ||
		p.FormGroup.BeforeInput.present() || p.FormGroup.AfterInput.present() || p.AfterButton != nil
}

// textarea is govukTextarea.
type textarea struct {
	control
	Spellcheck   *bool      `json:"spellcheck"`
	Rows         flexString `json:"rows"`
	Value        string     `json:"value"`
	Autocomplete string     `json:"autocomplete"`

	// CountMessage is the character count's message, after the textarea.
	CountMessage *hint `json:"-"`
}

// RowCount is the rows attribute: 5 unless set.
func (p textarea) RowCount() string { return or(string(p.Rows), "5") }

// characterCount is govukCharacterCount: a textarea that counts characters or words.
type characterCount struct {
	field
	Rows                     flexString `json:"rows"`
	Value                    string     `json:"value"`
	Maxlength                flexString `json:"maxlength"`
	Maxwords                 flexString `json:"maxwords"`
	Threshold                flexString `json:"threshold"`
	Spellcheck               *bool      `json:"spellcheck"`
	CountMessage             wrapper    `json:"countMessage"`
	TextareaDescriptionText  string     `json:"textareaDescriptionText"`
	CountType                string     `json:"countType"`
	CharactersUnderLimitText plurals    `json:"charactersUnderLimitText"`
	CharactersAtLimitText    string     `json:"charactersAtLimitText"`
	CharactersOverLimitText  plurals    `json:"charactersOverLimitText"`
	WordsUnderLimitText      plurals    `json:"wordsUnderLimitText"`
	WordsAtLimitText         string     `json:"wordsAtLimitText"`
	WordsOverLimitText       plurals    `json:"wordsOverLimitText"`
}

// plurals are translations by CLDR plural rule ("one", "other"...), in order.
type plurals []attribute

func (p *plurals) UnmarshalJSON(b []byte) error {
	var a attributes
	err := a.UnmarshalJSON(b)
	*p = plurals(a)
	return err
}

func (p plurals) MarshalJSON() ([]byte, error) { return attributes(p).MarshalJSON() }

// i18n is one translated message of a component: a message, or one per plural rule.
type i18n struct {
	key     string
	message string
	plurals plurals
}

// i18nAttrs are govukI18nAttributes, in order: data-i18n.key="message", or one attribute per
// plural rule.
func i18nAttrs(messages ...i18n) attributes {
	var a attributes
	for _, m := range messages {
		if len(m.plurals) > 0 {
			for _, p := range m.plurals {
				a = append(a, attribute{Name: "data-i18n." + m.key + "." + p.Name, Value: p.Value})
			}
			continue
		}
		a = a.optional("data-i18n."+m.key, m.message)
	}
	return a
}

// Textarea is the textarea the character count renders.
func (p characterCount) Textarea() textarea {
	id := p.FieldID()
	countType := p.CountType
	if countType == "" && p.Maxwords != "" {
		countType = "words"
	}
	hasNoLimit := p.Maxwords == "" && p.Maxlength == ""
	description := p.TextareaDescriptionText
	if description == "" {
		description = "You can enter up to %{count} characters"
		if countType == "words" {
			description = "You can enter up to %{count} words"
		}
	}
	message := ""
	if !hasNoLimit {
		message = strings.ReplaceAll(description, "%{count}", string(or(string(p.Maxwords), string(p.Maxlength))))
	}
	a := attributes{{Name: "data-module", Value: "govuk-character-count"}}
	a = a.optional("data-maxlength", string(p.Maxlength))
	a = a.optional("data-maxwords", string(p.Maxwords))
	a = a.optional("data-threshold", string(p.Threshold))
	a = a.optional("data-count-type", countType)
	if hasNoLimit && p.TextareaDescriptionText != "" {
		a = append(a, i18nAttrs(i18n{key: "textarea-description", plurals: plurals{{Name: "other", Value: p.TextareaDescriptionText}}})...)
	}
	a = append(a, i18nAttrs(
		i18n{key: "characters-under-limit", plurals: p.CharactersUnderLimitText},
		i18n{key: "characters-at-limit", message: p.CharactersAtLimitText},
		i18n{key: "characters-over-limit", plurals: p.CharactersOverLimitText},
		i18n{key: "words-under-limit", plurals: p.WordsUnderLimitText},
		i18n{key: "words-at-limit", message: p.WordsAtLimitText},
		i18n{key: "words-over-limit", plurals: p.WordsOverLimitText},
	)...)
	return textarea{
		control:      control{field: p.within("govuk-character-count", a, "govuk-js-character-count"), DescribedBy: id + "-info"},
		Rows:         p.Rows,
		Spellcheck:   p.Spellcheck,
		Value:        p.Value,
		CountMessage: &hint{Content: Content{Text: message}, ID: id + "-info", Classes: joinClasses("govuk-character-count__message", p.CountMessage.Classes)},
	}
}

// passwordInput is govukPasswordInput: a password input with a show/hide button.
type passwordInput struct {
	control
	Value                          string  `json:"value"`
	Autocomplete                   string  `json:"autocomplete"`
	ShowPasswordText               string  `json:"showPasswordText"`
	HidePasswordText               string  `json:"hidePasswordText"`
	ShowPasswordAriaLabelText      string  `json:"showPasswordAriaLabelText"`
	HidePasswordAriaLabelText      string  `json:"hidePasswordAriaLabelText"`
	PasswordShownAnnouncementText  string  `json:"passwordShownAnnouncementText"`
	PasswordHiddenAnnouncementText string  `json:"passwordHiddenAnnouncementText"`
	Button                         wrapper `json:"button"`
}

// Input is the input the password input renders.
func (p passwordInput) Input() input {
	a := attributes{{Name: "data-module", Value: "govuk-password-input"}}
	a = append(a, i18nAttrs(
		i18n{key: "show-password", message: p.ShowPasswordText},
		i18n{key: "hide-password", message: p.HidePasswordText},
		i18n{key: "show-password-aria-label", message: p.ShowPasswordAriaLabelText},
		i18n{key: "hide-password-aria-label", message: p.HidePasswordAriaLabelText},
		i18n{key: "password-shown-announcement", message: p.PasswordShownAnnouncementText},
		i18n{key: "password-hidden-announcement", message: p.PasswordHiddenAnnouncementText},
	)...)
	c := p.control
	c.field = p.within("govuk-password-input", a, "govuk-password-input__input govuk-js-password-input-input")
	spellcheck := false
	return input{
		control:        c,
		InputWrapper:   wrapper{Classes: "govuk-password-input__wrapper"},
		Type:           "password",
		Spellcheck:     &spellcheck,
		Autocapitalize: "none",
		Autocomplete:   or(p.Autocomplete, "current-password"),
		Value:          flexString(p.Value),
		AfterButton: &button{
			Type:    "button",
			Classes: joinClasses("govuk-button--secondary govuk-password-input__toggle govuk-js-password-input-toggle", p.Button.Classes),
			Content: Content{Text: or(p.ShowPasswordText, "Show")},
			Attributes: attributes{
				{Name: "aria-controls", Value: c.ID},
				{Name: "aria-label", Value: or(p.ShowPasswordAriaLabelText, "Show password")},
				{Name: "hidden", Bare: true},
			},
		},
	}
}

// fileUpload is govukFileUpload.
type fileUpload struct {
	control
	Multiple                bool       `json:"multiple"`
	Javascript              bool       `json:"javascript"`
	ChooseFilesButtonText   string     `json:"chooseFilesButtonText"`
	DropInstructionText     string     `json:"dropInstructionText"`
	MultipleFilesChosenText plurals    `json:"multipleFilesChosenText"`
	NoFileChosenText        string     `json:"noFileChosenText"`
	EnteredDropZoneText     string     `json:"enteredDropZoneText"`
	LeftDropZoneText        string     `json:"leftDropZoneText"`
	WrapperClasses          string     `json:"wrapperClasses"`
	WrapperAttributes       attributes `json:"wrapperAttributes"`
}

// WrapperAttrs are the JavaScript wrapper's attributes after its class and data-module.
func (p fileUpload) WrapperAttrs() attributes {
	return i18nAttrs(
		i18n{key: "choose-files-button", message: p.ChooseFilesButtonText},
		i18n{key: "no-file-chosen", message: p.NoFileChosenText},
		i18n{key: "multiple-files-chosen", plurals: p.MultipleFilesChosenText},
		i18n{key: "drop-instruction", message: p.DropInstructionText},
		i18n{key: "entered-drop-zone", message: p.EnteredDropZoneText},
		i18n{key: "left-drop-zone", message: p.LeftDropZoneText},
	).with(p.WrapperAttributes...)
}

// selectParams is govukSelect.
type selectParams struct {
	control
	Items []*selectItem `json:"items"`
	Value flexString    `json:"value"`
}

// selectItem is one option of a select. Without a value, the option's value is its text.
type selectItem struct {
	Value      *flexString `json:"value"`
	Text       string      `json:"text"`
	Selected   *bool       `json:"selected"`
	Disabled   bool        `json:"disabled"`
	Attributes attributes  `json:"attributes"`
}

// selectOption is an option ready to render.
type selectOption struct {
	*selectItem
	IsSelected bool
}

// Options are the select's options, with which is selected.
func (p selectParams) Options() []selectOption {
	var out []selectOption
	for _, it := range p.Items {
		if it == nil {
			continue
		}
		selected := false
		if it.Selected != nil && *it.Selected {
			selected = true
		} else if p.Value != "" && (it.Selected == nil || *it.Selected) {
			value := flexString(it.Text)
			if it.Value != nil {
				value = *it.Value
			}
			selected = value == p.Value
		}
		out = append(out, selectOption{it, selected})
	}
	return out
}

// ---------------------------------------------------------------------------------------------
// Radios and checkboxes

// fields is what the components of a group of fields (radios, checkboxes, date input) share:
// the fieldset around them, their hint and error message, the form group, and their classes
// and attributes.
type fields struct {
	Fieldset     *fieldset      `json:"fieldset"`
	Hint         *hint          `json:"hint"`
	ErrorMessage *errorMessage  `json:"errorMessage"`
	FormGroup    groupFormGroup `json:"formGroup"`
	Classes      string         `json:"classes"`
	Attributes   attributes     `json:"attributes"`
}

// group lays out the hint, error message and fieldset of the fields, whose hint and error ids
// start with prefix. given is the group's own describedBy, which the fieldset's overrides;
// role, if set, is the fieldset's role.
func (p fields) group(prefix, given, role string) group {
	g := group{FormGroup: p.FormGroup, Hint: withID(p.Hint, prefix+"-hint"), Error: withID(p.ErrorMessage, prefix+"-error")}
	if p.Fieldset != nil {
		if p.Fieldset.DescribedBy != "" {
			given = p.Fieldset.DescribedBy
		}
		f := *p.Fieldset
		f.DescribedBy = describedBy(given, p.Hint != nil, p.ErrorMessage != nil, prefix)
		if role != "" {
			f.Role = role
		}
		g.Fieldset = &f
	}
	return g
}

// choiceFields is what radios and checkboxes share.
type choiceFields struct {
	fields
	IdPrefix string        `json:"idPrefix"`
	Name     string        `json:"name"`
	Items    []*choiceItem `json:"items"`
}

// prefix starts the ids: idPrefix, or the name.
func (p choiceFields) prefix() string { return or(p.IdPrefix, p.Name) }

// radios is govukRadios.
type radios struct {
	choiceFields
	Value flexString `json:"value"`
}

// checkboxes is govukCheckboxes.
type checkboxes struct {
	choiceFields
	DescribedBy string       `json:"describedBy"`
	Values      []flexString `json:"values"`
}

// choiceItem is one radio or checkbox. Name and Behaviour are for checkboxes only.
type choiceItem struct {
	Content
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Value       flexString `json:"value"`
	Label       *itemLabel `json:"label"`
	Hint        *hint      `json:"hint"`
	Divider     string     `json:"divider"`
	Checked     *bool      `json:"checked"`
	Conditional *Content   `json:"conditional"`
	Behaviour   string     `json:"behaviour"`
	Disabled    bool       `json:"disabled"`
	Attributes  attributes `json:"attributes"`
}

// itemLabel is the label options of a radio or checkbox.
type itemLabel struct {
	Classes    string     `json:"classes"`
	Attributes attributes `json:"attributes"`
}

// choice is a radio or checkbox ready to render.
type choice struct {
	Kind          string // radios or checkboxes
	Type          string // radio or checkbox
	Divider       string
	ID, Name      string
	Value         flexString
	Checked       bool
	Disabled      bool
	Behaviour     string
	ConditionalID string
	Conditional   template.HTML
	DescribedBy   string
	Attributes    attributes
	Label         label
	Hint          *hint
}

// choices lays out the items of radios or checkboxes.
func choices(kind, typ, idPrefix, name string, items []*choiceItem, describedByGroup string, checked func(*choiceItem) bool) []choice {
	var out []choice
	for i, it := range items {
		if it == nil {
			continue
		}
		if it.Divider != "" {
			out = append(out, choice{Kind: kind, Divider: it.Divider})
			continue
		}
		id := it.ID
		if id == "" {
			id = idPrefix
			if i > 0 {
				id += "-" + strconv.Itoa(i+1)
			}
		}
		c := choice{
			Kind: kind, Type: typ, ID: id, Name: or(it.Name, name), Value: it.Value,
			Checked: checked(it), Disabled: it.Disabled, Behaviour: it.Behaviour,
			Attributes: it.Attributes,
			Label:      label{Content: it.Content, For: id, Classes: "govuk-" + kind + "__label"},
		}
		if it.Label != nil {
			c.Label.Classes = joinClasses(c.Label.Classes, it.Label.Classes)
			c.Label.Attributes = it.Label.Attributes
		}
		if it.Conditional != nil && it.Conditional.HTML != "" {
			c.ConditionalID = "conditional-" + id
			c.Conditional = it.Conditional.HTML
		}
		hintID := ""
		if it.Hint != nil && it.Hint.present() {
			hintID = id + "-item-hint"
			h := *it.Hint
			h.ID = hintID
			h.Classes = joinClasses("govuk-"+kind+"__hint", it.Hint.Classes)
			c.Hint = &h
		}
		c.DescribedBy = joinIDs(describedByGroup, hintID)
		out = append(out, c)
	}
	return out
}

// choiceGroup is radios or checkboxes ready to render.
type choiceGroup struct {
	Kind       string // radios or checkboxes
	Group      group
	Classes    string
	Attributes attributes
	Choices    []choice
}

// layout is the radios or checkboxes ready to render.
func (p choiceFields) layout(kind string, g group, choices []choice) choiceGroup {
	return choiceGroup{Kind: kind, Group: g, Classes: p.Classes, Attributes: p.Attributes, Choices: choices}
}

// Layout is the radios ready to render.
func (p radios) Layout() choiceGroup { return p.layout("radios", p.Group(), p.Choices()) }

// Layout is the checkboxes ready to render.
func (p checkboxes) Layout() choiceGroup { return p.layout("checkboxes", p.Group(), p.Choices()) }

// Group is the form group, fieldset, hint and error of the radios.
func (p radios) Group() group { return p.group(p.prefix(), "", "") }

// Choices are the radios to render.
func (p radios) Choices() []choice {
	return choices("radios", "radio", p.prefix(), p.Name, p.Items, "", func(it *choiceItem) bool {
		if it.Checked != nil && *it.Checked {
			return true
		}
		return p.Value != "" && it.Value == p.Value && it.Checked == nil
	})
}

// Group is the form group, fieldset, hint and error of the checkboxes.
func (p checkboxes) Group() group { return p.group(p.prefix(), p.DescribedBy, "") }

// Choices are the checkboxes to render.
func (p checkboxes) Choices() []choice {
	// Without a fieldset, each checkbox is described by the group's hint and error too.
	group := ""
	if p.Fieldset == nil {
		group = describedBy(p.DescribedBy, p.Hint != nil, p.ErrorMessage != nil, p.prefix())
	}
	return choices("checkboxes", "checkbox", p.prefix(), p.Name, p.Items, group, func(it *choiceItem) bool {
		if it.Checked != nil {
			return *it.Checked
		}
		for _, v := range p.Values {
			if v == it.Value {
				return true
			}
		}
		return false
	})
}

// ---------------------------------------------------------------------------------------------
// Date input

// dateInput is govukDateInput.
type dateInput struct {
	fields
	ID         string                `json:"id"`
	NamePrefix string                `json:"namePrefix"`
	Items      []*dateInputItem      `json:"items"`
	Day        *dateInputItem        `json:"day"`
	Month      *dateInputItem        `json:"month"`
	Year       *dateInputItem        `json:"year"`
	Values     map[string]flexString `json:"values"`
}

// dateInputItem is one field of a date input; day, month and year may be false to leave the
// field out.
type dateInputItem struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Label        string     `json:"label"`
	Value        flexString `json:"value"`
	Error        *bool      `json:"error"`
	Autocomplete string     `json:"autocomplete"`
	Pattern      string     `json:"pattern"`
	Inputmode    string     `json:"inputmode"`
	Classes      string     `json:"classes"`
	Attributes   attributes `json:"attributes"`

	omitted bool
}

func (it *dateInputItem) UnmarshalJSON(b []byte) error {
	if string(b) == "false" {
		*it = dateInputItem{omitted: true}
		return nil
	}
	type plain dateInputItem
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*it = dateInputItem(p)
	return nil
}

func (it *dateInputItem) hasError() bool {
	return it.Error != nil && *it.Error || strings.Contains(it.Classes, "govuk-input--error")
}

// Group is the form group, fieldset, hint and error of the date input.
func (p dateInput) Group() group { return p.group(p.ID, "", "group") }

// Inputs are the day, month and year inputs.
func (p dateInput) Inputs() []input {
	def := func(part *dateInputItem, name, classes string) *dateInputItem {
		if part != nil {
			return part
		}
		return &dateInputItem{Name: name, Value: p.Values[name], Classes: classes}
	}
	day := def(p.Day, "day", "govuk-input--width-2")
	month := def(p.Month, "month", "govuk-input--width-2")
	year := def(p.Year, "year", "govuk-input--width-4")
	items := p.Items
	if len(items) == 0 {
		items = []*dateInputItem{day, month, year}
	}
	anyError := false
	for _, it := range items {
		if it != nil && it.hasError() {
			anyError = true
		}
	}
	prefix := ""
	if p.NamePrefix != "" {
		prefix = p.NamePrefix + "-"
	}
	var out []input
	for _, it := range items {
		if it == nil || it.omitted {
			continue
		}
		name, value, width := it.Name, it.Value, "2"
		for _, part := range []struct {
			p           *dateInputItem
			name, width string
		}{{day, "day", "2"}, {month, "month", "2"}, {year, "year", "4"}} {
			if it == part.p || it.Name != "" && (it.Name == part.name || it.Name == part.p.Name) {
				name = or(it.Name, part.name)
				if value == "" {
					value = part.p.Value
				}
				width = part.width
				break
			}
		}
		var classes []string
		if !strings.Contains(it.Classes, "govuk-input--error") &&
			(it.hasError() || (it.Error == nil || *it.Error) && p.ErrorMessage != nil && !anyError) {
			classes = append(classes, "govuk-input--error")
		}
		if !strings.Contains(it.Classes, "govuk-input--width-") {
			classes = append(classes, "govuk-input--width-"+width)
		}
		classes = append(classes, it.Classes)
		if value == "" {
			value = p.Values[prefix+name]
		}
		out = append(out, input{
			control: control{field: field{
				ID:         or(it.ID, p.ID+"-"+name),
				Name:       prefix + name,
				Label:      &label{Content: Content{Text: or(it.Label, capitalize(name))}, Classes: "govuk-date-input__label"},
				Classes:    joinClasses(append([]string{"govuk-date-input__input"}, classes...)...),
				Attributes: it.Attributes,
			}},
			Value:        value,
			Type:         "text",
			Inputmode:    or(it.Inputmode, "numeric"),
			Autocomplete: it.Autocomplete,
			Pattern:      it.Pattern,
		})
	}
	return out
}

// capitalize is Nunjucks' capitalize: the first letter upper case, the rest lower case.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(strings.ToLower(s))
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

// ---------------------------------------------------------------------------------------------
// Error summary, summary list, table

// errorSummary is govukErrorSummary.
type errorSummary struct {
	TitleText        string             `json:"titleText"`
	TitleHTML        template.HTML      `json:"titleHtml"`
	DescriptionText  string             `json:"descriptionText"`
	DescriptionHTML  template.HTML      `json:"descriptionHtml"`
	ErrorList        []errorSummaryItem `json:"errorList"`
	DisableAutoFocus *bool              `json:"disableAutoFocus"`
	Classes          string             `json:"classes"`
	Attributes       attributes         `json:"attributes"`
}

// errorSummaryItem is one error of the summary, linking to its field.
type errorSummaryItem struct {
	Href string `json:"href"`
	Content
	Attributes attributes `json:"attributes"`
}

// summaryList is govukSummaryList.
type summaryList struct {
	Rows       []*summaryRow `json:"rows"`
	Card       *summaryCard  `json:"card"`
	Classes    string        `json:"classes"`
	Attributes attributes    `json:"attributes"`
}

// summaryRow is one row of a summary list.
type summaryRow struct {
	Classes string          `json:"classes"`
	Key     summaryCell     `json:"key"`
	Value   summaryCell     `json:"value"`
	Actions *summaryActions `json:"actions"`
}

// summaryCell is the key or value of a row.
type summaryCell struct {
	Content
	Classes string `json:"classes"`
}

// summaryActions are the actions of a row or card.
type summaryActions struct {
	Items   []summaryAction `json:"items"`
	Classes string          `json:"classes"`
}

// summaryAction is one action link.
type summaryAction struct {
	Href string `json:"href"`
	Content
	VisuallyHiddenText string     `json:"visuallyHiddenText"`
	Classes            string     `json:"classes"`
	Attributes         attributes `json:"attributes"`

	// CardTitle is the title of the card the action belongs to, told to screen readers.
	CardTitle *cardTitle `json:"-"`
}

// summaryCard is the card around a summary list.
type summaryCard struct {
	Title      *cardTitle      `json:"title"`
	Actions    *summaryActions `json:"actions"`
	Classes    string          `json:"classes"`
	Attributes attributes      `json:"attributes"`
}

// cardTitle is a summary card's title.
type cardTitle struct {
	Content
	HeadingLevel flexString `json:"headingLevel"`
	Classes      string     `json:"classes"`
}

// Level is the title's heading level: 2 unless set.
func (t cardTitle) Level() string { return headingLevel(t.HeadingLevel, "2") }

// summaryListRow is a row ready to render.
type summaryListRow struct {
	Classes        string
	Key, Value     summaryCell
	NoActions      bool
	Actions        []summaryAction
	ActionsClasses string
}

// RowList are the rows to render.
func (p summaryList) RowList() []summaryListRow {
	anyActions := false
	for _, r := range p.Rows {
		if r != nil && r.Actions != nil && len(r.Actions.Items) > 0 {
			anyActions = true
		}
	}
	var title *cardTitle
	if p.Card != nil {
		title = p.Card.Title
	}
	var out []summaryListRow
	for _, r := range p.Rows {
		if r == nil {
			continue
		}
		row := summaryListRow{Classes: r.Classes, Key: r.Key, Value: r.Value}
		if r.Actions != nil {
			row.Actions = withCardTitle(r.Actions.Items, title)
			row.ActionsClasses = r.Actions.Classes
		}
		row.NoActions = anyActions && (r.Actions == nil || r.Actions.Items == nil)
		out = append(out, row)
	}
	return out
}

// CardActions are the card's actions.
func (p summaryList) CardActions() []summaryAction {
	if p.Card == nil || p.Card.Actions == nil {
		return nil
	}
	return withCardTitle(p.Card.Actions.Items, p.Card.Title)
}

func withCardTitle(actions []summaryAction, title *cardTitle) []summaryAction {
	out := make([]summaryAction, len(actions))
	for i, a := range actions {
		a.CardTitle = title
		out[i] = a
	}
	return out
}

// HiddenText tells whether the action has visually hidden text.
func (a summaryAction) HiddenText() bool { return a.VisuallyHiddenText != "" || a.CardTitle != nil }

// table is govukTable.
type table struct {
	Rows              [][]*tableCell `json:"rows"`
	Head              []*tableCell   `json:"head"`
	Caption           string         `json:"caption"`
	CaptionClasses    string         `json:"captionClasses"`
	FirstCellIsHeader bool           `json:"firstCellIsHeader"`
	Classes           string         `json:"classes"`
	Attributes        attributes     `json:"attributes"`
}

// tableCell is one cell of a table. Format "numeric" aligns numbers right.
type tableCell struct {
	Text       flexString    `json:"text"`
	HTML       template.HTML `json:"html"`
	Format     string        `json:"format"`
	Classes    string        `json:"classes"`
	Colspan    flexString    `json:"colspan"`
	Rowspan    flexString    `json:"rowspan"`
	Attributes attributes    `json:"attributes"`
}

// tableRowCell is a body cell ready to render.
type tableRowCell struct {
	*tableCell
	Header bool
}

// RowCells are the body rows to render.
func (p table) RowCells() [][]tableRowCell {
	var out [][]tableRowCell
	for _, row := range p.Rows {
		if row == nil {
			continue
		}
		cells := []tableRowCell{}
		for i, c := range row {
			if c == nil {
				c = &tableCell{}
			}
			cells = append(cells, tableRowCell{c, i == 0 && p.FirstCellIsHeader})
		}
		out = append(out, cells)
	}
	return out
}

// ---------------------------------------------------------------------------------------------
// Tag, banners, panel, inset and warning text, details

// tag is govukTag.
type tag struct {
	Content
	Classes    string     `json:"classes"`
	Attributes attributes `json:"attributes"`
}

// notificationBanner is govukNotificationBanner.
type notificationBanner struct {
	Content
	TitleText         string        `json:"titleText"`
	TitleHTML         template.HTML `json:"titleHtml"`
	TitleHeadingLevel flexString    `json:"titleHeadingLevel"`
	Type              string        `json:"type"`
	Role              string        `json:"role"`
	TitleID           string        `json:"titleId"`
	DisableAutoFocus  *bool         `json:"disableAutoFocus"`
	Classes           string        `json:"classes"`
	Attributes        attributes    `json:"attributes"`
}

// Success tells whether this is a success banner.
func (p notificationBanner) Success() bool { return p.Type == "success" }

// BannerRole is the role: alert for success, region otherwise, unless set.
func (p notificationBanner) BannerRole() string {
	if p.Role != "" {
		return p.Role
	}
	if p.Success() {
		return "alert"
	}
	return "region"
}

// HeadingID is the title's id.
func (p notificationBanner) HeadingID() string {
	return or(p.TitleID, "govuk-notification-banner-title")
}

// Level is the title's heading level: 2 unless set.
func (p notificationBanner) Level() string { return headingLevel(p.TitleHeadingLevel, "2") }

// DefaultTitle is the title when neither titleText nor titleHtml is set.
func (p notificationBanner) DefaultTitle() string {
	if p.Success() {
		return "Success"
	}
	return "Important"
}

// panel is govukPanel.
type panel struct {
	TitleText    string        `json:"titleText"`
	TitleHTML    template.HTML `json:"titleHtml"`
	HeadingLevel flexString    `json:"headingLevel"`
	Content
	Classes    string        `json:"classes"`
	Attributes attributes    `json:"attributes"`
	Actions    *panelActions `json:"actions"`
}

// panelActions are the actions of an interruption panel.
type panelActions struct {
	Items      []panelAction `json:"items"`
	Classes    string        `json:"classes"`
	Attributes attributes    `json:"attributes"`
}

// panelAction is a button or link of an interruption panel.
type panelAction struct {
	Text       string     `json:"text"`
	Type       string     `json:"type"`
	Href       string     `json:"href"`
	Classes    string     `json:"classes"`
	Attributes attributes `json:"attributes"`
}

// Interruption tells whether this is an interruption panel.
func (p panel) Interruption() bool { return strings.Contains(p.Classes, "govuk-panel--interruption") }

// ClassNames is the panel's class attribute.
func (p panel) ClassNames() string {
	return joinClasses("govuk-panel", classIf(!p.Interruption(), "govuk-panel--confirmation"), p.Classes)
}

// Level is the title's heading level: 1 unless set.
func (p panel) Level() string { return headingLevel(p.HeadingLevel, "1") }

// Button is the action as a button, or nil when it is a link.
func (a panelAction) Button() *button {
	if a.Href != "" && a.Type != "button" {
		return nil
	}
	return &button{Content: Content{Text: a.Text}, Type: or(a.Type, "button"), Classes: joinClasses("govuk-button--inverse", a.Classes), Href: a.Href, Attributes: a.Attributes}
}

// insetText is govukInsetText.
type insetText struct {
	Content
	ID         string     `json:"id"`
	Classes    string     `json:"classes"`
	Attributes attributes `json:"attributes"`
}

// warningText is govukWarningText.
type warningText struct {
	Content
	IconFallbackText string     `json:"iconFallbackText"`
	Classes          string     `json:"classes"`
	Attributes       attributes `json:"attributes"`
}

// details is govukDetails.
type details struct {
	SummaryText string        `json:"summaryText"`
	SummaryHTML template.HTML `json:"summaryHtml"`
	Content
	ID         string     `json:"id"`
	Open       bool       `json:"open"`
	Classes    string     `json:"classes"`
	Attributes attributes `json:"attributes"`
}

// ---------------------------------------------------------------------------------------------
// Navigation: pagination, back link, breadcrumbs, MOJ sub navigation

// pagination is govukPagination.
type pagination struct {
	Items         []*pageItem `json:"items"`
	Previous      *pageLink   `json:"previous"`
	Next          *pageLink   `json:"next"`
	LandmarkLabel string      `json:"landmarkLabel"`
	Classes       string      `json:"classes"`
	Attributes    attributes  `json:"attributes"`
}

// pageItem is one numbered page, or an ellipsis.
type pageItem struct {
	Number             flexString `json:"number"`
	VisuallyHiddenText string     `json:"visuallyHiddenText"`
	Href               string     `json:"href"`
	Current            bool       `json:"current"`
	Ellipsis           bool       `json:"ellipsis"`
	Attributes         attributes `json:"attributes"`
}

// pageLink is the previous or next link.
type pageLink struct {
	Content
	LabelText  string     `json:"labelText"`
	Href       string     `json:"href"`
	Attributes attributes `json:"attributes"`

	// Block and Type are set by the component.
	Block bool   `json:"-"`
	Type  string `json:"-"`
}

// BlockLevel tells whether the pagination is only previous and next links, stacked.
func (p pagination) BlockLevel() bool {
	return len(p.Items) == 0 && (p.Next != nil || p.Previous != nil)
}

// Pages are the numbered items to render.
func (p pagination) Pages() []*pageItem {
	var out []*pageItem
	for _, it := range p.Items {
		if it != nil && !reflect.ValueOf(*it).IsZero() {
			out = append(out, it)
		}
	}
	return out
}

// PrevLink is the previous link to render, or nil.
func (p pagination) PrevLink() *pageLink { return p.link(p.Previous, "prev") }

// NextLink is the next link to render, or nil.
func (p pagination) NextLink() *pageLink { return p.link(p.Next, "next") }

func (p pagination) link(l *pageLink, typ string) *pageLink {
	if l == nil || l.Href == "" {
		return nil
	}
	out := *l
	out.Block, out.Type = p.BlockLevel(), typ
	return &out
}

// Label is the link's accessible name: "Page n" unless set.
func (it pageItem) Label() string { return or(it.VisuallyHiddenText, "Page "+string(it.Number)) }

// backLink is govukBackLink.
type backLink struct {
	Content
	Href       string     `json:"href"`
	Classes    string     `json:"classes"`
	Attributes attributes `json:"attributes"`
}

// breadcrumbs is govukBreadcrumbs.
type breadcrumbs struct {
	Items            []breadcrumb `json:"items"`
	Classes          string       `json:"classes"`
	CollapseOnMobile bool         `json:"collapseOnMobile"`
	Attributes       attributes   `json:"attributes"`
	LabelText        *string      `json:"labelText"`
}

// breadcrumb is one crumb; the last, without href, is the current page.
type breadcrumb struct {
	Content
	Href       string     `json:"href"`
	Attributes attributes `json:"attributes"`
}

// ClassNames is the nav's class attribute.
func (p breadcrumbs) ClassNames() string {
	return joinClasses("govuk-breadcrumbs", p.Classes, classIf(p.CollapseOnMobile, "govuk-breadcrumbs--collapse-on-mobile"))
}

// Label is the nav's aria-label: Breadcrumb unless set.
func (p breadcrumbs) Label() string {
	return orDefault(p.LabelText, "Breadcrumb")
}

// SubNavigation is mojSubNavigation.
type SubNavigation struct {
	Label      string       `json:"label"`
	Items      []SubNavItem `json:"items"`
	Classes    string       `json:"classes"`
	Attributes attributes   `json:"attributes"`
}

// SubNavItem is one link of the sub navigation; Active marks the page being shown.
type SubNavItem struct {
	Text       string        `json:"text"`
	HTML       template.HTML `json:"html"`
	Href       string        `json:"href"`
	Active     bool          `json:"active"`
	Classes    string        `json:"classes"`
	Attributes attributes    `json:"attributes"`
}

// ---------------------------------------------------------------------------------------------
// MOJ timeline, badge, alert

// Timeline is mojTimeline.
type Timeline struct {
	Items        []TimelineItem `json:"items"`
	HeadingLevel flexString     `json:"headingLevel"`
	Classes      string         `json:"classes"`
	Attributes   attributes     `json:"attributes"`
}

// TimelineItem is one event of a timeline.
type TimelineItem struct {
	Label      Content          `json:"label"`
	Text       string           `json:"text"`
	HTML       template.HTML    `json:"html"`
	Datetime   TimelineDatetime `json:"datetime"`
	Byline     *Content         `json:"byline"`
	Classes    string           `json:"classes"`
	Attributes attributes       `json:"attributes"`
}

// TimelineDatetime is when an event happened, and how to show it. Timestamp is RFC 3339
// (time.Time marshals to it); Type is datetime, shortdatetime, date, shortdate or time, as
// mojDate formats them; without a type the time is shown as moment's default format.
type TimelineDatetime struct {
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
}

// Level is the heading level of the items' titles: 2 unless set.
func (p Timeline) Level() string { return headingLevel(p.HeadingLevel, "2") }

// Display is the time as people read it, in UK time, as mojDate formats it. A timestamp that
// is not RFC 3339 is shown as it is.
func (d TimelineDatetime) Display() string {
	ts, err := time.Parse(time.RFC3339, d.Timestamp)
	if err != nil {
		return d.Timestamp
	}
	t := ts.In(core.London)
	clock := func() string {
		if t.Minute() > 0 {
			return t.Format("3:04pm")
		}
		return t.Format("3pm")
	}
	switch d.Type {
	case "datetime":
		return t.Format("2 January 2006") + " at " + clock()
	case "shortdatetime":
		return t.Format("2 Jan 2006") + " at " + clock()
	case "date":
		return t.Format("2 January 2006")
	case "shortdate":
		return t.Format("2 Jan 2006")
	case "time":
		return clock()
	default:
		return t.Format("2006-01-02T15:04:05-07:00")
	}
}

// badge is mojBadge.
type badge struct {
	Content
	Classes    string     `json:"classes"`
	Attributes attributes `json:"attributes"`
}

// alert is mojAlert.
type alert struct {
	Variant            string `json:"variant"`
	Title              string `json:"title"`
	ShowTitleAsHeading bool   `json:"showTitleAsHeading"`
	HeadingTag         string `json:"headingTag"`
	Content
	Dismissible            bool       `json:"dismissible"`
	DismissText            string     `json:"dismissText"`
	DisableAutoFocus       bool       `json:"disableAutoFocus"`
	FocusOnDismissSelector string     `json:"focusOnDismissSelector"`
	Role                   string     `json:"role"`
	Classes                string     `json:"classes"`
	Attributes             attributes `json:"attributes"`
}

// Kind is the variant: information unless success, warning or error.
func (p alert) Kind() string {
	switch p.Variant {
	case "success", "warning", "error":
		return p.Variant
	}
	return "information"
}

// HeadingLevel is the heading's level: h2 unless h3 or h4.
func (p alert) HeadingLevel() string {
	switch p.HeadingTag {
	case "h3", "h4":
		return p.HeadingTag[1:]
	}
	return "2"
}

// HasContent tells whether the alert has text or html besides its title.
func (p alert) HasContent() bool { return p.present() }

// ClassNames is the alert's class attribute.
func (p alert) ClassNames() string {
	return joinClasses("moj-alert moj-alert--"+p.Kind(), classIf(p.ShowTitleAsHeading && p.HasContent(), "moj-alert--with-heading"), p.Classes)
}

// Attrs are the alert's attributes after data-module.
func (p alert) Attrs() attributes {
	var a attributes
	if p.Dismissible {
		a = append(a, attribute{Name: "data-dismissible", Value: "true"})
	}
	if p.DisableAutoFocus {
		a = append(a, attribute{Name: "data-disable-auto-focus", Value: "true"})
	}
	if p.FocusOnDismissSelector != "" {
		a = append(a, attribute{Name: "data-focus-on-dismiss-selector", Value: p.FocusOnDismissSelector})
	}
	return a.with(p.Attributes...)
}
