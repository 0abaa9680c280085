package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"kigen"
	"kigen/templates"
)

// stringsFlag is a flag that may repeat.
type stringsFlag []string

func (f *stringsFlag) String() string     { return strings.Join(*f, ",") }
func (f *stringsFlag) Set(s string) error { *f = append(*f, s); return nil }

// runPreview prints one message as a resident would get it, rendered with
// sample data (templates.SampleParams), or with --all writes a gallery of
// every message in every language for staff and translators. It touches no
// database.
func runPreview(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("preview", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	lang := fs.String("lang", "en", "language: "+languageList())
	var cards, stages stringsFlag
	fs.Var(&cards, "card", "card kind: residence_card, integrated_card, mynumber_card or mynumber_cert (repeat with --stage to list several notices in one message)")
	fs.Var(&stages, "stage", "stage: d90, d60, d30, d14, d7, d3, d1, expired, renewal_gap or special_period (one per --card, or one for all)")
	situation := fs.String("context", "", "for mynumber_card notices: gap (the residence was renewed, the card was not) or pending (a renewal is being decided)")
	channel := fs.String("channel", "email", "email or sms")
	now := fs.String("now", "", "the day the message is sent, YYYY-MM-DD (default: today in Asia/Tokyo, or KIGEN_NOW)")
	html := fs.Bool("html", false, "print the email's HTML body instead of its plain text")
	all := fs.Bool("all", false, "write every message of every language as an HTML gallery into --out")
	out := fs.String("out", "", "directory for --all (created if missing)")
	if err := fs.Parse(args); err != nil {
		return usageErrorf("%v", err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("preview: unexpected argument %q", fs.Arg(0))
	}
	today := m.Config.Today(time.Now)
	if *now != "" {
		t, err := ParseNow(*now)
		if err != nil {
			return usageErrorf("--now: %v", err)
		}
		today = kigen.DateOf(t)
	}
	r, err := newRenderer(m)
	if err != nil {
		return err
	}
	if *all {
		if *out == "" {
			return usageErrorf("preview --all needs --out DIR")
		}
		return writeGallery(m, r, today, *out)
	}
	l := kigen.Language(*lang)
	if !l.Valid() {
		return usageErrorf("--lang: %q is not one of %s", *lang, languageList())
	}
	notices, err := previewNotices(cards, stages, *situation, today)
	if err != nil {
		return err
	}
	p := templates.SampleParams(l, today, notices...)
	switch *channel {
	case "email":
		e, err := r.Email(p)
		if err != nil {
			return err
		}
		if *html {
			fmt.Fprint(m.Stdout, e.HTML)
			return nil
		}
		fmt.Fprintf(m.Stdout, "Subject: %s\n", e.Subject)
		for _, k := range slices.Sorted(maps.Keys(e.Headers)) {
			fmt.Fprintf(m.Stdout, "%s: %s\n", k, e.Headers[k])
		}
		fmt.Fprintf(m.Stdout, "\n%s", e.Text)
	case "sms":
		s, err := r.SMS(p)
		if err != nil {
			return err
		}
		n, enc := templates.Segments(s)
		fmt.Fprintln(m.Stdout, s)
		fmt.Fprintf(m.Stderr, "(%d of %d segments, %s)\n", n, templates.MaxSMSSegments, enc)
	default:
		return usageErrorf("--channel: %q is not email or sms", *channel)
	}
	return nil
}

// newRenderer builds the renderer with the hotlines of KIGEN_HOTLINES_FILE,
// or the built-in ones.
func newRenderer(m *Main) (*templates.Renderer, error) {
	h := templates.DefaultHotlines()
	if path := m.Getenv("KIGEN_HOTLINES_FILE"); path != "" {
		var err error
		if h, err = templates.LoadHotlines(path); err != nil {
			return nil, usageErrorf("KIGEN_HOTLINES_FILE: %v", err)
		}
	}
	return templates.New(h)
}

// previewNotices pairs the --card and --stage flags into sample notices.
// The context applies to the My Number card's notices; renewal_gap and
// special_period carry theirs.
func previewNotices(cards, stages []string, situation string, today kigen.Date) ([]kigen.Due, error) {
	switch {
	case len(cards) == 0 || len(stages) == 0:
		return nil, usageErrorf("preview: give --card and --stage, e.g. --card residence_card --stage d30")
	case len(stages) == 1:
		for len(stages) < len(cards) {
			stages = append(stages, stages[0])
		}
	case len(stages) != len(cards):
		return nil, usageErrorf("preview: %d --card but %d --stage: give one --stage per --card, or one for all", len(cards), len(stages))
	}
	if situation != "" && situation != templates.ContextGap && situation != templates.ContextPending {
		return nil, usageErrorf("--context: %q is not gap or pending", situation)
	}
	used := situation == ""
	var ds []kigen.Due
	for i, card := range cards {
		c := templates.Case{Card: kigen.CardKind(card), Stage: kigen.Stage(stages[i])}
		switch {
		case c.Stage == kigen.RenewalGap:
			c.Context = templates.ContextGap
		case c.Stage == kigen.SpecialPeriod:
			c.Context = templates.ContextPending
		case c.Card == kigen.MyNumberCard:
			c.Context, used = situation, true
		}
		d, err := templates.SampleDue(c, today)
		if err != nil {
			return nil, usageErrorf("--card %s --stage %s: %v", card, stages[i], err)
		}
		ds = append(ds, d)
	}
	if !used {
		return nil, usageErrorf("--context applies to mynumber_card notices; give --card mynumber_card")
	}
	return ds, nil
}

// writeGallery writes index.html and one page per language into dir.
func writeGallery(m *Main, r *templates.Renderer, today kigen.Date, dir string) error {
	files, err := r.Gallery(today)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return envError(err)
	}
	names := slices.Sorted(maps.Keys(files))
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return envError(err)
		}
	}
	fmt.Fprintf(m.Stdout, "wrote %d pages to %s; open %s\n", len(names), dir, filepath.Join(dir, "index.html"))
	return nil
}

func languageList() string {
	var ls []string
	for _, l := range kigen.Languages {
		ls = append(ls, string(l))
	}
	return strings.Join(ls, ", ")
}
