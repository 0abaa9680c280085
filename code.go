package kigen

import (
	"strconv"
	"strings"
)

// CheckMunicipalityCode validates a local government code (全国地方公共団体コード):
// five digits and a check digit (012033 = 小樽市; MunicipalityCheckDigit). It
// returns nil or an EINVALID *Error for the field "code" whose message
// starts with the code as given, quoted.
func CheckMunicipalityCode(code string) error {
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return FieldKeyf("code", "municipality.code_form", "%s must be the 6-digit local government code (全国地方公共団体コード), e.g. 012033 for Otaru", Quote(code))
	}
	if want := MunicipalityCheckDigit(code[:5]); code[5] != want {
		return FieldKeyf("code", "municipality.code_check", "%s: the check digit should be %s (%s)", strconv.Quote(code), string(want), code[:5]+string(want))
	}
	return nil
}

// MunicipalityCheckDigit returns the check digit of the first five digits
// of a local government code: 11 − (Σ digit·weight mod 11), weights 6, 5,
// 4, 3, 2, taken mod 10 (so 10 and 11 give 0). five must be five ASCII
// digits.
func MunicipalityCheckDigit(five string) byte {
	sum := 0
	for i, w := range []int{6, 5, 4, 3, 2} {
		sum += int(five[i]-'0') * w
	}
	return byte('0' + (11-sum%11)%10)
}
