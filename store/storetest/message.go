package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"kigen"
	"kigen/store"
)

func testCreateMessageOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	c1 := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, date("2027-06-30"))
	c2 := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.MyNumberCard, date("2027-06-30"))
	n1 := MustCreateNotice(t, ctx, s, m.ID, c1.ID, c1.ExpiresOn, kigen.D90)
	n2 := MustCreateNotice(t, ctx, s, m.ID, c2.ID, c2.ExpiresOn, kigen.D90)
	n3 := MustCreateNotice(t, ctx, s, m.ID, c1.ID, c1.ExpiresOn, kigen.D60)

	msg := &kigen.Message{
		MunicipalityID: m.ID,
		ResidentID:     r.ID,
		Channel:        kigen.SMS,
		TickDate:       date("2027-04-01"),
		State:          kigen.MessagePlanned,
		NoticeIDs:      []int64{n3.ID, n1.ID, n2.ID},
	}
	must(t, s.CreateMessage(ctx, msg), "CreateMessage")
	if msg.ID == 0 {
		t.Error("CreateMessage did not set ID")
	}
	checkStamps(t, "CreateMessage", msg.CreatedAt, msg.UpdatedAt)

	got, err := s.GetMessage(ctx, msg.ID)
	must(t, err, "GetMessage")
	want := *msg
	want.NoticeIDs = []int64{n1.ID, n2.ID, n3.ID}
	if d := diff(&want, got); d != "" {
		t.Errorf("GetMessage mismatch (-want +got):\n%s", d)
	}
	checkStamps(t, "GetMessage", got.CreatedAt, got.UpdatedAt)

	// A second message may carry the same notices (the email after the
	// SMS, the same day).
	msg2 := MustCreateMessage(t, ctx, s, m.ID, r.ID, kigen.Email, date("2027-04-01"), n2.ID)
	if msg2.ID == msg.ID {
		t.Errorf("two messages share ID %d", msg.ID)
	}
	got, err = s.GetMessage(ctx, msg2.ID)
	must(t, err, "GetMessage(second)")
	if d := diff(msg2, got); d != "" {
		t.Errorf("GetMessage(second) mismatch (-want +got):\n%s", d)
	}
}

func testCreateMessageNoNotices(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	msg := MustCreateMessage(t, ctx, s, m.ID, r.ID, kigen.Email, date("2027-04-01"))
	got, err := s.GetMessage(ctx, msg.ID)
	must(t, err, "GetMessage")
	if d := diff(msg, got); d != "" {
		t.Errorf("GetMessage mismatch (-want +got):\n%s", d)
	}
}

func testCreateMessageErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	b := MustCreateTenant(t, ctx, s, "131016")
	aid := a.Municipality.ID
	before := MustCreateMessage(t, ctx, s, aid, a.Resident.ID, kigen.SMS, a.Notice.TickDate, a.Notice.ID)

	for _, tc := range []struct {
		name string
		msg  kigen.Message
	}{
		{"notice of another municipality", kigen.Message{MunicipalityID: aid, ResidentID: a.Resident.ID, NoticeIDs: []int64{a.Notice.ID, b.Notice.ID}}},
		{"notice of another municipality only", kigen.Message{MunicipalityID: aid, ResidentID: a.Resident.ID, NoticeIDs: []int64{b.Notice.ID}}},
		{"unknown notice", kigen.Message{MunicipalityID: aid, ResidentID: a.Resident.ID, NoticeIDs: []int64{a.Notice.ID, noSuchID}}},
		{"unknown municipality", kigen.Message{MunicipalityID: noSuchID, ResidentID: a.Resident.ID}},
	} {
		msg := tc.msg
		msg.Channel = kigen.Email
		msg.TickDate = date("2027-04-01")
		msg.State = kigen.MessagePlanned
		wantErr(t, s.CreateMessage(ctx, &msg), store.ErrNotFound, "CreateMessage("+tc.name+")")
	}

	// Nothing was written: no message has an ID between the one before and
	// the one after (a backend that reuses IDs of rolled-back rows and one
	// that does not both pass).
	after := MustCreateMessage(t, ctx, s, aid, a.Resident.ID, kigen.Email, a.Notice.TickDate, a.Notice.ID)
	for id := before.ID + 1; id < after.ID; id++ {
		if got, err := s.GetMessage(ctx, id); err == nil {
			t.Errorf("a failed CreateMessage left message %d (notices %v)", id, got.NoticeIDs)
		} else {
			wantErr(t, err, store.ErrNotFound, "GetMessage(between)")
		}
	}
	// The notices are unchanged and carried only by the good messages.
	for _, id := range []int64{a.Message.ID, before.ID, after.ID} {
		got, err := s.GetMessage(ctx, id)
		must(t, err, "GetMessage")
		if d := diff([]int64{a.Notice.ID}, got.NoticeIDs); d != "" {
			t.Errorf("GetMessage(%d) NoticeIDs mismatch (-want +got):\n%s", id, d)
		}
	}
	got, err := s.GetMessage(ctx, b.Message.ID)
	must(t, err, "GetMessage(other municipality)")
	if d := diff(b.Message, got); d != "" {
		t.Errorf("GetMessage(other municipality) mismatch (-want +got):\n%s", d)
	}
}

func testGetMessageErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetMessage(ctx, noSuchID)
	wantErr(t, err, store.ErrNotFound, "GetMessage(empty store)")
	tn := MustCreateTenant(t, ctx, s, "012033")
	_, err = s.GetMessage(ctx, tn.Message.ID+1)
	wantErr(t, err, store.ErrNotFound, "GetMessage(unknown ID)")
}

func testSetMessageStateOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := MustCreateTenant(t, ctx, s, "012033")
	other := MustCreateMessage(t, ctx, s, tn.Municipality.ID, tn.Resident.ID, kigen.SMS, tn.Notice.TickDate, tn.Notice.ID)
	prev := tn.Message
	for _, st := range []kigen.MessageState{kigen.MessageSent, kigen.MessageDelivered, kigen.MessageFailed, kigen.MessageUnknown, kigen.MessageDropped} {
		advance(t, s)
		must(t, s.SetMessageState(ctx, tn.Message.ID, st), "SetMessageState("+string(st)+")")
		got, err := s.GetMessage(ctx, tn.Message.ID)
		must(t, err, "GetMessage")
		want := *tn.Message
		want.State = st
		if d := diff(&want, got, cmpopts.IgnoreFields(kigen.Message{}, "UpdatedAt")); d != "" {
			t.Errorf("GetMessage after SetMessageState(%s) mismatch (-want +got):\n%s", st, d)
		}
		if !got.UpdatedAt.After(prev.UpdatedAt) {
			t.Errorf("SetMessageState(%s): UpdatedAt = %v, want after %v", st, got.UpdatedAt, prev.UpdatedAt)
		}
		prev = got
	}
	got, err := s.GetMessage(ctx, other.ID)
	must(t, err, "GetMessage(other)")
	if d := diff(other, got); d != "" {
		t.Errorf("SetMessageState changed another message (-want +got):\n%s", d)
	}
}

func testSetMessageStateErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	wantErr(t, s.SetMessageState(ctx, noSuchID, kigen.MessageSent), store.ErrNotFound, "SetMessageState(empty store)")
	tn := MustCreateTenant(t, ctx, s, "012033")
	wantErr(t, s.SetMessageState(ctx, tn.Message.ID+1, kigen.MessageSent), store.ErrNotFound, "SetMessageState(unknown ID)")
}
