package sqlite

import (
	"context"
	"crypto/rand"

	"kigen"
	"kigen/store"
)

// SetMessageToken implements store.Queries: the first hash stays. An empty
// hash clears the token.
func (q queries) SetMessageToken(ctx context.Context, id int64, tokenHash []byte) (err error) {
	defer wrap(&err, "SetMessageToken(%d)", id)
	if len(tokenHash) == 0 {
		// NULL, not an empty blob.
		return mustAffect(q.db.ExecContext(ctx, `UPDATE messages SET token_hash = NULL WHERE id = ?`, id))
	}
	return mustAffect(q.db.ExecContext(ctx, `UPDATE messages SET token_hash = COALESCE(token_hash, ?) WHERE id = ?`, tokenHash, id))
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

// LinkSecret implements store.Queries. The one connection orders the
// callers; the first insert wins.
func (q queries) LinkSecret(ctx context.Context) (_ []byte, err error) {
	defer wrap(&err, "LinkSecret")
	fresh := make([]byte, store.LinkSecretSize)
	_, _ = rand.Read(fresh) // never fails (crypto/rand)
	var secret []byte
	err = q.atomic(ctx, func(q queries) error {
		if _, err := q.db.ExecContext(ctx, `INSERT INTO secrets (name, value, created_at) VALUES ('link', ?, ?)
			ON CONFLICT (name) DO NOTHING`, fresh, formatTime(q.now())); err != nil {
			return err
		}
		return q.db.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = 'link'`).Scan(&secret)
	})
	return secret, err
}
