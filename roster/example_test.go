package roster_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"kigen"
	"kigen/roster"
)

func Example() {
	const file = `宛名番号,氏名,言語,携帯電話番号,在留資格,在留カード有効期限,マイナンバーカード有効期限,同意,通知方法
A-0001,Nguyen Van An,Tiếng Việt,090-1234-5678,技術・人文知識・国際業務,令和9年3月31日,R9.3.31,はい,SMS
A-0002,Maria Santos,Português,,永住者,2031/10/1,,,
A-0003,,klingon,12345,留学,2027-02-30,,maybe,
A-0001,Li Wei,中文,,,,,,
`
	r, err := roster.NewReader(strings.NewReader(file), roster.Options{Today: kigen.NewDate(2026, 11, 15)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Encoding(), r.Columns())
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			fmt.Println(err)
			return
		}
		if !rec.OK() {
			for _, e := range rec.Errs {
				fmt.Printf("row %d: %v\n", rec.Row, e)
			}
			continue
		}
		fmt.Printf("row %d: %s %s %s %s residence card %s consent %v channel %q\n", rec.Row, rec.Ref,
			rec.Language, rec.Phone, rec.Status, rec.Cards[kigen.ResidenceCard], rec.Consent, rec.Channel)
	}
	// Output:
	// UTF-8 [resident_ref name language phone residence_status residence_card_expires_on mynumber_card_expires_on consent channel]
	// row 2: A-0001 vi +819012345678 fixed_period residence card 2027-03-31 consent true channel "sms"
	// row 3: A-0002 pt  permanent residence card 2031-10-01 consent false channel ""
	// row 4: language: "klingon" is not a language Kigen writes in (ja, ja-easy, en, zh, ko, es, pt, th, ne, id, vi, tl)
	// row 4: phone: is not a valid phone number (region JP)
	// row 4: residence_card_expires_on: "2027-02-30" is not a date
	// row 4: consent: "maybe" is not yes or no
	// row 5: resident_ref: "A-0001" also appears on row 2
}

func ExampleNewReader_headerError() {
	_, err := roster.NewReader(strings.NewReader("氏名,マイナンバー,言語,email,メール,備考\n"),
		roster.Options{Today: kigen.NewDate(2026, 11, 15)})
	fmt.Println(err)
	// Output:
	// header: column "マイナンバー" names the individual number (My Number); Kigen must never receive it: remove the column
	// header: column "備考" is unknown (use --ignore-unknown-columns to skip it)
	// header: column "email" appears twice (columns 4 and 5)
	// header: required column resident_ref is missing
}
