package training

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// Limits of a bulk enrolment file: a force's cohort, not its whole staff.
const (
	MaxBulkBytes = 256 << 10
	MaxBulkRows  = 500
)

// Outcomes of one row of a bulk enrolment.
const (
	BulkEnrolled    = "enrolled"
	BulkWaitlisted  = "waitlisted"
	BulkAwaiting    = "awaiting approval" // an organisation administrator's booking still needs a supervisor
	BulkNotEligible = "not eligible"
)

// BulkRow is what became of one line of the file.
type BulkRow struct {
	Line     int    `json:"line"`
	Email    string `json:"email"`
	Name     string `json:"name,omitempty"`
	Outcome  string `json:"outcome"`
	Reason   string `json:"reason,omitempty"`   // why not eligible
	Position int    `json:"position,omitempty"` // on the waiting list
}

// BulkReport is the outcome of a bulk enrolment, row by row, with the totals.
type BulkReport struct {
	Rows        []BulkRow `json:"rows"`
	Enrolled    int       `json:"enrolled"`
	Waitlisted  int       `json:"waitlisted"`
	Awaiting    int       `json:"awaiting_approval"`
	NotEligible int       `json:"not_eligible"`
}

// MayBulkEnrol says whether the actor may enrol their staff in bulk on the session (what the
// pages offer). Errors: ENOTFOUND, EFORBIDDEN.
func (t *Service) MayBulkEnrol(ctx context.Context, who core.Actor, sessionID int64) (CourseSessionView, error) {
	s, c, obj, err := t.loadSession(ctx, who, sessionID, false)
	if err != nil {
		return CourseSessionView{}, err
	}
	if err := core.Can(ctx, t.d.Authz, who, policies.ActBulk, policies.Object{Type: "enrolment", Org: policies.OrgDomain(who.OrgID)},
		"Only supervisors and organisation administrators can enrol their staff in bulk."); err != nil {
		return CourseSessionView{}, err
	}
	return t.sessionView(ctx, who, c, s, obj)
}

// BulkEnrol books the people listed in a CSV file (a column headed "email", or one address per
// line) on a session, each as if they had asked themselves: every booking rule applies, row by
// row, in file order. Addresses are matched only to people of the actor's own organisation. A
// supervisor's booking counts as approved; an organisation administrator's still needs a
// supervisor when the course asks for approval. Supervisors and organisation administrators
// may. Errors: ENOTFOUND, EFORBIDDEN, EINVALID (not a CSV of addresses), ETOOLARGE.
func (t *Service) BulkEnrol(ctx context.Context, who core.Actor, sessionID int64, file io.Reader) (BulkReport, error) {
	var report BulkReport
	if _, err := t.MayBulkEnrol(ctx, who, sessionID); err != nil {
		return report, err
	}
	lines, err := readBulkFile(file)
	if err != nil {
		return report, err
	}
	// The people listed are of the actor's organisation: overdue requests of theirs must not
	// count as bookings.
	if err := t.expireDue(ctx, "organisation_id = ?", who.OrgID); err != nil {
		return report, err
	}
	err = t.d.DB.InTx(ctx, func(ctx context.Context) error {
		report = BulkReport{Rows: make([]BulkRow, 0, len(lines))}
		// Who the addresses are, in the actor's organisation only.
		var emails []string
		for _, l := range lines {
			if l.err == "" {
				emails = append(emails, l.email)
			}
		}
		// Learners first, then the session: the order Request takes its locks in.
		people := map[string]learner{}
		if len(emails) > 0 {
			ls, err := t.lockLearners(ctx, "u.organisation_id = ? AND u.email IN ? AND u.disabled_at IS NULL", who.OrgID, emails)
			if err != nil {
				return err
			}
			for _, l := range ls {
				l.roles = t.rolesOf(l.User)
				people[l.Email] = l
			}
		}
		s, c, _, err := t.loadSession(ctx, who, sessionID, true)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, l := range lines {
			row := BulkRow{Line: l.line, Email: l.email}
			u, known := people[l.email]
			switch {
			case l.err != "":
				row.Outcome, row.Reason = BulkNotEligible, l.err
			case seen[l.email]:
				row.Outcome, row.Reason = BulkNotEligible, "Listed more than once in the file: booked once."
			case !known:
				row.Outcome, row.Reason = BulkNotEligible, "No one in your organisation has this email address."
			}
			seen[l.email] = true
			if row.Outcome == "" {
				row.Name = u.Name
				learnerObj := core.PersonalObject("enrolment", u.OrganisationID, u.ID, who)
				approved := t.d.Authz.Can(ctx, who.Subject(), policies.ActDecide, learnerObj) == nil
				e, err := t.admit(ctx, who, u, &s, c, approved, themVoice)
				switch {
				case core.ErrorCode(err) == core.ECONFLICT:
					row.Outcome, row.Reason = BulkNotEligible, core.ErrorMessage(err)
				case err != nil:
					return err
				default:
					switch e.State {
					case EnrolmentEnrolled:
						row.Outcome = BulkEnrolled
					case EnrolmentWaitlisted:
						row.Outcome, row.Position = BulkWaitlisted, *e.Position
					case EnrolmentRequested:
						row.Outcome = BulkAwaiting
					}
					if err := t.announce(ctx, e, s, c, true); err != nil {
						return err
					}
					if err := t.audit.Record(ctx, &who, core.Event{Action: "enrolment.request", ObjectType: "enrolment", ObjectID: core.IDString(e.ID), Outcome: core.OutcomeSuccess,
						Details: map[string]string{"session": core.IDString(s.ID), "state": e.State, "via": "bulk", "learner": core.IDString(u.ID)}}); err != nil {
						return err
					}
				}
			}
			switch row.Outcome {
			case BulkEnrolled:
				report.Enrolled++
			case BulkWaitlisted:
				report.Waitlisted++
			case BulkAwaiting:
				report.Awaiting++
			default:
				report.NotEligible++
			}
			report.Rows = append(report.Rows, row)
		}
		return t.audit.Record(ctx, &who, core.Event{Action: "enrolment.bulk", ObjectType: "session", ObjectID: core.IDString(s.ID), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"rows": fmt.Sprint(len(lines)), "enrolled": fmt.Sprint(report.Enrolled), "waitlisted": fmt.Sprint(report.Waitlisted),
				"awaiting": fmt.Sprint(report.Awaiting), "not_eligible": fmt.Sprint(report.NotEligible)}})
	})
	return report, err
}

// bulkLine is one address of a bulk file, or why the line is not one.
type bulkLine struct {
	line  int
	email string
	err   string
}

// readBulkFile reads a bulk enrolment file: UTF-8 CSV, at most MaxBulkBytes and MaxBulkRows
// rows, with a header row naming an "email" column, or else one address in the first column
// of every row. Blank lines are skipped. Nothing in it is ever evaluated.
func readBulkFile(r io.Reader) ([]bulkLine, error) {
	b, err := core.ReadWhole(r, MaxBulkBytes, "split the list into several files")
	if err != nil {
		return nil, err
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, core.Invalid("file", "The selected file is empty")
	}
	if !utf8.Valid(b) {
		return nil, core.Invalid("file", "The file must be a CSV file saved as UTF-8 text")
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	var out []bulkLine
	col, header := 0, false
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			line := n + 1
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, core.Invalid("file", fmt.Sprintf("Line %d of the file is not valid CSV: check its quotes", line))
		}
		line, _ := cr.FieldPos(0)
		if n == 0 {
			for i, f := range rec {
				if strings.EqualFold(strings.TrimSpace(f), "email") || strings.EqualFold(strings.TrimSpace(f), "email address") {
					col, header = i, true
				}
			}
			if header {
				continue
			}
		}
		if len(rec) == 0 || (len(rec) == 1 && strings.TrimSpace(rec[0]) == "") {
			continue
		}
		if len(out) == MaxBulkRows {
			return nil, core.Invalid("file", fmt.Sprintf("The file has more than %d people: split it into several files", MaxBulkRows))
		}
		l := bulkLine{line: line}
		if col >= len(rec) {
			l.err = "This row has no email address."
		} else if email, err := core.NormaliseEmail(rec[col]); err != nil {
			l.email = core.Clip(strings.TrimSpace(rec[col]), 320)
			l.err = "Not an email address."
		} else {
			l.email = email
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, core.Invalid("file", "The file lists nobody: put one email address on each line")
	}
	return out, nil
}
