package postgrestest

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestServerBinDir(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	// bin makes a folder with the server programs (all, or those given).
	bin := func(rel string, progs ...string) string {
		dir := filepath.Join(root, rel)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if progs == nil {
			progs = ServerPrograms
		}
		for _, p := range progs {
			if err := os.WriteFile(filepath.Join(dir, p), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	debian := filepath.Join(root, "debian")
	v9 := bin("debian/9.6/bin")
	v15 := bin("debian/15/bin")
	v16 := bin("debian/16/bin")
	bin("debian/17/bin", "initdb") // a client-only install: no server
	bin("debian/common/bin")       // not a version
	env := bin("env")
	onPath := bin("path")
	partial := bin("partial", "pg_ctl")

	none := func() (string, error) { return "", errors.New("no pg_config") }
	config := func(dir string) func() (string, error) { return func() (string, error) { return dir, nil } }
	noPath := func(string) (string, error) { return "", errors.New("not on PATH") }
	path := func(string) (string, error) { return filepath.Join(onPath, "initdb"), nil }

	for _, tc := range []struct {
		name     string
		env      string
		pgConfig func() (string, error)
		debian   string
		lookPath func(string) (string, error)
		want     string
	}{
		{name: "Env", env: env, pgConfig: config(v15), debian: debian, lookPath: path, want: env},
		{name: "EnvIncomplete", env: partial, pgConfig: config(v15), debian: debian, lookPath: path, want: v15},
		{name: "PgConfig", pgConfig: config(v15), debian: debian, lookPath: path, want: v15},
		{name: "HighestDebianVersion", pgConfig: none, debian: debian, lookPath: path, want: v16},
		{name: "PgConfigOfAClient", pgConfig: config(partial), debian: debian, lookPath: path, want: v16},
		{name: "Path", pgConfig: none, debian: filepath.Join(root, "none"), lookPath: path, want: onPath},
		{name: "Nothing", pgConfig: none, debian: filepath.Join(root, "none"), lookPath: noPath},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := serverBinDir(tc.env, tc.pgConfig, tc.debian, tc.lookPath)
			if got != tc.want || (err == nil) != (tc.want != "") {
				t.Errorf("serverBinDir = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if got := debianBinDirs(debian); !slices.Equal(got, []string{filepath.Join(debian, "17/bin"), v16, v15, v9}) {
		t.Errorf("debianBinDirs = %v", got)
	}
}
