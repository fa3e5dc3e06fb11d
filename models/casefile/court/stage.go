// Package court is a case file after charge (DOMAIN.md §F1, issue 13 item 3): the first hearing
// file by anticipated plea, the plea and trial preparation hearing (PTPH), the full file upgrade
// by the date the court set, the defence statement and the disclosure that follows it, trial,
// the outcome of every charge, sentence with its orders, confiscation; then closure. And each
// defendant's custody status with its custody time limit. It imports casefile for the case and
// its access rules; the outcomes of charges are the operation's suspect records (models/operations),
// which the wiring hands in as Outcomes.
package court

import (
	"slices"
	"strings"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/terms"
	"github.com/msptp/msphub/policies"
)

// Stage is where a charged case stands in court. Every step is checked by next.
type Stage string

// Stages after charge, in the order a case usually meets them.
const (
	StageCharged           Stage = "charged" // no step recorded yet
	StageFirstHearing      Stage = "first_hearing"
	StagePTPH              Stage = "ptph"
	StageFullFile          Stage = "full_file"
	StageDefenceStatement  Stage = "defence_statement"
	StageDisclosureReview  Stage = "disclosure_review"
	StageFurtherDisclosure Stage = "further_disclosure"
	StageTrial             Stage = "trial"
	StageOutcomes          Stage = "outcomes"
	StageSentenced         Stage = "sentenced"
	StageConfiscation      Stage = "confiscation"
	StageClosed            Stage = "closed" // the case file is closed (casefile's Close)
)

// Plea is the plea anticipated when the first hearing file is prepared: it shapes the file
// (DOMAIN.md §F1: a guilty anticipated plea file needs less than a not guilty one).
type Plea string

// Anticipated pleas.
const (
	PleaGuilty    Plea = "guilty"
	PleaNotGuilty Plea = "not_guilty"
)

var pleas = terms.Vocabulary[Plea]{{Value: PleaGuilty, Label: "Guilty anticipated (GAP)"}, {Value: PleaNotGuilty, Label: "Not guilty anticipated (NGAP)"}}

// Pleas lists the pleas in the order forms offer them.
func Pleas() []Plea { return pleas.Values() }

// Label is the plea as pages show it.
func (p Plea) Label() string { return pleas.Label(p, string(p)) }

// step is what a step after charge is: the stage it reaches, the stages it may follow, who may
// record it, and what its form asks.
type step struct {
	stage Stage
	from  []Stage
	// act is update (the case team) or decide (the results of court: the team or the
	// prosecutor the case is shared with).
	act    policies.Action
	label  string // the stage reached, as pages show it
	action string // the form's heading and button
	date   string // what the step's date is
	next   string // what the date the step sets is ("" when it sets none)
	fields Fields
}

// Fields says which fields a step's form asks for beyond its date.
type Fields struct {
	Plea       bool `json:"plea,omitempty"`
	NextOn     bool `json:"next_on,omitempty"`
	STPO       bool `json:"stpo,omitempty"`
	Reparation bool `json:"reparation,omitempty"`
	Amount     bool `json:"amount_pounds,omitempty"`
	Details    bool `json:"details_required,omitempty"` // details are always offered; required when set
}

// beforeResults are the stages from which the outcomes can be recorded: a guilty plea at the
// first hearing or the PTPH, a discontinuance or no evidence offered at any time, or the trial.
var beforeResults = []Stage{StageFirstHearing, StagePTPH, StageFullFile, StageDefenceStatement, StageDisclosureReview, StageFurtherDisclosure, StageTrial}

// steps are the steps after charge, in journey order.
var steps = []step{
	{stage: StageFirstHearing, from: []Stage{StageCharged}, act: policies.ActUpdate, label: "First hearing file ready",
		action: "Record the first hearing file", date: "Date the file went to the CPS", next: "Date of the first hearing", fields: Fields{Plea: true, NextOn: true}},
	{stage: StagePTPH, from: []Stage{StageFirstHearing}, act: policies.ActUpdate, label: "Plea and trial preparation hearing held",
		action: "Record the plea and trial preparation hearing", date: "Date of the hearing", next: "Date the court set for the full file", fields: Fields{NextOn: true}},
	{stage: StageFullFile, from: []Stage{StagePTPH}, act: policies.ActUpdate, label: "Full file upgraded",
		action: "Record the full file upgrade", date: "Date the full file went to the CPS"},
	{stage: StageDefenceStatement, from: []Stage{StagePTPH, StageFullFile}, act: policies.ActUpdate, label: "Defence statement received",
		action: "Record the defence statement", date: "Date it was received"},
	{stage: StageDisclosureReview, from: []Stage{StageDefenceStatement}, act: policies.ActUpdate, label: "Unused material reviewed against the defence statement (CPIA s7A)",
		action: "Record the disclosure review", date: "Date of the review"},
	{stage: StageFurtherDisclosure, from: []Stage{StageDisclosureReview}, act: policies.ActUpdate, label: "Further disclosure made",
		action: "Record the further disclosure", date: "Date it was served"},
	{stage: StageTrial, from: []Stage{StageFullFile, StageDisclosureReview, StageFurtherDisclosure}, act: policies.ActUpdate, label: "At trial",
		action: "Record the start of the trial", date: "Date the trial started"},
	{stage: StageOutcomes, from: beforeResults, act: policies.ActDecide, label: "Every charge has its outcome",
		action: "Record that every charge has its outcome", date: "Date of the last outcome"},
	{stage: StageSentenced, from: []Stage{StageOutcomes}, act: policies.ActDecide, label: "Sentenced",
		action: "Record the sentence and orders", date: "Date of sentence", fields: Fields{STPO: true, Details: true}},
	// Reparation orders need a confiscation order (MSA 2015 s8, DOMAIN.md §B4): recorded with it.
	{stage: StageConfiscation, from: []Stage{StageSentenced}, act: policies.ActDecide, label: "Confiscation order made (POCA 2002)",
		action: "Record the confiscation order", date: "Date of the order", fields: Fields{Amount: true, Reparation: true}},
}

// closable are the stages after which the case file may be closed: outcomes with no conviction
// (next checks that), a sentence, a confiscation order.
var closable = []Stage{StageOutcomes, StageSentenced, StageConfiscation}

// stepTo is the step that reaches stage s.
func stepTo(s Stage) (step, bool) {
	i := slices.IndexFunc(steps, func(x step) bool { return x.stage == s })
	if i < 0 {
		return step{}, false
	}
	return steps[i], true
}

// Label is the stage as pages show it.
func (s Stage) Label() string {
	switch s {
	case StageCharged:
		return "Charged: first hearing file not recorded yet"
	case StageClosed:
		return "Closed"
	}
	if st, ok := stepTo(s); ok {
		return st.label
	}
	return string(s)
}

// next is the stage machine: whether a case at from may take the step to to.
func next(from, to Stage) bool {
	st, ok := stepTo(to)
	return ok && slices.Contains(st.from, from)
}

// refusal explains why a case at from cannot take the step to to.
func refusal(from, to Stage) error {
	st, _ := stepTo(to)
	var after []string
	for _, f := range st.from {
		after = append(after, strings.ToLower(f.Label()))
	}
	return core.Conflict(st.action + " is not the next step: the case is at \"" + from.Label() + "\". It follows: " + strings.Join(after, "; ") + ".")
}
