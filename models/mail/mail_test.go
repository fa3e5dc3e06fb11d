package mail_test

import (
	"context"
	"fmt"
	"net"
	netmail "net/mail"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/mail"
	"github.com/msptp/msphub/models/mailtest"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/models/training"
	"github.com/msptp/msphub/policies"
)

// mailFixture is MSP Hub's operations on a fresh database of the backend under test, with email
// going to a real SMTP server on loopback and a clock the test moves.
type mailFixture struct {
	db    *core.DB
	deps  core.Deps
	s     *models.Services
	relay *mailtest.Server
	clock *modelstest.Clock
	n     *atomic.Int64
}

const mailPublicURL = "https://msphub.test"

func newMailFixture(t testing.TB, mode mailtest.Mode) *mailFixture {
	t.Helper()
	db := modelstest.OpenDB(t)
	return mailFixtureOn(t, db, mailtest.Start(t, mode), mailClock(), &atomic.Int64{})
}

// mailClock is a test clock standing at a fixed time.
func mailClock() *modelstest.Clock {
	return modelstest.ClockAt(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC))
}

// mailFixtureOn builds the operations over db: two fixtures on two pools of one database are
// two replicas.
func mailFixtureOn(t testing.TB, db *core.DB, relay *mailtest.Server, clock *modelstest.Clock, n *atomic.Int64) *mailFixture {
	t.Helper()
	modelstest.SeedOrganisations(t, db)
	authz := modelstest.Authorizer(t, db)
	d := core.Deps{DB: db, Authz: authz, Secrets: modelstest.Keyring(t), SMTP: relay.Config(), Clock: clock.Now,
		Config: core.Config{PublicURL: mailPublicURL}}
	return &mailFixture{db: db, deps: d, s: models.New(d), relay: relay, clock: clock, n: n}
}

// person creates a user with a password and RV vetting holding roles, and returns them as a
// signed-in request would carry them.
func (f *mailFixture) person(t testing.TB, name string, roles ...string) core.Actor {
	t.Helper()
	ctx := context.Background()
	o, err := f.s.Operator.OrganisationBySlug(ctx, "devon-and-cornwall-police")
	if err != nil {
		t.Fatal(err)
	}
	expires := f.clock.Now().AddDate(2, 0, 0)
	n := f.n.Add(1)
	u, _, err := f.s.Operator.CreateUser(ctx, identity.UserInput{OrganisationID: o.ID, Email: fmt.Sprintf("mail%d@example.police.uk", n),
		Name: name, Roles: roles, VettingLevel: core.VettingRV, VettingExpiresOn: &expires}, "umbrella kettle orbit lantern 47")
	if err != nil {
		t.Fatal(err)
	}
	return core.Actor{UserID: u.ID, OrgID: o.ID, Name: u.Name, Email: u.Email, Roles: u.Roles, Vetting: core.VettingRV,
		Clearance: policies.OfficialSensitive, Vetted: true, MFAPassed: true}
}

func (f *mailFixture) notify(t testing.TB, who core.Actor, kind, text, link string) {
	t.Helper()
	if err := core.Notify(context.Background(), f.deps, who.UserID, kind, text, link); err != nil {
		t.Fatal(err)
	}
}

// deliver runs one delivery and checks its summary.
func (f *mailFixture) deliver(t testing.TB, want string) {
	t.Helper()
	got, err := f.s.Mail.DeliverOutbox(context.Background())
	if err != nil {
		t.Fatalf("deliver: %v (%s)", err, got)
	}
	if got != want {
		t.Fatalf("deliver: %q, want %q", got, want)
	}
}

// outboxRow is what the tests read back of an outbox row.
type outboxRow struct {
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	DeliveredAt   *time.Time
	FailedAt      *time.Time
	ClaimedUntil  *time.Time
	ClaimToken    string
}

func (f *mailFixture) outbox(t testing.TB, userID int64) outboxRow {
	t.Helper()
	var rows []outboxRow
	err := f.db.Gorm().Table("outbox").Select("outbox.*").Joins("JOIN notifications n ON n.id = outbox.notification_id").
		Where("n.user_id = ?", userID).Scan(&rows).Error
	if err != nil || len(rows) != 1 {
		t.Fatalf("outbox of user %d: %d rows, %v", userID, len(rows), err)
	}
	return rows[0]
}

// received is the one message sent to addr, parsed.
func (f *mailFixture) received(t testing.TB, addr string) (mailtest.Message, mailtest.Parsed) {
	t.Helper()
	var found []mailtest.Message
	for _, m := range f.relay.Received() {
		if len(m.To) == 1 && m.To[0] == addr {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d messages to %s, want 1", len(found), addr)
	}
	p, err := found[0].Parse()
	if err != nil {
		t.Fatalf("parse the message to %s: %v\n%s", addr, err, found[0].Data)
	}
	return found[0], p
}

// trainerNotice makes a course marked classification and adds learner... as its second
// trainer, which notifies them through the training area's own operation.
func (f *mailFixture) trainerNotice(t testing.TB, trainer, second core.Actor, code, title, classification string) training.CourseView {
	t.Helper()
	ctx := context.Background()
	c, err := f.s.Training.CreateCourse(ctx, trainer, training.CourseInput{Code: code, Title: title, Description: "Taught in person.", Classification: classification})
	if err != nil {
		t.Fatalf("create course: %v", err)
	}
	if _, err := f.s.Training.AddTrainer(ctx, trainer, c.ID, second.Email); err != nil {
		t.Fatalf("add trainer: %v", err)
	}
	return c
}

// A notification goes to a real relay over STARTTLS and over implicit TLS (trusting the test's
// own CA through the configured pool, with AUTH PLAIN), and over plain SMTP to a relay on
// loopback: one well-formed message each, sent once.
func TestMailDeliveryOverTLS(t *testing.T) {
	for _, mode := range []mailtest.Mode{mailtest.StartTLS, mailtest.ImplicitTLS, mailtest.NoTLS} {
		t.Run(string(mode), func(t *testing.T) {
			f := newMailFixture(t, mode)
			trainer := f.person(t, "Tess Trainer", policies.RoleTrainer)
			second := f.person(t, "Zoë Second", policies.RoleTrainer)
			c := f.trainerNotice(t, trainer, second, "MSA-101", "Modern slavery – first responders", "OFFICIAL")
			f.deliver(t, "1 sent")
			f.deliver(t, "nothing to send")

			msg, p := f.received(t, second.Email)
			if msg.TLS != (mode != mailtest.NoTLS) {
				t.Errorf("over TLS: %v", msg.TLS)
			}
			if mode != mailtest.NoTLS && msg.User != mailtest.Username {
				t.Errorf("authenticated as %q", msg.User)
			}
			if want := "msphub@msphub.test"; msg.From != want {
				t.Errorf("envelope from %q, want %q", msg.From, want)
			}
			if want := "You are now a trainer of a course: MSA-101 Modern slavery – first responders"; p.Subject != want {
				t.Errorf("subject %q, want %q", p.Subject, want)
			}
			raw := string(msg.Data)
			if !regexp.MustCompile(`\r\nSubject:\s+=\?utf-8\?q\?`).MatchString(raw) {
				t.Errorf("the non-ASCII subject is not encoded:\n%s", raw)
			}
			for i := 0; i < len(raw); i++ {
				if raw[i] >= 0x80 {
					t.Fatalf("8-bit byte at %d: the message must be 7-bit", i)
				}
			}
			for _, line := range strings.Split(raw, "\r\n") {
				if len(line) > 998 {
					t.Errorf("a line of %d octets", len(line))
				}
			}
			if d, err := p.Header.Date(); err != nil || !d.Equal(f.clock.Now()) {
				t.Errorf("Date %q: %v", p.Header.Get("Date"), err)
			}
			if !regexp.MustCompile(`^<outbox\.\d+\.\d+@msphub\.test>$`).MatchString(p.Header.Get("Message-Id")) {
				t.Errorf("Message-ID %q", p.Header.Get("Message-Id"))
			}
			if p.Header.Get("MIME-Version") != "1.0" || p.Header.Get("Auto-Submitted") != "auto-generated" {
				t.Errorf("headers %v", p.Header)
			}
			if to, err := p.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Name != "Zoë Second" || to[0].Address != second.Email {
				t.Errorf("To %q: %v", p.Header.Get("To"), err)
			}
			link := fmt.Sprintf("%s/courses/%d", mailPublicURL, c.ID)
			for part, body := range map[string]string{"text": p.Text, "html": p.HTML} {
				if !strings.Contains(body, "You are now a trainer of MSA-101 Modern slavery – first responders.") || !strings.Contains(body, link) {
					t.Errorf("%s part lacks the notification or its link %s:\n%s", part, link, body)
				}
			}
			if !strings.Contains(p.HTML, `<a href="`+link+`"`) {
				t.Errorf("HTML has no link to %s:\n%s", link, p.HTML)
			}
			if row := f.outbox(t, second.UserID); row.DeliveredAt == nil || row.Attempts != 1 || row.ClaimedUntil != nil || row.ClaimToken != "" {
				t.Errorf("outbox after delivery: %+v", row)
			}
		})
	}
}

// The HTML part escapes what it quotes: a course title with markup arrives as text.
func TestMailEscapesHTML(t *testing.T) {
	f := newMailFixture(t, mailtest.StartTLS)
	trainer := f.person(t, "Tess Trainer", policies.RoleTrainer)
	second := f.person(t, `Sam <b>"Second"</b>`, policies.RoleTrainer)
	f.trainerNotice(t, trainer, second, "MSA-102", `Victims <script>alert(1)</script> & "support"`, "OFFICIAL")
	f.deliver(t, "1 sent")
	_, p := f.received(t, second.Email)
	if strings.Contains(p.HTML, "<script>") || strings.Contains(p.HTML, "<b>") {
		t.Errorf("markup from the data reached the HTML part:\n%s", p.HTML)
	}
	if !strings.Contains(p.HTML, "Victims &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;support&#34;") {
		t.Errorf("the title is not escaped as text:\n%s", p.HTML)
	}
	if !strings.Contains(p.Text, `Victims <script>alert(1)</script> & "support"`) {
		t.Errorf("the plain text should carry the title as written:\n%s", p.Text)
	}
}

// A relay that answers 451 is tried again after a back-off that doubles, and the message is
// delivered exactly once when it recovers; one that keeps failing is given up after the cap,
// with the last error kept; a 550 for the recipient is not retried.
func TestMailRetriesWithBackoff(t *testing.T) {
	f := newMailFixture(t, mailtest.StartTLS)
	u := f.person(t, "Rhys Retry", policies.RoleOfficer)
	f.relay.FailNext(2, 451)
	f.notify(t, u, "case_update", "Something happened.", "/casefiles/1")

	f.deliver(t, "1 retrying")
	row := f.outbox(t, u.UserID)
	if row.Attempts != 1 || !strings.Contains(row.LastError, "451") || !row.NextAttemptAt.Equal(f.clock.Now().Add(time.Minute)) || row.ClaimedUntil != nil {
		t.Fatalf("after the first failure: %+v", row)
	}
	f.deliver(t, "nothing to send") // not before its time
	f.clock.Set(f.clock.Now().Add(time.Minute))
	f.deliver(t, "1 retrying")
	if row = f.outbox(t, u.UserID); row.Attempts != 2 || !row.NextAttemptAt.Equal(f.clock.Now().Add(2*time.Minute)) {
		t.Fatalf("after the second failure: %+v", row)
	}
	f.clock.Set(f.clock.Now().Add(time.Minute))
	f.deliver(t, "nothing to send")
	f.clock.Set(f.clock.Now().Add(time.Minute))
	f.deliver(t, "1 sent")
	f.clock.Set(f.clock.Now().Add(time.Hour))
	f.deliver(t, "nothing to send")
	if n := len(f.relay.Received()); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
	if row = f.outbox(t, u.UserID); row.DeliveredAt == nil || row.Attempts != 3 || row.LastError != "" {
		t.Errorf("after delivery: %+v", row)
	}

	// A relay that never recovers: the back-off grows to its cap, then the row fails.
	stuck := f.person(t, "Sol Stuck", policies.RoleOfficer)
	f.relay.FailNext(100, 421)
	f.notify(t, stuck, "case_update", "Something else happened.", "/casefiles/2")
	var waits []time.Duration
	for attempt := 1; attempt < 8; attempt++ {
		f.deliver(t, "1 retrying")
		row := f.outbox(t, stuck.UserID)
		waits = append(waits, row.NextAttemptAt.Sub(f.clock.Now()))
		f.clock.Set(row.NextAttemptAt)
	}
	if want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour}; fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("back-off %v, want %v", waits, want)
	}
	f.deliver(t, "1 failed")
	if row := f.outbox(t, stuck.UserID); row.FailedAt == nil || row.Attempts != 8 || !strings.Contains(row.LastError, "Gave up after 8 attempts") || !strings.Contains(row.LastError, "421") {
		t.Errorf("given up: %+v", row)
	}
	f.clock.Set(f.clock.Now().Add(24 * time.Hour))
	f.deliver(t, "nothing to send")

	// A mailbox the relay does not know: refused for good at once.
	gone := f.person(t, "Gil Gone", policies.RoleOfficer)
	f.relay.Refuse(gone.Email, 550)
	f.notify(t, gone, "case_update", "Something.", "/casefiles/3")
	f.deliver(t, "1 failed")
	if row := f.outbox(t, gone.UserID); row.FailedAt == nil || !strings.Contains(row.LastError, "550") {
		t.Errorf("refused: %+v", row)
	}
}

// A relay that cannot be reached fails the run with an error naming it, and the row waits for
// its retry; a disabled account gets no email at all.
func TestMailRelayDownAndDisabledAccounts(t *testing.T) {
	f := newMailFixture(t, mailtest.StartTLS)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := *f.relay.Config()
	down.Addr = ln.Addr().String()
	ln.Close() // nothing listens there now
	d := f.deps
	d.SMTP = &down
	s := models.New(d)
	u := f.person(t, "Dee Down", policies.RoleOfficer)
	f.notify(t, u, "case_update", "Something happened.", "/casefiles/1")
	summary, err := s.Mail.DeliverOutbox(context.Background())
	if err == nil || !strings.Contains(err.Error(), down.Addr) || summary != "1 retrying" {
		t.Fatalf("relay down: %q, %v", summary, err)
	}
	if row := f.outbox(t, u.UserID); row.Attempts != 1 || row.LastError == "" || row.DeliveredAt != nil || row.FailedAt != nil {
		t.Errorf("after the relay was down: %+v", row)
	}

	off := f.person(t, "Di Disabled", policies.RoleOfficer)
	admin := f.person(t, "Ada Admin", policies.RoleAdmin)
	f.notify(t, off, "case_update", "Something happened.", "/casefiles/1")
	if _, err := f.s.Users.SetDisabled(context.Background(), admin, off.UserID, true); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(f.clock.Now().Add(time.Minute))
	f.deliver(t, "1 sent, 1 failed") // the first row's retry, and the disabled account's row
	if row := f.outbox(t, off.UserID); row.FailedAt == nil || !strings.Contains(row.LastError, "disabled") {
		t.Errorf("disabled: %+v", row)
	}
	for _, m := range f.relay.Received() {
		if m.To[0] == off.Email {
			t.Error("a disabled account was emailed")
		}
	}
}

// A claim that ran out without an outcome means its sender stopped mid-delivery: the message
// may have gone, so it is marked failed, never sent again. A live claim is left alone.
func TestMailNeverResendsAnInterruptedDelivery(t *testing.T) {
	f := newMailFixture(t, mailtest.StartTLS)
	u := f.person(t, "Ivy Interrupted", policies.RoleOfficer)
	f.notify(t, u, "case_update", "Something happened.", "/casefiles/1")
	// Another replica claimed the row and died: the claim is as it left it.
	until := f.clock.Now().Add(5 * time.Minute)
	if err := f.db.Gorm().Exec("UPDATE outbox SET claimed_until = ?, claim_token = 'other', attempts = 1", until).Error; err != nil {
		t.Fatal(err)
	}
	f.deliver(t, "nothing to send") // held by the other sender
	f.clock.Set(until)
	f.deliver(t, "1 failed")
	if row := f.outbox(t, u.UserID); row.FailedAt == nil || !strings.Contains(row.LastError, "may have gone") || row.ClaimedUntil != nil {
		t.Errorf("interrupted: %+v", row)
	}
	if n := len(f.relay.Received()); n != 0 {
		t.Errorf("%d messages sent for an interrupted delivery", n)
	}
}

// Two replicas delivering the same outbox at the same moment, each on its own connection pool,
// send every notification exactly once. On PostgreSQL this is the real proof: the claims race
// across connections. Several rounds, because one green run of a race proves little.
func TestMailConcurrentSendersSendEachOnce(t *testing.T) {
	cfg := modelstest.DBConfig(t)
	open := func() *core.DB {
		db, err := core.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db1 := open()
	if _, err := db1.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	relay := mailtest.Start(t, mailtest.StartTLS)
	clock, n := mailClock(), &atomic.Int64{}
	a := mailFixtureOn(t, db1, relay, clock, n)
	b := mailFixtureOn(t, open(), relay, clock, n)
	people := make([]core.Actor, 6)
	for i := range people {
		people[i] = a.person(t, fmt.Sprintf("Person %d", i), policies.RoleOfficer)
	}
	const rounds, perRound = 3, 40
	for round := range rounds {
		for i := range perRound {
			a.notify(t, people[i%len(people)], "case_update", fmt.Sprintf("Round %d, change %d.", round, i), "/casefiles/1")
		}
		var wg sync.WaitGroup
		var sent atomic.Int64
		for _, f := range []*mailFixture{a, b, a, b} {
			wg.Go(func() {
				for {
					summary, err := f.s.Mail.DeliverOutbox(context.Background())
					if err != nil {
						t.Errorf("deliver: %v", err)
						return
					}
					if summary == "nothing to send" {
						return
					}
					var k int
					if _, err := fmt.Sscanf(summary, "%d sent", &k); err != nil {
						t.Errorf("summary %q", summary)
						return
					}
					sent.Add(int64(k))
				}
			})
		}
		wg.Wait()
		if got := sent.Load(); got != perRound {
			t.Errorf("round %d: the senders report %d sent, want %d", round, got, perRound)
		}
	}
	ids := map[string]int{}
	for _, m := range relay.Received() {
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		ids[p.Header.Get("Message-Id")]++
	}
	if len(relay.Received()) != rounds*perRound || len(ids) != rounds*perRound {
		t.Errorf("%d messages with %d distinct IDs, want %d of each", len(relay.Received()), len(ids), rounds*perRound)
	}
	for id, k := range ids {
		if k != 1 {
			t.Errorf("%s sent %d times", id, k)
		}
	}
	var pending int64
	if err := db1.Gorm().Table("outbox").Where("delivered_at IS NULL").Count(&pending).Error; err != nil || pending != 0 {
		t.Errorf("%d rows undelivered: %v", pending, err)
	}
}

// Email never carries case material, nor anything about a course marked OFFICIAL-SENSITIVE:
// the rule quotes a notification only for the training kinds on its allow-list, about an
// OFFICIAL course. Everything else gets the generic email with a link to the notification list.
func TestMailCarriesNoCaseMaterial(t *testing.T) {
	f := newMailFixture(t, mailtest.StartTLS)
	trainer := f.person(t, "Tess Trainer", policies.RoleTrainer)
	investigator := f.person(t, "Ivo Investigator", policies.RoleInvestigator)
	editor := f.person(t, "Eda Editor", policies.RoleGuidanceEditor)
	sensitive := f.person(t, "Sid Sensitive", policies.RoleTrainer)
	official := f.person(t, "Olu Official", policies.RoleTrainer)
	supervisor := f.person(t, "Sue Supervisor", policies.RoleSupervisor)
	liaison := f.person(t, "Cal Liaison", policies.RoleCPSLiaison)
	future := f.person(t, "Fay Future", policies.RoleInvestigator)

	secrets := []string{"Operation Kestrel", "45AB1234523", "Jane Doe", "Nightjar", "Safeguarding of named victims", "Learner Lee", "MSA-OS"}
	// The kinds case files and guidance write today, and one no area writes yet: all generic.
	f.notify(t, investigator, casefile.NoticeCaseAction, "Operation Kestrel (URN 45AB1234523): the CPS action on the statement of Jane Doe is overdue.", "/casefiles/7")
	f.notify(t, liaison, casefile.NoticeCaseShare, "The pack of Operation Kestrel, 45AB1234523, is no longer shared with you.", "/casefiles/7")
	f.notify(t, future, "case_submitted", "Operation Kestrel (URN 45AB1234523): the pack naming victim Jane Doe was returned.", "/casefiles/7")
	f.notify(t, editor, guidance.NoticeReviewDue, "Op Nightjar tactics guidance is due for review.", "/guidance/documents/3")
	f.trainerNotice(t, trainer, sensitive, "MSA-OS", "Nightjar: Safeguarding of named victims", "OFFICIAL-SENSITIVE")
	f.notify(t, supervisor, core.NoticeApproval, "Learner Lee asks for a place on MSA-OS Nightjar. Decide by 1 June 2026.", "/approvals")
	c := f.trainerNotice(t, trainer, official, "MSA-200", "Recognising exploitation", "OFFICIAL")
	f.deliver(t, "7 sent")

	for _, who := range []core.Actor{investigator, liaison, future, editor, sensitive, supervisor} {
		msg, p := f.received(t, who.Email)
		for _, s := range secrets {
			if strings.Contains(string(msg.Data), s) || strings.Contains(p.Subject+p.Text+p.HTML, s) {
				t.Errorf("the email to %s carries %q:\nSubject: %s\n%s", who.Name, s, p.Subject, p.Text)
			}
		}
		if who.UserID == supervisor.UserID {
			if p.Subject != "A training request waits for your decision" || !strings.Contains(p.Text, mailPublicURL+"/approvals") {
				t.Errorf("approval email: %q\n%s", p.Subject, p.Text)
			}
			continue
		}
		if p.Subject != mail.GenericMailSubject || !strings.Contains(p.Text, mailPublicURL+"/notifications") || !strings.Contains(p.HTML, mailPublicURL+"/notifications") {
			t.Errorf("email to %s is not the generic one: %q\n%s", who.Name, p.Subject, p.Text)
		}
		for _, path := range []string{"/casefiles/", "/guidance/", "/courses/"} {
			if strings.Contains(p.Text+p.HTML, path) {
				t.Errorf("the generic email to %s links to %s", who.Name, path)
			}
		}
	}
	// The control: the same kind about an OFFICIAL course is quoted, so the rule is what hid the rest.
	_, p := f.received(t, official.Email)
	if !strings.Contains(p.Text, "You are now a trainer of MSA-200 Recognising exploitation.") || !strings.Contains(p.Text, fmt.Sprintf("%s/courses/%d", mailPublicURL, c.ID)) {
		t.Errorf("OFFICIAL training email:\n%s", p.Text)
	}
	// The in-app list still has the whole text: only email is generic.
	page, err := f.s.Notifications.List(context.Background(), investigator, "", 10)
	if err != nil || len(page.Notifications) != 1 || !strings.Contains(page.Notifications[0].Text, "Operation Kestrel") {
		t.Errorf("in-app: %+v %v", page, err)
	}
}

var setPasswordLink = regexp.MustCompile(regexp.QuoteMeta(mailPublicURL) + `/set-password/([A-Za-z0-9_-]{43})`)

// With email on, a new account's invitation and a requested set-password link go to the
// person's address: the administrator is shown no link, the in-app notification has none, the
// link in the email works once, and asking again stops the earlier one.
func TestMailSetPasswordLinks(t *testing.T) {
	f := newMailFixture(t, mailtest.ImplicitTLS)
	ctx := context.Background()
	admin := f.person(t, "Ada Admin", policies.RoleAdmin)
	home, err := f.s.Operator.OrganisationBySlug(ctx, "devon-and-cornwall-police")
	if err != nil {
		t.Fatal(err)
	}
	expires := f.clock.Now().AddDate(1, 0, 0)
	uv, err := f.s.Users.Create(ctx, admin, identity.UserInput{OrganisationID: home.ID, Name: "Nia New", Email: "nia.new@dc.police.uk",
		Roles: []string{policies.RoleOfficer}, VettingLevel: core.VettingRV, VettingExpiresOn: &expires})
	if err != nil {
		t.Fatal(err)
	}
	f.deliver(t, "1 sent")
	_, p := f.received(t, "nia.new@dc.police.uk")
	if p.Subject != "Your MSP Hub account" {
		t.Errorf("subject %q", p.Subject)
	}
	m := setPasswordLink.FindStringSubmatch(p.Text)
	if m == nil || !strings.Contains(p.HTML, `href="`+m[0]+`"`) {
		t.Fatalf("no set-password link in both parts:\n%s\n%s", p.Text, p.HTML)
	}
	owner, err := f.s.Accounts.SetPasswordLinkOwner(ctx, m[1])
	if err != nil || owner.ID != uv.ID {
		t.Fatalf("the emailed link: %+v %v", owner, err)
	}
	// The in-app notification says a link was emailed, and holds no link.
	var notes []core.Notification
	if err := f.db.Gorm().Where("user_id = ?", uv.ID).Find(&notes).Error; err != nil || len(notes) != 1 {
		t.Fatalf("notifications: %+v %v", notes, err)
	}
	if n := notes[0]; n.Kind != identity.NoticeInvitation || strings.Contains(n.Text+n.Link, "set-password") || strings.Contains(n.Text+n.Link, m[1]) {
		t.Errorf("in-app notification: %+v", n)
	}

	// Asking for a new link: none is shown, the earlier one stops at once, the new one comes by email.
	link, err := f.s.Users.SetPasswordLink(ctx, admin, uv.ID)
	if err != nil || link != "" {
		t.Fatalf("set-password link with email on: %q %v", link, err)
	}
	if _, err := f.s.Accounts.SetPasswordLinkOwner(ctx, m[1]); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("the earlier link still works: %v", err)
	}
	f.deliver(t, "1 sent")
	var again []string
	for _, msg := range f.relay.Received()[1:] {
		p, err := msg.Parse()
		if err != nil {
			t.Fatal(err)
		}
		if p.Subject != "Set a new password for MSP Hub" {
			t.Errorf("subject %q", p.Subject)
		}
		if mm := setPasswordLink.FindStringSubmatch(p.Text); mm != nil {
			again = append(again, mm[1])
		}
	}
	if len(again) != 1 || again[0] == m[1] {
		t.Fatalf("new links: %v", again)
	}
	if err := f.s.Accounts.SetPasswordWithLink(ctx, again[0], "tangerine biscuit harbour 92"); err != nil {
		t.Fatalf("set the password with the emailed link: %v", err)
	}
	if err := f.s.Accounts.SetPasswordWithLink(ctx, again[0], "another tangerine biscuit 93"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("the link worked twice: %v", err)
	}
	if _, err := f.s.Sessions.SignIn(ctx, "nia.new@dc.police.uk", "tangerine biscuit harbour 92"); err != nil {
		t.Errorf("sign in with the new password: %v", err)
	}

	// The command line's create-user emails the link too, and shows none.
	view, shown, err := f.s.Operator.CreateUser(ctx, identity.UserInput{OrganisationID: home.ID, Name: "Cal Cli", Email: "cal.cli@dc.police.uk",
		VettingLevel: core.VettingNone}, "")
	if err != nil || shown != "" {
		t.Fatalf("create-user: %q %v", shown, err)
	}
	f.deliver(t, "1 sent")
	if _, p := f.received(t, view.Email); !setPasswordLink.MatchString(p.Text) {
		t.Errorf("create-user email:\n%s", p.Text)
	}
}

// Without email, set-password links are shown to the administrator as before, and nothing is
// queued for them.
func TestMailOffShowsLinks(t *testing.T) {
	f := newMailFixture(t, mailtest.StartTLS)
	d := f.deps
	d.SMTP = nil
	s := models.New(d)
	if s.Mail != nil {
		t.Fatal("a Mail service without SMTP")
	}
	ctx := context.Background()
	admin := f.person(t, "Ada Admin", policies.RoleAdmin)
	home, _ := s.Operator.OrganisationBySlug(ctx, "devon-and-cornwall-police")
	uv, link, err := s.Operator.CreateUser(ctx, identity.UserInput{OrganisationID: home.ID, Name: "Nia New", Email: "nia.new@dc.police.uk", VettingLevel: core.VettingNone}, "")
	if err != nil || !strings.HasPrefix(link, mailPublicURL+"/set-password/") {
		t.Fatalf("create-user: %q %v", link, err)
	}
	if link, err = s.Users.SetPasswordLink(ctx, admin, uv.ID); err != nil || !strings.HasPrefix(link, mailPublicURL+"/set-password/") {
		t.Fatalf("set-password link: %q %v", link, err)
	}
	var n int64
	if err := f.db.Gorm().Table("notifications").Where("user_id = ?", uv.ID).Count(&n).Error; err != nil || n != 0 {
		t.Errorf("%d notifications queued without email: %v", n, err)
	}
}

// Headers stay within their line limits and encode what is not ASCII; a long subject is cut
// with an ellipsis and folded between encoded words.
func TestMailHeaders(t *testing.T) {
	f := newMailFixture(t, mailtest.NoTLS)
	trainer := f.person(t, "Tess Trainer", policies.RoleTrainer)
	u := f.person(t, "Ægir Ödegaard-Smith, Jr.", policies.RoleTrainer)
	title := strings.TrimSpace(strings.Repeat("Café déjà vu ", 12))
	f.trainerNotice(t, trainer, u, "MSA-300", title, "OFFICIAL")
	f.deliver(t, "1 sent")
	msg, p := f.received(t, u.Email)
	to, err := netmail.ParseAddress(p.Header.Get("To"))
	if err != nil || to.Name != "Ægir Ödegaard-Smith, Jr." {
		t.Errorf("To %q: %+v %v", p.Header.Get("To"), to, err)
	}
	full := "You are now a trainer of a course: MSA-300 " + title
	if r := []rune(p.Subject); len(r) != 150 || r[149] != '…' || !strings.HasPrefix(full, string(r[:149])) {
		t.Errorf("subject %q", p.Subject)
	}
	head := string(msg.Data[:strings.Index(string(msg.Data), "\r\n\r\n")])
	for _, line := range strings.Split(head, "\r\n") {
		if len(line) > 78 {
			t.Errorf("header line of %d characters: %q", len(line), line)
		}
	}
}

// When email is switched on after a while, what waited more than 72 hours is not sent: people
// get what is new, not a flood of stale news.
func TestMailSkipsAStaleBacklog(t *testing.T) {
	f := newMailFixture(t, mailtest.StartTLS)
	old := f.person(t, "Olga Old", policies.RoleOfficer)
	fresh := f.person(t, "Fred Fresh", policies.RoleOfficer)
	f.notify(t, old, "case_update", "Long ago.", "/casefiles/1")
	f.clock.Set(f.clock.Now().Add(73 * time.Hour))
	f.notify(t, fresh, "case_update", "Just now.", "/casefiles/2")
	f.deliver(t, "1 sent, 1 too old to send")
	if row := f.outbox(t, old.UserID); row.FailedAt == nil || !strings.Contains(row.LastError, "72 hours") {
		t.Errorf("stale row: %+v", row)
	}
	if msgs := f.relay.Received(); len(msgs) != 1 || msgs[0].To[0] != fresh.Email {
		t.Errorf("sent %+v", msgs)
	}
}
