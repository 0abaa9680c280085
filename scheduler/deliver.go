package scheduler

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"kigen"
	"kigen/notify"
	"kigen/store"
	"kigen/templates"
)

// DeliverWorker works deliver jobs: it renders a planned message in the
// resident's language on the day it goes out, hands it to the channel's
// Sender and records the delivery (docs/architecture.md, "From a CSV row to a sent message").
//
// A delivery is recorded `sending` and committed before the provider is
// called. A job that finds its message's last delivery `sending` knows that
// an earlier attempt died mid-call: the provider may have the message, so
// it records `unknown` and does not send again. Everything the worker
// logs or returns names ids only.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]

	Store store.Store
	// Senders are the providers by channel; Providers their names for the
	// delivery rows ("outbox", "sendgrid", "twilio"), which the webhooks
	// match events against.
	Senders   map[kigen.Channel]notify.Sender
	Providers map[kigen.Channel]string
	Renderer  *templates.Renderer
	// PublicURL is KIGEN_PUBLIC_URL, the base of the links in messages.
	PublicURL string
	// Now returns the current time (KIGEN_NOW in demos and tests); "today"
	// is its date in Asia/Tokyo. Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger // default slog.Default()
	// Interrupted, if set, is called when a job finds the delivery of an
	// attempt that died during the provider call and records it unknown
	// (no Sender saw that outcome: it is counted here).
	Interrupted func(ch kigen.Channel)
	// Enqueue inserts deliver jobs in a store transaction (Queue.Enqueue).
	// With it, a message that fails for good is sent on the resident's
	// other channel (fallback); nil: it just stays failed.
	Enqueue EnqueueFunc
	// LinkKey is the secret the links' tokens are derived from
	// (KIGEN_LINK_SECRET); nil: the database's (store.Queries.LinkSecret),
	// read at the first job.
	LinkKey []byte

	keyMu sync.Mutex
	key   []byte // LinkKey, or the database's, once known
}

var _ river.Worker[DeliverArgs] = (*DeliverWorker)(nil)

// maxSnooze bounds a provider's Retry-After: a snooze is not an attempt, so
// an unbounded one could hold a message past its day.
const maxSnooze = time.Hour

// recordTimeout is the least time the writes that record a send's outcome
// are given, also when the job's context has ended: the provider already
// answered. Within the job's time (its deadline, JobTimeout) they are
// retried for as long as it lasts.
const recordTimeout = 10 * time.Second

// The waits between the attempts of an outcome write: from recordRetryFirst
// doubling up to recordRetryMax.
const (
	recordRetryFirst = 100 * time.Millisecond
	recordRetryMax   = 2 * time.Second
)

func (w *DeliverWorker) now() time.Time {
	if w.Now == nil {
		return time.Now()
	}
	return w.Now()
}

func (w *DeliverWorker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.Default()
	}
	return w.Logger
}

// Work implements river.Worker: it delivers message job.Args.MessageID.
// It returns nil when there is nothing (more) to do, river.JobCancel when
// retrying cannot help, river.JobSnooze when the provider or the SMS quiet
// hours say later, and any other error for River to retry with Backoff.
//
// The steps: load the message and settle what an earlier attempt left;
// drop it, or snooze it, if it cannot go out now; render it; record the
// attempt `sending`, committed; send it and record the outcome.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	now := w.now()
	a := &attempt{
		w:     w,
		job:   job,
		now:   now,
		today: kigen.DateOf(now),
		log:   w.logger().With(slog.Int64("message_id", job.Args.MessageID), slog.Int64("job_id", job.ID), slog.Int("attempt", job.Attempt)),
	}
	if stop, err := a.load(ctx); stop {
		return err
	}
	if stop, err := a.dropOrSnooze(ctx); stop {
		return err
	}
	out, rec, token, err := a.render(ctx)
	if err != nil {
		return err
	}
	d, err := a.record(ctx, token)
	if err != nil {
		return err
	}
	// The record (reference, municipality, notices, tick) goes only to a
	// Sender that keeps one: the outbox, never a provider.
	rc, sendErr := notify.SendWithRecord(ctx, a.sender(), out, rec)
	return a.outcome(ctx, d, rc, sendErr)
}

// attempt is one job's work on its message, step by step.
type attempt struct {
	w     *DeliverWorker
	job   *river.Job[DeliverArgs]
	now   time.Time
	today kigen.Date // now in Asia/Tokyo: the day the message is rendered for
	log   *slog.Logger

	m       *kigen.Message  // load
	reuse   *kigen.Delivery // load: a delivery recorded but never tried
	h       *store.Holding  // dropOrSnooze: the resident
	to      string          // dropOrSnooze: the address on the message's channel
	notices []kigen.Due     // dropOrSnooze: what still goes out today
}

// errorf wraps an error of the attempt with its message id.
func (a *attempt) errorf(format string, args ...any) error {
	return fmt.Errorf("deliver message %d: "+format, append([]any{a.job.Args.MessageID}, args...)...)
}

// load reads the message and its deliveries. It stops the job when the
// message is gone or done, or when an earlier attempt settled it: one that
// died during the provider call is recorded unknown (never resent
// blindly); one that ended is aligned with its delivery.
func (a *attempt) load(ctx context.Context) (stop bool, err error) {
	id := a.job.Args.MessageID
	m, err := a.w.Store.GetMessage(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		a.log.WarnContext(ctx, "deliver: message gone; job cancelled")
		return true, river.JobCancel(a.errorf("%w", err))
	} else if err != nil {
		return true, a.errorf("%w", err)
	}
	a.m, a.log = m, a.log.With(slog.String("channel", string(m.Channel)))
	if m.State != kigen.MessagePlanned {
		a.log.InfoContext(ctx, "deliver: message already done", slog.String("state", string(m.State)))
		return true, nil
	}
	ds, err := a.w.Store.ListDeliveries(ctx, id)
	if err != nil {
		return true, a.errorf("%w", err)
	}
	if len(ds) == 0 {
		return false, nil
	}
	switch last := ds[len(ds)-1]; last.State {
	case kigen.DeliverySending:
		// The process that made it died mid-call: the provider may
		// have the message. Never resend blindly.
		last.State, last.ErrorCode, last.ErrorReason = kigen.DeliveryUnknown, "interrupted", "the attempt ended during the provider call"
		if err := a.w.finish(ctx, m, last, kigen.MessageUnknown, nil); err != nil {
			return true, err
		}
		a.log.WarnContext(ctx, "deliver: an earlier attempt died while sending; recorded unknown, not resent",
			slog.Int64("delivery_id", last.ID))
		if a.w.Interrupted != nil {
			a.w.Interrupted(m.Channel)
		}
		return true, nil
	case kigen.DeliveryUnknown, kigen.DeliveryAccepted, kigen.DeliveryDelivered, kigen.DeliveryBounced:
		// The message should already have this outcome: align it.
		return true, a.w.finish(ctx, m, nil, messageState(last.State), nil)
	case kigen.DeliveryCreated:
		a.reuse = last
	}
	return false, nil
}

// dropOrSnooze works out who, where, and what is still worth sending
// today. It stops the job when the message is dropped (the resident was
// erased, has no usable contact on the channel, or none of the notices can
// go out any more) or, for an SMS in the quiet hours, snoozed.
func (a *attempt) dropOrSnooze(ctx context.Context) (stop bool, err error) {
	m := a.m
	if m.ResidentID == 0 {
		return true, a.drop(ctx, "resident erased")
	}
	hs, err := store.LoadHoldings(ctx, a.w.Store, m.MunicipalityID, m.ResidentID)
	if err != nil {
		return true, a.errorf("%w", err)
	}
	if len(hs) == 0 {
		return true, a.drop(ctx, "resident erased")
	}
	a.h = hs[0]
	contact := a.h.Contact(m.Channel)
	if contact == nil || !contact.Usable() {
		return true, a.drop(ctx, "no usable contact on the channel")
	}
	a.to = contact.Address
	var skipped int
	a.notices, skipped = kigen.NoticesToSend(a.h.Holder(), a.h.Notices, m.NoticeIDs, a.today)
	if skipped > 0 {
		a.log.InfoContext(ctx, "deliver: notices left out", slog.Int("left_out", skipped), slog.Int("kept", len(a.notices)))
	}
	if len(a.notices) == 0 {
		return true, a.drop(ctx, "no notice can go out any more")
	}
	if m.Channel == kigen.SMS {
		if wait := kigen.SMSQuietWait(a.now); wait > 0 {
			a.log.InfoContext(ctx, "deliver: SMS quiet hours; snoozed", slog.Duration("for", wait))
			return true, river.JobSnooze(wait)
		}
	}
	return false, nil
}

// drop records the message dropped: it will not go out.
func (a *attempt) drop(ctx context.Context, reason string) error {
	if err := a.w.finish(ctx, a.m, nil, kigen.MessageDropped, nil); err != nil {
		return err
	}
	a.log.InfoContext(ctx, "deliver: message dropped", slog.String("reason", reason))
	return nil
}

// sender returns the channel's Sender (nil if none is configured).
func (a *attempt) sender() notify.Sender { return a.w.Senders[a.m.Channel] }

// provider returns the name of the channel's provider ("" if none).
func (a *attempt) provider() string { return a.w.Providers[a.m.Channel] }

// render renders the message in the resident's language on the day it goes
// out, with links that carry the message's token (the same on every
// attempt: linkToken), and returns it with its outbox record and the
// token.
func (a *attempt) render(ctx context.Context) (out notify.Message, rec notify.Record, token string, err error) {
	m, h := a.m, a.h
	if a.sender() == nil || a.provider() == "" {
		return out, rec, "", a.errorf("no sender configured for channel %s", m.Channel)
	}
	muni, err := a.w.Store.GetMunicipality(ctx, m.MunicipalityID)
	if err != nil {
		return out, rec, "", a.errorf("%w", err)
	}
	key, err := a.w.linkKey(ctx)
	if err != nil {
		return out, rec, "", a.errorf("link secret: %w", err)
	}
	token = linkToken(key, m)
	base := strings.TrimRight(a.w.PublicURL, "/")
	p := templates.Params{
		Lang:           h.Resident.Language,
		Municipality:   *muni,
		Status:         h.Resident.Status,
		Today:          a.today,
		Notices:        a.notices,
		MessageURL:     base + "/m/" + token,
		UnsubscribeURL: base + "/u/" + token,
		ResidentName:   h.Resident.Name,
	}
	out = notify.Message{ID: m.ID, Channel: m.Channel, To: a.to}
	switch m.Channel {
	case kigen.Email:
		e, err := a.w.Renderer.Email(p)
		if err != nil {
			return out, rec, "", a.errorf("render: %w", err)
		}
		out.Subject, out.HTML, out.Text, out.Headers = e.Subject, e.HTML, e.Text, e.Headers
	case kigen.SMS:
		if out.SMS, err = a.w.Renderer.SMS(p); err != nil {
			return out, rec, "", a.errorf("render: %w", err)
		}
	default:
		return out, rec, "", river.JobCancel(a.errorf("unknown channel %q", m.Channel))
	}
	rec = notify.Record{
		MunicipalityCode: muni.Code,
		ResidentRef:      h.Resident.Ref,
		Lang:             h.Resident.Language,
		Notices:          outboxNotices(a.notices),
		TickDate:         m.TickDate,
	}
	return out, rec, token, nil
}

// record records the attempt `sending`, with the hash of the links' token
// (the message's first one stays: SetMessageToken), and commits it before
// the provider sees anything.
func (a *attempt) record(ctx context.Context, token string) (*kigen.Delivery, error) {
	m, provider := a.m, a.provider()
	d := a.reuse
	if d == nil || d.Provider != provider {
		d = &kigen.Delivery{MessageID: m.ID, Provider: provider}
	}
	d.State = kigen.DeliverySending
	err := a.w.Store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.SetMessageToken(ctx, m.ID, TokenHash(token)); err != nil {
			return err
		}
		if d.ID != 0 {
			return tx.UpdateDelivery(ctx, d)
		}
		return tx.CreateDelivery(ctx, d)
	})
	if err != nil {
		return nil, a.errorf("record sending: %w", err)
	}
	a.log = a.log.With(slog.Int64("delivery_id", d.ID), slog.String("provider", provider))
	return d, nil
}

// outcome records what the provider answered and tells River what next:
// accepted, maybe sent (unknown), failed for good, or to be retried.
func (a *attempt) outcome(ctx context.Context, d *kigen.Delivery, rc notify.Receipt, sendErr error) error {
	if sendErr == nil {
		return a.accepted(ctx, d, rc)
	}
	code, reason := "error", notify.Redact(sendErr.Error())
	var ne *notify.Error
	if errors.As(sendErr, &ne) {
		code, reason = ne.Code, ne.Reason
	}
	d.ErrorCode, d.ErrorReason = code, reason
	attrs := []any{slog.String("code", code)}
	switch {
	case notify.MaybeSent(sendErr):
		return a.maybeSent(ctx, d, attrs)
	case notify.IsPermanent(sendErr):
		return a.failed(ctx, d, ne, sendErr, attrs)
	}
	return a.retry(ctx, d, sendErr, attrs)
}

// accepted records a send the provider accepted.
func (a *attempt) accepted(ctx context.Context, d *kigen.Delivery, rc notify.Receipt) error {
	d.State, d.ProviderMessageID, d.ErrorCode, d.ErrorReason = kigen.DeliveryAccepted, rc.ProviderMessageID, "", ""
	if err := a.w.finish(ctx, a.m, d, kigen.MessageSent, nil); err != nil {
		// The provider has it; the next attempt finds `sending` and
		// records unknown rather than send twice. The provider's id,
		// logged here, is what settles it (docs/operations.md).
		a.log.ErrorContext(ctx, "deliver: the provider accepted the message but its outcome could not be recorded; it will be recorded unknown",
			slog.String("provider_message_id", rc.ProviderMessageID), slog.String("error", err.Error()))
		return err
	}
	a.log.InfoContext(ctx, "deliver: message sent", slog.String("provider_message_id", rc.ProviderMessageID))
	return nil
}

// maybeSent records a send the provider may have taken: unknown, never
// retried.
func (a *attempt) maybeSent(ctx context.Context, d *kigen.Delivery, attrs []any) error {
	d.State = kigen.DeliveryUnknown
	if err := a.w.finish(ctx, a.m, d, kigen.MessageUnknown, nil); err != nil {
		return err
	}
	a.log.WarnContext(ctx, "deliver: the provider may have the message; recorded unknown, not retried", attrs...)
	return nil
}

// failed records a permanent failure: the contact marked failed or opted
// out when the provider says so, and the message sent on the resident's
// other channel (fallback), in one transaction. River cancels the job.
func (a *attempt) failed(ctx context.Context, d *kigen.Delivery, ne *notify.Error, sendErr error, attrs []any) error {
	m, today := a.m, a.today
	d.State = kigen.DeliveryFailed
	optOut := ne != nil && ne.OptOut
	var fb fallbackResult
	mark := func(ctx context.Context, tx store.Tx) error {
		if ne != nil && (ne.ContactFailed || ne.OptOut) && m.ResidentID != 0 {
			e := notify.Event{ContactFailed: ne.ContactFailed, OptOut: ne.OptOut}
			if err := markContact(ctx, tx, m, d, e, today); err != nil {
				return err
			}
		}
		var err error
		fb, err = fallback(ctx, tx, a.w.Enqueue, m, optOut, today)
		return err
	}
	if err := a.w.finish(ctx, m, d, kigen.MessageFailed, mark); err != nil {
		return err
	}
	a.log.WarnContext(ctx, "deliver: permanent failure; message failed",
		append(append(attrs, slog.Bool("contact_failed", ne != nil && ne.ContactFailed), slog.Bool("opt_out", optOut)), fb.attrs()...)...)
	return river.JobCancel(sendErr)
}

// retry records a retryable failure and has River retry the job (or
// snooze it when the provider asked to wait). The last attempt, a day of
// retries on (Backoff), is a permanent failure (docs/domain.md §11.18): the
// message fails, falls back to the other channel, and River discards the
// job.
func (a *attempt) retry(ctx context.Context, d *kigen.Delivery, sendErr error, attrs []any) error {
	d.State = kigen.DeliveryFailed
	if a.job.Attempt >= a.job.MaxAttempts {
		var fb fallbackResult
		more := func(ctx context.Context, tx store.Tx) (err error) {
			fb, err = fallback(ctx, tx, a.w.Enqueue, a.m, false, a.today)
			return err
		}
		if err := a.w.finish(ctx, a.m, d, kigen.MessageFailed, more); err != nil {
			return errors.Join(sendErr, err)
		}
		a.log.WarnContext(ctx, "deliver: retries exhausted; message failed", append(attrs, fb.attrs()...)...)
		return sendErr
	}
	if err := a.w.finish(ctx, a.m, d, kigen.MessagePlanned, nil); err != nil {
		return errors.Join(sendErr, err)
	}
	if after := notify.RetryAfter(sendErr); after > 0 {
		after = min(after, maxSnooze)
		a.log.InfoContext(ctx, "deliver: provider asked to wait; snoozed", append(attrs, slog.Duration("for", after))...)
		return river.JobSnooze(after)
	}
	a.log.InfoContext(ctx, "deliver: retryable failure", attrs...)
	return sendErr
}

// finish records, in one transaction, the delivery d (if any), the
// message's new state (unless planned, which it already is) and whatever
// more does (with finish's context). It runs even if ctx has ended (a
// send's outcome must not be lost to a job timeout).
//
// A write that fails (the database is restarting, a connection was cut)
// is tried again, with backoff, until the job's deadline, or for
// recordTimeout if that is later: a short database outage must not turn a
// send the provider accepted into an unknown one. Only a refusal of the
// store's own (ErrNotFound, ErrConflict) is not retried.
func (w *DeliverWorker) finish(ctx context.Context, m *kigen.Message, d *kigen.Delivery, state kigen.MessageState, more func(ctx context.Context, tx store.Tx) error) error {
	deadline := time.Now().Add(recordTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.After(deadline) {
		deadline = dl
	}
	wctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	write := func() error {
		return w.Store.InTx(wctx, func(tx store.Tx) error {
			if d != nil {
				if err := tx.UpdateDelivery(wctx, d); err != nil {
					return err
				}
			}
			if state != m.State {
				if err := tx.SetMessageState(wctx, m.ID, state); err != nil {
					return err
				}
			}
			if more != nil {
				return more(wctx, tx)
			}
			return nil
		})
	}
	wait := recordRetryFirst
	var err error
	for tries := 1; ; tries++ {
		if err = write(); err == nil {
			if tries > 1 {
				w.logger().InfoContext(ctx, "deliver: outcome recorded after the database came back",
					slog.Int64("message_id", m.ID), slog.String("state", string(state)), slog.Int("tries", tries))
			}
			m.State = state
			return nil
		}
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) || time.Until(deadline) < wait {
			break
		}
		if tries == 1 {
			w.logger().WarnContext(ctx, "deliver: cannot record the outcome; retrying until the job's time runs out",
				slog.Int64("message_id", m.ID), slog.String("state", string(state)),
				slog.Time("until", deadline), slog.String("error", err.Error()))
		}
		select {
		case <-time.After(wait):
		case <-wctx.Done():
		}
		wait = min(2*wait, recordRetryMax)
	}
	return fmt.Errorf("deliver message %d: record %s: %w", m.ID, state, err)
}

// outboxNotices is how the outbox line lists a message's notices.
func outboxNotices(ds []kigen.Due) []notify.OutboxNotice {
	out := make([]notify.OutboxNotice, len(ds))
	for i, d := range ds {
		out[i] = notify.OutboxNotice{Card: d.Kind, ExpiresOn: d.ExpiresOn, Stage: d.Stage}
	}
	return out
}

// linkKey returns the secret link tokens are derived from: LinkKey, or the
// database's, read once.
func (w *DeliverWorker) linkKey(ctx context.Context) ([]byte, error) {
	w.keyMu.Lock()
	defer w.keyMu.Unlock()
	if w.key != nil {
		return w.key, nil
	}
	if w.LinkKey != nil {
		w.key = w.LinkKey
		return w.key, nil
	}
	key, err := w.Store.LinkSecret(ctx)
	if err != nil {
		return nil, err
	}
	w.key = key
	return key, nil
}

// linkToken returns the token of message m's links (/m/, /u/): 128 bits of
// HMAC-SHA256 under key of the message's id and creation time, base64url
// without padding (22 characters, so that an SMS's link stays short).
//
// Every attempt of a message, in any process on the database, derives the
// same token, so that the link of an email sent earlier (its one-click
// unsubscribe, RFC 8058) keeps working after a retry or a resend; and the
// store keeps only its hash (TokenHash). The creation time tells apart the
// messages of two databases that share a KIGEN_LINK_SECRET and number
// their messages alike.
func linkToken(key []byte, m *kigen.Message) string {
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "kigen link %d %d", m.ID, m.CreatedAt.Unix())
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16])
}

// TokenHash returns what the store keeps of a link token (SetMessageToken,
// GetMessageByToken): the SHA-256 of its text. The /m/ and /u/ pages hash
// the token of the URL with it to find the message.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
