package templates

import (
	"testing"

	"kigen"
)

func TestCase_InContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		card      kigen.CardKind
		stage     kigen.Stage
		situation string
		want      string
		used      bool
	}{
		{kigen.MyNumberCard, kigen.D14, ContextPending, ContextPending, true},
		{kigen.MyNumberCard, kigen.D14, ContextNone, ContextNone, true},
		{kigen.MyNumberCard, kigen.RenewalGap, ContextPending, ContextGap, false},
		{kigen.ResidenceCard, kigen.SpecialPeriod, ContextGap, ContextPending, false},
		{kigen.ResidenceCard, kigen.D30, ContextGap, ContextNone, false},
		{kigen.MyNumberCert, kigen.D30, ContextPending, ContextNone, false},
	}
	for _, tt := range tests {
		c, used := Case{Card: tt.card, Stage: tt.stage}.InContext(tt.situation)
		if c.Context != tt.want || used != tt.used || c.Card != tt.card || c.Stage != tt.stage {
			t.Errorf("%s/%s in %q: %v, %v; want context %q, used %v", tt.card, tt.stage, tt.situation, c, used, tt.want, tt.used)
		}
	}
}
