// Package desk is Kigen's service layer: every action a staff member, an
// operator or a resident takes, whatever the surface — the CLI, the staff
// console, the JSON API and the resident pages (self.go: sign-up, the
// resident's own page).
// None of them holds a rule of its own: they parse their input, call one
// Desk method with the auth.Actor, and render the result.
//
// Every action method takes (ctx, auth.Actor, params) and:
//   - checks that the actor may take it (auth.Authorize): a resident,
//     delivery or municipality the actor may not see is not found, the
//     same answer as for one that does not exist;
//   - validates its input;
//   - runs in one transaction (store.InTx), in which it writes its entry to
//     the audit log: the entry commits with the action, and an action that
//     fails or is refused leaves none.
//
// Errors meant for the user are *kigen.Error (invalid, not_found,
// conflict, unauthorized) with a specific message; several invalid fields
// come as errors.Join of one *kigen.Error per field, named as the JSON
// params name them. Anything else is internal. Results and params carry
// JSON tags: the API serializes them as they are.
package desk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode"

	"kigen"
	"kigen/auth"
	"kigen/localgov"
	"kigen/store"
)

// Queue is what the desk needs of the job queue (scheduler.Queue): queue a
// message's delivery in the caller's transaction, and list the messages
// whose delivery it gave up on.
type Queue interface {
	Enqueue(ctx context.Context, tx store.Tx, messageIDs []int64) error
	EnqueueResend(ctx context.Context, tx store.Tx, messageID, resend int64) error
	GivenUp(ctx context.Context) ([]int64, error)
}

// Desk runs the actions. Its fields are its dependencies; the zero values
// of Now and Logger are usable.
type Desk struct {
	Store store.Store
	// Queue may be nil for a desk that takes no action on deliveries
	// (Followup, ResendDelivery, RetryMessage need it).
	Queue Queue
	// Now is the clock: "today" in Asia/Tokyo is its date. Nil: time.Now.
	// The audit log is stamped by the store's clock, never this one, so
	// that a time-travelling demo cannot backdate an entry.
	Now func() time.Time
	// Logger receives one Info line for each delivery action and follow-up
	// list, with IDs only. Nil: nothing is logged.
	Logger *slog.Logger
	// LocalGov is the list of local governments a new municipality's code
	// is checked against. Nil: the built-in one (localgov.Default).
	LocalGov *localgov.List
	// Jobs queues background imports (StartImport). Nil: every import
	// runs in the request.
	Jobs JobInserter
	// PasswordParams hash new passwords. Nil: auth.DefaultPasswordParams
	// (tests set cheaper ones).
	PasswordParams *auth.PasswordParams
	// Self configures resident self-service (self.go): its queue, limits
	// and lifetimes. Nil: the defaults and no queue (the actions that send
	// need one).
	Self *SelfConfig
}

func (d *Desk) today() kigen.Date { return kigen.DateOf(d.now()) }

func (d *Desk) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

// queue returns the Queue, or an internal error for a desk built without
// one.
func (d *Desk) queue() (Queue, error) {
	if d.Queue == nil {
		return nil, errors.New("desk: this action needs the job queue (Desk.Queue)")
	}
	return d.Queue, nil
}

func (d *Desk) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

// do runs one action: fn in a transaction, then the audit entry fn filled
// in (where, to whom, a detail), in the same transaction. fn checks the
// actor's permission itself, once it knows where the action is.
func (d *Desk) do(ctx context.Context, a auth.Actor, act auth.Action, fn func(tx store.Tx, e *store.AuditEntry) error) error {
	return d.Store.InTx(ctx, func(tx store.Tx) error {
		e := &store.AuditEntry{ActorID: a.ID, ActorRole: string(a.Role), Action: string(act)}
		if err := fn(tx, e); err != nil {
			return err
		}
		if err := tx.CreateAuditEntry(ctx, e); err != nil {
			return fmt.Errorf("audit %s: %w", act, err)
		}
		return nil
	})
}

// scope returns the municipality an action of a takes place in, and
// checks that a may take act there, on the resident ref ("" for an action
// on no resident): a staff member's or admin's own municipality (code may
// be empty, or must be theirs), or, for an operator, the one code names.
// Where a may not look, the answer is the one for what does not exist.
func scope(ctx context.Context, q store.Queries, a auth.Actor, act auth.Action, code, ref string) (*kigen.Municipality, error) {
	// First whether the role may take act at all: an operator refused
	// should hear so, not be asked for a code.
	if err := mayTake(a, act, ref); err != nil {
		return nil, err
	}
	var (
		mu  *kigen.Municipality
		err error
	)
	switch {
	case a.MunicipalityID != 0 && code != "" && code != a.MunicipalityCode:
		return nil, noMunicipality(code)
	case a.MunicipalityID != 0:
		mu, err = q.GetMunicipality(ctx, a.MunicipalityID)
	case code == "":
		return nil, kigen.FieldKeyf("municipality", "municipality.missing", "give the code of the municipality")
	default:
		mu, err = q.GetMunicipalityByCode(ctx, code)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, noMunicipality(cmp.Or(code, a.MunicipalityCode))
	} else if err != nil {
		return nil, err
	}
	if err := auth.AuthorizeResident(a, act, mu.ID, ref); kigen.ErrorCode(err) == kigen.ENOTFOUND && ref != "" {
		return nil, noResident(ref, mu)
	} else if kigen.ErrorCode(err) == kigen.ENOTFOUND {
		return nil, noMunicipality(mu.Code)
	} else if err != nil {
		return nil, err
	}
	return mu, nil
}

// mayTake returns the refusal when a's role may not take act at all, on
// the resident ref ("" for none), in any municipality; nil otherwise. It
// spares a refused actor the reads that find where the action is.
func mayTake(a auth.Actor, act auth.Action, ref string) error {
	if err := auth.AuthorizeResident(a, act, a.MunicipalityID, ref); kigen.ErrorCode(err) == kigen.EUNAUTHORIZED {
		return err
	}
	return nil
}

// noResident is the answer for a resident not found. A reference of 12 or
// more digits is not echoed: it may be a number that is not the
// municipality's (docs/domain.md §11.11).
func noResident(ref string, mu *kigen.Municipality) error {
	digits := 0
	for _, r := range ref {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	if digits >= 12 {
		return kigen.Keyf(kigen.ENOTFOUND, "resident.not_found", "no resident with that reference (not shown: it has 12 or more digits) in %s %s", mu.Code, mu.Name)
	}
	return kigen.Keyf(kigen.ENOTFOUND, "resident.not_found.q", "no resident %s in %s %s", strconv.Quote(ref), mu.Code, mu.Name)
}

func noMunicipality(code string) error {
	return kigen.Keyf(kigen.ENOTFOUND, "municipality.not_found", "no municipality %s", kigen.Quote(code))
}

// LocalOperator is the actor of a user running the kigen command on the
// machine, for the commands that act on every municipality (municipality
// add and list, delivery …): an operator named "cli:"+user. Whoever can
// run kigen against the database can do anything there, so the command
// line needs no account; the actor is for the audit log. It is Local:
// only a local operator may manage operator accounts.
func LocalOperator(user string) auth.Actor {
	return auth.Actor{ID: cliID(user), Role: auth.Operator, Local: true}
}

// LocalAdmin is the actor of a user running the kigen command on the
// machine for one municipality (import, resident …, followup, municipality
// set): its admin, named "cli:"+user. code names the municipality; empty,
// the only one there is. The errors (not found, or invalid when code is
// empty and there are none or several) say what the command line should
// give instead.
func (d *Desk) LocalAdmin(ctx context.Context, user, code string) (auth.Actor, *kigen.Municipality, error) {
	mu, err := d.localMunicipality(ctx, code)
	if err != nil {
		return auth.Actor{}, nil, err
	}
	return auth.Actor{ID: cliID(user), Role: auth.Admin, MunicipalityID: mu.ID, MunicipalityCode: mu.Code, Local: true}, mu, nil
}

func (d *Desk) localMunicipality(ctx context.Context, code string) (*kigen.Municipality, error) {
	if code != "" {
		mu, err := d.Store.GetMunicipalityByCode(ctx, code)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return mu, err
		}
	}
	ms, err := d.Store.ListMunicipalities(ctx)
	if err != nil {
		return nil, err
	}
	known := make([]string, len(ms))
	for i, mu := range ms {
		known[i] = mu.Code + " " + mu.Name
	}
	switch {
	case len(ms) == 0:
		return nil, kigen.Errorf(kigen.EINVALID, "no municipality yet: add one with kigen municipality add CODE --name NAME")
	case code != "":
		return nil, kigen.Errorf(kigen.ENOTFOUND, "unknown municipality %s; known: %s", kigen.Quote(code), strings.Join(known, ", "))
	case len(ms) > 1:
		return nil, kigen.Errorf(kigen.EINVALID, "several municipalities: choose one with --municipality CODE (%s)", strings.Join(known, ", "))
	}
	return ms[0], nil
}

func cliID(user string) string {
	if user == "" {
		user = "unknown"
	}
	return "cli:" + user
}
