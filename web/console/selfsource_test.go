package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"kigen/desk"
	"kigen/scheduler"
	"kigen/store"
)

type selfQueue struct{ ids []int64 }

func (q *selfQueue) EnqueueSelfSend(_ context.Context, _ store.Tx, id int64) error {
	q.ids = append(q.ids, id)
	return nil
}

// TestConsole_Source: staff see who signed up themselves, in the list and
// on the resident's page, and who the municipality registered.
func TestConsole_Source(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	ctx := t.Context()
	q := &selfQueue{}
	e.desk.Self = &desk.SelfConfig{Queue: q}
	st, err := e.desk.StartSignup(ctx, desk.SignupParams{Municipality: "012033", Language: "vi", Status: "permanent",
		ResidenceCard: "2029-01-31", Phone: "090-1234-5678", Consent: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.s.GetSignup(ctx, q.ids[0])
	if err != nil {
		t.Fatal(err)
	}
	key, err := e.s.LinkSecret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.desk.ConfirmSignup(ctx, desk.ConfirmParams{Token: st.Handle, Code: scheduler.SelfCode(key, s.Nonce)})
	if err != nil {
		t.Fatal(err)
	}
	staff := e.signedIn(t, "staff@a.example")
	if _, body := e.get(t, staff, "/console/residents?q="+c.Ref); !strings.Contains(body, "自己登録") {
		t.Errorf("the list does not say the resident signed up themselves:\n%s", body)
	}
	if _, body := e.get(t, staff, "/console/residents/"+c.Ref); !strings.Contains(body, "本人（自己登録）") {
		t.Errorf("the page does not say the resident signed up themselves:\n%s", body)
	}
	if _, body := e.get(t, staff, "/console/residents/R-1"); !strings.Contains(body, "市区町村（窓口・取込）") || strings.Contains(body, "自己登録") {
		t.Errorf("R-1's page does not say the municipality registered them:\n%s", body)
	}
}

// TestConsole_Signups: a self sign-up with an address R-1 has waits for
// staff of A on /console/signups, with a link to R-1; B's staff do not
// see it; dismissed, it leaves the list.
func TestConsole_Signups(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	ctx := t.Context()
	q := &selfQueue{}
	e.desk.Self = &desk.SelfConfig{Queue: q}
	if _, err := e.desk.StartSignup(ctx, desk.SignupParams{Municipality: "012033", Language: "vi", Name: "An",
		ResidenceCard: "2029-01-31", Email: "an@example.jp", Consent: true}); err != nil {
		t.Fatal(err)
	}
	s, err := e.s.GetSignup(ctx, q.ids[0])
	if err != nil {
		t.Fatal(err)
	}
	key, err := e.s.LinkSecret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := e.desk.ConfirmSignup(ctx, desk.ConfirmParams{Token: scheduler.SelfToken(key, "confirm", s.Nonce)}); err != nil || !c.Duplicate {
		t.Fatalf("confirm: %+v %v", c, err)
	}
	staff := e.signedIn(t, "staff@a.example")
	_, body := e.get(t, staff, "/console/followup")
	checkContains(t, body, `href="/console/signups"`)
	_, body = e.get(t, staff, "/console/signups")
	checkContains(t, body, "an@example.jp", `href="/console/residents/R-1"`, "在留カード 2029-01-31", "An")
	if _, body := e.get(t, e.signedIn(t, "staff@b.example"), "/console/signups"); strings.Contains(body, "an@example.jp") {
		t.Errorf("B's staff see A's sign-up:\n%s", body)
	}
	resp, _ := e.post(t, staff, "/console/signups/"+strconv.FormatInt(s.ID, 10)+"/dismiss", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("dismiss: %d", resp.StatusCode)
	}
	_, body = e.follow(t, staff, resp)
	checkContains(t, body, "本人登録を閉じました。", "確認が必要な本人登録はありません。")
}
