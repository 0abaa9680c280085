package kigen

// A message names its notices by ID; by the time it is sent, or shown
// again, the resident's cards may have changed. The two readings below
// differ on purpose:
//
//   - NoticesToSend decides what still goes out: a notice about a date the
//     card no longer has (the resident renewed) or a before-expiry stage
//     whose date has passed would tell the resident something false today;
//   - NoticesAsSent shows what went out: the message said it, even about a
//     card renewed since; only a notice whose card is gone cannot be shown.

// NoticesToSend returns the notices of a message (ids, among the
// resident's recorded notices) as they read on the day today it goes out
// (Describe), in the message's order, and how many it left out: a notice no
// longer recorded, one whose card is gone or now has another expiry date
// (the resident renewed), and a before-expiry notice whose card expired
// before today — its `expired` notice follows (docs/domain.md §11.18).
func NoticesToSend(h Holder, notices []*Notice, ids []int64, today Date) (due []Due, left int) {
	return messageNotices(h, notices, ids, today, func(c Card, n *Notice) bool {
		if c.ExpiresOn != n.ExpiresOn {
			return false
		}
		_, before := n.Stage.LeadDays()
		return !before || !n.ExpiresOn.Before(today)
	})
}

// NoticesAsSent returns the notices of a message (ids, among the resident's
// recorded notices) as they read on day, the day it went out, to show it
// again: every notice whose card still exists, in the message's order. A
// card renewed since is described with its kind and the date the message
// named.
func NoticesAsSent(h Holder, notices []*Notice, ids []int64, day Date) []Due {
	due, _ := messageNotices(h, notices, ids, day, func(Card, *Notice) bool { return true })
	return due
}

// messageNotices describes the notices of ids whose card exists and that
// keep accepts, and counts the others.
func messageNotices(h Holder, notices []*Notice, ids []int64, today Date, keep func(Card, *Notice) bool) (due []Due, left int) {
	byID := make(map[int64]*Notice, len(notices))
	for _, n := range notices {
		byID[n.ID] = n
	}
	cards := make(map[int64]Card, len(h.Cards))
	for _, c := range h.Cards {
		cards[c.ID] = c
	}
	for _, id := range ids {
		n := byID[id]
		if n == nil {
			left++
			continue
		}
		c, ok := cards[n.CardID]
		if !ok || !keep(c, n) {
			left++
			continue
		}
		due = append(due, Describe(h, c, n.Key(), today))
	}
	return due, left
}
