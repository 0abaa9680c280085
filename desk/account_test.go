package desk_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/store"
)

// fastHash keeps the tests quick: the hash format is the same.
var fastHash = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// clock is a settable clock for the account tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// accounts is a bundle with a desk whose clock the test moves.
type accounts struct {
	*bundle
	d   *desk.Desk
	clk *clock
	log *bytes.Buffer
}

func setupAccounts(t *testing.T, b *bundle) *accounts {
	clk := &clock{t: time.Date(2026, 12, 4, 10, 0, 5, 0, kigen.Tokyo)}
	var buf bytes.Buffer
	d := &desk.Desk{Store: b.s, Queue: b.q, Now: clk.Now, PasswordParams: &fastHash,
		Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	return &accounts{bundle: b, d: d, clk: clk, log: &buf}
}

const goodPassword = "otaru canal under snow 2026"

// code returns the TOTP code of secret now.
func (x *accounts) code(t *testing.T, secret string) string {
	t.Helper()
	c, err := auth.TOTPCode(secret, auth.TOTPStep(x.clk.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrol invites email as role of municipality code (by a), sets it up and
// returns its secret and first session.
func (x *accounts) enrol(t *testing.T, a auth.Actor, email string, role auth.Role, code string) (string, *desk.SessionToken) {
	t.Helper()
	ctx := t.Context()
	link, err := x.d.InviteStaff(ctx, a, desk.StaffParams{Email: email, Role: role, Municipality: code})
	if err != nil {
		t.Fatalf("InviteStaff(%s): %v", role, err)
	}
	setup, err := x.d.SetupInfo(ctx, link.Token)
	if err != nil {
		t.Fatalf("SetupInfo: %v", err)
	}
	s, err := x.d.CompleteSetup(ctx, link.Token, goodPassword, x.code(t, setup.TOTPSecret))
	if err != nil {
		t.Fatalf("CompleteSetup: %v", err)
	}
	return setup.TOTPSecret, s
}

// login signs email in with the right password and the current code,
// after moving the clock on a step (a code is used once).
func (x *accounts) login(t *testing.T, email, secret string) (*desk.SessionToken, error) {
	t.Helper()
	x.clk.Add(auth.TOTPPeriod)
	return x.d.Login(t.Context(), desk.LoginParams{Email: email, Password: goodPassword, TOTP: x.code(t, secret), ClientKey: "c1"})
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if kigen.ErrorCode(err) != code {
		t.Errorf("%s: %v (%s), want %s", what, err, kigen.ErrorCode(err), code)
	}
}

// TestDesk_InviteSetupLogin: an admin invites a staff member; the setup
// link shows the authenticator; the policy refuses bad passwords and a
// wrong code (both at once); setup signs in; the link is then used; a code
// is used once.
func TestDesk_InviteSetupLogin(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		x := setupAccounts(t, b)
		ctx := t.Context()
		link, err := x.d.InviteStaff(ctx, b.adminA, desk.StaffParams{Email: " Kenji@City.Otaru.example.JP ", Role: auth.Staff})
		if err != nil {
			t.Fatal(err)
		}
		if link.Staff.Email != "kenji@city.otaru.example.jp" || link.Staff.Municipality != "012033" || link.Staff.State != desk.StaffInvited ||
			!link.ExpiresAt.Equal(x.clk.Now().Add(72*time.Hour)) || len(link.Token) != 43 {
			t.Errorf("link %+v, staff %+v", link, link.Staff)
		}
		b.checkLast(t, b.count(t)-1, 1, store.AuditEntry{ActorID: "cli:alice", ActorRole: "admin", Action: "staff.invite",
			MunicipalityID: b.aID, Detail: "account " + itoa(link.Staff.ID) + ", role staff"})
		_, err = x.d.InviteStaff(ctx, b.adminA, desk.StaffParams{Email: "kenji@city.otaru.example.jp", Role: auth.Admin})
		checkErr(t, err, kigen.ECONFLICT, "there is already an account for kenji@city.otaru.example.jp")
		_, err = x.d.InviteStaff(ctx, b.adminA, desk.StaffParams{Email: "not an email", Role: "root"})
		if got := kigen.ErrorMessage(err); kigen.ErrorCode(err) != kigen.EINVALID || !strings.Contains(err.Error(), "email: ") || !strings.Contains(err.Error(), "role: ") {
			t.Errorf("bad email and role: %v (%s)", err, got)
		}

		setup, err := x.d.SetupInfo(ctx, link.Token)
		if err != nil {
			t.Fatal(err)
		}
		again, err := x.d.SetupInfo(ctx, link.Token)
		if err != nil || again.TOTPSecret != setup.TOTPSecret {
			t.Errorf("SetupInfo again: %v; the secret changed: %v", err, again.TOTPSecret != setup.TOTPSecret)
		}
		if !strings.HasPrefix(setup.TOTPURI, "otpauth://totp/Kigen:kenji@city.otaru.example.jp?") || setup.Email != "kenji@city.otaru.example.jp" {
			t.Errorf("setup %+v", setup)
		}
		for _, tt := range []struct{ password, code, want string }{
			{"short", "000000", "password: a password needs at least 12 characters; this one has 5\ntotp: the code is not right: check the clock of the phone, and that the app shows Kigen's code"},
			{"password1234", x.code(t, setup.TOTPSecret), "password: this password is one of the 12097 most common long passwords known to attackers: choose another"},
			{"kenji@city.otaru.example.jp!", x.code(t, setup.TOTPSecret), "password: the password may not be (or contain) the account's email address"},
			{goodPassword, "12345", "totp: the code from the authenticator app has 6 digits"},
		} {
			_, err := x.d.CompleteSetup(ctx, link.Token, tt.password, tt.code)
			if kigen.ErrorCode(err) != kigen.EINVALID || err.Error() != tt.want {
				t.Errorf("CompleteSetup(%q, %q): %v, want %q", tt.password, tt.code, err, tt.want)
			}
		}
		s, err := x.d.CompleteSetup(ctx, link.Token, goodPassword, x.code(t, setup.TOTPSecret))
		if err != nil {
			t.Fatal(err)
		}
		want := auth.Actor{ID: "account:" + itoa(link.Staff.ID), Role: auth.Staff, MunicipalityID: b.aID, MunicipalityCode: "012033"}
		if s.Actor != want || !s.ExpiresAt.Equal(x.clk.Now().Add(12*time.Hour)) || s.Staff.State != desk.StaffActive {
			t.Errorf("setup session: %+v, actor %+v; want %+v", s, s.Actor, want)
		}
		if a, err := x.d.Session(ctx, s.Token); err != nil || a != want {
			t.Errorf("Session: %+v, %v", a, err)
		}
		if me, err := x.d.Me(ctx, want); err != nil || me.Email != "kenji@city.otaru.example.jp" || me.ID != link.Staff.ID {
			t.Errorf("Me: %+v, %v", me, err)
		}
		if _, err := x.d.Me(ctx, b.adminA); kigen.ErrorCode(err) != kigen.ENOTFOUND {
			t.Errorf("Me(a local admin): %v, want not found", err)
		}
		_, err = x.d.CompleteSetup(ctx, link.Token, goodPassword, x.code(t, setup.TOTPSecret))
		wantCode(t, "CompleteSetup(used link)", err, kigen.ENOTFOUND)
		_, err = x.d.SetupInfo(ctx, link.Token)
		wantCode(t, "SetupInfo(used link)", err, kigen.ENOTFOUND)

		// Replay: the setup's code cannot sign in within its step.
		_, err = x.d.Login(ctx, desk.LoginParams{Email: "kenji@city.otaru.example.jp", Password: goodPassword, TOTP: x.code(t, setup.TOTPSecret), ClientKey: "c1"})
		if !errors.Is(err, auth.ErrTOTPUsed) {
			t.Errorf("Login with the setup's code: %v, want the code refused as used", err)
		}
		s2, err := x.login(t, "KENJI@city.otaru.example.jp", setup.TOTPSecret)
		if err != nil {
			t.Fatalf("Login at the next step: %v", err)
		}
		if s2.Token == s.Token {
			t.Error("the login gave the same session token: a new one each login")
		}
		if es := b.entries(t, store.AuditFilter{Action: "session.login"}); len(es) != 1 || es[0].ActorID != want.ID {
			t.Errorf("session.login entries: %+v", es)
		}

		// Expired link.
		link2, err := x.d.InviteStaff(ctx, b.adminA, desk.StaffParams{Email: "yui@city.otaru.example.jp", Role: auth.Admin})
		if err != nil {
			t.Fatal(err)
		}
		x.clk.Add(72 * time.Hour)
		_, err = x.d.SetupInfo(ctx, link2.Token)
		if kigen.ErrorCode(err) != kigen.EINVALID || !strings.Contains(err.Error(), "this setup link expired at ") {
			t.Errorf("SetupInfo(expired): %v", err)
		}
	})
}

// TestDesk_LoginThrottle: five failures within 15 minutes lock an account
// for 15 minutes (the right password then says locked, until when); it
// unlocks by itself, or by an admin; twenty failures from one client
// refuse it; an unknown email and a wrong password get the same answer.
func TestDesk_LoginThrottle(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		x := setupAccounts(t, b)
		ctx := t.Context()
		const email = "kenji@city.otaru.example.jp"
		secret, _ := x.enrol(t, b.adminA, email, auth.Staff, "")
		wrong := func(email, client string) error {
			return func() error {
				_, err := x.d.Login(ctx, desk.LoginParams{Email: email, Password: "wrong password 123", TOTP: x.code(t, secret), ClientKey: client})
				return err
			}()
		}
		errUnknown := wrong("nobody@city.otaru.example.jp", "c9")
		for i := 1; i <= 4; i++ {
			err := wrong(email, "c1")
			if err.Error() != errUnknown.Error() || kigen.ErrorCode(err) != kigen.EUNAUTHORIZED {
				t.Errorf("failure %d: %v; want the same answer as for an unknown email (%v)", i, err, errUnknown)
			}
			x.clk.Add(time.Minute)
		}
		lockedAt := x.clk.Now()
		err := wrong(email, "c2")
		until := lockedAt.Add(15 * time.Minute).In(kigen.Tokyo).Format("2006-01-02 15:04 MST")
		checkErr(t, err, kigen.ELOCKED, "this account is locked after 5 failed logins, until "+until+"; an administrator can unlock it sooner")
		if _, err := x.login(t, email, secret); kigen.ErrorCode(err) != kigen.ELOCKED {
			t.Errorf("right password while locked: %v, want locked", err)
		}
		staff, err := x.d.ListStaff(ctx, b.adminA, "")
		if err != nil || len(staff) != 1 || staff[0].State != desk.StaffLocked || !staff[0].LockedUntil.Equal(lockedAt.Add(15*time.Minute)) {
			t.Errorf("ListStaff: %v, %+v", err, staff)
		}
		x.clk.t = lockedAt.Add(15*time.Minute + time.Second)
		if _, err := x.login(t, email, secret); err != nil {
			t.Errorf("after 15 minutes: %v, want unlocked", err)
		}

		// Locked again, unlocked by the admin.
		for range 5 {
			_ = wrong(email, "c3")
		}
		if _, err := x.login(t, email, secret); kigen.ErrorCode(err) != kigen.ELOCKED {
			t.Fatalf("after 5 more failures: %v, want locked", err)
		}
		_, err = x.d.UnlockStaff(ctx, b.staffA, email)
		wantCode(t, "staff unlocking", err, kigen.EUNAUTHORIZED)
		st, err := x.d.UnlockStaff(ctx, b.adminA, email)
		if err != nil || st.State != desk.StaffActive {
			t.Fatalf("UnlockStaff: %+v, %v", st, err)
		}
		if _, err := x.login(t, email, secret); err != nil {
			t.Errorf("after the unlock: %v", err)
		}

		// Twenty failures from one client: it is refused, the right
		// password too; another client is not.
		x.clk.Add(time.Hour)
		for i := range 20 {
			_ = wrong("nobody"+itoa(int64(i))+"@example.jp", "c7")
		}
		x.clk.Add(auth.TOTPPeriod)
		_, err = x.d.Login(ctx, desk.LoginParams{Email: email, Password: goodPassword, TOTP: x.code(t, secret), ClientKey: "c7"})
		if kigen.ErrorCode(err) != kigen.ELOCKED || !strings.HasPrefix(err.Error(), "too many failed logins from here: try again after ") {
			t.Errorf("client after 20 failures: %v", err)
		}
		if _, err := x.d.Login(ctx, desk.LoginParams{Email: email, Password: goodPassword, TOTP: x.code(t, secret), ClientKey: "c8"}); err != nil {
			t.Errorf("another client: %v", err)
		}
		if es := b.entries(t, store.AuditFilter{Action: "session.login_failed", MunicipalityID: b.aID, Limit: 1000}); len(es) != 10 {
			t.Errorf("%d session.login_failed entries, want 10", len(es))
		}
	})
}

// TestDesk_Sessions: a session ends idle 30 minutes, 12 hours after its
// login however active, at logout, and when its account is disabled; its
// last use is written at most once a minute.
func TestDesk_Sessions(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		x := setupAccounts(t, b)
		ctx := t.Context()
		const email = "kenji@city.otaru.example.jp"
		secret, first := x.enrol(t, b.adminA, email, auth.Staff, "")
		lastSeen := func(token string) time.Time {
			s, err := b.s.GetSession(ctx, auth.HashToken(token))
			if err != nil {
				t.Fatal(err)
			}
			return s.LastSeenAt
		}
		start := x.clk.Now()
		x.clk.Add(30 * time.Second)
		if _, err := x.d.Session(ctx, first.Token); err != nil {
			t.Fatal(err)
		}
		if !lastSeen(first.Token).Equal(start) {
			t.Errorf("last seen moved after 30 s: %v, want %v", lastSeen(first.Token), start)
		}
		x.clk.Add(31 * time.Second)
		if _, err := x.d.Session(ctx, first.Token); err != nil {
			t.Fatal(err)
		}
		if !lastSeen(first.Token).Equal(x.clk.Now()) {
			t.Errorf("last seen not moved after 61 s: %v", lastSeen(first.Token))
		}
		// Idle 29 minutes: alive; 30 more: ended.
		x.clk.Add(29 * time.Minute)
		if _, err := x.d.Session(ctx, first.Token); err != nil {
			t.Errorf("after 29 idle minutes: %v", err)
		}
		x.clk.Add(30 * time.Minute)
		_, err := x.d.Session(ctx, first.Token)
		checkErr(t, err, kigen.EUNAUTHORIZED, "not signed in, or the session ended: sign in again")

		// Active every 20 minutes: ended 12 hours after the login.
		s, err := x.login(t, email, secret)
		if err != nil {
			t.Fatal(err)
		}
		login := x.clk.Now()
		for x.clk.Now().Before(login.Add(12*time.Hour - 20*time.Minute)) {
			x.clk.Add(20 * time.Minute)
			if _, err := x.d.Session(ctx, s.Token); err != nil {
				t.Fatalf("active session at %v: %v", x.clk.Now().Sub(login), err)
			}
		}
		x.clk.t = login.Add(12 * time.Hour)
		_, err = x.d.Session(ctx, s.Token)
		wantCode(t, "12 hours after the login", err, kigen.EUNAUTHORIZED)

		// Logout.
		s, err = x.login(t, email, secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.d.Logout(ctx, s.Token); err != nil {
			t.Fatal(err)
		}
		_, err = x.d.Session(ctx, s.Token)
		wantCode(t, "after logout", err, kigen.EUNAUTHORIZED)
		if err := x.d.Logout(ctx, s.Token); err != nil {
			t.Errorf("Logout again: %v", err)
		}

		// Disabled: every session ends; no login; reset enables again.
		s1, err := x.login(t, email, secret)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := x.login(t, email, secret)
		if err != nil {
			t.Fatal(err)
		}
		st, err := x.d.DisableStaff(ctx, b.adminA, email)
		if err != nil || st.State != desk.StaffDisabled {
			t.Fatalf("DisableStaff: %+v, %v", st, err)
		}
		for _, tok := range []string{s1.Token, s2.Token} {
			_, err = x.d.Session(ctx, tok)
			wantCode(t, "session of a disabled account", err, kigen.EUNAUTHORIZED)
		}
		_, err = x.login(t, email, secret)
		checkErr(t, err, kigen.EUNAUTHORIZED, "this account is disabled: ask an administrator")
		link, err := x.d.ResetStaff(ctx, b.adminA, email)
		if err != nil || link.Staff.State != desk.StaffInvited {
			t.Fatalf("ResetStaff: %+v, %v", link, err)
		}
		_, err = x.login(t, email, secret)
		wantCode(t, "login after a reset, before setup", err, kigen.EUNAUTHORIZED)
		setup, err := x.d.SetupInfo(ctx, link.Token)
		if err != nil || setup.TOTPSecret == secret {
			t.Fatalf("SetupInfo after reset: %v; same secret: %v", err, setup != nil && setup.TOTPSecret == secret)
		}
		x.clk.Add(auth.TOTPPeriod)
		if _, err := x.d.CompleteSetup(ctx, link.Token, goodPassword+"!", x.code(t, setup.TOTPSecret)); err != nil {
			t.Errorf("CompleteSetup after reset: %v", err)
		}
	})
}

// TestDesk_StaffScope: who may manage which accounts. Staff manage none;
// an admin of A is told "not found" for B's accounts and operators'; an
// operator account is created by a local operator only.
func TestDesk_StaffScope(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		x := setupAccounts(t, b)
		ctx := t.Context()
		adminB := auth.Actor{ID: "cli:bob", Role: auth.Admin, MunicipalityID: b.bID, MunicipalityCode: "131016"}
		webOperator := auth.Actor{ID: "account:99", Role: auth.Operator}
		const emailB = "taro@city.chiyoda.example.jp"
		if _, err := x.d.InviteStaff(ctx, adminB, desk.StaffParams{Email: emailB, Role: auth.Staff}); err != nil {
			t.Fatal(err)
		}
		if _, err := x.d.InviteStaff(ctx, b.operator, desk.StaffParams{Email: "ops@kigen.example", Role: auth.Operator}); err != nil {
			t.Fatalf("local operator inviting an operator: %v", err)
		}
		_, err := x.d.InviteStaff(ctx, webOperator, desk.StaffParams{Email: "ops2@kigen.example", Role: auth.Operator})
		checkErr(t, err, kigen.EUNAUTHORIZED, "only an operator at the command line (kigen staff add) may create an operator account")
		_, err = x.d.InviteStaff(ctx, b.adminA, desk.StaffParams{Email: "ops3@kigen.example", Role: auth.Operator})
		wantCode(t, "admin inviting an operator", err, kigen.EUNAUTHORIZED)
		_, err = x.d.InviteStaff(ctx, b.operator, desk.StaffParams{Email: "ops4@kigen.example", Role: auth.Operator, Municipality: "012033"})
		checkErr(t, err, kigen.EINVALID, "municipality: an operator belongs to no municipality: give none")
		if _, err := x.d.InviteStaff(ctx, webOperator, desk.StaffParams{Email: "hana@city.otaru.example.jp", Role: auth.Admin, Municipality: "012033"}); err != nil {
			t.Errorf("operator inviting an admin of A: %v", err)
		}
		_, err = x.d.InviteStaff(ctx, b.operator, desk.StaffParams{Email: "x@example.jp", Role: auth.Staff})
		checkErr(t, err, kigen.EINVALID, "municipality: give the code of the municipality")

		// Admin of A: B is not found, for every action.
		_, err = x.d.InviteStaff(ctx, b.adminA, desk.StaffParams{Email: "y@example.jp", Role: auth.Staff, Municipality: "131016"})
		checkErr(t, err, kigen.ENOTFOUND, `no municipality "131016"`)
		_, err = x.d.ListStaff(ctx, b.adminA, "131016")
		checkErr(t, err, kigen.ENOTFOUND, `no municipality "131016"`)
		for name, f := range map[string]func(email string) error{
			"disable": func(e string) error { _, err := x.d.DisableStaff(ctx, b.adminA, e); return err },
			"reset":   func(e string) error { _, err := x.d.ResetStaff(ctx, b.adminA, e); return err },
			"unlock":  func(e string) error { _, err := x.d.UnlockStaff(ctx, b.adminA, e); return err },
		} {
			for _, e := range []string{emailB, "ops@kigen.example", "nobody@example.jp"} {
				if err := f(e); kigen.ErrorCode(err) != kigen.ENOTFOUND || err.Error() != `no account "`+e+`"` {
					t.Errorf("admin of A, %s %s: %v, want not found", name, e, err)
				}
			}
		}
		// A web operator may not touch an operator account; it is not
		// found to them, as to an admin.
		_, err = x.d.DisableStaff(ctx, webOperator, "ops@kigen.example")
		wantCode(t, "web operator disabling an operator", err, kigen.EUNAUTHORIZED)
		for _, act := range []func() error{
			func() error {
				_, err := x.d.InviteStaff(ctx, b.staffA, desk.StaffParams{Email: "z@example.jp", Role: auth.Staff})
				return err
			},
			func() error { _, err := x.d.ListStaff(ctx, b.staffA, ""); return err },
			func() error { _, err := x.d.DisableStaff(ctx, b.staffA, "hana@city.otaru.example.jp"); return err },
		} {
			wantCode(t, "staff managing accounts", act(), kigen.EUNAUTHORIZED)
		}
		list := func(a auth.Actor, code string) []string {
			ss, err := x.d.ListStaff(ctx, a, code)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, s := range ss {
				out = append(out, s.Email+" "+string(s.Role)+" "+s.Municipality)
			}
			return out
		}
		if got := strings.Join(list(b.adminA, ""), ", "); got != "hana@city.otaru.example.jp admin 012033" {
			t.Errorf("admin of A lists %s", got)
		}
		if got := strings.Join(list(b.operator, ""), ", "); got != "hana@city.otaru.example.jp admin 012033, ops@kigen.example operator , taro@city.chiyoda.example.jp staff 131016" {
			t.Errorf("operator lists %s", got)
		}
		if got := strings.Join(list(b.operator, "131016"), ", "); got != "taro@city.chiyoda.example.jp staff 131016" {
			t.Errorf("operator lists B: %s", got)
		}
		if st, err := x.d.DisableStaff(ctx, b.operator, "ops@kigen.example"); err != nil || st.State != desk.StaffDisabled {
			t.Errorf("local operator disabling an operator: %+v, %v", st, err)
		}
	})
}

// TestDesk_Tokens: an admin creates a token (shown once, stored hashed),
// lists and revokes it; the token acts as staff of its municipality, read
// only for scope read; a revoked token is refused; B's admin cannot see
// or revoke A's token.
func TestDesk_Tokens(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		x := setupAccounts(t, b)
		ctx := t.Context()
		adminB := auth.Actor{ID: "cli:bob", Role: auth.Admin, MunicipalityID: b.bID, MunicipalityCode: "131016"}
		read, err := x.d.CreateToken(ctx, b.adminA, desk.TokenParams{Name: "crm"})
		if err != nil {
			t.Fatal(err)
		}
		write, err := x.d.CreateToken(ctx, b.operator, desk.TokenParams{Name: "resident-system", Scope: "write", Municipality: "012033"})
		if err != nil {
			t.Fatal(err)
		}
		if read.Token.Scope != "read" || read.Token.Municipality != "012033" || read.Token.CreatedBy != "cli:alice" || len(read.Secret) != 43 {
			t.Errorf("token %+v", read.Token)
		}
		stored, err := b.s.GetAPIToken(ctx, read.Token.ID)
		if err != nil || string(stored.Hash) != string(auth.HashToken(read.Secret)) || strings.Contains(string(stored.Hash), read.Secret) {
			t.Errorf("stored token: %v; want only the hash of the secret", err)
		}
		_, err = x.d.CreateToken(ctx, b.adminA, desk.TokenParams{Name: "佐藤さん", Scope: "admin"})
		if want := "name: a token's name has 1 to 64 letters, digits, dots, underscores or hyphens (e.g. resident-system)\n" +
			`scope: "admin" is not a scope: read or write`; kigen.ErrorCode(err) != kigen.EINVALID || err.Error() != want {
			t.Errorf("bad name and scope: %v, want %s", err, want)
		}
		_, err = x.d.CreateToken(ctx, b.staffA, desk.TokenParams{Name: "mine"})
		wantCode(t, "staff creating a token", err, kigen.EUNAUTHORIZED)
		_, err = x.d.CreateToken(ctx, b.adminA, desk.TokenParams{Name: "x", Municipality: "131016"})
		checkErr(t, err, kigen.ENOTFOUND, `no municipality "131016"`)

		ra, err := x.d.AuthenticateToken(ctx, read.Secret)
		want := auth.Actor{ID: "token:" + itoa(read.Token.ID) + ":crm", Role: auth.Staff, MunicipalityID: b.aID, MunicipalityCode: "012033", ReadOnly: true}
		if err != nil || ra != want {
			t.Errorf("AuthenticateToken(read) = %+v, %v; want %+v", ra, err, want)
		}
		if err := auth.Authorize(ra, auth.ResidentView, b.aID); err != nil {
			t.Errorf("read token viewing a resident: %v", err)
		}
		if err := auth.Authorize(ra, auth.Import, b.aID); kigen.ErrorCode(err) != kigen.EUNAUTHORIZED {
			t.Errorf("read token importing: %v, want unauthorized", err)
		}
		wa, err := x.d.AuthenticateToken(ctx, write.Secret)
		if err != nil || wa.ReadOnly || auth.Authorize(wa, auth.Import, b.aID) != nil {
			t.Errorf("write token: %+v, %v", wa, err)
		}
		// The desk refuses a read token's write: through the service.
		_, err = x.d.CreateToken(ctx, ra, desk.TokenParams{Name: "y"})
		wantCode(t, "read token creating a token", err, kigen.EUNAUTHORIZED)

		// Last use: written, then not again within the minute.
		first, _ := b.s.GetAPIToken(ctx, read.Token.ID)
		x.clk.Add(30 * time.Second)
		if _, err := x.d.AuthenticateToken(ctx, read.Secret); err != nil {
			t.Fatal(err)
		}
		second, _ := b.s.GetAPIToken(ctx, read.Token.ID)
		if !first.LastUsedAt.Equal(second.LastUsedAt) || first.LastUsedAt.IsZero() {
			t.Errorf("last used %v then %v: want set once, not again within a minute", first.LastUsedAt, second.LastUsedAt)
		}

		// B's admin sees none of A's tokens, and cannot revoke one.
		if ts, err := x.d.ListTokens(ctx, adminB, ""); err != nil || len(ts) != 0 {
			t.Errorf("admin of B lists %+v, %v", ts, err)
		}
		_, err = x.d.RevokeToken(ctx, adminB, read.Token.ID)
		checkErr(t, err, kigen.ENOTFOUND, "no API token "+itoa(read.Token.ID))
		ts, err := x.d.ListTokens(ctx, b.adminA, "")
		if err != nil || len(ts) != 2 || ts[0].Name != "crm" || ts[0].LastUsedAt == nil {
			t.Errorf("admin of A lists %+v, %v", ts, err)
		}
		rt, err := x.d.RevokeToken(ctx, b.adminA, read.Token.ID)
		if err != nil || rt.RevokedAt == nil {
			t.Fatalf("RevokeToken: %+v, %v", rt, err)
		}
		_, err = x.d.AuthenticateToken(ctx, read.Secret)
		checkErr(t, err, kigen.EUNAUTHORIZED, "the API token is not valid (unknown or revoked)")
		_, err = x.d.AuthenticateToken(ctx, "not-a-token")
		checkErr(t, err, kigen.EUNAUTHORIZED, "the API token is not valid (unknown or revoked)")
		if es := b.entries(t, store.AuditFilter{Action: "token.revoke"}); len(es) != 1 || es[0].ActorID != "cli:alice" || es[0].MunicipalityID != b.aID {
			t.Errorf("token.revoke entries %+v", es)
		}
	})
}

// TestDesk_AccountsLogNoSecrets: neither the audit log nor the desk's log
// holds a password, a TOTP secret, a token or a staff member's email.
func TestDesk_AccountsLogNoSecrets(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		x := setupAccounts(t, b)
		ctx := t.Context()
		const email = "kenji@city.otaru.example.jp"
		secret, s := x.enrol(t, b.adminA, email, auth.Staff, "")
		_, _ = x.d.Login(ctx, desk.LoginParams{Email: email, Password: "a wrong password here", TOTP: "123456", ClientKey: "c1"})
		s2, err := x.login(t, email, secret)
		if err != nil {
			t.Fatal(err)
		}
		_ = x.d.Logout(ctx, s2.Token)
		tok, err := x.d.CreateToken(ctx, b.adminA, desk.TokenParams{Name: "crm"})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = x.d.ResetStaff(ctx, b.adminA, email)
		var all strings.Builder
		all.WriteString(x.log.String())
		for _, e := range b.entries(t, store.AuditFilter{Limit: 1000}) {
			all.WriteString(e.ActorID + " " + e.Action + " " + e.Detail + "\n")
		}
		for _, secretText := range []string{goodPassword, "a wrong password here", secret, s.Token, s2.Token, tok.Secret, email, "kenji"} {
			if strings.Contains(all.String(), secretText) {
				t.Errorf("the logs hold %q:\n%s", secretText, all.String())
			}
		}
		if !strings.Contains(all.String(), "session.login_failed") || !strings.Contains(all.String(), "session.logout") {
			t.Errorf("the audit log lacks the login failure or the logout:\n%s", all.String())
		}
	})
}

// TestDesk_LoginRace: two logins racing with one code: one signs in, the
// other is refused the code as used (on PostgreSQL the two run at once;
// SQLite has one connection and runs them in turn).
func TestDesk_LoginRace(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		x := setupAccounts(t, b)
		const email = "kenji@city.otaru.example.jp"
		secret, _ := x.enrol(t, b.adminA, email, auth.Staff, "")
		x.clk.Add(auth.TOTPPeriod)
		code := x.code(t, secret)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = x.d.Login(t.Context(), desk.LoginParams{Email: email, Password: goodPassword, TOTP: code, ClientKey: "c1"})
			})
		}
		wg.Wait()
		ok, used := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, auth.ErrTOTPUsed):
				used++
			default:
				t.Errorf("racing login: %v", err)
			}
		}
		if ok != 1 || used != 1 {
			t.Errorf("%d logins signed in and %d were refused the code as used; want one each", ok, used)
		}
	})
}

// TestDesk_ExpiredSessionsRemoved: a login removes the sessions that have
// ended by themselves.
func TestDesk_ExpiredSessionsRemoved(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		x := setupAccounts(t, b)
		const email = "kenji@city.otaru.example.jp"
		secret, first := x.enrol(t, b.adminA, email, auth.Staff, "")
		x.clk.Add(desk.SessionIdle)
		if _, err := x.login(t, email, secret); err != nil {
			t.Fatal(err)
		}
		if _, err := b.s.GetSession(t.Context(), auth.HashToken(first.Token)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the idle session after a new login: %v, want removed", err)
		}
	})
}
