package console

import (
	"context"
	"net/http"

	"kigen/auth"
	"kigen/web/route"
)

// Guard is the console's guard (guard) for another surface under the same
// sign-in, such as the operators' pages (web/ops): no session is a
// redirect to the console's login, a role rule does not admit a 403.
func (c *Console) Guard(rule route.Rule, h http.Handler) http.Handler { return c.guard(rule, h) }

// ActorOf returns the signed-in actor of a request the Guard admitted.
func ActorOf(ctx context.Context) (auth.Actor, bool) { return actorOf(ctx) }
