package kigen

// SendChannels returns the channels a message to the resident goes out on,
// given their contacts (docs/domain.md §7):
//
//   - the channels the resident chose (email, SMS or both; by default email
//     if they gave an address, else SMS) whose contact is usable;
//   - if none of those is usable because it failed (bounced, invalid), the
//     other usable channel: a message should still reach the resident;
//   - but never a channel the resident did not choose when they opted out
//     of the one they did: their "stop" is not silently moved elsewhere.
//
// An empty result means the resident cannot be reached: nothing is planned
// for them and they are listed for staff follow-up.
func SendChannels(pref ChannelPref, contacts []Contact) []Channel {
	byCh := map[Channel]Contact{}
	for _, c := range contacts {
		byCh[c.Channel] = c
	}
	var chosen []Channel
	switch pref {
	case PrefEmail:
		chosen = []Channel{Email}
	case PrefSMS:
		chosen = []Channel{SMS}
	case PrefBoth:
		chosen = []Channel{Email, SMS}
	default:
		if c, ok := byCh[Email]; ok && c.Address != "" {
			chosen = []Channel{Email}
		} else {
			chosen = []Channel{SMS}
		}
	}
	var out []Channel
	optedOut := false
	for _, ch := range chosen {
		c, ok := byCh[ch]
		if ok && c.Usable() {
			out = append(out, ch)
		}
		optedOut = optedOut || ok && c.OptedOut
	}
	if len(out) > 0 || optedOut {
		return out
	}
	for _, ch := range Channels {
		if c, ok := byCh[ch]; ok && c.Usable() {
			return []Channel{ch}
		}
	}
	return nil
}
