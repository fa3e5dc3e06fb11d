package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
)

// A trainer opening a session they teach sees its bookings as they stand (booking open or
// closed, places taken, the waiting list), not "You have not booked this session".
func TestTrainerSeesTheSessionsBookingState(t *testing.T) {
	a := apitest.New(t)
	trainer, s := newTrainerSession(t, a, 2)
	for _, l := range newTrainingLearners(t, a, 3, "") {
		if code, msg, _ := requestPlace(t, a, l, s); code != http.StatusCreated {
			t.Fatalf("request a place: %d %s", code, msg)
		}
	}
	w := trainer.Browser().Get(t, fmt.Sprintf("/sessions/%d", s.ID))
	page := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("session page: %d", w.Code)
	}
	for _, want := range []string{"You teach this session. Booking is open until", "2 of 2 places are taken and 1 person is on the waiting list."} {
		if !strings.Contains(page, want) {
			t.Errorf("the trainer's session page lacks %q", want)
		}
	}
	if strings.Contains(page, "You have not booked this session") {
		t.Error("the trainer's session page speaks of their own booking")
	}
}
