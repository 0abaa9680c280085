package scheduler

import (
	"context"
	"fmt"
	"log/slog"

	"kigen"
	"kigen/store"
)

// EnqueueFunc inserts deliver jobs for messages in the store's transaction
// tx (Queue.Enqueue): what DeliverWorker and Sink need to send a fallback
// message in the transaction that records the failure.
type EnqueueFunc = func(ctx context.Context, tx store.Tx, messageIDs []int64) error

// fallbackResult is what fallback did: the message it made and enqueued
// (ID 0: none), or why it made none.
type fallbackResult struct {
	MessageID int64
	Channel   kigen.Channel
	Skipped   string // why no fallback message was made; empty if one was
}

// attrs returns the result as log attributes (ids and reasons only).
func (r fallbackResult) attrs() []any {
	if r.MessageID == 0 {
		return []any{slog.String("fallback", "none"), slog.String("why", r.Skipped)}
	}
	return []any{slog.Int64("fallback_message_id", r.MessageID), slog.String("fallback_channel", string(r.Channel))}
}

// fallback sends message m's notices on the resident's other channel after
// m failed for good on its own (docs/domain.md §7, §11.18), in tx — the
// transaction that records the failure (and has already marked the contact
// failed or opted out, if the report said so): it creates a planned message
// on that channel with m's tick date and notices and enqueues its deliver
// job. It makes none when
//
//   - enqueue is nil (no queue: the message just stays failed);
//   - the resident is erased;
//   - the failure was the resident's opt-out: their "stop" is not moved
//     to another channel (docs/domain.md §11.17);
//   - the resident has no usable contact on another channel (they are then
//     on the staff follow-up list, from m's failed state);
//   - none of m's notices can go out any more (kigen.NoticesToSend);
//   - a message on that channel already carries one of m's notices: the
//     tick planned both channels, or a fallback was already made (a
//     duplicate report) — and the fallback of a fallback never comes back
//     to the first channel.
func fallback(ctx context.Context, tx store.Tx, enqueue EnqueueFunc, m *kigen.Message, optOut bool, today kigen.Date) (fallbackResult, error) {
	switch {
	case enqueue == nil:
		return fallbackResult{Skipped: "no queue"}, nil
	case m.ResidentID == 0:
		return fallbackResult{Skipped: "resident erased"}, nil
	case optOut:
		return fallbackResult{Skipped: "the resident opted out"}, nil
	case len(m.NoticeIDs) == 0:
		return fallbackResult{Skipped: "no notice"}, nil
	}
	hs, err := store.LoadHoldings(ctx, tx, m.MunicipalityID, m.ResidentID)
	if err != nil {
		return fallbackResult{}, fmt.Errorf("fallback for message %d: %w", m.ID, err)
	}
	if len(hs) == 0 {
		return fallbackResult{Skipped: "resident erased"}, nil
	}
	h := hs[0]
	var ch kigen.Channel
	for _, c := range kigen.Channels {
		if ct := h.Contact(c); c != m.Channel && ct != nil && ct.Usable() {
			ch = c
			break
		}
	}
	if ch == "" {
		return fallbackResult{Skipped: "no usable contact on another channel"}, nil
	}
	if ds, _ := kigen.NoticesToSend(h.Holder(), h.Notices, m.NoticeIDs, today); len(ds) == 0 {
		return fallbackResult{Skipped: "no notice can go out any more"}, nil
	}
	carried, err := tx.MessageCarriesNotices(ctx, m.MunicipalityID, ch, m.NoticeIDs)
	if err != nil {
		return fallbackResult{}, fmt.Errorf("fallback for message %d: %w", m.ID, err)
	}
	if carried {
		return fallbackResult{Skipped: "already on the other channel"}, nil
	}
	fm := &kigen.Message{
		MunicipalityID: m.MunicipalityID,
		ResidentID:     m.ResidentID,
		Channel:        ch,
		TickDate:       m.TickDate,
		State:          kigen.MessagePlanned,
		NoticeIDs:      append([]int64(nil), m.NoticeIDs...),
	}
	if err := tx.CreateMessage(ctx, fm); err != nil {
		return fallbackResult{}, fmt.Errorf("fallback for message %d: %w", m.ID, err)
	}
	if err := enqueue(ctx, tx, []int64{fm.ID}); err != nil {
		return fallbackResult{}, fmt.Errorf("fallback for message %d: %w", m.ID, err)
	}
	return fallbackResult{MessageID: fm.ID, Channel: ch}, nil
}
