package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/riverqueue/river"

	"kigen"
	"kigen/store"
)

// advanceBy moves the clock of s on by d.
func advanceBy(t *testing.T, s store.Store, d time.Duration) {
	t.Helper()
	c, ok := clocks.Load(s)
	if !ok {
		t.Fatalf("storetest: the store %T has no clock of the suite's (made outside Run?)", s)
	}
	c.(*Clock).Advance(d)
}

// testCountFunnel: the messages of the window, by channel, the provider
// and state of their last delivery and their own state; the older ones
// left out, the recent ones counted apart.
func testCountFunnel(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033") // an email, created, via the outbox: 10 days old
	r := a.Resident
	mid := a.Municipality.ID
	day := a.Message.TickDate
	advanceBy(t, s, 5*24*time.Hour) // now: 5 days old once the clock moves 5 more days
	since := clockStart.Add(3 * 24 * time.Hour)

	// Day 5: an SMS sent and then resent by twilio (last: failed), an email
	// planned with no delivery.
	sms := MustCreateMessage(t, ctx, s, mid, r.ID, kigen.SMS, day)
	d1 := MustCreateDelivery(t, ctx, s, sms.ID, "twilio")
	d1.State = kigen.DeliveryAccepted
	must(t, s.UpdateDelivery(ctx, d1), "UpdateDelivery")
	advance(t, s)
	d2 := MustCreateDelivery(t, ctx, s, sms.ID, "twilio")
	d2.State, d2.ErrorCode = kigen.DeliveryFailed, "30003"
	must(t, s.UpdateDelivery(ctx, d2), "UpdateDelivery")
	must(t, s.SetMessageState(ctx, sms.ID, kigen.MessageFailed), "SetMessageState")
	MustCreateMessage(t, ctx, s, mid, r.ID, kigen.Email, day)

	advanceBy(t, s, 4*24*time.Hour) // day 9: recent
	recent := clockStart.Add(8 * 24 * time.Hour)
	for range 2 {
		m := MustCreateMessage(t, ctx, s, mid, r.ID, kigen.Email, day)
		d := MustCreateDelivery(t, ctx, s, m.ID, "sendgrid")
		d.State = kigen.DeliveryDelivered
		must(t, s.UpdateDelivery(ctx, d), "UpdateDelivery")
		must(t, s.SetMessageState(ctx, m.ID, kigen.MessageDelivered), "SetMessageState")
	}
	got, err := s.CountFunnel(ctx, since, recent)
	must(t, err, "CountFunnel")
	want := []store.FunnelCount{
		{Channel: kigen.Email, Provider: "", State: kigen.MessagePlanned, Delivery: "", N: 1, Recent: 0},
		{Channel: kigen.Email, Provider: "sendgrid", State: kigen.MessageDelivered, Delivery: kigen.DeliveryDelivered, N: 2, Recent: 2},
		{Channel: kigen.SMS, Provider: "twilio", State: kigen.MessageFailed, Delivery: kigen.DeliveryFailed, N: 1, Recent: 0},
	}
	if d := diff(want, got); d != "" {
		t.Errorf("CountFunnel (-want +got):\n%s", d)
	}
	// Inside a transaction too; a window in the future counts nothing.
	must(t, s.InTx(ctx, func(tx store.Tx) error {
		got, err := tx.CountFunnel(ctx, clockStart.Add(30*24*time.Hour), clockStart.Add(31*24*time.Hour))
		if len(got) != 0 {
			t.Errorf("CountFunnel of a future window = %+v, want none", got)
		}
		return err
	}), "CountFunnel in a Tx")
	// The whole history.
	got, err = s.CountFunnel(ctx, clockStart.Add(-time.Hour), recent)
	must(t, err, "CountFunnel")
	if i := slices.IndexFunc(got, func(c store.FunnelCount) bool { return c.Provider == "outbox" }); i < 0 || got[i].N != 1 {
		t.Errorf("CountFunnel of all time = %+v, want the tenant's outbox delivery in it", got)
	}
}

// testFunnelLastDelivery: each message's last delivery in the funnel
// follows every kind of change of its deliveries, as the deliver worker,
// the providers' webhooks and the settling operators make them (in
// transactions and out): the first delivery, each outcome, a resend's new
// delivery, a settle; a change of an earlier delivery leaves it, the later
// of two deliveries created in the same instant is the last (by id); and
// undoing the day's deliveries clears it.
func testFunnelLastDelivery(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033") // an email: its own funnel row, left out below
	day := a.Message.TickDate
	m := MustCreateMessage(t, ctx, s, a.Municipality.ID, a.Resident.ID, kigen.SMS, day)
	check := func(step, provider string, delivery kigen.DeliveryState) {
		t.Helper()
		got, err := s.CountFunnel(ctx, clockStart.Add(-time.Hour), clockStart.Add(-time.Hour))
		must(t, err, "CountFunnel")
		got = slices.DeleteFunc(got, func(c store.FunnelCount) bool { return c.Channel != kigen.SMS })
		want := []store.FunnelCount{{Channel: kigen.SMS, Provider: provider, State: kigen.MessagePlanned, Delivery: delivery, N: 1, Recent: 1}}
		if d := diff(want, got); d != "" {
			t.Errorf("after %s: CountFunnel of the SMS (-want +got):\n%s", step, d)
		}
	}
	update := func(d *kigen.Delivery, st kigen.DeliveryState, code string) {
		t.Helper()
		d.State, d.ErrorCode = st, code
		must(t, s.InTx(ctx, func(tx store.Tx) error { return tx.UpdateDelivery(ctx, d) }), "UpdateDelivery in a Tx")
	}
	check("no delivery", "", "")

	d1 := &kigen.Delivery{MessageID: m.ID, Provider: "twilio", State: kigen.DeliveryCreated}
	must(t, s.InTx(ctx, func(tx store.Tx) error { return tx.CreateDelivery(ctx, d1) }), "CreateDelivery in a Tx")
	check("the first delivery", "twilio", kigen.DeliveryCreated)
	update(d1, kigen.DeliverySending, "")
	check("recorded sending", "twilio", kigen.DeliverySending)
	update(d1, kigen.DeliveryUnknown, "interrupted")
	check("the outcome", "twilio", kigen.DeliveryUnknown)
	update(d1, kigen.DeliveryFailed, "resend")
	check("the resend's settle", "twilio", kigen.DeliveryFailed)

	advance(t, s)
	d2 := MustCreateDelivery(t, ctx, s, m.ID, "twilio") // the resend, out of a transaction
	check("the resend's delivery", "twilio", kigen.DeliveryCreated)
	d2.State = kigen.DeliveryAccepted
	must(t, s.UpdateDelivery(ctx, d2), "UpdateDelivery")
	check("its outcome", "twilio", kigen.DeliveryAccepted)
	update(d2, kigen.DeliveryDelivered, "")
	check("the webhook's event", "twilio", kigen.DeliveryDelivered)
	update(d1, kigen.DeliveryBounced, "30003")
	check("a late event of the earlier delivery", "twilio", kigen.DeliveryDelivered)

	d3 := MustCreateDelivery(t, ctx, s, m.ID, "sendgrid") // the same instant as d2: last by id
	check("a delivery of the same instant", "sendgrid", kigen.DeliveryCreated)
	update(d2, kigen.DeliveryFailed, "30005")
	check("an event of the other", "sendgrid", kigen.DeliveryCreated)
	update(d3, kigen.DeliveryUnknown, "")
	update(d3, kigen.DeliveryAccepted, "")
	check("a settle (sent)", "sendgrid", kigen.DeliveryAccepted)

	if b, ok := s.(store.Bench); ok {
		must(t, b.UndoDeliveries(ctx, day), "UndoDeliveries")
		check("undoing the day's deliveries", "", "")
	}
}

// testCountFailures: failed and bounced deliveries of the window by
// provider, channel, state and error code; others left out.
func testCountFailures(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	a.Delivery.State, a.Delivery.ErrorCode = kigen.DeliveryFailed, "old" // before the window
	must(t, s.UpdateDelivery(ctx, a.Delivery), "UpdateDelivery")
	mid, rid, day := a.Municipality.ID, a.Resident.ID, a.Message.TickDate
	advanceBy(t, s, 2*24*time.Hour)
	since := clockStart.Add(24 * time.Hour)
	fail := func(ch kigen.Channel, provider string, st kigen.DeliveryState, code string) {
		m := MustCreateMessage(t, ctx, s, mid, rid, ch, day)
		d := MustCreateDelivery(t, ctx, s, m.ID, provider)
		d.State, d.ErrorCode, d.ErrorReason = st, code, "redacted"
		must(t, s.UpdateDelivery(ctx, d), "UpdateDelivery")
	}
	fail(kigen.SMS, "twilio", kigen.DeliveryFailed, "21211")
	fail(kigen.Email, "sendgrid", kigen.DeliveryAccepted, "")
	advanceBy(t, s, 24*time.Hour)
	recent := clockStart.Add(3 * 24 * time.Hour)
	fail(kigen.SMS, "twilio", kigen.DeliveryFailed, "21211")
	fail(kigen.Email, "sendgrid", kigen.DeliveryBounced, "550")
	fail(kigen.Email, "sendgrid", kigen.DeliveryFailed, "")
	got, err := s.CountFailures(ctx, since, recent)
	must(t, err, "CountFailures")
	want := []store.FailureCount{
		{Provider: "sendgrid", Channel: kigen.Email, State: kigen.DeliveryBounced, ErrorCode: "550", N: 1, Recent: 1},
		{Provider: "sendgrid", Channel: kigen.Email, State: kigen.DeliveryFailed, ErrorCode: "", N: 1, Recent: 1},
		{Provider: "twilio", Channel: kigen.SMS, State: kigen.DeliveryFailed, ErrorCode: "21211", N: 2, Recent: 1},
	}
	if d := diff(want, got); d != "" {
		t.Errorf("CountFailures (-want +got):\n%s", d)
	}
}

// testProviderReports: one last report a provider; an older one does not
// replace a newer.
func testProviderReports(t *testing.T, s store.Store) {
	ctx := t.Context()
	got, err := s.ListProviderReports(ctx)
	must(t, err, "ListProviderReports")
	if len(got) != 0 {
		t.Errorf("ListProviderReports of a fresh store = %+v", got)
	}
	at := time.Date(2026, 12, 4, 1, 2, 3, 0, time.UTC)
	for _, r := range []store.ProviderReport{
		{Provider: "twilio", Status: "delivered", MessageID: 7, At: clockStart.Add(-time.Hour)},
		{Provider: "sendgrid", Status: "processed", MessageID: 8, At: at},
		{Provider: "sendgrid", Status: "bounced", MessageID: 9, At: at.Add(time.Minute)},
		{Provider: "sendgrid", Status: "delivered", MessageID: 8, At: at.Add(30 * time.Second)}, // late: ignored
	} {
		must(t, s.RecordProviderReport(ctx, r), "RecordProviderReport")
	}
	must(t, s.InTx(ctx, func(tx store.Tx) error {
		return tx.RecordProviderReport(ctx, store.ProviderReport{Provider: "twilio", Status: "failed", MessageID: 10}) // the store's clock
	}), "RecordProviderReport in a Tx")
	got, err = s.ListProviderReports(ctx)
	must(t, err, "ListProviderReports")
	want := []store.ProviderReport{
		{Provider: "sendgrid", Status: "bounced", MessageID: 9, At: at.Add(time.Minute)},
		{Provider: "twilio", Status: "failed", MessageID: 10, At: clockStart},
	}
	if d := cmp.Diff(want, got, cmpopts.EquateApproxTime(time.Second)); d != "" {
		t.Errorf("ListProviderReports (-want +got):\n%s", d)
	}
}

// testRiverQueueDepth: waiting, running and later jobs, and the wait of
// the oldest.
func testRiverQueueDepth(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := mustRiverClient(t, s)
	w, ok := c.(store.QueueWatcher)
	if !ok {
		t.Fatalf("%T's River client is no store.QueueWatcher", s)
	}
	d, err := w.QueueDepth(ctx)
	must(t, err, "QueueDepth")
	if d != (store.QueueDepth{}) {
		t.Errorf("QueueDepth of an empty queue = %+v", d)
	}
	past := &river.InsertOpts{ScheduledAt: time.Now().Add(-time.Hour)}
	later := &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}
	params := []river.InsertManyParams{
		{Args: riverJobArgs{Item: 1, Outcome: "ok"}, InsertOpts: past},
		{Args: riverJobArgs{Item: 2, Outcome: "ok"}},
		{Args: riverJobArgs{Item: 3, Outcome: "ok"}, InsertOpts: later},
	}
	must(t, s.InTx(ctx, func(tx store.Tx) error { return c.InsertManyTx(ctx, tx, params) }), "InsertManyTx")
	d, err = w.QueueDepth(ctx)
	must(t, err, "QueueDepth")
	if d.Waiting != 2 || d.Running != 0 || d.Later != 1 {
		t.Errorf("QueueDepth = %+v, want 2 waiting, 1 later", d)
	}
	if d.OldestWait < 59*time.Minute || d.OldestWait > 2*time.Hour {
		t.Errorf("QueueDepth's oldest wait = %s, want about an hour", d.OldestWait)
	}
}

// testBulkLoadMessages: messages and deliveries loaded as given, counted by
// the funnel, and the IDs handed out afterwards above them.
func testBulkLoadMessages(t *testing.T, s store.Store) {
	ctx := t.Context()
	l, ok := s.(store.MessageLoader)
	if !ok {
		t.Skipf("%T is not a store.MessageLoader", s)
	}
	a := MustCreateTenant(t, ctx, s, "012033")
	at := clockStart.Add(time.Hour)
	chunk := []store.LoadMessage{
		{Message: kigen.Message{ID: 1001, MunicipalityID: a.Municipality.ID, ResidentID: a.Resident.ID, Channel: kigen.SMS,
			TickDate: kigen.DateOf(at), State: kigen.MessageUnknown, CreatedAt: at, UpdatedAt: at},
			Deliveries: []kigen.Delivery{{ID: 2001, Provider: "twilio", State: kigen.DeliveryUnknown, CreatedAt: at, UpdatedAt: at}}},
		{Message: kigen.Message{ID: 1002, MunicipalityID: a.Municipality.ID, Channel: kigen.Email,
			TickDate: kigen.DateOf(at), State: kigen.MessageDropped, CreatedAt: at, UpdatedAt: at}},
	}
	must(t, l.BulkLoadMessages(ctx, slices.Values([][]store.LoadMessage{chunk})), "BulkLoadMessages")
	got, err := s.CountFunnel(ctx, at, at)
	must(t, err, "CountFunnel")
	want := []store.FunnelCount{
		{Channel: kigen.Email, State: kigen.MessageDropped, N: 1, Recent: 1},
		{Channel: kigen.SMS, Provider: "twilio", State: kigen.MessageUnknown, Delivery: kigen.DeliveryUnknown, N: 1, Recent: 1},
	}
	if d := diff(want, got); d != "" {
		t.Errorf("CountFunnel of the loaded messages (-want +got):\n%s", d)
	}
	m := MustCreateMessage(t, ctx, s, a.Municipality.ID, a.Resident.ID, kigen.Email, a.Message.TickDate)
	dl := MustCreateDelivery(t, ctx, s, m.ID, "outbox")
	if m.ID <= 1002 || dl.ID <= 2001 {
		t.Errorf("IDs after the load: message %d, delivery %d; want above the loaded ones", m.ID, dl.ID)
	}
}
