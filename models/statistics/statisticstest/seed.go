// Package statisticstest puts operations, victims and suspects straight into the operations
// tables, as the statistics tests and the benchmark need them: through SQL, not through any
// service, so that the national picture is tested against rows whatever wrote them.
package statisticstest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/xuri/excelize/v2"
)

// Charge is a charge of a suspect and its outcome ("" while pending).
type Charge struct {
	On        string
	Outcome   string
	OutcomeOn string
}

// Victim is a potential victim of an operation.
type Victim struct {
	Ref, Age, Sex, Nationality string
	Referred, RGOn, RG         string
	CGOn, CG                   string
	DutyToNotify               bool
	Types                      []string
}

// Suspect is a suspect of an operation.
type Suspect struct {
	Ref          string
	Arrested     string
	STPO, Repair bool
	Confiscation int64
	Charges      []Charge
}

// Operation is an operation with its people.
type Operation struct {
	Org            int64
	Ref, Name      string
	Status         string // live, suspended, closed
	Started, Ended string // YYYY-MM-DD; Ended may be ""
	Covert         bool
	Types          []string
	Victims        []Victim
	Suspects       []Suspect
}

func date(s string) any {
	if s == "" {
		return nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// Seeder inserts rows as user (the lead officer and creator of every row).
type Seeder struct {
	DB   *core.DB
	User int64
}

// Insert stores op and its people and returns the operation's id.
func (s Seeder) Insert(t testing.TB, op Operation) int64 {
	t.Helper()
	ctx := context.Background()
	g := s.DB.Conn(ctx)
	now := time.Now().UTC()
	if op.Status == "" {
		op.Status = "live"
	}
	var id int64
	if err := g.Raw(`INSERT INTO operations (organisation_id, reference, name, lead_officer_id, classification, status, started_on, ended_on, covert, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, 2, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, op.Org, op.Ref, op.Name, s.User, op.Status, date(op.Started), date(op.Ended), op.Covert, s.User, now, now).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	for _, x := range op.Types {
		must(t, g.Exec("INSERT INTO operation_exploitation (operation_id, type) VALUES (?, ?)", id, x).Error)
	}
	for _, v := range op.Victims {
		var vid int64
		must(t, g.Raw(`INSERT INTO victims (operation_id, reference, age_band, child, sex, nationality, nrm_referred_on, first_responder, rg_decided_on, rg_outcome, cg_decided_on, cg_outcome, duty_to_notify, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'police', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, id, v.Ref, v.Age, v.Age == "0-11" || v.Age == "12-15" || v.Age == "16-17", v.Sex, v.Nationality,
			date(v.Referred), date(v.RGOn), v.RG, date(v.CGOn), v.CG, v.DutyToNotify, s.User, now, now).Scan(&vid).Error)
		for _, x := range v.Types {
			must(t, g.Exec("INSERT INTO victim_exploitation (victim_id, type) VALUES (?, ?)", vid, x).Error)
		}
	}
	for _, p := range op.Suspects {
		var sid int64
		must(t, g.Raw(`INSERT INTO suspects (operation_id, reference, age_band, sex, nationality, role, arrested_on, stpo, reparation_order, confiscation_pounds, created_by, created_at, updated_at)
			VALUES (?, ?, '25-34', 'male', 'GB', 'organiser', ?, ?, ?, ?, ?, ?, ?) RETURNING id`, id, p.Ref, date(p.Arrested), p.STPO, p.Repair, p.Confiscation, s.User, now, now).Scan(&sid).Error)
		for _, c := range p.Charges {
			must(t, g.Exec("INSERT INTO suspect_charges (suspect_id, offence, charged_on, outcome, outcome_on, updated_at) VALUES (?, 'msa_s1', ?, ?, ?, ?)",
				sid, date(c.On), c.Outcome, date(c.OutcomeOn), now).Error)
		}
	}
	return id
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Bulk inserts ops operations, victims victims and suspects suspects (each suspect with one
// charge) spread over orgs, with multi-row INSERTs, for the benchmark. Dates fall in the two
// years before until.
func (s Seeder) Bulk(t testing.TB, orgs []int64, ops, victims, suspects int, until time.Time) {
	t.Helper()
	ctx := context.Background()
	g := s.DB.Conn(ctx)
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	day := func(back int) time.Time { return until.AddDate(0, 0, -back).Truncate(24 * time.Hour) }
	types := []string{"labour", "sexual", "criminal_county_lines", "criminal_forced", "domestic_servitude", "organ_harvesting"}
	ages := []string{"0-11", "12-15", "16-17", "18-24", "25-34", "35-44", "45-54", "55+", "not_known"}
	sexes := []string{"female", "male", "not_known"}
	nats := []string{"GB", "AL", "VN", "ER", "SD", "RO", "IN", "CN", "PL", "NG", "AF", "IR", "IQ", "", "UA"}
	insert := func(table, cols string, n, width int, row func(i int) []any) []int64 {
		var ids []int64
		const batch = 400
		for start := 0; start < n; start += batch {
			end := min(start+batch, n)
			var ph []string
			var args []any
			for i := start; i < end; i++ {
				ph = append(ph, "("+strings.TrimSuffix(strings.Repeat("?, ", width), ", ")+")")
				args = append(args, row(i)...)
			}
			var got []int64
			must(t, g.Raw("INSERT INTO "+table+" ("+cols+") VALUES "+strings.Join(ph, ", ")+" RETURNING id", args...).Scan(&got).Error)
			ids = append(ids, got...)
		}
		return ids
	}
	opIDs := insert("operations", "organisation_id, reference, name, lead_officer_id, classification, status, started_on, ended_on, covert, created_by, created_at, updated_at", ops, 12, func(i int) []any {
		start := rng.IntN(720)
		var ended any
		status := "live"
		if rng.IntN(3) == 0 {
			ended, status = day(rng.IntN(start+1)), "closed"
		}
		return []any{orgs[i%len(orgs)], fmt.Sprintf("BULK-%06d", i), fmt.Sprintf("Operation Bulk %d", i), s.User, 2, status, day(start), ended, rng.IntN(20) == 0, s.User, now, now}
	})
	// insertLinks inserts rows that hang off those above (their exploitation types, the suspects'
	// charges) into table, 500 a statement: each row's placeholders, and its arguments from row.
	insertLinks := func(table, placeholders string, rows int, row func(i int) []any) {
		var ph []string
		var args []any
		for i := range rows {
			ph = append(ph, placeholders)
			args = append(args, row(i)...)
			if len(ph) == 500 || i == rows-1 {
				must(t, g.Exec("INSERT INTO "+table+" VALUES "+strings.Join(ph, ", "), args...).Error)
				ph, args = nil, nil
			}
		}
	}
	exploitation := func(table string, ids []int64) {
		insertLinks(table, "(?, ?)", len(ids), func(i int) []any { return []any{ids[i], types[i%len(types)]} })
	}
	exploitation("operation_exploitation (operation_id, type)", opIDs)
	vIDs := insert("victims", "operation_id, reference, age_band, sex, nationality, nrm_referred_on, rg_decided_on, rg_outcome, cg_decided_on, cg_outcome, duty_to_notify, created_by, created_at, updated_at", victims, 14, func(i int) []any {
		ref := rng.IntN(700)
		var rgOn, cgOn any
		rg, cg := "", ""
		if rng.IntN(4) > 0 {
			rgOn, rg = day(max(ref-rng.IntN(60), 0)), []string{"positive", "negative"}[rng.IntN(2)]
			if rg == "positive" && rng.IntN(2) == 0 {
				cgOn, cg = day(max(ref-60-rng.IntN(200), 0)), []string{"positive", "negative"}[rng.IntN(2)]
			}
		}
		return []any{opIDs[rng.IntN(len(opIDs))], fmt.Sprintf("V-%07d", i), ages[rng.IntN(len(ages))], sexes[rng.IntN(len(sexes))], nats[rng.IntN(len(nats))],
			day(ref), rgOn, rg, cgOn, cg, rng.IntN(10) == 0, s.User, now, now}
	})
	exploitation("victim_exploitation (victim_id, type)", vIDs)
	sIDs := insert("suspects", "operation_id, reference, age_band, sex, nationality, role, arrested_on, stpo, reparation_order, confiscation_pounds, created_by, created_at, updated_at", suspects, 13, func(i int) []any {
		return []any{opIDs[rng.IntN(len(opIDs))], fmt.Sprintf("S-%07d", i), "25-34", "male", nats[rng.IntN(len(nats))], "organiser", day(rng.IntN(700)),
			rng.IntN(8) == 0, rng.IntN(20) == 0, int64(rng.IntN(3) * 10000), s.User, now, now}
	})
	outcomes := []string{"", "convicted_plea", "convicted_trial", "acquitted", "discontinued", "no_evidence_offered"}
	insertLinks("suspect_charges (suspect_id, offence, charged_on, outcome, outcome_on, updated_at)", "(?, 'msa_s1', ?, ?, ?, ?)", len(sIDs), func(i int) []any {
		charged := rng.IntN(600)
		o := outcomes[rng.IntN(len(outcomes))]
		var on any
		if o != "" {
			on = day(max(charged-rng.IntN(300), 0))
		}
		return []any{sIDs[i], day(charged), o, on, now}
	})
}

// Seeded is every reference, name and free-text value the seeders write: none may appear in
// anything the national picture returns.
func Seeded() []string {
	return []string{"DC-OPEN-", "DC-V-", "DC-S-", "DC-COVERT-", "COVERT-V-", "AS-0", "AS-1", "DP-0", "DP-1", "Operation Plover", "Operation Kestrel", "Operation Nightjar", "Operation Heron",
		"BULK-", "Operation Bulk", "V-0", "S-0"}
}

// NoRecord fails when out holds any seeded reference or name.
func NoRecord(t testing.TB, what, out string) {
	t.Helper()
	for _, s := range Seeded() {
		if strings.Contains(out, s) {
			t.Errorf("%s holds %q, a record's reference or name", what, s)
		}
	}
}

// XLSXText is every cell of every sheet of a workbook, as text.
func XLSXText(t testing.TB, b []byte) string {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var out strings.Builder
	for _, sh := range x.GetSheetList() {
		rows, err := x.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			out.WriteString(strings.Join(r, "\t") + "\n")
		}
	}
	return out.String()
}
