package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
)

// DateInput reads the GOV.UK date input called name (its fields name-day, name-month and
// name-year) through get. All three empty is no date (nil). label names the date in the
// messages, worded as the GOV.UK Design System words them: "Due date must include a month",
// "Due date must be a real date". Errors are EINVALID on name. The date is a calendar date,
// midnight UTC. The pages use it for every date they read from a form.
func DateInput(get func(string) string, name, label string) (*time.Time, error) {
	parts := []struct{ what, v string }{
		{"day", strings.TrimSpace(get(name + "-day"))},
		{"month", strings.TrimSpace(get(name + "-month"))},
		{"year", strings.TrimSpace(get(name + "-year"))},
	}
	var missing []string
	for _, p := range parts {
		if p.v == "" {
			missing = append(missing, p.what)
		}
	}
	switch len(missing) {
	case 3:
		return nil, nil
	case 1, 2:
		return nil, core.Invalid(name, label+" must include a "+strings.Join(missing, " and "))
	}
	d, err1 := strconv.Atoi(parts[0].v)
	m, err2 := strconv.Atoi(parts[1].v)
	y, err3 := strconv.Atoi(parts[2].v)
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if err1 != nil || err2 != nil || err3 != nil || y < 1900 || y > 2200 || t.Day() != d || int(t.Month()) != m {
		return nil, core.Invalid(name, label+" must be a real date")
	}
	return &t, nil
}
