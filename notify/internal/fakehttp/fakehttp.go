// Package fakehttp holds what the loopback fakes of the provider packages
// (sendgridtest, twiliotest) share: scripted failures and the way they are
// played on a connection.
package fakehttp

import (
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Failure scripts one answer of a fake provider in place of its normal
// answer. The zero Failure answers normally.
type Failure struct {
	Status      int           // the HTTP status to answer; 0: the normal answer (after Delay)
	Body        string        // the body of a Status answer
	ContentType string        // of Body; default application/json
	RetryAfter  string        // the Retry-After header, e.g. "30" or an HTTP date
	Header      http.Header   // more headers, e.g. X-RateLimit-Reset
	Delay       time.Duration // wait this long before answering or dropping (less if the client goes away)
	// Until, if set, holds the request until it is closed (or the client
	// goes away), then plays the rest: a test decides when a send that is
	// in flight gets its answer.
	Until <-chan struct{}
	Drop  bool // close the connection without answering
}

// Script is a queue of failures; the zero value is empty and ready to use.
type Script struct {
	mu    sync.Mutex
	queue []Failure
	deflt func() Failure
}

// SetDefault sets the failure of every request the queue has none for:
// f is called once per such request (it may return the zero Failure to
// answer normally), as a chaos test draws a random fault. Nil: none.
func (s *Script) SetDefault(f func() Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deflt = f
}

// Push queues failures for the next requests, in order.
func (s *Script) Push(f ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, f...)
}

// Next dequeues the failure for this request (the zero Failure when none is
// queued).
func (s *Script) Next() Failure {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		if s.deflt != nil {
			return s.deflt()
		}
		return Failure{}
	}
	f := s.queue[0]
	s.queue = s.queue[1:]
	return f
}

// Play plays f on the request and reports whether it answered (or dropped
// the connection); when it returns false the caller answers normally.
func Play(w http.ResponseWriter, r *http.Request, f Failure) bool {
	if f.Until != nil {
		select {
		case <-f.Until:
		case <-r.Context().Done():
			return true
		}
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done(): // the client gave up: do not hold the server's Close
			t.Stop()
			return true
		}
	}
	if f.Drop {
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("fakehttp: the server cannot drop connections (HTTP/2?)")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
		return true
	}
	if f.Status == 0 {
		return false
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	ct := f.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(f.Body))
	return true
}

// Body is a request body of N spaces that counts how much of it was read
// (Consumed): a test checks with it that a handler refused a request
// before reading its body.
type Body struct {
	N        int64
	Consumed int64
}

// Read implements io.Reader.
func (b *Body) Read(p []byte) (int, error) {
	if b.Consumed >= b.N {
		return 0, io.EOF
	}
	k := min(int64(len(p)), b.N-b.Consumed)
	for i := range p[:k] {
		p[i] = ' '
	}
	b.Consumed += k
	return int(k), nil
}
