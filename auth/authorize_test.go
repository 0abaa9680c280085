package auth

import (
	"strings"
	"testing"

	"kigen"
)

// The municipalities of the table: the actors belong to A.
const (
	idA = 1
	idB = 2
)

var (
	staffA    = Actor{ID: "cli:staff", Role: Staff, MunicipalityID: idA, MunicipalityCode: "012033"}
	adminA    = Actor{ID: "cli:admin", Role: Admin, MunicipalityID: idA, MunicipalityCode: "012033"}
	operator  = Actor{ID: "cli:ops", Role: Operator}
	residentA = Actor{ID: "resident:7", Role: Resident, MunicipalityID: idA, MunicipalityCode: "012033", ResidentRef: "R-1"}
)

// TestAuthorize is the permission table: every action × every role × the
// actor's own municipality and another. A cell is "ok" (allowed), "nf" (not
// found: the role may, but not there) or "no" (unauthorized). The staff,
// admin and operator columns are "on A, on B"; the resident's are "on
// themself, on another resident of A, on B".
func TestAuthorize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		action                           Action
		staff, admin, operator, resident string
	}{
		{MunicipalityCreate, "no no", "no no", "ok ok", "no no no"},
		{MunicipalityUpdate, "no no", "ok nf", "no no", "no no no"},
		{MunicipalityList, "no no", "no no", "ok ok", "no no no"},
		{MunicipalityToday, "ok nf", "ok nf", "no no", "no no no"},
		{MunicipalityView, "ok nf", "ok nf", "ok ok", "no no no"},
		{ResidentView, "ok nf", "ok nf", "no no", "ok nf nf"},
		{ResidentRegister, "ok nf", "ok nf", "no no", "no no no"},
		{ResidentUpdate, "ok nf", "ok nf", "no no", "no no no"},
		{ResidentList, "ok nf", "ok nf", "no no", "no no no"},
		{ResidentExport, "ok nf", "ok nf", "no no", "no no no"},
		{ResidentViewRef, "ok nf", "ok nf", "ok ok", "ok nf nf"},
		{ResidentApplied, "ok nf", "ok nf", "no no", "ok nf nf"},
		{ResidentErase, "ok nf", "ok nf", "no no", "ok nf nf"},
		{ResidentResubscribe, "ok nf", "ok nf", "no no", "no no no"},
		{ResidentCalendar, "ok nf", "ok nf", "no no", "ok nf nf"},
		{Import, "ok nf", "ok nf", "no no", "no no no"},
		{FollowupView, "ok nf", "ok nf", "ok ok", "no no no"},
		{DeliverySettle, "ok nf", "ok nf", "ok ok", "no no no"},
		{DeliveryRetry, "ok nf", "ok nf", "ok ok", "no no no"},
		{AuditView, "no no", "ok nf", "no no", "no no no"},
		{StaffInvite, "no no", "ok nf", "ok ok", "no no no"},
		{StaffList, "no no", "ok nf", "ok ok", "no no no"},
		{StaffDisable, "no no", "ok nf", "ok ok", "no no no"},
		{StaffReset, "no no", "ok nf", "ok ok", "no no no"},
		{StaffUnlock, "no no", "ok nf", "ok ok", "no no no"},
		{TokenCreate, "no no", "ok nf", "ok ok", "no no no"},
		{TokenList, "no no", "ok nf", "ok ok", "no no no"},
		{TokenRevoke, "no no", "ok nf", "ok ok", "no no no"},
		{OpsView, "no no", "no no", "ok ok", "no no no"},
		{QueueManage, "no no", "no no", "ok ok", "no no no"},
		{SelfUpdate, "no no", "no no", "no no", "ok nf nf"},
		{SelfChannel, "no no", "no no", "no no", "ok nf nf"},
		{SelfUnsubscribe, "no no", "no no", "no no", "ok nf nf"},
		{SelfResubscribe, "no no", "no no", "no no", "ok nf nf"},
		{SelfExport, "no no", "no no", "no no", "ok nf nf"},
		{SelfRevoke, "no no", "no no", "no no", "ok nf nf"},
		{SignupList, "ok nf", "ok nf", "no no", "no no no"},
		{SignupSettle, "ok nf", "ok nf", "no no", "no no no"},
		{ImportView, "ok nf", "ok nf", "no no", "no no no"},
	}
	covered := map[Action]bool{}
	for _, tt := range tests {
		covered[tt.action] = true
		type cell struct {
			who  string
			a    Actor
			mid  int64
			ref  string
			want string
		}
		col := func(s string) []string { return strings.Fields(s) }
		var cells []cell
		for i, mid := range []int64{idA, idB} {
			cells = append(cells,
				cell{"staff", staffA, mid, "R-1", col(tt.staff)[i]},
				cell{"admin", adminA, mid, "R-1", col(tt.admin)[i]},
				cell{"operator", operator, mid, "R-1", col(tt.operator)[i]})
		}
		r := col(tt.resident)
		cells = append(cells, cell{"resident", residentA, idA, "R-1", r[0]},
			cell{"resident", residentA, idA, "R-2", r[1]}, cell{"resident", residentA, idB, "R-1", r[2]})
		for _, c := range cells {
			got := result(AuthorizeResident(c.a, tt.action, c.mid, c.ref))
			if got != c.want {
				t.Errorf("%s on municipality %d, resident %s, %s: %s, want %s", c.who, c.mid, c.ref, tt.action, got, c.want)
			}
			// Authorize names no resident: the same, but a resident
			// actor is never themself.
			want := c.want
			if c.a.Role == Resident && want == "ok" {
				want = "nf"
			}
			if got := result(Authorize(c.a, tt.action, c.mid)); got != want {
				t.Errorf("Authorize: %s on municipality %d, %s: %s, want %s", c.who, c.mid, tt.action, got, want)
			}
		}
	}
	for _, act := range Actions {
		if !covered[act] {
			t.Errorf("action %s is missing from the permission table", act)
		}
	}
	if len(Actions) != len(rules) {
		t.Errorf("%d actions listed, %d with rules", len(Actions), len(rules))
	}
}

// TestAuthorize_GlobalActions: an operator's global actions take no
// municipality.
func TestAuthorize_GlobalActions(t *testing.T) {
	t.Parallel()
	for _, act := range []Action{MunicipalityCreate, MunicipalityList} {
		if err := Authorize(operator, act, 0); err != nil {
			t.Errorf("operator %s: %v", act, err)
		}
		if got := result(Authorize(adminA, act, 0)); got != "no" {
			t.Errorf("admin %s: %s, want no", act, got)
		}
	}
}

func TestAuthorize_InvalidActor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a    Actor
		want string
	}{
		{name: "no ID", a: Actor{Role: Operator}, want: "the actor has no ID"},
		{name: "unknown role", a: Actor{ID: "x", Role: "root"}, want: `"root" is not a role`},
		{name: "staff of no municipality", a: Actor{ID: "x", Role: Staff}, want: "staff x belongs to no municipality"},
		{name: "admin without the code", a: Actor{ID: "x", Role: Admin, MunicipalityID: idA}, want: "admin x belongs to no municipality"},
		{name: "operator of a municipality", a: Actor{ID: "x", Role: Operator, MunicipalityID: idA, MunicipalityCode: "012033"},
			want: "an operator belongs to no municipality"},
		{name: "resident without a ref", a: Actor{ID: "x", Role: Resident, MunicipalityID: idA, MunicipalityCode: "012033"},
			want: "only a resident actor names a resident"},
		{name: "staff naming a resident", a: Actor{ID: "x", Role: Staff, MunicipalityID: idA, MunicipalityCode: "012033", ResidentRef: "R-1"},
			want: "only a resident actor names a resident"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, act := range Actions {
				err := AuthorizeResident(tt.a, act, idA, "R-1")
				if kigen.ErrorCode(err) != kigen.EUNAUTHORIZED || kigen.ErrorMessage(err) != tt.want {
					t.Errorf("%s: %v, want unauthorized %q", act, err, tt.want)
				}
			}
		})
	}
	if err := Authorize(staffA, "resident.tickle", idA); kigen.ErrorCode(err) != kigen.EUNAUTHORIZED {
		t.Errorf("unknown action: %v, want unauthorized", err)
	}
	// The public actions are audited, never authorized: no actor takes
	// them.
	for _, act := range []Action{SignupStart, SignupConfirm, SelfLink} {
		if err := AuthorizeResident(residentA, act, idA, "R-1"); kigen.ErrorCode(err) != kigen.EUNAUTHORIZED {
			t.Errorf("public action %s authorized: %v, want unauthorized", act, err)
		}
	}
}

// result names the outcome of an authorization as the table does.
func result(err error) string {
	switch kigen.ErrorCode(err) {
	case "":
		return "ok"
	case kigen.ENOTFOUND:
		return "nf"
	case kigen.EUNAUTHORIZED:
		return "no"
	}
	return "error: " + err.Error()
}
