// Package auth says who acts (Actor) and what each role may do
// (Authorize). The rules are pure functions of the actor, the action and
// its target, table-tested; package desk calls them at the start of every
// action, so that no surface (CLI, console, API, resident pages) can forget
// one.
//
// It also holds the building blocks of accounts, with no storage of their
// own: password hashing (argon2id) and policy, TOTP (RFC 6238), and the
// random tokens of setup links, sessions and API tokens (stored hashed).
// Package desk keeps them in the store and turns a session or an API
// token into an Actor; the CLI makes its own (desk.LocalAdmin,
// desk.LocalOperator).
package auth

import (
	"log/slog"

	"kigen"
)

// Role is what an actor is to Kigen (docs/architecture.md, "Who may do what").
type Role string

// The roles.
const (
	// Staff read and change one municipality's residents, import, see its
	// follow-up list and settle its deliveries.
	Staff Role = "staff"
	// Admin is Staff plus the municipality's settings and audit log.
	Admin Role = "admin"
	// Operator watches delivery in every municipality: settles and
	// retries sends, sees follow-up lists, sees residents by reference
	// only (never their names or addresses), adds municipalities.
	Operator Role = "operator"
	// Resident acts on their own record only, through a link only they
	// received (desk.ResidentActor: the page's link; desk.MessageActor: a
	// reminder's).
	Resident Role = "resident"
)

// Roles lists every role.
var Roles = []Role{Staff, Admin, Operator, Resident}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	return r == Staff || r == Admin || r == Operator || r == Resident
}

// Actor is who performs an action: written to the audit log with it.
type Actor struct {
	// ID names the actor for the audit log: "cli:alice" (a local user),
	// later an account or an API token. It must not be a resident's name,
	// email or phone number.
	ID   string `json:"id"`
	Role Role   `json:"role"`
	// MunicipalityID and MunicipalityCode are the municipality a staff
	// member, an admin or a resident belongs to; zero for an operator
	// (all municipalities).
	MunicipalityID   int64  `json:"municipality_id,omitempty"`
	MunicipalityCode string `json:"municipality_code,omitempty"`
	// ResidentRef is, for the Resident role, the resident themself.
	ResidentRef string `json:"resident_ref,omitempty"`
	// ReadOnly is an actor that may only read (an API token of scope
	// read): Authorize refuses it every action that writes (Action.Writes).
	ReadOnly bool `json:"read_only,omitempty"`
	// Local is an actor at the command line on the machine (desk.LocalOperator,
	// desk.LocalAdmin), not signed in through the web: only a local
	// operator may manage operator accounts.
	Local bool `json:"local,omitempty"`
}

// Validate reports whether a is well formed: an ID, a known role, a
// municipality for every role but Operator and none for Operator, and a
// ref for Resident alone. Authorize refuses every action of an actor that
// is not.
func (a Actor) Validate() error {
	switch {
	case a.ID == "":
		return kigen.Errorf(kigen.EUNAUTHORIZED, "the actor has no ID")
	case !a.Role.Valid():
		return kigen.Errorf(kigen.EUNAUTHORIZED, "%q is not a role", a.Role)
	case a.Role == Operator && (a.MunicipalityID != 0 || a.MunicipalityCode != ""):
		return kigen.Errorf(kigen.EUNAUTHORIZED, "an operator belongs to no municipality")
	case a.Role != Operator && (a.MunicipalityID == 0 || a.MunicipalityCode == ""):
		return kigen.Errorf(kigen.EUNAUTHORIZED, "%s %s belongs to no municipality", a.Role, a.ID)
	case (a.Role == Resident) != (a.ResidentRef != ""):
		return kigen.Errorf(kigen.EUNAUTHORIZED, "only a resident actor names a resident")
	}
	return nil
}

// LogValue implements slog.LogValuer: the ID, role and municipality, never
// a resident's ref.
func (a Actor) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", a.ID), slog.String("role", string(a.Role)),
		slog.Int64("municipality_id", a.MunicipalityID), slog.Bool("read_only", a.ReadOnly))
}
