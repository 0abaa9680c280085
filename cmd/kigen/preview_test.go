package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kigen"
)

// preview runs runPreview directly with KIGEN_NOW set to 2027-03-01.
func preview(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := NewMain(&out, &errOut, func(k string) string { return env[k] })
	m.Config.HotlinesFile = env["KIGEN_HOTLINES_FILE"] // as Run loads it
	m.Config.Now = time.Date(2027, 3, 1, 9, 0, 0, 0, kigen.Tokyo)
	return m.exit(runPreview(context.Background(), m, args)), out.String(), errOut.String()
}

func TestPreview(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantOut    []string
		wantStderr string
	}{
		{name: "email", args: []string{"--lang", "en", "--card", "residence_card", "--stage", "d30"},
			wantOut: []string{"Subject: [Otaru City] Your residence card expires on March 31, 2027\n",
				"List-Unsubscribe: <https://kigen.example.jp/u/", "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n",
				"It expires on March 31, 2027, in 30 days."}},
		{name: "sent later", args: []string{"--lang", "en", "--card", "residence_card", "--stage", "d30", "--now", "2027-03-05"},
			wantOut: []string{"It expires on April 4, 2027, in 30 days."}},
		{name: "html", args: []string{"--lang", "th", "--card", "mynumber_cert", "--stage", "expired", "--html"},
			wantOut: []string{`<html lang="th">`, "ใบรับรองอิเล็กทรอนิกส์"}},
		{name: "sms", args: []string{"--lang", "ja", "--channel", "sms", "--card", "mynumber_card", "--stage", "d14", "--context", "gap"},
			wantOut: []string{"【小樽市】マイナンバーカードの有効期限は2027年3月15日です。在留期間だけ更新済みです。3月15日（月）までに市役所で変更を。"}, wantStderr: "(2 of 2 segments, UCS-2, 132 characters; mynumber_card: go by 2027-03-15 Mon)"},
		{name: "several notices, one stage for all", args: []string{"--lang", "es", "--card", "residence_card", "--card", "mynumber_card", "--stage", "d7"},
			wantOut: []string{"Subject: [Otaru] Fechas importantes: tarjeta de residencia y tarjeta My Number"}},
		{name: "renewal gap carries its context", args: []string{"--card", "mynumber_card", "--stage", "renewal_gap"},
			wantOut: []string{"Your period of stay was renewed until"}},
		{name: "pending applies to the My Number card only", args: []string{"--card", "residence_card", "--stage", "d14", "--card", "mynumber_card", "--stage", "d14", "--context", "pending"},
			wantOut: []string{"You applied to extend your period of stay on"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := preview(t, nil, tt.args...)
			if code != exitOK {
				t.Fatalf("code %d, stderr %q", code, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout does not hold %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut, tt.wantStderr) {
				t.Errorf("stderr %q, want %q", errOut, tt.wantStderr)
			}
		})
	}
}

func TestPreview_Usage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{name: "no card", args: []string{"--lang", "en"}, wantErr: "give --card and --stage"},
		{name: "unknown language", args: []string{"--lang", "fr", "--card", "residence_card", "--stage", "d30"}, wantErr: `--lang: "fr" is not one of ja, ja-easy, en`},
		{name: "unknown card", args: []string{"--card", "passport", "--stage", "d30"}, wantErr: `unknown card "passport"`},
		{name: "stage of another card", args: []string{"--card", "mynumber_cert", "--stage", "special_period"}, wantErr: "special_period is a notice of the residence_card"},
		{name: "unpaired", args: []string{"--card", "residence_card", "--card", "mynumber_card", "--stage", "d30", "--stage", "d7", "--stage", "d1"}, wantErr: "2 --card but 3 --stage"},
		{name: "context without a My Number card", args: []string{"--card", "residence_card", "--stage", "d30", "--context", "gap"}, wantErr: "--context applies to mynumber_card notices"},
		{name: "unknown context", args: []string{"--card", "mynumber_card", "--stage", "d30", "--context", "late"}, wantErr: `--context: "late" is not gap or pending`},
		{name: "unknown channel", args: []string{"--card", "mynumber_card", "--stage", "d30", "--channel", "fax"}, wantErr: `--channel: "fax" is not email or sms`},
		{name: "bad date", args: []string{"--card", "mynumber_card", "--stage", "d30", "--now", "tomorrow"}, wantErr: "--now:"},
		{name: "gallery without a directory", args: []string{"--all"}, wantErr: "preview --all needs --out DIR"},
		{name: "stray argument", args: []string{"--card", "mynumber_card", "--stage", "d30", "extra"}, wantErr: `unexpected argument "extra"`},
		{name: "bad hotlines file", env: map[string]string{"KIGEN_HOTLINES_FILE": "/nonexistent/hotlines.json"},
			args: []string{"--card", "mynumber_card", "--stage", "d30"}, wantErr: "KIGEN_HOTLINES_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := preview(t, tt.env, tt.args...)
			if code != exitUsage || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("code %d, stderr %q; want %d and %q", code, errOut, exitUsage, tt.wantErr)
			}
		})
	}
}

func TestPreview_Gallery(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "gallery")
	code, out, errOut := preview(t, nil, "--all", "--out", dir)
	if code != exitOK {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "wrote 13 pages") {
		t.Errorf("stdout %q", out)
	}
	for _, l := range append([]kigen.Language{"index"}, kigen.Languages...) {
		if _, err := os.Stat(filepath.Join(dir, string(l)+".html")); err != nil {
			t.Error(err)
		}
	}
	var ee *exitError
	if err := runPreview(context.Background(), NewMain(&bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" }), []string{"--all", "--out", "/proc/kigen-cannot-write"}); !errors.As(err, &ee) || ee.code != exitEnv {
		t.Errorf("an unwritable directory gave %v, want an environment error", err)
	}
}
