// Package policies decides who may do what: a casbin model with organisations as domains, the
// default policy, and the Authorizer that models consults before every operation.
//
// It speaks in its own terms (Subject, Object, Action) and its own errors (ErrDenied,
// ErrInternal); models builds those from its entities and maps the errors to its codes.
package policies

import (
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

//go:embed model.conf
var modelConf string

//go:embed policy.csv
var defaultPolicy string

// ErrDenied means the policy does not allow the action.
var ErrDenied = errors.New("denied by policy")

// ErrInternal means the decision could not be made (bad policy, enforcer failure). It is never
// read as a deny or an allow: the caller reports a server error.
var ErrInternal = errors.New("authorization failed")

// Roles of DESIGN.md §1. The names are the casbin role names stored in role assignments.
const (
	RoleOfficer          = "officer"
	RoleInvestigator     = "investigator"
	RoleSupervisor       = "supervisor"
	RoleCPSLiaison       = "cps_liaison"
	RoleTrainer          = "trainer"
	RoleGuidanceEditor   = "guidance_editor"
	RoleGuidanceApprover = "guidance_approver"
	RoleAnalyst          = "analyst"
	RoleOrgAdmin         = "org_admin"
	RoleAdmin            = "admin"
	RoleAuditor          = "auditor"
)

// Roles lists every role, in the order of DESIGN.md §1.
func Roles() []string {
	return []string{
		RoleOfficer, RoleInvestigator, RoleSupervisor, RoleCPSLiaison, RoleTrainer,
		RoleGuidanceEditor, RoleGuidanceApprover, RoleAnalyst, RoleOrgAdmin, RoleAdmin, RoleAuditor,
	}
}

// IsRole reports whether name is one of Roles.
func IsRole(name string) bool {
	for _, r := range Roles() {
		if r == name {
			return true
		}
	}
	return false
}

// Level is a position on the Government Security Classifications ladder that MSP Hub holds.
// An actor's clearance is the highest Level they may see; an object's classification is the
// Level it is marked at. SECRET and above are out of scope (DOMAIN.md §C1).
type Level int

const (
	// Unmarked is for objects that carry no protective marking (accounts, organisations).
	Unmarked Level = 0
	// Official is the default marking of case material and guidance.
	Official Level = 1
	// OfficialSensitive is OFFICIAL with the SENSITIVE handling caveat: tighter need-to-know.
	OfficialSensitive Level = 2
)

// String returns the marking as it is printed on pages and file names.
func (l Level) String() string {
	switch l {
	case Unmarked:
		return ""
	case Official:
		return "OFFICIAL"
	case OfficialSensitive:
		return "OFFICIAL-SENSITIVE"
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

// ParseLevel reads a marking as String prints it.
func ParseLevel(s string) (Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "OFFICIAL":
		return Official, nil
	case "OFFICIAL-SENSITIVE":
		return OfficialSensitive, nil
	}
	return Unmarked, fmt.Errorf("unknown classification %q: use OFFICIAL or OFFICIAL-SENSITIVE", s)
}

// Descriptor is an optional word after the OFFICIAL-SENSITIVE marking that says what kind of
// sensitive material it is (DOMAIN.md §F5: the Government Security Classifications Policy as
// revised in 2023). It changes nobody's access: it tells the reader how to handle the material.
type Descriptor string

// Descriptors (none is the empty string).
const (
	DescriptorPersonal   Descriptor = "PERSONAL"
	DescriptorCommercial Descriptor = "COMMERCIAL"
	DescriptorLocsen     Descriptor = "LOCSEN"
)

// Descriptors lists the descriptors in the order forms offer them.
func Descriptors() []Descriptor {
	return []Descriptor{DescriptorPersonal, DescriptorCommercial, DescriptorLocsen}
}

// Hint is what a form says of the descriptor.
func (d Descriptor) Hint() string {
	switch d {
	case DescriptorPersonal:
		return "Sensitive personal information about people"
	case DescriptorCommercial:
		return "Commercially sensitive information"
	case DescriptorLocsen:
		return "Locally sensitive information"
	}
	return ""
}

// MarkingLine is a marking as printed on pages and documents: the level, then the descriptor,
// which goes only with OFFICIAL-SENSITIVE ("OFFICIAL-SENSITIVE PERSONAL") [verify the printed
// form with the customer's security officer].
func MarkingLine(l Level, d Descriptor) string {
	if d == "" || l != OfficialSensitive {
		return l.String()
	}
	return l.String() + " " + string(d)
}

// Action is a verb in the policy ("read", "submit", ...).
type Action string

// Relation is one relationship fact between the actor and an object, resolved by models from
// the database before a decision.
type Relation uint32

// The relationships a policy row can require. "org" is not a fact models supplies: it is derived
// from Subject.Domain and Object.Org.
const (
	RelSelf       Relation = 1 << iota // the object is the actor, or belongs to the actor alone
	RelTeam                            // the actor is on the case team
	RelLead                            // the actor is the lead investigator of the case
	RelShare                           // the actor holds a live CPS share of the case
	RelAudience                        // the actor is inside the guidance audience
	RelEnrolled                        // the actor holds a place on a session of the course
	RelTrainer                         // the actor is a trainer of the course
	RelAuthor                          // the actor wrote this version
	RelPrivileged                      // the user acted on holds the admin or auditor role
	RelSubmitter                       // the actor submitted the pack now awaiting a decision
	RelProsecutor                      // the actor is a Crown Prosecutor (an attribute of a CPS user)
)

// The facts of the national picture's editions (DOMAIN.md §G). They sit apart, like the
// disclosure roles, so that a relation added above never takes their bits.
const (
	RelPolicing Relation = 1 << 24 // the actor's organisation is a police force, a ROCU or the programme's unit (not a partner agency)
	RelWideArea Relation = 1 << 25 // the actor's area of the national picture is wider than one organisation (national or a ROCU's)
)

// The disclosure roles of a case (DOMAIN.md §F3). They sit high, apart from the list above, so
// a relation added there never takes their bits.
const (
	RelDisclosure        Relation = 1 << 20 // the actor is named the case's officer in the case, disclosure officer or a deputy
	RelDisclosureOfficer Relation = 1 << 21 // the actor is named the case's disclosure officer or a deputy
)

// relationNames maps the words used in policy rows to facts. "any" and "org" are handled apart.
func relationByName(name string) (Relation, bool) {
	switch name {
	case "self":
		return RelSelf, true
	case "team":
		return RelTeam, true
	case "lead":
		return RelLead, true
	case "share":
		return RelShare, true
	case "audience":
		return RelAudience, true
	case "enrolled":
		return RelEnrolled, true
	case "trainer":
		return RelTrainer, true
	case "author":
		return RelAuthor, true
	case "privileged":
		return RelPrivileged, true
	case "submitter":
		return RelSubmitter, true
	case "disclosure":
		return RelDisclosure, true
	case "disclosure_officer":
		return RelDisclosureOfficer, true
	case "prosecutor":
		return RelProsecutor, true
	case "policing":
		return RelPolicing, true
	case "wide_area":
		return RelWideArea, true
	}
	return 0, false
}

// Subject is the actor as the policy sees it. Field names are read by the casbin matchers.
type Subject struct {
	Principal string // "user:42"
	Domain    string // the actor's organisation, "org:7"
	Clearance Level  // highest classification the actor may see now
	Vetted    bool   // vetting is current and allows access to case material
}

// Object is the thing acted on. Field names are read by the casbin matchers.
type Object struct {
	Type           string   // "casefile", "document", ...
	Org            string   // owning organisation, "org:7"; empty when none
	Classification Level    // protective marking; Unmarked when none
	Rel            Relation // relationship facts that hold between the actor and this object
}

// Has reports whether every relation in r holds.
func (o Object) Has(r Relation) bool { return o.Rel&r == r }

// UserPrincipal names a user in role assignments and Subjects.
func UserPrincipal(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// OrgDomain names an organisation as a casbin domain.
func OrgDomain(id int64) string { return "org:" + strconv.FormatInt(id, 10) }

// holds evaluates a row's relationship column against the request. It is the one place where
// clearance is compared with classification, so every row of every family applies it.
func holds(sub Subject, obj Object, rel string) (bool, error) {
	if sub.Clearance < obj.Classification {
		return false, nil
	}
	for _, word := range strings.Fields(rel) {
		negate := strings.HasPrefix(word, "!")
		name := strings.TrimPrefix(word, "!")
		var ok bool
		switch name {
		case "any":
			ok = true
		case "org":
			ok = obj.Org != "" && obj.Org == sub.Domain
		default:
			r, known := relationByName(name)
			if !known {
				return false, fmt.Errorf("policy names unknown relationship %q", name)
			}
			ok = obj.Has(r)
		}
		if ok == negate {
			return false, nil
		}
	}
	return true, nil
}

// Rule is one permission row: in every organisation, Role may do Act to objects of Type when
// Rel holds.
type Rule struct {
	Family string // casbin section: "p", "p2", "p3", "p4" or "p5"
	Role   string
	Type   string
	Act    string
	Rel    string
}

func (r Rule) values() []string { return []string{r.Role, r.Type, r.Act, r.Rel} }

func (r Rule) String() string {
	return strings.Join(append([]string{r.Family}, r.values()...), ", ")
}

// families are the casbin sections that hold permission rows, in model order.
func families() []string { return []string{"p", "p2", "p3", "p4", "p5"} }

// DefaultRules parses the embedded default policy.
func DefaultRules() ([]Rule, error) { return parseRules(defaultPolicy) }

func parseRules(csv string) ([]Rule, error) {
	var rules []Rule
	for n, line := range strings.Split(csv, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if len(f) != 5 {
			return nil, fmt.Errorf("policy line %d: want 5 columns, got %d", n+1, len(f))
		}
		r := Rule{Family: f[0], Role: f[1], Type: f[2], Act: f[3], Rel: f[4]}
		if err := r.validate(); err != nil {
			return nil, fmt.Errorf("policy line %d: %w", n+1, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func (r Rule) validate() error {
	known := false
	for _, f := range families() {
		known = known || r.Family == f
	}
	if !known {
		return fmt.Errorf("unknown family %q", r.Family)
	}
	if r.Role != "*" && !IsRole(r.Role) {
		return fmt.Errorf("unknown role %q", r.Role)
	}
	if r.Type == "" || r.Act == "" {
		return errors.New("object type and action are required")
	}
	if _, err := holds(Subject{}, Object{}, r.Rel); err != nil {
		return err
	}
	if strings.TrimSpace(r.Rel) == "" {
		return errors.New("relationship is required (use \"any\" when none is needed)")
	}
	return nil
}
