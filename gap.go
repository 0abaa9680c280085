package kigen

// GapOpen reports whether a resident's My Number card, expiring on m, lags
// behind their renewed residence card, expiring on r: the renewal gap of
// docs/domain.md §5. It needs a fixed-period resident, both cards (a zero Date:
// no such card) and M < R strictly (§11.4: M = R is no gap). For permanent
// residents M < R is normal (the card follows birthdays), and an integrated
// card has no gap: r is the residence card's expiry only.
func GapOpen(status Status, r, m Date) bool {
	return status == FixedPeriod && !r.IsZero() && !m.IsZero() && m.Before(r)
}

// gapCert returns c, the electronic certificate's expiry, when the renewal
// gap notice of a My Number card expiring on m should also ask for the
// certificates to be renewed at the same visit: c before the residence
// card's r and not after m (docs/domain.md §5). Otherwise, or without a
// certificate, the zero Date.
func gapCert(r, m, c Date) Date {
	if !c.IsZero() && c.Before(r) && !c.After(m) {
		return c
	}
	return Date{}
}
