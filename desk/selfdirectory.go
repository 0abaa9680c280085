package desk

import (
	"context"
	"errors"

	"kigen"
	"kigen/store"
)

// SignupMunicipalities lists the municipalities a resident can sign up in
// on the public pages (every municipality Kigen serves), ordered by code.
// Names and codes are public: no actor, nothing audited.
func (d *Desk) SignupMunicipalities(ctx context.Context) ([]kigen.Municipality, error) {
	ms, err := d.Store.ListMunicipalities(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]kigen.Municipality, len(ms))
	for i, m := range ms {
		out[i] = *m
	}
	return out, nil
}

// SignupMunicipality returns the municipality of a public page (/r/{code}/):
// ENOTFOUND if Kigen does not serve it.
func (d *Desk) SignupMunicipality(ctx context.Context, code string) (*kigen.Municipality, error) {
	m, err := d.self().Municipalities.GetByCode(ctx, d.Store, code)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noMunicipality(code)
	}
	return m, err
}
