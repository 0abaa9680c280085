package kigen_test

import (
	"fmt"

	"kigen"
)

func ExampleParseDate() {
	for _, s := range []string{"令和9年3月31日", "R9.3.31", "２０２７／３／３１", "20270331"} {
		d, err := kigen.ParseDate(s)
		fmt.Println(d, err)
	}

	// Errors carry no field: the caller names it.
	_, err := kigen.ParseDate("2027-02-30")
	fmt.Println(kigen.WithField(err, kigen.MyNumberCard.Field()))

	// A value that might be a My Number is never echoed.
	_, err = kigen.ParseDate("1234 5678 9018")
	fmt.Println(kigen.WithField(err, kigen.ResidenceCard.Field()))

	// Output:
	// 2027-03-31 <nil>
	// 2027-03-31 <nil>
	// 2027-03-31 <nil>
	// 2027-03-31 <nil>
	// mynumber_card_expires_on: "2027-02-30" is not a date
	// residence_card_expires_on: is not a date
}
