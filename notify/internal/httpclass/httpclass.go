// Package httpclass classifies the HTTP-level failures every provider
// shares: errors before an answer (network, timeout, cancellation) and the
// retry delays an answer asks for.
package httpclass

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"kigen/notify"
)

// NetworkError classifies an error that came before any HTTP answer. It is
// always retryable, and MaybeSent unless the connection was never made.
// ctx is the context the request ran under (it tells a cancellation from a
// timeout); it may be nil.
func NetworkError(ctx context.Context, provider string, err error) *notify.Error {
	e := &notify.Error{Provider: provider, Code: "network", Reason: "no answer from the provider", Err: err, MaybeSent: !isDialError(err)}
	var ctxErr error
	if ctx != nil {
		ctxErr = ctx.Err()
	}
	var ne net.Error
	switch {
	case errors.Is(ctxErr, context.Canceled):
		e.Code, e.Reason = "canceled", "the send was cancelled"
	case ctxErr != nil || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		e.Code, e.Reason = "timeout", "the provider did not answer in time"
	case !e.MaybeSent:
		e.Reason = "cannot connect to the provider"
	}
	return e
}

// isDialError reports whether err happened while connecting, so that the
// request surely did not leave.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// RetryAfter reads Retry-After (seconds or an HTTP date), else
// X-RateLimit-Reset (a Unix time, as SendGrid sends it); 0 when neither
// says.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return time.Duration(n) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil && t.After(now) {
			return t.Sub(now).Round(time.Second)
		}
	}
	if v := h.Get("X-RateLimit-Reset"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			if d := time.Unix(n, 0).Sub(now); d > 0 {
				return d.Round(time.Second)
			}
		}
	}
	return 0
}
