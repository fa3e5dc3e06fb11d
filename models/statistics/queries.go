package statistics

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/msptp/msphub/models/core"
)

// heldKey stands, in the by-organisation maps, for the covert operations not yet closed, which
// national totals count and no organisation's figure does.
const heldKey int64 = 0

// queries reads the aggregates of one filter: a handful of GROUP BY queries, each returning
// counts per group and never a row of its own. Dates are compared as half-open ranges
// [from, toNext) against 'YYYY-MM-DD' strings, which both backends order correctly whatever
// the time part a driver stored.
type queries struct {
	mu           *sync.Mutex // serializes the row callbacks of concurrent queries
	db           *core.DB
	national     bool
	orgIDs       []int64
	exploitation string
	from, toNext string
}

type course struct {
	ID    int64
	Code  string
	Title string
}

// facts are the aggregates behind a dashboard.
type facts struct {
	ops, victims, justice map[int64][]int64 // by organisation (heldKey: held back), per column
	opsByType             map[string][3]int64
	age, sex, nationality map[string]int64
	victimsByType         map[string]int64
	decisions             struct{ rgPos, rgNeg, cgPos, cgNeg int64 }
	outcomes              map[string]int64
	orders                [3]int64 // STPO, reparation, confiscation
	medians               map[string]histogram
	months                map[string]monthly
	courses               []course
	certificates          map[[2]int64]int64
	people, acks          map[int64]int64
}

func (f *facts) hasOrg(id int64) bool {
	for _, m := range []map[int64][]int64{f.ops, f.victims, f.justice} {
		if v, ok := m[id]; ok {
			for _, n := range v {
				if n != 0 {
					return true
				}
			}
		}
	}
	return false
}

// histogram counts items by a whole number of days.
type histogram map[int64]int64

// median is the median of the histogram's items and how many there are.
func (h histogram) median() (float64, int64) {
	var n int64
	keys := make([]int64, 0, len(h))
	for k, c := range h {
		keys = append(keys, k)
		n += c
	}
	if n == 0 {
		return 0, 0
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	at := func(i int64) int64 { // the i-th item, from 0
		for _, k := range keys {
			if i < h[k] {
				return k
			}
			i -= h[k]
		}
		return keys[len(keys)-1]
	}
	if n%2 == 1 {
		return float64(at(n / 2)), n
	}
	return float64(at(n/2-1)+at(n/2)) / 2, n
}

// monthly counts items by month, "YYYY-MM".
type monthly map[string]int64

// between counts the items in the months of [from, to] (whole months: quarters are clipped to
// the period, whose ends the month counts already respect).
func (m monthly) between(from, to time.Time) int64 {
	var n int64
	for k, c := range m {
		if k >= from.Format("2006-01") && k <= to.Format("2006-01") {
			n += c
		}
	}
	return n
}

// liveAt is how many operations were open at the end of day t: started on or before it and not
// ended by it.
func (f *facts) liveAt(t time.Time) int64 {
	last := t.Format("2006-01")
	var n int64
	for k, c := range f.months["start"] {
		if k <= last {
			n += c
		}
	}
	for k, c := range f.months["end"] {
		if k <= last {
			n -= c
		}
	}
	return n
}

type natCount struct {
	code string
	n    int64
}

// topNationalities is the k most common known nationalities, the count of all other known
// ones, and the count not known.
func (f *facts) topNationalities(k int) ([]natCount, int64, int64) {
	var list []natCount
	for c, n := range f.nationality {
		if c != "" {
			list = append(list, natCount{c, n})
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].n != list[j].n {
			return list[i].n > list[j].n
		}
		return list[i].code < list[j].code
	})
	var other int64
	if len(list) > k {
		for _, c := range list[k:] {
			other += c.n
		}
		list = list[:k]
	}
	return list, other, f.nationality[""]
}

func (q queries) pg() bool { return q.db.Dialect() == "postgres" }

// ym is the month of a date column, "YYYY-MM".
func (q queries) ym(col string) string {
	if q.pg() {
		return "to_char(" + col + ", 'YYYY-MM')"
	}
	return "substr(" + col + ", 1, 7)"
}

// days is the whole number of days from date column a to date column b.
func (q queries) days(a, b string) string {
	if q.pg() {
		return "(" + b + " - " + a + ")"
	}
	return "CAST(ROUND(julianday(substr(" + b + ", 1, 10)) - julianday(substr(" + a + ", 1, 10))) AS INTEGER)"
}

const held = "(CASE WHEN o.covert AND o.status <> 'closed' THEN 1 ELSE 0 END)"

// where is the filter on operations o, with its arguments.
func (q queries) where() (string, []any) {
	conds := []string{"1 = 1"}
	var args []any
	if !q.national {
		conds = append(conds, "NOT (o.covert AND o.status <> 'closed')")
		if len(q.orgIDs) == 0 {
			conds = append(conds, "1 = 0")
		} else {
			conds = append(conds, "o.organisation_id IN ?")
			args = append(args, q.orgIDs)
		}
	}
	if q.exploitation != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM operation_exploitation fx WHERE fx.operation_id = o.id AND fx.type = ?)")
		args = append(args, q.exploitation)
	}
	return strings.Join(conds, " AND "), args
}

// in is "col in the period".
func in(col string) string { return "(" + col + " >= ? AND " + col + " < ?)" }

func (q queries) period() []any { return []any{q.from, q.toNext} }

// active is "the operation was open at some time in the period".
const active = "(o.started_on < ? AND (o.ended_on IS NULL OR o.ended_on >= ?))"

func (q queries) activeArgs() []any { return []any{q.toNext, q.from} }

func cat(parts ...[]any) []any {
	var out []any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// scan runs a query and hands each row's scanner to fn.
func (q queries) scan(ctx context.Context, sql string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := q.db.Conn(ctx).Raw(sql, args...).Rows()
	if err != nil {
		return core.DBError(err)
	}
	defer rows.Close()
	for rows.Next() {
		q.mu.Lock()
		err := fn(rows.Scan)
		q.mu.Unlock()
		if err != nil {
			return core.DBError(err)
		}
	}
	return core.DBError(rows.Err())
}

// queryConcurrency is how many of a dashboard's queries run at once, each on its own
// connection: SQLite in WAL mode and PostgreSQL both serve readers side by side.
const queryConcurrency = 4

// tasks runs a dashboard's queries concurrently; Wait returns the first error.
type tasks struct {
	q   queries
	wg  sync.WaitGroup
	sem chan struct{}
	mu  sync.Mutex
	err error
	ctx context.Context
}

func (t *tasks) add(ctx context.Context, sql string, args []any, fn func(scan func(...any) error) error) {
	t.wg.Go(func() {
		t.sem <- struct{}{}
		defer func() { <-t.sem }()
		if err := t.q.scan(ctx, sql, args, fn); err != nil {
			t.mu.Lock()
			if t.err == nil {
				t.err = err
			}
			t.mu.Unlock()
		}
	})
}

func (t *tasks) wait() error {
	t.wg.Wait()
	return t.err
}

func (q queries) run(ctx context.Context) (*facts, error) {
	f := &facts{ops: map[int64][]int64{}, victims: map[int64][]int64{}, justice: map[int64][]int64{},
		opsByType: map[string][3]int64{}, age: map[string]int64{}, sex: map[string]int64{}, nationality: map[string]int64{},
		victimsByType: map[string]int64{}, outcomes: map[string]int64{}, medians: map[string]histogram{}, months: map[string]monthly{},
		certificates: map[[2]int64]int64{}, people: map[int64]int64{}, acks: map[int64]int64{}}
	q.mu = &sync.Mutex{}
	t := &tasks{q: q, sem: make(chan struct{}, queryConcurrency)}
	w, wargs := q.where()
	key := func(org int64, h int) int64 {
		if h == 1 {
			return heldKey
		}
		return org
	}
	add := func(m map[int64][]int64, k int64, n int, vs ...int64) {
		if m[k] == nil {
			m[k] = make([]int64, n)
		}
		for i, v := range vs {
			m[k][i] += v
		}
	}

	// Operations: live at the end, new and closed, by organisation and by type.
	opsSel := "COUNT(CASE WHEN o.started_on < ? AND (o.ended_on IS NULL OR o.ended_on >= ?) THEN 1 END), " +
		"COUNT(CASE WHEN " + in("o.started_on") + " THEN 1 END), COUNT(CASE WHEN " + in("o.ended_on") + " THEN 1 END)"
	opsArgs := cat([]any{q.toNext, q.toNext}, q.period(), q.period())
	t.add(ctx, "SELECT o.organisation_id, "+held+", "+opsSel+" FROM operations o WHERE "+w+" GROUP BY o.organisation_id, "+held,
		cat(opsArgs, wargs), func(scan func(...any) error) error {
			var org, live, nw, closed int64
			var h int
			if err := scan(&org, &h, &live, &nw, &closed); err != nil {
				return err
			}
			add(f.ops, key(org, h), 3, live, nw, closed)
			return nil
		})
	t.add(ctx, "SELECT x.type, "+opsSel+" FROM operations o JOIN operation_exploitation x ON x.operation_id = o.id WHERE "+w+" GROUP BY x.type",
		cat(opsArgs, wargs), func(scan func(...any) error) error {
			var t string
			var v [3]int64
			if err := scan(&t, &v[0], &v[1], &v[2]); err != nil {
				return err
			}
			f.opsByType[t] = v
			return nil
		})

	// Victims, NRM referrals and decisions, Duty to Notify, by organisation: counted per
	// operation first (one pass over a covering index, in its order), then per organisation.
	vs := "(SELECT v.operation_id, COUNT(*) AS n, COUNT(CASE WHEN " + in("v.nrm_referred_on") + " THEN 1 END) AS ref, " +
		"COUNT(CASE WHEN v.duty_to_notify THEN 1 END) AS dtn, " +
		"COUNT(CASE WHEN " + in("v.rg_decided_on") + " AND v.rg_outcome = 'positive' THEN 1 END) AS rgp, " +
		"COUNT(CASE WHEN " + in("v.rg_decided_on") + " AND v.rg_outcome = 'negative' THEN 1 END) AS rgn, " +
		"COUNT(CASE WHEN " + in("v.cg_decided_on") + " AND v.cg_outcome = 'positive' THEN 1 END) AS cgp, " +
		"COUNT(CASE WHEN " + in("v.cg_decided_on") + " AND v.cg_outcome = 'negative' THEN 1 END) AS cgn " +
		"FROM victims v GROUP BY v.operation_id) vs"
	sum := func(e string) string { return "CAST(SUM(" + e + ") AS BIGINT)" }
	t.add(ctx, "SELECT o.organisation_id, "+held+", "+sum("CASE WHEN "+active+" THEN vs.n ELSE 0 END")+", "+sum("vs.ref")+", "+
		sum("CASE WHEN "+active+" THEN vs.dtn ELSE 0 END")+", "+sum("vs.rgp")+", "+sum("vs.rgn")+", "+sum("vs.cgp")+", "+sum("vs.cgn")+
		" FROM operations o JOIN "+vs+" ON vs.operation_id = o.id WHERE "+w+" GROUP BY o.organisation_id, "+held,
		cat(q.activeArgs(), q.activeArgs(), q.period(), q.period(), q.period(), q.period(), q.period(), wargs), func(scan func(...any) error) error {
			var org, n, ref, dtn, rp, rn, cp, cn int64
			var h int
			if err := scan(&org, &h, &n, &ref, &dtn, &rp, &rn, &cp, &cn); err != nil {
				return err
			}
			add(f.victims, key(org, h), 3, n, ref, dtn)
			f.decisions.rgPos += rp
			f.decisions.rgNeg += rn
			f.decisions.cgPos += cp
			f.decisions.cgNeg += cn
			return nil
		})
	// Operations in the filter (and, for the victims counted, open in the period): the people
	// queries below test membership of this set rather than joining every person's operation.
	ops := "SELECT o.id FROM operations o WHERE " + w
	// inOps is "col is an operation in the filter": nothing to test when the filter takes every
	// operation (national, any type).
	inOps := func(col string) string {
		if q.national && q.exploitation == "" {
			return "1 = 1"
		}
		return col + " IN (" + ops + ")"
	}
	opsArgs2 := wargs
	if q.national && q.exploitation == "" {
		opsArgs2 = nil
	}
	activeOps, activeOpsArgs := ops+" AND "+active, cat(wargs, q.activeArgs())
	t.add(ctx, "SELECT v.age_band, v.sex, v.nationality, COUNT(*) FROM victims v WHERE v.operation_id IN ("+activeOps+
		") GROUP BY v.age_band, v.sex, v.nationality", activeOpsArgs, func(scan func(...any) error) error {
		var a, s, nat string
		var n int64
		if err := scan(&a, &s, &nat, &n); err != nil {
			return err
		}
		f.age[a] += n
		f.sex[s] += n
		f.nationality[strings.ToUpper(nat)] += n
		return nil
	})
	t.add(ctx, "SELECT x.type, COUNT(*) FROM victim_exploitation x JOIN victims v ON v.id = x.victim_id WHERE v.operation_id IN ("+activeOps+
		") GROUP BY x.type", activeOpsArgs, func(scan func(...any) error) error {
		var t string
		var n int64
		if err := scan(&t, &n); err != nil {
			return err
		}
		f.victimsByType[t] = n
		return nil
	})

	// Suspects: arrests, and orders on a conviction in the period, counted per operation first.
	conv := "(SELECT suspect_id FROM suspect_charges WHERE outcome IN ('convicted_plea', 'convicted_trial') AND " + in("outcome_on") + " GROUP BY suspect_id)"
	ss := "(SELECT s.operation_id, COUNT(CASE WHEN " + in("s.arrested_on") + " THEN 1 END) AS arr, " +
		"COUNT(CASE WHEN cv.suspect_id IS NOT NULL AND s.stpo THEN 1 END) AS stpo, COUNT(CASE WHEN cv.suspect_id IS NOT NULL AND s.reparation_order THEN 1 END) AS rep, " +
		"COUNT(CASE WHEN cv.suspect_id IS NOT NULL AND s.confiscation_pounds > 0 THEN 1 END) AS conf " +
		"FROM suspects s LEFT JOIN " + conv + " cv ON cv.suspect_id = s.id GROUP BY s.operation_id) ss"
	t.add(ctx, "SELECT o.organisation_id, "+held+", "+sum("ss.arr")+", "+sum("ss.stpo")+", "+sum("ss.rep")+", "+sum("ss.conf")+
		" FROM operations o JOIN "+ss+" ON ss.operation_id = o.id WHERE "+w+" GROUP BY o.organisation_id, "+held,
		cat(q.period(), q.period(), wargs), func(scan func(...any) error) error {
			var org, arr, stpo, rep, conf int64
			var h int
			if err := scan(&org, &h, &arr, &stpo, &rep, &conf); err != nil {
				return err
			}
			add(f.justice, key(org, h), 3, arr, 0, 0)
			f.orders[0] += stpo
			f.orders[1] += rep
			f.orders[2] += conf
			return nil
		})
	// Charges in the period, and outcomes decided in it, counted per operation first: each
	// found through the index on its date, which covers what is counted.
	charges := "(SELECT s.operation_id, COUNT(*) AS n FROM suspect_charges c JOIN suspects s ON s.id = c.suspect_id WHERE " + in("c.charged_on") + " GROUP BY s.operation_id) cs"
	t.add(ctx, "SELECT o.organisation_id, "+held+", "+sum("cs.n")+" FROM operations o JOIN "+charges+" ON cs.operation_id = o.id WHERE "+w+" GROUP BY o.organisation_id, "+held,
		cat(q.period(), wargs), func(scan func(...any) error) error {
			var org, n int64
			var h int
			if err := scan(&org, &h, &n); err != nil {
				return err
			}
			add(f.justice, key(org, h), 3, 0, n, 0)
			return nil
		})
	outcomes := "(SELECT s.operation_id, c.outcome, COUNT(*) AS n FROM suspect_charges c JOIN suspects s ON s.id = c.suspect_id WHERE " + in("c.outcome_on") + " AND c.outcome <> '' GROUP BY s.operation_id, c.outcome) cs"
	t.add(ctx, "SELECT o.organisation_id, "+held+", cs.outcome, "+sum("cs.n")+" FROM operations o JOIN "+outcomes+" ON cs.operation_id = o.id WHERE "+w+" GROUP BY o.organisation_id, "+held+", cs.outcome",
		cat(q.period(), wargs), func(scan func(...any) error) error {
			var org, n int64
			var h int
			var outcome string
			if err := scan(&org, &h, &outcome, &n); err != nil {
				return err
			}
			if outcome == "convicted_plea" || outcome == "convicted_trial" {
				add(f.justice, key(org, h), 3, 0, 0, n)
			}
			f.outcomes[outcome] += n
			return nil
		})

	// Medians: histograms of whole days between events, over the events in the period only
	// (each found through an index on its date).
	rg, cg := q.days("v.nrm_referred_on", "v.rg_decided_on"), q.days("v.rg_decided_on", "v.cg_decided_on")
	firstRef := "(SELECT MIN(fv.nrm_referred_on) FROM victims fv WHERE fv.operation_id = s.operation_id)"
	charged := "(SELECT c.charged_on AS on_day, " + firstRef + " AS first_ref FROM suspect_charges c JOIN suspects s ON s.id = c.suspect_id WHERE " +
		in("c.charged_on") + " AND " + inOps("s.operation_id") + ") f"
	decided := "(SELECT c.outcome_on AS on_day, " + firstRef + " AS first_ref FROM suspect_charges c JOIN suspects s ON s.id = c.suspect_id WHERE c.outcome <> '' AND " +
		in("c.outcome_on") + " AND " + inOps("s.operation_id") + ") f"
	fd := q.days("f.first_ref", "f.on_day")
	medianFn := func(scan func(...any) error) error {
		var k string
		var d, n int64
		if err := scan(&k, &d, &n); err != nil {
			return err
		}
		if f.medians[k] == nil {
			f.medians[k] = histogram{}
		}
		f.medians[k][d] += n
		return nil
	}
	t.add(ctx, "SELECT 'rg', "+rg+", COUNT(*) FROM victims v WHERE "+in("v.rg_decided_on")+" AND v.nrm_referred_on IS NOT NULL AND "+inOps("v.operation_id")+" GROUP BY "+rg, cat(q.period(), opsArgs2), medianFn)
	t.add(ctx, "SELECT 'cg', "+cg+", COUNT(*) FROM victims v WHERE "+in("v.cg_decided_on")+" AND v.rg_decided_on IS NOT NULL AND "+inOps("v.operation_id")+" GROUP BY "+cg, cat(q.period(), opsArgs2), medianFn)
	t.add(ctx, "SELECT 'charge', "+fd+", COUNT(*) FROM "+charged+" WHERE f.first_ref <= f.on_day GROUP BY "+fd, cat(q.period(), opsArgs2), medianFn)
	t.add(ctx, "SELECT 'outcome', "+fd+", COUNT(*) FROM "+decided+" WHERE f.first_ref <= f.on_day GROUP BY "+fd,
		cat(q.period(), opsArgs2), func(scan func(...any) error) error {
			var k string
			var d, n int64
			if err := scan(&k, &d, &n); err != nil {
				return err
			}
			if f.medians[k] == nil {
				f.medians[k] = histogram{}
			}
			f.medians[k][d] += n
			return nil
		})

	// Month counts for the trends: operations started and ended up to the period's end (live at
	// a quarter's end needs all of them), started and ended in the period, and referrals,
	// arrests and charges in the period (each found through an index on its date).
	month := func(k, col, from string, args []any) (string, []any) {
		return "SELECT '" + k + "', " + q.ym(col) + ", COUNT(*) FROM " + from + " GROUP BY " + q.ym(col), args
	}
	parts := [][2]any{}
	for _, m := range []struct {
		k, col, from string
		args         []any
	}{
		{"start", "o.started_on", "operations o WHERE " + w + " AND o.started_on < ?", cat(wargs, []any{q.toNext})},
		{"end", "o.ended_on", "operations o WHERE " + w + " AND o.ended_on < ?", cat(wargs, []any{q.toNext})},
		{"new", "o.started_on", "operations o WHERE " + w + " AND " + in("o.started_on"), cat(wargs, q.period())},
		{"closed", "o.ended_on", "operations o WHERE " + w + " AND " + in("o.ended_on"), cat(wargs, q.period())},
		{"referral", "v.nrm_referred_on", "victims v WHERE " + in("v.nrm_referred_on") + " AND " + inOps("v.operation_id"), cat(q.period(), opsArgs2)},
		{"arrest", "s.arrested_on", "suspects s WHERE " + in("s.arrested_on") + " AND " + inOps("s.operation_id"), cat(q.period(), opsArgs2)},
		{"charge", "c.charged_on", "suspect_charges c JOIN suspects s ON s.id = c.suspect_id WHERE " + in("c.charged_on") + " AND " + inOps("s.operation_id"), cat(q.period(), opsArgs2)},
	} {
		sql, args := month(m.k, m.col, m.from, m.args)
		parts = append(parts, [2]any{sql, args})
	}
	var unionSQL []string
	var unionArgs []any
	for _, p := range parts {
		unionSQL = append(unionSQL, p[0].(string))
		unionArgs = append(unionArgs, p[1].([]any)...)
	}
	t.add(ctx, strings.Join(unionSQL, " UNION ALL "), unionArgs, func(scan func(...any) error) error {
		var k, m string
		var n int64
		if err := scan(&k, &m, &n); err != nil {
			return err
		}
		if f.months[k] == nil {
			f.months[k] = monthly{}
		}
		f.months[k][m] += n
		return nil
	})

	// Training coverage: people holding a current certificate at the period's end, per course.
	if err := q.db.Conn(ctx).Raw("SELECT id, code, title FROM courses WHERE status = 'published' OR id IN (SELECT course_id FROM certificates) ORDER BY code").Scan(&f.courses).Error; err != nil {
		return nil, core.DBError(err)
	}
	t.add(ctx, "SELECT organisation_id, course_id, COUNT(DISTINCT user_id) FROM certificates WHERE completed_on < ? AND (expires_on IS NULL OR expires_on >= ?) GROUP BY organisation_id, course_id",
		[]any{q.toNext, q.toNext}, func(scan func(...any) error) error {
			var org, c, n int64
			if err := scan(&org, &c, &n); err != nil {
				return err
			}
			f.certificates[[2]int64{org, c}] = n
			return nil
		})
	// Guidance: people with an account, and acknowledgements of the current versions that ask
	// for one.
	t.add(ctx, "SELECT organisation_id, COUNT(*) FROM users WHERE disabled_at IS NULL AND created_at < ? GROUP BY organisation_id", []any{q.toNext}, func(scan func(...any) error) error {
		var org, n int64
		if err := scan(&org, &n); err != nil {
			return err
		}
		f.people[org] = n
		return nil
	})
	t.add(ctx, "SELECT u.organisation_id, COUNT(*) FROM guidance_acknowledgements a JOIN guidance_documents d ON d.current_version_id = a.version_id "+
		"JOIN guidance_versions gv ON gv.id = a.version_id JOIN users u ON u.id = a.user_id WHERE gv.requires_ack AND a.acknowledged_at < ? GROUP BY u.organisation_id",
		[]any{q.toNext}, func(scan func(...any) error) error {
			var org, n int64
			if err := scan(&org, &n); err != nil {
				return err
			}
			f.acks[org] = n
			return nil
		})
	if err := t.wait(); err != nil {
		return nil, err
	}
	return f, nil
}
