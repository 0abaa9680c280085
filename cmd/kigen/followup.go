package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"

	"kigen"
	"kigen/scheduler"
	"kigen/store"
)

// followupList is what staff must follow up in one municipality (DOMAIN.md
// §4, §7, §11.2, §11.5, §11.18): residents who cannot be reached, cards gone
// stale, sends whose outcome is unknown, and messages whose delivery the
// queue gave up on. It names residents by ref only: no addresses, no names.
type followupList struct {
	Municipality string            `json:"municipality"`
	Date         kigen.Date        `json:"date"`
	Unreachable  []unreachableItem `json:"unreachable"`
	Stale        []staleItem       `json:"stale"`
	Unknown      []unknownItem     `json:"unknown"`
	GivenUp      []givenUpItem     `json:"given_up"`
}

// givenUpItem is a message still planned whose deliver job the queue
// discarded (scheduler.Queue.GivenUp): nothing sends it unless staff retry.
type givenUpItem struct {
	MessageID int64         `json:"message_id"`
	Ref       string        `json:"ref"`
	Channel   kigen.Channel `json:"channel"`
	TickDate  kigen.Date    `json:"tick_date"`
}

type unreachableItem struct {
	Ref    string `json:"ref"`
	Reason string `json:"reason"`
}

type staleItem struct {
	Ref       string         `json:"ref"`
	Card      kigen.CardKind `json:"card"`
	ExpiresOn kigen.Date     `json:"expires_on"`
}

type unknownItem struct {
	DeliveryID int64         `json:"delivery_id"`
	MessageID  int64         `json:"message_id"`
	Ref        string        `json:"ref"`
	Channel    kigen.Channel `json:"channel"`
	Since      time.Time     `json:"since"`
}

// Why a resident cannot be reached.
const (
	reasonNoContact     = "no contact"
	reasonNoConsent     = "no consent"
	reasonOptedOut      = "opted out"
	reasonAddressFailed = "address failed"
	reasonMessageFailed = "message failed, no other channel"
)

// erasedRef stands for the ref of a resident erased since their message.
const erasedRef = "(erased)"

func runFollowup(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("followup", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	code := fs.String("municipality", "", "municipality CODE (may be omitted when there is only one)")
	asJSON := fs.Bool("json", false, "print the list as JSON")
	if err := fs.Parse(args); err != nil {
		return usageErrorf("%v", err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("followup takes no arguments")
	}
	s, err := m.openMigratedStore(ctx)
	if err != nil {
		return err
	}
	mu, err := m.municipality(ctx, s, *code)
	if err != nil {
		return err
	}
	q, err := queueFor(ctx, s, scheduler.QueueConfig{Logger: m.logger()})
	if err != nil {
		return err
	}
	givenUp, err := q.GivenUp(ctx)
	if err != nil {
		return envError(err)
	}
	list, err := buildFollowup(ctx, s, mu, m.Config.Today(time.Now), givenUp)
	if err != nil {
		return envError(err)
	}
	actionLogger(m).Info("followup listed", slog.Int64("municipality_id", mu.ID),
		slog.Int("unreachable", len(list.Unreachable)), slog.Int("stale", len(list.Stale)), slog.Int("unknown", len(list.Unknown)), slog.Int("given_up", len(list.GivenUp)))
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	return printFollowup(m, mu, list)
}

// buildFollowup reads the municipality's follow-up list on today: its
// residents page by page with their contacts, then its stale cards, failed
// messages and unknown deliveries, and which of the messages the queue gave
// up on (givenUp, of every municipality) are its own and still planned.
func buildFollowup(ctx context.Context, q store.Queries, mu *kigen.Municipality, today kigen.Date, givenUp []int64) (*followupList, error) {
	list := &followupList{Municipality: mu.Code, Date: today,
		Unreachable: []unreachableItem{}, Stale: []staleItem{}, Unknown: []unknownItem{}, GivenUp: []givenUpItem{}}
	refs := map[int64]string{}
	usable := map[int64]map[kigen.Channel]bool{} // the channels a resident can get messages on
	reported := map[int64]bool{}
	for after := int64(0); ; {
		rs, err := q.ListResidents(ctx, store.ResidentFilter{MunicipalityID: mu.ID, AfterID: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		if len(rs) == 0 {
			break
		}
		after = rs[len(rs)-1].ID
		hs, err := store.HoldingsOf(ctx, q, mu.ID, rs)
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			r := h.Resident
			refs[r.ID] = r.Ref
			usable[r.ID] = map[kigen.Channel]bool{}
			for _, c := range h.Contacts {
				if c.Usable() {
					usable[r.ID][c.Channel] = true
				}
			}
			if len(kigen.SendChannels(r.Channel, contactValues(h.Contacts))) == 0 {
				list.Unreachable = append(list.Unreachable, unreachableItem{Ref: r.Ref, Reason: unreachableReason(h.Contacts)})
				reported[r.ID] = true
			}
		}
	}

	// A message failed for good on its channel, with no other channel left
	// (DOMAIN.md §7): the latest such message of each resident not already
	// listed.
	failed, err := q.ListDeliveriesByState(ctx, mu.ID, kigen.DeliveryFailed)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	for _, d := range failed {
		if seen[d.MessageID] {
			continue
		}
		seen[d.MessageID] = true
		msg, err := q.GetMessage(ctx, d.MessageID)
		if err != nil {
			return nil, err
		}
		if msg.State != kigen.MessageFailed || msg.ResidentID == 0 || reported[msg.ResidentID] {
			continue
		}
		other := false
		for ch := range usable[msg.ResidentID] {
			other = other || ch != msg.Channel
		}
		if !other {
			list.Unreachable = append(list.Unreachable, unreachableItem{Ref: refs[msg.ResidentID], Reason: reasonMessageFailed})
			reported[msg.ResidentID] = true
		}
	}

	// Stale: expired more than 30 days ago, or past the special period of a
	// pending renewal (kigen.Stale).
	cards, err := q.ListStaleCards(ctx, mu.ID, kigen.StaleBefore(today))
	if err != nil {
		return nil, err
	}
	for _, c := range cards {
		if !kigen.Stale(*c, today) {
			continue
		}
		list.Stale = append(list.Stale, staleItem{Ref: refs[c.ResidentID], Card: c.Kind, ExpiresOn: c.ExpiresOn})
	}

	unknown, err := q.ListDeliveriesByState(ctx, mu.ID, kigen.DeliveryUnknown)
	if err != nil {
		return nil, err
	}
	for _, d := range unknown {
		msg, err := q.GetMessage(ctx, d.MessageID)
		if err != nil {
			return nil, err
		}
		ref, ok := refs[msg.ResidentID]
		if !ok {
			ref = erasedRef
		}
		list.Unknown = append(list.Unknown, unknownItem{DeliveryID: d.ID, MessageID: msg.ID, Ref: ref,
			Channel: msg.Channel, Since: d.UpdatedAt.In(kigen.Tokyo)})
	}

	for _, id := range givenUp {
		msg, err := q.GetMessage(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		if msg.MunicipalityID != mu.ID || msg.State != kigen.MessagePlanned {
			continue
		}
		ref, ok := refs[msg.ResidentID]
		if !ok {
			ref = erasedRef
		}
		list.GivenUp = append(list.GivenUp, givenUpItem{MessageID: msg.ID, Ref: ref, Channel: msg.Channel, TickDate: msg.TickDate})
	}
	return list, nil
}

// unreachableReason says why no message can go to a resident with these
// contacts.
func unreachableReason(cs []*kigen.Contact) string {
	var withAddress, consented, optedOut, failed int
	for _, c := range cs {
		if c.Address == "" {
			continue
		}
		withAddress++
		if c.Consent {
			consented++
		}
		if c.OptedOut {
			optedOut++
		}
		if c.Failed {
			failed++
		}
	}
	switch {
	case withAddress == 0:
		return reasonNoContact
	case optedOut > 0:
		return reasonOptedOut
	case consented == 0:
		return reasonNoConsent
	case failed > 0:
		return reasonAddressFailed
	}
	return reasonNoContact
}

func printFollowup(m *Main, mu *kigen.Municipality, list *followupList) error {
	w := m.Stdout
	fmt.Fprintf(w, "follow-up for %s %s on %s\n", mu.Code, mu.Name, list.Date)

	fmt.Fprintf(w, "\ncannot be reached (%d): no message goes out until consent or a usable contact is entered\n", len(list.Unreachable))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ref\treason")
	for _, u := range list.Unreachable {
		fmt.Fprintf(tw, "  %s\t%s\n", u.Ref, u.Reason)
	}
	tw.Flush()

	fmt.Fprintf(w, "\nstale cards (%d): expired too long ago to be messaged; enter the new expiry date\n", len(list.Stale))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ref\tcard\texpired on")
	for _, s := range list.Stale {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Ref, s.Card, s.ExpiresOn)
	}
	tw.Flush()

	fmt.Fprintf(w, "\nunknown sends (%d): settle each with kigen delivery resend ID or kigen delivery resolve ID --sent|--not-sent\n", len(list.Unknown))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  delivery\tmessage\tref\tchannel\tsince")
	for _, u := range list.Unknown {
		fmt.Fprintf(tw, "  %d\t%d\t%s\t%s\t%s\n", u.DeliveryID, u.MessageID, u.Ref, u.Channel, u.Since.Format("2006-01-02 15:04 MST"))
	}
	tw.Flush()

	if len(list.GivenUp) > 0 {
		fmt.Fprintf(w, "\nsends given up (%d): the queue stopped trying; find out why in the logs, then kigen delivery retry MESSAGE\n", len(list.GivenUp))
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  message\tref\tchannel\tplanned on")
		for _, g := range list.GivenUp {
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\n", g.MessageID, g.Ref, g.Channel, g.TickDate)
		}
	}
	return tw.Flush()
}

// actionLogger logs an operator's actions at Info level on stderr, with ids
// only (m.logger shows warnings only).
func actionLogger(m *Main) *slog.Logger {
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
