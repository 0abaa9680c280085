// Package sendgridtest is a loopback fake of SendGrid's v3 mail send API
// and of its signed event webhook, in the style of net/http/httptest.
//
// The fake accepts the requests sendgrid-go really makes (POST /v3/mail/send,
// "Authorization: Bearer <APIKey>", a JSON body validated like SendGrid
// does), records them, answers 202 with an X-Message-Id shaped like
// SendGrid's (22 characters of base64url, a new one per request), and can
// be scripted to fail (FailNext). Events about a message carry an
// sg_message_id that starts with its X-Message-Id and a dot (SGMessageID). It also signs event webhooks as SendGrid
// does: ECDSA P-256 over the timestamp followed by the payload, so that a
// handler checks them with the public key from PublicKeyBase64.
package sendgridtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	"github.com/sendgrid/sendgrid-go/helpers/mail"

	"kigen/notify/internal/fakehttp"
)

// Failure scripts one answer of the fake in place of its normal one: a
// status with a body and Retry-After, a delay, or a dropped connection.
type Failure = fakehttp.Failure

// Request is one mail send request the fake received (with a valid key and
// a valid body).
type Request struct {
	Header http.Header
	Body   []byte
	Mail   mail.SGMailV3 // Body, decoded
	At     time.Time     // when it arrived
	// MessageID is the X-Message-Id the fake gave the request, sent with
	// its 202 unless a failure was scripted for it (a request that timed
	// out on the client's side may still have been taken, as with SendGrid).
	MessageID string
}

// Server is a running fake. URL (from the embedded httptest.Server) is the
// base URL to give the sender; APIKey is the key it accepts.
type Server struct {
	*httptest.Server
	APIKey string

	key    *ecdsa.PrivateKey
	script fakehttp.Script

	mu   sync.Mutex
	reqs []Request
}

// NewServer starts a fake with a fresh API key and a fresh webhook key
// pair. The caller must Close it.
func NewServer() *Server {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("sendgridtest: %v", err))
	}
	s := &Server{APIKey: "SG.test-" + rand.Text(), key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/mail/send", s.send)
	s.Server = httptest.NewServer(mux)
	return s
}

// FailNext scripts the answers to the next requests, in order. A request
// refused for a bad key or body is answered before the script is consulted.
func (s *Server) FailNext(f ...Failure) { s.script.Push(f...) }

// FailRandomly sets the answer to every request FailNext scripted nothing
// for: f is called once per request, as a chaos test draws a fault (the
// zero Failure answers normally). Nil turns it off.
func (s *Server) FailRandomly(f func() Failure) { s.script.SetDefault(f) }

// Requests returns the valid requests received so far, in order, including
// those answered with a scripted failure.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// ErrorBody returns a SendGrid error answer: {"errors":[{"message":…,"field":…}]}.
func ErrorBody(message, field string) string {
	b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"message": message, "field": field, "help": nil}}})
	return string(b)
}

func (s *Server) send(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.APIKey {
		answer(w, http.StatusUnauthorized, ErrorBody("The provided authorization grant is invalid, expired, or revoked", ""))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		answer(w, http.StatusUnsupportedMediaType, ErrorBody("Content-Type should be application/json.", ""))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 30<<20))
	if err != nil {
		answer(w, http.StatusRequestEntityTooLarge, ErrorBody("request too large", ""))
		return
	}
	var m mail.SGMailV3
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		answer(w, http.StatusBadRequest, ErrorBody("Bad Request", ""))
		return
	}
	if msg, field := validate(&m); msg != "" {
		answer(w, http.StatusBadRequest, ErrorBody(msg, field))
		return
	}
	id := NewMessageID()
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Header: r.Header.Clone(), Body: body, Mail: m, At: time.Now(), MessageID: id})
	s.mu.Unlock()

	if fakehttp.Play(w, r, s.script.Next()) {
		return
	}
	w.Header().Set("X-Message-Id", id)
	w.WriteHeader(http.StatusAccepted)
}

// NewMessageID returns a fresh X-Message-Id as SendGrid makes them: 22
// characters of base64url, no dot.
func NewMessageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// SGMessageID returns an sg_message_id as SendGrid's events carry it for
// the message it accepted with xMessageID: the X-Message-Id, a dot, and the
// name of the SendGrid server that handled it.
func SGMessageID(xMessageID string) string {
	return xMessageID + ".filterdrecv-5bd8b9c7d7-xk2pq-1-6753A1F2-1B.0"
}

// validate checks what SendGrid checks of the requests Kigen makes.
func validate(m *mail.SGMailV3) (msg, field string) {
	switch {
	case m.From == nil || m.From.Address == "":
		return "The from object must be provided for every email send.", "from"
	case len(m.Personalizations) == 0 || len(m.Personalizations[0].To) == 0:
		return "The to array is required for all personalization objects.", "personalizations.0.to"
	case m.Subject == "" && m.Personalizations[0].Subject == "":
		return "The subject is required.", "subject"
	case len(m.Content) == 0:
		return "Unless a valid template_id is provided, the content parameter is required.", "content"
	case len(m.Categories) > 10:
		return "You can only have up to 10 categories.", "categories"
	}
	for i, to := range m.Personalizations[0].To {
		if to == nil || !validAddress(to.Address) {
			return "Does not contain a valid address.", fmt.Sprintf("personalizations.0.to.%d.email", i)
		}
	}
	for i, c := range m.Content {
		if c.Value == "" {
			return "The content value must be a string at least one character in length.", fmt.Sprintf("content.%d.value", i)
		}
		if i > 0 && c.Type == "text/plain" {
			return "If present, text/plain must be first.", "content"
		}
	}
	return "", ""
}

func validAddress(a string) bool {
	at := bytes.IndexByte([]byte(a), '@')
	return at > 0 && at < len(a)-1
}

func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// PublicKeyBase64 returns the webhook verification key as SendGrid shows
// it (base64 of the DER public key): the value of
// SENDGRID_WEBHOOK_VERIFICATION_KEY.
func (s *Server) PublicKeyBase64() string {
	der, err := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	if err != nil {
		panic(fmt.Sprintf("sendgridtest: %v", err))
	}
	return base64.StdEncoding.EncodeToString(der)
}

// Sign signs an event payload sent at ts as SendGrid does and returns the
// values of the X-Twilio-Email-Event-Webhook-Signature and -Timestamp
// headers: base64 of the ASN.1 ECDSA signature of SHA-256(timestamp ‖
// payload), the timestamp in Unix seconds.
func (s *Server) Sign(payload []byte, ts time.Time) (signature, timestamp string) {
	timestamp = strconv.FormatInt(ts.Unix(), 10)
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, h.Sum(nil))
	if err != nil {
		panic(fmt.Sprintf("sendgridtest: %v", err))
	}
	return base64.StdEncoding.EncodeToString(sig), timestamp
}

// The headers of a signed event webhook.
const (
	SignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	TimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// NewEventRequest returns a POST of payload to url, signed at ts, as
// SendGrid sends it. Serve it with a handler's ServeHTTP or send it with an
// http.Client.
func (s *Server) NewEventRequest(url string, payload []byte, ts time.Time) *http.Request {
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		panic(fmt.Sprintf("sendgridtest: %v", err))
	}
	sig, t := s.Sign(payload, ts)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "SendGrid Event API")
	r.Header.Set(SignatureHeader, sig)
	r.Header.Set(TimestampHeader, t)
	return r
}

// Event is one event of SendGrid's event webhook (the fields Kigen reads).
// Custom args arrive as top-level fields: KigenMessageID is our
// kigen_message_id, KigenDeployment our kigen_deployment.
type Event struct {
	Email           string   `json:"email"`
	Timestamp       int64    `json:"timestamp"`
	Event           string   `json:"event"`
	SGEventID       string   `json:"sg_event_id,omitempty"`
	SGMessageID     string   `json:"sg_message_id,omitempty"`
	Reason          string   `json:"reason,omitempty"`
	Status          string   `json:"status,omitempty"`
	Response        string   `json:"response,omitempty"`
	Type            string   `json:"type,omitempty"`
	Attempt         string   `json:"attempt,omitempty"`
	Category        []string `json:"category,omitempty"`
	KigenMessageID  string   `json:"kigen_message_id,omitempty"`
	KigenDeployment string   `json:"kigen_deployment,omitempty"`
}

// Events encodes events as the JSON array SendGrid posts.
func Events(events ...Event) []byte {
	if events == nil {
		events = []Event{}
	}
	b, err := json.Marshal(events)
	if err != nil {
		panic(fmt.Sprintf("sendgridtest: %v", err))
	}
	return b
}
