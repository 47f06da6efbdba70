// Package deploy holds the deployment files (Dockerfile, systemd unit,
// Kubernetes manifests); its tests check them with what can run here.
package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
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
