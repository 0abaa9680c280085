package kigen

// SpecialPeriodEnds returns the last day a resident whose renewal of the
// period of stay was applied for may stay while it is decided, when the
// period of stay ends on e: e + 2 months (docs/domain.md §6, §14.3).
func SpecialPeriodEnds(e Date) Date { return e.AddMonths(specialPeriodMonths) }

// InsuranceGraceEnds returns the last day a My Number card still works as
// the health-insurance card once its electronic certificate expired on
// cert: the last day of the third month after cert's month (docs/domain.md §9b).
func InsuranceGraceEnds(cert Date) Date {
	return Date{cert.Year, cert.Month, 1}.AddMonths(4).AddDays(-1)
}
