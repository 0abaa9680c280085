// Package deploy_test checks the deployment files of deploy/ against the
// code: every metric the alert rules and the Grafana dashboard query is one
// Kigen exports (with the labels they match on), and every alert links a
// runbook section of docs/operations.md.
package deploy_test

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kigen"
	"kigen/internal/config"
	"kigen/internal/engine"
	"kigen/internal/storetesting"
	"kigen/store"
	"kigen/web"
)

// exported returns the label names of every series a kigen serve registry
// exports, by metric name (a histogram also under its _bucket, _sum and
// _count names), after one of each kind of observation.
func exported(t *testing.T) map[string][]string {
	t.Helper()
	ctx := t.Context()
	s := storetesting.SQLite(t)
	if err := s.CreateTick(ctx, &store.Tick{Date: kigen.MustParseISODate("2026-12-04")}); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.SendGridAPIKey, cfg.EmailFrom = "SG.x", "kigen@city.example"
	cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioFrom = "AC1", "tok", "+815012345678"
	reg := prometheus.NewRegistry()
	m := web.NewMetrics(reg)
	m.ObserveTick(time.Second, time.Now(), map[kigen.CardKind]map[kigen.Stage]int{kigen.ResidenceCard: {kigen.D90: 1}})
	m.ObserveMessage("email", "sendgrid", web.ResultSent)
	m.ObserveIgnoredReport("sendgrid", "other_send")
	m.SetJobStats(func(context.Context) (map[string]int, error) { return map[string]int{}, nil })
	m.SetDatabasePing(s.Ping)
	engine.NewOpsMetrics(reg, cfg, s, func() kigen.Date { return kigen.MustParseISODate("2026-12-04") })
	engine.NewSignupMetrics(reg, cfg)

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, mf := range mfs {
		var labels []string
		for _, mt := range mf.GetMetric() {
			for _, l := range mt.GetLabel() {
				if !slices.Contains(labels, l.GetName()) {
					labels = append(labels, l.GetName())
				}
			}
		}
		name := mf.GetName()
		out[name] = labels
		if mf.GetType().String() == "HISTOGRAM" {
			out[name+"_bucket"] = append(slices.Clone(labels), "le")
			out[name+"_sum"] = labels
			out[name+"_count"] = labels
		}
	}
	return out
}

// alertExprs returns the expr of each rule of a Prometheus rules file
// (plain or a "|" block), and the alert names and runbook_url values in
// order.
func alertExprs(t *testing.T, path string) (exprs, alerts, runbooks []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	indent := func(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		switch {
		case strings.HasPrefix(line, "- alert:"):
			alerts = append(alerts, strings.TrimSpace(strings.TrimPrefix(line, "- alert:")))
		case strings.HasPrefix(line, "runbook_url:"):
			runbooks = append(runbooks, strings.TrimSpace(strings.TrimPrefix(line, "runbook_url:")))
		case strings.HasPrefix(line, "expr:"):
			v := strings.TrimSpace(strings.TrimPrefix(line, "expr:"))
			if v != "|" {
				exprs = append(exprs, v)
				continue
			}
			var block []string
			for j := i + 1; j < len(lines) && (strings.TrimSpace(lines[j]) == "" || indent(lines[j]) > indent(lines[i])); j++ {
				block = append(block, lines[j])
				i = j
			}
			exprs = append(exprs, strings.Join(block, "\n"))
		}
	}
	return exprs, alerts, runbooks
}

// dashboardExprs returns the expr of every target of a Grafana dashboard.
func dashboardExprs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var exprs []string
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("%s: panel %q has no query", path, p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	return exprs
}

var (
	stringRE   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	groupingRE = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	rangeRE    = regexp.MustCompile(`\[[^\]]*\]`)
	// selectorRE finds a name, optionally with its label matchers.
	selectorRE = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?(\s*\()?`)
	matcherRE  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
	keywords   = []string{"and", "or", "unless", "bool", "offset", "inf", "nan", "e"}
)

// metricSelectors returns each metric name expr selects, with the label
// names its matchers use.
func metricSelectors(expr string) map[string][]string {
	// Strings inside matchers stay; strip the others after the matchers
	// are read.
	out := map[string][]string{}
	e := groupingRE.ReplaceAllString(expr, " ")
	e = rangeRE.ReplaceAllString(e, " ")
	for _, m := range selectorRE.FindAllStringSubmatchIndex(e, -1) {
		name := e[m[2]:m[3]]
		if m[6] >= 0 { // a function or an aggregation: name(
			continue
		}
		if m[2] > 0 && (e[m[2]-1] == '.' || (e[m[2]-1] >= '0' && e[m[2]-1] <= '9')) {
			continue // part of a number such as 1e3
		}
		if slices.Contains(keywords, strings.ToLower(name)) {
			continue
		}
		var labels []string
		if m[4] >= 0 {
			matchers := stringRE.ReplaceAllString(e[m[4]:m[5]], `""`)
			for _, lm := range matcherRE.FindAllStringSubmatch(matchers, -1) {
				labels = append(labels, lm[1])
			}
		}
		out[name] = append(out[name], labels...)
	}
	return out
}

// TestMetricsExported checks that the alert rules and the dashboard query
// only metrics Kigen exports, matched on labels those metrics have: a
// renamed metric or label would otherwise leave an alert silent for ever.
func TestMetricsExported(t *testing.T) {
	t.Parallel()
	have := exported(t)
	rules, _, _ := alertExprs(t, "prometheus/kigen-alerts.yml")
	if len(rules) < 8 {
		t.Fatalf("read %d rules from prometheus/kigen-alerts.yml, want at least 8", len(rules))
	}
	// Strings in a selector are read by metricSelectors; strip the strings
	// outside selectors (none today) by treating them as matcher values.
	check := func(where string, exprs []string) {
		used := 0
		for _, expr := range exprs {
			for name, labels := range metricSelectors(expr) {
				used++
				got, ok := have[name]
				if !ok {
					t.Errorf("%s: %q is not a metric Kigen exports (in %s)", where, name, strings.Join(strings.Fields(expr), " "))
					continue
				}
				for _, l := range labels {
					if l != "instance" && l != "job" && !slices.Contains(got, l) {
						t.Errorf("%s: %s has no label %q (it has %v)", where, name, l, got)
					}
				}
			}
		}
		if used == 0 {
			t.Errorf("%s: no metric found in its queries", where)
		}
	}
	check("prometheus/kigen-alerts.yml", rules)
	check("grafana/kigen.json", dashboardExprs(t, "grafana/kigen.json"))
}

// TestMetricSelectors checks the query reader itself: it finds the metrics
// and their matchers' labels, and leaves functions, aggregations, grouping
// labels, keywords and durations alone.
func TestMetricSelectors(t *testing.T) {
	t.Parallel()
	got := metricSelectors(`sum by (provider) (rate(kigen_messages_total{result=~"sent|failed", channel!="x"}[1h])) / on(x) kigen_jobs > 1e3 and time() - up offset 5m`)
	want := map[string][]string{"kigen_messages_total": {"result", "channel"}, "kigen_jobs": nil, "up": nil}
	if len(got) != len(want) {
		t.Fatalf("metricSelectors = %v, want %v", got, want)
	}
	for name, labels := range want {
		if l, ok := got[name]; !ok || !slices.Equal(l, labels) {
			t.Errorf("metricSelectors[%s] = %v (present %v), want %v", name, l, ok, labels)
		}
	}
}

// TestAlertRunbooks checks that every alert links its own section of
// docs/operations.md (a heading named after the alert) by an absolute URL
// on the documented base (the external label kigen_docs_url, else the
// placeholder).
func TestAlertRunbooks(t *testing.T) {
	t.Parallel()
	_, alerts, runbooks := alertExprs(t, "prometheus/kigen-alerts.yml")
	if len(alerts) != len(runbooks) {
		t.Fatalf("%d alerts but %d runbook_url annotations", len(alerts), len(runbooks))
	}
	doc, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range alerts {
		want := `'{{ with $externalLabels.kigen_docs_url }}{{ . }}{{ else }}https://kigen.invalid/docs{{ end }}/operations.md#` + strings.ToLower(a) + `'`
		if runbooks[i] != want {
			t.Errorf("alert %s: runbook_url %s, want %s", a, runbooks[i], want)
		}
		if !regexp.MustCompile(`(?m)^#+ ` + a + `\s*$`).Match(doc) {
			t.Errorf("docs/operations.md has no heading %q for alert %s", a, a)
		}
	}
}
