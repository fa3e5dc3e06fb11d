package statistics

import (
	"context"
	"database/sql"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/msptp/msphub/models/core"
)

// heldKey stands, in the by-organisation maps, for the covert operations not yet closed, which
// national totals count and no organisation's figure does.
const heldKey int64 = 0

// queries reads the aggregates of one filter. It reads the numeric ids of operations and
// suspects to fold counts together in memory, and no reference, free text or other field of a
// record: only counts leave it. Dates are compared as half-open ranges
// [from, toNext) against 'YYYY-MM-DD' strings, which both backends order correctly whatever
// the time part a driver stored.
type queries struct {
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
	opsAtStart            map[int64]int64   // operations live the day before the period, by organisation
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
	days                  days // the day numbers of the dates seen, parsed once
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

func newFacts() *facts {
	return &facts{ops: map[int64][]int64{}, opsAtStart: map[int64]int64{}, victims: map[int64][]int64{}, justice: map[int64][]int64{},
		opsByType: map[string][3]int64{}, age: map[string]int64{}, sex: map[string]int64{}, nationality: map[string]int64{},
		victimsByType: map[string]int64{}, outcomes: map[string]int64{}, medians: map[string]histogram{}, months: map[string]monthly{},
		certificates: map[[2]int64]int64{}, people: map[int64]int64{}, acks: map[int64]int64{}, days: days{}}
}

// month counts an item of kind k in the month of the 'YYYY-MM-DD' date d.
func (f *facts) month(k, d string) {
	if f.months[k] == nil {
		f.months[k] = monthly{}
	}
	f.months[k][d[:7]]++
}

// median counts an item of the median k that took the days from one date to the other.
func (f *facts) median(k string, from, to string) error {
	n, err := f.days.between(from, to)
	if err != nil {
		return err
	}
	if f.medians[k] == nil {
		f.medians[k] = histogram{}
	}
	f.medians[k][n]++
	return nil
}

// merge adds p's counts to f's.
func (f *facts) merge(p *facts) {
	for _, m := range [][2]map[int64][]int64{{f.ops, p.ops}, {f.victims, p.victims}, {f.justice, p.justice}} {
		for k, vs := range m[1] {
			if m[0][k] == nil {
				m[0][k] = make([]int64, len(vs))
			}
			for i, v := range vs {
				m[0][k][i] += v
			}
		}
	}
	for k, v := range p.opsByType {
		w := f.opsByType[k]
		for i := range w {
			w[i] += v[i]
		}
		f.opsByType[k] = w
	}
	for _, m := range [][2]map[string]int64{{f.age, p.age}, {f.sex, p.sex}, {f.nationality, p.nationality}, {f.victimsByType, p.victimsByType}, {f.outcomes, p.outcomes}} {
		for k, n := range m[1] {
			m[0][k] += n
		}
	}
	f.decisions.rgPos += p.decisions.rgPos
	f.decisions.rgNeg += p.decisions.rgNeg
	f.decisions.cgPos += p.decisions.cgPos
	f.decisions.cgNeg += p.decisions.cgNeg
	for i := range f.orders {
		f.orders[i] += p.orders[i]
	}
	for k, h := range p.medians {
		if f.medians[k] == nil {
			f.medians[k] = histogram{}
		}
		for d, n := range h {
			f.medians[k][d] += n
		}
	}
	for k, m := range p.months {
		if f.months[k] == nil {
			f.months[k] = monthly{}
		}
		for ym, n := range m {
			f.months[k][ym] += n
		}
	}
	for _, m := range [][2]map[int64]int64{{f.people, p.people}, {f.acks, p.acks}} {
		for k, n := range m[1] {
			m[0][k] += n
		}
	}
	for k, n := range p.certificates {
		f.certificates[k] += n
	}
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

// day is a date column as 'YYYY-MM-DD' (NULL stays NULL).
func (q queries) day(col string) string {
	if q.pg() {
		return "to_char(" + col + ", 'YYYY-MM-DD')"
	}
	return "substr(" + col + ", 1, 10)"
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

// in is "col in the period", with its arguments.
func (q queries) in(col string) (string, []any) {
	return "(" + col + " >= ? AND " + col + " < ?)", []any{q.from, q.toNext}
}

// inPeriod is whether a 'YYYY-MM-DD' date is in the period.
func (q queries) inPeriod(d string) bool { return d != "" && d >= q.from && d < q.toNext }

// open is whether the operation was open at some time in the period.
func (q queries) open(o *operation) bool {
	return o.started < q.toNext && (o.ended == "" || o.ended >= q.from)
}

// openVictims is "victim v belongs to an operation in the filter that was open in the period"
// and "victim_exploitation x is of such a victim", with their arguments. The national figure over
// every type of exploitation names the few operations not open instead of the many that are.
func (q queries) openVictims(w string, wargs []any) (victim, exploitation string, args []any) {
	const open = "(o.started_on < ? AND (o.ended_on IS NULL OR o.ended_on >= ?))"
	args = []any{q.toNext, q.from}
	if q.national && q.exploitation == "" {
		closed := "SELECT o.id FROM operations o WHERE NOT " + open
		return "v.operation_id NOT IN (" + closed + ")", "x.victim_id NOT IN (SELECT v.id FROM victims v WHERE v.operation_id IN (" + closed + "))", args
	}
	ops := "SELECT o.id FROM operations o WHERE " + w + " AND " + open
	return "v.operation_id IN (" + ops + ")", "x.victim_id IN (SELECT v.id FROM victims v WHERE v.operation_id IN (" + ops + "))", append(slices.Clone(wargs), args...)
}

func cat(parts ...[]any) []any {
	var out []any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// measures are an operation's own figures: live at the period's end, new in it, closed in it.
func (q queries) measures(o *operation) [3]int64 {
	var m [3]int64
	if o.started < q.toNext && (o.ended == "" || o.ended >= q.toNext) {
		m[0] = 1
	}
	if q.inPeriod(o.started) {
		m[1] = 1
	}
	if q.inPeriod(o.ended) {
		m[2] = 1
	}
	return m
}

// operation is what the figures need of an operation in the filter.
type operation struct {
	key            int64  // its organisation, or heldKey
	started, ended string // 'YYYY-MM-DD'; ended is "" while it is open
	firstReferral  string // its victims' earliest NRM referral, "" if none
}

// event is a charge or an outcome in the period, kept until every operation's first referral
// is known.
type event struct {
	median string
	op     int64
	on     string
}

// days numbers 'YYYY-MM-DD' dates, parsing each distinct date once.
type days map[string]int64

func (d days) between(from, to string) (int64, error) {
	a, err := d.number(from)
	if err != nil {
		return 0, err
	}
	b, err := d.number(to)
	return b - a, err
}

func (d days) number(s string) (int64, error) {
	if n, ok := d[s]; ok {
		return n, nil
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return 0, err
	}
	d[s] = t.Unix() / 86400
	return d[s], nil
}

// queryConcurrency is how many of a dashboard's queries run at once, each on its own
// connection: SQLite in WAL mode and PostgreSQL both serve readers side by side.
const queryConcurrency = 4

// tasks runs a dashboard's queries concurrently. Each query adds up its rows into facts of its
// own, so that no row waits on a lock; wait merges them once all are done and returns the first
// error.
type tasks struct {
	q     queries
	wg    sync.WaitGroup
	sem   chan struct{}
	mu    sync.Mutex
	err   error
	parts []*facts
}

func (t *tasks) add(ctx context.Context, sql string, args []any, fn func(p *facts, scan func(...any) error) error) {
	p := newFacts()
	t.parts = append(t.parts, p)
	t.wg.Go(func() {
		t.sem <- struct{}{}
		defer func() { <-t.sem }()
		if err := t.q.db.EachRow(ctx, sql, args, func(scan func(...any) error) error { return fn(p, scan) }); err != nil {
			t.mu.Lock()
			if t.err == nil {
				t.err = err
			}
			t.mu.Unlock()
		}
	})
}

func (t *tasks) wait(into *facts) error {
	t.wg.Wait()
	for _, p := range t.parts {
		into.merge(p)
	}
	return t.err
}

// run reads the aggregates of the filter. The operations in the filter are read once; the
// people and events of the period are then read by date or per operation, through indexes that
// cover what is counted, and folded here by organisation, by whether their operation was open
// in the period and by whether it is held back. Joining every person to its operation in SQL
// costs a lookup per person, which on the embedded SQLite was most of a dashboard's time.
func (q queries) run(ctx context.Context) (*facts, error) {
	f := newFacts()
	w, wargs := q.where()
	add := func(m map[int64][]int64, k int64, vs ...int64) {
		if m[k] == nil {
			m[k] = make([]int64, 3)
		}
		for i, v := range vs {
			m[k][i] += v
		}
	}
	count := func(cond bool) int64 {
		if cond {
			return 1
		}
		return 0
	}

	// The operations in the filter, and their own figures: live at the end, new and closed, by
	// organisation, and the months they started and ended in.
	ops := map[int64]*operation{}
	err := q.db.EachRow(ctx, "SELECT o.id, o.organisation_id, "+held+", "+q.day("o.started_on")+", "+q.day("o.ended_on")+" FROM operations o WHERE "+w, wargs,
		func(scan func(...any) error) error {
			var id, org int64
			var h int
			var started string
			var ended sql.NullString
			if err := scan(&id, &org, &h, &started, &ended); err != nil {
				return err
			}
			o := &operation{key: org, started: started, ended: ended.String}
			if h == 1 {
				o.key = heldKey
			}
			ops[id] = o
			m := q.measures(o)
			add(f.ops, o.key, m[:]...)
			if o.started < q.from && (o.ended == "" || o.ended >= q.from) {
				f.opsAtStart[o.key]++
			}
			if o.started < q.toNext {
				f.month("start", o.started)
			}
			if o.ended != "" && o.ended < q.toNext {
				f.month("end", o.ended)
			}
			if q.inPeriod(o.started) {
				f.month("new", o.started)
			}
			if q.inPeriod(o.ended) {
				f.month("closed", o.ended)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}

	t := &tasks{q: q, sem: make(chan struct{}, queryConcurrency)}
	t.add(ctx, "SELECT x.operation_id, x.type FROM operation_exploitation x", nil, func(p *facts, scan func(...any) error) error {
		var id int64
		var typ string
		if err := scan(&id, &typ); err != nil {
			return err
		}
		if o := ops[id]; o != nil {
			v, m := p.opsByType[typ], q.measures(o)
			for i := range v {
				v[i] += m[i]
			}
			p.opsByType[typ] = v
		}
		return nil
	})

	// Potential victims and Duty to Notify reports of the operations open in the period, and
	// each operation's first NRM referral, in one pass over the index on operation.
	t.add(ctx, "SELECT v.operation_id, COUNT(*), COUNT(CASE WHEN v.duty_to_notify THEN 1 END), "+q.day("MIN(v.nrm_referred_on)")+
		" FROM victims v GROUP BY v.operation_id", nil, func(p *facts, scan func(...any) error) error {
		var id, n, dtn int64
		var first sql.NullString
		if err := scan(&id, &n, &dtn, &first); err != nil {
			return err
		}
		if o := ops[id]; o != nil {
			o.firstReferral = first.String
			if q.open(o) {
				add(p.victims, o.key, n, 0, dtn)
			}
		}
		return nil
	})
	// NRM referrals, and reasonable and conclusive grounds decisions with the days they took,
	// each found through the index on its date.
	ref, refArgs := q.in("v.nrm_referred_on")
	t.add(ctx, "SELECT v.operation_id, "+q.day("v.nrm_referred_on")+" FROM victims v WHERE "+ref, refArgs, func(p *facts, scan func(...any) error) error {
		var id int64
		var on string
		if err := scan(&id, &on); err != nil {
			return err
		}
		if o := ops[id]; o != nil {
			add(p.victims, o.key, 0, 1, 0)
			p.month("referral", on)
		}
		return nil
	})
	for _, d := range []struct {
		key, outcome, since, on string
		counts                  func(p *facts) (pos, neg *int64)
	}{
		{"rg", "v.rg_outcome", "v.nrm_referred_on", "v.rg_decided_on", func(p *facts) (*int64, *int64) { return &p.decisions.rgPos, &p.decisions.rgNeg }},
		{"cg", "v.cg_outcome", "v.rg_decided_on", "v.cg_decided_on", func(p *facts) (*int64, *int64) { return &p.decisions.cgPos, &p.decisions.cgNeg }},
	} {
		cond, args := q.in(d.on)
		t.add(ctx, "SELECT v.operation_id, "+d.outcome+", "+q.day(d.since)+", "+q.day(d.on)+" FROM victims v WHERE "+cond, args, func(p *facts, scan func(...any) error) error {
			var id int64
			var outcome, on string
			var since sql.NullString
			if err := scan(&id, &outcome, &since, &on); err != nil {
				return err
			}
			if ops[id] == nil {
				return nil
			}
			pos, neg := d.counts(p)
			*pos += count(outcome == "positive")
			*neg += count(outcome == "negative")
			if since.Valid {
				return p.median(d.key, since.String, on)
			}
			return nil
		})
	}
	// Age band, sex, nationality and type of exploitation of the victims of operations open in
	// the period: counted by the database, each through an index in the order it groups by.
	open, openTypes, openArgs := q.openVictims(w, wargs)
	t.add(ctx, "SELECT v.age_band, v.sex, v.nationality, COUNT(*) FROM victims v WHERE "+open+" GROUP BY v.age_band, v.sex, v.nationality",
		openArgs, func(p *facts, scan func(...any) error) error {
			var a, s, nat string
			var n int64
			if err := scan(&a, &s, &nat, &n); err != nil {
				return err
			}
			p.age[a] += n
			p.sex[s] += n
			p.nationality[strings.ToUpper(nat)] += n
			return nil
		})
	t.add(ctx, "SELECT x.type, COUNT(*) FROM victim_exploitation x WHERE "+openTypes+" GROUP BY x.type", openArgs, func(p *facts, scan func(...any) error) error {
		var typ string
		var n int64
		if err := scan(&typ, &n); err != nil {
			return err
		}
		p.victimsByType[typ] = n
		return nil
	})

	// Arrests in the period, through the index on their date.
	arr, arrArgs := q.in("s.arrested_on")
	t.add(ctx, "SELECT s.operation_id, "+q.day("s.arrested_on")+" FROM suspects s WHERE "+arr, arrArgs, func(p *facts, scan func(...any) error) error {
		var id int64
		var on string
		if err := scan(&id, &on); err != nil {
			return err
		}
		if o := ops[id]; o != nil {
			add(p.justice, o.key, 1, 0, 0)
			p.month("arrest", on)
		}
		return nil
	})
	// Charges in the period and outcomes decided in it; the orders of each suspect convicted in
	// it. The days from the operation's first referral wait for the victims' pass.
	var events []event
	convicted := map[int64][3]bool{}
	charged, chargedArgs := q.in("c.charged_on")
	decided, decidedArgs := q.in("c.outcome_on")
	t.add(ctx, "SELECT s.operation_id, c.suspect_id, "+q.day("c.charged_on")+", c.outcome, "+q.day("c.outcome_on")+
		", s.stpo, s.reparation_order, s.confiscation_pounds FROM suspect_charges c JOIN suspects s ON s.id = c.suspect_id WHERE "+charged+" OR "+decided,
		cat(chargedArgs, decidedArgs), func(p *facts, scan func(...any) error) error {
			var id, suspect, pounds int64
			var chargedOn, outcome string
			var decidedOn sql.NullString
			var stpo, reparation bool
			if err := scan(&id, &suspect, &chargedOn, &outcome, &decidedOn, &stpo, &reparation, &pounds); err != nil {
				return err
			}
			o := ops[id]
			if o == nil {
				return nil
			}
			if q.inPeriod(chargedOn) {
				add(p.justice, o.key, 0, 1, 0)
				p.month("charge", chargedOn)
				events = append(events, event{"charge", id, chargedOn})
			}
			if outcome != "" && q.inPeriod(decidedOn.String) {
				p.outcomes[outcome]++
				if outcome == "convicted_plea" || outcome == "convicted_trial" {
					add(p.justice, o.key, 0, 0, 1)
					convicted[suspect] = [3]bool{stpo, reparation, pounds > 0}
				}
				events = append(events, event{"outcome", id, decidedOn.String})
			}
			return nil
		})

	// Training coverage: people holding a current certificate at the period's end, per course.
	if err := q.db.Conn(ctx).Raw("SELECT id, code, title FROM courses WHERE status = 'published' OR id IN (SELECT course_id FROM certificates) ORDER BY code").Scan(&f.courses).Error; err != nil {
		return nil, core.DBError(err)
	}
	t.add(ctx, "SELECT organisation_id, course_id, COUNT(DISTINCT user_id) FROM certificates WHERE completed_on < ? AND (expires_on IS NULL OR expires_on >= ?) GROUP BY organisation_id, course_id",
		[]any{q.toNext, q.toNext}, func(p *facts, scan func(...any) error) error {
			var org, c, n int64
			if err := scan(&org, &c, &n); err != nil {
				return err
			}
			p.certificates[[2]int64{org, c}] = n
			return nil
		})
	// Guidance: people with an account, and acknowledgements of the current versions that ask
	// for one.
	t.add(ctx, "SELECT organisation_id, COUNT(*) FROM users WHERE disabled_at IS NULL AND created_at < ? GROUP BY organisation_id", []any{q.toNext}, func(p *facts, scan func(...any) error) error {
		var org, n int64
		if err := scan(&org, &n); err != nil {
			return err
		}
		p.people[org] = n
		return nil
	})
	t.add(ctx, "SELECT u.organisation_id, COUNT(*) FROM guidance_acknowledgements a JOIN guidance_documents d ON d.current_version_id = a.version_id "+
		"JOIN guidance_versions gv ON gv.id = a.version_id JOIN users u ON u.id = a.user_id WHERE gv.requires_ack AND a.acknowledged_at < ? GROUP BY u.organisation_id",
		[]any{q.toNext}, func(p *facts, scan func(...any) error) error {
			var org, n int64
			if err := scan(&org, &n); err != nil {
				return err
			}
			p.acks[org] = n
			return nil
		})
	if err := t.wait(f); err != nil {
		return nil, err
	}

	for _, o := range convicted {
		for i, yes := range o {
			f.orders[i] += count(yes)
		}
	}
	for _, e := range events {
		if first := ops[e.op].firstReferral; first != "" && first <= e.on {
			if err := f.median(e.median, first, e.on); err != nil {
				return nil, core.DBError(err)
			}
		}
	}
	return f, nil
}
