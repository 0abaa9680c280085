package scheduler

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"kigen"
	"kigen/notify"
	"kigen/store"
)

// Where a message of the day stands, as TickReport.Day counts it: one of
// its final states, or, while it is still planned, why.
const (
	DaySent     = "sent"     // the provider took it (or reported it delivered)
	DayWaiting  = "waiting"  // an SMS waiting for the SMS window (09:00–20:00 Asia/Tokyo)
	DayRetrying = "retrying" // an attempt failed; River tries again later (TickReport.Reasons)
	DayQueued   = "queued"   // can go now: another process (kigen serve, another tick) has it or will
	DayGivenUp  = "given_up" // the queue gave up on it: kigen followup lists it
	DayFailed   = "failed"   // refused for good, no other channel
	DayUnknown  = "unknown"  // may have reached the provider: settle it (kigen followup)
	DayDropped  = "dropped"  // not sent on purpose: resident erased, no usable contact, too late
)

// DayStatuses are the statuses of TickReport.Day, in the order a summary
// lists them.
var DayStatuses = []string{DaySent, DayWaiting, DayRetrying, DayQueued, DayGivenUp, DayFailed, DayUnknown, DayDropped}

// TickReport is what a tick run in the foreground did, and where every
// message of its day stands when it returns (`kigen tick`, the demo).
type TickReport struct {
	Date string `json:"date"` // the day planned
	// Today is the date in Asia/Tokyo on the real clock. TimeTravel: Date
	// is not Today (--now, KIGEN_NOW); the store records the tick so.
	Today      string `json:"today"`
	TimeTravel bool   `json:"time_travel"`
	Residents  int    `json:"residents"`
	Notices    int    `json:"notices"`  // recorded by this tick
	Messages   int    `json:"messages"` // planned by this tick
	// Sent (per channel), Failed, Retrying and Unknown are the outcomes of
	// the sends this run made (of any day's messages).
	Sent     map[string]int `json:"sent"`
	Failed   int            `json:"failed"`
	Retrying int            `json:"retrying"`
	Unknown  int            `json:"unknown"`
	// Day counts every message of Date, whichever tick or process planned
	// and sent it, by status (DayStatuses: each present) and channel.
	Day map[string]map[string]int `json:"day"`
	// Reasons say why the day's messages retrying or given up wait.
	Reasons []DayReason `json:"reasons"`
	// Blocked, if set, is why nothing could be delivered: this run's sends
	// all failed for a reason of the configuration (the outbox file cannot
	// be written, a provider refuses Kigen's keys). kigen tick then exits 3.
	Blocked string `json:"blocked,omitempty"`
}

// DayReason is why some messages of the day wait: their status
// (DayRetrying or DayGivenUp), channel, the reason (the last error of a
// message among them, ids and personal data left out) and how many.
type DayReason struct {
	Status   string `json:"status"`
	Channel  string `json:"channel"`
	Reason   string `json:"reason"`
	Messages int    `json:"messages"`
	// Example is one of the messages, to find in the logs.
	Example int64 `json:"example_message_id"`
}

// RunTick plans today's notices with p, then works every job q can run
// now — this tick's and any left by earlier ticks or crashes — and
// reports: what this run planned and sent, and where every message of the
// day stands (read from the store and the queue once no job can run
// now). c must count the sends of q's workers.
func RunTick(ctx context.Context, p *Planner, q *Queue, c *SendCounts, today kigen.Date) (TickReport, error) {
	real := kigen.DateOf(time.Now())
	ps, err := p.Tick(ctx, today)
	if err != nil {
		return TickReport{}, fmt.Errorf("plan %s: %w", today, err)
	}
	before := c.snapshot()
	if err := q.WorkUntilIdle(ctx); err != nil {
		return TickReport{}, fmt.Errorf("deliver: %w", err)
	}
	after := c.snapshot()
	r := TickReport{Date: today.String(), Today: real.String(), TimeTravel: today != real,
		Residents: ps.Residents, Notices: ps.Notices, Messages: ps.Messages, Sent: map[string]int{}}
	var sent int
	for _, ch := range kigen.Channels {
		d := func(outcome string) int { return after[ch][outcome] - before[ch][outcome] }
		r.Sent[string(ch)] = d(OutcomeSent)
		sent += d(OutcomeSent)
		r.Failed += d(OutcomeFailed)
		r.Retrying += d(OutcomeRetrying)
		r.Unknown += d(OutcomeUnknown)
	}
	blocked, err := r.readDay(ctx, p.Store, q, today)
	if err != nil {
		return TickReport{}, fmt.Errorf("report %s: %w", today, err)
	}
	if sent == 0 && r.Retrying > 0 {
		r.Blocked = blocked
	}
	return r, nil
}

// dayPage is how many planned messages readDay reads at once.
const dayPage = 5000

// readDay fills r.Day and r.Reasons from the messages of day and their
// deliver jobs. It returns the reason of the configuration that holds the
// retrying messages, if every one whose attempt failed failed for one.
func (r *TickReport) readDay(ctx context.Context, s store.Store, q *Queue, day kigen.Date) (blocked string, err error) {
	r.Day = make(map[string]map[string]int, len(DayStatuses))
	for _, st := range DayStatuses {
		r.Day[st] = map[string]int{}
	}
	counts, err := s.CountMessagesOn(ctx, day)
	if err != nil {
		return "", err
	}
	for _, c := range counts {
		if st := finalStatus(c.State); st != "" {
			r.Day[st][string(c.Channel)] += c.N
		}
	}
	jobs, err := q.deliverJobs(ctx)
	if err != nil {
		return "", err
	}
	reasons := map[[3]string]*DayReason{}
	configOnly, failedAttempts := true, 0
	now := time.Now()
	for after := int64(0); ; {
		page, err := s.ListPlannedMessagesOn(ctx, day, after, dayPage)
		if err != nil {
			return "", err
		}
		for _, ms := range page {
			m, d := ms.Message, ms.Delivery
			st, reason := plannedStatus(m, d, jobs[m.ID], now)
			r.Day[st][string(m.Channel)]++
			if d != nil && d.State == kigen.DeliveryFailed {
				failedAttempts++
				if c, ok := configFailure(d); ok {
					blocked = cmp.Or(blocked, c)
				} else {
					configOnly = false
				}
			}
			if reason == "" {
				continue
			}
			key := [3]string{st, string(m.Channel), groupKey(reason)}
			if reasons[key] == nil {
				reasons[key] = &DayReason{Status: st, Channel: string(m.Channel), Reason: reason, Example: m.ID}
			}
			reasons[key].Messages++
		}
		if len(page) < dayPage {
			break
		}
		after = page[len(page)-1].Message.ID
	}
	r.Reasons = make([]DayReason, 0, len(reasons))
	for _, k := range slices.SortedFunc(maps.Keys(reasons), func(a, b [3]string) int {
		return cmp.Or(cmp.Compare(reasons[b].Messages, reasons[a].Messages), strings.Compare(a[0]+a[1]+a[2], b[0]+b[1]+b[2]))
	}) {
		r.Reasons = append(r.Reasons, *reasons[k])
	}
	if !configOnly || failedAttempts == 0 {
		blocked = ""
	}
	return blocked, nil
}

// finalStatus is the Day status of a message in state st, "" while it is
// planned (plannedStatus says why).
func finalStatus(st kigen.MessageState) string {
	switch st {
	case kigen.MessageSent:
		return DaySent
	case kigen.MessageFailed:
		return DayFailed
	case kigen.MessageUnknown:
		return DayUnknown
	case kigen.MessageDropped:
		return DayDropped
	}
	return ""
}

// plannedStatus says why a planned message m, whose last delivery is d
// (nil: never tried) and whose deliver job is job (nil: none left), has
// not gone yet at now, and gives the reason of a retry or a give-up.
func plannedStatus(m *kigen.Message, d *kigen.Delivery, job *store.Job, now time.Time) (status, reason string) {
	switch {
	case job == nil:
		return DayGivenUp, "no delivery job is left for it"
	case job.State == "discarded":
		return DayGivenUp, reasonOf(job, d)
	case job.State != "scheduled" && job.State != "retryable", !job.ScheduledAt.After(now.Add(idleAhead)):
		return DayQueued, ""
	case job.LastError != "", d != nil && d.State == kigen.DeliveryFailed:
		return DayRetrying, reasonOf(job, d)
	case m.Channel == kigen.SMS:
		return DayWaiting, ""
	}
	return DayRetrying, "postponed until " + job.ScheduledAt.In(kigen.Tokyo).Format("2006-01-02 15:04 MST")
}

// jobPrefix is how a deliver job's errors begin ("deliver message 14: ").
var jobPrefix = regexp.MustCompile(`^deliver message \d+: `)

// maxReasonRunes bounds a reason as a summary shows it.
const maxReasonRunes = 160

// reasonOf is why a message waits: its job's last error (the latest word),
// else its last failed delivery's, redacted (notify.Redact: no address or
// number, however an error quotes one) and cut short.
func reasonOf(job *store.Job, d *kigen.Delivery) string {
	var s string
	switch {
	case job != nil && job.LastError != "":
		s = jobPrefix.ReplaceAllString(job.LastError, "")
	case d != nil && d.ErrorCode != "":
		s = fmt.Sprintf("%s: failure (%s): %s", d.Provider, d.ErrorCode, d.ErrorReason)
	default:
		return "no error recorded"
	}
	s = notify.Redact(s)
	if rs := []rune(s); len(rs) > maxReasonRunes {
		s = string(rs[:maxReasonRunes-1]) + "…"
	}
	return s
}

// digits matches what differs between two reasons that are one: ids,
// counts, times.
var digits = regexp.MustCompile(`[0-9]+`)

// groupKey is what reasons are grouped by.
func groupKey(reason string) string { return digits.ReplaceAllString(reason, "#") }

// configFailures are the failed deliveries that say the configuration is
// wrong, not the message, by provider and error code.
var configFailures = map[[2]string]string{
	{"outbox", "write"}: "the outbox file cannot be written (KIGEN_OUTBOX)",
	{"sendgrid", "401"}: "SendGrid refuses the API key (SENDGRID_API_KEY)",
	{"sendgrid", "403"}: "SendGrid refuses the API key the permission to send (SENDGRID_API_KEY)",
	{"twilio", "401"}:   "Twilio refuses the credentials (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)",
	{"twilio", "20003"}: "Twilio refuses the credentials (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)",
	{"twilio", "403"}:   "Twilio refuses the credentials the permission to send (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)",
}

// configFailure reports whether a failed delivery failed for a reason of
// the configuration, and which.
func configFailure(d *kigen.Delivery) (string, bool) {
	s, ok := configFailures[[2]string{d.Provider, d.ErrorCode}]
	return s, ok
}

// deliverJobs returns, by message, the latest deliver job not done with
// it: waiting, running, retrying or discarded.
func (q *Queue) deliverJobs(ctx context.Context) (map[int64]*store.Job, error) {
	jobs, err := q.client.ListJobs(ctx, DeliverArgs{}.Kind(), "message_id",
		[]string{"pending", "available", "scheduled", "running", "retryable", "discarded"})
	if err != nil {
		return nil, fmt.Errorf("scheduler: deliver jobs: %w", err)
	}
	out := make(map[int64]*store.Job, len(jobs))
	for i := range jobs { // by ID: the latest wins
		out[jobs[i].Arg] = &jobs[i]
	}
	return out, nil
}

// WriteSummary writes the report as kigen tick prints it: the day
// planned (and, loudly, whether it is not today), what this run did, and
// every message of the day by status, with the reasons of those waiting.
func (r *TickReport) WriteSummary(w io.Writer) error {
	var b strings.Builder
	if r.TimeTravel {
		fmt.Fprintf(&b, "TIME TRAVEL: this tick planned %s, but today in Tokyo is %s; its messages were written as of %s, and the store records it as time-travelled\n", r.Date, r.Today, r.Date)
	}
	fmt.Fprintf(&b, "tick %s: %d notices for %d residents in %d messages; this run sent %d email, %d sms\n",
		r.Date, r.Notices, r.Residents, r.Messages, r.Sent[string(kigen.Email)], r.Sent[string(kigen.SMS)])
	fmt.Fprintf(&b, "messages of %s, every tick of the day:\n", r.Date)
	for _, st := range DayStatuses {
		n, by := 0, r.Day[st]
		var chs []string
		for _, ch := range kigen.Channels {
			if by[string(ch)] > 0 {
				n += by[string(ch)]
				chs = append(chs, fmt.Sprintf("%s %d", ch, by[string(ch)]))
			}
		}
		if n == 0 && (st == DayQueued || st == DayGivenUp) {
			continue
		}
		note := ""
		if n > 0 {
			note = "  " + strings.Join(chs, ", ") + dayNotes[st]
		}
		fmt.Fprintf(&b, "  %-9s %6d%s\n", st, n, note)
	}
	for _, rs := range r.Reasons {
		fmt.Fprintf(&b, "    %s %s %d: %s (e.g. message %d)\n", rs.Status, rs.Channel, rs.Messages, rs.Reason, rs.Example)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// dayNotes explain a status in the summary.
var dayNotes = map[string]string{
	DayWaiting: "  (SMS go out 09:00–20:00 Asia/Tokyo)",
	DayQueued:  "  (can go now: kigen serve or another tick has them)",
	DayGivenUp: "  (see kigen followup, then kigen delivery retry MESSAGE)",
}
