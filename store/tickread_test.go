package store_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"kigen"
	"kigen/store"
)

// TestTickRead assembles rows given in any order: each holding gets its own
// rows, in channel, kind, and card then stage order; keys come out in
// order, once each, and a key whose resident was not found is left out
// with whatever rows named it.
func TestTickRead(t *testing.T) {
	a := store.ResidentKey{MunicipalityID: 1, ResidentID: 10}
	b := store.ResidentKey{MunicipalityID: 2, ResidentID: 20}
	gone := store.ResidentKey{MunicipalityID: 1, ResidentID: 30}
	c := store.ResidentKey{MunicipalityID: 1, ResidentID: 5}
	r := store.NewTickRead([]store.ResidentKey{b, a, gone, b, c})
	if d := cmp.Diff([]store.ResidentKey{b, a, gone, c}, r.Keys()); d != "" {
		t.Fatalf("Keys() mismatch (-want +got):\n%s", d)
	}
	const ib, ia, igone, ic = 0, 1, 2, 3
	e := kigen.MustParseISODate("2027-08-31")
	sms := kigen.Contact{Channel: kigen.SMS, Address: "+819012345678", Consent: true}
	email := kigen.Contact{Channel: kigen.Email, Address: "a@example.com", Consent: true, OptedOut: true}
	rc := kigen.Card{ID: 101, Kind: kigen.ResidenceCard, ExpiresOn: e}
	mn := kigen.Card{ID: 102, Kind: kigen.MyNumberCard, ExpiresOn: e, NextNoticeOn: e.AddDays(-30)}
	bc := kigen.Card{ID: 201, Kind: kigen.MyNumberCert, ExpiresOn: e}

	// Rows as a database may return them: interleaved, in no order.
	r.Card(ia, rc, []byte("d90,d60"))
	r.Resident(ib, kigen.Permanent, kigen.PrefSMS)
	r.Contact(ia, sms)
	r.Card(ib, bc, nil)
	r.Card(ia, mn, []byte("d90"))
	r.Contact(ia, email)
	r.Card(igone, kigen.Card{ID: 301, Kind: kigen.ResidenceCard, ExpiresOn: e}, []byte("d90"))
	r.Resident(ia, kigen.FixedPeriod, kigen.PrefBoth)
	r.Resident(ic, kigen.SpecialPermanent, kigen.PrefDefault)

	owned := func(k store.ResidentKey, cs ...kigen.Card) []kigen.Card {
		for i := range cs {
			cs[i].ResidentID = k.ResidentID
		}
		return cs
	}
	email.ResidentID, sms.ResidentID = a.ResidentID, a.ResidentID
	want := []store.TickHolding{
		{Key: b, Status: kigen.Permanent, Channel: kigen.PrefSMS, Cards: owned(b, bc)},
		{Key: a, Status: kigen.FixedPeriod, Channel: kigen.PrefBoth,
			Contacts: []kigen.Contact{email, sms},
			Cards:    owned(a, mn, rc), // mynumber_card < residence_card, bytewise
			Sent: []kigen.NoticeKey{
				{CardID: 101, ExpiresOn: e, Stage: kigen.D60},
				{CardID: 101, ExpiresOn: e, Stage: kigen.D90},
				{CardID: 102, ExpiresOn: e, Stage: kigen.D90},
			}},
		{Key: c, Status: kigen.SpecialPermanent},
	}
	got := r.Holdings()
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Holdings() mismatch (-want +got):\n%s", d)
	}

	// Each holding's slices are its own: appending to one cannot write
	// into the next one's.
	got[1].Cards = append(got[1].Cards, kigen.Card{ID: 999})
	got[0].Cards = append(got[0].Cards, kigen.Card{ID: 998})
	if got[1].Cards[0].ID != mn.ID || got[2].Cards != nil {
		t.Errorf("an append to one holding's cards changed another's")
	}

	h := got[1].Holder()
	if !h.Reachable || h.Status != kigen.FixedPeriod || len(h.Cards) != 3 || len(h.Sent) != 3 {
		t.Errorf("Holder() = %+v", h)
	}
	// Opted out of email: SMS only.
	if d := cmp.Diff([]kigen.Channel{kigen.SMS}, got[1].SendChannels()); d != "" {
		t.Errorf("SendChannels() mismatch (-want +got):\n%s", d)
	}
	if got[2].Holder().Reachable {
		t.Errorf("a resident without contacts is reachable")
	}
}

// TestIntern returns kigen's enumeration values without allocating, and
// anything else as it is.
func TestIntern(t *testing.T) {
	for _, v := range []string{"residence_card", "d90", "renewal_gap", "sms", "both", "special_permanent", string(kigen.Portuguese)} {
		b := []byte(v)
		var got string
		if allocs := testing.AllocsPerRun(100, func() { got = store.Intern(b) }); allocs != 0 {
			t.Errorf("Intern(%q) allocates %v times", v, allocs)
		}
		if got != v {
			t.Errorf("Intern(%q) = %q", v, got)
		}
	}
	if got := store.Intern([]byte("not_a_kind")); got != "not_a_kind" {
		t.Errorf("Intern(not_a_kind) = %q", got)
	}
}
