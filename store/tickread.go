package store

import (
	"bytes"
	"slices"

	"kigen"
)

// TickHolding is what the tick reads of a resident with a due card: what
// kigen.Plan and kigen.SendChannels take, and nothing more — no name,
// reference or language. The holdings of one ListHoldings share their
// slices' storage.
type TickHolding struct {
	Key     ResidentKey
	Status  kigen.Status
	Channel kigen.ChannelPref
	// Contacts have ResidentID, Channel, Address, Consent, OptedOut and
	// Failed (no ID or timestamps), in channel order.
	Contacts []kigen.Contact
	// Cards have ID, ResidentID, Kind, ExpiresOn, RenewalAppliedOn and
	// NextNoticeOn (no timestamps), in kind order (bytewise).
	Cards []kigen.Card
	// Sent are the notices recorded for each card's current expiry — all
	// of the notices kigen.Plan reads — by card, then stage; one recorded
	// since the card's next date was last set may be missing (see
	// Queries.ListHoldings).
	Sent []kigen.NoticeKey
}

// Holder returns the view of h that kigen.Plan takes. It shares h's
// storage.
func (h *TickHolding) Holder() kigen.Holder {
	return kigen.Holder{Status: h.Status, Reachable: len(h.SendChannels()) > 0, Cards: h.Cards, Sent: h.Sent}
}

// SendChannels returns the channels a message to the resident goes out on
// (kigen.SendChannels).
func (h *TickHolding) SendChannels() []kigen.Channel {
	return kigen.SendChannels(h.Channel, h.Contacts)
}

// TickRead gathers the rows of one ListHoldings for the stores. The keys
// are numbered in order (0, 1, …, without repeats); each row a store reads
// is matched in SQL on both its municipality and its resident and added
// with the number of its key, in any order. Holdings then assembles them.
type TickRead struct {
	keys     []ResidentKey
	found    []bool
	status   []kigen.Status
	channel  []kigen.ChannelPref
	contacts []tagged[kigen.Contact]
	cards    []tagged[kigen.Card]
	sent     []tagged[kigen.NoticeKey]
}

type tagged[T any] struct {
	key int
	v   T
}

// NewTickRead numbers keys without repeats, in order of first appearance.
func NewTickRead(keys []ResidentKey) *TickRead {
	keys = DistinctKeys(keys)
	return &TickRead{
		keys:    keys,
		found:   make([]bool, len(keys)),
		status:  make([]kigen.Status, len(keys)),
		channel: make([]kigen.ChannelPref, len(keys)),
		// A resident has one or two contacts, two or three cards, and a
		// few stages sent of each card.
		contacts: make([]tagged[kigen.Contact], 0, 2*len(keys)),
		cards:    make([]tagged[kigen.Card], 0, 3*len(keys)),
		sent:     make([]tagged[kigen.NoticeKey], 0, 8*len(keys)),
	}
}

// Keys returns the keys, numbered by their index.
func (r *TickRead) Keys() []ResidentKey { return r.keys }

// Resident records the resident of key number i.
func (r *TickRead) Resident(i int, status kigen.Status, channel kigen.ChannelPref) {
	r.found[i], r.status[i], r.channel[i] = true, status, channel
}

// Contact adds a contact of the resident of key number i.
func (r *TickRead) Contact(i int, c kigen.Contact) {
	c.ResidentID = r.keys[i].ResidentID
	r.contacts = append(r.contacts, tagged[kigen.Contact]{i, c})
}

// Card adds a card of the resident of key number i, with the stages
// recorded for its current expiry, comma-separated (empty for none).
func (r *TickRead) Card(i int, c kigen.Card, sent []byte) {
	c.ResidentID = r.keys[i].ResidentID
	r.cards = append(r.cards, tagged[kigen.Card]{i, c})
	for st := range bytes.SplitSeq(sent, []byte{','}) {
		if len(st) > 0 {
			k := kigen.NoticeKey{CardID: c.ID, ExpiresOn: c.ExpiresOn, Stage: kigen.Stage(Intern(st))}
			r.sent = append(r.sent, tagged[kigen.NoticeKey]{i, k})
		}
	}
}

// Holdings returns a holding for each key whose resident was found, in
// the order of the keys.
func (r *TickRead) Holdings() []TickHolding {
	contacts, cs := group(r.contacts, len(r.keys), func(a, b kigen.Contact) bool { return a.Channel < b.Channel })
	cards, ks := group(r.cards, len(r.keys), func(a, b kigen.Card) bool { return a.Kind < b.Kind })
	sent, ss := group(r.sent, len(r.keys), func(a, b kigen.NoticeKey) bool {
		return a.CardID < b.CardID || a.CardID == b.CardID && a.Stage < b.Stage
	})
	out := make([]TickHolding, 0, len(r.keys))
	for i, k := range r.keys {
		if r.found[i] {
			out = append(out, TickHolding{Key: k, Status: r.status[i], Channel: r.channel[i],
				Contacts: part(contacts, cs, i), Cards: part(cards, ks, i), Sent: part(sent, ss, i)})
		}
	}
	return out
}

// group returns the values of ts grouped by key (0 ≤ key < n), each group
// in the order less gives, and where each group starts (start[n] is the
// end): a counting sort, then an insertion sort of each group, which holds
// a few values at most.
func group[T any](ts []tagged[T], n int, less func(a, b T) bool) (vs []T, start []int) {
	start = make([]int, n+1)
	for _, t := range ts {
		start[t.key+1]++
	}
	for i := range n {
		start[i+1] += start[i]
	}
	vs = make([]T, len(ts))
	next := slices.Clone(start[:n])
	for _, t := range ts {
		vs[next[t.key]] = t.v
		next[t.key]++
	}
	for i := range n {
		g := vs[start[i]:start[i+1]]
		for j := 1; j < len(g); j++ {
			for k := j; k > 0 && less(g[k], g[k-1]); k-- {
				g[k], g[k-1] = g[k-1], g[k]
			}
		}
	}
	return vs, start
}

// part returns group i of vs, capacity-capped so that an append cannot
// spill into the next group; nil if it is empty.
func part[T any](vs []T, start []int, i int) []T {
	if start[i] == start[i+1] {
		return nil
	}
	return vs[start[i]:start[i+1]:start[i+1]]
}

// enumValues holds every value of kigen's enumerations.
var enumValues = func() map[string]string {
	m := map[string]string{}
	add := func(vs ...string) {
		for _, v := range vs {
			m[v] = v
		}
	}
	for _, v := range kigen.CardKinds {
		add(string(v))
	}
	for _, v := range kigen.Stages {
		add(string(v))
	}
	for _, v := range kigen.Channels {
		add(string(v))
	}
	for _, v := range kigen.Languages {
		add(string(v))
	}
	add(string(kigen.FixedPeriod), string(kigen.Permanent), string(kigen.SpecialPermanent))
	add(string(kigen.PrefEmail), string(kigen.PrefSMS), string(kigen.PrefBoth))
	return m
}()

// Intern returns b as a string, without allocating if it is a value of
// one of kigen's enumerations.
func Intern(b []byte) string {
	if s, ok := enumValues[string(b)]; ok {
		return s
	}
	return string(b)
}
