package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"kigen"
	"kigen/scheduler"
	"kigen/store"
	"kigen/store/postgres"
	"kigen/store/sqlite"
)

// benchDB is the throwaway database of a benchmark: a temporary SQLite file
// or a temporary schema of a PostgreSQL database, with Kigen's and River's
// tables. Close drops it.
type benchDB struct {
	backend string // "sqlite" or "postgres"
	store   store.Store
	url     string        // DATABASE_URL naming it, for a kigen subprocess
	pool    *pgxpool.Pool // PostgreSQL
	db      *sql.DB       // SQLite
	path    string        // SQLite: the file
	dir     string        // a temporary directory for files, removed by Close
	drop    func()
}

// openBenchDB creates and migrates a temporary database: a schema of the
// PostgreSQL database at pgURL, or (pgURL empty) a SQLite file in a
// temporary directory (b.dir, for other files too). Close removes both.
func openBenchDB(ctx context.Context, pgURL string, logger *slog.Logger) (_ *benchDB, err error) {
	dir, err := os.MkdirTemp("", "kigen-bench-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	b := &benchDB{backend: "sqlite", dir: dir, drop: func() {}}
	if pgURL != "" {
		b.backend = "postgres"
		schema, drop, err := createBenchSchema(ctx, pgURL)
		if err != nil {
			return nil, err
		}
		b.drop = drop
		b.url = withSearchPath(pgURL, schema)
		s, err := postgres.Open(ctx, b.url)
		if err != nil {
			drop()
			return nil, err
		}
		b.store, b.pool = s, s.Pool()
	} else {
		b.path = filepath.Join(dir, "kigen.db")
		b.url = "sqlite:" + b.path
		s, err := sqlite.Open(ctx, b.path)
		if err != nil {
			return nil, err
		}
		b.store, b.db = s, s.DB()
	}
	if err := b.store.Migrate(ctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	// River's tables, beside Kigen's.
	if _, err := queueFor(ctx, b.store, scheduler.QueueConfig{Logger: logger}); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// Close closes the store and drops the schema (the caller removes the
// SQLite file's directory).
func (b *benchDB) Close() error {
	err := b.store.Close()
	b.drop()
	os.RemoveAll(b.dir)
	return err
}

// createBenchSchema creates a fresh schema kigen_bench_<random> and returns
// it with a function that drops it (with everything in it).
func createBenchSchema(ctx context.Context, url string) (string, func(), error) {
	b := make([]byte, 6)
	rand.Read(b) // never fails
	schema := "kigen_bench_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	}
	return schema, drop, nil
}

// withSearchPath returns url with search_path set to schema.
func withSearchPath(url, schema string) string {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema
}

// exec runs one statement without arguments.
func (b *benchDB) exec(ctx context.Context, query string) error {
	var err error
	if b.pool != nil {
		_, err = b.pool.Exec(ctx, query)
	} else {
		_, err = b.db.ExecContext(ctx, query)
	}
	if err != nil {
		return fmt.Errorf("%.40s…: %w", query, err)
	}
	return nil
}

// count runs a query returning one integer.
func (b *benchDB) count(ctx context.Context, query string) (int, error) {
	var n int
	var err error
	if b.pool != nil {
		err = b.pool.QueryRow(ctx, query).Scan(&n)
	} else {
		err = b.db.QueryRowContext(ctx, query).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("%.40s…: %w", query, err)
	}
	return n, nil
}

// ids runs a query returning one integer column.
func (b *benchDB) ids(ctx context.Context, query string) ([]int64, error) {
	var out []int64
	if b.pool != nil {
		rows, _ := b.pool.Query(ctx, query)
		var id int64
		_, err := pgx.ForEachRow(rows, []any{&id}, func() error { out = append(out, id); return nil })
		return out, err
	}
	rows, err := b.db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// seedResident is one generated resident with everything the seeder
// writes for them. IDs are assigned by the generator (seedIDs), so that the
// rows can be written without reading anything back.
type seedResident struct {
	id, municipalityID int64
	ref, name          string
	lang               kigen.Language
	status             kigen.Status
	channel            kigen.ChannelPref
	contacts           []kigen.Contact
	cards              []kigen.Card
	notices            []kigen.Notice // already recorded (the history of the cards)
}

// reset empties r for reuse, keeping its slices' storage.
func (r *seedResident) reset() {
	*r = seedResident{contacts: r.contacts[:0], cards: r.cards[:0], notices: r.notices[:0]}
}

// holder returns what kigen.Plan knows of r.
func (r *seedResident) holder() kigen.Holder {
	h := kigen.Holder{Status: r.status, Cards: r.cards,
		Reachable: len(kigen.SendChannels(r.channel, r.contacts)) > 0}
	for _, n := range r.notices {
		h.Sent = append(h.Sent, n.Key())
	}
	return h
}

// setNextDue sets each card's NextNoticeOn as the importer and the tick
// keep it: kigen.NextDue on the day, given the notices already recorded.
func (r *seedResident) setNextDue(today kigen.Date) {
	next := kigen.NextDue(r.holder(), today)
	for i := range r.cards {
		r.cards[i].NextNoticeOn = next[r.cards[i].ID]
	}
}

// sentStages returns what the card stores of the stages recorded for it
// for its expiry (as the tick's last write of its next date left them):
// comma-separated in bytewise order, NULL for none.
func (r *seedResident) sentStages(c kigen.Card) pgtype.Text {
	var stages []string
	for _, n := range r.notices {
		if n.CardID == c.ID && n.ExpiresOn == c.ExpiresOn {
			stages = append(stages, string(n.Stage))
		}
	}
	slices.Sort(stages)
	return pgtype.Text{String: strings.Join(stages, ","), Valid: len(stages) > 0}
}

// seedIDs hands out row IDs in order.
type seedIDs struct{ contact, card, notice int64 }

// seedGenerator fills the i-th resident (0-based) of a seeded population.
type seedGenerator func(r *seedResident, i int, rng *mrand.Rand, ids *seedIDs)

// seedCounts are the rows a seeding wrote.
type seedCounts struct {
	residents, contacts, cards, notices int
	due                                 int // cards whose next notice is due on the day (or before)
	duration                            time.Duration
}

// seedChunk is how many residents are generated and written at once.
const seedChunk = 20_000

// benchNames are display names for generated residents (no real person).
var benchNames = []string{"Nguyen Van An", "Tran Thi Bich", "Li Wei", "Wang Fang", "Kim Minji", "Park Jisoo",
	"Maria Santos", "Joao Silva", "Juan Dela Cruz", "Ram Bahadur", "Siti Rahma", "Somchai", "Ana Garcia"}

// seedPopulation writes n generated residents (with their contacts, cards and
// notices) into b: COPY into the real tables on PostgreSQL, big
// transactions of prepared inserts on SQLite. Generation runs one chunk
// ahead of the writes. The municipalities (mids) must exist.
func seedPopulation(ctx context.Context, b *benchDB, n int, today kigen.Date, gen seedGenerator) (seedCounts, error) {
	start := time.Now()
	var cnt seedCounts
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan []seedResident, 1)
	go func() {
		defer close(chunks)
		rng := mrand.New(mrand.NewPCG(1, 0x9e3779b97f4a7c15))
		ids := &seedIDs{}
		for lo := 0; lo < n; lo += seedChunk {
			chunk := make([]seedResident, min(seedChunk, n-lo))
			for j := range chunk {
				gen(&chunk[j], lo+j, rng, ids)
			}
			select {
			case chunks <- chunk:
			case <-ctx.Done():
				return
			}
		}
	}()
	var w seedWriter
	var err error
	if b.pool != nil {
		w, err = newPGSeedWriter(ctx, b.pool)
	} else {
		w, err = newSQLiteSeedWriter(ctx, b.db)
	}
	if err != nil {
		return cnt, err
	}
	for chunk := range chunks {
		if err := w.write(ctx, chunk); err != nil {
			w.abort()
			return cnt, err
		}
		for i := range chunk {
			r := &chunk[i]
			cnt.residents++
			cnt.contacts += len(r.contacts)
			cnt.cards += len(r.cards)
			cnt.notices += len(r.notices)
			for _, c := range r.cards {
				if !c.NextNoticeOn.IsZero() && !c.NextNoticeOn.After(today) {
					cnt.due++
				}
			}
		}
	}
	if err := ctx.Err(); err != nil {
		w.abort()
		return cnt, err
	}
	if err := w.finish(ctx); err != nil {
		return cnt, err
	}
	cnt.duration = time.Since(start)
	return cnt, nil
}

// seedWriter writes chunks of generated residents.
type seedWriter interface {
	write(ctx context.Context, chunk []seedResident) error
	// finish restores what the writer relaxed (constraint checks, indexes,
	// durability) and brings the statistics up to date.
	finish(ctx context.Context) error
	// abort gives up: the database is about to be dropped.
	abort()
}

// pgSeedWriter COPYs into the real tables on one connection that skips the
// foreign-key triggers (session_replication_role = replica, when the role
// may: the rows are consistent by construction). The secondary indexes
// that no constraint needs are dropped first and built again at the end,
// which is much faster than keeping them up to date row by row.
type pgSeedWriter struct {
	pool    *pgxpool.Pool
	conn    *pgxpool.Conn
	indexes []string // CREATE INDEX statements to run again
}

func newPGSeedWriter(ctx context.Context, pool *pgxpool.Pool) (*pgSeedWriter, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	w := &pgSeedWriter{pool: pool, conn: conn}
	if _, err := conn.Exec(ctx, "SET session_replication_role = replica"); err != nil {
		// Not a superuser: keep the checks, slower.
		conn.Release()
		if conn, err = pool.Acquire(ctx); err != nil {
			return nil, err
		}
		w.conn = conn
	}
	rows, _ := conn.Query(ctx, `
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = current_schema() AND i.tablename IN ('residents', 'contacts', 'cards', 'notices')
  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`)
	var names []string
	var name, def string
	if _, err := pgx.ForEachRow(rows, []any{&name, &def}, func() error {
		names, w.indexes = append(names, name), append(w.indexes, def)
		return nil
	}); err != nil {
		conn.Release()
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	for _, name := range names {
		if _, err := conn.Exec(ctx, "DROP INDEX "+pgx.Identifier{name}.Sanitize()); err != nil {
			conn.Release()
			return nil, err
		}
	}
	return w, nil
}

func pgDate(d kigen.Date) pgtype.Date {
	if d.IsZero() {
		return pgtype.Date{}
	}
	return pgtype.Date{Time: time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC), Valid: true}
}

func (w *pgSeedWriter) write(ctx context.Context, chunk []seedResident) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	var residents, contacts, cards, notices [][]any
	for i := range chunk {
		r := &chunk[i]
		residents = append(residents, []any{r.id, r.municipalityID, r.ref, r.name, string(r.lang), string(r.status), string(r.channel), now, now})
		for _, c := range r.contacts {
			contacts = append(contacts, []any{c.ID, r.municipalityID, r.id, string(c.Channel), c.Address, c.Consent, false, false, now, now})
		}
		for _, c := range r.cards {
			cards = append(cards, []any{c.ID, r.municipalityID, r.id, string(c.Kind), pgDate(c.ExpiresOn), pgDate(c.RenewalAppliedOn), pgDate(c.NextNoticeOn), now, now,
				r.sentStages(c), pgDate(c.ExpiresOn)})
		}
		for _, n := range r.notices {
			kind := ""
			for _, c := range r.cards {
				if c.ID == n.CardID {
					kind = string(c.Kind)
				}
			}
			notices = append(notices, []any{n.ID, r.municipalityID, n.CardID, kind, pgDate(n.ExpiresOn), string(n.Stage), pgDate(n.TickDate), now})
		}
	}
	for _, t := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"residents", []string{"id", "municipality_id", "ref", "name", "language", "status", "channel", "created_at", "updated_at"}, residents},
		{"contacts", []string{"id", "municipality_id", "resident_id", "channel", "address", "consent", "opted_out", "failed", "created_at", "updated_at"}, contacts},
		{"cards", []string{"id", "municipality_id", "resident_id", "kind", "expires_on", "renewal_applied_on", "next_notice_on", "created_at", "updated_at", "sent_stages", "sent_for"}, cards},
		{"notices", []string{"id", "municipality_id", "card_id", "card_kind", "expires_on", "stage", "tick_date", "created_at"}, notices},
	} {
		if len(t.rows) == 0 {
			continue
		}
		if _, err := w.conn.CopyFrom(ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
			return fmt.Errorf("copy %s: %w", t.table, err)
		}
	}
	return nil
}

// abort closes the connection rather than return it to the pool with its
// checks off.
func (w *pgSeedWriter) abort() {
	w.conn.Conn().Close(context.Background())
	w.conn.Release()
}

func (w *pgSeedWriter) finish(ctx context.Context) error {
	defer w.conn.Release()
	var errs []error
	if _, err := w.conn.Exec(ctx, "RESET session_replication_role"); err != nil {
		errs = append(errs, err)
	}
	for _, def := range w.indexes {
		if _, err := w.conn.Exec(ctx, def); err != nil {
			errs = append(errs, err)
		}
	}
	// The identities go on after the IDs written; VACUUM ANALYZE leaves
	// the tables as autovacuum keeps them (statistics, visibility map).
	for _, t := range []string{"residents", "contacts", "cards", "notices"} {
		if _, err := w.conn.Exec(ctx, fmt.Sprintf(
			`SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), coalesce((SELECT max(id) FROM %[1]s), 0) + 1, false)`, t)); err != nil {
			errs = append(errs, err)
		}
		if _, err := w.conn.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			errs = append(errs, err)
		}
	}
	// The bulk load wrote gigabytes of WAL: write its pages out now, or the
	// checkpoint it calls for lands in the measured tick, which no real day
	// follows a bulk load with. CHECKPOINT needs superuser or the
	// pg_checkpoint role; without them the figures include it.
	if _, err := w.conn.Exec(ctx, "CHECKPOINT"); err != nil {
		fmt.Fprintf(os.Stderr, "kigen bench: no CHECKPOINT after seeding (%v): the tick may meet the bulk load's\n", err)
	}
	return errors.Join(errs...)
}

// sqliteSeedWriter inserts with prepared statements, one transaction per
// chunk, foreign keys off and synchronous off while it runs (a crash
// loses only the benchmark's own file).
type sqliteSeedWriter struct {
	db *sql.DB
}

func newSQLiteSeedWriter(ctx context.Context, db *sql.DB) (*sqliteSeedWriter, error) {
	for _, p := range []string{"PRAGMA foreign_keys = OFF", "PRAGMA synchronous = OFF"} {
		if _, err := db.ExecContext(ctx, p); err != nil {
			return nil, err
		}
	}
	return &sqliteSeedWriter{db: db}, nil
}

func (w *sqliteSeedWriter) write(ctx context.Context, chunk []seedResident) (err error) {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	prep := func(q string) (*sql.Stmt, error) { return tx.PrepareContext(ctx, q) }
	resSt, err := prep(`INSERT INTO residents (id, municipality_id, ref, name, language, status, channel, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	conSt, err := prep(`INSERT INTO contacts (id, municipality_id, resident_id, channel, address, consent, opted_out, failed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, ?)`)
	if err != nil {
		return err
	}
	cardSt, err := prep(`INSERT INTO cards (id, municipality_id, resident_id, kind, expires_on, renewal_applied_on, next_notice_on, created_at, updated_at, sent_stages, sent_for) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	noticeSt, err := prep(`INSERT INTO notices (id, municipality_id, card_id, card_kind, expires_on, stage, tick_date, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
	boolInt := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	for i := range chunk {
		r := &chunk[i]
		if _, err := resSt.ExecContext(ctx, r.id, r.municipalityID, r.ref, r.name, string(r.lang), string(r.status), string(r.channel), now, now); err != nil {
			return fmt.Errorf("insert resident: %w", err)
		}
		for _, c := range r.contacts {
			if _, err := conSt.ExecContext(ctx, c.ID, r.municipalityID, r.id, string(c.Channel), c.Address, boolInt(c.Consent), now, now); err != nil {
				return fmt.Errorf("insert contact: %w", err)
			}
		}
		for _, c := range r.cards {
			st := r.sentStages(c)
			sent := sql.NullString{String: st.String, Valid: st.Valid}
			if _, err := cardSt.ExecContext(ctx, c.ID, r.municipalityID, r.id, string(c.Kind), c.ExpiresOn, c.RenewalAppliedOn, c.NextNoticeOn, now, now, sent, c.ExpiresOn); err != nil {
				return fmt.Errorf("insert card: %w", err)
			}
		}
		for _, n := range r.notices {
			kind := ""
			for _, c := range r.cards {
				if c.ID == n.CardID {
					kind = string(c.Kind)
				}
			}
			if _, err := noticeSt.ExecContext(ctx, n.ID, r.municipalityID, n.CardID, kind, n.ExpiresOn, string(n.Stage), n.TickDate, now); err != nil {
				return fmt.Errorf("insert notice: %w", err)
			}
		}
	}
	return tx.Commit()
}

func (w *sqliteSeedWriter) abort() {}

func (w *sqliteSeedWriter) finish(ctx context.Context) error {
	var errs []error
	for _, p := range []string{"PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL", "PRAGMA wal_checkpoint(TRUNCATE)"} {
		if _, err := w.db.ExecContext(ctx, p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// createBenchMunicipalities creates k municipalities and returns their IDs.
func createBenchMunicipalities(ctx context.Context, s store.Store, k int) ([]int64, error) {
	ids := make([]int64, k)
	for i := range k {
		mu := &kigen.Municipality{Code: fmt.Sprintf("9%05d", i+1), Name: fmt.Sprintf("ベンチ市%d", i+1),
			NameLatin: fmt.Sprintf("Bench City %d", i+1), ContactPhone: "0134-00-0000", ContactURL: "https://example.jp/"}
		if err := s.CreateMunicipality(ctx, mu); err != nil {
			return nil, err
		}
		ids[i] = mu.ID
	}
	return ids, nil
}

// municipalityBlocks splits n residents into len(mids) contiguous blocks
// (as imports, one municipality at a time, create them) whose sizes fall
// like 1/rank: a few large cities, many small towns. It returns, for each
// municipality, the index of its first resident.
func municipalityBlocks(n, k int) []int {
	var h float64
	for i := 1; i <= k; i++ {
		h += 1 / float64(i)
	}
	starts := make([]int, k)
	at := 0.0
	for i := range k {
		starts[i] = int(at)
		at += float64(n) / (h * float64(i+1))
	}
	return starts
}

// tickPopulation returns the generator of a realistic population for the
// tick: about 2.5 cards per resident — a residence card for most, a My
// Number card and often its certificate, some integrated cards, special
// permanent residents without a residence card — with expiries spread from
// a month ago to ten years ahead; contacts for nearly all, consent from
// nine in ten. Every notice a daily tick would have sent up to yesterday is
// recorded, and next_notice_on is kigen.NextDue of today: a typical day,
// about 0.3% of cards due.
func tickPopulation(today kigen.Date, mids []int64, n int) seedGenerator {
	starts := municipalityBlocks(n, len(mids))
	yesterday := today.AddDays(-1)
	return func(r *seedResident, i int, rng *mrand.Rand, ids *seedIDs) {
		r.reset()
		r.id = int64(i + 1)
		r.municipalityID = mids[sort.SearchInts(starts, i+1)-1]
		r.ref = fmt.Sprintf("R%08d", i+1)
		r.name = benchNames[rng.IntN(len(benchNames))]
		r.lang = kigen.Languages[rng.IntN(len(kigen.Languages))]
		// From a month ago (an `expired` notice may still be due) to
		// maxDays ahead.
		day := func(maxDays int) kigen.Date { return today.AddDays(rng.IntN(maxDays+30) - 30) }
		var rc, mn, cert, ic kigen.Date
		switch s := rng.IntN(11); {
		case s == 0:
			r.status = kigen.SpecialPermanent
			mn, cert = day(3650), day(2600)
		case s <= 2:
			r.status = kigen.Permanent
		default:
			r.status = kigen.FixedPeriod
		}
		if r.status != kigen.SpecialPermanent {
			if rng.IntN(20) == 0 {
				ic, cert = day(3650), day(2600)
			} else {
				rc = day(3650)
				mn = rc
				if rng.IntN(10) == 0 { // renewed at immigration, My Number card left behind
					mn = day(700)
				}
				if rng.IntN(2) == 0 {
					cert = day(2600)
				}
			}
		}
		if !cert.IsZero() && !mn.IsZero() && cert.After(mn) {
			cert = mn
		}
		for _, c := range []struct {
			kind kigen.CardKind
			e    kigen.Date
		}{{kigen.ResidenceCard, rc}, {kigen.MyNumberCard, mn}, {kigen.MyNumberCert, cert}, {kigen.IntegratedCard, ic}} {
			if !c.e.IsZero() {
				ids.card++
				r.cards = append(r.cards, kigen.Card{ID: ids.card, ResidentID: r.id, Kind: c.kind, ExpiresOn: c.e})
			}
		}
		consent := rng.IntN(10) != 0
		email := kigen.Contact{Channel: kigen.Email, Address: fmt.Sprintf("r%d@example.jp", i+1), Consent: consent}
		phone := kigen.Contact{Channel: kigen.SMS, Address: fmt.Sprintf("+8190%08d", rng.IntN(100_000_000)), Consent: consent}
		switch rng.IntN(10) {
		case 0, 1, 2, 3, 4, 5:
			r.contacts = append(r.contacts, email)
		case 6, 7:
			r.contacts, r.channel = append(r.contacts, phone), kigen.PrefSMS
		default:
			r.contacts, r.channel = append(r.contacts, email, phone), kigen.PrefBoth
		}
		for j := range r.contacts {
			ids.contact++
			r.contacts[j].ID, r.contacts[j].ResidentID = ids.contact, r.id
		}
		if r.holder().Reachable {
			r.recordHistory(yesterday, rc, ids)
		}
		r.setNextDue(today)
	}
}

// recordHistory records the notices a daily tick sent up to the day
// (included): every before-expiry stage whose day has come, `expired` the
// day after expiry (for 30 days), and the renewal gap of a My Number card
// behind the residence card rc.
func (r *seedResident) recordHistory(upTo, rc kigen.Date, ids *seedIDs) {
	add := func(c kigen.Card, st kigen.Stage, on kigen.Date) {
		ids.notice++
		r.notices = append(r.notices, kigen.Notice{ID: ids.notice, CardID: c.ID, ExpiresOn: c.ExpiresOn, Stage: st, TickDate: on})
	}
	for _, c := range r.cards {
		if c.Kind == kigen.ResidenceCard && r.status == kigen.SpecialPermanent {
			continue
		}
		if c.Kind == kigen.MyNumberCard && r.status == kigen.FixedPeriod && !rc.IsZero() && c.ExpiresOn.Before(rc) {
			add(c, kigen.RenewalGap, upTo) // at once, when the gap opened
		}
		for _, st := range kigen.Stages {
			if days, before := st.LeadDays(); before {
				if on := c.ExpiresOn.AddDays(-days); !on.After(upTo) {
					add(c, st, on)
				}
			}
		}
		if on := c.ExpiresOn.AddDays(1); !on.After(upTo) && !upTo.After(c.ExpiresOn.AddDays(30)) {
			add(c, kigen.Expired, on)
		}
	}
}

// deliverPopulation returns the generator for the delivery benchmark: every
// resident has a residence card expiring in 30 days (its d30 notice due
// today) and one consented contact — email for seven in ten, SMS for the
// rest — so that the tick plans one message per resident.
func deliverPopulation(today kigen.Date, mid int64) seedGenerator {
	return func(r *seedResident, i int, rng *mrand.Rand, ids *seedIDs) {
		r.reset()
		r.id = int64(i + 1)
		r.municipalityID = mid
		r.ref = fmt.Sprintf("D%08d", i+1)
		r.name = benchNames[rng.IntN(len(benchNames))]
		r.lang = kigen.Languages[rng.IntN(len(kigen.Languages))]
		r.status = kigen.FixedPeriod
		ids.card++
		r.cards = append(r.cards, kigen.Card{ID: ids.card, ResidentID: r.id, Kind: kigen.ResidenceCard, ExpiresOn: today.AddDays(30)})
		ids.contact++
		if rng.IntN(10) < 7 {
			r.contacts = append(r.contacts, kigen.Contact{ID: ids.contact, ResidentID: r.id, Channel: kigen.Email,
				Address: fmt.Sprintf("d%d@example.jp", i+1), Consent: true})
		} else {
			r.channel = kigen.PrefSMS
			r.contacts = append(r.contacts, kigen.Contact{ID: ids.contact, ResidentID: r.id, Channel: kigen.SMS,
				Address: fmt.Sprintf("+8180%08d", i+1), Consent: true})
		}
		r.setNextDue(today)
	}
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[int64]V) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
