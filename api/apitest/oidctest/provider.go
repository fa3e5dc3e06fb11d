// Package oidctest is a minimal OpenID provider written for MSP Hub's tests. It is a real one as
// far as the relying party can tell: it serves discovery, a JWKS, an authorization endpoint and
// a token endpoint over real HTTP on a loopback port, checks the client's secret, redirect URI
// and PKCE (S256) verifier, uses each code once, and signs ID tokens with a real RSA key
// (RS256, via go-jose). It is not a general provider: it knows one client, signs in whichever
// person the test names (there is no login page), and can be told to misbehave (sign with the
// wrong key, address the token to another audience, send it expired, with another nonce or
// from another issuer) so tests can check that MSP Hub refuses each.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Person is who the provider signs in next, with the claims it gives them.
type Person struct {
	Subject       string
	Email         string
	EmailVerified *bool // nil: the claim is left out, as many directory services do
	Name          string
	Groups        []string // the "groups" claim
	AMR           []string // authentication methods: "pwd", "mfa", "hwk", ...
}

// Fault makes the provider misbehave in one way in the ID tokens it issues.
type Fault int

// The faults a provider can be told to show.
const (
	NoFault       Fault = iota
	BadSignature        // signed by a key the JWKS does not hold, under the published key ID
	WrongAudience       // addressed to another client
	Expired             // expired an hour ago
	WrongNonce          // carrying a nonce the relying party did not send
	WrongIssuer         // naming another issuer
)

// Provider is the running provider. Its issuer is URL.
type Provider struct {
	URL          string
	ClientID     string
	ClientSecret string
	RedirectURI  string // the one redirect URI registered for the client

	now   func() time.Time
	key   *rsa.PrivateKey
	rogue *rsa.PrivateKey // signs tokens when the fault is BadSignature
	kid   string

	mu       sync.Mutex
	person   *Person
	fault    Fault
	codes    map[string]grant
	lastAuth url.Values // the query of the last authorization request
	tokens   int        // token requests answered with tokens
}

// grant is what an authorization code stands for.
type grant struct {
	person      Person
	nonce       string
	challenge   string
	redirectURI string
	expires     time.Time
}

// New starts a provider on a loopback port for the client, stopped when the test ends. now is
// the clock the provider stamps tokens with (the app's clock, so expiry means the same to both).
func New(t testing.TB, clientID, clientSecret, redirectURI string, now func() time.Time) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rogue, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{ClientID: clientID, ClientSecret: clientSecret, RedirectURI: redirectURI, now: now,
		key: key, rogue: rogue, kid: "test-key-1", codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// SignIn names the person the next authorizations sign in; nil makes the provider refuse
// (access_denied), as when the person is not assigned to the application.
func (p *Provider) SignIn(person *Person) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.person = person
}

// Misbehave makes the ID tokens issued from now on show fault.
func (p *Provider) Misbehave(fault Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = fault
}

// LastAuthorization is the query of the last authorization request the provider received.
func (p *Provider) LastAuthorization() url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastAuth
}

// TokensIssued counts the token requests answered with tokens.
func (p *Provider) TokensIssued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokens
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.URL,
		"authorization_endpoint":                p.URL + "/authorize",
		"token_endpoint":                        p.URL + "/token",
		"jwks_uri":                              p.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      []string{"openid", "email", "profile", "groups"},
		"claims_supported":                      []string{"sub", "email", "email_verified", "name", "groups", "amr"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &p.key.PublicKey, KeyID: p.kid, Algorithm: string(jose.RS256), Use: "sig"},
	}})
}

// authorize checks the request as a provider must, then signs in the named person at once.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	p.lastAuth = q
	person := p.person
	p.mu.Unlock()
	if q.Get("client_id") != p.ClientID || q.Get("redirect_uri") != p.RedirectURI {
		http.Error(w, "unknown client or redirect URI", http.StatusBadRequest)
		return
	}
	back := func(params url.Values) {
		params.Set("state", q.Get("state"))
		http.Redirect(w, r, p.RedirectURI+"?"+params.Encode(), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code",
		!slices.Contains(strings.Fields(q.Get("scope")), "openid"),
		q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256",
		q.Get("state") == "", q.Get("nonce") == "":
		back(url.Values{"error": {"invalid_request"}})
		return
	case person == nil:
		back(url.Values{"error": {"access_denied"}, "error_description": {"The user is not assigned to this application"}})
		return
	}
	code := random()
	p.mu.Lock()
	p.codes[code] = grant{person: *person, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"),
		redirectURI: q.Get("redirect_uri"), expires: p.now().Add(time.Minute)}
	p.mu.Unlock()
	back(url.Values{"code": {code}})
}

// token exchanges a code, once, for an ID token, checking the client and the PKCE verifier.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request")
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		tokenError(w, "unsupported_grant_type")
		return
	}
	code := r.PostForm.Get("code")
	p.mu.Lock()
	g, ok := p.codes[code]
	delete(p.codes, code)
	fault := p.fault
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !ok, p.now().After(g.expires), r.PostForm.Get("redirect_uri") != g.redirectURI,
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		tokenError(w, "invalid_grant")
		return
	}
	now := p.now()
	claims := map[string]any{
		"iss": p.URL, "sub": g.person.Subject, "aud": p.ClientID, "iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce, "auth_time": now.Unix(),
	}
	if g.person.Email != "" {
		claims["email"] = g.person.Email
	}
	if g.person.EmailVerified != nil {
		claims["email_verified"] = *g.person.EmailVerified
	}
	if g.person.Name != "" {
		claims["name"] = g.person.Name
	}
	if g.person.Groups != nil {
		claims["groups"] = g.person.Groups
	}
	if g.person.AMR != nil {
		claims["amr"] = g.person.AMR
	}
	signWith := p.key
	switch fault {
	case BadSignature:
		signWith = p.rogue
	case WrongAudience:
		claims["aud"] = "another-client"
	case Expired:
		claims["iat"], claims["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
	case WrongNonce:
		claims["nonce"] = random()
	case WrongIssuer:
		claims["iss"] = "https://issuer.invalid"
	}
	idToken, err := sign(signWith, p.kid, claims)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p.mu.Lock()
	p.tokens++
	p.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"access_token": random(), "token_type": "Bearer", "expires_in": 300, "id_token": idToken})
}

// sign makes a compact RS256 JWS of claims under key ID kid.
func sign(key *rsa.PrivateKey, kid string, claims map[string]any) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

func random() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenError(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
