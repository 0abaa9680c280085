package desk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/roster"
	"kigen/scheduler"
	"kigen/store"
)

// SelfQueue is what resident self-service needs of the job queue
// (scheduler.Queue): queue, in the caller's transaction, the job that
// sends what a Signup row says (a confirmation link or code, a fresh link
// to the resident's page). The job carries the row's ID only.
type SelfQueue interface {
	EnqueueSelfSend(ctx context.Context, tx store.Tx, signupID int64) error
}

// SelfConfig configures resident self-service. The zero value of each
// field is its default.
type SelfConfig struct {
	// Queue sends confirmations and links; nil: StartSignup, RequestLink
	// and SelfAddChannel fail (an internal error).
	Queue SelfQueue
	// Limits are the daily limits on what the public pages may send.
	Limits SignupLimits
	// LinkKey is the secret confirmation tokens and codes are derived
	// from; nil: the database's (store.Queries.LinkSecret), read once and
	// kept (a SelfConfig serves one database). The job that sends them
	// must use the same (scheduler.SelfSendWorker.LinkKey).
	LinkKey []byte
	// TokenLifetime is how long a link to the resident's page works;
	// default DefaultTokenLifetime.
	TokenLifetime time.Duration
	// Municipalities keeps the municipalities the public pages read for
	// a moment (store.MunicipalityCache); nil: each read goes to the
	// database. UpdateMunicipality forgets the one it changed.
	Municipalities *store.MunicipalityCache

	dbKey atomic.Pointer[[]byte] // the database's link secret, once read
}

// Lifetimes of self-service secrets.
const (
	// DefaultTokenLifetime is how long a link to the resident's page
	// works: a fresh link (RequestLink) gives a new one.
	DefaultTokenLifetime = 30 * 24 * time.Hour
	// CodeLifetime is how long an SMS confirmation code works.
	CodeLifetime = 15 * time.Minute
	// ConfirmLinkLifetime is how long an email confirmation link works.
	ConfirmLinkLifetime = 24 * time.Hour
	// LinkSendLifetime is how long a fresh link asked for may wait to be
	// sent.
	LinkSendLifetime = 15 * time.Minute
	// MaxCodeTries is how many codes may be typed for one confirmation.
	MaxCodeTries = 5
)

// SignupLimits are the daily limits (a day in Asia/Tokyo) on what the
// public pages send — sign-up confirmations, second channels' and fresh
// links alike — against SMS pumping and mail bombing. Over one, nothing is
// sent and the action is refused with kigen.ELOCKED ("try again
// tomorrow"). Zero: the default.
type SignupLimits struct {
	PerAddress      int `json:"per_address"`      // to one address; default 3
	PerClient       int `json:"per_client"`       // from one client (the web layer's key); default 10
	PerMunicipality int `json:"per_municipality"` // in one municipality; default 500
	SMSBudget       int `json:"sms_budget"`       // SMS in all; default 1000 (KIGEN_SIGNUP_SMS_DAILY_BUDGET)
	EmailBudget     int `json:"email_budget"`     // emails in all; default 10000 (KIGEN_SIGNUP_EMAIL_DAILY_BUDGET)
}

// DefaultSignupLimits are the limits of a zero SignupLimits.
var DefaultSignupLimits = SignupLimits{PerAddress: 3, PerClient: 10, PerMunicipality: 500, SMSBudget: 1000, EmailBudget: 10000}

// WithDefaults returns l with each zero limit set to its default.
func (l SignupLimits) WithDefaults() SignupLimits {
	def := DefaultSignupLimits
	pick := func(v, d int) int {
		if v <= 0 {
			return d
		}
		return v
	}
	return SignupLimits{PerAddress: pick(l.PerAddress, def.PerAddress), PerClient: pick(l.PerClient, def.PerClient),
		PerMunicipality: pick(l.PerMunicipality, def.PerMunicipality), SMSBudget: pick(l.SMSBudget, def.SMSBudget),
		EmailBudget: pick(l.EmailBudget, def.EmailBudget)}
}

// noSelf is the configuration of a desk without one.
var noSelf = &SelfConfig{}

func (d *Desk) self() *SelfConfig {
	if d.Self == nil {
		return noSelf
	}
	return d.Self
}

func (d *Desk) selfQueue() (SelfQueue, error) {
	if q := d.self().Queue; q != nil {
		return q, nil
	}
	return nil, errors.New("desk: this action sends: it needs Desk.Self.Queue")
}

func (d *Desk) tokenLifetime() time.Duration {
	if l := d.self().TokenLifetime; l > 0 {
		return l
	}
	return DefaultTokenLifetime
}

// linkKey is the secret confirmations are derived from.
func (d *Desk) linkKey(ctx context.Context, q store.Queries) ([]byte, error) {
	if k := d.self().LinkKey; len(k) > 0 {
		return k, nil
	}
	if d.Self == nil {
		return q.LinkSecret(ctx)
	}
	if k := d.Self.dbKey.Load(); k != nil {
		return *k, nil
	}
	k, err := q.LinkSecret(ctx)
	if err != nil {
		return nil, err
	}
	d.Self.dbKey.Store(&k) // it never changes once created; one Self per database
	return k, nil
}

// SignupParams are a resident's sign-up on the public pages: the
// municipality's code, the language, an optional name, the status, the
// expiry dates of the cards held (any form an import reads; blank: not
// held), exactly one contact (an email address or a Japanese mobile
// number), and consent. Client is an opaque key of the client (a hash of
// its address, the web layer's choice) for the per-client limit.
type SignupParams struct {
	Municipality   string `json:"municipality"`
	Language       string `json:"language"`
	Name           string `json:"name,omitempty"`
	Status         string `json:"residence_status,omitempty"`
	ResidenceCard  string `json:"residence_card_expires_on,omitempty"`
	MyNumberCard   string `json:"mynumber_card_expires_on,omitempty"`
	MyNumberCert   string `json:"mynumber_cert_expires_on,omitempty"`
	IntegratedCard string `json:"integrated_card_expires_on,omitempty"`
	Email          string `json:"email,omitempty"`
	Phone          string `json:"phone,omitempty"`
	Consent        bool   `json:"consent"`
	Client         string `json:"-"`
}

// SignupStarted says where the confirmation went: by email, a link to
// open (ConfirmSignup with the link's token); by SMS, a 6-digit code to
// type on the page that holds Handle (ConfirmSignup with Handle and the
// code). Nothing is used before it is confirmed.
type SignupStarted struct {
	Channel   kigen.Channel `json:"channel"`
	Handle    string        `json:"handle,omitempty"` // SMS only: the page's handle (128-bit, secret)
	ExpiresAt time.Time     `json:"expires_at"`
}

// StartSignup stores a resident's sign-up, pending, and queues its
// confirmation: an email with a link (ConfirmLinkLifetime), or an SMS
// with a 6-digit code (CodeLifetime, MaxCodeTries). The fields are checked
// with the rules of a registration at the counter (applyFields, nothing
// kept), every problem at once in a *FieldsError; a My Number typed in any
// field is refused there without being echoed. A phone number must be a
// Japanese mobile one. Over a daily limit (SignupLimits) it is refused
// with kigen.ELOCKED and nothing is stored or sent. No resident exists,
// and nothing is sent but the confirmation, until ConfirmSignup. Audited
// as signup.start (no resident yet).
func (d *Desk) StartSignup(ctx context.Context, p SignupParams) (*SignupStarted, error) {
	f, ch, addr, err := signupFields(p)
	if err != nil {
		return nil, err
	}
	mu, err := d.self().Municipalities.GetByCode(ctx, d.Store, p.Municipality)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noMunicipality(p.Municipality)
	} else if err != nil {
		return nil, err
	}
	if err := d.checkSignupFields(mu, f); err != nil {
		return nil, err
	}
	fields, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	s := &store.Signup{MunicipalityID: mu.ID, Kind: store.SignupNew, Channel: ch, Address: addr, ClientKey: p.Client,
		Language: kigen.Language(*f.Language), Fields: string(fields)}
	res, err := d.sendConfirmation(ctx, mu, s, auth.SignupStart, auth.Actor{ID: "self:signup", Role: auth.Resident}, "")
	return res, err
}

// signupFields checks what a sign-up form holds on its own (My Numbers,
// one contact, consent, a Japanese mobile) and returns the resident's
// fields, the channel and the address.
func signupFields(p SignupParams) (ResidentFields, kigen.Channel, string, error) {
	var probs []FieldProblem
	for _, x := range []struct{ field, v string }{
		{string(roster.ColName), p.Name}, {string(roster.ColLanguage), p.Language}, {string(roster.ColStatus), p.Status},
		{string(roster.ColResidenceCard), p.ResidenceCard}, {string(roster.ColMyNumberCard), p.MyNumberCard},
		{string(roster.ColMyNumberCert), p.MyNumberCert}, {string(roster.ColIntegratedCard), p.IntegratedCard},
		{string(roster.ColEmail), p.Email}, {string(roster.ColPhone), p.Phone},
	} {
		if kigen.ContainsMyNumber(x.v) {
			probs = append(probs, FieldProblem{Field: x.field, Reason: kigen.MyNumberReason})
		}
	}
	if len(probs) > 0 {
		return ResidentFields{}, "", "", &FieldsError{Problems: probs}
	}
	ch, addr, prob := selfContact(p.Email, p.Phone)
	if prob != nil {
		probs = append(probs, *prob)
	}
	if !p.Consent {
		probs = append(probs, FieldProblem{Field: "consent", Reason: "is needed: without it Kigen may send nothing"})
	}
	if len(probs) > 0 {
		return ResidentFields{}, "", "", &FieldsError{Problems: probs}
	}
	yes := "yes"
	f := ResidentFields{Name: &p.Name, Language: &p.Language, Status: &p.Status, ResidenceCard: &p.ResidenceCard,
		MyNumberCard: &p.MyNumberCard, MyNumberCert: &p.MyNumberCert, IntegratedCard: &p.IntegratedCard, Consent: &yes}
	if ch == kigen.Email {
		f.Email = &addr
	} else {
		f.Phone = &addr
	}
	return f, ch, addr, nil
}

// selfContact reads exactly one contact of a public form: an email
// address, or a Japanese mobile number (E.164). The problem never shows
// the address.
func selfContact(email, phone string) (kigen.Channel, string, *FieldProblem) {
	email, phone = strings.TrimSpace(email), strings.TrimSpace(phone)
	switch {
	case email == "" && phone == "":
		return "", "", &FieldProblem{Field: "email", Reason: "give an email address or a mobile phone number"}
	case email != "" && phone != "":
		return "", "", &FieldProblem{Field: "phone", Reason: "give one contact, an email address or a mobile phone number, not both"}
	case email != "":
		addr, err := roster.ParseEmail(email)
		if err != nil {
			return "", "", &FieldProblem{Field: "email", Reason: kigen.ErrorMessage(err)}
		}
		return kigen.Email, addr, nil
	}
	ph, err := roster.ParsePhone(phone, "JP")
	if err != nil || !ph.Mobile || !strings.HasPrefix(ph.E164, "+81") {
		return "", "", &FieldProblem{Field: "phone", Reason: "is not a Japanese mobile phone number (070, 080 or 090): only these can get the code by SMS"}
	}
	return kigen.SMS, ph.E164, nil
}

// checkSignupFields checks the fields of a sign-up as a registration at
// the counter would (applyFields), reading and writing nothing: a check
// that inserted a resident and rolled back made every sign-up of a
// municipality wait for the one before (the same reference, one unique
// index).
func (d *Desk) checkSignupFields(mu *kigen.Municipality, f ResidentFields) error {
	_, err := d.checkNewFields(mu, "(sign-up)", f)
	return err
}

// addressKey is the key of an address for the limits: keyed, so that a
// stored key does not give the address back.
func addressKey(key []byte, ch kigen.Channel, addr string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("address\x00" + string(ch) + "\x00" + addr))
	return m.Sum(nil)
}

// dayStart is the start of t's day in Asia/Tokyo.
func dayStart(t time.Time) time.Time {
	t = t.In(kigen.Tokyo)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, kigen.Tokyo)
}

// checkLimits refuses s (kigen.ELOCKED) when sending it would go over a
// daily limit, and otherwise reserves its place under each limit
// (store.Queries.ReserveSignup, in its own short transaction: call it
// before the transaction that creates s). A reservation whose sign-up then
// fails stays spent: the limits may refuse early, never let one more go.
func (d *Desk) checkLimits(ctx context.Context, s *store.Signup) error {
	l := d.self().Limits.WithDefaults()
	day := dayStart(d.now())
	later := "try again tomorrow"
	checks := []struct {
		l    store.SignupLimit
		what string
	}{
		{store.SignupLimit{Key: "address:" + hex.EncodeToString(s.AddressKey), Limit: l.PerAddress},
			fmt.Sprintf("this %s has had %d confirmations today: %s", addressWord(s.Channel), l.PerAddress, later)},
		{store.SignupLimit{Key: "client:" + s.ClientKey, Limit: l.PerClient},
			fmt.Sprintf("too many sign-ups from here today (%d): %s", l.PerClient, later)},
		{store.SignupLimit{Key: fmt.Sprintf("municipality:%d", s.MunicipalityID), Limit: l.PerMunicipality},
			fmt.Sprintf("too many sign-ups in this municipality today (%d): %s", l.PerMunicipality, later)},
		{store.SignupLimit{Key: "sms", Limit: l.SMSBudget},
			"Kigen has sent all the codes by SMS it may today: " + later + ", or use an email address"},
		{store.SignupLimit{Key: "email", Limit: l.EmailBudget},
			"Kigen has sent all the confirmation emails it may today: " + later},
	}
	// The budget of the other channel is not this send's.
	if s.Channel == kigen.SMS {
		checks = checks[:4]
	} else {
		checks = append(checks[:3], checks[4])
	}
	ls := make([]store.SignupLimit, len(checks))
	for i, c := range checks {
		ls[i] = c.l
	}
	refused, err := d.Store.ReserveSignup(ctx, day, ls)
	if err != nil {
		return err
	}
	if refused >= 0 {
		return kigen.Errorf(kigen.ELOCKED, "%s", checks[refused].what)
	}
	return nil
}

func addressWord(ch kigen.Channel) string {
	if ch == kigen.SMS {
		return "number"
	}
	return "address"
}

// sendConfirmation stores s (a sign-up or a second channel, pending; a
// fresh link) within the limits and queues its send, audited as act by a
// (ref: the resident, if known). It sets s's secrets: by email a link
// token derived from the link key (only its hash stored), by SMS a handle
// returned to the page (only its hash stored) and a code derived from the
// key.
func (d *Desk) sendConfirmation(ctx context.Context, mu *kigen.Municipality, s *store.Signup, act auth.Action, a auth.Actor, ref string) (*SignupStarted, error) {
	q, err := d.selfQueue()
	if err != nil {
		return nil, err
	}
	key, err := d.linkKey(ctx, d.Store)
	if err != nil {
		return nil, err
	}
	now := d.now()
	if s.ClientKey == "" {
		s.ClientKey = "-"
	}
	s.AddressKey, s.Nonce, s.State, s.CreatedAt = addressKey(key, s.Channel, s.Address), auth.NewNonce(), store.SignupPending, now
	res := &SignupStarted{Channel: s.Channel}
	switch {
	case s.Kind == store.SignupLink:
		s.ExpiresAt = now.Add(LinkSendLifetime)
	case s.Channel == kigen.Email:
		s.ExpiresAt = now.Add(ConfirmLinkLifetime)
		s.TokenHash = auth.HashToken(scheduler.SelfToken(key, "confirm", s.Nonce))
	default:
		s.ExpiresAt = now.Add(CodeLifetime)
		res.Handle, s.TokenHash = auth.NewResidentToken()
	}
	res.ExpiresAt = s.ExpiresAt
	send := s.Kind != store.SignupLink || s.ResidentID != 0
	if !send {
		s.Address = "" // counted by its key, not kept
	}
	if err := d.checkLimits(ctx, s); err != nil {
		return nil, err
	}
	err = d.Store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateSignup(ctx, s); err != nil {
			return err
		}
		if s.Kind == store.SignupLink && send {
			t := &store.ResidentToken{Hash: auth.HashToken(scheduler.SelfToken(key, "me", s.Nonce)), MunicipalityID: mu.ID,
				ResidentID: s.ResidentID, CreatedAt: now, ExpiresAt: now.Add(d.tokenLifetime())}
			if err := tx.CreateResidentToken(ctx, t); err != nil {
				return err
			}
		}
		if send {
			if err := q.EnqueueSelfSend(ctx, tx, s.ID); err != nil {
				return err
			}
		}
		e := &store.AuditEntry{ActorID: a.ID, ActorRole: string(auth.Resident), Action: string(act), MunicipalityID: mu.ID,
			ResidentRef: ref, Detail: fmt.Sprintf("%s %d by %s", s.Kind, s.ID, s.Channel)}
		if !send {
			// A link asked for an address no one has: nothing is sent,
			// and the answer is the same (RequestLink).
			e.Detail += ": no resident with that address, nothing sent"
		}
		return tx.CreateAuditEntry(ctx, e)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// LinkParams ask for a fresh link to a resident's page: the
// municipality's code, the address (an email address or a Japanese mobile
// number), and the client's key (SignupParams.Client).
type LinkParams struct {
	Municipality string `json:"municipality"`
	Address      string `json:"address"`
	Client       string `json:"-"`
}

// LinkRequested is the answer to a link asked for: the same whether the
// address is known or not.
type LinkRequested struct {
	Channel kigen.Channel `json:"channel"`
}

// RequestLink sends a fresh link to the resident's page (/me/{token}, valid
// DefaultTokenLifetime) to the address, if a resident of the municipality
// has it; its answer, and the limits it counts against, are the same
// whether one has or not, so that it reveals nothing. Invalid: an address
// that is neither an email address nor a Japanese mobile number (field
// "address"). Audited as self.link.
func (d *Desk) RequestLink(ctx context.Context, p LinkParams) (*LinkRequested, error) {
	addr := strings.TrimSpace(p.Address)
	if kigen.ContainsMyNumber(addr) {
		return nil, &FieldsError{Problems: []FieldProblem{{Field: "address", Reason: kigen.MyNumberReason}}}
	}
	var email, phone string
	if strings.Contains(addr, "@") || strings.Contains(addr, "＠") {
		email = addr
	} else {
		phone = addr
	}
	ch, addr, prob := selfContact(email, phone)
	if prob != nil {
		prob.Field = "address"
		return nil, &FieldsError{Problems: []FieldProblem{*prob}}
	}
	mu, err := d.self().Municipalities.GetByCode(ctx, d.Store, p.Municipality)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noMunicipality(p.Municipality)
	} else if err != nil {
		return nil, err
	}
	r, err := residentWithAddress(ctx, d.Store, mu.ID, ch, addr)
	if err != nil {
		return nil, err
	}
	s := &store.Signup{MunicipalityID: mu.ID, Kind: store.SignupLink, Channel: ch, Address: addr, ClientKey: p.Client,
		Language: kigen.Japanese}
	ref := ""
	if r != nil {
		s.ResidentID, s.Language, ref = r.ID, r.Language, r.Ref
	}
	if _, err := d.sendConfirmation(ctx, mu, s, auth.SelfLink, auth.Actor{ID: "self:link", Role: auth.Resident}, ref); err != nil {
		return nil, err
	}
	return &LinkRequested{Channel: ch}, nil
}

// errNoLink is the answer for a link to a resident's page that is unknown,
// expired or revoked: the same for each.
func errNoLink() error {
	return kigen.Errorf(kigen.ENOTFOUND, "this link is not known or has expired: ask for a new one")
}

// ResidentActor returns the actor of the resident whose page token opens
// (/me/{token}): a resident of their municipality, themself only. Not
// found: an unknown, expired or revoked token, or a resident erased.
func (d *Desk) ResidentActor(ctx context.Context, token string) (auth.Actor, error) {
	t, err := d.Store.GetResidentToken(ctx, auth.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return auth.Actor{}, errNoLink()
	} else if err != nil {
		return auth.Actor{}, err
	}
	if !t.RevokedAt.IsZero() || !d.now().Before(t.ExpiresAt) {
		return auth.Actor{}, errNoLink()
	}
	return d.residentActor(ctx, fmt.Sprintf("self:token:%d", t.ID), t.MunicipalityID, t.ResidentID)
}

func (d *Desk) residentActor(ctx context.Context, id string, municipalityID, residentID int64) (auth.Actor, error) {
	r, err := d.Store.GetResident(ctx, municipalityID, residentID)
	if errors.Is(err, store.ErrNotFound) {
		return auth.Actor{}, errNoLink()
	} else if err != nil {
		return auth.Actor{}, err
	}
	mu, err := d.self().Municipalities.Get(ctx, d.Store, municipalityID)
	if err != nil {
		return auth.Actor{}, err
	}
	return auth.Actor{ID: id, Role: auth.Resident, MunicipalityID: mu.ID, MunicipalityCode: mu.Code, ResidentRef: r.Ref}, nil
}

// MessageLink is the message a message's link token names (/m/{token}),
// and its resident.
type MessageLink struct {
	MessageID    int64          `json:"message_id"`
	Municipality string         `json:"municipality"`
	Ref          string         `json:"ref"`
	Language     kigen.Language `json:"language"`
}

// MessageActor returns the actor of the resident a message was sent to,
// from the message's link token (the /m/{token} of its links, DOMAIN
// §14.10): with it, the page of the message's "I applied" (RecordApplied)
// and "I have my new card" (SelfSetCard) acts for that resident — on a POST
// only, after the resident confirms. Not found: an unknown token, or a
// resident erased.
func (d *Desk) MessageActor(ctx context.Context, token string) (auth.Actor, *MessageLink, error) {
	m, err := d.Store.GetMessageByToken(ctx, auth.HashToken(token))
	if errors.Is(err, store.ErrNotFound) || err == nil && m.ResidentID == 0 {
		return auth.Actor{}, nil, errNoLink()
	} else if err != nil {
		return auth.Actor{}, nil, err
	}
	a, err := d.residentActor(ctx, fmt.Sprintf("self:message:%d", m.ID), m.MunicipalityID, m.ResidentID)
	if err != nil {
		return auth.Actor{}, nil, err
	}
	r, err := d.Store.GetResident(ctx, m.MunicipalityID, m.ResidentID)
	if err != nil {
		return auth.Actor{}, nil, err
	}
	return a, &MessageLink{MessageID: m.ID, Municipality: a.MunicipalityCode, Ref: r.Ref, Language: r.Language}, nil
}
