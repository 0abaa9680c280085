package scheduler

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"kigen"
	"kigen/notify"
	"kigen/store"
	"kigen/templates"
)

// DeliverWorker works deliver jobs: it renders a planned message in the
// resident's language on the day it goes out, hands it to the channel's
// Sender and records the delivery (DESIGN.md, Queue and Providers).
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
}

var _ river.Worker[DeliverArgs] = (*DeliverWorker)(nil)

// maxSnooze bounds a provider's Retry-After: a snooze is not an attempt, so
// an unbounded one could hold a message past its day.
const maxSnooze = time.Hour

// recordTimeout bounds the writes that record a send's outcome. They run
// even when the job's context has ended: the provider already answered.
const recordTimeout = 10 * time.Second

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
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	id := job.Args.MessageID
	log := w.logger().With(slog.Int64("message_id", id), slog.Int64("job_id", job.ID), slog.Int("attempt", job.Attempt))
	now := w.now()
	today := kigen.DateOf(now)

	m, err := w.Store.GetMessage(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		log.WarnContext(ctx, "deliver: message gone; job cancelled")
		return river.JobCancel(fmt.Errorf("deliver message %d: %w", id, err))
	} else if err != nil {
		return fmt.Errorf("deliver message %d: %w", id, err)
	}
	log = log.With(slog.String("channel", string(m.Channel)))
	if m.State != kigen.MessagePlanned {
		log.InfoContext(ctx, "deliver: message already done", slog.String("state", string(m.State)))
		return nil
	}

	ds, err := w.Store.ListDeliveries(ctx, id)
	if err != nil {
		return fmt.Errorf("deliver message %d: %w", id, err)
	}
	var reuse *kigen.Delivery // a delivery recorded but never tried
	if len(ds) > 0 {
		last := ds[len(ds)-1]
		switch last.State {
		case kigen.DeliverySending:
			// The process that made it died mid-call: the provider may
			// have the message. Never resend blindly.
			last.State, last.ErrorCode, last.ErrorReason = kigen.DeliveryUnknown, "interrupted", "the attempt ended during the provider call"
			if err := w.finish(ctx, m, last, kigen.MessageUnknown, nil); err != nil {
				return err
			}
			log.WarnContext(ctx, "deliver: an earlier attempt died while sending; recorded unknown, not resent",
				slog.Int64("delivery_id", last.ID))
			if w.Interrupted != nil {
				w.Interrupted(m.Channel)
			}
			return nil
		case kigen.DeliveryUnknown, kigen.DeliveryAccepted, kigen.DeliveryDelivered, kigen.DeliveryBounced:
			// The message should already have this outcome: align it.
			if err := w.finish(ctx, m, nil, messageState(last.State), nil); err != nil {
				return err
			}
			return nil
		case kigen.DeliveryCreated:
			reuse = last
		}
	}

	// Who, where, and what is still worth sending today.
	drop := func(reason string) error {
		if err := w.finish(ctx, m, nil, kigen.MessageDropped, nil); err != nil {
			return err
		}
		log.InfoContext(ctx, "deliver: message dropped", slog.String("reason", reason))
		return nil
	}
	if m.ResidentID == 0 {
		return drop("resident erased")
	}
	hs, err := store.LoadHoldings(ctx, w.Store, m.MunicipalityID, m.ResidentID)
	if err != nil {
		return fmt.Errorf("deliver message %d: %w", id, err)
	}
	if len(hs) == 0 {
		return drop("resident erased")
	}
	h := hs[0]
	contact := h.Contact(m.Channel)
	if contact == nil || !contact.Usable() {
		return drop("no usable contact on the channel")
	}
	notices, skipped := kigen.NoticesToSend(h.Holder(), h.Notices, m.NoticeIDs, today)
	if skipped > 0 {
		log.InfoContext(ctx, "deliver: notices left out", slog.Int("left_out", skipped), slog.Int("kept", len(notices)))
	}
	if len(notices) == 0 {
		return drop("no notice can go out any more")
	}
	if m.Channel == kigen.SMS {
		if wait := kigen.SMSQuietWait(now); wait > 0 {
			log.InfoContext(ctx, "deliver: SMS quiet hours; snoozed", slog.Duration("for", wait))
			return river.JobSnooze(wait)
		}
	}
	sender, provider := w.Senders[m.Channel], w.Providers[m.Channel]
	if sender == nil || provider == "" {
		return fmt.Errorf("deliver message %d: no sender configured for channel %s", id, m.Channel)
	}
	muni, err := w.Store.GetMunicipality(ctx, m.MunicipalityID)
	if err != nil {
		return fmt.Errorf("deliver message %d: %w", id, err)
	}

	// Render, with links that carry a fresh token.
	token := newToken()
	base := strings.TrimRight(w.PublicURL, "/")
	p := templates.Params{
		Lang:           h.Resident.Language,
		Municipality:   *muni,
		Today:          today,
		Notices:        notices,
		MessageURL:     base + "/m/" + token,
		UnsubscribeURL: base + "/u/" + token,
		ResidentName:   h.Resident.Name,
	}
	out := notify.Message{
		ID:               m.ID,
		Channel:          m.Channel,
		To:               contact.Address,
		Lang:             h.Resident.Language,
		MunicipalityCode: muni.Code,
		ResidentRef:      h.Resident.Ref,
		Notices:          outboxNotices(notices),
		TickDate:         m.TickDate,
	}
	switch m.Channel {
	case kigen.Email:
		e, err := w.Renderer.Email(p)
		if err != nil {
			return fmt.Errorf("deliver message %d: render: %w", id, err)
		}
		out.Subject, out.HTML, out.Text, out.Headers = e.Subject, e.HTML, e.Text, e.Headers
	case kigen.SMS:
		if out.SMS, err = w.Renderer.SMS(p); err != nil {
			return fmt.Errorf("deliver message %d: render: %w", id, err)
		}
	default:
		return river.JobCancel(fmt.Errorf("deliver message %d: unknown channel %q", id, m.Channel))
	}

	// Record the attempt, committed, before the provider sees anything.
	d := reuse
	if d == nil || d.Provider != provider {
		d = &kigen.Delivery{MessageID: m.ID, Provider: provider}
	}
	d.State = kigen.DeliverySending
	err = w.Store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.SetMessageToken(ctx, m.ID, TokenHash(token)); err != nil {
			return err
		}
		if d.ID != 0 {
			return tx.UpdateDelivery(ctx, d)
		}
		return tx.CreateDelivery(ctx, d)
	})
	if err != nil {
		return fmt.Errorf("deliver message %d: record sending: %w", id, err)
	}
	log = log.With(slog.Int64("delivery_id", d.ID), slog.String("provider", provider))

	rc, sendErr := sender.Send(ctx, out)
	return w.outcome(ctx, log, job, m, d, rc, sendErr, today)
}

// outcome records what the provider answered and tells River what next.
func (w *DeliverWorker) outcome(ctx context.Context, log *slog.Logger, job *river.Job[DeliverArgs], m *kigen.Message, d *kigen.Delivery, rc notify.Receipt, sendErr error, today kigen.Date) error {
	if sendErr == nil {
		d.State, d.ProviderMessageID, d.ErrorCode, d.ErrorReason = kigen.DeliveryAccepted, rc.ProviderMessageID, "", ""
		if err := w.finish(ctx, m, d, kigen.MessageSent, nil); err != nil {
			// The provider has it; the next attempt finds `sending` and
			// records unknown rather than send twice.
			return err
		}
		log.InfoContext(ctx, "deliver: message sent", slog.String("provider_message_id", rc.ProviderMessageID))
		return nil
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
		d.State = kigen.DeliveryUnknown
		if err := w.finish(ctx, m, d, kigen.MessageUnknown, nil); err != nil {
			return err
		}
		log.WarnContext(ctx, "deliver: the provider may have the message; recorded unknown, not retried", attrs...)
		return nil

	case notify.IsPermanent(sendErr):
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
			fb, err = fallback(ctx, tx, w.Enqueue, m, optOut, today)
			return err
		}
		if err := w.finish(ctx, m, d, kigen.MessageFailed, mark); err != nil {
			return err
		}
		log.WarnContext(ctx, "deliver: permanent failure; message failed",
			append(append(attrs, slog.Bool("contact_failed", ne != nil && ne.ContactFailed), slog.Bool("opt_out", optOut)), fb.attrs()...)...)
		return river.JobCancel(sendErr)
	}

	d.State = kigen.DeliveryFailed
	state := kigen.MessagePlanned
	last := job.Attempt >= job.MaxAttempts
	if last {
		// Retried for a day (Backoff): now a permanent failure (DOMAIN.md
		// §11.18). River discards the job.
		state = kigen.MessageFailed
	}
	var (
		fb   fallbackResult
		more func(ctx context.Context, tx store.Tx) error
	)
	if last {
		more = func(ctx context.Context, tx store.Tx) (err error) {
			fb, err = fallback(ctx, tx, w.Enqueue, m, false, today)
			return err
		}
	}
	if err := w.finish(ctx, m, d, state, more); err != nil {
		return errors.Join(sendErr, err)
	}
	if last {
		log.WarnContext(ctx, "deliver: retries exhausted; message failed", append(attrs, fb.attrs()...)...)
		return sendErr
	}
	if after := notify.RetryAfter(sendErr); after > 0 {
		after = min(after, maxSnooze)
		log.InfoContext(ctx, "deliver: provider asked to wait; snoozed", append(attrs, slog.Duration("for", after))...)
		return river.JobSnooze(after)
	}
	log.InfoContext(ctx, "deliver: retryable failure", attrs...)
	return sendErr
}

// finish records, in one transaction, the delivery d (if any), the
// message's new state (unless planned, which it already is) and whatever
// more does (with finish's context). It runs even if ctx has ended (a
// send's outcome must not be lost to a job timeout), for up to
// recordTimeout.
func (w *DeliverWorker) finish(ctx context.Context, m *kigen.Message, d *kigen.Delivery, state kigen.MessageState, more func(ctx context.Context, tx store.Tx) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	err := w.Store.InTx(ctx, func(tx store.Tx) error {
		if d != nil {
			if err := tx.UpdateDelivery(ctx, d); err != nil {
				return err
			}
		}
		if state != m.State {
			if err := tx.SetMessageState(ctx, m.ID, state); err != nil {
				return err
			}
		}
		if more != nil {
			return more(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("deliver message %d: record %s: %w", m.ID, state, err)
	}
	m.State = state
	return nil
}

// outboxNotices is how the outbox line lists a message's notices.
func outboxNotices(ds []kigen.Due) []notify.OutboxNotice {
	out := make([]notify.OutboxNotice, len(ds))
	for i, d := range ds {
		out[i] = notify.OutboxNotice{Card: d.Kind, ExpiresOn: d.ExpiresOn, Stage: d.Stage}
	}
	return out
}

// newToken returns a fresh link token: 128 random bits, base64url without
// padding (22 characters, so that an SMS's link stays short).
func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TokenHash returns what the store keeps of a link token (SetMessageToken,
// GetMessageByToken): the SHA-256 of its text. The /m/ and /u/ pages hash
// the token of the URL with it to find the message.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
