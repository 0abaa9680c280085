package store

import (
	"fmt"

	"kigen"
)

// Bulk is the bookkeeping the backends' plural upserts (UpsertResidents,
// UpsertContacts, UpsertCards) share: the rows given, indexed by their
// conflict key, with a key given twice refused; and each row the statement
// returns — in no set order — matched back to the input it is for.
type Bulk[K comparable] struct {
	at   map[K]int
	noun string
}

// NewBulk indexes rows by key. A key given twice is ErrConflict, the error
// naming the row by dup (opaque ids only: a ref may identify a person).
// noun names a row in the error of Index.
func NewBulk[T any, K comparable](rows []T, noun string, key func(T) K, dup func(K) string) (*Bulk[K], error) {
	b := &Bulk[K]{at: make(map[K]int, len(rows)), noun: noun}
	for i, r := range rows {
		k := key(r)
		if _, ok := b.at[k]; ok {
			return nil, fmt.Errorf("%s listed twice: %w", dup(k), ErrConflict)
		}
		b.at[k] = i
	}
	return b, nil
}

// Index returns the index of the input whose key is k: the one a returned
// row with that key is for. A key no input has is an error.
func (b *Bulk[K]) Index(k K) (int, error) {
	i, ok := b.at[k]
	if !ok {
		return 0, fmt.Errorf("a row for a %s not given", b.noun)
	}
	return i, nil
}

// OwnedKey is the conflict key of what a resident holds one of per kind: a
// contact (per channel) or a card (per card kind).
type OwnedKey[T comparable] struct {
	ResidentID int64
	Kind       T
}

// ResidentsBulk indexes the residents of UpsertResidents by ref.
func ResidentsBulk(rs []*kigen.Resident) (*Bulk[string], error) {
	return NewBulk(rs, "ref", func(r *kigen.Resident) string { return r.Ref },
		func(string) string { return "a ref" })
}

// ContactsBulk indexes the contacts of UpsertContacts by resident and
// channel, and returns their residents (newOwnedBulk).
func ContactsBulk(cs []*kigen.Contact) (*Bulk[OwnedKey[kigen.Channel]], []int64, error) {
	return newOwnedBulk(cs, "contact", func(c *kigen.Contact) OwnedKey[kigen.Channel] {
		return OwnedKey[kigen.Channel]{c.ResidentID, c.Channel}
	})
}

// CardsBulk indexes the cards of UpsertCards by resident and kind, and
// returns their residents (newOwnedBulk).
func CardsBulk(cs []*kigen.Card) (*Bulk[OwnedKey[kigen.CardKind]], []int64, error) {
	return newOwnedBulk(cs, "card", func(c *kigen.Card) OwnedKey[kigen.CardKind] {
		return OwnedKey[kigen.CardKind]{c.ResidentID, c.Kind}
	})
}

// newOwnedBulk is NewBulk for a resident's contacts or cards, keyed by
// resident and kind. It also returns the rows' residents, each once in the
// order they first appear: the write must find every one of them in the
// municipality, else write nothing (ErrNotFound).
func newOwnedBulk[T any, K comparable](rows []T, noun string, key func(T) OwnedKey[K]) (b *Bulk[OwnedKey[K]], residentIDs []int64, err error) {
	b, err = NewBulk(rows, noun, key, func(k OwnedKey[K]) string {
		return fmt.Sprintf("resident %d's %s (%v)", k.ResidentID, noun, k.Kind)
	})
	if err != nil {
		return nil, nil, err
	}
	seen := make(map[int64]bool, len(rows))
	for _, r := range rows {
		if id := key(r).ResidentID; !seen[id] {
			seen[id] = true
			residentIDs = append(residentIDs, id)
		}
	}
	return b, residentIDs, nil
}
