// Package scheduler runs Kigen's work: the daily tick that plans notices,
// the delivery of messages, and what follows a delivery — provider status
// reports, opt-outs, fallback.
//
// Planner (plan.go) is the tick; Queue (river.go) runs the delivery jobs on
// River in the store's database; DeliverWorker (deliver.go) renders and
// sends one message; Sink (events.go) applies provider reports.
package scheduler
