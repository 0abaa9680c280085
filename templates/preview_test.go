package templates

import (
	"errors"
	"strings"
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

func TestRenderPreview(t *testing.T) {
	t.Parallel()
	r, err := New(DefaultHotlines())
	if err != nil {
		t.Fatal(err)
	}
	today := kigen.MustParseISODate("2027-03-01")
	d30 := []Case{{Card: kigen.ResidenceCard, Stage: kigen.D30}}
	pv, err := r.RenderPreview(kigen.English, d30, ContextNone, kigen.Email, false, today)
	if err != nil || !strings.HasPrefix(pv.Text, "Subject: [Otaru City] Your residence card expires on March 31, 2027\n") || pv.Note != "" {
		t.Errorf("email: %+v, %v", pv, err)
	}
	pv, err = r.RenderPreview(kigen.Japanese, []Case{{Card: kigen.MyNumberCard, Stage: kigen.D14}}, ContextGap, kigen.SMS, false, today)
	if err != nil || !strings.HasSuffix(pv.Text, "\n") || !strings.HasPrefix(pv.Note, "(2 of 2 segments, UCS-2, ") || !strings.HasSuffix(pv.Note, "mynumber_card: go by 2027-03-15 Mon)") {
		t.Errorf("sms: %+v, %v", pv, err)
	}
	var ce *CaseError
	if _, err := r.RenderPreview(kigen.English, []Case{{Card: "passport", Stage: kigen.D30}}, ContextNone, kigen.Email, false, today); !errors.As(err, &ce) || ce.Case.Card != "passport" {
		t.Errorf("unknown card: %v, want a *CaseError", err)
	}
	if _, err := r.RenderPreview(kigen.English, d30, ContextGap, kigen.Email, false, today); !errors.Is(err, ErrContextUnused) {
		t.Errorf("context without a My Number card: %v", err)
	}
	for _, tt := range []struct {
		situation string
		ch        kigen.Channel
		field     string
	}{{"late", kigen.Email, "context"}, {ContextNone, "fax", "channel"}} {
		_, err := r.RenderPreview(kigen.English, d30, tt.situation, tt.ch, false, today)
		var ke *kigen.Error
		if !errors.As(err, &ke) || ke.Code != kigen.EINVALID || ke.Field != tt.field {
			t.Errorf("%q on %q: %v, want invalid %s", tt.situation, tt.ch, err, tt.field)
		}
	}
}
