package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"kigen"
	"kigen/store"
)

// testListStaleCards checks the cut-off (strictly before), the order, the
// paging, that a pending renewal is returned all the same, the refs, and
// the tenant scope.
func testListStaleCards(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	b := MustCreateTenant(t, ctx, s, "131016")
	aid := a.Municipality.ID
	cut := date("2026-03-01")

	r2 := MustUpsertResident(t, ctx, s, aid, "012033-r2")
	old := MustUpsertCard(t, ctx, s, aid, r2.ID, kigen.MyNumberCard, date("2025-12-31"))
	older := MustUpsertCard(t, ctx, s, aid, r2.ID, kigen.ResidenceCard, date("2025-11-30"))
	must(t, s.SetCardRenewalApplied(ctx, aid, older.ID, date("2025-10-01")), "SetCardRenewalApplied")
	MustUpsertCard(t, ctx, s, aid, r2.ID, kigen.MyNumberCert, cut) // on the date: not before it
	r3 := MustUpsertResident(t, ctx, s, aid, "012033-r3")
	same := MustUpsertCard(t, ctx, s, aid, r3.ID, kigen.MyNumberCard, date("2025-12-31")) // old's day: after it by ID
	for _, c := range listCards(t, s, aid, r2.ID) {
		if c.ID == older.ID {
			older = c // as stored, with its renewal
		}
	}
	// Municipality b's stale card is never a's.
	rb := MustUpsertResident(t, ctx, s, b.Municipality.ID, "131016-r2")
	MustUpsertCard(t, ctx, s, b.Municipality.ID, rb.ID, kigen.MyNumberCard, date("2025-01-01"))

	all := []store.StaleCard{{Card: older, Ref: "012033-r2"}, {Card: old, Ref: "012033-r2"}, {Card: same, Ref: "012033-r3"}}
	tests := []struct {
		name string
		f    store.FollowupFilter
		want []store.StaleCard
	}{
		{name: "stale ones, oldest first", f: store.FollowupFilter{MunicipalityID: aid, Before: cut, Limit: 10}, want: all},
		{name: "the first page", f: store.FollowupFilter{MunicipalityID: aid, Before: cut, Limit: 2}, want: all[:2]},
		{name: "the next page", f: store.FollowupFilter{MunicipalityID: aid, Before: cut, AfterDate: old.ExpiresOn, AfterID: old.ID, Limit: 2}, want: all[2:]},
		{name: "none before", f: store.FollowupFilter{MunicipalityID: aid, Before: date("2025-11-30"), Limit: 10}, want: nil},
		{name: "unknown municipality", f: store.FollowupFilter{MunicipalityID: noSuchID, Before: date("2099-01-01"), Limit: 10}, want: nil},
	}
	if same.ID < old.ID {
		t.Fatalf("card IDs out of order: %d before %d", same.ID, old.ID)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListStaleCards(ctx, tt.f)
			must(t, err, "ListStaleCards")
			if df := diff(tt.want, got); df != "" {
				t.Errorf("ListStaleCards(%+v) mismatch (-want +got):\n%s", tt.f, df)
			}
		})
	}
}

// testListUnreachableCandidates: the residents kigen.SendChannels finds no
// channel for (no usable contact, or the chosen one opted out), by ID,
// page by page, in their municipality only.
func testListUnreachableCandidates(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033") // its resident has a usable email
	b := MustCreateTenant(t, ctx, s, "131016")
	aid := a.Municipality.ID
	resident := func(ref string, cs ...kigen.Contact) *kigen.Resident {
		t.Helper()
		r := MustUpsertResident(t, ctx, s, aid, ref)
		for _, c := range cs {
			c.ResidentID = r.ID
			must(t, s.UpsertContact(ctx, aid, &c), "UpsertContact")
		}
		return r
	}
	email := func(mod func(c *kigen.Contact)) kigen.Contact {
		c := kigen.Contact{Channel: kigen.Email, Address: "x@example.jp", Consent: true}
		mod(&c)
		return c
	}
	ok := func(*kigen.Contact) {}
	sms := kigen.Contact{Channel: kigen.SMS, Address: "+819012345678", Consent: true}
	none := resident("none")
	noConsent := resident("no-consent", email(func(c *kigen.Contact) { c.Consent = false }))
	resident("usable", email(ok))
	failed := resident("failed", email(func(c *kigen.Contact) { c.Failed = true }))
	resident("opted-out-sms", email(ok), func() kigen.Contact { c := sms; c.OptedOut = true; return c }()) // email still goes
	optedOut := resident("opted-out-email", email(func(c *kigen.Contact) { c.OptedOut = true }), sms)      // SMS is not used instead
	resident("both usable", email(ok), sms)
	MustUpsertResident(t, ctx, s, b.Municipality.ID, "b-none")

	var got []string
	for after := int64(0); ; {
		page, err := s.ListUnreachableCandidates(ctx, store.FollowupFilter{MunicipalityID: aid, AfterID: after, Limit: 2})
		must(t, err, "ListUnreachableCandidates")
		if len(page) > 2 {
			t.Fatalf("a page of %d, want at most 2", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			got = append(got, r.Ref)
		}
		after = page[len(page)-1].ID
	}
	want := []string{none.Ref, noConsent.Ref, failed.Ref, optedOut.Ref}
	if d := diff(want, got); d != "" {
		t.Errorf("ListUnreachableCandidates mismatch (-want +got):\n%s", d)
	}
}

// testListFailedMessages: each resident's latest failed message, by
// resident, page by page, with the ref; none of an erased resident or of
// another municipality.
func testListFailedMessages(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	b := MustCreateTenant(t, ctx, s, "131016")
	aid := a.Municipality.ID
	fail := func(mu, resident int64) *kigen.Message {
		t.Helper()
		m := MustCreateMessage(t, ctx, s, mu, resident, kigen.SMS, date("2026-11-25"))
		must(t, s.SetMessageState(ctx, m.ID, kigen.MessageFailed), "SetMessageState")
		m.State = kigen.MessageFailed
		return m
	}
	fail(aid, a.Resident.ID)
	latest := fail(aid, a.Resident.ID)
	r2 := MustUpsertResident(t, ctx, s, aid, "012033-r2")
	second := fail(aid, r2.ID)
	erased := MustUpsertResident(t, ctx, s, aid, "012033-gone")
	fail(aid, erased.ID)
	must(t, s.DeleteResident(ctx, aid, erased.ID), "DeleteResident")
	fail(b.Municipality.ID, b.Resident.ID)
	MustCreateMessage(t, ctx, s, aid, r2.ID, kigen.Email, date("2026-11-25")) // planned

	page, err := s.ListFailedMessages(ctx, store.FollowupFilter{MunicipalityID: aid, Limit: 1})
	must(t, err, "ListFailedMessages")
	want := []store.FailedMessage{{Message: latest, Ref: a.Resident.Ref}}
	if d := diff(want, page, cmpopts.IgnoreFields(kigen.Message{}, "NoticeIDs", "UpdatedAt")); d != "" {
		t.Errorf("ListFailedMessages, the first page mismatch (-want +got):\n%s", d)
	}
	page, err = s.ListFailedMessages(ctx, store.FollowupFilter{MunicipalityID: aid, AfterID: a.Resident.ID, Limit: 5})
	must(t, err, "ListFailedMessages")
	want = []store.FailedMessage{{Message: second, Ref: "012033-r2"}}
	if d := diff(want, page, cmpopts.IgnoreFields(kigen.Message{}, "NoticeIDs", "UpdatedAt")); d != "" {
		t.Errorf("ListFailedMessages, the next page mismatch (-want +got):\n%s", d)
	}
}

// testListUnknownSends: the unknown deliveries of the municipality's
// messages by ID, page by page, with the message and the ref ("" for an
// erased resident).
func testListUnknownSends(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	b := MustCreateTenant(t, ctx, s, "131016")
	aid := a.Municipality.ID
	unknown := func(d *kigen.Delivery) *kigen.Delivery {
		t.Helper()
		d.State = kigen.DeliveryUnknown
		must(t, s.UpdateDelivery(ctx, d), "UpdateDelivery")
		got, err := s.GetDelivery(ctx, d.ID)
		must(t, err, "GetDelivery")
		return got
	}
	first := unknown(a.Delivery)
	MustCreateDelivery(t, ctx, s, a.Message.ID, "outbox") // created: not listed
	gone := MustUpsertResident(t, ctx, s, aid, "012033-gone")
	m := MustCreateMessage(t, ctx, s, aid, gone.ID, kigen.Email, date("2026-11-25"))
	second := unknown(MustCreateDelivery(t, ctx, s, m.ID, "sendgrid"))
	must(t, s.DeleteResident(ctx, aid, gone.ID), "DeleteResident")
	unknown(b.Delivery)

	var got []store.UnknownSend
	for after := int64(0); ; {
		page, err := s.ListUnknownSends(ctx, store.FollowupFilter{MunicipalityID: aid, AfterID: after, Limit: 1})
		must(t, err, "ListUnknownSends")
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1].Delivery.ID
	}
	type row struct {
		Delivery, Message int64
		Channel           kigen.Channel
		Ref               string
	}
	var rows []row
	for _, us := range got {
		rows = append(rows, row{us.Delivery.ID, us.Message.ID, us.Message.Channel, us.Ref})
		if us.Delivery.MessageID != us.Message.ID || us.Delivery.State != kigen.DeliveryUnknown {
			t.Errorf("delivery %+v with message %d", us.Delivery, us.Message.ID)
		}
	}
	want := []row{{first.ID, a.Message.ID, kigen.Email, a.Resident.Ref}, {second.ID, m.ID, kigen.Email, ""}}
	if d := diff(want, rows); d != "" {
		t.Errorf("ListUnknownSends mismatch (-want +got):\n%s", d)
	}
	if d := diff(first, got[0].Delivery); d != "" {
		t.Errorf("ListUnknownSends: the first delivery mismatch (-want +got):\n%s", d)
	}
}

// testListDeliveriesByState checks the state filter, the order and the
// tenant scope (through the message's municipality).
func testListDeliveriesByState(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	b := MustCreateTenant(t, ctx, s, "131016")

	setState := func(d *kigen.Delivery, st kigen.DeliveryState) {
		t.Helper()
		d.State = st
		must(t, s.UpdateDelivery(ctx, d), "UpdateDelivery")
	}
	setState(a.Delivery, kigen.DeliveryUnknown)
	second := MustCreateDelivery(t, ctx, s, a.Message.ID, "outbox")
	setState(second, kigen.DeliveryUnknown)
	failed := MustCreateDelivery(t, ctx, s, a.Message.ID, "outbox")
	setState(failed, kigen.DeliveryFailed)
	setState(b.Delivery, kigen.DeliveryUnknown)

	// What the store returns now, for the comparison.
	get := func(id int64) *kigen.Delivery {
		t.Helper()
		d, err := s.GetDelivery(ctx, id)
		must(t, err, "GetDelivery")
		return d
	}
	tests := []struct {
		name           string
		municipalityID int64
		state          kigen.DeliveryState
		want           []*kigen.Delivery
	}{
		{name: "unknown in a", municipalityID: a.Municipality.ID, state: kigen.DeliveryUnknown,
			want: []*kigen.Delivery{get(a.Delivery.ID), get(second.ID)}},
		{name: "failed in a", municipalityID: a.Municipality.ID, state: kigen.DeliveryFailed,
			want: []*kigen.Delivery{get(failed.ID)}},
		{name: "unknown in b", municipalityID: b.Municipality.ID, state: kigen.DeliveryUnknown,
			want: []*kigen.Delivery{get(b.Delivery.ID)}},
		{name: "none accepted", municipalityID: a.Municipality.ID, state: kigen.DeliveryAccepted, want: nil},
		{name: "unknown municipality", municipalityID: noSuchID, state: kigen.DeliveryUnknown, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListDeliveriesByState(ctx, tt.municipalityID, tt.state)
			must(t, err, "ListDeliveriesByState")
			if df := diff(tt.want, got); df != "" {
				t.Errorf("ListDeliveriesByState(%d, %s) mismatch (-want +got):\n%s", tt.municipalityID, tt.state, df)
			}
		})
	}
}
