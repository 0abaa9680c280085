package auth

import "kigen"

// Action is something an actor does, as the audit log names it. Actions
// on one municipality's data name it when authorized; global ones
// (municipality.create, municipality.list) take zero.
type Action string

// The actions. New surfaces add theirs here, with a row in rules.
const (
	MunicipalityCreate Action = "municipality.create"
	MunicipalityUpdate Action = "municipality.update"
	MunicipalityList   Action = "municipality.list"
	// ResidentView shows a resident with their personal data (name,
	// addresses); ResidentViewRef shows the same by reference only.
	ResidentView    Action = "resident.view"
	ResidentViewRef Action = "resident.view_ref"
	ResidentApplied Action = "resident.applied"
	ResidentErase   Action = "resident.erase"
	// ResidentResubscribe switches a channel the resident opted out of
	// back on, because they asked in person (docs/domain.md §11.17).
	ResidentResubscribe Action = "resident.resubscribe"
	// ResidentCalendar issues or revokes a resident's calendar feed link
	// (/cal/{token}.ics): staff at the counter, or the resident from their
	// own page.
	ResidentCalendar Action = "resident.calendar"
	Import           Action = "import"
	// FollowupView lists residents by reference only, never addresses.
	FollowupView Action = "followup.view"
	// DeliverySettle settles an unknown send (resend, resolve).
	DeliverySettle Action = "delivery.settle"
	// DeliveryRetry queues again a send the queue gave up on.
	DeliveryRetry Action = "delivery.retry"
	AuditView     Action = "audit.view"
	// StaffInvite creates an account and its setup link; StaffReset
	// gives an account a new one (a new password and authenticator);
	// StaffUnlock lifts a lock after failed logins. On operator accounts,
	// only a local operator may (AuthorizeAccount).
	StaffInvite  Action = "staff.invite"
	StaffList    Action = "staff.list"
	StaffDisable Action = "staff.disable"
	StaffReset   Action = "staff.reset"
	StaffUnlock  Action = "staff.unlock"
	// TokenCreate creates an API token of a municipality, shown once.
	TokenCreate Action = "token.create"
	TokenList   Action = "token.list"
	TokenRevoke Action = "token.revoke"
)

// The counter's actions on residents (the staff console, the API, kigen
// resident set|list, kigen export).
const (
	// ResidentRegister registers a new resident at the counter;
	// ResidentUpdate changes one.
	ResidentRegister Action = "resident.register"
	ResidentUpdate   Action = "resident.update"
	// ResidentList searches and lists the municipality's residents, with
	// their names; ResidentExport writes them all as a resident list.
	ResidentList   Action = "resident.list"
	ResidentExport Action = "resident.export"
	// MunicipalityToday counts the municipality's reminders, residents who
	// cannot be reached, gaps open and cards expiring (the console's
	// Today).
	MunicipalityToday Action = "municipality.today"
	// MunicipalityView is reading a municipality's settings: its names,
	// office, contact block and calendar.
	MunicipalityView Action = "municipality.view"
	// OpsView reads the operators' page: the last tick and today's
	// message counts, by channel and state (no resident).
	OpsView Action = "ops.view"
	// QueueManage changes River's job queue through River UI at
	// /ops/river/: cancel, retry or delete jobs; pause, resume or update
	// a queue.
	QueueManage Action = "queue.manage"
	// ImportView reads the municipality's import history and a background
	// import's progress and result (counts and row problems, no resident).
	ImportView Action = "import.view"
)

// The resident's own actions (self-service, /me/{token}), and staff's on
// sign-ups. A resident also takes ResidentView, ResidentApplied and
// ResidentErase on themself.
const (
	// SelfUpdate changes the resident's card dates or language.
	SelfUpdate Action = "self.update"
	// SelfChannel adds (and confirms) a second channel.
	SelfChannel Action = "self.channel"
	// SelfUnsubscribe and SelfResubscribe switch a channel off and back on.
	SelfUnsubscribe Action = "self.unsubscribe"
	SelfResubscribe Action = "self.resubscribe"
	// SelfExport downloads the resident's data (JSON).
	SelfExport Action = "self.export"
	// SelfRevoke ends every link to the resident's page.
	SelfRevoke Action = "self.revoke"
	// SignupList lists the sign-ups staff must look at (possible
	// duplicates); SignupSettle settles one.
	SignupList   Action = "signup.list"
	SignupSettle Action = "signup.settle"
)

// Public actions are taken before anyone is known: a sign-up started or
// confirmed, a fresh link asked for. Nothing authorizes them (they are not
// in Actions); they are limited (desk) and audited under these names.
const (
	SignupStart   Action = "signup.start"
	SignupConfirm Action = "signup.confirm"
	SelfLink      Action = "self.link"
)

// reads are the actions that change nothing. Every other action writes:
// an action added later is refused to a read-only actor until it is
// listed here (fail closed).
var reads = map[Action]bool{
	MunicipalityList:  true,
	ResidentView:      true,
	ResidentViewRef:   true,
	FollowupView:      true,
	AuditView:         true,
	StaffList:         true,
	TokenList:         true,
	ResidentList:      true,
	MunicipalityToday: true,
	MunicipalityView:  true,
	OpsView:           true,
	SelfExport:        true,
	SignupList:        true,
	ImportView:        true,
}

// Writes reports whether the action changes anything: a read-only actor
// may not take it. Only the actions known to read say false.
func (act Action) Writes() bool { return !reads[act] }

// grant is how far a role may take an action.
type grant uint8

const (
	own grant = iota + 1 // in the actor's municipality; a resident: on themself
	all                  // in every municipality, or a global action
)

// rules are docs/architecture.md's "Who may do what": for each action, the roles that
// may take it and how far. A role not listed may not.
var rules = map[Action]map[Role]grant{
	MunicipalityCreate:  {Operator: all},
	MunicipalityUpdate:  {Admin: own},
	MunicipalityList:    {Operator: all},
	MunicipalityToday:   {Staff: own, Admin: own},
	MunicipalityView:    {Staff: own, Admin: own, Operator: all},
	ResidentView:        {Staff: own, Admin: own, Resident: own},
	ResidentViewRef:     {Staff: own, Admin: own, Operator: all, Resident: own},
	ResidentRegister:    {Staff: own, Admin: own},
	ResidentUpdate:      {Staff: own, Admin: own},
	ResidentList:        {Staff: own, Admin: own},
	ResidentExport:      {Staff: own, Admin: own},
	ResidentApplied:     {Staff: own, Admin: own, Resident: own},
	ResidentErase:       {Staff: own, Admin: own, Resident: own},
	ResidentResubscribe: {Staff: own, Admin: own},
	ResidentCalendar:    {Staff: own, Admin: own, Resident: own},
	Import:              {Staff: own, Admin: own},
	FollowupView:        {Staff: own, Admin: own, Operator: all},
	DeliverySettle:      {Staff: own, Admin: own, Operator: all},
	DeliveryRetry:       {Staff: own, Admin: own, Operator: all},
	AuditView:           {Admin: own},
	StaffInvite:         {Admin: own, Operator: all},
	StaffList:           {Admin: own, Operator: all},
	StaffDisable:        {Admin: own, Operator: all},
	StaffReset:          {Admin: own, Operator: all},
	StaffUnlock:         {Admin: own, Operator: all},
	TokenCreate:         {Admin: own, Operator: all},
	TokenList:           {Admin: own, Operator: all},
	TokenRevoke:         {Admin: own, Operator: all},
	OpsView:             {Operator: all},
	QueueManage:         {Operator: all},
	SelfUpdate:          {Resident: own},
	SelfChannel:         {Resident: own},
	SelfUnsubscribe:     {Resident: own},
	SelfResubscribe:     {Resident: own},
	SelfExport:          {Resident: own},
	SelfRevoke:          {Resident: own},
	SignupList:          {Staff: own, Admin: own},
	SignupSettle:        {Staff: own, Admin: own},
	ImportView:          {Staff: own, Admin: own},
}

// Actions lists every action, in the order of the constants.
var Actions = []Action{MunicipalityCreate, MunicipalityUpdate, MunicipalityList,
	ResidentView, ResidentViewRef, ResidentApplied, ResidentErase, ResidentResubscribe, ResidentCalendar, Import,
	FollowupView, DeliverySettle, DeliveryRetry, AuditView,
	StaffInvite, StaffList, StaffDisable, StaffReset, StaffUnlock, TokenCreate, TokenList, TokenRevoke,
	ResidentRegister, ResidentUpdate, ResidentList, ResidentExport, MunicipalityToday, MunicipalityView, OpsView,
	QueueManage, ImportView,
	SelfUpdate, SelfChannel, SelfUnsubscribe, SelfResubscribe, SelfExport, SelfRevoke, SignupList, SignupSettle}

// Authorize reports whether actor a may take action act in the
// municipality municipalityID (zero for a global action). It returns nil;
// an EUNAUTHORIZED *kigen.Error when a is not valid or its role may not
// take the action at all; or an ENOTFOUND *kigen.Error when the role may,
// but not there (another municipality): the caller then answers exactly as
// for something that does not exist, so that no one learns what another
// municipality holds.
//
// A resident actor is refused here every action on a resident: use
// AuthorizeResident, which names the resident.
func Authorize(a Actor, act Action, municipalityID int64) error {
	return authorize(a, act, municipalityID, "")
}

// AuthorizeResident is Authorize for an action on the resident ref of the
// municipality: a resident actor may act on themself only (ENOTFOUND for
// anyone else); for the other roles the ref changes nothing.
func AuthorizeResident(a Actor, act Action, municipalityID int64, ref string) error {
	return authorize(a, act, municipalityID, ref)
}

// AuthorizeAccount is Authorize for an action on an account of the role
// (staff.*): an operator account (of no municipality, municipalityID
// zero) is managed only by a local operator (Actor.Local, the command
// line); anyone else is refused (EUNAUTHORIZED), so that no web session
// can make itself or another an operator.
func AuthorizeAccount(a Actor, act Action, municipalityID int64, role Role) error {
	if err := authorize(a, act, municipalityID, ""); err != nil {
		return err
	}
	if role == Operator && !(a.Role == Operator && a.Local) {
		return kigen.Errorf(kigen.EUNAUTHORIZED, "only an operator at the command line (kigen staff) may manage operator accounts")
	}
	return nil
}

func authorize(a Actor, act Action, municipalityID int64, ref string) error {
	if err := a.Validate(); err != nil {
		return err
	}
	roles, ok := rules[act]
	if !ok {
		return kigen.Errorf(kigen.EUNAUTHORIZED, "%q is not an action", act)
	}
	if a.ReadOnly && act.Writes() {
		return kigen.Errorf(kigen.EUNAUTHORIZED, "%s has read access only: it may not %s", a.ID, act)
	}
	switch roles[a.Role] {
	case all:
		return nil
	case own:
		if municipalityID == a.MunicipalityID && (a.Role != Resident || ref == a.ResidentRef) {
			return nil
		}
		return kigen.Errorf(kigen.ENOTFOUND, "not found")
	}
	return kigen.Errorf(kigen.EUNAUTHORIZED, "the %s role may not %s", a.Role, act)
}
