package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"kigen"
	"kigen/templates"
)

// runPreview prints one message as a resident would get it, rendered with
// sample data (templates.SampleParams), or with --all writes a gallery of
// every message in every language for staff and translators. It touches no
// database.
func runPreview(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("preview")
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := m.setNow(*now); err != nil {
		return err
	}
	today := m.Config.Today(time.Now)
	r, err := m.renderer()
	if err != nil {
		return err
	}
	if *all {
		if *out == "" {
			return usageErrorf("preview --all needs --out DIR")
		}
		names, err := r.WriteGallery(*out, today)
		if err != nil {
			return envError(err)
		}
		fmt.Fprintf(m.Stdout, "wrote %d pages to %s; open %s\n", len(names), *out, filepath.Join(*out, "index.html"))
		return nil
	}
	l := kigen.Language(*lang)
	if !l.Valid() {
		return usageErrorf("--lang: %q is not one of %s", *lang, languageList())
	}
	switch {
	case len(cards) == 0 || len(stages) == 0:
		return usageErrorf("preview: give --card and --stage, e.g. --card residence_card --stage d30")
	case len(stages) == 1:
		for len(stages) < len(cards) {
			stages = append(stages, stages[0])
		}
	case len(stages) != len(cards):
		return usageErrorf("preview: %d --card but %d --stage: give one --stage per --card, or one for all", len(cards), len(stages))
	}
	cases := make([]templates.Case, len(cards))
	for i := range cards {
		cases[i] = templates.Case{Card: kigen.CardKind(cards[i]), Stage: kigen.Stage(stages[i])}
	}
	pv, err := r.RenderPreview(l, cases, *situation, kigen.Channel(*channel), *html, today)
	var ce *templates.CaseError
	var ke *kigen.Error
	switch {
	case errors.As(err, &ce):
		return usageErrorf("--card %s --stage %s: %v", ce.Case.Card, ce.Case.Stage, ce.Err)
	case errors.Is(err, templates.ErrContextUnused):
		return usageErrorf("--context applies to mynumber_card notices; give --card mynumber_card")
	case errors.As(err, &ke) && ke.Field != "":
		return usageErrorf("--%s: %s", ke.Field, ke.Message)
	case err != nil:
		return err
	}
	fmt.Fprint(m.Stdout, pv.Text)
	if pv.Note != "" {
		fmt.Fprintln(m.Stderr, pv.Note)
	}
	return nil
}

func languageList() string {
	var ls []string
	for _, l := range kigen.Languages {
		ls = append(ls, string(l))
	}
	return strings.Join(ls, ", ")
}
