package storetest

import (
	"testing"

	"kigen"
	"kigen/store"
)

// testListStaleCards checks the cut-off (strictly before), the order, that
// a pending renewal is returned all the same, and the tenant scope.
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
	for _, c := range listCards(t, s, aid, r2.ID) {
		if c.ID == older.ID {
			older = c // as stored, with its renewal
		}
	}
	// Municipality b's stale card is never a's.
	rb := MustUpsertResident(t, ctx, s, b.Municipality.ID, "131016-r2")
	MustUpsertCard(t, ctx, s, b.Municipality.ID, rb.ID, kigen.MyNumberCard, date("2025-01-01"))

	tests := []struct {
		name           string
		municipalityID int64
		before         kigen.Date
		want           []*kigen.Card
	}{
		{name: "stale ones, oldest first", municipalityID: aid, before: cut, want: []*kigen.Card{older, old}},
		{name: "none before", municipalityID: aid, before: date("2025-11-30"), want: nil},
		{name: "unknown municipality", municipalityID: noSuchID, before: date("2099-01-01"), want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListStaleCards(ctx, tt.municipalityID, tt.before)
			must(t, err, "ListStaleCards")
			if df := diff(tt.want, got); df != "" {
				t.Errorf("ListStaleCards(%d, %s) mismatch (-want +got):\n%s", tt.municipalityID, tt.before, df)
			}
		})
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
