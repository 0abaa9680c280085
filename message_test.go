package kigen_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kigen"
)

// TestMessageNotices pins the two readings of a message's notices: what
// still goes out on the day it is sent, and what is shown of it afterwards
// (the /m/ page). They differ for a card renewed since the notice, and for
// a before-expiry notice whose date has passed.
func TestMessageNotices(t *testing.T) {
	t.Parallel()
	today := d("2027-02-01")
	res := card(1, kigen.ResidenceCard, d("2027-03-31"))
	renewed := card(2, kigen.MyNumberCard, d("2030-03-31")) // the notices were for 2027-03-31
	cert := card(4, kigen.MyNumberCert, d("2027-01-31"))    // expired yesterday
	h := kigen.Holder{Status: kigen.FixedPeriod, Reachable: true, Cards: []kigen.Card{res, renewed, cert}}
	notice := func(id int64, c kigen.Card, e kigen.Date, s kigen.Stage) *kigen.Notice {
		return &kigen.Notice{ID: id, CardID: c.ID, ExpiresOn: e, Stage: s}
	}
	notices := []*kigen.Notice{
		notice(10, res, res.ExpiresOn, kigen.D60),
		notice(11, renewed, d("2027-03-31"), kigen.D60),
		notice(12, card(3, kigen.IntegratedCard, d("2027-03-31")), d("2027-03-31"), kigen.D60), // its card is gone
		notice(14, cert, cert.ExpiresOn, kigen.D3),
		notice(15, cert, cert.ExpiresOn, kigen.Expired),
	}
	ids := []int64{10, 11, 12, 13, 14, 15} // 13 is not recorded (any more)
	keys := func(ds []kigen.Due) []kigen.NoticeKey {
		var out []kigen.NoticeKey
		for _, x := range ds {
			out = append(out, x.NoticeKey)
		}
		return out
	}
	key := func(n *kigen.Notice) kigen.NoticeKey { return n.Key() }

	toSend, left := kigen.NoticesToSend(h, notices, ids, today)
	if diff := cmp.Diff([]kigen.NoticeKey{key(notices[0]), key(notices[4])}, keys(toSend)); diff != "" {
		t.Errorf("NoticesToSend (-want +got):\n%s", diff)
	}
	if left != 4 {
		t.Errorf("NoticesToSend left out %d, want 4 (renewed, card gone, not recorded, before-expiry past)", left)
	}

	asSent := kigen.NoticesAsSent(h, notices, ids, today)
	if diff := cmp.Diff([]kigen.NoticeKey{key(notices[0]), key(notices[1]), key(notices[3]), key(notices[4])}, keys(asSent)); diff != "" {
		t.Errorf("NoticesAsSent (-want +got):\n%s", diff)
	}
	// Each described as Describe does on that day: the renewed card's
	// notice with the date the message named.
	for _, x := range asSent {
		c := h.Cards[slices.IndexFunc(h.Cards, func(c kigen.Card) bool { return c.ID == x.CardID })]
		if want := kigen.Describe(h, c, x.NoticeKey, today); !cmp.Equal(want, x) {
			t.Errorf("NoticesAsSent %+v, want %+v", x, want)
		}
	}
	if got := asSent[1].DaysLeft; got != d("2027-03-31").Sub(today) {
		t.Errorf("renewed card's notice: %d days left, want counted to the date the message named", got)
	}
}
