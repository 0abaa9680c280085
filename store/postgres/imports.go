package postgres

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"kigen/store"
)

// The inserts below insert only if the row they refer to exists, and
// return no row otherwise, rather than fail on the foreign key and abort
// the caller's transaction.

// CreateImport implements store.Queries.
func (q queries) CreateImport(ctx context.Context, im *store.Import) (err error) {
	defer wrap(&err, "CreateImport")
	at := stored(im.CreatedAt)
	if im.CreatedAt.IsZero() {
		at = q.now()
	}
	err = q.db.QueryRow(ctx, `
INSERT INTO imports (municipality_id, actor_id, actor_role, file_name, size, encoding, state, background,
	rows_total, rows_done, created, updated, unchanged, gaps_opened, bad_rows, warnings, created_at, finished_at)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18
WHERE EXISTS (SELECT 1 FROM municipalities WHERE id = $1)
RETURNING id`,
		im.MunicipalityID, im.ActorID, im.ActorRole, im.FileName, im.Size, im.Encoding, im.State, im.Background,
		im.Rows, im.RowsDone, im.Created, im.Updated, im.Unchanged, im.GapsOpened, im.BadRows, im.Warnings,
		at, nullTime(im.FinishedAt)).Scan(&im.ID)
	if err != nil {
		return err // no row: ErrNotFound
	}
	im.CreatedAt = at
	return nil
}

// UpdateImport implements store.Queries.
func (q queries) UpdateImport(ctx context.Context, im *store.Import) (err error) {
	defer wrap(&err, "UpdateImport(%d)", im.ID)
	tag, err := q.db.Exec(ctx, `
UPDATE imports SET encoding = $3, state = $4, rows_total = $5, rows_done = $6, created = $7, updated = $8,
	unchanged = $9, gaps_opened = $10, bad_rows = $11, warnings = $12, finished_at = $13
WHERE id = $1 AND municipality_id = $2`,
		im.ID, im.MunicipalityID, im.Encoding, im.State, im.Rows, im.RowsDone, im.Created, im.Updated,
		im.Unchanged, im.GapsOpened, im.BadRows, im.Warnings, nullTime(im.FinishedAt))
	return affected(tag.RowsAffected(), err)
}

// SetImportProgress implements store.Queries.
func (q queries) SetImportProgress(ctx context.Context, id int64, rowsDone int) (err error) {
	defer wrap(&err, "SetImportProgress(%d)", id)
	var found bool
	return q.db.QueryRow(ctx, `
WITH up AS (UPDATE imports SET rows_done = $2 WHERE id = $1 AND state = 'running' RETURNING id)
SELECT true FROM imports WHERE id = $1`, id, rowsDone).Scan(&found)
}

const importColumns = `id, municipality_id, actor_id, actor_role, file_name, size, encoding, state, background,
	rows_total, rows_done, created, updated, unchanged, gaps_opened, bad_rows, warnings, created_at, finished_at`

// GetImport implements store.Queries.
func (q queries) GetImport(ctx context.Context, municipalityID, id int64) (_ *store.Import, err error) {
	defer wrap(&err, "GetImport(%d)", id)
	rows, _ := q.db.Query(ctx, `SELECT `+importColumns+` FROM imports WHERE id = $1 AND ($2::bigint = 0 OR municipality_id = $2)`, id, municipalityID)
	return pgx.CollectExactlyOneRow(rows, scanImport)
}

// ListImports implements store.Queries.
func (q queries) ListImports(ctx context.Context, f store.ImportFilter) (_ []*store.Import, err error) {
	defer wrap(&err, "ListImports")
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, _ := q.db.Query(ctx, `SELECT `+importColumns+` FROM imports
WHERE ($1::bigint = 0 OR municipality_id = $1) AND ($2::bigint = 0 OR id < $2)
ORDER BY id DESC
LIMIT $3`, f.MunicipalityID, f.BeforeID, limit)
	return collect(rows, scanImport)
}

func scanImport(row pgx.CollectableRow) (*store.Import, error) {
	var (
		im       store.Import
		finished pgtype.Timestamptz
	)
	err := row.Scan(&im.ID, &im.MunicipalityID, &im.ActorID, &im.ActorRole, &im.FileName, &im.Size, &im.Encoding, &im.State,
		&im.Background, &im.Rows, &im.RowsDone, &im.Created, &im.Updated, &im.Unchanged, &im.GapsOpened, &im.BadRows,
		&im.Warnings, &im.CreatedAt, &finished)
	im.CreatedAt = im.CreatedAt.UTC()
	if finished.Valid {
		im.FinishedAt = finished.Time.UTC()
	}
	return &im, err
}

// CreateImportUpload implements store.Queries.
func (q queries) CreateImportUpload(ctx context.Context, importID int64, data []byte) (err error) {
	defer wrap(&err, "CreateImportUpload(%d)", importID)
	if data == nil {
		data = []byte{} // NOT NULL
	}
	var id int64
	err = q.db.QueryRow(ctx, `
INSERT INTO import_uploads (import_id, data)
SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM imports WHERE id = $1)
ON CONFLICT (import_id) DO NOTHING
RETURNING import_id`, importID, data).Scan(&id)
	if !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	// No row: no such import, or it has its upload already.
	var has bool
	if err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM import_uploads WHERE import_id = $1)`, importID).Scan(&has); err != nil {
		return err
	}
	if has {
		return store.ErrConflict
	}
	return store.ErrNotFound
}

// GetImportUpload implements store.Queries.
func (q queries) GetImportUpload(ctx context.Context, importID int64) (_ []byte, err error) {
	defer wrap(&err, "GetImportUpload(%d)", importID)
	var data []byte
	err = q.db.QueryRow(ctx, `SELECT data FROM import_uploads WHERE import_id = $1`, importID).Scan(&data)
	return data, err
}

// DeleteImportUpload implements store.Queries.
func (q queries) DeleteImportUpload(ctx context.Context, importID int64) (err error) {
	defer wrap(&err, "DeleteImportUpload(%d)", importID)
	tag, err := q.db.Exec(ctx, `DELETE FROM import_uploads WHERE import_id = $1`, importID)
	return affected(tag.RowsAffected(), err)
}

// CreateImportProblems implements store.Queries.
func (q queries) CreateImportProblems(ctx context.Context, importID int64, ps []store.ImportProblem) (err error) {
	defer wrap(&err, "CreateImportProblems(%d)", importID)
	var found bool
	if err := q.db.QueryRow(ctx, `SELECT true FROM imports WHERE id = $1`, importID).Scan(&found); err != nil {
		return err
	}
	if len(ps) == 0 {
		return nil
	}
	var next int
	if err := q.db.QueryRow(ctx, `SELECT COALESCE(max(seq), 0) + 1 FROM import_problems WHERE import_id = $1`, importID).Scan(&next); err != nil {
		return err
	}
	n := len(ps)
	seqs, warns, rowNums := make([]int32, n), make([]bool, n), make([]int32, n)
	fields, msgs, keys, args := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, p := range ps {
		a, err := json.Marshal(reasonArgs(p.Args))
		if err != nil {
			return err
		}
		seqs[i], warns[i], rowNums[i], fields[i], msgs[i], keys[i], args[i] =
			int32(next+i), p.Warning, int32(p.Row), p.Field, p.Message, p.Key, string(a)
	}
	_, err = q.db.Exec(ctx, `
INSERT INTO import_problems (import_id, seq, warning, row_number, field, message, reason_key, reason_args)
SELECT $1, * FROM unnest($2::integer[], $3::boolean[], $4::integer[], $5::text[], $6::text[], $7::text[], $8::text[])`,
		importID, seqs, warns, rowNums, fields, msgs, keys, args)
	return err
}

// ListImportProblems implements store.Queries.
func (q queries) ListImportProblems(ctx context.Context, importID int64) (_ []store.ImportProblem, err error) {
	defer wrap(&err, "ListImportProblems(%d)", importID)
	rows, _ := q.db.Query(ctx, `SELECT warning, row_number, field, message, reason_key, reason_args
FROM import_problems WHERE import_id = $1 ORDER BY seq`, importID)
	return collect(rows, func(row pgx.CollectableRow) (store.ImportProblem, error) {
		var (
			p    store.ImportProblem
			args string
		)
		if err := row.Scan(&p.Warning, &p.Row, &p.Field, &p.Message, &p.Key, &args); err != nil {
			return p, err
		}
		return p, json.Unmarshal([]byte(args), &p.Args)
	})
}

// reasonArgs is ss, or an empty list for nil: stored as [], never null.
func reasonArgs(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
