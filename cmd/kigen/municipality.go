package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
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
	fmt.Fprintf(m.Stdout, "%s municipality %s %s %s (%s)\n", verb, mu.Code, mu.Name, mu.NameKana, mu.NameLatin)
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
		"contact-email": &p.ContactEmail, "contact-url": &p.ContactURL}
	fs.String("name", "", "the Japanese name, e.g. 小樽市 (default: the list of local governments')")
	fs.String("name-kana", "", "its reading in hiragana, e.g. おたるし (default: the list's)")
	fs.String("name-latin", "", "the name Latin-script messages use, e.g. Otaru City (default: the list's)")
	fs.String("contact-phone", "", "the phone number residents call, e.g. 0134-32-4111")
	fs.String("contact-email", "", "the email address residents write to")
	fs.String("contact-url", "", "the web page about the procedures (https://…)")
	code, err := parseInterleaved(fs, args, "CODE (the 6-digit local government code, e.g. 012033)")
	fs.Visit(func(f *flag.Flag) {
		v := f.Value.String()
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
	fmt.Fprintln(tw, "code\tname\treading\tname (Latin)\tphone\temail\tweb")
	for _, mu := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mu.Code, mu.Name, mu.NameKana, mu.NameLatin, mu.ContactPhone, mu.ContactEmail, mu.ContactURL)
	}
	return tw.Flush()
}
