package kigen

import "testing"

func TestCheckMunicipalityCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		code    string
		wantErr string // the whole message, "" for none
	}{
		{name: "Otaru", code: "012033"},
		{name: "Sapporo", code: "011002"},
		{name: "Chiyoda", code: "131016"},
		{name: "Naha", code: "472018"},
		{name: "TenIsZero", code: "012050"},   // 室蘭市: Σ = 23, 11 − 1 = 10 → 0
		{name: "ElevenIsOne", code: "012131"}, // 苫小牧市: Σ = 22, 11 − 0 = 11 → 1
		{name: "WrongCheckDigit", code: "012034", wantErr: `code: "012034": the check digit should be 3 (012033)`},
		{name: "FiveDigits", code: "01203", wantErr: `code: "01203" must be the 6-digit local government code (全国地方公共団体コード), e.g. 012033 for Otaru`},
		{name: "Name", code: "Otaru", wantErr: `code: "Otaru" must be the 6-digit local government code (全国地方公共団体コード), e.g. 012033 for Otaru`},
		{name: "FullWidthDigits", code: "０１２０３３", wantErr: `code: "０１２０３３" must be the 6-digit local government code (全国地方公共団体コード), e.g. 012033 for Otaru`},
		{name: "MyNumber", code: "123456789018", wantErr: `code: (not shown: it has 12 or more digits) must be the 6-digit local government code (全国地方公共団体コード), e.g. 012033 for Otaru`},
		{name: "Empty", code: "", wantErr: `code: "" must be the 6-digit local government code (全国地方公共団体コード), e.g. 012033 for Otaru`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckMunicipalityCode(tt.code)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckMunicipalityCode(%q) = %v, want nil", tt.code, err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr || ErrorCode(err) != EINVALID):
				t.Errorf("CheckMunicipalityCode(%q) = %v, want invalid %q", tt.code, err, tt.wantErr)
			}
		})
	}
}
