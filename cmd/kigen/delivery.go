package main

import (
	"context"
	"fmt"
	"strconv"

	"kigen"
	"kigen/desk"
)

// runDelivery settles an unknown send (resend: send it again; resolve:
// record what the provider says) or queues again a send the queue gave up
// on (retry), as the local operator.
func runDelivery(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		return usageErrorf("delivery: resend, resolve or retry")
	}
	sub, what, list := args[0], "delivery", "the unknown ones"
	fs := m.flagSet("delivery " + sub)
	var sent, notSent bool
	switch sub {
	case "resend":
	case "resolve":
		fs.BoolVar(&sent, "sent", false, "the provider has the message: record it sent")
		fs.BoolVar(&notSent, "not-sent", false, "the provider never got the message: record it failed")
	case "retry":
		what, list = "message", "the sends given up"
	default:
		return usageErrorf("delivery: unknown subcommand %q (resend, resolve or retry)", sub)
	}
	arg, err := parseInterleaved(fs, args[1:], what+" ID")
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return usageErrorf("%s: %q is not a %s ID (kigen followup lists them)", fs.Name(), arg, what)
	}
	if sub == "resolve" && sent == notSent {
		return usageErrorf("delivery resolve: give exactly one of --sent and --not-sent")
	}
	d, err := m.openDesk(ctx, actionLogger(m), sub != "resolve")
	if err != nil {
		return err
	}
	var res *desk.SettleResult
	switch sub {
	case "resend":
		if res, err = d.ResendDelivery(ctx, m.operator(), desk.DeliveryParams{ID: id}); err == nil {
			fmt.Fprintf(m.Stdout, "delivery %d: marked failed (resend); message %d is planned again and queued: the next kigen tick (or kigen serve) sends it\n", id, res.MessageID)
		}
	case "resolve":
		if res, err = d.ResolveDelivery(ctx, m.operator(), desk.ResolveParams{ID: id, Sent: sent}); err == nil {
			fmt.Fprintf(m.Stdout, "delivery %d: recorded %s; message %d is %s\n", id, res.DeliveryState, res.MessageID, res.MessageState)
		}
	case "retry":
		if _, err = d.RetryMessage(ctx, m.operator(), desk.RetryParams{MessageID: id}); err == nil {
			fmt.Fprintf(m.Stdout, "message %d: queued again; the next kigen tick (or kigen serve) delivers it\n", id)
		}
	}
	if kigen.ErrorCode(err) == kigen.ENOTFOUND {
		return fmt.Errorf("%s (kigen followup lists %s)", kigen.ErrorMessage(err), list)
	}
	return deskError(err)
}
