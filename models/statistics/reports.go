package statistics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// Report is a stored national picture report: a PDF for chief officers covering one month.
type Report struct {
	ID        int64     `json:"id"`
	Month     string    `json:"month"` // YYYY-MM
	Scope     string    `json:"scope"`
	Origin    string    `json:"origin"`  // monthly or on_demand
	Edition   string    `json:"edition"` // law_enforcement or partner
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
}

// EditionLabel is the report's edition as pages show it.
func (r Report) EditionLabel() string { return EditionLabel(r.Edition) }

// Report origins.
const (
	OriginMonthly  = "monthly"
	OriginOnDemand = "on_demand"
)

type reportRow struct {
	ID        int64
	Month     string
	ScopeKey  string
	ScopeName string
	Origin    string
	Edition   string
	BlobID    int64
	CreatedBy *int64
	CreatedAt time.Time
}

func (reportRow) TableName() string { return "statistics_reports" }

// ReportList is the reports in an analyst's scope, newest first, and what they may do.
type ReportList struct {
	Reports  []Report     `json:"reports"`
	Months   []string     `json:"months"`   // months a report can be made for
	Editions []Option     `json:"editions"` // editions the analyst may read and make, the default first
	Actions  core.Actions `json:"actions"`
}

func (sc Scope) key() string {
	switch sc.Level {
	case LevelNational:
		return "national"
	case LevelRegion:
		return "rocu:" + strconv.FormatInt(sc.OrgID, 10)
	}
	return "org:" + strconv.FormatInt(sc.OrgID, 10)
}

// keys are the scope keys of reports sc may read: its own, and those of the areas inside it.
func (sc Scope) keys(orgs []org) []string {
	if sc.Level == LevelNational {
		return nil // every report
	}
	out := []string{sc.key()}
	if sc.Level == LevelRegion {
		for _, o := range orgs {
			if sc.within(o) {
				out = append(out, "org:"+strconv.FormatInt(o.ID, 10))
			}
		}
	}
	return out
}

// readable are the editions of reports who may read: the one asked for, or every one they may.
// Errors: EINVALID (no such edition), EFORBIDDEN (one they may not read).
func (s *Service) readable(ctx context.Context, who core.Actor, sc Scope, asked string) ([]string, []Option, error) {
	ed, may, err := s.edition(ctx, who, sc, asked)
	if err != nil {
		return nil, nil, err
	}
	if asked != "" {
		return []string{ed}, may, nil
	}
	var out []string
	for _, o := range may {
		out = append(out, o.Value)
	}
	return out, may, nil
}

// Reports lists the reports in who's scope, of the edition asked for or ("") of every edition
// they may read. Who: analysts. Errors: EFORBIDDEN, EINVALID (no such edition), EINTERNAL.
func (s *Service) Reports(ctx context.Context, who core.Actor, edition string) (ReportList, error) {
	sc, orgs, err := s.scope(ctx, who)
	if err != nil {
		return ReportList{}, err
	}
	eds, may, err := s.readable(ctx, who, sc, edition)
	if err != nil {
		return ReportList{}, err
	}
	q := s.d.DB.Conn(ctx).Table("statistics_reports r").Select("r.id, r.month, r.scope_name, r.origin, r.edition, r.created_at, b.size").
		Joins("JOIN blobs b ON b.id = r.blob_id").Where("r.edition IN ?", eds).Order("r.month DESC, r.id DESC").Limit(200)
	if keys := sc.keys(orgs); keys != nil {
		q = q.Where("r.scope_key IN ?", keys)
	}
	rows, err := q.Rows()
	if err != nil {
		return ReportList{}, core.DBError(err)
	}
	defer rows.Close()
	out := ReportList{Reports: []Report{}, Editions: may}
	for rows.Next() {
		var r Report
		if err := rows.Scan(&r.ID, &r.Month, &r.Scope, &r.Origin, &r.Edition, &r.CreatedAt, &r.Size); err != nil {
			return ReportList{}, core.DBError(err)
		}
		out.Reports = append(out.Reports, r)
	}
	if err := rows.Err(); err != nil {
		return ReportList{}, core.DBError(err)
	}
	out.Actions.Create = s.d.Authz.Can(ctx, who.Subject(), policies.ActReport, object(who)) == nil
	m := monthStart(lastComplete(s.d.Now()))
	for i := 0; i < 12; i++ {
		out.Months = append(out.Months, m.Format("2006-01"))
		m = m.AddDate(0, -1, 0)
	}
	return out, nil
}

// CreateReport makes the report of month (YYYY-MM) for who's scope now, in the edition asked
// for ("" for who's default, as Dashboard), and stores it. Who: analysts (statistics report, and
// the policy decides which edition). Errors: EFORBIDDEN, EINVALID, EUNAVAILABLE, EINTERNAL.
func (s *Service) CreateReport(ctx context.Context, who core.Actor, month, edition string) (Report, error) {
	sc, orgs, err := s.scope(ctx, who)
	if err != nil {
		return Report{}, err
	}
	if err := core.Can(ctx, s.d.Authz, who, policies.ActReport, object(who), "You cannot make reports"); err != nil {
		return Report{}, err
	}
	if edition, _, err = s.edition(ctx, who, sc, edition); err != nil {
		return Report{}, err
	}
	start, err := time.Parse("2006-01", strings.TrimSpace(month))
	last := lastComplete(s.d.Now())
	if err != nil || start.After(last) || start.Year() < 2000 {
		return Report{}, core.Invalid("month", "Choose a month that has ended, like "+last.Format("2006-01")+": a month is counted once it has ended")
	}
	return s.makeReport(ctx, &who, sc, orgs, start, OriginOnDemand, edition)
}

// makeReport builds, stores and records the report of the month starting at start for sc. The
// month goes through resolve like any dashboard's period. Errors: EINVALID (a month that has
// not ended), and those of storing it.
func (s *Service) makeReport(ctx context.Context, who *core.Actor, sc Scope, orgs []org, start time.Time, origin, edition string) (Report, error) {
	f := Filter{From: start.Format(dateLayout), To: start.AddDate(0, 1, -1).Format(dateLayout), Edition: edition}
	period, from, to, err := s.resolve(f, sc, orgs)
	if err != nil {
		return Report{}, err
	}
	d, err := s.build(ctx, sc, orgs, f, period, from, to)
	if err != nil {
		return Report{}, err
	}
	var buf bytes.Buffer
	if err := d.WritePDF(&buf); err != nil {
		return Report{}, core.Internal(err)
	}
	pending, err := core.PutBlob(ctx, s.d, who, core.Upload{Name: "national-picture.pdf", Body: &buf},
		core.FileRules{What: "report", Limit: 64 << 20, Allowed: []string{"application/pdf"}})
	if err != nil {
		return Report{}, err
	}
	row := reportRow{Month: start.Format("2006-01"), ScopeKey: sc.key(), ScopeName: sc.Name, Origin: origin, Edition: edition, CreatedAt: s.d.Now()}
	if who != nil {
		row.CreatedBy = &who.UserID
	}
	var size int64
	err = s.d.DB.InTx(ctx, func(ctx context.Context) error {
		b, err := pending.Record(ctx)
		if err != nil {
			return err
		}
		row.BlobID, size = b.ID, b.Size
		if err := core.DBError(s.d.DB.Conn(ctx).Create(&row).Error); err != nil {
			return err
		}
		return s.audit.Record(ctx, who, core.Event{Action: "statistics.report", ObjectType: "statistics_report", ObjectID: core.IDString(row.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"month": row.Month, "scope": row.ScopeKey, "origin": origin, "edition": edition}})
	})
	if err != nil {
		pending.Discard(ctx)
		return Report{}, err
	}
	return Report{ID: row.ID, Month: row.Month, Scope: row.ScopeName, Origin: origin, Edition: edition, Size: size, CreatedAt: row.CreatedAt}, nil
}

// OpenReport opens a stored report for download, and audits it with its edition. edition, when
// not "", is the edition the caller expects: a report of another is not found. Who: analysts
// whose scope covers the report and who may read its edition; any report outside the scope is
// not found. Errors: ENOTFOUND, EFORBIDDEN (an edition who may not read), EINVALID (no such
// edition), EINTEGRITY, EUNAVAILABLE, EINTERNAL.
func (s *Service) OpenReport(ctx context.Context, who core.Actor, id int64, edition string) (core.File, error) {
	sc, orgs, err := s.scope(ctx, who)
	if err != nil {
		return core.File{}, err
	}
	eds, _, err := s.readable(ctx, who, sc, edition)
	if err != nil {
		return core.File{}, err
	}
	var row reportRow
	q := s.d.DB.Conn(ctx).Where("id = ?", id)
	if edition != "" {
		q = q.Where("edition = ?", edition)
	}
	if keys := sc.keys(orgs); keys != nil {
		q = q.Where("scope_key IN ?", keys)
	}
	if err := q.Take(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return core.File{}, core.NotFound("Report not found")
		}
		return core.File{}, core.DBError(err)
	}
	if !slices.Contains(eds, row.Edition) {
		return core.File{}, core.Forbidden("Your organisation receives the partner edition of the national picture, which has no force-level figures")
	}
	b, err := core.LoadBlob(ctx, s.d, row.BlobID)
	if err != nil {
		return core.File{}, err
	}
	if err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		return s.audit.Record(ctx, &who, core.Event{Action: "statistics.report_download", ObjectType: "statistics_report", ObjectID: core.IDString(row.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"edition": row.Edition}})
	}); err != nil {
		return core.File{}, err
	}
	name := fmt.Sprintf("msphub-national-picture-%s-%s-%s.pdf", editionSlug(row.Edition), row.Month, slug(row.ScopeName))
	return core.OpenBlob(ctx, s.d, b, name)
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// JobMonthlyReports names the job that makes the monthly reports.
const JobMonthlyReports = "statistics-monthly-reports"

// Jobs are the national picture's background jobs.
func (s *Service) Jobs() []core.Job {
	return []core.Job{{Name: JobMonthlyReports, Every: time.Hour, Run: s.MonthlyReports}}
}

// MonthlyReports makes, from the first of each month, the reports of the month before: the
// national one and one per region (each ROCU's), each in both editions. It makes only those
// missing, so it is safe to run again and on several replicas (the unique index keeps one per
// month, scope and edition). Before any operation is recorded it makes none.
func (s *Service) MonthlyReports(ctx context.Context) (string, error) {
	now := s.d.Now().In(core.London)
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	month := start.Format("2006-01")
	// Until the first operation is recorded there is no picture to report.
	var any []int64
	if err := s.d.DB.Conn(ctx).Raw("SELECT id FROM operations LIMIT 1").Scan(&any).Error; err != nil {
		return "", core.DBError(err)
	}
	if len(any) == 0 {
		return "no operations recorded yet: no reports made", nil
	}
	var orgs []org
	if err := s.d.DB.Conn(ctx).Raw(orgsSQL).Scan(&orgs).Error; err != nil {
		return "", core.DBError(err)
	}
	scopes := []Scope{{Level: LevelNational, Name: "England and Wales"}}
	for _, o := range orgs {
		if o.Kind == core.KindROCU {
			scopes = append(scopes, rocuScope(o))
		}
	}
	var done []struct{ ScopeKey, Edition string }
	if err := s.d.DB.Conn(ctx).Raw("SELECT scope_key, edition FROM statistics_reports WHERE month = ? AND origin = ?", month, OriginMonthly).Scan(&done).Error; err != nil {
		return "", core.DBError(err)
	}
	var have []string
	for _, r := range done {
		have = append(have, r.ScopeKey+" "+r.Edition)
	}
	made := 0
	for _, sc := range scopes {
		for _, edition := range Editions() {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			if contains(have, sc.key()+" "+edition) {
				continue
			}
			_, err := s.makeReport(ctx, nil, sc, orgs, start, OriginMonthly, edition)
			if err != nil && core.ErrorCode(err) != core.ECONFLICT && !isUnique(err) {
				return "", err
			}
			if err == nil {
				made++
			}
		}
	}
	return fmt.Sprintf("%s of %s made", core.Plural(int64(made), "report", "reports"), month), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// isUnique reports whether err is a unique violation: another replica made the report first.
func isUnique(err error) bool {
	var e *core.Error
	if errors.As(err, &e) && e.Code == core.ECONFLICT {
		return true
	}
	msg := strings.ToLower(fmt.Sprint(errors.Unwrap(err)))
	return strings.Contains(msg, "unique") || strings.Contains(msg, "duplicate key")
}

// WritePDF writes the dashboard as the national picture report: A4 landscape, every table, the
// marking at the head and foot of every page, and the disclosure rule.
func (d Dashboard) WritePDF(w *bytes.Buffer) error {
	p := fpdf.New("L", "mm", "A4", "")
	p.SetCompression(false)
	p.SetTitle(d.Title()+": "+d.Scope.Name+", "+d.Period.Label, false)
	p.SetAuthor("MSP Hub", false)
	tr := p.UnicodeTranslatorFromDescriptor("")
	p.SetHeaderFunc(func() {
		p.SetFont("Helvetica", "B", 10)
		p.CellFormat(0, 6, Marking, "", 1, "C", false, 0, "")
		p.Ln(2)
	})
	p.SetFooterFunc(func() {
		p.SetY(-14)
		p.SetFont("Helvetica", "B", 10)
		p.CellFormat(0, 6, Marking, "", 1, "C", false, 0, "")
		p.SetFont("Helvetica", "", 8)
		p.CellFormat(0, 4, fmt.Sprintf("Page %d", p.PageNo()), "", 0, "C", false, 0, "")
	})
	p.SetAutoPageBreak(true, 18)
	p.AddPage()
	p.SetFont("Helvetica", "B", 18)
	p.MultiCell(0, 9, tr(d.Title()), "", "L", false)
	p.SetFont("Helvetica", "", 11)
	for _, l := range d.heading("")[1:] {
		if l != "" {
			p.MultiCell(0, 6, tr(l), "", "L", false)
		}
	}
	readers := "For chief officers"
	if d.Edition == EditionPartner {
		readers = "For the programme's partner agencies"
	}
	p.MultiCell(0, 6, tr("Counts only. Definitions: the page 'How these figures are made' in MSP Hub. "+readers+": do not share beyond those who need to know."), "", "L", false)
	p.Ln(4)
	const page = 277.0
	for _, t := range d.Tables {
		label := 90.0
		n := float64(len(t.Columns))
		cw := (page - label) / n
		if cw > 40 {
			cw = 40
		}
		if p.GetY() > 150 {
			p.AddPage()
		}
		p.SetFont("Helvetica", "B", 12)
		p.MultiCell(0, 7, tr(t.Caption), "", "L", false)
		p.SetFont("Helvetica", "B", 8)
		p.CellFormat(label, 6, tr(clip(t.RowHeading, 60)), "B", 0, "L", false, 0, "")
		for _, c := range t.Columns {
			p.CellFormat(cw, 6, tr(clip(c.Label, int(cw/1.6))), "B", 0, "R", false, 0, "")
		}
		p.Ln(-1)
		for _, r := range t.Rows {
			style := ""
			if r.Total {
				style = "B"
			}
			p.SetFont("Helvetica", style, 8)
			p.CellFormat(label, 5, tr(clip(r.Label, 60)), "", 0, "L", false, 0, "")
			for _, c := range r.Cells {
				p.CellFormat(cw, 5, c.Text(), "", 0, "R", false, 0, "")
			}
			p.Ln(-1)
		}
		p.Ln(4)
	}
	return p.Output(w)
}

func clip(s string, n int) string {
	if n < 4 {
		n = 4
	}
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "..."
}
