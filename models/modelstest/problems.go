package modelstest

import (
	"errors"
	"testing"

	"github.com/msptp/msphub/models/core"
)

// Problems are the messages of an EINVALID error by field (every problem of a core.Problems, or
// the one field of a single one), failing the test for any other error.
func Problems(t testing.TB, err error) map[string]string {
	t.Helper()
	var e *core.Error
	if !errors.As(err, &e) || e.Code != core.EINVALID {
		t.Fatalf("got %v, want EINVALID", err)
	}
	out := map[string]string{}
	for _, f := range e.Fields {
		out[f.Field] = f.Message
	}
	if len(e.Fields) == 0 {
		out[e.Field] = e.Message
	}
	return out
}

// Must fails the test at once on an error a step of its setup should never return.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// WantCode fails the test unless err carries code; what says which step it was.
func WantCode(t testing.TB, what string, err error, code core.Code) {
	t.Helper()
	if got := core.ErrorCode(err); got != code {
		t.Errorf("%s: %v (code %q), want %q", what, err, got, code)
	}
}
