//go:build unix

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const stepTimeout = 45 * time.Second // one browser step (page load, connect, a message)

// chromiumPath returns the browser binary, or skips (fails under CI or WEBPUBSUB_INTEROP).
func chromiumPath(t testing.TB) string {
	t.Helper()
	candidates := []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := "browser test needs Chromium (apt-get install chromium, or set CHROMIUM)"
	if os.Getenv("CI") != "" || os.Getenv("WEBPUBSUB_INTEROP") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg + "; skipped")
	return ""
}

// artifactsDir returns where failure artifacts go.
func artifactsDir() string {
	if d := os.Getenv("WEBPUBSUB_E2E_ARTIFACTS"); d != "" {
		return d
	}
	return filepath.Join(repoRoot(), "e2e", "artifacts")
}

// browser is one headless Chromium with named pages (tabs).
type browser struct {
	t     *testing.T
	root  context.Context
	pages map[string]*tab
	order []string
}

// tab is one page and what its console printed.
type tab struct {
	ctx     context.Context
	mu      sync.Mutex
	console strings.Builder
}

func (p *tab) consoleText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.console.String()
}

// newBrowser starts Chromium. Its contexts derive from context.Background, not t.Context,
// because the failure screenshots are taken in a Cleanup, after t.Context is cancelled.
func newBrowser(t *testing.T) *browser {
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.WindowSize(1100, 800),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelRoot()
		cancelAlloc()
	})
	// The first run starts the browser; it must not carry a timeout (chromedp.Run).
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(root) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("starting %s: %v", path, err)
		}
	case <-time.After(stepTimeout):
		t.Fatalf("starting %s: no answer within %v", path, stepTimeout)
	}
	b := &browser{t: t, root: root, pages: map[string]*tab{}}
	t.Cleanup(b.saveArtifactsOnFailure)
	return b
}

// page opens a new tab named name and records its console.
func (b *browser) page(name string) {
	ctx, _ := chromedp.NewContext(b.root) // cancelled with the browser
	p := &tab{ctx: ctx}
	b.pages[name] = p
	b.order = append(b.order, name)
	// The first run opens the tab, which lives as long as that run's context: no timeout here.
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("%s: open tab: %v", name, err)
	}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			p.mu.Lock()
			fmt.Fprintf(&p.console, "%s %s: %s\n", m.Time.Format(time.TimeOnly), m.Type, m.Text)
			p.mu.Unlock()
		}
	}()
}

// run runs actions on a page with the step timeout.
func (b *browser) run(name, step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.pages[name].ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %s: %v", name, step, err)
	}
}

// get runs one action on a page with the step timeout and returns its value.
func get[T any](b *browser, name, step string, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.pages[name].ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.t.Fatalf("%s: %s: %v", name, step, err)
	}
	return v
}

// saveArtifactsOnFailure writes a screenshot, the HTML and the console of each page, and the
// app's output.
func (b *browser) saveArtifactsOnFailure() {
	if !b.t.Failed() && os.Getenv("WEBPUBSUB_E2E_ARTIFACTS_ALWAYS") == "" {
		return
	}
	dir := artifactsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Logf("artifacts: %v", err)
		return
	}
	prefix := strings.NewReplacer("/", "_", " ", "_").Replace(b.t.Name())
	write := func(name string, data []byte) {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.t.Logf("artifacts: %v", err)
			return
		}
		b.t.Logf("saved %s", path)
	}
	for _, name := range b.order {
		p := b.pages[name]
		base := fmt.Sprintf("%s-%s", prefix, name)
		write(base+".console.txt", []byte(p.consoleText()))
		ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			write(base+".png", png)
		}
		html, err2 := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		if err2 == nil {
			write(base+".html", []byte(html))
		}
		cancel()
		if err := errors.Join(err, err2); err != nil {
			b.t.Logf("artifacts of page %s: %v", name, err)
		}
	}
	if sharedApp != nil {
		write(prefix+"-app.log", []byte(sharedApp.Output()))
	}
}

// waitFor polls a JavaScript predicate until it is true (or the step times out).
func waitFor(expr string) chromedp.Action[chromedp.Void] {
	poll := chromedp.Poll[bool](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), // rAF polling stalls in background tabs
		chromedp.WithPollingTimeout(stepTimeout))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := poll(ctx, t)
		if err != nil {
			return chromedp.Void{}, fmt.Errorf("waiting for %s: %w", expr, err)
		}
		return chromedp.Void{}, nil
	}
}

// signIn fills the sign-in form of a fresh page and submits it.
func signIn(url, name, room string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.SetValue(chromedp.ID("name"), name),
		chromedp.SetValue(chromedp.ID("room"), room),
		chromedp.Click(chromedp.ID("connect")),
	)
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	return fmt.Sprintf("%q", s) // Go and JS agree on this escaping for plain ASCII test data
}

// hasLine is a JavaScript predicate: the log shows a line of kind from sender containing text.
func hasLine(kind, from, text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#log li.%s")].some(li =>
		(li.querySelector(".from")?.textContent ?? "") === %s &&
		li.querySelector(".text").textContent.includes(%s))`, kind, jsString(from), jsString(text))
}

// peopleAre is a JavaScript predicate: the presence list shows exactly these names, in order
// (the page's own name carries " (you)").
func peopleAre(names ...string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#people li")].map(li => li.textContent.replace(" (you)", "")).join(",") === %s`,
		jsString(strings.Join(names, ",")))
}

func TestBrowserChat(t *testing.T) {
	b := newBrowser(t)
	app := startChat(t)
	room := fmt.Sprintf("e2e-%d", time.Now().UnixNano()%1e6)

	b.page("alice")
	b.page("bob")
	b.page("mallory")

	b.run("alice", "sign in", signIn(app.URL, "alice", room), chromedp.WaitVisible(chromedp.ID("chat")))
	b.run("bob", "sign in", signIn(app.URL, "bob", room), chromedp.WaitVisible(chromedp.ID("chat")))

	// alice sees bob arrive (the app's connected handler announces it to the room).
	b.run("alice", "see bob join", waitFor(hasLine("system", "", "bob joined")), waitFor(peopleAre("alice", "bob")))
	b.run("bob", "presence list", waitFor(peopleAre("alice", "bob")))

	// carol joins from the terminal client (examples/client, a Go client of the same chat).
	carol := startTerminalClient(t, app.Dir, "-server", app.URL, "-name", "carol", "-room", room)
	carol.expect(t, "as carol in #"+room, startTimeout)
	b.run("bob", "see carol join", waitFor(hasLine("system", "", "carol joined")))
	carol.say(t, "hi from the terminal")
	b.run("bob", "receive from the terminal", waitFor(hasLine("message", "carol", "hi from the terminal")))

	// Typing: alice types, bob sees the indicator (a typed JSON event relayed by the app).
	// The indicator shows for 3 s: record it when it appears, so a slow machine cannot miss it.
	b.run("bob", "watch typing", chromedp.Evaluate[chromedp.Void](`(() => {
		const el = document.getElementById("typing");
		window.sawTyping = "";
		new MutationObserver(() => { if (el.textContent) window.sawTyping = el.textContent; })
			.observe(el, {childList: true, characterData: true, subtree: true});
	})()`))
	b.run("alice", "type", chromedp.SendKeys(chromedp.ID("text"), "hello from alice"))
	b.run("bob", "see alice typing", waitFor(`window.sawTyping.includes("alice is typing")`))

	// alice sends; bob shows the message with the sender's name.
	b.run("alice", "send", chromedp.Click(chromedp.CSS("#send button")))
	b.run("bob", "receive", waitFor(hasLine("message", "alice", "hello from alice")))
	carol.expect(t, "alice: hello from alice", stepTimeout)
	b.run("alice", "own message and count",
		waitFor(hasLine("message", "alice", "hello from alice")),
		waitFor(`document.getElementById("count").textContent === "1"`))

	// A malformed name is refused at sign-in (negotiate answers 400 with the reason).
	b.run("mallory", "bad name", signIn(app.URL, "no spaces please", room), chromedp.WaitVisible(chromedp.ID("error")))
	if errText := get(b, "mallory", "read error", chromedp.Text(chromedp.ID("error"))); !strings.Contains(errText, "Sign-in failed (400)") || !strings.Contains(errText, "not 1-32") {
		t.Errorf("page shows %q for a malformed name, want the 400 and its reason", errText)
	}

	// A banned name: the app rejects the connect, the page shows why.
	b.run("mallory", "rejected", signIn(app.URL, "mallory", room),
		waitFor(`document.getElementById("error").textContent.includes("Connection rejected")`))
	errText := get(b, "mallory", "read error", chromedp.Text(chromedp.ID("error")))
	if !strings.Contains(errText, "Connection rejected") || !strings.Contains(errText, "banned") {
		t.Errorf("mallory's page shows %q, want the rejection and its reason (banned)", errText)
	}
	if get(b, "mallory", "chat hidden", chromedp.Evaluate[bool](`!document.getElementById("chat").hidden`)) {
		t.Error("mallory's page shows the chat after a rejected connect")
	}

	// bob switches rooms and back: his log and presence list follow; alice sees him go and come.
	other := room + "-b"
	b.run("bob", "switch room", chromedp.SetValue(chromedp.ID("newroom"), other), chromedp.Click(chromedp.CSS("#switch button")),
		waitFor(hasLine("system", "", "You are in #"+other)), waitFor(peopleAre("bob")))
	b.run("alice", "see bob go", waitFor(hasLine("system", "", "bob left for #"+other)), waitFor(peopleAre("alice", "carol")))
	b.run("bob", "switch back", chromedp.SetValue(chromedp.ID("newroom"), room), chromedp.Click(chromedp.CSS("#switch button")),
		waitFor(hasLine("system", "", "You are in #"+room)), waitFor(peopleAre("alice", "bob", "carol")))

	// bob leaves; alice sees it (the app's disconnected handler).
	b.run("bob", "leave", chromedp.Click(chromedp.ID("leave")), chromedp.WaitVisible(chromedp.ID("signin")))
	b.run("alice", "see bob leave", waitFor(hasLine("system", "", "bob left")), waitFor(peopleAre("alice", "carol")))
}
