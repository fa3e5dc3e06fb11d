package core

// ToDo is one kind of work waiting on a person, for their home page ("Things for you to do"):
// what it is, how many wait, and the page where they act on them. Each domain computes its own
// (ToDo methods) with COUNT queries under the same policy as the operations, and lists only
// the kinds the person may do at all; a kind they may do with nothing waiting has Count 0.
type ToDo struct {
	Key   string `json:"key"`   // stable name of the kind, e.g. "packs_to_sign_off"
	Label string `json:"label"` // what waits, as the home page says it: "Packs to sign off"
	Count int64  `json:"count"`
	Link  string `json:"link"` // the page where the work is done
}
