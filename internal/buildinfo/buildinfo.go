// Package buildinfo says which Kigen a binary is: its version and the VCS
// commit it was built from, as the Go toolchain stamps them
// (runtime/debug.ReadBuildInfo). A release build sets the version with
// -ldflags "-X kigen/internal/buildinfo.version=v1.2.3"; without it the
// module version is used, or "devel". A build the toolchain cannot stamp
// (from a source tree without .git, as in a container build, or a git
// worktree) gets its commit the same way: -X kigen/internal/buildinfo.commit=….
package buildinfo

import (
	"runtime/debug"
	"strings"
	"time"
)

// version and commit are set at link time by release builds
// (deploy/Containerfile).
var version, commit string

// Info is what a binary knows of its build.
type Info struct {
	Version   string    // v1.2.3, or "devel"
	Commit    string    // the full VCS revision; "" if not stamped (go run, go test, a build outside the repository)
	Time      time.Time // the commit's time; zero if unknown
	Modified  bool      // the working tree had uncommitted changes
	GoVersion string    // the toolchain, e.g. go1.26.8
}

// Read returns this binary's Info.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	info := FromBuildInfo(bi, version)
	if info.Commit == "" {
		info.Commit = strings.TrimSpace(commit)
	}
	return info
}

// FromBuildInfo returns the Info of bi (nil: nothing known), with the
// version given at link time (linked, "" for none) taking precedence over
// the module's.
func FromBuildInfo(bi *debug.BuildInfo, linked string) Info {
	info := Info{Version: "devel"}
	if bi != nil {
		info.GoVersion = bi.GoVersion
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			info.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.time":
				info.Time, _ = time.Parse(time.RFC3339, s.Value)
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if linked = strings.TrimSpace(linked); linked != "" {
		info.Version = linked
	}
	return info
}

// String is what `kigen version` prints:
//
//	v1.2.3 commit 0123456789abcdef0123456789abcdef01234567 (2026-12-04T02:00:00Z, modified) go1.26.8
//
// with "commit unknown" when the build was not stamped.
func (i Info) String() string {
	var b strings.Builder
	b.WriteString(i.Version)
	if i.Commit == "" {
		b.WriteString(" commit unknown")
	} else {
		b.WriteString(" commit " + i.Commit)
	}
	var notes []string
	if !i.Time.IsZero() {
		notes = append(notes, i.Time.UTC().Format(time.RFC3339))
	}
	if i.Modified {
		notes = append(notes, "modified")
	}
	if len(notes) > 0 {
		b.WriteString(" (" + strings.Join(notes, ", ") + ")")
	}
	if i.GoVersion != "" {
		b.WriteString(" " + i.GoVersion)
	}
	return b.String()
}
