package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"kigen/desk"
	"kigen/roster"
)

// residentFlags are the flags of kigen resident set, each a column of the
// import (the field its problems name).
var residentFlags = []struct {
	flag, usage string
	col         roster.Column
}{
	{"name", "the resident's name", roster.ColName},
	{"language", "language: a code (vi, pt, zh-CN …) or a name (ベトナム語 …)", roster.ColLanguage},
	{"email", "email address (empty: remove it)", roster.ColEmail},
	{"phone", "mobile phone number (empty: remove it)", roster.ColPhone},
	{"channel", "email, sms, both, or empty for the default (email if given, else SMS)", roster.ColChannel},
	{"consent", "yes or no: the resident agreed to be reminded (every contact)", roster.ColConsent},
	{"status", "residence status (fixed_period, permanent, 定住者 …)", roster.ColStatus},
	{"residence-card", "residence card expiry DATE (empty: no such card)", roster.ColResidenceCard},
	{"mynumber-card", "My Number card expiry DATE (empty: no such card)", roster.ColMyNumberCard},
	{"mynumber-cert", "My Number card's electronic certificate expiry DATE (empty: none)", roster.ColMyNumberCert},
	{"integrated-card", "integrated card (特定在留カード) expiry DATE (empty: no such card)", roster.ColIntegratedCard},
}

// flagOf returns the flag of a field named as the import's column.
func flagOf(field string) string {
	for _, f := range residentFlags {
		if string(f.col) == field {
			return "--" + f.flag
		}
	}
	if field == string(roster.ColRef) {
		return "REF"
	}
	return "--" + strings.ReplaceAll(field, "_", "-")
}

// runResidentSet is kigen resident set and list.
func runResidentSet(ctx context.Context, m *Main, args []string) error {
	sub := args[0]
	fs := m.flagSet("resident " + sub)
	code := fs.String("municipality", "", "municipality CODE (may be omitted when there is only one)")
	switch sub {
	case "set":
		return residentSet(ctx, m, fs, code, args[1:])
	default:
		return residentList(ctx, m, fs, code, args[1:])
	}
}

// residentSet changes a resident (or, with --new, registers one): only the
// flags given, an empty value clearing the field.
func residentSet(ctx context.Context, m *Main, fs *flag.FlagSet, code *string, args []string) error {
	values := make([]string, len(residentFlags))
	for i, f := range residentFlags {
		fs.StringVar(&values[i], f.flag, "", f.usage)
	}
	isNew := fs.Bool("new", false, "register a new resident (refused if the reference is taken); without it, change one registered")
	asJSON := fs.Bool("json", false, "print the resident as JSON")
	ref, err := parseInterleaved(fs, args, "REF (the resident's reference)")
	if err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var fields desk.ResidentFields
	targets := map[roster.Column]**string{roster.ColName: &fields.Name, roster.ColLanguage: &fields.Language, roster.ColEmail: &fields.Email,
		roster.ColPhone: &fields.Phone, roster.ColChannel: &fields.Channel, roster.ColConsent: &fields.Consent, roster.ColStatus: &fields.Status,
		roster.ColResidenceCard: &fields.ResidenceCard, roster.ColMyNumberCard: &fields.MyNumberCard, roster.ColMyNumberCert: &fields.MyNumberCert,
		roster.ColIntegratedCard: &fields.IntegratedCard}
	n := 0
	for i, f := range residentFlags {
		if given[f.flag] {
			*targets[f.col] = &values[i]
			n++
		}
	}
	if !*isNew && n == 0 {
		return usageErrorf("resident set: give at least one field to change (--email, --phone, --residence-card …)")
	}
	d, a, _, err := m.adminDesk(ctx, *code, m.logger(), false)
	if err != nil {
		return err
	}
	var res *desk.EditResult
	if *isNew {
		res, err = d.RegisterResident(ctx, a, desk.RegisterParams{Ref: ref, ResidentFields: fields})
	} else {
		res, err = d.UpdateResident(ctx, a, desk.UpdateParams{ResidentParams: desk.ResidentParams{Ref: ref}, ResidentFields: fields})
	}
	if err != nil {
		return fieldsError(err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(m.Stderr, "warning: %s: %s\n", flagOf(w.Field), w.Reason)
	}
	if *asJSON {
		return m.printJSON(res.Resident)
	}
	what := "changed"
	if *isNew {
		what = "registered"
	}
	fmt.Fprintf(m.Stdout, "%s %s\n\n", what, res.Resident.Ref)
	printResident(m.Stdout, res.Resident)
	return nil
}

// fieldsError is deskError, every problem of a *desk.FieldsError named by
// its flag, one a line.
func fieldsError(err error) error {
	var fe *desk.FieldsError
	if !errors.As(err, &fe) {
		return deskError(err)
	}
	lines := make([]string, len(fe.Problems))
	for i, p := range fe.Problems {
		lines[i] = flagOf(p.Field) + ": " + p.Reason
	}
	return &exitError{exitInvalid, fmt.Errorf("nothing was saved:\n%s", strings.Join(lines, "\n"))}
}

// residentList prints the residents a search selects, every page.
func residentList(ctx context.Context, m *Main, fs *flag.FlagSet, code *string, args []string) error {
	var p desk.ListResidentsParams
	fs.StringVar(&p.Search, "search", "", "a reference prefix, a part of the name, an email address or a phone number")
	fs.IntVar(&p.ExpiringWithin, "expiring-within", 0, "only residents with a card expiring within DAYS")
	fs.BoolVar(&p.GapOpen, "gap-open", false, "only residents whose renewal gap is open")
	fs.BoolVar(&p.Unreachable, "unreachable", false, "only residents who cannot be reached")
	fs.StringVar(&p.Language, "language", "", "only residents of this language")
	fs.StringVar(&p.Status, "status", "", "only residents of this residence status")
	asJSON := fs.Bool("json", false, "print the residents as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	d, a, mu, err := m.adminDesk(ctx, *code, m.logger(), false)
	if err != nil {
		return err
	}
	p.Limit = desk.MaxResidentLimit
	all := &desk.ResidentList{Municipality: mu.Code, Residents: []desk.ResidentItem{}}
	w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(w, "ref\tname\tlanguage\tstatus\tsoonest expiry\tdays left\t")
	}
	for {
		l, err := d.ListResidents(ctx, a, p)
		if err != nil {
			return deskError(err)
		}
		all.Date = l.Date
		if *asJSON {
			all.Residents = append(all.Residents, l.Residents...)
		} else {
			printResidentItems(w, l.Residents)
		}
		if l.Next == "" {
			break
		}
		p.Cursor = l.Next
	}
	if *asJSON {
		return m.printJSON(all)
	}
	return w.Flush()
}

// printResidentItems prints residents as rows of a table.
func printResidentItems(w io.Writer, items []desk.ResidentItem) {
	for _, r := range items {
		expiry, days := "-", "-"
		if !r.SoonestExpiry.IsZero() {
			expiry, days = r.SoonestExpiry.String(), fmt.Sprint(r.DaysLeft)
		}
		var flags []string
		if r.GapOpen {
			flags = append(flags, "GAP OPEN")
		}
		if r.Unreachable {
			flags = append(flags, "UNREACHABLE")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Ref, r.Name, r.Language, r.Status, expiry, days, strings.Join(flags, ", "))
	}
}

// runExport writes the municipality's residents (a resident list, the
// import's own header) or its follow-up list as CSV, safe against
// spreadsheet formula injection.
func runExport(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 || (args[0] != "residents" && args[0] != "followup") {
		return usageErrorf("export: residents or followup")
	}
	what := args[0]
	fs := m.flagSet("export " + what)
	code := fs.String("municipality", "", "municipality CODE (may be omitted when there is only one)")
	out := fs.String("out", "", "write to FILE (default: standard output)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	d, a, _, err := m.adminDesk(ctx, *code, m.logger(), what == "followup")
	if err != nil {
		return err
	}
	var w io.Writer = m.Stdout
	var f *os.File
	if *out != "" {
		if f, err = os.Create(*out); err != nil {
			return envError(err)
		}
		w = f
	}
	var res *desk.ExportResult
	if what == "residents" {
		res, err = d.ExportResidents(ctx, a, desk.ExportParams{}, w)
	} else {
		res, err = d.ExportFollowup(ctx, a, desk.FollowupParams{}, w)
	}
	if f != nil {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		return deskError(err)
	}
	if *out != "" {
		fmt.Fprintf(m.Stderr, "%d rows written to %s\n", res.Rows, *out)
	}
	return nil
}
