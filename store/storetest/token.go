package storetest

import (
	"bytes"
	"crypto/sha256"
	"sync"
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

	// A message keeps its first token: a link once sent keeps working,
	// whatever a later attempt passes.
	must(t, s.SetMessageToken(ctx, a.Message.ID, tokenHash("second")), "SetMessageToken(second)")
	got, err := s.GetMessageByToken(ctx, tokenHash("first"))
	must(t, err, "GetMessageByToken(first, after a second token)")
	if got.ID != a.Message.ID {
		t.Errorf("GetMessageByToken(first) = message %d, want %d", got.ID, a.Message.ID)
	}
	_, err = s.GetMessageByToken(ctx, tokenHash("second"))
	wantErr(t, err, store.ErrNotFound, "GetMessageByToken(second, never kept)")
	// An empty hash clears it; the next one is kept.
	must(t, s.SetMessageToken(ctx, a.Message.ID, nil), "SetMessageToken(nil)")
	_, err = s.GetMessageByToken(ctx, tokenHash("first"))
	wantErr(t, err, store.ErrNotFound, "GetMessageByToken(cleared)")
	must(t, s.SetMessageToken(ctx, a.Message.ID, tokenHash("third")), "SetMessageToken(third)")
	got, err = s.GetMessageByToken(ctx, tokenHash("third"))
	must(t, err, "GetMessageByToken(third)")
	if got.ID != a.Message.ID {
		t.Errorf("GetMessageByToken(third) = message %d, want %d", got.ID, a.Message.ID)
	}

	// Inside a transaction too, and the link outlives the resident.
	third := MustCreateMessage(t, ctx, s, a.Municipality.ID, a.Resident.ID, kigen.Email, a.Notice.TickDate.AddDays(1), a.Notice.ID)
	err = s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.SetMessageToken(ctx, third.ID, tokenHash("in-tx")); err != nil {
			return err
		}
		got, err := tx.GetMessageByToken(ctx, tokenHash("in-tx"))
		if err != nil {
			return err
		}
		if got.ID != third.ID {
			t.Errorf("GetMessageByToken in tx = message %d, want %d", got.ID, third.ID)
		}
		return nil
	})
	must(t, err, "InTx")
	must(t, s.DeleteResident(ctx, a.Municipality.ID, a.Resident.ID), "DeleteResident")
	got, err = s.GetMessageByToken(ctx, tokenHash("in-tx"))
	must(t, err, "GetMessageByToken(after DeleteResident)")
	if got.ID != third.ID || got.ResidentID != 0 {
		t.Errorf("GetMessageByToken after DeleteResident = message %d of resident %d, want %d detached", got.ID, got.ResidentID, third.ID)
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

func testLinkSecretOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	first, err := s.LinkSecret(ctx)
	must(t, err, "LinkSecret")
	if len(first) != store.LinkSecretSize || bytes.Equal(first, make([]byte, store.LinkSecretSize)) {
		t.Fatalf("LinkSecret = %x, want %d random bytes", first, store.LinkSecretSize)
	}
	again, err := s.LinkSecret(ctx)
	must(t, err, "LinkSecret again")
	err = s.InTx(ctx, func(tx store.Tx) error {
		inTx, err := tx.LinkSecret(ctx)
		if err == nil && !bytes.Equal(inTx, first) {
			t.Errorf("LinkSecret in a transaction = %x, want %x", inTx, first)
		}
		return err
	})
	must(t, err, "InTx")
	if !bytes.Equal(again, first) {
		t.Errorf("LinkSecret changed: %x, then %x", first, again)
	}
}

// testLinkSecretConcurrent: callers that create the secret at once, on the
// store and in transactions, all get the same one.
func testLinkSecretConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const callers = 8
	got := make([][]byte, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			if i%2 == 0 {
				got[i], errs[i] = s.LinkSecret(ctx)
				return
			}
			errs[i] = s.InTx(ctx, func(tx store.Tx) (err error) {
				got[i], err = tx.LinkSecret(ctx)
				return err
			})
		})
	}
	wg.Wait()
	for i := range callers {
		must(t, errs[i], "LinkSecret")
		if !bytes.Equal(got[i], got[0]) {
			t.Errorf("caller %d got %x, caller 0 %x", i, got[i], got[0])
		}
	}
}
