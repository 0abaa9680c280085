package console

import (
	"context"
	"time"

	"kigen/auth"
	"kigen/desk"
)

// DeskAccounts returns desk's accounts as the console signs in with them:
// Login, Session, Logout, SetupInfo and CompleteSetup of d.
func DeskAccounts(d *desk.Desk) Accounts { return deskAccounts{d} }

type deskAccounts struct{ d *desk.Desk }

func (a deskAccounts) Login(ctx context.Context, email, password, totp, clientKey string) (string, time.Time, error) {
	s, err := a.d.Login(ctx, desk.LoginParams{Email: email, Password: password, TOTP: totp, ClientKey: clientKey})
	if err != nil {
		return "", time.Time{}, err
	}
	return s.Token, s.ExpiresAt, nil
}

func (a deskAccounts) Session(ctx context.Context, token string) (auth.Actor, error) {
	return a.d.Session(ctx, token)
}

func (a deskAccounts) Logout(ctx context.Context, token string) error { return a.d.Logout(ctx, token) }

func (a deskAccounts) SetupInfo(ctx context.Context, token string) (email, otpauthURI, secret string, err error) {
	s, err := a.d.SetupInfo(ctx, token)
	if err != nil {
		return "", "", "", err
	}
	return s.Email, s.TOTPURI, s.TOTPSecret, nil
}

// CompleteSetup enrols the account; the session desk starts with it is
// not used: the new account signs in at the login, as every other time.
func (a deskAccounts) CompleteSetup(ctx context.Context, token, password, totp string) error {
	_, err := a.d.CompleteSetup(ctx, token, password, totp)
	return err
}
