package fakejenkins

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestWhoAmIAndJobParameters(t *testing.T) {
	s := New(Options{User: "sb", Token: "tok", Jobs: map[string]Job{"a/b": {Parameters: []string{"PR"}}, "c": {}}})
	defer s.Close()
	get := func(path, user, secret string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", s.URL()+path, nil)
		if user != "" {
			req.SetBasicAuth(user, secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if code, out := get("whoAmI/api/json", "sb", "tok"); code != 200 || out["name"] != "sb" || out["authenticated"] != true || out["anonymous"] != false {
		t.Errorf("whoAmI: %d %v", code, out)
	}
	if code, _ := get("whoAmI/api/json", "sb", "wrong"); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	if code, _ := get("whoAmI/api/json", "", ""); code != 403 {
		t.Errorf("anonymous: %d", code)
	}
	_, out := get("job/a/job/b/api/json", "sb", "tok")
	props := out["property"].([]any)
	defs := props[0].(map[string]any)["parameterDefinitions"].([]any)
	if len(defs) != 1 || defs[0].(map[string]any)["name"] != "PR" {
		t.Errorf("a/b property: %v", props)
	}
	if _, out := get("job/c/api/json", "sb", "tok"); len(out["property"].([]any)) != 0 {
		t.Errorf("c property: %v", out["property"])
	}

	anon := New(Options{})
	defer anon.Close()
	req, _ := http.NewRequest("GET", anon.URL()+"whoAmI/api/json", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var who map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&who)
	resp.Body.Close()
	if who["name"] != "anonymous" || who["anonymous"] != true {
		t.Errorf("anonymous whoAmI: %v", who)
	}
}
