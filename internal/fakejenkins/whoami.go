package fakejenkins

import "net/http"

// serveMore answers the endpoints `switchboard check` reads besides the
// job pages; false for any other path.
//
//   - GET /whoAmI/api/json: who the request is authenticated as
//     (hudson.security.WhoAmI: name, authenticated, anonymous,
//     authorities), https://www.jenkins.io/doc/book/using/remote-access-api/
//     and the /whoAmI page of every controller.
func (s *Server) serveMore(w http.ResponseWriter, r *http.Request, path, auth string) bool {
	if path != "/whoAmI/api/json" {
		return false
	}
	name, anonymous := s.opts.User, auth == "anonymous"
	authorities := []string{"authenticated"}
	if anonymous {
		name, authorities = "anonymous", []string{"anonymous"}
	}
	writeJSON(w, map[string]any{
		"_class": "hudson.security.WhoAmI", "name": name, "authenticated": !anonymous,
		"anonymous": anonymous, "authorities": authorities,
	})
	return true
}

// jobProperty is the job's "property" list: a ParametersDefinitionProperty
// naming its string parameters when it declares any, as Jenkins' job JSON
// has it. Empty when the fake was given no Jobs (every path a job that
// takes anything): nothing is declared then.
func (s *Server) jobProperty(job string) []map[string]any {
	declared, parameterised, _ := s.job(job)
	if !parameterised || s.opts.Jobs == nil {
		return []map[string]any{}
	}
	defs := make([]map[string]any, 0, len(declared))
	for _, p := range declared {
		defs = append(defs, map[string]any{
			"_class": "hudson.model.StringParameterDefinition", "name": p, "type": "StringParameterDefinition",
		})
	}
	return []map[string]any{{"_class": "hudson.model.ParametersDefinitionProperty", "parameterDefinitions": defs}}
}
