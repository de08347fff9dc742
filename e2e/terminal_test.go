//go:build unix

package e2e

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// terminalClient is examples/client running as a process (go run), with piped input.
type terminalClient struct {
	in   io.WriteCloser
	mu   sync.Mutex
	out  strings.Builder
	more chan struct{} // signalled on every output line
	done chan struct{}
}

// startTerminalClient runs `go run ./examples/client args...` in dir.
func startTerminalClient(t *testing.T, dir string, args ...string) *terminalClient {
	t.Helper()
	cmd := exec.Command("go", append([]string{"run", "./examples/client"}, args...)...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tc := &terminalClient{in: in, more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		_ = pw.Close()
		close(tc.done)
	}()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			tc.mu.Lock()
			tc.out.WriteString(sc.Text() + "\n")
			tc.mu.Unlock()
			select {
			case tc.more <- struct{}{}:
			default:
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	t.Cleanup(func() {
		_ = in.Close()
		select {
		case <-tc.done:
		case <-time.After(stopTimeout):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-tc.done
		}
		if t.Failed() {
			t.Logf("terminal client output:\n%s", tc.output())
		}
	})
	return tc
}

func (tc *terminalClient) output() string {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.out.String()
}

// expect waits until the output contains want.
func (tc *terminalClient) expect(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for !strings.Contains(tc.output(), want) {
		select {
		case <-tc.more:
		case <-tc.done:
			if !strings.Contains(tc.output(), want) {
				t.Fatalf("terminal client ended without printing %q:\n%s", want, tc.output())
			}
		case <-deadline:
			t.Fatalf("terminal client did not print %q within %v:\n%s", want, timeout, tc.output())
		}
	}
}

// say types a line into the terminal client.
func (tc *terminalClient) say(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(tc.in, line+"\n"); err != nil {
		t.Fatal(err)
	}
}
