package storetest

import (
	"testing"

	"kigen"
	"kigen/store"
)

// testMessageCarriesNotices: true only for a message of that municipality
// on that channel carrying one of the notices.
func testMessageCarriesNotices(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "011002") // an email message carrying its notice
	b := MustCreateTenant(t, ctx, s, "012033")
	other := MustCreateNotice(t, ctx, s, a.Municipality.ID, a.Card.ID, a.Card.ExpiresOn, kigen.D60)
	for _, tt := range []struct {
		name string
		mid  int64
		ch   kigen.Channel
		ids  []int64
		want bool
	}{
		{"carried on email", a.Municipality.ID, kigen.Email, []int64{other.ID, a.Notice.ID}, true},
		{"not on sms", a.Municipality.ID, kigen.SMS, []int64{a.Notice.ID}, false},
		{"a notice no message carries", a.Municipality.ID, kigen.Email, []int64{other.ID}, false},
		{"another municipality's", b.Municipality.ID, kigen.Email, []int64{a.Notice.ID}, false},
		{"none", a.Municipality.ID, kigen.Email, nil, false},
	} {
		got, err := s.MessageCarriesNotices(ctx, tt.mid, tt.ch, tt.ids)
		must(t, err, "MessageCarriesNotices("+tt.name+")")
		if got != tt.want {
			t.Errorf("%s: MessageCarriesNotices = %t, want %t", tt.name, got, tt.want)
		}
	}
}
