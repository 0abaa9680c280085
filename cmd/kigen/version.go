package main

import "kigen/internal/buildinfo"

// version returns the version, commit and toolchain the binary was built
// from (package buildinfo).
func version() string { return buildinfo.Read().String() }
