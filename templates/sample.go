package templates

import (
	"fmt"
	"slices"

	"kigen"
)

// The contexts a sample notice can be written for (kigen preview --context).
const (
	ContextNone    = ""
	ContextGap     = "gap"     // the residence was renewed, the My Number card was not
	ContextPending = "pending" // a renewal of the period of stay is being decided
)

// Case is one kind of notice: a card kind, a stage and a context.
type Case struct {
	Card    kigen.CardKind
	Stage   kigen.Stage
	Context string
}

// String returns "card/stage" or "card/stage/context".
func (c Case) String() string {
	s := string(c.Card) + "/" + string(c.Stage)
	if c.Context != ContextNone {
		s += "/" + c.Context
	}
	return s
}

// beforeAndExpired are the stages every card goes through.
var beforeAndExpired = []kigen.Stage{kigen.D90, kigen.D60, kigen.D30, kigen.D14, kigen.D7, kigen.D3, kigen.D1, kigen.Expired}

// Cases returns every notice Plan can produce, as card × stage × context:
// d90…expired for every card; the My Number card's stages also with a gap
// open or a renewal pending; renewal_gap; special_period for the cards that
// carry the period of stay.
func Cases() []Case {
	var cs []Case
	for _, k := range kigen.CardKinds {
		for _, s := range beforeAndExpired {
			cs = append(cs, Case{k, s, ContextNone})
		}
		switch {
		case k == kigen.MyNumberCard:
			for _, ctx := range []string{ContextGap, ContextPending} {
				for _, s := range beforeAndExpired {
					cs = append(cs, Case{k, s, ctx})
				}
			}
			cs = append(cs, Case{k, kigen.RenewalGap, ContextGap})
		case k.IsResidence():
			cs = append(cs, Case{k, kigen.SpecialPeriod, ContextPending})
		}
	}
	return cs
}

// Check reports whether Plan can produce this case, and says why not.
func (c Case) Check() error {
	switch {
	case !c.Card.Valid():
		return fmt.Errorf("unknown card %q", c.Card)
	case !c.Stage.Valid():
		return fmt.Errorf("unknown stage %q", c.Stage)
	case c.Context != ContextNone && c.Context != ContextGap && c.Context != ContextPending:
		return fmt.Errorf("unknown context %q (want gap or pending)", c.Context)
	case c.Stage == kigen.RenewalGap && c.Card != kigen.MyNumberCard:
		return fmt.Errorf("renewal_gap is a notice of the mynumber_card")
	case c.Stage == kigen.SpecialPeriod && !c.Card.IsResidence():
		return fmt.Errorf("special_period is a notice of the residence_card or integrated_card")
	case c.Stage == kigen.RenewalGap && c.Context == ContextPending,
		c.Stage == kigen.SpecialPeriod && c.Context == ContextGap:
		return fmt.Errorf("%s cannot have the context %s", c.Stage, c.Context)
	case c.Context != ContextNone && c.Card != kigen.MyNumberCard && c.Stage != kigen.SpecialPeriod:
		return fmt.Errorf("only mynumber_card notices have a context (gap or pending)")
	}
	return nil
}

// SampleDue returns a notice of case c as Plan would produce it on today,
// with plausible dates: the stage's nominal days left, a residence renewed
// for three years, an application made weeks ago. The renewal_gap sample
// also asks for the certificate at the same visit.
func SampleDue(c Case, today kigen.Date) (kigen.Due, error) {
	if err := c.Check(); err != nil {
		return kigen.Due{}, err
	}
	ids := map[kigen.CardKind]int64{kigen.ResidenceCard: 1, kigen.IntegratedCard: 2, kigen.MyNumberCard: 3, kigen.MyNumberCert: 4}
	d := kigen.Due{Kind: c.Card}
	d.CardID, d.Stage = ids[c.Card], c.Stage
	switch c.Stage {
	case kigen.Expired:
		d.ExpiresOn = today.AddDays(-5)
	case kigen.RenewalGap:
		d.ExpiresOn = today.AddDays(45)
		d.ResidenceExpiresOn = today.AddYears(3)
		d.CertExpiresOn = d.ExpiresOn
	case kigen.SpecialPeriod:
		d.ExpiresOn = today.AddDays(-4)
		d.RenewalAppliedOn = d.ExpiresOn.AddDays(-50)
		d.SpecialPeriodEnds = kigen.SpecialPeriodEnds(d.ExpiresOn)
	default:
		lead, _ := c.Stage.LeadDays()
		d.ExpiresOn = today.AddDays(lead)
	}
	switch c.Context {
	case ContextGap:
		d.ResidenceExpiresOn = today.AddYears(3)
	case ContextPending:
		if c.Card == kigen.MyNumberCard {
			// The residence card ends with the My Number card; the
			// application went in three weeks before.
			applied := today
			if d.ExpiresOn.Before(today) {
				applied = d.ExpiresOn
			}
			d.RenewalAppliedOn = applied.AddDays(-21)
			d.SpecialPeriodEnds = kigen.SpecialPeriodEnds(d.ExpiresOn)
		}
	}
	d.DaysLeft = d.ExpiresOn.Sub(today)
	return d, nil
}

// SampleMunicipality is the municipality of previews: a real name with
// contact details that are clearly examples.
func SampleMunicipality() kigen.Municipality {
	return kigen.Municipality{
		Code:      "012033",
		Name:      "小樽市",
		Kind:      kigen.KindCity,
		NameLatin: "Otaru",
		// The names in Hangul, Thai and Devanagari the review asked for
		// (오타루시청); a municipality without them is named in Japanese
		// (Korean) or in Latin letters (Thai, Nepali).
		NameHangul:     "오타루",
		NameThai:       "โอตารุ",
		NameDevanagari: "ओतारु",
		ContactPhone:   "0134-00-0000",
		ContactEmail:   "tabunka@example.jp",
		ContactURL:     "https://www.example.jp/tabunka/",
	}
}

// SampleParams returns the Params of a preview: the sample municipality and
// example links as long as SMSURLBudget allows.
func SampleParams(lang kigen.Language, today kigen.Date, notices ...kigen.Due) Params {
	return Params{
		Lang:           lang,
		Municipality:   SampleMunicipality(),
		Today:          today,
		Notices:        slices.Clone(notices),
		MessageURL:     "https://kigen.example.jp/m/Xq3vT9bK2mPw7RfA8",
		UnsubscribeURL: "https://kigen.example.jp/u/Xq3vT9bK2mPw7RfA8",
	}
}
