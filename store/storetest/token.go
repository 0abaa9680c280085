package storetest

import (
	"crypto/sha256"
	"testing"

	"kigen"
	"kigen/store"
)

// tokenHash is the SHA-256 of a token, as the deliver job stores it.
func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func testSetMessageTokenOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	other := MustCreateMessage(t, ctx, s, a.Municipality.ID, a.Resident.ID, kigen.SMS, a.Notice.TickDate, a.Notice.ID)

	must(t, s.SetMessageToken(ctx, a.Message.ID, tokenHash("first")), "SetMessageToken(first)")
	must(t, s.SetMessageToken(ctx, other.ID, tokenHash("other")), "SetMessageToken(other)")
	for _, tc := range []struct {
		name  string
		token string
		want  *kigen.Message
	}{
		{name: "first", token: "first", want: a.Message},
		{name: "other", token: "other", want: other},
	} {
		got, err := s.GetMessageByToken(ctx, tokenHash(tc.token))
		must(t, err, "GetMessageByToken("+tc.name+")")
		if d := diff(tc.want, got); d != "" {
			t.Errorf("GetMessageByToken(%s) mismatch (-want +got):\n%s", tc.name, d)
		}
	}

	// A new token replaces the old one: the old link stops working.
	must(t, s.SetMessageToken(ctx, a.Message.ID, tokenHash("second")), "SetMessageToken(second)")
	_, err := s.GetMessageByToken(ctx, tokenHash("first"))
	wantErr(t, err, store.ErrNotFound, "GetMessageByToken(replaced)")
	got, err := s.GetMessageByToken(ctx, tokenHash("second"))
	must(t, err, "GetMessageByToken(second)")
	if got.ID != a.Message.ID {
		t.Errorf("GetMessageByToken(second) = message %d, want %d", got.ID, a.Message.ID)
	}

	// Inside a transaction too, and the link outlives the resident.
	err = s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.SetMessageToken(ctx, other.ID, tokenHash("in-tx")); err != nil {
			return err
		}
		got, err := tx.GetMessageByToken(ctx, tokenHash("in-tx"))
		if err != nil {
			return err
		}
		if got.ID != other.ID {
			t.Errorf("GetMessageByToken in tx = message %d, want %d", got.ID, other.ID)
		}
		return nil
	})
	must(t, err, "InTx")
	must(t, s.DeleteResident(ctx, a.Municipality.ID, a.Resident.ID), "DeleteResident")
	got, err = s.GetMessageByToken(ctx, tokenHash("in-tx"))
	must(t, err, "GetMessageByToken(after DeleteResident)")
	if got.ID != other.ID || got.ResidentID != 0 {
		t.Errorf("GetMessageByToken after DeleteResident = message %d of resident %d, want %d detached", got.ID, got.ResidentID, other.ID)
	}
}

func testSetMessageTokenErrNotFound(t *testing.T, s store.Store) {
	err := s.SetMessageToken(t.Context(), noSuchID, tokenHash("x"))
	wantErr(t, err, store.ErrNotFound, "SetMessageToken(no such message)")
}

func testGetMessageByTokenErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	must(t, s.SetMessageToken(ctx, a.Message.ID, tokenHash("set")), "SetMessageToken")
	for _, tc := range []struct {
		name string
		hash []byte
	}{
		{name: "Unknown", hash: tokenHash("never set")},
		{name: "Prefix", hash: tokenHash("set")[:16]},
		{name: "Empty", hash: nil},
		{name: "Token not hashed", hash: []byte("set")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.GetMessageByToken(ctx, tc.hash)
			wantErr(t, err, store.ErrNotFound, "GetMessageByToken")
		})
	}
}
