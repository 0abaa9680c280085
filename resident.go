package kigen

// ResidentState is a resident as it would be stored after a change (an
// import row merged with what is stored, a form submitted): what the
// cross-field rules look at.
type ResidentState struct {
	Status   Status
	Cards    map[CardKind]Date // a card is held when its date is not zero
	HasEmail bool
	HasPhone bool
	// PhoneLandline: the phone is a fixed line, which SMS cannot reach.
	PhoneLandline bool
	Consent       bool
	Channel       ChannelPref
}

// CheckCards applies the rules on a resident's set of cards alone (docs/domain.md
// §2, §11.12) to the expiry dates in cards (a zero or missing Date: no such
// card). Errors: a residence card with an integrated card, a My Number card
// with an integrated card, both on the integrated card's column. Warning: a
// certificate later than its card. Each is an *Error naming the CSV column
// (Field) to correct. A reader applies it to each row as it reads it;
// CheckResident applies it again to the resident as it would be stored,
// and gives the same words for the same dates.
func CheckCards(cards map[CardKind]Date) (errs, warnings []error) {
	has := func(k CardKind) bool { return !cards[k].IsZero() }
	if has(IntegratedCard) && has(ResidenceCard) {
		errs = append(errs, FieldKeyf(IntegratedCard.Field(), "cards.both_residence",
			"a resident holds a residence card or an integrated card, not both"))
	}
	if has(IntegratedCard) && has(MyNumberCard) {
		errs = append(errs, FieldKeyf(IntegratedCard.Field(), "cards.both_mynumber",
			"the integrated card is the My Number card: leave %s blank", MyNumberCard.Field()))
	}
	if cert := cards[MyNumberCert]; !cert.IsZero() {
		for _, k := range []CardKind{MyNumberCard, IntegratedCard} {
			if card := cards[k]; !card.IsZero() && cert.After(card) {
				warnings = append(warnings, FieldKeyf(MyNumberCert.Field(), "cards.cert_after_card",
					"%s is after the card's expiry %s (a certificate never outlives its card)", cert, card))
				break // one warning a certificate: both cards at once is refused anyway
			}
		}
	}
	return errs, warnings
}

// CheckResident applies the rules that tie a resident's fields together
// (docs/domain.md §2, §11.7, §11.9, §11.12): CheckCards, then the status, the
// channel and the consent against the cards and contacts. Errors refuse the
// change; warnings accept it. Each is an *Error naming the CSV column
// (Field) to correct.
func CheckResident(s ResidentState) (errs, warnings []error) {
	errs, warnings = CheckCards(s.Cards)
	if s.Status == SpecialPermanent && !s.Cards[ResidenceCard].IsZero() {
		errs = append(errs, FieldKeyf(ResidenceCard.Field(), "cards.special_permanent",
			"a special permanent resident has no residence card (the 特別永住者証明書 is not watched): leave it blank"))
	}
	switch {
	case s.Channel == PrefSMS && !s.HasPhone:
		errs = append(errs, FieldKeyf("channel", "channel.sms_needs_phone", "sms needs a phone number"))
	case s.Channel == PrefEmail && !s.HasEmail:
		errs = append(errs, FieldKeyf("channel", "channel.email_needs_email", "email needs an email address"))
	case s.Channel == PrefBoth && !(s.HasEmail && s.HasPhone):
		errs = append(errs, FieldKeyf("channel", "channel.both_needs_both", "both needs an email address and a phone number"))
	}
	if s.Consent && !s.HasEmail && !s.HasPhone {
		errs = append(errs, FieldKeyf("consent", "consent.needs_contact", "yes needs an email address or a phone number"))
	}
	// A landline SMS would go to is refused: the resident would show as
	// reached by SMS and get nothing. The default channel takes the phone
	// only without an email address, and then only with consent.
	if s.HasPhone && s.PhoneLandline {
		const landline = "is a landline, not a mobile number: SMS cannot reach it"
		switch {
		case s.Channel == PrefSMS || s.Channel == PrefBoth:
			errs = append(errs, FieldErrorf("phone", "%s, and the channel is %s (give a mobile number, or choose email)", landline, s.Channel).
				Keyed("phone.landline_channel", string(s.Channel)))
		case s.Channel == PrefDefault && !s.HasEmail && s.Consent:
			errs = append(errs, FieldErrorf("phone", "%s, and without an email address SMS is the channel (give a mobile number or an email address)", landline).
				Keyed("phone.landline_default"))
		}
	}
	return errs, warnings
}
