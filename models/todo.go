package models

import (
	"context"

	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/models/training"
)

// toDoOrder is the order the home page lists the kinds of work in.
var toDoOrder = []string{
	training.ToDoApprovals, casefile.ToDoPacks, casefile.ToDoActions, guidance.ToDoAcknowledge, guidance.ToDoApprove,
	guidance.ToDoReview, training.ToDoRegisters, training.ToDoCertificates, casefile.ToDoShares,
}

// ToDo lists the kinds of work that wait on who, for their home page ("Things for you to do"):
// each domain counts its own under the policy, listing only the kinds who may do at all, and
// this keeps those with something waiting, in a fixed order. Empty: nothing waits. Anyone
// signed in may call it.
func (s *Services) ToDo(ctx context.Context, who core.Actor) ([]core.ToDo, error) {
	byKey := map[string]core.ToDo{}
	for _, f := range []func(context.Context, core.Actor) ([]core.ToDo, error){s.Training.ToDo, s.CaseFiles.ToDo, s.Guidance.ToDo} {
		list, err := f(ctx, who)
		if err != nil {
			return nil, err
		}
		for _, t := range list {
			byKey[t.Key] = t
		}
	}
	out := []core.ToDo{}
	for _, k := range toDoOrder {
		if t, ok := byKey[k]; ok && t.Count > 0 {
			out = append(out, t)
		}
	}
	return out, nil
}
