// Package statistics is the national picture (DOMAIN.md §G, issue 12): counts of modern slavery
// operations, potential victims, NRM decisions, criminal justice outcomes, training coverage and
// guidance acknowledgement, for analysts, with disclosure control applied before anything leaves
// the package. It reads the operations, organisations, training and guidance tables with its own
// SQL and imports no other domain.
//
// Analysts see counts only: no reference, free text or other field of an operation, a victim or
// a suspect is ever selected by these queries; the numeric row ids they read to fold counts
// together never leave the package.
package statistics

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
)

// Service holds the national picture's operations.
type Service struct {
	d         core.Deps
	audit     *core.Audit
	threshold int
}

// New builds the service; threshold is the disclosure threshold (DefaultThreshold when < 2).
func New(d core.Deps, audit *core.Audit, threshold int) *Service {
	if threshold < 2 {
		threshold = DefaultThreshold
	}
	return &Service{d: d, audit: audit, threshold: threshold}
}

// Threshold is the disclosure threshold in force.
func (s *Service) Threshold() int { return s.threshold }

// Levels of a scope.
const (
	LevelNational     = "national"
	LevelRegion       = "region"
	LevelOrganisation = "organisation"
)

// Scope is what an analyst may see: the whole country (programme unit), the forces a ROCU
// works with and the ROCU itself (its coverage is not always one police region: DOMAIN.md §F5),
// or their own organisation (a force or agency). OrgID is the ROCU or the organisation.
type Scope struct {
	Level  string `json:"level"`
	Name   string `json:"name"`
	Region string `json:"region,omitempty"`
	OrgID  int64  `json:"-"`
	// policing is whether the analyst's organisation is a police force, a ROCU or the
	// programme's unit, rather than a partner agency.
	policing bool
}

type org struct {
	ID     int64
	Name   string
	Kind   core.OrgKind
	Region string
	ROCUID *int64 `gorm:"column:rocu_id"`
}

// orgsSQL reads every organisation as org.
const orgsSQL = "SELECT id, name, kind, region, rocu_id FROM organisations ORDER BY name, id"

// object is what the policy is asked about: statistics are OFFICIAL-SENSITIVE.
func object(who core.Actor) policies.Object {
	return policies.Object{Type: "statistics", Org: policies.OrgDomain(who.OrgID), Classification: policies.OfficialSensitive}
}

// MayRead reports whether who may see the national picture at all (the navigation asks it).
func (s *Service) MayRead(ctx context.Context, who core.Actor) bool {
	return s.d.Authz.Can(ctx, who.Subject(), policies.ActRead, object(who)) == nil
}

// MaySee is MayRead with the refusal to show: whether who may see the figures, without reading
// them. Errors: EFORBIDDEN.
func (s *Service) MaySee(ctx context.Context, who core.Actor) error {
	return core.Can(ctx, s.d.Authz, who, policies.ActRead, object(who), "Only analysts can see the national picture")
}

// scope authorizes who and works out their scope. Errors: EFORBIDDEN, EINTERNAL.
func (s *Service) scope(ctx context.Context, who core.Actor) (Scope, []org, error) {
	if err := s.MaySee(ctx, who); err != nil {
		return Scope{}, nil, err
	}
	var orgs []org
	if err := s.d.DB.Conn(ctx).Raw(orgsSQL).Scan(&orgs).Error; err != nil {
		return Scope{}, nil, core.DBError(err)
	}
	i := slices.IndexFunc(orgs, func(o org) bool { return o.ID == who.OrgID })
	if i < 0 {
		return Scope{}, nil, core.Forbidden("Only analysts can see the national picture")
	}
	me := orgs[i]
	switch me.Kind {
	case core.KindProgramme:
		return Scope{Level: LevelNational, Name: "England and Wales", policing: true}, orgs, nil
	case core.KindROCU:
		sc := rocuScope(me)
		sc.policing = true
		return sc, orgs, nil
	}
	return Scope{Level: LevelOrganisation, Name: me.Name, OrgID: me.ID, policing: policing(me.Kind)}, orgs, nil
}

// within reports whether o is inside sc.
func (sc Scope) within(o org) bool {
	switch sc.Level {
	case LevelNational:
		return true
	case LevelRegion:
		return o.ID == sc.OrgID || (o.ROCUID != nil && *o.ROCUID == sc.OrgID)
	}
	return o.ID == sc.OrgID
}

// rocuScope is the scope of a ROCU's analysts: the forces that work with it.
func rocuScope(rocu org) Scope {
	return Scope{Level: LevelRegion, Name: rocu.Name, Region: rocu.Region, OrgID: rocu.ID}
}

// Filter narrows the figures: a period (a quarter, or from and to dates), a region, a force (an
// organisation id) and an exploitation type.
type Filter struct {
	Quarter      string `form:"quarter" json:"quarter,omitempty"` // "2026-Q3"
	From         string `form:"from" json:"from,omitempty"`       // YYYY-MM-DD
	To           string `form:"to" json:"to,omitempty"`           // YYYY-MM-DD
	Region       string `form:"region" json:"region,omitempty"`
	Force        int64  `form:"force" json:"force,omitempty"`
	Exploitation string `form:"exploitation" json:"exploitation,omitempty"`
	// Edition is EditionLawEnforcement or EditionPartner; empty is the default of who asks.
	Edition string `form:"edition" json:"edition,omitempty"`
}

// Period is the span the figures cover, both days included: whole calendar months, ending at
// the latest with the last month that has ended. Note says so when the period asked for was cut
// there.
type Period struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Label string `json:"label"`
	Note  string `json:"note,omitempty"`
}

const dateLayout = "2006-01-02"

// maxQuarters bounds a period: the trend tables have a row per quarter.
const maxQuarters = 20

func quarterStart(t time.Time) time.Time {
	return time.Date(t.Year(), time.Month((int(t.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
}

func quarterLabel(t time.Time) string {
	return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
}

func monthStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// lastComplete is the last day of the last month that has ended at now, in UK time: figures stop
// there, so that a period's figures do not change from one day to the next.
func lastComplete(now time.Time) time.Time {
	return monthStart(now.In(core.London)).AddDate(0, 0, -1)
}

// ParseQuarter reads "2026-Q3" as the first day of the quarter.
func ParseQuarter(q string) (time.Time, bool) {
	y, n, ok := strings.Cut(strings.ToUpper(strings.TrimSpace(q)), "-Q")
	year, err1 := strconv.Atoi(y)
	qn, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || qn < 1 || qn > 4 || year < 2000 || year > 2100 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(qn*3-2), 1, 0, 0, 0, 0, time.UTC), true
}

// resolve checks the filter against the scope: every problem is reported at once. Everything
// that makes figures goes through it.
//
// Periods are whole calendar months, ending at the latest with the last month that has ended:
// the start date counts from the first of its month and the end date to the last of its own. Two
// periods a day apart would otherwise give, by subtraction, that day's counts per force, and a
// default period running to today would do the same from one day to the next. The default
// period is the last four quarters up to the last month that has ended: from the start of the
// quarter three before that month's, to the end of that month. A start date alone runs to that
// same end; an end date alone before the default's start has the default's shape, ending there.
func (s *Service) resolve(f Filter, sc Scope, orgs []org) (Period, time.Time, time.Time, error) {
	var p core.Problems
	last := lastComplete(s.d.Now())
	from, to := quarterStart(last).AddDate(0, -9, 0), last
	switch {
	case f.Quarter != "":
		q, ok := ParseQuarter(f.Quarter)
		if !ok {
			p.Add("quarter", "Enter a quarter like 2026-Q3")
		} else {
			from, to = q, q.AddDate(0, 3, -1)
		}
	case f.From != "" || f.To != "":
		var err error
		if f.From != "" {
			if from, err = time.Parse(dateLayout, f.From); err != nil {
				p.Add("from", "Enter the start date as a date like 2026-04-01")
			}
		}
		if f.To != "" {
			if to, err = time.Parse(dateLayout, f.To); err != nil {
				p.Add("to", "Enter the end date as a date like 2026-06-30")
			}
		}
		switch {
		case p.Len() > 0:
		case f.From == "" && to.Before(from):
			from = quarterStart(to).AddDate(0, -9, 0) // the default's shape, ending at to
		case f.From != "" && f.To != "" && to.Before(from):
			p.Add("to", "The end date must be the same as or after the start date")
		}
	}
	note := ""
	if p.Len() == 0 {
		from, to = monthStart(from), monthStart(to).AddDate(0, 1, -1)
		field, choose := "from", "choose a start date in "+last.Format("January 2006")+" or earlier"
		if f.Quarter != "" {
			field, choose = "quarter", "choose "+quarterLabel(last)+" or an earlier quarter"
		}
		switch {
		case from.After(last):
			p.Add(field, "Figures are available to the end of "+last.Format("January 2006")+" (a month is counted once it has ended): "+choose)
		case to.After(last):
			to = last
			note = fmt.Sprintf("Figures to the end of %s: a month is counted once it has ended.", last.Format("January 2006"))
		}
	}
	if p.Len() == 0 && quarterStart(to).Sub(quarterStart(from)) > time.Duration(maxQuarters*92*24)*time.Hour {
		p.Add("from", fmt.Sprintf("Choose a period of at most %d quarters", maxQuarters))
	}
	if f.Region != "" {
		if sc.Level != LevelNational && !slices.ContainsFunc(orgs, func(o org) bool { return sc.within(o) && o.Region == f.Region }) {
			p.Add("region", "Choose a region in your area")
		} else if !slices.ContainsFunc(orgs, func(o org) bool { return o.Region == f.Region }) {
			p.Add("region", "Choose a region from the list")
		}
	}
	if f.Force != 0 {
		i := slices.IndexFunc(orgs, func(o org) bool { return o.ID == f.Force })
		if i < 0 || !sc.within(orgs[i]) || (f.Region != "" && orgs[i].Region != f.Region) {
			p.Add("force", "Choose a force or agency in your area")
		}
	}
	if f.Force != 0 && f.Edition == EditionPartner {
		p.Add("force", "The partner edition has no force-level figures: choose all forces and agencies, or the law-enforcement edition")
	}
	if f.Exploitation != "" && !slices.Contains(terms.Exploitations(), terms.Exploitation(f.Exploitation)) {
		p.Add("exploitation", "Choose a type of exploitation from the list")
	}
	if err := p.Err(); err != nil {
		return Period{}, time.Time{}, time.Time{}, err
	}
	label := from.Format("January 2006")
	if monthStart(to) != from {
		label += " to " + to.Format("January 2006")
	}
	if f.Quarter != "" {
		label = quarterLabel(from) + " (" + label + ")"
	}
	return Period{From: from.Format(dateLayout), To: to.Format(dateLayout), Label: label, Note: note}, from, to, nil
}

// byName sorts organisations for display.
func byName(orgs []org) {
	sort.SliceStable(orgs, func(i, j int) bool { return orgs[i].Name < orgs[j].Name })
}

func fmtInt(v int64) string { return strconv.FormatInt(v, 10) }

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
