package kigen

// Stale reports whether card c is stale on today: expired too long ago to be
// messaged, so listed for staff until its date is updated (docs/domain.md §4,
// §6, §11.5) — more than 30 days after its expiry or, for a residence or
// integrated card whose renewal was applied for, after its special period.
// It is Plan's verdict (CardPlan.Stale) on the card alone, so the staff's
// list and the tick can never disagree.
func Stale(c Card, today Date) bool {
	return Plan(Holder{Status: FixedPeriod, Reachable: true, Cards: []Card{c}}, today).Cards[0].Stale
}

// StaleBefore returns the expiry before which a card may be stale on today:
// every stale card expired before it (the special period is longer than the
// expired window), so a read of the cards expired before it, filtered with
// Stale, finds them all.
func StaleBefore(today Date) Date { return today.AddDays(-expiredWindow) }

// renewalOpensMonths is how long before the period of stay ends a renewal is
// usually accepted (docs/domain.md §2).
const renewalOpensMonths = 3

// RenewalOpens returns the day from which a renewal of the period of stay
// ending on expiresOn is usually accepted: an application recorded earlier
// is suspicious (a typo in the date), though not impossible.
func RenewalOpens(expiresOn Date) Date { return expiresOn.AddMonths(-renewalOpensMonths) }
