// Package demo is what `kigen demo` shows a newcomer: a municipality and a
// dozen residents seeded through the desk, then every day something falls
// due fast-forwarded through, each message printed from the outbox as it
// goes out.
package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"kigen"
	"kigen/desk"
	"kigen/scheduler"
)

// Options are one run of the demo.
type Options struct {
	// Desk is on a fresh store; its clock reads the day being ticked.
	Desk *desk.Desk
	User string // who seeds, for the audit log ("cli:" and the user)
	// Start is the first day; the demo runs Days days from it.
	Start kigen.Date
	Days  int
	Full  bool // print whole messages, not their first lines
	// Outbox is the file the messages go to; Tick runs a day's tick (with
	// the clock on that day) and delivers what it can.
	Outbox string
	Tick   func(ctx context.Context, day kigen.Date) (scheduler.TickReport, error)
	Stdout io.Writer
}

// residents is the demo's resident list; {+N} is the start date plus N
// days.
const residents = `resident_ref,name,language,email,phone,residence_status,residence_card_expires_on,mynumber_card_expires_on,mynumber_cert_expires_on,integrated_card_expires_on,consent,channel
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

// Run seeds the demo and fast-forwards through it, printing as it goes.
func Run(ctx context.Context, o Options) error {
	mu, err := seed(ctx, o.Desk, o.User, o.Start)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Stdout, "Kigen demo: %s %s (%s) with 12 residents, from %s for %d days.\nEach message below is a line of the outbox (%s).\n",
		mu.Code, mu.Name, mu.LatinDisplay, o.Start, o.Days, o.Outbox)
	var offset int64
	var ticks int
	langs := map[string]int{}
	channels := map[string]int{}
	day, end := o.Start, o.Start.AddDays(o.Days)
	for {
		due, err := o.Desk.Store.ListDueCards(ctx, end, 1)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			break
		}
		if due[0].NextNoticeOn.After(day) {
			day = due[0].NextNoticeOn
		}
		sum, err := o.Tick(ctx, day)
		if err != nil {
			return err
		}
		ticks++
		fmt.Fprintf(o.Stdout, "\n══ %s · tick: %d notices, %d messages ══\n", day, sum.Notices, sum.Messages)
		if offset, err = printOutbox(o.Stdout, o.Outbox, offset, o.Full, langs, channels); err != nil {
			return err
		}
		day = day.AddDays(1)
	}
	var ls []string
	for _, l := range slices.Sorted(maps.Keys(langs)) {
		ls = append(ls, fmt.Sprintf("%s %d", l, langs[l]))
	}
	fmt.Fprintf(o.Stdout, "\nDone: %d ticks, %d emails and %d SMS in %d languages (%s).\n",
		ticks, channels["email"], channels["sms"], len(langs), strings.Join(ls, ", "))
	return nil
}

// seed adds Otaru, imports the demo's residents (dates counted from start)
// and records a pending renewal for D-005, through the desk: the operator
// adds the municipality, its admin does the rest.
func seed(ctx context.Context, d *desk.Desk, user string, start kigen.Date) (*desk.Municipality, error) {
	mu, err := d.CreateMunicipality(ctx, desk.LocalOperator(user), desk.MunicipalityParams{Code: "012033",
		Name: ptr("小樽市"), NameLatin: ptr("Otaru"), ContactPhone: ptr("0134-32-4111"),
		ContactEmail: ptr("kokusai@city.otaru.example"), ContactURL: ptr("https://www.city.otaru.example/foreign/")})
	if err != nil {
		return nil, err
	}
	admin, _, err := d.LocalAdmin(ctx, user, mu.Code)
	if err != nil {
		return nil, err
	}
	csv := residents
	for strings.Contains(csv, "{") {
		i := strings.Index(csv, "{")
		j := strings.Index(csv[i:], "}") + i
		var n int
		_, _ = fmt.Sscanf(csv[i+1:j], "%d", &n)
		csv = csv[:i] + start.AddDays(n).String() + csv[j+1:]
	}
	if _, err := d.Import(ctx, admin, desk.ImportParams{CSV: strings.NewReader(csv)}); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	_, err = d.RecordApplied(ctx, admin, desk.AppliedParams{ResidentParams: desk.ResidentParams{Ref: "D-005"}, On: start.AddDays(-20)})
	return mu, err
}

func ptr(s string) *string { return &s }

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
