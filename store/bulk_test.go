package store_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kigen"
	"kigen/store"
)

func TestBulk(t *testing.T) {
	t.Parallel()
	cards := []*kigen.Card{
		{ResidentID: 7, Kind: kigen.ResidenceCard},
		{ResidentID: 3, Kind: kigen.MyNumberCard},
		{ResidentID: 7, Kind: kigen.MyNumberCard},
	}
	b, owners, err := store.CardsBulk(cards)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{7, 3}, owners); diff != "" {
		t.Errorf("residents (-want +got):\n%s", diff)
	}
	if i, err := b.Index(store.OwnedKey[kigen.CardKind]{ResidentID: 7, Kind: kigen.MyNumberCard}); i != 2 || err != nil {
		t.Errorf("Index of resident 7's My Number card = %d, %v; want 2", i, err)
	}
	if _, err := b.Index(store.OwnedKey[kigen.CardKind]{ResidentID: 3, Kind: kigen.ResidenceCard}); err == nil {
		t.Error("Index of a card not given: no error")
	}

	_, _, err = store.ContactsBulk([]*kigen.Contact{{ResidentID: 1, Channel: kigen.Email}, {ResidentID: 1, Channel: kigen.Email}})
	if !errors.Is(err, store.ErrConflict) || err.Error() != "resident 1's contact (email) listed twice: conflict" {
		t.Errorf("a contact given twice: %v, want ErrConflict naming it", err)
	}
	_, err = store.ResidentsBulk([]*kigen.Resident{{Ref: "A-1"}, {Ref: "A-1"}})
	if !errors.Is(err, store.ErrConflict) || err.Error() != "a ref listed twice: conflict" {
		t.Errorf("a ref given twice: %v, want ErrConflict without the ref", err)
	}
}
