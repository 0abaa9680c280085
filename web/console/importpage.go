package console

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"kigen"
	"kigen/desk"
	"kigen/store"
	"kigen/web/route"
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
	// Background: the file is large, and its confirmation runs in the
	// background (desk.InBackground).
	Background bool
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
	var res *desk.ImportResult
	var err error
	if confirm {
		var st *desk.ImportStart
		st, err = c.desk.StartImport(r.Context(), mustActor(r), desk.ImportParams{CSV: bytes.NewReader(data), FileName: name})
		if err == nil && st.Queued != nil { // a large file: its progress page
			http.Redirect(w, r, importPath(st.Queued.ID), http.StatusSeeOther)
			return nil
		} else if err == nil {
			res = st.Result
		}
	} else {
		res, err = c.desk.Import(r.Context(), mustActor(r), desk.ImportParams{CSV: bytes.NewReader(data), DryRun: true, FileName: name})
	}
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
	v := importView{Page: p, File: name, Result: res, Data: base64.StdEncoding.EncodeToString(data),
		Background: c.desk.Jobs != nil && desk.InBackground(len(data), res.Rows)}
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

// registerImports adds the import history and a background import's
// progress and result page.
func (c *Console) registerImports(in *route.Group) {
	c.handle(in, "GET /console/imports", route.Staff, c.importHistory)
	c.handle(in, "GET /console/imports/{id}", route.Staff, c.importStatus)
}

// importPath is the progress and result page of an import.
func importPath(id int64) string { return "/console/imports/" + strconv.FormatInt(id, 10) }

// importsPageSize is the imports of one page of the history.
const importsPageSize = 30

// importsView is a page of the municipality's import history.
type importsView struct {
	ui.Page
	Imports []importRow
	Older   string // the next page's URL
}

// importRow is one import of the history, as shown.
type importRow struct {
	URL                                          string // its page (background imports)
	At, Actor, File, Size, Encoding, State, Kind string
	Rows, Created, Updated, Unchanged, Gaps, Bad int
}

// importHistory lists the municipality's imports, newest first: dry runs
// and confirmed imports from the console, the API and the command line.
func (c *Console) importHistory(w http.ResponseWriter, r *http.Request) error {
	p := c.page(w, r, "imports.title")
	params := desk.ImportListParams{Limit: importsPageSize}
	if b, err := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64); err == nil && b > 0 {
		params.Before = b
	}
	page, err := c.desk.ListImports(r.Context(), mustActor(r), params)
	if err != nil {
		return err
	}
	v := importsView{Page: p}
	for _, im := range page.Imports {
		row := importRow{At: stamp(im.CreatedAt), Actor: im.Actor, File: im.FileName, Size: size(p, im.Size),
			Encoding: im.Encoding, State: p.T("imports.state." + im.State), Kind: p.T("imports.kind.request"),
			Rows: im.Rows, Created: im.Created, Updated: im.Updated, Unchanged: im.Unchanged, Gaps: im.GapsOpened, Bad: im.BadRows}
		if im.Background {
			row.URL, row.Kind = importPath(im.ID), p.T("imports.kind.background")
		}
		if row.File == "" {
			row.File = "—"
		}
		v.Imports = append(v.Imports, row)
	}
	if page.Next != 0 {
		v.Older = "/console/imports?" + url.Values{"before": {strconv.FormatInt(page.Next, 10)}}.Encode()
	}
	c.show(w, r, http.StatusOK, "imports", v)
	return nil
}

// importStatusView is a background import's page: its progress while it
// runs, its result once it ended.
//
// While it runs the page offers to refresh itself (a meta refresh, no
// script) and does when asked (?auto=1), until the result: a refresh the
// user did not ask for fails WCAG 2.2.1 (Timing Adjustable, level A;
// technique F41), which a screen reader user feels most, the page read
// again from the top every few seconds. The link that turns it on comes
// first, and the refreshing page links to the one that does not.
type importStatusView struct {
	ui.Page
	Import   *desk.ImportRecord
	URL      string // the page's own, not refreshing itself
	AutoURL  string // the page refreshing itself
	Auto     bool   // refreshing itself
	Running  bool
	Percent  int
	At, Size string
	State    string
	Rows     []rowProblem // a refusal's problems
	Warnings []rowProblem
}

// importStatus shows one import of the history: progress, or the result
// with the same counts and row problems as an import in the request.
func (c *Console) importStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return kigen.Errorf(kigen.ENOTFOUND, "no such import")
	}
	im, err := c.desk.GetImport(r.Context(), mustActor(r), "", id)
	if err != nil {
		return err
	}
	title := "import.status.title"
	switch im.State {
	case store.ImportDone:
		title = "import.done.title"
	case store.ImportRefused:
		title = "import.refused.title"
	case store.ImportFailed:
		title = "import.failed.title"
	}
	p := c.page(w, r, title)
	v := importStatusView{Page: p, Import: im, URL: importPath(id), AutoURL: importPath(id) + "?auto=1",
		Auto: r.URL.Query().Get("auto") == "1", Running: !im.Finished(), At: stamp(im.CreatedAt),
		Size: size(p, im.Size), State: p.T("imports.state." + im.State)}
	if im.Rows > 0 {
		v.Percent = min(100, im.RowsDone*100/im.Rows)
	}
	for _, e := range im.Problems {
		v.Rows = append(v.Rows, problem(p, e))
	}
	for _, e := range im.WarningRows {
		v.Warnings = append(v.Warnings, problem(p, e))
	}
	c.show(w, r, http.StatusOK, "importstatus", v)
	return nil
}

// stamp is a time as the console shows it: in Tokyo, to the second.
func stamp(t time.Time) string { return t.In(kigen.Tokyo).Format("2006-01-02 15:04:05") }

// size is a file's size in KB (1,024 bytes), rounded up.
func size(p ui.Page, n int64) string {
	return p.T("imports.size", strconv.FormatInt((n+1023)/1024, 10))
}
