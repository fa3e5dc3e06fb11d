package frontend

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/models/core"
)

// confirmation is the question a page asks before an action that cannot be undone.
type confirmation struct {
	Heading string
	Body    string
	Button  string
	Warning bool // the action takes something away: a red button
}

// Actions that cannot be undone, and what the person is asked before each (GOV.UK: a
// confirmation page, which works without JavaScript).
var confirmations = map[string]confirmation{
	"withdraw": {Heading: "Are you sure you want to withdraw from this session?",
		Body:   "Your place goes to the next person on the waiting list. To come back you would have to book again, if a place is still free.",
		Button: "Yes, withdraw", Warning: true},
	"complete": {Heading: "Are you sure you want to complete the session and issue certificates?",
		Body:   "The register closes: everyone marked as attending every day gets a certificate and everyone else has not completed. Learners are told, and the register cannot be changed afterwards.",
		Button: "Yes, complete and issue certificates"},
	"approve-pack": {Heading: "Are you sure you want to approve the pack?",
		Body:   "The pack is approved as it stands now, with your name, and can then be shared with the CPS.",
		Button: "Yes, approve the pack"},
	"return-pack": {Heading: "Are you sure you want to return the pack to the team?",
		Body:   "The pack goes back to the team with your reasons, and must be submitted again before it can be approved.",
		Button: "Yes, return the pack", Warning: true},
	"revoke-share": {Heading: "Are you sure you want to stop sharing the pack with the CPS?",
		Body:   "The CPS liaison loses access to the pack at once. You can share it again later.",
		Button: "Yes, stop sharing", Warning: true},
	"disable-user": {Heading: "Are you sure you want to disable this account?",
		Body:   "The person can no longer sign in, and their sessions and API tokens stop working at once. Nothing of theirs is deleted, and you can enable the account again.",
		Button: "Yes, disable the account", Warning: true},
}

// confirmView is the confirmation page: the question, and a form that posts the same fields
// again with confirmed=yes, or a way back.
type confirmView struct {
	confirmation
	Action string
	Fields url.Values
	Back   string
}

// Confirm asks before the action of kind: a post without confirmed=yes shows the confirmation
// page, which posts it again with the person's answer; nothing is done until then. Only someone
// who can see the object the action is on is asked (anyone else gets the answer the object's own
// page gives them: not found); the action itself then decides whether they may take it.
func (p *Pages) Confirm(kind string) gin.HandlerFunc {
	cf, ok := confirmations[kind]
	if !ok {
		panic("frontend: no confirmation " + kind)
	}
	see := p.seeing(kind)
	return func(c *gin.Context) {
		if c.PostForm("confirmed") == "yes" {
			c.Next()
			return
		}
		id, ok := api.PathID(c, "id")
		if !ok {
			return
		}
		if err := see(c.Request.Context(), actor(c), id); err != nil {
			api.WriteError(c, err)
			return
		}
		fields := url.Values{}
		for k, v := range c.Request.PostForm {
			if k != "csrf_token" && k != "confirmed" {
				fields[k] = v
			}
		}
		v := confirmView{confirmation: cf, Action: c.Request.URL.Path, Fields: fields, Back: backTo(c)}
		p.render(c, http.StatusOK, "confirm", page{Title: cf.Heading, Data: v})
		c.Abort()
	}
}

// seeing is how Confirm checks that the actor can see what the action of kind is on (its :id).
func (p *Pages) seeing(kind string) func(context.Context, core.Actor, int64) error {
	switch kind {
	case "withdraw":
		return seen(p.s.Training.GetEnrolment)
	case "complete":
		return seen(p.s.Training.GetSession)
	case "approve-pack", "return-pack", "revoke-share":
		return seen(p.s.CaseFiles.Get)
	case "disable-user":
		return seen(p.s.Users.Get)
	}
	panic("frontend: no confirmation " + kind)
}

// seen is a read of one object as a check that the actor can see it.
func seen[T any](get func(context.Context, core.Actor, int64) (T, error)) func(context.Context, core.Actor, int64) error {
	return func(ctx context.Context, a core.Actor, id int64) error {
		_, err := get(ctx, a, id)
		return err
	}
}

// backTo is where "No, go back" leads: the page the form was on, when the browser says so and it
// is a page of MSP Hub, else the home page.
func backTo(c *gin.Context) string {
	ref, err := url.Parse(c.Request.Referer())
	if err != nil || ref.Path == "" || !strings.HasPrefix(ref.Path, "/") || strings.HasPrefix(ref.Path, "//") ||
		(ref.Host != "" && ref.Host != c.Request.Host) {
		return "/"
	}
	if ref.RawQuery != "" {
		return ref.Path + "?" + ref.RawQuery
	}
	return ref.Path
}
