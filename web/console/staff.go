package console

import (
	"net/http"
	"strconv"
	"strings"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/web/ui"
)

// staffPath is the page of the municipality's staff accounts.
const staffPath = "/console/settings/staff"

// staffView is the page of the staff accounts: the list, the invitation
// form, and a setup link just made (shown this once).
type staffView struct {
	ui.Page
	Staff []staffRow
	Email ui.Field
	Role  ui.Choice
	// Link is a one-time setup link just made, for LinkEmail.
	Link, LinkEmail string
}

type staffRow struct {
	Email, Role, State string
	Disabled, Locked   bool
}

var staffFields = map[string]string{"email": "staff-email", "role": "staff-role"}

func (c *Console) staffView(w http.ResponseWriter, r *http.Request, email, role string, errs []ui.FieldError) (staffView, error) {
	ss, err := c.desk.ListStaff(r.Context(), mustActor(r), "")
	if err != nil {
		return staffView{}, err
	}
	p := c.page(w, r, "settings.staff.title")
	p.Errors = errs
	v := staffView{Page: p}
	for _, s := range ss {
		v.Staff = append(v.Staff, staffRow{Email: s.Email, Role: p.T("settings.staff.role." + string(s.Role)),
			State: p.T("settings.staff.state." + s.State), Disabled: s.State == desk.StaffDisabled, Locked: s.State == desk.StaffLocked})
	}
	if role == "" {
		role = string(auth.Staff)
	}
	v.Email = p.TextField("staff-email", "email", "settings.staff.email", "", email, true)
	v.Email.Type, v.Email.Autocomplete = "email", "off"
	v.Role = p.ChoiceField("staff-role", "role", "settings.staff.role", "", true, role, []ui.Option{
		{Value: string(auth.Staff), Label: p.T("settings.staff.role.staff")}, {Value: string(auth.Admin), Label: p.T("settings.staff.role.admin")}})
	return v, nil
}

// staff lists the municipality's accounts with the form to invite one.
func (c *Console) staff(w http.ResponseWriter, r *http.Request) error {
	v, err := c.staffView(w, r, "", "", nil)
	if err != nil {
		return err
	}
	c.show(w, r, http.StatusOK, "staff", v)
	return nil
}

// showLink renders the staff page with a one-time setup link, not cached.
func (c *Console) showLink(w http.ResponseWriter, r *http.Request, link *desk.SetupLink) error {
	v, err := c.staffView(w, r, "", "", nil)
	if err != nil {
		return err
	}
	v.Link, v.LinkEmail = strings.TrimRight(c.public, "/")+"/console/setup/"+link.Token, link.Staff.Email
	w.Header().Set("Cache-Control", "no-store")
	c.show(w, r, http.StatusOK, "staff", v)
	return nil
}

// inviteStaff creates an account of the admin's municipality and shows its
// setup link this once.
func (c *Console) inviteStaff(w http.ResponseWriter, r *http.Request) error {
	email, role := r.PostFormValue("email"), r.PostFormValue("role")
	link, err := c.desk.InviteStaff(r.Context(), mustActor(r), desk.StaffParams{Email: email, Role: auth.Role(role)})
	if code := kigen.ErrorCode(err); code == kigen.EINVALID || code == kigen.ECONFLICT {
		v, verr := c.staffView(w, r, email, role, fieldErrors(err, staffFields, "staff-email"))
		if verr != nil {
			return verr
		}
		c.show(w, r, http.StatusUnprocessableEntity, "staff", v)
		return nil
	} else if err != nil {
		return err
	}
	return c.showLink(w, r, link)
}

// resetStaff starts an account over and shows its new setup link.
func (c *Console) resetStaff(w http.ResponseWriter, r *http.Request) error {
	link, err := c.desk.ResetStaff(r.Context(), mustActor(r), r.PostFormValue("email"))
	if err != nil {
		return err
	}
	return c.showLink(w, r, link)
}

// disableStaff disables an account of the admin's municipality.
func (c *Console) disableStaff(w http.ResponseWriter, r *http.Request) error {
	s, err := c.desk.DisableStaff(r.Context(), mustActor(r), r.PostFormValue("email"))
	if err != nil {
		return err
	}
	c.redirect(w, r, staffPath, false, "settings.flash.staff_disabled", "account:"+strconv.FormatInt(s.ID, 10))
	return nil
}

// unlockStaff lifts the lock of an account after failed logins.
func (c *Console) unlockStaff(w http.ResponseWriter, r *http.Request) error {
	s, err := c.desk.UnlockStaff(r.Context(), mustActor(r), r.PostFormValue("email"))
	if err != nil {
		return err
	}
	c.redirect(w, r, staffPath, false, "settings.flash.staff_unlocked", "account:"+strconv.FormatInt(s.ID, 10))
	return nil
}
