package deploy_test

import (
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// containerfile is what deploy/Containerfile says.
type containerfile struct {
	from       []string
	copies     [][3]string // src, dst, chown ("" for none)
	user       string
	workdir    string
	env        []string
	entrypoint []string
}

// readContainerfile parses the instructions deploy/Containerfile uses.
func readContainerfile(t *testing.T) containerfile {
	t.Helper()
	b, err := os.ReadFile("Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	var cf containerfile
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		f := strings.Fields(rest)
		switch strings.ToUpper(instr) {
		case "FROM":
			cf.from = append(cf.from, rest)
		case "COPY":
			chown := ""
			if strings.HasPrefix(f[0], "--chown=") {
				chown, f = strings.TrimPrefix(f[0], "--chown="), f[1:]
			}
			if len(f) != 2 {
				t.Fatalf("Containerfile: COPY %s: want one source and one destination", rest)
			}
			cf.copies = append(cf.copies, [3]string{f[0], f[1], chown})
		case "USER":
			cf.user = rest
		case "WORKDIR":
			cf.workdir = rest
		case "ENV":
			cf.env = append(cf.env, f...)
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &cf.entrypoint); err != nil {
				t.Fatalf("Containerfile: ENTRYPOINT %s: %v", rest, err)
			}
		}
	}
	return cf
}

// TestImage builds the image's contents as deploy/build-image.sh does (no
// container engine: podman cannot run containers on the test machine),
// lays them out as deploy/Containerfile says, and runs the binary there as
// the image would: on an empty base (a chroot with nothing but the copied
// files, when the test runs as root), as user 65532, with the image's
// environment. The binary is static, carries its version and commit, knows
// Asia/Tokyo without /usr/share/zoneinfo, migrates a SQLite database in
// /data and backs it up.
func TestImage(t *testing.T) {
	t.Parallel()
	cf := readContainerfile(t)
	if !slices.Equal(cf.from, []string{"scratch"}) {
		t.Errorf("Containerfile FROM %v, want only scratch (nothing pulled from a registry)", cf.from)
	}
	if uid, _, _ := strings.Cut(cf.user, ":"); uid != "65532" {
		t.Errorf("Containerfile USER %q, want 65532 (not root)", cf.user)
	}

	ctxDir := filepath.Join(t.TempDir(), "context")
	cmd := exec.Command("./build-image.sh", "v9.9.9-test")
	cmd.Env = append(os.Environ(), "NO_IMAGE=1", "CONTEXT_DIR="+ctxDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build-image.sh: %v\n%s", err, out)
	}
	bin := filepath.Join(ctxDir, "kigen")

	// Static: no program interpreter, no shared library.
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a program interpreter: it is not static")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary links shared libraries %v (%v): it is not static", libs, err)
	}
	f.Close()
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" || !strings.Contains(settings["-tags"], "timetzdata") {
		t.Errorf("build settings CGO_ENABLED=%q -tags=%q; want 0 and timetzdata", settings["CGO_ENABLED"], settings["-tags"])
	}

	// The image's file system, from the Containerfile's COPY lines.
	root := filepath.Join(t.TempDir(), "root")
	for _, c := range cf.copies {
		src, dst := filepath.Join(ctxDir, c[0]), filepath.Join(root, c[1])
		if err := copyTree(src, dst); err != nil {
			t.Fatalf("COPY %s %s: %v", c[0], c[1], err)
		}
		if c[2] != "" && os.Geteuid() == 0 {
			u, g, _ := strings.Cut(c[2], ":")
			uid, _ := strconv.Atoi(u)
			gid, _ := strconv.Atoi(g)
			if err := filepath.Walk(dst, func(p string, _ os.FileInfo, err error) error {
				if err != nil {
					return err
				}
				return os.Lchown(p, uid, gid)
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(cf.entrypoint) == 0 {
		t.Fatal("Containerfile has no ENTRYPOINT")
	}
	run := func(args ...string) string {
		t.Helper()
		var c *exec.Cmd
		if os.Geteuid() == 0 {
			// As the image runs: chrooted in its file system, as its user.
			c = exec.Command(cf.entrypoint[0], args...)
			c.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: 65532, Gid: 65532}}
			c.Dir = cf.workdir
			c.Env = cf.env
		} else {
			// Not root: no chroot; the same binary with the image's
			// environment, its paths moved under root.
			t.Logf("not root: running %s outside a chroot", cf.entrypoint[0])
			c = exec.Command(filepath.Join(root, cf.entrypoint[0]), args...)
			c.Dir = filepath.Join(root, cf.workdir)
			for _, kv := range cf.env {
				c.Env = append(c.Env, strings.ReplaceAll(kv, "/data/", root+"/data/"))
			}
		}
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("kigen %s in the image: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	out := run("version")
	if !strings.HasPrefix(out, "kigen v9.9.9-test commit ") {
		t.Errorf("kigen version = %q, want the version given to build-image.sh and a commit", out)
	}
	if head, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil && !strings.Contains(out, strings.TrimSpace(string(head))) {
		t.Errorf("kigen version = %q, want the commit %s", out, head)
	}
	// The default schedule's CRON_TZ=Asia/Tokyo needs the embedded time
	// zones: the base has no /usr/share/zoneinfo.
	if out := run("config"); !strings.Contains(out, "KIGEN_SCHEDULE=CRON_TZ=Asia/Tokyo") || !strings.Contains(out, "DATABASE_URL=sqlite:") {
		t.Errorf("kigen config in the image:\n%s", out)
	}
	if out := run("migrate"); !strings.Contains(out, "migrations: applied") {
		t.Errorf("kigen migrate in the image = %q", out)
	}
	if out := run("backup", "/data/backup.db"); !strings.Contains(out, "backup: wrote /data/backup.db") {
		t.Errorf("kigen backup in the image = %q", out)
	}
	for _, name := range []string{"kigen.db", "backup.db"} {
		fi, err := os.Stat(filepath.Join(root, "data", name))
		if err != nil {
			t.Fatalf("after migrate and backup: %v", err)
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 && st.Uid != 65532 {
			t.Errorf("/data/%s is owned by uid %d, want 65532", name, st.Uid)
		}
	}
}

// copyTree copies a file, or a directory and what it holds, to dst.
func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
