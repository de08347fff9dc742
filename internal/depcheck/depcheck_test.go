package depcheck

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/webpubsub-go/webpubsub"

type pkg struct {
	ImportPath string
	Standard   bool
	Deps       []string
}

// listDeps returns, for every package of the module, its transitive dependencies.
func listDeps(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps=false", "-json=ImportPath,Deps,Standard", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

func within(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func TestImportRules(t *testing.T) {
	rules := []struct {
		name      string
		pkg       string   // the rule applies to this package and those below it
		forbidden []string // no transitive dependency may lie under these
	}{
		{"handler never imports a web framework", module + "/handler", []string{"github.com/labstack/echo", "github.com/gin-gonic", "github.com/go-chi", module + "/middleware", module + "/emulator"}},
		{"service never imports handler", module + "/service", []string{module + "/handler", module + "/middleware", module + "/emulator", module + "/client", "github.com/labstack/echo"}},
		{"middleware imports only handler of ours", module + "/middleware", []string{module + "/emulator", module + "/client"}},
		{"client stays a client", module + "/client", []string{module + "/handler", module + "/middleware", module + "/emulator", "github.com/labstack/echo"}},
		{"emulator does not import the app side", module + "/emulator", []string{module + "/handler", module + "/middleware", module + "/client", "github.com/labstack/echo"}},
		{"nothing imports examples", module, []string{module + "/examples"}},
	}
	pkgs := listDeps(t)
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			for _, p := range pkgs {
				if !within(p.ImportPath, r.pkg) || within(p.ImportPath, module+"/examples") || within(p.ImportPath, module+"/e2e") {
					continue
				}
				for _, d := range p.Deps {
					for _, f := range r.forbidden {
						if within(d, f) {
							t.Errorf("%s imports %s", p.ImportPath, d)
						}
					}
				}
			}
		})
	}
	t.Run("internal imports only the standard library", func(t *testing.T) {
		for _, p := range pkgs {
			if !within(p.ImportPath, module+"/internal") || within(p.ImportPath, module+"/internal/tools") {
				continue
			}
			for _, d := range p.Deps {
				if !strings.Contains(strings.SplitN(d, "/", 2)[0], ".") || within(d, module+"/internal") {
					continue
				}
				t.Errorf("%s imports %s", p.ImportPath, d)
			}
		}
	})
}
