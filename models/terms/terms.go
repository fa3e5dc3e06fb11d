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

// Statuses lists the statuses in the order pages offer them.
func Statuses() []Status { return []Status{StatusLive, StatusSuspended, StatusClosed} }

// Label is the status as pages show it.
func (s Status) Label() string {
	switch s {
	case StatusLive:
		return "Live"
	case StatusSuspended:
		return "Suspended"
	case StatusClosed:
		return "Closed"
	}
	return string(s)
}

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

// Exploitations lists the types in the order pages offer them.
func Exploitations() []Exploitation {
	return []Exploitation{ExploitLabour, ExploitSexual, ExploitCountyLines, ExploitForcedCriminality, ExploitDomesticServitude, ExploitOrganHarvesting}
}

// Label is the type as pages show it.
func (e Exploitation) Label() string {
	switch e {
	case ExploitLabour:
		return "Labour exploitation"
	case ExploitSexual:
		return "Sexual exploitation"
	case ExploitCountyLines:
		return "Criminal exploitation: county lines"
	case ExploitForcedCriminality:
		return "Criminal exploitation: forced criminality"
	case ExploitDomesticServitude:
		return "Domestic servitude"
	case ExploitOrganHarvesting:
		return "Organ harvesting"
	}
	return string(e)
}

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

// AgeBands lists the bands in the order pages offer them.
func AgeBands() []AgeBand {
	return []AgeBand{AgeUnder12, Age12to15, Age16to17, Age18to24, Age25to34, Age35to44, Age45to54, Age55Plus, AgeNotKnown}
}

// Child reports whether the band is under 18.
func (a AgeBand) Child() bool { return a == AgeUnder12 || a == Age12to15 || a == Age16to17 }

// Label is the band as pages show it.
func (a AgeBand) Label() string {
	if a == AgeNotKnown {
		return "Not known"
	}
	if a == AgeUnder12 {
		return "Under 12"
	}
	return string(a)
}

// Sex as recorded by the force.
type Sex string

// Sexes.
const (
	SexFemale   Sex = "female"
	SexMale     Sex = "male"
	SexNotKnown Sex = "not_known"
)

// Sexes lists the values in the order pages offer them.
func Sexes() []Sex { return []Sex{SexFemale, SexMale, SexNotKnown} }

// Label is the value as pages show it.
func (s Sex) Label() string {
	switch s {
	case SexFemale:
		return "Female"
	case SexMale:
		return "Male"
	}
	return "Not known"
}

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

// FirstResponders lists them in the order pages offer them.
func FirstResponders() []FirstResponder {
	return []FirstResponder{FRPolice, FRLocalAuthority, FRUKVI, FRBorderForce, FRImmigration, FRNCA, FRGLAA, FRNGO}
}

// Label is the first responder as pages show it.
func (f FirstResponder) Label() string {
	switch f {
	case FRPolice:
		return "Police"
	case FRLocalAuthority:
		return "Local authority"
	case FRUKVI:
		return "UK Visas and Immigration"
	case FRBorderForce:
		return "Border Force"
	case FRImmigration:
		return "Immigration Enforcement"
	case FRNCA:
		return "National Crime Agency"
	case FRGLAA:
		return "Gangmasters and Labour Abuse Authority"
	case FRNGO:
		return "Non-governmental organisation (for example the Salvation Army, Barnardo's)"
	}
	return string(f)
}

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

// SuspectRoles lists them in the order pages offer them.
func SuspectRoles() []SuspectRole {
	return []SuspectRole{RoleOrganiser, RoleRecruiter, RoleTransporter, RoleController, RoleFinancier, RoleOther, RoleNotKnown}
}

// Label is the role as pages show it.
func (r SuspectRole) Label() string {
	switch r {
	case RoleOrganiser:
		return "Organiser"
	case RoleRecruiter:
		return "Recruiter"
	case RoleTransporter:
		return "Transporter"
	case RoleController:
		return "Controller"
	case RoleFinancier:
		return "Financier"
	case RoleOther:
		return "Other"
	}
	return "Not known"
}

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

// Offences lists them in the order pages offer them.
func Offences() []Offence { return []Offence{OffenceS1, OffenceS2, OffenceS4, OffenceAlternative} }

// Label is the offence as pages show it.
func (o Offence) Label() string {
	switch o {
	case OffenceS1:
		return "Slavery, servitude and forced or compulsory labour (Modern Slavery Act 2015 s1)"
	case OffenceS2:
		return "Human trafficking (Modern Slavery Act 2015 s2)"
	case OffenceS4:
		return "Offence committed with intent to commit s2 (Modern Slavery Act 2015 s4)"
	case OffenceAlternative:
		return "Alternative charge (for example false imprisonment, controlling prostitution)"
	}
	return string(o)
}

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

// Outcomes lists the decided outcomes in the order pages offer them.
func Outcomes() []Outcome {
	return []Outcome{OutcomeConvictedPlea, OutcomeConvictedTrial, OutcomeAcquitted, OutcomeDiscontinued, OutcomeNoEvidenceOffered}
}

// Convicted reports whether the outcome is a conviction.
func (o Outcome) Convicted() bool { return o == OutcomeConvictedPlea || o == OutcomeConvictedTrial }

// Label is the outcome as pages show it.
func (o Outcome) Label() string {
	switch o {
	case OutcomePending:
		return "Pending"
	case OutcomeConvictedPlea:
		return "Convicted on a guilty plea"
	case OutcomeConvictedTrial:
		return "Convicted after trial"
	case OutcomeAcquitted:
		return "Acquitted"
	case OutcomeDiscontinued:
		return "Discontinued"
	case OutcomeNoEvidenceOffered:
		return "No evidence offered"
	}
	return string(o)
}
