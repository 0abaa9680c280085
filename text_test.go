package kigen

import "testing"

func TestCheckText(t *testing.T) {
	t.Parallel()
	const (
		control = "holds a line break or another control character"
		myNum   = MyNumberReason
	)
	tests := []struct {
		name string
		in   string
		want string // the message; "" for none
	}{
		{"Latin", "Nguyen Van An", ""},
		{"Japanese", "髙橋 ①", ""},
		{"Municipality", "小樽市", ""},
		{"Empty", "", ""},
		{"Devanagari", "राम बहादुर", ""},
		{"PersianNonJoiner", "می\u200cخواهم", ""}, // ZWNJ between letters
		{"DevanagariJoiner", "क्\u200dष", ""},     // ZWJ after a virama (a mark)
		{"CR", "Otaru\rCity", control},
		{"LF", "小樽市\n", control},
		{"Tab", "Otaru\tCity", control},
		{"NUL", "Otaru\x00", control},
		{"LineSeparator", "Otaru\u2028City", control},
		{"ParagraphSeparator", "Otaru\u2029City", control},
		{"DEL", "Otaru\x7f", control},
		{"C1", "Otaru\u0085City", control},
		{"RightToLeftOverride", "Maria \u202eavliS", "holds an invisible formatting character (U+202E), which can disguise how it reads"},
		{"LeftToRightIsolate", "\u2066Ann\u2069", "holds an invisible formatting character (U+2066), which can disguise how it reads"},
		{"ZeroWidthSpace", "An\u200bn", "holds an invisible formatting character (U+200B), which can disguise how it reads"},
		{"ByteOrderMark", "\ufeffAnn", "holds an invisible formatting character (U+FEFF), which can disguise how it reads"},
		{"SoftHyphen", "An\u00adn", "holds an invisible formatting character (U+00AD), which can disguise how it reads"},
		{"LeadingJoiner", "\u200dAnn", "holds an invisible formatting character (U+200D), which can disguise how it reads"},
		{"TrailingNonJoiner", "Ann\u200c", "holds an invisible formatting character (U+200C), which can disguise how it reads"},
		{"JoinerBeforeSpace", "Ann\u200d Lee", "holds an invisible formatting character (U+200D), which can disguise how it reads"},
		{"MyNumber", "Taro 1234.5678.9018", myNum},
		{"MyNumberWithOverride", "\u202e123456789018", myNum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckText(tt.in)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckText(%q) = %v, want nil", tt.in, err)
			case tt.want != "" && (err == nil || ErrorMessage(err) != tt.want || ErrorCode(err) != EINVALID):
				t.Errorf("CheckText(%q) = %v, want %s", tt.in, err, tt.want)
			}
		})
	}
}
