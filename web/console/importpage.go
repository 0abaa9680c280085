package console

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strconv"

	"kigen"
	"kigen/desk"
	"kigen/web/ui"
)

// maxImport bounds an uploaded resident list (a municipality of tens of
// thousands of residents is a few megabytes).
const maxImport = 16 << 20

// importView is the upload form, the dry run's outcome, or its refusal.
type importView struct {
	ui.Page
	File     string // the file's name
	Result   *desk.ImportResult
	Refused  *desk.RefusedError
	Rows     []rowProblem
	Warnings []rowProblem
	Data     string // the checked file, base64, for the confirmation
}

type rowProblem struct {
	Row, Column, Reason string
}

func (c *Console) importForm(w http.ResponseWriter, r *http.Request) error {
	c.show(w, r, http.StatusOK, "import", importView{Page: c.page(w, r, "import.title")})
	return nil
}

// importFile checks an uploaded file (a dry run: what would be new,
// updated, unchanged, gaps opened, every bad row), or, confirmed, imports
// the file the dry run checked. The file travels back in the confirmation
// form, so that nothing is kept on the server between the two steps.
func (c *Console) importFile(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxImport*2)
	lang := ui.LangOf(r)
	if err := r.ParseMultipartForm(maxImport); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return c.importAgain(w, r, "", []ui.FieldError{{ID: "file", Message: ui.T(lang, "import.file.too_big")}})
		}
		return kigen.Keyf(kigen.EINVALID, "form.unreadable", "the form could not be read")
	}
	confirm := r.PostFormValue("confirm") == "1"
	var (
		data []byte
		name string
	)
	if confirm {
		var err error
		if data, err = base64.StdEncoding.DecodeString(r.PostFormValue("data")); err != nil {
			return kigen.Keyf(kigen.EINVALID, "import.unreadable", "the confirmed file could not be read")
		}
		name = filepath.Base(r.PostFormValue("name"))
	} else {
		f, h, err := r.FormFile("file")
		if err != nil {
			return c.importAgain(w, r, "", []ui.FieldError{{ID: "file", Message: ui.T(lang, "import.file.missing")}})
		}
		defer f.Close()
		if data, err = io.ReadAll(f); err != nil {
			return err
		}
		name = filepath.Base(h.Filename)
	}
	res, err := c.desk.Import(r.Context(), mustActor(r), desk.ImportParams{CSV: bytes.NewReader(data), DryRun: !confirm})
	var refused *desk.RefusedError
	switch {
	case errors.As(err, &refused):
		p := c.page(w, r, "import.refused.title")
		v := importView{Page: p, File: name, Refused: refused}
		for _, e := range refused.Rows {
			v.Rows = append(v.Rows, problem(p, e))
		}
		c.show(w, r, http.StatusUnprocessableEntity, "import", v)
		return nil
	case kigen.ErrorCode(err) == kigen.EINVALID:
		return c.importAgain(w, r, name, []ui.FieldError{ui.ErrorField("file", err)})
	case err != nil:
		return err
	}
	if confirm {
		c.redirect(w, r, "/console/import", false, "flash.imported", name, strconv.Itoa(res.Created), strconv.Itoa(res.Updated),
			strconv.Itoa(res.Unchanged), strconv.Itoa(res.GapsOpen))
		return nil
	}
	p := c.page(w, r, "import.check.title")
	v := importView{Page: p, File: name, Result: res, Data: base64.StdEncoding.EncodeToString(data)}
	for _, e := range res.Warnings {
		v.Warnings = append(v.Warnings, problem(p, e))
	}
	c.show(w, r, http.StatusOK, "import", v)
	return nil
}

func problem(p ui.Page, e desk.RowError) rowProblem {
	rp := rowProblem{Column: e.Field, Reason: ui.Reason(p.Lang, e.Key, e.Args, e.Message)}
	if e.Row == 0 {
		rp.Row = p.T("import.row.file")
	} else {
		rp.Row = strconv.Itoa(e.Row)
	}
	return rp
}

func (c *Console) importAgain(w http.ResponseWriter, r *http.Request, name string, errs []ui.FieldError) error {
	p := c.page(w, r, "import.title")
	p.Errors = errs
	c.show(w, r, http.StatusUnprocessableEntity, "import", importView{Page: p, File: name})
	return nil
}
