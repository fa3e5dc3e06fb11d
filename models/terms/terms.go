// Package terms is the shared vocabulary of the national picture (DOMAIN.md §B, §F, §G):
// operation statuses, exploitation types, age bands, sexes, NRM decisions, first responders,
// suspect roles, offences and charge outcomes, and nationalities. It imports nothing: the
// operations records, the statistics and the case files all speak it, so it is the one place
// where each value and its label are defined.
package terms

// Status is where an operation stands.
type Status string

// Operation statuses.
const (
	StatusLive      Status = "live"
	StatusSuspended Status = "suspended"
	StatusClosed    Status = "closed"
)

var statuses = Vocabulary[Status]{{StatusLive, "Live"}, {StatusSuspended, "Suspended"}, {StatusClosed, "Closed"}}

// Statuses lists the statuses in the order pages offer them.
func Statuses() []Status { return statuses.Values() }

// Label is the status as pages show it.
func (s Status) Label() string { return statuses.Label(s, string(s)) }

// Exploitation is a type of exploitation (DOMAIN.md §G). An operation, a victim or a suspect may
// have several.
type Exploitation string

// Exploitation types. Criminal exploitation is held as its two forms.
const (
	ExploitLabour            Exploitation = "labour"
	ExploitSexual            Exploitation = "sexual"
	ExploitCountyLines       Exploitation = "criminal_county_lines"
	ExploitForcedCriminality Exploitation = "criminal_forced"
	ExploitDomesticServitude Exploitation = "domestic_servitude"
	ExploitOrganHarvesting   Exploitation = "organ_harvesting"
)

var exploitations = Vocabulary[Exploitation]{
	{ExploitLabour, "Labour exploitation"},
	{ExploitSexual, "Sexual exploitation"},
	{ExploitCountyLines, "Criminal exploitation: county lines"},
	{ExploitForcedCriminality, "Criminal exploitation: forced criminality"},
	{ExploitDomesticServitude, "Domestic servitude"},
	{ExploitOrganHarvesting, "Organ harvesting"},
}

// Exploitations lists the types in the order pages offer them.
func Exploitations() []Exploitation { return exploitations.Values() }

// Label is the type as pages show it.
func (e Exploitation) Label() string { return exploitations.Label(e, string(e)) }

// AgeBand is a person's age at the time of exploitation, in bands (no date of birth is held).
type AgeBand string

// Age bands. Under18 bands make the person a child.
const (
	AgeUnder12  AgeBand = "0-11"
	Age12to15   AgeBand = "12-15"
	Age16to17   AgeBand = "16-17"
	Age18to24   AgeBand = "18-24"
	Age25to34   AgeBand = "25-34"
	Age35to44   AgeBand = "35-44"
	Age45to54   AgeBand = "45-54"
	Age55Plus   AgeBand = "55+"
	AgeNotKnown AgeBand = "not_known"
)

var ageBands = Vocabulary[AgeBand]{{AgeUnder12, "Under 12"}, {Age12to15, "12-15"}, {Age16to17, "16-17"}, {Age18to24, "18-24"},
	{Age25to34, "25-34"}, {Age35to44, "35-44"}, {Age45to54, "45-54"}, {Age55Plus, "55+"}, {AgeNotKnown, "Not known"}}

// AgeBands lists the bands in the order pages offer them.
func AgeBands() []AgeBand { return ageBands.Values() }

// Child reports whether the band is under 18.
func (a AgeBand) Child() bool { return a == AgeUnder12 || a == Age12to15 || a == Age16to17 }

// Label is the band as pages show it.
func (a AgeBand) Label() string { return ageBands.Label(a, string(a)) }

// Sex as recorded by the force.
type Sex string

// Sexes.
const (
	SexFemale   Sex = "female"
	SexMale     Sex = "male"
	SexNotKnown Sex = "not_known"
)

var sexes = Vocabulary[Sex]{{SexFemale, "Female"}, {SexMale, "Male"}, {SexNotKnown, "Not known"}}

// Sexes lists the values in the order pages offer them.
func Sexes() []Sex { return sexes.Values() }

// Label is the value as pages show it.
func (s Sex) Label() string { return sexes.Label(s, "Not known") }

// Decision is the outcome of a reasonable grounds or conclusive grounds decision; "" while none
// has been made.
type Decision string

// Decisions.
const (
	DecisionNone     Decision = ""
	DecisionPositive Decision = "positive"
	DecisionNegative Decision = "negative"
)

// FirstResponder is the kind of first responder organisation that made an NRM referral
// (DOMAIN.md §B5: only these bodies can refer).
type FirstResponder string

// First responders.
const (
	FRPolice         FirstResponder = "police"
	FRLocalAuthority FirstResponder = "local_authority"
	FRUKVI           FirstResponder = "ukvi"
	FRBorderForce    FirstResponder = "border_force"
	FRImmigration    FirstResponder = "immigration_enforcement"
	FRNCA            FirstResponder = "nca"
	FRGLAA           FirstResponder = "glaa"
	FRNGO            FirstResponder = "ngo"
)

var firstResponders = Vocabulary[FirstResponder]{
	{FRPolice, "Police"},
	{FRLocalAuthority, "Local authority"},
	{FRUKVI, "UK Visas and Immigration"},
	{FRBorderForce, "Border Force"},
	{FRImmigration, "Immigration Enforcement"},
	{FRNCA, "National Crime Agency"},
	{FRGLAA, "Gangmasters and Labour Abuse Authority"},
	{FRNGO, "Non-governmental organisation (for example the Salvation Army, Barnardo's)"},
}

// FirstResponders lists them in the order pages offer them.
func FirstResponders() []FirstResponder { return firstResponders.Values() }

// Label is the first responder as pages show it.
func (f FirstResponder) Label() string { return firstResponders.Label(f, string(f)) }

// SuspectRole is a suspect's role in the group.
type SuspectRole string

// Suspect roles.
const (
	RoleOrganiser   SuspectRole = "organiser"
	RoleRecruiter   SuspectRole = "recruiter"
	RoleTransporter SuspectRole = "transporter"
	RoleController  SuspectRole = "controller"
	RoleFinancier   SuspectRole = "financier"
	RoleOther       SuspectRole = "other"
	RoleNotKnown    SuspectRole = "not_known"
)

var suspectRoles = Vocabulary[SuspectRole]{{RoleOrganiser, "Organiser"}, {RoleRecruiter, "Recruiter"}, {RoleTransporter, "Transporter"},
	{RoleController, "Controller"}, {RoleFinancier, "Financier"}, {RoleOther, "Other"}, {RoleNotKnown, "Not known"}}

// SuspectRoles lists them in the order pages offer them.
func SuspectRoles() []SuspectRole { return suspectRoles.Values() }

// Label is the role as pages show it.
func (r SuspectRole) Label() string { return suspectRoles.Label(r, "Not known") }

// Offence is what a suspect is charged with: a Modern Slavery Act 2015 offence (DOMAIN.md §B1)
// or an alternative charge.
type Offence string

// Offences.
const (
	OffenceS1          Offence = "msa_s1"
	OffenceS2          Offence = "msa_s2"
	OffenceS4          Offence = "msa_s4"
	OffenceAlternative Offence = "alternative"
)

var offences = Vocabulary[Offence]{
	{OffenceS1, "Slavery, servitude and forced or compulsory labour (Modern Slavery Act 2015 s1)"},
	{OffenceS2, "Human trafficking (Modern Slavery Act 2015 s2)"},
	{OffenceS4, "Offence committed with intent to commit s2 (Modern Slavery Act 2015 s4)"},
	{OffenceAlternative, "Alternative charge (for example false imprisonment, controlling prostitution)"},
}

// Offences lists them in the order pages offer them.
func Offences() []Offence { return offences.Values() }

// Label is the offence as pages show it.
func (o Offence) Label() string { return offences.Label(o, string(o)) }

// Outcome is the outcome of one charge (DOMAIN.md §F1); "" while pending.
type Outcome string

// Charge outcomes.
const (
	OutcomePending           Outcome = ""
	OutcomeConvictedPlea     Outcome = "convicted_plea"
	OutcomeConvictedTrial    Outcome = "convicted_trial"
	OutcomeAcquitted         Outcome = "acquitted"
	OutcomeDiscontinued      Outcome = "discontinued"
	OutcomeNoEvidenceOffered Outcome = "no_evidence_offered"
)

// outcomes are the decided outcomes; a pending one is not among them.
var outcomes = Vocabulary[Outcome]{
	{OutcomeConvictedPlea, "Convicted on a guilty plea"},
	{OutcomeConvictedTrial, "Convicted after trial"},
	{OutcomeAcquitted, "Acquitted"},
	{OutcomeDiscontinued, "Discontinued"},
	{OutcomeNoEvidenceOffered, "No evidence offered"},
}

// Outcomes lists the decided outcomes in the order pages offer them.
func Outcomes() []Outcome { return outcomes.Values() }

// Convicted reports whether the outcome is a conviction.
func (o Outcome) Convicted() bool { return o == OutcomeConvictedPlea || o == OutcomeConvictedTrial }

// Label is the outcome as pages show it.
func (o Outcome) Label() string {
	if o == OutcomePending {
		return "Pending"
	}
	return outcomes.Label(o, string(o))
}
