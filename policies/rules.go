package policies

import (
	"errors"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ruleTable is created by a migration (00001); ruleStore never migrates it.
const ruleTable = "casbin_rule"

// ruleRow is one row of the policy in ruleTable: its type ("p" or a family for permissions,
// "g" for a role grant) and up to six values, unused ones empty.
type ruleRow struct {
	ID                     int64 `gorm:"primaryKey"`
	Ptype                  string
	V0, V1, V2, V3, V4, V5 string
}

func (ruleRow) TableName() string { return ruleTable }

// newRuleRow is the row of rule (at most six values) of type ptype.
func newRuleRow(ptype string, rule []string) ruleRow {
	var v [6]string
	copy(v[:], rule)
	return ruleRow{Ptype: ptype, V0: v[0], V1: v[1], V2: v[2], V3: v[3], V4: v[4], V5: v[5]}
}

// line is the row as casbin reads a policy line: the type, then the values up to the last one
// that is not empty.
func (r ruleRow) line() []string {
	p := []string{r.Ptype, r.V0, r.V1, r.V2, r.V3, r.V4, r.V5}
	for len(p) > 1 && p[len(p)-1] == "" {
		p = p[:len(p)-1]
	}
	return p
}

// ruleStore is the casbin adapter over ruleTable, through db (the caller's transaction, when
// it writes). The enforcer's auto-save is off: rows are written only by GrantIn, RevokeIn and
// Sync, inside their callers' transactions, and the enforcer reloads them (Refresh).
type ruleStore struct{ db *gorm.DB }

var _ persist.Adapter = ruleStore{}

// LoadPolicy reads every row into m, in the order they were written.
func (s ruleStore) LoadPolicy(m model.Model) error {
	var rows []ruleRow
	if err := s.db.Order("id").Find(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		if err := persist.LoadPolicyArray(r.line(), m); err != nil {
			return err
		}
	}
	return nil
}

// SavePolicy is refused: the policy is never written whole from memory.
func (ruleStore) SavePolicy(model.Model) error {
	return errors.New("the policy is written row by row in transactions (GrantIn, RevokeIn, Sync), never saved whole")
}

// AddPolicy adds one row; a row already there is left as it is.
func (s ruleStore) AddPolicy(sec, ptype string, rule []string) error {
	return s.AddPolicies(sec, ptype, [][]string{rule})
}

// AddPolicies adds rows in batches; rows already there are left as they are.
func (s ruleStore) AddPolicies(_, ptype string, rules [][]string) error {
	rows := make([]ruleRow, len(rules))
	for i, rule := range rules {
		rows[i] = newRuleRow(ptype, rule)
	}
	return s.db.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 500).Error
}

// RemovePolicy removes the rows that match rule (its empty values match anything).
func (s ruleStore) RemovePolicy(_, ptype string, rule []string) error {
	return s.db.Where(newRuleRow(ptype, rule)).Delete(&ruleRow{}).Error
}

// RemoveFilteredPolicy is refused, as SavePolicy is: with auto-save off the enforcer never calls
// it, and rows are removed one by one (RemovePolicy).
func (ruleStore) RemoveFilteredPolicy(string, string, int, ...string) error {
	return errors.New("policy rows are removed one by one in transactions (RevokeIn, Sync), never by filter")
}
