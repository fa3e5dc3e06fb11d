package statistics

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/terms"
)

// Column is a column of a table; Definition names its entry on the definitions page.
type Column struct {
	Label      string `json:"label"`
	Definition string `json:"definition"`
}

// Row is a row of a table: a label and one cell per column. The total row says so.
type Row struct {
	Label string `json:"label"`
	Total bool   `json:"total,omitempty"`
	Cells []Cell `json:"cells"`
}

// Chart kinds.
const (
	ChartBar  = "bar"
	ChartLine = "line"
)

// Table is one breakdown, as a page, a file and the report show it.
type Table struct {
	ID         string   `json:"id"`
	Caption    string   `json:"caption"`
	Definition string   `json:"definition"`
	RowHeading string   `json:"row_heading"`
	Chart      string   `json:"chart"`
	Columns    []Column `json:"columns"`
	Rows       []Row    `json:"rows"`
}

// Suppressed reports whether any cell of the table is suppressed.
func (t Table) Suppressed() bool {
	for _, r := range t.Rows {
		for _, c := range r.Cells {
			if c.Suppressed {
				return true
			}
		}
	}
	return false
}

// Option is a choice of a filter.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Options are the choices the filter form offers in the analyst's scope.
type Options struct {
	Quarters      []string `json:"quarters"`
	Regions       []string `json:"regions"`
	Forces        []Option `json:"forces"`
	Exploitations []Option `json:"exploitations"`
}

// Dashboard is the national picture for one filter, with disclosure control applied.
type Dashboard struct {
	Scope       Scope     `json:"scope"`
	Period      Period    `json:"period"`
	Filter      Filter    `json:"filter"`
	Threshold   int       `json:"threshold"`
	Tables      []Table   `json:"tables"`
	Options     Options   `json:"options"`
	GeneratedAt time.Time `json:"generated_at"`
	// Edition is the edition the figures are in; Editions those the analyst may choose from.
	Edition  string   `json:"edition"`
	Editions []Option `json:"editions"`
}

// Table returns the table with id.
func (d Dashboard) Table(id string) (Table, bool) {
	for _, t := range d.Tables {
		if t.ID == id {
			return t, true
		}
	}
	return Table{}, false
}

// Dashboard computes the figures of the filter in who's scope, suppressed, in the edition the
// filter names (by default the law-enforcement edition where who may read it, else the partner
// edition). Who: analysts (the policy decides, and which edition). Errors: EFORBIDDEN (not an
// analyst, or an edition who may not read), EINVALID (an unknown edition; every filter problem
// at once), EINTERNAL.
func (s *Service) Dashboard(ctx context.Context, who core.Actor, f Filter) (Dashboard, error) {
	sc, orgs, err := s.scope(ctx, who)
	if err != nil {
		return Dashboard{}, err
	}
	var editions []Option
	if f.Edition, editions, err = s.edition(ctx, who, sc, f.Edition); err != nil {
		return Dashboard{}, err
	}
	period, from, to, err := s.resolve(f, sc, orgs)
	if err != nil {
		return Dashboard{}, err
	}
	d, err := s.build(ctx, sc, orgs, f, period, from, to)
	d.Editions = editions
	return d, err
}

// operational kinds own operations: their rows are shown even when empty.
func operational(k core.OrgKind) bool {
	return k == core.KindPoliceForce || k == core.KindAgency || k == core.KindROCU
}

// build makes the dashboard of the filter in sc, in the filter's edition (f.Edition, resolved).
func (s *Service) build(ctx context.Context, sc Scope, orgs []org, f Filter, period Period, from, to time.Time) (Dashboard, error) {
	b, err := s.tables(ctx, sc, orgs, f, from, to)
	if err != nil {
		return Dashboard{}, err
	}
	partner := f.Edition == EditionPartner
	if partner {
		b.partner(s.threshold)
	}
	return Dashboard{Scope: sc, Period: period, Filter: f, Threshold: s.threshold, Tables: b.finish(partner), GeneratedAt: s.d.Now(), Options: options(sc, orgs, s.d.Now()),
		Edition: f.Edition}, nil
}

// tables computes the figures of the filter in sc and suppresses them. A region's, a force's
// figures are rows of the national tables of the same period and type of exploitation, and an
// analyst who sees both can subtract: the sheet of any narrower view is therefore built over the
// national one, suppressed first and fixed, with each organisation's row the national row
// itself, so that what the view publishes is checked against what the national picture does.
func (s *Service) tables(ctx context.Context, sc Scope, orgs []org, f Filter, from, to time.Time) (*builder, error) {
	// National totals count a covert operation that is not closed; any figure of a region or an
	// organisation never does.
	national := sc.Level == LevelNational && f.Region == "" && f.Force == 0
	b := &builder{}
	if !national {
		whole, err := s.tables(ctx, Scope{Level: LevelNational}, orgs, Filter{Exploitation: f.Exploitation}, from, to)
		if err != nil {
			return nil, err
		}
		whole.sh.freeze()
		b = &builder{sh: whole.sh, inherited: whole.rowCells, whole: whole, force: maps.Clone(whole.force)}
	}
	var view []org
	for _, o := range orgs {
		if sc.within(o) && (f.Region == "" || o.Region == f.Region) && (f.Force == 0 || o.ID == f.Force) {
			view = append(view, o)
		}
	}
	q := queries{db: s.d.DB, national: national, exploitation: f.Exploitation,
		from: from.Format(dateLayout), toNext: to.AddDate(0, 0, 1).Format(dateLayout)}
	for _, o := range view {
		q.orgIDs = append(q.orgIDs, o.ID)
	}
	facts, err := q.run(ctx)
	if err != nil {
		return nil, err
	}
	var rows []org
	for _, o := range view {
		if operational(o.Kind) || facts.hasOrg(o.ID) {
			rows = append(rows, o)
		}
	}
	byName(rows)
	opsCols := []Column{{"Live at period end", "operations-live"}, {"New in period", "operations-new"}, {"Closed in period", "operations-closed"}}
	vicCols := []Column{{"Potential victims", "victims"}, {"NRM referrals", "nrm-referrals"}, {"Duty to Notify reports", "duty-to-notify"}}
	cjCols := []Column{{"Arrests", "arrests"}, {"Charges", "charges"}, {"Convictions", "convictions"}}
	opsT := b.orgFamily("operations", "Operations", opsCols, facts.ops, facts.opsAtStart, rows, national, "operations")
	vicT := b.orgFamily("victims", "Potential victims, NRM referrals and Duty to Notify reports", vicCols, facts.victims, nil, rows, national, "victims")
	cjT := b.orgFamily("justice", "Arrests, charges and convictions", cjCols, facts.justice, nil, rows, national, "arrests")

	// Operations by exploitation type: an operation may have several types, so the rows do not
	// add up to the total and are not a line.
	ex := b.table(Table{ID: "operations-by-exploitation", Caption: "Operations by type of exploitation", Definition: "exploitation", RowHeading: "Type of exploitation", Chart: ChartBar, Columns: opsCols})
	for _, e := range terms.Exploitations() {
		v := facts.opsByType[string(e)]
		ex.row(e.Label(), false, b.cells(v[0], v[1], v[2])...)
	}
	ex.row("All operations (an operation may have several types)", true, opsT...)

	// The trend over quarters: new and closed operations add up to the period's totals, and the
	// operations live at a quarter's end are those live at the previous one's (the period's start,
	// which the dashboard of the period before publishes) plus the new less the closed.
	qs := quarters(from, to)
	tr := b.table(Table{ID: "operations-by-quarter", Caption: "Operations by quarter", Definition: "quarters", RowHeading: "Quarter", Chart: ChartLine, Columns: opsCols})
	var newQ, closedQ []int
	live := b.sh.knownCell(sum(facts.opsAtStart))
	for _, qq := range qs {
		n, c := facts.months["new"].between(qq.start, qq.end), facts.months["closed"].between(qq.start, qq.end)
		cells := b.cells(facts.liveAt(qq.end), n, c)
		b.sh.flow(cells[0], live, cells[1], cells[2])
		live = cells[0]
		newQ, closedQ = append(newQ, cells[1]), append(closedQ, cells[2])
		tr.row(qq.label, false, cells...)
	}
	b.sh.sum(opsT[0], live) // the last quarter ends with the period
	tr.row("Whole period", true, opsT...)
	b.sh.sum(opsT[1], newQ...)
	b.sh.sum(opsT[2], closedQ...)

	// Potential victims: each one-way breakdown adds up to the total.
	one := []Column{{"Potential victims", "victims"}}
	victimBreakdown(b, Table{ID: "victims-by-age", Caption: "Potential victims by age band", Definition: "age", RowHeading: "Age band", Chart: ChartBar, Columns: one},
		terms.AgeBands(), facts.age, vicT[0])
	victimBreakdown(b, Table{ID: "victims-by-sex", Caption: "Potential victims by sex", Definition: "sex", RowHeading: "Sex", Chart: ChartBar, Columns: one},
		terms.Sexes(), facts.sex, vicT[0])

	nat := b.table(Table{ID: "victims-by-nationality", Caption: "Potential victims by nationality (the ten most common, then all others)", Definition: "nationality", RowHeading: "Nationality", Chart: ChartBar, Columns: one})
	var parts []int
	top, other, unknown := facts.topNationalities(10)
	for _, kv := range top {
		c := b.sh.cell(kv.n)
		parts = append(parts, c)
		nat.row(countryName(kv.code), false, c)
	}
	for _, r := range []struct {
		label string
		n     int64
	}{{"Other nationalities", other}, {"Not known", unknown}} {
		c := b.sh.cell(r.n)
		parts = append(parts, c)
		nat.row(r.label, false, c)
	}
	nat.row("All potential victims", true, vicT[0])
	b.sh.sum(vicT[0], parts...)

	vex := b.table(Table{ID: "victims-by-exploitation", Caption: "Potential victims by type of exploitation", Definition: "exploitation", RowHeading: "Type of exploitation", Chart: ChartBar, Columns: one})
	for _, e := range terms.Exploitations() {
		vex.row(e.Label(), false, b.sh.cell(facts.victimsByType[string(e)]))
	}
	vex.row("All potential victims (a person may have several types)", true, vicT[0])

	// NRM decisions.
	nrm := b.table(Table{ID: "nrm-decisions", Caption: "NRM referrals and decisions", Definition: "nrm", RowHeading: "Measure", Chart: ChartBar, Columns: []Column{{"Number", "nrm"}}})
	d := facts.decisions
	nrm.row("NRM referrals", false, vicT[1])
	rgP, rgN, cgP, cgN := b.sh.cell(d.rgPos), b.sh.cell(d.rgNeg), b.sh.cell(d.cgPos), b.sh.cell(d.cgNeg)
	rgT, cgT := b.sh.cell(d.rgPos+d.rgNeg), b.sh.cell(d.cgPos+d.cgNeg)
	b.sh.sum(rgT, rgP, rgN)
	b.sh.sum(cgT, cgP, cgN)
	nrm.row("Reasonable grounds decisions", false, rgT)
	nrm.row("Reasonable grounds: positive", false, rgP)
	nrm.row("Reasonable grounds: negative", false, rgN)
	nrm.row("Conclusive grounds decisions", false, cgT)
	nrm.row("Conclusive grounds: positive", false, cgP)
	nrm.row("Conclusive grounds: negative", false, cgN)
	nrm.row("Duty to Notify reports", false, vicT[2])

	// Medians: suppressed when fewer than the threshold items lie behind them.
	med := b.table(Table{ID: "median-days", Caption: "Median days between events", Definition: "medians", RowHeading: "Between", Chart: ChartBar, Columns: []Column{{"Median days", "medians"}}})
	for _, m := range []struct{ key, label string }{
		{"rg", "NRM referral and reasonable grounds decision"},
		{"cg", "Reasonable grounds and conclusive grounds decisions"},
		{"charge", "NRM referral and charge"},
		{"outcome", "NRM referral and outcome"},
	} {
		v, n := facts.medians[m.key].median()
		med.row(m.label, false, b.sh.medianCell(v, n))
	}

	// Outcomes of charges and orders.
	out := b.table(Table{ID: "charge-outcomes", Caption: "Outcomes of charges decided in the period", Definition: "outcomes", RowHeading: "Outcome", Chart: ChartBar, Columns: []Column{{"Charges", "outcomes"}}})
	var all, conv []int
	var total int64
	for _, o := range terms.Outcomes() {
		n := facts.outcomes[string(o)]
		total += n
		c := b.sh.cell(n)
		all = append(all, c)
		if o.Convicted() {
			conv = append(conv, c)
		}
		out.row(o.Label(), false, c)
	}
	outT := b.sh.cell(total)
	b.sh.sum(outT, all...)
	b.sh.sum(cjT[2], conv...)
	out.row("All outcomes", true, outT)

	ord := b.table(Table{ID: "orders", Caption: "Orders made on conviction in the period", Definition: "orders", RowHeading: "Order", Chart: ChartBar, Columns: []Column{{"People convicted", "orders"}}})
	ord.row("Slavery and trafficking prevention orders", false, b.sh.cell(facts.orders[0]))
	ord.row("Reparation orders", false, b.sh.cell(facts.orders[1]))
	ord.row("Confiscation orders", false, b.sh.cell(facts.orders[2]))

	// Victims and criminal justice by quarter.
	vq := b.table(Table{ID: "justice-by-quarter", Caption: "NRM referrals, arrests and charges by quarter", Definition: "quarters", RowHeading: "Quarter", Chart: ChartLine,
		Columns: []Column{{"NRM referrals", "nrm-referrals"}, {"Arrests", "arrests"}, {"Charges", "charges"}}})
	var refQ, arrQ, chQ []int
	for _, qq := range qs {
		cells := b.cells(facts.months["referral"].between(qq.start, qq.end), facts.months["arrest"].between(qq.start, qq.end), facts.months["charge"].between(qq.start, qq.end))
		refQ, arrQ, chQ = append(refQ, cells[0]), append(arrQ, cells[1]), append(chQ, cells[2])
		vq.row(qq.label, false, cells...)
	}
	vq.row("Whole period", true, vicT[1], cjT[0], cjT[1])
	b.sh.sum(vicT[1], refQ...)
	b.sh.sum(cjT[0], arrQ...)
	b.sh.sum(cjT[1], chQ...)

	// Training coverage and guidance acknowledgement, per organisation.
	var courseCols []Column
	for _, c := range facts.courses {
		courseCols = append(courseCols, Column{Label: c.Code + ": " + c.Title, Definition: "training"})
	}
	if len(courseCols) > 0 {
		tc := map[int64][]int64{}
		for _, o := range rows {
			v := make([]int64, len(facts.courses))
			for i, c := range facts.courses {
				v[i] = facts.certificates[[2]int64{o.ID, c.ID}]
			}
			tc[o.ID] = v
		}
		b.orgTable("training", "People holding a current certificate, by course", "training", courseCols, tc, rows)
	}
	gd := map[int64][]int64{}
	for _, o := range rows {
		gd[o.ID] = []int64{facts.people[o.ID], facts.acks[o.ID]}
	}
	b.orgTable("guidance", "Acknowledgement of current mandatory guidance", "guidance", []Column{{"People with an account", "people"}, {"Acknowledgements of current mandatory guidance", "guidance"}}, gd, rows)

	b.sh.suppress(s.threshold)
	return b, nil
}

func sum(m map[int64]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// builder collects tables whose cells live in one sheet.
type builder struct {
	sh     sheet
	drafts []*draft
	// rowCells are the cells of each organisation's row, by family; inherited are those of the
	// national sheet this one is built over.
	rowCells, inherited map[string]map[int64][]int
	// whole is the national builder this one is built over (nil for the national picture); force
	// are the cells of the rows of police forces, ROCUs and the programme's unit, theirs
	// included, which the partner edition never gives away.
	whole *builder
	force map[int]bool
	// orgCells are the cells of each organisation's rows in this view, inherited or new, by
	// family (operations, victims, justice, training, guidance).
	orgCells map[string]map[int64][]int
}

// orgRow is the cells of organisation o's row of the family id: the national sheet's row when
// this sheet is built over it and holds the same figures, new cells otherwise.
func (b *builder) orgRow(id string, g org, vs []int64) []int {
	o := g.ID
	if b.orgCells == nil {
		b.orgCells = map[string]map[int64][]int{}
	}
	if b.orgCells[id] == nil {
		b.orgCells[id] = map[int64][]int{}
	}
	if cs, ok := b.inherited[id][o]; ok && b.sh.hold(cs, vs) {
		b.orgCells[id][o] = cs
		return cs
	}
	cs := b.cells(vs...)
	b.orgCells[id][o] = cs
	b.forceLevel(g, cs...)
	if b.rowCells == nil {
		b.rowCells = map[string]map[int64][]int{}
	}
	if b.rowCells[id] == nil {
		b.rowCells[id] = map[int64][]int{}
	}
	b.rowCells[id][o] = cs
	return cs
}

type draft struct {
	t     Table
	cells [][]int
	total []bool
	org   []bool // an organisation's row: not in the partner edition
	label []string
	// partner is the caption and row heading of the table in the partner edition, when its rows
	// are organisations' (only its totals are left).
	partner [2]string
}

func (b *builder) table(t Table) *draft {
	d := &draft{t: t}
	b.drafts = append(b.drafts, d)
	return d
}

// victimBreakdown adds a one-way breakdown of the potential victims over a vocabulary: a row of
// each value's count in counts, then the total row, which those rows add up to.
func victimBreakdown[V interface {
	~string
	Label() string
}](b *builder, t Table, values []V, counts map[string]int64, total int) {
	d := b.table(t)
	var parts []int
	for _, v := range values {
		c := b.sh.cell(counts[string(v)])
		parts = append(parts, c)
		d.row(v.Label(), false, c)
	}
	d.row("All potential victims", true, total)
	b.sh.sum(total, parts...)
}

func (d *draft) row(label string, total bool, cells ...int) {
	d.label = append(d.label, label)
	d.total = append(d.total, total)
	d.org = append(d.org, false)
	d.cells = append(d.cells, append([]int(nil), cells...))
}

// orgRow adds organisation o's row.
func (d *draft) orgRow(o org, cells ...int) {
	d.row(o.Name, false, cells...)
	d.org[len(d.org)-1] = true
}

func (b *builder) cells(vs ...int64) []int {
	out := make([]int, len(vs))
	for i, v := range vs {
		out[i] = b.sh.cell(v)
	}
	return out
}

// finish publishes the tables: in the partner edition, without the organisations' rows.
func (b *builder) finish(partner bool) []Table {
	var out []Table
	for _, d := range b.drafts {
		t := d.t
		if partner && d.partner[0] != "" {
			t.Caption, t.RowHeading = d.partner[0], d.partner[1]
		}
		for i, cells := range d.cells {
			if partner && d.org[i] {
				continue
			}
			r := Row{Label: d.label[i], Total: d.total[i], Cells: make([]Cell, len(cells))}
			for j, c := range cells {
				r.Cells[j] = b.sh.published(c)
			}
			t.Rows = append(t.Rows, r)
		}
		out = append(out, t)
	}
	return out
}

// heldLabel is the row of figures not attributed to any organisation.
const heldLabel = "Not attributed: covert operations not yet closed"

// orgFamily adds the tables of one family by organisation (and, nationally, by region and by
// organisation kind), with every line between them, and returns the total cells. For the
// operations, atStart is how many were live at the period's start, by organisation: every row's
// live at the end is that plus its new less its closed (nil for the other families).
func (b *builder) orgFamily(id, noun string, cols []Column, values map[int64][]int64, atStart map[int64]int64, rows []org, national bool, def string) []int {
	n := len(cols)
	get := func(orgID int64) []int64 {
		if v, ok := values[orgID]; ok {
			return v
		}
		return make([]int64, n)
	}
	totals := make([]int64, n)
	for _, v := range values {
		for i := range v {
			totals[i] += v[i]
		}
	}
	flow := func(cells []int, keys ...int64) int {
		if atStart == nil {
			return -1
		}
		var n int64
		for _, k := range keys {
			n += atStart[k]
		}
		start := b.sh.knownCell(n)
		b.sh.flow(cells[0], start, cells[1], cells[2])
		return start
	}
	T := b.cells(totals...)
	flow(T, slices.Collect(maps.Keys(atStart))...)
	force := map[int64][]int{}
	ft := b.table(Table{ID: id + "-by-force", Caption: noun + " by force or agency", Definition: def, RowHeading: "Force or agency", Chart: ChartBar, Columns: cols})
	ft.partner = [2]string{noun + ": all forces and agencies together", "Figures"}
	for _, o := range rows {
		force[o.ID] = b.orgRow(id, o, get(o.ID))
		if !slices.Equal(force[o.ID], b.inherited[id][o.ID]) {
			if start := flow(force[o.ID], o.ID); start >= 0 { // new cells: the national row's lines are not theirs
				b.forceLevel(o, start)
			}
		}
		ft.orgRow(o, force[o.ID]...)
	}
	var held []int
	if national {
		held = b.cells(get(heldKey)...)
		flow(held, heldKey)
		ft.row(heldLabel, false, held...)
	}
	ft.row("Total", true, T...)
	b.lines(T, rows, force, held)
	if !national {
		return T
	}
	for _, g := range []struct {
		id, caption, heading string
		key                  func(org) string
	}{
		{"-by-region", noun + " by region", "Region", func(o org) string { return o.Region }},
		{"-by-kind", noun + " by kind of organisation", "Kind of organisation", func(o org) string { return core.OrgKind(o.Kind).Label() }},
	} {
		groups := map[string][]org{}
		var names []string
		for _, o := range rows {
			k := g.key(o)
			if _, ok := groups[k]; !ok {
				names = append(names, k)
			}
			groups[k] = append(groups[k], o)
		}
		sort.Strings(names)
		gt := b.table(Table{ID: id + g.id, Caption: g.caption, Definition: def, RowHeading: g.heading, Chart: ChartBar, Columns: cols})
		gcells := map[int64][]int{}
		var grows []org
		for i, name := range names {
			sum := make([]int64, n)
			var keys []int64
			for _, o := range groups[name] {
				for c, v := range get(o.ID) {
					sum[c] += v
				}
				keys = append(keys, o.ID)
			}
			cells := b.cells(sum...)
			flow(cells, keys...)
			b.lines(cells, groups[name], force, nil)
			gt.row(name, false, cells...)
			key := int64(-1 - i)
			gcells[key] = cells
			grows = append(grows, org{ID: key})
		}
		gt.row(heldLabel, false, held...)
		gt.row("Total", true, T...)
		b.lines(T, grows, gcells, held)
	}
	return T
}

// orgTable is a table by organisation with a total row: each column adds up.
func (b *builder) orgTable(id, caption, def string, cols []Column, values map[int64][]int64, rows []org) {
	t := b.table(Table{ID: id + "-by-force", Caption: caption, Definition: def, RowHeading: "Force or agency", Chart: ChartBar, Columns: cols})
	t.partner = [2]string{caption + ": all forces and agencies together", "Figures"}
	totals := make([]int64, len(cols))
	cells := map[int64][]int{}
	for _, o := range rows {
		v := values[o.ID]
		for i := range v {
			totals[i] += v[i]
		}
		cells[o.ID] = b.orgRow(id, o, v)
		t.orgRow(o, cells[o.ID]...)
	}
	T := b.cells(totals...)
	t.row("Total", true, T...)
	b.lines(T, rows, cells, nil)
}

// lines records, per column, that total is the sum of the rows' cells (and the held cells).
func (b *builder) lines(total []int, rows []org, cells map[int64][]int, held []int) {
	for c := range total {
		var parts []int
		for _, o := range rows {
			parts = append(parts, cells[o.ID][c])
		}
		if held != nil {
			parts = append(parts, held[c])
		}
		b.sh.sum(total[c], parts...)
	}
}

type quarter struct {
	label      string
	start, end time.Time // clipped to the period
}

// quarters lists the quarters of [from, to], each clipped to the period.
func quarters(from, to time.Time) []quarter {
	var out []quarter
	for q := quarterStart(from); !q.After(to); q = q.AddDate(0, 3, 0) {
		s, e := q, q.AddDate(0, 3, -1)
		if s.Before(from) {
			s = from
		}
		if e.After(to) {
			e = to
		}
		out = append(out, quarter{label: quarterLabel(q), start: s, end: e})
	}
	return out
}

// options are the filter's choices in the scope: the quarters are the eight up to the one of
// the last month that has ended at now.
func options(sc Scope, orgs []org, now time.Time) Options {
	o := Options{Regions: []string{}, Forces: []Option{}}
	q := quarterStart(lastComplete(now))
	for i := 0; i < 8; i++ {
		o.Quarters = append(o.Quarters, quarterLabel(q))
		q = q.AddDate(0, -3, 0)
	}
	seen := map[string]bool{}
	for _, g := range orgs {
		if !operational(g.Kind) || !sc.within(g) {
			continue
		}
		o.Forces = append(o.Forces, Option{Value: fmt.Sprint(g.ID), Label: g.Name})
		if g.Region != "" && !seen[g.Region] {
			seen[g.Region] = true
			o.Regions = append(o.Regions, g.Region)
		}
	}
	sort.Strings(o.Regions)
	for _, e := range terms.Exploitations() {
		o.Exploitations = append(o.Exploitations, Option{Value: string(e), Label: e.Label()})
	}
	return o
}

// countryName is a nationality as tables show it: the ISO 3166 code, upper case.
func countryName(code string) string {
	if name, ok := countries[strings.ToUpper(code)]; ok {
		return name
	}
	return strings.ToUpper(code)
}

// countries names the nationalities most often recorded; any other code shows as itself.
var countries = map[string]string{
	"GB": "British", "AL": "Albanian", "VN": "Vietnamese", "ER": "Eritrean", "SD": "Sudanese", "RO": "Romanian",
	"IN": "Indian", "CN": "Chinese", "PL": "Polish", "NG": "Nigerian", "AF": "Afghan", "IR": "Iranian", "IQ": "Iraqi",
	"PK": "Pakistani", "BG": "Bulgarian", "LT": "Lithuanian", "SK": "Slovak", "CZ": "Czech", "UA": "Ukrainian",
	"ET": "Ethiopian", "EG": "Egyptian", "KW": "Kuwaiti", "SY": "Syrian", "PH": "Filipino", "BD": "Bangladeshi",
	"GH": "Ghanaian", "HU": "Hungarian", "LV": "Latvian", "MA": "Moroccan", "TR": "Turkish",
}

// FilterOptions are the choices of the filter form in who's scope, for a form shown again with
// its errors. Who: analysts. Errors: EFORBIDDEN, EINTERNAL.
func (s *Service) FilterOptions(ctx context.Context, who core.Actor) (Options, error) {
	sc, orgs, err := s.scope(ctx, who)
	if err != nil {
		return Options{}, err
	}
	return options(sc, orgs, s.d.Now()), nil
}
