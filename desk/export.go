package desk

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/roster"
	"kigen/store"
)

// exportPage is how many residents ExportResidents reads at a time.
const exportPage = 1000

// ExportParams name the municipality of an export (staff: their own).
type ExportParams struct {
	Municipality string `json:"municipality,omitempty"`
}

// ExportResult counts the rows written.
type ExportResult struct {
	Municipality string `json:"municipality"`
	Rows         int    `json:"rows"`
}

// SafeCell returns a CSV cell a spreadsheet will not run as a formula: a
// cell starting with = + - @, a tab or a carriage return gets a leading
// apostrophe (OWASP, "CSV Injection").
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// safeWriter writes CSV records, every cell made safe.
type safeWriter struct{ w *csv.Writer }

func (s safeWriter) write(cells ...string) error {
	for i, c := range cells {
		cells[i] = SafeCell(c)
	}
	return s.w.Write(cells)
}

// ExportResidents writes the municipality's residents as a resident list
// (UTF-8 CSV with the import's own header, roster.Columns, by resident
// ID): the file an import reads back (Japanese phone numbers as dialled in
// Japan, 090…), but for cells made safe for spreadsheets (SafeCell: a
// foreign phone number +1… comes out as '+1…). Consent
// is yes when every contact has it, no otherwise, blank without contacts.
// It reads a page at a time, holding no transaction open, and is audited
// (resident.export) with the number of rows once written.
func (d *Desk) ExportResidents(ctx context.Context, a auth.Actor, p ExportParams, w io.Writer) (*ExportResult, error) {
	mu, err := scope(ctx, d.Store, a, auth.ResidentExport, p.Municipality, "")
	if err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	sw := safeWriter{cw}
	header := make([]string, len(roster.Columns))
	for i, c := range roster.Columns {
		header[i] = string(c)
	}
	if err := sw.write(header...); err != nil {
		return nil, err
	}
	res := &ExportResult{Municipality: mu.Code}
	for after := int64(0); ; {
		rs, err := d.Store.ListResidents(ctx, store.ResidentFilter{MunicipalityID: mu.ID, AfterID: after, Limit: exportPage})
		if err != nil {
			return nil, err
		}
		if len(rs) == 0 {
			break
		}
		ids := make([]int64, len(rs))
		for i, r := range rs {
			ids[i] = r.ID
		}
		contacts, err := d.Store.ListContacts(ctx, mu.ID, ids...)
		if err != nil {
			return nil, err
		}
		cards, err := d.Store.ListCards(ctx, mu.ID, ids...)
		if err != nil {
			return nil, err
		}
		byContact := map[int64][]*kigen.Contact{}
		for _, c := range contacts {
			byContact[c.ResidentID] = append(byContact[c.ResidentID], c)
		}
		byCard := map[int64][]*kigen.Card{}
		for _, c := range cards {
			byCard[c.ResidentID] = append(byCard[c.ResidentID], c)
		}
		for _, r := range rs {
			if err := sw.write(residentRow(r, byContact[r.ID], byCard[r.ID])...); err != nil {
				return nil, err
			}
			res.Rows++
		}
		after = rs[len(rs)-1].ID
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, err
	}
	err = d.do(context.WithoutCancel(ctx), a, auth.ResidentExport, func(tx store.Tx, e *store.AuditEntry) error {
		e.MunicipalityID, e.Detail = mu.ID, fmt.Sprintf("%d residents", res.Rows)
		return nil
	})
	return res, err
}

// residentRow is a resident as a row of roster.Columns.
func residentRow(r *kigen.Resident, contacts []*kigen.Contact, cards []*kigen.Card) []string {
	row := map[roster.Column]string{roster.ColRef: r.Ref, roster.ColName: r.Name, roster.ColLanguage: string(r.Language),
		roster.ColStatus: string(r.Status), roster.ColChannel: string(r.Channel)}
	consent := len(contacts) > 0
	for _, c := range contacts {
		consent = consent && c.Consent
		switch c.Channel {
		case kigen.Email:
			row[roster.ColEmail] = c.Address
		case kigen.SMS:
			row[roster.ColPhone] = nationalPhone(c.Address)
		}
	}
	switch {
	case consent:
		row[roster.ColConsent] = "yes"
	case len(contacts) > 0:
		row[roster.ColConsent] = "no"
	}
	for _, c := range cards {
		row[roster.CardColumn(c.Kind)] = c.ExpiresOn.String()
	}
	out := make([]string, len(roster.Columns))
	for i, c := range roster.Columns {
		out[i] = row[c]
	}
	return out
}

// nationalPhone writes a Japanese number (+81…) as dialled in Japan
// (0…), which the import reads back as the same number and no spreadsheet
// takes for a formula; another country's keeps its +.
func nationalPhone(e164 string) string {
	if rest, ok := strings.CutPrefix(e164, "+81"); ok {
		return "0" + rest
	}
	return e164
}

// FollowupColumns are the columns of ExportFollowup: the section, the
// resident's reference (the import's resident_ref), then what the section
// says of them.
var FollowupColumns = []string{"section", string(roster.ColRef), "reason", "card", "expires_on", "channel", "message_id", "delivery_id", "since", "tick_date"}

// ExportFollowup writes the municipality's follow-up list (WalkFollowup:
// audited as followup.view; it needs the Queue) as CSV, a row per item,
// with FollowupColumns, every cell made safe for spreadsheets (SafeCell).
func (d *Desk) ExportFollowup(ctx context.Context, a auth.Actor, p FollowupParams, w io.Writer) (*ExportResult, error) {
	cw := csv.NewWriter(w)
	sw := safeWriter{cw}
	if err := sw.write(append([]string(nil), FollowupColumns...)...); err != nil {
		return nil, err
	}
	res := &ExportResult{}
	id := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	err := d.WalkFollowup(ctx, a, FollowupParams{Municipality: p.Municipality, Limit: p.Limit}, func(pg *FollowupPage) error {
		res.Municipality = pg.Municipality
		var rows [][]string
		for _, it := range pg.Unreachable {
			rows = append(rows, []string{SectionUnreachable, it.Ref, it.Reason, "", "", "", "", "", "", ""})
		}
		for _, it := range pg.Stale {
			rows = append(rows, []string{SectionStale, it.Ref, "", string(it.Card), it.ExpiresOn.String(), "", "", "", "", ""})
		}
		for _, it := range pg.Unknown {
			rows = append(rows, []string{SectionUnknown, it.Ref, "", "", "", string(it.Channel), id(it.MessageID), id(it.DeliveryID),
				it.Since.Format(time.RFC3339), ""})
		}
		for _, it := range pg.GivenUp {
			rows = append(rows, []string{SectionGivenUp, it.Ref, "", "", "", string(it.Channel), id(it.MessageID), "", "", it.TickDate.String()})
		}
		for _, r := range rows {
			if err := sw.write(r...); err != nil {
				return err
			}
			res.Rows++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	cw.Flush()
	return res, cw.Error()
}
