package statistics

import (
	"context"
	"sort"
	"strings"
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
		if err := fn(rows.Scan); err != nil {
			return core.DBError(err)
		}
	}
	return core.DBError(rows.Err())
}

func (q queries) run(ctx context.Context) (*facts, error) {
	f := &facts{ops: map[int64][]int64{}, victims: map[int64][]int64{}, justice: map[int64][]int64{},
		opsByType: map[string][3]int64{}, age: map[string]int64{}, sex: map[string]int64{}, nationality: map[string]int64{},
		victimsByType: map[string]int64{}, outcomes: map[string]int64{}, medians: map[string]histogram{}, months: map[string]monthly{},
		certificates: map[[2]int64]int64{}, people: map[int64]int64{}, acks: map[int64]int64{}}
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
	err := q.scan(ctx, "SELECT o.organisation_id, "+held+", "+opsSel+" FROM operations o WHERE "+w+" GROUP BY o.organisation_id, "+held,
		cat(opsArgs, wargs), func(scan func(...any) error) error {
			var org, live, nw, closed int64
			var h int
			if err := scan(&org, &h, &live, &nw, &closed); err != nil {
				return err
			}
			add(f.ops, key(org, h), 3, live, nw, closed)
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = q.scan(ctx, "SELECT x.type, "+opsSel+" FROM operations o JOIN operation_exploitation x ON x.operation_id = o.id WHERE "+w+" GROUP BY x.type",
		cat(opsArgs, wargs), func(scan func(...any) error) error {
			var t string
			var v [3]int64
			if err := scan(&t, &v[0], &v[1], &v[2]); err != nil {
				return err
			}
			f.opsByType[t] = v
			return nil
		})
	if err != nil {
		return nil, err
	}

	// Victims, NRM referrals and decisions, Duty to Notify, by organisation.
	err = q.scan(ctx, "SELECT o.organisation_id, "+held+", COUNT(CASE WHEN "+active+" THEN 1 END), "+
		"COUNT(CASE WHEN "+in("v.nrm_referred_on")+" THEN 1 END), COUNT(CASE WHEN "+active+" AND v.duty_to_notify THEN 1 END), "+
		"COUNT(CASE WHEN "+in("v.rg_decided_on")+" AND v.rg_outcome = 'positive' THEN 1 END), "+
		"COUNT(CASE WHEN "+in("v.rg_decided_on")+" AND v.rg_outcome = 'negative' THEN 1 END), "+
		"COUNT(CASE WHEN "+in("v.cg_decided_on")+" AND v.cg_outcome = 'positive' THEN 1 END), "+
		"COUNT(CASE WHEN "+in("v.cg_decided_on")+" AND v.cg_outcome = 'negative' THEN 1 END) "+
		"FROM victims v JOIN operations o ON o.id = v.operation_id WHERE "+w+" GROUP BY o.organisation_id, "+held,
		cat(q.activeArgs(), q.period(), q.activeArgs(), q.period(), q.period(), q.period(), q.period(), wargs), func(scan func(...any) error) error {
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
	if err != nil {
		return nil, err
	}
	err = q.scan(ctx, "SELECT v.age_band, v.sex, v.nationality, COUNT(*) FROM victims v JOIN operations o ON o.id = v.operation_id WHERE "+w+" AND "+active+
		" GROUP BY v.age_band, v.sex, v.nationality", cat(wargs, q.activeArgs()), func(scan func(...any) error) error {
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
	if err != nil {
		return nil, err
	}
	err = q.scan(ctx, "SELECT x.type, COUNT(*) FROM victims v JOIN operations o ON o.id = v.operation_id JOIN victim_exploitation x ON x.victim_id = v.id WHERE "+w+" AND "+active+
		" GROUP BY x.type", cat(wargs, q.activeArgs()), func(scan func(...any) error) error {
		var t string
		var n int64
		if err := scan(&t, &n); err != nil {
			return err
		}
		f.victimsByType[t] = n
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Suspects: arrests, and orders on a conviction in the period.
	conv := "(SELECT suspect_id FROM suspect_charges WHERE outcome IN ('convicted_plea', 'convicted_trial') AND " + in("outcome_on") + " GROUP BY suspect_id)"
	err = q.scan(ctx, "SELECT o.organisation_id, "+held+", COUNT(CASE WHEN "+in("s.arrested_on")+" THEN 1 END), "+
		"COUNT(CASE WHEN cv.suspect_id IS NOT NULL AND s.stpo THEN 1 END), COUNT(CASE WHEN cv.suspect_id IS NOT NULL AND s.reparation_order THEN 1 END), "+
		"COUNT(CASE WHEN cv.suspect_id IS NOT NULL AND s.confiscation_pounds > 0 THEN 1 END) "+
		"FROM suspects s JOIN operations o ON o.id = s.operation_id LEFT JOIN "+conv+" cv ON cv.suspect_id = s.id WHERE "+w+" GROUP BY o.organisation_id, "+held,
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
	if err != nil {
		return nil, err
	}
	// Charges in the period, and outcomes decided in it.
	err = q.scan(ctx, "SELECT o.organisation_id, "+held+", c.outcome, COUNT(CASE WHEN "+in("c.charged_on")+" THEN 1 END), COUNT(CASE WHEN "+in("c.outcome_on")+" THEN 1 END) "+
		"FROM suspect_charges c JOIN suspects s ON s.id = c.suspect_id JOIN operations o ON o.id = s.operation_id WHERE "+w+
		" AND ("+in("c.charged_on")+" OR "+in("c.outcome_on")+") GROUP BY o.organisation_id, "+held+", c.outcome",
		cat(q.period(), q.period(), wargs, q.period(), q.period()), func(scan func(...any) error) error {
			var org, charged, decided int64
			var h int
			var outcome string
			if err := scan(&org, &h, &outcome, &charged, &decided); err != nil {
				return err
			}
			var convicted int64
			if outcome == "convicted_plea" || outcome == "convicted_trial" {
				convicted = decided
			}
			add(f.justice, key(org, h), 3, 0, charged, convicted)
			if outcome != "" {
				f.outcomes[outcome] += decided
			}
			return nil
		})
	if err != nil {
		return nil, err
	}

	// Medians: histograms of whole days between events.
	firstRef := "(SELECT operation_id, MIN(nrm_referred_on) AS first_ref FROM victims WHERE nrm_referred_on IS NOT NULL GROUP BY operation_id)"
	rg, cg := q.days("v.nrm_referred_on", "v.rg_decided_on"), q.days("v.rg_decided_on", "v.cg_decided_on")
	ch, oc := q.days("r.first_ref", "c.charged_on"), q.days("r.first_ref", "c.outcome_on")
	chargeFrom := " FROM suspect_charges c JOIN suspects s ON s.id = c.suspect_id JOIN operations o ON o.id = s.operation_id JOIN " + firstRef + " r ON r.operation_id = o.id WHERE " + w
	err = q.scan(ctx,
		"SELECT 'rg', "+rg+", COUNT(*) FROM victims v JOIN operations o ON o.id = v.operation_id WHERE "+w+" AND "+in("v.rg_decided_on")+" AND v.nrm_referred_on IS NOT NULL GROUP BY "+rg+
			" UNION ALL SELECT 'cg', "+cg+", COUNT(*) FROM victims v JOIN operations o ON o.id = v.operation_id WHERE "+w+" AND "+in("v.cg_decided_on")+" AND v.rg_decided_on IS NOT NULL GROUP BY "+cg+
			" UNION ALL SELECT 'charge', "+ch+", COUNT(*)"+chargeFrom+" AND "+in("c.charged_on")+" AND r.first_ref <= c.charged_on GROUP BY "+ch+
			" UNION ALL SELECT 'outcome', "+oc+", COUNT(*)"+chargeFrom+" AND c.outcome <> '' AND "+in("c.outcome_on")+" AND r.first_ref <= c.outcome_on GROUP BY "+oc,
		cat(wargs, q.period(), wargs, q.period(), wargs, q.period(), wargs, q.period()), func(scan func(...any) error) error {
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
	if err != nil {
		return nil, err
	}

	// Month counts for the trends: operations started and ended up to the period's end (live at
	// a quarter's end needs all of them), referrals, arrests and charges in the period.
	victimsFrom := " FROM victims v JOIN operations o ON o.id = v.operation_id WHERE " + w
	suspectsFrom := " FROM suspects s JOIN operations o ON o.id = s.operation_id WHERE " + w
	chargesFrom := " FROM suspect_charges c JOIN suspects s ON s.id = c.suspect_id JOIN operations o ON o.id = s.operation_id WHERE " + w
	err = q.scan(ctx,
		"SELECT 'start', "+q.ym("o.started_on")+", COUNT(*) FROM operations o WHERE "+w+" AND o.started_on < ? GROUP BY "+q.ym("o.started_on")+
			" UNION ALL SELECT 'end', "+q.ym("o.ended_on")+", COUNT(*) FROM operations o WHERE "+w+" AND o.ended_on < ? GROUP BY "+q.ym("o.ended_on")+
			" UNION ALL SELECT 'new', "+q.ym("o.started_on")+", COUNT(*) FROM operations o WHERE "+w+" AND "+in("o.started_on")+" GROUP BY "+q.ym("o.started_on")+
			" UNION ALL SELECT 'closed', "+q.ym("o.ended_on")+", COUNT(*) FROM operations o WHERE "+w+" AND "+in("o.ended_on")+" GROUP BY "+q.ym("o.ended_on")+
			" UNION ALL SELECT 'referral', "+q.ym("v.nrm_referred_on")+", COUNT(*)"+victimsFrom+" AND "+in("v.nrm_referred_on")+" GROUP BY "+q.ym("v.nrm_referred_on")+
			" UNION ALL SELECT 'arrest', "+q.ym("s.arrested_on")+", COUNT(*)"+suspectsFrom+" AND "+in("s.arrested_on")+" GROUP BY "+q.ym("s.arrested_on")+
			" UNION ALL SELECT 'charge', "+q.ym("c.charged_on")+", COUNT(*)"+chargesFrom+" AND "+in("c.charged_on")+" GROUP BY "+q.ym("c.charged_on"),
		cat(wargs, []any{q.toNext}, wargs, []any{q.toNext}, wargs, q.period(), wargs, q.period(), wargs, q.period(), wargs, q.period(), wargs, q.period()), func(scan func(...any) error) error {
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
	if err != nil {
		return nil, err
	}
	// Every count summed by quarter has the period's edges in its query, so the quarters of a
	// period add up to its total even when it starts or ends within a month.

	// Training coverage: people holding a current certificate at the period's end, per course.
	if err := q.db.Conn(ctx).Raw("SELECT id, code, title FROM courses WHERE status = 'published' OR id IN (SELECT course_id FROM certificates) ORDER BY code").Scan(&f.courses).Error; err != nil {
		return nil, core.DBError(err)
	}
	err = q.scan(ctx, "SELECT organisation_id, course_id, COUNT(DISTINCT user_id) FROM certificates WHERE completed_on < ? AND (expires_on IS NULL OR expires_on >= ?) GROUP BY organisation_id, course_id",
		[]any{q.toNext, q.toNext}, func(scan func(...any) error) error {
			var org, c, n int64
			if err := scan(&org, &c, &n); err != nil {
				return err
			}
			f.certificates[[2]int64{org, c}] = n
			return nil
		})
	if err != nil {
		return nil, err
	}
	// Guidance: people with an account, and acknowledgements of the current versions that ask
	// for one.
	err = q.scan(ctx, "SELECT organisation_id, COUNT(*) FROM users WHERE disabled_at IS NULL AND created_at < ? GROUP BY organisation_id", []any{q.toNext}, func(scan func(...any) error) error {
		var org, n int64
		if err := scan(&org, &n); err != nil {
			return err
		}
		f.people[org] = n
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = q.scan(ctx, "SELECT u.organisation_id, COUNT(*) FROM guidance_acknowledgements a JOIN guidance_documents d ON d.current_version_id = a.version_id "+
		"JOIN guidance_versions gv ON gv.id = a.version_id JOIN users u ON u.id = a.user_id WHERE gv.requires_ack AND a.acknowledged_at < ? GROUP BY u.organisation_id",
		[]any{q.toNext}, func(scan func(...any) error) error {
			var org, n int64
			if err := scan(&org, &n); err != nil {
				return err
			}
			f.acks[org] = n
			return nil
		})
	if err != nil {
		return nil, err
	}
	return f, nil
}
