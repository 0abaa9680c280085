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
// under an exclusive lock of the file (flock), so lines never interleave,
// and the file is synced before Send reports the message accepted. An
// append that fails (a full disk) is undone, so that every message
// reported accepted has exactly one whole line.
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
	// Read as well as append: a fragment at the end is found by reading
	// (endOfLines).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, perm)
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

// write appends b, one whole line, and syncs it. An append that fails,
// in its write or its sync, leaves the file exactly as it was: a full disk
// can cut a write in the middle of a line, and the retry of that message
// must not land after the fragment (docs/operations.md, "The outbox").
func (s *Sender) write(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return os.ErrClosed
	}
	// Other processes append to the same file: the size read, the append
	// and its undoing must not interleave with theirs.
	unlock, err := lock(s.f)
	if err != nil {
		return err
	}
	defer unlock()
	size, err := s.endOfLines()
	if err != nil {
		return err
	}
	// With O_APPEND the kernel places what is written at the end, which is
	// size: the lock keeps everyone else out.
	if _, err := s.f.Write(b); err != nil {
		return s.undo(size, err)
	}
	if err := s.f.Sync(); err != nil {
		return s.undo(size, err)
	}
	return nil
}

// undo cuts the file back to size after the append that failed with err.
func (s *Sender) undo(size int64, err error) error {
	if terr := s.f.Truncate(size); terr != nil {
		// The next append finds the fragment and removes it (endOfLines).
		return errors.Join(err, fmt.Errorf("truncate back to %d bytes: %w", size, terr))
	}
	return errors.Join(err, s.f.Sync())
}

// endOfLines returns the file's size once it ends with a whole line. A
// fragment at the end (an append that failed and could not be undone, or
// a process that died in the middle of one) is no message's line: the
// message was never reported accepted. It is cut off, so that the next
// line starts on a line of its own.
func (s *Sender) endOfLines() (int64, error) {
	fi, err := s.f.Stat()
	if err != nil {
		return 0, err
	}
	size := fi.Size()
	end := size
	buf := make([]byte, 4096)
	for end > 0 {
		n := min(end, int64(len(buf)))
		if _, err := s.f.ReadAt(buf[:n], end-n); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			end = end - n + int64(i) + 1
			break
		}
		end -= n
	}
	if end == size {
		return size, nil
	}
	s.logger.Warn("outbox: a partial line left by a failed append removed", slog.Int64("bytes", size-end))
	if err := s.f.Truncate(end); err != nil {
		return 0, fmt.Errorf("remove a partial line: %w", err)
	}
	return end, nil
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
