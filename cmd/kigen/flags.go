package main

import (
	"encoding/json"
	"flag"
	"strings"
)

// flagSet returns the flag set of a command, reporting to stderr.
func (m *Main) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	return fs
}

// parseFlags parses args, which must hold flags only.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageErrorf("%v", err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// parseInterleaved parses flags and exactly one positional argument, in any
// order.
func parseInterleaved(fs *flag.FlagSet, args []string, what string) (string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", usageErrorf("%v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) != 1 {
		return "", usageErrorf("%s: give exactly one %s", fs.Name(), what)
	}
	return rest[0], nil
}

// stringsFlag is a flag that may repeat.
type stringsFlag []string

func (f *stringsFlag) String() string     { return strings.Join(*f, ",") }
func (f *stringsFlag) Set(s string) error { *f = append(*f, s); return nil }

// printJSON prints v as indented JSON.
func (m *Main) printJSON(v any) error {
	enc := json.NewEncoder(m.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
