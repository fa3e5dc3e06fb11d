package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/models/training"
	"github.com/msptp/msphub/policies"
)

// A change saved from a row read before another transaction changed it never writes back what
// that transaction changed: an account disabled, an organisation deactivated or a course
// published while an edit of it waited stays so. On PostgreSQL the edit waited for the row lock
// and then wrote every column as it had read them: the account was live again.
func TestAChangeThatWaitedKeepsWhatChangedMeanwhile(t *testing.T) {
	a := apitest.New(t)
	ctx := context.Background()
	admin := actorOfUser(t, a, a.As(t, policies.RoleAdmin))

	t.Run("an account disabled while its name was edited", func(t *testing.T) {
		u := a.NewUser(t, apitest.UserSpec{Roles: []string{policies.RoleOfficer}})
		was, err := a.Services.Users.Get(ctx, admin, u.ID)
		modelstest.Must(t, err)
		modelstest.Must(t, meanwhile(t, a, func() error {
			_, err := a.Services.Users.Update(ctx, admin, u.ID, identity.UserInput{Email: was.Email, Name: "Renamed Officer",
				VettingLevel: was.VettingLevel, VettingExpiresOn: was.VettingExpiresOn})
			return err
		}, "UPDATE users SET disabled_at = ? WHERE id = ?", a.Clock.Now(), u.ID))
		var now core.User
		modelstest.Must(t, a.DB.Gorm().Take(&now, u.ID).Error)
		if now.DisabledAt == nil || now.Name != "Renamed Officer" {
			t.Errorf("after both: disabled at %v, name %q; want disabled and renamed", now.DisabledAt, now.Name)
		}
	})

	t.Run("an organisation deactivated while it was renamed", func(t *testing.T) {
		id := a.Org(t, "kent-police")
		var org core.Organisation
		modelstest.Must(t, a.DB.Gorm().Take(&org, id).Error)
		modelstest.Must(t, meanwhile(t, a, func() error {
			_, err := a.Services.Organisations.Update(ctx, admin, id, identity.OrganisationInput{Name: "Kent Police (renamed)",
				Kind: org.Kind, Region: org.Region, ROCUID: org.ROCU()})
			return err
		}, "UPDATE organisations SET active = ? WHERE id = ?", false, id))
		modelstest.Must(t, a.DB.Gorm().Take(&org, id).Error)
		if org.Active || org.Name != "Kent Police (renamed)" {
			t.Errorf("after both: active %v, name %q; want inactive and renamed", org.Active, org.Name)
		}
	})

	t.Run("a course published while it was edited", func(t *testing.T) {
		trainer := actorOfUser(t, a, a.As(t, policies.RoleTrainer))
		in := training.CourseInput{Code: "LOST-1", Title: "Modern slavery awareness", Description: "First steps.",
			ApprovalDays: 14, CPDHours: 3, Classification: "OFFICIAL"}
		c, err := a.Services.Training.CreateCourse(ctx, trainer, in)
		modelstest.Must(t, err)
		in.Title = "Modern slavery awareness for first responders"
		modelstest.Must(t, meanwhile(t, a, func() error {
			_, err := a.Services.Training.UpdateCourse(ctx, trainer, c.ID, in)
			return err
		}, "UPDATE courses SET status = ?, published_at = ? WHERE id = ?", training.CoursePublished, a.Clock.Now(), c.ID))
		var now training.Course
		modelstest.Must(t, a.DB.Gorm().Take(&now, c.ID).Error)
		if now.Status != training.CoursePublished || now.Title != in.Title {
			t.Errorf("after both: status %q, title %q; want published and the new title", now.Status, now.Title)
		}
	})
}

// meanwhile runs change while another transaction, which has run write, holds what it changes;
// that transaction commits while change waits. It returns what change returned.
func meanwhile(t *testing.T, a *apitest.App, change func() error, write string, args ...any) error {
	t.Helper()
	ctx := context.Background()
	locked, release, wrote := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		wrote <- a.DB.InTx(ctx, func(ctx context.Context) error {
			err := a.DB.Conn(ctx).Exec(write, args...).Error
			close(locked)
			if err != nil {
				return err
			}
			<-release // the change begins meanwhile, and waits
			return nil
		})
	}()
	<-locked
	changed := make(chan error, 1)
	go func() { changed <- change() }()
	time.Sleep(300 * time.Millisecond) // long enough for the change to be waiting
	close(release)
	modelstest.Must(t, <-wrote)
	return <-changed
}
