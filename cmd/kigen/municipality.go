package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"text/tabwriter"

	"kigen"
	"kigen/store"
)

func runMunicipality(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		return usageErrorf("municipality: add, set or list")
	}
	switch args[0] {
	case "add":
		return municipalityAdd(ctx, m, args[1:])
	case "set":
		return municipalitySet(ctx, m, args[1:])
	case "list":
		return municipalityList(ctx, m, args[1:])
	}
	return usageErrorf("municipality: unknown subcommand %q (add, set or list)", args[0])
}

// municipalityFlags are the fields add and set take.
type municipalityFlags struct {
	fs                                *flag.FlagSet
	name, nameLatin, phone, email, ur *string
}

func newMunicipalityFlags(m *Main, cmd string) *municipalityFlags {
	fs := flag.NewFlagSet("municipality "+cmd, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	return &municipalityFlags{
		fs:        fs,
		name:      fs.String("name", "", "the Japanese name, e.g. 小樽市"),
		nameLatin: fs.String("name-latin", "", "the name Latin-script messages use, e.g. Otaru City (default: --name)"),
		phone:     fs.String("contact-phone", "", "the phone number residents call, e.g. 0134-32-4111"),
		email:     fs.String("contact-email", "", "the email address residents write to"),
		ur:        fs.String("contact-url", "", "the web page about the procedures (https://…)"),
	}
}

// parse reads CODE and the flags in any order.
func (f *municipalityFlags) parse(args []string) (code string, err error) {
	var rest []string
	for len(args) > 0 {
		if err := f.fs.Parse(args); err != nil {
			return "", usageErrorf("%v", err)
		}
		if f.fs.NArg() == 0 {
			break
		}
		rest = append(rest, f.fs.Arg(0))
		args = f.fs.Args()[1:]
	}
	if len(rest) != 1 {
		return "", usageErrorf("%s: give exactly one CODE (the 6-digit local government code, e.g. 012033)", f.fs.Name())
	}
	return rest[0], nil
}

// apply copies the flags that were given onto mu and validates the result,
// reporting every problem.
func (f *municipalityFlags) apply(mu *kigen.Municipality) error {
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["name"] {
		mu.Name = strings.TrimSpace(*f.name)
	}
	if set["name-latin"] {
		mu.NameLatin = strings.TrimSpace(*f.nameLatin)
	}
	if set["contact-phone"] {
		mu.ContactPhone = strings.TrimSpace(*f.phone)
	}
	if set["contact-email"] {
		mu.ContactEmail = strings.TrimSpace(*f.email)
	}
	if set["contact-url"] {
		mu.ContactURL = strings.TrimSpace(*f.ur)
	}
	if mu.NameLatin == "" {
		mu.NameLatin = mu.Name
	}
	var errs []error
	if mu.Name == "" {
		errs = append(errs, errors.New("--name: the Japanese name is required (e.g. 小樽市)"))
	}
	if p := mu.ContactPhone; p != "" && !validPhoneText(p) {
		errs = append(errs, fmt.Errorf("--contact-phone: %q is not a phone number (digits, hyphens, parentheses)", p))
	}
	if e := mu.ContactEmail; e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			errs = append(errs, fmt.Errorf("--contact-email: %q is not an email address", e))
		}
	}
	if u := mu.ContactURL; u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			errs = append(errs, fmt.Errorf("--contact-url: %q is not an http(s) address", u))
		}
	}
	if len(errs) > 0 {
		return &exitError{exitInvalid, errors.Join(errs...)}
	}
	return nil
}

func validPhoneText(p string) bool {
	digits := 0
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-() ", r):
		default:
			return false
		}
	}
	return digits >= 6 && digits <= 15
}

// checkCode validates CODE (kigen.CheckMunicipalityCode): a bad one is a
// usage error.
func checkCode(code string) error {
	var e *kigen.Error
	if err := kigen.CheckMunicipalityCode(code); errors.As(err, &e) {
		return usageErrorf("CODE %s", e.Message)
	}
	return nil
}

func municipalityAdd(ctx context.Context, m *Main, args []string) error {
	f := newMunicipalityFlags(m, "add")
	code, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := checkCode(code); err != nil {
		return err
	}
	mu := &kigen.Municipality{Code: code}
	if err := f.apply(mu); err != nil {
		return err
	}
	s, err := m.openMigratedStore(ctx)
	if err != nil {
		return err
	}
	if err := s.CreateMunicipality(ctx, mu); errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("municipality %s already exists (change it with: kigen municipality set %s …)", code, code)
	} else if err != nil {
		return envError(err)
	}
	fmt.Fprintf(m.Stdout, "added municipality %s %s (%s)\n", mu.Code, mu.Name, mu.NameLatin)
	return nil
}

func municipalitySet(ctx context.Context, m *Main, args []string) error {
	f := newMunicipalityFlags(m, "set")
	code, err := f.parse(args)
	if err != nil {
		return err
	}
	s, err := m.openMigratedStore(ctx)
	if err != nil {
		return err
	}
	mu, err := m.municipality(ctx, s, code)
	if err != nil {
		return err
	}
	if err := f.apply(mu); err != nil {
		return err
	}
	if err := s.UpdateMunicipality(ctx, mu); err != nil {
		return envError(err)
	}
	fmt.Fprintf(m.Stdout, "updated municipality %s %s (%s)\n", mu.Code, mu.Name, mu.NameLatin)
	return nil
}

func municipalityList(ctx context.Context, m *Main, args []string) error {
	if len(args) > 0 {
		return usageErrorf("municipality list takes no arguments")
	}
	s, err := m.openMigratedStore(ctx)
	if err != nil {
		return err
	}
	ms, err := s.ListMunicipalities(ctx)
	if err != nil {
		return envError(err)
	}
	if len(ms) == 0 {
		fmt.Fprintln(m.Stdout, "no municipality yet: add one with kigen municipality add CODE --name NAME")
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "code\tname\tname (Latin)\tphone\temail\tweb")
	for _, mu := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", mu.Code, mu.Name, mu.NameLatin, mu.ContactPhone, mu.ContactEmail, mu.ContactURL)
	}
	return tw.Flush()
}

// municipality finds the municipality a command is about. An empty code is
// fine when exactly one municipality exists; an unknown code is a usage
// error listing the known ones (DOMAIN.md §11.15).
func (m *Main) municipality(ctx context.Context, s store.Store, code string) (*kigen.Municipality, error) {
	if code != "" {
		mu, err := s.GetMunicipalityByCode(ctx, code)
		if err == nil {
			return mu, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, envError(err)
		}
	}
	ms, err := s.ListMunicipalities(ctx)
	if err != nil {
		return nil, envError(err)
	}
	known := make([]string, len(ms))
	for i, mu := range ms {
		known[i] = mu.Code + " " + mu.Name
	}
	switch {
	case len(ms) == 0:
		return nil, usageErrorf("no municipality yet: add one with kigen municipality add CODE --name NAME")
	case code != "":
		return nil, usageErrorf("unknown municipality %q; known: %s", code, strings.Join(known, ", "))
	case len(ms) > 1:
		return nil, usageErrorf("several municipalities: choose one with --municipality CODE (%s)", strings.Join(known, ", "))
	}
	return ms[0], nil
}
