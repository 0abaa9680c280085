package storetest

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kigen"
	"kigen/store"
)

// testSetSMSOptOut: an SMS keyword switches every SMS contact with that
// number off (or back on), in every municipality, and nothing else; a
// repeated keyword changes nothing.
func testSetSMSOptOut(t *testing.T, s store.Store) {
	ctx := t.Context()
	const phone, other = "+819012345678", "+819087654321"
	a := MustCreateMunicipality(t, ctx, s, "011002")
	b := MustCreateMunicipality(t, ctx, s, "012033")
	ra := MustUpsertResident(t, ctx, s, a.ID, "A-1")
	rb := MustUpsertResident(t, ctx, s, b.ID, "B-1")
	rc := MustUpsertResident(t, ctx, s, b.ID, "B-2")
	MustUpsertContact(t, ctx, s, a.ID, ra.ID, kigen.SMS, phone)
	MustUpsertContact(t, ctx, s, b.ID, rb.ID, kigen.SMS, phone)
	MustUpsertContact(t, ctx, s, b.ID, rc.ID, kigen.SMS, other)
	MustUpsertContact(t, ctx, s, b.ID, rc.ID, kigen.Email, phone) // same text, another channel

	keys, err := s.SetSMSOptOut(ctx, phone, true)
	must(t, err, "SetSMSOptOut(stop)")
	want := []store.ResidentKey{{MunicipalityID: a.ID, ResidentID: ra.ID}, {MunicipalityID: b.ID, ResidentID: rb.ID}}
	slices.SortFunc(keys, store.ResidentKey.Compare)
	if d := cmp.Diff(want, keys); d != "" {
		t.Errorf("SetSMSOptOut(stop) keys (-want +got):\n%s", d)
	}
	optedOut := func(mid, rid int64, ch kigen.Channel) bool {
		cs, err := s.ListContacts(ctx, mid, rid)
		must(t, err, "ListContacts")
		for _, c := range cs {
			if c.Channel == ch {
				return c.OptedOut
			}
		}
		t.Fatalf("resident %d has no %s contact", rid, ch)
		return false
	}
	if !optedOut(a.ID, ra.ID, kigen.SMS) || !optedOut(b.ID, rb.ID, kigen.SMS) {
		t.Error("STOP did not opt out both residents with that number")
	}
	if optedOut(b.ID, rc.ID, kigen.SMS) || optedOut(b.ID, rc.ID, kigen.Email) {
		t.Error("STOP opted out another number, or an email contact")
	}
	keys, err = s.SetSMSOptOut(ctx, phone, true)
	must(t, err, "SetSMSOptOut(stop again)")
	if len(keys) != 0 {
		t.Errorf("a repeated STOP changed %d contacts, want none", len(keys))
	}
	keys, err = s.SetSMSOptOut(ctx, phone, false)
	must(t, err, "SetSMSOptOut(start)")
	if len(keys) != 2 || optedOut(a.ID, ra.ID, kigen.SMS) {
		t.Errorf("START: %d keys, still opted out %t; want 2 switched back on", len(keys), optedOut(a.ID, ra.ID, kigen.SMS))
	}
	keys, err = s.SetSMSOptOut(ctx, "+819000000000", true)
	if err != nil || len(keys) != 0 {
		t.Errorf("unknown number: %v, %v; want no error, nothing", keys, err)
	}
}
