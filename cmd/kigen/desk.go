package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/scheduler"
)

// openDesk opens the migrated store and returns the desk on it, acting on
// today (KIGEN_NOW or --now, else the clock) and logging its actions to
// logger. withQueue adds the job queue, for the actions on deliveries.
func (m *Main) openDesk(ctx context.Context, logger *slog.Logger, withQueue bool) (*desk.Desk, error) {
	s, err := m.openMigratedStore(ctx)
	if err != nil {
		return nil, err
	}
	d := &desk.Desk{Store: s, Logger: logger, Now: m.Config.Clock(nil), LocalGov: m.Config.LocalGov}
	if withQueue {
		if d.Queue, err = queueFor(ctx, s, scheduler.QueueConfig{Logger: m.logger()}); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// The command line acts as a local operator for the commands on every
// municipality (municipality add and list, delivery …), and as the admin of
// the municipality it is given (or the only one) for the others: whoever
// runs kigen against the database may do anything there; the actor, named
// "cli:" and $USER, is for the audit log.
func (m *Main) operator() auth.Actor { return desk.LocalOperator(m.Getenv("USER")) }

// adminDesk opens the desk as the admin of the municipality code names,
// or of the only one: a missing or unknown municipality is a usage error.
func (m *Main) adminDesk(ctx context.Context, code string, logger *slog.Logger, withQueue bool) (*desk.Desk, auth.Actor, *kigen.Municipality, error) {
	d, err := m.openDesk(ctx, logger, withQueue)
	if err != nil {
		return nil, auth.Actor{}, nil, err
	}
	a, mu, err := d.LocalAdmin(ctx, m.Getenv("USER"), code)
	if kigen.ErrorCode(err) == kigen.EINTERNAL {
		return nil, a, nil, envError(err)
	} else if err != nil {
		return nil, a, nil, usageErrorf("%s", kigen.ErrorMessage(err))
	}
	return d, a, mu, nil
}

// deskError maps a desk error to the command's: refused input, something
// not found, a conflict or a refusal is exit 1 with its message (a field
// named as its flag: "--contact-email: …"); anything else is a failure of
// the environment (exit 3).
func deskError(err error) error {
	if err == nil {
		return nil
	} else if kigen.ErrorCode(err) == kigen.EINTERNAL {
		return envError(err)
	}
	return &exitError{exitInvalid, asFlags(err)}
}

func asFlags(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var errs []error
		for _, e := range j.Unwrap() {
			errs = append(errs, asFlags(e))
		}
		return errors.Join(errs...)
	}
	var e *kigen.Error
	if errors.As(err, &e) && e.Field != "" {
		return fmt.Errorf("--%s: %s", strings.ReplaceAll(e.Field, "_", "-"), e.Message)
	}
	return err
}
