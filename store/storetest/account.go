package storetest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"kigen/store"
)

// MustCreateAccount stores an account, failing the test on error.
func MustCreateAccount(t testing.TB, q store.Queries, a store.Account) *store.Account {
	t.Helper()
	must(t, q.CreateAccount(t.Context(), &a), "CreateAccount")
	return &a
}

// hashOf is a stand-in for a token's hash.
func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// at is a time of the cases, at the microsecond (PostgreSQL's precision).
var at = time.Date(2026, 12, 4, 1, 2, 3, 456789000, time.UTC)

// testCreateAccountOK: accounts read back as written, by ID and by email;
// a zero CreatedAt is stamped; an operator has no municipality.
func testCreateAccountOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	staff := MustCreateAccount(t, s, store.Account{Email: "alice@city.example.jp", Role: "staff", MunicipalityID: m.ID,
		PasswordHash: "$argon2id$x", TOTPSecret: "JBSWY3DPEHPK3PXP", TOTPLastStep: 42, SetupDone: true,
		LockedUntil: at.Add(time.Hour), DisabledAt: at, CreatedAt: at.Add(-time.Hour)})
	op := MustCreateAccount(t, s, store.Account{Email: "ops@kigen.example", Role: "operator"})
	if staff.ID == 0 || op.ID == 0 || staff.ID == op.ID {
		t.Fatalf("IDs %d and %d: want two distinct IDs", staff.ID, op.ID)
	}
	checkCreated(t, "CreateAccount(no CreatedAt)", op.CreatedAt)
	for _, want := range []*store.Account{staff, op} {
		got, err := s.GetAccount(ctx, want.ID)
		must(t, err, "GetAccount")
		if d := diff(want, got); d != "" {
			t.Errorf("GetAccount(%d) mismatch (-want +got):\n%s", want.ID, d)
		}
		got, err = s.GetAccountByEmail(ctx, want.Email)
		must(t, err, "GetAccountByEmail")
		if d := diff(want, got); d != "" {
			t.Errorf("GetAccountByEmail mismatch (-want +got):\n%s", d)
		}
	}
	_, err := s.GetAccount(ctx, noSuchID)
	wantErr(t, err, store.ErrNotFound, "GetAccount(no such ID)")
	_, err = s.GetAccountByEmail(ctx, "ALICE@city.example.jp")
	wantErr(t, err, store.ErrNotFound, "GetAccountByEmail(other case)")
}

// testCreateAccountErrors: a taken email is ErrConflict, an unknown
// municipality ErrNotFound, and in a transaction either leaves it usable.
func testCreateAccountErrors(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	MustCreateAccount(t, s, store.Account{Email: "alice@city.example.jp", Role: "staff", MunicipalityID: m.ID})
	err := s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, &store.Account{Email: "alice@city.example.jp", Role: "admin", MunicipalityID: m.ID}); !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("CreateAccount(taken email): err = %v, want ErrConflict", err)
		}
		if err := tx.CreateAccount(ctx, &store.Account{Email: "bob@city.example.jp", Role: "staff", MunicipalityID: noSuchID}); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("CreateAccount(no such municipality): err = %v, want ErrNotFound", err)
		}
		return tx.CreateAccount(ctx, &store.Account{Email: "carol@city.example.jp", Role: "admin", MunicipalityID: m.ID})
	})
	must(t, err, "InTx")
	as, err := s.ListAccounts(ctx, m.ID)
	must(t, err, "ListAccounts")
	if len(as) != 2 {
		t.Errorf("%d accounts after the transaction, want 2 (alice, carol)", len(as))
	}
}

// testListAccounts: a municipality's accounts only, by email; zero lists
// every account, operators' too.
func testListAccounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateMunicipality(t, ctx, s, "012033")
	b := MustCreateMunicipality(t, ctx, s, "131016")
	zed := MustCreateAccount(t, s, store.Account{Email: "zed@a.example.jp", Role: "admin", MunicipalityID: a.ID})
	amy := MustCreateAccount(t, s, store.Account{Email: "amy@a.example.jp", Role: "staff", MunicipalityID: a.ID})
	bob := MustCreateAccount(t, s, store.Account{Email: "bob@b.example.jp", Role: "staff", MunicipalityID: b.ID})
	ops := MustCreateAccount(t, s, store.Account{Email: "Ops@kigen.example", Role: "operator"})
	for _, tt := range []struct {
		mid  int64
		want []*store.Account
	}{{a.ID, []*store.Account{amy, zed}}, {b.ID, []*store.Account{bob}}, {0, []*store.Account{ops, amy, bob, zed}}, {noSuchID, nil}} {
		got, err := s.ListAccounts(ctx, tt.mid)
		must(t, err, "ListAccounts")
		if d := diff(tt.want, got); d != "" {
			t.Errorf("ListAccounts(%d) mismatch (-want +got):\n%s", tt.mid, d)
		}
	}
}

// testUpdateAccount: the secrets, the lock and the disabling change and
// read back; clearing them stores NULL; the email, role, municipality and
// TOTP last step stay.
func testUpdateAccount(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	a := MustCreateAccount(t, s, store.Account{Email: "alice@city.example.jp", Role: "staff", MunicipalityID: m.ID})
	want := *a
	want.PasswordHash, want.TOTPSecret, want.SetupDone = "$argon2id$y", "SECRET", true
	want.LockedUntil, want.DisabledAt = at, at.Add(time.Minute)
	upd := want
	upd.Email, upd.Role, upd.MunicipalityID, upd.TOTPLastStep = "mallory@evil.example", "operator", 0, 7
	must(t, s.UpdateAccount(ctx, &upd), "UpdateAccount")
	got, err := s.GetAccount(ctx, a.ID)
	must(t, err, "GetAccount")
	if d := diff(&want, got); d != "" {
		t.Errorf("after UpdateAccount (-want +got):\n%s", d)
	}
	want.LockedUntil, want.DisabledAt = time.Time{}, time.Time{}
	must(t, s.UpdateAccount(ctx, &want), "UpdateAccount(clear)")
	got, err = s.GetAccount(ctx, a.ID)
	must(t, err, "GetAccount")
	if !got.LockedUntil.IsZero() || !got.DisabledAt.IsZero() {
		t.Errorf("after clearing: LockedUntil %v, DisabledAt %v; want zero", got.LockedUntil, got.DisabledAt)
	}
	wantErr(t, s.UpdateAccount(ctx, &store.Account{ID: noSuchID}), store.ErrNotFound, "UpdateAccount(no such ID)")
}

// testUseTOTPStep: a step is used once; an older or equal one is
// ErrConflict; a later one goes.
func testUseTOTPStep(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, store.Account{Email: "ops@kigen.example", Role: "operator"})
	must(t, s.UseTOTPStep(ctx, a.ID, 100), "UseTOTPStep(100)")
	wantErr(t, s.UseTOTPStep(ctx, a.ID, 100), store.ErrConflict, "UseTOTPStep(100 again)")
	wantErr(t, s.UseTOTPStep(ctx, a.ID, 99), store.ErrConflict, "UseTOTPStep(99)")
	must(t, s.UseTOTPStep(ctx, a.ID, 101), "UseTOTPStep(101)")
	got, err := s.GetAccount(ctx, a.ID)
	must(t, err, "GetAccount")
	if got.TOTPLastStep != 101 {
		t.Errorf("TOTPLastStep = %d, want 101", got.TOTPLastStep)
	}
	wantErr(t, s.UseTOTPStep(ctx, noSuchID, 5), store.ErrNotFound, "UseTOTPStep(no such account)")
}

// testSetupTokens: a setup token reads back by its hash, is used once,
// and goes with DeleteSetupTokens.
func testSetupTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, store.Account{Email: "ops@kigen.example", Role: "operator"})
	tok := &store.SetupToken{Hash: hashOf("one"), AccountID: a.ID, CreatedAt: at, ExpiresAt: at.Add(72 * time.Hour)}
	must(t, s.CreateSetupToken(ctx, tok), "CreateSetupToken")
	wantErr(t, s.CreateSetupToken(ctx, &store.SetupToken{Hash: hashOf("one"), AccountID: a.ID, CreatedAt: at, ExpiresAt: at}),
		store.ErrConflict, "CreateSetupToken(taken hash)")
	wantErr(t, s.CreateSetupToken(ctx, &store.SetupToken{Hash: hashOf("two"), AccountID: noSuchID, CreatedAt: at, ExpiresAt: at}),
		store.ErrNotFound, "CreateSetupToken(no such account)")
	got, err := s.GetSetupToken(ctx, hashOf("one"))
	must(t, err, "GetSetupToken")
	if d := diff(tok, got); d != "" {
		t.Errorf("GetSetupToken mismatch (-want +got):\n%s", d)
	}
	must(t, s.UseSetupToken(ctx, hashOf("one"), at.Add(time.Hour)), "UseSetupToken")
	wantErr(t, s.UseSetupToken(ctx, hashOf("one"), at.Add(2*time.Hour)), store.ErrNotFound, "UseSetupToken(used)")
	wantErr(t, s.UseSetupToken(ctx, hashOf("none"), at), store.ErrNotFound, "UseSetupToken(no such token)")
	got, err = s.GetSetupToken(ctx, hashOf("one"))
	must(t, err, "GetSetupToken")
	if !got.UsedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("UsedAt = %v, want %v (the first use)", got.UsedAt, at.Add(time.Hour))
	}
	must(t, s.DeleteSetupTokens(ctx, a.ID), "DeleteSetupTokens")
	_, err = s.GetSetupToken(ctx, hashOf("one"))
	wantErr(t, err, store.ErrNotFound, "GetSetupToken(deleted)")
	must(t, s.DeleteSetupTokens(ctx, a.ID), "DeleteSetupTokens(none)")
}

// testSessions: a session reads back, is touched, ends alone, with its
// account's others, or when expired.
func testSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, store.Account{Email: "ops@kigen.example", Role: "operator"})
	b := MustCreateAccount(t, s, store.Account{Email: "ops2@kigen.example", Role: "operator"})
	mk := func(name string, acc *store.Account, created, lastSeen time.Time) *store.Session {
		ss := &store.Session{Hash: hashOf(name), AccountID: acc.ID, CreatedAt: created, LastSeenAt: lastSeen, ExpiresAt: created.Add(12 * time.Hour)}
		must(t, s.CreateSession(ctx, ss), "CreateSession")
		return ss
	}
	one := mk("one", a, at, at)
	mk("two", a, at, at)
	three := mk("three", b, at, at)
	wantErr(t, s.CreateSession(ctx, &store.Session{Hash: hashOf("one"), AccountID: a.ID, CreatedAt: at, LastSeenAt: at, ExpiresAt: at}),
		store.ErrConflict, "CreateSession(taken hash)")
	err := s.InTx(ctx, func(tx store.Tx) error {
		err := tx.CreateSession(ctx, &store.Session{Hash: hashOf("x"), AccountID: noSuchID, CreatedAt: at, LastSeenAt: at, ExpiresAt: at})
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("CreateSession(no such account): err = %v, want ErrNotFound", err)
		}
		return tx.TouchSession(ctx, hashOf("one"), at.Add(time.Minute))
	})
	must(t, err, "InTx")
	got, err := s.GetSession(ctx, hashOf("one"))
	must(t, err, "GetSession")
	one.LastSeenAt = at.Add(time.Minute)
	if d := diff(one, got); d != "" {
		t.Errorf("GetSession mismatch (-want +got):\n%s", d)
	}
	wantErr(t, s.TouchSession(ctx, hashOf("none"), at), store.ErrNotFound, "TouchSession(no such session)")
	n, err := s.DeleteAccountSessions(ctx, a.ID)
	must(t, err, "DeleteAccountSessions")
	if n != 2 {
		t.Errorf("DeleteAccountSessions = %d, want 2", n)
	}
	_, err = s.GetSession(ctx, hashOf("two"))
	wantErr(t, err, store.ErrNotFound, "GetSession(ended)")
	if _, err := s.GetSession(ctx, hashOf("three")); err != nil {
		t.Errorf("the other account's session: %v", err)
	}
	must(t, s.DeleteSession(ctx, three.Hash), "DeleteSession")
	wantErr(t, s.DeleteSession(ctx, three.Hash), store.ErrNotFound, "DeleteSession(again)")

	// Expired: by the absolute expiry (old), by idleness (idle); fresh stays.
	mk("old", b, at.Add(-13*time.Hour), at.Add(-time.Minute))
	mk("idle", b, at.Add(-time.Hour), at.Add(-31*time.Minute))
	mk("fresh", b, at.Add(-time.Hour), at.Add(-time.Minute))
	n, err = s.DeleteExpiredSessions(ctx, at, at.Add(-30*time.Minute))
	must(t, err, "DeleteExpiredSessions")
	if n != 2 {
		t.Errorf("DeleteExpiredSessions = %d, want 2", n)
	}
	if _, err := s.GetSession(ctx, hashOf("fresh")); err != nil {
		t.Errorf("the fresh session: %v", err)
	}
}

// testLoginFailures: failures count per account and per client over a
// window, and are removed per account or by age.
func testLoginFailures(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, store.Account{Email: "ops@kigen.example", Role: "operator"})
	b := MustCreateAccount(t, s, store.Account{Email: "ops2@kigen.example", Role: "operator"})
	for _, f := range []store.LoginFailure{
		{AccountID: a.ID, ClientKey: "k1", At: at.Add(-20 * time.Minute)},
		{AccountID: a.ID, ClientKey: "k1", At: at.Add(-10 * time.Minute)},
		{AccountID: a.ID, ClientKey: "k2", At: at},
		{AccountID: b.ID, ClientKey: "k1", At: at},
		{ClientKey: "k1", At: at}, // an unknown email
	} {
		must(t, s.CreateLoginFailure(ctx, f), "CreateLoginFailure")
	}
	wantErr(t, s.CreateLoginFailure(ctx, store.LoginFailure{AccountID: noSuchID, ClientKey: "k", At: at}), store.ErrNotFound,
		"CreateLoginFailure(no such account)")
	since := at.Add(-15 * time.Minute)
	for _, tt := range []struct {
		f    store.LoginFailureFilter
		want int
	}{
		{store.LoginFailureFilter{AccountID: a.ID, Since: since}, 2},
		{store.LoginFailureFilter{AccountID: a.ID, Since: at.Add(-time.Hour)}, 3},
		{store.LoginFailureFilter{ClientKey: "k1", Since: since}, 3},
		{store.LoginFailureFilter{ClientKey: "k2", Since: since}, 1},
		{store.LoginFailureFilter{ClientKey: "k3", Since: since}, 0},
	} {
		n, err := s.CountLoginFailures(ctx, tt.f)
		must(t, err, "CountLoginFailures")
		if n != tt.want {
			t.Errorf("CountLoginFailures(%+v) = %d, want %d", tt.f, n, tt.want)
		}
	}
	must(t, s.DeleteLoginFailures(ctx, a.ID), "DeleteLoginFailures")
	n, err := s.CountLoginFailures(ctx, store.LoginFailureFilter{ClientKey: "k1", Since: at.Add(-time.Hour)})
	must(t, err, "CountLoginFailures")
	if n != 2 {
		t.Errorf("after DeleteLoginFailures: %d failures of k1, want 2 (b's and the unknown email's)", n)
	}
	must(t, s.CreateLoginFailure(ctx, store.LoginFailure{ClientKey: "k1", At: at.Add(-time.Hour)}), "CreateLoginFailure(old)")
	n, err = s.DeleteLoginFailuresBefore(ctx, since)
	must(t, err, "DeleteLoginFailuresBefore")
	if n != 1 {
		t.Errorf("DeleteLoginFailuresBefore = %d, want 1", n)
	}
}

// testAPITokens: API tokens read back by ID and hash, list per
// municipality, are revoked once and touched.
func testAPITokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	ma := MustCreateMunicipality(t, ctx, s, "012033")
	mb := MustCreateMunicipality(t, ctx, s, "131016")
	crm := &store.APIToken{Hash: hashOf("crm"), Name: "crm", MunicipalityID: ma.ID, Scope: "read", CreatedBy: "cli:alice", CreatedAt: at}
	syncTok := &store.APIToken{Hash: hashOf("syncTok"), Name: "syncTok", MunicipalityID: mb.ID, Scope: "write", CreatedBy: "account:1"}
	must(t, s.CreateAPIToken(ctx, crm), "CreateAPIToken")
	must(t, s.CreateAPIToken(ctx, syncTok), "CreateAPIToken")
	checkCreated(t, "CreateAPIToken(no CreatedAt)", syncTok.CreatedAt)
	wantErr(t, s.CreateAPIToken(ctx, &store.APIToken{Hash: hashOf("crm"), Name: "x", MunicipalityID: ma.ID, Scope: "read", CreatedBy: "x"}),
		store.ErrConflict, "CreateAPIToken(taken hash)")
	wantErr(t, s.CreateAPIToken(ctx, &store.APIToken{Hash: hashOf("y"), Name: "y", MunicipalityID: noSuchID, Scope: "read", CreatedBy: "x"}),
		store.ErrNotFound, "CreateAPIToken(no such municipality)")
	got, err := s.GetAPIToken(ctx, crm.ID)
	must(t, err, "GetAPIToken")
	if d := diff(crm, got); d != "" {
		t.Errorf("GetAPIToken mismatch (-want +got):\n%s", d)
	}
	got, err = s.GetAPITokenByHash(ctx, hashOf("syncTok"))
	must(t, err, "GetAPITokenByHash")
	if d := diff(syncTok, got); d != "" {
		t.Errorf("GetAPITokenByHash mismatch (-want +got):\n%s", d)
	}
	_, err = s.GetAPITokenByHash(ctx, hashOf("none"))
	wantErr(t, err, store.ErrNotFound, "GetAPITokenByHash(no such token)")
	for _, tt := range []struct {
		mid  int64
		want []*store.APIToken
	}{{ma.ID, []*store.APIToken{crm}}, {mb.ID, []*store.APIToken{syncTok}}, {0, []*store.APIToken{crm, syncTok}}} {
		got, err := s.ListAPITokens(ctx, tt.mid)
		must(t, err, "ListAPITokens")
		if d := diff(tt.want, got); d != "" {
			t.Errorf("ListAPITokens(%d) mismatch (-want +got):\n%s", tt.mid, d)
		}
	}
	must(t, s.TouchAPIToken(ctx, crm.ID, at.Add(time.Minute)), "TouchAPIToken")
	must(t, s.RevokeAPIToken(ctx, crm.ID, at.Add(time.Hour)), "RevokeAPIToken")
	must(t, s.RevokeAPIToken(ctx, crm.ID, at.Add(2*time.Hour)), "RevokeAPIToken(again)")
	got, err = s.GetAPIToken(ctx, crm.ID)
	must(t, err, "GetAPIToken")
	if !got.LastUsedAt.Equal(at.Add(time.Minute)) || !got.RevokedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("LastUsedAt %v, RevokedAt %v; want %v and the first revocation %v", got.LastUsedAt, got.RevokedAt,
			at.Add(time.Minute), at.Add(time.Hour))
	}
	wantErr(t, s.RevokeAPIToken(ctx, noSuchID, at), store.ErrNotFound, "RevokeAPIToken(no such token)")
	wantErr(t, s.TouchAPIToken(ctx, noSuchID, at), store.ErrNotFound, "TouchAPIToken(no such token)")
}
