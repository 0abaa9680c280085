// Package outbox is the embedded default notify.Sender: every message a
// channel without provider keys would send is appended, as one JSON line,
// to a file (KIGEN_OUTBOX, default outbox.jsonl). Safe by default: nothing
// leaves the machine, and nothing is silently dropped.
//
// The line is the outbox contract of docs/architecture.md:
//
//	{"message_id":1,"municipality":"012033","resident_ref":"A-1","channel":"email",
//	 "to":"…","lang":"en","notices":[{"card":"residence_card","expires_on":"2027-03-31","stage":"d60"}],
//	 "subject":"…","body":"…","tick_date":"2027-01-30","created_at":"2027-01-30T00:00:00Z"}
//
// subject is present for email only; body is the SMS text or the email's
// plain-text part. municipality, resident_ref, lang, notices and tick_date
// come from the message's notify.Record: the Sender is a
// notify.RecordSender, and refuses a message sent without one.
package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"kigen"
	"kigen/notify"
)

// Provider is the provider name in receipts and errors.
const Provider = "outbox"

var _ notify.RecordSender = (*Sender)(nil)

// Opts are the optional settings of a Sender.
type Opts struct {
	Logger *slog.Logger     // default: discard
	Now    func() time.Time // stamps created_at; default time.Now
	Perm   os.FileMode      // of a new file; default 0600 (the lines hold addresses)
}

// Sender appends messages to an outbox file. It is safe for concurrent use,
// and several processes may append to the same file: each line is written
// with one write(2) on a file opened with O_APPEND, so lines never
// interleave, and the file is synced before Send reports the message
// accepted.
type Sender struct {
	path   string
	logger *slog.Logger
	now    func() time.Time

	mu sync.Mutex // orders this process's writes and guards f
	f  *os.File
}

// Open opens (creating it if needed) the outbox file at path for appending.
func Open(path string, opts *Opts) (*Sender, error) {
	if opts == nil {
		opts = &Opts{}
	}
	perm := opts.Perm
	if perm == 0 {
		perm = 0o600
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, perm)
	if err != nil {
		return nil, fmt.Errorf("outbox: open: %w", err)
	}
	s := &Sender{path: path, logger: opts.Logger, now: opts.Now, f: f}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Path returns the file the sender appends to.
func (s *Sender) Path() string { return s.path }

// Close closes the file. Sends after Close fail (retryably).
func (s *Sender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}

// line is one outbox line; the field order is the contract's.
type line struct {
	MessageID    int64          `json:"message_id"`
	Municipality string         `json:"municipality"`
	ResidentRef  string         `json:"resident_ref"`
	Channel      kigen.Channel  `json:"channel"`
	To           string         `json:"to"`
	Lang         kigen.Language `json:"lang"`
	Notices      []notice       `json:"notices"`
	Subject      *string        `json:"subject,omitempty"`
	Body         string         `json:"body"`
	TickDate     kigen.Date     `json:"tick_date"`
	CreatedAt    time.Time      `json:"created_at"`
}

type notice struct {
	Card      kigen.CardKind `json:"card"`
	ExpiresOn kigen.Date     `json:"expires_on"`
	Stage     kigen.Stage    `json:"stage"`
}

// errNoRecord refuses a message sent without its record.
var errNoRecord = errors.New("a message without its record: a Sender wrapping the outbox must pass notify.RecordSender on")

// Send refuses m for good: an outbox line needs the message's Record
// (SendRecord). A Sender that wraps the outbox and reaches Send did not
// pass notify.RecordSender on, and its messages would lose half their
// line: refused, so that the mistake is seen at once.
func (s *Sender) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	return notify.Receipt{}, notify.InvalidMessage(Provider, errNoRecord)
}

// SendRecord appends m with its record r as one JSON line, syncs the file
// and returns the receipt "outbox-<message id>". A message that fails
// Validate is refused for good; a write or sync error is retryable.
func (s *Sender) SendRecord(ctx context.Context, m notify.Message, r notify.Record) (notify.Receipt, error) {
	if err := m.Validate(); err != nil {
		return notify.Receipt{}, notify.InvalidMessage(Provider, err)
	}
	if err := ctx.Err(); err != nil {
		return notify.Receipt{}, &notify.Error{Provider: Provider, Code: "canceled", Err: err}
	}
	// Not json.Marshal: a body's links keep their "&" instead of "\u0026",
	// so that a person reading the outbox can follow them.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // Encode ends the line with "\n"
	enc.SetEscapeHTML(false)
	if err := enc.Encode(toLine(m, r, s.now())); err != nil {
		return notify.Receipt{}, notify.InvalidMessage(Provider, err)
	}
	if err := s.write(buf.Bytes()); err != nil {
		return notify.Receipt{}, &notify.Error{Provider: Provider, Code: "write", Reason: "cannot append to the outbox file", Err: err}
	}
	rc := notify.Receipt{Provider: Provider, ProviderMessageID: Provider + "-" + strconv.FormatInt(m.ID, 10)}
	s.logger.LogAttrs(ctx, slog.LevelInfo, "message written to outbox",
		slog.Int64("message_id", m.ID),
		slog.String("channel", string(m.Channel)),
		slog.String("provider_message_id", rc.ProviderMessageID),
		slog.Int("notices", len(r.Notices)))
	return rc, nil
}

func (s *Sender) write(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return os.ErrClosed
	}
	// One Write is one write(2) for a regular file (the runtime loops only
	// on a short write, which a local file does not do): with O_APPEND the
	// kernel places the whole line at the end, even with other processes
	// appending to the same file.
	if _, err := s.f.Write(b); err != nil {
		return err
	}
	return s.f.Sync()
}

func toLine(m notify.Message, r notify.Record, now time.Time) line {
	l := line{
		MessageID:    m.ID,
		Municipality: r.MunicipalityCode,
		ResidentRef:  r.ResidentRef,
		Channel:      m.Channel,
		To:           m.To,
		Lang:         r.Lang,
		Notices:      make([]notice, 0, len(r.Notices)),
		TickDate:     r.TickDate,
		CreatedAt:    now.UTC(),
	}
	for _, n := range r.Notices {
		l.Notices = append(l.Notices, notice{n.Card, n.ExpiresOn, n.Stage})
	}
	if m.Channel == kigen.Email {
		subject := m.Subject
		l.Subject = &subject
		l.Body = m.Text
	} else {
		l.Body = m.SMS
	}
	return l
}
