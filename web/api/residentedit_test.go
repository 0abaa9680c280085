package api_test

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"testing"

	"kigen"
	"kigen/desk"
	"kigen/store"
)

// TestAPI_ListResidents: a search by part of the name, filters, and pages
// followed through the Link header give the municipality's residents
// only, each once, in reference order.
func TestAPI_ListResidents(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		link := regexp.MustCompile(`^<(/api/v1/residents\?[^>]+)>; rel="next"$`)
		var refs []string
		path := "/api/v1/residents?limit=2"
		for pages := 0; path != ""; pages++ {
			if pages > 10 {
				t.Fatal("more than 10 pages")
			}
			var list desk.ResidentList
			resp, body := b.do(request{method: "GET", path: path, token: readA})
			mustJSON(t, resp, body, 200, &list)
			for _, it := range list.Residents {
				refs = append(refs, it.Ref)
			}
			path = ""
			if m := link.FindStringSubmatch(resp.Header.Get("Link")); m != nil {
				path = m[1]
			} else if list.Next != "" {
				t.Fatalf("next %q without a Link", list.Next)
			}
		}
		if want := []string{"R-1", "R-2", "R-3", "R-4"}; !slices.Equal(refs, want) {
			t.Errorf("pages %q, want %q", refs, want)
		}
		var list desk.ResidentList
		resp, body := b.do(request{method: "GET", path: "/api/v1/residents?name=silva", token: readA})
		mustJSON(t, resp, body, 200, &list)
		if len(list.Residents) != 1 || list.Residents[0].Ref != "R-2" || list.Residents[0].Name != "Maria Silva" {
			t.Errorf("name=silva: %s", body)
		}
		resp, body = b.do(request{method: "GET", path: "/api/v1/residents?unreachable=true", token: readA})
		mustJSON(t, resp, body, 200, &list)
		if len(list.Residents) != 3 || list.Residents[0].Ref != "R-2" {
			t.Errorf("unreachable: %s", body)
		}
		resp, body = b.do(request{method: "GET", path: "/api/v1/residents?q=Lee", token: readA})
		mustJSON(t, resp, body, 200, &list)
		if len(list.Residents) != 0 {
			t.Errorf("B's resident in A's list: %s", body)
		}
		resp, body = b.do(request{method: "GET", path: "/api/v1/residents?cursor=zz", token: readA})
		if p := mustProblem(t, resp, body, 400); p.Field != "cursor" {
			t.Errorf("bad cursor: %+v", p)
		}
	})
}

// TestAPI_RegisterResident: a resident registered is 201 with its
// Location and ETag, as GET then gives them; a reference taken is 409;
// bad fields are 422 with every problem as {field, reason}, and nothing is
// saved.
func TestAPI_RegisterResident(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		var res desk.EditResult
		resp, body := b.do(request{method: "POST", path: "/api/v1/residents", token: writeA, contentType: "application/json",
			body: `{"resident_ref":"N-1","name":"Tran Thi Binh","language":"vi","email":"binh@example.jp","residence_status":"定住者",` +
				`"residence_card_expires_on":"令和9年6月30日","consent":"yes"}`})
		mustJSON(t, resp, body, 201, &res)
		if res.Resident.Ref != "N-1" || res.Resident.Cards[0].ExpiresOn != kigen.MustParseISODate("2027-06-30") ||
			resp.Header.Get("Location") != "/api/v1/residents/N-1" || resp.Header.Get("ETag") != `"`+res.Resident.Version+`"` {
			t.Errorf("registered: %s; Location %q, ETag %q", body, resp.Header.Get("Location"), resp.Header.Get("ETag"))
		}
		get, _ := b.do(request{method: "GET", path: "/api/v1/residents/N-1", token: readA})
		if get.Header.Get("ETag") != resp.Header.Get("ETag") {
			t.Errorf("GET's ETag %q, the registration's %q", get.Header.Get("ETag"), resp.Header.Get("ETag"))
		}
		resp, body = b.do(request{method: "POST", path: "/api/v1/residents", token: writeA, contentType: "application/json",
			body: `{"resident_ref":"R-1","name":"Someone","language":"en"}`})
		mustProblem(t, resp, body, 409)
		resp, body = b.do(request{method: "POST", path: "/api/v1/residents", token: writeA, contentType: "application/json",
			body: `{"resident_ref":"N-2","name":"Bad","language":"en","email":"not-an-email","residence_card_expires_on":"2027-02-30"}`})
		p := mustProblem(t, resp, body, 422)
		var fields []string
		for _, e := range p.Errors {
			fields = append(fields, e.Field)
		}
		if !slices.Contains(fields, "email") || !slices.Contains(fields, "residence_card_expires_on") {
			t.Errorf("bad fields: %s", body)
		}
		if _, err := b.s.GetResidentByRef(t.Context(), b.aID, "N-2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("N-2 after a refusal: %v", err)
		}
		resp, body = b.do(request{method: "POST", path: "/api/v1/residents", token: writeA, contentType: "application/json",
			body: `{"resident_ref":"N-3","nickname":"x"}`, offSpec: true})
		if p := mustProblem(t, resp, body, 400); p.Field != "nickname" {
			t.Errorf("unknown field: %+v", p)
		}
	})
}

// TestAPI_UpdateResident: a change needs If-Match (428 without); with the
// ETag of a GET it is made and gives the new ETag; made again on the old
// ETag it is 412 and changes nothing: two clerks cannot overwrite each
// other. null clears a field; another municipality's resident is 404.
func TestAPI_UpdateResident(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		get, _ := b.do(request{method: "GET", path: "/api/v1/residents/R-1", token: readA})
		old := get.Header.Get("ETag")
		patch := func(ifMatch, ct, body string, offSpec bool) (*http.Response, []byte) {
			req := request{method: "PATCH", path: "/api/v1/residents/R-1", token: writeA, contentType: ct, body: body, offSpec: offSpec}
			return b.doWith(req, map[string]string{"If-Match": ifMatch})
		}
		resp, body := patch("", "application/merge-patch+json", `{"name":"Nguyen Van Binh"}`, true)
		mustProblem(t, resp, body, 428)
		var res desk.EditResult
		resp, body = patch(old, "application/merge-patch+json", `{"name":"Nguyen Van Binh","phone":"090-1234-5678"}`, false)
		mustJSON(t, resp, body, 200, &res)
		if res.Resident.Name != "Nguyen Van Binh" || resp.Header.Get("ETag") == old || resp.Header.Get("ETag") != `"`+res.Resident.Version+`"` {
			t.Errorf("changed: %s; ETag %q (was %q)", body, resp.Header.Get("ETag"), old)
		}
		current := resp.Header.Get("ETag")
		resp, body = patch(current, "application/merge-patch+json", `{"email":"not-an-email","mynumber_card_expires_on":"someday"}`, false)
		p := mustProblem(t, resp, body, 422)
		var fields []string
		for _, e := range p.Errors {
			fields = append(fields, e.Field)
		}
		if !slices.Contains(fields, "email") || !slices.Contains(fields, "mynumber_card_expires_on") {
			t.Errorf("bad fields of a change: %s", body)
		}
		resp, body = patch("W/"+current, "application/json", `{"name":"Someone Else"}`, false)
		mustProblem(t, resp, body, 412)
		resp, body = patch(old, "application/json", `{"name":"Someone Else"}`, false)
		mustProblem(t, resp, body, 412)
		var v desk.ResidentView
		resp, body = b.do(request{method: "GET", path: "/api/v1/residents/R-1", token: readA})
		mustJSON(t, resp, body, 200, &v)
		if v.Name != "Nguyen Van Binh" || resp.Header.Get("ETag") != current {
			t.Errorf("after a stale change: %s", body)
		}
		resp, body = patch(current, "application/merge-patch+json", `{"phone":null}`, false)
		mustJSON(t, resp, body, 200, &res)
		for _, c := range res.Resident.Contacts {
			if c.Channel == kigen.SMS {
				t.Errorf("phone after null: %+v", res.Resident.Contacts)
			}
		}
		resp, body = b.doWith(request{method: "PATCH", path: "/api/v1/residents/B-1", token: writeA, contentType: "application/json",
			body: `{"name":"X"}`}, map[string]string{"If-Match": current})
		mustProblem(t, resp, body, 404)
	})
}

// TestAPI_Municipality: the token's municipality today, counted as its
// lists.
func TestAPI_Municipality(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		var v desk.TodayView
		resp, body := b.do(request{method: "GET", path: "/api/v1/municipality", token: readA})
		mustJSON(t, resp, body, 200, &v)
		if v.Municipality != "012033" || v.Unreachable != 3 || v.Date != today {
			t.Errorf("municipality: %s", body)
		}
	})
}
