package localgov_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kigen"
	"kigen/localgov"
)

// TestDefault checks the built-in list as a whole: every row parsed, the
// kinds counted as the README says, and every ward of a designated city
// tied to its city.
func TestDefault(t *testing.T) {
	t.Parallel()
	l := localgov.Default()
	if l.Len() != 1916 {
		t.Errorf("Len() = %d, want 1916", l.Len())
	}
	kinds := map[localgov.Kind]int{}
	wards := 0
	es := l.Entries()
	for i, e := range es {
		if i > 0 && es[i-1].Code >= e.Code {
			t.Errorf("Entries: %s before %s", es[i-1].Code, e.Code)
		}
		kinds[e.Kind]++
		if e.Parent == "" {
			continue
		}
		wards++
		p, ok := l.Get(e.Parent)
		if !ok || p.Kind != localgov.City || p.Prefecture != e.Prefecture || !strings.HasPrefix(e.Name, p.Name) {
			t.Errorf("%s %s: parent %s (%+v)", e.Code, e.Name, e.Parent, p)
		}
	}
	want := map[localgov.Kind]int{localgov.City: 792, localgov.Town: 743, localgov.Ward: 198, localgov.Village: 183}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d entries of kind %s, want %d", kinds[k], k, n)
		}
	}
	if wards != 175 {
		t.Errorf("%d wards of designated cities, want 175 (198 wards, 23 of them Tokyo's)", wards)
	}
}

func TestGet(t *testing.T) {
	t.Parallel()
	l := localgov.Default()
	for _, want := range []localgov.Entry{
		{Code: "012033", Name: "小樽市", Kana: "おたるし", Kind: localgov.City, Latin: "Otaru City", LatinBase: "Otaru"},
		{Code: "013951", Name: "ニセコ町", Kana: "にせこちょう", Kind: localgov.Town, Latin: "Niseko Town", LatinBase: "Niseko"},
		{Code: "131016", Name: "千代田区", Kana: "ちよだく", Kind: localgov.Ward, Latin: "Chiyoda City", LatinBase: "Chiyoda"},
		{Code: "011011", Name: "札幌市中央区", Kana: "さっぽろし ちゅうおうく", Kind: localgov.Ward, Latin: "Chuo Ward, Sapporo City", LatinBase: "Chuo", Parent: "011002"},
		{Code: "271276", Name: "大阪市北区", Kana: "おおさかし きたく", Kind: localgov.Ward, Latin: "Kita Ward, Osaka City", LatinBase: "Kita", Parent: "271004"},
		{Code: "401005", Name: "北九州市", Kana: "きたきゅうしゅうし", Kind: localgov.City, Latin: "Kitakyushu City", LatinBase: "Kitakyushu"},
		{Code: "372056", Name: "観音寺市", Kana: "かんおんじし", Kind: localgov.City, Latin: "Kanonji City", LatinBase: "Kanonji"},
	} {
		e, ok := l.Get(want.Code)
		if !ok {
			t.Errorf("Get(%s): not found", want.Code)
			continue
		}
		got := *e
		got.Prefecture, got.URL = nil, ""
		if got != want {
			t.Errorf("Get(%s) = %+v, want %+v", want.Code, got, want)
		}
	}
	if e, _ := l.Get("012033"); e.Prefecture.Name != "北海道" || e.Prefecture.Latin != "Hokkaido" || e.URL != "https://www.city.otaru.lg.jp/" {
		t.Errorf("Otaru's prefecture and site: %+v, %s", e.Prefecture, e.URL)
	}
	if p, ok := l.Prefecture("130001"); !ok || p.Name != "東京都" || p.Capital != "新宿区" {
		t.Errorf("Prefecture(130001) = %+v, %v", p, ok)
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	l := localgov.Default()
	if e, err := l.Lookup("012033"); err != nil || e.Name != "小樽市" {
		t.Errorf("Lookup(012033) = %+v, %v", e, err)
	}
	for _, tt := range []struct{ code, want string }{
		{"010006", "010006 is the code of 北海道, a prefecture: give the code of one of its cities, towns, villages or wards (e.g. 011002 札幌市)"},
		{"130001", "130001 is the code of 東京都, a prefecture: give the code of one of its cities, towns, villages or wards (e.g. 131041 新宿区)"},
		{"999997", "999997 is not the code of a local government in the built-in list (code4fukui/localgovjp, 2026-07-09) (1916 of them): check it, or give a newer list (KIGEN_LOCALGOV_FILE)"},
		{"12033", `"12033" is not a 6-digit local government code: did you mean 012033 小樽市 (北海道)?`},
		{"01203", `"01203" is not a 6-digit local government code: did you mean 012033 小樽市 (北海道)?`},
		{"1203", `"1203" is not a 6-digit local government code: did you mean 012033 小樽市 (北海道)?`},
		{"012034", `"012034" has a wrong check digit (4): did you mean 012033 小樽市 (北海道)?`},
		{"999990", `"999990": the check digit should be 7 (999997)`},
		{"12345", `"12345" must be the 6-digit local government code (全国地方公共団体コード), e.g. 012033 for Otaru`},
		{"Otaru", `"Otaru" must be the 6-digit local government code`},
		{"", `"" must be the 6-digit local government code`},
	} {
		_, err := l.Lookup(tt.code)
		var ke *kigen.Error
		if !errors.As(err, &ke) || ke.Code != kigen.EINVALID || ke.Field != "code" || !strings.HasPrefix(ke.Message, tt.want) {
			t.Errorf("Lookup(%q) = %v;\nwant an invalid code starting %q", tt.code, err, tt.want)
		}
	}
}

func TestHepburn(t *testing.T) {
	t.Parallel()
	for kana, want := range map[string]string{
		"とうきょう": "tokyo", "おおさか": "osaka", "さっぽろ": "sapporo", "ちゅうおう": "chuo",
		"きたきゅうしゅう": "kitakyushu", "しんじゅく": "shinjuku", "ぶんきょう": "bunkyo", "ゆうばり": "yubari",
		"いいだ": "iida", "はっちょうばし": "hatchobashi", "じょうえつ": "joetsu", "かんおんじ": "kanonji",
		"ぐんま": "gunma", "けせんぬま": "kesennuma", "ふくしま": "fukushima", "ちぢわ": "chijiwa",
		"つづき": "tsuzuki", "ひゃくしょう": "hyakusho", "にっこう": "nikko", "せいか": "seika",
	} {
		if got, err := localgov.Hepburn(kana); err != nil || got != want {
			t.Errorf("Hepburn(%s) = %q, %v; want %q", kana, got, err, want)
		}
	}
	for _, bad := range []string{"ニセコ", "おたる市", "あっ"} {
		if got, err := localgov.Hepburn(bad); err == nil {
			t.Errorf("Hepburn(%s) = %q, want an error", bad, got)
		}
	}
}

const header = "pid,pref,cid,city,citykana,lat,lng,url,phrase,lgcode\n"

// TestLoad checks a list an operator gives (KIGEN_LOCALGOV_FILE): read like
// the built-in one, every bad row reported by its line.
func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	// A new town, a code whose leading zero a spreadsheet dropped, and a
	// city with a ward.
	writeFile(t, good, header+
		"1,北海道,1203,小樽市,おたるし,0,0,https://www.city.otaru.lg.jp/,,012033\n"+
		"1,北海道,1999,みらい町,みらいちょう,0,0,,,19992\n"+
		"14,神奈川県,14100,横浜市,よこはまし,0,0,,,141003\n"+
		"14,神奈川県,14101,横浜市 鶴見区,よこはまし つるみく,0,0,,,141011\n")
	l, err := localgov.Load(good)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 4 || l.Source != good {
		t.Errorf("Len() = %d, Source %q", l.Len(), l.Source)
	}
	if e, err := l.Lookup("019992"); err != nil || e.Latin != "Mirai Town" {
		t.Errorf("Lookup(019992) = %+v, %v", e, err)
	}
	if e, _ := l.Get("141011"); e == nil || e.Parent != "141003" || e.Latin != "Tsurumi Ward, Yokohama City" || e.LatinBase != "Tsurumi" || e.Name != "横浜市鶴見区" {
		t.Errorf("Get(141011) = %+v", e)
	}
	if _, err := l.Lookup("011002"); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Lookup of a code missing from the file: %v; want the file named", err)
	}

	bad := filepath.Join(dir, "bad.csv")
	writeFile(t, bad, header+
		"1,北海道,1203,小樽市,おたるし,0,0,,,012034\n"+
		"1,北海道,1203,小樽市,おたるし,0,0,,,012033\n"+
		"1,北海道,1203,小樽市,おたるし,0,0,,,012033\n"+
		"1,北海道県,1204,室蘭市,むろらんし,0,0,,,012041\n"+
		"1,北海道,1205,釧路市,くしろ,0,0,,,012050\n"+
		"1,北海道,1206,帯広,おびひろ,0,0,,,012068\n"+
		"1,北海道,1101,札幌市 中央区,さっぽろし ちゅうおうく,0,0,,,011011\n")
	_, err = localgov.Load(bad)
	for _, want := range []string{
		`line 2: lgcode: code: "012034": the check digit should be 3`,
		"line 4: lgcode: 012033 is given twice",
		`line 5: pref: "北海道県" is not a prefecture`,
		`line 6: citykana: "くしろ" does not end in the reading of 市 (し)`,
		`line 7: city: "帯広" does not end in 市, 区, 町 or 村`,
		"011011 札幌市中央区: no city 札幌市 in 北海道",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(bad) = %v;\nwant %q", err, want)
		}
	}
	if _, err := localgov.Load(filepath.Join(dir, "missing.csv")); err == nil {
		t.Error("Load(missing file) succeeded")
	}
	noCode := filepath.Join(dir, "nocode.csv")
	writeFile(t, noCode, "pref,city,citykana\n北海道,小樽市,おたるし\n")
	if _, err := localgov.Load(noCode); err == nil || !strings.Contains(err.Error(), `no column "lgcode"`) {
		t.Errorf("Load(no lgcode column) = %v", err)
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
