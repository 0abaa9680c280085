package sqlite

import (
	"context"
	"encoding/json"

	"kigen/store"
)

// CreateImport implements store.Queries.
func (q queries) CreateImport(ctx context.Context, im *store.Import) (err error) {
	defer wrap(&err, "CreateImport")
	at := q.stamp(im.CreatedAt)
	err = q.db.QueryRowContext(ctx, `
		INSERT INTO imports (municipality_id, actor_id, actor_role, file_name, size, encoding, state, background,
			rows_total, rows_done, created, updated, unchanged, gaps_opened, bad_rows, warnings, created_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		im.MunicipalityID, im.ActorID, im.ActorRole, im.FileName, im.Size, im.Encoding, im.State, im.Background,
		im.Rows, im.RowsDone, im.Created, im.Updated, im.Unchanged, im.GapsOpened, im.BadRows, im.Warnings,
		formatTime(at), nullTime(im.FinishedAt)).Scan(&im.ID)
	if err != nil {
		return err // a foreign key violation: ErrNotFound
	}
	im.CreatedAt = at
	return nil
}

// UpdateImport implements store.Queries.
func (q queries) UpdateImport(ctx context.Context, im *store.Import) (err error) {
	defer wrap(&err, "UpdateImport(%d)", im.ID)
	return mustAffect(q.db.ExecContext(ctx, `
		UPDATE imports SET encoding = ?, state = ?, rows_total = ?, rows_done = ?, created = ?, updated = ?,
			unchanged = ?, gaps_opened = ?, bad_rows = ?, warnings = ?, finished_at = ?
		WHERE id = ? AND municipality_id = ?`,
		im.Encoding, im.State, im.Rows, im.RowsDone, im.Created, im.Updated, im.Unchanged, im.GapsOpened,
		im.BadRows, im.Warnings, nullTime(im.FinishedAt), im.ID, im.MunicipalityID))
}

// SetImportProgress implements store.Queries.
func (q queries) SetImportProgress(ctx context.Context, id int64, rowsDone int) (err error) {
	defer wrap(&err, "SetImportProgress(%d)", id)
	return q.atomic(ctx, func(q queries) error {
		if _, err := q.db.ExecContext(ctx, `UPDATE imports SET rows_done = ? WHERE id = ? AND state = 'running'`, rowsDone, id); err != nil {
			return err
		}
		var one int
		return q.db.QueryRowContext(ctx, `SELECT 1 FROM imports WHERE id = ?`, id).Scan(&one)
	})
}

const importColumns = `id, municipality_id, actor_id, actor_role, file_name, size, encoding, state, background,
	rows_total, rows_done, created, updated, unchanged, gaps_opened, bad_rows, warnings, created_at, finished_at`

func scanImport(row rowScanner) (*store.Import, error) {
	var im store.Import
	if err := row.Scan(&im.ID, &im.MunicipalityID, &im.ActorID, &im.ActorRole, &im.FileName, &im.Size, &im.Encoding,
		&im.State, &im.Background, &im.Rows, &im.RowsDone, &im.Created, &im.Updated, &im.Unchanged, &im.GapsOpened,
		&im.BadRows, &im.Warnings, timeScanner{&im.CreatedAt}, nullTimeScanner{&im.FinishedAt}); err != nil {
		return nil, err
	}
	return &im, nil
}

// GetImport implements store.Queries.
func (q queries) GetImport(ctx context.Context, municipalityID, id int64) (_ *store.Import, err error) {
	defer wrap(&err, "GetImport(%d)", id)
	return scanImport(q.db.QueryRowContext(ctx, `SELECT `+importColumns+` FROM imports WHERE id = ? AND (? = 0 OR municipality_id = ?)`,
		id, municipalityID, municipalityID))
}

// ListImports implements store.Queries.
func (q queries) ListImports(ctx context.Context, f store.ImportFilter) (_ []*store.Import, err error) {
	defer wrap(&err, "ListImports")
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	return queryAll(ctx, q.db, scanImport, `SELECT `+importColumns+` FROM imports
		WHERE (? = 0 OR municipality_id = ?) AND (? = 0 OR id < ?)
		ORDER BY id DESC LIMIT ?`, f.MunicipalityID, f.MunicipalityID, f.BeforeID, f.BeforeID, limit)
}

// CreateImportUpload implements store.Queries.
func (q queries) CreateImportUpload(ctx context.Context, importID int64, data []byte) (err error) {
	defer wrap(&err, "CreateImportUpload(%d)", importID)
	if data == nil {
		data = []byte{} // NOT NULL
	}
	_, err = q.db.ExecContext(ctx, `INSERT INTO import_uploads (import_id, data) VALUES (?, ?)`, importID, data)
	return err // a foreign key violation: ErrNotFound; the primary key: ErrConflict
}

// GetImportUpload implements store.Queries.
func (q queries) GetImportUpload(ctx context.Context, importID int64) (_ []byte, err error) {
	defer wrap(&err, "GetImportUpload(%d)", importID)
	var data []byte
	err = q.db.QueryRowContext(ctx, `SELECT data FROM import_uploads WHERE import_id = ?`, importID).Scan(&data)
	return data, err
}

// DeleteImportUpload implements store.Queries.
func (q queries) DeleteImportUpload(ctx context.Context, importID int64) (err error) {
	defer wrap(&err, "DeleteImportUpload(%d)", importID)
	return mustAffect(q.db.ExecContext(ctx, `DELETE FROM import_uploads WHERE import_id = ?`, importID))
}

// CreateImportProblems implements store.Queries.
func (q queries) CreateImportProblems(ctx context.Context, importID int64, ps []store.ImportProblem) (err error) {
	defer wrap(&err, "CreateImportProblems(%d)", importID)
	return q.atomic(ctx, func(q queries) error {
		var next int
		err := q.db.QueryRowContext(ctx, `SELECT (SELECT COALESCE(max(seq), 0) + 1 FROM import_problems WHERE import_id = ?)
			FROM imports WHERE id = ?`, importID, importID).Scan(&next)
		if err != nil {
			return err // no row: no such import
		}
		for i, p := range ps {
			args, err := json.Marshal(reasonArgs(p.Args))
			if err != nil {
				return err
			}
			if _, err := q.db.ExecContext(ctx, `INSERT INTO import_problems
				(import_id, seq, warning, row_number, field, message, reason_key, reason_args)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, importID, next+i, p.Warning, p.Row, p.Field, p.Message, p.Key, string(args)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListImportProblems implements store.Queries.
func (q queries) ListImportProblems(ctx context.Context, importID int64) (_ []store.ImportProblem, err error) {
	defer wrap(&err, "ListImportProblems(%d)", importID)
	return queryAll(ctx, q.db, func(row rowScanner) (store.ImportProblem, error) {
		var (
			p    store.ImportProblem
			args string
		)
		if err := row.Scan(&p.Warning, &p.Row, &p.Field, &p.Message, &p.Key, &args); err != nil {
			return p, err
		}
		return p, json.Unmarshal([]byte(args), &p.Args)
	}, `SELECT warning, row_number, field, message, reason_key, reason_args
		FROM import_problems WHERE import_id = ? ORDER BY seq`, importID)
}

// reasonArgs is ss, or an empty list for nil: stored as [], never null.
func reasonArgs(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
