package resident_test

import (
	"slices"
	"strings"
	"testing"

	"kigen"
	"kigen/web/resident"
)

// TestCatalog_Parity: every language has every key of the English
// catalog (the reference) and no other, no text is empty, and each text
// takes the same arguments as the English one.
func TestCatalog_Parity(t *testing.T) {
	t.Parallel()
	en := resident.Keys(kigen.English)
	if len(en) < 150 {
		t.Fatalf("the English catalog has only %d keys", len(en))
	}
	for _, l := range kigen.Languages {
		cat := resident.Keys(l)
		for k, want := range en {
			got, ok := cat[k]
			switch {
			case !ok:
				t.Errorf("%s lacks %q", l, k)
			case strings.TrimSpace(got) == "":
				t.Errorf("%s: %q is empty", l, k)
			default:
				wa, ga := args(want), args(got)
				if !slices.Equal(wa, ga) {
					t.Errorf("%s: %q takes %v, English %v", l, k, ga, wa)
				}
			}
		}
		for k := range cat {
			if _, ok := en[k]; !ok {
				t.Errorf("%s has %q, English does not", l, k)
			}
		}
	}
}

// TestCatalog_Translated: each language but English is translated (its
// own name, and at most a few texts the same as English: the brand and
// the words every language borrows).
func TestCatalog_Translated(t *testing.T) {
	t.Parallel()
	en := resident.Keys(kigen.English)
	for _, l := range kigen.Languages {
		if l == kigen.English {
			continue
		}
		same := 0
		for k, v := range resident.Keys(l) {
			if v == en[k] {
				same++
			}
		}
		if same > 8 {
			t.Errorf("%s: %d texts are the English ones", l, same)
		}
		if resident.T(l, "lang.name") == "English" {
			t.Errorf("%s calls itself English", l)
		}
	}
}

// TestCatalog_Terms: the cards are named with the terms of the native
// speakers' review (../shared/reviews/messages-2026-12.md) and of the
// messages.
func TestCatalog_Terms(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		lang kigen.Language
		key  string
		want string
	}{
		{kigen.Korean, "card.mynumber_card", "마이넘버카드"}, // no space
		{kigen.Thai, "card.residence_card", "บัตรประจำตัวผู้พำนัก"},
		{kigen.Thai, "card.mynumber_card", "บัตรมายนัมเบอร์"},
		{kigen.Nepali, "card.residence_card", "निवास कार्ड"},
		{kigen.Nepali, "entry.why", "बसाइ अवधि"},
		{kigen.Nepali, "status.title", "निवासको स्थिति"},
		{kigen.Vietnamese, "entry.why", "thời hạn lưu trú"},
		{kigen.Vietnamese, "card.integrated_card", "thẻ lưu trú tích hợp"},
		{kigen.Indonesian, "card.integrated_card", "kartu izin tinggal terpadu"},
		{kigen.EasyJapan, "cards.two", "在留カード（ざいりゅう カード）"},
	} {
		if got := resident.T(c.lang, c.key); !strings.Contains(got, c.want) {
			t.Errorf("%s %s = %q, want it to say %q", c.lang, c.key, got, c.want)
		}
	}
}

func TestT_Arguments(t *testing.T) {
	t.Parallel()
	if got := resident.T(kigen.English, "entry.title", "muni", "Otaru City"); got != "Reminders from Otaru City" {
		t.Errorf("T = %q", got)
	}
	if got := resident.T(kigen.Japanese, "nav.step", "n", "2", "total", "5"); got != "ステップ 2 / 5" {
		t.Errorf("T = %q", got)
	}
}

func args(s string) []string {
	a := resident.Placeholders.FindAllString(s, -1)
	slices.Sort(a)
	return a
}
