package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kigen"
	"kigen/desk"
	"kigen/scheduler"
	"kigen/store"
	"kigen/store/postgres"
	"kigen/store/postgres/postgrestest"
	"kigen/store/sqlite"
)

// openTestStore opens the store env's DATABASE_URL names, as the commands
// do, and closes it with the test.
func openTestStore(t *testing.T, env map[string]string) store.Store {
	t.Helper()
	getenv := func(k string) string { return env[k] }
	m := NewMain(io.Discard, io.Discard, getenv)
	cfg, err := LoadConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	m.Config = cfg
	s, err := m.openStore(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return s
}

// makeUnknown turns the accepted delivery of each ref's message into an
// unknown send, as a crash mid-call leaves it, and returns the deliveries'
// IDs by ref.
func makeUnknown(t *testing.T, s store.Store, mu *kigen.Municipality, refs ...string) map[string]int64 {
	t.Helper()
	ctx := t.Context()
	want := map[int64]string{}
	for _, ref := range refs {
		r, err := s.GetResidentByRef(ctx, mu.ID, ref)
		if err != nil {
			t.Fatalf("GetResidentByRef(%s): %v", ref, err)
		}
		want[r.ID] = ref
	}
	ds, err := s.ListDeliveriesByState(ctx, mu.ID, kigen.DeliveryAccepted)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, d := range ds {
		msg, err := s.GetMessage(ctx, d.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		ref, ok := want[msg.ResidentID]
		if !ok {
			continue
		}
		d.State, d.ErrorCode = kigen.DeliveryUnknown, "interrupted"
		if err := s.UpdateDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
		if err := s.SetMessageState(ctx, msg.ID, kigen.MessageUnknown); err != nil {
			t.Fatal(err)
		}
		out[ref] = d.ID
	}
	if len(out) != len(refs) {
		t.Fatalf("found deliveries for %v, want one for each of %v", out, refs)
	}
	return out
}

// TestFollowup lists what staff must follow up and settles unknown sends
// through the real commands, on both backends.
func TestFollowup(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "kigen.db"),
				"KIGEN_OUTBOX": filepath.Join(dir, "outbox.jsonl"), "KIGEN_NOW": "2026-11-25"}
			if backend == "postgres" {
				_, schema := postgrestest.NewSchemaPool(t)
				env["DATABASE_URL"] = postgrestest.URL(t) + "&search_path=" + schema
			}
			mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市", "--name-latin", "Otaru City")
			list := writeFile(t, "r.csv", []byte("resident_ref,language,email,phone,residence_status,residence_card_expires_on,consent,channel\n"+
				"F-1,en,f1@example.jp,,定住者,2027-01-31,yes,\n"+ // its send will be unknown, then resent
				"F-2,en,f2@example.jp,,定住者,2027-01-31,no,\n"+ // no consent
				"F-3,en,f3@example.jp,,定住者,2026-09-30,yes,\n"+ // expired 56 days ago: stale
				"F-4,en,,090-1234-5678,定住者,2027-01-31,yes,\n"+ // SMS only: resolved not sent
				"F-5,en,f5@example.jp,,定住者,2027-01-31,yes,\n")) // resolved sent
			mustRun(t, env, "import", list)
			mustRun(t, env, "tick")
			if n := len(outboxLines(t, env["KIGEN_OUTBOX"])); n != 3 {
				t.Fatalf("first tick sent %d messages, want 3 (F-1, F-4, F-5)", n)
			}

			s := openTestStore(t, env)
			mu, err := s.GetMunicipalityByCode(t.Context(), "012033")
			if err != nil {
				t.Fatal(err)
			}
			ids := makeUnknown(t, s, mu, "F-1", "F-4", "F-5")
			id := func(ref string) string { return strconv.FormatInt(ids[ref], 10) }

			out := mustRun(t, env, "followup")
			for _, want := range []string{"cannot be reached: ", "F-2  no consent\n  (1 in all)", "stale cards: ",
				"F-3  residence_card  2026-09-30\n  (1 in all)", "unknown sends: ", " F-4  sms ", "(3 in all)"} {
				if !strings.Contains(out, want) {
					t.Errorf("followup lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "@") || strings.Contains(out, "090") {
				t.Errorf("followup shows an address:\n%s", out)
			}

			// Settle the three: resend F-1, F-5 was sent, F-4 was not.
			out = mustRun(t, env, "delivery", "resend", id("F-1"))
			if !strings.Contains(out, "planned again and queued") {
				t.Errorf("resend: %s", out)
			}
			mustRun(t, env, "tick")
			lines := outboxLines(t, env["KIGEN_OUTBOX"])
			if len(lines) != 4 || lines[3] != "F-1 email residence_card:d90" {
				t.Errorf("outbox after resend and tick:\n%s\nwant a fourth line for F-1", strings.Join(lines, "\n"))
			}
			mustRun(t, env, "delivery", "resolve", "--sent", id("F-5"))
			mustRun(t, env, "delivery", "resolve", id("F-4"), "--not-sent")

			out = mustRun(t, env, "followup", "--municipality", "012033", "--json")
			var got desk.FollowupList
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("followup --json: %v\n%s", err, out)
			}
			want := desk.FollowupList{
				Municipality: "012033",
				Date:         kigen.MustParseISODate("2026-11-25"),
				Unreachable:  []desk.UnreachableItem{{Ref: "F-2", Reason: desk.ReasonNoConsent}, {Ref: "F-4", Reason: desk.ReasonMessageFailed}},
				Stale:        []desk.StaleItem{{Ref: "F-3", Card: kigen.ResidenceCard, ExpiresOn: kigen.MustParseISODate("2026-09-30")}},
				Unknown:      []desk.UnknownItem{},
				GivenUp:      []desk.GivenUpItem{},
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("followup --json after settling (-want +got):\n%s", d)
			}
			ctx := t.Context()
			for ref, wantState := range map[string]kigen.MessageState{"F-1": kigen.MessageSent, "F-4": kigen.MessageFailed, "F-5": kigen.MessageSent} {
				d, err := s.GetDelivery(ctx, ids[ref])
				if err != nil {
					t.Fatal(err)
				}
				msg, err := s.GetMessage(ctx, d.MessageID)
				if err != nil {
					t.Fatal(err)
				}
				if msg.State != wantState {
					t.Errorf("%s: message %s, want %s", ref, msg.State, wantState)
				}
			}

			tests := []struct {
				name     string
				args     []string
				wantCode int
				wantErr  string
			}{
				{name: "resend a known outcome", args: []string{"delivery", "resend", id("F-5")}, wantCode: exitInvalid,
					wantErr: "is accepted: only an unknown send is settled by hand"},
				{name: "resolve again", args: []string{"delivery", "resolve", id("F-4"), "--sent"}, wantCode: exitInvalid,
					wantErr: "is failed: only an unknown send"},
				{name: "no such delivery", args: []string{"delivery", "resend", "987654"}, wantCode: exitInvalid,
					wantErr: "no delivery 987654"},
				{name: "both flags", args: []string{"delivery", "resolve", "--sent", "--not-sent", id("F-4")}, wantCode: exitUsage,
					wantErr: "exactly one of --sent and --not-sent"},
				{name: "no flag", args: []string{"delivery", "resolve", id("F-4")}, wantCode: exitUsage,
					wantErr: "exactly one of --sent and --not-sent"},
				{name: "not an ID", args: []string{"delivery", "resend", "F-1"}, wantCode: exitUsage,
					wantErr: "is not a delivery ID"},
				{name: "no subcommand", args: []string{"delivery"}, wantCode: exitUsage, wantErr: "resend, resolve or retry"},
				{name: "unknown municipality", args: []string{"followup", "--municipality", "999999"}, wantCode: exitUsage,
					wantErr: "known: 012033"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					code, _, errOut := runKigen(t, env, tt.args...)
					if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
						t.Errorf("kigen %s: code %d, stderr %q; want %d and %q", strings.Join(tt.args, " "), code, errOut, tt.wantCode, tt.wantErr)
					}
				})
			}
		})
	}
}

// TestFollowup_GivenUp: a planned message whose deliver job the queue
// discarded is listed for staff, and `kigen delivery retry` sends it once.
func TestFollowup_GivenUp(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "kigen.db"),
				"KIGEN_OUTBOX": filepath.Join(dir, "outbox.jsonl"), "KIGEN_NOW": "2026-11-25"}
			if backend == "postgres" {
				_, schema := postgrestest.NewSchemaPool(t)
				env["DATABASE_URL"] = postgrestest.URL(t) + "&search_path=" + schema
			}
			mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市", "--name-latin", "Otaru City")
			mustRun(t, env, "import", writeFile(t, "r.csv", []byte("resident_ref,language,email,residence_status,residence_card_expires_on,consent\n"+
				"G-1,en,g1@example.jp,定住者,2027-01-31,yes\n")))

			// Plan without delivering, then have River give the job up.
			ctx := t.Context()
			s := openTestStore(t, env)
			q, err := queueFor(ctx, s, scheduler.QueueConfig{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			p := &scheduler.Planner{Store: s, Enqueue: q.Enqueue, Logger: slog.New(slog.DiscardHandler)}
			if sum, err := p.Tick(ctx, kigen.MustParseISODate("2026-11-25")); err != nil || sum.Messages != 1 {
				t.Fatalf("plan: %+v, %v; want 1 message", sum, err)
			}
			var exec func(string) error
			switch st := s.(type) {
			case *sqlite.Store:
				exec = func(q string) error { _, err := st.DB().ExecContext(ctx, q); return err }
			case *postgres.Store:
				exec = func(q string) error { _, err := st.Pool().Exec(ctx, q); return err }
			}
			if err := exec(`UPDATE river_job SET state = 'discarded', finalized_at = created_at`); err != nil {
				t.Fatal(err)
			}

			var got desk.FollowupList
			if err := json.Unmarshal([]byte(mustRun(t, env, "followup", "--json")), &got); err != nil {
				t.Fatal(err)
			}
			if len(got.GivenUp) != 1 || got.GivenUp[0].Ref != "G-1" || got.GivenUp[0].Channel != kigen.Email {
				t.Fatalf("given up = %+v, want G-1's email", got.GivenUp)
			}
			msgID := strconv.FormatInt(got.GivenUp[0].MessageID, 10)
			if out := mustRun(t, env, "followup"); !strings.Contains(out, "sends given up: ") || !strings.Contains(out, " G-1 ") || !strings.Contains(out, "(1 in all)") {
				t.Errorf("followup lacks the given-up send:\n%s", out)
			}

			if out := mustRun(t, env, "delivery", "retry", msgID); !strings.Contains(out, "queued again") {
				t.Errorf("retry: %s", out)
			}
			code, _, errOut := runKigen(t, env, "delivery", "retry", msgID)
			if code != exitInvalid || !strings.Contains(errOut, "was not given up") {
				t.Errorf("second retry before the tick: code %d, stderr %q; want a refusal", code, errOut)
			}
			mustRun(t, env, "tick")
			if lines := outboxLines(t, env["KIGEN_OUTBOX"]); len(lines) != 1 || lines[0] != "G-1 email residence_card:d90" {
				t.Errorf("outbox after retry and tick: %q, want G-1's one message", lines)
			}
			if err := json.Unmarshal([]byte(mustRun(t, env, "followup", "--json")), &got); err != nil {
				t.Fatal(err)
			}
			if len(got.GivenUp) != 0 {
				t.Errorf("given up after the retry was sent: %+v", got.GivenUp)
			}
			for _, tt := range []struct {
				args []string
				code int
				want string
			}{
				{[]string{"delivery", "retry", msgID}, exitInvalid, "is sent and its delivery was not given up"},
				{[]string{"delivery", "retry", "987654"}, exitInvalid, "no message 987654"},
				{[]string{"delivery", "retry", "G-1"}, exitUsage, "is not a message ID"},
			} {
				if code, _, errOut := runKigen(t, env, tt.args...); code != tt.code || !strings.Contains(errOut, tt.want) {
					t.Errorf("kigen %s: code %d, stderr %q; want %d and %q", strings.Join(tt.args, " "), code, errOut, tt.code, tt.want)
				}
			}
		})
	}
}

// TestFollowup_All: with several municipalities, an operator's --all lists
// each, refs only, in code order; without it, --municipality is needed.
func TestFollowup_All(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市", "--name-latin", "Otaru City")
	mustRun(t, env, "municipality", "add", "131016", "--name", "千代田区", "--name-latin", "Chiyoda City")
	list := "resident_ref,language,email,residence_card_expires_on,consent\nA-1,en,a1@example.jp,2027-01-31,no\n"
	mustRun(t, env, "import", "--municipality", "012033", writeFile(t, "a.csv", []byte(list)))
	mustRun(t, env, "import", "--municipality", "131016", writeFile(t, "b.csv", []byte(strings.ReplaceAll(list, "A-1", "B-1"))))

	if code, _, errOut := runKigen(t, env, "followup"); code != exitUsage || !strings.Contains(errOut, "several municipalities") {
		t.Errorf("followup with two municipalities: code %d, %q; want a usage error", code, errOut)
	}
	if code, _, _ := runKigen(t, env, "followup", "--all", "--municipality", "012033"); code != exitUsage {
		t.Errorf("--all with --municipality: code %d, want %d", code, exitUsage)
	}
	out := mustRun(t, env, "followup", "--all")
	a, b := strings.Index(out, "follow-up for 012033 小樽市"), strings.Index(out, "follow-up for 131016 千代田区")
	if a < 0 || b < a || !strings.Contains(out[a:b], "A-1  no consent") || !strings.Contains(out[b:], "B-1  no consent") || strings.Contains(out, "@") {
		t.Errorf("followup --all:\n%s\nwant 012033 with A-1, then 131016 with B-1, no address", out)
	}
	var lists []desk.FollowupList
	if err := json.Unmarshal([]byte(mustRun(t, env, "followup", "--all", "--json")), &lists); err != nil {
		t.Fatal(err)
	}
	if len(lists) != 2 || lists[0].Municipality != "012033" || lists[1].Unreachable[0].Ref != "B-1" {
		t.Errorf("followup --all --json: %+v", lists)
	}
}
