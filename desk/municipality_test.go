package desk_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/internal/storetesting"
	"kigen/localgov"
	"kigen/store"
)

// TestDesk_MunicipalityText: a municipality's names and contact block go
// into every message, an SMS raw: no field may hold a line break, a control
// or an invisible formatting character, or a My Number, and a field that
// holds one is not echoed.
func TestDesk_MunicipalityText(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		const (
			control = "holds a line break or another control character"
			myNum   = kigen.MyNumberReason
		)
		tests := []struct {
			name string
			p    desk.MunicipalityParams
			want string
		}{
			{"name with CR LF", desk.MunicipalityParams{Name: ptr("小樽市\r\n国際課")}, "name: " + control},
			{"Latin name with LF", desk.MunicipalityParams{NameLatin: ptr("Otaru\nCity")}, "name_latin: " + control},
			{"name with a bell", desk.MunicipalityParams{Name: ptr("小樽\a市")}, "name: " + control},
			{"name reading backwards", desk.MunicipalityParams{NameLatin: ptr("\u202eytiC uratO")},
				"name_latin: holds an invisible formatting character (U+202E), which can disguise how it reads"},
			{"email with a zero-width space", desk.MunicipalityParams{ContactEmail: ptr("kokusai\u200b@city.otaru.example")},
				"contact_email: holds an invisible formatting character (U+200B), which can disguise how it reads"},
			{"My Number in the name", desk.MunicipalityParams{Name: ptr("小樽市 1234.5678.9018")}, "name: " + myNum},
			{"My Number as the phone", desk.MunicipalityParams{ContactPhone: ptr("1234-5678-9018")}, "contact_phone: " + myNum},
			{"My Number with dots as the phone", desk.MunicipalityParams{ContactPhone: ptr("1234.5678.9018")}, "contact_phone: " + myNum},
			{"My Number in the URL", desk.MunicipalityParams{ContactURL: ptr("https://example.jp/?n=123456789018")}, "contact_url: " + myNum},
			{"every field at once", desk.MunicipalityParams{Name: ptr("小樽\n市"), ContactPhone: ptr("1234 5678 9018"), ContactURL: ptr("ftp://x")},
				"name: " + control + "\ncontact_phone: " + myNum + "\ncontact_url: \"ftp://x\" is not an http(s) address"},
		}
		for _, tt := range tests {
			_, err := b.d.UpdateMunicipality(ctx, b.adminA, tt.p)
			if kigen.ErrorCode(err) != kigen.EINVALID || err.Error() != tt.want {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "9018") {
				t.Errorf("%s: the error echoes the number: %v", tt.name, err)
			}
		}
		// A mobile number in E.164 has 12 digits, which may pass the check
		// digit: a phone in international form is no My Number.
		cd, _ := kigen.MyNumberCheckDigit("81901234567")
		phone := "+81901234567" + string(rune('0'+cd))
		if !kigen.ContainsMyNumber(phone) {
			t.Fatalf("%s is no My Number lookalike", phone)
		}
		mu, err := b.d.UpdateMunicipality(ctx, b.adminA, desk.MunicipalityParams{ContactPhone: ptr(phone), NameLatin: ptr("Otaru")})
		if err != nil || mu.ContactPhone != phone || mu.Name != "小樽市" {
			t.Errorf("update with a mobile in E.164: %+v, %v", mu, err)
		}
	})
}

// TestCreateMunicipality_LocalGov checks a new municipality against the
// list of local governments: codes that are not a municipality's are
// refused with the reason (and the code meant, when one fits), and the
// name, reading and Latin name come from the list unless given.
func TestCreateMunicipality_LocalGov(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		d := &desk.Desk{Store: s}
		op := desk.LocalOperator("ops")
		for _, tt := range []struct{ code, want string }{
			{"999997", "code: 999997 is not the code of a local government in the built-in list"},
			{"010006", "code: 010006 is the code of 北海道, a prefecture: give the code of one of its cities, towns, villages or wards (e.g. 011002 札幌市)"},
			{"12033", `code: "12033" is not a 6-digit local government code: did you mean 012033 小樽市 (北海道)?`},
		} {
			_, err := d.CreateMunicipality(ctx, op, desk.MunicipalityParams{Code: tt.code, Name: ptr("x")})
			if kigen.ErrorCode(err) != kigen.EINVALID || !strings.HasPrefix(kigen.ErrorMessage(err), tt.want) {
				t.Errorf("create %s: %v;\nwant %q", tt.code, err, tt.want)
			}
		}
		if ms, err := s.ListMunicipalities(ctx); err != nil || len(ms) != 0 {
			t.Errorf("refused codes left %d municipalities (%v)", len(ms), err)
		}

		mu, err := d.CreateMunicipality(ctx, op, desk.MunicipalityParams{Code: "012033", ContactPhone: ptr("0134-32-4111")})
		if err != nil || mu.Name != "小樽市" || mu.NameKana != "おたるし" || mu.NameLatin != "Otaru" || mu.Kind != "市" || mu.OfficeJA != "小樽市役所" || len(mu.Warnings) != 0 {
			t.Errorf("create 012033 with no name: %+v, %v; want the list's names and no warning", mu, err)
		}
		stored, err := s.GetMunicipalityByCode(ctx, "012033")
		if err != nil || stored.NameKana != "おたるし" {
			t.Errorf("stored: %+v, %v", stored, err)
		}
		// A ward of a designated city; the name given wins over the list's.
		mu, err = d.CreateMunicipality(ctx, op, desk.MunicipalityParams{Code: "011011", Name: ptr("中央区 (札幌市)"), ContactURL: ptr("https://www.city.sapporo.jp/chuo/")})
		if err != nil || mu.Name != "中央区 (札幌市)" || mu.NameKana != "さっぽろし ちゅうおうく" || mu.NameLatin != "Chuo" || mu.Kind != "区" {
			t.Errorf("create 011011: %+v, %v", mu, err)
		}
		_, err = d.CreateMunicipality(ctx, op, desk.MunicipalityParams{Code: "013951", NameKana: ptr("ニセコちょう")})
		checkErr(t, err, kigen.EINVALID, `name_kana: "ニセコちょう" is not a reading in hiragana (e.g. おたるし)`)
	})
}

// TestMunicipality_Warnings checks that an empty contact block, or no
// reading, is accepted with a warning, when added and when changed.
func TestMunicipality_Warnings(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		d := &desk.Desk{Store: s}
		mu, err := d.CreateMunicipality(ctx, desk.LocalOperator("ops"), desk.MunicipalityParams{Code: "012033"})
		if err != nil {
			t.Fatal(err)
		}
		empty := "the contact block is empty: messages will tell residents to contact 小樽市 and give no phone number, email address or web page; add at least one"
		if !slices.Equal(mu.Warnings, []string{empty}) {
			t.Errorf("added with no contact: warnings %q, want %q", mu.Warnings, empty)
		}
		admin, _, err := d.LocalAdmin(ctx, "alice", "012033")
		if err != nil {
			t.Fatal(err)
		}
		mu, err = d.UpdateMunicipality(ctx, admin, desk.MunicipalityParams{NameKana: ptr(""), NameLatin: ptr("Otaru")})
		noKana := "the name has no reading (name_kana); the list of local governments reads 小樽市 as おたるし"
		if err != nil || !slices.Equal(mu.Warnings, []string{empty, noKana}) {
			t.Errorf("set with no contact and no reading: %+v, %v", mu, err)
		}
		mu, err = d.UpdateMunicipality(ctx, admin, desk.MunicipalityParams{NameKana: ptr("おたるし"), ContactEmail: ptr("kokusai@city.otaru.example")})
		if err != nil || len(mu.Warnings) != 0 {
			t.Errorf("set with a contact and a reading: %+v, %v", mu, err)
		}
	})
}

// TestCreateMunicipality_OwnList checks a desk given a list of its own
// (KIGEN_LOCALGOV_FILE): a municipality new since the built-in snapshot.
func TestCreateMunicipality_OwnList(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "localgov.csv")
	if err := os.WriteFile(path, []byte("pref,city,citykana,lgcode\n北海道,みらい町,みらいちょう,019992\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := localgov.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		d := &desk.Desk{Store: s, LocalGov: l}
		mu, err := d.CreateMunicipality(t.Context(), desk.LocalOperator("ops"), desk.MunicipalityParams{Code: "019992"})
		if err != nil || mu.Name != "みらい町" || mu.NameLatin != "Mirai" || mu.Kind != "町" {
			t.Errorf("create 019992 from the operator's list: %+v, %v", mu, err)
		}
		_, err = d.CreateMunicipality(t.Context(), desk.LocalOperator("ops"), desk.MunicipalityParams{Code: "012033"})
		if !strings.Contains(kigen.ErrorMessage(err), "012033 is not the code of a local government in "+path) {
			t.Errorf("create 012033, not in the operator's list: %v", err)
		}
	})
}

// TestMunicipality_NamesAndCalendar checks the fields messages compose
// names from and the office's own calendar (docs/domain.md §12–§13): set,
// shown, stored, and refused with the reason when wrong.
func TestMunicipality_NamesAndCalendar(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		mu, err := b.d.UpdateMunicipality(ctx, b.adminA, desk.MunicipalityParams{
			Kind: ptr("city"), NameLatin: ptr("Otaru"), NameHangul: ptr("오타루"), NameThai: ptr("โอตารุ"),
			NameDevanagari: ptr("ओतारु"), Office: ptr("小樽市役所 本庁舎"),
			ClosedDays: &[]string{"2027-01-08", "2027/1/7", "2027-01-08"}, OpenDays: &[]string{"2027-03-27"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []kigen.Date{kigen.NewDate(2027, 1, 7), kigen.NewDate(2027, 1, 8)}
		if mu.Kind != "市" || mu.NameHangul != "오타루" || mu.OfficeJA != "小樽市役所 本庁舎" || !slices.Equal(mu.ClosedDays, want) ||
			!slices.Equal(mu.OpenDays, []kigen.Date{kigen.NewDate(2027, 3, 27)}) {
			t.Errorf("set names and calendar: %+v", mu)
		}
		stored, err := b.s.GetMunicipality(ctx, b.aID)
		if err != nil || stored.NameThai != "โอตารุ" || stored.NameDevanagari != "ओतारु" || !slices.Equal(stored.Calendar.Closed, want) {
			t.Errorf("stored: %+v, %v", stored, err)
		}
		// The calendar moves the date to go by: a card expiring Friday 8
		// January 2027, the office shut on the 7th and 8th.
		if got := stored.Calendar.GoBy(kigen.NewDate(2027, 1, 8), kigen.ForMyNumberValidity); got != kigen.NewDate(2027, 1, 6) {
			t.Errorf("go by with the stored calendar: %s, want 2027-01-06", got)
		}
		for _, tt := range []struct {
			p    desk.MunicipalityParams
			want string
		}{
			{desk.MunicipalityParams{NameLatin: ptr("小樽")}, `name_latin: "小樽" is not written in Latin letters (e.g. Otaru)`},
			{desk.MunicipalityParams{NameHangul: ptr("Otaru")}, `name_hangul: "Otaru" is not written in Hangul (e.g. 오타루)`},
			{desk.MunicipalityParams{NameThai: ptr("오타루")}, `name_thai: "오타루" is not written in Thai script (e.g. โอตารุ)`},
			{desk.MunicipalityParams{Kind: ptr("県")}, `kind: "県" is not a kind of municipality: give 市, 区, 町 or 村 (city, ward, town, village)`},
			{desk.MunicipalityParams{OpenDays: &[]string{"2027-03-26"}}, "open_days: 2027-03-26 is a Friday the office is open anyway"},
			{desk.MunicipalityParams{OpenDays: &[]string{"2027-01-09"}, ClosedDays: &[]string{"2027-01-09"}}, "open_days: 2027-01-09 is also a closed day"},
			{desk.MunicipalityParams{ClosedDays: &[]string{"2027-01-08", "soon"}}, `closed_days: day 2 is not a date`},
			{desk.MunicipalityParams{OpenDays: &[]string{"2027-02-30"}}, `open_days: day 1: "2027-02-30"`},
		} {
			_, err := b.d.UpdateMunicipality(ctx, b.adminA, tt.p)
			if kigen.ErrorCode(err) != kigen.EINVALID || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("%+v: %v;\nwant %q", tt.p, err, tt.want)
			}
		}
		// A kind in the Latin name is taken off, with a note: messages add
		// it in each language's words, and "Otaru City" would be doubled.
		for in, want := range map[string]string{"Otaru City": "Otaru", "City of Otaru": "Otaru", "Chuo Ward, Sapporo City": "Chuo", "Niseko-cho": "Niseko"} {
			mu, err := b.d.UpdateMunicipality(ctx, b.adminA, desk.MunicipalityParams{NameLatin: ptr(in)})
			if err != nil {
				t.Fatal(err)
			}
			if mu.NameLatin != want || len(mu.Warnings) == 0 || !strings.Contains(mu.Warnings[0], "stored without its kind: \""+want+"\"") {
				t.Errorf("name_latin %q: %q %q, %v; want %q and a note", in, mu.NameLatin, mu.Warnings, err, want)
			}
		}
		// Empty lists clear the calendar.
		mu, err = b.d.UpdateMunicipality(ctx, b.adminA, desk.MunicipalityParams{ClosedDays: &[]string{}, OpenDays: &[]string{}, Office: ptr("")})
		if err != nil || len(mu.ClosedDays)+len(mu.OpenDays) != 0 || mu.OfficeJA != "小樽市役所" {
			t.Errorf("cleared: %+v, %v", mu, err)
		}
	})
}

func TestDesk_ShowMunicipality(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		if _, err := b.d.UpdateMunicipality(ctx, b.adminA, desk.MunicipalityParams{Office: ptr("小樽市役所 本庁舎"),
			ContactPhone: ptr("0134-32-4111"), ClosedDays: &[]string{"2027-01-08"}}); err != nil {
			t.Fatal(err)
		}
		for _, a := range []auth.Actor{b.staffA, b.adminA} {
			for _, code := range []string{"", "012033"} {
				mu, err := b.d.ShowMunicipality(ctx, a, code)
				if err != nil || mu.Code != "012033" || mu.OfficeJA != "小樽市役所 本庁舎" || mu.ContactPhone != "0134-32-4111" ||
					!slices.Equal(mu.ClosedDays, []kigen.Date{kigen.NewDate(2027, 1, 8)}) {
					t.Errorf("%s, %q: %+v, %v", a.ID, code, mu, err)
				}
			}
		}
		es := b.entries(t, store.AuditFilter{Action: "municipality.view", Limit: 10})
		if len(es) != 4 || es[0].ActorID != b.adminA.ID || es[0].MunicipalityID != b.aID || es[0].Detail != "012033" {
			t.Errorf("audit: %+v", es)
		}
		mu, err := b.d.ShowMunicipality(ctx, b.operator, "131016")
		if err != nil || mu.Name != "千代田区" {
			t.Errorf("operator: %+v, %v", mu, err)
		}
		ro := b.staffA
		ro.ReadOnly = true
		if _, err := b.d.ShowMunicipality(ctx, ro, ""); err != nil {
			t.Errorf("read-only: %v", err)
		}
		_, err = b.d.ShowMunicipality(ctx, b.staffA, "131016")
		checkErr(t, err, kigen.ENOTFOUND, `no municipality "131016"`)
		_, err = b.d.ShowMunicipality(ctx, b.operator, "")
		checkErr(t, err, kigen.EINVALID, "municipality: give the code of the municipality")
	})
}
