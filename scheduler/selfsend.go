package scheduler

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"kigen"
	"kigen/notify"
	"kigen/store"
	"kigen/templates"
)

// SelfSendArgs is the job that sends what a self-service Signup row says:
// a sign-up's or a second channel's confirmation (a link by email, a
// 6-digit code by SMS), or a fresh link to the resident's page. It carries
// the row's ID only; the secrets are derived again from the link key and
// the row's nonce (SelfToken, SelfCode), never stored.
type SelfSendArgs struct {
	SignupID int64 `json:"signup_id"`
}

// Kind implements river.JobArgs.
func (SelfSendArgs) Kind() string { return "self_send" }

// EnqueueSelfSend inserts, in the store's transaction tx, the job that
// sends sign-up signupID's confirmation or link (desk.SelfQueue). A row is
// queued once, when it is created: the job needs no uniqueness, and a job
// run twice finds the row sent (SentAt) and sends nothing.
func (q *Queue) EnqueueSelfSend(ctx context.Context, tx store.Tx, signupID int64) error {
	params := []river.InsertManyParams{{Args: SelfSendArgs{SignupID: signupID}}}
	if err := q.client.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("scheduler: enqueue self-service send %d: %w", signupID, err)
	}
	return nil
}

// SelfMessageIDBase is added to a Signup's ID to make the message ID a
// provider is given (notify.Message.ID, the outbox's message_id): above
// every reminder's ID (a store's IDs never reach 2^52), so that a
// provider's event about a self-service send never matches a reminder's
// message and is ignored as unknown. Exact in JSON numbers (below 2^53).
const SelfMessageIDBase int64 = 1 << 52

// The paths of self-service links, under PublicURL (DESIGN.md contracts):
// an email confirmation opens ConfirmPath(code, token), a fresh link
// MePath(token).
func ConfirmPath(code, token string) string { return "/r/" + code + "/confirm/" + token }

// MePath is the path of a resident's page.
func MePath(token string) string { return "/me/" + token }

// SelfSendWorker works self_send jobs: it renders the confirmation or
// link of a Signup row in the resident's language (templates.RenderConfirm)
// and hands it to the channel's Sender (the outbox in tests), once: the
// row is marked sent before the call, and a row already sent, no longer
// pending, or expired sends nothing. What it logs names IDs only.
type SelfSendWorker struct {
	river.WorkerDefaults[SelfSendArgs]

	Store   store.Store
	Senders map[kigen.Channel]notify.Sender
	// PublicURL is KIGEN_PUBLIC_URL, the base of the links.
	PublicURL string
	// LinkKey is the secret the tokens and codes are derived from; nil:
	// the database's (store.Queries.LinkSecret). It must be the desk's
	// (desk.SelfConfig.LinkKey).
	LinkKey []byte
	Now     func() time.Time // default time.Now
	Logger  *slog.Logger     // default slog.Default()
	// Sent, if set, is called after each send the provider took
	// (kigen_signup_sms_sent_total).
	Sent func(ch kigen.Channel)
	// TokenDays is how many days a link to the resident's page works, as
	// the message says; default 30 (desk.DefaultTokenLifetime).
	TokenDays int
	// Municipalities keeps the municipalities of the sends for a moment
	// (a change shows within store.DefaultMunicipalityTTL); nil: each is
	// read from the database.
	Municipalities *store.MunicipalityCache

	key atomic.Pointer[[]byte] // LinkKey, or the database's, read once
}

var _ river.Worker[SelfSendArgs] = (*SelfSendWorker)(nil)

// linkKey returns LinkKey, or the database's secret, read once: it never
// changes once created.
func (w *SelfSendWorker) linkKey(ctx context.Context) ([]byte, error) {
	if len(w.LinkKey) > 0 {
		return w.LinkKey, nil
	}
	if k := w.key.Load(); k != nil {
		return *k, nil
	}
	k, err := w.Store.LinkSecret(ctx)
	if err != nil {
		return nil, err
	}
	w.key.Store(&k)
	return k, nil
}

func (w *SelfSendWorker) now() time.Time {
	if w.Now == nil {
		return time.Now()
	}
	return w.Now()
}

func (w *SelfSendWorker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.Default()
	}
	return w.Logger
}

// Work implements river.Worker.
func (w *SelfSendWorker) Work(ctx context.Context, job *river.Job[SelfSendArgs]) error {
	log := w.logger().With(slog.Int64("signup_id", job.Args.SignupID), slog.Int64("job_id", job.ID))
	s, err := w.Store.GetSignup(ctx, job.Args.SignupID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the resident was erased
	} else if err != nil {
		return err
	}
	now := w.now()
	switch {
	case s.State != store.SignupPending, !s.SentAt.IsZero(), !now.Before(s.ExpiresAt), s.Address == "":
		log.Info("self-service send skipped", slog.String("state", string(s.State)), slog.Bool("sent", !s.SentAt.IsZero()))
		return nil
	case s.Kind == store.SignupLink && s.ResidentID == 0:
		return nil
	}
	sender := w.Senders[s.Channel]
	if sender == nil {
		return river.JobCancel(fmt.Errorf("scheduler: no sender for %s", s.Channel))
	}
	key, err := w.linkKey(ctx)
	if err != nil {
		return err
	}
	mu, err := w.Municipalities.Get(ctx, w.Store, s.MunicipalityID)
	if err != nil {
		return err
	}
	base := strings.TrimRight(w.PublicURL, "/")
	p := templates.ConfirmParams{Kind: templates.ConfirmAddress, Channel: s.Channel, Lang: s.Language, Municipality: *mu,
		Minutes: int(s.ExpiresAt.Sub(s.CreatedAt).Round(time.Minute) / time.Minute),
		Hours:   int(s.ExpiresAt.Sub(s.CreatedAt).Round(time.Hour) / time.Hour), Days: cmp.Or(w.TokenDays, 30)}
	switch {
	case s.Kind == store.SignupLink:
		p.Kind, p.Link = templates.ConfirmLink, base+MePath(SelfToken(key, "me", s.Nonce))
	case s.Channel == kigen.Email:
		p.Link = base + ConfirmPath(mu.Code, SelfToken(key, "confirm", s.Nonce))
	default:
		p.Code = SelfCode(key, s.Nonce)
	}
	msg, err := templates.RenderConfirm(p)
	if err != nil {
		return river.JobCancel(err)
	}
	// Sent before the call: a crash during it never sends twice.
	s.SentAt = now
	if err := w.Store.UpdateSignup(ctx, s); err != nil {
		return err
	}
	out := notify.Message{ID: SelfMessageIDBase + s.ID, Channel: s.Channel, To: s.Address, Subject: msg.Subject, Text: msg.Text, SMS: msg.SMS,
		Categories: []string{"self-" + string(p.Kind)}}
	rec := notify.Record{MunicipalityCode: mu.Code, Lang: s.Language, TickDate: kigen.DateOf(now)}
	if _, err := notify.SendWithRecord(ctx, sender, out, rec); err != nil {
		log.Warn("self-service send failed", slog.String("channel", string(s.Channel)), slog.Bool("permanent", notify.IsPermanent(err)))
		if notify.IsPermanent(err) {
			return river.JobCancel(err)
		}
		// Not taken: it may be tried again, while it is still good.
		s.SentAt = time.Time{}
		if uerr := w.Store.UpdateSignup(context.WithoutCancel(ctx), s); uerr != nil {
			return errors.Join(err, uerr)
		}
		return err
	}
	if w.Sent != nil {
		w.Sent(s.Channel)
	}
	if s.Kind == store.SignupLink {
		// Nothing to confirm: the address is no longer needed.
		s.State, s.Address = store.SignupConfirmed, ""
		if err := w.Store.UpdateSignup(ctx, s); err != nil {
			return err
		}
	}
	log.Info("self-service send", slog.String("kind", string(s.Kind)), slog.String("channel", string(s.Channel)))
	return nil
}

// SelfToken returns the 128-bit token of purpose ("confirm": an email
// confirmation's link; "me": a fresh link to the resident's page) derived
// from the secret key and a Signup's nonce, in unpadded base64url (22
// characters): the desk that stores the row and this job that sends it
// compute the same token, and only its hash is stored.
func SelfToken(key []byte, purpose string, nonce []byte) string {
	return base64.RawURLEncoding.EncodeToString(selfDerive(key, "token:"+purpose, nonce)[:16])
}

// SelfCode returns the 6-digit code (000000–999999) derived from the
// secret key and a Signup's nonce: what an SMS confirmation carries.
func SelfCode(key, nonce []byte) string {
	n := binary.BigEndian.Uint64(selfDerive(key, "code", nonce)[:8])
	return fmt.Sprintf("%06d", n%1_000_000)
}

func selfDerive(key []byte, purpose string, nonce []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(nonce)
	return m.Sum(nil)
}

// SelfForgetArgs is the hourly job that forgets what self-service no
// longer needs (SelfForgetWorker), run by the elected leader.
type SelfForgetArgs struct{}

// Kind implements river.JobArgs.
func (SelfForgetArgs) Kind() string { return "self_forget" }

// SelfKeep is how long a Signup row stays (without its address once
// expired) for the daily limits to count it.
const SelfKeep = 48 * time.Hour

// SelfForgetWorker clears the address and fields of every Signup expired
// and deletes the rows older than SelfKeep, but for the possible
// duplicates staff have not settled (store.Queries.ForgetSignups).
type SelfForgetWorker struct {
	river.WorkerDefaults[SelfForgetArgs]

	Store  store.Store
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default slog.Default()
}

// Work implements river.Worker.
func (w *SelfForgetWorker) Work(ctx context.Context, job *river.Job[SelfForgetArgs]) error {
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	n, err := w.Store.ForgetSignups(ctx, now, now.Add(-SelfKeep))
	if err != nil {
		return err
	}
	if n > 0 {
		log := w.Logger
		if log == nil {
			log = slog.Default()
		}
		log.Info("self-service rows forgotten", slog.Int("rows", n))
	}
	return nil
}

// newSelfForgetPeriodicJob runs SelfForgetArgs every hour, and at the
// leader's start.
func newSelfForgetPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
		return SelfForgetArgs{}, nil
	}, &river.PeriodicJobOpts{RunOnStart: true})
}
