package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/terms"
)

// The JSON API of the operations database (issue 12): operations, their team, case files,
// potential victims and suspects with their charges, and a case file's operation.

// operationRequest is an operation as the API takes it. lead_officer is an email address;
// partners are organisation slugs.
type operationRequest struct {
	Reference      string               `json:"reference"`
	Name           string               `json:"name"`
	LeadOfficer    string               `json:"lead_officer"`
	Status         terms.Status         `json:"status"`
	StartedOn      Date                 `json:"started_on"`
	EndedOn        Date                 `json:"ended_on"`
	Exploitation   []terms.Exploitation `json:"exploitation"`
	Children       bool                 `json:"children_involved"`
	OrganisedCrime bool                 `json:"organised_crime_group"`
	CrossBorder    bool                 `json:"cross_border"`
	Covert         bool                 `json:"covert"`
	Partners       []string             `json:"partners"`
}

func (r operationRequest) input() operations.OperationInput {
	in := operations.OperationInput{Reference: r.Reference, Name: r.Name, LeadOfficer: r.LeadOfficer, Status: r.Status, EndedOn: r.EndedOn.T,
		Exploitation: r.Exploitation, Children: r.Children, OrganisedCrime: r.OrganisedCrime, CrossBorder: r.CrossBorder, Covert: r.Covert, Partners: r.Partners}
	if r.StartedOn.T != nil {
		in.StartedOn = *r.StartedOn.T
	}
	return in
}

type personRequest struct {
	Reference    string               `json:"reference"`
	AgeBand      terms.AgeBand        `json:"age_band"`
	Sex          terms.Sex            `json:"sex"`
	Nationality  string               `json:"nationality"`
	Exploitation []terms.Exploitation `json:"exploitation"`
}

func (r personRequest) input() operations.PersonInput {
	return operations.PersonInput{Reference: r.Reference, AgeBand: r.AgeBand, Sex: r.Sex, Nationality: r.Nationality, Exploitation: r.Exploitation}
}

type victimRequest struct {
	personRequest
	NRMReferredOn   Date                 `json:"nrm_referred_on"`
	FirstResponder  terms.FirstResponder `json:"first_responder"`
	RGDecidedOn     Date                 `json:"rg_decided_on"`
	RGOutcome       terms.Decision       `json:"rg_outcome"`
	CGDecidedOn     Date                 `json:"cg_decided_on"`
	CGOutcome       terms.Decision       `json:"cg_outcome"`
	DutyToNotify    bool                 `json:"duty_to_notify"`
	Safeguarding    bool                 `json:"safeguarding"`
	SupportAccepted bool                 `json:"support_accepted"`
}

func (r victimRequest) input() operations.VictimInput {
	return operations.VictimInput{PersonInput: r.personRequest.input(), NRMReferredOn: r.NRMReferredOn.T, FirstResponder: r.FirstResponder,
		RGDecidedOn: r.RGDecidedOn.T, RGOutcome: r.RGOutcome, CGDecidedOn: r.CGDecidedOn.T, CGOutcome: r.CGOutcome,
		DutyToNotify: r.DutyToNotify, Safeguarding: r.Safeguarding, SupportAccepted: r.SupportAccepted}
}

type chargeRequest struct {
	Offence   terms.Offence `json:"offence"`
	ChargedOn Date          `json:"charged_on"`
	Outcome   terms.Outcome `json:"outcome"`
	OutcomeOn Date          `json:"outcome_on"`
}

func (r chargeRequest) input() operations.ChargeInput {
	in := operations.ChargeInput{Offence: r.Offence, Outcome: r.Outcome, OutcomeOn: r.OutcomeOn.T}
	if r.ChargedOn.T != nil {
		in.ChargedOn = *r.ChargedOn.T
	}
	return in
}

// suspectRequest is a suspect; charges, when present, replace the suspect's charges in order
// (absent keeps them).
type suspectRequest struct {
	personRequest
	Role               terms.SuspectRole `json:"role"`
	ArrestedOn         Date              `json:"arrested_on"`
	S45Raised          bool              `json:"s45_raised"`
	SentenceMonths     *int              `json:"sentence_months"`
	STPO               bool              `json:"stpo"`
	ReparationOrder    bool              `json:"reparation_order"`
	ConfiscationPounds int64             `json:"confiscation_pounds"`
	Charges            *[]chargeRequest  `json:"charges"`
}

func (r suspectRequest) input() operations.SuspectInput {
	in := operations.SuspectInput{PersonInput: r.personRequest.input(), Role: r.Role, ArrestedOn: r.ArrestedOn.T, S45Raised: r.S45Raised,
		SentenceMonths: r.SentenceMonths, STPO: r.STPO, ReparationOrder: r.ReparationOrder, ConfiscationPounds: r.ConfiscationPounds}
	if r.Charges != nil {
		in.Charges = []operations.ChargeInput{}
		for _, c := range *r.Charges {
			in.Charges = append(in.Charges, c.input())
		}
	}
	return in
}

type memberRequest struct {
	Email string `json:"email"`
}

type caseLinkRequest struct {
	CaseID int64 `json:"case_id"`
}

type outcomeRequest struct {
	Outcome   terms.Outcome `json:"outcome"`
	OutcomeOn Date          `json:"outcome_on"`
}

// inputRequest is a JSON request body that becomes the input type of an operation.
type inputRequest[In any] interface{ input() In }

// fromBody adapts an operation that takes its own input type to withBody, which decodes the
// request R: the creates.
func fromBody[R inputRequest[In], In, T any](op func(context.Context, core.Actor, In) (T, error)) func(context.Context, core.Actor, R) (T, error) {
	return func(ctx context.Context, who core.Actor, r R) (T, error) {
		return op(ctx, who, r.input())
	}
}

// fromBodyOnID is fromBody for byIDWith: an operation on :id.
func fromBodyOnID[R inputRequest[In], In, T any](op func(context.Context, core.Actor, int64, In) (T, error)) func(context.Context, core.Actor, int64, R) (T, error) {
	return func(ctx context.Context, who core.Actor, id int64, r R) (T, error) {
		return op(ctx, who, id, r.input())
	}
}

// fromBodyOnPart is fromBody for byIDsWith: an operation on a part of :id (a victim, a suspect).
func fromBodyOnPart[R inputRequest[In], In, T any](op func(context.Context, core.Actor, int64, int64, In) (T, error)) func(context.Context, core.Actor, int64, int64, R) (T, error) {
	return func(ctx context.Context, who core.Actor, id, part int64, r R) (T, error) {
		return op(ctx, who, id, part, r.input())
	}
}

// operationFilter is the operation list's filter: ?q=, ?status= (repeated).
func operationFilter(c *gin.Context) (operations.Filter, error) {
	f := operations.Filter{Query: c.Query("q")}
	for _, st := range c.QueryArray("status") {
		f.Status = append(f.Status, terms.Status(st))
	}
	return f, nil
}

func partnerChoices(ops *operations.Service) func(context.Context, core.Actor) (gin.H, error) {
	return func(ctx context.Context, who core.Actor) (gin.H, error) {
		out, err := ops.PartnerChoices(ctx, who, 0)
		return gin.H{"organisations": out}, err
	}
}

func operationMemberAdd(ops *operations.Service) func(context.Context, core.Actor, int64, memberRequest) (operations.Member, error) {
	return func(ctx context.Context, who core.Actor, id int64, r memberRequest) (operations.Member, error) {
		return ops.AddMember(ctx, who, id, r.Email)
	}
}

func operationMemberRemove(ops *operations.Service) func(context.Context, core.Actor, int64, int64) (struct{}, error) {
	return func(ctx context.Context, who core.Actor, id, member int64) (struct{}, error) {
		return struct{}{}, ops.RemoveMember(ctx, who, id, member)
	}
}

// handleChargeUpdate changes one charge: /operations/:id/suspects/:suspect/charges/:charge.
func handleChargeUpdate(ops *operations.Service) gin.HandlerFunc {
	return serve(http.StatusOK, []string{"id", "suspect", "charge"}, func(ctx context.Context, who core.Actor, ids []int64, r chargeRequest) (operations.SuspectView, error) {
		return ops.UpdateCharge(ctx, who, ids[0], ids[1], ids[2], r.input())
	})
}

func caseLink(ops *operations.Service) func(context.Context, core.Actor, int64, caseLinkRequest) (gin.H, error) {
	return func(ctx context.Context, who core.Actor, id int64, r caseLinkRequest) (gin.H, error) {
		if err := ops.LinkCase(ctx, who, id, r.CaseID); err != nil {
			return nil, err
		}
		return gin.H{"operation_id": id, "case_id": r.CaseID}, nil
	}
}

func caseUnlink(ops *operations.Service) func(context.Context, core.Actor, int64, int64) (struct{}, error) {
	return func(ctx context.Context, who core.Actor, id, caseID int64) (struct{}, error) {
		return struct{}{}, ops.UnlinkCase(ctx, who, id, caseID)
	}
}

// personCase attaches a victim or suspect to a case file of the operation (case_id 0 detaches).
func personCase(ops *operations.Service, kind string) func(context.Context, core.Actor, int64, int64, caseLinkRequest) (gin.H, error) {
	return func(ctx context.Context, who core.Actor, id, person int64, r caseLinkRequest) (gin.H, error) {
		if err := ops.AttachToCase(ctx, who, id, kind, person, r.CaseID); err != nil {
			return nil, err
		}
		return gin.H{"id": person, "case_id": r.CaseID}, nil
	}
}

// caseOperation is a case file's operation, under "operation" (null when it has none).
func caseOperation(ops *operations.Service) func(context.Context, core.Actor, int64) (gin.H, error) {
	return func(ctx context.Context, who core.Actor, id int64) (gin.H, error) {
		co, err := ops.ForCase(ctx, who, id)
		return gin.H{"operation": co}, err
	}
}

func outcomeRecord(ops *operations.Service) func(context.Context, core.Actor, int64, int64, outcomeRequest) (operations.SuspectView, error) {
	return func(ctx context.Context, who core.Actor, id, chargeID int64, r outcomeRequest) (operations.SuspectView, error) {
		return ops.RecordOutcome(ctx, who, id, chargeID, operations.OutcomeInput{Outcome: r.Outcome, OutcomeOn: r.OutcomeOn.T})
	}
}
