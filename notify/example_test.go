package notify_test

import (
	"errors"
	"fmt"
	"time"

	"kigen"
	"kigen/notify"
)

// A deliver job turns a Send error into River's three answers.
func ExampleIsPermanent() {
	for _, err := range []error{
		&notify.Error{Provider: "twilio", Permanent: true, Code: "21610", OptOut: true},
		&notify.Error{Provider: "sendgrid", Code: "429", RetryAfter: 30 * time.Second},
		errors.New("connection reset"),
	} {
		switch {
		case notify.IsPermanent(err):
			fmt.Println("cancel the job, fall back to the other channel:", err)
		case notify.RetryAfter(err) > 0:
			fmt.Println("snooze for", notify.RetryAfter(err))
		default:
			fmt.Println("retry with backoff")
		}
	}
	// Output:
	// cancel the job, fall back to the other channel: twilio: permanent failure (21610)
	// snooze for 30s
	// retry with backoff
}

// Events arrive in any order and more than once; the state only moves
// forward.
func ExampleDeliveryState() {
	state := kigen.DeliveryAccepted
	for _, s := range []notify.EventStatus{notify.StatusDelivered, notify.StatusProcessed, notify.StatusDelivered} {
		if next, ok := notify.DeliveryState(state, notify.Event{Status: s}); ok {
			state = next
		}
		fmt.Println(s, "→", state)
	}
	// Output:
	// delivered → delivered
	// processed → delivered
	// delivered → delivered
}

func ExampleParseKeyword() {
	for _, body := range []string{"STOP", " ｓｔｏｐ ", "停止", "再開", "please stop"} {
		fmt.Printf("%q → %q\n", body, notify.ParseKeyword(body))
	}
	// Output:
	// "STOP" → "stop"
	// " ｓｔｏｐ " → "stop"
	// "停止" → "stop"
	// "再開" → "start"
	// "please stop" → ""
}
