package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"kigen"
	"kigen/store"
)

// searchRefs returns the refs of every page of f (page size limit), failing
// on a page longer than the limit.
func searchRefs(t *testing.T, ctx context.Context, s store.Store, f store.ResidentSearch, limit int) []string {
	t.Helper()
	var refs []string
	f.Limit, f.AfterRef = limit, ""
	for range 5000 {
		rows, err := s.SearchResidents(ctx, f)
		must(t, err, "SearchResidents")
		if len(rows) > limit {
			t.Fatalf("page of %d rows, limit %d", len(rows), limit)
		}
		for _, r := range rows {
			refs = append(refs, r.Ref)
		}
		if len(rows) < limit {
			return refs
		}
		f.AfterRef = rows[len(rows)-1].Ref
	}
	t.Fatal("paging does not end")
	return nil
}

// checkSearch checks that f selects want (in ref order) page by page, and
// that CountResidents counts as many.
func checkSearch(t *testing.T, ctx context.Context, s store.Store, name string, f store.ResidentSearch, want ...string) {
	t.Helper()
	slices.Sort(want)
	for _, limit := range []int{1, 2, 100} {
		got := searchRefs(t, ctx, s, f, limit)
		if d := diff(want, got); d != "" && !(len(want) == 0 && len(got) == 0) {
			t.Errorf("%s, pages of %d: refs (-want +got):\n%s", name, limit, d)
		}
	}
	n, err := s.CountResidents(ctx, f)
	must(t, err, "CountResidents")
	if n != len(want) {
		t.Errorf("%s: CountResidents = %d, want %d", name, n, len(want))
	}
}

func testSearchResidents(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := MustCreateMunicipality(t, ctx, s, "011002")
	b := MustCreateMunicipality(t, ctx, s, "012033")
	add := func(mid int64, ref, name string, lang kigen.Language, status kigen.Status) *kigen.Resident {
		r := &kigen.Resident{MunicipalityID: mid, Ref: ref, Name: name, Language: lang, Status: status}
		if _, err := s.UpsertResident(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r1 := add(a.ID, "A-001", "Nguyen Van An", kigen.Vietnamese, kigen.FixedPeriod)
	r2 := add(a.ID, "A-002", "グエン・ヴァン・ビン", kigen.Vietnamese, kigen.FixedPeriod)
	r3 := add(a.ID, "A-010", "Maria 100%_Santos", kigen.English, kigen.Permanent)
	r4 := add(a.ID, "B-001", "MARIA SANTOS", kigen.English, kigen.FixedPeriod)
	r5 := add(a.ID, "A%_1", "Li Wei", kigen.Chinese, kigen.FixedPeriod)
	add(b.ID, "A-001", "Nguyen Van An", kigen.Vietnamese, kigen.FixedPeriod) // B's: never seen from A

	MustUpsertContact(t, ctx, s, a.ID, r1.ID, kigen.Email, "an@example.com")
	MustUpsertContact(t, ctx, s, a.ID, r2.ID, kigen.SMS, "+819012345678")
	MustUpsertContact(t, ctx, s, b.ID, mustRef(t, ctx, s, b.ID, "A-001"), kigen.Email, "an@example.com")
	MustUpsertContact(t, ctx, s, a.ID, r4.ID, kigen.Email, "maria@example.com")
	opted := &kigen.Contact{ResidentID: r4.ID, Channel: kigen.Email, Address: "maria@example.com", Consent: true, OptedOut: true}
	must(t, s.UpsertContact(ctx, a.ID, opted), "UpsertContact")

	today := date("2027-01-10")
	MustUpsertCard(t, ctx, s, a.ID, r1.ID, kigen.ResidenceCard, date("2027-02-01")) // in 22 days
	MustUpsertCard(t, ctx, s, a.ID, r1.ID, kigen.MyNumberCard, date("2026-12-01"))  // gap: M < R
	MustUpsertCard(t, ctx, s, a.ID, r2.ID, kigen.ResidenceCard, date("2027-04-01")) // in 81 days
	MustUpsertCard(t, ctx, s, a.ID, r3.ID, kigen.ResidenceCard, date("2030-01-01"))
	MustUpsertCard(t, ctx, s, a.ID, r3.ID, kigen.MyNumberCard, date("2029-01-01"))  // permanent: no gap
	MustUpsertCard(t, ctx, s, a.ID, r5.ID, kigen.ResidenceCard, date("2027-01-05")) // expired: not expiring

	all := store.ResidentSearch{MunicipalityID: a.ID}
	checkSearch(t, ctx, s, "all", all, "A-001", "A-002", "A-010", "B-001", "A%_1")
	with := func(f func(*store.ResidentSearch)) store.ResidentSearch { g := all; f(&g); return g }
	checkSearch(t, ctx, s, "ref prefix A-0", with(func(f *store.ResidentSearch) { f.RefPrefix = "A-0" }), "A-001", "A-002", "A-010")
	checkSearch(t, ctx, s, "ref prefix A%", with(func(f *store.ResidentSearch) { f.RefPrefix = "A%" }), "A%_1")
	checkSearch(t, ctx, s, "ref prefix a", with(func(f *store.ResidentSearch) { f.RefPrefix = "a" }))
	checkSearch(t, ctx, s, "name maria", with(func(f *store.ResidentSearch) { f.NameContains = "maria" }), "A-010", "B-001")
	checkSearch(t, ctx, s, "name %_", with(func(f *store.ResidentSearch) { f.NameContains = "%_" }), "A-010")
	checkSearch(t, ctx, s, "name _", with(func(f *store.ResidentSearch) { f.NameContains = "_" }), "A-010")
	checkSearch(t, ctx, s, "name kana", with(func(f *store.ResidentSearch) { f.NameContains = "ヴァン" }), "A-002")
	checkSearch(t, ctx, s, "text A-01 (ref)", with(func(f *store.ResidentSearch) { f.Text = "A-01" }), "A-010")
	checkSearch(t, ctx, s, "text san (name)", with(func(f *store.ResidentSearch) { f.Text = "san" }), "A-010", "B-001")
	checkSearch(t, ctx, s, "text a (ref or name)", with(func(f *store.ResidentSearch) { f.Text = "A" }), "A-001", "A-002", "A-010", "B-001", "A%_1")
	checkSearch(t, ctx, s, "email", with(func(f *store.ResidentSearch) { f.Email = "an@example.com" }), "A-001")
	checkSearch(t, ctx, s, "phone", with(func(f *store.ResidentSearch) { f.Phone = "+819012345678" }), "A-002")
	checkSearch(t, ctx, s, "language", with(func(f *store.ResidentSearch) { f.Language = kigen.English }), "A-010", "B-001")
	checkSearch(t, ctx, s, "status", with(func(f *store.ResidentSearch) { f.Status = kigen.Permanent }), "A-010")
	checkSearch(t, ctx, s, "expiring 30", with(func(f *store.ResidentSearch) { f.ExpiresFrom, f.ExpiresTo = today, today.AddDays(30) }), "A-001")
	checkSearch(t, ctx, s, "expiring 90", with(func(f *store.ResidentSearch) { f.ExpiresFrom, f.ExpiresTo = today, today.AddDays(90) }), "A-001", "A-002")
	checkSearch(t, ctx, s, "gap", with(func(f *store.ResidentSearch) { f.GapOpen = true }), "A-001")
	// A-010 and A%_1 have no contact, B-001 opted out of its only one.
	checkSearch(t, ctx, s, "unreachable", with(func(f *store.ResidentSearch) { f.Unreachable = true }), "A-010", "A%_1", "B-001")
	// The flags follow every change: the gap closes with a later My
	// Number card, opens again with an earlier one, closes when the card
	// goes or the status changes; an opted-out resident is reachable with
	// a new consented contact, and not once it goes.
	gap := func(want ...string) {
		t.Helper()
		checkSearch(t, ctx, s, "gap after a change", with(func(f *store.ResidentSearch) { f.GapOpen = true }), want...)
	}
	mc := MustUpsertCard(t, ctx, s, a.ID, r1.ID, kigen.MyNumberCard, date("2028-01-01"))
	gap()
	mc.ExpiresOn = date("2026-12-01")
	must(t, s.UpsertCard(ctx, a.ID, mc), "UpsertCard")
	gap("A-001")
	r1.Status = kigen.Permanent
	_, err := s.UpsertResident(ctx, r1)
	must(t, err, "UpsertResident")
	gap()
	r1.Status = kigen.FixedPeriod
	_, err = s.UpsertResident(ctx, r1)
	must(t, err, "UpsertResident")
	gap("A-001")
	must(t, s.DeleteCard(ctx, a.ID, r1.ID, kigen.MyNumberCard), "DeleteCard")
	gap()
	MustUpsertCard(t, ctx, s, a.ID, r1.ID, kigen.MyNumberCard, date("2026-12-01"))
	gap("A-001")
	unreachable := func(want ...string) {
		t.Helper()
		checkSearch(t, ctx, s, "unreachable after a change", with(func(f *store.ResidentSearch) { f.Unreachable = true }), want...)
	}
	MustUpsertContact(t, ctx, s, a.ID, r4.ID, kigen.SMS, "+819011112222")
	unreachable("A-010", "A%_1", "B-001") // B-001 opted out of email, its default channel
	r4.Channel = kigen.PrefSMS
	_, err = s.UpsertResident(ctx, r4)
	must(t, err, "UpsertResident")
	unreachable("A-010", "A%_1")
	must(t, s.DeleteContact(ctx, a.ID, r4.ID, kigen.SMS), "DeleteContact")
	unreachable("A-010", "A%_1", "B-001")
	n, err := s.SetSMSOptOut(ctx, "+819012345678", true)
	must(t, err, "SetSMSOptOut")
	if len(n) != 1 {
		t.Fatalf("SetSMSOptOut: %v", n)
	}
	unreachable("A-002", "A-010", "A%_1", "B-001")
	must(t, s.DeleteResident(ctx, a.ID, r5.ID), "DeleteResident")
	unreachable("A-002", "A-010", "B-001")
	checkSearch(t, ctx, s, "combined", with(func(f *store.ResidentSearch) { f.RefPrefix, f.Language = "A", kigen.Vietnamese }), "A-001", "A-002")

	rows, err := s.SearchResidents(ctx, store.ResidentSearch{MunicipalityID: a.ID, RefPrefix: "A-001", Limit: 10})
	must(t, err, "SearchResidents")
	want := []store.ResidentRow{{ID: r1.ID, Ref: "A-001", Name: "Nguyen Van An", Language: kigen.Vietnamese, Status: kigen.FixedPeriod,
		SoonestExpiry: date("2026-12-01"), GapOpen: true}}
	if d := diff(want, rows); d != "" {
		t.Errorf("row (-want +got):\n%s", d)
	}
	rows, err = s.SearchResidents(ctx, store.ResidentSearch{MunicipalityID: a.ID, RefPrefix: "B", Limit: 10})
	must(t, err, "SearchResidents")
	if len(rows) != 1 || !rows[0].Unreachable || !rows[0].SoonestExpiry.IsZero() {
		t.Errorf("B-001: %+v, want unreachable without expiry", rows)
	}
}

func mustRef(t *testing.T, ctx context.Context, s store.Store, mid int64, ref string) int64 {
	t.Helper()
	r, err := s.GetResidentByRef(ctx, mid, ref)
	must(t, err, "GetResidentByRef")
	return r.ID
}

// testSearchResidentsUnreachable checks the unreachable flag against
// kigen.SendChannels on every combination of preference and contact
// states.
func testSearchResidentsUnreachable(t *testing.T, s store.Store) {
	ctx := context.Background()
	mu := MustCreateMunicipality(t, ctx, s, "011002")
	type cstate struct{ present, address, consent, optedOut, failed bool }
	var states []cstate
	for i := range 32 {
		st := cstate{i&1 != 0, i&2 != 0, i&4 != 0, i&8 != 0, i&16 != 0}
		if st.present || i == 0 {
			if !st.present {
				st = cstate{}
			}
			states = append(states, st)
		}
	}
	want := map[string]bool{}
	n := 0
	for _, pref := range []kigen.ChannelPref{kigen.PrefDefault, kigen.PrefEmail, kigen.PrefSMS, kigen.PrefBoth} {
		for _, e := range states {
			for _, p := range states {
				n++
				ref := fmt.Sprintf("R%04d", n)
				r := &kigen.Resident{MunicipalityID: mu.ID, Ref: ref, Language: kigen.English, Status: kigen.FixedPeriod, Channel: pref}
				_, err := s.UpsertResident(ctx, r)
				must(t, err, "UpsertResident")
				var cs []kigen.Contact
				for _, x := range []struct {
					ch  kigen.Channel
					st  cstate
					adr string
				}{{kigen.Email, e, "r@example.com"}, {kigen.SMS, p, "+819012345678"}} {
					if !x.st.present {
						continue
					}
					c := kigen.Contact{ResidentID: r.ID, Channel: x.ch, Consent: x.st.consent, OptedOut: x.st.optedOut, Failed: x.st.failed}
					if x.st.address {
						c.Address = x.adr
					}
					must(t, s.UpsertContact(ctx, mu.ID, &c), "UpsertContact")
					if c.Failed != x.st.failed { // a new address clears failed: set it again
						c.Failed = x.st.failed
						must(t, s.UpsertContact(ctx, mu.ID, &c), "UpsertContact")
					}
					cs = append(cs, c)
				}
				want[ref] = len(kigen.SendChannels(pref, cs)) == 0
			}
		}
	}
	got := map[string]bool{}
	f := store.ResidentSearch{MunicipalityID: mu.ID, Limit: 100}
	for {
		rows, err := s.SearchResidents(ctx, f)
		must(t, err, "SearchResidents")
		for _, r := range rows {
			got[r.Ref] = r.Unreachable
		}
		if len(rows) < f.Limit {
			break
		}
		f.AfterRef = rows[len(rows)-1].Ref
	}
	if d := diff(want, got); d != "" {
		t.Errorf("unreachable (-kigen.SendChannels +store):\n%s", d)
	}
	// Every resident's preference changes: the flag follows.
	prefs := []kigen.ChannelPref{kigen.PrefDefault, kigen.PrefEmail, kigen.PrefSMS, kigen.PrefBoth}
	for ref := range want {
		r, err := s.GetResidentByRef(ctx, mu.ID, ref)
		must(t, err, "GetResidentByRef")
		r.Channel = prefs[(slices.Index(prefs, r.Channel)+1)%len(prefs)]
		_, err = s.UpsertResident(ctx, r)
		must(t, err, "UpsertResident")
		cs, err := s.ListContacts(ctx, mu.ID, r.ID)
		must(t, err, "ListContacts")
		values := make([]kigen.Contact, len(cs))
		for i, c := range cs {
			values[i] = *c
		}
		want[ref] = len(kigen.SendChannels(r.Channel, values)) == 0
	}
	got = map[string]bool{}
	f.AfterRef = ""
	for {
		rows, err := s.SearchResidents(ctx, f)
		must(t, err, "SearchResidents")
		for _, r := range rows {
			got[r.Ref] = r.Unreachable
		}
		if len(rows) < f.Limit {
			break
		}
		f.AfterRef = rows[len(rows)-1].Ref
	}
	if d := diff(want, got); d != "" {
		t.Errorf("unreachable after the preferences changed (-kigen.SendChannels +store):\n%s", d)
	}
	var unreachable []string
	for ref, u := range want {
		if u {
			unreachable = append(unreachable, ref)
		}
	}
	checkSearch(t, ctx, s, "unreachable", store.ResidentSearch{MunicipalityID: mu.ID, Unreachable: true}, unreachable...)
}

func testCountSentFailedMessages(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := MustCreateTenant(t, ctx, s, "011002")
	b := MustCreateTenant(t, ctx, s, "012033")
	day := date("2027-01-10")
	set := func(mid, rid int64, tick kigen.Date, st kigen.MessageState) {
		m := MustCreateMessage(t, ctx, s, mid, rid, kigen.Email, tick)
		must(t, s.SetMessageState(ctx, m.ID, st), "SetMessageState")
	}
	set(a.Municipality.ID, a.Resident.ID, day, kigen.MessageSent)
	set(a.Municipality.ID, a.Resident.ID, day, kigen.MessageSent)
	set(a.Municipality.ID, a.Resident.ID, day.AddDays(-1), kigen.MessageSent)
	set(a.Municipality.ID, a.Resident.ID, day, kigen.MessagePlanned)
	set(a.Municipality.ID, a.Resident.ID, day, kigen.MessageFailed)
	set(b.Municipality.ID, b.Resident.ID, day, kigen.MessageSent)
	set(b.Municipality.ID, b.Resident.ID, day, kigen.MessageFailed)
	n, err := s.CountSentMessages(ctx, a.Municipality.ID, day)
	must(t, err, "CountSentMessages")
	if n != 2 {
		t.Errorf("CountSentMessages = %d, want 2", n)
	}
	for _, c := range []struct {
		since time.Time
		want  int
	}{{clockStart.Add(-24 * time.Hour), 1}, {clockStart.Add(24 * time.Hour), 0}} {
		n, err = s.CountFailedMessages(ctx, a.Municipality.ID, c.since)
		must(t, err, "CountFailedMessages")
		if n != c.want {
			t.Errorf("CountFailedMessages(since %s) = %d, want %d", c.since, n, c.want)
		}
	}
}

// testResidentFlagsBulk checks that the counts of unreachable residents
// and of gaps open follow the import's writes (the plural upserts, in a
// transaction as the import runs them), a failed address, and an erasure.
func testResidentFlagsBulk(t *testing.T, s store.Store) {
	ctx := context.Background()
	mu := MustCreateMunicipality(t, ctx, s, "011002")
	other := MustCreateMunicipality(t, ctx, s, "012033")
	count := func(name string, f store.ResidentSearch, want int) {
		t.Helper()
		f.MunicipalityID = mu.ID
		n, err := s.CountResidents(ctx, f)
		must(t, err, "CountResidents")
		if n != want {
			t.Errorf("%s: CountResidents = %d, want %d", name, n, want)
		}
	}
	counts := func(step string, unreachable, gaps int) {
		t.Helper()
		count(step+": unreachable", store.ResidentSearch{Unreachable: true}, unreachable)
		count(step+": gaps open", store.ResidentSearch{GapOpen: true}, gaps)
	}
	// An import of three: R1 reachable by email with a gap, R2 reachable
	// by SMS, R3 with no contact (unreachable) and no gap (permanent).
	imp := func(rs []*kigen.Resident, cs []*kigen.Contact, cards []*kigen.Card) {
		t.Helper()
		must(t, s.InTx(ctx, func(tx store.Tx) error {
			if _, err := tx.UpsertResidents(ctx, mu.ID, rs); err != nil {
				return err
			}
			for _, c := range cs {
				c.ResidentID = rs[c.ID].ID // the index of its resident
				c.ID = 0
			}
			for _, c := range cards {
				c.ResidentID = rs[c.ID].ID
				c.ID = 0
			}
			if err := tx.UpsertContacts(ctx, mu.ID, cs); err != nil {
				return err
			}
			return tx.UpsertCards(ctx, mu.ID, cards)
		}), "import")
	}
	residents := func(statuses ...kigen.Status) []*kigen.Resident {
		rs := make([]*kigen.Resident, len(statuses))
		for i, st := range statuses {
			rs[i] = &kigen.Resident{MunicipalityID: mu.ID, Ref: fmt.Sprintf("R%d", i+1), Language: kigen.English, Status: st}
		}
		return rs
	}
	imp(residents(kigen.FixedPeriod, kigen.FixedPeriod, kigen.Permanent),
		[]*kigen.Contact{{ID: 0, Channel: kigen.Email, Address: "r1@example.com", Consent: true},
			{ID: 1, Channel: kigen.SMS, Address: "+819012345678", Consent: true}},
		[]*kigen.Card{{ID: 0, Kind: kigen.ResidenceCard, ExpiresOn: date("2030-01-01")}, {ID: 0, Kind: kigen.MyNumberCard, ExpiresOn: date("2028-01-01")},
			{ID: 1, Kind: kigen.ResidenceCard, ExpiresOn: date("2030-01-01")}, {ID: 1, Kind: kigen.MyNumberCard, ExpiresOn: date("2031-01-01")},
			{ID: 2, Kind: kigen.ResidenceCard, ExpiresOn: date("2030-01-01")}, {ID: 2, Kind: kigen.MyNumberCard, ExpiresOn: date("2028-01-01")}})
	counts("first import", 1, 1)
	// The same residents imported again from a file that changed: R1's
	// My Number card renewed (the gap closes), R2's without consent now
	// (unreachable), R3 now fixed-period (its card behind: a gap) and
	// with an email address.
	imp(residents(kigen.FixedPeriod, kigen.FixedPeriod, kigen.FixedPeriod),
		[]*kigen.Contact{{ID: 0, Channel: kigen.Email, Address: "r1@example.com", Consent: true},
			{ID: 1, Channel: kigen.SMS, Address: "+819012345678"},
			{ID: 2, Channel: kigen.Email, Address: "r3@example.com", Consent: true}},
		[]*kigen.Card{{ID: 0, Kind: kigen.MyNumberCard, ExpiresOn: date("2030-01-01")}})
	counts("second import", 1, 1)
	checkSearch(t, ctx, s, "second import: unreachable", store.ResidentSearch{MunicipalityID: mu.ID, Unreachable: true}, "R2")
	checkSearch(t, ctx, s, "second import: gap", store.ResidentSearch{MunicipalityID: mu.ID, GapOpen: true}, "R3")
	// A failed address (a bounce) makes R1 unreachable; a new address
	// clears it.
	r1 := mustRef(t, ctx, s, mu.ID, "R1")
	c := &kigen.Contact{ResidentID: r1, Channel: kigen.Email, Address: "r1@example.com", Consent: true, Failed: true}
	must(t, s.UpsertContact(ctx, mu.ID, c), "UpsertContact")
	counts("failed address", 2, 1)
	c.Address, c.Failed = "r1.new@example.com", false
	must(t, s.UpsertContact(ctx, mu.ID, c), "UpsertContact")
	counts("new address", 1, 1)
	// A resident registered at the counter has no contact yet: unreachable.
	r4 := &kigen.Resident{MunicipalityID: mu.ID, Ref: "R4", Language: kigen.English, Status: kigen.FixedPeriod}
	_, err := s.UpsertResident(ctx, r4)
	must(t, err, "UpsertResident")
	counts("registered", 2, 1)
	// Writes refused (another municipality's resident) change nothing.
	if err := s.UpsertContacts(ctx, other.ID, []*kigen.Contact{{ResidentID: r4.ID, Channel: kigen.Email, Address: "x@example.com", Consent: true}}); err == nil {
		t.Error("UpsertContacts of another municipality's resident: no error")
	}
	counts("refused", 2, 1)
	// Erased: gone from the counts.
	must(t, s.DeleteResident(ctx, mu.ID, mustRef(t, ctx, s, mu.ID, "R3")), "DeleteResident")
	must(t, s.DeleteResident(ctx, mu.ID, r4.ID), "DeleteResident")
	counts("erased", 1, 0)
}
