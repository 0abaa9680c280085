package desk_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kigen"
	"kigen/desk"
	"kigen/internal/storetesting"
	"kigen/localgov"
	"kigen/store"
)

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
		if err != nil || mu.Name != "小樽市" || mu.NameKana != "おたるし" || mu.NameLatin != "Otaru City" || len(mu.Warnings) != 0 {
			t.Errorf("create 012033 with no name: %+v, %v; want the list's names and no warning", mu, err)
		}
		stored, err := s.GetMunicipalityByCode(ctx, "012033")
		if err != nil || stored.NameKana != "おたるし" {
			t.Errorf("stored: %+v, %v", stored, err)
		}
		// A ward of a designated city; the name given wins over the list's.
		mu, err = d.CreateMunicipality(ctx, op, desk.MunicipalityParams{Code: "011011", Name: ptr("中央区 (札幌市)"), ContactURL: ptr("https://www.city.sapporo.jp/chuo/")})
		if err != nil || mu.Name != "中央区 (札幌市)" || mu.NameKana != "さっぽろし ちゅうおうく" || mu.NameLatin != "Chuo Ward, Sapporo City" {
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
		mu, err = d.UpdateMunicipality(ctx, admin, desk.MunicipalityParams{NameKana: ptr(""), NameLatin: ptr("City of Otaru")})
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
		if err != nil || mu.Name != "みらい町" || mu.NameLatin != "Mirai Town" {
			t.Errorf("create 019992 from the operator's list: %+v, %v", mu, err)
		}
		_, err = d.CreateMunicipality(t.Context(), desk.LocalOperator("ops"), desk.MunicipalityParams{Code: "012033"})
		if !strings.Contains(kigen.ErrorMessage(err), "012033 is not the code of a local government in "+path) {
			t.Errorf("create 012033, not in the operator's list: %v", err)
		}
	})
}
