package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/policies"
	"gorm.io/gorm"
)

// statementCounter counts the statements gorm sends on db while it is on, by kind.
type statementCounter struct {
	on            atomic.Bool
	reads, writes atomic.Int64
}

func countStatements(t *testing.T, db *gorm.DB) *statementCounter {
	t.Helper()
	c := &statementCounter{}
	read := func(*gorm.DB) {
		if c.on.Load() {
			c.reads.Add(1)
		}
	}
	write := func(*gorm.DB) {
		if c.on.Load() {
			c.writes.Add(1)
		}
	}
	cb := db.Callback()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register("test:count_query", read),
		cb.Row().After("gorm:row").Register("test:count_row", read),
		cb.Raw().After("gorm:raw").Register("test:count_raw", write),
		cb.Create().After("gorm:create").Register("test:count_create", write),
		cb.Update().After("gorm:update").Register("test:count_update", write),
		cb.Delete().After("gorm:delete").Register("test:count_delete", write),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// during counts the statements fn sends.
func (c *statementCounter) during(fn func()) (reads, writes int64) {
	c.reads.Store(0)
	c.writes.Store(0)
	c.on.Store(true)
	fn()
	c.on.Store(false)
	return c.reads.Load(), c.writes.Load()
}

// A session or a bearer token resolves to its actor with one query (the credential joined to its
// user and organisation) and writes nothing, except the touch once a minute; disabling the user
// still takes effect on the very next request.
func TestAuthenticationIsOneQuery(t *testing.T) {
	a := apitest.New(t)
	u := a.As(t, policies.RoleOrgAdmin)
	w := a.API(t, u, "POST", "/api/v1/tokens", `{"name":"reporting","scope":"read","expires_in_days":30}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create token: %d %s", w.Code, w.Body)
	}
	var created struct{ Token string }
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	count := countStatements(t, a.DB.Gorm())
	sessions, tokens := a.Services.Sessions, a.Services.Tokens

	session := func(want string) (int64, int64) {
		t.Helper()
		var err error
		reads, writes := count.during(func() { _, _, err = sessions.Authenticate(ctx, u.Cookie) })
		if (err == nil) != (want == "ok") {
			t.Fatalf("session authenticate: %v, want %s", err, want)
		}
		return reads, writes
	}
	token := func(want string) (int64, int64) {
		t.Helper()
		var err error
		reads, writes := count.during(func() { _, err = tokens.Authenticate(ctx, created.Token) })
		if (err == nil) != (want == "ok") {
			t.Fatalf("token authenticate: %v, want %s", err, want)
		}
		return reads, writes
	}

	a.Clock.Advance(2 * time.Minute) // both are due their once-a-minute touch
	if r, w := session("ok"); r != 1 || w != 1 {
		t.Errorf("session, touch due: %d reads %d writes, want 1 and 1", r, w)
	}
	if r, w := token("ok"); r != 1 || w != 1 {
		t.Errorf("token, touch due: %d reads %d writes, want 1 and 1", r, w)
	}
	for i := 0; i < 3; i++ {
		if r, w := session("ok"); r != 1 || w != 0 {
			t.Errorf("session read %d: %d reads %d writes, want 1 and 0", i, r, w)
		}
		if r, w := token("ok"); r != 1 || w != 0 {
			t.Errorf("token read %d: %d reads %d writes, want 1 and 0", i, r, w)
		}
	}

	// Disabling the user ends both at once, with no cache to wait out.
	admin := a.As(t, policies.RoleOrgAdmin)
	if w := a.API(t, admin, "POST", "/api/v1/users/"+itoa(u.ID)+"/disable", ""); w.Code != http.StatusOK && w.Code != http.StatusNoContent {
		t.Fatalf("disable: %d %s", w.Code, w.Body)
	}
	token("refused")
	session("refused")
}
