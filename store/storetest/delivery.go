package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"kigen"
	"kigen/store"
)

func testCreateDeliveryOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := MustCreateTenant(t, ctx, s, "012033")
	d := &kigen.Delivery{
		MessageID:         tn.Message.ID,
		Provider:          "sendgrid",
		State:             kigen.DeliverySending,
		ProviderMessageID: "",
		ErrorCode:         "",
		ErrorReason:       "",
	}
	must(t, s.CreateDelivery(ctx, d), "CreateDelivery")
	if d.ID == 0 {
		t.Error("CreateDelivery did not set ID")
	}
	checkStamps(t, "CreateDelivery", d.CreatedAt, d.UpdatedAt)

	got, err := s.GetDelivery(ctx, d.ID)
	must(t, err, "GetDelivery")
	if df := diff(d, got); df != "" {
		t.Errorf("GetDelivery mismatch (-want +got):\n%s", df)
	}
	checkStamps(t, "GetDelivery", got.CreatedAt, got.UpdatedAt)

	// Every field is stored at creation.
	full := &kigen.Delivery{
		MessageID:         tn.Message.ID,
		Provider:          "twilio",
		State:             kigen.DeliveryFailed,
		ProviderMessageID: "SM0123456789abcdef",
		ErrorCode:         "21211",
		ErrorReason:       "invalid 'To' number",
	}
	must(t, s.CreateDelivery(ctx, full), "CreateDelivery(full)")
	got, err = s.GetDelivery(ctx, full.ID)
	must(t, err, "GetDelivery(full)")
	if df := diff(full, got); df != "" {
		t.Errorf("GetDelivery(full) mismatch (-want +got):\n%s", df)
	}
}

func testCreateDeliveryErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	d := &kigen.Delivery{MessageID: noSuchID, Provider: "outbox", State: kigen.DeliveryCreated}
	wantErr(t, s.CreateDelivery(ctx, d), store.ErrNotFound, "CreateDelivery(unknown message)")
	ds, err := s.ListDeliveries(ctx, noSuchID)
	must(t, err, "ListDeliveries")
	if len(ds) != 0 {
		t.Errorf("a failed CreateDelivery stored %d deliveries", len(ds))
	}
}

func testUpdateDeliveryOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := MustCreateTenant(t, ctx, s, "012033")
	d := MustCreateDelivery(t, ctx, s, tn.Message.ID, "sendgrid")
	other := MustCreateDelivery(t, ctx, s, tn.Message.ID, "sendgrid")
	advance(t, s)

	upd := *d
	upd.State = kigen.DeliveryAccepted
	upd.ProviderMessageID = "sg-0001"
	upd.ErrorCode = "451"
	upd.ErrorReason = "deferred"
	upd.Provider = "twilio"       // not saved: only state, provider message ID and error
	upd.MessageID = tn.Message.ID // unchanged
	must(t, s.UpdateDelivery(ctx, &upd), "UpdateDelivery")

	got, err := s.GetDelivery(ctx, d.ID)
	must(t, err, "GetDelivery")
	want := upd
	want.Provider = d.Provider
	if df := diff(&want, got, cmpopts.IgnoreFields(kigen.Delivery{}, "UpdatedAt")); df != "" {
		t.Errorf("GetDelivery after update mismatch (-want +got):\n%s", df)
	}
	checkStamps(t, "GetDelivery after update", got.CreatedAt, got.UpdatedAt)
	if !got.UpdatedAt.After(d.UpdatedAt) {
		t.Errorf("UpdatedAt = %v, want after %v", got.UpdatedAt, d.UpdatedAt)
	}
	if !upd.UpdatedAt.IsZero() && diff(got.UpdatedAt, upd.UpdatedAt) != "" {
		t.Errorf("UpdateDelivery set UpdatedAt %v, but GetDelivery reads %v", upd.UpdatedAt, got.UpdatedAt)
	}

	// Clearing the error is saved too.
	upd2 := *got
	upd2.State = kigen.DeliveryDelivered
	upd2.ErrorCode, upd2.ErrorReason = "", ""
	must(t, s.UpdateDelivery(ctx, &upd2), "UpdateDelivery(clear error)")
	got, err = s.GetDelivery(ctx, d.ID)
	must(t, err, "GetDelivery")
	if df := diff(&upd2, got, cmpopts.IgnoreFields(kigen.Delivery{}, "UpdatedAt")); df != "" {
		t.Errorf("GetDelivery after clearing the error mismatch (-want +got):\n%s", df)
	}

	gotOther, err := s.GetDelivery(ctx, other.ID)
	must(t, err, "GetDelivery(other)")
	if df := diff(other, gotOther); df != "" {
		t.Errorf("UpdateDelivery changed another delivery (-want +got):\n%s", df)
	}
}

func testUpdateDeliveryErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := MustCreateTenant(t, ctx, s, "012033")
	d := kigen.Delivery{ID: tn.Delivery.ID + 1, MessageID: tn.Message.ID, Provider: "outbox", State: kigen.DeliveryFailed}
	wantErr(t, s.UpdateDelivery(ctx, &d), store.ErrNotFound, "UpdateDelivery(unknown ID)")
	got, err := s.GetDelivery(ctx, tn.Delivery.ID)
	must(t, err, "GetDelivery")
	if df := diff(tn.Delivery, got); df != "" {
		t.Errorf("a failed update changed a delivery (-want +got):\n%s", df)
	}
}

func testGetDeliveryErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetDelivery(ctx, noSuchID)
	wantErr(t, err, store.ErrNotFound, "GetDelivery(empty store)")
	tn := MustCreateTenant(t, ctx, s, "012033")
	_, err = s.GetDelivery(ctx, tn.Delivery.ID+1)
	wantErr(t, err, store.ErrNotFound, "GetDelivery(unknown ID)")
}

func testListDeliveriesOldestFirst(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := MustCreateTenant(t, ctx, s, "012033")
	other := MustCreateMessage(t, ctx, s, tn.Municipality.ID, tn.Resident.ID, kigen.SMS, tn.Notice.TickDate, tn.Notice.ID)
	want := []*kigen.Delivery{tn.Delivery}
	for _, p := range []string{"sendgrid", "outbox"} {
		advance(t, s)
		want = append(want, MustCreateDelivery(t, ctx, s, tn.Message.ID, p))
		MustCreateDelivery(t, ctx, s, other.ID, p)
	}
	// An update of the first does not make it newer.
	advance(t, s)
	upd := *tn.Delivery
	upd.State = kigen.DeliveryUnknown
	must(t, s.UpdateDelivery(ctx, &upd), "UpdateDelivery")
	first := *tn.Delivery
	first.State = kigen.DeliveryUnknown
	want[0] = &first

	got, err := s.ListDeliveries(ctx, tn.Message.ID)
	must(t, err, "ListDeliveries")
	if df := diff(want, got, cmpopts.IgnoreFields(kigen.Delivery{}, "UpdatedAt")); df != "" {
		t.Errorf("ListDeliveries mismatch (-want +got):\n%s", df)
	}
	got, err = s.ListDeliveries(ctx, noSuchID)
	must(t, err, "ListDeliveries(unknown message)")
	if len(got) != 0 {
		t.Errorf("ListDeliveries(unknown message) returned %d deliveries", len(got))
	}
}
