package desk

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode"

	"kigen"
	"kigen/auth"
	"kigen/roster"
	"kigen/store"
)

// DefaultResidentLimit and MaxResidentLimit bound a page of ListResidents.
const (
	DefaultResidentLimit = 50
	MaxResidentLimit     = 100
)

// MaxExpiringWithin is the longest ExpiringWithin, in days (ten years).
const MaxExpiringWithin = 3660

// ListResidentsParams search the municipality's residents. Every condition
// given must hold.
type ListResidentsParams struct {
	Municipality string `json:"municipality,omitempty"`
	// Search is what a clerk types in one box: an email address (it holds
	// an @), a phone number (digits starting with 0 or +, ten or more),
	// else a reference prefix or a part of the name.
	Search string `json:"search,omitempty"`
	// Ref is a reference prefix; Name a part of the name (any case; kana
	// and Latin as stored); Email and Phone are matched exactly, read as
	// an import reads them.
	Ref   string `json:"ref,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	// ExpiringWithin: a card expiring within this many days from today
	// (today included; 0: no such condition).
	ExpiringWithin int    `json:"expiring_within,omitempty"`
	GapOpen        bool   `json:"gap_open,omitempty"`
	Unreachable    bool   `json:"unreachable,omitempty"`
	Language       string `json:"language,omitempty"`
	Status         string `json:"status,omitempty"`
	// Cursor is the Next of the page before ("" for the first); Limit the
	// page size (default DefaultResidentLimit, at most MaxResidentLimit).
	Cursor string `json:"cursor,omitempty"`
	Limit  int    `json:"limit,omitempty"`
}

// ResidentList is a page of residents, by reference (bytewise).
type ResidentList struct {
	Municipality string         `json:"municipality"`
	Date         kigen.Date     `json:"date"`
	Residents    []ResidentItem `json:"residents"`
	// Next is the cursor of the next page; "" after the last.
	Next string `json:"next,omitempty"`
}

// ResidentItem is a resident in a list.
type ResidentItem struct {
	Ref      string         `json:"ref"`
	Name     string         `json:"name"`
	Language kigen.Language `json:"language"`
	Status   kigen.Status   `json:"status"`
	// SoonestExpiry is the earliest expiry of their cards (zero: no card),
	// DaysLeft the days until it from the list's date.
	SoonestExpiry kigen.Date `json:"soonest_expiry,omitzero"`
	DaysLeft      int        `json:"days_left"`
	GapOpen       bool       `json:"gap_open"`
	Unreachable   bool       `json:"unreachable"`
	// Source is where the resident came from: staff (the counter, an
	// import) or self (signed up themselves).
	Source store.ResidentSource `json:"source"`
}

// residentSearch reads p into the store's search for mu on today; the
// problems are invalid, each naming its param.
func residentSearch(p ListResidentsParams, mu *kigen.Municipality, today kigen.Date) (store.ResidentSearch, error) {
	f := store.ResidentSearch{MunicipalityID: mu.ID, GapOpen: p.GapOpen, Unreachable: p.Unreachable}
	var err error
	if q := strings.TrimSpace(p.Search); q != "" {
		switch {
		case strings.ContainsAny(q, "@＠"):
			if f.Email, err = roster.ParseEmail(q); err != nil {
				return f, kigen.WithField(err, "search")
			}
		case looksLikePhone(q):
			ph, err := roster.ParsePhone(q, "JP")
			if err != nil {
				return f, kigen.WithField(err, "search")
			}
			f.Phone = ph.E164
		default:
			f.Text = roster.NormalizeRef(q)
		}
	}
	if p.Ref != "" {
		f.RefPrefix = roster.NormalizeRef(p.Ref)
	}
	f.NameContains = strings.TrimSpace(p.Name)
	if p.Email != "" {
		if f.Email, err = roster.ParseEmail(p.Email); err != nil {
			return f, kigen.WithField(err, "email")
		}
	}
	if p.Phone != "" {
		ph, err := roster.ParsePhone(p.Phone, "JP")
		if err != nil {
			return f, kigen.WithField(err, "phone")
		}
		f.Phone = ph.E164
	}
	if p.Language != "" {
		if f.Language, err = roster.ParseLanguage(p.Language); err != nil {
			return f, kigen.WithField(err, "language")
		}
	}
	if p.Status != "" {
		if f.Status, err = roster.ParseStatus(p.Status); err != nil {
			return f, kigen.WithField(err, "status")
		}
	}
	switch n := p.ExpiringWithin; {
	case n < 0 || n > MaxExpiringWithin:
		return f, kigen.FieldKeyf("expiring_within", "list.expiring_within", "%d is not a number of days from 0 to %d", n, MaxExpiringWithin)
	case n > 0:
		f.ExpiresFrom, f.ExpiresTo = today, today.AddDays(n)
	}
	if kigen.ContainsMyNumber(f.Text) || kigen.ContainsMyNumber(f.RefPrefix) || kigen.ContainsMyNumber(f.NameContains) {
		return f, kigen.FieldKeyf("search", "mynumber", kigen.MyNumberReason)
	}
	return f, nil
}

// looksLikePhone reports whether q is typed like a phone number: digits
// (ten or more), starting with 0 or +, with only spaces, hyphens and
// brackets besides.
func looksLikePhone(q string) bool {
	q = roster.NormalizeRef(q)
	if q == "" || (q[0] != '0' && q[0] != '+') {
		return false
	}
	digits := 0
	for _, r := range q {
		switch {
		case unicode.IsDigit(r):
			digits++
		case strings.ContainsRune("+- ()", r):
		default:
			return false
		}
	}
	return digits >= 10
}

// encodeCursor and decodeCursor make a page's last ref an opaque cursor.
func encodeCursor(ref string) string { return base64.RawURLEncoding.EncodeToString([]byte("r:" + ref)) }

func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), "r:") || len(b) == 2 {
		return "", kigen.FieldKeyf("cursor", "list.cursor", "is not a cursor of this list")
	}
	return string(b[2:]), nil
}

// ListResidents returns a page of the municipality's residents that p
// selects, by reference: names and languages, the soonest expiry, whether
// a gap is open and whether they cannot be reached. Every page read is
// audited (resident.list) with the conditions named and the count shown,
// never what was searched for.
func (d *Desk) ListResidents(ctx context.Context, a auth.Actor, p ListResidentsParams) (*ResidentList, error) {
	limit := p.Limit
	switch {
	case limit == 0:
		limit = DefaultResidentLimit
	case limit < 0 || limit > MaxResidentLimit:
		return nil, kigen.FieldKeyf("limit", "list.limit", "%d is not a page size from 1 to %d", limit, MaxResidentLimit)
	}
	today := d.today()
	var list *ResidentList
	err := d.do(ctx, a, auth.ResidentList, func(tx store.Tx, e *store.AuditEntry) error {
		mu, err := scope(ctx, tx, a, auth.ResidentList, p.Municipality, "")
		if err != nil {
			return err
		}
		f, err := residentSearch(p, mu, today)
		if err != nil {
			return err
		}
		if p.Cursor != "" {
			if f.AfterRef, err = decodeCursor(p.Cursor); err != nil {
				return err
			}
		}
		f.Limit = limit + 1 // one more: is there a next page?
		rows, err := tx.SearchResidents(ctx, f)
		if err != nil {
			return err
		}
		list = &ResidentList{Municipality: mu.Code, Date: today, Residents: []ResidentItem{}}
		if len(rows) > limit {
			rows = rows[:limit]
			list.Next = encodeCursor(rows[limit-1].Ref)
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		sources, err := tx.ResidentSources(ctx, mu.ID, ids...)
		if err != nil {
			return err
		}
		for _, r := range rows {
			it := ResidentItem{Ref: r.Ref, Name: r.Name, Language: r.Language, Status: r.Status, SoonestExpiry: r.SoonestExpiry,
				GapOpen: r.GapOpen, Unreachable: r.Unreachable, Source: sources[r.ID]}
			if !r.SoonestExpiry.IsZero() {
				it.DaysLeft = r.SoonestExpiry.Sub(today)
			}
			list.Residents = append(list.Residents, it)
		}
		e.MunicipalityID = mu.ID
		e.Detail = fmt.Sprintf("%s: %d shown", searchNames(f), len(list.Residents))
		return nil
	})
	return list, err
}

// searchNames names the conditions of f, never their values.
func searchNames(f store.ResidentSearch) string {
	var names []string
	for _, x := range []struct {
		on   bool
		name string
	}{{f.Text != "", "text"}, {f.RefPrefix != "", "ref"}, {f.NameContains != "", "name"}, {f.Email != "", "email"},
		{f.Phone != "", "phone"}, {f.Language != "", "language"}, {f.Status != "", "status"},
		{!f.ExpiresTo.IsZero(), fmt.Sprintf("expiring by %s", f.ExpiresTo)}, {f.GapOpen, "gap open"},
		{f.Unreachable, "unreachable"}, {f.AfterRef != "", "next page"}} {
		if x.on {
			names = append(names, x.name)
		}
	}
	if len(names) == 0 {
		return "all"
	}
	return strings.Join(names, ", ")
}

// TodayParams name the municipality (staff: their own).
type TodayParams struct {
	Municipality string `json:"municipality,omitempty"`
}

// TodayView is a municipality's day at a glance: each count is the length
// of the list behind it.
type TodayView struct {
	Municipality     string     `json:"municipality"`
	MunicipalityName string     `json:"municipality_name"`
	Date             kigen.Date `json:"date"`
	// SentToday: messages of today's tick the providers took.
	SentToday int `json:"sent_today"`
	// Failed24h and Failed7d: messages that failed for good in the last
	// 24 hours and 7 days.
	Failed24h int `json:"failed_24h"`
	Failed7d  int `json:"failed_7d"`
	// Unreachable: ListResidents with Unreachable (the follow-up list's
	// residents with no channel).
	Unreachable int `json:"unreachable"`
	// GapsOpen: ListResidents with GapOpen.
	GapsOpen int `json:"gaps_open"`
	// Expiring30 and Expiring90: ListResidents with ExpiringWithin 30 and
	// 90 (residents with a card expiring by then).
	Expiring30 int `json:"expiring_30"`
	Expiring90 int `json:"expiring_90"`
}

// Today counts, for the municipality, the reminders sent today and those
// failing, the residents who cannot be reached, the renewal gaps open and
// the residents with a card expiring within 30 and 90 days — each count
// the same as the list behind it (ListResidents with the same condition).
// Counts show no personal data; the look is audited (municipality.today).
func (d *Desk) Today(ctx context.Context, a auth.Actor, p TodayParams) (*TodayView, error) {
	var v *TodayView
	today, now := d.today(), d.now()
	err := d.do(ctx, a, auth.MunicipalityToday, func(tx store.Tx, e *store.AuditEntry) error {
		mu, err := scope(ctx, tx, a, auth.MunicipalityToday, p.Municipality, "")
		if err != nil {
			return err
		}
		v = &TodayView{Municipality: mu.Code, MunicipalityName: mu.Name, Date: today}
		if v.SentToday, err = tx.CountSentMessages(ctx, mu.ID, today); err != nil {
			return err
		}
		if v.Failed24h, err = tx.CountFailedMessages(ctx, mu.ID, now.Add(-24*time.Hour)); err != nil {
			return err
		}
		if v.Failed7d, err = tx.CountFailedMessages(ctx, mu.ID, now.Add(-7*24*time.Hour)); err != nil {
			return err
		}
		for _, c := range []struct {
			n *int
			p ListResidentsParams
		}{{&v.Unreachable, ListResidentsParams{Unreachable: true}}, {&v.GapsOpen, ListResidentsParams{GapOpen: true}},
			{&v.Expiring30, ListResidentsParams{ExpiringWithin: 30}}, {&v.Expiring90, ListResidentsParams{ExpiringWithin: 90}}} {
			f, err := residentSearch(c.p, mu, today)
			if err != nil {
				return err
			}
			if *c.n, err = tx.CountResidents(ctx, f); err != nil {
				return err
			}
		}
		e.MunicipalityID = mu.ID
		return nil
	})
	return v, err
}

// MessageView is a message to the resident: the notices it carries and
// where it stands (one of the Message constants), with its times.
type MessageView struct {
	ID       int64         `json:"id"`
	Channel  kigen.Channel `json:"channel"`
	TickDate kigen.Date    `json:"tick_date"`
	State    string        `json:"state"`
	// CreatedAt is when it was planned; UpdatedAt when its state (or its
	// last delivery's) last changed.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Error is the provider's reason of a failed last delivery.
	Error   string          `json:"error,omitempty"`
	Notices []MessageNotice `json:"notices"`
}

// MessageNotice is a notice a message carries.
type MessageNotice struct {
	Card      kigen.CardKind `json:"card"`
	ExpiresOn kigen.Date     `json:"expires_on"`
	Stage     kigen.Stage    `json:"stage"`
}

// ListMessages returns every message sent or planned for the resident,
// oldest first, each with the notices it carries, where it stands and
// when that last changed (the resident's page; GET
// /api/v1/residents/{ref}/messages). ShowResident gives the same by
// notice. Audited as resident.view.
func (d *Desk) ListMessages(ctx context.Context, a auth.Actor, p ResidentParams) ([]MessageView, error) {
	var out []MessageView
	err := d.residentAction(ctx, a, auth.ResidentView, p, func(tx store.Tx, mu *kigen.Municipality, h *store.Holding, e *store.AuditEntry) error {
		ms, err := tx.ListResidentMessages(ctx, mu.ID, h.Resident.ID)
		if err != nil {
			return err
		}
		kinds := map[int64]kigen.CardKind{}
		for _, c := range h.Cards {
			kinds[c.ID] = c.Kind
		}
		notices := map[int64]*kigen.Notice{}
		for _, n := range h.Notices {
			notices[n.ID] = n
		}
		out = make([]MessageView, 0, len(ms))
		now := d.now()
		for _, m := range ms {
			v := MessageView{ID: m.Message.ID, Channel: m.Message.Channel, TickDate: m.Message.TickDate, State: messageStatus(m, now),
				CreatedAt: m.Message.CreatedAt, UpdatedAt: m.Message.UpdatedAt, Notices: []MessageNotice{}}
			if dl := m.Delivery; dl != nil {
				v.UpdatedAt = later(v.UpdatedAt, dl.UpdatedAt)
				if dl.State == kigen.DeliveryFailed || m.Message.State == kigen.MessageFailed {
					v.Error = dl.ErrorReason
				}
			}
			for _, id := range m.Message.NoticeIDs {
				if n := notices[id]; n != nil {
					v.Notices = append(v.Notices, MessageNotice{Card: kinds[n.CardID], ExpiresOn: n.ExpiresOn, Stage: n.Stage})
				}
			}
			out = append(out, v)
		}
		e.Detail = fmt.Sprintf("messages: %d", len(out))
		return nil
	})
	return out, err
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
