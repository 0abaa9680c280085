// API tokens: created by an admin, shown once, stored hashed, revocable
// (docs/accounts.md).

package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"kigen"
	"kigen/auth"
	"kigen/store"
)

func tokenOf(t *store.APIToken, code string) *Token {
	return &Token{ID: t.ID, Name: t.Name, Municipality: code, Scope: t.Scope, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt,
		LastUsedAt: timePtr(t.LastUsedAt), RevokedAt: timePtr(t.RevokedAt)}
}

// checkTokenName: 1 to 64 letters, digits, '.', '_' or '-'; the name goes
// into the actor ID of every audit entry the token writes.
func checkTokenName(name string) error {
	if name == "" || len(name) > 64 || strings.TrimFunc(name, func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
	}) != "" {
		return kigen.FieldKeyf("name", "token.name", "a token's name has 1 to 64 letters, digits, dots, underscores or hyphens (e.g. resident-system)")
	}
	return nil
}

// CreateToken creates an API token of a municipality (its admin, or an
// operator) and returns it with its secret, shown this once (only its hash
// is stored). Invalid: a bad name or scope.
func (d *Desk) CreateToken(ctx context.Context, a auth.Actor, p TokenParams) (*NewToken, error) {
	if err := mayTake(a, auth.TokenCreate, ""); err != nil {
		return nil, err
	}
	if p.Scope == "" {
		p.Scope = ScopeRead
	}
	var errs []error
	if err := checkTokenName(p.Name); err != nil {
		errs = append(errs, err)
	}
	if p.Scope != ScopeRead && p.Scope != ScopeWrite {
		errs = append(errs, kigen.FieldKeyf("scope", "token.scope", "%s is not a scope: read or write", kigen.Quote(p.Scope)))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	now := d.now()
	var out *NewToken
	err := d.do(ctx, a, auth.TokenCreate, func(tx store.Tx, e *store.AuditEntry) error {
		mu, err := scope(ctx, tx, a, auth.TokenCreate, p.Municipality, "")
		if err != nil {
			return err
		}
		secret, hash := auth.NewToken()
		t := &store.APIToken{Hash: hash, Name: p.Name, MunicipalityID: mu.ID, Scope: p.Scope, CreatedBy: a.ID, CreatedAt: now}
		if err := tx.CreateAPIToken(ctx, t); err != nil {
			return err
		}
		out = &NewToken{Token: tokenOf(t, mu.Code), Secret: secret}
		e.MunicipalityID, e.Detail = mu.ID, fmt.Sprintf("token %d, scope %s", t.ID, t.Scope)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListTokens returns the API tokens of a municipality (revoked ones too)
// by ID: an admin's own (code may be empty), or, for an operator, the one
// code names, or every municipality's when code is empty.
func (d *Desk) ListTokens(ctx context.Context, a auth.Actor, code string) ([]*Token, error) {
	if err := mayTake(a, auth.TokenList, ""); err != nil {
		return nil, err
	}
	var out []*Token
	err := d.do(ctx, a, auth.TokenList, func(tx store.Tx, e *store.AuditEntry) error {
		var mid int64
		if a.Role != auth.Operator || code != "" {
			mu, err := scope(ctx, tx, a, auth.TokenList, code, "")
			if err != nil {
				return err
			}
			mid = mu.ID
		}
		ts, err := tx.ListAPITokens(ctx, mid)
		if err != nil {
			return err
		}
		codes, err := municipalityCodes(ctx, tx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			out = append(out, tokenOf(t, codes[t.MunicipalityID]))
		}
		e.MunicipalityID, e.Detail = mid, fmt.Sprintf("%d tokens", len(out))
		return nil
	})
	return out, err
}

// RevokeToken revokes the API token id: it stops working at once.
// Not found: no such token, or one of another municipality than the
// admin's. Revoking a revoked token changes nothing.
func (d *Desk) RevokeToken(ctx context.Context, a auth.Actor, id int64) (*Token, error) {
	if err := mayTake(a, auth.TokenRevoke, ""); err != nil {
		return nil, err
	}
	now := d.now()
	var out *Token
	err := d.do(ctx, a, auth.TokenRevoke, func(tx store.Tx, e *store.AuditEntry) error {
		t, err := tx.GetAPIToken(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return kigen.Errorf(kigen.ENOTFOUND, "no API token %d", id)
		} else if err != nil {
			return err
		}
		if err := auth.Authorize(a, auth.TokenRevoke, t.MunicipalityID); kigen.ErrorCode(err) == kigen.ENOTFOUND {
			return kigen.Errorf(kigen.ENOTFOUND, "no API token %d", id)
		} else if err != nil {
			return err
		}
		if err := tx.RevokeAPIToken(ctx, id, now); err != nil {
			return err
		}
		if t, err = tx.GetAPIToken(ctx, id); err != nil {
			return err
		}
		code, err := codeOf(ctx, tx, t.MunicipalityID)
		if err != nil {
			return err
		}
		out = tokenOf(t, code)
		e.MunicipalityID, e.Detail = t.MunicipalityID, fmt.Sprintf("token %d", t.ID)
		return nil
	})
	return out, err
}

// errToken is the answer for a bearer token that is not (or no longer)
// valid.
var errToken = kigen.Errorf(kigen.EUNAUTHORIZED, "the API token is not valid (unknown or revoked)")

// AuthenticateToken returns the actor of an API bearer token: a staff
// member of the token's municipality named "token:<id>:<name>", read-only
// for a token of scope read. Unauthorized: an unknown or revoked token.
// Its last use is written at most once a minute.
func (d *Desk) AuthenticateToken(ctx context.Context, bearer string) (auth.Actor, error) {
	now := d.now()
	var a auth.Actor
	err := d.Store.InTx(ctx, func(tx store.Tx) error {
		t, err := tx.GetAPITokenByHash(ctx, auth.HashToken(bearer))
		if errors.Is(err, store.ErrNotFound) {
			return errToken
		} else if err != nil {
			return err
		}
		if !t.RevokedAt.IsZero() {
			return errToken
		}
		if now.Sub(t.LastUsedAt) >= touchEvery {
			if err := tx.TouchAPIToken(ctx, t.ID, now); err != nil {
				return err
			}
		}
		code, err := codeOf(ctx, tx, t.MunicipalityID)
		if err != nil {
			return err
		}
		a = auth.Actor{ID: fmt.Sprintf("token:%d:%s", t.ID, t.Name), Role: auth.Staff, MunicipalityID: t.MunicipalityID,
			MunicipalityCode: code, ReadOnly: t.Scope != ScopeWrite}
		return nil
	})
	return a, err
}

// Me returns the account of a signed-in actor (from Session): for the
// console's header and the account page. Not found for an actor that is
// no account (a local user, an API token).
func (d *Desk) Me(ctx context.Context, a auth.Actor) (*Staff, error) {
	var id int64
	if _, err := fmt.Sscanf(a.ID, "account:%d", &id); err != nil || a.Validate() != nil {
		return nil, kigen.Errorf(kigen.ENOTFOUND, "%s is not an account", a.ID)
	}
	acc, err := d.Store.GetAccount(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, kigen.Errorf(kigen.ENOTFOUND, "%s is not an account", a.ID)
	} else if err != nil {
		return nil, err
	}
	code, err := codeOf(ctx, d.Store, acc.MunicipalityID)
	if err != nil {
		return nil, err
	}
	return staffOf(acc, code, d.now()), nil
}
