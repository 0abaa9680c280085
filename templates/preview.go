package templates

import (
	"maps"
	"os"
	"path/filepath"
	"slices"

	"kigen"
)

// InContext returns c written for the situation a preview asks for
// (ContextGap, ContextPending or ContextNone): a renewal_gap notice is
// always about the gap and a special_period notice about a pending
// renewal; a My Number card notice takes situation (used is true); any
// other notice has none.
func (c Case) InContext(situation string) (_ Case, used bool) {
	switch {
	case c.Stage == kigen.RenewalGap:
		c.Context = ContextGap
	case c.Stage == kigen.SpecialPeriod:
		c.Context = ContextPending
	case c.Card == kigen.MyNumberCard:
		c.Context, used = situation, true
	}
	return c, used
}

// WriteGallery writes the pages of Gallery(today) into dir, creating it if
// missing, and returns their file names in order.
func (r *Renderer) WriteGallery(dir string, today kigen.Date) ([]string, error) {
	files, err := r.Gallery(today)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	names := slices.Sorted(maps.Keys(files))
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return nil, err
		}
	}
	return names, nil
}
