package store

import (
	"errors"

	"kigen"
)

// Rows is what the drivers' row streams (pgx.Rows, *sql.Rows) have in
// common, for MergeHoldings.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// MergeHoldings does the work of the backends' Bench.ScanHoldings: it
// merges three streams, each ordered by resident ID, into holdings passed
// to fn. Their columns:
//
//	cards:    resident_id, municipality_id, id, kind, expires_on, renewal_applied_on, residents.status, residents.channel
//	contacts: resident_id, channel, address, consent, opted_out, failed
//	notices:  resident_id (of the card), card_id, expires_on, stage
func MergeHoldings(cards, contacts, notices Rows, fn func(h *TickHolding) error) error {
	var (
		cContact kigen.Contact
		channel  string
		nKey     kigen.NoticeKey
		stage    string
	)
	cs := &peeked[kigen.Contact]{rows: contacts, scan: func() (rid int64, _ kigen.Contact, err error) {
		err = contacts.Scan(&rid, &channel, &cContact.Address, &cContact.Consent, &cContact.OptedOut, &cContact.Failed)
		cContact.Channel = kigen.Channel(channel)
		cContact.ResidentID = rid
		return rid, cContact, err
	}}
	ns := &peeked[kigen.NoticeKey]{rows: notices, scan: func() (rid int64, _ kigen.NoticeKey, err error) {
		err = notices.Scan(&rid, &nKey.CardID, &nKey.ExpiresOn, &stage)
		nKey.Stage = kigen.Stage(stage)
		return rid, nKey, err
	}}
	cs.advance()
	ns.advance()

	var (
		h                  TickHolding
		card               kigen.Card
		kind, status, pref string
		rid, mid           int64
		started            bool
	)
	flush := func() error {
		h.Contacts = cs.take(h.Key.ResidentID, h.Contacts[:0])
		h.Sent = ns.take(h.Key.ResidentID, h.Sent[:0])
		return fn(&h)
	}
	for cards.Next() {
		if err := cards.Scan(&rid, &mid, &card.ID, &kind, &card.ExpiresOn, &card.RenewalAppliedOn, &status, &pref); err != nil {
			return err
		}
		card.Kind, card.ResidentID = kigen.CardKind(kind), rid
		if !started || rid != h.Key.ResidentID {
			if started {
				if err := flush(); err != nil {
					return err
				}
			}
			started = true
			h.Key = ResidentKey{MunicipalityID: mid, ResidentID: rid}
			h.Status, h.Channel, h.Cards = kigen.Status(status), kigen.ChannelPref(pref), h.Cards[:0]
		}
		h.Cards = append(h.Cards, card)
	}
	if err := cards.Err(); err != nil {
		return err
	}
	if started {
		if err := flush(); err != nil {
			return err
		}
	}
	return errors.Join(cs.err, ns.err)
}

// peeked reads ahead one row of a stream ordered by resident ID.
type peeked[T any] struct {
	rows Rows
	scan func() (residentID int64, v T, err error)
	ok   bool
	rid  int64
	v    T
	err  error
}

func (p *peeked[T]) advance() {
	if p.err != nil || !p.rows.Next() {
		p.ok = false
		if p.err == nil {
			p.err = p.rows.Err()
		}
		return
	}
	p.rid, p.v, p.err = p.scan()
	p.ok = p.err == nil
}

// take appends to dst the rows of resident rid, skipping those before it.
func (p *peeked[T]) take(rid int64, dst []T) []T {
	for p.ok && p.rid < rid {
		p.advance()
	}
	for p.ok && p.rid == rid {
		dst = append(dst, p.v)
		p.advance()
	}
	return dst
}
