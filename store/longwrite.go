package store

import "context"

type longWriteKey struct{}

// LongWrite marks ctx for a transaction that may hold the database's
// writer for long: an import writes a whole file in one transaction, for
// seconds or minutes. A backend with one writer at a time (SQLite) first
// has the job queues of other processes on the database stand aside (see
// sqlite.Handover), so that they wait for the transaction instead of
// failing their own deadlines; PostgreSQL, where writers do not block one
// another, ignores it.
func LongWrite(ctx context.Context) context.Context {
	return context.WithValue(ctx, longWriteKey{}, true)
}

// IsLongWrite reports whether ctx was marked by LongWrite.
func IsLongWrite(ctx context.Context) bool {
	v, _ := ctx.Value(longWriteKey{}).(bool)
	return v
}
