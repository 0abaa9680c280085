package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"kigen/web/api"
)

// spec is the API's OpenAPI document, loaded and checked once.
var spec = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI())
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

// specRouter finds a request's operation in spec.
var specRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := spec()
	if err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

// offSpec marks a request a test sends knowing that the document does not
// admit it (no token, a bad body …): its answer is still checked.
const offSpec = "X-Test-Off-Spec"

// checkingTransport checks every request it carries (unless marked
// offSpec) and every response against the OpenAPI document: a route the
// document does not name may only answer 404 or 405, as a problem.
type checkingTransport struct {
	t    *testing.T
	next http.RoundTripper
}

func (c checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t := c.t
	t.Helper()
	ctx := req.Context()
	doc, err := spec()
	if err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	router, err := specRouter()
	if err != nil {
		t.Fatalf("OpenAPI router: %v", err)
	}
	var reqBody []byte
	if req.Body != nil {
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	offSpecReq := req.Header.Get(offSpec) != ""
	route, params, routeErr := router.FindRoute(req)
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			if h := in.RequestValidationInput.Request.Header.Get("Authorization"); len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
				return errors.New("no bearer token")
			}
			return nil
		}}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if routeErr == nil && !offSpecReq {
		check := req.Clone(ctx)
		check.Body = io.NopCloser(bytes.NewReader(reqBody))
		in.Request = check
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("%s %s: the request does not follow the OpenAPI document: %v", req.Method, req.URL.Path, err)
		}
	} else if routeErr != nil && !offSpecReq {
		t.Errorf("%s %s: no operation of the OpenAPI document: %v", req.Method, req.URL.Path, routeErr)
	}
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if routeErr != nil {
		// Not a route of the document: the catch-all's problem.
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: no operation in the document, yet answered %d", req.Method, req.URL.Path, resp.StatusCode)
		}
		checkProblem(t, doc, resp, body)
		return resp, nil
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
		Header: resp.Header, Options: opts}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s %s: the %d answer does not follow the OpenAPI document: %v\n%s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	if resp.StatusCode >= 400 {
		checkProblem(t, doc, resp, body)
	}
	return resp, nil
}

// checkProblem checks that an error answer is a problem of the document's
// Problem schema.
func checkProblem(t *testing.T, doc *openapi3.T, resp *http.Response, body []byte) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%d answer of type %q, want application/problem+json", resp.StatusCode, ct)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("problem %s: %v", body, err)
		return
	}
	if err := doc.Components.Schemas["Problem"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		t.Errorf("problem %s: %v", body, err)
	}
}
