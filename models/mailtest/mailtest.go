// Package mailtest runs a real SMTP server on loopback for tests (github.com/emersion/go-smtp):
// STARTTLS or implicit TLS with a certificate made for the test, AUTH PLAIN, and failures on
// demand. It keeps what it received so a test can read each message as a mail client would.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/msptp/msphub/models/core"
)

// Mode is how the server protects its connections.
type Mode string

// Modes, named as MSPHUB_SMTP_TLS names them.
const (
	StartTLS    Mode = core.SMTPStartTLS    // plain listener that offers STARTTLS; AUTH only after it
	ImplicitTLS Mode = core.SMTPImplicitTLS // TLS listener
	NoTLS       Mode = core.SMTPNoTLS       // plain, no authentication (a relay on loopback)
)

// Credentials the server accepts over TLS.
const (
	Username = "msphub"
	Password = "relay secret 1"
	From     = "MSP Hub <msphub@msphub.test>"
)

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte
	TLS  bool   // the message came over TLS
	User string // who authenticated
}

// Server is an SMTP server running for one test.
type Server struct {
	Addr   string
	Mode   Mode
	CAPEM  []byte         // the certificate the server presents, which is its own CA
	Roots  *x509.CertPool // a pool that trusts it
	server *smtp.Server

	mu       sync.Mutex
	received []Message
	failData []int          // answers to give, in order, to the next message ends
	refuse   map[string]int // recipient → answer to RCPT TO
	sessions int
}

// Start runs a server on 127.0.0.1 in mode until the test ends.
func Start(t testing.TB, mode Mode) *Server {
	t.Helper()
	s := &Server{Mode: mode, refuse: map[string]int{}}
	cert, certPEM, err := selfSigned()
	if err != nil {
		t.Fatal(err)
	}
	s.CAPEM = certPEM
	s.Roots = x509.NewCertPool()
	s.Roots.AppendCertsFromPEM(certPEM)
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sessions++
		s.mu.Unlock()
		return &session{s: s, c: c}, nil
	}))
	srv.Domain = "mail.test"
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	var ln net.Listener
	switch mode {
	case StartTLS:
		srv.TLSConfig = tlsCfg
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case ImplicitTLS:
		srv.TLSConfig = tlsCfg
		ln, err = tls.Listen("tcp", "127.0.0.1:0", tlsCfg)
	case NoTLS:
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	default:
		t.Fatalf("mailtest: unknown mode %q", mode)
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Addr, s.server = ln.Addr().String(), srv
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return s
}

// Config is MSP Hub's SMTP configuration for this server.
func (s *Server) Config() *core.SMTPConfig {
	c := &core.SMTPConfig{Addr: s.Addr, From: From, TLS: string(s.Mode), RootCAs: s.Roots}
	if s.Mode != NoTLS {
		c.Username, c.Password = Username, Password
	}
	return c
}

// FailNext makes the server answer code (e.g. 451) to the end of each of the next n messages.
func (s *Server) FailNext(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failData = append(s.failData, code)
	}
}

// Refuse makes the server answer code (e.g. 550) to RCPT TO for addr.
func (s *Server) Refuse(addr string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse[strings.ToLower(addr)] = code
}

// Received returns the messages accepted so far.
func (s *Server) Received() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.received...)
}

// Sessions counts the connections that greeted the server.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

type session struct {
	s    *Server
	c    *smtp.Conn
	user string
	from string
	to   []string
}

func (ss *session) tls() bool {
	_, ok := ss.c.TLSConnectionState()
	return ok
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != Username || password != Password || (identity != "" && identity != username) {
			return smtp.ErrAuthFailed
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.Mode != NoTLS && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	code := ss.s.refuse[strings.ToLower(to)]
	ss.s.mu.Unlock()
	if code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: "No such mailbox"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if len(ss.s.failData) > 0 {
		code := ss.s.failData[0]
		ss.s.failData = ss.s.failData[1:]
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 3, 0}, Message: "Try again later"}
	}
	ss.s.received = append(ss.s.received, Message{From: ss.from, To: append([]string(nil), ss.to...), Data: b, TLS: ss.tls(), User: ss.user})
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// Parsed is a message read as a mail client reads it.
type Parsed struct {
	Header  mail.Header
	Subject string // decoded
	Text    string // the text/plain part, decoded
	HTML    string // the text/html part, decoded
}

// Parse reads a received message with net/mail and mime/multipart: it must be
// multipart/alternative with a plain-text and an HTML part.
func (m Message) Parse() (Parsed, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return Parsed{}, err
	}
	p := Parsed{Header: msg.Header}
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return p, err
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return p, err
	}
	if mt != "multipart/alternative" {
		return p, errors.New("not multipart/alternative: " + mt)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return p, err
		}
		body, err := io.ReadAll(part)
		if err != nil {
			return p, err
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			p.Text = string(body)
		case "text/html":
			p.HTML = string(body)
		default:
			return p, errors.New("unexpected part " + ct)
		}
	}
	if p.Text == "" || p.HTML == "" {
		return p, errors.New("a plain-text or HTML part is missing")
	}
	return p, nil
}

// selfSigned makes a certificate for 127.0.0.1, ::1 and localhost that is its own CA.
func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "mailtest relay"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	return cert, certPEM, err
}
