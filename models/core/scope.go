package core

import (
	"strings"

	"github.com/msptp/msphub/policies"
)

// PolicyScope compiles the policy rows that let who do act to objects of type typ into one SQL
// condition over those objects' rows: the same rows, relationships and clearance rule as Can, so
// that "may act on X" and "X is listed" never disagree, even after the policy changes. fact gives
// the SQL (with its arguments) of one relationship a row requires ("org", "team", ...), ok false
// for a relationship that is never a fact of this type; classification is the column holding an
// object's marking. Errors: EINTERNAL (the policy could not be read).
func PolicyScope(authz *policies.Authorizer, who Actor, typ string, act policies.Action, classification string,
	fact func(rel string) (cond string, args []any, ok bool)) (string, []any, error) {
	rules, err := authz.Rules()
	if err != nil {
		return "", nil, Internal(err)
	}
	var ors []string
	var args []any
	for _, r := range rules {
		if r.Type != typ || r.Act != string(act) || (r.Role != "*" && !who.Has(r.Role)) {
			continue
		}
		var ands []string
		for _, word := range strings.Fields(r.Rel) {
			name, negate := strings.CutPrefix(word, "!")
			cond, more := "1 = 0", []any(nil) // a relationship that is no fact of the type never holds
			if name == "any" {
				cond = "1 = 1"
			} else if c, a, ok := fact(name); ok {
				cond, more = c, a
			}
			if negate {
				cond = "NOT (" + cond + ")"
			}
			ands, args = append(ands, cond), append(args, more...)
		}
		if len(ands) > 0 {
			ors = append(ors, "("+strings.Join(ands, " AND ")+")")
		}
	}
	if len(ors) == 0 {
		return "1 = 0", nil, nil
	}
	return "(" + strings.Join(ors, " OR ") + ") AND " + classification + " <= ?", append(args, int(who.Clearance)), nil
}
