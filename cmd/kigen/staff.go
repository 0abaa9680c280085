package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/desk"
)

// runStaff manages accounts as the local operator: whoever runs kigen
// against the database may create any account, operators' included (the
// only way to create one).
func runStaff(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		return usageErrorf("staff: add, list, disable, reset or unlock")
	}
	sub, args := args[0], args[1:]
	fs := m.flagSet("staff " + sub)
	var (
		role, code string
		asJSON     bool
		email      string
		err        error
	)
	switch sub {
	case "add":
		fs.StringVar(&role, "role", "", "staff, admin or operator")
		fs.StringVar(&code, "municipality", "", "the municipality's code (staff and admin)")
		if email, err = parseInterleaved(fs, args, "EMAIL"); err != nil {
			return err
		}
		if role == "" {
			return usageErrorf("staff add: give --role staff|admin|operator")
		}
	case "list":
		fs.StringVar(&code, "municipality", "", "only this municipality's accounts (default: every account)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
		if err := parseFlags(fs, args); err != nil {
			return err
		}
	case "disable", "reset", "unlock":
		if email, err = parseInterleaved(fs, args, "EMAIL"); err != nil {
			return err
		}
	default:
		return usageErrorf("staff: unknown subcommand %q (add, list, disable, reset or unlock)", sub)
	}
	d, err := m.openDesk(ctx, m.logger(), false)
	if err != nil {
		return err
	}
	a := m.operator()
	switch sub {
	case "add":
		link, err := d.InviteStaff(ctx, a, desk.StaffParams{Email: email, Role: auth.Role(role), Municipality: code})
		if err != nil {
			return deskError(err)
		}
		m.printSetupLink("added", link)
	case "list":
		ss, err := d.ListStaff(ctx, a, code)
		if err != nil {
			return deskError(err)
		}
		if asJSON {
			return m.printJSON(ss)
		}
		return printStaff(m, ss)
	case "disable":
		s, err := d.DisableStaff(ctx, a, email)
		if err != nil {
			return deskError(err)
		}
		fmt.Fprintf(m.Stdout, "disabled %s: its sessions have ended; kigen staff reset %s enables it again with a new setup link\n", s.Email, s.Email)
	case "reset":
		link, err := d.ResetStaff(ctx, a, email)
		if err != nil {
			return deskError(err)
		}
		m.printSetupLink("reset", link)
	case "unlock":
		s, err := d.UnlockStaff(ctx, a, email)
		if err != nil {
			return deskError(err)
		}
		fmt.Fprintf(m.Stdout, "unlocked %s (%s)\n", s.Email, s.State)
	}
	return nil
}

// printSetupLink prints the one-time setup link: the only time it is
// shown.
func (m *Main) printSetupLink(verb string, link *desk.SetupLink) {
	s := link.Staff
	who := string(s.Role)
	if s.Municipality != "" {
		who += " of " + s.Municipality
	}
	fmt.Fprintf(m.Stdout, "%s %s (%s). Send this one-time setup link to them; it is valid until %s:\n%s/console/setup/%s\n",
		verb, s.Email, who, link.ExpiresAt.In(kigen.Tokyo).Format("2006-01-02 15:04 MST"),
		strings.TrimSuffix(m.Config.PublicURL, "/"), link.Token)
}

func printStaff(m *Main, ss []*desk.Staff) error {
	if len(ss) == 0 {
		fmt.Fprintln(m.Stdout, "no account yet: add one with kigen staff add --role admin --municipality CODE EMAIL")
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "email\trole\tmunicipality\tstate\tcreated")
	for _, s := range ss {
		state := s.State
		if s.LockedUntil != nil {
			state += " until " + s.LockedUntil.In(kigen.Tokyo).Format("15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Email, s.Role, orDash(s.Municipality), state, s.CreatedAt.In(kigen.Tokyo).Format("2006-01-02"))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// runToken manages API tokens as the local operator.
func runToken(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		return usageErrorf("token: create, list or revoke")
	}
	sub, args := args[0], args[1:]
	fs := m.flagSet("token " + sub)
	var (
		p      desk.TokenParams
		asJSON bool
		id     int64
	)
	switch sub {
	case "create":
		fs.StringVar(&p.Municipality, "municipality", "", "the municipality's code")
		fs.StringVar(&p.Name, "name", "", "what the token is for, e.g. resident-system")
		fs.StringVar(&p.Scope, "scope", desk.ScopeRead, "read or write")
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if p.Municipality == "" || p.Name == "" {
			return usageErrorf("token create: give --municipality CODE and --name NAME")
		}
	case "list":
		fs.StringVar(&p.Municipality, "municipality", "", "only this municipality's tokens (default: every one)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
		if err := parseFlags(fs, args); err != nil {
			return err
		}
	case "revoke":
		s, err := parseInterleaved(fs, args, "ID (from kigen token list)")
		if err != nil {
			return err
		}
		if id, err = strconv.ParseInt(s, 10, 64); err != nil || id <= 0 {
			return usageErrorf("token revoke: %q is not a token ID (see kigen token list)", s)
		}
	default:
		return usageErrorf("token: unknown subcommand %q (create, list or revoke)", sub)
	}
	d, err := m.openDesk(ctx, m.logger(), false)
	if err != nil {
		return err
	}
	a := m.operator()
	switch sub {
	case "create":
		t, err := d.CreateToken(ctx, a, p)
		if err != nil {
			return deskError(err)
		}
		fmt.Fprintf(m.Stdout, "created API token %d %q (%s) of %s. It is shown this once; send it as Authorization: Bearer TOKEN:\n%s\n",
			t.Token.ID, t.Token.Name, t.Token.Scope, t.Token.Municipality, t.Secret)
	case "list":
		ts, err := d.ListTokens(ctx, a, p.Municipality)
		if err != nil {
			return deskError(err)
		}
		if asJSON {
			return m.printJSON(ts)
		}
		return printTokens(m, ts)
	case "revoke":
		t, err := d.RevokeToken(ctx, a, id)
		if err != nil {
			return deskError(err)
		}
		fmt.Fprintf(m.Stdout, "revoked API token %d %q of %s\n", t.ID, t.Name, t.Municipality)
	}
	return nil
}

func printTokens(m *Main, ts []*desk.Token) error {
	if len(ts) == 0 {
		fmt.Fprintln(m.Stdout, "no API token yet: create one with kigen token create --municipality CODE --name NAME")
		return nil
	}
	when := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.In(kigen.Tokyo).Format("2006-01-02 15:04")
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tname\tmunicipality\tscope\tcreated by\tcreated\tlast used\trevoked")
	for _, t := range ts {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Municipality, t.Scope, t.CreatedBy, when(&t.CreatedAt),
			when(t.LastUsedAt), when(t.RevokedAt))
	}
	return tw.Flush()
}
