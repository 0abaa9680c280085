// Package rostergen writes realistic resident lists for benchmarks, demos
// and tests: the mix of languages, statuses, cards and contacts a large
// municipality exports, with no real person in it.
package rostergen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"

	"kigen"
)

// Header is the header line Write starts with (Kigen's English names).
const Header = "resident_ref,name,language,email,phone,residence_status,residence_card_expires_on," +
	"mynumber_card_expires_on,mynumber_cert_expires_on,integrated_card_expires_on,consent,channel\n"

var (
	languages = []string{"vi", "zh", "en", "ko", "pt", "tl", "ne", "id", "th", "es", "ja", "ja-easy",
		"Tiếng Việt", "中文", "English", "한국어"}
	statuses = []string{"技術・人文知識・国際業務", "留学", "家族滞在", "特定技能1号", "技能実習2号ロ",
		"永住者", "定住者", "日本人の配偶者等", "fixed_period", "permanent", "特別永住者"}
	names = []string{"Nguyen Van An", "Tran Thi Bich", "Li Wei", "Wang Fang", "Kim Minji", "Park Jisoo",
		"Maria Santos", "Joao Silva", "Juan Dela Cruz", "Ram Bahadur", "Siti Rahma", "Somchai", "Ana Garcia"}
)

// Write writes the header and n rows to w, drawn from seed. Expiry dates lie
// between today and a few years ahead; a tenth of the fixed-period residents
// have a renewal gap; a few hold an integrated card; most gave consent.
func Write(w io.Writer, n int, seed uint64, today kigen.Date) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	bw := bufio.NewWriterSize(w, 1<<16)
	_, _ = bw.WriteString(Header)
	day := func(maxDays int) string { return today.AddDays(1 + rng.IntN(maxDays)).String() }
	for i := 1; i <= n; i++ {
		status := statuses[rng.IntN(len(statuses))]
		var rc, mn, cert, ic string
		switch {
		case status == "特別永住者":
			mn, cert = day(3650), day(1800)
		case rng.IntN(20) == 0:
			ic, cert = day(2500), day(1800)
		default:
			rc = day(2500)
			mn = rc
			if rng.IntN(10) == 0 { // renewed at immigration, My Number card left behind
				mn = day(300)
			}
			if rng.IntN(2) == 0 {
				cert = day(1800)
			}
		}
		if cert != "" && mn != "" && cert > mn {
			cert = mn
		}
		email, phone, channel := "", "", ""
		switch rng.IntN(10) {
		case 0, 1, 2, 3, 4, 5:
			email = fmt.Sprintf("r%d@example.jp", i)
		case 6, 7:
			phone = fmt.Sprintf("090-%04d-%04d", 1000+rng.IntN(9000), rng.IntN(10000))
			channel = "sms"
		default:
			email = fmt.Sprintf("r%d@example.jp", i)
			phone = fmt.Sprintf("080-%04d-%04d", 1000+rng.IntN(9000), rng.IntN(10000))
			channel = "both"
		}
		consent := "yes"
		if rng.IntN(10) == 0 {
			consent = "no"
		}
		fmt.Fprintf(bw, "R%07d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", i, names[rng.IntN(len(names))],
			languages[rng.IntN(len(languages))], email, phone, status, rc, mn, cert, ic, consent, channel)
	}
	return bw.Flush()
}
