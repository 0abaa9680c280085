package kigen

// Stale reports whether card c is stale on today: expired too long ago to be
// messaged, so listed for staff until its date is updated (DOMAIN.md §4,
// §6, §11.5). That is more than 30 days after its expiry or, for a residence
// or integrated card whose renewal was applied for, after its special
// period. It is the rule behind CardPlan.Stale, for a card Plan watches.
func Stale(c Card, today Date) bool {
	if c.ExpiresOn.IsZero() {
		return false
	}
	if c.Kind.isResidence() && !c.RenewalAppliedOn.IsZero() {
		return today.After(SpecialPeriodEnd(c.ExpiresOn))
	}
	return today.After(c.ExpiresOn.AddDays(expiredWindow))
}

// StaleBefore returns the expiry before which a card may be stale on today:
// every stale card expired before it (the special period is longer than the
// expired window), so a read of the cards expired before it, filtered with
// Stale, finds them all.
func StaleBefore(today Date) Date { return today.AddDays(-expiredWindow) }

// SpecialPeriodEnd returns the last day a resident whose renewal of the
// period of stay is pending may stay, when the period ends on expiresOn
// (出入国管理及び難民認定法 第20条第6項: two months after).
func SpecialPeriodEnd(expiresOn Date) Date { return expiresOn.AddMonths(specialPeriodMonths) }

// renewalOpensMonths is how long before the period of stay ends a renewal is
// usually accepted (DOMAIN.md §2).
const renewalOpensMonths = 3

// RenewalOpens returns the day from which a renewal of the period of stay
// ending on expiresOn is usually accepted: an application recorded earlier
// is suspicious (a typo in the date), though not impossible.
func RenewalOpens(expiresOn Date) Date { return expiresOn.AddMonths(-renewalOpensMonths) }
