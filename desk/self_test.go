package desk_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/scheduler"
	"kigen/store"
)

// fakeSelfQueue records the sign-ups the desk queues a send for.
type fakeSelfQueue struct {
	mu  sync.Mutex
	ids []int64
}

func (q *fakeSelfQueue) EnqueueSelfSend(ctx context.Context, tx store.Tx, id int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ids = append(q.ids, id)
	return nil
}

func (q *fakeSelfQueue) sent() []int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]int64{}, q.ids...)
}

var _ desk.SelfQueue = (*fakeSelfQueue)(nil)

// selfBundle is a bundle with self-service on, a clock that moves, and
// the sends queued.
type selfBundle struct {
	*bundle
	sq  *fakeSelfQueue
	now time.Time
}

func eachSelf(t *testing.T, limits desk.SignupLimits, f func(t *testing.T, b *selfBundle)) {
	t.Helper()
	each(t, func(t *testing.T, b *bundle) {
		sb := &selfBundle{bundle: b, sq: &fakeSelfQueue{}, now: time.Date(2026, 11, 25, 9, 0, 0, 0, kigen.Tokyo)}
		b.d.Now = func() time.Time { return sb.now }
		b.d.Self = &desk.SelfConfig{Queue: sb.sq, Limits: limits, Municipalities: &store.MunicipalityCache{}} // as engine.SelfConfig
		f(t, sb)
	})
}

// last returns the sign-up last queued.
func (b *selfBundle) last(t *testing.T) *store.Signup {
	t.Helper()
	ids := b.sq.sent()
	if len(ids) == 0 {
		t.Fatal("nothing queued")
	}
	s, err := b.s.GetSignup(t.Context(), ids[len(ids)-1])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// code and link are what the send job derives for s.
func (b *selfBundle) code(t *testing.T, s *store.Signup) string {
	t.Helper()
	key, err := b.s.LinkSecret(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return scheduler.SelfCode(key, s.Nonce)
}

func (b *selfBundle) link(t *testing.T, s *store.Signup, purpose string) string {
	t.Helper()
	key, err := b.s.LinkSecret(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return scheduler.SelfToken(key, purpose, s.Nonce)
}

func vietSignup(phone string) desk.SignupParams {
	return desk.SignupParams{Municipality: "012033", Language: "vi", Status: "定住者", ResidenceCard: "2027-01-31",
		MyNumberCard: "2027-01-31", Phone: phone, Consent: true, Client: "client-1"}
}

func wantSelfCode(t *testing.T, err error, code string) {
	t.Helper()
	if kigen.ErrorCode(err) != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

// TestSignup_SMS: a sign-up by SMS stores nothing usable until its code
// is typed; a wrong code says how many tries are left; the right one
// creates the resident (source self, consent, a generated reference) and
// a link to their page, audited; the code works once.
func TestSignup_SMS(t *testing.T) {
	t.Parallel()
	eachSelf(t, desk.SignupLimits{}, func(t *testing.T, b *selfBundle) {
		ctx := t.Context()
		before := len(b.entries(t, store.AuditFilter{MunicipalityID: b.aID, Limit: 100}))
		st, err := b.d.StartSignup(ctx, vietSignup("090-1234-5678"))
		if err != nil {
			t.Fatal(err)
		}
		if st.Channel != kigen.SMS || len(st.Handle) != 22 || !st.ExpiresAt.Equal(b.now.Add(15*time.Minute)) {
			t.Errorf("started %+v: want SMS, a 22-character handle, 15 minutes", st)
		}
		s := b.last(t)
		if s.Kind != store.SignupNew || s.State != store.SignupPending || s.Address != "+819012345678" {
			t.Errorf("sign-up %+v", s)
		}
		// Nothing is a resident yet.
		rows, err := b.s.SearchResidents(ctx, store.ResidentSearch{MunicipalityID: b.aID, Phone: "+819012345678", Limit: 10})
		if err != nil || len(rows) != 0 {
			t.Fatalf("residents with the number before confirmation: %v %v", rows, err)
		}
		code := b.code(t, s)
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		_, err = b.d.ConfirmSignup(ctx, desk.ConfirmParams{Token: st.Handle, Code: wrong})
		wantSelfCode(t, err, kigen.EINVALID)
		if !strings.Contains(err.Error(), "4 tries left") {
			t.Errorf("wrong code: %v, want 4 tries left", err)
		}
		// The email link's path (a token alone) does not confirm an SMS.
		_, err = b.d.ConfirmSignup(ctx, desk.ConfirmParams{Token: st.Handle})
		wantSelfCode(t, err, kigen.EINVALID)
		c, err := b.d.ConfirmSignup(ctx, desk.ConfirmParams{Token: st.Handle, Code: code})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(c.Ref, "W") || len(c.Ref) != 9 || c.Token == "" || c.Duplicate || c.Channel != kigen.SMS {
			t.Errorf("confirmed %+v", c)
		}
		if !c.TokenExpiresAt.Equal(b.now.Add(desk.DefaultTokenLifetime)) {
			t.Errorf("token expires %v, want in 30 days", c.TokenExpiresAt)
		}
		a, err := b.d.ResidentActor(ctx, c.Token)
		if err != nil {
			t.Fatal(err)
		}
		if a.Role != auth.Resident || a.ResidentRef != c.Ref || a.MunicipalityID != b.aID {
			t.Errorf("actor %+v", a)
		}
		page, err := b.d.SelfView(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		v := page.Resident
		if v.Language != kigen.Vietnamese || len(v.Cards) != 2 || len(v.Contacts) != 1 || !v.Contacts[0].Consent ||
			len(v.ReachedBy) != 1 || v.ReachedBy[0] != kigen.SMS {
			t.Errorf("resident %+v", v)
		}
		if len(page.Timeline.Notices) == 0 || page.Timeline.Notices[0].GoBy.IsZero() {
			t.Errorf("timeline %+v: want notices with a date to go by", page.Timeline)
		}
		data, err := b.d.SelfExport(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if data.Source != "self" || v.Source != store.SourceSelf {
			t.Errorf("source %q, %q, want self", data.Source, v.Source)
		}
		// Staff see where they came from, in the list and on their page.
		l, err := b.d.ListResidents(ctx, b.staffA, desk.ListResidentsParams{Ref: c.Ref})
		if err != nil || len(l.Residents) != 1 || l.Residents[0].Source != store.SourceSelf {
			t.Errorf("list %+v %v", l, err)
		}
		sv, err := b.d.ShowResident(ctx, b.staffA, desk.ResidentParams{Ref: c.Ref})
		if err != nil || sv.Source != store.SourceSelf {
			t.Errorf("show %+v %v", sv, err)
		}
		es := b.entries(t, store.AuditFilter{MunicipalityID: b.aID, Limit: 100})
		var acts []string
		for _, e := range es[:len(es)-before] {
			acts = append(acts, e.Action)
		}
		if got := strings.Join(acts, " "); got != "resident.view resident.list self.export resident.view signup.confirm signup.start" {
			t.Errorf("audit %q", got)
		}
		// Once only.
		_, err = b.d.ConfirmSignup(ctx, desk.ConfirmParams{Token: st.Handle, Code: code})
		wantSelfCode(t, err, kigen.ENOTFOUND)
	})
}

// TestSignup_Email: an email sign-up is confirmed by its link's token.
func TestSignup_Email(t *testing.T) {
	t.Parallel()
	eachSelf(t, desk.SignupLimits{}, func(t *testing.T, b *selfBundle) {
		ctx := t.Context()
		p := vietSignup("")
		p.Email, p.Language, p.Name = "Thao@Example.JP", "en", "Thao"
		st, err := b.d.StartSignup(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Channel != kigen.Email || st.Handle != "" || !st.ExpiresAt.Equal(b.now.Add(24*time.Hour)) {
			t.Errorf("started %+v", st)
		}
		s := b.last(t)
		c, err := b.d.ConfirmSignup(ctx, desk.ConfirmParams{Token: b.link(t, s, "confirm")})
		if err != nil {
			t.Fatal(err)
		}
		a, err := b.d.ResidentActor(ctx, c.Token)
		if err != nil {
			t.Fatal(err)
		}
		page, err := b.d.SelfView(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if page.Resident.Name != "Thao" || page.Resident.Contacts[0].Address != "Thao@example.jp" {
			t.Errorf("resident %+v", page.Resident)
		}
		got, err := b.s.GetSignup(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != store.SignupConfirmed || got.Address != "" || got.Fields != "" {
			t.Errorf("confirmed sign-up kept %+v", got)
		}
	})
}

// TestSignup_Refused: each problem is named by its field, all at once; a
// My Number is never echoed; nothing is stored or sent.
func TestSignup_Refused(t *testing.T) {
	t.Parallel()
	const myNumber = "123456789018"
	if !kigen.IsMyNumber(myNumber) {
		t.Fatal("the test's My Number is not one")
	}
	eachSelf(t, desk.SignupLimits{}, func(t *testing.T, b *selfBundle) {
		ctx := t.Context()
		for _, tc := range []struct {
			name   string
			change func(p *desk.SignupParams)
			fields string
		}{
			{"my number in the name", func(p *desk.SignupParams) { p.Name = "Nguyen " + myNumber }, "name"},
			{"my number as the phone", func(p *desk.SignupParams) { p.Phone = myNumber }, "phone"},
			{"no contact", func(p *desk.SignupParams) { p.Phone = "" }, "email"},
			{"two contacts", func(p *desk.SignupParams) { p.Email = "a@example.jp" }, "phone"},
			{"a landline", func(p *desk.SignupParams) { p.Phone = "03-1234-5678" }, "phone"},
			{"a foreign mobile", func(p *desk.SignupParams) { p.Phone = "+84 91 234 5678" }, "phone"},
			{"no consent", func(p *desk.SignupParams) { p.Consent = false }, "consent"},
			{"a bad date", func(p *desk.SignupParams) { p.ResidenceCard = "2027-02-30" }, "residence_card_expires_on"},
			{"an unknown language", func(p *desk.SignupParams) { p.Language = "xx" }, "language"},
			{"special permanent with a residence card", func(p *desk.SignupParams) { p.Status = "special_permanent" }, "residence_card_expires_on"},
		} {
			p := vietSignup("090-1234-5678")
			tc.change(&p)
			_, err := b.d.StartSignup(ctx, p)
			var fe *desk.FieldsError
			if !errors.As(err, &fe) {
				t.Errorf("%s: %v, want a *FieldsError", tc.name, err)
				continue
			}
			var fields []string
			for _, pr := range fe.Problems {
				fields = append(fields, pr.Field)
			}
			if !strings.Contains(strings.Join(fields, " "), tc.fields) {
				t.Errorf("%s: problems %v, want %s", tc.name, fe.Problems, tc.fields)
			}
			if strings.Contains(err.Error(), myNumber) || strings.Contains(err.Error(), "1234-5678") {
				t.Errorf("%s: the refusal echoes the input: %v", tc.name, err)
			}
		}
		_, err := b.d.StartSignup(ctx, desk.SignupParams{Municipality: "999999", Language: "en", Phone: "09012345678", Consent: true})
		wantSelfCode(t, err, kigen.ENOTFOUND)
		if n, _ := b.s.CountSignups(ctx, store.SignupFilter{}); n != 0 || len(b.sq.sent()) != 0 {
			t.Errorf("%d sign-ups stored, %d sent after refusals", n, len(b.sq.sent()))
		}
	})
}

// TestSignup_CodeTries: five wrong codes and the sign-up is gone, also
// for the right code; an expired code too.
func TestSignup_CodeTries(t *testing.T) {
	t.Parallel()
	eachSelf(t, desk.SignupLimits{}, func(t *testing.T, b *selfBundle) {
		ctx := t.Context()
		st, err := b.d.StartSignup(ctx, vietSignup("09012345678"))
		if err != nil {
			t.Fatal(err)
		}
		code := b.code(t, b.last(t))
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		for i := range desk.MaxCodeTries {
			_, err := b.d.ConfirmSignup(ctx, desk.ConfirmParams{Token: st.Handle, Code: wrong})
			wantSelfCode(t, err, kigen.EINVALID)
			if i == desk.MaxCodeTries-1 && !strings.Contains(err.Error(), "last try") {
				t.Errorf("fifth wrong code: %v", err)
			}
		}
		_, err = b.d.ConfirmSignup(ctx, desk.ConfirmParams{Token: st.Handle, Code: code})
		wantSelfCode(t, err, kigen.ENOTFOUND)

		st, err = b.d.StartSignup(ctx, vietSignup("080-1234-5678"))
		if err != nil {
			t.Fatal(err)
		}
		code = b.code(t, b.last(t))
		b.now = b.now.Add(desk.CodeLifetime)
		_, err = b.d.ConfirmSignup(ctx, desk.ConfirmParams{Token: st.Handle, Code: code})
		wantSelfCode(t, err, kigen.ENOTFOUND)
	})
}

// TestSignup_Duplicate: a sign-up with an address a resident of the
// municipality has creates no one: it waits for staff, who see it.
func TestSignup_Duplicate(t *testing.T) {
	t.Parallel()
	eachSelf(t, desk.SignupLimits{}, func(t *testing.T, b *selfBundle) {
		ctx := t.Context()
		p := vietSignup("")
		p.Email = "an@example.jp" // R-1's
		if _, err := b.d.StartSignup(ctx, p); err != nil {
			t.Fatal(err)
		}
		s := b.last(t)
		c, err := b.d.ConfirmSignup(ctx, desk.ConfirmParams{Token: b.link(t, s, "confirm")})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Duplicate || c.Ref != "" || c.Token != "" {
			t.Errorf("confirmed %+v: want a duplicate, no resident, no link", c)
		}
		n, err := b.s.CountResidents(ctx, store.ResidentSearch{MunicipalityID: b.aID})
		if err != nil || n != 2 {
			t.Errorf("%d residents (%v), want the 2 imported", n, err)
		}
		ds, err := b.d.ListSignupDuplicates(ctx, b.staffA, desk.SignupListParams{})
		if err != nil || len(ds) != 1 || ds[0].ID != s.ID || ds[0].DuplicateOf != "R-1" || ds[0].Address != "an@example.jp" ||
			ds[0].Fields.ResidenceCard == nil || *ds[0].Fields.ResidenceCard != "2027-01-31" {
			t.Fatalf("duplicates %+v %v", ds, err)
		}
		// Not B's staff's, nor an operator's (they see no addresses).
		if ds, err := b.d.ListSignupDuplicates(ctx, b.staffB, desk.SignupListParams{}); err != nil || len(ds) != 0 {
			t.Errorf("B's duplicates %+v %v", ds, err)
		}
		_, err = b.d.ListSignupDuplicates(ctx, b.operator, desk.SignupListParams{Municipality: "012033"})
		wantSelfCode(t, err, kigen.EUNAUTHORIZED)
		wantSelfCode(t, b.d.DismissSignup(ctx, b.staffB, desk.SignupSettleParams{ID: s.ID}), kigen.ENOTFOUND)
		if err := b.d.DismissSignup(ctx, b.staffA, desk.SignupSettleParams{ID: s.ID}); err != nil {
			t.Fatal(err)
		}
		if ds, err := b.d.ListSignupDuplicates(ctx, b.staffA, desk.SignupListParams{}); err != nil || len(ds) != 0 {
			t.Errorf("after dismissing: %+v %v", ds, err)
		}
		wantSelfCode(t, b.d.DismissSignup(ctx, b.staffA, desk.SignupSettleParams{ID: s.ID}), kigen.ENOTFOUND)
		// In another municipality the address is no one's.
		p.Municipality = "131016"
		if _, err := b.d.StartSignup(ctx, p); err != nil {
			t.Fatal(err)
		}
		c, err = b.d.ConfirmSignup(ctx, desk.ConfirmParams{Token: b.link(t, b.last(t), "confirm")})
		if err != nil || c.Duplicate || c.Ref == "" {
			t.Errorf("confirmed in B: %+v %v", c, err)
		}
	})
}

// TestSignup_Limits: over a daily limit the sign-up is refused (locked)
// and nothing is stored or sent; the next day it may.
func TestSignup_Limits(t *testing.T) {
	t.Parallel()
	eachSelf(t, desk.SignupLimits{PerAddress: 2, PerClient: 3, SMSBudget: 4}, func(t *testing.T, b *selfBundle) {
		ctx := t.Context()
		try := func(phone, client string) error {
			p := vietSignup(phone)
			p.Client = client
			_, err := b.d.StartSignup(ctx, p)
			return err
		}
		for range 2 {
			if err := try("09011112222", "c1"); err != nil {
				t.Fatal(err)
			}
		}
		err := try("09011112222", "c2")
		wantSelfCode(t, err, kigen.ELOCKED)
		if !strings.Contains(err.Error(), "this number has had 2") {
			t.Errorf("per address: %v", err)
		}
		if err := try("09033334444", "c1"); err != nil {
			t.Fatal(err)
		}
		err = try("09055556666", "c1")
		wantSelfCode(t, err, kigen.ELOCKED)
		if !strings.Contains(err.Error(), "from here") {
			t.Errorf("per client: %v", err)
		}
		if err := try("09055556666", "c2"); err != nil {
			t.Fatal(err)
		}
		err = try("09077778888", "c3")
		wantSelfCode(t, err, kigen.ELOCKED)
		if !strings.Contains(err.Error(), "codes by SMS") {
			t.Errorf("budget: %v", err)
		}
		// Email is not SMS's budget.
		p := vietSignup("")
		p.Email, p.Client = "x@example.jp", "c4"
		if _, err := b.d.StartSignup(ctx, p); err != nil {
			t.Fatal(err)
		}
		if got := len(b.sq.sent()); got != 5 {
			t.Errorf("%d sends queued, want 5", got)
		}
		b.now = b.now.Add(24 * time.Hour)
		if err := try("09077778888", "c3"); err != nil {
			t.Errorf("the next day: %v", err)
		}
	})
}

// TestRequestLink: a known address gets a fresh link to the page; an
// unknown one gets the same answer and nothing is sent.
func TestRequestLink(t *testing.T) {
	t.Parallel()
	eachSelf(t, desk.SignupLimits{}, func(t *testing.T, b *selfBundle) {
		ctx := t.Context()
		known, err := b.d.RequestLink(ctx, desk.LinkParams{Municipality: "012033", Address: "an@example.jp", Client: "c"})
		if err != nil {
			t.Fatal(err)
		}
		s := b.last(t)
		a, err := b.d.ResidentActor(ctx, b.link(t, s, "me"))
		if err != nil {
			t.Fatal(err)
		}
		if a.ResidentRef != "R-1" {
			t.Errorf("link for %q, want R-1", a.ResidentRef)
		}
		unknown, err := b.d.RequestLink(ctx, desk.LinkParams{Municipality: "012033", Address: "nobody@example.jp", Client: "c"})
		if err != nil {
			t.Fatal(err)
		}
		if *known != *unknown {
			t.Errorf("answers differ: %+v, %+v", known, unknown)
		}
		if n := len(b.sq.sent()); n != 1 {
			t.Errorf("%d sends, want 1", n)
		}
		_, err = b.d.RequestLink(ctx, desk.LinkParams{Municipality: "012033", Address: "03-1234-5678"})
		wantSelfCode(t, err, kigen.EINVALID)
		_, err = b.d.ResidentActor(ctx, "not-a-token")
		wantSelfCode(t, err, kigen.ENOTFOUND)
		// Expired.
		b.now = b.now.Add(desk.DefaultTokenLifetime)
		_, err = b.d.ResidentActor(ctx, b.link(t, s, "me"))
		wantSelfCode(t, err, kigen.ENOTFOUND)
	})
}

// signedUp signs a resident up by SMS and returns their actor.
func (b *selfBundle) signedUp(t *testing.T, phone string) (auth.Actor, *desk.Confirmed) {
	t.Helper()
	ctx := t.Context()
	st, err := b.d.StartSignup(ctx, vietSignup(phone))
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.d.ConfirmSignup(ctx, desk.ConfirmParams{Token: st.Handle, Code: b.code(t, b.last(t))})
	if err != nil {
		t.Fatal(err)
	}
	a, err := b.d.ResidentActor(ctx, c.Token)
	if err != nil {
		t.Fatal(err)
	}
	return a, c
}

// TestSelfPage: the resident changes their dates, language, says "I
// applied", adds a second channel with its own confirmation, stops and
// restarts a channel, ends their links, and erases themself; they reach
// no one else.
func TestSelfPage(t *testing.T) {
	t.Parallel()
	eachSelf(t, desk.SignupLimits{}, func(t *testing.T, b *selfBundle) {
		ctx := t.Context()
		a, c := b.signedUp(t, "090-1234-5678")
		applied, err := b.d.RecordApplied(ctx, a, desk.AppliedParams{ResidentParams: desk.ResidentParams{Ref: a.ResidentRef},
			On: kigen.MustParseISODate("2026-11-20")})
		if err != nil || applied.Card != kigen.ResidenceCard {
			t.Fatalf("applied: %+v %v", applied, err)
		}
		r, err := b.d.SelfSetCard(ctx, a, desk.SelfCardParams{Card: kigen.ResidenceCard, ExpiresOn: "2029-01-31"})
		if err != nil {
			t.Fatal(err)
		}
		var card desk.CardView
		for _, c := range r.Resident.Cards {
			if c.Kind == kigen.ResidenceCard {
				card = c
			}
		}
		if card.ExpiresOn != kigen.MustParseISODate("2029-01-31") || !card.RenewalAppliedOn.IsZero() {
			t.Errorf("card after the new date: %+v", card)
		}
		_, err = b.d.SelfSetCard(ctx, a, desk.SelfCardParams{Card: kigen.MyNumberCard, ExpiresOn: ""})
		var fe *desk.FieldsError
		if !errors.As(err, &fe) || fe.Problems[0].Field != "mynumber_card_expires_on" {
			t.Errorf("empty date: %v", err)
		}
		if r, err = b.d.SelfSetLanguage(ctx, a, desk.SelfLanguageParams{Language: "ne"}); err != nil || r.Resident.Language != kigen.Nepali {
			t.Errorf("language: %+v %v", r, err)
		}
		// A second channel, confirmed by its link.
		st, err := b.d.SelfAddChannel(ctx, a, desk.SelfChannelParams{Email: "me@example.jp", Client: "c"})
		if err != nil || st.Channel != kigen.Email {
			t.Fatalf("add channel: %+v %v", st, err)
		}
		cc, err := b.d.ConfirmSignup(ctx, desk.ConfirmParams{Token: b.link(t, b.last(t), "confirm")})
		if err != nil || !cc.NewChannel || cc.Ref != c.Ref {
			t.Fatalf("confirm channel: %+v %v", cc, err)
		}
		page, err := b.d.SelfView(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if got := page.Resident.ReachedBy; len(got) != 2 || page.Resident.Channel != kigen.PrefBoth {
			t.Errorf("reached by %v (%s), want both", got, page.Resident.Channel)
		}
		sw, err := b.d.SelfUnsubscribe(ctx, a, desk.SelfChannelSwitch{Channel: kigen.SMS})
		if err != nil || len(sw.ReachedBy) != 1 || sw.ReachedBy[0] != kigen.Email {
			t.Errorf("unsubscribe: %+v %v", sw, err)
		}
		sw, err = b.d.SelfResubscribe(ctx, a, desk.SelfChannelSwitch{Channel: kigen.SMS})
		if err != nil || len(sw.ReachedBy) != 2 {
			t.Errorf("resubscribe: %+v %v", sw, err)
		}
		data, err := b.d.SelfExport(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(data)
		if !strings.Contains(string(js), "me@example.jp") || !strings.Contains(string(js), `"source":"self"`) {
			t.Errorf("export %s", js)
		}
		// No one else: R-1 is not found to them.
		_, err = b.d.ShowResident(ctx, a, desk.ResidentParams{Ref: "R-1"})
		wantSelfCode(t, err, kigen.ENOTFOUND)
		_, err = b.d.UpdateResident(ctx, a, desk.UpdateParams{ResidentParams: desk.ResidentParams{Ref: a.ResidentRef}})
		wantSelfCode(t, err, kigen.EUNAUTHORIZED)
		// Links end.
		n, err := b.d.SelfRevokeLinks(ctx, a)
		if err != nil || n != 1 {
			t.Errorf("revoke: %d %v", n, err)
		}
		_, err = b.d.ResidentActor(ctx, c.Token)
		wantSelfCode(t, err, kigen.ENOTFOUND)
		// Erase, as kigen resident erase.
		er, err := b.d.EraseResident(ctx, a, desk.EraseParams{ResidentParams: desk.ResidentParams{Ref: a.ResidentRef}})
		if err != nil || !er.Erased {
			t.Fatalf("erase: %+v %v", er, err)
		}
		_, err = b.s.GetResidentByRef(ctx, b.aID, c.Ref)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("resident after erase: %v", err)
		}
	})
}

// TestMessageActor: a message's link token acts for its resident.
func TestMessageActor(t *testing.T) {
	t.Parallel()
	eachSelf(t, desk.SignupLimits{}, func(t *testing.T, b *selfBundle) {
		ctx := t.Context()
		r, err := b.s.GetResidentByRef(ctx, b.aID, "R-1")
		if err != nil {
			t.Fatal(err)
		}
		m := &kigen.Message{MunicipalityID: b.aID, ResidentID: r.ID, Channel: kigen.Email, TickDate: today}
		if err := b.s.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		tok, hash := auth.NewToken()
		if err := b.s.SetMessageToken(ctx, m.ID, hash); err != nil {
			t.Fatal(err)
		}
		a, link, err := b.d.MessageActor(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if a.ResidentRef != "R-1" || link.MessageID != m.ID || link.Language != kigen.Vietnamese {
			t.Errorf("actor %+v, link %+v", a, link)
		}
		if _, err := b.d.RecordApplied(ctx, a, desk.AppliedParams{ResidentParams: desk.ResidentParams{Ref: a.ResidentRef}}); err != nil {
			t.Errorf("applied from a message: %v", err)
		}
		_, _, err = b.d.MessageActor(ctx, "unknown")
		wantSelfCode(t, err, kigen.ENOTFOUND)
	})
}

// TestSignupMunicipality_ChangeShownAtOnce: the public pages read their
// municipality through the desk's cache, and a change the admin saves
// through the same desk shows on them at once.
func TestSignupMunicipality_ChangeShownAtOnce(t *testing.T) {
	t.Parallel()
	eachSelf(t, desk.SignupLimits{}, func(t *testing.T, b *selfBundle) {
		ctx := t.Context()
		if _, err := b.d.SignupMunicipality(ctx, "012033"); err != nil {
			t.Fatal(err)
		}
		phone := "0134-32-4111"
		if _, err := b.d.UpdateMunicipality(ctx, b.adminA, desk.MunicipalityParams{Code: "012033", ContactPhone: &phone}); err != nil {
			t.Fatal(err)
		}
		m, err := b.d.SignupMunicipality(ctx, "012033")
		if err != nil {
			t.Fatal(err)
		}
		if m.ContactPhone != phone {
			t.Errorf("contact phone on the public page after the admin's change: %q, want %q", m.ContactPhone, phone)
		}
	})
}
