package deploy

import (
	"bufio"
	"bytes"
	"slices"
	"strings"
	"testing"
)

// dockerfile is the instructions of deploy/Dockerfile, continuation lines
// joined.
func dockerfile(t *testing.T) [][2]string {
	t.Helper()
	var out [][2]string
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, "Dockerfile")))
	var cur string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur == "") {
			continue
		}
		cur += " " + strings.TrimSuffix(line, "\\")
		if strings.HasSuffix(line, "\\") {
			continue
		}
		op, rest, _ := strings.Cut(strings.TrimSpace(cur), " ")
		out = append(out, [2]string{strings.ToUpper(op), strings.TrimSpace(rest)})
		cur = ""
	}
	return out
}

func TestDockerfile(t *testing.T) {
	var froms, runs []string
	var user, volume, cmd, expose string
	for _, in := range dockerfile(t) {
		switch in[0] {
		case "FROM":
			froms = append(froms, in[1])
		case "RUN":
			runs = append(runs, in[1])
		case "USER":
			user = in[1]
		case "VOLUME":
			volume = in[1]
		case "CMD":
			cmd = in[1]
		case "EXPOSE":
			expose = in[1]
		}
	}
	if len(froms) < 2 {
		t.Fatalf("not multi-stage: FROM %v", froms)
	}
	final := froms[len(froms)-1]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") && final != "scratch" {
		t.Errorf("final stage FROM %s; want distroless/static or scratch", final)
	}
	if uid, _, _ := strings.Cut(user, ":"); user == "" || uid == "0" || uid == "root" {
		t.Errorf("USER %q: the image must not run as root", user)
	}
	if !slices.ContainsFunc(runs, func(r string) bool { return strings.Contains(r, "scripts/build-static.sh") }) {
		t.Errorf("no RUN builds with scripts/build-static.sh: %v", runs)
	}
	if volume != `["/var/lib/switchboard"]` {
		t.Errorf("VOLUME %s", volume)
	}
	if expose != "3000" {
		t.Errorf("EXPOSE %s", expose)
	}
	// The image's default config path is the one the Kubernetes manifests mount.
	if !strings.Contains(cmd, `"/etc/switchboard/config/switchboard.yml"`) {
		t.Errorf("CMD %s", cmd)
	}
	if !strings.Contains(string(readFile(t, "kubernetes/deployment.yaml")), "/etc/switchboard/config/switchboard.yml") {
		t.Error("the Deployment does not use the image's config path")
	}
}
