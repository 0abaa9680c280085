package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	t.Parallel()
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "kigen", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-12-04T02:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		}}
	for _, tt := range []struct {
		name   string
		bi     *debug.BuildInfo
		linked string
		want   string
	}{
		{"stamped, no version", stamped, "", "devel commit 0123456789abcdef0123456789abcdef01234567 (2026-12-04T02:00:00Z, modified) go1.26.8"},
		{"release", stamped, "v1.2.0", "v1.2.0 commit 0123456789abcdef0123456789abcdef01234567 (2026-12-04T02:00:00Z, modified) go1.26.8"},
		{"module version", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.9.1"}}, "", "v0.9.1 commit unknown go1.26.8"},
		{"nothing known", nil, "", "devel commit unknown"},
	} {
		if got := FromBuildInfo(tt.bi, tt.linked).String(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
