package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kigen"
	"kigen/store"
)

// The self-service cases (store.SelfQueries), added to the suite.
func init() {
	suite = append(suite,
		testCase{"Signups/OK", testSignupsOK},
		testCase{"Signups/Errors", testSignupsErrors},
		testCase{"CountSignups/Filters", testCountSignups},
		testCase{"ForgetSignups/OK", testForgetSignups},
		testCase{"ReserveSignup/Limits", testReserveSignup},
		testCase{"ReserveSignup/Concurrent", testReserveSignupConcurrent},
		testCase{"ResidentTokens/OK", testResidentTokens},
		testCase{"ResidentSource/OK", testResidentSource},
	)
}

// testSignupsOK: a sign-up reads back as written, by ID and by token hash;
// an update saves what it says; attempts count up one at a time; a
// duplicate is listed.
func testSignupsOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A1")
	p := &store.Signup{MunicipalityID: m.ID, Kind: store.SignupNew, Channel: kigen.SMS, Address: "+819012345678",
		AddressKey: hashOf("+819012345678"), ClientKey: "client-1", Language: kigen.Vietnamese, Fields: `{"name":"x"}`,
		Nonce: []byte("nonce-1"), TokenHash: hashOf("t1"), State: store.SignupPending, CreatedAt: at, ExpiresAt: at.Add(15 * time.Minute)}
	must(t, s.CreateSignup(ctx, p), "CreateSignup")
	if p.ID == 0 {
		t.Fatal("CreateSignup set no ID")
	}
	got, err := s.GetSignup(ctx, p.ID)
	must(t, err, "GetSignup")
	if d := diff(p, got); d != "" {
		t.Errorf("GetSignup mismatch (-want +got):\n%s", d)
	}
	got, err = s.GetSignupByToken(ctx, hashOf("t1"))
	must(t, err, "GetSignupByToken")
	if got.ID != p.ID {
		t.Errorf("GetSignupByToken = %d, want %d", got.ID, p.ID)
	}
	for want := 1; want <= 3; want++ {
		n, err := s.AttemptSignup(ctx, p.ID)
		must(t, err, "AttemptSignup")
		if n != want {
			t.Errorf("AttemptSignup = %d, want %d", n, want)
		}
	}
	p.Attempts, p.State, p.Address, p.Fields = 3, store.SignupDuplicate, "", ""
	p.DuplicateOf, p.SentAt, p.ConfirmedAt = r.ID, at.Add(time.Second), at.Add(time.Minute)
	must(t, s.UpdateSignup(ctx, p), "UpdateSignup")
	got, err = s.GetSignup(ctx, p.ID)
	must(t, err, "GetSignup after update")
	if d := diff(p, got); d != "" {
		t.Errorf("GetSignup after update mismatch (-want +got):\n%s", d)
	}
	// A channel confirmation names its resident; no token hash is fine.
	c := &store.Signup{MunicipalityID: m.ID, Kind: store.SignupChannel, ResidentID: r.ID, Channel: kigen.Email,
		Address: "a@example.jp", AddressKey: hashOf("a@example.jp"), Language: kigen.English, Nonce: []byte("n2"),
		State: store.SignupPending, ExpiresAt: at.Add(time.Hour)}
	must(t, s.CreateSignup(ctx, c), "CreateSignup(channel)")
	checkCreated(t, "CreateSignup(no CreatedAt)", c.CreatedAt)
	ds, err := s.ListSignups(ctx, m.ID, store.SignupDuplicate, 10)
	must(t, err, "ListSignups")
	if len(ds) != 1 || ds[0].ID != p.ID || ds[0].DuplicateOf != r.ID {
		t.Errorf("ListSignups(duplicate) = %v, want sign-up %d of resident %d", ds, p.ID, r.ID)
	}
	// Erasing the resident takes their pending confirmations with them
	// and detaches the duplicate.
	must(t, s.DeleteResident(ctx, m.ID, r.ID), "DeleteResident")
	_, err = s.GetSignup(ctx, c.ID)
	wantErr(t, err, store.ErrNotFound, "GetSignup(channel of an erased resident)")
	got, err = s.GetSignup(ctx, p.ID)
	must(t, err, "GetSignup(duplicate of an erased resident)")
	if got.DuplicateOf != 0 {
		t.Errorf("DuplicateOf = %d after the resident was erased, want 0", got.DuplicateOf)
	}
}

// testSignupsErrors: unknown municipality or resident is ErrNotFound, a
// taken token hash ErrConflict (and a transaction stays usable); unknown
// IDs are ErrNotFound.
func testSignupsErrors(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	other := MustCreateMunicipality(t, ctx, s, "011002")
	r := MustUpsertResident(t, ctx, s, other.ID, "B1")
	base := store.Signup{MunicipalityID: m.ID, Kind: store.SignupNew, Channel: kigen.Email, AddressKey: hashOf("x"),
		Language: kigen.English, Nonce: []byte("n"), TokenHash: hashOf("t"), State: store.SignupPending, ExpiresAt: at}
	p := base
	p.MunicipalityID = noSuchID
	wantErr(t, s.CreateSignup(ctx, &p), store.ErrNotFound, "CreateSignup(no such municipality)")
	p = base
	p.Kind, p.ResidentID = store.SignupChannel, r.ID
	wantErr(t, s.CreateSignup(ctx, &p), store.ErrNotFound, "CreateSignup(a resident of another municipality)")
	p = base
	must(t, s.CreateSignup(ctx, &p), "CreateSignup")
	must(t, s.InTx(ctx, func(tx store.Tx) error {
		dup := base
		wantErr(t, tx.CreateSignup(ctx, &dup), store.ErrConflict, "CreateSignup(token hash taken)")
		_, err := tx.GetSignup(ctx, p.ID)
		return err
	}), "InTx after a conflict")
	_, err := s.GetSignup(ctx, noSuchID)
	wantErr(t, err, store.ErrNotFound, "GetSignup(no such ID)")
	_, err = s.GetSignupByToken(ctx, hashOf("nope"))
	wantErr(t, err, store.ErrNotFound, "GetSignupByToken(unknown)")
	_, err = s.GetSignupByToken(ctx, nil)
	wantErr(t, err, store.ErrNotFound, "GetSignupByToken(nil)")
	_, err = s.AttemptSignup(ctx, noSuchID)
	wantErr(t, err, store.ErrNotFound, "AttemptSignup(no such ID)")
	q := base
	q.ID = noSuchID
	wantErr(t, s.UpdateSignup(ctx, &q), store.ErrNotFound, "UpdateSignup(no such ID)")
}

// testCountSignups: each filter narrows the count.
func testCountSignups(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	m2 := MustCreateMunicipality(t, ctx, s, "011002")
	mk := func(mu int64, ch kigen.Channel, addr, client string, created time.Time, sent bool) {
		p := &store.Signup{MunicipalityID: mu, Kind: store.SignupNew, Channel: ch, AddressKey: hashOf(addr), ClientKey: client,
			Language: kigen.English, Nonce: []byte("n"), State: store.SignupPending, CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
		if sent {
			p.SentAt = created
		}
		must(t, s.CreateSignup(ctx, p), "CreateSignup")
	}
	mk(m.ID, kigen.SMS, "a", "c1", at, true)
	mk(m.ID, kigen.SMS, "a", "c2", at.Add(time.Minute), false)
	mk(m.ID, kigen.Email, "b", "c1", at, true)
	mk(m2.ID, kigen.SMS, "c", "c1", at, true)
	mk(m.ID, kigen.SMS, "a", "c1", at.Add(-25*time.Hour), true) // yesterday
	cases := []struct {
		name string
		f    store.SignupFilter
		want int
	}{
		{"all today", store.SignupFilter{Since: at}, 4},
		{"all", store.SignupFilter{Since: at.Add(-48 * time.Hour)}, 5},
		{"municipality", store.SignupFilter{Since: at, MunicipalityID: m.ID}, 3},
		{"sms", store.SignupFilter{Since: at, Channel: kigen.SMS}, 3},
		{"sms sent", store.SignupFilter{Since: at, Channel: kigen.SMS, Sent: true}, 2},
		{"address", store.SignupFilter{Since: at, AddressKey: hashOf("a")}, 2},
		{"client", store.SignupFilter{Since: at, ClientKey: "c1"}, 3},
		{"client and municipality", store.SignupFilter{Since: at, ClientKey: "c1", MunicipalityID: m.ID}, 2},
	}
	var (
		fs   []store.SignupFilter
		want []int
	)
	for _, tc := range cases {
		fs, want = append(fs, tc.f), append(want, tc.want)
		n, err := s.CountSignups(ctx, tc.f)
		must(t, err, "CountSignups "+tc.name)
		if n != tc.want {
			t.Errorf("CountSignups(%s) = %d, want %d", tc.name, n, tc.want)
		}
	}
	got, err := s.CountSignupsEach(ctx, fs)
	must(t, err, "CountSignupsEach")
	if d := diff(want, got); d != "" {
		t.Errorf("CountSignupsEach mismatch (-want +got):\n%s", d)
	}
	got, err = s.CountSignupsEach(ctx, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("CountSignupsEach(none) = %v, %v", got, err)
	}
}

// testForgetSignups: expired sign-ups lose their address and fields (a
// pending one becomes expired); old ones go, but for duplicates staff
// have not settled.
func testForgetSignups(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	mk := func(created time.Time, state store.SignupState) *store.Signup {
		p := &store.Signup{MunicipalityID: m.ID, Kind: store.SignupNew, Channel: kigen.Email, Address: "a@example.jp",
			AddressKey: hashOf("a"), Language: kigen.English, Fields: "{}", Nonce: []byte("n"), State: state,
			CreatedAt: created, ExpiresAt: created.Add(15 * time.Minute)}
		must(t, s.CreateSignup(ctx, p), "CreateSignup")
		return p
	}
	fresh := mk(at, store.SignupPending)
	expired := mk(at.Add(-time.Hour), store.SignupPending)
	old := mk(at.Add(-72*time.Hour), store.SignupPending)
	dup := mk(at.Add(-72*time.Hour), store.SignupDuplicate)
	n, err := s.ForgetSignups(ctx, at, at.Add(-48*time.Hour))
	must(t, err, "ForgetSignups")
	if n != 3 { // expired and old forgotten, then old deleted
		t.Errorf("ForgetSignups = %d, want 3", n)
	}
	got, err := s.GetSignup(ctx, fresh.ID)
	must(t, err, "GetSignup(fresh)")
	if got.Address == "" || got.State != store.SignupPending {
		t.Errorf("a fresh sign-up was forgotten: %+v", got)
	}
	got, err = s.GetSignup(ctx, expired.ID)
	must(t, err, "GetSignup(expired)")
	if got.Address != "" || got.Fields != "" || got.State != store.SignupExpired {
		t.Errorf("an expired sign-up kept its address or state: address %q fields %q state %s", got.Address, got.Fields, got.State)
	}
	_, err = s.GetSignup(ctx, old.ID)
	wantErr(t, err, store.ErrNotFound, "GetSignup(old)")
	got, err = s.GetSignup(ctx, dup.ID)
	must(t, err, "GetSignup(old duplicate)")
	if got.Address == "" {
		t.Errorf("a duplicate staff have not settled lost its address")
	}
}

// testResidentTokens: a token reads back by hash; revoking marks every
// token of the resident once; a resident of another municipality is
// ErrNotFound, a taken hash ErrConflict; erasing the resident takes their
// tokens.
func testResidentTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	other := MustCreateMunicipality(t, ctx, s, "011002")
	r := MustUpsertResident(t, ctx, s, m.ID, "A1")
	tok := &store.ResidentToken{Hash: hashOf("me1"), MunicipalityID: m.ID, ResidentID: r.ID, CreatedAt: at, ExpiresAt: at.Add(720 * time.Hour)}
	must(t, s.CreateResidentToken(ctx, tok), "CreateResidentToken")
	tok2 := &store.ResidentToken{Hash: hashOf("me2"), MunicipalityID: m.ID, ResidentID: r.ID, ExpiresAt: at.Add(time.Hour)}
	must(t, s.CreateResidentToken(ctx, tok2), "CreateResidentToken(no CreatedAt)")
	checkCreated(t, "CreateResidentToken(no CreatedAt)", tok2.CreatedAt)
	got, err := s.GetResidentToken(ctx, hashOf("me1"))
	must(t, err, "GetResidentToken")
	if d := diff(tok, got); d != "" {
		t.Errorf("GetResidentToken mismatch (-want +got):\n%s", d)
	}
	bad := &store.ResidentToken{Hash: hashOf("me3"), MunicipalityID: other.ID, ResidentID: r.ID, ExpiresAt: at}
	wantErr(t, s.CreateResidentToken(ctx, bad), store.ErrNotFound, "CreateResidentToken(resident of another municipality)")
	again := &store.ResidentToken{Hash: hashOf("me1"), MunicipalityID: m.ID, ResidentID: r.ID, ExpiresAt: at}
	wantErr(t, s.CreateResidentToken(ctx, again), store.ErrConflict, "CreateResidentToken(hash taken)")
	n, err := s.RevokeResidentTokens(ctx, m.ID, r.ID, at.Add(time.Minute))
	must(t, err, "RevokeResidentTokens")
	if n != 2 {
		t.Errorf("RevokeResidentTokens = %d, want 2", n)
	}
	n, err = s.RevokeResidentTokens(ctx, m.ID, r.ID, at.Add(time.Hour))
	must(t, err, "RevokeResidentTokens again")
	if n != 0 {
		t.Errorf("RevokeResidentTokens again = %d, want 0", n)
	}
	got, err = s.GetResidentToken(ctx, hashOf("me1"))
	must(t, err, "GetResidentToken after revoking")
	if !got.RevokedAt.Equal(at.Add(time.Minute)) {
		t.Errorf("RevokedAt = %v, want %v", got.RevokedAt, at.Add(time.Minute))
	}
	must(t, s.DeleteResident(ctx, m.ID, r.ID), "DeleteResident")
	_, err = s.GetResidentToken(ctx, hashOf("me1"))
	wantErr(t, err, store.ErrNotFound, "GetResidentToken(erased resident)")
}

// testResidentSource: a resident is staff's until set otherwise; the
// source is scoped to the municipality.
func testResidentSource(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	other := MustCreateMunicipality(t, ctx, s, "011002")
	a := MustUpsertResident(t, ctx, s, m.ID, "A1")
	b := MustUpsertResident(t, ctx, s, m.ID, "A2")
	must(t, s.SetResidentSource(ctx, m.ID, b.ID, store.SourceSelf), "SetResidentSource")
	wantErr(t, s.SetResidentSource(ctx, other.ID, a.ID, store.SourceSelf), store.ErrNotFound, "SetResidentSource(other municipality)")
	got, err := s.ResidentSources(ctx, m.ID, a.ID, b.ID, noSuchID)
	must(t, err, "ResidentSources")
	want := map[int64]store.ResidentSource{a.ID: store.SourceStaff, b.ID: store.SourceSelf}
	if d := diff(want, got); d != "" {
		t.Errorf("ResidentSources mismatch (-want +got):\n%s", d)
	}
	got, err = s.ResidentSources(ctx, other.ID, a.ID)
	must(t, err, "ResidentSources(other municipality)")
	if len(got) != 0 {
		t.Errorf("ResidentSources(other municipality) = %v, want none", got)
	}
	// A re-import (UpsertResident) keeps the source.
	MustUpsertResident(t, ctx, s, m.ID, "A2")
	got, err = s.ResidentSources(ctx, m.ID, b.ID)
	must(t, err, "ResidentSources after upsert")
	if got[b.ID] != store.SourceSelf {
		t.Errorf("source after an upsert = %q, want self", got[b.ID])
	}
}

// testReserveSignup: a reservation counts under every key or under none;
// the first limit that refuses is named; another day counts afresh; old
// days' counts are forgotten.
func testReserveSignup(t *testing.T, s store.Store) {
	ctx := t.Context()
	day := time.Date(2026, 12, 4, 0, 0, 0, 0, kigen.Tokyo)
	ls := func(addr string) []store.SignupLimit {
		return []store.SignupLimit{{Key: "address:" + addr, Limit: 2}, {Key: "sms", Limit: 3}}
	}
	for i, tc := range []struct {
		addr string
		want int
	}{{"a", -1}, {"a", -1}, {"a", 0}, {"b", -1}, {"b", 1}, {"c", 1}} {
		got, err := s.ReserveSignup(ctx, day, ls(tc.addr))
		must(t, err, "ReserveSignup")
		if got != tc.want {
			t.Errorf("reservation %d (%s) refused by %d, want %d", i, tc.addr, got, tc.want)
		}
	}
	// "b" was refused by the budget: its own count did not move.
	if got, err := s.ReserveSignup(ctx, day, []store.SignupLimit{{Key: "address:b", Limit: 1}}); err != nil || got != 0 {
		t.Errorf("address b after one grant, limit 1: refused %d, %v, want 0", got, err)
	}
	if got, err := s.ReserveSignup(ctx, day, []store.SignupLimit{{Key: "address:b", Limit: 2}}); err != nil || got != -1 {
		t.Errorf("address b after one grant, limit 2: refused %d, %v, want -1 (granted)", got, err)
	}
	next := day.AddDate(0, 0, 1)
	if got, err := s.ReserveSignup(ctx, next, ls("a")); err != nil || got != -1 {
		t.Errorf("the next day: refused %d, %v, want -1 (granted)", got, err)
	}
	// Three days on, the first day's counts are gone, the next day's kept.
	_, err := s.ForgetSignups(ctx, day.AddDate(0, 0, 3), day.AddDate(0, 0, 1))
	must(t, err, "ForgetSignups")
	if got, err := s.ReserveSignup(ctx, day, []store.SignupLimit{{Key: "sms", Limit: 1}}); err != nil || got != -1 {
		t.Errorf("the first day after ForgetSignups: refused %d, %v, want -1 (forgotten)", got, err)
	}
	if got, err := s.ReserveSignup(ctx, next, []store.SignupLimit{{Key: "sms", Limit: 1}}); err != nil || got != 0 {
		t.Errorf("the next day after ForgetSignups: refused %d, %v, want 0 (kept)", got, err)
	}
	// In a transaction: a refusal takes back its own counts and leaves the
	// transaction going; the transaction's rollback takes back the rest.
	later, errBack := day.AddDate(0, 0, 5), errors.New("roll back")
	err = s.InTx(ctx, func(tx store.Tx) error {
		for i, want := range []int{-1, 1, -1} {
			key := []string{"x", "x", "y"}[i]
			if got, err := tx.ReserveSignup(ctx, later, []store.SignupLimit{{Key: "email", Limit: 5}, {Key: key, Limit: 1}}); err != nil || got != want {
				t.Errorf("in a transaction, reservation %d (%s): refused %d, %v, want %d", i, key, got, err, want)
			}
		}
		return errBack
	})
	if !errors.Is(err, errBack) {
		t.Fatalf("InTx: %v", err)
	}
	if got, err := s.ReserveSignup(ctx, later, []store.SignupLimit{{Key: "email", Limit: 1}, {Key: "x", Limit: 1}, {Key: "y", Limit: 1}}); err != nil || got != -1 {
		t.Errorf("after the transaction rolled back: refused %d, %v, want -1 (nothing kept)", got, err)
	}
}

// testReserveSignupConcurrent: 50 reservations at once against a limit of
// 10 (each also under its own key): exactly 10 granted.
func testReserveSignupConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	day := time.Date(2026, 12, 4, 0, 0, 0, 0, kigen.Tokyo)
	var (
		wg      sync.WaitGroup
		granted atomic.Int32
	)
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() {
			got, err := s.ReserveSignup(ctx, day, []store.SignupLimit{
				{Key: fmt.Sprintf("client:%d", i), Limit: 5}, {Key: "municipality:1", Limit: 20}, {Key: "sms", Limit: 10}})
			if err != nil {
				errs <- err
				return
			}
			if got == -1 {
				granted.Add(1)
			} else if got != 2 {
				errs <- fmt.Errorf("refused by %d, want 2 (sms)", got)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := granted.Load(); n != 10 {
		t.Errorf("%d of 50 concurrent reservations granted against a limit of 10, want 10", n)
	}
}
