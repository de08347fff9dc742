//go:build unix

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Limits of the harness. Compiling the example on a busy two-core machine is the slow part.
const (
	startTimeout = 4 * time.Minute  // from the run command to the ready line
	stopTimeout  = 10 * time.Second // from SIGINT to exit, then SIGKILL
)

// readyLine is what examples/chat prints once it serves: "... open http://127.0.0.1:PORT/ ...".
var readyLine = regexp.MustCompile(`open (http://\S+/)`)

// repoRoot returns the absolute path of the repository root.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// readmeRunCommand returns the one line of README.md that runs the chat example.
func readmeRunCommand(readme string) (string, error) {
	var found []string
	inCode := false
	for line := range strings.Lines(readme) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
			continue
		}
		if inCode && strings.Contains(line, "./examples/chat") && strings.HasPrefix(line, "go run") {
			found = append(found, line)
		}
	}
	switch len(found) {
	case 0:
		return "", errors.New("README.md has no code line starting with `go run` that runs ./examples/chat")
	case 1:
		return found[0], nil
	default:
		// The same command may appear twice (quick start and Azure section); all must agree.
		for _, f := range found[1:] {
			if f != found[0] {
				return "", fmt.Errorf("README.md has different chat run commands: %q", found)
			}
		}
		return found[0], nil
	}
}

// cleanCopy copies the files of the work tree that git does not ignore (tracked, and untracked
// but not ignored: what a clone holds once the work tree is committed) into a new temporary
// folder, so the example is built the way a fresh clone builds it, without node_modules,
// binaries or other ignored files. Without
// git (for example in an exported tarball) it returns the repository root itself and tmp "".
func cleanCopy(root string) (dir, tmp string, err error) {
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: no git work tree (%v): running in %s instead of a clean copy\n", err, root)
		return root, "", nil
	}
	tmp, err = os.MkdirTemp("", "webpubsub-e2e-")
	if err != nil {
		return "", "", err
	}
	for name := range strings.SplitSeq(strings.TrimRight(string(out), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		src := filepath.Join(root, name)
		info, err := os.Lstat(src)
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the work tree, not committed yet
		}
		if err != nil {
			return "", tmp, err
		}
		if !info.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return "", tmp, err
		}
		target := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return "", tmp, err
		}
		if err := os.WriteFile(target, data, info.Mode().Perm()); err != nil {
			return "", tmp, err
		}
	}
	return tmp, tmp, nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// chatApp is the chat example started with the README's run command.
type chatApp struct {
	URL     string // base URL printed in the ready line, ends in "/"
	Command string // the command as run
	Dir     string // the clean copy it runs in

	cmd  *exec.Cmd
	mu   sync.Mutex
	logs bytes.Buffer
	done chan struct{}
}

// Output returns everything the example printed so far.
func (a *chatApp) Output() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.logs.String()
}

func (a *chatApp) write(line string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.logs.WriteString(line)
	a.logs.WriteByte('\n')
}

// stop interrupts the whole process group (go run and the program it built), then kills it.
func (a *chatApp) stop() {
	if a.cmd == nil || a.cmd.Process == nil {
		return
	}
	pgid := a.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGINT)
	select {
	case <-a.done:
	case <-time.After(stopTimeout):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-a.done
	}
}

var (
	sharedOnce sync.Once
	sharedApp  *chatApp
	sharedErr  error
)

// startChat returns the chat example shared by the tests of this package, starting it on first
// use with the README's run command in a clean copy of the repository.
func startChat(t testing.TB) *chatApp {
	t.Helper()
	sharedOnce.Do(func() { sharedApp, sharedErr = launch() })
	if sharedErr != nil {
		out := ""
		if sharedApp != nil {
			out = sharedApp.Output()
		}
		t.Fatalf("starting the chat example: %v\noutput:\n%s", sharedErr, out)
	}
	return sharedApp
}

// launch runs the README's command with PORT set to a free port and waits for the ready line.
func launch() (*chatApp, error) {
	root := repoRoot()
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		return nil, err
	}
	command, err := readmeRunCommand(string(readme))
	if err != nil {
		return nil, err
	}
	dir, tmp, err := cleanCopy(root)
	if tmp != "" {
		launchDirs = append(launchDirs, tmp)
	}
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}

	app := &chatApp{Command: command, Dir: dir, done: make(chan struct{})}
	cmd := exec.Command("sh", "-c", command)
	cmd.Dir = dir
	env := make([]string, 0, len(os.Environ())+1)
	for _, kv := range os.Environ() {
		// The embedded emulator is what the README's first command promises.
		if strings.HasPrefix(kv, "AZURE_WEBPUBSUB_") || strings.HasPrefix(kv, "PORT=") {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, fmt.Sprintf("PORT=%d", port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	app.cmd = cmd
	go func() {
		_ = cmd.Wait()
		_ = pw.Close()
		close(app.done)
	}()

	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			app.write(line)
			if m := readyLine.FindStringSubmatch(line); m != nil {
				select {
				case ready <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()

	select {
	case u := <-ready:
		want := fmt.Sprintf("http://127.0.0.1:%d/", port)
		if u != want {
			app.stop()
			return app, fmt.Errorf("ready line names %s, want %s (PORT=%d)", u, want, port)
		}
		app.URL = u
		return app, nil
	case <-app.done:
		return app, fmt.Errorf("%q exited before printing the ready line", command)
	case <-time.After(startTimeout):
		app.stop()
		return app, fmt.Errorf("no ready line from %q within %v", command, startTimeout)
	}
}

// launchDirs are the temporary folders TestMain removes.
var launchDirs []string

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedApp != nil {
		sharedApp.stop()
	}
	for _, d := range launchDirs {
		_ = os.RemoveAll(d)
	}
	os.Exit(code)
}

// waitCtx bounds one step of a test.
func waitCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
