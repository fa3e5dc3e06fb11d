package statistics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/statistics"
	"github.com/msptp/msphub/models/statistics/statisticstest"
)

// day seeds, in Devon and Cornwall, n operations started on day, each with a potential victim
// referred to the NRM and a suspect arrested and charged that same day.
func (f *fixture) day(t *testing.T, n int, day string) {
	t.Helper()
	org := f.org(t, "devon-and-cornwall-police")
	for i := range n {
		f.seed.Insert(t, statisticstest.Operation{Org: org, Ref: fmt.Sprintf("DAY-%s-%d", day, i), Name: "Operation Day", Started: day, Types: []string{"labour"},
			Victims:  []statisticstest.Victim{{Ref: fmt.Sprintf("DAY-V-%s-%d", day, i), Age: "25-34", Sex: "male", Nationality: "AL", Referred: day}},
			Suspects: []statisticstest.Suspect{{Ref: fmt.Sprintf("DAY-S-%s-%d", day, i), Arrested: day, Charges: []statisticstest.Charge{{On: day}}}},
		})
	}
}

// tablesOf is every table of a dashboard as JSON, to compare two dashboards' figures.
func tablesOf(t *testing.T, d statistics.Dashboard) string {
	t.Helper()
	b, err := json.Marshal(d.Tables)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// problem is the message of the filter problem at field, failing unless err is EINVALID with one.
func problem(t *testing.T, err error, field string) string {
	t.Helper()
	e, ok := err.(*core.Error)
	if !ok || e.Code != core.EINVALID {
		t.Fatalf("err = %#v, want EINVALID", err)
	}
	if e.Field == field {
		return e.Message
	}
	for _, fe := range e.Fields {
		if fe.Field == field {
			return fe.Message
		}
	}
	t.Fatalf("no problem at %s in %+v", field, e.Fields)
	return ""
}

// Two periods that differ by days give the same figures: those of the same whole months. Else
// subtracting one dashboard from the other gives the day's referrals, arrests and charges per
// force, and so the date of a single one.
func TestPeriodsDifferingByDaysGiveTheSameFigures(t *testing.T) {
	f := newFixture(t) // the clock stands at 2 April 2026
	f.day(t, 6, "2026-01-09")
	f.day(t, 7, "2026-02-17")
	for _, c := range []struct {
		name   string
		a, b   statistics.Filter
		period statistics.Period
	}{
		{"a day before and the day of the referrals", statistics.Filter{From: "2026-01-01", To: "2026-02-16"}, statistics.Filter{From: "2026-01-01", To: "2026-02-17"},
			statistics.Period{From: "2026-01-01", To: "2026-02-28", Label: "January 2026 to February 2026"}},
		{"starting the day after the referrals", statistics.Filter{From: "2026-01-09", To: "2026-02-28"}, statistics.Filter{From: "2026-01-10", To: "2026-02-01"},
			statistics.Period{From: "2026-01-01", To: "2026-02-28", Label: "January 2026 to February 2026"}},
		{"one day", statistics.Filter{From: "2026-02-17", To: "2026-02-17"}, statistics.Filter{From: "2026-02-01", To: "2026-02-28"},
			statistics.Period{From: "2026-02-01", To: "2026-02-28", Label: "February 2026"}},
		{"a quarter and days inside its months", statistics.Filter{Quarter: "2026-Q1"}, statistics.Filter{From: "2026-01-31", To: "2026-03-01"},
			statistics.Period{From: "2026-01-01", To: "2026-03-31", Label: "2026-Q1 (January 2026 to March 2026)"}},
		{"an end date alone, long ago", statistics.Filter{To: "2024-05-10"}, statistics.Filter{To: "2024-05-31"},
			statistics.Period{From: "2023-07-01", To: "2024-05-31", Label: "July 2023 to May 2024"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := f.dashboard(t, c.a), f.dashboard(t, c.b)
			if a.Period != c.period {
				t.Errorf("period = %+v, want %+v", a.Period, c.period)
			}
			if a.Period.From != b.Period.From || a.Period.To != b.Period.To {
				t.Errorf("periods %+v and %+v cover different days", a.Period, b.Period)
			}
			if tablesOf(t, a) != tablesOf(t, b) {
				t.Errorf("the figures of %+v and %+v differ: subtracting one from the other gives the days between", c.a, c.b)
			}
			// February's seven referrals are in both: the comparison is between real figures.
			if c.period.To < "2026" {
				return
			}
			if got := cell(t, a, "victims-by-force", "Total", 1); got != map[bool]string{true: "13", false: "7"}[c.period.From == "2026-01-01"] {
				t.Errorf("NRM referrals = %s", got)
			}
		})
	}
}

// The month in progress is never counted: what is recorded today is in no dashboard, no file and
// no report until its month has ended (in UK time), and a period wholly in it is refused.
func TestTheCurrentMonthIsNeverCounted(t *testing.T) {
	f := newFixture(t) // the clock stands at 2 April 2026
	ctx := context.Background()
	f.day(t, 6, "2026-03-31")
	f.day(t, 8, "2026-04-02") // today

	// The default period: the last four quarters up to the end of March.
	d := f.dashboard(t, statistics.Filter{})
	if want := (statistics.Period{From: "2025-04-01", To: "2026-03-31", Label: "April 2025 to March 2026"}); d.Period != want {
		t.Fatalf("default period = %+v, want %+v", d.Period, want)
	}
	wantCells(t, d, []cellWant{
		{"victims-by-force", "Total", 1, "6", "default: March's referrals, not today's"},
		{"justice-by-force", "Total", 0, "6", "default: March's arrests, not today's"},
		{"operations-by-force", "Total", 1, "6", "default: March's new operations, not today's"},
	})
	if d.Options.Quarters[0] != "2026-Q1" {
		t.Errorf("the quarters offered start with %s, a quarter with no month ended", d.Options.Quarters[0])
	}

	// A period reaching into April is cut at the end of March, and says so; one with no end date
	// ends there.
	march := statistics.Period{From: "2026-03-01", To: "2026-03-31", Label: "March 2026"}
	cut := march
	cut.Note = "Figures to the end of March 2026: a month is counted once it has ended."
	for filter, want := range map[statistics.Filter]statistics.Period{{From: "2026-03-01", To: "2026-04-30"}: cut, {From: "2026-03-15", To: "2026-04-02"}: cut, {From: "2026-03-01", To: "2027-06-30"}: cut, {From: "2026-03-15"}: march} {
		d := f.dashboard(t, filter)
		if d.Period != want {
			t.Errorf("%+v: period = %+v, want %+v", filter, d.Period, want)
		}
		wantCells(t, d, []cellWant{{"victims-by-force", "Total", 1, "6", fmt.Sprintf("%+v: March's referrals, not today's", filter)}})
	}

	// A period wholly in April or later is refused, saying up to when figures are available.
	_, err := f.s.Statistics.Dashboard(ctx, f.national, statistics.Filter{Quarter: "2026-Q2"})
	if got, want := problem(t, err, "quarter"), "Figures are available to the end of March 2026 (a month is counted once it has ended): choose 2026-Q1 or an earlier quarter"; got != want {
		t.Errorf("the current quarter: %q, want %q", got, want)
	}
	_, err = f.s.Statistics.Dashboard(ctx, f.national, statistics.Filter{From: "2026-04-01", To: "2026-04-02"})
	if got, want := problem(t, err, "from"), "Figures are available to the end of March 2026 (a month is counted once it has ended): choose a start date in March 2026 or earlier"; got != want {
		t.Errorf("today: %q, want %q", got, want)
	}
	if _, _, err := f.s.Statistics.Export(ctx, f.national, statistics.Filter{From: "2026-04-02"}, "", "xlsx"); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("an export of today: %v, want EINVALID", err)
	}
	_, err = f.s.Statistics.CreateReport(ctx, f.national, "2026-04", "")
	if got, want := problem(t, err, "month"), "Choose a month that has ended, like 2026-03: a month is counted once it has ended"; got != want {
		t.Errorf("a report of this month: %q, want %q", got, want)
	}
	list, err := f.s.Statistics.Reports(ctx, f.national, "")
	if err != nil || list.Months[0] != "2026-03" {
		t.Errorf("report months = %v, %v: want them to start with March", list.Months, err)
	}

	// Late on 30 April, UK time, April has not ended; just after midnight it has, and today's
	// figures are counted.
	f.clock.Set(time.Date(2026, 4, 30, 22, 59, 0, 0, time.UTC)) // 23:59 BST
	if d := f.dashboard(t, statistics.Filter{}); d.Period.To != "2026-03-31" {
		t.Fatalf("at 23:59 on 30 April the default period ends %s", d.Period.To)
	}
	f.clock.Set(time.Date(2026, 4, 30, 23, 1, 0, 0, time.UTC)) // 00:01 BST on 1 May
	d = f.dashboard(t, statistics.Filter{})
	if want := (statistics.Period{From: "2025-07-01", To: "2026-04-30", Label: "July 2025 to April 2026"}); d.Period != want {
		t.Fatalf("default period in May = %+v, want %+v", d.Period, want)
	}
	wantCells(t, d, []cellWant{{"victims-by-force", "Total", 1, "14", "in May: March's and April's referrals"}})
	q2 := f.dashboard(t, statistics.Filter{Quarter: "2026-Q2"})
	if want := "2026-Q2 (April 2026)"; q2.Period.Label != want || q2.Period.Note == "" {
		t.Errorf("the current quarter in May = %+v, want label %q and a note", q2.Period, want)
	}
	wantCells(t, q2, []cellWant{{"victims-by-force", "Total", 1, "8", "2026-Q2 in May: April's referrals"}})
}
