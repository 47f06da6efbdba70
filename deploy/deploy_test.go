// Package deploy holds the deployment files (Dockerfile, systemd unit,
// Kubernetes manifests); its tests check them with what can run here.
package deploy

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-dev/switchboard/config"
)

// manifests reads every document of deploy/kubernetes, by "Kind/name".
func manifests(t *testing.T) (map[string]map[string]any, []string) {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	out := map[string]map[string]any{}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); err != nil {
				if err.Error() == "EOF" {
					break
				}
				t.Fatalf("%s: %v", f, err)
			}
			kind, _ := doc["kind"].(string)
			name, _ := dig(doc, "metadata", "name").(string)
			if kind == "" {
				t.Fatalf("%s: a document without kind", f)
			}
			out[kind+"/"+name] = doc
		}
	}
	return out, names
}

// dig walks maps by key and lists by index ("0").
func dig(v any, keys ...string) any {
	for _, k := range keys {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := -1
			fmt.Sscan(k, &i)
			if i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func str(v any) string { s, _ := v.(string); return s }

// byName finds the list item whose name is name.
func byName(list any, name string) map[string]any {
	items, _ := list.([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok && m["name"] == name {
			return m
		}
	}
	return nil
}

func TestKubernetesManifests(t *testing.T) {
	docs, files := manifests(t)
	dep := docs["Deployment/switchboard"]
	if dep == nil {
		t.Fatalf("no Deployment/switchboard among %v", docs)
	}
	pod := dig(dep, "spec", "template", "spec")
	c := dig(pod, "containers", "0")
	if str(dig(c, "name")) != "switchboard" {
		t.Fatalf("first container: %v", c)
	}

	// Probes: readiness on /readyz, liveness on /healthz, both on the
	// named port, which is the port the configuration listens on.
	port := byName(dig(c, "ports"), "http")
	if port == nil || port["containerPort"] != 3000 {
		t.Errorf("port http = %v", port)
	}
	for probe, want := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		if p := str(dig(c, probe, "httpGet", "path")); p != want {
			t.Errorf("%s path = %q, want %s", probe, p, want)
		}
		if p := dig(c, probe, "httpGet", "port"); p != "http" {
			t.Errorf("%s port = %v, want http", probe, p)
		}
	}

	// The configuration: mounted where args say, from the ConfigMap.
	args, _ := dig(c, "args").([]any)
	if len(args) != 3 || args[0] != "serve" || args[1] != "-c" {
		t.Fatalf("args = %v", args)
	}
	cfgPath := str(args[2])
	cfgVol := mountFor(t, c, pod, cfgPath)
	cm := docs["ConfigMap/"+str(dig(cfgVol, "configMap", "name"))]
	cfgText := str(dig(cm, "data", path.Base(cfgPath)))
	if cfgText == "" {
		t.Fatalf("the ConfigMap holds no %s", path.Base(cfgPath))
	}

	// The credentials: every variable from the Secret, the key as a file
	// where GITHUB_PRIVATE_KEY_FILE says.
	envSecret := docs["Secret/"+str(dig(c, "envFrom", "0", "secretRef", "name"))]
	if envSecret == nil {
		t.Fatalf("envFrom names no Secret of the manifests: %v", dig(c, "envFrom"))
	}
	keyEnv := byName(dig(c, "env"), "GITHUB_PRIVATE_KEY_FILE")
	keyPath := str(keyEnv["value"])
	keyVol := mountFor(t, c, pod, keyPath)
	keySecret := docs["Secret/"+str(dig(keyVol, "secret", "secretName"))]
	if keySecret == nil {
		t.Fatalf("the key's volume names no Secret of the manifests: %v", keyVol)
	}
	item := dig(keyVol, "secret", "items", "0")
	if str(dig(item, "path")) != path.Base(keyPath) || dig(keySecret, "stringData", str(dig(item, "key"))) == nil {
		t.Errorf("the key file %s does not come from a key of Secret %v: %v", keyPath, dig(keySecret, "metadata", "name"), item)
	}

	// The configuration loads with the variables the pod gets.
	vars := map[string]string{"GITHUB_PRIVATE_KEY_FILE": keyPath}
	for k, v := range dig(envSecret, "stringData").(map[string]any) {
		vars[k] = fmt.Sprint(v)
	}
	cfg, err := config.Parse("configmap.yaml", []byte(cfgText), func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatalf("the ConfigMap's configuration does not load: %v", err)
	}
	if !strings.HasSuffix(cfg.Server.Addr, ":3000") {
		t.Errorf("server.addr = %q, the container port is 3000", cfg.Server.Addr)
	}
	if cfg.GitHub.PrivateKeyFile != keyPath {
		t.Errorf("github.private_key_file = %q", cfg.GitHub.PrivateKeyFile)
	}

	// SQLite: one replica, never two at once, the file on the volume.
	if cfg.Store.Driver == "sqlite" {
		if dig(dep, "spec", "replicas") != 1 || str(dig(dep, "spec", "strategy", "type")) != "Recreate" {
			t.Errorf("with SQLite: replicas %v, strategy %v; want 1 and Recreate", dig(dep, "spec", "replicas"), dig(dep, "spec", "strategy", "type"))
		}
		dataVol := mountFor(t, c, pod, string(cfg.Store.DSN))
		if claim := str(dig(dataVol, "persistentVolumeClaim", "claimName")); docs["PersistentVolumeClaim/"+claim] == nil {
			t.Errorf("the SQLite file is not on a claimed volume: %v", dataVol)
		}
		if !strings.Contains(string(readFile(t, "kubernetes/deployment.yaml")), "More than one replica needs store.driver: postgres") {
			t.Error("deployment.yaml does not say that more than one replica needs Postgres")
		}
	}

	// Non-root, nothing to escalate to.
	if dig(pod, "securityContext", "runAsNonRoot") != true || dig(c, "securityContext", "allowPrivilegeEscalation") != false ||
		dig(c, "securityContext", "readOnlyRootFilesystem") != true {
		t.Errorf("security contexts: %v %v", dig(pod, "securityContext"), dig(c, "securityContext"))
	}

	// The Service reaches the named port of these pods.
	svc := docs["Service/switchboard"]
	if str(dig(svc, "spec", "ports", "0", "targetPort")) != "http" ||
		dig(svc, "spec", "selector", "app.kubernetes.io/name") != dig(dep, "spec", "template", "metadata", "labels", "app.kubernetes.io/name") {
		t.Errorf("service: %v", dig(svc, "spec"))
	}

	// kustomization.yaml lists every other file.
	var listed []string
	for _, r := range dig(docs["Kustomization/"], "resources").([]any) {
		listed = append(listed, str(r))
	}
	want := slices.DeleteFunc(slices.Clone(files), func(f string) bool { return f == "kustomization.yaml" })
	sort.Strings(listed)
	sort.Strings(want)
	if !slices.Equal(listed, want) {
		t.Errorf("kustomization lists %v, the directory holds %v", listed, want)
	}
}

// mountFor returns the volume mounted at the directory holding file.
func mountFor(t *testing.T, c, pod any, file string) map[string]any {
	t.Helper()
	mounts, _ := dig(c, "volumeMounts").([]any)
	for _, m := range mounts {
		if str(dig(m, "mountPath")) == path.Dir(file) {
			if v := byName(dig(pod, "volumes"), str(dig(m, "name"))); v != nil {
				return v
			}
			t.Fatalf("mount %v names no volume", m)
		}
	}
	t.Fatalf("nothing is mounted at %s (for %s)", path.Dir(file), file)
	return nil
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

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

var (
	buildOnce sync.Once
	built     string
	buildErr  error
	buildOut  []byte
)

// binary builds switchboard with scripts/build-static.sh, once.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; not in -short")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "switchboard-build-")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "switchboard")
		cmd := exec.Command("bash", "../scripts/build-static.sh", built)
		cmd.Env = append(os.Environ(), "VERSION=v0.0.0-deploytest")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("scripts/build-static.sh: %v\n%s", buildErr, buildOut)
	}
	return built
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built != "" {
		os.RemoveAll(filepath.Dir(built))
	}
	os.Exit(code)
}

// TestStaticBuild runs the Dockerfile's build script and checks that the
// binary is static: no program interpreter, no shared library, so it runs
// on distroless/static or scratch.
func TestStaticBuild(t *testing.T) {
	bin := binary(t)
	if want := "built " + bin + " (switchboard v0.0.0-deploytest, static)\n"; string(buildOut) != want {
		t.Errorf("script output %q, want %q", buildOut, want)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a program interpreter: it is dynamically linked")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("shared libraries: %v %v", libs, err)
	}
	if f.Section(".symtab") != nil {
		t.Error("symbols not stripped (-s)")
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || string(out) != "switchboard v0.0.0-deploytest\n" {
		t.Errorf("version: %q %v", out, err)
	}
	if wd, _ := filepath.Abs(".."); bytes.Contains(readFile(t, bin), []byte(wd)) {
		t.Error("the binary holds the build directory's path (-trimpath)")
	}
}

// TestSystemdUnit verifies deploy/switchboard.service with systemd-analyze,
// its ExecStart pointed at a freshly built binary (verify checks that the
// command exists). Any message fails the test: verify warns about unknown
// keys and bad values but still exits 0.
func TestSystemdUnit(t *testing.T) {
	unit := string(readFile(t, "switchboard.service"))
	for _, opt := range []string{
		"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=\n",
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "SystemCallFilter=@system-service", "MemoryDenyWriteExecute=yes",
		"User=switchboard", "StateDirectory=switchboard", "EnvironmentFile=/etc/switchboard/github-app.env",
		"ExecStart=/usr/local/bin/switchboard serve -c /etc/switchboard/switchboard.yml", "ExecReload=/bin/kill -HUP $MAINPID",
	} {
		if !strings.Contains(unit, opt) {
			t.Errorf("the unit lacks %q", opt)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: the unit was not verified")
	}
	bin := binary(t)
	dir := t.TempDir()
	unitPath := filepath.Join(dir, "switchboard.service")
	if err := os.WriteFile(unitPath, []byte(strings.ReplaceAll(unit, "/usr/local/bin/switchboard", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", unitPath).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The check can fail: a misspelt key is reported.
	bad := filepath.Join(dir, "bad.service")
	if err := os.WriteFile(bad, []byte(strings.Replace(strings.ReplaceAll(unit, "/usr/local/bin/switchboard", bin), "ProtectSystem=", "ProtectSystm=", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _ := exec.Command(analyze, "verify", "--man=no", bad).CombinedOutput(); !regexp.MustCompile(`Unknown key 'ProtectSystm'`).Match(out) {
		t.Errorf("verify did not report a misspelt key: %s", out)
	}
}
