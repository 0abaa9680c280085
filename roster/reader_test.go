package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"

	"kigen"
)

// today is the day of every test import.
var today = kigen.NewDate(2026, time.November, 15)

// myNumber returns a valid My Number whose first 11 digits are first11.
func myNumber(first11 string) string {
	cd, ok := kigen.MyNumberCheckDigit(first11)
	if !ok {
		panic("myNumber: " + first11)
	}
	return fmt.Sprintf("%s%d", first11, cd)
}

// fullHeader is every column, in Kigen's order.
var fullHeader = columnList()

// line returns one CSV line holding the given cells under fullHeader:
// resident_ref A-0001 and language en unless set.
func line(cells map[Column]string) string {
	rec := make([]string, len(Columns))
	for i, c := range Columns {
		rec[i] = cells[c]
	}
	if _, ok := cells[ColRef]; !ok {
		rec[0] = "A-0001"
	}
	if _, ok := cells[ColLanguage]; !ok {
		rec[2] = "en"
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(rec)
	w.Flush()
	return b.String()
}

// readAll reads every record of a file, failing the test on an error from
// NewReader or Next.
func readAll(t *testing.T, file string, opt Options) (*Reader, []*Record) {
	t.Helper()
	if opt.Today.IsZero() {
		opt.Today = today
	}
	r, err := NewReader(strings.NewReader(file), opt)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var recs []*Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return r, recs
		} else if err != nil {
			t.Fatalf("Next: %v", err)
		}
		recs = append(recs, rec)
	}
}

// messages returns the errors as strings.
func messages(errs []error) []string {
	var s []string
	for _, err := range errs {
		var e *kigen.Error
		if !errors.As(err, &e) {
			s = append(s, "NOT A *kigen.Error: "+err.Error())
			continue
		}
		s = append(s, err.Error())
	}
	return s
}

func TestNewReader_Header(t *testing.T) {
	t.Parallel()
	mn := myNumber("12345678901")
	tests := []struct {
		name   string
		header string
		ignore bool
		want   []Column // on success
		err    string   // the whole error text, on failure
	}{
		{name: "English", header: fullHeader, want: Columns},
		{name: "any order", header: "language,resident_ref,email", want: []Column{ColLanguage, ColRef, ColEmail}},
		{
			name: "Japanese",
			header: "整理番号,氏名,言語,メールアドレス,携帯電話番号,在留資格,在留カード有効期限," +
				"マイナンバーカード有効期限,電子証明書有効期限,特定在留カード有効期限,同意,通知方法",
			want: Columns,
		},
		{name: "宛名番号 メール 電話番号", header: "宛名番号,言語,メール,電話番号", want: []Column{ColRef, ColLanguage, ColEmail, ColPhone}},
		{
			name:   "case width spaces hyphens",
			header: " Resident Ref ,ＬＡＮＧＵＡＧＥ,E-Mail,Residence-Card Expires On,\"mynumber card expires on\"",
			want:   []Column{ColRef, ColLanguage, ColEmail, ColResidenceCard, ColMyNumberCard},
		},
		{name: "English variants", header: "ref,language,email_address,mobile,status", want: []Column{ColRef, ColLanguage, ColEmail, ColPhone, ColStatus}},
		{name: "half-width katakana", header: "宛名番号,言語,ﾒｰﾙｱﾄﾞﾚｽ", want: []Column{ColRef, ColLanguage, ColEmail}},
		{
			name:   "unknown",
			header: "resident_ref,language,foo",
			err:    `header: column "foo" is unknown (use --ignore-unknown-columns to skip it)`,
		},
		{name: "unknown ignored", header: "resident_ref,language,foo,備考", ignore: true, want: []Column{ColRef, ColLanguage}},
		{
			name:   "unnamed",
			header: "resident_ref,language,",
			err:    `header: column 3 has no name (use --ignore-unknown-columns to skip it)`,
		},
		{name: "unnamed ignored", header: "resident_ref,language,,", ignore: true, want: []Column{ColRef, ColLanguage}},
		{
			name:   "missing resident_ref",
			header: "name,language",
			err:    `header: required column resident_ref is missing`,
		},
		{
			name:   "missing language",
			header: "resident_ref,name",
			err:    `header: required column language is missing`,
		},
		{
			name:   "twice",
			header: "resident_ref,name,language,email,phone,consent,channel,status,メール",
			err:    `header: column "email" appears twice (columns 4 and 9)`,
		},
		{
			name:   "three times",
			header: "resident_ref,phone,language,tel,電話番号",
			err:    `header: column "phone" appears 3 times (columns 2, 4 and 5)`,
		},
		{
			name:   "My Number column",
			header: "resident_ref,language,マイナンバー",
			err:    `header: column "マイナンバー" names the individual number (My Number); Kigen must never receive it: remove the column`,
		},
		{
			name:   "My Number column ignored is still refused",
			header: "resident_ref,language,my_number",
			ignore: true,
			err:    `header: column "my_number" names the individual number (My Number); Kigen must never receive it: remove the column`,
		},
		{
			name:   "個人番号",
			header: "宛名番号,個人番号,言語",
			err:    `header: column "個人番号" names the individual number (My Number); Kigen must never receive it: remove the column`,
		},
		{
			name:   "a My Number as a header",
			header: "resident_ref,language," + mn,
			ignore: true,
			err:    `header: column 3 holds a 12-digit number that is a valid individual number (My Number); Kigen must never receive it — remove it from the file`,
		},
		{
			name:   "every problem at once",
			header: "名前,マイナンバー,foo,email,mail",
			err: strings.Join([]string{
				`header: column "マイナンバー" names the individual number (My Number); Kigen must never receive it: remove the column`,
				`header: column "foo" is unknown (use --ignore-unknown-columns to skip it)`,
				`header: column "email" appears twice (columns 4 and 5)`,
				`header: required column resident_ref is missing`,
				`header: required column language is missing`,
			}, "\n"),
		},
		{
			name:   "no header row: the data is not echoed",
			header: "A-0001,Taro Yamada,en,taro@example.com,090-1234-5678",
			err:    `header: row 1 names none of Kigen's columns (` + fullHeader + `): the first row must be the header`,
		},
		{
			name:   "tab-separated",
			header: "resident_ref\tname\tlanguage",
			err:    "header: row 1 names none of Kigen's columns: the file is tab-separated (TSV), not comma-separated: save it as CSV (in Excel: CSV UTF-8, comma-delimited)",
		},
		{
			name:   "tab-separated, Japanese headers, BOM",
			header: "\uFEFF宛名番号\t氏名\t言語\t在留カード有効期限",
			err:    "header: row 1 names none of Kigen's columns: the file is tab-separated (TSV), not comma-separated: save it as CSV (in Excel: CSV UTF-8, comma-delimited)",
		},
		{
			name:   "semicolon-separated",
			header: "resident_ref;language;email",
			err:    "header: row 1 names none of Kigen's columns: the file is semicolon-separated, not comma-separated: save it as CSV (in Excel: CSV UTF-8, comma-delimited)",
		},
		{
			name:   "tab-separated data without a header: not echoed",
			header: "A-0001\tTaro Yamada\ten",
			err:    `header: row 1 names none of Kigen's columns (` + fullHeader + `): the first row must be the header`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := NewReader(strings.NewReader(tt.header+"\n"), Options{Today: today, IgnoreUnknownColumns: tt.ignore})
			if tt.err != "" {
				var he *HeaderError
				if !errors.As(err, &he) {
					t.Fatalf("err = %v, want a *HeaderError", err)
				}
				if diff := cmp.Diff(tt.err, err.Error()); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
				if got := kigen.ErrorCode(err); got != kigen.EINVALID {
					t.Errorf("ErrorCode = %q, want %q", got, kigen.EINVALID)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			if diff := cmp.Diff(tt.want, r.Columns()); diff != "" {
				t.Errorf("Columns (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewReader_File(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		err  string
	}{
		{name: "empty", file: "", err: "the file is empty: its first row must be the header"},
		{name: "empty lines only", file: "\n\n\r\n", err: "the file is empty: its first row must be the header"},
		{name: "UTF-16LE", file: "\xFF\xFEr\x00e\x00", err: "the file is UTF-16 text: save it as CSV in UTF-8 or Shift_JIS"},
		{name: "binary", file: "PK\x03\x04\x14\x00\x06\x00", err: "the file is not a CSV text file (a spreadsheet must be saved as CSV first)"},
		{name: "syntax error in the header", file: "resident_ref,\"language\n", err: `row 1: a quoted cell is not closed, or has text after its closing " (line 1 of the file)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewReader(strings.NewReader(tt.file), Options{Today: today})
			if err == nil || err.Error() != tt.err {
				t.Fatalf("err = %v, want %s", err, tt.err)
			}
			if got := kigen.ErrorCode(err); got != kigen.EINVALID {
				t.Errorf("ErrorCode = %q, want %q", got, kigen.EINVALID)
			}
		})
	}
	t.Run("options", func(t *testing.T) {
		t.Parallel()
		if _, err := NewReader(strings.NewReader(fullHeader), Options{}); err == nil {
			t.Error("no Today: err = nil")
		}
		_, err := NewReader(strings.NewReader(fullHeader), Options{Today: today, Region: "XX"})
		if want := `"XX" is not a phone region (use a code such as JP)`; err == nil || err.Error() != want {
			t.Errorf("err = %v, want %s", err, want)
		}
	})
}

// japaneseFile is a resident list as a municipality exports it.
const japaneseFile = "宛名番号,氏名,言語,電話番号,在留資格,在留カード有効期限,マイナンバーカード有効期限,同意,通知方法\r\n" +
	"Ａ－０００１,ｸﾞｴﾝ ｳﾞｧﾝ ｱﾝ,ベトナム語,０９０－１２３４－５６７８,技術･人文知識･国際業務,令和9年3月31日,R9.3.31,はい,ショートメール\r\n" +
	"A-0002,髙橋 ①,中文,,特別永住者,,２０３０／０１／３１,,\r\n"

func TestReader_Encodings(t *testing.T) {
	t.Parallel()
	sjis, _, err := transform.String(japanese.ShiftJIS.NewEncoder(), japaneseFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(sjis, "宛名") {
		t.Fatal("the Shift_JIS file was not encoded")
	}
	want := []view{
		{
			Row: 2, Ref: "A-0001", Name: "ｸﾞｴﾝ ｳﾞｧﾝ ｱﾝ", Language: kigen.Vietnamese, Phone: "+819012345678",
			Status: kigen.FixedPeriod, Consent: true, Channel: kigen.PrefSMS,
			Cards: map[kigen.CardKind]kigen.Date{
				kigen.ResidenceCard: kigen.NewDate(2027, time.March, 31),
				kigen.MyNumberCard:  kigen.NewDate(2027, time.March, 31),
			},
		},
		{
			Row: 3, Ref: "A-0002", Name: "髙橋 ①", Language: kigen.Chinese, Status: kigen.SpecialPermanent,
			Cards: map[kigen.CardKind]kigen.Date{
				kigen.ResidenceCard: {},
				kigen.MyNumberCard:  kigen.NewDate(2030, time.January, 31),
			},
		},
	}
	padded, padLines := padRows(sniffSize - 1)
	tests := []struct {
		name  string
		file  string
		enc   string
		shift int // blank rows before the residents
	}{
		{name: "UTF-8", file: japaneseFile, enc: EncodingUTF8},
		{name: "UTF-8 with BOM", file: "\uFEFF" + japaneseFile, enc: EncodingUTF8BOM},
		{name: "Shift_JIS", file: sjis, enc: EncodingSJIS},
		// A long ASCII start puts the first Japanese byte past the sniffed
		// 64 KiB boundary in the middle of a character: the cut must not
		// make a valid UTF-8 file look like Shift_JIS.
		{name: "UTF-8 cut mid-character", file: padded, enc: EncodingUTF8, shift: padLines},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, recs := readAll(t, tt.file, Options{IgnoreUnknownColumns: true})
			if r.Encoding() != tt.enc {
				t.Errorf("Encoding = %q, want %q", r.Encoding(), tt.enc)
			}
			got := views(recs)
			for i := range got {
				got[i].Row -= tt.shift
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

// padRows returns japaneseFile with lines of spaces (blank rows, skipped)
// after its header, so many that the byte at offset at is the first of the
// first resident's full-width reference, and how many lines it added.
func padRows(at int) (string, int) {
	header, rows, _ := strings.Cut(japaneseFile, "\r\n")
	header += "\r\n"
	var b strings.Builder
	b.WriteString(header)
	lines := 0
	for b.Len() < at {
		n := min(at-b.Len(), 1000) - 1
		b.WriteString(strings.Repeat(" ", n) + "\n")
		lines++
	}
	f := b.String() + rows
	if !strings.HasPrefix(f[at:], "Ａ") || utf8.ValidString(f[:sniffSize]) {
		panic("padRows: the sniffed start does not end mid-character")
	}
	return f, lines
}

// view is a Record with its errors as strings, for comparisons.
type view struct {
	Row      int
	Ref      string
	Name     string
	Language kigen.Language
	Email    string
	Phone    string
	Status   kigen.Status
	Cards    map[kigen.CardKind]kigen.Date
	Consent  bool
	Channel  kigen.ChannelPref
	Errs     []string
	Warnings []string
}

func views(recs []*Record) []view {
	var vs []view
	for _, r := range recs {
		vs = append(vs, view{r.Row, r.Ref, r.Name, r.Language, r.Email, r.Phone, r.Status, r.Cards,
			r.Consent, r.Channel, messages(r.Errs), messages(r.Warnings)})
	}
	return vs
}

func TestReader_Row(t *testing.T) {
	t.Parallel()
	mn := myNumber("12345678901")
	mnSpaced := mn[:4] + " " + mn[4:8] + " " + mn[8:]
	mnWide := strings.Map(func(r rune) rune { return r - '0' + '０' }, mn)
	// A mobile number whose E.164 digits happen to be a valid My Number.
	cd, _ := kigen.MyNumberCheckDigit("81901234567")
	phoneLikeMN := fmt.Sprintf("090-1234-567%d", cd)
	const myNumberErr = "holds a 12-digit number that is a valid individual number (My Number); Kigen must never receive it — remove it from the file"
	tests := []struct {
		name     string
		cells    map[Column]string
		opt      Options
		errs     []string
		warnings []string
		check    func(t *testing.T, r *Record)
	}{
		{name: "minimal", cells: map[Column]string{}, check: func(t *testing.T, r *Record) {
			want := view{Row: 2, Ref: "A-0001", Language: kigen.English, Status: kigen.FixedPeriod,
				Cards: map[kigen.CardKind]kigen.Date{kigen.ResidenceCard: {}, kigen.MyNumberCard: {}, kigen.MyNumberCert: {}, kigen.IntegratedCard: {}}}
			if diff := cmp.Diff([]view{want}, views([]*Record{r})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}},
		{name: "everything", cells: map[Column]string{
			ColRef: " A-0001 ", ColName: " Nguyen Van An ", ColLanguage: "Tiếng Việt", ColEmail: "An.Nguyen@Example.JP",
			ColPhone: "+81 90-1234-5678", ColStatus: "Permanent Resident", ColResidenceCard: "2030/4/1",
			ColMyNumberCard: "R12.4.1", ColMyNumberCert: "令和11年4月1日", ColConsent: "YES", ColChannel: "both",
		}, check: func(t *testing.T, r *Record) {
			want := view{Row: 2, Ref: "A-0001", Name: "Nguyen Van An", Language: kigen.Vietnamese,
				Email: "An.Nguyen@example.jp", Phone: "+819012345678", Status: kigen.Permanent,
				Cards: map[kigen.CardKind]kigen.Date{
					kigen.ResidenceCard:  kigen.NewDate(2030, time.April, 1),
					kigen.MyNumberCard:   kigen.NewDate(2030, time.April, 1),
					kigen.MyNumberCert:   kigen.NewDate(2029, time.April, 1),
					kigen.IntegratedCard: {},
				},
				Consent: true, Channel: kigen.PrefBoth}
			if diff := cmp.Diff([]view{want}, views([]*Record{r})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, c := range Columns {
				if !r.Has(c) {
					t.Errorf("Has(%s) = false", c)
				}
			}
		}},

		// resident_ref
		{name: "ref empty", cells: map[Column]string{ColRef: " "}, errs: []string{"resident_ref: is empty"}},
		{name: "ref too long", cells: map[Column]string{ColRef: strings.Repeat("x", 65)}, errs: []string{"resident_ref: is longer than 64 characters"}},
		{name: "ref 64", cells: map[Column]string{ColRef: strings.Repeat("参", 64)}},
		{name: "ref full width", cells: map[Column]string{ColRef: "Ａ－０００１"}, check: func(t *testing.T, r *Record) {
			if r.Ref != "A-0001" {
				t.Errorf("Ref = %q", r.Ref)
			}
		}},
		{name: "ref multi-line", cells: map[Column]string{ColRef: "A\n1"}, errs: []string{"resident_ref: holds a line break or another control character"}},

		// language
		{name: "language empty", cells: map[Column]string{ColLanguage: ""}, errs: []string{"language: is empty"}},
		{name: "language unknown", cells: map[Column]string{ColLanguage: "klingon"},
			errs: []string{`language: "klingon" is not a language Kigen writes in (ja, ja-easy, en, zh, ko, es, pt, th, ne, id, vi, tl)`}},
		{name: "language holding an email", cells: map[Column]string{ColLanguage: "taro@example.jp"},
			errs: []string{`language: is not a language Kigen writes in (ja, ja-easy, en, zh, ko, es, pt, th, ne, id, vi, tl)`}},
		{name: "language unknown, with a fallback", cells: map[Column]string{ColLanguage: "ミャンマー語"}, opt: Options{FallbackLanguage: kigen.English},
			warnings: []string{`language: "ミャンマー語" is not a language Kigen writes in: messages go out in en, the fallback language`},
			check: func(t *testing.T, r *Record) {
				if r.Language != kigen.English {
					t.Errorf("Language = %q, want the fallback en", r.Language)
				}
			}},
		{name: "language empty, with a fallback", cells: map[Column]string{ColLanguage: " "}, opt: Options{FallbackLanguage: kigen.EasyJapan},
			warnings: []string{`language: is empty: messages go out in ja-easy, the fallback language`},
			check: func(t *testing.T, r *Record) {
				if r.Language != kigen.EasyJapan {
					t.Errorf("Language = %q, want the fallback ja-easy", r.Language)
				}
			}},
		{name: "language known, with a fallback", cells: map[Column]string{ColLanguage: "Tiếng Việt"}, opt: Options{FallbackLanguage: kigen.English},
			check: func(t *testing.T, r *Record) {
				if r.Language != kigen.Vietnamese {
					t.Errorf("Language = %q, want vi", r.Language)
				}
			}},
		{name: "language holding a My Number, with a fallback", cells: map[Column]string{ColLanguage: mnSpaced}, opt: Options{FallbackLanguage: kigen.English},
			errs: []string{"language: " + myNumberErr}},

		// residence_status
		{name: "status unknown", cells: map[Column]string{ColStatus: "foo"}, errs: []string{`residence_status: "foo" is not a status of residence`}},
		{name: "status 高度専門職 without its number", cells: map[Column]string{ColStatus: "高度専門職"},
			errs: []string{`residence_status: "高度専門職" is not a status of residence`}},
		{name: "status phone not echoed", cells: map[Column]string{ColStatus: "090-1234-5678"}, errs: []string{`residence_status: is not a status of residence`}},

		// dates
		{name: "date impossible", cells: map[Column]string{ColMyNumberCard: "2027-02-30"},
			errs: []string{`mynumber_card_expires_on: "2027-02-30" is not a date`}},
		{name: "date outside its era", cells: map[Column]string{ColResidenceCard: "H31.5.1"},
			errs: []string{`residence_card_expires_on: "H31.5.1" is outside the Heisei era (1989-01-08 – 2019-04-30)`}},
		{name: "date implausible", cells: map[Column]string{ColResidenceCard: "2040-01-01"},
			errs: []string{`residence_card_expires_on: 2040-01-01 is more than 7 years and 3 months ahead (latest plausible: 2034-02-15)`}},
		{name: "certificate implausible", cells: map[Column]string{ColMyNumberCert: "2033-01-01"},
			errs: []string{`mynumber_cert_expires_on: 2033-01-01 is more than 5 years and 3 months ahead (latest plausible: 2032-02-15)`}},
		{name: "date too early", cells: map[Column]string{ColIntegratedCard: "平成10年1月1日"},
			errs: []string{`integrated_card_expires_on: 1998-01-01 is before 2000-01-01, too early for a card's expiry`}},
		{name: "date past", cells: map[Column]string{ColResidenceCard: "2026/10/1"},
			warnings: []string{`residence_card_expires_on: 2026-10-01 has already passed`}},
		{name: "date full width and era", cells: map[Column]string{ColResidenceCard: "２０２７／０３／３１", ColMyNumberCard: "令和元年5月1日"},
			warnings: []string{`mynumber_card_expires_on: 2019-05-01 has already passed`},
			check: func(t *testing.T, r *Record) {
				if got := r.Cards[kigen.ResidenceCard]; got != kigen.NewDate(2027, time.March, 31) {
					t.Errorf("residence card = %v", got)
				}
			}},
		{name: "date that is a phone number", cells: map[Column]string{ColMyNumberCard: "090-1234-5678"},
			errs: []string{`mynumber_card_expires_on: is not a date`}},
		{name: "date with a time, as a spreadsheet writes it", cells: map[Column]string{ColMyNumberCard: "2027/03/31 0:00"},
			errs: []string{`mynumber_card_expires_on: "2027/03/31 0:00" is not a date form Kigen reads (use 2027-03-31 or 令和9年3月31日)`}},
		{name: "date that is a name", cells: map[Column]string{ColMyNumberCard: "Maria Silva"},
			errs: []string{`mynumber_card_expires_on: is not a date`}},

		// cards on one row
		{name: "residence and integrated", cells: map[Column]string{ColResidenceCard: "2028-01-01", ColIntegratedCard: "2028-01-01"},
			errs: []string{"integrated_card_expires_on: a resident holds a residence card or an integrated card, not both"}},
		{name: "My Number card and integrated", cells: map[Column]string{ColMyNumberCard: "2028-01-01", ColIntegratedCard: "2028-01-01"},
			errs: []string{"integrated_card_expires_on: the integrated card is the My Number card: leave mynumber_card_expires_on blank"}},
		{name: "certificate after the card", cells: map[Column]string{ColMyNumberCard: "2031-03-31", ColMyNumberCert: "2032-01-01"},
			warnings: []string{"mynumber_cert_expires_on: 2032-01-01 is after the card's expiry 2031-03-31 (a certificate never outlives its card)"}},
		{name: "certificate after the integrated card", cells: map[Column]string{ColIntegratedCard: "2031-03-31", ColMyNumberCert: "2032-01-01"},
			warnings: []string{"mynumber_cert_expires_on: 2032-01-01 is after the card's expiry 2031-03-31 (a certificate never outlives its card)"}},
		{name: "certificate on the card's day", cells: map[Column]string{ColMyNumberCard: "2031-03-31", ColMyNumberCert: "2031-03-31"}},

		// email
		{name: "email invalid", cells: map[Column]string{ColEmail: "taro@example"}, errs: []string{"email: is not a valid email address"}},
		{name: "email with a name", cells: map[Column]string{ColEmail: "Taro <taro@example.jp>"}, errs: []string{"email: is not a valid email address"}},
		{name: "email full width", cells: map[Column]string{ColEmail: "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"}, check: func(t *testing.T, r *Record) {
			if r.Email != "taro@example.jp" {
				t.Errorf("Email = %q", r.Email)
			}
		}},

		// phone
		{name: "phone invalid", cells: map[Column]string{ColPhone: "12345"}, errs: []string{"phone: is not a valid phone number (region JP)"}},
		{name: "phone landline", cells: map[Column]string{ColPhone: "03-1234-5678"},
			warnings: []string{"phone: is not a mobile number: SMS cannot reach it"}},
		{name: "phone whose digits are a My Number", cells: map[Column]string{ColPhone: phoneLikeMN}, check: func(t *testing.T, r *Record) {
			if !kigen.ContainsMyNumber(r.Phone) {
				t.Fatalf("%s is not a My Number lookalike", r.Phone)
			}
		}},
		{name: "phone holding a My Number", cells: map[Column]string{ColPhone: mn}, errs: []string{"phone: is not a valid phone number (region JP)"}},

		// consent, channel, name
		{name: "consent", cells: map[Column]string{ColConsent: "maybe"}, errs: []string{`consent: "maybe" is not yes or no`}},
		{name: "consent 済", cells: map[Column]string{ColConsent: "済"}, check: func(t *testing.T, r *Record) {
			if !r.Consent {
				t.Error("Consent = false")
			}
		}},
		{name: "channel", cells: map[Column]string{ColChannel: "fax"}, errs: []string{`channel: "fax" is not email, sms or both`}},
		{name: "name too long", cells: map[Column]string{ColName: strings.Repeat("名", 201)}, errs: []string{"name: is longer than 200 characters"}},
		{name: "name multi-line", cells: map[Column]string{ColName: "Maria\nSilva"}, errs: []string{"name: holds a line break or another control character"}},
		{name: "name reading backwards", cells: map[Column]string{ColName: "Maria \u202eavliS"},
			errs: []string{"name: holds an invisible formatting character (U+202E), which can disguise how it reads"}},
		{name: "name with a zero-width space", cells: map[Column]string{ColName: "Ma\u200bria"},
			errs: []string{"name: holds an invisible formatting character (U+200B), which can disguise how it reads"}},
		{name: "name in Persian with a non-joiner", cells: map[Column]string{ColName: "مهر\u200cآرا"}},
		{name: "ref with a bidirectional isolate", cells: map[Column]string{ColRef: "\u2067A-1\u2069"},
			errs: []string{"resident_ref: holds an invisible formatting character (U+2067), which can disguise how it reads"}},

		// My Numbers
		{name: "My Number as ref", cells: map[Column]string{ColRef: mn}, errs: []string{"resident_ref: " + myNumberErr}},
		{name: "My Number spaced in name", cells: map[Column]string{ColName: "Taro " + mnSpaced}, errs: []string{"name: " + myNumberErr}},
		{name: "My Number full width in consent", cells: map[Column]string{ColConsent: mnWide}, errs: []string{"consent: " + myNumberErr}},
		{name: "My Number in a date", cells: map[Column]string{ColMyNumberCard: mn}, errs: []string{"mynumber_card_expires_on: " + myNumberErr}},
		{name: "My Numbers everywhere", cells: map[Column]string{ColEmail: mn + "@example.jp", ColLanguage: mn, ColChannel: "sms " + mn},
			errs: []string{"language: " + myNumberErr, "email: " + myNumberErr, "channel: " + myNumberErr}},
		{name: "13 digits are not a My Number", cells: map[Column]string{ColName: mn + "0"}},
		{name: "My Number spelled with dots, slashes, spaced hyphens", cells: map[Column]string{
			ColName: mn[:4] + "." + mn[4:8] + "." + mn[8:], ColConsent: mn[:4] + "/" + mn[4:8] + "/" + mn[8:],
			ColChannel: mn[:4] + " - " + mn[4:8] + " - " + mn[8:], ColStatus: mn[:4] + "  " + mn[4:8] + "  " + mn[8:]},
			errs: []string{"name: " + myNumberErr, "residence_status: " + myNumberErr, "consent: " + myNumberErr, "channel: " + myNumberErr}},
		{name: "My Number with zero-width spaces, in Devanagari and Arabic-Indic digits", cells: map[Column]string{
			ColName:   "Taro " + mn[:4] + "\u200b" + mn[4:8] + "\u200b" + mn[8:],
			ColRef:    strings.Map(func(r rune) rune { return r - '0' + '०' }, mn),
			ColStatus: strings.Map(func(r rune) rune { return r - '0' + '٠' }, mn)},
			errs: []string{"resident_ref: " + myNumberErr, "name: " + myNumberErr, "residence_status: " + myNumberErr}},

		{name: "every error of the row", cells: map[Column]string{ColRef: "", ColLanguage: "xx", ColEmail: "no", ColConsent: "peut-être"},
			errs: []string{
				"resident_ref: is empty",
				`language: "xx" is not a language Kigen writes in (ja, ja-easy, en, zh, ko, es, pt, th, ne, id, vi, tl)`,
				"email: is not a valid email address",
				`consent: "peut-être" is not yes or no`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, recs := readAll(t, fullHeader+"\n"+line(tt.cells), tt.opt)
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1", len(recs))
			}
			r := recs[0]
			if diff := cmp.Diff(tt.errs, messages(r.Errs)); diff != "" {
				t.Errorf("Errs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, messages(r.Warnings)); diff != "" {
				t.Errorf("Warnings (-want +got):\n%s", diff)
			}
			if r.OK() != (len(tt.errs) == 0) {
				t.Errorf("OK = %v", r.OK())
			}
			for _, e := range r.Errs {
				if f := fieldOf(e); f == "" {
					t.Errorf("%v: no Field", e)
				}
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func fieldOf(err error) string {
	var e *kigen.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

func TestReader_File(t *testing.T) {
	t.Parallel()
	mn := myNumber("98765432109")
	tests := []struct {
		name    string
		file    string
		opt     Options
		want    []string // per record: "row N: error" lines
		skipped int
		err     string // the error that ends the reading
	}{
		{
			name: "duplicate ref",
			file: "resident_ref,language\nA-0001,en\nA-0002,en\nA-0001,ja\n Ａ-０００２ ,ja\n",
			want: []string{"row 2", "row 3", `row 4: resident_ref: "A-0001" also appears on row 2`, `row 5: resident_ref: "A-0002" also appears on row 3`},
		},
		{
			name: "duplicate long numeric ref is not echoed",
			file: "resident_ref,language\n1234567890123,en\n1234567890123,en\n",
			want: []string{"row 2", "row 3: resident_ref: the same reference also appears on row 2"},
		},
		{
			name:    "blank rows and empty lines keep spreadsheet numbering",
			file:    "resident_ref,language\r\n\r\nA-1,en\r\n,\r\n , 　\r\n\"\",\"\"\r\nA-2,xx\r\n",
			want:    []string{"row 3", "row 7: language: \"xx\" is not a language Kigen writes in (ja, ja-easy, en, zh, ko, es, pt, th, ne, id, vi, tl)"},
			skipped: 3,
		},
		{
			name: "multi-line cell",
			file: "resident_ref,name,language\nA-1,\"two\nlines\",en\nA-2,ok,xx\n",
			want: []string{"row 2: name: holds a line break or another control character", `row 3: language: "xx" is not a language Kigen writes in (ja, ja-easy, en, zh, ko, es, pt, th, ne, id, vi, tl)`},
		},
		{
			name: "too few and too many cells",
			file: "resident_ref,name,language\nA-1,en\nA-2,x,en,extra\nA-3,,en\n",
			want: []string{"row 2: has 2 cells, the header has 3", "row 3: has 4 cells, the header has 3", "row 4"},
		},
		{
			name: "one cell",
			file: "resident_ref,name,language\nA-1\n",
			want: []string{"row 2: has 1 cell, the header has 3"},
		},
		{
			name: "too many cells with a My Number",
			file: "resident_ref,phone,language\nA-1,090-1234-5678,en," + mn + "\n",
			want: []string{"row 2: has 4 cells, the header has 3\nrow 2: column 4: holds a 12-digit number that is a valid individual number (My Number); Kigen must never receive it — remove it from the file"},
		},
		{
			name: "unknown columns ignored but scanned",
			file: "resident_ref,備考,language,\nA-1,個人番号 " + mn + ",en,\nA-2,ok,en," + mn + "\n",
			opt:  Options{IgnoreUnknownColumns: true},
			want: []string{
				"row 2: 備考: holds a 12-digit number that is a valid individual number (My Number); Kigen must never receive it — remove it from the file",
				"row 3: column 4: holds a 12-digit number that is a valid individual number (My Number); Kigen must never receive it — remove it from the file",
			},
		},
		{
			name: "bare quote",
			file: "resident_ref,name,language\nA-1,ok,en\n\nA-2,Taro \"T\" Yamada,en\nA-3,ok,en\n",
			want: []string{"row 2"},
			err:  `row 4: a cell holds a " but does not start with one (put the cell in quotes and double the inner quote: "") (line 4 of the file)`,
		},
		{
			name: "unclosed quote",
			file: "resident_ref,name,language\nA-1,\"ok,en\nA-2,x,en\n",
			err:  `row 2: a quoted cell is not closed, or has text after its closing " (line 3 of the file)`,
		},
		{
			name: "invalid UTF-8 after the sniffed start",
			file: "resident_ref,name,language\nA-1,\x8e\x52\x93\x63,en\n",
			want: []string{"row 2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opt := tt.opt
			opt.Today = today
			r, err := NewReader(strings.NewReader(tt.file), opt)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			var end error
			for {
				rec, err := r.Next()
				if err != nil {
					end = err
					break
				}
				s := fmt.Sprintf("row %d", rec.Row)
				if !rec.OK() {
					var lines []string
					for _, e := range rec.Errs {
						lines = append(lines, fmt.Sprintf("row %d: %v", rec.Row, e))
					}
					s = strings.Join(lines, "\n")
				}
				got = append(got, s)
			}
			if tt.err == "" && end != io.EOF {
				t.Errorf("end = %v, want io.EOF", end)
			} else if tt.err != "" {
				if end == nil || end.Error() != tt.err {
					t.Errorf("end = %v, want %s", end, tt.err)
				}
				if _, again := r.Next(); again != end {
					t.Errorf("Next after an error = %v, want the same error", again)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if r.Skipped() != tt.skipped {
				t.Errorf("Skipped = %d, want %d", r.Skipped(), tt.skipped)
			}
		})
	}
}

func TestReader_InvalidText(t *testing.T) {
	t.Parallel()
	// Valid UTF-8 for 64 KiB, then Shift_JIS bytes: the cell is refused,
	// not stored as mojibake.
	var b bytes.Buffer
	b.WriteString("resident_ref,name,language\n")
	for i := 0; b.Len() < sniffSize; i++ {
		fmt.Fprintf(&b, "A-%d,Name,en\n", i)
	}
	b.WriteString("B-1,\x8e\x52\x93\x63,en\n")
	_, recs := readAll(t, b.String(), Options{})
	last := recs[len(recs)-1]
	want := []string{"name: is not valid UTF-8 text (save the whole file in one encoding: UTF-8 or Shift_JIS)"}
	if diff := cmp.Diff(want, messages(last.Errs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// Shift_JIS with a byte that is not Shift_JIS.
	sjis, _, err := transform.String(japanese.ShiftJIS.NewEncoder(), "宛名番号,氏名,言語\nA-1,")
	if err != nil {
		t.Fatal(err)
	}
	_, recs = readAll(t, sjis+"\x8e\x52\xFF,en\n", Options{})
	want = []string{"name: is not valid Shift_JIS text (save the whole file in one encoding: UTF-8 or Shift_JIS)"}
	if diff := cmp.Diff(want, messages(recs[0].Errs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// longDigits finds a run of 12 or more digits, ASCII or full-width.
var longDigits = regexp.MustCompile(`[0-9０-９]{12,}`)

// TestReader_NeverEchoes puts My Numbers, phone numbers and emails in
// every column, and in every shape, and checks that no message shows them.
func TestReader_NeverEchoes(t *testing.T) {
	t.Parallel()
	mn := myNumber("31415926535")
	values := []string{
		mn, mn[:4] + "-" + mn[4:8] + "-" + mn[8:], "No. " + mn + " (copy)",
		strings.Map(func(r rune) rune { return r - '0' + '０' }, mn),
		"1234567890123456", "090-1234-5678", "+819012345678", "taro@example.jp", "Yamada Taro 090 1234 5678",
	}
	var b strings.Builder
	b.WriteString(fullHeader + ",extra\n")
	for _, v := range values {
		cells := map[Column]string{}
		for _, c := range Columns {
			cells[c] = v
		}
		// Twice, so that the references are duplicates too.
		for range 2 {
			b.WriteString(strings.TrimSuffix(line(cells), "\n") + "," + v + "\n")
		}
	}
	_, recs := readAll(t, b.String(), Options{IgnoreUnknownColumns: true})
	n := 0
	for _, rec := range recs {
		for _, e := range append(append([]error{}, rec.Errs...), rec.Warnings...) {
			n++
			msg := e.Error()
			if longDigits.MatchString(msg) || strings.Contains(msg, "@") || strings.Contains(msg, "1234") ||
				strings.Contains(msg, "Yamada") {
				t.Errorf("row %d: message echoes the value: %s", rec.Row, msg)
			}
		}
	}
	if n == 0 {
		t.Fatal("no message at all")
	}
}

func TestReader_Columns(t *testing.T) {
	t.Parallel()
	r, recs := readAll(t, "language,resident_ref,residence_card_expires_on\nen,A-1,\n", Options{})
	if diff := cmp.Diff([]Column{ColLanguage, ColRef, ColResidenceCard}, r.Columns()); diff != "" {
		t.Errorf("Columns (-want +got):\n%s", diff)
	}
	rec := recs[0]
	for c, want := range map[Column]bool{ColRef: true, ColLanguage: true, ColResidenceCard: true, ColEmail: false, ColConsent: false} {
		if rec.Has(c) != want {
			t.Errorf("Has(%s) = %v, want %v", c, !want, want)
		}
	}
	if d, ok := rec.Cards[kigen.ResidenceCard]; !ok || !d.IsZero() {
		t.Errorf("blank residence card = %v, %v; want the zero Date, present", d, ok)
	}
	if _, ok := rec.Cards[kigen.MyNumberCard]; ok {
		t.Error("absent column has a card entry")
	}
	if rec.Status != "" {
		t.Errorf("absent residence_status: Status = %q, want empty", rec.Status)
	}
}
