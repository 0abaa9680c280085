package postgres

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
	query := `UPDATE messages SET token_hash = COALESCE(token_hash, $2) WHERE id = $1`
	if len(tokenHash) == 0 {
		query, tokenHash = `UPDATE messages SET token_hash = $2 WHERE id = $1`, nil // NULL, not an empty bytea
	}
	tag, err := q.db.Exec(ctx, query, id, tokenHash)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// GetMessageByToken implements store.Queries. An empty hash matches no
// message.
func (q queries) GetMessageByToken(ctx context.Context, tokenHash []byte) (_ *kigen.Message, err error) {
	defer wrap(&err, "GetMessageByToken")
	if len(tokenHash) == 0 {
		return nil, store.ErrNotFound
	}
	var id int64
	if err := q.db.QueryRow(ctx, `SELECT id FROM messages WHERE token_hash = $1`, tokenHash).Scan(&id); err != nil {
		return nil, err
	}
	// Messages are never deleted, only detached from their resident: the
	// row found is still there for the second statement.
	return q.GetMessage(ctx, id)
}

// LinkSecret implements store.Queries. Concurrent first calls each insert a
// secret: the first insert wins, the others wait for it to commit and do
// nothing, and the SELECT, a statement of its own (a snapshot taken after
// the insert), reads the winner.
func (q queries) LinkSecret(ctx context.Context) (_ []byte, err error) {
	defer wrap(&err, "LinkSecret")
	fresh := make([]byte, store.LinkSecretSize)
	_, _ = rand.Read(fresh) // never fails (crypto/rand)
	if _, err := q.db.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ('link', $1) ON CONFLICT (name) DO NOTHING`, fresh); err != nil {
		return nil, err
	}
	var secret []byte
	err = q.db.QueryRow(ctx, `SELECT value FROM secrets WHERE name = 'link'`).Scan(&secret)
	return secret, err
}
