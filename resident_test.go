package kigen_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"kigen"
)

func TestCheckResident(t *testing.T) {
	t.Parallel()
	cards := func(kv ...any) map[kigen.CardKind]kigen.Date {
		m := map[kigen.CardKind]kigen.Date{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(kigen.CardKind)] = d(kv[i+1].(string))
		}
		return m
	}
	tests := []struct {
		name         string
		state        kigen.ResidentState
		wantErrs     []string
		wantWarnings []string
	}{
		{name: "ok", state: kigen.ResidentState{Status: kigen.FixedPeriod, Cards: cards(kigen.ResidenceCard, "2027-03-31", kigen.MyNumberCard, "2027-03-31"), HasEmail: true, Consent: true}},
		{name: "residence and integrated card", state: kigen.ResidentState{Cards: cards(kigen.ResidenceCard, "2027-03-31", kigen.IntegratedCard, "2028-03-31")},
			wantErrs: []string{"integrated_card_expires_on: a resident holds a residence card or an integrated card, not both"}},
		{name: "My Number card and integrated card", state: kigen.ResidentState{Cards: cards(kigen.MyNumberCard, "2027-03-31", kigen.IntegratedCard, "2028-03-31")},
			wantErrs: []string{"integrated_card_expires_on: the integrated card is the My Number card: leave mynumber_card_expires_on blank"}},
		{name: "special permanent with residence card", state: kigen.ResidentState{Status: kigen.SpecialPermanent, Cards: cards(kigen.ResidenceCard, "2027-03-31")},
			wantErrs: []string{"residence_card_expires_on: a special permanent resident has no residence card (the 特別永住者証明書 is not watched): leave it blank"}},
		{name: "sms without phone", state: kigen.ResidentState{Channel: kigen.PrefSMS, HasEmail: true},
			wantErrs: []string{"channel: sms needs a phone number"}},
		{name: "email without email", state: kigen.ResidentState{Channel: kigen.PrefEmail, HasPhone: true},
			wantErrs: []string{"channel: email needs an email address"}},
		{name: "both with one contact", state: kigen.ResidentState{Channel: kigen.PrefBoth, HasPhone: true},
			wantErrs: []string{"channel: both needs an email address and a phone number"}},
		{name: "consent without contact", state: kigen.ResidentState{Consent: true},
			wantErrs: []string{"consent: yes needs an email address or a phone number"}},
		{name: "no consent without contact is fine (listed for staff)", state: kigen.ResidentState{}},
		{name: "landline with sms", state: kigen.ResidentState{Channel: kigen.PrefSMS, HasPhone: true, PhoneLandline: true, Consent: true},
			wantErrs: []string{"phone: is a landline, not a mobile number: SMS cannot reach it, and the channel is sms (give a mobile number, or choose email)"}},
		{name: "landline with both, without consent", state: kigen.ResidentState{Channel: kigen.PrefBoth, HasEmail: true, HasPhone: true, PhoneLandline: true},
			wantErrs: []string{"phone: is a landline, not a mobile number: SMS cannot reach it, and the channel is both (give a mobile number, or choose email)"}},
		{name: "landline alone by default", state: kigen.ResidentState{HasPhone: true, PhoneLandline: true, Consent: true},
			wantErrs: []string{"phone: is a landline, not a mobile number: SMS cannot reach it, and without an email address SMS is the channel (give a mobile number or an email address)"}},
		{name: "landline alone by default, without consent (listed for staff)", state: kigen.ResidentState{HasPhone: true, PhoneLandline: true}},
		{name: "landline next to an email by default", state: kigen.ResidentState{HasEmail: true, HasPhone: true, PhoneLandline: true, Consent: true}},
		{name: "landline with email", state: kigen.ResidentState{Channel: kigen.PrefEmail, HasEmail: true, HasPhone: true, PhoneLandline: true, Consent: true}},
		{name: "certificate after its card", state: kigen.ResidentState{Cards: cards(kigen.MyNumberCard, "2031-03-31", kigen.MyNumberCert, "2032-01-01")},
			wantWarnings: []string{"mynumber_cert_expires_on: 2032-01-01 is after the card's expiry 2031-03-31 (a certificate never outlives its card)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			errs, warnings := kigen.CheckResident(tt.state)
			diffChecks(t, errs, warnings, tt.wantErrs, tt.wantWarnings)
		})
	}
}

func TestCheckCards(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		cards          map[kigen.CardKind]kigen.Date
		errs, warnings []string
	}{
		{name: "none"},
		{name: "residence and My Number card", cards: map[kigen.CardKind]kigen.Date{
			kigen.ResidenceCard: d("2028-01-01"), kigen.MyNumberCard: d("2028-01-01"), kigen.MyNumberCert: d("2027-01-01")}},
		{name: "blank integrated", cards: map[kigen.CardKind]kigen.Date{
			kigen.ResidenceCard: d("2028-01-01"), kigen.IntegratedCard: {}}},
		{name: "certificate after the integrated card", cards: map[kigen.CardKind]kigen.Date{
			kigen.IntegratedCard: d("2028-01-01"), kigen.MyNumberCert: d("2029-01-01")},
			warnings: []string{"mynumber_cert_expires_on: 2029-01-01 is after the card's expiry 2028-01-01 (a certificate never outlives its card)"}},
		{name: "everything", cards: map[kigen.CardKind]kigen.Date{
			kigen.ResidenceCard: d("2028-01-01"), kigen.MyNumberCard: d("2028-01-01"),
			kigen.IntegratedCard: d("2028-01-01"), kigen.MyNumberCert: d("2029-01-01")},
			errs: []string{
				"integrated_card_expires_on: a resident holds a residence card or an integrated card, not both",
				"integrated_card_expires_on: the integrated card is the My Number card: leave mynumber_card_expires_on blank",
			},
			// One warning for the certificate, not one a card.
			warnings: []string{"mynumber_cert_expires_on: 2029-01-01 is after the card's expiry 2028-01-01 (a certificate never outlives its card)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			errs, warnings := kigen.CheckCards(tt.cards)
			diffChecks(t, errs, warnings, tt.errs, tt.warnings)
		})
	}
}

// diffChecks reports where a check's errors and warnings differ from the
// messages wanted.
func diffChecks(t *testing.T, errs, warnings []error, wantErrs, wantWarnings []string) {
	t.Helper()
	if diff := cmp.Diff(wantErrs, strs(errs)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantWarnings, strs(warnings)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func strs(errs []error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}
