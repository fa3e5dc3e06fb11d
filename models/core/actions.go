package core

// Actions says what the actor may do with the thing a view shows. Every view a page or the API
// returns carries one, filled in models from the same policy decision (and state rules) as the
// operation itself, so a page never offers a button that would be refused and never looks at
// roles. The operations decide again when called.
//
// A field is set only when the action is open; the JSON holds only those ("actions": {"edit":
// true}).
type Actions struct {
	Acknowledge  bool `json:"acknowledge,omitempty"`   // guidance: acknowledge having read it
	Action       bool `json:"action,omitempty"`        // case: CPS raises an action
	AddEvidence  bool `json:"add_evidence,omitempty"`  // case: add an exhibit
	Advise       bool `json:"advise,omitempty"`        // case: CPS gives advice
	Approve      bool `json:"approve,omitempty"`       // case: sign off the pack
	AssignRole   bool `json:"assign_role,omitempty"`   // user: change their roles
	Bulk         bool `json:"bulk,omitempty"`          // training session: enrol staff in bulk
	Cancel       bool `json:"cancel,omitempty"`        // training session: cancel it
	Charge       bool `json:"charge,omitempty"`        // case: the police record the charge the CPS authorised
	Close        bool `json:"close,omitempty"`         // case: close the case file
	Create       bool `json:"create,omitempty"`        // a list: add one
	Decide       bool `json:"decide,omitempty"`        // case: CPS charging decision
	Disable      bool `json:"disable,omitempty"`       // user: disable or enable the account
	Edit         bool `json:"edit,omitempty"`          // guidance version: change it
	Export       bool `json:"export,omitempty"`        // case: export the pack
	ExportMG6D   bool `json:"export_mg6d,omitempty"`   // case: the restricted export of the MG6D schedule
	Finalise     bool `json:"finalise,omitempty"`      // case: CPS finalises
	Join         bool `json:"join,omitempty"`          // training session: see the joining details
	ManageTeam   bool `json:"manage_team,omitempty"`   // case: change the team
	Publish      bool `json:"publish,omitempty"`       // guidance version: publish it
	Report       bool `json:"report,omitempty"`        // guidance: see who has acknowledged it
	Register     bool `json:"register,omitempty"`      // training session: keep the register, see the learners
	Request      bool `json:"request,omitempty"`       // training session: book a place
	Respond      bool `json:"respond,omitempty"`       // case: answer CPS actions
	Return       bool `json:"return,omitempty"`        // case pack or guidance version: send back
	Review       bool `json:"review,omitempty"`        // case: review items; guidance: record a review
	Revoke       bool `json:"revoke,omitempty"`        // case: end a CPS share
	Share        bool `json:"share,omitempty"`         // case: share with the CPS
	StartVersion bool `json:"start_version,omitempty"` // guidance document: start a new version
	Submit       bool `json:"submit,omitempty"`        // case pack or guidance version: submit
	Update       bool `json:"update,omitempty"`        // change it
	Withdraw     bool `json:"withdraw,omitempty"`      // training session: withdraw from one's booking
}
