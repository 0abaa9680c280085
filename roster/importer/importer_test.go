package importer_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"kigen"
	"kigen/internal/storetesting"
	"kigen/roster"
	"kigen/roster/importer"
	"kigen/store"
	"kigen/store/storetest"
)

var today = kigen.MustParseISODate("2026-11-25")

// backends runs f on a fresh SQLite store and a fresh PostgreSQL store.
func backends(t *testing.T, f func(t *testing.T, s store.Store)) { storetesting.Each(t, f) }

// importCSV imports text into the municipality.
func importCSV(t *testing.T, s store.Store, mid int64, text string, opt importer.Options) (importer.Summary, error) {
	t.Helper()
	r, err := roster.NewReader(strings.NewReader(text), roster.Options{Today: today})
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	opt.MunicipalityID, opt.Today = mid, today
	return importer.Import(t.Context(), s, r, opt)
}

func mustImport(t *testing.T, s store.Store, mid int64, text string) importer.Summary {
	t.Helper()
	sum, err := importCSV(t, s, mid, text, importer.Options{})
	if err != nil {
		t.Fatalf("Import: %v", describe(err))
	}
	return sum
}

func describe(err error) string {
	var re *importer.RefusedError
	if errors.As(err, &re) {
		var lines []string
		for _, r := range re.Rows {
			lines = append(lines, r.Error())
		}
		return err.Error() + ":\n" + strings.Join(lines, "\n")
	}
	return err.Error()
}

// holding loads a resident by ref.
func holding(t *testing.T, s store.Store, mid int64, ref string) *store.Holding {
	t.Helper()
	r, err := s.GetResidentByRef(t.Context(), mid, ref)
	if err != nil {
		t.Fatalf("GetResidentByRef(%s): %v", ref, err)
	}
	hs, err := store.HoldingsOf(t.Context(), s, mid, []*kigen.Resident{r})
	if err != nil {
		t.Fatal(err)
	}
	return hs[0]
}

const header = "resident_ref,name,language,email,phone,residence_status,residence_card_expires_on,mynumber_card_expires_on,mynumber_cert_expires_on,consent,channel\n"

const first = header +
	"A-1,Nguyen Van A,vi,a@example.jp,,技術・人文知識・国際業務,2030-03-31,2027-03-31,2027-01-15,yes,\n" +
	"A-2,Maria Silva,Português,,090-1234-5678,定住者,令和9年3月31日,R9.3.31,,yes,sms\n" +
	"A-3,Kim,한국어,kim@example.jp,,永住者,2031-06-30,2030-01-10,,no,\n"

func TestImport(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		mu := storetest.MustCreateMunicipality(t, ctx, s, "012033")

		sum := mustImport(t, s, mu.ID, first)
		want := importer.Summary{Rows: 3, Created: 3, GapsOpen: 1, NoContact: 1}
		if d := cmp.Diff(want, sum, cmpopts.IgnoreFields(importer.Summary{}, "Warnings")); d != "" {
			t.Errorf("first import summary (-want +got):\n%s", d)
		}

		// The gap of A-1 is due today; A-2's cards on 2026-12-31 (d90);
		// A-3 gave no consent: nothing planned.
		a1 := holding(t, s, mu.ID, "A-1")
		if got := a1.Card(kigen.MyNumberCard).NextNoticeOn; got != today {
			t.Errorf("A-1 My Number card next %s, want today (renewal gap)", got)
		}
		if got := a1.Card(kigen.ResidenceCard).NextNoticeOn; got != kigen.MustParseISODate("2029-12-31") {
			t.Errorf("A-1 residence card next %s, want 2029-12-31", got)
		}
		if c := a1.Contact(kigen.Email); c == nil || !c.Consent || c.Address != "a@example.jp" {
			t.Errorf("A-1 email contact %+v", c)
		}
		a2 := holding(t, s, mu.ID, "A-2")
		if a2.Resident.Language != kigen.Portuguese || a2.Resident.Channel != kigen.PrefSMS || a2.Contact(kigen.SMS).Address != "+819012345678" {
			t.Errorf("A-2 = %+v, contacts %+v", a2.Resident, a2.Contacts)
		}
		if got := a2.Card(kigen.ResidenceCard).ExpiresOn; got != kigen.MustParseISODate("2027-03-31") {
			t.Errorf("A-2 era date read as %s", got)
		}
		if a3 := holding(t, s, mu.ID, "A-3"); a3.Resident.Status != kigen.Permanent || !a3.Card(kigen.MyNumberCard).NextNoticeOn.IsZero() {
			t.Errorf("A-3 = %+v, cards %+v: want permanent, nothing planned", a3.Resident, a3.Cards)
		}

		// The same file again: nothing changes, nothing is written.
		before := a1.Resident.UpdatedAt
		sum = mustImport(t, s, mu.ID, first)
		if sum.Unchanged != 3 || sum.Created+sum.Updated != 0 {
			t.Errorf("re-import: %+v, want 3 unchanged", sum)
		}
		if got := holding(t, s, mu.ID, "A-1").Resident.UpdatedAt; !got.Equal(before) {
			t.Errorf("re-import rewrote A-1 (updated_at %v → %v)", before, got)
		}

		// A-2 renewed at immigration: new residence card, My Number card
		// left behind → a renewal and a gap.
		renewed := strings.Replace(first, "令和9年3月31日", "2030-03-31", 1)
		sum = mustImport(t, s, mu.ID, renewed)
		if sum.Updated != 1 || sum.Unchanged != 2 || sum.Renewals != 1 || sum.GapsOpen != 1 {
			t.Errorf("renewal import: %+v, want 1 updated, 1 renewal, 1 gap opened", sum)
		}
		a2 = holding(t, s, mu.ID, "A-2")
		if got := a2.Card(kigen.MyNumberCard).NextNoticeOn; got != today {
			t.Errorf("after renewal: A-2 My Number card next %s, want today (gap)", got)
		}
		if got := a2.Card(kigen.ResidenceCard).NextNoticeOn; got != kigen.MustParseISODate("2029-12-31") {
			t.Errorf("after renewal: A-2 residence card next %s, want the new date's d90", got)
		}
	})
}

// TestImport_Warnings checks the warnings an import gives: each once, on
// its row, whether the row alone shows it (a certificate after its card on
// the same row) or only the row merged with what is stored does.
func TestImport_Warnings(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		mu := storetest.MustCreateMunicipality(t, ctx, s, "012033")
		mustImport(t, s, mu.ID, "resident_ref,language,mynumber_card_expires_on\nB-2,en,2029-03-31\n")

		sum := mustImport(t, s, mu.ID, "resident_ref,language,mynumber_card_expires_on,mynumber_cert_expires_on\n"+
			"B-1,en,2029-03-31,2030-01-15\n"+ // both on the row
			"B-3,en,2029-03-31,2029-03-31\n") // the same day: no warning
		sum2 := mustImport(t, s, mu.ID, "resident_ref,language,mynumber_cert_expires_on\n"+
			"B-2,en,2030-01-15\n") // the card is stored, the certificate on the row
		var got []string
		for _, w := range append(sum.Warnings, sum2.Warnings...) {
			got = append(got, w.Error())
		}
		want := []string{
			"row 2: mynumber_cert_expires_on: 2030-01-15 is after the card's expiry 2029-03-31 (a certificate never outlives its card)",
			"row 2: mynumber_cert_expires_on: 2030-01-15 is after the card's expiry 2029-03-31 (a certificate never outlives its card)",
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("warnings (-want +got):\n%s", d)
		}
	})
}

func TestImport_AbsentColumnKeepsBlankCellClears(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		mu := storetest.MustCreateMunicipality(t, ctx, s, "012033")
		mustImport(t, s, mu.ID, first)

		// No email, consent or card columns: only the name changes.
		sum := mustImport(t, s, mu.ID, "resident_ref,language,name\nA-1,vi,Nguyen Van B\n")
		if sum.Updated != 1 {
			t.Errorf("summary %+v, want 1 updated", sum)
		}
		h := holding(t, s, mu.ID, "A-1")
		if h.Resident.Name != "Nguyen Van B" || h.Contact(kigen.Email) == nil || !h.Contact(kigen.Email).Consent || len(h.Cards) != 3 {
			t.Errorf("after a partial file: %+v, %d contacts, %d cards; want name changed, rest kept", h.Resident, len(h.Contacts), len(h.Cards))
		}

		// Blank cells clear: the certificate and the email go; without a
		// contact, consent=yes is refused, so consent goes to no as well.
		mustImport(t, s, mu.ID, "resident_ref,language,email,mynumber_cert_expires_on,consent\nA-1,vi,,,no\n")
		h = holding(t, s, mu.ID, "A-1")
		if h.Contact(kigen.Email) != nil || h.Card(kigen.MyNumberCert) != nil || len(h.Cards) != 2 {
			t.Errorf("after blank cells: contacts %+v, cards %d; want no email, no certificate", h.Contacts, len(h.Cards))
		}
		if got := h.Card(kigen.MyNumberCard).NextNoticeOn; !got.IsZero() {
			t.Errorf("unreachable resident's card next %s, want none", got)
		}
	})
}

func TestImport_OptOutWinsOverStaff(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		mu := storetest.MustCreateMunicipality(t, ctx, s, "012033")
		mustImport(t, s, mu.ID, first)
		// The resident unsubscribes (as the one-click link will do).
		h := holding(t, s, mu.ID, "A-1")
		c := h.Contact(kigen.Email)
		c.OptedOut = true
		if err := s.UpsertContact(ctx, mu.ID, c); err != nil {
			t.Fatal(err)
		}
		// Staff re-import the list with consent=yes and a new address.
		mustImport(t, s, mu.ID, strings.Replace(first, "a@example.jp", "a2@example.jp", 1))
		h = holding(t, s, mu.ID, "A-1")
		if c := h.Contact(kigen.Email); c.Address != "a2@example.jp" || !c.OptedOut {
			t.Errorf("email contact %+v: want the new address still opted out", c)
		}
		if h.Holder().Reachable {
			t.Error("resident reachable again after a staff import")
		}
	})
}

func TestImport_RefusedWritesNothing(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		mu := storetest.MustCreateMunicipality(t, ctx, s, "012033")
		mustImport(t, s, mu.ID, first)
		tests := []struct {
			name string
			csv  string
			want []string
		}{
			{name: "integrated card next to a stored residence card",
				csv: "resident_ref,language,integrated_card_expires_on\nA-1,vi,2031-01-31\nNEW-1,en,2031-01-31\n",
				want: []string{
					"row 2: integrated_card_expires_on: a resident holds a residence card or an integrated card, not both",
					"row 2: integrated_card_expires_on: the integrated card is the My Number card: leave mynumber_card_expires_on blank",
				}},
			{name: "channel sms without a phone, merged",
				csv:  "resident_ref,language,channel\nA-1,vi,sms\n",
				want: []string{"row 2: channel: sms needs a phone number"}},
			{name: "special permanent with a stored residence card",
				csv:  "resident_ref,language,residence_status\nA-1,vi,特別永住者\n",
				want: []string{"row 2: residence_card_expires_on: a special permanent resident has no residence card (the 特別永住者証明書 is not watched): leave it blank"}},
			{name: "problems of rows and of merged residents, and a syntax error, in row order",
				csv: "resident_ref,language,channel,mynumber_card_expires_on\nA-1,vi,sms,\nNEW-2,en,,2027-02-30\nNEW-3,en,,\"2027\"x\n",
				want: []string{
					"row 2: channel: sms needs a phone number",
					`row 3: mynumber_card_expires_on: "2027-02-30" is not a date`,
					`row 4: a quoted cell is not closed, or has text after its closing " (line 4 of the file)`,
				}},
			{name: "bad rows anywhere in a long file",
				csv:  header + manyRows(2500, 1300, 2400),
				want: []string{"row 1300: mynumber_card_expires_on: \"2027-02-30\" is not a date", "row 2400: mynumber_card_expires_on: \"2027-02-30\" is not a date"}},
		}
		for _, tt := range tests {
			_, err := importCSV(t, s, mu.ID, tt.csv, importer.Options{BatchSize: 1000})
			var re *importer.RefusedError
			if !errors.As(err, &re) {
				t.Errorf("%s: err = %v, want refused", tt.name, err)
				continue
			}
			var got []string
			for _, r := range re.Rows {
				got = append(got, r.Error())
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("%s: row errors (-want +got):\n%s", tt.name, d)
			}
		}
		rs, err := s.ListResidents(ctx, store.ResidentFilter{MunicipalityID: mu.ID})
		if err != nil || len(rs) != 3 {
			t.Errorf("after refused imports: %d residents (%v), want the 3 of the first import", len(rs), err)
		}
		if h := holding(t, s, mu.ID, "A-1"); h.Card(kigen.IntegratedCard) != nil || h.Resident.Channel != kigen.PrefDefault {
			t.Errorf("a refused import changed A-1: %+v", h.Resident)
		}
	})
}

// manyRows returns n valid rows R-1…R-n, with an impossible date on the
// given rows (counted as a spreadsheet does: the header is row 1).
func manyRows(n int, badRows ...int) string {
	bad := map[int]bool{}
	for _, r := range badRows {
		bad[r] = true
	}
	var b strings.Builder
	for i := 1; i <= n; i++ {
		mn := "2028-05-31"
		if bad[i+1] {
			mn = "2027-02-30"
		}
		b.WriteString("R-" + strconv.Itoa(i) + ",,en,r" + strconv.Itoa(i) + "@example.jp,,,2028-05-31," + mn + ",,yes,\n")
	}
	return b.String()
}

// TestImport_Landline: a landline is refused where SMS would go to it —
// the resident would show as reached by SMS and get nothing — whether the
// number or the channel is in the file or stored; elsewhere it is a
// warning.
func TestImport_Landline(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		mu := storetest.MustCreateMunicipality(t, t.Context(), s, "012033")
		sum := mustImport(t, s, mu.ID, "resident_ref,language,email,phone,consent,channel\n"+
			"L-1,en,l1@example.jp,03-1234-5678,yes,\n"+ // email by default: a warning
			"L-2,en,,0134-32-4111,no,\n"+ // no consent: listed for staff
			"M-1,en,,090-1234-5678,yes,sms\n")
		if len(sum.Warnings) != 2 || sum.Warnings[0].Error() != "row 2: phone: is not a mobile number: SMS cannot reach it" {
			t.Errorf("warnings %v, want the two landlines", sum.Warnings)
		}
		const landline = "phone: is a landline, not a mobile number: SMS cannot reach it"
		for _, tt := range []struct{ name, csv, want string }{
			{"sms", "resident_ref,language,phone,consent,channel\nN-1,en,03-1234-5678,yes,sms\n",
				"row 2: " + landline + ", and the channel is sms (give a mobile number, or choose email)"},
			{"both", "resident_ref,language,email,phone,consent,channel\nN-1,en,n@example.jp,03-1234-5678,yes,both\n",
				"row 2: " + landline + ", and the channel is both (give a mobile number, or choose email)"},
			{"by default without email", "resident_ref,language,phone,consent\nN-1,en,0134-32-4111,はい\n",
				"row 2: " + landline + ", and without an email address SMS is the channel (give a mobile number or an email address)"},
			{"stored landline, sms in the file", "resident_ref,language,channel\nL-1,en,sms\n",
				"row 2: " + landline + ", and the channel is sms (give a mobile number, or choose email)"},
			{"stored landline, consent in the file", "resident_ref,language,consent\nL-2,en,yes\n",
				"row 2: " + landline + ", and without an email address SMS is the channel (give a mobile number or an email address)"},
			{"stored sms, a landline in the file", "resident_ref,language,phone\nM-1,en,03-1234-5678\n",
				"row 2: " + landline + ", and the channel is sms (give a mobile number, or choose email)"},
		} {
			_, err := importCSV(t, s, mu.ID, tt.csv, importer.Options{})
			var re *importer.RefusedError
			if !errors.As(err, &re) || len(re.Rows) != 1 || re.Rows[0].Error() != tt.want {
				t.Errorf("%s: %v %+v, want refused: %s", tt.name, err, re, tt.want)
			}
		}
	})
}

// TestImport_ListsTheFirstProblems imports files with more bad rows, and
// more warnings, than an import lists: the first MaxListed are kept, in
// row order, and the rest counted, so that memory stays flat however many
// rows are bad.
func TestImport_ListsTheFirstProblems(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		mu := storetest.MustCreateMunicipality(t, t.Context(), s, "012033")
		const n = importer.MaxListed + 234
		bad := make([]int, n)
		for i := range bad {
			bad[i] = i + 2
		}
		_, err := importCSV(t, s, mu.ID, header+manyRows(n, bad...), importer.Options{BatchSize: 300})
		var re *importer.RefusedError
		if !errors.As(err, &re) || re.Total != n || len(re.Rows) != importer.MaxListed ||
			re.Rows[0].Row != 2 || re.Rows[importer.MaxListed-1].Row != importer.MaxListed+1 {
			t.Fatalf("refused %v: want the first %d of %d problems listed", err, importer.MaxListed, n)
		}
		if got := err.Error(); got != "1234 problems in the file: nothing was imported" {
			t.Errorf("Error() = %q", got)
		}

		var b strings.Builder
		b.WriteString("resident_ref,language,mynumber_card_expires_on\n")
		for i := range n {
			b.WriteString("P-" + strconv.Itoa(i) + ",en,2026-01-31\n") // already passed: a warning
		}
		sum, err := importCSV(t, s, mu.ID, b.String(), importer.Options{BatchSize: 300})
		if err != nil || sum.Created != n || sum.WarningsTotal != n || len(sum.Warnings) != importer.MaxListed ||
			sum.Warnings[importer.MaxListed-1].Row != importer.MaxListed+1 {
			t.Errorf("warnings: %d listed of %d (%v), want the first %d of %d", len(sum.Warnings), sum.WarningsTotal, err, importer.MaxListed, n)
		}
	})
}

func TestImport_CancelledWritesNothing(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		mu := storetest.MustCreateMunicipality(t, ctx, s, "012033")
		r, err := roster.NewReader(strings.NewReader(header+manyRows(3000)), roster.Options{Today: today})
		if err != nil {
			t.Fatal(err)
		}
		batches := 0
		_, err = importer.Import(ctx, s, r, importer.Options{MunicipalityID: mu.ID, Today: today, BatchSize: 500,
			Progress: func(int) {
				if batches++; batches == 2 {
					cancel() // Ctrl-C after two batches were written
				}
			}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Import = %v, want context.Canceled", err)
		}
		rs, err := s.ListResidents(t.Context(), store.ResidentFilter{MunicipalityID: mu.ID})
		if err != nil || len(rs) != 0 {
			t.Errorf("after a cancelled import: %d residents (%v), want none", len(rs), err)
		}
	})
}

func TestImport_DryRun(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		mu := storetest.MustCreateMunicipality(t, ctx, s, "012033")
		sum, err := importCSV(t, s, mu.ID, first, importer.Options{DryRun: true})
		if err != nil || sum.Created != 3 || !sum.DryRun {
			t.Fatalf("dry run: %+v, %v; want 3 would be created", sum, err)
		}
		rs, _ := s.ListResidents(ctx, store.ResidentFilter{MunicipalityID: mu.ID})
		if len(rs) != 0 {
			t.Errorf("dry run wrote %d residents", len(rs))
		}
	})
}

func TestImport_TenantIsolation(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		a := storetest.MustCreateMunicipality(t, ctx, s, "011002")
		b := storetest.MustCreateMunicipality(t, ctx, s, "012033")
		mustImport(t, s, a.ID, first)
		sum := mustImport(t, s, b.ID, first)
		if sum.Created != 3 {
			t.Errorf("the same refs in another municipality: %+v, want 3 created", sum)
		}
		mustImport(t, s, b.ID, "resident_ref,language,name\nA-1,vi,Other Person\n")
		if h := holding(t, s, a.ID, "A-1"); h.Resident.Name != "Nguyen Van A" {
			t.Errorf("an import into B changed A's resident: %q", h.Resident.Name)
		}
	})
}

// TestCheckNew: CheckNew says of new residents exactly what an import
// into a store without them says (problems, warnings, counts), and
// writes nothing.
func TestCheckNew(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		mu := storetest.MustCreateMunicipality(t, t.Context(), s, "012033")
		for _, csv := range []string{
			first,
			"resident_ref,language,mynumber_card_expires_on,mynumber_cert_expires_on\nB-1,en,2029-03-31,2030-01-15\n",
			"resident_ref,language,email,phone,consent,channel\nL-1,en,l1@example.jp,03-1234-5678,yes,\nN-1,en,,03-1234-5678,yes,sms\n",
			"resident_ref,language,residence_status,residence_card_expires_on\nS-1,vi,特別永住者,2030-01-01\n",
			"resident_ref,language,residence_card_expires_on,integrated_card_expires_on\nI-1,vi,2030-01-01,2031-01-31\n",
			"resident_ref,language,channel,mynumber_card_expires_on\nC-1,vi,sms,\nC-2,en,,2027-02-30\n",
		} {
			r, err := roster.NewReader(strings.NewReader(csv), roster.Options{Today: today})
			if err != nil {
				t.Fatal(err)
			}
			var recs []*roster.Record
			for {
				rec, err := r.Next()
				if err != nil {
					break
				}
				recs = append(recs, rec)
			}
			got, gotErr := importer.CheckNew(recs, importer.Options{MunicipalityID: mu.ID, Today: today})
			want, wantErr := importCSV(t, s, mu.ID, csv, importer.Options{DryRun: true})
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || describeOr(gotErr) != describeOr(wantErr) {
				t.Errorf("%q: CheckNew: %v, want as the import: %v", csv, describeOr(gotErr), describeOr(wantErr))
			}
			want.DryRun = false
			if d := cmp.Diff(want, got, cmpopts.IgnoreFields(importer.Summary{}, "Warnings")); gotErr == nil && d != "" {
				t.Errorf("%q: summary (-import +CheckNew):\n%s", csv, d)
			}
			if fmt.Sprint(got.Warnings) != fmt.Sprint(want.Warnings) {
				t.Errorf("%q: warnings %v, want %v", csv, got.Warnings, want.Warnings)
			}
		}
		if rs, err := s.ListResidents(t.Context(), store.ResidentFilter{MunicipalityID: mu.ID}); err != nil || len(rs) != 0 {
			t.Errorf("%d residents stored (%v), want none", len(rs), err)
		}
	})
}

func describeOr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return describe(err)
}
