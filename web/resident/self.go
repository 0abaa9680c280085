package resident

import (
	"errors"
	"net/http"

	"kigen"
	"kigen/web/route"
)

// Service is what the pages need of the service layer.
type Service interface {
	Directory
}

type meView struct{}
type actView struct{}

func (p *Pages) registerSelf(g *route.Group) {}

func (p *Pages) startSignup(w http.ResponseWriter, r *http.Request, l kigen.Language, m *kigen.Municipality, d draft) error {
	return errors.New("not yet")
}
