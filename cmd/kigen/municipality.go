package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"kigen"
	"kigen/desk"
)

// runMunicipality adds a municipality or lists them (as the local
// operator), or changes one (as its admin).
func runMunicipality(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		return usageErrorf("municipality: add, set or list")
	}
	sub := args[0]
	var p desk.MunicipalityParams
	switch sub {
	case "add", "set":
		var err error
		if p, err = municipalityParams(m, sub, args[1:]); err != nil {
			return err
		}
	case "list":
		if len(args) > 1 {
			return usageErrorf("municipality list takes no arguments")
		}
	default:
		return usageErrorf("municipality: unknown subcommand %q (add, set or list)", sub)
	}
	var ke *kigen.Error
	if sub == "add" {
		if _, err := m.Config.LocalGovList().Lookup(p.Code); errors.As(err, &ke) {
			return usageErrorf("CODE %s", ke.Message)
		}
	}
	var (
		d   *desk.Desk
		a   = m.operator()
		err error
	)
	if sub == "set" {
		d, a, _, err = m.adminDesk(ctx, p.Code, m.logger(), false)
	} else {
		d, err = m.openDesk(ctx, m.logger(), false)
	}
	if err != nil {
		return err
	}
	var mu *desk.Municipality
	switch sub {
	case "add":
		mu, err = d.CreateMunicipality(ctx, a, p)
		if kigen.ErrorCode(err) == kigen.ECONFLICT {
			return fmt.Errorf("%s (change it with: kigen municipality set %s …)", kigen.ErrorMessage(err), p.Code)
		}
	case "set":
		mu, err = d.UpdateMunicipality(ctx, a, p)
	case "list":
		ms, err := d.ListMunicipalities(ctx, a)
		if err != nil {
			return deskError(err)
		}
		return printMunicipalities(m, ms)
	}
	if err != nil {
		return deskError(err)
	}
	verb := "added"
	if sub == "set" {
		verb = "updated"
	}
	fmt.Fprintf(m.Stdout, "%s municipality %s %s %s (%s)\n", verb, mu.Code, mu.Name, mu.NameKana, mu.LatinDisplay)
	for _, w := range mu.Warnings {
		fmt.Fprintf(m.Stderr, "kigen: warning: %s\n", w)
	}
	return nil
}

// municipalityParams parses CODE and the fields add and set take, in any
// order: a flag not given is left nil (unchanged).
func municipalityParams(m *Main, cmd string, args []string) (desk.MunicipalityParams, error) {
	fs := m.flagSet("municipality " + cmd)
	var p desk.MunicipalityParams
	fields := map[string]**string{"name": &p.Name, "name-kana": &p.NameKana, "name-latin": &p.NameLatin, "contact-phone": &p.ContactPhone,
		"contact-email": &p.ContactEmail, "contact-url": &p.ContactURL, "kind": &p.Kind, "name-hangul": &p.NameHangul,
		"name-thai": &p.NameThai, "name-devanagari": &p.NameDevanagari, "office": &p.Office}
	lists := map[string]**[]string{"closed-days": &p.ClosedDays, "open-days": &p.OpenDays}
	fs.String("name", "", "the Japanese name, e.g. 小樽市 (default: the list of local governments')")
	fs.String("name-kana", "", "its reading in hiragana, e.g. おたるし (default: the list's)")
	fs.String("kind", "", "市, 区, 町 or 村 (city, ward, town, village) (default: the list's)")
	fs.String("name-latin", "", "the Latin name WITHOUT its kind, e.g. Otaru (default: the list's, in Hepburn)")
	fs.String("name-hangul", "", "the name without its kind in Hangul, for Korean messages, e.g. 오타루")
	fs.String("name-thai", "", "the name without its kind in Thai script, for Thai messages, e.g. โอตารุ")
	fs.String("name-devanagari", "", "the name without its kind in Devanagari, for Nepali messages, e.g. ओतारु")
	fs.String("office", "", "the Japanese name of the office residents go to, if not the municipality's own (default: 小樽市役所)")
	fs.String("closed-days", "", "the office's extra closed days, comma-separated, e.g. 2027-01-07,2027-01-08 (replaces the list; \"\" clears it)")
	fs.String("open-days", "", "its weekend or holiday opening days (休日開庁), comma-separated (replaces the list; \"\" clears it)")
	fs.String("contact-phone", "", "the phone number residents call, e.g. 0134-32-4111")
	fs.String("contact-email", "", "the email address residents write to")
	fs.String("contact-url", "", "the web page about the procedures (https://…)")
	code, err := parseInterleaved(fs, args, "CODE (the 6-digit local government code, e.g. 012033)")
	fs.Visit(func(f *flag.Flag) {
		v := f.Value.String()
		if l, ok := lists[f.Name]; ok {
			days := []string{}
			for _, d := range strings.Split(v, ",") {
				if d = strings.TrimSpace(d); d != "" {
					days = append(days, d)
				}
			}
			*l = &days
			return
		}
		*fields[f.Name] = &v
	})
	p.Code = code
	return p, err
}

func printMunicipalities(m *Main, ms []*desk.Municipality) error {
	if len(ms) == 0 {
		fmt.Fprintln(m.Stdout, "no municipality yet: add one with kigen municipality add CODE --name NAME")
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "code\tname\treading\tname (Latin)\tphone\temail\tweb\toffice\tcalendar")
	for _, mu := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mu.Code, mu.Name, mu.NameKana, mu.LatinDisplay, mu.ContactPhone, mu.ContactEmail,
			mu.ContactURL, mu.OfficeJA, calendarText(mu))
	}
	return tw.Flush()
}

// calendarText is the office's own calendar as the list shows it:
// "closed 2027-01-07,2027-01-08; open 2027-03-27", or "-".
func calendarText(mu *desk.Municipality) string {
	var parts []string
	if len(mu.ClosedDays) > 0 {
		parts = append(parts, "closed "+kigen.FormatDates(mu.ClosedDays))
	}
	if len(mu.OpenDays) > 0 {
		parts = append(parts, "open "+kigen.FormatDates(mu.OpenDays))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}
