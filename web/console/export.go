package console

import (
	"bytes"
	"net/http"

	"kigen/desk"
	"kigen/web/ui"
)

// followupCSV answers the whole follow-up list as CSV (desk.ExportFollowup:
// by reference only, every cell safe from spreadsheet formulas), written
// to memory first so that a failure is answered as an error page, not a
// cut file.
func (c *Console) followupCSV(w http.ResponseWriter, r *http.Request) error {
	var b bytes.Buffer
	if _, err := c.desk.ExportFollowup(r.Context(), mustActor(r), desk.FollowupParams{}, &b); err != nil {
		return err
	}
	return writeCSV(w, "followup.csv", b.Bytes())
}

// residentsCSV answers every resident of the municipality as a resident
// list (the import's own header; desk.ExportResidents).
func (c *Console) residentsCSV(w http.ResponseWriter, r *http.Request) error {
	var b bytes.Buffer
	if _, err := c.desk.ExportResidents(r.Context(), mustActor(r), desk.ExportParams{}, &b); err != nil {
		return err
	}
	return writeCSV(w, "residents.csv", b.Bytes())
}

func writeCSV(w http.ResponseWriter, name string, body []byte) error {
	ui.SetHeaders(w.Header())
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, err := w.Write(body)
	return err
}
