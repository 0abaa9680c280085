package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"kigen"
	"kigen/roster"
	"kigen/roster/importer"
	"kigen/store"
)

// runDemo seeds a municipality and a dozen residents into a fresh embedded
// store and fast-forwards through the days something falls due, printing
// each message as it goes out (from the outbox).
func runDemo(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	days := fs.Int("days", 120, "how many days to fast-forward")
	full := fs.Bool("full", false, "print whole messages, not their first lines")
	keep := fs.Bool("keep", false, "keep the demo's database and outbox (their folder is printed)")
	nowFlag := fs.String("now", "", "start on this date instead of today")
	if err := fs.Parse(args); err != nil {
		return usageErrorf("%v", err)
	}
	if err := m.setNow(*nowFlag); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "kigen-demo-")
	if err != nil {
		return envError(err)
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	// The demo never touches the configured database or providers.
	m.Config.DatabaseURL = "sqlite:" + filepath.Join(dir, "kigen.db")
	m.Config.Outbox = filepath.Join(dir, "outbox.jsonl")
	m.Config.SendGridAPIKey, m.Config.TwilioAccountSID, m.Config.TwilioAuthToken = "", "", ""
	if m.Config.PublicURL == DefaultConfig().PublicURL {
		m.Config.PublicURL = "https://kigen.example"
	}

	start := m.Config.Today(time.Now)
	s, err := m.openMigratedStore(ctx)
	if err != nil {
		return err
	}
	mu := &kigen.Municipality{Code: "012033", Name: "小樽市", NameLatin: "Otaru City",
		ContactPhone: "0134-32-4111", ContactEmail: "kokusai@city.otaru.example", ContactURL: "https://www.city.otaru.example/foreign/"}
	if err := s.CreateMunicipality(ctx, mu); err != nil {
		return envError(err)
	}
	if err := seedDemo(ctx, s, mu, start); err != nil {
		return envError(err)
	}
	fmt.Fprintf(m.Stdout, "Kigen demo: %s %s (%s) with 12 residents, from %s for %d days.\nEach message below is a line of the outbox (%s).\n",
		mu.Code, mu.Name, mu.NameLatin, start, *days, m.Config.Outbox)

	sim := start.AddDays(0)
	clock := func() time.Time { return time.Date(sim.Year, sim.Month, sim.Day, 9, 0, 0, 0, kigen.Tokyo) }
	eng, err := m.newEngine(ctx, s, clock, m.logger(), nil, nil, nil)
	if err != nil {
		return err
	}
	var offset int64
	var ticks int
	langs := map[string]int{}
	channels := map[string]int{}
	end := start.AddDays(*days)
	for {
		due, err := s.ListDueCards(ctx, end, 1)
		if err != nil {
			return envError(err)
		}
		if len(due) == 0 {
			break
		}
		if due[0].NextNoticeOn.After(sim) {
			sim = due[0].NextNoticeOn
		}
		sum, err := eng.tick(ctx, sim)
		if err != nil {
			return envError(err)
		}
		ticks++
		fmt.Fprintf(m.Stdout, "\n══ %s · tick: %d notices, %d messages ══\n", sim, sum.Notices, sum.Messages)
		if offset, err = printOutbox(m.Stdout, m.Config.Outbox, offset, *full, langs, channels); err != nil {
			return envError(err)
		}
		sim = sim.AddDays(1)
	}
	var ls []string
	for l, n := range langs {
		ls = append(ls, fmt.Sprintf("%s %d", l, n))
	}
	sort.Strings(ls)
	fmt.Fprintf(m.Stdout, "\nDone: %d ticks, %d emails and %d SMS in %d languages (%s).\n",
		ticks, channels["email"], channels["sms"], len(langs), strings.Join(ls, ", "))
	if *keep {
		fmt.Fprintf(m.Stdout, "The database and the outbox are in %s\n", dir)
	}
	return nil
}

// demoCSV is the demo's resident list; {+N} is the start date plus N days.
const demoCSV = `resident_ref,name,language,email,phone,residence_status,residence_card_expires_on,mynumber_card_expires_on,mynumber_cert_expires_on,integrated_card_expires_on,consent,channel
D-001,Nguyen Van An,vi,an@example.jp,,技術・人文知識・国際業務,{+20},{+20},,,yes,
D-002,Maria Silva,pt,,090-1234-5678,定住者,{+1100},{+45},,,yes,sms
D-003,Li Wei,zh,liwei@example.jp,,留学,{+700},{+700},{+10},,yes,
D-004,Kim Minji,ko,minji@example.jp,080-2345-6789,家族滞在,{+75},{+75},,,yes,both
D-005,Ram Bahadur,ne,ram@example.jp,,特定技能1号,{+5},{+5},,,yes,
D-006,Somchai Dee,th,,070-3456-7890,技能実習2号ロ,,,{+300},{+60},yes,sms
D-007,John Smith,en,john@example.jp,,永住者,{+85},{+400},,,yes,
D-008,Tran Thi Bich,ja-easy,bich@example.jp,,日本人の配偶者等,{+14},{+14},,,yes,
D-009,Juan Dela Cruz,tl,,090-4567-8901,特定活動,{+900},{+2},,,yes,sms
D-010,Siti Rahma,id,siti@example.jp,,留学,{+30},{+30},,,no,
D-011,Ana Garcia,es,ana@example.jp,,定住者,{-10},{+600},,,yes,
D-012,Park Jisoo,ja,jisoo@example.jp,,特別永住者,,{+30},{+30},,yes,
`

// seedDemo imports the demo list (dates counted from start) and records a
// pending renewal for D-005.
func seedDemo(ctx context.Context, s store.Store, mu *kigen.Municipality, start kigen.Date) error {
	csv := demoCSV
	for strings.Contains(csv, "{") {
		i := strings.Index(csv, "{")
		j := strings.Index(csv[i:], "}") + i
		var n int
		fmt.Sscanf(csv[i+1:j], "%d", &n)
		csv = csv[:i] + start.AddDays(n).String() + csv[j+1:]
	}
	r, err := roster.NewReader(strings.NewReader(csv), roster.Options{Today: start})
	if err != nil {
		return err
	}
	if _, err := importer.Import(ctx, s, r, importer.Options{MunicipalityID: mu.ID, Today: start}); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	res, err := s.GetResidentByRef(ctx, mu.ID, "D-005")
	if err != nil {
		return err
	}
	return s.InTx(ctx, func(tx store.Tx) error {
		cards, err := tx.ListCards(ctx, mu.ID, res.ID)
		if err != nil {
			return err
		}
		for _, c := range cards {
			if c.Kind == kigen.ResidenceCard {
				if err := tx.SetCardRenewalApplied(ctx, mu.ID, c.ID, start.AddDays(-20)); err != nil {
					return err
				}
			}
		}
		return store.Replan(ctx, tx, mu.ID, res.ID, start)
	})
}

// outboxLine is the part of an outbox line the demo prints.
type outboxLine struct {
	ResidentRef string `json:"resident_ref"`
	Channel     string `json:"channel"`
	Lang        string `json:"lang"`
	Notices     []struct {
		Card      string `json:"card"`
		ExpiresOn string `json:"expires_on"`
		Stage     string `json:"stage"`
	} `json:"notices"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// printOutbox prints the outbox lines after offset and returns the new
// offset.
func printOutbox(w io.Writer, path string, offset int64, full bool, langs, channels map[string]int) (int64, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return offset, nil
	} else if err != nil {
		return offset, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return offset, err
	}
	br := bufio.NewReader(f)
	for {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			return offset, nil
		} else if err != nil {
			return offset, err
		}
		offset += int64(len(line))
		var l outboxLine
		if err := json.Unmarshal(line, &l); err != nil {
			return offset, fmt.Errorf("outbox line: %w", err)
		}
		langs[l.Lang]++
		channels[l.Channel]++
		var ns []string
		for _, n := range l.Notices {
			ns = append(ns, n.Card+" "+n.Stage)
		}
		fmt.Fprintf(w, "→ %s to %s (%s): %s\n", l.Channel, l.ResidentRef, l.Lang, strings.Join(ns, " + "))
		text := l.Body
		if l.Subject != "" {
			text = "Subject: " + l.Subject + "\n" + text
		}
		lines := strings.Split(strings.TrimSpace(text), "\n")
		if !full && len(lines) > 4 {
			lines = append(lines[:4], "…")
		}
		for _, x := range lines {
			fmt.Fprintf(w, "    %s\n", x)
		}
	}
}
