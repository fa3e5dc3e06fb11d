package api_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/policies"
)

// BenchmarkSignIn is a whole sign-in through the page: CSRF, throttle check, argon2id
// verification, session, audit event. One sign-in should cost 50–250 ms of one core (the
// argon2id parameters are chosen for that); sign-ins/s is what one core sustains.
func BenchmarkSignIn(b *testing.B) {
	a := apitest.New(b)
	u := a.NewUser(b, apitest.UserSpec{Roles: []string{policies.RoleOfficer}})
	form := url.Values{"email": {u.Email}, "password": {u.Password}}
	b.ResetTimer()
	for range b.N {
		br := a.Browser() // a browser with no session: load the form, post it
		br.Get(b, "/sign-in")
		if w := br.Submit(b, "/sign-in", form); w.Code != http.StatusSeeOther {
			b.Fatalf("sign-in: %d", w.Code)
		}
	}
	b.StopTimer()
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(perOp*1000, "ms/sign-in")
	b.ReportMetric(1/perOp, "sign-ins/s")
}
