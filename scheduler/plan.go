package scheduler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"kigen"
	"kigen/store"
)

// DefaultBatchSize is how many residents a tick plans per transaction when
// Planner.BatchSize is not set.
const DefaultBatchSize = 1000

// dueCardsPerResident is how many due cards a batch reads per resident it
// may plan: a resident has at most four cards, and most have one due.
const dueCardsPerResident = 4

// ErrNoProgress is returned by Planner.Tick when a batch finds only cards
// that an earlier batch of the same tick already planned, still due, and
// records nothing for them: their next dates are not being kept, and the
// tick would loop on them for ever.
var ErrNoProgress = errors.New("tick made no progress")

// Planner runs the daily tick: it reads the cards whose next notice is due,
// runs the domain rules (kigen.Plan) on their residents, and records the
// notices due, the messages carrying them (one per resident per channel,
// docs/domain.md §7) and each card's next due date, then has the messages'
// delivery jobs enqueued — all of a batch of residents in one transaction.
type Planner struct {
	// Store is where cards are read and notices and messages recorded.
	Store store.Store
	// Enqueue inserts the delivery jobs of these messages in tx (River's
	// InsertManyTx in production; nil in tests that only plan). It is
	// called once per batch that planned a message, inside the batch's
	// transaction, so that a rollback drops the jobs with the notices. An
	// error rolls the batch back and ends the tick.
	Enqueue func(ctx context.Context, tx store.Tx, messageIDs []int64) error
	// BatchSize is how many residents are planned per transaction;
	// 0 means DefaultBatchSize.
	BatchSize int
	// Concurrency is how many batches of the tick's snapshot of due cards
	// are planned at once, each in its own transaction (the batches share
	// no resident); 0 or 1 plans one batch at a time. More than one helps
	// on PostgreSQL, whose connections work in parallel; SQLite has one.
	Concurrency int
	// SnapshotSize is how many due cards a tick reads at once to cut its
	// batches by municipality; the cards beyond it are planned afterwards,
	// read again batch by batch. 0 means DefaultSnapshotSize.
	SnapshotSize int
	// Logger receives one line per batch and one per tick: counts and IDs
	// only, never personal data. Nil means slog.Default().
	Logger *slog.Logger

	active atomic.Int32 // ticks running in this process
}

// Active reports how many ticks this Planner is running now.
func (p *Planner) Active() int { return int(p.active.Load()) }

// TickSummary is what one tick planned.
type TickSummary struct {
	// TickID is the store.Tick recording this run.
	TickID int64
	// Date is the day planned (Asia/Tokyo).
	Date kigen.Date
	// Residents is how many residents with a due card the tick looked at,
	// whether or not anything was due for them after all.
	Residents int
	// Notices is how many notices this tick recorded (not those a
	// concurrent tick recorded first).
	Notices int
	// Messages is how many messages this tick planned.
	Messages int
	// Batches is how many transactions the tick committed.
	Batches int
	// ByStage counts the notices recorded by card kind and stage.
	ByStage map[kigen.CardKind]map[kigen.Stage]int
	// ByChannel counts the messages planned by channel.
	ByChannel map[kigen.Channel]int
	// Duration is how long the tick took.
	Duration time.Duration
}

// Tick plans the day today. It records the run (store.Tick), then plans
// batches of residents, in one transaction each, until no card is due on
// or before today:
//
//   - up to BatchSize residents with a due card are loaded with their
//     contacts, cards and notices (one store.ListHoldings, whatever the
//     municipalities), and planned with kigen.Plan, in municipality and
//     resident ID order;
//   - every notice due is recorded (TickDate today), with one
//     store.CreateNotices for the batch. One already recorded was
//     recorded by a concurrent tick and travels in that tick's message, so
//     it is skipped here;
//   - the notices this tick recorded for a resident go in one message per
//     channel kigen.SendChannels gives; no notice, no message;
//   - every card's next due date is stored where Plan's differs, which
//     takes each planned card past today (or clears it), so that the loop
//     ends;
//   - Enqueue gets the batch's message IDs, in the transaction.
//
// Tick is idempotent: a second tick on the same day finds nothing due and
// plans nothing, and two ticks running at once record each notice once and
// put it in exactly one message per channel. A batch writes its residents
// in ascending municipality, then resident ID order (ResidentKey.Compare),
// so that two ticks' transactions on PostgreSQL wait for each other rather
// than deadlock.
//
// A card that comes due again during the tick (an import re-planned it) is
// planned again; a batch of nothing but such cards that records nothing
// ends the tick with ErrNoProgress instead of looping.
//
// On error the batch in progress is rolled back, the batches already
// committed stay, and the tick record is left unfinished; the summary
// counts the committed batches. Running the tick again completes it.
func (p *Planner) Tick(ctx context.Context, today kigen.Date) (TickSummary, error) {
	start := time.Now() // monotonic: Now may be a frozen or time-travelling clock
	p.active.Add(1)
	defer p.active.Add(-1)
	sum := TickSummary{
		Date:      today,
		ByStage:   map[kigen.CardKind]map[kigen.Stage]int{},
		ByChannel: map[kigen.Channel]int{},
	}
	// Stamped with the store's clock, the real one, never KIGEN_NOW's: a
	// tick planning another day says so (store.Tick.TimeTravel) and never
	// shows a start later than the real time (docs/operations.md).
	rec := &store.Tick{Date: today}
	if err := p.Store.CreateTick(ctx, rec); err != nil {
		return sum, fmt.Errorf("tick %s: %w", today, err)
	}
	sum.TickID = rec.ID
	log := p.logger().With(slog.Int64("tick_id", rec.ID), slog.String("tick_date", today.String()))

	st := &tickState{sum: &sum, seen: map[int64]bool{}, log: log}
	// First the cards due when the tick starts, read once and planned in
	// batches of whole municipalities (Concurrency at a time); then the
	// loop, which reads the due cards again batch by batch, plans what is
	// left: cards beyond the snapshot's limit, or come due meanwhile.
	if err := p.planSnapshot(ctx, today, st); err != nil {
		sum.Duration = time.Since(start)
		return sum, err
	}
	if err := p.loop(ctx, today, st); err != nil {
		sum.Duration = time.Since(start)
		return sum, err
	}
	sum.Duration = time.Since(start)

	rec.FinishedAt = rec.StartedAt.Add(sum.Duration)
	rec.Notices, rec.Messages = sum.Notices, sum.Messages
	if err := p.Store.FinishTick(ctx, rec); err != nil {
		return sum, fmt.Errorf("tick %s: %w", today, err)
	}
	log.InfoContext(ctx, "tick finished",
		slog.Int("batches", sum.Batches),
		slog.Int("residents", sum.Residents),
		slog.Int("notices", sum.Notices),
		slog.Int("messages", sum.Messages),
		slog.Duration("duration", sum.Duration))
	return sum, nil
}

// DefaultSnapshotSize bounds the due cards a tick reads at once (about 40
// bytes each, 20 MB at most); a day with more (a long outage caught up)
// plans the rest afterwards.
const DefaultSnapshotSize = 500_000

// planSnapshot reads the cards due now and plans their residents in
// batches of up to BatchSize residents, in municipality and resident
// order; a batch makes the same few statements however many
// municipalities it spans (Japan has about 1,700). Concurrency batches run
// at once; the batches share no resident.
func (p *Planner) planSnapshot(ctx context.Context, today kigen.Date, st *tickState) error {
	due, err := p.Store.ListDueCards(ctx, today, cmp.Or(max(p.SnapshotSize, 0), DefaultSnapshotSize))
	if err != nil {
		return fmt.Errorf("tick %s: %w", today, err)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, p.Concurrency))
	for _, db := range groupDue(due, p.batchSize()) {
		if ctx.Err() != nil {
			break // a batch failed: the first error is the tick's
		}
		g.Go(func() error {
			return p.commit(ctx, today, st, func(tx store.Tx, b *batch) error {
				b.cards = db.cards
				return p.planResidents(ctx, tx, today, db.keys, b)
			})
		})
	}
	return g.Wait()
}

// dueBatch is a batch of the snapshot: its residents, in municipality and
// resident order, and their due cards.
type dueBatch struct {
	keys  []store.ResidentKey
	cards []int64
}

// groupDue sorts due cards by municipality and resident and cuts batches
// of at most size residents.
func groupDue(due []store.DueCard, size int) []dueBatch {
	due = slices.Clone(due)
	slices.SortFunc(due, func(a, b store.DueCard) int {
		return cmp.Or(dueKey(a).Compare(dueKey(b)), cmp.Compare(a.CardID, b.CardID))
	})
	var (
		out []dueBatch
		cur dueBatch
	)
	for _, d := range due {
		if k := dueKey(d); len(cur.keys) == 0 || cur.keys[len(cur.keys)-1] != k {
			if len(cur.keys) == size {
				out, cur = append(out, cur), dueBatch{}
			}
			cur.keys = append(cur.keys, k)
		}
		cur.cards = append(cur.cards, d.CardID)
	}
	if len(cur.keys) > 0 {
		out = append(out, cur)
	}
	return out
}

// dueKey is the key of a due card's resident.
func dueKey(d store.DueCard) store.ResidentKey {
	return store.ResidentKey{MunicipalityID: d.MunicipalityID, ResidentID: d.ResidentID}
}

// tickState is what the loops of one tick share.
type tickState struct {
	mu   sync.Mutex
	sum  *TickSummary
	seen map[int64]bool // cards planned by a committed batch of this tick
	log  *slog.Logger
}

// loop plans batches of the residents with a due card, read again for
// each batch, until none is left.
func (p *Planner) loop(ctx context.Context, today kigen.Date, st *tickState) error {
	for {
		var done bool
		err := p.commit(ctx, today, st, func(tx store.Tx, b *batch) error {
			err := p.planBatch(ctx, tx, today, b)
			done = err == nil && len(b.cards) == 0
			return err
		})
		if err != nil || done {
			return err
		}
	}
}

// commit runs one batch in a transaction and counts it in the summary
// once committed. A batch of cards all planned earlier in this tick that
// recorded nothing is ErrNoProgress.
func (p *Planner) commit(ctx context.Context, today kigen.Date, st *tickState, plan func(tx store.Tx, b *batch) error) error {
	batchStart := time.Now()
	var b batch
	err := p.Store.InTx(ctx, func(tx store.Tx) error {
		b = batch{} // fn runs once; start clean all the same
		return plan(tx, &b)
	})
	st.mu.Lock()
	n := st.sum.Batches + 1
	if err != nil {
		st.mu.Unlock()
		return fmt.Errorf("tick %s: batch %d: %w", today, n, err)
	}
	if len(b.cards) == 0 {
		st.mu.Unlock()
		return nil
	}
	if b.notices == 0 && allSeen(st.seen, b.cards) {
		st.mu.Unlock()
		return fmt.Errorf("tick %s: batch %d: %d cards still due: %w", today, n, len(b.cards), ErrNoProgress)
	}
	for _, id := range b.cards {
		st.seen[id] = true
	}
	st.sum.Batches = n
	st.sum.add(&b)
	st.mu.Unlock()
	st.log.InfoContext(ctx, "tick batch",
		slog.Int("batch", n),
		slog.Int("residents", b.residents),
		slog.Int("notices", b.notices),
		slog.Int("messages", len(b.messageIDs)),
		slog.Duration("duration", time.Since(batchStart)))
	return nil
}

// batch is what one transaction planned. Its counts join the summary only
// once it committed.
type batch struct {
	cards      []int64 // the due cards of the residents planned
	residents  int
	notices    int
	messageIDs []int64
	byStage    map[kigen.CardKind]map[kigen.Stage]int
	byChannel  map[kigen.Channel]int
}

// add counts a committed batch in the summary.
func (s *TickSummary) add(b *batch) {
	s.Residents += b.residents
	s.Notices += b.notices
	s.Messages += len(b.messageIDs)
	for kind, stages := range b.byStage {
		if s.ByStage[kind] == nil {
			s.ByStage[kind] = map[kigen.Stage]int{}
		}
		for st, n := range stages {
			s.ByStage[kind][st] += n
		}
	}
	for ch, n := range b.byChannel {
		s.ByChannel[ch] += n
	}
}

// planBatch plans, in tx, the next residents with a due card; b.cards is
// empty when none is left.
func (p *Planner) planBatch(ctx context.Context, tx store.Tx, today kigen.Date, b *batch) error {
	size := p.batchSize()
	due, err := tx.ListDueCards(ctx, today, size*dueCardsPerResident)
	if err != nil {
		return err
	}
	if len(due) == 0 {
		return nil
	}
	// The first residents, in due order, up to the batch size, then in
	// municipality and resident order.
	picked := make(map[store.ResidentKey]bool, size)
	var keys []store.ResidentKey
	for _, d := range due {
		k := dueKey(d)
		if !picked[k] {
			if len(picked) == size {
				continue // the rest of this resident's cards wait for the next batch too
			}
			picked[k] = true
			keys = append(keys, k)
		}
		b.cards = append(b.cards, d.CardID)
	}
	// The order every batch writes in (see Tick).
	slices.SortFunc(keys, store.ResidentKey.Compare)
	return p.planResidents(ctx, tx, today, keys, b)
}

// planResidents plans, in tx, the residents named by keys (in ascending
// municipality, then resident order): one read of their holdings and one
// bulk write each for the notices, the messages and the next dates,
// whatever the number of municipalities (every row matched on its own).
func (p *Planner) planResidents(ctx context.Context, tx store.Tx, today kigen.Date, keys []store.ResidentKey, b *batch) error {
	b.byStage = map[kigen.CardKind]map[kigen.Stage]int{}
	b.byChannel = map[kigen.Channel]int{}
	hs, err := tx.ListHoldings(ctx, keys)
	if err != nil {
		return err
	}
	b.residents += len(hs)
	plan := planHoldings(hs, today)
	created, err := p.createNotices(ctx, tx, plan.notices)
	if err != nil {
		return err
	}
	if err := b.createMessages(ctx, tx, hs, b.recorded(plan, created, len(hs)), today); err != nil {
		return err
	}
	if err := p.setNext(ctx, tx, plan.next()); err != nil {
		return err
	}
	if p.Enqueue != nil && len(b.messageIDs) > 0 {
		if err := p.Enqueue(ctx, tx, b.messageIDs); err != nil {
			return fmt.Errorf("enqueue %d messages: %w", len(b.messageIDs), err)
		}
	}
	return nil
}

// holdingsPlan is what kigen.Plan decided for the residents of a batch.
type holdingsPlan struct {
	notices []store.ScopedNotice // the notices due, of every resident
	kinds   []kigen.CardKind     // of notices[i]
	owner   []int                // notices[i] is for the owner[i]-th resident
	cards   []store.CardNext     // every card's next date, in key order
	changed []bool               // cards[i] differs from the card's stored date
}

// planHoldings runs kigen.Plan on each resident.
func planHoldings(hs []store.TickHolding, today kigen.Date) *holdingsPlan {
	var pl holdingsPlan
	for i := range hs {
		h := &hs[i]
		o := kigen.Plan(h.Holder(), today)
		m := h.Key.MunicipalityID
		for _, d := range o.Due {
			pl.notices = append(pl.notices, store.ScopedNotice{MunicipalityID: m, Notice: &kigen.Notice{
				CardID: d.CardID, ExpiresOn: d.ExpiresOn, Stage: d.Stage, TickDate: today}})
			pl.kinds = append(pl.kinds, d.Kind)
			pl.owner = append(pl.owner, i)
		}
		// Plan returns one CardPlan per card, in the order of h.Cards.
		for j, cp := range o.Cards {
			pl.cards = append(pl.cards, store.CardNext{MunicipalityID: m, CardID: cp.CardID, On: cp.Next})
			pl.changed = append(pl.changed, cp.Next != h.Cards[j].NextNoticeOn)
		}
	}
	return &pl
}

// next returns the cards whose next date changes, and those given a notice
// even if it does not (rare): setting a card's next date also stores the
// stages recorded for it, which the next tick reads (ListHoldings).
func (pl *holdingsPlan) next() []store.CardNext {
	given := make(map[int64]bool, len(pl.notices))
	for _, sn := range pl.notices {
		given[sn.Notice.CardID] = true
	}
	var next []store.CardNext
	for i, cn := range pl.cards {
		if pl.changed[i] || given[cn.CardID] {
			next = append(next, cn)
		}
	}
	return next
}

// recorded counts the notices this tick recorded (created[i] for
// pl.notices[i]) by card kind and stage, and returns their IDs by the
// index of their resident among the batch's n.
func (b *batch) recorded(pl *holdingsPlan, created []bool, n int) [][]int64 {
	noticeIDs := make([][]int64, n)
	for i, sn := range pl.notices {
		if !created[i] {
			continue // a concurrent tick recorded it (it goes in that tick's message), or the card is gone
		}
		kind := pl.kinds[i]
		noticeIDs[pl.owner[i]] = append(noticeIDs[pl.owner[i]], sn.Notice.ID)
		if b.byStage[kind] == nil {
			b.byStage[kind] = map[kigen.Stage]int{}
		}
		b.byStage[kind][sn.Notice.Stage]++
		b.notices++
	}
	return noticeIDs
}

// createMessages records, in tx, one message per channel for each resident
// with notices recorded (noticeIDs[i] for hs[i]), and counts them.
func (b *batch) createMessages(ctx context.Context, tx store.Tx, hs []store.TickHolding, noticeIDs [][]int64, today kigen.Date) error {
	var msgs []*kigen.Message
	for i := range hs {
		if len(noticeIDs[i]) == 0 {
			continue
		}
		h := &hs[i]
		for _, ch := range h.SendChannels() {
			msgs = append(msgs, &kigen.Message{
				MunicipalityID: h.Key.MunicipalityID,
				ResidentID:     h.Key.ResidentID,
				Channel:        ch,
				TickDate:       today,
				State:          kigen.MessagePlanned,
				NoticeIDs:      noticeIDs[i],
			})
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := tx.CreateMessages(ctx, msgs); err != nil {
		return err
	}
	for _, m := range msgs {
		b.messageIDs = append(b.messageIDs, m.ID)
		b.byChannel[m.Channel]++
	}
	return nil
}

// setNext stores the cards' next dates in tx. A card deleted since it was
// read (then, and only then, one card at a time) is skipped.
func (p *Planner) setNext(ctx context.Context, tx store.Tx, next []store.CardNext) error {
	if len(next) == 0 {
		return nil
	}
	err := tx.SetCardsNextNoticeOn(ctx, next)
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for _, c := range next {
		err := tx.SetCardNextNoticeOn(ctx, c.MunicipalityID, c.CardID, c.On)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// createNotices records ns in tx and reports which were recorded: not one
// a concurrent tick recorded first, nor one whose card was deleted since
// it was read (then, and only then, one notice at a time).
func (p *Planner) createNotices(ctx context.Context, tx store.Tx, ns []store.ScopedNotice) ([]bool, error) {
	if len(ns) == 0 {
		return nil, nil
	}
	created, err := tx.CreateNotices(ctx, ns)
	if !errors.Is(err, store.ErrNotFound) {
		return created, err
	}
	created = make([]bool, len(ns))
	for i, sn := range ns {
		err := tx.CreateNotice(ctx, sn.MunicipalityID, sn.Notice)
		switch {
		case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return nil, err
		}
		created[i] = true
	}
	return created, nil
}

// allSeen reports whether every card in ids is in seen.
func allSeen(seen map[int64]bool, ids []int64) bool {
	for _, id := range ids {
		if !seen[id] {
			return false
		}
	}
	return true
}

func (p *Planner) batchSize() int {
	if p.BatchSize <= 0 {
		return DefaultBatchSize
	}
	return p.BatchSize
}

func (p *Planner) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.Default()
	}
	return p.Logger
}
