package desk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/store"
)

// The sections of the follow-up list, in the order it gives them.
const (
	SectionUnreachable = "unreachable" // residents no message can reach
	SectionStale       = "stale"       // cards expired too long ago
	SectionUnknown     = "unknown"     // sends whose outcome is unknown
	SectionGivenUp     = "given_up"    // messages the queue gave up on
)

// FollowupSections are the sections, in order.
var FollowupSections = []string{SectionUnreachable, SectionStale, SectionUnknown, SectionGivenUp}

// DefaultFollowupLimit and MaxFollowupLimit bound a page of a section.
const (
	DefaultFollowupLimit = 100
	MaxFollowupLimit     = 1000
)

// FollowupParams name the municipality of a follow-up list (an operator's
// choice; staff get their own), or, with All, every municipality the actor
// may see (an operator's: all of them), in code order; Limit is the size of
// the pages read (default DefaultFollowupLimit, at most MaxFollowupLimit).
type FollowupParams struct {
	Municipality string `json:"municipality,omitempty"`
	All          bool   `json:"all,omitempty"`
	Limit        int    `json:"limit,omitempty"`
}

// FollowupPageParams ask for one page of one section of a municipality's
// follow-up list: the first with no Cursor, the next with the Next of the
// page before.
type FollowupPageParams struct {
	Municipality string `json:"municipality,omitempty"`
	Section      string `json:"section"`
	Cursor       string `json:"cursor,omitempty"`
	Limit        int    `json:"limit,omitempty"`
}

// FollowupPage is a page of one section of a municipality's follow-up list
// (docs/domain.md §4, §7, §11.2, §11.5, §11.18), by resident ref only: no
// addresses, no names. Only the section's own items are set.
type FollowupPage struct {
	Municipality     string            `json:"municipality"` // code
	MunicipalityName string            `json:"municipality_name"`
	Date             kigen.Date        `json:"date"`
	Section          string            `json:"section"`
	Cursor           string            `json:"cursor,omitempty"` // the cursor this page was asked with: "" for the first
	Unreachable      []UnreachableItem `json:"unreachable,omitempty"`
	Stale            []StaleItem       `json:"stale,omitempty"`
	Unknown          []UnknownItem     `json:"unknown,omitempty"`
	GivenUp          []GivenUpItem     `json:"given_up,omitempty"`
	// Next is the cursor of the next page, "" after the section's last.
	Next string `json:"next,omitempty"`
}

// Len returns how many items the page holds.
func (p *FollowupPage) Len() int {
	return len(p.Unreachable) + len(p.Stale) + len(p.Unknown) + len(p.GivenUp)
}

// FollowupList is a municipality's whole follow-up list, its pages
// gathered (GatherFollowup).
type FollowupList struct {
	Municipality string            `json:"municipality"` // code
	Date         kigen.Date        `json:"date"`
	Unreachable  []UnreachableItem `json:"unreachable"`
	Stale        []StaleItem       `json:"stale"`
	Unknown      []UnknownItem     `json:"unknown"`
	GivenUp      []GivenUpItem     `json:"given_up"`
}

// UnreachableItem is a resident no message can reach, and why (one of the
// Reason constants).
type UnreachableItem struct {
	Ref    string `json:"ref"`
	Reason string `json:"reason"`
}

// StaleItem is a card expired too long ago to be messaged (kigen.Stale).
type StaleItem struct {
	Ref       string         `json:"ref"`
	Card      kigen.CardKind `json:"card"`
	ExpiresOn kigen.Date     `json:"expires_on"`
}

// UnknownItem is a send that may or may not have reached the provider: an
// operator settles it (ResendDelivery, ResolveDelivery).
type UnknownItem struct {
	DeliveryID int64         `json:"delivery_id"`
	MessageID  int64         `json:"message_id"`
	Ref        string        `json:"ref"`
	Channel    kigen.Channel `json:"channel"`
	Since      time.Time     `json:"since"`
}

// GivenUpItem is a message still planned whose deliver job the queue
// discarded (Queue.GivenUp): nothing sends it unless someone retries it
// (RetryMessage).
type GivenUpItem struct {
	MessageID int64         `json:"message_id"`
	Ref       string        `json:"ref"`
	Channel   kigen.Channel `json:"channel"`
	TickDate  kigen.Date    `json:"tick_date"`
}

// Why a resident cannot be reached.
const (
	ReasonNoContact     = "no contact"
	ReasonNoConsent     = "no consent"
	ReasonOptedOut      = "opted out"
	ReasonAddressFailed = "address failed"
	ReasonMessageFailed = "message failed, no other channel"
)

// ErasedRef stands for the ref of a resident erased since their message.
const ErasedRef = "(erased)"

// Followup returns the municipality's whole follow-up list on today
// (WalkFollowup, its pages gathered); with All, the first municipality's.
func (d *Desk) Followup(ctx context.Context, a auth.Actor, p FollowupParams) (*FollowupList, error) {
	var lists []*FollowupList
	err := d.WalkFollowup(ctx, a, p, func(pg *FollowupPage) error {
		lists = GatherFollowup(lists, pg)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return lists[0], nil
}

// GatherFollowup adds a page to the lists of the municipalities walked so
// far (in the order WalkFollowup gives the pages) and returns them.
func GatherFollowup(lists []*FollowupList, pg *FollowupPage) []*FollowupList {
	if n := len(lists); n == 0 || lists[n-1].Municipality != pg.Municipality {
		lists = append(lists, &FollowupList{Municipality: pg.Municipality, Date: pg.Date,
			Unreachable: []UnreachableItem{}, Stale: []StaleItem{}, Unknown: []UnknownItem{}, GivenUp: []GivenUpItem{}})
	}
	l := lists[len(lists)-1]
	l.Unreachable = append(l.Unreachable, pg.Unreachable...)
	l.Stale = append(l.Stale, pg.Stale...)
	l.Unknown = append(l.Unknown, pg.Unknown...)
	l.GivenUp = append(l.GivenUp, pg.GivenUp...)
	return lists
}

// WalkFollowup reads the follow-up list of the municipality p names (or,
// with All, of every municipality a may see, in code order), section by
// section (FollowupSections), a page at a time, and calls fn with each page
// as soon as it is read — every section's first page, even empty — so that
// the first screen shows at once however many residents there are. Each
// page is its own read: a long list holds no transaction open. An error of
// fn stops the walk and is returned. It needs the Queue (the sends it gave
// up on). Each municipality walked is audited (followup.view) with the
// counts shown, also when fn stopped the walk.
func (d *Desk) WalkFollowup(ctx context.Context, a auth.Actor, p FollowupParams, fn func(*FollowupPage) error) error {
	mus, err := d.followupMunicipalities(ctx, a, p)
	if err != nil {
		return err
	}
	q, err := d.queue()
	if err != nil {
		return err
	}
	givenUp, err := q.GivenUp(ctx)
	if err != nil {
		return err
	}
	today := d.today()
	for _, mu := range mus {
		counts := map[string]int{}
		err := d.walkMunicipality(ctx, mu, today, givenUp, followupLimit(p.Limit), counts, fn)
		if aerr := d.auditFollowup(ctx, a, mu, counts); err == nil {
			err = aerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// followupMunicipalities are the municipalities a walk covers.
func (d *Desk) followupMunicipalities(ctx context.Context, a auth.Actor, p FollowupParams) ([]*kigen.Municipality, error) {
	if !p.All {
		mu, err := scope(ctx, d.Store, a, auth.FollowupView, p.Municipality, "")
		return []*kigen.Municipality{mu}, err
	}
	if err := mayTake(a, auth.FollowupView, ""); err != nil {
		return nil, err
	}
	ms, err := d.Store.ListMunicipalities(ctx)
	if err != nil {
		return nil, err
	}
	var out []*kigen.Municipality
	for _, mu := range ms {
		if auth.Authorize(a, auth.FollowupView, mu.ID) == nil {
			out = append(out, mu)
		}
	}
	if len(out) == 0 {
		return nil, kigen.Errorf(kigen.ENOTFOUND, "no municipality yet")
	}
	return out, nil
}

// walkMunicipality calls fn with every page of mu's list, counting the
// items by section.
func (d *Desk) walkMunicipality(ctx context.Context, mu *kigen.Municipality, today kigen.Date, givenUp []int64, limit int,
	counts map[string]int, fn func(*FollowupPage) error) error {
	for _, section := range FollowupSections {
		for cursor := ""; ; {
			pg, err := followupPage(ctx, d.Store, mu, today, givenUp, section, cursor, limit)
			if err != nil {
				return err
			}
			counts[section] += pg.Len()
			if err := fn(pg); err != nil {
				return err
			}
			if pg.Next == "" {
				break
			}
			cursor = pg.Next
		}
	}
	return nil
}

// auditFollowup records that a was shown mu's list, with the counts.
func (d *Desk) auditFollowup(ctx context.Context, a auth.Actor, mu *kigen.Municipality, counts map[string]int) error {
	detail := fmt.Sprintf("%d unreachable, %d stale, %d unknown, %d given up",
		counts[SectionUnreachable], counts[SectionStale], counts[SectionUnknown], counts[SectionGivenUp])
	err := d.do(context.WithoutCancel(ctx), a, auth.FollowupView, func(tx store.Tx, e *store.AuditEntry) error {
		e.MunicipalityID, e.Detail = mu.ID, detail
		return nil
	})
	if err == nil {
		d.logger().Info("followup listed", slog.Int64("municipality_id", mu.ID), slog.Int("unreachable", counts[SectionUnreachable]),
			slog.Int("stale", counts[SectionStale]), slog.Int("unknown", counts[SectionUnknown]), slog.Int("given_up", counts[SectionGivenUp]))
	}
	return err
}

// FollowupPage returns one page of one section of the municipality's
// follow-up list on today: the API's and the console's read. A section's
// first page (no cursor) is audited (followup.view); the pages after it
// continue the same look and are not. The given-up section needs the Queue.
func (d *Desk) FollowupPage(ctx context.Context, a auth.Actor, p FollowupPageParams) (*FollowupPage, error) {
	if !slices.Contains(FollowupSections, p.Section) {
		return nil, kigen.FieldKeyf("section", "followup.section", "%s is not a section: %s", strconv.Quote(p.Section), strings.Join(FollowupSections, ", "))
	}
	mu, err := scope(ctx, d.Store, a, auth.FollowupView, p.Municipality, "")
	if err != nil {
		return nil, err
	}
	var givenUp []int64
	if p.Section == SectionGivenUp {
		q, err := d.queue()
		if err != nil {
			return nil, err
		}
		if givenUp, err = q.GivenUp(ctx); err != nil {
			return nil, err
		}
	}
	pg, err := followupPage(ctx, d.Store, mu, d.today(), givenUp, p.Section, p.Cursor, followupLimit(p.Limit))
	if err != nil || p.Cursor != "" {
		return pg, err
	}
	return pg, d.do(ctx, a, auth.FollowupView, func(tx store.Tx, e *store.AuditEntry) error {
		e.MunicipalityID, e.Detail = mu.ID, fmt.Sprintf("%s: first page, %d", p.Section, pg.Len())
		return nil
	})
}

// followupLimit is the page size asked for, bounded.
func followupLimit(n int) int {
	if n <= 0 {
		return DefaultFollowupLimit
	}
	return min(n, MaxFollowupLimit)
}

// followupPage reads the page of section after cursor: up to limit items,
// each query bounded by the page, through the store's indexes.
func followupPage(ctx context.Context, q store.Queries, mu *kigen.Municipality, today kigen.Date, givenUp []int64, section, cursor string, limit int) (*FollowupPage, error) {
	pg := &FollowupPage{Municipality: mu.Code, MunicipalityName: mu.Name, Date: today, Section: section, Cursor: cursor}
	var err error
	switch section {
	case SectionUnreachable:
		err = unreachablePage(ctx, q, mu, pg, limit)
	case SectionStale:
		err = stalePage(ctx, q, mu, today, pg, limit)
	case SectionUnknown:
		err = unknownPage(ctx, q, mu, pg, limit)
	case SectionGivenUp:
		err = givenUpPage(ctx, q, mu, givenUp, pg, limit)
	}
	return pg, err
}

// badCursor refuses a cursor that is not one a page gave.
func badCursor(cursor string) error {
	return kigen.FieldKeyf("cursor", "followup.cursor", "%s is not a cursor of this section", strconv.Quote(cursor))
}

// unreachablePage reads the residents no message can reach (no channel
// kigen.SendChannels finds: cursor "r<ID>"), then those whose latest
// message failed for good with no other usable channel ("f<ID>").
func unreachablePage(ctx context.Context, q store.Queries, mu *kigen.Municipality, pg *FollowupPage, limit int) error {
	phase, after := "r", int64(0)
	if pg.Cursor != "" {
		var err error
		phase = pg.Cursor[:1]
		if after, err = strconv.ParseInt(pg.Cursor[1:], 10, 64); err != nil || (phase != "r" && phase != "f") {
			return badCursor(pg.Cursor)
		}
	}
	f := store.FollowupFilter{MunicipalityID: mu.ID, Limit: limit}
	for len(pg.Unreachable) < limit {
		f.AfterID = after
		var (
			rs     []*kigen.Resident
			failed = map[int64]*kigen.Message{}
			err    error
		)
		if phase == "r" {
			rs, err = q.ListUnreachableCandidates(ctx, f)
		} else {
			var fms []store.FailedMessage
			fms, err = q.ListFailedMessages(ctx, f)
			ids := make([]int64, len(fms))
			for i, fm := range fms {
				ids[i], failed[fm.Message.ResidentID] = fm.Message.ResidentID, fm.Message
			}
			if err == nil && len(ids) > 0 {
				rs, err = q.ListResidents(ctx, store.ResidentFilter{MunicipalityID: mu.ID, IDs: ids, Limit: len(ids)})
			}
		}
		if err != nil {
			return err
		}
		if len(rs) == 0 && phase == "r" {
			phase, after = "f", 0
			continue
		} else if len(rs) == 0 {
			return nil
		}
		usable, err := usableChannels(ctx, q, mu.ID, rs)
		if err != nil {
			return err
		}
		for _, r := range rs {
			after = r.ID
			if reason := unreachable(usable[r.ID], failed[r.ID]); reason != "" {
				pg.Unreachable = append(pg.Unreachable, UnreachableItem{Ref: r.Ref, Reason: reason})
			}
			if len(pg.Unreachable) == limit {
				break
			}
		}
	}
	pg.Next = phase + strconv.FormatInt(after, 10)
	return nil
}

// residentContacts are a resident's contacts and the channels messages can
// go to.
type residentContacts struct {
	contacts []*kigen.Contact
	send     []kigen.Channel // kigen.SendChannels
}

// usableChannels reads the contacts of rs (of municipality mu).
func usableChannels(ctx context.Context, q store.Queries, mu int64, rs []*kigen.Resident) (map[int64]residentContacts, error) {
	ids := make([]int64, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	cs, err := q.ListContacts(ctx, mu, ids...)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]residentContacts, len(rs))
	for _, c := range cs {
		rc := out[c.ResidentID]
		rc.contacts = append(rc.contacts, c)
		out[c.ResidentID] = rc
	}
	for _, r := range rs {
		rc := out[r.ID]
		values := make([]kigen.Contact, len(rc.contacts))
		for i, c := range rc.contacts {
			values[i] = *c
		}
		rc.send = kigen.SendChannels(r.Channel, values)
		out[r.ID] = rc
	}
	return out, nil
}

// unreachable says why no message can reach a resident with these
// contacts ("" if one can): no channel at all, or (failed, their latest
// failed message) none usable but the one that failed for good
// (docs/domain.md §7).
func unreachable(rc residentContacts, failed *kigen.Message) string {
	if failed == nil {
		if len(rc.send) == 0 {
			return unreachableReason(rc.contacts)
		}
		return ""
	}
	if len(rc.send) == 0 {
		return "" // listed among those with no channel
	}
	for _, c := range rc.contacts {
		if c.Usable() && c.Channel != failed.Channel {
			return ""
		}
	}
	return ReasonMessageFailed
}

// stalePage reads the cards gone stale (kigen.Stale): cursor
// "YYYY-MM-DD/ID" of the last card read.
func stalePage(ctx context.Context, q store.Queries, mu *kigen.Municipality, today kigen.Date, pg *FollowupPage, limit int) error {
	f := store.FollowupFilter{MunicipalityID: mu.ID, Before: kigen.StaleBefore(today), Limit: limit}
	if pg.Cursor != "" {
		day, id, ok := strings.Cut(pg.Cursor, "/")
		var err1, err2 error
		f.AfterDate, err1 = kigen.ParseISODate(day)
		f.AfterID, err2 = strconv.ParseInt(id, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return badCursor(pg.Cursor)
		}
	}
	for len(pg.Stale) < limit {
		cards, err := q.ListStaleCards(ctx, f)
		if err != nil || len(cards) == 0 {
			return err
		}
		for _, sc := range cards {
			f.AfterDate, f.AfterID = sc.Card.ExpiresOn, sc.Card.ID
			if kigen.Stale(*sc.Card, today) {
				pg.Stale = append(pg.Stale, StaleItem{Ref: sc.Ref, Card: sc.Card.Kind, ExpiresOn: sc.Card.ExpiresOn})
			}
			if len(pg.Stale) == limit {
				break
			}
		}
	}
	pg.Next = f.AfterDate.String() + "/" + strconv.FormatInt(f.AfterID, 10)
	return nil
}

// unknownPage reads the sends whose outcome is unknown: cursor the last
// delivery's ID.
func unknownPage(ctx context.Context, q store.Queries, mu *kigen.Municipality, pg *FollowupPage, limit int) error {
	after, err := idCursor(pg.Cursor)
	if err != nil {
		return err
	}
	sends, err := q.ListUnknownSends(ctx, store.FollowupFilter{MunicipalityID: mu.ID, AfterID: after, Limit: limit})
	if err != nil {
		return err
	}
	for _, us := range sends {
		pg.Unknown = append(pg.Unknown, UnknownItem{DeliveryID: us.Delivery.ID, MessageID: us.Message.ID, Ref: cmp.Or(us.Ref, ErasedRef),
			Channel: us.Message.Channel, Since: us.Delivery.UpdatedAt.In(kigen.Tokyo)})
	}
	if len(sends) == limit {
		pg.Next = strconv.FormatInt(sends[len(sends)-1].Delivery.ID, 10)
	}
	return nil
}

// givenUpPage reads the messages of mu still planned among those the queue
// gave up on (givenUp, of every municipality): cursor the last message's
// ID.
func givenUpPage(ctx context.Context, q store.Queries, mu *kigen.Municipality, givenUp []int64, pg *FollowupPage, limit int) error {
	after, err := idCursor(pg.Cursor)
	if err != nil {
		return err
	}
	ids := slices.Sorted(slices.Values(givenUp))
	for _, id := range ids[sort.Search(len(ids), func(i int) bool { return ids[i] > after }):] {
		msg, err := q.GetMessage(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if msg.MunicipalityID != mu.ID || msg.State != kigen.MessagePlanned {
			continue
		}
		if len(pg.GivenUp) == limit {
			pg.Next = strconv.FormatInt(pg.GivenUp[limit-1].MessageID, 10)
			return nil
		}
		ref := ErasedRef
		if r, err := q.GetResident(ctx, mu.ID, msg.ResidentID); err == nil {
			ref = r.Ref
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		pg.GivenUp = append(pg.GivenUp, GivenUpItem{MessageID: msg.ID, Ref: ref, Channel: msg.Channel, TickDate: msg.TickDate})
	}
	return nil
}

// idCursor reads a cursor that is an ID ("" for the first page: 0).
func idCursor(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil {
		return 0, badCursor(cursor)
	}
	return id, nil
}

// unreachableReason says why no message can go to a resident with these
// contacts.
func unreachableReason(cs []*kigen.Contact) string {
	var withAddress, consented, optedOut, failed int
	for _, c := range cs {
		if c.Address == "" {
			continue
		}
		withAddress++
		if c.Consent {
			consented++
		}
		if c.OptedOut {
			optedOut++
		}
		if c.Failed {
			failed++
		}
	}
	switch {
	case withAddress == 0:
		return ReasonNoContact
	case optedOut > 0:
		return ReasonOptedOut
	case consented == 0:
		return ReasonNoConsent
	case failed > 0:
		return ReasonAddressFailed
	}
	return ReasonNoContact
}
