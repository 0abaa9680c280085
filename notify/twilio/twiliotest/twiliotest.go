// Package twiliotest is a loopback fake of Twilio's Messages API and of
// Twilio's signed webhooks, in the style of net/http/httptest.
//
// The fake accepts the requests twilio-go really makes (POST
// /2010-04-01/Accounts/{AccountSID}/Messages.json, HTTP basic auth with
// AccountSID and AuthToken, a form body with To, Body and From or
// MessagingServiceSid), records them, answers 201 with a Message resource
// whose sid is shaped like Twilio's ("SM" and 32 hex digits, a new one per
// request), and can be scripted to fail (FailNext). It also signs webhooks with
// X-Twilio-Signature as Twilio does (HMAC-SHA1 with the auth token over the
// URL followed by the sorted POST parameters), for status callbacks and
// inbound messages.
package twiliotest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"kigen/notify/internal/fakehttp"
)

// Failure scripts one answer of the fake in place of its normal one: a
// status with a body and Retry-After, a delay, or a dropped connection.
type Failure = fakehttp.Failure

// Request is one Messages request the fake received with valid credentials.
type Request struct {
	Header http.Header
	Path   string
	Form   url.Values // To, Body, From or MessagingServiceSid, StatusCallback
	At     time.Time  // when it arrived
	// SID is the Message SID the fake gave the request, sent with its 201
	// unless a failure was scripted for it (a request that timed out on
	// the client's side may still have been taken, as with Twilio).
	SID string
}

// Server is a running fake. URL (from the embedded httptest.Server) is the
// base URL to give the sender; AccountSID and AuthToken are the credentials
// it accepts (alphanumeric, as twilio-go requires).
type Server struct {
	*httptest.Server
	AccountSID string
	AuthToken  string

	script fakehttp.Script
	mu     sync.Mutex
	reqs   []Request
}

// SignatureHeader is the header Twilio signs its webhooks with.
const SignatureHeader = "X-Twilio-Signature"

// NewServer starts a fake with fresh credentials. The caller must Close it.
func NewServer() *Server {
	s := &Server{AccountSID: "AC" + randomHex(16), AuthToken: randomHex(16)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{account}/Messages.json", s.create)
	s.Server = httptest.NewServer(mux)
	return s
}

// NewSID returns a fresh Message SID as Twilio makes them: "SM" and 32
// hex digits.
func NewSID() string { return "SM" + randomHex(16) }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// FailNext scripts the answers to the next requests, in order. A request
// refused for bad credentials or a bad form is answered before the script
// is consulted.
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

// ErrorBody returns a Twilio REST error answer, as twilio-go decodes into
// *client.TwilioRestError.
func ErrorBody(code, status int, message string) string {
	b, _ := json.Marshal(map[string]any{
		"code": code, "message": message, "status": status,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
	})
	return string(b)
}

func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != s.AccountSID || pass != s.AuthToken || r.PathValue("account") != s.AccountSID {
		answer(w, http.StatusUnauthorized, ErrorBody(20003, 401, "Authenticate"))
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		answer(w, http.StatusBadRequest, ErrorBody(20001, 400, "Content-Type must be application/x-www-form-urlencoded"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		answer(w, http.StatusBadRequest, ErrorBody(20001, 400, "Bad form"))
		return
	}
	f := r.PostForm
	switch {
	case f.Get("To") == "":
		answer(w, http.StatusBadRequest, ErrorBody(21604, 400, "A 'To' phone number is required."))
		return
	case !strings.HasPrefix(f.Get("To"), "+"):
		answer(w, http.StatusBadRequest, ErrorBody(21211, 400, fmt.Sprintf("The 'To' number %s is not a valid phone number.", f.Get("To"))))
		return
	case f.Get("Body") == "":
		answer(w, http.StatusBadRequest, ErrorBody(21602, 400, "Message body is required."))
		return
	case f.Get("From") == "" && f.Get("MessagingServiceSid") == "":
		answer(w, http.StatusBadRequest, ErrorBody(21603, 400, "A 'From' or 'MessagingServiceSid' parameter is required to send a message."))
		return
	}
	sid := NewSID()
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Header: r.Header.Clone(), Path: r.URL.Path, Form: f, At: time.Now(), SID: sid})
	s.mu.Unlock()

	if fakehttp.Play(w, r, s.script.Next()) {
		return
	}
	msg := map[string]any{
		"sid": sid, "account_sid": s.AccountSID, "to": f.Get("To"), "body": f.Get("Body"),
		"from": nilIfEmpty(f.Get("From")), "messaging_service_sid": nilIfEmpty(f.Get("MessagingServiceSid")),
		"status": "queued", "direction": "outbound-api", "api_version": "2010-04-01",
		"num_segments": "1", "num_media": "0", "price": nil, "price_unit": "USD",
		"error_code": nil, "error_message": nil,
		"date_created": "Sat, 30 Jan 2027 00:00:00 +0000", "date_updated": "Sat, 30 Jan 2027 00:00:00 +0000", "date_sent": nil,
		"uri":              fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s.json", s.AccountSID, sid),
		"subresource_uris": map[string]string{"media": fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s/Media.json", s.AccountSID, sid)},
	}
	b, _ := json.Marshal(msg)
	answer(w, http.StatusCreated, string(b))
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Sign returns the X-Twilio-Signature Twilio sends with a POST of form to
// fullURL, using authToken: base64(HMAC-SHA1(authToken, fullURL followed by
// each parameter name and value, sorted by name)).
func Sign(authToken, fullURL string, form url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range slices.Sorted(maps.Keys(form)) {
		for _, v := range form[k] {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Sign signs with the server's auth token.
func (s *Server) Sign(fullURL string, form url.Values) string {
	return Sign(s.AuthToken, fullURL, form)
}

// NewWebhookRequest returns a POST of form to fullURL signed as Twilio
// signs it. Serve it with a handler's ServeHTTP or send it with an
// http.Client.
func (s *Server) NewWebhookRequest(fullURL string, form url.Values) *http.Request {
	r, err := http.NewRequest(http.MethodPost, fullURL, strings.NewReader(form.Encode()))
	if err != nil {
		panic(fmt.Sprintf("twiliotest: %v", err))
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("User-Agent", "TwilioProxy/1.1")
	r.Header.Set(SignatureHeader, s.Sign(fullURL, form))
	return r
}

// StatusForm is the form of a status callback for message sid (errorCode 0:
// none), with the fields Twilio sends.
func (s *Server) StatusForm(sid, status string, errorCode int) url.Values {
	f := url.Values{
		"AccountSid": {s.AccountSID}, "MessageSid": {sid}, "SmsSid": {sid},
		"MessageStatus": {status}, "SmsStatus": {status},
		"To": {"+819012345678"}, "From": {"+15005550006"}, "ApiVersion": {"2010-04-01"},
	}
	if errorCode != 0 {
		f.Set("ErrorCode", fmt.Sprint(errorCode))
	}
	return f
}

// InboundForm is the form of an inbound message from a number, as Twilio
// posts it to a number's or Messaging Service's incoming webhook.
func (s *Server) InboundForm(from, body string) url.Values {
	return url.Values{
		"AccountSid": {s.AccountSID}, "MessageSid": {"SM" + randomHex(16)}, "SmsMessageSid": {"SM" + randomHex(16)},
		"From": {from}, "To": {"+15005550006"}, "Body": {body}, "NumMedia": {"0"}, "NumSegments": {"1"},
		"ApiVersion": {"2010-04-01"}, "FromCountry": {"JP"},
	}
}
