// Package scheduler runs Kigen's work: the daily tick that plans notices,
// the delivery of messages, and what follows a delivery — provider status
// reports, opt-outs, fallback.
//
// This file set starts with the store side of delivery reports (Sink); the
// tick and the workers join it with their issue.
package scheduler
