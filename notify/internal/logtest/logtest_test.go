package logtest

import "testing"

func TestPatterns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		logs string
		bad  bool
	}{
		{"ids only", `{"message_id":42,"provider_message_id":"SM00000000000000000000000000000001"}`, false},
		{"sendgrid id", `{"provider_message_id":"fake000000000000000001"}`, false},
		{"email", `{"to":"jane@example.com"}`, true},
		{"E.164", `{"from":"+819012345678"}`, true},
		{"domestic", `{"tel":"090-1234-5678"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := emailRE.MatchString(tt.logs) || phoneRE.MatchString(tt.logs)
			if got != tt.bad {
				t.Errorf("flagged = %v, want %v", got, tt.bad)
			}
		})
	}
}
