package outbox_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"kigen/notify/outbox"
)

// mountSmallFS mounts a tmpfs of size bytes on a temporary folder for the
// test (unmounted at its end) and returns the folder. Mounting needs root;
// without it the test fails under KIGEN_TEST_REQUIRE_POSTGRES=1 (CI, which
// runs as root) and skips otherwise.
func mountSmallFS(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := "cannot mount a tmpfs (needs root): " + strings.TrimSpace(string(out)) + " " + err.Error()
		if os.Getenv("KIGEN_TEST_REQUIRE_POSTGRES") == "1" {
			t.Fatal(msg + " (KIGEN_TEST_REQUIRE_POSTGRES=1: CI runs as root)")
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// TestSender_DiskFull fills a 48 KiB filesystem with the outbox until an
// append fails in the middle of a line, frees space, and sends again: the
// failed append must leave the file as it was, and every message the
// sender accepted must have exactly one whole, parseable line (the retry
// must not land after a fragment of the failed line).
func TestSender_DiskFull(t *testing.T) {
	t.Parallel()
	dir := mountSmallFS(t, "48k")
	// The ballast is what an operator deletes to bring space back.
	ballast := filepath.Join(dir, "ballast")
	if err := os.WriteFile(ballast, bytes.Repeat([]byte{'x'}, 16<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := outbox.Open(filepath.Join(dir, "outbox.jsonl"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	accepted := map[int64]bool{}
	// A line of about 1.7 KB: the last one that does not fit is cut where
	// the filesystem's last page ends.
	body := strings.Repeat("在留カードの更新 renewal ", 70)
	sendOne := func(id int64) error {
		m := smsMessage(id)
		m.msg.SMS = body
		_, err := send(t.Context(), s, m)
		if err == nil {
			accepted[id] = true
		}
		return err
	}
	var failed int64
	for id := int64(1); id < 100; id++ {
		before, err := os.ReadFile(s.Path())
		if err != nil {
			t.Fatal(err)
		}
		if err := sendOne(id); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("send %d: %v, want ENOSPC", id, err)
			}
			after, err := os.ReadFile(s.Path())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Errorf("the failed append changed the file: %d bytes before, %d after (a fragment of %q…)",
					len(before), len(after), after[len(before):min(len(after), len(before)+40)])
			}
			failed = id
			break
		}
	}
	if failed == 0 {
		t.Fatal("the filesystem never filled up")
	}
	t.Logf("%d messages written before the disk was full", len(accepted))

	// Space comes back; the failed message is sent again, and more.
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	for id := failed; id < failed+3; id++ {
		if err := sendOne(id); err != nil {
			t.Fatalf("send %d after space came back: %v", id, err)
		}
	}

	b, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		t.Error("the outbox does not end with a newline")
	}
	lines := map[int64]int{}
	for i, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var v struct {
			MessageID int64  `json:"message_id"`
			Body      string `json:"body"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil || v.Body != body {
			t.Errorf("line %d is not a whole outbox line (%v): %.60q…", i+1, err, l)
			continue
		}
		lines[v.MessageID]++
	}
	for id := range accepted {
		if lines[id] != 1 {
			t.Errorf("message %d was accepted and has %d whole lines, want 1", id, lines[id])
		}
	}
	for id, n := range lines {
		if !accepted[id] {
			t.Errorf("message %d has %d lines but was never accepted", id, n)
		}
	}
}

// TestSender_FragmentRemoved: a fragment at the end of the file (an append
// whose undoing failed, or a process that died in the middle of one) is
// cut off before the next line, which starts a line of its own.
func TestSender_FragmentRemoved(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	whole := `{"message_id":1}` + "\n"
	if err := os.WriteFile(path, []byte(whole+`{"message_id":2,"munici`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := outbox.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := send(t.Context(), s, smsMessage(3)); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, path)
	if len(lines) != 2 || lines[0]+"\n" != whole || !strings.HasPrefix(lines[1], `{"message_id":3,`) {
		t.Errorf("lines = %q, want the whole first line, then message 3's", lines)
	}
}
