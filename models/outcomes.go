package models

import (
	"context"

	"github.com/msptp/msphub/models/casefile/court"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/terms"
)

// caseCharges hands the case after charge the outcomes of a case's charges: they are the
// operation's suspect records (#9), read through the case as its page shows them, not a copy.
type caseCharges struct{ ops *operations.Service }

// Charges counts the charges of the suspects attached to case caseID, decided and convicted.
func (c caseCharges) Charges(ctx context.Context, who core.Actor, caseID int64) (court.Charges, error) {
	var out court.Charges
	co, err := c.ops.ForCase(ctx, who, caseID)
	if err != nil || co == nil {
		return out, err
	}
	for _, s := range co.Suspects {
		for _, ch := range s.Charges {
			out.Total++
			if ch.Outcome != "" {
				out.Decided++
			}
			if ch.Outcome.Convicted() {
				out.Convicted++
				if ch.Offence == terms.OffenceS1 || ch.Offence == terms.OffenceS2 || ch.Offence == terms.OffenceS4 {
					out.ConvictedMSA++
				}
			}
		}
	}
	return out, nil
}
