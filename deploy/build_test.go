package deploy

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

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
