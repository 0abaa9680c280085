package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"kigen"
)

// signupLoad drives sign-ups through the resident pages: sign-up i has
// the mobile number 070 and 10,000,000+i in 8 digits, and the client address
// 127.x.y.z of i+2 (each its own connection from that address).
type signupLoad struct {
	base, code string
	today      kigen.Date
	outbox     string
	clients    int
	cpuProfile string // the file of the measured round's CPU profile, if any

	mu       sync.Mutex
	next     int               // the next sign-up to start
	handles  map[int]string    // sign-up → its handle (the code form's), once started
	codes    map[string]string // E.164 number → the code its SMS carried
	ready    []int             // sign-ups whose handle and code are both known, to confirm
	queued   map[int]bool      // sign-ups in ready or being confirmed
	readied  int               // sign-ups put in ready during this attack
	sent     int               // SMS read from the outbox
	outboxAt int64             // bytes of the outbox read
	partial  []byte            // an outbox line not yet whole
}

// Paths of the two requests of a sign-up.
const (
	signupSubmit  = "final submit POST /r/{code}/signup"
	signupConfirm = "code POST /r/{code}/code"
)

var (
	handleRe = regexp.MustCompile(`name="handle" value="([^"]+)"`)
	smsCode  = regexp.MustCompile(`[0-9]{6}`)
)

// phone is sign-up i's number, as a resident types it, and in E.164.
func signupPhone(i int) (typed, e164 string) {
	n := fmt.Sprintf("%08d", 10_000_000+i%90_000_000) // 070-1000-0000 on: 070-0… is not a mobile number
	return "070" + n, "+8170" + n
}

// signupClient is sign-up i's client address on the loopback network.
func signupClient(i int) net.IP {
	a := i + 2
	return net.IPv4(127, byte(a>>16), byte(a>>8), byte(a))
}

// clientKey carries the client's address to the dialer.
type clientKey struct{}

// clientTransport gives each request the client address of its sign-up
// (the URL's "client" parameter, which the pages ignore): a connection of
// its own from that address.
type clientTransport struct{ base *http.Transport }

func (t clientTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	i, err := strconv.Atoi(r.URL.Query().Get("client"))
	if err != nil {
		return nil, fmt.Errorf("bench: request without its client: %s", r.URL)
	}
	return t.base.RoundTrip(r.WithContext(context.WithValue(r.Context(), clientKey{}, signupClient(i))))
}

func newClientTransport() clientTransport {
	tr := &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: 10 * time.Second}
		if ip, ok := ctx.Value(clientKey{}).(net.IP); ok {
			d.LocalAddr = &net.TCPAddr{IP: ip}
		}
		return d.DialContext(ctx, network, addr)
	}}
	return clientTransport{base: tr}
}

// submitBody is the form of the last step (consent) with every answer
// before it: a resident with a residence card and a My Number card, in
// Japanese, confirming by SMS.
func (l *signupLoad) submitBody(i int) []byte {
	typed, _ := signupPhone(i)
	rc, mn := l.today.AddDays(400+i%300), l.today.AddDays(1500+i%300)
	f := url.Values{"lang": {"ja"}, "step": {"consent"}, "cards": {"two"}, "status": {string(kigen.FixedPeriod)},
		"channel": {string(kigen.SMS)}, "address": {typed}, "name": {benchNames[i%len(benchNames)]}, "consent": {"yes"}}
	for k, d := range map[kigen.CardKind]kigen.Date{kigen.ResidenceCard: rc, kigen.MyNumberCard: mn} {
		f.Set(string(k)+"-year", strconv.Itoa(d.Year))
		f.Set(string(k)+"-month", strconv.Itoa(int(d.Month)))
		f.Set(string(k)+"-day", strconv.Itoa(d.Day))
	}
	return []byte(f.Encode())
}

var formHeader = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept-Language": {"ja"}}

// submitTarget is a new sign-up's final submit.
func (l *signupLoad) submitTarget(t *vegeta.Target) error {
	l.mu.Lock()
	i := l.next
	l.next++
	l.mu.Unlock()
	t.Method, t.Header = http.MethodPost, formHeader
	t.URL = fmt.Sprintf("%s/r/%s/signup?client=%d", l.base, l.code, i)
	t.Body = l.submitBody(i)
	return nil
}

// confirmTarget is the code of a sign-up whose SMS has arrived: the
// pacer (readyPacer) lets a request go only when one is ready.
func (l *signupLoad) confirmTarget(t *vegeta.Target) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ready) == 0 {
		return errors.New("bench: no code ready to send") // readyPacer prevents it
	}
	i := l.ready[0]
	l.ready = l.ready[1:]
	_, e164 := signupPhone(i)
	t.Method, t.Header = http.MethodPost, formHeader
	t.URL = fmt.Sprintf("%s/r/%s/code?client=%d", l.base, l.code, i)
	t.Body = []byte(url.Values{"lang": {"ja"}, "handle": {l.handles[i]}, "code": {l.codes[e164]}}.Encode())
	return nil
}

// readyPacer paces the codes: a resident types theirs once the SMS is
// there, so a request goes as soon as one is ready (readied counts those
// made ready in this attack), and none before. It waits for one itself
// (vegeta sends a request after any wait), until the attack's end du.
type readyPacer struct {
	l  *signupLoad
	du time.Duration
}

func (p readyPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	start := time.Now()
	for {
		p.l.mu.Lock()
		ready := uint64(p.l.readied) > hits
		p.l.mu.Unlock()
		if ready {
			return 0, false
		}
		if elapsed+time.Since(start) > p.du {
			return 0, true
		}
		time.Sleep(time.Millisecond)
	}
}

func (p readyPacer) Rate(time.Duration) float64 { return 0 }

// started records a submit's answer: its handle. Called with l.mu held.
func (l *signupLoad) started(i int, body []byte) error {
	m := handleRe.FindSubmatch(body)
	if m == nil {
		return errors.New("the answer holds no code form")
	}
	l.handles[i] = string(m[1])
	l.readyUp(i)
	return nil
}

// readyUp queues sign-up i for its code once its handle and code are
// known. Called with l.mu held.
func (l *signupLoad) readyUp(i int) {
	_, e164 := signupPhone(i)
	if l.handles[i] != "" && l.codes[e164] != "" && !l.queued[i] {
		l.queued[i] = true
		l.ready = append(l.ready, i)
		l.readied++
	}
}

// readOutbox reads the lines the senders added to the outbox since the
// last call: each SMS's code, by its number.
func (l *signupLoad) readOutbox() error {
	f, err := os.Open(l.outbox)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	defer f.Close()
	l.mu.Lock()
	at := l.outboxAt
	l.mu.Unlock()
	if _, err := f.Seek(at, io.SeekStart); err != nil {
		return err
	}
	data, err := io.ReadAll(f)
	if err != nil || len(data) == 0 {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outboxAt += int64(len(data))
	data = append(l.partial, data...)
	end := bytes.LastIndexByte(data, '\n') + 1
	l.partial = append([]byte(nil), data[end:]...)
	for line := range bytes.Lines(data[:end]) {
		var m struct {
			Channel kigen.Channel `json:"channel"`
			To      string        `json:"to"`
			Body    string        `json:"body"`
		}
		if err := json.Unmarshal(line, &m); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		if m.Channel != kigen.SMS || !strings.HasPrefix(m.To, "+8170") {
			continue
		}
		l.sent++
		l.codes[m.To] = smsCode.FindString(m.Body)
		if n, err := strconv.Atoi(strings.TrimPrefix(m.To, "+8170")); err == nil {
			l.readyUp(n - 10_000_000)
		}
	}
	return nil
}

// signupOf returns the sign-up and the request of a result's URL.
func signupOf(u string) (int, string) {
	pu, err := url.Parse(u)
	if err != nil {
		return -1, ""
	}
	i, err := strconv.Atoi(pu.Query().Get("client"))
	if err != nil {
		return -1, ""
	}
	if strings.HasSuffix(pu.Path, "/code") {
		return i, signupConfirm
	}
	return i, signupSubmit
}

// signupRound is what one attack measured.
type signupRound struct {
	metrics   map[string]*vegeta.Metrics
	completed int
	wall      time.Duration
}

// attack offers rate sign-ups a second for du (each confirmed as soon
// as its SMS is in the outbox, read as it goes), and returns what it
// measured.
func (l *signupLoad) attack(ctx context.Context, rate int, du time.Duration, name string) (*signupRound, error) {
	client := &http.Client{Transport: newClientTransport(), Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	attacker := func() *vegeta.Attacker {
		return vegeta.NewAttacker(vegeta.Client(client), vegeta.Workers(uint64(l.clients)), vegeta.MaxWorkers(uint64(l.clients)))
	}
	tail, stopTail := context.WithCancel(ctx)
	tailErr := make(chan error, 1)
	go func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-tail.Done():
				tailErr <- nil
				return
			case <-t.C:
				if err := l.readOutbox(); err != nil {
					tailErr <- err
					return
				}
			}
		}
	}()
	l.mu.Lock()
	// Codes ready from before (the warm-up's) go first.
	l.readied = len(l.ready)
	l.mu.Unlock()
	results := make(chan *vegeta.Result)
	var wg sync.WaitGroup
	for _, a := range []struct {
		tr vegeta.Targeter
		p  vegeta.Pacer
	}{{l.submitTarget, vegeta.Rate{Freq: rate, Per: time.Second}}, {l.confirmTarget, readyPacer{l, du}}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range attacker().Attack(a.tr, a.p, du, name) {
				results <- r
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	round := &signupRound{metrics: map[string]*vegeta.Metrics{signupSubmit: {}, signupConfirm: {}}}
	var failed error
	begin := time.Now()
	for r := range results {
		i, req := signupOf(r.URL)
		if i < 0 {
			if failed == nil {
				failed = fmt.Errorf("sign-up request %s: %s", r.URL, r.Error)
			}
			continue
		}
		round.metrics[req].Add(r)
		switch {
		case req == signupSubmit && r.Code == http.StatusOK:
			l.mu.Lock()
			err := l.started(i, r.Body)
			l.mu.Unlock()
			if err != nil && failed == nil {
				failed = fmt.Errorf("%s of sign-up %d: %w", req, i, err)
			}
		case req == signupConfirm && r.Code == http.StatusSeeOther && strings.HasPrefix(r.Headers.Get("Location"), "/me/"):
			round.completed++
		default:
			if failed == nil {
				failed = fmt.Errorf("%s of sign-up %d: HTTP %d %s (location %q)%s", req, i, r.Code, r.Error, r.Headers.Get("Location"),
					errorOf(r.Body))
			}
		}
	}
	round.wall = time.Since(begin)
	stopTail()
	if err := <-tailErr; err != nil {
		return nil, err
	}
	for _, m := range round.metrics {
		m.Close()
	}
	return round, failed
}

// run warms up, measures and prints.
func (l *signupLoad) run(ctx context.Context, env Env, rate int, du time.Duration, target int, backend string) error {
	l.handles, l.codes, l.queued = map[int]string{}, map[string]string{}, map[int]bool{}
	if _, err := l.attack(ctx, rate, max(du/10, time.Second), "warm-up"); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	l.mu.Lock()
	first, sentBefore := l.next, l.sent
	l.mu.Unlock()
	loadBefore := selfLoadAverage()
	stopProfile, err := startCPUProfile(l.cpuProfile)
	if err != nil {
		return err
	}
	round, err := l.attack(ctx, rate, du, "sign-ups")
	if perr := stopProfile(); err == nil {
		err = perr
	}
	if err != nil {
		return err
	}
	loadAfter := selfLoadAverage()
	l.mu.Lock()
	started, sent := l.next-first, l.sent-sentBefore
	l.mu.Unlock()

	perSec := float64(round.completed) / round.wall.Seconds()
	fmt.Fprintf(env.Stdout, "sign-ups: %d/s started for %s (up to %d requests in flight for each of the two requests), each with its own "+
		"mobile number (070…) and client address (127.x.y.z); the SMS sent by the queue's workers to the outbox, its code read back "+
		"from there and sent at once\n", rate, du, l.clients)
	fmt.Fprintf(env.Stdout, "started %s, completed (code taken, resident created) %s, SMS sent %s in %.1f s (warm-up not counted); "+
		"load average (1 min) before and after: %s, %s (other processes included)\n",
		thousands(started), thousands(round.completed), thousands(sent), round.wall.Seconds(), loadBefore, loadAfter)
	fmt.Fprintf(env.Stdout, "completed sign-ups: %.1f/s (target ≥ %d/s on %s): %s\n", perSec, target, backend,
		selfVerdict(perSec >= float64(target)))
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "request\trequests\tp50\tp95\tp99\tmax\tp95 < %s\t\n", selfMS(selfRequestP95))
	for _, p := range []string{signupSubmit, signupConfirm} {
		m := round.metrics[p]
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", p, m.Requests, selfMS(m.Latencies.P50), selfMS(m.Latencies.P95),
			selfMS(m.Latencies.P99), selfMS(m.Latencies.Max), selfVerdict(m.Latencies.P95 < selfRequestP95))
	}
	return w.Flush()
}

// startCPUProfile starts writing the CPU profile to file, if one is
// named, and returns the function that stops it.
func startCPUProfile(file string) (stop func() error, err error) {
	if file == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// errorOf returns the first error message of a page, if any.
func errorOf(page []byte) string {
	if m := pageError.FindSubmatch(page); m != nil {
		return ": " + string(m[1])
	}
	return ""
}

var pageError = regexp.MustCompile(`<p class="error"[^>]*>([^<]*)<`)
