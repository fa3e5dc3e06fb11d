package api

import (
	"context"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/casefile/court"
	"github.com/msptp/msphub/models/core"
)

// The JSON routes of a case file after charge (issue 13): its stage, steps and custody.

type courtStepRequest struct {
	Step         court.Stage `json:"step"`
	On           Date        `json:"on"`
	NextOn       Date        `json:"next_on"`
	Plea         court.Plea  `json:"plea"`
	STPO         bool        `json:"stpo"`
	Reparation   bool        `json:"reparation"`
	AmountPounds int64       `json:"amount_pounds"`
	Details      string      `json:"details"`
}

type courtCustodyRequest struct {
	Defendant    string              `json:"defendant"`
	Status       court.CustodyStatus `json:"status"`
	SinceOn      Date                `json:"since_on"`
	CTLExpiresOn Date                `json:"ctl_expires_on"`
}

func courtView(cs *court.Service) func(context.Context, core.Actor, int64) (gin.H, error) {
	return func(ctx context.Context, who core.Actor, id int64) (gin.H, error) {
		v, err := cs.ForCase(ctx, who, id)
		return gin.H{"court": v}, err
	}
}

func courtStep(cs *court.Service) func(context.Context, core.Actor, int64, courtStepRequest) (*court.View, error) {
	return func(ctx context.Context, who core.Actor, id int64, r courtStepRequest) (*court.View, error) {
		return cs.Record(ctx, who, id, court.StepInput{Step: r.Step, On: r.On.T, NextOn: r.NextOn.T, Plea: r.Plea, STPO: r.STPO,
			Reparation: r.Reparation, AmountPounds: r.AmountPounds, Details: r.Details})
	}
}

func courtCustody(cs *court.Service) func(context.Context, core.Actor, int64, courtCustodyRequest) (*court.View, error) {
	return func(ctx context.Context, who core.Actor, id int64, r courtCustodyRequest) (*court.View, error) {
		return cs.SetCustody(ctx, who, id, court.CustodyInput{Defendant: r.Defendant, Status: r.Status, SinceOn: r.SinceOn.T, CTLExpiresOn: r.CTLExpiresOn.T})
	}
}
