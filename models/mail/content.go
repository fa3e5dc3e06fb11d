package mail

import (
	"bytes"
	htmltemplate "html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/msptp/msphub/models/core"
)

// What an email may say (DESIGN.md §10: mail never carries case material beyond a link, and
// nothing OFFICIAL-SENSITIVE goes by email). Email leaves MSP Hub's protection, so the rule is
// an allow-list: a notification's own words go into its email only when its kind is listed
// here as quotable AND it was made with a topic (core.NotifyAbout), which training gives only
// for a course marked OFFICIAL. Every other notification – case files, evidence packs and CPS
// work, guidance, reminders, any kind added later, anything about a course marked
// OFFICIAL-SENSITIVE – gets the generic email: "You have a new notification in MSP Hub" and a link to the notification list,
// where the person reads it after signing in.
var mailKinds = map[string]struct {
	subject string // says what it is about, with no detail
	quote   bool   // the notification's text may be quoted when it carries a topic
}{
	core.NoticeEnrolment:     {"Your training booking", true},
	core.NoticePromotion:     {"A training place is yours", true},
	core.NoticeSessionChange: {"A training session has changed", true},
	core.NoticeCancellation:  {"A training session or booking was cancelled", true},
	core.NoticeCertificate:   {"Your training record", true},
	core.NoticeTrainer:       {"You are now a trainer of a course", true},
	core.NoticeRenewal:       {"Your training certificate is due for renewal", true},
	// A request names a colleague and waits on a page that lists it: say only that one waits.
	core.NoticeApproval:         {"A training request waits for your decision", false},
	core.NoticeApprovalReminder: {"A training request expires soon without your decision", false},
}

// GenericMailSubject is the subject of every email that may not say more.
const GenericMailSubject = "You have a new notification in MSP Hub"

// notificationMail applies the rule above to one notification.
func (m *Service) notificationMail(n core.Notification, u core.User) core.Email {
	c := core.Email{Subject: GenericMailSubject, Greeting: "Dear " + u.Name + ",",
		Paragraphs: []string{"You have a new notification in MSP Hub. Sign in to read it."},
		LinkText:   "Open your notifications", URL: m.base + "/notifications"}
	kind, ok := mailKinds[n.Kind]
	if !ok {
		return c
	}
	if !kind.quote {
		c.Subject, c.Paragraphs[0] = kind.subject, kind.subject+". Sign in to MSP Hub to see it."
		if core.LocalLink(n.Link) {
			c.LinkText, c.URL = "Open it in MSP Hub", m.base+n.Link
		}
		return c
	}
	if n.MailTopic == "" {
		return c
	}
	c.Subject = kind.subject + ": " + n.MailTopic
	c.Paragraphs = []string{n.Text}
	c.LinkText, c.URL = "Open it in MSP Hub", m.base+n.Link
	return c
}

var mailText = texttemplate.Must(texttemplate.New("text").Parse(`{{.Greeting}}
{{range .Paragraphs}}
{{.}}
{{end}}
{{.LinkText}}:
{{.URL}}

-- 
MSP Hub sent this email because you have an account. Replies are not read.
`))

var mailHTML = htmltemplate.Must(htmltemplate.New("html").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: arial, sans-serif; font-size: 16px; line-height: 1.5; color: #0b0c0c; max-width: 40em;">
<p>{{.Greeting}}</p>
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}<p><a href="{{.URL}}" style="color: #1d70b8;">{{.LinkText}}</a></p>
<p style="color: #505a5f; font-size: 14px;">MSP Hub sent this email because you have an account. Replies are not read.</p>
</body>
</html>
`))

// message encodes the email: headers (Date, Message-ID, encoded non-ASCII words) and a
// multipart/alternative body with a plain-text and an HTML part, both quoted-printable so any
// text travels as 7-bit lines of legal length.
func encodeEmail(c core.Email, from, to *mail.Address, date time.Time, messageID string) ([]byte, error) {
	c.Subject = headerText(c.Subject, 150)
	var text, html bytes.Buffer
	if err := mailText.Execute(&text, c); err != nil {
		return nil, err
	}
	if err := mailHTML.Execute(&html, c); err != nil {
		return nil, err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct {
		ctype string
		data  []byte
	}{{"text/plain; charset=utf-8", text.Bytes()}, {"text/html; charset=utf-8", html.Bytes()}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {part.ctype}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write(part.data); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	var msg bytes.Buffer
	for _, h := range [][2]string{
		{"Date", date.Format(time.RFC1123Z)},
		{"From", from.String()},
		{"To", to.String()},
		{"Subject", mime.QEncoding.Encode("utf-8", c.Subject)},
		{"Message-ID", messageID},
		{"Auto-Submitted", "auto-generated"},
		{"MIME-Version", "1.0"},
		{"Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()})},
	} {
		msg.WriteString(h[0] + ":" + foldHeader(len(h[0])+1, h[1]) + "\r\n")
	}
	msg.WriteString("\r\n")
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}

// headerText makes s fit for a header: control characters become spaces, runs of space one,
// and it is cut to n characters, the last an ellipsis when something was cut.
func headerText(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(core.Clip(s, 4*n)), " ")
	if utf8.RuneCountInString(s) > n {
		s = core.Clip(s, n-1) + "…"
	}
	return s
}

// foldHeader folds a header value at spaces so lines stay within 78 characters where it can
// (encoded words hold no spaces, so they are never split). used is the length of "Name:"; the
// result starts with the space or fold that follows the colon.
func foldHeader(used int, v string) string {
	var b strings.Builder
	line := used
	for _, w := range strings.Split(v, " ") {
		if line+1+len(w) > 78 && line > 1 {
			b.WriteString("\r\n ")
			line = 1
		} else {
			b.WriteString(" ")
			line++
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}
