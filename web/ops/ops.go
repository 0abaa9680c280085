// Package ops is the operators' page under /ops/ (issue 21): the last
// tick, today's messages in every municipality by channel and state, the
// delivery funnel per channel and provider over the last 24 hours and 7
// days, failures by provider error code, the job queue's depth, the rate
// limits in force, each provider's last webhook report, the
// municipalities whose contact block is empty, the effective
// configuration with its secrets redacted, and a municipality's
// unknown sends and sends given up (desk.FollowupPage) with the actions
// that settle them (ResolveDelivery, ResendDelivery, RetryMessage; POSTs
// behind http.CrossOriginProtection, returning to the list). It signs people in
// through the staff console's login and session (console.Guard) and admits
// operators only: every other signed-in role gets 403. It shows no
// resident; it parses, calls one desk method and renders through package
// ui, like the console.
package ops

import (
	"cmp"
	"embed"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/web/console"
	"kigen/web/route"
	"kigen/web/ui"
)

//go:embed pages/*.html
var pageFiles embed.FS

// Deps are what the operators' page is built on.
type Deps struct {
	Desk *desk.Desk
	// Guard admits a request whose signed-in actor the rule admits
	// (console.Console.Guard); the actor is then console.ActorOf's.
	Guard func(rule route.Rule, h http.Handler) http.Handler
	// Config is the effective configuration as `kigen config` prints it,
	// secrets redacted (config.Config.Print).
	Config string
	// RateLimits are the rate limits in force, from the configuration
	// (KIGEN_RATE_EMAIL, KIGEN_RATE_SMS).
	RateLimits []RateLimit
	// Logger receives internal errors, with the route pattern only; nil
	// discards them.
	Logger *slog.Logger
}

// RateLimit is a channel's pace of sends to its provider: PerSecond sends
// a second, 0 for unlimited.
type RateLimit struct {
	Channel   kigen.Channel
	PerSecond float64
}

// Ops serves the operators' page. It is a web.Surface.
type Ops struct {
	desk   *desk.Desk
	guard  func(route.Rule, http.Handler) http.Handler
	config string
	rates  []RateLimit
	logger *slog.Logger
	pages  *ui.Renderer
}

// New returns the operators' page. It panics without a Desk or Guard (a
// wiring bug).
func New(d Deps) *Ops {
	if d.Desk == nil || d.Guard == nil {
		panic("ops: New without a Desk or Guard")
	}
	o := &Ops{desk: d.Desk, guard: d.Guard, config: d.Config, rates: d.RateLimits, logger: d.Logger,
		pages: ui.NewRenderer(pageFiles, "pages/*.html")}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Register adds the operators' routes to m, each for operators only.
func (o *Ops) Register(m *route.Mux) {
	in := m.Group(o.guard)
	in.Handle("GET /ops/{$}", route.Operator, http.HandlerFunc(o.home))
	in.Handle("GET /ops/followup", route.Operator, http.HandlerFunc(o.followup))
	cop := http.NewCrossOriginProtection()
	for _, p := range []string{"POST /ops/deliveries/{id}/resend", "POST /ops/deliveries/{id}/resolve", "POST /ops/messages/{id}/retry"} {
		in.Handle(p, route.Operator, cop.Handler(http.HandlerFunc(o.settle)))
	}
	// Any other path under /ops/: not found, once the guard admits.
	in.Handle("GET /ops/", route.Operator, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.fail(w, r, http.StatusNotFound, "error.not_found")
	}))
}

// homeView is the operators' page.
type homeView struct {
	ui.Page
	Date   string
	Tick   *tickView
	Counts []countRow
	Total  int
	Config string
	// The funnel of the last day and week, the failures, the queue, the
	// rate limits, the providers' last reports, the municipalities without
	// a contact block.
	Funnel    []funnelWindow
	Stages    []string // the funnel's columns (funnelStages)
	Failures  []failureRow
	Queue     *queueView
	Rates     []rateRow
	Reports   []reportRow
	NoContact []desk.OpsMunicipality
}

// funnelWindow is the funnel of one window.
type funnelWindow struct {
	ID, Title string
	Rows      []funnelRow
}

// funnelRow is a channel and provider's stages, in the order of
// funnelStages; Key ("sms twilio") names the row for tests and styles.
type funnelRow struct {
	Key, Channel, Provider string
	N                      []int
	Total                  int
}

// funnelStages are the funnel's columns, in order.
var funnelStages = []string{"planned", "sending", "retrying", "sent", "delivered", "failed", "bounced", "unknown", "dropped"}

func stageCounts(f desk.FunnelStages) []int {
	return []int{f.Planned, f.Sending, f.Retrying, f.Sent, f.Delivered, f.Failed, f.Bounced, f.Unknown, f.Dropped}
}

type failureRow struct {
	Provider, Channel, State, Code string
	Day, Week                      int
}

type queueView struct {
	Waiting, Running, Later int
	Oldest                  string
}

type rateRow struct{ Channel, Limit string }

type reportRow struct {
	Provider, At, Status string
	MessageID            int64
}

type tickView struct {
	Date, Started, Finished, Duration string
	Notices, Messages                 int
	Running, TimeTravel               bool
}

type countRow struct {
	Channel, State, Delivery string
	N                        int
}

// home shows the last tick, today's messages and the configuration.
func (o *Ops) home(w http.ResponseWriter, r *http.Request) {
	a, _ := console.ActorOf(r.Context())
	v, err := o.desk.Ops(r.Context(), a)
	if err != nil {
		o.answer(w, r, err)
		return
	}
	p := o.page(r, "ops.title")
	hv := homeView{Page: p, Date: p.Date(v.Date), Config: o.config, Stages: funnelStages}
	if t := v.Tick; t != nil {
		tv := &tickView{Date: p.Date(t.Date), Started: stamp(t.StartedAt), Notices: t.Notices, Messages: t.Messages,
			Running: t.FinishedAt.IsZero(), TimeTravel: t.TimeTravel}
		if !tv.Running {
			tv.Finished, tv.Duration = stamp(t.FinishedAt), t.Duration.Round(time.Millisecond).String()
		}
		hv.Tick = tv
	}
	o.fill(&hv, p, v)
	for _, c := range v.Messages {
		row := countRow{Channel: p.T("channel." + string(c.Channel)), State: string(c.State), Delivery: string(c.Delivery), N: c.N}
		if row.Delivery == "" {
			row.Delivery = "—"
		}
		hv.Counts = append(hv.Counts, row)
		hv.Total += c.N
	}
	o.show(w, r, http.StatusOK, "home", hv)
}

// fill puts the funnel, the failures, the queue, the rate limits, the
// reports and the municipalities without a contact block into hv.
func (o *Ops) fill(hv *homeView, p ui.Page, v *desk.OpsView) {
	for _, w := range []struct {
		id, key string
		pick    func(desk.FunnelRow) desk.FunnelStages
	}{
		{"funnel-day", "ops.funnel.day", func(r desk.FunnelRow) desk.FunnelStages { return r.Day }},
		{"funnel-week", "ops.funnel.week", func(r desk.FunnelRow) desk.FunnelStages { return r.Week }},
	} {
		fw := funnelWindow{ID: w.id, Title: p.T(w.key)}
		for _, r := range v.Funnel {
			st := w.pick(r)
			if st.Total() == 0 {
				continue
			}
			row := funnelRow{Key: string(r.Channel) + " " + cmp.Or(r.Provider, "none"), Channel: p.T("channel." + string(r.Channel)),
				Provider: cmp.Or(r.Provider, p.T("ops.funnel.no_provider")), N: stageCounts(st), Total: st.Total()}
			fw.Rows = append(fw.Rows, row)
		}
		hv.Funnel = append(hv.Funnel, fw)
	}
	for _, f := range v.Failures {
		hv.Failures = append(hv.Failures, failureRow{Provider: f.Provider, Channel: p.T("channel." + string(f.Channel)),
			State: string(f.State), Code: cmp.Or(f.ErrorCode, p.T("ops.failures.no_code")), Day: f.Day, Week: f.Week})
	}
	if q := v.Queue; q != nil {
		hv.Queue = &queueView{Waiting: q.Waiting, Running: q.Running, Later: q.Later, Oldest: q.OldestWait.Round(time.Second).String()}
	}
	for _, r := range o.rates {
		limit := p.T("ops.rates.unlimited")
		if r.PerSecond > 0 {
			limit = strconv.FormatFloat(r.PerSecond, 'g', -1, 64)
		}
		hv.Rates = append(hv.Rates, rateRow{Channel: p.T("channel." + string(r.Channel)), Limit: limit})
	}
	for _, r := range v.Reports {
		hv.Reports = append(hv.Reports, reportRow{Provider: r.Provider, At: stamp(r.At), Status: r.Status, MessageID: r.MessageID})
	}
	hv.NoContact = v.NoContact
}

// stamp is a time in Tokyo, to the second.
func stamp(t time.Time) string { return t.In(kigen.Tokyo).Format("2006-01-02 15:04:05 MST") }

func (o *Ops) page(r *http.Request, titleKey string) ui.Page {
	p := ui.Page{Lang: ui.LangOf(r), Path: r.URL.RequestURI()}
	p.Title = p.T(titleKey)
	if a, ok := console.ActorOf(r.Context()); ok {
		p.User = &ui.User{ID: a.ID, Role: string(a.Role), Municipality: a.MunicipalityCode,
			Admin: a.Role == auth.Admin, Operator: a.Role == auth.Operator}
	}
	return p
}

// answer renders the error page of err's code.
func (o *Ops) answer(w http.ResponseWriter, r *http.Request, err error) {
	switch kigen.ErrorCode(err) {
	case kigen.ENOTFOUND:
		o.fail(w, r, http.StatusNotFound, "error.not_found")
	case kigen.EUNAUTHORIZED:
		o.fail(w, r, http.StatusForbidden, "error.forbidden")
	case kigen.EINVALID, kigen.ECONFLICT:
		p := o.page(r, "error.invalid.title")
		o.show(w, r, http.StatusBadRequest, "error", errorView{Page: p, Text: kigen.ErrorMessage(err)})
	default:
		o.logger.ErrorContext(r.Context(), "ops page failed", slog.String("route", r.Pattern), slog.Any("error", err))
		o.fail(w, r, http.StatusInternalServerError, "error.internal")
	}
}

type errorView struct {
	ui.Page
	Text string
}

func (o *Ops) fail(w http.ResponseWriter, r *http.Request, status int, key string) {
	p := o.page(r, key+".title")
	o.show(w, r, status, "error", errorView{Page: p, Text: p.T(key)})
}

func (o *Ops) show(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	if err := o.pages.Render(w, status, name, data); err != nil {
		o.logger.ErrorContext(r.Context(), "ops render failed", slog.String("route", r.Pattern), slog.Any("error", err))
	}
}
