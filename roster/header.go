package roster

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"kigen"
)

// columnAliases maps a normalised header (headerKey) to its column: the
// English names of docs/cli.md, a few obvious English variants and the
// Japanese names municipal exports use.
var columnAliases = map[string]Column{}

func init() {
	for c, names := range map[Column][]string{
		ColRef: {"resident_ref", "ref", "reference", "resident_reference",
			"整理番号", "宛名番号"},
		ColName: {"name", "full_name", "display_name", "resident_name",
			"氏名", "名前"},
		ColLanguage: {"language", "lang",
			"言語", "使用言語"},
		ColEmail: {"email", "email_address", "mail", "mail_address",
			"メール", "メールアドレス", "eメール", "電子メール"},
		ColPhone: {"phone", "phone_number", "mobile", "mobile_phone", "mobile_number", "tel",
			"電話番号", "携帯電話番号", "携帯番号", "携帯電話"},
		ColStatus: {"residence_status", "status", "status_of_residence",
			"在留資格"},
		ColResidenceCard: {"residence_card_expires_on", "residence_card", "residence_card_expiry",
			"在留カード有効期限", "在留カードの有効期限"},
		ColMyNumberCard: {"mynumber_card_expires_on", "mynumber_card", "mynumber_card_expiry",
			"マイナンバーカード有効期限", "マイナンバーカードの有効期限", "個人番号カード有効期限"},
		ColMyNumberCert: {"mynumber_cert_expires_on", "mynumber_cert", "mynumber_cert_expiry",
			"電子証明書有効期限", "電子証明書の有効期限"},
		ColIntegratedCard: {"integrated_card_expires_on", "integrated_card", "integrated_card_expiry",
			"特定在留カード有効期限", "特定在留カードの有効期限"},
		ColConsent: {"consent",
			"同意", "同意の有無"},
		ColChannel: {"channel", "channel_pref",
			"通知方法", "連絡方法"},
	} {
		for _, n := range names {
			k := headerKey(n)
			if prev, dup := columnAliases[k]; dup && prev != c {
				panic("roster: header alias " + n + " names two columns")
			}
			columnAliases[k] = c
		}
	}
}

// headerKey normalises a header for matching: the byte-order mark and
// surrounding spaces go, NFKC folds full-width and half-width forms, case
// is ignored, and spaces, underscores, hyphens and dots are dropped, so
// "Resident Ref", "resident-ref", "ＲＥＳＩＤＥＮＴ＿ＲＥＦ" and
// "resident_ref" are one name.
func headerKey(h string) string {
	h = norm.NFKC.String(strings.ReplaceAll(h, "\uFEFF", ""))
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == '.' || r == '・' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, h)
}

// LookupColumn returns the column a header names (English or Japanese,
// any case, width or spacing), and false when it names none.
func LookupColumn(header string) (Column, bool) {
	c, ok := columnAliases[headerKey(header)]
	return c, ok
}

// required are the columns every file must have (docs/domain.md §11.9).
var required = []Column{ColRef, ColLanguage}

// HeaderError reports every problem of a file's header row at once. Each
// problem is an EINVALID *kigen.Error with Field "header".
type HeaderError struct {
	Problems []*kigen.Error
}

// Error returns the problems, one a line.
func (e *HeaderError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, so that errors.As finds a *kigen.Error (and
// kigen.ErrorCode reports EINVALID).
func (e *HeaderError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// header is the outcome of reading a header row.
type header struct {
	cols    []Column // per cell: its column, or "" (unknown, ignored)
	names   []string // per cell: the field name errors give it
	present []Column // Kigen columns in file order
}

// parseHeader maps the header cells to columns and collects every problem.
func parseHeader(cells []string, ignoreUnknown bool) (header, error) {
	h := header{cols: make([]Column, len(cells)), names: make([]string, len(cells))}
	var problems []*kigen.Error
	add := func(key, format string, args ...any) {
		problems = append(problems, kigen.FieldKeyf("header", key, format, args...))
	}
	seen := map[Column][]int{}
	known := 0
	// unknown are the unknown columns: desc, and the argument of the
	// catalogs' words (the quoted name, or the column's number).
	type column struct {
		desc, arg string
		quoted    bool
	}
	var unknown []column
	for i, raw := range cells {
		name := strings.TrimSpace(strings.ReplaceAll(raw, "\uFEFF", ""))
		q, quotable := quoteHeader(name)
		desc := fmt.Sprintf("column %d", i+1)
		this := column{desc: desc, arg: strconv.Itoa(i + 1)}
		if quotable {
			desc = "column " + q
			this = column{desc: desc, arg: q, quoted: true}
			h.names[i] = name
		} else {
			h.names[i] = desc
		}
		switch c, ok := LookupColumn(name); {
		case kigen.IsMyNumberHeader(name):
			add("header.mynumber", "%s names the individual number (My Number); Kigen must never receive it: remove the column", desc)
			problems[len(problems)-1] = keyColumn(problems[len(problems)-1], this.quoted, "header.mynumber.q", "header.mynumber.n", this.arg)
		case kigen.ContainsMyNumber(name):
			add("header.mynumber_cell", "column %d %s", i+1, myNumberMessage)
		case ok:
			known++
			h.cols[i] = c
			h.names[i] = string(c)
			if len(seen[c]) == 0 {
				h.present = append(h.present, c)
			}
			seen[c] = append(seen[c], i+1)
		case ignoreUnknown:
		case name == "":
			add("header.no_name", "column %d has no name (use --ignore-unknown-columns to skip it)", i+1)
		default:
			unknown = append(unknown, this)
		}
	}
	if known == 0 {
		if sep := otherSeparator(cells); sep != "" {
			add("header.separator", "row 1 names none of Kigen's columns: the file is %s, not comma-separated: save it as CSV "+
				"(in Excel: CSV UTF-8, comma-delimited)", sep)
			return h, &HeaderError{problems}
		}
		// Most likely the file has no header and row 1 is a resident:
		// listing its cells as unknown columns would echo personal data.
		add("header.none", "row 1 names none of Kigen's columns (%s): the first row must be the header", columnList())
		return h, &HeaderError{problems}
	}
	for _, d := range unknown {
		add("header.unknown", "%s is unknown (use --ignore-unknown-columns to skip it)", d.desc)
		problems[len(problems)-1] = keyColumn(problems[len(problems)-1], d.quoted, "header.unknown.q", "header.unknown.n", d.arg)
	}
	for _, c := range h.present {
		if at := seen[c]; len(at) > 1 {
			add("header.duplicate", "column %s appears %s (columns %s)", strconv.Quote(string(c)), times(len(at)), joinInts(at))
			problems[len(problems)-1].Args = []string{string(c), strconv.Itoa(len(at)), joinInts(at)}
		}
	}
	for _, c := range required {
		if len(seen[c]) == 0 {
			add("header.missing", "required column %s is missing", c)
		}
	}
	if len(problems) > 0 {
		return h, &HeaderError{problems}
	}
	return h, nil
}

// otherSeparator describes the separator of a header row that is not
// comma-separated — tab-separated (TSV), as a spreadsheet's "text" export
// is, or semicolon-separated, as Excel writes CSV in some locales — when a
// cell holds Kigen's column names joined by it; else "".
func otherSeparator(cells []string) string {
	for _, c := range cells {
		for _, sep := range []struct{ sep, name string }{{"\t", "tab-separated (TSV)"}, {";", "semicolon-separated"}} {
			names := 0
			for part := range strings.SplitSeq(c, sep.sep) {
				if _, ok := LookupColumn(part); ok {
					names++
				}
			}
			if names >= 2 {
				return sep.name
			}
		}
	}
	return ""
}

// columnList names every column, for messages.
func columnList() string {
	names := make([]string, len(Columns))
	for i, c := range Columns {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// times says how many times something appears: "twice", "3 times".
func times(n int) string {
	if n == 2 {
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

// joinInts lists numbers as "4 and 9" or "2, 4 and 9".
func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// keyColumn keys a problem of one column: quoted, keyQ with the quoted
// name; else keyN with the column's number.
func keyColumn(e *kigen.Error, quoted bool, keyQ, keyN, arg string) *kigen.Error {
	if quoted {
		return e.Keyed(keyQ, arg)
	}
	return e.Keyed(keyN, arg)
}
