package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"kigen"
	"kigen/store"
)

// The plural upserts are checked against the singular ones: the same steps
// run one row at a time in one municipality and in one batch per step in
// another must return and store the same, but for IDs and timestamps.

// ignoreIdentity ignores what two municipalities holding the same data
// differ in: IDs and timestamps.
var ignoreIdentity = gocmp.Options{
	cmpopts.IgnoreFields(kigen.Resident{}, "ID", "MunicipalityID", "CreatedAt", "UpdatedAt"),
	cmpopts.IgnoreFields(kigen.Contact{}, "ID", "ResidentID", "CreatedAt", "UpdatedAt"),
	cmpopts.IgnoreFields(kigen.Card{}, "ID", "ResidentID", "CreatedAt", "UpdatedAt"),
}

// listAllResidents returns the municipality's residents (up to 10,000),
// failing the test on error.
func listAllResidents(t *testing.T, q store.Queries, municipalityID int64) []*kigen.Resident {
	t.Helper()
	rs, err := q.ListResidents(t.Context(), store.ResidentFilter{MunicipalityID: municipalityID, Limit: 10000})
	must(t, err, "ListResidents")
	return rs
}

func testUpsertResidentsMatchesUpsertResident(t *testing.T, s store.Store) {
	ctx := t.Context()
	one := MustCreateMunicipality(t, ctx, s, "012033")
	many := MustCreateMunicipality(t, ctx, s, "131016")
	steps := [][]kigen.Resident{
		{
			{Ref: "A-0001", Name: "Nguyen Van A", Language: kigen.Vietnamese, Status: kigen.FixedPeriod, Channel: kigen.PrefBoth},
			{Ref: "A-0002", Language: kigen.English, Status: kigen.Permanent},
			{Ref: "A-0003", Name: "Kim", Language: kigen.Korean, Status: kigen.SpecialPermanent, Channel: kigen.PrefSMS},
		},
		{
			{Ref: "A-0002", Name: "Smith", Language: kigen.English, Status: kigen.Permanent, Channel: kigen.PrefEmail},
			{Ref: "A-0004", Language: kigen.Nepali, Status: kigen.FixedPeriod},
			{Ref: "A-0001", Language: kigen.Chinese, Status: kigen.Permanent},
			{Ref: "A-0003", Name: "Kim", Language: kigen.Korean, Status: kigen.SpecialPermanent, Channel: kigen.PrefSMS},
		},
	}
	byRef := map[string]*kigen.Resident{} // what the plural upserts returned last
	for i, step := range steps {
		if i > 0 {
			advance(t, s)
		}
		var wantCreated []bool
		for _, r := range step {
			r.MunicipalityID = one.ID
			created, err := s.UpsertResident(ctx, &r)
			must(t, err, "UpsertResident")
			wantCreated = append(wantCreated, created)
		}
		rs := make([]*kigen.Resident, len(step))
		for j, r := range step {
			r.MunicipalityID = 0 // set by UpsertResidents
			rs[j] = &r
		}
		created, err := s.UpsertResidents(ctx, many.ID, rs)
		must(t, err, fmt.Sprintf("UpsertResidents(step %d)", i))
		if d := diff(wantCreated, created); d != "" {
			t.Errorf("step %d: UpsertResidents created mismatch with UpsertResident (-want +got):\n%s", i, d)
		}
		for j, r := range rs {
			if r.ID == 0 || r.MunicipalityID != many.ID {
				t.Errorf("step %d: UpsertResidents set ID %d, MunicipalityID %d; want an ID and %d", i, r.ID, r.MunicipalityID, many.ID)
			}
			checkStamps(t, "UpsertResidents", r.CreatedAt, r.UpdatedAt)
			if prev := byRef[r.Ref]; prev != nil {
				if r.ID != prev.ID || !r.CreatedAt.Equal(prev.CreatedAt) {
					t.Errorf("step %d: UpsertResidents(%s) set ID %d, CreatedAt %v; want the stored %d, %v", i, r.Ref, r.ID, r.CreatedAt, prev.ID, prev.CreatedAt)
				}
				if !r.UpdatedAt.After(prev.UpdatedAt) {
					t.Errorf("step %d: UpsertResidents(%s) set UpdatedAt %v, want after %v", i, r.Ref, r.UpdatedAt, prev.UpdatedAt)
				}
			}
			byRef[r.Ref] = rs[j]
		}
		if d := diff(listAllResidents(t, s, one.ID), listAllResidents(t, s, many.ID), ignoreIdentity); d != "" {
			t.Errorf("step %d: stored residents differ from UpsertResident's (-want +got):\n%s", i, d)
		}
	}
	// What UpsertResidents set is what is stored.
	var want []*kigen.Resident
	for _, r := range byRef {
		want = append(want, r)
	}
	slices.SortFunc(want, func(a, b *kigen.Resident) int { return cmp.Compare(a.ID, b.ID) })
	if d := diff(want, listAllResidents(t, s, many.ID)); d != "" {
		t.Errorf("ListResidents mismatch with what UpsertResidents set (-want +got):\n%s", d)
	}
}

func testUpsertResidentsErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	rs := []*kigen.Resident{
		{Ref: "A-0001", Language: kigen.English, Status: kigen.FixedPeriod},
		{Ref: "A-0002", Language: kigen.English, Status: kigen.FixedPeriod},
	}
	_, err := s.UpsertResidents(ctx, noSuchID, rs)
	wantErr(t, err, store.ErrNotFound, "UpsertResidents(unknown municipality)")
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.UpsertResidents(ctx, noSuchID, rs)
		wantErr(t, err, store.ErrNotFound, "UpsertResidents(unknown municipality) in a transaction")
		// The transaction is still usable, and nothing was written.
		if got := listAllResidents(t, tx, m.ID); len(got) != 0 {
			t.Errorf("ListResidents in the transaction returned %d residents, want 0", len(got))
		}
		MustUpsertResident(t, ctx, tx, m.ID, "A-0003")
		return nil
	})
	must(t, err, "InTx")
	if got := listAllResidents(t, s, m.ID); len(got) != 1 {
		t.Errorf("ListResidents returned %d residents, want the one written after the failure", len(got))
	}
}

// testUpsertResidentsInTx checks the created flags inside a transaction
// that upserts the same residents twice, with contacts and cards in
// between (on PostgreSQL these lock the resident rows, which must not pass
// for an update).
func testUpsertResidentsInTx(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	old := MustUpsertResident(t, ctx, s, m.ID, "A-0000")
	newResidents := func(refs ...string) []*kigen.Resident {
		var rs []*kigen.Resident
		for _, ref := range refs {
			rs = append(rs, &kigen.Resident{Ref: ref, Language: kigen.Thai, Status: kigen.Permanent})
		}
		return rs
	}
	err := s.InTx(ctx, func(tx store.Tx) error {
		rs := newResidents("A-0001", "A-0000", "A-0002")
		created, err := tx.UpsertResidents(ctx, m.ID, rs)
		must(t, err, "UpsertResidents")
		if d := diff([]bool{true, false, true}, created); d != "" {
			t.Errorf("UpsertResidents created mismatch (-want +got):\n%s", d)
		}
		if rs[1].ID != old.ID {
			t.Errorf("UpsertResidents(A-0000) set ID %d, want %d", rs[1].ID, old.ID)
		}
		var cs []*kigen.Contact
		var cards []*kigen.Card
		for _, r := range rs {
			cs = append(cs, &kigen.Contact{ResidentID: r.ID, Channel: kigen.Email, Address: r.Ref + "@example.com", Consent: true})
			cards = append(cards, &kigen.Card{ResidentID: r.ID, Kind: kigen.ResidenceCard, ExpiresOn: date("2027-06-30")})
		}
		must(t, tx.UpsertContacts(ctx, m.ID, cs), "UpsertContacts")
		must(t, tx.UpsertCards(ctx, m.ID, cards), "UpsertCards")

		again := newResidents("A-0002", "A-0003", "A-0001", "A-0000")
		created, err = tx.UpsertResidents(ctx, m.ID, again)
		must(t, err, "UpsertResidents(again)")
		if d := diff([]bool{false, true, false, false}, created); d != "" {
			t.Errorf("UpsertResidents(again) created mismatch (-want +got):\n%s", d)
		}
		for i, j := range []int{2, -1, 0, 1} {
			if j >= 0 && again[i].ID != rs[j].ID {
				t.Errorf("UpsertResidents(again, %s) set ID %d, want %d", again[i].Ref, again[i].ID, rs[j].ID)
			}
		}
		return nil
	})
	must(t, err, "InTx")
	if got := listAllResidents(t, s, m.ID); len(got) != 4 {
		t.Errorf("ListResidents returned %d residents, want 4", len(got))
	}
}

func testListResidentsByRef(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateMunicipality(t, ctx, s, "012033")
	b := MustCreateMunicipality(t, ctx, s, "131016")
	// Created in the reverse of the order of the refs, so that ordering by
	// ref would show.
	r3 := MustUpsertResident(t, ctx, s, a.ID, "A-0003")
	r1 := MustUpsertResident(t, ctx, s, a.ID, "A-0001")
	MustUpsertResident(t, ctx, s, a.ID, "A-0002")
	MustUpsertResident(t, ctx, s, b.ID, "B-0001")
	rb := MustUpsertResident(t, ctx, s, b.ID, "A-0004") // b's ref, unknown to a
	MustUpsertResident(t, ctx, s, b.ID, "A-0001")       // the same ref in b

	for _, tc := range []struct {
		name string
		q    store.Queries
		mid  int64
		refs []string
		want []*kigen.Resident
	}{
		{"Some", s, a.ID, []string{"A-0001", "A-0003"}, []*kigen.Resident{r3, r1}},
		{"UnknownRefsLeftOut", s, a.ID, []string{"A-0009", "A-0001", "a-0003", "A-0004", "B-0001", "A-0003", ""}, []*kigen.Resident{r3, r1}},
		{"RefTwice", s, a.ID, []string{"A-0003", "A-0003"}, []*kigen.Resident{r3}},
		{"None", s, a.ID, nil, nil},
		{"OtherMunicipality", s, b.ID, []string{"A-0004", "A-0003"}, []*kigen.Resident{rb}},
		{"UnknownMunicipality", s, noSuchID, []string{"A-0001"}, nil},
	} {
		got, err := tc.q.ListResidentsByRef(ctx, tc.mid, tc.refs...)
		must(t, err, "ListResidentsByRef("+tc.name+")")
		if d := diff(tc.want, got); d != "" {
			t.Errorf("ListResidentsByRef(%s) mismatch (-want +got):\n%s", tc.name, d)
		}
	}
	must(t, s.InTx(ctx, func(tx store.Tx) error {
		r4 := MustUpsertResident(t, ctx, tx, a.ID, "A-0004")
		got, err := tx.ListResidentsByRef(ctx, a.ID, "A-0004", "A-0001")
		must(t, err, "ListResidentsByRef in a transaction")
		if d := diff([]*kigen.Resident{r1, r4}, got); d != "" {
			t.Errorf("ListResidentsByRef in a transaction mismatch (-want +got):\n%s", d)
		}
		return nil
	}), "InTx")
}

// twoTenants creates the same two residents in two municipalities, for the
// comparisons of singular and plural upserts.
func twoTenants(t *testing.T, s store.Store) (one, many int64, oneResidents, manyResidents []int64) {
	t.Helper()
	ctx := t.Context()
	one = MustCreateMunicipality(t, ctx, s, "012033").ID
	many = MustCreateMunicipality(t, ctx, s, "131016").ID
	for _, ref := range []string{"A-0001", "A-0002"} {
		oneResidents = append(oneResidents, MustUpsertResident(t, ctx, s, one, ref).ID)
		manyResidents = append(manyResidents, MustUpsertResident(t, ctx, s, many, ref).ID)
	}
	return one, many, oneResidents, manyResidents
}

// contactStep is a contact of resident number resident in an upsert step.
type contactStep struct {
	resident int
	c        kigen.Contact
}

func testUpsertContactsMatchesUpsertContact(t *testing.T, s store.Store) {
	ctx := t.Context()
	one, many, oneRs, manyRs := twoTenants(t, s)
	steps := [][]contactStep{
		{
			{0, kigen.Contact{Channel: kigen.Email, Address: "a@example.com", Consent: true, Failed: true}},
			{0, kigen.Contact{Channel: kigen.SMS, Address: "+819012345678", OptedOut: true}},
			{1, kigen.Contact{Channel: kigen.Email, Address: "b@example.com", Consent: true}},
		},
		{
			// A changed address clears Failed, even passed along; OptedOut
			// is stored as given.
			{0, kigen.Contact{Channel: kigen.Email, Address: "new@example.com", Consent: true, OptedOut: true, Failed: true}},
			// An unchanged address stores Failed as given.
			{0, kigen.Contact{Channel: kigen.SMS, Address: "+819012345678", Consent: true, Failed: true}},
			{1, kigen.Contact{Channel: kigen.SMS, Address: "+819087654321", Consent: true}},
			{1, kigen.Contact{Channel: kigen.Email, Address: "b@example.com"}},
		},
		{
			{0, kigen.Contact{Channel: kigen.SMS, Address: "+819012345678", Consent: true}},
			{1, kigen.Contact{Channel: kigen.Email, Address: "b2@example.com", Consent: true, Failed: true}},
		},
	}
	stored := map[contactKey]*kigen.Contact{}
	for i, step := range steps {
		if i > 0 {
			advance(t, s)
		}
		var want, cs []*kigen.Contact
		for _, st := range step {
			c := st.c
			c.ResidentID = oneRs[st.resident]
			must(t, s.UpsertContact(ctx, one, &c), "UpsertContact")
			want = append(want, &c)
			c2 := st.c
			c2.ResidentID = manyRs[st.resident]
			cs = append(cs, &c2)
		}
		must(t, s.UpsertContacts(ctx, many, cs), fmt.Sprintf("UpsertContacts(step %d)", i))
		if d := diff(want, cs, ignoreIdentity); d != "" {
			t.Errorf("step %d: UpsertContacts set other values than UpsertContact (-want +got):\n%s", i, d)
		}
		for _, c := range cs {
			checkStamps(t, "UpsertContacts", c.CreatedAt, c.UpdatedAt)
			k := contactKey{c.ResidentID, c.Channel}
			if prev := stored[k]; prev != nil {
				if c.ID != prev.ID || !c.CreatedAt.Equal(prev.CreatedAt) {
					t.Errorf("step %d: UpsertContacts set ID %d, CreatedAt %v; want the stored %d, %v", i, c.ID, c.CreatedAt, prev.ID, prev.CreatedAt)
				}
				if !c.UpdatedAt.After(prev.UpdatedAt) {
					t.Errorf("step %d: UpsertContacts set UpdatedAt %v, want after %v", i, c.UpdatedAt, prev.UpdatedAt)
				}
			} else if c.ID == 0 {
				t.Errorf("step %d: UpsertContacts did not set ID", i)
			}
			stored[k] = c
		}
		if d := diff(listContacts(t, s, one, oneRs...), listContacts(t, s, many, manyRs...), ignoreIdentity); d != "" {
			t.Errorf("step %d: stored contacts differ from UpsertContact's (-want +got):\n%s", i, d)
		}
	}
	if c := stored[contactKey{manyRs[0], kigen.Email}]; c.Failed || !c.OptedOut {
		t.Errorf("a changed address: Failed %t, OptedOut %t; want false, true", c.Failed, c.OptedOut)
	}
	// What UpsertContacts set is what is stored.
	var want []*kigen.Contact
	for _, c := range stored {
		want = append(want, c)
	}
	sortContacts(want)
	if d := diff(want, listContacts(t, s, many, manyRs...)); d != "" {
		t.Errorf("ListContacts mismatch with what UpsertContacts set (-want +got):\n%s", d)
	}
}

// cardStep is a card of resident number resident in an upsert step.
type cardStep struct {
	resident int
	c        kigen.Card
}

func testUpsertCardsMatchesUpsertCard(t *testing.T, s store.Store) {
	ctx := t.Context()
	one, many, oneRs, manyRs := twoTenants(t, s)
	steps := [][]cardStep{
		{
			{0, kigen.Card{Kind: kigen.ResidenceCard, ExpiresOn: date("2027-06-30"), RenewalAppliedOn: date("2027-05-01"), NextNoticeOn: date("2027-04-01")}},
			{0, kigen.Card{Kind: kigen.MyNumberCard, ExpiresOn: date("2031-01-15")}},
			{1, kigen.Card{Kind: kigen.IntegratedCard, ExpiresOn: date("2028-02-29"), RenewalAppliedOn: date("2028-01-10"), NextNoticeOn: date("2027-12-01")}},
		},
		{
			// A changed expiry clears RenewalAppliedOn, even passed along.
			{0, kigen.Card{Kind: kigen.ResidenceCard, ExpiresOn: date("2030-06-30"), RenewalAppliedOn: date("2027-05-01"), NextNoticeOn: date("2030-04-01")}},
			// NextNoticeOn is stored as given, the zero Date too.
			{0, kigen.Card{Kind: kigen.MyNumberCard, ExpiresOn: date("2031-01-15"), NextNoticeOn: date("2030-10-17")}},
			// An unchanged expiry stores RenewalAppliedOn as given.
			{1, kigen.Card{Kind: kigen.IntegratedCard, ExpiresOn: date("2028-02-29"), RenewalAppliedOn: date("2028-01-20")}},
			{1, kigen.Card{Kind: kigen.MyNumberCert, ExpiresOn: date("2029-03-31"), NextNoticeOn: date("2028-12-31")}},
		},
		{
			{1, kigen.Card{Kind: kigen.IntegratedCard, ExpiresOn: date("2028-02-29")}},
			{0, kigen.Card{Kind: kigen.MyNumberCard, ExpiresOn: date("2031-01-15")}},
		},
	}
	stored := map[cardKey]*kigen.Card{}
	for i, step := range steps {
		if i > 0 {
			advance(t, s)
		}
		var want, cs []*kigen.Card
		for _, st := range step {
			c := st.c
			c.ResidentID = oneRs[st.resident]
			must(t, s.UpsertCard(ctx, one, &c), "UpsertCard")
			want = append(want, &c)
			c2 := st.c
			c2.ResidentID = manyRs[st.resident]
			cs = append(cs, &c2)
		}
		must(t, s.UpsertCards(ctx, many, cs), fmt.Sprintf("UpsertCards(step %d)", i))
		if d := diff(want, cs, ignoreIdentity); d != "" {
			t.Errorf("step %d: UpsertCards set other values than UpsertCard (-want +got):\n%s", i, d)
		}
		for _, c := range cs {
			checkStamps(t, "UpsertCards", c.CreatedAt, c.UpdatedAt)
			k := cardKey{c.ResidentID, c.Kind}
			if prev := stored[k]; prev != nil {
				if c.ID != prev.ID || !c.CreatedAt.Equal(prev.CreatedAt) {
					t.Errorf("step %d: UpsertCards set ID %d, CreatedAt %v; want the stored %d, %v", i, c.ID, c.CreatedAt, prev.ID, prev.CreatedAt)
				}
				if !c.UpdatedAt.After(prev.UpdatedAt) {
					t.Errorf("step %d: UpsertCards set UpdatedAt %v, want after %v", i, c.UpdatedAt, prev.UpdatedAt)
				}
			} else if c.ID == 0 {
				t.Errorf("step %d: UpsertCards did not set ID", i)
			}
			stored[k] = c
		}
		if d := diff(listCards(t, s, one, oneRs...), listCards(t, s, many, manyRs...), ignoreIdentity); d != "" {
			t.Errorf("step %d: stored cards differ from UpsertCard's (-want +got):\n%s", i, d)
		}
	}
	if c := stored[cardKey{manyRs[0], kigen.ResidenceCard}]; !c.RenewalAppliedOn.IsZero() || c.NextNoticeOn != date("2030-04-01") {
		t.Errorf("a changed expiry: RenewalAppliedOn %q, NextNoticeOn %q; want none, 2030-04-01", c.RenewalAppliedOn, c.NextNoticeOn)
	}
	// What UpsertCards set is what is stored.
	var want []*kigen.Card
	for _, c := range stored {
		want = append(want, c)
	}
	sortCards(want)
	if d := diff(want, listCards(t, s, many, manyRs...)); d != "" {
		t.Errorf("ListCards mismatch with what UpsertCards set (-want +got):\n%s", d)
	}
	// The due cards are what NextNoticeOn says.
	due, err := s.ListDueCards(ctx, date("2099-12-31"), 100)
	must(t, err, "ListDueCards")
	for _, d := range due {
		if d.MunicipalityID != many {
			continue
		}
		for _, c := range stored {
			if c.ID == d.CardID && c.NextNoticeOn != d.NextNoticeOn {
				t.Errorf("ListDueCards: card %d due on %s, want %s", c.ID, d.NextNoticeOn, c.NextNoticeOn)
			}
		}
	}
}

// contactKey and cardKey are the conflict keys of contacts and cards.
type (
	contactKey struct {
		residentID int64
		channel    kigen.Channel
	}
	cardKey struct {
		residentID int64
		kind       kigen.CardKind
	}
)

// sortContacts sorts contacts by resident, then channel: the order
// ListContacts gives.
func sortContacts(cs []*kigen.Contact) {
	slices.SortFunc(cs, func(a, b *kigen.Contact) int {
		return cmp.Or(cmp.Compare(a.ResidentID, b.ResidentID), cmp.Compare(a.Channel, b.Channel))
	})
}

// sortCards sorts cards by resident, then kind: the order ListCards gives.
func sortCards(cs []*kigen.Card) {
	slices.SortFunc(cs, func(a, b *kigen.Card) int {
		return cmp.Or(cmp.Compare(a.ResidentID, b.ResidentID), cmp.Compare(a.Kind, b.Kind))
	})
}

// testBulkOtherMunicipality gives the plural upserts of municipality A a
// batch in which one resident is B's (or unknown): ErrNotFound and nothing
// written, on the Store and inside a transaction (which stays usable).
func testBulkOtherMunicipality(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	b := MustCreateTenant(t, ctx, s, "131016")
	aid, ra, rb := a.Municipality.ID, a.Resident, b.Resident
	ra2 := MustUpsertResident(t, ctx, s, aid, "012033-r2")

	writes := []struct {
		name string
		call func(q store.Queries, residentID int64) error
	}{
		{"UpsertContacts", func(q store.Queries, residentID int64) error {
			return q.UpsertContacts(ctx, aid, []*kigen.Contact{
				{ResidentID: ra.ID, Channel: kigen.Email, Address: "changed@example.com", Consent: true},
				{ResidentID: ra2.ID, Channel: kigen.SMS, Address: "+819012345678", Consent: true},
				{ResidentID: residentID, Channel: kigen.SMS, Address: "+819087654321", Consent: true},
			})
		}},
		{"UpsertCards", func(q store.Queries, residentID int64) error {
			return q.UpsertCards(ctx, aid, []*kigen.Card{
				{ResidentID: ra.ID, Kind: kigen.ResidenceCard, ExpiresOn: date("2031-06-30")},
				{ResidentID: ra2.ID, Kind: kigen.MyNumberCard, ExpiresOn: date("2031-06-30")},
				{ResidentID: residentID, Kind: kigen.MyNumberCard, ExpiresOn: date("2031-06-30")},
			})
		}},
	}
	// view is everything the writes could change.
	view := func(q store.Queries) []any {
		rids := []int64{ra.ID, ra2.ID, rb.ID}
		return []any{
			listContacts(t, q, aid, rids...), listCards(t, q, aid, rids...),
			listContacts(t, q, b.Municipality.ID, rids...), listCards(t, q, b.Municipality.ID, rids...),
		}
	}
	before := view(s)
	for _, w := range writes {
		for _, other := range []struct {
			name string
			id   int64
		}{{"ResidentOfAnotherMunicipality", rb.ID}, {"UnknownResident", noSuchID}} {
			op := w.name + "(" + other.name + ")"
			wantErr(t, w.call(s, other.id), store.ErrNotFound, op)
			if d := diff(before, view(s)); d != "" {
				t.Errorf("%s wrote (-before +after):\n%s", op, d)
			}
			err := s.InTx(ctx, func(tx store.Tx) error {
				wantErr(t, w.call(tx, other.id), store.ErrNotFound, op+" in a transaction")
				if d := diff(before, view(tx)); d != "" {
					t.Errorf("%s in a transaction wrote (-before +after):\n%s", op, d)
				}
				// The transaction is still usable.
				MustUpsertContact(t, ctx, tx, aid, ra2.ID, kigen.Email, "r2@example.com")
				return errRollback
			})
			if !errors.Is(err, errRollback) {
				t.Errorf("InTx returned %v, want fn's error", err)
			}
			if d := diff(before, view(s)); d != "" {
				t.Errorf("%s in a rolled-back transaction wrote (-before +after):\n%s", op, d)
			}
		}
	}
	wantErr(t, s.UpsertContacts(ctx, noSuchID, []*kigen.Contact{{ResidentID: ra.ID, Channel: kigen.SMS, Address: "+819012345678"}}),
		store.ErrNotFound, "UpsertContacts(unknown municipality)")
	wantErr(t, s.UpsertCards(ctx, noSuchID, []*kigen.Card{{ResidentID: ra.ID, Kind: kigen.MyNumberCard, ExpiresOn: date("2031-06-30")}}),
		store.ErrNotFound, "UpsertCards(unknown municipality)")
	if d := diff(before, view(s)); d != "" {
		t.Errorf("upserts into an unknown municipality wrote (-before +after):\n%s", d)
	}
}

func testBulkEmpty(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := MustCreateTenant(t, ctx, s, "012033")
	mid := tn.Municipality.ID
	for _, q := range []struct {
		name string
		q    func(fn func(q store.Queries))
	}{
		{"Store", func(fn func(q store.Queries)) { fn(s) }},
		{"Tx", func(fn func(q store.Queries)) {
			must(t, s.InTx(ctx, func(tx store.Tx) error { fn(tx); return nil }), "InTx")
		}},
	} {
		q.q(func(q store.Queries) {
			created, err := q.UpsertResidents(ctx, mid, nil)
			must(t, err, "UpsertResidents(none)")
			if len(created) != 0 {
				t.Errorf("UpsertResidents(none) returned %v", created)
			}
			_, err = q.UpsertResidents(ctx, mid, []*kigen.Resident{})
			must(t, err, "UpsertResidents(empty)")
			must(t, q.UpsertContacts(ctx, mid, nil), "UpsertContacts(none)")
			must(t, q.UpsertContacts(ctx, mid, []*kigen.Contact{}), "UpsertContacts(empty)")
			must(t, q.UpsertCards(ctx, mid, nil), "UpsertCards(none)")
			must(t, q.UpsertCards(ctx, mid, []*kigen.Card{}), "UpsertCards(empty)")
			rs, err := q.ListResidentsByRef(ctx, mid)
			must(t, err, "ListResidentsByRef(none)")
			if len(rs) != 0 {
				t.Errorf("ListResidentsByRef(none) returned %d residents", len(rs))
			}
		})
	}
	checkUntouched(t, ctx, s, tn)
}

// testBulkLarge round-trips a batch larger than a backend may write in one
// statement, in an order that is not the order of IDs.
func testBulkLarge(t *testing.T, s store.Store) {
	const n = 1500
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	other := MustCreateMunicipality(t, ctx, s, "131016")
	MustUpsertResident(t, ctx, s, other.ID, "L-0007")

	batch := func(round int) []*kigen.Resident {
		rs := make([]*kigen.Resident, n)
		for i := range rs {
			// Refs out of order: 0, 1499, 1, 1498, ...
			k := i / 2
			if i%2 == 1 {
				k = n - 1 - i/2
			}
			rs[i] = &kigen.Resident{
				Ref:      fmt.Sprintf("L-%04d", k),
				Name:     fmt.Sprintf("Round %d resident %d", round, k),
				Language: kigen.Languages[(k+round)%len(kigen.Languages)],
				Status:   kigen.FixedPeriod,
				Channel:  kigen.PrefBoth,
			}
		}
		return rs
	}
	refs := func(rs []*kigen.Resident) []string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = r.Ref
		}
		return out
	}
	byID := func(rs []*kigen.Resident) []*kigen.Resident {
		out := slices.Clone(rs)
		slices.SortFunc(out, func(a, b *kigen.Resident) int { return cmp.Compare(a.ID, b.ID) })
		return out
	}
	ids := func(rs []*kigen.Resident) []int64 {
		out := make([]int64, len(rs))
		for i, r := range rs {
			out[i] = r.ID
		}
		return out
	}

	first := batch(0)
	created, err := s.UpsertResidents(ctx, m.ID, first)
	must(t, err, "UpsertResidents")
	if len(created) != n || slices.Contains(created, false) {
		t.Errorf("UpsertResidents of %d new residents reported %d created", n, countTrue(created))
	}
	got, err := s.ListResidentsByRef(ctx, m.ID, refs(first)...)
	must(t, err, "ListResidentsByRef")
	if d := diff(byID(first), got); d != "" {
		t.Fatalf("ListResidentsByRef mismatch with what UpsertResidents set (-want +got):\n%s", d)
	}

	var contacts []*kigen.Contact
	var cards []*kigen.Card
	for i, r := range first {
		contacts = append(contacts,
			&kigen.Contact{ResidentID: r.ID, Channel: kigen.SMS, Address: fmt.Sprintf("+81901234%04d", i), Consent: true},
			&kigen.Contact{ResidentID: r.ID, Channel: kigen.Email, Address: fmt.Sprintf("l%d@example.com", i), Failed: i%3 == 0})
		cards = append(cards, &kigen.Card{
			ResidentID:       r.ID,
			Kind:             kigen.CardKinds[i%len(kigen.CardKinds)],
			ExpiresOn:        date("2027-01-01").AddDays(i),
			RenewalAppliedOn: date("2026-12-01").AddDays(i % 7),
			NextNoticeOn:     date("2026-10-01").AddDays(i),
		})
	}
	must(t, s.UpsertContacts(ctx, m.ID, contacts), "UpsertContacts")
	must(t, s.UpsertCards(ctx, m.ID, cards), "UpsertCards")
	checkBulkContactsCards(t, s, m.ID, ids(first), contacts, cards)

	// Again, in another order, with every row changed.
	advance(t, s)
	second := batch(1)
	slices.Reverse(second)
	created, err = s.UpsertResidents(ctx, m.ID, second)
	must(t, err, "UpsertResidents(again)")
	if len(created) != n || slices.Contains(created, true) {
		t.Errorf("UpsertResidents of %d stored residents reported %d created", n, countTrue(created))
	}
	firstID := map[string]int64{}
	for _, r := range first {
		firstID[r.Ref] = r.ID
	}
	for _, r := range second {
		if r.ID != firstID[r.Ref] {
			t.Fatalf("UpsertResidents(again, %s) set ID %d, want %d", r.Ref, r.ID, firstID[r.Ref])
		}
	}
	got, err = s.ListResidentsByRef(ctx, m.ID, refs(second)...)
	must(t, err, "ListResidentsByRef(again)")
	if d := diff(byID(second), got); d != "" {
		t.Errorf("ListResidentsByRef mismatch with what UpsertResidents set (-want +got):\n%s", d)
	}
	slices.Reverse(contacts)
	for i, c := range contacts {
		c.Address += ".changed"
		c.Failed = i%2 == 0 // cleared: the address changed
	}
	for i, c := range cards {
		if i%2 == 0 {
			c.ExpiresOn = c.ExpiresOn.AddYears(5) // clears RenewalAppliedOn
		}
		c.NextNoticeOn = kigen.Date{}
	}
	must(t, s.UpsertContacts(ctx, m.ID, contacts), "UpsertContacts(again)")
	must(t, s.UpsertCards(ctx, m.ID, cards), "UpsertCards(again)")
	for _, c := range contacts {
		if c.Failed {
			t.Fatalf("UpsertContacts of a changed address returned Failed")
		}
	}
	for i, c := range cards {
		if (i%2 == 0) != c.RenewalAppliedOn.IsZero() {
			t.Fatalf("UpsertCards returned RenewalAppliedOn %q for card %d", c.RenewalAppliedOn, i)
		}
	}
	checkBulkContactsCards(t, s, m.ID, ids(first), contacts, cards)
}

// checkBulkContactsCards fails the test unless the residents' contacts and
// cards are what the plural upserts set.
func checkBulkContactsCards(t *testing.T, s store.Store, municipalityID int64, residentIDs []int64, contacts []*kigen.Contact, cards []*kigen.Card) {
	t.Helper()
	wantContacts := slices.Clone(contacts)
	sortContacts(wantContacts)
	if d := diff(wantContacts, listContacts(t, s, municipalityID, residentIDs...)); d != "" {
		t.Errorf("ListContacts mismatch with what UpsertContacts set (-want +got):\n%s", d)
	}
	wantCards := slices.Clone(cards)
	sortCards(wantCards)
	if d := diff(wantCards, listCards(t, s, municipalityID, residentIDs...)); d != "" {
		t.Errorf("ListCards mismatch with what UpsertCards set (-want +got):\n%s", d)
	}
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// Bulk sizes of BenchmarkUpsertBatch: what `kigen import` writes per batch
// and per file.
const (
	benchBatches   = 100
	benchBatchSize = 1000
)

// BenchmarkUpsertBatch measures the plural upserts as `kigen import` uses
// them: in one transaction on a fresh store (from newStore), 100 batches of
// 1,000 residents, each resident with an email and an SMS contact and three
// cards. It reports rows/s, a row being a resident with its contacts and
// cards.
func BenchmarkUpsertBatch(b *testing.B, newStore func(tb testing.TB) store.Store) {
	ctx := b.Context()
	var elapsed time.Duration
	rows := 0
	for range b.N {
		b.StopTimer()
		s := newStore(b)
		m := MustCreateMunicipality(b, ctx, s, "012033")
		batches := make([][]*kigen.Resident, benchBatches)
		for i := range batches {
			batches[i] = make([]*kigen.Resident, benchBatchSize)
			for j := range batches[i] {
				n := i*benchBatchSize + j
				batches[i][j] = &kigen.Resident{
					Ref:      fmt.Sprintf("R%07d", n),
					Name:     fmt.Sprintf("Resident %d", n),
					Language: kigen.Languages[n%len(kigen.Languages)],
					Status:   kigen.FixedPeriod,
					Channel:  kigen.PrefBoth,
				}
			}
		}
		base := kigen.NewDate(2027, time.January, 1)
		b.StartTimer()

		start := time.Now()
		err := s.InTx(ctx, func(tx store.Tx) error {
			contacts := make([]*kigen.Contact, 0, 2*benchBatchSize)
			cards := make([]*kigen.Card, 0, 3*benchBatchSize)
			for _, rs := range batches {
				if _, err := tx.UpsertResidents(ctx, m.ID, rs); err != nil {
					return err
				}
				contacts, cards = contacts[:0], cards[:0]
				for j, r := range rs {
					exp := base.AddDays(j % 1500)
					contacts = append(contacts,
						&kigen.Contact{ResidentID: r.ID, Channel: kigen.Email, Address: r.Ref + "@example.com", Consent: true},
						&kigen.Contact{ResidentID: r.ID, Channel: kigen.SMS, Address: "+8190" + r.Ref[1:] + "0", Consent: true})
					cards = append(cards,
						&kigen.Card{ResidentID: r.ID, Kind: kigen.ResidenceCard, ExpiresOn: exp, NextNoticeOn: exp.AddDays(-90)},
						&kigen.Card{ResidentID: r.ID, Kind: kigen.MyNumberCard, ExpiresOn: exp.AddYears(3), NextNoticeOn: exp.AddYears(3).AddDays(-90)},
						&kigen.Card{ResidentID: r.ID, Kind: kigen.MyNumberCert, ExpiresOn: exp.AddYears(1)})
				}
				if err := tx.UpsertContacts(ctx, m.ID, contacts); err != nil {
					return err
				}
				if err := tx.UpsertCards(ctx, m.ID, cards); err != nil {
					return err
				}
			}
			return nil
		})
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		rows += benchBatches * benchBatchSize
	}
	b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
}
