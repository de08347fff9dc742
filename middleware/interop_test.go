package middleware

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/internal/nodetest"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// The interop suite sends the same upstream requests (built with handlertest) to our
// middleware on a loopback Echo server and to @azure/web-pubsub-express 1.1.0 on express
// (interop/handler-express.mjs), both with the same funcs, and compares status, Content-Type,
// body and decoded ce-connectionState. Where we differ on purpose the row names the
// difference, listed in docs/differences.md, and asserts both answers.

// interopCustomPath is where both apps also mount hub "chat".
const interopCustomPath = "/Custom/Events"

// startExpress runs interop/handler-express.mjs and returns its base URL.
func startExpress(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd, stdout, stderr := nodetest.Command(ctx, t, "handler-express.mjs",
		"HUB=chat", "BARE_HUB=bare", "ALLOWED_ENDPOINT="+handlertest.Endpoint, "PORT=0", "CUSTOM_PATH="+interopCustomPath)
	cmd.Stdout = nil
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe() // closing it stops the app
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node: %v", err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cancel()
			<-done
		}
		cancel()
		if t.Failed() {
			t.Logf("express stderr:\n%s", stderr)
		}
	})
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "PORT="); ok {
				port <- p
			}
			stdout.WriteString(sc.Text() + "\n")
		}
	}()
	select {
	case p := <-port:
		return "http://127.0.0.1:" + p
	case <-time.After(30 * time.Second):
		t.Fatalf("express app did not print its port; stderr:\n%s", stderr)
	}
	return ""
}

// reply is one server's answer, normalised for comparison.
type reply struct {
	Status      int
	ContentType string
	Body        string
	JSON        any // the body decoded when it is JSON
	State       any // ce-connectionState decoded (base64 of a JSON object); nil when absent
	StateRaw    string
	AllowOrigin []string
}

func (r reply) String() string {
	return fmt.Sprintf("%d %q %q state=%v allow=%q", r.Status, r.ContentType, r.Body, r.State, r.AllowOrigin)
}

// interopClient sends the suite's requests (no redirects, no shared default client).
var interopClient = &http.Client{
	Transport:     &http.Transport{},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func send(t *testing.T, build func() *http.Request, base string) reply {
	t.Helper()
	req, err := handlertest.ForClient(build(), base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	resp, err := interopClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: string(body),
		AllowOrigin: resp.Header.Values(wire.HeaderAllowedOrigin)}
	if mt, _, _ := mime.ParseMediaType(r.ContentType); mt == wire.ContentTypeJSON {
		if err := json.Unmarshal(body, &r.JSON); err != nil {
			r.JSON = nil // compared as bytes; the rows that send malformed JSON expect this
		}
	}
	if s := resp.Header.Get(wire.HeaderConnectionState); s != "" {
		r.StateRaw = s
		b, err := base64.StdEncoding.DecodeString(s)
		if err == nil {
			err = json.Unmarshal(b, &r.State)
		}
		if err != nil {
			t.Errorf("%s answered a ce-connectionState that is not base64 JSON: %q: %v", base, s, err)
		}
	}
	return r
}

// same reports whether two answers agree on status, Content-Type, body (as JSON when JSON)
// and decoded state.
func same(a, b reply) bool {
	if a.Status != b.Status || a.ContentType != b.ContentType || !reflect.DeepEqual(a.State, b.State) ||
		!reflect.DeepEqual(a.AllowOrigin, b.AllowOrigin) {
		return false
	}
	if a.JSON != nil || b.JSON != nil {
		return reflect.DeepEqual(a.JSON, b.JSON)
	}
	return a.Body == b.Body
}

// want is the expected answer of one side for a row that differs on purpose.
type want struct {
	status      int
	body        string // substring; "" = not checked
	contentType string // exact; "" = not checked, noContentType = must be absent
}

// noContentType in want.contentType requires an answer without Content-Type.
const noContentType = "-"

func (w want) check(t *testing.T, side string, r reply) {
	t.Helper()
	ct := w.contentType
	if ct == noContentType {
		ct = ""
	}
	if r.Status != w.status || !strings.Contains(r.Body, w.body) || (w.contentType != "" && r.ContentType != ct) {
		t.Errorf("%s answered %v, want status %d, body containing %q, Content-Type %q", side, r, w.status, w.body, w.contentType)
	}
}

func TestInteropExpress(t *testing.T) {
	jsBase := startExpress(t)
	rec := &recorder{}
	hubs := interopHubs(t, rec)
	e := echo.New()
	e.Use(WebPubSub(hubs...))
	// The chat hub also under a literal custom path, like the JS handler's options.path.
	e.Use(WebPubSubWithConfig(Config{Hubs: hubs[:1], Path: interopCustomPath}))
	srv := httptest.NewServer(e)
	defer srv.Close()

	docs, err := os.ReadFile("../docs/differences.md")
	if err != nil {
		t.Fatalf("read docs/differences.md: %v", err)
	}
	for _, tc := range interopCases() {
		t.Run(tc.name, func(t *testing.T) {
			js := send(t, tc.build, jsBase)
			ours := send(t, tc.build, srv.URL)
			if tc.diff == "" {
				if !same(js, ours) {
					t.Errorf("answers differ:\n js:   %v\n ours: %v", js, ours)
				}
			} else {
				if !strings.Contains(string(docs), "## "+tc.diff) {
					t.Errorf("docs/differences.md has no section %q", "## "+tc.diff)
				}
				tc.js.check(t, "express", js)
				tc.ours.check(t, "ours", ours)
			}
			if !tc.seen {
				rec.take()
				return
			}
			// Notifications: the JS app answered before running its func; /_seen returns
			// what it recorded.
			var jsSeen []notification
			resp, err := interopClient.Get(jsBase + "/_seen")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if err := json.NewDecoder(resp.Body).Decode(&jsSeen); err != nil {
				t.Fatal(err)
			}
			goSeen := rec.take()
			if !reflect.DeepEqual(normalize(t, jsSeen), normalize(t, goSeen)) || len(goSeen) != 1 {
				t.Errorf("notifications differ:\n js:   %+v\n ours: %+v", jsSeen, goSeen)
			}
		})
	}
}

// normalize round-trips v through JSON so Go values and decoded JS values compare alike.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDifferencesDocumented checks docs/differences.md against the interop rows: every
// difference section (all "## " headings but the last, which lists what the suite cannot
// compare) is asserted by at least one row, and every row's difference has a section.
func TestDifferencesDocumented(t *testing.T) {
	docs, err := os.ReadFile("../docs/differences.md")
	if err != nil {
		t.Fatalf("read docs/differences.md: %v", err)
	}
	var sections []string
	for line := range strings.SplitSeq(string(docs), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			sections = append(sections, strings.TrimSpace(h))
		}
	}
	if len(sections) < 2 {
		t.Fatalf("docs/differences.md has %d sections", len(sections))
	}
	asserted := map[string]bool{}
	for _, tc := range interopCases() {
		if tc.diff != "" {
			asserted[tc.diff] = true
		}
	}
	for _, s := range sections[:len(sections)-1] {
		if !asserted[s] {
			t.Errorf("docs/differences.md section %q is asserted by no interop row", s)
		}
		delete(asserted, s)
	}
	for d := range asserted {
		t.Errorf("interop rows assert difference %q, which docs/differences.md does not list", d)
	}
}
