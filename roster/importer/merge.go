package importer

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"kigen"
	"kigen/roster"
	"kigen/store"
)

// run is one import in progress, inside its transaction.
type run struct {
	tx      store.Tx
	opt     Options
	sum     *Summary
	refused *RefusedError
}

// refuse records problems of rows after every row refused so far, in row
// order: the first MaxListed are kept, the others counted.
func (im *run) refuse(errs []RowError) {
	im.refused.Total += len(errs)
	im.refused.Rows = appendListed(im.refused.Rows, errs)
}

// warn records warnings of rows after every row warned about so far, as
// refuse does problems.
func (im *run) warn(ws []RowError) {
	im.sum.WarningsTotal += len(ws)
	im.sum.Warnings = appendListed(im.sum.Warnings, ws)
}

// appendListed appends to list, in row order (a row's own in their order),
// as many of more as MaxListed leaves room for.
func appendListed(list, more []RowError) []RowError {
	slices.SortStableFunc(more, func(a, b RowError) int { return cmp.Compare(a.Row, b.Row) })
	return append(list, more[:min(len(more), max(0, MaxListed-len(list)))]...)
}

// change is what one row does to one resident.
type change struct {
	rec      *roster.Record
	old      *store.Holding // nil for a new resident
	next     *store.Holding // the merged result
	contacts []*kigen.Contact
	dropCh   []kigen.Channel
	dropCard []kigen.CardKind
}

// batch merges a batch of rows with what is stored, checks each merged
// result and, while the file has no bad row so far, writes the changes.
func (im *run) batch(ctx context.Context, recs []*roster.Record) error {
	mid := im.opt.MunicipalityID
	// A row's problems come from the reader, or, once it is merged, from
	// the cross-field rules: each batch's are put in row order.
	var refused, warned []RowError
	defer func() {
		im.refuse(refused)
		im.warn(warned)
	}()
	ok := readProblems(recs, &refused, &warned)
	if len(ok) == 0 {
		return nil
	}
	refs := make([]string, len(ok))
	for i, rec := range ok {
		refs[i] = rec.Ref
	}
	stored, err := im.tx.ListResidentsByRef(ctx, mid, refs...)
	if err != nil {
		return fmt.Errorf("read stored residents: %w", err)
	}
	holdings, err := store.HoldingsOf(ctx, im.tx, mid, stored)
	if err != nil {
		return err
	}
	byRef := make(map[string]*store.Holding, len(holdings))
	for _, h := range holdings {
		byRef[h.Resident.Ref] = h
	}

	var changes []*change
	for _, rec := range ok {
		ch, errs, warnings := judge(mid, byRef[rec.Ref], rec)
		refused = append(refused, errs...)
		if len(errs) > 0 {
			continue
		}
		warned = append(warned, warnings...)
		im.count(ch)
		if ch.changed() {
			changes = append(changes, ch)
		}
	}
	if im.refused.Total > 0 || len(refused) > 0 || len(changes) == 0 {
		return nil // a refused file writes nothing; keep validating
	}
	return im.write(ctx, changes)
}

// readProblems appends the problems and warnings the reader found in recs
// to refused and warned, and returns the records read without problems.
func readProblems(recs []*roster.Record, refused, warned *[]RowError) []*roster.Record {
	var ok []*roster.Record
	for _, rec := range recs {
		for _, e := range rec.Errs {
			*refused = append(*refused, RowError{Row: rec.Row, Err: e})
		}
		for _, w := range rec.Warnings {
			*warned = append(*warned, RowError{Row: rec.Row, Err: w})
		}
		if rec.OK() {
			ok = append(ok, rec)
		}
	}
	return ok
}

// judge merges a row read without problems with what is stored (old; nil
// for a new resident) and checks the result by the cross-field rules: the
// change, its problems (none: it may be written) and the warnings the row
// did not already give.
func judge(mid int64, old *store.Holding, rec *roster.Record) (*change, []RowError, []RowError) {
	ch := merge(mid, old, rec)
	st := ch.next.State()
	st.PhoneLandline = landline(ch.next)
	errs, warnings := kigen.CheckResident(st)
	refused := make([]RowError, len(errs))
	for i, e := range errs {
		refused[i] = RowError{Row: rec.Row, Err: e}
	}
	return ch, refused, newWarnings(rec, warnings)
}

// landline reports whether the merged resident's phone, from the row or
// stored, is a fixed line.
func landline(h *store.Holding) bool {
	c := h.Contact(kigen.SMS)
	if c == nil || c.Address == "" {
		return false
	}
	p, err := roster.ParsePhone(c.Address, "JP") // E.164: the region is not read
	return err == nil && !p.Mobile
}

// newWarnings returns the merged result's warnings that the row did not
// already give.
func newWarnings(rec *roster.Record, warnings []error) []RowError {
	seen := map[string]bool{}
	for _, w := range rec.Warnings {
		seen[w.Error()] = true
	}
	var out []RowError
	for _, w := range warnings {
		if !seen[w.Error()] {
			out = append(out, RowError{Row: rec.Row, Err: w})
		}
	}
	return out
}

// count adds one merged resident to the summary.
func (im *run) count(ch *change) {
	s := im.sum
	switch {
	case ch.old == nil:
		s.Created++
	case ch.changed():
		s.Updated++
	default:
		s.Unchanged++
	}
	if ch.old != nil {
		for _, n := range ch.next.Cards {
			if o := ch.old.Card(n.Kind); n.Kind.IsResidence() && o != nil && o.ExpiresOn != n.ExpiresOn {
				s.Renewals++
			}
		}
	}
	if ch.next.GapOpen() && (ch.old == nil || !ch.old.GapOpen()) {
		s.GapsOpen++
	}
	h := ch.next.Holder()
	if !h.Reachable {
		s.NoContact++
	}
	for _, cp := range kigen.Plan(h, im.opt.Today).Cards {
		if cp.Stale {
			s.Stale++
		}
	}
}

// merge applies a row to the stored resident (nil if new): an absent column
// keeps the stored value, a blank cell clears it.
func merge(mid int64, old *store.Holding, rec *roster.Record) *change {
	ch := &change{rec: rec, old: old}
	r := &kigen.Resident{MunicipalityID: mid, Ref: rec.Ref, Status: kigen.FixedPeriod}
	if old != nil {
		cp := *old.Resident
		r = &cp
	}
	r.Language = rec.Language
	if rec.Has(roster.ColName) {
		r.Name = rec.Name
	}
	if rec.Has(roster.ColStatus) {
		r.Status = rec.Status
	}
	if rec.Has(roster.ColChannel) {
		r.Channel = rec.Channel
	}
	next := &store.Holding{Resident: r}
	if old != nil {
		next.Notices = old.Notices
	}

	for _, x := range []struct {
		ch    kigen.Channel
		col   roster.Column
		value string
	}{{kigen.Email, roster.ColEmail, rec.Email}, {kigen.SMS, roster.ColPhone, rec.Phone}} {
		var oc *kigen.Contact
		if old != nil {
			oc = old.Contact(x.ch)
		}
		c := &kigen.Contact{ResidentID: r.ID, Channel: x.ch}
		if oc != nil {
			cp := *oc
			c = &cp
		}
		if rec.Has(x.col) {
			if x.value == "" {
				if oc != nil {
					ch.dropCh = append(ch.dropCh, x.ch)
				}
				continue
			}
			c.Address = x.value
		} else if oc == nil {
			continue
		}
		// One consent column covers every contact on the row; without it a
		// stored contact keeps its consent and a new one has none. The
		// resident's own opt-out (and a failed address) is kept: a staff
		// import never switches a channel back on (docs/domain.md §11.17).
		if rec.Has(roster.ColConsent) {
			c.Consent = rec.Consent
		}
		next.Contacts = append(next.Contacts, c)
		if oc == nil || oc.Address != c.Address || oc.Consent != c.Consent {
			ch.contacts = append(ch.contacts, c)
		}
	}

	for _, kind := range kigen.CardKinds {
		var oc *kigen.Card
		if old != nil {
			oc = old.Card(kind)
		}
		if !rec.Has(roster.CardColumn(kind)) {
			if oc != nil {
				cp := *oc
				next.Cards = append(next.Cards, &cp)
			}
			continue
		}
		e := rec.Cards[kind]
		switch {
		case e.IsZero() && oc != nil:
			ch.dropCard = append(ch.dropCard, kind)
		case e.IsZero():
		case oc != nil:
			cp := *oc
			if cp.ExpiresOn != e {
				cp.ExpiresOn, cp.RenewalAppliedOn = e, kigen.Date{} // a new date: the application was for the old one
			}
			next.Cards = append(next.Cards, &cp)
		default:
			next.Cards = append(next.Cards, &kigen.Card{ResidentID: r.ID, Kind: kind, ExpiresOn: e})
		}
	}
	ch.next = next
	return ch
}

// changed reports whether the row changes anything stored.
func (ch *change) changed() bool {
	if ch.old == nil || len(ch.contacts) > 0 || len(ch.dropCh) > 0 || len(ch.dropCard) > 0 {
		return true
	}
	o, n := ch.old.Resident, ch.next.Resident
	if o.Name != n.Name || o.Language != n.Language || o.Status != n.Status || o.Channel != n.Channel {
		return true
	}
	for _, c := range ch.next.Cards {
		if oc := ch.old.Card(c.Kind); oc == nil || oc.ExpiresOn != c.ExpiresOn {
			return true
		}
	}
	return false
}

// write stores a batch of changed residents with their contacts and cards,
// each card with its next notice date.
func (im *run) write(ctx context.Context, changes []*change) error {
	mid := im.opt.MunicipalityID
	rs := make([]*kigen.Resident, len(changes))
	for i, ch := range changes {
		rs[i] = ch.next.Resident
	}
	if _, err := im.tx.UpsertResidents(ctx, mid, rs); err != nil {
		return fmt.Errorf("write residents: %w", err)
	}
	if im.opt.Written != nil {
		for _, r := range rs {
			im.opt.Written(r)
		}
	}
	var contacts []*kigen.Contact
	var cards []*kigen.Card
	for _, ch := range changes {
		id := ch.next.Resident.ID
		for _, kind := range ch.dropCard {
			if err := im.tx.DeleteCard(ctx, mid, id, kind); err != nil {
				return fmt.Errorf("remove %s: %w", kind, err)
			}
		}
		for _, c := range ch.dropCh {
			if err := im.tx.DeleteContact(ctx, mid, id, c); err != nil {
				return fmt.Errorf("remove %s contact: %w", c, err)
			}
		}
		for _, c := range ch.contacts {
			c.ResidentID = id
		}
		contacts = append(contacts, ch.contacts...)
		im.plan(ch)
		cards = append(cards, ch.next.Cards...)
	}
	if err := im.tx.UpsertContacts(ctx, mid, contacts); err != nil {
		return fmt.Errorf("write contacts: %w", err)
	}
	if err := im.tx.UpsertCards(ctx, mid, cards); err != nil {
		return fmt.Errorf("write cards: %w", err)
	}
	return nil
}

// plan sets each card's next notice date from the merged result. New cards
// have no ID yet: they get a temporary one for kigen.NextDue.
func (im *run) plan(ch *change) {
	tmp := map[int64]*kigen.Card{}
	for i, c := range ch.next.Cards {
		c.ResidentID = ch.next.Resident.ID
		if c.ID == 0 {
			c.ID = -int64(i + 1)
			tmp[c.ID] = c
		}
	}
	next := kigen.NextDue(ch.next.Holder(), im.opt.Today)
	for _, c := range ch.next.Cards {
		c.NextNoticeOn = next[c.ID]
	}
	for _, c := range tmp {
		c.ID = 0
	}
}
