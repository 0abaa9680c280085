package roster

import (
	"errors"
	"fmt"
	"slices"

	"github.com/nyaruka/phonenumbers"
)

// ParseFields reads one resident given as the text of some columns (a form
// at the counter, a JSON body): exactly as a file holding only those
// columns reads its row, with the same rules, errors and warnings, each
// naming its column (docs/cli.md, resident lists). A column absent from
// fields is absent from the Record (Has is false: the stored value stays);
// an empty text clears it. The Record's Row is 2, the first row of such a
// file. Options are those of NewReader (Today required); an unknown column
// or a bad Region is an error.
func ParseFields(fields map[Column]string, opt Options) (*Record, error) {
	if !opt.Today.Valid() {
		return nil, errors.New("roster: Options.Today is not a date")
	}
	if opt.Region == "" {
		opt.Region = "JP"
	}
	if !phonenumbers.GetSupportedRegions()[opt.Region] {
		return nil, fmt.Errorf("roster: %q is not a phone region", opt.Region)
	}
	rd := &Reader{opt: opt, phoneIdx: -1, refs: map[string]int{}, row: 2, has: make(map[Column]bool, len(fields))}
	var cells []string
	for _, c := range Columns {
		v, ok := fields[c]
		if !ok {
			continue
		}
		rd.h.cols = append(rd.h.cols, c)
		rd.h.names = append(rd.h.names, string(c))
		rd.h.present = append(rd.h.present, c)
		rd.has[c] = true
		if _, card := cardColumns[c]; card {
			rd.cardCols++
		}
		if c == ColPhone {
			rd.phoneIdx = len(cells)
		}
		cells = append(cells, v)
	}
	for c := range fields {
		if !slices.Contains(Columns, c) {
			return nil, fmt.Errorf("roster: %q is not a column", c)
		}
	}
	return rd.parse(cells), nil
}
