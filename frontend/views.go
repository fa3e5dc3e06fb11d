package frontend

import (
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // UK time on machines without a zoneinfo database

	"github.com/msptp/msphub/models/core"
)

// roleLabel is how people read a role's name.
func roleLabel(role string) string { return core.RoleLabel(role) }

// roleItems are checkboxes of roles, with the picked ones ticked.
func roleItems(roles []core.Role, picked []string) []item {
	values, labels := make([]string, len(roles)), make([]string, len(roles))
	for i, r := range roles {
		values[i], labels[i] = r.Name, r.Label
	}
	return choiceItems(values, labels, picked)
}

// orgKindItems are checkboxes of the kinds of organisation, with the picked ones ticked.
func orgKindItems(picked []string) []item {
	values, labels := withTerms(nil, nil, core.OrgKinds())
	return choiceItems(values, labels, picked)
}

// formatDate prints a date the GOV.UK way: 22 November 2026.
func formatDate(v any) string {
	t, ok := timeOf(v)
	if !ok {
		return ""
	}
	return t.Format("2 January 2006")
}

// formatDateTime prints a moment the GOV.UK way, in UK time: 22 November 2026 at 3:04pm.
func formatDateTime(v any) string {
	t, ok := timeOf(v)
	if !ok {
		return ""
	}
	t = t.In(core.London)
	return t.Format("2 January 2006") + " at " + strings.ToLower(t.Format("3:04PM"))
}

func timeOf(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, !t.IsZero()
	case *time.Time:
		if t != nil {
			return *t, !t.IsZero()
		}
	}
	return time.Time{}, false
}

// withTerms appends each term of a vocabulary, with its label, to values and labels (those a
// field offers first, if any): the choices of a field over the vocabulary.
func withTerms[T interface {
	~string
	Label() string
}](values, labels []string, vocabulary []T) ([]string, []string) {
	for _, t := range vocabulary {
		values, labels = append(values, string(t)), append(labels, t.Label())
	}
	return values, labels
}

// item is one choice of a radios, checkboxes or select component, as its macro options name it.
type item = map[string]any

// choiceItems builds the items of a radios or checkboxes component: one per value, checked when
// the form holds it.
func choiceItems(values, labels []string, picked []string) []item {
	out := make([]item, 0, len(values))
	for i, v := range values {
		out = append(out, item{"value": v, "text": labels[i], "checked": slices.Contains(picked, v)})
	}
	return out
}

// optionItems builds the items of a select component, selecting what the form holds.
func optionItems(values, labels []string, picked string) []item {
	out := make([]item, 0, len(values))
	for i, v := range values {
		out = append(out, item{"value": v, "text": labels[i], "selected": v == picked})
	}
	return out
}

// orgOptions are organisations as select items, with a first item (empty value) when first is
// not "".
func orgOptions(orgs []core.Organisation, first, picked string) []item {
	var values, labels []string
	if first != "" {
		values, labels = append(values, ""), append(labels, first)
	}
	for _, o := range orgs {
		values, labels = append(values, strconv.FormatInt(o.ID, 10)), append(labels, o.Name)
	}
	return optionItems(values, labels, picked)
}
