package localgov

import (
	"fmt"
	"strings"
)

// hepburnKana are the romanizations of single kana (modified Hepburn).
var hepburnKana = map[rune]string{
	'あ': "a", 'い': "i", 'う': "u", 'え': "e", 'お': "o",
	'か': "ka", 'き': "ki", 'く': "ku", 'け': "ke", 'こ': "ko",
	'が': "ga", 'ぎ': "gi", 'ぐ': "gu", 'げ': "ge", 'ご': "go",
	'さ': "sa", 'し': "shi", 'す': "su", 'せ': "se", 'そ': "so",
	'ざ': "za", 'じ': "ji", 'ず': "zu", 'ぜ': "ze", 'ぞ': "zo",
	'た': "ta", 'ち': "chi", 'つ': "tsu", 'て': "te", 'と': "to",
	'だ': "da", 'ぢ': "ji", 'づ': "zu", 'で': "de", 'ど': "do",
	'な': "na", 'に': "ni", 'ぬ': "nu", 'ね': "ne", 'の': "no",
	'は': "ha", 'ひ': "hi", 'ふ': "fu", 'へ': "he", 'ほ': "ho",
	'ば': "ba", 'び': "bi", 'ぶ': "bu", 'べ': "be", 'ぼ': "bo",
	'ぱ': "pa", 'ぴ': "pi", 'ぷ': "pu", 'ぺ': "pe", 'ぽ': "po",
	'ま': "ma", 'み': "mi", 'む': "mu", 'め': "me", 'も': "mo",
	'や': "ya", 'ゆ': "yu", 'よ': "yo",
	'ら': "ra", 'り': "ri", 'る': "ru", 'れ': "re", 'ろ': "ro",
	'わ': "wa", 'ゐ': "i", 'ゑ': "e", 'を': "o", 'ん': "n", 'ゔ': "vu",
}

// smallY are the small ゃ, ゅ, ょ and the vowels they give.
var smallY = map[rune]string{'ゃ': "a", 'ゅ': "u", 'ょ': "o"}

// Hepburn romanizes a reading in hiragana as Japanese road signs and
// municipalities write place names: modified Hepburn without macrons, so a
// long vowel is written once (とうきょう Tokyo, おおさか Osaka, ちゅうおう Chuo),
// and ん is always n (かんおんじ Kanonji). The result is lower case; a
// character that is not hiragana is an error.
func Hepburn(kana string) (string, error) {
	var b strings.Builder
	rs := []rune(kana)
	double := false // after っ: double the next consonant
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == 'っ' {
			double = true
			continue
		}
		syl, ok := hepburnKana[r]
		if !ok {
			return "", fmt.Errorf("%q: %q is not hiragana", kana, r)
		}
		if i+1 < len(rs) {
			if v, ok := smallY[rs[i+1]]; ok && strings.HasSuffix(syl, "i") && syl != "i" {
				// きゃ kya, しゃ sha, ちゃ cha, じゃ ja
				syl = strings.TrimSuffix(syl, "i")
				if syl != "sh" && syl != "ch" && syl != "j" {
					syl += "y"
				}
				syl += v
				i++
			}
		}
		if double {
			if strings.HasPrefix(syl, "ch") {
				b.WriteByte('t') // っち tchi
			} else if c := syl[0]; !strings.ContainsRune("aeiou", rune(c)) {
				b.WriteByte(c)
			}
			double = false
		}
		b.WriteString(syl)
	}
	if double {
		return "", fmt.Errorf("%q ends in っ", kana)
	}
	s := b.String()
	for _, long := range [][2]string{{"ou", "o"}, {"oo", "o"}, {"uu", "u"}} {
		s = strings.ReplaceAll(s, long[0], long[1])
	}
	return s, nil
}
