// Package nodetest runs the Node.js scripts of the interop suites (the folder interop/ at the
// repository root, whose node_modules holds the pinned official JavaScript SDK packages).
//
// A test calls [Require] first. Without Node.js or without interop/node_modules the test is
// skipped, unless the environment variable WEBPUBSUB_INTEROP is set (scripts/test.sh sets it),
// in which case it fails: CI never silently skips interop.
package nodetest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the absolute path of the repository's interop/ folder.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "interop")
}

// Require returns the path of the node binary and of the interop folder, or skips (fails
// when WEBPUBSUB_INTEROP is set) the test when either is missing.
func Require(t testing.TB) (node, dir string) {
	t.Helper()
	dir = Dir()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules"))
	}
	if err != nil {
		if os.Getenv("WEBPUBSUB_INTEROP") != "" {
			t.Fatalf("interop suite needs Node.js and interop/node_modules (run scripts/test.sh): %v", err)
		}
		t.Skipf("interop suite skipped (needs Node.js and interop/node_modules; run scripts/test.sh): %v", err)
	}
	return node, dir
}

// Command returns a node command running script (relative to interop/) with the extra
// environment env ("K=V"), working directory interop/, and stdout/stderr captured into the
// returned buffers. The process is killed when ctx ends.
func Command(ctx context.Context, t testing.TB, script string, env ...string) (cmd *exec.Cmd, stdout, stderr *bytes.Buffer) {
	t.Helper()
	node, dir := Require(t)
	cmd = exec.CommandContext(ctx, node, filepath.Join(dir, script))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd, stdout, stderr
}
