package core

import (
	"time"
	_ "time/tzdata" // Europe/London even on a machine without a zone database
)

// London is where every user of MSP Hub reads times: pages show UK time, share expiry days and
// training dates end at UK midnight, and the database keeps UTC.
var London = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic("models/core: no Europe/London in the embedded zone database: " + err.Error())
	}
	return loc
}()
