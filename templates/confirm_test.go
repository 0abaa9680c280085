package templates

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"kigen"
)

// TestConfirmCatalogParity: every language has the confirmation catalog,
// with the same keys as Japanese and the same placeholders in each text.
func TestConfirmCatalogParity(t *testing.T) {
	t.Parallel()
	ref := confirmCatalogs[kigen.Japanese]
	keys := slices.Sorted(maps.Keys(ref))
	for _, l := range kigen.Languages {
		cat, ok := confirmCatalogs[l]
		if !ok {
			t.Errorf("%s: no confirmation catalog", l)
			continue
		}
		if got := slices.Sorted(maps.Keys(cat)); !slices.Equal(got, keys) {
			t.Errorf("%s: keys %v, want %v", l, got, keys)
		}
		for _, k := range keys {
			if want, got := confirmPlaceholders(ref[k]), confirmPlaceholders(cat[k]); !slices.Equal(want, got) {
				t.Errorf("%s %s: placeholders %v, want %v", l, k, got, want)
			}
		}
	}
	if len(confirmCatalogs) != len(kigen.Languages) {
		t.Errorf("%d confirmation catalogs, want %d", len(confirmCatalogs), len(kigen.Languages))
	}
}

func confirmPlaceholders(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		out = append(out, s[i:i+j+1])
		s = s[i+j+1:]
	}
	slices.Sort(out)
	return out
}

// TestRenderConfirm: each message renders in every language with its
// facts, nothing left unreplaced; the SMS code message stays within two
// segments.
func TestRenderConfirm(t *testing.T) {
	t.Parallel()
	for _, l := range kigen.Languages {
		for _, kind := range []ConfirmKind{ConfirmAddress, ConfirmLink} {
			p := ConfirmParams{Kind: kind, Lang: l, Municipality: kigen.Municipality{Code: "012033", Name: "小樽市", NameLatin: "Otaru"}, Link: "https://kigen.example/x/abc", Code: "012345",
				Minutes: 15, Hours: 24, Days: 30}
			p.Channel = kigen.Email
			m, err := RenderConfirm(p)
			if err != nil {
				t.Fatal(err)
			}
			place := "Otaru City"
			if l == kigen.Japanese || l == kigen.EasyJapan || l == kigen.Chinese {
				place = "小樽市"
			}
			if kind == ConfirmAddress && !strings.Contains(m.Text, place) {
				t.Errorf("%s: the confirmation does not name %s: %q", l, place, m.Text)
			}
			if m.Subject == "" || !strings.Contains(m.Text, p.Link) || strings.Contains(m.Text+m.Subject, "{") {
				t.Errorf("%s %s email: %q / %q", l, kind, m.Subject, m.Text)
			}
			p.Channel = kigen.SMS
			m, err = RenderConfirm(p)
			if err != nil {
				t.Fatal(err)
			}
			want := p.Link
			if kind == ConfirmAddress {
				want = p.Code
			}
			if !strings.Contains(m.SMS, want) || strings.Contains(m.SMS, "{") {
				t.Errorf("%s %s SMS: %q", l, kind, m.SMS)
			}
			if n, _ := Segments(m.SMS); n > 2 {
				t.Errorf("%s %s SMS: %d segments, want at most 2: %q", l, kind, n, m.SMS)
			}
		}
	}
	if _, err := RenderConfirm(ConfirmParams{Kind: "x", Channel: kigen.SMS}); err == nil {
		t.Error("an unknown kind rendered")
	}
}
