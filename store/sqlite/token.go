package sqlite

import (
	"context"

	"kigen"
	"kigen/store"
)

// SetMessageToken implements store.Queries. An empty hash clears the token.
func (q queries) SetMessageToken(ctx context.Context, id int64, tokenHash []byte) (err error) {
	defer wrap(&err, "SetMessageToken(%d)", id)
	var v any // NULL, not an empty blob
	if len(tokenHash) > 0 {
		v = tokenHash
	}
	return mustAffect(q.db.ExecContext(ctx, `UPDATE messages SET token_hash = ? WHERE id = ?`, v, id))
}

// GetMessageByToken implements store.Queries. An empty hash matches no
// message.
func (q queries) GetMessageByToken(ctx context.Context, tokenHash []byte) (_ *kigen.Message, err error) {
	defer wrap(&err, "GetMessageByToken")
	if len(tokenHash) == 0 {
		return nil, store.ErrNotFound
	}
	var id int64
	if err := q.db.QueryRowContext(ctx, `SELECT id FROM messages WHERE token_hash = ?`, tokenHash).Scan(&id); err != nil {
		return nil, err
	}
	// Messages are never deleted, only detached from their resident: the
	// row found is still there for the second statement.
	return q.GetMessage(ctx, id)
}
