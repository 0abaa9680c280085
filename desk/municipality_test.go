package desk_test

import (
	"strings"
	"testing"

	"kigen"
	"kigen/desk"
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
		mu, err := b.d.UpdateMunicipality(ctx, b.adminA, desk.MunicipalityParams{ContactPhone: ptr(phone), NameLatin: ptr("Otaru City")})
		if err != nil || mu.ContactPhone != phone || mu.Name != "小樽市" {
			t.Errorf("update with a mobile in E.164: %+v, %v", mu, err)
		}
	})
}
