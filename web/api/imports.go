package api

import (
	"errors"
	"io"
	"net/http"
	"time"

	"kigen/desk"
)

// ImportTimeout is how long an import may take to be sent and answered:
// far beyond the server's timeouts for ordinary requests (web.ReadTimeout),
// since a large list streams while it is imported.
const ImportTimeout = 10 * time.Minute

// importAnswer is the answer of POST /api/v1/imports: the summary of
// `kigen import --json`, its warnings as row problems.
type importAnswer struct {
	*desk.ImportResult
	Warnings []RowProblem `json:"warnings"`
}

// importResidents answers POST /api/v1/imports: the CSV body (text/csv,
// UTF-8 or Shift_JIS, at most Deps.MaxImportBody bytes, streamed) imported into
// the token's municipality (desk.Import), every row or none; ?dry_run=true
// only checks and counts. A refused file is 422 with every bad row.
func (a *API) importResidents(w http.ResponseWriter, r *http.Request) error {
	if err := contentType(r, "text/csv"); err != nil {
		return err
	}
	// The server's deadlines suit small requests; a connection that
	// cannot move them (HTTP/2 before Go supported it) keeps them.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(ImportTimeout))
	_ = rc.SetWriteDeadline(time.Now().Add(ImportTimeout))
	var p desk.ImportParams
	var err error
	if p.DryRun, err = boolQuery(r, "dry_run"); err != nil {
		return err
	}
	if p.IgnoreUnknownColumns, err = boolQuery(r, "ignore_unknown_columns"); err != nil {
		return err
	}
	q := r.URL.Query()
	p.Region, p.FallbackLanguage = q.Get("region"), q.Get("fallback_language")
	body := &limitedBody{r: http.MaxBytesReader(w, r.Body, a.maxCSV)}
	p.CSV = body
	res, err := a.desk.Import(r.Context(), tokenOf(r).Actor, p)
	if body.err != nil {
		// However the importer reported it, the body was cut short: the
		// answer is the body's, not the rows read so far.
		return bodyError(body.err)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, importAnswer{ImportResult: res, Warnings: rowProblems(res.Warnings)})
}

// limitedBody remembers the error that ended the reading of a body other
// than its end.
type limitedBody struct {
	r   io.Reader
	err error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && b.err == nil {
		b.err = err
	}
	return n, err
}
