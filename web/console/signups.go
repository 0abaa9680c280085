package console

import (
	"net/http"
	"strconv"
	"strings"

	"kigen"
	"kigen/desk"
	"kigen/web/ui"
)

// signupsPath lists the self sign-ups staff must look at: confirmed by
// the resident, not created because a resident of the municipality
// already has the address (a possible duplicate).
const signupsPath = "/console/signups"

type signupsView struct {
	ui.Page
	Rows []signupRow
}

type signupRow struct {
	ID, Date, Channel, Address, Language, Name, Cards string
	ResidentRef, ResidentURL, DismissURL              string
}

// signups lists the possible duplicates (desk.ListSignupDuplicates).
func (c *Console) signups(w http.ResponseWriter, r *http.Request) error {
	list, err := c.desk.ListSignupDuplicates(r.Context(), mustActor(r), desk.SignupListParams{})
	if err != nil {
		return err
	}
	p := c.page(w, r, "signups.title")
	v := signupsView{Page: p}
	for _, s := range list {
		row := signupRow{ID: strconv.FormatInt(s.ID, 10), Date: p.Date(kigen.DateOf(s.ConfirmedAt)), Channel: p.T("channel." + string(s.Channel)),
			Address: s.Address, Language: p.T("language." + string(s.Language)), ResidentRef: s.DuplicateOf,
			DismissURL: signupsPath + "/" + strconv.FormatInt(s.ID, 10) + "/dismiss"}
		if s.DuplicateOf != "" {
			row.ResidentURL = residentPath(s.DuplicateOf)
		}
		if s.Fields.Name != nil {
			row.Name = *s.Fields.Name
		}
		var cards []string
		for _, x := range []struct {
			kind kigen.CardKind
			v    *string
		}{{kigen.ResidenceCard, s.Fields.ResidenceCard}, {kigen.MyNumberCard, s.Fields.MyNumberCard},
			{kigen.MyNumberCert, s.Fields.MyNumberCert}, {kigen.IntegratedCard, s.Fields.IntegratedCard}} {
			if x.v != nil && *x.v != "" {
				cards = append(cards, p.T("card."+string(x.kind))+" "+*x.v)
			}
		}
		row.Cards = strings.Join(cards, ", ")
		v.Rows = append(v.Rows, row)
	}
	c.show(w, r, http.StatusOK, "signups", v)
	return nil
}

// dismissSignup settles a possible duplicate (desk.DismissSignup): staff
// compared it with the resident and updated them if need be.
func (c *Console) dismissSignup(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return kigen.Errorf(kigen.ENOTFOUND, "no sign-up %q", r.PathValue("id"))
	}
	if err := c.desk.DismissSignup(r.Context(), mustActor(r), desk.SignupSettleParams{ID: id}); err != nil {
		return err
	}
	c.redirect(w, r, signupsPath, false, "flash.signup_dismissed")
	return nil
}
