// Package offence is the vocabulary of the offences a case file is about: the Modern Slavery
// Act offences, conspiracy and the alternative charges of DOMAIN.md §B1 and §F4, each with its
// label and the checklist template it brings. It imports nothing of MSP Hub.
package offence

import "slices"

// Offence is an offence a case file is about: the Modern Slavery Act offences, conspiracy and
// the alternative charges of DOMAIN.md §B1 and §F4. Its code is what is stored and sent; pages
// show its Label.
type Offence string

// The offences.
const (
	S1                   Offence = "msa_s1"
	S2                   Offence = "msa_s2"
	S4                   Offence = "msa_s4"
	S30                  Offence = "msa_s30"
	Conspiracy           Offence = "conspiracy"
	Immigration          Offence = "immigration_s25"
	ControllingProstitut Offence = "controlling_prostitution"
	MoneyLaundering      Offence = "money_laundering"
	Gangmaster           Offence = "gangmaster_s12"
	CountyLines          Offence = "county_lines"
	ChildNeglect         Offence = "child_neglect"
	Sexual               Offence = "sexual_offences"
	Assault              Offence = "assault"
	FalseImprisonment    Offence = "false_imprisonment"
	Kidnap               Offence = "kidnap"
	Fraud                Offence = "fraud"
	FalseDocuments       Offence = "false_documents"
	// FraudMoneyLaundering is the one choice that fraud and money laundering were until
	// money laundering got its own template: cases that have it keep it, forms no longer offer it.
	FraudMoneyLaundering Offence = "fraud_money_laundering"
)

// offenceInfo is what MSP Hub knows of an offence: its label, the checklist template it brings
// ("" for none) and whether forms still offer it.
type offenceInfo struct {
	offence  Offence
	label    string
	template string
	retired  bool // valid on a case and through the API, no longer offered by forms
}

// offences are the offences MSP Hub knows, in the order forms offer them. A conspiracy count
// brings its own template, and the offence agreed on (selected with it) brings that offence's.
// controlling_prostitution kept its code when it grew to SOA 2003 ss52–53A, so older cases
// charging it gain that template when next changed.
var offences = []offenceInfo{
	{S1, "Slavery, servitude, forced or compulsory labour (MSA 2015 s1)", "T1", false},
	{S2, "Human trafficking (MSA 2015 s2)", "T2", false},
	{S4, "Offence committed with intent to commit s2 (MSA 2015 s4)", "T3", false},
	{S30, "Breach of an STPO or STRO (MSA 2015 s30)", "T6", false},
	{Conspiracy, "Conspiracy to commit an offence selected here (Criminal Law Act 1977 s1)", "T7", false},
	{Immigration, "Facilitating unlawful immigration (Immigration Act 1971 s25)", "T8", false},
	{ControllingProstitut, "Causing or controlling prostitution; paying for sexual services of a person subjected to force (Sexual Offences Act 2003 ss52–53A)", "T9", false},
	{MoneyLaundering, "Money laundering (POCA 2002 ss327–329)", "T10", false},
	{Gangmaster, "Gangmaster offences (Gangmasters (Licensing) Act 2004 s12)", "T11", false},
	{CountyLines, "County lines drug supply (Misuse of Drugs Act 1971 s4(3))", "T12", false},
	{ChildNeglect, "Child neglect", "", false},
	{Sexual, "Other sexual offences", "", false},
	{Assault, "Assault", "", false},
	{FalseImprisonment, "False imprisonment", "", false},
	{Kidnap, "Kidnap", "", false},
	{Fraud, "Fraud", "", false},
	{FalseDocuments, "False documents", "", false},
	{FraudMoneyLaundering, "Fraud and money laundering", "", true},
}

// List is the offences forms offer, in their order.
func List() []Offence {
	var out []Offence
	for _, k := range offences {
		if !k.retired {
			out = append(out, k.offence)
		}
	}
	return out
}

// info is what MSP Hub knows of o; false for a code it does not know.
func (o Offence) info() (offenceInfo, bool) {
	i := slices.IndexFunc(offences, func(k offenceInfo) bool { return k.offence == o })
	if i < 0 {
		return offenceInfo{}, false
	}
	return offences[i], true
}

// Known reports whether MSP Hub knows o.
func (o Offence) Known() bool {
	_, ok := o.info()
	return ok
}

// Retired reports whether forms no longer offer o (a case may still have it).
func (o Offence) Retired() bool {
	k, _ := o.info()
	return k.retired
}

// Label is the offence as pages show it.
func (o Offence) Label() string {
	if k, ok := o.info(); ok {
		return k.label
	}
	return string(o)
}

// Template is the code of the checklist template an offence brings, or "".
func (o Offence) Template() string {
	k, _ := o.info()
	return k.template
}
