package auth

import (
	"strings"
	"testing"

	"kigen"
)

// TestAuthorize_ReadOnly: a read-only actor (an API token of scope read)
// may take the reading actions its role may, and is refused every other,
// in its own municipality too.
func TestAuthorize_ReadOnly(t *testing.T) {
	t.Parallel()
	readToken := Actor{ID: "token:1:crm", Role: Staff, MunicipalityID: idA, MunicipalityCode: "012033", ReadOnly: true}
	writes := map[Action]bool{}
	for _, act := range Actions {
		writes[act] = act.Writes()
		want := result(Authorize(staffA, act, idA))
		if act.Writes() && want == "ok" {
			want = "no"
		}
		if got := result(Authorize(readToken, act, idA)); got != want {
			t.Errorf("read-only staff, %s: %s, want %s", act, got, want)
		}
	}
	// The reads are listed; everything else writes, unknown actions too.
	for act, w := range map[Action]bool{ResidentView: false, FollowupView: false, StaffList: false, TokenList: false, AuditView: false,
		MunicipalityList: false, MunicipalityView: false, ResidentViewRef: false, Import: true, ResidentErase: true, TokenCreate: true, StaffInvite: true,
		DeliverySettle: true, "resident.tickle": true} {
		if act.Writes() != w {
			t.Errorf("%s.Writes() = %v, want %v", act, act.Writes(), w)
		}
	}
	err := Authorize(readToken, Import, idA)
	if kigen.ErrorMessage(err) != "token:1:crm has read access only: it may not import" {
		t.Errorf("read-only import: %v", err)
	}
}

// TestAuthorizeAccount: operator accounts are managed by a local operator
// only; other accounts as Authorize says.
func TestAuthorizeAccount(t *testing.T) {
	t.Parallel()
	local := Actor{ID: "cli:root", Role: Operator, Local: true}
	localAdmin := adminA
	localAdmin.Local = true
	tests := []struct {
		name string
		a    Actor
		mid  int64
		role Role
		want string
	}{
		{"local operator, operator account", local, 0, Operator, "ok"},
		{"local operator, staff account of A", local, idA, Staff, "ok"},
		{"web operator, operator account", operator, 0, Operator, "no"},
		{"web operator, admin account of B", operator, idB, Admin, "ok"},
		{"admin of A, staff of A", adminA, idA, Staff, "ok"},
		{"admin of A, admin of A", adminA, idA, Admin, "ok"},
		{"admin of A, staff of B", adminA, idB, Staff, "nf"},
		{"local admin of A, operator account", localAdmin, 0, Operator, "nf"},
		{"admin of A, operator account", adminA, 0, Operator, "nf"},
		{"staff of A, staff of A", staffA, idA, Staff, "no"},
	}
	for _, tt := range tests {
		for _, act := range []Action{StaffInvite, StaffDisable, StaffReset, StaffUnlock} {
			if got := result(AuthorizeAccount(tt.a, act, tt.mid, tt.role)); got != tt.want {
				t.Errorf("%s, %s: %s, want %s", tt.name, act, got, tt.want)
			}
		}
	}
	err := AuthorizeAccount(operator, StaffInvite, 0, Operator)
	if !strings.Contains(kigen.ErrorMessage(err), "only an operator at the command line") {
		t.Errorf("web operator inviting an operator: %v", err)
	}
}
