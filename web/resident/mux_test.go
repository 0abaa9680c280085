package resident

import "kigen/web/route"

func newMux(p *Pages) *route.Mux { m := route.NewMux(); p.Register(m); return m }
