package kigen_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"kigen"
)

func TestSendChannels(t *testing.T) {
	t.Parallel()
	email := kigen.Contact{Channel: kigen.Email, Address: "a@example.jp", Consent: true}
	sms := kigen.Contact{Channel: kigen.SMS, Address: "+819012345678", Consent: true}
	with := func(c kigen.Contact, f func(*kigen.Contact)) kigen.Contact { f(&c); return c }
	noConsent := func(c *kigen.Contact) { c.Consent = false }
	failed := func(c *kigen.Contact) { c.Failed = true }
	optedOut := func(c *kigen.Contact) { c.OptedOut = true }
	tests := []struct {
		name     string
		pref     kigen.ChannelPref
		contacts []kigen.Contact
		want     []kigen.Channel
	}{
		{name: "default: email when given", contacts: []kigen.Contact{email, sms}, want: []kigen.Channel{kigen.Email}},
		{name: "default: sms without email", contacts: []kigen.Contact{sms}, want: []kigen.Channel{kigen.SMS}},
		{name: "both", pref: kigen.PrefBoth, contacts: []kigen.Contact{email, sms}, want: []kigen.Channel{kigen.Email, kigen.SMS}},
		{name: "both with one usable", pref: kigen.PrefBoth, contacts: []kigen.Contact{with(email, failed), sms}, want: []kigen.Channel{kigen.SMS}},
		{name: "sms chosen", pref: kigen.PrefSMS, contacts: []kigen.Contact{email, sms}, want: []kigen.Channel{kigen.SMS}},
		{name: "no consent: unreachable", contacts: []kigen.Contact{with(email, noConsent)}},
		{name: "no contact: unreachable"},
		{name: "failed email falls back to sms", pref: kigen.PrefEmail, contacts: []kigen.Contact{with(email, failed), sms}, want: []kigen.Channel{kigen.SMS}},
		{name: "default with failed email falls back", contacts: []kigen.Contact{with(email, failed), sms}, want: []kigen.Channel{kigen.SMS}},
		{name: "opted out of email: no silent switch to sms", contacts: []kigen.Contact{with(email, optedOut), sms}},
		{name: "sms without consent is not a fallback", pref: kigen.PrefEmail, contacts: []kigen.Contact{with(email, failed), with(sms, noConsent)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, kigen.SendChannels(tt.pref, tt.contacts)); diff != "" {
				t.Errorf("SendChannels (-want +got):\n%s", diff)
			}
		})
	}
}
