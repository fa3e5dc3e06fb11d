package court

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
)

// CustodyStatus is where a defendant is while the case goes on (DOMAIN.md §F1).
type CustodyStatus string

// Custody statuses.
const (
	InCustody CustodyStatus = "in_custody"
	OnBail    CustodyStatus = "bail"
	RUI       CustodyStatus = "rui"
)

var custodyStatuses = terms.Vocabulary[CustodyStatus]{{Value: InCustody, Label: "Remanded in custody"}, {Value: OnBail, Label: "On bail"},
	{Value: RUI, Label: "Released under investigation (RUI)"}}

// CustodyStatuses lists the statuses in the order forms offer them.
func CustodyStatuses() []CustodyStatus { return custodyStatuses.Values() }

// Label is the status as pages show it.
func (c CustodyStatus) Label() string { return custodyStatuses.Label(c, string(c)) }

// custodyRow is one record of a defendant's custody status; the latest of a defendant is current.
type custodyRow struct {
	ID           int64
	CaseID       int64
	Defendant    string
	Status       CustodyStatus
	SinceOn      time.Time
	CTLExpiresOn *time.Time `gorm:"column:ctl_expires_on"`
	RecordedBy   int64
	RecordedAt   time.Time
}

func (custodyRow) TableName() string { return "court_custody" }

// CustodyView is a defendant's current custody status.
type CustodyView struct {
	ID           int64         `json:"id"`
	Defendant    string        `json:"defendant"`
	Status       CustodyStatus `json:"status"`
	StatusLabel  string        `json:"status_label"`
	SinceOn      time.Time     `json:"since_on"`
	CTLExpiresOn *time.Time    `json:"ctl_expires_on,omitempty" gorm:"column:ctl_expires_on"`
	// CTLDueSoon: the custody time limit ends within CTLDueSoonDays (or has ended).
	CTLDueSoon bool      `json:"ctl_due_soon,omitempty" gorm:"-"`
	RecordedBy string    `json:"recorded_by" gorm:"column:recorded_by_name"`
	RecordedAt time.Time `json:"recorded_at"`
}

// CustodyInput records a defendant's custody status from a day. A defendant remanded in custody
// has a custody time limit: its expiry date as the court or the CPS gave it (MSP Hub does not
// work it out: [verify] the limits and their extensions with the customer).
type CustodyInput struct {
	Defendant    string        `json:"defendant"` // the reference the case uses, as on the suspect record
	Status       CustodyStatus `json:"status"`
	SinceOn      *time.Time    `json:"since_on"`
	CTLExpiresOn *time.Time    `json:"ctl_expires_on"`
}

// CTLDueSoonDays is how many days before a custody time limit ends the case is reminded of it
// (RemindCustodyLimits) and the page marks it.
const CTLDueSoonDays = 7

func (in *CustodyInput) validate(today time.Time) error {
	var p core.Problems
	in.Defendant = strings.TrimSpace(in.Defendant)
	switch {
	case in.Defendant == "":
		p.Add("defendant", "Enter the defendant's reference, as on the suspect record")
	case utf8.RuneCountInString(in.Defendant) > 60:
		p.Add("defendant", "The reference must be 60 characters or fewer")
	}
	if !slices.Contains(CustodyStatuses(), in.Status) {
		p.Add("status", "Select the custody status")
	}
	in.SinceOn, in.CTLExpiresOn = dayPtr(in.SinceOn), dayPtr(in.CTLExpiresOn)
	switch {
	case in.SinceOn == nil:
		p.Add("since_on", "Enter the date the status began")
	case in.SinceOn.After(today):
		p.Add("since_on", "The date the status began must be today or in the past")
	}
	switch {
	case in.Status != InCustody:
		in.CTLExpiresOn = nil
	case in.CTLExpiresOn == nil:
		p.Add("ctl_expires_on", "Enter the date the custody time limit expires")
	case in.SinceOn != nil && !in.CTLExpiresOn.After(*in.SinceOn):
		p.Add("ctl_expires_on", "The custody time limit must expire after the date of the remand")
	}
	return p.Err()
}

// SetCustody records a defendant's custody status from a day on a charged case; the earlier
// records stay as the defendant's history. The case team may call it. Errors: ENOTFOUND,
// EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) SetCustody(ctx context.Context, who core.Actor, caseID int64, in CustodyInput) (*View, error) {
	var out *View
	err := s.d.DB.InTx(ctx, func(ctx context.Context) error {
		cf, err := s.cases.LoadFor(ctx, who, caseID, "court", policies.ActUpdate, true)
		if err != nil {
			return err
		}
		if err := charged(cf); err != nil {
			return err
		}
		if err := in.validate(today(s.d.Now())); err != nil {
			return err
		}
		row := custodyRow{CaseID: cf.ID, Defendant: in.Defendant, Status: in.Status, SinceOn: *in.SinceOn, CTLExpiresOn: in.CTLExpiresOn,
			RecordedBy: who.UserID, RecordedAt: s.d.Now()}
		if err := s.d.DB.Conn(ctx).Create(&row).Error; err != nil {
			return core.DBError(err)
		}
		details := in.Status.Label() + " since " + in.SinceOn.Format("2 January 2006")
		if in.CTLExpiresOn != nil {
			details += "; custody time limit expires " + in.CTLExpiresOn.Format("2 January 2006")
		}
		if err := s.cases.Record(ctx, who, cf.ID, "custody", "Custody status of "+in.Defendant, details); err != nil {
			return err
		}
		if out, err = s.view(ctx, who, cf); err != nil {
			return err
		}
		d := map[string]string{"defendant": in.Defendant, "status": string(in.Status), "since_on": in.SinceOn.Format(time.DateOnly)}
		if in.CTLExpiresOn != nil {
			d["ctl_expires_on"] = in.CTLExpiresOn.Format(time.DateOnly)
		}
		return s.audit.Record(ctx, &who, core.Event{Action: "casefile.custody", ObjectType: "casefile", ObjectID: core.IDString(cf.ID), Outcome: core.OutcomeSuccess, Details: d})
	})
	return out, err
}

// currentCustody is the SQL condition of a custody record (alias c) that is its defendant's latest.
const currentCustody = "NOT EXISTS (SELECT 1 FROM court_custody n WHERE n.case_id = c.case_id AND n.defendant = c.defendant AND n.id > c.id)"

// custody lists each defendant's current custody status, by defendant.
func (s *Service) custody(ctx context.Context, caseID int64) ([]CustodyView, error) {
	out := []CustodyView{}
	err := s.d.DB.Conn(ctx).Table("court_custody c").
		Select("c.id, c.defendant, c.status, c.since_on, c.ctl_expires_on, c.recorded_at, COALESCE(u.name, '') AS recorded_by_name").
		Joins("LEFT JOIN users u ON u.id = c.recorded_by").
		Where("c.case_id = ? AND "+currentCustody, caseID).Order("c.defendant, c.id").Scan(&out).Error
	if err != nil {
		return nil, core.DBError(err)
	}
	soon := today(s.d.Now()).AddDate(0, 0, CTLDueSoonDays)
	for i := range out {
		out[i].StatusLabel = out[i].Status.Label()
		out[i].CTLDueSoon = out[i].CTLExpiresOn != nil && !out[i].CTLExpiresOn.After(soon)
	}
	return out, nil
}
