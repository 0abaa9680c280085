package postgrestest

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ServerPrograms are the programs a test that runs a cluster of its own
// needs from ServerBinDir.
var ServerPrograms = []string{"initdb", "pg_ctl", "postgres"}

// ServerBinDir returns the folder of PostgreSQL's server programs
// (ServerPrograms), for tests that run a cluster of their own, whatever
// the installed version. It tries, in order: $KIGEN_TEST_PG_BINDIR; the
// folder `pg_config --bindir` names; the highest version in Debian's
// layout, /usr/lib/postgresql/<version>/bin; and the folder of initdb on
// PATH. The first that holds every program wins.
func ServerBinDir() (string, error) {
	return serverBinDir(os.Getenv("KIGEN_TEST_PG_BINDIR"), pgConfigBinDir, "/usr/lib/postgresql", exec.LookPath)
}

// serverBinDir is ServerBinDir with its sources given: env, the bin folder
// pg_config reports (if it runs), Debian's root of the versions, and PATH
// look-up.
func serverBinDir(env string, pgConfig func() (string, error), debianRoot string, lookPath func(string) (string, error)) (string, error) {
	var tried []string
	try := func(dir string) bool {
		if dir == "" {
			return false
		}
		tried = append(tried, dir)
		for _, p := range ServerPrograms {
			if fi, err := os.Stat(filepath.Join(dir, p)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if try(env) {
		return env, nil
	}
	if dir, err := pgConfig(); err == nil && try(dir) {
		return dir, nil
	}
	for _, dir := range debianBinDirs(debianRoot) {
		if try(dir) {
			return dir, nil
		}
	}
	if p, err := lookPath("initdb"); err == nil && try(filepath.Dir(p)) {
		return filepath.Dir(p), nil
	}
	if len(tried) == 0 {
		return "", errors.New("PostgreSQL's server programs not found: no pg_config, no " + debianRoot + "/<version>/bin, no initdb on PATH")
	}
	return "", fmt.Errorf("PostgreSQL's server programs (%s) not found in %s", strings.Join(ServerPrograms, ", "), strings.Join(tried, ", "))
}

// pgConfigBinDir returns what `pg_config --bindir` prints.
func pgConfigBinDir() (string, error) {
	out, err := exec.Command("pg_config", "--bindir").Output()
	return strings.TrimSpace(string(out)), err
}

// debianBinDirs returns root/<version>/bin for every numbered version under
// root, highest first (versions compare as numbers: 9.6 < 10 < 15 < 16).
func debianBinDirs(root string) []string {
	entries, _ := os.ReadDir(root)
	type version struct {
		name  string
		parts []int
	}
	var versions []version
	for _, e := range entries {
		var parts []int
		for _, f := range strings.Split(e.Name(), ".") {
			n, err := strconv.Atoi(f)
			if err != nil {
				parts = nil
				break
			}
			parts = append(parts, n)
		}
		if parts != nil {
			versions = append(versions, version{e.Name(), parts})
		}
	}
	slices.SortFunc(versions, func(a, b version) int {
		return -cmp.Or(slices.Compare(a.parts, b.parts), strings.Compare(a.name, b.name))
	})
	dirs := make([]string, len(versions))
	for i, v := range versions {
		dirs[i] = filepath.Join(root, v.name, "bin")
	}
	return dirs
}
