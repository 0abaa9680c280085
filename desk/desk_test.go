package desk_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/internal/storetesting"
	"kigen/store"
	"kigen/store/storetest"
)

// today is the desk's day in every test.
var today = kigen.MustParseISODate("2026-11-25")

// residents is the list imported into municipality A: R-1 has an email
// and a residence card, R-2 no consent.
const residents = "resident_ref,name,language,email,residence_status,residence_card_expires_on,consent\n" +
	"R-1,Nguyen Van An,vi,an@example.jp,定住者,2027-01-31,yes\n" +
	"R-2,Maria Silva,pt,maria@example.jp,定住者,2027-03-31,no\n"

// bundle is a desk on a fresh store with municipalities A (012033, with
// the residents) and B (131016), and actors of each.
type bundle struct {
	d        *desk.Desk
	s        store.Store
	q        *fakeQueue
	a, b     *desk.Municipality
	aID, bID int64
	operator auth.Actor
	adminA   auth.Actor
	staffA   auth.Actor
	staffB   auth.Actor
}

// each runs f on a fresh bundle on each store backend.
func each(t *testing.T, f func(t *testing.T, b *bundle)) {
	t.Helper()
	storetesting.Each(t, func(t *testing.T, s store.Store) { f(t, setup(t, s)) })
}

func setup(t *testing.T, s store.Store) *bundle {
	t.Helper()
	ctx := t.Context()
	q := &fakeQueue{}
	b := &bundle{s: s, q: q, operator: desk.LocalOperator("ops"),
		d: &desk.Desk{Store: s, Queue: q, Now: func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, kigen.Tokyo) }}}
	var err error
	if b.a, err = b.d.CreateMunicipality(ctx, b.operator, desk.MunicipalityParams{Code: "012033", Name: ptr("小樽市"), NameLatin: ptr("Otaru City")}); err != nil {
		t.Fatal(err)
	}
	if b.b, err = b.d.CreateMunicipality(ctx, b.operator, desk.MunicipalityParams{Code: "131016", Name: ptr("千代田区")}); err != nil {
		t.Fatal(err)
	}
	b.adminA, _, err = b.d.LocalAdmin(ctx, "alice", "012033")
	if err != nil {
		t.Fatal(err)
	}
	b.aID = b.adminA.MunicipalityID
	admB, _, err := b.d.LocalAdmin(ctx, "bob", "131016")
	if err != nil {
		t.Fatal(err)
	}
	b.bID = admB.MunicipalityID
	b.staffA = auth.Actor{ID: "staff:1", Role: auth.Staff, MunicipalityID: b.aID, MunicipalityCode: "012033"}
	b.staffB = auth.Actor{ID: "staff:2", Role: auth.Staff, MunicipalityID: b.bID, MunicipalityCode: "131016"}
	if _, err := b.d.Import(ctx, b.adminA, desk.ImportParams{CSV: strings.NewReader(residents)}); err != nil {
		t.Fatal(err)
	}
	return b
}

// entries returns the audit entries f selects, newest first.
func (b *bundle) entries(t *testing.T, f store.AuditFilter) []*store.AuditEntry {
	t.Helper()
	es, err := b.s.ListAuditEntries(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// count returns how many audit entries there are.
func (b *bundle) count(t *testing.T) int {
	t.Helper()
	return len(b.entries(t, store.AuditFilter{Limit: 1000}))
}

// checkLast fails unless the newest audit entry is want (ID and time
// aside), and n entries were written since before.
func (b *bundle) checkLast(t *testing.T, before, n int, want store.AuditEntry) {
	t.Helper()
	es := b.entries(t, store.AuditFilter{Limit: 1000})
	if len(es) != before+n {
		t.Fatalf("%d audit entries, want %d", len(es), before+n)
	}
	got := *es[0]
	if got.At.IsZero() {
		t.Errorf("audit entry without a time: %+v", got)
	}
	got.ID, got.At = 0, time.Time{}
	if got != want {
		t.Errorf("audit entry\n got %+v\nwant %+v", got, want)
	}
}

// checkErr fails unless err has the code and message.
func checkErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	if kigen.ErrorCode(err) != code || kigen.ErrorMessage(err) != msg {
		t.Errorf("err = %v (%s), want %s %q", err, kigen.ErrorCode(err), code, msg)
	}
}

func ptr(s string) *string { return &s }

// fakeQueue records what the desk queues; fail, if set, fails it.
type fakeQueue struct {
	mu       sync.Mutex
	enqueued []int64
	resent   [][2]int64
	givenUp  []int64
	fail     error
}

func (q *fakeQueue) Enqueue(ctx context.Context, tx store.Tx, ids []int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	q.enqueued = append(q.enqueued, ids...)
	return nil
}

func (q *fakeQueue) EnqueueResend(ctx context.Context, tx store.Tx, messageID, resend int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	q.resent = append(q.resent, [2]int64{messageID, resend})
	return nil
}

func (q *fakeQueue) GivenUp(ctx context.Context) ([]int64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.givenUp, nil
}

var _ desk.Queue = (*fakeQueue)(nil)

func TestLocalAdmin(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		d := &desk.Desk{Store: s}
		_, _, err := d.LocalAdmin(ctx, "alice", "")
		checkErr(t, err, kigen.EINVALID, "no municipality yet: add one with kigen municipality add CODE --name NAME")
		storetest.MustCreateMunicipality(t, ctx, s, "012033")
		a, mu, err := d.LocalAdmin(ctx, "alice", "")
		if err != nil || mu.Code != "012033" || a != (auth.Actor{ID: "cli:alice", Role: auth.Admin, MunicipalityID: mu.ID, MunicipalityCode: "012033", Local: true}) {
			t.Errorf("the only municipality: %+v, %+v, %v", a, mu, err)
		}
		storetest.MustCreateMunicipality(t, ctx, s, "131016")
		_, _, err = d.LocalAdmin(ctx, "alice", "")
		checkErr(t, err, kigen.EINVALID, "several municipalities: choose one with --municipality CODE (012033 テスト市012033, 131016 テスト市131016)")
		_, _, err = d.LocalAdmin(ctx, "alice", "011002")
		checkErr(t, err, kigen.ENOTFOUND, `unknown municipality "011002"; known: 012033 テスト市012033, 131016 テスト市131016`)
		// A My Number typed for the code is not echoed (docs/domain.md §11.11).
		_, _, err = d.LocalAdmin(ctx, "alice", "1234 5678 9018")
		checkErr(t, err, kigen.ENOTFOUND, `unknown municipality (not shown: it has 12 or more digits); known: 012033 テスト市012033, 131016 テスト市131016`)
		if a := desk.LocalOperator(""); a.ID != "cli:unknown" || a.Role != auth.Operator || !a.Local || a.Validate() != nil {
			t.Errorf("LocalOperator without a user: %+v", a)
		}
	})
}

func TestDesk_Municipality(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		if b.a.NameLatin != "Otaru" || b.b.NameLatin != "Chiyoda" || b.b.NameKana != "ちよだく" {
			t.Errorf("created %+v and %+v; want the reading and the Latin name from the list of local governments", b.a, b.b)
		}
		es := b.entries(t, store.AuditFilter{Action: "municipality.create"})
		if len(es) != 2 || es[0].ActorID != "cli:ops" || es[0].ActorRole != "operator" || es[0].MunicipalityID != b.bID || es[0].Detail != "131016" {
			t.Errorf("creation entries: %+v", es)
		}

		before := b.count(t)
		_, err := b.d.CreateMunicipality(ctx, b.adminA, desk.MunicipalityParams{Code: "011002", Name: ptr("札幌市")})
		checkErr(t, err, kigen.EUNAUTHORIZED, "the admin role may not municipality.create")
		_, err = b.d.CreateMunicipality(ctx, b.operator, desk.MunicipalityParams{Code: "012033", Name: ptr("小樽市")})
		checkErr(t, err, kigen.ECONFLICT, "municipality 012033 already exists")
		_, err = b.d.CreateMunicipality(ctx, b.operator, desk.MunicipalityParams{Code: "012034", Name: ptr("x")})
		checkErr(t, err, kigen.EINVALID, `code: "012034" has a wrong check digit (4): did you mean 012033 小樽市 (北海道)?`)
		_, err = b.d.CreateMunicipality(ctx, b.operator, desk.MunicipalityParams{Code: "011002", Name: ptr(" "), ContactEmail: ptr("nope"),
			ContactURL: ptr("ftp://x"), ContactPhone: ptr("call us")})
		var fields []string
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var ke *kigen.Error
			if errors.As(e, &ke) && ke.Code == kigen.EINVALID {
				fields = append(fields, ke.Field)
			}
		}
		if strings.Join(fields, " ") != "name contact_phone contact_email contact_url" {
			t.Errorf("bad fields: %v, want one invalid error per field", err)
		}
		if n := b.count(t); n != before {
			t.Errorf("%d audit entries after refused creations, want %d", n, before)
		}

		// An admin changes their own municipality, only the fields given.
		mu, err := b.d.UpdateMunicipality(ctx, b.adminA, desk.MunicipalityParams{ContactEmail: ptr(" kokusai@city.otaru.example ")})
		if err != nil || mu.ContactEmail != "kokusai@city.otaru.example" || mu.Name != "小樽市" || mu.NameLatin != "Otaru" {
			t.Errorf("update: %+v, %v", mu, err)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "cli:alice", ActorRole: "admin", Action: "municipality.update", MunicipalityID: b.aID})
		_, err = b.d.UpdateMunicipality(ctx, b.adminA, desk.MunicipalityParams{Code: "131016", Name: ptr("x")})
		checkErr(t, err, kigen.ENOTFOUND, `no municipality "131016"`)
		_, err = b.d.UpdateMunicipality(ctx, b.adminA, desk.MunicipalityParams{Name: ptr(" ")})
		checkErr(t, err, kigen.EINVALID, "name: the Japanese name is required (e.g. 小樽市)")
		_, err = b.d.UpdateMunicipality(ctx, b.operator, desk.MunicipalityParams{Code: "012033", Name: ptr("x")})
		checkErr(t, err, kigen.EUNAUTHORIZED, "the operator role may not municipality.update")

		ms, err := b.d.ListMunicipalities(ctx, b.operator)
		if err != nil || len(ms) != 2 || ms[0].Code != "012033" || ms[1].Code != "131016" {
			t.Errorf("list: %+v, %v", ms, err)
		}
		b.checkLast(t, before, 2, store.AuditEntry{ActorID: "cli:ops", ActorRole: "operator", Action: "municipality.list"})
		_, err = b.d.ListMunicipalities(ctx, b.staffA)
		checkErr(t, err, kigen.EUNAUTHORIZED, "the staff role may not municipality.list")
	})
}
