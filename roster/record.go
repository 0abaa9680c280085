// Package roster reads and writes resident lists: the CSV files municipal
// staff export from the resident register. It detects the encoding (UTF-8
// with or without BOM, Shift_JIS), maps English and Japanese headers to
// Kigen's columns, and turns each row into domain values with per-row,
// per-field errors. It does no I/O of its own beyond the reader it is given
// and never touches the store.
package roster

import "kigen"

// Column is one of Kigen's CSV columns (docs/cli.md, resident lists).
type Column string

// The columns, in the order Kigen writes them.
const (
	ColRef            Column = "resident_ref"
	ColName           Column = "name"
	ColLanguage       Column = "language"
	ColEmail          Column = "email"
	ColPhone          Column = "phone"
	ColStatus         Column = "residence_status"
	ColResidenceCard  Column = "residence_card_expires_on"
	ColMyNumberCard   Column = "mynumber_card_expires_on"
	ColMyNumberCert   Column = "mynumber_cert_expires_on"
	ColIntegratedCard Column = "integrated_card_expires_on"
	ColConsent        Column = "consent"
	ColChannel        Column = "channel"
)

// Columns lists every column in Kigen's order.
var Columns = []Column{ColRef, ColName, ColLanguage, ColEmail, ColPhone, ColStatus,
	ColResidenceCard, ColMyNumberCard, ColMyNumberCert, ColIntegratedCard, ColConsent, ColChannel}

// CardColumn returns the column holding a card kind's expiry date.
func CardColumn(k kigen.CardKind) Column { return Column(k.Field()) }

// Record is one data row of a resident list, parsed. A field is meaningful
// only when its column is present in the file (Has): an absent column leaves
// the stored value alone, a blank cell in a present column clears it
// (docs/domain.md §11.8).
type Record struct {
	// Row is the row number as a spreadsheet shows it: the header is row 1,
	// the first resident row 2.
	Row int

	Ref      string
	Name     string
	Language kigen.Language
	Email    string // validated, lower-cased domain; "" when blank
	Phone    string // E.164; "" when blank
	Status   kigen.Status
	// Cards holds the expiry date per card kind; the zero Date for a blank
	// cell (the card is removed).
	// Only card columns present in the file have an entry, and a
	// cell refused with an error has none.
	Cards   map[kigen.CardKind]kigen.Date
	Consent bool
	Channel kigen.ChannelPref

	// Errs are the problems of this row, each a *kigen.Error naming its
	// column (Field). A record with errors must not be written.
	// One exception: a row whose number of cells differs from
	// the header's has an error without a Field ("has 2 cells, the header
	// has 12"), and only My Number errors besides, its cells being unread.
	Errs []error
	// Warnings are accepted oddities (an expiry already past, a certificate
	// later than its card), each naming its column.
	Warnings []error

	has map[Column]bool
}

// Has reports whether the column is present in the file.
func (r *Record) Has(c Column) bool { return r.has[c] }

// OK reports whether the row has no error.
func (r *Record) OK() bool { return len(r.Errs) == 0 }
